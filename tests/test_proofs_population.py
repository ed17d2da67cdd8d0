"""The sympy population gradient of a neuron at initialisation (proofs_check.frei_population)
against independent oracles: numerical quadrature of the 1-D integrals, Monte Carlo on the
Gaussian 2-XOR clusters, and one GD step of the simulator at large n.

Tolerances are k standard errors, with the standard errors estimated from the same samples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from proofs_check import frei_population as fp
from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup

Z = 5.0  # tolerance in standard errors (a few dozen comparisons per test)


def test_derivation_checks_pass():
    results = fp.checks()
    assert len(results) == 6
    failed = [r.name + ": " + r.detail for r in results if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize("b, sigma", [(-0.7, 0.5), (0.0, 1.0), (0.3, 0.2), (2.0, 1.5)])
def test_sympy_integrals_match_quadrature(b, sigma):
    der = fp.derive()
    S = der.symbols
    bsym = next(s for s in der.half_space_mass.free_symbols if s.name == "b")
    subs = {bsym: b, S["sigma"]: sigma}
    dens = lambda s: math.exp(-(s**2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)  # noqa: E731
    mass, _ = integrate.quad(dens, -b, np.inf)
    moment, _ = integrate.quad(lambda s: s * dens(s), -b, np.inf)
    assert float(sp.N(der.half_space_mass.subs(subs))) == pytest.approx(mass, abs=1e-10)
    assert float(sp.N(der.half_space_first_moment.subs(subs))) == pytest.approx(moment, abs=1e-10)


def _mc_mean_se(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return terms.mean(0), terms.std(0, ddof=1) / math.sqrt(terms.shape[0])


@pytest.mark.parametrize("kappa", [-2.0, -0.5, 0.0, 0.8, 3.0])
def test_half_space_moment_monte_carlo(kappa):
    """E[1[⟨w, x⟩ > 0] x] = c Φ(κ) + σ φ(κ) u for x = c + z, z ~ N(0, σ²I), κ = ⟨u, c⟩/σ."""
    rng = np.random.default_rng(11)
    d, sigma, N = 4, 0.4, 400_000
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    # a centre c with ⟨u, c⟩ = κσ plus a component orthogonal to u
    perp = rng.standard_normal(d)
    perp -= (perp @ u) * u
    c = kappa * sigma * u + 0.7 * perp / np.linalg.norm(perp)
    w = 3.7 * u  # the norm of w must not matter
    x = c + sigma * rng.standard_normal((N, d))
    mean, se = _mc_mean_se((x @ w > 0)[:, None] * x)
    want = c * stats.norm.cdf(kappa) + sigma * stats.norm.pdf(kappa) * u
    assert np.all(np.abs(mean - want) <= Z * se), (mean, want, se)


def _mixture(N: int, d: int, sigma: float, eta: float, rng: np.random.Generator):
    """Frei's 4 clusters with μ1 = e1, μ2 = e2 and i.i.d. label flips at rate η."""
    mu = np.eye(d)[:2]
    cl = rng.integers(0, 4, N)
    sign = np.where(cl % 2 == 0, 1.0, -1.0)
    centre = sign[:, None] * mu[cl // 2]
    y = np.where(cl < 2, 1.0, -1.0) * np.where(rng.random(N) < eta, -1.0, 1.0)
    return centre + sigma * rng.standard_normal((N, d)), y, mu


def test_population_direction_monte_carlo():
    """g(w) = E[(1/2) y 1[⟨w, x⟩ > 0] x] on the noisy mixture, per neuron and coordinate; the
    same samples reject the formula without its σφ u term (the test has power)."""
    rng = np.random.default_rng(5)
    d, sigma, eta, N = 6, 0.3, 0.2, 500_000
    x, y, mu = _mixture(N, d, sigma, eta, rng)
    W = rng.standard_normal((6, d))
    W[:, :2] *= 0.3  # κ = ⟨u, μ⟩/σ of order 1
    W[0, :2] = [0.05, -0.4]  # clearly different |κ1|, |κ2|: a sizeable u-term
    pred = fp.population_direction(W, mu[0], mu[1], sigma, eta)
    act = (x @ W.T > 0).astype(float)  # [N, m]
    coef = 0.5 * y[:, None] * act
    mean = coef.T @ x / N
    second = (coef**2).T @ (x**2) / N
    se = np.sqrt((second - mean**2) / (N - 1))
    z = (mean - pred) / se
    assert np.all(np.abs(z) <= Z), np.abs(z).max()
    # without the u-term the formula is rejected
    u = W / np.linalg.norm(W, axis=1, keepdims=True)
    _, _, gu = fp.step_coefficients(u @ mu[0], u @ mu[1], sigma, eta)
    z_wrong = (mean - (pred - gu[:, None] * u)) / se
    assert np.abs(z_wrong).max() > 3 * Z


def _one_step(d, n, m, eta, sigma2, alpha, init_var, seed):
    cfg = Config(
        data=DataConfig(d=d, n=n, n_test=1, noise=eta, noise_model="iid", sigma2=sigma2),
        net=NetConfig(m=m, init_var=init_var),
        train=TrainConfig(lr=alpha, steps=1),
        probe=ProbeConfig(probes=()),
        seed=seed,
        dtype="float64",
    )
    cfg, data, p0 = setup(cfg)
    res = train(p0, data, cfg.train, times=[], runtime=Runtime(device="cpu", progress=False))
    return (
        data.x[0].numpy(),
        data.y[0].numpy().astype(float),
        data.extras["class_means"][0].numpy(),
        p0.W[0].numpy(),
        p0.a[0, :, 0].numpy(),
        res.params.W[0].numpy(),
    )


def _sample_stats(x, y, W):
    """Mean and standard error of the terms (1/2) y_i 1[⟨w_j, x_i⟩ > 0] x_i: [m, d] each."""
    n = x.shape[0]
    coef = 0.5 * y[:, None] * (x @ W.T > 0)
    mean = coef.T @ x / n
    second = (coef**2).T @ (x**2) / n
    return mean, np.sqrt(np.maximum(second - mean**2, 0.0) / (n - 1))


def test_simulator_one_step_matches_population_update():
    """One GD step of twolayer.engine.train at n = 200 000 (float64) against the n → ∞ update
    Δw_j = α a_j g(w_j^(0)), neuron by neuron, within 5 sampling standard errors."""
    d, n, m, eta, sigma2, alpha = 10, 200_000, 8, 0.1, 0.05, 0.1
    x, y, mu, W0, a, W1 = _one_step(d, n, m, eta, sigma2, alpha, 1e-12, seed=3)
    sigma = math.sqrt(sigma2)
    pred = fp.expected_update(W0, a, mu[0], mu[1], sigma, alpha, eta)
    _, se = _sample_stats(x, y, W0)
    # −ℓ'(y f0) differs from 1/2 by at most |f0|/4 (f0 is tiny at this initialisation)
    f0 = np.abs(np.maximum(x @ W0.T, 0) @ a).max()
    slack = f0 / 4 * np.abs(x).max()
    scale = alpha * np.abs(a)[:, None]
    z = (W1 - W0 - pred) / (scale * se)
    assert np.all(np.abs(W1 - W0 - pred) <= scale * (Z * se + slack)), np.abs(z).max()
    # the errors look like sampling noise: no bias hidden by the tolerance
    assert np.sqrt(np.mean(z**2)) < 1.5
    # and the update is far from trivial: the μ-components dominate the noise
    assert np.abs(pred[:, :2]).max() > 100 * (scale * se).max()


def test_one_step_correlation_matches_simulator():
    """The predicted normalised correlation of w_j^(1) with the neuron's own signed mean
    (sgn⟨w_j^(0), μ1⟩ μ1 for a_j > 0, sgn⟨w_j^(0), μ2⟩ μ2 for a_j < 0) against the simulator at
    n = 50 000, per neuron and for the median; the tolerance is 5 delta-method standard errors of
    each neuron's correlation, from the sampling error of Δw."""
    d, n, m, eta, alpha = 100, 50_000, 40, 0.1, 0.1
    sigma2 = 0.1 / d
    x, y, mu, W0, a, W1 = _one_step(d, n, m, eta, sigma2, alpha, 1e-10 / (m * d), seed=7)
    p1, p2, r = W0 @ mu[0], W0 @ mu[1], np.linalg.norm(W0, axis=1)
    c1, c2 = fp.one_step_correlations(p1, p2, r, math.sqrt(sigma2), alpha, a, eta)
    pred = fp.own_signed_correlation(c1, c2, p1, p2, a)
    sign = np.where(a > 0, np.sign(p1), np.sign(p2))
    own = np.where(a[:, None] > 0, mu[0], mu[1]) * sign[:, None]
    got = np.sum(W1 * own, 1) / np.linalg.norm(W1, axis=1)
    # delta method: corr(w) = ⟨w, μ⟩/‖w‖ has gradient (μ − corr·ŵ)/‖w‖ at the predicted w^(1);
    # Δw is α a_j times a sample mean, so corr's standard error is that of the projected terms
    w1_pred = W0 + fp.expected_update(W0, a, mu[0], mu[1], math.sqrt(sigma2), alpha, eta)
    norm1 = np.linalg.norm(w1_pred, axis=1, keepdims=True)
    grad = (own - pred[:, None] * w1_pred / norm1) / norm1  # [m, d]
    coef = 0.5 * y[:, None] * (x @ W0.T > 0)  # [n, m]
    proj = alpha * a * coef * (x @ grad.T)  # [n, m]: the terms whose mean moves corr
    se = proj.std(0, ddof=1) / math.sqrt(n)
    tol = Z * se + 1e-6  # 1e-6: second-order and −ℓ'(f0) ≠ 1/2 effects (f0 ~ 1e-6 here)
    assert np.all(np.abs(got - pred) <= tol), np.abs(got - pred).max()
    assert np.sqrt(np.mean(((got - pred) / se) ** 2)) < 1.5  # errors look like sampling noise
    assert abs(np.median(got) - np.median(pred)) <= tol.max()
    # the prediction is not the initial correlation: the step moved every neuron a lot
    init = np.abs(np.where(a > 0, p1, p2)) / r
    assert np.median(pred) > 5 * np.median(init)


def test_limit_correlation_median_is_one_over_sqrt2():
    """In the n → ∞, ω_init → 0 limit the one-step correlation with the own signed mean is
    ≈ |erf(κ1/√2)| / sqrt(erf(κ1/√2)² + erf(κ2/√2)²) (up to O(σ²) u-terms); κ1, κ2 are i.i.d. at
    initialisation, so its median over neurons is 1/√2 whatever σ (the basis of the constant in
    tests/test_properties_frei.py). Checked by sampling ρ ~ N(0, 1/d): 1/√2 must lie between the
    sample quantiles 1/2 ± 3·(1/2)/√N."""
    rng = np.random.default_rng(1)
    d, N = 500, 20_000
    for c in (0.01, 0.3, 3.0):
        rho1, rho2 = rng.standard_normal((2, N)) / math.sqrt(d)
        c1, _ = fp.limit_correlations(rho1, rho2, math.sqrt(c / d), np.ones(N))
        own = np.sign(rho1) * c1
        # the sample median of N draws is within ±3 binomial standard deviations of ranks
        lo, hi = np.quantile(own, [0.5 - 3 * 0.5 / math.sqrt(N), 0.5 + 3 * 0.5 / math.sqrt(N)])
        assert lo <= 1 / math.sqrt(2) <= hi, (c, lo, hi)

