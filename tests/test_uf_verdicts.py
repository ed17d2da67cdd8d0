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
