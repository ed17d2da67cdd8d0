"""Mutation-testing oracles for the barak2022 plugin's experiments layer
(``examples/barak2022/experiments.py``, ``train.py``): which settings each experiment trains in
quick and full mode, against the settings columns of ``docs/papers/barak2022.md`` (the quick
table and the full-plan table, typed in here by hand), with ``run_parity`` replaced by a
recorder; and ``first_time`` and the label models against hand-worked values. Each test names
the mutants it kills (the older tests let them through).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_barak2022 import plugin  # noqa: F401  (module fixture)

from twolayer.api import Record, Runtime


def _recorder(monkeypatch, e):  # type: ignore[no-untyped-def]
    calls: list[dict] = []

    def fake(n, k, seeds, **kw):
        R = seeds if isinstance(seeds, int) else len(seeds)
        calls.append({"n": n, "k": k, "R": R, **kw})
        tc = np.arange(1, R + 1, dtype=np.int64) * 100  # every seed solved, slowest at 100 R
        return Record({"n": n, "k": k}, f"{n}-{k}-{len(calls)}", np.zeros(1, dtype=np.int64),
                      {"static/t_c": tc}, {})

    monkeypatch.setattr(e, "run_parity", fake)
    monkeypatch.delenv("BARAK2022_TINY", raising=False)
    return calls


def _settings(calls):  # type: ignore[no-untyped-def]
    return sorted((c["n"], c["k"]) for c in calls)


@pytest.mark.parametrize("quick", [True, False])
def test_every_experiment_trains_the_documented_settings(plugin, monkeypatch, quick) -> None:  # noqa: F811
    """Quick (docs, the quick table) and full (docs, the full-plan table) settings: EF1 grid
    n ∈ {10, 20}, k ∈ {2, 3}, R = 8, 4000 steps (full: n ∈ {10, 20, 30}, k ∈ {2, 3, 4}, 25 seeds,
    10^5 steps), the paper's Xavier init; curves (20, 3) R = 16 (full adds (30, 4), the setting
    fig1 judges); hidden progress width 10 on (20, 3) (full (30, 3)), the control with random
    labels from the same seeds, run as long as the slowest true seed; C.2 (20, 3) ± bias and
    (16, 4) without, 6000 steps (full (30, 3), (30, 4), 3·10^4 steps, 16 seeds), Xavier; label
    noise p = 0.4 on (16, 3) R = 8 (full (50, 3), 5 seeds); early (20, 3) R = 32 every 20 (full
    (30, 3), 200 seeds, every 50); icc 8 inits × 4 streams on (20, 3) (full (40, 3)); scaling
    n ∈ {10, 14, 20, 28} (full {20, 30, 50, 70, 100}, 16 seeds); width (16, 3) r ∈ {8, 128} (full
    (40, 3), r ∈ {8, 64, 1024}). Kills: 16 grid seeds for 25, a grid without n = 30 or k = 4,
    10^4 grid steps, the grid or C.2 on PyTorch's init, C.2's k = 3 run with biases, the control
    on true labels or at width 100, the control's horizon at the fastest seed, p = 0.2, 100 early
    seeds, the curves without (30, 4), widths without 1024, C.2's 10^4 steps, the quick and full
    seed counts swapped, and the icc's inits and streams crossed the wrong way."""
    e = plugin["experiments"]
    calls = _recorder(monkeypatch, e)
    rt = Runtime(device="cpu")

    e.grid(quick, None, rt)
    ns, ks = ((10, 20), (2, 3)) if quick else ((10, 20, 30), (2, 3, 4))
    assert _settings(calls) == sorted((n, k) for n in ns for k in ks)
    for c in calls:
        assert c["R"] == (8 if quick else 25) and c["steps"] == (4000 if quick else 100_000)
        assert c["init"] == "xavier"
        assert c.get("m", 100) == 100 and c.get("bias", True)
    calls.clear()

    e.curves(quick, None, rt)
    assert _settings(calls) == ([(20, 3)] if quick else
                                [(30, 3), (30, 4), (50, 3), (60, 3), (90, 3)])
    assert {c["R"] for c in calls} == {16}
    calls.clear()

    out = e.hidden(quick, None, rt)
    true, control = calls
    assert (true["n"], true["k"], true["m"]) == ((20, 3, 10) if quick else (30, 3, 10))
    assert not true.get("random_labels", False)
    assert control["random_labels"] is True
    assert (control["n"], control["k"], control["m"]) == (true["n"], true["k"], 10)
    assert control["R"] == true["R"] == (8 if quick else 16)
    assert control["steps"] == 100 * true["R"]  # the slowest true seed (fake t_c = 100·r)
    assert set(out) == {"true", "control"}
    calls.clear()

    out = e.bias(quick, None, rt)
    n3, n4, steps = (20, 16, 6000) if quick else (30, 30, 30_000)
    by = dict(zip(("k=3,bias", "k=3,nobias", "k=4,nobias"), calls))
    assert set(out) == set(by)
    assert (by["k=3,bias"]["n"], by["k=3,bias"]["k"], by["k=3,bias"].get("bias", True)) == (
        n3, 3, True)
    assert (by["k=3,nobias"]["n"], by["k=3,nobias"]["k"], by["k=3,nobias"]["bias"]) == (
        n3, 3, False)
    assert (by["k=4,nobias"]["n"], by["k=4,nobias"]["k"], by["k=4,nobias"]["bias"]) == (
        n4, 4, False)
    for c in calls:
        assert c["steps"] == steps and c["init"] == "xavier"
        assert c["R"] == (8 if quick else 16)
    calls.clear()

    e.noise(quick, None, rt)
    (c,) = calls
    assert (c["n"], c["k"], c["noise"], c["R"]) == ((16, 3, 0.4, 8) if quick else (50, 3, 0.4, 5))
    calls.clear()

    e.early(quick, None, rt)
    (c,) = calls
    assert (c["n"], c["k"], c["R"], c["every"]) == ((20, 3, 32, 20) if quick else
                                                     (30, 3, 200, 50))
    calls.clear()

    e.icc(quick, None, rt)
    (c,) = calls
    assert (c["n"], c["k"], c["R"]) == ((20, 3, 32) if quick else (40, 3, 32))
    inits, streams = c["init_seeds"], c["stream_seeds"]
    # 8 inits × 4 streams: each init seed carries 4 runs, every run its own stream
    assert sorted(set(inits)) == list(range(8))
    assert all(inits.count(i) == 4 for i in range(8))
    assert len(set(streams)) == 32 and not set(streams) & set(range(32))
    for i in range(8):  # the 4 runs of one init are consecutive (run r: init r // 4)
        assert inits[4 * i:4 * i + 4] == [i] * 4
    calls.clear()

    e.scaling(quick, None, rt)
    ns = (10, 14, 20, 28) if quick else (20, 30, 50, 70, 100)
    assert _settings(calls) == [(n, 3) for n in ns]
    assert {c["R"] for c in calls} == {8 if quick else 16}
    assert e.scaling_ns(quick) == (ns, 20 if quick else 50)
    calls.clear()

    e.width(quick, None, rt)
    assert _settings(calls) == ([(16, 3)] * 2 if quick else [(40, 3)] * 3)
    assert sorted(c["m"] for c in calls) == ([8, 128] if quick else [8, 64, 1024])
    assert {c["R"] for c in calls} == {8 if quick else 16}


