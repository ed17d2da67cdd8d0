"""Folders and files that permissions keep the user from (chmod 000, a folder that cannot be
entered): one line naming the flag and the folder at fault, exit status 2, nothing written.

Python 3.11's ``Path.exists`` and ``Path.is_dir`` raise PermissionError (EACCES) for a path
under a folder that cannot be entered, where they return False for a missing one: ``simulate
--out locked/x``, ``figures --out``, ``check --records``, ``$TWOLAYER_STORE``, ``show`` and
``--record`` printed tracebacks (exit 1). The suite runs as root in CI, where the mode bits do
not bind; the unit tests below make ``Path.stat`` refuse as the kernel would, and the end-to-end
test drops root's override capabilities with ``capsh`` (skipped where it is missing)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import MAIN_PER_ARGV_SCRIPT

from twolayer.cli import main
from twolayer.commands.storeflags import check_not_other_store
from twolayer.conditions import find_record
from twolayer.errors import ConfigError
from twolayer.record import blocked_at, check_writable_dir, ensure_writable_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """A folder ``locked`` that cannot be entered: a lookup of anything under it raises EACCES
    (the folder itself can be looked up, as with chmod 000)."""
    lock = (tmp_path / "locked").absolute()
    lock.mkdir()
    real_stat = pathlib.Path.stat
    real_iterdir = pathlib.Path.iterdir

    def stat(self, *a, **k):  # type: ignore[no-untyped-def]
        if lock in Path(os.path.abspath(self)).parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *a, **k)

    def iterdir(self):  # type: ignore[no-untyped-def]
        if Path(os.path.abspath(self)) == lock:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    monkeypatch.setattr(pathlib.Path, "iterdir", iterdir)
    return lock


def test_the_fixture_refuses_as_the_kernel_does(locked):
    with pytest.raises(PermissionError):
        (locked / "x").exists()  # what made the checks raise
    assert locked.exists()


def test_blocked_at_names_the_folder_that_cannot_be_entered(locked):
    assert blocked_at(locked / "x" / "y" / "z") == locked
    assert blocked_at(locked) == locked  # it can be looked up: listing it is what fails


@pytest.mark.parametrize("sub", ["x", "x/y/z"])
def test_check_writable_dir_names_the_locked_folder(locked, sub):
    with pytest.raises(ConfigError) as e:
        check_writable_dir(locked / sub, "out")
    assert str(e.value).startswith("--out ")
    assert f"({locked} cannot be entered: permission denied)" in str(e.value)


def test_ensure_writable_dir_names_the_locked_folder(locked):
    with pytest.raises(ConfigError) as e:
        ensure_writable_dir(locked / "store", "records")
    assert f"({locked} cannot be entered: permission denied)" in str(e.value)
    assert "--records" in str(e.value)


def test_find_record_names_the_folder_it_cannot_read(locked):
    for given in (locked, locked / "run"):
        with pytest.raises(ConfigError) as e:
            find_record(given, flag="record")
        assert "--record " in str(e.value) and "cannot be read (" in str(e.value)
        assert f"{locked} cannot be entered or listed: permission denied" in str(e.value)


def test_a_store_under_a_locked_folder_is_refused_naming_it(locked):
    with pytest.raises(ConfigError) as e:
        check_not_other_store(locked / "store", "records")
    assert f"({locked} cannot be entered: permission denied)" in str(e.value)


def test_a_store_whose_entries_cannot_be_read_is_refused_before_any_work(tmp_path, monkeypatch,
                                                                        capsys):
    """A store whose entries/ is chmod 000: every claim's check raised reading it (27 verdicts
    ``error``); now one line naming entries/, exit 2 (``os.access`` says what the kernel would)."""
    import twolayer.commands.storeflags as sf

    store = tmp_path / "store"
    (store / "entries").mkdir(parents=True)
    real = os.access
    monkeypatch.setattr(sf.os, "access", lambda p, mode, *a, **k: (
        False if Path(p).name == "entries" else real(p, mode, *a, **k)))
    assert main(["check", "frei2023", "--quick", "--records", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--records" in err[0], err
    assert f"{store / 'entries'} cannot be listed, entered or written" in err[0]


def test_a_permission_error_no_check_reached_is_one_line_exit_2(monkeypatch, capsys, tmp_path):
    """The safety net in cli.main: a PermissionError from anywhere is one line naming the file
    (exit 2), not a traceback."""
    import twolayer.commands.show as show

    def boom(args):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(tmp_path / "f"))

    monkeypatch.setattr(show, "run", boom)
    assert main(["show", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("twolayer show: error: ")
    assert f"{tmp_path / 'f'}: Permission denied" in err[0]


def _without_root_override() -> list[str] | None:
    """The command prefix under which chmod binds: none when not root, capsh dropping the
    override capabilities when root, None where neither works."""
    if os.geteuid() != 0:
        return []
    capsh = shutil.which("capsh")
    if capsh is None:
        return None
    probe = subprocess.run([capsh, "--drop=cap_dac_override,cap_dac_read_search,cap_fowner",
                            "--", "-c", "true"], capture_output=True)
    return None if probe.returncode else [capsh]


def test_real_permissions_end_to_end(tmp_path):
    """chmod 000 on a folder, the commands run as a user it binds: each refuses in one line
    naming the flag and the folder, exit 2, and creates nothing. The first case runs as
    ``python -m twolayer``, the others through ``cli.main`` in one more process."""
    prefix = _without_root_override()
    if prefix is None:
        pytest.skip("runs as root and capsh cannot drop the override capabilities here")
    lock = tmp_path / "locked"
    lock.mkdir()
    store = tmp_path / "held"  # a store whose entries/ is locked
    (store / "entries").mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TWOLAYER_STORE=str(tmp_path / "store"))
    cases = {
        ("simulate", "--out", str(lock / "x"), "--steps", "2"): ("--out", str(lock)),
        ("figures", "--quick", "--out", str(lock / "f")): ("--out", str(lock)),
        ("check", "frei2023", "--quick", "--records", str(lock / "s")): ("--records", str(lock)),
        ("show", str(lock)): ("DIR", str(lock)),
        ("check", "--record", str(lock / "r")): ("--record", str(lock)),
        ("check", "frei2023", "--quick", "--records", str(store)): ("--records",
                                                                    str(store / "entries")),
    }

    def unprivileged(*argv: str) -> subprocess.CompletedProcess:
        cmd = " ".join(f"'{a}'" for a in [sys.executable, *argv])
        full = ([*prefix, "--drop=cap_dac_override,cap_dac_read_search,cap_fowner", "--",
                 "-c", cmd] if prefix else ["bash", "-c", cmd])
        return subprocess.run(full, capture_output=True, text=True, env=env, timeout=300)

    def judge(argv: tuple, code: int, lines: list[str]) -> None:
        flag, folder = cases[argv]
        assert code == 2, (argv, lines)
        assert len(lines) == 1 and "Traceback" not in lines[0], (argv, lines)
        assert flag in lines[0] and f"{folder} cannot be" in lines[0], (argv, lines)

    first, *rest = cases
    os.chmod(lock, 0)
    os.chmod(store / "entries", 0)
    try:
        r = unprivileged("-m", "twolayer", *first)
        judge(first, r.returncode, r.stderr.strip().splitlines())
        r = unprivileged("-c", MAIN_PER_ARGV_SCRIPT, json.dumps(rest))
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert len(got) == len(rest)
        for argv, (code, lines) in zip(rest, got):
            judge(argv, code, lines)
    finally:
        os.chmod(lock, 0o755)
        os.chmod(store / "entries", 0o755)
    assert list(lock.iterdir()) == []
    assert not (tmp_path / "store").exists()
