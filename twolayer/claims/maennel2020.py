"""Claims of Maennel, Alabdulmohsin et al. (2020), "What Do Neural Networks Learn When Trained
With Random Labels?" (paper card ``maennel2020``, section 6 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL], Definition 3 and the Fig. 4,
Fig. 20 and one Fig. 5 panel [PAPER]; the misalignment score comes from a public reproduction
[SECONDARY]. Every setting is twolayer's [PROPOSAL] (the paper's experiments are CNNs on
CIFAR10 and fully connected nets with two hidden layers); the thresholds are the card's where it
gives one (an order of magnitude for B1) and [PROPOSAL] otherwise, fixed before the full runs.
The paper's networks are not two-layer networks and its claims here are empirical (its
alignment theorem is unknown), so, like badger2022's, every claim is registered
``decides=False``: reported apart, marked *proposal*, and left out of ``twolayer check``'s exit
status (since 2026-12-04; docs/verdict_audit.md finding 8). The regime (the measured premises:
the networks learned their labels, pre-training grew the first layer) is still computed; for
``b4.later_layers`` (not measured) it is the depth of the transfer Records' networks, read off
their config and stored arrays (:func:`hidden_layers`), against the ≥ 2 hidden layers that
"later layers" needs (card: depth caveat).

Statistics (issue #17): B1 judges the floor-subtracted ratio q = (M_data − F_data)/(M_rand −
F_rand) of the pooled ΔW (F: empirical sampling floors at the pooled sample size), and its
teacher control reads the same statistic with the same two cut-offs in the opposite direction;
B2's [PAPER] claim judges f of the weights W (Definition 3), the learned part ΔW is a separate
claim tagged as a proxy; B3's main arm is the pre-trained W rescaled with the biases reset to 0
(like scratch and the covariance arm), the arm that keeps the learned biases is a separate,
named finding. Claims that make several comparisons (``fig5.unscaled_fastest``,
``b3.transfer_learned_bias``) correct them by Holm's step-down procedure
(:func:`twolayer.stats.holm_outcomes`) and carry those comparisons (the paired loss-AUC
differences, one per seed in run order, each against 0) with the default rule "holds if all
hold, fails if one fails", which ``--seeds auto`` judges by one confidence sequence each; the
others make one comparison each. Every single-number
claim carries its per-seed values (paired differences, or jackknife pseudo-values of a pooled
statistic), threshold and direction (the claimed side); where a claim has two cut-offs (holds
beyond one, fails beyond the other) the threshold is the one the estimate lies beyond (none
when it lies between them: more seeds at that effect would not decide).

The settings, runners and the statistics of the Records (pooled covariance, misalignment,
jackknife intervals, transfer function, loss-AUC) are in :mod:`twolayer.experiments.maennel2020`;
the checks here only read the experiments' Records (``runs.get("maennel2020.<name>")``) and turn
those statistics into outcomes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import torch

from ..experiments import Runs
from ..experiments import maennel2020 as X
from ..record import Record
from ..stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    combine,
    compare,
    fmt_num,
    holm_outcomes,
    mean_ci,
    sign_outcome,
    used,
)
from .base import Outcome, outcome
from .base import claim as register


def claim(id: str, statement: str, source: str, tag: str = "[PAPER]",
          in_regime: bool = True) -> Callable:
    """:func:`twolayer.claims.base.claim` with ``decides=False``: every maennel2020 claim is
    checked on the card's [PROPOSAL] analogue (one hidden layer, Gaussian data), not on the
    paper's networks (module docstring)."""
    return register(id, statement, source, tag, in_regime, decides=False)

PAPER = "maennel2020"
ORDER = 10.0  # B1: "at least an order of magnitude" (card)
SAME = 2.0  # B1 refuted when M_rand ≤ 2 M_data ("M_data ≈ M_rand")
Q_HOLDS, Q_FAILS = X.EXCESS_HOLDS, X.EXCESS_FAILS  # the same on the floor-subtracted q = 1/ratio
ETA2_HOLDS, ETA2_FAILS = 0.8, 0.5  # B2: share of the variance of f explained by σ
LEVEL = 0.95  # two-sided intervals; one-sided tests at (1 − LEVEL)/2
TOL = 1e-6  # premises: strictly beyond the float32 rounding of the stored arrays

