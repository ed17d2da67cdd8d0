"""Wrong spec inputs found by a new-user audit of docs/sweeps.md (2026-12-06).

Oracle: the documented contract for bad input ("one line naming the key, exit status 2, and
no store directory created"), with the keys and values written out by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sweep_helpers import TINY_BASE

from twolayer.cli import main


def run_bad(tmp_path, capsys, text: str) -> str:
    spec = tmp_path / "bad.toml"
    spec.write_text("seeds = 1\n" + text)
    out = tmp_path / "out"
    rc = main(["sweep", str(spec), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert not out.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("field, rng", [
    ("net.m", "{start = 8, stop = 16, step = inf}"),  # used to be a ValueError traceback
    ("data.noise", "{start = 0.0, stop = 0.2, step = inf}"),  # used to name "= nan"
    ("net.init_var", "{start = 0.01, stop = 0.1, step = inf}"),
])
def test_an_infinite_range_step_is_refused_naming_the_step(tmp_path, capsys, field,
                                                           rng) -> None:
    line = run_bad(tmp_path, capsys, TINY_BASE + f"[axes]\n{field} = {rng}\n")
    assert f"axes.{field}.step = inf is invalid" in line, line
    assert "finite" in line, line


@pytest.mark.parametrize("text, key", [
    ('data.kind = "xorr"\n', "base.data.kind"),  # appended to [base]
    ('[axes]\ndata.kind = ["xor", "xorr"]\n', "axes.data.kind"),
])
def test_an_unknown_data_kind_names_its_spec_key(tmp_path, capsys, text, key) -> None:
    line = run_bad(tmp_path, capsys, TINY_BASE + text)
    assert f': {key} = "xorr" is invalid: valid choices are' in line, line


@pytest.mark.parametrize("flag", ["--force", "--dry-run"])
def test_verify_with_a_contradicting_switch_names_no_value_never_typed(tmp_path, capsys,
                                                                       flag) -> None:
    """`sweep --verify --force` said "--force True is invalid: ...": the user typed no True."""
    spec = tmp_path / "s.toml"
    spec.write_text("seeds = 1\n" + TINY_BASE)
    out = tmp_path / "out"
    rc = main(["sweep", str(spec), "--out", str(out), "--verify", flag])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert err.strip().splitlines() == [
        f"twolayer sweep: error: {flag} is given: cannot be combined with --verify, "
        + ("which trains nothing: there is nothing to retrain" if flag == "--force" else
           "which moves damaged records aside, while a dry run writes nothing")
        + " (drop one of the two)"], err


def test_a_range_whose_values_round_to_repeats_says_so(tmp_path, capsys) -> None:
    """A range 1e-13 wide said only "values must be distinct", of a table that names no value
    twice: range values are kept to 12 significant digits, and 0.1 + k * 5e-14 are all 0.1."""
    line = run_bad(tmp_path, capsys, TINY_BASE + "[axes]\nnet.init_var = "
                   "{start = 0.1, stop = 0.1000000000001, num = 3}\n")
    assert "axes.net.init_var = " in line, line
    assert "the range gives [0.1, 0.1, 0.1] (rounded to 12 significant digits)" in line, line


@pytest.mark.parametrize("executor, package", [("dask", "distributed"), ("slurm", "submitit")])
@pytest.mark.parametrize("dry", [[], ["--dry-run"]])
def test_an_executor_package_that_does_not_import_is_one_line(tmp_path, capsys, monkeypatch,
                                                              executor, package, dry) -> None:
    """A distributed (or submitit) that is installed but fails to import (a version mismatch
    with its dependencies) passed the dry run, which only looked for it, and the real run
    ended in the ImportError's traceback. Both now stop with one line naming --executor."""
    broken = tmp_path / "site" / package
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('cannot import name x from y')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    spec = tmp_path / "s.toml"
    spec.write_text("seeds = 1\n" + TINY_BASE + '[slurm]\ncluster = "local"\n')
    out = tmp_path / "out"
    rc = main(["sweep", str(spec), "--executor", executor, "--out", str(out), *dry])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists(), err
    assert err.strip().splitlines() == [
        f"twolayer sweep: error: --executor '{executor}' is invalid: needs the {package} "
        f"package that imports (importing it failed: ImportError: cannot import name x from "
        f"y): pip install 'twolayer[{executor}]'"], err


BARAK = Path(__file__).resolve().parents[1] / "examples" / "barak2022"


def test_a_setting_the_spec_leaves_out_is_named_by_its_spec_key(tmp_path, capsys) -> None:
    """The parity data kind (examples/barak2022) needs train.batch_size; a spec without it
    said "batch_size = None is invalid": the bare field and a value nobody wrote. The example
    is registered for the test (barak_example): an earlier test module may have removed its
    data kind from the plugin, which stays loaded."""
    from plugin_helpers import barak_example

    with barak_example(setting_reader=False):
        line = run_bad(tmp_path, capsys, f'plugins = ["{BARAK}"]\n' + TINY_BASE
                       + 'data.kind = "parity"\n')
    assert ": base.train.batch_size is not given: " in line, line
    assert "None" not in line, line


def test_a_range_without_its_start_says_it_is_not_given(tmp_path, capsys) -> None:
    line = run_bad(tmp_path, capsys, TINY_BASE + "[axes]\ndata.noise = {stop = 0.2, num = 2}\n")
    assert line.endswith(": axes.data.noise.start is not given: must be a finite number"), line


def test_a_spec_saved_with_a_byte_order_mark_reads_as_without(tmp_path) -> None:
    """An editor's UTF-8 byte-order mark made every spec "not valid TOML (Invalid statement
    (at line 1, column 1))". Oracle: the same file without the mark."""
    from twolayer.sweep import load

    text = "seeds = 2\n" + TINY_BASE + "[axes]\ndata.noise = [0.0, 0.1]\n"
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(text, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    a, b = load(plain), load(marked)
    assert [p.run_id for p in a.points()] == [p.run_id for p in b.points()]
    assert b.text == text


@pytest.mark.parametrize("field", ["net.m", "net.init_var"])
def test_a_range_whose_width_overflows_is_refused_naming_it(tmp_path, capsys, field) -> None:
    """1e308 - (-1e308) is inf in floating point (> 1.8e308): the inner values were nan, a
    ValueError traceback on an integer field."""
    line = run_bad(tmp_path, capsys, TINY_BASE + f"[axes]\n{field} = "
                   "{start = -1e308, stop = 1e308, num = 3}\n")
    assert f": axes.{field} = " in line and "stop - start must be a finite number" in line, line


@pytest.mark.parametrize("device", ["gpu", "cudax"])
def test_a_bad_run_device_lists_the_same_choices_whatever_the_typo(tmp_path, capsys,
                                                                   device) -> None:
    """run.device = "gpu" listed "auto, cpu, cuda" while "cudax" listed "auto, cpu, cuda,
    cuda:N" (and --device says the latter): cuda:N is valid, so both list it."""
    line = run_bad(tmp_path, capsys, TINY_BASE + f'[run]\ndevice = "{device}"\n')
    assert line.endswith(f': run.device = "{device}" is invalid: valid choices are auto, cpu, '
                         "cuda, cuda:N"), line
