"""What a GPU record says of the Triton kernels (issue #19): the blocks that ran them, not only
the switches. Until 2026-12-06 a record's ``gpu_kernels`` said "fused pass enabled: triton X"
whenever the pass was switched on and passed its self test, also for trainings none of whose
blocks can take it (a trained second layer, K outputs: maennel2020's, vashisht2024's and
badger2022's runs), and "(with the forward GEMM)" for float64 or d > 128, where the forward's
kernel is not taken.

The workspace now notes the kernels its blocks take (``Workspace.triton``); the training puts
them in its meta on a GPU (``triton_kernels``) and :func:`twolayer.simulate.build_record` states
them. Checked in Triton's interpreter on the CPU (where the blocks take the kernels as on a
GPU), against what each block can take by the kernel's rules: one output and a fixed second
layer for the pass; float32 and d <= 128 for the GEMMs; never with given coefficients."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
needs_triton = pytest.mark.skipif(importlib.util.find_spec("triton") is None,
                                  reason="triton is not installed")

USED = """
from types import SimpleNamespace

import torch
from twolayer import net
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime
from twolayer.simulate import setup
from twolayer.training.api import triton_used
from twolayer.training.driver import Driver
from twolayer.training.gd import GDStepper

def used(net_cfg, d=10, dtype="float32", batch=None, classes=None, **tune):
    data_cfg = (DataConfig(d=d, n=40, n_test=20, noise=0.1) if classes is None else
                DataConfig(kind="gaussian", d=d, n=40, n_test=20, noise=0.1,
                           num_classes=classes))
    cfg = Config(data=data_cfg, net=net_cfg, seeds=2, dtype=dtype, train=TrainConfig(
        steps=3, batch_size=batch, objective="logistic" if classes is None else "softmax"))
    cfg, data, params = setup(cfg)
    assert cfg.net.outputs == (1 if classes is None else classes), cfg.net
    rt = Runtime(device="cpu", progress=False)
    with net.use_tuning(fused_cpu=False, cuda_graph=False, **tune):
        driver = Driver(params, data, cfg.train.objective, 3, [0, 3], ("errors",), rt, [0, 1])
        step = GDStepper(driver, cfg.train, 0)
        with torch.no_grad():
            driver.run(step, 0, 3)
    cuda = SimpleNamespace(torch_device=torch.device("cuda"))
    assert triton_used(rt, step) == {}  # nothing on a CPU
    return triton_used(cuda, step)["triton_kernels"]

