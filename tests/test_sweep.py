"""Sweeps: spec parsing and validation, batched groups against per-point ``simulate``, the
store (resume, summary table against the records), a killed sweep resumed, the local executor,
and the CLI's bad-input behaviour (exit 2, nothing written).

Every setting is tiny (d = 10, n = 40, m = 8, a few steps) so the file runs in well under a
minute on a loaded 2-core machine.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import TINY_BASE, InProcess, stub_sbatch

from twolayer.cli import main
from twolayer.engine import Runtime
from twolayer.errors import ConfigError
from twolayer.simulate import simulate
from twolayer.sweep import SpecError, Store, load, loads, run_sweep
from twolayer.sweep.executors import LocalExecutor
from twolayer.sweep.store import current_code, failure_document
from twolayer.sweep.worker import plan_groups, run_group

TINY = "\nseeds = 2" + TINY_BASE


def records_equal(a, b) -> bool:
    return (a.run_id == b.run_id and a.config == b.config and np.array_equal(a.times, b.times)
            and set(a.arrays) == set(b.arrays)
            and all(np.array_equal(a.arrays[k], b.arrays[k], equal_nan=True) for k in a.arrays))


# ------------------------------------------------------------------------------------------
# spec
# ------------------------------------------------------------------------------------------


def test_axes_lists_and_ranges_give_the_cartesian_grid() -> None:
    spec = loads(TINY + """
[axes]
data.noise = {start = 0.0, stop = 0.2, step = 0.1}
data.n = {start = 10, stop = 1000, num = 3, scale = "log"}
"net.init_var" = [0.001, 0.01]
""")
    assert [a.key for a in spec.axes] == ["data.noise", "data.n", "net.init_var"]
    assert spec.axes[0].values == (0.0, 0.1, 0.2)
    assert spec.axes[1].values == (10, 100, 1000)  # 10^1, 10^2, 10^3, integers
    assert spec.shape == (3, 3, 2)
    points = spec.points()
    assert len(points) == 18
    # row-major: the last axis varies fastest; every config carries the axis values
    p = points[7]
    i, j, k = np.unravel_index(7, spec.shape)
    assert p.coords == {"data.noise": spec.axes[0].values[i], "data.n": spec.axes[1].values[j],
                        "net.init_var": spec.axes[2].values[k]}
    assert p.config.data.n == p.coords["data.n"] and p.config.net.init_var == p.coords[
        "net.init_var"]
    assert p.config.data.d == 10 and p.config.seeds == 2 and p.config.seed == 0
    assert len({q.run_id for q in points}) == 18


def test_linear_num_range_and_preset_base() -> None:
    spec = loads("""
