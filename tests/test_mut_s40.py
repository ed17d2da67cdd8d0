"""Mutation testing (session 40) of the code of sessions 38-39: the re-raise of an interrupt
dropped in a weakref callback (``signals``), the path limits (``errors.unreachable_path``), the
t = 0 premise of frei2023 (``paper_init``, ``regime_of_records(at_init=True)``) and maennel2020's
``jackknife_runs``. Each test here failed on a mutant the suite let through (docs/testing.md).

The signal tests run a child Python in its own session (``start_new_session=True``) and signal
it with ``os.killpg``, as the other signal tests do; the child writes what it saw, one JSON
line, and the parent compares that with what the module docstring promises. Nothing here
asserts a duration."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_claims_frei import tiny_run  # noqa: F401 (fixture)

from twolayer.claims import CLAIMS
from twolayer.claims.base import judge

ROOT = Path(__file__).resolve().parents[1]

# the child's preamble: an interrupt delivered while a weakref callback runs is raised by the
# handler there, where Python drops it (sys.unraisablehook)
CHILD = """
import json, os, signal, sys, time, weakref
from twolayer import signals
from twolayer.signals import Terminated, stop_on_signals

# as from a terminal, whatever the test runner's parent ignores (a background job's SIGINT)
signal.signal(signal.SIGINT, signal.default_int_handler)

class Thing:
    pass

def drop(signum):
    obj = Thing()
    ref = weakref.ref(obj, lambda _r: signal.raise_signal(signum))
    del obj
    return ref

def work(seconds=30.0):
    # ordinary code that runs until interrupted (30 s: a cap, never reached by the code)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.005)
    return "ran to its end"

def report(**kw):
    print(json.dumps(kw), flush=True)
"""


def _child(body: str, signals_after_ready: tuple[int, ...] = ()) -> tuple[dict, str, int]:
    """Run CHILD + ``body`` in a new session; after its first line ("ready") send each of
    ``signals_after_ready`` to its process group. Returns its last JSON line, stderr and
    exit status."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-c", CHILD + textwrap.dedent(body)], cwd=ROOT,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        if signals_after_ready:
            assert p.stdout.readline().strip() == "ready"
            for sig in signals_after_ready:
                os.killpg(p.pid, sig)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, (p.returncode, out, err)
    return json.loads(lines[-1]), err, p.returncode


def test_the_sigalrm_handler_in_place_before_is_back_after_an_interrupt_raised_again():
    """The re-raise uses a one-shot SIGALRM; after it the handler that was there before the
    block (the child's own) must be in place again, and nothing is printed for the dropped
    interrupt (Python's "Exception ignored in ..." would be a second line on stderr)."""
    res, err, code = _child("""
        def mine(signum, frame):
            pass
        signal.signal(signal.SIGALRM, mine)
        try:
            with stop_on_signals():
                drop(signal.SIGINT)
                where = work()
        except KeyboardInterrupt:
            where = "KeyboardInterrupt"
        report(where=where, alarm_is_mine=signal.getsignal(signal.SIGALRM) is mine)
    """)
    assert code == 0, err
    assert res == {"where": "KeyboardInterrupt", "alarm_is_mine": True}, res
    assert "Exception ignored" not in err, err


def test_a_block_that_ends_before_the_alarm_cancels_it_and_restores_the_handler():
    """The block ends (raising the pending interrupt) before the one-shot alarm fires: the
    timer must be cancelled (setitimer(ITIMER_REAL, 0)) and the SIGALRM handler of before put
    back. The child's setitimer records each call and stretches the 10 ms to 60 s, so the block
    always ends first, whatever the machine's speed."""
    res, err, code = _child("""
        calls, real = [], signal.setitimer
        def recording(which, seconds, interval=0.0):
            calls.append(seconds)
            return real(which, 60.0 if seconds else 0.0, interval)
        signal.setitimer = recording
        def mine(signum, frame):
            pass
        signal.signal(signal.SIGALRM, mine)
        try:
            with stop_on_signals():
                drop(signal.SIGINT)
            where = "ended normally"
        except KeyboardInterrupt:
            where = "KeyboardInterrupt"
        report(where=where, calls=calls, timer_left=real(signal.ITIMER_REAL, 0)[0],
               alarm_is_mine=signal.getsignal(signal.SIGALRM) is mine)
    """)
    assert code == 0, err
    assert res == {"where": "KeyboardInterrupt", "calls": [0.01, 0], "timer_left": 0.0,
                   "alarm_is_mine": True}, res


