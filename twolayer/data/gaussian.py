"""Maennel et al. (2020): centred Gaussian inputs with an anisotropic covariance.

    x ~ N(0, Σ_x),   Σ_x = Σ_i σ_i² v_i v_iᵀ = V diag(σ_1², …, σ_d²) Vᵀ,

with eigenvalues σ_1² ≤ … ≤ σ_d² evenly spaced (``spectrum="linear"``; d = 30, 0.1 … 3.0 is
the paper's App. E.1 / Fig. 4-left setting) or log-spaced (``"log"``, a spread spectrum like
that of image patches) between ``sigma2_min`` and ``sigma2_max``. The eigenbasis V is the
identity, or a Haar-random rotation if ``rotate``.

Clean labels come from a linear teacher: ỹ = sgn⟨v*, x⟩ (±1, v* a uniformly random unit vector)
for two classes, ỹ = argmax_k ⟨t_k, x⟩ for K classes (t_k Gaussian, each scaled so that the
teacher logit ⟨t_k, x⟩ has unit variance, t_kᵀ Σ_x t_k = 1). Entirely random labels, independent
of x, are the ``random`` noise model at η = 1 (:mod:`twolayer.data.noise`).

The distribution itself (V and the teacher) is part of the setting, not of a run: it is drawn
from a fixed stream (:data:`DISTRIBUTION_STREAM`, independent of the run seeds), so every run of
a batch — and every separate run with the same config — sees the same Σ_x and teacher, and the
weights of several runs can be pooled like the paper's runs on one dataset. The samples (train
and test) are drawn per run.

``Dataset.means`` [R, d + t, d] holds the eigenbasis and the teacher as rows: rows 0..d−1 are
v_1..v_d in the order of the spectrum (ascending σ_i²), rows d.. are the teacher (t = 1 row v*
for two classes, t = K rows t_k). Cluster ids are the teacher classes 0..K−1 (class 0 ↔ ỹ = +1
for two classes).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..seeding import generator
from .distributions import orthonormal_frame

DISTRIBUTION_STREAM = "gaussian-distribution"
DISTRIBUTION_SEED = 0

Sampler = Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def spectrum(d: int, spacing: str, lo: float, hi: float) -> torch.Tensor:
    """[d] float64: the eigenvalues σ_1² ≤ … ≤ σ_d² of Σ_x, linearly or log-spaced in [lo, hi]."""
    if spacing == "linear":
        return torch.linspace(lo, hi, d, dtype=torch.float64)
    if spacing == "log":
        return torch.logspace(math.log10(lo), math.log10(hi), d, dtype=torch.float64)
    raise ValueError(f"unknown spectrum spacing {spacing!r}")


def teacher_rows(num_classes: int) -> int:
    """Rows of the teacher in ``Dataset.means``: 1 (v*) for two classes, K otherwise."""
    return 1 if num_classes == 2 else num_classes


def distribution(
    d: int,
    num_classes: int,
    sigma2: torch.Tensor,
    rotate: bool,
    dtype: torch.dtype,
) -> torch.Tensor:
    """[d + t, d]: the eigenbasis V (rows, ordered as ``sigma2``) and the teacher rows, drawn
    from the fixed distribution stream (the same for every run)."""
    gen = generator(DISTRIBUTION_SEED, f"{DISTRIBUTION_STREAM}:d={d}")
    if rotate:
        basis = orthonormal_frame(d, d, gen, torch.float64)
    else:
        basis = torch.eye(d, dtype=torch.float64)
    tgen = generator(DISTRIBUTION_SEED, f"{DISTRIBUTION_STREAM}-teacher:d={d}:K={num_classes}")
    if num_classes == 2:
        v = torch.randn(1, d, generator=tgen, dtype=torch.float64)
        teacher = v / v.norm()
    else:
        t = torch.randn(num_classes, d, generator=tgen, dtype=torch.float64)
        cov = basis.T @ torch.diag(sigma2) @ basis  # Σ_x = V diag(σ²) Vᵀ, V's columns = rows here
        teacher = t / torch.sqrt(torch.einsum("kd,de,ke->k", t, cov, t)).unsqueeze(1)
    return torch.cat([basis, teacher]).to(dtype)


def labels(x: torch.Tensor, teacher: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(clean labels ỹ, class ids) of the linear teacher: ±1 with class 0 ↔ +1 for one teacher
    row, the argmax class 0..K−1 for K rows."""
    scores = x @ teacher.T  # [n, t]
    if teacher.shape[0] == 1:
        y = torch.where(scores[:, 0] > 0, 1, -1)
        return y, (y < 0).long()
    cls = scores.argmax(dim=1)
    return cls.clone(), cls


def sampler(sigma2: torch.Tensor) -> Sampler:
    """A sampler with the signature of :func:`twolayer.data.xor.sample` (``sigma2_iso`` and
    ``dist`` unused): n i.i.d. x ~ N(0, Σ_x) with their teacher labels and classes."""
    sd = sigma2.sqrt()

    def sample(
        n: int,
        mu: torch.Tensor,
        sigma2_iso: float,
        dist: str,
        gen: torch.Generator,
        dtype: torch.dtype,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        d = mu.shape[1]
        basis, teacher = mu[:d].to(torch.float64), mu[d:].to(torch.float64)
        z = torch.randn(n, d, generator=gen, dtype=torch.float64)
        x = ((z * sd) @ basis).to(dtype)  # Σ_i σ_i z_i v_i
        y, cls = labels(x.to(torch.float64), teacher)  # labels of the stored x
        return x, y, cls

    return sample
