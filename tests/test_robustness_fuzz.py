"""Fuzz the CLI's input handling: every input either runs or exits 2 with exactly one line on
stderr, never a traceback (hypothesis, derandomised profile of tests/conftest.py; in-process
calls with tiny settings, so a valid input finishes in well under a second)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twolayer.cli import main

VALUES = st.sampled_from([
    "0", "1", "2", "-1", "3", "0.5", "0.49", "1e-3", "-1e-3", "nan", "inf", "-inf", "1e9",
    "1e30", "1e-320", "", " ", "abc", "1/50", "2**3", "0x10", "1_0", "-0", "1.5",
])
FLAGS = st.sampled_from([
    "--d", "--n", "--n-test", "--m", "--noise", "--sigma2", "--init-var", "--lr", "--steps",
    "--seeds", "--seed", "--num-times", "--batch-size", "--rtol", "--switch", "--threads",
    "--num-classes", "--margin", "--slabs", "--device", "--dtype", "--data", "--noise-model",
])
BASE = ["--d", "3", "--n", "8", "--n-test", "8", "--m", "2", "--steps", "1", "--num-times", "2",
        "--quiet"]


def _check(capsys, argv: list[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, (argv, err)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(FLAGS, VALUES), min_size=1, max_size=3))
def test_simulate_flags_run_or_exit_2_one_line(capsys, tmp_path, pairs):
    argv = ["simulate", *BASE]
    for flag, value in pairs:
        if flag in ("--n", "--m", "--d", "--seeds", "--n-test") and value in ("1e9", "1e30"):
            value = "1e12"  # refused by the memory estimate on any machine, never allocated
        if flag == "--steps" and value in ("1e9", "1e30"):
            value = "1e4"  # valid and run (no estimate bounds the steps): kept short here
        argv += [f"{flag}={value}"]
    _check(capsys, argv)


SPEC_KEYS = st.sampled_from([
    "seeds", "seed", "name", "bogus", "base.data.d", "base.data.n", "base.net.m",
    "base.train.steps", "base.net.init_var", "base.data.bogus", "base.preset", "run.device",
    "run.group_runs", "run.bogus", "axes.data.noise", "axes.net.m", "base.dtype", "slurm.time",
])
SPEC_VALUES = st.sampled_from([
    "1", "0", "-1", "2", "1.5", "nan", "inf", '"x"', '""', "true", "[]", "[1, 2]", "[0.1, 0.2]",
    '"cuda:7"', '"cpu"', "{start = 1, stop = 3, num = 2}", "{}", "1e-320", "100000000",
    '["a"]', '"frei-fig1"',
])
SPEC_BASE = ("[base]\ndata.d = 3\ndata.n = 8\ndata.n_test = 8\nnet.m = 2\ntrain.steps = 1\n"
             "probe.num_times = 2\n[run]\nbaselines = false\n")


def _spec_text(entries: list[tuple[str, str]]) -> str:
    top = [f"{k} = {v}" for k, v in entries if "." not in k]
    tables: dict[str, list[str]] = {}
    for k, v in entries:
        if "." in k:
            sec, rest = k.split(".", 1)
            tables.setdefault(sec, []).append(f"{rest} = {v}")
    text = "\n".join(top) + "\n"
    base = SPEC_BASE
    for sec, lines in tables.items():
        if f"[{sec}]\n" in base:
            base = base.replace(f"[{sec}]\n", f"[{sec}]\n" + "\n".join(lines) + "\n")
        else:
            base += f"[{sec}]\n" + "\n".join(lines) + "\n"
    return text + base


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(SPEC_KEYS, SPEC_VALUES), max_size=3, unique_by=lambda t: t[0]))
def test_sweep_specs_validate_or_exit_2_one_line(capsys, tmp_path, entries):
    spec = tmp_path / "s.toml"
    spec.write_text(_spec_text(entries))
    _check(capsys, ["sweep", str(spec), "--dry-run", "--out", str(tmp_path / "st")])


@pytest.mark.parametrize("text", ["", "\n", "# comment\n", "[base", "\x00\x01", "seeds = ",
                                  "[[axes]]\n", "axes = 3\n"])
def test_sweep_broken_files_exit_2_one_line(capsys, tmp_path, text):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    _check(capsys, ["sweep", str(spec), "--dry-run"])
    assert main(["sweep", str(spec), "--dry-run"]) == 2


@pytest.mark.parametrize("data", [b"\xff\xfe\x00bad", b"name = \"caf\xe9\"\n"])
def test_sweep_spec_not_utf8_exits_2_one_line_naming_the_file(capsys, tmp_path, data):
    spec = tmp_path / "s.toml"
    spec.write_bytes(data)
    _check(capsys, ["sweep", str(spec), "--dry-run"])
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    assert str(spec) in capsys.readouterr().err
