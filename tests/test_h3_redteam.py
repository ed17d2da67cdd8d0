"""Bad input found by a red-team pass over docs/cli.md (helper h3, 2026-12-07).

Oracle: the charter's contract for bad input and damaged records ("one line naming the flag
or file, the value and the valid range, exit status 2, nothing written"; "a damaged record is
detected, never used"), with the values, keys and words written out here by hand:

- a sweep range whose ``step`` is so small that ``(stop - start) / step`` overflows a float
  (``step = 5e-324``) was an OverflowError traceback (exit 1), not the "at most 100000 values"
  refusal a merely large count gets;
- a ``record.json`` nested deeper than the JSON decoder recurses (``[[[...]]]``, 100000 deep:
  a file of another tool, or damage) was a RecursionError traceback in every record reader
  (``show``, ``check --record``, ``conditions --record``, ``store verify``, a sweep reading its
  store), where a truncated one is "record.json is unreadable" (exit 2; verify: exit 1);
- ``store verify DIR --dry-run`` said "--dry-run True is invalid", a value never typed;
- ``check --seeds auto --time-budget 1e309`` said "--time-budget inf is invalid" and
  ``--time-budget 5`` without ``--seeds auto`` "--time-budget 5.0 is invalid" (the flag was
  parsed by ``float``, not by the setting flags' ``number``);
- a sweep spec's top-level ``seed`` beyond its range, with an axis, was refused with "(at the
  point ...; seed is not set in the spec: its default)", false: the spec set it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import TINY_SIMULATE, run

pytestmark = pytest.mark.usefixtures("single_thread")

# 100000 nested lists: beyond the JSON decoder's recursion limit (1000 frames by default)
DEEP_JSON = "[" * 100_000 + "]" * 100_000

SPEC = """seeds = 1
[base]
data.d = 5
data.n = 20
data.n_test = 20
net.m = 4
train.steps = 5
probe.probes = ["errors"]
[axes]
"""


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A folder holding one record of ``simulate --out``."""
    root = tmp_path_factory.mktemp("h3") / "rec"
    from twolayer.cli import main

    assert main(["simulate", *TINY_SIMULATE, "--out", str(root)]) == 0
    return root


def deep_copy_of(saved: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ``saved`` whose record.json is :data:`DEEP_JSON`; (folder, record folder)."""
    rec = tmp_path / "rec"
    shutil.copytree(saved, rec)
    (record,) = [p for p in rec.iterdir() if p.is_dir()]
    (record / "record.json").write_text(DEEP_JSON)
    return rec, record


@pytest.mark.parametrize("step", ["5e-324", "1e-320"])
def test_a_range_step_whose_count_overflows_is_refused_naming_the_axis(tmp_path, capsys,
                                                                       step) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC + f"data.noise = {{start = 0.0, stop = 0.4, step = {step}}}\n")
    out = tmp_path / "out"
    code, stdout, err = run(["sweep", str(spec), "--out", str(out), "--quiet"], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "axes.data.noise" in line and "at most 100000 values" in line, line
    assert not out.exists()


@pytest.mark.parametrize("argv", [["show"], ["check", "frei2023", "--record"],
                                  ["conditions", "--paper", "frei2023", "--record"]])
def test_a_record_json_nested_too_deep_is_a_damaged_record(saved, tmp_path, capsys,
                                                          argv) -> None:
    rec, record = deep_copy_of(saved, tmp_path)
    before = sorted(p.name for p in record.iterdir())
    code, stdout, err = run([*argv, str(rec)], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "record.json is unreadable" in line and record.name in line, line
    assert sorted(p.name for p in record.iterdir()) == before


def test_store_verify_names_a_record_json_nested_too_deep(saved, tmp_path, capsys) -> None:
    rec, record = deep_copy_of(saved, tmp_path)
    code, stdout, err = run(["store", "verify", str(rec)], capsys)
    assert code == 1, err
    assert "Traceback" not in err
    assert "0 intact" in stdout and record.name in stdout, stdout


def test_a_sweep_quarantines_a_stored_record_nested_too_deep_and_trains_it_again(
        tmp_path, capsys) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC + "data.noise = [0.0, 0.1]\n")
    out = tmp_path / "out"
    argv = ["sweep", str(spec), "--out", str(out), "--quiet"]
    assert run(argv, capsys)[0] == 0
    damaged = sorted((out / "records").iterdir())[0]
    (damaged / "record.json").write_text(DEEP_JSON)
    code, stdout, err = run(argv, capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert any((out / "quarantine").iterdir())
    assert (damaged / "record.json").read_text() != DEEP_JSON  # trained and stored again


def test_store_verify_dry_run_names_the_switch_not_a_value(saved, capsys) -> None:
    code, stdout, err = run(["store", "verify", str(saved), "--dry-run"], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "--dry-run is given" in line and "store prune" in line, line
    assert "True" not in line, line


@pytest.mark.parametrize("argv, shown", [
    (["--seeds", "auto", "--time-budget", "1e309"], "'1e309'"),  # not "inf"
    (["--time-budget", "5"], "--time-budget 5 is invalid"),  # not "5.0"
    (["--seeds", "auto", "--time-budget", "-2"], "--time-budget -2 is invalid"),
])
def test_check_time_budget_is_refused_as_written(tmp_path, capsys, argv, shown) -> None:
    code, stdout, err = run(["check", "frei2023", "--quick", "--no-store", *argv], capsys)
    assert code == 2, err
    line = one_line(err)
    assert shown in line and "--time-budget" in line, line
    assert "inf" not in line.replace("info", ""), line
    assert "5.0" not in line and "-2.0" not in line, line


def test_a_sweep_seed_beyond_its_range_is_not_called_unset(tmp_path, capsys) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text("seed = 9223372036854775807\n" + SPEC + "data.noise = [0.0, 0.1]\n")
    out = tmp_path / "out"
    code, stdout, err = run(["sweep", str(spec), "--out", str(out), "--quiet"], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "seed = 9223372036854775807 is invalid" in line, line
    assert "[0, 9223372036853775807]" in line, line  # SEED_MAX - 10^6, typed by hand
    assert "not set in the spec" not in line, line
    assert not out.exists()


@pytest.mark.parametrize("inside", [False, True])
def test_sweep_out_refuses_a_folder_of_records_saved_by_simulate(saved, tmp_path, capsys,
                                                                  inside) -> None:
    """``sweep --out DIR`` where DIR holds ``simulate --out`` records (or is one record's
    folder) made a sweep store beside them: exit 0, and ``store verify DIR`` then said "2
    intact" for the sweep's records and passed over the user's record (not under records/)."""
    rec = tmp_path / "rec"
    shutil.copytree(saved, rec)
    (record,) = [p for p in rec.iterdir() if p.is_dir()]
    out = record if inside else rec
    before = sorted(str(p.relative_to(rec)) for p in rec.rglob("*"))
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC + "data.noise = [0.0, 0.1]\n")
    code, stdout, err = run(["sweep", str(spec), "--out", str(out), "--quiet"], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "--out" in line and str(out) in line and "simulate --out" in line, line
    assert sorted(str(p.relative_to(rec)) for p in rec.rglob("*")) == before


@pytest.mark.parametrize("typed", ["0", "1/2", "0.50"])
def test_conditions_delta_is_refused_as_written(capsys, typed) -> None:
    """``conditions --delta 0`` said "--delta 0.0 is invalid", a value never typed."""
    code, stdout, err = run(["conditions", "--delta", typed], capsys)
    assert code == 2, err
    line = one_line(err)
    assert f"--delta {typed} is invalid: valid range is (0, 0.5)" in line, line


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000,
                                  "a = " + "{b = " * 5000 + "1" + "}" * 5000])