FIG_M = "maennel2020-misalignment"
FIG_F = "maennel2020-transfer-function"
FIG_T = "maennel2020-transfer"


# --------------------------------------------------------------------------------------------
# Verdict helpers and text
# --------------------------------------------------------------------------------------------


def _ci(ci: tuple[float, float]) -> str:
    return f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]"


def setting_text(rec: Record, note: str = "") -> str:
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    if dc["kind"] == "gaussian":
        data = (f"gaussian d={dc['d']} sigma_i^2 {dc['spectrum']} {dc['sigma2_min']:g}..."
                f"{dc['sigma2_max']:g} (random rotation)")
    else:
        data = f"xor d={dc['d']} sigma2={dc['sigma2']:.3g}"
    labels = "random labels" if dc["noise_model"] == "random" else "teacher labels"
    opt = (f"SGD batch {tc['batch_size']}" if tc["batch_size"] else "full-batch GD")
    n = rec.meta.get("trained_on", dc["n"])
    k = dc.get("num_classes", 2)
    text = (f"{data}, K={k} {labels}, n={n}, m={nc['m']}, He init, trained a and "
            f"b, {opt}, lr={tc['lr']:g}, {tc['steps']} steps, R={rec.seeds} runs pooled "
            f"(K={rec.seeds * nc['m']} neurons)")
    return text + (f"; {note}" if note else "")


def fitted(rec: Record) -> tuple[bool, str]:
    """Measured premise of every claim about a network *trained on* its labels (random labels for
    B1/B2 and for B3's pre-training, teacher labels for the control): the network learned them,
    i.e. the 95% CI of its final training error over seeds lies below chance, 1 − 1/K."""
    err = rec.arrays["errors/train_error"][:, -1]
    k = int(rec.config["data"].get("num_classes", 2))
    chance = 1.0 - 1.0 / k
    m, ci = mean_ci(err, LEVEL)
    ok = bool(ci[1] < chance - TOL)  # NaN (one seed) is not below
    labels = "random" if rec.config["data"]["noise_model"] == "random" else "teacher"
    return ok, (f"premise: the network learned its {labels} labels: final training error "
                f"{fmt_num(m)} {_ci(ci)} over {used(err)} seeds, below chance {fmt_num(chance)}: "
                f"{'yes' if ok else 'no'}")


def grown(rec: Record) -> tuple[bool, str]:
    """Measured premise of Fig. 5's weight-scale claim: pre-training grew the first layer, i.e.
    the 95% CI over seeds of ‖W(T)‖_F / ‖W(0)‖_F (traces of the probe's Σ_j w̃_j w̃_jᵀ, the frame
    being orthonormal) lies above 1."""
    o = rec.arrays["maennel/w_outer"]
    tr = np.trace(o, axis1=-2, axis2=-1)  # [R, T]
    ratio = np.sqrt(tr[:, -1] / tr[:, 0])
    m, ci = mean_ci(ratio, LEVEL)
    ok = bool(ci[0] > 1.0 + TOL)
    return ok, (f"premise: pre-training grew the first layer: ||W(T)||_F/||W(0)||_F {fmt_num(m)} "
                f"{_ci(ci)} over {used(ratio)} seeds, above 1: {'yes' if ok else 'no'}")


def decisive_cut(estimate: float, holds_at: float, fails_at: float) -> float | None:
    """For a claim with two cut-offs (holds beyond one, fails beyond the other): the cut-off the
    estimate lies beyond, which more seeds at the measured effect would decide (the
    ``threshold`` that gives an inconclusive verdict its ``seeds_needed``); None when the
    estimate lies between the two cut-offs, where no number of seeds decides at that effect."""
    lo, hi = sorted((holds_at, fails_at))
    if not math.isfinite(estimate) or lo < estimate < hi:
        return None
    return lo if estimate <= lo else hi


def _regime(*premises: tuple[bool, str]) -> dict:
    return {"in_regime": all(ok for ok, _ in premises),
            "regime": "; ".join(text for _, text in premises)}


