"""The one training loop: R networks at once, full-batch GD or minibatch SGD.

    W^(t+1) = W^(t) − α ∇L̂(W^(t)),   L̂ = Σ_i s_i ℓ(y_i, f(x_i))   (s_i = 1/n: the mean loss)

and likewise for b and a when they train. Gradients are the closed forms of :mod:`twolayer.net`,
batched over runs (no Python loop over runs) and chunked over samples. At each probe time t
(before the update t → t+1) the requested probes read the state. Experiments with phases
(pre-train → fine-tune) call :func:`train` again on the returned parameters.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from . import net
from .config import ConfigError, TrainConfig
from .data import Dataset
from .errors import DivergenceError
from .net import Params
from .probes import REGISTRY, ProbeState, run_probes
from .seeding import generator
from .threads import with_thread_policy

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

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor: ...

    def rows(self, batch: int) -> int: ...

    def minibatches(
        self, p: Params, data: Dataset, batch: int, seeds: list[int], budget: int
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]: ...


def probe_times(steps: int, num: int = 40, dense_until: int = 10) -> list[int]:
    """Sorted distinct integer times in [0, steps]: 0, 1, every t ≤ ``dense_until``, about
    ``num`` log-spaced times, and ``steps``."""
    times = {0, min(1, steps), steps}
    times.update(range(min(dense_until, steps) + 1))
    if steps > 1:
        times.update(int(round(t)) for t in np.logspace(0, np.log10(steps), num))
    return sorted(t for t in times if 0 <= t <= steps)


def resolve_device(device: str) -> torch.device:
    """``auto`` → cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("device", device, "no CUDA GPU is available here; use cpu or auto")
        return torch.device(device)
    raise ConfigError("device", device, "valid choices are auto, cpu, cuda")


