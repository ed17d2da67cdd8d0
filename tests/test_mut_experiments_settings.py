"""The settings each frei2023 and liu2023 experiment trains, in quick and in full mode, against the
numbers the documentation states (the oracle is the docs, typed here by hand, not the plans):
docs/papers/frei2023.md (the regime table, "Settings outside the theorem", the Prop. 2 and
linear-baseline notes), docs/papers/liu2023.md (the quick/full table) and the settings of the
full plan in docs/claims.md. Nothing is trained: the runners are replaced by recorders of the
config they are handed, so each test checks which config reaches the training, under which key
and family, with how many runs from which seed.

Mutation testing of the experiments layer (2026-12-05): a wrong d, n, m, noise, step, init scale
or seed count in a plan, a deep setting filed under the d sweep's key or family, a full-plan run
without its seed offset, the two Fig. 2 panels swapped, an n sweep that does not vary n, or a
plan that ignores ``--seeds`` all passed the earlier tests, which train the claims on tiny plans
of their own."""

from __future__ import annotations

import pytest

from twolayer.engine import Runtime
from twolayer.experiments import frei2023 as E
from twolayer.experiments import liu2023 as L

RT = Runtime(device="cpu", progress=False)


def _check(cfg, want: dict, where: str) -> None:
    """Each ``section.field`` of ``want`` against the resolved config (floats to 1e-12 rel)."""
    d = cfg.resolved() if hasattr(cfg, "resolved") else cfg
    for key, value in want.items():
        if key in ("seeds", "seed"):
            got = getattr(d, key)
        else:
            section, name = key.split(".")
            got = getattr(getattr(d, section), name)
        if isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-12, abs=0), (where, key, got, value)
        else:
            assert got == value, (where, key, got, value)


# ------------------------------------------------------------------------------------ frei2023

def _regime(d: int, n: int = 500, m: int = 200, eta: float = 0.02, s2d: float = 1 / 4096,
            w2md: float = 64.0**-4, lr: float = 0.125, T: int = 3) -> dict:
    """docs/papers/frei2023.md, "How deep inside the regime": σ²d, ω_init² m d, α (T)."""
    return {"data.d": d, "data.n": n, "data.noise": eta, "data.n_test": 1000,
            "data.sigma2": s2d / d, "net.m": m, "net.init_var": w2md / (m * d),
            "train.lr": lr, "train.steps": T, "train.batch_size": None, "data.kind": "xor"}


DEEP = {"n": 1000, "m": 400, "eta": 0.008, "s2d": 1 / 25600, "w2md": 1e-9, "lr": 0.05, "T": 6}


@pytest.fixture
def frei_runs(monkeypatch):
    """run_to_T and in_chunks replaced: each regime-like experiment returns, per key, the config
    handed to the training and its family."""
    monkeypatch.setattr(E, "run_to_T", lambda cfg, runtime, family="main": (cfg, family))
    monkeypatch.setattr(E, "in_chunks", lambda cfg, train, chunk: train(cfg))


def test_frei_regime_d_sweep_and_deep_setting(frei_runs):
    quick = E.regime_experiment(True, None, RT)
    assert list(quick) == ["d=1500", "d=3000", "d=6000"]
    for key, (cfg, fam) in quick.items():
        d = int(key.split("=")[1])
        _check(cfg, _regime(d) | {"data.noise_model": "iid"}, key)
        assert fam == "main" and cfg.run_seeds == list(range(6)), key  # 6 seeds each
    full = E.regime_experiment(False, None, RT)
    assert list(full) == ["d=1500", "d=3000", "d=6000", "d=12000", "deep d=12000"]
    for key, (cfg, fam) in full.items():
        d = int(key.split("=")[1])
        want = _regime(d, **DEEP) if key.startswith("deep") else _regime(d)
        _check(cfg, want | {"data.noise_model": "iid"}, key)
        assert fam == ("deep" if key.startswith("deep") else "main"), key
        # 100 runs per setting, seeds 20-119 (disjoint from the pilot's 0-19)
        assert cfg.run_seeds == list(range(20, 120)), key


