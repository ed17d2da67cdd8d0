"""A new user's plugin breaking the verdict guards and the command's exit status (session 50,
helper h1).

1. A *holds* handed over with ``comparisons`` was never compared with the interval and the
   per-seed values it shows with its own ``threshold`` and ``direction``: comparisons of other
   values (a wrong variable) gave *holds* under a CI wholly below a ">= 0.9" bound.
2. A ``rule`` that gives *holds* with every comparison inconclusive (the check's own
   point-estimate verdict, ``rule=lambda outs: verdict``) said *holds*.
3. ``sys.exit()`` in a check, an experiment or a probe ended ``twolayer check`` / ``simulate``
   with its status, 0, and no word (no verdict, no record).

Oracles: scipy's one-sample t-test, t-interval and exact binomial test (not twolayer.stats),
and the exit status and files of the real CLI."""

from __future__ import annotations

import numpy as np
from plugin_helpers import forgetting
from scipy import stats as sps
from stats_helpers import t_interval

from twolayer.claims.base import ERROR, FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.cli import main

GOOD = np.array([0.95, 0.96, 0.97, 0.94, 0.95, 0.96, 0.98, 0.95])
BAD = np.array([0.55, 0.60, 0.58, 0.52, 0.61, 0.57, 0.59, 0.60])
MIX = np.array([0.85, 0.95, 0.80, 0.99, 0.92, 0.88, 0.97, 0.91])


def judged(o):
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def test_a_holds_from_comparisons_whose_shown_interval_fails_its_threshold_is_an_error():
    lo, hi = t_interval(BAD)
    assert hi < 0.9  # the interval it shows lies wholly below ">= 0.9"
    assert sps.ttest_1samp(GOOD, 0.9, alternative="greater").pvalue < 0.05  # its comparison holds
    o = outcome(HOLDS, float(BAD.mean()), ">= 0.9", (lo, hi), 8, "x", per_seed=BAD,
                threshold=0.9, direction=">=", comparisons=[(GOOD, 0.9, ">=")])
    v = judged(o)
    assert v.verdict == ERROR and "contradicts" in v.detail


def test_the_interval_alone_on_the_failing_side_with_comparisons_is_an_error():
    lo, hi = t_interval(BAD)
    o = outcome(HOLDS, float(BAD.mean()), ">= 0.9", (lo, hi), 8, "x", threshold=0.9,
                direction=">=", comparisons=[(GOOD, 0.9, ">=")])
    v = judged(o)
    assert v.verdict == ERROR and "lies wholly below 0.9" in v.detail


def test_a_fails_from_comparisons_whose_shown_values_hold_is_an_error():
    lo, hi = t_interval(GOOD)
    assert lo > 0.9
    o = outcome(FAILS, float(GOOD.mean()), ">= 0.9", (lo, hi), 8, "x", per_seed=GOOD,
                threshold=0.9, direction=">=", comparisons=[(BAD, 0.9, ">=")])
    assert judged(o).verdict == ERROR


def test_a_consistent_holds_with_comparisons_stands():
    o = outcome(HOLDS, float(GOOD.mean()), ">= 0.9", t_interval(GOOD), 8, "x", per_seed=GOOD,
                threshold=0.9, direction=">=", comparisons=[(GOOD, 0.9, ">=")])
    assert judged(o).verdict == HOLDS


def test_a_rule_that_holds_with_every_comparison_inconclusive_is_inconclusive():
    # the premise, by scipy: the comparison decides neither side at one-sided 95%
    assert sps.ttest_1samp(MIX, 0.9, alternative="greater").pvalue > 0.05
    assert sps.ttest_1samp(MIX, 0.9, alternative="less").pvalue > 0.05
    k = int((MIX > 0.9).sum())
    assert sps.binomtest(k, MIX.size, 0.5, alternative="greater").pvalue > 0.05
    verdict = HOLDS if MIX.mean() >= 0.9 else FAILS  # the point estimate
    assert verdict == HOLDS
    o = outcome(verdict, float(MIX.mean()), ">= 0.9", t_interval(MIX), 8, "x",
                comparisons=[(MIX, 0.9, ">=")], rule=lambda outs: verdict)
    v = judged(o)
    assert v.verdict == INCONCLUSIVE and "every one of its 1 comparison(s)" in v.detail


