"""``simulate(config) -> Record``: sample data, initialise R networks, train once, probe, summarise.

The record's summary (means over the R runs, and ``*_std`` over runs when R > 1). A value that is
not finite in a run (a ratio whose denominator is 0 there, such as ‖g_C‖/‖g_N‖ in a run without a
noisy sample) is undefined in that run: the mean and std are over the runs where it is finite, and
``<name>_runs`` says how many those are (present only when some runs are left out):

- linear_test_error(_clean): the logistic-regression-with-bias baseline (:mod:`baselines`);
- whatever the probes and the data kind contribute (:func:`twolayer.probes.summaries`,
  :func:`twolayer.data.kind_summary`), e.g. the final test errors, the median own-mean
  correlation of the neurons at the first and last probe times, the ratio of the clean and noisy
  segment gradients.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from . import precision
from ._version import __version__
from .baselines import fit_linear
from .config import Config
from .data import Dataset, kind_summary, own_mean_correlation, sample_dataset, stream_objective
from .engine import Runtime, TrainResult, probe_times, train
from .errors import ConfigError
from .net import Params, cpu_kernels, gpu_kernels, init_params, tuning
from .probes import summaries
from .record import Record
from .seeding import on_cpu
from .timing import phase

DTYPES = {"float32": torch.float32, "float64": torch.float64}

__all__ = ["DTYPES", "build_record", "cpu_kernels_in_use", "cpu_path", "environment",
           "own_mean_correlation", "setup", "simulate", "summarize"]


def setup(config: Config) -> tuple[Config, Dataset, Params]:
    """Resolved config, the R runs' datasets and initial parameters (on the CPU, whatever the
    default device: they are drawn from the runs' CPU generators)."""
    if not isinstance(config, Config):  # a dict (a record's config) failed with AttributeError
        raise ConfigError("config", config, f"must be a Config, not {type(config).__name__} "
                          "(Config.from_dict reads a dict)")
    cfg = config.resolved()
    dtype = DTYPES[cfg.dtype]
    with on_cpu(), phase("data"):
        data = sample_dataset(cfg.data, cfg.run_seeds, dtype)
        params = init_params(cfg.net, cfg.data.d, cfg.run_seeds, cfg.net.init_var, dtype)
    return cfg, data, params


def _with_gemms(forward: bool, backward: bool) -> str:
    """What the fused pass's record text adds for the GEMMs that run in Triton kernels."""
    gemms = [name for name, on in (("forward", forward), ("backward", backward)) if on]
    if not gemms:
        return ""
    return " (with the " + " and ".join(gemms) + (" GEMMs)" if len(gemms) > 1 else " GEMM)")


def gpu_kernels_text(device: torch.device, used: Sequence[str] | None = None) -> str | None:
    """The record's ``gpu_kernels``: None on a CPU; on a GPU whether the fused Triton pass
    (:mod:`twolayer.net.gpu_kernels`) is switched on and can run ("fused pass enabled: triton
    X.Y", with the GEMMs switched into it), or why not ("eager (fused pass off: ...)"); with
    ``used``, the kernels a training's blocks ran (its meta's ``triton_kernels``,
    :func:`twolayer.training.api.triton_used`): "fused pass ran: ..." with the GEMMs that ran,
    or, where no block took it (a trained second layer, K outputs), "eager (fused pass
    enabled, taken by no block: ...)"."""
    if device.type == "cpu":
        return None
    if not gpu_kernels.enabled(device):
        return "eager (fused pass off: " + (gpu_kernels.status(device) if tuning().fused_gpu
                                            else "switched off") + ")"
    if used is None:
        return ("fused pass enabled: " + gpu_kernels.status(device)
                + _with_gemms(gpu_kernels.forward_enabled(device),
                              gpu_kernels.backward_enabled(device)))
    if "pass" not in used:
        return ("eager (fused pass enabled, taken by no block: it takes one output and a "
                "fixed second layer)")
    return ("fused pass ran: " + gpu_kernels.status(device)
            + _with_gemms("forward" in used, "backward" in used))


def cpu_kernels_in_use() -> str:
    """What the CPU kernel's elementwise passes use now: :func:`twolayer.net.cpu_kernels.status`,
    or ``torch (switched off: Tuning(fused_cpu=False))`` inside ``net.use_tuning(fused_cpu=False)``
    (the record of such a run said ``fused`` although the PyTorch ops ran)."""
    if not tuning().fused_cpu:
        return "torch (switched off: Tuning(fused_cpu=False))"
    return cpu_kernels.status()


def cpu_path() -> dict[str, str]:
    """What decides the float rounding of a CPU training besides the code, the config and the
    thread count, as the record store's key holds it (:meth:`twolayer.experiments.Runs.key`):
    ``kernels``, twolayer's CPU kernel path (:func:`cpu_kernels_in_use`; every PyTorch fallback
    is ``torch``: the same ops whatever the reason), and ``isa``, the instruction set PyTorch's
    own CPU kernels dispatch to (``torch.backends.cpu.get_cpu_capability()``: ``AVX2``,
    ``AVX512``, ``DEFAULT`` under ``ATEN_CPU_CAPABILITY=default``, ...). Either one changed
    gives other bits (measured: 10-20 of a record's 33 arrays differ in their last digits)."""
    kernels = cpu_kernels_in_use()
    return {"kernels": "torch" if kernels.startswith("torch") else kernels,
            "isa": cpu_capability()}


