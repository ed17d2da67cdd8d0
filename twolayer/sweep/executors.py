"""Executors: where the groups of a sweep train.

Every executor takes the same tasks (a group of point configs, see :mod:`.worker`) and yields
``(task index, outcomes)`` as tasks finish, in any order; the runner writes the outcomes into the
store as they arrive, so whatever finished before an interruption is kept.

- :class:`LocalExecutor`: a process pool on this machine (``spawn`` start), each worker's
  BLAS/OpenMP threads pinned (environment variables before torch loads, ``torch.set_num_threads``
  in the initialiser) so that W workers × T threads do not oversubscribe the cores;
- :class:`DaskExecutor`: a ``distributed`` client on a scheduler address, or on a
  ``LocalCluster`` it starts when no address is given (``pip install twolayer[dask]``). Dask
  reruns the task of a worker that dies on another worker (its scheduler's
  ``allowed-failures``); a task that raised is not rerun: the same group raises again;
- :class:`SlurmExecutor`: ``submitit`` job arrays (``pip install twolayer[slurm]``); each job
  writes its records into the store itself (the store must be on a file system the jobs share,
  as submitit's own folder must be), the client waits and reports.

The optional dependencies are imported only when their executor is created.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

from ..config import Config
from ..errors import ConfigError, TwolayerError
from .environment import environment
from .store import spec_plugin_paths
from .worker import THREAD_ENV, init_worker, run_group

Task = list[dict[str, Any]]  # the config dicts of one group


class WorkerFailed(TwolayerError):
    """A group's task failed on a worker with an exception that is not one of twolayer's own
    (a MemoryError, a worker process that died, a bug): one line naming the group's first
    point, the exception type and message, where it ran; exit 2 in the CLI instead of the
    worker's traceback."""


def worker_failed(task: Task | None, error: BaseException | str, where: str) -> WorkerFailed:
    """:class:`WorkerFailed` for ``task`` (the config dicts of one group; None: not known)
    failing with ``error`` (an exception, or its "Type: message" line) on ``where`` (e.g. "a
    Dask worker")."""
    if isinstance(error, BaseException):
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if len(first) > 300:  # (KilledWorker's runs on with advice and a link)
            cut = first[:300].rfind(". ")
            first = first[:cut] if cut > 0 else first[:300]
        error = type(error).__name__ + (f": {first.rstrip('.')}" if first else "")
    head = "training"
    if task:
        try:
            ids = [Config.from_dict(d).run_id for d in task]
        except Exception:  # pragma: no cover - the configs were validated before submission
            ids = ["?"]
        more = f" and {len(ids) - 1} more point(s) of its engine call" if len(ids) > 1 else ""
        head = f"point {ids[0]}{more}"
    return WorkerFailed(f"{head} failed on {where}: {error}; the points finished so far are "
                        "stored; run the same command again to resume")


def check_available(executor: str, cluster: str = "slurm") -> None:
    """ConfigError naming ``--executor`` when the executor cannot run here: its optional
    package is not installed, or (SLURM with ``cluster`` "slurm") ``sbatch`` is not on PATH.
    Checked by the executors and by ``--dry-run`` (which starts none)."""
    if executor == "dask":
        _importable("dask", "distributed")
    if executor == "slurm":
        _importable("slurm", "submitit")
        for tool in ("sbatch", "srun"):  # submitit's SLURM executor needs both
            if cluster == "slurm" and shutil.which(tool) is None:
                raise ConfigError("executor", "slurm", f"{tool} is not on PATH (no SLURM here); "
                                  "set cluster = \"local\" in the spec's [slurm] table to run "
                                  "the jobs as local processes")


def _importable(executor: str, package: str) -> None:
    """ConfigError naming ``--executor`` unless ``package`` imports: not installed, or installed
    but broken (a distributed that does not match its dask raised its ImportError traceback
    from the executor, after a dry run had passed: only its presence was checked)."""
    import importlib

    try:
        importlib.import_module(package)
    except ImportError as e:
        missing = isinstance(e, ModuleNotFoundError) and e.name == package
        why = "" if missing else (f" that imports (importing it failed: {type(e).__name__}: "
                                  f"{' '.join(str(e).split())})")
        raise ConfigError("executor", executor, f"needs the {package} package{why}: pip "
                          f"install 'twolayer[{executor}]'") from None


