"""A damaged record is detected, never used: every reader of a saved record (``show``,
``check PAPER --record``, ``conditions --record``, ``store verify`` of a folder of saved
records, the record store) refuses, in one line naming the record and what is wrong (exit 2
for the commands), a record whose files are not files (a named pipe, a link to /dev/zero: they
hung every reader), and a record edited with its checksums recomputed by their public recipe
(docs/robustness.md) where the record contradicts itself: its run id and its config, its
summary and its arrays, the dtypes and shapes ``record.json`` lists and those of
``arrays.npz``, fields of other types than twolayer writes (they were tracebacks). The oracle
of each edit is computed here with hashlib and numpy, not through twolayer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import MAIN_PER_ARGV_SCRIPT, run

pytestmark = pytest.mark.usefixtures("single_thread")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    """Two records of different configs (d = 12 and d = 13), as ``simulate --out`` saves them."""
    from twolayer.cli import main

    dirs = []
    for d in ("12", "13"):
        out = tmp_path_factory.mktemp("damage") / f"rec{d}"
        assert main(["simulate", "--d", d, "--n", "60", "--m", "8", "--steps", "20",
                     "--seeds", "2", "--quiet", "--out", str(out)]) == 0
        (rec,) = [p for p in out.iterdir() if p.is_dir()]
        dirs.append(rec)
    return dirs[0], dirs[1]


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    """A fresh copy of the d = 12 record to damage."""
    return Path(shutil.copytree(saved[0], tmp_path / "rec"))


def _document(rec: Path) -> dict:
    return json.loads((rec / "record.json").read_text())


def _rewrite(rec: Path, doc: dict) -> None:
    """Write ``doc`` back with both checksums recomputed by the recipe docs/robustness.md and
    the record module give (SHA-256 of arrays.npz; SHA-256 of the sorted compact JSON of the
    document without ``content``): a colleague who "fixes" a record."""
    doc["checksums"]["arrays.npz"] = hashlib.sha256((rec / "arrays.npz").read_bytes()).hexdigest()
    body = {k: v for k, v in doc.items() if k != "content"}
    doc["content"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"))
                                    .encode()).hexdigest()
    (rec / "record.json").write_text(json.dumps(doc, indent=1, sort_keys=True))


def _edit_arrays(rec: Path, edit) -> None:
    with np.load(rec / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    edit(arrays)
    np.savez(rec / "arrays.npz", **arrays)


def _refused(argv: list[str], capsys, *words: str) -> str:
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


READERS = {
    "show": lambda rec: ["show", str(rec)],
    "check": lambda rec: ["check", "frei2023", "--record", str(rec)],
    "conditions-frei": lambda rec: ["conditions", "--paper", "frei2023", "--record", str(rec)],
    "conditions-liu": lambda rec: ["conditions", "--paper", "liu2023", "--record", str(rec)],
}


def _set_summary(rec: Path) -> None:
    doc = _document(rec)
    doc["summary"]["test_error"] = 0.0
    _rewrite(rec, doc)


def _set_noise(rec: Path) -> None:
    doc = _document(rec)
    doc["config"]["data"]["noise"] = 0.0
    _rewrite(rec, doc)


def _set_seed(rec: Path) -> None:
    doc = _document(rec)
    doc["config"]["seed"] = 99
    _rewrite(rec, doc)


def _config_list(rec: Path) -> None:
    doc = _document(rec)
    doc["config"] = []
    _rewrite(rec, doc)


def _meta_list(rec: Path) -> None:
    doc = _document(rec)
    doc["meta"] = [1]
    _rewrite(rec, doc)


def _dtype(rec: Path) -> None:  # float16 in arrays.npz, record.json still says <f4
    _edit_arrays(rec, lambda a: a.__setitem__("errors/test_error",
                                              a["errors/test_error"].astype(np.float16)))
    _rewrite(rec, _document(rec))


def _strings(rec: Path) -> None:
    _edit_arrays(rec, lambda a: a.__setitem__("errors/test_error",
                                              a["errors/test_error"].astype(str)))
    doc = _document(rec)
    doc["dtypes"]["errors/test_error"] = "<U32"
    _rewrite(rec, doc)


def _shape(rec: Path) -> None:  # fewer probe times in one array, record.json agreeing
    _edit_arrays(rec, lambda a: a.__setitem__("errors/test_error",
                                              a["errors/test_error"][:, :3].copy()))
    doc = _document(rec)
    doc["arrays"]["errors/test_error"] = [2, 3]
    _rewrite(rec, doc)


EDITS = {
    # (edit, words of the one line)
    "summary": (_set_summary, ("test_error = 0.0", "differs from")),
    "config": (_set_noise, ("is not the hash of its config",)),
    "seed": (_set_seed, ("is not the hash of its config",)),
    "config not an object": (_config_list, ("config is not an object",)),
    "meta not an object": (_meta_list, ("meta is not an object",)),
    "dtype": (_dtype, ("'errors/test_error'", "<f2", "says <f4")),
    "strings": (_strings, ("'errors/test_error'", "not a number type")),
    "shape": (_shape, ("'errors/test_error'", "[2, 3]", "probe times")),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_with_recomputed_checksums_that_contradicts_the_record_is_refused(
        copy, capsys, edit):
    damage, words = EDITS[edit]
    damage(copy)
    for reader, argv in READERS.items():
        line = _refused(argv(copy), capsys, str(copy), *words)
        assert "Traceback" not in line, reader


@pytest.mark.parametrize("rel, refused", [(1e-9, False), (1e-4, True)])
def test_a_summary_number_in_its_last_bits_is_the_same_number(copy, capsys, rel, refused):
    """The summary is compared with the one computed again within a relative 1e-6 (another
    machine's numpy may sum a float32 mean in another order, moving its last bits); an edit of
    1e-4 relative is refused."""
    doc = _document(copy)
    value = doc["summary"]["test_error"]
    assert value > 0
    doc["summary"]["test_error"] = value * (1 + rel)
    _rewrite(copy, doc)
    if refused:
        _refused(["show", str(copy)], capsys, "test_error", "differs from")
    else:
        code, out, err = run(["show", str(copy)], capsys)
        assert code == 0 and "summary verified" in out, err


def test_arrays_swapped_in_from_another_config_with_recomputed_checksums_are_refused(
        saved, copy, capsys):
    shutil.copy(saved[1] / "arrays.npz", copy / "arrays.npz")
    _rewrite(copy, _document(copy))
    _refused(["show", str(copy)], capsys, "differs from", "arrays.npz")


def test_store_verify_of_saved_records_names_the_edited_one(copy, capsys):
    _set_summary(copy)
    code, out, err = run(["store", "verify", str(copy.parent)], capsys)
    assert code == 1, err
    assert f"damaged {copy}: its summary's test_error = 0.0" in out


def _subprocess(argv: list[str]) -> subprocess.CompletedProcess:
    """``python ARGV`` from the repository, killed after 60 s."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=60,
                          env=env, cwd=ROOT)


