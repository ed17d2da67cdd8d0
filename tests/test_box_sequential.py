"""``--seeds auto`` over a box of per-seed intervals (docs/verdict_audit.md section 26, its last
open item): a comparison whose per-seed values the record knows only within [lo_i, hi_i]
(``stats.Comparison.other``) is judged by the confidence sequence over the whole box
Π[lo_i, hi_i], not at the end handed over.

Lai's sequence C_n(x) = x̄ ± f·sqrt(Σ(x_i − x̄)²/n) widens with the spread, which the other
ends can raise: at a vertex of the box its lower end can fall below the threshold while at the
low ends it is above, so the base (which judged the low ends only) said *holds* there. The
oracle here is brute force: the real :func:`twolayer.sequential.t_cs` of every vertex of the box
(and the sign sequence at the box's vectors with no spread, as ``cs_outcome`` judges those),
decided by the rule written out; holds only where every one holds, fails only where every one
fails.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import test_mvb_sequential as mvb

from twolayer import sequential as sq
from twolayer.claims import CLAIMS
from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, judge_outcome
from twolayer.stats import Comparison, comparison_outcomes, one_sided_p

pytestmark = pytest.mark.usefixtures("single_thread")
six_seeds, vashisht_doctor, _plant6, _runs = (mvb.six_seeds, mvb.vashisht_doctor, mvb._plant6,
                                              mvb._runs)
ALPHA = 0.05


def _decide(lo: float, hi: float, thr: float, direction: str) -> str:
    """An interval against a threshold, written out: holds wholly on the claimed side."""
    if direction == ">=":
        return HOLDS if lo >= thr else FAILS if hi < thr else INCONCLUSIVE
    return HOLDS if hi <= thr else FAILS if lo > thr else INCONCLUSIVE


def _at(x: np.ndarray, thr: float, direction: str, alpha: float) -> str:
    """The sequence's verdict at one vector of per-seed values: the real t_cs, or where every
    value is equal the sign sequence (as cs_outcome does)."""
    if np.ptp(x) == 0:
        return sq.sign_decide(x, thr, direction, alpha)
    _, (a, b) = sq.t_cs(x, alpha, sq.mixture_c(alpha=alpha))
    return _decide(a, b, thr, direction)


def _oracle(lo: np.ndarray, hi: np.ndarray, thr: float, direction: str, alpha: float) -> str:
    """Every vertex of the box (itertools), and the box's vectors c·1 at both ends of
    [max lo, min hi] where that is not empty: holds if all hold, fails if all fail."""
    pts = [np.array(v) for v in itertools.product(*zip(lo, hi))]
    if lo.max() <= hi.min():
        pts += [np.full(lo.size, lo.max()), np.full(lo.size, hi.min())]
    outs = {_at(x, thr, direction, alpha) for x in pts}
    return outs.pop() if len(outs) == 1 else INCONCLUSIVE


# a box whose low ends hold but one of whose vertices does not: 8 seeds near 1.0 (spread 0.01),
# threshold 0.8; seeds 0-3 may be up to 1 higher
LO = 1.0 + np.array([0.01, -0.01, 0.005, -0.005, 0.0, 0.008, -0.008, 0.002])
HI = LO + np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
THR = 0.8


def test_a_vertex_below_the_threshold_makes_the_low_ends_hold_inconclusive() -> None:
    """At the low ends the sequence holds (what the base's --seeds auto said); at the vertex
    with seeds 0-3 at their high ends the mean rises by 0.5 but the half-width by about 0.78
    (f = 1.56 at 8 seeds, S = 0.5): its lower end is about 0.72, below 0.8. Inconclusive, as
    the brute-force oracle says."""
    c = sq.mixture_c(alpha=ALPHA)
    assert sq.cs_outcome(LO, THR, ">=", ALPHA, c)[0] == HOLDS  # the base's verdict
    _, (low, _) = sq.t_cs(np.where(np.arange(8) < 4, HI, LO), ALPHA, c)
    assert low < THR
    assert _oracle(LO, HI, THR, ">=", ALPHA) == INCONCLUSIVE
    got, mean, hull = sq.box_cs_outcome(LO, HI, THR, ">=", ALPHA, c)
    assert got == INCONCLUSIVE
    assert mean == pytest.approx(LO.mean()) and hull[0] <= low
    cmp = Comparison(tuple(LO), THR, ">=", other=tuple(HI))
    assert sq.judge_comparisons([cmp], ALPHA)[0] == INCONCLUSIVE
    # the mirror image: "<=" on the negated box
    assert sq.box_cs_outcome(-LO, -HI, -THR, "<=", ALPHA, c)[0] == INCONCLUSIVE
    # a narrower box (0.05 up) stays decided, as at the low ends
    assert sq.box_cs_outcome(LO, LO + 0.05, THR, ">=", ALPHA, c)[0] == HOLDS
    assert _oracle(LO, LO + 0.05, THR, ">=", ALPHA) == HOLDS


def test_box_verdict_is_the_brute_force_verdict_over_every_vertex() -> None:
    """300 random boxes (4-8 seeds, some with seeds known exactly, some holding vectors with no
    spread), both sides, α 0.05 and 0.025: box_cs_outcome is the oracle's verdict, and every
    outcome occurs."""
    rng = np.random.default_rng(2612)
    seen = {HOLDS: 0, FAILS: 0, INCONCLUSIVE: 0}
    for i in range(300):
        n = int(rng.integers(4, 9))
        alpha = (0.05, 0.025)[i % 2]
        lo = rng.normal(0.0, float(rng.choice([0.02, 0.2, 1.0])), n)
        width = rng.exponential(float(rng.choice([0.01, 0.1, 1.0])), n) * (rng.random(n) < 0.7)
        if i % 7 == 0:  # a box with c·1 inside: every seed's interval covers one value
            lo = rng.uniform(-0.5, 0.0, n) + float(rng.normal(0.0, 2.0))
            width = np.full(n, 0.5) + rng.uniform(0.0, 0.5, n)
        hi = lo + width
        thr = float(rng.normal(lo.mean(), 0.5))
        d = str(rng.choice([">=", "<="]))
        want = _oracle(lo, hi, thr, d, alpha)
        got = sq.box_cs_outcome(lo, hi, thr, d, alpha, sq.mixture_c(alpha=alpha))[0]
        assert got == want, (lo, hi, thr, d, alpha)
        # either end may be handed over: the box is the same
        assert sq.box_cs_outcome(hi, lo, thr, d, alpha, sq.mixture_c(alpha=alpha))[0] == want
        seen[want] += 1
    assert min(seen.values()) >= 10, seen


def test_past_the_vertex_limit_the_bound_never_decides_more() -> None:
    """Above the vertex limit the hull is x̄(lo) − f·S⁺ .. x̄(hi) + f·S⁺: forced at small n
    (vertices_max = 0), it decides nothing the exact enumeration leaves open (never the other
    verdict); at 18 seeds (the default takes the bound) a holds is held at 3000 random
    vertices by the real t_cs."""
    rng = np.random.default_rng(7)
    for _ in range(150):
        n = int(rng.integers(4, 9))
        lo = rng.normal(0.0, 0.3, n)
        hi = lo + rng.exponential(0.1, n)
        thr = float(rng.normal(lo.mean(), 0.4))
        for d in (">=", "<="):
            exact = sq.box_cs_outcome(lo, hi, thr, d)[0]
            bound = sq.box_cs_outcome(lo, hi, thr, d, vertices_max=0)[0]
            assert bound in (exact, INCONCLUSIVE), (lo, hi, thr, d)
    lo = 1.0 + rng.normal(0.0, 0.05, 18)
    hi = lo + rng.uniform(0.0, 0.1, 18)
    assert sq.box_cs_outcome(lo, hi, 0.8, ">=")[0] == HOLDS
    for _ in range(3000):
        x = np.where(rng.random(18) < 0.5, lo, hi)
        assert _at(x, 0.8, ">=", ALPHA) == HOLDS


def test_a_degenerate_box_is_the_old_verdict() -> None:
    """lo = hi: the same verdict, mean and interval as cs_outcome of the values (values with no
    spread by the sign sequence included), through judge_comparisons too."""
    rng = np.random.default_rng(3)
    for i in range(100):
        n = int(rng.integers(2, 12))
        v = rng.normal(0.0, 1.0, n) if i % 5 else np.full(n, float(rng.normal()))
        thr, d = float(rng.normal(0.0, 0.7)), str(rng.choice([">=", "<="]))
        old = sq.cs_outcome(v, thr, d, ALPHA, sq.mixture_c(alpha=ALPHA))
        new = sq.box_cs_outcome(v, v.copy(), thr, d, ALPHA, sq.mixture_c(alpha=ALPHA))
        assert new[0] == old[0] and new[1] == old[1] and new[2] == old[2]
        plain = Comparison(tuple(v), thr, d)
        boxed = Comparison(tuple(v), thr, d, other=tuple(v))
        assert sq.judge_comparisons([boxed])[0] == sq.judge_comparisons([plain])[0]
        assert comparison_outcomes([boxed]) == comparison_outcomes([plain])


def test_a_comparison_without_intervals_is_judged_as_before() -> None:
    """other defaults to None: judged_box is None, the sequence is cs_outcome of the values,
    the re-judging one_sided_p's Holm, and seeds_needed is estimated as before."""
    v = (0.3, 0.5, 0.2, 0.45, 0.38, 0.41)
    cmp = Comparison(v, 0.1, ">=")
    assert cmp.other is None and cmp.judged_box() is None
    verdict, parts = sq.judge_comparisons([cmp])
    assert parts[0] == sq.cs_outcome(v, 0.1, ">=", ALPHA, sq.mixture_c(alpha=ALPHA))
    assert verdict == parts[0][0]
    p = one_sided_p(v, 0.1, ">=")
    assert comparison_outcomes([cmp]) == [HOLDS if p[0] < 0.05 else
                                          FAILS if p[1] < 0.05 else INCONCLUSIVE]
    near = Comparison((0.12, 0.05, 0.2, 0.1), 0.1, ">=")
    assert sq.comparisons_seeds_needed([near]) == sq.cs_seeds_needed(
        near.values, 0.1, ALPHA, sq.mixture_c(alpha=ALPHA))


def test_intervals_are_checked_and_the_box_is_never_less_strict_when_rejudged() -> None:
    """other: one end per seed, t-tests only; an undecided box estimates its seed count over
    the box (docs/verdict_audit.md section 28: 16 here, where its low ends alone say 8); the
    fixed-seed re-judging (comparison_outcomes, what Claim.verdict's rejudged uses) takes
    box_p, whose p is never below the p at either end: at least as strict as judging one."""
    with pytest.raises(ValueError, match="one interval end per seed"):
        Comparison((1.0, 2.0), 0.0, ">=", other=(1.0,))
    with pytest.raises(ValueError, match="t-test over the box"):
        Comparison((1.0, 2.0), 0.0, ">=", "sign", other=(1.0, 2.5))
    boxed = Comparison(tuple(LO), THR, ">=", other=tuple(HI))
    c = sq.mixture_c(alpha=ALPHA)
    assert sq.comparisons_seeds_needed([boxed]) == 16 > sq.cs_seeds_needed(LO, THR, ALPHA, c)
    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(3, 7))
        lo = rng.normal(0.05, 0.03, n)
        hi = lo + rng.exponential(0.02, n)
        d = str(rng.choice([">=", "<="]))
        boxed = Comparison(tuple(lo), 0.02, d, other=tuple(hi))
        (got,) = comparison_outcomes([boxed])
        for end in (lo, hi):
            p = one_sided_p(end, 0.02, d)
            at_end = HOLDS if p[0] < 0.05 else FAILS if p[1] < 0.05 else INCONCLUSIVE
            assert got in (at_end, INCONCLUSIVE), (lo, hi, d)
    # a lost end makes the seed lost: no look can decide it
    lost = Comparison((1.0, 2.0, 3.0), 0.0, ">=", other=(1.0, math.nan, 3.0))
    assert sq._lost(lost) == 1


