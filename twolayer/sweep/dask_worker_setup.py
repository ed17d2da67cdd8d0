"""Preloaded by the worker processes of the Dask LocalCluster that ``twolayer sweep --executor
dask`` starts (``LocalCluster(preload=[...])``): SIGINT ignored there, as in the local pool's
workers. A terminal's Ctrl-C goes to the whole process group; the sweep's own process handles
it (one line, the cluster closed), and the workers printed a KeyboardInterrupt traceback each
until session 49. The workers start with SIGINT blocked (inherited from the thread that starts
the cluster: ``executors.sigint_blocked_for_children``), so a Ctrl-C while they still import
waits in them until this ignores it and unblocks it (since session 50)."""

from __future__ import annotations

import signal
from typing import Any

# whether SIGINT was blocked in this worker when the preload ran (what it started with): read by
# the tests through the client (tests/test_dask_workers_ignore_sigint.py)
blocked_at_start: bool | None = None


def dask_setup(worker: Any) -> None:  # noqa: ARG001 - distributed's preload protocol
    global blocked_at_start
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with SIGINT blocked: a pending one dropped
        blocked_at_start = signal.SIGINT in signal.pthread_sigmask(signal.SIG_UNBLOCK,
                                                                   {signal.SIGINT})
