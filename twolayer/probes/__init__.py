"""Measurements taken during training.

A probe is a function ``probe(state) -> dict[str, Tensor]`` registered by name with
:func:`register`; every returned tensor has the run axis first ([R, ...]). The engine calls the
requested probes at each probe time and stacks their outputs over time into [R, T, ...] arrays
of the record (key ``"<probe>/<name>"``). A :class:`ProbeState` shares the forward passes
between probes at one time.

Built-in probes (notation of Frei et al. and Liu et al.; η = noise rate):

- ``errors``: training error, error of the clean subset C against its labels, fraction of the
  noisy subset N fitted to its corrupted labels, error of N against its true labels, mean losses
  (all, C, N), test error against noisy and against clean labels, clean test loss.
- ``correlations``: ⟨w_j, μ⟩ for each class mean μ (μ1, μ2 for the XOR data) and ‖w_j‖,
  for every neuron.
- ``segments``: segment gradients of the mean training loss, g_S = (1/n) Σ_{i∈S} ∇_θ ℓ_i
  (Liu's segment sums divided by n, so g = g_C + g_N), pooled and per true class; their norms,
  ratio ‖g_C‖/‖g_N‖, cos(g_C, g_N), cos(g, g_C), cos(g, ĝ) with ĝ the gradient under the true
  labels, and κ = ⟨g, ĝ⟩/‖ĝ‖² (Liu's effective learning-rate factor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .. import net
from ..data import Dataset
from ..net import Params

ProbeFn = Callable[["ProbeState"], dict[str, torch.Tensor]]
REGISTRY: dict[str, ProbeFn] = {}


def register(name: str) -> Callable[[ProbeFn], ProbeFn]:
    """Decorator: make a probe available under ``name``."""

    def deco(fn: ProbeFn) -> ProbeFn:
        REGISTRY[name] = fn
        return fn

    return deco


@dataclass
class ProbeState:
    """What a probe may read at one probe time: the step, the parameters (current and initial),
    the dataset on the compute device, the objective and the chunk budget."""

    step: int
    params: Params
    init: Params
    data: Dataset
    objective: str
    budget: int = net.DEFAULT_CHUNK_ELEMENTS
    _cache: dict[str, torch.Tensor] = field(default_factory=dict)

    def out_train(self) -> torch.Tensor:
        if "train" not in self._cache:
            self._cache["train"] = net.forward(self.params, self.data.x, self.budget)
        return self._cache["train"]

    def out_test(self) -> torch.Tensor:
        if "test" not in self._cache:
            self._cache["test"] = net.forward(self.params, self.data.x_test, self.budget)
        return self._cache["test"]


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis restricted to ``mask``; NaN where the mask is empty."""
    mask = mask.to(values.dtype)
    return (values * mask).sum(-1) / mask.sum(-1)


@register("errors")
def errors_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    out, out_t = s.out_train(), s.out_test()
    wrong = net.errors(out, d.y).to(out.dtype)
    wrong_true = net.errors(out, d.y_true).to(out.dtype)
    loss, _ = net.loss_and_dloss(out, d.y, s.objective)
    loss_t, _ = net.loss_and_dloss(out_t, d.y_test_true, s.objective)
    clean = ~d.noisy
    return {
        "train_error": wrong.mean(-1),
        "train_error_clean": masked_mean(wrong, clean),
        "noisy_fit_fraction": masked_mean(1.0 - wrong, d.noisy),
        "noisy_error_true": masked_mean(wrong_true, d.noisy),
        "loss": loss.mean(-1),
        "loss_clean": masked_mean(loss, clean),
        "loss_noisy": masked_mean(loss, d.noisy),
        "test_error": net.errors(out_t, d.y_test).to(out.dtype).mean(-1),
        "test_error_clean": net.errors(out_t, d.y_test_true).to(out.dtype).mean(-1),
        "test_loss_clean": loss_t.mean(-1),
    }


@register("correlations")
def correlations_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    W = s.params.W
    return {
        "w_dot_mu": torch.bmm(W, s.data.means.transpose(1, 2)),  # [R, m, #means]
        "w_norm": W.norm(dim=-1),  # [R, m]
    }


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


@register("segments")
def segments_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    R, n = d.x.shape[:2]
    C = d.num_classes
    # Γ [R, S, S]: Gram matrix of the group gradients (1/n) Σ_{i∈group} ∇ℓ_i, groups 2c (clean,
    # true class c), 2c + 1 (noisy, true class c) and 2C: the noisy samples once more with their
    # true labels, so that ĝ = g_C + g_2C (y = ỹ on C). Every statistic is a quadratic form uᵀΓu.
    gram = s._cache.get("segments_gram")  # taken by the engine during the step, if it could
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
    S = 2 * C + 1
    u_clean = torch.zeros(S, dtype=gram.dtype, device=gram.device)
    u_clean[0 : 2 * C : 2] = 1.0
    u_noisy = torch.zeros_like(u_clean)
    u_noisy[1 : 2 * C : 2] = 1.0
    u_true = u_clean.clone()
    u_true[2 * C] = 1.0
    u_all = u_clean + u_noisy

    def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return torch.einsum("s,rst,t->r", u, gram, v)

    def norm(u: torch.Tensor) -> torch.Tensor:
        return dot(u, u).clamp(min=0.0).sqrt()

    def cos(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return dot(u, v) / (norm(u) * norm(v))

    diag = torch.diagonal(gram, dim1=1, dim2=2).clamp(min=0.0).sqrt()  # [R, S]
    ccn, cnn = diag[:, 0 : 2 * C : 2], diag[:, 1 : 2 * C : 2]  # [R, C]
    cross = gram[:, torch.arange(0, 2 * C, 2), torch.arange(1, 2 * C, 2)]  # ⟨g_Cc, g_Nc⟩
    cn, nn_ = norm(u_clean), norm(u_noisy)
    stats = {
        "grad_norm": norm(u_all),
        "grad_clean_norm": cn,
        "grad_noisy_norm": nn_,
        "grad_ratio": cn / nn_,
        "cos_clean_noisy": cos(u_clean, u_noisy),
        "cos_g_clean": cos(u_all, u_clean),
        "cos_g_true": cos(u_all, u_true),
        "grad_true_norm": norm(u_true),
        "kappa": dot(u_all, u_true) / dot(u_true, u_true),
        "class_clean_norm": ccn,
        "class_noisy_norm": cnn,
        "class_ratio": ccn / cnn,
        "class_cos_clean_noisy": cross / (ccn * cnn),
    }
    return {k: v.to(d.x.dtype) for k, v in stats.items()}


def run_probes(names: tuple[str, ...] | list[str], state: ProbeState) -> dict[str, torch.Tensor]:
    """Run the named probes; keys ``"<probe>/<quantity>"``."""
    out: dict[str, torch.Tensor] = {}
    for name in names:
        if name not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise KeyError(f"unknown probe {name!r}; known probes: {known}")
        for k, v in REGISTRY[name](state).items():
            out[f"{name}/{k}"] = v
    return out


# Paper-specific probes live in sibling modules and register themselves on import.
# (one import line per module, at the end so that REGISTRY and ProbeState exist)
from . import badger, frei, liu, maennel, vashisht  # noqa: E402,F401
