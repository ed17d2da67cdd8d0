"""vashisht2024's comparisons whose per-seed values the record leaves in an interval
(docs/verdict_audit.md section 26): a t-test over seeds holds only if it holds for every vector
of per-seed values in the box Π[lo_i, hi_i], fails only if it fails for every one.

Section 24 judged a comparison at the box's corner (every seed at its low end for holds, its
high end for fails). The t statistic also depends on the spread, which the other ends can
raise: a corner that holds does not make the box hold. The oracles here are scipy's t-test
(and exact binomial sign test where the values have no spread) at every vertex of the box or on
a grid over it, and per-point correctness records consistent with a doctored tiny record's
stored accuracies; clean_simple's bounds with the stored clean count are checked against
numpy's moved-point accuracy read off the probe's own permutation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import test_vashisht_records as records
from scipy import stats

from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE
from twolayer.experiments import vashisht2024 as E
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
N = records.TINY.n_test  # 80 test points: the S permutation keeps 1 in place, the C one none


@pytest.fixture(scope="module")
def tiny() -> Record:
    """The records module's tiny linear + XOR study (3 seeds, eta in {0, 0.5}, n_test 80)."""
    return E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)


def _p(x: np.ndarray, bound: float, direction: str) -> tuple[float, float]:
    """The oracle's (claimed side, other side) p at one vector: scipy's one-sample t-test, or
    where every value is equal the exact sign test (2^-n on the side they lie on)."""
    x = np.asarray(x, dtype=float)
    if np.ptp(x) == 0:
        n = x.size
        up = stats.binomtest(n, n, 0.5, alternative="greater").pvalue if x[0] > bound else 1.0
        down = stats.binomtest(n, n, 0.5, alternative="greater").pvalue if x[0] < bound else 1.0
    else:
        up = stats.ttest_1samp(x, bound, alternative="greater").pvalue
        down = stats.ttest_1samp(x, bound, alternative="less").pvalue
    return (up, down) if direction == ">=" else (down, up)


def _vertices(lo: np.ndarray, hi: np.ndarray):
    return (np.array(v) for v in itertools.product(*zip(lo, hi)))


def _holm(ps: list[float]) -> np.ndarray:
    """Holm's adjusted p-values, written out (not the code's)."""
    order = np.argsort(ps)
    adj, run = np.empty(len(ps)), 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (len(ps) - rank) * ps[i]))
        adj[i] = run
    return adj


def test_box_p_is_the_largest_p_over_the_box() -> None:
    """box_p against every vertex and a 7-point grid per seed (scipy): each side's p is the
    largest over the box wherever that is below 1/2 (a smaller p would decide on a vector the
    record does not rule out), at least 1/2 otherwise, and never below any grid point's."""
    rng = np.random.default_rng(26)
    for _ in range(60):
        n = int(rng.integers(2, 5))
        lo = rng.normal(0.02, 0.01, n)
        hi = lo + rng.uniform(0.0, 0.012, n) * (rng.random(n) < 0.85)
        if hi.min() >= lo.max():  # a box with every seed equal somewhere: the sign test case
            hi = np.minimum(hi, lo.max() - 1e-4) if lo.max() - 1e-4 > lo.min() else hi
        bound, d = 0.01, str(rng.choice([">=", "<="]))
        got = V.box_p(lo, hi, bound, d)
        grid = np.array(list(itertools.product(*[np.linspace(a, b, 7) for a, b in zip(lo, hi)])))
        # the t-test at every grid point at once: numpy's statistic, scipy's t distribution
        t = (grid.mean(1) - bound) * np.sqrt(n) / grid.std(1, ddof=1)
        up, down = stats.t.sf(t, n - 1), stats.t.cdf(t, n - 1)
        grid_p = (up, down) if d == ">=" else (down, up)
        for side in (0, 1):
            at_vertex = max(_p(x, bound, d)[side] for x in _vertices(lo, hi))
            on_grid = float(np.max(grid_p[side]))
            assert got[side] >= on_grid - 1e-9, (lo, hi, d, side)
            if at_vertex < 0.5:
                assert got[side] == pytest.approx(at_vertex, rel=1e-9, abs=1e-12)
            else:
                assert got[side] >= 0.5


