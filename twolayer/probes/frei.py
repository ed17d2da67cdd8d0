"""Probes for Frei, Chatterji & Bartlett (2023), "Random Feature Amplification" (card metrics
M4–M15). Binary XOR data (``--data xor``) and the logistic loss only.

Neuron sets J_μ. Lemma 4 puts a positive neuron (a_j > 0) in J_{+μ1} when
⟨w_j^(0)/‖w_j^(0)‖, μ1⟩ ≥ 1/(3 C0 √d), in J_{−μ1} when the same holds for −μ1, and negative
neurons (a_j < 0) likewise in J_{±μ2}. With C0 = 45·1024²·e⁴ ≈ 2.6·10⁹ the threshold is
effectively 0 (card, note under Definition 7), so here J_μ is the sign split at initialisation:
a positive neuron is in J_{+μ1} if ⟨w_j^(0), μ1⟩ ≥ 0 and in J_{−μ1} otherwise, a negative one in
J_{+μ2} or J_{−μ2} by the sign of ⟨w_j^(0), μ2⟩. The sets are fixed at t = 0 (read from
``ProbeState.init``). A neuron's set is stored as the id of its cluster (as in
:mod:`twolayer.data.xor`: 0 = +μ1, 1 = −μ1, 2 = +μ2, 3 = −μ2); μ_{c_j} is that cluster's signed
mean, and μ_⊥(j) the mean of the other class (μ2 for a_j^(0) > 0, μ1 for a_j^(0) < 0; with
``--train-second-layer`` a_j may change sign, and the class stays that of t = 0).

The zero neuron. An odd m with the fixed second layer has a_m = 0 (card section 2: "odd m: set
a_m = 0" [PAPER]; :func:`twolayer.net.fixed_second_layer`): neither positive nor negative, it
is in no J_μ (Lemma 4's sets need a_j > 0 or a_j < 0), has no own or other mean, and GD never
moves it while the second layer is fixed (with ``--train-second-layer`` a_m trains from 0; the
sets stay those of t = 0, so it stays out). Its set is :data:`NO_SET` (−1); its per-neuron
values (rho_own, rho_other, cond9, own_step) are NaN; the reductions over neurons (sign_kept,
cond9_fraction, leak, norm_max, own_step_min) run over the neurons with a_j^(0) ≠ 0 only (its
|a_j| = 0 would make leak and norm_max infinite). norm_frob is ‖W‖_F of the whole matrix, its
row included. With every a_j^(0) ≠ 0 (an even m, or a Gaussian second layer) every value is the
one computed before odd widths were built, bit for bit.

Probes and their quantities (all [R] or [R, m]; quantities needing α are divided by it in the
claims, since a probe does not know the step size):

``frei_neurons``
    set [R, m]: c_j. rho_own [R, m]: ⟨w_j, μ_{c_j}⟩/‖w_j‖ (M3, M4). rho_other [R, m]:
    ⟨w_j, μ_⊥(j)⟩/‖w_j‖. sign_kept [R]: share of neurons whose sgn⟨w_j^(t), μ_own(j)⟩ equals the
    sign at t = 0 (M5; sgn 0 = +1 at t as at t = 0, where the sets c_j put 0). cond9 [R, m]:
    1 if neuron j satisfies Condition 9, i.e.
    ⟨w_j^(t), x_k⟩ > 0 for every k ∈ I_{μ_{c_j}} and ≤ 0 for every k ∈ I_{−μ_{c_j}} (training
    points of the cluster and of the opposite cluster, clean and noisy; with ``--bias``, outside
    the paper's model, the pre-activation ⟨w_j^(t), x_k⟩ + b_j); cond9_fraction [R]:
    their share (M6). leak [R]: max_j |⟨w_j, μ_⊥(j)⟩| / |a_j|; Condition 10 is leak ≤ 3α (M7).
    norm_max [R]: max_j ‖w_j‖/|a_j|; norm_frob [R]: ‖W‖_F; Lemma 14 is norm_max ≤ 2αt and
    norm_frob ≤ 2αt (M8). own_step [R, m]: ⟨−∇_{w_j} L̂(W^(t)), μ_{c_j}⟩ / |a_j|; for full-batch
    GD on the mean loss the next step moves ⟨w_j, μ_{c_j}⟩ by exactly α|a_j|·own_step, so
    Eq. (20) is own_step ≥ e^{−2}/64 (M9); own_step_min [R] is its minimum over neurons.
``frei_samples``
    loss_weight_min / loss_weight_max [R]: min/max_i −ℓ'(y_i f(x_i)) = 1/(1 + exp(y_i f(x_i)))
    (M10; Eq. 19 predicts ≥ e^{−2}/2 for t ≤ T − 1). margin_clean_min [R]: min_{i∈C} y_i f(x_i);
    margin_noisy_max [R]: max_{i∈N} y_i f(x_i), NaN if N is empty (M11). acc_clean / acc_noisy
    [R]: share of C / N with sgn f(x_i) = y_i, i.e. y_i f(x_i) > 0 (M12; NaN for an empty
    subset; f = 0 counts as wrong).
``frei_test``
    agreement [R]: share of test points with sgn f(x) = sgn(|⟨μ1, x⟩| − |⟨μ2, x⟩|) (M14).
    test_error / test_error_clean [R]: error against the noisy / clean test labels (M13).
``frei_features``
    movement_min / movement_median [R]: min / median (for an even count the mean of the two
    middle values) over training points of
    ‖φ(W^(t) x_i) − φ(W^(0) x_i)‖ / ‖φ(W^(0) x_i)‖ (M15; Proposition 2). Points with
    φ(W^(0) x_i) = 0 (no neuron active at initialisation; probability 2^−m) are left out.
"""

