"""`python -m proofs_check` as a user runs it (docs/proofs_check.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_closed_stdout_pipe_exits_141_without_a_traceback() -> None:
    """`python -m proofs_check -v | head`: when the reader of stdout goes away, the command stops
    quietly with 141 (what a shell reports for SIGPIPE), as `twolayer` does, not with a
    BrokenPipeError traceback (here the reader closes the pipe before anything is written)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "proofs_check", "-v"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
