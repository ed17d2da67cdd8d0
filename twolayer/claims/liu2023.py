"""Claims of Liu, Abedsoltan & Belkin (2023), "On Emergence of Clean-Priority Learning in Early
Stopped Neural Networks" (paper card ``liu2023``, section 7 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL] and on reviews of the ICLR 2024
version [SECONDARY]; its ratio predictions are derived in the card [INFERRED]. Each claim keeps
that tag. The checks only read the Records of the experiments of
:mod:`twolayer.experiments.liu2023` (settings, runners, and the measurements t*, t_×, the early
window, ... on Records); no setting comes from the paper.

Verdict rules (thresholds are [PROPOSAL], fixed before looking at results; the card gives the
10 % and −0.9 values): a per-seed statistic, its mean and Student-t 95% CI over seeds; "holds"
if the CI lies on the predicted side (or inside the predicted interval), "fails" if it lies
wholly on the other side (outside), "inconclusive" otherwise. Claims whose setting violates the
premise the statement rests on (segments too small for Eq. (5)'s |D|·E[·] factorisation), and the
K = 10 variants of the binary Theorems 4.4–4.5 (Section 5 states no multi-class theorem), are
registered with ``in_regime=False``: reported, but not counted in the exit status.
"""

from __future__ import annotations

import math

import numpy as np

from ..experiments import Runs
from ..experiments.liu2023 import (
    CROSS_EPS,
    FAR,
    NEAR,
    alpha_monotone_share,
    bottom_range,
    class_alpha_monotone_share,
    class_mean_at,
    early_end,
    init_n,
    init_ratio_deviation_binary,
    init_ratio_deviation_multiclass,
    noise_rate,
    rate_error,
    record,
    setting_text,
    t_argmin,
    t_cross,
    t_star,
    t_star_index,
    u_shape_stats,
    widths,
    window_mean,
)
from ..probes.liu import predicted_init_ratio_binary, predicted_init_ratio_multiclass
from ..record import Record
from ..stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    combine,
    compare,
    fmt_mean_ci,
    fmt_num,
    interval_outcome,
    loglog_slope,
    mean_ci,
)
from .base import Outcome, claim, outcome

MIN_EFFECT = 0.05  # fall and rise of the U-shape: > 5 binomial s.e. of a test error (n_test ≥ 2000)
RATIO_TOL = 0.10  # |measured/predicted − 1| ≤ 10 % (card, claim 2)
ANTI_COS = -0.9  # cos(g_clean, g_noise) ≤ −0.9 (card, claim 2)
COS_TRUE_MIN = 0.9  # cos(g, ĝ) ≥ 0.9 ("near 1")
MONOTONE_MIN = 0.95  # share of probe intervals with α increasing

FIG_U = "liu2023-fig1"
FIG_RATIO = "liu2023-ratio"
FIG_SEGMENTS = "liu2023-segments"
FIG_ANGLES = "liu2023-angles"
FIG_WIDTH = "liu2023-width"


# --------------------------------------------------------------------------------------------
# Claim 1: U-shaped clean test error, minimum below the noise level (Fig. 1)
# --------------------------------------------------------------------------------------------

U_STATEMENT = (
    "With a fraction delta of training labels corrupted (clean test set), the clean test error "
    "of {what} falls, reaches its minimum at t*, then rises as noisy points are fitted; the "
    "minimum is below delta."
)


def _u_shape(rec: Record) -> Outcome:
    s = u_shape_stats(rec)
    delta = noise_rate(rec)
    m_min, ci_min = mean_ci(s["emin"])
    res = combine(
        compare(ci_min, delta, "<="),
        compare(mean_ci(s["fall"])[1], MIN_EFFECT, ">="),
        compare(mean_ci(s["rise"])[1], MIN_EFFECT, ">="),
    )
    fit = rec.arrays["errors/noisy_fit_fraction"][:, -1]
    b = bottom_range(rec)
    detail = (
        f"min clean test error {fmt_mean_ci(s['emin'])} at t* {fmt_mean_ci(s['t_star'])} (bottom "
        f"of the U from t {fmt_mean_ci(rec.times[b[:, 0]])} to {fmt_mean_ci(rec.times[b[:, 1]])}; "
        f"argmin {fmt_mean_ci(t_argmin(rec))}); at t=0 {fmt_mean_ci(s['e0'])}; at the end "
        f"{fmt_mean_ci(s['eT'])}; fall {fmt_mean_ci(s['fall'])}, rise {fmt_mean_ci(s['rise'])} "
        f"(each must be >= {MIN_EFFECT}); noisy training points fitted at the end "
        f"{fmt_mean_ci(fit)}; clean training subset error at the end "
        f"{fmt_mean_ci(rec.arrays['errors/train_error_clean'][:, -1])}"
    )
    return outcome(
        res, m_min,
        f"min_t clean test error < delta = {delta:g}; fall and rise >= {MIN_EFFECT}",
        ci_min, rec.seeds, setting_text(rec), detail, FIG_U,
    )


