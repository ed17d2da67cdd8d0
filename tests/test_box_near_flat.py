"""Box comparisons and their near-flat vectors (docs/verdict_audit.md section 28, item 2).

``stats.box_p`` gives each side's largest p over the box Π[lo_i, hi_i] of per-seed values that
``stats.one_sided_p`` gives at any vector in it; ``sequential.box_cs_outcome`` decides only
what ``sequential.cs_outcome`` decides at every vector. Both judge a vector that
``stats.no_spread`` flags (ptp ≤ 1e−12·max|x|) by the sign test (sequence), not the mean.
Section 26 checked those at the vertices and at c·1 where max lo ≤ min hi. Where max lo exceeds
min hi by less than the tolerance (two seeds' ends equal in exact arithmetic, apart by a
rounding error), the box holds near-flat vectors that are neither: there the sign test's 2^−n
(or its sequence's "undecided" at few seeds) is larger than every vertex's t-test p, and the
base held a comparison that one of its own vectors does not hold.

The oracle is written out here: scipy's t distribution at the vector's t statistic, or, where
the vector's spread is within the tolerance, the exact binomial sign test (scipy.stats.binomtest)
over the values off the bound; evaluated at every point of a grid per seed that includes the
ends, interior points and the ends clipped toward the box's diagonal (where the near-flat
vectors lie).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from twolayer.sequential import (
    ALPHA,
    _half_width_factor,
    box_cs_outcome,
    cs_outcome,
    mixture_c,
)
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE, box_p

ULP = float(np.spacing(0.3))


def _flat(x: np.ndarray) -> bool:
    """The code's convention for 'no spread', written out: ptp within 1e-12 of the largest |x|."""
    return float(np.ptp(x)) <= 1e-12 * max(float(np.abs(x).max()), np.finfo(float).tiny)


def _p_up(x: np.ndarray, bound: float) -> float:
    """The oracle's p for 'mean(x) >= bound' at one vector."""
    n = x.size
    if _flat(x):
        above, below = int((x > bound).sum()), int((x < bound).sum())
        if above + below == 0:
            return 1.0
        return float(stats.binomtest(above, above + below, 0.5, alternative="greater").pvalue)
    t = (x.mean() - bound) * np.sqrt(n) / x.std(ddof=1)
    return float(stats.t.sf(t, n - 1))


def _grid(lo: np.ndarray, hi: np.ndarray, bound: float, points: int = 7) -> np.ndarray:
    """Every vector of a grid over the box, as rows: per seed the ends, ``points`` interior
    points, and the ends clipped to the diagonal candidates max lo, min hi, their midpoint and
    the bound (where the near-flat vectors lie)."""
    diag = [lo.max(), hi.min(), (lo.max() + hi.min()) / 2, bound]
    axes = []
    for a, b in zip(lo, hi):
        pts = list(np.linspace(a, b, points + 2)) + [min(max(c, a), b) for c in diag]
        axes.append(np.unique(np.array(pts)))
    return np.array(list(itertools.product(*axes)))


def _oracle_max(lo: np.ndarray, hi: np.ndarray, bound: float, points: int = 7) -> float:
    """The largest oracle p over the grid: the t-test vectorised over the rows with spread,
    the sign test (written out per row) at the near-flat ones."""
    x = _grid(lo, hi, bound, points)
    n = x.shape[1]
    flat = np.ptp(x, axis=1) <= 1e-12 * np.maximum(np.abs(x).max(axis=1), np.finfo(float).tiny)
    best = max((_p_up(row, bound) for row in x[flat]), default=0.0)
    if (~flat).any():
        y = x[~flat]
        t = (y.mean(axis=1) - bound) * np.sqrt(n) / y.std(axis=1, ddof=1)
        best = max(best, float(stats.t.sf(t, n - 1).max()))
    return best


def test_rounding_apart_ends_hold_a_near_flat_vector_whose_sign_test_p_the_box_reports():
    # seed 2's high end is 0.3 less one rounding error, seed 1's low end 0.3: the vector
    # (0.3, 0.3 - ulp, 0.3, 0.3) is in the box and one_sided_p judges it by the sign test,
    # 2^-4 = 0.0625; every vertex's t-test gives p < 1e-4 (the base returned 1.4e-5: holds)
    lo = np.array([0.3, 0.29, 0.295, 0.28])
    hi = np.array([0.31, 0.3 - ULP, 0.305, 0.32])
    assert lo.max() > hi.min()
    near = np.array([0.3, 0.3 - ULP, 0.3, 0.3])
    assert _p_up(near, 0.0) == pytest.approx(0.0625)
    up, down = box_p(lo, hi, 0.0, ">=")
    assert up >= 0.0625 - 1e-15 and up < 0.05 * 2  # the near-flat vector's p, not less
    assert down == 1.0
    # the fails side of the mirror image likewise
    assert box_p(-hi, -lo, 0.0, ">=")[1] >= 0.0625 - 1e-15


