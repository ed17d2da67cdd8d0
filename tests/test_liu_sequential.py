"""``--seeds auto`` on the Liu et al. (2023) claims (twolayer/claims/liu2023.py): every claim's
Outcome carries the one-sided comparisons its verdict was decided from (several, with their test
and, for the crossing claim, its own rule), so that the confidence sequences of
:mod:`twolayer.sequential` judge exactly what the fixed-seed check judged.

On the doctored Records of tests/test_claims_liu.py (one that breaks each claim, one inside its
regime that makes it hold), widened to more seeds:

- the comparisons are per seed in run order (reversing the seeds reverses every comparison's
  values), one value per seed;
- re-judging them independently, with ``stats.holm_outcomes`` at 95% and the claim's rule (for
  the crossing claim checked against a rule written out here), gives the claim's own verdict;
- the sequences (``sequential.judge_comparisons``) never give the opposite verdict, and with 32
  seeds they give the same one;
- ``sequential.auto_check`` on a fake Runs whose seed count grows decides the crossing claim
  (4 sign comparisons at α/4, its own rule) at a later look, on its side.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import test_claims_liu
from test_claims_liu import (
    MUTATIONS,
    _copy,
    _Doctored,
    _good_crossing,
    _never_crosses_late_tstar,
)

from twolayer import sequential as sq
from twolayer.claims import liu2023 as L
from twolayer.claims.base import CLAIMS, judge_outcome
from twolayer.experiments import Runs
from twolayer.record import Record
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE, combine, holm_outcomes

pytestmark = pytest.mark.usefixtures("single_thread")
tiny = test_claims_liu.tiny  # the module-scoped fixture: every liu2023 experiment, tiny plan

# claim id prefix -> (number of comparisons, test); every other Liu claim makes one t comparison
SEVERAL = {
    "liu2023.fig1.u_shape.": (3, "t"),  # min < delta, fall, rise
    "liu2023.fig1.min_below_delta.delta": (3, "t"),  # one per delta in {0.1, 0.2, 0.4}
    "liu2023.eq5.init_ratio.delta": (3, "t"),
    "liu2023.thm44.early_losses.": (4, "t"),  # noisy up, clean down: window, worst interval
    "liu2023.thm45.crossing_near_tstar.": (4, "sign"),  # within x3 (2), beyond x10 (2)
    "liu2023.lem42.rescaled_step.": (2, "t"),  # direction, size
}
CROSSING = sorted(c for c in MUTATIONS if c.startswith("liu2023.thm45.crossing_near_tstar."))
# statements about every run (2026-12-06): one run past a bound fails them, whatever the mean
EVERY_RUN = sorted(c for c in MUTATIONS if c.startswith((
    "liu2023.thm44.early_losses.", "liu2023.thm45.alpha_monotone.",
    "liu2023.lem42.rescaled_step.", "liu2023.asm41.early_anticollinear.")))


def _shape(cid: str) -> tuple[int, str]:
    return next((v for p, v in SEVERAL.items() if cid.startswith(p)), (1, "t"))


def _runs(runs: Runs, cid: str, which: int, R: int, vary: bool = False,
          reverse: bool = False) -> _Doctored:
    """The claim's doctored experiment (``which``: 0 breaks the claim, 1 makes it hold inside
    its regime) with R seeds; ``vary``: then every float array of seed r scaled by 1 + 0.01 r
    (so that seeds differ); ``reverse``: then the seeds in reverse order."""
    name, part, *doctors = MUTATIONS[cid][:4]
    doctor = doctors[which]
    result = runs.get(f"liu2023.{name}")
    if part is None:
        doctored = _copy(result, R)
        doctor(doctored)
        recs = [doctored]
    else:
        doctored = {k: _copy(v, R) for k, v in result.items()}
        doctor(doctored if part == "*" else doctored[part])
        recs = list(doctored.values())
    for rec in recs:
        for k, v in list(rec.arrays.items()):
            if vary and np.ndim(v) and np.issubdtype(v.dtype, np.floating):
                v = v * (1.0 + 0.01 * np.arange(R).reshape((-1,) + (1,) * (np.ndim(v) - 1)))
            if reverse and np.ndim(v):
                v = v[::-1].copy()
            rec.arrays[k] = v
    return _Doctored(runs, {f"liu2023.{name}": doctored})


def _judged(runs: Runs, cid: str, which: int, R: int = 8, vary: bool = False,
            reverse: bool = False):
    v, o = judge_outcome(CLAIMS[cid], _runs(runs, cid, which, R, vary, reverse))
    assert o is not None, v.detail
    return v, o


def crossing_oracle(outs: list[str]) -> str:
    """The crossing claim's verdict as its docstring states it, written out independently:
    comparisons (t_x/t* <= 3, >= 1/3, >= 10, <= 1/10); beyond a factor 10 decides fails, within
    a factor 3 on both sides decides holds."""
    near_up, near_down, far_up, far_down = outs
    if far_up == HOLDS or far_down == HOLDS:
        return FAILS
    return HOLDS if (near_up, near_down) == (HOLDS, HOLDS) else INCONCLUSIVE


def test_the_crossing_rule_is_the_stated_one_on_every_combination():
    for outs in itertools.product((HOLDS, FAILS, INCONCLUSIVE), repeat=4):
        assert L.crossing_rule(list(outs)) == crossing_oracle(list(outs)), outs


def test_every_liu_claim_is_listed():
    assert {c for c in CLAIMS if c.startswith("liu2023.")} == set(MUTATIONS)
    assert all(any(c.startswith(p) for c in MUTATIONS) for p in SEVERAL)


@pytest.mark.parametrize("which", [0, 1], ids=["breaking", "holding"])
@pytest.mark.parametrize("cid", sorted(MUTATIONS))
def test_the_outcome_carries_the_comparisons_that_decide_the_verdict(tiny, cid, which):
    """(a) The Outcome's comparisons (k of them with their test; one as per_seed) re-judged with
    Holm at 95% and the claim's rule give the claim's own verdict, fails on the breaking Record
    and holds on the one inside the regime."""
    runs, _ = tiny
    v, o = _judged(runs, cid, which)
    assert v.verdict == (FAILS, HOLDS)[which], (cid, v.detail)
    k, test = _shape(cid)
    comps = sq.comparisons_of(o)
    assert comps is not None and len(comps) == k, cid
    if k > 1:
        assert o.comparisons is not None and len(o.comparisons) == k
    assert {c.test for c in comps} == {test}
    assert all(len(c.values) == 8 for c in comps), cid  # one value per seed
    outs = holm_outcomes([(np.asarray(c.values), c.threshold, c.direction) for c in comps],
                         level=0.95, method=test)
    if cid in CROSSING:
        assert o.rule is not None  # not the plain "every one holds"
        assert crossing_oracle(outs) == v.verdict, (outs, v.verdict)
    elif cid in EVERY_RUN:  # the counterexample rule; on these Records all or no runs are off
        assert o.rule is not None
        assert combine(*outs) == v.verdict, (outs, v.verdict)
    else:
        assert o.rule is None
        assert combine(*outs) == v.verdict, (outs, v.verdict)
    rule = o.rule or (lambda x: combine(*x))
    assert rule(outs) == v.verdict


@pytest.mark.parametrize("cid", sorted(c for c in MUTATIONS if _shape(c)[0] > 1))
def test_the_comparisons_are_per_seed_in_run_order(tiny, cid):
    """Reversing the seeds of the Record reverses every comparison's values (not pooled,
    sorted or filtered), so a later look's values extend an earlier look's."""
    runs, _ = tiny
    _, fwd = _judged(runs, cid, 1, vary=True)
    _, back = _judged(runs, cid, 1, vary=True, reverse=True)
    for a, b in zip(fwd.comparisons, back.comparisons):
        assert (a.threshold, a.direction, a.test) == (b.threshold, b.direction, b.test)
        np.testing.assert_allclose(np.asarray(a.values)[::-1], b.values, rtol=1e-9)
    # the seeds differ in some comparison (else reversing them would show nothing)
    assert any(len(set(np.round(a.values, 12))) > 1 for a in fwd.comparisons), cid


@pytest.mark.parametrize("which", [0, 1], ids=["breaking", "holding"])
@pytest.mark.parametrize("cid", sorted(MUTATIONS))
def test_the_sequences_never_contradict_the_claim(tiny, cid, which):
    """(b) Each comparison judged by its own confidence sequence at α/k, then the claim's rule:
    never the opposite of the claim's verdict (8 seeds), and the same verdict with 32 seeds."""
    runs, _ = tiny
    for R in (8, 32):
        v, o = _judged(runs, cid, which, R)
        seq, parts = sq.judge_comparisons(sq.comparisons_of(o), rule=o.rule)
        assert {seq, v.verdict} != {HOLDS, FAILS}, (cid, R, seq, v.verdict, parts)
    assert seq == v.verdict == (FAILS, HOLDS)[which], (cid, seq, v.verdict, parts)


