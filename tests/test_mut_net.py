"""Tests that close gaps found by mutation testing of twolayer/net (kernel, grouped, model,
params, plan): each one kills a mutant the rest of the suite let through.

Oracles are independent of the code under test: torch.autograd on the plain per-run forward
pass of tests/core_oracles.py for gradients and steps, and a per-sample loop for group
gradients and their Gram matrices. Everything runs in float64 on the PyTorch path (the C pass
is float32 only), so these tests hold whether or not the C extension is built.
"""

from __future__ import annotations

import math

import pytest
import torch
from core_oracles import autograd_grads, flat, forward_one, leaves, sample_losses

from twolayer import net
from twolayer.lanes import intra_op_threads
from twolayer.net import Params

TOL = dict(rtol=1e-10, atol=1e-12)


def _make(R: int, n: int, m: int, d: int, bias: bool, train_a: bool, seed: int = 0,
          o: int = 1) -> tuple[Params, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(R, m, d, generator=gen, dtype=torch.float64)
    a = torch.randn(R, m, o, generator=gen, dtype=torch.float64) / math.sqrt(m)
    b = 0.5 * torch.randn(R, m, generator=gen, dtype=torch.float64) if bias else None
    x = torch.randn(R, n, d, generator=gen, dtype=torch.float64)
    if o == 1:
        y = 1 - 2 * torch.randint(0, 2, (R, n), generator=gen)
    else:
        y = torch.randint(0, o, (R, n), generator=gen)
    return Params(W=W, a=a, b=b, train_a=train_a), x, y


def _autograd(p: Params, x: torch.Tensor, y: torch.Tensor, objective: str = "logistic",
              weights: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """∇ Σ_i s_i ℓ_i per run by autograd on the plain forward pass (s_i = 1/n by default)."""
    out: dict[str, list[torch.Tensor]] = {}
    n = x.shape[1]
    for r in range(p.runs):
        W, a, b = leaves(p, r, p.train_a)
        ell = sample_losses(forward_one(W, a, b, x[r]), y[r], objective)
        s = weights[r] if weights is not None else torch.full_like(ell, 1.0 / n)
        for k, v in autograd_grads((s * ell).sum(), W, a, b, p.train_a).items():
            out.setdefault(k, []).append(v)
    return {k: torch.stack(v) for k, v in out.items()}


def _stepped(p: Params, grads: dict[str, torch.Tensor], lr: float) -> dict[str, torch.Tensor]:
    return {k: getattr(p, k) - lr * g for k, g in grads.items()}


# -- kernel.py ---------------------------------------------------------------------------------
@pytest.mark.parametrize("train_a", [False, True], ids=["a-fixed", "a-trained"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("sample_blocks", [1, 3])
def test_step_on_worker_lanes_is_theta_minus_lr_autograd_gradient(tune, train_a, bias,
                                                                 sample_blocks):
    """Workspace.run(..., lr) on dynamic worker lanes (the training loop's full-batch step)
    moves every trained parameter by −lr × the autograd gradient: each run's update waits for
    its last sample block, and a trained second layer is stepped as well. Torch path, float64
    (the C-extension test of the same path skips where the extension is not built)."""
    n, m, d, R, lr = 30, 8, 5, 9, 0.3
    tune(worker_min_elements=0, cache_block_elements=n * m // sample_blocks, fused_cpu=False)
    p, x, y = _make(R, n, m, d, bias, train_a, seed=21)
    want = _stepped(p, _autograd(p, x, y), lr)
    with intra_op_threads(2):
        ws = net.Workspace(p, n)
        assert ws.workers == 2 and ws.units is not None  # 9 units of one run: ≥ 4 per lane
        assert all(len(u) == sample_blocks for u in ws.units)
        ws.run(p, x, y, "logistic", 1.0 / n, lr=lr)
    assert set(want) == set(p.trainable())
    for k, v in want.items():
        torch.testing.assert_close(getattr(p, k), v, **TOL, msg=k)


@pytest.mark.parametrize("objective,o", [("logistic", 1), ("softmax", 3)])
def test_weighted_descent_step_uses_the_weights(objective, o):
    """descent_step(..., weights=s) steps along ∇ Σ_i s_i ℓ_i, not the mean loss."""
    p, x, y = _make(3, 9, 5, 4, True, True, seed=22, o=o)
    w = torch.rand(3, 9, generator=torch.Generator().manual_seed(23), dtype=torch.float64)
    lr = 0.4
    want = _stepped(p, _autograd(p, x, y, objective, weights=w), lr)
    q = p.clone()
    ws = net.Workspace(q, 9, budget=2 * 5 * 4)
    net.descent_step(q, x, y, objective, lr, ws, weights=w)
    for k, v in want.items():
        torch.testing.assert_close(getattr(q, k), v, **TOL, msg=k)


def test_reused_workspace_follows_new_data_of_the_same_shape():
    """A workspace reused for another x of the same shape computes on the new x (its cached
    block views must not keep reading the first tensor)."""
    p, x1, y = _make(2, 10, 6, 4, True, False, seed=24)
    x2 = torch.randn(x1.shape, generator=torch.Generator().manual_seed(25), dtype=torch.float64)
    ws = net.Workspace(p, 10, budget=2 * 5 * 6)
    net.loss_gradients(p, x1, y, "logistic", workspace=ws)
    grads, _, out = net.loss_gradients(p, x2, y, "logistic", workspace=ws)
    want = _autograd(p, x2, y)
    for k, v in want.items():
        torch.testing.assert_close(grads[k], v, **TOL, msg=k)
    plain = torch.stack([forward_one(p.W[r], p.a[r], p.b[r], x2[r]) for r in range(2)])
    torch.testing.assert_close(out, plain, **TOL)


def test_reused_workspace_follows_a_second_layer_that_starts_training():
    """A workspace made for a fixed second layer does not fit parameters whose second layer
    trains: their gradient has an ``a`` part, as autograd's."""
    p, x, y = _make(2, 10, 6, 4, False, False, seed=26)
    ws = net.Workspace(p, 10)
    net.loss_gradients(p, x, y, "logistic", workspace=ws)
    q = Params(W=p.W, a=p.a, b=None, train_a=True)
    grads, _, _ = net.loss_gradients(q, x, y, "logistic", workspace=ws)
    want = _autograd(q, x, y)
    assert set(grads) == set(want) == {"W", "a"}
    for k, v in want.items():
        torch.testing.assert_close(grads[k], v, **TOL, msg=k)


# -- params.py ---------------------------------------------------------------------------------
def test_params_select_to_and_trainable_keep_each_tensor_with_its_run():
    """select() takes W, a and b of the same runs; to() converts b with W and a; trainable()
    names exactly the trained tensors (a only when it trains)."""
    p, _, _ = _make(4, 1, 3, 2, True, True, seed=27)
    q = p.select([2, 0])
    for k in ("W", "a", "b"):
        torch.testing.assert_close(getattr(q, k), torch.stack([getattr(p, k)[2],
                                                               getattr(p, k)[0]]), **TOL)
    assert torch.equal(p.select(slice(1, 3)).b, p.b[1:3])
    f = p.to("cpu", torch.float32)
    assert f.W.dtype == f.a.dtype == f.b.dtype == torch.float32
    assert torch.equal(f.b, p.b.float())
    assert list(p.trainable()) == ["W", "b", "a"]
    assert p.trainable()["a"] is p.a
    fixed = Params(W=p.W, a=p.a, b=None, train_a=False)
    assert list(fixed.trainable()) == ["W"]


def test_init_params_second_layer_trains_as_configured_and_is_reproducible():
    """init_params follows NetConfig.train_second_layer, and the random second layer of a run
    depends on its seed only (the same seed gives the same a; other seeds other a), with
    entries of variance 1/m (Monte Carlo: the sample variance of m·o = 4000 draws)."""
    from twolayer.config import NetConfig

    m, o, d = 400, 10, 3
    cfg = NetConfig(m=m, second_layer="gaussian", outputs=o, train_second_layer=True)
    p = net.init_params(cfg, d, [5, 6], 0.1, torch.float64)
    assert p.train_a
    assert not net.init_params(NetConfig(m=m), d, [5], 0.1).train_a
    again = net.init_params(cfg, d, [6, 5], 0.1, torch.float64)
    assert torch.equal(again.a[0], p.a[1]) and torch.equal(again.a[1], p.a[0])
    assert not torch.equal(p.a[0], p.a[1])
    var = p.a[0].var().item() * m  # E = 1; sd ≈ √(2/(m·o)) = 0.022
    assert abs(var - 1) < 5 * math.sqrt(2 / (m * o))
    assert abs(p.a[0].mean().item()) * math.sqrt(m) < 5 / math.sqrt(m * o)


# -- grouped.py --------------------------------------------------------------------------------
@pytest.mark.parametrize("batched", [False, True], ids=["per-run", "batched"])
def test_in_step_groups_with_a_single_repeated_sample(tune, batched):
    """GroupSplit during a step, where a run's repeated group holds exactly one sample (and
    another run's three): the float64 Gram matrix of the S + 1 group gradients and the step's
    gradient equal a per-sample autograd loop (g_s = Σ_{i in s} ∇ℓ(y_i f(x_i))/n for s < S,
    g_S = Σ_{i repeated} ∇ℓ(ỹ_i f(x_i))/n)."""
    tune(batched_groups=batched, worker_min_elements=1 << 40)
    R, n, m, d, S = 2, 8, 5, 3, 2
    p, x, y = _make(R, n, m, d, True, False, seed=28)
    groups = torch.tensor([[0, 0, 1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 1, 0, 0]])
    y_true = y.clone()
    y_true[groups == 1] *= -1  # the repeated group's other labels
    split = net.GroupSplit(groups, S, [1], y_true)
    ws = net.Workspace(p, n)
    assert ws.can_split(p)
    ws.run(p, x, y, "logistic", 1.0 / n, groups=split)
    for r in range(R):
        g = torch.zeros(S + 1, m * d + m, dtype=torch.float64)
        for i in range(n):
            for s, labels in [(int(groups[r, i]), y), (S, y_true)]:
                if s == S and groups[r, i] != 1:
                    continue
                W, a, b = leaves(p, r, False)
                ell = sample_losses(forward_one(W, a, b, x[r, i:i + 1]), labels[r, i:i + 1],
                                    "logistic").sum() / n
                g[s] += flat(autograd_grads(ell, W, a, b, False))
        torch.testing.assert_close(ws.gram[r], g @ g.T, **TOL)
        step = ws.gradients(p)
        torch.testing.assert_close(torch.cat([step["W"][r].flatten(), step["b"][r]]),
                                   g[:S].sum(0), **TOL)
