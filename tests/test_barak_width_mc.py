"""The barak2022 example's ``width.no_speedup`` against its probe grid, its budget and Monte
Carlo at its bounds (docs/verdict_audit.md, section 29; the model and the replica:
``tests/barak_width_mc.py``), and ``stats.bootstrap_box_ci`` under it.

A record's t_c is the first probe at which a run was solved, so its solve time lies in
(t_c − every, t_c], and a run never solved lies above the budget. The claim's two bootstrap
intervals (the log speedup of median t_c, the difference of IQRs of log t_c) now take each end
at the least favourable solve times those intervals allow. Before, a median at the first
probes made "speedup < r1/r0" hold wrongly in 0.10 of records at its bound (full plan's
geometry, R = 16), and r1's seeds clustered on the first probes made "the IQR shrinks" hold
wrongly in 0.21–0.25 at equal IQRs.
"""

from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest
from barak_helpers import FakeRuns
from barak_slope_mc import rate
from barak_width_mc import draw_pair, fast_width, verdicts, width_records
from plugin_helpers import barak_example

from twolayer import stats

VERDICT = {1: "holds", -1: "fails", 0: "inconclusive"}
LEVEL = stats.family_level(0.95, 2)


@pytest.fixture(scope="module")
def claims():
    with barak_example(setting_reader=False) as mod:
        yield sys.modules[mod.__name__ + ".claims"]


def _judge(claims, tc0, tc1, budget, every, widths=(8, 1024)):
    recs = width_records(np.stack([np.asarray(tc0), np.asarray(tc1)]), budget, every, widths)
    return claims.width_no_speedup(FakeRuns({"barak2022.width": recs}))


def _iqr_part(detail: str) -> tuple[str, float, float]:
    """(verdict, lower, upper) of the IQR part, read from the detail."""
    m = re.search(r"IQR\(r=\d+\) - IQR\(r=\d+\) = \S+ \[(\S+), (\S+)\] \((\w+)\)", detail)
    assert m, detail
    return m.group(3), float(m.group(1)), float(m.group(2))


# -- stats.bootstrap_box_ci --------------------------------------------------------------------

def _diff_of_medians(a, b):
    return float(np.median(a) - np.median(b))


def test_box_bootstrap_on_exact_values_is_the_plain_bootstrap() -> None:
    """lo = hi and one statistic: the same resamples and percentiles as ``bootstrap_ci``."""
    rng = np.random.default_rng(0)
    for sizes in ((5, 7), (16, 16), (3, 25)):
        a, b = (rng.lognormal(0, 1, n) for n in sizes)
        est, ci = stats.bootstrap_ci([a, b], _diff_of_medians, 0.975)
        est2, ci2 = stats.bootstrap_box_ci(
            [(a, a), (b, b)], lambda p, q: _diff_of_medians(p[0], q[0]),
            lambda p, q: _diff_of_medians(p[1], q[1]), 0.975)
        assert est2 == (est, est)
        assert ci2 == ci


