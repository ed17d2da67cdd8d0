"""The entry points of the training layer: :func:`train` (GD, SGD, the gradient flow, or GD then
the flow), :func:`train_flow` and :func:`measure` (the probes at one point, no training)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..config import Config, ConfigError, TrainConfig
from ..data import Dataset
from ..net import Params
from ..precision import float32_precision
from ..precision import settings as precision_settings
from ..threads import intra_op_threads, threads_for, with_thread_policy
from .driver import Driver, Runtime, TrainResult, check_probes, probe_times
from .flow import FlowStepper, flow_stats
from .gd import GDStepper, WeightsFn


def uses_tf32(runtime: Any) -> bool:
    """Whether a call under ``runtime`` allows TF32: ``--tf32`` (Runtime.tf32) on a CUDA
    device; on a CPU, where it would only lower the float32 matmul precision setting, never
    (and the record says tf32 false)."""
    device = getattr(runtime, "torch_device", None)
    return bool(getattr(runtime, "tf32", False)) and device is not None and device.type == "cuda"


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
    configs: Config | Sequence[Config] | None = None,
    stepper: Callable[..., GDStepper] | None = None,
) -> TrainResult:
    """Train R networks for ``cfg.steps`` steps and probe them at ``times``.

    ``cfg.integrator``: "gd" (exact GD, or SGD with ``cfg.batch_size``; :mod:`.gd`), "flow"
    (the gradient flow; :mod:`.flow`) or "auto" (exact GD for t ≤ ``cfg.switch``, the flow
    after: the one-step amplification of Lemma 12 and the early large jumps are discrete-step
    effects that the flow does not reproduce; see docs/integrators.md).
    params, data: on the CPU or the target device (moved to ``runtime.device`` here).
    seeds: per-run seeds for SGD minibatch order (default 0..R−1).
    init: parameters that probes compare against (default: ``params`` at entry).
    weights: per-sample loss weights s_i [R, n] (default 1/n). Minibatch SGD uses the sampled
    rows scaled by n/B (an unbiased estimate of the weighted loss's gradient). A callable
    :data:`WeightsFn` recomputes them every step from f(θ_{t−1}) on the training inputs (no extra
    forward pass; one at entry for t = 0) under full-batch GD; under minibatch SGD it must be a
    :class:`MinibatchObjective`, which draws each step's rows and weights itself.
    configs: the configuration the probes read (:attr:`ProbeState.configs`): one Config for all
    R runs, or one per run (runs of one call may differ, e.g. in the noise rate); it changes
    nothing in training.
    stepper: the exact stepper's class under ``integrator`` "gd" (default :class:`GDStepper`;
    e.g. ``functools.partial(AdamStepper, betas=...)`` of :mod:`.adam`, which replaces only the
    update θ ← θ − α g).
    Raises :class:`DivergenceError` naming the run and the step where it diverged: a per-sample
    loss or their sum NaN/inf (every step), or a parameter or a row's squared norm NaN/inf (at
    the probe times and the end, every step under the flow; :func:`.driver.finite_loss`,
    :func:`.driver.finite_params`).
    """
    runtime = runtime or Runtime()
    times = sorted(set(times if times is not None else probe_times(cfg.steps)))
    tf32 = uses_tf32(runtime)
    with float32_precision(tf32):
        if cfg.integrator != "gd":
            if stepper is not None:
                raise ConfigError("integrator", cfg.integrator, "a stepper (e.g. Adam) needs "
                                  "--integrator gd")
            result = train_integrator(params, data, cfg, times, probes, runtime, seeds, init,
                                      weights, configs)
        else:
            driver = Driver(params, data, cfg.objective, cfg.steps, times, probes, runtime,
                            seeds, init, configs=configs)
            step = (stepper or GDStepper)(driver, cfg, 0, weights)
            with torch.no_grad():
                driver.run(step, 0, cfg.steps)
            result = driver.result()
            if step.graph_status() is not None:  # plain steps replayed from a CUDA graph
                result.meta["step_graph"] = step.graph_status()
            if driver.probe_graph_status() is not None:  # and probe times (Tuning.probe_graph)
                result.meta["probe_graph"] = driver.probe_graph_status()
            result.meta.update(triton_used(runtime, step))
    # the intra-op threads this call ran with (the thread policy's choice, inside its scope);
    # none on a GPU, where the CPU threads do not do the work
    result.meta.setdefault(
        "threads", None if runtime.torch_device.type == "cuda" else torch.get_num_threads())
    result.meta.update(precision_settings(tf32))  # the float32 precision it ran under
    return result


def train_integrator(
    params: Params,
    data: Dataset,
    cfg: TrainConfig,
    times: list[int],
    probes: tuple[str, ...] | list[str],
    runtime: Any,
    seeds: list[int] | None = None,
    init: Params | None = None,
    weights: torch.Tensor | None = None,
    configs: Config | Sequence[Config] | None = None,
) -> TrainResult:
    """:func:`train` for ``cfg.integrator`` "flow" or "auto" (GD up to ``cfg.switch``, then the
    flow, in one driver)."""
    if callable(weights):
        raise ConfigError("integrator", cfg.integrator, "step-wise loss weights (an objective) "
                          "need --integrator gd")
    if cfg.batch_size is not None and cfg.batch_size < data.x.shape[1]:
        raise ConfigError("integrator", cfg.integrator, "flow and auto need full-batch GD "
                          "(no --batch-size)")
    if cfg.integrator == "flow":
        return train_flow(params, data, cfg, times, probes, runtime, seeds, init, weights,
                          configs=configs)
    if cfg.integrator != "auto":
        raise ConfigError("integrator", cfg.integrator, "valid choices are gd, flow, auto")
    runtime = runtime or Runtime()
    switch = min(cfg.switch, cfg.steps)
    driver = Driver(params, data, cfg.objective, cfg.steps, times, probes, runtime, seeds, init,
                    configs=configs)
    with float32_precision(uses_tf32(runtime)), torch.no_grad():
        # the GD phase's own length decides whether its steps are graphed (graphed.MIN_STEPS),
        # not the whole training's
        gd = GDStepper(driver, cfg, 0, weights, until=switch)
        driver.run(gd, 0, switch)
        graph = {} if gd.graph_status() is None else {"step_graph": gd.graph_status()}
        if switch >= cfg.steps:
            return driver.result({"integrator": flow_stats("auto", cfg, switch=switch,
                                                           gd_steps=switch, grad_evals=switch),
                                  **graph, **triton_used(runtime, gd)})
        flow = FlowStepper(driver, cfg, switch, weights)
        driver.run(flow, switch + 1, cfg.steps)  # no second probe at the switch itself
    stats = dict(flow.stats, integrator="auto", switch=switch, gd_steps=switch)
    stats["grad_evals"] += switch
    return driver.result({"integrator": stats, **graph, **triton_used(runtime, gd, flow)})


def train_flow(
    params: Params,
    data: Dataset,
    cfg: TrainConfig,
    times: list[int],
    probes: tuple[str, ...] | list[str],
    runtime: Any,
    seeds: list[int] | None = None,
    init: Params | None = None,
    weights: torch.Tensor | None = None,
    t0: int = 0,
    configs: Config | Sequence[Config] | None = None,
) -> TrainResult:
    """Integrate dθ/dt = −α ∇L̂(θ) from t = ``t0`` to ``cfg.steps`` (GD-step units) with the
    shared-step Bogacki–Shampine 3(2) pair (:mod:`.flow`), probing exactly at ``times``
    (each in [t0, cfg.steps]). Returns a TrainResult with ``meta["integrator"]``."""
    runtime = runtime or Runtime()
    tf32 = uses_tf32(runtime)
    with float32_precision(tf32):
        driver = Driver(params, data, cfg.objective, cfg.steps, times, probes, runtime, seeds,
                        init, t0=t0, configs=configs)
        stepper = FlowStepper(driver, cfg, t0, weights)
        with torch.no_grad():
            driver.run(stepper, t0, cfg.steps)
    return driver.result({"integrator": stepper.stats, **precision_settings(tf32),
                          **triton_used(runtime, stepper)})


def triton_used(runtime: Any, *steppers: Any) -> dict[str, list[str]]:
    """For a training's meta on a GPU: ``triton_kernels``, the Triton kernels
    (:mod:`twolayer.net.gpu_kernels`: "pass", "forward", "backward") that the steppers'
    workspaces ran (:attr:`twolayer.net.Workspace.triton`; none where every block took the eager
    ops, e.g. a trained second layer or K outputs), which the record's ``gpu_kernels`` text then
    states (:func:`twolayer.simulate.gpu_kernels_text`); nothing on a CPU."""
    if (runtime or Runtime()).torch_device.type != "cuda":
        return {}
    used: set[str] = set()
    for s in steppers:
        used |= getattr(getattr(s, "ws", None), "triton", set())
    return {"triton_kernels": sorted(used)}


def measure(
    params: Params,
    data: Dataset,
    probes: tuple[str, ...] | list[str],
    runtime: Runtime | None = None,
    init: Params | None = None,
    objective: str = "logistic",
    step: int = 0,
    configs: Config | Sequence[Config] | None = None,
    seeds: list[int] | None = None,
) -> dict[str, np.ndarray]:
    """The probes at ``params`` now, without training: {"<probe>/<quantity>": [R, ...]} (float32
    numpy, the run axis first and no time axis). The same numbers as ``train`` with
    ``steps=0`` at its one probe time (``arrays[k][:, 0]``), under the same thread policy.
    ``init``: the parameters the probes compare against (default ``params``); ``step``: the
    time the probes see (:attr:`ProbeState.step`); ``configs``: what they read as
    :attr:`ProbeState.configs` (one Config, or one per run); ``seeds``: the runs' seeds
    (:attr:`ProbeState.seeds`, default 0..R−1)."""
    runtime = runtime or Runtime()
    check_probes(probes)
    R, m, d = params.W.shape
    k = threads_for(runtime.threads, R, data.x.shape[1], d, m, runtime.torch_device)
    with intra_op_threads(k), float32_precision(uses_tf32(runtime)), \
            torch.no_grad():
        driver = Driver(params, data, objective, step, [step], probes, runtime, seeds, init,
                        t0=step, configs=configs)
        driver.probe(driver.state(step))
        res = driver.result()
    return {key: v[:, 0] for key, v in res.arrays.items()}
