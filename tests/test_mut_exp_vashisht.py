"""Mutation-testing oracles for the Vashisht experiments layer
(``twolayer/experiments/vashisht2024.py``): the plans' settings and the label-noise model of each
η, against the plan table of ``docs/papers/vashisht2024.md`` (typed in here by hand), and the
views the claims read, against hand-made records. Each test names the mutants it kills (the
older tests let them through).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from twolayer.experiments import vashisht2024 as xv


def test_full_and_quick_plans_are_the_documented_ones() -> None:
    """docs/papers/vashisht2024.md, "plan" table: full n = 1000, n_test = 2000, 8 seeds,
    η ∈ {0, 0.1, …, 0.5}, SGD lr 0.1 batch 64, T1 = 20 000, T2 = 5 000 (keep, reinit, rescale,
    input noise), GD lr 1 full batch T1 = 10 000, T2 = 2 500, η ∈ {0, 0.2, 0.4}, keep only;
    quick n = 300, n_test = 600, 6 seeds, η ∈ {0, 0.2, 0.5}, T1 = 6 000, T2 = 1 500, no GD arm;
    both d = 10, 4 slabs, γ = 0.1, m = 100, He initialisation 2/d. Control design: σ searched in
    [0, 8], η_ref = 0.2, σ_flip = 0.5. Kills 6 seeds for 8 (and 5 for 6), n = 300 in the full
    plan, a changed η grid (quick 0.4 for 0.5, full without 0.1, GD 0.5 for 0.4), lr 0.05,
    T1 = 2 000, margin 0.2, init 1/d, η_ref 0.3, σ_flip 1, σ_max 4, and the two plans swapped."""
    full, quick = xv.plan(False), xv.plan(True)
    assert full is xv.PLANS["full"] and quick is xv.PLANS["quick"]
    for p in (full, quick):
        assert (p.d, p.slabs, p.m, p.margin) == (10, 4, 100, 0.1)
        assert p.init_var == pytest.approx(2.0 / 10)
        assert (p.input_ref_eta, p.input_sigma_max, p.flip_sigma) == (0.2, 8.0, 0.5)
        assert p.seed == 0
        nc = p.net_config()
        assert nc.m == 100 and nc.init_var == pytest.approx(0.2) and nc.bias
        assert nc.train_second_layer and nc.second_layer == "gaussian"
    assert (full.n, full.n_test, full.seeds) == (1000, 2000, 8)
    assert (quick.n, quick.n_test, quick.seeds) == (300, 600, 6)
    s = full.sgd
    assert (s.name, s.lr, s.batch_size, s.T1, s.T2) == ("sgd", 0.1, 64, 20_000, 5_000)
    assert s.etas == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    assert s.variants == ("keep", "reinit", "rescale") and s.input_noise
    g = full.gd
    assert (g.name, g.lr, g.batch_size, g.T1, g.T2) == ("gd", 1.0, None, 10_000, 2_500)
    assert g.etas == (0.0, 0.2, 0.4) and g.variants == ("keep",) and not g.input_noise
    q = quick.sgd
    assert (q.name, q.lr, q.batch_size, q.T1, q.T2) == ("sgd", 0.1, 64, 6_000, 1_500)
    assert q.etas == (0.0, 0.2, 0.5)
    assert q.variants == ("keep", "reinit", "rescale") and q.input_noise
    assert quick.gd is None and quick.arm("gd") is None
    assert full.arm("sgd") is s and full.arm("gd") is g


@pytest.mark.parametrize("kind", ["lms", "linxor"])
def test_each_eta_is_its_documented_noise_model(kind) -> None:
    """"Training labels flipped at rate η: i.i.d. flips for η < 1/2, uniformly random labels
    (noise model random with replacement probability 1) for η = 1/2". Under the ``random``
    model at rate η a label is replaced by a uniform one, which flips it at η/2 only. Kills the
    ``random`` model for η < 1/2."""
    p = xv.plan(False)
    for eta in (0.0, 0.1, 0.2, 0.4):
        dc = p.data_config(kind, eta)
        assert (dc.noise, dc.noise_model) == (eta, "iid")
        assert (dc.kind, dc.d, dc.n, dc.n_test, dc.margin) == (kind, 10, 1000, 2000, 0.1)
    dc = p.data_config(kind, 0.5)
    assert (dc.noise, dc.noise_model) == (1.0, "random")
    if kind == "lms":
        assert dc.slabs == 4


# -- a real tiny study (the experiment's own runner), checked against plain re-computations -----

TINY = xv.Plan(d=6, slabs=2, n=60, n_test=80, m=8, seeds=3, num_times1=3, num_times2=3,
               sgd=xv.Arm("sgd", lr=0.1, batch_size=20, T1=40, T2=10, etas=(0.0, 0.5)),
               gd=None)


@pytest.fixture(scope="module")
def study():  # type: ignore[no-untyped-def]
    from twolayer.engine import Runtime

    with torch.random.fork_rng():
        torch.set_num_threads(1)
        return xv.run_study("lms", TINY, TINY.sgd, Runtime(device="cpu", progress=False))


def _predict(W: np.ndarray, a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sign of Σ_j a_j relu(⟨w_j, x⟩ + b_j) (float64, one run): the ±1 prediction (ties,
    e.g. every unit inactive, → −1)."""
    f = np.maximum(x @ W.T + b, 0.0) @ a
    return np.where(f > 0, 1, -1)


