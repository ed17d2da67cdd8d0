"""Mutation testing (session 43) of the code of session 42 and the lead's first commits of
session 43 (500798d..ec95027): frei2023's run events bounded over their lost runs
(``theorem1.train_fit``, ``adversarial_noise``, ``appendixA4.margins``, Proposition 2's event),
the box comparisons (``stats.box_p``, ``box_vertices``, ``box_spread_bound``,
``Comparison.other``, ``sequential.box_cs_outcome``) and vashisht2024's moved-point Δ,
maennel2020's ``floor_dominated``, the barak2022 example's bounded fractions, the odd-m set
sizes and summaries, ``twolayer_start``. Each test here failed on a mutant the suite let
through (docs/testing.md).

The oracles: scipy's exact binomial bounds (Beta quantiles) and t tails computed from counts
and values the test chose; brute force over every vertex of a box, or over a fine grid; the
statement's counts by hand on doctored records."""

from __future__ import annotations

import numpy as np
import pytest
from barak_helpers import FakeRuns
from record_check_helpers import check_json, doctored, simulated
from scipy import stats as sps
from test_barak2022 import _bias_runs, _edit, plugin, tiny_records, widen  # noqa: F401
from test_claims_frei import _doctored, tiny_run  # noqa: F401 (fixture)
from test_frei_test_set_size import SETTING

from twolayer.claims import CLAIMS
from twolayer.claims import frei2023 as F
from twolayer.claims.base import judge
from twolayer.record import Record
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def vtiny():
    """test_vashisht_box's tiny linear + XOR study (3 seeds, n_test 80)."""
    import test_vashisht_records as records

    from twolayer.experiments import vashisht2024 as E

    return E.run_study("linxor", records.TINY, records.TINY.sgd, records.CPU)
ALLOWED = 0.2  # 4 delta, delta = 0.05: Theorem 1's failure probability
ERROR, FIT = "frei2023.theorem1.test_error", "frei2023.theorem1.train_fit"
MARGINS = "frei2023.appendixA4.margins"


def upper(k: int, R: int) -> float:
    """The exact 95% interval's upper end of k of R (scipy's Beta quantile)."""
    return 1.0 if k == R else float(sps.beta.ppf(0.975, k + 1, R - k))


def lower(k: int, R: int, settings: int) -> float:
    """The exact interval's lower end of k of R at the Bonferroni level 1 - 0.05/settings."""
    return 0.0 if k == 0 else float(sps.beta.ppf(0.025 / settings, k, R - k + 1))


def _at_T(r: Record) -> int:
    return int(np.flatnonzero(r.times == F._T_of(r))[0])


# ------------------------------------------------------- frei2023's run events, lost runs


def test_lost_runs_stay_among_the_runs_a_failure_is_judged_on(tiny_run):  # noqa: F811
    """``theorem1.test_error``, every setting: 6 runs at error 0.9 (shown past the bound), 9
    lost, 3 at 0. A lost run counts as meeting the bound for *fails*, and stays among the 18
    runs: 6 of 18 shown to miss has its Bonferroni lower end below 4 delta (not fails); left
    out (6 of 9) it would be above: a *fails* decided by the lost runs' absence."""
    exps, _ = tiny_run
    S = len(exps.get("frei2023.regime"))
    assert lower(6, 18, S) < ALLOWED < lower(6, 9, S)

    def edit(r):
        r.arrays["final/frei_test/test_error"][:] = [np.nan] * 9 + [0.9] * 6 + [0.0] * 3

    v = judge(CLAIMS[ERROR], _doctored(exps, edit))
    assert v.verdict == INCONCLUSIVE, v.detail
    for lab in exps.get("frei2023.regime"):
        assert f"{lab}: 15 of 18 not shown to meet the bound (9 of them lost), 6 shown to " \
               "miss it" in v.detail, v.detail


@pytest.fixture(scope="module")
def fit60(tmp_path_factory):
    """60 runs of test_frei_test_set_size's setting (T = 2)."""
    root = tmp_path_factory.mktemp("fit60")
    return Record.load(simulated(root, [*SETTING, "--n-test", "200"]))


