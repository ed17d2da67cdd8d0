"""The barak2022 plugin's Fig. 2 and width claims (fig2.no_early, fig2.init_not_sgd,
fig2.exponent_degrades, width.no_speedup), the bootstrap slopes of ef1.k_adaptive with censored
seeds, and the Holm corrections: each claim holds on a doctored record from inside the regime
it states and fails on one that breaks it; censored seeds are counted, never dropped."""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from barak_helpers import FakeRuns

from twolayer.api import Runtime, register_data_kind, register_loss
from twolayer.plugins import load_path

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "barak2022"


@pytest.fixture(scope="module")
def plugin():
    """The plugin's modules, its loss and data kind registered while these tests run."""
    import twolayer.config as config
    from twolayer.net.model import LOSSES

    mod = load_path(FOLDER).module
    mods = {name: sys.modules[f"{mod.__name__}.{name}"]
            for name in ("data", "train", "experiments", "claims")}
    register_loss("hinge", mods["data"].HINGE)
    register_data_kind(mods["data"].PARITY)
    yield mods
    LOSSES.pop("hinge", None)
    if "hinge" in config._REGISTERED_OBJECTIVES:
        config._REGISTERED_OBJECTIVES.remove("hinge")
    config._DATA_KINDS.pop("parity", None)




@pytest.fixture(scope="module")
def base(plugin):
    """A real tiny Record (8 seeds) whose arrays the tests doctor."""
    return plugin["train"].run_parity(8, 2, 8, steps=300, every=20,
                                      runtime=Runtime(device="cpu"))


def with_tc(rec, tc, steps=10**9, **config):
    """A copy of ``rec`` whose only array is t_c (−1: never solved within ``steps``)."""
    out = copy.deepcopy(rec)
    tc = np.asarray(tc)
    out.arrays = {"static/t_c": tc.astype(np.int64)}
    out.config = dict(out.config, seeds=tc.size, **config)
    out.config["train"] = dict(out.config["train"], steps=steps)
    return out


# -- fig2.no_early ------------------------------------------------------------------------------
def test_no_early_holds_on_a_concentrated_law_and_fails_on_a_geometric_one(plugin, base) -> None:
    c = plugin["claims"]
    rng = np.random.default_rng(0)
    tight = np.round(1000 * np.exp(0.15 * rng.standard_normal(200)))  # concentrated: no early
    out = c.no_early(FakeRuns({"barak2022.early": with_tc(base, tight)}))
    assert out.verdict == "holds" and out.measured == 0.0 and out.seeds == 200
    geo = rng.geometric(1 / 1000, 200)  # random search: P(t < median/4) = 1 − 2^(−1/4)
    out = c.no_early(FakeRuns({"barak2022.early": with_tc(base, geo)}))
    assert out.verdict != "holds" and 0.1 < out.measured < 0.25
    early = np.where(np.arange(200) < 70, np.round(tight / 10), tight)  # 35% early successes
    out = c.no_early(FakeRuns({"barak2022.early": with_tc(base, early)}))
    assert out.verdict == "fails" and out.measured == pytest.approx(0.35)
    # more than half censored: the median is unknown, the claim says so
    cens = np.where(np.arange(200) < 120, -1, tight)
    out = c.no_early(FakeRuns({"barak2022.early": with_tc(base, cens)}))
    assert out.verdict == "inconclusive" and "120/200" in out.detail


def test_geometric_early_fraction_is_the_law_of_random_search() -> None:
    """1 − 2^(−1/4) against a simulated geometric law (an independent oracle)."""
    from twolayer.plugins import load_path as lp

    c = sys.modules[lp(FOLDER).module.__name__ + ".claims"]
    t = np.random.default_rng(1).geometric(1e-4, 400_000)
    assert np.mean(t < 0.25 * np.median(t)) == pytest.approx(c.GEOMETRIC_EARLY, abs=0.003)


