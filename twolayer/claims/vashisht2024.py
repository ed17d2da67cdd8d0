"""Claims of Vashisht, Krishna Kumar, Govind & Ramaswamy (2024), "Impact of label noise on
learning complex features" (paper card ``vashisht2024``).

The card rests on the abstract and the first paragraph of the introduction only [PAPER-PARTIAL]:
the paper's data, architectures, noise rates, protocol and metrics are unknown. Everything below
— data, protocol, metrics and verdict thresholds — is twolayer's own design ([PROPOSAL], card
sections 3–5), fixed before the full runs; no number here is the paper's.

Setting. Data where a simple and a complex feature each predict the clean label perfectly
(:mod:`twolayer.data.lms`): ``lms`` (linear coordinate + k 5-slab coordinates + U(−1, 1) noise
coordinates) and ``linxor`` (linear coordinate + an XOR pair + noise). Two-layer ReLU networks
f(x) = Σ_j a_j φ(⟨w_j, x⟩ + b_j) with a trained second layer and bias, He initialisation
(W ~ N(0, 2/d), b = 0, a ~ N(0, 1/m)), logistic loss, minibatch SGD (main arm) or full-batch GD.

Protocol: phase 1 on labels flipped at rate η, phase 2 on the clean labels (variants ``keep``,
``reinit``, ``rescale``), and the ``input-noise`` control, as written out in
:mod:`twolayer.experiments.vashisht2024`, whose Records these checks read (they never train).

The baseline of every comparison is clean training for T1 + T2 steps: the η = 0 run with the
head kept, trained through the same two calls (the matched-length control). The η = 0 runs of
the other variants (clean pre-training, then head re-drawn or norms reset) are the η = 0
pre-training controls of those variants; they are reported, not used as baselines.
Run r of every arm uses seed ``seed + r`` for its data, initialisation and minibatch order
(common random numbers), so the effect of η is measured as a paired difference per seed.

Measurements (:mod:`twolayer.probes.vashisht`): clean, S-randomised and C-randomised test
accuracy, conflict following, attribution share (gradient × (input − mean)) of the complex
coordinates, neuron loading ‖W[j, C]‖/‖W[j, :]‖ after each phase, disagreement with the baseline.

Verdict rules ([PROPOSAL]; spread = the larger of the two groups' standard deviations over
seeds; Δ = paired per-seed difference to the baseline; CIs are Student-t intervals of the mean
Δ, Bonferroni-corrected over the η values examined):

- clean_simple (claim 1): the baseline's S-randomised accuracy has its 95% CI inside
  [0.45, 0.55] and its C-randomised accuracy a 95% CI ≥ 0.95 → holds; either wholly outside →
  fails; otherwise inconclusive.
- reliance_rises (claim 2): at one η > 0, for both S-randomised accuracy and conflict
  following: holds if mean Δ > spread and the CI of Δ lies above 0, fails if mean Δ ≤ spread
  (the card's "no difference larger than seed noise"), inconclusive otherwise; holds at η if
  both hold, fails at η if either fails; the claim holds if it holds at some η > 0, fails if it
  fails at every η > 0.
- no_accuracy_cost (claim 3): at the η where claim 2 holds (all η > 0 if none), the CI of the
  clean-accuracy Δ ≥ −0.01 at every such η → holds; wholly below at one → fails.
- survives_controls (claim 4): the claim-2 rule applied to the ``rescale`` arm (against the
  same matched-length baseline) holds at some η where claim 2 holds; inconclusive when claim 2
  holds nowhere (no effect to control for).
- label_noise_specific (claim 5): the claim-2 rule applied to the input-noise arm fails (no
  effect from input noise) → holds; holds (input noise does it too) → fails; inconclusive
  otherwise or when claim 2 holds nowhere.

Claims 1–5 are checked per data kind on the main arm (SGD, head kept); the details report the
same rules for the ``reinit`` head and for full-batch GD.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..experiments import Runs
from ..experiments.vashisht2024 import (
    KINDS,
    PAPER,
    baseline_runs,
    etas,
    final,
    setting,
    study_of,
)
from ..experiments.vashisht2024 import runs as runs_of
from ..record import Record
from ..stats import FAILS, HOLDS, INCONCLUSIVE, combine, compare, exists, mean_ci
from .base import Outcome, claim, outcome

ALPHA = 0.05  # family-wise level of the CIs
NEAR_HALF = (0.45, 0.55)  # claim 1: "S-randomised accuracy near 0.5"
C_RAND_MIN = 0.95  # claim 1: the clean network still classifies when C is randomised
ACC_TOLERANCE = 0.01  # claim 3: "within 1 point"
FIG_ETA = "vashisht2024-eta"
FIG_CURVES = "vashisht2024-phase2"
FIG_HIST = "vashisht2024-histograms"
FIG_BOUNDARY = "vashisht2024-boundary"


# --------------------------------------------------------------------------------------------
# Verdict rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Paired effect of one arm against the baseline for one quantity."""

    quantity: str
    delta: float  # mean over seeds of the paired difference
    ci: tuple[float, float]
    spread: float  # max of the two groups' SDs over seeds
    arm_mean: float
    base_mean: float
    outcome: str