def excess_outcome(ci: tuple[float, float]) -> str:
    """B1: holds if the CI of q = (M_data − F_data)/(M_rand − F_rand) lies at or below 1/10 (an
    order of magnitude), fails if it lies at or above 1/2 (M_data ≈ M_rand above the floors),
    inconclusive otherwise (or when the CI is not finite)."""
    if compare(ci, Q_HOLDS, "<=") == HOLDS:
        return HOLDS
    return FAILS if compare(ci, Q_FAILS, ">=") == HOLDS else INCONCLUSIVE


def control_outcome(ci: tuple[float, float]) -> str:
    """The teacher control, symmetric to :func:`excess_outcome`: holds where B1 would fail
    (CI of q at or above 1/2: no alignment), fails where B1 would hold (at or below 1/10)."""
    return {HOLDS: FAILS, FAILS: HOLDS}.get(excess_outcome(ci), INCONCLUSIVE)


B1_BOUND = (
    "q = (M_data - F_data)/(M_rand - F_rand) of the pooled dW, F = empirical sampling floors at "
    "the pooled sample size; {rule}; 95% jackknife CI over runs; one comparison (no "
    "multiplicity correction)"
)


def _alignment_numbers(a: X.Alignment) -> str:
    return (
        f"pooled dW at the end: M_data {fmt_num(a.m_data)} (empirical floor F_data "
        f"{fmt_num(a.floor)}; Gaussian floor of an exactly aligned covariance with K={a.neurons}: "
        f"{fmt_num(a.floor_gauss)}), M_rand {fmt_num(a.m_rand)} (mean over {X.RANDOM_BASES} Haar "
        f"bases; F_rand {fmt_num(a.floor_rand)}); raw ratio M_rand/M_data {fmt_num(a.ratio)} "
        f"{_ci(a.ratio_ci)}, at most about M_rand/F_data = {fmt_num(a.cap)} at this K"
    )
def note_degenerate(rec: Record, a: X.Alignment) -> str:
    """For degenerate Σ_x: the frame-basis M and the spread of Σ_w within the eigenspaces."""
    grp = X.groups(rec)
    if all(len(g) == 1 for g in grp):
        return ""
    cov = X.pooled(rec, "dw")[-1]
    parts = []
    for g in grp:
        idx = torch.tensor(g)
        ev = torch.linalg.eigvalsh(cov[idx[:, None], idx[None, :]])
        parts.append(f"{len(g)}-dim eigenspace: eigenvalues of the dW block "
                     f"{fmt_num(float(ev[0]))}...{fmt_num(float(ev[-1]))}")
    return (f"M of dW in the Gram-Schmidt frame basis (arbitrary within eigenspaces) "
            f"{fmt_num(a.m_frame)}; {'; '.join(parts)}; ")


def _alignment_claim(rec: Record, note: str = "") -> Outcome:
    a = X.alignment(rec)
    detail = (
        f"{_alignment_numbers(a)}; pooled W: M_data {fmt_num(a.m_data_w)}, M_rand "
        f"{fmt_num(a.m_rand_w)}; {note_degenerate(rec, a)}final training error "
        f"{fmt_num(float(rec.arrays['errors/train_error'][:, -1].mean()))}"
    )
    bound = B1_BOUND.format(rule=f"<= {Q_HOLDS:g} holds (M_rand >= {ORDER:g} M_data above the "
                                 f"floors), >= {Q_FAILS:g} fails (M_rand <= {SAME:g} M_data)")
    return outcome(
        excess_outcome(a.excess_ci), a.excess, bound, a.excess_ci, used(a.excess_pseudo),
        setting_text(rec, note), detail, FIG_M,
        per_seed=a.excess_pseudo, threshold=decisive_cut(a.excess, Q_HOLDS, Q_FAILS),
        direction="<=", **_regime(fitted(rec)),
    )


ALIGN_STATEMENT = (
    "Training with entirely random labels aligns the first-layer weight covariance with the data "
    "covariance: for the learned part dW = W - W(0), the misalignment in the data's eigenbasis is "
    "at least an order of magnitude below that in a random orthonormal basis, both counted above "
    "the misalignment that sampling the pooled neurons alone produces ({what})."
)


@claim("maennel2020.b1.alignment", ALIGN_STATEMENT.format(
    what="App. E.1 spectrum, 10 random classes, SGD"), "Abstract; Section 2 (alignment)",
    tag="[PAPER-PARTIAL]")