def test_first_time_is_the_first_probe_at_or_below_the_level(plugin) -> None:  # noqa: F811
    """``first_time`` returns a probe *time* (not an index), the first with err ≤ level (an
    error exactly at the level counts), −1 if none. Hand-made: times 0, 10, 20, 30. Kills
    ``<`` for ``≤`` and the index for the time."""
    t = plugin["train"]
    times = np.array([0, 10, 20, 30])
    err = np.array([[0.5, 0.2, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5], [0.5, 0.3, 0.1, 0.1]])
    assert t.first_time(err, times, 0.0).tolist() == [20, -1, -1]
    assert t.first_time(err, times, 0.1).tolist() == [20, -1, 20]


def test_random_labels_are_uniform_and_the_defaults_are_the_papers(plugin) -> None:  # noqa: F811
    """The random-label control's labels are uniform draws (noise model ``random`` at rate 1),
    not every label flipped (``iid`` at rate 1 is a deterministic relabelling that is as
    learnable as the parity); label noise p is an iid flip rate p; the defaults of
    ``run_parity`` are the card's: width 100, B = 32, η = 0.1. Kills the ``iid`` model for the
    control, noise dropped, lr 0.05, B = 64."""
    import inspect

    t = plugin["train"]
    rl = t.parity_config(20, 3, random_labels=True)
    assert (rl.noise, rl.noise_model) == (1.0, "random")
    nz = t.parity_config(20, 3, noise=0.4)
    assert nz.noise == 0.4 and nz.noise_model == "iid"
    d = {k: v.default for k, v in inspect.signature(t.run_parity).parameters.items()}
    assert (d["m"], d["B"], d["lr"], d["bias"], d["noise"]) == (100, 32, 0.1, True, 0.0)


