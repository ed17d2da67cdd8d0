"""The probe outputs' way to the host (training.driver.outputs_to_host): on a GPU all of one
probe time's outputs in one copy; the values, shapes and keys must be those of one conversion
per output (the oracle), whatever their dtypes."""

from __future__ import annotations

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
