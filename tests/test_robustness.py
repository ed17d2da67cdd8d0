"""Robustness promises (docs/robustness.md): validation before work, failed writes, signals,
worker processes that die with their parent, one writer per sweep store.

The subprocess tests use tiny settings; a run is "mid-run" when enough steps remain. No test
asserts a timing beyond generous deadlines that only catch hangs."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twolayer.cli import main
from twolayer.record import Record

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--d", "3", "--n", "8", "--m", "2", "--n-test", "8", "--num-times", "2"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _default_sigint() -> None:
    """In the child: SIGINT back to its default, so that Python installs its KeyboardInterrupt
    handler even when the test runner was started with SIGINT ignored (a shell's background
    job, nohup), which the child would otherwise inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "twolayer", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)


def children(pid: int) -> set[int]:
    """Pids of the live processes whose parent is ``pid`` (from /proc)."""
    out = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(d.name))
    return out


def catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has a handler for SIGTERM (the SigCgt mask of /proc/<pid>/status).
    ``twolayer`` installs it on entering :func:`twolayer.signals.stop_on_signals`, together with
    its SIGINT handler (Python's own SIGINT handler is there from the start, so SigCgt cannot
    tell whether the command's is)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (int(signal.SIGTERM) - 1)))


def wait_until_it_catches_signals(p: subprocess.Popen, seconds: float = 120.0) -> None:
    """Wait until the command's signal handlers are installed: a signal sent before that (the
    child still importing, slower than the measured start-up on a loaded machine) ends it by
    the default action (status -15) or a KeyboardInterrupt traceback, not by the one line."""
    deadline = time.monotonic() + seconds
    while not catches_sigterm(p.pid):
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "the command did not install its signal handlers"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# ------------------------------------------------------------------------------------------
# validation before work
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, flag", [
    (["--num-times", "1e9"], "--num-times"),
    (["--n", "10000000", "--m", "100000"], "--n"),
    (["--seeds", "100000000"], "--seeds"),
    (["--init-var", "1e-320"], "--init-var"),
    (["--lr", "1e-320"], "--lr"),
    (["--threads", "1e9"], "--threads"),
    (["--device", "cuda:7"], "--device"),
    (["--device", "tpu"], "--device"),
    (["--steps", "1e20"], "--steps"),
    # a kind's extra training rows (badger's ascended set) count in the memory estimate
    (["--data", "badger", "--objective", "softmax", "--second-layer", "gaussian",
      "--n-ascended", "1000000000"], "--n-ascended"),
    (["--data", "badger", "--objective", "softmax", "--second-layer", "gaussian",
      "--n-ascended", "100000000000000000000"], "--n-ascended"),
])
def test_bad_sizes_exit_2_before_any_allocation(capsys, tmp_path, args, flag):
    out = tmp_path / "out"
    assert main(["simulate", *args, "--out", str(out)]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("twolayer simulate: error: " + flag)
    assert not out.exists()


def test_empty_out_is_refused(capsys):
    assert main(["simulate", *TINY, "--steps", "1", "--out", ""]) == 2
    assert "--out ''" in one_line(capsys.readouterr().err)


def test_memory_estimate_names_the_largest_part_and_a_range(monkeypatch):
    from twolayer import resources
    from twolayer.config import Config, DataConfig
    from twolayer.errors import ConfigError

    cfg = Config(data=DataConfig(n=100_000))
    est = resources.estimate(cfg)
    assert est.parts["data"] > est.parts["parameters"] and est.total > 0
    with pytest.raises(ConfigError) as e:
        resources.check_fits(cfg, "cpu", free=est.total // 2)
    assert e.value.field == "n" and "valid range here is <=" in str(e.value)
    resources.check_fits(cfg, "cpu", free=est.total * 2)  # fits
    monkeypatch.setenv(resources.NO_LIMITS_ENV, "1")
    resources.check_fits(cfg, "cpu", free=1)  # checks skipped


def test_free_memory_falls_back_gracefully(monkeypatch):
    from twolayer import resources

    assert resources.free_host_memory() is None or resources.free_host_memory() > 0
    monkeypatch.setattr(resources.Path, "read_text", lambda self: (_ for _ in ()).throw(OSError))
    free = resources.free_host_memory()  # sysconf, or None: never an exception
    assert free is None or free > 0


def test_cuda_index_beyond_the_machine(monkeypatch):
    import torch

    from twolayer.errors import ConfigError
    from twolayer.resources import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device("cuda:0") == "cuda:0"
    with pytest.raises(ConfigError, match="has 1 GPU"):
        check_device("cuda:7", "run.device")


SPEC = """seeds = 1
[base]
data.d = 3
data.n = 8
data.n_test = 8
net.m = 2
probe.num_times = 2
train.steps = {steps}
[axes]
data.noise = [0.0, 0.1]
[run]
group_runs = 1
baselines = false
"""


@pytest.mark.parametrize("text, key", [
    ("", "SPEC.toml"),
    ("# only a comment\n", "SPEC.toml"),
    (SPEC.format(steps=1) + 'device = "cuda:7"\n', "run.device"),
    (SPEC.format(steps=1).replace("seeds = 1", "seeds = 100000000"), "seeds"),
    (SPEC.format(steps=1).replace("data.n = 8", "data.n = 10000000\nnet.m = 100000")
     .replace("net.m = 2\n", ""), "base.data.n"),
])
def test_bad_specs_exit_2_before_the_store_exists(capsys, tmp_path, text, key):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    line = one_line(capsys.readouterr().err)
    assert key in line
    assert not out.exists()


# ------------------------------------------------------------------------------------------
# failed writes
# ------------------------------------------------------------------------------------------


def test_simulate_full_disk_prints_first_then_one_line_exit_1(monkeypatch, capsys, tmp_path):
    """os.replace raising ENOSPC stands in for a full disk: the summary is printed before the
    record is written, the error is one line naming the path and errno, exit 1, and nothing
    half-written is left in --out."""
    out = tmp_path / "out"

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src))

    monkeypatch.setattr(os, "replace", full)
    assert main(["simulate", *TINY, "--steps", "1", "--json", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["steps"] == 1  # the results came first
    line = one_line(captured.err)
    assert "ENOSPC" in line and str(out) in line and "cannot write" in line
    # the temporary record directory was removed, and the --out folder the write created
    # (it was left empty until session 51)
    assert not out.exists()


def test_simulate_unwritable_out_found_before_work(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["simulate", *TINY, "--steps", "1", "--out", str(blocker / "o")]) == 2
    assert "--out" in one_line(capsys.readouterr().err)


def test_a_directory_the_mode_bits_allow_but_the_filesystem_refuses(monkeypatch, capsys, tmp_path):
    """os.access trusts the mode bits (always yes for root, e.g. on /proc): the check creates
    and removes a directory there, before any work; the message names the value given."""
    import tempfile

    def refused(*args, **kwargs):
        raise OSError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    out = tmp_path / "new" / "o"
    assert main(["simulate", *TINY, "--steps", "1", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing trained, nothing printed
    line = one_line(captured.err)
    assert "--out" in line and str(out) in line and "No such file" in line
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.skipif(not Path("/proc/self").is_dir() or os.geteuid() != 0,
                    reason="needs /proc and root (whose os.access says yes there)")
@pytest.mark.parametrize("flag,value", [("--out", "/proc/x"), ("--timings", "/proc/x.json")])
def test_proc_as_root_is_refused_before_work(capsys, flag, value):
    assert main(["simulate", *TINY, "--steps", "1", flag, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line(captured.err)
    assert flag in line and repr(value) in line


def test_a_failed_timings_write_is_one_line_naming_the_path(monkeypatch, capsys, tmp_path):
    """the write itself fails (disk full): one line naming --timings' path, not the writer's
    hidden temporary file, exit 1"""
    from twolayer.commands import timingflag

    path = tmp_path / "t.json"

    def full(target, text):
        raise OSError(errno.ENOSPC, "No space left on device",
                      str(Path(target).parent / f".{Path(target).name}.abc123.tmp"))

    monkeypatch.setattr(timingflag, "write_text_atomic", full)
    assert main(["simulate", *TINY, "--steps", "1", "--json", "--timings", str(path)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "ENOSPC" in line and f"cannot write {path}:" in line and ".tmp" not in line


def test_records_given_a_file_says_it_is_a_file(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["check", "frei2023", "--quick", "--records", str(blocker)]) == 2
    line = one_line(capsys.readouterr().err)
    assert "--records" in line and "is a file" in line
    assert blocker.read_text() == "x"


def test_record_threads_reports_the_thread_policy(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["simulate", *TINY, "--steps", "1", "--threads", "1", "--quiet",
                 "--out", str(out)]) == 0
    rec = Record.load(next(out.iterdir()))
    assert rec.meta["threads"] == 1
    assert main(["simulate", *TINY, "--steps", "2", "--quiet", "--out", str(out)]) == 0
    recs = [Record.load(p) for p in out.iterdir()]
    assert all(r.meta["threads"] == 1 for r in recs)  # auto: 1 thread for a tiny problem


# ------------------------------------------------------------------------------------------
# signals
# ------------------------------------------------------------------------------------------


def test_signals_module_maps_sigterm_to_an_exception():
    from twolayer.signals import Terminated, exit_status, signal_name, stop_on_signals

    with pytest.raises(Terminated) as e, stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert exit_status(e.value) == 143 and signal_name(e.value) == "SIGTERM"
    assert exit_status(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None) or callable(
        signal.getsignal(signal.SIGTERM))


@pytest.fixture(scope="module")
def startup_seconds(tmp_path_factory) -> float:
    """CPU seconds a whole tiny ``simulate`` takes here: import, one step, write (a fixed
    wait was too short on a machine with a CUDA build of torch, importing took over 4 s there;
    twice the start-up's wall time, the wait until session 51, was 17 s of a loaded 2-core
    host, the child training on both cores meanwhile)."""
    import resource

    cwd = tmp_path_factory.mktemp("startup")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = popen("simulate", *TINY, "--steps", "1", "--quiet", "--out", str(cwd / "o"), cwd=cwd)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has run so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_training(p: subprocess.Popen, startup_cpu: float,
                        seconds: float = 180.0) -> None:
    """Wait until the child has run more CPU than a whole tiny simulate (so it is past its
    imports and training) and catches signals."""
    deadline = time.monotonic() + seconds
    while cpu_seconds(p.pid) < startup_cpu + 0.5:
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "the command did not start training"
        time.sleep(0.05)
    wait_until_it_catches_signals(p)


# `make test` interrupts simulate with SIGINT and check's workers with SIGTERM (the sweep's
# SIGTERM test below too); the other pairs run under `make test-slow` (docs/testing.md)
@pytest.mark.parametrize("sig, code", [
    (signal.SIGINT, 130), pytest.param(signal.SIGTERM, 143, marks=pytest.mark.slow)])
def test_simulate_interrupted_exits_130_or_143_with_one_line(tmp_path, sig, code,
                                                             startup_seconds):
    p = popen("simulate", *TINY, "--steps", "100000000", "--quiet", "--threads", "1",
              "--out", str(tmp_path / "o"), cwd=tmp_path)
    wait_until_training(p, startup_seconds)  # imported and training
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    line = one_line(err)
    assert "interrupted" in line and sig.name in line and "nothing written" in line
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def _slow_spec(tmp_path: Path) -> Path:
    """Two groups: one finishes at once, the other runs for minutes."""
    spec = tmp_path / "slow.toml"
    spec.write_text(SPEC.format(steps=1).replace("[axes]\ndata.noise = [0.0, 0.1]",
                                                 "[axes]\ntrain.steps = [1, 50000000]"))
    return spec


def _start_sweep_mid_run(tmp_path: Path) -> tuple[subprocess.Popen, set[int], Path]:
    store = tmp_path / "store"
    p = popen("sweep", str(_slow_spec(tmp_path)), "--workers", "2", "--threads", "1",
              "--out", str(store), cwd=tmp_path)
    deadline = time.monotonic() + 90
    kids: set[int] = set()
    while time.monotonic() < deadline:  # wait for the fast point's record and the workers
        kids |= children(p.pid)
        done = finished(store) if store.exists() else []
        if done and len(kids) >= 2:
            break
        assert p.poll() is None, p.communicate()
        time.sleep(0.2)
    else:
        p.kill()
        pytest.fail("the sweep did not reach its first finished point in time")
    return p, kids, store


def finished(store: Path) -> list[Path]:
    """record.json of the records renamed into place (not a save's hidden temporary)."""
    return [p for p in (store / "records").glob("*/record.json")
            if not p.parent.name.startswith(".")]


def _assert_no_survivors(kids: set[int], grace: float = 15.0) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(k) for k in kids):
        time.sleep(0.2)
    assert not [k for k in kids if alive(k)], "worker processes survived their parent"


def _assert_finished_point_valid(store: Path) -> None:
    recs = finished(store)
    assert len(recs) == 1
    rec = Record.load(recs[0].parent)
    assert rec.run_id == recs[0].parent.name


def test_sweep_sigterm_exits_143_no_process_left_finished_points_kept(tmp_path):
    p, kids, store = _start_sweep_mid_run(tmp_path)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert "interrupted (SIGTERM)" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    _assert_no_survivors(kids | children(p.pid))
    _assert_finished_point_valid(store)


def test_sweep_sigkill_leaves_no_process(tmp_path):
    p, kids, store = _start_sweep_mid_run(tmp_path)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL
    _assert_no_survivors(kids)
    _assert_finished_point_valid(store)


# ------------------------------------------------------------------------------------------
# one writer per store
# ------------------------------------------------------------------------------------------


def test_two_sweeps_on_one_store_train_each_point_once(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(steps=12000))  # a few seconds per point
    store = tmp_path / "store"
    first = popen("sweep", str(spec), "--json", "--quiet", "--out", str(store), cwd=tmp_path)
    deadline = time.monotonic() + 60
    lock = store / ".lock"
    # the holder names itself in .lock once it has the flock (the file exists before that: a
    # fixed wait after it appeared let the waiter take the lock first on a loaded machine,
    # and the first sweep was then refused)
    while not (lock.exists() and lock.read_text().startswith(f"pid {first.pid} ")):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first sweep did not take the store's lock"
        time.sleep(0.05)
    waiter = popen("sweep", str(spec), "--json", "--quiet", "--wait", "--out", str(store),
                   cwd=tmp_path)
    refused = popen("sweep", str(spec), "--json", "--quiet", "--out", str(store), cwd=tmp_path)
    r_out, r_err = refused.communicate(timeout=120)
    f_out, f_err = first.communicate(timeout=300)
    w_out, w_err = waiter.communicate(timeout=300)
    assert first.returncode == 0 and waiter.returncode == 0, (f_err, w_err)
    a, b = json.loads(f_out), json.loads(w_out)
    assert a["trained"] == 2 and b["trained"] == 0 and b["skipped"] == 2
    if refused.returncode != 0:  # it may start after the first finished: then it trains 0
        assert refused.returncode == 2
        line = one_line(r_err)
        assert "in use by" in line and "pid" in line and "--wait" in line
    else:
        assert json.loads(r_out)["trained"] == 0


SLOW_PLUGIN = '''
import os, time
import numpy as np
from twolayer.api import Record, claim, experiment, outcome, stats


@experiment("{paper}.slow")
def slow(quick, seeds, runtime):
    open(os.path.join({folder!r}, "{paper}.pid"), "w").write(str(os.getpid()))
    time.sleep(600)
    return Record(config={{}}, run_id="x", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": np.ones((2, 1))}})


@claim("{paper}.slow.claim", "x", "Lemma 0", "[PAPER]")
def positive(runs):
    runs.get("{paper}.slow")
    return outcome("holds", 1.0, ">= 0", (1.0, 1.0), 2, "")
'''


@pytest.mark.parametrize("sig,code", [
    (signal.SIGTERM, 143), pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow)])
def test_check_with_workers_interrupted_stops_them_with_one_line(tmp_path, sig, code):
    files = []
    for paper in ("slowa", "slowb"):
        f = tmp_path / f"{paper}.py"
        f.write_text(SLOW_PLUGIN.format(paper=paper, folder=str(tmp_path)))
        files.append(str(f))
    p = popen("check", *files, "--jobs", "2", "--quick", "--no-store", "--quiet",
              cwd=tmp_path)
    deadline = time.monotonic() + 90
    pids: list[int] = []
    while time.monotonic() < deadline and len(pids) < 2:  # both workers inside a paper
        time.sleep(0.5)
        pids = [int(f.read_text()) for f in tmp_path.glob("*.pid") if f.read_text()]
    assert len(pids) == 2, "the workers did not start"
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    line = one_line(err)
    # --no-store: the line does not promise a record store (session 39)
    assert "interrupted" in line and "--no-store: no experiment is kept" in line
    _assert_no_survivors(set(pids))  # no worker left behind (terminated: gone within seconds)


def test_a_closed_stdout_pipe_exits_141_without_a_traceback() -> None:
    """`twolayer figures --list | head -1`: when the reader of stdout goes away, the command
    stops quietly with 141 (what a shell reports for SIGPIPE), not with a BrokenPipeError
    traceback (here the reader closes the pipe before the command writes anything)."""
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-m", "twolayer", "figures", "--list"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


# ------------------------------------------------------------------------------------------
# empty strings and huge ranges a user can type (found by the newuser audit)
# ------------------------------------------------------------------------------------------


def test_figures_empty_out_is_refused_and_writes_nothing(capsys, tmp_path, monkeypatch):
    # Path("") is the working directory: `figures --out ''` used to draw every figure there and
    # overwrite its README.md (run from the repository root: the project's README)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("mine\n")
    assert main(["figures", "--quick", "--quiet", "--out", "", "--no-store"]) == 2
    assert "--out ''" in one_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "mine\n"


@pytest.mark.parametrize("argv, needle", [
    (["simulate", "--preset", "", "--steps", "1"], "--preset ''"),  # was ignored: exit 0
    (["conditions", "--preset", ""], "--preset ''"),
    (["simulate", "--plugin", "", "--steps", "1"], "plugin '': is empty"),  # was: needs __init__
    (["check", "", "--list"], "'' is invalid: is empty"),
    (["figures", "--quick", "--out", "OUT", ""], "plugin '': is empty"),
    (["bench", "--quick", "--doc", ""], "--doc ''"),  # was ignored after a minute of measuring
])
def test_empty_strings_exit_2_with_one_line(capsys, tmp_path, argv, needle):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    t0 = time.perf_counter()
    assert main(argv) == 2
    assert needle in one_line(capsys.readouterr().err)
    assert time.perf_counter() - t0 < 30  # refused before any work
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, key", [
    # num = 10^9 built a billion values (and deduplicated them in O(num^2)): minutes, no error
    ("[axes]\nnet.m = {start = 2, stop = 4, num = 1000000000}\n", "axes.net.m.num"),
    ("[slurm]\ntime = -5\n", "slurm.time"),
    ("[slurm]\ncpus_per_task = 0\n", "slurm.cpus_per_task"),
    ("[slurm]\nmem_gb = inf\n", "slurm.mem_gb"),
    ("[slurm]\nmem_gb = 0\n", "slurm.mem_gb"),
])
def test_sweep_spec_ranges_and_slurm_values_exit_2(capsys, tmp_path, extra, key):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(steps=1).replace("[axes]\ndata.noise = [0.0, 0.1]\n", "")
                    + extra)
    t0 = time.perf_counter()
    assert main(["sweep", str(spec), "--out", str(tmp_path / "store"), "--dry-run"]) == 2
    assert key in one_line(capsys.readouterr().err)
    assert time.perf_counter() - t0 < 30
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("mode", ["--dry-run", "--verify"])
@pytest.mark.parametrize("flags, key", [
    (["--workers", "0"], "--workers 0"),
    (["--workers", "-2"], "--workers -2"),
    (["--workers", "1025"], "--workers 1025"),
    (["--threads", "0"], "--threads 0"),
    (["--executor", "slurm", "--time", "-5"], "--time -5"),
    (["--address", "tcp://127.0.0.1:9"], "--address"),
])
def test_sweep_bad_executor_flags_exit_2_in_a_dry_run_and_verify_too(capsys, tmp_path, mode,
                                                                       flags, key):
    """A dry run "validates": a flag the real run refuses is refused there too."""
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(steps=1))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "store"), mode, *flags]) == 2
    assert key in one_line(capsys.readouterr().err)
    assert not (tmp_path / "store").exists()


def test_sweep_spec_slurm_values_in_range_are_accepted(capsys, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(steps=1) + "[slurm]\ntime = 1\nmem_gb = 0.5\ngpus_per_node = 0\n"
                    "cpus_per_task = 1\narray_parallelism = 1\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "store"), "--dry-run"]) == 0
