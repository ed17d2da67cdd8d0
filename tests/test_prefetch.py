"""Runs.prefetch and the figures' ``parallel`` experiments: trained in spawned worker processes
on the shared record store, read back verified, and the same numbers as trained here.

The plugin below registers two tiny experiments that note the process that trained them, and a
figure that declares both ``parallel`` and writes those process ids next to its PNG. Where a test
sets ``PFTEST_MEET`` to a folder, each experiment leaves its name there and waits (up to a
minute) until the other has started: a worker that finished one experiment before the second
worker was up could otherwise take both, so "two at once" is shown by a rendezvous, not left
to start-up order."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from twolayer.cli import main
from twolayer.engine import Runtime
from twolayer.experiments import Runs
from twolayer.store import RecordStore

PLUGIN = '''
import os
import time
from pathlib import Path

from twolayer.api import Config, DataConfig, NetConfig, TrainConfig, experiment, figure, simulate


def _meet(name):
    folder = os.environ.get("PFTEST_MEET")
    if not folder:
        return
    (Path(folder) / name).touch()
    deadline = time.monotonic() + 60
    while len(list(Path(folder).iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)


def _tiny(name, seed, runtime):
    _meet(name)
    rec = simulate(Config(data=DataConfig(d=5, n=20, n_test=30), net=NetConfig(m=4),
                          train=TrainConfig(steps=5), seeds=2, seed=seed), runtime)
    rec.meta["pid"] = os.getpid()
    return rec


@experiment("pftest.a")
def a(quick, seeds, runtime):
    return _tiny("a", 1, runtime)


@experiment("pftest.b")
def b(quick, seeds, runtime):
    return _tiny("b", 2, runtime)


@figure("pftest-fig", "pftest", "pids", "no paper figure", parallel=("pftest.a", "pftest.b"))
def fig(out_dir, runs):
    path = Path(out_dir) / "pftest-fig.txt"
    path.write_text(" ".join(str(runs.get(n).meta["pid"]) for n in ("pftest.a", "pftest.b")))
    return [path]
'''


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    from twolayer.plugins import load_path

    path = tmp_path_factory.mktemp("plugin") / "pftest_plugin.py"
    path.write_text(PLUGIN)
    load_path(path)
    return path


def _runs(store: Path | None) -> Runs:
    return Runs(quick=True, runtime=Runtime(device="cpu", progress=False),
                store=RecordStore(store) if store is not None else None)


def _meet_in(tmp_path: Path, monkeypatch) -> None:
    """Make the two experiments wait for each other (inherited by spawned workers)."""
    folder = tmp_path / "meet"
    folder.mkdir()
    monkeypatch.setenv("PFTEST_MEET", str(folder))


def test_prefetch_trains_in_workers_and_get_reads_the_same_records(plugin, tmp_path,
                                                                    monkeypatch) -> None:
    _meet_in(tmp_path, monkeypatch)
    runs = _runs(tmp_path / "store")
    done = runs.prefetch(["pftest.a", "pftest.b"], jobs=2)
    assert sorted(done) == ["pftest.a", "pftest.b"]
    recs = {n: runs.get(n) for n in done}
    assert all(r.meta["pid"] != os.getpid() for r in recs.values())  # trained elsewhere
    assert recs["pftest.a"].meta["pid"] != recs["pftest.b"].meta["pid"]  # one worker each
    assert sorted(runs.trained) == ["pftest.a", "pftest.b"] and runs.reused == []
    here = _runs(None)  # the same experiments trained in this process, no store
    for name, rec in recs.items():
        mine = here.get(name)
        assert mine.meta["pid"] == os.getpid()
        assert set(mine.arrays) == set(rec.arrays)
        for key in rec.arrays:
            np.testing.assert_array_equal(mine.arrays[key], rec.arrays[key], err_msg=key)
    # nothing left to train: a second prefetch starts no worker
    assert _runs(tmp_path / "store").prefetch(["pftest.a", "pftest.b"]) == []


def test_the_workers_phases_are_added_to_the_callers_timings(plugin, tmp_path) -> None:
    """Under --timings, what the workers spent drawing data, training and probing is counted
    (worker-seconds), not lost in the caller's ``other``; a worker's own timer is the oracle
    bound: the phases sum to at most its wall time, and each worker drew data."""
    from twolayer.timing import recording

    runs = _runs(tmp_path / "store")
    with recording() as t:
        assert sorted(runs.prefetch(["pftest.a", "pftest.b"], jobs=2)) == ["pftest.a",
                                                                           "pftest.b"]
    assert t.tasks == 2 and t.workers == 2
    for phase in ("data", "training", "probes", "store"):
        assert t.seconds.get(phase, 0.0) > 0, phase
    assert sum(t.seconds.values()) <= 2 * t.wall


def test_prefetch_does_nothing_without_a_store_or_a_second_worker(plugin, tmp_path) -> None:
    assert _runs(None).prefetch(["pftest.a", "pftest.b"]) == []
    runs = _runs(tmp_path / "store")
    assert runs.prefetch(["pftest.a", "pftest.b"], jobs=1) == []
    assert runs.prefetch(["pftest.a"]) == []  # one missing experiment: trained by get, here
    assert runs.trained == [] and not (tmp_path / "store" / "entries").exists()


def test_figures_trains_the_declared_experiments_at_once(plugin, tmp_path, capsys,
                                                         monkeypatch) -> None:
    _meet_in(tmp_path, monkeypatch)
    out = tmp_path / "out"
    assert main(["figures", "--quick", "--only", "pftest-fig", "--out", str(out), "--records",
                 str(tmp_path / "store"), str(plugin)]) == 0
    pids = [int(p) for p in (out / "pftest-fig.txt").read_text().split()]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    err = capsys.readouterr().err
    assert "trained 2 single-threaded experiments at once" in err
    assert "experiments: 2 trained, 0 read from the store" in err
    # drawn again: everything is in the store, no worker starts
    assert main(["figures", "--quick", "--only", "pftest-fig", "--out", str(out), "--records",
                 str(tmp_path / "store"), str(plugin)]) == 0
    err = capsys.readouterr().err
    assert "single-threaded" not in err and "experiments: 0 trained, 2 read from the store" in err


def test_longest_first_orders_by_the_stores_earlier_times(tmp_path) -> None:
    """The figures' parallel experiments start longest first, as far as the store's entries of
    earlier runs (same mode, newest per experiment) tell; unknown ones follow in the order
    given."""
    from twolayer.commands.figures import longest_first
    from twolayer.record import Record

    store = RecordStore(tmp_path / "store")
    rec = Record({"x": 1}, "r0", np.zeros(1, dtype=np.int64), {"v": np.zeros((1, 1))}, {})
    for name, quick, seconds in (("p.short", True, 5.0), ("p.long", True, 50.0),
                                 ("p.mid", True, 20.0), ("p.mid", False, 999.0)):
        store.put_entry({"experiment": name, "quick": quick, "code": "c"}, rec, seconds=seconds)
    runs = Runs(quick=True, runtime=Runtime(device="cpu", progress=False), store=store)
    order = longest_first(["p.new", "p.short", "p.mid", "p.long", "p.other", "p.short"], runs)
    assert order == ["p.long", "p.mid", "p.short", "p.new", "p.other"]
    # hints (a figure's last run time) order what the store does not know; the store wins
    assert longest_first(["p.new", "p.other", "p.long"], runs,
                         {"p.other": 100.0, "p.long": 1.0}) == ["p.other", "p.long", "p.new"]


def test_figure_hints_give_each_parallel_experiment_its_figures_time(plugin) -> None:
    from twolayer.commands.figures import figure_hints

    entries = {"pftest-fig": {"seconds": 12.5, "quick": True},
               "frei2023-fig1": {"seconds": 99.0, "quick": True}}  # declares nothing parallel
    assert figure_hints(entries, quick=True) == {"pftest.a": 12.5, "pftest.b": 12.5}
    assert figure_hints(entries, quick=False) == {}