[base]
preset = "frei-fig1"
train.steps = 7
[axes]
train.lr = {start = 0.05, stop = 0.2, num = 4}
""")
    assert spec.axes[0].values == (0.05, 0.1, 0.15, 0.2)
    cfg = spec.points()[0].config
    assert cfg.data.d == 2 and cfg.data.n == 5000 and cfg.net.m == 500  # from the preset
    assert cfg.train.steps == 7  # the spec's override wins


@pytest.mark.parametrize("text, key", [
    ("bogus = 1", "bogus"),
    ("[axes]\ndata.dd = [1, 2]", "axes.data.dd"),
    ("[axes]\ndata.d = []", "axes.data.d"),
    ("[axes]\ndata.d = ['a', 'b']", "axes.data.d"),
    ("[axes]\ndata.noise = {start = 0, stop = 1}", "axes.data.noise"),
    ("[axes]\ndata.noise = {start = 0, stop = 0.1, num = 2, by = 3}", "axes.data.noise.by"),
    ("[axes]\nnet.m = [8, 1]", "axes.net.m"),  # m = 1 with the ±1/√m head (odd m runs)
    ("[base]\npreset = 'nope'", "base.preset"),
    ("[base]\ndata.noise = 'high'", "base.data.noise"),
    ("[base]\nseeds = 3", "base.seeds"),
    ("[base]\nweights = 3", "base.weights"),
    ("seeds = 0", "seeds"),
    ("[run]\ngroup_runs = 'x'", "run.group_runs"),
    ("[slurm]\npartitions = 'cpu'", "slurm.partitions"),
    ("[slurm]\ncluster = 'pbs'", "slurm.cluster"),
    ("[slurm]\npartition = ''", "slurm.partition"),  # sbatch's default, not the spec's
    ("[slurm]\naccount = ' lab '", "slurm.account"),
    ("[base]\nprobe.probes = ['errors', 'nope']", "base.probe.probes"),  # was found in training
    ("[axes]\nprobe.probes = [['errors'], ['nope']]", "axes.probe.probes"),
    ("name = '..'", "name"),  # the default store sweep-results/.. is the current directory
    ("name = '.'", "name"),
    ("name = 'a\\u0000b'", "name"),  # NUL: a ValueError from mkdir
])
def test_invalid_spec_names_the_key(text: str, key: str) -> None:
    with pytest.raises(SpecError) as e:
        base = TINY.replace("seeds = 2\n", "")
        if text.startswith("[base]"):
            doc = text  # its own [base] table
        elif text.startswith("["):
            doc = base + "\n" + text
        else:  # a top-level key comes before the tables
            doc = text + "\n" + base
        loads(doc, source="s.toml")
    assert e.value.field == key
    assert f"s.toml: {key} = " in str(e.value)
    assert isinstance(e.value, ConfigError)


def test_invalid_spec_on_the_cli_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.1, 0.7]\n")  # η = 0.7 is out of range
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "axes.data.noise = 0.7 is invalid" in err and "[0, 0.5)" in err
    assert not out.exists()
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert not out.exists()


def test_an_unknown_probe_exits_2_before_the_store_exists(tmp_path: Path, capsys) -> None:
    """The engine used to find an unknown probe name in the first group's training: exit 2
    naming ``--probes`` (a flag sweep does not have), with the store already created."""
    spec = tmp_path / "bad.toml"
    spec.write_text(TINY + "probe.probes = ['errors', 'nope']\n")
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'base.probe.probes = "nope" is invalid' in err
    assert not out.exists()


@pytest.mark.parametrize("probe", ["badger_scale", "badger_acc"])
def test_the_badger_experiments_probes_are_sweep_probes(probe: str) -> None:
    """badger_scale (which `check --record` asks a badger record for) and badger_acc were
    registered by twolayer.experiments alone, so a sweep refused them and a sweep worker's
    training raised: the oracle is a fresh process that imports only the sweep worker and trains
    with the probe, and a spec that names it is read."""
    spec = loads(TINY.replace("[base]", "[base]\ndata.kind = 'badger'\ndata.num_classes = 3"
                              "\ntrain.objective = 'softmax'\nnet.second_layer = 'gaussian'", 1)
                 + f"probe.probes = ['{probe}']\n")
    assert spec.points()[0].config.probe.probes == (probe,)
    code = ("from twolayer.sweep.worker import run_group\n"
            "from twolayer.config import Config\n"
            "cfg = Config.from_dict({'data': {'kind': 'badger', 'num_classes': 3, 'd': 6,"
            " 'n': 20, 'n_test': 20}, 'net': {'m': 4, 'second_layer': 'gaussian'},"
            " 'train': {'steps': 2,"
            f" 'objective': 'softmax'}}, 'probe': {{'num_times': 2, 'probes': ['{probe}']}}}})\n"
            "out = run_group([cfg.to_dict()], 'cpu', 1)\n"
            "print(out[0].status, sorted(k for k in out[0].record.arrays\n"
            f"                            if k.startswith('{probe}/')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"'{probe}/" in out.stdout, out.stdout


def test_a_plugins_probe_is_a_sweep_probe(tmp_path: Path, monkeypatch) -> None:
    from twolayer.plugins import PLUGIN_ENV

    monkeypatch.setenv(PLUGIN_ENV, "")  # restored after: load() names the plugin there
    plugin = tmp_path / "myprobe.py"
    plugin.write_text("import torch\nfrom twolayer.probes import register\n\n\n"
                      "@register('audit_sweep_probe')\ndef probe(state):\n"
                      "    return {'one': torch.ones(state.params.W.shape[0])}\n")
    spec = tmp_path / "s.toml"
    spec.write_text("plugins = ['myprobe.py']\n" + TINY
                    + "probe.probes = ['errors', 'audit_sweep_probe']\n")
    points = load(spec).points()
    assert points[0].config.probe.probes == ("errors", "audit_sweep_probe")


def test_a_spec_named_dot_dot_does_not_write_into_the_current_directory(
        tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text("name = '..'\n" + TINY)
    assert main(["sweep", "s.toml"]) == 2
    assert 'name = ".." is invalid' in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# ------------------------------------------------------------------------------------------
# groups
# ------------------------------------------------------------------------------------------


def test_groups_merge_per_run_values_only_and_respect_the_run_cap() -> None:
    spec = loads(TINY + """
