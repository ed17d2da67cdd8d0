"""twolayer's run code (the files of its code fingerprint) edited while a command runs, in a
source checkout: the fingerprint was computed from the files on disk at the first key, while
modules are imported over the whole command (some lazily: an integrator, a transfer step), so
an edit before that first key, or to a module imported later, would store runs under a
fingerprint of other code than trained them. The files are now digested at ``import
twolayer`` and every fingerprint handed out is checked against them (twolayer.sources)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import twolayer.sources as sources
from twolayer.cli import main
from twolayer.experiments import run_code_files

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
from pathlib import Path
import twolayer
import twolayer.experiments as X
import twolayer.sweep.store as S
from twolayer.errors import RunCodeChanged
assert Path(twolayer.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve())
pkg = Path(twolayer.__file__).parent
target = pkg / sys.argv[2]
was_imported = any(getattr(m, "__file__", None) == str(target) for m in list(sys.modules.values()))
if sys.argv[3] == "after-first-key":
    print("FIRST", len(X.code_fingerprint()), len(S.current_code()))
target.write_text(target.read_text() + "\\n# edited while the command runs\\n")
for name, fn in (("CODE", X.code_fingerprint), ("SWEEP", S.current_code)):
    try:
        fn()
    except RunCodeChanged as e:
        print(name, "REFUSED", e)
    else:
        print(name, "KEYED")
print("IMPORTED", was_imported)
"""


@pytest.mark.parametrize("module, when, imported", [
    ("config.py", "before-first-key", True),  # imported by `import twolayer`, then edited
    ("integrators.py", "after-first-key", False),  # imported lazily, later in a command
    ("net/kernel.py", "after-first-key", True),
])
def test_run_code_edited_after_import_is_refused(tmp_path: Path, module: str, when: str,
                                                 imported: bool) -> None:
    shutil.copytree(ROOT / "twolayer", tmp_path / "twolayer",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), module, when],
                       cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    if when == "after-first-key":
        assert lines.pop(0) == "FIRST 16 16"
    path = str((tmp_path / "twolayer" / module).resolve())
    for line, name in zip(lines[:2], ("CODE", "SWEEP")):
        assert line.startswith(f"{name} REFUSED twolayer's run code changed on disk"), p.stdout
        assert path in line
    assert lines[2] == f"IMPORTED {imported}"


def test_a_file_outside_the_run_code_may_change(tmp_path: Path) -> None:
    """Verdict rules, figures and the CLI are outside the fingerprint (NOT_RUN_CODE): editing
    them while a command runs changes no run, and is not refused."""
    shutil.copytree(ROOT / "twolayer", tmp_path / "twolayer",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), "claims/base.py",
                        "after-first-key"], cwd=tmp_path,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1:3] == ["CODE KEYED", "SWEEP KEYED"]


def test_an_edit_is_one_line_and_exit_2_in_a_command(tmp_path, monkeypatch, capsys) -> None:
    """The CLI stops before training anything: one line naming the file, exit status 2. (The
    edit is simulated by a first-seen digest that differs from the file's.)"""
    kernel = next(f for f in run_code_files(ROOT / "twolayer") if f.name == "kernel.py")
    sources.remember(kernel)
    signature, _ = sources._SEEN[kernel.resolve()]
    monkeypatch.setitem(sources._SEEN, kernel.resolve(), ((-1, *signature[1:]), "0" * 64))
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    code = main(["check", "frei2023.lemma3.init_norms", "--quick"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "twolayer's run code changed on disk" in err and str(kernel.resolve()) in err
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "store" / "records").exists() or not any(
        (tmp_path / "store" / "records").iterdir())