def test_box_bootstrap_keeps_infinite_statistics_in_the_order() -> None:
    """An infinite resample statistic is a bound, not a lost value: the ends are numpy's
    quantiles of the statistics with ±inf read as ±1e300 (an end pulled towards one is
    infinite), where ``bootstrap_ci`` would drop them and narrow the interval. Oracle: the
    resamples redrawn here by a loop (seed 0, one index vector per sample per resample)."""
    rng = np.random.default_rng(1)
    fracs = []
    for n_inf in (0, 1, 2, 3):
        x = np.sort(rng.lognormal(0, 1, 10))
        hi, lo = x.copy(), x.copy()
        hi[len(x) - n_inf:] = np.inf  # the largest n_inf seeds unbounded above (censored)
        lo[:n_inf] = 0.0  # the smallest n_inf seeds' lower ends at 0: log 0 = −inf

        def s_lo(p):
            with np.errstate(divide="ignore"):
                return float(np.log(np.median(p[0])))

        def s_hi(p):
            return float(np.log(np.median(p[1])))

        _, ci = stats.bootstrap_box_ci([(lo, hi)], s_lo, s_hi, 0.95)
        g = np.random.default_rng(0)
        lows, highs = [], []
        for _ in range(2000):
            i = g.integers(0, 10, 10)
            lows.append(s_lo((lo[i], hi[i])))
            highs.append(s_hi((lo[i], hi[i])))
        for end, vals, p in ((ci[0], lows, 0.025), (ci[1], highs, 0.975)):
            want = float(np.quantile(np.nan_to_num(np.asarray(vals), posinf=1e300,
                                                   neginf=-1e300), p))
            want = math.copysign(math.inf, want) if abs(want) > 1e290 else want
            assert end == want or math.isclose(end, want, rel_tol=1e-12), (n_inf, end, want)
        fracs.append((float(np.mean(np.isinf(lows))), float(np.mean(np.isinf(highs)))))
        assert (ci[1] == math.inf) == (fracs[-1][1] > 0.025), (n_inf, fracs[-1], ci)
        assert (ci[0] == -math.inf) == (fracs[-1][0] > 0.025), (n_inf, fracs[-1], ci)
    assert max(f[1] for f in fracs) > 0.025 and max(f[0] for f in fracs) > 0.025
    assert min(f[1] for f in fracs) == 0  # both kinds of end occurred


def test_box_bootstrap_checks_its_inputs() -> None:
    a = np.arange(1.0, 9.0)
    with pytest.raises(ValueError, match="lower end"):
        stats.bootstrap_box_ci([(a + 1, a)], np.median, np.median)
    with pytest.raises(ValueError, match="stat_lo lies above"):
        stats.bootstrap_box_ci([(a, a + 1)], lambda p: float(np.median(p[1])),
                               lambda p: float(np.median(p[0])))
    lost = a.copy()
    lost[2] = np.nan
    with stats.counting_dropped() as dropped:
        stats.bootstrap_box_ci([(lost, a)], lambda p: float(np.median(p[0])),
                               lambda p: float(np.median(p[1])))
    assert dropped[0] == 1


# -- the claim's bounds and its verdicts on records ----------------------------------------------

def test_the_bounds_contain_every_completion(claims) -> None:
    """log_speedup_bounds and iqr_bounds against 300 random completions each of 60 random
    records (solve steps anywhere in their probe intervals, censored seeds anywhere above the
    budget), the statistic computed by numpy's quantiles; the speedup's bounds are the values
    at the extreme completions when no median is censored."""
    rng = np.random.default_rng(2)
    for _ in range(60):
        R, every, budget = int(rng.integers(4, 12)), 50.0, 3000.0
        tc = [np.ceil(rng.lognormal(np.log(m), 0.8, R) / every) * every for m in (900, 120)]
        tc = [np.where(t > budget, np.inf, t) for t in tc]
        pairs = [claims.solve_interval(t, every, budget) for t in tc]
        s_lo, s_hi = claims.log_speedup_bounds(*pairs)
        i_lo, i_hi = zip(*(claims.iqr_bounds(p) for p in pairs))
        comp = [np.where(np.isfinite(t), t - rng.integers(0, int(every), (300, t.size)),
                         budget * (1 + 10 * rng.random((300, t.size)))) for t in tc]
        med = [np.quantile(x, 0.5, axis=1) for x in comp]
        s = np.log(med[0] / med[1])
        assert np.all((s_lo - 1e-12 <= s) & (s <= s_hi + 1e-12))
        for j, x in enumerate(comp):
            iqr = np.log(np.quantile(x, 0.75, axis=1)) - np.log(np.quantile(x, 0.25, axis=1))
            assert np.all((i_lo[j] - 1e-12 <= iqr) & (iqr <= i_hi[j] + 1e-12))
        if all(np.isfinite(np.median(t)) for t in tc):
            ends = [(t - every + 1, t) for t in tc]  # the extreme completions: integer steps
            assert s_hi == pytest.approx(math.log(np.quantile(ends[0][1], 0.5))
                                         - math.log(np.quantile(ends[1][0], 0.5)))
            assert s_lo == pytest.approx(math.log(np.quantile(ends[0][0], 0.5))
                                         - math.log(np.quantile(ends[1][1], 0.5)))


