"""The verdict statistics at their edges, against independent oracles (scipy's exact binomial
test, Monte Carlo with fixed seeds and a known truth; tolerances 3 Monte Carlo standard
errors), and the summary of ``twolayer check`` against what a plugin's claims returned."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as ss

from twolayer import sequential, stats


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


# ------------------------------------------------------------ sign tests: ties with the bound


def test_a_median_on_the_bound_never_fails_the_non_strict_claim() -> None:
    """14 seeds exactly at 0 and 6 below: the sample median is 0, so "median >= 0" is not
    refuted. The exact test of its negation, P(X < 0) > 1/2, over all 20 values has
    p = P(Bin(20, 1/2) >= 6) = 0.98 (scipy); leaving out the 14 ties gave 6 of 6 below,
    p = 2^-6, and a *fails*."""
    v = [0.0] * 14 + [-1.0] * 6
    p_other = ss.binomtest(6, 20, 0.5, alternative="greater").pvalue
    assert stats.one_sided_p(v, 0.0, ">=", "sign")[1] == pytest.approx(p_other)
    assert stats.holm_outcomes([(v, 0.0, ">=")], method="sign") == [stats.INCONCLUSIVE]
    assert stats.holm_outcomes([([-x for x in v], 0.0, "<=")], method="sign") == [
        stats.INCONCLUSIVE]
    assert sequential.sign_decide(v, 0.0, ">=") == stats.INCONCLUSIVE
    assert sequential.sign_decide([-x for x in v], 0.0, "<=") == stats.INCONCLUSIVE
    # without ties a fails stands: 20 of 20 below (p = 2^-20)
    assert stats.holm_outcomes([([-1.0] * 20, 0.0, ">=")], method="sign") == [stats.FAILS]
    assert sequential.sign_decide([-1.0] * 20, 0.0, ">=") == stats.FAILS


def _tied_null(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Discrete per-seed values whose median is exactly the bound 0: P(0) = 0.6, P(-1) = 0.3,
    P(+1) = 0.1 (e.g. a change of accuracy on a finite test set, mostly unchanged)."""
    return rng.choice([0.0, -1.0, 1.0], p=[0.6, 0.3, 0.1], size=shape)


def test_the_sign_test_does_not_fail_a_true_median_claim_with_ties() -> None:
    """Wrong *fails* of "median >= 0" when the median is 0, over 2000 samples of 20 seeds:
    at most 0.05 + 3 s.e. (leaving the ties out gave 0.26)."""
    x = _tied_null(np.random.default_rng(11), (2000, 20))
    wrong = np.mean([stats.holm_outcomes([(r, 0.0, ">=")], method="sign")[0] == stats.FAILS
                     for r in x])
    assert wrong <= 0.05 + 3 * _se(0.05, x.shape[0])


def test_the_sign_sequence_does_not_fail_a_true_median_claim_with_ties() -> None:
    """The sign sequence at looks 8, 16, 32, 64 on the same law: a wrong *fails* at some look
    in at most α + 3 s.e. of 1000 sequences (leaving the ties out gave 0.35)."""
    x = _tied_null(np.random.default_rng(12), (1000, 64))
    wrong = 0
    for r in x:
        for n in (8, 16, 32, 64):
            v = sequential.sign_decide(r[:n], 0.0, ">=")
            if v != stats.INCONCLUSIVE:
                wrong += v == stats.FAILS
                break
    assert wrong / x.shape[0] <= sequential.ALPHA + 3 * _se(sequential.ALPHA, x.shape[0])


# ------------------------------------------------ the summary of `twolayer check` with a plugin

