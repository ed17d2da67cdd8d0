"""The two-layer ReLU ensemble: parameters, initialisation, forward pass, closed-form gradients.

R independent networks live in one set of tensors: W [R, m, d], a [R, m, o], b [R, m] or None,
with o = 1 output (binary, labels ±1) or o = K (softmax). Network r computes

    f_r(x) = Σ_j a_rj φ(⟨w_rj, x⟩ + b_rj),   φ = relu, φ'(0) = 0.

Loss of a sample, with per-sample weights s_i (1/n for the mean loss):
    logistic  ℓ_i = log(1 + exp(−y_i f(x_i))),  ∂ℓ_i/∂f = −y_i σ(−y_i f(x_i));
    softmax   ℓ_i = −log softmax(f(x_i))_{y_i},   ∂ℓ_i/∂f_k = softmax_k − 1[k = y_i].
With c_i = s_i ∂ℓ_i/∂f ∈ R^o and δ_ij = ⟨a_j, c_i⟩ φ'(⟨w_j, x_i⟩ + b_j) the closed-form gradients are

    ∇_W = Σ_i δ_i x_iᵀ,   ∇_b = Σ_i δ_i,   ∇_a = Σ_i φ(W x_i + b) c_iᵀ,

computed in chunks of samples so the [R, chunk, m] activations bound the memory. Autograd is
only the test oracle. Per-sample gradient norms use ‖g_i‖² = ‖δ_i‖²(‖x_i‖² + 1[bias]) +
‖c_i‖²‖φ_i‖²·1[a trains], never materialising per-sample gradients.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from .config import NetConfig
from .seeding import generator

# Memory budget of one chunk: R · chunk · m activation elements (64 MiB in float32).
DEFAULT_CHUNK_ELEMENTS = 1 << 24


@dataclass(frozen=True)
class Params:
    """Parameters of R networks. ``train_a``/``train_b`` say which of a, b are trained."""

    W: torch.Tensor  # [R, m, d]
    a: torch.Tensor  # [R, m, o]
    b: torch.Tensor | None  # [R, m] or None (no bias)
    train_a: bool = False

    @property
    def runs(self) -> int:
        return self.W.shape[0]

    @property
    def m(self) -> int:
        return self.W.shape[1]

    @property
    def outputs(self) -> int:
        return self.a.shape[2]

    def clone(self) -> Params:
        return replace(
            self,
            W=self.W.clone(),
            a=self.a.clone(),
            b=None if self.b is None else self.b.clone(),
        )

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Params:
        return replace(
            self,
            W=self.W.to(device, dtype),
            a=self.a.to(device, dtype),
            b=None if self.b is None else self.b.to(device, dtype),
        )

    def select(self, runs: list[int] | slice) -> Params:
        return replace(
            self, W=self.W[runs], a=self.a[runs], b=None if self.b is None else self.b[runs]
        )

    def trainable(self) -> dict[str, torch.Tensor]:
        """The trained tensors by name: W always, a and b when they train."""
        out = {"W": self.W}
        if self.b is not None:
            out["b"] = self.b
        if self.train_a:
            out["a"] = self.a
        return out


def init_params(
    cfg: NetConfig, d: int, seeds: list[int], init_var: float, dtype: torch.dtype = torch.float32
) -> Params:
    """Initialise R = len(seeds) networks on the CPU, each from its own seed.

    W_jk ~ N(0, ω_init²) with ω_init² = ``init_var``; b = 0; a as in ``cfg.second_layer``:
    "frei" gives a_j = +1/√m (j < m/2) and −1/√m (j ≥ m/2), "gaussian" gives a_jk ~ N(0, 1/m).
    """
    m, o = cfg.m, cfg.outputs
    Ws, As = [], []
    for s in seeds:
        g = generator(s, "init")
        Ws.append(torch.randn(m, d, generator=g, dtype=dtype) * math.sqrt(init_var))
        if cfg.second_layer == "frei":
            a = torch.full((m, o), 1.0 / math.sqrt(m), dtype=dtype)
            a[m // 2 :] *= -1.0
        else:
            a = torch.randn(m, o, generator=g, dtype=dtype) / math.sqrt(m)
        As.append(a)
    W = torch.stack(Ws)
    b = torch.zeros(len(seeds), m, dtype=dtype) if cfg.bias else None
    return Params(W=W, a=torch.stack(As), b=b, train_a=cfg.train_second_layer)


def chunks(n: int, runs: int, m: int, budget: int = DEFAULT_CHUNK_ELEMENTS) -> Iterator[slice]:
    """Slices of the sample axis so that runs · len(slice) · m ≤ budget (at least one sample)."""
    size = max(1, budget // max(1, runs * m))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def preactivation(p: Params, x: torch.Tensor) -> torch.Tensor:
    """[R, n, m]: ⟨w_j, x_i⟩ + b_j."""
    pre = torch.bmm(x, p.W.transpose(1, 2))
    if p.b is not None:
        pre = pre + p.b.unsqueeze(1)
    return pre


def forward(p: Params, x: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS) -> torch.Tensor:
    """f(x) for every run: [R, n, o]. x is [R, n, d]."""
    n = x.shape[1]
    out = x.new_empty(x.shape[0], n, p.outputs)
    for sl in chunks(n, p.runs, p.m, budget):
        h = torch.relu(preactivation(p, x[:, sl]))
        out[:, sl] = torch.bmm(h, p.a)
    return out


def loss_and_dloss(
    out: torch.Tensor, y: torch.Tensor, objective: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample loss ℓ_i [R, n] and ∂ℓ_i/∂f [R, n, o] for labels y [R, n]."""
    if objective == "logistic":
        z = y.to(out.dtype) * out[..., 0]
        loss = torch.nn.functional.softplus(-z)
        dl = (-y.to(out.dtype) * torch.sigmoid(-z)).unsqueeze(-1)
        return loss, dl
    if objective == "softmax":
        cls = labels_to_classes(y, out.shape[-1])
        logp = torch.log_softmax(out, dim=-1)
        loss = -logp.gather(-1, cls.unsqueeze(-1)).squeeze(-1)
        dl = logp.exp()
        dl.scatter_add_(-1, cls.unsqueeze(-1), -torch.ones_like(loss).unsqueeze(-1))
        return loss, dl
    raise ValueError(f"unknown objective {objective!r}")


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
    """[R, n] bool: prediction ≠ label (labels ±1 for one output, class indices for K)."""
    pred = predict(out)
    if out.shape[-1] != 1:
        y = labels_to_classes(y, out.shape[-1])
    return pred != y


