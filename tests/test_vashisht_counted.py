"""vashisht2024's paired differences of test-point shares (clean accuracy, conflict following)
are differences of whole counts: seeds whose Δ is one and the same number in exact arithmetic
give equal floats, so the claims judge them as values with no spread (the exact sign test:
three equal values give p = 2^−3 = 0.125, deciding nothing), not by a t-test of a spread that
is float32 rounding.

The oracle is integer arithmetic on the planted counts and the exact sign test's 2^−n; the
control is the float32 arithmetic the records store, which leaves the same differences about
1e−8 apart (the t-test then decides at p ≈ 3e−11).
"""

from __future__ import annotations

import numpy as np
import pytest
import test_vashisht_records as records

from twolayer.claims import vashisht2024 as V
from twolayer.claims.base import FAILS, INCONCLUSIVE
from twolayer.experiments import vashisht2024 as E
from twolayer.record import Record
from twolayer.stats import no_spread, one_sided_p

pytestmark = pytest.mark.usefixtures("single_thread")
N = records.TINY.n_test  # 80 test points
BASE = np.array([79, 78, 77])  # the baseline's correct clean counts per seed
ARM = BASE - 1  # the η = 0.5 arm loses exactly one point more on every seed: Δ = −1/80


@pytest.fixture(scope="module")
def tiny() -> Record:
    return E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)


def _counts_record(tiny: Record, base, arm) -> Record:
    values = records._plant()
    values[("clean_acc", "keep", 0.0)] = list(np.asarray(base) / N)
    values[("clean_acc", "keep", 0.5)] = list(np.asarray(arm) / N)
    return records._doctor(tiny, values)


def test_the_float32_shares_leave_equal_differences_apart() -> None:
    """The control: what the record stores (float32 k/80) differenced as floats gives three
    unequal values, judged by the t-test at p ≈ 3e−11 against −0.01 (fails)."""
    a = (ARM / N).astype(np.float32).astype(np.float64)
    b = (BASE / N).astype(np.float32).astype(np.float64)
    d = a - b
    assert not no_spread(d) and np.ptp(d) > 0
    assert one_sided_p(d, -0.01, ">=")[1] < 1e-9


@pytest.mark.parametrize("q", ["clean_acc", "conflict_follow"])
def test_paired_differences_of_counts_are_equal_floats(tiny: Record, q: str) -> None:
    values = records._plant()
    values[(q, "keep", 0.0)] = list(BASE / N)
    values[(q, "keep", 0.5)] = list(ARM / N)
    rec = records._doctor(tiny, values)
    assert rec.arrays[f"vashisht/{q}"].dtype == np.float32
    diff, a, b = V.paired(rec, q, "keep", 0.5)
    assert np.array_equal(diff, np.full(3, -1 / N))  # (k_arm − k_base)/n, exactly
    assert no_spread(diff)
    np.testing.assert_allclose(a, ARM / N, rtol=1e-6)  # the shares themselves as stored


def test_equal_differences_decide_nothing_at_three_seeds(tiny: Record) -> None:
    """Δ clean accuracy = −1/80 on every seed against "≥ −0.01": three equal values, the
    exact sign test's p = 2^−3 = 0.125 > 0.05 on either side: inconclusive (the float32
    differences failed it). Unequal counts with the same mean keep the t-test (fails)."""
    rec = _counts_record(tiny, BASE, ARM)
    assert 2.0 ** -3 > 0.05
    assert records._verdict(rec, "no_accuracy_cost") == INCONCLUSIVE
    # Δ 0, −1/80, −2/80: mean −0.0125, t = −0.35 against −0.01: the t-test, inconclusive
    spread = _counts_record(tiny, BASE, BASE - np.array([0, 1, 2]))
    assert records._verdict(spread, "no_accuracy_cost") == INCONCLUSIVE
    far = _counts_record(tiny, BASE, BASE - np.array([8, 9, 10]))  # Δ −0.1 to −0.125
    assert records._verdict(far, "no_accuracy_cost") == FAILS
    same = _counts_record(tiny, BASE, BASE)  # Δ = 0 on every seed: the sign test's 0.125
    assert records._verdict(same, "no_accuracy_cost") == INCONCLUSIVE


def test_non_count_values_are_differenced_as_they_are(tiny: Record) -> None:
    """A planted share that is no count of 80 (0.99 · 80 = 79.2) is read as it is."""
    values = records._plant()
    rec = records._doctor(tiny, values)
    diff, a, b = V.paired(rec, "clean_acc", "keep", 0.5)
    np.testing.assert_allclose(diff, a - b, atol=0)


def test_s_rand_with_no_kept_point_is_a_difference_of_counts(tiny: Record) -> None:
    """At n_test = 28 (the record's plan edited) the S permutation keeps no point: both ends of
    Δ S-rand are the measured Δ, as whole counts over 28. Arm counts 20, 19, 18 against
    baseline 14, 13, 12 (Δ = 6/28 on every seed) give three equal floats."""
    n = 28
    assert V.kept_in_place(n)[0] == 0
    values = records._plant()
    values[("s_rand_acc", "keep", 0.0)] = list(np.array([14, 13, 12]) / n)
    values[("s_rand_acc", "keep", 0.5)] = list(np.array([20, 19, 18]) / n)
    rec = records._doctor(tiny, values)
    rec.meta["study"]["plan"]["n_test"] = n
    lo, hi = V.moved_delta(rec, "keep", 0.5)
    assert np.array_equal(lo, np.full(3, 6 / n)) and np.array_equal(hi, lo)
    stored = rec.arrays["vashisht/s_rand_acc"]
    a = stored[E.runs(rec, "keep", 0.5), -1].astype(np.float64)
    b = stored[E.runs(rec, "keep", 0.0), -1].astype(np.float64)
    assert np.ptp(a - b) > 0  # the control: the float32 shares' differences are not equal
