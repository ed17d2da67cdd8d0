"""Plugin mistakes a new user made in session 48 that gave a traceback (exit status 1), a
silently wrong record, or a replaced figure: each is now one line naming the plugin's file and
line (or the flag and the kinds that declare it), exit status 2, nothing written.

- a data kind's ``Flag`` named like a common setting field (``--noise``, ``--lr``): argparse's
  "conflicting option string" traceback in every command that has the setting flags;
- one named like another flag of a command (``--out``): the same traceback;
- ``Flag(type=list)``: accepted, and the record stored the flag's text ("1,2");
- a data config's ``check`` that raises anything but ``ConfigError``: a traceback, in
  ``simulate`` and in ``sweep --dry-run``;
- a figure that overwrites a file in ``--out`` and then raises: the file stayed overwritten
  (a half-made PNG under the name of the last good one, which the index still described).

The data kinds run in child processes (a registered kind stays registered in a process)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from plugin_helpers import FIGURE, forgetting
from slow_pairs import taking_turns

from twolayer.cli import main

ROOT = Path(__file__).resolve().parent.parent

KIND = '''
from dataclasses import dataclass

import torch

from twolayer.api import DataConfig, DataKind, Flag, iid_sampler, register_data_kind


def draw(cfg, n, extras, gen, dtype):
    x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
    y = torch.where(x[:, 0] > 0, 1, -1)
    return x, y, (y > 0).long()


@dataclass(frozen=True)
class Mine(DataConfig):
    kind: str = "mine48"
    {field}

    def check(self):
        {check}


sampler = iid_sampler(lambda c, g, t: {{}}, draw)
register_data_kind(DataKind("mine48", Mine, sampler, flags=({flag},)))  # the registration
'''


def _kind(tmp_path: Path, field: str, flag: str, check: str = "pass") -> Path:
    f = tmp_path / "mine48.py"
    f.write_text(KIND.format(field=field, flag=flag, check=check))
    return f


def _twolayer(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TWOLAYER_STORE": str(tmp_path / "store"), "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "twolayer", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _one_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    return out.stderr


# `make test` names each setting once, the two commands taking turns; the other three pairs run
# under `make test-slow`
@pytest.mark.parametrize("name,type_,command", taking_turns(
    [("noise", "float"), ("lr", "float"), ("m", "int")], [("simulate",), ("conditions",)]))
def test_a_flag_named_like_a_common_setting_is_refused_where_it_registers(
        tmp_path, command, name, type_):
    f = _kind(tmp_path, f"{name}: {type_} = 1", f'Flag("{name}", {type_}, "mine")')
    err = _one_line(_twolayer(tmp_path, command, "--plugin", str(f), "--data", "mine48"))
    assert f"{f}:{_line(f, 'the registration')}" in err
    assert f"--{name} is one of twolayer's own setting flags already" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine48.py"]


def test_a_flag_named_like_another_flag_of_a_command_names_the_kind_and_its_file(tmp_path):
    f = _kind(tmp_path, 'out: str = "x"', 'Flag("out", str, "mine")')
    err = _one_line(_twolayer(tmp_path, "simulate", "--plugin", str(f), "--data", "mine48"))
    assert f"--out of --data mine48 ({f}:{_line(f, '@dataclass')})" in err  # its class
    assert "is a flag twolayer's commands have already" in err


@pytest.mark.parametrize("flag,says", [
    ('Flag("w", list, "mine")', "Flag(type=...) 'list' is invalid: must be int, float, str"),
    ('Flag("w", int, "mine", choices=("a", "b"))', "Flag(choices=...) ('a', 'b') is invalid"),
    ('Flag("w", str, "mine", choices=())', "Flag(choices=...) () is invalid"),
    ('"w"', "DataKind(flags=...) 'w' is invalid: must be a tuple of Flag"),
    ('Flag("ww", str, "mine")', "DataKind(flags=...) 'ww' is invalid: is not a field of Mine"),
])
def test_a_flag_of_a_type_a_command_line_cannot_give_is_refused(tmp_path, flag, says):
    """``Flag(type=list)`` was accepted and stored the flag's text in the record."""
    f = _kind(tmp_path, "w: str = '1'", flag)
    err = _one_line(_twolayer(tmp_path, "simulate", "--plugin", str(f), "--data", "mine48",
                              "--out", "rec"))
    assert says in err and f"{f}:{_line(f, 'the registration')}" in err
    assert not (tmp_path / "rec").exists()


