"""Train independent experiments at once, each in a worker process: :meth:`Runs.prefetch`.

An experiment whose runs are many tiny steps (online SGD with a batch of 32 rows, say) is bound
by the interpreter, not by arithmetic: it runs on one CPU thread (more threads only add
synchronisation) and leaves the other cores idle. ``runs.prefetch(names)`` trains those of
``names`` that the record store lacks in up to one spawned worker process per core, each with
its own :class:`~twolayer.experiments.Runs` on the same store (entries are written atomically
under distinct keys); afterwards ``runs.get(name)`` reads them back, verified. The results are
what each experiment computes alone (same seeds, same code), only computed elsewhere.

On a GPU the workers share the one device, so they start only when the caller names how many
(``jobs``): ``twolayer check`` does (:func:`twolayer.commands.check.gpu_prefetch_jobs`), since
most experiments of the full plan leave an H200 idle between small kernels (eight processes
sharing one trained every experiment in 96 s, against more than 150 s one after the other:
docs/benchmarks.md, "GPU"). Each worker then gets 1/jobs of the activation-block budget the
device would give one process (:func:`worker_budget`), so that together they stay within it.

It does nothing without a record store (nowhere to hand results back), on a GPU without
``jobs``, with fewer than two experiments missing, or with fewer than two workers. A worker
that fails leaves its experiment to the caller's own ``get``, which then trains it here and
reports any error where it belongs. `twolayer figures` prefetches the experiments that the
selected figures declare single-threaded (``figure(..., parallel=...)``) before drawing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..spawned import run_spawned
from ..timing import absorb


@dataclass(frozen=True)
class Task:
    """One experiment for a worker: its name and what the worker needs to rebuild the
    caller's :class:`~twolayer.experiments.Runs`."""

    runs_class: type  # twolayer.experiments.Runs (passed, not imported: no import cycle)
    name: str
    quick: bool
    seeds: int | None
    runtime: dict[str, Any]
    store: str
    plugins: tuple[str, ...]
    threads: int


def train_task(task: Task) -> tuple[str, float, dict]:
    """In a worker: train (or read) ``task.name`` into the shared store; its seconds and where
    the worker's time went (:meth:`twolayer.timing.Timings.to_json`: data, training, probes,
    store, ...)."""
    import torch

    from ..engine import Runtime
    from ..plugins import load_entry_points, load_path  # plugin loading: the caller's, here
    from ..store import RecordStore
    from ..timing import recording

    torch.set_num_threads(max(1, task.threads))
    load_entry_points()
    for path in task.plugins:
        load_path(path)
    with recording() as timings:
        runs = task.runs_class(quick=task.quick, seeds=task.seeds,
                               runtime=Runtime(**task.runtime), store=RecordStore(task.store))
        runs.get(task.name)
    return task.name, runs.train_seconds.get(task.name, 0.0), timings.to_json()


def worker_budget(device: Any, budget: int | None, jobs: int) -> int:
    """Activation elements per block for each of ``jobs`` workers sharing ``device``: the
    caller's ``--budget`` (the user's cap for each process) when given, else 1/jobs of what the
    device gives one process (:func:`twolayer.net.plan.device_budget`), at least 1."""
    if budget is not None:
        return int(budget)
    from ..net.plan import device_budget

    return max(1, device_budget(device) // max(1, jobs))


def missing(runs: Any, names: Sequence[str]) -> list[str]:
    """The experiments among ``names`` (in order, once each) that neither ``runs`` nor its
    store holds."""
    if runs.store is None:
        return list(dict.fromkeys(names))
    return [n for n in dict.fromkeys(names)
            if n not in runs._cache and not runs.store.has_entry(runs.key(n))]


def prefetch(runs: Any, names: Sequence[str], jobs: int | None = None) -> list[str]:
    """Train the experiments of ``names`` that the store lacks in up to ``jobs`` (default: the
    CPU count; on a GPU it must be given) worker processes at once; return the names the workers
    stored (see the module docstring for when it does nothing). Tasks start in the order given:
    longest first."""
    from ..plugins import _ENTRY_POINTS, _LOADED  # plugin loading: the same in the workers

    device = runs.runtime.torch_device
    if runs.store is None or (device.type != "cpu" and jobs is None):
        return []
    todo = missing(runs, names)
    cores = os.cpu_count() or 1
    jobs = min(len(todo), cores if jobs is None else max(1, int(jobs)))
    if jobs < 2:
        return []
    runtime = {**dataclasses.asdict(runs.runtime), "progress": False}
    if device.type != "cpu":
        runtime["budget"] = worker_budget(device, runs.runtime.budget, jobs)
    threads = runs.runtime.threads or max(1, cores // jobs)
    # the paths (an entry point's name is no path: the workers load the entry points anyway)
    plugins = tuple(k for k in _LOADED if k not in _ENTRY_POINTS)
    tasks = [Task(type(runs), n, runs.quick, runs.seeds, runtime, str(runs.store.root),
                  plugins, threads) for n in todo]
    done: list[str] = []
    for result in run_spawned(train_task, tasks, jobs, keep_errors=True):
        if isinstance(result, Exception):  # the caller's own get() trains it and reports
            continue
        name, seconds, timings = result
        done.append(name)
        runs.prefetched[name] = seconds
        absorb(timings, jobs)  # the worker's phases, into the caller's --timings
    return done
