"""Theorem 1's T = 1 + 1/(4α) is a whole number of GD steps only where 1/(4α) is one (the
theorem runs GD for T iterations; Lemma 13's induction runs over t = 1, …, 1/(4α)). The claims
read "runs stop at T" as ``steps == 1 + round(1/(4α))`` and `conditions --record` did the same:
with Python's round-half-to-even, a 3-step run at α = 0.1 (T = 3.5) or α = 0.15 (T = 2.67) was
marked as stopping at T, inside the regime. Now no run stops at a T that is not whole."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run
from test_conditions_frei_record import FLAGS

from twolayer.claims import frei2023 as F


@pytest.mark.parametrize("alpha, T", [
    (0.25, 2), (0.125, 3), (0.05, 6), (1 / 12, 4), (0.0025, 101),  # 1/(4α) whole (by hand)
    (0.1, None), (0.15, None), (0.3, None), (1.0, None), (0.2, None),  # 2.5, 1.67, 0.83, 0.25, 1.25
])
def test_stopping_time_is_whole_or_none(alpha, T):
    assert F.stopping_time(alpha) == T


@pytest.mark.parametrize("alpha, steps", [(0.1, 3), (0.15, 3), (0.1, 4)])
def test_a_run_at_a_fractional_T_does_not_stop_at_T(alpha, steps):
    cfg = {"train": {"lr": alpha, "steps": steps}}
    assert not F.stops_at_T(cfg)
    assert F.stops_at_T({"train": {"lr": 0.125, "steps": 3}})


def test_conditions_record_at_a_fractional_T(tmp_path, capsys):
    """A record trained at α = 0.1 for 3 steps (1 + round(2.5) = 3 under round-half-to-even):
    `conditions --record` says it does not stop at T and why, and the claims put it outside."""
    flags = [f if f != "0.25" else "0.1" for f in FLAGS]
    assert flags != FLAGS
    code, _, err = run(["simulate", "--data", "xor", *flags, "--n-test", "50", "--seeds", "2",
                        "--steps", "3", "--quiet", "--out", str(tmp_path / "r"),
                        "--probes", "frei_neurons,frei_samples,frei_test"], capsys)
    assert code == 0, err
    (rec,) = [p for p in (tmp_path / "r").iterdir() if p.is_dir()]
    code, out, err = run(["conditions", "--record", str(rec), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["stops_at_T"] is False
    code, out, err = run(["conditions", "--record", str(rec)], capsys)
    assert "runs stop at T = 1 + 1/(4 alpha) (3.5, not a whole number of steps at alpha = 0.1, "\
        "as the claims read it): no (3 steps" in out, out
    code, out, err = run(["check", "frei2023.theorem1.train_fit", "--record", str(rec),
                          "--json"], capsys)
    (row,) = json.loads(out)
    assert "runs stop at T = 1 + 1/(4 alpha): no" in row["regime"] and not row["in_regime"]
