"""Claims of Liu et al. (2023) (twolayer/claims/liu2023.py): measurement helpers and verdict rules
on records with hand-made arrays (expected values worked out by hand), a smoke run of every
claim on tiny settings, and (slow) the real ``--quick`` check against the records it used."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from twolayer.claims import liu2023 as L
from twolayer.claims.base import CLAIMS, FAILS, HOLDS, INCONCLUSIVE, Experiments, claims_for
from twolayer.engine import Runtime
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
TIMES = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


def _record(arrays: dict[str, np.ndarray], noise: float = 0.3, n_test: int = 2000) -> Record:
    cfg = L.xor_config(L.plan(True), seeds=next(iter(arrays.values())).shape[0])
    cfg = cfg.replace(data__noise=noise, data__n_test=n_test)
    return Record(cfg.to_dict(), cfg.run_id, TIMES.copy(), arrays)


def _u_curve(emin: float, t_min_index: int, e_end: float, flat: int = 0) -> np.ndarray:
    """A U: 0.5 at t=0, linear down to emin at index t_min_index (flat for ``flat`` more
    indices), linear up to e_end at the last index."""
    T = len(TIMES)
    e = np.empty(T)
    e[: t_min_index + 1] = np.linspace(0.5, emin, t_min_index + 1)
    e[t_min_index : t_min_index + flat + 1] = emin
    start = t_min_index + flat
    e[start:] = np.linspace(emin, e_end, T - start)
    return e


def test_bottom_range_and_t_star_on_a_flat_bottom():
    e = _u_curve(0.05, 4, 0.3, flat=3)  # minimum 0.05 at indices 4..7 (t = 8..64)
    e[6] = 0.0495  # the argmin inside the plateau is noise
    rec = _record({"errors/test_error_clean": e[None, :]})
    lo, hi = L.bottom_range(rec)[0]
    assert (TIMES[lo], TIMES[hi]) == (8, 64)  # within one s.e. sqrt(0.05·0.95/2000) ≈ 0.0049
    assert math.isclose(L.t_star(rec)[0], math.sqrt(8 * 64))
    assert L.t_argmin(rec)[0] == 32
    assert TIMES[L.t_star_index(rec)[0]] in (16, 32)  # nearest on a log scale to √512 ≈ 22.6


def test_t_cross_first_time_at_or_below_one_plus_eps():
    ratio = np.array([[3.0, 2.9, 2.5, 2.0, 1.6, 1.2, 1.06, 1.05, 1.01, 1.0, 1.0, 1.0],
                      [3.0, 2.9, 2.5, 2.0, 1.6, 1.2, 1.10, 1.08, 1.07, 1.06, 1.06, 1.06]])
    rec = _record({"segments/grad_ratio": ratio})
    tx = L.t_cross(rec)
    assert tx[0] == 64 and math.isnan(tx[1])
    assert L.t_cross(rec, 0.0)[0] == 256


def test_alpha_monotone_share_counts_increasing_intervals_up_to_t_cross():
    # α = 1/ratio; the ratio rises once (4 → 5) in the 7 intervals up to t_x = 64
    ratio = np.array([[4.0, 5.0, 3.0, 2.5, 2.0, 1.5, 1.2, 1.04, 1.2, 1.0, 1.1, 1.0]])
    rec = _record({"segments/grad_ratio": ratio})
    assert math.isclose(L.alpha_monotone_share(rec)[0], 6 / 7)


def _u_record(emins, ends, noise=0.3):
    e = np.stack([_u_curve(m, 6, x) for m, x in zip(emins, ends)])
    R = e.shape[0]
    arrays = {
        "errors/test_error_clean": e,
        "errors/noisy_fit_fraction": np.zeros((R, len(TIMES))),
        "errors/train_error_clean": np.zeros((R, len(TIMES))),
    }
    return _record(arrays, noise=noise)


def test_u_shape_verdicts():
    holds = L._u_shape("liu2023.fig1.u_shape.xor", _u_record([0.05, 0.06, 0.07], [0.2, 0.22, 0.21]))
    assert holds.verdict == HOLDS
    assert math.isclose(holds.measured, 0.06)
    # monotone decrease (no rise): fails
    flat = L._u_shape("liu2023.fig1.u_shape.xor", _u_record([0.05, 0.06, 0.07], [0.05, 0.06, 0.07]))
    assert flat.verdict == FAILS
    # minimum above the noise level: fails
    high = L._u_shape("liu2023.fig1.u_shape.xor",
                      _u_record([0.35, 0.36, 0.37], [0.45, 0.46, 0.47]))
    assert high.verdict == FAILS


def test_crossing_verdicts():
    e = np.stack([_u_curve(0.05, 6, 0.2)] * 3)  # t* = 32 (single-point bottom)
    def rec_with(ratio_row):
        return _record({"errors/test_error_clean": e,
                        "segments/grad_ratio": np.stack([ratio_row] * 3)})
    near = np.array([3, 3, 3, 3, 3, 2, 1.5, 1.04, 1, 1, 1, 1.0])  # t_x = 64: factor 2
    v = L._crossing("liu2023.thm45.crossing_near_tstar.xor", rec_with(near))
    assert v.verdict == HOLDS and math.isclose(v.measured, 2.0)
    far = np.array([3, 3, 3, 3, 3, 2, 1.8, 1.6, 1.4, 1.3, 1.2, 1.04])  # t_x = 1024: factor 32
    v = L._crossing("liu2023.thm45.crossing_near_tstar.xor", rec_with(far))
    assert v.verdict == FAILS
    never = np.array([3, 3, 3, 3, 3, 2, 1.8, 1.6, 1.4, 1.3, 1.2, 1.1])
    v = L._crossing("liu2023.thm45.crossing_near_tstar.xor", rec_with(never))
    assert v.verdict == FAILS  # lower bound T/t* = 32 > 10 already
    mid = np.array([3, 3, 3, 3, 3, 2, 1.8, 1.6, 1.5, 1.04, 1.0, 1.0])  # factor 8
    v = L._crossing("liu2023.thm45.crossing_near_tstar.xor", rec_with(mid))
    assert v.verdict == INCONCLUSIVE


def test_interval_and_combine():
    assert L.interval_outcome((-0.05, 0.05), -0.1, 0.1) == HOLDS
    assert L.interval_outcome((0.2, 0.3), -0.1, 0.1) == FAILS
    assert L.interval_outcome((0.05, 0.3), -0.1, 0.1) == INCONCLUSIVE
    assert L.combine(HOLDS, HOLDS) == HOLDS
    assert L.combine(HOLDS, INCONCLUSIVE) == INCONCLUSIVE
    assert L.combine(INCONCLUSIVE, FAILS) == FAILS


def test_every_claim_has_tag_source_and_runs_on_tiny_settings(monkeypatch):
    """All liu2023 claims on tiny settings: they run, return one verdict each with a finite or
    NaN measured value, and the verdict names its claim (smoke test, not a check of the paper)."""
    tiny = L.Plan(seeds=2, k10_seeds=2, xor_steps=40, sgd_steps=40, mixture_steps=40,
                  k10_steps=40, widths=(16, 32), width_steps=30, xor_large_n=800,
                  k10_large_n=1000, n_test=200, num_times=8)
    monkeypatch.setitem(L.PLANS, "quick", tiny)
    claims = claims_for(["liu2023"])
    assert len(claims) >= 20
    exps = Experiments(quick=True, runtime=Runtime(device="cpu", progress=False))
    for c in claims:
        assert c.tag in ("[PAPER]", "[PAPER-PARTIAL]", "[SECONDARY]", "[INFERRED]")
        v = c.check(exps)
        assert v.id == c.id and v.paper == "liu2023"
        assert v.verdict in (HOLDS, FAILS, INCONCLUSIVE)
        assert v.seeds == 2
        assert v.setting and v.bound and v.detail


@pytest.mark.slow
def test_quick_check_runs_in_two_minutes_and_reports_the_records():
    """``twolayer check liu2023 --quick`` (library call): under 2 minutes (on a shared machine
    the budget is generous), and the measured values are those of the records."""
    exps = Experiments(quick=True, runtime=Runtime(device="cpu", progress=False))
    start = time.perf_counter()
    verdicts = {c.id: c.check(exps) for c in claims_for(["liu2023"])}
    wall = time.perf_counter() - start
    assert wall < 120, f"quick check took {wall:.0f} s"
    assert set(verdicts) == {cid for cid in CLAIMS if cid.startswith("liu2023.")}
    xor = exps.get("liu2023.xor")
    emin = xor.arrays["errors/test_error_clean"].min(axis=1)
    assert math.isclose(verdicts["liu2023.fig1.u_shape.xor"].measured, float(emin.mean()),
                        rel_tol=1e-6)
    cos0 = xor.arrays["segments/class_cos_clean_noisy"][:, 0].mean(-1)
    assert math.isclose(verdicts["liu2023.asm41.init_anticollinear.xor"].measured,
                        float(cos0.mean()), rel_tol=1e-6)
    # the paper's central phenomenon is reproduced in every setting
    for k in ("xor", "xor_sgd", "mixture", "k10"):
        assert verdicts[f"liu2023.fig1.u_shape.{k}"].verdict == HOLDS
