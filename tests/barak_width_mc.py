"""Monte Carlo of the barak2022 example's ``width.no_speedup`` at its bounds
(docs/verdict_audit.md, section 29).

The claim compares the smallest width r0 with the largest r1 on two statistics of t_c, each
with a percentile bootstrap interval (the seeds of each width resampled independently) at the
Bonferroni level 0.975 (both intervals from the same resample indices): the log speedup
log(med t_c(r0) / med t_c(r1)), which must be < log(r1/r0), and the difference of the
interquartile ranges of log t_c, IQR(r1) − IQR(r0), which must be < 0. Both parts must hold; one
failing part fails the claim.

The generative model puts a statistic's population value exactly on its bound: t_c at width r
is m_r·exp(σ_r Z) with Z from a fixed law (standard normal: lognormal t_c; Student t with 3
degrees of freedom: heavier tails on both sides; a standard Gumbel, centred on its median:
a heavy upper tail only), so its population median is m_r and its population IQR of log t_c is
σ_r·IQR(Z), whatever m_r. The speedup is on its bound when m0/m1 = r1/r0, the IQR part when
σ0 = σ1. Optionally t_c is rounded up to the probe grid (the record's t_c is the first probe at
which the run was solved, so the solve time lies in (t_c − every, t_c]) and right-censored at the
budget (a run never solved within it: −1, as in the records).

``fast_width`` replicates the claim's decision for many records at once with the same
resample indices as ``stats.bootstrap_ci`` (seed 0, per resample one ``integers(0, R, R)`` per
width, in order); ``tests/test_barak_width_mc.py`` checks it against the claim interval for
interval. ``mode="box"`` replicates the claim after section 29's fix (each side judged at the
least favourable ends of the probe intervals and censored seeds, infinite resample statistics
kept); ``mode="point"`` the claim before it.
"""

from __future__ import annotations

import math

import numpy as np
from barak_slope_mc import N_BOOT, boot_indices

LAWS = ("lognormal", "t3", "gumbel")


def _z(rng: np.random.Generator, law: str, shape: tuple) -> np.ndarray:
    """Standard draws of the log-scale law, each centred on its median (so m_r is the median)."""
    if law == "lognormal":
        return rng.standard_normal(shape)
    if law == "t3":
        return rng.standard_t(3, shape)
    if law == "gumbel":
        return rng.gumbel(0.0, 1.0, shape) + math.log(math.log(2.0))  # median of Gumbel: −log log 2
    raise ValueError(law)


def z_iqr(law: str) -> float:
    """IQR of the standard law (numpy/scipy-free closed forms where known)."""
    if law == "lognormal":
        return 2 * 0.6744897501960817
    if law == "t3":
        return 2 * 0.7648923284181477  # t_3 upper quartile
    if law == "gumbel":
        return -math.log(-math.log(0.75)) + math.log(-math.log(0.25))
    raise ValueError(law)


def draw_pair(rng: np.random.Generator, m0: float, m1: float, s0: float, s1: float, R: int,
              M: int, law: str = "lognormal", every: float | None = None,
              budget: float = math.inf) -> np.ndarray:
    """[M, 2, R] t_c of widths r0 (index 0) and r1 (index 1): m_r exp(s_r Z), rounded up to the
    probe grid ``every`` (None: continuous), −1 where above ``budget`` (censored)."""
    z = _z(rng, law, (M, 2, R))
    t = np.array([m0, m1])[None, :, None] * np.exp(np.array([s0, s1])[None, :, None] * z)
    if every is not None:
        t = np.maximum(np.ceil(t / every), 1.0) * every
    return np.where(t > budget, -1.0, t)