def rise_outcome(delta: float, ci: tuple[float, float], spread: float) -> str:
    """holds if the rise is significant (CI above 0) and larger than the seed spread, fails if
    the measured rise is not larger than the seed spread, inconclusive otherwise (large but not
    significant)."""
    if not math.isfinite(delta):
        return INCONCLUSIVE
    if delta <= spread:
        return FAILS
    return HOLDS if ci[0] > 0 else INCONCLUSIVE


def effect(rec: Record, q: str, variant: str, eta: float, level: float = 0.95,
           threshold: float | None = None) -> Effect:
    """Δ = q(variant, η) − q(baseline) per seed. Outcome: :func:`rise_outcome` against the seed
    spread, or with ``threshold`` compare(CI(Δ), threshold, ">=")."""
    a, b = final(rec, q)[runs_of(rec, variant, eta)], final(rec, q)[baseline_runs(rec)]
    diff = a - b
    mean, ci = mean_ci(diff, level)
    spread = float(max(a.std(ddof=1), b.std(ddof=1))) if a.size > 1 else 0.0
    out = (rise_outcome(mean, ci, spread) if threshold is None
           else compare(ci, threshold, ">="))
    return Effect(q, mean, ci, spread, float(a.mean()), float(b.mean()), out)




def rise_rule(rec: Record, variant: str, eta_set: Sequence[float]
              ) -> tuple[str, dict[float, tuple[str, Effect, Effect]]]:
    """Claim-2 rule for one arm over ``eta_set``: per η both S-randomised accuracy and conflict
    following must exceed the baseline by more than the seed spread (Bonferroni CIs)."""
    level = 1.0 - ALPHA / max(1, len(eta_set))
    per: dict[float, tuple[str, Effect, Effect]] = {}
    for eta in eta_set:
        es = effect(rec, "s_rand_acc", variant, eta, level)
        ec = effect(rec, "conflict_follow", variant, eta, level)
        per[eta] = (combine(es.outcome, ec.outcome), es, ec)
    return exists([v[0] for v in per.values()]), per


def _f(x: float) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _eff(e: Effect) -> str:
    return (f"{e.arm_mean:.3f} vs {e.base_mean:.3f} (d={e.delta:+.3f}, CI [{_f(e.ci[0])}, "
            f"{_f(e.ci[1])}], spread {e.spread:.3f})")


def _per_eta_text(per: dict[float, tuple[str, Effect, Effect]]) -> str:
    return "; ".join(f"eta={eta:g}: {o} S-rand {_eff(es)}, conflict {_eff(ec)}"
                     for eta, (o, es, ec) in per.items())


def _memorised(rec: Record, eta: float) -> float:
    a = rec.arrays
    sel = (a["phase1/source"] == 0) & np.isclose(a["phase1/eta"], eta)
    return float(np.nanmean(a["phase1/noisy_fit"][sel]))


# --------------------------------------------------------------------------------------------
# Claims (one set per data kind)
# --------------------------------------------------------------------------------------------


