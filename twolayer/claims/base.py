"""Claims as code: a paper statement, where it comes from, and a check that returns a verdict.

A :class:`Claim` names a statement of a paper (id ``<paper>.<source>.<short_name>``), its source
(theorem, lemma, equation, figure), the card's certainty tag ([PAPER], [SECONDARY], [INFERRED],
...), whether it is checked inside the theorem's assumptions (``in_regime``), and a ``check``
function. There is one way to register a claim, :func:`claim`; its check reads the experiments'
Records from a :class:`twolayer.experiments.Runs` and returns an :class:`Outcome` (what was
measured), which :func:`run_checks` turns into the claim's :class:`Verdict`: the check never
names its claim, so it cannot report another claim's id.

A :class:`Verdict` reports what was measured, never a loosened bound: ``holds``, ``fails`` or
``inconclusive`` (e.g. the confidence interval straddles the bound), the measured value, the
predicted bound or trend, a confidence interval over seeds, the number of seeds and the setting;
``error`` when the check itself raised or measured NaN where it needs a number (the message is
in ``detail``; the other claims are still judged). The statistics are in :mod:`twolayer.stats`.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from ..engine import Runtime
from ..errors import ConfigError, code_origin
from ..experiments import (  # noqa: F401  (re-exported)
    EXPERIMENTS,
    Runs,
    experiment,
    reading_records,
)
from ..resources import WriteFailed
from ..stats import (  # noqa: F401  (re-exported for the paper modules)
    ERROR,
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    Comparison,
    _rule_alone,
    as_values,
    box_comparisons_seeds_needed,
    box_seeds_needed,
    combine,
    compare,
    comparison_outcomes,
    counting_dropped,
    finite,
    fmt_num,
    interval_outcome,
    mean_ci,
    no_spread,
    one_sided_p,
    recording_intervals,
    seeds_needed,
)
from ..stats import comparisons as make_comparisons
from ..timing import phase

SMOKE, EVIDENCE = "smoke", "evidence"


@dataclass(frozen=True)
class Verdict:
    """A judged claim: its identity (id, paper, statement, source, tag), the check's outcome
    (verdict holds / fails / inconclusive / error, measured value, bound, interval, seeds,
    setting) and how to read it (in_regime and regime, tier smoke or evidence, seeds_needed,
    decides, seeds_stated: the seed count is the check's word only)."""

    id: str
    paper: str
    statement: str
    source: str
    verdict: str  # holds | fails | inconclusive | error
    measured: float | None
    bound: str
    ci: tuple[float, float] | None
    seeds: int
    setting: str
    in_regime: bool
    tag: str = "[PAPER]"
    detail: str = ""
    figure: str | None = None
    tier: str = EVIDENCE  # "smoke" for a --quick run (the code works; not evidence)
    # inconclusive: seeds at which it would decide at the measured effect (its interval; with
    # several mean comparisons or a box, the claim's rule of them: docs/claims_method.md)
    seeds_needed: int | None = None
    decides: bool = True  # False: a [PROPOSAL] setting, reported apart, not in the exit status
    regime: str = ""  # why in_regime is what it is: the premises measured on the runs
    sequential: dict[str, Any] | None = None  # --seeds auto: method, alpha, looks (else None)
    regime_computed: bool = True  # False: in_regime is the claim's registered value, asserted
    # True: a holds or fails whose seed count only the check states: it handed over neither
    # per-seed values nor comparisons, and its interval is not one twolayer's statistics
    # computed from that many values (marked in the table, the report and the JSON)
    seeds_stated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The verdict as a JSON object (the interval as a list, a non-finite value as null)."""
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci is not None else None
        for k in ("measured",):
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = None
        return d


@dataclass(frozen=True)
class Outcome:
    """What a check measured: the verdict's outcome and numbers, without the claim's identity
    (statement, source, tag and regime come from the registered :class:`Claim`)."""

    verdict: str
    measured: float | None
    bound: str
    ci: tuple[float, float] | None
    seeds: int
    setting: str
    detail: str = ""
    figure: str | None = None
    per_seed: tuple[float, ...] | None = None  # the per-seed statistic behind ci, if any
    threshold: float | None = None  # the bound it is compared with, if one number
    direction: str | None = None  # ">=" or "<=": the claimed side of threshold (for --seeds auto)
    in_regime: bool | None = None  # computed from the measured premises; None: the claim's own
    regime: str = ""  # which premises were measured, with their values
    # the k one-sided comparisons the verdict was decided from (e.g. Holm over k), and the rule
    # that maps their outcomes to the claim's verdict (default: every one must hold) — what
    # --seeds auto judges, each comparison by its own confidence sequence at level α/k
    comparisons: tuple[Comparison, ...] | None = None
    rule: Callable[[Sequence[str]], str] | None = field(default=None, repr=False, compare=False)
    # the evidence besides the comparisons that fails the claim, named (a run event over its
    # runs' rates, say): a fails handed over with it stands where the comparisons, re-judged,
    # do not give fails; without it they must (session 49)
    fails_from: str = ""
    # non-finite values the check's intervals (stats.mean_ci, median_ci, bootstrap_ci) left out
    # without declaring them vacuous: set by judge_outcome, never by a check
    dropped: int = 0
    # the intervals stats.mean_ci, median_ci, bootstrap_ci and jackknife computed during the
    # check, each with the counts of values behind it: set by judge_outcome, never by a check
    intervals: tuple[tuple[tuple[float, float], tuple[int, ...]], ...] = ()


CheckFn = Callable[[Runs], "Outcome | Verdict"]


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    statement: str
    source: str
    check: CheckFn = field(repr=False)
    tag: str = "[PAPER]"
    in_regime: bool = True
    origin: str = ""  # "<file>:<line>" of the check, for error messages
    decides: bool = True  # False: checked on a setting the project proposed ([PROPOSAL]), not the
    # paper's: reported apart and left out of the exit status

    def verdict(self, o: Outcome, tier: str = EVIDENCE) -> Verdict:
        """This claim's verdict from a check's outcome (``tier``: smoke or evidence). A holds or
        fails whose measured value is NaN is inconclusive (a verdict is reported with the number
        it was decided on; an infinite one, such as a time never reached, stands). A holds or
        fails whose per-seed values (``per_seed``, or a comparison not marked ``nan_vacuous``)
        include a NaN becomes inconclusive: a lost seed may be the one on the other side, and a
        verdict is never decided on the remaining seeds. So does a holds or fails that carries
        neither a finite interval (``ci``) nor the comparisons it was decided from, or that
        reports fewer than two seeds: a verdict is never taken from a point estimate. A holds or
        fails that its own ``comparisons``, re-judged (:func:`rejudged`: Holm at 95%, each by
        its own test, then the ``rule``), do not give is inconclusive; where they give the other
        verdict (or the rule breaks) it is an error: the check contradicts its evidence. So is a
        holds whose ``per_seed`` values fail its ``threshold`` by a t-test and a sign test both,
        or whose own ``ci`` lies wholly on the other side of its ``threshold``; and a fails
        whose ``per_seed`` values hold by both tests or whose ``ci`` lies wholly on the claimed
        side. A holds or fails handed over without comparisons, whose ``ci`` contains its
        ``threshold`` and whose ``per_seed`` values (where given) give it by neither test, is
        inconclusive: nothing supports it (:func:`_unsupported`). A holds or fails from a
        zero-width interval stands only with comparisons, or with per-seed values that give it
        by the exact sign test. A holds or fails whose ``seeds`` is not the count of its
        per-seed values, or exceeds its largest comparison's, or (handing over neither, its
        ``ci`` an interval :mod:`twolayer.stats` computed during the check) exceeds the values
        of all the intervals those statistics computed, is an error; one whose seed count
        nothing it hands over shows (no per-seed values, no comparisons, an interval not
        computed by those statistics from that many values) keeps its verdict with
        ``seeds_stated`` set and a detail saying so."""
        result, detail = o.verdict, o.detail
        lost = _lost_values(o)
        if result in (HOLDS, FAILS) and _is_nan(o.measured):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + (
                f"the check said {o.verdict} but its measured value is NaN (not measured): a "
                "verdict is reported with the number it was decided on, so it is inconclusive")
        elif lost and result in (HOLDS, FAILS):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + (
                f"{lost} per-seed value(s) are NaN (lost seeds): the check's {o.verdict} is not "
                "decided on the remaining seeds, so it is inconclusive")
        elif o.dropped and result in (HOLDS, FAILS):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + (
                f"{o.dropped} non-finite value(s) were left out of the check's intervals (lost "
                f"seeds, not declared vacuous): its {o.verdict} is not decided on the remaining "
                "seeds, so it is inconclusive")
        elif result in (HOLDS, FAILS) and not o.comparisons and not _finite_interval(o.ci):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + (
                f"the check said {o.verdict} with neither a finite confidence interval nor the "
                "comparisons it decided from (a point estimate), so it is inconclusive"
                if o.ci is None else
                f"the check said {o.verdict} with the interval {tuple(o.ci)}, which is not "
                "finite (a one-sided bound, or a lost value), and without the comparisons it "
                "decided from, so it is inconclusive: give a two-sided interval, or "
                "comparisons=[(values, bound, direction)]")
        elif (result in (HOLDS, FAILS) and not o.comparisons and float(o.ci[0]) == float(o.ci[1])
              and (why := _zero_width_undecided(o, result))):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + why
        elif result in (HOLDS, FAILS) and o.seeds < 2:
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + (
                f"the check said {o.verdict} from {o.seeds} seed(s): fewer than two seeds "
                "decide nothing, so it is inconclusive")
        elif result in (HOLDS, FAILS) and (why := _seeds_unlike_values(o)):
            result = ERROR
            detail = (f"{detail}; " if detail else "") + why
        elif result in (HOLDS, FAILS) and o.comparisons:
            # a check may demand more than its comparisons (a premise), never less: its holds
            # or fails must be theirs too (a fails was taken at its word until session 49)
            again, why = rejudged(o)
            if again != result and result == FAILS and o.fails_from:
                # its fails rests on evidence the comparisons do not carry: it stands, said
                detail = (f"{detail}; " if detail else "") + (
                    f"its fails rests on {o.fails_from}; its {len(o.comparisons)} comparison(s), "
                    f"re-judged ({why}), give {again}")
            elif again != result:
                result = ERROR if again in (HOLDS, FAILS, ERROR) else INCONCLUSIVE
                detail = (f"{detail}; " if detail else "") + (
                    f"the check said {o.verdict}, but the {len(o.comparisons)} comparison(s) "
                    f"it decided from, re-judged ({why}), give {again}: "
                    + ("the check contradicts its own evidence, so this is an error" if
                       result == ERROR else f"its {o.verdict} is not supported, so it is "
                       "inconclusive"))
            elif (result == HOLDS or o.rule is None) and (
                    against := (_per_seed_against(o, result, with_comparisons=True)
                                or _ci_against(o, result, with_comparisons=True))):
                # its comparisons give it, but the interval or per-seed values it shows with
                # its threshold refute it (comparisons of other values than those shown). Not
                # a fails under the check's own rule: a rule may carry a counterexample run
                # (liu2023's statements about every run, examples/lazy_training), whose fails
                # stands with every mean on the holding side
                result = ERROR
                detail = (f"{detail}; " if detail else "") + against
            elif why := _rule_decides_alone(o, result):
                result = INCONCLUSIVE
                detail = (f"{detail}; " if detail else "") + why
        elif result == HOLDS and (against := _per_seed_against(o) or _ci_against(o)):
            result = ERROR
            detail = (f"{detail}; " if detail else "") + against
        elif result == FAILS and (against := _per_seed_against(o, FAILS)
                                  or _ci_against(o, FAILS)):
            result = ERROR
            detail = (f"{detail}; " if detail else "") + against
        elif result in (HOLDS, FAILS) and (why := _unsupported(o, result)):
            result = INCONCLUSIVE
            detail = (f"{detail}; " if detail else "") + why
        if result in (HOLDS, FAILS) and (flat := _median_not_mean(o)):
            detail = (f"{detail}; " if detail else "") + flat
        if result in (HOLDS, FAILS) and (median := _sign_test_only(o, result)):
            detail = (f"{detail}; " if detail else "") + median
        stated = result in (HOLDS, FAILS) and bool(why := _seeds_only_stated(o))
        if stated:
            detail = (f"{detail}; " if detail else "") + why
        needed = None
        comps = tuple(o.comparisons or ())
        # a claim with comparisons: the seeds at which its rule of them decides, each by its own
        # one-sided test at 0.05/k (per_seed's values, one comparison's, would ignore the
        # others, the rule and a sign test's counts, and their two-sided 95% interval asked
        # ~40% more seeds than one t comparison's test needs: until session 49 one t comparison
        # beside per_seed values was estimated so); per-seed intervals over a box (one end's
        # values would understate it). Without comparisons: per_seed's two-sided interval.
        ruled = bool(comps)
        if result == INCONCLUSIVE and ruled and not lost and not o.dropped:
            needed, stuck = box_comparisons_seeds_needed(comps, o.rule)
            if needed is None and (why := _widths_keep_open(o.comparisons, o.rule, stuck)):
                detail = (f"{detail}; " if detail else "") + why
        elif (result == INCONCLUSIVE and o.per_seed is not None and o.threshold is not None
                and not lost and not o.dropped):  # a lost seed is lost at any seed count
            needed = seeds_needed(o.per_seed, o.threshold)
        if needed is not None and needed <= int(o.seeds):
            # the seeds there already would give it: held back by something no seed count
            # decides (a premise), so no estimate ("about 4 seeds would decide it" at 4 seeds)
            needed = None
        if result == INCONCLUSIVE and (why := _equal_values_undecided(o)):
            detail = (f"{detail}; " if detail else "") + why
        computed = o.in_regime is not None
        in_regime = bool(o.in_regime) if computed else self.in_regime
        regime = o.regime if computed else (
            f"not computed: the check measured no premise, so this is the claim's registered "
            f"value ({'inside' if in_regime else 'outside'})" + (f"; {o.regime}" if o.regime
                                                                 else ""))
        return Verdict(
            id=self.id, paper=self.paper, statement=self.statement, source=self.source,
            verdict=result, measured=None if o.measured is None else float(o.measured),
            bound=o.bound, ci=None if o.ci is None else (float(o.ci[0]), float(o.ci[1])),
            seeds=int(o.seeds), setting=o.setting, in_regime=in_regime, tag=self.tag,
            detail=detail, figure=o.figure, tier=tier, seeds_needed=needed,
            decides=self.decides, regime=regime, regime_computed=computed,
            seeds_stated=stated,
        )

    def error(self, message: str, tier: str = EVIDENCE) -> Verdict:
        """The verdict ``error``: the check could not be judged (the message says why)."""
        return self.verdict(Outcome(ERROR, None, "n/a", None, 0, "n/a", detail=message), tier)


def _widths_keep_open(comps: Sequence[Comparison], rule: Callable[[Sequence[str]], str] | None,
                      stuck: Sequence[int]) -> str:
    """Why no number of seeds decides an inconclusive verdict, or "": some of its comparisons
    over per-seed intervals (``stuck``: the mean of their low ends at or below the bound and of
    their high ends at or above it, :func:`~twolayer.stats.box_seeds_needed`) stay undecided
    at any seed count, and the claim's ``rule`` is not decided with every other comparison
    decided on its side."""
    if not stuck or any(c.test != "t" for c in comps):
        return ""
    k = len(comps)
    judge = rule if rule is not None else (lambda outs: combine(*outs))
    level = (1.0 - REJUDGE_LEVEL) / k
    sides = []
    for i, c in enumerate(comps):
        if i in stuck:
            sides.append(INCONCLUSIVE)
            continue
        box = c.judged_box()
        lo, hi = box if box is not None else (c.judged_values(), c.judged_values())
        side, _ = box_seeds_needed(lo, hi, c.threshold, c.direction, level)
        if side not in (HOLDS, FAILS):
            return ""  # a comparison with nothing to estimate from: not the widths' doing
        sides.append(side)
    if judge(sides) in (HOLDS, FAILS):
        return ""
    which = ", ".join(f"{i + 1} (mean {comps[i].direction} {comps[i].threshold:g})"
                      for i in stuck)
    return (f"no number of seeds decides it at the measured per-seed intervals: comparison(s) "
            f"{which} of {k} stay undecided at any seed count (the mean of their intervals' "
            "low ends is at or below the bound and that of their high ends at or above it: "
            "the intervals' widths, not the seeds, keep them open), and the rest decided "
            "would not decide the claim")


REJUDGE_LEVEL = 0.95  # the family-wise level a check's comparisons are re-judged at


def rejudged(o: Outcome) -> tuple[str, str]:
    """(verdict, how) of an outcome's ``comparisons`` judged again at their sample size:
    family-wise at :data:`REJUDGE_LEVEL` by Holm over the k comparisons, each by its own test
    (:func:`~twolayer.stats.comparison_outcomes`), joined by the outcome's ``rule`` (default
    :func:`~twolayer.stats.combine`). A check may ask more than its comparisons (premises,
    conditions no comparison states), so its *holds* must be theirs too; a holds they do not
    give is not taken. A rule that raises or returns no outcome gives ``error``."""
    outs = comparison_outcomes(o.comparisons or (), REJUDGE_LEVEL)
    how = (f"Holm over {len(outs)} at family level {REJUDGE_LEVEL:g}, each by its own test: "
           + ", ".join(outs))
    if o.rule is None:
        return combine(*outs), how
    try:
        again = o.rule(list(outs))
    except Exception as e:  # noqa: BLE001 - the check's own callable: reported in the verdict
        return ERROR, f"{how}; its rule raised {type(e).__name__}: {e}"
    if not isinstance(again, str) or again not in (HOLDS, FAILS, INCONCLUSIVE, ERROR):
        return ERROR, f"{how}; its rule returned {again!r}, not an outcome"
    return again, f"{how}, joined by its rule"


def _seeds_unlike_values(o: Outcome) -> str:
    """Why a holds or fails reports another seed count than the values it hands over, else "":
    its ``seeds`` must lie between the number of finite ``per_seed`` values
    (:func:`stats.used`) and the number that are not NaN (an infinite value, such as a time
    never reached, may count as a seed or not), and be no more than the non-NaN values of the
    largest of its ``comparisons``. A verdict cited as "holds over 20 seeds" must rest on 20
    seeds' values."""
    seeds = int(o.seeds)
    if o.per_seed is not None:
        finite = sum(1 for x in o.per_seed if math.isfinite(x))
        numbers = sum(1 for x in o.per_seed if not math.isnan(x))
        if not finite <= seeds <= numbers:
            have = f"{finite}" if finite == numbers else f"{finite} finite ({numbers} not NaN)"
            return (f"the check reported {seeds} seeds but handed over {have} per-seed "
                    "value(s): its seed count is not its evidence's, so this is an error "
                    "(report stats.used(values))")
    if o.comparisons:
        most = max(sum(1 for x in c.judged_values() if not math.isnan(x))
                   for c in o.comparisons)
        if seeds > most:
            return (f"the check reported {seeds} seeds but none of its {len(o.comparisons)} "
                    f"comparison(s) has more than {most} value(s): its seed count is not its "
                    "evidence's, so this is an error (report stats.used(values))")
    if o.per_seed is None and not o.comparisons:
        counts = _interval_counts(o)
        every = sum(max(c, default=0) for _, c in o.intervals)
        if counts and seeds > every:
            return (f"the check reported {seeds} seeds but its interval is the one twolayer's "
                    f"statistics computed from {max(counts)} value(s), and all the intervals "
                    f"they computed during the check had {every} value(s) together: its seed "
                    "count is not its evidence's, so this is an error (report "
                    "stats.used(values))")
    return ""


