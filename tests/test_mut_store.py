"""Gaps found by mutation testing of the record store (``twolayer/store.py``), the sweep's store
(``twolayer/sweep/store.py``) and ``twolayer store verify``.

The oracles are independent of the code under test: store files are doctored by hand and their
checksums forged with :mod:`hashlib` over the canonical JSON written out here (sorted keys, no
whitespace), so that only the check under test can tell the damage; addresses are computed with
:mod:`hashlib` directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from twolayer.cli import main
from twolayer.errors import RecordError
from twolayer.record import Record
from twolayer.store import RecordStore, experiment_seconds


def canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def sha(obj) -> str:
    return hashlib.sha256(canon(obj).encode()).hexdigest()


def forge(doc: dict) -> dict:
    """``doc`` with its ``content`` checksum recomputed by hand (SHA-256 of the canonical JSON
    of everything else): only the semantic checks can tell an edit now."""
    body = {k: v for k, v in doc.items() if k != "content"}
    return {**body, "content": sha(body)}


def make_record(value: float = 1.0, config: dict | None = None) -> Record:
    config = config or {"kind": "test", "value": value}
    return Record(config=config, run_id=sha(config)[:12], times=np.arange(3),
                  arrays={"a/x": np.full((2, 3), value, dtype=np.float32)},
                  meta={"note": "x"}, summary={"v": value})


def rewrite(path: Path, fn) -> None:
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(forge(doc), indent=1, sort_keys=True))


KEY = {"experiment": "p.x", "version": 1, "quick": True, "seeds": None, "device": "cpu",
       "format": 3, "code": "0123456789abcdef", "source": "", "torch": "2.5"}


# ------------------------------------------------------------------------------------------
# addresses: the hash of the whole identity
# ------------------------------------------------------------------------------------------


def test_records_and_entries_live_at_the_hash_of_their_whole_identity(tmp_path) -> None:
    """A record's address is the first 12 hex digits of SHA-256 of its identity's canonical JSON;
    an entry's file the first 16 of its key's. Every field of the key counts: keys that differ
    in one field only (the code fingerprint, the seeds, the device, ...) are separate entries
    and both stay readable (a key hashed from fewer fields filed them at one name, the second
    pushing the first out)."""
    store = RecordStore(tmp_path, warn=lambda line: pytest.fail(line))
    rec = make_record(1.0)
    assert store.put(rec, rec.config) == sha(rec.config)[:12]
    assert (tmp_path / "records" / sha(rec.config)[:12] / "record.json").is_file()
    variants = [KEY] + [{**KEY, field: value} for field, value in (
        ("code", "fedcba9876543210"), ("seeds", 5), ("device", "cuda"), ("quick", False),
        ("version", 2), ("source", "abc"), ("torch", "2.6"), ("experiment", "p.y"))]
    for i, key in enumerate(variants):
        store.put_entry(key, make_record(float(i)))
        assert (tmp_path / "entries" / f"{sha(key)[:16]}.json").is_file()
    assert len(list((tmp_path / "entries").glob("*.json"))) == len(variants)
    for i, key in enumerate(variants):
        got = store.get_entry(key)
        assert isinstance(got, Record) and got.summary == {"v": float(i)}, key


# ------------------------------------------------------------------------------------------
# records: forged checksums
# ------------------------------------------------------------------------------------------


def test_a_record_whose_config_was_edited_under_a_forged_checksum_is_quarantined(
        tmp_path) -> None:
    """The content checksum recomputed after editing the config (and its identity): the record
    is intact by its checksums, but its identity no longer hashes to its address."""
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    rec = make_record(1.0)
    address = store.put(rec, rec.config)

    def edit(d):
        d["config"]["value"] = 7.0
        d["identity"]["value"] = 7.0

    rewrite(tmp_path / "records" / address / "record.json", edit)
    with pytest.raises(RecordError, match="hash"):
        store.load(address)
    assert store.get(address) is None and not (tmp_path / "records" / address).exists()
    assert len(lines) == 1 and "quarantine" in lines[0]


def test_a_record_naming_another_address_under_a_forged_checksum_is_quarantined(
        tmp_path) -> None:
    """record.json's ``address`` field edited (checksum forged): refused though its identity
    still hashes to the directory it is in."""
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    rec = make_record(1.0)
    address = store.put(rec, rec.config)
    rewrite(tmp_path / "records" / address / "record.json",
            lambda d: d.update(address="0" * 12))
    with pytest.raises(RecordError, match="address"):
        store.load(address)
    assert store.get(address) is None and len(lines) == 1


# ------------------------------------------------------------------------------------------
# entries: forged checksums
# ------------------------------------------------------------------------------------------


def entry_path(root: Path, key: dict) -> Path:
    return root / "entries" / f"{sha(key)[:16]}.json"


@pytest.mark.parametrize("edit, why", [
    (lambda d: d.update(kind="list"), "malformed"),
    (lambda d: d.update(format=2), "format"),
    (lambda d: d.update(id="0" * 16), "key does not hash"),
])
def test_an_entry_edited_under_a_forged_checksum_is_quarantined(tmp_path, edit, why) -> None:
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    store.put_entry(KEY, make_record(1.0))
    path = entry_path(tmp_path, KEY)
    rewrite(path, edit)
    assert store.get_entry(KEY) is None
    assert not path.exists() and len(lines) == 1 and why in lines[0], lines


def test_an_entry_copied_under_another_keys_name_is_refused_by_get_and_verify(tmp_path) -> None:
    """Entry A's file copied to the name of key B, its ``id`` forged to B's name and its
    checksum forged: its key (A's) does not hash to the name. ``get_entry(B)`` and ``store
    verify`` both refuse it (verify checks only the document)."""
    other = {**KEY, "code": "fedcba9876543210"}
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, make_record(1.0))
    src, dst = entry_path(tmp_path, KEY), entry_path(tmp_path, other)
    doc = json.loads(src.read_text())
    doc["id"] = sha(other)[:16]
    dst.write_text(json.dumps(forge(doc)))
    report = RecordStore(tmp_path, warn=lambda line: None).verify()
    assert [p for p, _ in report.quarantined] == [str(dst)]
    assert "key does not hash" in report.quarantined[0][1]
    dst.write_text(json.dumps(forge(doc)))
    assert store.get_entry(other) is None and not dst.exists()
    assert isinstance(store.get_entry(KEY), Record)  # the original is untouched


def test_an_entry_pointing_at_another_entrys_parts_is_refused(tmp_path) -> None:
    """An entry whose ``parts`` were edited (checksum forged) to name the records of another
    entry: each part is an intact record, but filed at a foreign address (a part's address is
    the hash of {entry id, part name})."""
    other = {**KEY, "code": "fedcba9876543210"}
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    store.put_entry(KEY, {"one": make_record(1.0)})
    store.put_entry(other, {"one": make_record(2.0)})
    theirs = json.loads(entry_path(tmp_path, other).read_text())["parts"]
    assert theirs["one"] == sha({"entry": sha(other)[:16], "part": "one"})[:16]
    rewrite(entry_path(tmp_path, KEY), lambda d: d.update(parts=theirs))
    assert store.get_entry(KEY) is None
    assert not entry_path(tmp_path, KEY).exists() and "foreign" in lines[-1]
    assert store.get_entry(other)["one"].summary == {"v": 2.0}


def test_verify_refuses_an_entry_pointing_at_another_entrys_parts(tmp_path) -> None:
    """``store verify`` used to check only that an entry's parts exist: an entry forged to name
    another entry's (intact) parts was reported intact and quarantined only when first read.
    It now applies the read's address rule: a part is filed at hash({entry id, part name})."""
    other = {**KEY, "code": "fedcba9876543210"}
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, {"one": make_record(1.0)})
    store.put_entry(other, {"one": make_record(2.0)})
    theirs = json.loads(entry_path(tmp_path, other).read_text())["parts"]
    rewrite(entry_path(tmp_path, KEY), lambda d: d.update(parts=theirs))
    report = store.verify()
    assert [p for p, _ in report.quarantined] == [str(entry_path(tmp_path, KEY))]
    assert "foreign address" in report.quarantined[0][1]
    assert report.intact == 3  # the two part records and the other entry
    assert store.get_entry(other)["one"].summary == {"v": 2.0}


