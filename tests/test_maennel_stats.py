"""Maennel et al. (2020) statistics against independent oracles.

Misalignment M(Σ, B) = Σ_i [sqrt((b_iᵀΣb_i)(b_iᵀΣ⁻¹b_i)) − 1]: zero exactly (to float64
rounding) when the b_i are eigenvectors of Σ, in any order and sign; positive otherwise, equal to
the closed form of a rotated eigenvector pair, and to a direct np.linalg.inv computation for
random Σ and B. Covariance pooling from per-run sufficient statistics equals np.cov of all
neurons stacked; the probe's sums equal a per-neuron loop in the data frame.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from twolayer.config import DataConfig
from twolayer.data import sample_dataset
from twolayer.net import Params
from twolayer.probes import ProbeState
from twolayer.probes import maennel as mp

pytestmark = pytest.mark.usefixtures("single_thread")


def _orthogonal(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _spd(d: int, seed: int, spread: float = 3.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Σ, Q, λ): Σ = Q diag(λ) Qᵀ with distinct λ spanning ``spread`` decades."""
    q = _orthogonal(d, seed)
    lam = np.logspace(-spread / 2, spread / 2, d)
    return (q * lam) @ q.T, q, lam


def _oracle(cov: np.ndarray, basis: np.ndarray) -> float:
    inv = np.linalg.inv(cov)
    return float(sum(math.sqrt((b @ cov @ b) * (b @ inv @ b)) - 1 for b in basis.T))


@given(d=st.integers(2, 12), seed=st.integers(0, 10**6))
def test_misalignment_is_zero_for_eigenvectors_in_any_order_and_sign(d, seed):
    cov, q, _ = _spd(d, seed)
    rng = np.random.default_rng(seed + 1)
    basis = q[:, rng.permutation(d)] * rng.choice([-1.0, 1.0], size=d)
    terms = mp.misalignment_terms(cov, basis)
    assert terms.abs().max() < 1e-12
    assert abs(float(mp.misalignment(cov, basis))) < 1e-12


def test_misalignment_of_a_diagonal_covariance_in_the_frame_is_zero():
    cov = np.diag([0.1, 2.0, 7.0, 0.003])
    assert float(mp.misalignment(cov)) == 0.0  # identity basis: every term exactly 0


@given(
    theta=st.floats(0.05, math.pi / 2 - 0.05),
    l1=st.floats(0.01, 100.0),
    ratio=st.floats(1.05, 1e3),
)
def test_rotated_eigenvector_pair_matches_closed_form(theta, l1, ratio):
    """Σ = diag(λ1, λ2, λ3), b1 = cos θ e1 + sin θ e2, b2 = −sin θ e1 + cos θ e2, b3 = e3:
    (b·Σb)(b·Σ⁻¹b) = c⁴ + s⁴ + c²s²(λ1/λ2 + λ2/λ1) for b1 and b2, so
    M = 2[sqrt(c⁴ + s⁴ + c²s²(λ1/λ2 + λ2/λ1)) − 1] > 0."""
    l2 = l1 * ratio
    cov = np.diag([l1, l2, 0.5])
    c, s = math.cos(theta), math.sin(theta)
    basis = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    expected = 2 * (math.sqrt(c**4 + s**4 + c * c * s * s * (l1 / l2 + l2 / l1)) - 1)
    got = float(mp.misalignment(cov, basis))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert got > 0


@given(d=st.integers(2, 10), seed=st.integers(0, 10**6))
def test_misalignment_matches_direct_inverse(d, seed):
    cov, _, _ = _spd(d, seed, spread=2.0)
    basis = _orthogonal(d, seed + 7)
    got = float(mp.misalignment(cov, basis))
    assert got == pytest.approx(_oracle(cov, basis), rel=1e-9)
    assert got > 0  # a random basis is not an eigenbasis of Σ (distinct eigenvalues)


def test_misalignment_is_scale_invariant_and_zero_for_isotropic():
    cov, _, _ = _spd(6, 3)
    basis = _orthogonal(6, 4)
    assert float(mp.misalignment(7.5 * cov, basis)) == pytest.approx(
        float(mp.misalignment(cov, basis)), rel=1e-10
    )
    assert abs(float(mp.misalignment(2.0 * np.eye(6), basis))) < 1e-12


def test_misalignment_is_nan_for_singular_covariance():
    assert math.isnan(float(mp.misalignment(np.zeros((4, 4)))))
    v = np.array([1.0, 2.0, 0.0])
    assert math.isnan(float(mp.misalignment(np.outer(v, v))))


def test_random_bases_are_orthogonal_and_seeded():
    b = mp.random_bases(7, 5, seed=3)
    eye = torch.eye(7, dtype=torch.float64)
    assert torch.allclose(b.transpose(-1, -2) @ b, eye.expand(5, 7, 7), atol=1e-12)
    assert torch.equal(b, mp.random_bases(7, 5, seed=3))
    assert not torch.equal(b, mp.random_bases(7, 5, seed=4))


def test_misalignment_random_is_the_mean_over_bases():
    cov, _, _ = _spd(5, 11)
    bases = mp.random_bases(5, 4, seed=0)
    expected = np.mean([_oracle(cov, b.numpy()) for b in bases])
    assert float(mp.misalignment_random(cov, bases)) == pytest.approx(expected, rel=1e-9)