[axes]
net.m = [8, 16]
data.noise = [0.0, 0.1, 0.2]
net.init_var = [0.001, 0.01]
""")
    cfgs = [p.config for p in spec.points()]
    groups = plan_groups(cfgs, 32)
    assert [len(g) for g in groups] == [6, 6]  # one group per width m
    for g in groups:
        assert len({cfgs[i].net.m for i in g}) == 1
    capped = plan_groups(cfgs, 5)  # 2 runs per point: at most 2 points per group
    assert all(sum(cfgs[i].seeds for i in g) <= 5 for g in capped)
    assert sorted(i for g in capped for i in g) == list(range(12))


def test_a_batched_group_reproduces_simulate_point_by_point(single_thread) -> None:
    """Oracle: ``simulate`` of each point alone. The data and initial weights (static arrays)
    and the baselines are bitwise equal; the training agrees to float32 rounding: PyTorch's
    vectorised sigmoid and softplus round the last elements of a tensor (past its last full
    pair of vectors) by another code path, so a run's loss coefficients can differ in the last
    bit with its position in the batch; probe reductions likewise (the batched kernels see a
    different run count)."""
    spec = loads(TINY + "[axes]\ndata.noise = [0.0, 0.2]\nnet.init_var = [0.001, 0.01]\n")
    points = spec.points()
    outs = run_group([p.config.to_dict() for p in points], "cpu", None)
    assert [o.status for o in outs] == ["ok"] * 4
    for p, o in zip(points, outs):
        ref = simulate(p.config, Runtime(device="cpu", progress=False))
        rec = o.record
        assert rec.run_id == ref.run_id == p.run_id
        assert set(rec.arrays) == set(ref.arrays)
        for k in ref.arrays:
            if k.startswith(("baseline/", "static/")):
                assert np.array_equal(rec.arrays[k], ref.arrays[k], equal_nan=True), k
            else:
                np.testing.assert_allclose(rec.arrays[k], ref.arrays[k], rtol=1e-5, atol=1e-7,
                                           err_msg=k)


def test_a_diverging_point_fails_alone(tmp_path: Path, single_thread) -> None:
    # ω_init² = 1e80: W = inf in float32, NaN outputs at step 0; same group as the good point
    spec = loads(TINY + "[axes]\nnet.init_var = [0.001, 1e80]\n")
    store = Store(tmp_path)
    rep = run_sweep(spec, store, InProcess())
    good, bad = spec.points()
    assert rep.failed == [bad.run_id] and rep.groups == 1
    assert store.status(good.run_id) == "ok" and store.status(bad.run_id) == "diverged"
    assert "diverged" in store.failure(bad.run_id)["message"]
    assert run_sweep(spec, store, InProcess()).trained == 0  # a recorded failure is not retried
    assert run_sweep(spec, store, InProcess(), force=True).failed == [bad.run_id]


def _edit_failure(path: Path, **changes) -> None:
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


FAILURE_DAMAGE = {  # how a failed/<run_id>.json can be damaged; each was used, or a traceback
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:30]),
    "a JSON list": lambda p: p.write_text("[1, 2]"),  # AttributeError: 'list' has no 'get'
    "status edited to ok": lambda p: _edit_failure(p, status="ok"),  # points.csv said ok
    "message edited": lambda p: _edit_failure(p, message="fine"),
    "checksum dropped, status ok": lambda p: p.write_text(json.dumps(
        {k: v for k, v in json.loads(p.read_text()).items() if k != "content"} | {
            "status": "ok"})),
    "a NaN in it": lambda p: p.write_text(p.read_text().replace(  # ValueError in the checksum
        '"status"', '"extra": NaN, "status"', 1)),
    "filed under another id": lambda p: p.write_text(json.dumps(failure_document(
        "0" * 12, "diverged", "another point's", current_code()))),
}


@pytest.mark.parametrize("damage", FAILURE_DAMAGE, ids=list(FAILURE_DAMAGE))
def test_a_damaged_recorded_failure_is_never_used(tmp_path: Path, single_thread,
                                                   damage) -> None:
    """A recorded failure is verified as a record is (its checksum, the run id it is filed
    under, a failure status): a damaged one is quarantined or, without a checksum, counts as
    other code's; either way the point is trained again and the tables say what training
    said, not what the file said."""
    spec = loads(TINY + "[axes]\nnet.init_var = [0.001, 1e80]\n")  # the second diverges
    store = Store(tmp_path, warn=lambda line: None)
    good, bad = spec.points()
    assert run_sweep(spec, store, InProcess()).failed == [bad.run_id]
    path = tmp_path / "failed" / f"{bad.run_id}.json"
    FAILURE_DAMAGE[damage](path)
    again = run_sweep(spec, store, InProcess())
    assert again.trained == 1 and again.failed == [bad.run_id]  # trained again, not taken
    rows = {r["run_id"]: r["status"] for r in csv.DictReader(
        (tmp_path / "points.csv").open())}
    assert rows == {good.run_id: "ok", bad.run_id: "diverged"}
    assert store.failure(bad.run_id)["message"].startswith("training diverged")
    assert run_sweep(spec, store, InProcess()).trained == 0  # the new failure is intact


def test_a_dry_run_counts_damaged_points_apart_and_moves_nothing(tmp_path: Path, single_thread,
                                                                 capsys) -> None:
    """--dry-run said a damaged record or failure was 'stored by other twolayer code'; it
    now counts them as damaged (a real run quarantines them), and still moves nothing."""
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(TINY + "[axes]\nnet.init_var = [0.001, 1e80, 0.002]\n")
    out = tmp_path / "out"
    spec = loads(spec_path.read_text())
    run_sweep(spec, Store(out), InProcess())
    first, bad, third = spec.points()
    (out / "failed" / f"{bad.run_id}.json").write_text("[1]")
    arrays = out / "records" / first.run_id / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])
    capsys.readouterr()
    assert main(["sweep", str(spec_path), "--out", str(out), "--dry-run"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    # a dry run quarantines nothing: it says what the run would do
    assert "3 points in" in head and ("(2 damaged: the run would quarantine them; the run would "
                                      "train them again)") in head, head
    assert "other twolayer code" not in head
    assert not (out / "quarantine").exists() and arrays.exists()  # a dry run moves nothing


def test_store_verify_checks_recorded_failures(tmp_path: Path, single_thread, capsys) -> None:
    spec = loads(TINY + "[axes]\nnet.init_var = [0.001, 1e80]\n")
    run_sweep(spec, Store(tmp_path), InProcess())
    bad = spec.points()[1].run_id
    assert main(["store", "verify", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intact"] == 2  # the record and the failure
    _edit_failure(tmp_path / "failed" / f"{bad}.json", status="ok")
    assert main(["store", "verify", str(tmp_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [q["path"] for q in doc["quarantined"]] == [str(tmp_path / "failed" / f"{bad}.json")]
    assert not (tmp_path / "failed" / f"{bad}.json").exists()


def test_a_full_disk_mid_sweep_is_one_line_exit_1(tmp_path: Path, monkeypatch, capsys) -> None:
    """np.savez raising ENOSPC after writing part of the file stands in for a full disk while
    a record is stored (the main process writes the store; the worker is another process):
    it was a traceback. Now one line naming the record and the errno, exit 1, and no
    temporary left in records/."""
    import errno

    def full(path, *args, **kwargs):
        Path(path).write_bytes(b"PK\x03\x04partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    spec = tmp_path / "s.toml"
    spec.write_text(TINY)
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    run_id = loads(TINY).points()[0].run_id
    assert "ENOSPC" in err and str(out / "records" / run_id) in err
    assert list((out / "records").iterdir()) == []


def test_a_file_where_the_stores_records_folder_goes_exits_2_naming_out(
        tmp_path: Path, capsys) -> None:
    """It was found when the first record was stored, after training, named as --records (a
    flag sweep does not have), with spec.toml and the lock file written."""
    spec = tmp_path / "s.toml"
    spec.write_text(TINY)
    out = tmp_path / "store"
    out.mkdir()
    (out / "records").write_text("not a folder")
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"--out '{out}' is invalid" in err and "--records" not in err
    assert sorted(p.name for p in out.iterdir()) == ["records"]  # nothing written


def test_failed_table_writes_are_one_line_exit_1_and_leave_no_temporary(
        tmp_path: Path, monkeypatch, capsys) -> None:
    """A folder where summary.csv goes (EISDIR from os.replace) was a traceback; a failing
    parquet writer left its temporary .summary.parquet.tmp.<pid> behind."""
    import errno

    import pyarrow.parquet as pq

    spec = tmp_path / "s.toml"
    spec.write_text(TINY)
    out = tmp_path / "store"
    (out / "summary.csv").mkdir(parents=True)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "EISDIR" in err and str(out / "summary.csv") in err
    (out / "summary.csv").rmdir()

    def full(table, where, *args, **kwargs):
        where.write(b"PAR1partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 1  # the records stored
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ENOSPC" in err
    assert str(out / "summary.parquet") in err
    assert [p.name for p in out.iterdir() if "parquet" in p.name] == []


# ------------------------------------------------------------------------------------------
# store and resume
# ------------------------------------------------------------------------------------------


def test_store_resume_and_summary_table(tmp_path: Path, single_thread) -> None:
    spec = loads(TINY + "[axes]\ndata.noise = [0.0, 0.2]\nnet.m = [8, 16]\n")
    store = Store(tmp_path / "s")
    rep = run_sweep(spec, store, InProcess())
    assert (rep.points, rep.skipped, rep.trained, rep.groups) == (4, 0, 4, 2)
    stamp = {p.run_id: (store.records / p.run_id / "arrays.npz").stat().st_mtime_ns
             for p in spec.points()}
    again = run_sweep(spec, store, InProcess())
    assert (again.skipped, again.trained, again.groups) == (4, 0, 0)
    assert stamp == {r: (store.records / r / "arrays.npz").stat().st_mtime_ns for r in stamp}
    # a point removed from the store is retrained; its group-mate is not rewritten
    victim = spec.points()[0]
    before = store.load(victim.run_id)
    import shutil

    shutil.rmtree(store.records / victim.run_id)
    third = run_sweep(spec, store, InProcess())
    assert (third.skipped, third.trained, third.groups) == (3, 1, 1)
    assert records_equal(store.load(victim.run_id), before)
    for p in spec.points()[1:]:
        assert (store.records / p.run_id / "arrays.npz").stat().st_mtime_ns == stamp[p.run_id]
    # summary: one row per point and seed; values are the records' per-run final values
    with open(store.root / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 * 2
    for row in rows:
        rec = store.load(row["run_id"])
        r = rec.meta["seeds"].index(int(row["seed"]))
        assert float(row["data.noise"]) == rec.config["data"]["noise"]
        assert int(row["net.m"]) == rec.config["net"]["m"]
        assert float(row["test_error"]) == float(rec.arrays["errors/test_error"][r, -1])
        assert float(row["linear_test_error"]) == float(
            rec.arrays["baseline/linear_test_error"][r])
        assert row["status"] == "ok"
    assert (store.root / "points.csv").is_file() and (store.root / "spec.toml").is_file()
    assert not [p for p in store.records.iterdir() if p.name.startswith(".")]


def test_summary_parquet_holds_the_records_values(tmp_path: Path, single_thread) -> None:
    """summary.parquet (written when pyarrow is installed, as in the test extras) is the same
    table as summary.csv, with typed columns, and its values are the records' own."""
    pq = pytest.importorskip("pyarrow.parquet")
    spec = loads(TINY + "[axes]\ndata.noise = [0.0, 0.2]\ntrain.lr = [0.05, 0.1]\n")
    store = Store(tmp_path / "s")
    run_sweep(spec, store, InProcess())
    table = pq.read_table(store.root / "summary.parquet")
    rows = table.to_pylist()
    with open(store.root / "summary.csv") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert len(rows) == len(csv_rows) == 4 * 2 and table.column_names == list(csv_rows[0])
    assert str(table.schema.field("seed").type) == "int64"
    assert str(table.schema.field("test_error").type) == "double"
    for row, crow in zip(rows, csv_rows):
        rec = store.load(row["run_id"])
        r = rec.meta["seeds"].index(row["seed"])
        assert row["data.noise"] == rec.config["data"]["noise"] == float(crow["data.noise"])
        assert row["train.lr"] == rec.config["train"]["lr"]
        assert row["test_error"] == float(rec.arrays["errors/test_error"][r, -1])
        assert row["test_error"] == float(crow["test_error"])
        assert row["status"] == crow["status"] == "ok"
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]


