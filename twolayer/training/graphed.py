"""The plain full-batch GD step as a CUDA graph: captured once, replayed at every step.

On a GPU a plain step of a small batch is a few dozen kernels whose launches cost the host
about as long as the device takes to run them (H200, 2026-12-04, the reference step
n = 1000, d = 50, m = 400 at R = 64: 0.46 ms per step for 0.41 ms of kernels, 29 launches).
A CUDA graph records those kernels once and launches them as one unit: the same kernels on the
same buffers in the same order, so the same arithmetic as the eager step, with one launch per
step. On by default on a GPU for trainings of at least :data:`MIN_STEPS` steps
(``Tuning.cuda_graph``; ``net.use_tuning(cuda_graph=False)`` for eager steps) since it was
measured on an H200 (2026-12-04, ``benchmarks/gpu_steps.py``): the same bits as the eager
steps, 1.04x per step at R = 64 (1.30x with the fused pass of :mod:`twolayer.net.gpu_kernels`),
no change at R = 1024, where the device, not the host, bounds the step.

What a captured step may hold: tensor work on buffers that live as long as the stepper (the
workspace's, the parameters', the data's) and no host synchronisation. Python values are frozen
into the graph at capture, so the step counter t that marks the first non-finite step of a run
lives on the device (:class:`StepGraph`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch

# Graphs only for trainings of at least this many steps: recording one has a one-off cost, and a
# replay saved about 0.017 ms per step at R = 64 on the H200 (0.450 -> 0.433 ms; nothing at
# R = 1024), so a short training would not gain.
MIN_STEPS = 500


def supported(device: torch.device) -> bool:
    """Whether steps on ``device`` can be captured (a CUDA device)."""
    return device.type == "cuda"


class CaptureFailed(RuntimeError):
    """The step ran (its warm-up call) but could not be recorded as a graph."""


def capture(body: Callable[[], None], device: torch.device) -> Callable[[], None]:
    """Call ``body`` once eagerly on a side stream (the warm-up: cuBLAS's and Triton's lazy
    set-up happen outside the capture), then record it as a CUDA graph; return its replay.
    The warm-up call is real: its effects are the caller's first step, and its errors are the
    step's. An error while recording raises :class:`CaptureFailed` (the step was taken), with
    the process left as before the recording (:func:`_undo_failed_capture`)."""
    current = torch.cuda.current_stream(device)
    side = torch.cuda.Stream(device)
    side.wait_stream(current)
    with torch.cuda.stream(side):
        body()
    current.wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    pool = torch.cuda.graph_pool_handle()  # this recording's own pool, named for the undo
    try:
        # thread_local: another thread's CUDA calls (a caller's own) cannot break the capture
        with torch.cuda.graph(graph, pool=pool, stream=side, capture_error_mode="thread_local"):
            body()
    except Exception as e:  # noqa: BLE001 - whatever stopped the recording: run eagerly
        _undo_failed_capture(device, current, pool)
        raise CaptureFailed(f"{type(e).__name__}: {e}") from e
    return graph.replay


def _undo_failed_capture(device: torch.device, current: torch.cuda.Stream,
                         pool: tuple[int, int]) -> None:
    """What ``torch.cuda.graph`` leaves behind where its recording fails in the CUDA runtime (a
    host sync, say, invalidates the capture): ``graph.__exit__`` calls ``capture_end``, which
    raises at ``cudaStreamEndCapture`` before it tells the caching allocator that the capture
    ended, and before the stream context is left. Left so, the side stream stays the current
    one, and the allocator counts the capture as under way for the rest of the process: every
    later ``torch.cuda.empty_cache()`` (the first thing every later recording does) fails its
    INTERNAL ASSERT ``captures_underway.empty()``, and cached blocks are no longer released
    (torch 2.5-2.13, c10/cuda/CUDACachingAllocator.cpp). Here the caller's stream is made
    current again, and where the allocator still records into ``pool`` that recording is
    ended and the pool released (what a completed capture's end and its graph's destruction
    would have done)."""
    torch.cuda.set_stream(current)
    index = device.index if device.index is not None else torch.cuda.current_device()
    end = (getattr(torch._C, "_cuda_endAllocateToPool", None)
           or getattr(torch._C, "_cuda_endAllocateCurrentStreamToPool", None))
    try:
        end(index, pool)
    except Exception:  # noqa: BLE001 - not recording into it (ended, or never begun): done
        return
    with contextlib.suppress(Exception):  # (its memory only: the recording has ended)
        torch._C._cuda_releasePool(index, pool)


class StepGraph:
    """One plain step ``step()`` (θ ← θ − α ∇L̂(θ), its losses into the workspace), ``bad()`` ([R]:
    the runs whose loss at that step is not finite) and the divergence mark of
    :class:`~twolayer.training.gd.GDStepper` (``first_bad`` [R], the first step whose loss was
    not finite, −1 while finite; updated in place), captured at the first :meth:`run` and
    replayed after. ``t`` (a device scalar) is the index of the step being taken; :meth:`run`
    sets it from the caller's count where eager steps came in between."""

    def __init__(self, step: Callable[[], None], bad: Callable[[], torch.Tensor],
                 first_bad: torch.Tensor, device: torch.device):
        self.step, self.bad, self.first_bad, self.device = step, bad, first_bad, device
        self.t = torch.zeros((), dtype=torch.long, device=device)
        self.at: int | None = None  # the value in self.t (host mirror), None before the first
        self.replay: Callable[[], None] | None = None
        self.failed: str | None = None  # why the recording failed (the caller steps eagerly)

    def body(self) -> None:
        self.step()
        bad = self.bad()  # [R]: whether run r's loss at this step is not finite
        torch.where((self.first_bad < 0) & bad, self.t, self.first_bad, out=self.first_bad)
        self.t.add_(1)

    def run(self, t: int) -> None:
        """Take step t (capture it first if this is the first). Where the recording fails the
        step is still taken (the warm-up) and :attr:`failed` says why: the caller then takes
        its later steps eagerly (the same arithmetic)."""
        if self.at != t:
            self.t.fill_(t)
        self.at = t + 1
        if self.replay is None:
            try:
                self.replay = capture(self.body, self.device)
            except CaptureFailed as e:
                self.failed = str(e)
        else:
            self.replay()


