"""docs/extending.md: its six recipes run as written (the code blocks are taken from the page),
through the library and the real CLI."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from twolayer import plugins
from twolayer.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def blocks() -> dict[str, str]:
    """The page's python blocks by the file name in their first comment line."""
    out = {}
    for code in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S):
        first = code.splitlines()[0]
        assert first.startswith("# "), first
        out[first[2:].strip()] = code
    return out


def test_the_page_has_six_recipes() -> None:
    assert set(blocks()) == {"my_frei_claim.py", "my_probe.py", "noisy_paper/__init__.py",
                             "my_data_kind.py", "my_premises.py", "my_reader.py"}


def test_the_readme_counts_the_recipes_the_page_has() -> None:
    readme = (DOC.parents[1] / "README.md").read_text()
    words = {3: "three", 4: "four", 5: "five", 6: "six"}
    said = re.search(r"docs/extending\.md\)\s+for\s+(\w+)\s+recipes", readme)
    assert said is not None
    assert said.group(1) == words[len(blocks())]


def test_recipe_1_a_claim_for_an_existing_paper(tmp_path, capsys) -> None:
    f = tmp_path / "my_frei_claim.py"
    f.write_text(blocks()["my_frei_claim.py"])
    status = main(["check", str(f), "--quick", "--json", "--records", str(tmp_path / "st")])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "frei2023.mine.own_correlation_grows" and row["tier"] == "smoke"
    assert row["verdict"] in ("holds", "fails", "inconclusive") and row["seeds"] > 1
    assert status == (0 if row["verdict"] == "holds" else 1)


def test_recipe_2_a_probe(tmp_path, capsys) -> None:
    from twolayer.probes import REGISTRY

    ns: dict = {"__name__": "my_probe"}
    try:
        exec(compile(blocks()["my_probe.py"], str(tmp_path / "my_probe.py"), "exec"), ns)
        rec = ns["rec"]
        rel = rec["movement/relative"]
        assert rel.shape == (4, len(rec.times)) and (rel[:, 0] == 0).all()
        assert (rel[:, -1] > 0).all()
        # the probe read each run's noise rate from the config it trained under ...
        eta = rec["noise_fit/eta"]
        assert eta.shape == (4, len(rec.times))
        assert (eta == np.float32(rec.config["data"]["noise"])).all()
        # ... and its excess error is the built-in training error minus that eta
        np.testing.assert_allclose(rec["noise_fit/excess_error"],
                                   rec["errors/train_error"] - np.float32(0.1), atol=1e-6)
        assert "(4, " in capsys.readouterr().out
    finally:
        REGISTRY.pop("movement", None)
        REGISTRY.pop("noise_fit", None)


def test_the_recipes_import_nothing_of_twolayer_but_the_api() -> None:
    import ast

    for name, code in blocks().items():
        for node in ast.walk(ast.parse(code)):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for mod in mods:
                if mod.split(".")[0] == "twolayer":
                    assert mod == "twolayer.api", f"{name} imports {mod}"


def test_recipe_3_a_whole_paper_folder(tmp_path, capsys) -> None:
    pkg = tmp_path / "noisy_paper"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(blocks()["noisy_paper/__init__.py"])
    store = str(tmp_path / "st")
    status = main(["check", str(pkg), "--quick", "--json", "--records", store])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "noisypaper.trend.noise_hurts" and row["seeds"] == 4
    assert "Holm" in row["bound"]  # two comparisons in one claim, corrected and said so
    assert status in (0, 1)
    out = tmp_path / "figs"
    assert main(["figures", str(pkg), "--quick", "--out", str(out), "--records", store]) == 0
    err = capsys.readouterr().err
    assert (out / "noisypaper-errors.png").stat().st_size > 1000
    assert "0 trained, 1 read from the store" in err  # the figure reads the check's runs


