"""Independent reference implementations used as test oracles.

Everything here is written the plain way — one run and (where it matters) one sample at a time,
with torch.autograd for derivatives — so that the closed forms and batched kernels of twolayer
can be checked against it. Nothing here imports twolayer's numerics.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def forward_one(W: torch.Tensor, a: torch.Tensor, b: torch.Tensor | None, x: torch.Tensor):
    """f(x) = Σ_j a_j relu(⟨w_j, x⟩ + b_j) for one network: x [n, d] → [n, o]."""
    pre = x @ W.T
    if b is not None:
        pre = pre + b
    return torch.relu(pre) @ a


def classes_of(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class index of a label: binary labels ±1 map +1 → 0, −1 → 1; K-class labels as given."""
    if k == 2:
        return torch.where(y > 0, 0, 1)
    return y.long()


def sample_losses(f: torch.Tensor, y: torch.Tensor, objective: str) -> torch.Tensor:
    """Per-sample loss [n]: logistic log(1 + e^(−y f)) or softmax cross-entropy."""
    if objective == "logistic":
        z = y.to(f.dtype) * f[:, 0]
        return torch.log1p(torch.exp(-z))
    return F.cross_entropy(f, classes_of(y, f.shape[1]), reduction="none")


def leaves(p, r: int, train_a: bool):
    """Detached leaf copies (W, a, b) of run r, requiring grad where the parameter trains."""
    W = p.W[r].detach().clone().requires_grad_(True)
    a = p.a[r].detach().clone().requires_grad_(train_a)
    b = None if p.b is None else p.b[r].detach().clone().requires_grad_(True)
    return W, a, b


def autograd_grads(scalar: torch.Tensor, W, a, b, train_a: bool) -> dict[str, torch.Tensor]:
    """Gradients of a scalar w.r.t. the trained leaves, keyed like Params.trainable()."""
    names, tensors = ["W"], [W]
    if b is not None:
        names.append("b")
        tensors.append(b)
    if train_a:
        names.append("a")
        tensors.append(a)
    gs = torch.autograd.grad(scalar, tensors, allow_unused=True)
    return {
        k: (torch.zeros_like(t) if g is None else g) for k, t, g in zip(names, tensors, gs)
    }


def flat(g: dict[str, torch.Tensor]) -> torch.Tensor:
    """One vector in W, b, a order."""
    return torch.cat([g[k].reshape(-1) for k in ("W", "b", "a") if k in g])


def per_sample_grads(p, x, y, objective: str, r: int) -> torch.Tensor:
    """[n, P]: ∇_θ ℓ(y_i, f(x_i)) of run r, one sample at a time (no 1/n factor)."""
    rows = []
    for i in range(x.shape[1]):
        W, a, b = leaves(p, r, p.train_a)
        f = forward_one(W, a, b, x[r, i : i + 1])
        loss = sample_losses(f, y[r, i : i + 1], objective).sum()
        rows.append(flat(autograd_grads(loss, W, a, b, p.train_a)))
    return torch.stack(rows)


def frei_c_range(config, delta: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(least, largest) C allowed by Frei et al.'s (A1)-(A7) for a resolved config, written out
    from the paper's inequalities (not through twolayer.conditions): A7 and C > 1 give the
    least, the other six the largest. Some C > 1 satisfies all seven iff largest >= least and
    largest > 1."""
    c = config.resolved()
    d, n, m = c.data.d, c.data.n, c.net.m
    eta, s2, w2, a = c.data.noise, c.data.sigma2, c.net.init_var, c.train.lr
    c_lo = max(1.0, 1 / (4 * a * a))
    c_hi = min(d / max(math.log(n / delta) ** 2, math.log(m / delta)),
               1 / math.sqrt(s2 * d), n / math.log(m / delta), 1 / eta,
               m / math.log(1 / delta), (w2 * m * d) ** -0.25, 1 / (a * a))
    return c_lo, c_hi