def test_stale_temporary_records_are_removed_on_resume(tmp_path: Path) -> None:
    spec = loads(TINY + "[axes]\ndata.noise = [0.0]\n")
    store = Store(tmp_path)
    run_sweep(spec, store, InProcess())
    old = store.records / f".{spec.points()[0].run_id}.tmp.deadbeef"
    young = store.records / ".abc.tmp.cafef00d"
    for p in (old, young):
        p.mkdir()
        (p / "arrays.npz").write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert run_sweep(spec, store, InProcess()).trained == 0
    assert not old.exists() and young.exists()  # a young one may be another writer's


def test_local_pool_matches_in_process(tmp_path: Path) -> None:
    spec = loads(TINY + "[run]\ngroup_runs = 4\n[axes]\ndata.noise = [0.0, 0.2]\n"
                 "net.m = [8, 16]\n")
    ref, pool = Store(tmp_path / "ref"), Store(tmp_path / "pool")
    run_sweep(spec, ref, InProcess())
    rep = run_sweep(spec, pool, LocalExecutor(workers=2, threads=1))
    assert rep.trained == 4
    for p in spec.points():
        assert records_equal(pool.load(p.run_id), ref.load(p.run_id))


KILL_SPEC = """
seeds = 2
[base]
data.d = 10
data.n = 60
data.n_test = 50
net.m = 16
train.steps = 400
probe.num_times = 8
[run]
group_runs = 2
[axes]
data.noise = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25]
net.init_var = [0.001, 0.01]
"""