def test_a_lost_training_fit_does_not_hide_the_runs_that_misfit(fit60, tmp_path, capsys):
    """``theorem1.train_fit`` on 60 runs: 54 fit every training point at T, 5 misfit (clean
    accuracy 0.5), 1 lost (NaN). For *holds* the lost run joins the runs not shown to meet the
    bound, and the 5 that misfit are among them too: 6 of 60, exact upper end 0.205 > 4 delta,
    not holds. Counting only the lost one (1 of 60, upper end 0.08) would hold."""
    assert upper(1, 60) < ALLOWED < upper(6, 60)
    i = _at_T(fit60)
    clean = fit60["frei_samples/acc_clean"].astype(float).copy()
    noisy = fit60["frei_samples/acc_noisy"].astype(float).copy()
    clean[:, i], noisy[:, i] = 1.0, 0.0
    clean[0, i] = np.nan
    clean[1:6, i] = 0.5
    path = doctored(fit60, tmp_path / "doc", **{"frei_samples/acc_clean": clean,
                                                "frei_samples/acc_noisy": noisy})
    _, out = check_json(capsys, path, FIT)
    (row,) = [r for r in out if r["id"] == FIT]
    assert row["verdict"] == INCONCLUSIVE, row["detail"]
    assert "6 of 60 not shown to meet the bound (1 of them lost), 5 shown to miss it" \
        in row["detail"], row["detail"]


def _margins(lost_noisy: bool, without_noisy: bool):
    """Every run's clean margin 1 and noisy margin -1 at T (both past gamma); run 0 with its
    noisy margin lost (NaN), and given ``without_noisy`` no noisy training point."""
    def edit(r):
        i = _at_T(r)
        r.arrays["frei_samples/margin_clean_min"][:, i] = 1.0
        r.arrays["frei_samples/margin_noisy_max"][:, i] = -1.0
        if lost_noisy:
            r.arrays["frei_samples/margin_noisy_max"][0, i] = np.nan
        if without_noisy:
            r.arrays["static/noisy"][0] = False
    return edit


def test_a_lost_noisy_margin_is_a_lost_run_where_the_run_has_noisy_points(tiny_run):  # noqa: F811
    """``appendixA4.margins``: run 0 of every setting has noisy training points and its noisy
    margin is lost. Its side of gamma is unknown (the clean margin alone does not decide it):
    a lost run, 1 of 18 not shown to meet, so the claim cannot hold (the other 17 meet it)."""
    exps, _ = tiny_run
    for r in exps.get("frei2023.regime").values():
        assert r.arrays["static/noisy"][0].any()
    assert upper(0, 18) < ALLOWED < upper(1, 18)
    assert judge(CLAIMS[MARGINS], _doctored(exps, _margins(False, False))).verdict == HOLDS
    v = judge(CLAIMS[MARGINS], _doctored(exps, _margins(True, False)))
    assert v.verdict == INCONCLUSIVE, v.detail
    assert "run(s) with a lost (non-finite) value" in v.detail, v.detail


def test_a_run_without_noisy_points_is_judged_on_its_clean_margin(tiny_run):  # noqa: F811
    """The same run 0 with no noisy training point: max over the empty N is NaN by definition,
    not a lost value, and the run is judged on its clean margin (1 >= gamma): every run meets
    the bound and the claim holds, no run lost."""
    exps, _ = tiny_run
    v = judge(CLAIMS[MARGINS], _doctored(exps, _margins(True, True)))
    assert v.verdict == HOLDS, v.detail
    assert "lost (non-finite)" not in v.detail, v.detail


def test_a_run_that_misfits_misses_the_adversarial_event_whatever_its_lost_error(tiny_run):  # noqa: F811
    """``theorem1.adversarial_noise``: a run meets the event with no training point misfit and
    err_P <= the bound. Runs with a misfit training point (clean accuracy 0.5 at T) whose test
    error is lost miss the event whatever that error was: shown to miss, not lost. With as many
    such runs as the exact lower end needs to pass 4 delta (the others meeting it), the claim
    fails."""
    exps, _ = tiny_run
    R = exps.get("frei2023.adversarial").seeds
    k = next(k for k in range(1, R + 1) if lower(k, R, 1) > ALLOWED)
    assert upper(k, R) > ALLOWED

    def edit(r):
        i = _at_T(r)
        r.arrays["frei_samples/acc_clean"][:, i] = 1.0
        r.arrays["frei_samples/acc_noisy"][:, i] = 0.0
        r.arrays["final/frei_test/test_error"][:] = 0.0
        r.arrays["frei_samples/acc_clean"][:k, i] = 0.5
        r.arrays["final/frei_test/test_error"][:k] = np.nan

    v = judge(CLAIMS["frei2023.theorem1.adversarial_noise"],
              _doctored(exps, edit, "frei2023.adversarial"))
    assert v.verdict == FAILS, v.detail
    assert "lost (non-finite)" not in v.detail, v.detail
    assert f"{k} shown to miss it" in v.detail, v.detail


