"""Frei et al. (2023) 2-XOR clusters.

Four clusters with probability 1/4 each: x = +μ1 + z and x = −μ1 + z with clean label ỹ = +1,
x = +μ2 + z and x = −μ2 + z with ỹ = −1; ‖μ1‖ = ‖μ2‖ = 1, ⟨μ1, μ2⟩ = 0, z centred with
covariance σ² I_d. Cluster ids: 0 = +μ1, 1 = −μ1, 2 = +μ2, 3 = −μ2.

No linear classifier beats chance on it: the law of (x, ỹ) is invariant under x → −x.

Config (:class:`XorConfig`, ``--data xor``): ``sigma2`` (σ², None → d^-1.2 as in Frei Fig. 2),
``cluster_dist`` (the log-concave law of z: gaussian, uniform, laplace; see
:mod:`twolayer.data.distributions`), ``rotate`` (μ1, μ2 a uniformly random orthonormal pair
instead of e1, e2). Extras: ``class_means`` [R, 2, d] (μ1, μ2; the ``correlations`` direction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import (
    CLUSTER_DISTS,
    NOISE_MODELS,
    ConfigError,
    DataConfig,
    DataKind,
    Flag,
    _choice,
    _positive,
    _resolve,
    register_data_kind,
)
from .base import iid_sampler
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
    signed = CLUSTER_SIGN.to(dtype).unsqueeze(1) * mu[CLUSTER_MEAN]  # [4, d]: ±μ1, ±μ2
    x = cluster_noise(n, d, sigma2, dist, gen, dtype).add_(signed[cluster])  # in place
    return x, CLUSTER_LABEL[cluster].clone(), cluster


def bayes_margin(x: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """f*(x) = |⟨μ1, x⟩| − |⟨μ2, x⟩|: positive ↔ predicted ỹ = +1 (the 4-neuron net of Eq. 2)."""
    return (x @ mu[0]).abs() - (x @ mu[1]).abs()


def own_mean_correlation(
    w_dot_mu: np.ndarray, w_norm: np.ndarray, a_sign: np.ndarray
) -> np.ndarray:
    """|⟨w_j/‖w_j‖, μ_own(j)⟩| with μ_own = μ1 (a_j > 0) or μ2 (a_j < 0): [..., m]; NaN for a
    neuron with a_j = 0 (an odd m's a_m = 0 under the fixed ±1/√m second layer: no own mean)."""
    own = np.where(a_sign > 0, w_dot_mu[..., 0], w_dot_mu[..., 1])
    corr = np.abs(own) / w_norm
    zero = np.broadcast_to(a_sign == 0, corr.shape)
    return np.where(zero, np.nan, corr) if zero.any() else corr


def median_over_signed(values: np.ndarray, a_sign: np.ndarray) -> np.ndarray:
    """Median over the last axis (the m neurons) of ``values`` [..., m], over the neurons with
    a_j ≠ 0 only (``a_sign`` broadcast to ``values``): the positive and negative neurons, not
    an odd m's a_m = 0. Where every a_j ≠ 0, ``np.median`` over all m (the same bits as before
    odd widths); else the median of the others (``np.nanmedian`` with the zero neuron as NaN,
    so a NaN of another neuron is left out there too)."""
    zero = np.broadcast_to(a_sign == 0, values.shape)
    if not zero.any():
        return np.median(values, axis=-1)
    return np.nanmedian(np.where(zero, np.nan, values), axis=-1)


def summary(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """This data kind's headline numbers of a record (per run, [R]): corr_median_init / _final,
    the median over neurons of the own-mean correlation (≈ 0.67/√d at initialisation), from the
    ``correlations`` probe and the record's static second layer."""
    if "correlations/w_dot_mu" not in arrays:
        return {}
    sign = arrays["static/a"][..., 0][:, None, :]
    corr = own_mean_correlation(arrays["correlations/w_dot_mu"], arrays["correlations/w_norm"],
                                sign)
    med = median_over_signed(corr, sign)  # [R, T]
    return {"corr_median_init": med[:, 0], "corr_median_final": med[:, -1]}



def check_clusters(cfg) -> None:
    """The rules of σ² and the cluster law (xor and clusters)."""
    _choice("cluster_dist", cfg.cluster_dist, CLUSTER_DISTS)
    if cfg.sigma2 is not None:
        _resolve(cfg, "sigma2", _positive("sigma2", cfg.sigma2))


def frei_sigma2(cfg):
    """``cfg`` with σ² = d^-1.2 (Frei Fig. 2) if it is None."""
    import dataclasses

    if cfg.sigma2 is None:
        return dataclasses.replace(cfg, sigma2=float(cfg.d) ** -1.2)
    return cfg


def sigma2_of(cfg) -> float:
    return cfg.sigma2 if cfg.sigma2 is not None else float(cfg.d) ** -1.2


@dataclass(frozen=True)
class XorConfig(DataConfig):
    """Frei's 2-XOR clusters (see the module docstring)."""

    kind: str = "xor"
    sigma2: float | None = None  # None → d ** -1.2 (Frei Fig. 2)
    cluster_dist: str = "gaussian"
    rotate: bool = False

    noise_models = NOISE_MODELS
    scales = ("sigma2",)
    implied = {"num_classes": 2}
    hints = {"num_classes": "the xor data has 2 classes (--data clusters or gaussian: K >= 2)"}

    def check(self) -> None:
        check_clusters(self)
        if not isinstance(self.rotate, bool):
            raise ConfigError("rotate", self.rotate, "must be true or false")

    def resolved(self) -> XorConfig:
        return frei_sigma2(self)


SIGMA2 = Flag("sigma2", float, "within-cluster variance σ² > 0 (default d^-1.2)")
CLUSTER_DIST = Flag("cluster_dist", str, "log-concave cluster noise law (default gaussian)",
                    CLUSTER_DISTS)


def _setup(cfg: XorConfig, gen: torch.Generator, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {"class_means": means(cfg.d, cfg.rotate, gen, dtype)}


def _draw(cfg: XorConfig, n: int, extras: dict[str, torch.Tensor], gen: torch.Generator,
          dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return sample(n, extras["class_means"], sigma2_of(cfg), cfg.cluster_dist, gen, dtype)


KIND = register_data_kind(DataKind(
    "xor", XorConfig,
    iid_sampler(_setup, _draw, ("class_means",), noise_frame=lambda e: e["class_means"]),
    flags=(SIGMA2, CLUSTER_DIST,
           Flag("rotate", bool, "--data xor/gaussian: random orthonormal μ1, μ2 (xor) or a "
                "Haar-random eigenbasis of Σ_x (gaussian)")),
    summary=summary, about="xor (Frei clusters)"))