def test_box_p_counts_the_sign_test_where_the_box_holds_equal_values() -> None:
    """A box that holds x = c·1 (every seed equal: the code judges it by the exact sign test,
    2^-n) cannot give a smaller p than 2^-n; with lo = hi it is one_sided_p of the values."""
    lo = np.array([0.030, 0.031, 0.029])
    hi = lo + 0.003  # holds 0.031·1
    assert V.box_p(lo, hi, 0.01, ">=")[0] == pytest.approx(0.125)
    from twolayer.stats import one_sided_p
    assert V.box_p(lo, lo, 0.01, ">=") == one_sided_p(lo, 0.01, ">=")
    assert V.box_p(lo, lo, 0.01, "<=") == one_sided_p(lo, 0.01, "<=")
    assert V.box_p(np.array([0.1, np.nan]), np.array([0.2, 0.3]), 0.0, ">=") == (1.0, 1.0)


def test_the_bound_past_the_vertex_limit_is_never_below_the_exact_p() -> None:
    """Above BOX_VERTICES_MAX seeds box_p bounds the spread by min_c Σ(|m_i − c| + r_i)²; forced
    at small n (vertices_max = 0), it is never below the exact largest p at the vertices; at
    n = 20 (the default takes the bound) never below the p of 4000 random vertices."""
    rng = np.random.default_rng(5)
    for _ in range(80):
        n = int(rng.integers(2, 9))
        lo = rng.normal(0.03, 0.01, n)
        hi = lo + rng.uniform(0.0, 0.01, n)
        exact = V.box_p(lo, hi, 0.01, ">=")
        bound = V.box_p(lo, hi, 0.01, ">=", vertices_max=0)
        assert bound[0] >= exact[0] - 1e-12 and bound[1] >= exact[1] - 1e-12
    lo = rng.normal(0.03, 0.01, 20)
    hi = lo + rng.uniform(0.0, 0.01, 20)
    got = V.box_p(lo, hi, 0.01, ">=")
    for _ in range(4000):
        x = np.where(rng.random(20) < 0.5, lo, hi)
        assert got[0] >= _p(x, 0.01, ">=")[0]


# a rise whose corner holds but whose box does not: per seed, the arm's and the baseline's
# S-rand correct counts out of N = 80, and both arms' clean counts 79 of 80 (the one clean error
# may or may not be the kept point: each run's kept count K is 0 or 1)
ARM_S, BASE_S = np.array([43, 42, 44]), np.array([40, 39, 40])
CLEAN = np.array([79, 79, 79])


def _rise_record(tiny: Record) -> Record:
    values = records._plant()
    values[("s_rand_acc", "keep", 0.0)] = list(BASE_S / N)
    values[("s_rand_acc", "keep", 0.5)] = list(ARM_S / N)
    values[("clean_acc", "keep", 0.0)] = list(CLEAN / N)
    values[("clean_acc", "keep", 0.5)] = list(CLEAN / N)
    return records._doctor(tiny, values)


def test_a_rise_that_holds_at_the_corner_but_not_over_the_box(tiny: Record) -> None:
    """On the base (section 24's corner rule) reliance_rises *held* here: at every seed's low
    end, Δ_moved = (2, 2, 3)/79, the t-test against δ = 0.01 gives p = 0.022 (Holm with the
    conflict comparison: below 0.05). The record also allows K_arm = 1, K_base = 0 at seeds 1-2
    and K_arm = 0, K_base = 1 at seed 3: Δ_moved = (2, 2, 5)/79, p = 0.079. The oracle: all 64
    per-point records consistent with the stored counts (each run's kept point right or wrong),
    their moved-point rises by numpy, scipy's t-test, Holm written out."""
    assert V.kept_in_place(N)[0] == 1
    rec = _rise_record(tiny)
    conflict, _, _ = V.paired(rec, "conflict_follow", "keep", 0.5)
    p_c = stats.ttest_1samp(conflict, V.MIN_RISE, alternative="greater").pvalue
    worst, corner = 0.0, None
    for ka, kb in itertools.product(itertools.product((0, 1), repeat=3), repeat=2):
        ka, kb = np.array(ka), np.array(kb)
        d = (ARM_S - ka - (BASE_S - kb)) / (N - 1)
        p = _p(d, V.MIN_RISE, ">=")[0]  # (3, 3, 3)/79 is possible: the sign test's 1/8
        adj = _holm([p, p_c])[0]
        worst = max(worst, adj)
        if ka.all() and not kb.any():
            corner = adj
    assert corner < 0.05 < worst  # the corner holds; some consistent record does not
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    np.testing.assert_allclose(lo, (ARM_S - BASE_S - 1) / (N - 1), atol=1e-6)
    np.testing.assert_allclose(hi, (ARM_S - BASE_S + 1) / (N - 1), atol=1e-6)
    out = records._judge(rec, "reliance_rises")
    assert out.verdict == INCONCLUSIVE, out.detail
    assert "the largest p over the box" in out.detail