def test_the_adversarial_runs_violating_count_the_misfit_runs(tiny_run):  # noqa: F811
    """The same event with the k misfit runs' test errors measured at 0 (below the bound): they
    still miss it (a training point misfit), so the detail's count and the measured rate are k
    of R runs violating, and the claim fails."""
    exps, _ = tiny_run
    R = exps.get("frei2023.adversarial").seeds
    k = next(k for k in range(1, R + 1) if lower(k, R, 1) > ALLOWED)

    def edit(r):
        i = _at_T(r)
        r.arrays["frei_samples/acc_clean"][:, i] = 1.0
        r.arrays["frei_samples/acc_noisy"][:, i] = 0.0
        r.arrays["final/frei_test/test_error"][:] = 0.0
        r.arrays["frei_samples/acc_clean"][:k, i] = 0.5

    v = judge(CLAIMS["frei2023.theorem1.adversarial_noise"],
              _doctored(exps, edit, "frei2023.adversarial"))
    assert v.verdict == FAILS, v.detail
    assert f"adversarial: {k} of {R} runs violate" in v.detail, v.detail
    assert v.measured == pytest.approx(k / R)


def test_a_lost_movement_counts_as_meeting_the_bound_when_the_event_fails(tiny_run):  # noqa: F811
    """``prop2.feature_movement``'s run event of the bound itself, every setting: k runs far
    below the bound (violating), l lost (NaN), the rest far above, with k of R's Bonferroni
    lower end below 4 delta and both k + l of R's and k of R − l's above it. For *fails* a lost
    run counts as meeting the bound and stays among the R runs: the event is not shown to fail
    (inconclusive), whatever the lost runs' movements were."""
    exps, _ = tiny_run
    rec = exps.get("frei2023.movement")
    K, R = int(rec.meta["groups"]), rec.seeds
    k, l = next((k, l) for k in range(1, R) for l in range(1, R - k)
                if lower(k, R, K) < ALLOWED < min(lower(k + l, R, K), lower(k, R - l, K)))

    def edit(r):
        v = r.arrays["static/init_var_md"].reshape(K, R)[:, 0]
        scale = np.array([np.nan] * l + [1e-9] * k + [1e6] * (R - k - l))
        mov = (scale[None, :] * (1.0 + 0.01 * np.arange(R))[None, :] / np.sqrt(v)[:, None])
        r.arrays["frei_features/movement_min"][:, _at_T(r)] = mov.reshape(-1)

    v = judge(CLAIMS["frei2023.prop2.feature_movement"], _doctored(exps, edit, "frei2023.movement"))
    assert f"{k} of {R - l} runs violate (inconclusive: " in v.detail, v.detail
    assert f"{K * l} run(s) with a lost (non-finite) movement" in v.detail, v.detail


# ------------------------------------------------------------ box comparisons (stats, sequential)


def test_box_spread_bound_is_the_least_bound_of_its_family_and_valid() -> None:
    """``stats.box_spread_bound``: min over c of Σ(|m_i − c| + r_i)² (its docstring), which
    bounds max over the box of Σ(x_i − x̄)². The oracle: that convex function of c on a grid of
    20001 points over [min m, max m] (the least it can be is at most the grid's least), and the
    spread at every vertex of the box (the bound is never below it)."""
    import itertools

    from twolayer.stats import box_spread_bound

    rng = np.random.default_rng(43)
    for _ in range(40):
        n = int(rng.integers(2, 8))
        lo = rng.normal(0.0, 1.0, n) * rng.choice([0.01, 1.0])
        hi = lo + rng.uniform(0.0, 0.5, n) * (rng.random(n) < 0.8) * np.abs(lo).max()
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        cs = np.linspace(mid.min(), mid.max(), 20001)
        family = ((np.abs(mid[None, :] - cs[:, None]) + half[None, :]) ** 2).sum(1)
        worst = max(float(((np.array(x) - np.mean(x)) ** 2).sum())
                    for x in itertools.product(*zip(lo, hi)))
        got = box_spread_bound(lo, hi)
        assert got >= worst * (1 - 1e-12) - 1e-15, (lo, hi)
        assert got <= float(family.min()) * (1 + 1e-6) + 1e-15, (lo, hi, got, family.min())


