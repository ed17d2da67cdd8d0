"""Maennel et al. (2020), B1: the empirical sampling floor of the misalignment M against
independent oracles.

For K i.i.d. Gaussian vectors with an exactly aligned (diagonal, distinct) covariance, the
misalignment of the sample covariance S in the data basis does not depend on the variances:
S_ii (S⁻¹)_ii = 1/(1 − B_i) with B_i the squared sample multiple correlation of coordinate i on
the others, B_i ~ Beta((d − 1)/2, (n − d + 1)/2), n = K − 1. Hence the closed form

    E[M] = d · [Γ((n − d)/2) Γ(n/2) / (Γ((n − d + 1)/2) Γ((n − 1)/2)) − 1],

the oracle for (a) the simulated mean of M (our misalignment code) and (b) the empirical floor
:func:`twolayer.experiments.maennel2020.correlation_noise`, which estimates it from R runs
without a Gaussian model. With heavy-tailed neurons (a multivariate t) the sample covariance is
noisier: the mean M exceeds the Gaussian closed form and the empirical floor follows the
simulated mean, not the closed form. With a misaligned population, M − floor estimates the
population M.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import gammaln

from twolayer.experiments import maennel2020 as mx
from twolayer.probes import maennel as mp

D, R, M = 10, 8, 200  # K = 1600 pooled neurons
SINGLETONS = [[i] for i in range(D)]


def _gaussian_floor(K: int, d: int) -> float:
    n = K - 1
    return d * (math.exp(gammaln((n - d) / 2) + gammaln(n / 2) - gammaln((n - d + 1) / 2)
                         - gammaln((n - 1) / 2)) - 1)


def _draw(rng: np.random.Generator, cov: np.ndarray, nu: float | None) -> np.ndarray:
    """[R, M, D] neurons ~ N(0, cov), or a multivariate t with nu degrees of freedom scaled to
    covariance cov."""
    lam, q = np.linalg.eigh(cov)
    z = rng.standard_normal((R, M, D)) @ (q * np.sqrt(lam)).T
    if nu is None:
        return z
    g = rng.chisquare(nu, size=(R, M, 1)) / nu
    return z / np.sqrt(g) * math.sqrt((nu - 2) / nu)


def _stats(w: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(pooled covariance, per-run covariances, M_data of the pooled one)."""
    sums, outers = w.sum(1), np.einsum("rmi,rmj->rij", w, w)
    pooled = mp.pooled_covariance(sums, outers, M)
    per_run = mp.run_covariance(sums, outers, M)
    return pooled, per_run, float(mp.misalignment(pooled))


def _simulate(cov: np.ndarray, nu: float | None, reps: int, seed: int
              ) -> tuple[float, float]:
    """(mean M_data, mean empirical floor) over ``reps`` draws of R runs of M neurons."""
    rng = np.random.default_rng(seed)
    ms, fs = [], []
    for _ in range(reps):
        _, per_run, m = _stats(_draw(rng, cov, nu))
        ms.append(m)
        fs.append(mx.correlation_noise(per_run, torch.eye(D, dtype=torch.float64), SINGLETONS))
    return float(np.mean(ms)), float(np.mean(fs))


def test_the_gaussian_closed_form_is_the_simulated_mean_of_m_and_the_empirical_floor():
    cov = np.diag(np.logspace(-1, 1, D))  # aligned, distinct variances
    m_mean, f_mean = _simulate(cov, None, reps=150, seed=0)
    oracle = _gaussian_floor(R * M, D)
    assert m_mean == pytest.approx(oracle, rel=0.05)
    assert f_mean == pytest.approx(oracle, rel=0.10)


def test_the_empirical_floor_follows_heavy_tailed_neurons_where_the_gaussian_floor_does_not():
    cov = np.diag(np.logspace(-1, 1, D))
    m_mean, f_mean = _simulate(cov, nu=5.0, reps=150, seed=1)
    oracle = _gaussian_floor(R * M, D)
    assert m_mean > 1.3 * oracle  # heavier tails: a noisier sample covariance
    assert f_mean == pytest.approx(m_mean, rel=0.15)


def test_m_minus_the_floor_estimates_the_population_misalignment():
    rot = np.eye(D)
    c, s = math.cos(0.35), math.sin(0.35)  # a small rotation in each of five planes
    for i in range(0, D, 2):
        rot[i:i + 2, i:i + 2] = [[c, -s], [s, c]]
    lam = np.logspace(-1, 1, D)
    cov = (rot * lam) @ rot.T
    population = float(mp.misalignment(cov))
    m_mean, f_mean = _simulate(cov, None, reps=100, seed=2)
    assert population > 2 * _gaussian_floor(R * M, D)  # the signal is above the floor
    assert m_mean - f_mean == pytest.approx(population, rel=0.12)
    assert m_mean > 1.1 * population  # the raw M is biased upwards by the floor


def test_the_floor_counts_only_pairs_across_eigenspaces():
    rng = np.random.default_rng(3)
    _, per_run, _ = _stats(_draw(rng, np.eye(D), None))
    eye = torch.eye(D, dtype=torch.float64)
    full = mx.correlation_noise(per_run, eye, SINGLETONS)
    one_block = mx.correlation_noise(per_run, eye, [list(range(D))])
    two = mx.correlation_noise(per_run, eye, [[0, 1], list(range(2, D))])
    assert one_block == 0.0
    assert 0.0 < two < full
