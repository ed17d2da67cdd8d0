"""The numbers users read in summaries, checked against independent oracles.

- the linear baseline (:func:`twolayer.baselines.fit_linear`) against a plain-numpy Newton fit
  of the ridge-logistic objective and a plain-numpy loop of the documented gradient descent,
  one run at a time, on hand-made data whose noisy and clean test labels differ;
- :func:`twolayer.simulate.summarize`, ``twolayer simulate``'s text and JSON summaries and the
  sweep's per-run metrics (:func:`twolayer.sweep.store.run_metrics`) on a hand-made Record with
  known arrays, against per-run Python loops (``statistics`` for means and sample deviations).
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import torch

from twolayer.baselines import RIDGE, fit_linear
from twolayer.data.base import Dataset
from twolayer.record import Record

# --------------------------------------------------------------------------- linear baseline


def _numpy_ridge_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin_v mean log(1 + exp(−y⟨v, x⟩)) + RIDGE‖v‖²/2 by plain Newton steps (one run)."""
    n, dim = x.shape
    v = np.zeros(dim)
    for _ in range(100):
        z = y * (x @ v)
        s = 1.0 / (1.0 + np.exp(z))  # σ(−z)
        g = x.T @ (-y * s) / n + RIDGE * v
        h = (x * (s * (1 - s))[:, None]).T @ x / n + RIDGE * np.eye(dim)
        step = np.linalg.solve(h, g)
        v = v - step
        if g @ step < 1e-24:
            break
    return v


