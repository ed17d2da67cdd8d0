"""What a sweep worker does: train a group of points in one batched engine call.

A point is one :class:`Config` with R = ``seeds`` runs. Points whose configs agree in everything
but per-run values (:data:`PER_RUN`: the label-noise rate and model, the cluster variance and
law, the initialisation variance ω_init², the base seed) have tensors of the same shapes and the
same training rule, so their runs are concatenated along the run axis and trained by ONE
:func:`twolayer.engine.train` call: each point's data and initial weights are drawn exactly as
:func:`twolayer.simulate.simulate` draws them (per-run generators), the engine never mixes runs,
and the probe arrays are split back per point. The step size, step count, shapes (d, n, m) and
probes must agree (the engine takes one α and one schedule).

The groups are a fixed function of the spec (not of what is already stored, nor of the
executor), so a resumed or distributed sweep trains every point in the same batch as an
uninterrupted local one. If a group diverges, its points are retrained one at a time so that
one bad point does not take the others down; the point that diverges alone is reported as
failed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..config import Config

PER_RUN = (
    ("data", "noise"), ("data", "noise_model"), ("data", "sigma2"), ("data", "cluster_dist"),
    ("net", "init_var"), ("", "seed"),
)
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def group_key(cfg: Config) -> str:
    """The canonical JSON of ``cfg`` without its per-run values: points with equal keys share
    shapes and training rule and can train in one batch."""
    import json

    d = cfg.to_dict()
    for sec, fld in PER_RUN:
        (d[sec] if sec else d).pop(fld, None)
    return json.dumps(d, sort_keys=True, separators=(",", ":"))


def plan_groups(configs: list[Config], group_runs: int) -> list[list[int]]:
    """Indices of ``configs`` in groups: equal :func:`group_key`, in order of first appearance,
    at most ``group_runs`` runs per group (a point with more runs is a group of its own)."""
    by_key: dict[str, list[int]] = {}
    for i, cfg in enumerate(configs):
        by_key.setdefault(group_key(cfg), []).append(i)
    groups: list[list[int]] = []
    for members in by_key.values():
        cur: list[int] = []
        runs = 0
        for i in members:
            r = configs[i].seeds
            if cur and runs + r > group_runs:
                groups.append(cur)
                cur, runs = [], 0
            cur.append(i)
            runs += r
        if cur:
            groups.append(cur)
    return groups


def pin_threads(threads: int) -> None:
    """One worker's BLAS/OpenMP thread count: environment variables (for libraries loaded
    later) and torch's intra-op pool."""
    for var in THREAD_ENV:
        os.environ[var] = str(threads)
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


HEARTBEAT_SECONDS = 1.0


def die_with_parent() -> None:
    """Make this worker process end when the process that started it ends, however it ends
    (SIGTERM, SIGKILL, a crash): Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, and on every
    system a daemon thread that checks the parent's pid every :data:`HEARTBEAT_SECONDS` and
    exits the process when the worker has been re-parented. Local workers write nothing
    themselves (the parent stores the results), so ending them at once loses nothing."""
    import signal
    import sys
    import threading
    import time

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the heartbeat alone
            pass
    if os.getppid() != parent or parent == 1:  # the parent died before prctl took effect
        os._exit(1)

    def heartbeat() -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=heartbeat, name="twolayer-parent-heartbeat", daemon=True).start()


def init_worker(threads: int) -> None:
    """The local pool's initialiser: die with the parent, pin the threads, and leave SIGINT to
    the parent (a Ctrl-C reaches the whole process group; the parent cancels the pool)."""
    import signal

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_threads(threads)


@dataclass
class Outcome:
    """What became of one point: a record (``status`` "ok") or a failure message."""

    run_id: str
    status: str  # "ok" | "diverged"
    record: Any = None  # twolayer.record.Record
    message: str = ""


# the fingerprint of each plugin's files when this process first ran a group with it (it
# imported the plugin then: a process keeps the code it imported)
_PLUGINS_LOADED: dict[str, str] = {}


