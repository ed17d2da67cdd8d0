"""An odd width m with Frei et al.'s fixed second layer: a_m = 0 (card section 2: "m even; half
of the a_j = +1/√m, half = −1/√m; ... (odd m: set a_m = 0)").

Independent oracles: the layout of a counted by hand ((m − 1)/2 positive, (m − 1)/2 negative,
one zero, values ±1/√m of the true m); autograd for the zero neuron's gradient (exactly 0) and
its row of W after GD (bit for bit its initial value); plain per-neuron Python loops in
float64 for every per-sign quantity of the frei probes, the Lemma 6 edges and the own-mean
summary, with the zero neuron in neither group; the claims' regime on a record that is
otherwise inside A1–A7. The even case: the layout against the expression init_params used
before odd widths were built (the probe values of an even m are checked against loops in
tests/test_probes_frei.py, and their bits against the code before this change by hand, see the
commit message)."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
import torch
from cli_helpers import run
from record_check_helpers import check_json, simulated

from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.errors import ConfigError
from twolayer.record import Record
from twolayer.simulate import setup

pytestmark = pytest.mark.usefixtures("single_thread")
RT = Runtime(device="cpu", progress=False)


def _setup(m: int, seeds: int = 2, dtype: str = "float64", **train):
    cfg = Config(data=DataConfig(d=30, n=60, n_test=80, noise=0.15, sigma2=0.2 / 30),
                 net=NetConfig(m=m, init_var=1e-6 / (m * 30)),
                 train=TrainConfig(**{"lr": 0.125, "steps": 3, **train}), seeds=seeds,
                 dtype=dtype)
    return setup(cfg)


# -- the layout -------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [3, 7, 101])
def test_odd_layout_counts_and_values(m):
    """(m − 1)/2 neurons a_j = +1/√m first, then (m − 1)/2 with −1/√m, then a_m = 0; the scale
    is that of the true width m (the card changes a_m only)."""
    _, _, params = _setup(m, dtype="float32")
    a = params.a[..., 0].numpy()
    h = (m - 1) // 2
    for r in range(a.shape[0]):
        assert ((a[r] > 0).sum(), (a[r] < 0).sum(), (a[r] == 0).sum()) == (h, h, 1)
        assert (a[r, :h] == np.float32(1 / math.sqrt(m))).all()
        assert (a[r, h:2 * h] == np.float32(-1 / math.sqrt(m))).all()
        assert a[r, m - 1] == 0


@pytest.mark.parametrize("m", [2, 8, 400])
def test_even_layout_is_the_one_built_before_odd_widths(m):
    """The expression init_params used before odd widths were built, bit for bit."""
    old = torch.full((m, 1), 1.0 / math.sqrt(m), dtype=torch.float32)
    old[m // 2:] *= -1.0
    _, _, params = _setup(m, dtype="float32")
    for r in range(params.runs):
        assert torch.equal(params.a[r], old)
    assert ((old > 0).sum(), (old < 0).sum()) == (m // 2, m // 2)


def test_m_1_is_refused_with_its_reason(capsys, tmp_path):
    with pytest.raises(ConfigError, match="no positive and no negative neuron"):
        NetConfig(m=1)
    with pytest.raises(ConfigError, match=">= 2"):
        NetConfig(m=1, second_layer="gaussian")
    code, out, err = run(["simulate", "--m", "1", "--steps", "1", "--quiet", "--out",
                          str(tmp_path / "o")], capsys)
    assert code == 2 and out == "" and not (tmp_path / "o").exists()
    assert "--m 1" in err and ">= 2" in err and "no positive and no negative" in err


# -- the zero neuron never moves --------------------------------------------------------------


@pytest.mark.parametrize("dtype, integrator", [("float32", "gd"), ("float64", "gd"),
                                               ("float64", "flow")])
def test_zero_neuron_has_zero_gradient_and_its_row_never_moves(dtype, integrator):
    _, data, params = _setup(7, dtype=dtype, lr=0.5, steps=12, integrator=integrator)
    W0 = params.W.clone()
    # autograd of L = (1/n) Σ_i log(1 + exp(−y_i f(x_i))), f = Σ_j a_j relu(⟨w_j, x⟩)
    W = params.W.detach().clone().requires_grad_(True)
    f = torch.relu(torch.bmm(data.x.to(W.dtype), W.transpose(1, 2))) @ params.a
    loss = torch.nn.functional.softplus(-data.y.to(W.dtype) * f[..., 0]).mean(-1).sum()
    (g,) = torch.autograd.grad(loss, W)
    assert torch.all(g[:, 6] == 0)
    assert (g[:, :6].abs().amax(-1) > 0).all()  # the signed neurons do get a gradient
    res = train(params, data, TrainConfig(lr=0.5, steps=12, integrator=integrator), [12], (), RT)
    WT = res.params.W
    assert torch.equal(WT[:, 6], W0[:, 6])  # bit for bit its initial row
    assert (WT[:, :6] != W0[:, :6]).any(-1).all()  # every other neuron moved


# -- the probes against per-neuron loops ------------------------------------------------------

T, LR = 3, 0.125
SIGNED = {0: (0, 1.0), 1: (0, -1.0), 2: (1, 1.0), 3: (1, -1.0)}


@pytest.fixture(scope="module", params=["built", "zeroed"])
def odd_run(request):
    """m = 7 as built (a_7 = 0), and m = 8 with a_8 set to 0 by hand (a zero neuron however
    it came; 4 positive, 3 negative): the probes must not depend on the layout code."""
    if request.param == "built":
        _, data, params = _setup(7)
    else:
        _, data, params = _setup(8)
        a = params.a.clone()
        a[:, -1] = 0.0
        params = dataclasses.replace(params, a=a)
    probes = ("frei_neurons", "correlations")
    res = train(params, data, TrainConfig(lr=LR, steps=T), list(range(T + 1)), probes, RT)
    Ws = [params.W.cpu().numpy()]
    for t in range(1, T + 2):  # W^(T+1) too, for the step at t = T
        Ws.append(train(params, data, TrainConfig(lr=LR, steps=t), [t], (), RT)
                  .params.W.cpu().numpy())
    return data, params, res.arrays, Ws


def _sets(W0, a, mu):
    """Lemma 4's sign split by hand: None for a_j = 0 (in no J_μ)."""
    return [None if a[j] == 0 else (0 if W0[j] @ mu[0] >= 0 else 1) if a[j] > 0
            else (2 if W0[j] @ mu[1] >= 0 else 3) for j in range(W0.shape[0])]


