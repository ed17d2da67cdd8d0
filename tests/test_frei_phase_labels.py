"""phase-frei names the conclusion of Theorem 1 that failed in a cell (E: test-error bound,
C: a clean training point wrong), counted per seed against a hand computation."""

from __future__ import annotations

import math

import numpy as np

from twolayer.plots import phase as P
from twolayer.record import Record


def _rec(err_clean, train_clean, n=100, eta=0.1) -> Record:
    arrays = {
        "errors/test_error_clean": np.array(err_clean, dtype=float)[:, None].repeat(2, 1),
        "errors/train_error_clean": np.array(train_clean, dtype=float)[:, None].repeat(2, 1),
    }
    return Record({"data": {"n": n, "noise": eta}}, "x", np.arange(2), arrays, {})


def test_cell_label_names_each_failing_conclusion():
    slack = math.sqrt(math.log(20) / 100)  # E holds iff 0.8 * err_clean <= slack
    bad_e = slack / 0.8 + 0.01
    rec = _rec([0.0, bad_e, bad_e, 0.0], [0.0, 0.0, 0.1, 0.2])
    assert P.frei_conclusions(rec)["E"].tolist() == [True, False, False, True]
    assert P.frei_conclusions(rec)["C"].tolist() == [True, True, False, False]
    assert P.frei_cell_label(rec) == "E2 C2"
    assert P.frei_claims_hold(rec).tolist() == [True, False, False, False]
    assert P.frei_cell_label(_rec([0.0, 0.0], [0.0, 0.0])) == ""
    assert P.frei_cell_label(_rec([0.0, 0.0], [0.0, 0.05])) == "C1"
