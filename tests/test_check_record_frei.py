"""``twolayer check frei2023 --record DIR`` (twolayer/claims/frei2023_record.py): frei2023's
claims judged on a user's own simulate record standing for the one-setting frei2023.regime
experiment. The verdicts against the claims' own checks through a stand-in written here, the
regimes against ``twolayer conditions``' largest C for the same flags (inside and outside
A1-A7), doctored records against numpy oracles, removed probes, refused records and the
excluded claims."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run
from record_check_helpers import check_json, doctored, finite, judge_quietly, simulated

from twolayer.claims.base import CLAIMS, ERROR
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
PROBES = "frei_neurons,frei_samples,frei_test"
# Theorem 1's setting scaled down: lr 0.25 (T = 1 + 1/(4 lr) = 2; A7 needs 4 <= C <= 16);
# at d = 400 A1-A7 hold for 4 <= C <= 6.68, at d = 100 A1 allows only C <= 1.73: outside
SETTING = ["--n", "100", "--noise", "0.05", "--sigma2", "6e-7", "--m", "20",
           "--init-var", "1e-12", "--lr", "0.25"]
JUDGED = ["frei2023.lemma3.init_norms", "frei2023.theorem1.train_fit",
          "frei2023.appendixA4.margins", "frei2023.theorem1.test_error",
          "frei2023.theorem1.matches_fstar", "frei2023.lemma4.set_sizes"]


def _simulate(tmp: Path, d: int, seeds: int, *extra: str) -> Path:
    return simulated(tmp, ["--data", "xor", "--d", str(d), *SETTING, "--n-test", "200",
                           "--steps", "2", "--probes", PROBES, "--seeds", str(seeds), "--quiet",
                           *extra])


@pytest.fixture(scope="module")
def inside(tmp_path_factory) -> Path:
    """18 runs (17 is the fewest at which a run event can hold) inside A1-A7."""
    return _simulate(tmp_path_factory.mktemp("in"), 400, 18)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    return _simulate(tmp_path_factory.mktemp("out"), 100, 4)



def _oracle(rec: Record, facts: dict | None = None) -> dict:
    """Each served claim judged by its own check, through a stand-in written here: the record as
    the one-setting frei2023.regime experiment, with the test probe at T as the experiment's
    ``final/`` keys, and ``facts`` (the good-run facts, e.g. the regime runner's) added."""
    from twolayer.claims.frei2023_record import SERVED

    T = int(rec.config["train"]["steps"])
    i = int(np.flatnonzero(rec.times == T)[0])
    arrays = dict(rec.arrays) | {f"final/{k}": v[:, i] for k, v in rec.arrays.items()
                                 if k.startswith("frei_test/")} | dict(facts or {})
    view = Record(rec.config, rec.run_id, rec.times, arrays, rec.meta, rec.summary)

    class Regime:
        quick = False

        def get(self, name):
            assert name == "frei2023.regime", name
            return {"record": view}

    out = {}
    for cid in SERVED:
        out[cid] = judge_quietly(cid, Regime())
    return out



@pytest.fixture(scope="module")
def runner(inside) -> Record:
    """The regime experiment's own runner on the inside record's config: it records the
    good-run facts itself (static/...), from the sample and initialisation it trains."""
    from twolayer.config import Config
    from twolayer.engine import Runtime
    from twolayer.experiments.frei2023 import run_to_T

    return run_to_T(Config.from_dict(Record.load(inside).config), Runtime(device="cpu"))


def _facts(rec: Record) -> dict:
    from twolayer.claims.frei2023_record import FACT_KEYS

    return {k: rec.arrays[k] for k in FACT_KEYS}


def test_redrawn_facts_equal_the_runners(inside, runner):
    """Same config, same seeds: the facts the reader redraws for the simulate record are the
    regime runner's static/... arrays, bit for bit."""
    from twolayer.claims.frei2023_record import FACT_KEYS, redrawn_facts

    rec = Record.load(inside)
    assert not set(FACT_KEYS) & set(rec.arrays)
    facts, why = redrawn_facts(rec)
    assert why == "" and sorted(facts) == sorted(FACT_KEYS)
    for k in FACT_KEYS:
        want = runner.arrays[k]
        assert facts[k].dtype == want.dtype and np.array_equal(facts[k], want), k
    # the runner trained from the same sample and init as the simulate record
    for k in ("frei_neurons/rho_own", "frei_samples/margin_clean_min", "static/a"):
        got = runner.arrays[k] if k.startswith("static/") else runner.at(k, 0)
        assert np.array_equal(got, rec.arrays[k] if k.startswith("static/") else rec.at(k, 0))


def test_verdicts_are_the_claims_own_checks(inside, runner, capsys):
    from twolayer.claims.frei2023_record import SERVED

    code, rows = check_json(capsys, inside, "frei2023")
    assert [r["id"] for r in rows] == list(SERVED)
    assert all(r["verdict"] != "not served" for r in rows), rows
    rec = Record.load(inside)
    # the stand-in serves the regime runner's recorded facts, not the reader's redraw
    oracle = _oracle(rec, _facts(runner))
    for r in rows:
        v = oracle[r["id"]]
        assert v.verdict != ERROR, (r["id"], v.detail)
        assert r["verdict"] == v.verdict, r["id"]
        assert r["measured"] == finite(v.measured), r["id"]
        assert r["ci"] == (None if v.ci is None else [finite(x) for x in v.ci]), r["id"]
        assert (r["seeds"], r["in_regime"], r["regime"]) == (v.seeds, v.in_regime, v.regime)
        assert r["regime"].startswith("d=400 n=100: A1-A7 hold ") and "C <= 6.68" in r["regime"]
    # 18 clean runs of a tiny inside setting: the fit and the test error hold
    verdict = {r["id"]: r["verdict"] for r in rows}
    assert verdict["frei2023.theorem1.train_fit"] == "holds"
    assert verdict["frei2023.theorem1.test_error"] == "holds"
    # the 10 claims proved on a good run read Definition 7's facts, which simulate does not
    # record: without them the stand-in's checks raise
    bare = _oracle(rec)
    facts_claims = [c for c in SERVED if c not in JUDGED]
    assert len(facts_claims) == 10
    for cid in facts_claims:
        assert bare[cid].verdict == ERROR and "KeyError: 'static/" in bare[cid].detail, cid
    for cid in JUDGED:
        assert bare[cid].verdict == oracle[cid].verdict != ERROR, cid


def _unserved(capsys, path: Path) -> dict[str, str]:
    from twolayer.claims.frei2023_record import SERVED

    _, rows = check_json(capsys, path, "frei2023")
    why = {r["id"]: r["why"] for r in rows if r["verdict"] == "not served"}
    assert sorted(why) == sorted(c for c in SERVED if c not in JUDGED), why
    return why


def test_a_doctored_t0_probe_value_is_not_served(inside, capsys, tmp_path):
    rec = Record.load(inside)
    rho = rec.arrays["frei_neurons/rho_own"].copy()
    assert rec.times[0] == 0
    rho[3, 0, 5] += 0.01  # one neuron's t = 0 value, in one run
    path = doctored(rec, tmp_path, **{"frei_neurons/rho_own": rho})
    gap = 0.01 / np.abs(rho[:, 0]).max()  # numpy oracle: largest difference / largest value
    words = (f"did not reproduce the record: frei_neurons/rho_own at t = 0 differs by up to "
             f"{gap:.3g} of its largest value (tolerance 0.001)")
    for cid, why in _unserved(capsys, path).items():
        assert "good-run facts" in why and words in why, (cid, why)
    # a record whose config names another seed (its run id recomputed): another draw entirely
    from twolayer.claims.frei2023_record import redrawn_facts
    from twolayer.config import Config

    cfg = json.loads(json.dumps(rec.config))
    cfg["seed"] = cfg["seed"] + 1
    other = dataclasses.replace(rec, config=cfg,
                                run_id=Config.from_dict(cfg).resolved().run_id)
    facts, why = redrawn_facts(other)
    assert facts is None and "did not reproduce the record: static/noisy differs" in why, why
    # without the noise flags, the t = 0 probe values alone tell the other draw apart
    arrays = {k: v for k, v in other.arrays.items() if k != "static/noisy"}
    facts, why = redrawn_facts(dataclasses.replace(other, arrays=arrays))
    assert facts is None and "did not reproduce the record: frei_neurons/rho_own at t = 0 " \
        "differs by up to" in why, why


def test_no_t0_values_to_check_against(inside, capsys, tmp_path):
    from twolayer.claims.frei2023_record import redrawn_facts

    rec = Record.load(inside)
    path = doctored(rec, tmp_path, **{k: None for k in rec.arrays
                                       if k.startswith("frei_samples/")})
    words = ("the record has no frei_samples probe values to check a redraw of its sample and "
             "initialisation against: simulate with --probes frei_neurons,frei_samples so the "
             "redraw can be checked")
    _, rows = check_json(capsys, path, "frei2023")
    (row,) = [r for r in rows if r["id"] == "frei2023.condition9.alignment"]
    assert row["verdict"] == "not served" and words in row["why"], row
    # probe times from t = 1 on: no t = 0 values
    later = dataclasses.replace(rec, times=rec.times[1:], arrays={
        k: v[:, 1:] if v.ndim > 1 and v.shape[1] == len(rec.times) and "/" in k
        and not k.startswith(("static/", "baseline/")) else v for k, v in rec.arrays.items()})
    facts, why = redrawn_facts(later)
    assert facts is None and "no probe values at t = 0 (its first probe time is 1)" in why, why


def test_recorded_facts_are_read_as_is(runner, capsys, tmp_path, monkeypatch):
    """A regime experiment's record holds the facts: no redraw, and the verdicts are the
    claims' own checks on it."""
    from twolayer.claims import frei2023_record

    def no_redraw(rec):
        raise AssertionError("redrawn although the record holds the facts")

    monkeypatch.setattr(frei2023_record, "redrawn_facts", no_redraw)
    path = runner.save(tmp_path / "regime")
    _, rows = check_json(capsys, path, "frei2023")
    oracle = _oracle(runner)
    assert all(r["verdict"] != "not served" for r in rows), rows
    for r in rows:
        assert oracle[r["id"]].verdict != ERROR, r["id"]
        assert r["verdict"] == oracle[r["id"]].verdict, r["id"]
        assert r["measured"] == finite(oracle[r["id"]].measured), r["id"]


def _largest_c(capsys, d: int) -> float | None:
    code, out, err = run(["conditions", "--paper", "frei2023", "--d", str(d), *SETTING,
                          "--json"], capsys)
    assert code == 0, err
    return json.loads(out)["largest_c"]


def test_in_regime_follows_conditions(inside, outside, capsys):
    c_in, c_out = _largest_c(capsys, 400), _largest_c(capsys, 100)
    assert c_in is not None and c_in > 1 and c_out is None
    for path, c in ((inside, c_in), (outside, c_out)):
        _, rows = check_json(capsys, path, "frei2023")
        for r in rows:
            if r["verdict"] == "not served":
                continue
            # set_sizes needs C ~ 1e18 (Lemma 4's count): outside at every feasible setting;
            # other_class_correlation's bound needs alpha <= 1.77e-05 (here 0.25)
            expect = c is not None and r["id"] not in ("frei2023.lemma4.set_sizes",
                                                       "frei2023.mechanism.other_class_correlation")
            if r["id"] == "frei2023.mechanism.other_class_correlation":
                assert "(alpha <= 1.77e-05; largest alpha here 0.25: bound 1): no" in r["regime"]
            assert r["in_regime"] is expect, (path, r["id"], r["regime"])
            if c is None:
                assert "no C > 1 satisfies A1-A7" in r["regime"] and "A1 fails" in r["regime"]


# the claims that read only W(0), a and the training sample (Lemmas 3-6, Definition 7)
AT_INIT = {"frei2023.lemma3.init_norms", "frei2023.lemma4.set_sizes", "frei2023.lemma6.edge",
           "frei2023.definition7.good_run"}


def test_a_run_past_T_keeps_the_t0_claims_regime(inside, capsys, tmp_path):
    """A run of the inside setting for 3 steps (T = 2): every claim about the training (t >= 1)
    is outside ("runs stop at T ...: no"), while the claims about t = 0 keep the regime they
    have on the run that stops at T, since W(0), a and the sample do not depend on the steps
    (they were all outside before: the stopping time was a premise of every claim)."""
    past = _simulate(tmp_path, 400, 4, "--steps", "3")
    capsys.readouterr()  # simulate's own lines
    at_t = {r["id"]: r for r in check_json(capsys, inside, "frei2023")[1]}
    _, rows = check_json(capsys, past, "frei2023")
    served = [r for r in rows if r["verdict"] != "not served"]
    assert {r["id"] for r in served} >= AT_INIT
    for r in served:
        if r["id"] in AT_INIT:
            assert r["in_regime"] is at_t[r["id"]]["in_regime"], (r["id"], r["regime"])
            assert "runs stop at T" not in r["regime"], r["regime"]
            assert "data and initialisation as in the paper" in r["regime"], r["regime"]
        else:
            assert r["in_regime"] is False, (r["id"], r["regime"])
            assert "runs stop at T = 1 + 1/(4 alpha): no" in r["regime"], r["regime"]
    # inside for the three whose regime is A1-A7 alone (set_sizes needs C ~ 1e18)
    assert [r["id"] for r in served if r["in_regime"]] == sorted(
        AT_INIT - {"frei2023.lemma4.set_sizes"}, key=[r["id"] for r in served].index)


def test_t0_claims_read_the_data_and_init_premise():
    """paper_init against paper_model on configs that differ in one field each: the training
    (objective, batch, integrator, trained head, steps) moves only paper_model; the data and
    the initialisation (noise model, bias, odd m, another second layer) move both."""
    from twolayer.claims.frei2023 import paper_init, paper_model

    base = {"data": {"kind": "xor", "noise_model": "iid", "cluster_dist": "gaussian"},
            "net": {"second_layer": "frei", "bias": False, "outputs": 1, "m": 20,
                    "train_second_layer": False},
            "train": {"objective": "logistic", "batch_size": None, "integrator": "gd",
                      "steps": 2}}

    def edited(part: str, key: str, value) -> dict:
        c = {k: dict(v) for k, v in base.items()}
        c[part][key] = value
        return c

    assert paper_init(base) and paper_model(base)
    for part, key, value in [("train", "objective", "squared"), ("train", "batch_size", 10),
                             ("train", "integrator", "flow"),
                             ("net", "train_second_layer", True)]:
        c = edited(part, key, value)
        assert paper_init(c) and not paper_model(c), (key, value)
    for part, key, value in [("data", "noise_model", "random"), ("net", "bias", True),
                             ("net", "m", 21), ("net", "second_layer", "gaussian"),
                             ("data", "kind", "gaussian")]:
        c = edited(part, key, value)
        assert not paper_init(c) and not paper_model(c), (key, value)


def test_a_doctored_train_fit_fails(inside, capsys, tmp_path):
    rec = Record.load(inside)
    cid = "frei2023.theorem1.train_fit"
    T = int(rec.config["train"]["steps"])
    acc = rec.arrays["frei_samples/acc_clean"].copy()
    n_clean = (~rec.arrays["static/noisy"]).sum(-1)
    acc[:10, -1] = 1 - 3 / n_clean[:10]  # 3 clean points misclassified at T in 10 of 18 runs
    assert rec.times[-1] == T
    path = doctored(rec, tmp_path, **{"frei_samples/acc_clean": acc})
    code, (row,) = check_json(capsys, path, cid)
    # numpy oracle: runs with a misfit point at T (clean wrong + noisy fitted)
    noisy = rec.arrays["static/noisy"]
    acc_n = np.nan_to_num(rec.arrays["frei_samples/acc_noisy"][:, -1], nan=0.0)
    misfit = np.rint((1 - acc[:, -1]) * (~noisy).sum(-1) + acc_n * noisy.sum(-1))
    assert row["measured"] == pytest.approx((misfit > 0).mean()) == pytest.approx(10 / 18)
    assert row["verdict"] == "fails" == _oracle(Record.load(path))[cid].verdict
    assert code == 1


def test_a_doctored_test_error_fails(inside, capsys, tmp_path, monkeypatch):
    """The check reads the experiment's final/frei_test key: the reader serves the test
    probe at t = steps for it."""
    # judged at C = 1 on both sides (session 49: fails at each setting's largest admissible C,
    # this test is about the reader serving the key)
    from twolayer.claims import frei2023 as F

    monkeypatch.setattr(F, "loosest_c", lambda r: F.TEST_C)
    rec = Record.load(inside)
    cid = "frei2023.theorem1.test_error"
    err = rec.arrays["frei_test/test_error"].copy()
    err[:, -1] = 0.5
    path = doctored(rec, tmp_path, **{"frei_test/test_error": err})
    code, (row,) = check_json(capsys, path, cid)
    bound = 0.05 + np.sqrt(np.log(1 / 0.05) / 100)
    assert row["measured"] == pytest.approx(float((err[:, -1] > bound).mean())) == 1.0
    assert row["verdict"] == "fails" and code == 1


def test_removed_probe_is_not_served(inside, capsys, tmp_path):
    rec = Record.load(inside)
    path = doctored(rec, tmp_path, **{k: None for k in rec.arrays
                                       if k.startswith("frei_test/")})
    code, rows = check_json(capsys, path, "frei2023")
    why = {r["id"]: r.get("why") for r in rows if r["verdict"] == "not served"}
    for cid in ("frei2023.theorem1.test_error", "frei2023.theorem1.matches_fstar"):
        assert "add --probes frei_test" in why[cid], why[cid]
    code, out, err = run(["check", "frei2023", "--record", str(path)], capsys)
    assert ("not served by this record: frei2023.theorem1.test_error: its check reads "
            "frei_test/test_error, not in this record (add --probes frei_test)") in out


def test_refused_records(inside, capsys, tmp_path):
    from twolayer.cli import main

    rec = Record.load(inside)
    cfg = json.loads(json.dumps(rec.config))
    cfg["train"]["objective"] = "softmax"
    soft = doctored(rec, tmp_path / "soft", config=cfg)
    assert main(["simulate", "--data", "clusters", "--d", "10", "--n", "40", "--m", "4",
                 "--steps", "2", "--seeds", "2", "--quiet", "--out",
                 str(tmp_path / "cl")]) == 0
    capsys.readouterr()
    (clusters,) = [p for p in (tmp_path / "cl").iterdir() if p.is_dir()]
    for path, words in ((soft, ["softmax", "--objective logistic"]),
                        (clusters, ["--data clusters", "--data xor"])):
        code, out, err = run(["check", "frei2023", "--record", str(path)], capsys)
        assert code == 2 and out == "", err
        (line,) = err.strip().splitlines()
        assert "--record" in line and "frei2023 cannot read it" in line, line
        for w in words:
            assert w in line, (w, line)


def test_excluded_claims_are_refused_with_the_reason(inside, capsys):
    cid = "frei2023.theorem1.excess_trend"
    code, out, err = run(["check", cid, "--record", str(inside)], capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert cid in line and "no single record serves it" in line and "n_sweep" in line
    code, out, err = run(["check", "frei2023", "--record", str(inside), "--list"], capsys)
    assert code == 0, err
    listed, _, rest = out.partition("not served by any one record")
    for c in JUDGED:
        assert f"\n{c}  " in listed
    assert f"\n{cid}  slopes across d and n" in rest
    # every frei2023 claim is either served or excluded with a reason
    from twolayer.claims.frei2023_record import EXCLUDED, SERVED

    mine = [c for c in CLAIMS if CLAIMS[c].paper == "frei2023"]
    assert sorted(mine) == sorted([*SERVED, *EXCLUDED]) and not set(SERVED) & set(EXCLUDED)


def test_list_json_names_the_excluded_claims_with_their_reasons(inside, capsys):
    """--list --json listed only the claims served; the excluded ones (with why) were only in
    the text listing."""
    import json

    from twolayer.claims.frei2023_record import EXCLUDED, SERVED

    code, out, err = run(["check", "frei2023", "--record", str(inside), "--list", "--json"],
                         capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["id"] for r in rows if r["served"]] == list(SERVED)
    assert {r["id"]: r["why"] for r in rows if not r["served"]} == EXCLUDED
