"""A Ctrl-C (or SIGTERM) in the first milliseconds of ``twolayer``: the console script's entry
point (pyproject's ``[project.scripts]``) installs its handler before it imports the package
``twolayer`` (``import twolayer`` digests the package's sources, ``import twolayer.cli`` follows;
together some 50 ms on an idle machine, over 100 ms on a loaded one, during which a Ctrl-C gave
Python's KeyboardInterrupt traceback).

Not flaky on a loaded machine: the child runs the entry point pyproject names, with an import
hook that tells the test, through a pipe, when the first module of the package ``twolayer``
starts to import (on the old entry, ``twolayer.cli:main``, that is before anything of the
command; on the new one, after its handler). The test then sends the signal 0–200 ms later, so
each signal lands somewhere in the rest of the start-up or the command whatever the load, and
every outcome must be one line and the exit status, never a traceback. The oracles are the
interpreter's: the child's exit status and stderr, and ``sys.modules``."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the command: long enough (10^5 steps) that a signal 200 ms after its start-up interrupts it
ARGV = ["simulate", "--steps", "100000", "--d", "5", "--n", "10", "--m", "4", "--seeds", "1",
        "--quiet", "--threads", "1"]
DELAYS_MS = (0, 1, 2, 5, 10, 20, 50, 100, 200)
# `make test` sends each signal at a few of these moments; the rest run under `make test-slow`
# (docs/testing.md)
DEFAULT_DELAYS_MS = (0, 5, 50, 200)


def _delays(delays: tuple[int, ...]) -> list:
    return [pytest.param(ms, marks=() if ms in DEFAULT_DELAYS_MS else pytest.mark.slow)
            for ms in delays]

# the child: tell fd {fd} when the first import that {fires} starts (a relative import named as
# the absolute one: twolayer/__main__'s ``from .cli import main`` is twolayer.cli), then run
# {run}
CHILD = """
import builtins, os, sys
real = builtins.__import__
def hook(name, globals=None, locals=None, fromlist=(), level=0):
    pkg = (globals or {{}}).get("__package__") or ""
    full = (pkg + "." + name) if level else name
    if {fires}:
        builtins.__import__ = real
        os.write({fd}, b"1")
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = hook
sys.argv = ["twolayer", *{argv!r}]
{run}
"""
# the console script: the first module of the package twolayer (twolayer_start is another)
ANY_TWOLAYER = 'full == "twolayer" or full.startswith("twolayer.")'



def _entry_point() -> str:
    """The console script's ``module:function`` as pyproject.toml declares it."""
    text = (ROOT / "pyproject.toml").read_text()
    scripts = text[text.index("[project.scripts]"):].split("\n[", 1)[0]
    return re.search(r'^twolayer = "([^"]+)"', scripts, re.M).group(1)


def _console_script() -> str:
    """What the installed ``twolayer`` script runs (pip's console-script wrapper)."""
    module, func = _entry_point().split(":")
    return f"from {module} import {func}\nsys.exit({func}())"


def _signalled(run: str, sig: signal.Signals, delay_ms: float, tmp_path: Path,
               argv: list[str] = ARGV, fires: str = ANY_TWOLAYER) -> subprocess.CompletedProcess:
    """Run ``run`` in a child as above; send ``sig`` ``delay_ms`` after its hook fired."""
    r, w = os.pipe()
    code = CHILD.format(fd=w, argv=argv, run=run, fires=fires)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TWOLAYER_STORE": str(tmp_path / "store")}
    p = subprocess.Popen([sys.executable, "-c", code], pass_fds=(w,), cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], 120)
        assert ready and os.read(r, 1) == b"1", "the child never imported twolayer"
        time.sleep(delay_ms / 1000)
        p.send_signal(sig)
        out, err = p.communicate(timeout=300)
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
            p.communicate()
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def _one_line(err: str, prog: str, name: str) -> bool:
    """stderr is the entry point's line or twolayer.cli.main's, for this command."""
    return err.strip() in (f"{prog}: interrupted ({name}) while starting; nothing written",
                           f"{prog}: interrupted ({name}); nothing written")


