"""Badger (2022): data mixing, input-sensitivity closed forms and the gated memorisation objective,
checked against autograd and plain loops."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch

from twolayer import net
from twolayer.config import DataConfig, NetConfig, TrainConfig
from twolayer.data import badger
from twolayer.engine import Runtime, train
from twolayer.errors import ConfigError
from twolayer.objectives import Memorise, normal_weights
from twolayer.probes.badger import input_loss_gradients

RT = Runtime(device="cpu", progress=False)


def small(seeds=(0, 1), fractions=(1.0, 0.25), n=40, dtype=torch.float64):
    cfg = DataConfig(kind="badger", num_classes=4, d=6, n=n, n_ascended=n, n_test=n)
    return cfg, badger.sample(cfg, list(seeds), list(fractions), dtype)


def asc(data):
    """The mask of the ascended set A."""
    return data.extras["ascended"]


def params(R, d=6, m=16, k=4, dtype=torch.float64, bias=True):
    p = net.init_params(NetConfig(m=m, second_layer="gaussian", train_second_layer=True,
                                  outputs=k, bias=bias), d, list(range(R)), 1.0 / d, dtype)
    if p.b is not None:  # a non-zero bias so the kink pattern is generic
        g = torch.Generator().manual_seed(5)
        p = p.__class__(W=p.W, a=p.a, b=0.3 * torch.randn(p.b.shape, generator=g, dtype=dtype),
                        train_a=p.train_a)
    return p


def autograd_f(p, x):
    return torch.einsum("rnm,rmo->rno", torch.relu(torch.einsum("rnd,rmd->rnm", x, p.W)
                                                   + p.b.unsqueeze(1)), p.a)


def test_mixing_sets_disjoint_and_paired():
    cfg, d1 = small(fractions=(1.0, 0.0))
    assert d1.x.shape == (2, 80, 6) and d1.x_test.shape == (2, 40, 6)
    assert d1.extras["ascended"][:, 40:].all() and not d1.extras["ascended"][:, :40].any()
    # the same seed gives the same signal s and noise ξ at every f: x̃(f) = f s + (1 − f) ξ
    _, d0 = small(seeds=(0, 0), fractions=(1.0, 0.0))
    _, dh = small(seeds=(0,), fractions=(0.5,))
    assert torch.allclose(dh.x[0], 0.5 * d0.x[0] + 0.5 * d0.x[1])
    assert torch.equal(d0.y[0], d0.y[1])
    # no two points shared between train, ascended and hold-out
    allx = torch.cat([d1.x[0], d1.x_test[0]])
    assert torch.cdist(allx, allx).add(torch.eye(120, dtype=allx.dtype)).min() > 1e-6


def test_noise_matched_scale():
    cfg = DataConfig(kind="badger", num_classes=5, d=20, n=4000, n_ascended=1, n_test=1,
                     mean_var=0.36)
    d = badger.sample(cfg, [3, 3], [1.0, 0.0])
    var_s = d.x[0, :4000].var(0).mean()  # Var(μ_y + z) per coordinate ≈ v + 1 (v over the K means)
    var_xi = d.x[1, :4000].var(0).mean()
    assert abs(float(var_xi) - 1.36) < 0.06  # ξ ~ N(0, (v + 1) I)
    assert abs(float(var_s) - float(var_xi)) < 0.4  # five means: var of means noisy around v


@pytest.mark.parametrize("bad", [{"num_classes": 2}, {"n": 0}, {"mean_var": -1.0},
                                 {"noise": 0.1}, {"fraction": 1.5}])
def test_data_config_errors(bad):
    with pytest.raises(ConfigError):
        DataConfig(kind="badger", **bad)
    with pytest.raises(ConfigError):
        badger.sample(DataConfig(kind="badger"), [0], [1.5])


def test_input_jacobian_matches_autograd():
    _, data = small()
    p = params(2)
    x = data.x[:, :10].clone().requires_grad_(True)
    f = autograd_f(p, x)
    J = torch.zeros(2, 10, 4, 6, dtype=x.dtype)
    for k in range(4):
        (g,) = torch.autograd.grad(f[..., k].sum(), x, retain_graph=True)
        J[:, :, k] = g
    assert torch.allclose(net.input_jacobian(p, data.x[:, :10]), J, atol=1e-10)
    norms = net.input_jacobian_norms(p, data.x[:, :10], budget=2 * 16 * 3)
    assert torch.allclose(norms, J.flatten(2).norm(dim=-1), atol=1e-10)


def test_input_loss_gradient_matches_autograd():
    _, data = small()
    p = params(2)
    x = data.x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(
        autograd_f(p, x).flatten(0, 1), data.y.flatten(), reduction="sum")
    (g,) = torch.autograd.grad(loss, x)  # per-sample ∇_x ℓ_i (samples do not interact)
    closed = input_loss_gradients(p, data.x, data.y, "softmax", budget=2 * 16 * 7)
    assert torch.allclose(closed, g, atol=1e-10)


def test_memorise_weights_and_gate():
    _, data = small()
    mem = Memorise(asc(data), 4, gate="chance")
    R, n = data.y.shape
    out = torch.zeros(R, n, 4, dtype=torch.float64)
    # run 0 predicts every ascended label right (acc 1 > 0.26: ascend), run 1 every one wrong
    out[0].scatter_(1, data.y[0].unsqueeze(1), 5.0)
    out[1].scatter_(1, ((data.y[1] + 1) % 4).unsqueeze(1), 5.0)
    w = mem(out, data)
    assert torch.allclose(w[0, :40], torch.full((40,), 1 / 40, dtype=w.dtype))
    assert torch.allclose(w[0, 40:], torch.full((40,), -1 / 40, dtype=w.dtype))
    assert torch.allclose(w[1, 40:], torch.zeros(40, dtype=w.dtype))  # gate off below chance
    assert mem.gates[-1].tolist() == [1.0, 0.0]
    assert Memorise(asc(data), 4, gate="none").gate(out, data.y).tolist() == [1.0, 1.0]
    # target gates: exactly half of A right in run 0 (accuracy 0.5 reaches a 0.5 target: the
    # author ascends unless the accuracy is below the threshold)
    half = out.clone()
    half[0, 40:60] = 0.0
    half[0, 40:60].scatter_(1, ((data.y[0, 40:60] + 1) % 4).unsqueeze(1), 5.0)
    assert float(Memorise(asc(data), 4, gate=0.5).ascended_accuracy(half, data.y)[0]) == 0.5
    assert Memorise(asc(data), 4, gate=0.5).gate(half, data.y).tolist() == [1.0, 0.0]
    assert Memorise(asc(data), 4, gate=0.525).gate(half, data.y).tolist() == [0.0, 0.0]
    with pytest.raises(ConfigError):
        Memorise(asc(data), 4, gate=1.5)


def reaches(right: int, size: int, threshold: float) -> bool:
    """The author's gate, in exact rationals: ascend unless the accuracy right/size is below τ
    (card: "g_t = 0 ... if ... < 0.11; g_t = 1 otherwise"); τ read as the decimal it is written
    as (1/K + 0.01 at K = 4 is 0.26, not the float 0.25 + 0.01)."""
    if math.isinf(threshold):
        return threshold < 0
    return Fraction(right, size) >= Fraction(repr(round(threshold, 12)))


def reference_mem_gd(p, data, lr, steps, threshold):
    """Plain autograd GD on L = mean_T ℓ − g mean_A ℓ with g from f(θ_{t−1})'s accuracy on A."""
    W, a, b = (t.clone().requires_grad_(True) for t in (p.W, p.a, p.b))
    q = p.__class__(W=W, a=a, b=b, train_a=True)
    asc = data.extras["ascended"]
    prev = autograd_f(q, data.x).detach()
    for _ in range(steps):
        right = (prev.argmax(-1) == data.y) & asc
        g = torch.tensor([float(reaches(int(k), int(n), threshold))
                          for k, n in zip(right.sum(1), asc.sum(1))], dtype=torch.float64)
        f = autograd_f(q, data.x)
        ell = torch.nn.functional.cross_entropy(f.transpose(1, 2), data.y, reduction="none")
        loss = ((ell * ~asc).sum(1) / (~asc).sum(1) - g * (ell * asc).sum(1) / asc.sum(1)).sum()
        gW, ga, gb = torch.autograd.grad(loss, (W, a, b))
        prev = f.detach()
        with torch.no_grad():
            W -= lr * gW
            a -= lr * ga
            b -= lr * gb
    return W.detach(), a.detach(), b.detach()


