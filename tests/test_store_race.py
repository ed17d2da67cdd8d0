"""Two writers without the store's lock saving the same computation at once (an orphaned SLURM
job of a killed sweep and the job resubmitted for its point): the second rename into
``records/<address>/`` finds the first one's record there. The store must count that as
stored when the record there is intact and of the same identity, and must still fail where
it is not (another identity at the address, or damage).

The other writer is interleaved by hand: a wrapper around ``os.replace`` in
:mod:`twolayer.record` lets it write its whole record just before our final rename.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from test_store import make_record

import twolayer.record as record_module
from twolayer.record import Record
from twolayer.store import RecordStore, address_of


def interleave(monkeypatch: pytest.MonkeyPatch, target: Path, other) -> list[int]:
    """Run ``other()`` right before the first rename onto ``target``; returns the list the
    wrapper appends the errno of that rename to (empty where it did not fail)."""
    real = os.replace
    failed: list[int] = []
    state = {"done": False}

    def replace(src, dst):
        if not state["done"] and Path(dst) == target:
            state["done"] = True
            other()
            try:
                return real(src, dst)
            except OSError as e:
                failed.append(e.errno)
                raise
        return real(src, dst)

    monkeypatch.setattr(record_module.os, "replace", replace)
    return failed


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "records").iterdir() if p.name.startswith("."))


def test_a_record_of_the_same_identity_saved_meanwhile_counts_as_stored(tmp_path, monkeypatch):
    store = RecordStore(tmp_path)
    rec = make_record(2.0)
    identity = rec.config
    target = store.records / address_of(identity)
    other = RecordStore(tmp_path)  # the other job: the same computation
    failed = interleave(monkeypatch, target, lambda: other.put(make_record(2.0), identity))
    address = store.put(rec, identity)
    # the race happened: our rename found the other job's record there
    assert failed and failed[0] in (errno.ENOTEMPTY, errno.EEXIST)
    assert address == address_of(identity)
    got = store.get(address)
    assert got is not None
    assert np.array_equal(got.arrays["a/x"], rec.arrays["a/x"])
    assert leftovers(tmp_path) == []  # our temporary removed
    assert not store.quarantine_dir.exists()


def test_a_record_moved_aside_meanwhile_is_saved_again(tmp_path, monkeypatch):
    """Both writers find an old record there (``--force``): the other one moves it aside just
    before our own move, so ours finds nothing to move (ENOENT) and saves again."""
    store = RecordStore(tmp_path)
    rec = make_record(2.0)
    identity = rec.config
    store.put(make_record(2.0), identity)  # the old record, the same identity
    target = store.records / address_of(identity)
    aside = tmp_path / "moved-aside-by-the-other-job"
    real = os.replace

    def other_moves_it_first(src, dst):
        if Path(src) == target and not aside.exists():
            real(target, aside)  # the other job's move aside, its own rename still to come
        return real(src, dst)

    # our first rename is the move aside of the old record (src == target)
    monkeypatch.setattr(record_module.os, "replace", other_moves_it_first)
    assert store.put(rec, identity) == target.name
    assert aside.exists()  # the race happened: the old record was moved by the other job
    got = store.get(target.name)
    assert got is not None and np.array_equal(got.arrays["a/x"], rec.arrays["a/x"])
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["another identity", "damaged"])
def test_a_wrong_record_saved_meanwhile_is_replaced_by_ours(tmp_path, monkeypatch, kind):
    """What the other writer left is not this computation (a document of another identity at
    our address, or a record damaged after its checksum): never counted as stored; our save is
    tried again and replaces it (as Record.save replaces what is at its name)."""
    store = RecordStore(tmp_path)
    rec = make_record(2.0)
    identity = rec.config
    target = store.records / address_of(identity)

    def other():
        if kind == "another identity":
            make_record(3.0).save(store.records, name=target.name,
                                  extra={"identity": {"kind": "test", "value": 3.0},
                                         "address": target.name})
        else:
            RecordStore(tmp_path).put(make_record(2.0), identity)
            doc = json.loads((target / "record.json").read_text())
            doc["summary"]["v"] = 99.0  # edited after its checksum
            (target / "record.json").write_text(json.dumps(doc))

    failed = interleave(monkeypatch, target, other)
    assert store.put(rec, identity) == target.name
    assert failed  # the race happened
    doc = json.loads((target / "record.json").read_text())
    assert doc["identity"] == identity and doc["summary"]["v"] == 2.0
    assert Record.load(target).summary["v"] == 2.0  # intact (verified read)
    assert leftovers(tmp_path) == []


def test_other_errors_of_the_save_are_raised_at_once(tmp_path, monkeypatch):
    """A full disk is not a race: raised on the first try, nothing left behind."""
    store = RecordStore(tmp_path)
    rec = make_record(2.0)
    calls = []

    def full(src, dst):
        calls.append(dst)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(record_module.os, "replace", full)
    with pytest.raises(OSError) as e:
        store.put(rec, rec.config)
    assert e.value.errno == errno.ENOSPC and len(calls) == 1
    assert leftovers(tmp_path) == []