def test_a_median_at_the_first_probes_does_not_bound_the_speedup(claims) -> None:
    """r0's 8 seeds near 8000 steps, r1's at 100 (6) and 150 (2) on a 50-step grid: the
    measured log speedup log(8000/100) = 4.38 is below log 128 = 4.85, and the point bootstrap
    held "speedup < 128" (so did the base). But r1's seeds may have solved at step 51 and
    101 (their previous probes were unsolved, nothing more), giving a median of 51 and a log
    speedup of log(8000/51) = 5.06 > 4.85: the record does not show the claim."""
    t0 = [7800, 7850, 7900, 8000, 8000, 8100, 8150, 8200]
    t1 = [100, 100, 100, 100, 100, 100, 150, 150]
    out = _judge(claims, t0, t1, 1e5, 50)
    assert math.log(np.median(t0) / 51) > math.log(128)  # the oracle completion
    assert "speedup: holds" not in out.detail, out.detail
    assert out.verdict != "holds"
    # the same record on a 1-step grid (solve times known to the step) holds it
    out = _judge(claims, t0, t1, 1e5, 1)
    assert "speedup: holds" in out.detail, out.detail


def test_a_first_probe_cluster_does_not_shrink_the_iqr(claims) -> None:
    """r1's 16 seeds at 50 (12) and 100 (4) steps on a 50-step grid have a small measured IQR
    of log t_c (0.22), r0's (16 seeds from 100 to 60000 steps) a large one (3.6); the point
    bootstrap held "the IQR shrinks" ([−4.51, −0.865]; so did the base). Yet r1's seeds may have
    solved at any step of 1…50 and 51…100, e.g. five at step 1, seven at 50, four at 100, whose
    IQR (log 62.5 = 4.1) exceeds r0's: the record does not show it."""
    t0 = np.round(np.geomspace(100, 60000, 16) / 50) * 50
    t1 = np.array([50] * 12 + [100] * 4)
    comp = np.array([1] * 5 + [50] * 7 + [100] * 4, dtype=float)
    assert np.all((comp > t1 - 50) & (comp <= t1))  # a completion the record allows

    def iqr(x):
        return math.log(np.quantile(x, .75)) - math.log(np.quantile(x, .25))

    assert iqr(comp) > iqr(t0)  # the oracle completion
    out = _judge(claims, t0, t1, 1e5, 50)
    assert _iqr_part(out.detail)[0] != "holds", out.detail


def test_a_censored_upper_quartile_still_bounds_the_iqr_from_below(claims) -> None:
    """One of 8 seeds at r0 never solved (above the budget 8000): the point bootstrap put r0's
    upper quartile on it in > 5% of resamples and gave no interval. Its solve time is above the
    budget, which bounds r0's IQR from below: the box's upper end is at least the plain
    bootstrap's upper end at every completion of that seed (oracle: ``bootstrap_ci`` on the
    completed values, the solved seeds at any point of their probe intervals), and here it
    shows the IQR shrinking."""
    t0 = np.array([300, 650, 1100, 1800, 2400, 3300, 5200, -1])
    t1 = np.array([520, 540, 560, 570, 580, 600, 610, 640])
    out = _judge(claims, t0, t1, 8000, 20, (8, 128))
    verdict, lo, hi = _iqr_part(out.detail)
    assert verdict == "holds" and math.isinf(lo) and hi < 0, out.detail

    def iqr(x):
        return math.log(np.quantile(x, .75)) - math.log(np.quantile(x, .25))

    for censored_at, shift in ((8001, 0.0), (16000, 19.0), (1e6, 0.0), (1e6, 19.0)):
        x0 = np.where(t0 < 0, censored_at, t0 - shift).astype(float)
        x1 = (t1 - (19.0 - shift)).astype(float)
        _, ci = stats.bootstrap_ci([x0, x1], lambda a, b: iqr(b) - iqr(a), LEVEL)
        assert hi >= ci[1] - 5e-3 * abs(ci[1]), (censored_at, shift, hi, ci)