fixed = NetConfig(m=8, bias=True)
print("fixed", used(fixed))
print("sgd", used(fixed, batch=10))
print("trained", used(NetConfig(m=8, second_layer="gaussian", train_second_layer=True)))
print("outputs", used(NetConfig(m=8, second_layer="gaussian", outputs=3), classes=3))
print("off", used(fixed, fused_gpu=False))
print("fwd", used(fixed, fused_gpu_forward=True))
print("fwdbwd", used(fixed, fused_gpu_forward=True, fused_gpu_backward=True))
print("fwd64", used(fixed, dtype="float64", fused_gpu_forward=True, fused_gpu_backward=True))
print("fwd200", used(fixed, d=200, fused_gpu_forward=True, fused_gpu_backward=True))
print("done")
"""


@needs_triton
def test_the_workspace_notes_the_kernels_its_blocks_take():
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(USED)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "done" in res.stdout, res.stderr[-3000:]
    got = dict(line.split(" ", 1) for line in res.stdout.splitlines() if line != "done")
    assert got == {
        "fixed": "['pass']", "sgd": "['pass']",  # one output, a fixed second layer
        "trained": "[]", "outputs": "[]",  # the eager ops: a trained head, K outputs
        "off": "[]",  # switched off
        "fwd": "['forward', 'pass']", "fwdbwd": "['backward', 'forward', 'pass']",
        "fwd64": "['pass']", "fwd200": "['pass']",  # the GEMMs take float32 and d <= 128 only
    }, got


@pytest.fixture
def fake_gpu(monkeypatch):
    """A CUDA device whose Triton kernels pass their self tests (no GPU needed)."""
    from twolayer.net import gpu_kernels as gk

    monkeypatch.setattr(gk, "self_test", lambda d: None)
    monkeypatch.setattr(gk, "available", lambda: True)
    monkeypatch.setattr(gk, "status", lambda d=None: "triton 9.9")
    monkeypatch.setattr(gk, "forward_enabled", lambda d=None: True)
    monkeypatch.setattr(gk, "backward_enabled", lambda d=None: False)
    return torch.device("cuda")


def test_the_record_states_what_the_blocks_ran(fake_gpu):
    from twolayer import net
    from twolayer.simulate import gpu_kernels_text

    assert gpu_kernels_text(torch.device("cpu"), ["pass"]) is None
    # the switches only (a record's environment before a training's meta)
    assert gpu_kernels_text(fake_gpu) == "fused pass enabled: triton 9.9 (with the forward GEMM)"
    assert gpu_kernels_text(fake_gpu, ["pass"]) == "fused pass ran: triton 9.9"
    assert gpu_kernels_text(fake_gpu, ["forward", "pass"]) == \
        "fused pass ran: triton 9.9 (with the forward GEMM)"
    assert gpu_kernels_text(fake_gpu, ["backward", "forward", "pass"]) == \
        "fused pass ran: triton 9.9 (with the forward and backward GEMMs)"
    said = gpu_kernels_text(fake_gpu, [])
    assert said.startswith("eager (fused pass enabled, taken by no block") and "ran" not in said
    with net.use_tuning(fused_gpu=False):
        assert gpu_kernels_text(fake_gpu, []) == "eager (fused pass off: switched off)"


def test_build_record_replaces_the_switch_text_by_the_training_meta(fake_gpu, monkeypatch):
    """build_record puts what the training's meta says ran in place of the environment's
    switch text, and keeps no ``triton_kernels`` field (a CPU record is untouched)."""
    from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
    from twolayer.engine import Runtime, train

    sim = importlib.import_module("twolayer.simulate")  # the module, not the function
    cfg = Config(data=DataConfig(d=6, n=20, n_test=10, noise=0.1), net=NetConfig(m=4),
                 train=TrainConfig(steps=2), seeds=1)
    cfg, data, params = sim.setup(cfg)
    result = train(params, data, cfg.train, [0, 2], ("errors",), Runtime(device="cpu",
                                                                           progress=False))
    assert "triton_kernels" not in result.meta  # a CPU training says nothing of Triton
    cpu = sim.build_record(cfg, data, params, result, torch.device("cpu"))
    assert cpu.meta["gpu_kernels"] is None and "triton_kernels" not in cpu.meta
    real = sim.environment
    monkeypatch.setattr(sim, "environment", lambda device, tf32=None: {
        **real(torch.device("cpu"), tf32), "gpu_kernels": sim.gpu_kernels_text(device)})
    for used, said in (([], "eager (fused pass enabled, taken by no block"),
                       (["pass"], "fused pass ran: triton 9.9")):
        result.meta["triton_kernels"] = used
        rec = sim.build_record(cfg, data, params, result, fake_gpu)
        assert rec.meta["gpu_kernels"].startswith(said), rec.meta["gpu_kernels"]
        assert "triton_kernels" not in rec.meta


class _Stop(Exception):
    pass


def test_the_auto_integrators_gd_phase_is_graphed_by_its_own_length(monkeypatch):
    """Under --integrator auto the GD phase runs ``switch`` steps; whether they are replayed
    from a CUDA graph was decided by the whole training's length (10^6 steps here, 10^7 for Frei
    Fig. 2): a phase of 5 steps was captured. Now by the phase's own (graphed.MIN_STEPS). The
    training is stopped as soon as its GD stepper is built (graphs supported, as on a GPU)."""
    from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
    from twolayer.engine import Runtime, train
    from twolayer.simulate import setup
    from twolayer.training import driver, gd, graphed

    seen = []
    monkeypatch.setattr(graphed, "supported", lambda device: True)
    real = gd.GDStepper.__init__

    def spy(self, *a, **kw):
        real(self, *a, **kw)
        seen.append(self.graphable)

    def stop(*a, **kw):
        raise _Stop

    monkeypatch.setattr(gd.GDStepper, "__init__", spy)
    monkeypatch.setattr(driver.Driver, "run", stop)
    for switch, want in ((5, False), (graphed.MIN_STEPS - 1, False), (graphed.MIN_STEPS, True)):
        cfg = Config(data=DataConfig(d=6, n=20, n_test=10, noise=0.1), net=NetConfig(m=4),
                     train=TrainConfig(steps=10**6, integrator="auto", switch=switch), seeds=1)
        _, data, params = setup(cfg)
        seen.clear()
        with pytest.raises(_Stop):
            train(params, data, cfg.train, [0, cfg.train.steps], ("errors",),
                  Runtime(device="cpu", progress=False))
        assert seen == [want], (switch, seen)