SUMMARY_PLUGIN = '''
from twolayer.api import claim, outcome, stats

H = [1.0, 1.2, 0.9, 1.1, 1.05]


def _o(verdict, vals, inside=True):
    m, ci = stats.mean_ci(vals)
    return outcome(verdict, m, "mean >= 0", ci, stats.used(vals), "toy", per_seed=vals,
                   threshold=0.0, direction=">=", in_regime=inside, regime="toy premise")


@claim("ufsum.a_holds", "a", "toy")
def a(runs):
    return _o(stats.compare(stats.mean_ci(H)[1], 0.0, ">="), H)


@claim("ufsum.b_fails", "b", "toy")
def b(runs):
    return _o(stats.compare(stats.mean_ci([-x for x in H])[1], 0.0, ">="), [-x for x in H])


@claim("ufsum.c_inconclusive", "c", "toy")
def c(runs):
    v = [-1.0, 1.2, -0.9, 1.1, 0.05]
    return _o(stats.compare(stats.mean_ci(v)[1], 0.0, ">="), v)


@claim("ufsum.d_outside", "d", "toy", in_regime=False)
def d(runs):
    return _o("holds", H, inside=False)


@claim("ufsum.e_outside_raises", "e", "toy", in_regime=False)
def e(runs):
    raise RuntimeError("boom")
'''


@pytest.mark.parametrize("select, counts, inside, status", [
    ((), "2 of 5 claims hold (1 fail, 1 inconclusive, 1 error)",
     "in-regime claims (3) do NOT all hold", 1),
    (("ufsum.a_holds", "ufsum.d_outside"), "2 of 2 claims hold",
     "in-regime claims (1) all hold", 0),
    (("ufsum.a_holds", "ufsum.e_outside_raises"), "1 of 2 claims hold (1 error)",
     "in-regime claims (1) all hold", 1),
    (("ufsum.e_outside_raises",), "0 of 1 claims hold (1 error)", "so none decides", 1),
])
def test_the_summary_counts_what_the_plugin_claims_returned(tmp_path, capsys, select, counts,
                                                            inside, status):
    """Every count of the summary line against the verdicts the plugin's checks return by
    construction, and the exit status: a check outside the regime that raised sets it to 1 (as
    docs/extending.md says), but the in-regime claims that all hold are not reported as "do NOT
    all hold" (they were), and the line says what set the status."""
    from twolayer.claims import CLAIMS
    from twolayer.cli import main

    f = tmp_path / "ufsum.py"
    f.write_text(SUMMARY_PLUGIN)
    report = tmp_path / "r.md"
    try:
        rc = main(["check", str(f), *select, "--quick", "--records", str(tmp_path / "s"),
                   "--report", str(report)])
        out = capsys.readouterr().out
        line = next(x for x in out.splitlines() if "claims hold" in x)
        assert rc == status
        assert line.startswith(counts + ";") and inside in line
        assert f"(exit status {status})" in line
        raised = "ufsum.e_outside_raises" in select or not select
        assert ("check(s) outside the regime or proposals raised an error" in line) == raised
        md = report.read_text()
        assert ("so the exit status is 1" in md) == raised
        if "all hold" in inside and "NOT" not in inside:
            assert "Every claim checked inside its theorem's regime holds." in md
    finally:
        for k in [k for k in CLAIMS if k.startswith("ufsum.")]:
            CLAIMS.pop(k)


def test_under_seeds_auto_an_error_line_says_why_first(tmp_path, capsys):
    """Under --seeds auto the table's error line for a check that raised began with "not
    sequentially controlled: its check reports no comparison ..." and was cut before the
    reason; it now starts with the reason."""
    from twolayer.claims import CLAIMS
    from twolayer.cli import main

    f = tmp_path / "ufsum.py"
    f.write_text(SUMMARY_PLUGIN)
    try:
        rc = main(["check", str(f), "ufsum.a_holds", "ufsum.e_outside_raises", "--quick",
                   "--seeds", "auto", "--records", str(tmp_path / "s")])
        out = capsys.readouterr().out
        assert rc == 1
        line = next(x for x in out.splitlines() if x.startswith("error in ufsum.e_outside"))
        assert line.startswith("error in ufsum.e_outside_raises: the check raised RuntimeError: "
                               "boom")
    finally:
        for k in [k for k in CLAIMS if k.startswith("ufsum.")]:
            CLAIMS.pop(k)


# ----------------------------------------- equal seeds: a test of the median, not of the mean


