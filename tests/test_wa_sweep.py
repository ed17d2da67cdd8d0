"""Sweeps and the caller's process: a Dask LocalCluster starts no more worker processes than
the run has engine calls; the sweep API called in this process leaves its thread settings and
environment as they were; an automatic clean-up of a sweep store never removes a temporary
young enough to be a live writer's (a SLURM job still finishing)."""

from __future__ import annotations

import os

import pytest

TWO_GROUPS = ("seeds = 1\n[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
              "[run]\ngroup_runs = 1\nbaselines = false\n"
              "[axes]\ndata.noise = [0.1, 0.2]\n")  # two points, one engine call each


def worker_processes(ex) -> int:
    """The worker processes Dask's scheduler knows (its own bookkeeping, not the executor's)."""
    return len(ex.client.scheduler_info()["workers"])


def test_a_dask_local_cluster_with_nothing_to_train_starts_no_worker() -> None:
    """`--executor dask --workers 3` on a store holding every point (a resume) started three
    worker processes (each importing torch) to run no task."""
    pytest.importorskip("distributed")
    from twolayer.sweep.executors import DaskExecutor

    ex = DaskExecutor(workers=3, threads=1)
    try:
        assert list(ex.run([])) == []
        assert worker_processes(ex) == 0
    finally:
        ex.close()


@pytest.mark.slow
def test_a_dask_local_cluster_starts_no_more_workers_than_tasks() -> None:
    """--workers 3 on a sweep of two engine calls: two worker processes, not three; each with
    the executor's BLAS threads in its environment."""
    pytest.importorskip("distributed")
    from twolayer.sweep import loads
    from twolayer.sweep.executors import DaskExecutor
    from twolayer.sweep.worker import plan_groups

    spec = loads(TWO_GROUPS)
    points = spec.points()
    groups = plan_groups([p.config for p in points], spec.group_runs)
    tasks = [[points[i].config.to_dict() for i in g] for g in groups]
    assert len(tasks) == 2
    ex = DaskExecutor(workers=3, threads=1)
    try:
        done = dict(ex.run(tasks, baselines=False))
        assert sorted(done) == [0, 1] and all(o[0].status == "ok" for o in done.values())
        assert worker_processes(ex) == 2
        envs = ex.client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
        assert sorted(envs.values()) == ["1", "1"]
    finally:
        ex.close()
