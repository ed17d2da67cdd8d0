"""`python -m twolayer.bench.flow study` (the command docs/integrators.md shows): its stdout is
the Markdown of the agreement study, one table per selected setting, and nothing twice;
progress goes to stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("argv", [["bench", "--steps", "10"], ["bench", "--seeds", "3"],
                                  ["bench", "--only", "clean"]])
def test_bench_refuses_the_study_flags_instead_of_dropping_them(argv, monkeypatch, capsys):
    """`bench` measures a fixed ladder (10^4..10^7 steps, 2 seeds, one setting): before, a
    --steps/--seeds/--only given to it was dropped without a word and the whole ladder (minutes)
    ran. Now: one line naming the flag, exit status 2, nothing measured."""
    from twolayer.bench import flow

    def measured(*a, **k):  # the oracle: the measurement must not start
        raise AssertionError("bench started measuring despite a flag it does not take")

    monkeypatch.setattr(flow, "flow_costs", measured)
    with pytest.raises(SystemExit) as e:
        flow.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"{argv[1]} {argv[2]}" in err[0] and "study" in err[0], err


@pytest.mark.parametrize("argv,flag", [(["study", "--steps", "0"], "--steps 0"),
                                       (["study", "--seeds", "-1"], "--seeds -1")])
def test_study_names_the_one_bad_flag_in_one_line(argv, flag, capsys):
    """An invalid --steps or --seeds is one line naming that flag and its value (before: the
    usage block, then a line naming both flags whichever was wrong)."""
    from twolayer.bench import flow

    with pytest.raises(SystemExit) as e:
        flow.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert flag in err[0] and ">= 1" in err[0], err
    other = "--seeds" if flag.startswith("--steps") else "--steps"
    assert other not in err[0], err
