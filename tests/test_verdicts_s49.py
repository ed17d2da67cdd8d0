"""Session 49's verdict audit (a helper recomputed every quick-plan verdict with scipy):

- a *fails* handed over with its comparisons was taken at its word (only a *holds* was
  re-judged): a fails from the point estimate stood, and so did one its own comparison gives
  as *holds* at p = 1.5e-4;
- the fixed-seed ``seeds_needed`` of a claim of one t comparison came from its per-seed values'
  two-sided 95% interval, not from the one-sided test at 0.05 the claim is re-judged by
  (liu2023's one-test claims: 36 seeds in docs/claims.md where 26 decide);
- an inconclusive claim whose values already decide (held back by a premise) was told that
  "about 4 seeds" (the seeds it has) would decide it.

Oracles: scipy's one-sample t-test (never twolayer.stats), walked seed count by seed count on
samples that carry the measured mean and standard deviation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from stats_helpers import first_n_one_sided

from twolayer.claims.base import ERROR, FAILS, HOLDS, INCONCLUSIVE, Claim, outcome

# the helper's values: mean 0.184, 95% t-interval [0.071, 0.298]
V = np.array([0.05, 0.35, 0.025, 0.025, 0.325, 0.275, 0.175, 0.25])


def verdict_of(o):
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def with_comparison(said: str, values: np.ndarray, bound: float, direction: str = "<=",
                    per_seed: bool = False):
    m = float(values.mean())
    half = sps.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    extra = {"per_seed": values, "threshold": bound, "direction": direction} if per_seed else {}
    return outcome(said, m, f"mean {direction} {bound}", (m - half, m + half), values.size,
                   "fake", "", comparisons=[(values, bound, direction)], **extra)


def scipy_p(values: np.ndarray, bound: float, alternative: str) -> float:
    return float(sps.ttest_1samp(values, bound, alternative=alternative).pvalue)


def test_a_fails_from_the_point_estimate_with_its_comparison_is_inconclusive():
    p_fails = scipy_p(V, 0.17, "greater")  # "mean <= 0.17" fails: the mean is above it
    p_holds = scipy_p(V, 0.17, "less")
    assert p_fails > 0.05 and p_holds > 0.05  # neither side supported
    v = verdict_of(with_comparison(FAILS, V, 0.17))
    assert v.verdict == INCONCLUSIVE, v.detail
    assert "the check said fails, but the 1 comparison(s)" in v.detail
    assert "give inconclusive" in v.detail and "its fails is not supported" in v.detail


def test_a_fails_its_own_comparison_gives_as_holds_is_an_error():
    assert scipy_p(V, 0.5, "less") < 1e-3  # "mean <= 0.5" holds, p = 1.5e-4
    v = verdict_of(with_comparison(FAILS, V, 0.5))
    assert v.verdict == ERROR
    assert "give holds: the check contradicts its own evidence" in v.detail


def test_a_fails_its_comparison_gives_stands_and_so_does_a_holds():
    assert scipy_p(V, 0.01, "greater") < 0.05
    assert verdict_of(with_comparison(FAILS, V, 0.01)).verdict == FAILS
    assert scipy_p(V, 0.5, "less") < 0.05
    assert verdict_of(with_comparison(HOLDS, V, 0.5)).verdict == HOLDS


def test_a_fails_its_rule_gives_from_one_counterexample_stands():
    """liu2023's every-run rule: fails on one comparison failing, whatever the others say; the
    re-judge goes through the same rule, so such a fails stands (and one the rule does not give
    does not)."""
    def every_run(outs):
        return FAILS if FAILS in outs else (HOLDS if all(x == HOLDS for x in outs)
                                           else INCONCLUSIVE)

    good = V - 1.0  # mean <= 0 holds
    m = float(V.mean())
    o = outcome(FAILS, m, "each run", (m - 0.1, m + 0.1), V.size, "fake", "",
                comparisons=[(good, 0.0, "<="), (V, 0.01, "<=")], rule=every_run)
    assert verdict_of(o).verdict == FAILS
    o = outcome(FAILS, m, "each run", (m - 0.1, m + 0.1), V.size, "fake", "",
                comparisons=[(good, 0.0, "<="), (V, 0.2, "<=")], rule=every_run)
    assert verdict_of(o).verdict == INCONCLUSIVE


@pytest.mark.parametrize("values,bound,direction", [
    (np.array([0.11878, 0.06052, 0.11922, 0.07681]), 0.1, "<="),  # the helper's: 66, not 93
    (np.array([0.3, 0.9, 0.1, 0.7, 0.2, 0.6]), 0.3, ">="),
    (np.array([1.2, 0.4, 0.9, 1.5, 0.2]), 1.2, "<="),
])
@pytest.mark.parametrize("per_seed", (True, False))
def test_one_t_comparison_asks_the_seeds_its_one_sided_test_needs(values, bound, direction,
                                                                    per_seed):
    o = with_comparison(INCONCLUSIVE, values, bound, direction, per_seed=per_seed)
    v = verdict_of(o)
    assert v.verdict == INCONCLUSIVE
    want = first_n_one_sided(float(values.mean()), float(values.std(ddof=1)), bound, direction)
    assert want > values.size
    assert v.seeds_needed == want  # the same whether per_seed is handed over or not


def test_no_estimate_where_the_seeds_there_already_decide():
    """frei2023.fig2.low_d_decline (quick plan): inconclusive by a premise at 4 seeds whose
    drops [0.041, 0.054, 0.033, 0.037] clear 0.02 (one-sided p = 0.009), and it said "about 4
    seeds would decide it"."""
    drops = np.array([0.041, 0.054, 0.033, 0.037])
    assert scipy_p(drops, 0.02, "greater") < 0.05
    m = float(drops.mean())
    half = sps.t.ppf(0.975, 3) * drops.std(ddof=1) / 2
    o = outcome(INCONCLUSIVE, m, ">= 0.02", (m - half, m + half), 4, "fake",
                "premise not reached", per_seed=drops, threshold=0.02, direction=">=")
    assert verdict_of(o).seeds_needed is None
    o = with_comparison(INCONCLUSIVE, drops, 0.02, ">=")
    assert verdict_of(o).seeds_needed is None


