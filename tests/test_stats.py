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
    assert stats.mean_ci([7.0])[0] == 7.0
    assert all(math.isnan(x) for x in stats.mean_ci([7.0])[1])  # one seed: no interval
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


# ---- median_ci, bootstrap_ci, holm_outcomes, outliers: checked against independent oracles ----


def test_median_ci_order_statistics_match_the_binomial_table() -> None:
    # k = 10 at 95%: j = 2 (coverage 1 - 2*P(Bin(10,.5) <= 1) = 0.9785; j = 3 gives 0.8906)
    v = np.arange(10.0)[::-1]
    med, (lo, hi) = stats.median_ci(v)
    assert med == 4.5 and (lo, hi) == (1.0, 8.0)
    # k = 5: even [min, max] covers only 1 - 2/32 = 0.9375 < 0.95 -> no interval
    assert all(math.isnan(x) for x in stats.median_ci([1, 2, 3, 4, 5])[1])


def test_median_ci_covers_the_median_of_a_bimodal_law_at_its_level() -> None:
    rng = np.random.default_rng(1)
    hits, trials = 0, 2000
    for _ in range(trials):  # 30% of seeds "escape" to +10: median of the law is 0.0 ... (N(0,1))
        x = np.where(rng.random(12) < 0.3, rng.normal(10, 1, 12), rng.normal(0, 1, 12))
        _, (lo, hi) = stats.median_ci(x)
        true_median = 0.5244  # solves 0.7*Phi(m) + 0.3*Phi(m-10) = 0.5 (to 4 digits)
        hits += lo <= true_median <= hi
    assert hits / trials >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / trials)


def test_bootstrap_ci_is_seeded_and_covers_a_slope() -> None:
    rng = np.random.default_rng(2)
    xs = np.array([8.0, 16.0, 32.0])
    hits, trials = 0, 200
    for t in range(trials):  # y = 2 log x + noise, 6 seeds per setting
        groups = [2 * np.log(x) + rng.normal(0, 0.3, 6) for x in xs]

        def slope(*g: np.ndarray) -> float:  # least squares, closed form (np.polyfit's fit
            lx = np.log(xs)  # 10x faster: 80,000 calls took 25 s)
            ym = np.array([a.mean() for a in g])
            lc = lx - lx.mean()
            return float(lc @ (ym - ym.mean()) / (lc @ lc))

        est, (lo, hi) = stats.bootstrap_ci(groups, slope, n_boot=400, seed=t)
        if t < 5:  # seeded: the same seed gives the same interval (checked on a few trials)
            assert stats.bootstrap_ci(groups, slope, n_boot=400, seed=t)[1] == (lo, hi)
        hits += lo <= 2.0 <= hi
    # percentile bootstrap with 6 per group undercovers somewhat; it must not be far off
    assert hits / trials >= 0.85


def test_bootstrap_ci_needs_two_values_per_sample() -> None:
    assert all(math.isnan(x) for x in stats.bootstrap_ci([[1.0]], np.median)[1])


def test_family_level_is_bonferroni() -> None:
    assert stats.family_level(0.95, 5) == pytest.approx(0.99)
    assert stats.family_level(0.9, np.int64(4)) == pytest.approx(0.975)


@pytest.mark.parametrize("k", [0, -3, 2.7, 2.0, True, "3", None])
def test_family_level_refuses_a_family_that_is_not_a_count(k) -> None:
    # k = 0 and k = 2.7 were read as 1 and 2 comparisons: a level for a family that is not there
    with pytest.raises(ValueError, match="k = "):
        stats.family_level(0.95, k)


