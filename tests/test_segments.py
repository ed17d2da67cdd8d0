"""Segment gradients and the built-in probes against a one-sample-at-a-time autograd loop.

The segments probe reports g_S = (1/n) Σ_{i∈S} ∇_θ ℓ(y_i, f(x_i)) for the clean set C and the
noisy set N (pooled and per true class), g = g_C + g_N, ĝ (the same with the true labels ỹ),
and their norms, ratio, cosines and κ = ⟨g, ĝ⟩/‖ĝ‖². The oracle computes every per-sample
gradient with autograd (tests/core_oracles.py), then sums with the 1/n of the mean loss.
"""

from __future__ import annotations

import math

import pytest
import torch
from core_oracles import autograd_grads, classes_of, flat, forward_one, leaves, per_sample_grads

from twolayer import net
from twolayer.config import DataConfig, NetConfig
from twolayer.data import sample_dataset
from twolayer.net import Params
from twolayer.probes import ProbeState, run_probes, segment_gradients

pytestmark = pytest.mark.usefixtures("single_thread")
TOL = dict(rtol=1e-9, atol=1e-12)

VARIANTS = [
    # (data kind, K, objective, bias, train_a)
    ("xor", 2, "logistic", False, False),
    ("xor", 2, "logistic", True, True),
    ("xor", 2, "softmax", False, True),
    ("clusters", 3, "softmax", False, False),
    ("clusters", 3, "softmax", True, True),
]


def _setting(kind, k, objective, bias, train_a, seed=0, n=32, R=2):
    cfg = DataConfig(
        kind=kind, d=5, n=n, n_test=40, noise=0.3, noise_model="per-cluster", num_classes=k,
        sigma2=0.05,
    )
    data = sample_dataset(cfg, [seed + r for r in range(R)], torch.float64)
    o = 1 if objective == "logistic" else k
    second = "frei" if o == 1 else "gaussian"
    p = net.init_params(
        NetConfig(m=6, bias=bias, train_second_layer=train_a, second_layer=second, outputs=o),
        cfg.d, [seed + r for r in range(R)], init_var=0.3, dtype=torch.float64,
    )
    if bias:  # a non-zero bias, so that its gradient is exercised away from b = 0
        gen = torch.Generator().manual_seed(seed)
        b = 0.2 * torch.randn(p.b.shape, generator=gen, dtype=p.b.dtype)
        p = Params(W=p.W, a=p.a, b=b, train_a=train_a)
    return data, p


def _cos(u, v):
    return (u @ v) / (u.norm() * v.norm())


@pytest.mark.parametrize("kind,k,objective,bias,train_a", VARIANTS)
@pytest.mark.parametrize("budget", [6, 1 << 20], ids=["chunked", "one-chunk"])
def test_segments_probe_matches_per_sample_loop(kind, k, objective, bias, train_a, budget):
    data, p = _setting(kind, k, objective, bias, train_a)
    got = run_probes(["segments"], ProbeState(0, p, p, data, objective, budget=budget * 2))
    _assert_segments_match_loop(got, data, p, objective, k)


def _assert_segments_match_loop(got, data, p, objective, k):
    """The segments probe's outputs ``got`` against the per-sample autograd loop."""
    R, n = data.x.shape[:2]
    for r in range(R):
        G = per_sample_grads(p, data.x, data.y, objective, r)  # [n, P] (no 1/n)
        G_true = per_sample_grads(p, data.x, data.y_true, objective, r)
        noisy = data.noisy[r]
        assert 0 < int(noisy.sum()) < n
        g_C, g_N = G[~noisy].sum(0) / n, G[noisy].sum(0) / n
        g, g_hat = G.sum(0) / n, G_true.sum(0) / n
        want = {
            "grad_norm": g.norm(),
            "grad_clean_norm": g_C.norm(),
            "grad_noisy_norm": g_N.norm(),
            "grad_ratio": g_C.norm() / g_N.norm(),
            "cos_clean_noisy": _cos(g_C, g_N),
            "cos_g_clean": _cos(g, g_C),
            "cos_g_true": _cos(g, g_hat),
            "grad_true_norm": g_hat.norm(),
            "kappa": (g @ g_hat) / (g_hat @ g_hat),
        }
        cls = classes_of(data.y_true[r], k)
        cc, cn, ccos = [], [], []
        for c in range(k):
            gc = G[(cls == c) & ~noisy].sum(0) / n
            gn = G[(cls == c) & noisy].sum(0) / n
            cc.append(gc.norm())
            cn.append(gn.norm())
            ccos.append(_cos(gc, gn))
        want["class_clean_norm"] = torch.stack(cc)
        want["class_noisy_norm"] = torch.stack(cn)
        want["class_ratio"] = torch.stack(cc) / torch.stack(cn)
        want["class_cos_clean_noisy"] = torch.stack(ccos)
        for key, value in want.items():
            assert got[f"segments/{key}"].shape[0] == R
            torch.testing.assert_close(got[f"segments/{key}"][r], value, **TOL, msg=key)
        # the pooled segments add up to the full gradient of the mean loss
        full, _, _ = net.loss_gradients(p, data.x, data.y, objective)
        torch.testing.assert_close(net.flatten(full)[r], g, **TOL)