def zero_grads(p: Params) -> dict[str, torch.Tensor]:
    grads = {"W": torch.zeros_like(p.W)}
    if p.b is not None:
        grads["b"] = torch.zeros_like(p.b)
    if p.train_a:
        grads["a"] = torch.zeros_like(p.a)
    return grads


def accumulate_chunk(
    p: Params, grads: dict[str, torch.Tensor], xc: torch.Tensor, pre: torch.Tensor, c: torch.Tensor
) -> None:
    """Add one chunk's closed-form gradients: δ = (c aᵀ) ⊙ 1[pre > 0], ∇W += δᵀx, ∇b += Σδ,
    ∇a += φ(pre)ᵀ c."""
    delta = torch.bmm(c, p.a.transpose(1, 2)) * (pre > 0)  # [R, chunk, m]
    grads["W"].baddbmm_(delta.transpose(1, 2), xc)
    if "b" in grads:
        grads["b"] += delta.sum(1)
    if "a" in grads:
        grads["a"].baddbmm_(torch.relu(pre).transpose(1, 2), c)


def gradients_from_coeffs(
    p: Params,
    x: torch.Tensor,
    coeffs: torch.Tensor,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
) -> dict[str, torch.Tensor]:
    """Closed-form gradients of Σ_i ⟨c_i, f(x_i)⟩ for given coefficients c [R, n, o]
    (c_i = s_i ∂ℓ_i/∂f gives the gradient of Σ_i s_i ℓ_i). Keys as :meth:`Params.trainable`."""
    grads = zero_grads(p)
    for sl in chunks(x.shape[1], p.runs, p.m, budget):
        xc = x[:, sl]
        accumulate_chunk(p, grads, xc, preactivation(p, xc), coeffs[:, sl])
    return grads


def loss_gradients(
    p: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    objective: str,
    weights: torch.Tensor | None = None,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Gradients of L = Σ_i s_i ℓ_i (s_i = 1/n unless ``weights`` [R, n] is given).

    Returns (grads, per-sample loss [R, n], outputs f [R, n, o]), in one pass over chunks."""
    n = x.shape[1]
    grads = zero_grads(p)
    out = x.new_empty(x.shape[0], n, p.outputs)
    loss = x.new_empty(x.shape[0], n)
    for sl in chunks(n, p.runs, p.m, budget):
        xc = x[:, sl]
        pre = preactivation(p, xc)
        f = torch.bmm(torch.relu(pre), p.a)
        lc, dl = loss_and_dloss(f, y[:, sl], objective)
        c = dl * (weights[:, sl].unsqueeze(-1) if weights is not None else 1.0 / n)
        accumulate_chunk(p, grads, xc, pre, c)
        out[:, sl] = f
        loss[:, sl] = lc
    return grads, loss, out


def flatten(grads: dict[str, torch.Tensor]) -> torch.Tensor:
    """[R, P]: the trained parameters' gradients as one vector per run (W, b, a order)."""
    keys = [k for k in ("W", "b", "a") if k in grads]
    return torch.cat([grads[k].flatten(1) for k in keys], dim=1)


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
    """∂f/∂x at each sample: [R, n, o, d], J_i = Σ_j a_j φ'(⟨w_j, x_i⟩ + b_j) w_jᵀ."""
    act = (preactivation(p, x) > 0).to(x.dtype)  # [R, n, m]
    return torch.einsum("rnm,rmo,rmd->rnod", act, p.a, p.W)


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
