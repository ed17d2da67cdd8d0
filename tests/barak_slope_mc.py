"""Monte Carlo of the barak2022 example's slope-of-medians claims at their bounds
(docs/verdict_audit.md, the section on barak2022's slope-of-medians bootstrap).

``ef1.k_adaptive`` (s_(k+1) − s_k > 0 for consecutive k, a bootstrap interval per pair at the
Bonferroni level) and ``fig2.exponent_degrades`` (s_high − s_low > 0, one bootstrap interval)
decide from percentile bootstrap intervals of differences of least-squares slopes of
log median t_c against log n. The generative model puts the population value of the statistic
exactly on the bound: t_c of setting (n, k) is lognormal, log t_c ~ N(log c_k + s_k log n, σ²),
so the population median is c_k n^(s_k) and the population slopes are the s_k, chosen equal
(the bound 0); optionally rounded up to the plan's probe grid (t_c is the first probe time at
which a run solved) and right-censored at a budget (a run that never solves within it). The
rates are those at which the claim's interval says *holds* (lower end > 0: a wrong holds) or
*fails* (upper end < 0: a wrong fails).

Two ways to run the claim's decision: ``real_*`` call the plugin's own claim functions on fake
records (exact, slow: 2000 Python-level resamples per interval), ``fast_*`` a vectorised
replica of ``stats.bootstrap_ci`` + ``slope_of_medians`` (the same resample indices: the
bootstrap's generator is seeded with 0 and its draws depend only on the sample sizes), checked
against the real functions interval for interval (``tests/test_barak_slope_mc.py``).
"""

from __future__ import annotations

import numpy as np

N_BOOT = 2000


class FakeRecord:
    """What the slope claims read of a record: t_c per seed (−1: never solved), the budget and
    the seed count."""

    def __init__(self, tc: np.ndarray, budget: float):
        self.arrays = {"static/t_c": np.asarray(tc, dtype=np.int64)}
        self.config = {"train": {"steps": int(budget)}, "seeds": int(np.asarray(tc).size)}
        self.seeds = int(np.asarray(tc).size)

    def __getitem__(self, key):
        return self.arrays[key]


def draw(rng: np.random.Generator, medians: np.ndarray, sigma: float, R: int, M: int,
         every: np.ndarray | None = None, budget: float = np.inf) -> np.ndarray:
    """[M, C, R] t_c: lognormal around ``medians`` [C] (the population medians), rounded up to
    the probe grid ``every`` [C] (None: continuous), −1 where above ``budget`` (censored)."""
    t = medians[None, :, None] * np.exp(sigma * rng.standard_normal((M, medians.size, R)))
    if every is not None:
        t = np.ceil(t / every[None, :, None]) * every[None, :, None]
    return np.where(t > budget, -1.0, t)


def boot_indices(sizes: list[int], n_boot: int = N_BOOT, seed: int = 0) -> list[np.ndarray]:
    """The resample indices ``stats.bootstrap_ci`` draws for samples of these sizes: per
    sample an [n_boot, size] array (its generator: seed 0, then per resample one
    ``integers(0, size, size)`` per sample, in order)."""
    rng = np.random.default_rng(seed)
    out = [np.empty((n_boot, s), dtype=np.int64) for s in sizes]
    for b in range(n_boot):
        for i, s in enumerate(sizes):
            out[i][b] = rng.integers(0, s, s)
    return out


def _medians(v: np.ndarray, budget: float) -> np.ndarray:
    """Median over the last axis as ``quantile_censored`` takes it (linear between the two
    middle order statistics; NaN where one of them is censored, i.e. coded above budget)."""
    v = np.sort(v, axis=-1)
    R = v.shape[-1]
    pos = 0.5 * (R - 1)
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    a, b = v[..., lo], v[..., hi]
    med = a + (pos - lo) * (b - a)
    return np.where((a > budget) | (b > budget), np.nan, med)


def _slope(meds: np.ndarray, ns: list[int]) -> np.ndarray:
    """Least-squares slope of log med against log n over the last axis (NaN if a median is
    NaN or not positive)."""
    lx = np.log(np.asarray(ns, dtype=float))
    lx = lx - lx.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        ly = np.log(np.where(meds > 0, meds, np.nan))
    return (lx * (ly - ly.mean(-1, keepdims=True))).sum(-1) / (lx * lx).sum()


def fast_difference_ci(tc: np.ndarray, budget: float, ns_lo: list[int], i_lo: list[int],
                       ns_hi: list[int], i_hi: list[int], level: float,
                       chunk: int = 20) -> np.ndarray:
    """[M, 2]: the percentile bootstrap interval of slope(hi) − slope(lo) at ``level``, as
    ``claims.slope_difference_ci`` computes it, for M records at once. ``tc`` [M, C, R]: t_c
    with −1 for a censored seed (coded 2·budget + 1, as ``_finite_code``); the cells
    ``i_lo``/``i_hi`` (indices into C, a shared one resampled once) give each slope."""
    used = list(dict.fromkeys(list(i_lo) + list(i_hi)))  # the samples, in the claim's order
    tc = tc[:, used]
    i_lo, i_hi = [used.index(i) for i in i_lo], [used.index(i) for i in i_hi]
    M, C, R = tc.shape
    x = np.where(tc < 0, 2 * budget + 1, tc)
    idx = np.stack(boot_indices([R] * C), axis=1)  # [n_boot, C, R]
    out = np.empty((M, 2))
    a = (1.0 - level) / 2
    for s in range(0, M, chunk):
        xs = x[s:s + chunk]  # [m, C, R]
        res = np.take_along_axis(xs[:, None, :, :], idx[None], axis=-1)  # [m, B, C, R]
        med = _medians(res, budget)  # [m, B, C]
        diff = _slope(med[..., i_hi], ns_hi) - _slope(med[..., i_lo], ns_lo)  # [m, B]
        ok = np.isfinite(diff)
        for j in range(diff.shape[0]):
            d = diff[j][ok[j]]
            out[s + j] = ((np.nan, np.nan) if d.size < 0.95 * N_BOOT
                          else (np.quantile(d, a), np.quantile(d, 1.0 - a)))
    return out


def sign_of(ci: np.ndarray) -> np.ndarray:
    """[M] +1 holds (lower end > 0), −1 fails (upper end < 0), 0 inconclusive, as
    ``stats.sign_outcome(ci, +1)`` (a non-finite or zero-width interval decides nothing)."""
    lo, hi = ci[:, 0], ci[:, 1]
    fin = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    return np.where(fin & (lo > 0), 1, np.where(fin & (hi < 0), -1, 0))


def rate(x: np.ndarray) -> tuple[float, float]:
    """(share, binomial MC standard error)."""
    p = float(np.mean(x))
    return p, float(np.sqrt(max(p * (1 - p), 1e-12) / x.size))
