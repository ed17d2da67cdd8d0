"""Plugins and verdict checks (wb): an entry-point plugin edited while a command runs, and a
decided verdict whose seed count nothing handed over shows."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from twolayer.claims import CLAIMS
from twolayer.experiments import EXPERIMENTS
from twolayer.plots import FIGURES


@pytest.fixture
def paper(request):
    """A paper name of the test's own; afterwards its registrations, the plugins the test loaded
    and the modules it imported are forgotten."""
    from twolayer import plugins

    name = "wb" + request.node.name.split("[")[0][-12:].replace("_", "")
    loaded, modules = set(plugins._LOADED), set(sys.modules)
    yield name
    for reg in (CLAIMS, EXPERIMENTS, FIGURES):
        for k in [k for k in reg if k.startswith(name + ".") or k.startswith(name + "-")]:
            reg.pop(k)
    for key in set(plugins._LOADED) - loaded:
        plugins._LOADED.pop(key)
    for mod in [m for m in set(sys.modules) - modules if m.startswith(name)]:
        sys.modules.pop(mod)


# ---------------------------------------------------------------------------------------------
# an installed (entry-point) plugin edited while a command runs

PACKAGE = '''
import numpy as np

from twolayer.api import Record, claim, experiment, outcome, stats

from .data import LO


@experiment("{paper}.first")
def first(quick, seeds, runtime):
    from pathlib import Path  # the user saves an edit of the installed package meanwhile
    data = Path(__file__).with_name("data.py")
    data.write_text(data.read_text().replace("LO = {lo}", "LO = -3.0"))
    return Record(config={{"R": 2}}, run_id="first", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": np.ones((2, 1))}})


@experiment("{paper}.numbers")
def numbers(quick, seeds, runtime):
    x = np.linspace(LO, LO + 1.0, 6)[:, None]
    return Record(config={{"R": 6}}, run_id="numbers", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": x}})


@claim("{paper}.a.first", "first", "Lemma 0", "[PAPER]")
def first_(runs):
    runs.get("{paper}.first")
    return outcome("inconclusive", None, "-", None, 0, "-")


@claim("{paper}.b.positive", "x >= 0", "Lemma 1", "[PAPER]")
def positive(runs):
    x = runs.get("{paper}.numbers")["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, stats.used(x), "R = 6")
'''


def _installed(root, paper: str, lo: float):
    """A package ``<paper>pkg`` under ``root`` with a dist-info whose entry point in the group
    ``twolayer.plugins`` names it (what ``pip install -e`` of a researcher's plugin leaves);
    its experiments read LO from its data.py."""
    pkg = root / f"{paper}pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent(PACKAGE.format(paper=paper, lo=lo)))
    (pkg / "data.py").write_text(f"LO = {lo}\n")
    info = root / f"{paper}pkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {paper}pkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[twolayer.plugins]\n{paper} = {paper}pkg\n")
    return pkg


def test_an_entry_point_plugin_edited_while_check_runs_is_not_stored_as_the_edited_code(
        tmp_path, paper, monkeypatch, capsys) -> None:
    """An installed plugin's data.py was edited (LO 1 -> -3) while `twolayer check` trained its
    first experiment: the second one ran the code as imported (x in [1, 2]) but its key
    digested the edited file, so the next check (the edited code: x in [-3, -2]) read those
    runs back and reported "x >= 0" *holds*: only path plugins were snapshotted when they
    loaded. Now the edited experiment refuses to run: one line, exit 2, nothing stored for it,
    and the next command trains the edited code. The oracle: LO = -3 gives x in [-3, -2]."""
    from twolayer import experiments, plugins
    from twolayer.cli import main

    site = tmp_path / "site"
    site.mkdir()
    pkg = _installed(site, paper, 1.0)
    monkeypatch.syspath_prepend(str(site))
    store = ["--records", str(tmp_path / "st")]
    assert main(["check", paper, "--quick", *store]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"experiment '{paper}.numbers'" in err and "changed on disk" in err, err
    assert str((pkg / "data.py").resolve()) in err, err
    # the next command: a new process imports the edited package
    experiments._LOADED_SOURCES.clear()
    plugins._LOADED.pop(f"{paper}pkg", None)
    for reg in (CLAIMS, EXPERIMENTS):
        for k in [k for k in reg if k.startswith(paper + ".")]:
            reg.pop(k)
    for mod in [m for m in sys.modules if m.startswith(f"{paper}pkg")]:
        sys.modules.pop(mod)
    main(["check", paper, "--quick", "--json", *store])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[f"{paper}.b.positive"]["verdict"] == "fails"
    assert rows[f"{paper}.b.positive"]["measured"] == pytest.approx(-2.5)