class ProbeGraph:
    """A probe time's device work, captured at the first probe time and replayed at the later
    ones: ``body(t)`` (t a device scalar, the probe time) takes the gradient at θ_t, marks the
    runs whose loss or parameters are not finite, runs the probes and packs their outputs into
    one float32 vector, and returns (that vector, each output's shape by key). The host
    then makes one copy of the vector (:meth:`run` returns it on the device)."""

    def __init__(self, body: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
                 device: torch.device):
        self.body, self.device = body, device
        self.t = torch.zeros((), dtype=torch.long, device=device)
        self.replay: Callable[[], None] | None = None
        self.failed: str | None = None
        # (vector, shapes) of the body's Python calls: the warm-up's, then the recording's,
        # whose tensors every replay rewrites (a replay makes no Python call)
        self.calls: list[tuple[torch.Tensor, dict]] = []

    def _call(self) -> None:
        self.calls.append(self.body(self.t))

    def run(self, t: int) -> tuple[torch.Tensor, dict]:
        """The packed outputs at probe time t (captured at the first call: its warm-up call's
        outputs; where the recording fails, :attr:`failed` says why and the caller probes
        eagerly from then on)."""
        self.t.fill_(t)
        if self.replay is None:
            try:
                self.replay = capture(self._call, self.device)
            except CaptureFailed as e:
                self.failed = str(e)
            first, self.calls = self.calls[0], self.calls[1:]
            return first
        self.replay()
        self.calls = self.calls[-1:]  # the recorded outputs (the newest call's)
        return self.calls[0]
