"""A new user's own plugin, written from scratch and then broken the ways a user breaks it
(found by the vc audit of the extension API): each case here was accepted silently before."""

from __future__ import annotations

import textwrap

import pytest
from plugin_helpers import (
    EDITED_TAIL,
    FIGURE,
    forget_loaded_plugin_sources,
    forgetting,
    key_in_a_new_process,
)

from twolayer.claims import CLAIMS
from twolayer.experiments import EXPERIMENTS, Runs
from twolayer.plots import FIGURES
from twolayer.plugins import load_path


@pytest.fixture
def paper(request):
    """A paper name of the test's own; afterwards its registrations and the plugins the test
    loaded are forgotten (later worker processes reload every loaded plugin)."""
    with forgetting("vc" + request.node.name.split("[")[0][-12:].replace("_", "")) as name:
        yield name


def _write(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


# ---------------------------------------------------------------------------------------------
# a plugin package whose experiment sits in a subfolder


def test_a_subfolder_experiments_key_covers_what_it_imports_from_the_plugins_parent(
        tmp_path, paper) -> None:
    """``mine/exps/run.py`` builds its config with ``from ..data import make_config``: editing
    mine/data.py (n = 100 -> 50) left the key unchanged, so `twolayer check mine` read the old
    runs back and reported "n = 100" (the closure followed only ``from .x`` imports, and looked
    for registering modules in exps/ alone). The oracle: the file the experiment's code reads
    was edited, so its stored runs are not the code's."""
    pkg = tmp_path / "mine"
    _write(pkg, {
        "__init__.py": "from .exps import run  # noqa: F401\n",
        "data.py": "N = 100\n",
        "exps/__init__.py": "",
        "exps/run.py": f'''
            from twolayer.api import Config, DataConfig, NetConfig, TrainConfig
            from twolayer.api import experiment, simulate

            from ..data import N


            @experiment("{paper}.runs")
            def runs_(quick, seeds, runtime):
                return simulate(Config(data=DataConfig(d=5, n=N, n_test=10),
                                       net=NetConfig(m=4), train=TrainConfig(steps=2),
                                       seeds=2), runtime)
            ''',
        "claims.py": "X = 1\n",
    })
    load_path(pkg)
    key = Runs(quick=True).key(f"{paper}.runs")["source"]
    (pkg / "claims.py").write_text("X = 2\n")  # imported by nothing the experiment runs
    assert Runs(quick=True).key(f"{paper}.runs")["source"] == key
    (pkg / "data.py").write_text("N = 50\n")
    assert key_in_a_new_process(f"{paper}.runs")["source"] != key


def test_a_probe_registered_at_the_plugins_top_is_in_a_subfolder_experiments_key(
        tmp_path, paper) -> None:
    """The experiment in a subfolder names a probe registered in the plugin's top folder
    without importing it: an edit of that probe must retrain, as it does when both sit in one
    folder."""
    from twolayer.probes import REGISTRY

    pkg = tmp_path / "mine2"
    probe_name = f"{paper}probe"
    _write(pkg, {
        "__init__.py": "from . import probes  # noqa: F401\nfrom .exps import run  # noqa\n",
        "probes.py": f'''
            from twolayer.api import probe


            @probe("{probe_name}")
            def mine(state):
                return {{"w": state.params.W.flatten(1).norm(dim=1)}}
            ''',
        "exps/__init__.py": "",
        "exps/run.py": f'''
            from twolayer.api import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
            from twolayer.api import experiment, simulate


            @experiment("{paper}.runs")
            def runs_(quick, seeds, runtime):
                return simulate(Config(data=DataConfig(d=5, n=10, n_test=10),
                                       net=NetConfig(m=4), train=TrainConfig(steps=2),
                                       probe=ProbeConfig(probes=("{probe_name}",)),
                                       seeds=2), runtime)
            ''',
    })
    try:
        load_path(pkg)
        key = Runs(quick=True).key(f"{paper}.runs")["source"]
        (pkg / "probes.py").write_text((pkg / "probes.py").read_text().replace(
            "norm(dim=1)", "norm(dim=1) * -1.0"))
        assert key_in_a_new_process(f"{paper}.runs")["source"] != key
    finally:
        REGISTRY.pop(probe_name, None)


def test_a_parent_import_is_followed_inside_the_root_only(tmp_path) -> None:
    """``from ..x`` is followed to the files inside the given root, never above it (a built-in
    experiment's ``from ..engine import`` is twolayer's, which the code fingerprint covers)."""
    from twolayer.experiments import source_closure

    _write(tmp_path, {
        "outside.py": "",
        "pkg/__init__.py": "", "pkg/data.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/run.py": "from ..data import x\nfrom ...outside import y\nfrom .. import data\n",
    })
    run = tmp_path / "pkg/sub/run.py"
    assert source_closure(run) == [run.resolve()]  # no root: as before
    got = {p.relative_to(tmp_path.resolve()).as_posix()
           for p in source_closure(run, tmp_path / "pkg")}
    assert got == {"pkg/sub/run.py", "pkg/data.py"}


# ---------------------------------------------------------------------------------------------
# a figure whose returned paths are not the files it wrote into out_dir

@pytest.mark.parametrize("body, says", [
    ("return []  # wrote nothing", "returned no paths"),
    ("return [path]  # never wrote it", "which is not a file it wrote"),
    ("return [Path(out_dir)]  # the folder", "which is not a file it wrote"),
    ('away = Path(out_dir).parent / "away.png"; away.write_bytes(b"png"); return [away]',
     "outside the output folder"),
    ('(Path(out_dir) / "sub").mkdir(); p = Path(out_dir) / "sub" / "a.png"; '
     'p.write_bytes(b"png"); return [p]', "in a subfolder of the output folder"),
])
def test_a_figure_that_returns_no_file_it_wrote_into_out_dir_is_one_line_exit_2(
        tmp_path, paper, capsys, body, says) -> None:
    """`twolayer figures` exited 0 and indexed the figure: an empty list gave a README section
    linking `<name>.png`, which does not exist; a path never written, or a file written
    outside --out (or in a subfolder), was indexed by its bare name, a broken link. The oracle:
    the files on disk (the README links `<out>/<name>`, which is not there)."""
    from twolayer.cli import main

    f = tmp_path / "fig.py"
    f.write_text(textwrap.dedent(FIGURE).format(paper=paper, body=body))
    out = tmp_path / "new" / "out"
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"figure '{paper}-fig' ({f}:" in err and says in err, err
    assert not (tmp_path / "new").exists()  # nothing half-written: no index, no folder


def test_a_figure_that_writes_into_out_dir_is_still_drawn(tmp_path, paper, capsys) -> None:
    """The paths as str or Path, relative to the working directory or absolute."""
    import json

    from twolayer.cli import main

    f = tmp_path / "fig.py"
    f.write_text(textwrap.dedent(FIGURE).format(
        paper=paper, body='path.write_bytes(b"png"); import os; '
                          'return [str(path), os.path.relpath(path)]'))
    out = tmp_path / "out"
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 0
    index = json.loads((out / "index.json").read_text())["figures"]
    assert index[f"{paper}-fig"]["files"] == [f"{paper}-fig.png"] * 2


# ---------------------------------------------------------------------------------------------
# a check that returns a whole Verdict (the type a check may return: claims.base.CheckFn)


def _verdict(**kw):
    from twolayer.api import Verdict

    base = dict(id="vcp.c", paper="vcp", statement="s", source="Lemma 1", verdict="holds",
                measured=1.5, bound=">= 0", ci=(1.1, 1.9), seeds=6, setting="R = 6",
                in_regime=True)
    return Verdict(**{**base, **kw})


@pytest.mark.parametrize("kw", [dict(in_regime=True, regime=""),
                                dict(in_regime=True, regime="   "),
                                dict(in_regime="no", regime="n >= d")])
def test_a_verdict_returned_with_a_regime_outcome_refuses_is_an_error(kw) -> None:
    """A claim registered outside its regime whose check returned ``Verdict(..., in_regime=
    True)`` with no regime text (or in_regime="no") was reported *inside*, as computed from
    the runs, with no premise named: outcome() refuses both (a ValueError). The oracle: nothing
    the check handed over says the setting meets the assumptions."""
    from twolayer.claims.base import Claim, judge

    c = Claim("vcp.c", "vcp", "s", "Lemma 1", lambda runs: _verdict(**kw), in_regime=False)
    got = judge(c, Runs(quick=True))
    assert got.verdict == "error" and got.in_regime is False and not got.regime_computed
    assert "regime" in got.detail and "Verdict" in got.detail, got.detail


def test_a_verdict_returned_with_its_regime_or_none_computed_is_taken() -> None:
    from twolayer.claims.base import Claim, judge

    c = Claim("vcp.c", "vcp", "s", "Lemma 1",
              lambda runs: _verdict(in_regime=False, regime="n = 10 < d = 20"))
    got = judge(c, Runs(quick=True))
    assert (got.verdict, got.in_regime, got.regime, got.regime_computed) == (
        "holds", False, "n = 10 < d = 20", True)
    c = Claim("vcp.c", "vcp", "s", "Lemma 1",
              lambda runs: _verdict(in_regime=True, regime_computed=False), in_regime=False)
    got = judge(c, Runs(quick=True))
    assert got.verdict == "holds" and got.in_regime is False and not got.regime_computed


# ---------------------------------------------------------------------------------------------
# claim ids with characters the command line or the report cannot carry


@pytest.mark.parametrize("bad", ["odd.a/b.c", "odd.a|b", "-odd.a", "odd.-a", "odd.a`b",
                                 "odd.a*b", "odd.a:b"])
def test_a_claim_id_the_cli_or_report_cannot_carry_is_refused_at_load(tmp_path, capsys,
                                                                      bad) -> None:
    """`@claim("odd.a/b.c", ...)` registered, but `twolayer check mine.py odd.a/b.c` read the
    id as a plugin path ("no such file"), so the claim could not be selected; `odd.a|b` split
    the row of the --report table (the id is its first cell); `-odd.a` reads as a flag. Now
    one line naming the plugin file, exit 2, as for an id without a dot."""
    from twolayer.cli import main

    f = tmp_path / "mine.py"
    f.write_text("from twolayer.api import claim\n\n\n"
                 f"@claim({bad!r}, 's', 'Lemma 1', '[INFERRED]')\n"
                 "def c(runs):\n    return None\n")
    before = dict(CLAIMS)
    assert main(["check", str(f), "--quick", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(f) in err and repr(bad) in err, err
    assert "an id is '<paper>.<name>'" in err
    assert CLAIMS == before


@pytest.mark.parametrize("good", ["vcok.lemma-1.bound", "vcok.thm_2", "vcok.süß.a",
                                  "vcok2023.A1"])
def test_a_claim_id_of_letters_digits_underscores_and_hyphens_registers(good) -> None:
    from twolayer.api import claim

    try:
        claim(good, "s", "Lemma 1", "[INFERRED]")(lambda runs: None)
        assert CLAIMS[good].paper == good.split(".")[0]
    finally:
        CLAIMS.pop(good, None)


# ---------------------------------------------------------------------------------------------
# a plugin folder whose name is not an identifier


@pytest.mark.parametrize("folder", ["mine.v1.2", "mine v2", "2mine-x"])
def test_a_plugin_folder_with_dots_in_its_name_imports_its_own_modules(tmp_path, paper,
                                                                       folder) -> None:
    """A folder `mine.v1.2` (a versioned copy) whose __init__.py does `from . import claims`
    failed to load: "ModuleNotFoundError: No module named 'twolayer_plugin_mine'" (its module
    name held the dots, so Python looked for a parent package). The oracle: the same files in
    a folder `mine` load (test_plugins.py)."""
    from plugin_helpers import NUMBERS_PLUGIN

    pkg = tmp_path / folder
    _write(pkg, {"__init__.py": "from . import claims  # noqa: F401\n",
                 "claims.py": NUMBERS_PLUGIN.format(paper=paper, lo=1.0)})
    plugin = load_path(pkg)
    assert plugin.claims == [f"{paper}.pos.positive"]


# ---------------------------------------------------------------------------------------------
# an experiment whose Record the store cannot write

UNSTORABLE = '''
import numpy as np

from twolayer.api import Record, claim, experiment, outcome, stats


@experiment("{paper}.runs")
def runs_(quick, seeds, runtime):
    return Record(config={{"teacher": np.ones(3)}}, run_id="r",
                  times=np.zeros(1, dtype=np.int64), arrays={{"x": np.ones((4, 1))}})


@claim("{paper}.c.x", "x", "Lemma 0", "[PAPER]")
def c(runs):
    x = runs.get("{paper}.runs")["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome("inconclusive", m, "b", ci, stats.used(x), "s")
'''


def test_an_experiment_whose_record_config_is_not_json_is_one_line_exit_2(tmp_path, paper,
                                                                          capsys) -> None:
    """A Record whose config held an array (``config={"teacher": w}``) trained, then the store's
    write raised TypeError inside the claim's ``runs.get``: the claim's verdict was "error",
    "the check raised TypeError: Object of type ndarray is not JSON serializable" at the
    claim's line, exit 1. It is the experiment's mistake: one line naming it, exit 2, nothing
    stored."""
    from twolayer.cli import main

    f = tmp_path / "mine.py"
    f.write_text(UNSTORABLE.format(paper=paper))
    store = tmp_path / "st"
    assert main(["check", str(f), "--quick", "--records", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"experiment '{paper}.runs' ({f})" in err and "not JSON serializable" in err, err
    entries = store / "entries"
    assert not entries.exists() or not any(entries.iterdir())


def test_the_result_error_with_its_own_reason_is_picklable() -> None:
    import pickle

    from twolayer.errors import ExperimentResultError

    e = ExperimentResultError("p.e", "/x.py", "a Record that cannot be stored", "whose config")
    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e) and again.valid == "whose config"


# ---------------------------------------------------------------------------------------------
# docs/extending.md, Recipe 3 as written


def test_recipe_3_hands_over_the_comparisons_it_decides_from(tmp_path) -> None:
    """Recipe 3, the page's claim made of several comparisons, decided them by Holm but handed
    none over: its holds was taken at its word (never re-judged), and `--seeds auto` left it
    "not sequentially controlled", against the page's own rule ("a claim made of several
    comparisons passes them all"). The oracle: the page's rule, the two steps in eta."""
    from test_extending import blocks

    from twolayer.claims.base import judge_outcome

    pkg = tmp_path / "noisy_paper"
    _write(pkg, {"__init__.py": blocks()["noisy_paper/__init__.py"]})
    try:
        load_path(pkg)
        verdict, got = judge_outcome(CLAIMS["noisypaper.trend.noise_hurts"],
                                     Runs(quick=True, seeds=3))
        assert got is not None and got.comparisons is not None and len(got.comparisons) == 2
        assert verdict.seeds == 3
    finally:
        from twolayer import plugins

        for reg in (CLAIMS, EXPERIMENTS, FIGURES):
            for k in [k for k in reg if k.startswith("noisypaper")]:
                reg.pop(k)
        plugins._LOADED.pop(str(pkg.resolve()), None)


# ---------------------------------------------------------------------------------------------
# a check that writes into the Records every claim shares

MUTATES = '''
import numpy as np

from twolayer.api import Record, claim, experiment, outcome, stats


@experiment("{paper}.numbers")
def numbers(quick, seeds, runtime):
    x = np.linspace(-2.0, -1.0, 6)[:, None]          # every value negative
    return Record(config={{"R": 6}}, run_id="numbers", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": x}})


@claim("{paper}.a.magnitude", "|x| >= 1", "Lemma 0", "[PAPER]")
def magnitude(runs):
    x = runs.get("{paper}.numbers")["x"][:, 0]
    np.abs(x, out=x)                                 # the slip: written back into the record
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 1.0, ">="), m, ">= 1", ci, stats.used(x), "R = 6")


@claim("{paper}.b.positive", "x >= 0", "Lemma 1", "[PAPER]")
def positive(runs):
    x = runs.get("{paper}.numbers")["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, stats.used(x), "R = 6")
'''


@pytest.mark.parametrize("store", [False, True])
def test_a_check_that_writes_into_a_shared_record_cannot_change_another_claims_verdict(
        tmp_path, paper, capsys, store) -> None:
    """Every claim of a command reads the same cached Records. A check that took |x| in place
    turned the next claim's x in [-2, -1] into [1, 2]: "x >= 0" was reported *holds* when the
    two were checked together and *fails* alone. The arrays are now read-only, so the slip is
    the first claim's error at its line. The oracle: x = linspace(-2, -1), all negative."""
    import json

    from twolayer.cli import main

    f = tmp_path / "mine.py"
    f.write_text(MUTATES.format(paper=paper))
    where = ["--records", str(tmp_path / "st")] if store else ["--no-store"]
    for _ in range(2 if store else 1):  # with a store: trained, then read back
        main(["check", str(f), "--quick", "--json", *where])
        rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
        assert rows[f"{paper}.b.positive"]["verdict"] == "fails"
        assert rows[f"{paper}.b.positive"]["measured"] == pytest.approx(-1.5)
        bad = rows[f"{paper}.a.magnitude"]
        assert bad["verdict"] == "error" and "read-only" in bad["detail"], bad
        assert f"{f}:" in bad["detail"]


def test_a_check_that_reads_a_record_through_torch_shows_no_warning(tmp_path, paper) -> None:
    """``torch.as_tensor(rec["x"])`` of a read-only array warns ("The given NumPy array is not
    writable"); a claim's check (twolayer's own among them) reads records that way, so the
    warning is not shown there: the verdict is the check's."""
    import warnings

    import torch

    from twolayer.claims.base import Claim, judge
    from twolayer.plugins import load_path

    f = tmp_path / "mine.py"
    f.write_text(MUTATES.format(paper=paper))
    load_path(f)

    def check(runs):
        x = torch.as_tensor(runs.get(f"{paper}.numbers")["x"][:, 0])
        return CLAIMS[f"{paper}.b.positive"].check(runs) if x.numel() == 6 else None

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = judge(Claim(f"{paper}.c.t", paper, "s", "Lemma 1", check), Runs(quick=True))
    assert got.verdict == "fails", got.detail


def test_a_figure_that_lists_an_unregistered_claim_is_refused_before_any_work(
        tmp_path, paper, capsys) -> None:
    """`@figure(..., claims=("mine.lemma1.bond",))` (a typo of the claim's id) was drawn and its
    README section cited a claim that no check judges. The oracle: the plugin registers
    `{paper}.pos.positive` only."""
    from plugin_helpers import NUMBERS_PLUGIN

    from twolayer.cli import main

    f = tmp_path / "mine.py"
    f.write_text(NUMBERS_PLUGIN.format(paper=paper, lo=1.0) + textwrap.dedent(f'''
        from pathlib import Path
        from twolayer.api import figure


        @figure("{paper}-fig", "{paper}", "a figure", "none", claims=("{paper}.pos.positiv",))
        def draw(out_dir, runs):
            path = Path(out_dir) / "{paper}-fig.png"
            path.write_bytes(b"png")
            return [path]
        '''))
    out = tmp_path / "out"
    assert main(["figures", str(f), "--quick", "--no-store", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"'{paper}.pos.positiv'" in err and str(f) in err, err
    assert not out.exists()
    good = f.read_text().replace(f'"{paper}.pos.positiv"', f'"{paper}.pos.positive"')
    f.write_text(good)
    from twolayer import plugins

    plugins._LOADED.pop(str(f.resolve()), None)
    FIGURES.pop(f"{paper}-fig", None)
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 0


# ---------------------------------------------------------------------------------------------
# a plugin edited while a command runs

EDITED = '''
import numpy as np

from twolayer.api import Record, claim, experiment, outcome, stats

LO = {lo}


@experiment("{paper}.first")
def first(quick, seeds, runtime):
    from pathlib import Path  # the user saves an edit while this command runs
    me = Path(__file__)
    me.write_text(me.read_text().replace("LO = {lo}", "LO = -3.0"))
    return Record(config={{"R": 2}}, run_id="first", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": np.ones((2, 1))}})

''' + EDITED_TAIL


def test_a_plugin_edited_while_check_runs_is_not_stored_as_the_edited_code(
        tmp_path, paper, capsys) -> None:
    """The plugin was edited (LO 1 -> -3) while `twolayer check` trained its first experiment:
    the second one ran the code as imported (x in [1, 2]) but its key digested the edited file,
    so the next check, running the edited code (x in [-3, -2]), read those runs back and
    reported "x >= 0" *holds*. Now the edited experiment refuses to run: one line, exit 2,
    nothing stored for it; the next command trains the edited code. The oracle: LO = -3."""
    import json

    from twolayer.cli import main

    f = tmp_path / "mine.py"
    f.write_text(EDITED.format(paper=paper, lo=1.0))
    store = ["--records", str(tmp_path / "st")]
    assert main(["check", str(f), "--quick", *store]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"experiment '{paper}.numbers' ({f})" in err and "changed on disk" in err, err
    # the next command: a new process imports the edited plugin
    from twolayer import plugins

    forget_loaded_plugin_sources()
    plugins._LOADED.pop(str(f.resolve()), None)
    for reg in (CLAIMS, EXPERIMENTS):
        for k in [k for k in reg if k.startswith(paper + ".")]:
            reg.pop(k)
    main(["check", str(f), "--quick", "--json", *store])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[f"{paper}.b.positive"]["verdict"] == "fails"
    assert rows[f"{paper}.b.positive"]["measured"] == pytest.approx(-2.5)
