"""``python -m twolayer`` interrupted while a string of code runs: status 130, not "killed by
SIGINT". CPython's ``exec``/``eval`` of a string (dataclasses and namedtuple build methods so
while a module imports) sets a process-wide flag when a KeyboardInterrupt leaves that code, even
if an outer ``except`` handles it, and ``python -m`` (``Py_RunMain``) then ends the process by
killing itself with SIGINT after the program's own exit, whatever status it returned: the one
line was printed and the caller saw -2. The oracle is the interpreter's: the child's exit status
under the real ``-m`` start-up (``Py_RunMain``), with the interrupt raised by the signal handler
inside a string exec."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# run as ``python -m sigmain``: twolayer.cli.main, whose command sends SIGINT to its own process
# inside an exec of a string ({where}), as if the Ctrl-C landed in a dataclass's generated
# __init__ while a module of the command imported
MAIN = """
import sys
import twolayer.cli as cli
SENDS = "import os, signal\\nos.kill(os.getpid(), signal.SIGINT)\\nfor _ in range(10**7): pass\\n"
def run(given):
    {where}
    return 0
cli._run = run
sys.exit(cli.main(["simulate", "--quiet"]))
"""


@pytest.mark.parametrize("where", ['exec(SENDS, {})', 'exec(compile(SENDS, "s", "exec"), {})'])
def test_python_m_interrupted_in_a_string_exec_exits_130(where, tmp_path):
    """A string (the flag's path) and, as a control, a code object (never the flag's path)."""
    (tmp_path / "sigmain.py").write_text(MAIN.format(where=where))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "TWOLAYER_STORE": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-m", "sigmain"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert out.stderr == "twolayer simulate: interrupted (SIGINT); nothing written\n", out.stderr
    assert out.returncode == 130

