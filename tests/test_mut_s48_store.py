"""Mutation tests of session 48's record-folder, store-layout and sweep-resume checks: each
test pins a behaviour that a mutant of that code changed while every earlier test passed.

Oracles: records saved here by ``simulate --out`` and doctored on disk (copied under another
name, a file deleted or replaced by a dangling link, a field edited and its checksum
recomputed, a symbolic link to a folder), folders a sweep stopped in, tables rewritten with
pyarrow; the exit statuses, the one-line messages and the folders' bytes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from cli_helpers import run, two_saved_records
from sweep_helpers import TWO_GROUPS_SPEC, StoppingExecutor

import twolayer.commands.sweep as sweep_command
from twolayer.cli import main
from twolayer.sweep import Store, loads

pytestmark = pytest.mark.usefixtures("single_thread")

EMPTY = "empty (no record stored yet)"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    """Two records (--seed 0 and 1) as ``simulate --out`` saves them: DIR/<run_id>/."""
    return two_saved_records(tmp_path_factory, "mut48")


def _folder(tmp_path: Path, *records: Path, names: tuple[str, ...] = ()) -> Path:
    """A folder of saved records: copies of ``records``, under ``names`` where given."""
    dmg = tmp_path / "dmg"
    dmg.mkdir()
    for i, rec in enumerate(records):
        shutil.copytree(rec, dmg / (names[i] if i < len(names) else rec.name))
    return dmg


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _listing(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


# -- record folders: which names read as a run id ------------------------------------------------

@pytest.mark.parametrize("name", ["abcdefabcde", "abcdefabcdef0"])  # 11 and 13 hex digits
def test_a_copy_named_by_other_than_12_hex_digits_is_the_users_and_is_read(
        saved, tmp_path, capsys, name):
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    shutil.copytree(a, dmg / name)
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 0 and out.startswith("3 intact, 0 damaged"), (out, err)
    code, out, err = run(["show", str(dmg / name)], capsys)
    assert code == 0 and f"(run {a.name};" in out, err


# -- a record file that is a dangling symbolic link ------------------------------------------------

def test_a_folder_whose_only_record_file_is_a_dangling_link_is_a_damaged_record(
        saved, tmp_path, capsys):
    """``mine/record.json`` links to a file that was deleted, nothing else is there: the folder
    is a record (its file is present, as a link) and is named damaged, not passed over."""
    dmg = _folder(tmp_path, saved[1])
    mine = dmg / "mine"
    mine.mkdir()
    (mine / "record.json").symlink_to(tmp_path / "deleted.json")
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 1 and out.startswith("1 intact, 1 damaged"), (out, err)
    assert f"damaged {mine}: record.json is missing" in out
    code, out, err = run(["store", "verify", str(mine)], capsys)
    assert code == 1 and out.startswith("0 intact, 1 damaged (one saved record"), (out, err)


# -- a folder name is the folder's own, a symbolic link to it followed --------------------------

def test_the_name_checked_is_the_folders_not_a_links(saved, tmp_path, capsys):
    a, b = saved
    dmg = _folder(tmp_path, a, names=("aaaaaaaaaaaa",))  # renamed to another run id
    links = tmp_path / "links"
    links.mkdir()
    (links / "renamed").symlink_to(dmg / "aaaaaaaaaaaa")  # a name that is no run id
    code, out, err = run(["store", "verify", str(links / "renamed")], capsys)
    assert code == 1 and "its folder is named aaaaaaaaaaaa, a run id" in out, (out, err)
    code, out, err = run(["show", str(links / "renamed")], capsys)
    assert code == 2 and "its folder is named aaaaaaaaaaaa" in _one_line(err)
    # and a link named by another run id to a folder named by its own: the folder is read
    (tmp_path / "o").mkdir()
    own = _folder(tmp_path / "o", b)
    (links / "bbbbbbbbbbbb").symlink_to(own / b.name)
    code, out, err = run(["store", "verify", str(links / "bbbbbbbbbbbb")], capsys)
    assert code == 0 and out.startswith("1 intact, 0 damaged"), (out, err)


def test_a_sweep_records_folder_is_checked_against_its_store_address(tmp_path, capsys,
                                                                     monkeypatch):
    """A sweep's record names its store address (its run id); its folder must be named by
    that address: one whose address was edited (the content checksum recomputed) is damaged,
    though its run id is still the folder's name and the hash of its config."""
    from twolayer.record import content_sha256

    spec_file = tmp_path / "s.toml"
    spec_file.write_text(SPEC)
    out = tmp_path / "out"
    monkeypatch.setattr(sweep_command, "make_executor", lambda args, spec, out: Executor())
    assert main(["sweep", str(spec_file), "--out", str(out), "--quiet"]) == 0
    rec = sorted((out / "records").iterdir())[0]
    capsys.readouterr()
    code, out_, err = run(["store", "verify", str(rec)], capsys)
    assert code == 0 and out_.startswith("1 intact, 0 damaged"), (out_, err)
    doc_path = rec / "record.json"
    doc = json.loads(doc_path.read_text())
    assert doc["address"] == doc["run_id"] == rec.name
    doc["address"] = "0" * 12
    doc["content"] = content_sha256(doc)
    doc_path.write_text(json.dumps(doc))
    code, out_, err = run(["store", "verify", str(rec)], capsys)
    assert code == 1 and (f"its folder is named {rec.name}, a run id, but record.json gives "
                          f"its store address as {'0' * 12}") in out_, (out_, err)