def test_the_replica_is_the_claims_own_interval(claims) -> None:
    """``fast_width(mode="box")`` against the claim on records that hold, fail, are undecided,
    have censored seeds and seeds on the first probes: the speedup interval exactly, the IQR
    interval to the detail's 3 digits, each part's verdict."""
    rng = np.random.default_rng(4)
    cases = ((6550, 6550 / 128, 0.5, 0.5, 8, 1e5, 50), (2010, 570, 0.8, 0.1, 8, 8000, 20),
             (2010, 300, 1.0, 1.0, 8, 3000, 20), (6000, 20, 0.3, 0.3, 6, 1e5, 50),
             (1000, 1000, 0.3, 0.6, 8, 1e5, 50))
    seen = set()
    for m0, m1, s0, s1, R, budget, every in cases:
        tc = draw_pair(rng, m0, m1, s0, s1, R, 2, every=every, budget=budget)
        widths = (8, 1024) if budget > 1e4 else (8, 128)
        fast = fast_width(tc, budget, every, LEVEL, "box")
        v = verdicts(fast, math.log(widths[1] / widths[0]), "box")
        for j in range(tc.shape[0]):
            out = _judge(claims, tc[j, 0], tc[j, 1], budget, every, widths)
            np.testing.assert_allclose(out.ci, (fast["s_fail"][j], fast["s_hold"][j]),
                                       rtol=1e-12)
            iv, lo, hi = _iqr_part(out.detail)
            for got, want in ((lo, fast["d_fail"][j]), (hi, fast["d_hold"][j])):
                assert got == want or math.isclose(got, want, rel_tol=6e-3, abs_tol=1e-3)
            assert iv == VERDICT[int(v["v2"][j])]
            assert f"speedup: {VERDICT[int(v['v1'][j])]}" in out.detail
            assert out.verdict == VERDICT[int(v["v"][j])]
            seen |= {(int(v["v1"][j]), int(v["v2"][j]))}
    assert {p for p, _ in seen} >= {1, 0} and {q for _, q in seen} >= {1, 0}


# -- the rates at the bounds (the replica) -------------------------------------------------------

def test_speedup_at_its_bound_on_the_full_plans_grid_keeps_its_promise() -> None:
    """m0 = 6550 (the full plan's r = 8 median), m1 = 6550/128 = 51 steps on the 50-step grid,
    lognormal σ 0.5, R = 16, 400 records: the part's 97.5% interval promises 0.0125 a side.
    Measured (seeded): the box 0 wrong holds; the point bootstrap (before) 0.10 (MC s.e. 0.015,
    0.099 over 1000 in the audit)."""
    tc = draw_pair(np.random.default_rng(21), 6550, 6550 / 128, 0.5, 0.5, 16, 400, every=50,
                   budget=1e5)
    v = verdicts(fast_width(tc, 1e5, 50, LEVEL, "box"), math.log(128), "box")
    h, f = rate(v["v1"] == 1)[0], rate(v["v1"] == -1)[0]
    assert h <= 0.03 and f <= 0.03, (h, f)
    old = verdicts(fast_width(tc, 1e5, 50, LEVEL, "point"), math.log(128), "point")
    assert rate(old["v1"] == 1)[0] > 0.05  # the model still shows what was wrong


def test_iqr_at_its_bound_with_the_widest_on_the_first_probes_keeps_its_promise() -> None:
    """Equal IQRs (σ 0.5 both), r1's median 30 steps on a 50-step grid (speedup 67, inside
    the bound 128), R = 8, 400 records: the IQR part promises 0.0125 a side; before, r1's
    cluster on the first probe made it hold in about 0.2 of records."""
    tc = draw_pair(np.random.default_rng(22), 2000, 30, 0.5, 0.5, 8, 400, every=50, budget=1e5)
    v = verdicts(fast_width(tc, 1e5, 50, LEVEL, "box"), math.log(128), "box")
    h, f = rate(v["v2"] == 1)[0], rate(v["v2"] == -1)[0]
    assert h <= 0.03 and f <= 0.03, (h, f)
    assert rate(v["v"] == 1)[0] <= 0.03
    old = verdicts(fast_width(tc, 1e5, 50, LEVEL, "point"), math.log(128), "point")
    assert rate(old["v2"] == 1)[0] > 0.05


