"""A sweep stopped before its first point leaves spec.toml and .lock in --out; the same command
resumes (session 48), but after an edit of the spec the folder was refused as "not a sweep
store ... holds spec.toml", which read as if the user had pointed --out at a project folder.
The refusal now says what the folder is and what to do; the old spec.toml is not replaced (it
may be the user's own spec, run into its own folder)."""

from __future__ import annotations

import pytest
from sweep_helpers import TINY_BASE

from twolayer.cli import main

SPEC = "seeds = 1" + TINY_BASE + "[axes]\ndata.noise = [0.1, 0.2]\n"


def test_an_edited_spec_after_a_stop_before_the_first_point_is_refused_saying_what_to_do(
        tmp_path, capsys) -> None:
    out = tmp_path / "st"
    out.mkdir()
    (out / ".lock").write_text("")  # what the stopped run left: its lock and its spec
    (out / "spec.toml").write_text(SPEC)
    edited = tmp_path / "s.toml"
    edited.write_text(SPEC.replace("0.2]", "0.3]"))
    assert main(["sweep", str(edited), "--out", str(out), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "stopped before it stored a point" in err and f"remove {out / 'spec.toml'}" in err
    assert (out / "spec.toml").read_text() == SPEC  # not replaced
    (out / "spec.toml").unlink()
    assert main(["sweep", str(edited), "--out", str(out), "--dry-run"]) == 0
    # without the lock it is a folder that is not a sweep store: the older message
    other = tmp_path / "proj"
    other.mkdir()
    (other / "spec.toml").write_text(SPEC)
    capsys.readouterr()
    assert main(["sweep", str(edited), "--out", str(other), "--dry-run"]) == 2
    assert "is not a sweep store" in capsys.readouterr().err


DUP_BASE = "seeds = 1\n[base]\ndata.n = 40\nnet.m = 8\ntrain.steps = 2\n"


@pytest.mark.parametrize("lines", ['data.d = 10\n"data.d" = 30\n', '"data.d" = 30\ndata.d = 10\n'])
def test_a_base_key_spelt_twice_is_refused(tmp_path, capsys, lines) -> None:
    """TOML takes data.d and "data.d" as two keys; both name one field, and the later replaced
    the earlier without a word (session 49's helper: the point trained with d = 30)."""
    spec = tmp_path / "dup.toml"
    spec.write_text(DUP_BASE + lines)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "base.data.d = " in err and "given twice" in err
    assert "10" in err and "30" in err  # both values named
    assert not (tmp_path / "o").exists()


def test_an_axis_spelt_twice_is_refused(tmp_path, capsys) -> None:
    spec = tmp_path / "dup.toml"
    spec.write_text(DUP_BASE + 'data.d = 10\n[axes]\ndata.noise = [0.1]\n"data.noise" = [0.2]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "axes.data.noise = [0.2]" in err and "given twice" in err


def test_a_default_refused_at_an_axis_value_names_the_point_and_the_spec_key(tmp_path,
                                                                             capsys) -> None:
    """axes.net.outputs = 2 read "base.net.second_layer = 'frei' is invalid: K-class outputs
    need --second-layer gaussian": a key the spec does not hold, and simulate's flag."""
    spec = tmp_path / "o.toml"
    spec.write_text(DUP_BASE + "data.d = 10\n[axes]\nnet.outputs = [1, 2]\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "at the point axes.net.outputs = 2" in err and "not set in the spec" in err
    assert "net.second_layer = gaussian" in err and "--second-layer" not in err
