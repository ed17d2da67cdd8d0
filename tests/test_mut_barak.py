"""Mutation-testing oracles for the barak2022 plugin's claims (``examples/barak2022/claims.py``).

Each test judges a doctored record (the plugin tests' tiny runs, edited) or calls a statistic
of the claims module on values whose answer is worked out by hand or with scipy, and kills a
mutant the older tests let through (named in each docstring).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from barak_helpers import FakeRuns
from test_barak2022 import _edit, plugin, tiny_records  # noqa: F401  (module fixtures)

from twolayer.api import Runtime


def _tiled(rec, seeds: int):  # type: ignore[no-untyped-def]
    out = _edit(rec, **{k: np.concatenate([v] * -(-seeds // rec.seeds))[:seeds]
                        for k, v in rec.arrays.items()})
    out.config = dict(rec.config, seeds=seeds)
    return out


def test_label_noise_fraction_is_judged_by_its_exact_95_interval(plugin, tiny_records) -> None:  # noqa: F811
    """9 of 12 seeds reach error < 0.1: the exact 95% interval of 9/12 (scipy) contains the
    [PROPOSAL] 0.6, so c6.label_noise is inconclusive, although a 50% interval lies above it.
    Kills ``fraction_outcome`` at level 0.5 (held)."""
    from scipy import stats as st

    ci = st.binomtest(9, 12).proportion_ci(0.95, method="exact")
    assert ci.low < 0.6 < ci.high
    assert st.binomtest(9, 12).proportion_ci(0.5, method="exact").low > 0.6
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 12)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:9, -1] = 0.0
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "inconclusive" and out.measured == 0.75
    assert out.ci == pytest.approx((ci.low, ci.high))


def test_a_seed_solved_exactly_at_the_budget_is_not_censored(plugin) -> None:  # noqa: F811
    """A seed with t_c equal to the budget solved within it. Cells at n = 10 (t_c 100, 200,
    300) and n = 20 (t_c 400, 1000, 2000) with budget 1000: medians 200 and 1000, slope
    log(5)/log(2) by hand. Kills ``_decode`` counting t_c = budget as censored (the median of
    the second cell became undefined: NaN)."""
    c = plugin["claims"]
    a = np.array([100.0, 200.0, 300.0])
    b = np.array([400.0, 1000.0, 2000.0])  # 2000 = 2 * budget: a censored seed, coded
    s = c.slope_of_medians([10, 20], [a, c._finite_code(c._decode(b, 1000.0), 1000.0)], 1000.0)
    assert s == pytest.approx(math.log(5) / math.log(2))


def test_a_plateau_that_dips_early_is_not_a_plateau(plugin, tiny_records) -> None:  # noqa: F811
    """fig1.plateau_drop needs err >= 0.45 at *every* probe time up to t_c/2: 20 seeds with a
    sharp drop at t_c but an early dip to 0.1 (the second probe time, far below t_c/2) have no
    plateau, so 0 of 20 qualify and the claim fails. (The mutant ``.any()`` for ``.all()``
    survives this and is equivalent for finite errors: a dip below 0.45 before t_c/2 is also
    the first crossing t_0.45, so t_c - t_0.45 >= 0.5 t_c > 0.3 t_c disqualifies the seed.)"""
    from test_barak2022 import _curve

    c = plugin["claims"]
    sharp = _curve(tiny_records["solved"], 0.1)
    big = _edit(sharp, **{k: np.concatenate([v] * 5) for k, v in sharp.arrays.items()})
    big.config = dict(sharp.config, seeds=20)
    assert c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": big}})).verdict == "holds"
    err = big["barak_parity/val_error"].copy()
    assert big.times[1] <= 0.5 * big["static/t_c"][0]
    err[:, 1] = 0.1
    out = c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": _edit(big, **{
        "barak_parity/val_error": err})}}))
    assert out.verdict == "fails" and out.measured == 0.0, out.detail


def test_a_drop_over_half_of_t_c_is_not_sudden(plugin, tiny_records) -> None:  # noqa: F811
    """The drop must take at most 0.3 t_c: error 0.5 until 0.55 t_c, then 0.2, then 0 at t_c
    (the first probe at or below 0.45 comes 0.41 t_c before t_c here), in all 20 seeds: 0 of
    20 qualify and the claim fails. Kills the drop bound loosened to 0.6 t_c (held)."""
    from test_barak2022 import _curve

    c = plugin["claims"]
    slow = _curve(tiny_records["solved"], 0.45)
    big = _edit(slow, **{k: np.concatenate([v] * 5) for k, v in slow.arrays.items()})
    big.config = dict(slow.config, seeds=20)
    err, T, tc = big["barak_parity/val_error"][0], big.times, big["static/t_c"][0]
    t45 = T[np.flatnonzero(err <= 0.45)[0]]
    assert 0.3 * tc < tc - t45 <= 0.6 * tc and (err[T <= tc / 2] >= 0.45).all()
    out = c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": big}}))
    assert out.verdict == "fails" and out.measured == 0.0, out.detail


def test_hidden_progress_is_read_at_half_t_c(plugin, tiny_records) -> None:  # noqa: F811
    """relevant_first compares the movement ratios at t_c/2: true-label runs whose ratio is half
    the control's up to t_c/2 and three times it after (per-seed spread 1%) fail it, although at
    t_c itself they lead. Kills the ratio read at t_c (held)."""
    from test_barak2022 import widen

    c = plugin["claims"]
    true, ctrl = widen(tiny_records["solved"], 2), widen(tiny_records["control"], 2)
    T = true.times
    tc = int(T[len(T) // 2])
    spread = 1 + 0.01 * np.arange(true.seeds)[:, None]
    ratio = np.where(T <= tc / 2, 0.5, 3.0)[None, :] * spread
    flat = np.ones((ctrl.seeds, len(ctrl.times))) * (1 + 0.03 * np.arange(ctrl.seeds)[:, None])
    runs = FakeRuns({"barak2022.hidden": {
        "true": _edit(true, **{"barak_parity/move_ratio": ratio,
                               "static/t_c": np.full(true.seeds, tc)}),
        "control": _edit(ctrl, **{"barak_parity/move_ratio": flat})}})
    assert c.relevant_first(runs).verdict == "fails"


def test_a_lost_error_counts_as_not_staying_for_holds(plugin, tiny_records) -> None:  # noqa: F811
    """25 seeds of k = 3 without bias, 24 staying above 0.4 and one whose error is lost (NaN).
    Session 42 bounds the staying fraction over the lost seed (tests/test_lost_runs_bounded.py):
    counted as not staying for *holds*, 24/25 against 0.8 has exact one-sided p = 0.027 (scipy),
    the largest of the three Holm p-values, below 0.05, so the claim holds whichever side the
    lost seed was on (25/25 has a smaller p still); the detail names the lost seed and how it
    was counted. With a second seed dipping (23/25 with it not staying: p = 0.098) it is
    inconclusive (session 40's rule left both inconclusive)."""
    from scipy import stats as st
    from test_barak2022 import _bias_runs

    assert st.binomtest(24, 25, 0.8, alternative="greater").pvalue < 0.05
    assert st.binomtest(23, 25, 0.8, alternative="greater").pvalue > 0.05
    c = plugin["claims"]
    low = 0.45 + 0.002 * np.arange(25)
    low[0] = np.nan
    out = c.bias_odd_k(_bias_runs(tiny_records["solved"], low))
    assert out.verdict == "holds", out.detail
    assert "1 seed(s) with a lost (NaN) error: counted as not staying for holds" in out.detail
    low[1] = 0.3
    out = c.bias_odd_k(_bias_runs(tiny_records["solved"], low))
    assert out.verdict == "inconclusive", out.detail


def test_label_noise_needs_sixty_percent_of_the_seeds(plugin, tiny_records) -> None:  # noqa: F811
    """550 of 1000 seeds reach error < 0.1: the exact 95% interval (scipy) lies below the
    [PROPOSAL] 0.6 and above 0.5, so c6.label_noise fails. Kills the bound lowered to 0.5
    (held)."""
    from scipy import stats as st

    ci = st.binomtest(550, 1000).proportion_ci(0.95, method="exact")
    assert 0.5 < ci.low and ci.high < 0.6
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 1000)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:550, -1] = 0.0
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "fails" and out.ci == pytest.approx((ci.low, ci.high))