class GrowingRuns:
    """A fake Runs whose seed count grows from look to look: the ``liu2023.regime`` Record of
    the tiny runs, widened to ``seeds`` seeds (4 at look 1) and doctored; seed r is the same at
    every look (the runs of a look contain those of the previous one)."""

    def __init__(self, base: Record, doctor, seeds: int | None) -> None:  # type: ignore[no-untyped-def]
        self.seeds = seeds if seeds is not None else 4
        self.quick = True
        self.rec = _copy(base, self.seeds)
        doctor(self.rec)

    def get(self, name: str) -> Record:
        assert name == "liu2023.regime", name
        return self.rec


@pytest.mark.parametrize("doctor,expected", [(_good_crossing, HOLDS),
                                             (_never_crosses_late_tstar, FAILS)])
def test_auto_check_decides_the_crossing_claim_at_a_later_look(tiny, doctor, expected):
    """(c) 4 sign comparisons at α/4 = 0.0125 need at least 9 seeds on one side (the mixture
    at 8 of 8 is below 80): look 1 (4 seeds) cannot decide; the claim is decided later, on the
    side of its own verdict, by its own rule (a claim judged by "every one must hold" would
    fail the crossing that holds: the far comparisons fail)."""
    runs, _ = tiny
    base = runs.get("liu2023.regime")
    asked: list[int | None] = []

    def runs_at(seeds: int | None) -> GrowingRuns:
        asked.append(seeds)
        return GrowingRuns(base, doctor, seeds)

    cid = "liu2023.thm45.crossing_near_tstar.regime"
    (v,) = sq.auto_check([CLAIMS[cid]], runs_at, budget_s=1e6, max_looks=5)
    assert v.verdict == expected, v.detail
    seq = v.sequential
    assert seq["controlled"] is True and seq["decided"] is True and seq["comparisons"] == 4
    assert seq["look"] >= 2 and seq["seeds"][0] == 4 and seq["seeds"][-1] >= 9
    assert asked[0] is None and asked[1:] == [8, 16, 32, 64][: len(asked) - 1]
    assert "4 comparisons, each at α/4" in v.detail