def _hand_made_dataset(runs: int = 2, n: int = 200, n_test: int = 400, d: int = 3) -> Dataset:
    """Linearly separable (with an offset) clean labels; 30% of test labels flipped, 10% of
    training labels flipped, so the noisy and clean test errors differ by about 0.3."""
    rng = np.random.default_rng(7)
    w_star = np.array([1.5, -1.0, 0.5])[:d]
    xs, ys, yts, xts, ytts, yts_noisy, noisy = [], [], [], [], [], [], []
    for _ in range(runs):
        x = rng.standard_normal((n, d))
        yt = np.where(x @ w_star + 0.4 > 0, 1.0, -1.0)
        flip = rng.random(n) < 0.1
        xt = rng.standard_normal((n_test, d))
        ytt = np.where(xt @ w_star + 0.4 > 0, 1.0, -1.0)
        flip_t = rng.random(n_test) < 0.3
        xs.append(x)
        yts.append(yt)
        ys.append(np.where(flip, -yt, yt))
        noisy.append(flip)
        xts.append(xt)
        ytts.append(ytt)
        yts_noisy.append(np.where(flip_t, -ytt, ytt))

    def t(a: list, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return torch.tensor(np.stack(a), dtype=dtype)

    return Dataset(
        x=t(xs), y_true=t(yts), y=t(ys), noisy=t(noisy, torch.bool),
        cluster=torch.zeros(runs, n, dtype=torch.long), x_test=t(xts), y_test_true=t(ytts),
        y_test=t(yts_noisy), cluster_test=torch.zeros(runs, n_test, dtype=torch.long),
        num_classes=2, kind="hand-made",
    )


def _with_ones(a: np.ndarray) -> np.ndarray:
    return np.hstack([a, np.ones((len(a), 1))])


def _oracle_errors(data: Dataset, bias: bool) -> tuple[list[float], list[float]]:
    errs, errs_clean = [], []
    for r in range(data.runs):
        x, xt = data.x[r].double().numpy(), data.x_test[r].double().numpy()
        if bias:
            x, xt = _with_ones(x), _with_ones(xt)
        v = _numpy_ridge_logistic(x, data.y[r].double().numpy())
        pred = np.where(xt @ v > 0, 1.0, -1.0)
        errs.append(float(np.mean(pred != data.y_test[r].numpy())))
        errs_clean.append(float(np.mean(pred != data.y_test_true[r].numpy())))
    return errs, errs_clean


@pytest.mark.parametrize("bias", [True, False])
def test_newton_baseline_errors_match_a_numpy_fit(bias: bool) -> None:
    """Noisy-label and clean-label test errors of the Newton baseline are those of a plain
    numpy ridge-logistic fit, run by run (the two differ: 30% of the test labels are flipped)."""
    data = _hand_made_dataset()
    err, err_clean = fit_linear(data, "logistic", bias=bias)
    want, want_clean = _oracle_errors(data, bias)
    n_test = data.x_test.shape[1]
    assert err.shape == err_clean.shape == (data.runs,)
    for r in range(data.runs):
        assert abs(float(err[r]) - want[r]) <= 1.0 / n_test
        assert abs(float(err_clean[r]) - want_clean[r]) <= 1.0 / n_test
        assert want[r] - want_clean[r] > 0.15  # the data tells noisy from clean labels


def test_newton_is_damped_where_a_full_step_overshoots() -> None:
    """On these four points (found by a search) a full Newton step from v = 0 increases J and
    undamped Newton runs off to |v| ~ 1e7; the damped steps reach the minimiser that scipy's
    BFGS finds from the gradient alone."""
    from scipy.optimize import minimize

    from twolayer.baselines import _newton_logistic

    x = np.array([[-963.738, -3.339], [233.045, 1.995], [9.255, -0.176], [72.858, -28.724]])
    y = np.array([-1.0, 1.0, -1.0, -1.0])

    def J(v):
        return np.mean(np.logaddexp(0, -y * (x @ v))) + 0.5 * RIDGE * v @ v

    def grad(v):
        s = np.exp(-np.logaddexp(0, y * (x @ v)))  # σ(−y⟨v, x⟩)
        return x.T @ (-y * s) / len(y) + RIDGE * v

    want = minimize(J, np.zeros(2), jac=grad, method="BFGS", options={"gtol": 1e-13}).x
    got = _newton_logistic(torch.tensor(x[None]), torch.tensor(y[None]))[0, :, 0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert J(got) <= J(want) + 1e-12


def test_bias_matters_on_offset_data() -> None:
    """Clean labels sgn(1.5 x + 0.4) in one dimension: the numpy oracle's clean errors with and
    without the constant feature differ, and the baseline follows each."""
    data = _hand_made_dataset(runs=1, d=1)
    assert _oracle_errors(data, False)[1][0] - _oracle_errors(data, True)[1][0] > 0.05
    with_b = fit_linear(data, "logistic", bias=True)[1]
    without = fit_linear(data, "logistic", bias=False)[1]
    assert abs(float(with_b[0]) - _oracle_errors(data, True)[1][0]) <= 1 / 400
    assert abs(float(without[0]) - _oracle_errors(data, False)[1][0]) <= 1 / 400


def _numpy_gd(x: np.ndarray, y: np.ndarray, steps: int, loss: str, k: int = 2) -> np.ndarray:
    """The documented gradient descent (module docstring) by a numpy loop, one run: from v = 0,
    v ← v − (1/L)(mean_i ∇ℓ_i + RIDGE v), L = mean‖x‖²/4 + RIDGE (logistic) or
    mean‖x‖²/2 + RIDGE (otherwise); K outputs for softmax, one for a margin loss."""
    n, dim = x.shape
    outs = k if loss == "softmax" else 1
    lr = 1.0 / (np.mean(np.sum(x**2, axis=1)) / (4.0 if loss == "logistic" else 2.0) + RIDGE)
    v = np.zeros((dim, outs))
    for _ in range(steps):
        f = x @ v
        if loss == "logistic":
            dl = (-y / (1.0 + np.exp(y * f[:, 0])))[:, None]
        elif loss == "hinge":
            dl = (-y * (y * f[:, 0] < 1.0))[:, None]
        else:  # softmax over K classes, labels 0..K−1
            p = np.exp(f - f.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(n), y.astype(int)] -= 1.0
            dl = p
        v = v - lr * (x.T @ dl / n + RIDGE * v)
    return v


def _errors_of(v: np.ndarray, xt: np.ndarray, y_noisy: np.ndarray,
               y_clean: np.ndarray) -> tuple[float, float]:
    pred = np.where((xt @ v)[:, 0] > 0, 1.0, -1.0)
    return float(np.mean(pred != y_noisy)), float(np.mean(pred != y_clean))


@pytest.mark.parametrize("form, method", [("primal", "gd"), ("dual", "gd"), ("primal", "auto"),
                                          ("dual", "auto")])
def test_gradient_descent_baseline_is_the_documented_iteration(form: str, method: str) -> None:
    """``method="gd"`` (and a named ``form`` with ``method="auto"``, which selects gradient
    descent) runs the documented iteration: after 7 steps its test errors are those of the
    numpy loop's iterate, run by run, noisy and clean labels, and differ from Newton's."""
    data = _hand_made_dataset(runs=2, n=50, n_test=400)
    err, err_clean = fit_linear(data, "logistic", bias=True, steps=7, form=form, method=method)
    newton = _oracle_errors(data, True)
    for r in range(2):
        x, xt = _with_ones(data.x[r].numpy()), _with_ones(data.x_test[r].numpy())
        v = _numpy_gd(x, data.y[r].numpy(), 7, "logistic")
        want = _errors_of(v, xt, data.y_test[r].numpy(), data.y_test_true[r].numpy())
        assert (float(err[r]), float(err_clean[r])) == pytest.approx(want, abs=1e-12), (form, r)
        assert want != (newton[0][r], newton[1][r])  # 7 steps are not the minimiser


def test_gradient_descent_iterates_match_numpy_for_logistic_and_softmax() -> None:
    """The iterate v itself after 5 steps, primal and dual, logistic (one output) and softmax
    (K = 3 outputs, step 1/(mean‖x̃‖²/2 + RIDGE))."""
    from twolayer.baselines import _gradient_descent

    data = _hand_made_dataset(runs=2, n=30)
    x = torch.cat([data.x, torch.ones_like(data.x[..., :1])], dim=-1)
    y3 = torch.tensor(np.random.default_rng(5).integers(0, 3, size=(2, 30)), dtype=torch.float64)
    for loss, y, k in (("logistic", data.y, 2), ("softmax", y3, 3)):
        for form in ("primal", "dual"):
            got = _gradient_descent(x, y, loss, k, 5, form)
            for r in range(2):
                want = _numpy_gd(x[r].numpy(), y[r].numpy(), 5, loss, k)
                np.testing.assert_allclose(got[r].numpy(), want, rtol=1e-9, atol=1e-12,
                                           err_msg=f"{loss} {form} run {r}")


def test_a_registered_margin_loss_gets_a_one_output_baseline(monkeypatch) -> None:
    """A plugin's one-output margin loss (hinge, as examples/barak2022 registers) is fitted with
    one output, like the network it trains: the baseline's errors are those of the numpy hinge
    iteration. (With num_classes = 2 outputs both columns were equal, argmax always chose class
    0 = label +1, and the baseline reported the fraction of −1 test labels whatever the data.)"""
    from twolayer.net import model

    def value(out, y):
        return torch.relu(1.0 - y.to(out.dtype) * out[..., 0])

    def value_and_dloss(out, y):
        yy = y.to(out.dtype)
        z = yy * out[..., 0]
        return torch.relu(1.0 - z), (-yy * (z < 1.0).to(out.dtype)).unsqueeze(-1)

    monkeypatch.setitem(model.LOSSES, "mut_hinge", model.Loss(value, value_and_dloss))
    data = _hand_made_dataset(runs=2, n=100, n_test=400)
    err, err_clean = fit_linear(data, "mut_hinge", bias=True, steps=40)
    for r in range(2):
        x, xt = _with_ones(data.x[r].numpy()), _with_ones(data.x_test[r].numpy())
        v = _numpy_gd(x, data.y[r].numpy(), 40, "hinge")
        want = _errors_of(v, xt, data.y_test[r].numpy(), data.y_test_true[r].numpy())
        assert (float(err[r]), float(err_clean[r])) == pytest.approx(want, abs=1e-12), r
        assert want[1] < 0.2  # the clean labels are linear: far better than chance


def test_newton_is_chosen_up_to_the_documented_dimension(monkeypatch) -> None:
    """``method="auto"``: Newton for the logistic loss with D = dim x̃ ≤ NEWTON_MAX_DIM (D = d + 1
    with the bias), gradient descent above it (module docstring)."""
    from twolayer import baselines

    calls: list[tuple[str, int]] = []

    def newton(x, y):
        calls.append(("newton", x.shape[2]))
        return x.new_zeros(x.shape[0], x.shape[2], 1)

    def gd(x, y, objective, k, steps, form):
        calls.append(("gd", x.shape[2]))
        return x.new_zeros(x.shape[0], x.shape[2], 1)

    monkeypatch.setattr(baselines, "_newton_logistic", newton)
    monkeypatch.setattr(baselines, "_gradient_descent", gd)
    top = baselines.NEWTON_MAX_DIM
    base = _hand_made_dataset(runs=1, n=4, n_test=3, d=3)
    for d, bias, want in ((top - 1, True, "newton"), (top, True, "gd"), (top, False, "newton"),
                          (top + 1, False, "gd")):
        data = Dataset(**{**base.__dict__, "x": torch.zeros(1, 4, d, dtype=torch.float64),
                          "x_test": torch.zeros(1, 3, d, dtype=torch.float64)})
        calls.clear()
        baselines.fit_linear(data, "logistic", bias=bias)
        assert calls == [(want, d + bias)], (d, bias)


def test_simulate_records_the_baselines_of_its_own_data() -> None:
    """``simulate``'s baseline arrays: the bias and no-bias baselines' noisy- and clean-label
    test errors of each run are those of the numpy fit on that run's data (:func:`setup` draws
    it)."""
    from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
    from twolayer.engine import Runtime
    from twolayer.simulate import setup, simulate

    cfg = Config(data=DataConfig(d=4, n=80, n_test=300, noise=0.3), net=NetConfig(m=4),
                 train=TrainConfig(lr=0.1, steps=2), probe=ProbeConfig(num_times=2), seeds=3)
    rec = simulate(cfg, Runtime(device="cpu"))
    _, data, _ = setup(cfg)
    for bias, name in ((True, "linear"), (False, "linear_nobias")):
        want, want_clean = _oracle_errors(data, bias)
        # the oracle tells noisy from clean labels on these runs
        assert any(abs(w - c) > 2 / 300 for w, c in zip(want, want_clean))
        got = rec.arrays[f"baseline/{name}_test_error"]
        got_clean = rec.arrays[f"baseline/{name}_test_error_clean"]
        for r in range(3):
            assert abs(float(got[r]) - want[r]) <= 1 / 300, (name, r)
            assert abs(float(got_clean[r]) - want_clean[r]) <= 1 / 300, (name, r)
    # and tells the bias baseline from the no-bias one
    assert _oracle_errors(data, True)[1] != _oracle_errors(data, False)[1]


# --------------------------------------------------------------------------- hand-made record

R, M = 3, 4
TIMES = np.array([0, 1, 5, 10], dtype=np.int64)


def _record() -> Record:
    """Known arrays: errors [R, T] distinct per run and per time, a NaN in one run's
    baseline, own-mean correlations with distinct mean and median, grad ratios per time."""
    rng = np.random.default_rng(3)
    T = len(TIMES)
    test_error = np.array([[0.5, 0.4, 0.3, 0.10], [0.5, 0.45, 0.2, 0.05],
                           [0.6, 0.5, 0.4, 0.31]])
    arrays = {
        "errors/test_error": test_error,
        "errors/test_error_clean": test_error / 2 + np.array([[0.0, 0.0, 0.0, 0.02]]).T[:R],
        "errors/train_error_clean": test_error / 3,
        "errors/noisy_fit_fraction": 1 - test_error,
        "baseline/linear_test_error": np.array([0.5, 0.42, 0.61]),
        "baseline/linear_test_error_clean": np.array([0.48, np.nan, 0.2]),
        "segments/grad_ratio": np.arange(R * T, dtype=float).reshape(R, T) ** 1.5 + 1.0,
        "correlations/w_dot_mu": rng.standard_normal((R, T, M, 2)),
        "correlations/w_norm": rng.random((R, T, M)) + 0.5,
        "static/a": np.array([1.0, -1.0, 1.0, -1.0] * R).reshape(R, M, 1)
        * rng.choice([1.0, -1.0], size=(R, 1, 1)),
    }
    config = {
        "seeds": R, "seed": 0, "dtype": "float64",
        "data": {"kind": "xor", "d": 5, "n": 20, "noise": 0.1, "noise_model": "iid",
                 "sigma2": None},
        "net": {"m": M, "init_var": 0.01},
        "train": {"lr": 0.1, "steps": int(TIMES[-1]), "objective": "logistic"},
    }
    return Record(config, "hand", TIMES, arrays, {"wall_seconds": 1.5, "device": "cpu"})


def _own_corr_oracle(rec: Record, r: int, t: int) -> list[float]:
    """|⟨w_j, μ_own(j)⟩| / ‖w_j‖ for neuron j of run r at time index t, by a Python loop:
    μ1 for a_j > 0, μ2 for a_j < 0."""
    a = rec.arrays
    out = []
    for j in range(M):
        own = 0 if a["static/a"][r, j, 0] > 0 else 1
        dot = a["correlations/w_dot_mu"][r, t, j, own]
        out.append(abs(dot) / a["correlations/w_norm"][r, t, j])
    return out


def _finite(xs) -> list[float]:
    return [float(x) for x in xs if math.isfinite(x)]


def _oracle_summary(rec: Record) -> dict[str, float]:
    """The means (and sample deviations) over runs of each headline number, by Python loops."""
    a, last = rec.arrays, len(rec.times) - 1
    per_run: dict[str, list[float]] = {}
    for key in ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction"):
        per_run[key] = [float(a[f"errors/{key}"][r][last]) for r in range(len(a["static/a"]))]
    for key in ("linear_test_error", "linear_test_error_clean"):
        per_run[key] = _finite(a[f"baseline/{key}"])  # a NaN run is left out
    runs = range(len(a["static/a"]))
    per_run["corr_median_init"] = [statistics.median(_own_corr_oracle(rec, r, 0)) for r in runs]
    per_run["corr_median_final"] = [statistics.median(_own_corr_oracle(rec, r, last))
                                    for r in runs]
    per_run["grad_ratio_init"] = [float(a["segments/grad_ratio"][r][0]) for r in runs]
    per_run["grad_ratio_final"] = [float(a["segments/grad_ratio"][r][last]) for r in runs]
    out: dict[str, float] = {}
    for key, vals in per_run.items():
        out[key] = statistics.mean(vals)
        if len(runs) > 1:
            out[key + "_std"] = statistics.stdev(vals)
    return out


def test_summarize_means_and_deviations_over_runs() -> None:
    from twolayer.simulate import summarize

    rec = _record()
    s = summarize(rec)
    assert s["steps"] == 10 and s["seeds"] == R and s["wall_seconds"] == 1.5
    want = _oracle_summary(rec)
    assert set(want) <= set(s)
    for key, value in want.items():
        assert s[key] == pytest.approx(value, rel=1e-12), key
    # the oracle's numbers tell the mean from the median and the first time from the last
    assert want["corr_median_init"] != pytest.approx(want["corr_median_final"])


def test_summarize_one_run_has_no_deviation() -> None:
    from twolayer.simulate import summarize

    rec = _record()
    rec.config["seeds"] = 1
    rec.arrays = {k: v[:1] for k, v in rec.arrays.items()}
    s = summarize(rec)
    assert s["test_error"] == pytest.approx(0.10)
    assert not [k for k in s if k.endswith("_std")]


def test_summarize_leaves_out_non_finite_runs_and_says_nan_when_none_is_left() -> None:
    """A baseline array with one finite run: its mean is that run's value and its deviation
    NaN (undefined from one value); an all-NaN array gives NaN for both."""
    from twolayer.simulate import summarize

    rec = _record()
    rec.arrays["baseline/linear_test_error"] = np.array([np.nan, 0.3, np.nan])
    rec.arrays["baseline/linear_test_error_clean"] = np.array([np.nan, np.nan, np.nan])
    s = summarize(rec)
    assert s["linear_test_error"] == 0.3 and math.isnan(s["linear_test_error_std"])
    assert math.isnan(s["linear_test_error_clean"])
    assert math.isnan(s["linear_test_error_clean_std"])


def test_run_metrics_are_the_per_run_final_values() -> None:
    from twolayer.sweep.store import run_metrics

    rec = _record()
    a = rec.arrays
    got = run_metrics(rec)
    last = len(TIMES) - 1
    assert set(got) == {"test_error", "test_error_clean", "train_error_clean",
                        "noisy_fit_fraction", "linear_test_error", "corr_median_init",
                        "corr_median_final", "corr_median_neurons", "grad_ratio_init",
                        "grad_ratio_final"}
    for r in range(R):
        for key in ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction"):
            assert got[key][r] == a[f"errors/{key}"][r][last], key
        assert got["linear_test_error"][r] == a["baseline/linear_test_error"][r]
        assert got["corr_median_init"][r] == pytest.approx(
            statistics.median(_own_corr_oracle(rec, r, 0)), rel=1e-12)
        assert got["corr_median_final"][r] == pytest.approx(
            statistics.median(_own_corr_oracle(rec, r, last)), rel=1e-12)
        assert got["corr_median_neurons"][r] == sum(1 for x in a["static/a"][r, :, 0] if x)
        assert got["grad_ratio_init"][r] == a["segments/grad_ratio"][r][0]
        assert got["grad_ratio_final"][r] == a["segments/grad_ratio"][r][last]
    for key, vals in got.items():
        assert np.shape(vals) == (R,), key


def test_run_metrics_have_no_correlations_for_another_data_kind() -> None:
    """The own-mean correlation is xor's (μ1 for a_j > 0, μ2 for a_j < 0): another kind's
    record has no corr_median columns."""
    from twolayer.sweep.store import run_metrics

    rec = _record()
    rec.config["data"]["kind"] = "gaussian"
    assert not [k for k in run_metrics(rec) if k.startswith("corr")]


def _cells(line: str) -> list[str]:
    return line[34:].split()


def test_simulate_text_summary_columns() -> None:
    """``twolayer simulate``'s table: columns t=0, t=1 and the last time; each cell the mean
    over runs at that time; the baseline line names the noisy and the clean value."""
    from twolayer.commands.simulate import human_summary
    from twolayer.simulate import summarize

    rec = _record()
    rec.summary = summarize(rec)
    text = human_summary(rec, [])
    lines = text.splitlines()
    head = next(line for line in lines if line.startswith("mean over seeds"))
    assert _cells(head) == ["t=0", "t=1", "t=10"]
    idx = [0, 1, len(TIMES) - 1]
    a = rec.arrays
    for label, key in (("test error (noisy labels)", "errors/test_error"),
                       ("test error (clean labels)", "errors/test_error_clean"),
                       ("train error, clean subset", "errors/train_error_clean"),
                       ("noisy subset fitted", "errors/noisy_fit_fraction"),
                       ("|g_clean| / |g_noisy|", "segments/grad_ratio")):
        line = next(line for line in lines if line.startswith(label))
        want = [f"{statistics.mean(float(a[key][r][t]) for r in range(R)):.3f}" for t in idx]
        assert _cells(line) == want, label
    line = next(line for line in lines if line.startswith("median |<w_j/|w_j|, mu_own>|"))
    medians = [[statistics.median(_own_corr_oracle(rec, r, t)) for r in range(R)] for t in idx]
    want = [f"{statistics.mean(m):.3f}" for m in medians]
    assert _cells(line) == want
    noisy = statistics.mean(_finite(a["baseline/linear_test_error"]))
    clean = statistics.mean(_finite(a["baseline/linear_test_error_clean"]))
    assert (f"test error {noisy:.3f} (clean labels {clean:.3f})") in text


def test_simulate_text_summary_averages_an_undefined_ratio_over_the_other_runs() -> None:
    """|g_clean|/|g_noisy| is undefined in a run without noisy samples (±inf or NaN): a column
    where some runs have it undefined shows the mean over the others, and a line says how many
    runs each column's mean is over; a column where no run has it reads n/a (session 26 left
    the whole column n/a, or the JSON mean inf, when one run had no noisy sample)."""
    from twolayer.commands.simulate import human_summary
    from twolayer.simulate import summarize

    rec = _record()
    g = rec.arrays["segments/grad_ratio"]
    g[0, 1] = np.inf
    g[2, 2] = np.nan  # t = 5: not a column
    rec.summary = summarize(rec)
    lines = human_summary(rec, []).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("|g_clean| / |g_noisy|"))
    assert _cells(lines[at]) == [f"{statistics.mean(g[:, 0]):.3f}",
                                 f"{statistics.mean([g[1, 1], g[2, 1]]):.3f}",
                                 f"{statistics.mean(g[:, 3]):.3f}"]
    assert lines[at + 1].strip() == (
        f"(undefined where |g_noisy| = 0, e.g. no noisy sample: the means are over the 3/2/3 "
        f"of {R} runs where it is defined)")
    g[:, 1] = -np.inf
    rec.summary = summarize(rec)
    lines = human_summary(rec, []).splitlines()
    assert _cells(lines[at])[1] == "n/a"
    g[:, :] = np.inf
    lines = human_summary(rec, []).splitlines()
    assert _cells(lines[at]) == ["n/a"] * 3
    assert lines[at + 1].strip() == "(undefined: |g_noisy| = 0 in every run, e.g. no noisy sample)"
    rec.arrays["segments/grad_ratio"] = np.arange(R * len(TIMES), dtype=float).reshape(R, -1)
    lines = human_summary(rec, []).splitlines()
    assert not lines[at + 1].startswith("  (")  # every run defined: no line


def test_simulate_text_summary_averages_subset_errors_over_runs_that_have_the_subset() -> None:
    """`simulate --seeds 4 --noise 0.03 --n 20` (one run of four with noisy samples) printed
    "noisy subset fitted n/a" in every column while the JSON summary gave 1.0 over 1 run: the
    fraction is NaN in a run without a noisy sample, and the row took the plain mean. It now
    shows the mean over the runs that have one, with the line saying over how many, like the
    ratio's row. Oracle: statistics.mean over the finite per-run values."""
    from twolayer.commands.simulate import human_summary
    from twolayer.simulate import summarize

    rec = _record()
    f = rec.arrays["errors/noisy_fit_fraction"]
    f[0, :] = np.nan  # run 0 has no noisy sample
    f[1, 1] = np.nan
    rec.summary = summarize(rec)
    lines = human_summary(rec, []).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("noisy subset fitted"))
    idx = [0, 1, len(TIMES) - 1]
    want = [f"{statistics.mean(float(f[r, t]) for r in range(R) if np.isfinite(f[r, t])):.3f}"
            for t in idx]
    assert _cells(lines[at]) == want
    counts = "/".join(str(sum(1 for r in range(R) if np.isfinite(f[r, t]))) for t in idx)
    assert lines[at + 1].strip() == (
        f"(undefined in a run without a noisy sample: the means are over the {counts} of {R} "
        "runs where it is defined)")
    f[:, :] = np.nan
    lines = human_summary(rec, []).splitlines()
    assert _cells(lines[at]) == ["n/a"] * 3
    assert lines[at + 1].strip() == "(undefined: no run has a noisy sample)"
    # likewise the clean subset's training error in a run whose every sample is noisy (n = 1)
    c = rec.arrays["errors/train_error_clean"]
    c[2, :] = np.nan
    lines = human_summary(rec, []).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("train error, clean subset"))
    assert _cells(lines[at]) == [
        f"{statistics.mean(float(c[r, t]) for r in range(R) if r != 2):.3f}" for t in idx]
    assert lines[at + 1].strip() == (
        f"(undefined in a run without a clean sample: the means are over the "
        f"{R - 1}/{R - 1}/{R - 1} of {R} runs where it is defined)")