def test_neuron_probe_matches_loops_with_the_zero_neuron_in_no_set(odd_run):
    data, params, arrays, Ws = odd_run
    x, cl = data.x.numpy(), data.cluster.numpy()
    mu = data.extras["class_means"].numpy()
    a = params.a.numpy()[..., 0]
    for r in range(2):
        sets = _sets(Ws[0][r], a[r], mu[r])
        zero = [j for j, s in enumerate(sets) if s is None]
        assert zero == [a.shape[1] - 1]
        np.testing.assert_array_equal(arrays["frei_neurons/set"][r, 0],
                                      [-1 if s is None else s for s in sets])
        for t in range(T + 1):
            W, W1 = Ws[t][r], Ws[t + 1][r]
            kept, c9, leak, nmax, ownstep = 0, [], 0.0, 0.0, []
            for j, sj in enumerate(sets):
                if sj is None:  # neither positive nor negative: no value, in no reduction
                    for key in ("rho_own", "rho_other", "cond9", "own_step"):
                        assert np.isnan(arrays[f"frei_neurons/{key}"][r, t, j]), key
                    continue
                k, s = SIGNED[sj]
                other, wn = 1 - k, np.linalg.norm(W[j])
                assert arrays["frei_neurons/rho_own"][r, t, j] == pytest.approx(
                    s * (W[j] @ mu[r][k]) / wn, rel=1e-6, abs=1e-9)
                assert arrays["frei_neurons/rho_other"][r, t, j] == pytest.approx(
                    (W[j] @ mu[r][other]) / wn, rel=1e-6, abs=1e-9)
                kept += np.sign(W[j] @ mu[r][k]) == s
                on = all(W[j] @ x[r, i] > 0 for i in range(x.shape[1]) if cl[r, i] == sj)
                off = all(W[j] @ x[r, i] <= 0 for i in range(x.shape[1]) if cl[r, i] == sj ^ 1)
                c9.append(float(on and off))
                assert arrays["frei_neurons/cond9"][r, t, j] == c9[-1]
                leak = max(leak, abs(W[j] @ mu[r][other]) / abs(a[r, j]))
                nmax = max(nmax, wn / abs(a[r, j]))
                ownstep.append(s * ((W1[j] - W[j]) @ mu[r][k]) / (LR * abs(a[r, j])))
                assert arrays["frei_neurons/own_step"][r, t, j] == pytest.approx(
                    ownstep[-1], rel=1e-5, abs=1e-9)
            signed = len(c9)
            assert signed == a.shape[1] - 1
            assert arrays["frei_neurons/cond9_fraction"][r, t] == pytest.approx(np.mean(c9))
            assert arrays["frei_neurons/sign_kept"][r, t] == pytest.approx(kept / signed)
            assert arrays["frei_neurons/leak"][r, t] == pytest.approx(leak, rel=1e-6)
            assert arrays["frei_neurons/norm_max"][r, t] == pytest.approx(nmax, rel=1e-6)
            assert arrays["frei_neurons/own_step_min"][r, t] == pytest.approx(min(ownstep),
                                                                              rel=1e-5)
            # ‖W‖_F is of the whole matrix, the zero neuron's row included
            assert arrays["frei_neurons/norm_frob"][r, t] == pytest.approx(
                math.sqrt((W**2).sum()), rel=1e-6)