def test_holm_outcomes_against_a_brute_force_holm() -> None:
    from scipy import stats as ss

    rng = np.random.default_rng(3)
    for _ in range(50):
        comps = [(rng.normal(rng.normal(0.5, 0.5), 1, 8), 0.0, rng.choice([">=", "<="]))
                 for _ in range(4)]
        got = stats.holm_outcomes(comps)
        # brute force: Holm = reject p_(i) while p_(i) <= alpha/(k - i), stop at first failure
        def rejected(ps: list[float]) -> set[int]:
            out: set[int] = set()
            for rank, i in enumerate(np.argsort(ps)):
                if ps[i] < 0.05 / (len(ps) - rank):
                    out.add(int(i))
                else:
                    break
            return out
        p_claim, p_other = [], []
        for v, b, d in comps:
            t = ss.ttest_1samp(v, b)
            greater = ss.ttest_1samp(v, b, alternative="greater").pvalue
            less = ss.ttest_1samp(v, b, alternative="less").pvalue
            assert t.pvalue == pytest.approx(2 * min(greater, less))
            p_claim.append(greater if d == ">=" else less)
            p_other.append(less if d == ">=" else greater)
        h, f = rejected(p_claim), rejected(p_other)
        want = [HOLDS if i in h else "fails" if i in f else INCONCLUSIVE for i in range(4)]
        assert got == want


def test_holm_outcomes_sign_test_is_exact_binomial() -> None:
    # 9 of 10 above the bound: P(X >= 9) = 11/1024 = 0.0107 < 0.05 -> holds (one comparison)
    v = [1.0] * 9 + [-1.0]
    assert stats.holm_outcomes([(v, 0.0, ">=")], method="sign") == [HOLDS]
    # 8 of 10: P(X >= 8) = 56/1024 = 0.0547 -> not decided
    v = [1.0] * 8 + [-1.0] * 2
    assert stats.holm_outcomes([(v, 0.0, ">=")], method="sign") == [INCONCLUSIVE]
    # five comparisons at 9/10 each: Holm needs 0.05/5 = 0.01 for the first -> none decided
    v = [1.0] * 9 + [-1.0]
    assert stats.holm_outcomes([(v, 0.0, ">=")] * 5, method="sign") == [INCONCLUSIVE] * 5
    assert stats.holm_outcomes([(v, 0.0, ">=")] * 4, method="sign") == [HOLDS] * 4


def test_outliers_flags_escape_seeds_and_non_finite() -> None:
    v = [0.1, 0.12, 0.09, 0.11, 5.0, float("nan")]
    assert list(stats.outliers(v)) == [4, 5]
    assert stats.used(v) == 5


# ---------------------------------------------------------------- no spread, lost values


def test_equal_seeds_are_judged_by_the_sign_test_not_as_certainty() -> None:
    """Two (or four) equal seeds used to give p = 0 (holds); the exact sign test's p for k
    values all on one side is 2^-k (scipy's binomtest as the oracle)."""
    from scipy.stats import binomtest

    assert stats.holm_outcomes([([1.0, 1.0], 0.99, ">=")]) == [INCONCLUSIVE]
    assert stats.holm_outcomes([([1.0] * 4, 0.99, ">=")]) == [INCONCLUSIVE]  # 2^-4 = 0.0625
    assert binomtest(5, 5, 0.5, alternative="greater").pvalue == pytest.approx(2.0**-5)
    assert stats.holm_outcomes([([1.0] * 5, 0.99, ">=")]) == [HOLDS]  # 2^-5 = 0.031 < 0.05
    assert stats.holm_outcomes([([1.0] * 5, 0.99, "<=")]) == [FAILS]
    # Holm over two such comparisons: 2 * 2^-5 = 0.0625 does not decide, 2 * 2^-6 does
    two = [([0.0] * 5, 0.01, "<="), ([0.0] * 5, -0.01, ">=")]
    assert stats.holm_outcomes(two) == [INCONCLUSIVE, INCONCLUSIVE]
    two = [([0.0] * 6, 0.01, "<="), ([0.0] * 6, -0.01, ">=")]
    assert stats.holm_outcomes(two) == [HOLDS, HOLDS]
    # rounding-level spread counts as none; a real spread goes back to the t-test
    assert stats.no_spread([1.0, 1.0 + 1e-15]) and not stats.no_spread([1.0, 1.001])
    assert stats.holm_outcomes([([1.0, 1.0 + 1e-15], 0.99, ">=")]) == [INCONCLUSIVE]
    assert stats.holm_outcomes([([1.0, 1.001, 1.002], 0.9, ">=")]) == [HOLDS]
    assert not stats.no_spread([3.0]) and stats.no_spread([0.0, 0.0])


