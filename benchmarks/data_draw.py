"""How fast the runs' data are drawn: worker lanes against one lane and against the sampler of
2026-12-04, measured in one process, alternating.

    python benchmarks/data_draw.py [--rounds N] [--quick] [--out FILE.json]

The workload is one training batch (EVENT_CHUNK = 20 runs) of frei2023's deep setting (full
plan: n = 1000 training and 1000 test points of the 2-XOR clusters in d = 12000), the largest
draw of ``frei2023.regime``, whose data drawing bounded ``check --all`` on the H200 (issue #19,
docs/benchmarks.md, "GPU"). Three ways to draw the same data:

- ``before``: the sampler as it was on 2026-12-04 (kept here as the baseline): one run after the
  other on the caller's intra-op threads, the xor points as centre + σ·z with new tensors for
  every product;
- ``one lane``: today's sampler held to one lane (in-place σ·z + centre);
- ``lanes``: today's sampler as it runs (one lane per intra-op thread of the caller).

It checks that the three give the same bits (the xor kind draws nothing through LAPACK, so even
the old sampler's thread count changes no bit here), then prints the medians over ``--rounds``
rounds (after an untimed round) and their ratios. ``--quick``: d = 500, a dry run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import torch

from twolayer.data import base, noise, sample_dataset, xor
from twolayer.experiments import frei2023
from twolayer.seeding import generator


def _before(cfg: Any, seeds: list[int], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The xor sampler of 2026-12-04 (iid_sampler's loop and xor.sample), the baseline."""
    stacked: dict[str, torch.Tensor] = {}
    for i, seed in enumerate(seeds):
        mu = xor.means(cfg.d, cfg.rotate, generator(seed, "data"), dtype)
        out: dict[str, torch.Tensor] = {}
        for split, n, stream in (("", cfg.n, "train"), ("_test", cfg.n_test, "test")):
            g = generator(seed, "data-" + stream)
            cluster = torch.randint(0, 4, (n,), generator=g)
            centre = (xor.CLUSTER_SIGN[cluster].to(dtype).unsqueeze(1)
                      * mu[xor.CLUSTER_MEAN[cluster]])
            x = centre + torch.randn(n, cfg.d, generator=g, dtype=dtype) * (cfg.sigma2 ** 0.5)
            y_true = xor.CLUSTER_LABEL[cluster].clone()
            y, noisy = noise.corrupt(cfg.noise_model, cfg.noise, y_true, cluster, x, mu, 2, g)
            out |= {"x" + split: x, "y" + split: y}
            if not split:
                out["noisy"] = noisy
        for k, t in out.items():
            if i == 0:
                stacked[k] = t.new_empty((len(seeds), *t.shape))
            stacked[k][i] = t
    return stacked


def _today(cfg: Any, seeds: list[int], dtype: torch.dtype, lanes: int | None
           ) -> dict[str, torch.Tensor]:
    real = base.draw_lanes
    if lanes is not None:
        base.draw_lanes = lambda runs, work: lanes  # type: ignore[assignment]
    try:
        ds = sample_dataset(cfg, seeds, dtype)
    finally:
        base.draw_lanes = real  # type: ignore[assignment]
    return {"x": ds.x, "y": ds.y, "noisy": ds.noisy, "x_test": ds.x_test, "y_test": ds.y_test}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="d = 500, one round (a dry run)")
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        print(f"error: --rounds must be at least 1 (got {args.rounds})", file=sys.stderr)
        return 2
    deep = frei2023.plan(False).deep
    d = 500 if args.quick else deep.ds[0]
    rounds = 1 if args.quick else args.rounds
    run_cfg = deep.config(d, frei2023.EVENT_CHUNK, seed=frei2023.EVENT_SEED_FULL).resolved()
    cfg, seeds = run_cfg.data, run_cfg.run_seeds
    lanes = base.draw_lanes(len(seeds), len(seeds) * (cfg.n + cfg.n_test) * d)
    ways = {"before": lambda: _before(cfg, seeds, torch.float32),
            "one lane": lambda: _today(cfg, seeds, torch.float32, 1),
            "lanes": lambda: _today(cfg, seeds, torch.float32, None)}
    ref = None
    for name, fn in ways.items():  # an untimed round (warm-up) that checks the bits
        out = fn()
        if ref is None:
            ref = out
        elif any(not torch.equal(ref[k], out[k]) for k in ref):
            print(f"error: {name!r} drew different data from 'before'", file=sys.stderr)
            return 1
        del out
    del ref
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(rounds):
        for name, fn in ways.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {"workload": {"runs": len(seeds), "n": cfg.n, "n_test": cfg.n_test, "d": d},
           "threads": torch.get_num_threads(), "lanes": lanes, "rounds": rounds,
           "seconds": times, "median_s": med,
           "before_over_lanes": med["before"] / med["lanes"],
           "one_lane_over_lanes": med["one lane"] / med["lanes"],
           "before_over_one_lane": med["before"] / med["one lane"]}
    print(f"{len(seeds)} runs x ({cfg.n} + {cfg.n_test}) points x d = {d}, "
          f"{torch.get_num_threads()} threads, {lanes} lanes, {rounds} rounds (same bits)")
    for k, v in med.items():
        print(f"  {k:>9}: {v:7.3f} s (median)")
    print(f"  before / lanes {res['before_over_lanes']:.2f}x, one lane / lanes "
          f"{res['one_lane_over_lanes']:.2f}x, before / one lane "
          f"{res['before_over_one_lane']:.2f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
