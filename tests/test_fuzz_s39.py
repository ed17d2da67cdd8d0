"""Hostile input found by fuzzing every command's flags one at a time (session s39): each case
must exit 2 with one line on stderr naming the flag (or positional argument) and its value,
never a traceback, and write nothing. The oracle of "this path is invalid" is the kernel
itself (``os.stat`` raising ENAMETOOLONG), not the code under test."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from twolayer.cli import main

LONG = "x" * 300  # one name over NAME_MAX (255 bytes)
DEEP = "/".join(["y" * 200] * 30)  # every name short, the path over PATH_MAX (4096)
TINY = ["--n", "8", "--d", "3", "--m", "2", "--steps", "1", "--num-times", "2", "--quiet"]


def _kernel_refuses(path: str) -> None:
    """The independent oracle: the kernel will not look the path up at all."""
    with pytest.raises(OSError) as e:
        os.stat(path)
    assert e.value.errno == errno.ENAMETOOLONG


def _one_line_exit_2(capsys, argv: list[str]) -> str:
    code = main(argv)  # a traceback here was the bug: OSError escaped main
    err = capsys.readouterr().err
    assert code == 2, (argv, code, err)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


# (argv with {p} for the bad path, the flag the message must name)
CASES = [
    (["simulate", *TINY, "--out", "{p}"], "--out"),
    (["simulate", *TINY, "--timings", "{p}"], "--timings"),
    (["show", "{p}"], "DIR"),
    (["store", "verify", "{p}"], "DIR"),
    (["store", "prune", "{p}"], "DIR"),
    (["check", "frei2023", "--record", "{p}"], "--record"),
    (["check", "frei2023", "--quick", "--report", "{p}"], "--report"),
    (["check", "{p}"], "PAPER_OR_CLAIM_OR_PLUGIN"),
    (["check", "frei2023", "--quick", "--records", "{p}"], "--records"),
    (["conditions", "--paper", "liu2023", "--record", "{p}"], "--record"),
    (["figures", "--quick", "--out", "{p}"], "--out"),
    (["bench", "--quick", "--out", "{p}"], "--out"),
    (["bench", "--quick", "--doc", "{p}"], "--doc"),
]


@pytest.mark.parametrize("bad", [LONG, DEEP], ids=["name-over-255", "path-over-4096"])
@pytest.mark.parametrize("argv,flag", CASES, ids=[" ".join(c[0][:1] + [c[1]]) for c in CASES])
def test_path_too_long_is_one_line_naming_the_flag(capsys, tmp_path, monkeypatch, argv, flag,
                                                   bad):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    _kernel_refuses(bad)
    err = _one_line_exit_2(capsys, [a.replace("{p}", bad) for a in argv])
    # a positional of check or figures holding a "/" is a plugin path (plugins.load_path)
    assert f"{flag} {bad!r} is invalid" in err or f"plugin {bad}: cannot" in err, err[:200]
    assert "File name too long" in err or "(NAME_MAX)" in err or "(PATH_MAX)" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "something was written"


def test_sweep_out_too_long(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_text('seeds = 1\n[base]\ndata.d = 3\ndata.n = 8\nnet.m = 2\ntrain.steps = 1\n'
                    '[axes]\ndata.noise = [0.0, 0.1]\n')
    _kernel_refuses(LONG)
    err = _one_line_exit_2(capsys, ["sweep", str(spec), "--quiet", "--out", LONG])
    assert f"--out {LONG!r} is invalid" in err, err
    assert "NAME_MAX" in err or "File name too long" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.parametrize("argv", [["simulate", *TINY], ["conditions"], ["figures", "--list"]])
def test_plugin_path_too_long(capsys, tmp_path, monkeypatch, argv):
    """--plugin is loaded before the parser is built (outside the command's error handling):
    Path.exists() raised ENAMETOOLONG there, a traceback."""
    monkeypatch.chdir(tmp_path)
    _kernel_refuses(LONG)
    plugin = ["--plugin", LONG] if argv[0] != "figures" else [LONG]
    err = _one_line_exit_2(capsys, [*argv, *plugin])
    assert f"plugin {LONG}" in err and "File name too long" in err, err
    assert list(Path(tmp_path).iterdir()) == []


def _kernel_refuses_to_make(rel: str) -> None:
    """The independent oracle for a long name under a folder that does not exist yet: making
    the folders (in a scratch folder, removed again) fails with ENAMETOOLONG."""
    scratch = tempfile.mkdtemp()
    try:
        with pytest.raises(OSError) as e:
            os.makedirs(os.path.join(scratch, rel))
        assert e.value.errno == errno.ENAMETOOLONG
    finally:
        shutil.rmtree(scratch)


# a name over NAME_MAX under a folder that does not exist yet: the kernel says ENOENT for the
# folder first, so the writability checks passed; the command trained (simulate, check),
# then made new/ and failed on the long name: exit 2 (simulate) or 1 (check --report,
# simulate --timings) with new/ left behind
LATE = [
    (["simulate", *TINY, "--out", "new/" + LONG], "--out"),
    (["simulate", *TINY, "--timings", "new/" + LONG], "--timings"),
    (["check", "{plugin}", "--quick", "--quiet", "--report", "new/" + LONG], "--report"),
    (["check", "{plugin}", "--quick", "--quiet", "--records", "new/" + LONG], "--records"),
]


@pytest.mark.parametrize("argv,flag", LATE, ids=[c[1] + "-" + c[0][0] for c in LATE])
def test_long_name_under_a_new_folder_refused_before_any_work(capsys, tmp_path, monkeypatch,
                                                              argv, flag):
    from plugin_helpers import NUMBERS_PLUGIN, forgetting

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    _kernel_refuses_to_make("new/" + LONG)
    plugin = tmp_path / "fzs39.py"
    plugin.write_text(NUMBERS_PLUGIN.format(paper="fzs39", lo=1.0))
    with forgetting("fzs39", modules=True):
        err = _one_line_exit_2(capsys, [a.replace("{plugin}", str(plugin)) for a in argv])
    assert f"{flag} {'new/' + LONG!r} is invalid" in err, err
    assert "NAME_MAX" in err, err
    assert sorted(p.name for p in work.iterdir()) == [], "a folder was left behind"
    assert not (tmp_path / "store").exists(), "the store was written: work was done first"


def test_sweep_spec_name_too_long_leaves_nothing(capsys, tmp_path, monkeypatch):
    """The default store sweep-results/<name>: a name over 255 bytes left sweep-results/
    behind and named --out, which the user had not given."""
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = "{"n" * 300}"\nseeds = 1\n[base]\ndata.d = 3\ndata.n = 8\n'
                    'net.m = 2\ntrain.steps = 1\n[axes]\ndata.noise = [0.0, 0.1]\n')
    _kernel_refuses_to_make("sweep-results/" + "n" * 300)
    err = _one_line_exit_2(capsys, ["sweep", str(spec), "--quiet"])
    assert 'name = "nnnn' in err and "at most 255 bytes" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.parametrize("code", ["0", "5", "None", "'bye'"])
@pytest.mark.parametrize("command", ["check", "figures", "simulate", "conditions"])
def test_plugin_that_exits_at_import_is_a_plugin_error(capsys, tmp_path, monkeypatch, command,
                                                       code):
    """A plugin whose import runs sys.exit(...) ended the command with that status and no word:
    `twolayer check plugin.py` printed no verdict and exited 0 (a run that looks clean)."""
    from plugin_helpers import forgetting

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    plugin = tmp_path / "fzs39exit.py"
    plugin.write_text(f"import sys\nsys.exit({code})\n")
    argv = {"check": ["check", str(plugin), "--quick", "--quiet"],
            "figures": ["figures", str(plugin), "--list"],
            "simulate": ["simulate", "--plugin", str(plugin), *TINY],
            "conditions": ["conditions", "--plugin", str(plugin)]}[command]
    with forgetting("fzs39exit", modules=True):
        try:
            status = main(argv)
        except SystemExit as e:  # the bug: the plugin's exit went through main
            status = ("SystemExit", e.code)
    err = capsys.readouterr().err
    assert status == 2, (status, err)
    assert len(err.strip().splitlines()) == 1, err
    assert f"{plugin}:2" in err and "SystemExit" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fzs39exit.py"]


@pytest.mark.parametrize("argv", [["simulate", "--plugin"], ["simulate", "--plugin", "-inf"],
                                  ["conditions", "--plugin"]])
def test_plugin_flag_without_a_path_is_one_line(capsys, argv):
    """--plugin is parsed before the command's parser is built: its refusal printed argparse's
    usage line and "__main__.py: error: ...", two lines under a name that is not twolayer's."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert err.strip().splitlines() == [
        f"twolayer {argv[0]}: error: argument --plugin: expected one argument"], err


def test_check_writable_dir_refuses_a_name_no_file_system_holds(tmp_path):
    """record.check_writable_dir (what simulate's save and the API's callers run): a name over
    NAME_MAX under a folder that does not exist yet passed it (the kernel says ENOENT for the
    folder first), so a library caller trained and then failed at the write. Oracle:
    os.makedirs raises ENAMETOOLONG for the same path."""
    import errno

    from twolayer.errors import ConfigError
    from twolayer.record import check_writable_dir

    for bad in ("new/" + LONG, DEEP):
        with pytest.raises(ConfigError, match="no file or folder can be there"):
            check_writable_dir(tmp_path / "mine" / bad, "out")
        assert list(tmp_path.iterdir()) == []  # the check made nothing
        with pytest.raises(OSError) as made:  # the oracle (it makes the folders before the name)
            os.makedirs(tmp_path / "oracle" / bad)
        assert made.value.errno == errno.ENAMETOOLONG
        shutil.rmtree(tmp_path / "oracle")
    assert check_writable_dir(tmp_path / "new" / ("x" * 255), "out")  # the longest name is fine
