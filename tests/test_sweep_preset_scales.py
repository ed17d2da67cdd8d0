"""A sweep spec whose preset fixes a scale (frei-fig1: init_var = 1/(32 m) at its m = 500,
sigma2 = 1/50 at its d = 50) while the spec varies or changes the size that scale was chosen
for: every point keeps the preset's value, which `simulate --preset` says in a note; a sweep
kept it silently. Oracle: the points' configs read back, and the preset's numbers by hand."""

from __future__ import annotations

import pytest

from twolayer.cli import main
from twolayer.sweep import loads

HEAD = 'name = "s"\nseeds = 1\n[base]\npreset = "frei-fig1"\ntrain.steps = 2\n'


def test_an_axis_over_m_keeps_the_presets_init_var_and_says_so() -> None:
    spec = loads(HEAD + "[axes]\nnet.m = [100, 200]\n")
    assert [p.config.net.init_var for p in spec.points()] == [1 / (32 * 500)] * 2
    assert len(spec.notes) == 1
    note = spec.notes[0]
    assert "net.init_var = 6.25e-05" in note and "axes.net.m varies" in note
    assert "base.net.init_var or axes.net.init_var" in note


@pytest.mark.parametrize("text, notes", [
    (HEAD + "[axes]\ndata.noise = [0.0, 0.1]\n", 0),  # no size moves
    (HEAD + "net.init_var = 1e-4\n[axes]\nnet.m = [100, 200]\n", 0),  # the spec sets it
    (HEAD + "[axes]\nnet.m = [100, 200]\nnet.init_var = [1e-4, 2e-4]\n", 0),  # an axis sets it
    (HEAD + "data.d = 80\n[axes]\ndata.noise = [0.0, 0.1]\n", 2),  # sigma2 and init_var follow d
    ('name = "s"\nseeds = 1\n[base]\ntrain.steps = 2\n[axes]\nnet.m = [100, 200]\n', 0),
])
def test_a_note_only_where_a_kept_scale_meets_a_moved_size(text: str, notes: int) -> None:
    assert len(loads(text).notes) == notes


def test_the_sweep_command_prints_the_note(tmp_path, capsys) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(HEAD + "[axes]\nnet.m = [100, 200]\n")
    assert main(["sweep", str(spec), "--dry-run", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "twolayer sweep: note: base.preset frei-fig1 fixes net.init_var" in err
    assert not (tmp_path / "out").exists()
