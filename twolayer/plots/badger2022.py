"""Figures of Badger (2022), "Why Deep Learning Generalizes" (analogues; the paper's own
figure numbering is unknown, file names follow the author's plotting code).

Every figure reads the Records of the ``badger2022.figures.*`` experiments
(:mod:`twolayer.experiments.badger2022`, the same runners as the claims' experiments):
``twolayer figures`` shows the plan of ``twolayer check badger2022 --quick`` (the full plan is
too slow for a shared CPU), ``--quick`` a tiny smoke-test plan. Each caption says what its
lines, bands and dots are (bands: min–max over seeds, where drawn).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiments import Runs
from ..experiments import badger2022 as xb
from .base import figure
from .style import TEST, TRAIN, captioned_figure, save_png

PAPER = "badger2022"
HOLD = "#2ca02c"
DIFF = ("plan of `twolayer check badger2022 --quick` (K=10 clusters in d=30, n=250 per set, "
        "m=128, SGD lr 0.01 with paired 25+25 minibatches, 300 epochs, 5 seeds) instead of "
        "CIFAR-10, a ConvNet/ResNet, Adam (batch 512) and 200-5000 epochs",)
DIFF_SWITCH = ("plan of `twolayer check badger2022 --quick` (K=10 clusters in d=30, n=250 per "
               "set, m=128, Adam lr 1e-4 as the author's code but with paired 25+25 minibatches, "
               "300 + 300 epochs, 5 seeds, fresh Adam moments at the switch) instead of "
               "CIFAR-10, a ConvNet, Adam lr 1e-4 with batch 512 and 500 + 500 epochs",
               "f = 1, the memorise phase and the normal phase equally long")
# the three accuracies each run records: (array key, colour, legend label) of the training
# set T, the ascended set A and the untouched hold-out H
ACCURACY_SETS = (("acc_train", TRAIN, "train T"), ("acc_ascended", TEST, "ascended A"),
                 ("acc_holdout", HOLD, "hold-out H"))
# the matched-sensitivity claim's primary fraction and train-accuracy level (MATCH_F and
# MATCH_ACC of twolayer.claims.badger2022; a test keeps them equal)
JAC_F = 0.25
JAC_ACC = 0.9


def _plan(runs: Runs) -> xb.Plan:
    return xb.figure_plan(runs.quick)


def _objectives(runs: Runs) -> xb.ObjectiveRuns:
    return xb.objective_runs(runs.get("badger2022.figures.objectives"))


def _gates(runs: Runs) -> xb.ObjectiveRuns:
    return xb.objective_runs(runs.get("badger2022.figures.gates"))


def _switch(runs: Runs) -> dict[str, xb.ObjectiveRuns]:
    return xb.switch_runs_view(runs.get("badger2022.figures.switch"))


def _sizes(runs: Runs) -> dict[int, xb.ObjectiveRuns]:
    return xb.sizes_runs_view(runs.get("badger2022.figures.sizes"))


def _band(ax, t, v, color, label, ls="-"):  # type: ignore[no-untyped-def]
    ax.plot(t, v.mean(0), color=color, ls=ls, label=label, lw=1.3)
    ax.fill_between(t, v.min(0), v.max(0), color=color, alpha=0.15, lw=0)


def _setting(p: xb.Plan, marks: str = "mean, band = min-max", optimizer: str | None = None,
             lr: float | None = None) -> str:
    opt = xb.opt_text(optimizer or p.optimizer, lr if lr is not None else p.lr).replace("=", " ")
    return (f"K={xb.K} Gaussian clusters in d={xb.D}, n={p.n} per set, m={p.m}, {opt} "
            f"with paired {p.batch}+{p.batch} minibatches ({p.steps_per_epoch} steps per epoch), "
            f"{p.seeds} seeds ({marks})")


@figure(xb.FIG_CURVES, PAPER, "Accuracy curves, normal vs memorise objective (f = 1)",
        "analogue of the author's fig1a/fig1c (train / ascended / hold-out accuracy)",
        claims=("badger2022.c1.memorise_slower",), differences=DIFF)
def make_curves(out: Path, runs: Runs) -> list[Path]:
    """Train / ascended / hold-out accuracy against steps on structured data (f = 1), normal SGD
    training (left) and the chance-gated memorise objective (right), mean and min-max band over
    seeds: normal training fits T within about 10^3 steps (train 1.0) and generalises (H and A
    about 0.8); under memorise T rises slowly and unevenly across seeds (mean 0.66 at the last
    step, seeds spread from 0.28 to 0.94), A stays at chance and the untouched H stays
    a little above it (about 0.2)."""
    r, p = _objectives(runs), _plan(runs)
    i, t = r.fi(1.0), r.times
    fig, top = captioned_figure(7.0, 2.8, (
        "Normal training (left) and the gated memorise objective (right) on structured data "
        "(f = 1): accuracy on the training set T, the ascended set A and the untouched hold-out "
        "H. Memorisation is slow and H stays above chance (dotted). " + _setting(p) + "."))
    axes = top.subplots(1, 2, sharey=True)
    for ax, obj, title in zip(axes, ("normal", "memorise_chance"), ("normal", "memorise")):
        for key, c, lab in ACCURACY_SETS:
            _band(ax, np.maximum(t, 1), r.get(f"{obj}/{key}")[i], c, lab)
        ax.axhline(xb.CHANCE, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("step")
        ax.set_title(title)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=7)
    return [save_png(fig, out / f"{xb.FIG_CURVES}.png")]


@figure(xb.FIG_NOISE, PAPER, "Final memorise train accuracy against the noise fraction",
        "analogue of the author's fig2a / logged table (train acc vs % random inputs)",
        claims=("badger2022.c2.noise_helps",), differences=DIFF)
def make_noise(out: Path, runs: Runs) -> list[Path]:
    """Final train accuracy against the noise fraction 1 − f, memorise vs normal (line: mean over
    seeds; dots: seeds): normal training fits T (≥ 0.96) at every noise fraction; memorise fits
    mostly random inputs (1 − f ≥ 0.75: ≥ 0.94 in every seed) and spreads widely across seeds
    on structured ones (0.27 to 0.94 at 1 − f ≤ 0.5, means 0.66 at 1 − f = 0 and 0.69 at 0.5)."""
    r, p = _objectives(runs), _plan(runs)
    noise = np.array([1.0 - f for f in r.fractions])
    fig, top = captioned_figure(4.5, 2.8, (
        "Train accuracy after the last step against the input-noise fraction 1 - f, memorise "
        "(gated) and normal objective; dots: seeds. Author's log (ConvNet, CIFAR-10): 0.324 at "
        "0% noise to 0.757 at 100%. " + _setting(p, "line = mean, dots = seeds") + "."))
    ax = top.subplots()
    order = np.argsort(noise)
    for obj, c in (("memorise_chance", TEST), ("normal", TRAIN)):
        acc = r.get(f"{obj}/acc_train")[..., -1]  # [F, S]
        ax.plot(noise[order], acc.mean(1)[order], "o-", color=c, label=obj.split("_")[0])
        for j in range(acc.shape[1]):
            ax.plot(noise, acc[:, j], ".", color=c, alpha=0.4)
    ax.set_xlabel("noise fraction 1 - f")
    ax.set_ylabel("final train accuracy")
    ax.legend(fontsize=7)
    return [save_png(fig, out / f"{xb.FIG_NOISE}.png")]


@figure(xb.FIG_SIZES, PAPER, "Train-test gap against steps and epochs for several N and widths",
        "analogue of the author's fig_s2b (train - test accuracy vs epochs, 5k-20k)",
        claims=("badger2022.c3.sizes_epochs", "badger2022.c3.sizes_steps"),
        differences=(
            "K=10 clusters in d=30, 5 seeds (the plan of `twolayer check badger2022 --quick`) "
            "instead of CIFAR-10 and a ConvNet/ResNet; the sizes runs: normal training with "
            "Adam lr 1e-3 (the author's optimiser; the author's lr 1e-4 leaves 30 epochs near "
            "chance here), batch 40, N in {200, 400, 800} with 500 hold-out points, 30 epochs, "
            "widths m in {32, 128} (the paper: Adam lr 1e-4, batch 512, 5k-20k points, 200 "
            "epochs, one ConvNet/ResNet)",))
def make_sizes(out: Path, runs: Runs) -> list[Path]:
    """Train − hold-out accuracy gap of normal Adam training for several N (colour) and widths m
    (line style), random (f = 0) and structured (f = 1) inputs, against steps and against epochs
    (the epochs/steps confound), mean over seeds: at equal epochs the random-input gap is larger
    for the wider net and falls as N grows at both widths (it is still rising at the last
    epoch: the larger random sets are not memorised in 30 epochs); the structured-input gap
    falls with N too; at equal steps every gap falls faster with N."""
    sizes, p = _sizes(runs), _plan(runs)
    widths = sorted(sizes)
    Ns = sorted(sizes[widths[0]])
    opt = xb.opt_text(p.size_optimizer, p.size_lr).replace("=", " ")
    fig, top = captioned_figure(7.0, 4.6, (
        f"Train - hold-out accuracy gap under normal training ({opt}, batch {p.size_batch}) "
        f"for N = {Ns} training points "
        f"(colour) and widths m = {widths} (line style), random inputs (f = 0, top) and "
        "structured inputs (f = 1, bottom), against optimiser steps (left) and epochs (right). "
        f"{p.seeds} seeds, mean (no band)."))
    axes = top.subplots(2, 2)
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    styles = ["-", "--", ":", "-."]
    for mw, ls in zip(widths, styles):
        for N, c in zip(Ns, colors):
            r = sizes[mw][N]
            gap = r.get("normal/acc_train") - r.get("normal/acc_holdout")  # [2, S, T]
            spe = r.extra["steps_per_epoch"]
            for row, fi in enumerate((0, 1)):
                for col, x in enumerate((r.times, r.times / spe)):
                    axes[row, col].plot(x, gap[fi].mean(0), color=c, ls=ls, lw=1.1,
                                        label=f"N={N}, m={mw}")
    for row, name in enumerate(("random", "structured")):
        axes[row, 0].set_ylabel(f"gap ({name})")
    axes[1, 0].set_xlabel("steps")
    axes[1, 1].set_xlabel("epochs")
    axes[0, 0].legend(fontsize=6, ncol=2)
    return [save_png(fig, out / f"{xb.FIG_SIZES}.png")]


@figure(xb.FIG_JACOBIAN, PAPER, "Input sensitivity (scale-free and raw) against steps and "
        "train accuracy", "no paper figure (the abstract's stability claim, measured as the "
        "scale-free S = E||dz_c/dx||_F / RMS ||z_c|| and the raw E||dz/dx||_F)",
        claims=("badger2022.c4.matched_sensitivity",
                "badger2022.c4.normal_drives_down"), differences=DIFF)
def make_jacobian(out: Path, runs: Runs) -> list[Path]:
    """Input sensitivity on training points, normal vs memorise at f = 0.25: the scale-free
    S = E‖∂z_c/∂x‖_F / (E‖z_c‖²)^{1/2} (centred logits z_c) against steps (left) and against
    train accuracy (right, one line per seed), and the raw E‖∂z/∂x‖_F against steps (middle, log
    axis); mean and min-max band over seeds. The raw norm grows about threefold under normal
    training and more under memorise (one seed's weights grow), together with the logit scale;
    S stays near 1 under both objectives, memorise dipping below normal in the middle of
    training (wide band) and both ending at about the same S."""
    r, p = _objectives(runs), _plan(runs)
    f = JAC_F if JAC_F in r.fractions else r.fractions[-1]
    i, t = r.fi(f), r.times
    fig, top = captioned_figure(9.0, 2.8, (
        f"Input sensitivity on training points at f = {f:g}, normal vs memorise. Left: the "
        "scale-free S = E||dz_c/dx||_F / RMS||z_c|| (centred logits z_c; invariant to z -> c z) "
        "against steps. Middle: the raw E||dz/dx||_F, which grows with the logit scale. Right: S "
        "against train accuracy, one line per seed (dotted: the matched level 0.9). "
        + _setting(p) + "."))
    axes = top.subplots(1, 3)
    for obj, c in (("normal", TRAIN), ("memorise_chance", TEST)):
        rel = (r.get(f"{obj}/jacc_train") / r.get(f"{obj}/zrms_train"))[i]
        jac = r.get(f"{obj}/jac_train")[i]
        acc = r.get(f"{obj}/acc_train")[i]
        _band(axes[0], np.maximum(t, 1), rel, c, obj.split("_")[0])
        _band(axes[1], np.maximum(t, 1), jac, c, obj.split("_")[0])
        for j in range(rel.shape[0]):
            axes[2].plot(acc[j], rel[j], color=c, alpha=0.6, lw=0.9)
    axes[1].set_yscale("log")
    for ax in axes[:2]:
        ax.set_xscale("log")
        ax.set_xlabel("step")
    axes[0].set_ylabel("S (scale-free)")
    axes[1].set_ylabel("raw E ||dz/dx||_F")
    axes[2].set_xlabel("train accuracy")
    axes[2].set_ylabel("S")
    axes[2].axvline(JAC_ACC, color="k", ls=":", lw=0.8)
    axes[0].legend(fontsize=7)
    return [save_png(fig, out / f"{xb.FIG_JACOBIAN}.png")]


@figure(xb.FIG_SWITCH, PAPER, "Memorise, then switch to normal training",
        "analogue of the author's Figure_s2 (500 + 500 epochs)",
        claims=("badger2022.c5.switch_recovers",), differences=DIFF_SWITCH)
def make_switch(out: Path, runs: Runs) -> list[Path]:
    """Accuracies through E epochs of memorise then E epochs of normal training (f = 1, Adam lr
    1e-4 as the author's code), mean and min-max band over seeds, with normal training
    throughout for reference (thin): memorise fits T only partly (about 0.68) with A at chance
    and H about 0.27; after the switch T is fitted (1.0), H rises to about 0.74 and A to about
    0.55, both still rising at the end and below the reference's 0.85 and 0.83."""
    p = _plan(runs)
    r = _switch(runs)
    mem, sw, nrm = r["memorise"], r["switch"], r["normal"]
    fig, top = captioned_figure(5.5, 2.8, (
        f"f = 1: {p.epochs} epochs of the gated memorise objective, then {p.epochs} epochs of "
        "normal training on the same parameters (solid; the dashed line marks the switch); "
        "normal training throughout (thin). Author's log: train 0.477 / test 0.024 after "
        "memorising, 0.847 / 0.534 after normal training. "
        + _setting(p, optimizer=p.switch_optimizer,
                   lr=p.switch_lr if p.switch_optimizer == "adam" else p.lr)
        + ", fresh Adam moments at the switch."))
    ax = top.subplots()
    for key, c, lab in ACCURACY_SETS:
        v = np.concatenate([mem.get(f"normal/{key}")[0], sw.get(f"normal/{key}")[0]], axis=1)
        _band(ax, np.concatenate([mem.times, sw.times]), v, c, lab)
        ax.plot(nrm.times, nrm.get(f"normal/{key}")[0].mean(0), color=c, lw=0.6, alpha=0.7)
    ax.axvline(p.steps, color="k", ls="--", lw=0.8)
    ax.axhline(xb.CHANCE, color="k", ls=":", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    return [save_png(fig, out / f"{xb.FIG_SWITCH}.png")]


@figure(xb.FIG_GATES, PAPER, "Memorise with target-accuracy gates and without a gate",
        "analogue of the author's 'X% Test Accuracy' runs and the ungated overfit_2 run",
        claims=("badger2022.c2p.target_gates",), differences=DIFF + ("f = 1",))
def make_gates(out: Path, runs: Runs) -> list[Path]:
    """Final accuracies against the gate target (chance, 0.25, 0.5, 0.75, ungated; mean and seed
    dots) and train accuracy against steps (mean, min-max band), f = 1: A settles at the target
    and H follows it; T reaches 1.0 (≥ 0.996 in every seed) under every target ≥ 0.25, faster
    the higher the target, and 0.66 on average (seeds 0.28-0.94) under the chance gate; the
    ungated ascent blows the weights up and fits almost nothing (T about 0.17)."""
    p = _plan(runs)
    r = _gates(runs)
    gates = [("chance", xb.CHANCE + 0.01), *[(g, g) for g in xb.TARGETS], ("none", None)]
    fig, top = captioned_figure(7.0, 2.8, (
        "Memorise objective on structured data (f = 1) with the gate at chance + 0.01, at target "
        "accuracies 0.25 / 0.5 / 0.75 (ascend while the ascended set's accuracy is at least the "
        "target) and without a gate. Left: final accuracies against the target (ungated at the "
        "right edge, 'none'). Right: train accuracy against steps. Author's log: train 0.462 at "
        "a 20% target to 0.781 at 85%. "
        + _setting(p, "left: mean, dots = seeds; right: mean, band = min-max") + "."))
    left, right = top.subplots(1, 2)
    xs = np.arange(len(gates))
    for key, c, lab in ACCURACY_SETS:
        v = np.stack([r.get(f"{xb.gate_name(g)}/{key}")[0, :, -1] for g, _ in gates])
        left.plot(xs, np.nanmean(v, 1), "o-", color=c, label=lab)
        for j in range(v.shape[1]):
            left.plot(xs, v[:, j], ".", color=c, alpha=0.4)
    left.set_xticks(xs, [f"{tau:.2f}" if tau is not None else "none" for _, tau in gates])
    left.set_xlabel("gate target τ")
    left.set_ylabel("final accuracy")
    left.axhline(xb.CHANCE, color="k", ls=":", lw=0.8)
    left.legend(fontsize=7)
    cmap = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"]
    for (g, tau), c in zip(gates, cmap):
        lab = f"τ={tau:.2f}" if tau is not None else "ungated"
        _band(right, np.maximum(r.times, 1), r.get(f"{xb.gate_name(g)}/acc_train")[0], c,
              lab)
    right.set_xscale("log")
    right.set_xlabel("step")
    right.set_ylabel("train accuracy")
    right.legend(fontsize=7)
    return [save_png(fig, out / f"{xb.FIG_GATES}.png")]