def _interval_counts(o: Outcome) -> set[int]:
    """The counts of values behind the outcome's ``ci``, where it is an interval that
    :func:`~twolayer.stats.mean_ci`, ``median_ci``, ``bootstrap_ci``, ``jackknife`` or
    ``clopper_pearson`` computed during the check (exactly those ends; each sample's size
    and, for a bootstrap of several samples, their sum); empty where it is none of them."""
    if not _finite_interval(o.ci):
        return set()
    ends = (float(o.ci[0]), float(o.ci[1]))
    return {n for ci, counts in o.intervals if ci == ends for n in counts}


def _seeds_only_stated(o: Outcome) -> str:
    """What a holds or fails says when nothing it hands over shows its seed count, else "":
    it gives neither ``per_seed`` nor ``comparisons`` (whose counts :func:`_seeds_unlike_values`
    checks), and its ``ci`` is not an interval twolayer's statistics computed during the
    check from that many values (a check may compute its interval by its own code, or from
    fewer runs than it reports). Its verdict stands, but the seed count is the check's word,
    not shown by its evidence: the table, report and JSON mark it (``seeds_stated``)."""
    if o.per_seed is not None or o.comparisons:
        return ""
    counts = _interval_counts(o)
    if int(o.seeds) in counts:
        return ""
    came = (f"its interval was computed from {', '.join(map(str, sorted(counts)))} value(s)"
            if counts else "its interval is not one that stats.mean_ci, median_ci, "
            "bootstrap_ci, jackknife or clopper_pearson computed during the check")
    return (f"the seed count {int(o.seeds)} is the check's own statement: it handed over neither "
            f"per-seed values nor comparisons, and {came}, so nothing shows the interval rests "
            f"on {int(o.seeds)} seeds (hand over per_seed= with threshold= and direction=, or "
            "comparisons=, to show it)")


