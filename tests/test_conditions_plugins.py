"""A plugin's premises in ``twolayer conditions`` (``twolayer.api.register_conditions``): named
with ``--plugin PATH`` (or installed: an entry point), the plugin's paper is listed in
``--help`` and reachable with ``--paper NAME``, its premises printed (text and ``--json``); a
plugin that does not load, an unknown paper, a provider that raises or returns something else,
a ``reads="setting"`` provider and a paper registered twice are one line with exit status 2.
The Barak et al. example's Theorem 4 premises are compared with the card's inequalities
computed here (paper card barak2022, Sec. 3)."""

from __future__ import annotations

import importlib.metadata
import json
import math
from pathlib import Path

import pytest
from cli_helpers import assert_refused, run
from plugin_helpers import barak_example, forgetting

from twolayer import plugins
from twolayer.claims.base import TAGS
from twolayer.cli import main
from twolayer.conditions import CONDITIONS

pytestmark = pytest.mark.usefixtures("single_thread")
ROOT = Path(__file__).resolve().parents[1]
BARAK = ROOT / "examples" / "barak2022"
PAPER = "cpluginpaper"

# one premise decided from the record's config: n >= 10 d
TOY = '''
from twolayer.api import (HOLDS, NOT_ESTABLISHED, Premise, Record, RecordConditions,
                          find_record, register_conditions)


def evaluate(path):
    where = find_record(path)
    rec = Record.load(where)
    d, n = rec.config["data"]["d"], rec.config["data"]["n"]
    ok = n >= 10 * d
    p = Premise("samples", "[PAPER]", "Lemma 0: n >= 10 d samples", "n >= 10 d",
                HOLDS if ok else NOT_ESTABLISHED, "n = %d, d = %d" % (n, d),
                "" if ok else "too few samples", value=n / d)
    return RecordConditions("{paper}", "{paper}: Lemma 0 on a record", str(where),
                            "d=%d n=%d" % (d, n), (p,), ())


register_conditions("{paper}", "record", "{paper}: Lemma 0 measured on a record", evaluate)
'''


def _plugin(tmp: Path, text: str, name: str = "toy.py") -> Path:
    f = tmp / name
    f.write_text(text.replace("{paper}", PAPER))
    return f


@pytest.fixture
def toy(tmp_path):
    with forgetting(PAPER, modules=True):
        yield _plugin(tmp_path, TOY)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, Path]:
    """Two tiny xor records: n = 60 >= 10 d at d = 5, not at d = 10."""
    base = tmp_path_factory.mktemp("recs")
    out = {}
    for d in (5, 10):
        argv = ["simulate", "--d", str(d), "--n", "60", "--n-test", "20", "--m", "4",
                "--steps", "1", "--seeds", "2", "--quiet", "--out", str(base / f"d{d}")]
        assert main(argv) == 0
        out[f"d{d}"] = base / f"d{d}"  # the --out DIR (one record below it)
    return out


def test_the_plugins_paper_is_in_help_only_once_its_plugin_is_named(toy, capsys):
    code, out, _ = run(["conditions", "--help"], capsys)
    assert code == 0 and PAPER not in out
    code, out, _ = run(["conditions", "--plugin", str(toy), "--help"], capsys)
    assert code == 0
    assert f"{PAPER}: {PAPER}: Lemma 0 measured on a record" in " ".join(out.split())


