"""An optional stepper: Adam (Kingma & Ba 2015) on the exact (full-batch or minibatch) gradient,

    m_k = β1 m_{k−1} + (1 − β1) g_k,   v_k = β2 v_{k−1} + (1 − β2) g_k²,
    θ_k = θ_{k−1} − α (m_k / (1 − β1^k)) / (√(v_k / (1 − β2^k)) + ε),

elementwise per trained tensor (W, and b, a when they train) and per run, the moments starting at
0 at the first step of the call (a continued call starts fresh moments). The arithmetic follows
``torch.optim.Adam`` (weight decay 0, no amsgrad). Everything else (minibatches, objectives,
probes, divergence checks) is :class:`.gd.GDStepper`'s: only :meth:`update` differs, and the
default training path never builds this class. Use it as ``train(..., stepper=adam(...))``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch

from ..config import ConfigError, TrainConfig
from ..net import Params
from .driver import Driver
from .gd import GDStepper, WeightsFn


class AdamStepper(GDStepper):
    """:class:`.gd.GDStepper` whose update is Adam's (module docstring); α = ``cfg.lr``."""

    def __init__(self, driver: Driver, cfg: TrainConfig, t0: int = 0,
                 weights: torch.Tensor | WeightsFn | None = None,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(driver, cfg, t0, weights)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ConfigError("betas", betas, "each in [0, 1)")
        if not eps > 0.0:
            raise ConfigError("eps", eps, "a positive number")
        self.betas, self.eps, self.k = (float(b1), float(b2)), float(eps), 0
        tr = driver.params.trainable()
        self.m1 = {n: torch.zeros_like(v) for n, v in tr.items()}
        self.m2 = {n: torch.zeros_like(v) for n, v in tr.items()}

    def update(self, p: Params) -> None:
        g = self.ws.gradients(p)  # every gradient before any tensor moves (W's uses a)
        self.k += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.k, 1.0 - b2 ** self.k
        for n, theta in p.trainable().items():
            m1, m2 = self.m1[n], self.m2[n]
            m1.mul_(b1).add_(g[n], alpha=1.0 - b1)
            m2.mul_(b2).addcmul_(g[n], g[n], value=1.0 - b2)
            denom = (m2.sqrt() / math.sqrt(c2)).add_(self.eps)
            theta.addcdiv_(m1, denom, value=-self.cfg.lr / c1)


def adam(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
         ) -> Callable[..., AdamStepper]:
    """The ``stepper`` argument of :func:`twolayer.training.train` for Adam."""
    return functools.partial(AdamStepper, betas=betas, eps=eps)
