"""``--seeds auto`` for the Holm-judged claims of Badger (2022) and Frei et al. (2023): their
Outcomes carry the comparisons the verdict was decided from, per seed in run order.

On the doctored (failing) and in-regime (holding) fake records of the existing claim tests:

- (a) the comparisons, re-judged independently by :func:`twolayer.stats.holm_outcomes` with
  the claim's test and rule, give the claim's own verdict (holds on one record, fails on the
  other), and each carries one value per run;
- (b) :func:`twolayer.sequential.judge_comparisons` on them never says the opposite (holds vs
  fails) of the claim;
- (c) :func:`twolayer.sequential.auto_check` over a fake Runs whose seed count grows decides
  Badger's sign-test claims at a later look, on their claimed side (holds on in-regime records,
  fails on doctored ones) — a claim without comparisons would stay uncontrolled.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_badger2022_records import (  # noqa: F401  (tiny: a module fixture)
    DOCTOR,
    HOLD,
    SEEDS,
    doctored,
    runs_with,
    tiny,
    widen,
)
from test_claims_frei import (  # noqa: F401  (tiny_run: a module fixture)
    DOCTORED,
    _doctored,
    tiny_run,
)

from twolayer import sequential as sq
from twolayer.claims.base import CLAIMS, judge_outcome
from twolayer.experiments import badger2022 as xb
from twolayer.record import Record
from twolayer.stats import FAILS, HOLDS, INCONCLUSIVE, combine, holm_outcomes

BADGER_HOLM = {  # claim → its test and number of comparisons on the tiny plan (3 fractions)
    "badger2022.c1.memorise_slower": ("t", 2),
    "badger2022.c2.noise_helps": ("sign", 3),
    "badger2022.c3.sizes_epochs": ("t", None),  # 2 per width
    "badger2022.c3.sizes_steps": ("t", None),
    "badger2022.c4.matched_sensitivity": ("sign", 1),
    "badger2022.c4.normal_drives_down": ("sign", 1),
}
FREI_HOLM = {  # claim → its test and number of comparisons on the tiny plan
    "frei2023.lemma4.weak_correlations": ("t", 6),  # 2 slope sides + 2 levels at each of 2 d
    # the typical run's slopes (a run that is not good may be far off): exact sign tests
    "frei2023.lemma12.typical_d_independent": ("sign", 2),
    "frei2023.prop2.feature_movement": ("sign", 2),
    "frei2023.fig1.boundary": ("t", 3),
    "frei2023.theorem1.excess_trend": ("sign", 2),
}
OPPOSITE = {HOLDS: FAILS, FAILS: HOLDS}


def rejudge(o) -> str:  # type: ignore[no-untyped-def]
    """The claim's verdict recomputed from its comparisons: Holm at 95% with the claim's test,
    then its rule (default: every one must hold)."""
    (test,) = {c.test for c in o.comparisons}
    outs = holm_outcomes([(c.values, c.threshold, c.direction) for c in o.comparisons],
                         level=0.95, method=test)
    return o.rule(outs) if o.rule is not None else combine(*outs)


def check_both_ways(v, o, want: str, test: str, k: int | None, runs: int) -> None:  # type: ignore[no-untyped-def]
    assert v.verdict == want, (v.id, v.verdict, v.detail)
    assert o is not None and o.comparisons, v.id
    assert {c.test for c in o.comparisons} == {test}, v.id
    if k is not None:
        assert len(o.comparisons) == k, (v.id, len(o.comparisons))
    assert all(len(c.values) == runs for c in o.comparisons), v.id  # one value per run
    # (a) an independent re-judgement of the comparisons gives the claim's verdict
    assert rejudge(o) == want, (v.id, want)
    # (b) the sequences never decide the other way
    seq, parts = sq.judge_comparisons(o.comparisons, rule=o.rule)
    assert seq != OPPOSITE[want], (v.id, seq, parts)


def _badger_result(tiny, spec):  # type: ignore[no-untyped-def]  # noqa: F811
    name, part, edit = spec
    result = tiny[name]
    if part is None:
        return name, doctored(result, edit)
    return name, {k: doctored(r, edit) if part in ("*", k) else r for k, r in result.items()}


# ---- Badger ----------------------------------------------------------------------------------


@pytest.mark.parametrize("want", [HOLDS, FAILS])
@pytest.mark.parametrize("cid", sorted(BADGER_HOLM))
def test_badger_holm_claims_carry_their_comparisons(cid, want, tiny, tmp_path) -> None:  # noqa: F811
    name, result = _badger_result(tiny, (HOLD if want == HOLDS else DOCTOR)[cid])
    v, o = judge_outcome(CLAIMS[cid], runs_with(tmp_path, {**tiny, name: result}))
    test, k = BADGER_HOLM[cid]
    check_both_ways(v, o, want, test, k, SEEDS)


def test_badger_sign_comparison_is_the_per_seed_log_ratio(tiny, tmp_path) -> None:  # noqa: F811
    """The comparison of c4.normal_drives_down is log(S(T)/S(0)) per seed at f = 1, computed
    here from the record's arrays (S = jacc/zrms), not the claim's code."""
    rec = doctored(tiny["badger2022.objectives"], HOLD["badger2022.c4.normal_drives_down"][2])
    view = xb.objective_runs(copy.deepcopy(rec))
    i = view.fractions.index(1.0)
    s = view.get("normal/jacc_train")[i] / view.get("normal/zrms_train")[i]
    want = np.log(s[:, -1] / s[:, 0])
    _, o = judge_outcome(CLAIMS["badger2022.c4.normal_drives_down"],
                         runs_with(tmp_path, {**tiny, "badger2022.objectives": rec}))
    (c,) = o.comparisons
    assert (c.threshold, c.direction, c.test) == (0.0, "<=", "sign")
    np.testing.assert_allclose(c.values, want, rtol=1e-12)


class GrowingRuns:
    """A fake Runs: the objectives record at ``seeds`` seeds (the tiny runs repeated cyclically,
    so a record with more seeds starts with the runs of one with fewer), edited by ``edit``."""

    def __init__(self, base: dict[str, object], edit, seeds: int | None) -> None:  # type: ignore[no-untyped-def]
        self.quick = True
        self.seeds = 4 if seeds is None else seeds
        view = xb.objective_runs(copy.deepcopy(base["badger2022.objectives"]))
        widen(view, self.seeds)
        edit(view)
        self._rec: Record = view.to_record()

    def get(self, name: str) -> object:
        assert name == "badger2022.objectives", name
        return self._rec


SIGN_CLAIMS = ("badger2022.c2.noise_helps", "badger2022.c4.matched_sensitivity",
               "badger2022.c4.normal_drives_down")


@pytest.mark.parametrize("want", [HOLDS, FAILS])
def test_auto_check_decides_badger_sign_claims_at_a_later_look(want, tiny) -> None:  # noqa: F811
    """Look 1 has 4 seeds (no sign test can decide: 2^-4 > 0.05); the sequences decide every
    sign-test claim at a later look, on the side of its record, with the claim's own check
    agreeing at that look."""
    table = HOLD if want == HOLDS else DOCTOR
    for cid in SIGN_CLAIMS:
        asked: list[int | None] = []

        def runs_at(seeds, edit=table[cid][2], asked=asked):  # type: ignore[no-untyped-def]
            asked.append(seeds)
            return GrowingRuns(tiny, edit, seeds)

        (v,) = sq.auto_check([CLAIMS[cid]], runs_at, budget_s=1e6, max_looks=6)
        seqd = v.sequential
        assert seqd["controlled"] is True, (cid, v.detail)
        assert v.verdict == want and seqd["decided"] is True, (cid, v.verdict, v.detail)
        assert seqd["look"] >= 2 and seqd["seeds"][0] == 4, (cid, seqd)
        assert seqd["sign_method"] == sq.SIGN_METHOD
        assert asked[0] is None and asked[1:] == [8, 16, 32, 64, 128][: len(asked) - 1]
        assert f"own fixed-seed verdict at this look: {want}" in v.detail


# ---- Frei ------------------------------------------------------------------------------------


def _fig1_holds(r: Record) -> None:  # the XOR boundary, clean points right, no noisy one fitted
    R = r.arrays["frei_test/agreement"].shape[0]
    jit = 1e-5 * np.arange(R, dtype=float)[:, None]
    r.arrays["frei_test/agreement"][:] = 0.999 + jit
    r.arrays["frei_samples/acc_clean"][:] = 0.999 + jit
    r.arrays["frei_samples/acc_noisy"][:] = 0.001 + jit


FREI_HOLDING = {  # claim → None (holds on the tiny plan's real records) or (experiment, edit)
    "frei2023.lemma4.weak_correlations": None,
    "frei2023.lemma12.typical_d_independent": None,
    "frei2023.prop2.feature_movement": None,
    "frei2023.theorem1.excess_trend": None,  # the median seed: flat (one run of 18 is not)
    "frei2023.fig1.boundary": ("frei2023.fig1", _fig1_holds),
}


def _runs_count(exps, cid: str) -> int:  # type: ignore[no-untyped-def]
    """Runs behind one comparison: seeds per record of the claim's statistic."""
    if cid == "frei2023.fig1.boundary":
        return exps.get("frei2023.fig1").seeds
    if cid == "frei2023.prop2.feature_movement":
        return exps.get("frei2023.movement").seeds
    return next(iter(exps.get("frei2023.regime").values())).seeds