def test_phase_two_trains_each_run_on_its_own_seeds_clean_labels(study) -> None:
    """Every phase-2 run (each variant, η and seed) trains on the *clean* labels of its own
    seed's inputs: its final network's accuracy on those (drawn again here with the η = 0
    config and the run's seed), computed with a plain numpy forward pass, equals the stored
    end-of-phase-2 training accuracy. Kills phase 2 on the phase-1 (noisy) labels and phase 2
    on another seed's data or minibatch order is not needed for this: the data alone."""
    from twolayer.data import sample_dataset

    a = study.arrays
    clean = sample_dataset(TINY.data_config("lms", 0.0), list(range(TINY.seeds)),
                           torch.float32)
    x = clean.x.double().numpy()
    y = clean.y_true.numpy()
    W, A, B = a["final/W"].astype(float), a["final/a"].astype(float), a["final/b"].astype(float)
    acc = a["vashisht/train_acc"][:, -1]
    noisy_rows = 0
    for i in range(a["phase2/variant"].shape[0]):
        s = int(a["phase2/seed"][i])
        pred = _predict(W[i], A[i], B[i], x[s])
        assert abs(float((pred == y[s]).mean()) - float(acc[i])) < 1e-6, i
        noisy_rows += a["phase2/eta"][i] == 0.5
    assert noisy_rows == 3 * TINY.seeds  # keep, reinit, rescale at η = 0.5


def test_each_variant_changes_what_it_says(study) -> None:
    """From the same phase-1 run, ``reinit`` (a fresh head) and ``rescale`` (‖W‖ back to its
    initial norm) end phase 2 elsewhere than ``keep``; ``keep`` at η = 0 is the baseline (its
    disagreement with itself is 0). The stored disagreement with the baseline and between seed
    partners is recomputed by hand from the stored final weights on the seed's clean test
    inputs (partner: same variant and η, seed r + 1 mod R). Kills a reinit that keeps the head,
    a rescale to the run's own norm (a no-op), every run compared with seed 0's baseline, and
    a run compared with itself as its seed partner."""
    from twolayer.data import sample_dataset

    a = study.arrays
    R = TINY.seeds
    clean = sample_dataset(TINY.data_config("lms", 0.0), list(range(R)), torch.float32)
    xt = clean.x_test.double().numpy()
    W, A, B = a["final/W"].astype(float), a["final/a"].astype(float), a["final/b"].astype(float)
    key = {(int(a["phase2/variant"][i]), float(a["phase2/eta"][i]), int(a["phase1/source"][
        a["phase2/source"][i]]), int(a["phase2/seed"][i])): i
        for i in range(a["phase2/variant"].shape[0])}
    keep, reinit, rescale = (xv.VARIANTS.index(v) for v in ("keep", "reinit", "rescale"))
    for eta in (0.0, 0.5):
        for s in range(R):
            k, r, c = key[keep, eta, 0, s], key[reinit, eta, 0, s], key[rescale, eta, 0, s]
            assert not np.allclose(W[k], W[r]) and not np.allclose(W[k], W[c])
            assert not np.allclose(A[k], A[r])
    for (v, eta, src, s), i in key.items():
        base = key[keep, 0.0, 0, s]
        partner = key[v, eta, src, (s + 1) % R]
        p = _predict(W[i], A[i], B[i], xt[s])
        d_base = float((p != _predict(W[base], A[base], B[base], xt[s])).mean())
        d_seed = float((p != _predict(W[partner], A[partner], B[partner], xt[s])).mean())
        assert abs(d_base - float(a["final/disagree_test"][i])) < 1e-6, (v, eta, s)
        assert abs(d_seed - float(a["final/disagree_seed"][i])) < 1e-6, (v, eta, s)
    assert sum(a["final/disagree_seed"] > 0) > 0