# -- a folder holding several records: the damaged ones named --------------------------------------

def test_a_record_whose_arrays_were_deleted_is_named_damaged_by_the_readers(
        saved, tmp_path, capsys):
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    (dmg / a.name / "arrays.npz").unlink()
    code, out, err = run(["show", str(dmg)], capsys)
    assert code == 2 and out == ""
    line = _one_line(err)
    assert f"damaged: {a.name} (arrays.npz missing)" in line and "store verify" in line, line
    assert b.name not in line.split("damaged:")[1]


@pytest.mark.parametrize("n", [4, 5])
def test_the_damaged_list_is_cut_after_four(saved, tmp_path, capsys, n):
    dmg = _folder(tmp_path, saved[0])
    names = [f"{i:012x}" for i in range(1, n + 1)]  # emptied record folders
    for name in names:
        (dmg / name).mkdir()
    code, out, err = run(["show", str(dmg)], capsys)
    assert code == 2
    line = _one_line(err)
    listed = ", ".join(f"{name} (record.json and arrays.npz missing)" for name in names[:4])
    assert f"damaged: {listed}" + (", ...:" if n > 4 else ": give one") in line, line


# -- a document edited and its content checksum recomputed -----------------------------------------

def test_an_edited_document_with_a_recomputed_checksum_is_damage_not_an_assembled_record(
        saved, tmp_path, capsys):
    """config.seeds edited (the arrays hold 2 runs: it reads as settings assembled into one
    record) and times made no list of integers, the checksum recomputed: the document's fields
    are checked before its config is read, so the record is named damaged."""
    from twolayer.record import content_sha256

    dmg = _folder(tmp_path, saved[0])
    doc_path = dmg / saved[0].name / "record.json"
    doc = json.loads(doc_path.read_text())
    doc["config"]["seeds"] = 3
    doc["times"] = ["0"]
    doc["content"] = content_sha256(doc)
    doc_path.write_text(json.dumps(doc))
    for where in (dmg, dmg / saved[0].name):
        code, out, err = run(["show", str(where)], capsys)
        assert code == 2 and out == ""
        line = _one_line(err)
        assert "times is not a list of integers" in line and "assembled" not in line, line


# -- store verify of what a sweep stopped before its first point leaves ----------------------------

@pytest.mark.parametrize("files", [("points.csv", "summary.csv", ".lock"),  # no spec.toml
                                   ("spec.toml", "notes.txt"),  # a file no sweep writes
                                   ("spec.toml", "summary.csv", "plot.png")])
