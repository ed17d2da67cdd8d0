"""A write to standard output that fails (a full disk, not a closed pipe) is one line naming
standard output and the errno: `twolayer sweep --json > /dev/full`, `figures --list`, and
`python -m proofs_check --json` printed a traceback with exit 1, which for proofs_check also
means "a check failed" (session 49's helper)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from twolayer.cli import main

FULL = "/dev/full"


class FullStream:
    """A stdout whose writes fail as on a full disk."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass


def test_a_full_stdout_is_one_line_and_exit_1(monkeypatch, capsys) -> None:
    err_lines = []
    monkeypatch.setattr(sys, "stdout", FullStream())
    monkeypatch.setattr(sys, "stderr", type("E", (), {
        "write": lambda self, t: err_lines.append(t), "flush": lambda self: None})())
    assert main(["figures", "--list"]) == 1
    text = "".join(err_lines)
    assert text.count("\n") == 1 and "Traceback" not in text
    assert "twolayer figures: error: cannot write to standard output: No space left on " \
           "device [ENOSPC]" in text


@pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full here")
@pytest.mark.parametrize("argv, status", [
    ([sys.executable, "-m", "twolayer", "figures", "--list"], 1),
    ([sys.executable, "-m", "proofs_check", "--json"], 2),
])
def test_a_real_full_device(argv, status) -> None:
    with open(FULL, "w") as full:
        out = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == status, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "cannot write to standard output" in out.stderr and "[ENOSPC]" in out.stderr


@pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full here")
@pytest.mark.parametrize("args", [["sweep", "--help"], ["--version"]])
def test_help_and_version_on_a_full_device(args) -> None:
    """argparse writes these while it parses and swallows the OSError: they went nowhere with
    exit 0 (session 49's mutation helper)."""
    with open(FULL, "w") as full:
        out = subprocess.run([sys.executable, "-m", "twolayer", *args], stdout=full,
                             stderr=subprocess.PIPE, text=True, timeout=300)
    assert out.returncode == 1, out.stderr
    assert "cannot write to standard output" in out.stderr and "Traceback" not in out.stderr
