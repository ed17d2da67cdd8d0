"""Parameters of R two-layer ReLU networks and their initialisation.

R independent networks live in one set of tensors: W [R, m, d], a [R, m, o], b [R, m] or None,
with o = 1 output (binary, labels ±1) or o = K (softmax).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from ..config import NetConfig
from ..seeding import generator


@dataclass(frozen=True)
class Params:
    """Parameters of R networks. ``train_a``/``train_b`` say which of a, b are trained."""

    W: torch.Tensor  # [R, m, d]
    a: torch.Tensor  # [R, m, o]
    b: torch.Tensor | None  # [R, m] or None (no bias)
    train_a: bool = False

    @property
    def runs(self) -> int:
        """R, the number of networks."""
        return self.W.shape[0]

    @property
    def m(self) -> int:
        """m, the width (neurons per network)."""
        return self.W.shape[1]

    @property
    def outputs(self) -> int:
        """o, the outputs per network (1, or K for softmax)."""
        return self.a.shape[2]

    def clone(self) -> Params:
        """A copy with cloned tensors."""
        return replace(
            self,
            W=self.W.clone(),
            a=self.a.clone(),
            b=None if self.b is None else self.b.clone(),
        )

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Params:
        """The parameters on ``device`` (and in ``dtype`` if given)."""
        return replace(
            self,
            W=self.W.to(device, dtype),
            a=self.a.to(device, dtype),
            b=None if self.b is None else self.b.to(device, dtype),
        )

    def select(self, runs: list[int] | slice) -> Params:
        """The networks of the given runs."""
        return replace(
            self, W=self.W[runs], a=self.a[runs], b=None if self.b is None else self.b[runs]
        )

    def trainable(self) -> dict[str, torch.Tensor]:
        """The trained tensors by name: W always, a and b when they train."""
        out = {"W": self.W}
        if self.b is not None:
            out["b"] = self.b
        if self.train_a:
            out["a"] = self.a
        return out


def init_params(
    cfg: NetConfig, d: int, seeds: list[int], init_var: float, dtype: torch.dtype = torch.float32
) -> Params:
    """Initialise R = len(seeds) networks on the CPU, each from its own seed.

    W_jk ~ N(0, ω_init²) with ω_init² = ``init_var``; b = 0; a as in ``cfg.second_layer``:
    fixed signs (:attr:`NetConfig.fixed_signs`) a_j = +1/√m for j < ⌊m/2⌋, −1/√m for
    ⌊m/2⌋ ≤ j < 2⌊m/2⌋ and, for an odd m, a_{m−1} = 0 (the paper's a_m = 0: a neuron that is
    neither positive nor negative; 0-based j), or random a_jk ~ N(0, 1/m).
    """
    m, o = cfg.m, cfg.outputs
    W = torch.empty(len(seeds), m, d, dtype=dtype, device="cpu")  # filled run by run (no stack)
    As = []
    for i, s in enumerate(seeds):
        g = generator(s, "init")
        torch.randn(m, d, generator=g, dtype=dtype, device="cpu", out=W[i])
        W[i].mul_(math.sqrt(init_var))
        if cfg.fixed_signs:
            a = fixed_second_layer(m, o, dtype)
        else:
            a = torch.randn(m, o, generator=g, dtype=dtype, device="cpu") / math.sqrt(m)
        As.append(a)
    b = torch.zeros(len(seeds), m, dtype=dtype, device="cpu") if cfg.bias else None
    return Params(W=W, a=torch.stack(As), b=b, train_a=cfg.train_second_layer)


def fixed_second_layer(m: int, outputs: int = 1, dtype: torch.dtype = torch.float32
                       ) -> torch.Tensor:
    """[m, outputs]: Frei et al.'s fixed second layer (card section 2), 0-based j:

    - a_j = +1/√m for j < ⌊m/2⌋ (the positive neurons);
    - a_j = −1/√m for ⌊m/2⌋ ≤ j < 2⌊m/2⌋ (the negative neurons);
    - odd m: a_{m−1} = 0, the paper's a_m = 0 ("odd m: set a_m = 0" [PAPER]): a neuron that is
      neither positive nor negative, in no J_μ, whose gradient a_m·(…) is 0, so GD never
      moves it. The other a_j keep the scale 1/√m of the true width m [INFERRED: the card
      states a_j = ±1/√m and sets only a_m to 0; it names no other scale]; (m − 1)/2 neurons
      of each sign then carry Σ_j a_j² = (m − 1)/m.

    An even m is the layout built before odd widths were (the same bits: 1/√m, the second half
    negated)."""
    a = torch.full((m, outputs), 1.0 / math.sqrt(m), dtype=dtype, device="cpu")
    a[m // 2 :] *= -1.0
    if m % 2:
        a[m - 1] = 0.0
    return a


def signed_neurons(a: torch.Tensor) -> torch.Tensor:
    """[..., m] bool from a [..., m, 1] second layer: a_j ≠ 0, the neurons that are positive or
    negative. Frei et al.'s sign split (positive a_j > 0, negative a_j < 0; Lemma 4's J_μ)
    puts the zero neuron of an odd m in neither group."""
    return a[..., 0] != 0