def test_a_box_whose_every_vertex_is_near_flat_is_judged_by_the_sign_test():
    # no vector c*1 (max lo > min hi), every vertex within the tolerance: the base returned 0
    lo, hi = np.array([1.0, 1 + 3e-13]), np.array([1 + 1e-13, 1 + 4e-13])
    assert lo.max() > hi.min()
    assert box_p(lo, hi, 0.0, ">=")[0] == pytest.approx(0.25)
    assert _oracle_max(lo, hi, 0.0) == pytest.approx(0.25)


def _boxes(rng: np.random.Generator, count: int):
    """Random boxes at 2-4 seeds: generic, touching (max lo = min hi), apart by 1-3 rounding
    errors or 1e-13 relative, with the bound far from or within the values."""
    for i in range(count):
        n = int(rng.integers(2, 5))
        centre = float(rng.uniform(0.05, 0.5))
        kind = i % 4
        if kind == 0:
            lo = centre + rng.normal(0, 0.02, n)
            hi = lo + rng.uniform(0, 0.02, n)
        else:
            # every interval reaches the common point c, except one that stops just short
            below = rng.uniform(0, 0.02, n)
            above = rng.uniform(0, 0.02, n)
            lo, hi = centre - below, centre + above
            j = int(rng.integers(n))
            k = (j + 1) % n
            lo[j] = centre  # max lo = centre
            gap = {1: 0.0, 2: float(rng.integers(1, 4)) * np.spacing(centre),
                   3: 1e-13 * centre}[kind]
            hi[k] = centre - gap  # min hi = centre - gap
            lo[k] = min(lo[k], hi[k])
        bound = float(rng.choice([0.0, centre - 0.03, centre, centre - 1e-15]))
        yield lo, hi, bound


def test_box_p_is_never_below_any_grid_vector_including_the_near_flat_ones():
    rng = np.random.default_rng(2028)
    checked = near_cases = 0
    for lo, hi, bound in _boxes(rng, 240):
        up = box_p(lo, hi, bound, ">=")[0]
        worst = _oracle_max(lo, hi, bound)
        assert up >= worst - 1e-12, (lo, hi, bound, up, worst)
        down = box_p(lo, hi, bound, "<=")[1]  # the same side, asked from the other direction
        assert down == up
        mirror = box_p(-hi, -lo, -bound, "<=")[0]  # "mean(-x) <= -b" is "mean(x) >= b"
        assert mirror == pytest.approx(up, rel=1e-12, abs=1e-15)
        checked += 1
        near_cases += lo.max() > hi.min() and lo.max() - hi.min() < 1e-12
    assert checked == 240 and near_cases >= 60


def test_box_cs_outcome_decides_only_what_every_grid_vector_decides():
    # cs_outcome at every grid vector (the sequence's own verdict per vector, c fixed)
    rng = np.random.default_rng(2029)
    c = mixture_c()
    decided = 0
    for lo, hi, bound in _boxes(rng, 40):
        # three more seeds whose intervals reach max lo (so that the near-flat vectors stay),
        # wide enough that the sequence can decide at all
        top = lo.max()
        lo = np.concatenate([lo, top - np.array([0.004, 0.006, 0.008])])
        hi = np.concatenate([hi, top + np.array([0.008, 0.006, 0.004])])
        n = lo.size
        factor = _half_width_factor(n, c, ALPHA)
        for direction in (">=", "<="):
            verdict = box_cs_outcome(lo, hi, bound, direction, ALPHA, c)[0]
            if verdict == INCONCLUSIVE:
                continue
            decided += 1
            x = _grid(lo, hi, bound, points=1)
            flat = np.ptp(x, axis=1) <= 1e-12 * np.abs(x).max(axis=1)
            for row in x[flat]:  # the sign sequence's rows: cs_outcome itself
                assert cs_outcome(row, bound, direction, ALPHA, c)[0] == verdict, (lo, hi, row)
            # the rest vectorised: C_n(x) = mean ± f·sqrt(V/n), decided as an interval; 30
            # rows checked against cs_outcome itself
            y = x[~flat]
            m = y.mean(axis=1)
            half = factor * np.sqrt(((y - m[:, None]) ** 2).sum(axis=1) / n)
            low, high = m - half, m + half
            if direction == ">=":
                ok = low >= bound if verdict == HOLDS else high < bound
            else:
                ok = high <= bound if verdict == HOLDS else low > bound
            assert ok.all(), (lo, hi, y[~ok][:1])
            for row in y[rng.choice(len(y), min(30, len(y)), replace=False)]:
                assert cs_outcome(row, bound, direction, ALPHA, c)[0] == verdict
    assert decided >= 10


