"""Objectives as per-sample loss weights for the one training loop (:func:`engine.train`).

The engine minimises L̂ = Σ_i s_i ℓ(y_i, f(x_i)). An objective here is a callable that returns
the weights s [R, n] at every step from the outputs the step already has (``engine.WeightsFn``).

Badger (2022)'s memorisation objective, from the author's code (objective_generalization.py):
gradient descent on the training set T and gradient ascent on a second set A of the same
distribution,

    L_mem = (1/|T|) Σ_{i∈T} ℓ_i − g_t (1/|A|) Σ_{i∈A} ℓ_i,   s_i = 1/|T| on T, −g_t/|A| on A,

with the gate g_t = 1[Acc_A(θ_{t−1}) > τ] per run. The author gates on Acc_A ≥ 0.11 at the start
of each epoch (chance 0.10); here the gate is re-evaluated every full-batch step from f(θ_{t−1})
with τ = 1/K + 0.01 ("above chance"), τ = a target accuracy (the author's target runs), or no
gate at all (τ = −∞, "ungated").
"""

from __future__ import annotations

import torch

from . import net
from .data import Dataset
from .errors import ConfigError

CHANCE_MARGIN = 0.01  # the author's 0.11 threshold at K = 10 is chance + 0.01


class Memorise:
    """Weights of the gated memorisation objective over a training set T = ``~ascended`` and an
    ascended set A = ``ascended`` (both [R, n] masks over the training inputs).

    gate: "chance" (ascend while Acc_A > 1/K + 0.01), "none" (always ascend) or a float target
    τ ∈ (0, 1) (ascend while Acc_A > τ). ``gates`` keeps the g_t [R] of every call (step).
    """

    def __init__(self, ascended: torch.Tensor, num_classes: int, gate: str | float = "chance"):
        if isinstance(gate, str):
            if gate not in ("chance", "none"):
                valid = "valid choices are chance, none or a number in (0, 1)"
                raise ConfigError("gate", gate, valid)
            self.threshold = (1.0 / num_classes + CHANCE_MARGIN) if gate == "chance" else -1.0
        else:
            if not 0.0 < float(gate) < 1.0:
                raise ConfigError("gate", gate, "a target accuracy must lie in (0, 1)")
            self.threshold = float(gate)
        self.ascended = ascended.bool()
        n_asc = self.ascended.sum(1, keepdim=True)
        n_tr = (~self.ascended).sum(1, keepdim=True)
        if bool((n_asc == 0).any()) or bool((n_tr == 0).any()):
            raise ConfigError("ascended", "mask", "needs a non-empty training and ascended set")
        self.n_asc, self.n_tr = n_asc, n_tr
        self.gates: list[torch.Tensor] = []

    def ascended_accuracy(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """[R]: accuracy of outputs ``out`` [R, n, o] on the ascended set."""
        asc = self.ascended.to(out.device)
        right = (~net.errors(out, y)) & asc
        return right.sum(1).to(out.dtype) / asc.sum(1).to(out.dtype)

    def gate(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """g [R] ∈ {0, 1}: 1 while the ascended accuracy is above the threshold."""
        return (self.ascended_accuracy(out, y) > self.threshold).to(out.dtype)

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:
        g = self.gate(out, data.y)
        self.gates.append(g.detach().cpu())
        asc = self.ascended.to(out.device)
        pos = 1.0 / self.n_tr.to(out.device, out.dtype)
        neg = -g.unsqueeze(1) / self.n_asc.to(out.device, out.dtype)
        return torch.where(asc, neg, pos)


def normal_weights(ascended: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[R, n]: the mean loss over the training set T = ``~ascended`` only (weight 0 on A)."""
    tr = (~ascended.bool()).to(dtype)
    return tr / tr.sum(1, keepdim=True)
