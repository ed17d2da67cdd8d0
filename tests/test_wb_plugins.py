"""Plugins and verdict checks (wb): an entry-point plugin edited while a command runs, and a
decided verdict whose seed count nothing handed over shows."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from plugin_helpers import EDITED_TAIL, forget_loaded_plugin_sources, forgetting

from twolayer.claims import CLAIMS
from twolayer.experiments import EXPERIMENTS


@pytest.fixture
def paper(request):
    """A paper name of the test's own; afterwards its registrations, the plugins the test loaded
    and the modules it imported are forgotten."""
    name = "wb" + request.node.name.split("[")[0][-12:].replace("_", "")
    with forgetting(name, modules=True):
        yield name


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

''' + EDITED_TAIL


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
    from twolayer import plugins
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
    forget_loaded_plugin_sources()
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


# ---------------------------------------------------------------------------------------------
# a decided verdict whose seed count nothing handed over shows

def _judged(check):
    from twolayer.claims.base import Claim, judge
    from twolayer.experiments import Runs

    return judge(Claim("wbseeds.c.claim", "wbseeds", "x >= 0", "Lemma 0", check), Runs())


X20 = [1.0 + 0.05 * k for k in range(20)]  # 20 seeds' values, all > 0


def _t_interval(v):
    """The 95% Student-t interval of the mean, by hand (t_{0.975, 3} = 3.182446)."""
    import math

    assert len(v) == 4
    m = sum(v) / 4
    s = math.sqrt(sum((x - m) ** 2 for x in v) / 3)
    return m - 3.182446 * s / 2, m + 3.182446 * s / 2


def test_a_holds_whose_interval_stats_computed_from_4_values_cannot_say_20_seeds() -> None:
    """A check took its interval from 4 of its 20 seeds (stats.mean_ci(x[:4])) and reported
    seeds=20 without handing over per-seed values or comparisons: it was "holds over 20 seeds".
    Now it is the verdict error, naming the 4 values. The oracle: the interval by hand."""
    from twolayer.api import outcome, stats

    def check(runs):
        m, ci = stats.mean_ci(X20[:4])
        assert ci == pytest.approx(_t_interval(X20[:4]), rel=1e-6)
        return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, 20, "R = 20")

    v = _judged(check)
    assert v.verdict == "error", v
    assert "reported 20 seeds" in v.detail and "from 4 value(s)" in v.detail, v.detail


def test_a_holds_with_an_interval_of_its_own_marks_its_seeds_as_stated(tmp_path) -> None:
    """The interval of its own code (4 values, by hand) and seeds=20, nothing else: the holds
    stands (nothing contradicts it) but its seed count is marked as the check's own statement
    in the verdict (seeds_stated, its detail), the table (20*, a note), the report and the
    JSON; it was cited as "holds over 20 seeds" like a verdict that shows them."""
    from twolayer.api import outcome, stats
    from twolayer.commands.check import STATED_NOTE, render_markdown, render_table

    def check(runs):
        ci = _t_interval(X20[:4])
        return outcome(stats.compare(ci, 0.0, ">="), sum(X20[:4]) / 4, ">= 0", ci, 20, "R = 20")

    v = _judged(check)
    assert v.verdict == "holds" and v.seeds == 20 and v.seeds_stated, v
    assert "the seed count 20 is the check's own statement" in v.detail, v.detail
    assert v.to_json()["seeds_stated"] is True
    table = render_table([v])
    assert table.splitlines()[1].endswith("20*") and STATED_NOTE in table, table
    report = render_markdown([v], tmp_path, True, 1.0)
    assert "| 20\\* |" in report and "Seeds marked \\*" in report, report


@pytest.mark.parametrize("how", ["mean_ci", "median_ci", "per_seed", "comparisons",
                                 "bootstrap_one", "bootstrap_sum", "jackknife"])
def test_a_seed_count_its_values_or_its_interval_show_is_not_marked(how) -> None:
    """Seeds shown: handed over (per_seed, comparisons), or the interval one of twolayer's
    statistics computed from that many values (a bootstrap of two samples of 10: 10 each, 20
    in all; a jackknife over 20 runs)."""
    from twolayer.api import outcome, stats

    def check(runs):
        kw = {}
        seeds = 20
        if how in ("mean_ci", "per_seed", "comparisons"):
            m, ci = stats.mean_ci(X20)
        elif how == "median_ci":
            m, ci = stats.median_ci(X20)
        elif how.startswith("bootstrap"):
            m, ci = stats.bootstrap_ci([X20[:10], X20[10:]], lambda a, b: a.mean() + b.mean())
            seeds = 10 if how == "bootstrap_one" else 20
        else:
            m, ci, _ = stats.jackknife(lambda idx: sum(X20[i] for i in idx) / len(idx), 20)
        if how == "per_seed":
            kw = {"per_seed": X20, "threshold": 0.0, "direction": ">="}
        if how == "comparisons":
            kw = {"comparisons": [(X20, 0.0, ">=")]}
        return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, seeds, "R = 20", **kw)

    v = _judged(check)
    assert v.verdict == "holds" and not v.seeds_stated, v
    assert "own statement" not in v.detail


def test_a_bootstrap_interval_reporting_more_seeds_than_its_samples_is_an_error() -> None:
    """Two samples of 10 (20 values in all) and seeds=30: no computation had 30 values."""
    from twolayer.api import outcome, stats

    def check(runs):
        m, ci = stats.bootstrap_ci([X20[:10], X20[10:]], lambda a, b: a.mean() + b.mean())
        return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, 30, "R = 30")

    v = _judged(check)
    assert v.verdict == "error" and "from 20 value(s)" in v.detail, v.detail


def test_one_settings_interval_among_several_marks_the_total_as_stated() -> None:
    """Three settings of 6 runs each, every one judged by its own exact interval (the deciding
    one shown) and seeds=18, the runs of all three: the interval is over 6 runs, so 18 is
    marked as the check's statement (not an error: 18 runs entered the verdict)."""
    from twolayer.api import FAILS, outcome, stats

    def check(runs):
        cis = [stats.clopper_pearson(6, 6, stats.family_level(0.95, 3)) for _ in range(3)]
        return outcome(FAILS, 1.0, "rate <= 0.2", cis[0], 18, "3 settings x 6 runs")

    v = _judged(check)
    assert v.verdict == "fails" and v.seeds_stated, v
    assert "computed from 6 value(s)" in v.detail, v.detail


