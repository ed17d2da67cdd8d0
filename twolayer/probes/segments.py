"""The ``segments`` probe: gradients of the mean training loss restricted to groups of samples.

Segment gradients g_S = (1/n) Σ_{i∈S} ∇_θ ℓ_i for S = the clean samples C and the noisy samples
N of each true class (so g = g_C + g_N), and ĝ, the gradient under the true labels. The probe
reads everything from the Gram matrix Γ of the group gradients, which the training step takes
in its own pass when it can (the probe declares its groups: :func:`segment_split`).
"""

from __future__ import annotations

import functools

import torch

from .. import net
from ..data import Dataset
from ..net import Params
from .base import ProbeState, register


def segment_gradients(
    p: Params,
    x: torch.Tensor,
    coeffs: torch.Tensor,
    masks: torch.Tensor,
    budget: int = net.DEFAULT_CHUNK_ELEMENTS,
) -> torch.Tensor:
    """[S, R, P]: flattened gradients of Σ_{i∈S_s} ⟨c_i, f(x_i)⟩ for S segment masks [S, R, n].

    One forward per chunk, shared by all segments (masked sums of the same coefficients)."""
    S = masks.shape[0]
    grads = [net.zero_grads(p) for _ in range(S)]
    for sl in net.chunks(x.shape[1], p.runs, p.m, budget):
        xc = x[:, sl]
        pre = net.preactivation(p, xc)
        for k in range(S):
            c = coeffs[:, sl] * masks[k][:, sl].unsqueeze(-1).to(coeffs.dtype)
            net.accumulate_chunk(p, grads[k], xc, pre, c)
    return torch.stack([net.flatten(g) for g in grads])


def _cos(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1))


def segment_groups(data: Dataset) -> tuple[torch.Tensor, int]:
    """The segments of the ``segments`` probe: group 2c (clean, true class c) or 2c + 1 (noisy,
    true class c) of every training sample, [R, n] int32, and their number S = 2C."""
    C = data.num_classes
    groups = torch.empty(data.y.shape, dtype=torch.int32, device=data.x.device)
    torch.add(data.noisy, net.labels_to_classes(data.y_true, C), alpha=2, out=groups)
    return groups, 2 * C


def segment_split(data: Dataset) -> net.GroupSplit:
    """The segments as a :class:`net.GroupSplit`, so that the engine can take them during the
    step at a probe time (no second pass); the noisy groups once more with the true labels."""
    groups, S = segment_groups(data)
    return net.GroupSplit(groups, S, list(range(1, S, 2)), data.y_true)


def _segments_summary(a: dict) -> dict:
    """‖g_C‖/‖g_N‖ of the pooled segment gradients at the first and last probe times."""
    if "segments/grad_ratio" not in a:
        return {}
    ratio = a["segments/grad_ratio"]
    return {"grad_ratio_init": ratio[:, 0], "grad_ratio_final": ratio[:, -1]}


