"""The Frei probes (twolayer.probes.frei) against plain per-neuron / per-sample loops.

The oracle recomputes every quantity from the parameters W^(t) (obtained by training t steps
separately) with Python loops over neurons and samples in float64; the own-cluster step M9 is
checked against the actual difference w_j^(t+1) − w_j^(t), not against a gradient formula.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import torch

from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.errors import ConfigError
from twolayer.simulate import setup

T = 3
LR = 0.125


@pytest.fixture(scope="module")
def run():
    cfg = Config(
        data=DataConfig(d=30, n=60, n_test=80, noise=0.15, sigma2=0.2 / 30),
        net=NetConfig(m=8, init_var=1e-6 / (8 * 30)),
        train=TrainConfig(lr=LR, steps=T),
        seeds=2,
        dtype="float64",
    )
    cfg, data, params = setup(cfg)
    probes = ("frei_neurons", "frei_samples", "frei_test", "frei_features")
    rt = Runtime(device="cpu", progress=False)  # the loops below are numpy, on the CPU
    res = train(params, data, cfg.train, list(range(T + 1)), probes, rt)
    Ws = [params.W.cpu().numpy()]
    for t in range(1, T + 2):  # W^(T+1) too, for the step at t = T
        tc = TrainConfig(lr=LR, steps=t)
        Ws.append(train(params, data, tc, [t], (), rt).params.W.cpu().numpy())
    return data, params, res.arrays, Ws


def _sets(W0, a, mu):
    out = []
    for j in range(W0.shape[0]):
        if a[j] > 0:
            out.append(0 if W0[j] @ mu[0] >= 0 else 1)
        else:
            out.append(2 if W0[j] @ mu[1] >= 0 else 3)
    return out


SIGNED = {0: (0, 1.0), 1: (0, -1.0), 2: (1, 1.0), 3: (1, -1.0)}


def test_neuron_probe_matches_loops(run):
    data, params, arrays, Ws = run
    x, cl = data.x.numpy(), data.cluster.numpy()
    mu = data.extras["class_means"].numpy()
    a = params.a.numpy()[..., 0]
    for r in range(2):
        sets = _sets(Ws[0][r], a[r], mu[r])
        np.testing.assert_array_equal(arrays["frei_neurons/set"][r, 0], sets)
        for t in range(T + 1):
            W, W1 = Ws[t][r], Ws[t + 1][r]
            m = W.shape[0]
            kept, c9, leak, nmax, ownstep = 0, [], 0.0, 0.0, []
            for j in range(m):
                k, s = SIGNED[sets[j]]
                other = 1 - k
                wn = np.linalg.norm(W[j])
                assert arrays["frei_neurons/rho_own"][r, t, j] == pytest.approx(
                    s * (W[j] @ mu[r][k]) / wn, rel=1e-6, abs=1e-9
                )
                assert arrays["frei_neurons/rho_other"][r, t, j] == pytest.approx(
                    (W[j] @ mu[r][other]) / wn, rel=1e-6, abs=1e-9
                )
                kept += np.sign(W[j] @ mu[r][k]) == s
                on = all(W[j] @ x[r, i] > 0 for i in range(x.shape[1]) if cl[r, i] == sets[j])
                off = all(
                    W[j] @ x[r, i] <= 0 for i in range(x.shape[1]) if cl[r, i] == sets[j] ^ 1
                )
                c9.append(float(on and off))
                leak = max(leak, abs(W[j] @ mu[r][other]) / abs(a[r, j]))
                nmax = max(nmax, wn / abs(a[r, j]))
                ownstep.append(s * ((W1[j] - W[j]) @ mu[r][k]) / (LR * abs(a[r, j])))
            np.testing.assert_array_equal(arrays["frei_neurons/cond9"][r, t], c9)
            assert arrays["frei_neurons/cond9_fraction"][r, t] == pytest.approx(np.mean(c9))
            assert arrays["frei_neurons/sign_kept"][r, t] == pytest.approx(kept / m)
            assert arrays["frei_neurons/leak"][r, t] == pytest.approx(leak, rel=1e-6)
            assert arrays["frei_neurons/norm_max"][r, t] == pytest.approx(nmax, rel=1e-6)
            assert arrays["frei_neurons/norm_frob"][r, t] == pytest.approx(
                math.sqrt((W**2).sum()), rel=1e-6
            )
            np.testing.assert_allclose(
                arrays["frei_neurons/own_step"][r, t], ownstep, rtol=1e-5, atol=1e-9
            )
            got_min = arrays["frei_neurons/own_step_min"][r, t]
            assert got_min == pytest.approx(min(ownstep), rel=1e-5)
    # the run is not degenerate: Condition 9 is violated somewhere at t = 0 and holds later
    assert arrays["frei_neurons/cond9_fraction"][:, 0].min() < 1


def _f(W, a, x):
    return sum(a[j] * max(0.0, W[j] @ x) for j in range(W.shape[0]))


def test_sample_probe_matches_loops(run):
    data, params, arrays, Ws = run
    x, y, noisy = data.x.numpy(), data.y.numpy(), data.noisy.numpy()
    a = params.a.numpy()[..., 0]
    assert noisy.any(axis=1).all()  # both runs have noisy points
    for r in range(2):
        for t in range(T + 1):
            marg = [y[r, i] * _f(Ws[t][r], a[r], x[r, i]) for i in range(x.shape[1])]
            weights = [1.0 / (1.0 + math.exp(mg)) for mg in marg]
            clean = [mg for mg, z in zip(marg, noisy[r]) if not z]
            noisy_m = [mg for mg, z in zip(marg, noisy[r]) if z]
            got = {k: arrays[f"frei_samples/{k}"][r, t] for k in (
                "loss_weight_min", "loss_weight_max", "margin_clean_min", "margin_noisy_max",
                "acc_clean", "acc_noisy")}
            assert got["loss_weight_min"] == pytest.approx(min(weights), rel=1e-9)
            assert got["loss_weight_max"] == pytest.approx(max(weights), rel=1e-9)
            assert got["margin_clean_min"] == pytest.approx(min(clean), rel=1e-6, abs=1e-12)
            assert got["margin_noisy_max"] == pytest.approx(max(noisy_m), rel=1e-6, abs=1e-12)
            # sgn f(x_i) = y_i means y_i f(x_i) > 0 (f = 0: wrong)
            assert got["acc_clean"] == pytest.approx(np.mean([mg > 0 for mg in clean]))
            assert got["acc_noisy"] == pytest.approx(np.mean([mg > 0 for mg in noisy_m]))


def test_test_and_feature_probes_match_loops(run):
    data, params, arrays, Ws = run
    xt, yt, ytt = data.x_test.numpy(), data.y_test.numpy(), data.y_test_true.numpy()
    x, mu = data.x.numpy(), data.extras["class_means"].numpy()
    a = params.a.numpy()[..., 0]
    for r in range(2):
        for t in range(T + 1):
            W = Ws[t][r]
            pred = [1 if _f(W, a[r], xi) > 0 else -1 for xi in xt[r]]
            star = [1 if abs(xi @ mu[r][0]) - abs(xi @ mu[r][1]) > 0 else -1 for xi in xt[r]]
            assert arrays["frei_test/agreement"][r, t] == pytest.approx(
                np.mean([p == s for p, s in zip(pred, star)])
            )
            assert arrays["frei_test/test_error"][r, t] == pytest.approx(
                np.mean([p != y for p, y in zip(pred, yt[r])])
            )
            assert arrays["frei_test/test_error_clean"][r, t] == pytest.approx(
                np.mean([p != y for p, y in zip(pred, ytt[r])])
            )
            ratios = []
            for xi in x[r]:
                h0 = np.maximum(Ws[0][r] @ xi, 0)
                h = np.maximum(W @ xi, 0)
                if np.linalg.norm(h0) > 0:  # points with no active neuron at t = 0 left out
                    ratios.append(np.linalg.norm(h - h0) / np.linalg.norm(h0))
            got_min = arrays["frei_features/movement_min"][r, t]
            assert got_min == pytest.approx(min(ratios), rel=1e-6)
            assert arrays["frei_features/movement_median"][r, t] == pytest.approx(
                statistics.median(ratios), rel=1e-6  # an even count: the two middles' mean
            )
    assert arrays["frei_features/movement_min"][:, T].min() > 1  # features moved


def test_probes_reject_other_data():
    cfg = Config(
        data=DataConfig(kind="clusters", d=5, n=10, n_test=10, num_classes=3),
        net=NetConfig(m=4, second_layer="gaussian"),
        train=TrainConfig(steps=0, objective="softmax"),
    )
    cfg, data, params = setup(cfg)
    with pytest.raises(ConfigError, match="frei_neurons"):
        train(params, data, cfg.train, [0], ("frei_neurons",))


@pytest.mark.parametrize("seed", [0, 7, 21])
def test_neuron_probe_own_step_is_bitwise_the_full_gradient_formula(seed):
    """own_step from the probe (whose ∇_W L̂ is formed in the gradient accumulator's memory,
    two runs at a time here) equals bitwise the plain expression: ∇_W = (a ⊙ Gᵀ).contiguous()
    as a whole [R, m, d] tensor, then ⟨−∇_{w_j} L̂, μ⟩ by one bmm; several seeds, float32."""
    from twolayer import net
    from twolayer.engine import measure
    from twolayer.probes.frei import neuron_sets
    from twolayer.threads import intra_op_threads

    R, n, m, d = 5, 40, 8, 30
    budget = 2 * m * d + 17  # blocks of 2, 2 and 1 runs
    cfg = Config(
        data=DataConfig(d=d, n=n, n_test=10, noise=0.15, sigma2=0.2 / d),
        net=NetConfig(m=m, init_var=1e-6 / (m * d)),
        train=TrainConfig(lr=LR, steps=2),
        seeds=R, seed=seed,
    )
    cfg, data, p0 = setup(cfg)
    rt = Runtime(device="cpu", budget=budget, threads=1, progress=False)
    p = train(p0, data, cfg.train, [2], (), rt).params
    got = measure(p, data, ("frei_neurons",), rt, init=p0)["frei_neurons/own_step"]
    with intra_op_threads(1):
        out = net.forward(p, data.x, budget)
        _, dl = net.loss_and_dloss(out, data.y, "logistic")
        ws = net.Workspace(p, n, budget)
        ws.run(p, data.x, None, "", 1.0, coeffs=dl / n)
        gW = (p.a * ws.G[:, :d].transpose(1, 2)).contiguous()  # the whole ∇_W L̂ at once
        means = data.extras["class_means"]
        step = -torch.bmm(gW, means.transpose(1, 2))
        sets = neuron_sets(p0.W, p0.a, means)
        positive = p.a[..., 0] > 0
        sign0 = torch.where(sets % 2 == 0, 1.0, -1.0).to(p.W.dtype)
        want = sign0 * torch.where(positive, step[..., 0], step[..., 1]) / p.a[..., 0].abs()
    assert p.W.dtype == torch.float32 and got.shape == (R, m)
    assert torch.equal(torch.from_numpy(got), want.float())


def _hand_built():
    """Two runs of a hand-made XOR set in d = 2 (μ1 = e1, μ2 = e2; integer inputs, so the
    pre-activations below are exact): run 0 has no noisy point, run 1 only noisy points. Four
    neurons chosen so that Condition 9 fails in the ways a random run never shows: neuron 0 is
    on for its whole cluster and for one (not all) point of the opposite cluster; neuron 1 has
    ⟨w, x_k⟩ = 0 exactly on a point of its own cluster; neurons 2 and 3 satisfy it."""
    from twolayer.data import Dataset
    from twolayer.net import Params

    x = torch.tensor([[2, 1], [2, -1], [-2, 1], [-2, 4], [1, 2], [-1, 2], [1, -2], [-1, -2]],
                     dtype=torch.float64).expand(2, 8, 2).contiguous()
    cluster = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]).expand(2, 8).contiguous()
    y_true = torch.tensor([1, 1, 1, 1, -1, -1, -1, -1]).expand(2, 8).contiguous()
    noisy = torch.stack([torch.zeros(8, dtype=torch.bool), torch.ones(8, dtype=torch.bool)])
    y = torch.where(noisy, -y_true, y_true)
    means = torch.eye(2, dtype=torch.float64).expand(2, 2, 2).contiguous()
    data = Dataset(x=x, y_true=y_true, y=y, noisy=noisy, cluster=cluster, x_test=x.clone(),
                   y_test_true=y_true.clone(), y_test=y.clone(), cluster_test=cluster.clone(),
                   num_classes=2, kind="xor", extras={"class_means": means})
    W = torch.tensor([[1, 1], [1, -2], [0.5, 1], [0, -1]], dtype=torch.float64)
    a = torch.tensor([0.5, 0.5, -0.5, -0.5], dtype=torch.float64)
    p = Params(W=W.expand(2, 4, 2).contiguous(), a=a.expand(2, 4)[..., None].contiguous(),
               b=None)
    return data, p


def test_neuron_and_sample_probes_on_a_hand_built_set():
    """Condition 9 by a plain loop (own cluster: every ⟨w_j, x_k⟩ > 0; opposite cluster: every
    one ≤ 0), which a random run cannot tell apart from 'some' ≤ 0 or from ≥ 0 on the own
    cluster; and frei_samples' NaN for an empty clean or noisy set (M11, M12)."""
    from twolayer.probes import ProbeState, run_probes

    data, p = _hand_built()
    got = run_probes(["frei_neurons", "frei_samples"], ProbeState(0, p, p, data, "logistic"))
    x, cl = data.x[0].tolist(), data.cluster[0].tolist()
    W, a = p.W[0].tolist(), p.a[0, :, 0].tolist()
    mu = [[1.0, 0.0], [0.0, 1.0]]
    c9 = []
    for j, w in enumerate(W):
        k = 0 if a[j] > 0 else 1
        c = 2 * k + (0 if sum(wi * mi for wi, mi in zip(w, mu[k])) >= 0 else 1)
        pre = [sum(wi * xi for wi, xi in zip(w, xk)) for xk in x]
        on = all(pre[i] > 0 for i in range(8) if cl[i] == c)
        off = all(pre[i] <= 0 for i in range(8) if cl[i] == c ^ 1)
        c9.append(float(on and off))
    assert c9 == [0.0, 0.0, 1.0, 1.0]  # the set is the intended one
    for r in range(2):
        assert got["frei_neurons/cond9"][r].tolist() == c9
        assert got["frei_neurons/cond9_fraction"][r].item() == pytest.approx(0.5)
    margins = [[data.y[r, i].item() * sum(a[j] * max(0.0, sum(wi * xi for wi, xi in
                                                             zip(W[j], x[i])))
                                        for j in range(4)) for i in range(8)] for r in range(2)]
    # run 0: no noisy point; run 1: no clean point (NaN, never ±inf or a number)
    assert got["frei_samples/margin_clean_min"][0].item() == pytest.approx(min(margins[0]))
    assert math.isnan(got["frei_samples/margin_noisy_max"][0].item())
    assert math.isnan(got["frei_samples/acc_noisy"][0].item())
    assert got["frei_samples/margin_noisy_max"][1].item() == pytest.approx(max(margins[1]))
    assert math.isnan(got["frei_samples/margin_clean_min"][1].item())
    assert math.isnan(got["frei_samples/acc_clean"][1].item())