def test_frei_regime_honours_seeds(frei_runs):
    """``seeds`` (``--seeds``) sets the runs of every setting, in full mode too."""
    for quick in (True, False):
        for key, (cfg, _) in E.regime_experiment(quick, 7, RT).items():
            assert cfg.seeds == 7, (quick, key)
    assert all(c.run_seeds[0] == 20 for c, _ in E.regime_experiment(False, 7, RT).values())


def test_frei_n_sweep_adversarial_and_lazy(frei_runs):
    for quick, d, ns, seeds in ((True, 3000, (250, 500, 1000), 6),
                                (False, 6000, (250, 500, 1000, 2000), 20)):
        sweep = E.n_sweep_experiment(quick, None, RT)
        assert list(sweep) == [f"n={n}" for n in ns]
        for n, (cfg, fam) in zip(ns, sweep.values()):
            _check(cfg, _regime(d, n=n) | {"data.noise_model": "iid"}, f"n={n}")
            assert fam == "n_sweep" and cfg.run_seeds == list(range(seeds))
        adv, fam = E.adversarial_experiment(quick, None, RT)
        _check(adv, _regime(d) | {"data.noise_model": "one-cluster"}, "adversarial")
        assert adv.seeds == (18 if quick else 20) and adv.seed == 0  # docs: 18 runs quick
        assert E.adversarial_experiment(quick, 5, RT)[0].seeds == 5
        lazy, fam = E.lazy_experiment(quick, None, RT)
        _check(lazy, _regime(d, w2md=1.0) | {"data.noise_model": "iid"}, "lazy")  # 1/(md)
        assert fam == "lazy" and lazy.seeds == seeds


class _Setup(Exception):
    def __init__(self, cfg):
        self.cfg = cfg


def _raise_setup(cfg):
    raise _Setup(cfg)


def test_frei_linear_and_movement_settings(monkeypatch):
    monkeypatch.setattr(E, "setup", _raise_setup)
    for quick, d_mov, seeds in ((True, 3000, 6), (False, 6000, 20)):
        with pytest.raises(_Setup) as lin:
            E.linear_experiment(quick, None, RT)
        # docs: d = 200 with n = 500 > d, the regime distribution (eta, sigma2 d = 1/4096)
        _check(lin.value.cfg, {"data.d": 200, "data.n": 500, "data.noise": 0.02,
                               "data.sigma2": 1 / 4096 / 200, "data.n_test": 1000,
                               "seeds": seeds}, "linear")
        with pytest.raises(_Setup) as mov:
            E.movement_experiment(quick, None, RT)
        _check(mov.value.cfg, _regime(d_mov) | {"seeds": seeds}, "movement")
        # Prop. 2: omega_init^2 m d in {1e-5, ..., 1e-9}
        assert E.plan(quick).movement_init_var_md == (1e-5, 1e-6, 1e-7, 1e-8, 1e-9)


def test_frei_figure_settings(monkeypatch):
    """docs/papers/frei2023.md, "Settings outside the theorem" (and docs/claims.md for the full
    plan's n_test): Fig. 2 panels (high_d: d >> n, low_d: n >> d) and Fig. 1."""
    monkeypatch.setattr(E, "setup", lambda cfg: (cfg, None, None))
    monkeypatch.setattr(E, "train", lambda *a, **k: None)
    monkeypatch.setattr(E, "build_record", lambda cfg, *a, **k: cfg)
    late = {"data.noise": 0.15, "data.noise_model": "per-cluster", "train.lr": 4.0,
            "train.batch_size": None}
    for quick, high, low, seeds in (
            (True, (50, 500, 50, 1000), (200, 10, 100, 2000), 4),
            (False, (100, 2000, 100, 5000), (400, 20, 100, 5000), 8)):
        panels = E.fig2_experiment(quick, None, RT)
        assert list(panels) == ["high_d", "low_d"]
        for key, (n, d, m, steps) in (("high_d", high), ("low_d", low)):
            cfg = panels[key]
            _check(cfg, late | {"data.n": n, "data.d": d, "net.m": m, "train.steps": steps,
                                "seeds": seeds, "data.sigma2": d ** -1.2,
                                "net.init_var": 0.01 / (m * d)}, key)
            if not quick:
                assert cfg.data.n_test == 6000
        assert panels["high_d"].data.d > panels["high_d"].data.n  # d >> n on the left
        assert panels["low_d"].data.n > panels["low_d"].data.d
        n1, m1, s1 = (500, 50, 2) if quick else (5000, 500, 4)
        fig1 = E.fig1_experiment(quick, None, RT)
        _check(fig1, {"data.d": 2, "data.n": n1, "net.m": m1, "seeds": s1, "data.noise": 0.15,
                      "data.noise_model": "iid", "data.sigma2": 1 / 50,
                      "net.init_var": 1 / (32 * m1), "train.lr": 0.05, "train.steps": 3000},
               "fig1")
        if not quick:
            assert fig1.data.n_test == 6000


