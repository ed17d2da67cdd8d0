"""``twolayer check maennel2020 --record DIR`` (twolayer/claims/maennel2020_record.py):
maennel2020's single-record claims judged on a user's own simulate record standing for the
upstream experiment their checks read. The verdicts against the claims' own checks through a
stand-in written here (σ_i² from numpy, not from the reader), one measured number against a
numpy oracle, the regime inside and outside the card's setting, doctored records (a
misaligned ΔW, unlearned labels, an edited t = 0 value), the refusals and the excluded
claims."""

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

RANDOM = ["--noise", "1", "--noise-model", "random", "--init-var", "0.0667",
          "--second-layer", "gaussian", "--train-second-layer", "--bias",
          "--probes", "maennel,errors", "--quiet"]
SMALL = ["--d", "30", "--n", "200", "--n-test", "100", "--m", "32", "--steps", "200",
         "--num-times", "10", "--seeds", "6", *RANDOM]
SOFTMAX = ["--num-classes", "10", "--objective", "softmax", "--batch-size", "50"]
SETTINGS = {  # name -> (simulate flags, the experiment the record stands for)
    "e1": (["--data", "gaussian", "--rotate", *SOFTMAX, "--lr", "0.1"], "e1_random"),
    "spread": (["--data", "gaussian", "--rotate", "--spectrum", "log", "--sigma2-min", "1e-3",
                *SOFTMAX, "--lr", "0.2"], "spread_random"),
    "binary": (["--data", "gaussian", "--rotate", "--num-classes", "2", "--lr", "0.5"],
               "binary_gd"),
    "xor": (["--data", "xor", "--batch-size", "50", "--lr", "0.2"], "xor_random"),
}
ON_ANY = ["maennel2020.b1.grows_apart", "maennel2020.b2.transfer_function",
          "maennel2020.b2.transfer_function_learned"]
ALIGN = {"e1_random": "maennel2020.b1.alignment",
         "spread_random": "maennel2020.b1.alignment_spread",
         "binary_gd": "maennel2020.b1.alignment_binary_gd",
         "xor_random": "maennel2020.b1.alignment_xor"}
# the card's B1 setting (n 2000, H 256, 8 x 256 = 2048 pooled neurons, He init, lr 0.05, batch
# 64, 10 random classes), trained briefly: the labels are learnt below chance 0.9 by then
CARD = ["--data", "gaussian", "--d", "30", "--rotate", *SOFTMAX[:4], "--n", "2000",
        "--n-test", "100", "--m", "256", "--lr", "0.05", "--batch-size", "64", "--steps", "200",
        "--num-times", "8", "--seeds", "8", *RANDOM]


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, Path]:
    return {name: simulated(tmp_path_factory.mktemp(name), [*flags, *SMALL])
            for name, (flags, _) in SETTINGS.items()}


@pytest.fixture(scope="module")
def card(tmp_path_factory) -> Path:
    return simulated(tmp_path_factory.mktemp("card"), CARD)


def numpy_sigma2(config: dict) -> np.ndarray:
    """σ_i² in the data frame's order from the record's config, by numpy: the gaussian kind's
    linearly or log-spaced spectrum (ascending, as its eigenbasis rows), the XOR clusters'
    σ² + 1/2 along μ1 and μ2 (Σ_x = σ²I + (μ1μ1ᵀ + μ2μ2ᵀ)/2) and σ² on the completion."""
    dc = config["data"]
    d = int(dc["d"])
    if dc["kind"] == "xor":
        s2 = float(dc["sigma2"])
        return np.array([s2 + 0.5, s2 + 0.5] + [s2] * (d - 2))
    lo, hi = float(dc["sigma2_min"]), float(dc["sigma2_max"])
    if dc["spectrum"] == "log":
        return np.logspace(np.log10(lo), np.log10(hi), d)
    return np.linspace(lo, hi, d)


def _oracle(rec: Record, experiment: str) -> dict:
    """The served claims judged by their own checks, through a stand-in written here: the
    record with numpy's σ_i² as ``static/sigma2``, served as ``maennel2020.<experiment>`` (read
    by B1's variant of that setting) and as ``maennel2020.e1_random`` (the others)."""
    sigma2 = np.tile(numpy_sigma2(rec.config), (rec.seeds, 1))
    view = dataclasses.replace(rec, arrays={**rec.arrays, "static/sigma2": sigma2})
    names = {f"maennel2020.{experiment}", "maennel2020.e1_random"}

    class Upstream:
        quick = False

        def get(self, name):
            assert name in names, name
            return view

    return {cid: judge_quietly(cid, Upstream()) for cid in (ALIGN[experiment], *ON_ANY)}


