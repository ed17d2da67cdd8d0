"""Mutation-testing oracles for the Badger experiments layer
(``twolayer/experiments/badger2022.py``): the plans' settings against the "Plans" list of
``docs/papers/badger2022.md`` (typed in here by hand), the pairing of the runs of one batch
(the same seed at every noise fraction: "paired sweeps"), the initialisation W ~ N(0, 1/d) and
the views the claims read. Each test names the mutants it kills (the older tests let them
through).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from twolayer.experiments import badger2022 as xb
from twolayer.record import Record


def test_quick_and_full_plans_are_the_documented_ones() -> None:
    """docs/papers/badger2022.md, "Plans": quick 5 seeds, f ∈ {1, 0.5, 0.25, 0}, n = 250, m =
    128, SGD lr 0.01, B = 25 (10 steps per epoch), 300 epochs = 3000 steps, switch Adam lr 1e-4,
    sizes N ∈ {200, 400, 800}, hold-out 500, Adam lr 1e-3 batch 40, 30 epochs, m ∈ {32, 128};
    full 5 seeds, f ∈ {1, 0.75, 0.5, 0.25, 0.1, 0}, n = 1000, m = 256, lr 0.01, B = 50 (20 steps
    per epoch), 300 epochs = 6000 steps, sizes N ∈ {250, 500, 1000, 2000}, hold-out 2000, Adam lr
    1e-3 batch 50, 60 epochs, m ∈ {64, 256, 1024}; the tiny figure plan m ∈ {16, 64}; gates
    chance, 0.25, 0.5, 0.75. Kills a fraction grid without 0.1, n = 500, m = 128 (full) or 64
    (quick), lr 0.02, B = 25 (full), 200 epochs, switch lr 1e-3, sizes lr 1e-4, a width or a size
    dropped, 30 sizes epochs in full, a target gate dropped."""
    q, f = xb.PLANS["quick"], xb.PLANS["full"]
    assert (q.seeds, q.fractions, q.n, q.m, q.lr, q.batch, q.epochs) == (
        5, (1.0, 0.5, 0.25, 0.0), 250, 128, 0.01, 25, 300)
    assert (q.steps_per_epoch, q.steps) == (10, 3000)
    assert (q.sizes, q.size_holdout, q.size_lr, q.size_batch, q.size_epochs, q.widths) == (
        (200, 400, 800), 500, 1e-3, 40, 30, (32, 128))
    assert (f.seeds, f.fractions, f.n, f.m, f.lr, f.batch, f.epochs) == (
        5, (1.0, 0.75, 0.5, 0.25, 0.1, 0.0), 1000, 256, 0.01, 50, 300)
    assert (f.steps_per_epoch, f.steps) == (20, 6000)
    assert (f.sizes, f.size_holdout, f.size_lr, f.size_batch, f.size_epochs, f.widths) == (
        (250, 500, 1000, 2000), 2000, 1e-3, 50, 60, (64, 256, 1024))
    for p in (q, f):
        assert (p.optimizer, p.switch_optimizer, p.switch_lr, p.size_optimizer) == (
            "sgd", "adam", 1e-4, "adam")
    assert xb.PLANS["tiny"].widths == (16, 64)
    assert xb.TARGETS == (0.25, 0.5, 0.75) and (xb.K, xb.D) == (10, 30)
    assert xb.plan(True) is q and xb.plan(False) is f
    assert xb.figure_plan(False) is q and xb.figure_plan(True) is xb.PLANS["tiny"]


def test_a_batch_pairs_each_seed_across_fractions_and_draws_w_with_variance_1_over_d() -> None:
    """"The same seed gives the same s and ξ at every f (paired sweeps)": in a batch of
    fractions (1, 0.25, 0) the f = 0.25 run of seed s is exactly 0.25·x(f = 1) + 0.75·x(f = 0)
    of the same seed, and all runs of a seed share the initialisation. And W ~ N(0, 1/d)
    (docs, "Network"): the sample variance of 3·4·64·30 = 23 040 weights lies within 5% of
    1/30 (its standard error is 0.9%), far from 2/d. Kills seeds that differ between fractions
    and an init variance of 2/d."""
    p = xb.PLANS["tiny"]
    S = 4
    data, params, seeds = xb.batch(p, (1.0, 0.25, 0.0), S, 20, 20, 10)
    assert seeds == [0, 1, 2, 3] * 3
    x = data.x.double()
    mix = 0.25 * x[:S] + 0.75 * x[2 * S:]
    assert torch.allclose(x[S:2 * S], mix, atol=1e-5)
    assert torch.equal(data.y[:S], data.y[S:2 * S]) and torch.equal(data.y[:S], data.y[2 * S:])
    for i in range(S):
        assert torch.equal(params.W[i], params.W[S + i])
        assert torch.equal(params.W[i], params.W[2 * S + i])
    w = params.W[:S].double()  # the distinct draws
    assert w.shape == (S, 64, 30)
    assert abs(float(w.var()) * 30 - 1.0) < 0.05


def _view(fractions, seeds, values) -> xb.ObjectiveRuns:
    return xb.ObjectiveRuns(np.arange(2), {"normal/acc_train": np.asarray(values, float)},
                            tuple(fractions), seeds, "s")


def test_get_reads_runs_fraction_major() -> None:
    """Runs are ordered fraction-major (run = i_f · S + seed): with 3 fractions and 2 seeds, run
    r holds the value r, so get(...)[i_f, s] must be i_f·2 + s. Kills a seed-major reshape."""
    v = _view((1.0, 0.5, 0.0), 2, [[r, r] for r in range(6)])
    g = v.get("normal/acc_train")
    assert g.shape == (3, 2, 2)
    for i_f in range(3):
        for s in range(2):
            assert g[i_f, s, 0] == i_f * 2 + s


def test_sizes_view_is_keyed_width_then_size() -> None:
    """``sizes_runs_view`` is m → N → runs. Kills the two keys swapped."""
    recs = {}
    for m in (16, 64):
        for N in (100, 200, 400):
            recs[f"m={m},N={N}"] = Record(
                {}, f"{m}-{N}", np.zeros(1, dtype=np.int64), {},
                {"fractions": [0.0, 1.0], "seeds": 2, "setting": "", "wall_seconds": 0.0,
                 "notes": [["m", m], ["N", N], ["steps_per_epoch", N // 20]]})
    out = xb.sizes_runs_view(recs)
    assert list(out) == [16, 64]
    assert list(out[64]) == [100, 200, 400]
    assert out[64][200].run_id == "64-200"


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_stepper_of_names_the_optimiser(optimizer) -> None:
    """``stepper_of``: None for plain SGD, an Adam stepper for "adam". Kills Adam replaced by
    SGD."""
    s = xb.stepper_of(optimizer)
    assert (s is None) == (optimizer == "sgd")


# -- the runners' wiring, on a very small plan, with the engine's train call observed ---------

SMALL = xb.Plan(seeds=2, fractions=(1.0, 0.0), n=30, m=8, lr=0.01, batch=10, epochs=3,
                num_times=4, sizes=(20, 40), size_batch=5, size_epochs=2, size_holdout=20,
                size_widths=(4, 6))


def _spy(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[dict] = []
    real = xb.train

    def spy(params, data, cfg, times, probes, runtime, seeds, weights=None, stepper=None):  # type: ignore[no-untyped-def]
        calls.append({"params": params, "cfg": cfg, "times": list(times), "seeds": list(seeds),
                      "threshold": getattr(weights, "threshold", None), "stepper": stepper,
                      "skip_epochs": getattr(weights, "skip_epochs", None),
                      "fraction": data.extras["fraction"].tolist()})
        res = real(params, data, cfg, times, probes, runtime, seeds, weights=weights,
                   stepper=stepper)
        calls[-1]["result"] = res
        return res

    monkeypatch.setattr(xb, "train", spy)
    return calls


def _rt():  # type: ignore[no-untyped-def]
    from twolayer.engine import Runtime

    return Runtime(device="cpu", progress=False)


def test_switch_continues_from_the_memorised_network_with_normal_training(monkeypatch) -> None:
    """Claim 5's runs (docs: "memorise then normal", Adam lr 1e-4 with fresh moments at the
    switch; the reference is normal training for 2E epochs from the start): the switch phase
    starts from the memorise phase's final parameters and trains with the gate off (threshold
    +∞), the reference trains 2T steps from the initial parameters with the gate off, and the
    memorise phase has the chance gate (1/K + 0.01). The switch record's times continue the
    memorise record's (T + t), and its first value is the memorise record's last. Kills the
    switch phase from the initialisation, its times restarted at 0, a reference of T steps, a
    switch phase with the chance gate, the switch with SGD's lr, and Adam replaced by SGD."""
    calls = _spy(monkeypatch)
    out = xb.run_switch(SMALL, None, _rt())
    mem, sw, nrm = calls
    T = SMALL.steps
    assert T == 9
    assert mem["threshold"] == pytest.approx(1 / 10 + 0.01)
    assert sw["threshold"] == float("inf") and nrm["threshold"] == float("inf")
    # the switch phase continues the minibatch streams after the E memorise epochs (as the
    # reference's second half draws them); the memorise phase and the reference start at epoch 1
    assert (mem["skip_epochs"], sw["skip_epochs"], nrm["skip_epochs"]) == (0, SMALL.epochs, 0)
    assert sw["params"] is mem["result"].params
    assert nrm["params"] is mem["params"]
    assert mem["cfg"].steps == T and sw["cfg"].steps == T and nrm["cfg"].steps == 2 * T
    for c in calls:
        assert c["cfg"].lr == 1e-4 and c["stepper"] is not None
        assert c["cfg"].batch_size == SMALL.batch
    m, s, n = out["memorise"], out["switch"], out["normal"]
    assert s.times[0] == T == m.times[-1] and list(s.times) == [T + t for t in m.times]
    assert n.times[-1] == 2 * T
    for key in m.arrays:
        np.testing.assert_allclose(s.arrays[key][:, 0], m.arrays[key][:, -1], rtol=1e-5,
                                   atol=1e-6)