@pytest.mark.parametrize("parts", [
    {"x": None},  # not an address
    {"one": ""},  # an empty address
])
def test_an_entry_whose_parts_are_not_addresses_is_quarantined(tmp_path, parts) -> None:
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, {"one": make_record(1.0)})
    rewrite(entry_path(tmp_path, KEY), lambda d: d.update(parts=parts))
    assert store.get_entry(KEY) is None and not entry_path(tmp_path, KEY).exists()


def test_a_record_entry_with_a_named_part_is_quarantined(tmp_path) -> None:
    """kind "record" has exactly one part, named "": a forged entry of that kind whose one part
    is named otherwise (its address rightly computed) is malformed, not a KeyError."""
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, {"one": make_record(1.0)})
    rewrite(entry_path(tmp_path, KEY), lambda d: d.update(kind="record"))
    report = store.verify()
    assert [p for p, _ in report.quarantined] == [str(entry_path(tmp_path, KEY))]
    assert "exactly one part" in report.quarantined[0][1]


def test_verify_quarantines_an_entry_whose_part_is_missing_and_counts_the_intact(
        tmp_path) -> None:
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, {"one": make_record(1.0), "two": make_record(2.0)})
    other = {**KEY, "quick": False}
    store.put_entry(other, make_record(3.0))
    part = json.loads(entry_path(tmp_path, KEY).read_text())["parts"]["two"]
    import shutil

    shutil.rmtree(tmp_path / "records" / part)
    report = store.verify()
    # intact: the records "one" and other's part, and other's entry; KEY's entry quarantined
    assert report.intact == 3
    assert [p for p, _ in report.quarantined] == [str(entry_path(tmp_path, KEY))]
    assert "parts missing" in report.quarantined[0][1]
    assert not entry_path(tmp_path, KEY).exists()


