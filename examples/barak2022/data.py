"""The (n, k)-sparse parity as a registered *streaming* data kind (``--data parity``).

x ~ Unif{±1}^n, y = χ_S(x) = Π_{i∈S} x_i with |S| = k [PAPER]. twolayer's ``DataConfig.d`` is
the paper's n (the input dimension); ``DataConfig.n`` is the size of the finite training set
that the probes and baselines see (online SGD never trains on it); ``DataConfig.n_test`` is the
validation set, 2^13 fresh points by default [PAPER: success = 100% accuracy on 2^13 points].

S = {0, …, k−1} (the first k coordinates) for every run. The inputs are uniform and every init
below draws its coordinates i.i.d., so the law of everything measured (all probes are
equivariant under permuting coordinates, with S permuted alike) is the same for every S of
size k; S is fixed because a streaming kind's ``draw`` sees the config, not the run's extras
(see docs/papers/barak2022.md, "API"). The probes read S from ``extras["support"]``.

Label noise through the common noise fields: ``noise_model="iid"`` flips each streamed label
with probability ``noise``; ``noise_model="random"`` replaces it with probability ``noise`` by
an i.i.d. uniform ±1 label (``noise = 1``: the random-label control, labels independent of x).
Validation labels used by the probes (``y_test_true``) are always clean.

Training streams (:class:`ParityStream`): every SGD step a fresh batch of B points per run,
drawn with the kind's own ``draw`` from a per-run generator seeded by the run's stream seed and
kept across calls of ``train`` (segments continue the stream, they do not replay it).

The hinge loss ℓ(z) = max(0, 1 − z) of the margin z = y f [INFERRED from "hinge"]:
ℓ'(z) = −1[z < 1], so ψ(u) = −ℓ'(−u) = 1[−u < 1] = 1[u > −1] and the kernels' coefficient is
c_i = ψ(−y_i f_i)·(−y_i s_i) = −y_i s_i 1[y_i f_i < 1] = s_i ∂ℓ_i/∂f (at z = 1: the subgradient
0, as autograd's relu gives).

Initialisation (``init_params``): ``init="xavier"``, the paper's default [PAPER: Uniform[−c, c]
with Xavier c], W ~ U(±√(6/(n+r))), u ~ U(±√(6/(r+1))), b = 0 (the bias init is a [PROPOSAL]:
the card did not read D.1.2); ``init="torch"``, PyTorch's ``nn.Linear`` default, W, b ~ U(±1/√n)
and u ~ U(±1/√r); ``init="sign"``, Theorem 4's w_j ∈ {±1}^n, b = 0, u_j = ±``head``. Second
layer and biases are trained in every init. Which experiment uses which: experiments.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import torch

from twolayer.api import (
    ConfigError,
    DataConfig,
    DataKind,
    Dataset,
    Flag,
    Loss,
    Params,
    iid_sampler,
    register_data_kind,
    register_loss,
)

VALIDATION = 2**13  # [PAPER]: success = 100% accuracy on a validation batch of 2^13
_STREAMS = {"stream": 2, "init": 4}


def gen(seed: int, stream: str) -> torch.Generator:
    """A CPU generator for run ``seed`` and one named purpose (independent streams)."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + 7919 * _STREAMS[stream])
                                         % (2**63 - 1))


