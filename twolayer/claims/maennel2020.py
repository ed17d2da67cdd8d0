"""Claims of Maennel, Alabdulmohsin et al. (2020), "What Do Neural Networks Learn When Trained
With Random Labels?" (paper card ``maennel2020``, section 6 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL], Definition 3 and the Fig. 4,
Fig. 20 and one Fig. 5 panel [PAPER]; the misalignment score comes from a public reproduction
[SECONDARY]. Every setting is twolayer's [PROPOSAL] (the paper's experiments are CNNs on
CIFAR10 and fully connected nets with two hidden layers); the thresholds are the card's where it
gives one (an order of magnitude for B1) and [PROPOSAL] otherwise, fixed before the full runs.

The settings, runners and the statistics of the Records (pooled covariance, misalignment,
jackknife intervals, transfer function, loss-AUC) are in :mod:`twolayer.experiments.maennel2020`;
the checks here only read the experiments' Records (``runs.get("maennel2020.<name>")``) and turn
those statistics into outcomes.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..experiments import Runs
from ..experiments import maennel2020 as X
from ..record import Record
from ..stats import FAILS, HOLDS, INCONCLUSIVE, fmt_num, jackknife, sign_outcome
from .base import Outcome, claim, outcome

PAPER = "maennel2020"
ORDER = 10.0  # B1: "at least an order of magnitude" (card)
SAME = 2.0  # B1 refuted when M_rand/M_data ≤ 2 ("M_data ≈ M_rand")
ETA2_HOLDS, ETA2_FAILS = 0.8, 0.5  # B2: share of the variance of f explained by σ

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


def ratio_outcome(ci: tuple[float, float]) -> str:
    """B1: holds if the CI of M_rand/M_data lies at or above 10, fails if it lies at or below 2
    (M_data ≈ M_rand), inconclusive otherwise."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return INCONCLUSIVE
    return HOLDS if lo >= ORDER else FAILS if hi <= SAME else INCONCLUSIVE


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
        f"pooled dW at the end: M_data {fmt_num(a.m_data)} (sampling floor of an exactly "
        f"aligned covariance with K={a.neurons}: {fmt_num(a.floor)}), M_rand "
        f"{fmt_num(a.m_rand)} (mean over "
        f"{X.RANDOM_BASES} Haar bases); pooled W: M_data {fmt_num(a.m_data_w)}, M_rand "
        f"{fmt_num(a.m_rand_w)}; {note_degenerate(rec, a)}final training error "
        f"{fmt_num(float(rec.arrays['errors/train_error'][:, -1].mean()))}"
    )
    return outcome(
        ratio_outcome(a.ratio_ci), a.ratio,
        "M_rand/M_data of pooled dW >= 10 (holds), <= 2 (fails)", a.ratio_ci, a.runs,
        setting_text(rec, note), detail, FIG_M,
    )