@pytest.mark.parametrize("want", [HOLDS, FAILS])
@pytest.mark.parametrize("cid", sorted(FREI_HOLM))
def test_frei_holm_claims_carry_their_comparisons(cid, want, tiny_run) -> None:  # noqa: F811
    exps, _ = tiny_run
    if want == FAILS:
        name, edit = DOCTORED[cid]
        runs = _doctored(exps, edit, name)
    else:
        spec = FREI_HOLDING[cid]
        runs = exps if spec is None else _doctored(exps, spec[1], spec[0])
    v, o = judge_outcome(CLAIMS[cid], runs)
    test, k = FREI_HOLM[cid]
    check_both_ways(v, o, want, test, k, _runs_count(exps, cid))


def test_frei_weak_correlation_comparisons_against_the_arrays(tiny_run) -> None:  # noqa: F811
    """Lemma 4's comparisons recomputed from the regime records' arrays: per seed, the slope of
    log rms_j rho_j(0) (over neurons and both means) against log d, and sqrt(d)·rms at each d."""
    exps, _ = tiny_run
    recs = sorted((r for r in exps.get("frei2023.regime").values()
                   if r.meta.get("family", "main") == "main"), key=lambda r: r.config["data"]["d"])
    ds = np.array([r.config["data"]["d"] for r in recs], dtype=float)
    rms = np.stack([np.sqrt(((r.arrays["frei_neurons/rho_own"][:, 0] ** 2
                              + r.arrays["frei_neurons/rho_other"][:, 0] ** 2) / 2).mean(-1))
                    for r in recs])  # [D, R]
    slopes = np.polyfit(np.log(ds), np.log(rms), 1)[0]  # [R]
    _, o = judge_outcome(CLAIMS["frei2023.lemma4.weak_correlations"], exps)
    want = [(slopes, -0.6, ">="), (slopes, -0.4, "<=")]
    for i, d in enumerate(ds):
        want += [(rms[i] * np.sqrt(d), 0.5, ">="), (rms[i] * np.sqrt(d), 2.0, "<=")]
    assert len(o.comparisons) == len(want)
    for c, (v, b, side) in zip(o.comparisons, want):
        assert (c.threshold, c.direction, c.test) == (b, side, "t")
        np.testing.assert_allclose(c.values, v, rtol=1e-5)  # float32 arrays, other order