def test_degenerate_eigenspaces_use_the_fitted_basis():
    """Σ_x with eigenspaces {0, 1} and {2, 3, 4}: a Σ_w that is block diagonal (any blocks) is
    aligned in the sense of mapping each eigenspace into itself, so M with the data basis of
    :func:`data_basis` is 0; a coupling between the blocks makes it positive."""
    groups = mp.eigen_groups([0.5, 0.5, 0.01, 0.01, 0.01])
    assert groups == [[0, 1], [2, 3, 4]]
    a, _, _ = _spd(2, 1, spread=0.5)
    b, _, _ = _spd(3, 2, spread=0.5)
    cov = np.zeros((5, 5))
    cov[:2, :2], cov[2:, 2:] = a, b
    assert abs(float(mp.misalignment(cov, mp.data_basis(cov, groups)))) < 1e-12
    assert float(mp.misalignment(cov)) > 0.01  # the identity is not an eigenbasis of the blocks
    coupled = cov.copy()
    coupled[0, 3] = coupled[3, 0] = 0.3 * math.sqrt(cov[0, 0] * cov[3, 3])
    assert np.linalg.eigvalsh(coupled).min() > 0
    assert float(mp.misalignment(coupled, mp.data_basis(coupled, groups))) > 1e-3
    assert torch.equal(mp.block_diagonal(coupled, groups), torch.as_tensor(cov))
    # the control gets the same freedom: within random subspaces of the same dimensions
    iso = np.diag([2.0, 2.0, 1.0, 1.0, 1.0])  # exactly aligned, scalar on each eigenspace
    assert float(mp.misalignment_random(iso, mp.random_bases(5, 3), groups)) > 0.01
    assert mp.eigen_groups([1.0, 2.0, 3.0]) == [[0], [1], [2]]


def test_transfer_function_is_sqrt_of_the_frame_diagonal():
    cov, _, _ = _spd(4, 5)
    f = mp.transfer_function(cov)
    assert torch.allclose(f, torch.as_tensor(np.sqrt(np.diag(cov))), rtol=1e-12)


def test_offdiag_energy():
    assert float(mp.offdiag_energy(np.diag([1.0, 4.0]))) == 0.0
    c = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert float(mp.offdiag_energy(c)) == pytest.approx(math.sqrt(0.5), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Pooling: per-run sufficient statistics → pooled covariance
# ---------------------------------------------------------------------------------------------


@given(R=st.integers(1, 4), m=st.integers(2, 9), d=st.integers(2, 6), seed=st.integers(0, 10**6))
def test_pooled_covariance_equals_np_cov_of_all_neurons(R, m, d, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((R, m, d)) * rng.uniform(0.1, 3.0, d) + rng.standard_normal(d)
    sums = W.sum(1)
    outers = np.einsum("rmi,rmj->rij", W, W)
    if R * m > 1:
        pooled = mp.pooled_covariance(sums, outers, m).numpy()
        assert np.allclose(pooled, np.cov(W.reshape(R * m, d).T), rtol=1e-9, atol=1e-12)
    per_run = mp.run_covariance(sums, outers, m).numpy()
    for r in range(R):
        assert np.allclose(per_run[r], np.cov(W[r].T), rtol=1e-9, atol=1e-12)


def test_pooling_keeps_middle_axes():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 5, 8, 4))  # [R, T, m, d]
    sums, outers = W.sum(2), np.einsum("rtmi,rtmj->rtij", W, W)
    pooled = mp.pooled_covariance(sums, outers, 8).numpy()  # [T, d, d]
    for t in range(5):
        assert np.allclose(pooled[t], np.cov(W[:, t].reshape(-1, 4).T), atol=1e-12)


def _probe_state(kind: str, seed: int = 0) -> ProbeState:
    extra = {"spectrum": "log", "sigma2_min": 0.01} if kind == "gaussian" else {}
    cfg = DataConfig(kind=kind, d=6, n=10, n_test=5, noise=0.0, rotate=True, **extra)
    data = sample_dataset(cfg, [seed, seed + 1], torch.float64)
    g = torch.Generator().manual_seed(seed)
    W0 = torch.randn(2, 7, 6, generator=g, dtype=torch.float64)
    W = W0 + 0.1 * torch.randn(2, 7, 6, generator=g, dtype=torch.float64)
    a = torch.zeros(2, 7, 1, dtype=torch.float64)
    return ProbeState(3, Params(W, a, None), Params(W0, a, None), data, "logistic")


@pytest.mark.parametrize("kind", ["gaussian", "xor"])
def test_probe_sums_match_a_per_neuron_loop_in_the_frame(kind):
    s = _probe_state(kind)
    out = mp.maennel_probe(s)
    frame = mp.data_frame(s.data).to(torch.float64)
    for r in range(2):
        V = frame[r]
        assert torch.allclose(V @ V.T, torch.eye(6, dtype=torch.float64), atol=1e-6)
        for key, M in (("w", s.params.W[r]), ("dw", s.params.W[r] - s.init.W[r])):
            total = torch.zeros(6, dtype=torch.float64)
            outer = torch.zeros(6, 6, dtype=torch.float64)
            for w in M:  # one neuron at a time
                wt = V @ w
                total += wt
                outer += torch.outer(wt, wt)
            assert torch.allclose(out[f"{key}_sum"][r], total, atol=1e-10)
            assert torch.allclose(out[f"{key}_outer"][r], outer, atol=1e-10)


def test_data_frame_is_the_eigenbasis_or_starts_with_the_means():
    s = _probe_state("gaussian")
    assert torch.equal(mp.data_frame(s.data), s.data.extras["eigenbasis"])
    s = _probe_state("xor")
    frame = mp.data_frame(s.data)
    for r in range(2):
        for k in range(2):  # rows 0, 1 are ±μ1, ±μ2
            assert abs(abs(float(frame[r, k] @ s.data.extras["class_means"][r, k])) - 1) < 1e-6