# reliance_rises on a doctored 6-seed record (k = 2 at eta = 0.5, each sequence at α/2): every
# run's clean accuracy 79/80, so each seed's Δ S-rand over the moved points lies in an interval
# 2/79 wide; its low ends 0.025 ± 0.001 (the arm's S-rand set from them)
WOBBLE = np.array([0.001, -0.0008, 0.0003, -0.0005, 0.0009, -0.0002])
WIDE = np.array([0.02, -0.015, 0.005, -0.01, 0.015, -0.005])  # a range of 0.035 > 2/79


def _box_record(six_seeds, low_ends):
    values = _plant6()
    base_s = np.asarray(values[("s_rand_acc", "keep", 0.0)], dtype=float)
    n = int(six_seeds.meta["study"]["plan"]["n_test"])
    kept = V.kept_in_place(n)[0]
    assert kept == 1
    # clean 79/80: each run's kept count K is 0 or 1, so the low end is
    # (n·a − 1)/(n − 1) − n·b/(n − 1): a − b = ((n − 1)·low + 1)/n
    values[("s_rand_acc", "keep", 0.5)] = list(base_s + ((n - 1) * low_ends + 1) / n)
    clean = [(n - 1) / n] * 6
    values[("clean_acc", "keep", 0.0)] = clean
    values[("clean_acc", "keep", 0.5)] = clean
    return vashisht_doctor(six_seeds, values)


