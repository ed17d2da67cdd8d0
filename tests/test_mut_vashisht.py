"""Mutation-testing oracles for the vashisht2024 claims (``twolayer/claims/vashisht2024.py``).

Each test judges a real tiny study (the experiment's own runner) whose stored values are
doctored so that the true answer is known by construction, and kills a mutant that the older
tests let through (the mutant is named in each test's docstring): thresholds (near 1/2, the
C-randomised level, the one-point accuracy tolerance), the control's premises, the baseline's
fit premise with a lost seed, the pairing of arms by seed, the η family of claim 2 (some η, the
flip-rate premise's Bonferroni level over the η) and the values reported for it.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import test_vashisht as tv
import test_vashisht_records as records

from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import CLAIMS, FAILS, HOLDS, INCONCLUSIVE, judge
from twolayer.experiments import vashisht2024 as E
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
PAPER = "vashisht2024"


@pytest.fixture(scope="module")
def tiny() -> Record:
    """The records module's tiny linear + XOR study (3 seeds, eta in {0, 0.5})."""
    return E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)


TWO = dataclasses.replace(records.TINY, sgd=dataclasses.replace(records.TINY.sgd,
                                                                etas=(0.0, 0.2, 0.5)))


@pytest.fixture(scope="module")
def two_eta() -> Record:
    """The same tiny study with two noisy rates, eta in {0, 0.2, 0.5}."""
    return E.run_study("linxor", TWO, TWO.sgd, records.CPU)


def _judge(rec: Record, name: str):  # type: ignore[no-untyped-def]
    return judge(CLAIMS[f"{PAPER}.linxor.{name}"], records._runs(rec))


def _planted(**over: list[float]) -> dict:
    """The records module's planted values (every claim holds), with ``over`` replacing some:
    keys "quantity/variant/eta"."""
    values = records._plant()
    for key, vals in over.items():
        q, variant, eta = key.split("/")
        values[(q, variant, float(eta))] = vals
    return values


# -- thresholds of claims 1 and 3 --------------------------------------------------------------


def test_s_randomised_accuracy_of_0_42_is_not_near_one_half(tiny: Record) -> None:
    """Claim 1's "near 0.5" is [0.45, 0.55] (module docstring): a baseline at 0.42 (spread
    0.005 over 3 seeds, t = -10 against 0.45) fails it. Kills NEAR_HALF widened to (0.4, 0.6),
    under which it held."""
    rec = records._doctor(tiny, _planted(**{"s_rand_acc/keep/0.0": [0.42, 0.415, 0.425]}))
    assert _judge(rec, "clean_simple").verdict == FAILS


def test_c_randomised_accuracy_of_0_92_fails_the_0_95_level(tiny: Record) -> None:
    """Claim 1's C-randomised accuracy must be >= 0.95: 0.92 +- 0.005 fails. Kills
    C_RAND_MIN = 0.9 (held)."""
    rec = records._doctor(tiny, _planted(**{"c_rand_acc/keep/0.0": [0.92, 0.915, 0.925]}))
    assert _judge(rec, "clean_simple").verdict == FAILS


def test_an_accuracy_cost_of_one_and_a_half_points_fails(tiny: Record) -> None:
    """Claim 3's tolerance is one point: a paired drop of 0.015 (+- 0.0005 per seed) fails.
    Kills ACC_TOLERANCE = 0.02 (held)."""
    cost = [a - d for a, d in zip(records.BASE_ACC, (0.015, 0.0145, 0.0155))]
    rec = records._doctor(tiny, _planted(**{"clean_acc/keep/0.5": cost}))
    assert _judge(rec, "no_accuracy_cost").verdict == FAILS


# -- the fit premise with a lost baseline seed -------------------------------------------------


def test_a_lost_baseline_accuracy_is_not_a_learned_task(tiny: Record) -> None:
    """A baseline seed whose clean accuracy is NaN was not measured to learn the task: claim 1's
    premise is unmet (inconclusive, outside), although the comparisons (which read S- and
    C-randomised accuracy, not clean accuracy) would hold. Kills ``a < FIT_MIN`` for
    ``not a >= FIT_MIN`` (NaN passed and the claim held)."""
    rec = records._doctor(tiny, _planted(**{"clean_acc/keep/0.0": [0.99, float("nan"), 0.995]}))
    v = _judge(rec, "clean_simple")
    assert v.verdict == INCONCLUSIVE and not v.in_regime, v
    assert "clean test accuracy >= 0.95 at every seed): no" in v.regime