def test_stopping_early_and_segments_change_no_crossing_time(plugin) -> None:  # noqa: F811
    """``run_parity`` stops once *every* run has reached err = 0, "after which nothing changes
    for the claims": the same runs trained without stopping, and in other segment lengths, give
    the same t_c per seed; the probe times are strictly increasing multiples of ``every`` with
    no time repeated at a segment boundary. Kills stopping when the first seed is solved (the
    others censored at −1) and the boundary probe kept twice."""
    t = plugin["train"]
    rt = Runtime(device="cpu")
    kw = dict(m=20, steps=600, every=10, runtime=rt)
    a = t.run_parity(6, 2, 3, segment=50, **kw)
    b = t.run_parity(6, 2, 3, segment=200, stop_when_solved=False, **kw)
    tc = b["static/t_c"]
    assert (tc > 0).all() and len(set(tc.tolist())) > 1  # every seed solved, at different times
    np.testing.assert_array_equal(a["static/t_c"], tc)
    for rec in (a, b):
        times = rec.times
        assert (np.diff(times) > 0).all() and (times % 10 == 0).all() and times[0] == 0
        assert rec["barak_parity/val_error"].shape[1] == times.size


def test_the_test_only_tier_needs_quick(plugin, monkeypatch) -> None:  # noqa: F811
    """BARAK2022_TINY shrinks only ``--quick`` plans; a full plan is never the smoke tier.
    Kills ``tiny`` ignoring the mode."""
    e = plugin["experiments"]
    monkeypatch.setenv("BARAK2022_TINY", "1")
    assert e.tiny(True) and not e.tiny(False)
    assert e.widths(False) == (8, 64, 1024) and e.scaling_ns(False)[1] == 50


def test_thm4_experiment_recovers_the_support_inside_and_not_for_odd_k(plugin, monkeypatch) -> None:  # noqa: F811
    """Theorem 4's first step on the quick plan (docs, quick table: n = 13, k ∈ {2, 4} inside,
    controls k = 3 and u = ±1/r, r = 64, R = 4: "fraction 1 inside, 0 for k = 3"; the u = ±1/r
    control has max|f| ≥ 1, outside): per neuron, the k largest |G_ji| are exactly S. And the
    assumption checks by hand. Kills "any coordinate agrees" for "all agree", the top-k of G
    for that of |G|, the u = ±1/r control run with the small head, and an odd-n check that
    asks for even n."""
    e = plugin["experiments"]
    monkeypatch.delenv("BARAK2022_TINY", raising=False)
    out = e.thm4(True, None, Runtime(device="cpu"))
    assert set(out) == {"n=13,k=2", "n=13,k=4", "n=13,k=3 (odd k)", "n=13,k=4,head=1/r"}
    for name in ("n=13,k=2", "n=13,k=4"):
        rec = out[name]
        assert rec.config["inside"] is True, name
        np.testing.assert_array_equal(rec["recovered"][:, 0], 1.0)
    odd = out["n=13,k=3 (odd k)"]
    assert odd.config["inside"] is False
    np.testing.assert_array_equal(odd["recovered"][:, 0], 0.0)
    ctl = out["n=13,k=4,head=1/r"]
    assert ctl.config["head"] == pytest.approx(1 / 64) and ctl.config["m"] == 64
    assert float(ctl["max_abs_f"][0, 0]) >= 1.0 and ctl.config["inside"] is False
    ok = e.thm4_assumptions(13, 4, "sign", 0.5)
    assert ok == {"k_even": True, "n_odd": True, "sign_init": True, "margin_below_1": True}
    assert e.thm4_assumptions(14, 3, "torch", 1.0) == {
        "k_even": False, "n_odd": False, "sign_init": False, "margin_below_1": False}


def test_the_test_only_tier_is_stored_apart_from_the_quick_plan(plugin, tmp_path) -> None:  # noqa: F811
    """A run of the test-only tier (BARAK2022_TINY=1 with --quick) trains other settings under
    the same experiment names and mode; its stored results must not be read back by a plain
    --quick run sharing the store (nor the other way). The plan version of ``barak2022.grid``
    (part of the store key, ``Runs.key``) read in a fresh process with the variable must differ
    from the one registered here without it. Failed before the fix (both were 1: a tiny grid of
    n = 8 would have been judged as the quick plan's)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from twolayer.experiments import EXPERIMENTS, Runs

    assert os.environ.get("BARAK2022_TINY") != "1"
    here = EXPERIMENTS["barak2022.grid"].version
    root = Path(__file__).resolve().parents[1]
    code = ("import json; from twolayer.plugins import load_path; "
            "from twolayer.experiments import EXPERIMENTS; "
            f"load_path({str(root / 'examples' / 'barak2022')!r}); "
            "print(json.dumps(EXPERIMENTS['barak2022.grid'].version))")
    env = dict(os.environ, BARAK2022_TINY="1", PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) != here
    # the version is part of the key a stored result must match
    assert Runs(quick=True).key("barak2022.grid")["version"] == here