def plugins_unchanged_since_loaded() -> None:
    """PluginError (one line, naming the plugin) when a plugin of the spec changed on disk since
    this process imported it: a long-lived worker (a remote Dask cluster's) would train with the
    old code while the records' code stamp (``meta.code``) digests the new files, so a resume
    would reuse them as the new plugin's. Restarting the workers imports the new code."""
    from ..plugins import PluginError
    from .store import plugins_fingerprint, spec_plugin_paths

    for path in spec_plugin_paths():
        now = plugins_fingerprint([path])
        first = _PLUGINS_LOADED.setdefault(path, now)
        if now != first:
            raise PluginError(path, "changed on disk since this worker process imported it "
                              "(it would train with the old code under the new code's stamp); "
                              "restart the workers (e.g. the Dask cluster's) and run again")


@contextlib.contextmanager
def process_settings_kept() -> Iterator[None]:
    """The thread variables (:data:`THREAD_ENV`), ``TWOLAYER_PLUGINS`` and torch's intra-op
    thread count after the block as they were before it (a variable unset before is unset
    again): :func:`run_group` pins them for its call, and in a library user's own process (the
    in-process executor, a notebook calling it, submitit's "debug" cluster) they stayed pinned
    for the rest of the process. A worker process that should keep them pins them itself
    (:func:`init_worker`)."""
    import torch

    from ..plugins import PLUGIN_ENV
    from .environment import environment

    threads = torch.get_num_threads()
    try:
        with environment({k: os.environ.get(k) for k in (*THREAD_ENV, PLUGIN_ENV)}):
            yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def run_group(config_dicts: list[dict[str, Any]], device: str = "cpu",
              threads: int | None = None, baselines: bool = True,
              budget: int | None = None, plugins: list[str] | None = None) -> list[Outcome]:
    """Train the points (config dicts) of one group in one batched engine call; one Outcome per
    point, in order. ``threads`` pins the intra-op threads of this process for the call;
    without ``baselines`` the linear baselines of :func:`twolayer.simulate.simulate` are not
    fitted (their ``baseline/*`` arrays are absent). ``budget``: the kernel's block budget
    (:class:`~twolayer.engine.Runtime`; None: the device's own). ``plugins``: the spec's plugin
    paths (``spec.plugins``), for a worker that did not inherit them from the submitting
    process (a remote Dask cluster) or a caller outside :func:`~twolayer.sweep.run_sweep`
    (they are part of the records' code stamp); they must exist at those paths here. The
    caller's thread settings and environment are as before when it returns
    (:func:`process_settings_kept`)."""
    with process_settings_kept():
        return _run_group(config_dicts, device, threads, baselines, budget, plugins)


def _run_group(config_dicts: list[dict[str, Any]], device: str, threads: int | None,
               baselines: bool, budget: int | None, plugins: list[str] | None
               ) -> list[Outcome]:
    from ..errors import DivergenceError
    from ..plugins import PLUGIN_ENV, load_env_plugins

    if threads is not None:
        pin_threads(threads)
    if plugins is not None:  # also what the records' code stamp (meta.code) digests
        os.environ[PLUGIN_ENV] = os.pathsep.join(plugins)
    load_env_plugins()  # the spec's plugins (e.g. its data kinds), in a worker process
    plugins_unchanged_since_loaded()
    configs = [Config.from_dict(d) for d in config_dicts]
    try:
        return [Outcome(r.run_id, "ok", r)
                for r in _train_batched(configs, device, baselines, budget)]
    except DivergenceError as e:
        if len(configs) == 1:
            return [Outcome(configs[0].run_id, "diverged", None, str(e))]
    out = []
    for cfg in configs:  # one at a time: only the diverging points fail
        out += _run_group([cfg.to_dict()], device, None, baselines, budget, plugins)
    return out


