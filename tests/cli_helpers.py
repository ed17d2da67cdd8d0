"""Shared by the command-line tests: run ``twolayer.cli.main`` in-process (or many commands in
one other interpreter), the shape every refusal of bad input must have, and two tiny records
saved by ``simulate --out``."""

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


# a tiny simulate run (two seeds, a second on the 2-core host)
TINY_SIMULATE = ["--steps", "20", "--d", "5", "--n", "20", "--n-test", "20", "--m", "4",
                 "--seeds", "2", "--quiet"]


def two_saved_records(tmp_path_factory, prefix: str) -> tuple[Path, Path]:
    """Two records (--seed 0 and 1) of :data:`TINY_SIMULATE` as ``simulate --out`` saves them,
    each ``DIR/<run_id>/`` in a folder of its own; the record folders."""
    dirs = []
    for seed in ("0", "1"):
        out = tmp_path_factory.mktemp(prefix) / f"seed{seed}"
        assert main(["simulate", *TINY_SIMULATE, "--seed", seed, "--out", str(out)]) == 0
        (rec,) = [p for p in out.iterdir() if p.is_dir()]
        dirs.append(rec)
    return dirs[0], dirs[1]