def test_a_file_that_is_a_pipe_or_a_device_is_refused_not_read(saved, tmp_path):
    """A reader that opened them blocked forever (a named pipe) or read without end (a link
    to /dev/zero): record.json or arrays.npz, read by show and by check --record; run in a
    subprocess so that the old behaviour fails by its timeout."""
    cases, argvs = [], []
    for kind in ("fifo", "dev-zero"):
        for name in ("record.json", "arrays.npz"):
            rec = Path(shutil.copytree(saved[0], tmp_path / f"{kind}-{name}"))
            (rec / name).unlink()
            if kind == "fifo":
                os.mkfifo(rec / name)
                what = "is a named pipe"
            else:
                (rec / name).symlink_to("/dev/zero")
                what = "is a character device"
            for argv in (["show", str(rec)], ["check", "frei2023", "--record", str(rec)]):
                cases.append((kind, name, what, argv[0]))
                argvs.append(argv)
    try:
        p = _subprocess(["-c", MAIN_PER_ARGV_SCRIPT, json.dumps(argvs)])  # under its timeout
    except subprocess.TimeoutExpired:
        pytest.fail("a reader hung on a named pipe or on /dev/zero")
    assert p.returncode == 0, p.stderr
    for (kind, name, what, command), (code, lines) in zip(cases, json.loads(p.stdout)):
        assert code == 2, (kind, name, command, lines)
        assert len(lines) == 1 and f"{name} {what}" in lines[0], (kind, name, command, lines)


