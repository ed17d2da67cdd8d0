"""Plugins loaded from a path: what they register, and clear, local errors (file and line; an
id registered twice names both places)."""

from __future__ import annotations

import json
import textwrap

import pytest
from plugin_helpers import NUMBERS_PLUGIN, key_in_a_new_process

from twolayer.claims import CLAIMS
from twolayer.claims.base import judge
from twolayer.cli import main
from twolayer.experiments import EXPERIMENTS, Runs
from twolayer.plots import FIGURES
from twolayer.plugins import PluginError, is_plugin_path, load_path, split_selection

PLUGIN = NUMBERS_PLUGIN.replace("{lo}", "1.0")  # x in [1, 2]: the claim holds


def cleanup(paper: str) -> None:
    for reg in (CLAIMS, EXPERIMENTS, FIGURES):
        for k in [k for k in reg if k.startswith(paper + ".") or k.startswith(paper + "-")]:
            reg.pop(k)


@pytest.fixture
def paper(request):
    """A paper name of this test's own, whose claims, experiments, figures and loaded plugins
    are forgotten after it: a plugin left in the loaded list is loaded again by every later
    worker process (prefetch), where two tests' plugins of one name collide."""
    from twolayer.plugins import _LOADED

    name = "plug" + request.node.name.split("[")[0][-12:].replace("_", "")
    loaded = set(_LOADED)
    yield name
    cleanup(name)
    for key in [k for k in _LOADED if k not in loaded]:
        _LOADED.pop(key)


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


SECOND_CLAIM = """

@claim("{paper}.pos.below_three", "x is below 3", "Lemma 1", "[PAPER]")
def below_three(runs):
    x = runs.get("{paper}.numbers").arrays["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 3.0, "<="), m, "<= 3", ci, x.size, "R = %d" % x.size)
"""


def test_a_plugin_named_with_some_of_its_own_claims_stands_for_those(tmp_path, paper,
                                                                       capsys) -> None:
    """`twolayer check mine.py mine.pos.positive` checked every claim of mine.py (the named one
    was added to them), so one claim of a plugin could not be checked alone; the plugin now
    stands for its claims the selection names, all of them where it names none"""
    f = tmp_path / "two.py"
    f.write_text(PLUGIN.format(paper=paper) + SECOND_CLAIM.format(paper=paper))
    one, two = f"{paper}.pos.positive", f"{paper}.pos.below_three"
    assert split_selection([str(f), one]) == ([one], [load_path(f)])
    assert split_selection([two, str(f)])[0] == [two]
    assert split_selection([str(f), "frei2023"])[0] == [*load_path(f).claims, "frei2023"]
    assert set(load_path(f).claims) == {one, two}  # none of its own named: all of them
    assert split_selection([str(f), f"{paper}.pos"])[0] == [f"{paper}.pos"]  # a prefix of them
    assert main(["check", str(f), one, "--quick", "--no-store", "--json"]) == 0
    assert [v["id"] for v in json.loads(capsys.readouterr().out)] == [one]


def test_a_folder_plugin_may_import_its_own_modules(tmp_path, paper) -> None:
    pkg = tmp_path / "mypaper"
    pkg.mkdir()
    (pkg / "runs.py").write_text(PLUGIN.format(paper=paper))
    (pkg / "__init__.py").write_text("from . import runs  # noqa: F401\n")
    assert load_path(pkg).claims == [f"{paper}.pos.positive"]


def test_a_bare_known_id_means_the_id_even_where_a_folder_has_its_name(
        tmp_path, monkeypatch, paper, capsys) -> None:
    """`mkdir frei2023 && twolayer check frei2023` checks the paper; ./frei2023 is the folder,
    and a bare folder name that is no paper or claim id is still a plugin"""
    monkeypatch.chdir(tmp_path)
    for name in ("frei2023", "frei2023.theorem1", "all"):
        (tmp_path / name).mkdir()
        assert not is_plugin_path(name) and is_plugin_path("./" + name)
    assert split_selection(["frei2023", "frei2023.theorem1"]) == (
        ["frei2023", "frei2023.theorem1"], [])
    assert main(["check", "frei2023", "--list"]) == 0
    assert "frei2023.theorem1.test_error" in capsys.readouterr().out
    with pytest.raises(PluginError, match="__init__.py"):
        split_selection(["./frei2023"])
    assert main(["figures", "frei2023", "--list"]) == 2  # figures takes plugin paths only
    assert "__init__.py" in capsys.readouterr().err
    pkg = tmp_path / "mypaper"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(PLUGIN.format(paper=paper))
    for name in ("mypaper", "mypaper/__init__.py"):
        assert is_plugin_path(name)
    ids, plugins = split_selection(["mypaper"])
    assert ids == [f"{paper}.pos.positive"] and len(plugins) == 1


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


