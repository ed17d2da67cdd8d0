"""The kernel's block budget: from the GPU's free memory on CUDA (a fake torch.cuda here),
``--budget`` overriding it; blocks that shrink (fewer runs per block, or part of a run's samples)
give the same records, the in-step segment Gram matrices included."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from twolayer import net
from twolayer.cli import main
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime
from twolayer.errors import ConfigError
from twolayer.simulate import simulate


def test_device_budget(monkeypatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert net.device_budget(cpu) == net.DEFAULT_CHUNK_ELEMENTS
    assert net.device_budget(cpu, 1234) == 1234
    assert net.device_budget(gpu, 99) == 99
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev=None: (64 << 30, 80 << 30))
    assert net.device_budget(gpu) == int((64 << 30) * net.plan.CUDA_FREE_FRACTION) // 8
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev=None: (1 << 20, 80 << 30))
    assert net.device_budget(gpu) == net.DEFAULT_CHUNK_ELEMENTS  # never below the CPU's

    def broken(dev=None):
        raise RuntimeError("no driver")

    monkeypatch.setattr(torch.cuda, "mem_get_info", broken)
    assert net.device_budget(gpu) == net.DEFAULT_CHUNK_ELEMENTS


@pytest.mark.parametrize("bad", [0, -3, True, 2.5])
def test_runtime_rejects_a_bad_budget(bad):
    with pytest.raises(ConfigError, match="budget"):
        Runtime(budget=bad)


CFG = Config(data=DataConfig(d=6, n=40, n_test=30, noise=0.2), net=NetConfig(m=8),
             train=TrainConfig(steps=6, lr=0.5), seeds=4, dtype="float64")


@pytest.mark.parametrize("budget", [2 * 40 * 8, 40 * 8, 100])  # 2 runs, 1 run, 12 samples
def test_small_budgets_give_the_same_record(budget, tune):
    tune(worker_min_elements=1 << 40)  # one lane: the in-step path where the blocks allow it
    ref = simulate(CFG, Runtime(device="cpu", progress=False))
    rec = simulate(CFG, Runtime(device="cpu", progress=False, budget=budget))
    for k in ref.arrays:
        np.testing.assert_allclose(rec.arrays[k], ref.arrays[k], rtol=1e-5, atol=1e-7,
                                   err_msg=k)


def test_in_step_segments_ride_along_while_whole_runs_fit(tune):
    """At a budget of two runs per block the segments probe still takes its Gram matrix from
    the step (no separate grouped pass)."""
    tune(worker_min_elements=1 << 40)
    from twolayer.simulate import setup
    from twolayer.training.driver import Driver
    from twolayer.training.gd import GDStepper

    cfg, data, params = setup(CFG)
    for budget, rides in [(2 * 40 * 8, True), (100, False)]:
        rt = Runtime(device="cpu", progress=False, budget=budget)
        drv = Driver(params, data, "logistic", 6, [0, 6], ("segments",), rt)
        step = GDStepper(drv, cfg.train)
        assert (step.split is not None) is rides, budget


def test_budget_flag(tmp_path, capsys):
    base = ["simulate", "--d", "4", "--n", "20", "--m", "4", "--steps", "2", "--seeds", "2",
            "--device", "cpu", "--json"]
    assert main(base + ["--budget", "50"]) == 0
    capsys.readouterr()
    assert main(base + ["--budget", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--budget" in err[0]