def default_threads(workers: int) -> int:
    """Threads per worker so that workers × threads ≈ the cores of this machine."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


class InlineExecutor:
    """The groups one after the other in this process (threads as the process has them)."""

    name = "inline"
    writes_store = False

    def __init__(self, device: str = "cpu", budget: int | None = None):
        self.device = device
        self.budget = budget

    def run(self, tasks: list[Task], baselines: bool = True
            ) -> Iterator[tuple[int, list[Any]]]:
        for i, t in enumerate(tasks):
            yield i, run_group(t, self.device, None, baselines, self.budget)

    def close(self) -> None:
        pass


class LocalExecutor:
    """A pool of ``workers`` processes with ``threads`` intra-op threads each."""

    name = "local"
    writes_store = False

    def __init__(self, workers: int = 1, threads: int | None = None, device: str = "cpu",
                 budget: int | None = None):
        self.workers = max(1, workers)
        self.threads = threads or default_threads(self.workers)
        self.device = device
        self.budget = budget

    def run(self, tasks: list[Task], baselines: bool = True
            ) -> Iterator[tuple[int, list[Any]]]:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        if not tasks:
            return
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)), mp_context=mp.get_context("spawn"),
            initializer=init_local_worker, initargs=(self.threads,),
        )
        futures = {}
        try:
            # a spawn pool starts its workers at submit, not when it is made: the variables
            # are set until then, so that the workers have them before they import torch and
            # numpy (their OpenMP and BLAS read them on load; the initialiser's pin comes after
            # that import). They were restored before the first submit: no worker had them.
            # SIGINT blocked while they start: a Ctrl-C then waits in a worker until its
            # initialiser ignores it (sigint_blocked_for_children)
            with thread_env(self.threads), sigint_blocked_for_children():
                futures = {pool.submit(run_group, t, self.device, self.threads, baselines,
                                       self.budget): i
                           for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    outcomes = fut.result()
                except TwolayerError:
                    raise  # its own one line
                except BrokenProcessPool as e:  # every pending task fails: not only the one
                    raise worker_failed(None, e, "the local pool: one of its worker processes "
                                        "died (killed by a signal, e.g. the system's "
                                        "out-of-memory killer)") from None
                except Exception as e:  # the worker's: MemoryError, a bug
                    raise worker_failed(tasks[i], e, "a worker of the local pool") from None
                yield i, outcomes
        except BaseException:  # an interrupt, a worker error, or the caller stopped early
            stop_pool(pool, futures)
            raise
        pool.shutdown(wait=True)

    def close(self) -> None:
        pass


def init_local_worker(threads: int) -> None:
    """The local pool's initialiser: :func:`~.worker.init_worker` (SIGINT ignored from here
    on), then SIGINT unblocked: the worker started with it blocked
    (:func:`sigint_blocked_for_children`), and a Ctrl-C that came in between, still pending, is
    dropped as ignored."""
    import signal

    init_worker(threads)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def sigint_blocked_for_children() -> Iterator[None]:
    """SIGINT blocked in the calling thread inside the block, so that the worker processes it
    starts inherit the blocked signal (the signal mask survives fork and exec, and Python keeps
    it): a Ctrl-C while a spawned worker still starts its interpreter and imports stays pending
    in it until :func:`init_local_worker` ignores it. It used to raise KeyboardInterrupt there
    and print a traceback from ``spawn_main`` above the parent's one-line message. In the
    parent a Ctrl-C during the block is not lost: another thread takes it, or it is delivered
    when the block ends. Where there is no ``pthread_sigmask`` the block runs as it is.

    multiprocessing's resource tracker is started first: ``resource_tracker.ensure_running``
    blocks SIGINT and SIGTERM while it spawns the tracker and then *unblocks* them, whatever
    the mask was, in the thread that first makes a multiprocessing queue or lock. Under a
    Dask LocalCluster that is its event-loop thread, which spawns the workers: they started
    with SIGINT unblocked, and a Ctrl-C while they imported printed a traceback each (found in
    session 50; the local pool's tracker already ran, started when the pool was made)."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    # the mask to restore is read first: ensure_running unblocks SIGINT and SIGTERM when it
    # starts the tracker, also where the caller had them blocked
    old = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    resource_tracker.ensure_running()  # once per process; a running tracker is kept
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def thread_env(threads: int) -> Iterator[None]:
    """The BLAS/OpenMP thread variables (:data:`~.worker.THREAD_ENV`) at ``threads`` inside
    the block, as before it after (an unset one unset)."""
    with environment({v: str(threads) for v in THREAD_ENV}):
        yield


def stop_pool(pool: Any, futures: dict) -> None:
    """Cancel the queued tasks of a ProcessPoolExecutor and end its workers now, without
    waiting for the running groups (their results would be thrown away anyway)."""
    for fut in futures:
        fut.cancel()
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 5.0
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1.0)


