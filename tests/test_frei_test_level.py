# ruff: noqa: F811 (the tiny_run fixture, imported, is every test's argument)
"""Five frei2023 claims decide by one one-sided t-test at 95%, as the report header says a
one-sided comparison does (they compared the two-sided 95% interval with their bound, a one-sided
2.5% test, which their bound texts did not say; docs/verdict_audit.md section 18).

Each doctored record carries per-seed values whose one-sided t-test p-value lies between 0.025
and 0.05 (checked here with scipy, independently of twolayer.stats): a 95% test decides, the old
two-sided interval did not (it left every one of them inconclusive). On the claimed side the
claim holds, on the other side it fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st
from test_claims_frei import _doctored, _more_runs, tiny_run  # noqa: F401 (fixture)
from test_mut_claims_frei import _doctored_fig2, _late, _set_seeds

from twolayer.claims import CLAIMS
from twolayer.claims.base import judge
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE, mean_ci

R = 8


def _between_levels(bound: float, direction: str, claimed: bool) -> np.ndarray:
    """R values whose t statistic against ``bound`` is halfway between the one-sided 5% and 2.5%
    critical values, on the claimed side of ``direction`` or on the other."""
    z = np.linspace(-1.0, 1.0, R)
    z = (z - z.mean()) / z.std(ddof=1)
    t = 0.5 * (st.t.ppf(0.95, R - 1) + st.t.ppf(0.975, R - 1))
    s = 0.004
    side = (1.0 if direction == ">=" else -1.0) * (1.0 if claimed else -1.0)
    v = bound + side * t * s / math.sqrt(R) + s * z
    # the oracle: scipy's one-sided p-value in (0.025, 0.05), and the two-sided 95% interval
    # (the old rule) contains the bound
    alt = "greater" if side > 0 else "less"
    p = st.ttest_1samp(v, bound, alternative=alt).pvalue
    assert 0.025 < p < 0.05, p
    _, ci = mean_ci(v, 0.95)
    assert ci[0] < bound < ci[1], ci
    return v


def _set_column(r, key: str, values: np.ndarray) -> None:
    """Give record ``r`` R runs (its own repeated, every array [R, ...]) and set array ``key``
    to ``values``, one per run."""
    _more_runs(r, -(-R // r.arrays[key].shape[0]))
    r.arrays = {k: a[:R].copy() for k, a in r.arrays.items()}
    shape = r.arrays[key].shape
    r.arrays[key] = values.reshape((R,) + (1,) * (len(shape) - 1)) * np.ones(shape)
    _set_seeds(r, key)


@pytest.mark.parametrize("claimed, want", [(True, HOLDS), (False, FAILS)])
@pytest.mark.parametrize("cid, key", [
    ("frei2023.section1.linear_chance", "acc/logreg_nobias_acc_clean"),
    ("frei2023.section1.affine_chance", None),
])
def test_linear_claims_decide_at_one_sided_95(tiny_run, cid, key, claimed, want):
    exps, _ = tiny_run
    v = _between_levels(0.55, "<=", claimed)

    def edit(r) -> None:
        if key is not None:
            _set_column(r, key, v)
        else:  # the best of the two affine classifiers: both at v
            _set_column(r, "acc/logreg_bias_acc_clean", v)
            r.arrays["acc/one_vs_three_acc_clean"] = r.arrays["acc/logreg_bias_acc_clean"].copy()

    out = judge(CLAIMS[cid], _doctored(exps, edit, "frei2023.linear"))
    assert out.seeds == R
    assert out.verdict == want, out.detail[:300]
    assert "one one-sided t-test, 95%" in out.bound


@pytest.mark.parametrize("claimed, want", [(True, HOLDS), (False, FAILS)])
def test_needs_small_init_decides_at_one_sided_95(tiny_run, claimed, want):
    exps, _ = tiny_run
    v = _between_levels(0.2, "<=", claimed)

    def edit(r) -> None:
        key = "frei_neurons/rho_own"
        _more_runs(r, -(-R // r.arrays[key].shape[0]))
        r.arrays = {k: a[:R].copy() for k, a in r.arrays.items()}
        _set_seeds(r, key)
        t1 = int(np.flatnonzero(r.times == 1)[0])
        r.arrays[key][:, t1] = v[:, None]  # every neuron of run i at v_i: its median is v_i

    out = judge(CLAIMS["frei2023.lemma12.needs_small_init"],
                _doctored(exps, edit, "frei2023.lazy"))
    assert out.seeds == R
    assert out.verdict == want, out.detail[:300]


@pytest.mark.parametrize("claimed, want", [(True, HOLDS), (False, FAILS)])
def test_fig2_benign_decides_at_one_sided_95(tiny_run, claimed, want):
    """Every run interpolates at the second probe time; its test accuracy from then on is v_i."""
    exps, _ = tiny_run
    eta = exps.get("frei2023.fig2")["high_d"].config["data"]["noise"]
    v = _between_levels(1 - eta - 0.03, ">=", claimed)
    runs = _doctored_fig2(exps, _late(True, lambda i, T: np.r_[0.3, np.zeros(T - 1)],
                                      lambda i, T: np.full(T, 1.0 - v[i]), seeds=R))
    out = judge(CLAIMS["frei2023.fig2.high_d_benign"], runs)
    assert out.seeds == R
    assert out.verdict == want, out.detail[:300]


@pytest.mark.parametrize("claimed, want", [(True, HOLDS), (False, FAILS)])
def test_fig2_decline_decides_at_one_sided_95(tiny_run, claimed, want):
    """Training accuracy 1 from the second probe time on; test accuracy 1 - eta until the last
    probe time, then 1 - eta - v_i: the fall after the premise is v_i."""
    exps, _ = tiny_run
    eta = exps.get("frei2023.fig2")["low_d"].config["data"]["noise"]
    v = _between_levels(0.02, ">=", claimed)
    runs = _doctored_fig2(exps, _late(False, lambda i, T: np.r_[0.3, np.zeros(T - 1)],
                                      lambda i, T: np.r_[np.full(T - 1, eta), eta + v[i]],
                                      seeds=R))
    out = judge(CLAIMS["frei2023.fig2.low_d_decline"], runs)
    assert out.seeds == R
    assert out.verdict == want, out.detail[:300]


def test_fig2_decline_needs_a_probe_time_after_the_premise(tiny_run):
    """A run whose training accuracy first passes 1 - eta at its last probe time shows no time
    after the premise: its fall (0 by construction) is not observed, and the claim stays
    inconclusive. Seven runs pass it at the second probe time and then fall by 10 points; the
    eighth passes it only at the end. Read as a 0, the eighth would have let the seven decide
    (the old rule held)."""
    exps, _ = tiny_run
    eta = exps.get("frei2023.fig2")["low_d"].config["data"]["noise"]

    def train_err(i, T):
        return np.r_[np.full(T - 1, 0.3), 0.0] if i == R - 1 else np.r_[0.3, np.zeros(T - 1)]

    def test_err(i, T):
        return np.r_[np.full(T - 1, eta), eta + (0.0 if i == R - 1 else 0.1 + 0.001 * i)]

    runs = _doctored_fig2(exps, _late(False, train_err, test_err, seeds=R))
    out = judge(CLAIMS["frei2023.fig2.low_d_decline"], runs)
    assert out.verdict == INCONCLUSIVE, out.detail[:300]
    # with the eighth run passing 1 - eta at the second probe time too, the seven decide
    runs = _doctored_fig2(exps, _late(False, lambda i, T: np.r_[0.3, np.zeros(T - 1)], test_err,
                                      seeds=R))
    assert judge(CLAIMS["frei2023.fig2.low_d_decline"], runs).verdict == HOLDS
