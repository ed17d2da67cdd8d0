"""liu2023: the claims' regimes read the training algorithm, and a record too short to judge gets
a clear result (helper xf).

1. Theorems 4.4/4.5 and Lemma 4.2 (and Assumption 4.1 within their analysis) are about
   full-batch GD steps (card section 3 [SECONDARY]; Remark 4.3's extension to mini-batch SGD is
   called underdeveloped by the reviewers). A record trained by minibatch SGD or by the gradient
   flow is outside those claims' regime, computed from its config; full-batch GD records (the
   built-in experiments) keep their regime texts.
2. A record with t = 0 only (``simulate --steps 0``, or probe times that stop at 0), or whose
   early window t <= max(1, t*/2) holds t = 0 only, is not judged by the early-phase claims
   (inconclusive, saying why) instead of raising or being judged at t = 0 as the early phase;
   ``conditions --record`` refuses a record whose clean test error is never finite (t* undefined)
   with one line, exit status 2.

The records are hand-made with known arrays (the regime setting's config, every measured premise
holding by construction), so the expected regimes follow from the config and from the curves
written here, not from the code under test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run

from twolayer.claims import liu2023 as L
from twolayer.claims.base import CLAIMS, judge
from twolayer.experiments import liu2023 as E
from twolayer.record import Record, canonical_json

pytestmark = pytest.mark.usefixtures("single_thread")

TIMES = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
R = 4
# U-shaped clean test error, minimum 0.05 alone at t = 64 (its neighbours 0.114 and 0.1125 lie
# far beyond one binomial s.e. at n_test = 2000): t* = 64, early window t <= 32 (index 6)
ERR = np.concatenate([np.linspace(0.5, 0.05, 8), np.linspace(0.05, 0.3, 5)[1:]])
# pooled ratio ||g_clean||/||g_noise||: 2.33 - 0.13 i, first <= 1.05 at i = 10 (t_x = 512)
RATIO = 2.33 - 0.13 * np.arange(len(TIMES))
EARLY_LAST, PHASE_LAST = 32, 512  # the last probe times read: early window; up to t_x and t*
# the claims that read trained times through Theorems 4.4/4.5, Lemma 4.2, Assumption 4.1
TRAINED_THEORY = ("asm41.early_anticollinear", "thm44.early_losses", "thm45.alpha_monotone",
                  "thm45.crossing_near_tstar", "lem42.rescaled_step")


def _arrays(T: int) -> dict[str, np.ndarray]:
    """Every array the `.regime` claims read, [R, T(, 2)], with small per-seed offsets (a 95%
    interval needs a spread): anti-collinear segments (cos -0.97), drift 0.02, S = 300 * 0.3/0.7
    ~ 129 noisy-segment strength, residual 1/2 at t = 0."""
    i = np.arange(T, dtype=np.float64)
    r = 0.001 * np.arange(R)[:, None]

    def per(v: np.ndarray) -> np.ndarray:  # [R, T] -> [R, T, 2], the same for both classes
        return np.repeat(v[:, :, None], 2, axis=2)

    ratio = RATIO[None, :T] + r
    return {
        "errors/test_error_clean": ERR[None, :T] + 0.0 * r,
        "errors/train_error_clean": np.tile(ERR[:T], (R, 1)),
        "errors/noisy_fit_fraction": np.tile(np.linspace(0, 1, T), (R, 1)),
        "errors/loss_clean": 0.69 - 0.01 * i[None] + r,
        "errors/loss_noisy": 0.69 + 0.01 * i[None] + r,
        "segments/grad_ratio": ratio,
        "segments/class_ratio": per(ratio),
        "segments/class_cos_clean_noisy": per(np.full((R, T), -0.97) + r),
        "segments/cos_clean_noisy": np.full((R, T), -0.97) + r,
        "segments/cos_g_true": np.full((R, T), 0.99) - r,
        "segments/kappa": np.full((R, T), 0.4) + r,
        "liu/lemma_rate": np.full((R, T), 0.4) + r,
        "liu/lemma_rel_error": np.full((R, T), 0.05) + r,
        "liu/lemma_alpha": 1.0 / ratio,
        "liu/grad_drift": np.full((R, T), 0.02) + r,
        "liu/class_loss_clean": per(0.69 - 0.01 * i[None] + r),
        "liu/class_loss_noisy": per(0.69 + 0.01 * i[None] + r),
        "liu/class_count_noisy": np.full((R, T, 2), 300.0),
        "liu/class_count_clean": np.full((R, T, 2), 700.0),
        "liu/resid_clean": np.full((R, T), 0.5),
        "liu/resid_noisy": np.full((R, T), 0.5),
        "liu_angles/mean_cos_logit_same_cc": np.full((R, T), 0.3) + 10 * r,
    }


def _record(times: np.ndarray = TIMES, steps: int | None = None, **train) -> Record:
    """The regime setting's config (n = 2000, full-batch GD) with ``train`` fields replaced."""
    cfg = E.regime_config(E.plan(True), seeds=R).to_dict()
    cfg["train"].update(train)
    cfg["train"]["steps"] = int(times[-1]) if steps is None else steps
    cfg["probe"]["probes"] = ["errors", "segments", "liu", "liu_angles"]
    T = len(times)
    keep = [int(np.flatnonzero(TIMES == t)[0]) for t in times]
    arrays = {k: v[:, keep] for k, v in _arrays(len(TIMES)).items()}
    assert all(a.shape[1] == T for a in arrays.values())
    # the run id simulate gives a config (record readers refuse one that is not its hash)
    run_id = hashlib.sha256(canonical_json(cfg).encode()).hexdigest()[:12]
    return Record(cfg, run_id, np.asarray(times), arrays)


