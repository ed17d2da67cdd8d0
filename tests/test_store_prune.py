"""``twolayer store prune``: what this twolayer would never read again is removed, nothing
else. Stores are built by hand (entries under keys of this and of other code, torch versions
and devices; records named by no entry, old and young; quarantined items; a damaged entry), and
what must remain is listed by hand and compared with the folder on disk."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import torch
from sweep_helpers import TINY_BASE, InProcess
from test_store import make_record

from twolayer.cli import main
from twolayer.experiments import code_fingerprint
from twolayer.record import FORMAT_VERSION
from twolayer.simulate import cpu_path
from twolayer.store import RecordStore
from twolayer.sweep import Store, loads, run_sweep
from twolayer.sweep.store import failure_document, write_atomic

TORCH = torch.__version__.split("+")[0]


def key(name: str, **over) -> dict:
    k = {"experiment": name, "version": 1, "quick": True, "seeds": 2, "device": "cpu",
         "format": FORMAT_VERSION, "code": code_fingerprint(), "source": "", "torch": TORCH,
         "cpu": cpu_path()}  # a CPU key names its CPU path (an older one without: pruned)
    k.update(over)
    if k["device"] != "cpu":
        k.pop("cpu")
    return k


def listing(root: Path) -> set[str]:
    """Every file under ``root`` (relative paths), the lock file left out."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
            and p.name != ".lock"}


def old(path: Path, seconds: float = 7200.0) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def experiments_store(root: Path) -> tuple[RecordStore, dict[str, str]]:
    store = RecordStore(root, warn=lambda line: None)
    ids = {
        "this": store.put_entry(key("a"), make_record(1.0)),
        "this_mapping": store.put_entry(key("b"), {"x": make_record(2.0), "y": make_record(3.0)}),
        "gpu": store.put_entry(key("a", device="cuda"), make_record(4.0)),
        "other_code": store.put_entry(key("a", code="0123456789abcdef"), make_record(5.0)),
        "other_torch": store.put_entry(key("a", torch="1.0.0"),
                                       {"x": make_record(6.0), "y": make_record(7.0)}),
        "other_format": store.put_entry(key("a", format=1), make_record(8.0)),
    }
    ids["orphan_old"] = store.put(make_record(9.0), {"entry": "gone", "part": ""}, 16)
    old(store.records / ids["orphan_old"])
    ids["orphan_young"] = store.put(make_record(10.0), {"entry": "writing", "part": ""}, 16)
    (store.root / "quarantine").mkdir()
    (store.root / "quarantine" / "records-abc.20261205").mkdir()
    (store.root / "quarantine" / "records-abc.20261205" / "record.json").write_text("{}")
    (store.root / "quarantine" / "records-abc.20261205.why").write_text("damaged\n")
    return store, ids


def parts_of(store: RecordStore, entry_id: str) -> list[str]:
    doc = json.loads((store.entries / f"{entry_id}.json").read_text())
    return list(doc["parts"].values())