def test_without_a_timer_the_handlers_are_armed_again_after_a_dropped_interrupt():
    """Where the platform has no setitimer the dropped interrupt is not raised again by an
    alarm; the handlers are armed again, so the user's next Ctrl-C stops the work (before,
    the first one had left SIGINT ignored, and the command ran on)."""
    res, err, code = _child("""
        del signal.setitimer
        done = []
        try:
            with stop_on_signals():
                drop(signal.SIGINT)
                print("ready", flush=True)
                done.append(work(60.0))
        except KeyboardInterrupt:
            where = "KeyboardInterrupt"
        report(where=where, done=done)
    """, signals_after_ready=(signal.SIGINT,))
    assert code == 0, err
    assert res == {"where": "KeyboardInterrupt", "done": []}, res


@pytest.mark.parametrize("dropped", [False, True], ids=["no-drop", "sigterm-dropped"])
def test_a_sigint_ignored_before_the_block_stays_ignored(dropped):
    """A SIGINT the parent ignored (a background job) is not armed by the block, nor armed
    again after a dropped SIGTERM: of a SIGINT and a SIGTERM sent then, the SIGTERM ends it."""
    res, err, code = _child(f"""
        del signal.setitimer
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            with stop_on_signals():
                if {dropped}:
                    drop(signal.SIGTERM)
                print("ready", flush=True)
                where = work(120.0)
        except Terminated:  # a KeyboardInterrupt too: named first
            where = "Terminated"
        except KeyboardInterrupt:
            where = "KeyboardInterrupt"
        report(where=where, sigint=str(signal.getsignal(signal.SIGINT)))
    """, signals_after_ready=(signal.SIGINT, signal.SIGTERM))
    assert code == 0, err
    assert res == {"where": "Terminated", "sigint": str(signal.SIG_IGN)}, res


def test_a_keyboardinterrupt_no_signal_raised_goes_to_the_hook_in_place_before():
    """Only the interrupt the handler raised is taken over: a KeyboardInterrupt a ``__del__``
    raises by itself, with no signal, reaches the unraisable hook of before and the block
    ends normally."""
    res, err, code = _child("""
        seen = []
        sys.unraisablehook = lambda u: seen.append(type(u.exc_value).__name__)
        class Raises:
            def __del__(self):
                raise KeyboardInterrupt()
        try:
            with stop_on_signals():
                obj = Raises()
                del obj
            where = "ended normally"
        except KeyboardInterrupt:
            where = "KeyboardInterrupt"
        report(where=where, seen=seen)
    """)
    assert code == 0, err
    assert res == {"where": "ended normally", "seen": ["KeyboardInterrupt"]}, res


# ------------------------------------------------------------------------------------------
# errors.unreachable_path: the kernel's own limits are the oracle
# ------------------------------------------------------------------------------------------


def _path_of_length(base: Path, length: int) -> str:
    """An absolute path under ``base`` of exactly ``length`` bytes, every name under 200."""
    parts, left = [], length - len(os.fsencode(str(base)))
    while left > 0:
        take = min(200, left - 1)  # "/" + name
        if 0 < left - 1 - take < 2:  # leave room for one more "/x"
            take -= 2
        parts.append("p" * take)
        left -= take + 1
    path = os.path.join(str(base), *parts)
    assert len(os.fsencode(path)) == length
    return path


