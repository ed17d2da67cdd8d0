"""Badger (2022)'s data in a K-class Gaussian-cluster analogue: input-noise mixing and three
disjoint sets (train, ascended, hold-out).

Structured signal (shared within a class, the analogue of natural images):
    s = μ_y + z,  μ_c ~ N(0, v I_d) fixed per run (v = ``mean_var``),  z ~ N(0, I_d),
    y ~ U{0..K−1}.
Input-noise mixing as in the author's code, with ξ fixed per example and of matched scale
(the same per-coordinate variance v + 1 as s):
    x̃ = f · s + (1 − f) · ξ,   ξ ~ N(0, (v + 1) I_d),
so f = 1 is pure structure and f = 0 random inputs (ξ is the whole input) carrying the labels.
s and ξ come from streams that do not depend on f: one seed gives paired data at every f.

Layout (:class:`BadgerDataset`, a :class:`~twolayer.data.Dataset`): the training inputs x are the
train set followed by the ascended set, told apart by the mask ``ascended`` [R, n]; the hold-out
set is ``x_test``. Labels are never corrupted (``noisy`` is all False). Run r of a batch uses
seed ``seeds[r]`` and fraction ``fractions[r]``, so f-sweeps batch as runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..errors import ConfigError
from ..seeding import generator
from . import Dataset

KIND = "badger"


@dataclass(frozen=True)
class BadgerData:
    """Sizes of the three sets and the cluster geometry (card §5: K = 10, d = 30, v = 0.36).
    K ≥ 3: labels are class indices 0..K−1 (the library labels two classes ±1)."""

    k: int = 10
    d: int = 30
    n_train: int = 2000
    n_ascended: int = 2000
    n_holdout: int = 2000
    mean_var: float = 0.36

    def __post_init__(self) -> None:
        for name, lo in (("k", 3), ("d", 1), ("n_train", 1), ("n_ascended", 0), ("n_holdout", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(name, v, f"must be an integer >= {lo}")
        if not (isinstance(self.mean_var, (int, float)) and math.isfinite(self.mean_var)
                and self.mean_var > 0):
            raise ConfigError("mean_var", self.mean_var, "must be a finite number > 0")


@dataclass(frozen=True)
class BadgerDataset(Dataset):
    ascended: torch.Tensor  # [R, n] bool: sample belongs to the ascended set A
    fraction: torch.Tensor  # [R] the signal fraction f of each run


def check_fraction(f: float) -> float:
    if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.0 <= f <= 1.0:
        raise ConfigError("fraction", f, "valid range is [0, 1]")
    return float(f)


def _set(mu: torch.Tensor, n: int, f: float, v: float, seed: int, name: str,
         dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """n mixed inputs [n, d] and labels [n] of one set (streams ``badger-<name>-*``)."""
    k, d = mu.shape
    g = generator(seed, f"badger-{name}-signal")
    y = torch.randint(0, k, (n,), generator=g)
    s = mu[y] + torch.randn(n, d, generator=g, dtype=dtype)
    xi = torch.randn(n, d, generator=generator(seed, f"badger-{name}-noise"), dtype=dtype)
    xi = xi * math.sqrt(v + 1.0)
    return f * s + (1.0 - f) * xi, y


def sample(cfg: BadgerData, seeds: list[int], fractions: list[float],
           dtype: torch.dtype = torch.float32) -> BadgerDataset:
    """One draw of the three sets per run: run r from ``seeds[r]`` at fraction ``fractions[r]``."""
    if len(seeds) != len(fractions):
        raise ConfigError("fractions", len(fractions), f"one per run ({len(seeds)})")
    xs, ys, xts, yts, mus = [], [], [], [], []
    for seed, f in zip(seeds, fractions):
        f = check_fraction(f)
        mu = torch.randn(cfg.k, cfg.d, generator=generator(seed, "badger-means"), dtype=dtype)
        mu = mu * math.sqrt(cfg.mean_var)
        x_tr, y_tr = _set(mu, cfg.n_train, f, cfg.mean_var, seed, "train", dtype)
        x_as, y_as = _set(mu, cfg.n_ascended, f, cfg.mean_var, seed, "ascended", dtype)
        x_ho, y_ho = _set(mu, cfg.n_holdout, f, cfg.mean_var, seed, "holdout", dtype)
        xs.append(torch.cat([x_tr, x_as]))
        ys.append(torch.cat([y_tr, y_as]))
        xts.append(x_ho)
        yts.append(y_ho)
        mus.append(mu)
    x, y, x_t, y_t = (torch.stack(v) for v in (xs, ys, xts, yts))
    R, n = y.shape
    asc = torch.zeros(R, n, dtype=torch.bool)
    asc[:, cfg.n_train:] = True
    return BadgerDataset(
        x=x, y_true=y, y=y.clone(), noisy=torch.zeros(R, n, dtype=torch.bool), cluster=y.clone(),
        x_test=x_t, y_test_true=y_t, y_test=y_t.clone(), cluster_test=y_t.clone(),
        means=torch.stack(mus), num_classes=cfg.k, kind=KIND, ascended=asc,
        fraction=torch.tensor([float(f) for f in fractions], dtype=dtype),
    )
