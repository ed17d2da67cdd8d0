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