def _per_seed_against(o: Outcome, said: str = HOLDS, with_comparisons: bool = False) -> str:
    """Why a *holds* (or, ``said=FAILS``, a *fails*) contradicts its ``per_seed`` values (with
    ``threshold`` and ``direction`` and no comparisons), else "": they lie on the other side of
    the threshold (for a fails: on the claimed side) at one-sided 95% by the t-test of the mean
    and by the exact sign test of the median both, so neither reading of the claim gives the
    verdict (a side or threshold typed one way in the check's test and the other in its
    outcome). Less than that is not questioned: the check may decide from another statistic
    of the runs (a pooled one, a jackknife) than the per-seed values it reports.
    ``with_comparisons``: also for an outcome with comparisons (which gave its verdict: the
    per-seed values it shows with its threshold must not refute it)."""
    if ((o.comparisons and not with_comparisons) or o.per_seed is None or o.threshold is None
            or o.direction is None):
        return ""
    v = [x for x in o.per_seed if math.isfinite(x)]
    t_p, sign_p = (one_sided_p(v, o.threshold, o.direction, m) for m in ("t", "sign"))
    side = 1 if said == HOLDS else 0  # the p of the side that refutes what the check said
    if t_p[side] < 1.0 - REJUDGE_LEVEL and sign_p[side] < 1.0 - REJUDGE_LEVEL:
        return (f"the check said {said}, but its per-seed values "
                f"{'fail' if said == HOLDS else 'hold'} {o.direction} {o.threshold:g} at "
                f"one-sided {REJUDGE_LEVEL:g} (t-test of the mean and sign test of the median): "
                "the check contradicts its own evidence, so this is an error")
    return ""