def test_a_relative_import_error_names_the_folder_not_an_internal_module(tmp_path) -> None:
    """A folder plugin imports under an internal module name (twolayer_plugin_<name>_<hash>),
    and a typo in a relative import said "cannot import name 'probez' from
    'twolayer_plugin_mine_3f2a...'", a name the user never wrote; it now says the folder's
    name, as the user's own `from . import ...` refers to it."""
    pkg = tmp_path / "mine"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from . import experiments  # noqa\n")
    (pkg / "experiments.py").write_text("x = 1\nfrom . import probez  # noqa\n")
    with pytest.raises(PluginError) as e:
        load_path(pkg)
    msg = str(e.value)
    assert f"{pkg / 'experiments.py'}:2" in msg and "probez" in msg, msg
    assert "twolayer_plugin_" not in msg and "from 'mine'" in msg, msg
    (pkg / "experiments.py").write_text("import mine_helpers_typo  # noqa\n")
    (pkg / "__init__.py").write_text("from .helpers import x  # noqa\n")
    with pytest.raises(PluginError) as e:
        load_path(pkg)
    assert "No module named 'mine.helpers'" in str(e.value), str(e.value)


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


def test_a_broken_plugin_of_simulate_is_named_under_its_command(tmp_path, capsys) -> None:
    """As for check and figures: one line, "twolayer simulate: error: ...", the file named."""
    from twolayer.cli import main

    f = tmp_path / "broken_plugin.py"
    f.write_text("import no_such_module_here\n")
    assert main(["simulate", "--plugin", str(f), "--d", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("twolayer simulate: error: ") and len(err.splitlines()) == 1, err
    assert "broken_plugin.py" in err and "no_such_module_here" in err


# -- probes read the configuration they measure under ------------------------------------------

def _config_probe(name: str):
    import torch

    from twolayer.api import probe

    @probe(name)
    def read(state):
        eta = state.config_values("data.noise")  # raises first when the call has no configs
        per_cluster = [float(c.data.noise_model == "per-cluster") for c in state.configs]
        return {"eta": eta, "lr": state.config_values("train.lr"),
                "base_seed": state.config_values("seed"),
                "run_seed": torch.tensor(state.seeds),
                "per_cluster": torch.tensor(per_cluster)}

    return read


@pytest.fixture
def config_probe():
    from twolayer.probes import REGISTRY

    _config_probe("plugeta")
    yield "plugeta"
    REGISTRY.pop("plugeta", None)


def _small(**changes):
    from twolayer.api import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig

    base = Config(data=DataConfig(d=6, n=30, n_test=20), net=NetConfig(m=4),
                  train=TrainConfig(steps=3, lr=0.05),
                  probe=ProbeConfig(probes=("errors", "plugeta")))
    return base.replace(**changes)


def test_a_probe_reads_each_runs_config_in_a_batch_of_different_configs(config_probe) -> None:
    import numpy as np

    from twolayer.sweep.worker import group_key, run_group

    cfgs = [_small(data__noise=0.0, seeds=2, seed=0),
            _small(data__noise=0.2, data__noise_model="per-cluster", seeds=2, seed=10),
            _small(data__noise=0.35, seeds=2, seed=3)]
    assert len({group_key(c) for c in cfgs}) == 1  # the three points train in one batch
    outs = run_group([c.to_dict() for c in cfgs], baselines=False)
    for cfg, o in zip(cfgs, outs, strict=True):
        rec = o.record
        assert o.status == "ok" and rec.meta["sweep_group_runs"] == 6
        T = len(rec.times)
        # each run recorded its own point's eta (not the batch's first), at every probe time
        assert rec["plugeta/eta"].shape == (cfg.seeds, T)
        assert (rec["plugeta/eta"] == np.float32(rec.config["data"]["noise"])).all()
        assert (rec["plugeta/lr"] == np.float32(0.05)).all()
        assert (rec["plugeta/base_seed"] == cfg.seed).all()
        assert (rec["plugeta/run_seed"] == np.array(cfg.run_seeds)[:, None]).all()
        want = float(cfg.data.noise_model == "per-cluster")
        assert (rec["plugeta/per_cluster"] == want).all()


def test_simulate_train_and_measure_hand_probes_the_config(config_probe) -> None:
    import numpy as np

    from twolayer.api import ConfigError, Runtime, measure, setup, simulate, train

    cfg = _small(data__noise=0.15, seeds=3)
    rec = simulate(cfg, Runtime(device="cpu"))
    assert (rec["plugeta/eta"] == np.float32(0.15)).all()

    rcfg, data, params = setup(cfg)
    # one config per run: run r reads configs[r]
    per_run = [rcfg.replace(data__noise=eta) for eta in (0.0, 0.25, 0.4)]
    res = train(params, data, rcfg.train, [0, 3], ("plugeta",), Runtime(device="cpu"),
                configs=per_run)
    np.testing.assert_array_equal(res.arrays["plugeta/eta"][:, 1],
                                  np.float32([0.0, 0.25, 0.4]))
    got = measure(params, data, ("plugeta",), Runtime(device="cpu"), configs=rcfg,
                  seeds=[7, 8, 9])
    assert (got["plugeta/eta"] == np.float32(0.15)).all()
    assert got["plugeta/run_seed"].tolist() == [7, 8, 9]
    # no configs: the probe's question is answered with a clear error, not a guess
    with pytest.raises(ConfigError, match="configs="):
        measure(params, data, ("plugeta",), Runtime(device="cpu"))
    with pytest.raises(ConfigError, match="one per run"):
        measure(params, data, ("plugeta",), Runtime(device="cpu"), configs=per_run[:2])


def test_config_values_refuses_unknown_and_non_numeric_fields() -> None:
    from twolayer.api import ConfigError, ProbeState, init_params, setup

    cfg, data, params = setup(_small(seeds=2))
    state = ProbeState(0, params, params, data, "logistic", configs=(cfg, cfg))
    assert state.config_values("net.m").tolist() == [4.0, 4.0]
    assert ProbeState(0, params, params, data, "logistic", configs=cfg).configs == (cfg, cfg)
    with pytest.raises(ConfigError, match="one per run"):
        ProbeState(0, params, params, data, "logistic", configs=(cfg,))
    with pytest.raises(ConfigError, match="numeric"):
        state.config_values("data.noise_model")
    with pytest.raises(ConfigError, match="config field"):
        state.config_values("data.nope")
    assert init_params  # (imported from the API like the rest)


def test_passing_configs_changes_no_number() -> None:
    import numpy as np

    from twolayer.api import Runtime, TrainConfig, setup, train

    cfg, data, params = setup(_small(seeds=2, data__noise=0.2))
    for tc in (TrainConfig(steps=4, lr=0.05), TrainConfig(steps=4, lr=0.05, batch_size=10),
               TrainConfig(steps=4, lr=0.05, integrator="flow")):
        a = train(params, data, tc, [0, 2, 4], ("errors",), Runtime(device="cpu"))
        b = train(params, data, tc, [0, 2, 4], ("errors",), Runtime(device="cpu"), configs=cfg)
        assert a.arrays.keys() == b.arrays.keys()
        for k in a.arrays:
            np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
        assert (a.params.W == b.params.W).all()


def test_a_streaming_kind_in_a_sweep_batch_streams_each_points_own_noise() -> None:
    """The points of one sweep batch may differ in the noise rate: each run's fresh minibatches
    are corrupted at its own point's rate, so a batched point equals the point trained alone
    (before, every run streamed at the batch's first rate)."""
    from dataclasses import dataclass

    import numpy as np
    import torch

    from twolayer import config as config_module
    from twolayer.api import (
        Config,
        DataConfig,
        NetConfig,
        ProbeConfig,
        Runtime,
        TrainConfig,
        register_data_kind,
        simulate,
        streaming_kind,
    )
    from twolayer.sweep.worker import group_key, run_group

    @dataclass(frozen=True)
    class LineConfig(DataConfig):
        kind: str = "plugline"

    def draw(cfg, n, gen, dtype):
        x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
        y = torch.where(x[:, 0] > 0, 1, -1)
        return x, y, (y > 0).long()

    register_data_kind(streaming_kind("plugline", LineConfig, draw))
    try:
        def cfg(eta: float) -> Config:
            return Config(data=DataConfig(kind="plugline", d=5, n=40, n_test=40, noise=eta),
                          net=NetConfig(m=4), train=TrainConfig(steps=20, batch_size=10),
                          probe=ProbeConfig(probes=("errors",)), seeds=2)

        points = [cfg(0.0), cfg(0.4)]
        assert group_key(points[0]) == group_key(points[1])
        batched = run_group([p.to_dict() for p in points], baselines=False)
        for p, out in zip(points, batched, strict=True):
            alone = simulate(p, Runtime(device="cpu", progress=False))
            for k in ("errors/train_error", "errors/loss", "errors/test_error"):
                np.testing.assert_array_equal(out.record[k], alone[k], err_msg=k)
    finally:
        config_module._DATA_KINDS.pop("plugline", None)


def test_simulate_trains_with_a_plugins_loss_by_name(tmp_path, capsys) -> None:
    """A loss a plugin registers is a valid --objective once the plugin is loaded; the probes
    measure that loss: at init f ≈ 0, so the hinge loss max(0, 1 − y f) is ≈ 1 (the logistic
    loss would be ≈ log 2)."""
    from twolayer import config as config_module
    from twolayer.cli import main
    from twolayer.net import model
    from twolayer.record import Record

    f = tmp_path / "loss_plugin.py"
    f.write_text(textwrap.dedent('''
        import torch

        from twolayer.api import Loss, register_loss


        def value(out, y):
            return torch.relu(1 - y.to(out.dtype) * out[..., 0])


        def value_and_dloss(out, y):
            yy = y.to(out.dtype)
            z = yy * out[..., 0]
            return torch.relu(1 - z), (-yy * (z < 1).to(out.dtype)).unsqueeze(-1)


        register_loss("plughinge", Loss(value, value_and_dloss, lambda u: u.gt_(-1.0)))
    '''))
    out = tmp_path / "out"
    try:
        args = ["simulate", "--plugin", str(f), "--objective", "plughinge", "--d", "10",
                "--n", "40", "--m", "4", "--steps", "5", "--seeds", "2", "--probes", "errors",
                "--json", "--out", str(out), "--device", "cpu"]
        assert main(args) == 0
        run_id = json.loads(capsys.readouterr().out)["run_id"]
        rec = Record.load(out / run_id)
        assert rec.config["train"]["objective"] == "plughinge"
        assert abs(rec["errors/loss"][:, 0] - 1.0).max() < 1e-2
        # an unregistered name is not a choice: exit 2, naming the flag and the choices
        with pytest.raises(SystemExit) as e:
            main(["simulate", "--objective", "nope", "--steps", "1"])
        assert e.value.code == 2
        assert "--objective" in capsys.readouterr().err
    finally:
        model.LOSSES.pop("plughinge", None)
        if "plughinge" in config_module._REGISTERED_OBJECTIVES:
            config_module._REGISTERED_OBJECTIVES.remove("plughinge")


def _write(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_an_experiments_key_covers_the_modules_it_imports_and_not_the_claims(tmp_path) -> None:
    """source_closure follows relative imports transitively inside the folder; the digest of a
    single file is its plain SHA-256 (the keys stored before closures stay valid)."""
    import hashlib

    from twolayer.experiments import source_closure, source_digest

    _write(tmp_path, {
        "experiments.py": "from .train import run\nfrom . import experiment_helpers as h\n",
        "experiment_helpers.py": "X = 1\n",
        "train.py": "from .data import sample\nfrom . import util\nfrom .sub import mod\n"
                    "from ..elsewhere import nothing\n",
        "data.py": "def sample(): return 1\n",
        "util.py": "", "sub/__init__.py": "", "sub/mod.py": "Y = 2\n",
        "claims.py": "from .experiments import run\n", "figures.py": "from . import claims\n",
        "__init__.py": "from . import claims, experiments, figures\n",
    })
    got = {p.relative_to(tmp_path).as_posix() for p in source_closure(tmp_path / "experiments.py")}
    assert got == {"experiments.py", "experiment_helpers.py", "train.py", "data.py", "util.py",
                   "sub/__init__.py", "sub/mod.py"}
    alone = tmp_path / "data.py"
    assert source_digest(alone) == hashlib.sha256(alone.read_bytes()).hexdigest()
    before = source_digest(tmp_path / "experiments.py")
    (tmp_path / "claims.py").write_text("from .experiments import run\nRULE = 2\n")
    (tmp_path / "figures.py").write_text("X = 3\n")
    assert source_digest(tmp_path / "experiments.py") == before  # verdicts, figures: no retrain
    (tmp_path / "sub/mod.py").write_text("Y = 3\n")  # reached through train.py: retrain
    assert source_digest(tmp_path / "experiments.py") != before
    (tmp_path / "data.py").write_text("def sample(: pass\n")  # unparsable: never a match
    assert source_digest(tmp_path / "experiments.py") == "unreadable"


def test_a_folder_plugins_stored_runs_retrain_when_its_data_code_changes(tmp_path, paper) -> None:
    pkg = tmp_path / "withdata"
    _write(pkg, {
        "__init__.py": "from . import runs  # noqa: F401\n",
        "values.py": "LO = 1.0\n",
        "runs.py": PLUGIN.format(paper=paper) + "\nfrom .values import LO  # noqa: E402,F401\n",
    })
    load_path(pkg)
    key = Runs(quick=True, seeds=2).key(f"{paper}.numbers")
    (pkg / "values.py").write_text("LO = 2.0\n")
    assert key_in_a_new_process(f"{paper}.numbers", seeds=2)["source"] != key["source"]


def test_a_probe_registered_beside_an_experiment_that_names_it_is_in_its_key(tmp_path,
                                                                             paper) -> None:
    """An experiment that names a probe of its folder (``ProbeConfig(probes=("mine",))``)
    without importing the probe's module read its stored runs back after the probe changed:
    `twolayer check` kept the old verdict (holds) where the edited probe gives fails. The
    probe's module is now in the key of the plugin's experiments; its claims still are not."""
    from twolayer.probes import REGISTRY

    pkg = tmp_path / "namesprobe"
    probe_name = f"{paper}probe"
    _write(pkg, {
        "__init__.py": "from . import probes, runs, claims  # noqa: F401\n",
        "probes.py": textwrap.dedent(f'''
            from twolayer.api import probe


            @probe("{probe_name}")
            def mine(state):
                return {{"w": state.params.W.flatten(1).norm(dim=1)}}
            '''),
        "runs.py": textwrap.dedent(f'''
            from twolayer.api import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
            from twolayer.api import experiment, simulate


            @experiment("{paper}.runs")
            def runs_(quick, seeds, runtime):
                return simulate(Config(data=DataConfig(d=5, n=10, n_test=10),
                                       net=NetConfig(m=4), train=TrainConfig(steps=2),
                                       probe=ProbeConfig(probes=("{probe_name}",)),
                                       seeds=2), runtime)
            '''),
        "claims.py": "X = 1\n",
    })
    try:
        load_path(pkg)
        key = Runs(quick=True).key(f"{paper}.runs")["source"]
        (pkg / "claims.py").write_text("X = 2\n")
        assert Runs(quick=True).key(f"{paper}.runs")["source"] == key  # re-judged only
        (pkg / "probes.py").write_text((pkg / "probes.py").read_text().replace(
            "norm(dim=1)", "norm(dim=1) * -1.0"))
        assert key_in_a_new_process(f"{paper}.runs")["source"] != key  # retrained
    finally:
        REGISTRY.pop(probe_name, None)


def test_a_data_kind_registered_beside_an_experiment_that_names_it_is_in_its_key(
        tmp_path, paper) -> None:
    """The same for a data kind named by ``DataConfig(kind=...)``: its draw (held in the
    sampler's closure) is part of the key of the plugin's experiments."""
    from twolayer import config

    pkg = tmp_path / "nameskind"
    kind = f"{paper}kind"
    _write(pkg, {
        "__init__.py": "from . import kind, runs  # noqa: F401\n",
        "kind.py": textwrap.dedent(f'''
            from dataclasses import dataclass
            import torch
            from twolayer.api import DataConfig, DataKind, iid_sampler, register_data_kind


            @dataclass(frozen=True)
            class KConfig(DataConfig):
                kind: str = "{kind}"


            def setup(cfg, gen, dtype):
                return {{}}


            def draw(cfg, n, extras, gen, dtype):
                x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
                y = torch.where(x[:, 0] > 0, 1, -1)
                return x, y, (y > 0).long()


            register_data_kind(DataKind("{kind}", KConfig, iid_sampler(setup, draw)))
            '''),
        "runs.py": textwrap.dedent(f'''
            from twolayer.api import Config, DataConfig, NetConfig, TrainConfig
            from twolayer.api import experiment, simulate


            @experiment("{paper}.runs")
            def runs_(quick, seeds, runtime):
                return simulate(Config(data=DataConfig(kind="{kind}", d=5, n=10, n_test=10),
                                       net=NetConfig(m=4), train=TrainConfig(steps=2),
                                       seeds=2), runtime)
            '''),
    })
    try:
        load_path(pkg)
        key = Runs(quick=True).key(f"{paper}.runs")["source"]
        (pkg / "kind.py").write_text((pkg / "kind.py").read_text().replace(
            "x[:, 0] > 0", "x[:, 1] > 0"))
        assert key_in_a_new_process(f"{paper}.runs")["source"] != key
    finally:
        config._DATA_KINDS.pop(kind, None)
