"""Tensor operations the probes dispatch per probe time: a diagnostic for the GPU's probe cost.

    python benchmarks/probe_ops.py [--probes errors,correlations,segments] [--top 20]

On a GPU each tensor operation costs the host a launch (about 8 µs on the H200 machine), and at
small R the default probes are bound by those launches (docs/benchmarks.md, "GPU"). This counts
them on the CPU, where no GPU is needed: two training runs of a small problem (xor data with
label noise, R = 8, 40 steps), one probing at 2 times and one at 12, each dispatch recorded
(torch's ``TorchDispatchMode``), with the GPU's batched group path forced
(``Tuning(batched_groups=True, fused_cpu=False)``) so that the step at a probe time does what
it does on a GPU. The difference per extra probe time is split into operations (which launch a
kernel on a GPU) and views (which do not), and the source lines that dispatch the most.

Counted on 2026-12-04 for the three default probes: 147 operations and 165 views per probe time
at commit 2b68088; 104 and 165 after the errors and segments probes were rewritten and the
divergence check at a probe time moved into the probes' copy (b4062af).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode

import twolayer
from twolayer import net
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup

VIEWS = {"view", "_unsafe_view", "as_strided", "slice", "select", "expand", "transpose", "t",
         "unsqueeze", "squeeze", "permute", "diagonal", "alias", "detach", "reshape", "unbind",
         "split", "narrow"}
EXTRA = 10  # the probe times the second run adds
PACKAGE = str(Path(twolayer.__file__).resolve().parent) + os.sep  # the package's own files


class Counter(TorchDispatchMode):
    """Counts every dispatched operation by kind (op / view) and by the twolayer source lines
    that called it (the innermost two)."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: collections.Counter = collections.Counter()
        self.lines: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kind = "view" if func._schema.name.split("::")[-1] in VIEWS else "op"
        # frames of the twolayer package's own files, named relative to it (not any path with
        # "/twolayer/" in it: a checkout in a folder named twolayer has its .venv's torch there)
        frames = [f for f in traceback.extract_stack()[:-1] if f.filename.startswith(PACKAGE)]
        where = " <- ".join(f"{f.filename[len(PACKAGE):]}:{f.lineno}"
                            for f in frames[-2:][::-1])
        self.kinds[kind] += 1
        self.lines[(kind, where)] += 1
        return func(*args, **(kwargs or {}))


def count(probes: tuple[str, ...]) -> dict[str, Any]:
    """Operations and views per extra probe time, and the source lines behind them."""
    cfg = Config(data=DataConfig(d=20, n=200, n_test=200, noise=0.1), net=NetConfig(m=16),
                 seeds=8)
    _, data, params = setup(cfg)
    rt = Runtime(device="cpu", progress=False)
    runs = {}
    with net.use_tuning(batched_groups=True, fused_cpu=False):
        for label, times in (("few", [0, 40]),
                             ("many", [0, *range(2, 2 + 2 * EXTRA, 2), 40])):
            train(params, data, TrainConfig(steps=40), times, probes, rt, configs=cfg)  # warm
            counter = Counter()
            with counter:
                train(params, data, TrainConfig(steps=40), times, probes, rt, configs=cfg)
            runs[label] = counter
    few, many = runs["few"], runs["many"]
    per = {k: (many.kinds[k] - few.kinds[k]) / EXTRA for k in ("op", "view")}
    lines = [(kind, where, c / EXTRA) for (kind, where), c in
             (many.lines - few.lines).most_common()]
    return {"probes": list(probes), "per_probe_time": per, "lines": lines}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probes", default="errors,correlations,segments")
    ap.add_argument("--top", type=int, default=20, help="source lines to list")
    args = ap.parse_args(argv)
    probes = tuple(p for p in args.probes.split(",") if p)
    from twolayer.probes import REGISTRY

    unknown = [p for p in probes if p not in REGISTRY]
    if unknown:
        print(f"error: --probes: unknown probe(s) {', '.join(unknown)}; known: "
              f"{', '.join(sorted(REGISTRY))}", file=sys.stderr)
        return 2
    res = count(probes)
    per = res["per_probe_time"]
    print(f"{','.join(probes) or '(no probes)'}: {per['op']:.0f} operations and "
          f"{per['view']:.0f} views per probe time")
    for kind, where, c in res["lines"][: args.top]:
        print(f"  {c:6.1f} {kind:4s} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