# -- the hinge loss -------------------------------------------------------------------------
def _hinge_value(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.relu(1.0 - y.to(out.dtype) * out[..., 0])


def _hinge(out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    yy = y.to(out.dtype)
    z = yy * out[..., 0]
    return torch.relu(1.0 - z), (-yy * (z < 1.0).to(out.dtype)).unsqueeze(-1)


def _hinge_psi_(u: torch.Tensor) -> torch.Tensor:
    """ψ(u) = 1[u > −1] in place."""
    return u.gt_(-1.0)


HINGE = register_loss("hinge", Loss(_hinge_value, _hinge, _hinge_psi_), replace=True)


# -- the data kind ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ParityConfig(DataConfig):
    """``--data parity``: x ~ Unif{±1}^d, y = Π_{i<k} x_i (d = the paper's n, k = |S|)."""

    kind: str = "parity"
    d: int = 30
    n: int = 256
    n_test: int = VALIDATION
    noise: float = 0.0
    k: int = 3

    noise_models: ClassVar[tuple[str, ...]] = ("iid", "random")
    noise_models_hint: ClassVar[str] = ("--data parity: iid (flip with probability --noise) or "
                                        "random (replace by a uniform label; --noise 1 = random "
                                        "labels)")
    min_d: ClassVar[int] = 1

    def check(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or not 1 <= self.k <= self.d:
            raise ConfigError("k", self.k, f"must be an integer, valid range is [1, d = {self.d}]")


def signs(shape: tuple[int, ...], g: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    return torch.randint(0, 2, shape, generator=g).to(dtype).mul_(2).sub_(1)


def draw(cfg: ParityConfig, n: int, g: torch.Generator, dtype: torch.dtype
         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n fresh points of one run: x [n, d] uniform on {±1}^d, clean labels χ_S(x) [n] with
    S = {0..k−1}, cluster ids [n] (all 0: the parity has no clusters)."""
    x = signs((n, cfg.d), g, dtype)
    return x, x[:, :cfg.k].prod(-1), torch.zeros(n, dtype=torch.long)


def _setup(cfg: ParityConfig, g: torch.Generator, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    mask = torch.zeros(cfg.d, dtype=dtype)
    mask[:cfg.k] = 1
    return {"support": mask}


def _fixed(cfg, n, extras, g, dtype):
    return draw(cfg, n, g, dtype)


PARITY = register_data_kind(DataKind(
    "parity", ParityConfig, iid_sampler(_setup, _fixed),
    flags=(Flag("k", int, "--data parity: |S|, the parity's degree, 1 <= k <= d (default 3)"),),
    about="parity ((d, k)-sparse parity on {±1}^d, streamed: online SGD)", stream=draw))


# -- helpers on the kind ------------------------------------------------------------------------
def support(n: int, k: int, runs: int) -> torch.Tensor:
    """[R, n] bool: the kind's mask of S for ``runs`` runs."""
    mask = _setup(ParityConfig(d=n, k=k), torch.Generator(), torch.float32)["support"] > 0.5
    return mask.unsqueeze(0).expand(runs, -1).clone()


def parity(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """χ_S(x) = Π_{i∈S} x_i: x [R, ..., n], mask [R, n] → [R, ...]."""
    shape = (mask.shape[0],) + (1,) * (x.dim() - 2) + (mask.shape[1],)
    m = mask.reshape(shape).to(x.device)
    return torch.where(m, x, torch.ones_like(x)).prod(-1)


def relabel(cfg: ParityConfig, y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Streamed labels under the config's noise: iid flips with probability p, or replacement
    by a uniform ±1 label with probability p (``random``)."""
    if cfg.noise <= 0:
        return y
    u = torch.rand(y.shape, generator=g)
    if cfg.noise_model == "iid":
        return torch.where(u < cfg.noise, -y, y)
    return torch.where(u < cfg.noise, signs(tuple(y.shape), g, y.dtype), y)


class ParityStream:
    """A MinibatchObjective: every step a fresh batch (x [R, B, n], y [R, B], s = 1/B) drawn with
    the kind's ``draw`` from per-run generators (seeded by ``stream_seeds``), labels relabelled
    by the config's noise; the generators are kept across calls of ``train``, so training in
    segments continues the stream. Points are drawn ``chunk`` steps at a time (one ``draw`` of
    chunk·B points per run)."""

    def __init__(self, cfg: ParityConfig, stream_seeds: list[int], chunk: int = 64):
        self.cfg, self.chunk = cfg, chunk
        self.gens = [gen(s, "stream") for s in stream_seeds]

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:
        raise ValueError("the parity stream is online SGD: set a batch size")

    def rows(self, batch: int) -> int:
        return batch

    def minibatches(self, p: Params, data: Dataset, batch: int, seeds: list[int],
                    budget: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        dev, dt = data.x.device, data.x.dtype
        s = torch.full((len(self.gens), batch), 1.0 / batch, dtype=dt, device=dev)
        C, cfg = self.chunk, self.cfg
        while True:
            xs, ys = [], []
            for g in self.gens:
                x, y, _ = draw(cfg, C * batch, g, dt)
                xs.append(x.view(C, batch, cfg.d))
                ys.append(relabel(cfg, y, g).view(C, batch))
            x, y = torch.stack(xs).to(dev), torch.stack(ys).to(dev)
            for c in range(C):
                yield x[:, c], y[:, c], s


def xavier_bound(fan_in: int, fan_out: int) -> float:
    """Glorot & Bengio's (2010) uniform bound c = √(6 / (fan_in + fan_out)) (gain 1), as
    ``torch.nn.init.xavier_uniform_`` computes it for a weight matrix [fan_out, fan_in]."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def _uniform(shape: tuple[int, ...], c: float, g: torch.Generator, dtype) -> torch.Tensor:
    """U(−c, c) i.i.d. from ``g`` (one ``torch.rand`` of ``shape``)."""
    return (torch.rand(shape, generator=g, dtype=dtype) * 2 - 1) * c


INITS = ("xavier", "torch", "sign")


def init_params(n: int, m: int, seeds: list[int], bias: bool = True, init: str = "torch",
                head: float | None = None, dtype=torch.float32) -> Params:
    """Initial parameters of R = len(seeds) networks f(x) = Σ_j u_j relu(w_j·x + b_j): the first
    layer W [m, n] (fan_in n, fan_out m), biases b [m], the second layer u (twolayer's ``a``,
    [m, 1]: the weight of a layer with fan_in m and fan_out 1). Run r draws from its own
    generator ``gen(seeds[r], "init")``, in the order W, then b (``torch`` only), then u; the
    same seed gives the same parameters, and ``bias=False`` drops b after the draws (the same W
    and u as with biases).

    - ``"xavier"`` (the paper's default, [PAPER] "Uniform[−c, c] with Xavier c"): each weight
      matrix its own Xavier (Glorot) uniform bound c = √(6 / (fan_in + fan_out)):
      W ~ U(±√(6 / (n + m))) and u ~ U(±√(6 / (m + 1))). Biases b = 0: how the paper set its
      biases (App. D.1.2) was not read, so this is a [PROPOSAL] — Glorot & Bengio's own choice
      and what Keras pairs with ``glorot_uniform``; Xavier's c is defined for weight matrices
      only (``torch.nn.init.xavier_uniform_`` refuses a 1-d tensor). b is trained from 0.
    - ``"torch"`` (PyTorch's ``nn.Linear`` default): W, b ~ U(±1/√n), u ~ U(±1/√m).
    - ``"sign"`` (Theorem 4): w_j ~ Unif{±1}^n, b = 0, u_j = ±``head`` (default 1/(m n), so
      |f| < 1 at init: Theorem 4's regime) with random signs.

    The second layer u trains in every init.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}: one of {', '.join(INITS)}")
    Ws, As, Bs = [], [], []
    for s in seeds:
        g = gen(s, "init")
        if init == "xavier":
            W = _uniform((m, n), xavier_bound(n, m), g, dtype)
            b = torch.zeros(m, dtype=dtype)
            a = _uniform((m, 1), xavier_bound(m, 1), g, dtype)
        elif init == "torch":
            c = 1.0 / math.sqrt(n)
            W = _uniform((m, n), c, g, dtype)
            b = _uniform((m,), c, g, dtype)
            # divided, not multiplied by 1/√m: the draws of every earlier record, bit for bit
            a = (torch.rand(m, 1, generator=g, dtype=dtype) * 2 - 1) / math.sqrt(m)
        else:  # sign
            W = signs((m, n), g, dtype)
            b = torch.zeros(m, dtype=dtype)
            a = signs((m, 1), g, dtype) * (head if head is not None else 1.0 / (m * n))
        Ws.append(W)
        As.append(a)
        Bs.append(b)
    return Params(W=torch.stack(Ws), a=torch.stack(As), b=torch.stack(Bs) if bias else None,
                  train_a=True)
