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


def _fake_allocator(monkeypatch, reserved=0, allocated=0):
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda dev=None: reserved)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda dev=None: allocated)


def test_device_budget(monkeypatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    _fake_allocator(monkeypatch)
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


def test_memory_cached_by_torch_counts_as_free(monkeypatch):
    """the driver counts PyTorch's cached, unused blocks as used: a second call in a process
    must not see a smaller budget because the first one's buffers went back to the cache"""
    from twolayer.resources import free_device_memory

    gpu = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev=None: (40 << 30, 80 << 30))
    _fake_allocator(monkeypatch, reserved=30 << 30, allocated=6 << 30)  # 24 GiB cached
    assert net.plan.cuda_free_bytes(gpu) == 64 << 30
    assert net.device_budget(gpu) == int((64 << 30) * net.plan.CUDA_FREE_FRACTION) // 8
    assert free_device_memory("cuda:0") == 64 << 30
    assert free_device_memory("cpu") is None


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


# -- group-gradient buffers held to the budget where blocks can hold every run (a GPU) --------
# On a CPU the rule is off (blocks are a few runs there); these tests switch it on for the CPU
# (net.plan.bounds_group_buffers), so that the GPU's path runs here against the CPU's oracle.


def test_group_runs_bound(monkeypatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert net.plan.group_runs(64, 1000, 5000, cpu) == 64  # a CPU keeps its cache blocks
    assert net.plan.group_runs(64, 1000, 5000, gpu) == 5
    assert net.plan.group_runs(64, 1000, 10, gpu) == 1  # at least one run
    assert net.plan.group_runs(3, 1000, 1 << 30, gpu) == 3  # never more than the block


def test_in_step_groups_only_while_their_buffers_fit_the_budget(monkeypatch, tune):
    """S + 1 = 5 group gradients of (d+1)·m entries per run: at a budget where the activations
    of two runs fit but their group buffers do not, the segments probe takes its separate pass,
    and the record is the one of the default plan."""
    tune(worker_min_elements=1 << 40)
    monkeypatch.setattr(net.plan, "bounds_group_buffers", lambda device: True)
    from twolayer.simulate import setup
    from twolayer.training.driver import Driver
    from twolayer.training.gd import GDStepper

    cfg, data, params = setup(CFG)
    for budget, rides in [(1 << 24, True), (2 * 40 * 8, False)]:
        rt = Runtime(device="cpu", progress=False, budget=budget)
        drv = Driver(params, data, "logistic", 6, [0, 6], ("segments",), rt)
        step = GDStepper(drv, cfg.train)
        assert step.ws.shape[0] >= 2 and (step.split is not None) is rides, budget
    monkeypatch.undo()
    ref = simulate(CFG, Runtime(device="cpu", progress=False))
    monkeypatch.setattr(net.plan, "bounds_group_buffers", lambda device: True)
    rec = simulate(CFG, Runtime(device="cpu", progress=False, budget=2 * 40 * 8))
    for k in ref.arrays:
        np.testing.assert_allclose(rec.arrays[k], ref.arrays[k], rtol=1e-5, atol=1e-7,
                                   err_msg=k)


def test_the_separate_group_pass_takes_fewer_runs_per_block_and_the_same_gram(monkeypatch):
    from twolayer.net.grouped import _GroupLayout
    from twolayer.simulate import setup

    # d large against n: a run's group gradients (2·S·m·d = 960) outweigh its activations (80)
    wide = Config(data=DataConfig(d=20, n=10, n_test=10), net=NetConfig(m=8), seeds=4,
                  dtype="float64")
    _, data, p = setup(wide)
    x, S = data.x, 3
    gen = torch.Generator().manual_seed(5)
    groups = torch.randint(0, S, x.shape[:2], generator=gen)
    coeffs = torch.randn(*x.shape[:2], 1, generator=gen, dtype=x.dtype)
    budget = 2 * 10 * 8 + 2 * S * 160  # the activations of all 4 runs, the groups of 1
    want = net.grouped_gram(p, x, groups, coeffs, S, budget=budget)
    assert _GroupLayout(p, x, groups, coeffs, S, None, budget).rc == 4
    monkeypatch.setattr(net.plan, "bounds_group_buffers", lambda device: True)
    lay = _GroupLayout(p, x, groups, coeffs, S, None, budget)
    assert lay.P == 160 and lay.rc == 1
    got = net.grouped_gram(p, x, groups, coeffs, S, budget=budget)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
