"""An interrupt that Python wraps in another exception where it is raised is still the
interrupt: CPython 3.11 turns any exception raised in a descriptor's ``__set_name__`` (a
dataclass's ``field`` while a module is imported) into ``RuntimeError("Error calling
__set_name__ ...")``. A SIGINT landing there while ``twolayer simulate`` imported
``twolayer.resources`` gave a traceback (CI, test_sigint_entry's ``python -m twolayer`` at
50 ms). The oracle: the signal is sent to this process by the test itself, inside the
descriptor's ``__set_name__``; the exception type and exit status are the interpreter's."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from twolayer import cli
from twolayer.signals import Terminated, stop_on_signals


class _SignalsInSetName:
    """A descriptor whose ``__set_name__`` sends ``sig`` to this process (the handler raises
    there, as a SIGINT that lands while a dataclass's field is being named)."""

    def __init__(self, sig: int):
        self.sig = sig

    def __set_name__(self, owner, name):  # noqa: ANN001
        os.kill(os.getpid(), self.sig)
        for _ in range(10**6):  # the handler runs at the next bytecode boundary
            pass


def _class_with(sig: int) -> type:
    class Holder:
        field = _SignalsInSetName(sig)

    return Holder


def test_python_wraps_an_exception_raised_in_set_name():
    """What the fix is for (3.11: a RuntimeError; 3.12 and later raise it unwrapped)."""
    def refuse(sig, frame):  # noqa: ANN001
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGUSR1, refuse)
    try:
        with pytest.raises(BaseException) as raised:
            _class_with(signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, before)
    if sys.version_info < (3, 12):
        assert type(raised.value) is RuntimeError
        assert isinstance(raised.value.__cause__, KeyboardInterrupt)
    else:
        assert isinstance(raised.value, KeyboardInterrupt)


@pytest.mark.parametrize(("sig", "raised"), [(signal.SIGINT, KeyboardInterrupt),
                                             (signal.SIGTERM, Terminated)])
def test_a_wrapped_interrupt_leaves_the_block_as_the_interrupt(sig, raised):
    with pytest.raises(raised) as got, stop_on_signals():
        _class_with(sig)
    assert type(got.value) is raised
    if sys.version_info < (3, 12):  # chained to what Python made of it
        assert type(got.value.__cause__) is RuntimeError


def test_a_wrapped_interrupt_is_one_line_and_130_from_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_run", lambda given: _class_with(signal.SIGINT) and 0)
    assert cli.main(["simulate", "--quiet"]) == 130
    assert capsys.readouterr().err == "twolayer simulate: interrupted (SIGINT); nothing written\n"


def test_a_wrapped_sigterm_is_143_from_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_run", lambda given: _class_with(signal.SIGTERM) and 0)
    assert cli.main(["check"]) == 143
    assert capsys.readouterr().err.startswith("twolayer check: interrupted (SIGTERM); ")


def test_another_exception_without_a_signal_is_not_an_interrupt():
    """Nothing pending: an error in the block is that error (not turned into an interrupt)."""
    with pytest.raises(RuntimeError, match="not a signal"), stop_on_signals():
        raise RuntimeError("not a signal")
    with pytest.raises(SystemExit), stop_on_signals():
        sys.exit(2)
