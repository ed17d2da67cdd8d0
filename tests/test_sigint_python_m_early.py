"""``python -m twolayer`` installs the command's SIGINT/SIGTERM handler before ``import twolayer``
digests the package's sources (``twolayer_start.early``, the package's first statement).

Until session 48 the handler came only in ``twolayer/__main__``, after the package had imported
(its source digest, some 15 ms on an idle 2-core host, 40–50 ms after exec on a loaded one): a
Ctrl-C there printed Python's KeyboardInterrupt traceback (96 of 500 runs signalled 40–50 ms
after exec, session 47), a SIGTERM killed the process with no line.

Not flaky on a loaded machine: the child is a real ``python -m twolayer`` whose ``sitecustomize``
(first on ``PYTHONPATH``) hooks ``__import__`` and, when the package's ``__init__`` imports
``twolayer.sources`` (its digest), signals the child itself then, or from a timer thread a few
milliseconds later. The oracles are the interpreter's: the exit status and stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARGV = ["simulate", "--steps", "100000", "--d", "5", "--n", "10", "--m", "4", "--seeds", "1",
        "--quiet", "--threads", "1"]

# the signal at the import of twolayer.sources (``from . import sources``: __import__ with an
# empty name and the fromlist), at once or after {delay} s from a timer thread; SIGINT handled
# as Python does by default (a background job's children inherit it ignored)
SITECUSTOMIZE = """
import builtins, os, signal, threading
signal.signal(signal.SIGINT, signal.default_int_handler)
real = builtins.__import__
def hook(name, globals=None, locals=None, fromlist=(), level=0):
    pkg = (globals or {{}}).get("__package__") or ""
    names = {{pkg + "." + name if level else name}}
    if level and not name:
        names |= {{pkg + "." + f for f in fromlist or ()}}
    if "twolayer.sources" in names:
        builtins.__import__ = real
        kill = lambda: os.kill(os.getpid(), signal.{sig})
        threading.Timer({delay}, kill).start() if {delay} else kill()
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = hook
"""


def _python_m(tmp_path: Path, sig: str, delay_s: float,
              argv: list[str] = ARGV) -> subprocess.CompletedProcess:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(sig=sig, delay=delay_s))
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "TWOLAYER_STORE": str(work / "store"),
           "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT),
                                          *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "twolayer", *argv], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("delay_s", (0, 0.002, 0.005, 0.01))
def test_a_sigint_while_the_package_imports_is_one_line_and_130(tmp_path, delay_s):
    out = _python_m(tmp_path, "SIGINT", delay_s)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip() in (
        "twolayer simulate: interrupted (SIGINT) while starting; nothing written",
        "twolayer simulate: interrupted (SIGINT); nothing written"), out.stderr
    assert out.returncode == 130
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("delay_s", (0, 0.005))
def test_a_sigterm_while_the_package_imports_is_one_line_and_143(tmp_path, delay_s):
    """(Before: killed by SIGTERM, status -15, nothing on stderr.)"""
    out = _python_m(tmp_path, "SIGTERM", delay_s)
    assert out.stderr.strip() in (
        "twolayer simulate: interrupted (SIGTERM) while starting; nothing written",
        "twolayer simulate: interrupted (SIGTERM); nothing written"), out.stderr
    assert out.returncode == 143


@pytest.mark.parametrize(("orig", "target"), [
    (["python", "-m", "twolayer", "simulate"], "twolayer"),
    (["python", "-mtwolayer"], "twolayer"),
    (["python", "-Im", "twolayer"], "twolayer"),
    (["python", "-Imtwolayer", "-m", "x"], "twolayer"),
    (["python", "-X", "importtime", "-W", "error", "-u", "-m", "twolayer"], "twolayer"),
    (["python", "-Xdev", "-m", "twolayer"], "twolayer"),
    (["python", "--check-hash-based-pycs", "always", "-m", "twolayer"], "twolayer"),
    (["python", "-m", "twolayer.apidoc"], "twolayer.apidoc"),
    (["python", "-m", "mypkg", "-m", "twolayer"], "mypkg"),
    (["python", "-c", "import twolayer", "-m", "twolayer"], None),
    (["python", "-Sc", "-m twolayer"], None),
    (["python", "script.py", "-m", "twolayer"], None),
    (["python", "-", "-m", "twolayer"], None),
    (["python"], None),
    (["python", "-m"], None),
])
def test_the_module_that_minus_m_runs(orig, target):
    """The interpreter's own reading of its options (python --help), by hand."""
    import twolayer_start

    assert twolayer_start.python_m_target(orig) == target


OTHER_MAIN = """
import signal, twolayer_start
print(signal.getsignal(signal.SIGINT) is twolayer_start._stop,
      signal.getsignal(signal.SIGTERM) is twolayer_start._stop)
"""


def test_no_handler_where_the_process_is_not_the_twolayer_command(tmp_path):
    """``import twolayer`` in a program, and ``python -m`` of another package that imports it
    while the interpreter locates its ``__main__`` (``sys.argv[0]`` is ``-m`` then too): the
    handlers are not the entry point's."""
    pkg = tmp_path / "otherpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import twolayer\n")
    (pkg / "__main__.py").write_text(OTHER_MAIN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for args in (["-m", "otherpkg"], ["-c", "import twolayer\n" + OTHER_MAIN]):
        out = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["False", "False"], (args, out.stdout)


def test_main_restores_the_handlers_found_before_early(monkeypatch):
    """``early`` installs the entry point's handler; ``main`` then restores what ``early`` found
    (not the entry point's own handler, which would report a later signal as one 'while
    starting')."""
    import twolayer_start

    found = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(sys, "argv", ["-m", "--version"])
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "twolayer", "--version"],
                        raising=False)
    try:
        twolayer_start.early()
        assert signal.getsignal(signal.SIGINT) is twolayer_start._stop
        assert signal.getsignal(signal.SIGTERM) is twolayer_start._stop
        monkeypatch.setattr(sys, "argv", ["twolayer", "--version"])
        with pytest.raises(SystemExit):
            twolayer_start.main()
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == found
        assert twolayer_start._found is None
    finally:
        twolayer_start._found = None
        signal.signal(signal.SIGINT, found[0])
        signal.signal(signal.SIGTERM, found[1])


def test_early_keeps_an_ignored_sigint_ignored(tmp_path):
    """A background job's ignored SIGINT is not turned into an interrupt."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "sys.argv = ['-m']; sys.orig_argv = [sys.executable, '-m', 'twolayer']; "
            "import twolayer, twolayer_start; "
            "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN, "
            "signal.getsignal(signal.SIGTERM) is twolayer_start._stop)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]
