"""What the experiments hand to the claims, against independent oracles: the linear-baseline
record of frei2023 (which fit, with or without a bias, scored against the noisy or the clean
test labels, goes under which key) against a ridge-logistic fit by scipy and a hand-written
one-vs-three classifier; the regime records' t = 0 facts and families on a tiny plan.

Mutation testing of the experiments layer (2026-12-05): the bias and no-bias arms of the linear
baseline swapped, or their noisy and clean accuracies swapped, passed the earlier tests (the
claims read ``logreg_nobias_acc_clean`` for "linear classifiers are at chance")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from twolayer.engine import Runtime
from twolayer.experiments import frei2023 as E
from twolayer.simulate import setup

RT = Runtime(device="cpu", progress=False)
# a tiny plan: the linear baseline at d = 6 with n = 80 > d; eta = 0.25 so that the noisy and
# clean test accuracies differ by about a quarter
TINY_REG = E.Regime(ds=(40,), n=80, m=4, noise=0.25, sigma2_d=0.5, init_var_md=1e-6, lr=0.25,
                    n_test=400, seeds=2)
TINY = E.Plan(regime=TINY_REG, deep=None, linear_d=6, adversarial_d=40, movement_d=40,
              movement_init_var_md=(1e-6,), high_d=None, low_d=None, fig1=None)  # type: ignore


def _ridge_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin_v mean_i log(1 + exp(-y_i <v, x_i>)) + 1e-4 ||v||^2 / 2 (twolayer.baselines'
    objective, by scipy's BFGS in float64)."""
    def J(v):
        z = y * (x @ v)
        return np.logaddexp(0.0, -z).mean() + 0.5e-4 * v @ v

    def g(v):
        z = y * (x @ v)
        s = 0.5 * (1.0 - np.tanh(z / 2.0))  # sigma(-z)
        return -(x * (y * s)[:, None]).mean(0) + 1e-4 * v

    res = minimize(J, np.zeros(x.shape[1]), jac=g, method="BFGS",
                   options={"gtol": 1e-12, "maxiter": 10_000})
    return res.x


def test_linear_record_against_scipy_and_a_hand_classifier(monkeypatch):
    monkeypatch.setitem(E.PLANS, "quick", TINY)
    rec = E.linear_experiment(True, None, RT)
    view = E.linear_view(rec)
    cfg, data, _ = setup(TINY_REG.config(6))  # the same config, drawn again (seeded)
    assert view.config.to_dict() == cfg.to_dict()
    x = data.x.double().numpy()
    xt = data.x_test.double().numpy()
    y, yt, yt_true = (t.double().numpy() for t in (data.y, data.y_test, data.y_test_true))
    mu1 = data.extras["class_means"].double().numpy()[:, 0]
    for r in range(cfg.seeds):
        for tag, bias in (("bias", True), ("nobias", False)):
            xr, xtr = x[r], xt[r]
            if bias:
                xr = np.hstack([xr, np.ones((xr.shape[0], 1))])
                xtr = np.hstack([xtr, np.ones((xtr.shape[0], 1))])
            v = _ridge_logistic(xr, y[r])
            pred = np.where(xtr @ v > 0, 1.0, -1.0)
            assert view.acc[f"logreg_{tag}_acc"][r] == pytest.approx(
                (pred == yt[r]).mean(), abs=1.5 / 400), (tag, r)
            assert view.acc[f"logreg_{tag}_acc_clean"][r] == pytest.approx(
                (pred == yt_true[r]).mean(), abs=1.5 / 400), (tag, r)
        # sgn(2<mu1, x> - 1): +1 on the cluster +mu1 only, by a loop over the test points
        hits = hits_clean = 0
        for i in range(xt.shape[1]):
            p = 1.0 if 2.0 * float(xt[r, i] @ mu1[r]) - 1.0 > 0 else -1.0
            hits += p == yt[r, i]
            hits_clean += p == yt_true[r, i]
        assert view.acc["one_vs_three_acc"][r] == pytest.approx(hits / xt.shape[1])
        assert view.acc["one_vs_three_acc_clean"][r] == pytest.approx(hits_clean / xt.shape[1])
    # the swaps would show: noisy and clean labels differ on about a quarter of the test
    # points, and the fits with and without a bias differ
    assert abs(view.acc["one_vs_three_acc"] - view.acc["one_vs_three_acc_clean"]).min() > 0.05
    # (beyond the 1.5/400 tolerance above in at least one run)
    for a, b in (("logreg_nobias_acc", "logreg_nobias_acc_clean"),
                 ("logreg_bias_acc", "logreg_bias_acc_clean"),
                 ("logreg_bias_acc_clean", "logreg_nobias_acc_clean")):
        assert abs(view.acc[a] - view.acc[b]).max() > 4 / 400, (a, b)


