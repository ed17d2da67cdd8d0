"""``twolayer simulate --out`` refuses a folder whose records the store tools would not see as
simulate's (session 48: the record was written into one record's folder, the experiments'
store or a sweep's, and ``store verify`` and ``prune`` then passed over it). Oracle: the file
system before and after, and the exit status."""

from __future__ import annotations

import pytest

from twolayer.cli import main

SMALL = ["simulate", "--steps", "3", "--d", "4", "--n", "10", "--n-test", "10", "--m", "4",
         "--quiet"]


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("make,says", [
    (lambda d: (d / "record.json").write_text("{}"), "one record's folder"),
    (lambda d: (d / "arrays.npz").write_bytes(b""), "one record's folder"),
    (lambda d: (d / "entries").mkdir(), "the experiments' record store"),
    (lambda d: ((d / "records").mkdir(), (d / "spec.toml").write_text("")), "a sweep's store"),
])
def test_simulate_refuses_a_store_or_a_records_folder_as_out(tmp_path, capsys, make, says):
    out = tmp_path / "out"
    out.mkdir()
    make(out)
    before = _tree(tmp_path)
    assert main([*SMALL, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(out)!r} is invalid: must not be {says}" in err, err
    assert len(err.splitlines()) == 1
    assert _tree(tmp_path) == before


def test_a_folder_of_records_and_a_users_folder_are_still_fine(tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*SMALL, "--out", str(out)]) == 0
    assert main([*SMALL, "--seed", "5", "--out", str(out)]) == 0  # a second record beside
    assert len([p for p in out.iterdir() if p.is_dir()]) == 2
    mine = tmp_path / "mine"
    (mine / "records").mkdir(parents=True)  # records/ without a sweep's spec.toml: a user's
    assert main([*SMALL, "--out", str(mine)]) == 0