def test_equal_seeds_decide_the_median_and_the_verdict_says_so() -> None:
    """A mean comparison whose seeds are all equal is judged by the exact sign test (p = 2^-8
    for 8 equal seeds, scipy); the verdict's detail says that this is a test of the median. A
    comparison with spread gets no such note."""
    from twolayer.claims.base import Claim, outcome

    c = Claim("ufnote.c", "ufnote", "s", "src", lambda runs: None)
    flat = [([1.0] * 8, 0.5, ">=")]
    assert stats.one_sided_p(flat[0][0], 0.5, ">=")[0] == pytest.approx(
        ss.binomtest(8, 8, 0.5, alternative="greater").pvalue)
    v = c.verdict(outcome(stats.HOLDS, 1.0, "b", None, 8, "d", comparisons=flat))
    assert v.verdict == stats.HOLDS and "a test of the median, not of the mean" in v.detail
    v = c.verdict(outcome(stats.HOLDS, 1.0, "b", (1.0, 1.0), 8, "d", per_seed=[1.0] * 8,
                          threshold=0.5, direction=">="))
    assert v.verdict == stats.HOLDS and "not of the mean" in v.detail
    spread = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 1.02]
    v = c.verdict(outcome(stats.HOLDS, 1.0, "b", None, 8, "d", comparisons=[(spread, 0.5, ">=")]))
    assert v.verdict == stats.HOLDS and "not of the mean" not in v.detail


def test_equal_seeds_can_wrongly_hold_a_mean_claim_as_documented() -> None:
    """docs/claims_method.md: per-seed values 0 with probability 0.9 and 1 with 0.1 (mean 0.1):
    "mean <= 0.05" is false, yet holds whenever all seeds drew 0, 0.9^5 = 0.59 of 5-seed
    samples (measured 0.60). Pinned from the binomial oracle, 3 s.e.: if the fallback ever
    stops deciding equal seeds, the doc's numbers must change."""
    x = (np.random.default_rng(13).random((2000, 5)) < 0.1).astype(float)
    wrong = np.mean([stats.holm_outcomes([(r, 0.05, "<=")])[0] == stats.HOLDS for r in x])
    assert wrong == pytest.approx(0.9**5, abs=3 * _se(0.9**5, x.shape[0]))


NAN_PLUGIN = '''
import numpy as np
from twolayer.api import Record, claim, experiment, outcome, stats


@experiment("ufnan.values")
def values(quick, seeds, runtime):
    R = seeds or 4
    x = np.array([np.random.default_rng(r).normal(0.3, 1.0) for r in range(R)])
    x[1] = np.nan  # seed 1 is lost, at every seed count
    return Record(config={"R": R}, run_id="values", times=np.zeros(1, dtype=np.int64),
                  arrays={"x": x[:, None]})


@claim("ufnan.mean.positive", "x is positive on average", "Lemma 0", "[PAPER]")
def positive(runs):
    x = runs.get("ufnan.values").arrays["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, stats.used(x), "toy",
                   per_seed=x, threshold=0.0, direction=">=", in_regime=True, regime="toy")
'''


def test_seeds_auto_does_not_extend_a_claim_that_a_lost_seed_keeps_undecided(tmp_path, capsys):
    """A NaN seed is in every later look (the runs are nested), so the sequence can never
    decide: the driver retrained the claim's experiment at 8, 16, ..., 512 seeds and reported
    seeds_needed 511. It now stops after look 1, says why, and reports no seeds_needed."""
    import json

    from twolayer.claims import CLAIMS
    from twolayer.cli import main
    from twolayer.experiments import EXPERIMENTS

    f = tmp_path / "ufnan.py"
    f.write_text(NAN_PLUGIN)
    try:
        rc = main(["check", str(f), "--quick", "--seeds", "auto", "--json", "--records",
                   str(tmp_path / "s")])
        (v,) = json.loads(capsys.readouterr().out)
        assert rc == 1 and v["verdict"] == stats.INCONCLUSIVE
        assert v["sequential"]["looks"] == [4] and v["sequential"]["seeds"] == [4]
        assert "NaN" in v["detail"] and "not extended further" in v["detail"]
        assert v["seeds_needed"] is None
    finally:
        for reg in (CLAIMS, EXPERIMENTS):
            for k in [k for k in reg if k.startswith("ufnan.")]:
                reg.pop(k)


