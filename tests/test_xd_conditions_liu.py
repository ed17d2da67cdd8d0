"""``twolayer conditions --paper liu2023 --record DIR`` (twolayer/claims/liu2023_conditions.py):
the premises printed for a tiny simulate record against a numpy recomputation from its arrays by
the card's and docs' formulas (docs/papers/liu2023.md, "Premises"), the regime lines against the
claims' own verdicts (``judge``) on the same record and against the rule written out here, and
every bad input refused with one line and exit status 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_refused, run
from record_check_helpers import simulated
from scipy import stats as sps

from twolayer.claims.base import CLAIMS, judge
from twolayer.conditions import CONDITIONS
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
PROBES = "errors,segments,liu,liu_angles"
TINY = ["--d", "10", "--n", "200", "--m", "16", "--num-times", "8",
        "--noise", "0.3", "--quiet"]


def _argv(extra: tuple[str, ...]) -> list[str]:
    return [*TINY, *extra] + ([] if "--seeds" in extra else ["--seeds", "3"])


def _simulate(tmp: Path, *extra: str) -> Path:
    return simulated(tmp, _argv(extra))


@pytest.fixture(scope="module")
def mixture(tmp_path_factory) -> Path:
    """A two-class Gaussian mixture record with every probe the premises read."""
    return _simulate(tmp_path_factory.mktemp("mix"), "--data", "clusters", "--steps", "40",
                     "--lr", "0.5", "--sigma2", "0.1", "--probes", PROBES)


def _json(capsys, record: Path) -> dict:
    code, out, err = run(["conditions", "--paper", "liu2023", "--record", str(record), "--json"],
                         capsys)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])  # (after simulate's record path)


def _t_ci(v: np.ndarray) -> tuple[float, float]:
    m, se = v.mean(), v.std(ddof=1) / math.sqrt(v.size)
    h = sps.t.ppf(0.975, v.size - 1) * se
    return m - h, m + h


def _early_end(rec: Record) -> np.ndarray:
    """The last probe index of t <= max(1, t*/2), t* the geometric centre of the bottom of the
    clean test error's U (the run of times within one binomial s.e. of the minimum), per seed."""
    e = rec.arrays["errors/test_error_clean"].astype(np.float64)
    n_test = float(rec.config["data"]["n_test"])
    t = np.maximum(rec.times.astype(np.float64), 1.0)
    out = []
    for r in range(e.shape[0]):
        i = int(np.argmin(e[r]))
        tol = max(math.sqrt(e[r, i] * (1 - e[r, i]) / n_test), 1 / n_test)
        lo = i
        while lo > 0 and e[r, lo - 1] <= e[r, i] + tol:
            lo -= 1
        hi = i
        while hi < e.shape[1] - 1 and e[r, hi + 1] <= e[r, i] + tol:
            hi += 1
        ts = math.sqrt(t[lo] * t[hi])
        out.append(int(np.nonzero(rec.times <= max(1.0, ts / 2))[0][-1]))
    return np.asarray(out)


def _oracle(rec: Record) -> dict[str, tuple[np.ndarray, bool]]:
    """Per-seed values and holds of the three measured premises, from the arrays."""
    a = rec.arrays
    end = _early_end(rec)
    rows = np.arange(rec.seeds)
    # Assumption 4.1: the worst (largest) per-class cos(g_clean^(c), g_noise^(c)) in the window
    cos = a["segments/class_cos_clean_noisy"].astype(np.float64)
    anti = np.array([cos[r, : end[r] + 1].max() for r in rows])
    # NTK premise: the drift at the end of the window
    drift = a["liu/grad_drift"].astype(np.float64)[rows, end]
    # Eq. (5): S = min_c |D_noise^(c)| rho/(1 - rho), rho of clean same-class pairs at t = 0
    rho = a["liu_angles/mean_cos_logit_same_cc"][:, 0].astype(np.float64)
    S = a["liu/class_count_noisy"][:, 0].astype(np.float64).min(-1) * rho / (1 - rho)
    resid = np.concatenate([a["liu/resid_clean"][:, 0], a["liu/resid_noisy"][:, 0]])
    resid_ok = bool(np.all(np.abs(resid - 0.5) <= 0.05))
    return {
        "asm41": (anti, _t_ci(anti)[1] <= -0.9),
        "ntk": (drift, _t_ci(drift)[1] <= 0.1),
        "eq5": (S, _t_ci(S)[0] >= 10 and resid_ok),
    }