def test_a_config_check_that_raises_names_its_line_in_simulate_and_in_a_sweep(tmp_path):
    f = _kind(tmp_path, "w: float = 1.0", 'Flag("w", float, "mine")',
              check='if self.w < 0: raise ValueError("w must be >= 0")  # the bug')
    err = _one_line(_twolayer(tmp_path, "simulate", "--plugin", str(f), "--data", "mine48",
                              "--w", "-1", "--steps", "2", "--out", "rec"))
    where = f"{f}:{_line(f, 'the bug')}"
    assert f"data kind 'mine48': its config's check ({where}) raised ValueError: w must be " \
           ">= 0" in err
    assert not (tmp_path / "rec").exists()
    spec = tmp_path / "spec.toml"
    spec.write_text(textwrap.dedent(f'''
        plugins = ["{f.name}"]
        [base]
        data.kind = "mine48"
        data.d = 5
        data.n = 20
        net.m = 4
        train.steps = 2
        [axes]
        data.w = [1.0, -2.0]
    '''))
    err = _one_line(_twolayer(tmp_path, "sweep", str(spec), "--dry-run"))
    assert f"{spec}: at data.w=-2.0: data kind 'mine48': its config's check ({where})" in err
    # with w >= 0 the kind works: the refusal is the check's, not the plugin's
    ok = _twolayer(tmp_path, "simulate", "--plugin", str(f), "--data", "mine48", "--w", "2",
                   "--steps", "2", "--d", "4", "--n", "10", "--n-test", "10", "--m", "4",
                   "--quiet")
    assert ok.returncode == 0, ok.stderr


@pytest.fixture
def paper(request):
    with forgetting("mist48" + request.node.name.split("[")[0][-8:].replace("_", "")) as name:
        yield name


def test_a_figure_that_overwrites_then_raises_leaves_the_files_as_they_were(tmp_path, paper,
                                                                           capsys):
    """The last good drawing and a file of the folder stay byte for byte; nothing of the
    failed figure, nor its staging folder, is left."""
    f = tmp_path / "fig.py"
    body = ('path.write_bytes(b"half"); (Path(out_dir) / "keep.txt").write_text("over"); '
            'return 1 / 0')
    f.write_text(textwrap.dedent(FIGURE).format(paper=paper, body=body))
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{paper}-fig.png").write_bytes(b"the last good drawing")
    (out / "keep.txt").write_text("mine")
    before = sorted(p.name for p in out.iterdir())
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 2
    assert "raised ZeroDivisionError" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / f"{paper}-fig.png").read_bytes() == b"the last good drawing"
    assert (out / "keep.txt").read_text() == "mine"


def test_a_figure_that_succeeds_replaces_the_old_drawing(tmp_path, paper, capsys):
    f = tmp_path / "fig.py"
    body = 'path.write_bytes(b"new"); return [path]'
    f.write_text(textwrap.dedent(FIGURE).format(paper=paper, body=body))
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{paper}-fig.png").write_bytes(b"old")
    assert main(["figures", str(f), "--quick", "--no-store", "--quiet", "--out", str(out)]) == 0
    assert (out / f"{paper}-fig.png").read_bytes() == b"new"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    import json

    index = json.loads((out / "index.json").read_text())
    assert index["figures"][f"{paper}-fig"]["files"] == [f"{paper}-fig.png"]


def test_an_experiment_that_raises_is_named_in_its_claims_error(tmp_path, paper):
    """It read "the check raised RuntimeError: ..." (at the experiment's line): the check was
    blamed for its experiment's bug."""
    from twolayer.claims import CLAIMS
    from twolayer.claims.base import judge
    from twolayer.experiments import Runs
    from twolayer.plugins import load_path

    f = tmp_path / "expbug.py"
    f.write_text(textwrap.dedent(f'''
        from twolayer.api import claim, experiment, outcome


        @experiment("{paper}.runs")
        def runs_(quick, seeds, runtime):
            raise RuntimeError("exp bug")  # the bug


        @claim("{paper}.c.reads", "x", "Lemma 0", "[PAPER]")
        def reads(runs):
            runs.get("{paper}.runs")
            return outcome("inconclusive", None, "-", None, 0, "-")
    '''))
    load_path(f)
    v = judge(CLAIMS[f"{paper}.c.reads"], Runs(quick=True, store=None))
    assert v.verdict == "error"
    assert v.detail == (f"the experiment '{paper}.runs' it reads raised RuntimeError: exp bug "
                        f"(at {f}:{_line(f, 'the bug')})"), v.detail
