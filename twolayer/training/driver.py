"""The common part of every training call: setup, probe schedule, progress bar, divergence
checks and the :class:`TrainResult`.

A :class:`Driver` owns the parameters θ (a private copy on the compute device), the dataset on
that device, the probe logs and the progress bar. A *stepper* (:mod:`.gd`, :mod:`.flow`) owns the
numerics: the driver asks it to advance θ to the next probe time t (GD steps, or the gradient
flow dθ/dt = −α ∇L̂(θ) in GD-step units), then to :meth:`Stepper.observe` the state at t (it may
hand the probes what its step already computed there), then runs the probes. The driver knows
no probe by name: a probe declares what it can take from the step (:mod:`twolayer.probes`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from .. import net
from ..config import Config, ConfigError
from ..data import Dataset
from ..errors import DivergenceError
from ..net import Params
from ..probes import REGISTRY, ProbeState, in_step_groups, run_probes
from ..probes.base import capturable as probe_capturable
from ..probes.base import check_same_shape, per_run_configs
from ..timing import phase


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
    """How to run (not what): device, chunk budget (elements of [R, chunk, m]), progress bar,
    CPU threads, and whether float32 GEMMs may use TF32 (:mod:`twolayer.precision`; off by
    default, whatever the process had set)."""

    device: str = "auto"
    budget: int | None = None  # None: net.device_budget (the GPU's free memory, or 2^24)
    progress: bool | None = None  # None → only when stderr is a terminal
    threads: int | None = None  # CPU intra-op threads; None → auto (twolayer.threads)
    tf32: bool = False  # allow TF32 for float32 GEMMs on a GPU (default: full float32)

    def __post_init__(self) -> None:
        if not isinstance(self.device, str):
            raise ConfigError("device", self.device, "valid choices are auto, cpu, cuda")
        # a string ("no") would be truthy: a progress bar, or TF32 GEMMs, nobody asked for
        if self.progress is not None and not isinstance(self.progress, bool):
            raise ConfigError("progress", self.progress, "must be true, false or None (when "
                              "stderr is a terminal)")
        if not isinstance(self.tf32, bool):
            raise ConfigError("tf32", self.tf32, "must be true or false")
        if self.budget is not None and (isinstance(self.budget, bool)
                                        or not isinstance(self.budget, int) or self.budget < 1):
            raise ConfigError("budget", self.budget, "an integer >= 1 (activation elements per "
                              "block), or None for the device's own")
        if self.threads is not None and (isinstance(self.threads, bool)
                                         or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ConfigError("threads", self.threads, "an integer >= 1, or auto")

    @property
    def torch_device(self) -> torch.device:
        """The torch device of ``device`` (auto: cuda when available, else cpu)."""
        return resolve_device(self.device)

    def show_progress(self) -> bool:
        """Whether to draw a progress bar (``progress``; None: when stderr is a terminal)."""
        return sys.stderr.isatty() if self.progress is None else self.progress


def probe_to_host(probes: tuple[str, ...], state: ProbeState, check: torch.Tensor | None,
                  seeds: list[int], one_copy: bool) -> dict[str, torch.Tensor]:
    """The probes' outputs at ``state`` as float32 CPU tensors, after the divergence check of
    ``check`` (first_bad [R] or None; :func:`check_divergence`). ``one_copy`` (a device): the
    outputs and ``check`` reach the host in one copy (:func:`outputs_to_host`), so the probes
    run first, and the check raises before they are returned (also where a probe failed, on
    the non-finite values of a diverged run); else the check comes first."""
    if not one_copy:
        if check is not None:
            check_divergence(check, seeds)
        outs = run_probes(probes, state)
        return {k: v.detach().to("cpu", torch.float32) for k, v in outs.items()}
    try:
        outs = run_probes(probes, state)
    except Exception:
        if check is not None:
            check_divergence(check, seeds)
        raise
    host = outputs_to_host(outs, extra=check)
    if check is not None and bool((host.pop(FIRST_BAD) >= 0).any()):
        check_divergence(check, seeds)  # the exact step, from the device
    return host


FIRST_BAD = "first_bad"  # the key of outputs_to_host's extra int64 tensor


def outputs_to_host(outs: dict[str, torch.Tensor], one_copy: bool | None = None,
                    extra: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The probe outputs as float32 CPU tensors, those on a device through one device-to-host
    copy (one sync on a GPU instead of one per output: ~25 outputs at each probe time with the
    default probes). ``one_copy=True``: CPU tensors too go through the concatenation (tests).
    ``extra``: a tensor on the outputs' device (a stepper's first_bad [R]) that rides in the
    same copy as float32, returned under :data:`FIRST_BAD` (a step index ≥ 2^24 loses its
    last bits there, never its sign: read it as "which runs are ≥ 0")."""
    res = {k: v.detach().to(torch.float32) for k, v in outs.items()
           if v.device.type == "cpu" and not one_copy}
    dev = {k: v for k, v in outs.items() if k not in res}
    if extra is not None:
        dev[FIRST_BAD] = extra
    if dev:
        flat, shapes = pack_outputs(dev)
        res.update(unpack_outputs(flat.to("cpu"), shapes))
    return {k: res[k] for k in (*outs, *([FIRST_BAD] if extra is not None else []))}