def test_a_fails_that_names_its_other_evidence_stands_and_says_so():
    """frei2023's Proposition 2: its run event fails the claim while its slope comparisons
    hold. A rule joining the event made --seeds auto decide on the event's fixed-sample
    interval at every look (13% wrong decisions at the bound, a sequential audit of session
    49); the fails names the event instead (fails_from), and --seeds auto judges the
    comparisons alone."""
    o = with_comparison(FAILS, V, 0.5)  # the comparison gives holds (p = 1.5e-4)
    assert verdict_of(o).verdict == ERROR
    import dataclasses

    named = verdict_of(dataclasses.replace(o, fails_from="a run event (fails)"))
    assert named.verdict == FAILS
    assert "its fails rests on a run event (fails)" in named.detail
    assert "give holds" in named.detail
    # a holds is never carried by it
    held = verdict_of(dataclasses.replace(with_comparison(HOLDS, V, 0.17),
                                          fails_from="a run event"))
    assert held.verdict == INCONCLUSIVE


LATER_FAILS = '''
import zlib

import numpy as np

from twolayer.api import FAILS, INCONCLUSIVE, claim, outcome, stats


def draw(n):
    t = zlib.crc32(b"fl")
    return np.array([np.random.default_rng([1, t, i]).normal(3.0, 1.0) for i in range(n)])


@claim("{paper}.c.fails_later", "mean >= 0 and no counterexample run", "synthetic", "[INFERRED]")
def fails_later(runs):
    n = runs.seeds or 4
    x = draw(n)
    m, ci = stats.mean_ci(x)
    if n > 4:  # runs 5.. violate the statement: a run event decides, without comparisons
        k = n - 4
        lo, hi = stats.clopper_pearson(k, n, 0.95)
        return outcome(FAILS if lo > 0.05 else INCONCLUSIVE, k / n, "share <= 0.05", (lo, hi),
                       n, "synthetic", detail=f"{{k}} of {{n}} runs violate")
    return outcome(stats.compare(ci, 0.0, ">="), m, "mean >= 0", ci, stats.used(x),
                   "synthetic", per_seed=x, threshold=0.0, direction=">=")
'''


