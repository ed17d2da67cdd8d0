"""Bad input and misleading output found by a new-user audit of the README and the guide
(session 35): each is refused with one line naming the flag or spec key, the value and what is
valid, exit status 2 and nothing written, or is said as it is."""

from __future__ import annotations

import pytest
from cli_helpers import assert_refused, run

SPEC_BASE = ("seeds = 1\n[base]\ndata.d = 4\ndata.n = 8\ndata.n_test = 8\nnet.m = 2\n"
             "train.steps = 1\nprobe.num_times = 2\n[run]\nbaselines = false\n")


# -- sweep: a probe that does not apply to a point's data ------------------------------------
@pytest.mark.parametrize("probes", ['["vashisht"]', '["errors", "frei_neurons"]'])
@pytest.mark.parametrize("dry", [True, False])
def test_sweep_probe_that_does_not_apply_is_refused_before_anything_is_written(
        tmp_path, capsys, probes, dry):
    """probe.probes = ["vashisht"] on XOR points passed --dry-run ("would train 1 points") and
    the real run then failed at the first engine call naming "--probes" (no spec key), after it
    had written spec.toml, points.csv and summary.* into --out: the corrected spec was then
    refused for that --out ("is not a sweep store ... holds spec.toml")."""
    data = "" if "vashisht" in probes else "data.kind = [\"clusters\"]\n"
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC_BASE + f"[axes]\n{data}probe.probes = [{probes}]\n")
    out = tmp_path / "st"
    code, stdout, err = run(["sweep", str(spec), "--out", str(out)]
                            + (["--dry-run"] if dry else []), capsys)
    name = "vashisht" if "vashisht" in probes else "frei_neurons"
    assert_refused(code, stdout, err, [str(spec), "probe.probes", name, "needs --data",
                                       "point 0"], out)


def test_sweep_probe_check_leaves_fitting_points_alone(tmp_path, capsys):
    """The check refuses only the points a probe does not fit: lms points with vashisht run."""
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC_BASE.replace("data.d = 4", "data.d = 6") + "[axes]\n"
                    'data.kind = ["lms"]\nprobe.probes = [["errors", "vashisht"]]\n')
    code, _, err = run(["sweep", str(spec), "--out", str(tmp_path / "st"), "--quiet"], capsys)
    assert code == 0, err
    assert len(list((tmp_path / "st" / "records").iterdir())) == 1


def test_sweep_probe_check_draws_a_small_run_not_the_points_size(tmp_path, capsys,
                                                                  monkeypatch):
    """The check drew one run at the point's own size before any memory check: a spec of
    10^7 points and 10^5 neurons a run (which the memory check refuses) sat drawing its data;
    it draws at most 64 points (train and test) and 8 neurons, d as given."""
    import importlib

    simulate_module = importlib.import_module("twolayer.simulate")
    sizes, setup = [], simulate_module.setup

    def recording(cfg):  # type: ignore[no-untyped-def]
        sizes.append((cfg.data.n, cfg.data.n_test, cfg.net.m, cfg.data.d, cfg.seeds))
        return setup(cfg)

    monkeypatch.setattr(simulate_module, "setup", recording)
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC_BASE.replace("data.n = 8", "data.n = 100000").replace(
        "net.m = 2", "net.m = 300") + '[axes]\nprobe.probes = [["vashisht"]]\n')
    code, stdout, err = run(["sweep", str(spec), "--out", str(tmp_path / "st"), "--dry-run"],
                            capsys)
    assert_refused(code, stdout, err, ["probe.probes", "vashisht"], tmp_path / "st")
    assert sizes == [(64, 8, 8, 4, 1)]


# -- the parent of `simulate --out records/` is no record store ------------------------------
TINY = ["--d", "4", "--n", "8", "--n-test", "8", "--m", "2", "--steps", "1", "--num-times", "2"]


@pytest.mark.parametrize("argv", [["show"], ["conditions", "--record"],
                                  ["check", "liu2023", "--record"]])
def test_parent_of_saved_records_is_named_as_such_not_as_a_store(tmp_path, capsys, argv):
    """`twolayer show .` beside the README's `simulate --out records/` said "is a record store
    (its records/ holds the runs that twolayer check or a sweep keeps)": the folder holds the
    user's own saved record, and the message now names the path to give."""
    code, _, err = run(["simulate", *TINY, "--out", str(tmp_path / "records")], capsys)
    assert code == 0, err
    code, out, err = run([*argv, str(tmp_path)], capsys)
    assert_refused(code, out, err, ["is not a record", "saved by twolayer simulate",
                                    f"give {tmp_path / 'records'}"], tmp_path / "nothing")
    assert "record store" not in err