def test_iqr_at_its_bound_with_a_censored_smallest_width_keeps_its_promise() -> None:
    """Equal IQRs (σ 1 both), r0's median 2500 with a budget of 8000 (≈ 12% of its seeds
    censored, as the quick plan's 1 of 8), r1's median 300 on a 20-step grid, R = 8, 400
    records: the box bounds a censored upper quartile by the budget and may now decide; its
    wrong holds and fails stay within the ceiling 0.03 (promise 0.0125)."""
    tc = draw_pair(np.random.default_rng(23), 2500, 300, 1.0, 1.0, 8, 400, every=20,
                   budget=8000)
    v = verdicts(fast_width(tc, 8000, 20, LEVEL, "box"), math.log(16), "box")
    h, f = rate(v["v2"] == 1)[0], rate(v["v2"] == -1)[0]
    assert h <= 0.03 and f <= 0.03, (h, f)


@pytest.mark.slow
def test_speedup_at_its_bound_with_the_claims_own_function(claims) -> None:
    """The full plan's geometry at the speedup's bound with the claim itself (not the
    replica): R = 16, σ 0.5, 150 records; wrong holds of the claim's speedup part at most 0.04
    (the point bootstrap: 0.10)."""
    tc = draw_pair(np.random.default_rng(24), 6550, 6550 / 128, 0.5, 0.5, 16, 150, every=50,
                   budget=1e5)
    held = [("speedup: holds" in _judge(claims, tc[j, 0], tc[j, 1], 1e5, 50).detail)
            for j in range(tc.shape[0])]
    assert np.mean(held) <= 0.04, np.mean(held)


# -- fig2.no_early: the same probe intervals on its fails side -----------------------------------

def _early(claims, tc, every, budget=1e5):
    rec = width_records(np.stack([np.asarray(tc), np.asarray(tc)]), budget, every, (100, 100))
    return claims.no_early(FakeRuns({"barak2022.early": rec["r=100"]}))


def test_no_early_fails_only_on_seeds_surely_early(claims) -> None:
    """32 seeds on a 20-step grid: 12 at t_c = 160, 20 at 600–620. Each of the 12 may have
    solved at step 141 < 600/4 = 150 (may be early: 12/32, exact lower end 0.21 > 0.159, so
    the base said *fails*), but all may as well have solved at 160 > 150, and with every seed
    solved at its t_c none is early: the record does not show the fraction above 0.159."""
    tc = np.array([160] * 12 + [600] * 10 + [620] * 10)
    assert np.sum(tc < 0.25 * np.median(tc)) == 0  # the oracle completion: solve step = t_c
    out = _early(claims, tc, 20)
    assert out.verdict == "inconclusive", out.detail
    # seeds surely early (t_c = 100: solved by step 100 < (581)/4) do fail it
    out = _early(claims, np.array([100] * 12 + [600] * 10 + [620] * 10), 20)
    assert out.verdict == "fails", out.detail


def test_no_early_at_its_bound_keeps_its_promise(claims) -> None:
    """t_c ~ Geom(q) (random search: P(T < median/4) = 0.159, the bound itself), median 300
    steps, probes every 20, R = 200, 600 records through the claim itself: wrong fails at most
    0.025 (nominal; measured 0.002 in the audit, MC s.e. 0.0003 over 20000); counting the "may
    be early" seeds for fails too (the base) gave 0.09. Wrong holds 0.003."""
    rng = np.random.default_rng(31)
    q = 1 - 2 ** (-1 / 300)
    T = rng.geometric(q, (600, 200)).astype(float)
    tc = np.ceil(T / 20) * 20
    out = [_early(claims, tc[j], 20).verdict for j in range(tc.shape[0])]
    f, h = np.mean(np.asarray(out) == "fails"), np.mean(np.asarray(out) == "holds")
    assert f <= 0.025 and h <= 0.025, (f, h)
