"""Verdict statistics: the one module every paper's claims use to turn per-seed numbers into a
verdict (holds / fails / inconclusive).

A claim measures a statistic per seed (run) r = 1..R, or per pooled batch of runs, and compares
it with the paper's bound or predicted interval. Nothing here decides from a point estimate:

- :func:`mean_ci`: the mean over the finite values v_1..v_k and its Student-t interval
  v̄ ± t_{k−1, 1−(1−level)/2} · s/√k (NaN when k < 2: one seed is a point estimate, no
  interval); :func:`used` counts the k values that entered it;
- :func:`median_ci`: the median and its distribution-free order-statistic interval
  [v_(j), v_(k+1−j)] (binomial coverage ≥ level), for heavy-tailed or bimodal outcomes;
- :func:`bootstrap_ci`: a percentile bootstrap interval of any statistic of one or more
  independent samples (each resampled with replacement; e.g. the median, or a trend slope over
  settings with seeds resampled inside each setting); :func:`bootstrap_box_ci`: the same for
  values each known only within an interval (a time seen on a probe grid, a time past a
  budget), each end at the statistic's least favourable value over the intervals;
- :func:`family_level`: the per-comparison level 1 − (1 − level)/k of a Bonferroni family;
  :func:`holm_outcomes`: the outcomes of k one-sided comparisons inside one claim, with Holm's
  step-down correction (t-test or sign test per comparison; values with no spread are judged by
  the exact sign test, a comparison with a NaN, or a non-finite value under the t-test, is
  inconclusive);
- :class:`Comparison` (and :func:`comparisons`): one such comparison as data, which a claim
  passes on so that its *holds* is re-judged (:func:`comparison_outcomes`: Holm, each by its own
  test) and ``--seeds auto`` can judge it sequentially;
- :func:`box_p`: a comparison whose per-seed values are known only within [lo_i, hi_i]
  (``Comparison.other``) judged over the whole box: each side's largest p over it, at the
  vertices (:func:`box_vertices`) up to 16 seeds, by a valid spread bound above
  (:func:`box_spread_bound`), and at every vector with no spread (:func:`box_near_flat`) by
  the sign test; :func:`box_seeds_needed` (:func:`box_effect`): for an inconclusive one, the
  seeds at which it would be decided over the whole box, from its worst vertex, or that its
  intervals' widths keep it open at any seed count; :func:`sign_test_seeds_needed`: the same
  for an exact sign test; :func:`box_comparisons_seeds_needed`: for a claim of several
  comparisons, the seeds at which its rule of them decides;
- :func:`outliers`: seeds more than 3.5 scaled MADs from the median (flagged and counted);
- :func:`jackknife`: a statistic of pooled runs and its leave-one-run-out interval
  θ̂ ± t_{R−1} · sqrt((R−1)/R · Σ_r (θ̂_(r) − θ̄_(·))²), optionally on the log scale;
- :func:`floor_ratio_interval`: the interval of a ratio over a floor-subtracted denominator,
  its jackknife interval widened to reach the bias-corrected estimate
  (:func:`bias_reaching_interval`) and none where the denominator is not clearly above its
  floor (:func:`floor_dominated`);
- :func:`compare` (one-sided bound), :func:`interval_outcome` (predicted interval),
  :func:`sign_outcome` (sign of an effect) map an interval to a verdict: *holds* only when the
  whole interval is on the claimed side, *fails* only when it is wholly on the other; a
  zero-width interval (all seeds equal) decides nothing;
- :func:`combine` (every part must hold) and :func:`exists` (some part must hold) join the
  outcomes of the comparisons inside one claim;
- :func:`loglog_slope` (slope of log y against log x) and :func:`semilog_slope` (slope of y
  against log_base x): least-squares trend slopes;
- :func:`holm`: Holm's step-down adjustment of p-values for the comparisons inside a claim;
  :func:`one_sided_p`: the two one-sided p-values of one comparison (what Holm adjusts);
- :func:`clopper_pearson`: the exact interval of a rate (k of R runs, or of seeds);
- :func:`population_share`: the share of variance a level explains (η²) in the population of
  runs, with the seed noise removed (a variance-components estimate);
- :func:`seeds_needed`: for an inconclusive verdict, the seeds at which the interval would clear
  the bound at the measured effect; :func:`rule_seeds_needed`: for a claim of several
  comparisons, the seeds at which its rule of their projected sides decides;
- :func:`share_counts`: a float32 share of n points as the whole count it is (so that
  differences equal in exact arithmetic are equal floats);
- :func:`fmt_num`, :func:`fmt_mean_ci`: the number formats of verdict details.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

HOLDS, FAILS, INCONCLUSIVE, ERROR = "holds", "fails", "inconclusive", "error"
OUTCOMES = (HOLDS, FAILS, INCONCLUSIVE, ERROR)

Interval = tuple[float, float]


def _level(level: float) -> float:
    """``level`` checked to be a confidence level in (0, 1): outside it the intervals came out
    reversed (level < 0, a finite interval that could decide), of zero width (0), infinite (1)
    or NaN (> 1), and Holm's tests held everything (level 0)."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not (
            0.0 < level < 1.0):
        raise ValueError(f"level must be a number in (0, 1), e.g. 0.95, not {level!r}")
    return float(level)


