"""Session 51: what a sweep's worker processes cost before they train, counted against the
host's free memory (``--workers`` had no upper bound, and 10^5 processes were accepted)."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer import resources
from twolayer.cli import main
from twolayer.commands import sweep as sweep_cmd
from twolayer.errors import ConfigError

# eight points, one engine call each: eight worker processes can train at once
EIGHT_GROUPS = ("seeds = 1\n[base]\ndata.d = 3\ndata.n = 8\ndata.n_test = 8\nnet.m = 2\n"
                "train.steps = 1\nprobe.num_times = 2\n[run]\ngroup_runs = 1\nbaselines = false\n"
                "[axes]\ndata.noise = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]\n")


def _one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "eight.toml"
    p.write_text(EIGHT_GROUPS)
    return p


@pytest.mark.parametrize("mode", [["--dry-run"], []])
def test_worker_processes_that_do_not_fit_the_free_memory_are_refused(
        tmp_path, capsys, monkeypatch, spec, mode) -> None:
    """1 GiB free: eight processes of 256 MiB each do not fit (0.9 of it holds three); the
    message names --workers, the processes' cost and the most that fit, and nothing is written."""
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    monkeypatch.setattr(resources, "free_host_memory", lambda: 1 << 30)
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "8", *mode]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--workers 8" in line and "8 worker processes" in line, line
    assert "2.0 GiB" in line and "give at most 3" in line, line
    assert not out.exists()


def test_the_process_count_is_the_groups_not_the_flag(tmp_path, capsys, monkeypatch,
                                                      spec) -> None:
    """--workers 1000 on a spec of eight engine calls starts eight processes: 2 GiB, which 4 GiB
    free holds (--workers 1000 itself was refused by no check before)."""
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    monkeypatch.setattr(resources, "free_host_memory", lambda: 4 << 30)
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1000", "--dry-run"]) == 0
    capsys.readouterr()


def test_one_worker_is_never_refused_for_its_process(tmp_path, capsys, monkeypatch,
                                                     spec) -> None:
    """The process that trains with --workers 1 is this one (already running): only the
    engine calls' memory is checked, as before."""
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    monkeypatch.setattr(resources, "free_host_memory", lambda: 64 << 20)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "s"), "--dry-run"]) == 0
    capsys.readouterr()


def test_local_slurm_jobs_name_their_spec_key(tmp_path, capsys, monkeypatch) -> None:
    """Under cluster = "local" the processes at once are the spec's array_parallelism: the
    refusal names that key in the spec file, not a --workers the user did not give."""
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    monkeypatch.setattr(resources, "free_host_memory", lambda: 1 << 30)
    p = tmp_path / "s.toml"
    p.write_text(EIGHT_GROUPS + '[slurm]\ncluster = "local"\narray_parallelism = 6\n')
    assert main(["sweep", str(p), "--executor", "slurm", "--out", str(tmp_path / "o"),
                 "--dry-run"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "slurm.array_parallelism" in line and "6 worker processes" in line, line
    assert "--workers" not in line and str(p) in line, line


def test_the_process_cost_constant_covers_a_measured_worker() -> None:
    """WORKER_PROCESS_BYTES is at least the private memory a process holds with PyTorch and
    twolayer's worker imported (RssAnon of a fresh interpreter, measured here). Its resident
    set also counts the shared libraries' pages (VmRSS 222 MiB in one venv, 285 MiB in a fresh
    clone's, with the same 146 MiB private: the file pages in the page cache differed), which
    the worker processes share."""
    import subprocess
    import sys

    code = ("import torch, numpy, twolayer.sweep.worker, twolayer.simulate\n"
            "print(open('/proc/self/status').read().split('RssAnon:')[1].split()[0])")
    try:
        kib = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, timeout=300).stdout)
    except (subprocess.CalledProcessError, ValueError, IndexError):
        pytest.skip("no /proc/self/status here")
    assert kib * 1024 <= sweep_cmd.WORKER_PROCESS_BYTES, kib


