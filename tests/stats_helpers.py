"""Statistical oracles shared by tests (scipy alone, never twolayer.stats)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps


def first_n_one_sided(mean: float, sd: float, bound: float, direction: str) -> int:
    """The first seed count at which scipy's one-sided t-test at 0.05 decides a sample of that
    many values with this mean and standard deviation, on the side the mean lies."""
    alt_holds = "less" if direction == "<=" else "greater"
    holds_side = (mean <= bound) if direction == "<=" else (mean >= bound)
    alt = alt_holds if holds_side else ("greater" if alt_holds == "less" else "less")
    z = np.array([-1.0, 1.0])
    for n in range(2, 10_000):
        base = np.resize(z, n) + np.linspace(-1e-3, 1e-3, n)
        base = (base - base.mean()) / base.std(ddof=1)
        if sps.ttest_1samp(mean + sd * base, bound, alternative=alt).pvalue < 0.05:
            return n
    raise AssertionError("never decided")


def t_interval(v: np.ndarray) -> tuple[float, float]:
    """The two-sided 95% t-interval of the mean of ``v``, by scipy's t quantile."""
    half = sps.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean() - half), float(v.mean() + half)
