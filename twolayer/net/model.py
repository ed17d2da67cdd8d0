"""The model and its losses.

Network r computes

    f_r(x) = Σ_j a_rj φ(⟨w_rj, x⟩ + b_rj),   φ = relu, φ'(0) = 0.

Loss of a sample (:data:`LOSSES`, by objective name; more with :func:`register_loss`):
    logistic  ℓ_i = log(1 + exp(−y_i f(x_i))),  ∂ℓ_i/∂f = −y_i σ(−y_i f(x_i));
    softmax   ℓ_i = −log softmax(f(x_i))_{y_i},   ∂ℓ_i/∂f_k = softmax_k − 1[k = y_i].
A margin loss of one output, ℓ_i = ℓ(y_i f(x_i)), also gives ψ(u) = −ℓ'(−u) (logistic: ψ = σ), so
that the kernels form c_i = s_i ∂ℓ_i/∂f = ψ(−y_i f_i)·(−y_i s_i) in place, a few ops per block.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..config import register_objective
from ..lanes import pool
from .cpu_kernels import forward_relu_mask_args, fused_forward, relu_readout_mask_args
from .cpu_kernels import module as fused_module
from .params import Params
from .plan import DEFAULT_CHUNK_ELEMENTS, chunks, lane_plan, tuning, worker_threads


@dataclass(frozen=True)
class Loss:
    """A per-sample loss of the outputs: ``value(out, y)`` ℓ [R, n]; ``value_and_dloss(out, y)``
    (ℓ [R, n], ∂ℓ/∂f [R, n, o]); for a one-output margin loss ℓ(y f), ``psi_`` applies
    ψ(u) = −ℓ'(−u) in place (the kernels' fast path, and what the grouped kernel needs)."""

    value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    value_and_dloss: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    psi_: Callable[[torch.Tensor], torch.Tensor] | None = None


def _logistic(out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z = y.to(out.dtype) * out[..., 0]
    loss = torch.nn.functional.softplus(-z)
    dl = (-y.to(out.dtype) * torch.sigmoid(-z)).unsqueeze(-1)
    return loss, dl


def _logistic_value(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.softplus(-(y.to(out.dtype) * out[..., 0]))


def _softmax(out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    cls = labels_to_classes(y, out.shape[-1])
    logp = torch.log_softmax(out, dim=-1)
    loss = -logp.gather(-1, cls.unsqueeze(-1)).squeeze(-1)
    dl = logp.exp()
    dl.scatter_add_(-1, cls.unsqueeze(-1), -torch.ones_like(loss).unsqueeze(-1))
    return loss, dl


def _softmax_value(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    cls = labels_to_classes(y, out.shape[-1])
    return -torch.log_softmax(out, dim=-1).gather(-1, cls.unsqueeze(-1)).squeeze(-1)


LOSSES: dict[str, Loss] = {
    "logistic": Loss(_logistic_value, _logistic, torch.Tensor.sigmoid_),
    "softmax": Loss(_softmax_value, _softmax),
}


BUILTIN_LOSSES = frozenset(LOSSES)


def register_loss(name: str, loss: Loss, replace: bool = False) -> Loss:
    """Make ``loss`` usable as ``TrainConfig(objective=name)``: a one-output loss of the margin
    y·f with labels ±1 (``psi_`` = ψ(u) = −ℓ'(−u) in place, which the gradient kernels use; a
    loss without ``psi_`` takes the general ∂ℓ/∂f path). A built-in name cannot be replaced;
    registering a taken name again raises ValueError unless ``replace``. Returns ``loss``.

    Example, the hinge loss ℓ(z) = max(0, 1 − z): ℓ'(z) = −1[z < 1], so ψ(u) = 1[u > −1]::

        register_loss("hinge", Loss(value, value_and_dloss, lambda u: u.gt_(-1.0)))
    """
    if not isinstance(name, str) or not name or not name.isidentifier():
        raise ValueError(f"a loss name must be a non-empty identifier, not {name!r}")
    if not isinstance(loss, Loss):
        raise TypeError(f"register_loss({name!r}, ...) needs a twolayer Loss, not "
                        f"{type(loss).__name__}")
    if name in BUILTIN_LOSSES:
        raise ValueError(f"the built-in loss {name!r} cannot be replaced")
    if name in LOSSES and not replace and LOSSES[name] is not loss:
        raise ValueError(f"a loss named {name!r} is already registered (replace=True to "
                         f"replace it)")
    LOSSES[name] = loss
    register_objective(name)
    return loss


def loss_of(objective: str) -> Loss:
    """The :class:`Loss` of an objective name (ValueError for an unknown one)."""
    if objective not in LOSSES:
        raise ValueError(f"unknown objective {objective!r}")
    return LOSSES[objective]


def preactivation(p: Params, x: torch.Tensor) -> torch.Tensor:
    """[R, n, m]: ⟨w_j, x_i⟩ + b_j."""
    pre = torch.bmm(x, p.W.transpose(1, 2))
    if p.b is not None:
        pre = pre + p.b.unsqueeze(1)
    return pre


def _pre_into(p: Params, rs: slice, xc: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """W x + b of the runs ``rs`` for the samples xc [r, c, d], written into ``out``."""
    Wt = p.W[rs].transpose(1, 2)
    if p.b is None:
        return torch.bmm(xc, Wt, out=out)
    return torch.baddbmm(p.b[rs].unsqueeze(1), xc, Wt, out=out)


def _hidden_into(p: Params, rs: slice, xc: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """φ(W x + b) of the runs ``rs`` for the samples xc [r, c, d], written into ``out``."""
    return _pre_into(p, rs, xc, out).relu_()


def _readout_into(h: torch.Tensor, a: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """out = f = h a: [r, c, m] × [r, m, o] → [r, c, o]. One output on the CPU uses one
    matrix–vector product per run (no temporary; a batched bmm with one column is ~3× slower)."""
    if a.shape[2] == 1 and h.device.type == "cpu" and out.is_contiguous():
        for i in range(h.shape[0]):
            torch.mv(h[i], a[i, :, 0], out=out[i, :, 0])
        return out
    return out.copy_(torch.bmm(h, a))


def forward(p: Params, x: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS) -> torch.Tensor:
    """f(x) for every run: [R, n, o]. x is [R, n, d]."""
    R, n = x.shape[:2]
    out = x.new_empty(R, n, p.outputs)
    # the C pass (cpu_kernels) for float32 on a CPU with one output, as in the gradient kernel
    fused = (fused_module() if tuning().fused_cpu and x.device.type == "cpu"
             and x.dtype == torch.float32 and p.outputs == 1 else None)
    k = worker_threads(R, n, p.m, budget, x.device)
    shape, lanes, split = lane_plan(R, n, p.m, budget, x.device, k)

    # with AVX-512 the forward GEMM joins that pass: the same f as the gradient kernel's
    forward_pass = fused is not None and fused_forward(x.shape[2])

    def lane(mine: list[tuple[slice, slice]], counter: Iterator[int] | None = None) -> None:
        """The blocks ``mine`` in turn, or (with ``counter``) the next one until none is left."""
        buf = x.new_empty(shape[0], shape[1], p.m)
        scratch = x.new_empty(p.m * x.shape[2]) if forward_pass else None

        def block(rs: slice, ns: slice) -> None:
            xc = x[rs, ns]
            h = buf[: xc.shape[0], : xc.shape[1]]
            if fused is not None:  # relu and readout in one C pass over W x + b
                try:
                    if forward_pass:
                        args = forward_relu_mask_args(
                            xc, p.W[rs], None if p.b is None else p.b[rs], p.a[rs, :, 0], h,
                            out[rs, ns, 0], scratch, mask=False)
                    else:
                        args = relu_readout_mask_args(h, p.a[rs, :, 0], out[rs, ns, 0],
                                                      mask=False)
                except ValueError:  # a layout the C loop does not take
                    args = None
                if args is not None:
                    if forward_pass:
                        fused.forward_relu_mask(*args)
                    else:
                        _pre_into(p, rs, xc, h)
                        fused.relu_readout_mask(*args)
                    return
            _readout_into(_hidden_into(p, rs, xc, h), p.a[rs], out[rs, ns])

        if counter is None:
            for rs, ns in mine:
                block(rs, ns)
        else:
            while (u := next(counter)) < len(mine):
                block(*mine[u])

    if len(lanes) > 1 and tuning().dynamic and not split:  # blocks from a shared counter
        every = sorted((b for mine in lanes for b in mine), key=lambda b: (b[0].start, b[1].start))
        counter = itertools.count()
        pool(len(lanes)).map(lane, [(every, counter) for _ in lanes])
    elif len(lanes) > 1:  # the lanes write disjoint blocks of the output
        pool(len(lanes)).map(lane, [(mine,) for mine in lanes])
    else:
        lane(lanes[0])
    return out


def loss_and_dloss(
    out: torch.Tensor, y: torch.Tensor, objective: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample loss ℓ_i [R, n] and ∂ℓ_i/∂f [R, n, o] for labels y [R, n]."""
    return loss_of(objective).value_and_dloss(out, y)