def test_premises_match_a_numpy_recomputation(mixture, capsys):
    rec = Record.load(mixture)
    # the per-class noisy counts are those of the record's noisy mask (no count is lost)
    assert rec.arrays["liu/class_count_noisy"][:, 0].sum(-1).tolist() == \
        rec.arrays["static/noisy"].sum(-1).tolist()
    doc = _json(capsys, mixture)
    got = {p["id"]: p for p in doc["premises"]}
    assert list(got) == ["delta", "binary", "eq5", "trained", "gd", "asm41", "ntk"]
    for pid, (values, holds) in _oracle(rec).items():
        p = got[pid]
        np.testing.assert_allclose(p["per_seed"], values, rtol=1e-6)
        assert p["value"] == pytest.approx(values.mean(), rel=1e-9)
        assert p["ci"] == pytest.approx(_t_ci(values), rel=1e-6)
        assert p["status"] == ("holds" if holds else "not established"), pid
        assert p["tag"] == "[SECONDARY]"
    assert got["delta"]["value"] == 0.3 and got["delta"]["status"] == "holds"
    assert got["binary"]["value"] == 2 and got["binary"]["status"] == "holds"
    assert got["trained"]["status"] == "holds"
    assert got["gd"]["status"] == "holds"  # full-batch GD (no --batch-size, --integrator gd)
    # the human-readable table prints the same values
    code, out, _ = run(["conditions", "--paper", "liu2023", "--record", str(mixture)], capsys)
    assert code == 0
    for pid in ("ntk", "eq5", "asm41"):
        assert f" {got[pid]['value']:.3g} [" in out, pid



def test_the_numeric_bounds_are_tagged_proposal(mixture, capsys):
    """The card (liu2023.md, sections 2-3 and 7) gives no number for any premise: the bounds
    S >= 10 and the residual tolerance 0.05 (Eq. (5)), cos <= -0.9 (Assumption 4.1) and drift
    <= 0.1 (NTK) are twolayer's choices, [PROPOSAL] in docs/papers/liu2023.md ("Premise
    thresholds"); each threshold text says so beside the number (Eq. (5)'s form S is
    [INFERRED], and was the only tag its threshold carried)."""
    got = {p["id"]: p["threshold"] for p in _json(capsys, mixture)["premises"]}
    assert "[PROPOSAL]" in got["eq5"] and "10" in got["eq5"] and "0.05" in got["eq5"]
    assert "[PROPOSAL]" in got["asm41"] and "-0.9" in got["asm41"]
    assert "[PROPOSAL]" in got["ntk"] and "0.1" in got["ntk"]