class _One:
    """A Runs stand-in handing ``rec`` to a claim as its experiment's Record."""

    quick = False

    def __init__(self, rec: Record):
        self.rec = rec

    def get(self, name: str) -> Record:
        return self.rec


def _judge(cid: str, rec: Record):
    return judge(CLAIMS[f"liu2023.{cid}.regime"], _One(rec))


# ---------------------------------------------------------------------------------------------
# 1. the algorithm
# ---------------------------------------------------------------------------------------------


def _gd_by_hand(train: dict, last: float) -> bool:
    """Oracle: full-batch GD over the times read, from the config alone (n = 2000)."""
    batch, integrator = train.get("batch_size"), train.get("integrator", "gd")
    if batch is not None and batch < 2000:
        return False
    if integrator == "flow":
        return False
    if integrator == "auto":
        return last <= train["switch"]
    return True


ALGORITHMS = [
    {},  # full-batch GD, as every built-in liu2023 experiment
    {"batch_size": 2000},  # a batch of all n points: twolayer takes full-batch steps
    {"batch_size": 20},
    {"batch_size": 1999},
    {"integrator": "flow", "rtol": 1e-3},
    {"integrator": "auto", "rtol": 1e-3, "switch": 5000},  # GD at every probe time
    {"integrator": "auto", "rtol": 1e-3, "switch": 100},  # GD over the early window only
    {"integrator": "auto", "rtol": 1e-3, "switch": 0},  # the flow from t = 0 on
]


def test_the_hand_made_record_has_the_curves_written_here():
    rec = _record()
    assert E.t_star(rec).tolist() == [64.0] * R
    assert E.early_end(rec).tolist() == [6] * R and TIMES[6] == EARLY_LAST
    assert E.t_cross(rec).tolist() == [512.0] * R
    assert E.premise_anticollinear(rec)[0] and E.premise_ntk(rec)[0]
    assert E.premise_segments(rec)[0]


@pytest.mark.parametrize("train", ALGORITHMS, ids=lambda t: ",".join(
    f"{k}={v}" for k, v in t.items()) or "gd")
def test_trained_time_claims_read_the_algorithm(train):
    rec, gd_rec = _record(**train), _record()
    for cid in TRAINED_THEORY:
        v, ref = _judge(cid, rec), _judge(cid, gd_rec)
        last = PHASE_LAST if cid.startswith("thm45") else EARLY_LAST
        expect = _gd_by_hand(train, last)
        # every other premise holds by construction: inside exactly when the algorithm is GD
        assert ref.in_regime is True, (cid, ref.regime)
        assert v.in_regime is expect, (cid, v.regime)
        # the verdict does not read the algorithm (the arrays are the same)
        assert v.verdict == ref.verdict and v.measured == ref.measured, cid
        if expect and train.get("integrator", "gd") == "gd":
            assert v.regime == ref.regime, cid  # full-batch GD: the text as before
        if not expect:
            assert v.regime.startswith(ref.regime + "; "), cid
            assert "Remark 4.3" in v.regime and "[SECONDARY]" in v.regime, cid
        if "batch_size" in train and not expect:
            assert f"minibatch SGD (batch {train['batch_size']} of n = 2000)" in v.regime
        if train.get("integrator") == "flow":
            assert "gradient flow" in v.regime


def test_gd_regime_texts_name_no_algorithm():
    """The built-in experiments are full-batch GD: their regime texts are as before (no
    algorithm premise text is added)."""
    rec = _record()
    for cid in TRAINED_THEORY:
        text = _judge(cid, rec).regime
        assert not any(w in text for w in ("SGD", "flow", "Remark 4.3", "batch")), (cid, text)