def _same(row: dict, v) -> None:
    assert v.verdict != ERROR, (row["id"], v.detail)
    assert row["verdict"] == v.verdict, row["id"]
    assert row["measured"] == finite(v.measured), row["id"]
    assert row["ci"] == (None if v.ci is None else [finite(x) for x in v.ci]), row["id"]
    assert (row["seeds"], row["in_regime"], row["regime"]) == (v.seeds, v.in_regime, v.regime)


# B2's statements name App. E.1's spectrum: not served on the log spectrum or the XOR clusters
F_CLAIMS = ON_ANY[1:]
NOT_E1 = {"spread", "xor"}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_verdicts_are_the_claims_own_checks(records, name, capsys):
    """Each setting serves B1's variant that names it, grows_apart, and B2's two claims where
    its spectrum is App. E.1's; every verdict, number and regime is the claim's own check on the
    record served as the experiment."""
    experiment = SETTINGS[name][1]
    code, rows = check_json(capsys, records[name], "maennel2020")
    unserved = F_CLAIMS if name in NOT_E1 else []
    assert [r["id"] for r in rows] == [ALIGN[experiment], *[c for c in ON_ANY
                                                            if c not in unserved], *unserved]
    for r in rows[len(rows) - len(unserved):]:
        assert r["verdict"] == "not served" and "App. E.1's spectrum" in r["why"], r
    rows = rows[:len(rows) - len(unserved)]
    rec = Record.load(records[name])
    oracle = _oracle(rec, experiment)
    for r in rows:
        _same(r, oracle[r["id"]])
        # a small setting: judged, and marked outside the card's (n 200, width 32 ...)
        assert r["in_regime"] is False and "n 200 per run (stored) vs the card's" in r["regime"]
        assert r["decides"] is False  # every maennel2020 claim is a proposal
    assert code == 0


def test_reader_sigma2_is_numpys(records):
    """The σ_i² the reader derives (after verifying the redraw) are numpy's from the flags."""
    from twolayer.claims.maennel2020_record import derived_sigma2

    for name, path in records.items():
        rec = Record.load(path)
        got, why = derived_sigma2(rec)
        assert why == "" and got.shape == (6, 30), (name, why)
        np.testing.assert_allclose(got, np.tile(numpy_sigma2(rec.config), (6, 1)),
                                   rtol=1e-12, err_msg=name)


def test_inside_the_card_setting(card, capsys):
    code, rows = check_json(capsys, card, "maennel2020")
    assert [r["id"] for r in rows] == ["maennel2020.b1.alignment", *ON_ANY]
    oracle = _oracle(Record.load(card), "e1_random")
    for r in rows:
        _same(r, oracle[r["id"]])
        assert r["in_regime"] is True, (r["id"], r["regime"])
        assert "premises met" in r["regime"] and "Setting: the card's" in r["regime"], r["regime"]


def test_transfer_function_against_numpy(records, capsys):
    """b2.transfer_function's measured eta^2 of f(sigma_i) = sqrt(diag of each run's Sigma_w)
    of W at the end, by numpy from the record's maennel sums: the population's eta^2, the seed
    noise of the directions' means removed (since 2026-12-06)."""
    rec = Record.load(records["e1"])
    m = rec.config["net"]["m"]
    s = rec.arrays["maennel/w_sum"][:, -1].astype(float)
    o = rec.arrays["maennel/w_outer"][:, -1].astype(float)
    var = (np.diagonal(o, axis1=-2, axis2=-1) - s**2 / m) / (m - 1)  # [R, d]
    f = np.sqrt(var)
    R, d = f.shape
    noise = ((f - f.mean(0)) ** 2).sum() / (d * (R - 1))
    spread = f.mean(0).var() - noise * (d - 1) / (d * R)
    eta2 = spread / (spread + noise)
    _, (row,) = check_json(capsys, records["e1"], "maennel2020.b2.transfer_function")
    assert row["measured"] == pytest.approx(eta2, rel=1e-6)


