"""`twolayer check`: JSON shape, exit status, report, bad input (fake claims keep it fast)."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
import torch
from plugin_helpers import NUMBERS_PLUGIN

from twolayer.claims import CLAIMS
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.cli import main
from twolayer.experiments import Experiment, Runs

KEYS = {"id", "paper", "statement", "source", "verdict", "measured", "bound", "ci", "seeds",
        "setting", "in_regime"}


def fake(monkeypatch, outcomes: dict[str, tuple[str, bool]],
         figure: str = "frei2023-fig1") -> None:
    """Register claims of a paper "fakepaper": id suffix → (outcome, in_regime)."""
    for suffix, (result, in_regime) in outcomes.items():
        cid = f"fakepaper.{suffix}"

        def check(runs, result=result):
            runs.get("fakepaper.exp")
            return outcome(result, 0.5, "<= 1", (0.25, 0.75), 3, "d=10", "detail", figure)

        monkeypatch.setitem(CLAIMS, cid, Claim(cid, "fakepaper", "a statement", "Lemma 1", check,
                                               "[PAPER]", in_regime))
    calls = []
    from twolayer.claims.base import EXPERIMENTS

    def exp(quick, seeds, runtime):
        calls.append((quick, seeds))
        return object()

    monkeypatch.setitem(EXPERIMENTS, "fakepaper.exp", Experiment("fakepaper.exp", "fakepaper",
                                                                  exp))
    return calls


@pytest.mark.parametrize(
    "outcomes, status",
    [
        ({"a": (HOLDS, True), "b": (HOLDS, True)}, 0),
        ({"a": (HOLDS, True), "b": (FAILS, False)}, 0),  # outside the regime: does not count
        ({"a": (HOLDS, True), "b": (INCONCLUSIVE, False)}, 0),
        ({"a": (HOLDS, True), "b": (FAILS, True)}, 1),
        ({"a": (INCONCLUSIVE, True), "b": (HOLDS, True)}, 1),
    ],
)
def test_exit_status(monkeypatch, capsys, outcomes, status):
    calls = fake(monkeypatch, outcomes)
    assert main(["check", "fakepaper", "--quick", "--seeds", "3", "--json"]) == status
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["fakepaper.a", "fakepaper.b"]
    for r in rows:
        assert KEYS <= set(r)
        assert r["verdict"] in (HOLDS, FAILS, INCONCLUSIVE)
        assert r["ci"] == [0.25, 0.75] and r["seeds"] == 3
    assert [r["verdict"] for r in rows] == [o for o, _ in outcomes.values()]
    assert [r["in_regime"] for r in rows] == [i for _, i in outcomes.values()]
    assert calls == [(True, 3)]  # the shared experiment ran once, with --quick and --seeds


def test_table_and_report(monkeypatch, capsys, tmp_path):
    fake(monkeypatch, {"a": (HOLDS, True), "b": (FAILS, False)})
    report = tmp_path / "docs" / "claims.md"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "frei2023-fig1.png").write_bytes(b"png")
    assert main(["check", "fakepaper", "--report", str(report), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "fakepaper.a" in out and "holds" in out and "fails (out)" in out
    assert "exit status 0" in out
    md = report.read_text()
    assert "| claim | source | verdict | measured | bound | CI | seeds | figure |" in md
    assert "`fakepaper.b`" in md and "(outside)" in md
    assert "[frei2023-fig1](../figures/frei2023-fig1.png)" in md
    # the header names the papers as papers: "(full plan: evidence, fakepaper; ..." read as
    # if "evidence" were one
    assert "(full plan: evidence, paper fakepaper; " in md


@pytest.mark.parametrize("drawn_here", [True, False])
def test_report_links_resolve_from_the_reports_folder(monkeypatch, capsys, tmp_path,
                                                      drawn_here):
    """Run from a folder with (or without) figures/, the report elsewhere: every link is
    relative to the report's folder and reaches an existing PNG (without figures/ here, the
    checkout's own; it used to link ../run/figures/..., which does not exist)."""
    fake(monkeypatch, {"a": (HOLDS, True)})
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    if drawn_here:
        (run_dir / "figures").mkdir()
        (run_dir / "figures" / "frei2023-fig1.png").write_bytes(b"png")
    monkeypatch.chdir(run_dir)
    report = tmp_path / "aud" / "rep.md"
    assert main(["check", "fakepaper", "--report", str(report), "--quiet"]) == 0
    md = report.read_text()
    links = re.findall(r"\[frei2023-fig1\]\(([^)]+)\)", md)
    for target in links:
        assert not target.startswith("/") and (report.parent / target).is_file(), target
    if drawn_here:
        assert links == ["../run/figures/frei2023-fig1.png"]


def test_report_names_a_figure_without_a_png_unlinked(monkeypatch, capsys, tmp_path):
    from twolayer.plots import FIGURES

    fake(monkeypatch, {"a": (HOLDS, True)}, figure="fakepaper-nowhere")
    monkeypatch.setitem(FIGURES, "fakepaper-nowhere", object())   # registered, never drawn
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "rep.md"
    assert main(["check", "fakepaper", "--report", str(report), "--quiet"]) == 0
    md = report.read_text()
    assert "`fakepaper-nowhere` (not in figures/)" in md and "](" not in md


