"""Verdict statistics: the one module every paper's claims use to turn per-seed numbers into a
verdict (holds / fails / inconclusive).

A claim measures a statistic per seed (run) r = 1..R, or per pooled batch of runs, and compares
it with the paper's bound or predicted interval. Nothing here decides from a point estimate:

- :func:`mean_ci`: the mean over the finite values v_1..v_k and its Student-t interval
  v̄ ± t_{k−1, 1−(1−level)/2} · s/√k (a point interval when k = 1; NaN when k = 0);
- :func:`jackknife`: a statistic of pooled runs and its leave-one-run-out interval
  θ̂ ± t_{R−1} · sqrt((R−1)/R · Σ_r (θ̂_(r) − θ̄_(·))²), optionally on the log scale;
- :func:`compare` (one-sided bound), :func:`interval_outcome` (predicted interval),
  :func:`sign_outcome` (sign of an effect) map an interval to a verdict: *holds* only when the
  whole interval is on the claimed side, *fails* only when it is wholly on the other;
- :func:`combine` (every part must hold) and :func:`exists` (some part must hold) join the
  outcomes of the comparisons inside one claim;
- :func:`loglog_slope` (slope of log y against log x) and :func:`semilog_slope` (slope of y
  against log_base x): least-squares trend slopes;
- :func:`holm`: Holm's step-down adjustment of p-values for the comparisons inside a claim;
- :func:`seeds_needed`: for an inconclusive verdict, the seeds at which the interval would clear
  the bound at the measured effect;
- :func:`fmt_num`, :func:`fmt_mean_ci`: the number formats of verdict details.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

HOLDS, FAILS, INCONCLUSIVE, ERROR = "holds", "fails", "inconclusive", "error"
OUTCOMES = (HOLDS, FAILS, INCONCLUSIVE, ERROR)

Interval = tuple[float, float]


def finite(values: Iterable[float]) -> np.ndarray:
    """The finite entries of ``values`` as a float64 array (NaN and ±inf dropped)."""
    v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values,
                   dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, Interval]:
    """Mean over the finite values and its Student-t confidence interval (a point interval for
    one value, NaN for none). Use :func:`finite` to count how many values entered it."""
    v = finite(values)
    if v.size == 0:
        return float("nan"), (float("nan"), float("nan"))
    m = float(v.mean())
    if v.size == 1:
        return m, (m, m)
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, (m - half, m + half)


def jackknife(stat: Callable[[list[int]], float], R: int, log: bool = False,
              level: float = 0.95) -> tuple[float, Interval, float]:
    """(estimate, confidence interval, standard error) of a statistic of R pooled runs, by
    leaving one run out at a time; ``log``: on the log scale, the interval transformed back
    (the standard error stays on the log scale)."""
    from scipy import stats

    tf = np.log if log else (lambda v: v)
    full = float(tf(stat(list(range(R)))))
    loo = np.array([tf(stat([q for q in range(R) if q != r])) for r in range(R)], dtype=float)
    se = float(math.sqrt((R - 1) / R * ((loo - loo.mean()) ** 2).sum())) if R > 1 else math.nan
    half = float(stats.t.ppf(0.5 + level / 2, max(1, R - 1))) * se
    lo, hi = full - half, full + half
    back = np.exp if log else (lambda v: v)
    return float(back(full)), (float(back(lo)), float(back(hi))), se


def compare(ci: Interval, bound: float, direction: str) -> str:
    """holds if the whole interval is on the claimed side of the bound (``"<="`` or ``">="``),
    fails if it is wholly on the other side, inconclusive if it straddles the bound (or is not
    finite)."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return INCONCLUSIVE
    if direction == "<=":
        return HOLDS if hi <= bound else FAILS if lo > bound else INCONCLUSIVE
    if direction == ">=":
        return HOLDS if lo >= bound else FAILS if hi < bound else INCONCLUSIVE
    raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")


def interval_outcome(ci: Interval, lo: float, hi: float) -> str:
    """holds if the interval lies inside [lo, hi], fails if it lies wholly outside, else
    inconclusive."""
    a, b = ci
    if not (math.isfinite(a) and math.isfinite(b)):
        return INCONCLUSIVE
    if lo <= a and b <= hi:
        return HOLDS
    if b < lo or a > hi:
        return FAILS
    return INCONCLUSIVE


def sign_outcome(ci: Interval, sign: int) -> str:
    """holds if the interval lies wholly on the side ``sign`` (+1: > 0, −1: < 0) of 0, fails if
    wholly on the other side, else inconclusive."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return INCONCLUSIVE
    if sign > 0:
        return HOLDS if lo > 0 else FAILS if hi < 0 else INCONCLUSIVE
    return HOLDS if hi < 0 else FAILS if lo > 0 else INCONCLUSIVE


def combine(*outcomes: str) -> str:
    """All parts must hold: fails if any fails, holds if all hold, else inconclusive."""
    if FAILS in outcomes:
        return FAILS
    return HOLDS if all(o == HOLDS for o in outcomes) else INCONCLUSIVE


def exists(outcomes: Sequence[str]) -> str:
    """Some part must hold: holds if one holds, fails if all fail, else inconclusive."""
    if any(o == HOLDS for o in outcomes):
        return HOLDS
    if outcomes and all(o == FAILS for o in outcomes):
        return FAILS
    return INCONCLUSIVE


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx = np.log(np.asarray(x, dtype=np.float64))
    ly = np.log(np.asarray(y, dtype=np.float64))
    lx = lx - lx.mean()
    return float((lx * (ly - ly.mean())).sum() / (lx * lx).sum())


def semilog_slope(x: Sequence[float], y: Sequence[float], base: float = 2.0) -> float:
    """Least-squares slope of y against log_base x (the change of y per factor ``base`` in x)."""
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
    zero or the values are too few (< 2) to estimate s; ``most`` caps the search. An estimate
    at the measured effect, not a promise: the next seeds move v̄ and s."""
    v = finite(values)
    if v.size < 2:
        return None
    gap, s = abs(float(v.mean()) - bound), float(v.std(ddof=1))
    if gap == 0.0:
        return None
    if s == 0.0:
        return int(v.size)
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