def run_group_to_store(config_dicts: list[dict[str, Any]], store: str, device: str = "cpu",
                       threads: int | None = None, baselines: bool = True,
                       budget: int | None = None) -> list[tuple[str, str]]:
    """:func:`run_group`, then write each outcome into the store at ``store`` (used by job
    arrays on a shared file system); returns (run_id, status) per point."""
    from .store import Store

    st = Store(store)
    out = []
    for o in run_group(config_dicts, device, threads, baselines, budget):
        st.put(o)
        out.append((o.run_id, o.status))
    return out


def _train_batched(configs: list[Config], device: str, baselines: bool = True,
                   budget: int | None = None) -> list:
    """Records of ``configs`` (same :func:`group_key`) from one engine call."""
    import dataclasses
    import time

    import torch

    from ..data import Dataset, stream_objective
    from ..engine import Runtime, TrainResult, probe_times, train
    from ..net import Params
    from ..simulate import build_record, setup

    runtime = Runtime(device=device, progress=False, budget=budget)
    dev = runtime.torch_device
    parts = [setup(c) for c in configs]
    cfg0 = parts[0][0]
    if len(parts) == 1:
        data, params = parts[0][1], parts[0][2]
    else:
        data = Dataset.cat([p[1] for p in parts])
        ps = [p[2] for p in parts]
        params = dataclasses.replace(
            ps[0], W=torch.cat([p.W for p in ps]), a=torch.cat([p.a for p in ps]),
            b=None if ps[0].b is None else torch.cat([p.b for p in ps]),
        )
    seeds = [s for c, _, _ in parts for s in c.run_seeds]
    times = probe_times(cfg0.train.steps, cfg0.probe.num_times, cfg0.probe.dense_until)
    start = time.perf_counter()
    per_run = [c for c, _, _ in parts for _ in range(c.seeds)]  # each run's own config
    result = train(params, data, cfg0.train, times, cfg0.probe.probes, runtime, seeds,
                   weights=stream_objective(cfg0.data, [c.data for c in per_run]),
                   configs=per_run)
    wall = time.perf_counter() - start
    from .store import current_code

    code = current_code()
    records = []
    r0 = 0
    for cfg, pdata, pparams in parts:
        r1 = r0 + cfg.seeds
        sub = TrainResult(
            params=_slice_params(result.params, r0, r1, Params), times=result.times,
            arrays={k: v[r0:r1] for k, v in result.arrays.items()},
            wall_seconds=wall, steps=result.steps, probe_seconds=result.probe_seconds,
            meta=dict(result.meta),
        )
        extra = _baselines(pdata.to(dev), cfg.train.objective) if baselines else {}
        rec = build_record(cfg, pdata, pparams, sub, dev, extra)  # meta.threads: train's
        rec.meta["sweep_group_runs"] = len(seeds)
        rec.meta["code"] = code  # resuming reuses the point only under this code
        rec.meta["baselines"] = baselines
        records.append(rec)
        r0 = r1
    return records


def _baselines(dev_data: Any, objective: str) -> dict[str, Any]:
    """The linear baselines of :func:`twolayer.simulate.simulate` for one point's data."""
    from ..baselines import fit_linear

    err, err_clean = fit_linear(dev_data, objective, bias=True)
    err_nb, err_clean_nb = fit_linear(dev_data, objective, bias=False)
    return {
        "baseline/linear_test_error": err.cpu().float().numpy(),
        "baseline/linear_test_error_clean": err_clean.cpu().float().numpy(),
        "baseline/linear_nobias_test_error": err_nb.cpu().float().numpy(),
        "baseline/linear_nobias_test_error_clean": err_clean_nb.cpu().float().numpy(),
    }


def _slice_params(p: Any, r0: int, r1: int, cls: type) -> Any:
    import dataclasses

    return dataclasses.replace(p, W=p.W[r0:r1], a=p.a[r0:r1],
                               b=None if p.b is None else p.b[r0:r1])
