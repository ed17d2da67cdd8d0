"""An inconclusive verdict from per-seed values that are equal on every seed must say why: such
values are judged by the exact sign test (p = 2^-n for n equal values), so with few seeds the
claim stays inconclusive although its bound text names a t-test and its interval (e.g. [1, 1])
lies clear of the bound. Found on `twolayer check liu2023.thm45.alpha_monotone.regime --quick`:
"inconclusive 1 [1, 1] 3" against ">= 0.95; one-sided one-sample t-test", with no word why.
"""

from __future__ import annotations

from twolayer.claims.base import Claim, outcome

CLAIM = Claim("ugpaper.equal", "ugpaper", "statement", "source", check=lambda runs: None)


def test_equal_values_inconclusive_says_the_sign_test_needs_five_seeds() -> None:
    # hand computation: 2^-3 = 0.125 and 2^-4 = 0.0625 are >= 0.05, 2^-5 = 0.03125 < 0.05
    o = outcome("inconclusive", 1.0, ">= 0.95; one-sided one-sample t-test at 95%", (1.0, 1.0),
                3, "s", "d", per_seed=[1.0, 1.0, 1.0], threshold=0.95, direction=">=",
                in_regime=True, regime="r")
    v = CLAIM.verdict(o)
    assert v.verdict == "inconclusive"
    assert "exact sign test" in v.detail and "2^-3 = 0.125" in v.detail
    assert "only from 5 seeds" in v.detail
    assert v.seeds_needed is None  # that field is about the t-interval (docs/api.md)


def test_equal_values_under_holm_need_more_seeds() -> None:
    # three comparisons: 2^-n < 0.05/3 = 0.0167 first at n = 6 (2^-5 = 0.031, 2^-6 = 0.0156)
    comps = [([1.0] * 4, 0.99, ">="), ([1.0, 0.9, 1.0, 0.95], 0.5, ">="),
             ([0.0] * 4, 0.01, "<=")]
    o = outcome("inconclusive", 1.0, "b", (1.0, 1.0), 4, "s", "d", comparisons=comps,
                test="t", in_regime=True, regime="r")
    v = CLAIM.verdict(o)
    assert "comparison 1 of 3" in v.detail and "only from 6 seeds" in v.detail


def test_no_note_when_the_values_spread_or_enough_seeds() -> None:
    spread = outcome("inconclusive", 0.96, "b", (0.9, 1.02), 3, "s", "d",
                     per_seed=[0.93, 0.96, 0.99], threshold=0.95, direction=">=",
                     in_regime=True, regime="r")
    assert "sign test" not in CLAIM.verdict(spread).detail
    held = outcome("holds", 1.0, "b", (1.0, 1.0), 5, "s", "d", per_seed=[1.0] * 5,
                   threshold=0.95, direction=">=", in_regime=True, regime="r")
    v = CLAIM.verdict(held)
    assert v.verdict == "holds" and "only from" not in v.detail