def check_alignment(runs: Runs) -> Outcome:
    return _alignment_claim(runs.get("maennel2020.e1_random"))


@claim("maennel2020.b1.alignment_spread", ALIGN_STATEMENT.format(
    what="spread spectrum over 3.5 decades, 10 random classes, SGD"),
    "Abstract; Section 2 (alignment)", tag="[PAPER-PARTIAL]")
def check_alignment_spread(runs: Runs) -> Outcome:
    return _alignment_claim(runs.get("maennel2020.spread_random"))


@claim("maennel2020.b1.alignment_binary_gd", ALIGN_STATEMENT.format(
    what="App. E.1 spectrum, 2 random classes, logistic loss, full-batch GD"),
    "Abstract; Section 2 (alignment)", tag="[PAPER-PARTIAL]")
def check_alignment_binary(runs: Runs) -> Outcome:
    # maennel2020-misalignment draws the App. E.1 and spread runs only: no figure draws this one
    return dataclasses.replace(_alignment_claim(runs.get("maennel2020.binary_gd")), figure=None)


@claim("maennel2020.b1.alignment_xor", ALIGN_STATEMENT.format(
    what="Frei's XOR clusters with random labels; data basis mu1, mu2 and a completion, since "
    "the eigenvalues of Sigma_x are degenerate"), "Abstract; Section 2 (alignment)",
    tag="[PAPER-PARTIAL]")
def check_alignment_xor(runs: Runs) -> Outcome:
    return dataclasses.replace(_alignment_claim(runs.get("maennel2020.xor_random"),
                                                "data basis: mu1, mu2 completed by Gram-Schmidt"),
                               figure=None)  # not drawn by maennel2020-misalignment either


@claim(
    "maennel2020.b1.grows_apart",
    "The misalignment of the weights W in a random basis and in the data basis grow apart over "
    "random-label training: G(t) = M_rand(W_t) - M_data(W_t) of the pooled W is larger at the end "
    "than at initialisation (where both are at the sampling floor).",
    "Fig. 2 (reproduction), Section 2", tag="[SECONDARY]",
)
def check_grows_apart(runs: Runs) -> Outcome:
    rec = runs.get("maennel2020.e1_random")
    est, ci, g0, gT, pseudo = X.gap_growth(rec)
    md, mr = X.m_curves(rec, "w")
    detail = (f"pooled W: M_data {fmt_num(md[0])} -> {fmt_num(md[-1])}, M_rand {fmt_num(mr[0])} -> "
              f"{fmt_num(mr[-1])}; G(0) {fmt_num(g0)}, G(T) {fmt_num(gT)}")
    return outcome(sign_outcome(ci, +1), est,
                   "G(T) - G(0) > 0 (95% jackknife CI above 0 holds, below 0 fails; one "
                   "comparison)", ci, used(pseudo), setting_text(rec), detail, FIG_M,
                   per_seed=pseudo, threshold=0.0, direction=">=", **_regime(fitted(rec)))


def _teacher_claim(teacher: Record, random: Record) -> Outcome:
    a_t, a_r = X.alignment(teacher), X.alignment(random)
    detail = (
        f"teacher: {_alignment_numbers(a_t)}; random labels (same setting): q "
        f"{fmt_num(a_r.excess)} {_ci(a_r.excess_ci)}, M_data {fmt_num(a_r.m_data)}, M_rand "
        f"{fmt_num(a_r.m_rand)}; M_data(teacher)/M_data(random) "
        f"{fmt_num(a_t.m_data / a_r.m_data)}; final training error (teacher) "
        f"{fmt_num(float(teacher.arrays['errors/train_error'][:, -1].mean()))}"
    )
    bound = B1_BOUND.format(rule=f"teacher: >= {Q_FAILS:g} holds (no alignment: B1's refutation), "
                                 f"<= {Q_HOLDS:g} fails (B1's alignment); the cut-offs of B1, "
                                 "read in the opposite direction")
    return outcome(
        control_outcome(a_t.excess_ci), a_t.excess, bound, a_t.excess_ci,
        used(a_t.excess_pseudo), setting_text(teacher), detail, FIG_M,
        per_seed=a_t.excess_pseudo, threshold=decisive_cut(a_t.excess, Q_FAILS, Q_HOLDS),
        direction=">=",
        **_regime(fitted(teacher)),
    )


