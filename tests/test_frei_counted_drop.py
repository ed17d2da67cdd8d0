"""frei2023's Fig. 2 decline ("peak − final test accuracy ≥ 0.02") in whole test points: seeds
that each lose the same number of test points after their peak give equal drops, judged as
values with no spread (the exact sign test: p = 2^−R), not by a t-test of float32 rounding.

Oracle: integer arithmetic on the planted counts and 2^−R; control: the float32 error shares
the record stores, differenced as floats, leave the same drops unequal.
"""

from __future__ import annotations

import numpy as np
from test_claims_frei import _doctored, tiny_run  # noqa: F401 (fixture)

from twolayer.claims import CLAIMS
from twolayer.claims.base import judge
from twolayer.record import Record
from twolayer.stats import HOLDS, INCONCLUSIVE, no_spread

LOST = 37  # test points each seed loses after its peak


def _same_drop(r: Record) -> None:
    """Training accuracy passes 1 − eta at the middle probe; from there each seed's test
    accuracy peaks at its own count P_r and ends at P_r − LOST."""
    n = int(r.config["data"]["n_test"])
    T, R = r.times.size, r.seeds
    half = T // 2
    train_err = np.full((R, T), 0.5)
    train_err[:, half:] = 0.0
    peak = np.array([int(0.9 * n) - 3 * k for k in range(R)])
    right = np.repeat(peak[:, None], T, axis=1).astype(float)
    right[:, -1] = peak - LOST
    r.arrays["errors/train_error"][:] = train_err
    r.arrays["errors/test_error"][:] = (n - right) / n  # stored as float32 shares


def test_equal_drops_in_test_points_are_equal_values(tiny_run) -> None:  # noqa: F811
    exps, _ = tiny_run
    runs = _doctored(exps, _same_drop, "frei2023.fig2")
    rec = runs.get("frei2023.fig2")["low_d"]
    n, R = int(rec.config["data"]["n_test"]), rec.seeds
    assert LOST / n >= 0.02 and rec.arrays["errors/test_error"].dtype == np.float32
    # the control: the float32 shares' own differences are not equal
    acc = 1.0 - rec.arrays["errors/test_error"].astype(np.float64)
    half = rec.times.size // 2
    as_floats = acc[:, half:].max(-1) - acc[:, -1]
    assert not no_spread(as_floats)
    v = judge(CLAIMS["frei2023.fig2.low_d_decline"], runs)
    assert v.measured == LOST / n  # (peak − final)/n of whole counts: exactly equal drops
    # the exact sign test on R equal values (the tiny plan's R = 2: 0.25, inconclusive; the
    # float32 drops' t-test held it)
    assert (v.verdict == HOLDS) == (0.5 ** R < 0.05)
    if R < 5:
        assert v.verdict == INCONCLUSIVE
