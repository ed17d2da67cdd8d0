"""``twolayer check [PAPER ...] --record DIR``: a paper's claims judged on a user's own simulate
record (twolayer/commands/check_record.py, twolayer/claims/on_record.py). The verdicts against
the claims' own checks called here through a stand-in written here (not the package's
``_OneRecord``), the regimes against ``conditions --record``'s, doctored records (a changed
array, removed arrays), a tampered one, every refused flag, and the exit-status rule on a
plugin paper registered through the public API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run
from record_check_helpers import check_json, doctored, finite, judge_quietly, simulated

from twolayer.claims.base import CLAIMS, ERROR, HOLDS, Claim, outcome
from twolayer.claims.on_record import READERS
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
PROBES = "errors,segments,liu,liu_angles"
TINY = ["--d", "10", "--n", "200", "--m", "16", "--num-times", "8", "--noise", "0.3",
        "--quiet", "--seeds", "4"]
SETTING = [k for k in CLAIMS if k.startswith("liu2023.") and k.endswith(".regime")]


def _simulate(tmp: Path, *extra: str) -> Path:
    return simulated(tmp, [*TINY, *extra])


@pytest.fixture(scope="module")
def mixture(tmp_path_factory) -> Path:
    """A two-class Gaussian mixture record, 4 seeds, with every probe the liu2023 claims read."""
    return _simulate(tmp_path_factory.mktemp("mix"), "--data", "clusters", "--steps", "40",
                     "--lr", "0.5", "--sigma2", "0.1", "--probes", PROBES)



def _oracle(rec: Record) -> dict:
    """Each claim of the 'regime' setting judged by its own check on ``rec``, through a stand-in
    for the experiments' Runs written here."""

    class OneRecord:
        quick = False

        def get(self, name):
            assert name == "liu2023.regime", name
            return rec

    out = {}
    for cid in SETTING:
        out[cid] = judge_quietly(cid, OneRecord())
    return out



def _status(rows: list[dict]) -> int:
    """The exit-status rule as docs/robustness.md states it for check --record."""
    judged = [r for r in rows if r["verdict"] != "not served"]
    if any(r["verdict"] == ERROR for r in judged):
        return 1
    return 0 if all(r["verdict"] == HOLDS for r in judged
                    if r["in_regime"] and r["decides"]) else 1


def test_verdicts_are_the_claims_own_checks_on_the_record(mixture, capsys):
    rec = Record.load(mixture)
    code, rows = check_json(capsys, mixture, "liu2023")
    assert [r["id"] for r in rows] == SETTING  # a two-class mixture: the 'regime' claims
    oracle = _oracle(rec)
    for r in rows:
        v = oracle[r["id"]]
        assert v.verdict != ERROR, (r["id"], v.detail)  # every probe is recorded
        assert r["verdict"] == v.verdict, r["id"]
        assert r["measured"] == finite(v.measured), r["id"]
        assert r["ci"] == (None if v.ci is None else [finite(x) for x in v.ci]), r["id"]
        assert (r["seeds"], r["in_regime"], r["regime"]) == (v.seeds, v.in_regime, v.regime)
        assert r["judged_on"] == {"record": str(mixture), "seeds": 4,
                                  "setting": r["judged_on"]["setting"]}
        assert "--data clusters" in r["judged_on"]["setting"]
    assert code == _status(rows)
    # with no selection: every paper whose reader reads the record (liu2023 only here)
    assert check_json(capsys, mixture) == (code, rows)
    # a claim id selects that claim only
    code1, one = check_json(capsys, mixture, SETTING[1])
    assert one == [rows[1]] and code1 == _status(one)


def test_table_says_it_was_judged_on_the_record(mixture, capsys):
    code, out, err = run(["check", "liu2023", "--record", str(mixture.parent), "--details"],
                         capsys)
    lines = out.splitlines()
    assert lines[0].startswith(f"judged on the record {mixture} (--data clusters")
    assert "4 seeds), not on the papers' experiments" in lines[0]
    assert lines[1].split()[:2] == ["id", "verdict"]
    for cid in SETTING:
        assert any(ln.startswith(cid + " ") for ln in lines[2:2 + len(SETTING)]), cid
    assert f"(exit status {code})" in out
    assert "regime (inside)" in out or "regime (outside)" in out  # --details


