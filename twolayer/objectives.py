"""Objectives as per-sample loss weights for the one training loop (:func:`engine.train`).

The engine minimises L̂ = Σ_i s_i ℓ(y_i, f(x_i)). An objective here is a callable that returns
the weights s [R, n] at every step from the outputs the step already has (``engine.WeightsFn``).

Badger (2022)'s memorisation objective, from the author's code (objective_generalization.py):
gradient descent on the training set T and gradient ascent on a second set A of the same
distribution,

    L_mem = (1/|T|) Σ_{i∈T} ℓ_i − g_t (1/|A|) Σ_{i∈A} ℓ_i,   s_i = 1/|T| on T, −g_t/|A| on A,

with a gate g ∈ {0, 1} per run: g = 1[Acc_A ≥ τ], as the author's code ascends unless the
accuracy is below 0.11 (card: "g_t = 0 ... if ... < 0.11; g_t = 1 otherwise"). The threshold τ is
1/K + 0.01 ("above chance", the author's 0.11 at K = 10), a target accuracy (the author's target
runs), −∞ ("ungated": always ascend) or +∞ ("never": the normal objective on the same
minibatches). Acc_A = k/|A| is compared as the count k ≥ τ|A| − 10⁻⁹|A| in float64, so that an
accuracy equal to τ opens the gate although the float 1/10 + 0.01 lies above 0.11 and the
float32 quotient k/|A| may lie below it.

Two optimisers, both through the one engine loop:
- full-batch GD (``batch_size`` None): g_t = 1[Acc_A(θ_{t−1}) ≥ τ] re-evaluated every step from
  the outputs the previous step computed (a one-step lag, no extra forward pass);
- minibatch SGD, as in the author's code (:meth:`Memorise.minibatches`): each step pairs a
  minibatch B_T of T with a minibatch B_A of A (fresh permutations of T and A per epoch per run,
  streams ``memorise-train`` / ``memorise-ascended``; an epoch is min(|T|, |A|) // B steps, the
  incomplete last batches dropped), with weights s_i = 1/|B_T| on B_T and −g_e/|B_A| on B_A; the
  gate g_e = 1[Acc_A(θ) ≥ τ] is evaluated once at the start of each epoch e on the whole of A at
  the current parameters (the author's per-epoch test accuracy). A phase that continues an
  earlier one (``skip_epochs`` = E: normal training after E epochs of memorising) skips the
  first E epochs' permutations of both streams, so it draws epochs E + 1, E + 2, ... as one
  uninterrupted run of 2E epochs would, instead of repeating the first phase's orders.
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
# an accuracy k/|A| counts as reaching τ when k ≥ τ|A| − GATE_SLACK·|A|: absorbs the float
# rounding of τ (1/10 + 0.01 = 0.11000000000000001) and never merges two counts below |A| = 10⁹
GATE_SLACK = 1e-9


class Memorise:
    """Weights of the gated memorisation objective over a training set T = ``~ascended`` and an
    ascended set A = ``ascended`` (both [R, n] masks over the training inputs).

    gate: "chance" (ascend while Acc_A ≥ 1/K + 0.01), "none" (always ascend), "never" (never
    ascend: the normal objective, on the same paired minibatches under SGD) or a float target
    τ ∈ (0, 1) (ascend while Acc_A ≥ τ). ``gates`` keeps the g [R] of every step.
    ``skip_epochs`` (SGD only): the number of epochs an earlier phase already drew from the
    minibatch streams; this phase starts at the epoch after them.
    """

    def __init__(self, ascended: torch.Tensor, num_classes: int, gate: str | float = "chance",
                 skip_epochs: int = 0):
        if isinstance(skip_epochs, bool) or not isinstance(skip_epochs, int) or skip_epochs < 0:
            raise ConfigError("skip_epochs", skip_epochs, "an integer >= 0")
        self.skip_epochs = skip_epochs
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
        self._on: tuple | None = None  # (device, dtype, mask, |T|, |A|, |A| in float64) there

    def _device_masks(self, out: torch.Tensor) -> tuple:
        """The mask and the set sizes on ``out``'s device and dtype, copied there once."""
        key = (out.device, out.dtype)
        if self._on is None or self._on[:2] != key:
            self._on = key + (self.ascended.to(out.device), self.n_tr.to(out.device, out.dtype),
                              self.n_asc.to(out.device, out.dtype),
                              self.n_asc[:, 0].to(out.device, torch.float64))
        return self._on[2:5]

    def _device_count(self, out: torch.Tensor) -> torch.Tensor:
        """[R] float64: |A| per run on ``out``'s device (for :meth:`reaches`), copied there once."""
        self._device_masks(out)
        return self._on[5]

    def ascended_accuracy(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """[R]: accuracy of outputs ``out`` [R, n, o] on the ascended set."""
        asc, _, n_asc = self._device_masks(out)
        right = (~net.errors(out, y)) & asc
        return right.sum(1).to(out.dtype) / n_asc[:, 0]

    def reaches(self, right: torch.Tensor, size: torch.Tensor | int) -> torch.Tensor:
        """[R] bool: the accuracy ``right``/``size`` (counts of correct points of A) is at
        least the threshold τ, compared in float64 as right ≥ (τ − GATE_SLACK)·size."""
        if isinstance(size, torch.Tensor):
            size = size.to(torch.float64)  # a no-op for the float64 count on the device
        return right.to(torch.float64) >= (self.threshold - GATE_SLACK) * size

    def gate(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """g [R] ∈ {0, 1}: 1 while the ascended accuracy is at least the threshold."""
        asc, _, _ = self._device_masks(out)  # copied to the device once, not every step
        right = ((~net.errors(out, y)) & asc).sum(1)
        return self.reaches(right, self._device_count(out)).to(out.dtype)

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
        if self.skip_epochs:  # the epochs an earlier phase drew (drawn on the CPU and dropped)
            permutations(g_tr, n_tr, self.skip_epochs)
            permutations(g_asc, n_asc, self.skip_epochs)
        steps = min(n_tr, n_asc) // batch
        pos = torch.full((p.runs, batch), 1.0 / batch, dtype=data.x.dtype, device=data.x.device)
        # epochs drawn at once: one copy to a GPU per ~64 steps (one epoch at a time on a CPU)
        epochs = 1 if data.x.device.type == "cpu" else max(1, 64 // max(1, steps))
        ahead: list[tuple[torch.Tensor, torch.Tensor]] = []
        while True:
            if self.threshold == float("inf"):
                g = torch.zeros(p.runs, dtype=data.x.dtype, device=data.x.device)
            else:
                out_asc = net.forward(p, x_asc, budget)
                right = (~net.errors(out_asc, y_asc)).sum(1)
                g = self.reaches(right, n_asc).to(data.x.dtype)
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


def normal_weights(ascended: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[R, n]: the mean loss over the training set T = ``~ascended`` only (weight 0 on A)."""
    tr = (~ascended.bool()).to(dtype)
    return tr / tr.sum(1, keepdim=True)