class DaskExecutor:
    """A ``distributed`` client on ``address`` (or on a new LocalCluster of up to ``workers``
    processes with ``threads`` threads each when ``address`` is None, started by :meth:`run`
    with no more workers than the run has tasks, as the local pool: each one imports torch,
    seconds and hundreds of MB, and a resume with nothing to train started them all)."""

    name = "dask"
    writes_store = False

    def __init__(self, address: str | None = None, workers: int = 1, threads: int | None = None,
                 device: str = "cpu", timeout: float = 5.0, budget: int | None = None):
        check_available("dask")
        from distributed import Client

        self.device = device
        self.budget = budget
        self.cluster: Any = None  # a LocalCluster, started by run() (local_cluster)
        self.client: Any = None
        self.workers = max(1, workers)
        self.local = address is None
        if self.local:
            self.threads = threads or default_threads(workers)
        else:
            self.threads = threads or 1
            try:
                self.client = Client(address, timeout=f"{timeout}s")
            except (OSError, TimeoutError, ValueError) as e:
                why = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise ConfigError("address", address, "no Dask scheduler reachable there "
                                  f"({why[:120]})") from None

    def run(self, tasks: list[Task], baselines: bool = True
            ) -> Iterator[tuple[int, list[Any]]]:
        from distributed import as_completed

        if not tasks:
            return
        if self.local:  # workers for the tasks there are, not for --workers
            self.local_cluster(min(self.workers, len(tasks)))
        futures = {}
        for i, t in enumerate(tasks):
            # no retries: they rerun a task that raised (a plugin's mistake, an invalid setting,
            # a MemoryError), which raises again; a lost worker's task is rerun by the scheduler
            fut = self.client.submit(run_group, t, self.device, self.threads, baselines,
                                     self.budget, spec_plugin_paths(), pure=False)
            futures[fut] = i
        try:
            # the client's own log (a lost scheduler: a reconnection traceback per try) would
            # print around the one line that says what failed
            with quiet_logs("distributed", "distributed.client"):
                for fut in as_completed(list(futures)):
                    i = futures[fut]
                    try:
                        outcomes = fut.result()
                    except TwolayerError:
                        raise  # its own one line
                    except Exception as e:  # the worker's: MemoryError, KilledWorker, a bug
                        where = ("the Dask cluster (the task was cancelled there)"
                                 if "Cancelled" in type(e).__name__ else "a Dask worker")
                        if isinstance(e, ImportError):  # a worker without twolayer
                            where += (" (its Python lacks a module: the workers need the same "
                                      "environment, twolayer installed)")
                        raise worker_failed(tasks[i], e, where) from None
                    yield i, outcomes
        except BaseException:
            self.client.cancel(list(futures))
            raise

    def local_cluster(self, n: int) -> None:
        """Start the LocalCluster with ``n`` worker processes (raising here if they cannot
        start), or scale the one a run before started up to ``n``."""
        if self.cluster is not None:
            if len(self.cluster.worker_spec) < n:
                self.cluster.scale(n)
            return
        from distributed import Client, LocalCluster

        # SIGINT blocked in this thread while the cluster starts: its event-loop thread, made
        # here, inherits the mask, and so do the worker processes that thread spawns, until
        # their preload ignores SIGINT and unblocks it (dask_worker_setup). A Ctrl-C while a
        # worker still imported raised KeyboardInterrupt in it (a traceback from
        # spawn_main), and one in this process while a worker was in its `init` state left a
        # half-started cluster whose close at exit failed (distributed's atexit
        # close_clusters: AssertionError: Status.init): 1 to 4 tracebacks, 29 to 99 lines,
        # in 5 of 16 tries until session 50. Here the Ctrl-C waits until the cluster is up
        # (seconds) and then stops the sweep with its one line; nothing is lost.
        with sigint_blocked_for_children():
            self.cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                env={v: str(self.threads) for v in THREAD_ENV}, host="127.0.0.1",
                # a task's exception comes back through its future (one line, exit 2 for a
                # plugin's mistake); the workers' own log of it would print its traceback
                silence_logs=logging.CRITICAL,
                # SIGINT ignored in the workers once they run (a terminal's Ctrl-C reaches the
                # whole process group, and each worker printed its KeyboardInterrupt
                # traceback around the one line until session 49; dask_worker_setup)
                preload=["twolayer.sweep.dask_worker_setup"],
            )
        self.client = Client(self.cluster)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@contextlib.contextmanager
