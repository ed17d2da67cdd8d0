"""The training loop: GD equals a plain autograd GD loop, probe schedule, divergence detection,
no in-place changes to the caller's parameters, SGD minibatches a fresh permutation per epoch.

All through public functions (engine.train, engine.probe_times, probes.register), never the
engine's internals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_oracles import autograd_grads, forward_one, leaves, sample_losses
from hypothesis import given
from hypothesis import strategies as st

from twolayer.config import ConfigError, DataConfig, NetConfig, TrainConfig
from twolayer.data import Dataset, sample_dataset
from twolayer.engine import Runtime, measure, probe_times, train
from twolayer.errors import DivergenceError
from twolayer.net import Params, init_params
from twolayer.probes import REGISTRY, register

pytestmark = pytest.mark.usefixtures("single_thread")
CPU = Runtime(device="cpu", progress=False)


@pytest.fixture(scope="module")
def snapshot_probe():
    """A test probe that records the full parameters (W, a) at every probe time."""
    name = "test_core_snapshot"

    @register(name)
    def _snap(s):
        return {"W": s.params.W.clone(), "a": s.params.a.clone()}

    yield name
    REGISTRY.pop(name, None)


def small(seeds=(0, 1), n=24, d=5, m=6, noise=0.2, dtype=torch.float64, **net_kw):
    data = sample_dataset(DataConfig(d=d, n=n, n_test=16, noise=noise), list(seeds), dtype)
    p = init_params(NetConfig(m=m, **net_kw), d, list(seeds), init_var=0.2, dtype=dtype)
    return data, p


# -- probe schedule ---------------------------------------------------------------------------
@given(
    steps=st.integers(0, 10**7), num=st.integers(2, 80), dense=st.integers(0, 30)
)
def test_probe_times_include_0_1_steps_sorted_unique(steps, num, dense):
    t = probe_times(steps, num, dense)
    assert t == sorted(set(t))
    assert all(isinstance(v, int) for v in t)
    assert t[0] == 0 and t[-1] == steps
    if steps >= 1:
        assert 1 in t
    assert set(range(min(dense, steps) + 1)) <= set(t)
    assert len(t) <= num + dense + 3
    if steps >= 100 * num and num >= 10:  # log-spaced: about num points over the decades
        assert len(t) >= num // 2
        assert any(steps // 10 <= v < steps for v in t)


def test_probe_times_are_log_spaced():
    t = np.array(probe_times(10**6, 40, 0)[1:], dtype=float)
    gaps = np.diff(np.log10(t))
    assert gaps.max() < 2.5 * 6 / 39  # no decade left without probes


# -- the update rule ---------------------------------------------------------------------------
def reference_gd(p: Params, data: Dataset, objective, lr, steps, weights=None):
    """Plain GD with autograd, one run at a time: θ ← θ − α ∇ Σ_i s_i ℓ_i."""
    out = []
    for r in range(p.runs):
        W, a, b = leaves(p, r, p.train_a)
        for _ in range(steps):
            f = forward_one(W, a, b, data.x[r])
            ell = sample_losses(f, data.y[r], objective)
            s = weights[r] if weights is not None else torch.full_like(ell, 1 / ell.numel())
            g = autograd_grads((s * ell).sum(), W, a, b, p.train_a)
            with torch.no_grad():
                W -= lr * g["W"]
                if b is not None:
                    b -= lr * g["b"]
                if p.train_a:
                    a -= lr * g["a"]
        out.append((W.detach(), a.detach(), None if b is None else b.detach()))
    return out


@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
def test_full_batch_gd_equals_plain_autograd_gd(bias, train_a):
    data, p = small(bias=bias, train_second_layer=train_a)
    if bias:
        gen = torch.Generator().manual_seed(1)
        b = 0.1 * torch.randn(p.b.shape, generator=gen, dtype=p.b.dtype)
        p = Params(W=p.W, a=p.a, b=b, train_a=True)
    res = train(p, data, TrainConfig(lr=0.5, steps=7), runtime=Runtime("cpu", budget=12))
    for r, (W, a, b) in enumerate(reference_gd(p, data, "logistic", 0.5, 7)):
        torch.testing.assert_close(res.params.W[r], W, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(res.params.a[r], a, rtol=1e-10, atol=1e-12)
        if bias:
            torch.testing.assert_close(res.params.b[r], b, rtol=1e-10, atol=1e-12)


def test_weighted_gd_and_softmax_equal_plain_gd():
    data = sample_dataset(
        DataConfig(kind="clusters", num_classes=3, d=4, n=15, n_test=5, noise=0.2), [3, 4],
        torch.float64,
    )
    p = init_params(
        NetConfig(m=5, second_layer="gaussian", outputs=3, train_second_layer=True), 4, [3, 4],
        0.3, torch.float64,
    )
    w = torch.rand(2, 15, dtype=torch.float64)
    res = train(p, data, TrainConfig(lr=0.3, steps=4, objective="softmax"), weights=w,
                runtime=CPU)
    for r, (W, a, _) in enumerate(reference_gd(p, data, "softmax", 0.3, 4, weights=w)):
        torch.testing.assert_close(res.params.W[r], W, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(res.params.a[r], a, rtol=1e-10, atol=1e-12)


def test_phases_continue_the_same_trajectory():
    """Two calls of 3 + 4 steps equal one call of 7 steps (full-batch GD)."""
    data, p = small()
    one = train(p, data, TrainConfig(lr=0.4, steps=7), runtime=CPU).params
    a = train(p, data, TrainConfig(lr=0.4, steps=3), runtime=CPU).params
    two = train(a, data, TrainConfig(lr=0.4, steps=4), runtime=CPU).params
    torch.testing.assert_close(one.W, two.W, rtol=1e-12, atol=1e-14)


def test_probes_see_the_parameters_after_t_updates(snapshot_probe):
    data, p = small(seeds=(5,))
    times = [0, 1, 2, 5]
    res = train(p, data, TrainConfig(lr=0.5, steps=5), times, (snapshot_probe,), CPU)
    assert res.times == times
    W = res.arrays[f"{snapshot_probe}/W"]
    assert W.shape == (1, 4, 6, 5)  # [R, T, m, d]
    for k, t in enumerate(times):
        ref = reference_gd(p, data, "logistic", 0.5, t)[0][0]
        np.testing.assert_allclose(W[0, k], ref.float().numpy(), rtol=1e-5, atol=1e-6)


def test_train_does_not_modify_callers_tensors():
    data, p = small(bias=True, train_second_layer=True)
    before = (p.W.clone(), p.a.clone(), p.b.clone(), data.x.clone(), data.y.clone())
    res = train(p, data, TrainConfig(lr=0.5, steps=5), runtime=CPU)
    res2 = train(p, data, TrainConfig(lr=0.5, steps=5, batch_size=8), runtime=CPU, seeds=[0, 1])
    for t, ref in zip((p.W, p.a, p.b, data.x, data.y), before):
        assert torch.equal(t, ref)
    assert not torch.equal(res.params.W, p.W) and not torch.equal(res2.params.W, p.W)
    assert res.params.W.data_ptr() != p.W.data_ptr()


def test_bad_times_and_probes_are_config_errors():
    data, p = small()
    with pytest.raises(ConfigError, match="times"):
        train(p, data, TrainConfig(steps=5), times=[0, 6], runtime=CPU)
    with pytest.raises(ConfigError, match="probes"):
        train(p, data, TrainConfig(steps=5), probes=("no-such-probe",), runtime=CPU)


def test_zero_steps_probe_once_and_return_the_input():
    data, p = small()
    res = train(p, data, TrainConfig(steps=0), probes=("errors",), runtime=CPU)
    assert res.times == [0]
    assert res.arrays["errors/loss"].shape == (2, 1)
    assert torch.equal(res.params.W, p.W)


# -- divergence -------------------------------------------------------------------------------
def test_divergence_names_the_run_and_the_step():
    """Run 1 starts with W = inf (huge init); the others are fine: the error names run 1, its
    seed and step 0."""
    data, p = small(seeds=(7, 8, 9), dtype=torch.float32)
    W = p.W.clone()
    W[1] = W[1] * 1e39  # overflows float32 → inf
    bad = Params(W=W, a=p.a, b=None)
    with pytest.raises(DivergenceError) as e:
        train(bad, data, TrainConfig(lr=0.1, steps=20), probes=("errors",), runtime=CPU,
              seeds=[7, 8, 9])
    assert e.value.run == 1 and e.value.step == 0
    assert "run 1" in str(e.value) and "seed 8" in str(e.value) and "step 0" in str(e.value)


def test_divergence_of_a_huge_step_is_detected():
    """Trained second layer and a huge α: W and a grow multiplicatively until they overflow."""
    data, p = small(seeds=(0,), dtype=torch.float32, train_second_layer=True)
    with pytest.raises(DivergenceError) as e:
        train(p, data, TrainConfig(lr=1e4, steps=300), runtime=CPU)
    assert e.value.run == 0 and 1 <= e.value.step <= 300
    assert f"step {e.value.step}" in str(e.value)


@pytest.mark.parametrize("steps", [1, 2])
def test_divergence_in_the_last_update_is_detected(steps):
    """Parameters that overflow in the final update must not slip through (the loop itself
    never computes the loss of the final parameters). Huge init W ~ 1e15 (‖w_j‖² ~ 1e30 still
    finite) with a trained second layer: ∇a ~ φ(Wx) ~ 1e15, so one step with α = 1e25 sends a
    to inf."""
    from twolayer.training.driver import finite_params

    data, p = small(seeds=(0, 1), dtype=torch.float32, train_second_layer=True)
    p = Params(W=p.W * 1e15, a=p.a, b=None, train_a=True)
    assert finite_params([p.W, p.a]).all()
    with pytest.raises(DivergenceError) as e:
        train(p, data, TrainConfig(lr=1e25, steps=steps), probes=("errors",), runtime=CPU)
    assert e.value.step == 1  # parameters are non-finite after the first update


def test_a_loss_whose_sum_overflows_is_divergence():
    """Each ℓ_i finite, Σ_i ℓ_i = inf (float32): the mean loss the probes report is inf, so
    the run has diverged although no single loss is."""
    from twolayer.training.driver import finite_loss

    loss = torch.tensor([[1e37] * 40, [1.0] * 40, [1.0, float("inf")] + [0.0] * 38,
                         [float("nan")] + [0.0] * 39])
    assert torch.isfinite(loss[0]).all() and not torch.isfinite(loss[0].sum())
    assert finite_loss(loss).tolist() == [False, True, False, False]


def test_parameters_whose_norm_overflows_are_divergence():
    """Finite entries of size 2e19 (float32): ‖w_j‖² = inf, and w_j/‖w_j‖ = 0 in the probes."""
    from twolayer.training.driver import finite_params

    W = torch.ones(3, 4, 5)
    W[1, 2, 0] = 2e19
    W[2, 0, 0] = float("nan")
    a = torch.ones(3, 4, 1)
    assert torch.isfinite(W[1]).all()
    assert finite_params([W, a]).tolist() == [True, False, False]
    b = torch.ones(3, 4)
    b[0, 1] = float("inf")
    assert finite_params([W, a, b]).tolist() == [False, False, False]


@pytest.mark.parametrize("lr,integrator,dtype", [
    (3e38, "gd", torch.float32), (1e30, "gd", torch.float32), (1e37, "gd", torch.float32),
    (3e38, "flow", torch.float32), (1e300, "gd", torch.float64), (1e300, "flow", torch.float64)])
def test_divergence_by_overflow_of_the_loss_sum_or_a_norm(lr, integrator, dtype):
    """The cases a new user found (the default problem shrunk): at α = 3e38 (float32) the mean
    loss went 0.69 → 1.6e35 → inf with every ℓ_i finite; at α = 1e30 the loss stayed finite
    but ‖w_j‖ overflowed (and the probes printed a correlation of 0.000); the flow at α = 1e300
    (float64) accepted forced minimal steps for minutes while ‖θ‖ was inf."""
    data, p = small(seeds=(0, 1), n=200, d=50, m=40, noise=0.1, dtype=dtype)
    with pytest.raises(DivergenceError) as e:
        train(p, data, TrainConfig(lr=lr, steps=5, integrator=integrator),
              probes=("errors", "correlations"), runtime=CPU)
    assert e.value.step <= 5


def test_the_flow_stops_where_a_rows_norm_overflows_not_at_the_end():
    """float32, α = 1e25: a row's ‖w_j‖² overflows within the first step (entries still
    finite); the flow must stop there, as exact GD does, not integrate on to t = 1000."""
    data, p = small(seeds=(0, 1), n=200, d=50, m=40, noise=0.1, dtype=torch.float32)
    with pytest.raises(DivergenceError) as e:
        train(p, data, TrainConfig(lr=1e25, steps=1000, integrator="flow"),
              probes=("errors",), runtime=CPU)
    assert e.value.step <= 1


# -- SGD ----------------------------------------------------------------------------------------
def orthogonal_dataset(R, n, scale=2.0):
    """x_i = scale · e_i (d = n): the gradient of sample i lives in column i of W only, so the
    columns of W that change in one step are exactly the samples of that step's minibatch."""
    x = (scale * torch.eye(n, dtype=torch.float64)).expand(R, n, n).clone()
    y = (1 - 2 * (torch.arange(n) % 2)).expand(R, n).clone()
    z = torch.zeros(R, n, dtype=torch.long)
    return Dataset(
        x=x, y_true=y, y=y, noisy=torch.zeros(R, n, dtype=torch.bool), cluster=z,
        x_test=x, y_test_true=y, y_test=y, cluster_test=z,
        num_classes=2, kind="xor",
    )


