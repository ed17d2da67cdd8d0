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

One model replaces labels instead of flipping them:

- ``random``: each label is replaced with probability η by a label drawn uniformly from the K
  classes, independently of x and of the old label (so it may stay the same: mean flip rate
  η(K−1)/K). η = 1 gives entirely random labels (Maennel et al. 2020), the valid range is
  [0, 1]; the noisy mask marks the labels that changed (y ≠ ỹ).
"""

from __future__ import annotations

import torch


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
        fstar = (x @ mu[0]).abs() - (x @ mu[1]).abs()  # the XOR data's Bayes margin
        margin = labels.to(x.dtype) * fstar
        mask[torch.argsort(margin, descending=True, stable=True)[:total]] = True
        return mask
    raise ValueError(f"unknown noise model {model!r}")


def replace_random(
    rate: float, labels: torch.Tensor, num_classes: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(labels, noisy mask): each label replaced with probability ``rate`` by a uniform label
    (±1 for two classes, 0..K−1 otherwise), drawn independently of x."""
    n = labels.shape[0]
    replace = torch.rand(n, generator=gen, dtype=torch.float64) < rate
    cls = torch.randint(0, num_classes, (n,), generator=gen)
    new = 1 - 2 * cls if num_classes == 2 else cls
    out = torch.where(replace, new.to(labels.dtype), labels)
    return out, out != labels


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
    """(corrupted labels, noisy mask) under the named model at mean rate η = ``rate``
    (``random``: replacement probability η)."""
    if model == "random":
        return replace_random(rate, labels, num_classes, gen)
    mask = flip_mask(model, rate, labels, cluster, x, mu, gen)
    return _flip(labels, mask, num_classes, gen), mask