def _studies(runs: Runs, kind: str) -> tuple[Record, Record | None]:
    """The SGD study (every mode runs it) and the GD study (None when the mode has no GD arm)."""
    sgd = study_of(runs, kind, "sgd")
    if sgd is None:
        raise ValueError(f"the {PAPER}.{kind}.sgd study is absent")
    return sgd, study_of(runs, kind, "gd")


def _other_arms(rec: Record, gd: Record | None, rule) -> str:
    """The same rule on the reinit head (SGD) and on GD (head kept)."""
    parts = []
    if "reinit" in rec.meta["study"]["arm"]["variants"]:
        parts.append(f"SGD, head re-initialised: {rule(rec, 'reinit')}")
    if gd is not None:
        parts.append(f"GD ({setting(gd)}), head kept: {rule(gd, 'keep')}")
    else:
        parts.append("GD arm not run in this mode")
    return "; ".join(parts)


def check_clean_simple(runs: Runs, kind: str) -> Outcome:
    rec, gd = _studies(runs, kind)
    base = baseline_runs(rec)
    s_mean, s_ci = mean_ci(final(rec, "s_rand_acc")[base])
    c_mean, c_ci = mean_ci(final(rec, "c_rand_acc")[base])
    clean = final(rec, "clean_acc")[base].mean()
    lo, hi = NEAR_HALF
    s_out = HOLDS if lo <= s_ci[0] and s_ci[1] <= hi else FAILS if (
        s_ci[1] < lo or s_ci[0] > hi) else INCONCLUSIVE
    result = combine(s_out, compare(c_ci, C_RAND_MIN, ">="))

    def rule(r: Record, variant: str) -> str:
        b = runs_of(r, variant, 0.0)
        return (f"S-rand {final(r, 's_rand_acc')[b].mean():.3f}, "
                f"C-rand {final(r, 'c_rand_acc')[b].mean():.3f}")

    detail = (f"baseline (clean, T1+T2 steps): clean acc {clean:.3f}, S-rand {s_mean:.3f}, C-rand "
              f"{c_mean:.3f} (CI [{c_ci[0]:.3f}, {c_ci[1]:.3f}]), conflict following "
              f"{final(rec, 'conflict_follow')[base].mean():.3f}, attribution share of C "
              f"{final(rec, 'attribution_c')[base].mean():.3f}; {_other_arms(rec, gd, rule)}")
    return outcome(result, s_mean,
                   f"S-rand 95% CI in [{lo}, {hi}] and C-rand 95% CI >= {C_RAND_MIN}",
                   s_ci, rec.seeds, setting(rec), detail, FIG_ETA)


def _rise(rec: Record, variant: str = "keep"):
    return rise_rule(rec, variant, [e for e in etas(rec) if e > 0])


def check_reliance_rises(runs: Runs, kind: str) -> Outcome:
    rec, gd = _studies(runs, kind)
    result, per = _rise(rec)
    best = max(per, key=lambda e: per[e][1].delta)
    _, es, _ = per[best]
    extra = []
    for eta in per:
        idx = runs_of(rec, "keep", eta)
        extra.append(
            f"eta={eta:g}: memorised {_memorised(rec, eta):.2f} of the flipped points in phase 1, "
            f"attribution share of C {final(rec, 'attribution_c')[idx].mean():.3f}, "
            f"disagreement with baseline {rec.arrays['final/disagree_test'][idx].mean():.3f} "
            f"(conflict inputs {rec.arrays['final/disagree_conflict'][idx].mean():.3f})")
    base = baseline_runs(rec)
    extra.append(
        f"baseline: attribution share {final(rec, 'attribution_c')[base].mean():.3f}, "
        f"seed-to-seed disagreement {rec.arrays['final/disagree_seed'][base].mean():.3f} "
        f"(baseline conflict following {final(rec, 'conflict_follow')[base].mean():.3f})")

    def rule(r: Record, variant: str) -> str:
        o, pr = _rise(r, variant)
        return f"{o} [{_per_eta_text(pr)}]"

    detail = (f"head kept: {_per_eta_text(per)}. {'; '.join(extra)}. "
              f"{_other_arms(rec, gd, rule)}")
    return outcome(result, es.delta,
                   "for some eta > 0: S-rand and conflict following above the baseline by "
                   "more than the seed spread (Bonferroni 95% CI of the paired difference)",
                   es.ci, rec.seeds, setting(rec) + f"; best eta={best:g}", detail, FIG_ETA)