def test_run_to_t_stores_the_t0_facts_the_final_movement_and_the_family():
    """run_to_T: the Lemma 6 edge of each neuron is that of W^(0) (a loop over the initial
    weights drawn again from the same seeds), the feature movement at T is measured from W^(0)
    (tiny omega_init: the features move by far more than their size), the family is the one
    asked for, and the probe times are 0..T."""
    reg = E.Regime(ds=(40,), n=60, m=8, noise=0.1, sigma2_d=0.05, init_var_md=1e-8, lr=0.25,
                   n_test=50, seeds=2)
    cfg = reg.config(40)
    rec = E.run_to_T(cfg, RT, "deep")
    assert rec.meta["family"] == "deep"
    assert rec.times.tolist() == list(range(reg.T + 1))
    _, data, params = setup(cfg)
    x = data.x.double().numpy()
    W = params.W.double().numpy()
    a = params.a[..., 0].double().numpy()
    mu = data.extras["class_means"].double().numpy()
    cl, noisy = data.cluster.numpy(), data.noisy.numpy()
    edge = np.zeros(W.shape[:2])
    for r in range(W.shape[0]):
        for j in range(W.shape[1]):
            own = 0 if a[r, j] > 0 else 1  # mu1 for positive neurons, mu2 for negative ones
            c = 2 * own + (0 if W[r, j] @ mu[r, own] >= 0 else 1)  # +mu: 2*own, -mu: 2*own + 1
            on = x[r] @ W[r, j] > 0
            clean = ~noisy[r]
            edge[r, j] = (on[(cl[r] == c) & clean].sum() - on[(cl[r] == (c ^ 1)) & clean].sum())
    assert rec.arrays["static/lemma6_edge"] == pytest.approx(edge / cfg.data.n)
    assert (rec.arrays["final/frei_features/movement_min"] > 1.0).all()


def test_liu_runs_store_the_gradient_angles_of_the_initial_weights():
    """liu2023's ``init/...`` arrays (the premise of Eq. (5) and the same-class claim read them)
    are the angle probe at W^(0): measured again here on the initial weights drawn from the same
    seeds, and unlike the same probe at the trained weights."""
    from twolayer.engine import measure
    from twolayer.experiments import liu2023 as L

    cfg = L.xor_config(L.plan(True), seeds=2).replace(
        data__d=10, data__n=40, data__n_test=20, net__m=8, train__steps=30, probe__num_times=5)
    rec = L.run(cfg, RT)
    _, data, params = setup(cfg)
    at0 = measure(params, data, ("liu_angles",), RT, objective="logistic")
    key = "mean_cos_logit_same_cc"
    np.testing.assert_allclose(rec.arrays[f"init/{key}"].reshape(-1),
                               np.asarray(at0[f"liu_angles/{key}"]).reshape(-1), rtol=1e-5)
    trained = L.run(cfg.replace(probe__probes=("liu_angles",)), RT, angles=False)
    assert not np.allclose(trained.arrays[f"liu_angles/{key}"][:, -1],
                           rec.arrays[f"init/{key}"].reshape(-1), rtol=1e-3)


