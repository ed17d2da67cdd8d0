"""Claims of Badger (2022), "Why Deep Learning Generalizes" (paper card ``badger2022``).

The card rests on the abstract only [PAPER-PARTIAL]; the objectives, the noise procedure and the
logged numbers come from the author's public code and data [SECONDARY]; the stability claim's
measurement is [INFERRED]. The settings, plans and runs are in
:mod:`twolayer.experiments.badger2022`; the checks here only read its Records (through
``objective_runs`` and friends) and never train.

Verdict rules ([PROPOSAL], fixed before the runs): per-seed statistics, their mean and Student-t
95% CI over seeds; "holds" if the CI lies on the predicted side, "fails" if wholly on the other
side, "inconclusive" otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from ..experiments import Runs
from ..experiments.badger2022 import (
    CHANCE,
    FIG_CURVES,
    FIG_GATES,
    FIG_JACOBIAN,
    FIG_NOISE,
    FIG_SIZES,
    FIG_SWITCH,
    TARGETS,
    ObjectiveRuns,
    gate_name,
    objective_runs,
    sizes_runs_view,
    switch_runs_view,
)
from ..stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    combine,
    fmt_mean_ci,
    mean_ci,
    semilog_slope,
    sign_outcome,
)
from .base import Outcome, claim, outcome

TIE = 0.02  # claim 2: a fall of the memorise train accuracy by ≤ 0.02 with more noise is a tie
MATCH_ACC = 0.9  # claim 4: compare sensitivities when the train accuracy first reaches 0.9
MATCH_F = 0.25  # claim 4: the primary fraction (card pilot: both objectives reach ≈ 0.9 there)
FALLBACK_LEVELS = (0.8, 0.7, 0.6, 0.5)  # claim 4: reported (not judged) if 0.9 is never reached
NEAR = 0.05  # claim 5: hold-out within 0.05 of normal training's counts as "recovered"


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def steps_to(times: np.ndarray, acc: np.ndarray, level: float = 0.5) -> np.ndarray:
    """First time (linearly interpolated between probe times) with acc ≥ level; inf if never.
    acc [..., T] → [...]."""
    flat = acc.reshape(-1, acc.shape[-1])
    out = np.full(flat.shape[0], np.inf)
    for i, a in enumerate(flat):
        hit = np.flatnonzero(a >= level)
        if hit.size == 0:
            continue
        j = int(hit[0])
        if j == 0:
            out[i] = times[0]
            continue
        a0, a1 = a[j - 1], a[j]
        out[i] = times[j - 1] + (level - a0) / (a1 - a0) * (times[j] - times[j - 1])
    return out.reshape(acc.shape[:-1])


def at_time(runs: ObjectiveRuns, key: str, t: int) -> np.ndarray:
    """[F, S] values of ``key`` at probe time t."""
    j = int(np.flatnonzero(runs.times == t)[0])
    return runs.get(key)[..., j]


def first_reach(runs: ObjectiveRuns, obj: str, level: float) -> np.ndarray:
    """[F, S] index of the first probe time with train accuracy ≥ level (−1 if never)."""
    acc = runs.get(f"{obj}/acc_train")
    reached = acc >= level
    idx = reached.argmax(-1)
    return np.where(reached.any(-1), idx, -1)


def _accuracies(runs: ObjectiveRuns, name: str, T: int) -> str:
    """"train …, ascended …, hold-out …": the three accuracies of one objective at step T."""
    acc = {k: fmt_mean_ci(at_time(runs, f"{name}/acc_{k}", T)[0], digits=3)
           for k in ("train", "ascended", "holdout")}
    return f"train {acc['train']}, ascended {acc['ascended']}, hold-out {acc['holdout']}"


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@claim("badger2022.c1.memorise_slower",
       "Memorising structured data (f = 1) is slower than generalising: the memorise "
       "objective needs more steps to reach 50% train accuracy than normal training (log ratio "
       "> 0; the train accuracies at equal steps are reported), and its untouched hold-out "
       "accuracy stays above chance.",
       "abstract (memorisation is difficult); author's logs: 0.324 vs 0.772 train, hold-out "
       "0.292", tag="[PAPER-PARTIAL]")
def check_c1(runs: Runs) -> Outcome:
    r = objective_runs(runs.get("badger2022.objectives"))
    i = r.fi(1.0)
    T = int(r.times[-1])
    nrm = at_time(r, "normal/acc_train", T)[i]
    mem = at_time(r, "memorise_chance/acc_train", T)[i]
    hold = at_time(r, "memorise_chance/acc_holdout", T)[i]
    asc = at_time(r, "memorise_chance/acc_ascended", T)[i]
    t_n = steps_to(r.times, r.get("normal/acc_train")[i])
    t_m = steps_to(r.times, r.get("memorise_chance/acc_train")[i])
    # never reaching 50% within T counts as T: a lower bound on the slowdown (conservative)
    m, ci = mean_ci(np.log(np.minimum(t_m, T) / t_n))
    _, hci = mean_ci(hold - CHANCE)
    result = combine(sign_outcome(ci, +1), sign_outcome(hci, +1))
    detail = (f"at step {T}: train acc normal {fmt_mean_ci(nrm, digits=3)}, memorise "
              f"{fmt_mean_ci(mem, digits=3)}; memorise hold-out {fmt_mean_ci(hold, digits=3)} "
              f"(chance {CHANCE}), ascended {fmt_mean_ci(asc, digits=3)}; steps to 50% train "
              f"acc: normal {np.round(t_n, 1).tolist()}, memorise {np.round(t_m, 1).tolist()} "
              f"(inf = not within {T}); wall {r.wall_seconds:.1f}s")
    return outcome(result, m, "log(t50_mem / t50_normal) > 0 and Acc_hold,mem > 1/K", ci,
                   r.seeds, r.setting + ", f=1", detail, FIG_CURVES)


@claim("badger2022.c2.noise_helps",
       "Memorisation gets easier as input noise grows: the memorise objective's final train "
       "accuracy increases monotonically with the noise fraction 1 − f.",
       "abstract (adding noise makes memorisation easier); author's logs 0.324 (0% noise) → "
       "0.757 (100%)", tag="[PAPER-PARTIAL]")
def check_c2(runs: Runs) -> Outcome:
    r = objective_runs(runs.get("badger2022.objectives"))
    T = int(r.times[-1])
    acc = at_time(r, "memorise_chance/acc_train", T)  # [F, S]
    order = np.argsort([1.0 - f for f in r.fractions], kind="stable")
    fr = [r.fractions[j] for j in order]
    acc = acc[order]
    outcomes, parts = [], []
    for j in range(len(fr) - 1):
        d = acc[j + 1] - acc[j]
        m, (lo, hi) = mean_ci(d)
        o = HOLDS if lo > -TIE else FAILS if hi < -TIE else INCONCLUSIVE
        outcomes.append(o)
        parts.append(f"f {fr[j]:g}→{fr[j + 1]:g}: {m:+.3f} [{lo:+.3f}, {hi:+.3f}] {o}")
    total = acc[-1] - acc[0]
    m, ci = mean_ci(total)
    result = combine(sign_outcome(ci, +1), *outcomes)
    means = ", ".join(f"f={f:g}: {fmt_mean_ci(a, digits=3)}" for f, a in zip(fr, acc))
    t50 = steps_to(r.times, r.get("memorise_chance/acc_train")[order])
    steps = ", ".join(f"f={f:g}: {np.median(t):.0f}" for f, t in zip(fr, t50))
    detail = (f"memorise train acc at step {T}: {means}. Consecutive differences (tie tolerance "
              f"{TIE}): {'; '.join(parts)}. Median steps to 50% train acc: {steps}")
    return outcome(result, m, "Acc_mem(f=0) − Acc_mem(f=1) > 0, no significant fall", ci,
                   r.seeds, r.setting, detail, FIG_NOISE)


def _sizes_claim(runs: Runs, basis: str) -> Outcome:
    sizes = sizes_runs_view(runs.get("badger2022.sizes"))
    Ns = sorted(sizes)
    r0 = sizes[Ns[0]]
    S = r0.seeds
    equal = int(np.flatnonzero(r0.times == r0.times[-1])[0])
    gaps = np.zeros((2, S, len(Ns)))  # [f (0 random, 1 structured), seed, N]
    for k, N in enumerate(Ns):
        r = sizes[N]
        t = int(r.times[-1]) if basis == "epochs" else int(r0.times[equal])
        gaps[:, :, k] = at_time(r, "normal/acc_train", t) - at_time(r, "normal/acc_holdout", t)
    slopes = np.array([[semilog_slope(np.array(Ns, float), gaps[f, s], base=2)
                        for s in range(S)] for f in range(2)])
    m_r, ci_r = mean_ci(slopes[0])
    m_s, ci_s = mean_ci(slopes[1])
    result = combine(sign_outcome(ci_r, +1), sign_outcome(ci_s, -1))
    mg = gaps.mean(1)
    detail = (f"gap (train − hold-out acc) at equal {basis} "
              f"({'each run at its end' if basis == 'epochs' else f'step {int(r0.times[equal])}'}"
              f"), mean over seeds, N={Ns}: random {np.round(mg[0], 3).tolist()}, structured "
              f"{np.round(mg[1], 3).tolist()}; slope per doubling of N: random "
              f"{fmt_mean_ci(slopes[0], digits=3)} (predicted > 0), structured "
              f"{fmt_mean_ci(slopes[1], digits=3)} (predicted < 0)")
    setting = sizes[Ns[-1]].setting.split(", N=")[0] + f", N in {Ns}, " + \
        sizes[Ns[-1]].setting.split("m=", 1)[1].join(["m=", ""])
    return outcome(result, m_r, "slope random > 0 and slope structured < 0", ci_r, S, setting,
                   detail, FIG_SIZES)


@claim("badger2022.c3.sizes_epochs",
       "Larger datasets exaggerate a dataset's character, at equal epochs: the train–test "
       "gap grows with N for random inputs and shrinks with N for structured inputs.",
       "abstract; author's logs (200 epochs; ConvNet / ResNet18)", tag="[PAPER-PARTIAL]")
def check_c3_epochs(runs: Runs) -> Outcome:
    return _sizes_claim(runs, "epochs")


@claim("badger2022.c3.sizes_steps",
       "The same dataset-size trends at equal optimiser steps (the paper's epoch-based "
       "comparison gives larger N more steps).", "card §7 claim 3 (the epochs/steps confound)",
       tag="[INFERRED]")
def check_c3_steps(runs: Runs) -> Outcome:
    return _sizes_claim(runs, "steps")


def matched(runs: ObjectiveRuns, key: str, level: float = MATCH_ACC):
    """Per fraction: values of ``key`` [S] for normal and memorise at the first probe time
    their train accuracy reaches ``level`` (None if some seed never does), and the accuracies."""
    out = {}
    for f in runs.fractions:
        i = runs.fi(f)
        vals, accs = [], []
        for obj in ("normal", "memorise_chance"):
            idx = first_reach(runs, obj, level)[i]
            if (idx < 0).any():
                break
            S = np.arange(runs.seeds)
            vals.append(runs.get(f"{obj}/{key}")[i][S, idx])
            accs.append(runs.get(f"{obj}/acc_train")[i][S, idx])
        if len(vals) == 2:
            out[f] = (vals[0], vals[1], accs[0], accs[1])
    return out


@claim("badger2022.c4.matched_sensitivity",
       "Memorising solutions are less stable to input perturbations than generalising ones "
       "at matched train accuracy: larger E‖∂f/∂x‖_F on training points.",
       "abstract (attraction to points of maximal input stability); measurement card §6 G5/G7",
       tag="[INFERRED]")
def check_c4_matched(runs: Runs) -> Outcome:
    r = objective_runs(runs.get("badger2022.objectives"))
    jac = matched(r, "jac_train")
    gx = matched(r, "gradx_holdout")
    if MATCH_F not in jac:
        extra = ""
        for level in FALLBACK_LEVELS:  # reported only; the verdict stays inconclusive
            lower = matched(r, "jac_train", level)
            if MATCH_F in lower:
                jn, jm, an, am = lower[MATCH_F]
                gn, gm = matched(r, "gradx_holdout", level)[MATCH_F][:2]
                lm, lci = mean_ci(np.log(jm / jn))
                extra = (f". Not counted in the verdict: at the highest level every seed reaches, "
                         f"train acc ≥ {level} (f={MATCH_F}; acc {an.mean():.3f} vs "
                         f"{am.mean():.3f}): J normal {fmt_mean_ci(jn, digits=3)}, memorise "
                         f"{fmt_mean_ci(jm, digits=3)}, log ratio "
                         f"{lm:.3f} [{lci[0]:.3f}, {lci[1]:.3f}]; ‖∇_x ℓ‖ hold-out normal "
                         f"{fmt_mean_ci(gn, digits=3)}, memorise {fmt_mean_ci(gm, digits=3)}")
                break
        return outcome(INCONCLUSIVE, None, "log(J_mem/J_normal) > 0", None, r.seeds,
                       r.setting, f"memorise never reached train acc {MATCH_ACC} at "
                       f"f={MATCH_F} in every seed; matched fractions: {sorted(jac)}"
                       + extra, FIG_JACOBIAN)
    parts = []
    for f, (jn, jm, an, am) in sorted(jac.items(), reverse=True):
        gn, gm = gx[f][0], gx[f][1]
        parts.append(f"f={f:g}: J normal {fmt_mean_ci(jn, digits=3)}, memorise "
                     f"{fmt_mean_ci(jm, digits=3)} (train acc {an.mean():.3f} vs "
                     f"{am.mean():.3f}); ‖∇_x ℓ‖ hold-out normal {fmt_mean_ci(gn, digits=3)}, "
                     f"memorise {fmt_mean_ci(gm, digits=3)}")
    jn, jm, _, _ = jac[MATCH_F]
    m, ci = mean_ci(np.log(jm / jn))
    detail = (f"first probe time with train acc ≥ {MATCH_ACC}; primary f={MATCH_F}. "
              + "; ".join(parts))
    return outcome(sign_outcome(ci, +1), m, "log(J_mem / J_normal) > 0", ci, r.seeds,
                   r.setting + f", f={MATCH_F}", detail, FIG_JACOBIAN)


@claim("badger2022.c4.normal_drives_down",
       "Normal training drives input sensitivity down: E‖∂f/∂x‖_F on training points ends "
       "below its initial value.", "abstract (GD is attracted to input-stable points); card §6 "
       "G8", tag="[INFERRED]")
def check_c4_down(runs: Runs) -> Outcome:
    r = objective_runs(runs.get("badger2022.objectives"))
    jac = r.get("normal/jac_train")  # [F, S, T]
    i = r.fi(1.0)
    ratio = np.log(jac[i, :, -1] / jac[i, :, 0])
    m, ci = mean_ci(ratio)
    parts = []
    for f in r.fractions:
        j = jac[r.fi(f)]
        parts.append(f"f={f:g}: J(0) {j[:, 0].mean():.3g}, peak {j.max(-1).mean():.3g}, "
                     f"J(T) {j[:, -1].mean():.3g}")
    gx = r.get("normal/gradx_train")[i]
    detail = (f"log(J(T)/J(0)) at f=1; per fraction (means): {'; '.join(parts)}. Loss input "
              f"gradient on training points ‖∇_x ℓ‖: {gx[:, 0].mean():.3g} → "
              f"{gx[:, -1].mean():.3g}")
    return outcome(sign_outcome(ci, -1), m, "log(J(T)/J(0)) < 0", ci, r.seeds,
                   r.setting + ", f=1", detail, FIG_JACOBIAN)


@claim("badger2022.c2p.target_gates",
       "Holding the ascended set's accuracy down holds the train accuracy down: with the "
       "gate at a target accuracy τ (ascend while Acc_A > τ), the final train accuracy on "
       "structured data (f = 1) rises with τ (chance gate 1/K + 0.01, then τ = 0.25, 0.5, 0.75).",
       "author's logged target runs (10k CIFAR-10, 200 epochs): train 0.462 at a 20% target → "
       "0.781 at 85%; ungated run overfit_2", tag="[SECONDARY]")
def check_c2p(runs: Runs) -> Outcome:
    r = objective_runs(runs.get("badger2022.gates"))
    T = int(r.times[-1])
    taus = [CHANCE + 0.01, *TARGETS]
    names = [gate_name(g) for g in ("chance", *TARGETS)]
    acc = np.stack([at_time(r, f"{n}/acc_train", T)[0] for n in names])  # [G, S]
    slopes = np.array([np.polyfit(taus, acc[:, j], 1)[0] for j in range(r.seeds)])
    m, ci = mean_ci(slopes)
    parts = []
    for tau, n in zip(taus, names):
        t90 = steps_to(r.times, r.get(f"{n}/acc_train")[0], 0.9)
        parts.append(f"τ={tau:.2f}: {_accuracies(r, n, T)}, median steps to 90% "
                     f"train {np.median(t90):.0f}")
    un = gate_name("none")
    ung = (f"ungated: {_accuracies(r, un, T)}, E||df/dx||_F "
           f"{np.nanmedian(at_time(r, f'{un}/jac_train', T)[0]):.3g} (median)")
    notes = "; ".join(f"{k}: {v}" for k, v in r.extra.items() if k != "steps_per_epoch")
    detail = (f"at step {T}: " + "; ".join(parts) + ". " + ung
              + (f". Notes: {notes}" if notes else ""))
    return outcome(sign_outcome(ci, +1), m, "slope of final Acc_train against τ > 0", ci,
                   r.seeds, r.setting + ", f=1", detail, FIG_GATES)


@claim("badger2022.c5.switch_recovers",
       "After memorising (chance gate) for E epochs, E epochs of normal training restore "
       "generalisation: the hold-out accuracy comes within 0.05 of normal training's for 2E "
       "epochs (f = 1).",
       "author's Figure_s2 data: 500 memorise epochs (train 0.477, test 0.024), then 500 normal "
       "(train 0.847, test 0.534)", tag="[SECONDARY]")
def check_c5(runs: Runs) -> Outcome:
    r = switch_runs_view(runs.get("badger2022.switch"))
    mem, sw, nrm = r["memorise"], r["switch"], r["normal"]
    h_mem = mem.get("normal/acc_holdout")[0, :, -1]
    h_sw = sw.get("normal/acc_holdout")[0, :, -1]
    h_n = nrm.get("normal/acc_holdout")[0, :, -1]
    T = int(mem.times[-1])
    h_nT = at_time(nrm, "normal/acc_holdout", T)[0]
    m, ci = mean_ci(h_sw - h_n)
    lo, hi = ci
    result = (HOLDS if lo > -NEAR else FAILS if hi < -NEAR else INCONCLUSIVE) \
        if math.isfinite(lo) else INCONCLUSIVE
    detail = (f"hold-out accuracy: after memorising {fmt_mean_ci(h_mem, digits=3)} (train "
              f"{fmt_mean_ci(mem.get('normal/acc_train')[0, :, -1], digits=3)}, ascended "
              f"{fmt_mean_ci(mem.get('normal/acc_ascended')[0, :, -1], digits=3)}); after the "
              f"switch {fmt_mean_ci(h_sw, digits=3)} (train "
              f"{fmt_mean_ci(sw.get('normal/acc_train')[0, :, -1], digits=3)}); normal training "
              f"{fmt_mean_ci(h_nT, digits=3)} at step {T}, {fmt_mean_ci(h_n, digits=3)} at step "
              f"{2 * T}; wall "
              f"{mem.wall_seconds:.1f}s")
    return outcome(result, m, f"H_switch − H_normal > −{NEAR}", ci, mem.seeds, mem.setting,
                   detail, FIG_SWITCH)