@pytest.mark.parametrize("fn, args", [
    (stats.compare, (0.3, ">=")), (stats.interval_outcome, (0.0, 1.0)),
    (stats.sign_outcome, (+1,)),
])
def test_a_zero_width_interval_decides_nothing(fn, args) -> None:
    assert fn((0.5, 0.5), *args) == INCONCLUSIVE
    assert fn((0.5, 0.5000001), *args) == HOLDS


def test_a_lost_seed_makes_a_comparison_inconclusive_not_dropped() -> None:
    """Nine clear seeds and a NaN: dropping the NaN would hold; the NaN may be the run that
    breaks the claim."""
    v = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.01, 0.99]
    assert stats.holm_outcomes([(v, 0.5, ">=")]) == [HOLDS]
    assert stats.holm_outcomes([(v + [float("nan")], 0.5, ">=")]) == [INCONCLUSIVE]
    assert stats.holm_outcomes([(v + [float("inf")], 0.5, ">=")]) == [INCONCLUSIVE]  # t-test
    # the sign test orders inf ("never") like any value; a NaN is still undecidable
    assert stats.holm_outcomes([(v + [float("inf")], 0.5, ">=")], method="sign") == [HOLDS]
    assert stats.holm_outcomes([(v + [float("inf")], 0.5, "<=")], method="sign") == [FAILS]
    assert stats.holm_outcomes([(v + [float("nan")], 0.5, ">=")],
                               method="sign") == [INCONCLUSIVE]
    # the other comparisons of the claim are still judged
    assert stats.holm_outcomes([(v + [float("nan")], 0.5, ">="), (v, 0.5, ">=")]) == [
        INCONCLUSIVE, HOLDS]


LEVEL_TAKERS = [
    ("mean_ci", lambda lv: stats.mean_ci(range(10), lv)),
    ("median_ci", lambda lv: stats.median_ci(range(10), lv)),
    ("bootstrap_ci", lambda lv: stats.bootstrap_ci([range(10)], np.mean, lv, n_boot=50)),
    ("jackknife", lambda lv: stats.jackknife(lambda idx: float(sum(idx)), 5, level=lv)),
    ("seeds_needed", lambda lv: stats.seeds_needed([1.0, 2.0, 3.0], 0.0, lv)),
    ("family_level", lambda lv: stats.family_level(lv, 2)),
    ("clopper_pearson", lambda lv: stats.clopper_pearson(1, 3, lv)),
    ("holm_outcomes", lambda lv: stats.holm_outcomes([(range(1, 10), 0.0, ">=")], lv)),
]


@pytest.mark.parametrize("level", [-0.5, 0, 1, 1.5, 95, math.nan, "0.95", None])
@pytest.mark.parametrize("name,fn", LEVEL_TAKERS, ids=[n for n, _ in LEVEL_TAKERS])
def test_a_level_outside_0_1_is_a_value_error_naming_it(name, fn, level) -> None:
    """mean_ci(v, -0.5) gave a finite reversed interval that compare() judged, level 0 a
    zero-width one and holm_outcomes(level=0) held everything; level 1.5 gave NaN silently."""
    with pytest.raises(ValueError, match=r"level must be a number in \(0, 1\)"):
        fn(level)
    fn(0.9)  # a level inside is fine


def test_bootstrap_needs_at_least_one_resample() -> None:
    """n_boot=0 raised IndexError from inside numpy."""
    with pytest.raises(ValueError, match="n_boot must be an integer >= 1"):
        stats.bootstrap_ci([range(10)], np.mean, n_boot=0)


def test_slopes_refuse_mismatched_lengths_and_a_base_that_is_no_base() -> None:
    """loglog_slope([1, 2], [1]) broadcast y and returned 0.0; semilog_slope's base 1 failed in
    LAPACK (an SVD that did not converge) and a base <= 0 with 'math domain error'."""
    for fn in (stats.loglog_slope, stats.semilog_slope):
        with pytest.raises(ValueError, match="same length, not 2 and 1"):
            fn([1.0, 2.0], [1.0])
        with pytest.raises(ValueError, match="same length, not 3 and 2"):
            fn([1.0, 2.0, 4.0], [1.0, 2.0])
    for base in (1, 0, -2.0, math.inf, math.nan, "2"):
        with pytest.raises(ValueError, match="base must be a finite number > 0 other than 1"):
            stats.semilog_slope([1.0, 2.0, 4.0], [0.0, 1.0, 2.0], base=base)
    assert stats.semilog_slope([1.0, 2.0, 4.0], [0.0, 1.0, 2.0], base=2) == pytest.approx(1.0)


