"""Mutation-testing oracles for the Maennel experiments layer
(``twolayer/experiments/maennel2020.py``): which settings each experiment trains, which run each
part of the transfer experiment is paired with, and the views the claims read.

The oracle for a setting is the table of ``docs/papers/maennel2020.md`` ("Network and
training", "Transfer"), typed in here by hand; the oracle for a view is a hand-made record whose
answer is worked out by hand. Each test names the mutants it kills (the older tests let them
through).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twolayer.engine import Runtime
from twolayer.experiments import maennel2020 as mx
from twolayer.record import Record

# docs/papers/maennel2020.md, "Network and training" (full; quick), by hand:
# experiment: (d, spectrum, σ²_min, σ²_max, classes, random labels, R, m, lr, batch, epochs
#              or GD steps, n, held out, steps)
FULL = {
    "e1_random": ("gaussian", "linear", 0.1, 3.0, 10, True, 48, 512, 0.1, 64, 100, 2000, 0, 3100),
    "e1_teacher": ("gaussian", "linear", 0.1, 3.0, 10, False, 48, 512, 0.1, 64, 100, 2000, 0,
                   3100),
    "spread_random": ("gaussian", "log", 1e-3, 3.0, 10, True, 16, 512, 0.2, 64, 150, 2000, 1000,
                      4650),
    "spread_teacher": ("gaussian", "log", 1e-3, 3.0, 10, False, 16, 512, 0.2, 64, 150, 2000, 0,
                       4650),
    "binary_gd": ("gaussian", "linear", 0.1, 3.0, 2, True, 16, 256, 0.5, None, 1000, 1000, 0,
                  1000),
    "xor_random": ("xor", None, None, None, 2, True, 16, 512, 0.2, 64, 150, 2000, 1000, 4650),
}
# "Quick mode: n = 1000 (+500), batch 50, E.1 60 epochs, GD 500 steps on n = 500"; R × m 8 × 256
QUICK = {
    "e1_random": ("gaussian", "linear", 0.1, 3.0, 10, True, 8, 256, 0.1, 50, 60, 1000, 0, 1200),
    "e1_teacher": ("gaussian", "linear", 0.1, 3.0, 10, False, 8, 256, 0.1, 50, 60, 1000, 0,
                   1200),
    "spread_random": ("gaussian", "log", 1e-3, 3.0, 10, True, 8, 256, 0.2, 50, 150, 1000, 500,
                      3000),
    "spread_teacher": ("gaussian", "log", 1e-3, 3.0, 10, False, 8, 256, 0.2, 50, 150, 1000, 0,
                       3000),
    "binary_gd": ("gaussian", "linear", 0.1, 3.0, 2, True, 8, 256, 0.5, None, 500, 500, 0, 500),
    "xor_random": ("xor", None, None, None, 2, True, 8, 256, 0.2, 50, 150, 1000, 500, 3000),
}


@pytest.mark.parametrize("mode,table", [("full", FULL), ("quick", QUICK)])
def test_every_upstream_setting_is_the_documented_one(mode, table) -> None:
    """Each upstream experiment's config against the docs' table, item by item: the data, the
    labels (entirely random: noise 1 under the ``random`` model; teacher/XOR: clean), R × m,
    He initialisation 2/d, the optimiser and the step count. Kills a changed learning rate
    (e1 0.2, spread 0.1, GD 0.05), e1_teacher trained on random labels, xor_random on clean
    labels, 16 pooled E.1 runs for 48, m = 256 for 512, 60 E.1 epochs for 100 (and 100 for 60
    in quick), 500 GD steps for 1000, init 1/d, the ``iid`` noise model at η = 1 (every label
    flipped to the same wrong class, not random), and a spread spectrum from 10⁻²."""
    p = mx.plan(mode == "quick")
    assert p is mx.PLANS[mode]
    for name, (kind, spectrum, lo, hi, K, random, R, m, lr, batch, epochs, n, held,
               steps) in table.items():
        s = getattr(p, name)
        cfg = s.config()
        dc, nc, tc = cfg.data, cfg.net, cfg.train
        assert dc.kind == kind and dc.d == 30, name
        if kind == "gaussian":
            assert (dc.spectrum, dc.sigma2_min, dc.sigma2_max) == (spectrum, lo, hi), name
            assert dc.rotate, name
        else:  # Frei's XOR clusters: σ² = d^-1.2 (the data kind's default)
            assert dc.sigma2 is None, name
        assert dc.num_classes == K, name
        if random:
            assert (dc.noise, dc.noise_model) == (1.0, "random"), name
        else:
            assert dc.noise == 0.0, name
        assert cfg.seeds == R and nc.m == m, name
        assert nc.init_var == pytest.approx(2.0 / 30) and nc.bias and nc.train_second_layer
        assert nc.second_layer == "gaussian", name
        assert tc.lr == lr and tc.batch_size == batch and tc.steps == steps, name
        assert tc.objective == ("softmax" if K > 2 else "logistic"), name
        assert s.epochs == epochs and s.n == n and s.extra == held, name
        assert dc.n == n + held, name


def test_downstream_settings_and_targets_are_the_documented_ones() -> None:
    """"Downstream: n' = 1000 (quick 500), SGD batch 64 (50), lr 0.1, 20 epochs, probes every
    half epoch ... the first 5 epochs ... (teacher 0.9, random labels 0.25, XOR 0.95)". Kills an
    AUC over 10 epochs and an XOR target of 0.9."""
    for mode, n_down, batch in (("full", 1000, 64), ("quick", 500, 50)):
        p = mx.PLANS[mode]
        assert p.spread_random.extra == n_down and p.xor_random.extra == n_down
        d = p.down
        assert (d.epochs, d.lr, d.batch, d.auc_epochs, d.per_epoch) == (20, 0.1, batch, 5, 2)
        assert (p.target("teacher"), p.target("random"), p.target("xor")) == (0.9, 0.25, 0.95)


def test_plan_of_quick_is_the_quick_plan() -> None:
    """Kills ``plan`` reading the quick plan for full mode and the other way round."""
    assert mx.plan(True).e1_random.seeds == 8 and mx.plan(True).e1_random.n == 1000
    assert mx.plan(False).e1_random.seeds == 48 and mx.plan(False).e1_random.n == 2000


def _stub_record(tag: str) -> Record:
    return Record({"tag": tag}, tag, np.zeros(1, dtype=np.int64), {}, {})


def test_each_experiment_trains_its_own_setting(monkeypatch) -> None:
    """Every registered upstream experiment hands its own setting of the plan to the runner
    (``e1_teacher`` the teacher-label setting, not the random one; ``spread_teacher`` likewise),
    and the transfer experiment fine-tunes teacher and random labels after ``spread_random``, the
    XOR labels after ``xor_random``, each with its own task. Kills an experiment that trains the
    other arm (which would make the teacher control identical to the random run) and a transfer
    task paired with the wrong upstream run."""
    seen: list[tuple[str, mx.Upstream, int | None]] = []

    def fake_run(s, runtime, seeds=None):
        seen.append(("run", s, seeds))
        return mx.Trained(_stub_record("r"), None, None, None, s)

    def fake_upstream(s, seeds, runtime):
        seen.append(("up", s, seeds))
        return mx.Trained(_stub_record("u"), None, None, None, s)

    tuned: dict[str, mx.Upstream] = {}

    def fake_fine_tune(up, task, down, runtime):
        tuned[task] = up.setting
        assert down == p.down
        return _stub_record(task)

    monkeypatch.setattr(mx, "run_upstream", fake_run)
    monkeypatch.setattr(mx, "upstream", fake_upstream)
    monkeypatch.setattr(mx, "fine_tune", fake_fine_tune)
    rt = Runtime(device="cpu", progress=False)
    for quick in (True, False):
        p = mx.plan(quick)
        for name in ("e1_random", "e1_teacher", "spread_random", "spread_teacher", "binary_gd",
                     "xor_random"):
            seen.clear()
            getattr(mx, name)(quick, 3, rt)
            assert [s for _, s, _ in seen] == [getattr(p, name)], name
            assert seen[0][2] == 3
        tuned.clear()
        out = mx.transfer_experiment(quick, None, rt)
        assert set(out) == {"teacher", "random", "xor"}
        assert {k: v.run_id for k, v in out.items()} == {t: t for t in out}
        assert tuned == {"teacher": p.spread_random, "random": p.spread_random,
                         "xor": p.xor_random}
    assert mx.PLANS["full"].e1_teacher.labels == "teacher"
    assert mx.PLANS["full"].spread_teacher.labels == "teacher"
    assert dataclasses.replace(mx.PLANS["full"].e1_teacher, labels="random") \
        == mx.PLANS["full"].e1_random


# -- the transfer experiment's pairing, on a real tiny upstream run ---------------------------

TINY_UP = mx.Upstream("gaussian", "random", n=40, m=6, lr=0.1, epochs=2, batch=20, seeds=2,
                      classes=3, d=5, extra=20, n_test=10, num_times=3)
TINY_DOWN = mx.Downstream(epochs=2, lr=0.1, batch=10, auc_epochs=1)


@pytest.fixture(scope="module")
def tiny_up():  # type: ignore[no-untyped-def]
    import torch

    with torch.random.fork_rng():
        torch.set_num_threads(1)
        return mx.run_upstream(TINY_UP, Runtime(device="cpu", progress=False))


def _ce(W, b, a, x, y) -> float:  # type: ignore[no-untyped-def]
    """Mean softmax cross-entropy of f(x) = relu(x Wᵀ + b) a on (x, y), float64 numpy."""
    f = np.maximum(x @ W.T + b, 0.0) @ a
    f = f - f.max(1, keepdims=True)
    return float(np.mean(np.log(np.exp(f).sum(1)) - f[np.arange(len(y)), y]))


def test_upstream_trains_on_its_first_n_samples_only(tiny_up) -> None:
    """The upstream network trains on the first n samples; the ``extra`` ones are held out for
    fine-tuning. Its stored final training error equals the error of its final parameters on
    the first n samples with their (random) training labels, by hand. Kills training on all
    n + extra samples (the fine-tuning set would not be disjoint)."""
    up = tiny_up
    n = TINY_UP.n
    assert up.data.x.shape[1] == n + TINY_UP.extra
    x = up.data.x.double().numpy()[:, :n]
    y = up.data.y.numpy()[:, :n]
    W, b, a = (t.double().numpy() for t in (up.final.W, up.final.b, up.final.a))
    for r in range(TINY_UP.seeds):
        pred = (np.maximum(x[r] @ W[r].T + b[r], 0.0) @ a[r]).argmax(1)
        err = float((pred != y[r]).mean())
        assert abs(err - float(up.record.arrays["errors/train_error"][r, -1])) < 1e-6
    assert up.record.meta["trained_on"] == n and up.record.meta["held_out"] == TINY_UP.extra


@pytest.mark.parametrize("task", ["teacher", "random"])
def test_fine_tuning_variants_start_where_the_docs_say(tiny_up, monkeypatch, task) -> None:
    """docs/papers/maennel2020.md, "Transfer": per seed, five first layers in the order
    scratch, rescaled, unscaled, covariance, rescaled_b0 (variant-major runs), each with the same
    fresh head, fine-tuned on the held-out samples with the clean labels (teacher) or their
    random labels (random), all variants of a seed on that seed's minibatch order. The stored
    loss at t = 0 of each variant equals the cross-entropy, computed here by hand, of its
    first layer: scratch (W(0), b = 0), rescaled ((W, b)·‖W(0)‖/‖W‖), unscaled (W, b),
    rescaled_b0 (W·‖W(0)‖/‖W‖, b = 0), on the held-out samples with the task's labels.
    Kills the label sets swapped, two variants swapped, rescaled_b0 unscaled, a scratch arm
    with the learned biases, steps per epoch from n instead of n', and run seeds that are not
    variant-major (the variants of a seed on different minibatch orders)."""
    from twolayer import transfer

    up = tiny_up
    seen = {}
    real = mx.train

    def spy(params, data, tc, times, probes, runtime, seeds, *args, **kw):  # type: ignore[no-untyped-def]
        seen["seeds"] = list(seeds)
        return real(params, data, tc, times, probes, runtime, seeds, *args, **kw)

    monkeypatch.setattr(mx, "train", spy)
    rec = mx.fine_tune(up, task, TINY_DOWN, Runtime(device="cpu", progress=False))
    R, n, V = TINY_UP.seeds, TINY_UP.n, len(mx.VARIANTS)
    assert mx.VARIANTS == ("scratch", "rescaled", "unscaled", "covariance", "rescaled_b0")
    run_seeds = list(up.record.config.get("seed", 0) + np.arange(R))
    assert seen["seeds"] == [int(s) for s in run_seeds] * V
    assert rec.meta["steps_per_epoch"] == TINY_UP.extra // TINY_DOWN.batch
    assert rec.meta["runs_per_variant"] == R and rec.meta["task"] == task
    x = up.data.x.double().numpy()[:, n:]
    y = (up.data.y_true if task == "teacher" else up.data.y).numpy()[:, n:]
    head = transfer.fresh_head(up.init, [int(s) for s in run_seeds]).a.double().numpy()
    W0 = up.init.W.double().numpy()
    W, b = up.final.W.double().numpy(), up.final.b.double().numpy()
    loss0 = mx.by_variant(rec, "loss")[:, :, 0]
    assert rec.times[0] == 0
    for r in range(R):
        c = np.linalg.norm(W0[r]) / np.linalg.norm(W[r])
        zero = np.zeros_like(b[r])
        want = {"scratch": (W0[r], zero), "rescaled": (c * W[r], c * b[r]),
                "unscaled": (W[r], b[r]), "rescaled_b0": (c * W[r], zero)}
        for v, (Wv, bv) in want.items():
            got = float(loss0[mx.VARIANTS.index(v), r])
            assert abs(got - _ce(Wv, bv, head[r], x[r], y[r])) < 1e-4 * max(1.0, abs(got)), (
                task, v, r)


# -- the views the claims read, on a hand-made record of known neuron vectors -----------------

def _neuron_record(R: int = 4, m: int = 7, d: int = 4, T: int = 3, seed: int = 1):  # type: ignore[no-untyped-def]
    """A record whose ``maennel`` sums and outer products are those of explicit neuron vectors
    w[r, t, j] (W and ΔW = W − W(0)), so that every covariance has a numpy oracle."""
    rng = np.random.default_rng(seed)
    scale = np.array([1.0, 0.5, 2.0, 0.2])[:d]
    w = rng.standard_normal((R, T, m, d)) * scale * (1 + np.arange(T))[None, :, None, None]
    w[:, :, :, 0] += 0.8 * w[:, :, :, 1]  # some misalignment with the data frame
    dw = w - w[:, :1]
    dw[:, 0] = rng.standard_normal((R, m, d)) * 1e-3  # keep Σ_ΔW(0) regular
    arrays = {}
    for name, v in (("w", w), ("dw", dw)):
        arrays[f"maennel/{name}_sum"] = v.sum(2)
        arrays[f"maennel/{name}_outer"] = np.einsum("rtjk,rtjl->rtkl", v, v)
    arrays["static/sigma2"] = np.tile(np.array([3.0, 2.0, 1.0, 0.5])[:d], (R, 1))
    rec = Record({"seeds": R, "net": {"m": m}}, "h", np.arange(T) * 10, arrays, {})
    return rec, w, dw


def test_covariance_views_against_numpy() -> None:
    """``pooled`` of a subset of runs is np.cov of those runs' neurons pooled (ddof 1);
    ``run_covariances`` and ``transfer_functions`` read the last probe time by default (each
    run's own np.cov, and the square root of its diagonal). Kills the run subset ignored and the
    transfer function read at t = 0."""
    rec, w, dw = _neuron_record()
    got = mx.pooled(rec, "w", [1, 3]).numpy()
    for t in range(w.shape[1]):
        want = np.cov(np.concatenate([w[1, t], w[3, t]]).T)
        np.testing.assert_allclose(got[t], want, rtol=1e-9, atol=1e-12)
    rc = mx.run_covariances(rec, "dw").numpy()
    tf = mx.transfer_functions(rec, "w")
    for r in range(w.shape[0]):
        np.testing.assert_allclose(rc[r], np.cov(dw[r, -1].T), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(tf[r], np.sqrt(np.diag(np.cov(w[r, -1].T))), rtol=1e-9)


def test_gap_growth_is_the_last_gap_minus_the_first() -> None:
    """``gap_growth`` returns G(T) − G(0) with G = M_rand − M_data of the pooled W: its estimate
    over all runs equals the difference of the G(T) and G(0) it reports (from the curves of all
    runs). Kills the G(0) term dropped."""
    rec, _, _ = _neuron_record()
    est, ci, g0, gT, pseudo = mx.gap_growth(rec)
    assert abs(g0) > 1e-3
    assert est == pytest.approx(gT - g0, rel=1e-9, abs=1e-12)
    md, mr = mx.m_curves(rec, "w")
    assert g0 == pytest.approx(mr[0] - md[0]) and gT == pytest.approx(mr[-1] - md[-1])
    assert len(pseudo) == rec.seeds


def test_alignment_reports_w_from_w_and_the_gaussian_floor_at_all_pooled_neurons() -> None:
    """``alignment``: M_data and M_rand of W are those of the pooled W at the last probe time
    (not of ΔW), and the Gaussian floor is taken at K = R·m pooled neurons. Kills M_data(W) from
    ΔW's covariance and a floor at K = m."""
    rec, _, _ = _neuron_record()
    al = mx.alignment(rec)
    md, mr = mx.m_curves(rec, "w")
    assert al.m_data_w == pytest.approx(float(md[-1])) and al.m_rand_w == pytest.approx(
        float(mr[-1]))
    assert al.runs == 4 and al.neurons == 28
    cov = mx.pooled(rec, "dw")[-1]
    assert al.floor_gauss == pytest.approx(mx.sampling_floor(cov, 28, mx.groups(rec)))


def test_pseudo_values_of_a_mean_are_the_values() -> None:
    """For the mean, the jackknife pseudo-values R·θ̂ − (R − 1)·θ̂_(r) are the values
    themselves (by hand: R·x̄ − (R − 1)·(R·x̄ − x_r)/(R − 1) = x_r). Kills R·θ̂_(r) for
    (R − 1)·θ̂_(r)."""
    x = np.array([1.0, 4.0, 2.0, 7.0, 3.5])
    est, ci, pseudo = mx.jackknife_pseudo(lambda runs: float(x[runs].mean()), len(x))
    assert est == pytest.approx(x.mean())
    np.testing.assert_allclose(pseudo, x, rtol=1e-12)


def test_effect_relative_is_to_the_scratch_arm() -> None:
    """The relative effect is the mean paired gain over the mean AUC of the reference (scratch)
    arm: gains 1 and 0.5 against a scratch AUC of mean 4 give 0.75/4, by hand. Kills the
    variant's own AUC as the denominator."""
    auc = np.array([[5.0, 3.0], [4.0, 2.5]])
    e = mx.effect(auc, 1)
    assert e.mean == pytest.approx(0.75) and e.relative == pytest.approx(0.75 / 4.0)


def test_covariance_arm_draws_from_the_final_weights_covariance_with_zero_bias(tiny_up) -> None:
    """The ``covariance`` arm: rows w_j ~ N(0, Σ_w) of the covariance of the *pre-trained* W
    (pooled over the R·m neurons of all runs, in each run's data frame: np.cov here, by hand,
    of the final weights), rescaled to ‖W(0)‖_F, with b = 0 and the fresh head; its stored loss
    at t = 0 is the cross-entropy of that network on the held-out samples. The probe times are
    every half epoch of n'/batch steps. Kills the covariance of W(0) (t = 0) for that of the
    final W, the learned biases kept in the covariance arm, and probes once per epoch."""
    import torch

    from twolayer import transfer
    from twolayer.probes import maennel as mp

    up = tiny_up
    rec = mx.fine_tune(up, "teacher", TINY_DOWN, Runtime(device="cpu", progress=False))
    R, n, m = TINY_UP.seeds, TINY_UP.n, TINY_UP.m
    frame = mp.data_frame(up.data)
    W = up.final.W.double()
    pooled_vecs = torch.cat([W[r] @ frame[r].double().T for r in range(R)]).numpy()
    cov = torch.tensor(np.cov(pooled_vecs.T))
    seeds = list(range(R))
    w0 = transfer.frobenius(up.init.W)
    Wc = transfer.covariance_init(cov, frame, m, seeds, w0, torch.float64).numpy()
    head = transfer.fresh_head(up.init, seeds).a.double().numpy()
    x = up.data.x.double().numpy()[:, n:]
    y = up.data.y_true.numpy()[:, n:]
    loss0 = mx.by_variant(rec, "loss")[mx.VARIANTS.index("covariance"), :, 0]
    for r in range(R):
        want = _ce(Wc[r], np.zeros(m), head[r], x[r], y[r])
        assert abs(float(loss0[r]) - want) < 1e-4 * max(1.0, abs(want)), r
    per = TINY_UP.extra // TINY_DOWN.batch
    assert rec.times.tolist() == list(range(0, TINY_DOWN.epochs * per + 1, per // 2))


def test_xor_eigenvalues_are_those_of_the_data() -> None:
    """σ_i² of the XOR clusters in the data frame: σ² + 1/2 along μ1 and μ2, σ² elsewhere
    (σ² = d^-1.2), checked against the sample covariance of 20 000 drawn points (its top two
    eigenvalues, and the mean of the others). Kills σ² + 1/4."""
    import torch

    from twolayer.config import DataConfig
    from twolayer.data import sample_dataset

    dc = DataConfig(kind="xor", d=10, n=20_000, n_test=10, noise=0.0)
    ev = mx.eigenvalues(dc)
    s2 = 10 ** -1.2
    np.testing.assert_allclose(ev, [s2 + 0.5, s2 + 0.5] + [s2] * 8, rtol=1e-12)
    x = sample_dataset(dc, [0], torch.float64).x[0].numpy()
    lam = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1]
    assert abs(lam[0] - (s2 + 0.5)) < 0.05 and abs(lam[1] - (s2 + 0.5)) < 0.05
    assert abs(lam[2:].mean() - s2) < 0.01