def _effect_etas(rec: Record, variant: str = "keep") -> tuple[list[float], bool]:
    """The η where claim 2 holds (and True), or every η > 0 (and False) if none."""
    _, per = _rise(rec, variant)
    held = [e for e, v in per.items() if v[0] == HOLDS]
    return (held, True) if held else ([e for e in etas(rec) if e > 0], False)


def check_no_accuracy_cost(runs: Runs, kind: str) -> Outcome:
    rec, gd = _studies(runs, kind)

    def evaluate(r: Record, variant: str) -> tuple[str, list[Effect], list[float], bool]:
        where, held = _effect_etas(r, variant)
        level = 1.0 - ALPHA / max(1, len(where))
        effs = [effect(r, "clean_acc", variant, e, level, threshold=-ACC_TOLERANCE)
                for e in where]
        return combine(*[x.outcome for x in effs]), effs, where, held

    result, effs, where, held = evaluate(rec, "keep")
    worst = min(effs, key=lambda x: x.delta)

    def text(effs: list[Effect], where: list[float]) -> str:
        return "; ".join(f"eta={e:g}: clean acc {x.arm_mean:.4f} vs {x.base_mean:.4f} "
                         f"(d={x.delta:+.4f}, CI [{x.ci[0]:.4f}, {x.ci[1]:.4f}])"
                         for e, x in zip(where, effs))

    def rule(r: Record, variant: str) -> str:
        o, ef, wh, _ = evaluate(r, variant)
        return f"{o} [{text(ef, wh)}]"

    scope = ("at the eta where reliance_rises holds" if held else
             "reliance_rises holds at no eta: checked at every eta > 0")
    detail = f"{scope}; head kept: {text(effs, where)}. {_other_arms(rec, gd, rule)}"
    return outcome(result, worst.delta,
                   f"clean-accuracy difference to the baseline >= -{ACC_TOLERANCE} "
                   "(Bonferroni 95% CI) at every such eta", worst.ci, rec.seeds,
                   setting(rec), detail, FIG_CURVES)


def check_survives_controls(runs: Runs, kind: str) -> Outcome:
    rec, _ = _studies(runs, kind)
    where, held = _effect_etas(rec)
    ctrl_out, per = rise_rule(rec, "rescale", where)
    norm = rec.arrays["phase1/w_norm_ratio"]
    src = rec.arrays["phase1/source"]
    growth = "; ".join(
        f"eta={e:g}: ||W_T1||/||W_0|| = "
        f"{norm[(src == 0) & np.isclose(rec.arrays['phase1/eta'], e)].mean():.2f}"
        for e in etas(rec))
    r0 = runs_of(rec, "rescale", 0.0)
    ref = (f"rescaled eta=0 run: S-rand {final(rec, 's_rand_acc')[r0].mean():.3f}, conflict "
           f"{final(rec, 'conflict_follow')[r0].mean():.3f}") if r0.size else ""
    if not held:
        result = INCONCLUSIVE
        scope = "reliance_rises holds at no eta: there is no effect to control for"
    else:
        result = ctrl_out
        scope = "at the eta where reliance_rises holds"
    best = max(per, key=lambda e: per[e][1].delta) if per else None
    es = per[best][1] if best is not None else None
    detail = (f"{scope}; matched length: the baseline is the eta=0 run trained T1+T2 steps "
              f"through the same two calls; weight-norm control (W, b, a rescaled to their "
              f"initial norms after phase 1): {_per_eta_text(per)}. Weight growth in phase 1: "
              f"{growth}. {ref}")
    return outcome(result, None if es is None else es.delta,
                   "the reliance_rises rule holds for the rescaled runs at some eta where "
                   "it holds without rescaling", None if es is None else es.ci, rec.seeds,
                   setting(rec), detail, FIG_ETA)


