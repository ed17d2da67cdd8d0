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


def spawned_children() -> set[int]:
    """The pids of this process's children started by multiprocessing's spawn (a Dask
    LocalCluster's worker processes; not its resource tracker), read from the system."""
    import psutil

    out = set()
    for c in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(c.cmdline()):
                out.add(c.pid)
        except psutil.Error:  # ended meanwhile
            pass
    return out


def test_a_dask_local_cluster_with_nothing_to_train_starts_no_worker() -> None:
    """`--executor dask --workers 3` on a store holding every point (a resume) started three
    worker processes (each importing torch) to run no task."""
    pytest.importorskip("distributed")
    from twolayer.sweep.executors import DaskExecutor

    before = spawned_children()
    ex = DaskExecutor(workers=3, threads=1)
    try:
        assert list(ex.run([])) == []
        assert spawned_children() - before == set()
    finally:
        ex.close()


@pytest.mark.slow
def test_a_dask_local_cluster_starts_no_more_workers_than_tasks() -> None:
    """--workers 3 on a sweep of two engine calls: two worker processes, not three (Dask's
    scheduler and the system agree); each with the executor's BLAS threads in its
    environment."""
    pytest.importorskip("distributed")
    from twolayer.sweep import loads
    from twolayer.sweep.executors import DaskExecutor
    from twolayer.sweep.worker import plan_groups

    spec = loads(TWO_GROUPS)
    points = spec.points()
    groups = plan_groups([p.config for p in points], spec.group_runs)
    tasks = [[points[i].config.to_dict() for i in g] for g in groups]
    assert len(tasks) == 2
    before = spawned_children()
    ex = DaskExecutor(workers=3, threads=1)
    try:
        done = dict(ex.run(tasks, baselines=False))
        assert sorted(done) == [0, 1] and all(o[0].status == "ok" for o in done.values())
        assert len(ex.client.scheduler_info()["workers"]) == 2
        assert len(spawned_children() - before) == 2
        envs = ex.client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
        assert sorted(envs.values()) == ["1", "1"]
    finally:
        ex.close()


# ------------------------------------------------------------------------------------------
# the caller's process: thread variables, TWOLAYER_PLUGINS, torch's threads as they were
# ------------------------------------------------------------------------------------------

def caller_state() -> dict:
    """What a sweep call could leave changed in this process, read directly."""
    import torch

    from twolayer.plugins import PLUGIN_ENV
    from twolayer.sweep.worker import THREAD_ENV

    return {"torch": torch.get_num_threads(),
            **{k: os.environ.get(k) for k in (*THREAD_ENV, PLUGIN_ENV)}}


@pytest.fixture
def known_state(monkeypatch):
    """A caller with 3 torch threads, OMP_NUM_THREADS=3, the other thread variables and
    TWOLAYER_PLUGINS unset (the conftest restores the process after the test)."""
    import torch

    from twolayer.plugins import PLUGIN_ENV
    from twolayer.sweep.worker import THREAD_ENV

    for k in (*THREAD_ENV, PLUGIN_ENV):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    torch.set_num_threads(3)
    state = caller_state()
    assert state["torch"] == 3 and state["OMP_NUM_THREADS"] == "3"
    assert state["MKL_NUM_THREADS"] is None and state[PLUGIN_ENV] is None
    return state


def test_loading_a_spec_with_plugins_leaves_the_environment(tmp_path, known_state) -> None:
    """`twolayer.sweep.load` of a spec naming plugins set TWOLAYER_PLUGINS in the caller's
    process for good (every later `twolayer` subprocess loaded them); its plugins are still
    loaded and named by the spec."""
    from twolayer.sweep import load

    (tmp_path / "p.py").write_text("# a plugin that registers nothing\n")
    (tmp_path / "s.toml").write_text('plugins = ["p.py"]\n' + TWO_GROUPS)
    spec = load(tmp_path / "s.toml")
    assert spec.plugins == (str((tmp_path / "p.py").resolve()),)
    assert caller_state() == known_state


