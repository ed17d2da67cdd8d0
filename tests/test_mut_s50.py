"""Mutation tests of session 50's changes (helper h4): each test here fails on a deliberate
fault that the existing tests let through, and passes on the real code.

Oracles: scipy's one-sample t-test, t-interval and exact binomial test (not twolayer.stats);
numpy's nanmedian; the kernel's view of a thread's signal mask (/proc/.../status, SigBlk);
Python's own repr and exit status of a fresh interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from scipy import stats as sps
from stats_helpers import t_interval

from twolayer.claims.base import ERROR, FAILS, HOLDS, INCONCLUSIVE, Claim, outcome

GOOD = np.array([0.95, 0.96, 0.97, 0.94, 0.95, 0.96, 0.98, 0.95])  # holds >= 0.9
BAD = np.array([0.55, 0.60, 0.58, 0.52, 0.61, 0.57, 0.59, 0.60])  # fails >= 0.9
MIX = np.array([0.85, 0.95, 0.80, 0.99, 0.92, 0.88, 0.97, 0.91])  # decides neither
WIDE = (0.5, 1.0)  # an interval across 0.9: refutes neither verdict


def judged(o):
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def test_premises_by_scipy():
    for v in (GOOD, BAD):
        lo, hi = t_interval(v)
        assert lo > 0.9 or hi < 0.9  # decided at 95%, by the t-test and the sign test both
        alt = "greater" if lo > 0.9 else "less"
        assert sps.ttest_1samp(v, 0.9, alternative=alt).pvalue < 0.01
        k = int((v > 0.9).sum()) if alt == "greater" else int((v < 0.9).sum())
        assert sps.binomtest(k, v.size, 0.5, alternative="greater").pvalue < 0.01
    assert sps.ttest_1samp(MIX, 0.9, alternative="greater").pvalue > 0.05
    assert sps.ttest_1samp(MIX, 0.9, alternative="less").pvalue > 0.05
    lo, hi = WIDE
    assert lo < min(GOOD.min(), BAD.min()) and hi > max(GOOD.max(), BAD.max())


# --- Claim.verdict with comparisons: the shown per-seed values and interval ------------------


def test_a_holds_whose_per_seed_values_alone_refute_it_is_an_error():
    """Its comparisons hold; its interval is wide (refutes nothing); only its per-seed values,
    below ">= 0.9" by both tests (scipy above), refute the holds."""
    o = outcome(HOLDS, float(BAD.mean()), ">= 0.9", WIDE, 8, "x", per_seed=BAD, threshold=0.9,
                direction=">=", comparisons=[(GOOD, 0.9, ">=")])
    v = judged(o)
    assert v.verdict == ERROR and "per-seed values fail" in v.detail, v.detail


def test_a_fails_whose_per_seed_values_alone_hold_is_an_error():
    o = outcome(FAILS, float(GOOD.mean()), ">= 0.9", WIDE, 8, "x", per_seed=GOOD, threshold=0.9,
                direction=">=", comparisons=[(BAD, 0.9, ">=")])
    v = judged(o)
    assert v.verdict == ERROR and "per-seed values hold" in v.detail, v.detail


def test_a_fails_whose_interval_alone_lies_on_the_claimed_side_is_an_error():
    lo, hi = t_interval(GOOD)
    assert lo > 0.9
    o = outcome(FAILS, float(GOOD.mean()), ">= 0.9", (lo, hi), 8, "x", threshold=0.9,
                direction=">=", comparisons=[(BAD, 0.9, ">=")])
    v = judged(o)
    assert v.verdict == ERROR and "on the claimed side" in v.detail, v.detail


# --- rules: which holds (and fails) is taken ------------------------------------------------


def fails_else_holds(outs):
    """A careless rule: holds unless a comparison fails (so holds with all inconclusive)."""
    return FAILS if FAILS in outs else HOLDS


def holds_else_fails(outs):
    """Holds only on a decided holds (its fails comes from nothing, its holds does not)."""
    return HOLDS if HOLDS in outs else FAILS


def all_but_one(outs):
    """Holds when at most one comparison is not a holds: with one comparison, holds alone."""
    return HOLDS if outs.count(HOLDS) >= len(outs) - 1 else INCONCLUSIVE


def first_holds(outs):
    """Reads a decided holds; raises when there is none (decides nothing alone)."""
    return outs[outs.index(HOLDS)]


def test_a_fails_from_a_decided_comparison_stands_under_a_rule_that_holds_alone():
    o = outcome(FAILS, float(BAD.mean()), ">= 0.9", t_interval(BAD), 8, "x",
                comparisons=[(BAD, 0.9, ">=")], rule=fails_else_holds)
    assert judged(o).verdict == FAILS


def test_a_rule_that_holds_unless_one_fails_is_inconclusive_on_undecided_comparisons():
    o = outcome(HOLDS, float(MIX.mean()), ">= 0.9", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, ">=")], rule=fails_else_holds)
    v = judged(o)
    assert v.verdict == INCONCLUSIVE and "every one of its 1 comparison(s)" in v.detail


def test_a_rule_that_holds_with_at_most_one_undecided_is_inconclusive_at_one_comparison():
    o = outcome(HOLDS, float(MIX.mean()), ">= 0.9", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, ">=")], rule=all_but_one)
    v = judged(o)
    assert v.verdict == INCONCLUSIVE and "every one of its 1 comparison(s)" in v.detail


@pytest.mark.parametrize("rule", [holds_else_fails, first_holds])
def test_a_holds_from_a_decided_comparison_stands(rule):
    """Rules whose all-inconclusive answer is fails, or an exception: not a holds alone."""
    o = outcome(HOLDS, float(GOOD.mean()), ">= 0.9", t_interval(GOOD), 8, "x",
                comparisons=[(GOOD, 0.9, ">=")], rule=rule)
    assert judged(o).verdict == HOLDS


# --- the same under --seeds auto (sequential.judge_comparisons) -----------------------------


def _seq(data, rule):
    from twolayer.sequential import judge_comparisons
    from twolayer.stats import comparisons

    return judge_comparisons(comparisons([(d, 0.9, ">=") for d in data], "t"), 0.05, rule)


def test_seeds_auto_keeps_a_fails_under_a_rule_that_holds_alone():
    verdict, parts = _seq([BAD], fails_else_holds)
    assert parts[0][0] == FAILS and verdict == FAILS


def test_seeds_auto_does_not_take_a_holds_unless_one_fails_rule_on_undecided_comparisons():
    verdict, parts = _seq([MIX], fails_else_holds)
    assert parts[0][0] == INCONCLUSIVE and verdict == INCONCLUSIVE


@pytest.mark.parametrize("rule", [holds_else_fails, first_holds])
def test_seeds_auto_keeps_a_holds_from_a_decided_comparison(rule):
    verdict, parts = _seq([GOOD], rule)
    assert parts[0][0] == HOLDS and verdict == HOLDS


def test_seeds_auto_asks_the_rule_with_as_many_outcomes_as_comparisons():
    """Two comparisons, one decided holds: all_but_one holds, and with both inconclusive it
    does not (0 holds < 2 - 1), so the holds comes from the decided one and stands."""
    verdict, parts = _seq([GOOD, MIX], all_but_one)
    assert [p[0] for p in parts] == [HOLDS, INCONCLUSIVE] and verdict == HOLDS


# --- judge_outcome and the CLI's line for a sys.exit() ---------------------------------------


def test_a_ctrl_c_in_a_check_is_not_an_error_verdict():
    """SystemExit is caught as the claim's error; a KeyboardInterrupt must still stop the
    command (it is no mistake of the check's)."""
    from twolayer.claims.base import judge_outcome
    from twolayer.experiments import Runs

    def check(runs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        judge_outcome(Claim("p.c", "p", "s", "Lemma 1", check), Runs(quick=True))


def test_exited_at_shows_the_status_as_python_wrote_it():
    from twolayer.cli import exited_at

    def leave():
        sys.exit("bye now")

    try:
        leave()
    except SystemExit as e:
        line = exited_at(e)
    assert "sys.exit('bye now')" in line, line  # repr, by hand: quotes round a string


# --- the signal mask: the kernel's view ------------------------------------------------------

SIGINT_BIT = 1 << (signal.SIGINT - 1)
posix_masks = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask")
                                 or not os.path.exists("/proc/self/task"),
                                 reason="no POSIX signal masks or no /proc here")


def _kernel_blocked(pid: int | None = None) -> bool:
    """Whether the kernel shows SIGINT blocked: this thread's (or process pid's main thread's)
    SigBlk line of /proc."""
    path = (f"/proc/self/task/{threading.get_native_id()}/status" if pid is None
            else f"/proc/{pid}/status")
    with open(path) as f:
        line = next(x for x in f if x.startswith("SigBlk:"))
    return bool(int(line.split()[1], 16) & SIGINT_BIT)


_RESTORES = r"""
import signal, sys, threading
from multiprocessing import resource_tracker
from twolayer.sweep.executors import sigint_blocked_for_children

def kernel_blocked(sig):
    with open(f"/proc/self/task/{threading.get_native_id()}/status") as f:
        line = next(x for x in f if x.startswith("SigBlk:"))
    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))

if sys.argv[1] == "tracker running":
    resource_tracker.ensure_running()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # the caller's mask
with sigint_blocked_for_children():
    inside = kernel_blocked(signal.SIGINT)
print(inside, kernel_blocked(signal.SIGINT), kernel_blocked(signal.SIGTERM))
"""


def _restores(how: str) -> str:
    done = subprocess.run([sys.executable, "-c", _RESTORES, how], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@posix_masks
def test_the_block_restores_a_mask_that_already_blocked_sigint():
    """The block restores the caller's mask; it does not unblock SIGINT (in a fresh
    interpreter whose resource tracker already runs)."""
    assert _restores("tracker running") == "True True True"


@posix_masks
def test_the_first_block_in_a_process_restores_a_mask_that_already_blocked_sigint():
    assert _restores("tracker not running") == "True True True"


@posix_masks
def test_the_block_unblocks_when_its_body_raises():
    from twolayer.sweep.executors import sigint_blocked_for_children

    assert not _kernel_blocked()
    try:
        with pytest.raises(ValueError):
            with sigint_blocked_for_children():
                assert _kernel_blocked()
                raise ValueError("a cluster that failed to start")
        assert not _kernel_blocked()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


_PENDING = r"""
import signal, threading
from twolayer.sweep.dask_worker_setup import dask_setup
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (not inherited SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # a Ctrl-C while the worker imports
assert signal.SIGINT in signal.sigpending()
dask_setup(None)
print("survived", signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
"""


@posix_masks
def test_the_worker_preload_drops_a_pending_ctrl_c():
    """A SIGINT pending in a worker started blocked is discarded by the preload (ignored, then
    unblocked), not raised: the fresh interpreter's exit status and output are the oracle."""
    done = subprocess.run([sys.executable, "-c", _PENDING], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "survived False"


def _pid() -> int:
    return os.getpid()


@posix_masks
def test_the_local_clusters_workers_run_with_sigint_unblocked():
    """Started blocked, each worker's main thread is unblocked once the preload ran (SIGINT
    ignored): the kernel's view of the worker process."""
    pytest.importorskip("distributed")
    from twolayer.sweep.executors import DaskExecutor

    ex = DaskExecutor(workers=1, threads=1)
    try:
        ex.local_cluster(1)
        pids = list(ex.client.run(_pid).values())
        assert pids and all(not _kernel_blocked(p) for p in pids), pids
    finally:
        ex.close()


# --- nan_median: infinite entries are values, as in numpy ------------------------------------


def _nan_median_vs_numpy(rows):
    import warnings

    import torch

    from twolayer.probes.frei import nan_median

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN slice
        want = np.nanmedian(np.array(rows, dtype=np.float64), axis=-1).astype(np.float32)
    np.testing.assert_array_equal(nan_median(torch.tensor(rows, dtype=torch.float32)).numpy(),
                                  want)


NAN, INF = float("nan"), float("inf")


def test_nan_median_counts_infinite_entries_as_values():
    """An infinite entry is a value (it counts towards the middle), as in numpy; NaN is not."""
    _nan_median_vs_numpy([[1.0, INF, NAN, 2.0], [-INF, 3.0, 4.0, NAN], [5.0, -INF, INF, NAN],
                          [NAN, NAN, NAN, NAN]])


def test_nan_median_of_infinite_middles_is_infinite():
    _nan_median_vs_numpy([[1.0, INF, INF, NAN], [0.5, INF, 2.0, INF], [-INF, -INF, 1.0, NAN]])