def _ci_against(o: Outcome, said: str = HOLDS, with_comparisons: bool = False) -> str:
    """Why a *holds* (or, ``said=FAILS``, a *fails*) contradicts its own interval (with
    ``threshold`` and ``direction`` and no comparisons), else "": the ``ci`` it reports lies
    wholly on the other side of the ``threshold`` it names (for a fails: wholly on the claimed
    side; ``stats.compare`` gives the other verdict), so the interval it shows refutes the
    verdict it states, whatever statistic it decided from. The per-seed tests alone miss
    this at few seeds (the exact sign test cannot reject at 4 seeds). ``with_comparisons``:
    also for an outcome with comparisons (a holds its comparisons gave, shown with an interval
    wholly below the ">=" threshold it names, said holds until session 50)."""
    if ((o.comparisons and not with_comparisons) or o.threshold is None or o.direction is None
            or not _finite_interval(o.ci)):
        return ""
    other = FAILS if said == HOLDS else HOLDS
    if compare((float(o.ci[0]), float(o.ci[1])), o.threshold, o.direction) == other:
        failing = "above" if o.direction == "<=" else "below"
        side = failing if said == HOLDS else "on the claimed side of (or at)"
        return (f"the check said {said} ({o.direction} {o.threshold:g}), but its own interval "
                f"[{o.ci[0]:.4g}, {o.ci[1]:.4g}] lies wholly {side} {o.threshold:g}: the check "
                "contradicts its own evidence, so this is an error")
    return ""


def _rule_decides_alone(o: Outcome, said: str = HOLDS) -> str:
    """Why a *holds* (``said``) whose ``rule`` gives holds is not supported by its comparisons,
    else "": the rule gives holds with every comparison inconclusive (a rule that returns the
    check's own verdict, or one taken from a point estimate: ``rule=lambda outs: verdict``), so
    the holds does not come from any decided comparison (docs/claims_method.md: "a rule may
    return holds or fails only when the decided comparisons imply it"). Until session 50 such a
    holds stood with its comparisons all inconclusive. The mirror for a *fails* (since session
    51): a rule that gives fails with every comparison inconclusive rests on something else it
    reads, a counterexample run or a point estimate, which nothing here tells apart; it stands
    only where the outcome names it (``fails_from``, as examples/lazy_training's runs whose
    loss rose) or where a comparison, re-judged, fails (the default rule's fails)."""
    k = len(o.comparisons or ())
    if said == HOLDS and _rule_alone(o.rule, k) == HOLDS:
        return (f"its rule gives holds with every one of its {k} comparison(s) inconclusive: "
                "the holds does not come from the comparisons it handed over (a rule may give "
                "holds only where the decided comparisons imply it), so it is inconclusive")
    if (said == FAILS and not o.fails_from and _rule_alone(o.rule, k) == FAILS
            and combine(*comparison_outcomes(o.comparisons or (), REJUDGE_LEVEL)) != FAILS):
        # (a decided comparison that fails, by the default rule, supports it as it stands)
        return (f"its rule gives fails with every one of its {k} comparison(s) inconclusive, "
                "and the check names no other evidence for it (a counterexample run: "
                "fails_from=...): the fails does not come from the comparisons it handed over, "
                "so it is inconclusive")
    return ""


