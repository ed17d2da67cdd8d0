"""Objectives as per-sample loss weights for the one training loop (:func:`engine.train`).

The engine minimises L̂ = Σ_i s_i ℓ(y_i, f(x_i)). An objective here is a callable that returns
the weights s [R, n] at every step from the outputs the step already has (``engine.WeightsFn``).

Badger (2022)'s memorisation objective, from the author's code (objective_generalization.py):
gradient descent on the training set T and gradient ascent on a second set A of the same
distribution,

    L_mem = (1/|T|) Σ_{i∈T} ℓ_i − g_t (1/|A|) Σ_{i∈A} ℓ_i,   s_i = 1/|T| on T, −g_t/|A| on A,

with a gate g ∈ {0, 1} per run. The threshold τ is 1/K + 0.01 ("above chance", the author's 0.11
at K = 10), a target accuracy (the author's target runs), −∞ ("ungated": always ascend) or +∞
("never": the normal objective on the same minibatches).

Two optimisers, both through the one engine loop:
- full-batch GD (``batch_size`` None): g_t = 1[Acc_A(θ_{t−1}) > τ] re-evaluated every step from
  the outputs the previous step computed (a one-step lag, no extra forward pass);
- minibatch SGD, as in the author's code (:meth:`Memorise.minibatches`): each step pairs a
  minibatch B_T of T with a minibatch B_A of A (fresh permutations of T and A per epoch per run,
  streams ``memorise-train`` / ``memorise-ascended``; an epoch is min(|T|, |A|) // B steps, the
  incomplete last batches dropped), with weights s_i = 1/|B_T| on B_T and −g_e/|B_A| on B_A; the
  gate g_e = 1[Acc_A(θ) > τ] is evaluated once at the start of each epoch e on the whole of A at
  the current parameters (the author's per-epoch test accuracy).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from . import net
from .data import Dataset
from .errors import ConfigError
from .net import Params
from .seeding import generator, permutations

CHANCE_MARGIN = 0.01  # the author's 0.11 threshold at K = 10 is chance + 0.01


class Memorise:
    """Weights of the gated memorisation objective over a training set T = ``~ascended`` and an
    ascended set A = ``ascended`` (both [R, n] masks over the training inputs).

    gate: "chance" (ascend while Acc_A > 1/K + 0.01), "none" (always ascend), "never" (never
    ascend: the normal objective, on the same paired minibatches under SGD) or a float target
    τ ∈ (0, 1) (ascend while Acc_A > τ). ``gates`` keeps the g [R] of every step.
    """

    def __init__(self, ascended: torch.Tensor, num_classes: int, gate: str | float = "chance"):
        if isinstance(gate, str):
            fixed = {"chance": 1.0 / num_classes + CHANCE_MARGIN, "none": -1.0,
                     "never": float("inf")}
            if gate not in fixed:
                valid = "valid choices are chance, none, never or a number in (0, 1)"
                raise ConfigError("gate", gate, valid)
            self.threshold = fixed[gate]
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
        self.gates: list[torch.Tensor] = []  # g [R] per step, on the training device
        self._on: tuple | None = None  # (device, dtype, mask, 1/|T|, 1/|A|) there

    def _device_masks(self, out: torch.Tensor) -> tuple:
        """The mask and the set sizes on ``out``'s device and dtype, copied there once."""
        key = (out.device, out.dtype)
        if self._on is None or self._on[:2] != key:
            self._on = key + (self.ascended.to(out.device), self.n_tr.to(out.device, out.dtype),
                              self.n_asc.to(out.device, out.dtype))
        return self._on[2:]

    def ascended_accuracy(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """[R]: accuracy of outputs ``out`` [R, n, o] on the ascended set."""
        asc, _, n_asc = self._device_masks(out)
        right = (~net.errors(out, y)) & asc
        return right.sum(1).to(out.dtype) / n_asc[:, 0]

    def gate(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """g [R] ∈ {0, 1}: 1 while the ascended accuracy is above the threshold."""
        return (self.ascended_accuracy(out, y) > self.threshold).to(out.dtype)

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:
        g = self.gate(out, data.y)
        self.gates.append(g.detach())  # stays on the device: no host sync per step
        asc, n_tr, n_asc = self._device_masks(out)
        return torch.where(asc, -g.unsqueeze(1) / n_asc, 1.0 / n_tr)

    def rows(self, batch: int) -> int:
        """Rows per SGD step: a minibatch of T and one of A."""
        return 2 * batch

    def minibatches(
        self, p: Params, data: Dataset, batch: int, seeds: list[int], budget: int
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Yield (x, y, s) [R, 2B, ...] forever: B rows of T then B rows of A, s = 1/B on the T
        rows and −g_e/B on the A rows, g_e from the whole of A at the live parameters ``p`` at
        the start of each epoch (see the module docstring)."""
        asc = self.ascended.to(data.x.device)
        n_tr, n_asc = int(self.n_tr[0, 0]), int(self.n_asc[0, 0])
        if bool((self.n_tr != n_tr).any()) or bool((self.n_asc != n_asc).any()):
            raise ConfigError("ascended", "mask", "needs the same set sizes in every run under SGD")
        if batch > min(n_tr, n_asc):
            raise ConfigError("batch_size", batch,
                              f"the memorise objective's minibatch (per set) must be <= "
                              f"{min(n_tr, n_asc)}, the smaller of the two sets")
        order = torch.argsort(asc.to(torch.int8), dim=1, stable=True)  # T's indices, then A's
        idx_tr, idx_asc = order[:, :n_tr], order[:, n_tr:]
        d = data.x.shape[2]
        x_asc = data.x.gather(1, idx_asc.unsqueeze(-1).expand(-1, -1, d))
        y_asc = data.y.gather(1, idx_asc)
        g_tr = [generator(s, "memorise-train") for s in seeds]
        g_asc = [generator(s, "memorise-ascended") for s in seeds]
        steps = min(n_tr, n_asc) // batch
        pos = torch.full((p.runs, batch), 1.0 / batch, dtype=data.x.dtype, device=data.x.device)
        # epochs drawn at once: one copy to a GPU per ~64 steps (one epoch at a time on a CPU)
        epochs = 1 if data.x.device.type == "cpu" else max(1, 64 // max(1, steps))
        ahead: list[tuple[torch.Tensor, torch.Tensor]] = []
        while True:
            if self.threshold == float("inf"):
                g = torch.zeros(p.runs, dtype=data.x.dtype, device=data.x.device)
            else:
                acc = self.ascended_accuracy_of(net.forward(p, x_asc, budget), y_asc)
                g = (acc > self.threshold).to(data.x.dtype)
            s = torch.cat([pos, (-g / batch).unsqueeze(1).expand(-1, batch)], dim=1)
            if not ahead:  # the next epochs' permutations, drawn and copied at once
                ahead = list(zip(permutations(g_tr, n_tr, epochs, idx_tr.device).unbind(0),
                                 permutations(g_asc, n_asc, epochs, idx_asc.device).unbind(0)))
            perm_tr, perm_asc = ahead.pop(0)
            perm_tr = idx_tr.gather(1, perm_tr)
            perm_asc = idx_asc.gather(1, perm_asc)
            for k in range(steps):
                sl = slice(k * batch, (k + 1) * batch)
                idx = torch.cat([perm_tr[:, sl], perm_asc[:, sl]], dim=1)
                self.gates.append(g.detach())
                xb = data.x.gather(1, idx.unsqueeze(-1).expand(-1, -1, d))
                yield xb, data.y.gather(1, idx), s

    @staticmethod
    def ascended_accuracy_of(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """[R]: accuracy of outputs ``out`` [R, n, o] against labels ``y`` [R, n]."""
        return (~net.errors(out, y)).to(out.dtype).mean(1)


def normal_weights(ascended: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[R, n]: the mean loss over the training set T = ``~ascended`` only (weight 0 on A)."""
    tr = (~ascended.bool()).to(dtype)
    return tr / tr.sum(1, keepdim=True)
