"""Linear baselines: a linear model trained on the run's own loss (logistic or softmax regression,
or a registered one-output loss such as a hinge loss) on the same training set.

The baseline is the linear classifier f(x) = ⟨v, x̃⟩ (x̃ = x with a constant 1 appended when there
is a bias) that minimises the mean loss plus a small ridge,

    J(v) = (1/n) Σ_i ℓ(y_i ⟨v, x̃_i⟩) + λ‖v‖²/2,   λ = 1e-4

(the ridge keeps the minimiser bounded on separable data), for each run of a batch on its own
training set. Frei et al. state that linear classifiers are no better than chance on the XOR
clusters (by the symmetry x → −x of the clean law, [INFERRED] in the paper card).

Logistic loss (``method="newton"``, the default when D = dim x̃ ≤ :data:`NEWTON_MAX_DIM`):
Newton's method (IRLS) in float64, batched over runs,

    g = X̃ᵀ(−y ⊙ σ(−y ⊙ X̃v))/n + λv,   H = X̃ᵀ diag(σ(X̃v) σ(−X̃v)) X̃/n + λI,   v ← v − t H⁻¹g,

from v = 0, with t halved until J does not increase beyond rounding (per run); a run stops when
its Newton decrement gᵀH⁻¹g falls below 1e-20 (at most :data:`NEWTON_ITERS` iterations; four to
six on the XOR data). Every run is updated by its own quantities only, so
a run's baseline does not depend on the batch it is fitted in.

Otherwise (softmax, a registered margin loss such as hinge, large D, or ``method="gd"``):
full-batch gradient descent for ``steps`` steps with a per-run step 1/L, L = mean‖x̃‖²/4 + λ
(logistic; /2 otherwise) bounding the curvature, with K outputs for softmax and one otherwise
(as the network has); ``form="dual"`` runs the same iteration on v = X̃ᵀβ (cost n² per step
instead of n·D).
"""

from __future__ import annotations

import torch

from . import net
from .data import Dataset

RIDGE = 1e-4
NEWTON_MAX_DIM = 1024  # D above this: the D×D solves cost more than the gradient iteration
NEWTON_ITERS = 50
NEWTON_TOL = 1e-20


def fit_linear(
    data: Dataset, objective: str, bias: bool = True, steps: int = 500, form: str = "auto",
    method: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit v [R, D, o]; return (test error vs noisy labels, vs clean labels), each [R].

    method: "newton" (logistic loss only), "gd" or "auto" (Newton for the logistic loss with
    D ≤ :data:`NEWTON_MAX_DIM` unless a gradient-descent ``form`` "primal"/"dual" is named).
    ``steps`` and ``form`` apply to gradient descent (module docstring)."""
    x, xt = data.x, data.x_test
    if bias:
        x = torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)
        xt = torch.cat([xt, torch.ones_like(xt[..., :1])], dim=-1)
    if method == "auto":
        newton = objective == "logistic" and x.shape[2] <= NEWTON_MAX_DIM and form == "auto"
        method = "newton" if newton else "gd"
    with torch.no_grad():
        if method == "newton":
            if objective != "logistic":
                raise ValueError("Newton's method is implemented for the logistic loss")
            v = _newton_logistic(x, data.y).to(x.dtype)
        elif method == "gd":
            v = _gradient_descent(x, data.y, objective, data.num_classes, steps, form)
        else:
            raise ValueError(f"unknown method {method!r}; valid: auto, newton, gd")
        out = torch.bmm(xt, v)
    err = net.errors(out, data.y_test).to(x.dtype).mean(-1)
    err_clean = net.errors(out, data.y_test_true).to(x.dtype).mean(-1)
    return err, err_clean


def _newton_logistic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The ridge-logistic minimiser v [R, D, 1] by damped Newton steps (float64)."""
    x = x.to(torch.float64)
    y = y.to(torch.float64)
    R, n, D = x.shape
    v = x.new_zeros(R, D)
    eye = torch.eye(D, dtype=x.dtype, device=x.device)

    def objective(v: torch.Tensor) -> torch.Tensor:
        z = y * torch.bmm(x, v.unsqueeze(-1))[..., 0]
        return torch.nn.functional.softplus(-z).mean(1) + 0.5 * RIDGE * v.square().sum(1)

    J = objective(v)
    active = torch.ones(R, dtype=torch.bool, device=x.device)
    for _ in range(NEWTON_ITERS):
        f = torch.bmm(x, v.unsqueeze(-1))[..., 0]
        s = torch.sigmoid(-y * f)  # σ(−y f); σ(f) σ(−f) = s (1 − s)
        g = torch.bmm(x.transpose(1, 2), (-y * s).unsqueeze(-1))[..., 0] / n + RIDGE * v
        H = torch.bmm(x.transpose(1, 2), x * (s * (1.0 - s) / n).unsqueeze(-1)) + RIDGE * eye
        # H is symmetric positive definite (λ > 0): Cholesky. (Also: batched LU, linalg.solve,
        # failed with MKL "DLASWP parameter 6" errors for D ≈ 400 once the process had changed
        # its intra-op thread count, torch 2.13 on the CPU; Cholesky does not.)
        step = torch.cholesky_solve(g.unsqueeze(-1), torch.linalg.cholesky(H))[..., 0]
        active &= (g * step).sum(1) > NEWTON_TOL
        if not bool(active.any()):
            break
        t = active.to(x.dtype).unsqueeze(1)  # converged runs stay where they are
        for _ in range(40):
            J_new = objective(v - t * step)
            worse = J_new > J + 8 * torch.finfo(J.dtype).eps * J.abs()  # beyond rounding
            if not bool(worse.any()):
                break
            t = torch.where(worse.unsqueeze(1), t * 0.5, t)
        v = v - t * step
        J = objective(v)
    return v.unsqueeze(-1)


def _gradient_descent(x: torch.Tensor, y: torch.Tensor, objective: str, num_classes: int,
                      steps: int, form: str) -> torch.Tensor:
    # K outputs for softmax; one for the logistic loss and for a registered one-output margin
    # loss (hinge): with two equal columns argmax would always predict class 0 (label +1)
    outputs = num_classes if objective == "softmax" else 1
    # one step size per run (never shared across the batch, so a run does not depend on the
    # other runs it is fitted with)
    curv = x.square().sum(-1).mean(-1) / (4.0 if objective == "logistic" else 2.0) + RIDGE
    lr = (1.0 / curv).view(-1, 1, 1)
    n = x.shape[1]
    dual = form == "dual" or (form == "auto" and x.shape[2] > n)
    xT = x.transpose(1, 2).contiguous()
    if dual:
        gram = torch.bmm(x, xT)  # [R, n, n]
        beta = x.new_zeros(x.shape[0], n, outputs)
        for _ in range(steps):
            _, dl = net.loss_and_dloss(torch.bmm(gram, beta), y, objective)
            beta = beta * (1.0 - lr * RIDGE) - lr * dl / n
        return torch.bmm(xT, beta)
    v = x.new_zeros(x.shape[0], x.shape[2], outputs)
    for _ in range(steps):
        _, dl = net.loss_and_dloss(torch.bmm(x, v), y, objective)
        v -= lr * (torch.bmm(xT, dl) / n + RIDGE * v)
    return v