# ---------------------------------------------------------------------------------------------
# a plugin saved half-edited (a syntax error) while a command runs

HALF_SAVED = '''
from pathlib import Path

import numpy as np

from twolayer.api import Record, claim, experiment, outcome, stats

from .data import LO


@experiment("{paper}.first")
def first(quick, seeds, runtime):
    data = Path(__file__).with_name("data.py")
    if Path(__file__).with_name("break").exists():  # the user saves a half-written edit
        data.write_text(data.read_text() + "LO = (\\n")
    return Record(config={{"R": 2}}, run_id="first", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": np.ones((2, 1))}})

''' + EDITED_TAIL


def test_a_plugin_saved_with_a_syntax_error_while_check_runs_is_refused(tmp_path, paper,
                                                                         capsys) -> None:
    """data.py was saved half-edited (a syntax error) while `twolayer check` ran the plugin's
    first experiment: the second one's key could not parse its files, so the guard against
    edits let it run, and its runs of the code as imported (LO = 1: x in [1, 2]) were stored
    under the source digest "unreadable". The next command (LO = -3, a half-saved edit again)
    read them back: "x >= 0" *holds* 1.5 where the code gives x in [-3, -2]. Now the edited
    experiment refuses to run (one line naming data.py, exit 2), and a command on the edited
    code, undisturbed, judges it: fails, -2.5 (the oracle: the mean of [-3, -2])."""
    from twolayer import plugins
    from twolayer.cli import main

    pl = tmp_path / "pl"
    pl.mkdir()
    (pl / "__init__.py").write_text(textwrap.dedent(HALF_SAVED.format(paper=paper)))
    (pl / "data.py").write_text("LO = 1.0\n")
    (pl / "break").write_text("")
    store = ["--records", str(tmp_path / "st")]

    def again():  # the next command: a new process imports the plugin
        forget_loaded_plugin_sources()
        plugins._LOADED.pop(str(pl.resolve()), None)
        for reg in (CLAIMS, EXPERIMENTS):
            for k in [k for k in reg if k.startswith(paper + ".")]:
                reg.pop(k)
        for mod in [m for m in sys.modules if m.startswith("twolayer_plugin_pl_")]:
            sys.modules.pop(mod)

    assert main(["check", str(pl), "--quick", *store]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"experiment '{paper}.numbers'" in err and "changed on disk" in err, err
    assert str((pl / "data.py").resolve()) in err, err
    (pl / "data.py").write_text("LO = -3.0\n")  # the edit, finished; half-saved once more
    again()
    assert main(["check", str(pl), "--quick", *store]) == 2
    capsys.readouterr()
    (pl / "data.py").write_text("LO = -3.0\n")
    (pl / "break").unlink()
    again()
    main(["check", str(pl), "--quick", "--json", *store])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[f"{paper}.b.positive"]["verdict"] == "fails"
    assert rows[f"{paper}.b.positive"]["measured"] == pytest.approx(-2.5)


# ---------------------------------------------------------------------------------------------
# per-seed values handed over as a record's [R, T] array

RT = [[0.2 + 0.01 * t, 0.9 + 0.01 * t, -0.4 + 0.01 * t, 0.5 + 0.01 * t] for t in range(5)]
RT = [list(row) for row in zip(*RT)]  # [R=4 runs, T=5 probe times]


def test_comparisons_of_a_records_run_by_time_array_are_not_that_many_seeds() -> None:
    """comparisons=[(rec[...] of shape [4, 5], 0, ">=")] were flattened into 20 values and
    re-judged as 20 independent seeds: "holds over 20 seeds" from 4 runs (one of which is
    below 0). Now the check gets the verdict error naming the shape, as stats.holm_outcomes
    and mean_ci already did; a column [4, 1] is its 4 values."""
    import numpy as np

    from twolayer.api import HOLDS, outcome

    a = np.asarray(RT)
    assert a.shape == (4, 5) and (a[:, 0] < 0).sum() == 1  # 4 runs, one below 0

    def check(runs):
        return outcome(HOLDS, float(a.mean()), ">= 0", (0.1, 0.5), 20, "R = 4",
                       comparisons=[(a, 0.0, ">=")])

    v = _judged(check)
    assert v.verdict == "error" and "shape (4, 5)" in v.detail, v

    def column(runs):
        return outcome(HOLDS, float(a[:, 0].mean()), ">= 0", (0.1, 0.5), 4, "R = 4",
                       per_seed=a[:, :1], threshold=0.0, direction=">=")

    v = _judged(column)
    assert v.verdict != "error" and v.seeds == 4, v  # its 4 values: no more a TypeError

    def per_seed(runs):
        return outcome(HOLDS, float(a.mean()), ">= 0", (0.1, 0.5), 20, "R = 4",
                       per_seed=a, threshold=0.0, direction=">=")

    v = _judged(per_seed)
    assert v.verdict == "error" and "shape (4, 5)" in v.detail, v



@pytest.mark.parametrize("how", ["Comparison_2d", "Outcome_2d", "Outcome_text", "Outcome_tuple"])
def test_a_malformed_comparison_or_outcome_is_the_claims_error_not_a_traceback(how) -> None:
    """A check returning stats.Comparison(values) of a record's [R, T] array, or a public
    Outcome(...) built directly with per_seed of that array, of text, or comparisons as plain
    (values, threshold, direction) triples, raised a TypeError or AttributeError while twolayer
    judged it, outside the check: a traceback that stopped the whole command. Now the first
    three are that claim's verdict error naming what is wrong, and the triples are read as
    outcome() reads them (the oracle: 6 values 1..6 against >= 0, every one above)."""
    import numpy as np

    from twolayer.api import HOLDS, Outcome, outcome, stats

    a = np.ones((4, 5))
    six = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]

    def check(runs):
        if how == "Comparison_2d":
            return outcome(HOLDS, 1.0, ">= 0", (0.5, 1.5), 4, "R = 4",
                           comparisons=[stats.Comparison(a, 0.0, ">=")])
        kw = {"Outcome_2d": {"per_seed": a}, "Outcome_text": {"per_seed": "abc"},
              "Outcome_tuple": {"comparisons": ((six, 0.0, ">="),)}}[how]
        return Outcome(HOLDS, 3.5, ">= 0", (1.5, 5.5), 6, "R = 6", **kw)

    v = _judged(check)
    if how == "Outcome_tuple":
        assert v.verdict == "holds" and v.seeds == 6, v
    else:
        assert v.verdict == "error", v
        assert ("shape (4, 5)" if how.endswith("2d") else "'a'") in v.detail, v.detail