def test_regime_lines_are_the_claims_verdicts(mixture, capsys):
    rec = Record.load(mixture)
    doc = _json(capsys, mixture)
    ids = [c["claim"] for c in doc["claims"]]
    # a two-class mixture is judged by the claims of the n = 2000 mixture ('regime') setting
    assert ids == [k for k in CLAIMS if k.startswith("liu2023.") and k.endswith(".regime")]

    class OneRecord:
        quick = False

        def get(self, name):
            assert name == "liu2023.regime"
            return rec

    oracle = _oracle(rec)
    theorem = oracle["asm41"][1] and oracle["ntk"][1]  # K = 2, trained
    for c in doc["claims"]:
        v = judge(CLAIMS[c["claim"]], OneRecord())
        assert c["inside"] == v.in_regime and c["regime"] == v.regime, c["claim"]
        # the rule as docs/papers/liu2023.md states it, from the numpy premises
        if c["claim"].split(".")[1] in ("thm44", "thm45", "lem42"):
            assert c["inside"] == theorem
        elif c["claim"].startswith("liu2023.asm41.early"):
            assert c["inside"] == (oracle["eq5"][1] and oracle["ntk"][1])
        elif c["claim"].startswith("liu2023.eq5"):
            assert c["inside"] == oracle["eq5"][1]
    inside = [c["claim"] for c in doc["claims"] if c["inside"]]
    assert doc["inside"] == inside
    n = len(ids)
    assert doc["summary"].startswith(f"inside the regime of all {n}" if len(inside) == n else
                                     f"inside the regime of {len(inside)} of {n}" if inside
                                     else "outside the regime of every claim")


def test_missing_probes_are_named_and_unknown_is_never_inside(tmp_path, capsys):
    rec = _simulate(tmp_path / "a", "--data", "xor", "--steps", "20", "--probes",
                    "errors,segments")
    doc = _json(capsys, rec)
    got = {p["id"]: p for p in doc["premises"]}
    assert got["eq5"]["status"] == got["ntk"]["status"] == "cannot be evaluated"
    assert "--probes liu,liu_angles" in got["eq5"]["why"]
    assert "--probes liu " in got["ntk"]["why"]
    assert got["asm41"]["status"] in ("holds", "not established")
    assert all(c["claim"].endswith(".xor") for c in doc["claims"])
    for c in doc["claims"]:  # eq5's check and the theorem claims need liu: never inside
        if c["claim"].split(".")[1] in ("eq5", "thm44", "lem42", "intro"):
            assert c["inside"] is None, c


def test_a_t0_record_has_no_early_phase(tmp_path, capsys):
    rec = _simulate(tmp_path / "a", "--data", "clusters", "--steps", "0", "--probes", PROBES)
    doc = _json(capsys, rec)
    got = {p["id"]: p for p in doc["premises"]}
    assert got["trained"]["status"] == "not established"
    assert got["asm41"]["status"] == got["ntk"]["status"] == "cannot be evaluated"
    thm = [c for c in doc["claims"] if c["claim"].split(".")[1] in ("thm45", "lem42")]
    assert thm and all(c["inside"] is False for c in thm)


def test_paper_choices_come_from_the_registry():
    assert CONDITIONS["frei2023"].reads == "setting"
    assert CONDITIONS["liu2023"].reads == "record"