def test_recipe_4_a_streaming_data_kind(tmp_path, capsys) -> None:
    from twolayer.config import DataConfig
    from twolayer.sweep.spec import load

    f = tmp_path / "my_data_kind.py"
    f.write_text(blocks()["my_data_kind.py"])
    argv = ["simulate", "--plugin", str(f), "--data", "sphere-xor", "--radius", "2", "--d", "10",
            "--n", "200", "--n-test", "100", "--batch-size", "20", "--steps", "60", "--m", "16",
            "--noise", "0.05", "--seeds", "2", "--json", "--device", "cpu"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["data"] == {"kind": "sphere-xor", "d": 10, "n": 200, "n_test": 100,
                                     "noise": 0.05, "noise_model": "iid", "radius": 2.0}
    assert 0.0 <= out["test_error"] <= 1.0
    cfg = DataConfig(kind="sphere-xor", d=4, radius=3.0)
    assert cfg.radius == 3.0
    # the kind validates its field; a bad flag value exits 2 with one line naming it
    assert main(argv[:5] + ["--radius", "-1", "--batch-size", "20", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--radius -1" in err
    # streaming needs minibatches
    assert main(argv[:5] + ["--steps", "1"]) == 2
    assert "--batch-size" in capsys.readouterr().err
    # a sweep spec names the plugin relative to its own folder
    spec = tmp_path / "sphere.toml"
    toml = re.search(r"```toml\n(.*?)```", DOC.read_text(), flags=re.S).group(1)
    spec.write_text(toml)
    points = load(spec).points()
    assert [p.config.data.radius for p in points] == [1.0, 2.0]
    assert all(p.config.data.kind == "sphere-xor" for p in points)


def test_recipe_6_claims_on_a_users_record(tmp_path, capsys) -> None:
    """The page's reader: its claim judged on a record by check --record, against a scipy
    t-interval of the record's final training errors and the regime rule n >= 10 d; a record of
    another kind is one line naming --record."""
    from cli_helpers import run as run_cli
    from plugin_helpers import forgetting
    from scipy import stats as sps

    from twolayer.record import Record

    f = tmp_path / "my_reader.py"
    f.write_text(blocks()["my_reader.py"])
    with forgetting("mypaper", modules=True):
        for d, n in ((5, 60), (10, 60)):
            out = tmp_path / f"rec{d}"
            assert main(["simulate", "--d", str(d), "--n", str(n), "--m", "8", "--steps", "30",
                         "--seeds", "4", "--quiet", "--out", str(out)]) == 0
            capsys.readouterr()
            code, text, err = run_cli(["check", str(f), "--record", str(out), "--json"], capsys)
            (row,) = json.loads(text)
            (sub,) = [p for p in out.iterdir() if p.is_dir()]
            e = Record.load(sub)["errors/train_error"][:, -1].astype(np.float64)
            half = sps.t.ppf(0.975, e.size - 1) * e.std(ddof=1) / np.sqrt(e.size)
            lo, hi = e.mean() - half, e.mean() + half
            assert row["ci"] == pytest.approx([lo, hi], abs=1e-12)
            want = "holds" if hi <= 0.5 else "fails" if lo > 0.5 else "inconclusive"
            assert row["verdict"] == want and row["in_regime"] == (n >= 10 * d)
            assert row["judged_on"]["record"] == str(sub) and row["judged_on"]["seeds"] == 4
            assert code == (1 if n >= 10 * d and want != "holds" else 0), err
        lms = tmp_path / "lms"
        assert main(["simulate", "--data", "lms", "--steps", "3", "--quiet", "--out",
                     str(lms)]) == 0
        capsys.readouterr()
        code, text, err = run_cli(["check", str(f), "--record", str(lms)], capsys)
        assert code == 2 and text == "" and len(err.strip().splitlines()) == 1, err
        assert "--record" in err and "--data lms" in err


def test_recipe_5_a_theorems_premises(tmp_path, capsys) -> None:
    """The page's provider on two records (n >= 10 d holds at d = 5, not at d = 10): its premises
    against the rule and a scipy t-interval of the records' final training errors; --help lists
    the paper; a record of another kind is one line naming --record."""
    from cli_helpers import assert_refused
    from cli_helpers import run as run_cli
    from plugin_helpers import forgetting
    from scipy import stats as sps

    from twolayer.record import Record

    f = tmp_path / "my_premises.py"
    f.write_text(blocks()["my_premises.py"])
    with forgetting("mypaper", modules=True):
        for d, n in ((5, 60), (10, 60)):
            out = tmp_path / f"rec{d}"
            assert main(["simulate", "--d", str(d), "--n", str(n), "--n-test", "20", "--m", "8",
                         "--steps", "30", "--seeds", "3", "--quiet", "--out", str(out)]) == 0
            capsys.readouterr()
            code, text, err = run_cli(["conditions", "--plugin", str(f), "--paper", "mypaper",
                                       "--record", str(out), "--json"], capsys)
            assert code == 0, err
            samples, fits = json.loads(text)["premises"]
            assert samples["status"] == ("holds" if n >= 10 * d else "not established")
            assert samples["value"] == pytest.approx(n / d)
            (sub,) = [p for p in out.iterdir() if p.is_dir()]
            e = Record.load(sub)["errors/train_error"][:, -1].astype(np.float64)
            half = sps.t.ppf(0.975, e.size - 1) * e.std(ddof=1) / np.sqrt(e.size)
            assert fits["ci"] == pytest.approx([e.mean() - half, e.mean() + half], abs=1e-12)
            assert fits["status"] == ("holds" if e.mean() + half <= 0.05 else "not established")
            assert fits["tag"] == "[INFERRED]" and samples["tag"] == "[PAPER]"
        code, text, _ = run_cli(["conditions", "--plugin", str(f), "--help"], capsys)
        assert code == 0 and "mypaper: My paper (2026), Theorem 1" in " ".join(text.split())
        # before training: the setting flags (from_setting), the fits premise not measurable
        for d, n in ((5, 60), (10, 60)):
            code, text, err = run_cli(["conditions", "--plugin", str(f), "--paper", "mypaper",
                                       "--d", str(d), "--n", str(n), "--json"], capsys)
            assert code == 0, err
            doc = json.loads(text)
            samples, fits = doc["premises"]
            assert samples["status"] == ("holds" if n >= 10 * d else "not established")
            assert samples["value"] == pytest.approx(n / d)
            assert fits["status"] == "cannot be evaluated" and doc["record"] is None
        code, text, err = run_cli(["conditions", "--plugin", str(f), "--paper", "mypaper",
                                   "--d", "5", "--record", str(tmp_path / "rec5")], capsys)
        assert_refused(code, text, err, ["--d 5", "not both"], tmp_path / "never")
        code, text, err = run_cli(["conditions", "--plugin", str(f), "--paper", "mypaper",
                                   "--data", "lms", "--d", "5"], capsys)
        assert_refused(code, text, err, ["--data", "lms", "xor"], tmp_path / "never")
        lms = tmp_path / "lms"
        assert main(["simulate", "--data", "lms", "--d", "5", "--n", "40", "--m", "4", "--steps",
                     "2", "--seeds", "2", "--quiet", "--out", str(lms)]) == 0
        capsys.readouterr()
        code, text, err = run_cli(["conditions", "--plugin", str(f), "--paper", "mypaper",
                                   "--record", str(lms)], capsys)
        assert_refused(code, text, err, ["--record", "--data lms", "xor"], tmp_path / "never")


def test_a_sweeps_stored_points_retrain_when_its_plugin_changes(tmp_path) -> None:
    """A sweep point's code fingerprint includes the spec's plugins: a resume reuses the points
    while the plugin is unchanged (also copied elsewhere), trains them again once it is edited."""
    from sweep_helpers import InProcess

    from twolayer.sweep import run_sweep
    from twolayer.sweep.spec import load
    from twolayer.sweep.store import Store, current_code, plugins_of

    plain = current_code()
    assert "+" not in plain  # no plugin named: twolayer's code alone, as before
    f = tmp_path / "my_data_kind.py"
    f.write_text(blocks()["my_data_kind.py"])
    spec = tmp_path / "sphere.toml"
    spec.write_text('plugins = ["my_data_kind.py"]\nseeds = 1\n[base]\ndata.kind = "sphere-xor"\n'
                    "data.d = 6\ndata.n = 40\ndata.n_test = 20\nnet.m = 8\n"
                    "train.batch_size = 10\ntrain.steps = 5\n[axes]\ndata.radius = [1.0, 2.0]\n")
    sp = load(spec)
    assert current_code() == plain  # loading names the plugins nowhere (run_sweep does)
    with plugins_of(sp):  # as run_sweep stamps the spec's points
        with_plugin = current_code()
    assert with_plugin.startswith(plain + "+")
    store = Store(tmp_path / "out")
    assert run_sweep(sp, store, InProcess()).trained == 2
    again = run_sweep(sp, store, InProcess())
    assert (again.trained, again.skipped) == (0, 2)
    copy = tmp_path / "elsewhere"  # the same plugin at another path: the same fingerprint
    copy.mkdir()
    (copy / "my_data_kind.py").write_text(f.read_text())
    os.environ[plugins.PLUGIN_ENV] = str(copy / "my_data_kind.py")
    assert current_code() == with_plugin
    os.environ[plugins.PLUGIN_ENV] = str(f)
    f.write_text(f.read_text() + "\n# an edit of the data kind's code\n")
    assert current_code() != with_plugin
    # this process imported the plugin before the edit: it refuses to train with that code
    # under the edited plugin's stamp (sweep/worker.py: plugins_unchanged_since_loaded) ...
    with pytest.raises(plugins.PluginError, match="changed on disk"):
        run_sweep(sp, store, InProcess())
    # ... while fresh worker processes (a new `twolayer sweep`) import the edit and retrain
    from twolayer.sweep import worker

    worker._PLUGINS_LOADED.clear()
    third = run_sweep(sp, store, InProcess())
    assert (third.trained, third.other_code) == (2, 2)


def test_a_broken_plugin_exits_2_naming_file_and_line(tmp_path, capsys) -> None:
    f = tmp_path / "broken.py"
    f.write_text("from twolayer.api import claim\n\nclaim(\n")
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(f) in err and ":3" in err


def test_a_sweep_specs_broken_plugin_exits_2_naming_file_and_line(tmp_path, capsys) -> None:
    """The spec's ``plugins`` path gave the SyntaxError without its file:line (check and
    simulate --plugin give it): the same file:line now."""
    f = tmp_path / "syntax.py"
    f.write_text("x = 1\nprint((x\n")
    spec = tmp_path / "s.toml"
    spec.write_text('plugins = ["syntax.py"]\nseeds = 1\n[base]\ndata.d = 3\n')
    out = tmp_path / "store"
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "plugins" in err and f"{f}:2" in err, err
    assert "SyntaxError" in err and not out.exists()


def test_the_page_says_what_a_figures_readme_shows_and_that_it_is_true() -> None:
    """The page used to leave out that a figure's docstring is what the figures README says it
    shows (an undocumented figure read "(no description)")."""
    from twolayer.api import figure
    from twolayer.commands.figures import render_readme

    page = " ".join(DOC.read_text().split())
    assert "as what it shows, the figure function's docstring" in page
    assert 'without one: "(no description)"' in page

    @figure("noisypaper-doc", "noisypaper", "t", "r")
    def documented(out_dir, runs):
        """Clean test error against eta, one dot per seed."""

    entry = {"files": ["noisypaper-doc.png"], "seconds": 1.0, "quick": True, "device": "cpu",
             "date": "2024-01-01 00:00 UTC"}
    text = render_readme({"noisypaper-doc": entry})
    section = text.split("## noisypaper-doc")[1].split("\n## ")[0]
    assert "- Shows: Clean test error against eta, one dot per seed." in section


@pytest.fixture(autouse=True)
def _forget_plugins():
    from twolayer import config, plugins
    from twolayer.claims import CLAIMS
    from twolayer.experiments import EXPERIMENTS
    from twolayer.plots import FIGURES

    yield
    for reg in (CLAIMS, EXPERIMENTS, FIGURES):
        for k in [k for k in reg if k.startswith(("noisypaper", "frei2023.mine"))]:
            reg.pop(k)
    plugins._LOADED.clear()
    config._DATA_KINDS.pop("sphere-xor", None)
    os.environ.pop(plugins.PLUGIN_ENV, None)
