"""``--seeds auto``: Lai's t-mixture confidence sequence (twolayer.sequential) against an
independent oracle (the mixture likelihood ratio computed by numerical integration), its error
rate over repeated looks by simulation, and the look driver on fake claims.

Monte-Carlo error of the simulations: with N = 4000 sequences, a true error rate of α = 0.05
has standard error sqrt(0.05·0.95/4000) ≈ 0.0034, so "at or below α" is asserted as
≤ α + 3·0.0034 ≈ 0.060; the naive repeated t-interval measures ≈ 0.18 on the same sequences
and is asserted ≥ 0.10, so the simulation can tell a sound method from an inflated one.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from twolayer import sequential as sq
from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE, Claim, outcome
from twolayer.stats import mean_ci

LOOKS = (4, 8, 16, 32, 64)
N_SIM = 4000
MC_SLACK = 3 * math.sqrt(0.05 * 0.95 / N_SIM)


def mixture_lr(x: np.ndarray, mu: float, c: float) -> float:
    """Oracle: the scale-invariant mixture likelihood ratio by numerical integration over θ
    (prior N(0, 1/c)) and log σ (Haar prior), numerator over denominator."""
    from scipy import integrate

    y = x - mu
    n = y.size

    def dens(theta: float, ls: float) -> float:  # ∫ over σ with dσ/σ = d(log σ)
        s = math.exp(ls)
        return math.exp(-n * ls - ((y - theta * s) ** 2).sum() / (2 * s * s))

    prior = lambda th: math.sqrt(c / (2 * math.pi)) * math.exp(-c * th * th / 2)  # noqa: E731
    ls0 = math.log(math.sqrt((y * y).mean()))
    num = integrate.dblquad(lambda ls, th: prior(th) * dens(th, ls), -12, 12,
                            ls0 - 6, ls0 + 6, epsabs=0, epsrel=1e-7)[0]
    den = integrate.quad(lambda ls: dens(0.0, ls), ls0 - 6, ls0 + 6, epsabs=0, epsrel=1e-9)[0]
    return num / den


def test_the_interval_ends_where_the_mixture_ratio_reaches_one_over_alpha():
    rng = np.random.default_rng(1)
    c = sq.mixture_c()
    for n in (5, 9):
        x = rng.normal(0.3, 2.0, n)
        m, (lo, hi) = sq.t_cs(x, c=c)
        assert lo < m < hi and math.isclose(m, x.mean())
        for end in (lo, hi):
            assert mixture_lr(x, end, c) == pytest.approx(1 / sq.ALPHA, rel=2e-3)
        assert mixture_lr(x, m, c) < 1 / sq.ALPHA  # inside: below the level
        assert mixture_lr(x, hi + (hi - lo), c) > 1 / sq.ALPHA


def test_small_samples_give_the_whole_line_and_c_is_tuned_for_the_target():
    c = sq.mixture_c()
    assert sq.t_cs([1.0, 2.0, 3.0], c=c)[1] == (-math.inf, math.inf)  # n = 3 < what α needs
    assert sq.decide((-math.inf, math.inf), 0.0, ">=") == INCONCLUSIVE
    assert all(math.isnan(x) for x in sq.t_cs([])[1])
    width = lambda cc, n: sq._half_width_factor(n, cc, sq.ALPHA)  # noqa: E731
    assert width(c, sq.TARGET_SEEDS) < width(c * 1.5, sq.TARGET_SEEDS)
    assert width(c, sq.TARGET_SEEDS) < width(c / 1.5, sq.TARGET_SEEDS)
    # scale and shift equivariant: a statement about means in any unit
    x = np.random.default_rng(2).normal(size=12)
    m, (lo, hi) = sq.t_cs(x, c=c)
    m2, (lo2, hi2) = sq.t_cs(3 * x + 7, c=c)
    assert (m2, lo2, hi2) == pytest.approx((3 * m + 7, 3 * lo + 7, 3 * hi + 7))


def test_decide_and_looks():
    assert sq.decide((1.0, 2.0), 0.5, ">=") == HOLDS
    assert sq.decide((1.0, 2.0), 2.5, ">=") == FAILS
    assert sq.decide((1.0, 2.0), 1.5, ">=") == INCONCLUSIVE
    assert sq.decide((1.0, 2.0), 2.5, "<=") == HOLDS
    assert sq.decide((1.0, 2.0), 0.5, "<=") == FAILS
    assert sq.looks(4, 2, 4) == [4, 8, 16, 32]
    assert sq.nested([1.0, math.nan], [1.0, math.nan, 3.0])
    assert not sq.nested([1.0, 2.0], [1.0, 2.5, 3.0]) and not sq.nested([1.0, 2.0], [1.0])
    # float32 noise of another batch size (far below the spread between seeds) is nested;
    # another seed's value (about one spread away) is not; NaN must stay NaN
    x = np.random.default_rng(7).normal(0.0, 1.0, 8)
    assert sq.nested(x, np.concatenate([x * (1 + 1e-6) + 1e-4, [0.3]]))
    assert not sq.nested(x, np.concatenate([x[:-1], [x[-1] + 0.5 * x.std()], [0.3]]))
    assert not sq.nested([1.0, math.nan], [1.0, 2.0, 3.0])
    assert not sq.nested([1.0, math.inf], [1.0, -math.inf, 3.0])


def wrong_decisions(draw, interval, seed: int = 0) -> float:
    """Share of sequences where stopping at the first decision over LOOKS decides anything
    although the true mean is exactly the threshold 0 (every decision is then wrong)."""
    x = draw(np.random.default_rng(seed), (N_SIM, LOOKS[-1]))
    wrong = 0
    for row in x:
        for n in LOOKS:
            if sq.decide(interval(row[:n])[1], 0.0, ">=") != INCONCLUSIVE:
                wrong += 1
                break
    return wrong / N_SIM


C = sq.mixture_c()


def cs(v):
    return sq.t_cs(v, c=C)


@pytest.mark.parametrize("name, draw", [
    ("gaussian", lambda r, s: r.normal(0.0, 3.0, s)),
    ("student-t, 3 df", lambda r, s: r.standard_t(3, s)),
])
def test_the_error_rate_over_all_looks_stays_at_or_below_alpha(name, draw):
    rate = wrong_decisions(draw, cs)
    assert rate <= sq.ALPHA + MC_SLACK, (name, rate)


def test_the_naive_repeated_t_interval_inflates_the_error_rate():
    rate = wrong_decisions(lambda r, s: r.normal(0.0, 3.0, s), mean_ci)
    assert rate >= 0.10  # ≈ 0.18 measured: > 3x the nominal 0.05


def test_a_true_effect_is_decided_on_its_side():
    rng = np.random.default_rng(3)
    for shift, side in ((1.0, HOLDS), (-1.0, FAILS)):
        x = rng.normal(shift, 1.0, (500, LOOKS[-1]))
        got = []
        for row in x:
            v = INCONCLUSIVE
            for n in LOOKS:
                v = sq.decide(cs(row[:n])[1], 0.0, ">=")
                if v != INCONCLUSIVE:
                    break
            got.append(v)
        assert got.count(side) >= 0.99 * len(got)  # measured: all 500 of 500


def test_seeds_needed_is_where_the_sequence_clears_the_bound():
    x = np.random.default_rng(4).normal(1.0, 2.0, 6)
    n = sq.cs_seeds_needed(x, 0.0, c=C)
    s = x.std(ddof=1)
    half = lambda k: sq._half_width_factor(k, C, sq.ALPHA) * s * math.sqrt((k - 1) / k)  # noqa
    assert n is not None and half(n) < abs(x.mean()) <= half(n - 1)
    assert sq.cs_seeds_needed(x, float(x.mean()), c=C) is None


# --- the look driver on fake claims ------------------------------------------------------------


class FakeRuns:
    """Runs whose per-seed values are deterministic per seed index (nested across looks)."""

    def __init__(self, seeds: int | None, quick: bool = True) -> None:
        self.seeds = seeds if seeds is not None else 4
        self.quick = quick
        self.calls: list[str] = []

    def values(self, name: str, mean: float) -> list[float]:
        self.calls.append(name)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        return list(mean + rng.normal(0.0, 1.0, 1024)[: self.seeds])


def make(cid: str, mean: float, per_seed: bool = True, nested: bool = True) -> Claim:
    def check(runs):
        v = runs.values(cid if nested else f"{cid}{runs.seeds}", mean)
        m, ci = mean_ci(v)
        from twolayer.stats import compare

        extra = dict(per_seed=v, threshold=0.0, direction=">=") if per_seed else {}
        return outcome(compare(ci, 0.0, ">="), m, ">= 0", ci, len(v), "fake", "own detail",
                       **extra)

    return Claim(cid, "fake", "s", "Lemma 1", check)


def test_auto_check_decides_extends_and_marks_uncontrolled_claims():
    claims = [make("fake.big", 3.0), make("fake.small", 0.6), make("fake.null", 0.0),
              make("fake.plain", 0.5, per_seed=False), make("fake.shuffled", 0.6, nested=False)]
    asked = []

    def runs_at(seeds):
        asked.append(seeds)
        return FakeRuns(seeds)

    clock = iter(range(0, 10_000, 1))  # every look "takes" a few seconds
    out = {v.id: v for v in sq.auto_check(claims, runs_at, budget_s=1e6, max_looks=6,
                                          clock=lambda: float(next(clock)))}
    assert asked == [None, 8, 16, 32, 64, 128]
    big, small, null = out["fake.big"], out["fake.small"], out["fake.null"]
    assert big.verdict == HOLDS and big.sequential["look"] == 2 and big.seeds == 8
    assert "decided at look 2 with 8 seeds" in big.detail and "own detail" in big.detail
    assert small.verdict == HOLDS and small.sequential["look"] > big.sequential["look"]
    assert small.sequential["seeds"][: 2] == [4, 8] and small.ci[0] >= 0.0
    assert null.verdict == INCONCLUSIVE and null.sequential["look"] == 6
    assert null.seeds == 128 and "undecided after look 6" in null.detail
    assert null.seeds_needed is None or null.seeds_needed > 128
    assert null.ci[0] < 0.0 < null.ci[1]
    for cid in ("fake.plain", "fake.shuffled"):
        v = out[cid]
        assert v.sequential["controlled"] is False and v.seeds == 4  # its look-1 verdict
        assert v.detail.startswith("not sequentially controlled")
    assert "not nested" in out["fake.shuffled"].detail
    for v in out.values():
        assert v.sequential["method"] == sq.METHOD and v.sequential["alpha"] == sq.ALPHA


def test_auto_check_stops_when_the_next_look_does_not_fit_the_budget():
    claims = [make("fake.null", 0.0)]
    asked = []
    now = [0.0]

    def runs_at(seeds):
        asked.append(seeds)
        now[0] += 10.0 if seeds is None else 10.0 * seeds / 4  # time grows with seeds
        return FakeRuns(seeds)

    (v,) = sq.auto_check(claims, runs_at, budget_s=100.0, clock=lambda: now[0])
    # look 1 takes 10 s, look 2 (8 seeds) 20 s, look 3 (16) 40 s: 70 s; look 4 would take 80
    assert asked == [None, 8, 16]
    assert v.verdict == INCONCLUSIVE and v.sequential["looks"] == [4, 8, 16]


def test_a_claim_whose_experiments_ignore_the_seed_count_is_not_extended():
    class Fixed(FakeRuns):
        def __init__(self, seeds):
            super().__init__(None)  # always the mode's 4 seeds

    asked = []

    def runs_at(seeds):
        asked.append(seeds)
        return Fixed(seeds)

    (v,) = sq.auto_check([make("fake.null", 0.0)], runs_at, budget_s=1e6)
    assert asked == [None, 8] and v.verdict == INCONCLUSIVE and v.seeds == 4
    assert v.sequential["controlled"] and "gave no more seeds at look 2" in v.detail


def test_the_budget_counts_only_the_experiments_of_undecided_claims():
    now = [0.0]
    per_seed_s = {"fake.dear": 10.0, "fake.cheap": 0.25}  # seconds per seed

    class Timed(FakeRuns):
        def __init__(self, seeds):
            super().__init__(seeds)
            self.asked, self.seconds = [], {}

        def values(self, name, mean):
            self.asked.append(name)
            self.seconds[name] = per_seed_s[name] * self.seeds
            now[0] += self.seconds[name]
            return super().values(name, mean)

    asked = []

    def runs_at(seeds):
        asked.append(seeds)
        return Timed(seeds)

    claims = [make("fake.dear", 100.0), make("fake.cheap", 0.0)]  # dear: decided at look 1
    out = sq.auto_check(claims, runs_at, budget_s=50.0, clock=lambda: now[0])
    # look 1 took 41 s: a whole-look estimate (82 s) would stop; cheap's own (2 s, 4 s) fit
    assert out[0].verdict == HOLDS and out[0].sequential["look"] == 1
    assert asked == [None, 8, 16] and out[1].sequential["seeds"] == [4, 8, 16]


def test_the_sequence_does_not_override_a_premise_the_check_requires():
    """A check whose own verdict is inconclusive because a premise is unmet (here: always)
    stays inconclusive although its mean clears the threshold, and is not extended."""
    base = make("fake.gated", 5.0)

    def gated(runs):
        import dataclasses

        return dataclasses.replace(base.check(runs), verdict=INCONCLUSIVE)

    asked = []

    def runs_at(seeds):
        asked.append(seeds)
        return FakeRuns(seeds)

    claim = Claim("fake.gated", "fake", "s", "Lemma 1", gated)
    (v,) = sq.auto_check([claim], runs_at, budget_s=1e6)
    assert v.verdict == INCONCLUSIVE and asked == [None, 8]  # look 1: the sequence is too wide
    assert "the sequence says holds but the check's own verdict is inconclusive" in v.detail
    assert v.sequential["look"] == 2 and not v.sequential["decided"]


def test_equal_seeds_take_the_sign_sequence_and_a_nan_decides_nothing():
    """A zero-width t-mixture interval would hold from two equal seeds; the sign sequence needs
    log M_n(1/2) = log(2^n B(n + a, a)/B(a, a)) >= log(1/alpha) (computed here with scipy)."""
    from scipy.special import betaln

    from twolayer.sequential import SIGN_PRIOR, cs_outcome, sign_decide

    a = SIGN_PRIOR

    def decides(n: int) -> bool:
        return betaln(n + a, a) - betaln(a, a) + n * math.log(2) >= math.log(1 / 0.05)

    n_min = next(n for n in range(1, 60) if decides(n))
    assert cs_outcome([1.0] * (n_min - 1), 0.5, ">=")[0] == INCONCLUSIVE
    assert cs_outcome([1.0] * n_min, 0.5, ">=")[0] == HOLDS
    assert cs_outcome([1.0] * n_min, 0.5, "<=")[0] == FAILS
    v = list(np.linspace(0.9, 1.1, 40))
    assert cs_outcome(v, 0.5, ">=")[0] == HOLDS
    assert cs_outcome(v + [float("nan")], 0.5, ">=")[0] == INCONCLUSIVE
    assert sign_decide(v + [float("nan")], 0.5, ">=") == INCONCLUSIVE
    assert sign_decide(v + [float("inf")], 0.5, ">=") == HOLDS


def test_decide_holds_on_the_claimed_side_including_the_threshold_itself():
    """Documented: ">=" holds when the interval lies at or above the threshold (lo == threshold
    included), "<=" when at or below; the other outcome needs the interval strictly beyond."""
    assert sq.decide((0.5, 2.0), 0.5, ">=") == HOLDS
    assert sq.decide((-1.0, 0.5), 0.5, "<=") == HOLDS
    assert sq.decide((-1.0, 0.5), 0.5, ">=") == INCONCLUSIVE
    assert sq.decide((0.5, 2.0), 0.5, "<=") == INCONCLUSIVE


def test_a_claim_whose_threshold_changes_between_looks_leaves_sequential_control():
    """A check whose threshold at look 2 is not the one of look 1 (e.g. computed from the runs)
    has no single sequence to continue: it is not sequentially controlled and keeps its look-1
    verdict, whatever the later looks would say."""
    def check(runs):
        v = runs.values("fake.moving", 3.0)
        m, ci = mean_ci(v)
        thr = 0.0 if runs.seeds == 4 else 0.1
        from twolayer.stats import compare

        return outcome(compare(ci, thr, ">="), m, ">= thr", ci, len(v), "fake", "own detail",
                       per_seed=v, threshold=thr, direction=">=")

    first = check(FakeRuns(None))
    assert sq.decide(sq.t_cs(FakeRuns(None).values("fake.moving", 3.0), c=C)[1], 0.0,
                     ">=") == INCONCLUSIVE  # look 1 alone does not decide: look 2 is made
    claim = Claim("fake.moving", "fake", "s", "Lemma 1", check)
    (v,) = sq.auto_check([claim], lambda seeds: FakeRuns(seeds), budget_s=1e6, max_looks=4)
    assert v.sequential["controlled"] is False and "comparisons changed" in v.detail
    assert v.seeds == 4 and v.verdict == first.verdict


def _lai_interval(x: np.ndarray, c: float, alpha: float = sq.ALPHA) -> tuple[float, float]:
    """The module docstring's C_n, computed here: X̄ ± sqrt((K−1)·V/(n·(1 − K·c/(n + c)))),
    K = ((1/α)·sqrt((n + c)/c))^(2/n); the whole line when K·c/(n + c) >= 1."""
    n = x.size
    big_k = ((1 / alpha) * math.sqrt((n + c) / c)) ** (2 / n)
    if big_k * c / (n + c) >= 1:
        return -math.inf, math.inf
    half = math.sqrt((big_k - 1) * ((x - x.mean()) ** 2).sum() / (n * (1 - big_k * c / (n + c))))
    return float(x.mean() - half), float(x.mean() + half)


def test_an_undecided_sequence_is_reported_not_the_checks_own_fixed_seed_holds():
    """When the looks stop (here: no time budget for look 2) with the sequence undecided, the
    verdict is the sequence's inconclusive, although the check's own fixed-seed t-interval at
    that look holds: a fixed-seed verdict after optional stopping is not anytime-valid."""
    claim = make("fake.early", 1.5)
    x = np.asarray(FakeRuns(None).values("fake.early", 1.5))
    lo, hi = _lai_interval(x, C)
    assert lo < 0.0 < hi  # the sequence straddles the threshold at look 1 ...
    own = claim.check(FakeRuns(None))
    assert own.verdict == HOLDS  # ... while the check's own 4-seed t-interval clears it
    (v,) = sq.auto_check([claim], lambda seeds: FakeRuns(seeds), budget_s=0.0)
    assert v.sequential["controlled"] and v.sequential["look"] == 1
    assert v.verdict == INCONCLUSIVE and "undecided after look 1" in v.detail


def test_a_check_that_says_error_keeps_its_error_under_seeds_auto():
    """A check that returns the verdict error (while handing over per-seed values) is not judged
    by the sequence: it keeps its own error, not sequentially controlled."""
    from twolayer.claims.base import ERROR

    def check(runs):
        v = runs.values("fake.err", 5.0)
        return outcome(ERROR, None, "n/a", None, len(v), "fake", "broken premise",
                       per_seed=v, threshold=0.0, direction=">=")

    claim = Claim("fake.err", "fake", "s", "Lemma 1", check)
    (v,) = sq.auto_check([claim], lambda seeds: FakeRuns(seeds), budget_s=1e6)
    assert v.verdict == ERROR and v.sequential["controlled"] is False


def test_nested_allows_float32_noise_relative_to_the_values_size():
    """Documented tolerance: 0.01 x the spread over seeds plus 1e-6 of a value's size. Values
    near 1000 with a spread of 1e-4 that moved by 3e-7 relative (float32 rounding in another
    batch size, 3e-4 absolute: above 0.01 x spread = 1e-6, below 1e-6 x 1000 = 1e-3) are
    nested; a move of 2e-6 relative (2e-3) is not."""
    x = 1000.0 + 1e-4 * np.random.default_rng(9).standard_normal(8)
    assert sq.nested(x, np.concatenate([x * (1 + 3e-7), [1000.0]]))
    assert not sq.nested(x, np.concatenate([x * (1 + 2e-6), [1000.0]]))
