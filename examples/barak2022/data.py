"""The (n, k)-sparse parity, streamed: a fresh minibatch at every SGD step.

x ~ Unif{±1}^n, y = χ_S(x) = Π_{i∈S} x_i with |S| = k [PAPER]. The support S of run r is drawn
from the run seed (``support``), the stream from per-run generators seeded by the run seed
(``ParityStream``), the 2^13-point validation set from a third per-run generator
(``validation_set``); so a batch of R runs reproduces R separate runs. Label noise: each streamed
label flipped with probability ``noise``; ``random_labels``: i.i.d. ±1 labels independent of x
(the random-label control). Validation labels are always clean.

The hinge loss ℓ(z) = max(0, 1 − z) of the margin z = y f [INFERRED from "hinge"]:
ℓ'(z) = −1[z < 1], so ψ(u) = −ℓ'(−u) = 1[−u < 1] = 1[u > −1] and the kernels' coefficient is
c_i = ψ(−y_i f_i)·(−y_i s_i) = −y_i s_i 1[y_i f_i < 1] = s_i ∂ℓ_i/∂f (at z = 1: the subgradient
0, as autograd's relu gives).

Initialisation (``init_params``): PyTorch's ``nn.Linear`` default, W, b ~ U(±1/√n) and
u ~ U(±1/√r), second layer and biases trained (the card's Xavier-uniform c = √(6/(n+r)) is the
option ``init="xavier"``; ``init="sign"`` is Theorem 4's w_j ∈ {±1}^n, b = 0, u_j = ±``head``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from twolayer.api import Dataset, Loss, Params, register_loss

VALIDATION = 2**13  # [PAPER]: success = 100% accuracy on a validation batch of 2^13
_STREAMS = {"support": 1, "stream": 2, "validation": 3, "init": 4}


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


# -- data ------------------------------------------------------------------------------------
def support(n: int, k: int, seeds: list[int]) -> torch.Tensor:
    """[R, n] bool: the mask of S per run (k coordinates drawn from the run seed)."""
    mask = torch.zeros(len(seeds), n, dtype=torch.bool)
    for r, s in enumerate(seeds):
        mask[r, torch.randperm(n, generator=gen(s, "support"))[:k]] = True
    return mask


def parity(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """χ_S(x) = Π_{i∈S} x_i: x [R, ..., n], mask [R, n] → [R, ...]."""
    shape = (mask.shape[0],) + (1,) * (x.dim() - 2) + (mask.shape[1],)
    m = mask.reshape(shape).to(x.device)
    return torch.where(m, x, torch.ones_like(x)).prod(-1)


def signs(shape: tuple[int, ...], g: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    return torch.randint(0, 2, shape, generator=g).to(dtype).mul_(2).sub_(1)


def validation_set(n: int, mask: torch.Tensor, seeds: list[int], size: int = VALIDATION,
                   dtype=torch.float32) -> Dataset:
    """A Dataset whose inputs (train and test alike) are ``size`` fresh points per run with clean
    labels; ``extras["support"]`` [R, n] holds the 0/1 mask of S (the probes read it)."""
    x = torch.stack([signs((size, n), gen(s, "validation"), dtype) for s in seeds])
    y = parity(x, mask)
    zeros = torch.zeros(x.shape[:2], dtype=torch.long)
    return Dataset(x=x, y_true=y, y=y, noisy=torch.zeros(x.shape[:2], dtype=torch.bool),
                   cluster=zeros, x_test=x, y_test_true=y, y_test=y, cluster_test=zeros,
                   num_classes=2, kind="parity", extras={"support": mask.to(dtype)})


class ParityStream:
    """A MinibatchObjective: every step a fresh batch (x [R, B, n], y [R, B], s = 1/B) from
    per-run generators, kept across calls of ``train`` (segments continue the stream)."""

    def __init__(self, n: int, mask: torch.Tensor, seeds: list[int], noise: float = 0.0,
                 random_labels: bool = False, chunk: int = 64):
        self.n, self.mask, self.noise, self.random_labels = n, mask, float(noise), random_labels
        self.gens = [gen(s, "stream") for s in seeds]
        self.chunk = chunk

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:
        raise ValueError("the parity stream is online SGD: set a batch size")

    def rows(self, batch: int) -> int:
        return batch

    def minibatches(self, p: Params, data: Dataset, batch: int, seeds: list[int],
                    budget: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        dev, dt = data.x.device, data.x.dtype
        s = torch.full((len(self.gens), batch), 1.0 / batch, dtype=dt, device=dev)
        C = self.chunk
        while True:
            x = torch.stack([signs((C, batch, self.n), g, dt) for g in self.gens])
            if self.random_labels:
                y = torch.stack([signs((C, batch), g, dt) for g in self.gens])
            else:
                y = parity(x, self.mask)
                if self.noise > 0:
                    flip = torch.stack([torch.rand((C, batch), generator=g) for g in self.gens])
                    y = torch.where(flip < self.noise, -y, y)
            x, y = x.to(dev), y.to(dev)
            for c in range(C):
                yield x[:, c], y[:, c], s


def init_params(n: int, m: int, seeds: list[int], bias: bool = True, init: str = "torch",
                head: float | None = None, dtype=torch.float32) -> Params:
    """Initial parameters of R = len(seeds) networks f(x) = Σ_j u_j relu(w_j·x + b_j).

    "torch": W, b ~ U(±1/√n), u ~ U(±1/√m) (nn.Linear's default); "xavier": W ~ U(±√(6/(n+m))),
    b = 0, u ~ U(±√(6/(m+1))); "sign": w_j ~ Unif{±1}^n, b = 0, u_j = ±``head`` (default
    1/(m n), so |f| < 1 at init: Theorem 4's regime) with random signs. The second layer u
    (twolayer's ``a``) trains in every init.
    """
    Ws, As, Bs = [], [], []
    for s in seeds:
        g = gen(s, "init")
        if init == "torch":
            c = 1.0 / math.sqrt(n)
            W = (torch.rand(m, n, generator=g, dtype=dtype) * 2 - 1) * c
            b = (torch.rand(m, generator=g, dtype=dtype) * 2 - 1) * c
            a = (torch.rand(m, 1, generator=g, dtype=dtype) * 2 - 1) / math.sqrt(m)
        elif init == "xavier":
            W = (torch.rand(m, n, generator=g, dtype=dtype) * 2 - 1) * math.sqrt(6 / (n + m))
            b = torch.zeros(m, dtype=dtype)
            a = (torch.rand(m, 1, generator=g, dtype=dtype) * 2 - 1) * math.sqrt(6 / (m + 1))
        elif init == "sign":
            W = signs((m, n), g, dtype)
            b = torch.zeros(m, dtype=dtype)
            a = signs((m, 1), g, dtype) * (head if head is not None else 1.0 / (m * n))
        else:
            raise ValueError(f"unknown init {init!r}: torch, xavier or sign")
        Ws.append(W)
        As.append(a)
        Bs.append(b)
    return Params(W=torch.stack(Ws), a=torch.stack(As), b=torch.stack(Bs) if bias else None,
                  train_a=True)