def test_list_and_bad_input(monkeypatch, capsys, tmp_path):
    fake(monkeypatch, {"a": (HOLDS, True), "b": (HOLDS, False)})
    assert main(["check", "fakepaper", "--list"]) == 0
    out = capsys.readouterr().out
    assert "fakepaper.a  [" in out and "compute their regime" in out
    a, b = (line for line in out.splitlines() if line.startswith("fakepaper."))
    assert "outside" not in a and "(registered outside its regime)" in b
    assert a.startswith("fakepaper.a  [PAPER]  [Lemma 1]")  # the card's tag, as registered
    CLAIMS["fakepaper.b"] = dataclasses.replace(CLAIMS["fakepaper.b"], tag="[INFERRED]")
    assert main(["check", "fakepaper", "--list"]) == 0
    assert "fakepaper.b  [INFERRED]  [Lemma 1]" in capsys.readouterr().out
    assert main(["check", "nosuchpaper"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--paper" not in err
    assert "claim or paper 'nosuchpaper' is unknown" in err and "frei2023" in err
    assert "twolayer check --list" in err
    assert main(["check", "fakepaper", "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["check", "fakepaper", "--report", str(blocker / "claims.md")]) == 2
    assert "--report" in capsys.readouterr().err
    assert not (blocker.parent / "claims.md").exists()


def test_list_json_prints_the_claims_as_json_and_list_report_is_refused(monkeypatch, capsys,
                                                                         tmp_path):
    fake(monkeypatch, {"a": (HOLDS, True), "b": (HOLDS, False)})
    assert main(["check", "fakepaper", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["fakepaper.a", "fakepaper.b"]
    assert [r["in_regime"] for r in rows] == [True, False]
    assert all(r["paper"] == "fakepaper" and r["decides"] for r in rows)
    report = tmp_path / "new" / "claims.md"
    assert main(["check", "fakepaper", "--list", "--report", str(report)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "--report" in err and "--list" in err and str(report) in err
    assert captured.out == "" and not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", ["check", "figures"])
def test_list_refuses_the_flags_a_real_run_would_and_creates_nothing(command, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for flags, flag in ((["--records", str(blocker)], "--records"),
                        (["--records", str(tmp_path / "s"), "--no-store"], "--records"),
                        (["--records", " "], "--records"),
                        (["--device", "cuda:7"] if not torch.cuda.is_available()
                         else ["--device", "tpu"], "--device")):
        assert main([command, "--list", *flags]) == 2, flags
        err = capsys.readouterr().err
        assert f"{flag} " in err and "invalid" in err, (flags, err)
    new = tmp_path / "new" / "store"
    assert main([command, "--list", "--records", str(new)]) == 0
    assert capsys.readouterr().out and not (tmp_path / "new").exists()


@pytest.mark.parametrize("quick_default_out", [False, True])
def test_figures_with_a_bad_store_creates_no_out_folder(capsys, tmp_path, monkeypatch,
                                                        quick_default_out):
    """--records that cannot be a store is refused before --out (or --quick's temporary folder)
    is created: exit 2, one line, nothing written."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = tmp_path / "figs"
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    argv = ["figures", "--quick", "--only", "frei2023-fig1", "--records", str(blocker)]
    assert main(argv + ([] if quick_default_out else ["--out", str(out)])) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--records" in err and str(blocker) in err
    assert not out.exists() and list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("command", ["check", "figures"])
def test_a_bad_twolayer_store_is_named_as_such(command, capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("TWOLAYER_STORE", str(blocker))
    assert main([command, "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.count("TWOLAYER_STORE") == 1 and "--records" not in err
    assert str(blocker) in err


def test_frei2023_is_registered_on_import():
    ids = [c for c in CLAIMS if c.startswith("frei2023.")]
    assert len(ids) >= 20 and "frei2023.lemma12.one_step_amplification" in ids


def verdict(**kw):
    from twolayer.claims.base import Verdict

    base = dict(id="p.claim", paper="p", statement="s", source="Lemma 1", verdict=HOLDS,
                measured=0.5, bound="<= 1", ci=(0.25, 0.75), seeds=3, setting="d=10",
                in_regime=True)
    return Verdict(**{**base, **kw})


def test_table_fits_120_columns_and_marks_values_outside_the_ci():
    from twolayer.commands.check import OUTSIDE_MARK, render_table

    long = "x" * 200
    rows = [verdict(id="frei2023." + long, setting=long, bound=long),
            verdict(id="p.worst", measured=0.9, ci=(0.25, 0.75), verdict=INCONCLUSIVE,
                    in_regime=False),
            verdict(id="p.none", measured=None, ci=None)]
    table = render_table(rows)
    assert max(len(line) for line in table.splitlines()) <= 120
    assert "…" in table and long not in table  # cut, and bound / setting left to --details
    worst = next(line for line in table.splitlines() if line.startswith("p.worst"))
    assert OUTSIDE_MARK in worst and "inconclusive (out)" in worst
    assert any(line.startswith(OUTSIDE_MARK) and "worst seed" in line
               for line in table.splitlines())
    inside = render_table([verdict()])
    assert OUTSIDE_MARK not in inside


def test_table_never_cuts_the_marks_that_say_which_rows_decide():
    """A verdict outside its regime on a proposed setting: its cell was "inconclusive (outside)
    (proposal)", 33 characters in a column of 23, so "(proposal)" (the row does not decide the
    exit status) was cut to "inconclusive (outside)…". The short marks fit, a line under the
    table explains them, and the table stays within 120 columns."""
    from twolayer.commands.check import render_table

    rows = [verdict(id="p." + "y" * 60, verdict=INCONCLUSIVE, in_regime=False, decides=False,
                    ci=(-0.001754, 0.002334), measured=-1.234e-05),
            verdict(id="p.a", verdict=HOLDS, decides=False),
            verdict(id="p.b", verdict=FAILS, in_regime=False)]
    table = render_table(rows)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert "inconclusive (out, prop)" in lines[1] and "holds (prop)" in lines[2]
    assert "fails (out)" in lines[3]
    note = [line for line in lines if line.startswith("(out)")]
    assert len(note) == 1 and "(prop)" in note[0] and "exit status" in note[0]
    assert not any(line.startswith("(out)") for line in render_table([verdict()]).splitlines())


def test_table_says_why_a_check_errored_in_one_line_each():
    from twolayer.claims.base import ERROR
    from twolayer.commands.check import ERRORS_CUT_NOTE, render_table

    reason = "ValueError: the record has no key 'final/margins'\n  (a stale store?) " + "y" * 300
    table = render_table([verdict(id="p.ok"),
                          verdict(id="p.broken", verdict=ERROR, measured=None, ci=None,
                                  detail=reason)])
    lines = table.splitlines()
    why = [ln for ln in lines if ln.startswith("error in p.broken: ")]
    assert len(why) == 1 and "no key 'final/margins' (a stale store?)" in why[0]
    assert len(why[0]) <= 120 and why[0].endswith("…")  # one line, cut to the table's width
    assert not any(ln.startswith("error in p.ok") for ln in lines)
    assert "error in" not in render_table([verdict()])
    assert lines[-1] == ERRORS_CUT_NOTE  # where the whole text is
    short = render_table([verdict(id="p.broken", verdict=ERROR, measured=None, ci=None,
                                  detail="ValueError: short")])
    assert "error in p.broken: ValueError: short" in short and ERRORS_CUT_NOTE not in short


def test_report_write_failure_prints_the_table_first_then_one_line_exit_1(
        monkeypatch, capsys, tmp_path):
    """A full disk met when the report is written: the table is already printed, one line
    names the path and errno, exit 1, and no partial file is left."""
    import errno
    import os as os_mod

    fake(monkeypatch, {"a": (HOLDS, True)})
    report = tmp_path / "claims.md"

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src))

    monkeypatch.setattr(os_mod, "replace", full)
    assert main(["check", "fakepaper", "--report", str(report), "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "fakepaper.a" in out and "holds" in out  # the results came first
    line = err.strip()
    assert "\n" not in line and "ENOSPC" in line and str(tmp_path) in line
    assert list(tmp_path.iterdir()) == []  # the temporary file was removed


def test_report_paths_checked_before_work(monkeypatch, capsys, tmp_path):
    calls = fake(monkeypatch, {"a": (HOLDS, True)})
    for bad in ("", str(tmp_path)):
        assert main(["check", "fakepaper", "--report", bad]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "--report" in err
    assert calls == []  # nothing ran


def test_a_proposal_setting_is_reported_apart_and_does_not_decide(monkeypatch, capsys,
                                                                 tmp_path) -> None:
    fake(monkeypatch, {"a": (HOLDS, True), "b": (FAILS, True)})
    b = CLAIMS["fakepaper.b"]
    monkeypatch.setitem(CLAIMS, b.id, Claim(b.id, b.paper, b.statement, b.source, b.check,
                                            b.tag, b.in_regime, b.origin, decides=False))
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--quick", "--no-store", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "fails (prop)" in out and "smoke run" in out and "not evidence" in out
    md = report.read_text()
    assert "**smoke run**" in md and "*(proposal)*" in md and "Tier: smoke" in md
    assert main(["check", "fakepaper", "--no-store", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["decides"] for r in rows] == [True, False]
    assert {r["tier"] for r in rows} == {"evidence"}


def fake_seeded(monkeypatch, means: dict[str, float | None]) -> list:
    """Claims "fakepaper.<suffix>" whose per-seed values come from an experiment that draws
    seed r's value from its own generator (so a larger seed count contains the smaller one's
    runs, as twolayer's runs do); a mean of None: a claim without per-seed values."""
    import numpy as np

    from twolayer.claims.base import EXPERIMENTS
    from twolayer.stats import compare

    calls = []

    def exp(quick, seeds, runtime):
        calls.append(seeds)
        S = seeds or 4
        return {s: [float(np.random.default_rng([r, i]).normal()) for r in range(S)]
                for i, s in enumerate(means)}

    monkeypatch.setitem(EXPERIMENTS, "fakepaper.exp", Experiment("fakepaper.exp", "fakepaper",
                                                                  exp))
    for suffix, mean in means.items():
        cid = f"fakepaper.{suffix}"

        def check(runs, suffix=suffix, mean=mean):
            v = [x + (mean or 0.0) for x in runs.get("fakepaper.exp")[suffix]]
            from twolayer.stats import mean_ci

            m, ci = mean_ci(v)
            extra = {} if mean is None else dict(per_seed=v, threshold=0.0, direction=">=")
            return outcome(compare(ci, 0.0, ">="), m, ">= 0", ci, len(v), "d=10",
                           "own detail", **extra)

        monkeypatch.setitem(CLAIMS, cid, Claim(cid, "fakepaper", "a statement", "Lemma 1",
                                               check))
    return calls


def test_seeds_auto_adds_looks_until_decided_and_reports_the_method(monkeypatch, capsys):
    calls = fake_seeded(monkeypatch, {"big": 2.0, "null": 0.0, "plain": None})
    status = main(["check", "fakepaper", "--quick", "--no-store", "--seeds", "auto",
                   "--time-budget", "5", "--json"])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert calls[0] is None and calls[1:] == [8 * 2**k for k in range(len(calls) - 1)]
    assert len(calls) == 8  # null stays undecided: every look up to MAX_LOOKS (4 .. 512 seeds)
    big, null, plain = rows["fakepaper.big"], rows["fakepaper.null"], rows["fakepaper.plain"]
    for r in rows.values():
        assert r["sequential"]["method"].startswith("confidence sequence")
        assert r["tier"] == "smoke"
    assert big["verdict"] == HOLDS and big["sequential"]["controlled"]
    assert big["sequential"]["decided"] and big["seeds"] == big["sequential"]["seeds"][-1]
    assert f"with {big['seeds']} seeds" in big["detail"]
    assert null["verdict"] == INCONCLUSIVE and null["seeds"] == 512
    assert null["ci"][0] < 0.0 < null["ci"][1]
    assert not plain["sequential"]["controlled"] and plain["seeds"] == 4
    assert "not sequentially controlled" in plain["detail"]
    assert status == 1  # an in-regime claim is inconclusive: the meaning of 1 is unchanged


def test_seeds_auto_table_report_and_bad_budgets(monkeypatch, capsys, tmp_path):
    calls = fake_seeded(monkeypatch, {"big": 3.0})
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--no-store", "--seeds", "auto", "--details",
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "--seeds auto: 1 claims judged by an anytime-valid confidence sequence" in out
    assert "decided at look" in out and "(1 decided, 0 undecided" in out
    md = report.read_text()
    assert "--seeds auto --time-budget 30" in md and "anytime-valid confidence sequence" in md
    calls.clear()
    for argv in (["--time-budget", "1"], ["--seeds", "3", "--time-budget", "1"],
                 ["--seeds", "auto", "--time-budget", "0"],
                 ["--seeds", "auto", "--time-budget", "nan"]):
        assert main(["check", "fakepaper", "--no-store", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert ("--time-budget" in err) or ("--seeds" in err), err
    with pytest.raises(SystemExit) as exc:
        main(["check", "fakepaper", "--seeds", "often"])
    assert exc.value.code == 2 and "'often' is not an integer or auto" in capsys.readouterr().err
    assert calls == []  # bad input: nothing ran


@pytest.mark.parametrize("seeds", ["10**30", "1000001"])
def test_check_refuses_seeds_beyond_a_million_before_any_work(seeds, monkeypatch, capsys):
    """--seeds 10**30 was accepted and hung planning the experiments' batches (10^29 configs of
    20 runs) with no message; now one line with the flag, the value and [1, 1000000], exit 2,
    and no experiment is asked for runs. 10**400 is named out of range, not "not an integer"."""
    from twolayer.claims.base import EXPERIMENTS

    calls = []

    def exp(quick, seeds, runtime):
        calls.append(seeds)
        return {}

    def check(runs):
        runs.get("fakepaper.exp")
        return outcome(None, 0.0, ">= 0", (0.0, 0.0), 2, "d=10", "detail")

    monkeypatch.setitem(EXPERIMENTS, "fakepaper.exp", Experiment("fakepaper.exp", "fakepaper",
                                                                  exp))
    monkeypatch.setitem(CLAIMS, "fakepaper.c", Claim("fakepaper.c", "fakepaper", "a statement",
                                                     "Lemma 1", check))
    assert main(["check", "fakepaper", "--no-store", "--jobs", "1", "--seeds", seeds]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"--seeds {eval(seeds)}" in err and "[1, 1000000]" in err
    assert calls == []
    with pytest.raises(SystemExit) as exc:
        main(["check", "fakepaper", "--seeds", "10**400"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "'10**400' is out of range" in err
    assert "not an integer" not in err
    main(["check", "fakepaper", "--no-store", "--jobs", "1", "--seeds", "1000000"])
    assert calls == [1000000]




def test_jobs_checks_papers_in_worker_processes_with_the_same_verdicts(tmp_path, capsys):
    from twolayer.claims import CLAIMS
    from twolayer.experiments import EXPERIMENTS

    files = []
    for paper, lo in (("jobsa", 1.0), ("jobsb", -3.0)):  # b: x in [-3, -2]
        f = tmp_path / f"{paper}.py"
        f.write_text(NUMBERS_PLUGIN.format(paper=paper, lo=lo))
        files.append(str(f))
    try:
        out = {}
        for jobs in ("1", "2"):
            store = tmp_path / f"store{jobs}"
            rc = main(["check", *files, "--quick", "--json", "--jobs", jobs, "--records",
                       str(store), "--timings", str(tmp_path / f"t{jobs}.json")])
            out[jobs] = (rc, json.loads(capsys.readouterr().out))
            assert len(list((store / "entries").glob("*.json"))) == 2  # both papers stored
        (rc1, v1), (rc2, v2) = out["1"], out["2"]
        assert rc1 == rc2 == 1  # jobsb's x is negative: fails
        assert [v["id"] for v in v2] == ["jobsa.pos.positive", "jobsb.pos.positive"]
        assert [(v["verdict"], v["measured"], v["ci"]) for v in v1] == \
            [(v["verdict"], v["measured"], v["ci"]) for v in v2]
        assert [v["verdict"] for v in v2] == ["holds", "fails"]
        t2 = json.loads((tmp_path / "t2.json").read_text())
        assert t2["workers"] == 2 and t2["tasks"] == 2
        assert {"training", "verdicts"} <= set(t2["phases"])
    finally:
        for reg in (CLAIMS, EXPERIMENTS):
            for k in [k for k in reg if k.startswith(("jobsa.", "jobsb."))]:
                reg.pop(k)


def test_jobs_rejects_a_count_below_one(capsys):
    with pytest.raises(SystemExit) as e:
        main(["check", "frei2023", "--jobs", "0", "--list"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--jobs: '0' is invalid: valid values are integers >= 1" in err


def test_a_failing_worker_stops_the_others_and_the_error_reaches_the_parent(tmp_path):
    import time

    from twolayer.commands.parallel import Group, run_groups

    ok = Group("frei2023", ["no.such.claim"], True, None, {"device": "cpu"}, None)
    start = time.perf_counter()
    with pytest.raises(Exception, match="no.such.claim|unknown|known papers"):
        run_groups([ok], 1)
    assert time.perf_counter() - start < 60


def test_a_regime_the_check_did_not_compute_says_it_was_asserted(monkeypatch, capsys, tmp_path):
    """A check that returns no in_regime keeps the registered value, and the verdict says it
    was not computed (JSON and report); a computed one says it came from measured premises."""
    fake(monkeypatch, {"a": (HOLDS, True)})

    def computed(runs):
        return outcome(HOLDS, 0.5, "<= 1", (0.25, 0.75), 3, "d=10", in_regime=False,
                       regime="A1 fails at d = 10")

    monkeypatch.setitem(CLAIMS, "fakepaper.c", Claim("fakepaper.c", "fakepaper", "s",
                                                     "Lemma 2", computed))
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--json", "--report", str(report)]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    a, c = rows["fakepaper.a"], rows["fakepaper.c"]
    assert a["regime_computed"] is False and a["in_regime"] is True
    assert a["regime"].startswith("not computed")
    assert c["regime_computed"] is True and c["in_regime"] is False
    assert c["regime"] == "A1 fails at d = 10"
    md = report.read_text()
    assert "Regime (inside the assumptions, asserted, not computed)" in md
    assert "Regime (outside the assumptions, from measured premises): A1 fails" in md


def test_the_summary_says_when_no_claim_decides(monkeypatch, capsys, tmp_path):
    """With every claim outside its regime (or a proposal), exit status 0 must not read as
    'the in-regime claims all hold': none decides."""
    fake(monkeypatch, {"a": (FAILS, False), "b": (HOLDS, False)})
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "so none decides (exit status 0)" in out and "all hold" not in out
    assert "so none decides." in report.read_text()
    fake(monkeypatch, {"a": (HOLDS, True), "b": (FAILS, False)})
    assert main(["check", "fakepaper"]) == 0
    assert "in-regime claims (1) all hold (exit status 0)" in capsys.readouterr().out


def test_the_summary_does_not_call_in_regime_proposals_outside(monkeypatch, capsys):
    """Proposals inside their regime (maennel2020's on the card's setting) decide nothing, but
    the line said 'no claim is in regime'."""
    from twolayer.commands.check import summary_line

    def v(cid, inside, decides):
        return verdict(id=cid, in_regime=inside, decides=decides)

    line = summary_line([v("p.a", True, False), v("p.b", True, False), v("p.c", False, False)],
                        "on this record")
    assert "the 2 in regime on this record are proposals, so none decides (exit status 0)" \
        in line and "no claim is in regime" not in line, line
    line = summary_line([v("p.a", True, False), v("p.c", False, True)])
    assert "the 1 in regime on the paper's own setting is a proposal, so none decides" in line
    line = summary_line([v("p.c", False, True), v("p.d", False, False)])
    assert "no claim is in regime on the paper's own setting, so none decides" in line


def test_the_summary_says_which_in_regime_claims_are_inside_only_as_registered(
        monkeypatch, capsys, tmp_path):
    """A plugin's claims that compute no regime count as in regime by their registration
    alone, and the summary read "in-regime claims (2) all hold" (the report: "Every claim
    checked inside its theorem's regime holds") with nothing measured about the assumptions.
    A line now says how many in-regime claims are so only as registered; with every regime
    computed there is no such line."""
    fake(monkeypatch, {"a": (HOLDS, True), "b": (HOLDS, True), "c": (FAILS, False)})
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "in-regime claims (2) all hold (exit status 0)" in out
    assert ("note: 2 of the 2 in-regime claims are in regime only as registered: their checks "
            "computed no regime") in out
    assert "2 of the 2 in-regime claims are in regime only as registered" in report.read_text()

    def computed(runs):
        return outcome(HOLDS, 0.5, "<= 1", (0.25, 0.75), 3, "d=10", in_regime=True,
                       regime="A1-A7 hold at d = 10")

    for cid in ("fakepaper.a", "fakepaper.b"):
        monkeypatch.setitem(CLAIMS, cid, Claim(cid, "fakepaper", "s", "Lemma 2", computed))
    assert main(["check", "fakepaper", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "in-regime claims (2) all hold" in out and "only as registered" not in out
    assert "only as registered" not in report.read_text()


def test_a_check_that_raised_is_not_called_in_regime_only_as_registered(monkeypatch, capsys):
    """A plugin check that raises (verdict error) computed no regime because it never
    finished, not because it measures no premise: the note said "1 of the 2 in-regime claims
    are in regime only as registered: their checks computed no regime" about it beside its
    own error line. The note counts only the claims whose check returned."""
    fake(monkeypatch, {"a": (HOLDS, True)})

    def computed(runs):
        return outcome(HOLDS, 0.5, "<= 1", (0.25, 0.75), 3, "d=10", in_regime=True,
                       regime="A1-A7 hold at d = 10")

    def raises(runs):
        raise RuntimeError("boom in my check")

    monkeypatch.setitem(CLAIMS, "fakepaper.a", Claim("fakepaper.a", "fakepaper", "s", "L2",
                                                     computed))
    monkeypatch.setitem(CLAIMS, "fakepaper.b", Claim("fakepaper.b", "fakepaper", "s", "L3",
                                                     raises))
    assert main(["check", "fakepaper"]) == 1
    out = capsys.readouterr().out
    assert "error in fakepaper.b: the check raised RuntimeError: boom in my check" in out
    assert "only as registered" not in out, out


def test_a_report_row_naming_no_registered_figure_says_so(monkeypatch, capsys, tmp_path):
    """A plugin's ``outcome(..., figure="typo")`` named a figure that no one registered, and the
    report's cell read "`typo` (not in figures/)", as if `twolayer figures` would draw it."""
    fake(monkeypatch, {"a": (HOLDS, True)}, figure="fakepaper-no-such-figure")
    report = tmp_path / "claims.md"
    assert main(["check", "fakepaper", "--report", str(report)]) == 0
    capsys.readouterr()
    text = report.read_text()
    assert "`fakepaper-no-such-figure` (no figure of this name is registered)" in text, text
    fake(monkeypatch, {"a": (HOLDS, True)}, figure="frei2023-fig1")   # registered: as before
    monkeypatch.setattr("twolayer.commands.check.figure_dirs", lambda: [])
    assert main(["check", "fakepaper", "--report", str(report)]) == 0
    assert "`frei2023-fig1` (not in figures/)" in report.read_text()


def test_a_verdict_is_never_decided_on_the_seeds_left_after_a_nan():
    """A check that says holds or fails while a per-seed value is NaN (a lost seed) is
    inconclusive; NaN placeholders a comparison marks vacuous do not count."""
    v = [1.0, 1.1, 0.9, float("nan")]
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    lost = c.verdict(outcome(HOLDS, 1.0, ">= 0.5", (0.8, 1.2), 3, "d=10", "x", per_seed=v,
                             threshold=0.5, direction=">="))
    assert lost.verdict == INCONCLUSIVE and "1 per-seed value(s) are NaN" in lost.detail
    assert c.verdict(outcome(FAILS, 1.0, "b", None, 3, "d", comparisons=[(v, 2.0, ">=")])
                     ).verdict == INCONCLUSIVE
    vacuous = c.verdict(outcome(HOLDS, 1.0, "b", None, 3, "d", comparisons=[(v, 0.5, ">=")],
                                nan_vacuous=True))
    assert vacuous.verdict == HOLDS


@pytest.mark.parametrize("verdict", [HOLDS, FAILS])
def test_a_verdict_with_a_nan_measured_value_is_inconclusive(verdict):
    """A check that said holds (or fails) with a finite interval and per-seed values but the
    measured value NaN was shown as holds with measured "n/a": the row a user cites had no
    number. An infinite measured value (a time never reached) is a number and stands."""
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    v = [1.0, 1.1, 0.9, 1.05]
    side = ">=" if verdict == HOLDS else "<="
    nan = c.verdict(outcome(verdict, float("nan"), "b", (0.9, 1.1), 4, "d", per_seed=v,
                            threshold=0.5, direction=side))
    assert nan.verdict == INCONCLUSIVE and "measured value is NaN" in nan.detail
    same = c.verdict(outcome(verdict, 1.0125, "b", (0.9, 1.1), 4, "d", per_seed=v,
                             threshold=0.5, direction=side))
    assert same.verdict == verdict
    inf = c.verdict(outcome(HOLDS, float("inf"), "b", None, 4, "d",
                            comparisons=[(v, 0.5, ">=")]))
    assert inf.verdict == HOLDS
    clean = c.verdict(outcome(HOLDS, 1.0, "b", (0.8, 1.2), 3, "d", per_seed=v[:3],
                              threshold=0.5, direction=">="))
    assert clean.verdict == HOLDS and "NaN" not in clean.detail


@pytest.mark.parametrize("said", [HOLDS, FAILS])
def test_a_verdict_is_never_taken_from_a_point_estimate(said):
    """A check (a plugin's, say) that says holds or fails with neither a finite interval nor
    the comparisons it decided from is reported inconclusive, saying why; an interval of two
    finite numbers or comparisons decide."""
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    v = [1.0, 1.1, 0.9]
    for ci in (None, (float("nan"), 1.2), (0.8, float("inf"))):
        got = c.verdict(outcome(said, 1.0, ">= 0.5", ci, 3, "d=10", "x", per_seed=v,
                                threshold=0.5, direction=">="))
        assert got.verdict == INCONCLUSIVE, ci
        assert got.detail.startswith("x; ")
        # with no interval: a point estimate; with one not finite: that interval, named (a
        # one-sided bound is not a point estimate, and the message says how to decide)
        if ci is None:
            assert "point estimate" in got.detail
        else:
            assert "point estimate" not in got.detail and "not finite" in got.detail
            assert str(tuple(ci)) in got.detail and "two-sided interval" in got.detail
    assert c.verdict(outcome(said, 1.0, "b", (0.8, 1.2), 3, "d")).verdict == said
    compared = c.verdict(outcome(said, 1.0, "b", None, 3, "d",
                                 comparisons=[(v, 0.5 if said == HOLDS else 2.0, ">=")]))
    assert compared.verdict == said and "point estimate" not in compared.detail
    assert c.verdict(outcome(INCONCLUSIVE, None, "b", None, 0, "d")).verdict == INCONCLUSIVE


@pytest.mark.parametrize("said", [HOLDS, FAILS])
def test_a_zero_width_interval_decides_only_with_its_per_seed_evidence(said):
    """Every seed giving the same value makes a zero-width interval, which says nothing about
    the seeds not drawn (stats.compare calls it undecidable). A check handing over only such an
    interval is inconclusive; with its per-seed values, threshold and side it stands where the
    exact sign test gives the same outcome. Oracle: the sign test by hand: k of k seeds on one
    side has one-sided p = 2^-k, so 5 seeds decide at 95% (1/32) and 4 do not (1/16)."""
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    bare = c.verdict(outcome(said, 1.0, "b", (1.0, 1.0), 5, "d", "x"))
    assert bare.verdict == INCONCLUSIVE and bare.detail.startswith("x; ")
    assert "zero-width interval" in bare.detail
    thr = 0.95 if said == HOLDS else 1.05  # all values 1.0: above 0.95 (holds), below 1.05
    five = c.verdict(outcome(said, 1.0, "b", (1.0, 1.0), 5, "d", per_seed=[1.0] * 5,
                             threshold=thr, direction=">="))
    assert five.verdict == said, five.detail
    four = c.verdict(outcome(said, 1.0, "b", (1.0, 1.0), 4, "d", per_seed=[1.0] * 4,
                             threshold=thr, direction=">="))
    assert four.verdict == INCONCLUSIVE and "sign test" in four.detail
    other = HOLDS if said == FAILS else FAILS  # the sign test on the other side than said
    swapped = c.verdict(outcome(other, 1.0, "b", (1.0, 1.0), 5, "d", per_seed=[1.0] * 5,
                                threshold=thr, direction=">="))
    assert swapped.verdict != other
    assert c.verdict(outcome(said, 1.0, "b", (1.0, 1.0), 5, "d", comparisons=[
        ([1.0] * 5, thr, ">=")])).verdict == said  # comparisons: judged as they are


@pytest.mark.parametrize("said", [HOLDS, FAILS])
def test_a_verdict_is_never_taken_from_fewer_than_two_seeds(said):
    """A check that says holds or fails with a finite interval but from 0 or 1 seeds (a
    plugin's interval made up or from one run) is reported inconclusive, saying why; two seeds
    decide."""
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    for seeds in (0, 1):
        got = c.verdict(outcome(said, 1.0, "b", (0.5, 1.5), seeds, "d", "x"))
        assert got.verdict == INCONCLUSIVE and got.seeds == seeds
        assert got.detail.startswith("x; ") and f"from {seeds} seed(s)" in got.detail
    assert c.verdict(outcome(said, 1.0, "b", (0.5, 1.5), 2, "d")).verdict == said


def _values_with_p(p: float, n: int = 6) -> list[float]:
    """n values whose one-sample t-test of mean > 0 has one-sided p-value p (scipy's t quantile,
    an oracle independent of twolayer.stats)."""
    from scipy import stats as ss

    z = np.array([-1.5, -0.5, 0.0, 0.5, 1.0, 0.5][:n])
    z = (z - z.mean()) / z.std(ddof=1)
    t = float(ss.t.isf(p, n - 1))
    return list(z + t / np.sqrt(n))


def test_a_holds_is_rejudged_against_the_comparisons_it_was_decided_from():
    """A check that says holds and hands over comparisons that, Holm-corrected at 95% with
    each one's own test, do not hold is not taken at its word: inconclusive where they are
    undecided, error where one fails (the check contradicts its evidence). Oracle: scipy's
    t-test p-values and Holm by hand: p = 0.03 and 0.04 each pass alone, but Holm's smallest
    adjusted p is 2 x 0.03 = 0.06 > 0.05."""
    from scipy import stats as ss

    from twolayer.claims.base import ERROR
    from twolayer.stats import exists

    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    a, b = _values_with_p(0.03), _values_with_p(0.04)
    for v, p in ((a, 0.03), (b, 0.04)):  # the oracle's own check of the construction
        assert ss.ttest_1samp(v, 0.0, alternative="greater").pvalue == pytest.approx(p)
    both = [(a, 0.0, ">="), (b, 0.0, ">=")]
    each = c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", "x", comparisons=both[:1]))
    assert each.verdict == HOLDS  # one comparison at p = 0.03 holds at 95%
    holm = c.verdict(outcome(HOLDS, 1.0, "b", (0.1, 0.9), 6, "d", "x", comparisons=both))
    assert holm.verdict == INCONCLUSIVE and holm.detail.startswith("x; ")
    assert "inconclusive, inconclusive" in holm.detail and "Holm over 2" in holm.detail
    # the rule joins the re-judged outcomes: "some comparison holds" holds at p = 0.01 and 0.5
    some = [(_values_with_p(0.01), 0.0, ">="), (_values_with_p(0.5), 0.0, ">=")]
    assert c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", comparisons=some,
                             rule=exists)).verdict == HOLDS
    assert c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", comparisons=some)
                     ).verdict == INCONCLUSIVE
    # a comparison that fails (p = 0.001 for the other side) under a holds: an error
    against = [(list(-np.array(_values_with_p(0.001))), 0.0, ">=")]
    contra = c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", comparisons=against))
    assert contra.verdict == ERROR and "contradicts" in contra.detail
    # a sign comparison is re-judged by the sign test: 6 of 6 above has p = 1/64
    signs = [([0.1, 0.2, 0.3, 0.4, 0.5, 9.0], 0.0, ">=")]
    assert c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", comparisons=signs, test="sign")
                     ).verdict == HOLDS
    four = [([0.1, 0.2, 0.3, 0.4], 0.0, ">=")]  # 4 of 4 above: p = 1/16 > 0.05
    assert c.verdict(outcome(HOLDS, 1.0, "b", None, 4, "d", comparisons=four, test="sign")
                     ).verdict == INCONCLUSIVE
    # a rule that breaks: an error naming it; an inconclusive is never re-judged, a fails is
    # since session 49 (inconclusive where its comparisons do not give it, as a holds)
    broken = c.verdict(outcome(HOLDS, 1.0, "b", None, 6, "d", comparisons=some,
                               rule=lambda outs: "hold"))
    assert broken.verdict == ERROR and "'hold'" in broken.detail
    assert c.verdict(outcome(FAILS, 1.0, "b", None, 6, "d", comparisons=some)
                     ).verdict == INCONCLUSIVE
    assert c.verdict(outcome(FAILS, 1.0, "b", None, 6, "d", comparisons=against)
                     ).verdict == FAILS
    assert c.verdict(outcome(INCONCLUSIVE, 1.0, "b", None, 6, "d", comparisons=both[:1])
                     ).verdict == INCONCLUSIVE


def test_a_check_returning_a_malformed_interval_gets_the_verdict_error():
    from twolayer.claims.base import ERROR, judge

    for ci in (("a", "b"), (1.0,), 0.5):
        c = Claim("p.c", "p", "s", "Lemma 1",
                  lambda runs, ci=ci: outcome(HOLDS, 1.0, "b", ci, 3, "d"))
        got = judge(c, Runs(quick=True))
        assert got.verdict == ERROR and "interval" in got.detail, (ci, got.detail)


@pytest.mark.parametrize("field,value,words", [
    ("ci", (1.5, 0.5), "lower end is above its upper end"),  # was: holds
    ("ci", "12", "not a pair of numbers"),  # was: holds on the interval (1, 2)
    ("ci", {0: 0.5, 1: 1.5}, "not a pair of numbers"),  # was: holds
    ("seeds", -3, "not a count of seeds"),
    ("seeds", 2.7, "not a count of seeds"),  # was: holds from int(2.7) = 2 seeds
    ("seeds", "3", "not a count of seeds"),  # was: TypeError out of judge, a traceback
    ("seeds", None, "not a count of seeds"),
    ("measured", "x", "not a number"),  # was: ValueError out of judge
    ("measured", np.array([1.0, 2.0]), "not a number"),
])
def test_a_check_returning_a_malformed_outcome_gets_the_verdict_error(field, value, words):
    """A plugin's outcome with an interval upside down or not made of numbers, a seed count
    that is not a count, or a measured value that is not a number is the verdict error naming
    it: never a holds, and never an exception out of judge that stops the command."""
    from twolayer.claims.base import ERROR, judge

    fields = {"measured": 1.0, "ci": (0.5, 1.5), "seeds": 3, field: value}
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: outcome(
        HOLDS, fields["measured"], "b", fields["ci"], fields["seeds"], "d"))
    got = judge(c, Runs(quick=True))
    assert got.verdict == ERROR and words in got.detail, got.detail
    for ok in ({"seeds": np.int64(3)}, {"seeds": 3.0}, {"ci": np.array([0.5, 1.5])},
               {"measured": np.float32(1.0)}, {"measured": None}):
        fields = {"measured": 1.0, "ci": (0.5, 1.5), "seeds": 3, **ok}
        c = Claim("p.c", "p", "s", "Lemma 1", lambda runs, f=fields: outcome(
            HOLDS, f["measured"], "b", f["ci"], f["seeds"], "d"))
        assert judge(c, Runs(quick=True)).verdict == HOLDS, ok
    # a zero-width interval is well formed (not an error) but decides nothing by itself
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: outcome(HOLDS, 1.0, "b", (1.0, 1.0), 3,
                                                                "d"))
    assert judge(c, Runs(quick=True)).verdict == INCONCLUSIVE


@pytest.mark.parametrize("interval", ["mean", "median", "bootstrap"])
def test_a_verdict_is_never_decided_on_an_interval_that_dropped_a_lost_seed(interval):
    """A check that decides from stats.mean_ci / median_ci / bootstrap_ci without handing its
    per-seed values over: a NaN or an inf the interval left out makes a holds inconclusive,
    unless the check declares such values vacuous (runs the statement says nothing about)."""
    from twolayer import stats as S
    from twolayer.claims.base import judge

    v = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, float("nan"), float("inf")]

    def ci(values, vacuous):
        if interval == "mean":
            return S.mean_ci(values, nan_vacuous=vacuous)
        if interval == "median":
            return S.median_ci(values, nan_vacuous=vacuous)
        return S.bootstrap_ci([values], np.mean, nan_vacuous=vacuous)

    def check(vacuous):
        def fn(runs):
            m, c = ci(v, vacuous)
            return outcome(S.compare(c, 0.5, ">="), m, ">= 0.5", c, S.used(v), "d=10")
        return Claim("p.c", "p", "s", "Lemma 1", fn)

    lost = judge(check(False), Runs(quick=False))
    assert lost.verdict == INCONCLUSIVE and "2 non-finite value(s)" in lost.detail
    assert judge(check(True), Runs(quick=False)).verdict == HOLDS
    # outside a check nothing is counted, and the finite values give the same interval
    with S.counting_dropped() as box:
        assert ci(v[:7], False) == ci(v, True)
    assert box == [0]


def test_all_with_a_selection_loads_and_checks_every_name(tmp_path, capsys):
    """--all adds every registered claim to the named ones: a plugin named with --all is
    loaded and listed (it used to be dropped silently), and an unknown name is still an error
    (it used to be ignored)."""
    from twolayer.claims import CLAIMS
    from twolayer.experiments import EXPERIMENTS

    f = tmp_path / "allplug.py"
    f.write_text(NUMBERS_PLUGIN.format(paper="allplug", lo=1.0))
    try:
        assert main(["check", "--all", str(f), "--list"]) == 0
        listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()
                  if line and not line.startswith("(")]
        assert "allplug.pos.positive" in listed
        assert "frei2023.theorem1.test_error" in listed and "liu2023.eq5.init_ratio.xor" in listed
        assert main(["check", "--all", "frei2023", "--list"]) == 0
        assert any(line.startswith("liu2023.") for line in capsys.readouterr().out.splitlines())
        assert main(["check", "--all", "nosuchpaper", "--list"]) == 2
        assert "claim or paper 'nosuchpaper' is unknown" in capsys.readouterr().err
    finally:
        for reg in (CLAIMS, EXPERIMENTS):
            for k in [k for k in reg if k.startswith("allplug.")]:
                reg.pop(k)


def test_the_help_names_the_tables_columns_and_every_exit_status(capsys):
    """The description used to promise a bound and a setting per row (the table has neither:
    they are in --details) and to leave out exit status 2."""
    from twolayer.commands.check import COLUMNS

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    row = text.split("print one row per claim:")[1].split(";")[0]
    assert "bound" not in row and "setting" not in row
    assert all(w in row for w in ("id", "verdict", "measured value", "95% CI", "seeds"))
    assert len(COLUMNS) == 5
    assert "--details adds each claim's predicted bound, setting and regime" in text
    assert "2 on bad input" in text


def test_in_regime_must_be_a_boolean():
    """A string ("no") counted as inside the theorem's assumptions; numpy's booleans (a
    comparison of arrays) are booleans."""
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    for bad in ("no", 1, "False"):
        with pytest.raises(ValueError, match="in_regime must be True, False or None"):
            outcome(HOLDS, 1.0, "b", (0.5, 1.5), 3, "d", in_regime=bad)
    for flag in (np.bool_(False), False):
        got = c.verdict(outcome(HOLDS, 1.0, "b", (0.5, 1.5), 3, "d", in_regime=flag,
                                regime="A1 fails at d = 10"))
        assert got.in_regime is False and got.regime_computed


def test_the_reports_theorem_constant_note_only_with_frei2023s_claims():
    """A plugin's report said "Each claim's setting ... gives the largest constant C for which
    all the theorem's assumptions hold", a note about Frei et al.'s Theorem 1 that its claims'
    settings do not carry; a report with frei2023's claims keeps it."""
    from pathlib import Path

    from twolayer.claims.base import Verdict
    from twolayer.commands.check import render_markdown

    def row(paper):
        return Verdict(id=f"{paper}.x", paper=paper, statement="s", source="Lemma 1",
                       verdict=HOLDS, measured=0.5, bound="b", ci=(0.25, 0.75), seeds=3,
                       setting="d=10", in_regime=True, tag="[PAPER]")

    note = "gives the largest constant C"
    assert note not in render_markdown([row("myplugin")], Path("."), True, 1.0)
    assert note in render_markdown([row("myplugin"), row("frei2023")], Path("."), True, 1.0)


def test_a_check_that_raises_names_the_line_it_raised_at():
    """The error said only "the check raised ZeroDivisionError: division by zero", with no
    file or line to fix."""
    from pathlib import Path

    from twolayer.claims.base import ERROR, judge

    def check(runs):
        return 1 / 0  # the line that raises

    here = Path(__file__).resolve()
    line = next(i for i, t in enumerate(here.read_text().splitlines(), 1)
                if "return 1 / 0  # the line that raises" in t)
    got = judge(Claim("p.c", "p", "s", "Lemma 1", check), Runs(quick=True))
    assert got.verdict == ERROR
    assert got.detail == ("the check raised ZeroDivisionError: division by zero "
                          f"(at {here}:{line})"), got.detail


def test_a_holds_that_contradicts_its_own_per_seed_evidence_is_an_error():
    """A check that said holds while the comparisons it handed over fail (a side or threshold
    typed one way in its test and the other in its outcome) was reported holds; likewise a
    holds whose per-seed values lie on the other side of its threshold by both a t-test and a
    sign test. Since session 49 a fails is re-judged too: one whose comparisons give holds is
    an error, unless it names the other evidence it rests on (``fails_from``: a run event)."""
    from scipy import stats as sps

    said = HOLDS
    c6 = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02]  # mean about 1, every value in [0.9, 1.1]
    wrong, right = 10.0, 0.0  # the threshold on the side that contradicts holds, and not
    # the oracle: the values are on the contradicting side by both tests at 95%
    t = sps.ttest_1samp(c6, wrong)
    assert t.pvalue / 2 < 0.05 and 0.5 ** len(c6) < 0.05
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    for kw in (dict(comparisons=[(c6, wrong, ">=")]),
               dict(per_seed=c6, threshold=wrong, direction=">=")):
        got = c.verdict(outcome(said, 1.0, "b", (0.9, 1.1), 6, "d", **kw))
        assert got.verdict == "error", kw
        assert "the check contradicts its own evidence" in got.detail, got.detail
    for kw in (dict(comparisons=[(c6, right, ">=")]),
               dict(per_seed=c6, threshold=right, direction=">=")):
        assert c.verdict(outcome(said, 1.0, "b", (0.9, 1.1), 6, "d", **kw)).verdict == said
    # a rule that returns the check's own verdict whatever its comparisons give stood until
    # session 50; it now decides nothing alone (holds with every comparison inconclusive)
    got = c.verdict(outcome(said, 1.0, "b", (0.9, 1.1), 6, "d",
                            comparisons=[(c6, wrong, ">=")], rule=lambda outs: said))
    assert got.verdict == INCONCLUSIVE and "its rule gives holds with every" in got.detail
    assert c.verdict(outcome(FAILS, 1.0, "b", (0.9, 1.1), 6, "d",
                             comparisons=[(c6, right, ">=")])).verdict == "error"
    named = c.verdict(outcome(FAILS, 1.0, "b", (0.9, 1.1), 6, "d",
                              comparisons=[(c6, right, ">=")], fails_from="a run event"))
    assert named.verdict == FAILS and "its fails rests on a run event" in named.detail


def test_a_holds_whose_own_interval_lies_on_the_failing_side_is_an_error():
    """A plugin's check said holds for "mean clean train error <= 0.05" with per-seed values
    about 0.58 on 4 seeds and its own 95% interval [0.47, 0.69]: the t-test contradicts it but
    the exact sign test cannot at 4 seeds (p = 1/16), so the holds stood (`twolayer check`
    printed holds next to that interval). Oracle: scipy's t-interval, computed here."""
    from scipy import stats as sps

    v = [0.50, 0.62, 0.55, 0.66]
    lo, hi = sps.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=sps.sem(v))
    assert lo > 0.05 and 0.5 ** len(v) > 0.05  # wholly above the bound; sign test can't reject
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    for kw in (dict(per_seed=v, threshold=0.05, direction="<="),
               dict(threshold=0.05, direction="<=")):
        got = c.verdict(outcome(HOLDS, float(np.mean(v)), "b", (lo, hi), 4, "d", **kw))
        assert got.verdict == "error", (kw, got.detail)
        assert "own interval" in got.detail and "wholly above 0.05" in got.detail, got.detail
    # the mirror side, and intervals that do not contradict the holds, stand
    got = c.verdict(outcome(HOLDS, 0.1, "b", (-0.3, -0.1), 4, "d", threshold=0.0,
                            direction=">="))
    assert got.verdict == "error" and "wholly below 0" in got.detail, got.detail
    # on the claimed side (touching the bound from it) stands; straddling it, with nothing
    # else handed over, nothing supports the holds: inconclusive since session 48
    assert c.verdict(outcome(HOLDS, 0.03, "b", (0.0, 0.05), 4, "d", threshold=0.05,
                             direction="<=")).verdict == HOLDS
    got = c.verdict(outcome(HOLDS, 0.03, "b", (0.01, 0.06), 4, "d", threshold=0.05,
                            direction="<="))
    assert got.verdict == "inconclusive" and "point estimate" in got.detail
    assert c.verdict(outcome(FAILS, float(np.mean(v)), "b", (lo, hi), 4, "d", threshold=0.05,
                             direction="<=")).verdict == FAILS


def test_a_verdict_whose_seed_count_is_not_its_evidence_is_an_error():
    """A check could say holds "over 20 seeds" while it handed over 6 per-seed values (or
    comparisons of 6): the table cited 20. Its seed count must be that of the values it hands
    over (finite ones, or not-NaN ones where a value is infinite), never more than its largest
    comparison's."""
    c6 = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02]  # clearly above 0: holds by a t-test and a sign test
    c = Claim("p.c", "p", "s", "Lemma 1", lambda runs: None)
    evidence = (dict(per_seed=c6, threshold=0.0, direction=">="),
                dict(comparisons=[(c6, 0.0, ">=")]))
    for said in (HOLDS, FAILS):
        for kw in evidence:
            for seeds in (20, 7):
                got = c.verdict(outcome(said, 1.0, "b", (0.9, 1.1), seeds, "d", **kw))
                assert got.verdict == "error", (said, kw, seeds)
                assert f"reported {seeds} seeds" in got.detail, got.detail
    # fewer seeds than per-seed values: the count leaves values out
    got = c.verdict(outcome(HOLDS, 1.0, "b", (0.9, 1.1), 5, "d", **evidence[0]))
    assert got.verdict == "error" and "handed over 6" in got.detail, got.detail
    for kw in evidence:  # the count of the values: stands
        assert c.verdict(outcome(HOLDS, 1.0, "b", (0.9, 1.1), 6, "d", **kw)).verdict == HOLDS
    with_inf = [*c6, math.inf]  # an event never reached: it may count as a seed or not
    for seeds in (6, 7):
        got = c.verdict(outcome(HOLDS, 1.0, "b", (0.9, 1.1), seeds, "d", per_seed=with_inf,
                                threshold=0.0, direction=">="))
        assert got.verdict == HOLDS, (seeds, got.detail)
    # a comparison may hold fewer values than the count of the largest one
    got = c.verdict(outcome(HOLDS, 1.0, "b", (0.9, 1.1), 6, "d",
                            comparisons=[(c6, 0.0, ">="), (c6[:4], 0.0, ">=")],
                            rule=lambda outs: HOLDS if HOLDS in outs else INCONCLUSIVE))
    assert got.verdict == HOLDS, got.detail
    # an inconclusive is not questioned: it claims nothing
    assert c.verdict(outcome(INCONCLUSIVE, 1.0, "b", (0.9, 1.1), 20, "d",
                             **evidence[0])).verdict == INCONCLUSIVE