@dataclass(frozen=True)
class Comparison:
    """One one-sided comparison inside a claim: the per-seed ``values`` (in run order), the
    ``threshold`` they are compared with, the claimed side ``direction`` (``">="``/``"<="``) and
    the ``test``: ``"t"`` (the mean: one-sample t-test) or ``"sign"`` (the median: exact sign
    test). ``nan_vacuous``: a NaN value marks a run for which the statement is vacuous (kept in
    place so that run order survives), dropped before the test; otherwise a NaN is a lost
    measurement and the comparison is undecidable. ``other`` (default None): where the record
    knows each seed's value only within an interval, the other end of it, one per seed (the
    ``values`` are then one end, e.g. the one against the claimed side; ``"t"`` only); the
    t-test is then judged over the whole box of per-seed values (:meth:`judged_box`,
    :func:`box_p`; under ``--seeds auto`` :func:`twolayer.sequential.box_cs_outcome`). A
    claim hands its comparisons to :func:`twolayer.claims.base.outcome` so that ``--seeds
    auto`` can judge each one by a confidence sequence (:mod:`twolayer.sequential`)."""

    values: tuple[float, ...]
    threshold: float
    direction: str
    test: str = "t"
    nan_vacuous: bool = False  # True: a NaN marks a run the statement says nothing about
    # the other end of each seed's interval, where the record knows a seed's value only within
    # [min(values_i, other_i), max(values_i, other_i)] (None: the values are known exactly)
    other: tuple[float, ...] | None = None

    def judged_values(self) -> tuple[float, ...]:
        """The values a test reads: without the NaN placeholders when they mark runs the
        statement is vacuous for (``nan_vacuous``); else all of them (a NaN there is a lost
        measurement and makes the comparison undecidable)."""
        if not self.nan_vacuous:
            return self.values
        return tuple(x for x in self.values if not math.isnan(x))

    def judged_box(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(lo, hi): each judged seed's interval [lo_i, hi_i] = [min(values_i, other_i),
        max(values_i, other_i)] (the seeds :meth:`judged_values` keeps), or None when
        ``other`` is None (each value is known). A test of such a comparison is judged over the
        whole box Π[lo_i, hi_i]: it holds only if it holds for every vector of per-seed values
        in it, fails only if it fails for every one (:func:`box_p`; ``--seeds auto``:
        :func:`twolayer.sequential.box_cs_outcome`)."""
        if self.other is None:
            return None
        a, b = np.asarray(self.values, dtype=float), np.asarray(self.other, dtype=float)
        if self.nan_vacuous:
            keep = ~np.isnan(a)
            a, b = a[keep], b[keep]
        return np.minimum(a, b), np.maximum(a, b)

    def __post_init__(self) -> None:
        # one number per seed, as a tuple: a record's [R, T] array (or a value that is not a
        # number) raised later, while the verdict was judged, and stopped the command
        object.__setattr__(self, "values", tuple(float(x) for x in as_values(self.values)))
        if self.other is not None:
            other = tuple(float(x) for x in as_values(self.other))
            if len(other) != len(self.values):
                raise ValueError(f"other must give one interval end per seed: {len(other)} "
                                 f"values for {len(self.values)} seeds")
            if self.test != "t":
                raise ValueError("a comparison with per-seed intervals (other) is judged by the "
                                 f"t-test over the box, not by test={self.test!r}")
            object.__setattr__(self, "other", other)
        if self.direction not in (">=", "<="):
            raise ValueError(f"direction must be '>=' or '<=', not {self.direction!r}")
        if self.test not in ("t", "sign"):
            raise ValueError(f"test must be 't' or 'sign', not {self.test!r}")
        if isinstance(self.threshold, (str, bytes)) or math.isnan(self.threshold):
            # nothing is on either side of NaN: the check's own holds/fails stood unquestioned
            raise ValueError(f"threshold must be a number, not {self.threshold!r}")


def comparisons(items: Iterable[tuple[Iterable[float], float, str]],
                test: str = "t", nan_vacuous: bool = False) -> tuple[Comparison, ...]:
    """``(values, threshold, direction)`` triples (as :func:`holm_outcomes` takes them) as
    :class:`Comparison` objects with one ``test`` (and one ``nan_vacuous``) for all. The values
    are one per seed (:func:`as_values`: a record's [R, T] array is a ValueError naming its
    shape, not R·T seeds)."""
    return tuple(Comparison(tuple(float(x) for x in as_values(v)), float(b), d, test,
                            nan_vacuous) for v, b, d in items)


def as_values(values: Iterable[float]) -> np.ndarray:
    """``values`` (any iterable of numbers, or an array) as a flat float64 array, NaN and ±inf
    kept. Values are one per seed: an array with more than one axis longer than 1 (a record's
    [R, T] array, say, whose probe time was not selected) is a ValueError naming its shape,
    since its R·T entries would be read as that many independent seeds."""
    v = values if isinstance(values, np.ndarray) else list(values)
    a = np.asarray(v, dtype=np.float64)
    if sum(1 for n in a.shape if n > 1) > 1:
        raise ValueError(
            f"per-seed values must be one number per seed (a 1-D array), not an array of shape "
            f"{a.shape}: its {a.size} entries are not {a.size} independent seeds; select one "
            "entry per run first (e.g. arr[:, -1] for the last probe time)")
    return a.ravel()


_DROPPED: ContextVar[list[int] | None] = ContextVar("twolayer_stats_dropped", default=None)


@contextmanager
def counting_dropped() -> Iterator[list[int]]:
    """Count, while active, the non-finite values that :func:`mean_ci`, :func:`median_ci` and
    :func:`bootstrap_ci` leave out without being told they are vacuous (``nan_vacuous=False``),
    and the seeds :func:`bootstrap_box_ci` leaves out for a NaN end:
    yields a one-element list holding the count. ``judge_outcome`` wraps every claim's check
    in it, so that a verdict reached on the seeds that remain after a lost one is not a holds
    or a fails."""
    box = [0]
    token = _DROPPED.set(box)
    try:
        yield box
    finally:
        _DROPPED.reset(token)


# (interval, value counts) of every interval mean_ci, median_ci, bootstrap_ci, bootstrap_box_ci,
# jackknife and clopper_pearson computed while recording_intervals() is active: a check's
# interval and the seeds behind it
_INTERVALS: ContextVar[list[tuple[Interval, tuple[int, ...]]] | None] = ContextVar(
    "twolayer_stats_intervals", default=None)


@contextmanager
def recording_intervals() -> Iterator[list[tuple[Interval, tuple[int, ...]]]]:
    """Record, while active, each interval :func:`mean_ci`, :func:`median_ci`,
    :func:`bootstrap_ci`, :func:`bootstrap_box_ci`, :func:`jackknife` and
    :func:`clopper_pearson` return, with the counts of the values it was computed from
    (bootstrap_ci and bootstrap_box_ci: each sample's, and their sum;
    jackknife and clopper_pearson: their R runs): yields
    the list of (interval, counts). ``judge_outcome`` wraps every claim's check in it, so that
    a verdict's seed count can be matched with the interval it hands over."""
    box: list[tuple[Interval, tuple[int, ...]]] = []
    token = _INTERVALS.set(box)
    try:
        yield box
    finally:
        _INTERVALS.reset(token)


def _noted(est: float, ci: Interval, *counts: int) -> tuple[float, Interval]:
    """``(est, ci)``, the interval recorded into the active :func:`recording_intervals`."""
    box = _INTERVALS.get()
    if box is not None:
        box.append(((float(ci[0]), float(ci[1])), tuple(int(c) for c in counts)))
    return est, ci


def _finite_noting(values: Iterable[float], nan_vacuous: bool) -> np.ndarray:
    """:func:`finite`, counting the values it drops into the active :func:`counting_dropped`
    unless ``nan_vacuous`` (they mark runs the statement says nothing about)."""
    v = as_values(values)
    ok = np.isfinite(v)
    box = _DROPPED.get()
    if box is not None and not nan_vacuous:
        box[0] += int(v.size - ok.sum())
    return v[ok]


def finite(values: Iterable[float]) -> np.ndarray:
    """The finite entries of ``values`` as a float64 array (NaN and ±inf dropped)."""
    v = as_values(values)
    return v[np.isfinite(v)]


def no_spread(values: Iterable[float]) -> bool:
    """True when there are at least two finite values and they are all equal (up to a relative
    1e-12): a t-statistic or t-interval would have zero width and decide from nothing; the
    verdict functions fall back to the exact sign test, whose p for k equal values on one side
    of a bound is 2^-k."""
    v = finite(values)
    if v.size < 2:
        return False
    return float(np.ptp(v)) <= 1e-12 * max(float(np.abs(v).max()), np.finfo(np.float64).tiny)


def used(values: Iterable[float]) -> int:
    """How many of ``values`` are finite (the seeds that enter :func:`mean_ci` and friends):
    report this, not the number of runs, as a verdict's seed count."""
    return int(finite(values).size)


def mean_ci(
    values: Iterable[float], level: float = 0.95, *, nan_vacuous: bool = False
) -> tuple[float, Interval]:
    """Mean over the finite values and its Student-t confidence interval (NaN interval for fewer
    than two values: one seed is a point estimate, which decides nothing). Use :func:`used` to
    count how many values entered it. A non-finite value is a lost seed (counted by
    :func:`counting_dropped`, which keeps the claim from holds or fails) unless
    ``nan_vacuous``: it marks a run the statement says nothing about."""
    level = _level(level)
    v = _finite_noting(values, nan_vacuous)
    if v.size == 0:
        return float("nan"), (float("nan"), float("nan"))
    m = float(v.mean())
    if v.size == 1:
        return m, (float("nan"), float("nan"))
    if no_spread(v):  # equal up to rounding: the zero-width interval, which decides nothing
        return _noted(m, (m, m), v.size)
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return _noted(m, (m - half, m + half), v.size)


def jackknife(stat: Callable[[list[int]], float], R: int, log: bool = False,
              level: float = 0.95) -> tuple[float, Interval, float]:
    """(estimate, confidence interval, standard error) of a statistic of R pooled runs, by
    leaving one run out at a time; ``log``: on the log scale, the interval transformed back
    (the standard error stays on the log scale)."""
    from scipy import stats

    level = _level(level)
    tf = np.log if log else (lambda v: v)
    full = float(tf(stat(list(range(R)))))
    loo = np.array([tf(stat([q for q in range(R) if q != r])) for r in range(R)], dtype=float)
    se = float(math.sqrt((R - 1) / R * ((loo - loo.mean()) ** 2).sum())) if R > 1 else math.nan
    half = float(stats.t.ppf(0.5 + level / 2, max(1, R - 1))) * se
    lo, hi = full - half, full + half
    back = np.exp if log else (lambda v: v)
    est, ci = _noted(float(back(full)), (float(back(lo)), float(back(hi))), R)
    return est, ci, se


FLOOR_MARGIN = 1.0  # a floor-subtracted denominator is judged only at least this many floors up


def floor_dominated(value: float, floor: float, margin: float = FLOOR_MARGIN) -> bool:
    """Whether a statistic of pooled runs is not clearly above its own sampling floor (the value
    that sampling alone produces): ``value − floor < margin · floor``, or either is not finite.
    A ratio whose denominator is ``value − floor`` is then decided by the floor's errors rather
    than by what it measures (:func:`floor_ratio_interval`). The margin 1 (the value at least
    twice its floor) is twolayer's [PROPOSAL], calibrated by Monte Carlo in
    docs/verdict_audit.md, sections 25 and 27."""
    return not (value - floor >= margin * floor)


