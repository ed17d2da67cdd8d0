"""``seeds_needed`` of a fixed-seed inconclusive verdict decided by one comparison: by its own
test. Until session 48 a check that handed over one comparison and no ``per_seed`` got no
estimate at all, and one whose single comparison is a sign test got the t-interval's of its
``per_seed`` values (about the mean, where the sign test judges the counts above and below).

Oracle: the judging itself (``stats.comparison_outcomes``, the exact sign test or the t-test)
on records of n seeds built to carry the measured shares (sign: ⌊n·share⌋ values above the
bound, the rest below) or the measured mean and standard deviation exactly (t), walked up one
seed at a time: the first n at which the comparison is decided must be the estimate."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer import stats
from twolayer.claims.base import INCONCLUSIVE, Claim, outcome
from twolayer.stats import Comparison


def sign_values(above: int, n_all: int, n: int) -> tuple[float, ...]:
    """n values, ⌊n·above/n_all⌋ of them at +1, the rest at −1."""
    up = above * n // n_all
    return (1.0,) * up + (-1.0,) * (n - up)


def exact_moments(mean: float, sd: float, n: int) -> tuple[float, ...]:
    z = np.random.default_rng(3).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return tuple(float(x) for x in mean + sd * z)


def first_decided(make, start: int, direction: str, test: str) -> int:
    for n in range(start, 2000):
        (out,) = stats.comparison_outcomes([Comparison(make(n), 0.0, direction, test)])
        if out != INCONCLUSIVE:
            return n
    raise AssertionError("not decided by 2000 seeds")


def verdict_of(values: tuple[float, ...], direction: str, test: str, per_seed: bool):
    """The verdict of a claim whose check hands over one comparison (and its values as
    ``per_seed`` or not)."""
    comp = Comparison(values, 0.0, direction, test)
    o = outcome(INCONCLUSIVE, float(np.median(values)), "median vs 0", None, len(values),
                "fake", "", comparisons=[comp],
                **({"per_seed": values, "threshold": 0.0, "direction": direction}
                   if per_seed else {}))
    return Claim("fake.one", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


@pytest.mark.parametrize("per_seed", (False, True))
@pytest.mark.parametrize("above,direction", [(4, ">="), (4, "<="), (3, ">=")])
def test_one_sign_comparison_gets_the_sign_tests_seed_count(above, direction, per_seed):
    """5 seeds, ``above`` of them above the bound: inconclusive now (p = 6/32 at 4 of 5)."""
    values = sign_values(above, 5, 5)
    v = verdict_of(values, direction, "sign", per_seed)
    assert v.verdict == INCONCLUSIVE
    want = first_decided(lambda n: sign_values(above, 5, n), 5, direction, "sign")
    assert v.seeds_needed == want


def test_one_t_comparison_without_per_seed_gets_an_estimate():
    """Mean 0.3, sd 1 over 6 seeds: the one-sided t-test at 0.05 decides at the walk's n."""
    values = exact_moments(0.3, 1.0, 6)
    v = verdict_of(values, ">=", "t", per_seed=False)
    assert v.verdict == INCONCLUSIVE
    assert v.seeds_needed == first_decided(lambda n: exact_moments(0.3, 1.0, n), 6, ">=", "t")
