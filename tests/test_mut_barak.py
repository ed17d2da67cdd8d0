"""Mutation-testing oracles for the barak2022 plugin's claims (``examples/barak2022/claims.py``).

Each test judges a doctored record (the plugin tests' tiny runs, edited) or calls a statistic
of the claims module on values whose answer is worked out by hand or with scipy, and kills a
mutant the older tests let through (named in each docstring).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from barak_helpers import FakeRuns
from test_barak2022 import _edit, plugin, tiny_records  # noqa: F401  (module fixtures)


def _tiled(rec, seeds: int):  # type: ignore[no-untyped-def]
    out = _edit(rec, **{k: np.concatenate([v] * -(-seeds // rec.seeds))[:seeds]
                        for k, v in rec.arrays.items()})
    out.config = dict(rec.config, seeds=seeds)
    return out


def test_label_noise_fraction_is_judged_by_its_exact_95_interval(plugin, tiny_records) -> None:  # noqa: F811
    """9 of 12 seeds reach error < 0.1: the exact 95% interval of 9/12 (scipy) contains the
    [PROPOSAL] 0.6, so c6.label_noise is inconclusive, although a 50% interval lies above it.
    Kills ``fraction_outcome`` at level 0.5 (held)."""
    from scipy import stats as st

    ci = st.binomtest(9, 12).proportion_ci(0.95, method="exact")
    assert ci.low < 0.6 < ci.high
    assert st.binomtest(9, 12).proportion_ci(0.5, method="exact").low > 0.6
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 12)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:9, -1] = 0.0
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "inconclusive" and out.measured == 0.75
    assert out.ci == pytest.approx((ci.low, ci.high))


def test_a_seed_solved_exactly_at_the_budget_is_not_censored(plugin) -> None:  # noqa: F811
    """A seed with t_c equal to the budget solved within it. Cells at n = 10 (t_c 100, 200,
    300) and n = 20 (t_c 400, 1000, 2000) with budget 1000: medians 200 and 1000, slope
    log(5)/log(2) by hand. Kills ``_decode`` counting t_c = budget as censored (the median of
    the second cell became undefined: NaN)."""
    c = plugin["claims"]
    a = np.array([100.0, 200.0, 300.0])
    b = np.array([400.0, 1000.0, 2000.0])  # 2000 = 2 * budget: a censored seed, coded
    s = c.slope_of_medians([10, 20], [a, c._finite_code(c._decode(b, 1000.0), 1000.0)], 1000.0)
    assert s == pytest.approx(math.log(5) / math.log(2))


def test_a_plateau_that_dips_early_is_not_a_plateau(plugin, tiny_records) -> None:  # noqa: F811
    """fig1.plateau_drop needs err >= 0.45 at *every* probe time up to t_c/2: 20 seeds with a
    sharp drop at t_c but an early dip to 0.1 (the second probe time, far below t_c/2) have no
    plateau, so 0 of 20 qualify and the claim fails. (The mutant ``.any()`` for ``.all()``
    survives this and is equivalent for finite errors: a dip below 0.45 before t_c/2 is also
    the first crossing t_0.45, so t_c - t_0.45 >= 0.5 t_c > 0.3 t_c disqualifies the seed.)"""
    from test_barak2022 import _curve

    c = plugin["claims"]
    sharp = _curve(tiny_records["solved"], 0.1)
    big = _edit(sharp, **{k: np.concatenate([v] * 5) for k, v in sharp.arrays.items()})
    big.config = dict(sharp.config, seeds=20)
    assert c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": big}})).verdict == "holds"
    err = big["barak_parity/val_error"].copy()
    assert big.times[1] <= 0.5 * big["static/t_c"][0]
    err[:, 1] = 0.1
    out = c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": _edit(big, **{
        "barak_parity/val_error": err})}}))
    assert out.verdict == "fails" and out.measured == 0.0, out.detail


def test_a_drop_over_half_of_t_c_is_not_sudden(plugin, tiny_records) -> None:  # noqa: F811
    """The drop must take at most 0.3 t_c: error 0.5 until 0.55 t_c, then 0.2, then 0 at t_c
    (the first probe at or below 0.45 comes 0.41 t_c before t_c here), in all 20 seeds: 0 of
    20 qualify and the claim fails. Kills the drop bound loosened to 0.6 t_c (held)."""
    from test_barak2022 import _curve

    c = plugin["claims"]
    slow = _curve(tiny_records["solved"], 0.45)
    big = _edit(slow, **{k: np.concatenate([v] * 5) for k, v in slow.arrays.items()})
    big.config = dict(slow.config, seeds=20)
    err, T, tc = big["barak_parity/val_error"][0], big.times, big["static/t_c"][0]
    t45 = T[np.flatnonzero(err <= 0.45)[0]]
    assert 0.3 * tc < tc - t45 <= 0.6 * tc and (err[T <= tc / 2] >= 0.45).all()
    out = c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": big}}))
    assert out.verdict == "fails" and out.measured == 0.0, out.detail


def test_hidden_progress_is_read_at_half_t_c(plugin, tiny_records) -> None:  # noqa: F811
    """relevant_first compares the movement ratios at t_c/2: true-label runs whose ratio is half
    the control's up to t_c/2 and three times it after (per-seed spread 1%) fail it, although at
    t_c itself they lead. Kills the ratio read at t_c (held)."""
    c = plugin["claims"]
    true, ctrl = tiny_records["solved"], tiny_records["control"]
    T = true.times
    tc = int(T[len(T) // 2])
    spread = 1 + 0.01 * np.arange(true.seeds)[:, None]
    ratio = np.where(T <= tc / 2, 0.5, 3.0)[None, :] * spread
    flat = np.ones((ctrl.seeds, len(ctrl.times))) * (1 + 0.03 * np.arange(ctrl.seeds)[:, None])
    runs = FakeRuns({"barak2022.hidden": {
        "true": _edit(true, **{"barak_parity/move_ratio": ratio,
                               "static/t_c": np.full(true.seeds, tc)}),
        "control": _edit(ctrl, **{"barak_parity/move_ratio": flat})}})
    assert c.relevant_first(runs).verdict == "fails"


def test_a_lost_error_keeps_the_staying_fraction_undecided(plugin, tiny_records) -> None:  # noqa: F811
    """25 seeds of k = 3 without bias, 24 staying above 0.4 and one whose error is lost (NaN):
    the lost seed may be one that dipped, so the staying fraction is undecided and the claim
    inconclusive. Counting it as "does not stay", 24/25 against 0.8 has exact one-sided
    p = 0.027 (scipy), the largest of the three Holm p-values, below 0.05: it held. Kills the
    NaN guard removed."""
    from scipy import stats as st
    from test_barak2022 import _bias_runs

    assert st.binomtest(24, 25, 0.8, alternative="greater").pvalue < 0.05
    c = plugin["claims"]
    low = 0.45 + 0.002 * np.arange(25)
    low[0] = np.nan
    out = c.bias_odd_k(_bias_runs(tiny_records["solved"], low))
    assert out.verdict == "inconclusive" and "lost (NaN)" in out.detail, out.detail


def test_label_noise_needs_sixty_percent_of_the_seeds(plugin, tiny_records) -> None:  # noqa: F811
    """550 of 1000 seeds reach error < 0.1: the exact 95% interval (scipy) lies below the
    [PROPOSAL] 0.6 and above 0.5, so c6.label_noise fails. Kills the bound lowered to 0.5
    (held)."""
    from scipy import stats as st

    ci = st.binomtest(550, 1000).proportion_ci(0.95, method="exact")
    assert 0.5 < ci.low and ci.high < 0.6
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 1000)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:550, -1] = 0.0
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "fails" and out.ci == pytest.approx((ci.low, ci.high))


def test_an_error_of_0_15_is_not_accuracy_above_0_9(plugin, tiny_records) -> None:  # noqa: F811
    """Every one of 12 seeds bottoms out at error 0.15 (accuracy 0.85, below the claim's 0.9):
    0 of 12 qualify and c6.label_noise fails. Kills the error threshold raised to 0.2
    (12 of 12 qualified: held)."""
    c = plugin["claims"]
    rec = _tiled(tiny_records["solved"], 12)
    err = np.full_like(rec["barak_parity/val_error"], 0.4)
    err[:, -1] = 0.15
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(rec, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == "fails" and out.measured == 0.0


def test_the_c_ratio_is_read_at_initialisation(plugin, tiny_records) -> None:  # noqa: F811
    """c1.gap_positive_and_grows: the C-ratio must exceed 1 *at t = 0*. A record whose ratio is
    0.5 at t = 0 and 2 afterwards (gamma_max growing) fails. Kills the ratio read at the last
    probe time (held)."""
    from test_barak2022 import gap_records

    c = plugin["claims"]
    good, _, _ = gap_records(tiny_records["solved"])
    ratio = good["barak_gap/c_ratio"].copy()
    ratio[:, 0] = 0.25 * ratio[:, 0]
    out = c.gap_grows(FakeRuns({"barak2022.gap": _edit(good, **{"barak_gap/c_ratio": ratio})}))
    assert out.verdict == "fails", out.detail


def test_noisy_labels_are_not_the_papers_setting(plugin, tiny_records) -> None:  # noqa: F811
    """The paper's grid is on clean labels: a grid in the paper's setting item by item except
    one cell trained on labels flipped at rate 0.1 is outside, that item named. Kills the labels
    item compared as always matching."""
    from test_barak2022 import _paper_like

    c = plugin["claims"]
    grid = {f"n={n},k={k}": _paper_like(tiny_records["solved"], n, k)
            for n in (10, 20, 30) for k in (2, 3, 4)}
    assert c.ef1_solves(FakeRuns({"barak2022.grid": grid})).in_regime is True
    grid["n=20,k=3"].config["data"]["noise"] = 0.1
    out = c.ef1_solves(FakeRuns({"barak2022.grid": grid}))
    assert out.in_regime is False and "1 of 15 items differ" in out.regime
    assert "labels noisy in some record vs the paper's clean labels" in \
        out.regime.split("; match:")[0]