def test_seeds_auto_does_not_report_look_1_against_its_checks_later_verdict(tmp_path, capsys):
    """A sequential audit (session 49): holds at 4 seeds (a t-interval), then at 8 seeds the
    check's own run event says fails and hands over no comparisons: --seeds auto reported look
    1's holds, exit 0, where --seeds 8 reports fails. Now inconclusive, saying why."""
    import json
    import uuid

    from twolayer.cli import main

    paper = f"fl{uuid.uuid4().hex[:6]}"
    plugin = tmp_path / "fl.py"
    plugin.write_text(LATER_FAILS.format(paper=paper))
    code = main(["check", str(plugin), "--seeds", "auto", "--time-budget", "1", "--no-store",
                 "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == INCONCLUSIVE and code == 1, row
    assert "its own check said fails there, on more seeds than look 1's holds" in row["detail"]
    assert main(["check", str(plugin), "--seeds", "8", "--no-store", "--json"]) == 1
    (row8,) = json.loads(capsys.readouterr().out)
    assert row8["verdict"] == FAILS


THREE = '''
import numpy as np

from twolayer.api import claim, outcome, stats


@claim("{paper}.c.three", "three means above 0", "synthetic", "[INFERRED]")
def three(runs):
    n = runs.seeds or 4
    x = np.array([np.random.default_rng([7, i]).normal(0.05, 1.0) for i in range(n)])
    m, ci = stats.mean_ci(x)
    return outcome("inconclusive", m, "3 means >= 0", ci, stats.used(x), "synthetic",
                   comparisons=[(x, 0.0, ">="), (x + 0.01, 0.0, ">="), (x + 0.02, 0.0, ">=")])
'''


def test_the_reported_mixture_precision_is_the_one_the_sequences_used(tmp_path, capsys):
    """Three comparisons run at α/3 each, with c tuned for that level: 0.313 (a sequential
    audit's own tuning of the Lai t-mixture at 8 seeds, α = 0.05/3), where 0.496 (α's) was
    reported, so the printed interval could not be recomputed from the printed c."""
    import json
    import uuid

    from twolayer.cli import main

    plugin = tmp_path / "three.py"
    plugin.write_text(THREE.format(paper=f"th{uuid.uuid4().hex[:6]}"))
    main(["check", str(plugin), "--seeds", "auto", "--time-budget", "0.2", "--no-store",
          "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["sequential"]["c"] == pytest.approx(0.313, abs=5e-4), row["sequential"]
    assert "c = 0.313 tuned" in row["detail"], row["detail"]


EQUAL = '''
import numpy as np

from twolayer.api import claim, outcome, stats


@claim("{paper}.c.equal", "mean error <= 0.05", "synthetic", "[INFERRED]")
def equal(runs):
    x = np.zeros(runs.seeds or 4)  # every seed 0: the sign sequence decides, the t-interval
    m, ci = stats.mean_ci(x)        # has zero width
    return outcome(stats.compare(ci, 0.05, "<="), m, "mean <= 0.05", ci, stats.used(x),
                   "synthetic", per_seed=x, threshold=0.05, direction="<=")
'''


def test_a_stall_over_equal_seeds_is_not_blamed_on_premises(tmp_path, capsys):
    """A sequential audit (session 49): a claim of equal seeds whose check's own zero-width
    interval says inconclusive while the sign sequence decides was said to be held back by "its
    premises or other conditions"; it has none."""
    import json
    import uuid

    from twolayer.cli import main

    plugin = tmp_path / "eq.py"
    plugin.write_text(EQUAL.format(paper=f"eq{uuid.uuid4().hex[:6]}"))
    main(["check", str(plugin), "--seeds", "auto", "--time-budget", "0.3", "--no-store",
          "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == INCONCLUSIVE, row
    assert "its own fixed-seed interval, e.g. one of zero width over equal seeds" in row[
        "detail"], row["detail"]
