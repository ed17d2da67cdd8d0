"""Sweep failure handling: a sweep where nothing could be trained (every point diverged) is
exit 2 naming the first diverged point; Dask does not rerun a task that raised (retries are
for lost workers); a worker's unexpected exception is one line naming the points, not a
traceback."""

from __future__ import annotations

import json

import pytest

from twolayer.cli import main
from twolayer.sweep import Store, loads

# tiny settings, 3 steps; lr = 1e30 makes every run diverge at step 1
ALL_DIVERGE = ("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
               "train.lr = 1e30\nnet.init_var = 1.0\n[axes]\ndata.noise = [0.1, 0.2]\n")
# one point of two diverges: ω_init² = 1e80 overflows float32
SOME_DIVERGE = ("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
                "[axes]\nnet.init_var = [0.001, 1e80]\n")


@pytest.fixture
def inline_pool(monkeypatch):
    """`--executor local` trains in this process (no pool of spawned processes to start)."""
    from twolayer.sweep import executors

    monkeypatch.setattr(executors, "LocalExecutor",
                        lambda workers, threads, device, budget:
                        executors.InlineExecutor(device, budget))


def test_a_sweep_where_every_point_diverged_is_exit_2_naming_the_first(tmp_path, capsys,
                                                                        inline_pool) -> None:
    """Every point diverged: the sweep said "2 diverged" and exited 0, as if it had results.
    Now exit 2 after the report, one stderr line naming the first point (grid order), its
    message and the spec keys to change; the recorded failures stay (the resume says the
    same without training)."""
    spec = tmp_path / "s.toml"
    spec.write_text(ALL_DIVERGE)
    out = tmp_path / "o"
    first = loads(ALL_DIVERGE).points()[0]
    for _ in range(2):  # the run, then a resume of only recorded failures
        assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 2
        cap = capsys.readouterr()
        assert json.loads(cap.out)["points"] == 2  # the report is still printed
        err = cap.err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in cap.err, cap.err
        assert err[0].startswith("twolayer sweep: error: nothing could be trained")
        assert first.run_id in err[0] and "data.noise=0.1" in err[0]
        assert "training diverged" in err[0] and "train.lr" in err[0]
        assert sorted(p.name for p in (out / "failed").iterdir()) == sorted(
            f"{p.run_id}.json" for p in loads(ALL_DIVERGE).points())
        assert (out / "points.csv").read_text().count(",diverged") == 2


def test_a_sweep_where_some_points_diverged_exits_0(tmp_path, capsys, inline_pool) -> None:
    """Some points diverging is a finding, not a failed command: exit 0 with the tables."""
    spec = tmp_path / "s.toml"
    spec.write_text(SOME_DIVERGE)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--quiet", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    good, bad = loads(SOME_DIVERGE).points()
    assert rep["failed"] == [bad.run_id]
    assert Store(out).status(good.run_id) == "ok"
