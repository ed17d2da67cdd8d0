"""``twolayer figures`` as a new user meets it: a repeated --only adds to the selection
(argparse's default kept only the last one, so ``--only A --only B`` drew B alone without a
word); an --out folder with a README.md or index.json of its own is refused, not overwritten;
the liu2023-angles caption describes every panel it draws."""

from __future__ import annotations

import pytest
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


@pytest.mark.slow
def test_liu_angles_caption_describes_every_panel(tmp_path, monkeypatch):
    """liu2023-angles draws a ninth panel (bottom right: the drift 1 − cos(∇h_t, ∇h_0) of the
    sample-wise gradients in the Gaussian mixture, with t*) that neither the caption nor
    figures/README.md mentioned; the caption now names it and states the measured drift."""
    import re

    import twolayer.plots.liu2023 as P
    from twolayer.cli import main

    captions = []
    real = P.captioned_figure

    def spy(w, h, caption):
        captions.append(caption)
        return real(w, h, caption)

    monkeypatch.setattr(P, "captioned_figure", spy)
    argv = ["figures", "--quick", "--quiet", "--no-store", "--device", "cpu", "--out",
            str(tmp_path / "o"), "--only", "liu2023-angles"]
    assert main(argv) == 0
    (cap,) = captions
    assert "Bottom right" in cap and "1 − cos(∇h(w_t; x), ∇h(w_0; x))" in cap
    value = re.search(r"mixture drift at each seed's t\*: ([0-9.e+-]+)", cap)
    assert value is not None and 0.0 < float(value.group(1)) < 1.0