def bias_reaching_interval(estimate: float, ci: Interval, loo: Sequence[float]
                           ) -> tuple[Interval, float]:
    """A leave-one-run-out jackknife interval ``ci`` of ``estimate`` widened to reach the
    jackknife's bias-corrected estimate: with the R leave-one-out values ``loo``, the bias
    estimate b = (R − 1)(mean(loo) − estimate); the end of ``ci`` on the side of b moves out by
    |b|, so that the interval reaches estimate − b, and neither end moves in. Returns (the
    interval, b); (NaN, NaN) and b NaN where a leave-one-out value is not finite. Where the
    statistic is biased at few runs and the bias-corrected estimate over-corrects, covering
    both centres keeps each side's error at the smaller of the two intervals' (the event needs
    both; docs/verdict_audit.md, section 22)."""
    v = np.asarray(loo, dtype=float)
    if v.size == 0 or not np.isfinite(v).all():
        return (math.nan, math.nan), math.nan
    b = (v.size - 1) * (float(v.mean()) - estimate)
    lo, hi = ci
    return ((lo - b, hi) if b > 0 else (lo, hi - b)), b


def floor_ratio_interval(estimate: float, ci: Interval, runs: int, denominator: float,
                         floor: float, loo: Callable[[], Sequence[float]],
                         margin: float = FLOOR_MARGIN) -> tuple[Interval, float]:
    """The interval on which a ratio over a floor-subtracted denominator, q = (x − F_x)/(y −
    F_y) of ``runs`` pooled runs (F: sampling floors), is judged, from its jackknife interval
    ``ci`` and the leave-one-out values ``loo()`` (called only where needed):

    - a non-finite ``ci``, or fewer than 3 runs: ``ci`` as it is, b NaN (no leave-one-out
      value with a spread between runs);
    - else :func:`bias_reaching_interval` (NaN where a leave-one-out value is not finite);
    - no interval (NaN, NaN), b kept, where the denominator y (``denominator``) is
      :func:`floor_dominated` by its floor F_y (``floor``).

    Returns (the interval, the jackknife's bias estimate b). Claims and figures that show such
    a ratio read this one function, so that a figure draws the interval the claim judges."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)) or runs < 3:
        return (lo, hi), math.nan
    interval, b = bias_reaching_interval(estimate, ci, loo())
    if not math.isfinite(b):
        return interval, b
    if floor_dominated(denominator, floor, margin):
        return (math.nan, math.nan), b
    return interval, b


def _ends(ci: Interval) -> Interval:
    """The ends of an interval, lower first: an upside-down one (hi < lo, e.g. its ends swapped)
    was judged by its first end alone."""
    lo, hi = ci
    if lo > hi:
        raise ValueError(f"the interval {ci!r} has its lower end above its upper end")
    return lo, hi


def _undecidable(lo: float, hi: float) -> bool:
    """A non-finite interval, or one of zero width (all seeds equal: a t-interval with no
    spread, which decides from nothing; :func:`holm_outcomes` judges such values by the exact
    sign test instead)."""
    return not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi


def compare(ci: Interval, bound: float, direction: str) -> str:
    """holds if the whole interval is on the claimed side of the bound (``"<="`` or ``">="``),
    fails if it is wholly on the other side, inconclusive if it straddles the bound (or is not
    finite, or has zero width)."""
    lo, hi = _ends(ci)
    if _undecidable(lo, hi):
        return INCONCLUSIVE
    if direction == "<=":
        return HOLDS if hi <= bound else FAILS if lo > bound else INCONCLUSIVE
    if direction == ">=":
        return HOLDS if lo >= bound else FAILS if hi < bound else INCONCLUSIVE
    raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")


def interval_outcome(ci: Interval, lo: float, hi: float) -> str:
    """holds if the interval lies inside [lo, hi], fails if it lies wholly outside, else
    inconclusive (also for a non-finite or zero-width interval)."""
    a, b = _ends(ci)
    if lo > hi:
        raise ValueError(f"the predicted interval [{lo!r}, {hi!r}] has lo above hi")
    if _undecidable(a, b):
        return INCONCLUSIVE
    if lo <= a and b <= hi:
        return HOLDS
    if b < lo or a > hi:
        return FAILS
    return INCONCLUSIVE


def sign_outcome(ci: Interval, sign: int) -> str:
    """holds if the interval lies wholly on the side ``sign`` (+1: > 0, −1: < 0) of 0, fails if
    wholly on the other side, else inconclusive (also for a non-finite or zero-width
    interval)."""
    if sign not in (1, -1) or isinstance(sign, bool):
        raise ValueError(f"sign must be +1 or -1, not {sign!r}")
    lo, hi = _ends(ci)
    if _undecidable(lo, hi):
        return INCONCLUSIVE
    if sign > 0:
        return HOLDS if lo > 0 else FAILS if hi < 0 else INCONCLUSIVE
    return HOLDS if hi < 0 else FAILS if lo > 0 else INCONCLUSIVE


def _outcomes(outcomes: Iterable[str]) -> tuple[str, ...]:
    """``outcomes`` checked to be outcomes: a misspelt one ("hold"), a list passed to
    :func:`combine` as one argument, or a string passed to :func:`exists` (its letters) was
    silently inconclusive."""
    if isinstance(outcomes, str):
        raise ValueError(f"expected a sequence of outcomes, not the string {outcomes!r}")
    outcomes = tuple(outcomes)
    for o in outcomes:
        if not isinstance(o, str) or o not in OUTCOMES:
            raise ValueError(f"{o!r} is not an outcome: one of {', '.join(OUTCOMES)} (pass "
                             "several to combine as separate arguments: combine(*outcomes))")
    return outcomes


def combine(*outcomes: str) -> str:
    """All parts must hold: fails if any fails, holds if all hold, else inconclusive (also for
    no parts at all: nothing was measured, so nothing holds)."""
    _outcomes(outcomes)
    if FAILS in outcomes:
        return FAILS
    return HOLDS if outcomes and all(o == HOLDS for o in outcomes) else INCONCLUSIVE


def _rule_alone(rule: Callable[[Sequence[str]], str] | None, k: int) -> str:
    """What a claim's ``rule`` of its k comparisons gives with every comparison inconclusive
    (inconclusive where there is no rule, no comparison, or the rule raises there: a rule that
    reads decided outcomes only). A *holds* it gives so comes from no decided comparison (a
    rule that returns the check's own point-estimate verdict, ``rule=lambda outs: verdict``)
    and is not taken; a *fails* rests on something else the rule reads, a counterexample run (a
    fact at every look) or a point estimate, which nothing tells apart, and is taken only where
    the outcome names that evidence (``fails_from``); at fixed seeds (``claims.base``) and
    under ``--seeds auto`` (``sequential``)."""
    if rule is None or k < 1:
        return INCONCLUSIVE
    try:
        return rule([INCONCLUSIVE] * k)
    except Exception:  # noqa: BLE001 - a rule that reads decided outcomes only
        return INCONCLUSIVE


def exists(outcomes: Sequence[str]) -> str:
    """Some part must hold: holds if one holds, fails if all fail, else inconclusive."""
    outcomes = _outcomes(outcomes)
    if any(o == HOLDS for o in outcomes):
        return HOLDS
    if outcomes and all(o == FAILS for o in outcomes):
        return FAILS
    return INCONCLUSIVE


def _same_length(x: Sequence[float], y: Sequence[float]) -> None:
    """x and y as one point each: a y shorter by one was broadcast (slope 0 from [1, 2], [1])."""
    nx, ny = np.asarray(x).size, np.asarray(y).size
    if nx != ny:
        raise ValueError(f"x and y must have the same length, not {nx} and {ny}")


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    _same_length(x, y)
    lx = np.log(np.asarray(x, dtype=np.float64))
    ly = np.log(np.asarray(y, dtype=np.float64))
    lx = lx - lx.mean()
    return float((lx * (ly - ly.mean())).sum() / (lx * lx).sum())


def semilog_slope(x: Sequence[float], y: Sequence[float], base: float = 2.0) -> float:
    """Least-squares slope of y against log_base x (the change of y per factor ``base`` in x)."""
    _same_length(x, y)
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not (
            0 < base < math.inf and base != 1):
        raise ValueError(f"base must be a finite number > 0 other than 1, not {base!r}")
    lx = np.log(np.asarray(x, dtype=np.float64)) / math.log(base)
    return float(np.polyfit(lx, np.asarray(y, dtype=np.float64), 1)[0])


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control over the comparisons)."""
    p = np.asarray(pvalues, dtype=np.float64)
    k = p.size
    order = np.argsort(p)
    adj = np.empty(k)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (k - rank) * p[i]))
        adj[i] = running
    return adj


