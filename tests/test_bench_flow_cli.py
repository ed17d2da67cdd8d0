"""`python -m twolayer.bench.flow study` (the command docs/integrators.md shows): its stdout is
the Markdown of the agreement study, one table per selected setting, and nothing twice;
progress goes to stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_study_prints_each_settings_table_once_on_stdout():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-m", "twolayer.bench.flow", "study", "--steps", "30", "--seeds", "1",
         "--only", "clean-priority"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    # one setting selected (the oracle: --only names one of the four), so one table: one
    # heading, one header row and the four integrator rows (flow at three rtols, auto)
    assert p.stdout.count("**clean-priority") == 1, p.stdout
    assert p.stdout.count("| integrator | rtol |") == 1, p.stdout
    rows = [ln for ln in p.stdout.splitlines() if ln.startswith(("| flow |", "| auto |"))]
    assert len(rows) == 4, p.stdout
    assert "**clean-priority" in p.stderr  # the progress, as each setting finishes
