"""The exact stepper: full-batch GD or minibatch SGD,

    θ^(t+1) = θ^(t) − α ∇L̂(θ^(t)),   L̂ = Σ_i s_i ℓ(y_i, f(x_i))   (s_i = 1/n: the mean loss),

θ = W, and b, a when they train. Gradients are the closed forms of :mod:`twolayer.net`, batched
over runs (no Python loop over runs) and blocked over samples (:class:`twolayer.net.Workspace`).
At a probe time t the gradient at θ_t is taken before the probes run, so they can read what the
step computed there: f(θ_t) on the training inputs (full batch), and the group gradients of a
probe that declares its groups (:func:`twolayer.probes.in_step_groups`), in the same pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol

import torch

from .. import net
from ..config import ConfigError, TrainConfig
from ..data import Dataset
from ..net import Params
from ..probes import ProbeState
from ..seeding import generator, permutations
from ..threads import intra_op_threads
from . import graphed
from .driver import Driver, check_divergence, finite_loss, finite_params

DIVERGENCE_CHECK_EVERY = 64

# Per-sample loss weights recomputed every step (an objective such as the gated memorisation
# loss of twolayer.objectives): fn(out, data) -> s [R, n], where out = f(θ_{t−1}) [R, n, o] on
# the training inputs, the outputs the previous step already computed (f(θ_0) at t = 0).
WeightsFn = Callable[[torch.Tensor, Dataset], torch.Tensor]


class MinibatchObjective(Protocol):
    """An objective (:data:`WeightsFn`) that, under minibatch SGD, draws its own minibatches
    and their weights, e.g. the memorisation objective's paired train / ascended minibatches with
    a gate evaluated once per epoch. ``minibatches`` yields (x [R, rows, d], y [R, rows],
    s [R, rows]) forever, reading the live parameters ``p`` (updated in place by the loop) when
    it needs them; ``rows(batch)`` is the number of rows per step."""

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:
        """The loss weights s [R, n] under full-batch GD, from f(θ_{t−1}) ``out`` [R, n, o]."""

    def rows(self, batch: int) -> int:
        """Rows per SGD step for ``--batch-size`` ``batch``."""

    def minibatches(
        self, p: Params, data: Dataset, batch: int, seeds: list[int], budget: int
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """(x [R, rows, d], y [R, rows], s [R, rows]) for every step, forever; ``seeds``: the
        runs' seeds (draw from their own streams, e.g. ``generator(seed, "my-stream")``)."""


