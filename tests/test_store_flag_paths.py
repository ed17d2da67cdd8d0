"""`twolayer check --records DIR` (and $TWOLAYER_STORE) that cannot be a store, as a new user
gives it: one line naming the flag, the value and the folder at fault (docs/robustness.md,
"Output paths"), as `figures --records` and `sweep --out` say it; never the checker's temporary
file, and nothing trained."""

from __future__ import annotations

import pytest

from twolayer.cli import main


@pytest.mark.parametrize("where", ["/proc", "/proc/x"])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_check_names_the_folder_where_no_store_can_be(tmp_path, capsys, monkeypatch, where, how):
    monkeypatch.chdir(tmp_path)
    argv = ["check", "frei2023.lemma3.init_norms", "--quick"]
    if how == "flag":
        argv += ["--records", where]
        named = f"--records '{where}' is invalid"
    else:
        monkeypatch.setenv("TWOLAYER_STORE", where)
        named = f"TWOLAYER_STORE '{where}' is invalid"
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert named in err and "nothing can be created in /proc" in err, err
    assert ".write-test" not in err
    assert list(tmp_path.iterdir()) == []
