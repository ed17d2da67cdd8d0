"""``python -m twolayer.bench.plainloop``: the job of ``twolayer simulate`` done the plain way,
as a whole process — what a researcher without twolayer would run.

It draws the same data and initial weights (twolayer's samplers, so both start from the same
state), then trains one seed at a time with ``nn.Module`` + autograd + ``torch.optim.SGD``
(:mod:`twolayer.bench.baseline`), measuring the same quantities as simulate's default probes
(errors, correlations, segment gradients) at the same log-spaced probe times, and prints the
same kind of summary (final test errors, mean over seeds) as JSON. The end-to-end benchmark
(:mod:`twolayer.bench.endtoend`) times this process against ``twolayer simulate``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, kind, default in (("--seeds", int, 16), ("--d", int, 50), ("--n", int, 1000),
                                ("--m", int, 400), ("--steps", int, 300),
                                ("--noise", float, 0.1)):
        ap.add_argument(flag, type=kind, default=default)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # one seed at a time: small GEMMs, one thread is fastest here

    from ..config import Config, DataConfig, NetConfig, TrainConfig
    from ..engine import probe_times
    from ..simulate import setup
    from .baseline import train_one

    cfg = Config(data=DataConfig(d=args.d, n=args.n, noise=args.noise), net=NetConfig(m=args.m),
                 train=TrainConfig(steps=args.steps), seeds=args.seeds)
    cfg, data, params = setup(cfg)
    times = probe_times(cfg.train.steps, cfg.probe.num_times, cfg.probe.dense_until)
    setup_s = time.perf_counter() - start
    final = []
    for r in range(args.seeds):
        logs = train_one(data, params.W[r], params.a[r], r, cfg.train.lr, cfg.train.steps, times)
        final.append(float(logs["errors/test_error_clean"][-1]))
    print(json.dumps({"test_error_clean": float(np.mean(final)), "seeds": args.seeds,
                      "setup_seconds": setup_s, "seconds": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
