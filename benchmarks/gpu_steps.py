"""The GPU step's variants against the eager step: time and agreement, in one run.

    python benchmarks/gpu_steps.py [--device cuda] [--quick] [--rounds 3] [--blocks FILE.json]
                                   [--out FILE.json]

Variants (net.use_tuning): ``eager`` (PyTorch ops, one launch each), ``fused`` (relu, readout
and mask as one Triton pass, ``fused_gpu``), ``graph`` (each plain step replayed from a CUDA
graph, ``cuda_graph``; :mod:`twolayer.training.graphed`), ``graph+fused`` (the default since
these were measured on an H200 on 2026-12-04), ``graph+fused forward`` (the forward GEMM in
the Triton pass too, ``fused_gpu_forward``; opt-in until measured), ``graph+fused backward``
(the backward GEMM as a Triton kernel, ``fused_gpu_backward``; opt-in until measured),
``graph+fused fwd+bwd`` (both; the mask then one byte per entry) and, on the workload only,
``graph+fused+probe graph`` (each probe time's gradient and default probes replayed from a
graph too, ``probe_graph``; opt-in until measured). With ``--blocks FILE`` (the JSON of
``benchmarks/gpu_blocks.py``, which times the two opt-in kernels' launch configurations), also
``graph+fused fwd+bwd, swept blocks``: both kernels with the fastest configurations found there
(``best``) instead of their defaults.
For the reference step (n = 1000, d = 50, m = 400; --quick: tiny) it prints, per variant:

1. the plain step at R = 64 and R = 1024 (medians of ``--rounds`` alternating rounds of the
   same steps from the same start): ms per step, its fraction of the float32 GEMM rate measured
   in the same run, and W after the steps against the eager variant's (per run
   max |ΔW_r| / max |W_r|: median and max, and whether every bit is the same);
2. ``make bench``'s reference workload: R = 64, 1000 steps with the default probes at their
   37 default times: seconds, and the published 2-core CPU run's seconds over them (issue #19's
   third target: 50x).

A variant that cannot run here (no triton; not a CUDA device) is listed as such, never timed.
Written for issue #19's first and third targets (0.29 of the GEMM rate at R = 1024 and 37.9x
on the H200 on 2026-12-04, eager; this script there: 0.35 and 50.8-51.4x with graph+fused).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

from twolayer import net
from twolayer.bench.gpu import PROBES, _timed, gemm_rate, run_rel_diffs
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, probe_times, train
from twolayer.net import gpu_kernels
from twolayer.simulate import setup
from twolayer.training import graphed

VARIANTS = {"eager": {"fused_gpu": False, "cuda_graph": False},
            "fused": {"fused_gpu": True, "cuda_graph": False},
            "graph": {"fused_gpu": False, "cuda_graph": True},
            "graph+fused": {"fused_gpu": True, "cuda_graph": True},  # the default
            # the forward GEMM in the Triton pass too (opt-in)
            "graph+fused forward": {"fused_gpu": True, "cuda_graph": True,
                                    "fused_gpu_forward": True},
            # the backward GEMM as a Triton kernel (opt-in); with the forward: a mask of bytes
            "graph+fused backward": {"fused_gpu": True, "cuda_graph": True,
                                     "fused_gpu_backward": True},
            "graph+fused fwd+bwd": {"fused_gpu": True, "cuda_graph": True,
                                    "fused_gpu_forward": True, "fused_gpu_backward": True},
            # and the probe times captured too (opt-in): the workload only (it has probes)
            "graph+fused+probe graph": {"fused_gpu": True, "cuda_graph": True,
                                        "probe_graph": True}}
SWEPT = "graph+fused fwd+bwd, swept blocks"  # with --blocks: gpu_blocks.py's best tiles
SWEPT_BLOCKS: dict[str, gpu_kernels.Blocks] = {}  # "forward", "backward": set by --blocks
ROOT = Path(__file__).resolve().parents[1]


def runnable(device: torch.device) -> dict[str, str | None]:
    """Per variant: None where it runs on ``device``, else why not."""
    fused = (None if gpu_kernels.usable(torch.zeros(1, 1, 1, device=device))
             else f"fused pass unavailable ({gpu_kernels.status()}; or not a GPU)")
    graph = None if graphed.supported(device) else f"no CUDA graphs on {device.type}"
    fwd = (None if graphed.supported(device) and gpu_kernels.forward_self_test(device) is None
           else f"fused forward unavailable ({gpu_kernels.status()}; or not a GPU)")
    bwd = (None if graphed.supported(device) and gpu_kernels.backward_self_test(device) is None
           else f"fused backward unavailable ({gpu_kernels.status()}; or not a GPU)")
    return {"eager": None, "fused": fused, "graph": graph, "graph+fused": graph or fused,
            "graph+fused forward": graph or fwd, "graph+fused backward": graph or bwd,
            "graph+fused fwd+bwd": graph or fwd or bwd, "graph+fused+probe graph": graph or fused}


@contextlib.contextmanager
def use_variant(v: str):  # noqa: ANN201 - a context manager
    """The variant's tuning (and, for :data:`SWEPT`, the kernels' swept launch
    configurations) while the block runs."""
    tuning = VARIANTS["graph+fused fwd+bwd" if v == SWEPT else v]
    saved = gpu_kernels.FWD_BLOCKS, gpu_kernels.BWD_BLOCKS
    try:
        if v == SWEPT:
            gpu_kernels.FWD_BLOCKS = SWEPT_BLOCKS["forward"]
            gpu_kernels.BWD_BLOCKS = SWEPT_BLOCKS["backward"]
        with net.use_tuning(**tuning, fused_cpu=False):
            yield
    finally:
        gpu_kernels.FWD_BLOCKS, gpu_kernels.BWD_BLOCKS = saved


def swept_blocks(path: str) -> dict[str, gpu_kernels.Blocks] | str:
    """The fastest correct launch configurations in gpu_blocks.py's JSON at ``path``, or why
    there are none."""
    try:
        found = json.loads(Path(path).read_text())
        if found.get("not_run"):
            return f"no swept blocks in {path} (gpu_blocks.py: {found['not_run']})"
        return {k: gpu_kernels.Blocks(**found["best"][k]) for k in ("forward", "backward")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"no swept blocks in {path} ({type(e).__name__}: {e})"


def _problem(device: torch.device, R: int, n: int, d: int, m: int) -> tuple[Any, Any, Runtime]:
    cfg = Config(data=DataConfig(d=d, n=n, n_test=n), net=NetConfig(m=m), seeds=R)
    _, data, params = setup(cfg)
    return data.to(device), params.to(device), Runtime(device=str(device), progress=False)


def plain(device: torch.device, variants: list[str], R: int, n: int, d: int, m: int,
          steps: int, rounds: int) -> dict[str, Any]:
    """The plain step per variant. Graphs are recorded here for runs of any length (by default
    only from graphed.MIN_STEPS steps on): this times a replayed step."""
    min_steps, graphed.MIN_STEPS = graphed.MIN_STEPS, 1
    try:
        return _plain(device, variants, R, n, d, m, steps, rounds)
    finally:
        graphed.MIN_STEPS = min_steps


def _plain(device: torch.device, variants: list[str], R: int, n: int, d: int, m: int,
           steps: int, rounds: int) -> dict[str, Any]:
    data, params, rt = _problem(device, R, n, d, m)
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    final: dict[str, torch.Tensor] = {}
    for v in variants:  # warm up (and compile the Triton kernel)
        with use_variant(v):
            train(params, data, TrainConfig(steps=3), [0, 3], (), rt)
    for _ in range(rounds):
        for v in variants:
            with use_variant(v):
                wall, res = _timed(device, train, params, data, TrainConfig(steps=steps),
                                   [0, steps], (), rt)
            seconds[v].append(wall / steps)
            final[v] = res.params.W
    out: dict[str, Any] = {"R": R, "n": n, "d": d, "m": m, "steps": steps, "rounds": rounds}
    for v in variants:
        diffs = run_rel_diffs(final[v], final["eager"])
        out[v] = {"s_per_step": statistics.median(seconds[v]), "rounds_s_per_step": seconds[v],
                  "tflops": 4 * R * n * d * m / statistics.median(seconds[v]) / 1e12,
                  "run_rel_diff_W_median": statistics.median(diffs),
                  "run_rel_diff_W_max": max(diffs),
                  "same_bits_as_eager": bool(torch.equal(final[v], final["eager"]))}
    return out


def workload(device: torch.device, variants: list[str], R: int, n: int, d: int, m: int,
             steps: int, rounds: int, compare: bool = True) -> dict[str, Any]:
    """``make bench``'s reference workload: ``steps`` steps, the default probes at their
    default times (``compare``: next to the published CPU run; not for other sizes)."""
    data, params, rt = _problem(device, R, n, d, m)
    times = probe_times(steps)
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    for v in variants:
        with use_variant(v):
            train(params, data, TrainConfig(steps=3), [0, 1, 3], PROBES, rt)
    for _ in range(rounds):
        for v in variants:
            with use_variant(v):
                wall, _ = _timed(device, train, params, data, TrainConfig(steps=steps), times,
                                 PROBES, rt)
            seconds[v].append(wall)
    out: dict[str, Any] = {"R": R, "steps": steps, "probe_times": len(times), "rounds": rounds}
    cpu = _published_cpu_seconds() if compare else None
    for v in variants:
        s = statistics.median(seconds[v])
        out[v] = {"seconds": s, "rounds_seconds": seconds[v],
                  "cpu_over_this": cpu / s if cpu else None}
    out["published_cpu_seconds"] = cpu
    return out


def _published_cpu_seconds() -> float | None:
    """The published ``make bench`` reference workload on the 2-core CPU, if found."""
    try:
        res = json.loads((ROOT / "benchmarks" / "results.json").read_text())
        return float(res["engine"]["seconds"])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a dry run)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--blocks", help="gpu_blocks.py's JSON: also time both opt-in kernels with "
                    "the launch configurations it found fastest")
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        print(f"error: --rounds must be at least 1 (got {args.rounds})", file=sys.stderr)
        return 2
    from twolayer.bench.gpu import device_error

    refused = device_error(args.device, "gpu_steps.py")  # cuda:7 on a one-GPU machine
    if refused:
        print(refused, file=sys.stderr)
        return 2
    dev = torch.device(args.device)
    why = runnable(dev)
    if args.blocks:
        found = swept_blocks(args.blocks)
        if isinstance(found, str):
            why[SWEPT] = found
        else:
            SWEPT_BLOCKS.update(found)
            why[SWEPT] = why["graph+fused fwd+bwd"]
    variants = [v for v, w in why.items() if w is None]
    rate = gemm_rate(dev, 1024 if args.quick else 8192, 0.5 if args.quick else 2.0)
    res: dict[str, Any] = {"device": str(dev), "torch": torch.__version__,
                           "gpu_kernels": gpu_kernels.status(), "gemm_tflops": rate,
                           "swept_blocks": {k: vars(b) for k, b in SWEPT_BLOCKS.items()},
                           "not_run": {v: w for v, w in why.items() if w is not None}}
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type
    print(f"{name}, torch {torch.__version__}, float32 GEMM {rate:.1f} TFLOP/s")
    for v, w in res["not_run"].items():
        print(f"  {v}: not run ({w})")
    plain_variants = [v for v in variants if v == SWEPT or not VARIANTS[v].get("probe_graph")]
    sizes = ([(2, 40, 8, 16, 5), (4, 40, 8, 16, 5)] if args.quick
             else [(64, 1000, 50, 400, 200), (1024, 1000, 50, 400, 50)])
    rounds = 1 if args.quick else args.rounds
    res["plain"] = []
    for R, n, d, m, steps in sizes:
        r = plain(dev, plain_variants, R, n, d, m, steps, rounds)
        res["plain"].append(r)
        print(f"plain step, R = {R} ({steps} steps, medians of {rounds} rounds):")
        for v in plain_variants:
            x = r[v]
            print(f"  {v:34s} {1e3 * x['s_per_step']:8.3f} ms/step  {x['tflops'] / rate:5.2f} "
                  f"of GEMM  {r['eager']['s_per_step'] / x['s_per_step']:5.2f}x eager   W vs "
                  f"eager per run: median {x['run_rel_diff_W_median']:.1e}, max "
                  f"{x['run_rel_diff_W_max']:.1e}, same bits: {x['same_bits_as_eager']}",
                  flush=True)
    R, n, d, m, steps = (2, 40, 8, 16, 20) if args.quick else (64, 1000, 50, 400, 1000)
    w = workload(dev, variants, R, n, d, m, steps, rounds, compare=not args.quick)
    res["workload"] = w
    print(f"make bench's reference workload (R = {R}, {steps} steps, default probes at "
          f"{w['probe_times']} times; published 2-core CPU: {w['published_cpu_seconds']} s):")
    for v in variants:
        ratio = w[v]["cpu_over_this"]
        print(f"  {v:34s} {w[v]['seconds']:8.3f} s" + (f"  {ratio:6.1f}x the CPU" if ratio
                                                          else ""), flush=True)
    if args.quick:
        print("--quick: tiny sizes, a dry run; not the reference workload")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
