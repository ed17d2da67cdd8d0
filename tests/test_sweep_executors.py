"""Sweep executors beyond one process pool: a real Dask LocalCluster (scheduler and two worker
processes over loopback, one thread each) gives the same records as the in-process reference,
also when a worker is killed mid-sweep; an unreachable scheduler is a one-line error naming
--address with nothing written; submitit's local executor runs a sweep as a job array.

The reference is :func:`twolayer.sweep.worker.run_group` called in this process.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from test_sweep import TINY, InProcess, records_equal

from twolayer.cli import main
from twolayer.sweep import Store, loads, run_sweep

distributed = pytest.importorskip("distributed")

SPEC = TINY.replace("train.steps = 20", "train.steps = 60") + """
[run]
group_runs = 2
[axes]
data.noise = [0.0, 0.1, 0.2, 0.3]
net.m = [8, 16]
"""  # 8 points of 2 runs, one point per group: 8 tasks


@pytest.fixture(scope="module")
def spec():
    return loads(SPEC)


@pytest.fixture(scope="module")
def reference(spec, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("ref"))
    run_sweep(spec, store, InProcess())
    return store


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    from twolayer.sweep.worker import THREAD_ENV

    env = {v: "1" for v in THREAD_ENV}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, env=env) as c:
        yield c


def test_dask_local_cluster_gives_the_local_records(spec, reference, cluster, tmp_path) -> None:
    from twolayer.sweep.executors import DaskExecutor

    ex = DaskExecutor(address=cluster.scheduler_address, threads=1)
    try:
        assert len(ex.client.scheduler_info()["workers"]) == 2
        rep = run_sweep(spec, Store(tmp_path), ex)
    finally:
        ex.close()
    assert rep.trained == 8 and rep.groups == 8 and not rep.failed
    st = Store(tmp_path)
    for p in spec.points():
        assert records_equal(st.load(p.run_id), reference.load(p.run_id)), p.coords


def test_dask_sweep_survives_a_worker_killed_mid_sweep(spec, reference, cluster,
                                                       tmp_path) -> None:
    from twolayer.sweep.executors import DaskExecutor

    ex = DaskExecutor(address=cluster.scheduler_address, threads=1)
    pids = ex.client.run(os.getpid)  # {worker address: pid}
    killed: list[tuple[int, int]] = []  # (pid, tasks it was processing)

    def kill_one(done: int, total: int, outcomes) -> None:
        if killed:
            return
        # after the first group: kill a worker that holds tasks (running or queued on it)
        busy = {w: len(k) for w, k in ex.client.processing().items() if k}
        if busy:
            worker = max(busy, key=busy.get)
            os.kill(pids[worker], signal.SIGKILL)
            killed.append((pids[worker], busy[worker]))

    try:
        rep = run_sweep(spec, Store(tmp_path), ex, on_result=kill_one)
        assert killed and killed[0][1] >= 1, "no worker held a task to kill"
        assert rep.trained == 8 and not rep.failed
        # the nanny replaced the killed worker process
        deadline = time.monotonic() + 60
        while len(ex.client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        pids_after = set(ex.client.run(os.getpid).values())
        assert killed[0][0] not in pids_after
    finally:
        ex.close()
    st = Store(tmp_path)
    for p in spec.points():
        assert records_equal(st.load(p.run_id), reference.load(p.run_id)), p.coords


def test_unreachable_dask_address_exits_2_naming_the_flag(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    # port 9 (discard) on loopback: nothing listens there
    argv = ["sweep", str(spec), "--executor", "dask", "--address", "tcp://127.0.0.1:9",
            "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--address 'tcp://127.0.0.1:9'" in err[0]
    assert "no Dask scheduler reachable" in err[0]
    assert not out.exists()


def test_submitit_local_executor_runs_a_job_array(tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    spec_path = tmp_path / "s.toml"
    text = TINY + "[run]\ngroup_runs = 2\n[slurm]\ncluster = \"local\"\ntime = 5\n" \
        "[axes]\ndata.noise = [0.0, 0.2]\n"
    spec_path.write_text(text)
    out = tmp_path / "store"
    assert main(["sweep", str(spec_path), "--executor", "slurm", "--out", str(out),
                 "--json", "--quiet"]) == 0
    spec = loads(text)
    ref = Store(tmp_path / "ref")
    run_sweep(spec, ref, InProcess())
    st = Store(out)
    for p in spec.points():
        assert records_equal(st.load(p.run_id), ref.load(p.run_id)), p.coords
    assert any((out / "slurm").iterdir())  # submitit's job folders (logs, pickles)
    # resumed: nothing to submit
    rerun = main(["sweep", str(spec_path), "--executor", "slurm", "--out", str(out), "--json",
                  "--quiet"])
    assert rerun == 0


def test_points_csv_lists_status(spec, reference) -> None:
    reference.write_points(spec.points())
    text = (reference.root / "points.csv").read_text().splitlines()
    assert text[0].split(",") == ["point", "data.noise", "net.m", "run_id", "status"]
    assert len(text) == 9 and all(line.endswith(",ok") for line in text[1:])


HUNDRED = Path(__file__).resolve().parent.parent / "sweeps" / "hundred.toml"


@pytest.mark.slow
def test_hundred_point_sweep_local_and_dask_identical(tmp_path: Path, capsys) -> None:
    """The done-when check of the sweep issue: sweeps/hundred.toml (100 points x 2 seeds, tiny
    settings) through the local pool and through a Dask LocalCluster started by the CLI, both
    with 2 workers of 1 thread: the same records, bit for bit."""
    reports = {}
    for executor in ("local", "dask"):
        out = tmp_path / executor
        argv = ["sweep", str(HUNDRED), "--executor", executor, "--workers", "2", "--threads",
                "1", "--out", str(out), "--json", "--quiet"]
        assert main(argv) == 0
        reports[executor] = json.loads(capsys.readouterr().out)
        assert reports[executor]["points"] == 100 and reports[executor]["trained"] == 100
    spec = loads(HUNDRED.read_text())
    a, b = Store(tmp_path / "local"), Store(tmp_path / "dask")
    for p in spec.points():
        assert records_equal(a.load(p.run_id), b.load(p.run_id)), p.coords
    assert (tmp_path / "local" / "summary.csv").read_text() == (
        tmp_path / "dask" / "summary.csv").read_text()
    print({k: v["seconds"] for k, v in reports.items()})


def test_a_worker_refuses_a_plugin_edited_since_it_imported_it(tmp_path, monkeypatch) -> None:
    """A long-lived worker (a remote Dask cluster's) keeps the plugin code it imported first,
    while the records' code stamp digests the plugin's files as they are now: after an edit it
    would have stored records of the old code under the new code's stamp. It now refuses the
    task, naming the plugin; an unedited plugin passes every time."""
    from twolayer.plugins import PLUGIN_ENV, PluginError
    from twolayer.sweep import worker

    plugin = tmp_path / "kind.py"
    plugin.write_text("X = 1\n")
    monkeypatch.setenv(PLUGIN_ENV, str(plugin))
    monkeypatch.setattr(worker, "_PLUGINS_LOADED", {})
    worker.plugins_unchanged_since_loaded()
    worker.plugins_unchanged_since_loaded()  # unchanged: fine again
    plugin.write_text("X = 2\n")
    with pytest.raises(PluginError, match="changed on disk") as e:
        worker.plugins_unchanged_since_loaded()
    assert str(plugin) in str(e.value)
    # run_group checks before it trains anything
    with pytest.raises(PluginError, match="changed on disk"):
        worker.run_group([], "cpu")


@pytest.mark.parametrize("line", [
    "twolayer.errors.ConfigError: --data 'x' is invalid: valid choices are xor",
    "twolayer.plugins.PluginError: /p/kind.py: changed on disk since this worker process "
    "imported it"])
def test_a_slurm_job_failing_on_twolayers_own_error_is_that_line(line) -> None:
    """A SLURM job that failed on one of twolayer's errors (an invalid setting, or a plugin's:
    a broken one, or one edited since the worker imported it) is its one line with the job's
    id, not submitit's FailedJobError with the job's traceback; another failure is one line
    naming the job's last error line (WorkerFailed)."""
    from submitit.core.utils import FailedJobError

    from twolayer.errors import TwolayerError
    from twolayer.sweep.executors import _job_result

    class Job:
        job_id = "42_0"
        paths = None

        def __init__(self, text):
            self.text = text

        def result(self):
            raise FailedJobError(self.text)

    with pytest.raises(TwolayerError) as e:
        _job_result(Job(f"Job (task=0) failed\nTraceback (most recent call last):\n"
                        f"  ...\n{line}\n"))
    assert str(e.value) == f"{line.split(': ', 1)[1]} (job 42_0)"
    # another failure is one line too (WorkerFailed), naming the job's last error line
    from twolayer.sweep.executors import WorkerFailed

    with pytest.raises(WorkerFailed, match=r"failed on SLURM job 42_0: MemoryError; "):
        _job_result(Job("Job failed\nMemoryError\n"))


def test_a_slurm_job_that_could_not_write_the_store_is_exit_1_as_here() -> None:
    """A job whose write into the store failed (disk full) raised resources.WriteFailed there;
    the client reported it as a worker's failure, exit 2, while `sweep --help` (and the same
    failure in this process) says a failed write is exit 1. Now it is WriteFailed again, with
    the path, the errno and the job named. Oracle: the line WriteFailed itself prints."""
    import errno

    from submitit.core.utils import FailedJobError

    from twolayer.resources import WriteFailed
    from twolayer.sweep.executors import _job_result

    original = WriteFailed("/s/records/abc", errno.ENOSPC, "No space left on device")

    class Job:
        job_id = "7_3"
        paths = None

        def result(self):
            raise FailedJobError("Job (task=0) failed\nTraceback (most recent call last):\n"
                                 f"  ...\ntwolayer.resources.WriteFailed: {original}\n")

    with pytest.raises(WriteFailed) as e:
        _job_result(Job())
    assert e.value.path == "/s/records/abc" and e.value.errno == errno.ENOSPC
    assert "No space left on device (in SLURM job 7_3)" in str(e.value)
    assert "[ENOSPC]" in str(e.value)
