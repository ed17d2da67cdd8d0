"""``--timings``: exclusive phase accounting (against a fake clock whose advances the test
chooses), the flag on the commands, and the time_to_answer table renderer."""

from __future__ import annotations

import json
import threading

import pytest

from twolayer import timing
from twolayer.bench import timetable
from twolayer.claims import CLAIMS
from twolayer.cli import main
from twolayer.experiments import EXPERIMENTS
from twolayer.plots import FIGURES
from twolayer.plugins import load_path


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(timing, "_clock", c)
    return c


def test_nested_phases_are_exclusive_and_add_up_to_the_wall_time(clock) -> None:
    with timing.recording() as t:
        clock.advance(1.0)  # other
        with timing.phase("verdicts"):
            clock.advance(2.0)
            with timing.phase("training"):
                clock.advance(10.0)
                with timing.phase("probes"):
                    clock.advance(3.0)
                clock.advance(1.0)
            with timing.phase("store"):
                clock.advance(0.5)
            clock.advance(0.25)
        with timing.phase("training"):  # a second visit adds up
            clock.advance(4.0)
    got = dict(t.rows())
    assert got["verdicts"] == pytest.approx(2.25)
    assert got["training"] == pytest.approx(15.0)
    assert got["probes"] == pytest.approx(3.0)
    assert got["store"] == pytest.approx(0.5)
    assert got["plotting"] == 0.0
    assert got["other"] == pytest.approx(1.0)
    assert t.wall == pytest.approx(21.75)
    assert sum(got.values()) == pytest.approx(t.wall)
    js = t.to_json()
    assert js["phases"]["training"] == 15.0 and js["wall_s"] == 21.75
    assert "training" in t.table() and "21.8 s" in t.table()


def test_phases_outside_a_recording_or_on_another_thread_are_not_counted(clock) -> None:
    with timing.phase("training"):  # no recording: a no-op
        clock.advance(5.0)
    with timing.recording() as t:
        def worker() -> None:
            with timing.phase("training"):
                clock.advance(7.0)

        th = threading.Thread(target=worker)
        th.start()
        th.join()
    got = dict(t.rows())
    assert got["training"] == 0.0 and got["other"] == pytest.approx(7.0)


def test_workers_phases_are_summed_into_the_recording(clock) -> None:
    timing.absorb({"phases": {"training": 9.0}})  # no recording: ignored
    with timing.recording() as t:
        clock.advance(10.0)
        timing.absorb({"phases": {"training": 8.0, "probes": 2.0, "other": 99.0}}, 2)
        timing.absorb({"phases": {"training": 7.0, "verdicts": 1.0}}, 2)
        timing.absorb({"phases": {"training": 1.0}}, 2)
        timing.absorb(None, 2)
    got = dict(t.rows())
    assert t.workers == 2 and t.tasks == 3 and got["training"] == 16.0
    assert got["probes"] == 2.0 and got["verdicts"] == 1.0
    assert got["other"] == 0.0  # worker-seconds exceed the wall
    assert "2 worker processes ran 3 tasks" in t.table()
    assert t.to_json()["workers"] == 2 and t.to_json()["tasks"] == 3


def test_an_exception_closes_the_open_phases(clock) -> None:
    with pytest.raises(RuntimeError):
        with timing.recording() as t:
            with timing.phase("training"):
                clock.advance(2.0)
                raise RuntimeError("boom")
    assert dict(t.rows())["training"] == pytest.approx(2.0)
    assert timing._active is None
    with timing.phase("training"):  # and the recording is over
        clock.advance(1.0)
    assert dict(t.rows())["training"] == pytest.approx(2.0)


PLUGIN = '''
import numpy as np
from twolayer import timing
from twolayer.api import Record, claim, experiment, outcome, stats


@experiment("{paper}.slow")
def slow(quick, seeds, runtime):
    timing._clock.advance(5.0)  # "training" for five fake seconds
    R = seeds or 4
    return Record(config={{"R": R}}, run_id="slow", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": np.linspace(1.0, 2.0, R)[:, None]}})


@claim("{paper}.slow.positive", "x is positive", "Lemma 0", "[PAPER]")
def positive(runs):
    timing._clock.advance(2.0)  # the check's own statistics
    x = runs.get("{paper}.slow").arrays["x"][:, 0]
    timing._clock.advance(1.0)
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, x.size, "R = %d" % x.size)
'''


@pytest.fixture
def plugin(tmp_path):
    paper = "timedplug"
    f = tmp_path / "timed.py"
    f.write_text(PLUGIN.format(paper=paper))
    load_path(f)
    yield f, paper
    for reg in (CLAIMS, EXPERIMENTS, FIGURES):
        for k in [k for k in reg if k.startswith(paper + ".")]:
            reg.pop(k)


