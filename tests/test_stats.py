"""Verdict statistics against independent oracles: textbook quantiles and examples, exact
power laws, brute-force coverage by simulation, and the truth tables of the interval rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twolayer import stats
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE


def test_mean_ci_matches_the_textbook_t_interval() -> None:
    v = [1.0, 2.0, 3.0, 4.0, 5.0]
    m, (lo, hi) = stats.mean_ci(v)
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t_{4, 0.975} from tables
    assert m == 3.0 and lo == pytest.approx(3 - half, rel=1e-12)
    assert hi == pytest.approx(3 + half, rel=1e-12)


def test_mean_ci_drops_non_finite_values_and_finite_counts_them() -> None:
    m, ci = stats.mean_ci([1.0, float("nan"), 3.0, float("inf")])
    assert m == 2.0 and stats.finite([1.0, float("nan"), 3.0, float("inf")]).size == 2
    assert stats.mean_ci([7.0])[1] == (7.0, 7.0)
    assert all(math.isnan(x) for x in (stats.mean_ci([])[0], *stats.mean_ci([])[1]))


def test_mean_ci_covers_the_mean_at_its_level() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(2000):
        _, (lo, hi) = stats.mean_ci(rng.normal(0.3, 2.0, size=6))
        hits += lo <= 0.3 <= hi
    assert abs(hits / 2000 - 0.95) < 0.015


def test_jackknife_of_the_mean_is_the_standard_error() -> None:
    v = np.array([0.3, 1.9, 2.2, 4.0, 4.1, 7.5])
    est, (lo, hi), se = stats.jackknife(lambda idx: float(v[idx].mean()), v.size)
    assert est == pytest.approx(v.mean())
    assert se == pytest.approx(v.std(ddof=1) / math.sqrt(v.size), rel=1e-12)
    assert (lo, hi) == pytest.approx(stats.mean_ci(v)[1], rel=1e-12)


def test_jackknife_on_the_log_scale_is_multiplicative() -> None:
    v = np.array([1.0, 2.0, 4.0, 8.0])
    est, (lo, hi), _ = stats.jackknife(lambda idx: float(np.exp(np.log(v[idx]).mean())),
                                       v.size, log=True)
    assert est == pytest.approx(math.sqrt(8.0))
    assert lo * hi == pytest.approx(est**2)


def test_slopes_recover_exact_power_and_log_laws() -> None:
    x = np.array([10.0, 20.0, 40.0, 80.0])
    assert stats.loglog_slope(x, 3.0 * x**-0.5) == pytest.approx(-0.5)
    assert stats.semilog_slope(x, 1.0 + 0.25 * np.log2(x)) == pytest.approx(0.25)
    assert stats.semilog_slope(x, np.log10(x), base=10) == pytest.approx(1.0)


def test_holm_matches_the_textbook_example() -> None:
    # p = (0.01, 0.04, 0.03, 0.005): sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 → monotone max
    adj = stats.holm([0.01, 0.04, 0.03, 0.005])
    assert adj == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("ci, bound, direction, want", [
    ((0.1, 0.2), 0.3, "<=", HOLDS), ((0.4, 0.5), 0.3, "<=", FAILS),
    ((0.2, 0.4), 0.3, "<=", INCONCLUSIVE), ((0.4, 0.5), 0.3, ">=", HOLDS),
    ((0.1, 0.2), 0.3, ">=", FAILS), ((float("nan"), 0.2), 0.3, ">=", INCONCLUSIVE),
])
def test_compare(ci, bound, direction, want) -> None:
    assert stats.compare(ci, bound, direction) == want


def test_interval_sign_combine_exists() -> None:
    assert stats.interval_outcome((0.2, 0.3), 0.0, 1.0) == HOLDS
    assert stats.interval_outcome((1.2, 1.3), 0.0, 1.0) == FAILS
    assert stats.interval_outcome((0.9, 1.3), 0.0, 1.0) == INCONCLUSIVE
    assert stats.sign_outcome((0.1, 0.2), +1) == HOLDS
    assert stats.sign_outcome((0.1, 0.2), -1) == FAILS
    assert stats.sign_outcome((-0.1, 0.2), -1) == INCONCLUSIVE
    assert stats.combine(HOLDS, HOLDS) == HOLDS
    assert stats.combine(HOLDS, INCONCLUSIVE) == INCONCLUSIVE
    assert stats.combine(INCONCLUSIVE, FAILS) == FAILS
    assert stats.exists([FAILS, HOLDS]) == HOLDS
    assert stats.exists([FAILS, FAILS]) == FAILS
    assert stats.exists([FAILS, INCONCLUSIVE]) == INCONCLUSIVE
    assert stats.exists([]) == INCONCLUSIVE
    with pytest.raises(ValueError):
        stats.compare((0, 1), 0.5, "<")


def test_formats() -> None:
    assert stats.fmt_num(None) == "nan" and stats.fmt_num(0.012345) == "0.0123"
    assert stats.fmt_mean_ci([1.0, 1.0], digits=3) == "1.000 [1.000, 1.000]"


def _sample_with(mean: float, sd: float, k: int) -> np.ndarray:
    """k values with exactly this mean and sample standard deviation."""
    z = np.arange(k, dtype=np.float64)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


def test_seeds_needed_is_where_the_interval_first_clears_the_bound() -> None:
    v = [0.1, 0.3, 0.2, 0.25]
    k = stats.seeds_needed(v, 0.15)
    m, s = float(np.mean(v)), float(np.std(v, ddof=1))
    assert stats.compare(stats.mean_ci(_sample_with(m, s, k))[1], 0.15, ">=") == HOLDS
    assert stats.compare(stats.mean_ci(_sample_with(m, s, k - 1))[1], 0.15, ">=") == INCONCLUSIVE
    assert stats.seeds_needed([0.2, 0.2 + 1e-12], 0.2) is not None
    assert stats.seeds_needed([1.0], 0.0) is None
    assert stats.seeds_needed([0.0, 1.0], 0.5) is None  # no effect at all


def test_verdicts_carry_tier_and_seeds_needed(monkeypatch) -> None:
    from twolayer.claims import CLAIMS
    from twolayer.claims.base import Claim, judge, outcome
    from twolayer.experiments import Runs

    per_seed = (0.1, 0.3, 0.2, 0.25)
    o = outcome(INCONCLUSIVE, 0.2125, ">= 0.15", stats.mean_ci(per_seed)[1], 4, "s")
    o = type(o)(**{**o.__dict__, "per_seed": per_seed, "threshold": 0.15})
    c = Claim("fakepaper.t", "fakepaper", "st", "Lemma 1", lambda runs: o)
    monkeypatch.setitem(CLAIMS, c.id, c)
    quick, full = judge(c, Runs(quick=True)), judge(c, Runs(quick=False))
    assert quick.tier == "smoke" and full.tier == "evidence"
    assert full.seeds_needed == stats.seeds_needed(per_seed, 0.15) == 10
    assert full.to_json()["seeds_needed"] == 10