def test_engine_memorise_matches_reference():
    _, data = small()
    p = params(2)
    mem = Memorise(asc(data), 4, gate=0.3)
    res = train(p, data, TrainConfig(lr=0.5, steps=6, objective="softmax"), [0, 6], (), RT,
                weights=mem)
    W, a, b = reference_mem_gd(p, data, 0.5, 6, 0.3)
    assert torch.allclose(res.params.W, W, atol=1e-9)
    assert torch.allclose(res.params.a, a, atol=1e-9)
    assert torch.allclose(res.params.b, b, atol=1e-9)
    assert len(mem.gates) == 6


def test_normal_weights_ignore_ascended_set():
    _, data = small()
    p = params(2)
    w = normal_weights(asc(data), torch.float64)
    res = train(p, data, TrainConfig(lr=0.5, steps=3, objective="softmax"), [0, 3], (), RT,
                weights=w)
    W, _, _ = reference_mem_gd(p, data, 0.5, 3, threshold=math.inf)  # gate never opens
    assert torch.allclose(res.params.W, W, atol=1e-9)


def test_sgd_gathers_weights():
    """SGD with weights s_i: the minibatch uses s_i · n/B; uniform s = 1/n is plain SGD."""
    _, data = small(n=20)
    p = params(2)
    cfg = TrainConfig(lr=0.3, steps=5, objective="softmax", batch_size=10)
    plain = train(p, data, cfg, [0, 5], (), RT, seeds=[0, 1])
    uni = train(p, data, cfg, [0, 5], (), RT, seeds=[0, 1],
                weights=torch.full((2, 40), 1 / 40, dtype=torch.float64))
    assert torch.allclose(plain.params.W, uni.params.W, atol=1e-12)
    zero = train(p, data, cfg, [0, 5], (), RT, seeds=[0, 1],
                 weights=torch.zeros(2, 40, dtype=torch.float64))
    assert torch.equal(zero.params.W, p.W)
    w = normal_weights(asc(data), torch.float64)  # 0 on A: A's samples must not move θ
    half = train(p, data, cfg, [0, 5], (), RT, seeds=[0, 1], weights=w)
    assert not torch.allclose(half.params.W, plain.params.W)
    with pytest.raises(ConfigError):  # a step-wise objective that draws no minibatches
        train(p, data, cfg, [0, 5], (), RT, weights=lambda out, dt: normal_weights(dt.ascended))


