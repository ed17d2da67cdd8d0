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


def test_a_run_without_the_plugin_keeps_the_plugins_sections(tmp_path):
    """``make figures`` draws the Barak plugin's figures into figures/ too; a later
    ``figures --only X --out figures`` without the plugin's path rewrote README.md from the
    registered figures only, dropping the plugin's sections (their entries stayed in index.json).
    A section is now rendered from the description stored with its entry; an entry of an older
    index (no description) keeps a section that says how to restore it."""
    import json

    from twolayer.commands.figures import render_readme
    from twolayer.plots import FIGURES

    assert "myplug-f1" not in FIGURES and "myplug-f2" not in FIGURES
    section = {"title": "Escape times", "regenerates": "Someone (2022), Figure 1",
               "claims": ["myplug.claim_a"], "shows": "the escape time against n",
               "differences": ["n up to 40 (paper: 100)"]}
    last = {"seconds": 20.0, "quick": False, "device": "cpu", "date": "2026-12-01 00:00 UTC"}
    entries = {"myplug-f1": {**last, "files": ["myplug-f1.png"], "section": section},
               "myplug-f2": {**last, "files": ["myplug-f2.png"]},
               "myplug-f3": {**last, "files": ["myplug-f3.png"], "section": {"title": 3}}}
    text = render_readme(entries)
    one = text.split("## myplug-f1: Escape times\n", 1)[1].split("\n## ", 1)[0]
    assert "- File: `myplug-f1.png`" in one and "- Regenerates: Someone (2022), Figure 1" in one
    assert "- Claims: `myplug.claim_a`" in one and "  - n up to 40 (paper: 100)" in one
    assert "- Shows: the escape time against n" in one and "20 s on cpu" in one
    assert "a plugin not loaded in this run" in one
    for name in ("myplug-f2", "myplug-f3"):  # no description, or a malformed one
        part = text.split(f"## {name}: (a plugin's figure)\n", 1)[1].split("\n## ", 1)[0]
        assert f"- File: `{name}.png`" in part and "no description stored" in part
    # from disk: the README written from a folder's index keeps the plugin's section
    from twolayer.commands.figures import load_index, write_index

    out = tmp_path / "figs"
    out.mkdir()
    (out / "index.json").write_text(json.dumps({"figures": {"myplug-f1": entries["myplug-f1"]}}))
    write_index(out, load_index(out))
    assert "## myplug-f1: Escape times" in (out / "README.md").read_text()