def test_an_error_of_0_15_is_not_accuracy_above_0_9(plugin, tiny_records) -> None:  # noqa: F811
    """Every one of 12 seeds bottoms out at error 0.15 (accuracy 0.85, below the claim's 0.9):
    0 of 12 qualify and c6.label_noise fails. Kills the error threshold raised to 0.2
    (12 of 12 qualified: held)."""
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 12)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:, -1] = 0.15
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "fails" and out.measured == 0.0


def test_the_c_ratio_is_read_at_initialisation(plugin, tiny_records) -> None:  # noqa: F811
    """c1.gap_positive_and_grows: the C-ratio must exceed 1 *at t = 0*. A record whose ratio is
    0.5 at t = 0 and 2 afterwards (gamma_max growing) fails. Kills the ratio read at the last
    probe time (held)."""
    from test_barak2022 import gap_records, widen

    c = plugin["claims"]
    good, _, _ = gap_records(widen(tiny_records["solved"], 2))
    ratio = good["barak_gap/c_ratio"].copy()
    ratio[:, 0] = 0.25 * ratio[:, 0]
    out = c.gap_grows(FakeRuns({"barak2022.gap": _edit(good, **{"barak_gap/c_ratio": ratio})}))
    assert out.verdict == "fails", out.detail


def test_noisy_labels_are_not_the_papers_setting(plugin, tiny_records) -> None:  # noqa: F811
    """The paper's grid is on clean labels: a grid in the paper's setting item by item except
    one cell trained on labels flipped at rate 0.1 is outside, that item named. Kills the labels
    item compared as always matching."""
    from test_barak2022 import _paper_like

    c = plugin["claims"]
    grid = {f"n={n},k={k}": _paper_like(tiny_records["solved"], n, k)
            for n in (10, 20, 30) for k in (2, 3, 4)}
    assert c.ef1_solves(FakeRuns({"barak2022.grid": grid})).in_regime is True
    grid["n=20,k=3"].config["data"]["noise"] = 0.1
    out = c.ef1_solves(FakeRuns({"barak2022.grid": grid}))
    assert out.in_regime is False and "1 of 15 items differ" in out.regime
    assert "labels noisy in some record vs the paper's clean labels" in \
        out.regime.split("; match:")[0]