def check_label_noise_specific(runs: Runs, kind: str) -> Outcome:
    rec, _ = _studies(runs, kind)
    _, held = _effect_etas(rec)
    if not rec.meta["study"]["arm"]["input_noise"]:
        return outcome(INCONCLUSIVE, None, "", None, rec.seeds, setting(rec),
                       "input-noise control not run in this mode")
    level = 1.0 - ALPHA
    es = effect(rec, "s_rand_acc", "input-noise", 0.0, level)
    ec = effect(rec, "conflict_follow", "input-noise", 0.0, level)
    rule = combine(es.outcome, ec.outcome)
    if not held:
        result = INCONCLUSIVE
        scope = "reliance_rises holds at no eta (nothing specific to label noise to test)"
    else:
        result = {HOLDS: FAILS, FAILS: HOLDS}.get(rule, INCONCLUSIVE)
        scope = "reliance_rises holds for label noise"
    idx = runs_of(rec, "input-noise", 0.0)
    sigma = rec.meta["study"]["plan"]["input_sigma"]
    detail = (f"{scope}; input-noise pre-training (sigma_in={sigma:g}, "
              f"clean labels) then clean training: S-rand {_eff(es)}, conflict {_eff(ec)}, "
              f"clean acc {final(rec, 'clean_acc')[idx].mean():.4f}, attribution share "
              f"{final(rec, 'attribution_c')[idx].mean():.3f}; the reliance_rises rule gives "
              f"{rule} for it")
    return outcome(result, es.delta,
                   "the reliance_rises rule fails for input-noise pre-training (95% CI)",
                   es.ci, rec.seeds, setting(rec), detail, FIG_ETA)


def _bind(check: Callable[[Runs, str], Outcome], kind: str) -> Callable[[Runs], Outcome]:
    """The check of one data kind, as a claim's ``check(runs) -> Outcome``."""

    def check_kind(runs: Runs) -> Outcome:
        return check(runs, kind)

    check_kind.__name__ = f"{check.__name__}_{kind}"
    return check_kind


def _register_claims() -> None:
    data_name = {"lms": "linear + 5-slab (LMS) data", "linxor": "linear + XOR data"}
    for kind in KINDS:
        on = data_name[kind]
        claim(f"{PAPER}.{kind}.clean_simple",
              f"On {on}, a clean-trained network relies on the simple feature: S-randomised "
              "accuracy near 0.5 while C-randomised accuracy stays high.",
              "simplicity-bias context (card section 2, Shah et al. 2020)", "[INFERRED]",
              decides=False)(_bind(check_clean_simple, kind))
        claim(f"{PAPER}.{kind}.reliance_rises",
              f"On {on}, pre-training on noisy labels (rate eta) and then training on clean "
              "labels raises reliance on the complex feature (S-randomised accuracy and "
              "conflict following) above clean training for some eta > 0.",
              "abstract, claims 1-2 (card A1)", "[INFERRED]",
              decides=False)(_bind(check_reliance_rises, kind))
        claim(f"{PAPER}.{kind}.no_accuracy_cost",
              f"On {on}, noisy-label pre-training does not cost clean test accuracy (within "
              "1 point of clean training).",
              "abstract, claim 3 (card A2)", "[INFERRED]",
              decides=False)(_bind(check_no_accuracy_cost, kind))
        claim(f"{PAPER}.{kind}.survives_controls",
              f"On {on}, the rise in complex-feature reliance survives resetting the weight "
              "norms after pre-training and is measured against matched-length clean training.",
              "card section 5.4 (control)", "[PROPOSAL]",
              decides=False)(_bind(check_survives_controls, kind))
        claim(f"{PAPER}.{kind}.label_noise_specific",
              f"On {on}, the effect is specific to label noise: pre-training with input noise "
              "(clean labels) does not produce it.",
              "card section 5.4 (control 3)", "[PROPOSAL]",
              decides=False)(_bind(check_label_noise_specific, kind))


_register_claims()