@functools.lru_cache(maxsize=16)
def _forms(C: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """U [4, S]: the group weights of g (all samples), g_C (clean), g_N (noisy) and ĝ (true
    labels) over the S = 2C + 1 groups of the Gram matrix (see :func:`segments_probe`)."""
    U = torch.zeros(4, 2 * C + 1, dtype=dtype)
    U[0, : 2 * C] = 1.0  # g = g_C + g_N
    U[1, 0 : 2 * C : 2] = 1.0  # g_C: the clean groups 2c
    U[2, 1 : 2 * C : 2] = 1.0  # g_N: the noisy groups 2c + 1
    U[3, 0 : 2 * C : 2] = 1.0  # ĝ = g_C + g_2C (the noisy samples with their true labels)
    U[3, 2 * C] = 1.0
    return U.to(device)


@register("segments", in_step_groups=segment_split, summary=_segments_summary,
          capturable=True)
def segments_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    R, n = d.x.shape[:2]
    C = d.num_classes
    # Γ [R, S, S]: Gram matrix of the group gradients (1/n) Σ_{i∈group} ∇ℓ_i, groups 2c (clean,
    # true class c), 2c + 1 (noisy, true class c) and 2C: the noisy samples once more with their
    # true labels, so that ĝ = g_C + g_2C (y = ỹ on C). Every statistic is a quadratic form uᵀΓu.
    gram = s.in_step("segments")  # taken by the training step, if it could
    if gram is None:
        out = s.out_train()
        _, dl = net.loss_and_dloss(out, d.y, s.objective)
        _, dl_true = net.loss_and_dloss(out, d.y_true, s.objective)
        first, S2 = segment_groups(d)
        groups = torch.empty(R, 2 * n, dtype=torch.int32, device=d.x.device)
        groups[:, :n] = first
        groups[:, n:] = torch.where(d.noisy, S2, -1)
        coeffs = torch.cat([dl, dl_true], dim=1).div_(n)
        del dl, dl_true
        rows = torch.arange(n, device=d.x.device).repeat(2).expand(R, 2 * n)
        gram = net.grouped_gram(s.params, d.x, groups, coeffs, S2 + 1, rows, s.budget)
    # the statistics' vectors u (rows of U: all, clean, noisy, true) and every uᵀΓv at once:
    # Q = U Γ Uᵀ [R, 4, 4] (one product on the device instead of one per statistic)
    U = _forms(C, gram.device, gram.dtype)
    Q = U @ gram @ U.T
    # A handful of operations on whole tensors (each costs host launch time on a GPU), every
    # element by the same arithmetic as one statistic at a time (so the same bits).
    # D [R, S + 4]: the norms √Γ_ss of the S = 2C + 1 groups, then ‖g‖, ‖g_C‖, ‖g_N‖, ‖ĝ‖ (√Q_uu)
    S = 2 * C + 1
    D = torch.cat([torch.diagonal(gram, dim1=1, dim2=2), torch.diagonal(Q, dim1=1, dim2=2)], 1)
    D = D.clamp_(min=0.0).sqrt_()
    nrm, ccn, cnn = D[:, S:], D[:, 0 : 2 * C : 2], D[:, 1 : 2 * C : 2]  # [R, 4], [R, C], [R, C]
    # the even entries of D over the odd ones: ‖g_Cc‖/‖g_Nc‖ for c < C, then √Γ_2C,2C/‖g‖
    # (unused) and ‖g_C‖/‖g_N‖ (D[S + 1]/D[S + 2], as S is odd)
    ratios = D[:, 0 : S + 3 : 2] / D[:, 1 : S + 3 : 2]  # [R, C + 2]
    cosines = Q / (nrm[:, :, None] * nrm[:, None, :])  # [R, 4, 4]: Q_uv/(‖u‖ ‖v‖)
    # ⟨g_Cc, g_Nc⟩ = Γ[2c, 2c + 1]: the diagonal of Γ's (even rows, odd columns) block (a view)
    cross = torch.diagonal(gram[:, 0 : 2 * C : 2, 1 : 2 * C : 2], dim1=1, dim2=2)
    ALL, CLEAN, NOISY, TRUE = range(4)
    runs = {  # [R] each
        "grad_norm": nrm[:, ALL],
        "grad_clean_norm": nrm[:, CLEAN],
        "grad_noisy_norm": nrm[:, NOISY],
        "grad_ratio": ratios[:, C + 1],
        "cos_clean_noisy": cosines[:, CLEAN, NOISY],
        "cos_g_clean": cosines[:, ALL, CLEAN],
        "cos_g_true": cosines[:, ALL, TRUE],
        "grad_true_norm": nrm[:, TRUE],
        "kappa": Q[:, ALL, TRUE] / Q[:, TRUE, TRUE],
    }
    classes = {  # [R, C] each
        "class_clean_norm": ccn,
        "class_noisy_norm": cnn,
        "class_ratio": ratios[:, :C],
        "class_cos_clean_noisy": cross / (ccn * cnn),
    }
    # into the data's dtype with one cast: every statistic a contiguous piece of one tensor
    per_class = torch.stack(list(classes.values()))  # [4, R, C]
    flat = torch.cat([*runs.values(), per_class.view(-1)]).to(d.x.dtype)
    res = dict(zip(runs, flat[: len(runs) * R].view(len(runs), R), strict=True))
    res.update(zip(classes, flat[len(runs) * R :].view(len(classes), R, C), strict=True))
    return res
