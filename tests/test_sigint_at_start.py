"""A Ctrl-C (or SIGTERM) while a command is still starting: ``import twolayer`` imported
PyTorch and the engine before :func:`twolayer.cli.main` could install its handlers, so a
Ctrl-C in the first second of any command printed Python's KeyboardInterrupt traceback. The
package now imports lazily (PEP 562) and ``main`` installs its handlers before it imports
PyTorch, the plugins or a command's module.

The oracles are the interpreter's own: ``sys.modules`` after ``import twolayer.cli`` (torch must
not be there), and a child process that sends itself the signal at the moment it first imports
torch (a deterministic stand-in for the user's early Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from slow_pairs import taking_turns

import twolayer

LIGHT = ("import sys, twolayer, twolayer.cli; "
         "print(sorted(m for m in ('torch', 'numpy', 'twolayer.engine', 'twolayer.config') "
         "if m in sys.modules))")

# the child sends itself SIGNAL when something first imports torch, then runs the command
AT_TORCH = """
import builtins, os, signal, sys
from twolayer.cli import main
assert "torch" not in sys.modules, "import twolayer.cli imported torch"
real = builtins.__import__
def hook(name, *args, **kwargs):
    if name == "torch" and "torch" not in sys.modules:
        builtins.__import__ = real
        os.kill(os.getpid(), signal.{sig})
    return real(name, *args, **kwargs)
builtins.__import__ = hook
sys.exit(main({argv!r}))
"""


def _child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


def test_importing_the_package_and_its_cli_imports_neither_torch_nor_the_engine():
    out = _child(LIGHT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


_SIGNALS = [("SIGINT", 130, "SIGINT"), ("SIGTERM", 143, "SIGTERM")]
_COMMANDS = [
    (["simulate", "--steps", "2"], "twolayer simulate", "nothing written"),
    (["check", "frei2023", "--quick"], "twolayer check",
     "the experiments finished so far are kept in the record store; nothing else written"),
    (["--version"], "twolayer", "stopped"),
    # --no-store keeps no experiment, so the line does not promise the store (session 39)
    (["check", "frei2023", "--quick", "--no-store"], "twolayer check",
     "nothing written (--no-store: no experiment is kept)"),
    (["figures", "--quick", "--no-store"], "twolayer figures",
     "the figures drawn so far stay in the output folder, indexed; no experiment is kept "
     "(--no-store)"),
]


# `make test` runs each command once, the two signals taking turns (each signal with two or
# three commands); the other five pairs run under `make test-slow`
@pytest.mark.parametrize(("argv", "prog", "left", "sig", "status", "name"),
                         taking_turns(_COMMANDS, _SIGNALS))
def test_a_signal_while_torch_is_imported_is_one_line_and_its_exit_status(
        sig, status, name, argv, prog, left, tmp_path):
    code = AT_TORCH.format(sig=sig, argv=argv)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path,
                         env={**os.environ, "TWOLAYER_STORE": str(tmp_path / "store")})
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip() == f"{prog}: interrupted ({name}); {left}"
    assert out.returncode == status
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the store's folder


def test_the_public_names_load_on_first_use_and_are_the_same_objects():
    from twolayer.config import Config
    from twolayer.engine import Runtime, train
    from twolayer.record import Record
    from twolayer.simulate import simulate

    assert twolayer.Config is Config and twolayer.Runtime is Runtime
    assert twolayer.train is train and twolayer.Record is Record
    assert twolayer.simulate is simulate  # the function, though twolayer.simulate is a module
    assert callable(twolayer.check)
    for name in twolayer.__all__:
        assert name in dir(twolayer)
        getattr(twolayer, name)


def test_a_submodule_is_an_attribute_after_a_bare_import_and_an_unknown_name_is_not():
    out = _child("import twolayer; print(twolayer.stats.__name__, twolayer.simulate.__name__)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["twolayer.stats", "simulate"]
    assert not hasattr(twolayer, "no_such_module")
    with pytest.raises(AttributeError, match="no_such_module"):
        twolayer.no_such_module  # noqa: B018
    assert not hasattr(twolayer, "__wrapped__")


def test_the_signal_handlers_are_restored_after_main():
    from twolayer.cli import main

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
