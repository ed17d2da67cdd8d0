"""Probes of Badger (2022): accuracies of the three sets and input sensitivity.

Reads a ``--data badger`` :class:`~twolayer.data.Dataset` (training inputs = train set T
followed by the ascended set A, the extra ``ascended``; hold-out H = the test set). Softmax
outputs f(x) ∈ R^K.

``badger`` (every probe time):
- ``acc_train``, ``acc_ascended``, ``acc_holdout``: accuracies on T, A, H (A: NaN if empty);
- ``loss_train``, ``loss_ascended``, ``loss_holdout``: mean cross-entropy on each set;
- ``jac_train``, ``jac_holdout``: E_x ‖∂f/∂x‖_F over T and H, with the closed form
  J(x) = Σ_j a_j φ'(⟨w_j, x⟩ + b_j) w_jᵀ (:func:`twolayer.net.input_jacobian_norms`);
- ``gradx_train``, ``gradx_holdout``: E_x ‖∇_x ℓ(y, f(x))‖ with ∇_x ℓ = J(x)ᵀ ∂ℓ/∂f
  (:func:`input_loss_gradients`).
"""

from __future__ import annotations

import torch

from .. import net
from ..net import Params
from .base import ProbeState, register


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis restricted to ``mask`` (NaN if empty); entries outside the mask
    never enter (an inf there, e.g. an overflowing Jacobian norm, does not turn the mean NaN)."""
    v = torch.where(mask, values, torch.zeros((), dtype=values.dtype, device=values.device))
    return v.sum(-1) / mask.sum(-1).to(values.dtype)


def input_loss_gradients(
    p: Params, x: torch.Tensor, y: torch.Tensor, objective: str = "softmax",
    budget: int = net.DEFAULT_CHUNK_ELEMENTS,
) -> torch.Tensor:
    """[R, n, d]: ∇_x ℓ(y_i, f(x_i)) = J(x_i)ᵀ c_i with c_i = ∂ℓ_i/∂f, computed as
    Σ_j φ'(⟨w_j, x_i⟩ + b_j) ⟨a_j, c_i⟩ w_j (no Jacobian materialised), in chunks of samples."""
    out = x.new_empty(x.shape)
    at = p.a.transpose(1, 2)
    for sl in net.chunks(x.shape[1], p.runs, p.m, budget):
        xc = x[:, sl]
        pre = net.preactivation(p, xc)
        f = torch.bmm(torch.relu(pre), p.a)
        _, c = net.loss_and_dloss(f, y[:, sl], objective)
        delta = torch.bmm(c, at) * (pre > 0)  # [R, chunk, m]
        out[:, sl] = torch.bmm(delta, p.W)
    return out


def training_rows(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor | None:
    """[R, k, ...]: the rows of ``x`` [R, n, ...] where ``keep`` [R, n] holds, in order, when
    every run keeps the same number k (the training set T of every run); None otherwise. The
    per-sample probes then skip the ascended points instead of computing and masking them."""
    k = keep.sum(-1)
    if k.numel() == 0 or not bool((k == k[0]).all()):
        return None
    return x[keep].view(x.shape[0], int(k[0]), *x.shape[2:])


def _acc_loss(out: torch.Tensor, y: torch.Tensor, objective: str, mask: torch.Tensor | None):
    right = (~net.errors(out, y)).to(out.dtype)
    loss = net.sample_loss(out, y, objective)
    if mask is None:
        return right.mean(-1), loss.mean(-1)
    return masked_mean(right, mask), masked_mean(loss, mask)


@register("badger")
def badger_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    asc = d.extras.get("ascended")
    if asc is None:
        asc = torch.zeros_like(d.noisy)
    tr = ~asc
    out, out_h = s.out_train(), s.out_test()
    acc_t, loss_t = _acc_loss(out, d.y, s.objective, tr)
    acc_a, loss_a = _acc_loss(out, d.y, s.objective, asc)
    acc_h, loss_h = _acc_loss(out_h, d.y_test, s.objective, None)
    x_t, y_t = training_rows(d.x, tr), training_rows(d.y, tr)
    if x_t is not None and y_t is not None:  # T alone: the ascended points are not needed
        jac_t = net.input_jacobian_norms(s.params, x_t, s.budget).mean(-1)
        gx_t = input_loss_gradients(s.params, x_t, y_t, s.objective, s.budget).norm(dim=-1)
        gx_t = gx_t.mean(-1)
    else:
        jac_t = masked_mean(net.input_jacobian_norms(s.params, d.x, s.budget), tr)
        gx = input_loss_gradients(s.params, d.x, d.y, s.objective, s.budget).norm(dim=-1)
        gx_t = masked_mean(gx, tr)
    jac_h = net.input_jacobian_norms(s.params, d.x_test, s.budget)
    gx_h = input_loss_gradients(s.params, d.x_test, d.y_test, s.objective, s.budget).norm(dim=-1)
    return {
        "acc_train": acc_t, "acc_ascended": acc_a, "acc_holdout": acc_h,
        "loss_train": loss_t, "loss_ascended": loss_a, "loss_holdout": loss_h,
        "jac_train": jac_t, "jac_holdout": jac_h.mean(-1),
        "gradx_train": gx_t, "gradx_holdout": gx_h.mean(-1),
    }