TEACHER_STATEMENT = (
    "Control: with the labels of a linear teacher (a fixed labelling function of x) the learned "
    "first layer shows no such alignment: above the sampling floors, the misalignment of dW in the "
    "data basis is comparable to that in a random basis (M_rand <= 2 M_data) ({what})."
)


@claim("maennel2020.b1.teacher_control", TEACHER_STATEMENT.format(what="App. E.1 spectrum"),
       "Card B1/B5 control [PROPOSAL]", tag="[INFERRED]")
def check_teacher(runs: Runs) -> Outcome:
    return _teacher_claim(runs.get("maennel2020.e1_teacher"),
                          runs.get("maennel2020.e1_random"))


@claim("maennel2020.b1.teacher_control_spread",
       TEACHER_STATEMENT.format(what="spread spectrum over 3.5 decades"),
       "Card B1/B5 control [PROPOSAL]", tag="[INFERRED]")
def check_teacher_spread(runs: Runs) -> Outcome:
    return _teacher_claim(runs.get("maennel2020.spread_teacher"),
                          runs.get("maennel2020.spread_random"))


def _transfer_function_claim(rec: Record, which: str) -> Outcome:
    f = X.transfer_functions(rec, which)
    R = f.shape[0]
    est, ci, pseudo = X.jackknife_pseudo(lambda runs: X.explained_share(f[runs]), R)
    hi = ci[1]
    result = (HOLDS if compare(ci, ETA2_HOLDS, ">=") == HOLDS
              else FAILS if math.isfinite(hi) and hi < ETA2_FAILS else INCONCLUSIVE)
    sig = np.sqrt(rec.arrays["static/sigma2"][0])
    mean, sd = f.mean(0), f.std(0, ddof=1)
    q = np.array_split(np.arange(f.shape[1]), 5)
    shape = ", ".join(f"{fmt_num(float(sig[i].mean()))}: {fmt_num(float(mean[i].mean()))}"
                      for i in q)
    detail = (f"f(sigma) of {'dW' if which == 'dw' else 'W'}, quintile means (sigma: f) {shape}; "
              f"coefficient of variation over seeds {fmt_num(float((sd / mean).mean()))} (mean "
              f"over i); per run from its own m={rec.config['net']['m']} neurons")
    bound = (f"eta^2 >= {ETA2_HOLDS} (holds), < {ETA2_FAILS} (fails); 95% jackknife CI over runs; "
             "one comparison")
    return outcome(result, est, bound, ci, used(pseudo), setting_text(rec), detail, FIG_F,
                   per_seed=pseudo, threshold=decisive_cut(est, ETA2_HOLDS, ETA2_FAILS),
                   direction=">=", **_regime(fitted(rec)))


F_STATEMENT = (
    "The transfer function f(sigma_i) = sqrt(v_i^T Sigma_w v_i) of {what} is a consistent "
    "function of sigma across seeds: the eigen-direction explains at least 80% of the variance "
    "of f over seeds and directions (eta^2 >= 0.8)."
)


@claim("maennel2020.b2.transfer_function", F_STATEMENT.format(
    what="the first-layer weights W, as Definition 3 defines it (random labels, App. E.1 "
    "spectrum)"), "Definition 3, Figs. 4 and 20", tag="[PAPER]")
def check_f_weights(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "w")


@claim("maennel2020.b2.transfer_function_learned", F_STATEMENT.format(
    what="the learned part dW = W - W(0) (random labels, App. E.1 spectrum)") + " A proxy: "
    "Definition 3 and Figs. 4/20 are about W, not dW; dW removes the isotropic He "
    "initialisation, which dominates W in a short training.",
    "Definition 3, Figs. 4 and 20 (proxy: dW instead of W)", tag="[INFERRED]")
def check_f_learned(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "dw")


