"""A plugin's premises from the setting flags (``twolayer conditions --plugin P --paper X --data
... --d ...``, no ``--record``): a plugin registers a setting reader beside its record reader
(``twolayer.api.register_conditions(..., from_setting=...)``), which gets the config dict a
record of the same flags would hold. The Barak et al. example's Theorem 4 premises from the flags
equal those measured on a record trained with the same flags, and a size premise is compared
with n / (k^4 log(nk/eps)) computed here (paper card barak2022, Sec. 3). Bad flags, ``--record``
with setting flags, a paper without a setting reader and a setting reader's own bug are one
line with exit status 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from cli_helpers import assert_refused, run
from plugin_helpers import barak_example, forgetting

from twolayer.api import Record, find_record
from twolayer.api import register_conditions as api_register_conditions
from twolayer.cli import build_parser, main
from twolayer.commands.settings import config_from_args
from twolayer.conditions import CONDITIONS, register_conditions

pytestmark = pytest.mark.usefixtures("single_thread")
ROOT = Path(__file__).resolve().parents[1]
BARAK = ROOT / "examples" / "barak2022"
EPS = 0.1  # the example's epsilon [PROPOSAL]
PAPER = "csettingpaper"
BASE = ["conditions", "--plugin", str(BARAK), "--paper", "barak2022"]
# the task's setting (--n 8192: simulate's parity streams batches smaller than n)
SETTING = ["--data", "parity", "--d", "51", "--k", "2", "--m", "200", "--n", "8192",
           "--batch-size", "4096", "--objective", "hinge"]


@pytest.fixture(scope="module")
def barak():
    """The example loaded, with its loss, data kind and premises (both readers) registered
    while these tests run and removed afterwards, as tests/test_conditions_plugins.py's fixture
    does (an earlier module may have removed them from the still-loaded plugin; a later one must
    not see them)."""
    with barak_example(setting_reader=True) as mod:
        yield mod


def _premises(doc: dict) -> list[tuple]:
    return [(p["id"], p["tag"], p["statement"], p["threshold"], p["status"], p["measured"],
             p["why"], p["value"]) for p in doc["premises"]]


@pytest.mark.parametrize("flags", [
    # k even, n odd, hinge, clean labels
    ["--d", "7", "--k", "2", "--m", "16", "--n", "64", "--batch-size", "8",
     "--objective", "hinge"],
    # k odd, n even, logistic, noisy labels, a larger batch than n^k log(n/eps)
    ["--d", "4", "--k", "3", "--m", "8", "--n", "512", "--batch-size", "500",
     "--noise", "0.1", "--lr", "0.05"],
])
def test_the_premises_from_the_flags_are_those_of_a_record_of_the_same_flags(
        flags, barak, tmp_path, capsys):
    common = ["--data", "parity", *flags, "--seeds", "2", "--steps", "1"]
    assert main(["simulate", "--plugin", str(BARAK), *common, "--n-test", "16", "--quiet",
                 "--out", str(tmp_path / "rec")]) == 0
    capsys.readouterr()
    code, out, err = run(BASE + ["--record", str(tmp_path / "rec"), "--json"], capsys)
    assert code == 0, err
    from_record = json.loads(out)
    code, out, err = run(BASE + common + ["--n-test", "16", "--json"], capsys)
    assert code == 0, err
    from_flags = json.loads(out)
    assert _premises(from_flags) == _premises(from_record)
    assert from_flags["setting"] == from_record["setting"]
    assert from_flags["summary"].split(" (")[0] == from_record["summary"].split(" (")[0]
    assert from_flags["record"] is None and from_record["record"]
    assert from_flags["remarks"] == from_record["remarks"]
    # the dict the reader got is the record's config itself
    args = build_parser().parse_args(["simulate", "--plugin", str(BARAK), *common,
                                      "--n-test", "16"])
    cfg, _ = config_from_args(args)
    from twolayer.conditions import setting_config

    assert setting_config(cfg) == Record.load(find_record(tmp_path / "rec")).config


def test_a_size_premise_against_the_cards_formula(barak, capsys):
    code, out, err = run(BASE + SETTING + ["--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    got = {p["id"]: p for p in doc["premises"]}
    n, k, r, B = 51, 2, 200, 4096
    # n = Omega(k^4 log(nk/eps)): 51 / (16 log 1020) = 51 / (16 * 6.92756) = 51 / 110.841
    want_n = n / (k**4 * math.log(n * k / EPS))
    assert want_n == pytest.approx(0.460119, abs=1e-6)
    assert got["n_large"]["value"] == pytest.approx(want_n, rel=1e-12)
    assert got["n_large"]["status"] == "not established"
    assert got["width"]["value"] == pytest.approx(r / (2**k * k * math.log(k / EPS)), rel=1e-12)
    assert got["width"]["status"] == "holds"
    assert got["batch"]["value"] == pytest.approx(B / (n**k * math.log(n / EPS)), rel=1e-12)
    assert [p for p, v in got.items() if v["status"] == "holds"] == [
        "k_even", "n_odd", "width", "online", "hinge", "clean"]
    code, text, err = run(BASE + SETTING, capsys)
    assert code == 0, err
    lines = text.splitlines()
    assert lines[1].startswith("record: none: computed from the setting flags")
    assert lines[2] == ("setting: n=51 k=2 r=200 B=4096 lr=0.1 objective=hinge noise=0 "
                        "steps=1000 seeds=1")
    assert f"{want_n:.3g}" == "0.46" and "n/(k^4 log(nk/eps)) = 0.46" in text
    assert lines[-3].startswith("10 premises: 6 hold, 4 not established (computed from the "
                                "setting flags")
    assert lines[-2].startswith("note: not read: the step sizes eta_t")


def test_an_odd_k_is_a_premise_that_does_not_hold_not_an_error(barak, capsys):
    code, out, err = run(BASE + [a if a != "2" else "3" for a in SETTING] + ["--json"], capsys)
    assert code == 0, err
    got = {p["id"]: p for p in json.loads(out)["premises"]}
    assert got["k_even"]["status"] == "not established"
    assert got["k_even"]["why"] == "k = 3 is odd"


@pytest.mark.parametrize("change, words", [
    ({"--d": "0"}, ["--d 0", ">= 1"]),
    ({"--d": "1"}, ["--k 2", "[1, d = 1]"]),  # --data parity allows d = 1, not k = 2 > d
    ({"--m": "-1"}, ["--m -1", ">= 2"]),
    ({"--k": "0"}, ["--k 0", "[1, d = 51]"]),
    ({"--batch-size": "8192"}, ["--batch-size 8192", "n = 8192"]),
    ({"--objective": "nope"}, ["--objective", "nope", "hinge"]),
    ({"--data": "xor"}, ["--data", "xor", "--data parity"]),
    ({"--noise": "2"}, ["--noise 2"]),
])
def test_bad_setting_flags_are_one_line_exit_2(change, words, barak, tmp_path, capsys):
    argv = list(SETTING)
    for flag, value in change.items():
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    if change.get("--data") == "xor":
        argv = ["--data", "xor", "--d", "51"]
    code, out, err = run(BASE + argv, capsys)
    assert_refused(code, out, err, words, tmp_path / "never")


@pytest.mark.parametrize("extra, words", [
    (["--record", "{rec}"], ["--paper barak2022", "not both", "--data 'parity'"]),
    (["--delta", "0.1"], ["--delta 0.1", "frei2023"]),
])
def test_record_or_delta_with_the_setting_flags_is_refused(extra, words, barak, tmp_path,
                                                           capsys):
    rec = tmp_path / "rec"
    rec.mkdir()
    argv = BASE + SETTING + [a.format(rec=rec) for a in extra]
    code, out, err = run(argv, capsys)
    assert_refused(code, out, err, words, tmp_path / "never")


# a plugin with a record reader only (n >= 10 d) and, in SETTING_TOY, a setting reader too
TOY = '''
from twolayer.api import (HOLDS, NOT_ESTABLISHED, Premise, Record, RecordConditions,
                          find_record, register_conditions)


def premise(c):
    d, n = c["data"]["d"], c["data"]["n"]
    ok = n >= 10 * d
    return Premise("samples", "[PAPER]", "Lemma 0: n >= 10 d samples", "n >= 10 d",
                   HOLDS if ok else NOT_ESTABLISHED, "n = %d, d = %d" % (n, d),
                   "" if ok else "too few samples", value=n / d)


def evaluate(path):
    where = find_record(path)
    c = Record.load(where).config
    return RecordConditions("{paper}", "{paper}: Lemma 0", str(where), "d=%d" % c["data"]["d"],
                            (premise(c),), ())


def from_setting(c):
    return RecordConditions("{paper}", "{paper}: Lemma 0", "ignored", "d=%d" % c["data"]["d"],
                            (premise(c),), ())


register_conditions("{paper}", "record", "{paper}: Lemma 0", evaluate{reader})
'''


def _toy(tmp: Path, reader: str = "", body: str = "") -> Path:
    text = TOY.replace("{paper}", PAPER).replace("{reader}", reader)
    if body:
        text = text.replace("def from_setting(c):\n", "def from_setting(c):\n" + body)
    f = tmp / "toy.py"
    f.write_text(text)
    return f


def test_a_plugin_without_a_setting_reader_still_refuses_the_setting_flags(barak, tmp_path,
                                                                          capsys):
    with forgetting(PAPER, modules=True):
        f = _toy(tmp_path)
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER, "--d", "7"],
                             capsys)
        assert_refused(code, out, err, ["--d 7", f"--paper {PAPER} reads its setting from the "
                                        "record", "frei2023, barak2022"], tmp_path / "never")
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER], capsys)
        assert_refused(code, out, err, ["needs --record DIR"], tmp_path / "never")


def test_a_toy_setting_reader_reads_the_resolved_config(tmp_path, capsys):
    with forgetting(PAPER, modules=True):
        f = _toy(tmp_path, ", from_setting=from_setting")
        argv = ["conditions", "--plugin", str(f), "--paper", PAPER]
        for d, n, status in (("5", "60", "holds"), ("10", "60", "not established")):
            code, out, err = run(argv + ["--d", d, "--n", n, "--json"], capsys)
            assert code == 0, err
            doc = json.loads(out)
            assert doc["record"] is None  # the reader's "ignored" is replaced: no record
            assert doc["premises"][0]["status"] == status
        # no flags: simulate's defaults (d = 50, n = 1000)
        code, out, err = run(argv + ["--json"], capsys)
        assert code == 0, err
        assert json.loads(out)["premises"][0]["value"] == pytest.approx(1000 / 50)


@pytest.mark.parametrize("body, words", [
    ("    raise KeyError('data')\n", ["setting reader", PAPER, "KeyError", "toy.py:"]),
    ("    return {'premises': []}\n", ["setting reader", PAPER, "toy.py:", "returned a dict",
                                        "not a RecordConditions"]),
])
def test_a_setting_reader_that_raises_or_returns_another_thing_is_one_line(body, words,
                                                                          tmp_path, capsys):
    with forgetting(PAPER, modules=True):
        f = _toy(tmp_path, ", from_setting=from_setting", body)
        line = 1 + f.read_text().splitlines().index("def from_setting(c):")
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER, "--d", "5"],
                             capsys)
    raises = "raise" in body
    assert_refused(code, out, err, words + [f"toy.py:{line + 1 if raises else line}"],
                   tmp_path / "never")


def test_register_conditions_checks_the_setting_reader():
    def evaluate(path):  # pragma: no cover - never called
        raise AssertionError

    with forgetting(PAPER):
        with pytest.raises(ValueError, match="from_setting must be a callable"):
            register_conditions(PAPER, "record", "x", evaluate, from_setting="not callable")
        with pytest.raises(ValueError, match="reads must be 'record'"):
            api_register_conditions(PAPER, "setting", "x", evaluate, from_setting=evaluate)
        # the positional form of before still registers a record-only provider
        prov = api_register_conditions(PAPER, "record", "x", evaluate)
        assert prov.from_setting is None and CONDITIONS[PAPER] is prov
        prov = api_register_conditions(PAPER, "record", "x", evaluate, from_setting=evaluate)
        assert prov.from_setting is evaluate


def test_help_offers_the_training_flags_once_a_setting_reader_is_loaded(barak, capsys):
    code, out, _ = run(BASE + ["--help"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "--paper barak2022 reads them all" in flat
    for flag in ("--batch-size", "--objective", "--k K", "--steps", "--seeds"):
        assert flag in flat
    assert "no --record: the same premises before training" in flat


@pytest.mark.parametrize("argv, words", [
    ([], ["--data is not given", "--data parity"]),
    (["--batch-size", "32"], ["--data is not given", "--data parity"]),
    (["--data", "xor"], ["--data 'xor' is invalid", "--data parity"]),
    (["--preset", "frei-fig1"], ["--data 'xor' is invalid", "--data parity"]),
])
def test_no_data_kind_given_reads_as_not_given(argv, words, barak, tmp_path, capsys):
    """`conditions --plugin examples/barak2022 --paper barak2022` with no --data said
    "--data 'xor' is invalid", as if xor (simulate's default) had been typed."""
    code, out, err = run(BASE + argv, capsys)
    assert_refused(code, out, err, words, tmp_path / "never")
    if not argv or argv[0] == "--batch-size":
        assert "'xor'" not in err