def test_a_misaligned_dw_fails_b1(records, capsys, tmp_path):
    """The learned part dW rotated by a fixed random rotation in every run (its covariance no
    longer aligned with the data's eigenbasis): B1's q rises above the 1/2 at which it fails."""
    rec = Record.load(records["e1"])
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((30, 30)))
    s, o = rec.arrays["maennel/dw_sum"].copy(), rec.arrays["maennel/dw_outer"].copy()
    s[:, -1] = s[:, -1] @ q.T
    o[:, -1] = q @ o[:, -1] @ q.T
    path = doctored(rec, tmp_path, **{"maennel/dw_sum": s, "maennel/dw_outer": o})
    code, (row,) = check_json(capsys, path, "maennel2020.b1.alignment")
    assert row["verdict"] == "fails" and row["ci"][0] >= 0.5, row
    _same(row, _oracle(Record.load(path), "e1_random")["maennel2020.b1.alignment"])
    _, (before,) = check_json(capsys, records["e1"], "maennel2020.b1.alignment")
    assert before["verdict"] != "fails" and before["measured"] < 0.5, before


def test_unlearned_labels_leave_every_claim_inconclusive(records, capsys, tmp_path):
    rec = Record.load(records["e1"])
    err = rec.arrays["errors/train_error"].copy()
    err[:, -1] = 0.95  # above chance 1 - 1/10
    path = doctored(rec, tmp_path, **{"errors/train_error": err})
    _, rows = check_json(capsys, path, "maennel2020")
    oracle = _oracle(Record.load(path), "e1_random")
    for r in rows:
        _same(r, oracle[r["id"]])
        assert r["verdict"] == "inconclusive" and r["in_regime"] is False
        assert "premise unmet" in r["detail"] and "below chance 0.9: no" in r["regime"]


