"""Centred, isotropic cluster noise z with E[z zᵀ] = σ² I_d, from log-concave laws.

- gaussian: z ~ N(0, σ² I_d) (the papers' experiments);
- uniform:  z_k ~ U[−√3 σ, √3 σ] independently (variance σ²);
- laplace:  z_k ~ Laplace(0, σ/√2) independently (variance 2·(σ/√2)² = σ²).
"""

from __future__ import annotations

import math

import torch


def cluster_noise(
    n: int, d: int, sigma2: float, dist: str, gen: torch.Generator, dtype: torch.dtype
) -> torch.Tensor:
    """n draws of z ∈ R^d with mean 0 and covariance σ² I_d from the named law."""
    sigma = math.sqrt(sigma2)
    if dist == "gaussian":
        return torch.randn(n, d, generator=gen, dtype=dtype).mul_(sigma)
    if dist == "uniform":
        u = torch.rand(n, d, generator=gen, dtype=dtype)
        return (2.0 * u - 1.0) * (math.sqrt(3.0) * sigma)
    if dist == "laplace":
        u = torch.rand(n, d, generator=gen, dtype=dtype).clamp_(1e-12, 1 - 1e-12) - 0.5
        b = sigma / math.sqrt(2.0)
        return -b * torch.sign(u) * torch.log1p(-2.0 * u.abs())
    raise ValueError(f"unknown cluster distribution {dist!r}")


def orthonormal_frame(k: int, d: int, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """k orthonormal vectors in R^d (rows), uniformly random (QR of a Gaussian matrix)."""
    g = torch.randn(d, k, generator=gen, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)  # Haar measure
    return q.T.contiguous().to(dtype)