def test_badger_probe_accuracies():
    from twolayer.probes import ProbeState, run_probes

    _, data = small()
    p = params(2)
    out = run_probes(("badger",), ProbeState(0, p, p, data, "softmax"))
    f, fh = net.forward(p, data.x), net.forward(p, data.x_test)
    for r in range(2):  # plain per-set loop
        right = (f[r].argmax(-1) == data.y[r]).double()
        assert float(out["badger/acc_train"][r]) == pytest.approx(float(right[:40].mean()))
        assert float(out["badger/acc_ascended"][r]) == pytest.approx(float(right[40:].mean()))
        hr = (fh[r].argmax(-1) == data.y_test[r]).double().mean()
        assert float(out["badger/acc_holdout"][r]) == pytest.approx(float(hr))
        jn = torch.stack([net.input_jacobian(p.select([r]), data.x[r:r + 1, i:i + 1]).norm()
                          for i in range(40)])
        assert float(out["badger/jac_train"][r]) == pytest.approx(float(jn.mean()))


def test_training_rows_picks_each_runs_rows_or_declines():
    from twolayer.probes.badger import training_rows

    x = torch.arange(2 * 5 * 3, dtype=torch.float64).view(2, 5, 3)
    keep = torch.tensor([[True, False, True, False, True], [False, True, True, True, False]])
    got = training_rows(x, keep)
    assert got is not None and got.shape == (2, 3, 3)
    for r in range(2):  # the kept rows of each run, in order
        assert torch.equal(got[r], x[r][keep[r]])
    keep[1, 0] = True  # 3 rows in run 0, 4 in run 1: no common shape
    assert training_rows(x, keep) is None


