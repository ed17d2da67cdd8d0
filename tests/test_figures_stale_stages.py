"""A `twolayer figures` killed while it drew (SIGKILL: no cleanup ran) left its hidden staging
folder `.<figure>.drawing-*` in --out for good (session 49's helper). The next run into that
folder removes the ones whose process is gone, and keeps one of a run still drawing."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from twolayer.cli import main


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_next_run_removes_the_staging_folders_of_killed_runs(tmp_path, capsys) -> None:
    out = tmp_path / "figs"
    out.mkdir()
    dead = out / f".frei2023-fig1.drawing-{dead_pid()}-abc123"
    alive = out / f".frei2023-fig2.drawing-{os.getpid()}-def456"  # a run still drawing
    old = out / ".liu2023-fig1.drawing-xyz789"  # an older version's, a day and more old
    fresh_old = out / ".liu2023-width.drawing-qrs000"  # an older version's, just made
    for d in (dead, alive, old, fresh_old):
        d.mkdir()
        (d / "half.png").write_bytes(b"\x89PNG")
    two_days = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days, two_days))
    assert main(["figures", "--quick", "--no-store", "--only", "frei2023-fig1",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert not dead.exists() and not old.exists()
    assert alive.exists() and fresh_old.exists()
    assert f"removed {dead}" in err and f"removed {old}" in err
    assert (out / "frei2023-fig1.png").is_file()
    # the run's own staging folder is gone too
    assert sorted(p.name for p in out.iterdir() if ".drawing-" in p.name) == sorted(
        [alive.name, fresh_old.name])
