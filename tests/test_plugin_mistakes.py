"""Typical plugin mistakes give one line that says what to fix and where (the experiment or
figure, the plugin's file and line), exit status 2, no traceback and no figure index entry."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from plugin_helpers import FIGURE, forgetting

from twolayer.api import claim, outcome, stats
from twolayer.claims import CLAIMS
from twolayer.cli import main
from twolayer.errors import ConfigError, TwolayerError
from twolayer.experiments import Runs


@pytest.fixture
def paper(request):
    """A paper name of the test's own; afterwards its registrations and the plugin files the
    test loaded are forgotten (worker processes of later tests reload every loaded plugin, and
    the cases of one test register the same names from different files)."""
    with forgetting("mist" + request.node.name.split("[")[0][-10:].replace("_", "")) as name:
        yield name


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


EXPERIMENT = '''
from twolayer.api import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.api import claim, experiment, outcome, simulate, stats


@experiment("{paper}.runs")
def runs_(quick, seeds, runtime):
    cfg = Config(data=DataConfig(d=5, n=10, n_test=10), net=NetConfig(m=4),
                 train=TrainConfig(steps=2),
                 probe=ProbeConfig(probes=("errors", "{probe}")), seeds=2)
    return simulate(cfg, runtime)  # the call that meets the config


@claim("{paper}.c.final", "x", "Lemma 0", "[PAPER]")
def final(runs):
    err = runs.get("{paper}.runs")["errors/train_error"][:, -1]
    m, ci = stats.mean_ci(err)
    return outcome(stats.compare(ci, 1.0, "<="), m, "<= 1", ci, stats.used(err), "tiny")
'''


def test_an_unknown_probe_in_a_plugins_experiment_names_the_experiment_and_line(
        tmp_path, paper, capsys) -> None:
    """It used to read "--probes 'errrors' is invalid", a flag the user never gave, with no
    experiment, file or line."""
    f = tmp_path / "typo.py"
    f.write_text(EXPERIMENT.format(paper=paper, probe="errrors"))
    assert main(["check", str(f), "--quick", "--no-store", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    line = _line_of(f, "the call that meets the config")
    assert f"experiment '{paper}.runs' ({f}:{line})" in err
    assert "probes 'errrors' is invalid: known probes are" in err and "--probes" not in err


def test_the_config_error_of_an_experiment_stays_a_picklable_config_error(paper) -> None:
    from twolayer.errors import ExperimentConfigError

    e = ExperimentConfigError("gamma", -1.0, "must be > 0", f"{paper}.runs", "x.py:3")
    assert isinstance(e, ConfigError) and e.field == "gamma"
    import pickle

    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e) and again.where == "x.py:3"


RESULT = '''
from twolayer.api import Config, DataConfig, NetConfig, TrainConfig
from twolayer.api import claim, experiment, outcome, simulate, stats


@experiment("{paper}.runs")
def runs_(quick, seeds, runtime):
    cfg = Config(data=DataConfig(d=5, n=10, n_test=10), net=NetConfig(m=4),
                 train=TrainConfig(steps=2), seeds=2)
    rec = simulate(cfg, runtime)
    {body}


@claim("{paper}.c.final", "x", "Lemma 0", "[PAPER]")
def final(runs):
    err = runs.get("{paper}.runs")["errors/train_error"][:, -1]
    m, ci = stats.mean_ci(err)
    return outcome(stats.compare(ci, 1.0, "<="), m, "<= 1", ci, stats.used(err), "tiny")
'''


@pytest.mark.parametrize("body, says", [
    ("return [rec]", "returned a list"),
    ("rec  # forgot to return it", "returned None (no return statement?)"),
    ("return {'a': rec, 'b': 3}", "returned a dict whose entry 'b' is a int"),
    ("return {}", "returned an empty dict"),
])
def test_a_plugins_experiment_that_returns_no_records_stops_the_command(
        tmp_path, paper, capsys, body, says) -> None:
    """It used to be kept in memory unstored, and every claim reading it failed with an
    unrelated message (list indices must be integers or slices, not str)."""
    f = tmp_path / "result.py"
    f.write_text(RESULT.format(paper=paper, body=body))
    for store in (["--no-store"], ["--records", str(tmp_path / "store")]):
        assert main(["check", str(f), "--quick", "--quiet", *store]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert f"experiment '{paper}.runs' ({f}) {says}, not a Record" in err, err


def test_a_plugins_experiment_that_returns_a_record_is_checked(tmp_path, paper, capsys) -> None:
    f = tmp_path / "good.py"
    f.write_text(RESULT.format(paper=paper, body="return rec"))
    assert main(["check", str(f), "--quick", "--quiet", "--no-store"]) == 0, \
        capsys.readouterr().err


def test_a_plugins_result_error_is_picklable(paper) -> None:
    import pickle

    from twolayer.errors import ExperimentResultError

    e = ExperimentResultError(f"{paper}.runs", "x.py", "a list")
    again = pickle.loads(pickle.dumps(e))
    assert isinstance(again, ConfigError) and str(again) == str(e)


def test_an_unknown_experiment_name_suggests_the_closest() -> None:
    with pytest.raises(TwolayerError, match=r"did you mean 'frei2023.regime'\?"):
        Runs(quick=True).get("frei2023.regim")


@pytest.mark.parametrize("body, says", [
    ("return 1 / 0  # the bug", "raised ZeroDivisionError: division by zero"),
    ("return None  # forgot the paths", "returned a NoneType, not a list of the paths it wrote"),
])
def test_a_plugins_figure_that_raises_or_returns_no_paths_is_one_line_exit_2(
        tmp_path, paper, capsys, body, says) -> None:
    """It used to print the whole traceback (exit status 1), or fail inside twolayer with a
    TypeError on the None."""
    f = tmp_path / "fig.py"
    f.write_text(textwrap.dedent(FIGURE).format(paper=paper, body=body))
    out = tmp_path / "out"
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    where = f"{f}:{_line_of(f, body.split('  #')[1].strip())}" if "raised" in says else str(f)
    assert f"figure '{paper}-fig' ({where}" in err and says in err
    assert not out.exists()  # the folder the failed run created is gone (it used to stay)


@pytest.mark.parametrize("existed", [False, True, None])
def test_a_figure_that_writes_then_raises_leaves_nothing_it_wrote(tmp_path, paper, capsys,
                                                                 monkeypatch, existed) -> None:
    """A new --out folder (and its new parents; None: --quick's temporary folder) is removed;
    in a folder that existed, what the figure wrote is removed and every file there stays."""
    f = tmp_path / "fig.py"
    body = ('path.write_text("half"); (Path(out_dir) / "sub").mkdir(); '
            '(Path(out_dir) / "keep.txt").write_text("over"); return 1 / 0')
    f.write_text(textwrap.dedent(FIGURE).format(paper=paper, body=body))
    out = tmp_path / "new" / "out"
    if existed:
        out.mkdir(parents=True)
        (out / "keep.txt").write_text("mine")
    temp = tmp_path / "tmp"
    if existed is None:
        temp.mkdir()
        monkeypatch.setattr("tempfile.tempdir", str(temp))
    where = [] if existed is None else ["--out", str(out)]
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", *where]) == 2
    assert "raised ZeroDivisionError" in capsys.readouterr().err
    if existed:
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    else:
        assert sorted(tmp_path.iterdir()) == sorted([f] + [temp] * (existed is None))
        assert not temp.exists() or list(temp.iterdir()) == []


def test_the_figures_drawn_before_a_failing_one_stay_in_a_new_folder(tmp_path, paper,
                                                                     capsys) -> None:
    """A long run into a new folder that fails at its last figure keeps the figures it drew
    (indexed); only what the failing figure wrote goes."""
    import json

    f = tmp_path / "figs.py"
    f.write_text(textwrap.dedent(f'''
        from pathlib import Path

        from twolayer.api import figure


        @figure("{paper}-a", "{paper}", "drawn", "none")
        def first(out_dir, runs):
            path = Path(out_dir) / "{paper}-a.png"
            path.write_bytes(b"png")
            return [path]


        @figure("{paper}-b", "{paper}", "fails", "none")
        def second(out_dir, runs):
            (Path(out_dir) / "{paper}-b.png").write_bytes(b"half")
            return 1 / 0
    '''))
    out = tmp_path / "new" / "out"
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 2
    assert "raised ZeroDivisionError" in capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    assert f"{paper}-a.png" in names and f"{paper}-b.png" not in names
    index = [p for p in out.iterdir() if p.suffix == ".json"]
    assert index and f"{paper}-a" in json.loads(index[0].read_text()).get("figures", {})


def test_a_plugin_without_figures_is_refused_and_creates_nothing(tmp_path, paper,
                                                                 capsys) -> None:
    """It used to exit 0, silently, after creating an empty --out folder."""
    from plugin_helpers import NUMBERS_PLUGIN

    f = tmp_path / "claims.py"
    f.write_text(NUMBERS_PLUGIN.format(paper=paper, lo=0.0))
    out = tmp_path / "new"
    for extra in (["--quick", "--out", str(out)], ["--list"]):
        assert main(["figures", str(f), *extra]) == 2
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert "\n" not in err and str(f) in err and "defines no figures" in err
        assert captured.out == "" and not out.exists()


def test_a_non_finite_threshold_is_an_error_that_says_so(paper) -> None:
    """A NaN threshold used to give a silent inconclusive (no reason in the details)."""
    from twolayer.claims.base import judge

    @claim(f"{paper}.c.nan", "x", "Lemma 0")
    def nan_threshold(runs):
        v = np.array([1.0, 2.0, 3.0])
        m, ci = stats.mean_ci(v)
        return outcome(stats.compare(ci, float("nan"), ">="), m, ">= ?", ci, 3, "-",
                       per_seed=v, threshold=float("nan"), direction=">=")

    v = judge(CLAIMS[f"{paper}.c.nan"], Runs(quick=True))
    assert v.verdict == "error" and "threshold must be a finite number, not nan" in v.detail


def test_a_nan_threshold_in_a_comparison_is_an_error_that_says_so(paper) -> None:
    """outcome(comparisons=[(v, nan, ">=")]) kept the check's holds: no value is on either side
    of NaN, so the comparison it claims to be decided from decides nothing."""
    from twolayer.claims.base import judge

    @claim(f"{paper}.c.nancomp", "x", "Lemma 0")
    def nan_comparison(runs):
        v = [1.0, 2.0, 3.0]
        return outcome(stats.HOLDS, 2.0, ">= ?", None, 3, "-",
                       comparisons=[(v, float("nan"), ">=")])

    v = judge(CLAIMS[f"{paper}.c.nancomp"], Runs(quick=True))
    assert v.verdict == "error" and "threshold must be a number, not nan" in v.detail, v.detail


def test_a_claim_with_a_tag_outside_the_cards_provenance_tags_is_refused(tmp_path, paper,
                                                                         capsys) -> None:
    """A claim's tag says how sure its reading of the paper is, in the paper cards' tags; a
    tag of one's own ("[MAYBE]") would be printed beside its verdict as if it meant something."""
    plugin = tmp_path / f"{paper}.py"
    plugin.write_text(textwrap.dedent(f'''
        from twolayer.api import claim, outcome

        @claim("{paper}.c.tagged", "x", "Lemma 0", "[MAYBE]")
        def tagged(runs):
            return outcome("holds", 1.0, "b", (0.5, 1.5), 3, "-")
    '''))
    assert main(["check", str(plugin), "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'[MAYBE]'" in err and "[PAPER-PARTIAL]" in err, err
    assert f"{plugin}:" in err  # where the claim is
    assert f"{paper}.c.tagged" not in CLAIMS


def test_a_diverging_experiment_names_itself_not_simulates_flags(tmp_path, paper,
                                                                  capsys) -> None:
    """The claim's error read "... produced NaN/inf at step 1; try a smaller --lr or
    --init-var", flags `twolayer check` does not have, naming neither the experiment nor its
    file."""
    f = tmp_path / "diverge.py"
    f.write_text(RESULT.format(paper=paper, body="return rec").replace(
        "train=TrainConfig(steps=2)", "train=TrainConfig(steps=2, lr=1e30)"))
    assert main(["check", str(f), "--quick", "--quiet", "--no-store", "--json"]) == 1
    import json

    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "error", row
    line = _line_of(f, "rec = simulate(cfg, runtime)")
    assert f"in experiment '{paper}.runs' ({f}:{line}): try a smaller train.lr or " \
           "net.init_var in the config it builds" in row["detail"], row["detail"]
    assert "--lr" not in row["detail"]