def pack_outputs(outs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, tuple]]:
    """The outputs as one float32 vector (on their device) and their shapes by key."""
    flat = torch.cat([v.detach().reshape(-1).to(torch.float32) for v in outs.values()])
    return flat, {k: tuple(v.shape) for k, v in outs.items()}


def unpack_outputs(flat: torch.Tensor, shapes: dict[str, tuple]) -> dict[str, torch.Tensor]:
    """:func:`pack_outputs` undone: views of ``flat`` by key."""
    res, i = {}, 0
    for k, shape in shapes.items():
        n = math.prod(shape)
        res[k] = flat[i:i + n].view(shape)
        i += n
    return res


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


class Stepper(Protocol):
    """What the driver needs of a numerical method (:class:`.gd.GDStepper`,
    :class:`.flow.FlowStepper`); both update ``driver.params`` in place."""

    def advance(self, stop: int) -> None:
        """Move θ from the current time to ``stop`` (an integer time, GD steps)."""

    def observe(self, t: int, state: ProbeState, last: bool) -> None:
        """At a probe time t (θ = θ_t), before the probes run: raise on divergence so far and
        hand ``state`` what the method computed at θ_t anyway (``last``: the segment ends at t;
        nothing more will be computed)."""

    def finish(self, end: int) -> None:
        """After the segment's last time ``end``: check the final parameters."""


def finite_loss(loss: torch.Tensor) -> torch.Tensor:
    """[R]: whether run r's per-sample losses (``loss`` [R, n]) and their sum are finite. A sum
    that overflows (each ℓ_i finite, Σ_i ℓ_i = inf, e.g. ℓ_i ~ 1e36 in float32) is a loss the
    probes cannot measure: the run has diverged as surely as one with ℓ_i = inf."""
    return torch.isfinite(loss.sum(dim=1))


