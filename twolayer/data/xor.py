"""Frei et al. (2023) 2-XOR clusters.

Four clusters with probability 1/4 each: x = +μ1 + z and x = −μ1 + z with clean label ỹ = +1,
x = +μ2 + z and x = −μ2 + z with ỹ = −1; ‖μ1‖ = ‖μ2‖ = 1, ⟨μ1, μ2⟩ = 0, z centred with
covariance σ² I_d. Cluster ids: 0 = +μ1, 1 = −μ1, 2 = +μ2, 3 = −μ2.

No linear classifier beats chance on it: the law of (x, ỹ) is invariant under x → −x.
"""

from __future__ import annotations

import numpy as np
import torch

from .distributions import cluster_noise, orthonormal_frame

CLUSTER_NAMES = ("+mu1", "-mu1", "+mu2", "-mu2")
CLUSTER_SIGN = torch.tensor([1.0, -1.0, 1.0, -1.0])
CLUSTER_MEAN = torch.tensor([0, 0, 1, 1])  # which of μ1, μ2
CLUSTER_LABEL = torch.tensor([1, 1, -1, -1])


def means(d: int, rotate: bool, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """[2, d]: μ1, μ2 = e1, e2, or a uniformly random orthonormal pair if ``rotate``."""
    if rotate:
        return orthonormal_frame(2, d, gen, dtype)
    mu = torch.zeros(2, d, dtype=dtype)
    mu[0, 0] = 1.0
    mu[1, 1] = 1.0
    return mu


def sample(
    n: int,
    mu: torch.Tensor,
    sigma2: float,
    dist: str,
    gen: torch.Generator,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n i.i.d. points: (x [n, d], clean labels ỹ ∈ {±1} [n], cluster ids [n])."""
    d = mu.shape[1]
    cluster = torch.randint(0, 4, (n,), generator=gen)
    centre = CLUSTER_SIGN[cluster].to(dtype).unsqueeze(1) * mu[CLUSTER_MEAN[cluster]]
    x = centre + cluster_noise(n, d, sigma2, dist, gen, dtype)
    return x, CLUSTER_LABEL[cluster].clone(), cluster


def bayes_margin(x: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """f*(x) = |⟨μ1, x⟩| − |⟨μ2, x⟩|: positive ↔ predicted ỹ = +1 (the 4-neuron net of Eq. 2)."""
    return (x @ mu[0]).abs() - (x @ mu[1]).abs()


def own_mean_correlation(
    w_dot_mu: np.ndarray, w_norm: np.ndarray, a_sign: np.ndarray
) -> np.ndarray:
    """|⟨w_j/‖w_j‖, μ_own(j)⟩| with μ_own = μ1 (a_j > 0) or μ2 (a_j < 0): [..., m]."""
    own = np.where(a_sign > 0, w_dot_mu[..., 0], w_dot_mu[..., 1])
    return np.abs(own) / w_norm


def summary(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """This data kind's headline numbers of a record (per run, [R]): corr_median_init / _final,
    the median over neurons of the own-mean correlation (≈ 0.67/√d at initialisation), from the
    ``correlations`` probe and the record's static second layer."""
    if "correlations/w_dot_mu" not in arrays:
        return {}
    sign = arrays["static/a"][..., 0]
    corr = own_mean_correlation(arrays["correlations/w_dot_mu"], arrays["correlations/w_norm"],
                                sign[:, None, :])
    med = np.median(corr, axis=-1)  # [R, T]
    return {"corr_median_init": med[:, 0], "corr_median_final": med[:, -1]}

