"""Vashisht et al. (2024) on the experiments layer: the claims read Records only.

- Round trip: every claim of vashisht2024 gives the identical verdict (every field) on the
  studies read back from a :class:`twolayer.store.RecordStore` as on the in-memory ones (a tiny
  study in the default suite; the quick experiments themselves, trained once and then read
  from the store by a second :class:`Runs`, in the slow suite).
- Mutation tests: a real (tiny) study whose final probe values are edited. A record planted
  inside the setting (a simple-feature baseline, a rise at η = 0.5 that survives the norm reset,
  no rise from the feature-preserving input noise, no accuracy cost) makes every claim hold;
  each claim then fails on a record doctored to break it, and claims 3–5 are inconclusive and
  outside (premise measured and reported) when the reliance_rises premise is doctored away, and
  label_noise_specific also when the control's measured flip rate is doctored above 0.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from twolayer.claims import vashisht2024 as V  # noqa: F401  (registers the claims)
from twolayer.claims.base import CLAIMS, FAILS, HOLDS, INCONCLUSIVE, Verdict, judge
from twolayer.engine import Runtime
from twolayer.experiments import Runs
from twolayer.experiments import vashisht2024 as E
from twolayer.record import Record
from twolayer.store import RecordStore

pytestmark = pytest.mark.usefixtures("single_thread")
CPU = Runtime(device="cpu", progress=False)
PAPER = "vashisht2024"
NAMES = ("clean_simple", "reliance_rises", "no_accuracy_cost", "survives_controls",
         "label_noise_specific")
TINY = E.Plan(d=6, slabs=2, n=60, n_test=80, m=8, seeds=3, num_times1=3, num_times2=3,
              sgd=E.Arm("sgd", lr=0.1, batch_size=20, T1=40, T2=10, etas=(0.0, 0.5)),
              gd=None)


@pytest.fixture(scope="module")
def tiny() -> Record:
    """A real study (the experiment's own runner) on a tiny plan, linear + XOR data."""
    return E.run_study("linxor", TINY, TINY.sgd, CPU)


def _runs(sgd: Record, kind: str = "linxor") -> Runs:
    """A Runs that holds ``sgd`` as the kind's SGD study and an absent GD study."""
    runs = Runs(quick=True, runtime=CPU)
    runs._cache.update({f"{PAPER}.{kind}.sgd": sgd,
                        f"{PAPER}.{kind}.gd": E.absent(kind, "gd", True)})
    return runs


def _verdicts(runs: Runs, kinds: tuple[str, ...] = ("linxor",)) -> dict[str, Verdict]:
    return {f"{PAPER}.{k}.{n}": judge(CLAIMS[f"{PAPER}.{k}.{n}"], runs)
            for k in kinds for n in NAMES}


def test_tiny_study_survives_the_store_round_trip(tiny: Record, tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "store")
    key = {"experiment": f"{PAPER}.linxor.sgd", "test": "round-trip"}
    store.put_entry(key, tiny)
    back = store.get_entry(key)
    assert isinstance(back, Record) and back is not tiny
    assert set(back.arrays) == set(tiny.arrays)
    for k, v in tiny.arrays.items():
        assert back.arrays[k].dtype == v.dtype, k
        np.testing.assert_array_equal(back.arrays[k], v, err_msg=k)
    absent_key = {"experiment": f"{PAPER}.linxor.gd", "test": "round-trip"}
    store.put_entry(absent_key, E.absent("linxor", "gd", True))
    gd = store.get_entry(absent_key)
    assert isinstance(gd, Record) and E.is_absent(gd)
    before = _verdicts(_runs(tiny))
    runs = Runs(quick=True, runtime=CPU)
    runs._cache.update({f"{PAPER}.linxor.sgd": back, f"{PAPER}.linxor.gd": gd})
    after = _verdicts(runs)
    for cid in before:
        assert before[cid].verdict != "error", before[cid]
        assert after[cid].to_json() == before[cid].to_json(), cid


@pytest.mark.slow
def test_quick_experiments_give_identical_verdicts_from_the_store(tmp_path: Path) -> None:
    """The quick experiments trained once (first Runs) and read back (second Runs)."""
    store = RecordStore(tmp_path / "store")
    first = Runs(quick=True, runtime=CPU, store=store)
    v1 = _verdicts(first, E.KINDS)
    assert sorted(first.trained) == sorted(f"{PAPER}.{k}.{a}" for k in E.KINDS for a in E.ARMS)
    second = Runs(quick=True, runtime=CPU, store=RecordStore(tmp_path / "store"))
    v2 = _verdicts(second, E.KINDS)
    assert second.trained == [] and len(second.reused) == len(first.trained)
    for cid in v1:
        assert v1[cid].verdict != "error", v1[cid]
        assert v2[cid].to_json() == v1[cid].to_json(), cid


# -- doctored records ------------------------------------------------------------------------


def _doctor(rec: Record, values: dict[tuple[str, str, float], list[float]]) -> Record:
    """A copy of ``rec`` whose end-of-phase-2 probe values of (quantity, variant, η) are
    replaced, seed by seed (the same value at every probe time)."""
    out = copy.deepcopy(rec)
    for (q, variant, eta), vals in values.items():
        idx = E.runs(out, variant, eta)
        assert idx.size == len(vals), (variant, eta)
        arr = out.arrays[f"vashisht/{q}"]
        arr[idx] = np.asarray(vals, dtype=arr.dtype)[:, None]
    return out


BASE_S = [0.50, 0.51, 0.49]  # baseline S-randomised accuracy per seed
BASE_C = [0.00, 0.02, 0.01]  # baseline conflict following per seed
BASE_ACC = [0.99, 1.00, 0.995]
NO_RISE = (0.003, -0.002, 0.001)  # "no change": a per-seed wobble around 0
FLAT_S = [s + e for s, e in zip(BASE_S, NO_RISE)]  # unchanged from the baseline, per seed
FLAT_C = [c + e for c, e in zip(BASE_C, NO_RISE)]
UP_S = [s + r for s, r in zip(BASE_S, (0.3, 0.32, 0.29))]  # a rise of about 0.3
UP_C = [c + r for c, r in zip(BASE_C, (0.5, 0.47, 0.52))]  # a rise of about 0.5


def _plant(rise: bool = True, rescale_rises: bool = True, input_rises: bool = False,
           acc_cost: float = 0.0) -> dict[tuple[str, str, float], list[float]]:
    """Final values: a clean, simple-feature baseline (C-randomised accuracy 1); at η = 0.5 the
    kept-head runs rise by +0.3 (S-rand) and +0.5 (conflict) if ``rise``; the rescaled and
    input-noise runs rise as well if asked; kept-head clean accuracy lowered by ``acc_cost``."""
    # every change differs a little from seed to seed: the claims compare arms seed by seed,
    # and a difference equal on every seed has no spread (3 equal seeds decide nothing: the
    # sign test's 2^-3 is above 0.05)
    up_s, up_c, flat_s, flat_c = UP_S, UP_C, FLAT_S, FLAT_C
    v = {("s_rand_acc", "keep", 0.0): BASE_S, ("conflict_follow", "keep", 0.0): BASE_C,
         ("c_rand_acc", "keep", 0.0): [1.0, 0.99, 0.995],
         ("clean_acc", "keep", 0.0): BASE_ACC,
         ("s_rand_acc", "keep", 0.5): up_s if rise else flat_s,
         ("conflict_follow", "keep", 0.5): up_c if rise else flat_c,
         ("clean_acc", "keep", 0.5): [a - acc_cost + e for a, e in zip(BASE_ACC, NO_RISE)],
         ("s_rand_acc", "rescale", 0.5): up_s if rescale_rises else flat_s,
         ("conflict_follow", "rescale", 0.5): up_c if rescale_rises else flat_c,
         ("s_rand_acc", "input-noise", 0.0): up_s if input_rises else flat_s,
         ("conflict_follow", "input-noise", 0.0): up_c if input_rises else flat_c}
    return v


def _judge(rec: Record, name: str) -> Verdict:
    return judge(CLAIMS[f"{PAPER}.linxor.{name}"], _runs(rec))


def _verdict(rec: Record, name: str) -> str:
    return _judge(rec, name).verdict


def test_planted_effect_holds_everywhere(tiny: Record) -> None:
    """The control of the doctored tests: the planted record satisfies every claim, its
    measured premises met, with the seeds that entered the verdict."""
    rec = _doctor(tiny, _plant())
    vs = {n: _judge(rec, n) for n in NAMES}
    assert {n: v.verdict for n, v in vs.items()} == dict.fromkeys(NAMES, HOLDS)
    for n in ("no_accuracy_cost", "survives_controls", "label_noise_specific"):
        # the premise holds; the tiny plan is not the card's setting (d, width, n, 3 seeds, ...):
        # outside, the verdict kept (inside on the card's setting: test_vashisht.py)
        assert "holds at eta in {0.5}" in vs[n].regime and not vs[n].in_regime, vs[n]
        assert "Setting: not the card's [PROPOSAL] analogue" in vs[n].regime
    assert all(v.seeds == 3 for v in vs.values())
    assert "Holm" in vs["reliance_rises"].bound and "Holm" in vs["clean_simple"].bound


def test_a_seed_lost_to_nan_is_not_counted(tiny: Record) -> None:
    values = _plant()
    values[("clean_acc", "keep", 0.5)] = [0.99, float("nan"), 0.995]
    v = _judge(_doctor(tiny, values), "no_accuracy_cost")
    assert v.seeds == 2
    # and the verdict is not decided on the two seeds left: the lost one may be the one that
    # costs accuracy (the same record without the NaN holds)
    assert v.verdict == INCONCLUSIVE, v
    assert _judge(_doctor(tiny, _plant()), "no_accuracy_cost").verdict == HOLDS


def test_clean_simple_fails_when_the_baseline_uses_the_complex_feature(tiny: Record) -> None:
    values = _plant()
    values[("s_rand_acc", "keep", 0.0)] = [0.90, 0.92, 0.91]
    assert _verdict(_doctor(tiny, values), "clean_simple") == FAILS
    values = _plant()
    values[("c_rand_acc", "keep", 0.0)] = [0.60, 0.62, 0.61]
    assert _verdict(_doctor(tiny, values), "clean_simple") == FAILS


def test_reliance_rises_fails_without_a_rise(tiny: Record) -> None:
    assert _verdict(_doctor(tiny, _plant(rise=False)), "reliance_rises") == FAILS
    # S-randomised accuracy rises but conflict following does not: not the claimed effect
    values = _plant()
    values[("conflict_follow", "keep", 0.5)] = FLAT_C
    assert _verdict(_doctor(tiny, values), "reliance_rises") == FAILS


def test_no_accuracy_cost_fails_when_accuracy_drops(tiny: Record) -> None:
    assert _verdict(_doctor(tiny, _plant(acc_cost=0.2)), "no_accuracy_cost") == FAILS
    v = _judge(_doctor(tiny, _plant(acc_cost=0.005)), "no_accuracy_cost")
    assert v.verdict == HOLDS
    # one eta, one mean against one number: the outcome carries it (seeds_needed, --seeds auto)
    values = _plant()
    values[("clean_acc", "keep", 0.5)] = [0.99 - 0.004, 1.00 - 0.02, 0.995 - 0.008]
    v = _judge(_doctor(tiny, values), "no_accuracy_cost")
    assert v.verdict == INCONCLUSIVE and v.seeds_needed is not None and v.seeds_needed > 3


@pytest.mark.parametrize("name", ["no_accuracy_cost", "survives_controls",
                                  "label_noise_specific"])
def test_claims_on_the_effect_are_inconclusive_when_its_premise_is_unmet(
        tiny: Record, name: str) -> None:
    """No rise at any eta: the three claims about the effect are inconclusive and outside, with
    the measured premise in the regime, whatever their own comparisons say (here each of them
    would fail: accuracy drops, the rescaled and input-noise arms rise)."""
    rec = _doctor(tiny, _plant(rise=False, acc_cost=0.2, rescale_rises=False,
                               input_rises=True))
    assert _verdict(rec, "reliance_rises") == FAILS
    v = _judge(rec, name)
    assert v.verdict == INCONCLUSIVE and not v.in_regime, v
    assert "unmet" in v.regime and "eta=0.5: fails" in v.regime
    # an undecided rise is no premise either
    values = _plant()
    values[("s_rand_acc", "keep", 0.5)] = [0.50, 0.60, 0.49]
    v = _judge(_doctor(tiny, values), name)
    assert v.verdict == INCONCLUSIVE and not v.in_regime


def test_survives_controls_fails_when_rescaling_removes_the_effect(tiny: Record) -> None:
    assert _verdict(_doctor(tiny, _plant(rescale_rises=False)), "survives_controls") == FAILS


def test_label_noise_specific_fails_when_input_noise_does_it_too(tiny: Record) -> None:
    assert _verdict(_doctor(tiny, _plant(input_rises=True)), "label_noise_specific") == FAILS


def test_label_noise_specific_needs_a_control_that_flips_no_feature(tiny: Record) -> None:
    """The control's measured flip rate is a premise: doctored to 0.17 (what unconstrained
    noise at sigma 0.5 does), the verdict is inconclusive and outside."""
    rec = _doctor(tiny, _plant())
    sel = rec.arrays["phase1/source"] == 1
    assert (rec.arrays["phase1/input_s_flip"][sel] == 0).all()
    rec.arrays["phase1/input_s_flip"][np.flatnonzero(sel)[0]] = 0.17
    v = _judge(rec, "label_noise_specific")
    assert v.verdict == INCONCLUSIVE and not v.in_regime
    assert "no feature label flipped: no" in v.regime


def test_the_sign_flipping_reference_arm_is_reported_not_judged(tiny: Record) -> None:
    rec = _doctor(tiny, _plant())
    rec.arrays["vashisht/s_rand_acc"][E.runs(rec, "input-noise-flip", 0.0)] = 0.9
    v = _judge(rec, "label_noise_specific")
    assert v.verdict == HOLDS and "reference arm (not judged)" in v.detail


# -- figures read the same Records -------------------------------------------------------------


def test_figures_draw_from_the_studies_records(tmp_path: Path) -> None:
    """Every vashisht2024 figure drawn from tiny studies handed over in a Runs (never trained by
    the figure), and the plots module imports no claims module."""
    from twolayer.plots import FIGURES
    from twolayer.plots import vashisht2024 as P

    src = Path(P.__file__).read_text()
    assert not [ln for ln in src.splitlines() if "import" in ln and "claims" in ln]
    plan = E.Plan(d=6, slabs=2, n=60, n_test=80, m=8, seeds=2, num_times1=3, num_times2=3,
                  sgd=E.Arm("sgd", lr=0.1, batch_size=20, T1=20, T2=10, etas=(0.0, 0.2)),
                  gd=None)
    runs = Runs(quick=True, runtime=CPU)
    for kind in E.KINDS:
        runs._cache[f"{PAPER}.{kind}.sgd"] = E.run_study(kind, plan, plan.sgd, CPU)
    names = [n for n, spec in FIGURES.items() if spec.paper == PAPER]
    assert sorted(names) == sorted(["vashisht2024-eta", "vashisht2024-phase2",
                                    "vashisht2024-histograms", "vashisht2024-boundary"])
    for name in names:
        assert all(c in CLAIMS for c in FIGURES[name].claims), name
        paths = FIGURES[name].draw(tmp_path, runs)
        assert [p.name for p in paths] == [f"{name}.png"] and paths[0].stat().st_size > 10_000
    assert runs.trained == []


# -- the lms claims: the same checks on the linear + 5-slab study -----------------------------


@pytest.fixture(scope="module")
def tiny_lms() -> Record:
    return E.run_study("lms", TINY, TINY.sgd, CPU)


def _judge_lms(rec: Record, name: str) -> str:
    return judge(CLAIMS[f"{PAPER}.lms.{name}"], _runs(rec, "lms")).verdict


LMS_BROKEN = {  # claim -> the doctoring that breaks it (as for linxor above)
    "clean_simple": lambda v: v.__setitem__(("s_rand_acc", "keep", 0.0), [0.90, 0.92, 0.91]),
    "reliance_rises": lambda v: v.__setitem__(("conflict_follow", "keep", 0.5), FLAT_C),
    "no_accuracy_cost": lambda v: v.__setitem__(("clean_acc", "keep", 0.5),
                                                [a - 0.2 + e for a, e in zip(BASE_ACC, NO_RISE)]),
    "survives_controls": lambda v: v.update({("s_rand_acc", "rescale", 0.5): FLAT_S,
                                             ("conflict_follow", "rescale", 0.5): FLAT_C}),
    "label_noise_specific": lambda v: v.update(
        {("s_rand_acc", "input-noise", 0.0): UP_S, ("conflict_follow", "input-noise", 0.0): UP_C}),
}


def test_lms_planted_effect_holds(tiny_lms: Record) -> None:
    rec = _doctor(tiny_lms, _plant())
    assert {n: _judge_lms(rec, n) for n in NAMES} == dict.fromkeys(NAMES, HOLDS)


@pytest.mark.parametrize("name", NAMES)
def test_each_lms_claim_fails_on_a_record_that_breaks_it(tiny_lms: Record, name: str) -> None:
    values = _plant()
    LMS_BROKEN[name](values)
    assert _judge_lms(_doctor(tiny_lms, values), name) == FAILS


def test_a_tf32_studys_record_says_what_its_training_ran_under(monkeypatch) -> None:
    """On a GPU, ``--tf32`` (Runtime.tf32) lets the study's training calls run with TF32; its
    record must say so, as a simulate record does (the training call's own precision, not the
    process's after the call restored it). The GPU branch forced on the CPU: TF32 allowed."""
    from twolayer.training import api

    monkeypatch.setattr(api, "uses_tf32", lambda runtime: True)  # as on CUDA with --tf32
    rec = E.run_study("linxor", TINY, TINY.sgd, CPU)
    assert rec.meta["tf32"] is True and rec.meta["float32_matmul_precision"] == "high"


def test_a_gpu_studys_record_says_which_triton_kernels_its_training_ran(monkeypatch) -> None:
    """On a GPU, the study's record said "fused pass enabled" whenever the pass was switched
    on, though its networks (a trained second layer) take none of its blocks. It now states what
    its two training calls' meta say ran (``triton_kernels``), the union of both phases. The GPU
    branch forced on the CPU: each call says it ran the pass (or not), the text from
    simulate.gpu_kernels_text (faked device status)."""
    from twolayer.training import api

    said = []
    monkeypatch.setattr(E, "gpu_kernels_text", lambda dev, used: said.append(used) or "X")
    for ran, want in (([], []), (["pass"], ["pass"])):
        said.clear()
        monkeypatch.setattr(api, "triton_used",
                            lambda runtime, *steppers, ran=ran: {"triton_kernels": ran})
        rec = E.run_study("linxor", TINY, TINY.sgd, CPU)
        assert said == [want] and rec.meta["gpu_kernels"] == "X"
        assert "triton_kernels" not in rec.meta
