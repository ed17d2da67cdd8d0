"""Closed-form gradients of the two-layer ensemble against torch.autograd of a plain forward pass.

Oracle: tests/core_oracles.py computes f(x) = Σ_j a_j relu(⟨w_j, x⟩ + b_j) one run at a time and
differentiates the mean loss (1/n) Σ_i ℓ_i with autograd. Every variant is covered: bias or not,
fixed or trained second layer, binary logistic or K-class softmax (K = 2 with ±1 labels, 3, 5),
float32 and float64, and small chunk budgets so that the sample axis is split into many chunks.
"""

from __future__ import annotations

import math

import pytest
import torch
from core_oracles import (
    autograd_grads,
    classes_of,
    forward_one,
    leaves,
    sample_losses,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from twolayer import net
from twolayer.net import Params

pytestmark = pytest.mark.usefixtures("single_thread")

TOL = {torch.float64: dict(rtol=1e-9, atol=1e-11), torch.float32: dict(rtol=2e-4, atol=2e-5)}

# (objective, K): K = 1 output for logistic; softmax with K classes.
HEADS = [("logistic", 2), ("softmax", 2), ("softmax", 3), ("softmax", 5)]

shapes = st.fixed_dictionaries(
    {
        "R": st.integers(1, 3),
        "n": st.integers(1, 13),
        "m": st.integers(2, 7),
        "d": st.integers(2, 6),
        "seed": st.integers(0, 2**31 - 1),
        "chunk": st.integers(1, 13),  # samples per chunk; budget = R·m·chunk
    }
)


def make_params(R, m, d, outputs, bias, train_a, dtype, gen) -> Params:
    W = torch.randn(R, m, d, generator=gen, dtype=dtype)
    a = torch.randn(R, m, outputs, generator=gen, dtype=dtype) / math.sqrt(m)
    b = 0.5 * torch.randn(R, m, generator=gen, dtype=dtype) if bias else None
    return Params(W=W, a=a, b=b, train_a=train_a)


def away_from_kinks(p: Params, x: torch.Tensor, gap: float = 1e-4) -> bool:
    """True when no pre-activation ⟨w_j, x_i⟩ + b_j lies within ``gap`` of the ReLU kink, where
    float32 rounding could flip relu'(·) between the two computations being compared."""
    pre = torch.einsum("rnd,rmd->rnm", x.double(), p.W.double())
    if p.b is not None:
        pre = pre + p.b.double().unsqueeze(1)
    return bool(pre.abs().min() > gap)


def make_labels(R, n, objective, k, gen) -> torch.Tensor:
    if objective == "logistic" or k == 2:  # binary labels are ±1 (also for softmax, K = 2)
        return 1 - 2 * torch.randint(0, 2, (R, n), generator=gen)
    return torch.randint(0, k, (R, n), generator=gen)


def reference_loss_grads(p: Params, x, y, objective, weights=None):
    """Autograd of Σ_i s_i ℓ_i per run (s_i = 1/n by default): grads, losses [R, n], f [R, n, o]."""
    R, n = x.shape[:2]
    out_g, losses, outs = {}, [], []
    for r in range(R):
        W, a, b = leaves(p, r, p.train_a)
        f = forward_one(W, a, b, x[r])
        ell = sample_losses(f, y[r], objective)
        s = weights[r] if weights is not None else torch.full_like(ell, 1.0 / n)
        g = autograd_grads((s * ell).sum(), W, a, b, p.train_a)
        for k, v in g.items():
            out_g.setdefault(k, []).append(v)
        losses.append(ell.detach())
        outs.append(f.detach())
    return {k: torch.stack(v) for k, v in out_g.items()}, torch.stack(losses), torch.stack(outs)


def expected_keys(bias: bool, train_a: bool) -> set[str]:
    return {"W"} | ({"b"} if bias else set()) | ({"a"} if train_a else set())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("objective,k", HEADS, ids=[f"{o}-K{k}" for o, k in HEADS])
@pytest.mark.parametrize("train_a", [False, True], ids=["a-fixed", "a-trained"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@given(s=shapes)
def test_loss_gradients_match_autograd(s, bias, train_a, objective, k, dtype):
    R, n, m, d = s["R"], s["n"], s["m"], s["d"]
    gen = torch.Generator().manual_seed(s["seed"])
    o = 1 if objective == "logistic" else k
    p = make_params(R, m, d, o, bias, train_a, dtype, gen)
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    assume(away_from_kinks(p, x))
    y = make_labels(R, n, objective, k, gen)
    budget = R * m * s["chunk"]

    grads, loss, out = net.loss_gradients(p, x, y, objective, budget=budget)
    ref, ref_loss, ref_out = reference_loss_grads(p, x, y, objective)

    assert set(grads) == expected_keys(bias, train_a)
    for name in ref:
        torch.testing.assert_close(grads[name], ref[name], **TOL[dtype], msg=name)
    torch.testing.assert_close(loss, ref_loss, **TOL[dtype])
    torch.testing.assert_close(out, ref_out, **TOL[dtype])
    # forward() is the same function of the parameters, also in chunks
    torch.testing.assert_close(net.forward(p, x, budget=budget), ref_out, **TOL[dtype])


@pytest.mark.parametrize("objective,k", HEADS, ids=[f"{o}-K{k}" for o, k in HEADS])
@given(s=shapes)
def test_weighted_loss_gradients_match_autograd(s, objective, k):
    """Per-sample weights s_i replace the 1/n of the mean loss."""
    R, n, m, d = s["R"], s["n"], s["m"], s["d"]
    gen = torch.Generator().manual_seed(s["seed"])
    dtype = torch.float64
    p = make_params(R, m, d, 1 if objective == "logistic" else k, True, True, dtype, gen)
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    y = make_labels(R, n, objective, k, gen)
    w = torch.rand(R, n, generator=gen, dtype=dtype)
    grads, _, _ = net.loss_gradients(p, x, y, objective, weights=w, budget=R * m * s["chunk"])
    ref, _, _ = reference_loss_grads(p, x, y, objective, weights=w)
    for name in ref:
        torch.testing.assert_close(grads[name], ref[name], **TOL[dtype], msg=name)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("train_a", [False, True], ids=["a-fixed", "a-trained"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@given(s=shapes, o=st.sampled_from([1, 3]))
def test_gradients_from_coeffs_match_autograd(s, o, bias, train_a, dtype):
    """∇_θ Σ_i ⟨c_i, f(x_i)⟩ for arbitrary coefficients c [R, n, o]."""
    R, n, m, d = s["R"], s["n"], s["m"], s["d"]
    gen = torch.Generator().manual_seed(s["seed"])
    p = make_params(R, m, d, o, bias, train_a, dtype, gen)
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    assume(away_from_kinks(p, x))
    c = torch.randn(R, n, o, generator=gen, dtype=dtype)
    grads = net.gradients_from_coeffs(p, x, c, budget=R * m * s["chunk"])
    assert set(grads) == expected_keys(bias, train_a)
    for r in range(R):
        W, a, b = leaves(p, r, train_a)
        ref = autograd_grads((c[r] * forward_one(W, a, b, x[r])).sum(), W, a, b, train_a)
        for name in ref:
            torch.testing.assert_close(grads[name][r], ref[name], **TOL[dtype], msg=name)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("train_a", [False, True], ids=["a-fixed", "a-trained"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@given(s=shapes, o=st.sampled_from([1, 3]))
def test_per_sample_grad_sq_norms_match_per_sample_autograd(s, o, bias, train_a, dtype):
    """‖∇_θ ⟨c_i, f(x_i)⟩‖² from the closed form equals a one-sample-at-a-time autograd loop."""
    R, n, m, d = s["R"], s["n"], s["m"], s["d"]
    gen = torch.Generator().manual_seed(s["seed"])
    p = make_params(R, m, d, o, bias, train_a, dtype, gen)
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    assume(away_from_kinks(p, x))
    c = torch.randn(R, n, o, generator=gen, dtype=dtype)
    got = net.per_sample_grad_sq_norms(p, x, c, budget=R * m * s["chunk"])
    assert got.shape == (R, n)
    ref = torch.empty(R, n, dtype=dtype)
    for r in range(R):
        for i in range(n):
            W, a, b = leaves(p, r, train_a)
            g = autograd_grads(
                (c[r, i] * forward_one(W, a, b, x[r, i : i + 1])[0]).sum(), W, a, b, train_a
            )
            ref[r, i] = sum(v.square().sum() for v in g.values())
    torch.testing.assert_close(got, ref, **TOL[dtype])


@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@given(s=shapes, o=st.sampled_from([1, 2, 4]))
def test_input_jacobian_matches_autograd(s, o, bias):
    R, n, m, d = s["R"], s["n"], s["m"], s["d"]
    gen = torch.Generator().manual_seed(s["seed"])
    dtype = torch.float64
    p = make_params(R, m, d, o, bias, False, dtype, gen)
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    J = net.input_jacobian(p, x)
    assert J.shape == (R, n, o, d)
    norms = net.input_jacobian_norms(p, x, budget=R * m * s["chunk"])
    for r in range(R):
        for i in range(n):
            xi = x[r, i].clone().requires_grad_(True)
            b = None if p.b is None else p.b[r]
            ref = torch.autograd.functional.jacobian(
                lambda v, r=r, b=b: forward_one(p.W[r], p.a[r], b, v.unsqueeze(0))[0], xi
            )  # [o, d]
            torch.testing.assert_close(J[r, i], ref, **TOL[dtype])
            torch.testing.assert_close(norms[r, i], ref.norm(), **TOL[dtype])


def test_softmax_binary_labels_do_not_depend_on_the_chunk():
    """K = 2 softmax with ±1 labels: a chunk (or minibatch) whose labels are all +1 must still
    map +1 → class 0. Whole-batch and one-sample chunks give the same gradient and loss."""
    gen = torch.Generator().manual_seed(3)
    dtype = torch.float64
    p = make_params(1, 4, 3, 2, False, True, dtype, gen)
    x = torch.randn(1, 6, 3, generator=gen, dtype=dtype)
    y = torch.tensor([[1, 1, 1, -1, 1, -1]])
    ref, ref_loss, _ = reference_loss_grads(p, x, y, "softmax")
    for budget in (4, 4 * 6):  # one sample per chunk, or all at once
        grads, loss, _ = net.loss_gradients(p, x, y, "softmax", budget=budget)
        torch.testing.assert_close(loss, ref_loss, **TOL[dtype])
        for name in ref:
            torch.testing.assert_close(grads[name], ref[name], **TOL[dtype], msg=name)
    # all-positive batch on its own
    g1, l1, _ = net.loss_gradients(p, x[:, :3], y[:, :3], "softmax")
    r1, rl1, _ = reference_loss_grads(p, x[:, :3], y[:, :3], "softmax")
    torch.testing.assert_close(l1, rl1, **TOL[dtype])
    torch.testing.assert_close(g1["W"], r1["W"], **TOL[dtype])


def test_errors_and_predictions_follow_the_sign_and_argmax():
    out1 = torch.tensor([[[0.3], [-0.2], [0.0]]])
    assert net.predict(out1).tolist() == [[1, -1, -1]]
    assert net.errors(out1, torch.tensor([[1, 1, -1]])).tolist() == [[False, True, False]]
    outk = torch.tensor([[[0.1, 0.5, 0.2], [2.0, 0.0, -1.0]]])
    assert net.errors(outk, torch.tensor([[1, 2]])).tolist() == [[False, True]]
    # K = 2 softmax with ±1 labels: class 0 is label +1
    out2 = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])
    assert net.errors(out2, torch.tensor([[1, 1]])).tolist() == [[False, False]]
    assert classes_of(torch.tensor([1, -1]), 2).tolist() == [0, 1]


def test_init_params_scales_and_head():
    """W ~ N(0, ω²) entrywise (variance within Monte-Carlo tolerance); Frei head ±1/√m half/half;
    runs are independent draws (one seed each) and b starts at 0."""
    from twolayer.config import NetConfig

    m, d, var = 200, 50, 0.04
    p = net.init_params(NetConfig(m=m, bias=True), d, [0, 1], var, torch.float64)
    assert p.W.shape == (2, m, d) and p.a.shape == (2, m, 1) and p.b.shape == (2, m)
    v = p.W.var().item()
    assert abs(v / var - 1) < 4 * math.sqrt(2 / (2 * m * d))
    assert abs(p.W.mean().item()) < 4 * math.sqrt(var / (2 * m * d))
    a = p.a[0, :, 0]
    assert torch.equal(a[: m // 2], torch.full((m // 2,), 1 / math.sqrt(m), dtype=torch.float64))
    assert torch.equal(a[m // 2 :], torch.full((m // 2,), -1 / math.sqrt(m), dtype=torch.float64))
    assert not torch.equal(p.W[0], p.W[1])
    assert torch.all(p.b == 0)
    again = net.init_params(NetConfig(m=m, bias=True), d, [1], var, torch.float64)
    assert torch.equal(again.W[0], p.W[1])  # run r depends only on its own seed
    g = net.init_params(NetConfig(m=m, second_layer="gaussian", outputs=3), d, [0], var)
    assert g.a.shape == (1, m, 3)
    assert abs(g.a.var().item() * m - 1) < 0.25
