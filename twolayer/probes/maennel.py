"""Maennel et al. (2020) probes: first-layer weight statistics in the data's eigenframe.

The paper treats the first-layer weight vectors w_j ∈ R^d of the neurons as samples of a
distribution with covariance Σ_w, estimated over the neurons pooled over many independent runs,
and compares Σ_w with the data covariance Σ_x = Σ_i σ_i² v_i v_iᵀ.

Probe ``maennel`` (per run r, in the run's data frame w̃ = V w, V the rows v_1..v_d of
:func:`data_frame`): the sufficient statistics of the covariance of W and of ΔW = W − W(0),

    w_sum = Σ_j w̃_j  [R, d],   w_outer = Σ_j w̃_j w̃_jᵀ  [R, d, d],   dw_sum, dw_outer (ΔW),

so that the record keeps the [R, T, ...] convention and the covariance pooled over any set of
runs (all R, or a jackknife subset) is computed afterwards by :func:`pooled_covariance`. The
statistics are taken in the eigenframe so that float32 storage rounds each entry relative to
its own size (directions with small variance are not swamped by large ones).

Statistics (float64):

- :func:`pooled_covariance`: Σ_w = (Σ_r Σ_j w̃ w̃ᵀ − K w̄ w̄ᵀ)/(K − 1), K = R·m, w̄ the pooled mean;
- :func:`misalignment`: M(Σ_w, B) = Σ_i [sqrt((b_iᵀ Σ_w b_i)(b_iᵀ Σ_w⁻¹ b_i)) − 1] for an
  orthonormal basis B (columns b_i). Each term is ≥ 0 by Cauchy–Schwarz and 0 iff b_i is an
  eigenvector of Σ_w; M is invariant under Σ_w ↦ cΣ_w. In the data frame the data basis is the
  identity (M_data = M(Σ_w, I)) when the σ_i are distinct; within a degenerate eigenspace of
  Σ_x (e.g. the XOR clusters') it is the eigenbasis of Σ_w's block (:func:`data_basis`); the
  control is a Haar-random orthonormal basis (M_rand);
- :func:`transfer_function`: f(σ_i) = sqrt(v_iᵀ Σ_w v_i) (Definition 3, Eq. 3), i.e. the square
  root of the diagonal of Σ_w in the data frame;
- :func:`offdiag_energy`: ‖offdiag(Bᵀ Σ_w B)‖_F / ‖Bᵀ Σ_w B‖_F (card R3).
"""

from __future__ import annotations

import torch

from ..data import Dataset
from .base import ProbeState, register


def data_frame(data: Dataset) -> torch.Tensor:
    """[R, d, d]: orthonormal rows v_1..v_d of each run's data frame.

    A kind with an ``eigenbasis`` extra (gaussian data): the eigenbasis of Σ_x, in the order of
    the spectrum. Other kinds: the rows of the kind's directions (:meth:`Dataset.direction_rows`,
    e.g. μ1, μ2 of the XOR data, eigenvectors of its Σ_x = σ²I + (μ1μ1ᵀ + μ2μ2ᵀ)/2) completed by
    Gram–Schmidt with e_1..e_d."""
    if "eigenbasis" in data.extras:
        return data.extras["eigenbasis"]
    means = data.direction_rows()
    R, k, d = means.shape
    eye = torch.eye(d, dtype=torch.float64, device=means.device).expand(R, d, d)
    cols = torch.cat([means.to(torch.float64).transpose(1, 2), eye], dim=2)  # [R, d, k + d]
    q, r = torch.linalg.qr(cols)  # reduced: q [R, d, d]
    sign = torch.sign(torch.diagonal(r[:, :, :d], dim1=1, dim2=2))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    return (q * sign.unsqueeze(1)).transpose(1, 2).to(means.dtype)


