"""Mutation-testing gaps (helper s37, 2026-12-06) of the claims code written on 2026-12-05/06:
liu2023's every-run rule (``counterexample_runs``, ``run_premises``, ``_every_run``), its clean
majority (``clean_majority``) and crossing ratio (``_ratio``), maennel2020's ``fitted`` premise,
badger2022's ``chance_of``/``generalised``/``card_setting`` and frei2023's Fig. 2 claims.

Each test names the mutant it kills; the expected answers are worked by hand or with scipy
(never read from the code under test), on values or Records doctored so that the true answer
is known by construction.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import test_claims_frei
import test_claims_liu
from scipy import stats
from test_claims_liu import (
    _copy,
    _Doctored,
    _in_regime,
    _one_alpha_not_monotone,
    _one_noisy_step_down,
)

from twolayer.claims import liu2023 as L
from twolayer.claims import maennel2020 as mc
from twolayer.claims.base import CLAIMS, judge
from twolayer.experiments import liu2023 as E
from twolayer.record import Record
from twolayer.stats import FAILS, INCONCLUSIVE, fmt_num

pytestmark = pytest.mark.usefixtures("single_thread")
tiny = test_claims_liu.tiny  # the module-scoped fixture: every liu2023 experiment, tiny plan
tiny_run = test_claims_frei.tiny_run  # every frei2023 experiment, tiny plan
R = 8


# ---- liu2023: which runs are counterexamples --------------------------------------------------


def test_counterexample_runs_reads_the_margin_on_the_failing_side_only():
    """A ">=" bound 0 with margin 1e-5: -2e-5 is past it (run 1), -0.5e-5 (float rounding, run
    2) and +0.5e-5 (run 3) are not; a "<=" bound 0 with the same margin: +2e-5 is past (run 1),
    +0.5e-5 and -0.5e-5 are not. (Kills: the margin added on the failing side, v < b + eps or
    v > b - eps, which turns a run within float rounding of the bound, or one on its right
    side, into a counterexample.)"""
    up = np.array([0.0, -2e-5, -0.5e-5, 0.5e-5])
    down = -up
    out, excused = L.counterexample_runs([(up, 0.0, ">="), (down, 0.0, "<=")], ["a", "b"],
                                         [1e-5, 1e-5])
    assert out == [f"a in run 1 ({fmt_num(-2e-5)})", f"b in run 1 ({fmt_num(2e-5)})"]
    assert excused == []


def test_counterexample_runs_without_margins_counts_any_step_past_the_bound():
    """No margins: any value past the bound is a counterexample (here by 0.01)."""
    out, _ = L.counterexample_runs([(np.array([0.5, -0.01]), 0.0, ">=")], ["x"])
    assert out == [f"x in run 1 ({fmt_num(-0.01)})"]


def test_a_lost_measurement_is_no_counterexample():
    """A NaN value (a lost measurement) is on neither side of the bound: run 0 (NaN) is no
    counterexample, run 1 (past) is, in both directions. (Kills: bad = ~(v >= b - eps), which
    counts the NaN run as past the bound and fails a claim on a lost measurement.)"""
    v = np.array([np.nan, -1.0, 1.0])
    out, excused = L.counterexample_runs([(v, 0.0, ">="), (-v, 0.0, "<=")], ["a", "b"])
    assert out == [f"a in run 1 ({fmt_num(-1.0)})", f"b in run 1 ({fmt_num(1.0)})"]
    assert excused == []


def _premised(runs) -> Record:  # type: ignore[no-untyped-def]
    rec = _copy(runs.get("liu2023.regime"), R)
    _in_regime(rec)  # drift 0.01, per-class cos -0.99 at every time, rho = 0.8
    return rec


def test_run_premises_reads_each_run_and_each_premise(tiny):
    """On 8 runs inside every premise (drift 0.01, cos -0.99, S = 4 |D_noise| >= 12): run 1's
    drift lost (NaN), run 2's per-class cos at -0.85 (not anti-collinear, > -0.9), run 3's
    same-class rho at 0.01 (S = |D_noise|/99 < 10). Worked by hand: with Assumption 4.1 and S,
    runs 1, 2, 3 miss a premise; without S, runs 1, 2; without Assumption 4.1, runs 1, 3.
    (Kills: a NaN drift read as met, ~(drift > 0.1); the anti or segments switch inverted or
    dropped; the anti-collinearity bound read as <= +0.9; S >= 1 for S >= 10.)"""
    runs, _ = tiny
    rec = _premised(runs)
    a = rec.arrays
    a["liu/grad_drift"] = a["liu/grad_drift"].astype(np.float64)
    a["liu/grad_drift"][1] = np.nan
    a["segments/class_cos_clean_noisy"][2] = -0.85
    a["init/mean_cos_logit_same_cc"] = a["init/mean_cos_logit_same_cc"].astype(np.float64)
    a["init/mean_cos_logit_same_cc"][3] = 0.01
    noisy = a["liu/class_count_noisy"][3, 0].min()
    assert noisy * 0.01 / 0.99 < 10 <= a["liu/class_count_noisy"][:, 0].min() * 4  # the oracle
    want = np.ones(R, bool)
    for anti, seg, off in ((True, True, (1, 2, 3)), (True, False, (1, 2)), (False, True, (1, 3)),
                           (False, False, (1,))):
        ok, _ = L.run_premises(rec, anti=anti, segments=seg)
        exp = want.copy()
        exp[list(off)] = False
        assert ok.tolist() == exp.tolist(), (anti, seg, ok)


def test_run_premises_reads_the_window_it_is_given(tiny):
    """The premises are read up to the window's end ``end`` (Theorem 4.5's claims pass the
    clean-priority phase, longer than the early window): run 4's drift 0.5 and run 5's per-class
    cos -0.5 at the last probe time only, after every early window, break the premises over
    the whole run and not over the early window. (Kills: ``end`` dropped from the drift or the
    anti-collinearity premise.)"""
    runs, _ = tiny
    rec = _premised(runs)
    last = len(rec.times) - 1
    assert (E.early_end(rec) < last).all()  # the oracle: the last time is outside the window
    a = rec.arrays
    a["liu/grad_drift"] = a["liu/grad_drift"].astype(np.float64)
    a["liu/grad_drift"][4, last] = 0.5
    a["segments/class_cos_clean_noisy"][5, last] = -0.5
    early, _ = L.run_premises(rec)
    whole, _ = L.run_premises(rec, np.full(R, last))
    assert early.all(), early
    assert whole.tolist() == [True] * 4 + [False, False] + [True] * 2, whole


def test_assumption_41_excuses_a_run_whose_segments_fail_the_law_of_large_numbers(tiny):
    """Assumption 4.1 over the early window is stated for runs meeting Eq. (5)'s premise S >= 10:
    run 0 past the bound (cos -0.85 > -0.9) with rho = 0.01 (S < 10) is no counterexample (the
    claim does not fail; the detail says why), while the same run with S met fails it
    (test_claims_liu). (Kills: segments=False in the claim's run_premises.)"""
    runs, _ = tiny
    rec = _premised(runs)
    a = rec.arrays
    a["segments/class_cos_clean_noisy"][0] = -0.85
    a["init/mean_cos_logit_same_cc"] = a["init/mean_cos_logit_same_cc"].astype(np.float64)
    a["init/mean_cos_logit_same_cc"][0] = 0.01
    v = judge(CLAIMS["liu2023.asm41.early_anticollinear.regime"],
              _Doctored(runs, {"liu2023.regime": rec}))
    assert v.verdict != FAILS, (v.verdict, v.detail)
    assert "not a counterexample" in v.detail and "segment S >= 10" in v.detail, v.detail


def test_theorem_45_reads_the_premises_over_the_clean_priority_phase(tiny):
    """Theorem 4.5's monotone alpha is judged up to t_x (the phase, here the whole run: the
    ratio falls 3 -> 1 and first reaches 1 + eps at the last time): run 0, whose alpha falls
    once, breaks the drift premise (0.5) at the end of that phase, after its early window: not
    a counterexample. (Kills: run_premises over the early window, the phase end dropped.)"""
    runs, _ = tiny
    rec = _copy(runs.get("liu2023.regime"), R)
    _one_alpha_not_monotone(rec)
    end = E.phase_end(rec)
    assert (E.early_end(rec) < end).all()  # the oracle: the phase outlasts the early window
    rec.arrays["liu/grad_drift"] = rec.arrays["liu/grad_drift"].astype(np.float64)
    rec.arrays["liu/grad_drift"][0, end[0]] = 0.5
    v = judge(CLAIMS["liu2023.thm45.alpha_monotone.regime"],
              _Doctored(runs, {"liu2023.regime": rec}))
    assert v.verdict != FAILS, (v.verdict, v.detail)
    assert "not a counterexample" in v.detail, v.detail


def test_theorem_44_excuses_a_run_whose_segments_are_not_anticollinear(tiny):
    """Theorem 4.4 is stated under Assumption 4.1: run 0, whose noisy loss falls on a probe
    interval (past the bound), has per-class cos(g_clean, g_noise) = -0.85 (> -0.9) over its
    window: not a counterexample (the claim does not fail), while with -0.99 it fails
    (test_claims_liu). (Kills: the claim's run_premises without Assumption 4.1.)"""
    runs, _ = tiny
    rec = _copy(runs.get("liu2023.regime"), R)
    _one_noisy_step_down(rec)
    rec.arrays["segments/class_cos_clean_noisy"][0] = -0.85
    v = judge(CLAIMS["liu2023.thm44.early_losses.regime"],
              _Doctored(runs, {"liu2023.regime": rec}))
    assert v.verdict != FAILS, (v.verdict, v.detail)
    assert "not a counterexample" in v.detail and "cos(g_clean, g_noise) <= -0.9" in v.detail


# ---- liu2023: the clean majority of the drawn training set -----------------------------------


def _counts_record(clean: list, noisy: list) -> Record:
    """A Record of the per-class counts [R, T = 2, C] (constant over time, as the probe)."""
    c, n = np.asarray(clean, float), np.asarray(noisy, float)
    return Record({"seeds": c.shape[0]}, "counts", np.array([0, 1]),
                  {"liu/class_count_clean": np.repeat(c[:, None], 2, 1),
                   "liu/class_count_noisy": np.repeat(n[:, None], 2, 1)})


def test_clean_majority_needs_more_clean_than_noisy_points_in_every_class():
    """A class with as many noisy as clean points (9 and 9) has no clean majority (|D_clean| >
    |D_noise| is strict: its segment ratio starts at 1); 10 and 9 has one. (Kills: >= for >.)"""
    ok, text = L.clean_majority(_counts_record([[20, 9], [15, 12]], [[5, 9], [4, 3]]))
    assert ok is False and "class 1 of seed 0" in text, text
    ok, _ = L.clean_majority(_counts_record([[20, 10], [15, 12]], [[5, 9], [4, 3]]))
    assert ok is True


def _noisy_record(fracs: list[float], n: int = 10) -> Record:
    """A Record with only ``static/noisy`` [R, n]: seed r has round(fracs[r] n) flipped labels."""
    noisy = np.zeros((len(fracs), n), bool)
    for r, f in enumerate(fracs):
        noisy[r, : round(f * n)] = True
    return Record({"seeds": len(fracs)}, "noisy", np.array([0]), {"static/noisy": noisy})


@pytest.mark.parametrize("fracs, want", [([0.2, 0.4], True), ([0.2, 0.6], False),
                                         ([0.4, 0.5], False)])
def test_clean_majority_without_class_counts_reads_every_seeds_flipped_share(fracs, want):
    """Without per-class counts, every seed needs fewer than half of its labels corrupted:
    seeds at 0.2 and 0.6 (mean 0.4) have none in seed 1; a seed at exactly 1/2 has none.
    (Kills: any seed for every seed, the mean over seeds, <= 1/2, the fallback dropped.)"""
    ok, text = L.clean_majority(_noisy_record(fracs))
    assert ok is want, text
    assert "configured rate" not in text


# ---- liu2023: t_x/t* from its log10 ------------------------------------------------------------


def test_crossing_ratio_beyond_the_run_is_infinite_and_a_finite_one_is_itself():
    """+NEVER (t_x > T) is an infinite ratio, -NEVER (t_x = 0) a ratio of 0, a finite log10 its
    power of ten (log10 2 -> 2, shown as 2). (Kills: +NEVER read as 10**99; the text of a
    finite ratio said "beyond the run".)"""
    assert L._ratio(L.NEVER) == math.inf
    assert L._ratio(-L.NEVER) == 0.0
    assert L._ratio(math.log10(2.0)) == pytest.approx(2.0)
    assert L._ratio_text(math.log10(2.0)) == fmt_num(10 ** math.log10(2.0))
    assert "beyond the run" in L._ratio_text(L.NEVER)


# ---- maennel2020: every run below chance, exact binomial, Bonferroni over R --------------------


def _fit_record(errs: list[float], k: int, n: int, config_n: int | None = None) -> Record:
    """A Record of final training errors (float32, as the experiments store them) of runs trained
    on ``n`` points (meta ``trained_on``; the config's n may differ: a held-out split)."""
    e = np.asarray(errs, dtype=np.float32)
    cfg = {"seeds": e.size, "data": {"n": config_n or n, "num_classes": k,
                                     "noise_model": "random"}}
    return Record(cfg, "fit", np.array([0, 1]), {"errors/train_error": np.stack([e, e], 1)},
                  {"trained_on": n})


def test_fitted_tests_each_run_against_chance_at_the_bonferroni_level():
    """K = 2, n = 100, R = 4 runs; three at 0 misfits and one at 40 (p = P(Bin(100, 1/2) <= 40)
    = 0.028, scipy): below 0.05 but not below 0.05/4, so that run did not learn its labels by
    the premise's test, though the mean's interval lies below chance. (Kills: the Bonferroni
    division dropped.)"""
    p40 = stats.binom.cdf(40, 100, 0.5)
    assert 0.05 / 4 < p40 < 0.05
    ok, text = mc.fitted(_fit_record([0.0, 0.0, 0.0, 0.40], 2, 100))
    assert ok is False and "run 3" in text, text
    ok, _ = mc.fitted(_fit_record([0.0, 0.0, 0.0, 0.38], 2, 100))  # P(<= 38) = 0.0105 < 0.0125
    assert stats.binom.cdf(38, 100, 0.5) < 0.05 / 4 and ok is True


def test_fitted_counts_the_misfits_of_a_float32_error_exactly():
    """n = 100, R = 4: a run at 39 misfits (stored as float32 0.39, 39 x 0.39f = 38.99999857)
    has P(Bin(100, 1/2) <= 39) = 0.0176 >= 0.0125: not learned; at 38 misfits 0.0105 < 0.0125.
    (Kills: the count rounded down, floor(err n), and P(X < e) for P(X <= e), each of which
    reads 39 misfits as 38; Bonferroni over R - 1 = 3, 0.0167, reads 0.0176 the same, so R = 3
    runs decide that one: 0.05/3 = 0.0167 < P(<= 39) but > P(<= 38).)"""
    assert float(np.float32(0.39)) * 100 < 39
    p39, p38 = stats.binom.cdf(39, 100, 0.5), stats.binom.cdf(38, 100, 0.5)
    assert p38 < 0.05 / 4 <= p39
    assert mc.fitted(_fit_record([0.0, 0.0, 0.0, 0.39], 2, 100))[0] is False


def test_fitted_bonferroni_is_over_the_r_runs():
    """R = 5 runs on n = 300: the last at 130 misfits, P(Bin(300, 1/2) <= 130) = 0.0121 (scipy),
    between 0.05/5 = 0.01 and 0.05/4 = 0.0125: not learned over 5 runs. (Kills: Bonferroni
    over R - 1.)"""
    n, e = 300, 130
    assert 0.01 <= stats.binom.cdf(e, n, 0.5) < 0.0125
    ok, text = mc.fitted(_fit_record([0.0] * 4 + [e / n], 2, n))
    assert ok is False and "run 4" in text, text


def test_fitted_compares_with_chance_one_minus_one_over_k():
    """K = 3: chance is a misfit rate of 2/3; runs at 0.30 on n = 100 (P(Bin(100, 2/3) <= 30) ~
    1e-13) learned. (Kills: the binomial at 1/K, which equals 1 - 1/K only at K = 2: P(Bin(100,
    1/3) <= 30) = 0.27, read as not learned.)"""
    assert stats.binom.cdf(30, 100, 2 / 3) < 1e-6 and stats.binom.cdf(30, 100, 1 / 3) > 0.05
    ok, text = mc.fitted(_fit_record([0.30, 0.29, 0.31, 0.30], 3, 100))
    assert ok is True, text


def test_fitted_counts_misfits_out_of_the_points_trained_on():
    """Trained on n' = 100 of a config's n = 1000 (the rest held out): 40 misfits of 100 (p =
    0.028 >= 0.0125) is not below chance, though 400 of 1000 would be (p ~ 1e-10). (Kills: n
    read from the config, not meta trained_on.)"""
    assert stats.binom.cdf(400, 1000, 0.5) < 1e-6
    ok, _ = mc.fitted(_fit_record([0.0, 0.0, 0.0, 0.40], 2, 100, config_n=1000))
    assert ok is False


def test_fitted_needs_the_whole_interval_of_the_mean_below_chance():
    """Two runs on n = 1000 at 0 and 450 misfits: each is below chance by its own exact test
    (P(Bin(1000, 1/2) <= 450) = 0.0009 < 0.05/2), but the mean's 95% t-interval (scipy) over 2
    runs reaches far above chance: the labels are not shown to be learnt. (Kills: the lower end
    of the interval read for the upper.)"""
    err = np.array([0.0, 0.45])
    assert stats.binom.cdf(450, 1000, 0.5) < 0.025
    lo, hi = stats.t.interval(0.95, 1, loc=err.mean(), scale=stats.sem(err))
    assert lo < 0.5 < hi
    ok, text = mc.fitted(_fit_record(list(err), 2, 1000))
    assert ok is False and "below chance 0.5: no" in text, text


def test_fitted_names_a_lost_run_as_not_shown_below_chance():
    """A run whose final training error is lost (NaN: diverged) is not shown to fit better than
    chance: the premise is unmet and the text names that run among those that did not learn.
    (Kills: the per-run test written p >= level, under which a NaN p passes silently.)"""
    ok, text = mc.fitted(_fit_record([0.0, 0.0, 0.0, float("nan")], 2, 100))
    assert ok is False and "no: run 3 (" in text, text


def _labels_record(model: str, rate: float, noisy: np.ndarray, k: int = 2) -> Record:
    cfg = {"seeds": noisy.shape[0], "data": {"kind": "gaussian", "noise_model": model,
                                             "noise": rate, "num_classes": k}}
    return Record(cfg, "labels", np.array([0]), {"static/noisy": noisy})


def test_entirely_random_labels_need_the_random_noise_model():
    """K = 2, 4 runs of 100 labels with exactly half changed ((K - 1)/K, worked by hand): under
    the random model at rate 1 they are the card's entirely random labels; the same changed
    fraction from the input-dependent one-cluster model at rate 1 (every label of one of two
    clusters flipped) is not. (Kills: the noise model dropped from the random-labels item.)"""
    noisy = np.zeros((4, 100), bool)
    noisy[:, :50] = True
    assert noisy.mean() == 0.5
    ok, _ = mc._labels_item(_labels_record("random", 1.0, noisy), "random")
    assert ok is True
    ok, text = mc._labels_item(_labels_record("one-cluster", 1.0, noisy), "random")
    assert ok is False and "one-cluster noise at rate 1" in text, text


# ---- badger2022: chance 1/K of the runs, the generalised premise, the card's setting ----------


def _objective_runs(setting: str, plan: dict | None = None, seeds: int = 5):  # type: ignore[no-untyped-def]
    from twolayer.experiments.badger2022 import ObjectiveRuns

    return ObjectiveRuns(times=np.array([0, 1]), arrays={}, fractions=(1.0,), seeds=seeds,
                         setting=setting, config={"plan": plan or {}, "gates": []})


def test_chance_is_one_over_the_records_k_and_unknown_without_one():
    """1/K from the stored setting text: K = 4 -> 0.25; a text without K -> NaN (nothing is
    assumed), and the generalised premise against NaN is not met whatever the accuracy.
    (Kills: the experiments' 1/10 for a text that names no K, or for every K.)"""
    from twolayer.claims import badger2022 as bc

    assert bc.chance_of(_objective_runs("K=4, d=30, n=2000")) == 0.25
    assert math.isnan(bc.chance_of(_objective_runs("d=30, n=2000")))
    ok, _ = bc.generalised(np.array([0.99, 0.98]), "normal", bc.chance_of(
        _objective_runs("d=30, n=2000")))
    assert ok is False


def test_generalised_compares_with_the_given_chance_plus_the_margin():
    """K = 2 (chance 0.5, margin 0.05): hold-out 0.30 at every seed is far above 1/10 + 0.05 but
    below 0.55, not generalised; 0.53 is above chance and within the margin, not generalised;
    0.56 is. (Kills: the experiments' CHANCE = 1/10 for the given chance; the margin dropped.)"""
    from twolayer.claims import badger2022 as bc

    for acc, want in ((0.30, False), (0.53, False), (0.56, True)):
        ok, text = bc.generalised(np.full(5, acc), "normal training", 0.5)
        assert ok is want, (acc, text)


CARD_PLAN = {"n": 2000, "m": 512, "optimizer": "sgd", "lr": 0.02, "batch": 100, "epochs": 300}


@pytest.mark.parametrize("extra, item", [({"mean_var": 0.25}, "--mean-var"),
                                         ({"holdout": 500}, "--n-test")])
def test_card_setting_compares_a_records_mean_var_and_hold_out_size(extra, item):
    """A user's record with every item of the card's setting (K = 10, d = 30, n = 2000, H =
    512, SGD lr 0.02, batch 100, 300 epochs, 5 seeds) matches; class means N(0, 0.25 I) instead
    of the card's 0.36, or a hold-out set of 500 instead of 2000, does not, and the text names
    the item. (Kills: mean_var compared with a loose tolerance or not at all; the hold-out
    item always matched.)"""
    from twolayer.claims import badger2022 as bc

    ok, _ = bc.card_setting(_objective_runs("K=10, d=30", dict(CARD_PLAN, mean_var=0.36,
                                                              holdout=2000)), "objectives")
    assert ok is True
    ok, text = bc.card_setting(_objective_runs("K=10, d=30", {**CARD_PLAN, **extra}),
                               "objectives")
    assert ok is False and item in text, text



@pytest.fixture(scope="module")
def badger_tiny() -> dict[str, object]:
    """The badger2022 tiny plan's Records, as test_badger2022_records' fixture ``tiny`` (whose
    name this module's liu2023 fixture takes)."""
    from test_badger2022_records import NAMES, RT

    from twolayer.experiments import Runs

    runs = Runs(quick=True, runtime=RT)
    return {f"badger2022.{n}": runs.get(f"badger2022.figures.{n}") for n in NAMES}


def test_switch_is_undecided_below_the_one_sided_95_quantile(badger_tiny, tmp_path):
    """Claim 5: H_switch - H_normal per seed (8 seeds) at -0.05 minus an offset whose t
    statistic is 1.2 (scipy): above the one-sided 80% quantile (0.896, 7 df), below the 95% one
    (1.895), so the one-sided t-test at 95% the bound names does not show the mean below -0.05:
    inconclusive, not fails. (A holds at a lax level is re-judged by Claim.verdict; a fails is
    not.) (Kills: one_test at a level of 80%.)"""
    from test_mut_badger import _judge, switch_holdout

    from twolayer.stats import INCONCLUSIVE

    base = np.array([0.03, 0.0, 0.025, 0.002, 0.02, 0.004, 0.01, 0.006])
    below = base - base.mean() + 1.2 * stats.sem(base)
    diff = -0.05 - below
    t = stats.ttest_1samp(diff, -0.05).statistic
    assert stats.t.ppf(0.05, 7) < t < stats.t.ppf(0.20, 7), t

    v = _judge(badger_tiny, tmp_path, "badger2022.c5.switch_recovers", "badger2022.switch",
               switch_holdout(diff))
    assert v.verdict == INCONCLUSIVE, (v.verdict, v.ci, v.detail)
    assert v.measured == pytest.approx(diff.mean(), abs=1e-5)


def test_gate_trend_fails_when_the_slope_is_clearly_below_zero(badger_tiny, tmp_path):
    """C2': per-seed slopes of the final train accuracy against tau at -0.02 +- 0.01 (8 seeds):
    the one-sided t-test (scipy) shows the mean below 0 (t = -5.9): the train accuracy does
    not rise with tau, fails. (Kills: the comparison against a bound below 0, -0.05, under
    which these slopes hold.)"""
    from test_mut_badger import SLOPES, _judge, gate_slopes

    slopes = -0.02 + 0.05 * (SLOPES - SLOPES.mean())
    assert stats.ttest_1samp(slopes, 0, alternative="less").pvalue < 0.001
    assert stats.ttest_1samp(slopes, -0.05, alternative="greater").pvalue < 0.001

    v = _judge(badger_tiny, tmp_path, "badger2022.c2p.target_gates", "badger2022.gates",
               gate_slopes(slopes))
    assert v.verdict == FAILS, (v.verdict, v.ci, v.detail)

# ---- frei2023: runs stopped at T ---------------------------------------------------------------


def _frei_copy(rec: Record, steps: int | None = None) -> Record:
    import copy

    cfg = copy.deepcopy(rec.config)
    if steps is not None:
        cfg["train"]["steps"] = steps
    return Record(cfg, rec.run_id, rec.times, rec.arrays, rec.meta, rec.summary)


def test_regime_of_records_needs_every_record_to_stop_at_t(tiny_run):
    """Two regime records, one run to T = 1 + 1/(4 alpha) and one a step longer: the premise
    "runs stop at T" is met by one record only, so it is not met (worked by hand: the tiny
    plan's alpha = 1/4 gives T = 2). (Kills: any record for every record.)"""
    from twolayer.claims import frei2023 as F

    exps, _ = tiny_run
    recs = exps.get("frei2023.regime")
    a, b = (recs[k] for k in sorted(recs))
    lr = float(a.config["train"]["lr"])
    T = 1 + round(1 / (4 * lr))
    assert math.isclose(1 / (4 * lr), T - 1) and int(a.config["train"]["steps"]) == T
    ok, text = F.regime_of_records([_frei_copy(a), _frei_copy(b, steps=T + 1)])
    assert ok is False and "runs stop at T = 1 + 1/(4 alpha): no" in text, text
    _, text = F.regime_of_records([_frei_copy(a), _frei_copy(b)])
    assert "runs stop at T = 1 + 1/(4 alpha): yes" in text, text



def test_fig2_decline_needs_every_run_above_1_minus_eta_at_its_end(tiny_run):
    """Fig. 2 right, 8 runs whose test accuracy falls 10 points over the run, each passing
    1 - eta at the second probe time: in runs 4-7 the training accuracy falls back to 0.7
    (below 1 - eta) at the last probe time. The premise (every run's final training accuracy
    above 1 - eta) is not met: inconclusive; with every run ending at 1 it holds
    (test_mut_claims_frei). (Kills: the final-accuracy premise read for any run.)"""
    from test_mut_claims_frei import _doctored_fig2, _late

    exps, _ = tiny_run
    eta = exps.get("frei2023.fig2")["low_d"].config["data"]["noise"]
    assert 0.7 < 1 - eta

    def train_err(i, T):  # type: ignore[no-untyped-def]
        e = np.r_[0.3, np.zeros(T - 1)]
        if i >= 4:
            e[-1] = 0.3
        return e

    runs = _doctored_fig2(exps, _late(False, train_err,
                                      lambda i, T: np.linspace(eta, eta + 0.1 + 0.001 * i, T)))
    v = judge(CLAIMS["frei2023.fig2.low_d_decline"], runs)
    assert v.verdict == INCONCLUSIVE, v.detail[:300]


def test_covering_num_times_reads_the_records_dense_probe_grid():
    """A record of T = 13 steps probed densely up to t = 20 (``probe.dense_until``) holds every
    t = 0..13 at any --num-times (the dense part alone covers them, by the grid's definition:
    every t <= dense_until), so the advice is the least count, 2; a record dense up to 10 needs
    26 (test_record_audit_fl). (Kills: dense_until read as the default 10.)"""
    from twolayer.claims.frei2023_record import covering_num_times

    rec = Record({"seeds": 1, "train": {"steps": 13}, "probe": {"dense_until": 20}}, "grid",
                 np.arange(14))
    assert covering_num_times(rec).startswith("simulate with --num-times 2 or more")
