"""Data with a simple and a complex feature that each predict the label perfectly.

Shah et al. (2020)'s "linear + k-slab" (LMS) data and a "linear + XOR" variant, used to test
Vashisht et al. (2024) (paper card ``vashisht2024``, section 2: the generator follows the
[SECONDARY] description of google-research/simplicity-bias ``lms_dataset.py``; the noise
coordinates and the XOR pair are the card's [PROPOSAL]). Width w = 1, margin ``margin`` = γ
(a fraction of w), clean labels ỹ ∈ {±1} with probability 1/2 each; the coordinates are
independent given ỹ:

- coordinate 0, the **simple** (linear) feature S: x_0 = ỹ · (γ + (1 − γ) U), U ~ U(0, 1), so
  |x_0| ∈ [γ, 1] and sgn x_0 = ỹ;
- kind ``lms``: coordinates 1..k, the **complex** features C, are 5-slab coordinates. [−1, 1]
  is cut into five slabs of width s = (2 − 8γ)/5 separated by gaps 2γ:
  slab 0 = [−1, −1 + s], slab 1 = [−(0.2 + 1.2γ) − s, −(0.2 + 1.2γ)], slab 2 = [−s/2, s/2],
  slab 3 = [0.2 + 1.2γ, 0.2 + 1.2γ + s], slab 4 = [1 − s, 1]. ỹ = +1 puts x_c uniformly in
  slab 1 or 3; ỹ = −1 in the centre slab 2 with probability 3/4 (``slab5_pval``) and otherwise
  in slab 0 or 4. Every slab coordinate alone determines ỹ (|x_c| ∈ slab 1/3 ↔ ỹ = +1), but no
  linear function of it does;
- kind ``linxor``: coordinates 1, 2 are an **XOR pair** C: |x_1|, |x_2| ~ γ + (1 − γ) U
  independently, sgn x_1 = s uniform, sgn x_2 = s·ỹ, so ỹ = sgn(x_1 x_2);
- the remaining d − 1 − |C| coordinates are U(−1, 1) noise, independent of ỹ.

Cluster ids (used by the ``per-cluster`` and ``one-cluster`` noise models): for ``lms`` the
slab index 0..4 of coordinate 1 (ỹ = +1 ↔ cluster 1 or 3); for ``linxor`` the quadrant of
(x_1, x_2): 0 = (+, +), 1 = (−, −) (ỹ = +1), 2 = (+, −), 3 = (−, +) (ỹ = −1), as for the XOR
clusters of :mod:`twolayer.data.xor`.

Config (``--data lms``: :class:`LmsConfig` with ``slabs`` k >= 1 and ``margin`` γ in (0, 0.25);
``--data linxor``: :class:`LinxorConfig` with ``margin``). Extras: the coordinate roles as 0/1
masks ``simple_mask`` [R, d] = 1[j ∈ S] and ``complex_mask`` [R, d] = 1[j ∈ C] (the
``correlations`` probe then reports ⟨w_j, 1_S⟩ = W[j, 0] and ⟨w_j, 1_C⟩). :func:`roles` gives the
same index sets from the config.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import (
    SIZE_MAX,
    ConfigError,
    DataConfig,
    DataKind,
    Flag,
    _finite,
    _int,
    _resolve,
    register_data_kind,
)
from .base import iid_sampler

KINDS = ("lms", "linxor")
SLAB5_PVAL = 0.75  # probability that a negative 5-slab coordinate falls in the centre slab


def complex_count(kind: str, slabs: int) -> int:
    """|C|: the number of complex coordinates (k slabs, or 2 for the XOR pair)."""
    return slabs if kind == "lms" else 2


def roles(kind: str, d: int, slabs: int) -> tuple[list[int], list[int], list[int]]:
    """(S, C, noise) coordinate indices: S = [0], C = [1..|C|], noise = the rest."""
    c = complex_count(kind, slabs)
    return [0], list(range(1, 1 + c)), list(range(1 + c, d))


def role_masks(kind: str, d: int, slabs: int, dtype: torch.dtype) -> torch.Tensor:
    """[2, d] 0/1 masks of S (row 0) and C (row 1): the extras ``simple_mask``, ``complex_mask``."""
    s, c, _ = roles(kind, d, slabs)
    out = torch.zeros(2, d, dtype=dtype)
    out[0, s] = 1.0
    out[1, c] = 1.0
    return out


def slab_edges(margin: float) -> list[tuple[float, float]]:
    """The five slabs [lo, hi] of a 5-slab coordinate, left to right (width 1)."""
    s = (2.0 - 8.0 * margin) / 5.0
    inner = (1.0 + 6.0 * margin) / 5.0  # start of the positive slabs
    outer = (3.0 + 8.0 * margin) / 5.0  # start of the outer negative slabs (= 1 − s)
    return [(-outer - s, -outer), (-inner - s, -inner), (-s / 2, s / 2), (inner, inner + s),
            (outer, outer + s)]


def _linear(y: torch.Tensor, margin: float, gen: torch.Generator, dtype: torch.dtype):
    """ỹ · (γ + (1 − γ) U): the linear coordinate (and each |x| of the XOR pair)."""
    u = torch.rand(y.shape[0], generator=gen, dtype=dtype)
    return y.to(dtype) * (margin + (1.0 - margin) * u)


def _slab(y: torch.Tensor, margin: float, gen: torch.Generator, dtype: torch.dtype):
    """(x_c [n], slab index [n]) of one 5-slab coordinate."""
    n = y.shape[0]
    pos = torch.where(torch.rand(n, generator=gen, dtype=torch.float64) < 0.5, 3, 1)
    ctr = torch.rand(n, generator=gen, dtype=torch.float64) < SLAB5_PVAL
    side = torch.where(torch.rand(n, generator=gen, dtype=torch.float64) < 0.5, 4, 0)
    neg = torch.where(ctr, 2, side)
    slab = torch.where(y > 0, pos, neg)
    edges = torch.tensor(slab_edges(margin), dtype=dtype)  # [5, 2]
    lo, hi = edges[slab, 0], edges[slab, 1]
    u = torch.rand(n, generator=gen, dtype=dtype)
    return lo + (hi - lo) * u, slab


def sample(
    kind: str, n: int, d: int, slabs: int, margin: float, gen: torch.Generator, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n i.i.d. points: (x [n, d], clean labels ỹ ∈ {±1} [n], cluster ids [n])."""
    y = torch.where(torch.rand(n, generator=gen, dtype=torch.float64) < 0.5, 1, -1)
    x = torch.rand(n, d, generator=gen, dtype=dtype) * 2.0 - 1.0  # noise coordinates
    x[:, 0] = _linear(y, margin, gen, dtype)
    if kind == "lms":
        cluster = None
        for c in range(1, 1 + slabs):
            x[:, c], slab = _slab(y, margin, gen, dtype)
            if cluster is None:
                cluster = slab
    elif kind == "linxor":
        s = torch.where(torch.rand(n, generator=gen, dtype=torch.float64) < 0.5, 1, -1)
        x[:, 1] = _linear(s, margin, gen, dtype)
        x[:, 2] = _linear(s * y, margin, gen, dtype)
        # quadrant: 0 (+,+), 1 (−,−), 2 (+,−), 3 (−,+)
        cluster = torch.where(y > 0, torch.where(s > 0, 0, 1), torch.where(s > 0, 2, 3))
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return x, y, cluster.long()


