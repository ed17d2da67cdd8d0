"""stats.population_share (the η² of maennel2020's B2 claims) against a Monte Carlo oracle.

The model: run r's value at level i is f_ri = μ_i + ε_ri with ε_ri ~ N(0, σ²) independent. The
population's η² is V / (V + σ²) with V = Σ_i (μ_i − μ̄)² / k, fixed here by construction (the
oracle), never computed by the code under test."""
from __future__ import annotations

import math

import numpy as np
import pytest

from twolayer.experiments.maennel2020 import explained_share, jackknife_pseudo
from twolayer.stats import population_share

K = 30


def _levels(eta2: float, sigma2: float = 1.0) -> np.ndarray:
    """k level means whose spread Σ (μ_i − μ̄)²/k is exactly V = σ² η² / (1 − η²)."""
    z = np.linspace(-1.0, 1.0, K)
    z = (z - z.mean()) / z.std()  # population variance 1
    return z * math.sqrt(sigma2 * eta2 / (1.0 - eta2))


def _draw(rng: np.random.Generator, mu: np.ndarray, R: int) -> np.ndarray:
    return mu[None, :] + rng.standard_normal((R, mu.size))


def test_the_levels_have_the_spread_the_oracle_says():
    mu = _levels(0.8)
    assert ((mu - mu.mean()) ** 2).mean() / (((mu - mu.mean()) ** 2).mean() + 1.0) == (
        pytest.approx(0.8))


@pytest.mark.parametrize("R", [3, 8])
def test_its_numerator_and_noise_are_unbiased(R):
    """V̂ and σ̂² average to V and σ² over many draws (the plug-in share does not: it is biased
    up by about (1 − η²)/R)."""
    rng = np.random.default_rng(20261206)
    mu = _levels(0.8)
    ests, plug = [], []
    for _ in range(4000):
        f = _draw(rng, mu, R)
        ests.append(population_share(f))
        plug.append(explained_share(f))
    ests, plug = np.array(ests), np.array(plug)
    # the ratio of unbiased parts is nearly unbiased at k = 30 levels: within 0.003 of 0.8 (the
    # Monte Carlo s.e. is 0.0006 and 0.0003; without the noise correction of V̂ the mean sits
    # 0.012 and 0.005 above)
    assert abs(ests.mean() - 0.8) < 0.003
    # the share of the runs at hand sits above by about (1 - 0.8)/R
    assert plug.mean() - 0.8 == pytest.approx(0.2 / R, rel=0.35)


def test_one_run_has_no_share_and_no_noise_no_variance():
    assert math.isnan(population_share(np.ones((1, K))))
    assert math.isnan(population_share(np.ones((4, K))))  # no variance at all


def test_seeds_that_trace_one_curve_give_one_and_pure_noise_about_zero():
    curve = np.linspace(0.1, 3.0, K)
    assert population_share(np.tile(curve, (5, 1))) == 1.0
    rng = np.random.default_rng(7)
    noise = np.array([population_share(rng.standard_normal((6, K))) for _ in range(2000)])
    # V = 0: V̂ is unbiased for 0, so the estimate sits around 0 and is below 0 about as often
    assert abs(np.mean(noise)) < 0.01
    assert 0.35 < np.mean(noise < 0) < 0.65


@pytest.mark.parametrize("R", [3, 8])
def test_the_jackknife_holds_eta2_at_least_08_rarely_at_a_true_08(R):
    """The error rate the B2 claims promise: at a true η² of exactly 0.8 the one-sided end of the
    95% jackknife interval clears 0.8 in about 2.5% of records (at most 6% allowed for 600
    draws); the plug-in share held in 0.35 (R = 3) and 0.25 (R = 8)."""
    rng = np.random.default_rng(41)
    mu = _levels(0.8)
    held = plug_held = 0
    draws = 600
    for _ in range(draws):
        f = _draw(rng, mu, R)
        _, ci, _ = jackknife_pseudo(lambda runs, f=f: population_share(f[runs]), R)
        held += ci[0] >= 0.8
        _, ci_p, _ = jackknife_pseudo(
            lambda runs, f=f: explained_share(f[runs]) if len(runs) >= 2 else math.nan, R)
        plug_held += ci_p[0] >= 0.8
    assert held / draws < 0.06
    assert plug_held / draws > 0.15  # the oracle: the biased statistic does break the promise