def quiet_logs(*names: str) -> Iterator[None]:
    """The stream handlers of the loggers ``names`` at CRITICAL inside the block (restored
    after)."""
    saved = []
    for name in names:
        for h in logging.getLogger(name).handlers:
            if isinstance(h, logging.StreamHandler):
                saved.append((h, h.level))
                h.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for h, level in saved:
            h.setLevel(level)


TWOLAYER_ERROR = re.compile(r"^twolayer\.(?:errors|plugins)\.\w+: (.+)$", re.M)
# resources.WriteFailed's line (a job that could not write the store: disk full, permissions)
JOB_WRITE_FAILED = re.compile(r"^twolayer\.resources\.WriteFailed: cannot write (.+?): (.+?)"
                              r"(?: \[(E\w+)\])?; nothing was left half-written", re.M)


# submitit's UncompletedJobError for a job that left neither a result nor a traceback (killed
# by a signal: the out-of-memory killer, SLURM at its time or memory limit, a failed node)
JOB_NO_OUTPUT = re.compile(r"has not produced any output \(state: ([\w+-]+)")


def _job_result(job: Any, task: Task | None = None) -> Any:
    """The job's result; a job that failed on one of twolayer's own errors (a plugin's
    mistake, an invalid setting) is that error's one line, as in the local pool, and one that
    failed otherwise (a MemoryError, killed, timed out) is :class:`WorkerFailed` naming the
    group's point (``task``), the job's last error line and its log, instead of submitit's
    FailedJobError with the job's traceback."""
    import submitit

    try:
        return job.result()
    except submitit.core.utils.UncompletedJobError as e:  # FailedJobError is one
        log = getattr(getattr(job, "paths", None), "stderr", None)
        wrote = JOB_WRITE_FAILED.findall(str(e))
        if wrote:  # exit status 1, as the same failure in this process (sweep --help)
            import errno as errno_mod

            from ..resources import WriteFailed

            path, why, name = wrote[-1]
            raise WriteFailed(path, getattr(errno_mod, name, None) if name else None,
                              f"{why} (in SLURM job {job.job_id}"
                              + (f"; its log: {log})" if log else ")")) from None
        found = TWOLAYER_ERROR.findall(str(e))
        if found:
            raise TwolayerError(f"{found[-1]} (job {job.job_id}"
                                + (f"; its log: {log})" if log else ")")) from None
        # the job's traceback ends with the exception's line, before submitit's footer
        trace = str(e).split("\n----------------------\nYou can check")[0]
        lines = [ln.strip() for ln in trace.splitlines() if ln.strip().strip("-")]
        last = lines[-1][:300].rstrip(".") if lines else type(e).__name__
        killed = JOB_NO_OUTPUT.search(str(e))
        if killed:  # no traceback: the log's last line (a submitit INFO line) said nothing
            state = killed.group(1)
            last = (f"the job ended without a result or an error message (state {state}): it "
                    "was killed")
            if "TIMEOUT" in state:
                last += " at its time limit"
            elif "MEMORY" in state:
                last += " for its memory (give the jobs more: [slurm] mem_gb)"
            else:
                last += (" (by a signal, e.g. the system's out-of-memory killer, or its node "
                         "failed; if it was memory, give the jobs more: [slurm] mem_gb)")
        if "timed-out" in last or "timed out" in last or "time limit" in last:
            last += " (give the jobs more time: --time or [slurm] time, in minutes)"
        raise worker_failed(task, last, f"SLURM job {job.job_id}"
                            + (f" (its log: {log})" if log else "")) from None


