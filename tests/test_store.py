"""The record store: verified reads (every kind of damage is detected and quarantined, never
used), experiment entries, the one-writer lock, sweeps that retrain damaged points, and
``twolayer store verify``.

The damage is done by hand here (truncating, editing, swapping files), independently of the
code that writes records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import TINY_BASE, InProcess

from twolayer.cli import main
from twolayer.errors import ConfigError, RecordError
from twolayer.record import Record
from twolayer.store import RecordStore, address_of
from twolayer.sweep import Store, loads, run_sweep

TINY = "\nseeds = 2" + TINY_BASE + "[axes]\ndata.noise = [0.0, 0.1, 0.2]\n"


def make_record(value: float = 1.0, config: dict | None = None) -> Record:
    rng = np.random.default_rng(0)
    config = config or {"kind": "test", "value": value}
    return Record(config=config, run_id=address_of(config), times=np.arange(3),
                  arrays={"a/x": rng.normal(size=(2, 3)).astype(np.float32) * value,
                          "static/n": np.array([1, 2])},
                  meta={"note": "x"}, summary={"v": value})


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_json(path: Path, fn) -> None:
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


def damage_kinds():
    """(name, damage(record_dir, other_record_dir)) for every kind of damage tried."""

    def set_summary(d):
        d["summary"]["v"] = 99.0

    def set_config(d):
        d["config"]["value"] = 7.0
        d["identity"]["value"] = 7.0

    def old_format(d):
        d["format"] = 1

    return [
        ("truncated arrays.npz", lambda p, o: truncate(p / "arrays.npz")),
        ("empty arrays.npz", lambda p, o: (p / "arrays.npz").write_bytes(b"")),
        ("truncated record.json", lambda p, o: truncate(p / "record.json")),
        ("missing arrays.npz", lambda p, o: (p / "arrays.npz").unlink()),
        ("missing record.json", lambda p, o: (p / "record.json").unlink()),
        ("edited summary", lambda p, o: edit_json(p / "record.json", set_summary)),
        ("edited config", lambda p, o: edit_json(p / "record.json", set_config)),
        ("older format", lambda p, o: edit_json(p / "record.json", old_format)),
        ("arrays of another record",
         lambda p, o: (p / "arrays.npz").write_bytes((o / "arrays.npz").read_bytes())),
        ("record of another address",
         lambda p, o: (p / "record.json").write_bytes((o / "record.json").read_bytes())),
    ]


@pytest.mark.parametrize("name, damage", damage_kinds(), ids=[k for k, _ in damage_kinds()])
def test_every_kind_of_damage_is_detected_and_quarantined(tmp_path, name, damage) -> None:
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    a = store.put(make_record(1.0), make_record(1.0).config)
    b = store.put(make_record(2.0), make_record(2.0).config)
    assert store.get(a) is not None  # intact before
    damage(tmp_path / "records" / a, tmp_path / "records" / b)
    with pytest.raises(RecordError):
        store.load(a)
    assert store.get(a) is None
    assert not (tmp_path / "records" / a).exists()
    moved = [p for p in (tmp_path / "quarantine").iterdir() if not p.name.endswith(".why")]
    assert len(moved) == 1 and a in moved[0].name
    assert len(lines) == 1 and a in lines[0] and "quarantine" in lines[0]
    assert store.get(b) is not None  # the other record is untouched


def test_intact_record_round_trips_exactly(tmp_path) -> None:
    rec = make_record(3.0)
    store = RecordStore(tmp_path)
    address = store.put(rec, rec.config)
    back = store.get(address)
    assert back is not None and back.config == rec.config and back.summary == rec.summary
    for k, v in rec.arrays.items():
        assert back.arrays[k].dtype == v.dtype and np.array_equal(back.arrays[k], v)


def test_plain_record_directory_is_verified_too(tmp_path) -> None:
    path = make_record().save(tmp_path)
    Record.load(path)
    edit_json(path / "record.json", lambda d: d["meta"].update(note="y"))
    with pytest.raises(RecordError, match="checksum"):
        Record.load(path)


def test_entries_round_trip_and_a_damaged_part_voids_the_entry(tmp_path) -> None:
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    key = {"experiment": "p.x", "quick": True}
    store.put_entry(key, {"one": make_record(1.0), "two": make_record(2.0)})
    got = store.get_entry(key)
    assert set(got) == {"one", "two"} and got["two"].summary == {"v": 2.0}
    single = {"experiment": "p.y"}
    store.put_entry(single, make_record(5.0))
    assert isinstance(store.get_entry(single), Record)
    assert store.get_entry({"experiment": "p.x", "quick": False}) is None  # another key
    doc = json.loads(next((tmp_path / "entries").glob("*.json")).read_text())
    part = tmp_path / "records" / next(iter(doc["parts"].values()))
    truncate(part / "arrays.npz")
    results = [store.get_entry(key), store.get_entry(single)]
    assert sum(r is None for r in results) == 1  # the entry with the damaged part only
    assert lines and all("quarantine" in x for x in lines)


def test_an_entry_keeps_its_compute_time_under_its_checksum(tmp_path) -> None:
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    timed, untimed = {"experiment": "p.t"}, {"experiment": "p.u"}
    store.put_entry(timed, make_record(1.0), seconds=12.3456)
    store.put_entry(untimed, make_record(2.0))
    rec, took = store.get_entry_timed(timed)
    assert isinstance(rec, Record) and took == 12.346
    assert store.get_entry_timed(untimed)[1] is None  # an entry that kept no time
    assert store.get_entry_timed({"experiment": "absent"}) == (None, None)
    path = tmp_path / "entries" / f"{address_of(timed, 16)}.json"
    doc = json.loads(path.read_text())
    doc["seconds"] = 0.5  # a forged time: the content checksum no longer matches
    path.write_text(json.dumps(doc))
    assert store.get_entry_timed(timed) == (None, None) and lines


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_an_entry_holding_a_non_strict_number_is_quarantined(tmp_path, number) -> None:
    """An entry edited to hold NaN, Infinity or a number beyond float64 (which Python's json
    reads) made its checksum raise a bare ValueError; it is damage, quarantined like any."""
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    key = {"experiment": "p.t"}
    store.put_entry(key, make_record(1.0), seconds=1.5)
    path = tmp_path / "entries" / f"{address_of(key, 16)}.json"
    text = path.read_text()
    assert '"seconds":1.5' in text.replace(" ", "")
    path.write_text(text.replace("1.5", number, 1))
    assert store.get_entry_timed(key) == (None, None)
    assert not path.exists() and any("strict JSON" in x for x in lines), lines


def test_runs_know_each_experiments_compute_time_trained_or_stored(tmp_path) -> None:
    from twolayer.experiments import EXPERIMENTS, Runs, experiment

    calls = []

    @experiment("timedtest.one")
    def one(quick, seeds, runtime):
        calls.append(seeds)
        return make_record(3.0)

    try:
        first = Runs(quick=True, store=RecordStore(tmp_path))
        first.get("timedtest.one")
        assert first.trained == ["timedtest.one"] and first.train_seconds["timedtest.one"] > 0
        again = Runs(quick=True, store=RecordStore(tmp_path))
        again.get("timedtest.one")
        assert again.reused == ["timedtest.one"] and calls == [None]
        assert again.train_seconds["timedtest.one"] == pytest.approx(
            first.train_seconds["timedtest.one"], abs=1e-3)
    finally:
        EXPERIMENTS.pop("timedtest.one", None)


def test_entry_refuses_what_cannot_be_stored(tmp_path) -> None:
    with pytest.raises(TypeError, match="mapping of str names to Records"):
        RecordStore(tmp_path).put_entry({"e": 1}, {1: make_record()})


def test_the_lock_admits_one_holder_and_names_it(tmp_path) -> None:
    store = RecordStore(tmp_path)
    code = ("import sys, time; from twolayer.store import RecordStore\n"
            "with RecordStore(sys.argv[1]).lock():\n"
            "    print('held', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for _ in range(2):  # a refused contender leaves the holder named for the next one
            with pytest.raises(ConfigError, match=f"pid {holder.pid}"):
                with store.lock():
                    pass
    finally:
        holder.kill()
        holder.wait()
    with store.lock():  # the dead holder's lock is taken over
        assert f"pid {os.getpid()}" in (tmp_path / ".lock").read_text()


def test_sweep_retrains_damaged_points_and_never_uses_them(tmp_path, single_thread) -> None:
    spec = loads(TINY, name="tiny")
    st = Store(tmp_path, warn=lambda line: None)
    first = run_sweep(spec, st, InProcess())
    assert first.trained == 3
    points = spec.points()
    before = {p.run_id: st.load(p.run_id) for p in points}
    a, b, c = (tmp_path / "records" / p.run_id for p in points)
    truncate(a / "arrays.npz")
    truncate(b / "record.json")
    edit_json(c / "record.json", lambda d: d["config"]["data"].update(noise=0.3))
    second = run_sweep(spec, st, InProcess())
    assert second.trained == 3 and second.skipped == 0
    for p in points:
        rec = st.load(p.run_id)  # verified: id = hash(config), checksums
        assert rec.run_id == p.run_id and address_of(rec.config) == p.run_id
        for k, v in before[p.run_id].arrays.items():
            assert np.array_equal(rec.arrays[k], v, equal_nan=True)
    assert len([q for q in (tmp_path / "quarantine").iterdir() if q.suffix != ".why"]) == 3
    third = run_sweep(spec, st, InProcess())
    assert third.trained == 0 and third.skipped == 3


def test_store_verify_command_reports_and_quarantines(tmp_path, capsys) -> None:
    store = RecordStore(tmp_path)
    good = store.put(make_record(1.0), make_record(1.0).config)
    bad = store.put(make_record(2.0), make_record(2.0).config)
    truncate(tmp_path / "records" / bad / "arrays.npz")
    (tmp_path / "records" / ".x.tmp.123").mkdir()
    assert main(["store", "verify", str(tmp_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["intact"] == 1 and [q["path"] for q in doc["quarantined"]] == [
        str(tmp_path / "records" / bad)]
    assert len(doc["removed_temporaries"]) == 1
    assert main(["store", "verify", str(tmp_path)]) == 0
    assert store.get(good) is not None


def test_store_verify_exit_status_is_documented(capsys) -> None:
    """verify exits 1 when it quarantined something (above): --help and docs/robustness.md say
    so."""
    with pytest.raises(SystemExit):
        main(["store", "--help"])
    assert "1 when something was quarantined" in " ".join(capsys.readouterr().out.split())
    doc = (Path(__file__).resolve().parents[1] / "docs" / "robustness.md").read_text()
    row = next(line for line in doc.splitlines() if line.startswith("| 1 |"))
    assert "`store verify`" in row and "quarantined" in row


def test_store_verify_refuses_a_directory_that_is_no_store(tmp_path, capsys) -> None:
    assert main(["store", "verify", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "DIR '" in err and "--dir" not in err and "record store" in err
    assert len(err.strip().splitlines()) == 1


def test_an_entry_written_again_over_its_parts_replaces_them(tmp_path) -> None:
    """A run killed after writing an entry's parts but before the entry (parts first, entry
    last) leaves parts without an entry; the rerun writes the parts again over them. Parts
    whose run id holds a "/" (e.g. "sizes/m=32,N=200") were moved aside under that id, i.e.
    into a folder that does not exist (FileNotFoundError, found while re-timing `make
    figures`); now the old copy goes beside the target and nothing is left over."""
    store = RecordStore(tmp_path)
    key = {"experiment": "p.sizes", "quick": False}
    first = make_record(1.0)
    first.run_id = "sizes/m=32,N=200"
    store.put_entry(key, {"sizes/m=32,N=200": first})
    for entry in (tmp_path / "entries").glob("*.json"):
        entry.unlink()  # the entry never got written
    assert store.get_entry(key) is None
    again = make_record(2.0)
    again.run_id = "sizes/m=32,N=200"
    store.put_entry(key, {"sizes/m=32,N=200": again})
    got = store.get_entry(key)
    assert got["sizes/m=32,N=200"].summary == {"v": 2.0}
    assert not [p for p in (tmp_path / "records").iterdir() if p.name.startswith(".")]


def test_store_verify_checks_a_folder_of_saved_records_in_place(tmp_path, capsys) -> None:
    """``store verify`` refused the folder ``simulate --out`` writes (records, no store). It
    now verifies each record there as Record.load reads it, names a damaged one (exit 1) and
    moves nothing: the folder is the user's. prune still refuses it. Oracle: the files on disk,
    one record's arrays.npz edited by hand."""
    import json as json_module

    from twolayer.cli import main

    out = tmp_path / "runs"
    for seed in (0, 1):
        assert main(["simulate", "--d", "4", "--n", "12", "--m", "4", "--steps", "3",
                     "--seed", str(seed), "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    runs = sorted(p for p in out.iterdir())
    assert len(runs) == 2
    assert main(["store", "verify", str(out)]) == 0
    assert capsys.readouterr().out.startswith("2 intact, 0 damaged")
    with open(runs[1] / "arrays.npz", "ab") as fh:
        fh.write(b"x")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert main(["store", "verify", str(out), "--json"]) == 1
    doc = json_module.loads(capsys.readouterr().out)
    assert doc["intact"] == 1 and [d["path"] for d in doc["damaged"]] == [str(runs[1])]
    assert "checksum" in doc["damaged"][0]["why"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before  # nothing moved
    assert main(["store", "prune", str(out)]) == 2
    assert "must be a record store" in capsys.readouterr().err


def test_a_mapping_entry_reads_back_in_the_experiments_own_order(tmp_path) -> None:
    """An experiment's mapping comes back in the order the experiment returned it (m=1024
    after m=256, as computed), not in the sorted order of the entry file's keys; an entry whose
    order (under a recomputed checksum) does not list exactly its parts is damage."""
    import hashlib

    from twolayer.record import canonical_json

    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    key = {"experiment": "p.widths"}
    names = ["m=64", "m=256", "m=1024", "b"]
    store.put_entry(key, {n: make_record(float(i)) for i, n in enumerate(names)})
    got = store.get_entry(key)
    assert list(got) == names
    assert [got[n].summary["v"] for n in names] == [0.0, 1.0, 2.0, 3.0]
    assert list(RecordStore(tmp_path).get_entry(key)) == names  # a fresh reader too

    path = next((tmp_path / "entries").glob("*.json"))

    def forge(order) -> None:
        doc = json.loads(path.read_text())
        doc["order"] = order
        body = {k: v for k, v in doc.items() if k != "content"}
        doc["content"] = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        path.write_text(json.dumps(doc))

    forge(["m=64", "m=64", "m=1024", "b"])  # a name twice, one missing
    with pytest.raises(RecordError, match="order"):
        store._read_entry(path, path.stem, key, settle=False)
    forge(["m=64", "m=256", "m=1024"])  # one part left out
    with pytest.raises(RecordError, match="order"):
        store._read_entry(path, path.stem, key, settle=False)
    forge(["b", "m=1024", "m=256", "m=64"])  # another order of the same parts is read as given
    assert list(store.get_entry(key)) == ["b", "m=1024", "m=256", "m=64"]


def test_store_verify_takes_one_saved_records_folder(tmp_path, capsys) -> None:
    """`store verify out/<run_id>` (one record's folder, as `show` and `check --record` take
    it) was refused, exit 2 ("must be a record store"); it is verified in place now: 0 when
    intact, 1 with the damage named when its arrays were appended to, nothing moved; prune of
    it, a missing folder and a file stay refused (2)."""
    from twolayer.cli import main

    out = tmp_path / "runs"
    assert main(["simulate", "--d", "4", "--n", "12", "--m", "4", "--steps", "3",
                 "--quiet", "--out", str(out)]) == 0
    (run,) = list(out.iterdir())
    capsys.readouterr()
    assert main(["store", "verify", str(run)]) == 0
    assert capsys.readouterr().out.startswith("1 intact, 0 damaged (one saved record")
    with open(run / "arrays.npz", "ab") as fh:
        fh.write(b"x")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert main(["store", "verify", str(run), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["intact"] == 0 and [d["path"] for d in doc["damaged"]] == [str(run)]
    assert "checksum" in doc["damaged"][0]["why"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before  # nothing moved
    assert main(["store", "prune", str(run)]) == 2
    assert "one saved record's folder" in capsys.readouterr().err
    assert main(["store", "verify", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["store", "verify", str(run / "record.json")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