from __future__ import annotations

import torch

from .. import net
from ..errors import ConfigError
from .base import ProbeState, masked_mean, register

NUM_CLUSTERS = 4
NO_SET = -1  # the set id of a neuron with a_j^(0) = 0 (an odd m's a_m): in no J_μ


def _require_xor(s: ProbeState, name: str) -> None:
    if s.data.kind != "xor" or s.objective != "logistic" or s.params.outputs != 1:
        raise ConfigError("probes", name, "needs --data xor with the logistic objective")


def neuron_sets(init_W: torch.Tensor, a: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """[R, m] cluster id c_j of J_μ by the sign split at initialisation (see module docstring):
    0, 1 (J_{±μ1}) for a_j > 0, 2, 3 (J_{±μ2}) for a_j < 0, :data:`NO_SET` for a_j = 0.

    init_W [R, m, d], a [R, m, 1], means [R, 2, d] (μ1, μ2)."""
    proj = torch.bmm(init_W, means.transpose(1, 2))  # [R, m, 2]
    positive = a[..., 0] > 0
    own = torch.where(positive, proj[..., 0], proj[..., 1])
    base = torch.where(positive, 0, 2)
    return (base + (own < 0).long()).masked_fill(~net.signed_neurons(a), NO_SET)


def mean_over_signed(values: torch.Tensor, signed: torch.Tensor) -> torch.Tensor:
    """[R]: the mean over the neurons with a_j ≠ 0 (``signed`` [R, m]) of ``values`` [R, m];
    the plain mean over all m where every a_j ≠ 0 (the same bits as before odd widths). Chosen
    per run on the device (no host sync, which a probe time's CUDA graph could not hold)."""
    return torch.where(signed.all(-1), values.mean(-1), masked_mean(values, signed))


def signed_means(means: torch.Tensor) -> torch.Tensor:
    """[R, 4, d]: +μ1, −μ1, +μ2, −μ2 (indexed by cluster id)."""
    mu1, mu2 = means[:, 0], means[:, 1]
    return torch.stack([mu1, -mu1, mu2, -mu2], dim=1)


def _gather_neuron(values: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """values [R, m, K], idx [R, m] → [R, m]: values[r, j, idx[r, j]]."""
    return values.gather(-1, idx.unsqueeze(-1)).squeeze(-1)


def cluster_extremes(
    p: net.Params, x: torch.Tensor, cluster: torch.Tensor, budget: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per neuron and cluster, min and max of ⟨w_j, x_k⟩ over the cluster's points: two
    [R, 4, m] tensors (+inf / −inf for an empty cluster)."""
    R, m = p.runs, p.m
    lo = x.new_full((R, NUM_CLUSTERS, m), float("inf"))
    hi = x.new_full((R, NUM_CLUSTERS, m), float("-inf"))
    for sl in net.chunks(x.shape[1], R, m, budget):
        pre = net.preactivation(p, x[:, sl])  # [R, c, m]
        cl = cluster[:, sl]
        for c in range(NUM_CLUSTERS):
            inside = (cl == c).unsqueeze(-1)
            lo[:, c] = torch.minimum(lo[:, c], pre.masked_fill(~inside, float("inf")).amin(1))
            hi[:, c] = torch.maximum(hi[:, c], pre.masked_fill(~inside, float("-inf")).amax(1))
    return lo, hi


@register("frei_neurons")
def neurons_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    _require_xor(s, "frei_neurons")
    p, d = s.params, s.data
    W, a = p.W, p.a
    n = d.x.shape[1]
    sets = neuron_sets(s.init.W, s.init.a, d.extras["class_means"])  # [R, m]
    # the class of J_μ is fixed at t = 0 like the set (a trained second layer may flip a_j)
    positive = s.init.a[..., 0] > 0
    signed = net.signed_neurons(s.init.a)  # in J_{±μ1} or J_{±μ2}: not an odd m's a_m = 0
    idx = sets.clamp(min=0)  # for the gathers: the zero neuron's values are NaN below

    def in_j(v: torch.Tensor) -> torch.Tensor:  # [R, m]: NaN for the zero neuron
        return v.masked_fill(~signed, float("nan"))

    abs_a = a[..., 0].abs()
    norms = W.norm(dim=-1)
    proj = torch.bmm(W, d.extras["class_means"].transpose(1, 2))  # [R, m, 2]: ⟨w_j, μ1⟩, ⟨w_j, μ2⟩
    own_unsigned = torch.where(positive, proj[..., 0], proj[..., 1])
    other = torch.where(positive, proj[..., 1], proj[..., 0])
    sign0 = torch.where(sets % 2 == 0, 1.0, -1.0).to(W.dtype)  # sgn⟨w_j^(0), μ_own(j)⟩
    own_signed = sign0 * own_unsigned  # ⟨w_j, μ_{c_j}⟩
    kept = (torch.where(own_unsigned >= 0, 1.0, -1.0) == sign0).to(W.dtype)
    lo, hi = cluster_extremes(p, d.x, d.cluster, s.budget)
    on_own = _gather_neuron(lo.transpose(1, 2), idx) > 0
    off_opposite = _gather_neuron(hi.transpose(1, 2), idx ^ 1) <= 0
    cond9 = (on_own & off_opposite).to(W.dtype)
    out = s.out_train()
    _, dl = net.loss_and_dloss(out, d.y, s.objective)
    gW = net.gradients_from_coeffs(p, d.x, dl / n, s.budget)["W"]  # ∇_W L̂, [R, m, d]
    step_proj = -torch.bmm(gW, d.extras["class_means"].transpose(1, 2))  # ⟨−∇_{w_j} L̂, μ1⟩, ⟨·, μ2⟩
    own_step = sign0 * torch.where(positive, step_proj[..., 0], step_proj[..., 1]) / abs_a
    return {
        "set": sets.to(W.dtype),
        "rho_own": in_j(own_signed / norms),
        "rho_other": in_j(other / norms),
        "sign_kept": mean_over_signed(kept, signed),
        "cond9": in_j(cond9),
        "cond9_fraction": mean_over_signed(cond9, signed),
        "leak": (other.abs() / abs_a).masked_fill(~signed, float("-inf")).amax(-1),
        "norm_max": (norms / abs_a).masked_fill(~signed, float("-inf")).amax(-1),
        "norm_frob": W.flatten(1).norm(dim=-1),
        "own_step": in_j(own_step),
        "own_step_min": own_step.masked_fill(~signed, float("inf")).amin(-1),
    }


@register("frei_samples")
def samples_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    _require_xor(s, "frei_samples")
    d = s.data
    margin = d.y.to(s.params.W.dtype) * s.out_train()[..., 0]  # y_i f(x_i), [R, n]
    weight = torch.sigmoid(-margin)  # −ℓ'(y_i f(x_i))
    clean, noisy = ~d.noisy, d.noisy
    right = (margin > 0).to(margin.dtype)  # sgn f(x_i) = y_i (f = 0 counts as wrong)
    nan = torch.tensor(float("nan"), dtype=margin.dtype, device=margin.device)
    noisy_max = torch.where(
        noisy.any(-1), margin.masked_fill(~noisy, float("-inf")).amax(-1), nan
    )
    clean_min = torch.where(clean.any(-1), margin.masked_fill(~clean, float("inf")).amin(-1), nan)
    return {
        "loss_weight_min": weight.amin(-1),
        "loss_weight_max": weight.amax(-1),
        "margin_clean_min": clean_min,
        "margin_noisy_max": noisy_max,
        "acc_clean": masked_mean(right, clean),
        "acc_noisy": masked_mean(right, noisy),
    }


@register("frei_test")
def test_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    _require_xor(s, "frei_test")
    d = s.data
    out = s.out_test()
    pred = net.predict(out)
    proj = torch.bmm(d.x_test, d.extras["class_means"].transpose(1, 2))  # ⟨x, μ1⟩, ⟨x, μ2⟩
    pred_star = torch.where(proj[..., 0].abs() - proj[..., 1].abs() > 0, 1, -1)
    return {
        "agreement": (pred == pred_star).to(out.dtype).mean(-1),
        "test_error": (pred != d.y_test).to(out.dtype).mean(-1),
        "test_error_clean": (pred != d.y_test_true).to(out.dtype).mean(-1),
    }


@register("frei_features")
def features_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    _require_xor(s, "frei_features")
    p0, p, x = s.init, s.params, s.data.x
    ratio = x.new_empty(x.shape[0], x.shape[1])
    for sl in net.chunks(x.shape[1], p.runs, 2 * p.m, s.budget):
        h0 = torch.relu(net.preactivation(p0, x[:, sl]))
        h = torch.relu(net.preactivation(p, x[:, sl]))
        base = h0.norm(dim=-1)
        ratio[:, sl] = torch.where(base > 0, (h - h0).norm(dim=-1) / base, float("nan"))
    return {
        "movement_min": ratio.nan_to_num(nan=float("inf")).amin(-1),
        "movement_median": nan_median(ratio),
    }


def nan_median(x: torch.Tensor) -> torch.Tensor:
    """The median over the last axis of the finite entries (NaN left out; NaN where none is
    left): for an even count the mean of the two middle values, as numpy's ``nanmedian``.
    torch's ``nanmedian`` returns the lower of the two (the record held that until session 50),
    and ``torch.nanquantile`` refuses tensors of more than 2^24 entries."""
    k = (~x.isnan()).sum(-1, keepdim=True)  # finite entries per row
    ordered = torch.where(x.isnan(), float("inf"), x).sort(-1).values  # ±inf kept as they are
    lo = ordered.gather(-1, ((k - 1) // 2).clamp(min=0))
    hi = ordered.gather(-1, (k // 2).clamp(max=x.shape[-1] - 1))
    return torch.where(k > 0, (lo + hi) / 2, float("nan")).squeeze(-1)