def cpu_capability() -> str:
    """The instruction set PyTorch's CPU kernels dispatch to (``unknown`` on a torch without
    ``torch.backends.cpu.get_cpu_capability``)."""
    get = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    return str(get()) if get is not None else "unknown"


def environment(device: torch.device, tf32: bool | None = None) -> dict[str, Any]:
    """Versions, device and precision of a run: the float32 matmul precision and whether TF32
    was allowed (those of a training call with ``tf32``, or the process's now), and on a GPU the
    CUDA, cuBLAS and driver versions and the GPU's name (null on a CPU), what the CPU
    kernel's elementwise passes use (:func:`cpu_kernels_in_use`), the instruction set of
    PyTorch's CPU kernels (``cpu_capability``, :func:`cpu_path`) and, on a GPU,
    whether the fused Triton pass is on (:func:`gpu_kernels_text`; :func:`build_record` states
    what a training's blocks ran) and
    whether plain GD steps may be replayed from a CUDA graph (``step_graph``: "on" / "off",
    :mod:`twolayer.training.graphed`, ``Tuning.cuda_graph``; a training call that used one
    replaces it in the record by "replayed" or "capture failed: ...")."""
    return {
        "twolayer": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "cpu_kernels": cpu_kernels_in_use(),
        "cpu_capability": cpu_capability(),
        "gpu_kernels": gpu_kernels_text(device),
        "step_graph": None if device.type == "cpu" else ("on" if tuning().cuda_graph else "off"),
        **precision.settings(tf32),
        **precision.cuda_versions(device),
    }


def build_record(
    cfg: Config,
    data: Dataset,
    init: Params,
    result: TrainResult,
    device: torch.device,
    extra: dict[str, np.ndarray] | None = None,
) -> Record:
    """Assemble a Record (arrays, metadata, summary) from one training result."""
    arrays = dict(result.arrays)
    arrays["static/a"] = init.a.cpu().float().numpy()
    arrays["static/noisy"] = data.noisy.cpu().numpy()
    arrays["static/init_w_norm"] = init.W.norm(dim=-1).cpu().float().numpy()
    arrays.update(extra or {})
    meta = environment(device)
    meta.update(
        wall_seconds=result.wall_seconds,
        steps=result.steps,
        seeds=cfg.run_seeds,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    meta.update(result.meta)  # e.g. "integrator": flow / auto statistics
    if "triton_kernels" in meta:  # what the blocks ran, not only what was switched on
        meta["gpu_kernels"] = gpu_kernels_text(device, meta.pop("triton_kernels"))
    rec = Record(cfg.to_dict(), cfg.run_id, np.asarray(result.times, dtype=np.int64), arrays, meta)
    rec.summary = summarize(rec)
    return rec


def simulate(config: Config, runtime: Runtime | None = None) -> Record:
    """Run the experiment ``config`` (R = config.seeds runs in one batch) and return its record."""
    if runtime is not None and not isinstance(runtime, Runtime):  # e.g. "cpu"
        raise ConfigError("runtime", runtime, "must be a Runtime, e.g. Runtime(device='cpu'), "
                          "or None")
    runtime = runtime or Runtime()
    device = runtime.torch_device
    cfg, data, params = setup(config)
    times = probe_times(cfg.train.steps, cfg.probe.num_times, cfg.probe.dense_until)
    start = time.perf_counter()
    with phase("training"):
        result = train(params, data, cfg.train, times, cfg.probe.probes, runtime, cfg.run_seeds,
                       weights=stream_objective(cfg.data), configs=cfg)
    with phase("baselines"):
        dev_data = data.to(device)
        err, err_clean = fit_linear(dev_data, cfg.train.objective, bias=True)
        err_nb, err_clean_nb = fit_linear(dev_data, cfg.train.objective, bias=False)
    result.wall_seconds = time.perf_counter() - start
    extra = {
        "baseline/linear_test_error": err.cpu().float().numpy(),
        "baseline/linear_test_error_clean": err_clean.cpu().float().numpy(),
        "baseline/linear_nobias_test_error": err_nb.cpu().float().numpy(),
        "baseline/linear_nobias_test_error_clean": err_clean_nb.cpu().float().numpy(),
    }
    return build_record(cfg, data, params, result, device, extra)


def _stat(out: dict[str, Any], name: str, values: np.ndarray) -> None:
    """``out[name]``: the mean of ``values`` over the runs where it is finite (NaN where it is
    finite in none); ``name_std``: their sample std (R > 1); ``name_runs``: how many runs the two
    are over, when that is fewer than all."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    out[name] = float(finite.mean()) if finite.size else float("nan")
    if values.size > 1:
        out[name + "_std"] = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
    if finite.size < values.size:
        out[name + "_runs"] = int(finite.size)


def summarize(rec: Record) -> dict[str, Any]:
    """The headline numbers of a record (see the module docstring)."""
    out: dict[str, Any] = {"run_id": rec.run_id, "steps": int(rec.times[-1]), "seeds": rec.seeds}
    if "wall_seconds" in rec.meta:
        out["wall_seconds"] = float(rec.meta["wall_seconds"])
    a = rec.arrays
    for key, values in summaries(a).items():
        _stat(out, key, values)
    for key in ("linear_test_error", "linear_test_error_clean"):
        if f"baseline/{key}" in a:
            _stat(out, key, a[f"baseline/{key}"])
    for key, values in kind_summary(rec.config["data"]["kind"], a).items():
        _stat(out, key, values)
    return out
