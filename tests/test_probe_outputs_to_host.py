"""The probe outputs' way to the host (training.driver.outputs_to_host): on a GPU all of one
probe time's outputs in one copy; the values, shapes and keys must be those of one conversion
per output (the oracle), whatever their dtypes."""

from __future__ import annotations

import pytest
import torch

from twolayer.training.driver import outputs_to_host


def _outs():
    g = torch.Generator().manual_seed(3)
    return {
        "f64": torch.randn(4, 3, generator=g, dtype=torch.float64),  # rounds to float32
        "mask": torch.rand(4, 5, generator=g) > 0.5,
        "count": torch.randint(0, 1000, (4,), generator=g),
        "f32": torch.randn(4, 2, 2, generator=g),
        "empty": torch.zeros(4, 0),
        "scalar": torch.tensor(2.5),
    }


def test_one_copy_equals_one_conversion_per_output():
    outs = _outs()
    got = outputs_to_host(outs, one_copy=True)
    assert list(got) == list(outs)
    for k, v in outs.items():
        want = v.to("cpu", torch.float32)
        assert got[k].dtype == torch.float32 and got[k].device.type == "cpu"
        assert got[k].shape == v.shape and torch.equal(got[k], want), k


def test_cpu_outputs_are_converted_each_on_its_own():
    outs = _outs()
    got = outputs_to_host(outs)
    for k, v in outs.items():
        assert torch.equal(got[k], v.to(torch.float32)), k
    assert outputs_to_host({}) == {}


# -- the divergence check that rides in the same copy (training.driver.probe_to_host) ---------
def _state(W_scale: float = 1.0):
    from twolayer.config import Config, DataConfig, NetConfig
    from twolayer.probes import ProbeState
    from twolayer.simulate import setup

    cfg = Config(data=DataConfig(d=5, n=12, n_test=6), net=NetConfig(m=4), seeds=3)
    _, data, params = setup(cfg)
    params.W.mul_(W_scale)
    return ProbeState(0, params, params, data, "logistic")


@pytest.mark.parametrize("one_copy", [False, True])
def test_a_diverged_run_raises_with_its_exact_step_before_anything_is_returned(one_copy):
    from twolayer.errors import DivergenceError
    from twolayer.training.driver import probe_to_host

    ok = probe_to_host(("errors",), _state(), torch.full((3,), -1), [5, 6, 7], one_copy)
    assert "errors/train_error" in ok and "first_bad" not in ok
    # a step above 2^24 (float32 would round it): the error names it exactly
    bad = torch.tensor([-1, 2**24 + 3, 40])
    with pytest.raises(DivergenceError) as e:
        probe_to_host(("errors",), _state(), bad, [5, 6, 7], one_copy)
    assert (e.value.run, e.value.step, e.value.seed) == (2, 40, 7)
    with pytest.raises(DivergenceError) as e:
        probe_to_host(("errors",), _state(), torch.tensor([-1, 2**24 + 3, -1]), [5, 6, 7],
                      one_copy)
    assert (e.value.run, e.value.step) == (1, 2**24 + 3)


def test_a_probe_that_fails_on_a_diverged_run_reports_the_divergence(monkeypatch):
    from twolayer.errors import DivergenceError, PluginCodeError
    from twolayer.probes import base
    from twolayer.training.driver import probe_to_host

    def broken(state):
        raise RuntimeError("linalg failed on NaN")

    monkeypatch.setitem(base.REGISTRY, "broken", broken)
    with pytest.raises(DivergenceError):
        probe_to_host(("broken",), _state(), torch.tensor([-1, 3, -1]), [0, 1, 2], True)
    # a finite run: the probe's error (a probe outside twolayer: named, with its line)
    with pytest.raises(PluginCodeError, match="probe 'broken' .* raised RuntimeError: linalg "
                                              "failed"):
        probe_to_host(("broken",), _state(), torch.full((3,), -1), [0, 1, 2], True)