def _unsupported(o: Outcome, said: str) -> str:
    """Why a *holds* (or a *fails*) of a check that hands over no comparisons is supported by
    nothing it hands over, else "": its ``ci`` does not lie wholly on the verdict's side of its
    ``threshold`` (``stats.compare`` gives inconclusive: the interval contains the bound), and
    its ``per_seed`` values, where it gives them, do not give the verdict either, by the
    one-sided t-test of the mean or the exact sign test of the median at
    :data:`REJUDGE_LEVEL`. Such a verdict is decided from a point estimate (the measured value
    on one side of the bound), which a verdict never is: inconclusive. Until session 48 only a
    verdict that its evidence *contradicts* was caught (:func:`_per_seed_against`,
    :func:`_ci_against`), and a plugin's ``outcome(HOLDS if m <= b else FAILS, m, ..., ci,
    per_seed=..., threshold=b, direction="<=")`` with the interval across b said holds."""
    if (o.comparisons or o.threshold is None or o.direction is None
            or not _finite_interval(o.ci)):
        return ""
    lo, hi = float(o.ci[0]), float(o.ci[1])
    if compare((lo, hi), o.threshold, o.direction) == said:
        return ""
    side = 0 if said == HOLDS else 1  # the p of the side the verdict takes
    tests = ""
    if o.per_seed is not None:
        v = [x for x in o.per_seed if math.isfinite(x)]
        t_p, sign_p = (one_sided_p(v, o.threshold, o.direction, m) for m in ("t", "sign"))
        if t_p[side] < 1.0 - REJUDGE_LEVEL:
            return ""
        if sign_p[side] < 1.0 - REJUDGE_LEVEL:
            # the median's test alone: it stands unless the number the verdict is reported
            # with lies on the other side (a "mean <= 0.1" holds at measured mean 1.29, one
            # seed of eight at 10: session 49's helper)
            m = None if o.measured is None else float(o.measured)
            if m is None or not math.isfinite(m) or _side_of(m, o.threshold, o.direction) == said:
                return ""
            return (f"the check said {said} ({o.direction} {o.threshold:g}) with the measured "
                    f"value {m:.4g} on the other side; its interval [{lo:.4g}, {hi:.4g}] "
                    f"contains {o.threshold:g} and of its {len(v)} per-seed values only the "
                    f"sign test of the median gives it (p = {sign_p[side]:.3g}; the t-test of "
                    f"the mean p = {t_p[side]:.3g}): the number it reports contradicts it, so "
                    "it is inconclusive")
        tests = (f", nor do its {len(v)} per-seed values at one-sided {REJUDGE_LEVEL:g} "
                 f"(t-test of the mean p = {t_p[side]:.3g}, sign test of the median "
                 f"p = {sign_p[side]:.3g})")
    return (f"the check said {said} ({o.direction} {o.threshold:g}), but its own interval "
            f"[{lo:.4g}, {hi:.4g}] does not lie wholly "
            f"{'on the claimed side of' if said == HOLDS else 'on the other side of'} "
            f"{o.threshold:g}{tests}: a verdict from the point estimate alone, so it is "
            "inconclusive")


def _side_of(x: float, threshold: float, direction: str) -> str:
    """HOLDS where ``x`` lies on the claimed side of ``threshold`` (``direction`` "<=" or
    ">="), else FAILS."""
    return HOLDS if (x <= threshold if direction == "<=" else x >= threshold) else FAILS


def _sign_test_only(o: Outcome, said: str) -> str:
    """What a holds or fails handed over without comparisons says when only the exact sign test
    of its ``per_seed`` values supports it (its interval contains its ``threshold`` and the
    t-test of the mean does not give it), else "": it is a verdict about the median seed, and
    the reader is told (it stood without a word until session 49)."""
    if (o.comparisons or o.per_seed is None or o.threshold is None or o.direction is None
            or not _finite_interval(o.ci)):
        return ""
    if compare((float(o.ci[0]), float(o.ci[1])), o.threshold, o.direction) == said:
        return ""
    side = 0 if said == HOLDS else 1
    v = [x for x in o.per_seed if math.isfinite(x)]
    t_p, sign_p = (one_sided_p(v, o.threshold, o.direction, m) for m in ("t", "sign"))
    if t_p[side] < 1.0 - REJUDGE_LEVEL or not sign_p[side] < 1.0 - REJUDGE_LEVEL:
        return ""
    return (f"decided by the sign test of the median of its {len(v)} per-seed values "
            f"(one-sided p = {sign_p[side]:.3g}); its interval contains {o.threshold:g} and the "
            f"t-test of the mean does not give it (p = {t_p[side]:.3g}): this verdict is about "
            "the median seed")


def _median_not_mean(o: Outcome) -> str:
    """What a decided verdict says when some of its mean comparisons (``"t"``, or ``per_seed``
    with ``threshold`` and ``direction``) had seeds with no spread (every seed the same value,
    :func:`~twolayer.stats.no_spread`), else "": those are judged by the exact sign test, a
    test of the median. A claim about the mean is not decided by equal seeds (a rare seed far
    off moves the mean and none was drawn: with a share q = 0.1 of seeds at 1 and the rest at
    0, "mean <= 0.05" holds by that test in 60% of 5-seed samples, 36% at 10;
    docs/claims_method.md), so the reader is told."""
    if o.comparisons:
        comps = o.comparisons
    elif (o.per_seed is not None and o.threshold is not None and o.direction is not None
          and _finite_interval(o.ci) and float(o.ci[0]) == float(o.ci[1])):
        # a zero-width interval: the verdict stood by the sign test of the per-seed values
        comps = (Comparison(tuple(o.per_seed), o.threshold, o.direction),)
    else:
        return ""
    flat = [c for c in comps if c.test == "t" and no_spread(c.judged_values())]
    if not flat:
        return ""
    return (f"{len(flat)} of its {len(comps)} comparison(s) of a mean had seeds with no spread "
            f"(every seed {fmt_num(float(finite(flat[0].judged_values())[0]))}"
            + (" in the first" if len(flat) > 1 else "") + "): judged by the exact sign test, "
            "a test of the median, not of the mean (equal seeds bound no mean: a rare seed far "
            "off would move it; docs/claims_method.md), so this verdict is about the median "
            "seed")


