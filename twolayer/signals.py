"""Stopping a command cleanly: SIGINT and SIGTERM become exceptions in the main thread.

Python turns SIGINT (Ctrl-C) into :class:`KeyboardInterrupt` in the main thread; SIGTERM (what
``kill``, SLURM and container runtimes send) would end the process at once, leaving pools and
temporary files behind. Inside :func:`stop_on_signals` SIGTERM raises :class:`Terminated` in the
main thread instead, so the same ``try``/``finally`` blocks that handle Ctrl-C (cancelling a
process pool, removing a half-written temporary file, releasing a store's lock) run for both.
Both derive from :class:`BaseException`, so an ``except Exception`` never swallows them, and
:class:`Terminated` derives from KeyboardInterrupt: CPython itself clears any other exception a
signal handler raises inside its compiler's constant folding (``make_const`` in
``Python/ast_opt.c`` keeps only a KeyboardInterrupt), so a SIGTERM that landed while a module
compiled (a first run, or ``PYTHONDONTWRITEBYTECODE``) was lost there (3 of 225 SIGTERMs sent
50-110 ms into ``twolayer simulate --out``; none of 1,311 as a KeyboardInterrupt). Code that
tells the two apart checks :class:`Terminated` first (:func:`exit_status`).

:func:`twolayer.cli.main` maps them to the conventional exit statuses 130 (128 + SIGINT) and
143 (128 + SIGTERM) with one line on stderr.

A signal handler raises in whatever Python code the main thread runs at that moment. Where that
is a weakref callback, a ``__del__`` or another place where Python drops exceptions
(``sys.unraisablehook``), or code that swallows every exception, the interrupt would be lost
and the command would run on and exit 0. Inside :func:`stop_on_signals` it is not: a dropped
interrupt is raised again about 10 ms later in ordinary code (a one-shot SIGALRM timer, where
the platform has ``setitimer``), the handlers are armed again meanwhile, and a block that ends
normally after a signal raised it anyway, so the command still ends with 130 or 143. Where
the interrupt was turned into another exception (Python 3.11 wraps any exception raised in a
descriptor's ``__set_name__``, as in a dataclass's field while a module is imported, in a
RuntimeError), the block raises the interrupt instead, chained to what it became.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_SIGINT = 128 + int(signal.SIGINT)  # 130
EXIT_SIGTERM = 128 + int(signal.SIGTERM)  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM received (raised in the main thread inside :func:`stop_on_signals`). A
    KeyboardInterrupt, so that CPython's compiler does not clear it (module docstring); an
    ``except`` that must tell SIGTERM from SIGINT names this class first."""

    def __init__(self, signum: int = int(signal.SIGTERM)):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Terminated, (self.signum,))


class _State:
    """The signal the handler raised for in the active :func:`stop_on_signals` block (None:
    none yet), and what the block replaced: the unraisable hook and the SIGALRM handler."""

    pending: int | None = None
    armed: tuple[int, ...] = ()  # the signals the block handles (not those ignored before it)
    handed: tuple[int, ...] = ()  # blocked by hand_over, unblocked by the next block's start
    hook_before = None
    alarm_before = None


def _exception(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT / SIGTERM raises; later ones are ignored, so that a second Ctrl-C does
    not break the clean-up the first one started (SIGKILL still ends the process)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is _interrupt:
            signal.signal(sig, signal.SIG_IGN)
    _State.pending = signum
    raise _exception(signum)


def _arm() -> None:
    for sig in _State.armed:
        signal.signal(sig, _interrupt)


def _again(signum: int, frame: FrameType | None) -> None:
    """SIGALRM after a dropped interrupt: raise it again, now in ordinary code."""
    signal.signal(signal.SIGALRM, _State.alarm_before or signal.SIG_DFL)
    if _State.pending is not None:
        _interrupt(_State.pending, frame)


def _dropped(unraisable) -> None:  # type: ignore[no-untyped-def]
    """``sys.unraisablehook`` inside :func:`stop_on_signals`: the handler's interrupt raised where
    Python drops exceptions is delivered again (handlers armed again, a one-shot 10 ms SIGALRM
    that raises it); anything else goes to the hook that was in place before."""
    if (_State.pending is not None and threading.current_thread() is threading.main_thread()
            and isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated))):
        _arm()
        if hasattr(signal, "setitimer"):
            signal.signal(signal.SIGALRM, _again)
            signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    (_State.hook_before or sys.__unraisablehook__)(unraisable)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Run the block with SIGTERM raising :class:`Terminated` and SIGINT raising
    KeyboardInterrupt, once (see :func:`_interrupt`). A SIGINT that the parent ignores (a
    background job of a non-interactive shell) stays ignored. An interrupt that Python drops
    (raised in a weakref callback or ``__del__``) is raised again, and a block that ends
    normally after a signal raises it at its end, as does a block that ends in another
    exception after a signal (the interrupt wrapped: module docstring). Outside the main
    thread, where Python cannot install handlers, it does nothing. The previous handlers are
    restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, old in before.items():
        if old is not signal.SIG_IGN:
            signal.signal(sig, _interrupt)
    _State.pending, _State.hook_before = None, sys.unraisablehook
    _State.armed = tuple(sig for sig, old in before.items() if old is not signal.SIG_IGN)
    _State.alarm_before = signal.getsignal(signal.SIGALRM) if hasattr(signal, "SIGALRM") else None
    sys.unraisablehook = _dropped
    handed, _State.handed = _State.handed, ()
    try:
        if handed:  # a signal held since hand_over is raised here, inside the block
            signal.pthread_sigmask(signal.SIG_UNBLOCK, handed)
        yield
        if _State.pending is not None:  # raised, then swallowed where it was raised
            raise _exception(_State.pending)
    except (KeyboardInterrupt, GeneratorExit):  # (Terminated is a KeyboardInterrupt)
        raise
    except BaseException as wrapped:
        # raised, then wrapped in another exception where it was raised: Python 3.11 turns an
        # exception in a descriptor's __set_name__ (a dataclass field, while a module imports)
        # into RuntimeError("Error calling __set_name__ ..."), which was a traceback
        if _State.pending is None:
            raise
        raise _exception(_State.pending) from wrapped
    finally:
        if hasattr(signal, "setitimer") and signal.getsignal(signal.SIGALRM) is _again:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _State.alarm_before or signal.SIG_DFL)
        sys.unraisablehook = _State.hook_before or sys.__unraisablehook__
        _State.pending = _State.hook_before = _State.alarm_before = None
        _State.armed = ()
        for sig, old in before.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


