"""The figure maennel2020-misalignment draws B1's q with the interval the B1 claims judge it on
(docs/verdict_audit.md, section 27): the jackknife interval widened to reach the bias-corrected
q, and none where the random basis is floor-dominated (M_rand − F_rand < F_rand). Both read
:func:`twolayer.stats.floor_ratio_interval`; the figure computes the leave-one-out q by the same
calls as the claims' ``excess_loo`` (a plots module does not import a claims module), pinned
equal here.

The records are record-shaped objects (tests/maennel_mc_helpers.py) with run effects, so that
the jackknife's bias estimate is not 0 and the widened interval differs from the plain one; the
Alignments are doctored (monkeypatched ``experiments.maennel2020.alignment``, which both the
claims and the figure call) into the cases to tell apart."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from maennel_mc_helpers import record as _record
from maennel_mc_helpers import run_effect_rows as _run_effect_rows

from twolayer.experiments import Runs
from twolayer.experiments import maennel2020 as X

D, M = 8, 64
NAMES = {"random, App. E.1": "e1_random", "random, spread": "spread_random",
         "teacher, App. E.1": "e1_teacher", "teacher, spread": "spread_teacher"}


def _rec(seed: int, R: int = 4, tau: float = 0.3):
    """Two probe times (t = 0: isotropic rows; the end: rows with run effects of size τ around
    a rotated, anisotropic covariance), with what the figure reads of a Record's config."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((D, D))
    U = np.linalg.qr(A)[0]
    L = np.linalg.cholesky(U @ np.diag(np.geomspace(1.0, 0.1, D)) @ U.T)
    end = _run_effect_rows(rng, R, M, L, tau)
    start = rng.standard_normal((R, M, D)) / math.sqrt(D)
    rec = _record(np.stack([start, end], 1))
    rec.config = {"net": {"m": M, "init_var": 2.0 / D, "train_second_layer": True,
                          "bias": True},
                  "data": {"d": D, "num_classes": 10}}
    rec.times = np.array([0, 100])
    return rec


@pytest.fixture(scope="module")
def recs():
    return {lab: _rec(11 + k) for k, lab in enumerate(NAMES)}


def _doctor(monkeypatch, recs, edits):
    """X.alignment of each record with ``edits[label](a)`` applied (both the claims and the
    figure call it through the module)."""
    real = X.alignment
    by_id = {id(recs[lab]): fn for lab, fn in edits.items()}

    def doctored(rec):  # noqa: ANN001, ANN202
        a = real(rec)
        fn = by_id.get(id(rec))
        return fn(a) if fn else a

    monkeypatch.setattr(X, "alignment", doctored)


def _drawn(monkeypatch, tmp_path, recs):
    """(the q panel's drawn intervals by label, the labels drawn without one, the caption)."""
    from twolayer.plots import FIGURES
    from twolayer.plots import maennel2020 as P

    figs, captions = [], []
    real_cap = P.captioned_figure

    def spy_cap(w, h, caption):  # noqa: ANN001, ANN202
        captions.append(caption)
        return real_cap(w, h, caption)

    monkeypatch.setattr(P, "captioned_figure", spy_cap)
    monkeypatch.setattr(P, "save_png", lambda fig, path: figs.append(fig) or path)
    runs = Runs(quick=False)
    runs._cache.update({f"maennel2020.{NAMES[lab]}": rec for lab, rec in recs.items()})
    FIGURES["maennel2020-misalignment"].draw(tmp_path, runs)
    (fig,) = figs
    drawn, bare = {}, set()
    for ax in fig.get_axes():
        for c in ax.containers:
            gid = c.lines[0].get_gid() or ""
            if gid.startswith(P.Q_GID):
                (seg,) = c.lines[2][0].get_segments()
                drawn[gid[len(P.Q_GID):]] = (float(seg[0][1]), float(seg[1][1]))
        in_containers = {id(x) for c in ax.containers for x in (c.lines[0], *c.lines[1])}
        for line in ax.get_lines():
            gid = line.get_gid() or ""
            if gid.startswith(P.Q_GID) and id(line) not in in_containers:
                bare.add(gid[len(P.Q_GID):])
    return drawn, bare, captions[0]


def test_the_figures_leave_one_out_q_is_the_claims(recs):
    from twolayer.claims.maennel2020 import excess_loo
    from twolayer.plots.maennel2020 import q_loo

    for rec in recs.values():
        a, b = excess_loo(rec), q_loo(rec)
        assert np.isfinite(a).all() and np.array_equal(a, b)


def test_the_figure_draws_the_interval_the_claims_judge(monkeypatch, tmp_path, recs):
    """Doctored: App. E.1 random as measured (widened: its bias estimate is not 0), spread
    random floor-dominated (F_rand raised to 0.6 M_rand), App. E.1 teacher with its plain
    interval moved, spread teacher with F_rand at exactly M_rand/2 (not floor-dominated: the
    cut-off is strict). The drawn interval must be the claims' ``excess_interval`` for each;
    the floor-dominated one is drawn with none, and the caption says why."""
    from twolayer.claims.maennel2020 import excess_interval, floor_dominated

    edits = {
        "random, spread": lambda a: dataclasses.replace(a, floor_rand=0.6 * a.m_rand),
        "teacher, App. E.1": lambda a: dataclasses.replace(
            a, excess=0.45, excess_ci=(0.3, 0.6)),
        "teacher, spread": lambda a: dataclasses.replace(a, floor_rand=0.5 * a.m_rand),
    }
    _doctor(monkeypatch, recs, edits)
    drawn, bare, caption = _drawn(monkeypatch, tmp_path, recs)
    widened = 0
    for lab, rec in recs.items():
        a = X.alignment(rec)
        (lo, hi), b = excess_interval(rec, a)
        if lab == "random, spread":
            assert floor_dominated(a) and math.isnan(lo) and math.isfinite(b)
            assert lab in bare and lab not in drawn, (drawn, bare)
            assert "with no interval (floor-dominated" in caption, caption
            continue
        assert not floor_dominated(a) and math.isfinite(lo) and math.isfinite(hi)
        assert lab in drawn and lab not in bare, (lab, drawn, bare)
        assert drawn[lab] == pytest.approx((lo, hi), rel=1e-12, abs=1e-12), lab
        widened += (lo, hi) != pytest.approx(a.excess_ci, rel=1e-6, abs=1e-9)
    # the claims' interval differs from the plain one in every drawn case, so a figure that
    # draws the plain interval fails the comparison above
    assert widened == 3
    assert "plain 95% jackknife" not in caption