def test_a_rule_that_needs_a_decided_comparison_stands():
    def exists(outs):
        return HOLDS if HOLDS in outs else INCONCLUSIVE

    o = outcome(HOLDS, float(GOOD.mean()), ">= 0.9", t_interval(GOOD), 8, "x",
                comparisons=[(GOOD, 0.9, ">="), (MIX, 0.9, ">=")], rule=exists)
    assert judged(o).verdict == HOLDS


EXITS = '''
import sys
from twolayer.api import FAILS, claim, experiment, outcome


@experiment("exits.exp")
def exp(quick, seeds, runtime):
    sys.exit(0)


@claim("exits.a.check", "s", "src", "[INFERRED]")
def a(runs):
    sys.exit(0)


@claim("exits.b.reads", "s", "src", "[INFERRED]")
def b(runs):
    runs.get("exits.exp")


@claim("exits.c.fails", "s", "src", "[INFERRED]")
def c(runs):
    v = [1.0, 1.1, 0.9, 1.0, 1.0]
    return outcome(FAILS, 1.0, "<= 0", (0.9, 1.1), 5, "x", per_seed=v, threshold=0.0,
                   direction="<=")
'''


def test_sys_exit_in_a_check_or_an_experiment_is_an_error_verdict(tmp_path, capsys):
    f = tmp_path / "exits.py"
    f.write_text(EXITS)
    with forgetting("exits", modules=True):
        status = main(["check", str(f), "--quick", "--details", "--records",
                       str(tmp_path / "st")])
    out = capsys.readouterr().out
    assert status == 1  # a claim fails and two errors: never 0
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()
            if line.startswith("exits.")}
    assert rows == {"exits.a.check": "error", "exits.b.reads": "error",
                    "exits.c.fails": "fails"}
    assert "SystemExit" in out and "exits.exp" in out


PROBE = '''
import sys
from twolayer.api import probe


@probe("exits_probe")
def p(state):
    sys.exit(0)
'''


def test_sys_exit_in_a_probe_is_exit_2_one_line_nothing_written(tmp_path, capsys):
    f = tmp_path / "exits_probe.py"
    f.write_text(PROBE)
    out = tmp_path / "out"
    try:
        with forgetting("exits_probe", modules=True):
            status = main(["simulate", "--plugin", str(f), "--probes", "exits_probe", "--d",
                           "5", "--n", "20", "--m", "4", "--steps", "3", "--out", str(out)])
    finally:
        from twolayer.probes import REGISTRY

        REGISTRY.pop("exits_probe", None)
    err = capsys.readouterr().err
    assert status == 2
    assert not out.exists()
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and f"{f}:8" in lines[0] and "sys.exit(0)" in lines[0]


def test_seeds_auto_does_not_take_a_rules_holds_from_no_decided_comparison():
    from twolayer.sequential import judge_comparisons
    from twolayer.stats import comparisons

    # by scipy, not even the fixed-seed one-sided t-test decides (the sequence is wider)
    assert sps.ttest_1samp(MIX, 0.9, alternative="greater").pvalue > 0.05
    comps = comparisons([(MIX, 0.9, ">=")], "t")
    verdict, parts = judge_comparisons(comps, 0.05, lambda outs: HOLDS)
    assert parts[0][0] == INCONCLUSIVE and verdict == INCONCLUSIVE
    # a rule that holds only on a decided comparison is unchanged
    decided, _ = judge_comparisons(comparisons([(GOOD, 0.9, ">=")], "t"), 0.05,
                                   lambda outs: HOLDS if HOLDS in outs else INCONCLUSIVE)
    assert decided == HOLDS