def test_liu_bottom_of_the_u_is_one_binomial_standard_error_wide():
    """t* is the geometric centre of the probe times whose clean test error lies within one
    binomial standard error sqrt(e(1-e)/n_test) of the minimum (not within 1/n_test): minimum
    0.05 at t = 32 with n_test = 2000 (s.e. 0.00487); 0.053 at t = 16 is inside, 0.06 at t = 64
    is not, so the bottom is t = 16..32 and t* = sqrt(16 * 32), worked by hand."""
    from twolayer.experiments import liu2023 as L
    from twolayer.record import Record

    times = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
    e = np.array([[0.5, 0.4, 0.3, 0.2, 0.1, 0.053, 0.05, 0.06, 0.1, 0.2, 0.3, 0.4]])
    cfg = L.xor_config(L.plan(True), seeds=1).replace(data__n_test=2000)
    rec = Record(cfg.to_dict(), cfg.run_id, times, {"errors/test_error_clean": e})
    assert L.bottom_range(rec).tolist() == [[5, 6]]
    assert L.t_star(rec)[0] == pytest.approx(np.sqrt(16 * 32))
    # a bottom that reaches t = 0: the first probe time is part of it
    e0 = np.array([[0.051, 0.05, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]])
    rec0 = Record(cfg.to_dict(), cfg.run_id, times, {"errors/test_error_clean": e0})
    assert L.bottom_range(rec0).tolist() == [[0, 1]]


def _liu_record(cfg, arrays, times=None):
    from twolayer.record import Record

    t = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]) if times is None else times
    return Record(cfg.to_dict(), cfg.run_id, t, arrays)


def test_liu_alpha_share_does_not_count_a_flat_interval_as_increasing():
    """alpha = 1/ratio; up to t_x (first ratio <= 1.05, t = 32) the six intervals have alpha
    rising on five and flat on one (3 -> 3): share 5/6, by hand."""
    from twolayer.experiments import liu2023 as L

    ratio = np.array([[4.0, 3.0, 3.0, 2.0, 1.5, 1.2, 1.04, 1.2, 1.0, 1.1, 1.0, 1.0]])
    rec = _liu_record(L.xor_config(L.plan(True), seeds=1), {"segments/grad_ratio": ratio})
    assert L.alpha_monotone_share(rec)[0] == pytest.approx(5 / 6)


def test_liu_segment_premise_reads_the_smallest_class_and_the_softmax_residual():
    """S = min_c |D_noise^(c)| rho/(1 - rho) (the smallest segment decides); for K = 10 the
    residual 1 - p_y at t = 0 must be near 1 - 1/K = 0.9 (not 1/K), and a residual far from it
    keeps the premise from holding however large S is; K classes use the true-class logit's
    cosine (Liu's single-logit view)."""
    from twolayer.experiments import liu2023 as L

    R = 3
    binary = L.regime_config(L.plan(True), seeds=R)
    counts = {"liu/class_count_noisy": np.array([[[30.0, 300.0]]] * R),
              "liu/class_count_clean": np.array([[[700.0, 700.0]]] * R),
              "init/mean_cos_logit_same_cc": np.array([0.5, 0.5, 0.5])}
    assert L.segment_snr(_liu_record(binary, counts)).tolist() == [30.0] * R
    k10 = L.k10_config(L.plan(True), seeds=R)
    C = 10
    base = {"liu/class_count_noisy": np.full((R, 1, C), 100.0),
            "liu/class_count_clean": np.full((R, 1, C), 300.0),
            "init/mean_cos_logit_same_cc": np.array([0.5, 0.51, 0.52])}
    for resid, want in ((0.9, True), (0.1, False)):
        rec = _liu_record(k10, {**base, "liu/resid_clean": np.full((R, 1), resid),
                                "liu/resid_noisy": np.full((R, 1), resid)})
        ok, text, S = L.premise_segments(rec)
        assert ok is want, (resid, text)
        rho = np.array([0.5, 0.51, 0.52])
        assert S == pytest.approx(100 * rho / (1 - rho))
    assert L.anticollinear_key(_liu_record(k10, base)) == "liu/logit_class_cos"
    assert L.anticollinear_key(_liu_record(binary, counts)) == "segments/class_cos_clean_noisy"


def test_liu_multiclass_ratio_deviation_uses_k_minus_one():
    """Section 5's prediction noisy/clean = |D_noise|/(|D_clean| (K - 1)): 90/(200 * 9) = 0.05,
    and a measured clean/noisy ratio of 20 deviates from it by 0 (by hand)."""
    from twolayer.experiments import liu2023 as L

    k10 = L.k10_config(L.plan(True), seeds=1)
    rec = _liu_record(k10, {"liu/class_count_noisy": np.full((1, 1, 10), 90.0),
                            "liu/class_count_clean": np.full((1, 1, 10), 200.0),
                            "liu/logit_class_ratio": np.full((1, 1, 10), 20.0)})
    assert L.init_ratio_deviation_multiclass(rec)[0] == pytest.approx(0.0, abs=1e-12)


