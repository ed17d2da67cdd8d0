"""Probes of the parity runs (registered under ``barak_parity``, ``barak_weights``,
``barak_gap``). Notation of the paper: f(x; θ) = Σ_j u_j σ(w_j·x + b_j), W_t the first layer at
step t, S the support (read from ``data.extras["support"]``, a 0/1 mask).

barak_parity, per run at every probe time t:
- ``val_error``: err_t = mean 1[sign f(x) ≠ χ_S(x)] over the 2^13 fresh validation points
  [PAPER criterion: solved ⇔ err_t = 0]; ``val_loss``: the mean hinge loss there.
- ``rho``: ρ_t = ‖W_t − W_0‖_∞ = max_{j,i} |W_t[j,i] − W_0[j,i]| [PAPER].
- ``rel_abs`` / ``irr_abs``: mean_{j, i∈S} |W_t[j,i]| and mean_{j, i∉S} |W_t[j,i]|;
  ``weight_ratio`` = rel_abs / irr_abs (the relevant/irrelevant weight ratio).
- ``move_ratio``: mean_{j, i∈S}|ΔW_ji| / mean_{j, i∉S}|ΔW_ji|, ΔW = W_t − W_0 (an ℓ1 form of the
  card's C_t [PROPOSAL]); ``max_ratio``: R_t = max_{j,i∈S}|ΔW_ji| / max_{j,i∉S}|ΔW_ji|
  [PROPOSAL].
barak_weights: ``W`` [R, m, n], the whole first layer (small widths only: figure F3).
barak_gap: the population gradient G_ji = E_x[∂ℓ/∂W_ji] exactly, by enumerating {±1}^n (n ≤ 16)
with clean labels; per neuron γ_j = min_{i∈S}|G_ji| − max_{i∉S}|G_ji| (the Fourier gap of
Definition 1, as read through the card [SECONDARY]); ``gamma_max`` = max_j γ_j, ``gamma_pos`` =
the fraction of neurons with γ_j > 0, ``c_ratio`` = mean_{i∈S}‖G_{:,i}‖₂ / mean_{i∉S}‖G_{:,i}‖₂
[PROPOSAL].
"""

from __future__ import annotations

import itertools

import torch

from twolayer.api import Params, probe
from twolayer.api import forward as api_forward

from .data import parity

ENUMERATE_MAX = 16


def forward(p: Params, x: torch.Tensor) -> torch.Tensor:
    """f(x) [R, N] for inputs x [R, N, n]: twolayer's blocked forward pass
    (:func:`twolayer.api.forward`; 2.5x faster than a plain bmm with one output column on the
    2^13 validation points at m = 100)."""
    return api_forward(p, x)[..., 0]


def _mask(state) -> torch.Tensor:
    return state.data.extras["support"] > 0.5  # [R, n]


@probe("barak_parity")
def parity_probe(state) -> dict[str, torch.Tensor]:
    p, p0, data = state.params, state.init, state.data
    f = forward(p, data.x_test)
    y = data.y_test_true.to(f.dtype)
    err = ((f > 0).to(f.dtype) * 2 - 1 != y).to(f.dtype).mean(1)
    loss = torch.relu(1 - y * f).mean(1)
    mask = _mask(state).unsqueeze(1).expand_as(p.W)  # [R, m, n]
    A, D = p.W.abs(), (p.W - p0.W).abs()
    k, n_rest = mask.sum((1, 2)).clamp(min=1), (~mask).sum((1, 2)).clamp(min=1)

    def mean(t, msk, cnt):
        return torch.where(msk, t, torch.zeros_like(t)).sum((1, 2)) / cnt

    def mx(t, msk):
        return torch.where(msk, t, torch.zeros_like(t)).amax((1, 2))

    tiny = torch.finfo(p.W.dtype).tiny
    return {
        "val_error": err, "val_loss": loss, "rho": D.flatten(1).amax(1),
        "rel_abs": mean(A, mask, k), "irr_abs": mean(A, ~mask, n_rest),
        "weight_ratio": mean(A, mask, k) / mean(A, ~mask, n_rest).clamp(min=tiny),
        "move_ratio": mean(D, mask, k) / mean(D, ~mask, n_rest).clamp(min=tiny),
        "max_ratio": mx(D, mask) / mx(D, ~mask).clamp(min=tiny),
    }


@probe("barak_weights")
def weights_probe(state) -> dict[str, torch.Tensor]:
    return {"W": state.params.W.clone()}


def cube(n: int, dtype=torch.float32) -> torch.Tensor:
    """All 2^n points of {±1}^n: [2^n, n]."""
    return torch.tensor(list(itertools.product((-1.0, 1.0), repeat=n)), dtype=dtype)


def population_gradient(p: Params, mask: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """G [R, m, n] = E_x[∂ℓ/∂W] of the hinge loss with clean labels y = χ_S(x), exact over
    {±1}^n: ∂ℓ/∂W_j = −y 1[y f < 1] u_j 1[w_j·x + b_j > 0] x."""
    n = p.W.shape[2]
    if n > ENUMERATE_MAX:
        raise ValueError(f"exact enumeration needs n <= {ENUMERATE_MAX}, not {n}")
    X = cube(n, p.W.dtype).to(p.W.device)
    G = torch.zeros_like(p.W)
    for i in range(0, X.shape[0], chunk):
        x = X[i:i + chunk].unsqueeze(0).expand(p.W.shape[0], -1, -1)
        y = parity(x, mask)
        pre = torch.bmm(x, p.W.transpose(1, 2))
        if p.b is not None:
            pre = pre + p.b.unsqueeze(1)
        f = torch.bmm(pre.relu(), p.a)[..., 0]
        c = -y * (y * f < 1).to(f.dtype)  # ∂ℓ/∂f  [R, N]
        delta = c.unsqueeze(-1) * p.a[:, :, 0].unsqueeze(1) * (pre > 0).to(f.dtype)  # [R, N, m]
        G += torch.bmm(delta.transpose(1, 2), x)
    return G / X.shape[0]


def gap_stats(G: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """γ_j, max_j γ_j, the fraction of γ_j > 0 and the C-ratio of G (see the module docstring)."""
    A = G.abs()
    msk = mask.to(G.device).unsqueeze(1).expand_as(A)
    big = torch.finfo(A.dtype).max
    gamma = torch.where(msk, A, torch.full_like(A, big)).amin(2) - torch.where(
        msk, torch.zeros_like(A), A).amax(2)  # [R, m]
    col = G.norm(dim=1)  # [R, n]
    mk = mask.to(G.device)
    c_ratio = (col * mk).sum(1) / mk.sum(1) / ((col * ~mk).sum(1) / (~mk).sum(1)).clamp(
        min=torch.finfo(A.dtype).tiny)
    return {"gamma": gamma, "gamma_max": gamma.amax(1),
            "gamma_pos": (gamma > 0).to(A.dtype).mean(1), "c_ratio": c_ratio}


@probe("barak_gap")
def gap_probe(state) -> dict[str, torch.Tensor]:
    mask = _mask(state)
    out = gap_stats(population_gradient(state.params, mask), mask)
    out.pop("gamma")
    return out