@dataclass(frozen=True)
class Runtime:
    """How to run (not what): device, chunk budget (elements of [R, chunk, m]), progress bar."""

    device: str = "auto"
    budget: int = net.DEFAULT_CHUNK_ELEMENTS
    progress: bool | None = None  # None → only when stderr is a terminal
    threads: int | None = None  # CPU intra-op threads; None → auto (twolayer.threads)

    def __post_init__(self) -> None:
        if self.threads is not None and (isinstance(self.threads, bool)
                                         or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ConfigError("threads", self.threads, "an integer >= 1, or auto")

    @property
    def torch_device(self) -> torch.device:
        return resolve_device(self.device)

    def show_progress(self) -> bool:
        return sys.stderr.isatty() if self.progress is None else self.progress


@dataclass
class TrainResult:
    """Final parameters, probe times and the probe arrays ([R, T, ...] numpy per key)."""

    params: Params
    times: list[int]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    wall_seconds: float = 0.0
    steps: int = 0
    probe_seconds: float = 0.0  # part of wall_seconds spent in probes
    meta: dict = field(default_factory=dict)  # e.g. "integrator": statistics of flow / auto


def _minibatches(data: Dataset, batch: int, seeds: list[int]):
    """Yield (x, y, idx) minibatches forever: a fresh permutation per epoch per run, the last
    incomplete batch of an epoch dropped; idx [R, batch] are the samples' indices."""
    gens = [generator(s, "batches") for s in seeds]
    n = data.x.shape[1]
    d = data.x.shape[2]
    while True:
        perm = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(data.x.device)
        for start in range(0, n - batch + 1, batch):
            idx = perm[:, start : start + batch]
            xb = data.x.gather(1, idx.unsqueeze(-1).expand(-1, -1, d))
            yield xb, data.y.gather(1, idx), idx


@with_thread_policy
def train(
    params: Params,
    data: Dataset,
    cfg: TrainConfig,
    times: list[int] | None = None,
    probes: tuple[str, ...] | list[str] = (),
    runtime: Runtime | None = None,
    seeds: list[int] | None = None,
    init: Params | None = None,
    weights: torch.Tensor | WeightsFn | None = None,
) -> TrainResult:
    """Train R networks for ``cfg.steps`` steps and probe them at ``times``.

    params, data: on the CPU or the target device (moved to ``runtime.device`` here).
    seeds: per-run seeds for SGD minibatch order (default 0..R−1).
    init: parameters that probes compare against (default: ``params`` at entry).
    weights: per-sample loss weights s_i [R, n] (default 1/n). Minibatch SGD uses the sampled
    rows scaled by n/B (an unbiased estimate of the weighted loss's gradient). A callable
    :data:`WeightsFn` recomputes them every step from f(θ_{t−1}) on the training inputs (no extra
    forward pass; one at entry for t = 0) under full-batch GD; under minibatch SGD it must be a
    :class:`MinibatchObjective`, which draws each step's rows and weights itself.
    Raises :class:`DivergenceError` naming the run and the step where f became NaN/inf.
    """
    runtime = runtime or Runtime()
    if cfg.integrator != "gd":  # gradient flow / auto: twolayer.integrators
        from . import integrators

        times = sorted(set(times if times is not None else probe_times(cfg.steps)))
        return integrators.train(params, data, cfg, times, probes, runtime, seeds, init, weights)
    device = runtime.torch_device
    for name in probes:
        if name not in REGISTRY:
            raise ConfigError("probes", name, "known probes are " + ", ".join(sorted(REGISTRY)))
    times = sorted(set(times if times is not None else probe_times(cfg.steps)))
    if times and (times[0] < 0 or times[-1] > cfg.steps):
        raise ConfigError("times", times, f"probe times must lie in [0, {cfg.steps}]")
    dtype = params.W.dtype
    p = params.to(device).clone()  # never update the caller's tensors in place
    data = data.to(device, dtype)
    init = (init or params).to(device)
    seeds = seeds if seeds is not None else list(range(p.runs))
    batches = (
        _minibatches(data, cfg.batch_size, seeds)
        if cfg.batch_size is not None and cfg.batch_size < data.x.shape[1]
        else None
    )
    weights_fn = weights if callable(weights) else None
    drawn = False  # minibatches and their weights drawn by the objective (MinibatchObjective)
    if weights_fn is not None:
        if batches is not None:
            if not hasattr(weights_fn, "minibatches"):
                raise ConfigError("batch_size", cfg.batch_size,
                                  "this objective's step-wise weights need full-batch GD (None)")
            batches = weights_fn.minibatches(p, data, cfg.batch_size, seeds, runtime.budget)
            drawn = True
        weights = None
    elif weights is not None:
        weights = weights.to(device, dtype)
    n_step = data.x.shape[1] if batches is None else (
        weights_fn.rows(cfg.batch_size) if drawn else cfg.batch_size)
    ws = net.Workspace(p, n_step, runtime.budget)  # buffers reused by every step
    if weights_fn is not None and not drawn:  # f(θ_0) for the weights of step 0
        ws.out.copy_(net.forward(p, data.x, runtime.budget))
    # the segments probe's group gradients, taken during the step at a probe time (no second
    # pass) when the step's gradient is the probe's: full batch, mean logistic loss
    split = None
    if ("segments" in probes and batches is None and weights is None and weights_fn is None
            and cfg.objective == "logistic" and ws.can_split(p)):
        from .probes import segment_split

        split = segment_split(data)
    probe_seconds = 0.0
    logs: dict[str, list[torch.Tensor]] = {}
    probe_set = set(times)
    first_bad = torch.full((p.runs,), -1, dtype=torch.long, device=device)
    bar = None
    if runtime.show_progress() and cfg.steps > 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, unit="step", leave=False, file=sys.stderr)
    tick = max(1, cfg.steps // 200)
    start = time.perf_counter()
    with torch.no_grad():
        for t in range(cfg.steps + 1):
            probe_now = t in probe_set and bool(probes)
            if t == cfg.steps:
                if probe_now:
                    _check_divergence(first_bad, seeds)
                    probe_seconds += _probe(logs, probes, ProbeState(
                        t, p, init, data, cfg.objective, runtime.budget))
                break
            # the gradient at θ_t first: at a probe time its outputs f(θ_t) serve the probes
            if batches is None:
                scale = 1.0 / data.x.shape[1] if weights is None else weights
                if weights_fn is not None:  # from f(θ_{t−1}), still in ws.out
                    scale = weights_fn(ws.out, data).to(device, dtype)
                ws.run(p, data.x, data.y, cfg.objective, scale,
                       groups=split if probe_now else None)
            elif drawn:
                xb, yb, sb = next(batches)
                ws.run(p, xb, yb, cfg.objective, sb)
            else:
                xb, yb, idx = next(batches)
                if weights is None:
                    ws.run(p, xb, yb, cfg.objective, 1.0 / xb.shape[1])
                else:
                    sb = weights.gather(1, idx) * (data.x.shape[1] / xb.shape[1])
                    ws.run(p, xb, yb, cfg.objective, sb)
            bad = ~torch.isfinite(ws.loss).all(dim=1)
            first_bad = torch.where((first_bad < 0) & bad, t, first_bad)
            if probe_now:
                _check_divergence(first_bad, seeds)
                state = ProbeState(t, p, init, data, cfg.objective, runtime.budget)
                if batches is None:
                    state._cache["train"] = ws.out.clone()  # f(θ_t) on the training set
                if split is not None:
                    state._cache["segments_gram"] = ws.gram
                probe_seconds += _probe(logs, probes, state)
            ws.descend(p, cfg.lr)
            if (t + 1) % DIVERGENCE_CHECK_EVERY == 0:
                _check_divergence(first_bad, seeds)
            if bar is not None and (t + 1) % tick == 0:
                bar.update(tick)
        # the loop never evaluates the final parameters: check them directly
        final_ok = torch.stack(
            [torch.isfinite(v).flatten(1).all(1) for v in p.trainable().values()]
        ).all(0)
        first_bad = torch.where((first_bad < 0) & ~final_ok, cfg.steps, first_bad)
        _check_divergence(first_bad, seeds)
    if bar is not None:
        bar.close()
    wall = time.perf_counter() - start
    arrays = {k: torch.stack(v, dim=1).numpy() for k, v in logs.items()}
    return TrainResult(
        params=p, times=times, arrays=arrays, wall_seconds=wall, steps=cfg.steps,
        probe_seconds=probe_seconds,
    )


def _probe(logs: dict[str, list[torch.Tensor]], probes, state: ProbeState) -> float:
    """Run the probes on ``state`` and append their outputs (float32, CPU) to ``logs``;
    return the seconds it took."""
    start = time.perf_counter()
    for k, v in run_probes(probes, state).items():
        logs.setdefault(k, []).append(v.detach().to("cpu", torch.float32))
    return time.perf_counter() - start


def _check_divergence(first_bad: torch.Tensor, seeds: list[int]) -> None:
    if bool((first_bad >= 0).any()):
        bad = first_bad.clone()
        bad[bad < 0] = torch.iinfo(torch.long).max
        run = int(bad.argmin())
        raise DivergenceError(
            run, int(first_bad[run]), seeds[run], hint="try a smaller --lr or --init-var"
        )
