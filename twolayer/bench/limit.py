"""The limit of a step: its two GEMMs, blocked and scheduled exactly as the engine blocks them,
without the elementwise work.

One full-batch GD step of the fused kernel (:class:`twolayer.net.Workspace`) does, per block of
runs × samples: the forward GEMM H = X Wᵀ (then relu, the readout f = H a, the loss coefficient
c, the mask 1[H > 0] and the right-hand side x c — the elementwise work), and the backward GEMM
G += (x c)ᵀ 1[H > 0]. :func:`step_against_limit` times the engine's step (``run`` + ``descend``,
no probes) and a step of only the two GEMMs on the very same block views, worker lanes and
thread count, alternating A B A B in one process, and reports the engine's step as a fraction
of that limit (limit seconds / engine seconds: 1.0 would mean the elementwise work is free).
"""

from __future__ import annotations

import itertools
import statistics
import time

import torch

from .. import net
from ..net.kernel import _gemm_acc, _take
from ..net.lanes import pool
from ..threads import intra_op_threads, threads_for


def _gemms_only(plan: list) -> None:
    """The forward and backward GEMMs of the given blocks (no relu, readout, loss or mask)."""
    for B in plan:
        torch.bmm(B.xc, B.Wt, out=B.h)
        _gemm_acc(B.G, B.rhsT, B.h, B.first)


def step_against_limit(data, params, lr: float = 0.1, steps: int = 10, rounds: int = 6,
                       device: torch.device | None = None) -> dict:
    """Median seconds per step of the engine and of the blocked two-GEMM limit (``rounds``
    alternating rounds of ``steps`` steps each), and their ratio."""
    device = device or torch.device("cpu")
    p = params.to(device).clone()
    data = data.to(device)
    x, y = data.x, data.y.to(data.x.dtype)
    R, n, d = x.shape
    k = threads_for(None, R, n, d, p.m, device)
    engine_s, limit_s = [], []
    with intra_op_threads(k), torch.no_grad():
        ws = net.Workspace(p, n)
        if p.outputs != 1:
            raise ValueError("the limit is measured for one output (the reference workload)")

        def engine_step() -> None:
            ws.run(p, x, y, "logistic", 1.0 / n)
            ws.descend(p, lr)

        def limit_step() -> None:  # the engine's own schedule (Workspace.run), GEMMs only
            lanes = ws._lanes(p, x)
            if ws.units is not None:
                counter = itertools.count()
                pool(ws.workers).map(_take, [(lane, counter, _gemms_only, ()) for lane in lanes])
            elif ws.workers:
                pool(ws.workers).map(_gemms_only, [(lane,) for lane in lanes])
            else:
                _gemms_only(lanes[0])

        for fn in (engine_step, limit_step):  # warm-up
            fn()
        for r in range(rounds):
            order = (engine_step, limit_step) if r % 2 == 0 else (limit_step, engine_step)
            for fn in order:
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                t = time.perf_counter()
                for _ in range(steps):
                    fn()
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                (engine_s if fn is engine_step else limit_s).append(
                    (time.perf_counter() - t) / steps)
    e, g = statistics.median(engine_s), statistics.median(limit_s)
    return {"engine_step_ms": 1e3 * e, "limit_step_ms": 1e3 * g, "fraction_of_limit": g / e,
            "threads": k, "workers": ws.workers, "rounds": rounds, "steps_per_round": steps}