def test_a_path_of_exactly_path_max_bytes_is_refused_one_byte_less_is_not(tmp_path):
    """PATH_MAX (4096) counts the terminating NUL: a path of 4096 bytes is one the kernel
    will not look up (ENAMETOOLONG), a path of 4095 bytes it looks up (ENOENT here)."""
    from twolayer.errors import unreachable_path

    at, below = _path_of_length(tmp_path, 4096), _path_of_length(tmp_path, 4095)
    with pytest.raises(OSError) as e:
        os.stat(at)
    assert e.value.errno == errno.ENAMETOOLONG
    with pytest.raises(OSError) as e:
        os.stat(below)
    assert e.value.errno == errno.ENOENT
    assert unreachable_path(at) is not None and "4096 bytes" in unreachable_path(at)
    assert unreachable_path(below) is None


# ------------------------------------------------------------------------------------------
# frei2023: the t = 0 claims' premise
# ------------------------------------------------------------------------------------------


def test_paper_init_needs_one_output():
    """The card's network has one output, f(x) = sum_j a_j relu(<w_j, x>) with a_j = +-1/sqrt(m):
    a record of two outputs has another second layer at t = 0, so neither premise holds."""
    from twolayer.claims.frei2023 import paper_init, paper_model

    config = {"data": {"kind": "xor", "noise_model": "iid", "cluster_dist": "gaussian"},
              "net": {"second_layer": "frei", "bias": False, "outputs": 1, "m": 20,
                      "train_second_layer": False},
              "train": {"objective": "logistic", "batch_size": None, "integrator": "gd",
                        "steps": 2}}
    assert paper_init(config)
    config["net"]["outputs"] = 2
    assert not paper_init(config) and not paper_model(config)


# ------------------------------------------------------------------------------------------
# maennel2020.jackknife_runs
# ------------------------------------------------------------------------------------------


def test_jackknife_runs_counts_the_finite_pseudo_values_from_three_runs_on():
    """From 3 runs on the seed count is the number of finite pseudo-values (counted by hand),
    with no note, also when none or some of them are NaN; below 3 it is the runs read, with
    the note."""
    from twolayer.claims.maennel2020 import jackknife_runs

    nan = math.nan
    assert jackknife_runs((1.0, nan, 2.0), 3, "x") == (2, "")
    assert jackknife_runs((nan,) * 5, 5, "x") == (0, "")
    assert jackknife_runs((0.5, 0.25, 0.125, 1.0), 4, "x") == (4, "")
    seeds, note = jackknife_runs((nan, nan), 2, "x")
    assert seeds == 2 and "leaves 1, and x needs 2" in note


def test_a_path_the_home_folder_makes_too_long_is_refused(tmp_path, monkeypatch):
    """``~`` is expanded before the limits are counted: "~/out" under a home folder of
    4000 bytes is a path of over 4096 bytes (the kernel's ENAMETOOLONG for the path twolayer
    would use), though the text typed has 5."""
    from twolayer.errors import unreachable_path

    home = _path_of_length(tmp_path, 4000)
    monkeypatch.setenv("HOME", home)
    with pytest.raises(OSError) as e:
        os.stat(os.path.expanduser("~/out" + "/x" * 50))
    assert e.value.errno == errno.ENAMETOOLONG
    assert "PATH_MAX" in (unreachable_path("~/out" + "/x" * 50) or "")
    assert unreachable_path("~/out") is None  # 4004 bytes: the kernel would look it up


def test_the_t0_premise_holds_only_if_every_record_meets_it(tiny_run):  # noqa: F811
    """regime_of_records(at_init=True) over a d-sweep: one record with a first-layer bias
    (another initialisation than the paper's) makes the premise fail for the claim, whatever
    the others are. Oracle: paper_init of each record, read one by one."""
    from test_claims_frei import _copy

    from twolayer.claims import frei2023 as F

    exps, _ = tiny_run
    recs = [_copy(r) for r in F._sweep(exps)]
    assert len(recs) >= 2 and all(F.paper_init(r.config) for r in recs)
    recs[-1].config["net"]["bias"] = True
    assert [F.paper_init(r.config) for r in recs].count(False) == 1
    _, text = F.regime_of_records(recs, at_init=True)
    assert "stopping time and the training are no premise of a statement about t = 0): no" \
        in text, text


