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


# ------------------------------------------------- pinned by mutation testing of the verdict core


def test_the_sign_test_leaves_out_values_equal_to_the_bound() -> None:
    """For *holds* the exact sign test counts only the values off the bound (as scipy's
    binomtest on the untied values): 6 above and 3 exactly at the bound have p = 2^-6 = 0.0156,
    a holds of "median >= 0". For *fails* the ties count for the claim (a median equal to the
    bound satisfies "median <= 0"): "median <= 0" fails only if P(X > 0) > 1/2 over all 9
    values, P(Bin(9, 1/2) >= 6) = 130/512 = 0.254, undecided."""
    v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0]
    untied = ss.binomtest(6, 6, 0.5, alternative="greater").pvalue
    all_nine = ss.binomtest(6, 9, 0.5, alternative="greater").pvalue
    assert untied == pytest.approx(2.0**-6)
    assert all_nine == pytest.approx(130 / 512)
    assert stats.one_sided_p(v, 0.0, ">=", "sign") == pytest.approx((untied, 1.0))
    assert stats.one_sided_p(v, 0.0, "<=", "sign") == pytest.approx((1.0, all_nine))
    assert stats.holm_outcomes([(v, 0.0, ">=")], method="sign") == [stats.HOLDS]
    assert stats.holm_outcomes([(v, 0.0, "<=")], method="sign") == [stats.INCONCLUSIVE]


def test_a_vacuous_nan_is_dropped_but_an_infinite_value_is_kept_for_the_sign_test() -> None:
    """nan_vacuous drops only the NaN placeholders: +inf (a censored "never") is a value above
    every bound for the sign test. 5 x inf and 1.0 above 0: 6 of 6, p = 2^-6 < 0.05, holds;
    dropping the infs too would leave one value, which decides nothing."""
    inf, nan = math.inf, math.nan
    c = stats.Comparison((inf, 1.0, nan, inf, inf, inf, inf), 0.0, ">=", "sign", nan_vacuous=True)
    assert c.judged_values() == (inf, 1.0, inf, inf, inf, inf)
    assert stats.comparison_outcomes([c]) == [stats.HOLDS]


def test_holm_outcomes_hold_only_when_the_adjusted_p_is_strictly_below_one_minus_level() -> None:
    """Documented: holds when the adjusted p is *below* 1 - level. Two of two values above the
    bound have the exact sign-test p = 2^-2 = 0.25, exactly 1 - 0.75: not below, so undecided at
    level 0.75; three of three (p = 1/8) hold."""
    assert stats.holm_outcomes([([1.0, 2.0], 0.0, ">=")], 0.75, "sign") == [stats.INCONCLUSIVE]
    assert stats.holm_outcomes([([1.0, 2.0, 3.0], 0.0, ">=")], 0.75, "sign") == [stats.HOLDS]
    c = stats.Comparison((1.0, 2.0), 0.0, ">=", "sign")
    assert stats.comparison_outcomes([c], 0.75) == [stats.INCONCLUSIVE]


def test_median_ci_takes_an_order_statistic_whose_coverage_equals_the_level() -> None:
    """Coverage "at least level" includes equality: for k = 4 the interval [v_(1), v_(4)] covers
    the median with probability 1 - 2 * 2^-4 = 7/8 exactly, so at level 0.875 it is that
    interval, not NaN."""
    assert 1.0 - 2.0 * ss.binom.cdf(0, 4, 0.5) == 0.875
    assert stats.median_ci([3.0, 1.0, 4.0, 2.0], 0.875) == (2.5, (1.0, 4.0))
    assert all(math.isnan(x) for x in stats.median_ci([3.0, 1.0, 4.0, 2.0], 0.876)[1])


def test_bootstrap_ci_ends_are_the_two_sided_percentiles() -> None:
    """The resampled mean of 50 zeros and 50 ones is Bin(100, 1/2)/100 exactly; its 2.5% and
    97.5% quantiles are 0.40 and 0.60 (scipy's binom.ppf). With 20000 resamples the percentile
    interval lands within 0.01 of them; one-sided 5% ends would be 0.42 and 0.58."""
    assert ss.binom.ppf(0.025, 100, 0.5) == 40 and ss.binom.ppf(0.975, 100, 0.5) == 60
    assert ss.binom.ppf(0.05, 100, 0.5) == 42
    _, (lo, hi) = stats.bootstrap_ci([[0.0] * 50 + [1.0] * 50], np.mean, n_boot=20_000)
    assert abs(lo - 0.40) <= 0.01 and abs(hi - 0.60) <= 0.01, (lo, hi)


def test_bootstrap_ci_is_nan_when_over_5_percent_of_resamples_have_no_statistic() -> None:
    """A statistic that is NaN unless the resample contains value 0 is missing in
    P(0 not drawn in 10 draws from 10) = 0.9^10 = 0.35 of resamples: more than 5%, so no
    interval. NaN only when none of 0, 1, 2 is drawn: 0.7^10 = 0.028 < 5%, an interval."""
    v = np.arange(10.0)
    need0 = lambda a: float(a.mean()) if (a == 0).any() else math.nan  # noqa: E731
    need_any = lambda a: float(a.mean()) if (a <= 2).any() else math.nan  # noqa: E731
    assert all(math.isnan(x) for x in stats.bootstrap_ci([v], need0)[1])
    assert all(math.isfinite(x) for x in stats.bootstrap_ci([v], need_any)[1])


def test_seeds_needed_against_a_brute_force_search_of_the_t_quantile() -> None:
    """seeds_needed is the smallest k >= 2 with t_{k-1, 0.975} s / sqrt(k) < |mean - bound|
    (scipy's t quantile, k by brute force)."""
    for v, bound in (([0.1, 0.3, 0.2, 0.25], 0.15), ([1.0, 2.0, 4.0], 1.5),
                     ([0.0, 1.0, 0.5, 0.7, 0.2], 0.3), ([5.0, 5.5], 4.0)):
        m, s = float(np.mean(v)), float(np.std(v, ddof=1))
        want = next(k for k in range(2, 100_000)
                    if ss.t.ppf(0.975, k - 1) * s / math.sqrt(k) < abs(m - bound))
        assert stats.seeds_needed(v, bound) == want, (v, bound)


def test_one_value_is_never_judged_even_at_a_low_level() -> None:
    """One seed is a point estimate: (1, 1) whatever the test, so that even at level 0.4
    (α = 0.6, above the exact sign test's p = 1/2 for one value above the bound) it decides
    nothing."""
    assert stats.one_sided_p([1.0], 0.0, ">=", "sign") == (1.0, 1.0)
    assert stats.one_sided_p([1.0], 0.0, ">=", "t") == (1.0, 1.0)
    assert stats.holm_outcomes([([1.0], 0.0, ">=")], 0.4, "sign") == [stats.INCONCLUSIVE]
    assert stats.holm_outcomes([([1.0], 0.0, "<=")], 0.4, "sign") == [stats.INCONCLUSIVE]