@pytest.mark.parametrize("call", [
    lambda: stats.combine("hold"),  # a typo
    lambda: stats.combine(HOLDS, "HOLDS"),
    lambda: stats.combine([HOLDS, HOLDS]),  # a list as one argument
    lambda: stats.combine(HOLDS, None),
    lambda: stats.exists(HOLDS),  # a string: its letters
    lambda: stats.exists([HOLDS, True]),
], ids=["typo", "case", "list", "none", "exists-string", "exists-bool"])
def test_combine_and_exists_refuse_what_is_not_an_outcome(call) -> None:
    """They were silently inconclusive (combine([HOLDS, HOLDS]) and exists(HOLDS) included)."""
    with pytest.raises(ValueError, match="outcome"):
        call()
    assert stats.combine(HOLDS, stats.ERROR) == INCONCLUSIVE  # an error part holds nothing
    assert stats.exists((FAILS, HOLDS)) == HOLDS and stats.exists(iter([HOLDS])) == HOLDS


def test_the_interval_rules_refuse_an_upside_down_interval_and_a_bad_sign() -> None:
    """compare((1.0, -0.5), 0, ">=") held (it read the first end only), interval_outcome's
    predicted [0.5, 0.1] failed everything, sign_outcome(ci, 0) failed and sign 2 held."""
    for call in (lambda: stats.compare((1.0, -0.5), 0.0, ">="),
                 lambda: stats.interval_outcome((0.4, 0.2), 0.0, 1.0),
                 lambda: stats.sign_outcome((0.3, 0.2), 1)):
        with pytest.raises(ValueError, match="lower end above its upper end"):
            call()
    with pytest.raises(ValueError, match="has lo above hi"):
        stats.interval_outcome((0.2, 0.3), 0.5, 0.1)
    for sign in (0, 2, True, "+"):
        with pytest.raises(ValueError, match="sign must be"):
            stats.sign_outcome((0.2, 0.3), sign)
    # NaN ends are not upside down: they decide nothing
    assert stats.compare((math.nan, 1.0), 0.0, ">=") == INCONCLUSIVE
    assert stats.sign_outcome((0.2, 0.3), -1.0) == FAILS


def test_clopper_pearson_refuses_a_count_outside_its_trials():
    """k successes among R trials: k > R (or < 0) used to give a NaN interval silently."""
    assert stats.clopper_pearson(3, 10)[0] < 0.3 < stats.clopper_pearson(3, 10)[1]
    for k in (-1, 11):
        with pytest.raises(ValueError, match=r"k = .* must be in \[0, R = 10\]"):
            stats.clopper_pearson(k, 10)


def test_per_seed_statistics_refuse_a_two_axis_array():
    """A plugin's check passed a record's [R, T] array (its probe time not selected) to
    mean_ci and used: its R*T entries were read as that many independent seeds, and
    `twolayer check` printed holds over 80 "seeds" from 4 runs, with an interval that treats
    20 dependent probe times of a run as independent seeds. Oracle: the shapes themselves;
    one entry per run ([R], [R, 1] or [1, R]) is still read as R seeds."""
    rng = np.random.default_rng(0)
    rt = rng.random((4, 20))
    for call in (lambda: stats.mean_ci(rt), lambda: stats.used(rt),
                 lambda: stats.median_ci(rt), lambda: stats.finite(rt),
                 lambda: stats.holm_outcomes([(rt, 0.5, "<=")])):
        with pytest.raises(ValueError, match=r"shape \(4, 20\).*arr\[:, -1\]"):
            call()
    last = rt[:, -1]
    m, ci = stats.mean_ci(last)
    for one_per_run in (last, last[:, None], last[None, :], list(last)):
        assert stats.used(one_per_run) == 4
        assert stats.mean_ci(one_per_run) == (m, ci)
