"""The measured premises of Liu et al. (2023) (twolayer/experiments/liu2023.py): the segment
law-of-large-numbers prediction of cos(g_clean^(c), g_noise^(c)) against sums of random vectors
(an independent oracle), and the early-window extremes and premises on hand-made Records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twolayer.experiments import liu2023 as E
from twolayer.record import Record

TIMES = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


def _record(arrays: dict[str, np.ndarray]) -> Record:
    R = next(iter(arrays.values())).shape[0]
    cfg = E.regime_config(E.plan(True), seeds=R)
    return Record(cfg.to_dict(), cfg.run_id, TIMES.copy(), arrays)


@pytest.mark.parametrize("n_clean,n_noisy,rho", [(140, 60, 0.0277), (1400, 600, 0.0277),
                                                  (700, 300, 0.095)])
def test_lln_cosine_matches_sums_of_random_vectors(n_clean, n_noisy, rho):
    """Sample-wise gradients v_i = √ρ u + √(1−ρ) z_i (pairwise cosine ρ); the clean segment sums
    them, a noisy segment sums them with the residual's sign flipped. The measured cosine of the
    two sums equals −√(S_c/(1+S_c) · S_n/(1+S_n)), S = Nρ/(1−ρ), within sampling error."""
    rng = np.random.default_rng(0)
    D = 1000
    u = rng.standard_normal(D)
    u /= np.linalg.norm(u)
    cos = []
    for _ in range(10):
        z = rng.standard_normal((n_clean + n_noisy, D)) / math.sqrt(D)
        v = math.sqrt(rho) * u + math.sqrt(1 - rho) * z
        gc, gn = v[:n_clean].sum(0), -v[n_clean:].sum(0)
        cos.append(gc @ gn / (np.linalg.norm(gc) * np.linalg.norm(gn)))
    rows = np.zeros((1, 1, 2))
    rec = _record({
        "init/mean_cos_logit_same_cc": np.array([rho]),
        "liu/class_count_clean": rows + n_clean, "liu/class_count_noisy": rows + n_noisy,
    })
    pred = float(E.predicted_lln_cos(rec)[0])
    assert abs(float(np.mean(cos)) - pred) < 0.03, (np.mean(cos), pred)
    assert math.isclose(float(E.segment_snr(rec)[0]), n_noisy * rho / (1 - rho), rel_tol=1e-9)


def _u(R: int) -> np.ndarray:
    e = np.concatenate([np.linspace(0.5, 0.05, 8), np.linspace(0.05, 0.3, 5)[1:]])
    return np.stack([e] * R)  # minimum at index 7 (t = 64): t* = 64, window t <= 32


def test_window_extreme_takes_the_worst_class_and_time_inside_the_window():
    R, T = 3, len(TIMES)
    cos = np.full((R, T, 2), -0.99)
    cos[:, 4, 1] = -0.5  # t = 8, class 1: inside the window
    cos[:, 9, 0] = 0.9  # t = 256: outside the window
    rec = _record({"errors/test_error_clean": _u(R), "segments/class_cos_clean_noisy": cos})
    end = E.early_end(rec)
    assert list(TIMES[end]) == [32] * R
    v, t = E.window_extreme(rec, "segments/class_cos_clean_noisy", end, "max")
    assert np.allclose(v, -0.5) and np.allclose(t, 8)
    v, t = E.window_extreme(rec, "segments/class_cos_clean_noisy", end, "min")
    assert np.allclose(v, -0.99)


def test_premises_hold_only_when_their_interval_clears_the_threshold():
    R, T = 4, len(TIMES)
    base = {"errors/test_error_clean": _u(R)}
    good = np.full((R, T, 2), -0.95) + 0.001 * np.arange(R)[:, None, None]
    ok, text, _ = E.premise_anticollinear(_record({**base, "segments/class_cos_clean_noisy": good}))
    assert ok and "holds" in text
    spread = good.copy()
    spread[0] = -0.99
    spread[1] = -0.8  # mean −0.9, wide interval: not established
    ok, text, _ = E.premise_anticollinear(_record({**base, "segments/class_cos_clean_noisy":
                                                   spread}))
    assert not ok and "not established" in text
    drift = np.linspace(0.0, 0.3, T)[None, :].repeat(R, 0)  # 0.3 · 5/11 ≈ 0.14 at t = 32
    ok, _, v = E.premise_ntk(_record({**base, "liu/grad_drift": drift}))
    assert not ok and np.allclose(v, 0.3 * 6 / 11)
    ok, text, _ = E.premise_ntk(_record(base))  # not recorded: not established
    assert not ok and "not recorded" in text
