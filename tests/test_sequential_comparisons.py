"""``--seeds auto`` for claims made of several comparisons: the sign sequence (beta-binomial
mixture) against an independent oracle (the mixture integral by quadrature), its error rate over
repeated looks by simulation, the median interval against brute force, Bonferroni over a claim's
comparisons, and the look driver on a fake two-comparison sign claim with its own rule.

Monte-Carlo error: N = 4000 null sequences, a true error rate of α = 0.05 has standard error
≈ 0.0034, so "at or below α" is asserted as ≤ α + 3 s.e. ≈ 0.060; the repeated fixed-n exact
sign test on the same sequences measures well above it (asserted ≥ 0.08), so the simulation can
tell a sound sequence from an inflated one.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from twolayer import sequential as sq
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.stats import Comparison, exists, holm_outcomes

LOOKS = (4, 8, 16, 32, 64, 128)
N_SIM = 4000
MC_SLACK = 3 * math.sqrt(0.05 * 0.95 / N_SIM)


def mixture_oracle(above: int, n: int, a: float = 0.5) -> float:
    """log ∫ q^s (1−q)^(n−s) Beta(q; a, a) dq − log 2^−n, by quadrature."""
    from scipy import integrate
    from scipy.special import beta

    f = lambda q: q ** (above + a - 1) * (1 - q) ** (n - above + a - 1) / beta(a, a)  # noqa: E731
    val = integrate.quad(f, 0.0, 1.0, epsabs=0, epsrel=1e-11, limit=200)[0]
    return math.log(val) + n * math.log(2.0)


@pytest.mark.parametrize("above,n", [(7, 7), (5, 9), (30, 40), (0, 3)])
def test_the_sign_mixture_matches_its_integral(above, n) -> None:
    assert sq.log_sign_mixture(above, n) == pytest.approx(mixture_oracle(above, n), rel=1e-7,
                                                          abs=1e-9)


def test_the_sign_sequence_decides_only_when_the_mixture_reaches_one_over_alpha() -> None:
    # 7 of 7 above: M = 2^7 B(7.5, .5)/B(.5, .5) ≈ 27 ≥ 20; 6 of 6: ≈ 14.7 < 20
    assert sq.sign_decide([1.0] * 7, 0.0, ">=") == HOLDS
    assert sq.sign_decide([1.0] * 6, 0.0, ">=") == INCONCLUSIVE
    assert sq.sign_decide([1.0] * 7, 0.0, "<=") == FAILS
    assert sq.sign_decide([-1.0] * 7, 0.0, "<=") == HOLDS
    # ties with the threshold are dropped: 7 above and 5 ties is still 7 of 7
    assert sq.sign_decide([1.0] * 7 + [0.0] * 5, 0.0, ">=") == HOLDS
    assert sq.sign_decide([1.0] * 7 + [-1.0] * 7, 0.0, ">=") == INCONCLUSIVE
    # a NaN is a lost seed: it may be the one on the other side, so nothing is decided
    assert sq.sign_decide([math.nan] * 3 + [1.0] * 7, 0.0, ">=") == INCONCLUSIVE
    with pytest.raises(ValueError):
        sq.sign_decide([1.0], 0.0, ">")


def test_the_median_interval_agrees_with_the_decision_between_the_values() -> None:
    rng = np.random.default_rng(5)
    for n in (6, 12, 40):
        x = rng.standard_cauchy(n) + 0.7
        med, (lo, hi) = sq.sign_cs(x)
        assert med == pytest.approx(float(np.median(x)))
        xs = np.sort(x)
        mids = np.concatenate([[xs[0] - 1], (xs[1:] + xs[:-1]) / 2, [xs[-1] + 1]])
        for b in mids:  # thresholds between the values: no ties
            by_interval = HOLDS if lo >= b else FAILS if hi < b else INCONCLUSIVE
            assert sq.sign_decide(x, b, ">=") == by_interval, (n, b, lo, hi)


def test_the_sign_sequence_keeps_its_error_rate_over_all_looks() -> None:
    """Null: the median is exactly the threshold (a bimodal, heavy-tailed mixture). A decision
    at any look is an error; the sequence's rate must stay at or below α."""
    rng = np.random.default_rng(11)
    n = LOOKS[-1]
    sign = rng.choice([-1.0, 1.0], size=(N_SIM, n))
    x = sign * (1.0 + rng.standard_cauchy((N_SIM, n)) ** 2)  # P(X > 0) = 1/2 exactly
    seq_err = naive_err = 0
    for row in x:
        if any(sq.sign_decide(row[:k], 0.0, ">=") != INCONCLUSIVE for k in LOOKS):
            seq_err += 1
        if any(o != INCONCLUSIVE for k in LOOKS
               for o in holm_outcomes([(row[:k], 0.0, ">=")], level=0.95, method="sign")):
            naive_err += 1
    assert seq_err / N_SIM <= sq.ALPHA + MC_SLACK
    assert naive_err / N_SIM >= 0.08  # the repeated fixed-n test is inflated (why the sequence)


