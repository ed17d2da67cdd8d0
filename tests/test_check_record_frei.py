"""``twolayer check frei2023 --record DIR`` (twolayer/claims/frei2023_record.py): frei2023's
claims judged on a user's own simulate record standing for the one-setting frei2023.regime
experiment. The verdicts against the claims' own checks through a stand-in written here, the
regimes against ``twolayer conditions``' largest C for the same flags (inside and outside
A1-A7), doctored records against numpy oracles, removed probes, refused records and the
excluded claims."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run

from twolayer.claims.base import CLAIMS, ERROR, judge
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
    from twolayer.cli import main

    assert main(["simulate", "--data", "xor", "--d", str(d), *SETTING, "--n-test", "200",
                 "--steps", "2", "--probes", PROBES, "--seeds", str(seeds), "--quiet",
                 *extra, "--out", str(tmp)]) == 0
    (one,) = [p for p in tmp.iterdir() if p.is_dir()]
    return one


@pytest.fixture(scope="module")
def inside(tmp_path_factory) -> Path:
    """18 runs (17 is the fewest at which a run event can hold) inside A1-A7."""
    return _simulate(tmp_path_factory.mktemp("in"), 400, 18)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    return _simulate(tmp_path_factory.mktemp("out"), 100, 4)


def _doctored(rec: Record, out: Path, config: dict | None = None, **arrays) -> Path:
    new = dict(rec.arrays)
    for k, v in arrays.items():
        if v is None:
            new.pop(k)
        else:
            new[k] = v
    return Record(config or rec.config, rec.run_id, rec.times, new, rec.meta,
                  rec.summary).save(out)


def _oracle(rec: Record) -> dict:
    """Each served claim judged by its own check, through a stand-in written here: the record as
    the one-setting frei2023.regime experiment, with the test probe at T as the experiment's
    ``final/`` keys."""
    T = int(rec.config["train"]["steps"])
    i = int(np.flatnonzero(rec.times == T)[0])
    arrays = dict(rec.arrays) | {f"final/{k}": v[:, i] for k, v in rec.arrays.items()
                                 if k.startswith("frei_test/")}
    view = Record(rec.config, rec.run_id, rec.times, arrays, rec.meta, rec.summary)

    class Regime:
        quick = False

        def get(self, name):
            assert name == "frei2023.regime", name
            return {"record": view}

    out = {}
    for cid in JUDGED + ["frei2023.condition9.alignment", "frei2023.lemma6.edge"]:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out[cid] = judge(CLAIMS[cid], Regime())
    return out


def _finite(x):
    return x if x is None or np.isfinite(x) else None


def _check_json(capsys, record: Path, *extra: str) -> tuple[int, list[dict]]:
    code, out, err = run(["check", *extra, "--record", str(record), "--json"], capsys)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_verdicts_are_the_claims_own_checks(inside, capsys):
    code, rows = _check_json(capsys, inside, "frei2023")
    judged = [r for r in rows if r["verdict"] != "not served"]
    assert [r["id"] for r in judged] == JUDGED
    oracle = _oracle(Record.load(inside))
    for r in judged:
        v = oracle[r["id"]]
        assert v.verdict != ERROR, (r["id"], v.detail)
        assert r["verdict"] == v.verdict, r["id"]
        assert r["measured"] == _finite(v.measured), r["id"]
        assert r["ci"] == (None if v.ci is None else [_finite(x) for x in v.ci]), r["id"]
        assert (r["seeds"], r["in_regime"], r["regime"]) == (v.seeds, v.in_regime, v.regime)
        assert r["regime"].startswith("d=400 n=100: A1-A7 hold ") and "C <= 6.68" in r["regime"]
    # 18 clean runs of a tiny inside setting: the fit and the test error hold
    verdict = {r["id"]: r["verdict"] for r in judged}
    assert verdict["frei2023.theorem1.train_fit"] == "holds"
    assert verdict["frei2023.theorem1.test_error"] == "holds"
    # the claims proved on a good run read Definition 7's facts, which simulate does not record
    unserved = {r["id"]: r["why"] for r in rows if r["verdict"] == "not served"}
    assert "frei2023.condition9.alignment" in unserved and len(unserved) == 10
    for cid, why in unserved.items():
        assert "good-run facts" in why and "frei2023.regime experiment only" in why, cid
    for cid in ("frei2023.condition9.alignment", "frei2023.lemma6.edge"):
        assert oracle[cid].verdict == ERROR and "KeyError: 'static/lemma" in oracle[cid].detail


def _largest_c(capsys, d: int) -> float | None:
    code, out, err = run(["conditions", "--paper", "frei2023", "--d", str(d), *SETTING,
                          "--json"], capsys)
    assert code == 0, err
    return json.loads(out)["largest_c"]


def test_in_regime_follows_conditions(inside, outside, capsys):
    c_in, c_out = _largest_c(capsys, 400), _largest_c(capsys, 100)
    assert c_in is not None and c_in > 1 and c_out is None
    for path, c in ((inside, c_in), (outside, c_out)):
        _, rows = _check_json(capsys, path, "frei2023")
        for r in rows:
            if r["verdict"] == "not served":
                continue
            # set_sizes needs C ~ 1e18 (Lemma 4's count): outside at every feasible setting
            expect = c is not None and r["id"] != "frei2023.lemma4.set_sizes"
            assert r["in_regime"] is expect, (path, r["id"], r["regime"])
            if c is None:
                assert "no C > 1 satisfies A1-A7" in r["regime"] and "A1 fails" in r["regime"]


def test_a_doctored_train_fit_fails(inside, capsys, tmp_path):
    rec = Record.load(inside)
    cid = "frei2023.theorem1.train_fit"
    T = int(rec.config["train"]["steps"])
    acc = rec.arrays["frei_samples/acc_clean"].copy()
    n_clean = (~rec.arrays["static/noisy"]).sum(-1)
    acc[:10, -1] = 1 - 3 / n_clean[:10]  # 3 clean points misclassified at T in 10 of 18 runs
    assert rec.times[-1] == T
    path = _doctored(rec, tmp_path, **{"frei_samples/acc_clean": acc})
    code, (row,) = _check_json(capsys, path, cid)
    # numpy oracle: runs with a misfit point at T (clean wrong + noisy fitted)
    noisy = rec.arrays["static/noisy"]
    acc_n = np.nan_to_num(rec.arrays["frei_samples/acc_noisy"][:, -1], nan=0.0)
    misfit = np.rint((1 - acc[:, -1]) * (~noisy).sum(-1) + acc_n * noisy.sum(-1))
    assert row["measured"] == pytest.approx((misfit > 0).mean()) == pytest.approx(10 / 18)
    assert row["verdict"] == "fails" == _oracle(Record.load(path))[cid].verdict
    assert code == 1


def test_a_doctored_test_error_fails(inside, capsys, tmp_path):
    """The check reads the experiment's final/frei_test key: the reader serves the test
    probe at t = steps for it."""
    rec = Record.load(inside)
    cid = "frei2023.theorem1.test_error"
    err = rec.arrays["frei_test/test_error"].copy()
    err[:, -1] = 0.5
    path = _doctored(rec, tmp_path, **{"frei_test/test_error": err})
    code, (row,) = _check_json(capsys, path, cid)
    bound = 0.05 + np.sqrt(np.log(1 / 0.05) / 100)
    assert row["measured"] == pytest.approx(float((err[:, -1] > bound).mean())) == 1.0
    assert row["verdict"] == "fails" and code == 1


def test_removed_probe_is_not_served(inside, capsys, tmp_path):
    rec = Record.load(inside)
    path = _doctored(rec, tmp_path, **{k: None for k in rec.arrays
                                       if k.startswith("frei_test/")})
    code, rows = _check_json(capsys, path, "frei2023")
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
    soft = _doctored(rec, tmp_path / "soft", config=cfg)
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