def test_noisy_fit_is_the_share_of_flipped_points_fitted() -> None:
    """``phase1/noisy_fit`` is mean over the *flipped* training points of 1[prediction = noisy
    label]. A hand-made network whose predictions are known: f(x) = x_0 (one unit relu(x_0),
    a = 1, minus one unit relu(−x_0)): predictions sgn x_0 = the clean label of LMS data; so on
    the flipped points it fits none (0) and, were the mask inverted, it would fit all the
    clean ones (1). Kills the mask of the clean points."""
    from twolayer.data import sample_dataset
    from twolayer.net import Params

    p = TINY
    data = sample_dataset(p.data_config("lms", 0.3), [0, 1], torch.float64)
    assert data.noisy.any(1).all()
    W = torch.zeros(2, 2, p.d, dtype=torch.float64)
    W[:, 0, 0], W[:, 1, 0] = 1.0, -1.0
    a = torch.tensor([1.0, -1.0], dtype=torch.float64).view(1, 2, 1).expand(2, 2, 1).clone()
    par = Params(W=W, a=a, b=torch.zeros(2, 2, dtype=torch.float64), train_a=True)
    order = [("keep", 0), ("keep", 1)]
    rows = [(0.0, 0, 0), (0.0, 0, 1)]  # the bookkeeping of _measure (its baseline keys)
    out = xv._measure(par, par, data, par, data, order, rows, 2, torch.device("cpu"))
    np.testing.assert_array_equal(out["phase1/noisy_fit"], [0.0, 0.0])


def test_controls_are_clean_labelled_and_every_run_keeps_its_seed(monkeypatch) -> None:
    """Common random numbers (docs: "Run r of every arm uses seed seed + r for its data,
    initialisation and minibatch order"): in both training calls run i carries the seed of its
    row (phase 1: η-major then the input-noise rows; phase 2: the seed of the phase-1 row it
    continues), and the reinit heads are drawn from each run's own seed. The input-noise
    control trains on clean labels (η = 0: training accuracy against its labels equals that
    against the clean labels at every probe time, and no point is noisy, so noisy_fit is 0/0).
    Kills the control trained at η = 0.2, every phase-2 run on seed 0's minibatch order, and
    every reinit head drawn from seed 0."""
    from twolayer.engine import Runtime

    seen: dict[str, list] = {"train": [], "heads": []}
    real_train, real_heads = xv.train, xv.fresh_heads

    def spy_train(params, data, cfg, times, probes, runtime, seeds, *a, **kw):  # type: ignore[no-untyped-def]
        seen["train"].append(list(seeds))
        return real_train(params, data, cfg, times, probes, runtime, seeds, *a, **kw)

    def spy_heads(m, seeds, dtype):  # type: ignore[no-untyped-def]
        seen["heads"].append(list(seeds))
        return real_heads(m, seeds, dtype)

    monkeypatch.setattr(xv, "train", spy_train)
    monkeypatch.setattr(xv, "fresh_heads", spy_heads)
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        rec = xv.run_study("linxor", TINY, TINY.sgd, Runtime(device="cpu", progress=False))
    a = rec.arrays
    R = TINY.seeds
    s1, s2 = seen["train"]
    assert s1 == list(range(R)) * 2 + list(range(R)) * 2  # η ∈ {0, 0.5}, then sources 1, 2
    assert s1 == a["phase1/seed"].tolist()
    assert s2 == a["phase2/seed"].tolist() and sorted(set(s2)) == list(range(R))
    assert seen["heads"] == [list(range(R)) * 2]  # the reinit rows: η = 0 and 0.5, by seed
    ctrl = a["phase1/source"] != 0
    assert (a["phase1/eta"][ctrl] == 0).all()
    np.testing.assert_array_equal(a["phase1/vashisht/train_acc"][ctrl],
                                  a["phase1/vashisht/train_acc_true"][ctrl])
    assert np.isnan(a["phase1/noisy_fit"][ctrl]).all()