def test_frei_stopping_time_is_one_plus_a_quarter_over_alpha():
    for lr, T in ((0.125, 3), (0.05, 6), (0.25, 2)):  # T = 1 + 1/(4 alpha)
        assert E.stopping_time(lr) == T
    assert E.Regime(ds=(10,), n=5, m=2, noise=0.0, sigma2_d=1.0, init_var_md=1.0, lr=0.05,
                    n_test=5, seeds=1).T == 6


# ------------------------------------------------------------------------------------- liu2023

# docs/papers/liu2023.md, "Quick (--quick) and full settings", and docs/claims.md (full plan)
XOR = {"data.kind": "xor", "data.d": 50, "data.n": 400, "data.sigma2": 0.05, "data.noise": 0.3,
       "data.noise_model": "iid", "net.m": 256, "net.init_var": 0.01 / (256 * 50),
       "net.second_layer": "frei", "net.train_second_layer": False, "train.lr": 0.5,
       "train.objective": "logistic"}
MIXTURE = {"data.kind": "clusters", "data.num_classes": 2, "data.d": 50, "data.n": 400,
           "data.sigma2": 0.1, "data.noise": 0.3, "net.m": 256, "net.init_var": 1 / 50,
           "net.second_layer": "frei", "net.train_second_layer": False, "train.lr": 0.5,
           "train.batch_size": None, "train.objective": "logistic"}
K10 = {"data.kind": "clusters", "data.num_classes": 10, "data.d": 50, "data.n": 500,
       "data.sigma2": 0.05, "data.noise": 0.3, "net.m": 256, "net.init_var": 0.01 / (256 * 50),
       "net.second_layer": "gaussian", "net.train_second_layer": True, "train.lr": 0.5,
       "train.batch_size": None, "train.objective": "softmax"}
LIU_PLANS = {  # mode: (n_test, {experiment: (seeds, steps)}, widths, regime widths)
    True: (2000, {"xor": (4, 2000), "xor_sgd": (4, 4000), "mixture": (4, 1000),
                  "k10": (3, 800), "width": (4, 300), "regime": (3, 1500), "delta": (3, 300),
                  "width_regime": (3, 300)}, (64, 256, 1024), (64, 128, 256), (4000, 5000)),
    False: (5000, {"xor": (10, 3000), "xor_sgd": (10, 6000), "mixture": (10, 1500),
                   "k10": (8, 1500), "width": (10, 400), "regime": (10, 4000),
                   "delta": (8, 4000), "width_regime": (10, 400)},
            (64, 256, 1024, 4096), (64, 256, 1024), (40000, 20000)),
}


@pytest.fixture
def liu_runs(monkeypatch):
    monkeypatch.setattr(L, "run", lambda cfg, runtime, angles=True: cfg)
    monkeypatch.setattr(L, "run_init", lambda cfg, runtime: cfg)


