"""CPU worker lanes: a pool of threads, each running torch ops on one intra-op thread (the
network kernel's blocks of runs, the data samplers' runs)."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch


class Pool:
    """k daemon threads, each running torch ops on one intra-op thread of its own.

    On a CPU with k cores, k independent streams of single-threaded ops (each on its own blocks
    of runs) beat one stream of ops that are each split over k OpenMP threads: no barrier per
    op, and every block stays in the cache of the core that made it. The calling thread keeps
    its own intra-op setting."""

    def __init__(self, k: int):
        self.k = k
        self.tasks: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(k)]
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()  # one caller at a time
        threads = torch.get_num_threads()
        ready = threading.Barrier(k + 1)
        for i in range(k):
            threading.Thread(target=self._loop, args=(i, ready), daemon=True,
                             name=f"twolayer-worker-{i}").start()
        ready.wait()
        torch.set_num_threads(threads)  # the process default, for threads started later

    def _loop(self, i: int, ready: threading.Barrier) -> None:
        _WORKER.active = True
        # This thread's OpenMP and MKL setting, pinned: PyTorch initialises a thread's count
        # lazily, at its first get_num_threads() or parallel op, from the process-wide value
        # last set by any thread, and set_num_threads() alone does not count as that
        # initialisation. Without the first call here the worker took the caller's count at its
        # first op (e.g. 2 where the pool was created under 2 threads: two OpenMP threads per
        # lane, and a data draw in the lanes whose bits differed from one drawn in the caller,
        # tests/test_lanes_threads.py).
        torch.get_num_threads()
        torch.set_num_threads(1)
        torch.set_grad_enabled(False)  # grad mode is per thread
        ready.wait()
        while True:
            fn, args = self.tasks[i].get()
            error: BaseException | None = None
            try:
                fn(*args)
            except BaseException as e:  # re-raised in the caller
                error = e
            # Drop the task before reporting it done: an idle worker that kept its last task
            # kept that task's tensors alive (the block views of a workspace, hence its buffers
            # and the data) until its next task, e.g. a probe's [R, d, m] gradient accumulator
            # through the next training step, or 1.3 GB after frei2023's deep setting returned.
            del fn, args
            self.done.put(error)
            del error

    def map(self, fn: Callable[..., None], parts: list[tuple]) -> None:
        """fn(*parts[i]) on worker i, for all i at once; returns when all are done."""
        with self.lock:
            for i, args in enumerate(parts):
                self.tasks[i].put((fn, args))
            # Wait for every running part even if interrupted (Ctrl-C raises here): unwinding
            # while workers are inside torch ops let the interpreter finalise under them and
            # abort with "terminate called without an active exception" (exit 134).
            errors: list[BaseException | None] = []
            interrupt: BaseException | None = None
            while len(errors) < len(parts):
                try:
                    errors.append(self.done.get())
                except BaseException as e:  # noqa: BLE001 - re-raised below
                    interrupt = interrupt or e
            if interrupt is not None:
                raise interrupt
        for e in errors:
            if e is not None:
                raise e


_POOLS: dict[tuple[int, int], Pool] = {}
_WORKER = threading.local()
_POOL_LOCK = threading.Lock()


def pool(k: int) -> Pool:
    """The process's pool of k workers (a forked child starts its own: threads do not fork)."""
    key = (k, os.getpid())
    with _POOL_LOCK:
        if key not in _POOLS:
            _POOLS[key] = Pool(k)
        return _POOLS[key]


def in_worker() -> bool:
    """Whether the calling thread is one of the pools' workers (which never start lanes)."""
    return getattr(_WORKER, "active", False)


@contextmanager
def intra_op_threads(k: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(k)`` and restore the previous count."""
    before = torch.get_num_threads()
    if k == before:
        yield
        return
    torch.set_num_threads(k)
    try:
        yield
    finally:
        torch.set_num_threads(before)
