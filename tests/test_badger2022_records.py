"""Badger (2022) on the experiments layer: the checks read Records only, a Record's store round
trip changes no verdict, every claim fails on a record doctored to break it, and the figures draw
from the stored runs.

The default suite uses the figures' tiny smoke-test runs (``badger2022.figures.*`` in quick
mode, a few seconds), filed under the claims' experiment names as well; the round trip of the
real quick plan (``twolayer check badger2022 --quick``, minutes) is marked slow.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from twolayer.claims import badger2022 as cb  # registers the claims
from twolayer.claims.base import CLAIMS, judge
from twolayer.engine import Runtime
from twolayer.experiments import Runs
from twolayer.experiments import badger2022 as xb
from twolayer.record import Record
from twolayer.stats import FAILS
from twolayer.store import RecordStore

RT = Runtime(device="cpu", progress=False, threads=1)
BADGER = sorted(c for c in CLAIMS if c.startswith("badger2022."))
NAMES = ("objectives", "gates", "switch", "sizes")  # badger2022.<name> ↔ badger2022.figures.<name>


@pytest.fixture(scope="module")
def tiny() -> dict[str, object]:
    """The tiny plan's Records (trained once), keyed by the claims' experiment names."""
    runs = Runs(quick=True, runtime=RT)
    return {f"badger2022.{n}": runs.get(f"badger2022.figures.{n}") for n in NAMES}


def runs_with(store_dir: Path, results: dict[str, object]) -> Runs:
    """A quick-mode Runs whose store holds ``results`` under the claims' experiments' keys."""
    store = RecordStore(store_dir)
    runs = Runs(quick=True, runtime=RT, store=store)
    for name, result in results.items():
        store.put_entry(runs.key(name), result)
    return Runs(quick=True, runtime=RT, store=store)


def verdicts(runs: Runs) -> dict[str, dict]:
    return {cid: judge(CLAIMS[cid], runs).to_json() for cid in BADGER}


def test_badger_experiments_return_storable_records(tiny) -> None:
    from twolayer.experiments import EXPERIMENTS, storable

    for n in NAMES:
        assert f"badger2022.{n}" in EXPERIMENTS and f"badger2022.figures.{n}" in EXPERIMENTS
    for name, result in tiny.items():
        assert storable(result), name
        recs = [result] if isinstance(result, Record) else list(result.values())
        for rec in recs:
            assert rec.times.dtype == np.int64
            for k, a in rec.arrays.items():
                assert a.dtype.kind in "fiub", (name, k, a.dtype)
                assert a.shape[:2] == (len(rec.meta["fractions"]) * rec.meta["seeds"],
                                       rec.times.size), (name, k)
    assert sorted(tiny["badger2022.sizes"]) == ["m=16,N=100", "m=16,N=200", "m=64,N=100",
                                                "m=64,N=200"]
    assert sorted(tiny["badger2022.switch"]) == ["memorise", "normal", "switch"]


def test_view_round_trips_the_record(tiny) -> None:
    rec = tiny["badger2022.objectives"]
    view = xb.objective_runs(rec)
    assert view.fractions == xb.PLANS["tiny"].fractions and view.seeds == 2
    back = view.to_record()
    assert back.meta == rec.meta and back.config == rec.config and back.run_id == rec.run_id
    assert set(back.arrays) == set(rec.arrays)
    # notes keep their order through JSON (a list of pairs, not a dict)
    view.extra = {"steps_per_epoch": 10, "memorise_none": "b", "memorise_0.25": "a"}
    assert list(xb.objective_runs(view.to_record()).extra) == list(view.extra)


def test_store_round_trip_keeps_every_verdict(tiny, tmp_path: Path) -> None:
    """Every check gives the identical verdict (all fields) on the Records read back from the
    store as on the in-memory ones."""
    mem = Runs(quick=True, runtime=RT)
    mem._cache.update(tiny)  # the in-memory Records, as an experiment returns them
    before = verdicts(mem)
    loaded = runs_with(tmp_path, tiny)
    after = verdicts(loaded)
    assert sorted(loaded.reused) == sorted(tiny) and not loaded.trained
    assert after == before
    assert all(v["verdict"] != "error" for v in before.values()), before


@pytest.mark.slow
def test_quick_plan_store_round_trip_keeps_every_verdict(tmp_path: Path) -> None:
    """The real quick plan (as `twolayer check badger2022 --quick`): trained and stored by one
    Runs, read back by another; identical verdicts."""
    store = RecordStore(tmp_path)
    first = Runs(quick=True, runtime=RT, store=store)
    before = verdicts(first)
    second = Runs(quick=True, runtime=RT, store=store)
    after = verdicts(second)
    assert sorted(second.reused) == [f"badger2022.{n}" for n in sorted(NAMES)]
    assert not second.trained
    assert after == before


# ---- doctored records: each claim fails on a record that breaks it ---------------------------


SEEDS = 8  # doctored records carry 8 seeds: the exact sign test cannot decide on the tiny 2


def widen(view: xb.ObjectiveRuns, seeds: int = SEEDS) -> None:
    """Repeat the runs of every fraction cyclically up to ``seeds`` seeds (in place)."""
    take = np.arange(seeds) % view.seeds
    view.arrays = {k: view.get(k)[:, take].reshape(len(view.fractions) * seeds, *a.shape[1:])
                   for k, a in view.arrays.items()}
    view.seeds = seeds


def doctored(rec: Record, edit) -> Record:  # type: ignore[no-untyped-def]
    """A deep copy of ``rec`` widened to SEEDS seeds whose arrays ``edit(view)`` changed in
    place ([F, S, T] views)."""
    view = xb.objective_runs(copy.deepcopy(rec))
    widen(view)
    edit(view)
    return view.to_record()


def ramp(view: xb.ObjectiveRuns) -> np.ndarray:
    """[F, S, T] train accuracy rising linearly from 0 to 1 over the probe times."""
    F, S, T = len(view.fractions), view.seeds, view.times.size
    return np.broadcast_to(np.linspace(0.0, 1.0, T), (F, S, T)).copy()


def set_(view: xb.ObjectiveRuns, key: str, value) -> None:  # type: ignore[no-untyped-def]
    a = view.arrays[key]
    view.arrays[key] = np.broadcast_to(np.asarray(value, dtype=a.dtype),
                                       view.get(key).shape).reshape(a.shape).copy()


def jitter(view: xb.ObjectiveRuns, scale: float = 1e-3) -> np.ndarray:
    """[1, S, 1] small per-seed offsets (so a CI is a proper interval)."""
    return scale * np.arange(view.seeds, dtype=float)[None, :, None]


def break_c1(v: xb.ObjectiveRuns) -> None:  # memorise hold-out below chance
    set_(v, "memorise_chance/acc_holdout", 0.02 + jitter(v))


def break_c2(v: xb.ObjectiveRuns) -> None:  # memorise train accuracy falls with noise 1 − f
    f = np.array(v.fractions)[:, None, None]
    set_(v, "memorise_chance/acc_train", f * ramp(v) + jitter(v))


def break_c4_matched(v: xb.ObjectiveRuns) -> None:  # memorise half as sensitive, matched accs
    set_(v, "normal/acc_train", ramp(v))
    set_(v, "memorise_chance/acc_train", ramp(v))
    set_(v, "normal/jacc_train", 4.0 + jitter(v) + 0 * ramp(v))
    set_(v, "memorise_chance/jacc_train", 2.0 + jitter(v) + 0 * ramp(v))
    set_(v, "normal/zrms_train", 1.0)
    set_(v, "memorise_chance/zrms_train", 1.0)
    # the raw Jacobian says the opposite: the verdict must follow the scale-free S
    set_(v, "normal/jac_train", 1.0 + jitter(v) + 0 * ramp(v))
    set_(v, "memorise_chance/jac_train", 9.0 + jitter(v) + 0 * ramp(v))


def break_c4_down(v: xb.ObjectiveRuns) -> None:  # S doubles while the raw Jacobian halves
    set_(v, "normal/jacc_train", (1.0 + ramp(v)) * (1.0 + jitter(v)))
    set_(v, "normal/zrms_train", 1.0 + 0 * ramp(v))
    set_(v, "normal/jac_train", (2.0 - ramp(v)) * (1.0 + jitter(v)))


def break_c2p(v: xb.ObjectiveRuns) -> None:  # the final train accuracy falls with τ
    for g in ("chance", *xb.TARGETS):
        tau = xb.CHANCE + 0.01 if g == "chance" else g
        set_(v, f"{xb.gate_name(g)}/acc_train", (1.0 - tau) * ramp(v) + jitter(v))


def break_sizes(v: xb.ObjectiveRuns) -> None:  # random inputs: the gap shrinks with N
    # inside the claim's premises: f = 0 hold-out at chance, f = 1 hold-out above chance
    N = int(v.extra["N"])
    train, hold = np.ones_like(ramp(v)), np.zeros_like(ramp(v))
    train[0], hold[0] = 1.0 - np.log2(N) / 20, 0.1  # f = 0 (random): the gap falls with N
    hold[1] = 1.0 - np.log2(N) / 20  # f = 1 (structured): the gap grows with N
    set_(v, "normal/acc_train", train)
    set_(v, "normal/acc_holdout", hold + jitter(v))


def break_c5(v: xb.ObjectiveRuns) -> None:  # after the switch: hold-out at chance (0.1)
    if v.run_id.endswith("/switch"):
        set_(v, "normal/acc_holdout", 0.1 + jitter(v) + 0 * ramp(v))
    if v.run_id.endswith("/memorise"):  # premise: memorising lost generalisation (0.2 < 0.8)
        set_(v, "normal/acc_holdout", 0.2 + jitter(v) + 0 * ramp(v))
    if v.run_id.endswith("/normal"):
        set_(v, "normal/acc_holdout", 0.8 + jitter(v) + 0 * ramp(v))


DOCTOR = {  # claim → (experiment, part or None, edit)
    "badger2022.c1.memorise_slower": ("badger2022.objectives", None, break_c1),
    "badger2022.c2.noise_helps": ("badger2022.objectives", None, break_c2),
    "badger2022.c3.sizes_epochs": ("badger2022.sizes", "*", break_sizes),
    "badger2022.c3.sizes_steps": ("badger2022.sizes", "*", break_sizes),
    "badger2022.c4.matched_sensitivity": ("badger2022.objectives", None, break_c4_matched),
    "badger2022.c4.normal_drives_down": ("badger2022.objectives", None, break_c4_down),
    "badger2022.c2p.target_gates": ("badger2022.gates", None, break_c2p),
    "badger2022.c5.switch_recovers": ("badger2022.switch", "*", break_c5),
}


def test_every_claim_has_a_doctored_record() -> None:
    assert sorted(DOCTOR) == BADGER


@pytest.mark.parametrize("cid", sorted(DOCTOR))
def test_claim_fails_on_a_doctored_record(cid: str, tiny, tmp_path: Path) -> None:
    name, part, edit = DOCTOR[cid]
    result = tiny[name]
    if part is None:
        result = doctored(result, edit)
    else:
        result = {k: doctored(r, edit) if part in ("*", k) else r for k, r in result.items()}
    v = judge(CLAIMS[cid], runs_with(tmp_path, {**tiny, name: result}))
    assert v.verdict == FAILS, (v.verdict, v.measured, v.ci, v.detail)


def test_figure_constants_match_the_claims() -> None:
    from twolayer.plots import badger2022 as pb

    assert (pb.JAC_F, pb.JAC_ACC) == (cb.MATCH_F, cb.MATCH_ACC)


def test_plots_and_claims_keep_to_their_layers() -> None:
    import twolayer.claims.badger2022 as claims_mod
    import twolayer.plots.badger2022 as plots_mod

    plots = Path(plots_mod.__file__).read_text()
    assert not [ln for ln in plots.splitlines() if "import" in ln and "claims" in ln]
    claims = Path(claims_mod.__file__).read_text()
    for banned in ("engine", "simulate", "TrainConfig", "verdict("):
        assert banned not in claims, banned


def test_figures_draw_from_the_stored_runs(tiny, tmp_path: Path) -> None:
    from twolayer.plots import FIGURES

    store = RecordStore(tmp_path / "store")
    runs = Runs(quick=True, runtime=RT, store=store)
    for n in NAMES:  # the tiny runs are the figures' quick runs
        store.put_entry(runs.key(f"badger2022.figures.{n}"), tiny[f"badger2022.{n}"])
    runs = Runs(quick=True, runtime=RT, store=store)
    names = [n for n, s in FIGURES.items() if s.paper == "badger2022"]
    assert len(names) == 6
    for name in names:
        (path,) = FIGURES[name].draw(tmp_path, runs)
        assert path.name == f"{name}.png" and path.stat().st_size > 10_000
        for cid in FIGURES[name].claims:
            assert cid in CLAIMS
    assert not runs.trained


def test_plan_dataclass_is_the_config(tiny) -> None:
    cfg = tiny["badger2022.objectives"].config
    assert cfg["plan"] == {k: list(v) if isinstance(v, tuple) else v
                           for k, v in dataclasses.asdict(xb.PLANS["tiny"]).items()}
    assert cfg["seeds"] == 2


def hold_c1(v: xb.ObjectiveRuns) -> None:  # normal fits at once, memorise slowly, H > chance
    set_(v, "normal/acc_train", np.minimum(1.0, 5 * ramp(v)) + 0 * jitter(v))
    set_(v, "memorise_chance/acc_train", 0.9 * ramp(v) ** 2 + jitter(v))
    set_(v, "memorise_chance/acc_holdout", 0.3 + jitter(v) + 0 * ramp(v))


def hold_c2(v: xb.ObjectiveRuns) -> None:  # memorise train accuracy rises with the noise 1 − f
    f = np.array(v.fractions)[:, None, None]
    set_(v, "memorise_chance/acc_train", (1.0 - 0.5 * f) * ramp(v) + jitter(v))


def hold_c4_matched(v: xb.ObjectiveRuns) -> None:  # memorise twice as sensitive (S), raw J equal
    set_(v, "normal/acc_train", ramp(v))
    set_(v, "memorise_chance/acc_train", ramp(v))
    set_(v, "normal/jacc_train", 2.0 + jitter(v) + 0 * ramp(v))
    set_(v, "memorise_chance/jacc_train", 4.0 + jitter(v) + 0 * ramp(v))
    set_(v, "normal/zrms_train", 1.0)
    set_(v, "memorise_chance/zrms_train", 1.0)
    set_(v, "normal/jac_train", 3.0 + jitter(v) + 0 * ramp(v))
    set_(v, "memorise_chance/jac_train", 3.0 + jitter(v) + 0 * ramp(v))


def hold_c4_down(v: xb.ObjectiveRuns) -> None:  # S halves while the raw Jacobian doubles
    set_(v, "normal/jacc_train", (2.0 - ramp(v)) * (1.0 + jitter(v)))
    set_(v, "normal/zrms_train", 1.0 + 0 * ramp(v))
    set_(v, "normal/jac_train", (1.0 + ramp(v)) * (1.0 + jitter(v)))


def hold_c2p(v: xb.ObjectiveRuns) -> None:  # the final train accuracy rises with τ
    for g in ("chance", *xb.TARGETS):
        tau = xb.CHANCE + 0.01 if g == "chance" else g
        set_(v, f"{xb.gate_name(g)}/acc_train", (0.3 + 0.5 * tau) * ramp(v) + jitter(v))


_C5_WOBBLE = np.random.default_rng(5)


def hold_c5(v: xb.ObjectiveRuns) -> None:  # hold-out 0.8 after the switch and under normal
    # each arm gets its own small per-seed wobble: with the same values in both arms the
    # per-seed difference is exactly 0, a zero-width interval that decides nothing
    wobble = 2e-3 * _C5_WOBBLE.standard_normal((1, v.seeds, 1))
    # premise: memorising lost generalisation (hold-out 0.2 after memorising, 0.8 under normal)
    base = 0.2 if v.run_id.endswith("/memorise") else 0.8
    set_(v, "normal/acc_holdout", base + jitter(v) + wobble + 0 * ramp(v))


def hold_sizes(v: xb.ObjectiveRuns) -> None:  # the paper's trends: random gap up, structured down
    # inside the claim's premises: f = 0 hold-out at chance, f = 1 hold-out above chance
    N = int(v.extra["N"])
    train, hold = np.ones_like(ramp(v)), np.zeros_like(ramp(v))
    train[0], hold[0] = 0.3 + np.log2(N) / 20, 0.1  # f = 0 (random): the gap grows with N
    hold[1] = np.log2(N) / 10  # f = 1 (structured): the gap shrinks with N
    set_(v, "normal/acc_train", train)
    set_(v, "normal/acc_holdout", hold + jitter(v))


HOLD = {  # claim → (experiment, part or None, edit): a record inside the claim's regime
    "badger2022.c1.memorise_slower": ("badger2022.objectives", None, hold_c1),
    "badger2022.c2.noise_helps": ("badger2022.objectives", None, hold_c2),
    "badger2022.c3.sizes_epochs": ("badger2022.sizes", "*", hold_sizes),
    "badger2022.c3.sizes_steps": ("badger2022.sizes", "*", hold_sizes),
    "badger2022.c4.matched_sensitivity": ("badger2022.objectives", None, hold_c4_matched),
    "badger2022.c4.normal_drives_down": ("badger2022.objectives", None, hold_c4_down),
    "badger2022.c2p.target_gates": ("badger2022.gates", None, hold_c2p),
    "badger2022.c5.switch_recovers": ("badger2022.switch", "*", hold_c5),
}


def test_every_claim_has_a_record_that_makes_it_hold() -> None:
    assert sorted(HOLD) == BADGER


@pytest.mark.parametrize("cid", sorted(HOLD))
def test_claim_holds_on_a_record_doctored_to_satisfy_it(cid, tiny, tmp_path) -> None:
    """No claim is stuck at fails or inconclusive: a record inside its regime makes it hold."""
    name, part, edit = HOLD[cid]
    result = tiny[name]
    if part is None:
        result = doctored(result, edit)
    else:
        result = {k: doctored(r, edit) if part in ("*", k) else r for k, r in result.items()}
    v = judge(CLAIMS[cid], runs_with(tmp_path, {**tiny, name: result}))
    assert v.verdict == "holds", (v.verdict, v.measured, v.ci, v.detail)
    assert v.seeds == SEEDS and v.ci is not None and all(map(np.isfinite, v.ci))


def test_sign_test_claims_stay_inconclusive_on_too_few_seeds(tiny, tmp_path) -> None:
    """Two seeds cannot decide an exact sign test: a clear effect stays inconclusive (and the
    detail says how many seeds it would need) instead of holding on a point estimate."""
    rec = copy.deepcopy(tiny["badger2022.objectives"])
    view = xb.objective_runs(rec)
    hold_c4_down(view)
    v = judge(CLAIMS["badger2022.c4.normal_drives_down"],
              runs_with(tmp_path, {**tiny, "badger2022.objectives": view.to_record()}))
    assert v.verdict == "inconclusive" and v.seeds == 2, (v.verdict, v.detail)
    assert "with about 5 seeds" in v.detail


def test_order_interval_and_sign_seeds_against_the_binomial() -> None:
    """The order-statistic interval and the seeds estimate against hand-computed binomials."""
    v = np.arange(1.0, 9.0)  # 8 values: P(Bin(8, ½) <= 1) = 9/256 = 0.035 <= 0.05 < 37/256
    assert cb.order_interval(v, 0.05) == (2.0, 7.0)
    assert cb.order_interval(v[:4], 0.05) == (float("nan"),) * 2 or all(
        np.isnan(cb.order_interval(v[:4], 0.05)))  # 2^-4 = 0.0625 > 0.05
    assert cb.order_interval(v[:5], 0.05) == (1.0, 5.0)  # 2^-5 = 0.031
    assert cb.sign_seeds(np.ones(3), 0.0, 0.05) == 5  # all above: 2^-n < 0.05 from n = 5
    assert cb.sign_seeds(np.ones(3), 0.0, 0.05 / 4) == 7  # 2^-7 = 0.0078 < 0.0125 < 2^-6
    assert cb.sign_seeds(np.array([1.0, -1.0]), 0.0, 0.05) is None  # no majority side
    # 4 of 5 above, held at n seeds as ⌊0.8 n⌋ above (never rounded up toward a decision, as
    # the verdict's seeds_needed): P(Bin(20, ½) >= 16) = 6196 / 2^20 = 0.0059 < 0.05/6, and no
    # smaller n reaches it (n = 19: 16664 / 2^19 = 0.032; n = 14: 470 / 2^14 = 0.029); rounding
    # up (12 of 14: 106 / 2^14 = 0.0065) gave 14 until session 48
    four_of_five = np.array([1.0, 1.0, 1.0, 1.0, -1.0])
    assert cb.sign_seeds(four_of_five, 0.0, 0.05 / 6) == 20
    assert cb.sign_seeds(four_of_five, 0.0, 0.05 / 6, "<=") == 20  # heading to fails: as many
    # ties at the bound count against a holds (left out) and for the claim against a fails
    # (kept): 3 above and 2 at 0, by scipy's binomial alone: ">=" heads to holds over the
    # ⌊3n/5⌋ values off the bound, "<=" to fails with ⌊3n/5⌋ of n above
    from scipy import stats as sps

    def first(direction: str) -> int:
        for n in range(5, 1000):
            k = 3 * n // 5
            size = k if direction == ">=" else n
            if 2 * k > size and sps.binom.sf(k - 1, size, 0.5) < 0.05:
                return n
        raise AssertionError

    tied = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    assert cb.sign_seeds(tied, 0.0, 0.05, ">=") == first(">=") != first("<=")
    assert cb.sign_seeds(tied, 0.0, 0.05, "<=") == first("<=")


def test_c1_counts_a_normal_run_that_never_reaches_half_against_the_claim(tiny, tmp_path):
    """Half the seeds: normal training never reaches 50% train accuracy while memorise does
    early. Those seeds contradict "memorising is slower"; they must count (log ratio <= 0), not
    be dropped as -inf, which left the four supporting seeds to make the claim hold."""
    def edit(v: xb.ObjectiveRuns) -> None:
        hold_c1(v)
        nrm = np.minimum(1.0, 5 * ramp(v)) + 0 * jitter(v)
        mem = 0.9 * ramp(v) ** 2 + jitter(v)
        half = np.arange(v.seeds) % 2 == 1
        nrm[:, half] = 0.2  # never 50%
        mem[:, half] = np.minimum(1.0, 5 * ramp(v))[:, half]  # 50% early
        set_(v, "normal/acc_train", nrm)
        set_(v, "memorise_chance/acc_train", mem)

    rec = doctored(tiny["badger2022.objectives"], edit)
    v = judge(CLAIMS["badger2022.c1.memorise_slower"],
              runs_with(tmp_path, {**tiny, "badger2022.objectives": rec}))
    assert v.verdict != "holds" and v.seeds == SEEDS, (v.verdict, v.measured, v.detail)


def test_every_claim_is_a_proposal_setting_outside_the_exit_status() -> None:
    """The paper's setting (ConvNets / ResNet18 on CIFAR-10) is not a two-layer network: every
    badger2022 claim is checked on the card's [PROPOSAL] analogue and must not decide the exit
    status of `twolayer check`."""
    from twolayer.claims.base import CLAIMS

    assert BADGER and all(CLAIMS[c].decides is False for c in BADGER)


# ---- regime: computed from the Records (premises measured, setting against the card's §5) ----


def _judge_with(tiny, tmp_path: Path, cid: str, edit) -> object:  # type: ignore[no-untyped-def]
    """The verdict of ``cid`` on the tiny Records, the claim's experiment doctored by ``edit``
    (every part of a dict result, each by ``edit(view)``)."""
    name = HOLD[cid][0]
    result = tiny[name]
    if isinstance(result, Record):
        result = doctored(result, edit)
    else:
        result = {k: doctored(r, edit) for k, r in result.items()}
    return judge(CLAIMS[cid], runs_with(tmp_path, {**tiny, name: result}))


REGIME_CLAIMS = sorted(c for c in BADGER if c != "badger2022.c4.matched_sensitivity")


@pytest.mark.parametrize("cid", REGIME_CLAIMS)
def test_regime_is_computed_and_names_the_tiny_plans_values(cid, tiny, tmp_path) -> None:
    """On the tiny plan the regime is computed (not the registered value): it names its
    premises and compares the setting with the card's section 5 item by item, and the tiny plan
    (n = 150 per set, m = 64; claim 3: N {100, 200}, widths {16, 64}) is not the card's analogue
    (N = 2000 per set, H = 512): outside, whatever the verdict."""
    v = judge(CLAIMS[cid], runs_with(tmp_path, dict(tiny)))
    assert v.regime_computed, v.regime
    assert not v.regime.startswith("not computed"), v.regime
    assert "premises met" in v.regime or "premises unmet" in v.regime, v.regime
    assert "Setting: not the card's [PROPOSAL] analogue" in v.regime, v.regime
    assert v.in_regime is False
    tiny_plan = xb.PLANS["tiny"]
    if "sizes" in cid:
        assert "N {100, 200} vs the card's {500, 1000, 2000, 4000}" in v.regime
        assert "widths {16, 64} vs the card's H = 512" in v.regime
    else:
        assert f"n {tiny_plan.n} per set (T, A, H) vs the card's 2000" in v.regime
        assert f"width {tiny_plan.m} vs the card's H = 512" in v.regime
    assert "seeds 2 vs the card's >= 5" in v.regime  # the tiny plan's 2 seeds


def test_regime_quotes_the_measured_premise_values(tiny, tmp_path) -> None:
    """The premise texts carry the values read off the Records (recomputed here from the raw
    arrays, not from the check): claim 1's ascended-set accuracy of the memorise runs and hold-out
    accuracy of normal training at f = 1, at the last probe time."""
    rec = tiny["badger2022.objectives"]
    r = xb.objective_runs(rec)
    i = r.fractions.index(1.0)
    acc_a = rec.arrays["memorise_chance/acc_ascended"].reshape(len(r.fractions), r.seeds, -1)
    hold = rec.arrays["normal/acc_holdout"].reshape(len(r.fractions), r.seeds, -1)
    v = judge(CLAIMS["badger2022.c1.memorise_slower"], runs_with(tmp_path, dict(tiny)))
    assert f"Acc_A min {acc_a[i, :, -1].min():.3f}" in v.regime, v.regime
    assert f"max {acc_a[i, :, -1].max():.3f}" in v.regime
    assert f"(min {hold[i, :, -1].min():.3f}" in v.regime, v.regime


def _unlearned_normal(v: xb.ObjectiveRuns) -> None:  # normal training at chance on the hold-out
    set_(v, "normal/acc_holdout", 0.1 + jitter(v) + 0 * ramp(v))


def _generalising_memorise(v: xb.ObjectiveRuns) -> None:  # memorise fits A: it generalised
    set_(v, "memorise_chance/acc_ascended", 0.6 + jitter(v) + 0 * ramp(v))


def _signal_in_noise(v: xb.ObjectiveRuns) -> None:  # f = 0 inputs predict the hold-out labels
    hold = v.get("normal/acc_holdout").copy()
    hold[v.fractions.index(0.0)] = 0.5
    set_(v, "normal/acc_holdout", hold)


def _random_not_random(v: xb.ObjectiveRuns) -> None:  # sizes: f = 0 hold-out at 0.5
    hold_sizes(v)
    hold = v.get("normal/acc_holdout").copy()
    hold[0] = 0.5
    set_(v, "normal/acc_holdout", hold)


def _gate_not_held(v: xb.ObjectiveRuns) -> None:  # the 0.25 gate lets A reach 0.6
    hold_c2p(v)
    set_(v, f"{xb.gate_name(0.25)}/acc_ascended", 0.6 + jitter(v) + 0 * ramp(v))


def _nothing_lost(v: xb.ObjectiveRuns) -> None:  # memorising kept the hold-out at 0.8
    hold_c5(v)
    if v.run_id.endswith("/memorise"):
        set_(v, "normal/acc_holdout", 0.8 + jitter(v) + 0 * ramp(v))


def _then(*edits):  # type: ignore[no-untyped-def]
    def edit(v: xb.ObjectiveRuns) -> None:
        for e in edits:
            e(v)
    return edit


BREAK_PREMISE = {  # claim → (premise words in the regime, edit: the HOLD record, one premise off)
    "badger2022.c1.memorise_slower": [
        ("memorise runs memorised", _then(hold_c1, _generalising_memorise)),
        ("normal training (f=1) generalised", _then(hold_c1, _unlearned_normal))],
    "badger2022.c2.noise_helps": [
        ("memorise runs memorised", _then(hold_c2, _generalising_memorise)),
        ("pure-noise input (f=0, normal training) is random", _then(hold_c2, _signal_in_noise))],
    "badger2022.c3.sizes_epochs": [("random inputs (f=0) are random", _random_not_random)],
    "badger2022.c3.sizes_steps": [("random inputs (f=0) are random", _random_not_random)],
    "badger2022.c4.normal_drives_down": [
        ("normal training (f=1) generalised", _then(hold_c4_down, _unlearned_normal))],
    "badger2022.c2p.target_gates": [("held the ascended set down", _gate_not_held)],
    "badger2022.c5.switch_recovers": [("memorising lost generalisation", _nothing_lost)],
}


def test_every_regime_claim_has_a_premise_breaking_record() -> None:
    assert sorted(BREAK_PREMISE) == REGIME_CLAIMS


@pytest.mark.parametrize("cid, words, edit",
                         [(c, w, e) for c, cases in sorted(BREAK_PREMISE.items())
                          for w, e in cases])
def test_a_broken_premise_makes_the_claim_inconclusive_outside(cid, words, edit, tiny,
                                                               tmp_path) -> None:
    """The record that makes the claim hold meets its premises; the same record with one
    premise broken gives inconclusive, outside, that premise marked "no" and the comparisons
    (which would hold) reported in the detail only."""
    ok = _judge_with(tiny, tmp_path / "ok", cid, HOLD[cid][2])
    assert ok.verdict == "holds" and ok.regime_computed, (ok.verdict, ok.regime)
    assert ok.regime.startswith("premises met") and f"{words}" in ok.regime, ok.regime
    v = _judge_with(tiny, tmp_path / "broken", cid, edit)
    assert v.verdict == "inconclusive" and v.in_regime is False and v.regime_computed
    assert v.regime.startswith("premises unmet"), v.regime
    assert _answer(v.regime, words) == "no", v.regime
    assert _answer(ok.regime, words) == "yes", ok.regime
    assert v.measured is None and "for information, the comparisons (holds)" in v.detail


def _answer(regime: str, words: str) -> str:
    """The "yes" or "no" that follows the premise named by ``words`` in a regime text."""
    rest = regime.split(words, 1)[1]
    at = {a: rest.find(f": {a} (") for a in ("yes", "no")}
    found = {a: i for a, i in at.items() if i >= 0}
    return min(found, key=found.get) if found else ""


def _card_plan(v: xb.ObjectiveRuns) -> None:
    """The card's section 5 values typed in from the card (N = 2000 per set, H = 512, SGD lr
    0.02, batch 100, 300 epochs), and normal training that fits at once (claim 1 holds)."""
    hold_c1(v)
    v.config = copy.deepcopy(v.config)
    v.config["plan"].update(n=2000, m=512, lr=0.02, batch=100, epochs=300, optimizer="sgd")


def test_the_cards_setting_is_inside_and_one_differing_item_is_named(tiny, tmp_path) -> None:
    """A Record whose plan is the card's analogue (and 8 seeds) is inside; the same with lr
    0.01 keeps its verdict (holds) and is outside, the regime quoting both values."""
    cid = "badger2022.c1.memorise_slower"
    v = _judge_with(tiny, tmp_path / "card", cid, _card_plan)
    assert v.verdict == "holds" and v.in_regime is True, v.regime
    assert "every item matches" in v.regime

    def off(view: xb.ObjectiveRuns) -> None:
        _card_plan(view)
        view.config["plan"]["lr"] = 0.01

    w = _judge_with(tiny, tmp_path / "lr", cid, off)
    assert w.verdict == "holds" and w.in_regime is False, w.regime
    assert "1 of 10 items differ; differ: lr 0.01 vs the card's 0.02;" in w.regime, w.regime
