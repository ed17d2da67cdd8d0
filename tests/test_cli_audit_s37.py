"""Bad input and misleading output found by a new-user audit of the README (session 37): each
refusal names what to do, in one line, exit status 2 and nothing written."""

from __future__ import annotations

import pytest
from cli_helpers import assert_refused, run


# -- a plugin's data kind or loss without its --plugin PATH ----------------------------------
@pytest.mark.parametrize("argv,flag,value", [
    (["simulate", "--data", "parity", "--d", "15", "--k", "4"], "--data", "parity"),
    (["simulate", "--objective", "hinge"], "--objective", "hinge"),
    (["conditions", "--paper", "frei2023", "--data", "parity", "--d", "15"], "--data",
     "parity"),
])
def test_plugin_choice_without_its_plugin_names_the_plugin_flag(tmp_path, capsys, argv, flag,
                                                               value):
    """The README's `simulate --plugin examples/barak2022 --data parity ...` without its
    --plugin was refused as "argument --data: invalid choice: 'parity' (choose from 'xor',
    ...)", with no word of --plugin (an unknown --k, refused after it, says that a plugin's
    flags need their --plugin PATH): the refusal of a choice now says that a plugin's data
    kinds and losses need it."""
    from twolayer.config import data_kinds, objectives

    if value in data_kinds() or value in objectives():  # another test's plugin is loaded
        pytest.skip(f"{value} is registered in this process")
    out = tmp_path / "o"
    code, stdout, err = run([*argv, "--out", str(out)] if argv[0] == "simulate" else argv,
                            capsys)
    assert_refused(code, stdout, err, [flag, repr(value), "--plugin PATH"], out)


def test_a_plain_typo_in_a_choice_keeps_argparse_s_list(tmp_path, capsys):
    """The hint is added to the choice list, which stays: --data xr still lists xor."""
    out = tmp_path / "o"
    code, stdout, err = run(["simulate", "--data", "xr", "--out", str(out)], capsys)
    assert_refused(code, stdout, err, ["--data", "'xr'", "'xor'"], out)


# -- figures: where the phase diagrams' sweep points are kept ----------------------------------
@pytest.mark.parametrize("no_store", [False, True])
def test_figures_names_the_folder_of_the_phase_sweeps(tmp_path, capsys, monkeypatch, no_store):
    """With $TWOLAYER_STORE set to a fresh folder of the user's own, a first `twolayer figures
    --quick` said "sweep points: 0 trained, 12 read from their stores (phase-...-quick)": the
    phase diagrams keep their sweeps under $TWOLAYER_CACHE/sweeps (default ~/.cache/twolayer),
    which the README's paragraph on the record store does not name, and they had been read
    from there. The line now names the folder (or, with --no-store, that nothing is kept)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TWOLAYER_CACHE", str(cache))
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    argv = ["figures", "--quick", "--device", "cpu", "--only", "phase-amplification",
            "--out", str(tmp_path / "f")] + (["--no-store"] if no_store else [])
    code, _, err = run(argv, capsys)
    assert code == 0, err
    line = next(x for x in err.splitlines() if x.startswith("sweep points:"))
    if no_store:
        assert line == ("sweep points: 4 trained in temporary stores "
                        "(phase-amplification-quick), kept nowhere (--no-store)"), line
        assert not cache.exists()
    else:
        assert line == ("sweep points: 4 trained, 0 read from their stores "
                        f"(phase-amplification-quick) under {cache / 'sweeps'} "
                        "($TWOLAYER_CACHE/sweeps, not the record store)"), line
        assert (cache / "sweeps" / "phase-amplification-quick").is_dir()


# -- README: what `python -m proofs_check` prints and exits with -------------------------------
def test_readme_says_which_symbolic_check_fails_and_the_exit_status():
    """The README's quick start said only "# the symbolic checks"; a new user then saw "FAIL
    frei.margin_premise ... 17 passed, 1 failed" and exit status 1, and took the install for
    broken (docs/proofs_check.md calls it a finding). The README's line says it, as run."""
    import re
    from pathlib import Path

    from proofs_check import all_checks

    results = all_checks()
    failed = [r.name for r in results if not r.passed]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    said = re.search(r"python -m proofs_check +# the symbolic checks: (\d+) pass, one fails\n"
                     r" +# \((\S+), a finding about the paper's constants; exit 1", readme)
    assert said is not None
    assert int(said.group(1)) == len(results) - 1 and failed == [said.group(2)]


# -- check --record: a switch that makes no sense with it -----------------------------------
@pytest.mark.parametrize("switch", ["--quick", "--no-store", "--tf32"])
def test_check_record_refuses_a_switch_without_naming_a_value_never_typed(tmp_path, capsys,
                                                                          switch):
    """`twolayer check liu2023 --record rec/ --quick` said "--quick True is invalid: cannot be
    combined with --record ...": the user typed no True. It now says "--quick is given"."""
    code, _, err = run(["simulate", "--d", "4", "--n", "8", "--n-test", "8", "--m", "2",
                        "--steps", "1", "--num-times", "2", "--data", "clusters",
                        "--out", str(tmp_path / "rec")], capsys)
    assert code == 0, err
    report = tmp_path / "r.md"
    code, out, err = run(["check", "liu2023", "--record", str(tmp_path / "rec"), switch,
                          "--report", str(report)], capsys)
    assert_refused(code, out, err, [f"{switch} is given: cannot be combined with --record",
                                    f"drop {switch}"], report)
    assert "True" not in err


def test_an_unwritable_timings_path_is_named_a_file_path(capsys):
    """`--timings /sys/kernel/t.json` said "must be a writable directory" of a file path."""
    from twolayer.cli import main

    assert main(["simulate", "--steps", "2", "--d", "4", "--n", "10", "--m", "4", "--quiet",
                 "--timings", "/proc/t.json"]) == 2
    err = capsys.readouterr().err
    assert "--timings '/proc/t.json' is invalid: must be a file path in a writable directory" \
        in err, err


def test_a_refused_switch_reads_is_given_not_true_is_invalid(capsys):
    """`--rotate` with --data lms said "--rotate True is invalid": the user typed no True
    (session 48). A True given through the API for a number (``DataConfig(d=True)``) still
    reads "--d True is invalid" (tests/test_mut_cond.py)."""
    from twolayer.cli import main

    assert main(["simulate", "--data", "lms", "--rotate", "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--rotate is given: only --data xor or gaussian can be rotated" in err, err
    assert "True" not in err


def test_conditions_names_every_flag_it_reads_and_prints_t_to_ten_digits(capsys):
    """`conditions --steps 10` listed only the flags read at any value, though --noise-model,
    --second-layer, --bias, ... are read at Theorem 1's values; `--lr 1e6` printed
    "T = 1 + 1/(4 alpha) = 1, not a whole number" (1.00000025 at four digits)."""
    from twolayer.cli import main

    assert main(["conditions", "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert "(and --noise-model, --second-layer" in err and "at the values Theorem 1" in err
    assert main(["conditions", "--lr", "1e6"]) in (0, 1)
    out = capsys.readouterr().out
    assert "T = 1 + 1/(4 alpha) = 1.00000025, not a whole number" in out, out