def test_t0_and_empirical_claims_do_not_read_the_algorithm():
    """Eq. (5) at t = 0 and the U-shape (Fig. 1's optimiser is unknown, card section 1) keep
    their regime under SGD."""
    sgd, gd = _record(batch_size=20), _record()
    for cid in ("eq5.init_ratio", "fig1.u_shape"):
        v, ref = _judge(cid, sgd), _judge(cid, gd)
        assert (v.in_regime, v.regime) == (ref.in_regime, ref.regime), cid


def test_rate_width_claim_reads_the_algorithm():
    recs = {m: _record(batch_size=20) for m in (64, 256)}
    for m, rec in recs.items():
        rec.config["net"]["m"] = m
    ok, text = L._width_regime(recs, ntk_premise=True)
    assert not ok and "m=64: minibatch SGD (batch 20 of n = 2000)" in text
    ok_d, text_d = L._width_regime(recs, ntk_premise=False)  # the drift claim: the NTK premise
    assert "SGD" not in text_d


def _save(tmp: Path, rec: Record) -> Path:
    return rec.save(tmp, name="rec")


def _conditions(capsys, path: Path) -> dict:
    code, out, err = run(["conditions", "--paper", "liu2023", "--record", str(path), "--json"],
                         capsys)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("train, holds", [({}, True), ({"batch_size": 20}, False),
                                          ({"integrator": "flow", "rtol": 1e-3}, False)])
def test_conditions_prints_the_gd_premise(tmp_path, capsys, train, holds):
    doc = _conditions(capsys, _save(tmp_path, _record(**train)))
    got = {p["id"]: p for p in doc["premises"]}
    assert got["gd"]["status"] == ("holds" if holds else "not established")
    assert got["gd"]["tag"] == "[SECONDARY]" and "Remark 4.3" in got["gd"]["statement"]
    inside = {c["claim"].split(".", 1)[1].rsplit(".", 1)[0]: c["inside"] for c in doc["claims"]}
    for cid in TRAINED_THEORY:
        assert inside[cid] is holds, cid
    assert inside["eq5.init_ratio"] is True  # t = 0: no algorithm
    assert bool(doc["remarks"]) is not holds


# ---------------------------------------------------------------------------------------------
# 2. records too short to judge
# ---------------------------------------------------------------------------------------------

EARLY_PHASE = ("asm41.early_anticollinear", "thm44.early_losses", "thm45.alpha_monotone",
               "thm45.crossing_near_tstar")


@pytest.mark.parametrize("times, why", [
    (np.array([0]), "t = 0 only"),  # probe times that stop at 0 (steps = 1024 in the config)
    (np.array([0, 64, 1024]), "holds t = 0 only"),  # the early window t <= 32 holds t = 0 only
])
def test_an_unobserved_early_phase_is_not_judged(times, why):
    rec = _record(times, steps=1024)
    for cid in EARLY_PHASE:
        v = _judge(cid, rec)
        assert v.verdict == "inconclusive", (cid, v.detail)
        assert v.detail.startswith("not judged: ") and why in v.detail, (cid, v.detail)
        assert v.in_regime is False, (cid, v.regime)
    # Lemma 4.2 is judged at t = 0 (the t = 0 record of xor_large_n), outside
    v = _judge("lem42.rescaled_step", rec)
    assert v.verdict != "error" and v.in_regime is False and why in v.regime


def test_a_never_finite_test_error_is_not_judged(tmp_path, capsys):
    rec = _record()
    rec.arrays["errors/test_error_clean"][1] = np.nan
    for cid in (*EARLY_PHASE, "lem42.rescaled_step", "fig1.u_shape"):
        v = _judge(cid, rec)
        assert v.verdict == "inconclusive" and "not finite" in v.detail, (cid, v.detail)
    path = _save(tmp_path, rec)
    code, out, err = run(["conditions", "--paper", "liu2023", "--record", str(path)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert str(path) in err and "errors/test_error_clean" in err and "seed index 1" in err


def test_steps_0_record_through_the_cli(tmp_path, capsys):
    """`twolayer simulate --steps 0` then `conditions --record`: no check raises (Theorem 4.4's
    raised ValueError), the early-phase claims are outside, and their checks say why."""
    from twolayer.cli import main

    assert main(["simulate", "--data", "clusters", "--d", "10", "--n", "200", "--m", "16",
                 "--noise", "0.3", "--seeds", "3", "--steps", "0", "--quiet", "--probes",
                 "errors,segments,liu,liu_angles", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    doc = _conditions(capsys, path)
    for c in doc["claims"]:
        assert c["inside"] is not None and "raised" not in c["regime"], c
        if c["claim"].split(".", 1)[1].rsplit(".", 1)[0] in EARLY_PHASE:
            assert c["inside"] is False, c
    rec = Record.load(path)
    for cid in EARLY_PHASE:
        v = _judge(cid, rec)
        assert v.verdict == "inconclusive" and "t = 0 only" in v.detail, (cid, v.detail)