def _lost_values(o: Outcome) -> int:
    """How many per-seed values of an outcome are NaN where a number is expected: in
    ``per_seed``, and in every comparison not marked ``nan_vacuous``."""
    n = 0
    if o.per_seed is not None:
        n += sum(1 for x in o.per_seed if math.isnan(x))
    for c in o.comparisons or ():
        if not c.nan_vacuous:
            n += sum(1 for x in c.values if math.isnan(x))
    return n


CLAIMS: dict[str, Claim] = {}
# a claim id: '<paper>.<name>[.<more>]', each part letters, digits, '_' and '-' (not first):
# a '/' made the id a plugin path on the command line (not selectable), a '|' split the
# report's table row, a leading '-' read as a flag
CLAIM_ID = re.compile(r"\w[\w-]*(\.\w[\w-]*)+")
# how sure a claim's reading of its paper is: the paper cards' provenance tags
TAGS = ("[PAPER]", "[PAPER-PARTIAL]", "[SECONDARY]", "[INFERRED]", "[PROPOSAL]", "[PILOT]")


def claim(
    id: str, statement: str, source: str, tag: str = "[PAPER]", in_regime: bool = True,
    decides: bool = True,
) -> Callable[[CheckFn], CheckFn]:
    """Decorator registering ``check(runs) -> Outcome`` as the claim ``id``, of the form
    ``<paper>.<name>`` (dot-separated parts of letters, digits, ``_`` and ``-``, not first; e.g.
    ``mypaper.lemma1.bound``; anything else raises where it registers). ``in_regime``:
    checked inside the theorem's assumptions; ``decides=False``: checked on a setting the project
    proposed because the paper's protocol is unknown or is not a two-layer network (reported
    apart, not in the exit status)."""

    def deco(fn: CheckFn) -> CheckFn:
        code = getattr(fn, "__code__", None)
        origin = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)
        if not (isinstance(id, str) and CLAIM_ID.fullmatch(id)) or id.split(".", 1)[0] == "all":
            from ..errors import TwolayerError

            raise TwolayerError(f"claim {id!r} ({origin}): an id is '<paper>.<name>' (e.g. "
                                "'mypaper.lemma1.bound'): dot-separated parts of letters, "
                                "digits, '_' and '-' (not first), the first the paper (not "
                                "'all', which selects every claim)")
        paper = id.split(".", 1)[0]
        if id in CLAIMS and CLAIMS[id].origin != origin:
            from ..errors import TwolayerError

            raise TwolayerError(f"claim {id!r} is registered twice: at {CLAIMS[id].origin} and "
                                f"at {origin}")
        if tag not in TAGS:
            from ..errors import TwolayerError

            raise TwolayerError(f"claim {id!r} ({origin}): tag {tag!r} is not one of "
                                f"{', '.join(TAGS)}")
        CLAIMS[id] = Claim(id, paper, statement, source, fn, tag, in_regime, origin, decides)
        return fn

    return deco


def _equal_values_undecided(o: Outcome) -> str:
    """Why an inconclusive verdict whose per-seed values are equal on every seed (a comparison's,
    or ``per_seed`` with its ``threshold``) could not be decided, with the seeds that would
    decide it (not ``seeds_needed``, which is about the t-interval), or "". Values with no
    spread are judged by the exact sign test (:func:`~twolayer.stats.one_sided_p`), whose p
    for n equal values on one side of the bound is 2^-n: with k comparisons under Holm at
    family-wise 95% it decides only from the smallest n with 2^-n < 0.05/k (5 seeds for one
    comparison). A bound text naming a t-test and an interval such as [1, 1] clear of the
    bound read as a decided claim; the detail said nothing."""
    if o.comparisons:
        groups = [(c.judged_values(), float(c.threshold)) for c in o.comparisons]
    elif o.per_seed is not None and o.threshold is not None:
        groups = [(tuple(o.per_seed), float(o.threshold))]
    else:
        return ""
    k = len(groups)
    need = math.floor(math.log2(k / 0.05)) + 1  # the smallest n with 2^-n < 0.05/k
    for i, (values, bound) in enumerate(groups):
        v = np.asarray(values, dtype=np.float64)
        if v.size < 2 or not np.isfinite(v).all() or not no_spread(v) or v[0] == bound:
            continue
        if v.size < need:
            which = f"comparison {i + 1} of {k}" if k > 1 else "the comparison"
            holm = f"under Holm over {k} comparisons " if k > 1 else ""
            return (f"{which} has the same value {v[0]:.4g} on all {v.size} seeds: equal values "
                    f"are judged by the exact sign test (p = 2^-{v.size} = {2.0 ** -v.size:.3g}), "
                    f"which at family-wise 95% decides {holm}only from {need} seeds, so it is "
                    "inconclusive whatever the interval")
    return ""


def _zero_width_undecided(o: Outcome, said: str) -> str:
    """Why a holds or fails with a zero-width interval (every seed gave the same value; its
    width says nothing about the seeds not drawn) and no comparisons is not decided, else "":
    it is decided only where its ``per_seed`` values, ``threshold`` and ``direction`` give
    the same outcome by the exact sign test at one-sided 95% (what
    :func:`~twolayer.stats.one_sided_p` uses for values with no spread)."""
    if o.per_seed is not None and o.threshold is not None and o.direction is not None:
        by_sign = comparison_outcomes(make_comparisons(
            [(o.per_seed, o.threshold, o.direction)], "sign"), REJUDGE_LEVEL)[0]
        if by_sign == said:
            return ""
        return (f"the check said {said} from a zero-width interval; the exact sign test of its "
                f"{len(o.per_seed)} per-seed values against {o.threshold:g} gives {by_sign}, "
                "so it is inconclusive")
    return (f"the check said {said} from a zero-width interval {tuple(o.ci)} and handed over "
            "neither the comparisons nor the per-seed values (with threshold and direction) it "
            "decided from: equal values on every seed are no interval, so it is inconclusive")


def _is_nan(x: object) -> bool:
    """Whether ``x`` is a number that is NaN (None, an infinity or a finite number is not)."""
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _finite_interval(ci: tuple[float, float] | None) -> bool:
    """Whether ``ci`` is an interval of two finite numbers."""
    return ci is not None and _number_pair(ci) and all(math.isfinite(float(x)) for x in ci)


