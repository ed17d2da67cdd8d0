"""How many CPU threads a training call uses (``Runtime.threads``, ``--threads``).

A step of a small problem (R·n·d·m below :data:`SMALL_STEP_WORK`, the size of its two
GEMMs) takes a millisecond or two, made of many small tensor ops. Split over OpenMP threads,
every op ends at a barrier; when the cores are shared with other processes (a laptop running
other work, a CI runner, several jobs on one node) a descheduled thread stalls each barrier,
and such steps ran 10–20× slower with 2 threads than with one on the 2-core machine of
docs/benchmarks.md. On a quiet machine one thread is about as fast for these sizes. So by
default ("auto") a training call on a CPU runs small problems on one intra-op thread and
leaves larger ones to the process setting (where :mod:`twolayer.net`'s kernel splits the work
into per-core lanes itself).

An integer ``threads`` sets the intra-op thread count for the call whatever the size. The
process setting is restored when the call returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from .lanes import intra_op_threads

SMALL_STEP_WORK = 1 << 27  # R·n·d·m below this (~1.3·10^8) → one thread under "auto"

F = TypeVar("F", bound=Callable[..., Any])


def threads_for(threads: int | None, runs: int, n: int, d: int, m: int,
                device: torch.device) -> int:
    """The intra-op thread count for a call on ``device`` with R = ``runs``, n samples of
    dimension d and m neurons: ``threads`` when given; under auto (None) 1 for R·n·d·m < 2^27 on
    a CPU, else the process setting (``torch.get_num_threads()``)."""
    if threads is not None:
        return threads
    if device.type == "cpu" and runs * n * d * m < SMALL_STEP_WORK:
        return 1
    return torch.get_num_threads()


def with_thread_policy(train: F) -> F:
    """Decorate ``train(params, data, cfg, times, probes, runtime, ...)``: run it under the
    thread count :func:`threads_for` picks from ``runtime.threads`` and the problem's size
    (params.W [R, m, d], data.x [R, n, d])."""

    @functools.wraps(train)
    def wrapped(params: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = kwargs.get("runtime", args[3] if len(args) > 3 else None)
        threads = getattr(runtime, "threads", None)
        device = runtime.torch_device if runtime is not None else params.W.device
        R, m, d = params.W.shape
        k = threads_for(threads, R, data.x.shape[1], d, m, device)
        with intra_op_threads(k):
            return train(params, data, *args, **kwargs)

    return wrapped  # type: ignore[return-value]