@pytest.mark.parametrize("same_counts", [True, False], ids=["T-rows", "masked"])
def test_badger_probe_train_sensitivities_per_sample(same_counts):
    """jac_train and gradx_train are means over T of per-sample values (a plain loop), whether
    the probe takes T's rows (every run has the same |T|) or masks all training points."""
    from dataclasses import replace

    from twolayer.probes import ProbeState, run_probes
    from twolayer.probes.badger import scale_probe

    _, data = small()
    if not same_counts:  # run 1's first T point counted as ascended: |T| differs between runs
        a = asc(data).clone()
        a[1, 0] = True
        data = replace(data, extras={**data.extras, "ascended": a})
    p = params(2)
    out = run_probes(("badger",), ProbeState(0, p, p, data, "softmax"))
    scale = scale_probe(ProbeState(0, p, p, data, "softmax"))
    ac = p.a - p.a.mean(-1, keepdim=True)
    pc = net.Params(W=p.W, a=ac, b=p.b, train_a=p.train_a)
    for r in range(2):
        t_idx = [i for i in range(data.x.shape[1]) if not asc(data)[r, i]]
        one = p.select([r])
        jn = [net.input_jacobian(one, data.x[r:r + 1, i:i + 1]).norm() for i in t_idx]
        gx = [input_loss_gradients(one, data.x[r:r + 1, i:i + 1], data.y[r:r + 1, i:i + 1],
                                   "softmax").norm() for i in t_idx]
        jc = [net.input_jacobian(pc.select([r]), data.x[r:r + 1, i:i + 1]).norm() for i in t_idx]
        z = [net.forward(pc.select([r]), data.x[r:r + 1, i:i + 1]).square().sum() for i in t_idx]
        assert float(out["badger/jac_train"][r]) == pytest.approx(float(torch.stack(jn).mean()))
        assert float(out["badger/gradx_train"][r]) == pytest.approx(float(torch.stack(gx).mean()))
        assert float(scale["jacc_train"][r]) == pytest.approx(float(torch.stack(jc).mean()))
        assert float(scale["zrms_train"][r]) == pytest.approx(float(torch.stack(z).mean().sqrt()))


# ---- the memorise objective under minibatch SGD (paired minibatches, per-epoch gate) ----------


def reference_mem_sgd(p, data, lr, steps, batch, threshold, seeds):
    """Plain float64 autograd loop, one run at a time: each step B points of T and B of A in the
    order of fresh per-epoch permutations (streams memorise-train / memorise-ascended), loss
    mean_{B_T} ℓ − g_e mean_{B_A} ℓ, g_e = 1[accuracy on all of A at the epoch's start ≥ τ]."""
    from twolayer.seeding import generator

    out, gates = [], []
    for r in range(p.runs):
        q = p.select([r])
        W, a, b = (t[0].clone().requires_grad_(True) for t in (q.W, q.a, q.b))
        asc = data.extras["ascended"][r]
        tr_idx = [i for i in range(asc.numel()) if not asc[i]]
        as_idx = [i for i in range(asc.numel()) if asc[i]]
        gt, ga = generator(seeds[r], "memorise-train"), generator(seeds[r], "memorise-ascended")
        x, y = data.x[r], data.y[r]

        def f(xx, W=W, a=a, b=b):
            return torch.relu(xx @ W.T + b) @ a

        per_epoch = min(len(tr_idx), len(as_idx)) // batch
        gr = []
        for t in range(steps):
            k = t % per_epoch
            if k == 0:
                with torch.no_grad():
                    right = sum(int(f(x[i]).argmax() == y[i]) for i in as_idx)
                g = 1.0 if reaches(right, len(as_idx), threshold) else 0.0
                pt = [tr_idx[j] for j in torch.randperm(len(tr_idx), generator=gt).tolist()]
                pa = [as_idx[j] for j in torch.randperm(len(as_idx), generator=ga).tolist()]
            gr.append(g)
            bt, ba = pt[k * batch:(k + 1) * batch], pa[k * batch:(k + 1) * batch]
            ce = torch.nn.functional.cross_entropy
            loss = ce(f(x[bt]), y[bt]) - g * ce(f(x[ba]), y[ba])
            gW, ga_, gb = torch.autograd.grad(loss, (W, a, b))
            with torch.no_grad():
                W -= lr * gW
                a -= lr * ga_
                b -= lr * gb
        out.append((W.detach(), a.detach(), b.detach()))
        gates.append(gr)
    return out, gates