def sample_loss(out: torch.Tensor, y: torch.Tensor, objective: str) -> torch.Tensor:
    """Per-sample loss ℓ_i [R, n] (as in :func:`loss_and_dloss`, without the derivative)."""
    return loss_of(objective).value(out, y)


def labels_to_classes(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class indices 0..K−1 from labels. K = 2 labels are always ±1 (+1 → 0, −1 → 1), decided
    per label, never from the batch (a chunk or minibatch of only +1 labels is still class 0)."""
    if k == 2:
        return (y < 0).long()
    return y.long()


def predict(out: torch.Tensor) -> torch.Tensor:
    """Predicted labels: sgn f (ties → −1) for one output, argmax for K."""
    if out.shape[-1] == 1:
        return torch.where(out[..., 0] > 0, 1, -1)
    return out.argmax(dim=-1)


def errors(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """[R, n] bool: prediction ≠ label (labels ±1 for one output, class indices for K). For one
    output, sgn f ≠ y (ties → −1, as :func:`predict`) is 1[f > 0] ≠ 1[y > 0]."""
    if out.shape[-1] == 1:
        return (out[..., 0] > 0) != (y > 0)
    return predict(out) != labels_to_classes(y, out.shape[-1])


def per_sample_grad_sq_norms(
    p: Params, x: torch.Tensor, coeffs: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS
) -> torch.Tensor:
    """[R, n]: ‖∇_θ ⟨c_i, f(x_i)⟩‖² for each sample, by the closed form
    ‖δ_i‖²(‖x_i‖² + 1[bias]) + ‖c_i‖²‖φ(W x_i + b)‖²·1[a trains]."""
    n = x.shape[1]
    res = x.new_empty(x.shape[0], n)
    at = p.a.transpose(1, 2)
    for sl in chunks(n, p.runs, p.m, budget):
        xc, c = x[:, sl], coeffs[:, sl]
        pre = preactivation(p, xc)
        delta = torch.bmm(c, at) * (pre > 0)
        sq = delta.square().sum(-1) * (xc.square().sum(-1) + (1.0 if p.b is not None else 0.0))
        if p.train_a:
            sq = sq + c.square().sum(-1) * torch.relu(pre).square().sum(-1)
        res[:, sl] = sq
    return res


def input_jacobian(p: Params, x: torch.Tensor) -> torch.Tensor:
    """∂f/∂x at each sample: [R, n, o, d], J_i = Σ_j a_j φ'(⟨w_j, x_i⟩ + b_j) w_jᵀ: one batched
    GEMM of the activation pattern [R, n, m] with the per-neuron products a_j w_jᵀ [R, m, o·d].
    (A three-operand einsum contracted left to right formed an [R, n, m, o] intermediate — 748
    against 159 ms at R = 30, n = 2000, m = 256, o = 10, d = 30 — and took another path, with other
    rounding, where opt_einsum is installed.)"""
    R, n = x.shape[:2]
    o, d = p.a.shape[2], p.W.shape[2]
    act = (preactivation(p, x) > 0).to(x.dtype)  # [R, n, m]
    aw = (p.a.unsqueeze(-1) * p.W.unsqueeze(2)).reshape(R, p.m, o * d)  # a_j w_jᵀ
    return torch.bmm(act, aw).view(R, n, o, d)


def input_jacobian_norms(
    p: Params, x: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS
) -> torch.Tensor:
    """[R, n]: Frobenius norms ‖∂f/∂x(x_i)‖_F, in chunks of samples."""
    n = x.shape[1]
    res = x.new_empty(x.shape[0], n)
    per = max(1, p.outputs * x.shape[2] // max(1, p.m))
    for sl in chunks(n, p.runs, p.m * per, budget):
        res[:, sl] = input_jacobian(p, x[:, sl]).flatten(2).norm(dim=-1)
    return res
