"""A signal while the interpreter exits after a complete command is ignored: the command's
status stands. Python puts the default dispositions back before it unloads its modules
(PyTorch's unloading takes 0.3–0.5 s), so a Ctrl-C or SIGTERM there killed the process, after
the command had written everything, with no line (session 47: 37 of 40 signals sent 0–0.4 s
after ``twolayer_start.main`` returned). The oracle is the interpreter's: a child sends the
signal to its own process from an exit callback that runs after ``main``'s (atexit is last in,
first out: one registered before ``main``, one by the command itself) and from a finaliser that
runs while the modules are unloaded (after Python's signal handling is switched off), and its
exit status and stderr are read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slow_pairs import taking_turns

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import atexit, os, signal, sys

class SendsAtUnload:
    def __del__(self):
        os.kill(os.getpid(), {sig})
        for _ in range(10**6):  # a handler, if any, runs here
            pass

def sends():
    os.kill(os.getpid(), {sig})
    for _ in range(10**6):
        pass

if {when!r} == "atexit":
    atexit.register(sends)  # before main's: runs after it
elif {when!r} == "command":  # registered by the command (as multiprocessing's exit work is)
    import twolayer.cli as cli
    real = cli.main
    cli.main = lambda argv=None: atexit.register(sends) and real(argv)
else:
    kept = SendsAtUnload()  # a global of __main__: finalised while the modules are unloaded
sys.argv = ["twolayer", "simulate", "--quiet", "--steps", "20", "--d", "5", "--n", "10",
            "--m", "4", "--out", "rec"]
import twolayer_start
sys.exit(twolayer_start.main())
"""


# `make test` runs each moment once, the two signals taking turns; the other three pairs run
# under `make test-slow`
@pytest.mark.parametrize(("when", "sig"), taking_turns(
    [("atexit",), ("command",), ("unload",)], [(signal.SIGINT,), (signal.SIGTERM,)]))
def test_a_signal_while_the_interpreter_exits_keeps_the_commands_status(sig, when, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TWOLAYER_STORE": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-c", CHILD.format(sig=int(sig), when=when)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert out.stderr == "", out.stderr
    assert out.returncode == 0
    (record,) = (tmp_path / "rec").iterdir()  # the command's record, complete
    assert (record / "arrays.npz").is_file()