def test_box_p_past_the_vertex_limit_by_hand() -> None:
    """Above 16 seeds ``box_p`` bounds t from below by (x̄(lo) − b)·√n/S with S² the spread
    bound over n − 1 (its docstring). For 20 seeds each in [a, a + w], the bound is exact:
    max Σ(x_i − x̄)² = 20·(w/2)² (ten seeds at each end; c at the common midpoint gives the
    same), so the claimed side's p is P(T_19 ≥ (a − b)·√20 / ((w/2)·sqrt(20/19))) (scipy), and
    the other side's, judged on the box of −x, the same with a + w for a."""
    from twolayer.stats import box_p

    n, a, w, b = 20, 0.3, 0.2, 0.25
    lo, hi = np.full(n, a), np.full(n, a + w)
    s = (w / 2) * np.sqrt(n / (n - 1))
    up = float(sps.t.sf((a - b) * np.sqrt(n) / s, n - 1))
    got = box_p(lo, hi, b, ">=")
    assert got[0] == pytest.approx(up, rel=1e-6)
    assert got[1] == 1.0  # the box holds vectors with mean above b: p >= 1/2, returned as 1
    # "<=": the claimed side is "mean <= b'", judged on -x: the mean of -hi against -b'
    b2 = 0.6
    down = float(sps.t.sf((b2 - (a + w)) * np.sqrt(n) / s, n - 1))
    got = box_p(lo, hi, b2, "<=")
    assert got[0] == pytest.approx(down, rel=1e-6) and got[1] == 1.0



def test_box_p_at_sixteen_seeds_is_exact_at_the_vertices() -> None:
    """Up to 16 seeds (``BOX_VERTICES_MAX``) ``box_p`` tries every vertex, so at 16 its p is the
    largest one-sample t-test p over the 2^16 vertices (a box that holds no vector of equal
    values), not the looser spread bound used above: numpy's t at every vertex, scipy's tail."""
    import itertools

    from twolayer.stats import box_p

    rng = np.random.default_rng(1643)
    n, bound = 16, 0.01
    lo = rng.normal(0.03, 0.01, n)
    hi = lo + rng.uniform(0.0, 0.01, n)
    assert hi.min() < lo.max()  # no x = c·1 inside: no sign-test case
    x = np.array(list(itertools.product(*zip(lo, hi))))
    t = (x.mean(1) - bound) * np.sqrt(n) / x.std(1, ddof=1)
    exact = float(sps.t.sf(t.min(), n - 1))
    assert exact < 0.5
    assert box_p(lo, hi, bound, ">=")[0] == pytest.approx(exact, rel=1e-9)



def test_box_sequence_past_the_vertex_limit_by_hand() -> None:
    """``sequential.box_cs_outcome`` above 16 seeds: the hull is [x̄(lo) − f·sqrt(V⁺/n),
    x̄(hi) + f·sqrt(V⁺/n)] (its docstring), f the half-width factor of ``t_cs`` at n seeds.
    For 20 seeds each in [a, a + w], V⁺ = 20·(w/2)² is exact, so the hull is
    [a − f·w/2, a + w + f·w/2]; f is read from ``t_cs`` at the vertex with ten seeds at each
    end, whose S = sqrt(Σ(x_i − x̄)²/n) is w/2."""
    from twolayer.sequential import box_cs_outcome, t_cs

    n, a, w = 20, 0.3, 0.2
    lo, hi = np.full(n, a), np.full(n, a + w)
    mean, (_, top) = t_cs(np.r_[lo[:10], hi[10:]])
    f = (top - mean) / (w / 2)
    assert mean == pytest.approx(a + w / 2) and np.isfinite(f) and f > 0
    verdict, _, hull = box_cs_outcome(lo, hi, 0.0, ">=")
    assert hull[0] == pytest.approx(a - f * w / 2, rel=1e-9)
    assert hull[1] == pytest.approx(a + w + f * w / 2, rel=1e-9)


