"""`twolayer figures`: the quick variant of every registered figure, the README index, errors.

The quick run (tiny settings) of the Frei et al. figures is shared by the tests of this module;
it takes well under a minute on 2 idle cores. Numbers the figures compute are checked against
plain per-neuron loops.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from twolayer.cli import main
from twolayer.commands.figures import render_readme
from twolayer.engine import Runtime
from twolayer.experiments import Runs, default_store_dir
from twolayer.experiments import frei2023 as E
from twolayer.plots import FIGURES
from twolayer.plots import frei2023 as F
from twolayer.record import Record
from twolayer.store import RecordStore

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FREI = ("frei2023-fig1", "frei2023-fig2", "frei2023-amplification", "frei2023-trajectories")


@pytest.fixture(scope="module")
def quick_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figs") / "quick"
    argv = ["figures", "--quick", "--quiet", "--device", "cpu", "--out", str(out), "--only", *FREI]
    assert main(argv) == 0
    return out


def test_frei_figures_are_registered() -> None:
    for name in FREI:
        spec = FIGURES[name]
        assert spec.paper == "frei2023"
        assert spec.claims, name
        assert spec.differences, name


def test_figure_claim_ids_exist_in_the_claims_registry() -> None:
    from twolayer.claims import CLAIMS

    for name in FREI:
        for cid in FIGURES[name].claims:
            assert cid in CLAIMS, (name, cid)


def test_quick_writes_every_figure_as_small_valid_png(quick_out: Path) -> None:
    index = json.loads((quick_out / "index.json").read_text())["figures"]
    assert set(index) == set(FREI)  # the other papers' figures are tested with their modules
    for name, entry in index.items():
        assert entry["quick"] is True and entry["files"] == [f"{name}.png"]
        for f in entry["files"]:
            p = quick_out / f
            data = p.read_bytes()
            assert data[:8] == PNG_MAGIC, f
            assert 10_000 < len(data) < 500_000, (f, len(data))
            img = imread(p)  # decodes: a real, complete PNG
            assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 300
            # not a blank canvas: some pixels differ from the background
            assert float(np.std(img[..., :3])) > 0.02
    # atomic writes leave no temporary files behind
    assert not [p.name for p in quick_out.iterdir() if p.name.startswith(".")]


def test_readme_lists_every_figure_with_differences_and_claims(quick_out: Path) -> None:
    """The drawn figures get a section each (differences, claims, run); every other registered
    figure one line in the closing list, with the command that draws it."""
    text = (quick_out / "README.md").read_text()
    body, _, rest = text.partition("## Registered figures not in this folder")
    for name, spec in FIGURES.items():
        assert spec.regenerates in text
        if name in FREI:
            section = body.split(f"## {name}:")[1].split("\n## ")[0]
            assert f"({name}.png)" in section
            for diff in spec.differences:
                assert diff in section, (name, diff)
            for claim in spec.claims:
                assert f"`{claim}`" in section
            assert f"`{name}`" not in rest
        else:
            assert f"## {name}:" not in text
            assert (f"- `{name}`: {spec.title} (regenerates {spec.regenerates}); "
                    f"`twolayer figures --only {name}`") in rest
    assert text.count("--quick smoke-test settings") == len(FREI)


def test_readme_keeps_entries_of_figures_not_rerun() -> None:
    entries = {
        "frei2023-fig1": {"files": ["frei2023-fig1.png"], "seconds": 12.0, "quick": False,
                          "device": "cpu", "date": "2024-01-01 00:00 UTC"},
    }
    text = render_readme(entries)
    assert "12 s on cpu" in text and "full settings" in text
    assert "`twolayer figures --only frei2023-fig2`" in text.split(
        "## Registered figures not in this folder")[1]
    assert f"This folder holds 1 of the {len(FIGURES)} registered figures" in text


def test_readme_of_a_folder_with_every_figure_has_no_partial_note() -> None:
    entries = {name: {"files": [f"{name}.png"], "seconds": 1.0, "quick": False, "device": "cpu",
                      "date": "2024-01-01 00:00 UTC"} for name in FIGURES}
    text = render_readme(entries)
    assert "This folder holds" not in text
    assert "not in this folder" not in text
    assert all(f"## {name}:" in text for name in FIGURES)


def test_unknown_only_exits_2_naming_valid_figures(tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    rc = main(["figures", "--only", "frei2023-fig9", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--only 'frei2023-fig9'" in err
    for name in FIGURES:
        assert name in err
    assert not out.exists()


def test_unwritable_out_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    rc = main(["figures", "--quick", "--out", str(blocker / "sub")])
    assert rc == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert blocker.read_text() == "x"


def test_list_prints_every_figure(capsys) -> None:
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for name in FIGURES:
        assert name in out


def test_list_validates_only_and_lists_the_selection(capsys) -> None:
    """--only with --list used to be ignored: an unknown name listed every figure, exit 0."""
    assert main(["figures", "--only", "nope", "--list"]) == 2
    captured = capsys.readouterr()
    assert "--only 'nope'" in captured.err and "frei2023-fig1" in captured.err
    assert captured.out == ""
    assert main(["figures", "--only", "frei2023-fig1", "--all", "--list"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["figures", "--only", "frei2023-fig2", "frei2023-fig1", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["frei2023-fig1", "frei2023-fig2"]


def test_fig2_reaches_1e7_on_cpu_through_the_flow_and_says_so() -> None:
    h = E.fig2_horizon(Runtime(device="cpu"), quick=False, paper_steps=10**7)
    assert h.steps == 10**7 and not h.capped(10**7)
    assert h.integrator == "flow" and h.integrator in E.INTEGRATORS
    diffs = " ".join(FIGURES["frei2023-fig2"].differences)
    assert "gradient-flow integrator" in diffs and "10^7" in diffs


def test_presets_feed_the_paper_figures() -> None:
    cfg, paper_steps = E.preset_config("frei-fig1")
    cfg = cfg.resolved()
    assert (cfg.data.d, cfg.data.n, cfg.net.m, cfg.train.steps) == (2, 5000, 500, 3000)
    assert math.isclose(cfg.data.sigma2, 1 / 50) and math.isclose(cfg.net.init_var, 1 / (32 * 500))
    assert math.isclose(cfg.train.lr, 0.05) and paper_steps == 3000
    for name, (n, d) in (("frei-fig2-high-d", (300, 5000)), ("frei-fig2-low-d", (5000, 300))):
        cfg, paper_steps = E.preset_config(name)
        cfg = cfg.resolved()
        assert (cfg.data.n, cfg.data.d, cfg.net.m, paper_steps) == (n, d, 400, 10**7)
        assert math.isclose(cfg.data.sigma2, d**-1.2)
        assert math.isclose(cfg.net.init_var, 0.01 / (400 * d))
        assert cfg.data.noise_model == "per-cluster" and cfg.data.noise == 0.15


def test_frei_figures_read_records_only() -> None:
    """The Frei figure module imports no claims module and trains nothing itself."""
    src = Path(F.__file__).read_text()
    assert not re.search(r"^\s*(from|import)\s+\S*claims", src, re.M)
    assert not re.search(r"^\s*from\s+\.\.(engine|simulate|integrators)\b", src, re.M)


def test_frei_figures_redraw_identically_from_the_record_store(quick_out: Path,
                                                               tmp_path: Path) -> None:
    """The quick run stored its experiments (the test session's store): drawn again from the
    Records read back, every Frei figure is pixel-identical and nothing is retrained."""
    runs = Runs(quick=True, runtime=Runtime(device="cpu"), store=RecordStore(default_store_dir()))
    for name in FREI:
        (path,) = FIGURES[name].draw(tmp_path, runs)
        np.testing.assert_array_equal(imread(path), imread(quick_out / f"{name}.png"))
    assert runs.trained == []
    assert sorted(runs.reused) == ["frei2023.fig1_boundary", "frei2023.fig2_curves",
                                   "frei2023.theorem_like"]


def test_theory_time() -> None:
    assert F.theory_time(0.05) == 6.0  # the paper's example: α = 0.05 gives T = 6
    assert F.theory_time(0.125) == 3.0


def test_neuron_stats_matches_a_per_neuron_loop() -> None:
    rng = np.random.default_rng(3)
    R, T, m, d = 2, 4, 6, 5
    W = rng.normal(size=(R, T, m, d))
    mu = np.eye(d)[:2]  # μ1 = e1, μ2 = e2
    a = np.concatenate([np.full(m // 2, 1.0), np.full(m // 2, -1.0)]) / math.sqrt(m)
    a = np.broadcast_to(a, (R, m))[..., None].copy()
    arrays = {
        "correlations/w_dot_mu": W @ mu.T,
        "correlations/w_norm": np.linalg.norm(W, axis=-1),
        "static/a": a,
    }
    rec = Record({"seeds": R}, "x", np.arange(T), arrays)
    st = F.neuron_stats(rec)
    for r in range(R):
        for j in range(m):
            k = r * m + j
            own_mu = mu[0] if a[r, j, 0] > 0 else mu[1]
            s = 1.0 if W[r, 0, j] @ own_mu >= 0 else -1.0
            assert st.positive[k] == (a[r, j, 0] > 0)
            assert math.isclose(st.abs_a[k], 1 / math.sqrt(m))
            for t in range(T):
                w = W[r, t, j]
                nw = math.sqrt(float(w @ w))
                assert math.isclose(st.rho1[t, k], w[0] / nw, rel_tol=1e-9)
                assert math.isclose(st.rho2[t, k], w[1] / nw, rel_tol=1e-9)
                assert math.isclose(st.own[t, k], s * float(w @ own_mu), rel_tol=1e-9)
                assert math.isclose(st.norm[t, k], nw, rel_tol=1e-9)
    for r in range(R):
        for t in range(T):
            assert math.isclose(st.frob[r, t], math.sqrt(float((W[r, t] ** 2).sum())), rel_tol=1e-9)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_exits_2_before_any_work(tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    assert main(["figures", "--device", "cuda", "--out", str(out)]) == 2
    assert "--device" in capsys.readouterr().err
    assert not out.exists()


def test_rerun_with_only_keeps_other_index_entries(tmp_path: Path, quick_out: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    other = {"files": ["frei2023-fig1.png"], "seconds": 7.0, "quick": False, "device": "cpu",
             "date": "2024-01-01 00:00 UTC"}
    (out / "index.json").write_text(json.dumps({"figures": {"frei2023-fig1": other}}))
    (out / "frei2023-fig2.png").write_bytes((quick_out / "frei2023-fig2.png").read_bytes())
    argv = ["figures", "--quick", "--quiet", "--device", "cpu", "--out", str(out),
            "--only", "frei2023-trajectories"]
    assert main(argv) == 0
    index = json.loads((out / "index.json").read_text())["figures"]
    assert index["frei2023-fig1"] == other
    assert index["frei2023-trajectories"]["quick"] is True
    assert "section" not in index["frei2023-trajectories"]  # a built-in figure's: its spec
    text = (out / "README.md").read_text()
    assert "7 s on cpu" in text  # the kept entry
    # a PNG present without an index entry is listed as present, its run as unknown
    assert "![frei2023-fig2](frei2023-fig2.png)" in text
    assert "not recorded in this directory's index.json" in text


def test_figure_names_with_plugins_only_all_and_none() -> None:
    from types import SimpleNamespace

    from twolayer.commands.figures import figure_names
    from twolayer.errors import ConfigError
    from twolayer.plots import FIGURES

    builtin = list(FIGURES)
    plug = SimpleNamespace(figures=["mine-a", "mine-b"])
    assert figure_names(None, False, []) == builtin  # no plugin: every registered figure
    assert figure_names(None, False, [plug]) == ["mine-a", "mine-b"]  # a plugin: its own
    assert figure_names([builtin[0]], False, [plug]) == [builtin[0], "mine-a", "mine-b"]
    every = figure_names(None, True, [plug])  # --all: the registry, then what it lacks
    assert every[: len(builtin)] == builtin and every[-2:] == ["mine-a", "mine-b"]
    with pytest.raises(ConfigError, match="--all"):
        figure_names([builtin[0]], True, [])



def test_the_committed_index_stores_sections_of_the_plugins_figures_only() -> None:
    """figures/index.json keeps the section of each plugin figure (what a run without the
    plugin renders from) and none of a built-in one (rendered from its spec, always there, so a
    stored copy could only go stale)."""
    from twolayer.commands.figures import load_index

    entries = load_index(Path(__file__).resolve().parents[1] / "figures")
    assert [n for n, e in entries.items() if "section" in e] == [
        n for n in entries if n.startswith("barak2022-")]
    assert all(n in FIGURES for n in entries if not n.startswith("barak2022-"))


def test_the_readme_preamble_is_true_in_a_folder_other_than_figures() -> None:
    """A plugin's `twolayer figures --out DIR` README said only that `make figures` regenerates
    it, that every PNG's caption repeats the setting (a plugin draws what it draws) and that
    `--quick` writes 'not these' into a temporary folder, under a --quick section of its own.
    The preamble keeps the mark check_not_foreign recognises."""
    from twolayer.commands.figures import README_MARK

    text = render_readme({})
    assert README_MARK in text
    assert "in any other folder by `twolayer figures --out DIR`" in text
    assert "a plugin's figure shows what its plugin draws" in text
    assert "(not these)" not in text and "Without `--out`" in text


def test_the_committed_readme_and_index_name_the_same_last_runs() -> None:
    """figures/README.md and figures/index.json are written together by `make figures`; a
    commit of one without the other left nine sections of the README naming a run (date,
    seconds) the index did not record. Each figure's section names its index entry's last run."""
    import re

    root = Path(__file__).resolve().parents[1] / "figures"
    entries = json.loads((root / "index.json").read_text())["figures"]
    sections = {m.group(1): m.group(2) for m in
                re.finditer(r"^## ([\w.-]+): .*?\n(.*?)(?=^## |\Z)",
                            (root / "README.md").read_text(), re.S | re.M)}
    assert set(entries) <= set(sections)
    for name, e in entries.items():
        last = re.search(r"^- Last run: (.+?), (\d+) s on (\w+)", sections[name], re.M)
        assert last is not None, name
        assert (last.group(1), int(last.group(2)), last.group(3)) == (
            e["date"], round(e["seconds"]), e["device"]), name