def seeds_needed(values: Iterable[float], bound: float, level: float = 0.95,
                 most: int = 100_000) -> int | None:
    """The number of seeds k at which the t-interval of the mean, with the measured mean and
    standard deviation of ``values`` held fixed, would no longer contain ``bound``:
    the smallest k with t_{k−1, 1−(1−level)/2} · s/√k < |v̄ − bound|. None when the effect is
    zero, the values are too few (< 2) to estimate s, or have no spread (:func:`no_spread`: a
    zero-width interval never decides, whatever the seeds); ``most`` caps the search. An
    estimate at the measured effect, not a promise: the next seeds move v̄ and s."""
    level = _level(level)
    if isinstance(bound, (str, bytes)) or not math.isfinite(bound):  # NaN: every k "decided"
        raise ValueError(f"seeds_needed: bound must be a finite number, not {bound!r}")
    v = finite(values)
    if v.size < 2 or no_spread(v):
        return None
    gap, s = abs(float(v.mean()) - bound), float(v.std(ddof=1))
    if gap == 0.0:
        return None
    from scipy import stats

    lo, hi = 2, most
    if stats.t.ppf(0.5 + level / 2, hi - 1) * s / math.sqrt(hi) >= gap:
        return None
    while lo < hi:  # the half-width decreases in k
        mid = (lo + hi) // 2
        if stats.t.ppf(0.5 + level / 2, mid - 1) * s / math.sqrt(mid) < gap:
            hi = mid
        else:
            lo = mid + 1
    return lo


