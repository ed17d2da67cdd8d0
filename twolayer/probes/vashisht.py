"""Measurements of feature reliance for Vashisht et al. (2024) (paper card ``vashisht2024``,
section 4, metrics V1–V7; every metric is the card's [PROPOSAL]). Binary simple + complex
feature data (``--data lms`` or ``linxor``, :mod:`twolayer.data.lms`), one output.

Notation: S = the simple coordinate {0}, C = the complex coordinates (slabs or the XOR pair),
read from the extras ``simple_mask`` (1_S) and ``complex_mask`` (1_C).
f(x) = Σ_j a_j φ(⟨w_j, x⟩ + b_j); predictions ŷ = sgn f (f = 0 counts as −1,
:func:`twolayer.net.predict`). All accuracies are against the clean test labels ỹ.

- clean accuracy (V1): mean_i 1[ŷ(x_i) = ỹ_i];
- S-randomised accuracy (V2): the same with x_i[S] replaced by x_π(i)[S] for a random
  permutation π of the test points (the other coordinates kept); ≈ 1/2 for a model that uses
  only S, = clean accuracy for a model that ignores S;
- C-randomised accuracy (V3): the same with the block x_i[C] replaced by x_π'(i)[C] (one
  permutation π' for all of C, so the XOR pair moves together);
- conflict following (V4): on conflict inputs x_i with x_i[0] → −x_i[0] (the simple feature now
  points to −ỹ_i, the complex one still to ỹ_i; −x_0 is a legal value of the other class), the
  share of predictions ŷ = ỹ_i, i.e. that follow the complex feature;
- attribution share (V5), gradient × (input − mean): with J_i = ∂f/∂x (x_i) and x̄ the test mean,
  e_ij = |J_ij (x_ij − x̄_j)|; the pooled share A_C = Σ_{j∈C} Σ_i e_ij / Σ_j Σ_i e_ij, and the
  per-point share A_C(x_i) = Σ_{j∈C} e_ij / Σ_j e_ij;
- neuron loading (V6): ‖W[j, C]‖ / ‖W[j, :]‖ per hidden unit j (input weights only, no bias);
- disagreement (V7, :func:`disagreement`): share of inputs on which two networks' ŷ differ.

The permutations π, π' are fixed draws of named seeded streams (the same for every run and
every probe time: each run's test points are an independent draw, so one π is as good as
another, and curves over time are not jittered by redrawing it).

Probe ``vashisht`` (all [R]): clean_acc, s_rand_acc, c_rand_acc, conflict_follow,
attribution_c, attribution_s, loading_mean (mean over units of the loading), train_acc (against
the training labels, which may be noisy), train_acc_true (against the clean training labels).
"""

from __future__ import annotations

import torch

from .. import net
from ..data import Dataset
from ..errors import ConfigError
from ..net import Params
from ..seeding import generator
from .base import ProbeState, register

PERM_SEED = 0  # seed of the permutation streams "vashisht-perm-S", "vashisht-perm-C"


def roles(data: Dataset) -> tuple[list[int], list[int]]:
    """(S, C) coordinate indices from the data's role masks, the extras ``simple_mask`` and
    ``complex_mask`` [R, d] (the roles are the same in every run)."""
    s, c = data.extras["simple_mask"][0], data.extras["complex_mask"][0]
    return torch.nonzero(s > 0).flatten().tolist(), torch.nonzero(c > 0).flatten().tolist()


def permutation(n: int, stream: str) -> torch.Tensor:
    """A fixed random permutation of n test indices (seeded stream ``stream``)."""
    return torch.randperm(n, generator=generator(PERM_SEED, stream), device="cpu")


def randomise(x: torch.Tensor, cols: list[int], perm: torch.Tensor) -> torch.Tensor:
    """x with the columns ``cols`` of every run replaced by the same columns of the points
    perm(i): x̃_i[cols] = x_perm(i)[cols], the rest unchanged. x [R, n, d]."""
    out = x.clone()
    idx = torch.as_tensor(cols, device=x.device)
    out[:, :, idx] = x[:, perm.to(x.device)][:, :, idx]
    return out


def conflict(x: torch.Tensor, simple: list[int]) -> torch.Tensor:
    """Conflict inputs: the simple coordinates negated (x_0 → −x_0)."""
    out = x.clone()
    out[:, :, simple] = -out[:, :, simple]
    return out