def test_a_sweep_whose_run_code_changed_writes_nothing(tmp_path, capsys, monkeypatch,
                                                       spec) -> None:
    """A source file of the run code edited after this process imported twolayer (faked: its
    first-seen digest replaced): exit 2 naming the file, and no store folder, .lock or
    spec.toml (they were created before the fingerprint was first asked for)."""
    from twolayer import sources

    config_py = (sources.ROOT / "config.py").resolve()
    assert config_py in sources._SEEN
    monkeypatch.setitem(sources._SEEN, config_py, ((0, 0, 0, 0), "0" * 64))
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "config.py" in line, line
    assert not out.exists()


def test_a_check_whose_run_code_changed_prints_one_line_and_makes_no_store(
        tmp_path, capsys, monkeypatch) -> None:
    """The same for `check`: it made its record store and printed "checking N claims" before
    the first key found the edit (two lines on stderr, a store folder left)."""
    from twolayer import sources

    kernel_py = (sources.ROOT / "net" / "kernel.py").resolve()
    assert kernel_py in sources._SEEN
    monkeypatch.setitem(sources._SEEN, kernel_py, ((0, 0, 0, 0), "0" * 64))
    store = tmp_path / "records"
    assert main(["check", "frei2023.fig2.low_d_decline", "--quick", "--records",
                 str(store)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "kernel.py" in line, line
    assert not store.exists()


@pytest.mark.parametrize("line, echoed", [
    ("data.d = true", "base.data.d = true is invalid"),
    ("data.d = 1979-05-27", "base.data.d = 1979-05-27 is invalid"),
    ("data.d = 'x y'", 'base.data.d = "x y" is invalid'),
    ("data.noise = inf", "base.data.noise = inf is invalid"),
    ("data.noise = -inf", "base.data.noise = -inf is invalid"),
    ("data.d = [1, true]", "base.data.d = [1, true] is invalid"),
])
def test_spec_values_are_echoed_as_the_spec_spells_them(tmp_path, capsys, line, echoed) -> None:
    """A refused spec value is echoed in TOML's spelling, as the user wrote it (it was Python's:
    ``True``, ``datetime.date(1979, 5, 27)``, ``'x y'``)."""
    p = tmp_path / "s.toml"
    p.write_text(f"seeds = 1\n[base]\n{line}\ndata.n = 8\nnet.m = 2\ntrain.steps = 1\n")
    assert main(["sweep", str(p), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert echoed in err, err


def test_toml_spelling_reads_back_as_the_value() -> None:
    """The spelling is TOML: parsed back (as the value of a key) it is the value itself."""
    import datetime

    from twolayer.sweep.spec import toml_spelling, tomllib

    for v in (True, False, 0, -3, 0.1, 1e300, -2.5e-7, float("inf"), "sgd", "a \"q\" é\n",
              [1, 2.5, "x"], {"start": 0.4, "stop": 1, "weird key": [True]},
              datetime.date(1979, 5, 27), datetime.datetime(1979, 5, 27, 7, 32)):
        assert tomllib.loads(f"k = {toml_spelling(v)}")["k"] == v, v
    assert toml_spelling(float("nan")) == "nan"


def test_a_flag_left_at_its_default_is_not_echoed_as_typed(capsys) -> None:
    """`simulate --objective softmax` was refused as "--second-layer 'frei' is invalid", a flag
    the user did not type; now it is "not given", its default named. A flag typed with the
    same value is still echoed as typed."""
    assert main(["simulate", "--objective", "softmax", "--steps", "1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--second-layer is not given" in line and "default, 'frei'" in line, line
    assert "--second-layer gaussian" in line, line
    assert main(["simulate", "--objective", "softmax", "--second-layer", "frei", "--steps",
                 "1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--second-layer frei is invalid" in line, line


def test_a_failed_save_keeps_a_folder_it_made_that_another_writer_filled(tmp_path,
                                                                         monkeypatch) -> None:
    """The folders a failed save created are removed only while empty: a file another writer
    put there meanwhile stays, with its folder."""
    import json

    from twolayer.record import Record

    rec = Record({"seeds": 1}, "abc", np.arange(2), {"x": np.ones((1, 2))})
    out = tmp_path / "made" / "out"

    def other_writer_then_full(*a, **k):
        (tmp_path / "made" / "theirs.txt").write_text("kept")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", other_writer_then_full)
    with pytest.raises(OSError):
        rec.save(out)
    assert not out.exists()
    assert (tmp_path / "made" / "theirs.txt").read_text() == "kept"


def test_a_folder_the_writability_check_made_is_removed_when_nothing_can_be_written(
        tmp_path, monkeypatch) -> None:
    """ensure_writable_dir creates --out (and its parents), then writes a probe file: where
    that fails (a full disk), the folders it created are gone again and the error names
    --out."""
    import tempfile

    from twolayer.record import ensure_writable_dir

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    with pytest.raises(ConfigError, match="--out"):
        ensure_writable_dir(tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()


def test_workers_at_the_bound_are_accepted(tmp_path, capsys, monkeypatch, spec) -> None:
    monkeypatch.setattr(resources, "free_host_memory", lambda: 64 << 30)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "s"), "--workers", "1024",
                 "--dry-run"]) == 0
    capsys.readouterr()


def test_the_processes_are_held_against_nine_tenths_of_the_free_memory(
        tmp_path, capsys, monkeypatch, spec) -> None:
    """Four processes (1 GiB) with 1.05 GiB free: more than 0.9 of it (as every estimate of
    this machine's memory is held), so refused; with 1.2 GiB free they fit."""
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    for free, status in ((int(1.05 * 2**30), 2), (int(1.2 * 2**30), 0)):
        monkeypatch.setattr(resources, "free_host_memory", lambda free=free: free)
        assert main(["sweep", str(spec), "--out", str(tmp_path / "s"), "--workers", "4",
                     "--dry-run"]) == status
        capsys.readouterr()


def test_a_failed_temporary_folder_leaves_no_out_folder(tmp_path, monkeypatch) -> None:
    """The record's temporary folder cannot be made (the disk filled after the writability
    check): the --out folder the save created is removed too."""
    import pathlib

    from twolayer.record import Record

    rec = Record({"seeds": 1}, "abc", np.arange(2), {"x": np.ones((1, 2))})
    real = pathlib.Path.mkdir

    def mkdir(self, *a, **k):
        if self.name.startswith(".abc.tmp."):
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    with pytest.raises(OSError):
        rec.save(tmp_path / "new" / "out")
    assert not (tmp_path / "new").exists()


def test_the_engine_calls_share_what_the_processes_leave(tmp_path, capsys, monkeypatch) -> None:
    """Two worker processes (512 MiB) and two engine calls of ~41 MiB each (45 MiB with the
    0.9 margin): with 590 MiB free the processes fit (0.9 of it is 531 MiB) and each call would
    fit in half the free memory, but not in half of what the processes leave (39 MiB):
    refused, naming the spec key."""
    from twolayer.sweep.spec import loads

    text = ("seeds = 1\n[base]\ndata.d = 100\ndata.n = 20000\ndata.n_test = 8\nnet.m = 2\n"
            "train.steps = 1\nprobe.num_times = 2\n[run]\ngroup_runs = 1\nbaselines = false\n"
            "[axes]\ndata.noise = [0.0, 0.1]\n")
    need = resources.estimate(loads(text).points()[0].config).total / resources.FREE_FRACTION
    free = 590 * 2**20
    cost = 2 * sweep_cmd.WORKER_PROCESS_BYTES
    assert cost <= resources.FREE_FRACTION * free and need <= free / 2
    assert need > (free - cost) / 2
    monkeypatch.delenv(resources.NO_LIMITS_ENV, raising=False)
    monkeypatch.setattr(resources, "free_host_memory", lambda: free)
    p = tmp_path / "s.toml"
    p.write_text(text)
    assert main(["sweep", str(p), "--out", str(tmp_path / "o"), "--workers", "2",
                 "--dry-run"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--workers" not in line and "data." in line, line


def test_a_value_a_preset_set_is_echoed_not_said_to_be_missing(capsys) -> None:
    """`--preset frei-fig1 --data lms`: the preset's sigma2 is no setting of lms. It is the
    preset's value, not one left at its default: echoed as before."""
    assert main(["simulate", "--preset", "frei-fig1", "--data", "lms", "--steps", "1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--sigma2 0.02 is invalid" in line and "not given" not in line, line
