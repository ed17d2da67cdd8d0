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
