"""The fused Triton pass of the GPU step against the eager ops: time and agreement.

    python benchmarks/gpu_fused.py [--device cuda] [--quick] [--rounds 3] [--out FILE.json]

The reference step without probes (n = 1000, d = 50, m = 400; --quick: tiny) at R = 64 and
R = 1024, with ``Tuning(fused_gpu=False)`` (relu, readout and mask as three eager ops) and
``fused_gpu=True`` (one Triton pass, :mod:`twolayer.net.gpu_kernels`; both with eager steps,
``cuda_graph=False``), alternating in
``--rounds`` rounds of the same steps from the same start (the queue drained around each):
milliseconds per step (medians), the ratio, each as a fraction of the float32 GEMM rate
measured in the same run, and the largest relative difference of W after the steps; per run,
the same difference after the steps and after one step, next to the difference between the
eager GPU path and the CPU's float32 path after the same steps (the scale at which two correct
float32 implementations part: a ReLU mask entry that flips on a rounding difference changes a
gradient term, and later steps carry the change on).

Written for issue #19's first target (the step at R = 1024 at 0.5 of the GEMM rate; 0.29 on
the H200 on 2026-12-04, with 2.15 of its 5.55 ms in those three ops). Where triton does not
import (or, on a CPU, without TRITON_INTERPRET=1) it says so and exits 0: nothing to measure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

import torch

from twolayer import net
from twolayer.bench.gpu import _timed, gemm_rate, run_rel_diffs
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.net import gpu_kernels
from twolayer.simulate import setup


def compare(device: torch.device, R: int, n: int, d: int, m: int, steps: int,
            rounds: int) -> dict[str, Any]:
    cfg = Config(data=DataConfig(d=d, n=n, n_test=n), net=NetConfig(m=m), seeds=R)
    _, data, params = setup(cfg)
    data, params = data.to(device), params.to(device)
    rt = Runtime(device=str(device), progress=False)
    tc = TrainConfig(steps=steps)
    seconds: dict[bool, list[float]] = {False: [], True: []}
    final: dict[bool, torch.Tensor] = {}
    for fused in (False, True):  # warm up (and compile the kernel)
        # (eager steps; the CPU dry run: no C pass)
        with net.use_tuning(fused_gpu=fused, fused_cpu=False, cuda_graph=False):
            train(params, data, TrainConfig(steps=2), [0, 2], (), rt)
    for _ in range(rounds):
        for fused in (False, True):
            with net.use_tuning(fused_gpu=fused, fused_cpu=False, cuda_graph=False):
                wall, res = _timed(device, train, params, data, tc, [0, steps], (), rt)
            seconds[fused].append(wall / steps)
            final[fused] = res.params.W
    eager, fused_s = (statistics.median(seconds[k]) for k in (False, True))
    diff = ((final[True] - final[False]).abs().max() / final[False].abs().max()).item()
    per_run = run_rel_diffs(final[True], final[False])
    one = {}
    for fused in (False, True):  # one step: the pass's own rounding, before any growth
        with net.use_tuning(fused_gpu=fused, fused_cpu=False, cuda_graph=False):
            one[fused] = train(params, data, TrainConfig(steps=1), [0, 1], (), rt).params.W
    # the scale of two correct float32 implementations after the same steps: the CPU's
    cpu_rt = Runtime(device="cpu", progress=False)
    cpu_W = train(params.to("cpu"), data.to("cpu"), tc, [0, steps], (), cpu_rt).params.W
    cpu_runs = run_rel_diffs(final[False].cpu(), cpu_W)
    return {"R": R, "n": n, "d": d, "m": m, "steps": steps, "rounds": rounds,
            "eager_s_per_step": eager, "fused_s_per_step": fused_s,
            "eager_over_fused": eager / fused_s, "tflops_eager": 4 * R * n * d * m / eager / 1e12,
            "tflops_fused": 4 * R * n * d * m / fused_s / 1e12, "max_rel_diff_W": diff,
            "run_rel_diff_W_median": statistics.median(per_run),
            "run_rel_diff_W_max": max(per_run),
            "one_step_rel_diff_W": max(run_rel_diffs(one[True], one[False])),
            "cpu_vs_eager_run_rel_diff_W_median": statistics.median(cpu_runs),
            "cpu_vs_eager_run_rel_diff_W_max": max(cpu_runs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a dry run)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        print(f"error: --rounds must be at least 1 (got {args.rounds})", file=sys.stderr)
        return 2
    from twolayer.bench.gpu import device_error

    refused = device_error(args.device, "gpu_fused.py")  # cuda:7 on a one-GPU machine
    if refused:
        print(refused, file=sys.stderr)
        return 2
    dev = torch.device(args.device)
    res: dict[str, Any] = {"device": str(dev), "torch": torch.__version__,
                           "gpu_kernels": gpu_kernels.status()}
    probe = torch.zeros(1, 1, 1, device=dev)
    if not gpu_kernels.usable(probe):
        why = (gpu_kernels.status() if not gpu_kernels.available()
               else f"not on {dev} without TRITON_INTERPRET=1")
        print(f"fused pass: not available here ({why}); nothing to measure")
        res["available"] = False
    else:
        res["available"] = True
        rate = gemm_rate(dev, 1024 if args.quick else 8192, 0.5 if args.quick else 2.0)
        res["gemm_tflops"] = rate
        sizes = ([(2, 40, 8, 16, 5), (4, 40, 8, 16, 5)] if args.quick else
                 [(64, 1000, 50, 400, 200), (1024, 1000, 50, 400, 50)])
        print(f"{dev} {torch.cuda.get_device_name(dev) if dev.type == 'cuda' else ''} "
              f"{gpu_kernels.status()}; float32 GEMM {rate:.1f} TFLOP/s")
        res["runs"] = []
        for R, n, d, m, steps in sizes:
            r = compare(dev, R, n, d, m, steps, 1 if args.quick else args.rounds)
            res["runs"].append(r)
            print(f"R = {R}: eager {1e3 * r['eager_s_per_step']:.3f} ms/step "
                  f"({r['tflops_eager'] / rate:.2f} of GEMM), fused "
                  f"{1e3 * r['fused_s_per_step']:.3f} ms/step ({r['tflops_fused'] / rate:.2f} "
                  f"of GEMM): {r['eager_over_fused']:.2f}x; max relative |dW| "
                  f"{r['max_rel_diff_W']:.1e}", flush=True)
            print(f"  W per run, max |dW_r| / max |W_r| after {r['steps']} steps: fused "
                  f"against eager median {r['run_rel_diff_W_median']:.1e}, max "
                  f"{r['run_rel_diff_W_max']:.1e} (after 1 step: max "
                  f"{r['one_step_rel_diff_W']:.1e}); eager against the CPU's float32 path "
                  f"median {r['cpu_vs_eager_run_rel_diff_W_median']:.1e}, max "
                  f"{r['cpu_vs_eager_run_rel_diff_W_max']:.1e}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
