"""Regime marks against the paper cards' premises, recomputed independently (helper xa audit).

liu2023: the card (section 2) defines the label noise as a fraction delta < 1/2 of training labels
*randomly* corrupted. Eq. (5)'s factorisation g_k^(c) = |D_k^(c)| E[f - y] E[grad h] needs the
noisy segment to be a random part of its class; an input-dependent corruption (twolayer's
``confident`` and ``one-cluster`` models) breaks it even where the measured segment premise holds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twolayer.claims import liu2023 as L
from twolayer.engine import Runtime
from twolayer.experiments import liu2023 as E
from twolayer.record import Record

TIMES = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


@pytest.fixture(scope="module")
def init_records():
    """XOR clusters at t = 0, n = 4000 (the quick plan's ``xor_large_n``), iid vs confident
    label noise at delta = 0.3: the same data, only the choice of the flipped points differs."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rt = Runtime(device="cpu", progress=False)
    out = {}
    for model in ("iid", "confident"):
        cfg = E.xor_config(E.plan(True), seeds=4).replace(data__n=4000, data__noise_model=model)
        out[model] = E.run_init(cfg, rt)
    torch.set_num_threads(threads)
    return out


def _eq5_deviation(rec: Record) -> np.ndarray:
    """Oracle: per seed, max over the two classes of |ratio / (|D_clean|/|D_noise|) - 1|, read
    from the raw per-class arrays (the card's Eq. (5) prediction, computed here by hand)."""
    a = rec.arrays
    ratio = a["segments/class_ratio"][:, 0].astype(np.float64)
    pred = a["liu/class_count_clean"][:, 0] / a["liu/class_count_noisy"][:, 0]
    return np.abs(ratio / pred - 1.0).max(-1)


def test_liu_eq5_outside_when_the_noise_is_not_random(init_records):
    """With the noise placed on the most confident points, Eq. (5)'s ratio is off by far more
    than the claim's 10 % (the noisy segment is not a random part of its class), while the
    measured segment premise (S >= 10, f(w_0) ~ 1/2) still holds: the verdict must be outside
    (it was 'fails', inside). With iid noise the same setting stays inside."""
    conf, iid = init_records["confident"], init_records["iid"]
    assert E.premise_segments(conf)[0]  # the measured premise alone cannot see it
    assert _eq5_deviation(conf).min() > 0.2 and _eq5_deviation(iid).max() < 0.1
    out = L._ratio_binary(conf)
    assert not out.in_regime and "confident" in out.regime
    assert not L._anticollinear_init(conf).in_regime
    assert L._ratio_binary(iid).in_regime and L._anticollinear_init(iid).in_regime


def _trained(noise_model: str, noise: float) -> Record:
    """A hand-made trained Record of the regime setting whose measured premises hold (U-shaped
    test error, anti-collinear segments, small drift), with the given label noise."""
    R, T = 4, len(TIMES)
    e = np.concatenate([np.linspace(0.5, 0.05, 8), np.linspace(0.05, 0.3, 5)[1:]])
    cfg = E.regime_config(E.plan(True), seeds=R).to_dict()
    cfg["data"]["noise_model"], cfg["data"]["noise"] = noise_model, noise
    arrays = {
        "errors/test_error_clean": np.stack([e] * R),
        "segments/class_cos_clean_noisy": np.full((R, T, 2), -0.97) + 0.001 * np.arange(R)[
            :, None, None],
        "liu/grad_drift": np.full((R, T), 0.02) + 0.001 * np.arange(R)[:, None],
    }
    return Record(cfg, "hand-made", TIMES.copy(), arrays)


@pytest.mark.parametrize("model,noise,inside", [
    ("iid", 0.3, True), ("per-cluster", 0.3, True),
    ("confident", 0.3, False), ("one-cluster", 0.3, False),
    # random replacement: rate 1 corrupts half the labels (no clean majority); rate 0.3 is not
    # the corrupted fraction (0.15) that the claims' delta stands for
    ("random", 1.0, False), ("random", 0.3, False),
])
def test_liu_theorem_regime_needs_random_noise_with_a_clean_majority(model, noise, inside):
    rec = _trained(model, noise)
    assert E.premise_anticollinear(rec)[0] and E.premise_ntk(rec)[0]
    ok, text = L._theorem_regime(rec)
    assert ok is inside, text
    assert L._u_regime(rec)[0] is inside


def test_vashisht_label_noise_specific_without_its_control_is_not_inside():
    """Without the input-noise control runs the claim has nothing to judge: inconclusive, and
    outside with a regime text (it fell back to the registered default, inside, with none)."""
    from twolayer.claims.base import CLAIMS, judge
    from twolayer.experiments import Runs
    from twolayer.experiments import vashisht2024 as V

    tiny = V.Plan(d=6, slabs=2, n=60, n_test=80, m=8, seeds=2, num_times1=3, num_times2=3,
                  sgd=V.Arm("sgd", lr=0.1, batch_size=20, T1=30, T2=10, etas=(0.0, 0.5),
                            input_noise=False),
                  gd=None)
    cpu = Runtime(device="cpu", progress=False)
    rec = V.run_study("lms", tiny, tiny.sgd, cpu)
    runs = Runs(quick=True, runtime=cpu)
    runs._cache.update({"vashisht2024.lms.sgd": rec,
                        "vashisht2024.lms.gd": V.absent("lms", "gd", True)})
    v = judge(CLAIMS["vashisht2024.lms.label_noise_specific"], runs)
    assert v.verdict == "inconclusive"
    assert v.in_regime is False and "input-noise control" in v.regime


@pytest.mark.parametrize("model,inside", [("iid", True), ("one-cluster", True),
                                          ("random", False)])
def test_frei_paper_model_reads_eta_as_the_flip_rate(model, inside):
    """Frei's eta is the mean flip probability E[eta(x)] (card section 1). Counted on the data
    (the oracle): iid and one-cluster flip a share eta of the labels, random replacement only
    eta/2, so a record whose claims compare with eta (A4, eta + C sqrt(...)) is outside there."""
    import torch

    from twolayer.claims.frei2023 import paper_model
    from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
    from twolayer.simulate import setup

    eta = 0.2
    cfg = Config(data=DataConfig(d=20, n=4000, n_test=10, noise=eta, noise_model=model),
                 net=NetConfig(m=4), train=TrainConfig(lr=0.125, steps=3), seeds=2)
    _, data, _ = setup(cfg)
    share = float(data.noisy.to(torch.float64).mean())
    assert (abs(share - eta) < 0.03) is inside, share
    assert paper_model(cfg.to_dict()) is inside


def _flip_cluster_oracle(model: str, eta: float = 0.2, n: int = 200_000) -> tuple[float, float]:
    """(err_P - eta, (1 - 2 eta) err_P~) of the classifier that is wrong (against the clean
    label) on cluster +mu1 only, by a numpy Monte Carlo over cluster ids: flips drawn iid, or
    all put into cluster 0 (one-cluster at eta < 1/4)."""
    rng = np.random.default_rng(0)
    cl = rng.integers(0, 4, n)
    flip = (rng.random(n) < eta) if model == "iid" else (cl == 0) & (rng.random(n) < 4 * eta)
    wrong_clean = cl == 0
    err_p = float(np.mean(wrong_clean ^ flip))  # h != y  <=>  (h != y~) xor flipped
    return err_p - eta, (1 - 2 * eta) * float(np.mean(wrong_clean))


def test_frei_excess_trend_needs_flips_independent_of_x():
    """excess() reads err_P - eta as (1 - 2 eta) err_P~, true only for x-independent flips:
    the oracle shows it off by 0.3 (opposite signs) under one-cluster noise; the claim's
    regime premise must say so."""
    from twolayer.claims.frei2023 import excess_premise

    a, b = _flip_cluster_oracle("iid")
    assert abs(a - b) < 0.01
    a, b = _flip_cluster_oracle("one-cluster")
    assert a < -0.1 and b > 0.1

    class _R:
        def __init__(self, model):
            self.config = {"data": {"noise_model": model}}

    assert excess_premise([_R("iid"), _R("per-cluster")])[1]
    assert not excess_premise([_R("iid"), _R("one-cluster")])[1]
    assert not excess_premise([_R("confident")])[1]


def test_frei_excess_trend_outside_on_input_dependent_noise(monkeypatch):
    """The claim itself on tiny regime records (inside A1-A7 for 4 <= C <= 6.6): inside with
    iid flips; the same records relabelled one-cluster are outside (they were inside)."""
    import copy

    from twolayer.claims.base import CLAIMS, judge
    from twolayer.experiments import Runs
    from twolayer.experiments import frei2023 as F

    reg = F.Regime(ds=(400, 1600), n=120, m=40, noise=0.05, sigma2_d=1e-6, init_var_md=1e-8,
                   lr=0.25, n_test=200, seeds=3)
    tiny = dataclasses.replace(F.PLANS["quick"], regime=reg, adversarial_d=400, ns=(80, 160))
    monkeypatch.setitem(F.PLANS, "quick", tiny)
    runs = Runs(quick=True, runtime=Runtime(device="cpu", progress=False))
    claim = CLAIMS["frei2023.theorem1.excess_trend"]
    v = judge(claim, runs)
    assert v.in_regime, v.regime
    nsw = {k: copy.deepcopy(r) for k, r in runs.get("frei2023.n_sweep").items()}
    for r in nsw.values():
        r.config["data"]["noise_model"] = "one-cluster"
    runs._cache["frei2023.n_sweep"] = nsw
    v = judge(claim, runs)
    assert not v.in_regime and "one-cluster" in v.regime


def _phase_record() -> Record:
    """A hand-made trained Record of the regime setting: test error U-shaped with its minimum
    at t = 64 (early window t <= 32), the pooled and per-class ratio falling from 2.33 to 1 and
    crossing 1.05 first at t = 128 (t_x), the segments anti-collinear (-0.97) and the drift
    small (0.02) everywhere, except at t = 64, between t*/2 and t_x: cos -0.5, drift 0.3."""
    R, T = 4, len(TIMES)
    e = np.concatenate([np.linspace(0.5, 0.05, 8), np.linspace(0.05, 0.3, 5)[1:]])
    ratio = np.array([2.33, 2.2, 2.0, 1.8, 1.6, 1.45, 1.3, 1.15, 1.04, 1.0, 0.98, 0.97])
    cfg = E.regime_config(E.plan(True), seeds=R).to_dict()
    cos = np.full((R, T, 2), -0.97) + 0.001 * np.arange(R)[:, None, None]
    drift = np.full((R, T), 0.02) + 0.001 * np.arange(R)[:, None]
    cos[:, 7] = -0.5
    drift[:, 7:] = 0.3
    arrays = {
        "errors/test_error_clean": np.stack([e] * R),
        "segments/grad_ratio": np.stack([ratio] * R),
        "segments/class_ratio": np.stack([np.stack([ratio, ratio], -1)] * R),
        "segments/class_cos_clean_noisy": cos,
        "liu/grad_drift": drift,
    }
    return Record(cfg, "hand-made", TIMES.copy(), arrays)


def test_liu_theorem45_premises_hold_over_the_window_it_is_judged_on():
    """Theorem 4.5's claims judge alpha_t up to t_x (monotone shares, t_x against t*): the
    premises (Assumption 4.1, the NTK premise) must hold up to there, not only over the early
    window t <= t*/2 that Theorem 4.4 and Lemma 4.2 use. Here they break at t = 64, inside
    [t*/2, t_x]: Theorem 4.4 stays inside, Theorem 4.5 goes outside (it was inside)."""
    rec = _phase_record()
    t_star, t_x = E.t_star(rec), E.t_cross(rec)
    assert np.all(TIMES[E.early_end(rec)] < 64) and np.all(t_x == 128) and np.all(t_star >= 64)
    assert L._theorem_regime(rec)[0]  # the early window alone: inside
    for out in (L._monotone(rec), L._crossing(rec)):
        assert out.in_regime is False, out.regime
        assert "clean-priority" in out.regime and "not established" in out.regime


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
def test_liu_premise_with_an_unmeasured_seed_is_not_established():
    """A premise is a statement about every seed the claim reads: one seed whose early-window
    cosine or drift is NaN (e.g. no noisy point in either class) leaves it not established;
    it was decided by the other seeds' interval (here -0.97 +- 0.002: holds)."""
    rec = _trained("iid", 0.3)
    assert E.premise_anticollinear(rec)[0] and E.premise_ntk(rec)[0]
    rec.arrays["segments/class_cos_clean_noisy"][0] = np.nan
    rec.arrays["liu/grad_drift"][1] = np.nan
    ok, text, _ = E.premise_anticollinear(rec)
    assert not ok and "not established" in text
    assert not E.premise_ntk(rec)[0]
    assert not L._theorem_regime(rec)[0]


def test_liu_width_rate_claim_needs_two_classes():
    """lem42.rate_factor_width measures the deviation from Lemma 4.2, a binary statement: a
    width sweep with K = 10 classes is outside (it was inside when its other premises held);
    the drift claim (the NTK premise, any K) keeps its regime."""
    recs = {}
    for m in (64, 256):
        rec = _trained("iid", 0.3)
        rec.config["net"]["m"] = m
        recs[m] = rec
    assert L._width_regime(recs, ntk_premise=True)[0]
    for rec in recs.values():  # K classes: Assumption 4.1 through the true-class logit
        rec.config["data"]["num_classes"] = 10
        rec.arrays["liu/logit_class_cos"] = rec.arrays["segments/class_cos_clean_noisy"]
    ok, text = L._width_regime(recs, ntk_premise=True)
    assert not ok and "K = 10" in text
    assert L._width_regime(recs, ntk_premise=False)[0]


def test_liu_theorem_regime_needs_the_cross_entropy_loss():
    """Theorems 4.4/4.5 and Lemma 4.2 read the binary cross-entropy's residual f - y (card
    section 2); a margin loss registered by a plugin (e.g. barak2022's hinge) is outside."""
    rec = _trained("iid", 0.3)
    assert L._theorem_regime(rec)[0]
    rec.config["train"]["objective"] = "hinge"
    ok, text = L._theorem_regime(rec)
    assert not ok and "hinge" in text


def test_maennel_fitted_premise_is_not_decided_without_a_lost_seed():
    """maennel2020's premise "the network learned its labels" (95% interval of the final training
    error below chance 1 - 1/K) over every seed: with one seed's error lost (NaN, a diverged
    run) it is not established; the other seeds' interval (0.1, clearly below 0.9) decided it."""
    from twolayer.claims.maennel2020 import fitted

    cfg = {"data": {"num_classes": 10, "noise_model": "random", "n": 100}}
    err = np.array([[0.5, 0.10], [0.5, 0.11], [0.5, 0.12], [0.5, 0.10]])
    rec = Record(cfg, "hand-made", np.array([0, 10]), {"errors/train_error": err})
    assert fitted(rec)[0]
    err[2, -1] = np.nan
    ok, text = fitted(rec)
    assert not ok and ": no" in text
