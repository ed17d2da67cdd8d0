"""Run a function over items in spawned worker processes (``check --jobs``, ``Runs.prefetch``).

The workers ignore Ctrl-C: the parent gets it and terminates them itself (one message, not one
traceback per worker). If the parent is interrupted, or a worker fails while its error is to be
raised, the other workers are terminated at once (what they finished stays where they wrote it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C goes to the parent, which stops the workers itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_spawned(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int,
                keep_errors: bool = False) -> list[Any]:
    """``fn(item)`` for every item, in the order given, from ``jobs`` spawned processes (``fn``
    and the items must pickle). ``keep_errors``: an item whose call raised an Exception has
    that exception in its place instead of stopping the rest."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=ignore_interrupts)
    try:
        futures = [pool.submit(fn, item) for item in items]
        results: list[Any] = []
        for f in futures:
            try:
                results.append(f.result())
            except Exception as e:
                if not keep_errors:
                    raise
                results.append(e)
    except BaseException:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results