def outcome(
    verdict: str,
    measured: float | None,
    bound: str,
    ci: tuple[float, float] | None,
    seeds: int,
    setting: str,
    detail: str = "",
    figure: str | None = None,
    *,
    per_seed: Iterable[float] | None = None,
    threshold: float | None = None,
    direction: str | None = None,
    in_regime: bool | None = None,
    regime: str = "",
    comparisons: Iterable[Comparison | tuple[Iterable[float], float, str]] | None = None,
    test: str = "t",
    rule: Callable[[Sequence[str]], str] | None = None,
    nan_vacuous: bool = False,
    fails_from: str = "",
) -> Outcome:
    """What a check returns (see :class:`Outcome`). ``per_seed``, ``threshold`` and
    ``direction``: the per-seed statistic behind ``ci`` and the bound it is compared with (they
    give an inconclusive verdict its ``seeds_needed`` and let ``--seeds auto`` decide it);
    ``in_regime`` and ``regime``: whether the setting is inside the theorem's assumptions,
    computed from measured premises, and which premises with which values (None keeps the
    claim's registered ``in_regime``; a computed one needs its ``regime`` text).
    ``comparisons``: the one-sided comparisons the verdict
    was decided from (:class:`~twolayer.stats.Comparison`, or ``(values, threshold, direction)``
    triples judged by ``test``: ``"t"`` or ``"sign"``), and ``rule``: how their outcomes make
    the claim's verdict (default :func:`~twolayer.stats.combine`: holds when every one holds,
    fails when one fails); a *holds* they do not give, re-judged by Holm at 95% with each
    comparison's own test (:func:`rejudged`), is not taken; ``--seeds auto`` judges each by its
    own confidence sequence.
    ``nan_vacuous``: in the triples, a NaN marks a run the statement says nothing about (kept
    for run order, dropped before the test); by default a NaN is a lost measurement and makes
    its comparison undecidable. ``fails_from``: where a *fails* rests on evidence the
    comparisons do not carry (a run event judged by its runs' rates), what it is; the fails then
    stands though the comparisons, re-judged, do not give it (without it, a fails they do not
    give is inconclusive, and one they give as holds an error). ``--seeds auto`` judges only
    the comparisons, so a claim with ``fails_from`` is decided there as before."""
    if direction is not None and direction not in (">=", "<="):
        raise ValueError(f"direction must be '>=' or '<=', not {direction!r}")
    if threshold is not None and not math.isfinite(float(threshold)):
        raise ValueError(f"threshold must be a finite number, not {threshold!r}")
    if threshold is not None and direction is None:  # which side holds is then unknown, and a
        # holds whose per-seed values or interval lie on the other side would go unquestioned
        raise ValueError(f"threshold {threshold!r} needs its direction ('>=' or '<=': the side "
                         "of the threshold the claim says the values lie on)")
    if in_regime is not None:  # a string ("no") would count as inside the assumptions
        if not isinstance(in_regime, (bool, np.bool_)):
            raise ValueError(f"in_regime must be True, False or None, not {in_regime!r}")
        in_regime = bool(in_regime)
        if not str(regime).strip():  # "(inside)" with no premise named says nothing
            raise ValueError(f"in_regime={in_regime} needs its regime text: the premises and "
                             "their values it was computed from (regime=...)")
    # one value per seed: a record's [R, T] array is a ValueError naming its shape (an [R, 1]
    # column is its R values)
    ps = None if per_seed is None else tuple(float(x) for x in as_values(per_seed))
    comps = None
    if comparisons is not None:  # in the given order: the rule reads the outcomes by position
        comps = tuple(c if isinstance(c, Comparison)
                      else make_comparisons([c], test, nan_vacuous)[0]
                      for c in comparisons) or None
    return Outcome(verdict, measured, bound, ci, seeds, setting, detail, figure, ps,
                   None if threshold is None else float(threshold), direction, in_regime, regime,
                   comps, rule, fails_from=str(fails_from))


def judge(c: Claim, runs: Runs) -> Verdict:
    """Run one claim's check; an exception or a malformed result gives the verdict ``error``
    (bad input, a ConfigError, still stops the command). The tier is ``smoke`` for a quick run
    and ``evidence`` for the full plan."""
    return judge_outcome(c, runs)[0]


def judge_outcome(c: Claim, runs: Runs) -> tuple[Verdict, Outcome | None]:
    """:func:`judge`'s verdict and the check's :class:`Outcome` behind it (None when the check
    raised or returned something malformed): ``--seeds auto`` reads its per-seed values."""
    tier = SMOKE if getattr(runs, "quick", False) else EVIDENCE  # a reader's runs: no quick
    try:
        with (phase("verdicts"), counting_dropped() as dropped, recording_intervals() as seen,
              reading_records()):
            result = c.check(runs)
    except (ConfigError, WriteFailed):  # bad input; a store that cannot be written
        raise
    except (Exception, SystemExit) as e:  # noqa: BLE001 - reported as this claim's verdict
        # (SystemExit: a check's or an experiment's sys.exit() ended `twolayer check` with its
        # status, 0 included, and no verdict at all: session 50)
        if (exp := _raised_in_experiment(e)) is not None:  # (it read "the check raised")
            name, where = exp
            return c.error(f"the experiment {name!r} it reads raised {type(e).__name__}: {e} "
                           f"(at {where})", tier), None
        return c.error(f"the check raised {type(e).__name__}: {e} (at {_raised_at(e, c)})",
                       tier), None
    if isinstance(result, Verdict):  # a whole verdict: it must be this claim's own
        if result.id != c.id:
            return (c.error(f"the check returned a verdict for another claim ({result.id})",
                            tier), None)
        # its regime, as outcome() takes one: computed (a bool with the premises' text), or
        # not computed (regime_computed=False: the claim's registered value)
        if not result.regime_computed:
            in_regime, regime = None, ""
        elif not isinstance(result.in_regime, (bool, np.bool_)):
            return c.error(f"the check returned a Verdict with in_regime={result.in_regime!r}: "
                           "it must be True or False (or return outcome(...) without "
                           "in_regime for the claim's registered value)", tier), None
        elif not str(result.regime).strip():
            return c.error(f"the check returned a Verdict with in_regime={result.in_regime} "
                           "and no regime text: a computed regime names the premises and their "
                           "values it was computed from (outcome(..., in_regime=, regime=...); "
                           "without in_regime the claim's registered value is used)", tier), None
        else:
            in_regime, regime = bool(result.in_regime), result.regime
        result = Outcome(result.verdict, result.measured, result.bound, result.ci, result.seeds,
                         result.setting, result.detail, result.figure,
                         in_regime=in_regime, regime=regime)
    if not isinstance(result, Outcome):
        return c.error(f"the check returned a {type(result).__name__}, not an Outcome",
                       tier), None
    if result.verdict not in (HOLDS, FAILS, INCONCLUSIVE, ERROR):
        return c.error(f"the check returned the unknown verdict {result.verdict!r}", tier), None
    if result.ci is not None and not _number_pair(result.ci):
        return c.error(f"the check returned the interval {result.ci!r}, not a pair of numbers "
                       "(or None)", tier), None
    if result.ci is not None and float(result.ci[0]) > float(result.ci[1]):  # NaN: not here
        return c.error(f"the check returned the interval {result.ci!r}, whose lower end is "
                       "above its upper end", tier), None
    if not _count(result.seeds):
        return c.error(f"the check returned seeds {result.seeds!r}, not a count of seeds (an "
                       "integer >= 0; stats.used(values))", tier), None
    if result.measured is not None and not _number(result.measured):
        return c.error(f"the check returned the measured value {result.measured!r}, not a "
                       "number (or None)", tier), None
    for name in ("bound", "setting"):  # printed as "bound None" (session 48)
        if not isinstance(getattr(result, name), str):
            return c.error(f"the check returned the {name} {getattr(result, name)!r}, not a "
                           f"text (outcome(verdict, measured, bound, ci, seeds, setting): the "
                           f"{name} says what was compared, in words)", tier), None
    try:  # an Outcome built directly (not by outcome()): its evidence read the same way
        norm = outcome(result.verdict, result.measured, result.bound, result.ci, result.seeds,
                       result.setting, per_seed=result.per_seed, direction=result.direction,
                       comparisons=result.comparisons)
        threshold = None if result.threshold is None else float(result.threshold)
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, not {result.threshold!r}")
    except (TypeError, ValueError) as e:  # else it raised while judged: a traceback
        return c.error(f"the check returned an Outcome whose per_seed, threshold, direction or "
                       f"comparisons are malformed ({type(e).__name__}: {e}); build it with "
                       "outcome(...)", tier), None
    result = replace(result, per_seed=norm.per_seed, threshold=threshold,
                     comparisons=norm.comparisons, dropped=dropped[0], intervals=tuple(seen))
    return c.verdict(result, tier), result


