"""``seeds_needed`` of a claim made of several comparisons under ``--seeds auto``: the seeds at
which the claim's *rule* of its comparisons decides, not the most that any comparison needs.

The oracle is the look driver's own judging (``sequential.judge_comparisons``) on records built
to carry the measured effects exactly: at each seed count n every comparison's values are
``mean + sd·z`` with z of sample mean 0 and sample standard deviation 1, so the estimate's
premise (mean and standard deviation held fixed) holds at every n; the first n at which
``judge_comparisons`` decides the claim, found by walking n up one seed at a time, must be the
estimate. Before the fix the estimate was the largest of the comparisons' own counts: a claim
whose one comparison heads to *fails* early (the default rule: fails when one fails) or whose
rule needs only one part (``stats.exists``) was told to run far more seeds than it needs.
"""

from __future__ import annotations

import numpy as np
import pytest

from twolayer import sequential as sq
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.stats import Comparison, exists, rule_seeds_needed

WALK_MAX = 400  # the oracle walks n up to here; the cases below need fewer


def exact_moments(mean: float, sd: float, n: int, seed: int) -> tuple[float, ...]:
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return tuple(float(x) for x in mean + sd * z)


def claim_at(spec, n: int) -> list[Comparison]:
    return [Comparison(exact_moments(m, s, n, 7 + i), thr, d)
            for i, (m, s, thr, d) in enumerate(spec)]


def first_decided(spec, rule, start: int) -> tuple[int | None, str]:
    for n in range(start, WALK_MAX + 1):
        verdict, _ = sq.judge_comparisons(claim_at(spec, n), sq.ALPHA, rule)
        if verdict != INCONCLUSIVE:
            return n, verdict
    return None, INCONCLUSIVE


# (mean, sd, threshold, direction) per comparison, all undecided at 6 seeds
HOLDS_LATE = (0.12, 0.5, 0.0, ">=")  # heads to holds, needs 248 seeds at α/2 from 6
FAILS_EARLY = (-0.6, 0.5, 0.0, ">=")  # heads to fails, needs 13
HOLDS_EARLY = (0.6, 0.5, 0.0, ">=")
FAILS_LATE = (0.12, 0.5, 0.0, "<=")


@pytest.mark.parametrize("spec,rule,verdict", [
    ((HOLDS_LATE, FAILS_EARLY), None, FAILS),  # default rule: the early fails decides
    ((HOLDS_LATE, HOLDS_EARLY), None, HOLDS),  # every one must hold: the late one decides
    ((HOLDS_LATE, HOLDS_EARLY), exists, HOLDS),  # some one must hold: the early one decides
    ((FAILS_LATE, FAILS_EARLY), exists, FAILS),  # every one must fail for exists: the late
    ((HOLDS_LATE, FAILS_EARLY, HOLDS_EARLY), exists, HOLDS),
])
def test_the_estimate_is_where_the_rule_of_the_looks_decides(spec, rule, verdict) -> None:
    start = 6
    comps = claim_at(spec, start)
    assert sq.judge_comparisons(comps, sq.ALPHA, rule)[0] == INCONCLUSIVE
    got = sq.comparisons_seeds_needed(comps, sq.ALPHA, rule)
    want, decided = first_decided(spec, rule, start)
    assert want is not None and got == want and decided == verdict


def test_the_estimate_is_not_the_most_any_comparison_needs() -> None:
    """The numbers of the first two cases above, against the old aggregation (the largest
    per-comparison count at α/k): a claim that fails at 13 seeds was told 248."""
    comps = claim_at((HOLDS_LATE, FAILS_EARLY), 6)
    a = sq.ALPHA / 2
    each = [sq.cs_seeds_needed(c.values, c.threshold, a, sq.mixture_c(alpha=a)) for c in comps]
    got = sq.comparisons_seeds_needed(comps)
    assert got == min(each) < 30 < 100 < max(each)
    comps = claim_at((HOLDS_LATE, HOLDS_EARLY), 6)
    assert sq.comparisons_seeds_needed(comps) == max(
        sq.cs_seeds_needed(c.values, c.threshold, a, sq.mixture_c(alpha=a)) for c in comps)


def test_random_claims_against_the_walk() -> None:
    """Two or three t comparisons with random effects and sides, either rule: the estimate is
    the walk's first decided count wherever the walk decides below WALK_MAX, and None or above
    it where it does not."""
    rng = np.random.default_rng(2026)
    checked = 0
    for _ in range(40):
        k = int(rng.integers(2, 4))
        spec = tuple((float(rng.choice([-1, 1]) * rng.uniform(0.15, 0.9)), 0.5, 0.0,
                      str(rng.choice([">=", "<="]))) for _ in range(k))
        rule = exists if rng.random() < 0.5 else None
        comps = claim_at(spec, 5)
        if sq.judge_comparisons(comps, sq.ALPHA, rule)[0] != INCONCLUSIVE:
            continue
        got = sq.comparisons_seeds_needed(comps, sq.ALPHA, rule)
        want, _ = first_decided(spec, rule, 5)
        if want is None:
            assert got is None or got > WALK_MAX
        else:
            assert got == want, (spec, rule)
            checked += 1
    assert checked >= 20


def test_a_decided_comparison_counts_with_its_verdict_and_a_stuck_one_never() -> None:
    # one comparison fails already: under the default rule the claim is decided, no estimate
    # is asked; under exists the other comparison's count decides it
    assert rule_seeds_needed([(FAILS, 6), (HOLDS, 40)], None, 6) is None  # decided at 6 now
    assert rule_seeds_needed([(FAILS, 6), (HOLDS, 40)], exists, 6) == 40
    # a comparison no number of seeds decides: the default rule still fails on another's fails,
    # but can never hold
    assert rule_seeds_needed([(INCONCLUSIVE, None), (FAILS, 25)], None, 6) == 25
    assert rule_seeds_needed([(INCONCLUSIVE, None), (HOLDS, 25)], None, 6) is None
    assert rule_seeds_needed([(INCONCLUSIVE, None), (HOLDS, 25)], exists, 6) == 25
    assert rule_seeds_needed([(HOLDS, 25), (HOLDS, 9)], None, 6) == 25


class ExactRuns:
    """A fake record source whose values carry fixed moments at every seed count."""

    def __init__(self, seeds: int | None) -> None:
        self.seeds = 6 if seeds is None else seeds
        self.quick = True


def rule_claim(rule) -> Claim:
    def check(runs):
        comps = claim_at((HOLDS_LATE, HOLDS_EARLY), runs.seeds)
        return outcome(INCONCLUSIVE, comps[0].values[0], "some mean >= 0", None, runs.seeds,
                       "fake", "own detail", comparisons=comps, rule=rule)

    return Claim("fake.rule", "fake", "s", "Lemma 1", check)


def test_auto_check_reports_the_claims_rule_estimate() -> None:
    """The look driver hands the claim's rule to the estimate: one look only (max_looks=1),
    the undecided verdict's seeds_needed is where exists decides (the early comparison), not
    where every comparison would."""
    (v,) = sq.auto_check([rule_claim(exists)], ExactRuns, budget_s=1e6, max_looks=1)
    want, verdict = first_decided((HOLDS_LATE, HOLDS_EARLY), exists, 6)
    assert v.verdict == INCONCLUSIVE and v.seeds_needed == want and verdict == HOLDS
    (w,) = sq.auto_check([rule_claim(None)], ExactRuns, budget_s=1e6, max_looks=1)
    assert w.seeds_needed == first_decided((HOLDS_LATE, HOLDS_EARLY), None, 6)[0] > 2 * want