@pytest.mark.parametrize("gate", ["chance", "none", 0.3])
def test_engine_memorise_sgd_matches_plain_loop(gate):
    _, data = small(n=20)
    p = params(2)
    mem = Memorise(asc(data), 4, gate=gate)
    steps, batch, lr = 9, 6, 0.7  # 3 steps per epoch: 3 epochs, gates at steps 0, 3, 6
    cfg = TrainConfig(lr=lr, steps=steps, objective="softmax", batch_size=batch)
    res = train(p, data, cfg, [0, steps], (), RT, seeds=[4, 7], weights=mem)
    ref, gates = reference_mem_sgd(p, data, lr, steps, batch, mem.threshold, [4, 7])
    for r in range(2):
        assert torch.allclose(res.params.W[r], ref[r][0], atol=1e-10)
        assert torch.allclose(res.params.a[r], ref[r][1], atol=1e-10)
        assert torch.allclose(res.params.b[r], ref[r][2], atol=1e-10)
    assert torch.stack(mem.gates, 1).tolist() == gates
    assert not torch.allclose(res.params.W, p.W)


def test_memorise_sgd_gate_per_epoch_and_weights():
    _, data = small(n=20)
    p = params(2)
    acc = Memorise(asc(data), 4).ascended_accuracy(net.forward(p, data.x), data.y)
    assert acc[0] > 0  # the threshold below sits exactly at run 0's accuracy
    # at the threshold: on; one point of A above it: off (evaluated on the whole of A at the
    # epoch start)
    n_a = int(asc(data)[0].sum())
    for tau, want in ((float(acc[0]), 1.0), (float(acc[0]) + 1 / n_a, 0.0)):
        mem = Memorise(asc(data), 4, gate=tau)
        it = mem.minibatches(p, data, 5, [0, 1], net.DEFAULT_CHUNK_ELEMENTS)
        for _ in range(8):  # two epochs of 4 steps, the parameters unchanged
            x, y, s = next(it)
            assert x.shape == (2, 10, 6) and s.shape == (2, 10)
            assert torch.allclose(s[:, :5].sum(1), torch.ones(2, dtype=s.dtype))
            assert torch.allclose(s[0, 5:].sum(), torch.tensor(-want, dtype=s.dtype))
            assert (s[:, 5:] <= 0).all()
        assert [float(g[0]) for g in mem.gates] == [want] * 8
    # rows: B from T then B from A; an epoch visits every point of T and of A exactly once
    mem = Memorise(asc(data), 4, gate="none")
    it = mem.minibatches(p, data, 5, [0, 1], net.DEFAULT_CHUNK_ELEMENTS)
    seen_tr, seen_as = [], []
    for _ in range(4):
        x, y, s = next(it)
        seen_tr.append(x[0, :5])
        seen_as.append(x[0, 5:])
        assert torch.allclose(s[:, 5:].sum(1), -torch.ones(2, dtype=s.dtype))
    key = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731
    assert key(torch.cat(seen_tr)) == key(data.x[0, :20])
    assert key(torch.cat(seen_as)) == key(data.x[0, 20:])
    # never: the normal objective on the same paired minibatches (no ascent, no forward needed)
    mem = Memorise(asc(data), 4, gate="never")
    _, _, s = next(mem.minibatches(p, data, 5, [0, 1], net.DEFAULT_CHUNK_ELEMENTS))
    assert (s[:, 5:] == 0).all()
    with pytest.raises(ConfigError):
        next(Memorise(asc(data), 4).minibatches(p, data, 21, [0, 1], 10**6))