def test_vashisht_rise_under_seeds_auto_is_judged_over_the_box(six_seeds) -> None:
    """The claim's own fixed-seed verdict holds (its Holm t-tests over the box); the sequence
    at the low ends, which the base handed over alone, holds as well, so the base's --seeds
    auto said holds; over the box (a vertex with three seeds at their high ends: mean 0.038,
    half-width 0.033 at α/2) it is inconclusive, by the brute-force oracle too, and auto_check
    reports it inconclusive. Both ends are handed over, paired by seed."""
    rec = _box_record(six_seeds, 0.025 + WOBBLE)
    cid = "vashisht2024.linxor.reliance_rises"
    v, o = judge_outcome(CLAIMS[cid], _runs(rec))
    assert v.verdict == HOLDS and o.verdict == HOLDS, v.detail
    s_cmp, c_cmp = o.comparisons
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    np.testing.assert_allclose(s_cmp.values, lo, atol=1e-12)
    np.testing.assert_allclose(s_cmp.other, hi, atol=1e-12)
    np.testing.assert_allclose(lo, 0.025 + WOBBLE, atol=1e-5)
    np.testing.assert_allclose(hi - lo, 2 / 79, atol=1e-5)
    assert c_cmp.other is None
    a = ALPHA / 2
    c = sq.mixture_c(alpha=a)
    assert sq.cs_outcome(lo, V.MIN_RISE, ">=", a, c)[0] == HOLDS  # the base's low ends
    assert _oracle(lo, hi, V.MIN_RISE, ">=", a) == INCONCLUSIVE
    assert sq.judge_comparisons([s_cmp], a)[0] == INCONCLUSIVE
    verdict, parts = sq.judge_comparisons(o.comparisons, rule=o.rule)
    assert parts[1][0] == HOLDS and parts[0][0] == INCONCLUSIVE
    assert verdict == INCONCLUSIVE
    (auto,) = sq.auto_check([CLAIMS[cid]], lambda seeds: _runs(rec), budget_s=1e6, max_looks=2)
    assert auto.verdict == INCONCLUSIVE and auto.sequential["controlled"], auto.detail
    assert "over each seed's interval" in auto.detail
    # low ends 0.06 ± 0.001: every C_n(x) lies above δ, but the box holds vectors with no
    # spread (c·1, c in [0.061, 0.084]), which cs_outcome judges by the sign sequence: 6 of 6
    # above decides nothing at α/2 (mixture 14 < 40), so the worst case is inconclusive
    rec = _box_record(six_seeds, 0.06 + WOBBLE)
    _, o = judge_outcome(CLAIMS[cid], _runs(rec))
    lo, hi = np.array(o.comparisons[0].values), np.array(o.comparisons[0].other)
    assert lo.max() <= hi.min()
    hull = sq.judge_comparisons(o.comparisons, rule=o.rule)[1][0][2]
    assert hull[0] > V.MIN_RISE
    assert sq.sign_decide(np.full(6, hi.min()), V.MIN_RISE, ">=", a) == INCONCLUSIVE
    assert sq.judge_comparisons(o.comparisons, rule=o.rule)[0] == INCONCLUSIVE
    assert _oracle(lo, hi, V.MIN_RISE, ">=", a) == INCONCLUSIVE
    # low ends 0.08 spread wider than the intervals (no vector with no spread in the box): the
    # box holds under the sequence, as the oracle says, and auto_check decides it at look 1
    rec = _box_record(six_seeds, 0.08 + WIDE)
    _, o = judge_outcome(CLAIMS[cid], _runs(rec))
    lo, hi = np.array(o.comparisons[0].values), np.array(o.comparisons[0].other)
    assert lo.max() > hi.min()
    assert _oracle(lo, hi, V.MIN_RISE, ">=", a) == HOLDS
    assert sq.judge_comparisons(o.comparisons, rule=o.rule)[0] == HOLDS
    (auto,) = sq.auto_check([CLAIMS[cid]], lambda seeds: _runs(rec), budget_s=1e6, max_looks=2)
    assert auto.verdict == HOLDS and auto.sequential["decided"], auto.detail


def test_label_noise_specific_hands_the_high_ends_and_the_low_ends(six_seeds) -> None:
    """Claim 5 holds where the rise fails: its S-rand comparison's values are the high ends
    (fails_side), its other the low ends, so both sides are judged over the same box."""
    rec = vashisht_doctor(six_seeds, _plant6())
    _, o = judge_outcome(CLAIMS["vashisht2024.linxor.label_noise_specific"], _runs(rec))
    s_cmp = o.comparisons[0]
    lo, hi = V.moved_delta(rec, "input-noise", 0.0)
    np.testing.assert_allclose(s_cmp.values, hi, atol=1e-12)
    np.testing.assert_allclose(s_cmp.other, lo, atol=1e-12)
