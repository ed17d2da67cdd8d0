"""A Ctrl-C while the local pool's spawned workers are still starting: each worker ignored
SIGINT only from its initialiser on, after its interpreter had started and imported, so a
Ctrl-C in that window raised KeyboardInterrupt inside ``spawn_main`` and printed a traceback
above the parent's one-line message (found by a new-user run, 1 interrupt in 18). The workers
now start with SIGINT blocked, inherited from the thread that spawns them, and the initialiser
ignores it before unblocking it. The oracle is the kernel's view: the signal mask and the
disposition each process reports about itself."""

from __future__ import annotations

import multiprocessing as mp
import signal
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from twolayer.sweep.executors import init_local_worker, sigint_blocked_for_children

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"),
                                reason="no POSIX signal masks here")

REPORT = ("import signal; print(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))")


def _blocked_at_start() -> bool:
    """Whether a freshly started Python process has SIGINT blocked when its first line runs."""
    out = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True,
                         check=True).stdout.strip()
    return out == "True"


def test_a_process_started_in_the_block_has_sigint_blocked_from_its_first_line():
    assert not _blocked_at_start()
    with sigint_blocked_for_children():
        assert _blocked_at_start()
    assert not _blocked_at_start()
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_the_initialiser_ignores_sigint_then_unblocks_it():
    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"),
                               initializer=init_local_worker, initargs=(1,))
    try:
        with sigint_blocked_for_children():
            mask = pool.submit(signal.pthread_sigmask, signal.SIG_BLOCK, [])
        handler = pool.submit(signal.getsignal, signal.SIGINT)
        assert signal.SIGINT not in mask.result(timeout=120)
        assert handler.result(timeout=120) == signal.SIG_IGN
    finally:
        pool.shutdown(wait=True)


def test_a_ctrl_c_in_the_parent_during_the_block_is_not_lost():
    """A SIGINT sent to the blocked thread waits, and is raised when the block ends."""
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with sigint_blocked_for_children():
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
            reached.append("end of block")
    assert reached == ["end of block"]


def test_the_local_pool_submits_with_sigint_blocked_and_the_new_initialiser(monkeypatch):
    """LocalExecutor.run spawns its workers (at submit) inside the block, with the initialiser
    that unblocks: a stand-in pool records what the real one would have started with."""
    import concurrent.futures as cf

    from twolayer.sweep import executors

    seen: dict = {"blocked": []}

    class Pool:
        def __init__(self, *, initializer, **kw):
            seen["initializer"] = initializer

        def submit(self, fn, *args):
            seen["blocked"].append(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
            fut: cf.Future = cf.Future()
            fut.set_result([])
            return fut

        def shutdown(self, wait=True, cancel_futures=False):
            pass

    monkeypatch.setattr(cf, "ProcessPoolExecutor", Pool)
    out = list(executors.LocalExecutor(workers=2, threads=1).run(["task a", "task b"]))
    assert sorted(i for i, _ in out) == [0, 1]
    assert seen["blocked"] == [True, True] and seen["initializer"] is init_local_worker
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