@pytest.mark.parametrize("quick", [True, False])
def test_liu_settings(liu_runs, quick):
    n_test, sizes, widths, regime_widths, large_n = LIU_PLANS[quick]

    def sized(name: str) -> dict:
        seeds, steps = sizes[name]
        return {"seeds": seeds, "train.steps": steps, "data.n_test": n_test, "seed": 0,
                "probe.num_times": 50}

    _check(L.xor_experiment(quick, None, RT), XOR | {"train.batch_size": None} | sized("xor"),
           "xor")
    _check(L.xor_sgd_experiment(quick, None, RT), XOR | {"train.batch_size": 40}
           | sized("xor_sgd"), "xor_sgd")
    _check(L.mixture_experiment(quick, None, RT), MIXTURE | sized("mixture"), "mixture")
    _check(L.k10_experiment(quick, None, RT), K10 | sized("k10"), "k10")
    _check(L.regime_experiment(quick, None, RT), MIXTURE | {"data.n": 2000} | sized("regime"),
           "regime")
    init = L.init_n_experiment(quick, None, RT)
    assert sorted(init) == ["k10", "xor"]
    _check(init["xor"], XOR | {"data.n": large_n[0], "seeds": sizes["xor"][0]}, "init_n xor")
    _check(init["k10"], K10 | {"data.n": large_n[1], "seeds": sizes["k10"][0]}, "init_n k10")
    width = L.width_experiment(quick, None, RT)
    assert list(width) == [f"m={m}" for m in widths]
    for m, cfg in zip(widths, width.values()):  # omega_init^2 = 1/d at every width
        _check(cfg, MIXTURE | {"net.m": m} | sized("width"), f"width m={m}")
    wreg = L.width_regime_experiment(quick, None, RT)
    assert list(wreg) == [f"m={m}" for m in regime_widths]
    for m, cfg in zip(regime_widths, wreg.values()):
        _check(cfg, MIXTURE | {"net.m": m, "data.n": 2000} | sized("width_regime"),
               f"width_regime m={m}")
    delta = L.delta_experiment(quick, None, RT)
    assert list(delta) == ["delta=0.1", "delta=0.2", "delta=0.4"]
    for (dl, n), cfg in zip(((0.1, 6000), (0.2, 3000), (0.4, 1500)), delta.values()):
        # n = 2000 * 0.3 / delta: about 300 noisy points per class at every delta
        _check(cfg, MIXTURE | {"data.noise": dl, "data.n": n} | sized("delta"), f"delta={dl}")
        assert cfg.data.n * dl == pytest.approx(600)


@pytest.mark.parametrize("quick", [True, False])
def test_liu_experiments_honour_seeds(liu_runs, quick):
    """``seeds`` sets the run count of every liu2023 experiment (every Record, every key)."""
    for name in L.RUNS:
        res = getattr(L, f"{name}_experiment")(quick, 5, RT)
        cfgs = res.values() if isinstance(res, dict) else [res]
        for cfg in cfgs:
            assert cfg.seeds == 5, (name, cfg.run_id)


def test_liu_deltas_and_widths_read_back_in_order():
    """``deltas`` and ``widths`` return the Records by increasing delta and m whatever order the
    stored dict has."""
    class R:
        def __init__(self, res):
            self.res = res

        def get(self, name):
            return self.res

    recs = {"delta=0.4": "c", "delta=0.1": "a", "delta=0.2": "b"}
    assert list(L.deltas(R(recs)).items()) == [(0.1, "a"), (0.2, "b"), (0.4, "c")]
    recs = {"m=1024": "c", "m=64": "a", "m=256": "b"}
    assert list(L.widths(R(recs)).items()) == [(64, "a"), (256, "b"), (1024, "c")]


def test_frei_figure_only_settings():
    """The figures' own settings, against their captions: the theorem-like setting
    (THEOREM_REGIME_TEXT: d=1000, n=500, sigma2=0.1/d, eta=15% per cluster, m=200,
    omega_init^2=1e-4/(md), alpha=0.125, 4 seeds) and the Fig. 2 horizon (the paper's 10^7 steps
    by GD then the flow; one seed on a CPU, three on a GPU: fig2_horizon's docstring)."""
    import torch

    cfg = E.theorem_regime_config(False)
    _check(cfg, {"data.d": 1000, "data.n": 500, "data.sigma2": 0.1 / 1000, "data.noise": 0.15,
                 "data.noise_model": "per-cluster", "net.m": 200,
                 "net.init_var": 1e-4 / (200 * 1000), "train.lr": 0.125, "seeds": 4},
           "theorem_like")

    class Gpu:
        torch_device = torch.device("cuda")

    cpu, gpu = E.fig2_horizon(RT, False), E.fig2_horizon(Gpu(), False)  # type: ignore[arg-type]
    assert (cpu.steps, cpu.seeds, cpu.integrator) == (10_000_000, 1, "flow")
    assert (gpu.steps, gpu.seeds, gpu.integrator) == (10_000_000, 3, "flow")