@pytest.mark.parametrize("as_path", ["folder", "init"])
def test_an_installed_plugin_named_by_its_path_checks_its_claims(tmp_path, paper, monkeypatch,
                                                                   capsys, as_path) -> None:
    """A researcher's plugin installed in editable mode (its entry point loaded by every
    command) and named by its folder, `twolayer check ./mine`: the folder was imported again
    under another name, registered the same ids from the same lines, so nothing new, and the
    command stopped with "registered no claim and no figure" (exit 2). Now the path stands for
    the installed plugin's claims (the oracle: x = 1..2 evenly, mean 1.5 >= 0)."""
    from twolayer.cli import main

    site = tmp_path / "site"
    site.mkdir()
    pkg = _installed(site, paper, 1.0)
    init = pkg / "__init__.py"
    init.write_text("\n".join(line for line in init.read_text().splitlines()
                              if "data.write_text" not in line))  # no edit while it runs
    monkeypatch.syspath_prepend(str(site))
    path = str(pkg if as_path == "folder" else init)
    assert main(["check", path, "--quick", "--json", "--no-store"]) == 1  # a.first: inconclusive
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {f"{paper}.a.first", f"{paper}.b.positive"}, rows
    assert rows[f"{paper}.b.positive"]["verdict"] == "holds"
    assert rows[f"{paper}.b.positive"]["measured"] == pytest.approx(1.5)