def test_a_fail_at_the_corner_is_not_a_fail_over_the_box() -> None:
    """The mirror image on judge_family: high ends whose t-test fails d >= δ (p = 0.022 on the
    other side), low ends 2/79 below; a vertex with one seed at its low end spreads them:
    p = 0.079. Inconclusive, not fails; and a box narrow enough fails as at its corner."""
    hi = 2 * V.MIN_RISE - np.array([2, 2, 3]) / 79  # the rise's low ends mirrored about δ
    lo = hi - 2 / 79
    assert stats.ttest_1samp(hi, V.MIN_RISE, alternative="less").pvalue < 0.025
    worst = max(stats.ttest_1samp(x, V.MIN_RISE, alternative="less").pvalue
                for x in _vertices(lo, hi))
    assert worst > 0.05
    (e,) = V.judge_family([("s_rand_acc", lo, V.MIN_RISE, ">=", 0.5, 0.5, hi)])
    assert e.outcome == INCONCLUSIVE
    (e,) = V.judge_family([("s_rand_acc", hi - 1e-4, V.MIN_RISE, ">=", 0.5, 0.5, hi)])
    assert e.outcome == FAILS


# clean_simple on the moved points (claim 1): the baseline's S-rand counts out of N = 80
def _simple_record(tiny: Record, s_counts, clean_counts) -> Record:
    values = records._plant()
    values[("s_rand_acc", "keep", 0.0)] = list(np.asarray(s_counts) / N)
    values[("clean_acc", "keep", 0.0)] = list(np.asarray(clean_counts) / N)
    return records._doctor(tiny, values)


def test_clean_simple_reads_the_kept_points_from_the_stored_clean_count(tiny: Record) -> None:
    """Every baseline run classifies all 80 clean points, so the kept point is right on S-rand
    too and the moved-point accuracy is (80·A − 1)/79 exactly (numpy from the permutation),
    0.534-0.537: "S-rand <= 0.55" holds. On the base the kept point was bounded by [0, 1], the
    high end 80·A/79 (p = 0.09 against 0.55): inconclusive."""
    s = np.array([43.2, 43.44, 43.28])  # S-rand accuracy 0.540, 0.543, 0.541
    rec = _simple_record(tiny, s, [80, 80, 80])
    moved = (s - 1) / (N - 1)  # the kept point counted correct: its clean prediction is right
    fam = V.clean_simple_family(rec)[1]
    np.testing.assert_allclose(fam[1].per_seed, moved, atol=1e-6)
    np.testing.assert_allclose(fam[0].per_seed, moved, atol=1e-6)
    p = stats.ttest_1samp(moved, 0.55, alternative="less").pvalue
    assert 3 * p < 0.05  # Holm's largest multiplier over claim 1's 3 comparisons
    old_hi = s / (N - 1)
    assert stats.ttest_1samp(old_hi, 0.55, alternative="less").pvalue > 0.05
    assert records._verdict(rec, "clean_simple") == HOLDS


def test_clean_simple_fails_only_where_every_possible_value_fails(tiny: Record) -> None:
    """With clean counts 79 of 80 the kept point may be the one clean error: the moved-point
    accuracy is (c − 1)/79 or c/79. At S-rand counts 34, 35, 35 the low ends fail "S-rand >=
    0.45" (p 0.015, 3p < 0.05: the base judged its fails there and said fails), the high ends
    do not (p 0.058): inconclusive."""
    c = np.array([34, 35, 35])
    rec = _simple_record(tiny, c, [79, 79, 79])
    lo, hi = (c - 1) / (N - 1), c / (N - 1)
    assert 3 * stats.ttest_1samp(lo, 0.45, alternative="less").pvalue < 0.05
    assert stats.ttest_1samp(hi, 0.45, alternative="less").pvalue > 0.05
    fam = V.clean_simple_family(rec)[1]
    np.testing.assert_allclose(fam[0].per_seed, lo, atol=1e-6)
    np.testing.assert_allclose(fam[0].per_seed_fails, hi, atol=1e-6)
    assert fam[0].outcome == INCONCLUSIVE
    assert records._verdict(rec, "clean_simple") == INCONCLUSIVE
    # and where every value fails, it fails
    # (counts apart by more than the kept point: the box holds no vector of equal values,
    # which the code would judge by the sign test, 2^-3 > 0.05)
    rec = _simple_record(tiny, [25, 27, 28], [79, 79, 79])
    assert records._verdict(rec, "clean_simple") == FAILS