# -- survivors of the first round (P24, P27, P34, P39, P42) ----------------------------------------
def _with_tc(rec, tc, every: int):  # type: ignore[no-untyped-def]
    from test_barak_fig2 import with_tc

    out = with_tc(rec, tc)
    out.config["train"] = dict(out.config["train"], every=every)
    return out


def test_a_seed_whose_probe_interval_reaches_below_median_over_4_is_early(
        plugin, tiny_records) -> None:  # noqa: F811
    """fig2.no_early: t_c is a probe time, so a seed with t_c = 300 and probes every 100 solved
    somewhere in (200, 300], which reaches below median/4 = 250: it may be early and counts.
    140 seeds at t_c 1000 or 1100 (median 1000) and 60 at 300: 60/200 may be early, exact 95%
    interval (scipy) above 0.159, so the claim cannot hold. Kills counting a seed early only if
    t_c < median/4 (0 early: held). It does not fail either (since docs/verdict_audit.md
    section 29; the base said fails): the 60 may as well have solved at step 300 > 250, and a
    fails needs seeds surely early (t_c below a quarter of the lower ends' median, 901/4)."""
    from scipy import stats as st

    c = plugin["claims"]
    tc = np.concatenate([np.full(60, 300), 1000 + 100 * (np.arange(140) % 2)])
    assert np.median(tc) == 1000 and 300 - 100 < 1000 / 4 < 300
    ci = st.binomtest(60, 200).proportion_ci(0.95, method="exact")
    assert ci.low > 1 - 2 ** -0.25
    out = c.no_early(FakeRuns({"barak2022.early": _with_tc(tiny_records["solved"], tc, 100)}))
    assert out.verdict == "inconclusive" and out.measured == pytest.approx(0.3), out.detail
    assert out.ci == pytest.approx((ci.low, ci.high))
    assert "0 surely early" in out.detail


