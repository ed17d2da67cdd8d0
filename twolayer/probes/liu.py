"""Probes for Liu, Abedsoltan & Belkin (2023), clean-priority learning (paper card: liu2023.md).

They extend the core ``segments`` and ``errors`` probes. Notation: training labels y (a fraction
δ corrupted), true labels ỹ, h the network's logit(s), ℓ_i = ℓ(y_i, h(x_i)) the loss of sample i
under its training label, c_i = ∂ℓ_i/∂h its residual (logistic with y = ±1:
c_i = −y_i σ(−y_i h), which is Liu's f − y for y ∈ {0, 1} and f = sigmoid(h); softmax:
c_i = softmax(h) − e_{y_i}). D_clean^(c) and D_noise^(c) are the clean and noisy training points
of true class c. Gradients are with respect to all trained parameters (W; b and a when they
train) and, like the core segments probe, of the MEAN loss: they are Liu's segment sums divided
by n, which leaves every ratio and cosine unchanged.

``liu`` (every probe time):

- ``resid_clean``, ``resid_noisy``: mean |∂ℓ_i/∂h_{y_i}| over clean / noisy points, the residual
  of the training-label logit (binary: |f − y| in Liu's 0/1 notation; softmax: 1 − p_{y_i});
- ``class_loss_clean``, ``class_loss_noisy`` [R, C]: mean loss of D_clean^(c), D_noise^(c);
- single-logit segment gradients of Liu's Section 5: g_k^(c) = (1/n) Σ_{i∈D_k^(c)}
  (∂ℓ_i/∂h_c) ∇_θ h_c(x_i), the gradient through the true-class logit c only. Keys
  ``logit_class_clean_norm``, ``logit_class_noisy_norm``, ``logit_class_ratio``
  (‖g_clean^(c)‖/‖g_noise^(c)‖) and ``logit_class_cos`` (cos(g_clean^(c), g_noise^(c))), [R, C].
  With one output (binary) this is the full class-segment gradient of the core probe. At
  initialisation, with softmax outputs ≈ 1/K, the card's [INFERRED] prediction is
  ‖g_noise^(c)‖/‖g_clean^(c)‖ ≈ |D_noise^(c)|/|D_clean^(c)| · (1/K)/(1 − 1/K) ≈ δ/((1−δ)(K−1));
- Lemma 4.2 as a measurement: α_t = ‖g_noise‖/‖g_clean‖ (pooled over classes, ``lemma_alpha``),
  the predicted rate factor ρ_t = (1 − α_t)/(1 + α_t) (``lemma_rate``) and the relative error
  ``lemma_rel_error`` = ‖g − ρ_t ĝ‖ / ‖ρ_t ĝ‖ of the claim "a GD step on the noisy labels is a GD
  step on the true labels with step ρ_t η" (g: full-batch gradient under the training labels,
  ĝ: under the true labels). It is 0 exactly when Assumption 4.1 holds with one α for all
  classes and a noisy point's true-label gradient is minus its corrupted-label gradient;
- ``grad_drift``: the infinite-width (NTK) premise ∇h(w_t; x) = ∇h(w_0; x) as a measurement,
  mean over training points of 1 − cos(∇_θ h_{ỹ_i}(x_i; θ_t), ∇_θ h_{ỹ_i}(x_i; θ_0)) (true-class
  logit; closed form ⟨δ_i^t, δ_i^0⟩(‖x_i‖² + 1[bias]) + 1[a trains]⟨φ_i^t, φ_i^0⟩ with
  δ_i = a_{·k} ⊙ 1[W x_i + b > 0], in chunks of samples);
- ``class_count_clean``, ``class_count_noisy`` [R, C]: |D_clean^(c)|, |D_noise^(c)| (constant
  in time; the realised counts that Eq. (5) multiplies).

``liu_angles`` (sample-wise gradient geometry, Liu's Fig. 4): cosines between per-sample
gradients for all pairs i < k of a fixed subsample (the first S training points, S ≤ 512 and
R·S·m within the chunk budget; the data are i.i.d., so this is a random subsample). Per-sample
gradients are never materialised: their Gram matrix has the closed form

    ⟨∇_θ⟨c_i, h(x_i)⟩, ∇_θ⟨c_k, h(x_k)⟩⟩
        = ⟨δ_i, δ_k⟩ (⟨x_i, x_k⟩ + 1[bias]) + 1[a trains] ⟨c_i, c_k⟩⟨φ_i, φ_k⟩,

δ_i = (a c_i) ⊙ 1[W x_i + b > 0] ∈ R^m, φ_i = relu(W x_i + b). Two kinds of per-sample gradient:
``loss`` (∇ℓ_i with the training label: a noisy point's residual points the other way) and
``logit`` (∇h_{ỹ_i}, the true-class logit; label-free, Liu's Theorem 3.1 "similar inputs have
similar ∇h"). Pairs fall into categories by true class and noise: ``same_cc`` (same true class,
both clean), ``same_cn`` (same class, one clean one noisy), ``same_nn``, ``diff_cc`` (different
true classes, both clean), ``diff_cn``. Outputs ``hist_<kind>_<cat>`` [R, B]: the fraction of
the category's pairs in each of B = 180 angle bins of 1° on [0°, 180°]; ``mean_cos_<kind>_<cat>``
[R]; ``pairs_<kind>_<cat>`` [R], the number of pairs used (a point with no active neuron has no
gradient direction; its pairs are left out).
"""