def test_sign_kept_counts_an_exact_zero_as_positive_as_the_neuron_sets_do():
    """M5's sgn⟨w_j^(t), μ_own(j)⟩ = sgn⟨w_j^(0), μ_own(j)⟩ with sgn 0 = +1 at t as at t = 0
    (where neuron_sets puts ⟨w_j^(0), μ⟩ = 0 in the positive set): a plain loop over the
    hand-built set with neurons moved onto exact zeros. Counting a zero as negative at t
    gives 1/4 here instead of 1/2."""
    from twolayer.net import Params
    from twolayer.probes import ProbeState, run_probes

    data, init = _hand_built()
    W_t = torch.tensor([[0, 3], [-1, 0], [1, 2], [1, 1]], dtype=torch.float64)
    now = Params(W=W_t.expand(2, 4, 2).contiguous(), a=init.a, b=None)
    got = run_probes(["frei_neurons"], ProbeState(1, now, init, data, "logistic"))

    def sgn(v: float) -> int:
        return 1 if v >= 0 else -1

    a = init.a[0, :, 0].tolist()
    kept = []
    for j in range(4):
        k = 0 if a[j] > 0 else 1  # μ_own: μ1 for a_j > 0, μ2 for a_j < 0
        kept.append(sgn(W_t[j, k].item()) == sgn(init.W[0, j, k].item()))
    assert kept == [True, False, True, False]  # neuron 0 sits exactly on 0 at t
    for r in range(2):
        assert got["frei_neurons/sign_kept"][r].item() == pytest.approx(sum(kept) / 4)