@pytest.mark.parametrize("n,batch", [(12, 4), (10, 4), (9, 3)])
def test_sgd_batches_are_a_fresh_permutation_per_epoch(snapshot_probe, n, batch):
    R, m, epochs = 3, 6, 4
    per_epoch = n // batch  # an incomplete last batch is dropped
    steps = epochs * per_epoch
    data = orthogonal_dataset(R, n)
    gen = torch.Generator().manual_seed(0)
    W0 = torch.rand(R, m, n, generator=gen, dtype=torch.float64) + 0.5  # all neurons active
    a = torch.full((R, m, 1), 1 / math.sqrt(m), dtype=torch.float64)
    a[:, m // 2 :] *= -1
    p = Params(W=W0, a=a, b=None)
    res = train(p, data, TrainConfig(lr=0.05, steps=steps, batch_size=batch),
                list(range(steps + 1)), (snapshot_probe,), CPU, seeds=[10, 11, 12])
    W = res.arrays[f"{snapshot_probe}/W"]  # [R, T, m, n]
    orders = []
    for r in range(R):
        changed = [set(np.flatnonzero(np.any(W[r, t + 1] != W[r, t], axis=0)).tolist())
                   for t in range(steps)]
        assert all(len(c) == batch for c in changed), changed
        epochs_r = []
        for e in range(epochs):
            sets = changed[e * per_epoch : (e + 1) * per_epoch]
            union = set().union(*sets)
            assert len(union) == per_epoch * batch  # disjoint: no sample twice in an epoch
            epochs_r.append(tuple(tuple(sorted(s)) for s in sets))
        assert len(set(epochs_r)) > 1, "the same batches every epoch"
        orders.append(epochs_r)
    assert orders[0] != orders[1] != orders[2]  # each run has its own order (its own seed)


def test_sgd_with_batch_equal_to_n_is_full_batch_gd():
    data, p = small(n=16)
    full = train(p, data, TrainConfig(lr=0.3, steps=5), runtime=CPU).params
    sgd = train(p, data, TrainConfig(lr=0.3, steps=5, batch_size=16), runtime=CPU).params
    torch.testing.assert_close(full.W, sgd.W, rtol=1e-12, atol=1e-14)


def test_a_probe_declares_its_in_step_groups_and_the_step_hands_it_the_gram():
    """The training layer knows no probe by name: any probe registered with ``in_step_groups``
    gets the Gram matrix of its groups from the step at every probe time but the last (where no
    step is taken), equal to what the grouped pass computes on its own."""
    from twolayer import net
    from twolayer.probes import in_step_groups

    name = "test_core_in_step"
    seen = []

    def labels(data):
        g = torch.zeros(data.y.shape, dtype=torch.int32)
        g[:, ::2] = 1  # two groups: odd and even samples
        return g

    @register(name, in_step_groups=lambda data: net.GroupSplit(labels(data), 2, [], data.y))
    def _probe(s):
        _, dl = net.loss_and_dloss(s.out_train(), s.data.y, s.objective)
        own = net.grouped_gram(s.params, s.data.x, labels(s.data), dl / s.data.x.shape[1], 2)
        step = s.in_step(name)
        seen.append(step is not None)
        if step is not None:
            torch.testing.assert_close(step[:, :2, :2], own, rtol=1e-9, atol=1e-15)
        return {"gram": own}

    try:
        data, p = small(seeds=(0, 1, 2), bias=True)
        assert in_step_groups(name, data) is not None and in_step_groups("errors", data) is None
        train(p, data, TrainConfig(steps=4, lr=0.5), [0, 2, 4], (name,), CPU)
        assert seen == [True, True, False]
        seen.clear()  # not under SGD: the step's gradient is not the probe's
        train(p, data, TrainConfig(steps=4, lr=0.5, batch_size=8), [0, 2, 4], (name,), CPU)
        assert seen == [False, False, False]
    finally:
        REGISTRY.pop(name, None)


def test_measure_is_train_with_zero_steps():
    data, p = small(seeds=(3, 4))
    got = measure(p, data, ("errors", "correlations"), CPU)
    res = train(p, data, TrainConfig(steps=0), [0], ("errors", "correlations"), CPU)
    assert set(got) == set(res.arrays)
    for k, v in got.items():
        assert v.shape == res.arrays[k].shape[:1] + res.arrays[k].shape[2:]
        np.testing.assert_array_equal(v, res.arrays[k][:, 0])


def test_tuning_is_scoped():
    from twolayer import net

    before = net.tuning()
    with net.use_tuning(worker_min_elements=0, threaded=False) as t:
        assert net.tuning() is t and t.worker_min_elements == 0 and not t.threaded
        with net.use_tuning(threaded=True):
            assert net.tuning().threaded and net.tuning().worker_min_elements == 0
        assert not net.tuning().threaded
    assert net.tuning() == before == net.Tuning()
