"""Device-explicit tests of the core: every training path on ``device`` (cpu; cuda where there
is a GPU) against the CPU oracle within the dtype's tolerance; setup under a caller's default
device; the float32 matmul precision pinned inside a training call and recorded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from devices import tolerance

from twolayer import net, precision
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, measure, train
from twolayer.objectives import Memorise
from twolayer.simulate import environment, setup, simulate

PROBES = ("errors", "correlations", "segments")


def _cfg(dtype: str = "float64", **train) -> Config:
    return Config(data=DataConfig(d=6, n=48, n_test=40, noise=0.2), net=NetConfig(m=8),
                  train=TrainConfig(lr=0.5, steps=train.pop("steps", 12), **train), seeds=3,
                  dtype=dtype)


def _run(cfg: Config, device: str, weights=None, probes=PROBES):
    cfg, data, params = setup(cfg)
    rt = Runtime(device=device, progress=False)
    return train(params, data, cfg.train, [0, 1, 5, cfg.train.steps], probes, rt,
                 cfg.run_seeds, weights=weights)


def _same(res, ref, dtype: torch.dtype) -> None:
    tol = tolerance(dtype)
    for k, v in res.params.trainable().items():
        torch.testing.assert_close(v.cpu(), ref.params.trainable()[k], **tol)
    assert res.arrays.keys() == ref.arrays.keys()
    for k in ref.arrays:  # logged in float32
        np.testing.assert_allclose(res.arrays[k], ref.arrays[k], rtol=max(tol["rtol"], 1e-5),
                                   atol=max(tol["atol"], 1e-6), err_msg=k)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["gd", "flow", "auto", "sgd"])
def test_training_on_device_matches_the_cpu(device, kind, dtype):
    extra = {"gd": {}, "flow": {"integrator": "flow"}, "sgd": {"batch_size": 16},
             "auto": {"integrator": "auto", "switch": 4}}[kind]
    cfg = _cfg(dtype, **extra)
    res = _run(cfg, device)
    assert res.params.W.device.type == device
    _same(res, _run(cfg, "cpu"), res.params.W.dtype)


@pytest.mark.parametrize("batch", [None, 8])
def test_memorise_objective_on_device_matches_the_cpu(device, batch):
    cfg = _cfg(batch_size=batch)
    n = cfg.data.n
    asc = torch.zeros(cfg.seeds, n, dtype=torch.bool)
    asc[:, n // 2:] = True
    objs = [Memorise(asc, 2, gate="none") for _ in range(2)]
    res = _run(cfg, device, weights=objs[0], probes=("errors",))
    ref = _run(cfg, "cpu", weights=objs[1], probes=("errors",))
    _same(res, ref, torch.float64)
    assert len(objs[0].gates) == len(objs[1].gates)
    torch.testing.assert_close(torch.stack(objs[0].gates).cpu(), torch.stack(objs[1].gates))


def test_measure_on_device_matches_the_cpu(device):
    cfg, data, params = setup(_cfg())
    got = measure(params, data, PROBES, Runtime(device=device, progress=False))
    want = measure(params, data, PROBES, Runtime(device="cpu", progress=False))
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_gradients_on_device_match_the_cpu(device):
    cfg, data, params = setup(_cfg())
    want, _, _ = net.loss_gradients(params, data.x, data.y, "logistic")
    p = params.to(device)
    got, _, _ = net.loss_gradients(p, data.x.to(device), data.y.to(device), "logistic")
    for k in want:
        torch.testing.assert_close(got[k].cpu(), want[k], **tolerance(torch.float64))


# ------------------------------------------------------------------------------------------
# A caller's default device: what is drawn from the runs' CPU generators stays on the CPU
# ------------------------------------------------------------------------------------------


@pytest.fixture
def default_meta():
    """torch.set_default_device("meta") for the test: a factory call without an explicit
    device makes a tensor without data (as "cuda" would make one on the GPU), which shows up as
    a wrong number or an error."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


def test_setup_ignores_the_default_device(default_meta):
    cfg, data, params = setup(_cfg(batch_size=16))
    torch.set_default_device(None)
    _, data0, params0 = setup(_cfg(batch_size=16))
    for a, b in [(params.W, params0.W), (params.a, params0.a), (data.x, data0.x),
                 (data.y, data0.y), (data.x_test, data0.x_test)]:
        assert a.device.type == "cpu"
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("extra", [{}, {"batch_size": 16}, {"integrator": "flow"}])
def test_simulate_under_another_default_device(extra):
    cfg = _cfg(steps=6, **extra)
    ref = simulate(cfg, Runtime(device="cpu", progress=False))
    torch.set_default_device("meta")
    try:
        rec = simulate(cfg, Runtime(device="cpu", progress=False))
    finally:
        torch.set_default_device(None)
    for k in ref.arrays:
        np.testing.assert_array_equal(rec.arrays[k], ref.arrays[k], err_msg=k)


