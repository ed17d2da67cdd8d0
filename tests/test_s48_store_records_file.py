"""A store whose ``records`` (or ``entries``, or a sweep's ``failed``) is a plain file
(session 48). ``twolayer store verify`` printed "0 intact", exit 0; ``twolayer check --records``
printed "checking N claims ..." and created the lock file before its exit-2 error, which named
``--records '<DIR>/records'``, a value the user never gave. Now both refuse before any work:
one line naming the flag (DIR, --records, $TWOLAYER_STORE), the value given and the file,
exit 2, nothing written. Oracles: exit status, stderr, the folder's listing."""

from __future__ import annotations

from pathlib import Path

import pytest

from twolayer.cli import main


def store_with_a_file(tmp_path: Path, file: str, folder: str) -> Path:
    root = tmp_path / "fs2"
    (root / folder).mkdir(parents=True)
    (root / file).write_text("")
    return root


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("file, folder", [("records", "entries"), ("entries", "records"),
                                          ("failed", "records"), ("records", "failed")])
def test_store_verify_refuses_a_store_part_that_is_a_file(tmp_path: Path, capsys, file,
                                                          folder) -> None:
    root = store_with_a_file(tmp_path, file, folder)
    before = listing(root)
    for action in ("verify", "prune"):
        assert main(["store", action, str(root)]) == 2
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert captured.out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
        assert f"DIR '{root}' is invalid" in err and f"{root / file} is a file" in err, err
    assert listing(root) == before  # no lock file


@pytest.mark.parametrize("file", ["records", "entries"])
@pytest.mark.parametrize("listing_only", [False, True])
def test_check_refuses_a_records_store_with_a_file_before_starting(
        tmp_path: Path, capsys, file, listing_only) -> None:
    root = store_with_a_file(tmp_path, file, "entries" if file == "records" else "records")
    before = listing(root)
    argv = ["check", "vashisht2024", "--quick", "--records", str(root)]
    assert main(argv + (["--list"] if listing_only else [])) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and len(err.splitlines()) == 1, err
    assert "checking" not in err and "Traceback" not in err
    assert err.startswith(f"twolayer check: error: --records '{root}' is invalid: ")
    assert f"({root / file} is a file, not a folder)" in err
    assert listing(root) == before  # no .lock


def test_figures_and_the_environments_store_are_refused_alike(tmp_path: Path, capsys,
                                                             monkeypatch) -> None:
    root = store_with_a_file(tmp_path, "records", "entries")
    before = listing(root)
    out = tmp_path / "figs"
    assert main(["figures", "--quick", "--records", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"--records '{root}' is invalid" in err, err
    assert not out.exists()
    monkeypatch.setenv("TWOLAYER_STORE", str(root))
    assert main(["check", "vashisht2024", "--quick"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"TWOLAYER_STORE '{root}' is invalid" in err, err
    assert "give $TWOLAYER_STORE another directory" in err
    assert listing(root) == before


def test_a_dangling_link_at_records_is_refused_like_a_file(tmp_path, capsys):
    """``exists()`` is False for a broken symbolic link: ``store verify`` said "0 intact" (exit
    0) and left a lock, ``check --records`` passed the layout check (found by the mutation
    test of session 48)."""
    from twolayer.cli import main

    st = tmp_path / "st"
    (st / "entries").mkdir(parents=True)
    (st / "records").symlink_to(tmp_path / "nowhere")
    before = sorted(p.name for p in st.iterdir())
    assert main(["store", "verify", str(st)]) == 2
    err = capsys.readouterr().err
    assert "is a broken symbolic link, not a folder" in err and len(err.splitlines()) == 1, err
    assert main(["check", "vashisht2024", "--quick", "--records", str(st), "--list"]) == 2
    err = capsys.readouterr().err
    assert f"--records {str(st)!r} is invalid" in err and "broken symbolic link" in err, err
    assert sorted(p.name for p in st.iterdir()) == before  # no .lock left
