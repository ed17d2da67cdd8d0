"""Where the reference step's time goes on a device: a diagnostic, not a benchmark.

    python benchmarks/gpu_profile.py [--device cuda] [--quick] [--out FILE.json]

For the reference sizes (n = 1000, d = 50, m = 400; --quick: tiny), it prints

1. each default probe alone (errors, correlations, segments) at R = 64: seconds per probe
   time, from a run that probes at every step against one that does not (the queue drained
   before and after each run);
2. torch.profiler tables (the ops by their own device time, and kernel launches per step) of
   plain steps at R = 64 and R = 1024 and of probe-time steps with the default probes.

Written for the first H200 measurements of issue #19 (docs/benchmarks.md, "GPU"): the step
reached 0.29 of the float32 GEMM rate at R = 1024 and the default probes cost 64 % at R = 64,
and these tables say which ops take that time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile

from twolayer.bench.gpu import PROBES, _timed, sync
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup


def _setup(device: torch.device, R: int, n: int, d: int, m: int) -> tuple[Any, Any, Runtime]:
    cfg = Config(data=DataConfig(d=d, n=n, n_test=n), net=NetConfig(m=m), seeds=R)
    _, data, params = setup(cfg)
    rt = Runtime(device=str(device), progress=False)
    data, params = data.to(device), params.to(device)
    train(params, data, TrainConfig(steps=2), [0, 1, 2], PROBES, rt)  # warm up
    return data, params, rt


def probe_costs(device: torch.device, R: int, n: int, d: int, m: int, steps: int) -> dict:
    """Seconds per probe time of each default probe alone at R runs."""
    data, params, rt = _setup(device, R, n, d, m)
    cfg = TrainConfig(steps=steps)
    every = list(range(steps + 1))
    plain = _timed(device, train, params, data, cfg, [0, steps], (), rt)[0]
    out = {"R": R, "steps": steps, "plain_s": plain}
    for probe in (*PROBES, PROBES):
        name = "+".join(probe) if isinstance(probe, tuple) else probe
        wall, _ = _timed(device, train, params, data, cfg, every,
                         (probe,) if isinstance(probe, str) else probe, rt)
        out[name] = (wall - plain) / len(every)
    return out


def _sort_key(device: torch.device) -> str:
    return "self_cpu_time_total" if device.type == "cpu" else "self_device_time_total"


def profiled(device: torch.device, R: int, n: int, d: int, m: int, steps: int,
             probes: tuple[str, ...], rows: int) -> dict:
    """A torch.profiler table of ``steps`` steps (probing at every step when ``probes``)."""
    data, params, rt = _setup(device, R, n, d, m)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    times = list(range(steps + 1)) if probes else [0, steps]
    sync(device)
    t = time.perf_counter()
    with profile(activities=acts) as prof:
        train(params, data, TrainConfig(steps=steps), times, probes, rt)
        sync(device)
    wall = time.perf_counter() - t
    kernels = sum(1 for e in prof.events() if e.device_type.name == "CUDA")
    try:
        table = prof.key_averages().table(sort_by=_sort_key(device), row_limit=rows,
                                          max_name_column_width=70)
    except Exception:  # an older sort key name
        table = prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=rows,
                                          max_name_column_width=70)
    if probes and device.type == "cuda":  # where the host's time goes, too
        table += "\n" + prof.key_averages().table(sort_by="self_cpu_time_total",
                                                   row_limit=rows, max_name_column_width=70)
    return {"R": R, "steps": steps, "probes": list(probes), "wall_s": wall,
            "kernels_per_step": kernels / steps, "table": table,
            "ops": sorted({e.key for e in prof.key_averages()})}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a dry run)")
    ap.add_argument("--rows", type=int, default=22)
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    from twolayer.bench.gpu import device_error

    refused = device_error(args.device, "gpu_profile.py")  # cuda:7 on a one-GPU machine
    if refused:
        print(refused, file=sys.stderr)
        return 2
    dev = torch.device(args.device)
    n, d, m, small, large = (1000, 50, 400, 64, 1024) if not args.quick else (40, 8, 16, 2, 4)
    res: dict[str, Any] = {"device": str(dev), "torch": torch.__version__, "quick": args.quick}
    if dev.type == "cuda":
        res["gpu"] = torch.cuda.get_device_name(dev)
    print(f"device {dev} {res.get('gpu', '')}, torch {torch.__version__}", flush=True)
    pc = probe_costs(dev, small, n, d, m, 20)
    res["probe_costs"] = pc
    print(f"R = {small}: plain {1e3 * pc['plain_s'] / 20:.3f} ms/step; ms per probe time: "
          + ", ".join(f"{k} {1e3 * v:.2f}" for k, v in pc.items()
                      if k not in ("R", "steps", "plain_s")), flush=True)
    res["profiles"] = []
    for R, steps, probes in ((small, 20, ()), (small, 3, PROBES), (large, 5, ()),
                             (large, 2, PROBES)):
        p = profiled(dev, R, n, d, m, steps, probes, args.rows)
        res["profiles"].append(p)
        print(f"\n=== R = {R}, {steps} steps, probes {list(probes) or 'none'}"
              + (" at every step" if probes else "")
              + f": {1e3 * p['wall_s'] / steps:.2f} ms/step under the profiler, "
              f"{p['kernels_per_step']:.0f} kernels/step", flush=True)
        print(p["table"], flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
