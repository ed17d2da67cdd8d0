"""simulate(): a batch of R runs reproduces R separate runs; same config and seed give the same
record bit for bit on the CPU; different seeds differ."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.engine import Runtime
from twolayer.simulate import simulate

pytestmark = pytest.mark.usefixtures("single_thread")
CPU = Runtime(device="cpu", progress=False)


def cfg(seeds=1, seed=0, batch_size=None, dtype="float64", **data_kw) -> Config:
    return Config(
        data=DataConfig(**{"d": 6, "n": 64, "n_test": 50, "noise": 0.2, **data_kw}),
        net=NetConfig(m=10, bias=True),
        train=TrainConfig(lr=0.3, steps=25, batch_size=batch_size),
        probe=ProbeConfig(num_times=8),
        seeds=seeds,
        seed=seed,
        dtype=dtype,
    )


@pytest.mark.parametrize("batch_size", [None, 16], ids=["GD", "SGD"])
def test_batched_runs_equal_separate_runs(batch_size):
    R, s = 3, 5
    batch = simulate(cfg(R, s, batch_size), CPU)
    assert batch.meta["seeds"] == [5, 6, 7]
    for r in range(R):
        alone = simulate(cfg(1, s + r, batch_size), CPU)
        np.testing.assert_array_equal(batch.times, alone.times)
        assert set(batch.arrays) == set(alone.arrays)
        for k, v in batch.arrays.items():
            np.testing.assert_allclose(
                v[r], alone.arrays[k][0], rtol=1e-5, atol=1e-6, err_msg=k
            )  # probes are stored in float32


def test_batched_runs_equal_separate_runs_k_classes():
    def k_cfg(seeds, seed):
        return Config(
            data=DataConfig(kind="clusters", num_classes=3, d=6, n=45, n_test=30, noise=0.2),
            net=NetConfig(m=8, second_layer="gaussian", train_second_layer=True),
            train=TrainConfig(lr=0.5, steps=15, objective="softmax", batch_size=9),
            seeds=seeds, seed=seed, dtype="float64",
        )

    batch = simulate(k_cfg(2, 3), CPU)
    alone = simulate(k_cfg(1, 4), CPU)
    for k, v in batch.arrays.items():
        np.testing.assert_allclose(v[1], alone.arrays[k][0], rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_config_and_seed_give_the_same_record_bit_for_bit(dtype):
    c = cfg(2, 11, batch_size=16, dtype=dtype)
    a, b = simulate(c, CPU), simulate(c, CPU)
    assert a.run_id == b.run_id
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        assert a.arrays[k].tobytes() == b.arrays[k].tobytes(), k
    drop = ("wall_seconds",)
    assert {k: v for k, v in a.summary.items() if k not in drop} == {
        k: v for k, v in b.summary.items() if k not in drop
    }


def test_record_does_not_depend_on_the_callers_global_random_state():
    """All draws come from per-run generators (twolayer.seeding): a caller's
    torch.manual_seed / np.random.seed / random.seed, or draws it makes between two calls,
    change no bit of a record, and simulate() leaves the caller's global streams untouched."""
    import random

    import torch

    c = cfg(2, 3, batch_size=16, dtype="float32")
    torch.manual_seed(123)
    np.random.seed(5)
    random.seed(9)
    state = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    a = simulate(c, CPU)
    assert torch.equal(torch.get_rng_state(), state[0])
    assert np.array_equal(np.random.get_state()[1], state[1])
    assert random.getstate() == state[2]
    torch.manual_seed(7)
    torch.randn(1000)
    np.random.rand(10)
    b = simulate(c, CPU)
    assert a.run_id == b.run_id
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        assert a.arrays[k].tobytes() == b.arrays[k].tobytes(), k


