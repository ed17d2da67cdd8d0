"""barak2022 under the rare-failing-seed limit (docs/verdict_audit.md sections 16-17): each of
the three claims that were judged by a test of a mean over seeds, on doctored per-seed values
where the mean and the statement part ways, with oracles computed here by scipy.

- ``thm4.one_step`` is a statement about every neuron of every run (Theorem 4: "for every S"):
  one run below its bound fails it, whatever the mean of the others.
- ``c1.gap_positive_and_grows`` and ``hp.relevant_first`` are statements about the typical run
  (a figure of one run; the card's own test for the latter is a rank test): judged by exact
  sign tests of the median seed, so a minority of runs far on the claimed side no longer makes
  them hold when most runs are on the other.
"""

from __future__ import annotations

import numpy as np
import pytest
from barak_helpers import FakeRuns
from scipy import stats as st
from test_barak2022 import _edit, gap_records, plugin, tiny_records, widen  # noqa: F401

from twolayer.api import Runtime


# -- thm4.one_step: every run -----------------------------------------------------------------
@pytest.fixture(scope="module")
def thm4_8(plugin):  # noqa: F811
    return plugin["experiments"].thm4(True, 8, Runtime(device="cpu"))


def test_thm4_one_inside_run_below_the_bound_fails_the_claim(plugin, thm4_8) -> None:  # noqa: F811
    """Seven runs in which every neuron singles out S and one (run 0) in which 10% of the
    neurons do not: the one-sided t-test of mean >= 0.95 holds (scipy: p < 0.05/3, so the old
    Holm t-tests held the claim), but the statement is about every neuron of every run: the
    claim fails and names the run."""
    c = plugin["claims"]
    vals = np.array([0.9, 1, 1, 1, 1, 1, 1, 1.0])
    assert st.ttest_1samp(vals, 0.95, alternative="greater").pvalue < 0.05 / 3
    res = dict(thm4_8)
    assert c.thm4_one_step(FakeRuns({"barak2022.thm4": res})).verdict == "holds"  # intact
    res["n=13,k=4"] = _edit(res["n=13,k=4"], recovered=vals[:, None])
    out = c.thm4_one_step(FakeRuns({"barak2022.thm4": res}))
    assert out.verdict == "fails", out.detail
    assert "n=13,k=4 run 0" in out.detail


def test_thm4_one_odd_k_run_above_its_bound_fails_the_claim(plugin, thm4_8) -> None:  # noqa: F811
    """The odd-k control: seven runs at 0 and one at 0.75 (above its bound 0.5): the t-test of
    mean <= 0.5 holds (scipy), the claim about every run fails."""
    c = plugin["claims"]
    vals = np.array([0, 0, 0, 0.75, 0, 0, 0, 0.0])
    assert st.ttest_1samp(vals, 0.5, alternative="less").pvalue < 0.05 / 3
    res = dict(thm4_8)
    res["n=13,k=3 (odd k)"] = _edit(res["n=13,k=3 (odd k)"], recovered=vals[:, None])
    out = c.thm4_one_step(FakeRuns({"barak2022.thm4": res}))
    assert out.verdict == "fails" and "n=13,k=3 (odd k) run 3" in out.detail, out.detail


# -- c1.gap_positive_and_grows: the typical run -----------------------------------------------
def _gap_with_shrinking_runs(rec, shrinking: list[int], gain: float):
    """The gap record of ``gap_records`` at 8 runs whose gamma_max grows by ``gain`` times its
    t = 0 value in every run but ``shrinking``, where it ends 5% below its t = 0 value."""
    good, _, _ = gap_records(widen(rec, 2))
    g = good["barak_gap/gamma_max"].copy()
    T = good.times
    at = max(i for i, t in enumerate(T) if t <= 0.9 * T[-1])
    for r in range(g.shape[0]):
        g[r, 1:] = g[r, 0] * (0.95 if r in shrinking else gain * (1 + 0.3 * r))
    growth = g[:, at] - g[:, 0]
    return _edit(good, **{"barak_gap/gamma_max": g}), growth


def test_gap_growth_is_judged_at_the_median_run(plugin, tiny_records) -> None:  # noqa: F811
    """Eight runs: in five gamma_max grows 30x and more, in three it ends just below its t = 0
    value (the quick plan's own pattern: 3 of 8 seeds, 12 of 48 at 48 seeds). The t-test of the
    mean growth holds (scipy, p < 0.025: the old claim held); the median run's growth is
    positive, but 5 of 8 is no evidence about it (sign test p = 0.36): not *holds*. Intact (8 of
    8 grow) it holds."""
    c = plugin["claims"]
    rec = tiny_records["solved"]
    intact, growth = _gap_with_shrinking_runs(rec, [], 30.0)
    assert (growth > 0).all()
    assert c.gap_grows(FakeRuns({"barak2022.gap": intact})).verdict == "holds"
    doctored, growth = _gap_with_shrinking_runs(rec, [1, 4, 6], 30.0)
    assert int((growth > 0).sum()) == 5
    assert st.ttest_1samp(growth, 0.0, alternative="greater").pvalue < 0.025
    assert st.binomtest(5, 8, 0.5, alternative="greater").pvalue > 0.3
    out = c.gap_grows(FakeRuns({"barak2022.gap": doctored}))
    assert out.verdict == "inconclusive", out.detail
    assert "sign test" in out.bound


# -- hp.relevant_first: the typical run -------------------------------------------------------
def _hidden(true, ctrl, diffs: np.ndarray):
    """Hidden-progress records whose per-seed log ratio true/control at t_c/2 is ``diffs``."""
    R = diffs.size
    T = true.times
    tc = int(T[len(T) // 2])
    t = _edit(true, **{"barak_parity/move_ratio": np.tile(np.exp(diffs)[:, None], (1, len(T))),
                       "static/t_c": np.full(R, tc)})
    t.config = dict(true.config, seeds=R)
    k = _edit(ctrl, **{"barak_parity/move_ratio": np.ones((R, len(ctrl.times)))})
    k.config = dict(ctrl.config, seeds=R)
    return FakeRuns({"barak2022.hidden": {"true": t, "control": k}})


def test_hidden_progress_is_judged_at_the_median_run(plugin, tiny_records) -> None:  # noqa: F811
    """16 runs: in ten the relevant weights moved slightly *less* than under random labels (log
    ratio -0.05 and below), in six far more (+3): the two-sided 95% t-interval of the mean lies
    above 0 (scipy: the old claim held), though the median run shows no hidden progress. The
    sign test (6 of 16 above 0) gives no *holds*. Intact (16 of 16 above) it holds."""
    c = plugin["claims"]
    true, ctrl = tiny_records["solved"], tiny_records["control"]
    jitter = 0.001 * np.arange(16)
    intact = np.full(16, 0.5) + jitter
    assert c.relevant_first(_hidden(true, ctrl, intact)).verdict == "holds"
    diffs = np.where(np.arange(16) < 10, -0.05, 3.0) + jitter
    lo = st.ttest_1samp(diffs, 0.0).confidence_interval(0.95).low
    assert lo > 0
    out = c.relevant_first(_hidden(true, ctrl, diffs))
    assert out.verdict != "holds", out.detail
    assert "sign test" in out.bound