def test_run_group_in_this_process_leaves_threads_and_environment(tmp_path,
                                                                  known_state) -> None:
    """`run_group(..., threads=1, plugins=[...])` called in the caller's own process (as the
    in-process executor, submitit's debug cluster or a notebook does) left OMP/MKL/OPENBLAS/
    VECLIB/NUMEXPR_NUM_THREADS at "1", TWOLAYER_PLUGINS set and torch on one thread; its
    record still carries the plugin's part of the code stamp."""
    from twolayer.sweep import loads
    from twolayer.sweep.store import plugins_fingerprint
    from twolayer.sweep.worker import run_group

    plugin = tmp_path / "p.py"
    plugin.write_text("# a plugin that registers nothing\n")
    config = loads(TWO_GROUPS).points()[0].config.to_dict()
    (out,) = run_group([config], "cpu", 1, False, None, [str(plugin)])
    assert out.status == "ok"
    assert out.record.meta["code"].endswith("+" + plugins_fingerprint([str(plugin)]))
    assert out.record.meta["threads"] == 1  # pinned for the call
    assert caller_state() == known_state


# ------------------------------------------------------------------------------------------
# temporaries: a live writer's (a SLURM job still finishing) survives the next sweep
# ------------------------------------------------------------------------------------------

def temporary(records, run_id: str, age: float):
    """A temporary record folder as Record.save makes it, last changed ``age`` seconds ago."""
    import time

    tmp = records / f".{run_id}.tmp.0123abcd"
    tmp.mkdir(parents=True)
    (tmp / "arrays.npz").write_bytes(b"half written")
    when = time.time() - age
    os.utime(tmp, (when, when))
    return tmp


@pytest.mark.parametrize("slurm", [True, False], ids=["slurm-store", "local-store"])
def test_a_sweep_leaves_a_temporary_a_slurm_job_may_still_be_writing(tmp_path, capsys,
                                                                      monkeypatch,
                                                                      slurm) -> None:
    """A SLURM job writes its records without the store's lock; one of an interrupted sweep
    (scancel takes a while) or of a killed one (its jobs run on) may be mid-save when the same
    command is run again. That sweep removed every temporary under its lock, the job's save
    in progress included. Now, in a store SLURM jobs were submitted to (its slurm/ folder,
    which submitit makes before the first job can run), a sweep removes only temporaries
    older than an hour; in any other store every writer held the lock, and all go as
    before."""
    from twolayer.cli import main
    from twolayer.sweep import Store, executors, loads

    monkeypatch.setattr(executors, "LocalExecutor", lambda workers, threads, device, budget:
                        executors.InlineExecutor(device, budget))
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    out = tmp_path / "out"
    young = temporary(out / "records", "d0dcf48dea64", age=30.0)
    old = temporary(out / "records", "dabe52f7aa81", age=7200.0)
    if slurm:
        (out / "slurm").mkdir()
    for _ in range(2):  # the run, then a resume that trains nothing
        assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
        assert young.is_dir() == slurm and not old.exists()
    if slurm:
        assert (young / "arrays.npz").read_bytes() == b"half written"
    capsys.readouterr()
    assert all(Store(out).has_record(p.run_id) for p in loads(TWO_GROUPS).points())


