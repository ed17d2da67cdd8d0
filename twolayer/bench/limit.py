"""The limit of a step: its two GEMMs, blocked and scheduled exactly as the engine blocks them,
without the elementwise work.

One full-batch GD step of the fused kernel (:class:`twolayer.net.Workspace`) does, per block of
runs × samples: the forward GEMM H = X Wᵀ (then relu, the readout f = H a, the loss coefficient
c, the mask 1[H > 0] and the right-hand side x c — the elementwise work), and the backward GEMM
G += (x c)ᵀ 1[H > 0]. :func:`step_against_limit` times the engine's step (``run`` + ``descend``,
no probes) and a step of only the two GEMMs on the very same block views, worker lanes and
thread count, alternating A B A B in one process, and reports the engine's step as a fraction
of that limit (limit seconds / engine seconds: 1.0 would mean the elementwise work is free).
:func:`profile_step` says where the rest goes: the self CPU time of each op of the engine's step,
summed over all threads (the worker lanes included), from torch's profiler.
"""

from __future__ import annotations

import inspect
import itertools
import os
import statistics
import time

import torch

from .. import net
from ..lanes import pool
from ..net import cpu_kernels, kernel
from ..net.kernel import (
    DESCEND_ROWS,
    FORWARD_RELU_MASK,
    RELU_READOUT_MASK,
    SCALED_ROWS,
    _gemm_acc,
    _take,
)
from ..threads import intra_op_threads, threads_for


def _gemms_only(plan: list) -> None:
    """The forward and backward GEMMs of the given blocks (no relu, readout, loss or mask)."""
    for B in plan:
        torch.bmm(B.xc, B.Wt, out=B.h)
        _gemm_acc(B.G, B.rhsT, B.h, B.first)


# what each op of the one-output step does (net.kernel._run_blocks, Workspace.run / descend)
OP_ROLES = {
    "aten::bmm": "the GEMMs: G = (x c)ᵀ M, and H = X Wᵀ where the C pass does not take it",
    "aten::baddbmm": "the two GEMMs, accumulating over sample blocks",
    "aten::addmv": "readout f = φ(H) a (one matrix–vector product per run)",
    "aten::mv": "readout (the call around addmv)",
    "aten::clamp_min_": "relu φ(H), in place",
    "aten::relu_": "relu (the call around clamp_min_)",
    "aten::gt_": "mask M = 1[H > 0], in place",
    "aten::mul": "margin −y f, right-hand side x c",
    "aten::sigmoid_": "loss coefficient ψ(−y f)",
    "aten::mul_": "c = ψ(−y f) · (−y s)",
    "aten::addcmul_": "update W ← W − α a ⊙ G",
    "aten::softplus": "per-sample loss ℓ",
    "aten::neg": "per-sample loss ℓ",
    "aten::neg_": "labels −y",
    "aten::copy_": "copies (labels, loss)",
    RELU_READOUT_MASK: "relu, readout and mask in one C pass (net.cpu_kernels)",
    SCALED_ROWS: "right-hand side x c (C)",
    FORWARD_RELU_MASK: "forward GEMM H = X Wᵀ with relu, readout and mask in one C pass (AVX-512)",
    DESCEND_ROWS: "update W ← W − α a ⊙ Gᵀ, per block of runs in its worker (C)",
}
GEMM_OPS = ("aten::bmm", "aten::baddbmm")


