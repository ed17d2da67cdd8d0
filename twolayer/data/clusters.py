"""K-class Gaussian clusters: x = μ_k + z for class k, with probability 1/K each.

μ_1..μ_K are orthonormal when K ≤ d (uniformly random frame) and random unit vectors otherwise;
z has covariance σ² I_d. Cluster id = class.

Config (:class:`ClustersConfig`, ``--data clusters``): ``num_classes`` K >= 2, ``sigma2`` (None →
d^-1.2), ``cluster_dist``. Extras: ``class_means`` [R, K, d].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import (
    SIZE_MAX,
    DataConfig,
    DataKind,
    Flag,
    _int,
    _resolve,
    register_data_kind,
)
from .base import iid_sampler
from .distributions import cluster_noise, orthonormal_frame
from .xor import CLUSTER_DIST, SIGMA2, check_clusters, frei_sigma2, sigma2_of


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


@dataclass(frozen=True)
class ClustersConfig(DataConfig):
    """K Gaussian clusters (see the module docstring)."""

    kind: str = "clusters"
    sigma2: float | None = None  # None → d ** -1.2
    cluster_dist: str = "gaussian"
    num_classes: int = 2  # type: ignore[assignment]  # a field here

    noise_models = ("iid", "per-cluster", "random")
    scales = ("sigma2",)

    def check(self) -> None:
        check_clusters(self)
        _resolve(self, "num_classes", _int("num_classes", self.num_classes, 2, SIZE_MAX))

    def resolved(self) -> ClustersConfig:
        return frei_sigma2(self)


NUM_CLASSES = Flag("num_classes", int, "K classes >= 2 (default 2; badger: >= 3, default 10)")


def _setup(cfg, gen, dtype):
    return {"class_means": means(cfg.num_classes, cfg.d, gen, dtype)}


def _draw(cfg, n, extras, gen, dtype):
    return sample(n, extras["class_means"], sigma2_of(cfg), cfg.cluster_dist, gen, dtype)


KIND = register_data_kind(DataKind(
    "clusters", ClustersConfig, iid_sampler(_setup, _draw, ("class_means",)),
    flags=(SIGMA2, CLUSTER_DIST, NUM_CLASSES), about="clusters (K classes)"))
