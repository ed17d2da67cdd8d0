"""``twolayer store verify`` of an empty folder: the record store a command created and was
stopped in before it stored anything (``twolayer check`` interrupted at its start creates the
store folder and says that the experiments finished so far are kept there). It was refused,
exit 2, "must be a record store"; now it is an empty store: 0 intact, exit 0, and nothing is
written there (no lock file). Any other folder that is not a store is still refused. Oracles:
the exit status, the printed report and the folder's listing."""

from __future__ import annotations

import json

from twolayer.cli import main


def test_an_empty_folder_verifies_as_an_empty_store(tmp_path, capsys):
    empty = tmp_path / "store"
    empty.mkdir()
    assert main(["store", "verify", str(empty)]) == 0
    out = capsys.readouterr().out
    assert out == (f"{empty}: empty (no record stored yet)\n"
                   "0 intact, 0 quarantined, 0 temporary folders removed\n")
    assert main(["store", "verify", str(empty), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"intact": 0, "quarantined": [],
                                                   "removed_temporaries": [], "notes": []}
    assert list(empty.iterdir()) == []  # nothing written


def test_a_folder_with_anything_else_is_still_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert main(["store", "verify", str(tmp_path)]) == 2
    assert "must be a record store" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["store", "prune", str(empty)]) == 2  # prune removes from a store only
    assert "must be a record store" in capsys.readouterr().err
