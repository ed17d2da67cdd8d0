"""The Liu et al. (2023) probes (twolayer/probes/liu.py) against one-sample-at-a-time autograd.

Oracle: every per-sample gradient ∇_θ ℓ(y_i, h(x_i)) and ∇_θ h_k(x_i) is computed with autograd
for one sample at a time (tests/core_oracles.py), then summed into Liu's segments with the 1/n of
the mean loss; cosines of pairs are computed pair by pair, histograms with numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_oracles import autograd_grads, classes_of, flat, forward_one, leaves, per_sample_grads

from twolayer import net
from twolayer.config import DataConfig, NetConfig
from twolayer.data import sample_dataset
from twolayer.net import Params
from twolayer.probes import ProbeState, run_probes
from twolayer.probes import liu as liu_probes

pytestmark = pytest.mark.usefixtures("single_thread")
TOL = dict(rtol=1e-9, atol=1e-12, equal_nan=True)  # NaN = NaN: e.g. a segment of dead points

VARIANTS = [
    # (data kind, K, objective, bias, train_a)
    ("xor", 2, "logistic", False, False),
    ("clusters", 2, "logistic", True, True),
    ("clusters", 3, "softmax", False, True),
    ("clusters", 4, "softmax", True, False),
]


def _setting(kind, k, objective, bias, train_a, seed=0, n=40, R=2):
    cfg = DataConfig(
        kind=kind, d=5, n=n, n_test=30, noise=0.3, noise_model="per-cluster", num_classes=k,
        sigma2=0.1,
    )
    seeds = [seed + r for r in range(R)]
    data = sample_dataset(cfg, seeds, torch.float64)
    o = 1 if objective == "logistic" else k
    second = "frei" if o == 1 else "gaussian"
    p = net.init_params(
        NetConfig(m=6, bias=bias, train_second_layer=train_a, second_layer=second, outputs=o),
        cfg.d, seeds, init_var=0.3, dtype=torch.float64,
    )
    if bias:
        gen = torch.Generator().manual_seed(100 + seed)
        b = 0.2 * torch.randn(p.b.shape, generator=gen, dtype=p.b.dtype)
        p = Params(W=p.W, a=p.a, b=b, train_a=train_a)
    return data, p


def _cos(u, v):
    return (u @ v) / (u.norm() * v.norm())


def _logit_grads(p, x, r, k):
    """[n, P]: ∇_θ h_k(x_i) of run r, one sample at a time."""
    rows = []
    for i in range(x.shape[1]):
        W, a, b = leaves(p, r, p.train_a)
        h = forward_one(W, a, b, x[r, i : i + 1])[0, k]
        rows.append(flat(autograd_grads(h, W, a, b, p.train_a)))
    return torch.stack(rows)


def _residual_and_loss(p, x, y, objective, r, K):
    """Per-sample loss [n] and ∂ℓ_i/∂h [n, o] by autograd through the logits."""
    W, a, b = leaves(p, r, False)
    h = forward_one(W, a, b, x[r]).detach().requires_grad_(True)
    if objective == "logistic":
        loss = torch.log1p(torch.exp(-y[r].to(h.dtype) * h[:, 0]))
    else:
        loss = torch.nn.functional.cross_entropy(h, classes_of(y[r], K), reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), h)
    return loss.detach(), grad


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind,k,objective,bias,train_a", VARIANTS)
def test_liu_probe_matches_per_sample_loop(kind, k, objective, bias, train_a, seed):
    data, p = _setting(kind, k, objective, bias, train_a, seed=seed)
    R, n = data.x.shape[:2]
    got = run_probes(["liu"], ProbeState(0, p, p, data, objective, budget=6 * 2 * 5))
    for r in range(R):
        G = per_sample_grads(p, data.x, data.y, objective, r)  # [n, P], training labels
        G_true = per_sample_grads(p, data.x, data.y_true, objective, r)
        loss, dh = _residual_and_loss(p, data.x, data.y, objective, r, k)
        noisy = data.noisy[r]
        cls = classes_of(data.y_true[r], k)
        lab = classes_of(data.y[r], k)
        assert 0 < int(noisy.sum()) < n
        # residual of the training label's logit: binary |f − y01| = σ(−y h); softmax 1 − p_y
        res = dh[:, 0].abs() if objective == "logistic" else dh[torch.arange(n), lab].abs()
        if objective == "logistic":  # Liu's (f − y) with f = sigmoid(h), y ∈ {0, 1}
            W, a, b = leaves(p, r, False)
            f01 = torch.sigmoid(forward_one(W, a, b, data.x[r])[:, 0]).detach()
            y01 = (data.y[r] > 0).to(f01.dtype)
            torch.testing.assert_close(res, (f01 - y01).abs(), **TOL)
        g_C, g_N = G[~noisy].sum(0) / n, G[noisy].sum(0) / n
        g, g_hat = g_C + g_N, G_true.sum(0) / n
        alpha = g_N.norm() / g_C.norm()
        rate = (1 - alpha) / (1 + alpha)
        want = {
            "resid_clean": res[~noisy].mean(),
            "resid_noisy": res[noisy].mean(),
            "lemma_alpha": alpha,
            "lemma_rate": rate,
            "lemma_rel_error": (g - rate * g_hat).norm() / (rate * g_hat).norm(),
        }
        lc, ln, lcos, cl, nl, cc, cn = [], [], [], [], [], [], []
        for c in range(k):
            in_c = cls == c
            # single-logit (true class c) gradient: Σ (∂ℓ_i/∂h_c) ∇_θ h_c(x_i) / n
            logit = 0 if objective == "logistic" else c
            H = _logit_grads(p, data.x, r, logit)
            coef = dh[:, logit]
            gc = (coef[in_c & ~noisy, None] * H[in_c & ~noisy]).sum(0) / n
            gn = (coef[in_c & noisy, None] * H[in_c & noisy]).sum(0) / n
            lc.append(gc.norm())
            ln.append(gn.norm())
            lcos.append(_cos(gc, gn))
            cl.append(loss[in_c & ~noisy].mean())
            nl.append(loss[in_c & noisy].mean())
            cc.append((in_c & ~noisy).sum().to(loss.dtype))
            cn.append((in_c & noisy).sum().to(loss.dtype))
            if objective == "logistic":  # one output: the single-logit gradient is the full one
                torch.testing.assert_close(gc, G[in_c & ~noisy].sum(0) / n, **TOL)
        want.update(
            logit_class_clean_norm=torch.stack(lc),
            logit_class_noisy_norm=torch.stack(ln),
            logit_class_ratio=torch.stack(lc) / torch.stack(ln),
            logit_class_cos=torch.stack(lcos),
            class_loss_clean=torch.stack(cl),
            class_loss_noisy=torch.stack(nl),
            class_count_clean=torch.stack(cc),
            class_count_noisy=torch.stack(cn),
        )
        for key, value in want.items():
            assert got[f"liu/{key}"].shape[0] == R
            torch.testing.assert_close(got[f"liu/{key}"][r], value, **TOL, msg=key)


def test_lemma_42_is_exact_under_its_assumptions():
    """Lemma 4.2 holds exactly when g_noise^(c) = −α g_clean^(c) with one α for every class and
    a noisy point's true-label gradient is minus its corrupted-label gradient (h = 0, residuals
    ±1/2). Build that case: per class three clean copies and one noisy copy of one input, h ≈ 0
    (second layer ±1e-9). Then α = 1/3, ρ = (1 − α)/(1 + α) = 1/2, g = ρ ĝ and cos = −1."""
    from dataclasses import replace

    gen = torch.Generator().manual_seed(3)
    R, d, m = 1, 4, 8
    data, _ = _setting("clusters", 2, "logistic", False, False, n=8, R=R)
    x1 = torch.randn(R, 1, d, generator=gen, dtype=torch.float64)
    x2 = torch.randn(R, 1, d, generator=gen, dtype=torch.float64)
    x = torch.cat([x1.expand(R, 4, d), x2.expand(R, 4, d)], 1)
    y_true = torch.tensor([[1, 1, 1, 1, -1, -1, -1, -1]])
    noisy = torch.tensor([[False, False, False, True, False, False, False, True]])
    y = torch.where(noisy, -y_true, y_true)
    data = replace(data, x=x, y=y, y_true=y_true, noisy=noisy, cluster=(y_true < 0).long())
    W = torch.randn(R, m, d, generator=gen, dtype=torch.float64)
    a = torch.full((R, m, 1), 1e-9, dtype=torch.float64)
    a[:, m // 2 :] *= -1
    p = Params(W=W, a=a, b=None, train_a=False)
    got = run_probes(["liu"], ProbeState(0, p, p, data, "logistic"))
    torch.testing.assert_close(got["liu/lemma_alpha"], torch.tensor([1 / 3], dtype=torch.float64))
    torch.testing.assert_close(got["liu/lemma_rate"], torch.tensor([0.5], dtype=torch.float64))
    assert float(got["liu/lemma_rel_error"][0]) < 1e-6
    f64 = torch.float64
    torch.testing.assert_close(got["liu/logit_class_ratio"], torch.tensor([[3.0, 3.0]], dtype=f64))
    torch.testing.assert_close(got["liu/logit_class_cos"], torch.tensor([[-1.0, -1.0]], dtype=f64))
    torch.testing.assert_close(got["liu/resid_noisy"], torch.tensor([0.5], dtype=torch.float64))
    # and when the noisy copy sits elsewhere (not a copy of its class's clean points), the
    # assumption fails and the measured error is far from 0
    x_far = x.clone()
    x_far[:, 3] = torch.randn(d, generator=gen, dtype=torch.float64)
    got = run_probes(["liu"], ProbeState(0, p, p, replace(data, x=x_far), "logistic"))
    assert float(got["liu/lemma_rel_error"][0]) > 0.05


@pytest.mark.parametrize("kind,k,objective,bias,train_a", VARIANTS)
def test_gradient_drift_matches_autograd(kind, k, objective, bias, train_a):
    """grad_drift = mean_i 1 − cos(∇_θ h_{ỹ_i}(x_i; θ_t), ∇_θ h_{ỹ_i}(x_i; θ_0)), per sample."""
    data, p0 = _setting(kind, k, objective, bias, train_a)
    gen = torch.Generator().manual_seed(9)
    p = Params(
        W=p0.W + 0.3 * torch.randn(p0.W.shape, generator=gen, dtype=p0.W.dtype),
        a=p0.a + (0.3 * torch.randn(p0.a.shape, generator=gen, dtype=p0.a.dtype) if train_a else 0),
        b=None if p0.b is None else p0.b + 0.1,
        train_a=train_a,
    )
    R, n = data.x.shape[:2]
    got = run_probes(["liu"], ProbeState(5, p, p0, data, objective, budget=6 * 2 * 3))
    for r in range(R):
        cls = classes_of(data.y_true[r], k)
        cosines = []
        for i in range(n):
            logit = 0 if objective == "logistic" else int(cls[i])
            g_t = _logit_grads(p, data.x[:, i : i + 1], r, logit)[0]
            g_0 = _logit_grads(p0, data.x[:, i : i + 1], r, logit)[0]
            if g_t.norm() > 0 and g_0.norm() > 0:
                cosines.append(_cos(g_t, g_0))
        want = 1 - torch.stack(cosines).mean()
        torch.testing.assert_close(got["liu/grad_drift"][r], want, **TOL)
    # at initialisation the drift is exactly 0
    same = run_probes(["liu"], ProbeState(0, p0, p0, data, objective))
    torch.testing.assert_close(same["liu/grad_drift"], torch.zeros(R, dtype=torch.float64), **TOL)


# -- sample-wise gradient angles ------------------------------------------------------------


@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
@pytest.mark.parametrize("o", [1, 3])
def test_per_sample_gram_matches_autograd(bias, train_a, o):
    gen = torch.Generator().manual_seed(11)
    R, S, m, d = 2, 7, 5, 4
    p = Params(
        W=torch.randn(R, m, d, generator=gen, dtype=torch.float64),
        a=torch.randn(R, m, o, generator=gen, dtype=torch.float64),
        b=torch.randn(R, m, generator=gen, dtype=torch.float64) if bias else None,
        train_a=train_a,
    )
    x = torch.randn(R, S, d, generator=gen, dtype=torch.float64)
    c = torch.randn(R, S, o, generator=gen, dtype=torch.float64)
    got = liu_probes.per_sample_gram(p, x, c)
    for r in range(R):
        rows = []
        for i in range(S):
            W, a, b = leaves(p, r, train_a)
            s = (forward_one(W, a, b, x[r, i : i + 1])[0] * c[r, i]).sum()
            rows.append(flat(autograd_grads(s, W, a, b, train_a)))
        G = torch.stack(rows)
        torch.testing.assert_close(got[r], G @ G.T, **TOL)


@pytest.mark.parametrize("kind,k,objective,bias,train_a", VARIANTS)
def test_liu_angles_probe_matches_pairwise_loop(kind, k, objective, bias, train_a):
    data, p = _setting(kind, k, objective, bias, train_a, n=30)
    R = data.x.shape[0]
    got = run_probes(["liu_angles"], ProbeState(0, p, p, data, objective))
    S = liu_probes.pair_subsample_size(data.x.shape[1], R, p.m)
    assert S == 30  # small n: all points are used
    edges = np.asarray(liu_probes.ANGLE_EDGES_DEG)
    for r in range(R):
        cls = classes_of(data.y_true[r, :S], k)
        noisy = data.noisy[r, :S]
        grads = {
            "loss": per_sample_grads(p, data.x[:, :S], data.y[:, :S], objective, r),
            "logit": torch.stack([_logit_grads(p, data.x[:, i : i + 1], r, 0 if k == 2 and
                                               objective == "logistic" else int(cls[i]))[0]
                                  for i in range(S)]),
        }
        for kind_name, G in grads.items():
            by_cat: dict[str, list[float]] = {c: [] for c in liu_probes.PAIR_CATEGORIES}
            for i in range(S):
                for j in range(i + 1, S):
                    same = bool(cls[i] == cls[j])
                    nz = int(noisy[i]) + int(noisy[j])
                    if not same and nz == 2:
                        continue  # different class, both noisy: not a reported category
                    cat = ("same_" if same else "diff_") + ("cc", "cn", "nn")[nz]
                    if G[i].norm() > 0 and G[j].norm() > 0:  # a dead point has no angle
                        by_cat[cat].append(float(_cos(G[i], G[j]).clamp(-1, 1)))
            for cat, cosines in by_cat.items():
                key = f"liu_angles/hist_{kind_name}_{cat}"
                if not cosines:
                    assert torch.isnan(got[key][r]).all()
                    continue
                ang = np.degrees(np.arccos(np.asarray(cosines)))
                hist, _ = np.histogram(ang, bins=edges)
                np.testing.assert_allclose(got[key][r].numpy(), hist / len(cosines), atol=1e-12)
                np.testing.assert_allclose(
                    float(got[f"liu_angles/mean_cos_{kind_name}_{cat}"][r]),
                    float(np.mean(cosines)), rtol=1e-9,
                )
                assert float(got[f"liu_angles/pairs_{kind_name}_{cat}"][r]) == len(cosines)


def test_noisy_loss_gradient_points_against_its_clean_twin():
    """With h ≈ 0 a noisy copy of a clean point has residual −c_i: the loss-gradient angle of the
    pair is 180°, and the label-free logit-gradient angle is 0°."""
    gen = torch.Generator().manual_seed(5)
    R, n, d, m = 1, 4, 3, 6
    data, _ = _setting("clusters", 2, "logistic", False, False, n=n, R=R)
    x1 = torch.randn(R, 1, d, generator=gen, dtype=torch.float64)
    x2 = torch.randn(R, 1, d, generator=gen, dtype=torch.float64)
    from dataclasses import replace

    x = torch.cat([x1, x1, x2, x2], 1)
    y_true = torch.tensor([[1, 1, -1, -1]])
    noisy = torch.tensor([[False, True, False, False]])
    data = replace(data, x=x, y_true=y_true, y=torch.where(noisy, -y_true, y_true), noisy=noisy)
    W = torch.randn(R, m, d, generator=gen, dtype=torch.float64)
    a = torch.full((R, m, 1), 1e-8, dtype=torch.float64)
    a[:, m // 2 :] *= -1
    p = Params(W=W, a=a, b=None, train_a=False)
    got = run_probes(["liu_angles"], ProbeState(0, p, p, data, "logistic"))
    assert float(got["liu_angles/pairs_loss_same_cn"][0]) == 1
    hist = got["liu_angles/hist_loss_same_cn"][0]
    assert float(hist[-1]) == 1.0  # the one pair lies in the last bin [175°, 180°]
    assert math.isclose(float(got["liu_angles/mean_cos_loss_same_cn"][0]), -1.0, abs_tol=1e-6)
    assert math.isclose(float(got["liu_angles/mean_cos_logit_same_cn"][0]), 1.0, abs_tol=1e-9)


def test_predicted_ratios():
    assert math.isclose(liu_probes.predicted_init_ratio_binary(0.2), 4.0)
    assert math.isclose(liu_probes.predicted_init_ratio_multiclass(0.3, 10), 0.3 / (0.7 * 9))