def profile_step(engine_step, steps: int) -> dict | None:
    """Self CPU time per op of ``steps`` calls of ``engine_step``, summed over every thread
    (torch.profiler with all threads profiled, so the worker lanes count), as ms per step and
    as shares of the total, with the number of calls; None where this torch cannot profile
    other threads. The profiler adds a little to every op, so small ops may weigh more here
    than in an unprofiled step (the profiled steps' wall time is returned for comparison)."""
    try:
        from torch._C._profiler import _ExperimentalConfig

        config = _ExperimentalConfig(profile_all_threads=True)
    except (ImportError, TypeError):  # a torch without all-thread profiling
        return None
    from torch.profiler import ProfilerActivity, profile

    # torch 2.13's profiler (kineto) logs "USDT: ... profiler_start/stop" on stderr at every
    # level it documents; 10 is above them all. A level the user set is kept.
    os.environ.setdefault("KINETO_LOG_LEVEL", "10")
    # acc_events (torch ≥ 2.4): one cycle here, so it changes nothing but the warning of torch
    # 2.11 that events are cleared between cycles
    quiet = {"acc_events": True} if "acc_events" in inspect.signature(profile).parameters else {}
    kernel.NAME_C_PASSES = True  # the fused C passes under their own names
    try:
        with profile(activities=[ProfilerActivity.CPU], experimental_config=config,
                     **quiet) as prof:
            t = time.perf_counter()
            for _ in range(steps):
                engine_step()
            wall = time.perf_counter() - t
    finally:
        kernel.NAME_C_PASSES = False
    ops = [(e.key, e.self_cpu_time_total / 1e3 / steps, e.count / steps)
           for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(ms for _, ms, _ in ops)
    if total <= 0:
        return None
    ops.sort(key=lambda o: -o[1])
    return {
        "ops": [{"op": k, "ms": ms, "share": ms / total, "calls_per_step": c,
                 "role": OP_ROLES.get(k, "")} for k, ms, c in ops],
        "thread_ms_per_step": total,
        "gemm_share": sum(ms for k, ms, _ in ops if k in GEMM_OPS) / total,
        "profiled_step_ms": 1e3 * wall / steps,
        "steps": steps,
    }


def step_against_limit(data, params, lr: float = 0.1, steps: int = 10, rounds: int = 6,
                       device: torch.device | None = None, profile_steps: int = 10) -> dict:
    """Median seconds per step of the engine and of the blocked two-GEMM limit (``rounds``
    alternating rounds of ``steps`` steps each), their ratio, each round's own ratio and their
    median (the paired estimate), and :func:`profile_step`'s breakdown of the engine's step (on
    a CPU; None on a GPU, where the profiler's CPU times would be launch times). Where the
    engine's step takes the fused C pass (:mod:`twolayer.net.cpu_kernels`), the same step with
    PyTorch's three passes is timed in the same rounds too (``torch_passes``)."""
    device = device or torch.device("cpu")
    p = params.to(device).clone()
    data = data.to(device)
    x, y = data.x, data.y.to(data.x.dtype)
    R, n, d = x.shape
    k = threads_for(None, R, n, d, p.m, device)
    engine_s, limit_s, torch_s = [], [], []
    with intra_op_threads(k), torch.no_grad():
        ws = net.Workspace(p, n)
        if p.outputs != 1:
            raise ValueError("the limit is measured for one output (the reference workload)")
        fused = ws.fused is not None
        if fused:  # the same step with PyTorch's three passes instead of the C pass
            with net.use_tuning(fused_cpu=False):
                ws_torch = net.Workspace(p, n)

        def engine_step() -> None:  # as training takes it (GDStepper): gradient and update
            ws.run(p, x, y, "logistic", 1.0 / n, lr=lr)

        def torch_step() -> None:
            ws_torch.run(p, x, y, "logistic", 1.0 / n, lr=lr)

        def limit_step() -> None:  # the engine's own schedule (Workspace.run), GEMMs only
            lanes = ws._lanes(p, x)
            if ws.units is not None:
                counter = itertools.count()
                pool(ws.workers).map(_take, [(lane, counter, _gemms_only, ()) for lane in lanes])
            elif ws.workers:
                pool(ws.workers).map(_gemms_only, [(lane,) for lane in lanes])
            else:
                _gemms_only(lanes[0])

        timed = (engine_step, limit_step, torch_step) if fused else (engine_step, limit_step)
        for fn in timed:  # warm-up
            fn()
        for r in range(rounds):
            order = timed if r % 2 == 0 else timed[::-1]
            for fn in order:
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                t = time.perf_counter()
                for _ in range(steps):
                    fn()
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                {engine_step: engine_s, limit_step: limit_s, torch_step: torch_s}[fn].append(
                    (time.perf_counter() - t) / steps)
        breakdown = profile_step(engine_step, profile_steps) if device.type == "cpu" else None
        if breakdown is not None:
            breakdown["unprofiled_step_ms"] = 1e3 * statistics.median(engine_s)
    e, g = statistics.median(engine_s), statistics.median(limit_s)
    return {"engine_step_ms": 1e3 * e, "limit_step_ms": 1e3 * g, "fraction_of_limit": g / e,
            # each round timed both, one right after the other: the median of the rounds' own
            # ratios is the paired estimate (a change of load between rounds cancels in it)
            "fraction_per_round": (per_round := [lim / eng for lim, eng in zip(limit_s, engine_s)]),
            "fraction_paired_median": statistics.median(per_round),
            "threads": k, "workers": ws.workers, "rounds": rounds, "steps_per_round": steps,
            "cpu_kernels": cpu_kernels.status(), "fused_pass": fused,
            # the same step with the three PyTorch passes (only where the fused pass ran)
            "torch_passes": None if not fused else {
                "step_ms": 1e3 * statistics.median(torch_s),
                "fraction_of_limit": g / statistics.median(torch_s),
                # paired per round: the fused step's speed-up over the PyTorch passes
                "speedup_paired_median": statistics.median(
                    [ts / es for ts, es in zip(torch_s, engine_s)])},
            "profile": breakdown}
