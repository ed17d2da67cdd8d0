"""Seeds needed for a comparison whose per-seed values are known only within intervals
(docs/verdict_audit.md section 28, item 1).

An inconclusive verdict gets an estimate of the seeds that would decide it at the measured
effect (``stats.seeds_needed``, from ``per_seed``; ``sequential.cs_seeds_needed`` under ``--seeds
auto``). vashisht2024's box comparisons (``Comparison.other``) got none: its checks hand over no
``per_seed``, and ``sequential.comparisons_seeds_needed`` returned None for a box. An estimate
from one end's values would understate what the box needs (the box's worst vertex spreads the
values more) and, where the bound lies between the means of the intervals' two ends, promise a
decision that no number of seeds gives. Now each box is estimated from its worst vertex's
standardised effect (``stats.box_seeds_needed``, ``sequential.box_cs_seeds_needed``), the claim
from its rule over the comparisons' sides (``stats.box_comparisons_seeds_needed``), and a box
that the intervals' widths keep open says so.

Oracles: the vertices enumerated with itertools, scipy's t quantiles, Lai's half-width written
out from the module docstring's formula; Holm/Bonferroni by hand; Monte Carlo draws at the
estimated seed count.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from twolayer import sequential as sq
from twolayer.claims.base import Claim, outcome
from twolayer.stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    Comparison,
    box_comparisons_seeds_needed,
    box_p,
    box_seeds_needed,
)

U = 1 / 79  # the tiny record's moved-point unit (n_test 80, one point kept)


def _worst(lo: np.ndarray, hi: np.ndarray, bound: float) -> tuple[int, float]:
    """(side, min over the vertices with spread of |mean − b|/s), by itertools."""
    side = 1 if lo.mean() > bound else -1 if hi.mean() < bound else 0
    best = math.inf
    for x in itertools.product(*zip(lo, hi)):
        x = np.array(x)
        if np.ptp(x) > 0:
            best = min(best, side * (x.mean() - bound) / x.std(ddof=1))
    return side, best


def _fixed_oracle(lo, hi, bound, alpha, flat=None, upto=16):
    """(side, R) by hand; ``flat``: the box holds a vector of equal values (default: where
    max lo <= min hi), judged by the sign test, 2^-R."""
    lo, hi = np.asarray(lo), np.asarray(hi)
    side, d = _worst(lo, hi, bound)
    if flat is None:
        flat = lo.max() <= hi.min()
    for r in range(len(lo), upto + 1):
        if stats.t.ppf(1 - alpha, r - 1) / math.sqrt(r) < d and (not flat or 0.5 ** r < alpha):
            return side, r
    return side, None


def _lai_half_factor(n: int, c: float, alpha: float) -> float:
    """sqrt((K−1)/(1 − K c/(n + c))), K = ((1/α) sqrt((n + c)/c))^(2/n) (module docstring)."""
    k = ((1 / alpha) * math.sqrt((n + c) / c)) ** (2 / n)
    den = 1 - k * c / (n + c)
    return math.inf if den <= 0 else math.sqrt((k - 1) / den)


def test_a_box_is_estimated_at_its_worst_vertex_not_at_an_end():
    rng = np.random.default_rng(28)
    seen_more = 0
    for _ in range(150):
        n = int(rng.integers(3, 8))
        lo = 0.02 + rng.normal(0, 0.01, n)
        hi = lo + rng.integers(0, 4, n) * 0.004
        alpha = float(rng.choice([0.05, 0.025, 0.005]))
        side, r = box_seeds_needed(lo, hi, 0.01, ">=", alpha)
        o_side, o_r = _fixed_oracle(lo, hi, 0.01, alpha)
        if o_side == 0:
            assert side in (INCONCLUSIVE, None)
            continue
        assert side == (HOLDS if o_side > 0 else FAILS)
        if o_r is not None:  # inside the exact range (<= 16 seeds): the same seed count
            assert r == o_r, (lo, hi, alpha)
            _, r_end = _fixed_oracle(lo if o_side > 0 else hi, lo if o_side > 0 else hi,
                                     0.01, alpha)
            assert r_end is None or r >= r_end  # never below the end's own estimate
            seen_more += r_end is not None and r > r_end
        else:
            assert r is None or r > 16
        # the other direction names the other side, at the same seed count
        assert box_seeds_needed(lo, hi, 0.01, "<=", alpha) == (
            {HOLDS: FAILS, FAILS: HOLDS}[side], r)
    assert seen_more >= 10  # the end's values understate the box's seeds


def test_known_values_give_the_one_sided_t_estimate():
    v = np.array([0.3, 0.5, 0.2, 0.45, 0.38, 0.41])
    side, r = box_seeds_needed(v, v, 0.3, ">=", 0.05)
    gap, s = v.mean() - 0.3, v.std(ddof=1)
    want = next(k for k in range(2, 10_000) if stats.t.ppf(0.95, k - 1) * s / math.sqrt(k) < gap)
    assert side == HOLDS and r == max(want, v.size)
    # no spread: the sign test's 2^-R < alpha
    flat = np.full(3, 0.2)
    assert box_seeds_needed(flat, flat, 0.1, ">=", 0.05) == (HOLDS, 5)  # 2^-5 < 0.05 < 2^-4
    at = np.full(3, 0.25)
    assert box_seeds_needed(at, at, 0.25, ">=", 0.05) == (None, None)  # no effect


def test_a_box_holding_equal_values_needs_the_sign_tests_seeds_too():
    # intervals sharing 0.05, far above the bound: every vertex's t is large, but (0.05, ...)
    # is judged by the sign test, 2^-n: below 0.005 only from 8 seeds on
    lo = np.array([0.049, 0.048, 0.05])
    hi = np.array([0.052, 0.05, 0.051])
    side, r = box_seeds_needed(lo, hi, 0.0, ">=", 0.005)
    assert side == HOLDS and r == _fixed_oracle(lo, hi, 0.0, 0.005, flat=True)[1] == 8


def test_widths_that_straddle_the_bound_are_not_decidable_by_more_seeds():
    # the low ends' mean below the bound and the high ends' above, each by a one-sided t-test:
    # the box tiled to any number of seeds keeps both means, so box_p never decides it
    lo = np.array([0.004, 0.005, 0.0045, 0.0055, 0.005, 0.0042])
    hi = lo + 0.012
    assert stats.ttest_1samp(lo, 0.01, alternative="less").pvalue < 0.05
    assert stats.ttest_1samp(hi, 0.01, alternative="greater").pvalue < 0.05
    assert box_seeds_needed(lo, hi, 0.01, ">=") == (INCONCLUSIVE, None)
    for reps in (1, 10, 100):
        assert box_p(np.tile(lo, reps), np.tile(hi, reps), 0.01, ">=") == (1.0, 1.0)
    c = sq.mixture_c(alpha=0.05)
    assert sq.box_cs_seeds_needed(lo, hi, 0.01, 0.05, c) is None
    # a bound between the two means that the seeds do not show to be there: not estimated
    # (the seeds' noise may be what puts it there), not "undecidable"
    noisy = np.array([0.004, 0.015, -0.002, 0.012, 0.006, 0.01])
    assert stats.ttest_1samp(noisy, 0.01, alternative="less").pvalue > 0.05
    assert box_seeds_needed(noisy, noisy + 0.004, 0.01, ">=") == (None, None)


def test_the_sequence_is_estimated_at_the_hulls_worst_vertex():
    rng = np.random.default_rng(29)
    c = sq.mixture_c(alpha=0.05)
    checked = 0
    for _ in range(60):
        n = int(rng.integers(3, 7))
        lo = 0.03 + rng.normal(0, 0.01, n)
        hi = lo + rng.integers(0, 3, n) * 0.005
        side, d = _worst(lo, hi, 0.01)
        if side <= 0:
            continue
        got = sq.box_cs_seeds_needed(lo, hi, 0.01, 0.05, c)
        want = next((m for m in range(n, 17)
                     if _lai_half_factor(m, c, 0.05) * math.sqrt((m - 1) / m) < d), None)
        if want is not None:
            assert got == want, (lo, hi)
            checked += 1
            # at that many seeds, the measured box's worst vertex repeated: its sequence holds
        else:
            assert got is None or got > 16
    assert checked >= 10
    # comparisons_seeds_needed takes it for a boxed comparison at alpha/k
    lo = np.array([0.02, 0.035, 0.03, 0.04])
    hi = lo + 0.01
    cmp = Comparison(tuple(lo), 0.01, ">=", other=tuple(hi))
    flat = Comparison((0.5, 0.52, 0.48, 0.5), 0.1, ">=")
    a = 0.05 / 2
    assert sq.comparisons_seeds_needed([cmp, flat]) == max(
        sq.box_cs_seeds_needed(lo, hi, 0.01, a, sq.mixture_c(alpha=a)),
        sq.cs_seeds_needed(flat.values, 0.1, a, sq.mixture_c(alpha=a)))


def _claim() -> Claim:
    return Claim("test.box.claim", "test", "a statement", "nowhere", check=lambda runs: None)


def _rise(outs):  # vashisht2024's rise rule: both must hold; holds at some eta
    return HOLDS if all(o == HOLDS for o in outs) else FAILS if FAILS in outs else INCONCLUSIVE


def test_an_inconclusive_claim_with_a_box_gets_its_seeds_from_its_rule():
    """The tiny record's rise (section 26): S-rand counts 43, 42, 44 (arm) and 40, 39, 40
    (baseline) of 80, clean 79 in both: Δ_moved in [(2, 2, 3), (4, 4, 5)]/79; the conflict
    rise (0.05, 0.07, 0.06) known. Both Holm-corrected over k = 2: inconclusive (box p 0.125
    at (3, 3, 3)/79). The estimate: each side at alpha/2 = 0.025 (by hand), the rule needs
    both, so the larger."""
    lo, hi = np.array([2, 2, 3]) * U, np.array([4, 4, 5]) * U
    conflict = np.array([0.05, 0.07, 0.06])
    comps = [Comparison(tuple(lo), 0.01, ">=", other=tuple(hi)),
             Comparison(tuple(conflict), 0.01, ">=")]
    o = outcome(INCONCLUSIVE, float(lo.mean()), "b", (0.0, 0.1), 3, "s", "d",
                comparisons=comps, rule=_rise)
    v = _claim().verdict(o)
    assert v.verdict == INCONCLUSIVE
    s_side, s_r = _fixed_oracle(lo, hi, 0.01, 0.025, flat=True)
    c_side, c_r = _fixed_oracle(conflict, conflict, 0.01, 0.025)
    assert s_side == c_side == 1 and v.seeds_needed == max(s_r, c_r) > 3
    assert box_comparisons_seeds_needed(comps, _rise) == (v.seeds_needed, ())
    # a rule that fails when the first comparison fails: only that one's seeds
    lo_f, hi_f = 0.01 - hi, 0.01 - lo + 0.0  # mirrored about the bound: fails side
    slow = np.array([0.011, 0.03, 0.013])  # a weak rise: it would hold only at many seeds
    comps_f = [Comparison(tuple(lo_f), 0.01, ">=", other=tuple(hi_f)),
               Comparison(tuple(slow), 0.01, ">=")]
    f_side, f_r = _fixed_oracle(-hi_f, -lo_f, -0.01, 0.025, flat=True)
    s_side, s_r = _fixed_oracle(slow, slow, 0.01, 0.025, upto=200)
    assert f_side == s_side == 1 and f_r < s_r  # the fails decides the rule first
    assert box_comparisons_seeds_needed(comps_f, _rise) == (f_r, ())


def test_a_claim_the_widths_keep_open_says_so():
    lo = np.array([0.004, 0.005, 0.0045, 0.0055, 0.005, 0.0042])
    hi = lo + 0.012
    comps = [Comparison(tuple(lo), 0.01, ">=", other=tuple(hi)),
             Comparison((0.05, 0.07, 0.06, 0.05, 0.06, 0.055), 0.01, ">=")]
    o = outcome(INCONCLUSIVE, float(lo.mean()), "b", (0.0, 0.1), 6, "s", "d",
                comparisons=comps, rule=_rise)
    v = _claim().verdict(o)
    assert v.verdict == INCONCLUSIVE and v.seeds_needed is None
    assert "no number of seeds decides it" in v.detail and "comparison(s) 1 (mean >= 0.01)" in (
        v.detail)
    # where the rest alone would decide the rule (a fails of the second), no such sentence
    comps_f = [comps[0], Comparison((-0.05, -0.07, -0.06, -0.05, -0.06, -0.055), 0.01, ">=")]
    o_f = outcome(INCONCLUSIVE, float(lo.mean()), "b", (0.0, 0.1), 6, "s", "d",
                  comparisons=comps_f, rule=_rise)
    v_f = _claim().verdict(o_f)
    assert "no number of seeds" not in v_f.detail


def _draw(rng, r, mu, sigma, width, q):
    x = rng.normal(mu, sigma, r)
    w = width * rng.binomial(3, q, r)
    lo = x - rng.random(r) * w
    return lo, lo + w


@pytest.mark.parametrize("mu, undecidable", [(0.0145, False), (0.0105, True)])
def test_monte_carlo_not_decidable_is_said_only_where_seeds_do_not_decide(mu, undecidable):
    """Records of 8 seeds, each seed's Δ ~ N(mu, σ) known within [Δ − u·w, Δ + (1 − u)·w],
    w = 2/1997·Bin(3, q): where E[lo] < 0.01 < E[hi] (mu = 0.0105) a record the estimate calls
    not decidable stays undecided at 64 fresh seeds; where E[lo] > 0.01 (mu = 0.0145, σ =
    0.008) none is called so (the point estimate x̄(lo) ≤ b ≤ x̄(hi) alone called 4 of 200)."""
    rng = np.random.default_rng(30 + int(undecidable))
    sigma, width, q = (0.002, 4 / 1997, 0.5) if undecidable else (0.008, 2 / 1997, 0.3)
    called = 0
    for _ in range(150):
        lo, hi = _draw(rng, 8, mu, sigma, width, q)
        side, _ = box_seeds_needed(lo, hi, 0.01, ">=", 0.05)
        if side != INCONCLUSIVE:
            continue
        called += 1
        up, down = box_p(*_draw(rng, 64, mu, sigma, width, q), 0.01, ">=")
        assert up >= 0.05 and down >= 0.05
    assert (called >= 10) if undecidable else (called == 0)