@pytest.fixture(scope="module")
def other_records(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("bad")
    out = {
        "lms": _simulate(base / "lms", "--data", "lms", "--steps", "5"),
        "noprobe": _simulate(base / "np", "--data", "clusters", "--steps", "5", "--probes",
                             "errors,correlations"),
    }
    damaged = base / "damaged"
    damaged.mkdir()
    src = _simulate(base / "src", "--data", "clusters", "--steps", "5", "--probes", PROBES)
    for f in src.iterdir():
        (damaged / f.name).write_bytes(f.read_bytes())
    arr = damaged / "arrays.npz"
    arr.write_bytes(arr.read_bytes()[:500])
    out["damaged"] = damaged
    out["good"] = src
    out["empty"] = base / "empty"
    out["empty"].mkdir()
    two = base / "two"  # two records under one --out DIR
    for seed in ("0", "5"):
        (two / seed).mkdir(parents=True)
        rec = _simulate(two / seed, "--data", "clusters", "--steps", "5", "--seed", seed)
        rec.rename(two / rec.name)
    out["two"] = two
    return out


@pytest.mark.parametrize("argv, words", [
    (["--paper", "liu2023"], ["--paper liu2023", "--record"]),
    (["--paper", "liu2023", "--record", "{nowhere}"], ["--record", "no such directory"]),
    (["--paper", "liu2023", "--record", "{empty}"], ["--record", "record.json"]),
    (["--paper", "liu2023", "--record", ""], ["--record", "empty"]),
    (["--paper", "liu2023", "--record", "{two}"], ["--record", "holds 2 records", "run_id"]),
    (["--paper", "liu2023", "--record", "{good}/record.json"], ["--record", "a file"]),
    (["--paper", "liu2023", "--record", "{damaged}"], ["record", "arrays.npz", "checksum"]),
    (["--paper", "liu2023", "--record", "{lms}"], ["--record", "--data lms", "clusters"]),
    (["--paper", "liu2023", "--record", "{noprobe}"], ["--record", "--probes " + PROBES]),
    (["--paper", "frei2023", "--record", "{good}"], ["--record", "frei2023", "liu2023"]),
    (["--record", "{good}"], ["--record", "frei2023", "liu2023"]),
    (["--paper", "liu2023", "--record", "{good}", "--d", "30"], ["--d 30", "frei2023"]),
    (["--paper", "liu2023", "--record", "{good}", "--steps", "3"], ["--steps 3", "record"]),
    (["--paper", "liu2023", "--record", "{good}", "--bias"], ["--bias", "record"]),
    (["--paper", "liu2023", "--record", "{good}", "--delta", "0.1"], ["--delta 0.1",
                                                                       "frei2023"]),
])
def test_bad_input_is_one_line_exit_2(argv, words, other_records, tmp_path, capsys):
    paths = {k: str(v) for k, v in other_records.items()}
    paths["nowhere"] = str(tmp_path / "nowhere")
    argv = [a.format(**paths) for a in argv]
    code, out, err = run(["conditions", *argv], capsys)
    assert_refused(code, out, err, words, tmp_path / "never")


def test_one_seed_is_never_holds(tmp_path, capsys):
    """One seed has no 95% interval: a measured premise is never 'holds' on a point estimate, and
    the message says to add seeds."""
    rec = _simulate(tmp_path / "a", "--data", "clusters", "--steps", "40", "--lr", "0.5",
                    "--sigma2", "0.1", "--probes", PROBES, "--seeds", "1")
    doc = _json(capsys, rec)
    for p in doc["premises"]:
        if p["id"] in ("eq5", "asm41", "ntk"):
            assert p["status"] == "not established" and "--seeds" in p["why"], p
    assert not any(c["inside"] for c in doc["claims"]
                   if c["claim"].split(".")[1] in ("thm44", "thm45", "lem42"))


def test_an_sgd_record_is_told_the_theorems_are_about_gd(tmp_path, capsys, mixture):
    rec = _simulate(tmp_path / "a", "--data", "clusters", "--steps", "20", "--batch-size", "20",
                    "--probes", PROBES)
    doc = _json(capsys, rec)
    gd = {p["id"]: p for p in doc["premises"]}["gd"]
    # since 2026-12-05 a premise (it was a remark saying the regime does not read the algorithm)
    assert gd["status"] == "not established" and "minibatch SGD (batch 20 of n = 200)" in \
        gd["measured"]
    for c in doc["claims"]:  # the claims on trained times are outside, and say why
        if c["claim"].split(".")[1] in ("thm44", "thm45", "lem42") or ".early_" in c["claim"]:
            assert c["inside"] is False and "minibatch SGD (batch 20" in c["regime"], c
    assert len(doc["remarks"]) == 1 and "premise gd" in doc["remarks"][0]
    assert _json(capsys, mixture)["remarks"] == []  # full-batch GD: no remark


def test_a_record_in_memory_gives_the_same_premises(mixture, capsys):
    from twolayer.claims.liu2023_conditions import evaluate_record

    doc = _json(capsys, mixture)
    mem = evaluate_record(Record.load(mixture)).to_json()
    assert mem["record"] == "(in memory)"
    assert {**mem, "record": doc["record"]} == doc