def _block() -> tuple[int, ...]:
    """Block SIGINT and SIGTERM (those not ignored) in the main thread; the ones this call
    blocked (not those blocked already), to unblock later; none where the platform has no
    ``pthread_sigmask`` or outside the main thread."""
    if not hasattr(signal, "pthread_sigmask") or (
            threading.current_thread() is not threading.main_thread()):
        return ()
    wanted = [sig for sig in (signal.SIGINT, signal.SIGTERM)
              if signal.getsignal(sig) is not signal.SIG_IGN]
    already = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    return tuple(sig for sig in wanted if sig not in already)


def hand_over() -> tuple[int, ...]:
    """Block SIGINT and SIGTERM (those not ignored, and not blocked already) in the main thread
    until the next :func:`stop_on_signals` block has installed its handlers, which unblocks
    them: a signal sent in between waits in the kernel and is raised inside that block, as any
    later one. For an entry point whose own handler hands over to a command's block
    (``twolayer_start.main``): in the few instructions between the two, neither handler could
    act on it (the entry point's ignores signals once the command has started), and the
    command ran to its end with status 0 (session 47: 3 of 700 runs of ``python -m twolayer
    simulate`` signalled 40–50 ms after exec). Blocked in the main thread only, which holds a
    signal sent to the process while no other thread exists (as there). Returns the signals it
    blocked (none where the platform has no ``pthread_sigmask`` or outside the main thread);
    :func:`end_hand_over` unblocks them if no block did."""
    _State.handed = _block()
    return _State.handed


def end_hand_over() -> None:
    """Unblock what :func:`hand_over` blocked where no :func:`stop_on_signals` block did (the
    command never reached one); a signal held until now goes to the handler in place."""
    handed, _State.handed = _State.handed, ()
    if handed:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, handed)


@contextmanager
def held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (those not ignored, and not blocked already) for the block:
    blocked in the main thread, so that one sent meanwhile waits in the kernel and is raised
    when the block ends, in ordinary Python code. For code that runs Python from C++ where an
    exception ends the process: ``import torch`` calls ``torch._C._c10d_init``, in which a
    handler's exception became ``terminate called after throwing an instance of
    'pybind11::error_already_set'`` and SIGABRT (session 47: a SIGTERM 0.4 s into ``twolayer
    sweep``). Blocked in the main thread only (threads it starts inherit the block): a signal
    sent to the process goes to another thread that does not block it, so this holds signals
    where no other thread exists, as when ``twolayer.cli`` imports PyTorch. Does nothing where
    the platform has no ``pthread_sigmask`` or outside the main thread."""
    mine = _block()
    try:
        yield
    finally:
        if mine:  # a signal held meanwhile is raised here
            signal.pthread_sigmask(signal.SIG_UNBLOCK, mine)


def exit_status(exc: BaseException) -> int:
    """130 for KeyboardInterrupt (SIGINT), 128 + signum for :class:`Terminated`."""
    if isinstance(exc, Terminated):
        return 128 + exc.signum
    return EXIT_SIGINT


def signal_name(exc: BaseException) -> str:
    """SIGINT or SIGTERM, for the one-line message."""
    return exc.name if isinstance(exc, Terminated) else "SIGINT"
