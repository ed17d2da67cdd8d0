"""Full-batch training in the row span of the training inputs: d ≫ n at the cost of d = n.

Every loss of :mod:`twolayer.net` depends on the first layer only through the pre-activations
X W_r^T (X = x_r [n, d] the training inputs of run r). So ∇_W L̂ = G X for some G [m, n]: each
gradient lies in the row span of X, and full-batch GD or its gradient flow moves W only inside
it. With an orthonormal basis Q [d, k] of that span (X^T = Q R, thin QR, k = n ≤ d),

    W = W_⊥ + W̃ Q^T,   W̃ = W Q [m, k],   W_⊥ = W − W Q Q^T (fixed: its gradient is 0),
    X W^T = X̃ W̃^T,    X̃ = X Q = R^T [n, k],   ∇_W̃ L̂ = (∇_W L̂) Q,
    ‖W‖² = ‖W_⊥‖² + ‖W̃‖².

So the same network on the inputs X̃ (k = n features instead of d) with first layer W̃ has the
same outputs, losses and gradients in these coordinates, and a gradient evaluation costs
O(n² m) instead of O(n d m). The trajectory is the same up to float rounding; W is rebuilt as
W_⊥ + W̃ Q^T whenever the full parameters are needed (at probe times). b and a do not change
coordinates. :class:`twolayer.training.flow.FlowStepper` uses this when n < d.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..net import Params


def worth_it(n: int, d: int) -> bool:
    """Whether training in the row span saves work: n < d (k = n coordinates instead of d)."""
    return n < d


class RowSpan:
    """The coordinates of the module docstring for the R runs of ``x`` [R, n, d], set up at the
    first layer ``W`` [R, m, d] (the basis is computed in float64, then stored in x's dtype)."""

    def __init__(self, x: torch.Tensor, W: torch.Tensor):
        R, n, d = x.shape
        self.k = min(n, d)
        self.q = x.new_empty(R, d, self.k)  # Q [R, d, k]
        self.x = x.new_empty(R, n, self.k)  # X̃ = X Q = R^T [R, n, k]
        self.perp = torch.empty_like(W)  # W_⊥ [R, m, d]
        self.coords = W.new_empty(R, W.shape[1], self.k)  # W̃ [R, m, k]
        self.perp_sq = torch.empty(R, dtype=torch.float64, device=W.device)  # ‖W_⊥‖² [R]
        for r in range(R):  # one run at a time: float64 temporaries of one run only
            q, rr = torch.linalg.qr(x[r].T.to(torch.float64))  # X^T = Q R
            w64 = W[r].to(torch.float64)
            coords = w64 @ q
            perp = w64 - coords @ q.T
            self.q[r], self.x[r] = q, rr.T
            self.perp[r], self.coords[r] = perp, coords
            self.perp_sq[r] = perp.square().sum()

    def reduced(self, p: Params) -> Params:
        """``p`` with its first layer replaced by the coordinates W̃ (b and a are p's tensors)."""
        return replace(p, W=self.coords)

    def lift(self, coords: torch.Tensor, out: torch.Tensor) -> None:
        """out ← W_⊥ + W̃ Q^T (the full first layer [R, m, d]) for coordinates W̃ [R, m, k]."""
        torch.baddbmm(self.perp, coords, self.q.transpose(1, 2), out=out)
