"""Preloaded by the worker processes of the Dask LocalCluster that ``twolayer sweep --executor
dask`` starts (``LocalCluster(preload=[...])``): SIGINT ignored there, as in the local pool's
workers. A terminal's Ctrl-C goes to the whole process group; the sweep's own process handles
it (one line, the cluster closed), and the workers printed a KeyboardInterrupt traceback each
until session 49."""

from __future__ import annotations

import signal
from typing import Any


def dask_setup(worker: Any) -> None:  # noqa: ARG001 - distributed's preload protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)
