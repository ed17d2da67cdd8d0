"""Pre-train → fine-tune as explicit functions on Params and Datasets (Maennel et al. 2020).

The transfer experiments are sequences of :func:`twolayer.engine.train` calls: pre-train on one
sample, transform the parameters with the functions below, fine-tune on a disjoint sample. No
function here trains.

- :func:`split`: the first n₁ samples of every run and the rest, as two datasets (disjoint
  samples of the same distribution), each with the training labels of its choice (the training
  labels y, e.g. random, or the clean labels ỹ, e.g. a teacher's);
- :func:`rescale_first_layer`: (W, b) ↦ c (W, b) per run with c = ‖W_ref‖_F / ‖W‖_F, the
  paper's control for weight scale (the first layer back at its initial norm; scaling W and b
  together keeps every ReLU pattern);
- :func:`covariance_init`: first-layer rows w_j ~ N(0, Σ_w) for a given covariance, rescaled to
  reference norms (the paper's "covariance" initialisation);
- :func:`fresh_head`: a new second layer a ~ N(0, 1/m), the same draw for every variant of a
  seed (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from .data import Dataset
from .net import Params
from .seeding import generator


def _take(data: Dataset, sl: slice, labels: str) -> Dataset:
    """Samples ``sl`` of every run, trained on ``labels`` ("train": y, "true": ỹ)."""
    y_true = data.y_true[:, sl]
    y = data.y[:, sl] if labels == "train" else y_true
    return replace(
        data,
        x=data.x[:, sl],
        y_true=y_true,
        y=y,
        noisy=y != y_true,
        cluster=data.cluster[:, sl],
    )


def split(data: Dataset, n_first: int, labels: tuple[str, str] = ("train", "train")
          ) -> tuple[Dataset, Dataset]:
    """(first ``n_first`` samples, the rest) of every run, each trained on the labels named in
    ``labels`` ("train": the dataset's training labels y; "true": its clean labels ỹ). Both
    keep the full test set."""
    for lab in labels:
        if lab not in ("train", "true"):
            raise ValueError(f"labels must be 'train' or 'true', not {lab!r}")
    n = data.x.shape[1]
    if not 0 < n_first < n:
        raise ValueError(f"n_first must lie in (0, {n}), not {n_first}")
    return _take(data, slice(0, n_first), labels[0]), _take(data, slice(n_first, n), labels[1])


def frobenius(W: torch.Tensor) -> torch.Tensor:
    """‖W_r‖_F per run: [R]."""
    return W.flatten(1).norm(dim=1)


def rescale_first_layer(p: Params, ref_norm: torch.Tensor) -> Params:
    """(W, b) ↦ c_r (W, b) per run with c_r = ref_norm_r / ‖W_r‖_F."""
    c = (ref_norm.to(p.W) / frobenius(p.W)).view(-1, 1)
    return replace(p, W=p.W * c.unsqueeze(-1), b=None if p.b is None else p.b * c)


def covariance_init(
    cov: torch.Tensor,
    frame: torch.Tensor,
    m: int,
    seeds: list[int],
    ref_norm: torch.Tensor,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """[R, m, d]: rows w_j = Vᵀ w̃_j with w̃_j ~ N(0, Σ_w) drawn per run from its own seed,
    Σ_w = ``cov`` [d, d] given in the data frame (rows of ``frame`` [R, d, d] = v_1..v_d), then
    rescaled so that ‖W_r‖_F = ref_norm_r."""
    c = cov.to(torch.float64)
    c = 0.5 * (c + c.T)
    lam, q = torch.linalg.eigh(c)
    root = q * lam.clamp(min=0.0).sqrt().unsqueeze(0)  # Σ^{1/2} up to rotation: root rootᵀ = Σ
    d = c.shape[0]
    out = []
    for r, s in enumerate(seeds):
        z = torch.randn(m, d, generator=generator(s, "covariance-init"), dtype=torch.float64,
                        device="cpu")
        wt = z @ root.T  # rows ~ N(0, Σ_w) in the frame
        out.append(wt @ frame[r].to(torch.float64))  # back to input coordinates
    W = torch.stack(out)
    W = W * (ref_norm.to(torch.float64) / frobenius(W)).view(-1, 1, 1)
    return W.to(dtype)


def fresh_head(p: Params, seeds: list[int], stream: str = "fine-tune-head") -> Params:
    """A new second layer a_jk ~ N(0, 1/m) per run (seeded by ``seeds`` and ``stream``)."""
    m, o = p.m, p.outputs
    a = torch.stack([
        torch.randn(m, o, generator=generator(s, stream), dtype=torch.float64, device="cpu")
        / math.sqrt(m)
        for s in seeds
    ]).to(p.a)
    return replace(p, a=a)


def stack(variants: list[Params]) -> Params:
    """The variants' runs one after the other on the run axis ([V·R, ...], variant-major)."""
    b = None if variants[0].b is None else torch.cat([v.b for v in variants])
    return replace(
        variants[0],
        W=torch.cat([v.W for v in variants]),
        a=torch.cat([v.a for v in variants]),
        b=b,
    )


def repeat(data: Dataset, times: int) -> Dataset:
    """The dataset's runs repeated ``times`` times on the run axis (variant-major)."""
    idx = list(range(data.runs)) * times
    return data.select(idx)
