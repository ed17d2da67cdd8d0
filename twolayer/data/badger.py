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

Config (:class:`BadgerConfig`, ``--data badger``): ``num_classes`` K >= 3 (default 10), ``d``
(default 30), ``n`` (the training set T), ``n_ascended`` (the ascended set A, default 0),
``n_test`` (the hold-out set H), ``mean_var`` v and ``fraction`` f. Labels are never corrupted
(``noise`` must be 0 and ``noisy`` is all False).

Layout (a :class:`~twolayer.data.Dataset`): the training inputs x are the train set followed by
the ascended set, told apart by the extra ``ascended`` [R, n + n_ascended] (bool); the hold-out
set is ``x_test``. Extras also hold ``class_means`` [R, K, d] and ``fraction`` [R]. Batches of
several fractions are batches of one config per fraction joined with :meth:`Dataset.cat`
(:func:`sample`), so f-sweeps batch as runs.

``twolayer simulate --data badger --objective softmax --second-layer gaussian`` trains the mean
loss over all the training inputs (T and A); the memorisation objective (descent on T, gated
ascent on A, :class:`twolayer.objectives.Memorise`) runs in the badger2022 experiments.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from ..config import (
    SIZE_MAX,
    DataConfig,
    DataKind,
    Flag,
    _int,
    _positive,
    _resolve,
    register_data_kind,
)
from ..errors import ConfigError
from ..seeding import generator
from .base import Dataset

KIND = "badger"


@dataclass(frozen=True)
class BadgerConfig(DataConfig):
    """Badger's K-class clusters with input-noise mixing (see the module docstring); ``n`` is
    the training set T, ``n_test`` the hold-out set H. K ≥ 3: labels are class indices 0..K−1
    (the library labels two classes ±1)."""

    kind: str = KIND
    d: int = 30
    n: int = 2000
    n_test: int = 2000
    noise: float = 0.0
    num_classes: int = 10  # type: ignore[assignment]  # a field here
    n_ascended: int = 0
    mean_var: float = 0.36
    fraction: float = 1.0

    noise_models = ("iid",)
    scales = ("mean_var",)
    min_d = 1
    extra_train_rows = ("n_ascended",)  # the ascended set A is trained on, as T is

    def check(self) -> None:
        if self.noise != 0.0:
            raise ConfigError("noise", self.noise, "valid value is 0: --data badger's labels "
                              "are never corrupted")
        _resolve(self, "num_classes", _int("num_classes", self.num_classes, 3, SIZE_MAX))
        _resolve(self, "n_ascended", _int("n_ascended", self.n_ascended, 0, SIZE_MAX))
        _resolve(self, "mean_var", _positive("mean_var", self.mean_var))
        _resolve(self, "fraction", check_fraction(self.fraction))


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


def sample_runs(cfg: BadgerConfig, seeds: list[int], dtype: torch.dtype = torch.float32
                ) -> Dataset:
    """One draw of the three sets per run seed at the config's fraction."""
    xs, ys, xts, yts, mus = [], [], [], [], []
    f = cfg.fraction
    for seed in seeds:
        mu = torch.randn(cfg.num_classes, cfg.d, generator=generator(seed, "badger-means"),
                         dtype=dtype)
        mu = mu * math.sqrt(cfg.mean_var)
        x_tr, y_tr = _set(mu, cfg.n, f, cfg.mean_var, seed, "train", dtype)
        x_as, y_as = _set(mu, cfg.n_ascended, f, cfg.mean_var, seed, "ascended", dtype)
        x_ho, y_ho = _set(mu, cfg.n_test, f, cfg.mean_var, seed, "holdout", dtype)
        xs.append(torch.cat([x_tr, x_as]))
        ys.append(torch.cat([y_tr, y_as]))
        xts.append(x_ho)
        yts.append(y_ho)
        mus.append(mu)
    x, y, x_t, y_t = (torch.stack(v) for v in (xs, ys, xts, yts))
    R, n = y.shape
    asc = torch.zeros(R, n, dtype=torch.bool)
    asc[:, cfg.n:] = True
    extras = {"class_means": torch.stack(mus), "ascended": asc,
              "fraction": torch.full((R,), float(f), dtype=dtype)}
    return Dataset(
        x=x, y_true=y, y=y.clone(), noisy=torch.zeros(R, n, dtype=torch.bool), cluster=y.clone(),
        x_test=x_t, y_test_true=y_t, y_test=y_t.clone(), cluster_test=y_t.clone(),
        num_classes=cfg.num_classes, kind=KIND, extras=extras, directions=("class_means",),
    )


def sample(cfg: BadgerConfig, seeds: list[int], fractions: list[float],
                     dtype: torch.dtype = torch.float32) -> Dataset:
    """Run r from ``seeds[r]`` at fraction ``fractions[r]``: the batches of one config per
    fraction, joined in run order."""
    if len(seeds) != len(fractions):
        raise ConfigError("fractions", len(fractions), f"one per run ({len(seeds)})")
    parts = [sample_runs(dataclasses.replace(cfg, fraction=f), [s], dtype)
             for s, f in zip(seeds, fractions)]
    return Dataset.cat(parts)


register_data_kind(DataKind(
    KIND, BadgerConfig, sample_runs,
    flags=(Flag("num_classes", int, "K classes >= 2 (default 2; badger: >= 3, default 10)"),
           Flag("n_ascended", int, "--data badger: points of the ascended set A >= 0 (default 0)"),
           Flag("mean_var", float, "--data badger: variance v > 0 of the class means "
                "(default 0.36)"),
           Flag("fraction", float, "--data badger: signal fraction f in [0, 1] of the inputs "
                "(default 1)")),
    about="badger (Badger's input-noise mixing)"))