def test_a_store_record_with_a_pipe_is_quarantined_not_read(copy, tmp_path):
    from twolayer.record import Record
    from twolayer.store import RecordStore

    warned: list[str] = []
    store = RecordStore(tmp_path / "store", warn=warned.append)
    address = store.put(Record.load(copy), {"point": 1})
    part = store.records / address
    (part / "arrays.npz").unlink()
    os.mkfifo(part / "arrays.npz")
    got: list = []
    reader = threading.Thread(target=lambda: got.append(store.get(address)), daemon=True)
    reader.start()
    reader.join(60)
    if reader.is_alive():  # it blocked in open(): let it go, then fail
        with open(part / "arrays.npz", "wb"):
            pass
        reader.join(10)
        pytest.fail("RecordStore.get blocked on a named pipe")
    assert got == [None]
    assert not part.exists()
    assert len(warned) == 1 and "arrays.npz is a named pipe" in warned[0]


def test_a_store_record_with_a_recomputed_checksum_and_another_dtype_is_quarantined(
        copy, tmp_path):
    from twolayer.record import Record
    from twolayer.store import RecordStore

    warned: list[str] = []
    store = RecordStore(tmp_path / "store", warn=warned.append)
    address = store.put(Record.load(copy), {"point": 1})
    _dtype(store.records / address)
    assert store.get(address) is None
    assert len(warned) == 1 and "has dtype <f2, record.json says <f4" in warned[0]


def test_an_intact_record_is_read_by_every_reader(saved, capsys):
    """The checks refuse none of what twolayer writes (the readers' own tests cover their
    output)."""
    for argv in READERS.values():
        code, out, err = run(argv(saved[0]), capsys)
        assert code in (0, 1) and "error" not in err, (argv, err)


def test_a_store_entry_that_is_a_pipe_is_quarantined_not_read(copy, tmp_path):
    """An entry (``entries/<key>.json``) replaced by a named pipe: ``check``'s read of it,
    ``store verify``, ``store prune`` and the scheduling read (``experiment_seconds``) all
    blocked in open()."""
    from twolayer.record import Record
    from twolayer.store import RecordStore, experiment_seconds

    warned: list[str] = []
    store = RecordStore(tmp_path / "store", warn=warned.append)
    key = {"experiment": "x.y", "quick": True}
    store.put_entry(key, Record.load(copy), seconds=1.0)
    (entry,) = store.entries.glob("*.json")
    entry.unlink()
    os.mkfifo(entry)
    got: list = []

    def reads() -> None:
        got.append(experiment_seconds(store.root, quick=True))
        got.append(store.prune(stale_entry=lambda key: None, dry_run=True).notes)
        got.append(store.get_entry(key))

    reader = threading.Thread(target=reads, daemon=True)
    reader.start()
    reader.join(60)
    if reader.is_alive():
        with open(entry, "wb"):
            pass
        reader.join(10)
        pytest.fail(f"a store reader blocked on a named pipe after {len(got)} reads")
    assert got[0] == {} and "1 damaged entries" in got[1][0] and got[2] is None
    assert not entry.exists() and len(warned) == 1 and "is a named pipe" in warned[0]


def test_a_killed_saves_temporary_in_the_out_folder_is_not_taken_for_a_record(saved, tmp_path,
                                                                               capsys):
    """``simulate --out DIR`` killed inside ``Record.save`` leaves ``DIR/.<run_id>.tmp.*``
    (complete or not): ``show DIR`` read it as the record when alone, and refused the real
    record beside it as "holds 2 records"."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(saved[0], out / f".{saved[0].name}.tmp.deadbeef")
    _refused(["show", str(out)], capsys, "not a record directory")
    shutil.copytree(saved[0], out / saved[0].name)
    code, stdout, err = run(["show", str(out)], capsys)
    assert code == 0, err
    assert stdout.startswith(f"record: {out / saved[0].name} ")