def _q(v: np.ndarray, q: float, on_inf: float = np.nan) -> np.ndarray:
    """``claims.quantile_censored`` over the last axis of sorted ``v`` (+inf: censored): the
    linear interpolation between the two order statistics; ``on_inf`` (NaN) where one of them
    is +inf."""
    R = v.shape[-1]
    pos = q * (R - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    a, b = v[..., lo], v[..., hi]
    with np.errstate(invalid="ignore"):
        out = a + (pos - lo) * (b - a)
    return np.where(np.isfinite(a) & np.isfinite(b), out, on_inf)


def _q_box(v: np.ndarray, q: float) -> np.ndarray:
    """As ``_q`` but +inf where an order statistic is +inf (a quantile known to be infinite or
    above every finite value): for the interval ends, not the point value."""
    return _q(v, q, on_inf=np.inf)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _pct(d: np.ndarray, a: float, drop_nonfinite: bool) -> tuple[float, float]:
    if drop_nonfinite:
        d = d[np.isfinite(d)]
        if d.size < 0.95 * N_BOOT:
            return math.nan, math.nan
        return float(np.quantile(d, a)), float(np.quantile(d, 1.0 - a))
    d = np.sort(d[~np.isnan(d)])
    if d.size < 0.95 * N_BOOT:
        return math.nan, math.nan
    return _order_quantile(d, a), _order_quantile(d, 1.0 - a)


def _order_quantile(d: np.ndarray, p: float) -> float:
    """np.quantile's linear rule on sorted ``d`` that may hold ±inf: an end on or next to an
    infinite order statistic is that infinity."""
    pos = p * (d.size - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    a, b = d[lo], d[hi]
    if not (np.isfinite(a) and np.isfinite(b)):
        return float(a if not np.isfinite(a) and (a < 0 or lo == hi) else b)
    return float(a + (pos - lo) * (b - a))


def fast_width(tc: np.ndarray, budget: float, every: float, level: float, mode: str = "point",
               chunk: int = 25) -> dict[str, np.ndarray]:
    """The claim's two intervals for M records ``tc`` [M, 2, R] (−1: censored) at ``level``.

    ``mode="point"``: as the claim before section 29 (censored seeds coded above the budget,
    a resample whose quantile falls on one dropped, > 5% dropped: no interval): ``s``, ``d``
    [M, 2] the intervals of the log speedup and of IQR(r1) − IQR(r0).
    ``mode="box"``: per side the statistic at the least favourable ends (solve step in
    t_c − every + 1 … t_c, a censored seed in (budget, ∞)), infinite resample values kept:
    ``s_hold``/``d_hold`` [M] the upper ends that decide *holds*, ``s_fail``/``d_fail`` [M] the
    lower ends that decide *fails*."""
    M, _, R = tc.shape
    i0, i1 = boot_indices([R, R])
    a = (1.0 - level) / 2
    up = np.where(tc < 0, np.inf, tc)                     # the measured t_c; censored: +inf
    # the solve step's lowest value (continuous t_c, every = 0: known exactly)
    lo = np.where(tc < 0, budget, np.maximum(tc - every + 1.0, 1.0) if every > 0 else tc)
    out = {k: np.full((M, 2), np.nan) for k in ("s", "d")}
    out.update({k: np.full(M, np.nan) for k in ("s_hold", "d_hold", "s_fail", "d_fail")})
    for c in range(0, M, chunk):
        sl = slice(c, c + chunk)
        # resamples [m, B, R] of each width
        u0 = np.sort(up[sl, 0][:, i0], axis=-1)
        u1 = np.sort(up[sl, 1][:, i1], axis=-1)
        if mode == "point":
            s = _log(_q(u0, 0.5)) - _log(_q(u1, 0.5))
            d = ((_log(_q(u1, 0.75)) - _log(_q(u1, 0.25)))
                 - (_log(_q(u0, 0.75)) - _log(_q(u0, 0.25))))
            for j in range(s.shape[0]):
                out["s"][c + j] = _pct(s[j], a, True)
                out["d"][c + j] = _pct(d[j], a, True)
            continue
        l0 = np.sort(lo[sl, 0][:, i0], axis=-1)
        l1 = np.sort(lo[sl, 1][:, i1], axis=-1)
        s_hi = _log(_q_box(u0, 0.5)) - _log(_q_box(l1, 0.5))
        s_lo = _log(_q_box(l0, 0.5)) - _log(_q_box(u1, 0.5))
        with np.errstate(invalid="ignore"):
            d_hi = (_log(_q_box(u1, 0.75)) - _log(_q_box(l1, 0.25))) - (
                _log(_q_box(l0, 0.75)) - _log(_q_box(u0, 0.25)))
            d_lo = (_log(_q_box(l1, 0.75)) - _log(_q_box(u1, 0.25))) - (
                _log(_q_box(u0, 0.75)) - _log(_q_box(l0, 0.25)))
        for j in range(s_hi.shape[0]):
            out["s_hold"][c + j] = _pct(s_hi[j], a, False)[1]
            out["s_fail"][c + j] = _pct(s_lo[j], a, False)[0]
            out["d_hold"][c + j] = _pct(d_hi[j], a, False)[1]
            out["d_fail"][c + j] = _pct(d_lo[j], a, False)[0]
    return out


def verdicts(res: dict[str, np.ndarray], bound: float, mode: str = "point"
             ) -> dict[str, np.ndarray]:
    """[M] +1 holds, −1 fails, 0 inconclusive for the speedup part (``v1``), the IQR part
    (``v2``) and the claim (``v``: both hold; one fails)."""
    if mode == "point":
        s, d = res["s"], res["d"]
        fs = np.isfinite(s).all(1) & (s[:, 0] != s[:, 1])
        fd = np.isfinite(d).all(1) & (d[:, 0] != d[:, 1])
        v1 = np.where(fs & (s[:, 1] <= bound), 1, np.where(fs & (s[:, 0] > bound), -1, 0))
        v2 = np.where(fd & (d[:, 1] < 0), 1, np.where(fd & (d[:, 0] > 0), -1, 0))
    else:
        lo, hi = res["s_fail"], res["s_hold"]
        fs = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
        v1 = np.where(fs & (hi <= bound), 1, np.where(fs & (lo > bound), -1, 0))
        # the IQR part: a two-sided finite interval by its sign (zero width: nothing); with
        # one infinite end, the finite end alone
        lo, hi = res["d_fail"], res["d_hold"]
        two = np.isfinite(lo) & np.isfinite(hi)
        one = ~two & ~np.isnan(lo) & ~np.isnan(hi)
        ok = (two & (lo != hi)) | one
        v2 = np.where(ok & np.isfinite(hi) & (hi < 0), 1,
                      np.where(ok & np.isfinite(lo) & (lo > 0), -1, 0))
    v = np.where((v1 == -1) | (v2 == -1), -1, np.where((v1 == 1) & (v2 == 1), 1, 0))
    return {"v1": v1, "v2": v2, "v": v}


class WidthRecord:
    """What ``width.no_speedup`` reads of one width's record: t_c per seed (−1: never solved),
    the budget, the probe interval, the seed count and the setting's text."""

    def __init__(self, tc: np.ndarray, budget: float, every: int, m: int):
        tc = np.asarray(tc)
        self.arrays = {"static/t_c": np.asarray(tc, dtype=np.int64)}
        self.seeds = int(tc.size)
        self.config = {"data": {"d": 40, "k": 3}, "net": {"m": m, "bias": True},
                       "train": {"steps": int(budget), "every": int(every), "batch_size": 32,
                                 "lr": 0.1}, "seeds": self.seeds}

    def __getitem__(self, key):
        return self.arrays[key]


def width_records(tc: np.ndarray, budget: float, every: int, widths: tuple[int, int]) -> dict:
    """{"r=...": WidthRecord} of one record [2, R] of ``draw_pair`` (t_c integral already)."""
    return {f"r={w}": WidthRecord(tc[i], budget, every, w) for i, w in enumerate(widths)}