def median_ci(
    values: Iterable[float], level: float = 0.95, *, nan_vacuous: bool = False
) -> tuple[float, Interval]:
    """Median of the finite values and its distribution-free interval [v_(j), v_(k+1−j)]: the
    widest-j order statistics whose coverage 1 − 2·P(Bin(k, ½) ≤ j − 1) is at least ``level``.
    NaN interval when no j reaches the level (k ≤ 5 at 95%). Non-finite values: as in
    :func:`mean_ci`."""
    level = _level(level)
    v = np.sort(_finite_noting(values, nan_vacuous))
    k = v.size
    if k == 0:
        return float("nan"), (float("nan"), float("nan"))
    med = float(np.median(v))
    from scipy import stats

    best = None
    for j in range(1, k // 2 + 1):  # coverage decreases in j: take the largest j that still covers
        if 1.0 - 2.0 * float(stats.binom.cdf(j - 1, k, 0.5)) >= level:
            best = j
        else:
            break
    if best is None:
        return med, (float("nan"), float("nan"))
    if no_spread(v):  # equal up to rounding: the zero-width interval, which decides nothing
        return _noted(med, (med, med), k)
    return _noted(med, (float(v[best - 1]), float(v[k - best])), k)


def bootstrap_ci(
    samples: Sequence[Iterable[float]],
    stat: Callable[..., float],
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    *,
    nan_vacuous: bool = False,
) -> tuple[float, Interval]:
    """``stat(*samples)`` and its percentile bootstrap interval: each sample (e.g. the seeds of
    one setting) is resampled with replacement independently, ``n_boot`` times, from a seeded
    generator (the same inputs give the same interval). Non-finite values are dropped first; a
    sample with fewer than two values gives a NaN interval. Resamples whose statistic is not
    finite are counted as missing; more than 5% missing gives a NaN interval. A non-finite
    input value: as in :func:`mean_ci`."""
    level = _level(level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1, not {n_boot!r}")
    arrs = [_finite_noting(s, nan_vacuous) for s in samples]
    est = float(stat(*arrs)) if all(a.size for a in arrs) else float("nan")
    if any(a.size < 2 for a in arrs):
        return est, (float("nan"), float("nan"))
    sizes = [a.size for a in arrs]
    if all(no_spread(a) for a in arrs):  # every resample is the same: zero width, decides nothing
        return _noted(est, (est, est), *sizes, sum(sizes))
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        boots[b] = stat(*[a[rng.integers(0, a.size, a.size)] for a in arrs])
    ok = boots[np.isfinite(boots)]
    if ok.size < 0.95 * n_boot:
        return est, (float("nan"), float("nan"))
    a = (1.0 - level) / 2
    return _noted(est, (float(np.quantile(ok, a)), float(np.quantile(ok, 1.0 - a))), *sizes,
                  sum(sizes))


def _order_quantile(d: np.ndarray, p: float) -> float:
    """``np.quantile(d, p)`` (linear rule) of sorted ``d`` that may hold ±inf: where the two
    order statistics it interpolates between are finite, numpy's value; where one is infinite
    and carries weight, that infinity (an end on or next to an infinite statistic is infinite;
    between −inf and +inf, NaN)."""
    pos = p * (d.size - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    a, b = float(d[lo]), float(d[hi])
    if math.isfinite(a) and math.isfinite(b):
        return float(np.quantile(d, p))
    t = pos - lo
    if t == 0.0 or a == b:
        return a
    if math.isinf(a) and math.isinf(b):
        return float("nan")
    return a if math.isinf(a) else b


def bootstrap_box_ci(
    samples: Sequence[tuple[Iterable[float], Iterable[float]]],
    stat_lo: Callable[..., float],
    stat_hi: Callable[..., float],
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[tuple[float, float], Interval]:
    """A percentile bootstrap interval of a statistic of values each known only within an
    interval [lo_i, hi_i]: a time seen only on a probe grid (solved between two probes), or
    not reached within a budget (hi = +inf). ``samples``: one (lo, hi) pair of equal-length
    arrays per sample (e.g. the seeds of one setting). Each sample is resampled with
    replacement independently, ``n_boot`` times, from a seeded generator (the same index
    draws as :func:`bootstrap_ci`; one index vector per sample, applied to both ends, so a
    seed's two ends stay together); ``stat_lo(*pairs)`` (each pair ``(lo, hi)`` of a
    resample) must return a value no larger than the statistic at any values inside the
    resample's intervals, and ``stat_hi(*pairs)`` one no smaller. The interval is [the
    (1 − level)/2 quantile of stat_lo, the 1 − (1 − level)/2 quantile of stat_hi] over the
    resamples, so each end holds for every value the intervals allow. An infinite statistic is
    kept in the order, not dropped (it is a bound, not a lost value): an end falling on or next
    to one is infinite and decides nothing on its side. A NaN statistic counts as missing;
    more than 5% missing gives a NaN interval. Returns ((stat_lo, stat_hi) of the samples as
    given, interval). A NaN in lo or hi is a lost value: the seed is left out and counted as
    :func:`bootstrap_ci` counts a non-finite value; lo > hi is a ValueError; a sample with
    fewer than two seeds gives a NaN interval. With lo = hi finite and ``stat_lo = stat_hi``
    this is :func:`bootstrap_ci`'s interval (the same resamples and percentiles)."""
    level = _level(level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1, not {n_boot!r}")
    pairs = []
    for lo, hi in samples:
        lo, hi = as_values(lo), as_values(hi)
        if lo.shape != hi.shape:
            raise ValueError(f"bootstrap_box_ci: lo and hi of a sample differ in length "
                             f"({lo.size} and {hi.size})")
        keep = ~(np.isnan(lo) | np.isnan(hi))
        box = _DROPPED.get()
        if box is not None:
            box[0] += int(lo.size - keep.sum())
        lo, hi = lo[keep], hi[keep]
        if np.any(lo > hi):
            raise ValueError("bootstrap_box_ci: a value's lower end lies above its upper end")
        pairs.append((lo, hi))
    est = ((float(stat_lo(*pairs)), float(stat_hi(*pairs))) if all(p[0].size for p in pairs)
           else (float("nan"), float("nan")))
    if any(p[0].size < 2 for p in pairs):
        return est, (float("nan"), float("nan"))
    sizes = [p[0].size for p in pairs]
    rng = np.random.default_rng(seed)
    lows, highs = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        res = []
        for lo, hi in pairs:
            i = rng.integers(0, lo.size, lo.size)
            res.append((lo[i], hi[i]))
        lows[b], highs[b] = stat_lo(*res), stat_hi(*res)
    if np.any(lows > highs):  # NaN compares False
        raise ValueError("bootstrap_box_ci: stat_lo lies above stat_hi on a resample (a lower "
                         "bound of the statistic above its upper bound)")
    lows, highs = lows[~np.isnan(lows)], highs[~np.isnan(highs)]
    if min(lows.size, highs.size) < 0.95 * n_boot:
        return est, (float("nan"), float("nan"))
    a = (1.0 - level) / 2
    ci = (_order_quantile(np.sort(lows), a), _order_quantile(np.sort(highs), 1.0 - a))
    return _noted(est, ci, *sizes, sum(sizes))


def family_level(level: float, k: int) -> float:
    """Per-comparison confidence level of a Bonferroni family of ``k`` intervals with joint
    level ``level``: 1 − (1 − level)/k; k, the number of comparisons, must be an integer ≥ 1
    (a ValueError otherwise: a family of 0 or 2.7 comparisons has no Bonferroni level)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"family_level: k = {k!r} must be the number of comparisons in the "
                         "family, an integer >= 1")
    return 1.0 - (1.0 - _level(level)) / int(k)


def clopper_pearson(k: int, R: int, level: float = 0.95) -> Interval:
    """Exact two-sided binomial interval for a rate from k successes in R trials:
    [Beta_{(1−level)/2}(k, R − k + 1), Beta_{1−(1−level)/2}(k + 1, R − k)] (0 and 1 at the ends);
    NaN for R = 0."""
    from scipy import stats

    level = _level(level)
    for name, x in (("k", k), ("R", R)):  # a rate passed as k (0.25 of 4 runs) was read as a count
        if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not (
                math.isfinite(x) and float(x).is_integer()):
            raise ValueError(f"clopper_pearson: {name} = {x!r} must be a whole number (a count "
                             "of runs)")
    if R <= 0:
        return float("nan"), float("nan")
    if not 0 <= k <= R:  # a count of successes among the R trials
        raise ValueError(f"clopper_pearson: k = {k} successes must be in [0, R = {R}]")
    a = (1.0 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, R - k + 1))
    hi = 1.0 if k == R else float(stats.beta.ppf(1 - a, k + 1, R - k))
    return _noted(0.0, (lo, hi), int(R))[1]


def rate_bounds(rate: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per entry, the exact one-sided ``level`` lower and upper (Clopper–Pearson) bounds of a rate
    measured as round(rate · n) of ``n`` points (NaN where the rate is not finite): a run's test
    error or agreement on its test set. Unlike :func:`clopper_pearson` it does not note the
    intervals as ones a check decided from (they are over a run's test points, not over seeds)."""
    from scipy import stats

    r = np.asarray(rate, dtype=np.float64)
    lost = ~np.isfinite(r)
    k = np.clip(np.round(np.where(lost, 0.0, r) * n), 0, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(1.0 - level, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(level, k + 1, n - k), 1.0)
    return np.where(lost, np.nan, lo), np.where(lost, np.nan, hi)


def population_share(f: np.ndarray) -> float:
    """η² of the population of runs from R runs' values f [R, k] at k levels (a one-way
    variance-components estimate): how much of the variance of f over runs and levels the level
    explains, where a run is a draw (a seed) from a population of runs. The seed noise
    σ̂² = Σ_ri (f_ri − f̄_i)² / (k (R − 1)) (unbiased); the spread of the levels' means
    V̂ = Σ_i (f̄_i − f̄)² / k − σ̂² (k − 1)/(k R) (each mean f̄_i carries σ²/R of seed noise,
    removed: V̂ is unbiased for the spread V = Σ_i (μ_i − μ̄)² / k of the true means); η² =
    V̂ / (V̂ + σ̂²). NaN for fewer than 2 runs (no seed noise to estimate) or no variance at
    all; V̂, and so η², may be below 0 where the levels differ less than the noise shows.

    The share of the R runs at hand, 1 − Σ_ri (f_ri − f̄_i)² / Σ_ri (f_ri − f̄)² (1 on one run),
    is biased up by about (1 − η²)/R: its jackknife interval, centred on it, held "η² ≥ 0.8" at
    a true η² of exactly 0.8 in 0.35, 0.33, 0.25, 0.15 and 0.08 of 1000 Gaussian samples at R =
    3, 5, 8, 16 and 48 runs (k = 30), against the 0.025 of a one-sided end of a 95% interval;
    on this estimate 0.029, 0.026, 0.032, 0.036 and 0.023 (docs/verdict_audit.md, section 21;
    tests/test_population_share.py)."""
    f = np.asarray(f, dtype=float)
    R, k = f.shape
    if R < 2:
        return math.nan
    noise = float(((f - f.mean(0, keepdims=True)) ** 2).sum()) / (k * (R - 1))
    means = f.mean(0)
    spread = float(((means - means.mean()) ** 2).sum()) / k - noise * (k - 1) / (k * R)
    total = spread + noise
    return spread / total if total > 0 else math.nan


def share_counts(share: Iterable[float] | np.ndarray, n: int) -> np.ndarray:
    """n·``share`` as the whole count it is, where it is one up to float32 storage (within
    n·2^−22 of an integer: a float32 k/n is within n·2^−24 of k/n), else n·``share`` as it is
    (NaN kept). A share of n points (an accuracy or error rate over a test set) stored as a
    float32 mean is k/n only up to rounding: differences of such shares that are equal in exact
    arithmetic come out about 1e−8 apart, so per-seed values that are all equal (judged by the
    sign test: :func:`one_sided_p`) would be judged by a t-test of their rounding. Differencing
    the counts, then dividing by n once, keeps equal values equal floats."""
    x = np.asarray(share, dtype=np.float64) * n
    k = np.rint(x)
    with np.errstate(invalid="ignore"):
        whole = np.abs(x - k) <= n * 2.0 ** -22
    return np.where(whole, k, x)


def one_sided_p(values: Iterable[float], bound: float, direction: str,
                method: str = "t") -> tuple[float, float]:
    """(p for 'the claimed side', p for 'the other side') of one comparison. A NaN (a lost
    measurement), or under the t-test any non-finite value, makes the comparison undecidable:
    (1, 1); the sign test orders ±inf like any value (a censored time "never" is above every
    bound). Values with no spread (:func:`no_spread`) are judged by the exact sign test even
    under ``method="t"``: their t-statistic is infinite and says nothing. The sign test's p for
    the claimed side leaves out the values equal to the bound (P(Bin(n, ½) ≥ claimed) over the
    n others); its p for the other side counts them for the claim (over every value), since a
    median equal to the bound satisfies the non-strict claim."""
    from scipy import stats

    v = as_values(values)
    bad = np.isnan(v).any() or (method == "t" and not np.isfinite(v).all())
    if v.size < 2 or bad:
        return 1.0, 1.0
    if method == "sign" or (method == "t" and no_spread(v)):
        if direction not in (">=", "<="):
            raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")
        above, below = int((v > bound).sum()), int((v < bound).sum())
        n = above + below
        if n == 0:
            return 1.0, 1.0
        claimed, other = (above, below) if direction == ">=" else (below, above)
        # the claimed side: ties with the bound left out (P(X > b | X != b) > 1/2 implies
        # median >= b); the other side: ties count for the claim, since a median equal to the
        # bound satisfies the non-strict claim (P(X < b) > 1/2 over all values implies
        # median < b; with the ties left out, values mostly equal to b with a few on the other
        # side would "fail" a claim their median b satisfies)
        return (float(stats.binom.sf(claimed - 1, n, 0.5)),  # P(Bin(n, 1/2) >= claimed)
                float(stats.binom.sf(other - 1, v.size, 0.5)))
    if method == "t":
        s = float(v.std(ddof=1))
        t = (float(v.mean()) - bound) / (s / math.sqrt(v.size))
        p_above = float(stats.t.sf(t, v.size - 1))
        p_below = float(stats.t.cdf(t, v.size - 1))
    else:
        raise ValueError(f"method must be 't' or 'sign', not {method!r}")
    if direction == ">=":
        return p_above, p_below
    if direction == "<=":
        return p_below, p_above
    raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")


BOX_VERTICES_MAX = 16  # every vertex of a box of per-seed intervals up to this many seeds


def box_vertices(lo: np.ndarray, hi: np.ndarray,
                 vertices_max: int = BOX_VERTICES_MAX) -> np.ndarray | None:
    """The 2^n vertices of the box Π[lo_i, hi_i] (n = ``lo.size``) as the rows of a
    [2^n, n] array (row k takes hi_i where bit i of k is set, else lo_i), or None when
    n > ``vertices_max``. A function of the per-seed values that is quasi-convex on the box
    (or concave, for a minimum) takes its maximum (minimum) at one of them: the sample spread
    Σ(x_i − x̄)² is convex, so its largest value over the box is at a vertex."""
    n = lo.size
    if n > vertices_max:
        return None
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1
    return np.where(bits == 1, hi[None, :], lo[None, :])


def box_spread_bound(lo: np.ndarray, hi: np.ndarray) -> float:
    """An upper bound on max over the box Π[lo_i, hi_i] of V(x) = Σ_i (x_i − x̄)², for boxes
    too large to enumerate (:func:`box_vertices`): min over c of Σ_i (|m_i − c| + r_i)²
    (m_i, r_i: the interval's midpoint and half-width; c searched by a bounded scalar
    minimisation, and at the midpoints' median and mean). Valid for any c: for every x in the
    box, V(x) = min_c Σ (x_i − c)² ≤ Σ (x_i − c)² ≤ Σ (|m_i − c| + r_i)², since
    |x_i − c| ≤ |m_i − c| + r_i (a bound, not the exact sup)."""
    from scipy import optimize

    mid, half = (lo + hi) / 2.0, (hi - lo) / 2.0

    def worst(c: float) -> float:
        return float(((np.abs(mid - c) + half) ** 2).sum())

    best = optimize.minimize_scalar(worst, bounds=(float(mid.min()), float(mid.max())),
                                    method="bounded")
    cands = [worst(float(best.x)), worst(float(np.median(mid))), worst(float(mid.mean()))]
    return min(cands)


def box_near_flat(lo: np.ndarray, hi: np.ndarray) -> tuple[float, float] | None:
    """The window [max lo − τ, min hi + τ] (τ = 1e−12 · the largest |end|) that holds every
    value of every vector x in the box Π[lo_i, hi_i] that :func:`no_spread` flags (its
    "near-flat" vectors, which :func:`one_sided_p` and :func:`twolayer.sequential.cs_outcome`
    judge by the sign test or sequence, not by the mean), or None when the box holds none.
    Such an x has ptp(x) ≤ 1e−12·max|x_i| ≤ τ, and ptp(x) ≥ x_i − x_j ≥ lo_i − hi_j for every
    i, j, so max lo − min hi ≤ τ (else None), and each x_i ≥ max_j x_j − ptp(x) ≥ max lo − τ,
    x_i ≤ min hi + τ. Where max lo > min hi by less than τ (ends that are equal in exact
    arithmetic and differ by a rounding error, say) the box holds near-flat vectors that are
    not vertices and not c·1; the window is a superset (it may be non-empty where no vector
    quite reaches the tolerance: conservative)."""
    scale = max(float(np.abs(lo).max()), float(np.abs(hi).max()), np.finfo(np.float64).tiny)
    tau = 1e-12 * scale
    top, bottom = float(lo.max()), float(hi.min())
    if top - bottom > tau:
        return None
    return top - tau, bottom + tau


def _box_p_above(lo: np.ndarray, hi: np.ndarray, bound: float, vertices_max: int) -> float:
    """sup over x in the box Π[lo_i, hi_i] (lo ≤ hi, finite, not a single point) of
    :func:`one_sided_p`'s p for "mean(x) ≥ bound" (its claimed side under ``">="``): the
    one-sample t-test's P(T_{n−1} ≥ t(x)), t(x) = (x̄ − b)·√n/s(x), and, at the vectors
    :func:`no_spread` flags (judged by the exact sign test), the sign test's p.
    Where x̄(lo) ≤ b the box holds an x with t ≤ 0, p ≥ 1/2: 1 is returned (no decision at a
    level below 1/2 changes, and Holm's step-down ranks it above every p that decides).
    Otherwise x̄ − b > 0 on the whole box, and s(x)/(x̄ − b) is quasi-convex there (s, the sample
    standard deviation, is a seminorm: convex; x̄ − b is affine and positive; so its sublevel
    sets {s ≤ c(x̄ − b)} are convex): its maximum, the minimum of t, is at a vertex. Up to
    ``vertices_max`` seeds every vertex with s > 0 is tried (:func:`box_vertices`; exact, or
    above the sup where that vertex is itself near-flat: conservative); above, t is bounded
    below by (x̄(lo) − b)·√n/S, S² = :func:`box_spread_bound`/(n − 1) ≥ max over the box of s²
    (a valid bound, not the exact sup). The sign test's part: where the box holds near-flat
    vectors (:func:`box_near_flat`, not only c·1 and not only at vertices: a box whose
    max lo exceeds min hi by a rounding error holds some) whose values all lie above b, 2^−n
    (their p); where such a vector may hold a value at or below b (b within the window), 1."""
    from scipy import stats as sps

    n = lo.size
    if float(lo.mean()) <= bound:
        return 1.0
    window = box_near_flat(lo, hi)
    sign = 0.0 if window is None else 0.5 ** n if window[0] > bound else 1.0
    x = box_vertices(lo, hi, vertices_max)
    if x is not None:
        m, s = x.mean(axis=1), x.std(axis=1, ddof=1)
        spread = s > 0  # s = 0: t is +inf there (p 0); such a vertex is in the window
        if not spread.any():
            return sign
        t = (m[spread] - bound) * math.sqrt(n) / s[spread]
        return max(sign, float(sps.t.sf(float(t.min()), n - 1)))
    s_up = math.sqrt(box_spread_bound(lo, hi) / (n - 1))
    t_low = (float(lo.mean()) - bound) * math.sqrt(n) / s_up
    return max(sign, float(sps.t.sf(t_low, n - 1)))


def box_p(lo: Iterable[float], hi: Iterable[float], bound: float, direction: str,
          vertices_max: int = BOX_VERTICES_MAX) -> tuple[float, float]:
    """(p for the claimed side, p for the other side) of one comparison whose per-seed values
    are known only to lie in [lo_i, hi_i] (:meth:`Comparison.judged_box`; e.g.
    :func:`twolayer.claims.vashisht2024.moved_delta`), each the largest :func:`one_sided_p`
    gives over every x in the box Π[lo_i, hi_i] (the seeds' true values are some such x,
    whichever; :func:`_box_p_above` says how it is computed: exact at a vertex up to
    ``vertices_max`` seeds, a valid upper bound above). So a *holds* judged on the first holds
    for every x in the box, a *fails* judged on the second fails for every x, and the two are
    never both below 1/2. The p of a corner (every seed at the end against the side) is not
    that largest p: the t statistic also depends on the spread, which the other ends can
    raise. Where lo = hi (nothing unknown) it is :func:`one_sided_p` of those values; a
    non-finite end, or fewer than two seeds: (1, 1)."""
    a, b = as_values(lo), as_values(hi)
    lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
    if lo_.size < 2 or not (np.isfinite(lo_).all() and np.isfinite(hi_).all()):
        return 1.0, 1.0
    if np.array_equal(lo_, hi_):
        return one_sided_p(lo_, bound, direction)
    up = _box_p_above(lo_, hi_, bound, vertices_max)  # sup p of "mean >= bound"
    down = _box_p_above(-hi_, -lo_, -bound, vertices_max)  # sup p of "mean <= bound"
    if direction == ">=":
        return up, down
    if direction == "<=":
        return down, up
    raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")


@dataclass(frozen=True)
class BoxEffect:
    """What decides a mean comparison over the box Π[lo_i, hi_i] of per-seed values as seeds
    are added with the per-seed intervals' distribution held at the measured one
    (:func:`box_effect`). ``side``: +1 where the box lies wholly above the bound on average
    (x̄(lo) > b: only "mean ≥ b" can be decided), −1 where below (x̄(hi) < b), 0 where
    x̄(lo) ≤ b ≤ x̄(hi) (the intervals' widths alone keep it undecided at any number of seeds:
    the box holds a vector with t ≤ 0 for either side, at any n, as long as the intervals'
    distribution is the measured one; reported only where the seeds show it:
    :func:`box_effect`). ``worst``: the worst standardised effect over the box,
    min over x of |x̄ − b|/s(x) on the decidable side (exact: at a vertex, as in
    :func:`_box_p_above`; +inf where no vertex has spread; None past ``vertices_max`` seeds);
    ``bounded``: the lower bound |x̄(end) − b|/S of it, S² = :func:`box_spread_bound`/(n − 1),
    the one :func:`box_p` and the sequences use past ``vertices_max`` seeds; ``flat``: the
    near-flat vectors' window is on the decidable side of b (True), reaches b (None: the sign
    test there decides nothing at this n), or the box holds none (False)."""

    side: int
    worst: float | None
    bounded: float
    flat: bool | None


def box_effect(lo: Iterable[float], hi: Iterable[float], bound: float,
               vertices_max: int = BOX_VERTICES_MAX,
               stuck_alpha: float = 0.05) -> BoxEffect | None:
    """The :class:`BoxEffect` of a box of per-seed intervals against ``bound``; None for fewer
    than two seeds, a non-finite end, values known exactly at the bound (no effect), or a
    bound between x̄(lo) and x̄(hi) that the seeds do not show to lie between the means of the
    intervals' two ends: side 0 ("no number of seeds decides it") only where the one-sided
    t-tests of the low ends ("mean ≤ b") and of the high ends ("mean ≥ b") both give
    p < ``stuck_alpha`` (an intersection-union test at that level). At the point estimate alone
    (x̄(lo) ≤ b ≤ x̄(hi)) it was mostly the seeds' noise: in Monte Carlo records at 8 seeds
    whose population means clear the bound, such records decided at 32 fresh seeds
    (docs/verdict_audit.md section 28)."""
    a, b = as_values(lo), as_values(hi)
    lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
    n = lo_.size
    if n < 2 or not (np.isfinite(lo_).all() and np.isfinite(hi_).all()):
        return None
    if float(lo_.mean()) > bound:
        side, x_lo, x_hi, b_ = 1, lo_, hi_, bound
    elif float(hi_.mean()) < bound:
        side, x_lo, x_hi, b_ = -1, -hi_, -lo_, -bound  # mirrored: "mean(−x) ≥ −b"
    elif np.array_equal(lo_, hi_):
        return None  # known values at the bound on average: no effect to estimate from
    elif (one_sided_p(lo_, bound, "<=")[0] < stuck_alpha
          and one_sided_p(hi_, bound, ">=")[0] < stuck_alpha):
        # the low ends' mean below the bound and the high ends' above, each by a one-sided
        # test (intersection-union: both at stuck_alpha): the widths, not the seeds, keep it
        return BoxEffect(0, None, 0.0, False)
    else:
        return None  # the bound between the two means, but the seeds cannot yet tell why
    window = box_near_flat(x_lo, x_hi)
    flat = False if window is None else (True if window[0] > b_ else None)
    x = box_vertices(x_lo, x_hi, vertices_max)
    worst = None
    if x is not None:
        m, s = x.mean(axis=1), x.std(axis=1, ddof=1)
        spread = s > 0
        worst = float(((m[spread] - b_) / s[spread]).min()) if spread.any() else math.inf
    v_up = box_spread_bound(x_lo, x_hi)
    bounded = ((float(x_lo.mean()) - b_) / math.sqrt(v_up / (n - 1)) if v_up > 0
               else math.inf)
    return BoxEffect(side, worst, bounded, flat)


def box_seeds_needed(lo: Iterable[float], hi: Iterable[float], bound: float,
                     direction: str, alpha: float = 0.05, most: int = 100_000,
                     vertices_max: int = BOX_VERTICES_MAX) -> tuple[str | None, int | None]:
    """(side, R) for one mean comparison whose per-seed values are known within [lo_i, hi_i]
    (lo = hi: known exactly), judged as :func:`box_p` judges it at one-sided level ``alpha``:
    the side it would be decided on as seeds are added (``HOLDS`` or ``FAILS``), and the
    smallest seed count R ≥ n at which it would be, whichever values inside each seed's interval
    are the true ones, with the measured box's worst standardised effect held fixed
    (:func:`box_effect`: t_{R−1, 1−α}/√R below it, the worst vertex's up to ``vertices_max``
    seeds and the spread bound's above, as box_p computes; and 2^−R < α, the sign test's p,
    where the box holds vectors with no spread). An estimate at the measured effect and
    intervals, not a promise. R is None past ``most`` or where near-flat vectors reach the
    bound. (``INCONCLUSIVE``, None): the intervals' widths alone keep it undecided at any R
    (x̄(lo) ≤ b ≤ x̄(hi)); (None, None): nothing to estimate from (fewer than two seeds, a
    non-finite end, known values at the bound)."""
    from scipy import stats as sps

    if direction not in (">=", "<="):
        raise ValueError(f"direction must be '>=' or '<=', not {direction!r}")
    alpha = 1.0 - _level(1.0 - alpha)
    eff = box_effect(lo, hi, bound, vertices_max)
    if eff is None:
        return None, None
    if eff.side == 0:
        return INCONCLUSIVE, None
    side = HOLDS if (eff.side > 0) == (direction == ">=") else FAILS
    if eff.flat is None:
        return side, None
    n = as_values(lo).size

    def decided(r: int) -> bool:
        d = eff.worst if (r <= vertices_max and eff.worst is not None) else eff.bounded
        t_ok = math.isinf(d) or float(sps.t.ppf(1.0 - alpha, r - 1)) / math.sqrt(r) < d
        return t_ok and (not eff.flat or 0.5 ** r < alpha)

    start = max(n, 2)
    for r in range(start, max(start, vertices_max) + 1):  # the exact effect, then the bound's
        if decided(r):
            return side, r
    lo_r, hi_r = max(start, vertices_max + 1), max(start, vertices_max + 1)
    while not decided(hi_r):  # both parts decrease in r past the vertex limit: double, bisect
        lo_r, hi_r = hi_r, hi_r * 2
        if lo_r > most:
            return side, None
    while lo_r < hi_r:
        mid = (lo_r + hi_r) // 2
        lo_r, hi_r = (lo_r, mid) if decided(mid) else (mid + 1, hi_r)
    return side, (lo_r if lo_r <= most else None)


def sign_shares(v: np.ndarray, bound: float, direction: str,
                ) -> tuple[str, Callable[[int], tuple[int, int]] | None]:
    """The side a sign comparison of the values ``v`` (no NaN, at least one) heads to with its
    shares of values above, below and at the bound held fixed, and ``counts(n)``: at n seeds,
    (the values on the deciding side, the values judged). *holds* where the claimed side
    outnumbers the other, judged over the values off the bound (⌊n·off/all⌋ of them,
    ⌊share·that⌋ on the claimed side: ties are dropped for holds); *fails* where the other side
    holds more than half of all the values (judged over all n: ties count for the claim);
    (``INCONCLUSIVE``, None) where neither. The exact sign test (:func:`one_sided_p`,
    :func:`sign_test_seeds_needed`) and the sign sequence
    (:func:`twolayer.sequential.sign_side_seeds_needed`) read ties this way."""
    total = int(v.size)
    above, below = int((v > bound).sum()), int((v < bound).sum())
    off = above + below
    claimed, other = (above, below) if direction == ">=" else (below, above)
    if claimed > other:
        def held(n: int) -> tuple[int, int]:
            size = off * n // total
            return claimed * size // off, size
        return HOLDS, held
    if 2 * other > total:
        return FAILS, lambda n: (other * n // total, n)
    return INCONCLUSIVE, None


def first_count(decides: Callable[[int], bool], start: int, most: int) -> int | None:
    """The smallest seed count n ≥ ``start`` on the projections' grid (every n up to 256, then
    steps of n // 16) at which ``decides(n)``; None past ``most``. The grid of the sign
    projections (:func:`sign_test_seeds_needed`, :mod:`twolayer.sequential`'s sign sequence)."""
    n = start
    while n <= most:
        if decides(n):
            return n
        n += 1 if n < 256 else n // 16
    return None


def sign_test_seeds_needed(values: Iterable[float], bound: float, direction: str,
                           alpha: float = 0.05, most: int = 100_000,
                           ) -> tuple[str | None, int | None]:
    """(side, R) for one comparison judged by the exact sign test (:func:`one_sided_p`) at
    one-sided level ``alpha``, with the measured shares of values above, below and at the bound
    held fixed (:func:`sign_shares`): the side it heads to and the smallest R at which
    P(Bin(judged, ½) ≥ on the deciding side) < alpha; (``INCONCLUSIVE``, None) where ties or an
    even split keep it from both at any R; (None, None) for no values or a NaN. R is the
    smallest count ≥ the values now, None past ``most``."""
    from scipy import stats as sps

    if direction not in (">=", "<="):
        raise ValueError(f"direction must be '>=' or '<=', not {direction!r}")
    v = as_values(values)
    if v.size == 0 or np.isnan(v).any():
        return None, None
    side, counts = sign_shares(v, bound, direction)
    if counts is None:
        return side, None
    def decides(r: int) -> bool:
        k, size = counts(r)
        return 2 * k > size and float(sps.binom.sf(k - 1, size, 0.5)) < alpha

    return side, first_count(decides, max(int(v.size), 2), most)


def box_comparisons_seeds_needed(comps: Sequence[Comparison],
                                 rule: Callable[[Sequence[str]], str] | None = None,
                                 level: float = 0.95, most: int = 100_000,
                                 ) -> tuple[int | None, tuple[int, ...]]:
    """(R, stuck) for a claim of several comparisons (or whose t comparisons include per-seed
    intervals, ``Comparison.other``), judged as :func:`comparison_outcomes` judges them (t-test,
    box_p or exact sign test, Holm at ``level``): each comparison's side and seeds at the
    Bonferroni level (1 − level)/k (below it Holm decides it, whatever the others' p) by
    :func:`box_seeds_needed` (a t comparison, lo = hi where its values are known exactly) or
    :func:`sign_test_seeds_needed` (a sign comparison), and R the smallest seed count above the
    present one at which ``rule`` (default :func:`combine`) of the comparisons decided by then
    is decided. ``stuck``: the indices of the t comparisons that no number of seeds decides
    (their intervals' widths alone keep them open); R is None where no seed count decides the
    rule, or a comparison has a lost value or gives nothing to estimate from."""
    k = max(1, len(comps))
    a = (1.0 - _level(level)) / k
    per: list[tuple[str | None, int | None]] = []
    count = 0
    for c in comps:
        if c.test == "sign":
            values = c.judged_values()
            side, r = sign_test_seeds_needed(values, c.threshold, c.direction, a, most)
            if side is None:
                return None, ()
            count = max(count, len(values))
            per.append((side, r))
            continue
        if c.test != "t":
            return None, ()
        box = c.judged_box()
        lo = hi = np.asarray(c.judged_values(), dtype=float)
        if box is not None:
            lo, hi = box
        if np.isnan(lo).any() or np.isnan(hi).any():
            return None, ()
        count = max(count, lo.size)
        per.append(box_seeds_needed(lo, hi, c.threshold, c.direction, a, most))
    stuck = tuple(i for i, (side, _) in enumerate(per)
                  if side == INCONCLUSIVE and comps[i].test == "t")
    return rule_seeds_needed(per, rule, count), stuck


def rule_seeds_needed(per: Sequence[tuple[str | None, int | None]],
                      rule: Callable[[Sequence[str]], str] | None = None,
                      count: int = 0) -> int | None:
    """The smallest seed count R above ``count`` (the seeds now) at which a claim's ``rule``
    (default :func:`combine`) decides, each of its comparisons projected to (side, n): the
    verdict its measured effect points to (``"holds"`` or ``"fails"``) and the seeds at which
    it would be decided on that side (for one decided now: its verdict and ``count``); a side
    that is neither, or n None, is a comparison no number of seeds decides (inconclusive at
    every R). None where no seed count decides the rule. With the default rule this is the
    fewest seeds at which one comparison fails, or, where none heads that way, the most that
    any needs to hold: the most over the comparisons overstates a claim that fails early, and
    a rule such as :func:`exists` needs only its first part."""
    judge = rule if rule is not None else (lambda outs: combine(*outs))
    for r in sorted({r for side, r in per if side in (HOLDS, FAILS) and r is not None}):
        outs = [side if side in (HOLDS, FAILS) and n is not None and n <= r else INCONCLUSIVE
                for side, n in per]
        if judge(outs) in (HOLDS, FAILS):
            return r if r > count else None
    return None


def holm_outcomes(
    comparisons: Sequence[tuple[Iterable[float], float, str]],
    level: float = 0.95,
    method: str = "t",
) -> list[str]:
    """Outcomes of k one-sided comparisons (per-seed values, bound, ``">="``/``"<="``) inside one
    claim, family-wise at ``level`` by Holm's step-down procedure: comparison i *holds* when
    its Holm-adjusted p-value for "the claimed side" is below 1 − level, *fails* when the one for
    "the other side" is, else inconclusive. ``method``: ``"t"`` (one-sample t-test of the mean)
    or ``"sign"`` (exact sign test of the median, for heavy-tailed or bimodal values); values
    with no spread are judged by the sign test either way. A comparison with a NaN (or, under
    the t-test, any non-finite value) is inconclusive, never judged on the remaining seeds: a
    claim that means such a value as evidence must map it to a number first."""
    ps = [one_sided_p(v, float(b), d, method) for v, b, d in comparisons]
    return _holm_decided(ps, level)


def comparison_outcomes(comps: Sequence[Comparison], level: float = 0.95) -> list[str]:
    """Outcomes of :class:`Comparison` objects at their fixed sample size, family-wise at
    ``level`` by Holm's step-down procedure, each by its own test (``"t"`` or ``"sign"``) on its
    :meth:`~Comparison.judged_values`: as :func:`holm_outcomes`, which takes one test for all.
    What a claim's verdict is re-judged by when its check hands over the comparisons it
    decided from (:meth:`twolayer.claims.base.Claim.verdict`). A comparison with per-seed
    intervals (``other``) is judged over its box (:func:`box_p`: each side's largest p over
    every vector of per-seed values in it, never below the p of either end's values)."""
    ps = [one_sided_p(c.judged_values(), c.threshold, c.direction, c.test)
          if (box := c.judged_box()) is None else box_p(box[0], box[1], c.threshold,
                                                          c.direction)
          for c in comps]
    return _holm_decided(ps, level)


def _holm_decided(ps: Sequence[tuple[float, float]], level: float) -> list[str]:
    """Outcomes of k comparisons from their (claimed side, other side) p-values: *holds* where
    the Holm-adjusted p for the claimed side is below 1 − level, *fails* where the one for the
    other side is, else inconclusive."""
    alpha = 1.0 - _level(level)
    if not ps:
        return []
    hold = holm([p[0] for p in ps])
    fail = holm([p[1] for p in ps])
    return [HOLDS if h < alpha else FAILS if f < alpha else INCONCLUSIVE
            for h, f in zip(hold, fail)]


def outliers(values: Iterable[float], cut: float = 3.5) -> np.ndarray:
    """Indices (into ``values``) of finite values more than ``cut`` scaled median absolute
    deviations (1.4826·MAD) from the median; non-finite values are flagged too. With MAD = 0,
    every value different from the median is flagged."""
    v = as_values(values)
    ok = np.isfinite(v)
    if not ok.any():
        return np.flatnonzero(~ok)
    med = float(np.median(v[ok]))
    mad = 1.4826 * float(np.median(np.abs(v[ok] - med)))
    dev = np.abs(v - med)
    far = dev > cut * mad if mad > 0 else dev > 0
    return np.flatnonzero(far | ~ok)


def fmt_num(x: float | None) -> str:
    """Three significant digits; ``nan`` for a missing or non-finite value."""
    if x is None or not math.isfinite(x):
        return "nan"
    return f"{x:.3g}"


def fmt_mean_ci(values: Iterable[float], digits: int | None = None) -> str:
    """``mean [lo, hi]`` of :func:`mean_ci`: with ``digits`` decimals, else
    :func:`fmt_num`'s three significant digits."""
    m, (lo, hi) = mean_ci(values)
    if digits is not None:
        return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
    return f"{fmt_num(m)} [{fmt_num(lo)}, {fmt_num(hi)}]"