def frame_statistics(W: torch.Tensor, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Σ_j w̃_j [R, d], Σ_j w̃_j w̃_jᵀ [R, d, d]) of the rows of W [R, m, d] in the frame
    [R, d, d] (w̃ = V w), computed in float64."""
    wt = torch.bmm(W.to(torch.float64), frame.to(torch.float64).transpose(1, 2))  # [R, m, d]
    return wt.sum(1), torch.bmm(wt.transpose(1, 2), wt)


@register("maennel")
def maennel_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    frame = data_frame(s.data)
    w_sum, w_outer = frame_statistics(s.params.W, frame)
    dw_sum, dw_outer = frame_statistics(s.params.W - s.init.W, frame)
    return {"w_sum": w_sum, "w_outer": w_outer, "dw_sum": dw_sum, "dw_outer": dw_outer}


# ---------------------------------------------------------------------------------------------
# Statistics of the stored sums (numpy or torch in, torch float64 out)
# ---------------------------------------------------------------------------------------------


def _t(a: object) -> torch.Tensor:
    return torch.as_tensor(a, dtype=torch.float64)


def pooled_covariance(sums: object, outers: object, per_run: int) -> torch.Tensor:
    """Covariance of the K = R·``per_run`` vectors of all runs pooled: sums [R, ..., d],
    outers [R, ..., d, d] (any axes between the run axis and the last ones are kept, e.g. time)
    → [..., d, d], Σ = (Σ_r outer_r − K w̄ w̄ᵀ)/(K − 1), w̄ = Σ_r sum_r / K."""
    s, o = _t(sums), _t(outers)
    K = s.shape[0] * per_run
    mean = s.sum(0) / K
    return (o.sum(0) - K * mean.unsqueeze(-1) * mean.unsqueeze(-2)) / (K - 1)


def run_covariance(sums: object, outers: object, per_run: int) -> torch.Tensor:
    """Per-run covariance over the ``per_run`` vectors of each run: [R, ..., d, d]."""
    s, o = _t(sums), _t(outers)
    mean = s / per_run
    return (o - per_run * mean.unsqueeze(-1) * mean.unsqueeze(-2)) / (per_run - 1)


def _spectral(cov: object, rtol: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(eigenvalues with non-PD entries replaced by 1, eigenvectors, PD mask [...]) of the
    symmetrised ``cov``."""
    c = _t(cov)
    lam, q = torch.linalg.eigh(0.5 * (c + c.transpose(-1, -2)))
    ok = lam[..., 0] > rtol * lam[..., -1].abs()
    safe = torch.where(ok.unsqueeze(-1), lam, torch.ones_like(lam))
    return safe, q, ok


