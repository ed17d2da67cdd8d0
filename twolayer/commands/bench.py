"""``twolayer bench``: the benchmark harness (:mod:`twolayer.bench`).

In one process: the machine's float32 GEMM rate, the engine on the reference workload (R = 64
seeds, n = 1000, d = 50, m = 400, 1000 full-batch GD steps, default probes) with and without
probes, the plain PyTorch loop a researcher would write (one seed at a time), memory against n,
scaling in R, n, m, d, and the gradient-flow integrator's cost at long horizons. Writes the
results as JSON (``--out``) and, with ``--doc``, the markdown page. ``make bench`` runs it with
the published paths (benchmarks/results.json, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import integer
from ..engine import resolve_device
from ..errors import ConfigError
from ..record import check_writable_dir, write_text_atomic
from ..resources import check_device, writing
from .owned import json_object_with, refuse_special_file, starts_with

DEFAULT_OUT = "bench-results.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure the engine against the GEMM rate and a plain PyTorch loop",
        description="Benchmark the training engine in one process: the float32 GEMM rate (the "
        "ceiling), the engine on R = 64, n = 1000, d = 50, m = 400, 1000 GD steps with and "
        "without the default probes, the plain PyTorch loop (nn.Module + autograd + SGD, one "
        "seed at a time), memory against n, scaling, and the flow integrator at 10^4-10^7 "
        "steps. About 3-6 minutes on 2 CPU cores; --quick about a minute.",
    )
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"results file, JSON (default {DEFAULT_OUT})")
    p.add_argument("--doc", help="also write the markdown page (like docs/benchmarks.md) here")
    p.add_argument("--quick", action="store_true",
                   help="a small smoke run (R = 4, 100 steps); not the published workload")
    p.add_argument("--baseline-seeds", type=integer, default=16,
                   help="seeds of the plain loop that are timed and scaled to R = 64, "
                   "1..64 (default 16)")
    p.add_argument("--device", default="auto",
                   help="auto (cuda if present), cpu or cuda (default auto)")
    p.set_defaults(run=run)


# what twolayer bench writes: --out a JSON object with these keys, --doc a page with this head
RESULT_KEYS = ("machine", "gemm", "engine", "baseline", "probe_overhead")
PAGE_HEAD = "# Benchmarks\n"


def bench_results(path: Path) -> bool:
    """Whether ``path`` holds a results file of twolayer bench (a JSON object with
    :data:`RESULT_KEYS`) or may otherwise be replaced (:func:`~twolayer.commands.owned.
    json_object_with`: empty or unreadable)."""
    return json_object_with(path, RESULT_KEYS)


def bench_page(path: Path) -> bool:
    """Whether ``path`` holds a page of twolayer bench --doc (its first line is ``# Benchmarks``,
    as docs/benchmarks.md) or may otherwise be replaced (:func:`~twolayer.commands.owned.
    starts_with`: empty or unreadable)."""
    return starts_with(path, PAGE_HEAD)


def _output(path: str, flag: str) -> Path:
    """A file path in a writable directory (checked by creating and removing a file or folder
    there, leaving nothing behind: a bad path fails before minutes of measuring, and a run
    stopped before it writes leaves no folder; the folder is made when the results are written,
    :func:`_write`), and not a file that
    twolayer bench did not write (``--doc README.md`` replaced a project's README after minutes
    of measuring; check --report, --timings and figures --out have the same guard);
    ConfigError if not."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(flag, path, "must be a file path, not a directory")
    refuse_special_file(p, flag, path)
    written_by_bench = bench_results if flag == "out" else bench_page
    if p.is_file() and not written_by_bench(p):
        what = ("a JSON object of twolayer bench's results" if flag == "out"
                else f"a page whose first line is {PAGE_HEAD.strip()!r}")
        raise ConfigError(flag, path, f"is a file that twolayer bench did not write (not {what});"
                          " it would be overwritten: choose another path, or remove the file "
                          "first")
    check_writable_dir(p.parent if str(p.parent) else ".", flag, path)
    return p


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, creating its folder (checked by :func:`_output`);
    a failed write (disk full) is one line naming ``path``, exit 1 (:func:`~twolayer.
    resources.writing`), as simulate, check --report and --timings say it."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.baseline_seeds <= 64:
        raise ConfigError("baseline_seeds", args.baseline_seeds,
                          "valid range is 1..64 (the reference workload has R = 64 seeds)")
    # a missing GPU, or cuda:N beyond the GPUs here, is an error before any work (resolve_device
    # alone accepted cuda:7 on a one-GPU machine and named no cuda:N among the choices)
    args.device = check_device(args.device)
    resolve_device(args.device)
    out = _output(args.out, "out")
    if args.doc and Path(args.doc).resolve() == out.resolve():
        raise ConfigError("doc", args.doc, "is the --out file; give the page another path")
    doc = _output(args.doc, "doc") if args.doc is not None else None  # "" is refused

    from ..bench.harness import run_bench
    from ..bench.report import render, time_to_answer

    res = run_bench(args.device, args.baseline_seeds, args.quick)
    _write(out, json.dumps(res, indent=1) + "\n")
    if doc is not None:
        _write(doc, render(res, time_to_answer(out)))
    e, b, po = res["engine"], res["baseline"], res["probe_overhead"]
    if args.quick:
        print("--quick: R = 4 seeds, 100 steps, a smoke run; these ratios are not the "
              "reference workload's (run without --quick for those)")
    print(f"engine with probes: {e['gflops']:.1f} GFLOP/s = {e['ratio_to_gemm']:.2f} of the "
          f"GEMM ceiling ({res['gemm']['gflops']:.1f}), {e['ratio_to_gemm_median']:.2f} of the "
          f"rate alongside ({res['gemm']['gflops_median']:.1f})")
    print(f"plain PyTorch loop: {b['gflops']:.1f} GFLOP/s; the engine is {b['speedup']:.2f}x "
          "faster")
    print(f"probe overhead: {100 * po['ratio']:.1f}% with against without"
          + (f", {100 * po['accounted']:.1f}% accounted in the run" if "accounted" in po else ""))
    print(f"wrote {out}" + (f" and {doc}" if doc else "")
          + f" ({res['total_seconds']:.0f} s)")
    return 0