def test_summarize_means_a_ratio_over_the_runs_where_it_is_defined() -> None:
    """An inf (|g_noisy| = 0) or NaN run is left out of the ratio's mean and deviation, and
    ``<name>_runs`` counts the runs left in; with every run defined there is no count."""
    from twolayer.commands.simulate import json_summary
    from twolayer.simulate import summarize

    rec = _record()
    g = rec.arrays["segments/grad_ratio"]
    last = len(TIMES) - 1
    g[1, 0], g[0, last], g[2, last] = np.inf, np.nan, -np.inf
    s = summarize(rec)
    assert s["grad_ratio_init"] == pytest.approx(statistics.mean([g[0, 0], g[2, 0]]), rel=1e-12)
    assert s["grad_ratio_init_std"] == pytest.approx(statistics.stdev([g[0, 0], g[2, 0]]),
                                                     rel=1e-12)
    assert s["grad_ratio_init_runs"] == 2
    assert s["grad_ratio_final"] == g[1, last] and math.isnan(s["grad_ratio_final_std"])
    assert s["grad_ratio_final_runs"] == 1
    assert "test_error_runs" not in s
    rec.summary = s
    out = json_summary(rec)
    assert out["grad_ratio_init_runs"] == 2 and out["grad_ratio_final_runs"] == 1
    assert "test_error_runs" not in out
    g[:, 0] = np.inf
    s = summarize(rec)
    assert math.isnan(s["grad_ratio_init"]) and s["grad_ratio_init_runs"] == 0


