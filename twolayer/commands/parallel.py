"""``twolayer check --jobs N``: the selected claims' papers checked in N worker processes.

A paper's claims read only that paper's experiments, so papers are independent: each worker
process takes the next paper (the most expensive first, as far as the record store's entries
tell from earlier runs; else the paper with the most claims), runs its checks with its own
:class:`~twolayer.experiments.Runs` on the shared store (entries are written atomically under
distinct keys), and returns the verdicts. Each worker's PyTorch runs on ``cores // N`` intra-op
threads at most, so that N workers do not oversubscribe the machine. The verdicts come back in
the order of the selection; ``--timings`` sums the workers' phases (worker-seconds).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..spawned import run_spawned
from ..store import experiment_seconds

AUTO = "auto"


@dataclass
class Group:
    """One worker task: a paper's claim ids and what the worker needs to rebuild its Runs."""

    paper: str
    ids: list[str]
    quick: bool
    seeds: int | None
    runtime: dict[str, Any]
    store: str | None  # the store's root, None for --no-store
    plugins: list[str] = field(default_factory=list)  # plugin paths to load first
    threads: int = 1  # the worker process's intra-op thread count
    timings: bool = False


def jobs_for(value: int | str, papers: int, device_type: str) -> int:
    """The worker count: ``auto`` is min(papers, logical CPUs) on a CPU and 1 on a GPU (one
    device: N processes would start N CUDA contexts on it)."""
    if value == AUTO:
        if device_type != "cpu":
            return 1
        return max(1, min(papers, os.cpu_count() or 1))
    return max(1, min(int(value), papers))


def paper_costs(store_root: str | None, quick: bool) -> dict[str, float]:
    """Seconds per paper from the store's entries of earlier runs in the same mode (the newest
    entry of each experiment; entries are read without verification: only for ordering)."""
    if store_root is None:
        return {}
    costs: dict[str, float] = {}
    for name, seconds in experiment_seconds(store_root, quick).items():
        paper = name.split(".", 1)[0]
        costs[paper] = costs.get(paper, 0.0) + seconds
    return costs


def order_groups(groups: list[Group], costs: dict[str, float]) -> list[Group]:
    """Most expensive first (known costs before unknown ones; then by number of claims)."""
    return sorted(groups, key=lambda g: (g.paper not in costs, -costs.get(g.paper, 0.0),
                                         -len(g.ids)))


def check_group(group: Group) -> tuple[list[Any], list[str], list[str], dict | None]:
    """In a worker: the group's verdicts, the experiments trained and reused, and its timings
    (JSON) when asked."""
    import torch

    from ..claims import run_checks
    from ..engine import Runtime
    from ..experiments import Runs
    from ..plugins import load_entry_points, load_path
    from ..store import RecordStore
    from ..timing import recording

    torch.set_num_threads(max(1, group.threads))
    load_entry_points()
    for path in group.plugins:
        load_path(path)
    store = RecordStore(group.store) if group.store is not None else None
    runs = Runs(quick=group.quick, seeds=group.seeds, runtime=Runtime(**group.runtime),
                store=store)
    if group.timings:
        with recording() as t:
            verdicts = run_checks(group.ids, runs=runs)
        return verdicts, runs.trained, runs.reused, t.to_json()
    return run_checks(group.ids, runs=runs), runs.trained, runs.reused, None


def run_groups(groups: Sequence[Group], jobs: int) -> list[tuple[list[Any], list[str],
                                                                  list[str], dict | None]]:
    """Each group's result, in the order given, from ``jobs`` spawned worker processes. If
    the parent is interrupted or a worker fails, the other workers are terminated at once
    (their finished experiments stay in the store)."""
    return run_spawned(check_group, groups, jobs)
