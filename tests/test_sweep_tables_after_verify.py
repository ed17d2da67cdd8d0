"""`store verify`, `sweep --verify` and `store prune` remove points from a sweep's store; the
tables (points.csv, summary.csv, summary.parquet) listed them as stored, with their numbers,
until session 49 (a helper's report). They are removed with a note; the sweep's command writes
them again."""

from __future__ import annotations

import csv

import pytest
from sweep_helpers import TINY_BASE

from twolayer.cli import main

SPEC = "seeds = 2" + TINY_BASE + "[axes]\ndata.noise = [0.0, 0.1, 0.2]\n"
TABLES = ("points.csv", "summary.csv")


@pytest.fixture()
def swept(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text(SPEC)
    out = tmp_path / "s"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    assert all((out / t).is_file() for t in TABLES)
    return spec, out


def statuses(out) -> list[str]:
    with open(out / "points.csv") as f:
        return [row["status"] for row in csv.DictReader(f)]


@pytest.mark.parametrize("how", ["store verify", "sweep --verify"])
def test_verify_that_quarantines_removes_the_tables(swept, capsys, how):
    spec, out = swept
    damaged = sorted((out / "records").iterdir())[0]
    (damaged / "arrays.npz").write_bytes(b"")
    argv = (["store", "verify", str(out)] if how == "store verify"
            else ["sweep", str(spec), "--out", str(out), "--verify"])
    capsys.readouterr()
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "1 quarantined" in text and "note: removed points.csv, summary.csv" in text
    assert not any((out / t).exists() for t in TABLES)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    assert statuses(out) == ["ok"] * 3


def test_verify_of_an_intact_store_keeps_the_tables(swept, capsys):
    _, out = swept
    before = {t: (out / t).read_bytes() for t in TABLES}
    assert main(["store", "verify", str(out)]) == 0
    assert "note:" not in capsys.readouterr().out
    assert {t: (out / t).read_bytes() for t in TABLES} == before


@pytest.mark.parametrize("dry_run", [True, False])
def test_prune_that_removes_points_removes_the_tables(swept, capsys, monkeypatch, dry_run):
    import twolayer.sweep.store as sweep_store

    spec, out = swept
    monkeypatch.setattr(sweep_store, "current_code", lambda: "0123456789abcdef")  # other code
    capsys.readouterr()
    assert main(["store", "prune", str(out), *(["--dry-run"] if dry_run else [])]) == 0
    text = capsys.readouterr().out
    if dry_run:
        assert "note: would remove points.csv, summary.csv" in text
        assert all((out / t).is_file() for t in TABLES) and statuses(out) == ["ok"] * 3
    else:
        assert "note: removed points.csv, summary.csv" in text
        assert not (out / "records").exists() or not any((out / "records").iterdir())
        assert not any((out / t).exists() for t in TABLES)


@pytest.mark.parametrize("dict_result", [False, True])
def test_an_entry_whose_record_is_gone_is_named_plainly(tmp_path, dict_result) -> None:
    """A one-record entry's part has no name: its quarantine read "its part '' (...) is missing
    or damaged" (session 49's helper); now "its record (...)", a named part as before."""
    import shutil

    import numpy as np

    from twolayer.record import Record
    from twolayer.store import RecordStore

    st = RecordStore(tmp_path / "s", warn=lambda line: None)
    rec = Record(config={"a": 1}, run_id="r1", times=np.arange(2),
                 arrays={"x/y": np.zeros((1, 2), dtype=np.float32)}, meta={"seeds": [0]})
    key = {"experiment": "p.e", "n": 1}
    st.put_entry(key, {"low": rec} if dict_result else rec)
    for folder in (st.records).iterdir():
        shutil.rmtree(folder)
    assert st.get_entry(key) is None
    text = " ".join(p.read_text() for p in st.quarantine_dir.rglob("*") if p.is_file())
    want = "its part 'low'" if dict_result else "its record ("
    assert want in text and "its part ''" not in text, text[:500]