def test_an_entrys_seconds_are_kept_under_the_checksum_and_read_back(tmp_path) -> None:
    """The compute time is covered by the checksum (a forged-free edit of it is damage) and
    read back as written, rounded to ms; a non-finite or negative time is not kept."""
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, make_record(1.0), seconds=2.0)
    doc = json.loads(entry_path(tmp_path, KEY).read_text())
    assert doc["seconds"] == 2.0
    assert doc["content"] == sha({k: v for k, v in doc.items() if k != "content"})
    assert store.get_entry_timed(KEY)[1] == 2.0
    for bad in (float("nan"), float("inf"), -1.0):
        key = {**KEY, "version": str(bad)}
        store.put_entry(key, make_record(1.0), seconds=bad)
        assert "seconds" not in json.loads(entry_path(tmp_path, key).read_text())
        assert store.get_entry_timed(key)[1] is None


# ------------------------------------------------------------------------------------------
# atomic writes
# ------------------------------------------------------------------------------------------


def test_an_entry_is_written_atomically(tmp_path, monkeypatch) -> None:
    """A new entry is written beside its place and renamed into it: a write that fails before
    the rename (os.replace raising stands in for a crash) leaves no entry and no temporary, and
    the other entries byte for byte as they were. Storing a key whose intact entry is there
    already writes nothing (another process stored the same computation meanwhile)."""
    store = RecordStore(tmp_path, warn=lambda line: None)
    store.put_entry(KEY, make_record(1.0), seconds=1.0)
    path = entry_path(tmp_path, KEY)
    before = path.read_bytes()
    real = os.replace

    def crash(src, dst):
        if str(dst).endswith(".json") and "entries" in str(dst):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    other = {**KEY, "seeds": 3}
    with pytest.raises(OSError):
        store.put_entry(other, make_record(2.0), seconds=5.0)
    assert path.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "entries").iterdir()) == [path.name]
    assert store.put_entry(KEY, make_record(3.0), seconds=5.0) == path.stem  # no write: no crash
    assert path.read_bytes() == before


# ------------------------------------------------------------------------------------------
# temporaries, quarantine, lock
# ------------------------------------------------------------------------------------------