def test_neuron_sets_keep_their_initial_class_when_a_trained_second_layer_flips_a_sign():
    """With ``--train-second-layer`` a neuron's a_j may change sign. Its set J_μ is fixed at
    t = 0 (by sgn a_j^(0), module docstring), so μ_{c_j} and μ_⊥(j) must follow the initial
    sign too: the probe took the class from the current a_j, so a flipped neuron was measured
    against the other class's mean (rho_own off by ~0.6 on it). Oracle: per-neuron loop over the
    final parameters with the sets of :func:`_sets` at initialisation (float32: the helper's
    setting, where two neurons flip)."""
    cfg = Config(
        data=DataConfig(d=20, n=200, noise=0.3),
        net=NetConfig(m=40, train_second_layer=True, second_layer="gaussian"),
        train=TrainConfig(lr=1.0, steps=1000),
        seeds=2,
    )
    cfg, data, params = setup(cfg)
    W0, a0 = params.W.numpy().copy(), params.a.numpy()[..., 0].copy()
    rt = Runtime(device="cpu", progress=False)
    res = train(params, data, cfg.train, [1000], ("frei_neurons",), rt)
    W, a_T = res.params.W.numpy(), res.params.a.numpy()[..., 0]
    mu = data.extras["class_means"].numpy()
    flipped = 0
    for r in range(2):
        sets = _sets(W0[r], a0[r], mu[r])
        for j in range(W.shape[1]):
            flipped += int(np.sign(a_T[r, j]) != np.sign(a0[r, j]))
            k, s = SIGNED[sets[j]]
            wn = np.linalg.norm(W[r, j])
            assert res.arrays["frei_neurons/rho_own"][r, 0, j] == pytest.approx(
                s * (W[r, j] @ mu[r][k]) / wn, rel=1e-4, abs=1e-5), (r, j)
            assert res.arrays["frei_neurons/rho_other"][r, 0, j] == pytest.approx(
                (W[r, j] @ mu[r][1 - k]) / wn, rel=1e-4, abs=1e-5), (r, j)
    assert flipped >= 1  # the case the test is about happened


def test_nan_median_is_numpys_nanmedian_with_nan_rows():
    """The record's medians: an even count the mean of the two middle values (torch's nanmedian
    gave the lower one until session 50), NaN entries left out, NaN where none is finite.
    Oracle: numpy's nanmedian in float64 on random rows with NaN holes."""
    import warnings

    from twolayer.probes.frei import nan_median

    g = torch.Generator().manual_seed(5)
    for _ in range(300):
        r, n = (int(v) for v in torch.randint(1, 9, (2,), generator=g))
        x = torch.rand(r, n, generator=g)
        x[torch.rand(r, n, generator=g) < 0.3] = float("nan")
        x[0] = float("nan") if n == 1 else x[0]  # an all-NaN row now and then
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN slice
            want = np.nanmedian(x.numpy().astype(np.float64), axis=-1)
        np.testing.assert_allclose(nan_median(x).numpy(), want, rtol=1e-6, equal_nan=True)
