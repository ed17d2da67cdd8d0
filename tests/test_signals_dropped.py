"""An interrupt the signal handler raised where Python drops exceptions (a weakref callback, a
``__del__``: ``sys.unraisablehook``) or where code swallows every exception is not lost inside
``signals.stop_on_signals``: it is raised again in ordinary code, or at the end of the block, so
``twolayer`` still ends with 130/143 and one line. Before, the command ran on and exited 0
(helper fz, session 39: ``figures --quick`` ran 56 s past a Ctrl-C and exited 0, with "Exception
ignored in: <function WeakSet._remove>" on stderr)."""

from __future__ import annotations

import gc
import signal
import sys
import time
import weakref

import pytest

from twolayer.signals import Terminated, stop_on_signals


@pytest.fixture(autouse=True)
def _sigint_as_python_sets_it():
    """SIGINT as an interactive Python has it (KeyboardInterrupt) for each test, whatever
    started pytest: a background job of a script inherits SIGINT ignored, which
    ``stop_on_signals`` rightly keeps ignored, so the SIGINT cases failed there on correct code
    (helper hmut, session 40)."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


class _Thing:
    pass


def _signal_in_a_weakref_callback(signum: int) -> weakref.ref:
    """Deliver ``signum`` to this process while a weakref callback runs (the handler raises
    there, and Python drops what a callback raises)."""
    obj = _Thing()
    ref = weakref.ref(obj, lambda _r: signal.raise_signal(signum))
    del obj  # the callback runs now (reference counting)
    return ref


def _ordinary_work(seconds: float = 2.0) -> float:
    """A loop of short sleeps that ends normally after ``seconds`` (the rest of a command)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        time.sleep(0.005)
    return time.monotonic() - start


@pytest.mark.parametrize("signum, exc", [(signal.SIGINT, KeyboardInterrupt),
                                         (signal.SIGTERM, Terminated)])
def test_an_interrupt_dropped_in_a_weakref_callback_is_raised_again(signum, exc):
    start = time.monotonic()
    with pytest.raises(exc) as raised:
        with stop_on_signals():
            _signal_in_a_weakref_callback(signum)
            _ordinary_work()
    assert type(raised.value) is exc  # Terminated is a KeyboardInterrupt too: not for SIGINT
    assert time.monotonic() - start < 1.0  # raised again within the work, not at its end
    assert signal.getsignal(signum) is not signal.SIG_IGN  # handlers restored after the block


def test_an_interrupt_swallowed_by_the_code_ends_the_block_interrupted():
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals():
            try:
                signal.raise_signal(signal.SIGINT)
            except BaseException:  # noqa: BLE001 - code that swallows everything
                pass
            _ordinary_work(0.05)


def test_a_second_ctrl_c_is_ignored_during_the_clean_up_of_the_first():
    """The first interrupt propagates; a second one during the clean-up it started changes
    nothing (the clean-up runs to its end, one KeyboardInterrupt leaves the block)."""
    cleaned = []
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals():
            try:
                signal.raise_signal(signal.SIGINT)
            finally:
                signal.raise_signal(signal.SIGINT)  # ignored
                cleaned.append(True)
    assert cleaned == [True]


def test_other_unraisable_exceptions_reach_the_hook_in_place_before(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))
    with stop_on_signals():
        obj = _Thing()
        ref = weakref.ref(obj, lambda _r: 1 / 0)
        del obj
        gc.collect()
    assert seen == [ZeroDivisionError] and ref() is None
    assert sys.unraisablehook is not None and sys.unraisablehook.__name__ == "<lambda>"


def test_a_block_without_a_signal_ends_normally_and_restores_everything():
    hook, alarm = sys.unraisablehook, signal.getsignal(signal.SIGALRM)
    with stop_on_signals():
        assert _ordinary_work(0.02) >= 0.02
    assert sys.unraisablehook is hook and signal.getsignal(signal.SIGALRM) is alarm
