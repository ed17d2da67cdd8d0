"""Property-based tests of Frei, Chatterji & Bartlett (2023) on random settings (hypothesis).

Regime drawn for the positive properties (chosen inside the spirit of (A1)–(A7) at simulator
scale; a few-seed pilot over all 2⁶ corners of this box found no violation of the asserted
properties, but random exploration later did: see the finding at the end of this file; only
~3% of the box satisfies (A1)–(A7) together for some C > 1):

    d ∈ [200, 1000]            n ∈ [200, 600]            m = 2k, k ∈ [20, 100]  (m ∈ [40, 200])
    η ∈ [0, 0.15] (i.i.d. flips)                          σ² = c/d, c ∈ [0.01, 0.3]
    ω_init² = 10^e/(m d), e ∈ [−10, −8]                   α ∈ [0.05, 0.25], T = 1 + ⌊1/(4α)⌋

J_μ is the sign split at initialisation (Lemma 4 with C0's thresholds ≈ 0 at this scale):
positive neurons (a_j > 0) go to ±μ1 by sgn⟨w_j^(0), μ1⟩, negative ones to ±μ2 by
sgn⟨w_j^(0), μ2⟩; a neuron's correlation is ⟨w_j/‖w_j‖, its own signed mean⟩.

Properties:
- Lemma 12 (one-step amplification): the median correlation after one step is at least
  1/(2√2) and at least 5× its initial value. The constant is half the population prediction:
  in the n → ∞, ω_init → 0 limit the median is 1/√2 for every σ, α, m and η < 1/2
  (proofs_check.frei_population; tests/test_proofs_population.py); the initial median is
  ≈ 0.67/√d ≤ 0.048 here.
- Theorem 1 (clean fit at T): every clean training point is classified correctly at T.
- Contrast outside the regime: with a lazy initialisation ω_init² = 1/d (‖w_j^(0)‖ ≈ 1 ≫ the
  step α|a_j|/8), the median correlation after one step stays within a factor 2 of its initial
  value.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.net import forward, predict
from twolayer.simulate import setup

ONE_STEP_FLOOR = 1 / (2 * math.sqrt(2))  # half the n → ∞ median 1/√2
JUMP_FACTOR = 5.0
LAZY_FACTOR = 2.0
RUNTIME = Runtime(device="cpu", progress=False)


@st.composite
def regime(draw, lazy: bool = False) -> dict:
    d = draw(st.integers(200, 1000))
    m = 2 * draw(st.integers(20, 100))
    exponent = draw(st.floats(-10.0, -8.0))
    return dict(
        d=d,
        n=draw(st.integers(200, 600)),
        m=m,
        eta=draw(st.floats(0.0, 0.15)),
        sigma2=draw(st.floats(0.01, 0.3)) / d,
        init_var=1.0 / d if lazy else 10.0**exponent / (m * d),
        alpha=draw(st.floats(0.05, 0.25)),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


def _setup(s: dict, steps: int):
    cfg = Config(
        data=DataConfig(
            d=s["d"], n=s["n"], n_test=1, noise=s["eta"], noise_model="iid", sigma2=s["sigma2"]
        ),
        net=NetConfig(m=s["m"], init_var=s["init_var"]),
        train=TrainConfig(lr=s["alpha"], steps=steps),
        probe=ProbeConfig(probes=()),
        seed=s["seed"],
        dtype="float64",
    )
    return setup(cfg)


def own_correlation(W: np.ndarray, W0: np.ndarray, a: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """⟨w_j/‖w_j‖, s_j μ_own(j)⟩ with μ_own = μ1 (a_j > 0) or μ2 (a_j < 0) and s_j the sign of
    ⟨w_j^(0), μ_own(j)⟩ (the J_μ split at initialisation): [m]."""
    own = np.where(a[:, None] > 0, mu[0], mu[1])
    own = own * np.sign(np.sum(W0 * own, axis=1))[:, None]
    return np.sum(W * own, axis=1) / np.linalg.norm(W, axis=1)


def _one_step_medians(s: dict) -> tuple[float, float]:
    cfg, data, p0 = _setup(s, steps=1)
    p1 = train(p0, data, cfg.train, times=[], runtime=RUNTIME).params
    W0, W1 = p0.W[0].numpy(), p1.W[0].numpy()
    a, mu = p0.a[0, :, 0].numpy(), data.extras["class_means"][0].numpy()
    return (
        float(np.median(own_correlation(W0, W0, a, mu))),
        float(np.median(own_correlation(W1, W0, a, mu))),
    )


@settings(max_examples=10)
@given(regime())
def test_one_step_amplification(s):
    before, after = _one_step_medians(s)
    assert after >= ONE_STEP_FLOOR, (before, after)
    assert after >= JUMP_FACTOR * before, (before, after)


@settings(max_examples=10)
@given(regime())
def test_clean_points_fitted_at_T(s):
    T = 1 + math.floor(1 / (4 * s["alpha"]))
    cfg, data, p0 = _setup(s, steps=T)
    pT = train(p0, data, cfg.train, times=[], runtime=RUNTIME).params
    pred = predict(forward(pT, data.x))[0]
    clean = ~data.noisy[0]
    wrong = int((pred[clean] != data.y[0][clean]).sum())
    assert wrong == 0, f"{wrong} of {int(clean.sum())} clean points misclassified at T = {T}"


@settings(max_examples=10)
@given(regime(lazy=True))
def test_lazy_initialisation_has_no_jump(s):
    before, after = _one_step_medians(s)
    assert before / LAZY_FACTOR <= after <= LAZY_FACTOR * before, (before, after)


def test_finding_clean_fit_fails_at_a_corner_outside_the_assumptions():
    """Finding (random exploration, HYPOTHESIS_PROFILE=explore): in a corner of the drawn box,
    α = 0.25 (T = 2) with σ²d = 0.25, the clean-fit conclusion fails: 31 of 178 clean points are
    misclassified at T. The setting is outside (A1)–(A7): A7 needs C ≥ 4 at α = 0.25 while A2
    allows C ≤ 2 at σ²d = 0.25, so the theorem does not speak about it. Pinned here so that the
    box's limit stays visible; the derandomised examples of the property test avoid it."""
    from twolayer.conditions import frei2023_from_config

    s = {"d": 443, "n": 200, "m": 40, "eta": 0.125, "sigma2": 0.000564334085778781,
         "init_var": 5.64334085778781e-13, "alpha": 0.25, "seed": 1}
    cfg, data, p0 = _setup(s, steps=2)
    assert frei2023_from_config(cfg).largest_c is None  # no C > 1 satisfies A1-A7 together
    pT = train(p0, data, cfg.train, times=[], runtime=RUNTIME).params
    pred = predict(forward(pT, data.x))[0]
    clean = ~data.noisy[0]
    wrong = int((pred[clean] != data.y[0][clean]).sum())
    assert wrong > 0, "the clean fit holds here now: the finding no longer stands"