class SlurmExecutor:
    """submitit job arrays: one job per group, each writing its records into the store.

    ``options`` are the spec's ``[slurm]`` table and the CLI flags: partition, time (minutes),
    cpus_per_task, mem_gb, gpus_per_node, array_parallelism, account, qos, constraint, and
    cluster = slurm (default; needs ``sbatch``), local (submitit's local executor: the jobs
    run as processes on this machine) or debug (in this process)."""

    name = "slurm"
    writes_store = True

    def __init__(self, store: str, options: dict[str, Any], device: str = "cpu",
                 poll: float = 1.0, budget: int | None = None):
        cluster = options.get("cluster", "slurm")
        check_available("slurm", cluster)
        import submitit

        self.local = cluster == "local"
        # submitit's local executor starts every job of an array at once: as many processes
        # as engine calls (hundreds of torch processes on a laptop) while the memory check
        # counted one; here at most ``slots`` jobs run at a time
        self.slots = local_job_slots(options) if self.local else None
        self.store = str(store)
        self.device = device
        self.budget = budget
        self.poll = poll
        self.threads = int(options.get("cpus_per_task", 1))
        folder = os.path.join(self.store, "slurm", "%j")
        self.executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
        params: dict[str, Any] = {
            "timeout_min": int(options.get("time", 60)),
            "cpus_per_task": self.threads,
            "name": "twolayer-sweep",
        }
        if "mem_gb" in options:
            params["mem_gb"] = options["mem_gb"]
        if "gpus_per_node" in options:
            params["gpus_per_node"] = options["gpus_per_node"]
        elif self.local and local_gpus(device):
            # submitit's local executor hides every GPU from a job that asks for none
            # (CUDA_VISIBLE_DEVICES=""): the device check passed here, and each job then
            # failed with "no CUDA GPU" (or, with device auto, trained on the CPU)
            params["gpus_per_node"] = local_gpus(device)
        elif cluster == "slurm" and device.startswith("cuda"):
            # SLURM gives a job no GPU it did not ask for: every job would fail with "no CUDA
            # GPU", after its wait in the queue (not refused: a site may add GPUs itself)
            import sys

            print(f"twolayer: warning: device {device} but no [slurm] gpus_per_node: a SLURM "
                  "job gets no GPU it does not ask for (set gpus_per_node = 1 in the spec's "
                  "[slurm] table)", file=sys.stderr)
        if cluster == "slurm":
            for key, arg in (("partition", "slurm_partition"), ("account", "slurm_account"),
                             ("qos", "slurm_qos"), ("constraint", "slurm_constraint"),
                             ("array_parallelism", "slurm_array_parallelism")):
                if key in options:
                    params[arg] = options[key]
        self.executor.update_parameters(**params)

    def run(self, tasks: list[Task], baselines: bool = True, missing: set[str] | None = None
            ) -> Iterator[tuple[int, list[Any]]]:
        """``missing``: the run ids to write (the runner's; None: every point). A job trains
        its whole group but writes only these: the points of the group stored before are
        kept as they are, as the other executors' runner keeps them."""
        if not tasks:
            return
        n = len(tasks)
        only = [None if missing is None else
                [r for r in (Config.from_dict(d).run_id for d in t) if r in missing]
                for t in tasks]
        queue: list[int] = []
        pending: dict[int, Any] = {}
        if self.local:  # one job at a time, at most ``slots`` running
            queue = list(range(n))
        else:  # one job array: SLURM's array_parallelism caps the jobs running at once
            # (sbatch exports this environment: the jobs start with their BLAS threads set,
            # before they import torch and numpy, as the local pool's workers do)
            with submission(), thread_env(self.threads):
                jobs = self.executor.map_array(write_group, tasks, [self.store] * n,
                                               [self.device] * n, [self.threads] * n,
                                               [baselines] * n, [self.budget] * n, only)
            pending = dict(enumerate(jobs))
        try:
            while pending or queue:
                while queue and len(pending) < (self.slots or 1):
                    i = queue.pop(0)
                    with submission(), thread_env(self.threads), stderr_to(
                            os.path.join(self.store, "slurm", LOCAL_CONTROLLERS_LOG)):
                        pending[i] = self.executor.submit(
                            write_group, tasks[i], self.store, self.device, self.threads,
                            baselines, self.budget, only[i])
                for i, job in list(pending.items()):
                    if job.done():
                        del pending[i]
                        yield i, _job_result(job, tasks[i])  # [(run_id, status)]: written
                if pending and not any(job.done() for job in pending.values()):
                    time.sleep(self.poll)
        except BaseException:
            for job in pending.values():
                job.cancel(check=False)
            if self.local:
                wait_for_local_jobs(list(pending.values()))
            raise

    def close(self) -> None:
        pass


