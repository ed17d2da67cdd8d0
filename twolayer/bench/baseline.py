"""The baseline a researcher would write: one model, nn.Module + autograd + torch.optim.SGD.

One seed at a time. Full-batch gradient descent on the mean logistic loss with the second layer
fixed (Frei et al.'s setting, as in the engine's reference workload). At each probe time it
computes the same measurements as the engine's default probes ("errors", "correlations",
"segments"), the plain way: forward passes under ``no_grad`` for the errors, and one
``torch.autograd.grad`` per gradient segment (clean/noisy × true class, and the gradient under
the true labels) for the segment statistics. Nothing here uses twolayer's numerics; twolayer
only provides the data and the initial weights, so both loops start from the same state.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TwoLayer(nn.Module):
    """f(x) = Σ_j a_j relu(⟨w_j, x⟩) with W trained and a fixed."""

    def __init__(self, W: torch.Tensor, a: torch.Tensor):
        super().__init__()
        self.hidden = nn.Linear(W.shape[1], W.shape[0], bias=False, dtype=W.dtype,
                                device=W.device)
        with torch.no_grad():
            self.hidden.weight.copy_(W)
        self.register_buffer("a", a.clone())  # [m, 1], not trained

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.hidden(x)) @ self.a  # [n, 1]


def _loss(f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample logistic loss log(1 + exp(−y f)) for labels ±1."""
    return F.softplus(-y * f[:, 0])


def _cos(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (u @ v) / (u.norm() * v.norm())


def measure(model: TwoLayer, x, y, y_true, noisy, xt, yt, yt_true, means) -> dict:
    """The engine's default probes for one model (same quantities, computed the plain way)."""
    clean = ~noisy
    with torch.no_grad():
        f, ft = model(x), model(xt)
        pred, pred_t = torch.where(f[:, 0] > 0, 1.0, -1.0), torch.where(ft[:, 0] > 0, 1.0, -1.0)
        wrong, wrong_true = (pred != y).float(), (pred != y_true).float()
        loss = _loss(f, y)
        out = {
            "errors/train_error": wrong.mean(),
            "errors/train_error_clean": wrong[clean].mean(),
            "errors/noisy_fit_fraction": (1 - wrong[noisy]).mean(),
            "errors/noisy_error_true": wrong_true[noisy].mean(),
            "errors/loss": loss.mean(),
            "errors/loss_clean": loss[clean].mean(),
            "errors/loss_noisy": loss[noisy].mean(),
            "errors/test_error": (pred_t != yt).float().mean(),
            "errors/test_error_clean": (pred_t != yt_true).float().mean(),
            "errors/test_loss_clean": _loss(ft, yt_true).mean(),
            "correlations/w_dot_mu": model.hidden.weight @ means.T,
            "correlations/w_norm": model.hidden.weight.norm(dim=1),
        }
    # segment gradients g_S = (1/n) Σ_{i∈S} ∇ℓ_i: one autograd.grad per segment
    n = x.shape[0]
    w = model.hidden.weight
    f = model(x)
    per = _loss(f, y)
    cls = torch.where(y_true > 0, 0, 1)
    segs = {}
    for c in (0, 1):
        for name, mask in (("clean", clean), ("noisy", noisy)):
            sel = mask & (cls == c)
            (g,) = torch.autograd.grad(per[sel].sum() / n, w, retain_graph=True)
            segs[(c, name)] = g.flatten()
    (g_true,) = torch.autograd.grad(_loss(f, y_true).sum() / n, w)
    g_true = g_true.flatten()
    g_cc = torch.stack([segs[(c, "clean")] for c in (0, 1)])
    g_cn = torch.stack([segs[(c, "noisy")] for c in (0, 1)])
    g_c, g_n = g_cc.sum(0), g_cn.sum(0)
    g = g_c + g_n
    out.update(
        {
            "segments/grad_norm": g.norm(),
            "segments/grad_clean_norm": g_c.norm(),
            "segments/grad_noisy_norm": g_n.norm(),
            "segments/grad_ratio": g_c.norm() / g_n.norm(),
            "segments/cos_clean_noisy": _cos(g_c, g_n),
            "segments/cos_g_clean": _cos(g, g_c),
            "segments/cos_g_true": _cos(g, g_true),
            "segments/grad_true_norm": g_true.norm(),
            "segments/kappa": (g @ g_true) / (g_true @ g_true),
            "segments/class_clean_norm": g_cc.norm(dim=1),
            "segments/class_noisy_norm": g_cn.norm(dim=1),
            "segments/class_ratio": g_cc.norm(dim=1) / g_cn.norm(dim=1),
            "segments/class_cos_clean_noisy": torch.stack([_cos(g_cc[c], g_cn[c]) for c in (0, 1)]),
        }
    )
    return {k: v.detach() for k, v in out.items()}


def train_one(data, W0: torch.Tensor, a: torch.Tensor, r: int, lr: float, steps: int,
              times: list[int]) -> dict[str, torch.Tensor]:
    """Train run r of the batch ``data`` from W0 [m, d]; return its measurements stacked over
    the probe times ([T, ...] per key)."""
    x, y = data.x[r], data.y[r].to(x_dtype(data))
    y_true, noisy = data.y_true[r].to(x.dtype), data.noisy[r]
    xt, yt, yt_true = data.x_test[r], data.y_test[r].to(x.dtype), data.y_test_true[r].to(x.dtype)
    means = data.extras["class_means"][r]
    model = TwoLayer(W0, a)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    probe_at = set(times)
    logs: dict[str, list[torch.Tensor]] = {}
    for t in range(steps + 1):
        if t in probe_at:
            for k, v in measure(model, x, y, y_true, noisy, xt, yt, yt_true, means).items():
                logs.setdefault(k, []).append(v)
        if t == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss = _loss(model(x), y).mean()
        loss.backward()
        opt.step()
    return {k: torch.stack(v) for k, v in logs.items()}


def x_dtype(data) -> torch.dtype:
    return data.x.dtype