# -- label_noise_specific: an undecided control rise, and the control's premises --------------


def test_an_undecided_input_noise_rise_does_not_make_the_claim_hold(tiny: Record) -> None:
    """Claim 5 holds only when the control's rise *fails*. Deltas of +0.3, -0.25, +0.02 (S) and
    +0.4, -0.3, +0.01 (conflict) decide nothing at 3 seeds (scipy: both one-sided p > 0.05),
    so the claim is inconclusive. Kills ``.get(rule, HOLDS)`` (an undecided rise read as no
    rise)."""
    from scipy import stats

    ds, dc = np.array([0.3, -0.25, 0.02]), np.array([0.4, -0.3, 0.01])
    for d in (ds, dc):
        for side in ("greater", "less"):
            assert stats.ttest_1samp(d, V.MIN_RISE, alternative=side).pvalue > 0.05
    rec = records._doctor(tiny, _planted(**{
        "s_rand_acc/input-noise/0.0": list(np.array(records.BASE_S) + ds),
        "conflict_follow/input-noise/0.0": list(np.array(records.BASE_C) + dc)}))
    assert _judge(rec, "label_noise_specific").verdict == INCONCLUSIVE


def _control(rec: Record, key: str, value: float) -> Record:
    """``rec`` with the first input-noise control run's stored ``phase1/input_<key>`` set."""
    out = copy.deepcopy(rec)
    sel = np.flatnonzero(out.arrays["phase1/source"] == 1)
    out.arrays[f"phase1/input_{key}"][sel[0]] = value
    return out


def test_a_control_that_changes_the_complex_label_is_not_feature_preserving(tiny: Record) -> None:
    """The control must flip no feature's label, complex included: a stored complex-label
    change rate of 0.05 on one seed makes claim 5 inconclusive, outside. Kills the premise
    reading only the simple feature's flip rate."""
    rec = _control(records._doctor(tiny, _planted()), "c_flip", 0.05)
    v = _judge(rec, "label_noise_specific")
    assert v.verdict == INCONCLUSIVE and not v.in_regime
    assert "no feature label flipped: no" in v.regime


def test_a_control_below_its_noise_target_at_one_seed_is_outside(tiny: Record) -> None:
    """The control's perturbation must reach the 1-NN target at *every* seed: one seed below it
    makes claim 5 inconclusive, outside. Kills ``np.any`` for ``np.all`` and the dropped
    ``matched`` condition."""
    rec = records._doctor(tiny, _planted())
    sel = np.flatnonzero(rec.arrays["phase1/source"] == 1)
    target = float(rec.arrays["phase1/input_nn_target"][sel[0]])
    v = _judge(_control(rec, "nn_reached", target - 0.1), "label_noise_specific")
    assert v.verdict == INCONCLUSIVE and not v.in_regime
    assert "at every seed: no" in v.regime


# -- arms are paired by seed -------------------------------------------------------------------


def _reseed(rec: Record, variant: str, eta: float, seeds: list[int]) -> Record:
    out = copy.deepcopy(rec)
    idx = E.runs(out, variant, eta)
    out.arrays["phase2/seed"][idx] = seeds
    return out


def test_arms_on_other_seeds_are_not_paired(tiny: Record) -> None:
    """Δ is a paired per-seed difference: a rescaled arm whose runs carry seeds 0, 1, 7 against
    the baseline's 0, 1, 2 cannot be differenced. Kills the removed seed check in ``paired``
    (it differenced seed 7 with seed 2)."""
    rec = _reseed(records._doctor(tiny, _planted()), "rescale", 0.5, [0, 1, 7])
    with pytest.raises(ValueError, match="do not share their seeds"):
        V.paired(rec, "s_rand_acc", "rescale", 0.5)