def test_memorise_sgd_gate_turns_off_during_training():
    """Ungated ascent drives A's accuracy to (near) 0; the chance gate then switches off at an
    epoch start, and every recorded gate is the accuracy test at that epoch's start."""
    _, data = small(n=40, fractions=(0.0, 0.0))
    p = params(2)
    mem = Memorise(asc(data), 4, gate="chance")
    cfg = TrainConfig(lr=0.5, steps=80, objective="softmax", batch_size=10)
    train(p, data, cfg, [0, 80], (), RT, seeds=[0, 1], weights=mem)
    g = torch.stack(mem.gates, 1)  # [R, steps]
    assert (g.reshape(2, 20, 4) == g.reshape(2, 20, 4)[..., :1]).all()  # constant per epoch
    assert (g == 0).any() and (g == 1).any()


def test_a_continued_phase_draws_the_next_epochs_not_the_first_ones_again():
    """Normal training for E epochs and then E more from its end, the second phase with
    ``skip_epochs`` = E, is one uninterrupted run of 2E epochs (plain SGD carries no state
    across the calls): the same final parameters, bit for bit. Without the skip the second
    phase repeats the first phase's minibatch orders and ends elsewhere."""
    _, data = small(n=20)
    p = params(2)
    steps_per_epoch, E, batch = 4, 3, 5
    cfg = TrainConfig(lr=0.3, steps=E * steps_per_epoch, objective="softmax", batch_size=batch)
    whole = TrainConfig(lr=0.3, steps=2 * E * steps_per_epoch, objective="softmax",
                        batch_size=batch)
    seeds = [4, 7]
    one = train(p, data, whole, [0, whole.steps], (), RT, seeds=seeds,
                weights=Memorise(asc(data), 4, "never")).params
    first = train(p, data, cfg, [0, cfg.steps], (), RT, seeds=seeds,
                  weights=Memorise(asc(data), 4, "never")).params
    second = train(first, data, cfg, [0, cfg.steps], (), RT, seeds=seeds,
                   weights=Memorise(asc(data), 4, "never", skip_epochs=E)).params
    repeated = train(first, data, cfg, [0, cfg.steps], (), RT, seeds=seeds,
                     weights=Memorise(asc(data), 4, "never")).params
    assert torch.equal(second.W, one.W) and torch.equal(second.a, one.a)
    assert torch.equal(second.b, one.b)
    assert not torch.allclose(repeated.W, one.W)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_skip_epochs_must_be_a_count(bad):
    with pytest.raises(ConfigError, match="skip.epochs"):
        Memorise(asc(small()[1]), 4, "never", skip_epochs=bad)


def test_the_gate_reads_the_set_sizes_copied_once_not_every_step():
    """Full-batch GD evaluates the gate at every step: after the first call the mask and |A|
    come from the copies on the outputs' device (no host-to-device copy per step on a GPU), so
    the host tensors are not read again (here: removed after the first step)."""
    _, data = small()
    mem = Memorise(asc(data), 4, gate="chance")
    R, n = data.y.shape
    out = torch.zeros(R, n, 4, dtype=torch.float64)
    out[0].scatter_(1, data.y[0].unsqueeze(1), 5.0)
    first = mem(out, data)
    mem.ascended = mem.n_asc = mem.n_tr = None  # the host copies: gone
    again = mem(out, data)
    assert torch.equal(first, again)
    assert [g.tolist() for g in mem.gates] == [[1.0, 0.0], [1.0, 0.0]]
