"""A *holds* or *fails* that nothing a check hands over supports is inconclusive
(``claims.base._unsupported``).

Found in session 48 by a new user's plugin: ``outcome(HOLDS if m <= 0.2 else FAILS, m, ...,
ci, per_seed=e, threshold=0.2, direction="<=")`` with a mean of 0.184 and its 95% interval
[0.071, 0.298] across the bound said *holds*, and with the bound at 0.17 *fails*: a verdict
from the point estimate, which README says a check's evidence is re-judged against. Only a
verdict its evidence *contradicts* was caught.

Oracles: scipy's own one-sample t-test and exact binomial test (not twolayer.stats) for the
per-seed support, and intervals built by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from twolayer.claims.base import ERROR, FAILS, HOLDS, INCONCLUSIVE, Claim, outcome

HELPER_SEEDS = np.array([0.05, 0.35, 0.025, 0.025, 0.325, 0.275, 0.175, 0.25])


def t_interval(v: np.ndarray) -> tuple[float, float]:
    half = sps.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean() - half), float(v.mean() + half)


def judged(said: str, values: np.ndarray, threshold: float, direction: str,
           per_seed: bool = True, ci: tuple[float, float] | None = None,
           measured: float | None = None):
    ci = t_interval(values) if ci is None else ci
    extra = {"per_seed": values} if per_seed else {}
    measured = float(values.mean()) if measured is None else measured
    o = outcome(said, measured, f"{direction} {threshold}", ci, values.size,
                "fake", "", threshold=threshold, direction=direction, **extra)
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def scipy_p(values: np.ndarray, threshold: float, direction: str, side: str) -> tuple[float,
                                                                                   float]:
    """(t-test p, sign-test p) for ``side`` ("claimed" or "other") by scipy alone."""
    below = direction == "<="
    alt = ("less" if below else "greater") if side == "claimed" else (
        "greater" if below else "less")
    t = sps.ttest_1samp(values, threshold, alternative=alt).pvalue
    if side == "claimed":  # ties at the bound left out
        k = int((values < threshold).sum() if below else (values > threshold).sum())
        n = int((values != threshold).sum())
    else:  # ties count for the claim
        k = int((values > threshold).sum() if below else (values < threshold).sum())
        n = values.size
    return float(t), float(sps.binomtest(k, n, 0.5, alternative="greater").pvalue)


@pytest.mark.parametrize("per_seed", (True, False))
@pytest.mark.parametrize("said,threshold", [(HOLDS, 0.2), (FAILS, 0.17)])
def test_the_helpers_point_estimate_verdicts_are_inconclusive(said, threshold, per_seed):
    lo, hi = t_interval(HELPER_SEEDS)
    assert lo < threshold < hi  # the premise: the interval contains the bound
    side = "claimed" if said == HOLDS else "other"
    t_p, s_p = scipy_p(HELPER_SEEDS, threshold, "<=", side)
    assert t_p > 0.05 and s_p > 0.05  # and neither test of the seeds gives the verdict
    v = judged(said, HELPER_SEEDS, threshold, "<=", per_seed)
    assert v.verdict == INCONCLUSIVE
    assert "point estimate" in v.detail
    if per_seed:  # the p-values it names are scipy's
        assert f"p = {t_p:.3g}" in v.detail and f"p = {s_p:.3g}" in v.detail


def test_a_holds_its_interval_supports_stands():
    v = judged(HOLDS, HELPER_SEEDS, 0.5, "<=")
    assert v.verdict == HOLDS and "point estimate" not in v.detail


def test_a_fails_its_interval_supports_stands():
    v = judged(FAILS, HELPER_SEEDS, 0.01, "<=")
    assert v.verdict == FAILS


def test_a_holds_the_sign_test_gives_stands_though_the_mean_interval_contains_the_bound():
    """9 of 10 seeds below 0.2 and one far above: the mean's interval crosses 0.2, the exact
    sign test of the median gives holds (p = 11/1024): the check may decide by the median, and
    reports the median; the detail says the verdict is about the median seed (since session
    49: it stood without a word)."""
    values = np.array([0.1, 0.11, 0.12, 0.09, 0.1, 0.13, 0.1, 0.08, 0.12, 3.0])
    lo, hi = t_interval(values)
    assert lo < 0.2 < hi
    t_p, s_p = scipy_p(values, 0.2, "<=", "claimed")
    assert s_p < 0.05 < t_p and s_p == pytest.approx(11 / 1024)
    v = judged(HOLDS, values, 0.2, "<=", measured=float(np.median(values)))
    assert v.verdict == HOLDS
    assert (f"decided by the sign test of the median of its 10 per-seed values (one-sided p = "
            f"{s_p:.3g})" in v.detail and f"(p = {t_p:.3g})" in v.detail), v.detail
    # without its per-seed values nothing shows it: inconclusive
    assert judged(HOLDS, values, 0.2, "<=", per_seed=False).verdict == INCONCLUSIVE


@pytest.mark.parametrize("said,values,threshold,direction", [
    # session 49's helper: "mean <= 0.1" held at measured mean 1.294 (one seed of eight at 10)
    (HOLDS, np.array([0.05, 0.04, 0.06, 0.05, 0.05, 0.04, 0.06, 10.0]), 0.1, "<="),
    (HOLDS, np.array([0.1, 0.11, 0.12, 0.09, 0.1, 0.13, 0.1, 0.08, 0.12, 3.0]), 0.2, "<="),
    # the mirror: a fails of ">= 1" at a measured mean above 1, seven of eight seeds below it
    (FAILS, np.array([0.9, 0.95, 0.92, 0.9, 0.93, 0.91, 0.94, 5.0]), 1.0, ">="),
])
def test_the_sign_test_alone_does_not_carry_a_verdict_its_measured_mean_contradicts(
        said, values, threshold, direction):
    lo, hi = t_interval(values)
    assert lo < threshold < hi
    side = "claimed" if said == HOLDS else "other"
    t_p, s_p = scipy_p(values, threshold, direction, side)
    assert s_p < 0.05 < t_p  # the median's test alone gives it
    m = float(values.mean())
    assert (m > threshold) == (direction == "<=") if said == HOLDS else True
    v = judged(said, values, threshold, direction)
    assert v.verdict == INCONCLUSIVE, v.detail
    assert f"measured value {m:.4g} on the other side" in v.detail
    assert f"p = {s_p:.3g}" in v.detail and f"p = {t_p:.3g}" in v.detail


def test_a_one_sided_t_test_at_95_supports_a_holds_its_two_sided_interval_does_not():
    """The two-sided 95% interval is the one-sided 97.5% test: a mean between the two is
    decided by the one-sided test at 95% alone, and that is support."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(12)
    z = (z - z.mean()) / z.std(ddof=1)
    se = 1 / math.sqrt(12)
    values = 1.0 + z  # mean 1, sd 1: bound between mean ± t_0.95·se and mean ± t_0.975·se
    bound = 1.0 - 0.5 * (sps.t.ppf(0.95, 11) + sps.t.ppf(0.975, 11)) * se
    lo, _ = t_interval(values)
    assert lo < bound
    t_p, _ = scipy_p(values, bound, ">=", "claimed")
    assert t_p < 0.05
    assert judged(HOLDS, values, bound, ">=").verdict == HOLDS


