"""figures/README.md says what each figure draws and how its last run went (session 49's
helper): three liu2023 figures listed t_× marks (or t* too) they do not draw; a figure drawn
from stored runs read "0 s" with no word that nothing was trained; a hand-added note in the
committed README was lost at the next run."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

from twolayer.cli import main

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_readme_is_what_its_index_renders() -> None:
    """A note kept in README.md alone would be dropped by the next `twolayer figures` run."""
    import twolayer.plots  # noqa: F401 - the built-in figures
    from twolayer.commands.figures import load_index, render_readme
    from twolayer.plugins import load_path
    load_path(ROOT / "examples" / "barak2022")
    figures = ROOT / "figures"
    assert render_readme(load_index(figures), figures) == (figures / "README.md").read_text()


@pytest.fixture(scope="module")
def liu_runs():
    """One in-memory Runs of the quick plan for the four figures (they share experiments:
    each trained them again, 72 s of the suite on the 2-core EPYC host)."""
    import os

    from twolayer.experiments import Runs

    was = os.environ.get("TWOLAYER_STORE")
    os.environ["TWOLAYER_STORE"] = ""
    try:
        yield Runs(quick=True, store=None)
    finally:
        if was is None:
            os.environ.pop("TWOLAYER_STORE", None)
        else:
            os.environ["TWOLAYER_STORE"] = was


@pytest.mark.parametrize("name, marks", [
    ("liu2023-fig1", {"t*"}), ("liu2023-segments", {"t*"}), ("liu2023-width", set()),
    ("liu2023-ratio", {"t*", "t_×"}),
])
def test_liu_figures_list_the_time_marks_they_draw(name, marks, monkeypatch, tmp_path,
                                                   liu_runs) -> None:
    """The oracle: which marks the figure's drawing code asks for, by recording the calls of
    the helper that draws them (cross=True draws t_× as well as t*)."""
    import twolayer.plots  # noqa: F401
    from twolayer.plots import FIGURES
    from twolayer.plots import liu2023 as P

    drawn: set[str] = set()

    def record(ax, rec, cross=True, label=True):
        drawn.add("t*")
        if cross:
            drawn.add("t_×")

    monkeypatch.setattr(P, "_mark_times", record)
    spec = FIGURES[name]
    text = " ".join(spec.differences)
    spec.draw(tmp_path, liu_runs)
    assert drawn == marks
    assert ("purple" in text) == ("t_×" in marks)
    assert ("green dashed" in text) == ("t*" in marks)


def test_a_figure_drawn_from_stored_runs_says_so(tmp_path, capsys) -> None:
    out, store = tmp_path / "figs", tmp_path / "store"
    argv = ["figures", "--quick", "--only", "frei2023-fig1", "--records", str(store),
            "--out", str(out), "--quiet"]
    assert main(argv) == 0
    entry = json.loads((out / "index.json").read_text())["figures"]["frei2023-fig1"]
    assert entry["trained"] is True
    assert "drawn from runs read from the record store" not in (out / "README.md").read_text()
    assert main(argv) == 0  # again: every run read from the store
    entry = json.loads((out / "index.json").read_text())["figures"]["frei2023-fig1"]
    assert entry["trained"] is False
    assert "drawn from runs read from the record store: no training in this run" in (
        out / "README.md").read_text()