def test_seeds_auto_reports_the_seeds_of_its_only_look(tmp_path, capsys):
    """Every claim decided at look 1 (5 seeds): the JSON's ``looks`` (the seed counts of the
    looks made) said [1]; it is [5], the seeds the claims were judged at."""
    import json

    from twolayer.claims import CLAIMS
    from twolayer.cli import main

    f = tmp_path / "ufsum.py"
    f.write_text(SUMMARY_PLUGIN)
    try:
        rc = main(["check", str(f), "ufsum.a_holds", "--quick", "--seeds", "auto", "--json",
                   "--records", str(tmp_path / "s")])
        (v,) = json.loads(capsys.readouterr().out)
        assert rc == 0 and v["verdict"] == stats.HOLDS and v["seeds"] == 5
        assert v["sequential"]["looks"] == [5] and v["sequential"]["seeds"] == [5]
    finally:
        for k in [k for k in CLAIMS if k.startswith("ufsum.")]:
            CLAIMS.pop(k)


def test_a_lost_seed_gets_no_seeds_needed() -> None:
    """An inconclusive verdict with a NaN per-seed value reported the seeds at which the
    interval of the other seeds would decide (here 3 or so: they are far above 0); the NaN seed
    is lost at every seed count (runs are per seed index), so no seed count decides: None."""
    from twolayer.claims.base import Claim, outcome

    c = Claim("ufneed.c", "ufneed", "s", "src", lambda runs: None)
    v = [1.0, 1.1, 0.9, math.nan]
    m, ci = stats.mean_ci(v)
    got = c.verdict(outcome(stats.compare(ci, 0.0, ">="), m, "b", ci, 3, "d", per_seed=v,
                            threshold=0.0, direction=">="))
    assert got.verdict == stats.INCONCLUSIVE and got.seeds_needed is None
    ok = c.verdict(outcome(stats.INCONCLUSIVE, 0.1, "b", (-1.0, 1.2), 3, "d",
                           per_seed=[0.1, -0.5, 0.7], threshold=0.0, direction=">="))
    assert ok.seeds_needed is not None  # without a lost seed the estimate is given


TWO_PLUGIN = '''
from twolayer.api import claim, outcome, stats

A = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.0, 1.1]
B = [2.0, 2.2, 1.9, 2.1, 2.05, 1.95, 2.0, 2.1]


@claim("uftwo.both", "a and b", "toy")
def both(runs):
    comps = [(A, 0.0, ">="), (B, 0.0, ">=")]
    (a, b) = stats.holm_outcomes(comps)
    m, ci = stats.mean_ci(A, stats.family_level(0.95, 2))
    return outcome(stats.combine(a, b), m, "both >= 0", ci, 8, "toy", comparisons=comps,
                   in_regime=True, regime="toy")
'''


def test_seeds_auto_names_the_level_of_a_k_comparison_interval(tmp_path, capsys):
    """A claim of 2 comparisons: the CI shown is the first comparison's sequence at
    1 - α/2 = 0.975, whose half-width (Lai's formula at α/2, computed here with numpy) is wider
    than at α; the bound said "95% confidence sequence", now it names 0.975."""
    import json

    from twolayer.claims import CLAIMS
    from twolayer.cli import main

    f = tmp_path / "uftwo.py"
    f.write_text(TWO_PLUGIN)
    try:
        rc = main(["check", str(f), "--quick", "--seeds", "auto", "--json", "--records",
                   str(tmp_path / "s")])
        (v,) = json.loads(capsys.readouterr().out)
    finally:
        CLAIMS.pop("uftwo.both", None)
    x = np.array([1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.0, 1.1])
    n, a, c = x.size, sequential.ALPHA / 2, sequential._mixture_c_at(sequential.ALPHA / 2)
    k_n = ((1 / a) * math.sqrt((n + c) / c)) ** (2 / n)
    half = math.sqrt((k_n - 1) * ((x - x.mean()) ** 2).sum() / (n * (1 - k_n * c / (n + c))))
    assert rc == 0 and v["verdict"] == stats.HOLDS
    assert v["ci"] == pytest.approx([x.mean() - half, x.mean() + half])
    assert "95% confidence sequence" not in v["bound"] and "0.975 each" in v["bound"]


