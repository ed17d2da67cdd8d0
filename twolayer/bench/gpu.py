"""The measuring part of ``benchmarks/gpu_check.sh``: the demo on the device against the CPU, and
the reference step (n = 1000, d = 50, m = 400) at several R with and without probes.

    python -m twolayer.bench.gpu --device cuda [--out gpu.json]
    python -m twolayer.bench.gpu --device cpu --quick      # tiny sizes: the script's dry run

For each R it reports the effective rate 4·R·n·d·m flops per GD step (forward + backward of
the first layer) in TFLOP/s, next to the device's own float32 GEMM rate measured in the same run
(TF32 off, as in training), the probe overhead (with the default probes errors, correlations,
segments at the default probe times against none) and, on CUDA, the peak memory
(``torch.cuda.max_memory_allocated``). Nothing here is a claim about a GPU until it has run on
one (docs/benchmarks.md, "GPU").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ..config import Config, DataConfig, NetConfig, TrainConfig
from ..engine import Runtime, probe_times, train
from ..net import gpu_kernels, tuning
from ..precision import float32_precision
from ..simulate import setup, simulate
from .harness import Gemm

PROBES = ("errors", "correlations", "segments")
DEMO_KEYS = ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction",
             "corr_median_final", "grad_ratio_final")


def device_error(device: str, script: str) -> str | None:
    """The GPU scripts' one-line refusal of a device this machine does not have (``cuda:7`` on a
    one-GPU machine), ``"<script>: <message>"`` (they exit with status 2), or None."""
    from ..errors import ConfigError
    from ..resources import check_device

    try:
        check_device(device)
    except ConfigError as e:
        return f"{script}: {e}"
    return None


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gemm_rate(device: torch.device, size: int, seconds: float) -> float:
    """The best float32 GEMM rate (TFLOP/s) of size×size products over about ``seconds``."""
    with float32_precision(False):
        g = Gemm(device, size)
        g.sample(min(0.2, seconds))  # warm up (clocks, threads, cuBLAS heuristics)
        return g.sample(seconds) / 1e3


def demo(device: torch.device, quick: bool) -> dict[str, Any]:
    """The simulate defaults (R = 4 runs; quick: tiny) on ``device`` and on the CPU: their
    summaries side by side and the largest difference."""
    cfg = Config(seeds=4)
    if quick:
        cfg = Config(data=DataConfig(d=10, n=60, n_test=60), net=NetConfig(m=16),
                     train=TrainConfig(steps=50), seeds=2)
    got = simulate(cfg, Runtime(device=str(device), progress=False)).summary
    want = simulate(cfg, Runtime(device="cpu", progress=False)).summary
    rows = {k: (got[k], want[k]) for k in DEMO_KEYS if k in got and k in want}
    diff = max((abs(a - b) for a, b in rows.values()), default=0.0)
    return {"rows": rows, "max_abs_diff": diff}


def reference(device: torch.device, R: int, n: int, d: int, m: int, steps: int,
              max_seconds: float | None = None) -> dict:
    """The reference GD step at R runs: seconds per step and effective TFLOP/s without probes
    and with the default ones at the default probe times of a ``steps``-step run (37 probe
    times in the default 1000 steps: probing every step of a short run would overstate the
    overhead of a default run), the probe overhead and the peak memory. ``max_seconds``: fewer
    steps where a 20-step estimate says one timed run would take longer (``steps`` in the
    result says how many ran)."""
    cfg = Config(data=DataConfig(d=d, n=n, n_test=n), net=NetConfig(m=m),
                 train=TrainConfig(steps=steps), seeds=R)
    cfg, data, params = setup(cfg)
    data, params = data.to(device), params.to(device)
    rt = Runtime(device=str(device), progress=False)
    train(params, data, TrainConfig(steps=2), [0, 2], PROBES, rt)  # warm up
    if max_seconds is not None:
        est = _timed(device, train, params, data, TrainConfig(steps=20), [0, 20], (), rt)[0] / 20
        if est * steps > max_seconds:
            steps = min(steps, max(50, int(max_seconds / est)))
    train_cfg = TrainConfig(steps=steps)
    flops = 4.0 * R * n * d * m * steps
    out: dict[str, Any] = {"R": R, "steps": steps}
    for name, probes, times in (("plain", (), [0, steps]),
                                ("probes", PROBES, probe_times(steps))):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        wall, res = _timed(device, train, params, data, train_cfg, times, probes, rt)
        out[name] = {"seconds": wall, "seconds_per_step": wall / steps,
                     "tflops": flops / wall / 1e12, "probe_seconds": res.probe_seconds,
                     "peak_bytes": (torch.cuda.max_memory_allocated(device)
                                    if device.type == "cuda" else None),
                     # how this timed run's steps ran (the switches above say what was on:
                     # a row cut below graphed.MIN_STEPS by max_seconds replays no graph)
                     "step_graph": res.meta.get("step_graph"),
                     "triton_kernels": res.meta.get("triton_kernels")}
        if probes:
            out["probe_times"] = len(res.times)  # the times the probed run probed at
    out["probe_overhead"] = out["probes"]["seconds"] / out["plain"]["seconds"] - 1.0
    return out


def run_rel_diffs(W: torch.Tensor, ref: torch.Tensor) -> list[float]:
    """Per run r: max |W_r − ref_r| / max |ref_r| (W, ref: [R, ...]), as the GPU step's variants
    are compared (benchmarks/gpu_fused.py, benchmarks/gpu_steps.py)."""
    num = (W - ref).abs().flatten(1).amax(1)
    return (num / ref.abs().flatten(1).amax(1)).tolist()


def _timed(device: torch.device, fn: Any, *args: Any) -> tuple[float, Any]:
    """(wall-clock seconds, result) of fn(*args), the device's queue drained before and after."""
    sync(device)
    t = time.perf_counter()
    result = fn(*args)
    sync(device)
    return time.perf_counter() - t, result