def test_objectives_runs_pair_normal_and_memorise_on_the_same_minibatches(monkeypatch) -> None:
    """Claims 1, 2, 4 (docs: "normal = the same paired minibatches with g ≡ 0 (gate "never")";
    C2′: the chance gate, target gates and "none", ungated): the normal run has the gate off
    (threshold +∞), the memorise runs the chance gate 1/K + 0.01; the gates experiment trains
    chance, 0.25, 0.5, 0.75 and ungated (a threshold below 0); every run of a batch with
    minibatch B = ``batch``. Kills normal training as the ungated ascent, the ungated gate
    dropped, the sizes batch."""
    calls = _spy(monkeypatch)
    v = xb.run_objectives(SMALL, None, _rt())
    assert [c["threshold"] for c in calls] == [float("inf"), pytest.approx(0.11)]
    assert {c["cfg"].batch_size for c in calls} == {SMALL.batch}
    assert set(k.split("/")[0] for k in v.arrays) == {"normal", "memorise_chance"}
    calls.clear()
    g = xb.run_gates(SMALL, None, _rt())
    th = [c["threshold"] for c in calls]
    assert th[:4] == [pytest.approx(0.11), 0.25, 0.5, 0.75]
    assert len(th) == 5 and th[4] < 0  # ungated: on whatever the accuracy (≥ 0)
    assert g.fractions == (1.0,)


