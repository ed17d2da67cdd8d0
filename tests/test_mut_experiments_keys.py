"""How results are keyed, stored, handed to prefetch workers and joined, against oracles written
here: two Runs that differ in one part of the key the docs name (experiment version, mode, seeds,
device type, record format, torch version) never share a stored result; ``at_seeds`` keeps the
mode; the code fingerprint covers every run-producing folder of the package (a hand-written
list); a prefetch worker trains the caller's seed count; a joined record refuses a part whose
arrays differ and sums the parts' wall times.

Mutation testing of the experiments layer (2026-12-05): each of these faults (a key field
dropped, ``at_seeds`` in the other mode, the data folder left out of the fingerprint, a worker
trained at the default seed count, a part with an extra array joined silently, the first part's
wall time for the whole) passed the earlier tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import twolayer.experiments as ex
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime
from twolayer.experiments import EXPERIMENTS, Experiment, Runs, batches, source_fingerprint
from twolayer.record import Record
from twolayer.store import RecordStore

RT = Runtime(device="cpu", progress=False)


def _fake(monkeypatch, version: int = 1, name: str = "mutkeys.exp"):
    calls: list[tuple[bool, int | None]] = []

    def run(quick, seeds, runtime):
        calls.append((quick, seeds))
        R = seeds or 2
        return Record(config={"R": R}, run_id="k", times=np.arange(2),
                      arrays={"x": np.ones((R, 2))})

    monkeypatch.setitem(EXPERIMENTS, name, Experiment(name, "mutkeys", run, version))
    return calls


def test_each_part_of_the_key_keeps_results_apart(monkeypatch, tmp_path):
    store = RecordStore(tmp_path)
    calls = _fake(monkeypatch)
    Runs(quick=True, seeds=2, runtime=RT, store=store).get("mutkeys.exp")
    again = Runs(quick=True, seeds=2, runtime=RT, store=store)
    again.get("mutkeys.exp")
    assert len(calls) == 1 and again.reused == ["mutkeys.exp"]  # same key: read back
    for change in ("version", "format", "torch"):  # each alone: the stored result is not reused
        with monkeypatch.context() as mp:
            if change == "version":
                _fake(mp, version=2)
            elif change == "format":
                mp.setattr(ex, "FORMAT_VERSION", ex.FORMAT_VERSION + 1)
            else:
                mp.setattr(torch, "__version__", "0.0.1+fake")
            runs = Runs(quick=True, seeds=2, runtime=RT, store=store)
            runs.get("mutkeys.exp")
            assert runs.trained == ["mutkeys.exp"] and runs.reused == [], change
    key = Runs(quick=True, seeds=2, runtime=RT).key("mutkeys.exp")
    assert key["device"] == "cpu" and key["quick"] is True and key["seeds"] == 2
    assert key["experiment"] == "mutkeys.exp" and key["version"] == 1
    assert key["torch"] == torch.__version__.split("+")[0]
    assert key["format"] == ex.FORMAT_VERSION


def test_the_device_type_is_part_of_the_key(monkeypatch):
    _fake(monkeypatch)
    cpu = Runs(quick=True, runtime=RT).key("mutkeys.exp")

    class Other:  # a runtime on another device type (no GPU needed to build the key)
        torch_device = torch.device("meta")
        tf32 = False

    from twolayer.net import gpu_kernels

    for f in ("enabled", "forward_enabled", "backward_enabled"):
        monkeypatch.setattr(gpu_kernels, f, lambda device: False)
    other = Runs(quick=True, runtime=Other()).key("mutkeys.exp")  # type: ignore[arg-type]
    assert other["device"] == "meta" and other != cpu


def test_at_seeds_keeps_the_mode_runtime_and_store(tmp_path):
    store = RecordStore(tmp_path)
    for quick in (True, False):
        runs = Runs(quick=quick, seeds=None, runtime=RT, store=store)
        more = runs.at_seeds(12)
        assert (more.quick, more.seeds, more.runtime, more.store) == (quick, 12, RT, store)
        assert more is not runs and not more.trained


# the folders and modules of twolayer whose code produces runs (docs/architecture.md: data,
# network, training, probes, engine); a change to any of them must retrain stored results
RUN_CODE = ("data/xor.py", "data/noise.py", "net/kernel.py", "training/gd.py", "probes/frei.py",
            "probes/liu.py", "engine.py", "simulate.py", "config.py", "record.py")


def test_the_fingerprint_covers_the_run_code_of_the_package(tmp_path):
    src = Path(ex.__file__).resolve().parent.parent
    root = tmp_path / "twolayer"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    base = source_fingerprint(root)
    for rel in RUN_CODE:
        path = root / rel
        assert path.is_file(), rel
        before = path.read_bytes()
        path.write_bytes(before + b"\n# changed\n")
        assert source_fingerprint(root) != base, rel
        path.write_bytes(before)
    for rel in ("claims/frei2023.py", "plots/frei2023.py", "stats.py"):  # verdicts, figures
        path = root / rel
        path.write_bytes(path.read_bytes() + b"\n# changed\n")
        assert source_fingerprint(root) == base, rel


PLUGIN = '''
import os

from twolayer.api import Config, DataConfig, NetConfig, TrainConfig, experiment, simulate


def _tiny(seed, seeds, runtime):
    rec = simulate(Config(data=DataConfig(d=5, n=20, n_test=30), net=NetConfig(m=4),
                          train=TrainConfig(steps=3), seeds=seeds or 2, seed=seed), runtime)
    rec.meta["pid"] = os.getpid()
    return rec


@experiment("mutpf.a")
def a(quick, seeds, runtime):
    return _tiny(1, seeds, runtime)


@experiment("mutpf.b")
def b(quick, seeds, runtime):
    return _tiny(2, seeds, runtime)
'''


@pytest.fixture
def mutpf_plugin(tmp_path):
    """The plugin above, loaded; its experiments unregistered afterwards (left registered,
    they were every later test's too)."""
    from twolayer.plugins import load_path

    path = tmp_path / "mutpf_plugin.py"
    path.write_text(PLUGIN)
    load_path(path)
    yield path
    for name in ("mutpf.a", "mutpf.b"):
        EXPERIMENTS.pop(name, None)


def test_prefetch_workers_train_the_callers_seed_count(tmp_path, mutpf_plugin):
    runs = Runs(quick=True, seeds=3, runtime=RT, store=RecordStore(tmp_path / "store"))
    assert sorted(runs.prefetch(["mutpf.a", "mutpf.b"], jobs=2)) == ["mutpf.a", "mutpf.b"]
    for name in ("mutpf.a", "mutpf.b"):
        rec = runs.get(name)
        assert rec.meta["pid"] != os.getpid(), name  # read back, as the worker trained it
        assert rec.seeds == 3 and rec.arrays["errors/test_error"].shape[0] == 3, name
    assert sorted(runs.trained) == ["mutpf.a", "mutpf.b"] and runs.reused == []


def _parts():
    cfg = Config(data=DataConfig(d=4, n=10, n_test=10), net=NetConfig(m=2),
                 train=TrainConfig(steps=1), seeds=3, seed=5)
    parts = []
    for i, c in enumerate(batches.chunk_configs(cfg, 2)):
        arrays = {"v": np.full((c.seeds, 2), float(i))}
        parts.append(Record(c.to_dict(), c.run_id, np.arange(2), arrays,
                            {"seeds": c.run_seeds, "wall_seconds": 1.5 + i}))
    return cfg, parts


def test_join_refuses_other_arrays_and_sums_wall_times():
    cfg, (a, b) = _parts()
    rec = batches.join_runs(cfg, [a, b])
    assert rec.meta["wall_seconds"] == pytest.approx(1.5 + 2.5)
    assert rec.meta["seeds"] == [5, 6, 7] and rec.meta["chunks"] == [2, 1]
    np.testing.assert_array_equal(rec.arrays["v"][:, 0], [0.0, 0.0, 1.0])
    extra = Record(b.config, b.run_id, b.times, {**b.arrays, "w": np.zeros((1, 2))}, b.meta)
    with pytest.raises(ValueError, match="other arrays"):
        batches.join_runs(cfg, [a, extra])
    fewer = Record(b.config, b.run_id, b.times, {}, b.meta)
    with pytest.raises(ValueError, match="other arrays"):
        batches.join_runs(cfg, [a, fewer])


def test_tf32_runs_are_keyed_apart(monkeypatch):
    """TF32 GEMMs give other numbers: a Runtime that allows them never reads a full-float32
    result (the key carries ``tf32``)."""
    _fake(monkeypatch)
    plain = Runs(quick=True, runtime=RT).key("mutkeys.exp")
    tf32 = Runs(quick=True, runtime=Runtime(device="cpu", progress=False, tf32=True)).key(
        "mutkeys.exp")
    assert "tf32" not in plain and tf32.get("tf32") is True and tf32 != plain


def test_files_digest_is_sha256_of_paths_and_bytes(tmp_path):
    """The documented format, by hashlib: per file its path relative to the base, NUL, its
    bytes, NUL. Two files whose contents are swapped give another digest."""
    import hashlib

    (tmp_path / "sub").mkdir()
    a, b = tmp_path / "a.py", tmp_path / "sub" / "b.py"
    a.write_bytes(b"x = 1\n")
    b.write_bytes(b"y = 2\n")
    want = hashlib.sha256(b"a.py\0x = 1\n\0sub/b.py\0y = 2\n\0").hexdigest()
    assert ex.files_digest([a, b], tmp_path) == want
    a.write_bytes(b"y = 2\n")
    b.write_bytes(b"x = 1\n")
    assert ex.files_digest([a, b], tmp_path) != want