@pytest.mark.parametrize("bias", [False, True])
def test_segments_probe_with_the_steps_gram_matches_per_sample_loop(bias, tune):
    """The Gram matrix taken by a training step (net.Workspace with the probe's GroupSplit, on
    PyTorch's passes, so also where the C kernels are not built; test_cpu_kernels covers the C
    pass) gives the statistics of the per-sample autograd loop: in particular the groups
    repeated with the true labels are the noisy ones (ĝ, κ)."""
    from twolayer.probes import segment_split

    tune(fused_cpu=False)
    data, p = _setting("xor", 2, "logistic", bias, False)
    n = data.x.shape[1]
    ws = net.Workspace(p, n, budget=n * p.m)  # one run per block
    assert ws.can_split(p, "logistic") and ws.fused is None
    ws.run(p, data.x, data.y, "logistic", 1.0 / n, groups=segment_split(data))
    state = ProbeState(0, p, p, data, "logistic")
    state.set_in_step("segments", ws.gram)
    _assert_segments_match_loop(run_probes(["segments"], state), data, p, "logistic", 2)


@pytest.mark.parametrize("train_a", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_segment_gradients_of_arbitrary_masks(bias, train_a):
    """segment_gradients(p, x, c, masks)[s] = ∇_θ Σ_{i∈S_s} ⟨c_i, f(x_i)⟩ for any masks."""
    gen = torch.Generator().manual_seed(7)
    R, n, m, d, o, S = 2, 11, 5, 4, 2, 3
    p = Params(
        W=torch.randn(R, m, d, generator=gen, dtype=torch.float64),
        a=torch.randn(R, m, o, generator=gen, dtype=torch.float64),
        b=torch.randn(R, m, generator=gen, dtype=torch.float64) if bias else None,
        train_a=train_a,
    )
    x = torch.randn(R, n, d, generator=gen, dtype=torch.float64)
    c = torch.randn(R, n, o, generator=gen, dtype=torch.float64)
    masks = torch.rand(S, R, n, generator=gen) < 0.5
    masks[0] = False  # an empty segment has gradient 0
    got = segment_gradients(p, x, c, masks, budget=R * m * 2)
    for s in range(S):
        for r in range(R):
            W, a, b = leaves(p, r, train_a)
            f = forward_one(W, a, b, x[r])
            sel = masks[s, r].to(f.dtype).unsqueeze(1)
            ref = flat(autograd_grads((sel * c[r] * f).sum(), W, a, b, train_a))
            torch.testing.assert_close(got[s, r], ref, **TOL)
    assert torch.all(got[0] == 0)


@pytest.mark.parametrize("kind,k,objective,bias,train_a", VARIANTS[:1] + VARIANTS[3:4])
def test_errors_probe_matches_direct_count(kind, k, objective, bias, train_a):
    data, p = _setting(kind, k, objective, bias, train_a, seed=3)
    got = run_probes(["errors", "correlations"], ProbeState(5, p, p, data, objective, budget=12))
    for r in range(data.runs):
        W, a, b = p.W[r], p.a[r], None if p.b is None else p.b[r]
        f, ft = forward_one(W, a, b, data.x[r]), forward_one(W, a, b, data.x_test[r])

        def pred(out):
            return torch.where(out[:, 0] > 0, 1, -1) if out.shape[1] == 1 else out.argmax(1)

        def lab(y):
            return y if objective == "logistic" else classes_of(y, k)

        wrong = (pred(f) != lab(data.y[r])).double()
        wrong_true = (pred(f) != lab(data.y_true[r])).double()
        noisy = data.noisy[r]
        from core_oracles import sample_losses

        loss = sample_losses(f, data.y[r], objective)
        want = {
            "train_error": wrong.mean(),
            "train_error_clean": wrong[~noisy].mean(),
            "noisy_fit_fraction": 1 - wrong[noisy].mean(),
            "noisy_error_true": wrong_true[noisy].mean(),
            "loss": loss.mean(),
            "loss_clean": loss[~noisy].mean(),
            "loss_noisy": loss[noisy].mean(),
            "test_error": (pred(ft) != lab(data.y_test[r])).double().mean(),
            "test_error_clean": (pred(ft) != lab(data.y_test_true[r])).double().mean(),
            "test_loss_clean": sample_losses(ft, data.y_test_true[r], objective).mean(),
        }
        for key, value in want.items():
            torch.testing.assert_close(got[f"errors/{key}"][r], value, **TOL, msg=key)
        torch.testing.assert_close(got["correlations/w_dot_mu"][r], W @ data.direction_rows()[r].T,
                                   **TOL)
        torch.testing.assert_close(got["correlations/w_norm"][r], W.norm(dim=1), **TOL)


def test_grad_ratio_at_small_init_is_about_clean_over_noisy_count():
    """Near f ≈ 0 every sample has |∂ℓ/∂f| ≈ 1/2, so ‖g_C‖/‖g_N‖ ≈ (1 − η)/η when the clean and
    noisy per-sample gradients are nearly parallel within a segment (the XOR clusters at small
    σ²). Checked against the exact counts |C|/|N| of the draw, not against the code."""
    data, p = _setting("xor", 2, "logistic", False, False, n=400, R=1)
    p = Params(W=p.W * 1e-3, a=p.a, b=None)
    got = run_probes(["segments"], ProbeState(0, p, p, data, "logistic"))
    ratio = float(got["segments/grad_ratio"][0])
    nn = int(data.noisy[0].sum())
    expect = (400 - nn) / nn
    assert math.isclose(ratio, expect, rel_tol=0.3), (ratio, expect)


def _kinks():
    """One run, d = 2, m = 3, with a bias, integer inputs and weights: W x + b = 0 exactly
    for points 0 and 1 at neuron 0 and for point 0 at neuron 1."""
    W = torch.tensor([[[1.0, -1.0], [1.0, 1.0], [2.0, 0.0]]], dtype=torch.float64)
    b = torch.tensor([[0.0, -2.0, 1.0]], dtype=torch.float64)
    a = torch.tensor([[[0.5], [-0.25], [1.0]]], dtype=torch.float64)
    x = torch.tensor([[[1.0, 1.0], [0.0, 0.0], [2.0, -1.0]]], dtype=torch.float64)
    return W, a, b, x, torch.tensor([[1, -1, 1]])


def test_closed_forms_take_relu_derivative_zero_at_zero(tune):
    """At a kink (W x + b = 0 exactly: integer inputs and weights) every closed-form gradient
    takes relu'(0) = 0, as autograd does (tests/core_oracles.py): the training step's gradient
    (net.loss_gradients), segment_gradients, net.per_sample_grad_sq_norms and the Liu probe's
    per-sample Gram matrix. Points 0 and 1 sit on the kink of neuron 0, point 0 also of 1."""
    from twolayer.probes.liu import per_sample_gram

    tune(fused_cpu=False)
    W, a, b, x, y = _kinks()
    for train_a in (False, True):
        p = Params(W=W, a=a, b=b, train_a=train_a)
        assert (net.preactivation(p, x) == 0).sum() == 3  # the kinks are hit exactly
        G = per_sample_grads(p, x, y, "logistic", 0)  # [n, P], autograd: relu'(0) = 0
        _, dl = net.loss_and_dloss(net.forward(p, x), y, "logistic")
        full, _, _ = net.loss_gradients(p, x, y, "logistic")
        torch.testing.assert_close(net.flatten(full)[0], G.mean(0), **TOL)
        masks = torch.eye(3, dtype=torch.bool).unsqueeze(1)  # one segment per sample
        seg = segment_gradients(p, x, dl, masks)[:, 0]
        torch.testing.assert_close(seg, G, **TOL)
        sq = net.per_sample_grad_sq_norms(p, x, dl)[0]
        torch.testing.assert_close(sq, G.square().sum(1), **TOL)
        torch.testing.assert_close(per_sample_gram(p, x, dl)[0], G @ G.T, **TOL)


def test_probe_input_and_drift_gradients_take_relu_derivative_zero_at_zero():
    """At the same kinks, the probes' other closed forms against autograd (relu'(0) = 0): the
    input gradients ∂f/∂x (vashisht) and ∂ℓ/∂x (badger), and the Liu probe's gradient drift
    cos(∇_θ h(x_i; θ), ∇_θ h(x_i; θ_0)) (θ_0: the same W and b, another second layer)."""
    from twolayer.probes.badger import input_loss_gradients
    from twolayer.probes.liu import logit_gradient_drift_cos
    from twolayer.probes.vashisht import input_gradients

    W, a, b, x, y = _kinks()
    a0 = torch.tensor([[[-1.0], [2.0], [0.5]]], dtype=torch.float64)
    for train_a in (False, True):
        p, p0 = Params(W=W, a=a, b=b, train_a=train_a), Params(W=W, a=a0, b=b, train_a=train_a)
        assert (net.preactivation(p, x) == 0).sum() == 3
        dfdx, dldx, cos = [], [], []
        for i in range(3):
            xi = x[0, i : i + 1].clone().requires_grad_(True)
            f = forward_one(W[0], a[0], b[0], xi)[0, 0]
            dfdx.append(torch.autograd.grad(f, xi)[0][0])
            loss = torch.log1p(torch.exp(-y[0, i] * forward_one(W[0], a[0], b[0], xi)[0, 0]))
            dldx.append(torch.autograd.grad(loss, xi)[0][0])
            g = [flat(autograd_grads(forward_one(*lv, x[0, i : i + 1])[0, 0], *lv, train_a))
                 for lv in (leaves(q, 0, train_a) for q in (p, p0))]
            cos.append(_cos(g[0], g[1]))
        torch.testing.assert_close(input_gradients(p, x)[0], torch.stack(dfdx), **TOL)
        torch.testing.assert_close(input_loss_gradients(p, x, y, "logistic")[0],
                                   torch.stack(dldx), **TOL)
        torch.testing.assert_close(logit_gradient_drift_cos(p, p0, x, torch.zeros_like(y))[0],
                                   torch.stack(cos), **TOL)
