"""The several-comparison claims of Maennel (2020), Vashisht (2024) and Barak (2022) hand their
comparisons to ``outcome`` so that ``--seeds auto`` can judge them.

On the existing doctored and in-regime fake records of each paper's claim tests (one that makes
the claim hold, one that makes it fail):

(a) the Outcome carries its k comparisons, with one value per seed in run order (checked
    against the planted values where the record plants them), and re-judging them with
    ``stats.holm_outcomes(..., level, method=test)`` at the claim's own level, followed by an
    oracle of the claim's rule written out here (not the claim's ``rule``), gives the claim's own
    verdict; the claim's ``rule`` agrees with that oracle on every combination of outcomes
    (3^k of them, k up to 4, so that "some η" and "both at one η" are told apart).
(b) ``sequential.judge_comparisons(outcome.comparisons, rule=outcome.rule)`` never says holds
    where the claim says fails or the reverse; on the planted records with a large effect it
    decides (so (b) is not vacuous there).

How they can fail: a claim that drops a comparison, hands pooled, sorted or filtered values
(wrong length, a NaN missing, the planted per-seed values changed), the wrong threshold or
direction, or no rule / a wrong rule (the input-noise control's inverted rule; "every one must
hold" in place of "at some η") gives a verdict in (a) other than its own, or a rule that
disagrees with the oracle.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import test_barak2022 as barak_tests
import test_maennel_records as maennel_tests
import test_vashisht_records as vashisht_tests
from barak_helpers import FakeRuns

from twolayer import sequential as sq
from twolayer.api import Runtime
from twolayer.claims import CLAIMS
from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, judge_outcome
from twolayer.stats import holm_outcomes

pytestmark = pytest.mark.usefixtures("single_thread")

# the existing claim tests' fixtures and doctored records, reused
plugin, tiny_records, _edit = barak_tests.plugin, barak_tests.tiny_records, barak_tests._edit
small_runs, maennel_doctor = maennel_tests.small_runs, maennel_tests._doctor
DOCTORED, HOLDING = maennel_tests.DOCTORED, maennel_tests.HOLDING
tiny, vashisht_doctor, _plant, _runs = (vashisht_tests.tiny, vashisht_tests._doctor,
                                        vashisht_tests._plant, vashisht_tests._runs)
BASE_C, BASE_S = vashisht_tests.BASE_C, vashisht_tests.BASE_S
OUTCOMES = (HOLDS, FAILS, INCONCLUSIVE)


# -- oracles of the claims' rules (written out, not read from the claims) ----------------------


def all_hold(outs) -> str:
    """Holds if every comparison holds, fails if one fails."""
    if any(o == FAILS for o in outs):
        return FAILS
    return HOLDS if all(o == HOLDS for o in outs) else INCONCLUSIVE


def some_eta(outs) -> str:
    """Pairs (S-rand, conflict) per η: η holds if both hold, fails if one fails; the claim
    holds if some η holds, fails if every η fails."""
    per = []
    for s, c in zip(outs[0::2], outs[1::2]):
        per.append(FAILS if FAILS in (s, c) else HOLDS if (s, c) == (HOLDS, HOLDS)
                   else INCONCLUSIVE)
    if HOLDS in per:
        return HOLDS
    return FAILS if per and all(p == FAILS for p in per) else INCONCLUSIVE


def not_a_rise(outs) -> str:
    """The input-noise control: holds if its rise fails (one of the two fails), fails if both
    hold."""
    s, c = outs
    if FAILS in (s, c):
        return HOLDS
    return FAILS if (s, c) == (HOLDS, HOLDS) else INCONCLUSIVE


def a_counterexample(outs) -> str:
    """A claim about every run with a run past its bound: fails whatever the comparisons."""
    return FAILS


def opposite(a: str, b: str) -> bool:
    return {a, b} == {HOLDS, FAILS}


def check_outcome(o, oracle, level: float, k: int, expect: str, method: str = "t"
                  ) -> list[str]:
    """(a) and (b) on one Outcome; returns the re-judged per-comparison outcomes. ``method``:
    the test the claim names for its comparisons ("t" or "sign")."""
    assert o.verdict == expect, (o.verdict, o.detail)
    comps = o.comparisons
    assert comps is not None and len(comps) == k, comps
    tests = {c.test for c in comps}
    assert tests == {method}, tests
    n = len(comps[0].values)
    assert all(len(c.values) == n for c in comps)  # one value per run, in every comparison
    outs = holm_outcomes([(c.judged_values(), c.threshold, c.direction) for c in comps],
                         level=level, method=method)
    assert oracle(outs) == o.verdict, (outs, o.verdict)  # (a) an independent re-computation
    rule = o.rule if o.rule is not None else all_hold
    for combo in itertools.chain.from_iterable(
            itertools.product(OUTCOMES, repeat=j) for j in sorted({k, 2, 4})):
        if oracle is not_a_rise and len(combo) != 2:
            continue
        assert rule(list(combo)) == oracle(list(combo)), combo
    seq, parts = sq.judge_comparisons(comps, rule=o.rule)  # (b)
    assert len(parts) == k
    assert not opposite(seq, o.verdict), (seq, o.verdict, parts)
    return outs


# -- Maennel (2020): the Holm transfer claims ---------------------------------------------------

MAENNEL_HOLM = {"maennel2020.b3.transfer_learned_bias": 3,
                "maennel2020.fig5.unscaled_fastest": 4}
MAENNEL_LEVEL = 1.0 - (1.0 - 0.95) / 2  # one-sided level of the claims' 95% intervals


@pytest.mark.parametrize("cid", sorted(MAENNEL_HOLM))
@pytest.mark.parametrize("which, expect", [("holding", HOLDS), ("doctored", FAILS)])
def test_maennel_holm_claims_carry_their_paired_differences(small_runs, tmp_path, cid, which,
                                                            expect):
    from twolayer.experiments import maennel2020 as mx

    runs, _ = small_runs
    edits, part = (HOLDING if which == "holding" else DOCTORED)[cid]
    doctored = maennel_doctor(runs, tmp_path, edits, part)
    _, o = judge_outcome(CLAIMS[cid], doctored)
    assert o.rule is None  # "holds if all hold, fails if one fails"
    check_outcome(o, all_hold, MAENNEL_LEVEL, MAENNEL_HOLM[cid], expect)
    # the values are the paired loss-AUC differences per seed, in run order (an oracle from
    # the stored loss curves, not from the claim)
    p = mx.plan(True)
    recs = doctored.get("maennel2020.transfer")
    seeds = runs.get("maennel2020.e1_random").seeds
    for c in o.comparisons:
        assert len(c.values) == seeds and c.threshold == 0.0 and c.direction == ">="
    if cid.endswith("unscaled_fastest"):
        rec = recs["teacher"]
        sel = rec.times <= p.down.auc_epochs * int(rec.meta["steps_per_epoch"])
        assert int(rec.meta["runs_per_variant"]) == seeds
        loss = rec.arrays["errors/loss"].reshape(len(rec.meta["variants"]), seeds, -1)
        auc = loss[:, :, sel].mean(-1)
        u = mx.VARIANTS.index("unscaled")
        for c, ref in zip(o.comparisons, ("scratch", "rescaled_b0", "rescaled", "covariance")):
            want = auc[mx.VARIANTS.index(ref)] - auc[u]
            np.testing.assert_allclose(c.values, want, rtol=1e-9, atol=1e-12)


# -- Vashisht (2024): every claim of a data kind --------------------------------------------

VASHISHT = {  # claim: (oracle, k on the tiny plan: etas (0, 0.5), failing record)
    "clean_simple": (all_hold, 3, {("s_rand_acc", "keep", 0.0): [0.90, 0.92, 0.91]}),
    "reliance_rises": (some_eta, 2, "no rise"),
    "no_accuracy_cost": (all_hold, 1, "acc cost"),
    "survives_controls": (some_eta, 2, "rescale"),
    "label_noise_specific": (not_a_rise, 2, "input rises"),
}


def _vashisht_values(kind):
    if isinstance(kind, dict):
        return {**_plant(), **kind}
    return {"no rise": _plant(rise=False), "acc cost": _plant(acc_cost=0.2),
            "rescale": _plant(rescale_rises=False), "input rises": _plant(input_rises=True)}[kind]


@pytest.mark.parametrize("name", sorted(VASHISHT))
@pytest.mark.parametrize("which, expect", [("planted", HOLDS), ("doctored", FAILS)])
def test_vashisht_claims_carry_their_comparisons_and_rule(tiny, name, which, expect):
    oracle, k, broken = VASHISHT[name]
    values = _plant() if which == "planted" else _vashisht_values(broken)
    rec = vashisht_doctor(tiny, values)
    v, o = judge_outcome(CLAIMS[f"vashisht2024.linxor.{name}"], _runs(rec))
    assert v.verdict == expect
    outs = check_outcome(o, oracle, V.LEVEL, k, expect)
    if name in ("reliance_rises", "survives_controls", "label_noise_specific"):
        arm = {"reliance_rises": "keep", "survives_controls": "rescale",
               "label_noise_specific": "input-noise"}[name]
        eta = 0.0 if arm == "input-noise" else 0.5
        s_arm = values[("s_rand_acc", arm, eta)]
        c_arm = values[("conflict_follow", arm, eta)]
        # S-rand is compared on the test points the probe's fixed permutation moved (session
        # 42): each seed's difference is known within an interval, as K (a run's correct count
        # on the kept points) lies in [max(0, kept - n + N), min(kept, N)], N = n * its clean
        # accuracy; kept is counted here from the probe's own permutation, the bounds by hand
        from twolayer.probes.vashisht import permutation

        n = int(rec.meta["study"]["plan"]["n_test"])
        kept = int((permutation(n, "vashisht-perm-S").numpy() == np.arange(n)).sum())
        clean = V.final(rec, "clean_acc")
        n_arm = np.rint(n * clean[V.runs_of(rec, arm, eta)])
        n_base = np.rint(n * clean[V.baseline_runs(rec)])
        def ends(acc, big_n):  # (low, high) of a run's accuracy on the moved points
            acc = np.asarray(acc, dtype=float)
            return ((n * acc - np.minimum(kept, big_n)) / (n - kept),
                    (n * acc - np.maximum(0, kept - n + big_n)) / (n - kept))

        (lo_a, hi_a), (lo_b, hi_b) = ends(s_arm, n_arm), ends(BASE_S, n_base)
        # paired by seed, in run order; label_noise_specific holds where the rise fails, so it
        # hands over the high ends (arm's high end minus the baseline's low end)
        want_s = hi_a - lo_b if name == "label_noise_specific" else lo_a - hi_b
        want_c = np.subtract(c_arm, BASE_C)
        s_cmp, c_cmp = o.comparisons
        np.testing.assert_allclose(s_cmp.values, want_s, atol=1e-6)
        np.testing.assert_allclose(c_cmp.values, want_c, atol=1e-6)
        assert (s_cmp.threshold, s_cmp.direction) == (V.MIN_RISE, ">=")
        assert (c_cmp.threshold, c_cmp.direction) == (V.MIN_RISE, ">=")
    if name == "no_accuracy_cost":
        (acc,) = o.comparisons
        want = np.subtract(values[("clean_acc", "keep", 0.5)], values[("clean_acc", "keep", 0.0)])
        np.testing.assert_allclose(acc.values, want, atol=1e-6)
        assert (acc.threshold, acc.direction) == (-V.ACC_TOLERANCE, ">=")
    if name == "clean_simple":
        lo, hi, c = o.comparisons
        assert [(x.threshold, x.direction) for x in (lo, hi, c)] == [
            (V.NEAR_HALF[0], ">="), (V.NEAR_HALF[1], "<="), (V.C_RAND_MIN, ">=")]
        # the "S-rand >= 0.45" side reads the accuracy over the test points the probe's fixed
        # permutation moved, bounded below: (acc - phi)/(1 - phi), phi = the share it keeps in
        # place (counted here from the probe's own permutation, session 41)
        from twolayer.probes.vashisht import permutation

        n = int(rec.meta["study"]["plan"]["n_test"])
        phi = float((permutation(n, "vashisht-perm-S").numpy() == np.arange(n)).mean())
        acc = np.asarray(values[("s_rand_acc", "keep", 0.0)], dtype=float)
        np.testing.assert_allclose(lo.values, (acc - phi) / (1.0 - phi), atol=1e-6)
    assert len(outs) == k


@pytest.fixture(scope="module")
def six_seeds():
    """The existing tiny study's plan with 6 seeds: at 3 seeds a confidence sequence at α/2 is
    still the whole line, at 6 it can decide."""
    from twolayer.experiments import vashisht2024 as E

    plan = dataclasses.replace(vashisht_tests.TINY, seeds=6)
    return E.run_study("linxor", plan, plan.sgd, vashisht_tests.CPU)


def _plant6(**kw):
    """``_plant``'s record, its per-seed values extended from 3 to 6 seeds (the same values
    twice, in run order)."""
    return {key: list(v) * 2 for key, v in _plant(**kw).items()}


@pytest.mark.parametrize("name, kw, expect", [
    ("reliance_rises", {}, HOLDS), ("reliance_rises", {"rise": False}, FAILS),
    ("survives_controls", {}, HOLDS), ("survives_controls", {"rescale_rises": False}, FAILS),
    ("label_noise_specific", {}, HOLDS), ("label_noise_specific", {"input_rises": True}, FAILS),
])
def test_vashisht_sequences_decide_on_the_claims_side(six_seeds, name, kw, expect):
    """(b) is not vacuous: the planted rises (+0.3, +0.5 on every seed) and their absence are
    decided by the confidence sequences at 6 seeds, on the claim's own side, through the
    claim's rule (the input-noise control's inverted one included)."""
    rec = vashisht_doctor(six_seeds, _plant6(**kw))
    _, o = judge_outcome(CLAIMS[f"vashisht2024.linxor.{name}"], _runs(rec))
    assert len(o.comparisons[0].values) == 6
    check_outcome(o, VASHISHT[name][0], V.LEVEL, 2, expect)
    assert sq.judge_comparisons(o.comparisons, rule=o.rule)[0] == expect


@pytest.mark.parametrize("name", ["no_accuracy_cost", "survives_controls",
                                  "label_noise_specific"])
def test_vashisht_unmet_premise_hands_no_comparisons(tiny, name):
    """Outside the premise the verdict is not decided by comparisons: none are handed over."""
    rec = vashisht_doctor(tiny, _plant(rise=False))
    _, o = judge_outcome(CLAIMS[f"vashisht2024.linxor.{name}"], _runs(rec))
    assert o.verdict == INCONCLUSIVE and not o.in_regime
    assert o.comparisons is None and sq.comparisons_of(o) is None


def test_vashisht_rules_tell_some_eta_from_every_eta():
    """Two η: the rise holds at one and fails at the other → the claim holds (some η), which
    "every one must hold" would call fails."""
    assert V.rise_verdict([HOLDS, HOLDS, FAILS, HOLDS]) == HOLDS
    assert all_hold([HOLDS, HOLDS, FAILS, HOLDS]) == FAILS
    assert V.rise_verdict([FAILS, HOLDS, HOLDS, FAILS]) == FAILS
    assert V.specific_verdict([HOLDS, HOLDS]) == FAILS
    assert V.specific_verdict([HOLDS, FAILS]) == HOLDS


# -- Barak (2022): thm4.one_step and c1.gap_positive_and_grows ---------------------------------


@pytest.fixture(scope="module")
def thm4_results(plugin):
    # 6 seeds: a setting where every seed recovers exactly 1.0 has no spread, and the sign test
    # needs 3 * 2^-R < 0.05 under Holm over the 3 comparisons
    return plugin["experiments"].thm4(True, 6, Runtime(device="cpu"))


def test_barak_thm4_carries_one_comparison_per_setting(plugin, thm4_results):
    import copy

    c = plugin["claims"]
    res = thm4_results
    inside = [k for k, r in res.items() if r.config["inside"]]
    odd = [k for k, r in res.items() if not r.config["assumptions"]["k_even"]]
    o = c.thm4_one_step(FakeRuns({"barak2022.thm4": res}))
    check_outcome(o, all_hold, 0.95, len(inside) + len(odd), HOLDS)
    for cmp, key in zip(o.comparisons, inside + odd):
        np.testing.assert_array_equal(cmp.values, res[key]["recovered"][:, 0])
        assert (cmp.threshold, cmp.direction) == ((0.95, ">=") if key in inside else (0.5, "<="))
    broken = dict(res)
    r = copy.deepcopy(res["n=13,k=4"])
    low = [0.5, 0.6, 0.55, 0.52, 0.58, 0.5]
    r.arrays["recovered"] = np.array(low)[:, None]
    broken["n=13,k=4"] = r
    o = c.thm4_one_step(FakeRuns({"barak2022.thm4": broken}))  # every run below 0.95
    check_outcome(o, a_counterexample, 0.95, len(inside) + len(odd), FAILS)
    assert list(o.comparisons[inside.index("n=13,k=4")].values) == low


def test_barak_gap_carries_per_run_values_with_nan_for_unsolved_seeds(
        plugin, tiny_records):
    c = plugin["claims"]
    rec = barak_tests.widen(tiny_records["solved"], 2)  # exact sign tests: 4 seeds decide nothing
    good, shrink, grow = barak_tests.gap_records(rec)
    R = rec.seeds
    o = c.gap_grows(FakeRuns({"barak2022.gap": good}))
    check_outcome(o, all_hold, 0.95, 2, HOLDS, method="sign")
    c0, growth = o.comparisons
    np.testing.assert_allclose(c0.values, np.log(2.0 * (1 + 0.1 * np.arange(R))), rtol=1e-6)
    T = rec.times
    at = max(i for i, t in enumerate(T) if t <= 0.9 * T[-1])  # the probe at 0.9 t_c (t_c = T[-1])
    want = grow[:, at] - grow[:, 0]
    np.testing.assert_allclose(growth.values, want, rtol=1e-6)
    o = c.gap_grows(FakeRuns({"barak2022.gap": shrink}))
    check_outcome(o, all_hold, 0.95, 2, FAILS, method="sign")
    # seed 1 never solves: its growth is NaN at its place in run order, not dropped
    tc = good["static/t_c"].copy()
    tc[1] = -1
    o = c.gap_grows(FakeRuns({"barak2022.gap": _edit(good, **{"static/t_c": tc})}))
    assert len(o.comparisons[1].values) == R and math.isnan(o.comparisons[1].values[1])
    assert o.seeds == R - 1
    finite = [i for i in range(R) if i != 1]
    np.testing.assert_allclose(np.asarray(o.comparisons[1].values)[finite],
                               want[finite], rtol=1e-6)
    check_outcome(o, all_hold, 0.95, 2, o.verdict, method="sign")
