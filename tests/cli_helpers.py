"""Shared by the command-line tests: run ``twolayer.cli.main`` in-process, and the shape every
refusal of bad input must have."""

from __future__ import annotations

from pathlib import Path

from twolayer.cli import main


def run(argv, capsys):
    """(exit status, stdout, stderr) of twolayer.cli.main(argv), in-process."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse errors exit through SystemExit
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_refused(code, out: str, err: str, words, out_dir: Path) -> None:
    """Exit status 2, nothing on stdout, one line on stderr holding every word of ``words``
    (case-insensitive), and ``out_dir`` never created."""
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for w in words:
        assert w.lower() in lines[0].lower(), (w, lines[0])
    assert not out_dir.exists()
