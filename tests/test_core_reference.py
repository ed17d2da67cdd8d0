"""The training layer against records the code computed BEFORE it was split out of engine.py /
integrators.py (tests/fixtures/make_core_reference.py at commit 9d2fe1f): GD, SGD, the flow,
auto, a short simulate record, and the probes at one point (train(steps=0) and measure()).
float64 throughout; the probes are stored in float32."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from twolayer import engine
from twolayer.simulate import setup, simulate

FIX = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIX))
from make_core_reference import CASES, CPU, PROBES, config  # noqa: E402

REF = dict(np.load(FIX / "core_reference.npz"))
SUMMARY = json.loads((FIX / "core_reference.json").read_text())
pytestmark = pytest.mark.usefixtures("single_thread")


RTOL = float(__import__("os").environ.get("CORE_REFERENCE_RTOL", "1e-12"))  # 0: bit for bit


def check(prefix: str, arrays: dict[str, np.ndarray], rtol: float = RTOL) -> None:
    want = {k[len(prefix) + 1:]: v for k, v in REF.items() if k.startswith(prefix + "/")}
    assert set(want) == set(arrays), prefix
    for k, v in want.items():
        np.testing.assert_allclose(arrays[k], v, rtol=rtol, atol=rtol, err_msg=f"{prefix} {k}")


@pytest.mark.parametrize("name", list(CASES))
def test_training_reproduces_the_reference(name):
    cfg, data, params = setup(config(**CASES[name]))
    times = engine.probe_times(cfg.train.steps, 8, 3)
    res = engine.train(params, data, cfg.train, times, PROBES, CPU, cfg.run_seeds)
    got = {"times": np.asarray(res.times)}
    got.update({f"param/{k}": v.numpy() for k, v in res.params.trainable().items()})
    got.update(res.arrays)
    check(name, got)


def test_simulate_reproduces_the_reference():
    rec = simulate(config(), CPU)
    arrays = {k: v for k, v in rec.arrays.items() if not k.startswith("baseline/")}
    check("simulate", {**arrays, **{k: REF["simulate/" + k] for k in rec.arrays
                                    if k.startswith("baseline/")}})
    want = SUMMARY["simulate"]
    for k, v in want.items():
        if k.startswith("linear_"):  # a different optimiser: within a test point or two
            assert rec.summary[k] == pytest.approx(v, abs=2.5 / 64), k
        elif isinstance(v, float):
            assert rec.summary[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
        else:
            assert rec.summary[k] == v, k
    for k in rec.arrays:
        if k.startswith("baseline/"):
            np.testing.assert_allclose(rec.arrays[k], REF["simulate/" + k], atol=2.5 / 64)


def test_measure_equals_training_zero_steps_and_the_reference():
    cfg, data, params = setup(config())
    got = engine.measure(params, data, PROBES, CPU)
    check("measure", {k: v[:, None] for k, v in got.items()})
    res = engine.train(params, data, dataclasses.replace(cfg.train, steps=0), [0], PROBES, CPU)
    for k, v in got.items():
        assert v.tobytes() == res.arrays[k][:, 0].tobytes(), k
    assert all(torch.equal(a, b) for a, b in zip(res.params.trainable().values(),
                                                  params.trainable().values()))


def test_linear_baseline_by_gradient_descent_is_the_old_one():
    """``method="gd"`` keeps the old optimiser (500 GD steps) and its numbers; the default is
    Newton's method, whose minimiser differs from that early-stopped iterate by a few test
    points (test_simulate_reproduces_the_reference)."""
    from twolayer.baselines import fit_linear

    cfg, data, _ = setup(config())
    for bias, name in ((True, "linear"), (False, "linear_nobias")):
        err, err_clean = fit_linear(data, cfg.train.objective, bias=bias, method="gd")
        np.testing.assert_array_equal(err.float().numpy(),
                                      REF[f"simulate/baseline/{name}_test_error"])
        np.testing.assert_array_equal(err_clean.float().numpy(),
                                      REF[f"simulate/baseline/{name}_test_error_clean"])