def _transfer_detail(rec: Record, p: X.Plan, task: str) -> str:
    auc = X.loss_auc(rec, p.down.auc_epochs)
    steps = X.steps_to(rec, p.target(task))
    parts = []
    for v, name in enumerate(X.VARIANTS):
        reached = np.isfinite(steps[v])
        st = steps[v][reached]
        med = fmt_num(float(np.median(st))) if st.size else "never"
        txt = f"{name}: loss-AUC {fmt_num(float(auc[v].mean()))}, steps to {p.target(task):g} " \
              f"train accuracy median {med} ({int(reached.sum())}/{reached.size} reached)"
        if v:
            e = X.effect(auc, v)
            txt += (f", AUC gain vs scratch {fmt_num(e.mean)} +- {fmt_num(e.se)} (95% CI "
                    f"{_ci(e.ci)}, {fmt_num(100 * e.relative)}%)")
        parts.append(txt)
    return "; ".join(parts)


def _transfer_setting(p: X.Plan, up: Record) -> str:
    d = p.down
    return setting_text(up, (
        f"fine-tuned on {up.meta['held_out']} held-out samples, {d.epochs} epochs, SGD batch "
        f"{d.batch}, lr={d.lr:g}, fresh head; loss-AUC over the first {d.auc_epochs} epochs"
    ))


MAIN = X.VARIANTS.index("rescaled_b0")  # B3's main arm: pre-trained W rescaled, b = 0
LEARNED_BIAS = X.VARIANTS.index("rescaled")  # secondary arm: learned biases kept (and rescaled)


def _variant_claim(runs: Runs, task: str, v: int, ref: int = 0) -> Outcome:
    """Paired loss-AUC effect of variant ``ref`` minus variant ``v`` on fine-tuning ``task``
    (> 0: ``v`` is faster): one comparison, the 95% t-interval of the mean over seeds."""
    p = X.plan(runs.quick)
    rec = runs.get("maennel2020.transfer")[task]
    up = runs.get(f"maennel2020.{X.UPSTREAM_OF[task]}")
    auc = X.loss_auc(rec, p.down.auc_epochs)
    e = X.effect(auc, v, ref)
    diff = auc[ref] - auc[v]
    bound = (f"paired loss-AUC({X.VARIANTS[ref]}) - loss-AUC({X.VARIANTS[v]}) > 0 (95% CI above "
             "0 holds, below 0 fails); one comparison")
    detail = _transfer_detail(rec, p, task)
    return outcome(sign_outcome(e.ci, +1), e.mean, bound, e.ci, used(diff),
                   _transfer_setting(p, up), detail, FIG_T,
                   per_seed=diff, threshold=0.0, direction=">=", **_regime(fitted(up)))


def _holm_claim(runs: Runs, pairs: list[tuple[str, int, int]], what: str,
                premises: tuple[tuple[bool, str], ...] = ()) -> Outcome:
    """Several paired comparisons inside one claim, each "loss-AUC(ref) − loss-AUC(v) > 0" on
    fine-tuning ``task`` for (task, v, ref) in ``pairs``: one-sided t-tests, Holm-corrected
    family-wise at (1 − LEVEL)/2 (the one-sided level of the 95% intervals of the single
    comparisons); holds when every comparison holds, fails when one fails. Reported: the
    deciding comparison (a failing one with the most negative mean, else the weakest by t
    statistic) with its 95% interval."""
    p = X.plan(runs.quick)
    recs = runs.get("maennel2020.transfer")
    diffs, names = [], []
    for task, v, ref in pairs:
        auc = X.loss_auc(recs[task], p.down.auc_epochs)
        diffs.append(auc[ref] - auc[v])
        names.append(f"{task}: {X.VARIANTS[ref]} - {X.VARIANTS[v]}")
    level = 1.0 - (1.0 - LEVEL) / 2
    comps = [(d, 0.0, ">=") for d in diffs]  # per seed in run order: paired by seed
    outs = holm_outcomes(comps, level=level, method="t")
    result = combine(*outs)

    def t_stat(d: np.ndarray) -> float:
        s = float(np.std(d, ddof=1)) if d.size > 1 else math.nan
        return float(np.mean(d)) / (s / math.sqrt(d.size)) if s > 0 else float(np.sign(d.mean()))

    failing = [i for i, o in enumerate(outs) if o == FAILS]
    pick = (min(failing, key=lambda i: float(diffs[i].mean())) if failing
            else min(range(len(diffs)), key=lambda i: t_stat(diffs[i])))
    m, ci = mean_ci(diffs[pick], LEVEL)
    parts = []
    for name, d, o in zip(names, diffs, outs):
        dm, dci = mean_ci(d, LEVEL)
        parts.append(f"{name}: {fmt_num(dm)} {_ci(dci)} -> {o}")
    detail = (f"{len(pairs)} comparisons, Holm-corrected: " + "; ".join(parts)
              + f"; reported: {names[pick]}")
    bound = (f"paired loss-AUC gain > 0 in each of {len(pairs)} comparisons ({what}); one-sided "
             f"t-tests, Holm-corrected family-wise at {1 - level:g}; holds if all hold, fails if "
             "one fails; measured/CI: the deciding comparison, 95% t-interval")
    ups = dict.fromkeys(X.UPSTREAM_OF[task] for task, _, _ in pairs)
    recs_up = [runs.get(f"maennel2020.{u}") for u in ups]
    return outcome(result, m, bound, ci, min(used(d) for d in diffs),
                   _transfer_setting(p, recs_up[0]), detail, FIG_T,
                   **_regime(*(fitted(r) for r in recs_up), *premises),
                   comparisons=comps, test="t")


