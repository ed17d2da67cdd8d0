"""Plugins loaded from a path: what they register, and clear, local errors (file and line; an
id registered twice names both places)."""

from __future__ import annotations

import json
import textwrap

import pytest

from twolayer.claims import CLAIMS
from twolayer.claims.base import judge
from twolayer.experiments import EXPERIMENTS, Runs
from twolayer.plots import FIGURES
from twolayer.plugins import PluginError, load_path, split_selection

PLUGIN = '''
import numpy as np
from twolayer.api import HOLDS, Record, claim, experiment, outcome, stats


@experiment("{paper}.numbers")
def numbers(quick, seeds, runtime):
    R = seeds or 4
    x = np.linspace(1.0, 2.0, R)[:, None]
    return Record(config={{"R": R}}, run_id="numbers", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": x}})


@claim("{paper}.pos.positive", "x is positive", "Lemma 0", "[PAPER]")
def positive(runs):
    x = runs.get("{paper}.numbers").arrays["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, x.size, "R = %d" % x.size)
'''


def cleanup(paper: str) -> None:
    for reg in (CLAIMS, EXPERIMENTS, FIGURES):
        for k in [k for k in reg if k.startswith(paper + ".") or k.startswith(paper + "-")]:
            reg.pop(k)


@pytest.fixture
def paper(request):
    name = "plug" + request.node.name.split("[")[0][-12:].replace("_", "")
    yield name
    cleanup(name)


def test_a_file_plugin_registers_and_its_claim_is_judged(tmp_path, paper) -> None:
    f = tmp_path / "mine.py"
    f.write_text(PLUGIN.format(paper=paper))
    plugin = load_path(f)
    assert plugin.claims == [f"{paper}.pos.positive"]
    assert plugin.experiments == [f"{paper}.numbers"] and plugin.papers == [paper]
    assert load_path(f) is plugin  # loaded once
    v = judge(CLAIMS[f"{paper}.pos.positive"], Runs(quick=True, seeds=5))
    assert v.verdict == "holds" and v.seeds == 5 and v.tier == "smoke"
    ids, plugins = split_selection([str(f), "frei2023"])
    assert ids == [f"{paper}.pos.positive", "frei2023"] and plugins == [plugin]


def test_a_folder_plugin_may_import_its_own_modules(tmp_path, paper) -> None:
    pkg = tmp_path / "mypaper"
    pkg.mkdir()
    (pkg / "runs.py").write_text(PLUGIN.format(paper=paper))
    (pkg / "__init__.py").write_text("from . import runs  # noqa: F401\n")
    assert load_path(pkg).claims == [f"{paper}.pos.positive"]


def test_a_syntax_error_names_the_file_and_line(tmp_path) -> None:
    f = tmp_path / "broken.py"
    f.write_text("x = 1\ndef f(:\n    pass\n")
    with pytest.raises(PluginError) as e:
        load_path(f)
    assert f"{f}:2" in str(e.value) and "SyntaxError" in str(e.value)


def test_an_import_error_names_the_file_and_line(tmp_path) -> None:
    f = tmp_path / "needs.py"
    f.write_text("import math\n\nimport no_such_module_here\n")
    with pytest.raises(PluginError) as e:
        load_path(f)
    assert f"{f}:3" in str(e.value) and "no_such_module_here" in str(e.value)


def test_a_duplicate_claim_id_names_both_places(tmp_path, paper) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(PLUGIN.format(paper=paper))
    b.write_text(textwrap.dedent(f'''
        from twolayer.api import claim, outcome


        @claim("{paper}.pos.positive", "again", "Lemma 0")
        def again(runs):
            return None
    '''))
    load_path(a)
    with pytest.raises(PluginError) as e:
        load_path(b)
    msg = str(e.value)
    assert "registered twice" in msg and str(a) in msg and str(b) in msg


def test_missing_or_wrong_paths(tmp_path) -> None:
    with pytest.raises(PluginError, match="no such file"):
        load_path(tmp_path / "nope.py")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PluginError, match="__init__.py"):
        load_path(tmp_path / "empty")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(PluginError, match=r"\.py file"):
        load_path(tmp_path / "x.txt")


def test_simulate_measures_a_plugins_probe_by_name(tmp_path, capsys) -> None:
    from twolayer.cli import main
    from twolayer.probes import REGISTRY
    from twolayer.record import Record

    f = tmp_path / "probe_plugin.py"
    f.write_text(textwrap.dedent('''
        from twolayer.api import probe


        @probe("plugnorm")
        def plugnorm(state):
            return {"frobenius": state.params.W.flatten(1).norm(dim=1)}
    '''))
    out = tmp_path / "out"
    try:
        args = ["simulate", "--plugin", str(f), "--d", "10", "--n", "40", "--m", "4",
                "--steps", "5", "--seeds", "2", "--probes", "errors,plugnorm", "--json",
                "--out", str(out)]
        assert main(args) == 0
        run_id = json.loads(capsys.readouterr().out)["run_id"]
        rec = Record.load(out / run_id)
        assert rec["plugnorm/frobenius"].shape == (2, len(rec.times))
        assert "segments/grad_ratio" not in rec.arrays
        assert main(["simulate", "--d", "10", "--probes", "nope"]) == 2
        err = capsys.readouterr().err
        assert "--probes" in err and "plugnorm" in err and len(err.strip().splitlines()) == 1
    finally:
        REGISTRY.pop("plugnorm", None)
