"""K-class Gaussian clusters: x = μ_k + z for class k, with probability 1/K each.

μ_1..μ_K are orthonormal when K ≤ d (uniformly random frame) and random unit vectors otherwise;
z has covariance σ² I_d. Cluster id = class.
"""

from __future__ import annotations

import torch

from .distributions import cluster_noise, orthonormal_frame


def means(k: int, d: int, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """[K, d] unit-norm class means."""
    if k <= d:
        return orthonormal_frame(k, d, gen, dtype)
    g = torch.randn(k, d, generator=gen, dtype=dtype)
    return g / g.norm(dim=1, keepdim=True)


def sample(
    n: int,
    mu: torch.Tensor,
    sigma2: float,
    dist: str,
    gen: torch.Generator,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n i.i.d. points: (x [n, d], labels [n], cluster ids = class index [n]).

    Labels are the class index 0..K−1, except for K = 2 where they are ±1 (class 0 → +1)."""
    k, d = mu.shape
    cls = torch.randint(0, k, (n,), generator=gen)
    x = mu[cls] + cluster_noise(n, d, sigma2, dist, gen, dtype)
    label = 1 - 2 * cls if k == 2 else cls.clone()
    return x, label, cls