def test_weak_correlations_on_runs_past_t_keep_the_t0_regime(tiny_run):  # noqa: F811
    """Lemma 4's weak correlations read W(0) only: the same d-sweep run one step past T has
    the regime text of the t = 0 premise, not "runs stop at T ...: no", and the same
    in_regime as the runs that stop at T."""
    from test_claims_frei import _doctored

    exps, _ = tiny_run
    claim = CLAIMS["frei2023.lemma4.weak_correlations"]
    at_t = judge(claim, exps)

    def past_t(r):
        r.config["train"]["steps"] = int(r.config["train"]["steps"]) + 1

    past = judge(claim, _doctored(exps, past_t))
    assert "runs stop at T" not in past.regime, past.regime
    assert "data and initialisation as in the paper" in past.regime, past.regime
    assert past.in_regime is at_t.in_regime


# ------------------------------------------------------------------------------------------
# check --record: the plugin path a refusal's hint names
# ------------------------------------------------------------------------------------------


def test_as_typed_names_the_plugin_path_that_registers_the_paper():
    """Of two plugin paths typed, the hint names the one whose plugin registers the paper
    (the oracle: each example's paper, typed by hand from its claims module)."""
    # in a process of its own: a plugin loaded by an earlier test from a copy of an example
    # holds its names here, and the example's own path then does not load (PluginError)
    code = textwrap.dedent("""
        import json
        from twolayer.commands.check_record import as_typed
        both = ["examples/barak2022", "examples/lazy_training"]
        print(json.dumps([as_typed("lazy", both), as_typed("barak2022", both[::-1]),
                          as_typed("frei2023", both)]))
    """)
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout.strip().splitlines()[-1]) == [
        "examples/lazy_training", "examples/barak2022", "frei2023"]


# ------------------------------------------------------------------------------------------
# cli: the flag a path refusal names
# ------------------------------------------------------------------------------------------

LONG = "x" * 300  # one name over NAME_MAX (the kernel's ENAMETOOLONG: tests/test_fuzz_s39.py)
TINY = ["--n", "8", "--d", "3", "--m", "2", "--steps", "1", "--num-times", "2", "--quiet"]


@pytest.mark.parametrize("argv, flag", [
    (["simulate", *TINY, "--out", LONG], "--out"),
    (["simulate", *TINY, "--timings", LONG], "--timings"),
    (["check", "frei2023", "--record", LONG], "--record"),
    (["show", LONG], "DIR"),
])
def test_the_refusal_names_the_flag_as_typed(capsys, tmp_path, monkeypatch, argv, flag):
    """The line reads "error: --out '...' is invalid", the flag as the user typed it (not
    "----out"); a positional argument by its metavar."""
    from twolayer.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOLAYER_STORE", str(tmp_path / "store"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.split(": error: ", 1)[1].startswith(f"{flag} {LONG!r} is invalid"), err[:120]


@pytest.mark.parametrize("filename, why", [
    ("rec/inner/file.json", "the value holds the path the kernel refused"),
    ("top", "the value lies inside the path the kernel refused"),
    ("top/rec", "the value is that path"),
])
def test_path_refusal_names_the_argument_related_to_the_bad_path(tmp_path, monkeypatch,
                                                                  filename, why):
    """path_refusal's rule (its docstring): the argument whose path is, holds or lies inside
    the path of the OSError. The errors are built by hand at paths related to the value
    ``top/rec`` by construction; an unrelated path is named bare."""
    from twolayer.cli import build_parser, path_refusal

    monkeypatch.chdir(tmp_path)
    parser = build_parser()
    args = parser.parse_args(["show", "top/rec"])
    if filename.startswith("rec/"):
        filename = "top/" + filename
    e = OSError(errno.ELOOP, os.strerror(errno.ELOOP), filename)
    assert path_refusal(parser, args, e).startswith("DIR 'top/rec' is invalid"), why
    other = OSError(errno.ELOOP, os.strerror(errno.ELOOP), "elsewhere/file")
    assert path_refusal(parser, args, other).startswith("'elsewhere/file': "), why
