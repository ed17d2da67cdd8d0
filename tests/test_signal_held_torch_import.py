"""A signal while the command imports PyTorch waits until the import is done: ``import torch``
runs Python code from C++ (``torch._C._c10d_init``), where an exception raised by the signal
handler aborted the process (``terminate called after throwing an instance of
'pybind11::error_already_set'``, SIGABRT: session 47, a SIGTERM 0.4 s into ``twolayer sweep``).
Where in the import a signal lands cannot be chosen from a test, so this checks the mechanism:
a signal sent as the first ``import torch`` starts (from an import hook) is not raised inside
the import (PyTorch is imported whole) but right after it, and the command ends with its one
line and 128 + signum. The oracles are the interpreter's: ``sys.modules`` after the command,
its exit status and stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import builtins, os, sys
real = builtins.__import__
def hook(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "torch" and not level and "torch" not in sys.modules:
        builtins.__import__ = real
        os.kill(os.getpid(), {sig})
        for _ in range(10**6):  # a handler not held runs here, before the import
            pass
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = hook
sys.argv = ["twolayer", "simulate", "--quiet", "--steps", "100000", "--out", "rec"]
import twolayer_start
status = twolayer_start.main()
torch = sys.modules.get("torch")
print("torch imported whole:", torch is not None and hasattr(torch, "nn"))
sys.exit(status)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_as_torch_imports_is_raised_after_the_import(sig, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TWOLAYER_STORE": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-c", CHILD.format(sig=int(sig))],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    name = signal.Signals(sig).name
    assert out.stderr == f"twolayer simulate: interrupted ({name}); nothing written\n", out.stderr
    assert out.returncode == 128 + sig
    assert out.stdout == "torch imported whole: True\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_held_raises_a_held_signal_at_its_end_and_restores_the_mask():
    """In-process: a signal sent inside ``held`` is raised where the block ends, not inside it;
    a signal the caller had blocked stays blocked."""
    from twolayer.signals import held, stop_on_signals

    entry = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    reached = []
    try:
        with pytest.raises(KeyboardInterrupt), stop_on_signals(), held():
            # to this thread: a signal to the process goes to a thread that does not block it,
            # and pytest-xdist's workers have other threads (the command has none then)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            for _ in range(10**6):
                pass
            reached.append(True)  # not interrupted inside the block
        assert reached == [True]
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == entry | {signal.SIGTERM}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, entry)
