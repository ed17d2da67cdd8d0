"""Shared by the command-line tests: run ``twolayer.cli.main`` in-process (or many commands in
one other interpreter), and the shape every refusal of bad input must have."""

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


# ``python -c MAIN_PER_ARGV_SCRIPT JSON``: one interpreter runs every argv of the JSON list (a
# start costs seconds, most of it `import torch`): main() per argv, its exit status and stderr
# lines, printed as a JSON list of [status, lines]
MAIN_PER_ARGV_SCRIPT = """
import contextlib, io, json, sys
from twolayer.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    out.append([code, err.getvalue().strip().splitlines()])
print(json.dumps(out))
"""


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
