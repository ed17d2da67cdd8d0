"""Block planning: how the [R, n, m] activations are cut into blocks and shared out to lanes,
and the tuning knobs that decide it (:class:`Tuning`, :func:`tuning`, :func:`use_tuning`)."""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ..lanes import in_worker

# Memory budget of one chunk: R · chunk · m activation elements (64 MiB in float32).
DEFAULT_CHUNK_ELEMENTS = 1 << 24
# On a GPU the budget is this fraction of its free memory, in 8-byte elements (a block holds
# its activations and, with in-step group gradients, a float64 copy of them: ~2 buffers)
CUDA_FREE_FRACTION = 0.25


@dataclass(frozen=True)
class Tuning:
    """The kernels' tuning knobs (numbers are unchanged by them, up to the order of float
    additions; tests switch them to reach every code path).

    cache_block_elements: CPU activation elements per core in one block (4 MiB in float32; tuned
    on a 2-core EPYC). threaded: share blocks of runs out to one worker thread per core
    (:class:`lanes.Pool`); False: OpenMP only. dynamic: the workers take the next block of runs
    from a shared counter (a slow core takes fewer) instead of a fixed share each; only when the
    lanes do not split samples. worker_min_elements: the worker threads are used from this many
    [R, n, m] activation elements on. layout_entries: entries (runs × samples) of the grouped
    pass laid out at once (bounds its index tensors). batched_groups: the group GEMMs of a step
    with in-step group gradients (:class:`grouped.GroupSplit`) as one padded batched GEMM per
    group and block instead of one GEMM per run and group (None: batched on a GPU, where the
    per-run GEMMs are thousands of kernel launches; per run on a CPU, where they are cheap).
    fused_cpu: the one-output CPU kernel's relu, readout and mask in one C pass
    (:mod:`twolayer.net.cpu_kernels`) where the extension is built and the CPU has AVX2 and FMA;
    False: the three PyTorch ops. fused_gpu: the same three as one Triton kernel on a GPU
    (:mod:`twolayer.net.gpu_kernels`, where ``triton`` imports and its self test passes; the
    same numbers to float rounding). cuda_graph: a plain full-batch GD step on a GPU captured
    once as a CUDA graph and replayed (:mod:`twolayer.training.graphed`: one launch per step
    instead of a few dozen; the same kernels, the same bits; in trainings of at least
    ``graphed.MIN_STEPS`` = 500 steps). Both on by default since they were
    measured on an H200 (docs/benchmarks.md, "GPU"). probe_graph: with cuda_graph, a probe
    time's gradient and default probes captured once and replayed too
    (:class:`twolayer.training.graphed.ProbeGraph`); off until measured on a GPU.
    fused_gpu_forward: with fused_gpu, the forward GEMM joins the Triton pass (H = X Wᵀ + b tile
    by tile in registers, never written: :func:`twolayer.net.gpu_kernels.forward_relu_readout_mask`;
    float32, d <= 128); off until measured on a GPU. fused_gpu_backward: with fused_gpu, the
    backward GEMM G = [c ⊙ x, c]ᵀ M as a Triton kernel that forms its right-hand side in
    registers (:func:`twolayer.net.gpu_kernels.backward_gemm`); with fused_gpu_forward as well,
    the mask M is written and read as one byte per entry instead of four; float32, d <= 128;
    off until measured on a GPU."""

    cache_block_elements: int = 1 << 20
    threaded: bool = True
    dynamic: bool = True
    worker_min_elements: int = 1 << 22
    layout_entries: int = 1 << 18
    batched_groups: bool | None = None
    fused_cpu: bool = True
    fused_gpu: bool = True
    cuda_graph: bool = True
    probe_graph: bool = False
    fused_gpu_forward: bool = False
    fused_gpu_backward: bool = False


DEFAULT_TUNING = Tuning()
_TUNING: contextvars.ContextVar[Tuning | None] = contextvars.ContextVar("twolayer_net_tuning",
                                                                         default=None)


def tuning() -> Tuning:
    """The tuning in effect (:data:`DEFAULT_TUNING` unless inside :func:`use_tuning`)."""
    return _TUNING.get() or DEFAULT_TUNING


@contextmanager
def use_tuning(tuning: Tuning | None = None, **changes: int | bool) -> Iterator[Tuning]:
    """Run the block under ``tuning`` (default: the current one) with ``changes`` applied, e.g.
    ``with net.use_tuning(worker_min_elements=0): ...``; the previous tuning is restored."""
    new = dataclasses.replace(tuning or _TUNING.get() or DEFAULT_TUNING, **changes)
    token = _TUNING.set(new)
    try:
        yield new
    finally:
        _TUNING.reset(token)


def cuda_free_bytes(device: torch.device) -> int | None:
    """Bytes a CUDA device can still give this process: the driver's free memory
    (``torch.cuda.mem_get_info``) plus what PyTorch's caching allocator holds without using it
    (reserved − allocated, which the driver counts as used), so that a later call in the same
    process sees the memory an earlier one released. None when it cannot be read."""
    try:
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    except Exception:  # no driver, or a device that cannot be queried
        return None
    return int(free) + max(0, int(cached))