def test_simulate_json_summary_means_and_deviations() -> None:
    """Every headline number and its deviation over runs in ``--json``, as the oracle has it."""
    from twolayer.commands.simulate import json_summary
    from twolayer.simulate import summarize

    rec = _record()
    rec.summary = summarize(rec)
    out = json_summary(rec)
    want = _oracle_summary(rec)
    for key, value in want.items():
        assert out[key] == pytest.approx(value, rel=1e-12), key
    assert out["steps"] == 10 and out["seeds"] == R


def test_simulate_json_has_the_text_tables_numbers() -> None:
    """``--json`` carries the text table (t = 0, 1 and the end): per row the mean over runs of
    the finite values at each time, and how many runs each mean is over, by Python loops here;
    and the text's cells are those numbers. It had only the final errors and no t = 0 or 1."""
    from twolayer.commands.simulate import human_summary, json_summary
    from twolayer.simulate import summarize

    rec = _record()
    g = rec.arrays["segments/grad_ratio"]
    g[1, 0], g[2, 0] = np.inf, np.nan  # the ratio undefined in two runs at t = 0
    rec.summary = summarize(rec)
    table = json_summary(rec)["table"]
    cols = [0, 1, len(TIMES) - 1]
    assert table["times"] == [int(TIMES[i]) for i in cols]
    oracle = {
        "test error (noisy labels)": "errors/test_error",
        "test error (clean labels)": "errors/test_error_clean",
        "train error, clean subset": "errors/train_error_clean",
        "noisy subset fitted": "errors/noisy_fit_fraction",
        "|g_clean| / |g_noisy|": "segments/grad_ratio",
    }
    rows = {row["label"]: row for row in table["rows"]}
    assert list(rows) == [*list(oracle)[:4], "median |<w_j/|w_j|, mu_own>|", list(oracle)[4]]
    for label, key in oracle.items():
        for c, t in enumerate(cols):
            vals = _finite(rec.arrays[key][r, t] for r in range(R))
            assert rows[label]["runs"][c] == len(vals), label
            assert rows[label]["mean"][c] == pytest.approx(statistics.mean(vals), rel=1e-12)
    corr = rows["median |<w_j/|w_j|, mu_own>|"]
    for c, t in enumerate(cols):
        want = statistics.mean(statistics.median(_own_corr_oracle(rec, r, t)) for r in range(R))
        assert corr["mean"][c] == pytest.approx(want, rel=1e-12) and corr["runs"][c] == R
    text = human_summary(rec, []).splitlines()
    for label, row in rows.items():
        line = next(x for x in text if x.startswith(label))
        assert line[34:].split() == [f"{m:.3f}" for m in row["mean"]], line


@pytest.mark.parametrize("objective, model", [
    ("logistic", "logistic regression"),
    ("softmax", "softmax regression"),
    ("hinge", "linear model, hinge loss"),
])
def test_simulate_text_summary_names_the_baseline_of_the_runs_objective(objective: str,
                                                                        model: str) -> None:
    """The baseline line used to say "logistic regression" whatever the objective; fit_linear
    trains a linear model on the run's own loss, and the line names that model."""
    from twolayer.commands.simulate import human_summary
    from twolayer.simulate import summarize

    rec = _record()
    rec.config["train"]["objective"] = objective
    rec.summary = summarize(rec)
    line = next(line for line in human_summary(rec, []).splitlines()
                if line.startswith("linear baseline"))
    assert line.startswith(f"linear baseline ({model} + bias): test error ")