def test_prune_removes_stale_entries_their_parts_orphans_and_the_quarantine(
        tmp_path: Path, capsys) -> None:
    store, ids = experiments_store(tmp_path / "s")
    root = store.root
    before = listing(root)
    keep_entries = ("this", "this_mapping", "gpu")
    want = {f for f in before if not f.startswith("quarantine")}
    for name in ("other_code", "other_torch", "other_format"):
        want.discard(f"entries/{ids[name]}.json")
        for part in parts_of(store, ids[name]):
            want -= {f for f in before if f.startswith(f"records/{part}/")}
    # orphans go whatever their age: every writer saves under the lock prune holds, so a
    # record no entry names is a killed writer's, not a save in progress
    for orphan in ("orphan_old", "orphan_young"):
        want -= {f for f in before if f.startswith(f"records/{ids[orphan]}/")}
    for name in keep_entries:  # the kept entries' parts are all there
        for part in parts_of(store, ids[name]):
            assert f"records/{part}/record.json" in want
    # a dry run lists the same and removes nothing; its bytes are the files' sizes
    assert main(["store", "prune", str(root), "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert listing(root) == before and doc["dry_run"] is True
    gone = before - want
    assert doc["bytes"] == sum((root / f).stat().st_size for f in gone)
    whys = {Path(r["path"]).name: r["why"] for r in doc["removed"]}
    assert "other twolayer code" in whys[f"{ids['other_code']}.json"]
    assert "torch 1.0.0" in whys[f"{ids['other_torch']}.json"]
    assert "record format 1" in whys[f"{ids['other_format']}.json"]
    assert whys[ids["orphan_old"]] == whys[ids["orphan_young"]] == "named by no entry"
    assert main(["store", "prune", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"removed {len(doc['removed'])} items")
    assert listing(root) == want
    # every kept entry still reads back, verified
    fresh = RecordStore(root, warn=lambda line: pytest.fail(line))
    assert fresh.get_entry(key("a")) is not None and fresh.get_entry(key("b")) is not None
    assert fresh.get_entry(key("a", device="cuda")) is not None
    assert fresh.verify().quarantined == []
    # a second prune finds nothing
    assert main(["store", "prune", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == []


def test_while_an_entry_is_damaged_no_record_is_judged_unnamed(tmp_path: Path, capsys) -> None:
    """The parts of a damaged entry cannot be told from orphans: none is removed, a note says
    why, and the damaged entry itself is left to store verify."""
    store, ids = experiments_store(tmp_path / "s")
    path = store.entries / f"{ids['this']}.json"
    path.write_text(path.read_text().replace('"kind"', '"kinds"'))
    for part in parts_of(store, ids["this"]):
        old(store.records / part)
    assert main(["store", "prune", str(store.root), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    removed = {Path(r["path"]).name for r in doc["removed"]}
    assert ids["orphan_old"] not in removed and f"{ids['this']}.json" not in removed
    assert all((store.records / p).is_dir() for p in parts_of(store, ids["this"]))
    assert path.exists() and "damaged entries" in doc["notes"][0]


def test_a_sweep_store_loses_the_points_of_other_code_which_the_next_sweep_retrains(
        tmp_path: Path, capsys, single_thread) -> None:
    spec = loads('name = "t"\n' + TINY_BASE + "[axes]\ndata.noise = [0.0, 0.1, 0.2]\n")
    store = Store(tmp_path / "sw", warn=lambda line: None)
    assert run_sweep(spec, store, InProcess()).trained == 3
    ids = [p.run_id for p in spec.points()]
    rec = store.load(ids[0])
    rec.meta["code"] = "0123456789abcdef+plugins"
    store.record_store.put(rec, rec.config)
    rec = store.load(ids[1])
    rec.meta["code"] = store.code_of(ids[1]) + "+someplugin"  # this twolayer, a plugin: kept
    store.record_store.put(rec, rec.config)
    store.failed.mkdir(exist_ok=True)
    write_atomic(store.failed / "aaaaaaaaaaaa.json", json.dumps(
        failure_document("aaaaaaaaaaaa", "diverged", "x", "0123456789abcdef")))
    write_atomic(store.failed / "bbbbbbbbbbbb.json", json.dumps(
        failure_document("bbbbbbbbbbbb", "diverged", "x", store.code_of(ids[2]))))
    before = listing(store.root)
    assert main(["store", "prune", str(store.root), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # the tables too: they listed the pruned point as stored (since session 49)
    tables = {f for f in before if f in ("points.csv", "summary.csv", "summary.parquet")}
    gone = {f for f in before if f.startswith(f"records/{ids[0]}/")} | {
        "failed/aaaaaaaaaaaa.json"} | tables
    assert tables and listing(store.root) == before - gone
    assert any(n.startswith("removed points.csv") for n in doc["notes"]), doc["notes"]
    assert doc["kept"] == 3  # two records and one failure
    # the pruned point is missing now; the one a plugin's code made is kept by prune (the
    # spec that named the plugin is not known to it) and retrained by this plugin-free spec
    again = run_sweep(spec, store, InProcess())
    assert (again.trained, again.skipped, again.other_code) == (2, 1, 1)


def test_dry_run_belongs_to_prune(tmp_path: Path, capsys) -> None:
    store, _ = experiments_store(tmp_path / "s")
    before = listing(store.root)
    assert main(["store", "verify", str(store.root), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "dry-run" in err and "prune" in err
    assert listing(store.root) == before
