"""The gradient flow in the row span of the training inputs (twolayer.training.rowspan), n < d.

Oracles: the same flow in the full coordinates (the row-span path switched off; that path is
checked against an independent RK4 solver in test_integrators.py), the RK4 reference itself on a
d > n problem, and plain float64 linear algebra for the coordinate change."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from test_integrators import _reference_flow

from twolayer.config import Config
from twolayer.engine import Runtime, train
from twolayer.simulate import setup
from twolayer.training import flow, rowspan

pytestmark = pytest.mark.usefixtures("single_thread")
RT = Runtime(device="cpu", progress=False)


def _wide(steps: int, **over):
    """n = 24 < d = 70: the flow runs in k = 24 coordinates per neuron."""
    base = Config().replace(data__n=24, data__d=70, data__n_test=200, data__sigma2=1 / 70,
                            data__noise=0.1, net__m=12, train__steps=steps, train__lr=0.3,
                            seeds=2, dtype="float64", **over)
    return setup(base)


def test_coordinates_preserve_preactivations_norms_and_rebuild_w():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 9, 40, generator=g, dtype=torch.float64)
    W = torch.randn(2, 5, 40, generator=g, dtype=torch.float64)
    span = rowspan.RowSpan(x, W)
    assert span.k == 9
    # X W^T = X̃ W̃^T, ‖W‖² = ‖W_⊥‖² + ‖W̃‖², W_⊥ ⊥ rows of X, lift(W̃) = W
    np.testing.assert_allclose(span.x @ span.coords.transpose(1, 2), x @ W.transpose(1, 2),
                               rtol=0, atol=1e-10)
    full_sq = W.flatten(1).square().sum(1)
    np.testing.assert_allclose(span.perp_sq + span.coords.flatten(1).square().sum(1), full_sq,
                               rtol=1e-12)
    np.testing.assert_allclose(x @ span.perp.transpose(1, 2), 0.0, atol=1e-10)
    out = torch.empty_like(W)
    span.lift(span.coords, out)
    np.testing.assert_allclose(out, W, rtol=0, atol=1e-12)
    # a gradient G X moves W̃ by G X̃ and W by exactly (G X̃) Q^T
    G = torch.randn(2, 5, 9, generator=g, dtype=torch.float64)
    span.lift(span.coords + G @ span.x, out)
    np.testing.assert_allclose(out, W + G @ x, rtol=0, atol=1e-10)
    assert rowspan.worth_it(9, 40) and not rowspan.worth_it(40, 40)


def test_row_span_flow_matches_independent_ode_solver():
    cfg, data, params = _wide(10)
    ref = _reference_flow(params, data, cfg.train.lr, [10])[-1]
    res = train(params, data, dataclasses.replace(cfg.train, integrator="flow", rtol=1e-5), [10],
                (), RT)
    assert res.meta["integrator"]["row_span"] == 24
    got = res.params.W.double().numpy()
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-3


@pytest.mark.parametrize("net", [dict(net__bias=False), dict(net__bias=True,
                                                            net__train_second_layer=True)])
def test_row_span_flow_is_the_full_flow(monkeypatch, net):
    """Same steps accepted and rejected, same parameters (W, b, a) and probes in float64: the
    coordinate change is exact and the error norm includes the fixed part W_⊥."""
    cfg, data, params = _wide(300, **net)
    tc = dataclasses.replace(cfg.train, integrator="auto", switch=5, rtol=1e-4)
    times = [0, 1, 5, 9, 60, 300]
    reduced = train(params, data, tc, times, ("errors",), RT)
    monkeypatch.setattr(flow, "worth_it", lambda n, d: False)
    full = train(params, data, tc, times, ("errors",), RT)
    a, b = reduced.meta["integrator"], full.meta["integrator"]
    assert a["row_span"] == 24 and b["row_span"] is None
    for key in ("accepted", "rejected", "forced", "grad_evals"):
        assert a[key] == b[key], (key, a[key], b[key])
    assert a["accepted"] > 10
    for name in ("W", "a", "b"):
        x, y = getattr(reduced.params, name), getattr(full.params, name)
        if y is None:
            assert x is None
            continue
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, err_msg=name)
    for key, v in full.arrays.items():
        np.testing.assert_allclose(reduced.arrays[key], v, atol=1e-9, err_msg=key)
    if params.train_a:
        assert not torch.equal(full.params.a, params.a)  # a moved, and identically in both