def test_only_old_temporaries_are_removed_from_records_and_entries(tmp_path) -> None:
    store = RecordStore(tmp_path)
    store.put_entry(KEY, make_record(1.0))
    old_rec = tmp_path / "records" / ".abc.tmp.deadbeef"
    old_rec.mkdir()
    old_entry = tmp_path / "entries" / ".x.json.tmp1234.tmp"
    old_entry.write_text("{")
    young = tmp_path / "entries" / ".y.json.tmp5678.tmp"
    young.write_text("{")
    for p in (old_rec, old_entry):
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    removed = store.clean_temporaries()
    assert sorted(removed) == sorted([old_rec, old_entry])
    assert young.exists() and not old_rec.exists() and not old_entry.exists()
    assert store.clean_temporaries(None) == [young] and not young.exists()


def test_quarantine_moves_the_damaged_item_out_of_the_store(tmp_path) -> None:
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    rec = make_record(1.0)
    address = store.put(rec, rec.config)
    (tmp_path / "records" / address / "arrays.npz").write_bytes(b"PK")
    assert store.get(address) is None
    assert not (tmp_path / "records" / address).exists()
    moved = [p for p in (tmp_path / "quarantine").iterdir() if p.suffix != ".why"]
    assert len(moved) == 1 and (moved[0] / "record.json").is_file()
    assert not store.has(address)
    assert store.get(address) is None and len(lines) == 1  # gone: nothing to quarantine again


def test_experiment_seconds_takes_the_newest_entry_of_the_mode(tmp_path) -> None:
    """For scheduling: the newest entry (by file time) of each experiment in the asked mode."""
    store = RecordStore(tmp_path)
    t = time.time()
    for i, (quick, seconds) in enumerate(((True, 10.0), (True, 20.0), (False, 99.0))):
        key = {**KEY, "quick": quick, "version": i}
        store.put_entry(key, make_record(1.0), seconds=seconds)
        os.utime(entry_path(tmp_path, key), (t - 100 + i, t - 100 + i))
    assert experiment_seconds(tmp_path, quick=True) == {"p.x": 20.0}
    assert experiment_seconds(tmp_path, quick=False) == {"p.x": 99.0}


LOCK_HOLDER = ("import sys, time; from twolayer.store import RecordStore\n"
               "with RecordStore(sys.argv[1]).lock():\n"
               "    print('held', flush=True); time.sleep(60)\n")


def hold_lock(root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(root)],
                              stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_store_verify_refuses_a_store_in_use_and_touches_nothing(tmp_path, capsys) -> None:
    """``store verify`` takes the store's lock (it removes every temporary: a live writer's
    too); while a sweep holds it, verify exits 2 naming the holder, and a young temporary and
    a damaged record are left as they are."""
    store = RecordStore(tmp_path)
    rec = make_record(1.0)
    address = store.put(rec, rec.config)
    (tmp_path / "records" / address / "arrays.npz").write_bytes(b"PK")
    live = tmp_path / "records" / ".live.tmp.cafef00d"
    live.mkdir()
    holder = hold_lock(tmp_path)
    try:
        assert main(["store", "verify", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"pid {holder.pid}" in err
        assert live.exists() and (tmp_path / "records" / address).exists()
    finally:
        holder.kill()
        holder.wait()
    assert main(["store", "verify", str(tmp_path)]) == 1
    assert not live.exists() and not (tmp_path / "records" / address).exists()


def test_opening_the_store_of_a_check_leaves_a_live_writers_temporaries(tmp_path) -> None:
    """``check``/``figures`` open the store without its lock (two may share it): only
    temporaries older than an hour are a killed writer's; a young one may be another live
    run's save in progress and stays."""
    import argparse

    from twolayer.commands.storeflags import store_from_args

    records = tmp_path / "records"
    records.mkdir(parents=True)
    old, young = records / ".a.tmp.deadbeef", records / ".b.tmp.cafef00d"
    old.mkdir()
    young.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store = store_from_args(argparse.Namespace(records=str(tmp_path), no_store=False))
    assert store is not None and store.root == tmp_path
    assert young.exists() and not old.exists()
    assert store_from_args(argparse.Namespace(records=None, no_store=True)) is None