@claim("liu2023.fig1.u_shape.xor", U_STATEMENT.format(what="full-batch GD on the XOR clusters"),
       "Fig. 1, abstract", "[PAPER-PARTIAL]")
def check_u_xor(runs: Runs) -> Outcome:
    return _u_shape(record(runs, "xor"))


@claim("liu2023.fig1.u_shape.xor_sgd", U_STATEMENT.format(what="minibatch SGD on the XOR clusters"),
       "Fig. 1, Remark 4.3", "[PAPER-PARTIAL]")
def check_u_xor_sgd(runs: Runs) -> Outcome:
    return _u_shape(record(runs, "xor_sgd"))


@claim("liu2023.fig1.u_shape.mixture",
       U_STATEMENT.format(what="full-batch GD on a two-class Gaussian mixture"),
       "Fig. 1, abstract", "[PAPER-PARTIAL]")
def check_u_mixture(runs: Runs) -> Outcome:
    return _u_shape(record(runs, "mixture"))


@claim("liu2023.fig1.u_shape.k10",
       U_STATEMENT.format(what="full-batch GD (softmax) on ten Gaussian classes"),
       "Fig. 1 (MNIST-10 analogue), Section 5", "[PAPER-PARTIAL]")
def check_u_k10(runs: Runs) -> Outcome:
    return _u_shape(record(runs, "k10"))


# --------------------------------------------------------------------------------------------
# Claim 2: initial configuration (Eq. (5), Assumption 4.1, Section 5)
# --------------------------------------------------------------------------------------------

RATIO_BIN_STATEMENT = (
    "At initialisation ||g_clean^(c)|| / ||g_noise^(c)|| = |D_clean^(c)| / |D_noise^(c)| "
    "~ (1 - delta)/delta for each class c (binary, Eq. (5): g_k = |D_k| E[f - y] E[grad h])."
)
RATIO_K_STATEMENT = (
    "At initialisation, for the gradient through the true-class logit c, ||g_noise^(c)|| / "
    "||g_clean^(c)|| ~ delta / ((1 - delta)(K - 1)) (softmax outputs ~ 1/K: clean residual "
    "1/K - 1, noisy residual 1/K)."
)
ANTI_STATEMENT = (
    "At initialisation the clean and noisy segment gradients of each class are nearly opposite: "
    "cos(g_clean^(c), g_noise^(c)) ~ -1 (Assumption 4.1 at t = 0)."
)


