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
from twolayer.stats import Comparison, combine, exists, rule_seeds_needed

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
FAILS_NOW = (-1.5, 0.5, 0.0, ">=")  # decided (fails) already at 6 seeds, at α/2


@pytest.mark.parametrize("spec,rule,verdict", [
    ((HOLDS_LATE, FAILS_EARLY), None, FAILS),  # default rule: the early fails decides
    ((HOLDS_LATE, HOLDS_EARLY), None, HOLDS),  # every one must hold: the late one decides
    ((HOLDS_LATE, HOLDS_EARLY), exists, HOLDS),  # some one must hold: the early one decides
    ((FAILS_LATE, FAILS_EARLY), exists, FAILS),  # every one must fail for exists: the late
    ((HOLDS_LATE, FAILS_EARLY, HOLDS_EARLY), exists, HOLDS),
    ((FAILS_NOW, FAILS_LATE), exists, FAILS),  # one decided now counts with its verdict
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


def test_a_decided_claim_needs_no_seeds() -> None:
    comps = claim_at((FAILS_NOW, HOLDS_LATE), 6)
    assert sq.judge_comparisons(comps)[0] == FAILS
    assert sq.comparisons_seeds_needed(comps) is None


TILES = 60


@pytest.mark.parametrize("values,other,threshold,direction,test", [
    ((0.3, 0.5, 0.1, 0.4), None, 0.2, ">=", "t"),  # mean 0.325 above: heads to holds
    ((0.3, 0.5, 0.1, 0.4), None, 0.2, "<=", "t"),  # the same values, claimed below: fails
    ((0.0, 0.0, 0.0, 1.0, 1.0, -1.0, -1.0, -2.0, -3.0), None, 0.0, ">=", "sign"),  # ties at 0
    ((0.0, 0.0, 0.0, 1.0, 1.0, -1.0, -1.0, -2.0, -3.0), None, 0.0, "<=", "sign"),
    ((1.0 + 3e-13, 1.0 - 1e-13, 1.0 - 1e-13), None, 1.0, ">=", "t"),  # no spread: counts
    ((0.30, 0.32, 0.29, 0.31), (0.33, 0.34, 0.36, 0.32), 0.2, ">=", "t"),  # a box above
    ((0.10, 0.12, 0.09, 0.11), (0.13, 0.14, 0.16, 0.12), 0.2, ">=", "t"),  # a box below
])
def test_each_comparison_heads_where_a_tiled_record_is_decided(values, other, threshold,
                                                              direction, test) -> None:
    """The side a comparison is projected to (``sequential._projected``) is the verdict its
    own sequence gives on the record tiled 60 times (the measured share above and below, mean
    and spread kept): the mean for a t comparison, the counts above and below for a sign one
    (ties at the threshold on neither side) and for values with no spread (judged by the sign
    sequence), the two ends' means for a box."""
    cmp = Comparison(values, threshold, direction, test, other=other)
    side, n = sq._projected(cmp, sq.ALPHA)
    tiled = Comparison(values * TILES, threshold, direction, test,
                       other=None if other is None else other * TILES)
    verdict, _, _ = sq._judged(tiled, sq.ALPHA)
    assert side == verdict, (side, verdict)
    if verdict == INCONCLUSIVE:  # ">=" with 2 above, 4 below, 3 at: the ties keep it open
        assert n is None and test == "sign" and direction == ">="
        assert sq.sign_decide(values * 1000, threshold, direction) == INCONCLUSIVE
    else:
        assert n is not None and n <= len(values) * TILES


@pytest.mark.parametrize("above,below,ties,direction", [
    (5, 2, 0, ">="), (5, 2, 3, ">="), (2, 5, 3, "<="),  # heading to holds, ties dropped
    (2, 6, 1, ">="), (6, 2, 1, "<="), (2, 10, 3, ">="),  # heading to fails, ties for the claim
])
def test_the_sign_estimate_is_the_first_count_at_which_the_sign_sequence_decides(
        above, below, ties, direction) -> None:
    """``sign_side_seeds_needed`` against ``sign_decide`` on records of N seeds with the
    measured shares held: the values off the threshold ⌊N·off/all⌋, of them the leading side's
    ⌊share·off⌋ (holds: share among the values off the threshold; fails: the other side's share
    of all N values, the rest at the threshold). The estimate decides, one seed fewer does not
    (below 256 seeds the search steps one seed at a time)."""
    total, off = above + below + ties, above + below
    values = [1.0] * above + [-1.0] * below + [0.0] * ties
    side, n = sq.sign_side_seeds_needed(values, 0.0, direction)
    claimed, other = (above, below) if direction == ">=" else (below, above)

    def record(size: int) -> list[float]:
        if side == HOLDS:
            judged = off * size // total
            k = claimed * judged // off
            lead, rest = (1.0, -1.0) if direction == ">=" else (-1.0, 1.0)
            return [lead] * k + [rest] * (judged - k) + [0.0] * (size - judged)
        k = other * size // total
        lead = -1.0 if direction == ">=" else 1.0
        return [lead] * k + [0.0] * (size - k)

    assert side == (HOLDS if claimed > other else FAILS)
    assert n is not None and n < 256
    assert sq.sign_decide(record(n), 0.0, direction) == side
    if n > total:
        assert sq.sign_decide(record(n - 1), 0.0, direction) == INCONCLUSIVE
    if ties:  # the side-blind estimate counts only the values off the threshold
        assert side == FAILS or sq.sign_seeds_needed(values, 0.0) < n



def test_the_sign_estimate_is_never_below_the_seeds_there_are() -> None:
    # 20 of 20 above decides at a handful of seeds: the estimate is the 20 there are
    assert sq.sign_decide([1.0] * 7, 0.0, ">=") == HOLDS
    assert sq.sign_side_seeds_needed([1.0] * 20, 0.0, ">=") == (HOLDS, 20)
    assert sq.sign_side_seeds_needed([1.0] * 3 + [0.0] * 3, 0.0, "<=") == (INCONCLUSIVE, None)



# --- the fixed-seed estimate of a claim of several mean comparisons ------------------------


def bonferroni_walk(spec, rule, start: int) -> tuple[int | None, str]:
    """The first seed count at which the claim's rule of its comparisons, each by scipy's
    one-sided t-test at 0.05/k on the exact-moment record, decides (the projection the
    estimate makes: Bonferroni, below which Holm decides a comparison whatever the others)."""
    from scipy import stats as sps

    k = len(spec)
    judge = rule if rule is not None else (lambda outs: combine(*outs))
    for n in range(start, WALK_MAX + 1):
        outs = []
        for c in claim_at(spec, n):
            x = np.asarray(c.values)
            claimed, other = ("greater", "less") if c.direction == ">=" else ("less", "greater")
            p_h = sps.ttest_1samp(x, c.threshold, alternative=claimed).pvalue
            p_f = sps.ttest_1samp(x, c.threshold, alternative=other).pvalue
            outs.append(HOLDS if p_h < 0.05 / k else FAILS if p_f < 0.05 / k else INCONCLUSIVE)
        if judge(outs) != INCONCLUSIVE:
            return n, judge(outs)
    return None, INCONCLUSIVE


def fixed_verdict(spec, n: int, rule):
    comps = claim_at(spec, n)
    first = comps[0]
    o = outcome(INCONCLUSIVE, float(np.mean(first.values)), "fake bound", (-1.0, 1.0), n,
                "fake", "own detail", per_seed=first.values, threshold=first.threshold,
                direction=first.direction, comparisons=comps, test="t", rule=rule)
    return Claim("fake.fixed", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


# fixed seeds decide far sooner than the sequence: effects of 0.2 and 0.6 standard deviations
SLOW_HOLDS = (0.1, 0.5, 0.0, ">=")
MID_FAILS = (-0.3, 0.5, 0.0, ">=")
MID_HOLDS = (0.3, 0.5, 0.0, ">=")
SLOW_FAILS = (0.1, 0.5, 0.0, "<=")


@pytest.mark.parametrize("spec,rule,verdict", [
    ((SLOW_HOLDS, MID_FAILS), None, FAILS),
    ((SLOW_HOLDS, MID_HOLDS), None, HOLDS),
    ((SLOW_HOLDS, MID_HOLDS), exists, HOLDS),
    ((MID_HOLDS, SLOW_HOLDS), exists, HOLDS),  # the per_seed comparison is the early one
    ((SLOW_FAILS, MID_FAILS, SLOW_HOLDS), None, FAILS),
])
def test_the_fixed_seed_estimate_follows_the_rule_of_several_comparisons(spec, rule,
                                                                          verdict) -> None:
    """A claim of k >= 2 mean comparisons, inconclusive at 6 seeds: its seeds_needed is where
    the rule of the comparisons, each by a one-sided t-test at 0.05/k, first decides on
    records carrying the measured moments (scipy's t-test walked seed by seed); and Holm, what
    the claim is judged by, decides there too. Before, the estimate read per_seed alone (the
    first comparison, two-sided), whatever the others and the rule."""
    from twolayer.stats import comparison_outcomes

    start = 6
    judge = rule if rule is not None else (lambda outs: combine(*outs))
    assert judge(comparison_outcomes(claim_at(spec, start))) == INCONCLUSIVE
    v = fixed_verdict(spec, start, rule)
    assert v.verdict == INCONCLUSIVE
    want, decided = bonferroni_walk(spec, rule, start)
    assert want is not None and decided == verdict
    assert v.seeds_needed == want
    assert judge(comparison_outcomes(claim_at(spec, want))) == verdict


def test_one_comparison_keeps_the_per_seed_estimate_and_a_sign_one_joins_the_rule() -> None:
    """A claim of one mean comparison is estimated by its comparison's one-sided test at 0.05, the
    test it is re-judged by (since session 49: it was the per_seed values' two-sided t-interval,
    ``stats.seeds_needed``, about 40% more seeds). A claim of a t and a sign comparison on the
    same values projects each at 0.05/2 (the t at its standardised effect, the sign test at its
    share of values above the bound) and takes its rule: every one must hold, the later of the
    two; some one must hold, the earlier."""
    from twolayer.stats import box_seeds_needed, seeds_needed, sign_test_seeds_needed

    (t_cmp,) = claim_at((SLOW_HOLDS,), 6)
    x = np.asarray(t_cmp.values)
    sign = Comparison(t_cmp.values, 0.0, ">=", "sign")

    def needed(comps, rule=None):
        o = outcome(INCONCLUSIVE, float(x.mean()), "fake bound", (-1.0, 1.0), 6, "fake",
                    "own detail", per_seed=t_cmp.values, threshold=0.0, direction=">=",
                    comparisons=comps, test="t", rule=rule)
        v = Claim("fake.one", "fake", "s", "Lemma 1", lambda runs, o=o: o).verdict(o)
        assert v.verdict == INCONCLUSIVE
        return v.seeds_needed

    one_side, one_n = box_seeds_needed(x, x, 0.0, ">=", 0.05)
    assert one_side == HOLDS and needed([t_cmp]) == one_n < seeds_needed(x, 0.0)
    side_t, n_t = box_seeds_needed(x, x, 0.0, ">=", 0.025)
    side_s, n_s = sign_test_seeds_needed(x, 0.0, ">=", 0.025)
    assert side_t == side_s == HOLDS and n_s < n_t
    assert needed([t_cmp, sign]) == n_t
    assert needed([t_cmp, sign], exists) == n_s


@pytest.mark.parametrize("above,below,ties,direction", [
    (5, 2, 0, ">="), (5, 2, 3, ">="), (2, 5, 3, "<="),
    (2, 6, 1, ">="), (6, 2, 1, "<="), (2, 10, 3, ">="),
])
def test_the_fixed_seed_sign_estimate_is_where_the_exact_sign_test_decides(
        above, below, ties, direction) -> None:
    """``stats.sign_test_seeds_needed`` against ``stats.one_sided_p``'s exact sign test at
    0.05 on records of N seeds with the measured shares held (as the sequence's test above):
    it decides at the estimate, one seed fewer it does not."""
    from twolayer.stats import one_sided_p, sign_test_seeds_needed

    total, off = above + below + ties, above + below
    values = [1.0] * above + [-1.0] * below + [0.0] * ties
    side, n = sign_test_seeds_needed(values, 0.0, direction, 0.05)
    claimed, other = (above, below) if direction == ">=" else (below, above)
    lead, rest = (1.0, -1.0) if direction == ">=" else (-1.0, 1.0)

    def record(size: int) -> list[float]:
        if side == HOLDS:
            judged = off * size // total
            k = claimed * judged // off
            return [lead] * k + [rest] * (judged - k) + [0.0] * (size - judged)
        k = other * size // total
        return [rest] * k + [0.0] * (size - k)

    def decided(size: int) -> str:
        p_h, p_f = one_sided_p(record(size), 0.0, direction, "sign")
        return HOLDS if p_h < 0.05 else FAILS if p_f < 0.05 else INCONCLUSIVE

    assert side == (HOLDS if claimed > other else FAILS) and n is not None and n < 256
    assert decided(n) == side
    if n > total:
        assert decided(n - 1) == INCONCLUSIVE
    assert sign_test_seeds_needed([1.0, 1.0, -1.0, -1.0, 0.0], 0.0, ">=") == (INCONCLUSIVE,
                                                                              None)


def test_a_sign_comparison_no_count_decides_is_not_blamed_on_interval_widths() -> None:
    """Two sign comparisons, one with ties that keep it from both sides (2 above, 2 below, 1 at
    the bound) under the default rule, the other heading to holds: no estimate, and no detail
    about per-seed intervals' widths (the claim has none)."""
    tied = Comparison((1.0, 1.0, -1.0, -1.0, 0.0), 0.0, ">=", "sign")
    up = Comparison((1.0, 1.0, 1.0, -1.0, 1.0), 0.0, ">=", "sign")
    o = outcome(INCONCLUSIVE, 0.0, "fake bound", (-1.0, 1.0), 5, "fake", "own detail",
                comparisons=[tied, up], test="sign")
    v = Claim("fake.tied", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)
    assert v.verdict == INCONCLUSIVE and v.seeds_needed is None
    assert "widths" not in v.detail and "no number of seeds" not in v.detail
    from twolayer.stats import box_comparisons_seeds_needed
    assert box_comparisons_seeds_needed([tied, up]) == (None, ())  # stuck: t boxes only
    o2 = outcome(INCONCLUSIVE, 0.0, "fake bound", (-1.0, 1.0), 5, "fake", "own detail",
                 comparisons=[tied, up], test="sign", rule=exists)
    v2 = Claim("fake.tied", "fake", "s", "Lemma 1", lambda runs: o2).verdict(o2)
    from twolayer.stats import sign_test_seeds_needed
    assert v2.seeds_needed == sign_test_seeds_needed(up.values, 0.0, ">=", 0.025)[1] > 5


def test_the_sign_projection_counts_the_seeds_there_are() -> None:
    from twolayer.stats import box_comparisons_seeds_needed, sign_test_seeds_needed

    # 20 of 20 above: decided at far fewer, reported at the 20 there are
    assert sign_test_seeds_needed([1.0] * 20, 0.0, ">=", 0.05) == (HOLDS, 20)
    # a claim whose two sign comparisons are decided now needs no more seeds
    done = [Comparison((1.0,) * 12, 0.0, ">=", "sign"), Comparison((-1.0,) * 12, 0.0, "<=", "sign")]
    assert box_comparisons_seeds_needed(done) == (None, ())


def test_the_widths_detail_needs_t_comparisons_only() -> None:
    """A boxed t comparison whose intervals' widths keep it open (low ends' mean 0, high ends'
    1, bound 0.5) beside a t comparison: the detail says no count decides it; beside a sign
    comparison the projection of the other side is the sign test's, which that detail does
    not compute: no such detail."""
    lo = (0.0, 0.01, -0.01, 0.005, 0.0, -0.005)
    stuck = Comparison(lo, 0.5, ">=", other=tuple(x + 1.0 for x in lo))
    t_up = Comparison((0.9, 1.1, 1.0, 0.95, 1.05, 1.0), 0.5, ">=")
    s_up = Comparison((0.9, 1.1, 1.0, 0.95, 1.05, 1.0), 0.5, ">=", "sign")

    def detail(comps):
        o = outcome(INCONCLUSIVE, 0.5, "fake bound", (-1.0, 1.0), 6, "fake", "own detail",
                    comparisons=comps, test="t")
        v = Claim("fake.box", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)
        assert v.verdict == INCONCLUSIVE and v.seeds_needed is None
        return v.detail

    assert "no number of seeds decides it" in detail([stuck, t_up])
    assert "no number of seeds decides it" not in detail([stuck, s_up])


def test_a_censored_never_counts_on_its_side_in_the_sign_projection() -> None:
    """±inf (a time never reached) is ordered like any value by the sign sequence and the
    sign test: 6 of 8 at +inf above a bound of 10 head to holds on both, as the same record
    with a large finite value in their place does."""
    from twolayer.stats import sign_test_seeds_needed

    never = (np.inf,) * 6 + (1.0, 2.0)
    big = (1e9,) * 6 + (1.0, 2.0)
    assert sq.sign_side_seeds_needed(never, 10.0, ">=") == sq.sign_side_seeds_needed(
        big, 10.0, ">=")
    assert sq.sign_side_seeds_needed(never, 10.0, ">=")[0] == HOLDS
    assert sign_test_seeds_needed(never, 10.0, ">=") == sign_test_seeds_needed(big, 10.0, ">=")
    cmp = Comparison(never, 10.0, ">=", "sign")
    assert sq._projected(cmp, sq.ALPHA) == sq.sign_side_seeds_needed(big, 10.0, ">=")