@pytest.mark.parametrize("d, n, ok", [(5, 60, True), (10, 60, False)])
def test_the_plugins_premises_are_printed(toy, records, capsys, d, n, ok):
    rec = records[f"d{d}"]
    code, out, err = run(["conditions", "--plugin", str(toy), "--paper", PAPER,
                          "--record", str(rec)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{PAPER}: Lemma 0 on a record"
    (sub,) = [p for p in rec.iterdir() if p.is_dir()]
    assert lines[1] == f"record: {sub}"
    assert "[PAPER] samples: Lemma 0: n >= 10 d samples" in lines
    assert f"    measured:  n = {n}, d = {d}" in lines
    assert ("    HOLDS" if ok else "    NOT ESTABLISHED: too few samples") in lines
    assert lines[-1] == ("1 premise: " + ("1 holds" if ok else "1 not established")
                         + " (no claim's regime is computed on this record)")
    # --json: the same premise, its value n / d
    code, out, err = run(["conditions", "--plugin", str(toy), "--paper", PAPER,
                          "--record", str(rec), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    (p,) = doc["premises"]
    assert doc["paper"] == PAPER and doc["claims"] == [] and doc["record"] == str(sub)
    assert (p["id"], p["tag"], p["status"]) == ("samples", "[PAPER]",
                                                "holds" if ok else "not established")
    assert p["value"] == pytest.approx(n / d)


def test_an_installed_plugins_paper_is_reachable_without_a_path(tmp_path, records, capsys,
                                                                 monkeypatch):
    monkeypatch.setattr(plugins, "_LOADED", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    _plugin(tmp_path, TOY, "cplugin_installed.py")
    ep = importlib.metadata.EntryPoint(name="cplugin_installed", value="cplugin_installed",
                                       group="twolayer.plugins")
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: [ep] if group == "twolayer.plugins" else [])
    with forgetting(PAPER):
        try:
            code, out, err = run(["conditions", "--paper", PAPER, "--record",
                                  str(records["d5"]), "--json"], capsys)
        finally:
            import sys

            sys.modules.pop("cplugin_installed", None)
    assert code == 0, err
    assert json.loads(out)["premises"][0]["status"] == "holds"


BROKEN = {
    "syntax": ("def f(:\n", ["toy.py:1", "SyntaxError"]),
    "raises": ("import math\nraise RuntimeError('boom')\n", ["toy.py:2", "RuntimeError: boom"]),
    "setting": (TOY.replace('"record", "{paper}: Lemma', '"setting", "{paper}: Lemma'),
                ["toy.py", "reads must be 'record'"]),
    "builtin": (TOY.replace('register_conditions("{paper}"', 'register_conditions("liu2023"'),
                ["toy.py", "liu2023", "registered twice", "liu2023_conditions.py"]),
    "status": (TOY.replace("HOLDS if ok else NOT_ESTABLISHED", '"ok"'), None),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_plugin_that_fails_is_one_line_exit_2(case, tmp_path, records, capsys):
    text, words = BROKEN[case]
    with forgetting(PAPER, modules=True):
        f = _plugin(tmp_path, text)
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER,
                              "--record", str(records["d5"])], capsys)
    if words is None:  # the provider's own bug, at evaluate time: its file and line
        line = 1 + TOY.splitlines().index(
            '                HOLDS if ok else NOT_ESTABLISHED, "n = %d, d = %d" % (n, d),')
        words = [f"toy.py:{line - 1}", "ValueError", "'ok'", PAPER]
    assert_refused(code, out, err, words, tmp_path / "never")
    assert CONDITIONS.get("liu2023") is not None and CONDITIONS["liu2023"].paper == "liu2023"
    assert "liu2023_conditions.py" in CONDITIONS["liu2023"].origin


def test_a_paper_registered_by_two_plugins_names_both(tmp_path, records, capsys):
    with forgetting(PAPER, modules=True):
        a, b = _plugin(tmp_path, TOY, "one.py"), _plugin(tmp_path, TOY, "two.py")
        code, out, err = run(["conditions", "--plugin", str(a), "--plugin", str(b),
                              "--paper", PAPER, "--record", str(records["d5"])], capsys)
    assert_refused(code, out, err, ["registered twice", "one.py", "two.py"], tmp_path / "x")


@pytest.mark.parametrize("body, words", [
    ("    raise KeyError('data')\n", ["KeyError", "toy.py:", PAPER]),
    ("    return {'premises': []}\n", ["returned a dict", "not a RecordConditions", PAPER]),
])
def test_a_provider_that_raises_or_returns_another_thing_is_one_line(body, words, tmp_path,
                                                                     records, capsys):
    text = TOY.replace("    where = find_record(path)\n", body + "    where = find_record(path)\n")
    with forgetting(PAPER, modules=True):
        f = _plugin(tmp_path, text)
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER,
                              "--record", str(records["d5"])], capsys)
    assert_refused(code, out, err, words, tmp_path / "never")


@pytest.mark.parametrize("argv, words", [
    (["--plugin", "{toy}", "--paper", "nope"],
     ["--paper", "'nope'", "valid papers are", "frei2023", "liu2023", PAPER]),
    (["--paper", PAPER, "--record", "{d5}"], ["--paper", PAPER, "--plugin PATH"]),
    (["--plugin", "{nowhere}", "--paper", PAPER], ["plugin", "nowhere.py", "no such file"]),
    (["--plugin", "", "--paper", PAPER], ["plugin", "empty"]),
    (["--plugin", "{toy}", "--paper", PAPER, "--record", "{nowhere}"],
     ["--record", "no such directory"]),
    (["--plugin", "{toy}", "--paper", PAPER], ["--paper " + PAPER, "needs --record DIR"]),
    (["--plugin", "{toy}", "--paper", PAPER, "--record", "{d5}", "--d", "7"],
     ["--d 7", "frei2023"]),
])
def test_bad_input_is_one_line_exit_2(argv, words, toy, records, tmp_path, capsys):
    paths = {"toy": str(toy), "d5": str(records["d5"]), "nowhere": str(tmp_path / "nowhere.py")}
    argv = [a.format(**paths) for a in argv]
    code, out, err = run(["conditions", *argv], capsys)
    assert_refused(code, out, err, words, tmp_path / "never")


# -- the Barak et al. example (examples/barak2022/conditions.py) -----------------------------------
EPS = 0.1  # the example's epsilon [PROPOSAL]


def _theorem4(n: int, k: int, r: int, B: int, objective: str, noise: float) -> dict[str, bool]:
    """Theorem 4's premises as the card states them (Sec. 3), each Omega's constant 1, on a
    twolayer simulate record (Gaussian init, no weight decay)."""
    return {
        "k_even": k >= 2 and k % 2 == 0, "n_odd": n % 2 == 1,
        "n_large": n >= k**4 * math.log(n * k / EPS),
        "width": r >= 2**k * k * math.log(k / EPS),
        "batch": B >= n**k * math.log(n / EPS), "online": True,
        "hinge": objective == "hinge", "clean": noise == 0,
        "sign_init": False, "schedule": False,
    }


@pytest.fixture(scope="module")
def barak():
    """The example loaded, with its loss, data kind and premises registered while these tests
    run and removed afterwards (as tests/test_barak2022.py's fixture does). An earlier module may
    have removed them from a plugin that stays loaded, and ``--plugin`` then imports nothing
    again. A later module must not see them: tests/test_docs_cli.py renders the CLI reference
    from the registered data kinds (found by the whole suite, not by this file alone)."""
    with barak_example(setting_reader=False) as mod:
        yield mod


@pytest.mark.parametrize("n, k, r, B, objective, noise", [
    (15, 4, 512, 8, "hinge", 0.0),       # k even, n odd, r = Omega(2^k k log(k/eps))
    (6, 2, 16, 32, "logistic", 0.1),     # n even; B = 32 > n^k log(n/eps) = 147 is false
    (3, 2, 8, 80, "hinge", 0.0),         # B = 80 >= 3^2 log 30 = 30.6: the batch premise holds
])
def test_the_barak_example_registers_theorem_4s_premises(n, k, r, B, objective, noise,
                                                          barak, tmp_path, capsys):
    # the example stays loaded during this module (fixture barak): --plugin names it again at
    # no cost
    argv = ["simulate", "--plugin", str(BARAK), "--data", "parity", "--d", str(n), "--k",
            str(k), "--m", str(r), "--n", "100", "--n-test", "16", "--batch-size", str(B),
            "--objective", objective, "--noise", str(noise), "--steps", "1", "--seeds", "2",
            "--quiet", "--out", str(tmp_path / "rec")]
    assert main(argv) == 0
    capsys.readouterr()
    base = ["conditions", "--plugin", str(BARAK), "--paper", "barak2022",
            "--record", str(tmp_path / "rec")]
    code, out, err = run(base + ["--json"], capsys)
    assert code == 0, err
    code2, text, err2 = run(base, capsys)
    assert code2 == 0, err2
    doc = json.loads(out)
    want = _theorem4(n, k, r, B, objective, noise)
    got = {p["id"]: p["status"] == "holds" for p in doc["premises"]}
    assert got == want
    for p in doc["premises"]:
        assert p["tag"] in TAGS and p["statement"]
        assert (p["status"] == "holds") == want[p["id"]]
        assert f"{p['tag']} {p['id']}: {p['statement']}" in text.splitlines()
    sizes = {p["id"]: p["value"] for p in doc["premises"]}
    assert sizes["n_large"] == pytest.approx(n / (k**4 * math.log(n * k / EPS)))
    assert sizes["width"] == pytest.approx(r / (2**k * k * math.log(k / EPS)))
    assert sizes["batch"] == pytest.approx(B / (n**k * math.log(n / EPS)))
    held = sum(want.values())
    assert doc["summary"].startswith(f"{len(want)} premises: {held} hold")
    assert doc["claims"] == [] and doc["paper"] == "barak2022"
    # the card (Sec. 3) tags Theorem 4's sign-vector init [PAPER]; b = 0 is only its claim
    # 12's [PROPOSAL]: a [PAPER] statement holding "b = 0" said more than the paper's words
    sign = next(p for p in doc["premises"] if p["id"] == "sign_init")
    assert sign["tag"] == "[PAPER]" and "b = 0" not in sign["statement"], sign
    assert "[PROPOSAL] b = 0" in sign["threshold"], sign


@pytest.mark.parametrize("probes, says", [("errors", "(add --probes barak_parity)"),
                                          ("errors,barak_parity", "(it has barak_parity's")])
def test_the_barak_example_asks_for_the_probe_only_where_the_record_lacks_it(
        probes, says, barak, tmp_path, capsys):
    """The remark pointing at check --record told a record with barak_parity's arrays to add
    --probes barak_parity."""
    assert main(["simulate", "--plugin", str(BARAK), "--data", "parity", "--d", "5", "--k", "2",
                 "--m", "8", "--n", "32", "--n-test", "16", "--batch-size", "8", "--objective",
                 "hinge", "--steps", "1", "--seeds", "1", "--probes", probes, "--quiet",
                 "--out", str(tmp_path / "rec")]) == 0
    capsys.readouterr()
    code, out, err = run(["conditions", "--plugin", str(BARAK), "--paper", "barak2022",
                          "--record", str(tmp_path / "rec"), "--json"], capsys)
    assert code == 0, err
    remark = json.loads(out)["remarks"][-1]
    assert "judges those of its four record claims that the record serves" in remark
    assert remark.count(says) == 1, remark


def test_the_barak_example_refuses_a_record_of_another_kind(barak, records, tmp_path, capsys):
    code, out, err = run(["conditions", "--plugin", str(BARAK), "--paper", "barak2022",
                          "--record", str(records["d5"])], capsys)
    assert_refused(code, out, err, ["--record", "--data xor", "--data parity"],
                   tmp_path / "never")


def test_a_premise_refused_in_its_constructor_names_the_plugins_line_from_its_folder(
        tmp_path, records, capsys, monkeypatch):
    """Run from the plugin's own folder (as a user does): the dataclass's generated __init__
    ("<string>", which resolves into the working directory) is not taken for the plugin's
    file."""
    monkeypatch.chdir(tmp_path)
    text, _ = BROKEN["status"]
    with forgetting(PAPER, modules=True):
        f = _plugin(tmp_path, text)
        code, out, err = run(["conditions", "--plugin", "toy.py", "--paper", PAPER,
                              "--record", str(records["d5"])], capsys)
    line = TOY.splitlines().index('    p = Premise("samples", "[PAPER]", "Lemma 0: n >= 10 d '
                                  'samples", "n >= 10 d",') + 1
    assert_refused(code, out, err, [f"{f}:{line}", "'ok'"], tmp_path / "never")
    assert "<string>" not in err


@pytest.mark.parametrize("old, new, words", [
    ("(p,), ())", "(p, 'samples'), ())", ["premises hold a str", "not a Premise"]),
    ('"[PAPER]", "Lemma 0', '"[GUESS]", "Lemma 0', ["'[GUESS]'", "[INFERRED]", "'samples'"]),
    ("(p,), ())", "(p,), ('x',))", ["claims hold a str", "not a ClaimRegime"]),
    ("(p,), ())", "(p,), (ClaimRegime('{paper}.typo', 'Lemma 0', True, 'n >= 10 d'),))",
     ["claim regime names '{paper}.typo'", "not a registered claim"]),
])
def test_a_provider_whose_result_holds_something_malformed_is_one_line(
        old, new, words, tmp_path, records, capsys):
    """A premise that is not a Premise (a traceback in render before), a tag outside the paper
    cards' (refused for a claim), a claim regime naming no registered claim (a typo printed as
    a claim inside its regime)."""
    text = TOY.replace(old, new).replace("from twolayer.api import (", "from twolayer.api import "
                                         "(ClaimRegime, ")
    assert text != TOY
    with forgetting(PAPER, modules=True):
        f = _plugin(tmp_path, text)
        code, out, err = run(["conditions", "--plugin", str(f), "--paper", PAPER,
                              "--record", str(records["d5"])], capsys)
    assert_refused(code, out, err, [PAPER, "toy.py:", "returned a RecordConditions whose",
                                    *(w.replace("{paper}", PAPER) for w in words)],
                   tmp_path / "never")