def test_m3_is_a_run_event_per_setting(tiny_run) -> None:  # noqa: F811
    """M3 (the normalised reading of Condition 10, which holds on every good run) is a run event
    like Condition 10's, each setting judged by itself: it carries no comparisons, and its
    per-setting violation counts are those recomputed from the arrays (a run violates when its
    median over J of |rho_other| at t = 1 or at T is above 0.1)."""
    from twolayer.claims import frei2023 as F

    exps, _ = tiny_run
    v, o = judge_outcome(CLAIMS["frei2023.mechanism.other_class_correlation"], exps)
    assert o is not None and o.comparisons is None and sq.comparisons_of(o) is None
    for lab, r in F._regime(exps).items():
        i1, iT = (int(np.flatnonzero(r.times == t)[0]) for t in (1, F._T_of(r)))
        rho = np.abs(r.arrays["frei_neurons/rho_other"].astype(np.float64))
        worst = np.maximum(np.median(rho[:, i1], -1), np.median(rho[:, iT], -1))
        assert f"{lab}: {int((worst > 0.1).sum())} of {r.seeds} runs violate" in v.detail, lab


def test_claims_without_holm_comparisons_stay_uncontrolled(tiny_run) -> None:  # noqa: F811
    """Run-event claims (Clopper–Pearson over runs, per setting) carry no comparisons:
    --seeds auto leaves them to their fixed-seed check."""
    exps, _ = tiny_run
    for cid in ("frei2023.lemma3.init_norms", "frei2023.condition9.alignment"):
        v, o = judge_outcome(CLAIMS[cid], exps)
        assert o is not None and o.comparisons is None and sq.comparisons_of(o) is None, cid
        assert v.verdict in (HOLDS, FAILS, INCONCLUSIVE)