def test_a_contradicted_holds_is_still_an_error():
    """Wholly on the other side: the older guard (_ci_against) answers first."""
    assert judged(HOLDS, HELPER_SEEDS, 0.01, "<=").verdict == ERROR


@pytest.mark.parametrize("direction", ("<=", ">="))
def test_the_verdict_follows_the_interval_and_the_seeds_over_many_records(direction):
    """Random records of 6 seeds against random bounds: the verdict stays holds exactly where
    the interval lies on the claimed side or scipy's t-test or sign test gives holds at 95%;
    else it is inconclusive (or an error where the evidence contradicts it)."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = rng.normal(0.0, 1.0, 6)
        bound = float(rng.normal(0.0, 0.8))
        lo, hi = t_interval(values)
        inside = hi <= bound if direction == "<=" else lo >= bound
        t_p, s_p = scipy_p(values, bound, direction, "claimed")
        supported = inside or t_p < 0.05 or s_p < 0.05
        got = judged(HOLDS, values, bound, direction).verdict
        if supported:
            assert got == HOLDS, (values, bound)
        else:
            assert got in (INCONCLUSIVE, ERROR), (values, bound)


def test_a_verdict_its_interval_supports_stands_without_per_seed_values():
    """The interval alone supports it (a check may decide from another statistic than any
    per-seed values: it hands over its interval, and that is the support)."""
    assert judged(HOLDS, HELPER_SEEDS, 0.5, "<=", per_seed=False).verdict == HOLDS
    assert judged(FAILS, HELPER_SEEDS, 0.01, "<=", per_seed=False).verdict == FAILS
    # an interval of another statistic on the verdict's side stands though the per-seed
    # values' tests do not give it (half the seeds on each side of 0.2)
    assert judged(HOLDS, HELPER_SEEDS, 0.2, "<=", ci=(0.1, 0.19)).verdict == HOLDS


@pytest.mark.parametrize("bound,setting", [(None, "s"), ("<= 1", None), (1.0, "s")])
def test_a_bound_or_setting_that_is_no_text_is_the_verdict_error(bound, setting):
    """``outcome(..., bound=None, setting=None)`` was printed as "bound None; setting None"."""
    from twolayer.claims.base import judge

    o = outcome(HOLDS, 1.0, bound, (0.5, 1.5), 3, setting)
    c = Claim("fake.txt", "fake", "s", "Lemma 1", lambda runs: o)

    class Runs:
        quick = True

    v = judge(c, Runs())
    assert v.verdict == ERROR and "not a text" in v.detail