def _terms(lam: torch.Tensor, q: torch.Tensor, ok: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    proj = (q.transpose(-1, -2) @ b).square()  # [..., k, i] = ⟨q_k, b_i⟩²
    quad = (proj * lam.unsqueeze(-1)).sum(-2)  # b_iᵀ Σ b_i
    inv = (proj / lam.unsqueeze(-1)).sum(-2)  # b_iᵀ Σ⁻¹ b_i
    terms = (quad * inv).clamp(min=1.0).sqrt() - 1.0
    return torch.where(ok.unsqueeze(-1), terms, torch.full_like(terms, float("nan")))


def misalignment_terms(
    cov: object, basis: object | None = None, rtol: float = 1e-12
) -> torch.Tensor:
    """[..., d]: sqrt((b_iᵀ Σ b_i)(b_iᵀ Σ⁻¹ b_i)) − 1 for the columns b_i of ``basis`` [d, d]
    (default: the identity, i.e. the frame Σ is expressed in). NaN where Σ is not positive
    definite (smallest eigenvalue ≤ rtol · largest, e.g. ΔW = 0 at t = 0). The inverse is
    taken through the eigendecomposition Σ = Q Λ Qᵀ: b_iᵀ Σ⁻¹ b_i = Σ_k ⟨q_k, b_i⟩² / λ_k."""
    lam, q, ok = _spectral(cov, rtol)
    d = lam.shape[-1]
    b = (torch.eye(d, dtype=torch.float64, device=lam.device) if basis is None
         else _t(basis).to(lam.device))
    return _terms(lam, q, ok, b)


def misalignment(cov: object, basis: object | None = None) -> torch.Tensor:
    """M(Σ, B) = Σ_i [sqrt((b_iᵀ Σ b_i)(b_iᵀ Σ⁻¹ b_i)) − 1]: [...] (terms:
    :func:`misalignment_terms`)."""
    return misalignment_terms(cov, basis).sum(-1)


def random_bases(d: int, count: int, seed: int = 0) -> torch.Tensor:
    """[count, d, d]: Haar-random orthogonal matrices (columns = basis vectors), seeded."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(count, d, d, generator=g, dtype=torch.float64, device="cpu")
    q, r = torch.linalg.qr(a)
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def misalignment_random(
    cov: object, bases: torch.Tensor, groups: list[list[int]] | None = None, rtol: float = 1e-12
) -> torch.Tensor:
    """Mean of M(Σ, Q) over the random bases Q [B, d, d]: [...].

    With ``groups`` (eigenspaces of Σ_x of dimension > 1) the control gets the same freedom as
    the data basis of :func:`data_basis`: within the span of each group of Q's columns its basis
    is the eigenvectors of Σ's compression there, so that a degenerate spectrum does not make
    the data basis look aligned merely because it is fitted to Σ."""
    if groups is None or all(len(g) == 1 for g in groups):
        lam, q, ok = _spectral(cov, rtol)
        vals = [_terms(lam, q, ok, b).sum(-1) for b in bases]
        return torch.stack(vals).mean(0)
    c = _t(cov)
    vals = []
    for b in bases:
        cq = b.T @ c @ b  # Σ in the frame of Q's columns
        vals.append(misalignment(cq, data_basis(cq, groups)))
    return torch.stack(vals).mean(0)


def eigen_groups(sigma2: object, rtol: float = 1e-9) -> list[list[int]]:
    """Indices of equal eigenvalues σ_i² of Σ_x (consecutive in the frame's order): one group
    per eigenspace, e.g. [[0, 1], [2, …, d−1]] for the XOR clusters, singletons for a spectrum
    of distinct eigenvalues."""
    v = [float(x) for x in torch.as_tensor(sigma2, dtype=torch.float64).flatten()]
    groups: list[list[int]] = []
    for i, x in enumerate(v):
        if groups and abs(x - v[groups[-1][0]]) <= rtol * max(abs(x), abs(v[groups[-1][0]])):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def data_basis(cov: object, groups: list[list[int]]) -> torch.Tensor:
    """[..., d, d]: the data eigenbasis that fits Σ_w best, in the data frame. Within an
    eigenspace of Σ_x of dimension > 1 every orthonormal basis is an eigenbasis of Σ_x; there
    the basis is the eigenvectors of Σ_w's block (so M(Σ_w, ·) measures only whether Σ_w maps
    each eigenspace of Σ_x into itself). For distinct eigenvalues this is the identity."""
    c = _t(cov)
    d = c.shape[-1]
    out = torch.zeros_like(c) + torch.eye(d, dtype=torch.float64, device=c.device)
    for g in groups:
        if len(g) > 1:
            idx = torch.tensor(g, device=c.device)
            block = c[..., idx[:, None], idx[None, :]]
            _, vec = torch.linalg.eigh(0.5 * (block + block.transpose(-1, -2)))
            out[..., idx[:, None], idx[None, :]] = vec
    return out


def block_diagonal(cov: object, groups: list[list[int]]) -> torch.Tensor:
    """Σ_w with the entries between different eigenspaces of Σ_x set to 0: the covariance
    closest to Σ_w that maps every eigenspace of Σ_x into itself (diag Σ_w for distinct σ_i)."""
    c = _t(cov)
    mask = torch.zeros(c.shape[-1], c.shape[-1], dtype=torch.bool, device=c.device)
    for g in groups:
        idx = torch.tensor(g, device=c.device)
        mask[idx[:, None], idx[None, :]] = True
    return torch.where(mask, c, torch.zeros_like(c))


def transfer_function(cov: object) -> torch.Tensor:
    """f(σ_i) = sqrt(v_iᵀ Σ_w v_i) = sqrt(diag Σ_w) for Σ_w in the data frame: [..., d]."""
    return torch.diagonal(_t(cov), dim1=-2, dim2=-1).clamp(min=0.0).sqrt()


def offdiag_energy(cov: object, basis: object | None = None) -> torch.Tensor:
    """O(B) = ‖offdiag(Bᵀ Σ B)‖_F / ‖Bᵀ Σ B‖_F: [...]."""
    c = _t(cov)
    if basis is not None:
        b = _t(basis)
        c = b.transpose(-1, -2) @ c @ b
    diag = torch.diagonal(c, dim1=-2, dim2=-1)
    total = c.square().sum((-1, -2))
    return ((total - diag.square().sum(-1)).clamp(min=0.0) / total).sqrt()
