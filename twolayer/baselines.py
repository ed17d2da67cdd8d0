"""Linear baselines: logistic (or softmax) regression on the same training set.

Frei et al. state that linear classifiers are no better than chance on the XOR clusters (by the
symmetry x → −x of the clean law, [INFERRED] in the paper card). The baseline is fitted by
full-batch gradient descent on the mean loss plus a small ridge λ‖v‖²/2 (λ = 1e-4, to keep the
minimiser bounded on separable data), batched over runs, with a per-run step 1/L where
L = mean‖x̃‖²/4 + λ bounds the curvature (x̃ = x with a constant 1 appended when there is a
bias).
"""

from __future__ import annotations

import torch

from . import net
from .data import Dataset

RIDGE = 1e-4


def fit_linear(
    data: Dataset, objective: str, bias: bool = True, steps: int = 500, form: str = "auto"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit v [R, d(+1), o]; return (test error vs noisy labels, vs clean labels), each [R].

    ``form="dual"`` runs the same iteration on v = X̃ᵀβ (v starts at 0 and every update lies in
    the row span of X̃, ridge included): β ← (1 − ηλ)β − η ∂ℓ/∂f / n with outputs K β,
    K = X̃X̃ᵀ. It gives the primal iterates exactly (up to rounding) at cost n² per step instead
    of n·d; ``"auto"`` picks it when d + 1 > n.
    """
    x, xt = data.x, data.x_test
    if bias:
        x = torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)
        xt = torch.cat([xt, torch.ones_like(xt[..., :1])], dim=-1)
    outputs = 1 if objective == "logistic" else data.num_classes
    # one step size per run (never shared across the batch, so a run does not depend on the
    # other runs it is fitted with)
    curv = x.square().sum(-1).mean(-1) / (4.0 if objective == "logistic" else 2.0) + RIDGE
    lr = (1.0 / curv).view(-1, 1, 1)
    n = x.shape[1]
    dual = form == "dual" or (form == "auto" and x.shape[2] > n)
    with torch.no_grad():
        xT = x.transpose(1, 2).contiguous()
        if dual:
            gram = torch.bmm(x, xT)  # [R, n, n]
            beta = x.new_zeros(x.shape[0], n, outputs)
            for _ in range(steps):
                _, dl = net.loss_and_dloss(torch.bmm(gram, beta), data.y, objective)
                beta = beta * (1.0 - lr * RIDGE) - lr * dl / n
            v = torch.bmm(xT, beta)
        else:
            v = x.new_zeros(x.shape[0], x.shape[2], outputs)
            for _ in range(steps):
                _, dl = net.loss_and_dloss(torch.bmm(x, v), data.y, objective)
                v -= lr * (torch.bmm(xT, dl) / n + RIDGE * v)
        out = torch.bmm(xt, v)
    err = net.errors(out, data.y_test).to(x.dtype).mean(-1)
    err_clean = net.errors(out, data.y_test_true).to(x.dtype).mean(-1)
    return err, err_clean
