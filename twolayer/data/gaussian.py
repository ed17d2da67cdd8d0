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

Config (:class:`GaussianConfig`, ``--data gaussian``): ``num_classes``, ``spectrum``,
``sigma2_min``, ``sigma2_max``, ``rotate``. Extras: ``eigenbasis`` [R, d, d] (rows v_1..v_d in
the order of the spectrum, ascending σ_i²) and ``teacher`` [R, t, d] (t = 1 row v* for two
classes, t = K rows t_k). Cluster ids are the teacher classes 0..K−1 (class 0 ↔ ỹ = +1
for two classes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..config import (
    SIZE_MAX,
    SPECTRA,
    ConfigError,
    DataConfig,
    DataKind,
    Flag,
    _choice,
    _int,
    _positive,
    _resolve,
    register_data_kind,
)
from ..seeding import generator
from .base import iid_sampler
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
    """Rows of the teacher (the extra ``teacher``): 1 (v*) for two classes, K otherwise."""
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


@dataclass(frozen=True)
class GaussianConfig(DataConfig):
    """Anisotropic Gaussian inputs with a linear teacher (see the module docstring)."""

    kind: str = "gaussian"
    num_classes: int = 2  # type: ignore[assignment]  # a field here
    spectrum: str = "linear"  # σ_i² spacing: linear or log
    sigma2_min: float = 0.1  # smallest eigenvalue σ_1² of Σ_x
    sigma2_max: float = 3.0  # largest eigenvalue σ_d² of Σ_x
    rotate: bool = False

    noise_models = ("iid", "per-cluster", "random")
    scales = ("sigma2_min", "sigma2_max")

    def check(self) -> None:
        _resolve(self, "num_classes", _int("num_classes", self.num_classes, 2, SIZE_MAX))
        if not isinstance(self.rotate, bool):
            raise ConfigError("rotate", self.rotate, "must be true or false")
        _choice("spectrum", self.spectrum, SPECTRA)
        _resolve(self, "sigma2_min", _positive("sigma2_min", self.sigma2_min))
        _resolve(self, "sigma2_max", _positive("sigma2_max", self.sigma2_max))
        if self.sigma2_max < self.sigma2_min:
            raise ConfigError(
                "sigma2_max", self.sigma2_max, f"must be >= --sigma2-min = {self.sigma2_min:g}"
            )


def _setup(cfg, gen, dtype):  # fixed Σ_x and teacher (the same in every run)
    sig2 = spectrum(cfg.d, cfg.spectrum, cfg.sigma2_min, cfg.sigma2_max)
    frame = distribution(cfg.d, cfg.num_classes, sig2, cfg.rotate, dtype)
    return {"eigenbasis": frame[:cfg.d], "teacher": frame[cfg.d:]}


def _draw(cfg, n, extras, gen, dtype):
    sig2 = spectrum(cfg.d, cfg.spectrum, cfg.sigma2_min, cfg.sigma2_max)
    mu = torch.cat([extras["eigenbasis"], extras["teacher"]])
    return sampler(sig2)(n, mu, 0.0, "", gen, dtype)


register_data_kind(DataKind(
    "gaussian", GaussianConfig, iid_sampler(_setup, _draw, ("eigenbasis", "teacher")),
    flags=(Flag("num_classes", int, "K classes >= 2 (default 2; badger: >= 3, default 10)"),
           Flag("spectrum", str, "--data gaussian: eigenvalues σ_i² of Σ_x linearly or "
                "log-spaced (default linear)", SPECTRA),
           Flag("sigma2_min", float, "--data gaussian: smallest σ_i² > 0 (default 0.1)"),
           Flag("sigma2_max", float, "--data gaussian: largest σ_i² >= --sigma2-min (default 3)"),
           Flag("rotate", bool, "--data xor/gaussian: random orthonormal μ1, μ2 (xor) or a "
                "Haar-random eigenbasis of Σ_x (gaussian)")),
    about="gaussian (linear teacher)"))
