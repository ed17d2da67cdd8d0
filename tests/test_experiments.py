"""The experiments layer: each experiment runs once per key; the record store serves the second
run; a changed mode, seed count or code retrains; a damaged stored result is retrained, never
used; claims registered once, checks that cannot report another claim's id, errors local to
their claim. ``check --records DIR`` twice trains nothing the second time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twolayer.claims import CLAIMS
from twolayer.claims.base import HOLDS, Claim, judge, outcome
from twolayer.cli import main
from twolayer.engine import Runtime
from twolayer.errors import TwolayerError
from twolayer.experiments import EXPERIMENTS, Experiment, Runs, experiment
from twolayer.record import Record
from twolayer.store import RecordStore


def counting_experiment(monkeypatch, name: str = "fakepaper.exp"):
    calls: list[tuple[bool, int | None]] = []

    def run(quick, seeds, runtime):
        calls.append((quick, seeds))
        R = seeds or 2
        return {"a": Record(config={"R": R, "quick": quick}, run_id="a", times=np.arange(2),
                            arrays={"x": np.arange(2 * R, dtype=np.float64).reshape(R, 2)})}

    monkeypatch.setitem(EXPERIMENTS, name, Experiment(name, "fakepaper", run))
    return calls


def test_runs_once_per_key_and_reads_the_store(monkeypatch, tmp_path) -> None:
    calls = counting_experiment(monkeypatch)
    store = RecordStore(tmp_path)
    rt = Runtime(device="cpu")
    first = Runs(quick=True, seeds=3, runtime=rt, store=store)
    a = first.get("fakepaper.exp")
    assert first.get("fakepaper.exp") is a and calls == [(True, 3)]
    second = Runs(quick=True, seeds=3, runtime=rt, store=store)
    b = second.get("fakepaper.exp")
    assert calls == [(True, 3)] and second.reused == ["fakepaper.exp"] and not second.trained
    assert np.array_equal(b["a"].arrays["x"], a["a"].arrays["x"])
    Runs(quick=False, seeds=3, runtime=rt, store=store).get("fakepaper.exp")
    Runs(quick=True, seeds=4, runtime=rt, store=store).get("fakepaper.exp")
    assert calls == [(True, 3), (False, 3), (True, 4)]


def test_a_code_change_retrains(monkeypatch, tmp_path) -> None:
    import twolayer.experiments as ex

    calls = counting_experiment(monkeypatch)
    store = RecordStore(tmp_path)
    Runs(quick=True, store=store).get("fakepaper.exp")
    monkeypatch.setattr(ex, "code_fingerprint", lambda: "changed-code")
    Runs(quick=True, store=store).get("fakepaper.exp")
    assert len(calls) == 2


def test_a_damaged_stored_result_is_retrained(monkeypatch, tmp_path) -> None:
    calls = counting_experiment(monkeypatch)
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    Runs(quick=True, store=store).get("fakepaper.exp")
    (npz,) = (tmp_path / "records").glob("*/arrays.npz")
    npz.write_bytes(npz.read_bytes()[:40])
    runs = Runs(quick=True, store=store)
    runs.get("fakepaper.exp")
    assert len(calls) == 2 and runs.trained == ["fakepaper.exp"] and lines
    assert Runs(quick=True, store=store).get("fakepaper.exp")["a"].config["R"] == 2
    assert len(calls) == 2  # the retrained result was stored again


def test_an_experiment_defined_in_two_places_is_refused() -> None:
    name = "fakepaper.twice"
    try:
        experiment(name)(lambda q, s, r: None)
        ns: dict = {}
        exec("def g(q, s, r):\n    return None\n", {"__name__": "other_module"}, ns)
        ns["g"].__module__ = "json"  # a module with another file
        with pytest.raises(TwolayerError, match="defined twice"):
            experiment(name)(ns["g"])
    finally:
        EXPERIMENTS.pop(name, None)


def register(monkeypatch, cid: str, check) -> Claim:
    c = Claim(cid, cid.split(".")[0], "a statement", "Lemma 1", check)
    monkeypatch.setitem(CLAIMS, cid, c)
    return c


def test_a_check_cannot_report_another_claims_id(monkeypatch) -> None:
    other = register(monkeypatch, "fakepaper.other", lambda runs: None)
    mine = register(monkeypatch, "fakepaper.mine", lambda runs: other.verdict(
        outcome(HOLDS, 1.0, "<= 2", (0.5, 1.5), 3, "s")))
    v = judge(mine, Runs())
    assert v.id == "fakepaper.mine" and v.verdict == "error" and "fakepaper.other" in v.detail


def test_a_raising_or_malformed_check_is_an_error_verdict_and_the_others_are_judged(
        monkeypatch, capsys) -> None:
    def boom(runs):
        raise ZeroDivisionError("bad")

    register(monkeypatch, "fakepaper.a", boom)
    register(monkeypatch, "fakepaper.b", lambda runs: 42)
    register(monkeypatch, "fakepaper.c", lambda runs: outcome(HOLDS, 1.0, "<= 2", (0.5, 1.5), 3,
                                                              "s"))
    assert main(["check", "fakepaper", "--json", "--no-store"]) == 1
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["fakepaper.a"]["verdict"] == "error" and "ZeroDivisionError" in \
        rows["fakepaper.a"]["detail"]
    assert rows["fakepaper.b"]["verdict"] == "error" and "int" in rows["fakepaper.b"]["detail"]
    assert rows["fakepaper.c"]["verdict"] == HOLDS


def test_check_with_records_twice_trains_nothing_the_second_time(monkeypatch, tmp_path,
                                                                 capsys) -> None:
    calls = counting_experiment(monkeypatch)

    def check(runs):
        x = runs.get("fakepaper.exp")["a"].arrays["x"]
        return outcome(HOLDS, float(x.mean()), ">= 0", (0.0, 1.0), x.shape[0], "s")

    register(monkeypatch, "fakepaper.c", check)
    args = ["check", "fakepaper", "--quick", "--records", str(tmp_path / "st")]
    assert main(args) == 0
    first = capsys.readouterr()
    assert main(args) == 0
    second = capsys.readouterr()
    assert len(calls) == 1
    assert "1 trained, 0 read" in first.err and "0 trained, 1 read" in second.err
    assert first.out.splitlines()[:2] == second.out.splitlines()[:2]


@pytest.mark.parametrize("flags, flag", [(["--records", ""], "--records"),
                                         (["--records", "/proc/nope"], "--records"),
                                         (["--records", "x", "--no-store"], "--records")])
def test_bad_store_flags_exit_2_before_any_work(monkeypatch, capsys, flags, flag) -> None:
    calls = counting_experiment(monkeypatch)
    register(monkeypatch, "fakepaper.c", lambda runs: runs.get("fakepaper.exp"))
    assert main(["check", "fakepaper", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and len(err.splitlines()) == 1 and not calls


def test_opening_a_store_removes_a_killed_writers_old_temporaries(monkeypatch, tmp_path,
                                                                  capsys) -> None:
    import os
    import time

    counting_experiment(monkeypatch)
    register(monkeypatch, "fakepaper.c", lambda runs: outcome(HOLDS, 1.0, "<= 2", (0.5, 1.5), 3,
                                                              "s"))
    old = tmp_path / "records" / ".abc.tmp.1234"
    young = tmp_path / "records" / ".def.tmp.5678"
    old.mkdir(parents=True)
    young.mkdir()
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert main(["check", "fakepaper", "--records", str(tmp_path)]) == 0
    assert not old.exists() and young.exists()  # a young one may be a live writer's


def test_the_code_fingerprint_covers_python_and_c_sources_of_run_code(tmp_path) -> None:
    """A changed .py or .c file of run-producing code changes the fingerprint (so stored runs
    retrain); a changed file under a NOT_RUN_CODE folder or a file of another kind does not."""
    from twolayer.experiments import code_fingerprint, source_fingerprint

    (tmp_path / "net").mkdir()
    (tmp_path / "claims").mkdir()
    (tmp_path / "net" / "kernel.py").write_text("x = 1\n")
    (tmp_path / "net" / "_cpu_kernels.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "claims" / "paper.py").write_text("y = 1\n")
    (tmp_path / "net" / "notes.txt").write_text("a\n")
    (tmp_path / "conditions.py").write_text("z = 1\n")  # assumption checks: no run reads them
    base = source_fingerprint(tmp_path)
    changes = {("net", "_cpu_kernels.c"): True, ("net", "kernel.py"): True,
               ("claims", "paper.py"): False, ("net", "notes.txt"): False,
               ("", "conditions.py"): False}
    for (folder, name), counts in changes.items():
        path = tmp_path / folder / name
        before = path.read_text()
        path.write_text(before + "/* changed */\n")
        assert (source_fingerprint(tmp_path) != base) == counts, name
        path.write_text(before)
        assert source_fingerprint(tmp_path) == base
    assert len(code_fingerprint()) == 16


def test_key_and_prefetch_of_a_builtin_experiment_before_any_get(tmp_path):
    """A fresh process (no paper module imported yet) asks Runs.key / Runs.prefetch about a
    built-in experiment: the paper modules are imported first, as Runs.get does; an unknown name
    is a TwolayerError naming it, not a bare KeyError. (Both used to raise KeyError: the
    registry was read before the papers registered their experiments.)"""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from twolayer.experiments import EXPERIMENTS, Runs\n"
        "from twolayer.errors import TwolayerError\n"
        "from twolayer.store import RecordStore\n"
        "assert 'liu2023.xor_sgd' not in EXPERIMENTS, sorted(EXPERIMENTS)\n"
        "runs = Runs(quick=True, store=RecordStore(sys.argv[1]))\n"
        "print(runs.key('liu2023.xor_sgd')['experiment'])\n"
        "print(Runs(quick=True, store=RecordStore(sys.argv[1])).prefetch(['liu2023.xor_sgd']))\n"
        "try:\n"
        "    runs.key('liu2023.xor_sdg')\n"
        "except TwolayerError as e:\n"
        "    print('error:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "store")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "liu2023.xor_sgd"
    assert lines[1] == "[]"  # one missing experiment: nothing to run in parallel
    assert lines[2].startswith("error: no experiment named 'liu2023.xor_sdg'")
    assert "did you mean 'liu2023.xor_sgd'" in lines[2]


def test_no_run_producing_module_imports_one_left_out_of_the_fingerprint() -> None:
    """The code fingerprint leaves out the modules of NOT_RUN_CODE, so editing them never
    retrains stored runs; that is right only while no module that produces runs imports the
    left-out modules of numbers (the assumption checks of `conditions.py`, the statistics, the
    store). (The package's `__init__` and `plugins.py` read the claims' and figures' registries,
    which make no run.) Read from the sources' import statements (ast), not from the code."""
    import ast
    from pathlib import Path

    from twolayer.experiments import NOT_RUN_CODE

    root = Path(__file__).resolve().parents[1] / "twolayer"
    guarded = {"conditions", "stats", "sequential", "store"}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in NOT_RUN_CODE:
            continue
        package = rel.parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                parts = [*base, *(node.module.split(".") if node.module else [])]
                names = [parts[0]] if parts else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("twolayer."):
                names = [node.module.split(".")[1]]
            else:
                continue
            offenders += [f"{rel}: {n}" for n in names if n in guarded]
    assert offenders == []