def minibatches(data: Dataset, batch: int, seeds: list[int]):
    """Yield (x, y, idx) minibatches forever: a fresh permutation per epoch per run, the last
    incomplete batch of an epoch dropped; idx [R, batch] are the samples' indices."""
    gens = [generator(s, "batches") for s in seeds]
    n = data.x.shape[1]
    d = data.x.shape[2]
    per_epoch = max(1, n // batch)
    epochs = 1 if data.x.device.type == "cpu" else max(1, 64 // per_epoch)  # one copy per ~64
    while True:
        for perm in permutations(gens, n, epochs, data.x.device).unbind(0):
            yield from _epoch(data, perm, batch, n, d)


def _epoch(data: Dataset, perm: torch.Tensor, batch: int, n: int, d: int):
    """The minibatches of one epoch's permutation ``perm`` [R, n]."""
    for start in range(0, n - batch + 1, batch):
        idx = perm[:, start : start + batch]
        xb = data.x.gather(1, idx.unsqueeze(-1).expand(-1, -1, d))
        yield xb, data.y.gather(1, idx), idx


class GDStepper:
    """Exact GD / SGD steps on ``driver.params`` (see the module docstring).

    weights: per-sample loss weights s_i [R, n] (default 1/n); minibatch SGD uses the sampled
    rows scaled by n/B (an unbiased estimate of the weighted loss's gradient). A callable
    :data:`WeightsFn` recomputes them every step from f(θ_{t−1}) under full-batch GD; under
    minibatch SGD it must be a :class:`MinibatchObjective`."""

    def __init__(self, driver: Driver, cfg: TrainConfig, t0: int = 0,
                 weights: torch.Tensor | WeightsFn | None = None, until: int | None = None):
        self.driver = driver
        p, data, device = driver.params, driver.data, driver.device
        self.cfg, self.t = cfg, t0
        self.batches = (
            minibatches(data, cfg.batch_size, driver.seeds)
            if cfg.batch_size is not None and cfg.batch_size < data.x.shape[1]
            else None
        )
        self.weights_fn = weights if callable(weights) else None
        self.drawn = False  # minibatches and their weights drawn by the objective
        if self.weights_fn is not None:
            if self.batches is not None:
                if not hasattr(self.weights_fn, "minibatches"):
                    raise ConfigError("batch_size", cfg.batch_size,
                                      "this objective's step-wise weights need full-batch GD "
                                      "(None)")
                self.batches = self.weights_fn.minibatches(p, data, cfg.batch_size, driver.seeds,
                                                           driver.budget)
                self.drawn = True
            weights = None
        elif weights is not None:
            weights = weights.to(device, driver.dtype)
        self.weights = weights
        n_step = data.x.shape[1] if self.batches is None else (
            self.weights_fn.rows(cfg.batch_size) if self.drawn else cfg.batch_size)
        self.ws = net.Workspace(p, n_step, driver.budget)  # buffers reused by every step
        if self.weights_fn is not None and not self.drawn:  # f(θ_0) for the weights of step 0
            self.ws.out.copy_(net.forward(p, data.x, driver.budget))
        # a probe's group gradients, taken during the step at a probe time (no second pass)
        # when the step's gradient is the probe's: full batch, the mean loss
        self.split: tuple[str, net.GroupSplit] | None = None
        if (self.batches is None and weights is None and self.weights_fn is None
                and self.ws.can_split(p, cfg.objective)):
            split = driver.step_groups()
            # on a GPU only while its buffers fit the block budget (else: a separate pass)
            if split is not None and self.ws.groups_fit(split[1].S, driver.budget):
                self.split = split
        self.first_bad = torch.full((p.runs,), -1, dtype=torch.long, device=device)
        # a plain full-batch step on a GPU as a CUDA graph (Tuning.cuda_graph; see .graphed)
        self.graph: graphed.StepGraph | None = None
        self.graphable = (net.tuning().cuda_graph and graphed.supported(device)
                          and (cfg.steps if until is None else until) - t0
                          >= graphed.MIN_STEPS
                          and self.batches is None and weights is None
                          and self.weights_fn is None and not self.ws.workers
                          and type(self)._gradient is GDStepper._gradient)  # (a subclass's own)
        self.pending = False  # the gradient at θ_t is in the workspace
        self.batch_buf: tuple[torch.Tensor, torch.Tensor] | None = None

    def _gradient(self, groups: net.GroupSplit | None = None, lr: float | None = None) -> None:
        """The gradient at θ_t into the workspace (and the first non-finite loss per run); with
        ``lr`` also the step (:meth:`net.Workspace.run`: inside the worker lanes where they
        can)."""
        p, data, ws, cfg = self.driver.params, self.driver.data, self.ws, self.cfg
        if self.batches is None:
            scale = 1.0 / data.x.shape[1] if self.weights is None else self.weights
            if self.weights_fn is not None:  # from f(θ_{t−1}), still in ws.out
                scale = self.weights_fn(ws.out, data).to(self.driver.device, self.driver.dtype)
            ws.run(p, data.x, data.y, cfg.objective, scale, groups=groups, lr=lr)
        elif self.drawn:
            xb, yb, sb = next(self.batches)
            xb, yb = self._kept(xb, yb)
            ws.run(p, xb, yb, cfg.objective, sb, lr=lr)
        else:
            xb, yb, idx = next(self.batches)
            xb, yb = self._kept(xb, yb)
            if self.weights is None:
                ws.run(p, xb, yb, cfg.objective, 1.0 / xb.shape[1], lr=lr)
            else:
                sb = self.weights.gather(1, idx) * (data.x.shape[1] / xb.shape[1])
                ws.run(p, xb, yb, cfg.objective, sb, lr=lr)
        # on one intra-op thread while worker lanes run the steps (see net.Workspace)
        with intra_op_threads(1) if ws.workers else contextlib.nullcontext():
            self._mark(~finite_loss(ws.loss), self.t)
        self.pending = True

    def _kept(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The minibatch copied into buffers kept across steps: the workspace keys its block
        views by the input's storage, so a new tensor every step would rebuild them every step
        (measured: a fifth of a small online-SGD step)."""
        buf = self.batch_buf
        if buf is None or buf[0].shape != xb.shape or buf[1].shape != yb.shape:
            buf = self.batch_buf = (xb.new_empty(xb.shape), yb.new_empty(yb.shape))
        buf[0].copy_(xb)
        buf[1].copy_(yb)
        return buf

    def advance(self, stop: int) -> None:
        p, seeds = self.driver.params, self.driver.seeds
        plain = type(self).update is GDStepper.update  # a subclass may replace the update
        while self.t < stop:
            if self.pending:  # the gradient was taken at a probe time
                self.update(p)
            elif plain and self.graphable:  # the same step, as one CUDA graph launch
                self._graph_step()
            elif plain:  # gradient and update in one call: in the worker lanes where they can
                self._gradient(lr=self.cfg.lr)
            else:
                self._gradient()
                self.update(p)
            self.pending = False
            self.t += 1
            if self.t % DIVERGENCE_CHECK_EVERY == 0:
                check_divergence(self.first_bad, seeds)
            self.driver.progress(self.t)

    def update(self, p: Params) -> None:
        """θ ← θ − α g with the gradient g in the workspace (a subclass, e.g.
        :class:`.adam.AdamStepper`, replaces only this update)."""
        self.ws.descend(p, self.cfg.lr)

    def _graph_step(self) -> None:
        """Step t as :meth:`_gradient` with ``lr`` takes it (full batch, s_i = 1/n), replayed
        from a CUDA graph captured at the first such step (:class:`.graphed.StepGraph`)."""
        if self.graph is None:
            p, data, ws, cfg = self.driver.params, self.driver.data, self.ws, self.cfg
            scale = 1.0 / data.x.shape[1]

            def step() -> None:
                ws.run(p, data.x, data.y, cfg.objective, scale, lr=cfg.lr)

            self.graph = graphed.StepGraph(step, lambda: ~finite_loss(ws.loss), self.first_bad,
                                           self.driver.device)
        self.graph.run(self.t)
        if self.graph.failed:  # the step was taken; the later ones are taken eagerly
            self.graphable = False
        self.pending = True

    def graph_status(self) -> str | None:
        """For the result's meta: None where no step was graphed, "replayed", or why the
        recording failed (the steps then ran eagerly, the same arithmetic)."""
        if self.graph is None:
            return None
        return "replayed" if self.graph.failed is None else "capture failed: " + self.graph.failed

    def _mark(self, bad: torch.Tensor, t: int) -> None:
        """Note step t as the first bad one of the runs ``bad`` [R] that had none yet (in
        place: a captured step graph holds this tensor)."""
        self.first_bad.masked_fill_((self.first_bad < 0) & bad, t)

    def observe(self, t: int, state: ProbeState, last: bool) -> None:
        if not last:  # the gradient at θ_t first: its outputs f(θ_t) serve the probes
            self._gradient(self.split[1] if self.split is not None else None)
        # the probes measure θ_t: its norms too must be finite (see finite_params)
        self._mark(~finite_params(list(self.driver.params.trainable().values())), t)
        # checked with the probes' outputs, in their one device-to-host copy (Driver.probe): a
        # check here would wait for the device before the host can queue the probes' work
        self.driver.check_after_probes(self.first_bad)
        if last:
            return
        if self.batches is None:
            state.set_train_outputs(self.ws.out.clone())  # f(θ_t) on the training set
        if self.split is not None:
            state.set_in_step(self.split[0], self.ws.gram)

    def observe_on_device(self, state: ProbeState, t: torch.Tensor) -> None:
        """:meth:`observe` at a probe time that is not the last, for a captured probe time
        (:class:`.graphed.ProbeGraph`; only where :attr:`graphable`): the step index ``t`` on
        the device, one mark for a non-finite loss or non-finite parameters (both at t, as
        observe's two marks), the divergence check left to the caller, and :attr:`pending` set
        by the caller after each replay."""
        p, data, ws = self.driver.params, self.driver.data, self.ws
        ws.run(p, data.x, data.y, self.cfg.objective, 1.0 / data.x.shape[1],
               groups=self.split[1] if self.split is not None else None)
        bad = ~finite_loss(ws.loss) | ~finite_params(list(p.trainable().values()))
        torch.where((self.first_bad < 0) & bad, t, self.first_bad, out=self.first_bad)
        state.set_train_outputs(ws.out.clone())
        if self.split is not None:
            state.set_in_step(self.split[0], ws.gram)

    def finish(self, end: int) -> None:
        """The loop never evaluates the final parameters: check them directly."""
        self._mark(~finite_params(list(self.driver.params.trainable().values())), end)
        check_divergence(self.first_bad, self.driver.seeds)