class SubmissionFailed(TwolayerError):
    """The SLURM submission itself failed (``sbatch`` refused the jobs: an unknown partition,
    account or QOS, a time over the partition's limit): one line with sbatch's message, exit
    2, instead of submitit's traceback."""


@contextlib.contextmanager
def submission() -> Iterator[None]:
    """Turn a failed submission (submitit's FailedJobError with sbatch's stderr, a
    CalledProcessError, an OSError starting it) into :class:`SubmissionFailed` (submitit also
    prints sbatch's stderr itself: kept off the terminal, it is in the one line)."""
    import io
    import subprocess

    import submitit

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    except (submitit.core.utils.FailedJobError, subprocess.CalledProcessError, OSError) as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        why = "; ".join(lines)[:300] if lines else type(e).__name__
        raise SubmissionFailed(
            f"the SLURM submission failed: {why}; nothing more was submitted (check the spec's "
            "[slurm] table and the flags that override it: --partition, --time, --threads), "
            "the points finished so far are stored") from None


def write_group(config_dicts: Task, store: str, device: str = "cpu",
                threads: int | None = None, baselines: bool = True, budget: int | None = None,
                only: list[str] | None = None) -> list[tuple[str, str]]:
    """A SLURM job: :func:`~twolayer.sweep.worker.run_group`, then write into the store at
    ``store`` the outcomes of the points in ``only`` (None: all); (run_id, status) per point.
    (Here rather than in worker.py, whose source is part of the records' code stamp.)"""
    from .store import Store

    st = Store(store)
    out = []
    for o in run_group(config_dicts, device, threads, baselines, budget):
        if only is None or o.run_id in only:
            st.put(o)
        out.append((o.run_id, o.status))
    return out


def local_gpus(device: str) -> int:
    """The GPUs a job of ``cluster = "local"`` must see for ``device``: N + 1 for cuda:N (the
    local executor exposes GPUs 0..n-1), 1 for cuda, and for auto 1 when this machine has a
    GPU; 0 for the CPU."""
    if device.startswith("cuda"):
        return int(device.split(":", 1)[1]) + 1 if ":" in device else 1
    if device == "auto":
        import torch

        return 1 if torch.cuda.is_available() else 0
    return 0


def local_job_slots(options: dict[str, Any]) -> int:
    """How many jobs of ``cluster = "local"`` run at once: ``array_parallelism`` when the
    options give it, else the cores / ``cpus_per_task`` (at least 1), as the local pool."""
    if "array_parallelism" in options:
        return max(1, int(options["array_parallelism"]))
    return default_threads(int(options.get("cpus_per_task", 1)))


# where the controllers of submitit's local jobs (cluster = "local") write their stderr, in the
# store's slurm/ folder: a Ctrl-C (which reaches them too) or a cancel (a SIGINT) made each print
# a KeyboardInterrupt traceback on the terminal; the jobs' own output goes to their log files
LOCAL_CONTROLLERS_LOG = "local-controllers.log"


@contextlib.contextmanager
def stderr_to(path: str) -> Iterator[None]:
    """File descriptor 2 of this process appended to ``path`` inside the block, so that the
    processes started there inherit it as their stderr."""
    import sys

    os.makedirs(os.path.dirname(path), exist_ok=True)
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = os.dup(2)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def wait_for_local_jobs(jobs: list[Any], timeout: float = 15.0) -> None:
    """After cancelling submitit's local jobs (a SIGINT to each controller, which stops its
    task: SIGINT, then SIGKILL after a second): wait for the controllers to end, so that none
    outlives the command; one still there at the deadline is killed."""
    deadline = time.monotonic() + timeout
    for job in jobs:
        proc = getattr(job, "_process", None)
        if proc is None:
            continue
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except Exception:  # TimeoutExpired: no more waiting
            proc.kill()
