"""vashisht2024's paired S-randomised comparisons (claims 2, 4, 5 and the premise of 3–5) on
the test points the probe's fixed permutation π moved (docs/verdict_audit.md, the section
closing section 21's last open item).

A point π leaves in place keeps its own x_0, so its S-randomised prediction is its clean one:
a run's measured S-rand accuracy A = ((n − kept)·A_moved + K)/n, K the kept points it
classifies correctly on the clean input. The arms' Δ S-rand then carries (K_arm − K_base)/n;
``moved_delta`` bounds Δ_moved from what the record stores, and a rise holds only at the low
end of every seed's interval, fails only at the high end. The oracle here is numpy: per-point
correctness vectors consistent with the stored accuracies, the moved-point accuracy read off
the probe's own permutation.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import test_vashisht_records as records
from scipy import stats

from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import HOLDS, INCONCLUSIVE
from twolayer.experiments import vashisht2024 as E
from twolayer.probes.vashisht import permutation
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
N = records.TINY.n_test  # 80 test points: π keeps one of them in place


@pytest.fixture(scope="module")
def tiny() -> Record:
    """The records module's tiny linear + XOR study (3 seeds, eta in {0, 0.5}, n_test 80)."""
    return E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)


def _fixed(n: int) -> np.ndarray:
    """The test points the probe's S permutation leaves in place (numpy, from π itself)."""
    pi = permutation(n, "vashisht-perm-S").numpy()
    return np.flatnonzero(pi == np.arange(n))


# per seed: the arm's and the baseline's S-rand correct counts out of N = 80 (a rise of 2, 2
# and 3 points: d = 0.025, 0.025, 0.0375); the arm classifies every clean point, the baseline
# all but one
ARM_S, BASE_S = np.array([42, 41, 43]), np.array([40, 39, 40])
ARM_CLEAN, BASE_CLEAN = np.array([80, 80, 80]), np.array([79, 79, 79])


def _record(tiny: Record) -> Record:
    values = records._plant()
    values[("s_rand_acc", "keep", 0.0)] = list(BASE_S / N)
    values[("s_rand_acc", "keep", 0.5)] = list(ARM_S / N)
    values[("clean_acc", "keep", 0.0)] = list(BASE_CLEAN / N)
    values[("clean_acc", "keep", 0.5)] = list(ARM_CLEAN / N)
    return records._doctor(tiny, values)


def _moved_oracle(s_correct: int, clean_correct: int, kept_correct: int, n: int,
                  fixed: np.ndarray) -> float:
    """A run's accuracy over the moved points of one per-point correctness vector consistent
    with its stored S-rand and clean counts: ``kept_correct`` of the fixed points correct (on
    S-rand as on the clean input), the rest of the S-rand count on moved points."""
    moved = np.setdiff1d(np.arange(n), fixed)
    s = np.zeros(n, dtype=bool)
    s[fixed[:kept_correct]] = True
    s[moved[:s_correct - kept_correct]] = True
    clean = s.copy()  # the clean vector: the fixed points as on S-rand, any moved points
    clean[moved] = False
    clean[moved[:clean_correct - kept_correct]] = True
    assert s.sum() == s_correct and clean.sum() == clean_correct
    return float(s[moved].mean())


def test_a_rise_carried_by_a_kept_point_no_longer_holds(tiny: Record) -> None:
    """On the base (before this change) reliance_rises *held* on this record: d S-rand 0.025,
    0.025, 0.0375 over all 80 points (t-test p 0.022 < 0.05 after Holm). One test point is
    fixed by π; the stored clean counts allow it to be the baseline's one misclassified point,
    which its S-rand then also misses, while the arm gets it right: a per-point record with
    exactly these stored values (numpy oracle) has moved-point rises of 1/79, 1/79, 2/79, which
    do not pass d >= 0.01 (p 0.12). So the claim is inconclusive now, and the code's low end is
    that oracle's value."""
    fixed = _fixed(N)
    assert fixed.size == V.kept_in_place(N)[0] == 1
    rec = _record(tiny)
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    worst = np.array([_moved_oracle(a, ac, 1, N, fixed) - _moved_oracle(b, bc, 0, N, fixed)
                      for a, b, ac, bc in zip(ARM_S, BASE_S, ARM_CLEAN, BASE_CLEAN)])
    best = np.array([_moved_oracle(a, ac, 1, N, fixed) - _moved_oracle(b, bc, 1, N, fixed)
                     for a, b, ac, bc in zip(ARM_S, BASE_S, ARM_CLEAN, BASE_CLEAN)])
    np.testing.assert_allclose(lo, worst, atol=1e-6)
    np.testing.assert_allclose(hi, best, atol=1e-6)
    assert stats.ttest_1samp(worst, V.MIN_RISE, alternative="greater").pvalue > 0.05
    measured = (ARM_S - BASE_S) / N  # what the base judged: p < 0.05
    assert stats.ttest_1samp(measured, V.MIN_RISE, alternative="greater").pvalue < 0.05
    out = records._judge(rec, "reliance_rises")
    assert out.verdict == INCONCLUSIVE, out.detail
    assert "leaves 1 of the 80 test points in place" in out.detail