# -- fig2.init_not_sgd ----------------------------------------------------------------------------
def _crossed(base, between: float, within: float, inits=8, streams=4, seed=0):
    rng = np.random.default_rng(seed)
    y = 7 + between * rng.standard_normal((inits, 1)) + within * rng.standard_normal(
        (inits, streams))
    init_seeds = [r // streams for r in range(inits * streams)]
    return with_tc(base, np.round(np.exp(y)).ravel(), init_seeds=init_seeds,
                   stream_seeds=list(range(inits * streams)))


def test_icc_oracle(plugin) -> None:
    """ICC(1) against the ANOVA formula computed by hand, and its interval against a
    simulation of its coverage-free property (it contains the estimate)."""
    c = plugin["claims"]
    y = np.array([[1.0, 2.0], [3.0, 5.0], [6.0, 6.0]])
    msb = 2 * np.var(y.mean(1), ddof=1)
    msw = ((y - y.mean(1, keepdims=True)) ** 2).sum() / 3
    icc, ci, F = c.icc_oneway(y)
    assert icc == pytest.approx((msb - msw) / (msb + msw))
    assert F == pytest.approx(msb / msw) and ci[0] < icc < ci[1]


def test_init_not_sgd_holds_when_the_init_sets_t_c_and_fails_when_the_stream_does(
        plugin, base) -> None:
    c = plugin["claims"]
    good = _crossed(base, between=0.5, within=0.05)
    out = c.init_not_sgd(FakeRuns({"barak2022.icc": good}))
    assert out.verdict == "holds" and out.ci[0] >= 0.5 and out.seeds == 8
    bad = _crossed(base, between=0.0, within=0.5, inits=16)
    out = c.init_not_sgd(FakeRuns({"barak2022.icc": bad}))
    assert out.verdict == "fails" and out.ci[1] < 0.5


# -- fig2.exponent_degrades and ef1.k_adaptive (bootstrap slopes, censoring) -------------------
def _cells(base, k, medians, R=16, spread=0.1, seed=0, censor=0):
    rng = np.random.default_rng(seed)
    out = {}
    for n, med in medians.items():
        tc = np.round(med * np.exp(spread * rng.standard_normal(R)))
        tc[:censor] = -1
        out[f"n={n},k={k}"] = with_tc(base, tc)
    return out


def test_exponent_degrades_holds_on_a_steepening_curve_and_fails_on_a_power_law(
        plugin, base) -> None:
    c = plugin["claims"]
    ns = (20, 30, 50, 70, 100)
    steep = {n: 100 * n ** 2 if n <= 50 else 100 * 50 ** 2 * (n / 50) ** 4 for n in ns}
    out = c.exponent_degrades(FakeRuns({"barak2022.scaling": _cells(base, 3, steep)}))
    assert out.verdict == "holds" and out.measured == pytest.approx(2.0, abs=0.3)
    power = {n: 100 * n ** 3 for n in ns}
    out = c.exponent_degrades(FakeRuns({"barak2022.scaling": _cells(base, 3, power)}))
    assert out.verdict == "inconclusive"  # equal slopes: neither side excluded
    flat = {n: 100 * n ** 3 if n <= 50 else 100 * 50 ** 3 * (n / 50) for n in ns}
    out = c.exponent_degrades(FakeRuns({"barak2022.scaling": _cells(base, 3, flat)}))
    assert out.verdict == "fails"


def test_slopes_count_censored_seeds_and_never_drop_them(plugin, base) -> None:
    c = plugin["claims"]
    ns = (20, 30, 50, 70, 100)
    steep = {n: 100 * n ** 2 if n <= 50 else 100 * 50 ** 2 * (n / 50) ** 4 for n in ns}
    # 3 of 16 censored in every cell: the medians stay exact, the claim still holds
    cells = _cells(base, 3, steep, censor=3)
    out = c.exponent_degrades(FakeRuns({"barak2022.scaling": cells}))
    assert out.verdict == "holds" and "n=100,k=3: 3/16" in out.detail
    # the median of a censored sample: exact below half, NaN at half or more
    assert c.quantile_censored(np.array([1, 2, 3, np.inf]), 0.5) == 2.5
    assert math.isnan(c.quantile_censored(np.array([1, 2, np.inf, np.inf]), 0.5))
    # dropping the censored seeds would halve the median here; censoring keeps it above 3
    assert c.quantile_censored(np.array([1, 2, 3, np.inf, np.inf]), 0.5) == 3
    # 9 of 16 censored in the largest n: its median is unknown, so is the slope
    cells = _cells(base, 3, steep, censor=0)
    cells["n=100,k=3"] = _cells(base, 3, {100: steep[100]}, censor=9)["n=100,k=3"]
    out = c.exponent_degrades(FakeRuns({"barak2022.scaling": cells}))
    assert out.verdict == "inconclusive" and "n=100,k=3: 9/16" in out.detail


def test_k_adaptive_bonferroni_over_pairs(plugin, base) -> None:
    c = plugin["claims"]
    grid = {}
    for k, p in ((2, 1.0), (3, 2.0), (4, 3.0)):
        grid.update(_cells(base, k, {n: 10 * n ** p for n in (10, 20, 30)}, seed=k))
    out = c.k_adaptive(FakeRuns({"barak2022.grid": grid}))
    assert out.verdict == "holds" and "Bonferroni over 2 pairs" in out.bound
    assert "0.975" in out.bound
    grid.update(_cells(base, 4, {n: 10 * n ** 1.5 for n in (10, 20, 30)}, seed=9))
    assert c.k_adaptive(FakeRuns({"barak2022.grid": grid})).verdict == "fails"


# -- width.no_speedup -------------------------------------------------------------------------
def _widths(base, meds, sds, R=16, seed=0):
    rng = np.random.default_rng(seed)
    return {f"r={w}": with_tc(base, np.round(m * np.exp(sd * rng.standard_normal(R))))
            for (w, m), sd in zip(meds.items(), sds)}


def test_width_claim_holds_with_diminishing_returns_and_fails_with_an_r_fold_speedup(
        plugin, base) -> None:
    c = plugin["claims"]
    good = _widths(base, {8: 4000, 64: 2000, 1024: 1000}, (0.6, 0.3, 0.1))
    out = c.width_no_speedup(FakeRuns({"barak2022.width": good}))
    assert out.verdict == "holds" and out.measured == pytest.approx(math.log(4), abs=0.4)
    fast = _widths(base, {8: 1_024_000, 64: 128_000, 1024: 1000}, (0.6, 0.3, 0.1))
    out = c.width_no_speedup(FakeRuns({"barak2022.width": fast}))
    assert out.verdict == "fails"  # a 1024-fold speedup from r = 8 to 1024: not below 128
    wider = _widths(base, {8: 4000, 64: 2000, 1024: 1000}, (0.1, 0.3, 0.6))
    out = c.width_no_speedup(FakeRuns({"barak2022.width": wider}))
    assert out.verdict == "fails" and "IQR" in out.detail  # the spread grows with width


# -- Holm inside the multi-comparison claims --------------------------------------------------
def test_holm_parts_and_exact_tests(plugin) -> None:
    c = plugin["claims"]
    from scipy import stats as st

    # exact binomial test oracle: 8/8 successes against p = 0.2 has p = 0.2^8
    assert c.binom_ps(8, 8, 0.2, ">=")[0] == pytest.approx(0.2 ** 8)
    assert c.binom_ps(0, 8, 0.2, ">=")[1] == pytest.approx(0.8 ** 8)
    v = np.array([0.1, 0.3, 0.2, 0.4, 0.25])
    assert c.t_ps(v, 0.0, ">=")[0] == pytest.approx(st.ttest_1samp(v, 0.0,
                                                                   alternative="greater").pvalue)
    # Holm: p = (0.01, 0.04) at 5% with two comparisons: 0.02 and 0.04 both reject
    assert c.holm_parts([(0.01, 1.0), (0.04, 1.0)]) == ["holds", "holds"]
    # p = 0.03 twice: Holm-adjusted 0.06 each: neither holds
    assert c.holm_parts([(0.03, 1.0), (0.03, 1.0)]) == ["inconclusive", "inconclusive"]
    assert c.holm_parts([(1.0, 0.001)]) == ["fails"]


def test_solves_claim_is_holm_corrected_over_cells(plugin, base) -> None:
    """3/6 solved against 0.2 is p = 0.099 alone: not enough; 4/6 (p = 0.017) holds alone, but
    with a second cell at the same p Holm needs p < 0.025 in the better one: still holds."""
    c = plugin["claims"]
    cells = {"n=8,k=2": with_tc(base, [10, 10, 10, 10, -1, -1]),
             "n=8,k=3": with_tc(base, [10, 10, 10, 10, -1, -1])}
    out = c.ef1_solves(FakeRuns({"barak2022.grid": cells}))
    assert out.verdict == "holds" and "Holm over the 2 cells" in out.bound
    cells["n=8,k=3"] = with_tc(base, [10, 10, 10, -1, -1, -1])
    out = c.ef1_solves(FakeRuns({"barak2022.grid": cells}))
    assert out.verdict == "inconclusive"


def test_a_setting_in_both_slope_ranges_is_resampled_once(plugin):
    """fig2.exponent_degrades: the n where the low and high ranges meet enters both slopes.
    Resampled once per bootstrap replicate, identical ranges give a difference of exactly 0 in
    every replicate; resampled twice (the old code), the interval had a width."""
    c = plugin["claims"]
    rng = np.random.default_rng(3)
    ns = [10, 20, 40]
    arrs = [np.exp(rng.normal(math.log(100 * n), 0.5, 16)) for n in ns]
    est, ci = c.slope_difference_ci((ns, arrs, 1e9), (ns, arrs, 1e9), 0.95)
    assert est == 0.0 and ci == (0.0, 0.0)
    copies = [a.copy() for a in arrs]  # the same values, other objects: resampled apart
    est, ci = c.slope_difference_ci((ns, arrs, 1e9), (ns, copies, 1e9), 0.95)
    assert est == 0.0 and ci[0] < -0.05 and ci[1] > 0.05
    # the shared middle n: the replicate's median at n = 20 is the same in both slopes
    lo, hi = (ns[:2], arrs[:2], 1e9), (ns[1:], arrs[1:], 1e9)

    def oracle(level=0.95, n_boot=2000):
        g = np.random.default_rng(0)
        out = []
        for _ in range(n_boot):
            r = [a[g.integers(0, a.size, a.size)] for a in arrs]
            m = [np.median(x) for x in r]
            out.append(np.polyfit(np.log(ns[1:]), np.log(m[1:]), 1)[0]
                       - np.polyfit(np.log(ns[:2]), np.log(m[:2]), 1)[0])
        return np.quantile(out, 0.025), np.quantile(out, 0.975)

    _, ci = c.slope_difference_ci(lo, hi, 0.95)
    assert ci == pytest.approx(oracle(), abs=1e-9)
