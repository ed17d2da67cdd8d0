"""A signal that Python swallows while the command runs (code that drops every exception, or
CPython itself: its compiler runs a signal handler inside a folded constant operation and clears
what it raised, so a SIGTERM that lands while a module compiles, under PYTHONDONTWRITEBYTECODE or
on a first run, is lost there) is raised at the end of ``stop_on_signals``' block, after the
command ran to its end. ``twolayer simulate`` then said "interrupted (SIGTERM); nothing written"
with its record written (helper hwalk, session 42: 3 of 225 SIGTERMs sent 50-110 ms into
``twolayer simulate --out DIR``); the line now says that the command ran to its end."""

from __future__ import annotations

import os
import signal

import pytest

from twolayer import cli


@pytest.fixture(autouse=True)
def _sigint_as_python_sets_it():
    """SIGINT as an interactive Python has it, whatever started pytest (a background job
    inherits it ignored, which stop_on_signals rightly keeps ignored)."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("sig, code, name", [(signal.SIGTERM, 143, "SIGTERM"),
                                             (signal.SIGINT, 130, "SIGINT")])
def test_a_signal_swallowed_before_the_command_ran_says_it_ran(tmp_path, monkeypatch, capsys,
                                                              sig, code, name):
    real = cli._run

    def swallowing(given):
        try:  # where the handler's exception is dropped (as CPython's compiler does)
            os.kill(os.getpid(), sig)
            for _ in range(1000):
                pass
        except BaseException:  # noqa: BLE001 - code that swallows everything
            pass
        return real(given)

    monkeypatch.setattr(cli, "_run", swallowing)
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    out = tmp_path / "out"
    status = cli.main(["simulate", "--d", "5", "--n", "10", "--m", "4", "--steps", "3",
                       "--quiet", "--threads", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == code
    assert [p.name for p in out.iterdir()] and all((p / "record.json").is_file()
                                                 for p in out.iterdir())  # it ran: written
    assert err == (f"twolayer simulate: interrupted ({name}); the signal came where Python "
                   f"drops it, and the command ran to its end (status 0): what it wrote is "
                   f"complete\n"), err
    assert "nothing written" not in err


def test_an_interrupt_inside_the_command_still_says_what_it_leaves(monkeypatch, capsys):
    """Raised within the command (not swallowed): the command's own line, as before."""
    def interrupted(given):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
        return 0

    monkeypatch.setattr(cli, "_run", interrupted)
    assert cli.main(["simulate"]) == 143
    assert capsys.readouterr().err == "twolayer simulate: interrupted (SIGTERM); nothing written\n"
