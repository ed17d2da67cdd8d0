"""A damaged record in a folder of saved records (``simulate --out DIR``: one ``DIR/<run_id>/``
per record) is detected, never used, and never passed over for another (session 48):

- a record whose ``record.json`` was deleted was skipped: ``store verify DIR`` said "1 intact,
  0 damaged" (exit 0) and ``show``, ``check --record`` and ``conditions --record`` read the
  other record of DIR as if it were the only one; ``store verify DIR/<run_id>`` refused it as
  "must be a record store" (exit 2). Now it is damaged (verify: exit 1, "record.json is
  missing"), and the readers refuse DIR (exit 2) naming it;
- a record folder renamed to another run id (``aaaaaaaaaaaa``) was intact and shown; now its
  folder name, which reads as a run id, must be its own run id (a name that is no run id, a
  copy the user named, is read);
- an edited ``config.seeds`` was taken for "a record that an experiment assembled": the content
  checksum is now verified before the config is read.

A folder of the user's that holds none of a record's files (``plots/``) stays no record. The
oracles are records doctored here (a file deleted, a folder renamed or copied, a JSON field
edited) and the exit statuses and messages; nothing is written by any of the commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_helpers import run, two_saved_records

pytestmark = pytest.mark.usefixtures("single_thread")

READERS = (["show"], ["check", "frei2023", "--record"], ["conditions", "--paper", "frei2023",
                                                          "--record"])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    """Two records of two seeds (--seed 0 and 1), as ``simulate --out`` saves them."""
    return two_saved_records(tmp_path_factory, "s48")


def _listing(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1)
                  for p in root.rglob("*"))


def _folder(tmp_path: Path, *records: Path) -> Path:
    """A folder of saved records holding copies of ``records`` under their own names."""
    dmg = tmp_path / "dmg"
    dmg.mkdir()
    for rec in records:
        shutil.copytree(rec, dmg / rec.name)
    return dmg


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- 1. a record whose record.json was deleted ---------------------------------------------------

def test_verify_names_a_record_whose_document_was_deleted(saved, tmp_path, capsys):
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    (dmg / a.name / "record.json").unlink()
    before = _listing(dmg)
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 1, (out, err)
    assert out.startswith("1 intact, 1 damaged"), out
    assert f"damaged {dmg / a.name}: record.json is missing" in out
    code, out, err = run(["store", "verify", str(dmg), "--json"], capsys)
    assert code == 1 and json.loads(out)["damaged"] == [
        {"path": str(dmg / a.name), "why": "record.json is missing"}]
    assert _listing(dmg) == before  # verified in place: nothing moved, nothing written


def test_verify_of_the_damaged_records_own_folder_reports_it(saved, tmp_path, capsys):
    dmg = _folder(tmp_path, saved[0])
    rec = dmg / saved[0].name
    (rec / "record.json").unlink()
    code, out, err = run(["store", "verify", str(rec)], capsys)
    assert code == 1, err  # was 2: "must be a record store ..."
    assert out.startswith("0 intact, 1 damaged (one saved record")
    assert f"damaged {rec}: record.json is missing" in out


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[0])
def test_readers_refuse_a_folder_with_a_damaged_record_not_read_the_other(
        saved, tmp_path, capsys, reader):
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    (dmg / a.name / "record.json").unlink()
    code, out, err = run([*reader, str(dmg)], capsys)
    assert code == 2 and out == "", out  # it read b as the folder's only record
    line = _one_line(err)
    assert f"damaged: {a.name} (record.json missing)" in line, line
    assert "store verify" in line


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[0])
def test_readers_name_the_missing_document_of_the_only_record(saved, tmp_path, capsys, reader):
    dmg = _folder(tmp_path, saved[0])
    (dmg / saved[0].name / "record.json").unlink()
    for where in (dmg, dmg / saved[0].name):  # DIR, and DIR/<run_id>
        code, out, err = run([*reader, str(where)], capsys)
        assert code == 2 and out == ""
        line = _one_line(err)
        assert f"{dmg / saved[0].name}: record.json is missing" in line, line


def test_a_folder_of_the_users_that_holds_no_record_file_is_no_record(saved, tmp_path, capsys):
    """plots/, notes/ beside the records and a killed save's hidden temporary: not records, as
    before; the one record is verified and shown."""
    dmg = _folder(tmp_path, saved[1])
    (dmg / "plots").mkdir()
    (dmg / "plots" / "loss.png").write_bytes(b"\x89PNG")
    (dmg / "notes").mkdir()
    shutil.copytree(saved[0], dmg / f".{saved[0].name}.tmp.deadbeef")
    (dmg / f".{saved[0].name}.tmp.deadbeef" / "record.json").unlink()
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 0 and out.startswith("1 intact, 0 damaged"), (out, err)
    code, out, err = run(["show", str(dmg)], capsys)
    assert code == 0 and f"record: {dmg / saved[1].name} " in out, err


def test_an_emptied_folder_named_by_a_run_id_is_a_damaged_record(saved, tmp_path, capsys):
    dmg = _folder(tmp_path, saved[1])
    (dmg / saved[0].name).mkdir()  # a record's folder, its files deleted
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 1 and f"damaged {dmg / saved[0].name}: record.json is missing" in out, out


def test_a_store_whose_first_saved_record_lost_its_document_is_still_refused(
        saved, tmp_path, capsys):
    """``simulate --out home/records``: the parent is no store (verify would quarantine every
    record). A damaged first record (now listed) must not make it read as one."""
    home = tmp_path / "home"
    records = home / "records"
    records.mkdir(parents=True)
    first = records / "000000000000"  # sorted first
    shutil.copytree(saved[0], first)
    (first / "record.json").unlink()
    shutil.copytree(saved[1], records / saved[1].name)
    code, out, err = run(["store", "verify", str(home)], capsys)
    assert code == 2 and "saved by twolayer simulate --out" in _one_line(err)
    assert not (home / "quarantine").exists()


# -- 2. a record folder's name -------------------------------------------------------------------

def test_a_folder_renamed_to_another_run_id_is_damaged(saved, tmp_path, capsys):
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    (dmg / a.name).rename(dmg / "aaaaaaaaaaaa")
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 1, out
    assert out.startswith("1 intact, 1 damaged"), out
    assert (f"damaged {dmg / 'aaaaaaaaaaaa'}: its folder is named aaaaaaaaaaaa, a run id, but "
            f"record.json gives its run id as {a.name}") in out
    code, out, err = run(["store", "verify", str(dmg / "aaaaaaaaaaaa")], capsys)
    assert code == 1 and "1 damaged (one saved record" in out
    for reader in READERS:
        code, out, err = run([*reader, str(dmg / "aaaaaaaaaaaa")], capsys)
        assert code == 2 and out == "", (reader, out)
        line = _one_line(err)
        assert "its folder is named aaaaaaaaaaaa" in line and f"rename the folder {a.name}" in line


def test_a_copy_under_a_name_that_is_no_run_id_is_read(saved, tmp_path, capsys):
    """A name that is not 12 hex digits is the user's (Record.save(out, name=...) writes such
    folders): verified, shown, judged."""
    a, b = saved
    dmg = _folder(tmp_path, a, b)
    shutil.copytree(dmg / b.name, dmg / "copy")
    code, out, err = run(["store", "verify", str(dmg)], capsys)
    assert code == 0 and out.startswith("3 intact, 0 damaged"), (out, err)
    code, out, err = run(["show", str(dmg / "copy")], capsys)
    assert code == 0 and f"(run {b.name};" in out, err
    code, out, err = run(["show", str(dmg)], capsys)  # three records: give one
    assert code == 2 and "holds 3 records" in _one_line(err) and "damaged" not in err


# -- 3. an edited config.seeds -------------------------------------------------------------------

@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[0])
def test_an_edited_seeds_is_damage_not_an_assembled_record(saved, tmp_path, capsys, reader):
    dmg = _folder(tmp_path, saved[0])
    doc_path = dmg / saved[0].name / "record.json"
    doc = json.loads(doc_path.read_text())
    assert doc["config"]["seeds"] == 2
    doc["config"]["seeds"] = 3  # content checksum left as it was
    doc_path.write_text(json.dumps(doc, indent=1, sort_keys=True))
    for where in (dmg, dmg / saved[0].name):
        code, out, err = run([*reader, str(where)], capsys)
        assert code == 2 and out == ""
        line = _one_line(err)
        assert "record.json does not match its content checksum (edited or damaged)" in line, line
        assert "assembled" not in line