# ------------------------------------------------------------------------------------------
# Float32 matmul precision
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tf32", [False, True])
def test_precision_pinned_inside_the_call_and_restored(tf32, monkeypatch):
    seen = {}
    real = net.Workspace.descend

    def spy(self, p, lr):
        seen.update(precision.settings(), cudnn=torch.backends.cudnn.allow_tf32)  # noqa: B023
        return real(self, p, lr)

    monkeypatch.setattr(net.Workspace, "descend", spy)
    # as on a GPU (a CPU ignores --tf32: test_tf32_is_ignored_on_a_cpu)
    import twolayer.training.api as api

    monkeypatch.setattr(api, "uses_tf32", lambda runtime: bool(runtime.tf32))
    before = (precision.settings()["float32_matmul_precision"],
              torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.set_float32_matmul_precision("medium")  # a caller's setting, not ours
    try:
        cfg, data, params = setup(_cfg("float32", steps=2))
        res = train(params, data, cfg.train, [0, 2], (), Runtime(device="cpu", progress=False,
                                                                  tf32=tf32))
        assert seen == {"float32_matmul_precision": "high" if tf32 else "highest",
                        "tf32": tf32, "cudnn": tf32}
        assert res.meta["tf32"] is tf32
        assert res.meta["float32_matmul_precision"] == ("high" if tf32 else "highest")
        assert precision.settings()["float32_matmul_precision"] == "medium"  # restored
    finally:
        torch.set_float32_matmul_precision(before[0])
        torch.backends.cudnn.allow_tf32 = before[2]


def test_tf32_is_ignored_on_a_cpu():
    """--tf32 on a CPU would only lower the matmul precision setting: the call runs at
    "highest" and the record says tf32 false."""
    from twolayer.training.api import uses_tf32

    cfg, data, params = setup(_cfg("float32", steps=2))
    res = train(params, data, cfg.train, [0, 2], (), Runtime(device="cpu", progress=False,
                                                              tf32=True))
    assert res.meta["tf32"] is False and res.meta["float32_matmul_precision"] == "highest"
    assert uses_tf32(Runtime(device="cpu", tf32=True)) is False
    assert uses_tf32(Runtime(device="cpu", tf32=False)) is False


def test_record_environment_on_the_cpu():
    rec = simulate(_cfg(steps=2), Runtime(device="cpu", progress=False))
    meta = rec.meta
    assert meta["tf32"] is False and meta["float32_matmul_precision"] == "highest"
    assert meta["cuda"] is None and meta["cublas"] is None and meta["cuda_driver"] is None
    assert meta["gpu"] is None
    env = environment(torch.device("cpu"), tf32=True)
    assert env["tf32"] is True and env["float32_matmul_precision"] == "high"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_record_environment_on_cuda():
    env = environment(torch.device("cuda"))
    assert env["gpu"] and env["cuda"]
    print({k: env[k] for k in ("gpu", "cuda", "cublas", "cuda_driver")})


def test_permutations_drawn_ahead_keep_every_runs_stream():
    from twolayer.seeding import generator, permutations

    seeds = [3, 7, 11]
    one = [generator(s, "batches") for s in seeds]
    many = [generator(s, "batches") for s in seeds]
    want = torch.stack([torch.stack([torch.randperm(9, generator=g) for g in one])
                        for _ in range(5)])
    got = torch.cat([permutations(many, 9, 2), permutations(many, 9, 3)])
    assert torch.equal(got, want)


def test_memorise_keeps_its_masks_on_the_device_and_gates_there(device):
    mem = Memorise(torch.tensor([[False, True, False, True]]), 2, gate="none")
    out = torch.tensor([[[1.0], [-1.0], [1.0], [1.0]]], device=device)
    y = torch.tensor([[1.0, 1.0, -1.0, 1.0]], device=device)
    from twolayer.data import Dataset  # noqa: F401  (the objective reads data.y only)

    s = mem(out, type("D", (), {"y": y})())
    assert s.device.type == device and mem.gates[-1].device.type == device
    assert mem._on[2].device.type == device
    torch.testing.assert_close(s.cpu(), torch.tensor([[0.5, -0.5, 0.5, -0.5]]))


# ------------------------------------------------------------------------------------------
# Paths that differ on a GPU: probe outputs in one copy, group buffers held to the budget
# ------------------------------------------------------------------------------------------


def test_probe_outputs_reach_the_host_in_one_copy_with_the_same_values(device):
    from twolayer.training.driver import outputs_to_host

    g = torch.Generator().manual_seed(4)
    outs = {"f64": torch.randn(3, 4, generator=g, dtype=torch.float64),
            "mask": torch.rand(3, 5, generator=g) > 0.5, "count": torch.arange(3),
            "f32": torch.randn(3, 2, 2, generator=g)}
    got = outputs_to_host({k: v.to(device) for k, v in outs.items()})
    for k, v in outs.items():
        assert got[k].device.type == "cpu" and torch.equal(got[k], v.to(torch.float32)), k


def test_group_buffers_held_to_a_small_budget_give_the_cpu_record(device, monkeypatch, tune):
    """A budget that holds the activations of several runs but not their group buffers: on a
    GPU the segments probe leaves the step for its separate pass, in blocks of fewer runs (on
    the CPU the rule is switched on here); the arrays are the CPU default plan's."""
    tune(worker_min_elements=1 << 40)
    monkeypatch.setattr(net.plan, "bounds_group_buffers", lambda dev: True)
    cfg = _cfg("float64")
    ref = _run(cfg, "cpu")  # (the rule is on for it too, at the default budget: no effect)
    cfg_, data, params = setup(cfg)
    rt = Runtime(device=device, progress=False, budget=2 * 48 * 8)
    res = train(params, data, cfg_.train, [0, 1, 5, cfg_.train.steps], PROBES, rt,
                cfg_.run_seeds)
    _same(res, ref, torch.float64)