def test_liu_premise_thresholds_and_windows_by_hand():
    """The premises' thresholds as docs/papers/liu2023.md states them (anti-collinearity <= -0.9,
    drift <= 0.1 at the end of the early window, S >= 10, residual within 0.05 of 1/2), each
    just missed by a tight set of seeds; the early-window mean, rise and Lemma 4.2 error over
    probe times 0..end inclusive; an init-only run has no training step."""
    from twolayer.experiments import liu2023 as L

    R = 4
    cfg = L.regime_config(L.plan(True), seeds=R)
    jit = 1e-4 * np.arange(R)
    # U with its minimum at t = 64: t* = 64, the early window is t <= 32 (indices 0..6)
    e = np.concatenate([np.linspace(0.5, 0.05, 8), np.linspace(0.05, 0.3, 5)[1:]])
    u = {"errors/test_error_clean": np.stack([e] * R)}
    rec = _liu_record(cfg, u)
    assert L.early_end(rec).tolist() == [6] * R
    cos = np.broadcast_to((-0.85 + jit)[:, None, None], (R, 12, 2)).copy()
    assert not L.premise_anticollinear(_liu_record(cfg, {**u, "segments/class_cos_clean_noisy":
                                                         cos}))[0]
    drift = np.zeros((R, 12))
    drift[:, 6] = 0.15 + jit  # at the end of the window; 0 at t = 0
    ok, _, v = L.premise_ntk(_liu_record(cfg, {**u, "liu/grad_drift": drift}))
    assert not ok and v == pytest.approx(0.15 + jit)
    rho = 7.0 / (300 + 7.0) + jit  # S = 300 rho / (1 - rho) just above 7
    seg = {"liu/class_count_noisy": np.full((R, 1, 2), 300.0),
           "liu/class_count_clean": np.full((R, 1, 2), 700.0),
           "init/mean_cos_logit_same_cc": rho,
           "liu/resid_clean": np.full((R, 1), 0.5), "liu/resid_noisy": np.full((R, 1), 0.5)}
    assert not L.premise_segments(_liu_record(cfg, seg))[0]
    seg = {**seg, "init/mean_cos_logit_same_cc": 0.5 + jit,  # S = 300: the LLN part holds
           "liu/resid_noisy": np.full((R, 1), 0.57)}
    assert not L.premise_segments(_liu_record(cfg, seg))[0]
    seg["liu/resid_noisy"] = np.full((R, 1), 0.54)
    assert L.premise_segments(_liu_record(cfg, seg))[0]
    # window mean and Lemma 4.2 error over indices 0..6 inclusive; the rise from the minimum
    a = np.tile(np.arange(12.0), (R, 1))
    assert L.window_mean(_liu_record(cfg, {**u, "x": a}), "x", L.early_end(rec)).tolist() == \
        [3.0] * R
    lem = {**u, "segments/kappa": a, "liu/lemma_rate": np.zeros((R, 12))}
    assert L.rate_error(_liu_record(cfg, lem)).tolist() == [3.0] * R
    s = L.u_shape_stats(rec)
    assert s["rise"] == pytest.approx(0.3 - 0.05) and s["fall"] == pytest.approx(0.5 - 0.05)
    worst = np.zeros((R, 12, 2))
    worst[:, 6, 1] = 1.0  # the last time of the window counts
    v, t = L.window_extreme(_liu_record(cfg, {**u, "w": worst}), "w", L.early_end(rec))
    assert v.tolist() == [1.0] * R and t.tolist() == [32.0] * R


def test_liu_init_only_run_has_no_step():
    from twolayer.experiments import liu2023 as L

    cfg = L.xor_config(L.plan(True), seeds=2).replace(data__d=10, data__n=40, data__n_test=20,
                                                      net__m=8)
    rec = L.run_init(cfg, RT)
    assert rec.config["train"]["steps"] == 0 and rec.times.tolist() == [0]