def _ratio_binary(rec: Record, note: str) -> Outcome:
    dev = init_ratio_deviation_binary(rec)
    m, ci = mean_ci(dev)
    res = interval_outcome(ci, -RATIO_TOL, RATIO_TOL)
    delta = noise_rate(rec)
    ratio = class_mean_at(rec, "segments/class_ratio")
    cos = class_mean_at(rec, "segments/class_cos_clean_noisy")
    noisy = rec.arrays["liu/class_count_noisy"][:, 0].mean(-1)
    detail = (
        f"per-class ratio at t=0 {fmt_mean_ci(ratio)} vs (1-delta)/delta = "
        f"{fmt_num(predicted_init_ratio_binary(delta))} and vs the realised counts (relative "
        f"deviation {fmt_mean_ci(dev)}); pooled ratio "
        f"{fmt_mean_ci(rec.arrays['segments/grad_ratio'][:, 0])}; cos(g_clean^(c), g_noise^(c)) "
        f"{fmt_mean_ci(cos)}; noisy points per class {fmt_mean_ci(noisy)}; residual |f - y| at "
        f"t=0: clean {fmt_mean_ci(rec.arrays['liu/resid_clean'][:, 0])}, noisy "
        f"{fmt_mean_ci(rec.arrays['liu/resid_noisy'][:, 0])}. {note}"
    )
    return outcome(
        res, m, f"|ratio / (|D_clean|/|D_noise|) - 1| <= {RATIO_TOL:g}", ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


def _ratio_multiclass(rec: Record, note: str) -> Outcome:
    dev = init_ratio_deviation_multiclass(rec)
    m, ci = mean_ci(dev)
    res = interval_outcome(ci, -RATIO_TOL, RATIO_TOL)
    delta, K = noise_rate(rec), int(rec.config["data"].get("num_classes", 2))
    inv = 1.0 / rec.arrays["liu/logit_class_ratio"][:, 0]
    inv_all = 1.0 / rec.arrays["segments/class_ratio"][:, 0]
    dev_all = init_ratio_deviation_multiclass(rec, "segments/class_ratio")
    cos_logit = class_mean_at(rec, "liu/logit_class_cos")
    cos_all = class_mean_at(rec, "segments/class_cos_clean_noisy")
    detail = (
        f"true-class logit: noisy/clean at t=0 {fmt_mean_ci(np.nanmean(inv, -1))} vs "
        f"delta/((1-delta)(K-1)) = {fmt_num(predicted_init_ratio_multiclass(delta, K))} (relative "
        f"deviation from the realised counts {fmt_mean_ci(dev)}), cos {fmt_mean_ci(cos_logit)}; "
        f"all logits (full gradient): noisy/clean {fmt_mean_ci(np.nanmean(inv_all, -1))} (relative "
        f"deviation {fmt_mean_ci(dev_all)}), cos {fmt_mean_ci(cos_all)}; noisy points per class "
        f"{fmt_mean_ci(rec.arrays['liu/class_count_noisy'][:, 0].mean(-1))}. {note}"
    )
    return outcome(
        res, m,
        f"|(noisy/clean) / (|D_noise|/(|D_clean|(K-1))) - 1| <= {RATIO_TOL:g} (true-class logit)",
        ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


def _anticollinear(rec: Record, note: str) -> Outcome:
    cos = class_mean_at(rec, "segments/class_cos_clean_noisy")
    m, ci = mean_ci(cos)
    res = compare(ci, ANTI_COS, "<=")
    detail = (
        f"per-class cos(g_clean^(c), g_noise^(c)) at t=0 {fmt_mean_ci(cos)}; pooled "
        f"{fmt_mean_ci(rec.arrays['segments/cos_clean_noisy'][:, 0])}; noisy points per class "
        f"{fmt_mean_ci(rec.arrays['liu/class_count_noisy'][:, 0].mean(-1))}. {note}"
    )
    return outcome(
        res, m, f"cos <= {ANTI_COS:g}", ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


SMALL_N_NOTE = (
    "Setting of the U-shape: about 60 noisy points per class, too few for Eq. (5)'s "
    "|D| E[...] factorisation (premise violated, hence outside the regime)."
)
LARGE_N_NOTE = "Same distribution as the U-shape setting, n ten times (or more) larger."


@claim("liu2023.eq5.init_ratio.xor", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]",
       in_regime=False)
def check_ratio_xor(runs: Runs) -> Outcome:
    return _ratio_binary(record(runs, "xor"), SMALL_N_NOTE)


@claim("liu2023.eq5.init_ratio.xor_large_n", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_xor_large(runs: Runs) -> Outcome:
    return _ratio_binary(
        init_n(runs)["xor"], LARGE_N_NOTE
    )


@claim("liu2023.sec5.init_ratio.k10", RATIO_K_STATEMENT, "Section 5", "[INFERRED]",
       in_regime=False)
def check_ratio_k10(runs: Runs) -> Outcome:
    return _ratio_multiclass(
        record(runs, "k10"),
        "Setting of the U-shape (about 15 noisy points per class: premise violated).",
    )


@claim("liu2023.sec5.init_ratio.k10_large_n", RATIO_K_STATEMENT, "Section 5", "[INFERRED]")
def check_ratio_k10_large(runs: Runs) -> Outcome:
    return _ratio_multiclass(
        init_n(runs)["k10"], LARGE_N_NOTE
    )


@claim("liu2023.asm41.init_anticollinear.xor", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]", in_regime=False)
def check_anti_xor(runs: Runs) -> Outcome:
    return _anticollinear(record(runs, "xor"), SMALL_N_NOTE)


@claim("liu2023.asm41.init_anticollinear.xor_large_n", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]")
def check_anti_xor_large(runs: Runs) -> Outcome:
    return _anticollinear(
        init_n(runs)["xor"], LARGE_N_NOTE
    )


# --------------------------------------------------------------------------------------------
# Claim 3: early phase, clean loss down and noisy loss up (Theorem 4.4)
# --------------------------------------------------------------------------------------------

LOSS_STATEMENT = (
    "Early in training ({what}) the clean-segment loss decreases and the noisy-segment loss, "
    "measured with the corrupted training labels, increases."
)


def _early_losses(rec: Record) -> Outcome:
    end = early_end(rec)
    rows = np.arange(rec.seeds)
    lc, ln = rec.arrays["errors/loss_clean"], rec.arrays["errors/loss_noisy"]
    d_clean = lc[rows, end] - lc[:, 0]
    d_noisy = ln[rows, end] - ln[:, 0]
    m, ci = mean_ci(d_noisy)
    res = combine(compare(ci, 0.0, ">="), compare(mean_ci(d_clean)[1], 0.0, "<="))
    if res == HOLDS and (ci[0] == 0.0 or mean_ci(d_clean)[1][1] == 0.0):
        res = INCONCLUSIVE  # a zero change is not an increase
    one_c, one_n = lc[:, 1] - lc[:, 0], ln[:, 1] - ln[:, 0]
    peak = rec.times[ln.argmax(axis=1)].astype(np.float64)
    detail = (
        f"window t <= t*/2 = {fmt_mean_ci(rec.times[end].astype(np.float64))}: change of the clean "
        f"loss {fmt_mean_ci(d_clean)}, of the noisy loss {fmt_mean_ci(d_noisy)}; first GD step: "
        f"clean {fmt_mean_ci(one_c)}, noisy {fmt_mean_ci(one_n)} (increase in "
        f"{int((one_n > 0).sum())} of {rec.seeds} seeds); noisy loss peaks at t "
        f"{fmt_mean_ci(peak)} (t* {fmt_mean_ci(t_star(rec))}); residuals at the end of the window: "
        f"clean {fmt_mean_ci(rec.arrays['liu/resid_clean'][rows, end])}, noisy "
        f"{fmt_mean_ci(rec.arrays['liu/resid_noisy'][rows, end])} (t=0: "
        f"{fmt_mean_ci(rec.arrays['liu/resid_clean'][:, 0])}, "
        f"{fmt_mean_ci(rec.arrays['liu/resid_noisy'][:, 0])})"
    )
    return outcome(
        res, m,
        "L_noisy(t_w) - L_noisy(0) > 0 and L_clean(t_w) - L_clean(0) < 0, t_w = t*/2",
        ci, rec.seeds, setting_text(rec), detail, FIG_SEGMENTS,
    )


@claim("liu2023.thm44.early_losses.xor", LOSS_STATEMENT.format(what="GD, XOR clusters"),
       "Theorem 4.4, Figs. 5/7", "[SECONDARY]")
def check_losses_xor(runs: Runs) -> Outcome:
    return _early_losses(record(runs, "xor"))


@claim("liu2023.thm44.early_losses.mixture",
       LOSS_STATEMENT.format(what="GD, Gaussian mixture"), "Theorem 4.4, Figs. 5/7", "[SECONDARY]")
def check_losses_mixture(runs: Runs) -> Outcome:
    return _early_losses(record(runs, "mixture"))


@claim("liu2023.thm44.early_losses.k10", LOSS_STATEMENT.format(what="GD, softmax, K = 10"),
       "Theorem 4.4, Section 5, Figs. 5/7", "[SECONDARY]", in_regime=False)
def check_losses_k10(runs: Runs) -> Outcome:
    return _early_losses(record(runs, "k10"))


# --------------------------------------------------------------------------------------------
# Claim 4: α_t increases; clean priority ends (ratio ≈ 1) near t* (Theorem 4.5, Figs. 6/8)
# --------------------------------------------------------------------------------------------

MONO_STATEMENT = (
    "alpha_t = ||g_noise|| / ||g_clean|| increases monotonically during clean-priority learning "
    "({what})."
)
CROSS_STATEMENT = (
    "Clean-priority learning ends when ||g_clean|| / ||g_noise|| has fallen to ~1, and this "
    "happens near the early-stopping point t* of the U-shaped test error ({what})."
)


def _monotone(rec: Record) -> Outcome:
    share = alpha_monotone_share(rec)
    m, ci = mean_ci(share)
    res = compare(ci, MONOTONE_MIN, ">=")
    alpha = 1.0 / rec.arrays["segments/grad_ratio"]
    dense = rec.times <= 10
    early_share = (np.diff(alpha[:, dense], axis=1) > 0).mean(axis=1)
    tx = t_cross(rec)
    detail = (
        f"share of increasing probe intervals up to t_x {fmt_mean_ci(share)} (probe grid: every "
        f"step to t=10, then {rec.config['probe']['num_times']} log-spaced times); in the first 10 "
        f"steps alone {fmt_mean_ci(early_share)}; alpha at t=0 {fmt_mean_ci(alpha[:, 0])}, at the "
        f"end {fmt_mean_ci(alpha[:, -1])}; ratio reached 1+{CROSS_EPS:g} in "
        f"{int(np.isfinite(tx).sum())} of {rec.seeds} seeds; per class, true-class-logit "
        f"gradients: share {fmt_mean_ci(class_alpha_monotone_share(rec))}"
    )
    return outcome(
        res, m, f"share of probe intervals with alpha increasing >= {MONOTONE_MIN:g}",
        ci, rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


def _crossing(rec: Record) -> Outcome:
    ts, tx = t_star(rec), t_cross(rec)
    never = ~np.isfinite(tx)
    T = float(rec.times[-1])
    # a seed whose ratio never reaches 1 + ε: t_× > T, so log(T/t*) is a lower bound
    lg = np.log10(np.where(never, T, tx) / np.maximum(ts, 1.0))
    m, ci = mean_ci(lg)
    res = interval_outcome(ci, -math.log10(FAR), math.log10(FAR))
    if res != FAILS:  # within a factor 10 or straddling it
        near = interval_outcome(ci, -math.log10(NEAR), math.log10(NEAR))
        res = HOLDS if near == HOLDS and not never.any() else INCONCLUSIVE
    t1 = t_cross(rec, 0.0)
    ratio_star = rec.arrays["segments/grad_ratio"][np.arange(rec.seeds), t_star_index(rec)]
    detail = (
        f"t* {fmt_mean_ci(ts)}; t_x (ratio <= 1+{CROSS_EPS:g}) {fmt_mean_ci(tx)}"
        + (f" ({int(never.sum())} seeds never reach it: T used as a lower bound)"
           * int(never.any()))
        + f"; t_x/t* geometric mean {fmt_num(10**m)} (CI "
          f"{fmt_num(10**ci[0])}..{fmt_num(10**ci[1])}); "
        f"ratio <= 1 exactly in {int(np.isfinite(t1).sum())} of {rec.seeds} seeds"
        + (f" (t {fmt_mean_ci(t1)})" if np.isfinite(t1).any() else "")
        + f"; ratio at t* {fmt_mean_ci(ratio_star)}"
    )
    return outcome(
        res, 10**m,
        f"t_x / t* within a factor {NEAR:g} (holds); beyond a factor {FAR:g} (fails)",
        (10 ** ci[0], 10 ** ci[1]), rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


for _name, _what in (("xor", "GD, XOR clusters"), ("mixture", "GD, Gaussian mixture"),
                     ("k10", "GD, softmax, K = 10")):

    def _mono_check(runs: Runs, _name: str = _name) -> Outcome:
        return _monotone(record(runs, _name))

    def _cross_check(runs: Runs, _name: str = _name) -> Outcome:
        return _crossing(record(runs, _name))

    # Theorems 4.4-4.5 are binary; Section 5 only expects similar dynamics for K classes
    claim(f"liu2023.thm45.alpha_monotone.{_name}", MONO_STATEMENT.format(what=_what),
          "Theorem 4.5", "[SECONDARY]", in_regime=_name != "k10")(_mono_check)
    claim(f"liu2023.thm45.crossing_near_tstar.{_name}", CROSS_STATEMENT.format(what=_what),
          "Theorem 4.5, Figs. 6/8", "[SECONDARY]", in_regime=_name != "k10")(_cross_check)


# --------------------------------------------------------------------------------------------
# Claim 5: early updates follow the true-label gradient (Lemma 4.2)
# --------------------------------------------------------------------------------------------

COS_STATEMENT = (
    "Early updates follow the true-label gradient: cos(g, g_hat) ~ 1, g the full-batch gradient "
    "with the training labels, g_hat with the true labels."
)
RATE_STATEMENT = (
    "A GD step on the noisy labels equals a GD step on the true labels with step "
    "eta (1 - alpha_t)/(1 + alpha_t); the deviation from this (|kappa_t - (1-alpha_t)/(1+alpha_t)|,"
    " kappa_t = <g, g_hat>/||g_hat||^2) shrinks as the width m grows (infinite-width premise)."
)


@claim("liu2023.lem42.cos_true_gradient.xor", COS_STATEMENT, "Lemma 4.2, abstract claim 1",
       "[SECONDARY]", in_regime=False)
def check_cos_xor(runs: Runs) -> Outcome:
    rec = record(runs, "xor")
    end = early_end(rec)
    cos = window_mean(rec, "segments/cos_g_true", end)
    m, ci = mean_ci(cos)
    res = compare(ci, COS_TRUE_MIN, ">=")
    detail = (
        f"mean over the window t <= t*/2 {fmt_mean_ci(cos)}; at t=0 "
        f"{fmt_mean_ci(rec.arrays['segments/cos_g_true'][:, 0])}; cos(g, g_clean) over the window "
        f"{fmt_mean_ci(window_mean(rec, 'segments/cos_g_clean', end))}. {SMALL_N_NOTE}"
    )
    return outcome(
        res, m, f"cos(g, g_hat) >= {COS_TRUE_MIN:g}",
        ci, rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


@claim("liu2023.lem42.cos_true_gradient.xor_large_n", COS_STATEMENT,
       "Lemma 4.2, abstract claim 1", "[SECONDARY]")
def check_cos_xor_large(runs: Runs) -> Outcome:
    rec = init_n(runs)["xor"]
    cos = rec.arrays["segments/cos_g_true"][:, 0]
    m, ci = mean_ci(cos)
    res = compare(ci, COS_TRUE_MIN, ">=")
    kappa, rate = rec.arrays["segments/kappa"][:, 0], rec.arrays["liu/lemma_rate"][:, 0]
    detail = (
        f"at t=0 (n = {rec.config['data']['n']}); kappa {fmt_mean_ci(kappa)} vs "
        f"(1-alpha)/(1+alpha) {fmt_mean_ci(rate)}; relative error of the rescaled true-label step "
        f"{fmt_mean_ci(rec.arrays['liu/lemma_rel_error'][:, 0])}. {LARGE_N_NOTE}"
    )
    return outcome(
        res, m,
        f"cos(g, g_hat) >= {COS_TRUE_MIN:g} at t = 0", ci, rec.seeds,
        setting_text(rec, "t = 0 only"), detail, FIG_RATIO,
    )


@claim("liu2023.lem42.rate_factor_width", RATE_STATEMENT, "Lemma 4.2 (Eq. 7), NTK premise",
       "[SECONDARY]")
def check_rate_width(runs: Runs) -> Outcome:
    recs = widths(runs)
    ms = sorted(recs)
    errs = np.stack([rate_error(recs[m]) for m in ms])  # [M, R]
    rel = np.stack([window_mean(recs[m], "liu/lemma_rel_error", early_end(recs[m])) for m in ms])
    cos = np.stack([window_mean(recs[m], "segments/cos_g_true", early_end(recs[m])) for m in ms])
    slopes = [loglog_slope(ms, errs[:, r]) for r in range(errs.shape[1])]
    s, ci = mean_ci(slopes)
    res = compare(ci, 0.0, "<=")
    if res == HOLDS and ci[1] == 0.0:
        res = INCONCLUSIVE
    per_m = "; ".join(
        f"m={m}: |kappa - rate| {fmt_mean_ci(errs[i])}, ||g - rate g_hat||/||rate g_hat|| "
        f"{fmt_mean_ci(rel[i])}, cos(g, g_hat) {fmt_mean_ci(cos[i])}"
        for i, m in enumerate(ms)
    )
    detail = (f"slope of log |kappa - rate| vs log m {fmt_mean_ci(slopes)} (window t <= t*/2); "
              f"{per_m}")
    return outcome(
        res, s,
        "slope of log |kappa - (1-alpha)/(1+alpha)| vs log m < 0", ci, recs[ms[0]].seeds,
        setting_text(recs[ms[0]], "m in {" + ", ".join(map(str, ms)) + "}"), detail, FIG_WIDTH,
    )


DRIFT_STATEMENT = (
    "In the infinite-width limit the sample-wise gradients keep their directions during training, "
    "grad h(w_t; x) = grad h(w_0; x) (the premise of the analysis, cited from Liu et al. 2020): "
    "their drift from initialisation up to t* shrinks as the width m grows."
)


@claim("liu2023.ntk.gradient_drift_width", DRIFT_STATEMENT, "Section 2 (NTK premise)",
       "[SECONDARY]")
def check_drift_width(runs: Runs) -> Outcome:
    recs = widths(runs)
    ms = sorted(recs)
    drift = np.stack([
        recs[m].arrays["liu/grad_drift"][np.arange(recs[m].seeds), t_star_index(recs[m])]
        for m in ms
    ])  # [M, R]
    slopes = [loglog_slope(ms, drift[:, r]) for r in range(drift.shape[1])]
    s, ci = mean_ci(slopes)
    res = compare(ci, 0.0, "<=")
    if res == HOLDS and ci[1] == 0.0:
        res = INCONCLUSIVE
    per_m = "; ".join(
        f"m={m}: 1 - cos(grad h_t, grad h_0) at t* {fmt_mean_ci(drift[i])} (t* "
        f"{fmt_mean_ci(t_star(recs[m]))})"
        for i, m in enumerate(ms)
    )
    detail = (
        f"slope of log drift vs log m {fmt_mean_ci(slopes)} (lazy-training scaling predicts about "
        f"-0.5 [INFERRED]); {per_m}"
    )
    return outcome(
        res, s, "slope of log drift vs log m < 0", ci,
        recs[ms[0]].seeds,
        setting_text(recs[ms[0]], "m in {" + ", ".join(map(str, ms)) + "}"), detail, FIG_WIDTH,
    )


# --------------------------------------------------------------------------------------------
# Sample-wise gradients at initialisation (ICLR introduction, Theorem 3.1, Fig. 4)
# --------------------------------------------------------------------------------------------

ANGLE_STATEMENT = (
    "At initialisation, sample-wise gradients (of the logit, label-free) of samples from the same "
    "true class point in closer directions than those of samples from different classes "
    "({what})."
)


def _angles(rec: Record) -> Outcome:
    a = rec.arrays
    same, diff = a["init/mean_cos_logit_same_cc"], a["init/mean_cos_logit_diff_cc"]
    gap = same - diff
    m, ci = mean_ci(gap)
    res = compare(ci, 0.0, ">=")
    if res == HOLDS and ci[0] == 0.0:
        res = INCONCLUSIVE
    detail = (
        f"mean cos of logit gradients, clean pairs: same class {fmt_mean_ci(same)}, different "
        f"class {fmt_mean_ci(diff)}; loss gradients (training labels): same class clean-clean "
        f"{fmt_mean_ci(a['init/mean_cos_loss_same_cc'])}, clean-noisy "
        f"{fmt_mean_ci(a['init/mean_cos_loss_same_cn'])}, different class clean-clean "
        f"{fmt_mean_ci(a['init/mean_cos_loss_diff_cc'])}, clean-noisy "
        f"{fmt_mean_ci(a['init/mean_cos_loss_diff_cn'])}; pairs per seed (same / different class, "
        f"clean): {fmt_num(a['init/pairs_logit_same_cc'].mean())} / "
        f"{fmt_num(a['init/pairs_logit_diff_cc'].mean())}"
    )
    return outcome(
        res, m, "mean cos(same class) - mean cos(different class) > 0", ci, rec.seeds,
        setting_text(rec, "t = 0"), detail, FIG_ANGLES,
    )


for _name, _what in (("xor", "XOR clusters"), ("mixture", "Gaussian mixture"),
                     ("k10", "K = 10, true-class logit")):

    def _angle_check(runs: Runs, _name: str = _name) -> Outcome:
        return _angles(record(runs, _name))

    claim(f"liu2023.intro.same_class_closer.{_name}", ANGLE_STATEMENT.format(what=_what),
          "ICLR introduction, Theorem 3.1, Fig. 4", "[PAPER-PARTIAL]")(_angle_check)