def test_box_sequence_judges_near_flat_vertices_by_the_sign_sequence() -> None:
    """Four seeds known within intervals 3e-13 wide around 1 (no vector of exactly equal
    values inside: one seed's low end is above another's high end), threshold 0.5: every
    vertex has no spread up to 1e-12 relative, which ``cs_outcome`` judges by the sign
    sequence, and 4 seeds cannot decide it; so the box verdict, one that ``cs_outcome`` gives
    at every vertex, is inconclusive (the t hull alone, a few 1e-12 wide, would hold)."""
    import itertools

    from twolayer.sequential import box_cs_outcome, cs_outcome

    lo = 1.0 + np.array([0.0, 1e-13, 2e-13, 4e-13])
    hi = lo + 3e-13
    assert lo.max() > hi.min()
    at_vertices = {cs_outcome(np.array(x), 0.5, ">=")[0] for x in itertools.product(*zip(lo, hi))}
    assert at_vertices == {INCONCLUSIVE}
    verdict, _, hull = box_cs_outcome(lo, hi, 0.5, ">=")
    assert hull[0] > 0.5  # the t hull alone would hold
    assert verdict == INCONCLUSIVE



def test_moved_bounds_are_the_range_of_every_consistent_per_point_record() -> None:
    """``vashisht2024.moved_bounds`` given the clean accuracy: the S-rand accuracy over the
    n − kept moved points, over every per-point record consistent with the stored counts (n = 6
    points, the first ``kept`` left in place and classified as on their clean input; N clean
    correct, A S-rand correct), brute force over which points are correct. The bounds contain
    that range and are its ends wherever those are in [0, 1] (the clean count decides the kept
    points' share: at N < kept at most N of them are correct)."""
    import itertools

    from twolayer.claims.vashisht2024 import moved_bounds

    n = 6
    for kept in (1, 2, 3):
        for N in range(n + 1):
            for A in range(n + 1):
                seen = set()
                for clean in itertools.product((0, 1), repeat=n):
                    if sum(clean) != N:
                        continue
                    m = A - sum(clean[:kept])  # the moved points' S-rand correct count
                    if 0 <= m <= n - kept:
                        seen.add(m / (n - kept))
                if not seen:
                    continue
                lo, hi = moved_bounds(np.array([A / n]), kept, n, np.array([N / n]))
                assert lo[0] <= min(seen) + 1e-12 and hi[0] >= max(seen) - 1e-12
                if 0.0 <= lo[0] and hi[0] <= 1.0:
                    assert lo[0] == pytest.approx(min(seen)), (kept, N, A)
                    assert hi[0] == pytest.approx(max(seen)), (kept, N, A)



def test_clean_simple_near_half_fails_only_where_every_possible_value_fails(vtiny) -> None:
    """Claim 1's "S-rand <= 0.55", the mirror of test_vashisht_box's "S-rand >= 0.45" case:
    clean counts 79 of 80, so the kept point may be the one clean error and each seed's
    moved-point accuracy is (c − 1)/79 or c/79. At S-rand counts 46, 45, 45 the high ends fail
    "<= 0.55" (scipy: 3p < 0.05), the low ends do not (p > 0.05): inconclusive, not fails."""
    from scipy import stats as st
    from test_vashisht_box import N, _simple_record
    from test_vashisht_records import _verdict

    c = np.array([46, 45, 45])
    lo, hi = (c - 1) / (N - 1), c / (N - 1)
    assert 3 * st.ttest_1samp(hi, 0.55, alternative="greater").pvalue < 0.05
    assert st.ttest_1samp(lo, 0.55, alternative="greater").pvalue > 0.05
    assert _verdict(_simple_record(vtiny, c, [79, 79, 79]), "clean_simple") == INCONCLUSIVE