def device_budget(device: torch.device, budget: int | None = None) -> int:
    """Activation elements per block: ``budget`` when given (``--budget``); on a CUDA device
    :data:`CUDA_FREE_FRACTION` of the memory it can give (:func:`cuda_free_bytes`) in 8-byte
    elements, at least :data:`DEFAULT_CHUNK_ELEMENTS`; on a CPU :data:`DEFAULT_CHUNK_ELEMENTS`
    (the blocks there are sized for the caches, :func:`block_shape`)."""
    if budget is not None:
        return max(1, int(budget))
    if device.type == "cuda":
        free = cuda_free_bytes(device)
        if free is None:  # cannot be read: the fixed budget
            return DEFAULT_CHUNK_ELEMENTS
        return max(DEFAULT_CHUNK_ELEMENTS, int(free * CUDA_FREE_FRACTION) // 8)
    return DEFAULT_CHUNK_ELEMENTS


def bounds_group_buffers(device: torch.device) -> bool:
    """Whether the group-gradient buffers (sized by runs per block, not by samples) are held to
    the block budget on ``device``: on a GPU, where a block can hold every run (R·S·(d+1)·m
    entries, e.g. 120 GB at R = 1024, d = 5000, m = 400, S + 1 = 5); not on a CPU, where a block
    holds the few runs that fit its cache (:func:`block_shape`), and where bounding them would
    change the blocks, and so the float rounding, of records already made."""
    return device.type != "cpu"


def group_runs(rc: int, per_run: int, budget: int, device: torch.device) -> int:
    """Runs per block for buffers of ``per_run`` 8-byte elements per run: ``rc``, at most
    budget // per_run (at least 1) where :func:`bounds_group_buffers`."""
    if not bounds_group_buffers(device):
        return rc
    return max(1, min(rc, budget // max(1, per_run)))


def chunks(n: int, runs: int, m: int, budget: int = DEFAULT_CHUNK_ELEMENTS) -> Iterator[slice]:
    """Slices of the sample axis so that runs · len(slice) · m ≤ budget (at least one sample)."""
    size = max(1, budget // max(1, runs * m))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def block_shape(
    runs: int,
    n: int,
    m: int,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
    device: torch.device | None = None,
    threads: int | None = None,
) -> tuple[int, int]:
    """(runs, samples) of one block of the [R, n, m] activations: at most ``budget`` elements
    (at least one sample of one run). On the CPU a block is also kept near
    ``Tuning.cache_block_elements`` per intra-op thread, so that it stays in cache between
    the passes of one step (measured: ~2.5× faster than one huge block); on a GPU the budget
    alone rules. Whole runs are preferred (every run's samples in one block, several runs per
    block)."""
    limit = max(1, budget)
    if device is None or device.type == "cpu":
        threads = torch.get_num_threads() if threads is None else threads
        limit = min(limit, tuning().cache_block_elements * max(1, threads))
    per_run = max(1, n * m)
    if per_run <= limit:
        return max(1, min(runs, limit // per_run)), n
    return 1, max(1, min(n, limit // max(1, m)))


def blocks(runs: int, n: int, shape: tuple[int, int]) -> Iterator[tuple[slice, slice]]:
    """(run slice, sample slice) pairs covering [0, runs) × [0, n), samples varying fastest."""
    rc, nc = shape
    for r0 in range(0, runs, rc):
        rs = slice(r0, min(runs, r0 + rc))
        for n0 in range(0, n, nc):
            yield rs, slice(n0, min(n, n0 + nc))


def worker_threads(runs: int, n: int, m: int, budget: int, device: torch.device) -> int:
    """How many worker threads the kernels use: the intra-op thread count on a CPU (0 on a GPU,
    with one intra-op thread, with ``threaded`` off, inside a worker, or for less than
    ``worker_min_elements`` activations, where a step takes a millisecond or two and OpenMP
    inside each op does as well)."""
    k = torch.get_num_threads()
    tune = tuning()
    if device.type != "cpu" or k < 2 or not tune.threaded or in_worker():
        return 0
    return k if runs * n * m >= tune.worker_min_elements else 0


def lane_plan(
    runs: int, n: int, m: int, budget: int, device: torch.device, k: int
) -> tuple[tuple[int, int], list[list[tuple[slice, slice]]], bool]:
    """(block shape, the blocks of each of max(1, k) lanes, whether the lanes split samples).

    With enough blocks of runs (at least 4 per lane) the lanes take blocks of runs in turn (all
    sample blocks of a run on the same lane); otherwise every run's samples are cut into k
    ranges, one per lane, so that even a single run keeps all cores busy (each lane then
    accumulates its own gradient, summed at the end)."""
    if k < 2:
        shape = block_shape(runs, n, m, budget, device)
        return shape, [list(blocks(runs, n, shape))], False
    rc, nc = block_shape(runs, n, m, budget, device, threads=1)
    if -(-runs // rc) >= 4 * k:  # blocks of runs in turn; a run's sample blocks stay together
        lanes: list[list[tuple[slice, slice]]] = [[] for _ in range(k)]
        for rs, ns in blocks(runs, n, (rc, nc)):
            lanes[(rs.start // rc) % k].append((rs, ns))
        return (rc, nc), lanes, False
    part = -(-n // k)
    nc = min(nc, part)
    lanes = []
    for i in range(k):
        lo, hi = min(n, i * part), min(n, (i + 1) * part)
        lanes.append([(rs, slice(lo + ns.start, lo + ns.stop))
                      for rs, ns in blocks(runs, hi - lo, (rc, nc))])
    return (rc, nc), lanes, True
