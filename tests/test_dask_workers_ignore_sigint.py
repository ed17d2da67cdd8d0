"""The Dask LocalCluster's workers ignore SIGINT (session 49): a terminal's Ctrl-C reaches the
whole process group, and each worker printed its KeyboardInterrupt traceback around the sweep's
one line (29-67 lines in 4 of 7 tries of a helper, SIGINT 2.2-4 s into the sweep; measured
after: none once the workers run, tracebacks left only while they start, 1.6-2.0 s in)."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")


def _sigint_disposition() -> str:
    import signal

    return "ignored" if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else "handled"


def test_the_local_clusters_workers_ignore_sigint() -> None:
    from twolayer.sweep.executors import DaskExecutor

    ex = DaskExecutor(workers=1, threads=1)
    try:
        ex.local_cluster(1)
        got = ex.client.run(_sigint_disposition)
        assert got and set(got.values()) == {"ignored"}, got
    finally:
        ex.close()


# Session 50: the workers also start with SIGINT blocked, so that a Ctrl-C while they still
# import waits in them until the preload ignores it. multiprocessing's resource tracker, started
# by the first queue the cluster's event-loop thread made, unblocked SIGINT in that thread (it
# unblocks whatever the mask was), and the workers it then spawned started unblocked: a Ctrl-C
# 3.8-4.7 s into a 2-worker sweep printed a traceback in 5 of 12 tries on the session's host.
# Each check runs in a new interpreter: in the test worker a tracker may already run.

_CHILD_MASK = r"""
import multiprocessing as mp, signal, sys, threading
from twolayer.sweep.executors import sigint_blocked_for_children

def report(q):
    q.put(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))

def spawn_from_a_thread(out):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()          # the first queue: starts the resource tracker (unless running)
    p = ctx.Process(target=report, args=(q,))
    p.start(); out.append(q.get(timeout=120)); p.join()

if __name__ == "__main__":
    out = []
    with sigint_blocked_for_children():
        t = threading.Thread(target=spawn_from_a_thread, args=(out,))
        t.start(); t.join()
    print(out[0])
"""

_CLUSTER_MASK = r"""
from twolayer.sweep.executors import DaskExecutor

def started_blocked():
    from twolayer.sweep import dask_worker_setup
    return dask_worker_setup.blocked_at_start

if __name__ == "__main__":
    ex = DaskExecutor(workers=1, threads=1)
    try:
        ex.local_cluster(1)
        print(sorted(set(ex.client.run(started_blocked).values())))
    finally:
        ex.close()
"""


def _run_fresh(tmp_path, source: str) -> str:
    import subprocess
    import sys

    script = tmp_path / "probe.py"
    script.write_text(source)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"),
                    reason="no POSIX signal masks here")
def test_a_process_spawned_by_a_thread_made_in_the_block_starts_blocked(tmp_path) -> None:
    """The oracle is the child's own report of its mask; the thread that spawns it makes the
    process's first multiprocessing queue (as distributed's event-loop thread does)."""
    assert _run_fresh(tmp_path, _CHILD_MASK) == "True"


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"),
                    reason="no POSIX signal masks here")
def test_the_local_clusters_workers_start_with_sigint_blocked(tmp_path) -> None:
    assert _run_fresh(tmp_path, _CLUSTER_MASK) == "[True]"