def test_the_same_rise_with_every_kept_point_pinned_still_holds(tiny: Record) -> None:
    """The control: with both arms' clean counts 80/80 the fixed point is correct in both, so
    Δ_moved = Δ·80/79 exactly (larger) and the claim holds as on the base."""
    values = records._plant()
    values[("s_rand_acc", "keep", 0.0)] = list(BASE_S / N)
    values[("s_rand_acc", "keep", 0.5)] = list(ARM_S / N)
    values[("clean_acc", "keep", 0.0)] = [1.0, 1.0, 1.0]
    values[("clean_acc", "keep", 0.5)] = [1.0, 1.0, 1.0]
    rec = records._doctor(tiny, values)
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    np.testing.assert_allclose(lo, (ARM_S - BASE_S) / (N - 1), atol=1e-6)
    np.testing.assert_allclose(hi, lo, atol=1e-12)
    assert records._verdict(rec, "reliance_rises") == HOLDS


def test_moved_bounds_contain_every_consistent_per_point_record() -> None:
    """moved_bounds with the clean accuracy, against per-point correctness vectors drawn at
    random (numpy): the true moved-point accuracy lies inside, and each end is reached by some
    vector (the extreme kept counts)."""
    rng = np.random.default_rng(7)
    for n in (20, 36, 80, 600):
        fixed = _fixed(n)
        kept = fixed.size
        assert kept == V.kept_in_place(n)[0] and kept >= 1
        moved = np.setdiff1d(np.arange(n), fixed)
        for _ in range(200):
            clean = rng.random(n) < rng.uniform(0.5, 1.0)
            s = clean.copy()  # fixed points: S-rand sees the clean input
            s[moved] = rng.random(moved.size) < rng.uniform(0.2, 0.9)
            acc, c = np.array([s.mean()]), np.array([clean.mean()])
            lo, hi = V.moved_bounds(acc, kept, n, c)
            truth = s[moved].mean()
            assert lo[0] - 1e-12 <= truth <= hi[0] + 1e-12, (n, truth, lo, hi)
            N_c, S = int(clean.sum()), int(s.sum())
            # K is also at most S and at least S - (n - kept) (section 28)
            k_hi, k_lo = min(kept, N_c, S), max(0, kept - n + N_c, S - (n - kept))
            assert lo[0] == pytest.approx((s.sum() - k_hi) / (n - kept))
            assert hi[0] == pytest.approx((s.sum() - k_lo) / (n - kept))
            # without the clean accuracy: section 21's [(acc − φ)/(1 − φ), acc/(1 − φ)]
            lo0, hi0 = V.moved_bounds(acc, kept, n)
            assert lo0[0] <= lo[0] + 1e-12 and hi[0] <= hi0[0] + 1e-12
            # a lost clean accuracy constrains nothing: the bounds without it
            lost = V.moved_bounds(acc, kept, n, np.array([np.nan]))
            assert lost[0][0] == pytest.approx(lo0[0]) and lost[1][0] == pytest.approx(hi0[0])


def test_no_kept_point_leaves_the_comparison_as_measured(tiny: Record) -> None:
    """Where π moves every point (n_test 5000 keeps none) both ends are the measured Δ, and
    the conflict comparison is never changed (conflict inputs move every point)."""
    assert V.kept_in_place(5000)[0] == 0
    rec = copy.deepcopy(_record(tiny))
    rec.meta["study"]["plan"]["n_test"] = 5000
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    d, _, _ = V.paired(rec, "s_rand_acc", "keep", 0.5)
    np.testing.assert_allclose(lo, d, atol=1e-12)
    np.testing.assert_allclose(hi, d, atol=1e-12)
    comps = V.rise_comparisons(_record(tiny), "keep", 0.5)
    dc, _, _ = V.paired(_record(tiny), "conflict_follow", "keep", 0.5)
    assert comps[1][0] == "conflict_follow" and len(comps[1]) == 6
    np.testing.assert_array_equal(comps[1][1], dc)


def test_holds_and_fails_are_judged_on_opposite_ends() -> None:
    """judge_family with a fails-side array: holds only where the low ends hold, fails only
    where the high ends fail (a comparison whose low ends fail but high ends do not is
    inconclusive)."""
    lo = np.array([0.001, 0.002, 0.0015, 0.0012])
    hi = lo + 0.02
    (e,) = V.judge_family([("s_rand_acc", lo, V.MIN_RISE, ">=", 0.5, 0.5, hi)])
    assert e.outcome == INCONCLUSIVE
    (e,) = V.judge_family([("s_rand_acc", lo, V.MIN_RISE, ">=", 0.5, 0.5)])
    assert e.outcome == "fails"
    # (a box that holds no x with every seed equal: there the test would be the sign test's
    # 2^-4 = 0.0625, which the box's largest p counts, section 26)
    (e,) = V.judge_family([("s_rand_acc", hi, V.MIN_RISE, ">=", 0.5, 0.5, hi + 0.0002)])
    assert e.outcome == HOLDS
