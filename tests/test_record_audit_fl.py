"""Audit of ``twolayer check frei2023|liu2023 --record DIR`` and ``twolayer conditions ...
--record DIR`` on user records (helper afl, 2026-12-06): each test fails on the code before its
fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from record_check_helpers import check_json, simulated

pytestmark = pytest.mark.usefixtures("single_thread")
FREI_PROBES = "frei_neurons,frei_samples,frei_test"
# frei2023's claims over 1 <= t <= T read every probe time up to T; with T > 10 (alpha = 1/48:
# T = 1 + 1/(4 alpha) = 13 steps) and --num-times 2 the probe grid is 0..10 and 13: t = 11 and
# t = 12 are not probe times
FREI_SKIPPING = ["--data", "xor", "--d", "400", "--n", "100", "--noise", "0.05", "--sigma2",
                 "6e-7", "--m", "20", "--init-var", "1e-12", "--lr", "0.020833333333333332",
                 "--n-test", "200", "--steps", "13", "--num-times", "2", "--probes",
                 FREI_PROBES, "--seeds", "3", "--quiet"]
# the claims whose checks read a run of probe times (frei2023.py: _series)
SERIES_CLAIMS = ("frei2023.lemma4.sign_inheritance", "frei2023.condition9.alignment",
                 "frei2023.condition10.near_orthogonality", "frei2023.lemma14.norm_growth",
                 "frei2023.eq20.own_cluster_growth", "frei2023.eq19.loss_weights")


@pytest.fixture(scope="module")
def frei_skipping(tmp_path_factory) -> Path:
    return simulated(tmp_path_factory.mktemp("skip"), FREI_SKIPPING)


def test_frei_series_claims_on_a_probe_grid_that_skips_times_are_not_served(frei_skipping,
                                                                               capsys):
    """A record whose probe grid skips a time t <= T (T > 10 steps, few --num-times): the
    claims that read every probe time from 1 (or 0) to T are listed as not served, with the
    --num-times that gives every t = 0..T (not "--num-times above --steps", which log spacing
    does not honour: 14 times skip t = 12), not judged "error" from an
    IndexError, which also counted them as in-regime claims that do not hold (exit status 1 on
    a record outside every claim's regime)."""
    from twolayer.store import load_record

    rec = load_record(frei_skipping)
    assert 11 not in set(rec.times.tolist()) and 13 in set(rec.times.tolist())
    code, rows = check_json(capsys, frei_skipping, "frei2023")
    by_id = {r["id"]: r for r in rows}
    for cid in SERIES_CLAIMS:
        row = by_id[cid]
        assert row["verdict"] == "not served", (cid, row["verdict"], row.get("detail"))
        assert "time 11 is not one of this record's" in row["why"], row["why"]
        # the advice works: the old "--num-times above --steps" (14) still skips t = 12
        assert "--num-times 26 or more" in row["why"], row["why"]
    from twolayer.training.driver import probe_times

    assert 12 not in probe_times(13, 14, 10)
    assert set(range(14)) <= set(probe_times(13, 26, 10))
    assert not [r for r in rows if r["verdict"] == "error"]
    # outside A1-A7 (A1 fails at alpha = 1/48): no claim decides, exit status 0
    assert code == 0


# liu2023: delta = 0.45 on n = 40 points; the drawn training sets (seed 0, 1) hold a class with
# as many noisy points as clean ones (seed 1: class 0 9 and 9, class 1 14 noisy and 8 clean)
LIU_NOISY_MAJORITY = ["--data", "clusters", "--num-classes", "2", "--d", "10", "--n", "40",
                      "--n-test", "200", "--noise", "0.45", "--m", "16", "--steps", "20",
                      "--seeds", "2", "--probes", "errors,segments,liu,liu_angles", "--quiet"]


@pytest.fixture(scope="module")
def liu_noisy_majority(tmp_path_factory) -> Path:
    return simulated(tmp_path_factory.mktemp("maj"), LIU_NOISY_MAJORITY)


def test_liu_clean_majority_is_read_from_the_drawn_training_set(liu_noisy_majority, capsys):
    """The paper's delta < 1/2 stands for a clean majority (card section 2: "so the majority of
    training samples are clean"); the regime read it from the configured rate alone, so a
    record whose drawn training set has a class with a noisy majority (its segment ratio starts
    below 1: no clean-priority phase) was inside (the U-shape claim here; at n = 2000, delta =
    0.49 also Assumption 4.1, Theorems 4.4/4.5 and Lemma 4.2, with every other premise
    measured to hold). Now the per-class counts at t = 0 decide, in check and in conditions."""
    import json

    import numpy as np
    from cli_helpers import run

    from twolayer.store import load_record

    rec = load_record(liu_noisy_majority)
    clean = rec.arrays["liu/class_count_clean"][:, 0]
    noisy = rec.arrays["liu/class_count_noisy"][:, 0]
    assert (noisy >= clean).any() and float(rec.config["data"]["noise"]) < 0.5
    _, rows = check_json(capsys, liu_noisy_majority, "liu2023")
    by_id = {r["id"]: r for r in rows}
    u = by_id["liu2023.fig1.u_shape.regime"]
    assert u["in_regime"] is False, u["regime"]
    assert "no clean majority in the drawn training set" in u["regime"]
    assert not [r for r in rows if r.get("in_regime")]
    code, out, err = run(["conditions", "--paper", "liu2023", "--record",
                          str(liu_noisy_majority), "--json"], capsys)
    assert code == 0, err
    (delta,) = [p for p in json.loads(out)["premises"] if p["id"] == "delta"]
    assert delta["status"] == "not established", delta
    assert "no clean majority" in delta["measured"]
    assert np.isfinite(delta["value"])


def test_liu_crossing_at_t0_is_not_beyond_the_run(liu_noisy_majority):
    """Theorem 4.5's crossing claim on a record whose pooled ratio ||g_clean||/||g_noise|| is
    at or below 1 + eps from t = 0 (t_x = 0; e.g. delta near 1/2): log10(t_x/t*) = -inf was
    turned into +NEVER, so the measured median was reported as "beyond the run (t_x > T)"
    (measured inf) and the near comparison "<= x3" counted the seed as far *above* t*. Now
    t_x = 0 is far below t*: measured 0, said so."""
    import dataclasses

    import numpy as np

    from twolayer.claims import liu2023 as claims_liu
    from twolayer.store import load_record

    rec = load_record(liu_noisy_majority)
    ratio = np.ones_like(rec.arrays["segments/grad_ratio"])
    rec = dataclasses.replace(rec, arrays={**rec.arrays, "segments/grad_ratio": ratio})
    assert (claims_liu.t_cross(rec) == 0).all()
    with np.errstate(all="ignore"):
        out = claims_liu._crossing(rec)
    assert out.measured == 0.0, out.measured
    assert "beyond the run" not in out.detail
    assert "t_x = 0" in out.detail
    # the near comparison "log10(t_x/t*) <= log10 3" sees the seeds below t*, the far one
    # "<= -1" too; "beyond x3 above" is not what they show
    near, below = out.comparisons[0].values, out.comparisons[3].values
    assert (np.asarray(near) < 0).all() and (np.asarray(below) < -1).all()


def test_liu_setting_text_names_the_integrator():
    """liu2023's setting line said "GD" for a gradient-flow or auto record (helper afl)."""
    from types import SimpleNamespace

    from twolayer.experiments.liu2023 import setting_text

    def rec(**train):
        cfg = {"data": {"kind": "clusters", "num_classes": 2, "d": 10, "n": 40, "sigma2": 0.1,
                        "noise": 0.1, "noise_model": "iid", "n_test": 20},
               "net": {"init_var": 0.01, "m": 8, "second_layer": "frei",
                       "train_second_layer": False},
               "train": {"objective": "logistic", "lr": 0.1, "steps": 20, "batch_size": None,
                         **train}}
        return SimpleNamespace(config=cfg)

    assert " GD lr=0.1" in setting_text(rec())
    assert " gradient flow lr=0.1" in setting_text(rec(integrator="flow", rtol=1e-3))
    assert " GD to step 5, then gradient flow lr=0.1" in setting_text(
        rec(integrator="auto", rtol=1e-3, switch=5))
    assert " SGD batch 8 lr=0.1" in setting_text(rec(batch_size=8))
