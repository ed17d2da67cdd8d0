"""A ``rule`` that gives *fails* with every comparison inconclusive (session 51): the mirror of
session 50's guard for a holds. Such a fails rests on something else the rule reads: a
counterexample run (a fact at every look, as liu2023's statements about every run and
examples/lazy_training's) or a point estimate (``rule=lambda outs: verdict``), which nothing
tells apart. It stands only where the outcome names its evidence (``fails_from``).

Oracle: scipy's one-sided t-test (the comparison is inconclusive by it). The examples'
counterexamples, named, still fail them: tests/test_lazy_training.py (doctored records),
tests/test_barak_claims*.py, liu2023's doctored records (tests/test_claims_liu.py)."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps
from stats_helpers import t_interval

from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.stats import combine

MIX = np.array([0.85, 0.95, 0.80, 0.99, 0.92, 0.88, 0.97, 0.91])  # mean 0.909, sd 0.065
BAD = np.array([0.55, 0.60, 0.58, 0.52, 0.61, 0.57, 0.59, 0.60])


def judged(o):
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def _inconclusive_both_ways(values, bound):
    assert sps.ttest_1samp(values, bound, alternative="greater").pvalue > 0.05
    assert sps.ttest_1samp(values, bound, alternative="less").pvalue > 0.05


def test_a_point_estimate_fails_through_a_rule_is_inconclusive():
    """The check's point estimate (mean 0.909 against "<= 0.9": fails) returned by the rule,
    the comparison inconclusive both ways: this said *fails*, exit 1, until session 51."""
    _inconclusive_both_ways(MIX, 0.9)
    said = FAILS if MIX.mean() > 0.9 else HOLDS
    assert said == FAILS
    o = outcome(said, float(MIX.mean()), "<= 0.9", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, "<=")], rule=lambda outs: said)
    v = judged(o)
    assert v.verdict == INCONCLUSIVE, v.detail
    assert "its rule gives fails with every one of its 1 comparison(s)" in v.detail
    assert "fails_from" in v.detail


def test_a_counterexample_named_in_fails_from_stands():
    _inconclusive_both_ways(MIX, 0.9)

    def rule(outs):  # one run past the bound: a counterexample to a statement about every run
        return FAILS if (MIX > 0.98).any() else combine(*outs)

    o = outcome(FAILS, float(MIX.mean()), "every run <= 0.98", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, "<=")], rule=rule, fails_from="run 3 past 0.98")
    assert judged(o).verdict == FAILS


def test_a_fails_a_decided_comparison_gives_needs_no_name():
    """A rule that reads its comparisons: fails from a decided one stands, as before."""
    assert sps.ttest_1samp(BAD, 0.9, alternative="less").pvalue < 0.05
    o = outcome(FAILS, float(BAD.mean()), ">= 0.9", t_interval(BAD), 8, "x",
                comparisons=[(BAD, 0.9, ">=")], rule=lambda outs: combine(*outs))
    assert judged(o).verdict == FAILS
    # a rule that would fail alone, here with a failing comparison beside it: the comparison
    # supports the fails (liu2023's counterexample rule where the mean fails too)
    o = outcome(FAILS, float(BAD.mean()), ">= 0.9", t_interval(BAD), 8, "x",
                comparisons=[(BAD, 0.9, ">="), (MIX, 0.9, ">=")], rule=lambda outs: FAILS)
    assert judged(o).verdict == FAILS


def test_seeds_auto_does_not_take_a_rules_fails_from_no_decided_comparison_unnamed():
    from twolayer.sequential import judge_comparisons
    from twolayer.stats import comparisons

    _inconclusive_both_ways(MIX, 0.9)
    comps = comparisons([(MIX, 0.9, "<=")], "t")
    verdict, parts = judge_comparisons(comps, 0.05, lambda outs: FAILS)
    assert parts[0][0] == INCONCLUSIVE and verdict == INCONCLUSIVE
    named, _ = judge_comparisons(comps, 0.05, lambda outs: FAILS, fails_from="run 3")
    assert named == FAILS
    decided, _ = judge_comparisons(comparisons([(BAD, 0.9, ">=")], "t"), 0.05,
                                   lambda outs: combine(*outs))
    assert decided == FAILS
    alone_but_failing, _ = judge_comparisons(comparisons([(BAD, 0.9, ">=")], "t"), 0.05,
                                             lambda outs: FAILS)
    assert alone_but_failing == FAILS


def test_a_rule_whose_fails_comes_from_a_holding_comparison_stands():
    """A rule may turn a decided comparison into the claim's fails (vashisht2024's
    ``specific_verdict``: a rise that holds fails the claim): that fails comes from a decided
    comparison, not from the rule alone, whatever the default rule makes of it."""
    GOOD = np.array([0.95, 0.96, 0.97, 0.94, 0.95, 0.96, 0.98, 0.95])
    assert sps.ttest_1samp(GOOD, 0.9, alternative="greater").pvalue < 0.05

    def inverted(outs):
        return {HOLDS: FAILS, FAILS: HOLDS}.get(outs[0], INCONCLUSIVE)

    o = outcome(FAILS, float(GOOD.mean()), "not >= 0.9", t_interval(GOOD), 8, "x",
                comparisons=[(GOOD, 0.9, ">=")], rule=inverted)
    assert judged(o).verdict == FAILS


def test_seeds_auto_hands_the_named_evidence_to_the_sequences():
    """Under --seeds auto a claim is judged at each look by ``sequential._update``: a fails its
    rule gives alone, with the counterexample named, is decided there too (it was judged with
    the evidence dropped, which the guard then refused)."""
    from twolayer import sequential as sq

    _inconclusive_both_ways(MIX, 0.9)
    claim = Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: None)
    o = outcome(FAILS, float(MIX.mean()), "every run <= 0.98", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, "<=")], rule=lambda outs: FAILS,
                fails_from="run 3 past 0.98")
    st = sq._State(claim=claim, first=claim.verdict(o), controlled=True)
    sq._update(st, o, sq.ALPHA, 1)
    assert st.verdict == FAILS and st.decided, st.note
