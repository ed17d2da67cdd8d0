"""Gaps found by mutation testing of the sweep machinery: the spec (``twolayer/sweep/spec.py``:
validation bounds, grid expansion), the groups (``twolayer/sweep/worker.py``), the runner and
the sweep's store (``twolayer/sweep/runner.py``, ``twolayer/sweep/store.py``).

Oracles: grids and ranges enumerated by hand (``itertools.product``, values written out),
groups worked out by hand from the rule "same shapes and training rule, at most group_runs
runs", recorded failures doctored with checksums forged by :mod:`hashlib`.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import TINY_BASE, InProcess

import twolayer.sweep.spec as spec_module
from twolayer.cli import main
from twolayer.sweep import SpecError, Store, loads, run_sweep
from twolayer.sweep.store import current_code, plugins_fingerprint
from twolayer.sweep.worker import plan_groups

BASE = TINY_BASE


def canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def axis(text: str, key: str = "data.noise"):
    return loads(BASE + f"[axes]\n{key} = {text}\n").axes[0].values


# ------------------------------------------------------------------------------------------
# ranges and grids
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, key, want", [
    # (stop - start) / step = 2.9999999999999996 in floating point: the endpoint is included
    ("{start = 0.0, stop = 0.3, step = 0.1}", "data.noise", (0.0, 0.1, 0.2, 0.3)),
    ("{start = 0.1, stop = 0.4, step = 0.1}", "data.noise", (0.1, 0.2, 0.3, 0.4)),
    ("{start = 0.0, stop = 0.49, step = 0.07}", "data.noise",
     (0.0, 0.07, 0.14, 0.21, 0.28, 0.35, 0.42, 0.49)),
    ("{start = 10, stop = 40, step = 10}", "data.n", (10, 20, 30, 40)),
    ("{start = 10, stop = 45, step = 10}", "data.n", (10, 20, 30, 40)),
    ("{start = 0.0, stop = 0.4, num = 5}", "data.noise", (0.0, 0.1, 0.2, 0.3, 0.4)),
    ("{start = 0.25, stop = 0.25, num = 1}", "data.noise", (0.25,)),
    # 1, 2^(1/3), 2^(2/3), 2 rounded: 1, 1, 2, 2 -> each integer once
    ("{start = 1, stop = 2, num = 4, scale = \"log\"}", "train.steps", (1, 2)),
    ("{start = 1, stop = 1000, num = 4, scale = \"log\"}", "train.steps", (1, 10, 100, 1000)),
    ("{start = 0.001, stop = 0.1, num = 3, scale = \"log\"}", "net.init_var",
     (0.001, 0.01, 0.1)),
    ("{start = 0.0001, stop = 0.0002, num = 2}", "net.init_var", (0.0001, 0.0002)),
    ("{start = 1.23456789e-5, stop = 2.0e-5, num = 2}", "net.init_var",
     (1.23456789e-5, 2.0e-5)),
    # the last value is the given stop (to 12 digits), not exp(log(stop)), which rounds the
    # other way here: 791.850491097
    ("{start = 1.0, stop = 791.8504910975, num = 2, scale = \"log\"}", "train.lr",
     (1.0, 791.850491098)),
])
def test_range_values_worked_out_by_hand(text, key, want) -> None:
    got = axis(text, key)
    assert got == want and all(type(v) is type(w) for v, w in zip(got, want))


def test_the_grid_is_the_product_of_the_axes_and_axes_override_the_base() -> None:
    """Row-major product of the axes (itertools.product by hand), indices 0..N-1, and an axis
    that sets a field the base sets too wins at every point."""
    spec = loads("seeds = 3\nseed = 5\n" + BASE + """