def _raised_in_experiment(e: BaseException) -> tuple[str, str] | None:
    """(experiment name, file:line of the innermost frame in its function) where ``e`` was
    raised inside a registered experiment's function that the check's ``runs.get`` ran in this
    process; None otherwise (an experiment run in a worker process comes back without those
    frames, and is reported as the check's)."""

    codes = {getattr(x.run, "__code__", None): name for name, x in EXPERIMENTS.items()}
    tb, found = e.__traceback__, None
    while tb is not None:
        if (name := codes.get(tb.tb_frame.f_code)) is not None:
            found = (name, f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    return found


def _raised_at(e: BaseException, c: Claim) -> str:
    """file:line where ``e`` left the check's own file (its innermost frame there), else the
    check's definition."""
    if getattr(c.check, "__code__", None) is None and not hasattr(c.check, "__wrapped__"):
        return c.origin or c.id
    return code_origin(c.check, e)


def _number(x: object) -> bool:
    """Whether ``x`` is one number (finite or not; a numpy or torch scalar too), not a string."""
    if isinstance(x, (str, bytes)):  # float("1") would read it
        return False
    try:
        float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _number_pair(ci: object) -> bool:
    """Whether ``ci`` is a pair of numbers (finite or not): a tuple, list or array of two, not
    a string or a mapping (whose characters or keys would be read as the ends)."""
    if isinstance(ci, (str, bytes, dict, set, frozenset)):
        return False
    try:
        return len(ci) == 2 and all(_number(x) for x in ci)  # type: ignore[arg-type]
    except TypeError:
        return False


def _count(seeds: object) -> bool:
    """Whether ``seeds`` is a count: an integer >= 0 (a numpy one, or an integral float)."""
    if isinstance(seeds, bool):
        return False
    if isinstance(seeds, float):
        return seeds.is_integer() and seeds >= 0
    return isinstance(seeds, numbers.Integral) and seeds >= 0


def compare_setting(items: Sequence[tuple[bool, str]], reference: str,
                    not_compared: str) -> tuple[bool, str]:
    """A records' setting against a reference setting (the paper's, or a card's analogue), item
    by item: ``items`` are (matches, "name value vs the reference's value"). Returns (every item
    matches, the regime text: ``reference`` and how many items differ, the items that differ,
    those that match, then ``not_compared``, what was not compared and why). ``items`` may be
    any iterable (a generator is read once); no item is a ValueError: nothing compared is not
    "every item matches"."""
    items = [(bool(ok), str(t)) for ok, t in items]  # a generator read twice matched all
    if not items:
        raise ValueError("compare_setting needs at least one (matches, text) item: with none, "
                         "nothing was compared, so the setting is not shown to match")
    same = [t for ok, t in items if ok]
    differ = [t for ok, t in items if not ok]
    inside = not differ
    text = ((f"{reference}: every item matches" if inside else
             f"not {reference}: {len(differ)} of {len(items)} items differ")
            + (f"; differ: {'; '.join(differ)}" if differ else "")
            + f"; match: {'; '.join(same) if same else 'none'}"
            + f"; {not_compared}")
    return inside, text


def premises_regime(premises: Sequence[tuple[bool, str]],
                    setting: tuple[bool, str]) -> tuple[bool, bool, str, str]:
    """A claim's regime from its measured ``premises`` ((holds, text) each) and its
    ``setting`` against the reference (:func:`compare_setting`'s (matches, text)). Returns
    (every premise met, inside: premises met and the setting matches, the premises' text, the
    regime text: the premises' text, then the setting's)."""
    met = all(ok for ok, _ in premises)
    text = (f"premises {'met' if met else 'unmet'} (measured on the Records): "
            + "; ".join(t for _, t in premises))
    return met, met and setting[0], text, f"{text}. Setting: {setting[1]}"


def claims_for(selection: Iterable[str]) -> list[Claim]:
    """Claims of the given papers or claim ids (``"all"`` or ``"--all"`` for every claim)."""
    sel = list(selection)
    if not sel or "all" in sel:
        return list(CLAIMS.values())
    out = []
    for s in sel:
        hits = [c for c in CLAIMS.values() if c.paper == s or c.id == s or c.id.startswith(s + ".")]
        if not hits:
            papers = sorted({c.paper for c in CLAIMS.values()})
            raise ConfigError("paper", s, "known papers are " + ", ".join(papers))
        out += [c for c in hits if c not in out]
    return out


def run_checks(
    selection: Iterable[str],
    quick: bool = False,
    seeds: int | None = None,
    runtime: Runtime | None = None,
    runs: Runs | None = None,
) -> list[Verdict]:
    """Check the selected claims; experiments are shared between the claims of one call (and
    read from ``runs.store`` when it holds them)."""
    runs = runs or Runs(quick=quick, seeds=seeds, runtime=runtime or Runtime())
    return [judge(c, runs) for c in claims_for(selection)]