TRANSFER_STATEMENT = (
    "Positive transfer: after pre-training on random labels, rescaling the first-layer weights to "
    "their initial norm and resetting the first-layer biases to 0 (as at initialisation), "
    "fine-tuning on a disjoint sample with {what} is faster than from scratch (smaller loss-AUC "
    "over the first epochs)."
)


@claim("maennel2020.b3.transfer_teacher", TRANSFER_STATEMENT.format(
    what="the labels of a linear teacher (spread spectrum)"), "Abstract; Fig. 5",
    tag="[PAPER-PARTIAL]")
def check_transfer_teacher(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", MAIN)


@claim("maennel2020.b3.transfer_random", TRANSFER_STATEMENT.format(
    what="new random labels (spread spectrum)"), "Abstract; Fig. 1", tag="[PAPER-PARTIAL]")
def check_transfer_random(runs: Runs) -> Outcome:
    return _variant_claim(runs, "random", MAIN)


@claim("maennel2020.b3.transfer_xor", TRANSFER_STATEMENT.format(
    what="the clean XOR labels (pre-trained on the XOR clusters with random labels)"),
    "Abstract; Fig. 5", tag="[PAPER-PARTIAL]")
def check_transfer_xor(runs: Runs) -> Outcome:
    return _variant_claim(runs, "xor", MAIN)


@claim(
    "maennel2020.b3.transfer_learned_bias",
    "Secondary arm (a finding about a confound, not the paper's protocol, which is unknown for "
    "biases): with the learned first-layer biases kept (W and b rescaled together to the initial "
    "norm of W), fine-tuning after random-label pre-training is faster than from scratch on each "
    "of the three downstream tasks (linear teacher, new random labels, clean XOR labels).",
    "Abstract; Fig. 5 (bias handling: twolayer's [PROPOSAL])", tag="[INFERRED]",
)
def check_transfer_learned_bias(runs: Runs) -> Outcome:
    return _holm_claim(runs, [(t, LEARNED_BIAS, 0) for t in X.TASKS],
                       "rescaled with learned biases vs scratch on teacher, random, xor")


@claim(
    "maennel2020.b3.covariance_init",
    "Sampling the first layer from N(0, Sigma_w) of the random-label-trained network (rescaled "
    "to the initial norm, b = 0) also trains faster than scratch (linear-teacher labels, spread "
    "spectrum).", "Fig. 5 ('covariance' curve; the panel [PAPER], which curve is which "
    "[SECONDARY])", tag="[SECONDARY]",
)
def check_covariance(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", X.VARIANTS.index("covariance"))


@claim(
    "maennel2020.fig5.unscaled_fastest",
    "Weight scale alone speeds up training: the pre-trained network without rescaling is the "
    "fastest of the Fig. 5 curves, faster than scratch, than the rescaled pre-trained network "
    "(b = 0, and with learned biases) and than the covariance initialisation (linear-teacher "
    "labels, spread spectrum).",
    "Fig. 5 ('no rescaling' curve; the panel [PAPER], which curve is which [SECONDARY])",
    tag="[SECONDARY]",
)
def check_unscaled(runs: Runs) -> Outcome:
    u = X.VARIANTS.index("unscaled")
    refs = [X.VARIANTS.index(n) for n in ("scratch", "rescaled_b0", "rescaled", "covariance")]
    up = runs.get(f"maennel2020.{X.UPSTREAM_OF['teacher']}")
    return _holm_claim(runs, [("teacher", u, r) for r in refs],
                       "unscaled vs scratch, rescaled_b0, rescaled, covariance", (grown(up),))


MIN_HIDDEN = 2  # B4: "later layers" needs a hidden layer after the first (card: a 3-layer MLP)


def hidden_layers(rec: Record) -> tuple[int | None, str]:
    """(the number of hidden layers of a Record's networks, or None when the Record does not
    determine it; the text). The network's config (``config["net"]``) lists its hidden widths:
    ``widths`` for a deeper network, else the one width ``m`` of twolayer's two-layer network
    f(x) = Σ_j a_j φ(⟨w_j, x⟩ + b_j). The stored arrays must agree: the first layer's per-neuron
    norms (``static/init_w_norm``, [R, m_1]) have the first width and the head (``static/a``,
    [R, m_L, K]) reads the last one."""
    net = rec.config.get("net", {})
    widths = [int(w) for w in net.get("widths") or ([net["m"]] if "m" in net else [])]
    first = rec.arrays.get("static/init_w_norm")
    head = rec.arrays.get("static/a")
    shapes = (f"first-layer norms {list(first.shape) if first is not None else None}, head "
              f"{list(head.shape) if head is not None else None}")
    if not widths or first is None or head is None:
        return None, f"hidden widths {widths} ({shapes}): not determined by the Record"
    if first.shape[-1] != widths[0] or head.shape[1] != widths[-1]:
        return None, (f"hidden widths {widths} disagree with the stored arrays ({shapes}): not "
                      "determined by the Record")
    return len(widths), (f"{len(widths)} hidden layer{'s' if len(widths) > 1 else ''} (widths "
                         f"{widths}; {shapes}: the head reads the "
                         f"{'first' if len(widths) == 1 else 'last'} hidden layer)")


def depth_premise(recs: dict[str, Record]) -> tuple[bool, str]:
    """Premise of B4, measured on the transfer Records (the fine-tuned networks, per task): the
    networks have a hidden layer after the first (:func:`hidden_layers` ≥ ``MIN_HIDDEN``), the
    "later layers" whose specialisation the statement is about; a two-layer network's only
    layer after the first is its output head, which every fine-tuning variant replaces."""
    parts, ok = [], bool(recs)
    for task, rec in sorted(recs.items()):  # sorted: the store keeps no part order
        n, text = hidden_layers(rec)
        ok = ok and n is not None and n >= MIN_HIDDEN
        parts.append(f"{task}: {text}")
    return ok, (f"premise: the transferred networks have later hidden layers (at least "
                f"{MIN_HIDDEN} hidden layers; the card's depth caveat: a 3-layer MLP): "
                f"{'yes' if ok else 'no'} (" + "; ".join(parts) + ")")


@claim(
    "maennel2020.b4.later_layers",
    "A competing negative effect: specialisation of later layers can hide the positive transfer "
    "and slow downstream training down (widening later layers mitigates it).",
    "Abstract; introduction (critical stages, specialisation)", tag="[PAPER-PARTIAL]",
)
def check_later_layers(runs: Runs) -> Outcome:
    recs = runs.get("maennel2020.transfer")
    ok, text = depth_premise(recs)
    return outcome(  # seeds 0: no per-seed value enters
        INCONCLUSIVE, None, "not measured (no check of later-layer specialisation)",
        None, 0, "the fine-tuned networks of the transfer Records (tasks "
        + ", ".join(sorted(recs)) + ")",
        ("premise unmet: " if not ok else "") + "not measured: " + (
            "the networks of the transfer Records have no hidden layer after the first to "
            "specialise; their only layer after the first is the output head, which every "
            "fine-tuning variant replaces by a fresh one. Testing this claim needs at least "
            "three layers (card, depth caveat)." if not ok else
            "the Records' networks have later hidden layers, but no check of their "
            "specialisation (downstream slowdown shrinking as they widen) is implemented.")
        + f" {text}",
        in_regime=ok, regime=text,
    )
