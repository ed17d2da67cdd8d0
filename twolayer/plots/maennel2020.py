"""Figures of Maennel, Alabdulmohsin et al. (2020), "What Do Neural Networks Learn When Trained
With Random Labels?" (paper card ``maennel2020``).

All three figures read the Records of the experiments the claims read (:mod:`twolayer.
experiments.maennel2020`, through the :class:`~twolayer.experiments.Runs` they are given: trained
once, or read from the record store; ``--quick`` uses the quick plan):

- ``maennel2020-misalignment``: M_data and M_rand of the pooled first-layer covariance over
  training, for W and ΔW = W − W(0), random vs linear-teacher labels (Fig. 2 analogue), and
  B1's q at the end with the interval its claims judge;
- ``maennel2020-transfer-function``: f(σ_i) = sqrt(v_iᵀ Σ_w v_i) against σ_i for five seeds,
  of W and of ΔW, App. E.1 spectrum and a spread spectrum (Fig. 4 / Fig. 20 analogue);
- ``maennel2020-transfer``: fine-tuning curves after random-label pre-training: scratch,
  pre-trained W rescaled to the initial norm with b = 0 (B3's main arm), the same with the
  learned biases kept, not rescaled, covariance-initialised (Fig. 5 analogue), for
  linear-teacher labels, new random labels and the XOR clusters.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..experiments import Runs
from ..experiments import maennel2020 as X
from ..probes import maennel as mp
from ..record import Record
from ..stats import FLOOR_MARGIN, floor_dominated, floor_ratio_interval, population_share
from .base import figure
from .style import captioned_figure, quick_mark, save_png

PAPER = "maennel2020"
DATA_C, RAND_C = "#1f77b4", "#d62728"
VARIANT_STYLE = {
    "scratch": ("black", "-", "from scratch"),
    "rescaled": ("#2ca02c", ":", "pre-trained, rescaled, learned biases kept"),
    "unscaled": ("0.55", "--", "pre-trained, no rescaling"),
    "covariance": ("#d62728", "-", "covariance-initialised (rescaled, b = 0)"),
    "rescaled_b0": ("#1f77b4", "-", "pre-trained W rescaled, b = 0 (main arm)"),
}
# what each figure's paper figure used: Fig. 2, a 2-layer CNN on CIFAR10 patches; Fig. 5,
# VGG16 on CIFAR10; Fig. 4 (left) and Fig. 20, fully connected nets with two hidden layers on
# centred Gaussian inputs (the same data law as twolayer's, so no data difference there)
CNN_DIFF = (
    "Gaussian inputs N(0, Σ_x) instead of CIFAR10 image patches; a two-layer ReLU net (one "
    "hidden layer, trained head and bias) instead of the paper's 2-layer CNN (256 filters, "
    "64 FC)"
)
VGG_DIFF = (
    "Gaussian inputs N(0, Σ_x) and Frei's XOR clusters instead of CIFAR10 images; a two-layer "
    "ReLU net (one hidden layer, trained head and bias) instead of VGG16"
)
COMMON_DIFF = (
    "widths, step sizes, epochs and sample sizes are twolayer's choices (see "
    "docs/papers/maennel2020.md); the paper pools 50–70 runs, twolayer pools R = 48 runs of "
    "m = 512 neurons in the App. E.1 runs and 16 elsewhere (8 runs of 256 with --quick)",
)


def _steps(rec: Record) -> np.ndarray:
    return np.maximum(rec.times.astype(np.float64), 0.7)  # t = 0 drawn at 0.7 on a log axis


def q_loo(rec: Record) -> np.ndarray:
    """[R] q = (M_data − F_data)/(M_rand − F_rand) of the ΔW pooled over the runs without run
    r, by the same calls as the B1 claims' ``excess_loo`` (a plots module does not import a
    claims module; tests/test_maennel_q_figure.py pins the two equal)."""
    R = rec.seeds
    grp = X.groups(rec)
    bases = X._bases(rec.arrays["maennel/dw_sum"].shape[-1])

    def q(runs: list[int]) -> float:
        c = X.pooled(rec, "dw", runs)[-1]
        md, mr = float(X.m_data(c, grp)), float(mp.misalignment_random(c, bases, grp))
        f = X.floors(rec, "dw", runs)
        den = mr - f.rand
        return (md - f.data) / den if den > 0 else float("nan")

    return np.array([q([k for k in range(R) if k != r]) for r in range(R)])


def q_interval(rec: Record, a: X.Alignment) -> tuple[tuple[float, float], float]:
    """The interval the B1 claims judge q on, and the jackknife's bias estimate:
    :func:`twolayer.stats.floor_ratio_interval` (the plain jackknife interval widened to reach
    the bias-corrected q; none where M_rand − F_rand < F_rand), as the claims call it."""
    return floor_ratio_interval(a.excess, a.excess_ci, rec.seeds, a.m_rand, a.floor_rand,
                                lambda: q_loo(rec))


Q_GID = "maennel2020-q:"  # the gid of each q marker in the q panel: "maennel2020-q:<label>"


@figure(
    "maennel2020-misalignment",
    PAPER,
    "Misalignment of the first-layer weight covariance over training",
    "analogue of Maennel et al. (2020) Fig. 2 (known from the reproduction [SECONDARY])",
    claims=("maennel2020.b1.alignment", "maennel2020.b1.alignment_spread",
            "maennel2020.b1.grows_apart", "maennel2020.b1.teacher_control",
            "maennel2020.b1.teacher_control_spread"),
    differences=(CNN_DIFF, *COMMON_DIFF,
        "random-basis curve: mean over 16 Haar-random bases; 'real labels' are a linear "
        "teacher's (argmax of a random linear map), not CIFAR10 classes",
    ),
)
def make_misalignment(out_dir: Path, runs: Runs) -> list[Path]:
    """M(Σ_w, data eigenbasis) and M(Σ_w, random basis: mean over 16 Haar bases) of the
    first-layer covariance pooled over runs, against SGD steps, for the weights W (App. E.1
    spectrum) and the learned part ΔW = W − W(0) (App. E.1 and spread spectra), with random
    labels (solid) and linear-teacher labels (dashed); dotted: the empirical sampling floor of
    M_data of the random-label ΔW at the end (the M that sampling the pooled neurons alone
    produces). The fourth panel draws the verdict statistic q = (M_data − F_data)/(M_rand −
    F_rand) of ΔW at the end, for random and teacher labels on both spectra, with the interval
    the B1 claims judge it on (:func:`q_interval`: the 95% jackknife CI widened on one side to
    reach the jackknife's bias-corrected q), against B1's cut-offs 0.1 and 0.5; where the random
    basis is not clearly above its own floor (M_rand − F_rand < F_rand) q has no interval, drawn
    as an open marker and said in the caption. The caption gives the same numbers."""
    panels = (
        ("e1", "W, App. E.1 spectrum", "w"),
        ("e1", "ΔW = W − W(0), App. E.1 spectrum", "dw"),
        ("spread", "ΔW, spread spectrum (10⁻³…3)", "dw"),
    )
    recs = {
        "e1": (runs.get("maennel2020.e1_random"), runs.get("maennel2020.e1_teacher")),
        "spread": (runs.get("maennel2020.spread_random"),
                   runs.get("maennel2020.spread_teacher")),
    }
    a_e1 = X.alignment(recs["e1"][0])
    a_sp = X.alignment(recs["spread"][0])
    t_e1 = X.alignment(recs["e1"][1])
    t_sp = X.alignment(recs["spread"][1])
    g = X.gap_growth(recs["e1"][0])
    r0 = recs["e1"][0]
    net, d = r0.config["net"], int(r0.config["data"]["d"])  # read off the Record, not assumed
    k = int(r0.config["data"].get("num_classes", 2))
    iv = net.get("init_var")
    init = ("He init" if iv is not None and math.isclose(float(iv), 2.0 / d)
            else f"init variance {iv}")
    trained = ("trained " + " and ".join(
        w for w, on in (("head", net.get("train_second_layer")), ("bias", net.get("bias"))) if on)
        if net.get("train_second_layer") or net.get("bias") else "first layer trained alone")

    marks = []  # (label, Alignment, the claims' interval) of the q panel
    for lab, rec, a in (("random, App. E.1", recs["e1"][0], a_e1),
                        ("random, spread", recs["spread"][0], a_sp),
                        ("teacher, App. E.1", recs["e1"][1], t_e1),
                        ("teacher, spread", recs["spread"][1], t_sp)):
        marks.append((lab, a, q_interval(rec, a)[0]))
    shown = {id(a): ci for _, a, ci in marks}

    def q(a: X.Alignment) -> str:
        lo, hi = shown[id(a)]
        if math.isfinite(lo) and math.isfinite(hi):
            return f"{a.excess:.2g} [{lo:.2g}, {hi:.2g}]"
        return f"{a.excess:.2g} with no interval ({_no_interval(a)})"

    caption = (
        quick_mark(runs.quick)
        + "Analogue of Maennel et al. (2020) Fig. 2. Misalignment M(Σ_w, B) = Σ_i "
        "[sqrt((b_iᵀΣ_w b_i)(b_iᵀΣ_w⁻¹b_i)) − 1] of the first-layer covariance pooled over the "
        f"m={r0.config['net']['m']} neurons of R={r0.seeds} runs (App. E.1; "
        f"R={recs['spread'][0].seeds} spread), in the data's eigenbasis (blue) "
        f"and in random bases (red), against SGD steps; solid: {k} random classes, dashed: a "
        f"linear teacher's {k} classes. d={d}, {init}, {trained}. Dotted: empirical "
        "sampling floor F_data of M_data of the random-label ΔW at the end "
        f"({a_e1.floor:.2g} App. E.1, {a_sp.floor:.2g} spread). At the end, ΔW, q = (M_data − "
        "F_data)/(M_rand − F_rand) (right panel) with the interval the B1 claims judge: the 95% "
        "jackknife CI widened on one side to reach the jackknife's bias-corrected q, none where "
        "M_rand − F_rand < F_rand (open marker); B1 holds at ≤ 0.1, fails at ≥ 0.5 (the teacher "
        "control the other way round): "
        f"random labels {q(a_e1)} (App. E.1), {q(a_sp)} (spread); teacher {q(t_e1)} and "
        f"{q(t_sp)}; raw M_rand/M_data {a_e1.ratio:.3g}, {a_sp.ratio:.3g} (random), "
        f"{t_e1.ratio:.3g}, {t_sp.ratio:.3g} (teacher). W: M_rand − M_data from {g[2]:.2g} "
        f"at t = 0 to {g[3]:.2g} at the end."
    )
    fig, top = captioned_figure(14.5, 3.6, caption)
    axes = top.subplots(1, 4, width_ratios=[1, 1, 1, 0.8])
    for ax, (key, title, which) in zip(axes, panels):
        for rec, ls, lab in ((recs[key][0], "-", "random labels"),
                             (recs[key][1], "--", "teacher labels")):
            md, mr = X.m_curves(rec, which)
            t = _steps(rec)
            ax.plot(t, md, color=DATA_C, ls=ls, lw=1.6, label=f"data basis, {lab}")
            ax.plot(t, mr, color=RAND_C, ls=ls, lw=1.6, label=f"random basis, {lab}")
        if which == "dw":
            floor = a_e1.floor if key == "e1" else a_sp.floor
            ax.axhline(floor, color="0.4", ls=":", lw=1.0,
                       label="empirical sampling floor of M_data (random labels, end)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step t")
        ax.set_ylabel("misalignment M")
        ax.set_title(title, fontsize=9.5)
    axes[0].legend(fontsize=7, frameon=False, loc="best")
    _draw_q(axes[3], marks)
    return [save_png(fig, out_dir / "maennel2020-misalignment.png")]


def _no_interval(a: X.Alignment) -> str:
    """Why q has no interval: floor-dominated (the claims' rule), else no jackknife."""
    if math.isfinite(a.excess_ci[0]) and math.isfinite(a.excess_ci[1]) and floor_dominated(
            a.m_rand, a.floor_rand):
        return (f"floor-dominated: M_rand − F_rand {a.m_rand - a.floor_rand:.2g} < "
                f"{FLOOR_MARGIN:g} × F_rand {a.floor_rand:.2g}")
    return "no jackknife interval"


def _draw_q(ax, marks: list[tuple[str, X.Alignment, tuple[float, float]]]  # type: ignore[no-untyped-def]
            ) -> None:
    """q with the claims' interval per record (x: the record), each marker's gid
    ``Q_GID + label``; a record with no interval gets an open marker and "no interval"."""
    ax.axhspan(-1e9, X.EXCESS_HOLDS, color="#2ca02c", alpha=0.10, lw=0)
    ax.axhspan(X.EXCESS_FAILS, 1e9, color="#d62728", alpha=0.08, lw=0)
    ax.axhline(X.EXCESS_HOLDS, color="#2ca02c", ls=":", lw=0.9)
    ax.axhline(X.EXCESS_FAILS, color="#d62728", ls=":", lw=0.9)
    tops, bottoms = [X.EXCESS_FAILS + 0.2], [-0.05]
    for x, (lab, a, (lo, hi)) in enumerate(marks):
        colour = DATA_C if lab.startswith("random") else "0.35"
        if math.isfinite(lo) and math.isfinite(hi):
            ax.errorbar([x], [a.excess], yerr=[[a.excess - lo], [hi - a.excess]], fmt="o",
                        color=colour, capsize=3, ms=5, gid=Q_GID + lab)
            tops.append(hi)
            bottoms.append(lo)
        else:
            why = _no_interval(a).split(":")[0]
            ax.plot([x], [a.excess], ls="none", marker="o", mfc="none", color=colour, ms=6,
                    gid=Q_GID + lab)
            ax.annotate(f"no interval\n({why})", (x, a.excess), textcoords="offset points",
                        xytext=(0, 8), ha="center", fontsize=6.5, color=colour)
        if math.isfinite(a.excess):
            tops.append(a.excess)
            bottoms.append(a.excess)
    ax.set_ylim(min(bottoms) - 0.05, max(tops) + 0.1)
    ax.set_xlim(-0.6, len(marks) - 0.4)
    ax.set_xticks(range(len(marks)), [lab.replace(", ", "\n") for lab, _, _ in marks],
                  fontsize=7)
    ax.set_ylabel("q = (M_data − F_data)/(M_rand − F_rand)", fontsize=8)
    ax.set_title("q of ΔW at the end, claims' interval", fontsize=9)


@figure(
    "maennel2020-transfer-function",
    PAPER,
    "Transfer function f(σ) for several seeds",
    "analogue of Maennel et al. (2020) Fig. 4 (left) and Fig. 20",
    claims=("maennel2020.b2.transfer_function", "maennel2020.b2.transfer_function_learned"),
    differences=COMMON_DIFF + (
        "one hidden layer of m neurons (the paper: two hidden layers, 256/256 or 2048/256, "
        "10 outputs); SGD with random labels; f is estimated per run from its own m neurons "
        "(the paper overlays 5 runs)",
        "x axis: σ_i (the paper plots f against σ); second row: a log-spaced spectrum over 3.5 "
        "decades (the Fig. 4 centre panels use CIFAR10 patches instead)",
    ),
)
def make_transfer_function(out_dir: Path, runs: Runs) -> list[Path]:
    """f(σ_i) = sqrt(v_iᵀ Σ_w v_i) at the end of random-label training against σ_i, one line per
    seed (the first five seeds), for the weights W (left: Definition 3's f, claim
    b2.transfer_function on the App. E.1 row) and for the learned part ΔW (right: a proxy,
    claim b2.transfer_function_learned), on the App. E.1 spectrum (σ_i² = 0.1, …, 3.0, top) and
    on a log-spaced spectrum (bottom, no claim). Each panel's η² is the share of the variance of
    f that the direction explains in the population of seeds, estimated from all the record's
    seeds with their noise removed (:func:`twolayer.stats.population_share`, the claims'
    statistic; 1: the seeds trace one curve); no bands are drawn."""
    rows = (("maennel2020.e1_random", "App. E.1: σ_i² = 0.1, 0.2, …, 3.0", False),
            ("maennel2020.spread_random", "spread: σ_i² log-spaced 10⁻³…3", True))
    shown = 5
    eta = {}
    for name, _, _ in rows:
        rec = runs.get(name)
        for which in ("w", "dw"):
            eta[name, which] = population_share(X.transfer_functions(rec, which))
    caption = (
        quick_mark(runs.quick)
        + "Analogue of Maennel et al. (2020) Fig. 4 (left) / Fig. 20: the transfer function "
        "f(σ_i) = sqrt(v_iᵀ Σ_w v_i) of the first-layer weights after training on 10 random "
        f"classes, {shown} seeds overlaid (one line each; d=30 Gaussian inputs, random rotation, "
        "one hidden layer, SGD). Left: the weights W (Definition 3's f; claim "
        "b2.transfer_function, App. E.1 row); right: the learned part ΔW = W − W(0) (a proxy; "
        "claim b2.transfer_function_learned). η² of the population of seeds, from all seeds (share "
        "of the variance of f explained by the direction, the seed noise of the directions' "
        "means removed; the claims hold at a 95% CI ≥ 0.8, fail below 0.5): "
        "App. E.1 W " + f"{eta[rows[0][0], 'w']:.2f}, ΔW {eta[rows[0][0], 'dw']:.2f}; "
        f"spread W {eta[rows[1][0], 'w']:.2f}, ΔW {eta[rows[1][0], 'dw']:.2f}."
    )
    fig, top = captioned_figure(9.0, 6.4, caption)
    axes = top.subplots(2, 2)
    for (name, title, logx), row in zip(rows, axes):
        rec = runs.get(name)
        sigma = np.sqrt(rec.arrays["static/sigma2"][0])
        for ax, which, label in zip(row, ("w", "dw"), ("W", "ΔW = W − W(0)")):
            f = X.transfer_functions(rec, which)
            for r in range(min(shown, f.shape[0])):
                ax.plot(sigma, f[r], lw=1.1, marker="o", ms=2.2, alpha=0.85,
                        label=f"seed {r}")
            if logx:
                ax.set_xscale("log")
            ax.set_xlabel("σ_i (data standard deviation along v_i)")
            ax.set_ylabel(f"f(σ_i) of {label}")
            ax.set_title(f"{title}; η² = {eta[name, which]:.2f}", fontsize=9)
    axes[0, 0].legend(fontsize=7, frameon=False)
    return [save_png(fig, out_dir / "maennel2020-transfer-function.png")]


@figure(
    "maennel2020-transfer",
    PAPER,
    "Fine-tuning after random-label pre-training",
    "analogue of Maennel et al. (2020) Fig. 5",
    claims=("maennel2020.b3.transfer_teacher", "maennel2020.b3.transfer_random",
            "maennel2020.b3.transfer_xor", "maennel2020.b3.transfer_learned_bias",
            "maennel2020.b3.covariance_init", "maennel2020.fig5.unscaled_fastest"),
    differences=(VGG_DIFF, *COMMON_DIFF,
        "downstream tasks: a linear teacher and new random labels on Gaussian inputs with a "
        "spread spectrum, and the clean XOR labels (the paper: CIFAR10 real and random labels)",
        "every variant gets the same fresh head; 'scratch' is the upstream network's own "
        "initialisation; all variants and seeds train in one batched call",
    ),
)
def make_transfer(out_dir: Path, runs: Runs) -> list[Path]:
    """Training accuracy (top) and training loss (bottom) on a disjoint sample against SGD
    steps, after pre-training on random labels: from scratch; pre-trained W rescaled to its
    initial norm with the biases reset to 0 (B3's main arm); the same with the learned biases
    kept (rescaled with W; a secondary arm); pre-trained without rescaling; and first-layer rows
    drawn from N(0, Σ_w) of the pre-trained covariance (rescaled, b = 0). Mean over seeds with
    ±1 s.e. bands; the shaded region is the loss-AUC window; the dotted line is the target
    training accuracy of the steps-to-target statistic."""
    recs = runs.get("maennel2020.transfer")
    p = X.plan(runs.quick)
    tasks = (("teacher", "linear teacher, 10 classes (spread Σ_x)"),
             ("random", "new random labels, 10 classes"),
             ("xor", "XOR clusters, clean labels"))
    effects = []
    for task, _ in tasks:
        auc = X.loss_auc(recs[task], p.down.auc_epochs)
        base = 100 / float(auc[0].mean())
        parts = []
        for v, name in ((4, "b = 0"), (1, "learned biases"), (3, "covariance")):
            e = X.effect(auc, v)
            parts.append(f"{name} {base * e.mean:+.1f}% [{base * e.ci[0]:+.1f}, "
                         f"{base * e.ci[1]:+.1f}]")
        effects.append(f"{task}: " + ", ".join(parts))
    R = recs["teacher"].meta["runs_per_variant"]
    caption = (
        quick_mark(runs.quick)
        + "Analogue of Maennel et al. (2020) Fig. 5: fine-tuning on held-out samples after "
        f"pre-training on random labels (R={R} seeds per curve, mean ± 1 s.e.). Loss-AUC gain "
        f"over scratch in the first {p.down.auc_epochs} epochs (shaded; positive = faster; "
        "95% CI, % of scratch's loss-AUC; single comparisons, not Holm-corrected): "
        + "; ".join(effects) + ". 'b = 0': pre-trained W rescaled to its initial norm, biases "
        "reset to 0 (B3's main arm); 'learned biases': W and the learned b rescaled together. "
        "The paper's Fig. 5 (CIFAR10 real labels) shows no rescaling fastest, then pre-trained "
        "≈ covariance, scratch slowest."
    )
    fig, top = captioned_figure(12.0, 6.2, caption)
    axes = top.subplots(2, 3)
    for col, (task, title) in enumerate(tasks):
        rec = recs[task]
        acc = 1.0 - X.by_variant(rec, "train_error")
        loss = X.by_variant(rec, "loss")
        t = rec.times.astype(float)
        window = p.down.auc_epochs * rec.meta["steps_per_epoch"]
        for row, values, ylab in ((0, acc, "training accuracy"), (1, loss, "training loss")):
            ax = axes[row, col]
            for v, name in enumerate(X.VARIANTS):
                colour, ls, lab = VARIANT_STYLE[name]
                mean = values[v].mean(0)
                se = values[v].std(0, ddof=1) / np.sqrt(values.shape[1])
                ax.plot(t, mean, color=colour, ls=ls, lw=1.5, label=lab)
                ax.fill_between(t, mean - se, mean + se, color=colour, alpha=0.18, lw=0)
            ax.axvspan(0, window, color="0.9", zorder=0)
            ax.set_xlabel("fine-tuning SGD step")
            ax.set_ylabel(ylab)
            if row == 0:
                ax.set_title(title, fontsize=9.5)
                ax.axhline(p.target(task), color="0.5", ls=":", lw=0.8)
    axes[0, 0].legend(fontsize=7, frameon=False, loc="lower right")
    return [save_png(fig, out_dir / "maennel2020-transfer.png")]