def test_noisy_runs_on_other_seeds_are_an_unmet_premise(tiny: Record) -> None:
    """Claim 2's premise: its noisy runs have the baseline's seeds. Seeds 0, 1, 7 at eta = 0.5
    make it inconclusive, outside, with the seeds named. Kills ``runs_ok`` without the
    pairing check (the claim then errored in ``paired``)."""
    rec = _reseed(records._doctor(tiny, _planted()), "keep", 0.5, [0, 1, 7])
    v = _judge(rec, "reliance_rises")
    assert v.verdict == INCONCLUSIVE and not v.in_regime, v
    assert "each with the baseline's 3 seeds: no (eta=0.5: seed index [0, 1, 7]" in v.regime


def test_a_flip_count_that_is_not_an_integer_is_not_measured(tiny: Record) -> None:
    """The flip count F is read off stored accuracies and must come out an integer (within
    0.05): values that give F + 0.3 at every seed are not a measurement, so the flip-rate
    premise is unmet. Kills a tolerance of 0.5 (F + 0.3 was rounded to F and held)."""
    n = records.TINY.n
    rec = tv._flips(records._doctor(tiny, _planted()), 0.5, [30, 29, 31], n)
    a = rec.arrays
    sel = np.flatnonzero((a["phase1/source"] == 0) & np.isclose(a["phase1/eta"], 0.5))
    a["phase1/vashisht/train_acc_true"][sel, -1] -= 0.3 / n
    v = _judge(rec, "reliance_rises")
    assert v.verdict == INCONCLUSIVE and not v.in_regime
    assert "eta=0.5: not measurable at any of 3 seeds" in v.regime


# -- the setting compared with the card, item by item ------------------------------------------


def test_margin_init_and_seeds_that_differ_from_the_card_are_named(tiny: Record) -> None:
    """The card fixes margin 0.1, He init 2/d and >= 5 seeds (values typed from the card): a
    study stored as the card's but with margin 0.2, init variance 0.1 and its 3 seeds is outside,
    those three items named. Kills each item compared as always matching."""
    rec = tv._as_card(records._doctor(tiny, _planted()))
    rec.meta["study"]["plan"]["margin"] = 0.2
    rec.config["net"]["init_var"] = 0.1
    v = _judge(rec, "clean_simple")
    assert v.verdict == HOLDS and not v.in_regime
    differ = v.regime.split("; match:")[0]
    assert "3 of 15 items differ" in differ, v.regime
    for item in ("margin 0.2 vs the card's 0.1", "first-layer init variance 0.1 vs He 2/d = 0.2",
                 "seeds 3 vs the card's >= 5"):
        assert item in differ, item


# -- two noisy rates: "some eta", the flip premise's Bonferroni level, the reported values -----


def _two(rise_02: bool, rise_05: bool, acc_02: float = 0.0, acc_05: float = 0.0) -> dict:
    """Planted values for the two-eta study: the baseline of the records module; at each eta a
    rise of about +0.1 (0.2) or +0.3 (0.5) in S-rand and conflict following if asked, else a
    wobble around 0; kept-head clean accuracy changed by ``acc_*``; rescaled runs as kept."""
    b = records
    v = {("s_rand_acc", "keep", 0.0): b.BASE_S, ("conflict_follow", "keep", 0.0): b.BASE_C,
         ("c_rand_acc", "keep", 0.0): [1.0, 0.99, 0.995], ("clean_acc", "keep", 0.0): b.BASE_ACC}
    for eta, rise, size, acc in ((0.2, rise_02, 0.1, acc_02), (0.5, rise_05, 0.3, acc_05)):
        up = (size, size + 0.02, size - 0.01)
        s = [x + (u if rise else e) for x, u, e in zip(b.BASE_S, up, b.NO_RISE)]
        c = [x + (u if rise else e) for x, u, e in zip(b.BASE_C, up, b.NO_RISE)]
        for variant in ("keep", "rescale"):
            v[("s_rand_acc", variant, eta)] = s
            v[("conflict_follow", variant, eta)] = c
        v[("clean_acc", "keep", eta)] = [x + acc + e for x, e in zip(b.BASE_ACC, b.NO_RISE)]
    return v


def test_a_rise_at_one_eta_of_two_is_enough(two_eta: Record) -> None:
    """Claim 2 says "for some eta > 0": a clear rise at eta = 0.2 and none at 0.5 holds (the
    rise fails at 0.5, holds at 0.2). Kills ``rise_rule`` combining the η with "every η"."""
    rec = records._doctor(two_eta, _two(rise_02=True, rise_05=False))
    _, per, k = V.rise_rule(rec, "keep", [0.2, 0.5])
    assert (per[0.2][0], per[0.5][0], k) == (HOLDS, FAILS, 4)
    assert _judge(rec, "reliance_rises").verdict == HOLDS


