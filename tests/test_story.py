"""The theory story at the default setting (d = 50, n = 1000, m = 400, η = 0.1, 1000 GD steps).

Predictions from Frei, Chatterji & Bartlett (2023) and from first principles, not from the code:

- clean-label test error ≈ 0 and noisy-label test error ≈ η (Theorem 1: test error ≤ η + o(1));
- a linear classifier is no better than chance (abstract; exact 1/2 by the x → −x symmetry);
- at initialisation ⟨w_j/‖w_j‖, μ⟩ ~ N(0, 1/d) for a Gaussian w_j, so the median of its absolute
  value is Φ⁻¹(3/4)/√d ≈ 0.674/√d (Lemma 4's weak features, Θ(1/√d));
- after training the neurons align with their own class's means: median correlation → Θ(1)
  (Lemma 12, amplification);
- at t = 0 every |∂ℓ/∂f| = 1/2 and, at small σ², per-sample gradients in a segment are nearly
  parallel, so ‖g_C‖/‖g_N‖ ≈ |C|/|N| ≈ (1 − η)/η.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from twolayer.config import Config
from twolayer.engine import Runtime
from twolayer.simulate import simulate

pytestmark = pytest.mark.usefixtures("single_thread")
PHI_INV_3_4 = 0.6744897501960817  # median of |N(0, 1)|


def test_theory_story_at_defaults():
    cfg = Config(seeds=3)
    assert (cfg.data.d, cfg.data.noise, cfg.train.steps) == (50, 0.1, 1000)
    rec = simulate(cfg, Runtime(device="cpu", progress=False))
    s, a = rec.summary, rec.arrays
    eta, d = cfg.data.noise, cfg.data.d

    assert s["test_error_clean"] < 0.02, s
    assert np.all(a["errors/test_error_clean"][:, -1] < 0.02)
    assert abs(s["test_error"] - eta) < 0.03, s
    assert abs(s["linear_test_error"] - 0.5) < 0.06, s
    assert math.isclose(s["corr_median_init"], PHI_INV_3_4 / math.sqrt(d), rel_tol=0.3), s
    assert s["corr_median_final"] > 0.5, s
    assert math.isclose(s["grad_ratio_init"], (1 - eta) / eta, rel_tol=0.3), s
