"""Audit of the verdict statistics against independent oracles (scipy, textbook formulas, Monte
Carlo with fixed seeds; tolerances are 3 Monte Carlo standard errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as ss

from twolayer import sequential, stats


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


def _holm_reject(p: np.ndarray, alpha: float) -> np.ndarray:
    """Textbook Holm step-down: sort, reject p_(r) while p_(r) <= alpha/(k - r), stop at the
    first that is not."""
    k = p.size
    rej = np.zeros(k, dtype=bool)
    for r, i in enumerate(np.argsort(p, kind="stable")):
        if p[i] > alpha / (k - r):
            break
        rej[i] = True
    return rej


def test_holm_rejects_what_the_textbook_step_down_rejects_with_ties() -> None:
    rng = np.random.default_rng(11)
    for t in range(1500):
        k = int(rng.integers(1, 12))
        if t % 3 == 0:
            p = rng.random(k)
        elif t % 3 == 1:
            p = np.round(rng.random(k), 1)  # many ties
        else:
            p = rng.choice([0.0, 0.01, 0.0125, 0.025, 0.05, 0.5, 1.0], k)  # ties on the cuts
        adj = stats.holm(p)
        assert np.all(adj >= p - 1e-15) and np.all(adj <= 1.0)
        for alpha in (0.05, 0.01):
            assert np.array_equal(adj <= alpha, _holm_reject(p, alpha)), (p, alpha)


def test_holm_outcomes_keep_the_family_wise_error_under_the_null() -> None:
    """k = 4 Gaussian comparisons whose mean is exactly the bound: a wrong holds in any of them
    at most α = 0.05 (+3 s.e.); the same tests uncorrected would be wrong in about 19%."""
    rng = np.random.default_rng(12)
    n, k, R = 2000, 4, 6
    wrong = uncorrected = 0
    for _ in range(n):
        comps = [(rng.standard_normal(R), 0.0, ">=" if j % 2 else "<=") for j in range(k)]
        wrong += stats.HOLDS in stats.holm_outcomes(comps)
        uncorrected += any(stats.one_sided_p(v, b, d)[0] < 0.05 for v, b, d in comps)
    assert wrong / n <= 0.05 + 3 * _se(0.05, n)
    assert uncorrected / n >= 0.15  # the simulation tells a corrected family from none


def test_clopper_pearson_is_scipys_exact_interval() -> None:
    for R in (1, 2, 3, 4, 5, 8, 10, 16, 25):
        for k in range(R + 1):
            for level in (0.95, 0.99):
                ci = ss.binomtest(k, R).proportion_ci(level, method="exact")
                lo, hi = stats.clopper_pearson(k, R, level)
                assert lo == pytest.approx(ci.low, abs=1e-10)
                assert hi == pytest.approx(ci.high, abs=1e-10)
    assert all(math.isnan(x) for x in stats.clopper_pearson(0, 0))


@pytest.mark.parametrize("R", [4, 10])
def test_mean_ci_misses_each_side_at_half_the_level_for_gaussian_seeds(R: int) -> None:
    """A verdict is one-sided: each end of the 95% t-interval must be wrong in 2.5% of Gaussian
    samples (neither more, which makes wrong holds, nor much less)."""
    rng = np.random.default_rng(13 + R)
    n = 4000
    x = rng.normal(1.0, 3.0, size=(n, R))
    lo_miss = hi_miss = 0
    for row in x:
        _, (lo, hi) = stats.mean_ci(row)
        lo_miss += lo > 1.0
        hi_miss += hi < 1.0
    for miss in (lo_miss, hi_miss):
        assert abs(miss / n - 0.025) <= 3 * _se(0.025, n)


def test_median_ci_is_never_anti_conservative_on_a_skewed_law() -> None:
    """The order-statistic interval is distribution-free: on log-normal seeds (where the t-interval
    of the mean misses its upper side in ~17% of samples) each end misses the median in at most
    2.5% (+3 s.e.)."""
    rng = np.random.default_rng(14)
    for R in (8, 12, 20):
        n = 2000
        lo_miss = hi_miss = 0
        for _ in range(n):
            _, (lo, hi) = stats.median_ci(rng.lognormal(0.0, 1.0, R))
            lo_miss += lo > 1.0
            hi_miss += hi < 1.0
        for miss in (lo_miss, hi_miss):
            assert miss / n <= 0.025 + 3 * _se(0.025, n)


def test_seeds_equal_up_to_rounding_decide_nothing() -> None:
    """Seeds equal up to 1e-13 relative are seeds with no spread (stats.no_spread): their
    t-interval, order-statistic interval and bootstrap interval must not decide either (before:
    a 1e-13-wide t-interval held ">= 0.5" from four copies of 1.0)."""
    v = [1.0, 1.0 + 1e-13, 1.0, 1.0, 1.0 - 1e-13, 1.0]
    assert stats.no_spread(v)
    assert stats.compare(stats.mean_ci(v)[1], 0.5, ">=") == stats.INCONCLUSIVE
    assert stats.compare(stats.mean_ci(v, 0.99)[1], 0.5, ">=") == stats.INCONCLUSIVE
    assert stats.compare(stats.median_ci(v)[1], 0.5, ">=") == stats.INCONCLUSIVE
    assert stats.sign_outcome(stats.bootstrap_ci([v], np.mean)[1], 1) == stats.INCONCLUSIVE
    # the exact sign test still judges them, as documented: 6 equal seeds, p = 2^-6
    assert stats.holm_outcomes([(v, 0.5, ">=")]) == [stats.HOLDS]
    # a real spread still decides
    assert stats.compare(stats.mean_ci([1.0, 1.1, 0.9, 1.0])[1], 0.5, ">=") == stats.HOLDS


def test_seeds_needed_says_none_for_seeds_with_no_spread() -> None:
    """Before: three equal seeds, inconclusive, reported "3 seeds needed" (the seeds it had)."""
    assert stats.seeds_needed([1.0, 1.0, 1.0], 0.0) is None
    assert stats.seeds_needed([1.0, 1.0 + 1e-13, 1.0], 0.0) is None
    # equal seeds under --seeds auto are judged by the sign sequence: 7 unanimous at α = 0.05
    assert sequential.cs_seeds_needed([1.0, 1.0, 1.0], 0.0) == 7
    assert sequential.sign_decide([1.0] * 7, 0.0, ">=") == stats.HOLDS
    assert sequential.sign_decide([1.0] * 6, 0.0, ">=") == stats.INCONCLUSIVE


def test_combining_no_outcomes_holds_nothing() -> None:
    """"Every part holds" over no parts is vacuous: a claim whose comparisons were all filtered
    away (e.g. no good run in any setting) must not hold (before: combine() == holds)."""
    assert stats.combine() == stats.INCONCLUSIVE
    assert stats.combine(*stats.holm_outcomes([])) == stats.INCONCLUSIVE
    assert stats.exists([]) == stats.INCONCLUSIVE
    assert sequential.judge_comparisons([])[0] == stats.INCONCLUSIVE


def test_outcome_maps_judge_only_by_the_whole_interval() -> None:
    h, f, i = stats.HOLDS, stats.FAILS, stats.INCONCLUSIVE
    # straddling, inside, outside, touching (a non-strict claim "<= b" holds at hi == b; it
    # fails only when the whole interval is strictly beyond b)
    assert [stats.compare(c, 1.0, "<=") for c in
            [(0.5, 1.5), (0.2, 0.9), (1.1, 2.0), (0.5, 1.0), (1.0, 2.0)]] == [i, h, f, h, i]
    assert [stats.compare(c, 1.0, ">=") for c in
            [(0.5, 1.5), (1.1, 2.0), (0.2, 0.9), (1.0, 2.0), (0.5, 1.0)]] == [i, h, f, h, i]
    assert [stats.sign_outcome(c, 1) for c in [(0.0, 1.0), (0.1, 1.0), (-1.0, -0.1)]] == [i, h, f]
    assert [stats.interval_outcome(c, 0.0, 1.0) for c in
            [(0.1, 0.9), (-0.1, 0.5), (1.1, 2.0), (0.0, 1.0)]] == [h, i, f, h]
    for c in [(math.nan, 1.0), (-math.inf, 0.0), (0.3, 0.3)]:
        assert stats.compare(c, 1.0, "<=") == i
        assert stats.sign_outcome(c, -1) == i
        assert stats.interval_outcome(c, 0.0, 1.0) == i
    assert stats.combine(h, h) == h and stats.combine(h, i) == i and stats.combine(i, f) == f
    assert stats.exists([f, h]) == h and stats.exists([f, i]) == i and stats.exists([f, f]) == f


def test_the_confidence_sequence_keeps_its_level_when_looked_at_after_every_seed() -> None:
    """The most aggressive optional stopping: look after every seed from 2 to 48 and stop at the
    first exclusion of the true mean. Ville's bound: at most α (+3 s.e.); the fixed-n t-interval
    looked at the same way is wrong far more often."""
    rng = np.random.default_rng(15)
    n, alpha = 600, 0.05
    c = sequential.mixture_c(alpha=alpha)
    miss = naive = 0
    for _ in range(n):
        x = rng.standard_normal(48)
        for m in range(2, 49):
            _, (lo, hi) = sequential.t_cs(x[:m], alpha, c)
            if lo > 0.0 or hi < 0.0:
                miss += 1
                break
        for m in range(2, 49):
            _, (lo, hi) = stats.mean_ci(x[:m])
            if lo > 0.0 or hi < 0.0:
                naive += 1
                break
    assert miss / n <= alpha + 3 * _se(alpha, n)
    assert naive / n >= 0.2