def finite_params(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """[R]: whether every parameter of run r and the squared norm of every row (a neuron's w_j,
    the vector b, ...; last axis) are finite. A row with ‖w_j‖² = inf has no direction
    w_j/‖w_j‖ and no norm the probes can measure, even where each entry is finite."""
    ok = []
    for v in tensors:  # ‖row‖ <= sqrt(max) ⇔ ‖row‖² finite (NaN fails); no v-sized temporary
        norm = torch.linalg.vector_norm(v, dim=-1)
        ok.append((norm <= math.sqrt(torch.finfo(v.dtype).max)).reshape(v.shape[0], -1).all(1))
    return torch.stack(ok).all(0)


def check_divergence(first_bad: torch.Tensor, seeds: list[int]) -> None:
    """Raise :class:`DivergenceError` for the run that went non-finite first (first_bad [R]:
    the first bad step per run, −1 while finite)."""
    if bool((first_bad >= 0).any()):
        bad = first_bad.clone()
        bad[bad < 0] = torch.iinfo(torch.long).max
        run = int(bad.argmin())
        raise DivergenceError(
            run, int(first_bad[run]), seeds[run], hint="try a smaller --lr or --init-var"
        )


def check_probes(probes: tuple[str, ...] | list[str]) -> None:
    for name in probes:
        if name not in REGISTRY:
            raise ConfigError("probes", name, "known probes are " + ", ".join(sorted(REGISTRY)))


class Driver:
    """One training call's state and bookkeeping (see the module docstring).

    params, data: on the CPU or the target device (moved to ``runtime.device`` here; the
    caller's tensors are never updated). init: parameters the probes compare against (default:
    ``params``). seeds: per-run seeds (default 0..R−1), for minibatch order and error messages.
    configs: what the probes read as :attr:`ProbeState.configs` (one Config, or one per run).
    """

    def __init__(self, params: Params, data: Dataset, objective: str, steps: int,
                 times: list[int], probes: tuple[str, ...] | list[str], runtime: Any,
                 seeds: list[int] | None = None, init: Params | None = None, t0: int = 0,
                 configs: Config | Sequence[Config] | None = None):
        self.runtime = runtime
        self.device = runtime.torch_device
        check_probes(probes)
        self.times = sorted(set(times))
        if self.times and (self.times[0] < t0 or self.times[-1] > steps):
            raise ConfigError("times", self.times, f"probe times must lie in [{t0}, {steps}]")
        self.dtype = params.W.dtype
        self.params = params.to(self.device).clone()  # never update the caller's tensors
        self.data = data.to(self.device, self.dtype)
        self.init = (init or params).to(self.device)
        self.seeds = seeds if seeds is not None else list(range(self.params.runs))
        self.objective, self.steps, self.probes = objective, steps, tuple(probes)
        self.configs = per_run_configs(configs, self.params.runs)
        self.budget = net.device_budget(self.device, getattr(runtime, "budget", None))
        self.logs: dict[str, list[torch.Tensor]] = {}
        self._check: torch.Tensor | None = None  # first_bad to check with the next probes
        self._probe_graph: Any = None  # graphed.ProbeGraph, where probe times are captured
        self.probe_seconds = 0.0
        self.bar = None
        self._shown = t0
        if runtime.show_progress() and steps > t0:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=steps - t0, unit="step", leave=False, file=sys.stderr)
        self.start = time.perf_counter()

    def state(self, t: int) -> ProbeState:
        return ProbeState(t, self.params, self.init, self.data, self.objective, self.budget,
                          self.configs, tuple(self.seeds))

    def step_groups(self) -> tuple[str, net.GroupSplit] | None:
        """The first requested probe that can take its group gradients from a step, and its
        groups (:func:`twolayer.probes.in_step_groups`)."""
        for name in self.probes:
            split = in_step_groups(name, self.data)
            if split is not None:
                return name, split
        return None

    def run(self, stepper: Stepper, t0: int, end: int) -> None:
        """Advance ``stepper`` from t0 to ``end``, probing at the probe times in [t0, end]."""
        for t in (t for t in self.times if t0 <= t <= end):
            stepper.advance(t)  # (the flow clips its steps to end on every probe time)
            if self.probes and t != end and self._probe_graphable(stepper):
                self.graphed_probe_time(stepper, t)
            elif self.probes:
                state = self.state(t)
                stepper.observe(t, state, last=t == end)
                self.probe(state)
        stepper.advance(end)
        stepper.finish(end)

    def _probe_graphable(self, stepper: Stepper) -> bool:
        """Whether this probe time's work can be a captured graph (:class:`graphed.ProbeGraph`,
        ``Tuning.probe_graph``): a stepper whose plain steps are graphed, probes that declared
        themselves capturable (:func:`twolayer.probes.base.register`) and, for a probe with
        in-step groups, its groups taken by the step (:meth:`_groups_in_step`), and no failed
        capture before."""
        return (net.tuning().probe_graph and getattr(stepper, "graphable", False)
                and probe_capturable(self.probes) and self._groups_in_step(stepper)
                and (self._probe_graph is None or self._probe_graph.failed is None))

    def _groups_in_step(self, stepper: Stepper) -> bool:
        """Whether every requested probe that declares in-step groups gets them from the
        stepper's step (``stepper.split``). Where it does not (a trained second layer, K
        outputs, a loss without ψ, buffers over the budget), the probe takes them in a pass of
        its own (:func:`twolayer.net.grouped_gram`), which reads its groups' bounds on the host:
        a recording of it would fail, and a failed recording on a GPU is not free."""
        split = getattr(stepper, "split", None)
        taken = split[0] if split is not None else None
        return all(name == taken or getattr(REGISTRY.get(name), "in_step_groups", None) is None
                   for name in self.probes)

    def probe_graph_status(self) -> str | None:
        """For the result's meta: None where no probe time was graphed, "replayed", or why
        the recording failed (the later probe times then ran eagerly)."""
        if self._probe_graph is None:
            return None
        g = self._probe_graph
        return "replayed" if g.failed is None else "capture failed: " + g.failed

    def graphed_probe_time(self, stepper: Any, t: int) -> None:
        """Probe time t from the probe graph (captured at the first such time): the same
        gradient, marks, probes and logs as :meth:`run`'s eager path, one device-to-host copy."""
        from . import graphed

        start = time.perf_counter()
        with phase("probes"):
            if self._probe_graph is None:
                state0 = self.state(t)  # (capturable probes do not read state.step)

                def body(t_dev: torch.Tensor) -> tuple[torch.Tensor, dict]:
                    state = self.state(state0.step)
                    stepper.observe_on_device(state, t_dev)
                    outs = run_probes(self.probes, state)
                    return pack_outputs({**outs, FIRST_BAD: stepper.first_bad})

                self._probe_graph = graphed.ProbeGraph(body, self.device)
            flat, shapes = self._probe_graph.run(t)
            # the one wait for the device at this probe time
            host = unpack_outputs(flat.to("cpu"), shapes)
            stepper.pending = True  # the gradient at θ_t is in the workspace
            if bool((host.pop(FIRST_BAD) >= 0).any()):
                check_divergence(stepper.first_bad, self.seeds)
            self.log(host)
        self.probe_seconds += time.perf_counter() - start

    def log(self, host: dict[str, torch.Tensor]) -> None:
        """Append one probe time's outputs to the logs; a PluginCodeError where an output's
        shape differs from its shape at the first probe time (they are stacked over time)."""
        for k, v in host.items():
            seen = self.logs.setdefault(k, [])
            if seen:
                check_same_shape(k, seen[0], v)
            seen.append(v)

    def check_after_probes(self, first_bad: torch.Tensor) -> None:
        """Check ``first_bad`` [R] (:func:`check_divergence`) when the next probes' outputs
        reach the host, before they are logged: the same error for the same run and step as a
        check now, without a wait for the device before the probes' work is queued."""
        self._check = first_bad

    def probe(self, state: ProbeState) -> None:
        """Run the probes on ``state``; append their outputs (float32, CPU) to the logs. With a
        pending divergence check (:meth:`check_after_probes`) a diverged run raises
        :class:`DivergenceError` before anything of this time is logged (also where a probe
        failed on its non-finite values; :func:`probe_to_host`)."""
        start = time.perf_counter()
        check, self._check = self._check, None
        with phase("probes"):
            host = probe_to_host(self.probes, state, check, self.seeds,
                                 one_copy=self.device.type != "cpu")
            self.log(host)
        self.probe_seconds += time.perf_counter() - start

    def progress(self, t: float) -> None:
        if self.bar is not None and int(t) > self._shown:
            self.bar.update(int(t) - self._shown)
            self._shown = int(t)

    def result(self, meta: dict | None = None) -> TrainResult:
        """The call's TrainResult; its meta: ``meta`` and ``block_budget``, the activation
        elements per block the kernel was cut to (``--budget``, else the device's own: on a GPU
        a share of its free memory), which, like the thread count, can move a run's last bits
        (another cut of the runs or samples into blocks)."""
        if self.bar is not None:
            self.bar.close()
        wall = time.perf_counter() - self.start
        arrays = {k: torch.stack(v, dim=1).numpy() for k, v in self.logs.items()}
        return TrainResult(
            params=self.params, times=self.times, arrays=arrays, wall_seconds=wall,
            steps=self.steps, probe_seconds=self.probe_seconds,
            meta={"block_budget": int(self.budget), **(meta or {})},
        )