def test_pyproject_names_the_entry_point_that_imports_nothing_of_twolayer():
    assert _entry_point() == "twolayer_start:main"
    out = subprocess.run(
        [sys.executable, "-c", "import sys, twolayer_start; "
         "print(sorted(m for m in sys.modules if m.split('.')[0] in ('twolayer', 'torch', "
         "'numpy')))"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_entry_point_knows_the_commands_of_the_cli():
    import twolayer_start
    from twolayer.cli import COMMANDS

    assert twolayer_start.COMMANDS == COMMANDS


@pytest.mark.parametrize("delay_ms", _delays(DELAYS_MS))
def test_a_sigint_early_in_the_console_script_is_one_line_and_130(delay_ms, tmp_path):
    """0–200 ms after the package twolayer starts to import (the old entry point gave a
    traceback at the short delays: the handler came after import twolayer.cli)."""
    out = _signalled(_console_script(), signal.SIGINT, delay_ms, tmp_path)
    assert "Traceback" not in out.stderr, out.stderr
    assert _one_line(out.stderr, "twolayer simulate", "SIGINT"), out.stderr
    assert out.returncode == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no store


@pytest.mark.parametrize("delay_ms", _delays((0, 5, 50)))
def test_a_sigterm_early_in_the_console_script_is_one_line_and_143(delay_ms, tmp_path):
    out = _signalled(_console_script(), signal.SIGTERM, delay_ms, tmp_path)
    assert "Traceback" not in out.stderr, out.stderr
    assert _one_line(out.stderr, "twolayer simulate", "SIGTERM"), out.stderr
    assert out.returncode == 143


@pytest.mark.parametrize("delay_ms", _delays((0, 2, 10, 50)))
def test_python_m_twolayer_installs_the_handler_before_importing_its_cli(delay_ms, tmp_path):
    """``python -m twolayer`` (runpy): the package twolayer is imported before its __main__, so
    the hook here fires at the import of twolayer.cli, which __main__ now imports after the
    entry point's handler (before, __main__ imported it first: a traceback)."""
    run = ("import runpy\n"
           "runpy.run_module('twolayer', run_name='__main__', alter_sys=True)")
    out = _signalled(run, signal.SIGINT, delay_ms, tmp_path, fires='full == "twolayer.cli"')
    assert "Traceback" not in out.stderr, out.stderr
    assert _one_line(out.stderr, "twolayer simulate", "SIGINT"), out.stderr
    assert out.returncode == 130


def test_not_a_command_names_twolayer_alone(tmp_path):
    """No command to name: the line names twolayer (or the command already refused the flag)."""
    out = _signalled(_console_script(), signal.SIGINT, 0, tmp_path, argv=["--bogus-flag"])
    assert "Traceback" not in out.stderr, out.stderr
    if out.returncode == 130:
        assert out.stderr.strip() in (
            "twolayer: interrupted (SIGINT) while starting; nothing written",
            "twolayer: interrupted (SIGINT); stopped"), out.stderr
    else:  # finished before the signal came
        assert out.returncode == 2 and "unrecognized option '--bogus-flag'" in out.stderr


def test_an_ignored_sigint_stays_ignored_and_the_handlers_are_restored(monkeypatch):
    """A background job's ignored SIGINT is not turned into an interrupt; after the command
    the handlers found on entry are back (in-process: ``twolayer --version``)."""
    import twolayer_start

    monkeypatch.setattr(sys, "argv", ["twolayer", "--version"])
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit):
        twolayer_start.main()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    out = subprocess.run(
        [sys.executable, "-c", "import signal, sys, twolayer_start; "
         "signal.signal(signal.SIGINT, signal.SIG_IGN); "
         "import twolayer.cli; twolayer.cli.main = lambda: "
         "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN) or 0; "
         "sys.exit(twolayer_start.main())"], capture_output=True, text=True, cwd=ROOT,
        timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


# a second SIGINT right after twolayer.cli.main's handlers gave the entry point's back (while
# the command prints its line): a second Ctrl-C, or `timeout -s INT`, which signals the process
# and then its process group
TWICE = """
import contextlib, os, signal, sys
import twolayer.signals as s
real = s.stop_on_signals
@contextlib.contextmanager
def twice():
    try:
        with real():
            os.kill(os.getpid(), signal.SIGINT)  # the first, inside the command's handlers
            yield
    finally:
        os.kill(os.getpid(), signal.SIGINT)  # the second, after them
s.stop_on_signals = twice
sys.argv = ["twolayer", *{argv!r}]
{run}
"""


def test_a_second_sigint_after_the_commands_handlers_keeps_its_one_line(tmp_path):
    """The entry point's handler, given back by cli.main, printed "while starting" (false: the
    command had run) and cut cli.main's own line short; now the second signal is ignored."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TWOLAYER_STORE": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-c", TWICE.format(argv=ARGV, run=_console_script())],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.stderr == "twolayer simulate: interrupted (SIGINT); nothing written\n", out.stderr
    assert out.returncode == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == []
