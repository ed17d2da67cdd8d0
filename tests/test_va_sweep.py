"""Sweep failure handling: a sweep where nothing could be trained (every point diverged) is
exit 2 naming the first diverged point; Dask does not rerun a task that raised (retries are
for lost workers); a worker's unexpected exception is one line naming the points, not a
traceback."""

from __future__ import annotations

import json
import sys

import pytest

from twolayer.cli import main
from twolayer.sweep import Store, loads

# tiny settings, 3 steps; lr = 1e30 makes every run diverge at step 1
ALL_DIVERGE = ("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
               "train.lr = 1e30\nnet.init_var = 1.0\n[axes]\ndata.noise = [0.1, 0.2]\n")
# one point of two diverges: ω_init² = 1e80 overflows float32
SOME_DIVERGE = ("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
                "[axes]\nnet.init_var = [0.001, 1e80]\n")


@pytest.fixture
def inline_pool(monkeypatch):
    """`--executor local` trains in this process (no pool of spawned processes to start)."""
    from twolayer.sweep import executors

    monkeypatch.setattr(executors, "LocalExecutor",
                        lambda workers, threads, device, budget:
                        executors.InlineExecutor(device, budget))


def test_a_sweep_where_every_point_diverged_is_exit_2_naming_the_first(tmp_path, capsys,
                                                                        inline_pool) -> None:
    """Every point diverged: the sweep said "2 diverged" and exited 0, as if it had results.
    Now exit 2 after the report, one stderr line naming the first point (grid order), its
    message and the spec keys to change; the recorded failures stay (the resume says the
    same without training)."""
    spec = tmp_path / "s.toml"
    spec.write_text(ALL_DIVERGE)
    out = tmp_path / "o"
    first = loads(ALL_DIVERGE).points()[0]
    for _ in range(2):  # the run, then a resume of only recorded failures
        assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 2
        cap = capsys.readouterr()
        assert json.loads(cap.out)["points"] == 2  # the report is still printed
        err = cap.err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in cap.err, cap.err
        assert err[0].startswith("twolayer sweep: error: nothing could be trained")
        assert first.run_id in err[0] and "data.noise=0.1" in err[0]
        assert "training diverged" in err[0] and "train.lr" in err[0]
        assert sorted(p.name for p in (out / "failed").iterdir()) == sorted(
            f"{p.run_id}.json" for p in loads(ALL_DIVERGE).points())
        assert (out / "points.csv").read_text().count(",diverged") == 2


def test_a_sweep_where_some_points_diverged_exits_0(tmp_path, capsys, inline_pool) -> None:
    """Some points diverging is a finding, not a failed command: exit 0 with the tables."""
    spec = tmp_path / "s.toml"
    spec.write_text(SOME_DIVERGE)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    good, bad = loads(SOME_DIVERGE).points()
    assert rep["failed"] == [bad.run_id]
    assert Store(out).status(good.run_id) == "ok"


# ------------------------------------------------------------------------------------------
# Dask: no reruns of a task that raised; a worker's own exception is one line
# ------------------------------------------------------------------------------------------

TWO_GROUPS = ("seeds = 1\n[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
              "[run]\ngroup_runs = 1\nbaselines = false\n"
              "[axes]\ndata.noise = [0.1, 0.2]\n")  # two points, one engine call each


@pytest.fixture(scope="module")
def in_process_cluster():
    """A Dask LocalCluster whose one worker is a thread of this process (a monkeypatched task
    function runs there; one task at a time, in submission order)."""
    import logging

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, silence_logs=logging.CRITICAL) as c:
        yield c


def assert_tables_say_diverged(root, run_id: str) -> None:
    """points.csv and summary.csv of the sweep store ``root`` list ``run_id`` as diverged
    (summary: every row of it, with a NaN test error)."""
    import csv

    rows = {r["run_id"]: r["status"] for r in csv.DictReader((root / "points.csv").open())}
    assert rows[run_id] == "diverged"
    summary = [r for r in csv.DictReader((root / "summary.csv").open())
               if r["run_id"] == run_id]
    assert summary and all(r["status"] == "diverged" and r["test_error"] == "nan"
                           for r in summary)


def counting(counter, fail_noise: float, error: BaseException):
    """A task function that counts its calls in ``counter`` and raises ``error`` for the point
    of noise ``fail_noise`` (the others train for real)."""
    from twolayer.sweep.worker import run_group

    def task(config_dicts, *args, **kwargs):
        with open(counter, "a") as f:
            f.write(f"{config_dicts[0]['data']['noise']}\n")
        if config_dicts[0]["data"]["noise"] == fail_noise:
            raise error
        return run_group(config_dicts, *args, **kwargs)
    return task


@pytest.mark.parametrize("error", [MemoryError("worker out of memory"),
                                   RuntimeError("a bug in a plugin's dependency"),
                                   ModuleNotFoundError("No module named 'twolayer'")],
                         ids=["MemoryError", "RuntimeError", "ModuleNotFoundError"])
def test_a_dask_task_that_raised_runs_once_and_is_one_line(tmp_path, capsys, monkeypatch,
                                                           in_process_cluster, error) -> None:
    """retries=2 ran a task that raised three times before the error came back (a lost
    worker's task is rerun by the scheduler anyway), and an exception that is not twolayer's
    own ended in the worker's traceback on the client. Now: one call, one line naming the
    point (run id), the exception's type and message, exit 2; the point finished before it
    stays stored, nothing half-written."""
    from twolayer.sweep import executors

    counter = tmp_path / "calls"
    monkeypatch.setattr(executors, "run_group", counting(counter, 0.2, error))
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    out = tmp_path / "o"
    good, bad = loads(TWO_GROUPS).points()
    argv = ["sweep", str(spec), "--executor", "dask", "--address",
            in_process_cluster.scheduler_address, "--out", str(out), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"twolayer sweep: error: point {bad.run_id} failed on a Dask "
                             "worker")
    assert f": {type(error).__name__}: {error}; the points finished" in err[0]
    if isinstance(error, ImportError):  # a worker without twolayer: says what to install
        assert "twolayer installed" in err[0]
    assert counter.read_text().split() == ["0.1", "0.2"]  # each task once
    st = Store(out)
    assert st.status(good.run_id) == "ok" and st.status(bad.run_id) == "missing"
    assert not list((out / "records").glob(".*"))  # no temporary left


def test_a_dask_task_failing_on_twolayers_own_error_runs_once(tmp_path, capsys, monkeypatch,
                                                              in_process_cluster) -> None:
    """A deterministic twolayer error (an invalid setting found on the worker) ran three times
    before it was reported; now once, and it is its own one line."""
    from twolayer.errors import ConfigError
    from twolayer.sweep import executors

    counter = tmp_path / "calls"
    monkeypatch.setattr(executors, "run_group",
                        counting(counter, 0.1, ConfigError("lr", 7, "a worker-side check")))
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS.replace("[0.1, 0.2]", "[0.1]"))
    argv = ["sweep", str(spec), "--executor", "dask", "--address",
            in_process_cluster.scheduler_address, "--out", str(tmp_path / "o"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["twolayer sweep: error: --lr 7 is invalid: a worker-side check"]
    assert counter.read_text().split() == ["0.1"]


PLUGIN_THAT_KILLS_ITS_WORKER = """
import multiprocessing
import os
import signal

if multiprocessing.parent_process() is not None:  # a pool worker: die as the OOM killer kills
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_local_pool_worker_killed_is_one_line(tmp_path, capsys) -> None:
    """A pool worker killed by a signal (the system's out-of-memory killer) ended in a
    BrokenProcessPool traceback; now one line saying a worker process died, exit 2."""
    (tmp_path / "boom.py").write_text(PLUGIN_THAT_KILLS_ITS_WORKER)
    spec = tmp_path / "s.toml"
    spec.write_text('plugins = ["boom.py"]\n' + TWO_GROUPS)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--threads", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "failed on the local pool: one of its worker processes died" in err[0]
    assert "BrokenProcessPool" in err[0]
    assert not (out / "records").exists() or not any((out / "records").iterdir())


# ------------------------------------------------------------------------------------------
# SLURM through submitit's local executor: an interrupt is one line, no process left
# ------------------------------------------------------------------------------------------

LONG_LOCAL_JOBS = ("seeds = 1\n[base]\ndata.d = 20\ndata.n = 200\nnet.m = 64\n"
                   "train.steps = 50000000\n[run]\ngroup_runs = 1\n"
                   "[slurm]\ncluster = \"local\"\ntime = 5\n[axes]\ndata.noise = [0.1, 0.2]\n")


def descendants(pid: int) -> set[int]:
    from test_robustness import children

    out = set()
    for c in children(pid):
        out |= {c} | descendants(c)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sig, to_group, code", [(2, True, 130), (15, False, 143)],
                         ids=["ctrl-c-to-the-process-group", "sigterm-to-the-command"])
def test_an_interrupted_local_slurm_sweep_is_one_line_and_leaves_no_process(
        tmp_path, sig, to_group, code) -> None:
    """cluster = "local": a Ctrl-C (SIGINT to the terminal's process group, the jobs'
    controllers included) or a SIGTERM to the command (whose cancel is a SIGINT to each
    controller) made every controller print a KeyboardInterrupt traceback; the command now
    says one line, exit 130 / 143, and waits for its jobs' processes to end."""
    import os
    import subprocess
    import sys
    import time

    from test_robustness import ENV, _default_sigint, alive, one_line

    spec = tmp_path / "s.toml"
    spec.write_text(LONG_LOCAL_JOBS)
    out = tmp_path / "o"

    def setup() -> None:
        _default_sigint()
        os.setsid()  # a process group of its own, as a terminal's foreground job

    p = subprocess.Popen([sys.executable, "-m", "twolayer", "sweep", str(spec), "--executor",
                          "slurm", "--out", str(out), "--quiet"], env=ENV, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=setup)
    deadline = time.monotonic() + 120
    seen: set[int] = set()
    while time.monotonic() < deadline:  # both jobs' tasks running (2 controllers + 2 tasks)
        seen |= descendants(p.pid)
        if len(seen) >= 4 and len(list((out / "slurm").glob("*/*_log.err"))) >= 2:
            break
        assert p.poll() is None, p.communicate()
        time.sleep(0.2)
    else:
        p.kill()
        pytest.fail("the local jobs did not start in time")
    time.sleep(1.0)  # the tasks inside their training
    seen |= descendants(p.pid)
    if to_group:
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert "interrupted" in one_line(err)
    late = time.monotonic() + 2.0
    while time.monotonic() < late and any(alive(k) for k in seen):
        time.sleep(0.1)
    assert not [k for k in seen if alive(k)], "job processes outlived the command"


def test_a_slurm_job_that_timed_out_is_one_line_naming_the_time_flag() -> None:
    """A job killed at its time limit ended in submitit's traceback; now one line naming the
    point, the job, its last error line and the flag that gives it more time."""
    pytest.importorskip("submitit")
    from submitit.core.utils import FailedJobError

    from twolayer.sweep.executors import WorkerFailed, _job_result

    task = [loads(TWO_GROUPS).points()[0].config.to_dict()]

    class Job:
        job_id = "7"
        paths = None

        def result(self):
            raise FailedJobError(
                "Job (task=0) failed during processing with trace:\n----------------------\n"
                "Traceback (most recent call last):\n  File \"x\", line 1, in f\n"
                "submitit.core.utils.UncompletedJobError: Job not requeued because: "
                "timed-out and not checkpointable.\n\n----------------------\nYou can check "
                "full logs with 'job.stderr(0)'")

    with pytest.raises(WorkerFailed) as e:
        _job_result(Job(), task)
    line = str(e.value)
    assert line.startswith(f"point {loads(TWO_GROUPS).points()[0].run_id} failed on SLURM "
                           "job 7: submitit.core.utils.UncompletedJobError: Job not requeued "
                           "because: timed-out and not checkpointable (give the jobs more "
                           "time: --time")
    assert "\n" not in line


def test_a_lost_dask_scheduler_is_one_line(tmp_path, capfd, monkeypatch) -> None:
    """The scheduler of a remote cluster went away mid-sweep: the client printed a
    reconnection traceback per try through its log, then a line blaming "a Dask worker". Now
    the one line says the task was cancelled on the cluster, not a worker's error (the quiet
    client log was checked by hand with `dask scheduler` killed under a sweep: this in-process
    scheduler closes before the client logs a failed reconnection)."""
    import logging

    distributed = pytest.importorskip("distributed")
    from twolayer.sweep import executors, run_sweep

    counter = tmp_path / "calls"
    monkeypatch.setattr(executors, "run_group",
                        counting(counter, None, RuntimeError("unused")))
    spec = loads(TWO_GROUPS)
    # over TCP, as a remote cluster: the client tries to reconnect (inproc:// does not)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       protocol="tcp://", host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
    ex = executors.DaskExecutor(address=cluster.scheduler_address, timeout=2.0)

    def lose_the_scheduler(done, total, outcomes) -> None:
        cluster.close()

    capfd.readouterr()
    try:
        with pytest.raises(executors.WorkerFailed) as e:
            run_sweep(spec, Store(tmp_path / "o"), ex, on_result=lose_the_scheduler)
    finally:
        ex.close()
    assert capfd.readouterr().err == ""
    assert "failed on the Dask cluster (the task was cancelled there)" in str(e.value)
    assert spec.points()[1].run_id in str(e.value)
    assert Store(tmp_path / "o").status(spec.points()[0].run_id) == "ok"


@pytest.mark.parametrize("missing", ["sbatch", "submitit", "distributed"])
def test_a_dry_run_refuses_an_executor_the_real_run_cannot_start(tmp_path, capsys,
                                                                  monkeypatch, missing) -> None:
    """`--executor slurm --dry-run` without sbatch (or without submitit, or dask without
    distributed) printed the plan, exit 0, while the same command without --dry-run stopped
    with exit 2: a dry run that passes should mean the real run starts."""
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    out = tmp_path / "o"
    executor = "dask" if missing == "distributed" else "slurm"
    if missing == "sbatch":
        monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    else:
        # as if not installed: importing it raises ModuleNotFoundError naming it
        monkeypatch.setitem(sys.modules, missing, None)
    lines = []
    for mode in ([], ["--dry-run"]):
        assert main(["sweep", str(spec), "--executor", executor, "--out", str(out),
                     *mode]) == 2
        cap = capsys.readouterr()
        assert cap.out == ""
        lines.append(cap.err)
    assert lines[0] == lines[1] and missing in lines[0]
    assert not out.exists()


# ------------------------------------------------------------------------------------------
# SLURM with cluster = "local": at most array_parallelism (default cores / cpus_per_task) jobs
# ------------------------------------------------------------------------------------------


def test_local_slurm_jobs_run_at_most_array_parallelism_at_once(tmp_path) -> None:
    """submitit's local executor started every job of the array at once (a process each,
    torch imported in each: 25 for sweeps/hundred.toml) while the memory check counted one
    process. Now at most array_parallelism jobs are submitted before one finishes."""
    pytest.importorskip("submitit")
    from twolayer.sweep.executors import SlurmExecutor

    ex = SlurmExecutor(str(tmp_path), {"cluster": "local", "array_parallelism": 2}, poll=0.0)
    running: set[int] = set()
    most = [0]

    class Job:
        def __init__(self, k):
            self.k, self.polls = k, 0
            running.add(k)
            most[0] = max(most[0], len(running))

        def done(self):
            self.polls += 1
            if self.polls > 2:  # finishes on its third look
                running.discard(self.k)
                return True
            return False

        def result(self):
            return [(f"id{self.k}", "ok")]

    submitted = []

    def submit(fn, task, *args):
        submitted.append(task)
        return Job(len(submitted) - 1)

    ex.executor.submit = submit
    tasks = [[{"k": k}] for k in range(5)]
    out = dict(ex.run(tasks))
    assert submitted == tasks and sorted(out) == list(range(5))
    assert most[0] == 2


def test_local_slurm_job_slots_default_to_cores_per_job(monkeypatch) -> None:
    from twolayer.sweep.executors import local_job_slots

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert local_job_slots({}) == 8
    assert local_job_slots({"cpus_per_task": 3}) == 2
    assert local_job_slots({"cpus_per_task": 16}) == 1
    assert local_job_slots({"cpus_per_task": 1, "array_parallelism": 3}) == 3


def test_the_memory_check_of_local_slurm_counts_the_jobs_running_at_once(
        tmp_path, capsys, monkeypatch) -> None:
    """The memory check of cluster = "local" shared the free memory among one process; the
    jobs run array_parallelism at a time, each needing its group's memory."""
    from twolayer import resources

    text = TWO_GROUPS + '[slurm]\ncluster = "local"\narray_parallelism = {p}\n'
    group = loads(text.format(p=1)).points()[0].config
    need = resources.estimate(group).total / resources.FREE_FRACTION
    monkeypatch.setattr(resources, "free_host_memory", lambda: int(need * 1.5))
    spec = tmp_path / "s.toml"
    for p, status in ((1, 0), (2, 2)):  # one group fits; two at once do not
        spec.write_text(text.format(p=p))
        assert main(["sweep", str(spec), "--executor", "slurm", "--out", str(tmp_path / "o"),
                     "--dry-run"]) == status, capsys.readouterr().err
        capsys.readouterr()


def test_a_long_worker_error_is_cut_at_a_sentence() -> None:
    """KilledWorker's message runs on with advice and a link: it was cut at 300 characters in
    mid-word ("For more i"); now at the last full sentence that fits."""
    from twolayer.sweep.executors import worker_failed

    class KilledWorker(Exception):
        pass

    text = ("Attempted to run task 'run_group-c21e4b49-7203-4e57-86bc-a3d7f6a3a5f7' on 4 "
            "different workers, but all those workers died while running it. The last worker "
            "that attempt to run the task was tcp://127.0.0.1:36071. Inspecting worker logs is "
            "often a good next step to diagnose what went wrong. For more information see "
            "https://distributed.dask.org/en/stable/killed.html.")
    line = str(worker_failed(None, KilledWorker(text), "a Dask worker"))
    assert ("KilledWorker: Attempted to run task" in line
            and "a good next step to diagnose what went wrong; the points finished" in line)
    assert "For more" not in line


def test_a_point_that_diverges_when_trained_again_is_not_listed_with_its_old_record(
        tmp_path) -> None:
    """A stored point trained again (--force, or its record made by other code) that now
    diverges: its failure was written beside the old record, which stayed in records/, so
    points.csv and summary.csv said "ok" with the old numbers while the run reported it
    diverged (and a resume took the old record). The failure now replaces the record."""

    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep
    from twolayer.sweep.worker import Outcome

    spec = loads(TWO_GROUPS)
    store = Store(tmp_path)
    run_sweep(spec, store, InProcess())
    first = spec.points()[0]
    assert store.status(first.run_id) == "ok"

    class DivergesNow:
        name, writes_store = "diverges-now", False

        def run(self, tasks, baselines=True):
            for i, t in enumerate(tasks):
                yield i, [Outcome(first.run_id, "diverged", None,
                                  "training diverged: run 0 (seed 0) produced NaN/inf at step 1")
                          if loads(TWO_GROUPS).points()[0].config.to_dict() == d
                          else InProcess().run([[d]]).__next__()[1][0] for d in t]

    rep = run_sweep(spec, store, DivergesNow(), force=True)
    assert rep.failed == [first.run_id]
    assert store.status(first.run_id) == "diverged"
    assert not (tmp_path / "records" / first.run_id).exists()
    assert_tables_say_diverged(tmp_path, first.run_id)


def test_a_dry_run_prints_json_with_json_and_says_what_the_run_would_train(tmp_path,
                                                                            capsys) -> None:
    """`--dry-run --json` printed the text plan (json.loads failed on it), and a dry run
    did not say what the real run would train: "2 points in <out>" with or without --force.
    Now --json gives one JSON object, and both say how many points and engine calls the run
    would train (all with --force; the missing ones otherwise)."""
    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep

    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    out = tmp_path / "o"
    points = loads(TWO_GROUPS).points()
    base = ["sweep", str(spec), "--out", str(out), "--dry-run"]

    def plan(*extra):
        assert main([*base, "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    doc = plan()
    assert [(r["point"], r["run_id"], r["data.noise"]) for r in doc["plan"]] == [
        (p.index, p.run_id, p.coords["data.noise"]) for p in points]
    assert (doc["points"], doc["stored"], doc["to_train"], doc["engine_calls"],
            doc["to_train_engine_calls"]) == (2, 0, 2, 2, 2)
    run_sweep(loads(TWO_GROUPS), Store(out), InProcess())
    capsys.readouterr()
    assert (plan()["stored"], plan()["to_train"], plan()["to_train_engine_calls"]) == (2, 0, 0)
    assert (plan("--force")["to_train"], plan("--force")["to_train_engine_calls"]) == (2, 2)
    assert main([*base, "--force"]) == 0
    assert "this run would train 2 points in 2 engine calls (--force)" in capsys.readouterr().out


def test_the_threads_help_names_the_slurm_default(tmp_path) -> None:
    """`sweep --help` said --threads defaults to cores / workers; under --executor slurm it
    is [slurm] cpus_per_task (default 1), which --threads overrides (docs/sweeps.md)."""
    from twolayer.cli import build_parser
    from twolayer.sweep.executors import SlurmExecutor

    sub = next(a for a in build_parser()._actions if hasattr(a, "choices")
               and isinstance(a.choices, dict) and "sweep" in a.choices)
    threads = next(a for a in sub.choices["sweep"]._actions if a.dest == "threads")
    assert "[slurm] cpus_per_task, default 1" in " ".join(threads.help.split())
    pytest.importorskip("submitit")
    assert SlurmExecutor(str(tmp_path), {"cluster": "debug"}).threads == 1


@pytest.mark.parametrize("device, visible", [("cuda", "0"), ("cuda:1", "0,1"), ("cpu", "")])
def test_local_slurm_jobs_see_the_gpus_their_device_needs(tmp_path, device, visible) -> None:
    """cluster = "local" with a CUDA device and no [slurm] gpus_per_node: submitit's local
    executor starts each job with CUDA_VISIBLE_DEVICES="" (it asked for no GPU), so the jobs
    failed with "no CUDA GPU" on a machine that has one (the device check here passed). The
    jobs now ask for the GPUs the device names. The oracle: what a job of the executor sees."""
    pytest.importorskip("submitit")
    import os

    from twolayer.sweep.executors import SlurmExecutor

    ex = SlurmExecutor(str(tmp_path), {"cluster": "local", "time": 1}, device=device)
    job = ex.executor.submit(os.getenv, "CUDA_VISIBLE_DEVICES")
    assert job.result() == visible


@pytest.mark.parametrize("options, warned", [({}, True), ({"gpus_per_node": 1}, False)])
def test_a_slurm_sweep_on_cuda_without_gpus_per_node_is_warned(tmp_path, capsys, monkeypatch,
                                                                options, warned) -> None:
    """`device = "cuda"` on SLURM without [slurm] gpus_per_node submitted jobs that get no
    GPU (SLURM allocates none unasked): each failed with "no CUDA GPU" after its wait in the
    queue. A warning line says so at submission."""
    pytest.importorskip("submitit")
    from sweep_helpers import stub_sbatch

    from twolayer.sweep.executors import SlurmExecutor

    stub_sbatch(tmp_path, monkeypatch)
    SlurmExecutor(str(tmp_path / "o"), {"cluster": "slurm", **options}, device="cuda")
    err = capsys.readouterr().err
    assert ("no [slurm] gpus_per_node" in err) == warned, err


def test_slurm_with_sbatch_but_no_srun_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    """submitit's SLURM executor also needs srun: with sbatch alone on PATH the sweep ended in
    submitit's RuntimeError traceback ('Could not detect "srun"'). Now exit 2 naming srun,
    nothing written, the dry run too."""
    pytest.importorskip("submitit")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "sbatch").write_text("#!/bin/sh\nexit 1\n")
    (folder / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    out = tmp_path / "o"
    for mode in ([], ["--dry-run"]):
        assert main(["sweep", str(spec), "--executor", "slurm", "--out", str(out), *mode]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "srun is not on PATH" in err[0], err
    assert not out.exists()


def test_a_slurm_job_writes_only_the_missing_points_of_its_group(tmp_path) -> None:
    """docs/sweeps.md: a resume "writes only the missing points (points of the group stored
    before are kept as they are)". SLURM jobs write their records themselves, and wrote every
    point of their group: a resume replaced the stored ones (another node's record, another
    device's under device = "auto"). The oracle: the stored record's folder is the same
    folder (its inode) after the resume."""
    import shutil

    pytest.importorskip("submitit")
    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep
    from twolayer.sweep.executors import SlurmExecutor

    one_group = TWO_GROUPS.replace("group_runs = 1", "group_runs = 8")
    spec = loads(one_group)
    store = Store(tmp_path / "o")
    run_sweep(spec, store, InProcess())
    kept, lost = spec.points()
    inode = (store.records / kept.run_id).stat().st_ino
    shutil.rmtree(store.records / lost.run_id)
    rep = run_sweep(spec, store, SlurmExecutor(str(store.root), {"cluster": "debug"}))
    assert rep.trained == 1 and rep.skipped == 1 and rep.groups == 1
    assert store.status(lost.run_id) == "ok"
    assert (store.records / kept.run_id).stat().st_ino == inode


def test_a_sweep_stopped_midway_leaves_no_table_of_the_old_statuses(tmp_path) -> None:
    """(ve) A run stopped midway (Ctrl-C, a worker's error) wrote no tables, so those of the
    earlier run stayed: points.csv said "ok" for a point that had just diverged and lost its
    record. The oracle is the store itself: the point's record is gone and its failure is
    recorded. Now the tables are removed before training (a SIGKILL leaves none) and written
    from what is stored when the run stops on an exception."""

    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep
    from twolayer.sweep.worker import Outcome

    spec = loads(TWO_GROUPS)
    store = Store(tmp_path)
    run_sweep(spec, store, InProcess())
    first = spec.points()[0]
    seen = {}

    class DivergesThenInterrupted:
        name, writes_store = "stopped", False

        def run(self, tasks, baselines=True):
            seen["tables"] = sorted(p.name for p in tmp_path.glob("*.csv"))
            yield 0, [Outcome(first.run_id, "diverged", None, "training diverged")]
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, store, DivergesThenInterrupted(), force=True)
    assert seen["tables"] == []  # removed before any training
    assert not (store.records / first.run_id).exists() and store.is_failed(first.run_id)
    assert_tables_say_diverged(tmp_path, first.run_id)


@pytest.mark.parametrize("step", ["remove the old record", "write the failure"])
def test_an_interrupted_failure_write_never_leaves_the_old_record_beside_it(tmp_path,
                                                                           monkeypatch, step):
    """(ve) A point trained again that diverges now: Store.put wrote its failure, then removed
    the old record; an interrupt between the two (Python raises KeyboardInterrupt between any
    two statements) left both, and a record wins over a failure: points.csv said "ok" with the
    old numbers and the resume kept it. Whichever step is interrupted, the store must hold
    the old record alone (nothing done) or neither (the point missing, trained again), never
    both."""
    import twolayer.store as record_store_module
    from twolayer.sweep import store as sweep_store
    from twolayer.sweep.worker import Outcome

    spec = loads(TWO_GROUPS)
    first = spec.points()[0]
    st = Store(tmp_path)
    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep

    run_sweep(spec, st, InProcess())
    assert st.has_record(first.run_id)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    if step == "remove the old record":
        monkeypatch.setattr(record_store_module, "_remove", interrupted)
    else:
        monkeypatch.setattr(sweep_store, "write_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        st.put(Outcome(first.run_id, "diverged", None, "training diverged"))
    assert not (st.has_record(first.run_id) and st.is_failed(first.run_id)), step


def test_a_record_beside_a_failure_is_not_counted_as_diverged(tmp_path, capsys,
                                                               inline_pool) -> None:
    """(ve) A store holding a point's record and a failure beside it (left by an interrupted
    write, or by the code before 5f56164): the tables list the point "ok" (a record wins),
    but the resume counted it among the failures recorded before, and with the other point
    diverged it exited 2, "nothing could be trained: all 2 points diverged". The oracle is
    points.csv of the same run: one point ok, so exit 0."""
    import csv

    from twolayer.sweep.store import current_code, failure_document

    spec = tmp_path / "s.toml"
    spec.write_text(SOME_DIVERGE)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 0
    capsys.readouterr()
    good, bad = loads(SOME_DIVERGE).points()
    doc = failure_document(good.run_id, "diverged", "training diverged", current_code())
    (out / "failed" / f"{good.run_id}.json").write_text(json.dumps(doc))
    code = main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"])
    rep = json.loads(capsys.readouterr().out)
    rows = {r["run_id"]: r["status"] for r in csv.DictReader((out / "points.csv").open())}
    assert rows == {good.run_id: "ok", bad.run_id: "diverged"}
    assert code == 0 and rep["failed_before"] == [bad.run_id]


def test_a_submission_that_sbatch_refuses_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    """(ve) sbatch refusing the job array (a --partition that does not exist, an account, a
    --time over the partition's limit) ended in submitit's FailedJobError traceback, exit 1,
    with sbatch's message printed above it. Now one line with sbatch's message and the flags
    to check, exit 2."""
    pytest.importorskip("submitit")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: invalid partition "
                                   "specified: nogpu' >&2\nexit 1\n")
    (folder / "srun").write_text("#!/bin/sh\nexit 1\n")
    for tool in ("sbatch", "srun"):
        (folder / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))  # (submitit needs nothing else on PATH)
    spec = tmp_path / "s.toml"
    spec.write_text(TWO_GROUPS)
    code = main(["sweep", str(spec), "--executor", "slurm", "--partition", "nogpu", "--out",
                 str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "invalid partition specified: nogpu" in err[0] and "--partition" in err[0], err