def test_own_mean_summary_is_the_median_over_signed_neurons(odd_run):
    """xor.summary's corr_median_* (the simulate table, the sweep metrics): the median over the
    positive and negative neurons of |⟨w_j/‖w_j‖, μ_own(j)⟩|, by a loop."""
    from twolayer.data import xor

    data, params, arrays, Ws = odd_run
    mu = data.extras["class_means"].numpy()
    a = params.a.numpy()[..., 0]
    got = xor.summary({**arrays, "static/a": params.a.numpy()})
    for r in range(2):
        for key, t in (("corr_median_init", 0), ("corr_median_final", T)):
            W = Ws[t][r]
            own = [abs(W[j] @ mu[r][0 if a[r, j] > 0 else 1]) / np.linalg.norm(W[j])
                   for j in range(W.shape[0]) if a[r, j] != 0]
            assert len(own) == W.shape[0] - 1
            assert got[key][r] == pytest.approx(float(np.median(own)), rel=1e-6)


def test_lemma6_edge_is_nan_for_the_zero_neuron_and_a_loop_for_the_others(odd_run):
    from twolayer.experiments.frei2023 import good_run_facts

    data, params, _, Ws = odd_run
    x, cl, noisy = data.x.numpy(), data.cluster.numpy(), data.noisy.numpy()
    mu = data.extras["class_means"].numpy()
    a = params.a.numpy()[..., 0]
    edge = good_run_facts(data, params)["static/lemma6_edge"]
    n = x.shape[1]
    for r in range(2):
        for j, sj in enumerate(_sets(Ws[0][r], a[r], mu[r])):
            if sj is None:
                assert np.isnan(edge[r, j])
                continue
            act = [Ws[0][r][j] @ x[r, i] > 0 and not noisy[r, i] for i in range(n)]
            own = sum(act[i] for i in range(n) if cl[r, i] == sj)
            opp = sum(act[i] for i in range(n) if cl[r, i] == sj ^ 1)
            assert edge[r, j] == pytest.approx((own - opp) / n)


# -- a record: claims, conditions, plots ------------------------------------------------------

# tests/test_check_record_frei.py's inside setting (A1-A7 hold for 4 <= C <= 6.68 at d = 400),
# at the odd width 21 and with the correlations probe for the plots
ODD = ["--data", "xor", "--d", "400", "--n", "100", "--noise", "0.05", "--sigma2", "6e-7",
       "--m", "21", "--init-var", "1e-12", "--lr", "0.25", "--n-test", "200", "--steps", "2",
       "--probes", "frei_neurons,frei_samples,frei_test,correlations", "--seeds", "4",
       "--quiet"]


@pytest.fixture(scope="module")
def odd_record(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("odd"), ODD)


def test_simulate_runs_an_odd_width(odd_record):
    rec = Record.load(odd_record)
    a = rec.arrays["static/a"][..., 0]
    assert a.shape == (4, 21)
    assert ((a > 0).sum(-1) == 10).all() and ((a < 0).sum(-1) == 10).all()
    assert (a[:, 20] == 0).all()


def test_claims_on_an_odd_record_are_outside_with_the_premise_named(odd_record, capsys):
    from twolayer.claims.frei2023 import EVEN_WIDTH

    _, rows = check_json(capsys, odd_record, "frei2023")
    assert rows
    for r in rows:
        assert r["in_regime"] is False, r["id"]
        assert f"{EVEN_WIDTH}: no" in r["regime"], (r["id"], r["regime"])
        # A1-A7 themselves hold: the width is what puts it outside
        assert r["regime"].startswith("d=400 n=100: A1-A7 hold "), r["regime"]
        assert r["verdict"] not in ("error", "not served"), (r["id"], r.get("why"))
        assert "worst inf" not in (r.get("detail") or ""), r["id"]
    # the per-neuron statements count the 20 signed neurons of each of the 4 runs, not 21
    edge = next(r for r in rows if r["id"] == "frei2023.lemma6.edge")
    assert re.search(r"neurons with edge <= 0: \d+ of 80\b", edge["detail"]), edge["detail"]


def test_conditions_name_the_even_width_premise(odd_record, capsys):
    code, out, err = run(["conditions", "--m", "7"], capsys)
    assert code == 2 and out == ""
    assert "--m 7" in err and "m even" in err and "take m = 6 or 8" in err
    code, out, err = run(["conditions", "--record", str(odd_record)], capsys)
    assert code == 0, err
    assert "as the claims read it): no: m = 21 is odd" in out


def test_amplification_plot_leaves_the_zero_neuron_out_of_both_colours(odd_record):
    from twolayer.plots.frei2023 import neuron_stats

    rec = Record.load(odd_record)
    st = neuron_stats(rec)
    assert st.positive.size == 4 * 20 and st.positive.sum() == 4 * 10
    assert (st.abs_a > 0).all()
    wn = rec.arrays["correlations/w_norm"].astype(np.float64)
    np.testing.assert_allclose(st.frob, np.sqrt((wn**2).sum(-1)))  # all 21 rows