def test_a_true_median_shift_is_decided_on_its_side() -> None:
    rng = np.random.default_rng(12)
    got = []
    for _ in range(300):
        row = rng.normal(0.6, 1.0, LOOKS[-1])  # P(X > 0) ≈ 0.73
        v = INCONCLUSIVE
        for k in LOOKS:
            v = sq.sign_decide(row[:k], 0.0, ">=")
            if v != INCONCLUSIVE:
                break
        got.append(v)
    assert got.count(HOLDS) >= 0.95 * len(got) and FAILS not in got


def test_sign_seeds_needed_is_where_the_measured_share_decides() -> None:
    x = [1.0] * 8 + [-1.0] * 2  # share 0.8 above
    n = sq.sign_seeds_needed(x, 0.0)
    assert n is not None
    k = math.floor(0.8 * n)
    assert sq.log_sign_mixture(k, n) >= math.log(1 / sq.ALPHA)
    assert sq.sign_seeds_needed([1.0, -1.0], 0.0) is None  # an even split: never


def test_a_claims_comparisons_are_judged_at_alpha_over_k() -> None:
    seven = (1.0,) * 7  # decided at α = 0.05 (M ≈ 27), not at α/2 = 0.025 (needs M ≥ 40)
    one = [Comparison(seven, 0.0, ">=", "sign")]
    assert sq.judge_comparisons(one)[0] == HOLDS
    two = one + [Comparison((5.0,) * 7, 0.0, ">=", "sign")]
    verdict, parts = sq.judge_comparisons(two)
    assert verdict == INCONCLUSIVE and [p[0] for p in parts] == [INCONCLUSIVE] * 2
    nine = (1.0,) * 9  # M(9 of 9) ≈ 2^9·B(9.5,.5)/π ≈ 96 ≥ 40
    assert sq.judge_comparisons([Comparison(nine, 0.0, ">=", "sign")] * 2)[0] == HOLDS
    # a rule of the claim's own: some comparison must hold
    mixed = [Comparison(nine, 0.0, ">=", "sign"), Comparison(nine, 5.0, ">=", "sign")]
    assert sq.judge_comparisons(mixed)[0] == FAILS  # default: every one must hold
    assert sq.judge_comparisons(mixed, rule=exists)[0] == HOLDS