def test_flip_reference_arm_measures_its_flips(study) -> None:
    """The ``input-noise-flip`` reference arm perturbs every coordinate by σ_flip z; the share of
    points whose simple feature changed label (``input_s_flip``) is then exactly the share that
    the same unconstrained noise flips (``input_s_flip_unconstrained``), and positive (docs:
    about 17% at σ = 0.5); the feature-preserving control flips none. Kills a flip share that
    compares the clean labels with themselves (always 0)."""
    a = study.arrays
    src = a["phase1/source"]
    flip, ctrl = src == 2, src == 1
    np.testing.assert_array_equal(a["phase1/input_s_flip"][flip],
                                  a["phase1/input_s_flip_unconstrained"][flip])
    assert (a["phase1/input_s_flip"][flip] > 0).all()
    assert (a["phase1/input_s_flip"][ctrl] == 0).all()
    assert (a["phase1/input_s_flip_unconstrained"][ctrl] > 0).all()


def test_calibrated_sigma_is_the_smallest_that_reaches_the_target(monkeypatch) -> None:
    """docs: σ is "the smallest value in [0, 8] ... at which the 1-NN loss ... *reaches* its loss
    on (clean inputs, labels flipped at η_ref)". The reference learner's loss is a step function
    of σ (a share of n points), so the target is often met with equality on a whole interval;
    with the target set to a value the curve takes on an interval (here: the loss at σ = 1),
    the returned σ has loss ≥ target and every σ a bisection step below it has loss < target.
    Kills "exceeds" (>) for "reaches" (≥), which returns the right end of that interval."""
    from twolayer.data import sample_dataset

    p = TINY
    data = sample_dataset(p.data_config("lms", 0.0), [3], torch.float64)
    x, y = data.x[0], data.y_true[0]
    g = torch.Generator().manual_seed(5)
    z = torch.randn(x.shape, generator=g, dtype=torch.float64)
    u = torch.rand(x.shape, generator=g, dtype=torch.float64)

    def loss(s: float) -> float:
        return xv.nn_loo_error(xv.preserving_noise("lms", x, p.slabs, p.margin, s, z, u), y)

    grid = [k / 64 for k in range(0, 257)]
    target = loss(1.0)
    plateau = [s for s in grid if loss(s) == target]
    assert len(plateau) >= 3 and 0 < target  # the curve stays at the target on an interval
    real = xv.nn_loo_error
    ref = object()

    def fake(xx, yy):  # type: ignore[no-untyped-def]
        return target if yy is ref else real(xx, yy)

    monkeypatch.setattr(xv, "nn_loo_error", fake)
    sigma, tgt, reached = xv.calibrate_sigma("lms", x, y, ref, p.slabs, p.margin, z, u, 4.0)
    assert tgt == target and reached == loss(sigma) >= target
    step = 4.0 / 2 ** 30
    assert loss(sigma - 2 * step) < target
    assert sigma <= min(plateau) + 1 / 64
