"""vashisht2024's Δ S-rand on the moved test points, bounded also by the stored disagreement
with the baseline (docs/verdict_audit.md section 28, item 3).

A kept point's S-randomised input is its clean input, so Δ_moved = ((S_a − S_b) − (K_a −
K_b))/(n − kept), K the kept points a run classifies correctly. Section 24 bounded each K by the
run's clean count alone; the two runs' disagreement on the same clean test points
(``final/disagree_test``) bounds K_a − K_b too: where they predict alike both are right or both
wrong, and on the D points where they differ exactly one is right (binary labels).

Oracle: per-point correctness vectors (numpy) for an arm and its baseline on the same test set,
with the probe's own kept points (``permutation``); the stored values computed from them; the
true moved-point difference inside the code's interval; and the exact range of K_a − K_b over
every per-point record with the same stored counts, by enumerating how the kept points split
among the four agreement classes (both right, both wrong, only the arm right, only the base
right).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from twolayer.claims import vashisht2024 as V
from twolayer.experiments import vashisht2024 as E
from twolayer.probes.vashisht import permutation


def _fixed(n: int) -> np.ndarray:
    pi = permutation(n, "vashisht-perm-S").numpy()
    return np.flatnonzero(pi == np.arange(n))


def _record(n: int, s_a, s_b, c_a, c_b, dis) -> SimpleNamespace:
    """The arrays moved_delta reads, for R seeds of a 'keep' arm at eta 0.5 and its baseline,
    stored as float32 (as the study stores them)."""
    R = len(s_a)
    f32 = lambda x: np.asarray(x, dtype=np.float32)  # noqa: E731
    col = lambda x: f32(x)[:, None]  # noqa: E731  (one probe time)
    keep = E.VARIANTS.index("keep")
    arrays = {
        "phase2/variant": np.full(2 * R, keep),
        "phase2/eta": np.r_[np.zeros(R), np.full(R, 0.5)],
        "phase2/seed": np.r_[np.arange(R), np.arange(R)],
        "vashisht/s_rand_acc": col(np.r_[s_b, s_a]),
        "vashisht/clean_acc": col(np.r_[c_b, c_a]),
        "final/disagree_test": f32(np.r_[np.zeros(R), dis]),
    }
    return SimpleNamespace(arrays=arrays, meta={"study": {"plan": {"n_test": n}}})


def _exact_range(n, kept, S_a, S_b, N_a, N_b, D):
    """min and max of K_a − K_b over per-point records with these counts: r kept points only
    the arm gets right, w only the base, rr both, the rest both wrong, within the classes'
    totals, and each run's moved correct count S − K in [0, n − kept]."""
    da, db = (D + N_a - N_b) // 2, (D - N_a + N_b) // 2
    both_right, both_wrong = N_a - da, n - N_a - db
    got = []
    for r in range(min(kept, da) + 1):
        for w in range(min(kept - r, db) + 1):
            for rr in range(min(kept - r - w, both_right) + 1):
                if kept - r - w - rr > both_wrong:
                    continue
                ka, kb = rr + r, rr + w
                if 0 <= S_a - ka <= n - kept and 0 <= S_b - kb <= n - kept:
                    got.append(r - w)
    return min(got), max(got)


def test_the_interval_holds_the_truth_and_is_the_exact_range_over_per_point_records():
    rng = np.random.default_rng(28)
    narrower = 0
    for n in (20, 36, 80, 600):
        fixed = _fixed(n)
        kept = fixed.size
        moved = np.setdiff1d(np.arange(n), fixed)
        for _ in range(60):
            R = 3
            s_a, s_b, c_a, c_b, dis, truth, counts = [], [], [], [], [], [], []
            for _ in range(R):
                cb = rng.random(n) < rng.uniform(0.6, 1.0)
                flip = rng.random(n) < rng.choice([0.0, 0.02, 0.1, 0.4])  # where they differ
                ca = cb ^ flip
                sa, sb = ca.copy(), cb.copy()  # kept points: S-rand sees the clean input
                sa[moved] = rng.random(moved.size) < rng.uniform(0.3, 0.9)
                sb[moved] = rng.random(moved.size) < rng.uniform(0.3, 0.9)
                s_a.append(sa.mean()), s_b.append(sb.mean())
                c_a.append(ca.mean()), c_b.append(cb.mean()), dis.append(flip.mean())
                truth.append(sa[moved].mean() - sb[moved].mean())
                counts.append((int(sa.sum()), int(sb.sum()), int(ca.sum()), int(cb.sum()),
                               int(flip.sum())))
            rec = _record(n, s_a, s_b, c_a, c_b, dis)
            lo, hi = V.moved_delta(rec, "keep", 0.5)
            for i in range(R):
                assert lo[i] - 1e-12 <= truth[i] <= hi[i] + 1e-12, (n, i, lo, hi, truth)
                S_a, S_b, N_a, N_b, D = counts[i]
                d_min, d_max = _exact_range(n, kept, S_a, S_b, N_a, N_b, D)
                assert lo[i] == (S_a - S_b - d_max) / (n - kept)
                assert hi[i] == (S_a - S_b - d_min) / (n - kept)
            # the clean counts' bounds alone (section 24) are never narrower
            del rec.arrays["final/disagree_test"]
            lo0, hi0 = V.moved_delta(rec, "keep", 0.5)
            assert (lo0 <= lo).all() and (hi <= hi0).all()
            narrower += int(((lo0 < lo) | (hi < hi0)).sum())
    assert narrower >= 50


def test_two_runs_that_agree_everywhere_have_the_same_kept_count():
    """n_test 80, one point kept, both runs wrong on the same one clean point (disagreement 0):
    K_a = K_b whichever point that is, so Δ_moved = (S_a − S_b)/79 exactly. The clean counts
    alone (79 of 80 each) left each K in {0, 1}: an interval of width 2/79."""
    s_a, s_b = np.array([43, 42, 44]) / 80, np.array([40, 39, 40]) / 80
    rec = _record(80, s_a, s_b, [79 / 80] * 3, [79 / 80] * 3, [0.0] * 3)
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    np.testing.assert_array_equal(lo, np.array([3, 3, 4]) / 79)
    np.testing.assert_array_equal(hi, lo)


def test_inconsistent_stored_counts_are_not_used():
    """A disagreement that the clean counts contradict (fewer differing points than the
    difference of the correct counts, or of the other parity) bounds nothing: the interval is
    the clean counts' alone."""
    s_a, s_b = np.array([43, 42, 44]) / 80, np.array([40, 39, 40]) / 80
    cases = [(79, 80, 0.0), (79, 80, 2 / 80), (79, 80, np.nan),  # |N_a − N_b| = 1: D odd
             (79, 79, 1 / 80), (78, 78, 3 / 80),  # N_a = N_b: D even
             (78, 80, 0.0)]  # D below |N_a − N_b| (same parity)
    for na, nb, dis in cases:
        base = _record(80, s_a, s_b, [na / 80] * 3, [nb / 80] * 3, [0.0] * 3)
        del base.arrays["final/disagree_test"]
        want = V.moved_delta(base, "keep", 0.5)
        rec = _record(80, s_a, s_b, [na / 80] * 3, [nb / 80] * 3, [dis] * 3)
        got = V.moved_delta(rec, "keep", 0.5)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