def accuracy(p: Params, x: torch.Tensor, y: torch.Tensor, budget: int = net.DEFAULT_CHUNK_ELEMENTS):
    """[R]: share of points with ŷ = y."""
    return (net.predict(net.forward(p, x, budget)) == y).to(x.dtype).mean(-1)


def reliance(
    p: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    simple: list[int],
    complex_: list[int],
    budget: int = net.DEFAULT_CHUNK_ELEMENTS,
    out: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Clean, S-randomised and C-randomised accuracy and conflict following, each [R], on the
    points x [R, n, d] with clean labels y [R, n]. ``out``: f(x) if already computed."""
    n = x.shape[1]
    f = net.forward(p, x, budget) if out is None else out
    res = {"clean_acc": (net.predict(f) == y).to(x.dtype).mean(-1)}
    res["s_rand_acc"] = accuracy(p, randomise(x, simple, permutation(n, "vashisht-perm-S")), y,
                                 budget)
    res["c_rand_acc"] = accuracy(p, randomise(x, complex_, permutation(n, "vashisht-perm-C")), y,
                                 budget)
    res["conflict_follow"] = accuracy(p, conflict(x, simple), y, budget)
    return res


def input_gradients(p: Params, x: torch.Tensor) -> torch.Tensor:
    """[R, n, d]: ∂f/∂x = Σ_j a_j 1[⟨w_j, x⟩ + b_j > 0] w_j (one output)."""
    act = (net.preactivation(p, x) > 0).to(x.dtype) * p.a[:, None, :, 0]  # [R, n, m]
    return torch.bmm(act, p.W)


def attribution(p: Params, x: torch.Tensor, budget: int = net.DEFAULT_CHUNK_ELEMENTS
                ) -> torch.Tensor:
    """[R, n, d]: e_ij = |∂f/∂x_j (x_i) · (x_ij − x̄_j)|, x̄ the mean of x over its points
    (in chunks of points, so that the [R, chunk, m] activations bound the memory)."""
    xbar = x.mean(1, keepdim=True)
    out = torch.empty_like(x)
    for sl in net.chunks(x.shape[1], p.runs, p.m, budget):
        out[:, sl] = (input_gradients(p, x[:, sl]) * (x[:, sl] - xbar)).abs()
    return out


def attribution_share(e: torch.Tensor, cols: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled share [R], per-point share [R, n]) of the columns ``cols`` in e [R, n, d]."""
    idx = torch.as_tensor(cols, device=e.device)
    part = e[:, :, idx].sum(-1)
    total = e.sum(-1)
    pooled = part.sum(-1) / total.sum(-1)
    per_point = torch.where(total > 0, part / total, torch.nan)
    return pooled, per_point


def loading(W: torch.Tensor, cols: list[int]) -> torch.Tensor:
    """[R, m]: ‖W[j, cols]‖ / ‖W[j, :]‖ for every hidden unit."""
    idx = torch.as_tensor(cols, device=W.device)
    return W[:, :, idx].norm(dim=-1) / W.norm(dim=-1)


def disagreement(p: Params, q: Params, x: torch.Tensor,
                 budget: int = net.DEFAULT_CHUNK_ELEMENTS) -> torch.Tensor:
    """[R]: share of the points x [R, n, d] on which run r of p and run r of q predict
    differently."""
    a = net.predict(net.forward(p, x, budget))
    b = net.predict(net.forward(q, x, budget))
    return (a != b).to(x.dtype).mean(-1)


def _require(s: ProbeState) -> None:
    if s.data.kind not in ("lms", "linxor") or s.params.outputs != 1:
        raise ConfigError("probes", "vashisht", "needs --data lms or linxor with one output")


@register("vashisht")
def vashisht_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    _require(s)
    d = s.data
    simple, complex_ = roles(d)
    out = reliance(s.params, d.x_test, d.y_test_true, simple, complex_, s.budget, s.out_test())
    e = attribution(s.params, d.x_test, s.budget)
    out["attribution_c"] = attribution_share(e, complex_)[0]
    out["attribution_s"] = attribution_share(e, simple)[0]
    out["loading_mean"] = loading(s.params.W, complex_).mean(-1)
    pred = net.predict(s.out_train())
    out["train_acc"] = (pred == d.y).to(d.x.dtype).mean(-1)
    out["train_acc_true"] = (pred == d.y_true).to(d.x.dtype).mean(-1)
    return out