def test_a_spec_nested_too_deep_for_the_toml_parser_is_one_line(tmp_path, capsys, text) -> None:
    """tomllib parses nested arrays and inline tables recursively: a spec nested 5000 deep
    was a RecursionError traceback (exit 1) where any other unreadable spec is exit 2."""
    spec = tmp_path / "deep.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    code, stdout, err = run(["sweep", str(spec), "--out", str(out), "--dry-run"], capsys)
    assert code == 2, err
    line = one_line(err)
    assert "SPEC.toml" in line and "deep.toml" in line and "nest too deeply" in line, line
    assert not out.exists()


def _special(tmp_path: Path, kind: str) -> Path:
    """A named pipe, or a character device like /dev/null (1, 3: needs root; else skipped)."""
    import os
    import stat

    path = tmp_path / f"special-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("creating a device node needs root")
    return path


def _mode(path: Path) -> int:
    import os
    import stat

    return stat.S_IFMT(os.lstat(path).st_mode)


@pytest.mark.parametrize("kind", ["fifo", "chr"])
@pytest.mark.parametrize("flag, argv", [
    ("--timings", ["simulate", "--d", "3", "--n", "4", "--n-test", "4", "--m", "2", "--steps",
                   "1", "--quiet", "--timings"]),
    ("--report", ["check", "frei2023", "--quick", "--no-store", "--report"]),
    ("--out", ["bench", "--quick", "--out"]),
    ("--doc", ["bench", "--quick", "--doc"]),
])
def test_an_output_path_that_is_a_pipe_or_a_device_is_refused_not_replaced(
        tmp_path, capsys, kind, flag, argv) -> None:
    """The writers rename a temporary over their path: ``--timings /dev/null`` as root replaced
    the device with a regular file (and a named pipe likewise); refused before any work now."""
    path = _special(tmp_path, kind)
    before = _mode(path)
    code, stdout, err = run([*argv, str(path)], capsys)
    assert code == 2, err
    line = one_line(err)
    assert flag in line and str(path) in line and "not a regular file" in line, line
    assert _mode(path) == before  # still the pipe or the device
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("command", [["figures", "--list"], ["check", "frei2023", "--list"]])
@pytest.mark.parametrize("flag, value, words", [
    ("--threads", "0", ["an integer >= 1 and <= 1024, or auto"]),
    ("--budget", "0", ["an integer >= 1"]),
    ("--budget", "nan", ["an integer >= 1"]),
])
def test_list_refuses_bad_runtime_flags_as_a_real_run_does(capsys, command, flag, value,
                                                            words) -> None:
    """``--list`` "refuses the flags a real run would" (its comment): it refused --device tpu
    but listed with --threads 0 or --budget nan, exit 0."""
    code, stdout, err = run([*command, flag, value], capsys)
    assert code == 2, err
    line = one_line(err)
    assert f"{flag} {value}" in line, line
    for w in words:
        assert w in line, line
    assert stdout == ""