def run(device: str, quick: bool = False, runs: list[int] | None = None,
        steps: int | None = None, max_seconds: float | None = None) -> dict[str, Any]:
    dev = torch.device(device)
    if quick:
        n, d, m = 40, 8, 16
        runs, steps, size, secs = runs or [2, 4], steps or 12, 128, 0.2
    else:
        n, d, m = 1000, 50, 400
        runs, steps = runs or [64, 1024, 4096], steps or 1000  # the default run's length
        size, secs = (8192, 2.0) if dev.type == "cuda" else (1024, 1.0)
    res: dict[str, Any] = {"device": str(dev), "quick": quick, "n": n, "d": d, "m": m,
                           "torch": torch.__version__,
                           # how the step ran: the fused Triton pass, CUDA-graph replays
                           "fused_gpu": gpu_kernels.enabled(dev),
                           "cuda_graph": bool(tuning().cuda_graph and dev.type == "cuda")}
    if dev.type == "cuda":
        res["gpu"] = torch.cuda.get_device_name(dev)
        res["total_memory"] = torch.cuda.get_device_properties(dev).total_memory
    res["gemm_tflops"] = gemm_rate(dev, size, secs)
    res["demo"] = demo(dev, quick)
    res["reference"] = [reference(dev, R, n, d, m, steps, max_seconds) for R in runs]
    res["gemm_tflops_after"] = gemm_rate(dev, size, secs)
    return res


def report(res: dict[str, Any]) -> str:
    gib = 2.0**30
    lines = [f"device {res['device']}" + (f" ({res['gpu']})" if "gpu" in res else "")
             + f", torch {res['torch']}; float32 GEMM {res['gemm_tflops']:.3g} TFLOP/s "
             f"(after: {res['gemm_tflops_after']:.3g})"]
    lines.append(f"demo on {res['device']} against the CPU (max |diff| "
                 f"{res['demo']['max_abs_diff']:.2e}):")
    for k, (a, b) in res["demo"]["rows"].items():
        lines.append(f"  {k:22s} {a:10.5f} {b:10.5f}")
    lines.append(f"reference step n={res['n']} d={res['d']} m={res['m']} "
                 "(effective TFLOP/s = 4 R n d m per step):")
    lines.append(f"  {'R':>6s} {'steps':>6s} {'probes':>6s} {'ms/step':>9s} {'TFLOP/s':>9s} "
                 f"{'of GEMM':>8s} {'+probes':>9s} {'overhead':>9s} {'peak GiB':>9s}")
    for r in res["reference"]:
        p, q = r["plain"], r["probes"]
        peak = max(p["peak_bytes"] or 0, q["peak_bytes"] or 0)
        lines.append(f"  {r['R']:6d} {r['steps']:6d} {r['probe_times']:6d} "
                     f"{1e3 * p['seconds_per_step']:9.2f} {p['tflops']:9.3f} "
                     f"{p['tflops'] / res['gemm_tflops']:8.2f} {q['tflops']:9.3f} "
                     f"{100 * r['probe_overhead']:8.1f}% "
                     + (f"{peak / gib:9.2f}" if peak else f"{'n/a':>9s}"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m twolayer.bench.gpu", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default cuda)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a dry run of the script)")
    ap.add_argument("--runs", type=int, nargs="+", help="R values (default 64 1024 4096)")
    ap.add_argument("--steps", type=int,
                    help="timed GD steps per R (default 1000, a default run's length, so the "
                         "probes come at their default density; --quick: 12)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="fewer steps for an R whose timed run a 20-step estimate puts above "
                         "this many seconds (default: no limit; gpu_check.sh: 40)")
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    from ..errors import ConfigError
    from ..record import ensure_writable_dir, write_text_atomic
    from ..resources import check_device

    try:
        check_device(args.device)
        if args.out:  # before measuring: a bad --out costs nothing
            ensure_writable_dir(Path(args.out).resolve().parent, "out", args.out)
    except ConfigError as e:
        print(f"python -m twolayer.bench.gpu: {e}", file=sys.stderr)
        return 2
    res = run(args.device, args.quick, args.runs, args.steps, args.max_seconds)
    print(report(res), flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