from __future__ import annotations

import math

import torch

from .. import net
from ..net import Params
from .base import ProbeState, masked_mean, register

ANGLE_BINS = 180  # 1° bins on [0°, 180°]
ANGLE_EDGES_DEG = tuple(180.0 * k / ANGLE_BINS for k in range(ANGLE_BINS + 1))
MAX_PAIR_SAMPLES = 512
PAIR_CATEGORIES = ("same_cc", "same_cn", "same_nn", "diff_cc", "diff_cn")
GRADIENT_KINDS = ("loss", "logit")


def _cos(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1))


def label_residuals(out: torch.Tensor, y: torch.Tensor, objective: str) -> torch.Tensor:
    """[R, n]: |∂ℓ_i/∂h_{y_i}|, the residual of the label's logit (binary: σ(−y h) = |f − y01|;
    softmax: 1 − p_{y_i})."""
    _, dl = net.loss_and_dloss(out, y, objective)
    if out.shape[-1] == 1:
        return dl[..., 0].abs()
    cls = net.labels_to_classes(y, out.shape[-1])
    return dl.gather(-1, cls.unsqueeze(-1)).squeeze(-1).abs()


@register("liu")
def liu_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    n, C = d.x.shape[1], d.num_classes
    out = s.out_train()
    loss, dl = net.loss_and_dloss(out, d.y, s.objective)
    _, dl_true = net.loss_and_dloss(out, d.y_true, s.objective)
    classes = net.labels_to_classes(d.y_true, C)
    clean = ~d.noisy
    res = label_residuals(out, d.y, s.objective)

    R = d.x.shape[0]
    noisy = d.noisy.long()
    one_output = out.shape[-1] == 1
    # One grouped pass (net.grouped_gradients) over 2n or 3n entries:
    #   groups 2c / 2c+1: clean / noisy points of true class c, full residual c_i (all logits);
    #   group 2C: noisy points again with their true-label residual (ĝ = g_C + this group);
    #   groups 2C+1+2c / 2C+2+2c: the same class segments through the true-class logit only
    #   (K outputs; with one output the single-logit gradient is the full one).
    idx = torch.arange(n, device=d.x.device)
    groups = [2 * classes + noisy, torch.where(d.noisy, 2 * C, -1)]
    coeffs = [dl, dl_true]
    if not one_output:
        groups.append(2 * C + 1 + 2 * classes + noisy)
        coeffs.append(dl * torch.nn.functional.one_hot(classes, C).to(dl.dtype))
    rows = idx.repeat(len(groups)).expand(R, len(groups) * n)
    num = 4 * C + 1 if not one_output else 2 * C + 1
    g_all = net.grouped_gradients(
        s.params, d.x, torch.cat(groups, 1), torch.cat(coeffs, 1) / n, num, rows, s.budget
    )
    seg = g_all[: 2 * C].view(C, 2, R, -1)  # [C, 2, R, P]
    seg_logit = seg if one_output else g_all[2 * C + 1 :].view(C, 2, R, -1)
    g_clean, g_noisy = seg[:, 0].sum(0), seg[:, 1].sum(0)
    g = g_clean + g_noisy
    g_true = g_clean + g_all[2 * C]
    alpha = g_noisy.norm(dim=-1) / g_clean.norm(dim=-1)
    rate = (1.0 - alpha) / (1.0 + alpha)
    pred = rate.unsqueeze(-1) * g_true
    lc, ln = seg_logit[:, 0].norm(dim=-1).T, seg_logit[:, 1].norm(dim=-1).T  # [R, C]
    cls_clean = torch.stack([masked_mean(loss, clean & (classes == c)) for c in range(C)], -1)
    cls_noisy = torch.stack([masked_mean(loss, d.noisy & (classes == c)) for c in range(C)], -1)
    in_class = torch.nn.functional.one_hot(classes, C).to(out.dtype)  # [R, n, C]
    drift_cos = logit_gradient_drift_cos(s.params, s.init, d.x, classes, s.budget)
    return {
        "resid_clean": masked_mean(res, clean),
        "resid_noisy": masked_mean(res, d.noisy),
        "class_loss_clean": cls_clean,
        "class_loss_noisy": cls_noisy,
        "logit_class_clean_norm": lc,
        "logit_class_noisy_norm": ln,
        "logit_class_ratio": lc / ln,
        "logit_class_cos": _cos(seg_logit[:, 0], seg_logit[:, 1]).T,
        "lemma_alpha": alpha,
        "lemma_rate": rate,
        "lemma_rel_error": (g - pred).norm(dim=-1) / pred.norm(dim=-1),
        "grad_drift": 1.0 - drift_cos.nanmean(-1),
        "class_count_clean": (in_class * clean.unsqueeze(-1)).sum(1),
        "class_count_noisy": (in_class * d.noisy.unsqueeze(-1)).sum(1),
    }