def test_reported_values_are_the_best_rise_and_the_worst_cost(two_eta: Record) -> None:
    """With a rise at both eta, claim 2 reports the mean Δ S-rand of the eta with the largest
    one (0.5: about 0.303) and claim 3 the mean Δ clean accuracy of the worst eta (0.2: about
    -0.006), recomputed here from the planted values. Kills ``min``/``max`` swapped."""
    vals = _two(True, True, acc_02=-0.006, acc_05=0.002)
    rec = records._doctor(two_eta, vals)
    # Δ S-rand over the moved test points, its low end (π keeps 1 of the 80 in place: the arm's
    # kept point may be right on S-rand, the baseline's wrong, as far as the clean counts let)
    n, kept = rec.meta["study"]["plan"]["n_test"], 1
    na = np.rint(np.asarray(vals[("clean_acc", "keep", 0.5)]) * n)
    nb = np.rint(np.asarray(records.BASE_ACC) * n)
    a = (n * np.asarray(vals[("s_rand_acc", "keep", 0.5)]) - np.minimum(kept, na)) / (n - kept)
    b = (n * np.asarray(records.BASE_S) - np.maximum(0, kept - n + nb)) / (n - kept)
    ds = np.mean(a - b)
    v = _judge(rec, "reliance_rises")
    assert v.verdict == HOLDS and v.measured == pytest.approx(ds, abs=1e-6)
    da = np.mean(vals[("clean_acc", "keep", 0.2)]) - np.mean(records.BASE_ACC)
    v = _judge(rec, "no_accuracy_cost")
    assert v.verdict == HOLDS and v.measured == pytest.approx(da, abs=1e-6)


def test_flip_rate_premise_is_bonferroni_corrected_over_the_eta(two_eta: Record) -> None:
    """The flip-rate premise uses exact intervals at 1 - 0.001/|eta > 0|. At eta = 0.5, 113
    flips of 180 lie outside the 0.999 interval but inside the 0.9995 one (scipy's beta
    quantiles), so with two noisy rates the premise is met. Kills the level without the
    division by |eta > 0|."""
    lo, hi = tv._exact_ci(113, 180, 1 - 0.001)
    assert not lo <= 0.5 <= hi
    lo, hi = tv._exact_ci(113, 180, 1 - 0.0005)
    assert lo <= 0.5 <= hi
    n = TWO.n
    rec = records._doctor(two_eta, _two(True, True))
    rec = tv._flips(tv._flips(rec, 0.2, [12, 12, 12], n), 0.5, [37, 38, 38], n)
    v = _judge(rec, "reliance_rises")
    assert v.verdict == HOLDS, v
    assert "eta inside the exact 0.9995 interval at every eta > 0): yes" in v.regime, v.regime


def test_a_run_with_no_flipped_label_but_unequal_accuracies_is_not_read(tiny: Record) -> None:
    """``noisy_fit`` NaN says a run had no flipped label (F = 0), which the stored accuracies
    must confirm (train_acc = train_acc_true). A seed where they differ by 5/n is a
    contradiction, not F = 0: it is left out of the pooled rate (2 of 3 seeds read, 59 of 120
    flips, eta = 0.5 inside its interval). Kills F = 0 taken whenever ``noisy_fit`` is NaN
    (59 of 180: the premise failed)."""
    n = records.TINY.n
    rec = tv._flips(records._doctor(tiny, _planted()), 0.5, [30, 29, 0], n)
    a = rec.arrays
    sel = np.flatnonzero((a["phase1/source"] == 0) & np.isclose(a["phase1/eta"], 0.5))
    sel = sel[np.argsort(a["phase1/seed"][sel])]
    a["phase1/vashisht/train_acc_true"][sel[2], -1] = 1.0 - 5 / n
    counts, _ = V.flip_counts(rec, 0.5)
    np.testing.assert_array_equal(counts, [30, 29, np.nan])
    v = _judge(rec, "reliance_rises")
    assert v.verdict == HOLDS, v.regime
    assert "eta=0.5: 0.492" in v.regime and "over 2 of 3 seeds" in v.regime