def test_an_edited_t0_value_leaves_sigma2_unserved(records, capsys, tmp_path):
    """The redraw must reproduce the record's t = 0 maennel values: one edited entry and no
    claim is served (exit 2, naming the array and its largest difference)."""
    rec = Record.load(records["e1"])
    assert rec.times[0] == 0
    o = rec.arrays["maennel/w_outer"].copy()
    o[2, 0, 4, 4] += 0.05
    path = doctored(rec, tmp_path, **{"maennel/w_outer": o})
    gap = 0.05 / np.abs(o[:, 0]).max()  # numpy: largest difference / largest value
    code, out, err = run(["check", "maennel2020", "--record", str(path)], capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "--record" in line and "serves none of the 4 selected claims" in line, line
    assert "static/sigma2" in line and (
        f"did not reproduce the record: maennel/w_outer at t = 0 differs by up to {gap:.3g} of "
        "its largest value (tolerance 0.001)") in line, line


def test_another_seed_or_no_t0_is_not_redrawn(records):
    from twolayer.claims.maennel2020_record import derived_sigma2
    from twolayer.config import Config

    rec = Record.load(records["e1"])
    cfg = json.loads(json.dumps(rec.config))
    cfg["seed"] += 1
    other = dataclasses.replace(rec, config=cfg, run_id=Config.from_dict(cfg).resolved().run_id)
    got, why = derived_sigma2(other)
    assert got is None and "did not reproduce the record: static/a differs" in why, why
    arrays = {k: v for k, v in other.arrays.items() if k not in ("static/a", "static/noisy")}
    got, why = derived_sigma2(dataclasses.replace(other, arrays=arrays))
    assert got is None and "maennel/w_sum at t = 0 differs by up to" in why, why
    later = dataclasses.replace(rec, times=rec.times[1:], arrays={
        k: v[:, 1:] if k.startswith(("maennel/", "errors/")) else v
        for k, v in rec.arrays.items()})
    got, why = derived_sigma2(later)
    assert got is None and "no probe values at t = 0 (its first probe time is 1)" in why, why


def test_a_recorded_sigma2_is_read_as_is(records, capsys, tmp_path, monkeypatch):
    """An experiment's record holds static/sigma2: no redraw, and the checks read it."""
    from twolayer.claims import maennel2020_record

    def no_redraw(rec):
        raise AssertionError("redrawn although the record holds static/sigma2")

    monkeypatch.setattr(maennel2020_record, "derived_sigma2", no_redraw)
    rec = Record.load(records["e1"])
    sigma2 = np.tile(numpy_sigma2(rec.config), (rec.seeds, 1))
    path = doctored(rec, tmp_path, **{"static/sigma2": sigma2})
    _, rows = check_json(capsys, path, "maennel2020")
    oracle = _oracle(rec, "e1_random")
    for r in rows:
        _same(r, oracle[r["id"]])


def test_refused_records(records, capsys, tmp_path):
    from twolayer.cli import main

    rec = Record.load(records["e1"])
    no_maennel = doctored(rec, tmp_path / "nm", **{k: None for k in rec.arrays
                                                    if k.startswith("maennel/")})
    no_errors = doctored(rec, tmp_path / "ne", **{"errors/train_error": None})
    assert main(["simulate", "--data", "clusters", "--d", "10", "--n", "40", "--m", "4",
                 "--steps", "2", "--seeds", "2", "--probes", "maennel,errors", "--quiet",
                 "--out", str(tmp_path / "cl")]) == 0
    capsys.readouterr()
    (clusters,) = [p for p in (tmp_path / "cl").iterdir() if p.is_dir()]
    for path, words in ((no_maennel, ["has no maennel probe arrays", "--probes maennel,errors"]),
                        (no_errors, ["has no errors probe arrays", "--probes maennel,errors"]),
                        (clusters, ["is a --data clusters record", "--data gaussian"])):
        code, out, err = run(["check", "maennel2020", "--record", str(path)], capsys)
        assert code == 2 and out == "", err
        (line,) = err.strip().splitlines()
        assert "--record" in line and "maennel2020 cannot read it" in line, line
        for w in words:
            assert w in line, (w, line)


def test_another_settings_b1_variant_is_refused(records, capsys):
    code, out, err = run(["check", "maennel2020.b1.alignment_xor", "--record",
                          str(records["e1"])], capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "does not serve it" in line and "serves 4 other claims" in line, line


def test_excluded_claims(records, capsys):
    from twolayer.claims.maennel2020_record import EXCLUDED, SERVED

    cid = "maennel2020.b3.transfer_teacher"
    code, out, err = run(["check", cid, "--record", str(records["e1"])], capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert cid in line and "no single record serves it" in line and "fine-tuning" in line
    code, out, err = run(["check", "maennel2020", "--record", str(records["xor"]), "--list",
                          "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    # --list says what a real run serves: B2's statements name App. E.1's spectrum, not XOR
    # (before session 41's fix --list listed them as served, and the run then did not serve them)
    assert [r["id"] for r in rows if r["served"]] == ["maennel2020.b1.alignment_xor",
                                                      "maennel2020.b1.grows_apart"]
    unserved = {r["id"]: r["why"] for r in rows if not r["served"]}
    b2 = ["maennel2020.b2.transfer_function", "maennel2020.b2.transfer_function_learned"]
    assert {k: v for k, v in unserved.items() if k not in b2} == EXCLUDED
    _, judged = check_json(capsys, records["xor"], "maennel2020")
    for cid in b2:
        assert "--data xor" in unserved[cid], unserved[cid]
        assert [r["why"] for r in judged if r["id"] == cid] == [unserved[cid]]
    code, out, err = run(["check", "maennel2020", "--record", str(records["xor"]), "--list"],
                         capsys)
    assert code == 0, err
    served_part, rest = out.split("not served by this record (its statement names another "
                                  "setting, or its check reads what the record lacks):\n")
    assert all(cid not in served_part for cid in b2) and all(cid in rest for cid in b2)
    assert "maennel2020.b1.grows_apart" in served_part
    assert "two records" in EXCLUDED["maennel2020.b1.teacher_control"]
    # every maennel2020 claim is either served on some record or excluded with a reason
    mine = [c for c in CLAIMS if CLAIMS[c].paper == "maennel2020"]
    assert sorted(mine) == sorted([*SERVED, *EXCLUDED]) and not set(SERVED) & set(EXCLUDED)


def test_no_paper_named_includes_maennel2020(records, capsys):
    """``check --record DIR`` with no paper judges every paper whose reader reads it."""
    _, rows = check_json(capsys, records["e1"])
    mine = [r["id"] for r in rows if r["paper"] == "maennel2020"]
    assert mine == ["maennel2020.b1.alignment", *ON_ANY]
    code, out, err = run(["check", "--record", str(records["e1"]), "--list"], capsys)
    assert code == 0 and "maennel2020.b2.transfer_function_learned" in out, err


@pytest.mark.parametrize("seeds", [2, 3])
def test_jackknife_claims_count_the_runs_read(seeds, capsys, tmp_path):
    """With 2 seeds, B1's alignment and both B2 claims have no jackknife interval (each
    leave-one-out subset is 1 run; the floors and eta^2 need 2): inconclusive, the seeds column
    the record's 2 runs (it read 0 before) and the detail saying why; grows_apart has one. With
    3 seeds every served claim has a finite interval over 3 seeds, as the paper page says."""
    flags = [*SETTINGS["e1"][0], *SMALL]
    flags[flags.index("--seeds") + 1] = str(seeds)
    rec = simulated(tmp_path, flags)
    capsys.readouterr()  # simulate's own lines
    _, rows = check_json(capsys, rec, "maennel2020")
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {ALIGN["e1_random"], *ON_ANY}
    for cid, row in by_id.items():
        assert row["seeds"] == seeds, (cid, row["seeds"])
        lo, hi = row["ci"] if row["ci"] is not None else (None, None)
        has_interval = lo is not None and hi is not None
        if seeds == 3 or cid == "maennel2020.b1.grows_apart":
            assert has_interval, (cid, row["ci"])
            assert "no jackknife interval" not in row["detail"]
        else:
            assert not has_interval, (cid, row["ci"])
            assert row["verdict"] == "inconclusive"
            assert "no jackknife interval" in row["detail"]
            assert "give 3 or more seeds" in row["detail"]


# -- the setting each statement names (docs/verdict_audit.md, section 21) -----------------------


def _config_record(data: dict, train: dict) -> Record:
    """A record whose config alone matters (the statement items read only the config)."""
    base = {"kind": "gaussian", "d": 30, "n": 200, "spectrum": "linear", "sigma2_min": 0.1,
            "sigma2_max": 3.0, "num_classes": 10, "noise": 1.0, "noise_model": "random"}
    tr = {"lr": 0.1, "steps": 10, "batch_size": 50, "objective": "softmax", "integrator": "gd"}
    config = {"data": {**base, **data}, "net": {"m": 4}, "train": {**tr, **train}, "seeds": 2}
    return Record(config, "x", np.arange(2), {}, {})


@pytest.mark.parametrize("data, train, cid, words", [
    # two classes, SGD, softmax: the binary variant's statement names logistic loss, full batch
    ({"num_classes": 2}, {}, "maennel2020.b1.alignment_binary_gd",
     ["the softmax loss (the statement: the logistic loss)",
      "SGD (--batch-size 50 < n = 200) (the statement: full-batch GD)"]),
    # ten classes by full-batch GD: b1.alignment's statement names SGD
    ({}, {"batch_size": None}, "maennel2020.b1.alignment", ["full-batch GD (the statement: SGD)"]),
    # a minibatch of all n points is full-batch GD
    ({}, {"batch_size": 200}, "maennel2020.b1.alignment", ["--batch-size 200 = n"]),
    ({"num_classes": 2}, {"batch_size": None, "integrator": "flow", "objective": "logistic"},
     "maennel2020.b1.alignment_binary_gd", ["gradient flow (--integrator flow)"]),
    # another spectrum than App. E.1's (d = 50), or than 3.5 decades
    ({"d": 50}, {}, "maennel2020.b1.alignment", ["at d = 50"]),
    ({"d": 50}, {}, "maennel2020.b2.transfer_function", ["at d = 50", "App. E.1's spectrum"]),
    ({"spectrum": "log", "sigma2_min": 0.03}, {}, "maennel2020.b1.alignment_spread",
     ["(2.00 decades)", "3.5 decades"]),
    ({"kind": "xor"}, {}, "maennel2020.b2.transfer_function_learned", ["--data xor"]),
    # labels not entirely random: every statement is about random-label training
    ({"noise": 0.0, "noise_model": "iid"}, {}, "maennel2020.b1.grows_apart",
     ["clean labels (--noise 0)"]),
    ({"noise": 0.5}, {}, "maennel2020.b1.alignment", ["random noise at rate 0.5"]),
    ({"kind": "xor", "noise": 0.2, "noise_model": "iid"}, {}, "maennel2020.b1.alignment_xor",
     ["iid noise at rate 0.2"]),
])
def test_a_statement_not_naming_the_records_setting_is_not_served(data, train, cid, words):
    from twolayer.claims.maennel2020_record import UpstreamRecord

    why = UpstreamRecord(_config_record(data, train)).not_served(cid)
    assert why.startswith("its statement names entirely random labels"), why
    for w in words:
        assert w in why, why


@pytest.mark.parametrize("data, train, served", [
    ({}, {}, ["maennel2020.b1.alignment", *ON_ANY]),
    ({"d": 10, "sigma2_min": 1.0, "sigma2_max": 1.9}, {}, ["maennel2020.b1.alignment", *ON_ANY]),
    ({"spectrum": "log", "sigma2_min": 1e-3}, {}, ["maennel2020.b1.alignment_spread",
                                                   "maennel2020.b1.grows_apart"]),
    ({"num_classes": 2}, {"batch_size": None, "objective": "logistic"},
     ["maennel2020.b1.alignment_binary_gd", *ON_ANY]),
    ({"kind": "xor", "num_classes": 2}, {"objective": "logistic"},
     ["maennel2020.b1.alignment_xor", "maennel2020.b1.grows_apart"]),
])
def test_the_settings_the_statements_name_are_served(data, train, served):
    from twolayer.claims.maennel2020_record import SERVED, UpstreamRecord

    up = UpstreamRecord(_config_record(data, train))
    assert [c for c in SERVED if up.not_served(c) == ""] == served


def test_a_two_class_sgd_softmax_record_is_not_judged_under_the_gd_statement(tmp_path, capsys):
    """Open item of section 20: two random classes trained by SGD on the softmax loss stood for
    binary_gd ("2 random classes, logistic loss, full-batch GD") and was judged under it; now
    that variant is not served, saying why, and the other claims are judged."""
    flags = [*SMALL]
    flags[flags.index("--seeds") + 1] = "3"
    rec = simulated(tmp_path, ["--data", "gaussian", "--rotate", "--num-classes", "2",
                               "--objective", "softmax", "--batch-size", "50", "--lr", "0.5",
                               *flags])
    capsys.readouterr()
    _, rows = check_json(capsys, rec, "maennel2020")
    by_id = {r["id"]: r for r in rows}
    row = by_id["maennel2020.b1.alignment_binary_gd"]
    assert row["verdict"] == "not served", row
    for w in ("the softmax loss (the statement: the logistic loss)", "(the statement: "
              "full-batch GD)", "B1 is stated for four settings", "none of them"):
        assert w in row["why"], row["why"]
    assert all(by_id[c]["verdict"] != "not served" for c in ON_ANY)


def test_a_teacher_label_record_serves_nothing(tmp_path, capsys):
    """Every served statement is about random-label training: a record on clean teacher labels
    serves none (exit 2, the reason); grows_apart held (outside) on one until 2026-12-06."""
    flags = [*SMALL]
    flags[flags.index("--noise") + 1] = "0"
    flags[flags.index("--noise-model") + 1] = "iid"
    flags[flags.index("--seeds") + 1] = "3"
    rec = simulated(tmp_path, [*SETTINGS["e1"][0], *flags])
    capsys.readouterr()
    code, out, err = run(["check", "maennel2020", "--record", str(rec)], capsys)
    assert code == 2 and out == ""
    assert "serves none of the 4 selected claims" in err and "clean labels (--noise 0)" in err


def test_a_stored_sigma2_that_contradicts_the_config_is_not_read(records, capsys, tmp_path):
    """A record holding static/sigma2 (read as is, not redrawn) whose values are not its
    config's spectrum: the statements are matched on the config, the checks would read the
    stored array, so it is not read and the claims say why (until 2026-12-06 it was read)."""
    rec = Record.load(records["e1"])
    sigma2 = np.tile(np.logspace(-3, np.log10(3), 30), (rec.seeds, 1))  # a log spectrum
    path = doctored(rec, tmp_path, **{"static/sigma2": sigma2})
    code, out, err = run(["check", "maennel2020", "--record", str(path)], capsys)
    assert code == 2 and out == ""
    assert "stored static/sigma2 is not its config's spectrum" in err, err
    # the config's own spectrum in another order pairs sigma_i with other directions: not read
    reversed_ = np.tile(numpy_sigma2(rec.config)[::-1], (rec.seeds, 1))
    path = doctored(rec, tmp_path / "rev", **{"static/sigma2": reversed_})
    code, out, err = run(["check", "maennel2020", "--record", str(path)], capsys)
    assert code == 2 and "in the frame order" in err, err