def test_check_timings_json_splits_training_from_verdicts(clock, plugin, tmp_path,
                                                          capsys) -> None:
    f, paper = plugin
    out = tmp_path / "sub" / "t.json"
    rc = main(["check", str(f), "--no-store", "--quick", "--quiet", "--timings", str(out)])
    assert rc == 0
    t = json.loads(out.read_text())
    assert t["command"] == "check" and t["exit_status"] == 0
    assert t["phases"]["training"] == pytest.approx(5.0)
    assert t["phases"]["verdicts"] == pytest.approx(3.0)
    assert sum(t["phases"].values()) == pytest.approx(t["wall_s"])
    # no path: a table on stderr, after the command's own output
    rc = main(["check", str(f), "--no-store", "--quick", "--quiet", "--timings"])
    captured = capsys.readouterr()
    assert "where the time went" in captured.err and "verdicts" in captured.err
    assert "holds" in captured.out


def test_a_bad_timings_path_exits_2_naming_the_flag_before_any_work(plugin, tmp_path,
                                                                    capsys) -> None:
    f, _ = plugin
    rc = main(["check", str(f), "--no-store", "--quick", "--quiet", "--timings", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "--timings" in err and "directory" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["check", str(f), "--no-store", "--quick", "--quiet", "--timings",
               str(blocker / "t.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "--timings" in err
    assert blocker.read_text() == "x"


def test_simulate_timings_count_training_probes_and_baselines(tmp_path) -> None:
    out = tmp_path / "t.json"
    rc = main(["simulate", "--d", "8", "--n", "40", "--m", "8", "--steps", "20", "--seeds", "2",
               "--quiet", "--timings", str(out)])
    assert rc == 0
    t = json.loads(out.read_text())
    phases = t["phases"]
    assert phases["training"] > 0 and phases["probes"] > 0 and phases["baselines"] > 0
    assert sum(phases.values()) == pytest.approx(t["wall_s"], abs=5e-3)


TIME_V = """\tCommand being timed: "twolayer check --all"
\tUser time (seconds): 2000.50
\tSystem time (seconds): 40.25
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03
\tMaximum resident set size (kbytes): 2048000
"""


def test_timetable_reads_time_v_and_renders_each_command(tmp_path) -> None:
    assert timetable.clock_seconds("1:02:03") == 3723.0
    assert timetable.clock_seconds("2:03.50") == 123.5
    assert timetable.parse_time_v(TIME_V) == {"wall": 3723.0, "user": 2000.5,
                                              "system": 40.25, "max_rss_kb": 2048000.0}
    (tmp_path / "check.timings.json").write_text(json.dumps(
        {"wall_s": 100.0, "before_s": 1.5, "phases": {"training": 80.0, "other": 20.0}}))
    (tmp_path / "check.time").write_text(TIME_V)
    (tmp_path / "check.rc").write_text("1\n")
    (tmp_path / "check.json").write_text(json.dumps(
        [{"verdict": "holds"}, {"verdict": "holds"}, {"verdict": "fails"}]))
    text = timetable.render(tmp_path)
    assert "| training | 80.0 | 80.0 % |" in text
    assert "62.0 min wall" in text and "34.0 min CPU" in text and "2000 MB" in text
    assert "exit status 1" in text and "### `twolayer figures`" not in text
    assert "1 fails, 2 holds" in text
    assert "Targets of issue" not in text  # only with both commands
    (tmp_path / "figures.timings.json").write_text(json.dumps(
        {"wall_s": 600.0, "before_s": 1.5, "phases": {"plotting": 60.0, "other": 540.0}}))
    (tmp_path / "figures.rc").write_text("0\n")
    text = timetable.render(tmp_path)
    assert "under 30 minutes: **62.0 min** (not met)" in text  # /usr/bin/time's wall first
    assert "under\n15 minutes" not in text and "**10.0 min** (met)" in text
    assert timetable.main([str(tmp_path / "missing")]) == 2
    entries = tmp_path / "store" / "entries"
    entries.mkdir(parents=True)
    for i, (name, sec) in enumerate([("pa.x", 60.0), ("pa.y", 30.0), ("pb.z", 300.0)]):
        (entries / f"{i}.json").write_text(json.dumps({"key": {"experiment": name},
                                                       "seconds": sec}))
    (entries / "old.json").write_text(json.dumps({"key": {"experiment": "pc.w"}}))  # no time
    assert timetable.paper_seconds(tmp_path / "store") == {
        "pa": {"pa.x": 60.0, "pa.y": 30.0}, "pb": {"pb.z": 300.0}}
    text = timetable.render(tmp_path)
    assert "| pb | 1 | 5.0 |" in text and "| pa | 2 | 1.5 |" in text
    assert text.index("| pb |") < text.index("| pa |")  # the most expensive first
    out = tmp_path / "tta.json"
    assert timetable.main([str(tmp_path), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["commands"]["check"]["process"]["wall"] == 3723.0
    # the bench report renders the published summary next to its results file
    from twolayer.bench import report

    (tmp_path / "results.json").write_text("{}")
    (tmp_path / report.TIME_TO_ANSWER).write_text(out.read_text())
    assert report.time_to_answer(tmp_path / "results.json") == summary
    (tmp_path / report.TIME_TO_ANSWER).write_text("{broken")
    assert report.time_to_answer(tmp_path / "results.json") is None