def test_different_seeds_differ():
    a, b = simulate(cfg(1, 0), CPU), simulate(cfg(1, 1), CPU)
    assert a.run_id != b.run_id
    for k in ("correlations/w_dot_mu", "errors/loss", "static/init_w_norm", "static/noisy"):
        assert not np.array_equal(a.arrays[k], b.arrays[k]), k
    # and the runs inside one batch differ from each other
    both = simulate(cfg(2, 0), CPU)
    assert not np.array_equal(both.arrays["errors/loss"][0], both.arrays["errors/loss"][1])


def test_record_contents_and_summary_are_consistent():
    """The summary is the mean over runs of the final probe values, independently recomputed."""
    rec = simulate(cfg(3, 2), CPU)
    a, s = rec.arrays, rec.summary
    T = len(rec.times)
    assert rec.times[0] == 0 and rec.times[1] == 1 and rec.times[-1] == 25
    assert a["errors/test_error"].shape == (3, T)
    assert a["segments/class_ratio"].shape == (3, T, 2)
    assert a["static/a"].shape == (3, 10, 1)
    assert s["seeds"] == 3 and s["steps"] == 25
    for key in ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction"):
        v = a[f"errors/{key}"][:, -1].astype(np.float64)
        assert s[key] == pytest.approx(v.mean(), abs=1e-12)
        assert s[key + "_std"] == pytest.approx(v.std(ddof=1), abs=1e-12)
    assert s["grad_ratio_init"] == pytest.approx(a["segments/grad_ratio"][:, 0].mean(), rel=1e-6)
    # correlation of each neuron with its own class's mean: μ1 for a_j > 0, μ2 for a_j < 0
    w_mu, w_n = a["correlations/w_dot_mu"][:, 0], a["correlations/w_norm"][:, 0]  # t = 0
    sign = a["static/a"][..., 0]
    own = np.where(sign > 0, w_mu[..., 0], w_mu[..., 1])
    med = np.median(np.abs(own) / w_n, axis=1)
    assert s["corr_median_init"] == pytest.approx(med.mean(), rel=1e-5)


def test_linear_baseline_of_a_run_does_not_depend_on_its_batch():
    """fit_linear on R runs equals fit_linear on each run alone, even when the runs' inputs have
    very different scales (a step size shared across the batch would break this)."""
    import dataclasses

    import torch

    from twolayer.baselines import fit_linear
    from twolayer.data import sample_dataset

    d = sample_dataset(
        DataConfig(kind="clusters", num_classes=2, d=10, n=200, n_test=2000, noise=0.0,
                   sigma2=0.5),
        [0, 1], torch.float64,
    )
    scale = torch.tensor([30.0, 1.0], dtype=torch.float64).view(2, 1, 1)
    d = dataclasses.replace(d, x=d.x * scale, x_test=d.x_test * scale)
    for bias in (True, False):
        err, err_clean = fit_linear(d, "logistic", bias=bias, steps=50)
        for r in range(2):
            e1, c1 = fit_linear(d.select([r]), "logistic", bias=bias, steps=50)
            assert float(err[r]) == float(e1[0]) and float(err_clean[r]) == float(c1[0])


def test_simulate_names_a_config_or_runtime_of_the_wrong_type():
    """simulate(cfg.to_dict()) and simulate(cfg, "cpu") failed with AttributeError deep inside;
    a notebook gets a ConfigError naming what to pass."""
    from twolayer.errors import ConfigError
    from twolayer.simulate import setup

    cfg = Config(data=DataConfig(d=5, n=10, n_test=10), net=NetConfig(m=4),
                 train=TrainConfig(steps=2), probe=ProbeConfig(probes=("errors",)))
    for bad in (cfg.to_dict(), None):
        with pytest.raises(ConfigError, match="must be a Config") as e:
            simulate(bad, Runtime(device="cpu"))
        assert e.value.field == "config"
        with pytest.raises(ConfigError, match="Config.from_dict"):
            setup(bad)
    with pytest.raises(ConfigError, match="must be a Runtime") as e:
        simulate(cfg, "cpu")
    assert e.value.field == "runtime"