[axes]
data.n = [20, 30, 40]
data.noise = [0.0, 0.1]
train.steps = [5, 7]
""")
    assert [a.key for a in spec.axes] == ["data.n", "data.noise", "train.steps"]
    points = spec.points()
    want = list(itertools.product([20, 30, 40], [0.0, 0.1], [5, 7]))
    assert [p.index for p in points] == list(range(len(want)))
    assert [(p.config.data.n, p.config.data.noise, p.config.train.steps) for p in points] == want
    assert [tuple(p.coords.values()) for p in points] == want
    for p in points:
        assert p.config.data.d == 10 and p.config.net.m == 8
        assert p.config.seeds == 3 and p.config.seed == 5 and p.config.run_seeds == [5, 6, 7]
    assert len({p.run_id for p in points}) == len(want)
    # the run id is the hash of the whole config: seed included
    cfg = points[0].config.to_dict()
    assert points[0].run_id == hashlib.sha256(canon(cfg).encode()).hexdigest()[:12]


def test_a_square_grid_is_row_major_too() -> None:
    spec = loads(BASE + "[axes]\ndata.n = [20, 30]\ndata.noise = [0.0, 0.1]\n")
    want = list(itertools.product([20, 30], [0.0, 0.1]))
    assert [tuple(p.coords.values()) for p in spec.points()] == want
    assert [list(p.coords) for p in spec.points()] == [["data.n", "data.noise"]] * 4
    assert [(p.config.data.n, p.config.data.noise) for p in spec.points()] == want


def test_points_csv_numbers_the_points_from_zero(tmp_path: Path, single_thread) -> None:
    spec = loads("seeds = 1\n" + BASE + "[axes]\ndata.noise = [0.0, 0.1]\n")
    run_sweep(spec, Store(tmp_path), InProcess())
    rows = list(csv.DictReader((tmp_path / "points.csv").open()))
    assert [(r["point"], r["data.noise"]) for r in rows] == [("0", "0.0"), ("1", "0.1")]
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["point"] for r in summary] == ["0", "1"]


# ------------------------------------------------------------------------------------------
# validation bounds
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc, key", [
    ("seed = -1\n" + BASE, "seed"),
    ("seeds = 0\n" + BASE, "seeds"),
    (BASE + "[run]\ngroup_runs = 0\n", "run.group_runs"),
    (BASE + "[run]\ngroup_runs = -3\n", "run.group_runs"),
    (BASE + "[axes]\ndata.noise = [0.1, 0.1]\n", "axes.data.noise"),  # a point twice
    (BASE + "[axes]\ndata.n = [20, 30, 20]\n", "axes.data.n"),
    (BASE + "[axes]\ndata.noise = {start = 0.0, stop = 0.2, num = 3, step = 0.1}\n",
     "axes.data.noise"),
    (BASE + "[axes]\ndata.noise = {start = 0.0, stop = 0.2, step = 0}\n",
     "axes.data.noise.step"),
    (BASE + "[axes]\ndata.noise = {start = 0.0, stop = 0.2, step = -0.1}\n",
     "axes.data.noise.step"),
    (BASE + "[axes]\ndata.noise = {start = 0.0, stop = 0.2, num = 0}\n", "axes.data.noise.num"),
    (BASE + "[axes]\ndata.noise = {start = 0.0, stop = nan, num = 2}\n",
     "axes.data.noise.stop"),
    (BASE + "[axes]\ndata.noise = {start = -inf, stop = 0.2, num = 2}\n",
     "axes.data.noise.start"),
    (BASE + "[axes]\nnet.init_var = {start = 0.0, stop = 0.1, num = 3, scale = \"log\"}\n",
     "axes.net.init_var"),
    (BASE + "[axes]\ndata.n = [20, true]\n", "axes.data.n"),
    (BASE + "[axes]\ndata.noise = [0.1, 0.5]\n", "axes.data.noise"),  # eta < 0.5
    (BASE + "[axes]\nnet.m = [8, -8]\n", "axes.net.m"),
    (BASE + "[run]\ndevice = \"mycuda\"\n", "run.device"),
    (BASE + "[run]\nworkers = 2\n", "run.workers"),
    (BASE + "[slurm]\nmem_gb = -1.0\n", "slurm.mem_gb"),
    (BASE + "[slurm]\nmem_gb = 0.0\n", "slurm.mem_gb"),
    (BASE + "[slurm]\ntime = 0\n", "slurm.time"),
    (BASE + "[slurm]\narray_parallelism = 0\n", "slurm.array_parallelism"),
    (BASE + "[slurm]\ngpus_per_node = -1\n", "slurm.gpus_per_node"),
])
def test_out_of_range_settings_name_their_key(doc, key) -> None:
    with pytest.raises(SpecError) as e:
        loads(doc, source="s.toml")
    assert e.value.field == key, str(e.value)
    assert str(e.value).startswith(f"s.toml: {key} = ")


def test_the_smallest_valid_settings_are_accepted() -> None:
    spec = loads("seeds = 1\nseed = 0\n" + BASE + "[run]\ngroup_runs = 1\n[slurm]\ntime = 1\n"
                 "cpus_per_task = 1\narray_parallelism = 1\ngpus_per_node = 0\nmem_gb = 0.001\n"
                 "[axes]\ndata.noise = [0.0, 0.499]\n")
    assert spec.group_runs == 1 and spec.slurm["time"] == 1 and len(spec.points()) == 2
    assert loads(BASE + "[run]\ndevice = \"cuda:1\"\n").device == "cuda:1"


def test_the_grid_and_range_size_limits_are_exact(monkeypatch) -> None:
    """MAX_POINTS points (and values in a range) are allowed, one more is refused, naming the
    key; the limit is lowered here so that the boundary is cheap to build."""
    monkeypatch.setattr(spec_module, "MAX_POINTS", 6)
    ok = loads(BASE + "[axes]\ndata.n = [20, 30, 40]\ndata.noise = [0.0, 0.1]\n")
    assert len(ok.points()) == 6
    with pytest.raises(SpecError) as e:
        loads(BASE + "[axes]\ndata.n = [20, 30, 40, 50, 60, 70, 80]\n")
    assert e.value.field == "axes"
    assert len(axis("{start = 10, stop = 60, num = 6}", "data.n")) == 6
    with pytest.raises(SpecError) as e:
        axis("{start = 10, stop = 70, num = 7}", "data.n")
    assert e.value.field == "axes.data.n.num"
    assert len(axis("{start = 10, stop = 60, step = 10}", "data.n")) == 6
    with pytest.raises(SpecError) as e:
        axis("{start = 10, stop = 70, step = 10}", "data.n")
    assert e.value.field == "axes.data.n"


def test_a_preset_s_notes_are_not_config_fields() -> None:
    """A preset's ``about`` (and the other non-field entries) are not settings: the spec loads,
    and every other entry of the preset reaches the config."""
    from twolayer.presets import preset

    values = preset("frei-fig1")
    assert set(values) & set(spec_module.PRESET_META)  # the preset has such entries
    spec = loads("[base]\npreset = \"frei-fig1\"\ntrain.steps = 3\n")
    cfg = spec.points()[0].config.to_dict()
    for k, v in values.items():
        if k in spec_module.PRESET_META or k == "train__steps":
            continue
        sec, fld = k.split("__", 1) if "__" in k else ("", k)
        got = cfg[sec][fld] if sec else cfg[fld]
        assert got == (list(v) if isinstance(v, tuple) else v), k


# ------------------------------------------------------------------------------------------
# groups
# ------------------------------------------------------------------------------------------


def test_groups_worked_out_by_hand() -> None:
    """Points that differ only in per-run values (noise, init variance, seed) share a group in
    order of appearance, up to group_runs runs; a field of the training rule (the step size)
    or a shape (n) separates groups."""
    spec = loads("seeds = 2\n" + BASE + """