def test_a_folder_that_is_not_what_a_stopped_sweep_leaves_is_refused(tmp_path, capsys, files):
    root = tmp_path / "proj"
    root.mkdir()
    for name in files:
        (root / name).write_text("x\n")
    before = _listing(root)
    code, out, err = run(["store", "verify", str(root)], capsys)
    assert code == 2 and out == "" and "must be a record store" in _one_line(err)
    assert _listing(root) == before


def test_a_table_that_is_a_symbolic_link_is_not_what_a_stopped_sweep_leaves(tmp_path, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "spec.toml").write_text("x\n")
    (tmp_path / "mine.csv").write_text("the user's\n")
    (root / "points.csv").symlink_to(tmp_path / "mine.csv")
    code, out, err = run(["store", "verify", str(root)], capsys)
    assert code == 2 and "must be a record store" in _one_line(err)
    (root / "points.csv").unlink()  # without the link: what a stopped sweep leaves
    (root / "points.csv").write_text("x\n")
    code, out, err = run(["store", "verify", str(root)], capsys)
    assert code == 0 and out.startswith(f"{root}: {EMPTY}"), err


# -- sweep --out: the tables an older run left --------------------------------------------------

SPEC = TWO_GROUPS_SPEC


Executor = StoppingExecutor


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SPEC)
    return path


def _older_run(out: Path, spec_text: str = SPEC) -> None:
    """What a run stopped before its first point left until session 48: spec.toml and the
    tables of every point missing (the same Store methods), no records/."""
    spec = loads(spec_text)
    out.mkdir()
    (out / "spec.toml").write_text(spec_text)
    st = Store(out)
    st.write_points(spec.points())
    st.write_summary(spec.points())


def _dry_run(spec_file: Path, out: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["sweep", str(spec_file), "--out", str(out), "--dry-run", "--quiet"])
    return code, capsys.readouterr().err


def test_an_older_runs_points_table_alone_is_the_sweeps_own(tmp_path, spec_file, capsys):
    """Stopped between its two writes (or its summary removed): spec.toml and points.csv."""
    out = tmp_path / "out"
    _older_run(out)
    for name in ("summary.csv", "summary.parquet"):
        (out / name).unlink(missing_ok=True)
    before = _listing(out)
    code, err = _dry_run(spec_file, out, capsys)
    assert code == 0, err
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify"]) == 0
    assert EMPTY in capsys.readouterr().out
    assert _listing(out) == before


def test_a_summary_parquet_without_its_summary_csv_is_refused(tmp_path, spec_file, capsys):
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    _older_run(out)
    (out / "summary.csv").unlink()
    before = _listing(out)
    code, err = _dry_run(spec_file, out, capsys)
    assert code == 2 and "holds summary.parquet," in _one_line(err)
    assert _listing(out) == before


@pytest.mark.parametrize("name", ["points.csv", "summary.csv"])
def test_a_table_with_the_users_rows_after_the_sweeps_is_refused(tmp_path, spec_file, capsys,
                                                                 name):
    """The sweep's table and a row the user added below it: overwriting it loses that row."""
    out = tmp_path / "out"
    _older_run(out)
    with (out / name).open("a") as fh:
        fh.write("99,0.5,mine,mine\n")
    before = _listing(out)
    code, err = _dry_run(spec_file, out, capsys)
    assert code == 2 and f"holds {name}," in _one_line(err), err
    assert _listing(out) == before