def test_sizes_runs_label_their_fractions_and_epochs(monkeypatch) -> None:
    """Claim 3's runs: random (f = 0) then structured (f = 1) inputs, as the view's fractions
    say (its runs are read fraction-major); at each N, size_epochs epochs of N / size_batch
    steps, the probe times including the smallest N's step count (equal steps), and
    steps_per_epoch N / size_batch in the notes; every width of the plan. Kills the fractions
    of the data reversed against the view's, equal steps at the largest N, steps per epoch of
    the objectives plan."""
    calls = _spy(monkeypatch)
    out = xb.run_sizes(SMALL, None, _rt())
    assert sorted(out) == [(4, 20), (4, 40), (6, 20), (6, 40)]
    equal = 2 * 20 // 5
    for c, ((m, N), v) in zip(calls, sorted(out.items())):
        assert v.fractions == (0.0, 1.0)
        assert c["fraction"] == [0.0, 0.0, 1.0, 1.0]
        assert c["cfg"].steps == 2 * N // 5 and c["cfg"].batch_size == 5
        assert c["cfg"].lr == 1e-3 and c["stepper"] is not None
        assert equal in v.times
        assert v.extra["steps_per_epoch"] == N // 5 and v.extra["N"] == N and v.extra["m"] == m


def test_a_diverging_batch_keeps_every_time_before_the_divergence_and_nan_after() -> None:
    """``train_guarded``: an ungated ascent at lr 20 blows up; the engine names the step s of
    the first non-finite value (a plain ``train`` call, catching the error). The guarded run
    keeps every probe time t < s (its accuracies finite) and fills
    t ≥ s with NaN for every run, and says which seed and step. With a probe at every step one
    time equals s. Kills keeping t ≤ s (the re-run then diverges again and raises)."""
    from twolayer.config import TrainConfig
    from twolayer.errors import DivergenceError
    from twolayer.objectives import Memorise

    p = SMALL
    data, init, seeds = xb.batch(p, (1.0,), 2, 30, 30, 20)
    T = 300
    cfg = TrainConfig(lr=20.0, steps=T, objective="softmax", batch_size=10)
    times = list(range(T + 1))
    with pytest.raises(DivergenceError) as err:
        xb.train(init, data, cfg, times, ("badger",), _rt(), seeds,
                 weights=Memorise(data.extras["ascended"], 10, "none"))
    s = err.value.step
    assert 0 < s < T
    arrays, note = xb.train_guarded(init, data, cfg, times, _rt(), seeds,
                                    Memorise(data.extras["ascended"], 10, "none"), "sgd",
                                    ("badger",))
    assert note == f"diverged: seed {seeds[err.value.run]} at step {s} (later times NaN)"
    accs = [k for k in arrays if "/acc" in k]
    assert accs
    for k, v in arrays.items():
        assert v.shape[:2] == (2, T + 1), k
        assert np.isnan(v[:, s:]).all(), k
        if k in accs:  # accuracies stay finite while the logits grow (other probes may overflow)
            assert np.isfinite(v[:, :s]).all(), k