def _columns(mask: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """[R, c, K] = mask [R, c, m] @ a [R, m, K]; with one column on a CPU one matrix–vector
    product per run (a one-column bmm there is slower: 2.6 against 1.5 ms at 8·2000·256)."""
    if a.shape[-1] == 1 and mask.device.type == "cpu":
        return torch.stack([torch.mv(mask[r], a[r, :, 0]) for r in range(mask.shape[0])])[..., None]
    return torch.bmm(mask, a)


def logit_gradient_drift_cos(
    p: Params,
    p0: Params,
    x: torch.Tensor,
    logit: torch.Tensor,
    budget: int = net.DEFAULT_CHUNK_ELEMENTS,
) -> torch.Tensor:
    """[R, n]: cos(∇_θ h_k(x_i; θ), ∇_θ h_k(x_i; θ_0)) with k = logit[r, i] (0 for one output),
    over the parameters that train, by the closed form of the module docstring; NaN where either
    gradient vanishes.

    With M = 1[W x + b > 0] and M⁰ its value at θ_0, the first-layer terms are GEMMs against
    the second layer: ⟨δ_i^t, δ_i^0⟩ = [(M ⊙ M⁰)(a ⊙ a⁰)]_{ik}, ‖δ_i^t‖² = [M a²]_{ik},
    ‖δ_i^0‖² = [M⁰ (a⁰)²]_{ik} (each times ‖x_i‖² + 1[bias]), so no [n, m] tensor is formed per
    logit or per term."""
    R, n, _ = x.shape
    out = x.new_empty(R, n)
    bias = 1.0 if p.b is not None else 0.0
    a_both, a_sq, a0_sq = p.a * p0.a, p.a.square(), p0.a.square()  # [R, m, K]
    for sl in net.chunks(n, R, 3 * p.m, budget):  # pre, pre⁰ and M ⊙ M⁰ live at once
        xc = x[:, sl]
        sq = xc.square().sum(-1, keepdim=True) + bias  # [R, c, 1]
        pre, pre0 = net.preactivation(p, xc), net.preactivation(p0, xc)  # [R, c, m]
        if p.train_a:  # ⟨φ^t, φ^0⟩, ‖φ^t‖², ‖φ^0‖² (before the masks overwrite pre)
            phi, phi0 = pre.clamp_min(0), pre0.clamp_min(0)
            a_terms = [(phi * phi0).sum(-1, keepdim=True), phi.square().sum(-1, keepdim=True),
                       phi0.square().sum(-1, keepdim=True)]
            del phi, phi0
        mask, mask0 = pre.gt_(0), pre0.gt_(0)  # 1[pre > 0] in the float dtype, in place
        norm = _columns(mask, a_sq) * sq  # [R, c, K]
        norm0 = _columns(mask0, a0_sq) * sq
        dot = _columns(mask.mul_(mask0), a_both) * sq
        if p.train_a:
            dot, norm, norm0 = dot + a_terms[0], norm + a_terms[1], norm0 + a_terms[2]
        k = torch.zeros_like(logit[:, sl]) if p.outputs == 1 else logit[:, sl]
        dot, norm, norm0 = (t.gather(-1, k.unsqueeze(-1)).squeeze(-1) for t in (dot, norm, norm0))
        den = (norm * norm0).sqrt()
        out[:, sl] = torch.where(den > 0, dot / den, torch.nan)
    return out


# -- sample-wise gradient angles -----------------------------------------------------------


def pair_subsample_size(n: int, runs: int, m: int, budget: int = net.DEFAULT_CHUNK_ELEMENTS) -> int:
    """S = min(n, 512, budget // (R·m)) (at least 2): the number of points whose pairs are used."""
    return max(2, min(n, MAX_PAIR_SAMPLES, budget // max(1, runs * m)))


def per_sample_gram(p: Params, x: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """[R, S, S]: Gram matrix of the per-sample gradients ∇_θ⟨c_i, h(x_i)⟩ (trained parameters)
    by the closed form ⟨δ_i, δ_k⟩(⟨x_i, x_k⟩ + 1[bias]) + 1[a trains]⟨c_i, c_k⟩⟨φ_i, φ_k⟩."""
    pre = net.preactivation(p, x)  # [R, S, m]
    delta = torch.bmm(coeffs, p.a.transpose(1, 2)) * (pre > 0)
    xx = torch.bmm(x, x.transpose(1, 2))
    if p.b is not None:
        xx = xx + 1.0
    gram = torch.bmm(delta, delta.transpose(1, 2)) * xx
    if p.train_a:
        phi = torch.relu(pre)
        cc = torch.bmm(coeffs, coeffs.transpose(1, 2))
        gram = gram + cc * torch.bmm(phi, phi.transpose(1, 2))
    return gram


def gram_cosines(gram: torch.Tensor) -> torch.Tensor:
    """[R, S, S] cosines from a Gram matrix; NaN where a per-sample gradient vanishes (a point
    with no active neuron), so that such pairs are left out of the angle statistics."""
    diag = gram.diagonal(dim1=1, dim2=2).clamp_min(0).sqrt()
    den = diag.unsqueeze(2) * diag.unsqueeze(1)
    cos = (gram / den).clamp(-1, 1)
    return torch.where(den > 0, cos, torch.nan)


def pair_categories(classes: torch.Tensor, noisy: torch.Tensor) -> dict[str, torch.Tensor]:
    """Boolean [R, S, S] masks of the pairs i < k in each category of :data:`PAIR_CATEGORIES`."""
    S = classes.shape[1]
    upper = torch.ones(S, S, dtype=torch.bool, device=classes.device).triu(1)
    same = (classes.unsqueeze(2) == classes.unsqueeze(1)) & upper
    diff = ~same & upper
    nz = noisy.unsqueeze(2).to(torch.int8) + noisy.unsqueeze(1).to(torch.int8)  # noisy in pair
    return {
        "same_cc": same & (nz == 0),
        "same_cn": same & (nz == 1),
        "same_nn": same & (nz == 2),
        "diff_cc": diff & (nz == 0),
        "diff_cn": diff & (nz == 1),
    }


def angle_histogram(cos: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[R, B]: fraction of the masked pairs' angles arccos(cos) in each 1° bin (pairs with a NaN
    cosine left out; NaN if no pair is left)."""
    R = cos.shape[0]
    ang = torch.rad2deg(torch.arccos(cos.clamp(-1, 1)))
    idx = torch.nan_to_num(ang / (180.0 / ANGLE_BINS)).floor().long().clamp(0, ANGLE_BINS - 1)
    w = (mask & torch.isfinite(cos)).flatten(1).to(cos.dtype)
    counts = torch.zeros(R, ANGLE_BINS, dtype=cos.dtype, device=cos.device)
    counts.scatter_add_(1, idx.flatten(1), w)
    return counts / w.sum(1, keepdim=True)


@register("liu_angles")
def liu_angles_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    p = s.params
    S = pair_subsample_size(d.x.shape[1], p.runs, p.m, s.budget)
    x = d.x[:, :S]
    out = s.out_train()[:, :S]
    _, dl = net.loss_and_dloss(out, d.y[:, :S], s.objective)
    classes = net.labels_to_classes(d.y_true[:, :S], d.num_classes)
    o = out.shape[-1]
    logit_coeffs = (
        torch.ones_like(out) if o == 1 else torch.nn.functional.one_hot(classes, o).to(out.dtype)
    )
    cats = pair_categories(classes, d.noisy[:, :S])
    res: dict[str, torch.Tensor] = {}
    for kind, coeffs in (("loss", dl), ("logit", logit_coeffs)):
        cos = gram_cosines(per_sample_gram(p, x, coeffs))
        for name, mask in cats.items():
            res[f"hist_{kind}_{name}"] = angle_histogram(cos, mask)
            w = (mask & torch.isfinite(cos)).flatten(1)
            res[f"mean_cos_{kind}_{name}"] = torch.where(w, cos.flatten(1), 0.0).sum(1) / w.sum(1)
            res[f"pairs_{kind}_{name}"] = w.sum(1).to(out.dtype)
    return res


def angle_bin_centres() -> list[float]:
    """Centres of the :data:`ANGLE_BINS` angle bins, in degrees."""
    return [0.5 * (ANGLE_EDGES_DEG[k] + ANGLE_EDGES_DEG[k + 1]) for k in range(ANGLE_BINS)]


def predicted_init_ratio_binary(delta: float) -> float:
    """Liu Eq. (5), binary [INFERRED]: ‖g_clean^(c)‖/‖g_noise^(c)‖ ≈ (1 − δ)/δ at t = 0."""
    return (1.0 - delta) / delta if delta > 0 else math.inf


def predicted_init_ratio_multiclass(delta: float, k: int) -> float:
    """Liu Section 5 [INFERRED]: ‖g_noise^(c)‖/‖g_clean^(c)‖ ≈ δ/((1 − δ)(K − 1)) at t = 0."""
    return delta / ((1.0 - delta) * (k - 1))
