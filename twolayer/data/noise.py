"""Label corruption models. Each returns the training labels and the noisy mask.

A corrupted binary label is −ỹ; a corrupted K-class label is a uniformly chosen other class.
All models have mean flip rate η:

- ``iid``: each label flipped independently with probability η (flip count ~ Binomial(n, η));
- ``per-cluster``: exactly round(η·n_c) flips in each cluster c, at uniformly chosen points;
- ``one-cluster`` (adversarial, input-dependent): round(η·n) flips placed in as few clusters as
  possible, filling cluster 0 (+μ1) first, then 1, 2, 3;
- ``confident`` (adversarial, input-dependent): the round(η·n) points with the largest clean
  margin ỹ·f*(x), f*(x) = |⟨μ1,x⟩| − |⟨μ2,x⟩|, are flipped: the noise sits where the Bayes-like
  classifier is most sure.
"""

from __future__ import annotations

import torch

from . import xor


def _flip(labels: torch.Tensor, mask: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    out = labels.clone()
    if k == 2:  # binary labels are ±1
        out[mask] = -labels[mask]
    else:
        shift = torch.randint(1, k, (int(mask.sum()),), generator=gen)
        out[mask] = (labels[mask] + shift) % k
    return out


def flip_mask(
    model: str,
    rate: float,
    labels: torch.Tensor,
    cluster: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    gen: torch.Generator,
) -> torch.Tensor:
    """Boolean mask [n] of the points whose label is corrupted."""
    n = labels.shape[0]
    if model == "iid":
        return torch.rand(n, generator=gen, dtype=torch.float64) < rate
    mask = torch.zeros(n, dtype=torch.bool)
    if model == "per-cluster":
        for c in torch.unique(cluster).tolist():
            idx = torch.nonzero(cluster == c).squeeze(1)
            k = round(rate * idx.numel())
            mask[idx[torch.randperm(idx.numel(), generator=gen)[:k]]] = True
        return mask
    total = round(rate * n)
    if model == "one-cluster":
        left = total
        for c in range(int(cluster.max()) + 1):
            idx = torch.nonzero(cluster == c).squeeze(1)
            take = min(left, idx.numel())
            mask[idx[torch.randperm(idx.numel(), generator=gen)[:take]]] = True
            left -= take
            if left == 0:
                break
        return mask
    if model == "confident":
        margin = labels.to(x.dtype) * xor.bayes_margin(x, mu)
        mask[torch.argsort(margin, descending=True, stable=True)[:total]] = True
        return mask
    raise ValueError(f"unknown noise model {model!r}")


def corrupt(
    model: str,
    rate: float,
    labels: torch.Tensor,
    cluster: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    num_classes: int,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted labels, noisy mask) under the named model at mean rate η = ``rate``."""
    mask = flip_mask(model, rate, labels, cluster, x, mu, gen)
    return _flip(labels, mask, num_classes, gen), mask