class FakeRuns:
    def __init__(self, seeds: int | None) -> None:
        self.seeds = seeds if seeds is not None else 4
        self.quick = True

    def values(self, name: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        return (rng.standard_cauchy(1024) + 2.0)[: self.seeds]  # median 2: P(X > 0) ≈ 0.85


def sign_claim(cid: str) -> Claim:
    def check(runs):
        v = runs.values(cid)
        comps = [(v, 0.0, ">="), (v, 10.0, "<=")]  # the median is in (0, 10]
        outs = holm_outcomes(comps, level=0.95, method="sign")
        verdict = HOLDS if all(o == HOLDS for o in outs) else (
            FAILS if FAILS in outs else INCONCLUSIVE)
        return outcome(verdict, float(np.median(v)), "0 <= median <= 10", None, len(v), "fake",
                       "own detail", comparisons=comps, test="sign")

    return Claim(cid, "fake", "s", "Lemma 1", check)


def test_auto_check_grows_a_two_comparison_sign_claim_until_decided() -> None:
    asked = []

    def runs_at(seeds):
        asked.append(seeds)
        return FakeRuns(seeds)

    (v,) = sq.auto_check([sign_claim("fake.sign")], runs_at, budget_s=1e6, max_looks=7)
    assert v.verdict == HOLDS and v.sequential["controlled"] is True
    assert v.sequential["comparisons"] == 2 and v.sequential["look"] >= 2
    assert v.sequential["sign_method"] == sq.SIGN_METHOD
    assert "2 comparisons, each at α/2" in v.detail and "own detail" in v.detail
    assert asked[0] is None and asked[1:] == [8, 16, 32, 64, 128, 256][: len(asked) - 1]
    assert v.seeds == v.sequential["seeds"][-1] and v.ci[0] <= v.measured <= v.ci[1]


# --- the time budget: which undecided claims the next look extends ----------------------------


def _state(cid: str) -> sq._State:
    return sq._State(Claim(cid, "fake", "s", "Lemma 1", lambda runs: None), None, True)


def test_fit_extends_the_cheapest_claims_that_fit_counting_shared_experiments_once() -> None:
    a, b, c, d = (_state(x) for x in ("a", "b", "c", "d"))
    for st in (a, b, c, d):
        st.seeds_at = [4]
    needs = {"a": {"e1"}, "b": {"e1", "e2"}, "c": {"e3"}, "d": {"e9"}}
    cost = {"e1": 10.0, "e2": 5.0, "e3": 100.0}  # e9 unknown: costs 2 x the last look
    chosen, est = sq._fit([c, b, a, d], needs, cost, left=45.0, last_look=1000.0, seeds=8)
    # a: 2*10 = 20; b: 2*(10+5) = 30, but e1 is shared with a: +10 -> 30 in all; c: 200
    assert [s.claim.id for s in chosen] == ["a", "b"] and est == pytest.approx(30.0)
    chosen, est = sq._fit([c, d], needs, cost, left=45.0, last_look=1000.0, seeds=8)
    assert chosen == [] and est == pytest.approx(200.0)  # the cheapest: c
    # a claim last seen at 4 seeds costs 5x at a look of 20 seeds, not 2x
    a.seeds_at = [4]
    chosen, est = sq._fit([a], needs, cost, left=45.0, last_look=1000.0, seeds=20)
    assert chosen == [] and est == pytest.approx(50.0)


class TimedRuns(FakeRuns):
    """FakeRuns that say which experiment each claim read and what it cost to train."""

    def __init__(self, seeds: int | None) -> None:
        super().__init__(seeds)
        self.asked: list[str] = []
        self.seconds: dict[str, float] = {}
        self.train_seconds: dict[str, float] = {}

    def values(self, name: str) -> np.ndarray:
        self.asked.append(name)
        s = self.seeds
        self.seconds[name] = 0.01  # read back from a store ...
        self.train_seconds[name] = {"fake.cheap": 1.0, "fake.dear": 50.0}[name] * s / 4
        return super().values(name)


def test_auto_check_extends_only_what_the_budget_pays_for() -> None:
    claims = [sign_claim("fake.cheap"), sign_claim("fake.dear")]
    fake = iter(range(1_000_000))
    out = {v.id: v for v in sq.auto_check(claims, lambda s: TimedRuns(s), budget_s=60.0,
                                          max_looks=7, clock=lambda: float(next(fake)) * 1e-3)}
    cheap, dear = out["fake.cheap"], out["fake.dear"]
    # ... but cost their training time: the dear claim (2 x 50 s at look 2) never fits 60 s
    assert dear.sequential["look"] == 1 and dear.verdict == INCONCLUSIVE
    assert "time budget" in dear.detail
    assert cheap.sequential["look"] >= 2 and cheap.verdict == HOLDS


def test_a_t_comparison_drops_its_vacuous_nan_placeholders_before_the_sequence() -> None:
    """A t comparison marked nan_vacuous is judged by the t-mixture on its non-NaN values: the
    interval is the module docstring's C_n = mean ± sqrt((K−1)·V/(n·(1 − K·c/(n + c)))),
    K = ((1/α)·sqrt((n + c)/c))^(2/n), computed here from the 40 finite values (not a NaN
    interval, and not inconclusive because of the placeholders)."""
    rng = np.random.default_rng(21)
    x = 1.0 + 0.1 * rng.standard_normal(40)
    values = tuple(np.insert(x, [3, 17, 30], math.nan))
    comp = Comparison(values, 0.0, ">=", "t", nan_vacuous=True)
    verdict, parts = sq.judge_comparisons([comp])
    n, alpha, c = x.size, sq.ALPHA, sq.mixture_c(alpha=sq.ALPHA)
    big_k = ((1 / alpha) * math.sqrt((n + c) / c)) ** (2 / n)
    half = math.sqrt((big_k - 1) * ((x - x.mean()) ** 2).sum() / (n * (1 - big_k * c / (n + c))))
    assert parts[0][2] == pytest.approx((x.mean() - half, x.mean() + half))
    assert verdict == HOLDS and x.mean() - half > 0.0
