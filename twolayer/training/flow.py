"""Long horizons: an adaptive integrator of the gradient flow, time in GD steps.

Full-batch GD, W^(t+1) = W^(t) − α ∇L̂(W^(t)), is the explicit Euler discretisation with step 1
of the gradient flow written in GD-step units t = τ/α:

    dθ/dt = −α ∇L̂(θ),   θ = (W, and b, a when they train).

Late in training the loss is small, ∇L̂ is small and smooth along the path, and the flow can be
integrated with steps h ≫ 1 that grow with t. :class:`FlowStepper` uses the embedded
Bogacki–Shampine 3(2) pair (FSAL: three gradient evaluations per accepted step):

    k1 = f(θ),  k2 = f(θ + h/2 k1),  k3 = f(θ + 3h/4 k2),
    θ' = θ + h (2/9 k1 + 1/3 k2 + 4/9 k3),   k4 = f(θ')  (= k1 of the next step),
    e  = h (−5/72 k1 + 1/12 k2 + 1/9 k3 − 1/8 k4)   (θ' minus the 2nd-order solution),

with f = −α ∇L̂ from the closed forms of :mod:`twolayer.net`. Error control, per run r:
err_r = ‖e_r‖ / (rtol · max(‖θ_r‖, ‖θ'_r‖)) over all trained parameters. The R runs of a batch
share one step: it is accepted when the worst run has err ≤ 1, and the next step is
h · clamp(0.9 · err^(−1/3), 0.2, 5) (no growth after a rejection). ReLU kinks make ∇L̂
discontinuous where an activation pattern 1[⟨w_j, x_i⟩ > 0] changes; a step across such a change
shows up as a large e and is rejected and shrunk. Steps below :data:`H_MIN` GD steps are accepted
regardless ("forced"; counted). Probe times are hit exactly: a step is clipped to end on the next
probe time. Non-finite losses reject the step; below :data:`H_MIN` they raise DivergenceError.

The statistics (accepted/rejected/forced steps, gradient evaluations, switch time, smallest and
largest accepted step) go to :attr:`TrainResult.meta` under ``"integrator"``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .. import net
from ..config import TrainConfig
from ..errors import DivergenceError
from ..net import Params
from ..probes import ProbeState
from .driver import Driver, check_divergence, finite_loss, finite_params
from .rowspan import RowSpan, worth_it

H_MIN = 1e-3  # GD steps: smaller steps are accepted whatever their error estimate
FAC_MIN, FAC_MAX, SAFETY = 0.2, 5.0, 0.9

# Bogacki–Shampine 3(2): nodes c, stage matrix A, weights b (3rd order), error weights b − b̂
BS3_C = (0.0, 0.5, 0.75)
BS3_A = ((), (0.5,), (0.0, 0.75))
BS3_B = (2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0)
BS3_E = (-5.0 / 72.0, 1.0 / 12.0, 1.0 / 9.0, -1.0 / 8.0)
BS3_ORDER = 3  # controller exponent −1/3


def flow_stats(kind: str, cfg: TrainConfig, **kw: Any) -> dict[str, Any]:
    """The ``meta["integrator"]`` record of a flow or auto call, zero counts."""
    out: dict[str, Any] = {"integrator": kind, "rtol": cfg.rtol, "method": "bs3",
                           "accepted": 0, "rejected": 0, "forced": 0, "grad_evals": 0,
                           "h_min": None, "h_max": None, "switch": None, "gd_steps": 0,
                           "row_span": None}
    out.update(kw)
    return out


class Field:
    """f(θ) = −α ∇L̂(θ) for the R runs, evaluated in one reused stage buffer ``q`` (so the
    workspace keeps its block views), with an evaluation counter."""

    def __init__(self, p: Params, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig,
                 budget: int, weights: torch.Tensor | None):
        self.q = p.clone()
        self.names = list(p.trainable())
        self.x, self.y = x, y
        self.objective, self.lr, self.weights = cfg.objective, cfg.lr, weights
        self.budget = budget
        self.ws = net.Workspace(self.q, x.shape[1], budget)
        self.evals = 0

    def __call__(self, theta: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor],
                                                                 torch.Tensor]:
        """(f(θ) by name, finite mask [R]: loss finite for the run)."""
        target = self.q.trainable()
        for k in self.names:
            target[k].copy_(theta[k])
        grads, loss, _ = net.loss_gradients(self.q, self.x, self.y, self.objective, self.weights,
                                            self.budget, self.ws)
        self.evals += 1
        finite = finite_loss(loss)
        return {k: grads[k].mul_(-self.lr) for k in self.names}, finite


def _run_norm(tensors: dict[str, torch.Tensor],
              extra_sq: torch.Tensor | None = None) -> torch.Tensor:
    """‖θ_r‖ over all named tensors (plus ``extra_sq`` [R], a squared norm kept elsewhere),
    per run: [R] (float64)."""
    sq = sum(torch.linalg.vector_norm(v.flatten(1), dim=1, dtype=torch.float64).square()
             for v in tensors.values())
    if extra_sq is not None:
        sq = sq + extra_sq
    return sq.sqrt()


def _combine(theta: dict[str, torch.Tensor], h: float, ks: list[dict[str, torch.Tensor]],
             coefs: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """θ + h Σ_i coefs_i k_i (new tensors)."""
    out = {}
    for k, v in theta.items():
        acc = v.clone()
        for c, kk in zip(coefs, ks):
            if c != 0.0:
                acc.add_(kk[k], alpha=h * c)
        out[k] = acc
    return out


def raise_if_bad(finite: torch.Tensor, t: int, seeds: list[int]) -> None:
    if not bool(finite.all()):
        run = int((~finite).nonzero()[0, 0])
        raise DivergenceError(run, t, seeds[run], hint="the gradient flow produced NaN/inf")


class FlowStepper:
    """The shared-step Bogacki–Shampine 3(2) integration of dθ/dt = −α ∇L̂(θ) on
    ``driver.params`` from t0 on (module docstring); ``stats`` collects its statistics.

    With fewer training points than input dimensions (n < d) the first layer is integrated in
    the row span of the training inputs (:mod:`.rowspan`: k = n coordinates per neuron instead
    of d, the same flow, the same error norm ‖θ‖ including the fixed part W_⊥), and the full W
    is rebuilt at every stop; ``stats["row_span"]`` is then k (None otherwise)."""

    def __init__(self, driver: Driver, cfg: TrainConfig, t0: int = 0,
                 weights: torch.Tensor | None = None):
        self.driver, self.cfg = driver, cfg
        if weights is not None:
            weights = weights.to(driver.device, driver.dtype)
        params, x = driver.params, driver.data.x
        self.span = RowSpan(x, params.W) if worth_it(x.shape[1], x.shape[2]) else None
        if self.span is not None:
            params, x = self.span.reduced(params), self.span.x
        self.f = Field(params, x, driver.data.y, cfg, driver.budget, weights)
        self.stats = flow_stats("flow", cfg, switch=t0 if t0 else None,
                                row_span=None if self.span is None else self.span.k)
        self.theta = dict(params.trainable())  # updated in place at acceptance
        self.fixed_sq = None if self.span is None else self.span.perp_sq  # ‖W_⊥‖² [R]
        self.t = float(t0)
        self.t0 = t0
        self.k1: dict[str, torch.Tensor] | None = None
        self.h_prop = 1.0  # proposed step (GD steps), before clipping to the next stop
        self.theta_norm: torch.Tensor | None = None  # ‖θ_r‖ of the current θ [R], kept

    def advance(self, stop: int) -> None:
        theta, stats, f, cfg, seeds = self.theta, self.stats, self.f, self.cfg, self.driver.seeds
        if stop <= self.t:
            return
        if self.k1 is None:
            self.k1, ok = f(theta)
            raise_if_bad(ok, self.t0, seeds)
        k1, t, h_prop = self.k1, self.t, self.h_prop
        if self.theta_norm is None:
            self.theta_norm = _run_norm(theta, self.fixed_sq)
        theta_norm = self.theta_norm
        while t < stop:
            h = min(h_prop, stop - t)
            clipped = h < h_prop
            k2, ok2 = f(_combine(theta, h, [k1], BS3_A[1]))
            k3, ok3 = f(_combine(theta, h, [k1, k2], BS3_A[2]))
            new = _combine(theta, h, [k1, k2, k3], BS3_B)
            k4, ok4 = f(new)
            e = _combine({k: torch.zeros_like(v) for k, v in theta.items()}, h,
                         [k1, k2, k3, k4], BS3_E)
            new_norm = _run_norm(new, self.fixed_sq)
            # a norm that overflows (entries finite, ‖θ‖ = inf, or a row's ‖w_j‖² = inf in
            # the dtype) is a blow-up too: the error scale would be inf and every step
            # accepted while θ runs off
            finite = (ok2 & ok3 & ok4 & torch.isfinite(new_norm)
                      & finite_params(list(new.values())))  # and every row's norm
            scale = torch.maximum(theta_norm, new_norm) * cfg.rtol + 1e-30
            err_r = _run_norm(e) / scale
            err_r = torch.where(finite, err_r, torch.full_like(err_r, math.inf))
            err = float(err_r.max())
            if err <= 1.0 or (h <= H_MIN and bool(finite.all())):
                if err > 1.0:
                    stats["forced"] += 1
                for k in theta:
                    theta[k].copy_(new[k])
                theta_norm = new_norm
                k1 = k4
                t = float(stop) if h == stop - t else t + h
                stats["accepted"] += 1
                stats["h_min"] = h if stats["h_min"] is None else min(stats["h_min"], h)
                stats["h_max"] = h if stats["h_max"] is None else max(stats["h_max"], h)
                fac = FAC_MAX if err == 0.0 else SAFETY * err ** (-1.0 / BS3_ORDER)
                # the floor holds after an accepted step too: at a kink the error need not
                # fall like h³, and proposals shrinking by ~0.9 per accepted step went on for
                # hundreds of thousands of steps at a small rtol
                h_next = max(h * min(FAC_MAX, max(FAC_MIN, fac)), H_MIN)
                h_prop = max(h_prop, h_next) if clipped else h_next
            else:
                if h <= H_MIN:
                    raise_if_bad(finite, int(t), seeds)
                stats["rejected"] += 1
                fac = FAC_MIN if not math.isfinite(err) else SAFETY * err ** (-1.0 / 3)
                h_prop = max(h * min(1.0, max(FAC_MIN, fac)), H_MIN)
            self.driver.progress(t)
        self.k1, self.t, self.h_prop, self.theta_norm = k1, t, h_prop, theta_norm
        if self.span is not None:
            self.span.lift(theta["W"], self.driver.params.W)

    def observe(self, t: int, state: ProbeState, last: bool) -> None:
        """The flow hands the probes nothing: they compute f(θ_t) themselves."""

    def finish(self, end: int) -> None:
        if self.k1 is None:  # never advanced: the initial evaluation still counts, as it did
            self.k1, ok = self.f(self.theta)
            raise_if_bad(ok, self.t0, self.driver.seeds)
        bad = torch.where(finite_params(list(self.theta.values())), -1, end)
        check_divergence(bad, self.driver.seeds)
        self.stats["grad_evals"] = self.f.evals