def test_an_icc_interval_between_0_3_and_0_5_does_not_hold(plugin, tiny_records) -> None:  # noqa: F811
    """fig2.init_not_sgd needs ICC >= 0.5. A crossed layout of 200 inits x 4 streams whose
    exact F interval of ICC(1) (ANOVA by hand, F quantiles from scipy, McGraw & Wong 1996) lies
    inside (0.3, 0.5): the claim fails. Kills the bound lowered to 0.3 (held)."""
    from scipy import stats as st

    c = plugin["claims"]
    g, k = 200, 4
    rng = np.random.default_rng(3)
    y = 7 + 0.3 * rng.standard_normal((g, 1)) + 0.37 * rng.standard_normal((g, k))
    tc = np.round(np.exp(y))
    ly = np.log(tc)
    msb = k * np.var(ly.mean(1), ddof=1)
    msw = ((ly - ly.mean(1, keepdims=True)) ** 2).sum() / (g * (k - 1))
    F = msb / msw
    fl, fu = F / st.f.ppf(0.975, g - 1, g * (k - 1)), F * st.f.ppf(0.975, g * (k - 1), g - 1)
    lo, hi = (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)
    assert 0.3 < lo and hi < 0.5, (lo, hi)
    rec = _with_tc(tiny_records["solved"], tc.ravel(), 20)
    rec.config["init_seeds"] = [r // k for r in range(g * k)]
    out = c.init_not_sgd(FakeRuns({"barak2022.icc": rec}))
    assert out.verdict == "fails" and out.ci == pytest.approx((lo, hi)), out.detail


def test_the_width_claim_is_bonferroni_corrected_over_its_two_intervals(
        plugin, tiny_records) -> None:  # noqa: F811
    """width.no_speedup makes two comparisons, each interval at 1 - 0.05/2 = 0.975. Here the
    speedup (median 4000 -> 1000 from r = 8 to 1024) is far below 128-fold, and the IQR change
    of log t_c is borderline: scipy's percentile bootstrap (40000 resamples) puts its 95%
    interval below 0 but its 97.5% interval across 0, so the claim is inconclusive. Kills the
    Bonferroni correction dropped (both intervals at 0.95: held)."""
    from scipy import stats as st

    c = plugin["claims"]
    rng = np.random.default_rng(42)
    a0 = np.round(4000 * np.exp(0.45 * rng.standard_normal(40)))
    a1 = np.round(1000 * np.exp(0.3 * rng.standard_normal(40)))

    def iqr(x, axis=-1):  # type: ignore[no-untyped-def]
        q1, q3 = np.quantile(x, [0.25, 0.75], axis=axis)
        return np.log(q3) - np.log(q1)

    def diff(x0, x1, axis=-1):  # type: ignore[no-untyped-def]
        return iqr(x1, axis) - iqr(x0, axis)

    def hi(level: float) -> float:
        return float(st.bootstrap((a0, a1), diff, confidence_level=level, method="percentile",
                                  n_resamples=40000, vectorized=True,
                                  random_state=1).confidence_interval.high)
    assert hi(0.95) < 0 < hi(0.975)
    base = tiny_records["solved"]
    out = c.width_no_speedup(FakeRuns({"barak2022.width": {
        "r=8": _with_tc(base, a0, 20), "r=1024": _with_tc(base, a1, 20)}}))
    assert out.verdict == "inconclusive" and "0.975" in out.bound, out.detail
    assert "speedup: holds" in out.detail


def test_label_noise_counts_a_seed_that_reached_accuracy_above_0_9_and_fell_back(
        plugin, tiny_records) -> None:  # noqa: F811
    """"reach clean accuracy > 0.9": 12 seeds at error 0 at one probe time in the middle and
    0.4 at the end all reached it (12/12, exact interval above 0.6), so the claim holds. Kills
    the error read at the last probe time (0/12: fails)."""
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 12)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:, err.shape[1] // 2] = 0.0
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "holds" and out.measured == 1.0