# -- the summary table of probes it has no rows for ------------------------------------------
def test_simulate_and_show_say_where_the_arrays_are_when_the_table_has_no_rows(tmp_path, capsys):
    """`simulate --probes liu` printed the header "mean over seeds  t=0  t=1  t=3" and no row
    under it (the table's rows come from errors, correlations and segments), and without --out
    the measurements were gone without a word."""
    code, out, err = run(["simulate", *TINY, "--probes", "liu"], capsys)
    assert code == 0, err
    assert "mean over seeds" not in out
    assert "no table rows: the probes measured (liu)" in out
    assert "kept only with --out DIR" in out
    rec = tmp_path / "with space"
    code, out, err = run(["simulate", *TINY, "--probes", "liu", "--out", str(rec)], capsys)
    assert code == 0, err
    (path,) = rec.iterdir()
    assert f"in the record {path} (`twolayer show '{path}' --json`" in out
    code, out, err = run(["show", str(rec)], capsys)
    assert code == 0, err
    assert f"(`twolayer show '{rec}' --json` lists them)" in out  # quoted for the shell
    assert "mean over seeds" not in out and "no table rows" in out
    # a table with rows keeps its header
    code, out, err = run(["simulate", *TINY], capsys)
    assert "mean over seeds" in out and "no table rows" not in out


# -- floats written beyond a float ------------------------------------------------------------
@pytest.mark.parametrize("value, words", [
    ("1e400", ["'1e400'", "beyond the range of a float", "1.798e+308"]),
    ("-1e400", ["'-1e400'", "beyond the range"]),
    ("1e-400", ["'1e-400'", "below the smallest float", "read as 0"]),
])
@pytest.mark.parametrize("flag", ["--lr", "--noise", "--sigma2"])
def test_float_flags_echo_an_out_of_range_value_as_typed(tmp_path, capsys, flag, value, words):
    """`--lr 1e400` was refused as "--lr inf is invalid" and `--lr 1e-400` as "--lr 0.0 is
    invalid": values the user never typed."""
    code, out, err = run(["simulate", *TINY, flag, value, "--out", str(tmp_path / "o")], capsys)
    assert_refused(code, out, err, [flag, *words], tmp_path / "o")
    assert " inf " not in err and "0.0" not in err


@pytest.mark.parametrize("value, expected", [("inf", "inf"), ("0", "0"), ("1/50", None)])
def test_float_flags_still_take_inf_zero_and_fractions(capsys, tmp_path, value, expected):
    """inf and 0 typed as such still reach the flag's own check, and fractions still parse."""
    code, out, err = run(["simulate", *TINY, "--lr", value, "--quiet"], capsys)
    if expected is None:
        assert code == 0, err
    else:
        assert code == 2 and f"--lr {expected} is invalid" in err


# -- --probes given twice with two lists ------------------------------------------------------
@pytest.mark.parametrize("argv", [["simulate", *TINY]])
def test_probes_given_twice_with_two_lists_is_refused(tmp_path, capsys, argv):
    """argparse kept the last list without a word: `--probes errors --probes segments` measured
    segments only, where a combination was meant (--plugin and figures --only accumulate)."""
    out = tmp_path / "o"
    code, stdout, err = run([*argv, "--probes", "errors", "--probes", "segments", "--out",
                             str(out)], capsys)
    assert_refused(code, stdout, err, ["--probes", "given twice", "'errors'", "'segments'",
                                       "comma-separated"], out)


def test_probes_given_twice_with_one_list_still_runs(capsys):
    """The same list twice is no conflict (a script that appends a flag it already has)."""
    code, _, err = run(["simulate", *TINY, "--probes", "errors", "--probes", "errors",
                        "--quiet"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("value", ["-0", "-0.0", "-0e5"])
def test_a_signed_zero_is_the_setting_of_zero(tmp_path, capsys, value):
    """`--noise -0` trained and printed 'noise=-0', and its record's config said -0.0: a setting
    keyed apart from `--noise 0` for the same runs. The flag reads a signed zero as 0.0."""
    import math

    from twolayer.cli import number
    from twolayer.record import Record

    assert math.copysign(1.0, number(value)) == 1.0
    code, out, err = run(["simulate", *TINY, "--noise", value, "--out", str(tmp_path / "o")],
                         capsys)
    assert code == 0, err
    assert "noise=-0" not in out and "noise=0 " in out, out
    (saved,) = (tmp_path / "o").glob("*/record.json")
    noise = Record.load(saved.parent).config["data"]["noise"]
    assert noise == 0 and math.copysign(1.0, noise) == 1.0


@pytest.mark.parametrize("seeds, words", [(1, "; 1 seed"), (2, "; 2 seeds")])
def test_the_record_setting_counts_its_seeds_in_words(seeds, words):
    """check --record's header said '1 seeds'."""
    import numpy as np

    from twolayer.claims.on_record import record_setting
    from twolayer.record import Record

    rec = Record(config={"seeds": seeds, "data": {"kind": "xor", "d": 4}}, run_id="x",
                 times=np.arange(2))
    assert record_setting(rec).endswith(words)