def _rewrite_parquet(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    pq.write_table(change(pq.read_table(path)), path)


@pytest.mark.parametrize("change", ["a column's type", "a row dropped"])
def test_a_summary_parquet_that_is_not_exactly_the_sweeps_is_refused(
        tmp_path, spec_file, capsys, change):
    """Same values in another column type (seed as float64: 0.0 == 0), or its first row only:
    not the table the sweep writes, so not the sweep's to overwrite."""
    pa = pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    _older_run(out)
    if change == "a column's type":
        def edit(t):  # type: ignore[no-untyped-def]
            i = t.schema.get_field_index("seed")
            return t.set_column(i, "seed", t.column(i).cast(pa.float64()))
    else:
        def edit(t):  # type: ignore[no-untyped-def]
            return t.slice(0, 1)
    _rewrite_parquet(out / "summary.parquet", edit)
    before = _listing(out)
    code, err = _dry_run(spec_file, out, capsys)
    assert code == 2 and "holds summary.parquet," in _one_line(err), err
    assert _listing(out) == before


def test_a_spec_toml_differing_only_in_whitespace_is_not_the_specs(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "spec.toml").write_text(SPEC + "\n")
    code, err = _dry_run(spec_file, out, capsys)
    assert code == 2 and "holds spec.toml," in _one_line(err), err


def test_holds_text_never_opens_a_named_pipe(tmp_path):
    """A FIFO at spec.toml: open() would block until a writer came; it is no file, so it does
    not hold the text, and nothing is opened."""
    from twolayer.commands.sweep import holds_text

    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(holds_text(fifo, "")), daemon=True)
    t.start()
    t.join(5)
    if t.is_alive():  # unblock the reader (a writer that closes at once: it reads "")
        fd = os.open(fifo, os.O_WRONLY)
        os.close(fd)
        t.join(5)
        pytest.fail("holds_text opened a named pipe and blocked on it")
    assert got == [False]


def test_verify_of_an_empty_out_is_no_sweep_store(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    out.mkdir()
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify"]) == 2
    assert "holds no sweep store to verify" in _one_line(capsys.readouterr().err)
    assert list(out.iterdir()) == []


def test_verify_of_a_store_verifies_its_records_not_an_empty_one(
        tmp_path, spec_file, capsys, monkeypatch):
    """records/ beside the spec's own spec.toml: the store's records are verified (a damaged one
    quarantined), not reported as a run stopped before its first point."""
    out = tmp_path / "out"
    monkeypatch.setattr(sweep_command, "make_executor", lambda args, spec, out: Executor())
    assert main(["sweep", str(spec_file), "--out", str(out), "--quiet"]) == 0
    first, second = sorted((out / "records").iterdir())
    (first / "arrays.npz").write_bytes(b"damaged")
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] == 1 and [q["path"] for q in report["quarantined"]] == [str(first)]
    assert not first.exists() and second.is_dir()


def test_verify_of_a_store_holding_only_recorded_failures_verifies_them(
        tmp_path, spec_file, capsys):
    """failed/ without records/: a store (verified: its failure counted intact), not a run
    stopped before its first point."""
    out = tmp_path / "out"
    spec_text = SPEC.replace("[axes]\ndata.noise = [0.0, 0.2]\n",
                             "[axes]\nnet.init_var = [1e80]\n")  # diverges: recorded failure
    spec_file.write_text(spec_text)
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out), "--quiet"]) == 2  # all diverged
    assert (out / "failed").is_dir() and not (out / "records").exists()
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] == 1 and report["quarantined"] == []


def test_an_interrupt_after_a_recorded_failure_writes_the_tables(
        tmp_path, spec_file, capsys, monkeypatch):
    """The first point diverged (failed/ created, no records/), the run stopped before the
    second: the tables say what is stored, the failure included."""
    spec_text = SPEC.replace("data.noise = [0.0, 0.2]", "net.init_var = [1e80, 0.001]")
    spec_file.write_text(spec_text)
    out = tmp_path / "out"
    monkeypatch.setattr(sweep_command, "make_executor",
                        lambda args, spec, out: Executor(1, KeyboardInterrupt()))
    assert main(["sweep", str(spec_file), "--out", str(out), "--quiet"]) == 130
    assert (out / "failed").is_dir() and not (out / "records").exists()
    bad, good = loads(spec_text).points()
    rows = {r["run_id"]: r["status"] for r in csv.DictReader((out / "points.csv").open())}
    assert rows == {bad.run_id: "diverged", good.run_id: "missing"}
