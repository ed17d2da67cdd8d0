"""``twolayer figures`` selection flags: a repeated --only adds to the selection (argparse's
default kept only the last one, so ``--only A --only B`` drew B alone without a word)."""

from __future__ import annotations

from cli_helpers import run


def test_a_repeated_only_draws_every_named_figure(capsys):
    code, out, err = run(["figures", "--list", "--only", "frei2023-fig1", "--only",
                          "liu2023-fig1", "liu2023-angles"], capsys)
    assert code == 0, err
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == ["frei2023-fig1", "liu2023-fig1", "liu2023-angles"]


def test_a_folder_with_a_readme_of_its_own_is_refused(tmp_path, capsys):
    """--out . in a project folder rewrote the project's README.md (and an index.json of its
    own): refused before any work, one line naming --out, the folder's files untouched."""
    out = tmp_path / "proj"
    out.mkdir()
    (out / "README.md").write_text("# My project\n\nnotes\n")
    code, stdout, err = run(["figures", "--quick", "--quiet", "--only", "frei2023-fig1",
                             "--out", str(out)], capsys)
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and "--out" in err and "README.md" in err
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text() == "# My project\n\nnotes\n"

    (out / "README.md").unlink()
    (out / "index.json").write_text('{"name": "my-package", "version": "1.0"}\n')
    code, _, err = run(["figures", "--quick", "--quiet", "--only", "frei2023-fig1",
                        "--out", str(out)], capsys)
    assert code == 2 and "index.json" in err
    assert (out / "index.json").read_text() == '{"name": "my-package", "version": "1.0"}\n'


def test_a_folder_written_by_figures_is_still_accepted(tmp_path):
    """The guard recognises what figures writes (the committed figures/README.md and
    index.json included), so rerunning into the same folder goes on working."""
    from pathlib import Path

    from twolayer.commands.figures import check_not_foreign, render_readme, write_index

    check_not_foreign(Path(__file__).resolve().parents[1] / "figures")  # the committed ones
    write_index(tmp_path, {})
    assert (tmp_path / "README.md").read_text().startswith(render_readme({}, tmp_path)[:9])
    check_not_foreign(tmp_path)