def sampler(kind: str, slabs: int, margin: float):
    """:func:`sample` with the signature of the other kinds' samplers,
    ``(n, mu, sigma2, dist, gen, dtype)``; mu holds the role masks, σ² and the law are unused."""

    def fn(n: int, mu: torch.Tensor, sigma2: float, dist: str, gen: torch.Generator,
           dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return sample(kind, n, mu.shape[1], slabs, margin, gen, dtype)

    return fn


def simple_predictor(x: torch.Tensor) -> torch.Tensor:
    """sgn x_0: the label the simple feature alone gives ([..., n])."""
    return torch.where(x[..., 0] > 0, 1, -1)


def complex_predictor(kind: str, x: torch.Tensor, slabs: int, margin: float) -> torch.Tensor:
    """The label the complex coordinates alone give: for ``lms`` +1 iff the first slab coordinate
    lies between the centre slab and the outer slabs (s/2 < |x_1| < 1 − s); for ``linxor``
    sgn(x_1 x_2)."""
    if kind == "linxor":
        return torch.where(x[..., 1] * x[..., 2] > 0, 1, -1)
    s = (2.0 - 8.0 * margin) / 5.0
    a = x[..., 1].abs()
    return torch.where((a > s / 2) & (a < 1.0 - s), 1, -1)


def _check_margin(cfg) -> None:
    margin = _finite("margin", cfg.margin, "valid range is (0, 0.25)")
    if not 0.0 < margin < 0.25:
        raise ConfigError("margin", cfg.margin, "valid range is (0, 0.25)")
    _resolve(cfg, "margin", margin)


def _check_d(cfg, slabs: int) -> None:
    need = 1 + complex_count(cfg.kind, slabs)
    if cfg.d < need:
        what = f"{slabs} slabs" if cfg.kind == "lms" else "the XOR pair"
        raise ConfigError("d", cfg.d, f"must be >= {need} (linear coordinate + {what})")


@dataclass(frozen=True)
class LmsConfig(DataConfig):
    """Linear + k 5-slab coordinates (see the module docstring)."""

    kind: str = "lms"
    slabs: int = 4  # k 5-slab coordinates
    margin: float = 0.1  # γ

    noise_models = ("iid", "per-cluster", "one-cluster", "random")
    noise_models_hint = "the confident model needs --data xor"
    implied = {"num_classes": 2, "rotate": False}
    hints = {"num_classes": "the lms data has 2 classes",
             "rotate": "only --data {kinds} can be rotated"}

    def check(self) -> None:
        _resolve(self, "slabs", _int("slabs", self.slabs, 1, SIZE_MAX))
        _check_margin(self)
        _check_d(self, self.slabs)


@dataclass(frozen=True)
class LinxorConfig(DataConfig):
    """Linear + an XOR pair (see the module docstring)."""

    kind: str = "linxor"
    margin: float = 0.1  # γ

    noise_models = LmsConfig.noise_models
    noise_models_hint = LmsConfig.noise_models_hint
    implied = LmsConfig.implied
    hints = {**LmsConfig.hints, "num_classes": "the linxor data has 2 classes"}

    def check(self) -> None:
        _check_margin(self)
        _check_d(self, 0)


def _setup(cfg, gen, dtype):  # fixed coordinate roles, no random draw from ``gen``
    masks = role_masks(cfg.kind, cfg.d, getattr(cfg, "slabs", 0), dtype)
    return {"simple_mask": masks[0], "complex_mask": masks[1]}


def _draw(cfg, n, extras, gen, dtype):
    return sample(cfg.kind, n, cfg.d, getattr(cfg, "slabs", 0), cfg.margin, gen, dtype)


MARGIN = Flag("margin", float, "margin γ in (0, 0.25) of --data lms/linxor (default 0.1)")
register_data_kind(DataKind(
    "lms", LmsConfig, iid_sampler(_setup, _draw, ("simple_mask", "complex_mask")),
    flags=(Flag("slabs", int, "5-slab coordinates k >= 1 of --data lms (default 4)"), MARGIN),
    about="lms (linear + k slabs)"))
register_data_kind(DataKind(
    "linxor", LinxorConfig, iid_sampler(_setup, _draw, ("simple_mask", "complex_mask")),
    flags=(MARGIN,), about="linxor (linear + XOR pair)"))