def test_store_verify_names_each_temporary_it_removes(tmp_path, capsys) -> None:
    """`store verify` (an explicit command) removes every temporary, a young one too: it now
    names each one it removed, not only how many."""
    from twolayer.cli import main

    young = temporary(tmp_path / "records", "d0dcf48dea64", age=30.0)
    old = temporary(tmp_path / "records", "dabe52f7aa81", age=7200.0)
    assert main(["store", "verify", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "0 intact, 0 quarantined, 2 temporary folders removed"
    assert sorted(lines[1:]) == sorted(f"  removed temporary {p}" for p in (young, old))
    assert not young.exists() and not old.exists()


def test_the_local_pools_workers_start_with_the_thread_variables(monkeypatch,
                                                                 known_state) -> None:
    """docs/sweeps.md: the thread variables are "also set before the workers start, so torch
    reads them on import". They were restored right after the pool was made, and a spawn pool
    starts its workers at submit: every worker started without them (and imports torch and
    numpy before its initialiser pins the threads). Read at each worker's start, here; the
    start itself is stopped (no process needed), and the caller's variables are as before."""
    import multiprocessing.context

    from twolayer.sweep import loads
    from twolayer.sweep.executors import LocalExecutor
    from twolayer.sweep.worker import THREAD_ENV

    seen = []

    class Stop(Exception):
        pass

    def start(self):
        seen.append({v: os.environ.get(v) for v in THREAD_ENV})
        raise Stop

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", start)
    task = [loads(TWO_GROUPS).points()[0].config.to_dict()]
    with pytest.raises(Stop):
        list(LocalExecutor(workers=2, threads=1).run([task, task]))
    assert seen and all(env == {v: "1" for v in THREAD_ENV} for env in seen), seen
    assert caller_state() == known_state


@pytest.mark.parametrize("value, ok", [(1024, True), (1025, False), (100000, False)])
def test_slurm_cpus_per_task_has_the_bound_of_threads(tmp_path, capsys, value, ok) -> None:
    """`--threads` (which overrides [slurm] cpus_per_task) is refused above 1024; the spec key
    was not: cpus_per_task = 100000 passed the dry run, and a cluster = "local" job then died
    in torch.set_num_threads(100000), reported with its log's last line ("submitit INFO ...
    Loading pickle")."""
    from twolayer.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS + f'[slurm]\ncluster = "local"\ncpus_per_task = {value}\n')
    code = main(["sweep", str(spec), "--executor", "slurm", "--dry-run", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == (0 if ok else 2), err
    if not ok:
        assert err.count("\n") == 1 and f"slurm.cpus_per_task = {value} is invalid" in err
        assert "<= 1024" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("state, says", [
    ("FINISHED", "killed (by a signal, e.g. the system's out-of-memory killer"),
    ("OUT_OF_MEMORY", "killed for its memory (give the jobs more: [slurm] mem_gb)"),
    ("TIMEOUT", "killed at its time limit (give the jobs more time: --time"),
])
def test_a_slurm_job_killed_without_a_traceback_is_named_so(state, says) -> None:
    """A job killed by a signal (SIGKILL: the out-of-memory killer; SLURM at a limit) leaves no
    traceback, and submitit's UncompletedJobError carries its log's tail: the sweep reported
    that log's last line as the job's error ("submitit INFO (...) - Loading pickle: ...").
    Submitit's message below is the one a cluster = "local" job killed by SIGKILL gave."""
    submitit = pytest.importorskip("submitit")
    from twolayer.sweep import loads
    from twolayer.sweep.executors import WorkerFailed, _job_result

    class Job:
        job_id = "8841"
        paths = None

        def result(self):
            raise submitit.core.utils.UncompletedJobError(
                "Job 8841 (task: 0) with path /x/8841/8841_0_result.pkl\nhas not produced any "
                f"output (state: {state})\nNo error stream produced. Look at stdout: "
                "/x/8841/8841_0_log.out\n----------------------------------------\nsubmitit "
                "INFO (2026-12-05 16:46:29,768) - Starting with JobEnvironment(job_id=8841)\n"
                "submitit INFO (2026-12-05 16:46:29,768) - Loading pickle: "
                "/x/8841/8841_submitted.pkl\n")

    task = [loads(TWO_GROUPS).points()[0].config.to_dict()]
    with pytest.raises(WorkerFailed) as e:
        _job_result(Job(), task)
    line = str(e.value)
    assert "\n" not in line and "Loading pickle" not in line and "submitit INFO" not in line
    assert f"without a result or an error message (state {state})" in line and says in line


def test_slurm_jobs_start_with_their_blas_threads(tmp_path, monkeypatch, known_state) -> None:
    """docs/sweeps.md: [slurm] cpus_per_task (--threads) is "the job's BLAS threads". A job
    imports torch and numpy (OpenMP, OpenBLAS read the variables then) before run_group pins
    its threads, and it started with the submitting process's variables (here
    OMP_NUM_THREADS=3, the others unset). Now they are set at submission (a local job's
    controller copies this environment; sbatch exports it). Read where submitit starts a
    cluster = "local" job, which is stopped there; the caller's variables are as before."""
    submitit = pytest.importorskip("submitit")
    from twolayer.sweep import loads
    from twolayer.sweep.executors import SlurmExecutor
    from twolayer.sweep.worker import THREAD_ENV

    seen = []

    class Stop(Exception):
        pass

    def start_controller(*args, **kwargs):
        seen.append({v: os.environ.get(v) for v in THREAD_ENV})
        raise Stop

    monkeypatch.setattr(submitit.local.local, "start_controller", start_controller)
    task = [loads(TWO_GROUPS).points()[0].config.to_dict()]
    ex = SlurmExecutor(str(tmp_path / "out"), {"cluster": "local", "cpus_per_task": 2})
    with pytest.raises(Stop):
        list(ex.run([task]))
    assert seen == [{v: "2" for v in THREAD_ENV}]
    assert caller_state() == known_state
