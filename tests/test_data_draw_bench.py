"""benchmarks/data_draw.py in its dry run: the baseline sampler of 2026-12-04, today's sampler
on one lane and on its lanes draw the same bits (the script exits 1 otherwise), and it reports
their medians and ratios; a bad --rounds is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "benchmarks/data_draw.py", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_dry_run_draws_the_same_bits_three_ways_and_reports_the_ratios(tmp_path):
    out = tmp_path / "draw.json"
    res = _run("--quick", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "(same bits)" in res.stdout
    data = json.loads(out.read_text())
    assert data["workload"] == {"runs": 20, "n": 1000, "n_test": 1000, "d": 500}
    med = data["median_s"]
    assert set(med) == {"before", "one lane", "lanes"} and min(med.values()) > 0
    assert abs(data["before_over_lanes"] - med["before"] / med["lanes"]) < 1e-12
    assert data["lanes"] >= 1


def test_rounds_below_one_are_refused():
    res = _run("--rounds", "0")
    assert res.returncode == 2 and "--rounds must be at least 1 (got 0)" in res.stderr