def _sweep_cmd(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "twolayer", "sweep", str(spec), "--out", str(out),
            "--workers", "1", "--threads", "1", "--json", "--quiet"]


def complete(records: Path) -> list[Path]:
    """The records renamed into place (pathlib's ``*`` also matches the hidden temporary
    directories of a save in progress, which a restart removes)."""
    return [p for p in records.glob("*/record.json") if not p.parent.name.startswith(".")]


def test_killed_sweep_resumes_and_loses_nothing(tmp_path: Path) -> None:
    spec_path = tmp_path / "kill.toml"
    spec_path.write_text(KILL_SPEC)
    spec = loads(KILL_SPEC)
    total = len(spec.points())  # 12 points in 12 groups (one point of 2 runs per group)
    out = tmp_path / "killed"
    proc = subprocess.Popen(_sweep_cmd(spec_path, out), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    records = out / "records"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = complete(records) if records.exists() else []
            if len(done) >= 2:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    present = len(complete(records))
    assert 2 <= present < total
    # restart with the same command: only the missing points train
    res = subprocess.run(_sweep_cmd(spec_path, out), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["skipped"] == present and rep["trained"] == total - present
    # compare with an uninterrupted run
    ref = Store(tmp_path / "ref")
    run_sweep(spec, ref, InProcess())
    st = Store(out)
    for p in spec.points():
        assert records_equal(st.load(p.run_id), ref.load(p.run_id)), p.coords
    with open(out / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == total * 2 and all(r["status"] == "ok" for r in rows)
    assert all(math.isfinite(float(r["test_error"])) for r in rows)


def test_dry_run_writes_nothing(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0, 0.2]\n")
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "2 points x 2 seeds" in text and "1 engine calls" in text
    assert not out.exists()


def test_slurm_without_sbatch_and_address_without_dask_exit_2(tmp_path: Path, capsys,
                                                              monkeypatch) -> None:
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--address", "tcp://x:1"]) == 2
    assert "--address" in capsys.readouterr().err
    pytest.importorskip("submitit")
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch
    assert main(["sweep", str(spec), "--out", str(out), "--executor", "slurm"]) == 2
    assert "sbatch" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("mode", [[], ["--dry-run"]])
@pytest.mark.parametrize("flags, flag, valid", [
    (["--partition", "x"], "--partition 'x'", "only used with --executor slurm"),
    (["--time", "5"], "--time 5", "only used with --executor slurm"),
    (["--executor", "dask", "--partition", "x"], "--partition 'x'", "--executor slurm"),
    (["--executor", "dask", "--time", "5"], "--time 5", "--executor slurm"),
    (["--executor", "slurm", "--workers", "3"], "--workers 3", "not used with --executor slurm"),
    (["--executor", "slurm", "--partition", ""], "--partition ''", "not empty"),
    (["--executor", "slurm", "--partition", " gpu"], "--partition ' gpu'", "not empty"),
    (["--executor", "dask", "--address", "tcp://127.0.0.1:9", "--workers", "3"], "--workers 3",
     "not used with --address"),
])
def test_executor_flags_of_another_executor_exit_2(tmp_path: Path, capsys, mode, flags, flag,
                                                    valid) -> None:
    """A flag the chosen executor does not use was silently ignored (the sweep trained, exit 0):
    refused like --address without dask, before any work, a dry run included."""
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", *mode, *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and valid in err, err
    assert not out.exists()


@pytest.mark.parametrize("flags", [
    ["--workers", "2"], ["--executor", "dask", "--workers", "2"],
    ["--executor", "slurm", "--partition", "x", "--time", "5", "--threads", "2"],
    ["--executor", "dask", "--address", "tcp://127.0.0.1:9", "--threads", "2"],
])
def test_executor_flags_of_the_chosen_executor_pass_a_dry_run(tmp_path: Path, flags,
                                                              monkeypatch) -> None:
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    stub_sbatch(tmp_path, monkeypatch)  # a dry run refuses slurm without sbatch
    assert main(["sweep", str(spec), "--out", str(tmp_path / "store"), "--dry-run", *flags]) == 0


@pytest.mark.parametrize("other", ["--force", "--dry-run"])
def test_verify_with_force_or_dry_run_exits_2(tmp_path: Path, capsys, other) -> None:
    """--verify --force ignored --force (exit 0); --verify --dry-run printed the dry run's
    listing and never verified (exit 0): each pair is refused, naming both flags."""
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    for argv in (["--verify", other], [other, "--verify"]):
        assert main(["sweep", str(spec), "--out", str(out), *argv]) == 2
        got = capsys.readouterr()
        err = got.err.strip()
        assert len(err.splitlines()) == 1 and other in err and "--verify" in err, err
        assert got.out == "" and not out.exists()


def test_points_stored_by_other_code_are_trained_again(tmp_path: Path, single_thread) -> None:
    """Every record carries the fingerprint of the code that trained it; a resumed sweep
    reuses a point only under the same code: records and recorded failures made by other code
    (here: stamped with a doctored fingerprint), or by a version that did not record one, are
    trained again, with one warning; the next resume reuses them all."""
    import twolayer.sweep.store as sweep_store

    spec = loads(TINY + "[axes]\nnet.init_var = [0.001, 1e80]\ndata.noise = [0.0, 0.2]\n")
    warnings: list[str] = []
    store = Store(tmp_path / "s", warn=warnings.append)
    real = sweep_store.current_code()
    sweep_store._CODE = "0123456789abcdef"  # the code of an older twolayer
    try:
        first = run_sweep(spec, store, InProcess())
    finally:
        sweep_store._CODE = real
    bad = [p.run_id for p in spec.points() if p.config.net.init_var > 1]
    assert sorted(first.failed) == sorted(bad) and first.trained == 4
    assert {store.code_of(p.run_id) for p in spec.points()} == {"0123456789abcdef"}
    again = run_sweep(spec, store, InProcess())
    assert (again.skipped, again.trained, again.other_code) == (0, 4, 4)
    assert sorted(again.failed) == sorted(bad)  # the failures were retried too
    assert len(warnings) == 1 and "4 of 4 points" in warnings[0] and "other twolayer code" in \
        warnings[0]
    assert {store.code_of(p.run_id) for p in spec.points()} == {real}
    third = run_sweep(spec, store, InProcess())
    assert (third.skipped, third.trained, third.other_code) == (4, 0, 0) and len(warnings) == 1
    # a record of a version that did not record its code: trained again
    good = next(p for p in spec.points() if p.run_id not in bad)
    rec = store.load(good.run_id)
    del rec.meta["code"]
    store.record_store.put(rec, rec.config)
    assert store.code_of(good.run_id) is None
    fourth = run_sweep(spec, store, InProcess())
    assert (fourth.skipped, fourth.trained, fourth.other_code) == (3, 1, 1)
    assert store.code_of(good.run_id) == real


def test_the_sweep_command_reports_points_of_other_code(tmp_path: Path, capsys) -> None:
    """The CLI's summary line and --json count the points trained again for other code, and
    --dry-run says how many stored points it would train again (records doctored to carry
    another code fingerprint after a first run)."""
    import json as json_

    spec = tmp_path / "tiny.toml"
    spec.write_text(f'name = "tiny"\n{TINY}[axes]\ndata.noise = [0.0, 0.2]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    store = Store(out)
    for p in loads(spec.read_text()).points():
        rec = store.load(p.run_id)
        rec.meta["code"] = "fedcba9876543210"
        store.record_store.put(rec, rec.config)
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 0
    assert ("2 points in" in (head := capsys.readouterr().out.splitlines()[0])
            and ("(2 stored by other twolayer code or device; the run would train them "
                 "again)") in head)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    doc = json_.loads(captured.out)
    assert (doc["trained"], doc["skipped"], doc["other_code"]) == (2, 0, 2)
    assert "2 of 2 points" in captured.err
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert "2 already stored, 0 trained in 0 engine calls" in line and "other" not in line


def test_workers_running_other_code_are_named(tmp_path: Path, single_thread) -> None:
    """Records that come back from workers running other twolayer code than the sweep's own
    process are stored (they are what the workers computed) with one warning naming both
    fingerprints; a resume from here trains them again."""
    from twolayer.sweep.store import current_code

    class OtherWorkers(InProcess):
        def run(self, tasks, baselines=True):
            for i, outcomes in super().run(tasks, baselines):
                for o in outcomes:
                    if o.record is not None:
                        o.record.meta["code"] = "aaaabbbbccccdddd"
                yield i, outcomes

    spec = loads(TINY + "[axes]\ndata.noise = [0.0, 0.2]\n")
    warnings: list[str] = []
    store = Store(tmp_path / "s", warn=warnings.append)
    rep = run_sweep(spec, store, OtherWorkers())
    assert rep.trained == 2 and len(warnings) == 1
    assert "2 points" in warnings[0] and "aaaabbbbccccdddd" in warnings[0]
    assert current_code() in warnings[0]
    again = run_sweep(spec, store, InProcess())
    assert (again.trained, again.other_code) == (2, 2) and len(warnings) == 2
    assert run_sweep(spec, store, InProcess()).trained == 0 and len(warnings) == 2


def test_points_stored_on_another_device_type_are_trained_again(tmp_path: Path,
                                                                single_thread) -> None:
    """A sweep on the CPU reused a point stored by a GPU sweep (and the other way round) when
    only the code fingerprint was compared: a record doctored to say it was trained on
    ``cuda:0`` is trained again by a ``cpu`` sweep (and counted with the points of other code),
    reused by an ``auto`` sweep; a ``cuda`` sweep would train every CPU record again."""
    import dataclasses

    spec = loads(TINY + "[axes]\ndata.noise = [0.0, 0.2]\n")
    warnings: list[str] = []
    store = Store(tmp_path / "s", warn=warnings.append)
    first = run_sweep(spec, store, InProcess())
    assert (first.trained, first.other_code) == (2, 0)
    ids = [p.run_id for p in spec.points()]
    rec = store.load(ids[0])
    rec.meta["device"] = "cuda:0"
    store.record_store.put(rec, rec.config)
    assert store.device_of(ids[0]) == "cuda:0" and store.device_of(ids[1]) == "cpu"
    code = current_code()
    assert store.other_code(ids, code, "cpu") == [ids[0]]
    assert store.other_code(ids, code, "cuda") == [ids[1]]
    assert store.other_code(ids, code, "cuda:1") == [ids[1]]
    assert store.other_code(ids, code, None) == []
    auto = run_sweep(dataclasses.replace(spec, device="auto"), store, InProcess())
    assert (auto.skipped, auto.trained, auto.other_code) == (2, 0, 0) and not warnings
    again = run_sweep(spec, store, InProcess())  # the spec's device: cpu
    assert (again.skipped, again.trained, again.other_code) == (1, 1, 1)
    assert len(warnings) == 1 and "another device type" in warnings[0]
    assert store.device_of(ids[0]) == "cpu"