def test_clean_simple_c_rand_reads_the_kept_point_from_the_clean_count(vtiny) -> None:
    """Claim 1's "C-rand >= 0.95" at n_test = 28 (the record's plan edited; the accuracies are
    counts over 28), where the probe's C permutation leaves one point in place and the S one
    none (``kept_in_place``, read off the probe's own permutation). Every run classifies all
    28 clean points, so the kept point is right on C-rand too: each seed's moved-point accuracy
    is (T − 1)/27 exactly. At C-rand counts 24, 25, 24 those fail ">= 0.95" (scipy: 3p <
    0.05); the bounds without the clean count, [(T − 1)/27, T/27], would not (the high ends'
    p > 0.05/3): the C-rand bounds must be given the clean count (mutant v12, session 43)."""
    from test_vashisht_records import _doctor, _plant, _verdict

    from twolayer.claims import vashisht2024 as V

    n, t = 28, np.array([24, 25, 24])
    assert V.kept_in_place(n) == (0, 1)
    values = _plant()
    values[("c_rand_acc", "keep", 0.0)] = list(t / n)
    values[("clean_acc", "keep", 0.0)] = [1.0, 1.0, 1.0]
    values[("s_rand_acc", "keep", 0.0)] = list(np.array([14, 15, 13]) / n)
    rec = _doctor(vtiny, values)
    rec.meta["study"]["plan"]["n_test"] = n
    moved = (t - 1) / (n - 1)
    assert 3 * sps.ttest_1samp(moved, 0.95, alternative="less").pvalue < 0.05
    assert 3 * sps.ttest_1samp(t / (n - 1), 0.95, alternative="less").pvalue > 0.05
    fam = V.clean_simple_family(rec)[1]
    np.testing.assert_allclose(fam[2].per_seed, moved, atol=1e-6)
    assert fam[2].outcome == FAILS
    assert _verdict(rec, "clean_simple") == FAILS


# ---------------------------------------------------------------- the trained zero neuron


@pytest.mark.parametrize("m, layer, trained, zero", [
    (7, "frei", True, True),  # a_7 = 0 at t = 0, then trained: in no J_mu
    (8, "frei", True, False),  # even m: every a_j = +-1/sqrt(m), no zero neuron
    (7, "frei", False, False),  # fixed layer: the zero neuron never moves (EVEN_WIDTH's case)
    (7, "gaussian", True, False),  # a_j ~ N(0, 1/m): no a_j is 0
])
def test_the_trained_zero_neuron_premise_by_the_card(m, layer, trained, zero):
    """``zero_neuron_trained``: an odd m with the fixed +-1/sqrt(m) layout (a_m = 0, card
    section 2) and a second layer that trains; the premise named by the claims' regime and
    by ``conditions`` (``model_gaps``) exactly then."""
    from twolayer.commands.conditions import model_gaps
    from twolayer.config import Config, DataConfig, NetConfig, TrainConfig

    cfg = Config(data=DataConfig(d=30, n=60, noise=0.15, sigma2=0.2 / 30),
                 net=NetConfig(m=m, second_layer=layer, train_second_layer=trained),
                 train=TrainConfig(lr=0.125, steps=2), seeds=2).to_dict()
    assert F.zero_neuron_trained(cfg) is zero
    named = [g for g in model_gaps(cfg) if F.ZERO_NEURON_TRAINED in g]
    assert len(named) == int(zero), model_gaps(cfg)


def test_a_sweep_with_one_trained_zero_neuron_names_it():
    """The regime of a sweep of records (``regime_of_records``) names the trained zero neuron
    premise as unmet when *any* record has one (here one of two), as EVEN_WIDTH does for any odd
    width; not for records that have none."""
    from twolayer.config import Config, DataConfig, NetConfig, TrainConfig

    def rec(m: int, trained: bool) -> Record:
        cfg = Config(data=DataConfig(d=30, n=60, noise=0.15, sigma2=0.2 / 30),
                     net=NetConfig(m=m, init_var=1e-6 / (m * 30), train_second_layer=trained),
                     train=TrainConfig(lr=0.125, steps=2), seeds=2).to_dict()
        return Record(cfg, f"m{m}{trained}", np.array([0, 2]), {}, {})

    for at_init in (False, True):
        inside, text = F.regime_of_records([rec(8, False), rec(7, True)], at_init=at_init)
        assert not inside and f"{F.ZERO_NEURON_TRAINED}: no" in text, text
        _, text = F.regime_of_records([rec(8, False), rec(7, False)], at_init=at_init)
        assert F.ZERO_NEURON_TRAINED not in text, text


# ------------------------------------------------------------------------- twolayer_start

_AGAIN = r"""
import os, signal, sys, types
import twolayer.cli
import twolayer_start
twolayer.cli.main = lambda argv=None: 0
assert twolayer_start.main() == 0  # a first command, run to its end
class Cli(types.ModuleType):
    def __getattr__(self, name):  # the second start: SIGTERM while its cli is imported
        os.kill(os.getpid(), signal.SIGTERM)
        return lambda argv=None: 0
sys.modules["twolayer.cli"] = Cli("twolayer.cli")
sys.exit(twolayer_start.main())
"""


