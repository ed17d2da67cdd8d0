"""`twolayer bench --out/--doc` paths as a new user gives them (docs/robustness.md, "Output
paths"): checked before minutes of measuring, the message naming the value given and the folder
at fault, never the checker's temporary file, and nothing created for a run that stops before
it writes."""

from __future__ import annotations

import pytest

from twolayer.cli import main


@pytest.mark.parametrize("flag", ["--out", "--doc"])
def test_an_unwritable_bench_path_names_the_folder_not_a_temporary_file(tmp_path, capsys,
                                                                          monkeypatch, flag):
    from twolayer.bench import harness

    def never(*a, **k):
        raise AssertionError("the benchmark started despite a bad path")

    monkeypatch.setattr(harness, "run_bench", never)
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--quick", flag, "/proc/x.json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{flag} '/proc/x.json' is invalid" in err and "/proc" in err
    assert ".write-test" not in err  # the checker's own file is not the user's business


def test_a_bench_stopped_before_writing_leaves_no_folder_it_created(tmp_path, capsys,
                                                                    monkeypatch):
    """`bench --out new/results.json` interrupted while measuring: no `new/` left behind (the
    path is checked without creating anything, and the folder made when the results are
    written), as simulate --out and check --report behave."""
    from twolayer.bench import harness

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(harness, "run_bench", interrupted)
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--quick", "--out", "new/results.json", "--doc", "pages/b.md"]) == 130
    assert list(tmp_path.iterdir()) == []


def test_bench_writes_into_a_folder_it_creates(tmp_path, capsys, monkeypatch):
    from twolayer.bench import harness, report

    monkeypatch.setattr(harness, "run_bench", lambda *a, **k: FAKE)
    monkeypatch.setattr(report, "render", lambda res, tta: "# Benchmarks\n")
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--quick", "--out", "new/results.json", "--doc", "pages/b.md"]) == 0
    assert (tmp_path / "new" / "results.json").is_file()
    assert (tmp_path / "pages" / "b.md").read_text() == "# Benchmarks\n"


FAKE = {"engine": {"gflops": 1.0, "ratio_to_gemm": 0.5, "ratio_to_gemm_median": 0.5},
        "gemm": {"gflops": 2.0, "gflops_median": 2.0},
        "baseline": {"gflops": 0.5, "speedup": 2.0},
        "probe_overhead": {"ratio": 0.1}, "total_seconds": 1.0}


def test_a_failed_bench_write_is_one_line_naming_the_path_exit_1(tmp_path, capsys, monkeypatch):
    """the write itself fails after measuring (disk full): one line naming --out's path, not the
    writer's hidden temporary file, exit 1 (docs/robustness.md, exit status 1), as simulate,
    check --report and --timings do; it was an OSError traceback"""
    import errno
    from pathlib import Path

    from twolayer.bench import harness
    from twolayer.commands import bench

    def full(target, text):
        raise OSError(errno.ENOSPC, "No space left on device",
                      str(Path(target).parent / f".{Path(target).name}.abc123.tmp"))

    monkeypatch.setattr(harness, "run_bench", lambda *a, **k: FAKE)
    monkeypatch.setattr(bench, "write_text_atomic", full)
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--quick", "--out", "r.json"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ENOSPC" in err and "r.json" in err, err
    assert ".tmp" not in err