[axes]
train.lr = [0.05, 0.1]
data.noise = [0.0, 0.1, 0.2]
""")
    cfgs = [p.config for p in spec.points()]  # lr-major: points 0-2 at lr 0.05, 3-5 at 0.1
    assert plan_groups(cfgs, 32) == [[0, 1, 2], [3, 4, 5]]
    assert plan_groups(cfgs, 6) == [[0, 1, 2], [3, 4, 5]]  # exactly 6 runs fit
    assert plan_groups(cfgs, 5) == [[0, 1], [2], [3, 4], [5]]
    assert plan_groups(cfgs, 4) == [[0, 1], [2], [3, 4], [5]]
    assert plan_groups(cfgs, 1) == [[0], [1], [2], [3], [4], [5]]  # a point over the cap alone
    sizes = loads("seeds = 2\n" + BASE
                  + "[axes]\ndata.n = [20, 30]\nnet.init_var = [0.001, 0.01]\n")
    assert plan_groups([p.config for p in sizes.points()], 32) == [[0, 1], [2, 3]]
    seeds = loads("seeds = 3\n" + BASE + "[axes]\ndata.noise = [0.0, 0.1]\n")
    assert plan_groups([p.config for p in seeds.points()], 2) == [[0], [1]]


# ------------------------------------------------------------------------------------------
# recorded failures: forged checksums
# ------------------------------------------------------------------------------------------

DIVERGING = "seeds = 2\n" + BASE + "[axes]\nnet.init_var = [0.001, 1e80]\n"


def forge_failure(path: Path, **changes) -> None:
    doc = json.loads(path.read_text())
    doc.update(changes)
    body = {k: v for k, v in doc.items() if k != "content"}
    body["content"] = hashlib.sha256(canon({k: v for k, v in body.items()}).encode()).hexdigest()
    path.write_text(json.dumps(body))


@pytest.mark.parametrize("changes", [
    {"status": "ok"}, {"status": "missing"}, {"message": 123}, {"code": None},
    {"code": ["x"]},
], ids=["status ok", "status missing", "message not text", "code null", "code a list"])
def test_a_recorded_failure_edited_under_a_forged_checksum_is_never_used(
        tmp_path: Path, single_thread, changes) -> None:
    spec = loads(DIVERGING)
    lines: list[str] = []
    store = Store(tmp_path, warn=lines.append)
    good, bad = spec.points()
    assert run_sweep(spec, store, InProcess()).failed == [bad.run_id]
    path = tmp_path / "failed" / f"{bad.run_id}.json"
    forge_failure(path, **changes)
    assert store.damaged(bad.run_id) and store.code_of(bad.run_id) is None
    again = run_sweep(spec, store, InProcess())
    assert again.trained == 1 and again.failed == [bad.run_id]
    assert any("quarantine" in x for x in lines)
    assert store.failure(bad.run_id)["status"] == "diverged"


def test_a_recorded_failure_is_verified_and_quarantined_by_verify_points(
        tmp_path: Path, single_thread) -> None:
    spec = loads(DIVERGING)
    store = Store(tmp_path, warn=lambda line: None)
    good, bad = spec.points()
    run_sweep(spec, store, InProcess())
    path = tmp_path / "failed" / f"{bad.run_id}.json"
    forge_failure(path, message="edited")
    text = path.read_text()
    forge_failure(path, run_id="0" * 12)
    assert store.verify_points([good.run_id, bad.run_id]) == [bad.run_id]
    assert not path.exists()
    moved = [p for p in (tmp_path / "quarantine").iterdir() if p.suffix != ".why"]
    assert len(moved) == 1
    path.write_text(text)  # intact (forged content but consistent): kept
    assert store.verify_points([bad.run_id]) == [] and path.exists()


def test_a_point_that_trains_after_failing_keeps_no_failure(tmp_path: Path,
                                                            single_thread) -> None:
    """A record stored for a point removes the point's recorded failure (a failure of older
    code trained again, or --force after a fix): the store holds one outcome per point."""
    from twolayer.sweep.store import failure_document

    spec = loads("seeds = 2\n" + BASE + "[axes]\nnet.init_var = [0.001]\n")
    store = Store(tmp_path, warn=lambda line: None)
    (p,) = spec.points()
    store.failed.mkdir(parents=True)
    path = store.failed / f"{p.run_id}.json"
    for code, force in (("0123456789abcdef", False), (current_code(), True)):
        path.write_text(json.dumps(failure_document(
            p.run_id, "diverged", "training diverged (an older engine)", code)))
        if force:
            assert run_sweep(spec, store, InProcess()).trained == 0  # kept: this code's
        rep = run_sweep(spec, store, InProcess(), force=force)
        assert rep.trained == 1 and rep.failed == []
        assert sorted(x.name for x in store.failed.iterdir()) == []
        assert store.status(p.run_id) == "ok"
        (store.records / p.run_id / "arrays.npz").write_bytes(b"PK")  # damaged: trained again
        rep = run_sweep(spec, store, InProcess())
        assert rep.trained == 1 and rep.failed == [] and store.status(p.run_id) == "ok"
        store.record_store.load(p.run_id)


# ------------------------------------------------------------------------------------------
# the code fingerprint of a sweep's plugins
# ------------------------------------------------------------------------------------------


def test_the_plugins_fingerprint_covers_every_file_of_every_plugin(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """Editing any file of any plugin named in TWOLAYER_PLUGINS (a folder's nested files too)
    changes the code a sweep's points are stored under; the fingerprint does not depend on
    where the plugins lie nor on their order."""
    from twolayer.plugins import PLUGIN_ENV

    def plugins(root: Path) -> list[str]:
        (root / "pkg" / "sub").mkdir(parents=True, exist_ok=True)
        (root / "pkg" / "__init__.py").write_text("A = 1\n")
        (root / "pkg" / "sub" / "deep.py").write_text("B = 2\n")
        (root / "one.py").write_text("C = 3\n")
        return [str(root / "one.py"), str(root / "pkg")]

    here = plugins(tmp_path / "here")
    there = plugins(tmp_path / "there")
    fp = plugins_fingerprint(here)
    assert len(fp) == 16 and fp == plugins_fingerprint(there) == plugins_fingerprint(here[::-1])
    assert plugins_fingerprint([]) == ""
    assert plugins_fingerprint(here[:1]) != fp  # the second plugin counts
    (tmp_path / "here" / "pkg" / "sub" / "deep.py").write_text("B = 3\n")
    assert plugins_fingerprint(here) != fp
    monkeypatch.setenv(PLUGIN_ENV, "")
    bare = current_code()
    monkeypatch.setenv(PLUGIN_ENV, here[0])
    with_plugin = current_code()
    assert with_plugin == f"{bare}+{plugins_fingerprint(here[:1])}"
    (tmp_path / "here" / "one.py").write_text("C = 4\n")
    assert current_code() != with_plugin


# ------------------------------------------------------------------------------------------
# runner
# ------------------------------------------------------------------------------------------


def test_load_records_holds_the_stored_points_only(tmp_path: Path, single_thread) -> None:
    from twolayer.sweep import load_records

    spec = loads("seeds = 1\n" + BASE + "[axes]\nnet.init_var = [0.001, 1e80, 0.002]\n")
    store = Store(tmp_path, warn=lambda line: None)
    run_sweep(spec, store, InProcess())  # the second point diverges: no record
    first, _, third = spec.points()
    (store.records / third.run_id / "arrays.npz").write_bytes(b"PK")  # damaged
    got = load_records(spec, store)
    assert sorted(got) == [0] and got[0].run_id == first.run_id


def test_summary_rows_say_damaged_for_a_record_that_fails_verification(tmp_path: Path,
                                                                     single_thread) -> None:
    import math

    spec = loads("seeds = 2\n" + BASE + "[axes]\ndata.noise = [0.0, 0.1]\n")
    store = Store(tmp_path, warn=lambda line: None)
    run_sweep(spec, store, InProcess())
    a, b = spec.points()
    (store.records / b.run_id / "arrays.npz").write_bytes(b"PK")
    rows = store.summary_rows(spec.points())
    assert [(r["run_id"], r["seed"], r["status"]) for r in rows] == [
        (a.run_id, 0, "ok"), (a.run_id, 1, "ok"), (b.run_id, 0, "damaged"),
        (b.run_id, 1, "damaged")]
    assert all(math.isfinite(r["test_error"]) for r in rows[:2])
    assert all(math.isnan(r["test_error"]) for r in rows[2:])


def test_a_recorded_failure_is_written_atomically(tmp_path: Path, monkeypatch) -> None:
    """A failure document is written beside the old one and renamed into place: a crash
    before the rename (os.replace raising) leaves the old document byte for byte."""
    import os

    from twolayer.sweep.store import failure_document
    from twolayer.sweep.worker import Outcome

    store = Store(tmp_path, warn=lambda line: None)
    run_id = "ab" * 6
    store.failed.mkdir(parents=True)
    path = store.failed / f"{run_id}.json"
    path.write_text(json.dumps(failure_document(run_id, "diverged", "old", current_code())))
    before = path.read_bytes()
    real = os.replace

    def crash(src, dst):
        if str(dst) == str(path):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(Outcome(run_id, "diverged", None, "new"))
    assert path.read_bytes() == before
    assert [p.name for p in store.failed.iterdir()] == [path.name]


def test_a_failure_of_an_older_twolayer_is_other_code_not_damage(tmp_path: Path,
                                                                 capsys) -> None:
    """A failure document without a checksum (written before failures carried one) is intact
    but of unrecorded code: not damaged, not quarantined, counted intact by verify, and its
    point trained again."""
    store = Store(tmp_path, warn=lambda line: None)
    run_id = "cd" * 6
    store.failed.mkdir(parents=True)
    path = store.failed / f"{run_id}.json"
    path.write_text(json.dumps({"run_id": run_id, "status": "diverged", "message": "old"}))
    assert not store.damaged(run_id) and store.code_of(run_id) is None
    assert store.other_code([run_id], current_code()) == [run_id]
    assert store.verify_points([run_id]) == [] and path.exists()
    report = store.verify()
    assert report.intact == 1 and report.quarantined == [] and path.exists()


def test_force_forgets_the_recorded_failures_before_training(tmp_path: Path,
                                                             single_thread) -> None:
    """--force retries every recorded failure: they are dropped before any training, so a
    forced sweep interrupted after its first group leaves the other points missing (a plain
    resume trains them), not holding the failures --force was asked to retry."""

    class Interrupted(InProcess):
        def run(self, tasks, baselines=True):
            for i, outcomes in super().run(tasks, baselines):
                yield i, outcomes
                raise KeyboardInterrupt

    spec = loads("seeds = 2\n" + BASE + "[run]\ngroup_runs = 2\n"
                 "[axes]\nnet.init_var = [1e80, 1e81, 1e82]\n")
    store = Store(tmp_path, warn=lambda line: None)
    assert len(run_sweep(spec, store, InProcess()).failed) == 3
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, store, Interrupted(), force=True)
    first, *rest = spec.points()
    assert store.status(first.run_id) == "diverged"
    assert [store.status(p.run_id) for p in rest] == ["missing", "missing"]
    rep = run_sweep(spec, store, InProcess())
    assert rep.trained == 2 and rep.skipped == 1


def test_the_report_counts_points_once(tmp_path: Path, single_thread) -> None:
    """points = skipped + trained on every run; a point of other code is not also counted as
    skipped."""
    import twolayer.sweep.store as sweep_store

    spec = loads("seeds = 1\n" + BASE + "[axes]\ndata.noise = [0.0, 0.1, 0.2]\n")
    lines: list[str] = []
    store = Store(tmp_path, warn=lines.append)
    real = sweep_store.current_code()
    sweep_store._CODE = "0123456789abcdef"
    try:
        first = run_sweep(spec, store, InProcess())
    finally:
        sweep_store._CODE = real
    # a fresh store: nothing was stored, by any code
    assert (first.skipped, first.trained, first.other_code) == (0, 3, 0) and lines == []
    rep = run_sweep(spec, store, InProcess())
    assert (rep.points, rep.skipped, rep.trained, rep.other_code) == (3, 0, 3, 3)
    assert main(["store", "verify", str(tmp_path), "--json"]) == 0


def test_each_run_of_a_batched_group_reads_its_own_points_config(single_thread) -> None:
    """Points of one group train in one call; a probe reading a per-run config value
    (``state.config_values``) sees each run's own point's value, not the first point's."""
    import torch

    from twolayer.probes import REGISTRY, register
    from twolayer.sweep.worker import run_group

    @register("mut_sweep_noise_probe")
    def probe(state):
        return {"eta": state.config_values("data.noise").to(torch.float32)}

    try:
        spec = loads("seeds = 2\n" + BASE + "probe.probes = ['errors', 'mut_sweep_noise_probe']\n"
                     "[axes]\ndata.noise = [0.0, 0.2, 0.4]\n")
        points = spec.points()
        assert plan_groups([p.config for p in points], 32) == [[0, 1, 2]]
        outs = run_group([p.config.to_dict() for p in points], "cpu", None, False)
        for p, o in zip(points, outs):
            eta = o.record.arrays["mut_sweep_noise_probe/eta"]
            assert eta.shape[0] == 2 and np.all(eta == np.float32(p.config.data.noise)), p.coords
    finally:
        REGISTRY.pop("mut_sweep_noise_probe", None)


def test_run_sweep_refuses_a_store_whose_folders_are_files_before_training(
        tmp_path: Path) -> None:
    """The API refuses, as the command does, a store whose records/ or failed/ is a file,
    before the executor trains anything."""
    from twolayer.errors import ConfigError

    class Never(InProcess):
        def run(self, tasks, baselines=True):
            pytest.fail("trained")
            yield from ()

    spec = loads("seeds = 1\n" + BASE + "[axes]\ndata.noise = [0.0]\n")
    for name in ("records", "failed"):
        root = tmp_path / name
        root.mkdir()
        (root / name).write_text("not a folder")
        with pytest.raises(ConfigError) as e:
            run_sweep(spec, Store(root), Never())
        assert e.value.field == "out" and "is a file" in str(e.value)
        assert sorted(p.name for p in root.iterdir()) == [name]


def test_axes_keep_the_files_order_grouped_by_section_as_documented() -> None:
    """docs/sweeps.md: the grid's order is the file's, except that TOML groups dotted keys by
    section (data.n, train.steps, data.noise -> data.n, data.noise, train.steps); the first
    axis varies slowest. Points enumerated by hand in that order."""
    from twolayer.sweep.spec import loads

    text = """
seeds = 1
[base]
data.d = 5
data.n = 20
train.steps = 2
probe.probes = ["errors"]
[axes]
data.n = [20, 30]
train.steps = [2, 3]
data.noise = [0.0, 0.1]
"""
    spec = loads(text, "order.toml")
    assert [a.key for a in spec.axes] == ["data.n", "data.noise", "train.steps"]
    want = [(n, eta, t) for n in (20, 30) for eta in (0.0, 0.1) for t in (2, 3)]
    got = [(p.coords["data.n"], p.coords["data.noise"], p.coords["train.steps"])
           for p in spec.points()]
    assert got == want