def test_a_second_start_in_one_process_still_stops_on_a_signal(tmp_path):
    """``twolayer_start.main`` run twice in one process (its handlers restored in between): a
    SIGTERM while the second one starts (here raised from the import of its cli, so no outcome
    depends on speed) is the "while starting" line and exit 143, as in the first start; the
    first start's end must not leave the handler ignoring signals."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(__import__("pathlib").Path(F.__file__).parents[2])]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    r = subprocess.run([sys.executable, "-c", _AGAIN], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, start_new_session=True)
    assert r.returncode == 143, (r.returncode, r.stderr)
    assert "twolayer: interrupted (SIGTERM) while starting; nothing written" in r.stderr, r.stderr


# ------------------------------------------------------- the barak2022 example's fractions


def _stuck_curves(runs: FakeRuns, curve: np.ndarray) -> FakeRuns:
    """``runs`` (``_bias_runs``) with k=3 without bias given the validation curves ``curve``."""
    res = dict(runs.get("barak2022.bias"))
    res["k=3,nobias"] = _edit(res["k=3,nobias"], **{"barak_parity/val_error": curve})
    return FakeRuns({"barak2022.bias": res})


def test_bias_claim_counts_a_lost_seed_as_not_staying_for_holds(plugin, tiny_records):  # noqa: F811
    """``c2.bias_odd_k``: 27 of 30 seeds stay (lowest error 0.45) and 3 are lost. Counted as
    not staying (27 of 30 against 0.8: P(X >= 27) = 0.12, above 0.05 whatever Holm's factor)
    the staying part cannot hold; counted as staying (30 of 30: 0.0012, below 0.05/3) it would.
    Nor can it fail (30 staying is possible): inconclusive. The same for 3 seeds whose lowest
    measured error is exactly 0.4 (>= 0.4: not a dip) with an error lost: they could have dipped
    at the lost probe, so they are lost, not staying."""
    c = plugin["claims"]
    rec = tiny_records["solved"]
    assert sps.binom.sf(26, 30, 0.8) > 0.05 and sps.binom.sf(29, 30, 0.8) < 0.05 / 3
    stay = np.array([np.nan] * 3 + [0.45] * 27)
    out = c.bias_odd_k(_bias_runs(rec, stay))
    assert out.verdict == INCONCLUSIVE, out.detail
    runs = _bias_runs(rec, np.array([0.4] * 3 + [0.45] * 27))
    curve = runs.get("barak2022.bias")["k=3,nobias"]["barak_parity/val_error"].astype(float)
    curve[:3, curve.shape[1] // 2] = 0.4  # exactly (float64)
    curve[:3, -1] = np.nan
    out = c.bias_odd_k(_stuck_curves(runs, curve))
    assert out.verdict == INCONCLUSIVE, out.detail
    assert "3 seed(s) with a lost (NaN) error" in out.detail, out.detail


def test_bias_claim_a_seed_seen_to_dip_is_not_lost(plugin, tiny_records):  # noqa: F811
    """7 of 16 seeds stay, 9 dip to 0.2 and then have a lost error at a later probe: a seed
    measured below 0.4 does not stay whatever its lost value, so 7 of 16 stay, P(X <= 7) under
    0.8 far below 0.05/3: fails (counting the 9 as lost, hence staying for fails, it could not)."""
    c = plugin["claims"]
    rec = tiny_records["solved"]
    assert sps.binom.cdf(7, 16, 0.8) < 0.05 / 3
    runs = _bias_runs(rec, np.array([0.48] * 7 + [0.2] * 9))
    curve = runs.get("barak2022.bias")["k=3,nobias"]["barak_parity/val_error"].astype(float)
    curve[7:, -1] = np.nan
    out = c.bias_odd_k(_stuck_curves(runs, curve))
    assert out.verdict == FAILS, out.detail
    assert "lost (NaN)" not in out.detail, out.detail


def test_label_noise_holds_with_a_lost_seed_counted_as_failing(plugin, tiny_records):  # noqa: F811
    """``c6.label_noise``: 11 of 12 seeds reach clean accuracy 0.9, 1 is lost before. Counted
    as not reaching it, the exact interval of 11/12 starts at 0.615 > 0.6 (scipy): holds
    whatever the lost seed did."""
    c = plugin["claims"]
    rec = tiny_records["solved"]
    many = {k: np.concatenate([v] * 3)[:12] for k, v in rec.arrays.items()}
    base = _edit(rec, **many)
    base.config = dict(rec.config, seeds=12)
    err = np.full_like(base["barak_parity/val_error"], 0.4)
    err[1:, -1] = 0.0
    err[0, -1] = np.nan
    assert sps.binomtest(11, 12).proportion_ci(0.95, method="exact").low > 0.6
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(base, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == HOLDS, out.detail
    assert "1 seed(s) with a lost (NaN) validation error" in out.detail, out.detail


def _noise_base(rec) -> Record:
    many = {k: np.concatenate([v] * 3)[:12] for k, v in rec.arrays.items()}
    base = _edit(rec, **many)
    base.config = dict(rec.config, seeds=12)
    return base


def test_label_noise_reads_accuracy_above_0_9_strictly(plugin, tiny_records):  # noqa: F811
    """"clean validation accuracy > 0.9" is an error below 0.1: 11 of 12 seeds whose lowest
    error is exactly 0.1 (float64) do not reach it, 1 does: 1/12, exact interval below 0.6,
    fails (read as <= 0.1 it would hold)."""
    c = plugin["claims"]
    base = _noise_base(tiny_records["solved"])
    err = np.full(base["barak_parity/val_error"].shape, 0.4)
    err[:, -1] = 0.1
    err[0, -1] = 0.0
    assert sps.binomtest(1, 12).proportion_ci(0.95, method="exact").high < 0.6
    out = c.label_noise(FakeRuns({"barak2022.noise": _edit(base, **{
        "barak_parity/val_error": err})}))
    assert out.verdict == FAILS, out.detail
    assert out.measured == pytest.approx(1 / 12)


def test_plateau_drop_a_lost_error_at_0_7_tc_is_open(plugin, tiny_records):  # noqa: F811
    """``fig1.plateau_drop``, 40 solved seeds with t_c = 200: error 0.5 at every probe but t =
    140 = 0.7 t_c, lost. Filled with an error <= 0.45 the seed drops there (t_c − t_0.45 = 60 =
    0.3 t_c) after its plateau; filled above 0.45 it never drops: open, not shown (brute force
    over both fillings). So 0 of 40 shown, 40 open: inconclusive, the open seeds named."""
    c = plugin["claims"]
    rec = widen(tiny_records["solved"], 10)
    T = rec.times.astype(float)
    assert 140 in T and T[-1] > 200 and rec.seeds == 40
    err = np.full((40, T.size), 0.5)
    err[:, T == 140] = np.nan

    def statement(e):  # the statement for one solved seed, written out (t_c = 200)
        hit = np.flatnonzero(e <= 0.45)
        return hit.size > 0 and bool(np.all(e[T <= 100] >= 0.45)) and 200 - T[hit[0]] <= 60

    outs = set()
    for fill in (0.0, 1.0):
        e = err[0].copy()
        e[T == 140] = fill
        outs.add(statement(e))
    assert outs == {True, False}
    doctored_ = _edit(rec, **{"barak_parity/val_error": err, "static/t_c": np.full(40, 200)})
    out = c.plateau_drop(FakeRuns({"barak2022.curves": {"n=8,k=2": doctored_}}))
    assert out.verdict == INCONCLUSIVE, out.detail
    assert out.measured == 0.0
    assert "40 solved seed(s) with a lost validation error" in out.detail, out.detail



# ---------------------------------------------------------------- maennel2020's floor guard


@pytest.mark.parametrize("m_rand, floor_rand, dominated", [
    (0.5, 0.25, False),  # M_rand - F_rand = F_rand exactly: clearly enough above, judged
    (0.49, 0.25, True),  # below twice the floor
    (0.4, 0.25, True),  # 0.15 above the floor, less than F_rand
    (1.0, 0.25, False),
    (float("nan"), 0.25, True),  # not finite: no interval
    (0.5, float("nan"), True),
])
def test_floor_dominated_by_its_rule(m_rand, floor_rand, dominated):
    """``maennel2020.floor_dominated``: q is judged only where M_rand − F_rand >= F_rand
    (section 25's rule, FLOOR_RATIO = 1); below it, or where either is not finite, the record
    gets no interval (the values are exact in binary, so the edge is the rule's own)."""
    from types import SimpleNamespace

    from twolayer.claims.maennel2020 import floor_dominated

    a = SimpleNamespace(m_rand=m_rand, floor_rand=floor_rand)
    assert floor_dominated(a) is dominated