def test_no_median_note_where_the_check_decided_from_another_interval() -> None:
    """Equal per-seed values next to a check's own finite interval of nonzero width (a pooled
    statistic, say): the verdict was not taken from the sign test, so no note says it was."""
    from twolayer.claims.base import Claim, outcome

    c = Claim("ufnote.d", "ufnote", "s", "src", lambda runs: None)
    v = c.verdict(outcome(stats.HOLDS, 1.0, "b", (0.8, 1.2), 8, "d", per_seed=[1.0] * 8,
                          threshold=0.5, direction=">="))
    assert v.verdict == stats.HOLDS and "not of the mean" not in v.detail


def test_seeds_needed_and_clopper_pearson_refuse_what_is_not_a_bound_or_a_count() -> None:
    """seeds_needed against a NaN bound returned 100000 (every comparison with NaN is False,
    so the search ran to its cap); clopper_pearson took a rate for a count (k = 0.25 of 4)
    and returned an interval. Both are ValueErrors naming the value; a count held in a
    float or numpy integer still works (scipy's beta quantiles as the oracle)."""
    with pytest.raises(ValueError, match="bound"):
        stats.seeds_needed([1.0, 2.0, 3.0], math.nan)
    with pytest.raises(ValueError, match="k = 0.25"):
        stats.clopper_pearson(0.25, 4)
    with pytest.raises(ValueError, match="R = 4.5"):
        stats.clopper_pearson(1, 4.5)
    want = (ss.beta.ppf(0.025, 1, 4), ss.beta.ppf(0.975, 2, 3))
    assert stats.clopper_pearson(1.0, np.int64(4)) == pytest.approx(want)


def test_a_fails_next_to_its_own_interval_on_the_claimed_side_is_an_error() -> None:
    """The mirror of verdict_audit section 13: a plugin's check said *fails* for "mean >= 0"
    with 6 per-seed values in [0.8, 1.2] and its own 95% interval [0.85, 1.15] (scipy): the
    table printed fails next to an interval that shows the claim holding, and a reader cites
    a refutation. Such a fails is now the verdict error; a fails its interval supports, or one
    whose interval touches or straddles the threshold, stands."""
    from scipy import stats as sps

    from twolayer.claims.base import Claim, outcome

    v = [0.9, 1.1, 1.0, 1.2, 0.8, 1.0]
    lo, hi = sps.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=sps.sem(v))
    assert lo > 0.0
    c = Claim("uffail.c", "uffail", "s", "src", lambda runs: None)
    for kw in (dict(per_seed=v, threshold=0.0, direction=">="),
               dict(threshold=0.0, direction=">=")):
        got = c.verdict(outcome(stats.FAILS, 1.0, "b", (lo, hi), 6, "d", **kw))
        assert got.verdict == "error" and "contradicts its own evidence" in got.detail, kw
    # four seeds: the sign test cannot support the claim (p = 1/16), the interval still shows it
    got = c.verdict(outcome(stats.FAILS, 1.0, "b", (0.5, 1.5), 4, "d", threshold=0.0,
                            direction=">="))
    assert got.verdict == "error" and "own interval" in got.detail
    assert c.verdict(outcome(stats.FAILS, 0.0, "b", (-0.5, -0.1), 4, "d", threshold=0.0,
                             direction=">=")).verdict == stats.FAILS  # wholly on the fails side
    # straddling or touching the threshold, with nothing else handed over, nothing supports the
    # fails: inconclusive since session 48 (it stood; tests/test_unsupported_verdict.py)
    for ci in ((-0.1, 0.2), (-0.2, 0.0)):
        got = c.verdict(outcome(stats.FAILS, 0.0, "b", ci, 4, "d", threshold=0.0,
                                direction=">="))
        assert got.verdict == stats.INCONCLUSIVE and "point estimate" in got.detail, ci