ALIGN_STATEMENT = (
    "Training with entirely random labels aligns the first-layer weight covariance with the data "
    "covariance: for the learned part dW = W - W(0), the misalignment in the data's eigenbasis is "
    "at least an order of magnitude below that in a random orthonormal basis ({what})."
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
    return _alignment_claim(runs.get("maennel2020.binary_gd"))


@claim("maennel2020.b1.alignment_xor", ALIGN_STATEMENT.format(
    what="Frei's XOR clusters with random labels; data basis mu1, mu2 and a completion, since "
    "the eigenvalues of Sigma_x are degenerate"), "Abstract; Section 2 (alignment)",
    tag="[PAPER-PARTIAL]")
def check_alignment_xor(runs: Runs) -> Outcome:
    return _alignment_claim(runs.get("maennel2020.xor_random"),
                            "data basis: mu1, mu2 completed by Gram-Schmidt")


@claim(
    "maennel2020.b1.grows_apart",
    "The misalignment of the weights W in a random basis and in the data basis grow apart over "
    "random-label training: G(t) = M_rand(W_t) - M_data(W_t) of the pooled W is larger at the end "
    "than at initialisation (where both are at the sampling floor).",
    "Fig. 2 (reproduction), Section 2", tag="[SECONDARY]",
)
def check_grows_apart(runs: Runs) -> Outcome:
    rec = runs.get("maennel2020.e1_random")
    est, ci, g0, gT = X.gap_growth(rec)
    md, mr = X.m_curves(rec, "w")
    detail = (f"pooled W: M_data {fmt_num(md[0])} -> {fmt_num(md[-1])}, M_rand {fmt_num(mr[0])} -> "
              f"{fmt_num(mr[-1])}; G(0) {fmt_num(g0)}, G(T) {fmt_num(gT)}")
    return outcome(sign_outcome(ci, +1), est, "G(T) - G(0) > 0 (jackknife CI above 0)", ci,
                   rec.seeds, setting_text(rec), detail, FIG_M)


def _teacher_claim(teacher: Record, random: Record) -> Outcome:
    a_t, a_r = X.alignment(teacher), X.alignment(random)
    lo, hi = a_t.ratio_ci
    result = HOLDS if hi < ORDER else FAILS if lo >= ORDER else INCONCLUSIVE
    detail = (
        f"teacher: pooled dW M_data {fmt_num(a_t.m_data)}, M_rand {fmt_num(a_t.m_rand)}; "
        "random labels "
        f"(same setting): M_data {fmt_num(a_r.m_data)}, M_rand {fmt_num(a_r.m_rand)}, ratio "
        f"{fmt_num(a_r.ratio)} {_ci(a_r.ratio_ci)}; M_data(teacher)/M_data(random) "
        f"{fmt_num(a_t.m_data / a_r.m_data)}; final training error (teacher) "
        f"{fmt_num(float(teacher.arrays['errors/train_error'][:, -1].mean()))}"
    )
    return outcome(
        result, a_t.ratio,
        "teacher M_rand/M_data of pooled dW < 10 (holds), >= 10 (fails)", a_t.ratio_ci,
        a_t.runs, setting_text(teacher), detail, FIG_M,
    )


TEACHER_STATEMENT = (
    "Control: with the labels of a linear teacher (a fixed labelling function of x) the learned "
    "first layer shows no such alignment: M_rand/M_data of dW stays below an order of "
    "magnitude ({what})."
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
    est, ci, _ = jackknife(lambda runs: X.explained_share(f[runs]), R)
    lo, hi = ci
    result = HOLDS if lo >= ETA2_HOLDS else FAILS if hi < ETA2_FAILS else INCONCLUSIVE
    sig = np.sqrt(rec.arrays["static/sigma2"][0])
    mean, sd = f.mean(0), f.std(0, ddof=1)
    q = np.array_split(np.arange(f.shape[1]), 5)
    shape = ", ".join(f"{fmt_num(float(sig[i].mean()))}: {fmt_num(float(mean[i].mean()))}"
                      for i in q)
    detail = (f"f(sigma) quintile means (sigma: f) {shape}; coefficient of variation over seeds "
              f"{fmt_num(float((sd / mean).mean()))} (mean over i)")
    bound = f"eta^2 >= {ETA2_HOLDS} (holds), < {ETA2_FAILS} (fails)"
    return outcome(result, est, bound, ci, R, setting_text(rec), detail, FIG_F)


F_STATEMENT = (
    "The transfer function f(sigma_i) = sqrt(v_i^T Sigma_w v_i) of {what} is a consistent "
    "function of sigma across seeds: the eigen-direction explains at least 80% of the variance "
    "of f over seeds and directions (eta^2 >= 0.8)."
)


@claim("maennel2020.b2.transfer_function", F_STATEMENT.format(
    what="the learned part dW (random labels, App. E.1 spectrum)"),
    "Definition 3, Figs. 4 and 20", tag="[PAPER]")
def check_f_learned(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "dw")


@claim("maennel2020.b2.transfer_function_weights", F_STATEMENT.format(
    what="the weights W themselves (random labels, App. E.1 spectrum)"),
    "Definition 3, Figs. 4 and 20", tag="[PAPER]")
def check_f_weights(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "w")


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


def _variant_claim(runs: Runs, task: str, v: int, ref: int = 0) -> Outcome:
    """Paired loss-AUC effect of variant ``ref`` minus variant ``v`` on fine-tuning ``task``
    (> 0: ``v`` is faster)."""
    p = X.plan(runs.quick)
    rec = runs.get("maennel2020.transfer")[task]
    up = runs.get(f"maennel2020.{X.UPSTREAM_OF[task]}")
    auc = X.loss_auc(rec, p.down.auc_epochs)
    e = X.effect(auc, v, ref)
    bound = (f"paired loss-AUC({X.VARIANTS[ref]}) - loss-AUC({X.VARIANTS[v]}) > 0 (95% CI above "
             "0 holds, below 0 fails)")
    detail = _transfer_detail(rec, p, task)
    return outcome(sign_outcome(e.ci, +1), e.mean, bound, e.ci, auc.shape[1],
                   _transfer_setting(p, up), detail, FIG_T)


TRANSFER_STATEMENT = (
    "Positive transfer: after pre-training on random labels and rescaling the first layer to its "
    "initial norm, fine-tuning on a disjoint sample with {what} is faster than from scratch "
    "(smaller loss-AUC over the first epochs)."
)


@claim("maennel2020.b3.transfer_teacher", TRANSFER_STATEMENT.format(
    what="the labels of a linear teacher (spread spectrum)"), "Abstract; Fig. 5",
    tag="[PAPER-PARTIAL]")
def check_transfer_teacher(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", 1)


@claim("maennel2020.b3.transfer_random", TRANSFER_STATEMENT.format(
    what="new random labels (spread spectrum)"), "Abstract; Fig. 1", tag="[PAPER-PARTIAL]")
def check_transfer_random(runs: Runs) -> Outcome:
    return _variant_claim(runs, "random", 1)


@claim("maennel2020.b3.transfer_xor", TRANSFER_STATEMENT.format(
    what="the clean XOR labels (pre-trained on the XOR clusters with random labels)"),
    "Abstract; Fig. 5", tag="[PAPER-PARTIAL]")
def check_transfer_xor(runs: Runs) -> Outcome:
    return _variant_claim(runs, "xor", 1)


@claim(
    "maennel2020.b3.covariance_init",
    "Sampling the first layer from N(0, Sigma_w) of the random-label-trained network (rescaled "
    "to the initial norm) also trains faster than scratch (linear-teacher labels, spread "
    "spectrum).", "Fig. 5 ('covariance' curve)", tag="[PAPER]",
)
def check_covariance(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", 3)


@claim(
    "maennel2020.fig5.unscaled_fastest",
    "Weight scale alone speeds up training: the pre-trained network without rescaling trains "
    "faster than the rescaled one (linear-teacher labels, spread spectrum).",
    "Fig. 5 ('no rescaling' curve)", tag="[PAPER]",
)
def check_unscaled(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", 2, ref=1)


@claim(
    "maennel2020.b4.later_layers",
    "A competing negative effect: specialisation of later layers can hide the positive transfer "
    "and slow downstream training down (widening later layers mitigates it).",
    "Abstract; introduction (critical stages, specialisation)", tag="[PAPER-PARTIAL]",
    in_regime=False,
)
def check_later_layers(runs: Runs) -> Outcome:
    return outcome(
        INCONCLUSIVE, None, "not measurable in a two-layer net",
        None, 0, "two-layer ReLU networks (one hidden layer)",
        "not measured: a two-layer network has no later hidden layers to specialise; its only "
        "layer after the first is the output head, which every fine-tuning variant replaces by a "
        "fresh one. Testing this claim needs at least three layers (card, depth caveat).",
    )