def test_regimes_agree_with_conditions(mixture, capsys):
    code, out, err = run(["conditions", "--paper", "liu2023", "--record", str(mixture),
                          "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    _, rows = check_json(capsys, mixture, "liu2023")
    assert [(c["claim"], c["inside"], c["regime"]) for c in doc["claims"]] == [
        (r["id"], r["in_regime"], r["regime"]) for r in rows]


def test_a_doctored_array_changes_the_verdict(mixture, capsys, tmp_path):
    rec = Record.load(mixture)
    cid = "liu2023.eq5.init_ratio.regime"
    a = rec.arrays
    predicted = (a["liu/class_count_clean"][:, 0] / a["liu/class_count_noisy"][:, 0])
    ratio = a["segments/class_ratio"].astype(np.float64).copy()
    jitter = 1.0 + 1e-3 * np.arange(1, rec.seeds + 1)[:, None]
    verdicts = {}
    for name, factor in (("off", 3.0), ("on", 1.0)):  # 3x Eq. (5)'s ratio; exactly it
        ratio[:, 0] = predicted * factor * jitter
        path = doctored(rec, tmp_path / name, **{"segments/class_ratio": ratio.copy()})
        code, rows = check_json(capsys, path, cid)
        (row,) = rows
        assert row["verdict"] == _oracle(Record.load(path))[cid].verdict
        expected = np.mean(np.abs(factor * jitter[:, 0] - 1.0))  # worst class: both equal
        assert row["measured"] == pytest.approx(expected, rel=1e-5)
        assert code == _status(rows)
        verdicts[name] = row["verdict"]
    assert verdicts == {"off": "fails", "on": "holds"}


def test_a_record_without_a_probe_reports_the_claims_it_cannot_serve(mixture, capsys,
                                                                     tmp_path):
    rec = Record.load(mixture)
    drop = {k: None for k in rec.arrays if k.startswith("liu/")}
    path = doctored(rec, tmp_path, **drop)
    code, rows = check_json(capsys, path, "liu2023")
    served = [r for r in rows if r["verdict"] != "not served"]
    unserved = [r for r in rows if r["verdict"] == "not served"]
    assert unserved and served  # judged are reported beside, not hidden by, the unserved
    oracle = _oracle(Record.load(path))
    for r in unserved:  # exactly those whose own check raised KeyError for a liu/ array
        assert "add --probes liu" in r["why"] and r["why"].startswith("its check reads liu/")
        assert oracle[r["id"]].verdict == ERROR and "KeyError: 'liu/" in oracle[r["id"]].detail
    for r in served:
        assert r["verdict"] == oracle[r["id"]].verdict != ERROR
    assert code == _status(rows)  # the unserved do not set it
    code, out, err = run(["check", "liu2023", "--record", str(path)], capsys)
    for r in unserved:
        assert f"not served by this record: {r['id']}: its check reads liu/" in out
    assert f"; {len(unserved)} not served by the record" in out
    # conditions --record says the same of them
    code, out, err = run(["conditions", "--paper", "liu2023", "--record", str(path), "--json"],
                         capsys)
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    unknown = {c["claim"]: c["regime"] for c in doc["claims"] if c["inside"] is None}
    assert unknown == {r["id"]: r["why"] for r in unserved}


def test_a_record_that_serves_nothing_is_refused(mixture, capsys, tmp_path):
    rec = Record.load(mixture)
    drop = {k: None for k in rec.arrays if k.split("/")[0] in ("liu", "segments", "errors")}
    path = doctored(rec, tmp_path, **drop)
    code, out, err = run(["check", "liu2023", "--record", str(path)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "--record" in err and "serves none of the" in err


def test_a_tampered_record_is_refused(mixture, capsys, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in mixture.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    data = bytearray((bad / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / "arrays.npz").write_bytes(bytes(data))
    code, out, err = run(["check", "liu2023", "--record", str(bad)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert f"record {bad}:" in err and "checksum" in err, err


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Path:
    return _simulate(tmp_path_factory.mktemp("lms"), "--data", "lms", "--steps", "5")


@pytest.mark.parametrize("extra, words", [
    (["--quick"], ["--quick", "--record"]),
    (["--seeds", "3"], ["--seeds", "3", "--record"]),
    (["--seeds", "auto", "--time-budget", "5"], ["--seeds", "--record"]),
    (["--time-budget", "5"], ["--time-budget", "5", "--record"]),
    (["--jobs", "2"], ["--jobs", "2", "--record"]),
    (["--jobs", "auto"], ["--jobs", "auto", "--record"]),
    (["--records", "/tmp/xa-nowhere-store"], ["--records", "xa-nowhere-store", "--record"]),
    (["--no-store"], ["--no-store", "--record"]),
    (["--report", "REPORT", "--list"], ["--report", "--list"]),
    (["--tf32"], ["--tf32", "--record", "nothing is trained"]),
    (["--budget", "1000"], ["--budget", "1000", "--record"]),
    (["--device", "cpu"], ["--device", "'cpu'", "--record"]),
    (["--threads", "2"], ["--threads", "2", "--record"]),
    (["liu2023.eq5.init_ratio.xor"], ["liu2023.eq5.init_ratio.xor", "does not serve"]),
    (["nosuchpaper"], ["nosuchpaper", "known papers"]),
])
def test_refused_combinations(mixture, capsys, tmp_path, extra, words):
    extra = [str(tmp_path / "r.md") if x == "REPORT" else x for x in extra]
    code, out, err = run(["check", *extra, "--record", str(mixture)], capsys)
    assert code == 2 and out == "", err
    (line,) = err.strip().splitlines()
    for w in words:
        assert w in line, (w, line)
    assert not (tmp_path / "r.md").exists() and not Path("/tmp/xa-nowhere-store").exists()


def test_a_paper_without_a_record_reader_is_refused(mixture, capsys, monkeypatch):
    """A paper whose claims no reader serves (maennel2020's reader taken out for the test:
    every shipped paper may have one)."""
    from twolayer.claims.on_record import READERS

    monkeypatch.delitem(READERS, "maennel2020")
    code, out, err = run(["check", "maennel2020", "--record", str(mixture)], capsys)
    assert code == 2 and out == "", err
    (line,) = err.strip().splitlines()
    for w in ("maennel2020", "no record reader", "papers that can:", "liu2023"):
        assert w in line, (w, line)
    assert "maennel2020" not in line.partition("papers that can:")[2], line


def test_refused_records(mixture, lms, capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    for path, words in ((tmp_path / "nope", ["--record", "no such directory"]),
                        (tmp_path / "empty", ["--record", "not a record directory"]),
                        (lms, ["--record", "--data lms", "liu2023"])):
        for sel in ([], ["liu2023"]):
            code, out, err = run(["check", *sel, "--record", str(path)], capsys)
            assert code == 2 and out == "", err
            (line,) = err.strip().splitlines()
            for w in words:
                assert w in line, (w, line)


def test_list_with_record_lists_the_claims_it_serves(mixture, capsys):
    code, out, err = run(["check", "liu2023", "--record", str(mixture), "--list", "--json"],
                         capsys)
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)] == SETTING


def test_exit_status_rule_on_a_plugin_paper(mixture, capsys, monkeypatch, request):
    """A paper registered through the public API: in-regime verdicts decide, outside and
    proposals do not, a check that raised sets 1, an array the record lacks is not served."""
    from twolayer.api import register_record_reader

    rec = Record.load(mixture)
    request.addfinalizer(lambda: READERS.pop("fakerec", None))

    def make(cid, result, inside, decides=True):
        def check(runs):
            r = runs.get("fakerec.exp")
            if result == "missing":
                r["nosuch/array"]
            if result == "raise":
                raise ValueError("broken")
            return outcome(result, 0.5, "<= 1", (0.25, 0.75), r.seeds, "s", in_regime=inside,
                           regime="computed here")
        monkeypatch.setitem(CLAIMS, cid, Claim(cid, "fakerec", "st", "Lemma 1", check,
                                               decides=decides))

    class Runs:
        quick = False

        def get(self, name):
            return rec

    def reader(r, path):
        return tuple(k for k in CLAIMS if k.startswith("fakerec.") and "excluded" not in k), \
            Runs()

    register_record_reader("fakerec", reader)
    cases = [
        ({"a": ("holds", True), "b": ("fails", False), "c": ("missing", True),
          "d": ("inconclusive", True, False)}, 0),
        ({"a": ("holds", True), "b": ("fails", True)}, 1),
        ({"a": ("holds", True), "b": ("inconclusive", True)}, 1),
        ({"a": ("holds", True), "b": ("raise", False)}, 1),
        ({"a": ("missing", True), "b": ("fails", False)}, 0),
    ]
    for outcomes, status in cases:
        for k in [k for k in CLAIMS if k.startswith("fakerec.")]:
            monkeypatch.delitem(CLAIMS, k)
        for suffix, spec in outcomes.items():
            make(f"fakerec.{suffix}", *spec)
        code, rows = check_json(capsys, mixture, "fakerec")
        assert code == status == _status(rows), (outcomes, rows)
        assert {r["id"]: r["verdict"] for r in rows} == {
            f"fakerec.{s}": {"missing": "not served", "raise": ERROR}.get(v[0], v[0])
            for s, v in outcomes.items()}
    make("fakerec.excluded", "holds", True)  # the reader does not serve it
    code, out, err = run(["check", "fakerec.excluded", "--record", str(mixture)], capsys)
    assert code == 2 and "fakerec.excluded" in err and "does not serve" in err
    for k in [k for k in CLAIMS if k.startswith("fakerec.")]:
        monkeypatch.delitem(CLAIMS, k)
    make("fakerec.x", "missing", True)
    code, out, err = run(["check", "fakerec", "--record", str(mixture)], capsys)
    assert code == 2 and out == "" and "serves none of the 1 selected claims" in err, err
    assert "nosuch/array" in err


def test_the_public_registration_takes_the_excluded_claims_and_their_reasons(
        mixture, capsys, monkeypatch, request):
    """twolayer.api.register_record_reader(..., excluded=) reaches --list and the refusal of a
    selected excluded claim (docs/extending.md Recipe 6 shows it)."""
    from twolayer.api import register_record_reader
    from twolayer.claims.base import CLAIMS, Claim, outcome
    from twolayer.claims.on_record import READERS

    def check(runs):
        return outcome("holds", 0.5, "<= 1", (0.25, 0.75), 4, "s", in_regime=True, regime="r")

    for cid in ("fakex.served", "fakex.slope"):
        monkeypatch.setitem(CLAIMS, cid, Claim(cid, "fakex", "st", "Lemma 1", check))

    class Runs:
        quick = False

        def get(self, name):
            return None

    request.addfinalizer(lambda: READERS.pop("fakex", None))
    register_record_reader("fakex", lambda rec, path: (("fakex.served",), Runs()),
                           excluded={"fakex.slope": "a slope across d: several settings"})
    code, out, err = run(["check", "fakex.slope", "--record", str(mixture)], capsys)
    assert code == 2 and out == "" and "a slope across d: several settings" in err, err
    code, out, err = run(["check", "fakex", "--record", str(mixture), "--list"], capsys)
    assert code == 0 and "fakex.slope" in out and "a slope across d" in out, out


def test_report_on_a_record_holds_the_verdicts_and_the_claims_not_served(mixture, capsys,
                                                                          tmp_path):
    """--report was refused with --record; it now writes the verdicts judged on the record (the
    same as --json's), what they were judged on, and the claims the record did not serve."""
    import re

    from twolayer.commands.check import REPORT_HEAD

    rec = Record.load(mixture)
    mixture = doctored(rec, tmp_path, **{k: None for k in rec.arrays if k.startswith("liu/")})
    status, rows = check_json(capsys, mixture)
    judged = {r["id"]: r["verdict"] for r in rows if r["verdict"] != "not served"}
    unserved = {r["id"] for r in rows if r["verdict"] == "not served"}
    assert judged and unserved  # the record serves some claims and not others
    report = tmp_path / "out" / "r.md"
    code, out, err = run(["check", "--record", str(mixture), "--report", str(report)], capsys)
    assert code == status, err
    assert f"report written to {report}" in out
    md = report.read_text()
    assert md.startswith(REPORT_HEAD + "\n")
    assert f"run {rec.run_id}" in md and "not on the papers' experiments" in md
    assert "full plan: evidence" not in md and "smoke run" not in md
    rows_md = dict(re.findall(r"^\| `([^`]+)` \| [^|]* \| \*\*([a-z ]+)\*\*", md, re.M))
    assert rows_md == judged
    section = md.split("## Not served by this record", 1)[1]
    assert set(re.findall(r"^- `([^`]+)`", section, re.M)) == unserved
    # with --json too (the report after the JSON), and the foreign-file guard before judging
    report.write_text("# my notes\n")
    code, out, err = run(["check", "--record", str(mixture), "--report", str(report), "--json"],
                         capsys)
    assert code == 2 and out == "" and "did not write" in err
    assert report.read_text() == "# my notes\n"
    report.unlink()
    code, out, err = run(["check", "--record", str(mixture), "--report", str(report), "--json"],
                         capsys)
    assert code == status and json.loads(out) and report.read_text().startswith(REPORT_HEAD)


def test_check_without_record_points_a_record_only_plugin_at_record(capsys, monkeypatch,
                                                                   request):
    """A paper with a record reader and no experiment of its own (a plugin written for
    check --record): `check PAPER` without --record gave an error row "no experiment named
    'rconly.exp'" and no word of --record."""
    from twolayer.api import register_record_reader

    request.addfinalizer(lambda: READERS.pop("rconly", None))

    def check(runs):
        runs.get("rconly.exp")
        return outcome("holds", 0.5, "<= 1", (0.25, 0.75), 3, "s")

    monkeypatch.setitem(CLAIMS, "rconly.a", Claim("rconly.a", "rconly", "st", "Lemma 1", check))
    code, out, err = run(["check", "rconly", "--no-store"], capsys)
    assert code == 1  # an error row, as before
    assert "--record" not in out  # no reader yet: nothing to point at
    register_record_reader("rconly", lambda rec, path: (("rconly.a",), None))
    code, out, err = run(["check", "rconly", "--no-store"], capsys)
    assert code == 1
    assert ("note: rconly registered a record reader but not the experiments these checks "
            "read: judge its claims on a record of twolayer simulate --out DIR with twolayer "
            "check rconly --record DIR") in out, out


def test_a_typo_in_an_experiment_name_is_not_called_a_record_only_plugin(capsys, monkeypatch,
                                                                        request):
    """A paper with a record reader *and* experiments whose check misspells one
    (`runs.get("rcboth.expp")`) got the note "rcboth registered a record reader but not the
    experiments these checks read", which sent the user to --record instead of to the typo
    that the error row names."""
    from twolayer.api import register_record_reader
    from twolayer.experiments import EXPERIMENTS, Experiment

    request.addfinalizer(lambda: READERS.pop("rcboth", None))

    def check(runs):
        runs.get("rcboth.expp")
        return outcome("holds", 0.5, "<= 1", (0.25, 0.75), 3, "s")

    monkeypatch.setitem(CLAIMS, "rcboth.a", Claim("rcboth.a", "rcboth", "st", "Lemma 1", check))
    monkeypatch.setitem(EXPERIMENTS, "rcboth.exp",
                        Experiment("rcboth.exp", "rcboth", lambda quick, seeds, runtime: None))
    register_record_reader("rcboth", lambda rec, path: (("rcboth.a",), None))
    code, out, err = run(["check", "rcboth", "--no-store"], capsys)
    assert code == 1 and "no experiment named 'rcboth.expp'" in out, out
    assert "registered a record reader but not" not in out, out


RECORD_ONLY_PLUGIN = '''
from twolayer.api import claim, outcome, register_record_reader


@claim("rcfile.a", "st", "Lemma 1", "[PROPOSAL]")
def a(runs):
    runs.get("rcfile.exp")
    return outcome("holds", 0.5, "<= 1", (0.25, 0.75), 3, "s")


class OnRecord:
    def __init__(self, rec):
        self.rec = rec

    def get(self, name):
        return self.rec


register_record_reader("rcfile", lambda rec, path: (("rcfile.a",), OnRecord(rec)))
'''


def test_the_record_only_note_of_a_plugin_names_a_command_that_runs(tmp_path) -> None:
    """A record-only plugin checked without --record gets a note pointing at `twolayer check
    PAPER --record DIR`; for a plugin loaded by path that command named the paper, which a new
    process does not know ("no such claim or paper", exit 2). The oracle is the suggested
    command itself, run in a new process on a record."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}

    def cli(*words):
        return subprocess.run([sys.executable, "-m", "twolayer", *words], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    (tmp_path / "rconly_plugin.py").write_text(RECORD_ONLY_PLUGIN)
    done = cli("check", "./rconly_plugin.py", "--no-store")
    assert done.returncode == 1, done.stderr
    note = [line for line in done.stdout.splitlines() if "registered a record reader" in line]
    assert len(note) == 1, done.stdout
    hint = note[0].split(" with ")[-1].split()
    assert hint[:2] == ["twolayer", "check"] and hint[-2:] == ["--record", "DIR"], note
    sim = cli("simulate", "--d", "5", "--n", "40", "--m", "8", "--steps", "10", "--seeds", "2",
              "--noise", "0", "--out", "rec")
    assert sim.returncode == 0, sim.stderr
    judged = cli(*hint[1:-1], "rec")
    assert judged.returncode != 2 and "no such claim or paper" not in judged.stderr, judged.stderr
    assert "rcfile.a" in judged.stdout, judged.stdout