def test_box_cs_outcome_near_flat_vector_at_six_seeds_is_undecided():
    # six seeds, each interval reaching 0.3 but one high end 0.3 - ulp: the vector with every
    # value 0.3 (one at 0.3 - ulp) is near-flat, and 6 of 6 above decides nothing by the sign
    # sequence at alpha = 0.05; the hull of the t-mixture sequences clears 0 (the base: holds)
    lo = np.array([0.3, 0.293, 0.291, 0.294, 0.292, 0.295])
    hi = np.array([0.31, 0.3 - ULP, 0.306, 0.308, 0.307, 0.309])
    near = np.array([0.3, 0.3 - ULP, 0.3, 0.3, 0.3, 0.3])
    assert cs_outcome(near, 0.0, ">=", ALPHA)[0] == INCONCLUSIVE
    assert box_cs_outcome(lo, hi, 0.0, ">=")[0] == INCONCLUSIVE
    # with the rounding error removed (min hi = max lo) the vector is c*1: undecided as before
    hi2 = hi.copy()
    hi2[1] = 0.3
    assert box_cs_outcome(lo, hi2, 0.0, ">=")[0] == INCONCLUSIVE
    # and a box with no near-flat vector holds (a wider gap between the two seeds)
    hi3 = hi.copy()
    hi3[1] = 0.299
    assert box_cs_outcome(lo, hi3, 0.0, ">=")[0] == HOLDS
    assert box_cs_outcome(-hi3, -lo, 0.0, ">=")[0] == FAILS


def test_moved_delta_ends_equal_in_exact_arithmetic_are_equal_floats():
    """vashisht2024's Δ S-rand on the moved points, from a doctored tiny record (n_test 80, one
    point kept, 3 seeds, clean 79 of 80 in both arms: each Δ_moved known within ±1/79). S-rand
    counts 41, 45, 45 (arm) and 38, 40, 41 (baseline): the intervals [2, 4], [4, 6], [3, 5] in
    units of 1/79 share the value 4/79, so the box holds (4, 4, 4)/79, which the code judges by
    the sign test: 2^-3 = 0.125, above every vertex's t-test p (at most 0.07 against δ = 0.01).
    The record stores float32 accuracies: read as they are, n·acc is a count up to 1e-6, and
    the base's ends came out 6e-9 apart (max lo > min hi), missing that vector (p 0.07)."""
    import test_vashisht_records as records

    from twolayer.claims import vashisht2024 as V
    from twolayer.experiments import vashisht2024 as E

    n = records.TINY.n_test
    tiny = E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)
    values = records._plant()
    arm, base = np.array([41, 45, 45]), np.array([38, 40, 41])
    values[("s_rand_acc", "keep", 0.0)] = list(base / n)
    values[("s_rand_acc", "keep", 0.5)] = list(arm / n)
    values[("clean_acc", "keep", 0.0)] = [79 / n] * 3
    values[("clean_acc", "keep", 0.5)] = [79 / n] * 3
    rec = records._doctor(tiny, values)
    assert V.kept_in_place(n)[0] == 1
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    units = n - 1
    # the oracle: whole counts, by hand
    np.testing.assert_array_equal(lo, (arm - base - 1) / units)
    np.testing.assert_array_equal(hi, (arm - base + 1) / units)
    assert lo.max() == hi.min() == 4 / units
    worst_vertex = max(_p_up(np.array(x), V.MIN_RISE) for x in itertools.product(*zip(lo, hi)))
    assert worst_vertex < 0.1
    assert box_p(lo, hi, V.MIN_RISE, ">=")[0] == pytest.approx(0.125)