def test_thm4_one_run_past_its_bound_fails_it_with_the_mean_inside(plugin) -> None:  # noqa: F811
    """One inside run recovers 0.9 < 0.95, the other five 1.0: a counterexample to a statement
    about every run, with the mean's one-sided t-test (scipy) deciding neither side. The claim
    fails because the check names the run (fails_from, session 51); unnamed, a fails its rule
    gives with every comparison inconclusive is not taken."""
    import dataclasses

    from scipy import stats as st

    c, e = plugin["claims"], plugin["experiments"]
    vals = np.array([1, 1, 1, 1, 1, 0.9])
    for alt in ("greater", "less"):
        assert st.ttest_1samp(vals, 0.95, alternative=alt).pvalue > 0.05 / 3
    res = dict(e.thm4(True, 6, Runtime(device="cpu")))
    res["n=13,k=4"] = _edit(res["n=13,k=4"], recovered=vals[:, None])
    out = c.thm4_one_step(FakeRuns({"barak2022.thm4": res}))
    assert out.verdict == "fails" and out.fails_from == "1 run(s) past a bound", out.fails_from
    from twolayer.claims.base import CLAIMS

    claim = CLAIMS["barak2022.thm4.one_step"]
    assert claim.verdict(out).verdict == "fails"
    assert claim.verdict(dataclasses.replace(out, fails_from="")).verdict == "inconclusive"


def test_thm4_is_judged_by_t_tests_not_sign_tests(plugin) -> None:  # noqa: F811
    """thm4.one_step: without a run past its bound, Holm over t-tests. Both inside settings
    have recovered fractions (1, 1, 1, 1, 0.95, 0.95) over 6 seeds (none below 0.95, so no
    counterexample), the odd-k control 0 in every seed: the one-sided t-tests of
    mean >= 0.95 (scipy) have p < 0.05/3, and the control's exact sign test p = 2^-6, so all
    three hold under Holm and the claim holds. The sign test of the inside settings (the two
    values at the bound left out: 4 of 4 above, p = 1/16, scipy) decides nothing. Kills Holm
    over sign tests (inconclusive)."""
    from scipy import stats as st

    c, e = plugin["claims"], plugin["experiments"]
    vals = np.array([1, 1, 1, 1, 0.95, 0.95])
    p_t = st.ttest_1samp(vals, 0.95, alternative="greater").pvalue
    assert p_t < 0.05 / 3 and 2 ** -6 < 0.05 / 2
    assert st.binomtest(4, 4, 0.5, alternative="greater").pvalue == pytest.approx(1 / 16)
    res = dict(e.thm4(True, 6, Runtime(device="cpu")))
    assert (res["n=13,k=3 (odd k)"]["recovered"] == 0).all()
    for k in ("n=13,k=2", "n=13,k=4"):
        res[k] = _edit(res[k], recovered=vals[:, None])
    out = c.thm4_one_step(FakeRuns({"barak2022.thm4": res}))
    assert out.verdict == "holds", out.detail
    assert "no run past its bound" in out.detail
