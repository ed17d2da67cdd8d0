"""Stopping a command cleanly: SIGINT and SIGTERM become exceptions in the main thread.

Python turns SIGINT (Ctrl-C) into :class:`KeyboardInterrupt` in the main thread; SIGTERM (what
``kill``, SLURM and container runtimes send) would end the process at once, leaving pools and
temporary files behind. Inside :func:`stop_on_signals` SIGTERM raises :class:`Terminated` in the
main thread instead, so the same ``try``/``finally`` blocks that handle Ctrl-C (cancelling a
process pool, removing a half-written temporary file, releasing a store's lock) run for both.
Both derive from :class:`BaseException`, so an ``except Exception`` never swallows them.

:func:`twolayer.cli.main` maps them to the conventional exit statuses 130 (128 + SIGINT) and
143 (128 + SIGTERM) with one line on stderr.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_SIGINT = 128 + int(signal.SIGINT)  # 130
EXIT_SIGTERM = 128 + int(signal.SIGTERM)  # 143


class Terminated(BaseException):
    """SIGTERM received (raised in the main thread inside :func:`stop_on_signals`)."""

    def __init__(self, signum: int = int(signal.SIGTERM)):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Terminated, (self.signum,))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT / SIGTERM raises; later ones are ignored, so that a second Ctrl-C does
    not break the clean-up the first one started (SIGKILL still ends the process)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is _interrupt:
            signal.signal(sig, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Run the block with SIGTERM raising :class:`Terminated` and SIGINT raising
    KeyboardInterrupt, once (see :func:`_interrupt`). A SIGINT that the parent ignores (a
    background job of a non-interactive shell) stays ignored. Outside the main thread, where
    Python cannot install handlers, it does nothing. The previous handlers are restored
    afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, old in before.items():
        if old is not signal.SIG_IGN:
            signal.signal(sig, _interrupt)
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


def exit_status(exc: BaseException) -> int:
    """130 for KeyboardInterrupt (SIGINT), 128 + signum for :class:`Terminated`."""
    if isinstance(exc, Terminated):
        return 128 + exc.signum
    return EXIT_SIGINT


def signal_name(exc: BaseException) -> str:
    """SIGINT or SIGTERM, for the one-line message."""
    return exc.name if isinstance(exc, Terminated) else "SIGINT"
