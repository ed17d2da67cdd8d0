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

``badger_scale``: ``jacc_train``, ``zrms_train``, the input sensitivity and the scale of the
centred logits on T (:func:`scale_probe`), whose ratio is scale-free.

``badger_acc``: ``acc_train``, ``acc_holdout``, ``loss_train``, ``loss_holdout`` alone, the
cheap part of ``badger`` (:func:`accuracy_probe`).

All three are registered when :mod:`twolayer.probes` is imported, so every process has them (a
sweep's workers too); ``badger_scale`` and ``badger_acc`` were registered by the experiments
module until 2026-12-07, and a sweep refused them.
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


@register("badger_scale")
def scale_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    """The logit scale and the input sensitivity of the softmax-relevant logits on the training
    set T. Softmax is invariant to adding a constant to all K logits, so both are taken on the
    centred logits z_c = (I − 11ᵀ/K) z, i.e. the second layer a_j − mean_k a_jk:

    - ``jacc_train`` = E_{x∈T} ‖∂z_c/∂x‖_F (centred input Jacobian);
    - ``zrms_train`` = (E_{x∈T} ‖z_c(x)‖²)^{1/2} (the logit scale).

    Their ratio S = jacc / zrms (the relative input sensitivity, an inverse length: the relative
    change of the logit vector per unit input displacement) is scale-free: rescaling the logits
    z → c z (c > 0; e.g. a → c a, or (W, b) → c (W, b), both 1-homogeneous) multiplies both by
    c. The raw E‖∂z/∂x‖_F grows with the logit scale, which cross-entropy drives up on its own."""
    p, d = s.params, s.data
    ac = p.a - p.a.mean(-1, keepdim=True)
    pc = Params(W=p.W, a=ac, b=p.b, train_a=p.train_a)
    asc = d.extras.get("ascended")
    tr = ~asc if asc is not None else torch.ones(d.x.shape[:2], dtype=torch.bool,
                                                  device=d.x.device)
    x_t = training_rows(d.x, tr)
    if x_t is not None:  # T alone: the ascended points are not needed
        jacc = net.input_jacobian_norms(pc, x_t, s.budget).mean(-1)
        zrms = net.forward(pc, x_t, s.budget).pow(2).sum(-1).mean(-1).sqrt()
    else:
        jacc = masked_mean(net.input_jacobian_norms(pc, d.x, s.budget), tr)
        zrms = masked_mean(net.forward(pc, d.x, s.budget).pow(2).sum(-1), tr).sqrt()
    return {"jacc_train": jacc, "zrms_train": zrms}


@register("badger_acc")
def accuracy_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    """Accuracy and mean cross-entropy on the training set and the hold-out (claim 3 needs no
    input sensitivities: the cheap part of the ``badger`` probe, the same numbers)."""
    out, out_h = s.out_train(), s.out_test()
    d = s.data
    return {"acc_train": (~net.errors(out, d.y)).to(out.dtype).mean(-1),
            "acc_holdout": (~net.errors(out_h, d.y_test)).to(out.dtype).mean(-1),
            "loss_train": net.sample_loss(out, d.y, s.objective).mean(-1),
            "loss_holdout": net.sample_loss(out_h, d.y_test, s.objective).mean(-1)}
