"""Figures of Liu, Abedsoltan & Belkin (2023), clean-priority learning (paper card ``liu2023``).

The paper's figures are known only from reviews [SECONDARY] (MNIST and CIFAR with CNNs; noise
rates, step sizes and widths unknown). These are analogues on twolayer's synthetic settings,
drawn from the Records of the experiments of :mod:`twolayer.experiments.liu2023`, the same runs
as ``twolayer check liu2023`` (with ``--quick`` those of ``twolayer check liu2023 --quick``; read
from the record store when they are there):

- ``liu2023-fig1``: clean test error against steps, U-shaped, dashed line at the noise level δ
  (Fig. 1 analogue), for GD and SGD on the XOR clusters, GD on a Gaussian mixture and on ten
  Gaussian classes;
- ``liu2023-ratio``: ratio_t = ‖g_clean‖/‖g_noise‖ and α_t = 1/ratio_t with t* and the crossing
  t_× marked (Figs. 6/8 analogue), the effective-rate factor κ_t against (1 − α_t)/(1 + α_t)
  (Lemma 4.2) and the cosines cos(g_clean, g_noise), cos(g, ĝ);
- ``liu2023-segments``: segment losses, errors and residuals (Figs. 5/7 analogue);
- ``liu2023-angles``: angle distributions of sample-wise gradients at initialisation (Fig. 4
  analogue) and the initial segment geometry against the number of noisy points per class;
- ``liu2023-width``: the width sweep m ∈ {64, 256, 1024(, 4096)} of the mixture setting;
- ``liu2023-regime``: the n = 2000 mixture where the theorems' premises are measured (U-shape,
  segment losses, ratio and α_t, Assumption 4.1's cosines) and the δ sweep of the Fig. 1 claim.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..experiments import Runs
from ..experiments import liu2023 as L
from ..probes.liu import ANGLE_EDGES_DEG
from ..record import Record
from ..stats import loglog_slope
from .base import figure
from .style import BOUND, NEG, POS, TEST, TRAIN, captioned_figure, save_png

PAPER = "liu2023"
SETTINGS = (("xor", "XOR clusters, GD"), ("mixture", "Gaussian mixture, GD"),
            ("k10", "10 Gaussian classes, GD"))
U_PANELS = (("xor", "XOR clusters, GD"), ("xor_sgd", "XOR clusters, SGD (batch 40)"),
            ("mixture", "Gaussian mixture, GD"), ("k10", "10 Gaussian classes, GD (softmax)"))
OUTSIDE_DIFF = (
    "every drawn setting is outside the measured premises of Theorems 4.4/4.5 and Lemma 4.2 "
    "(the claims of this figure are all computed outside): at n = 400 (about 60 noisy points per "
    "class) Assumption 4.1's anti-collinearity is not established over the early window (worst "
    "per-class cos(g_clean, g_noise) above the premise's -0.9 for the XOR clusters and the "
    "mixture), and K = 10 is not binary; the n = 2000 mixture where the premises are measured to "
    "hold (the `.regime` claims) is not drawn here: see liu2023-regime"
)
WIDTH_OUTSIDE_DIFF = (
    "the drawn sweep (n = 400) is outside the measured premises of its two claims (Assumption "
    "4.1's anti-collinearity is not established at the largest width; both are computed "
    "outside); the n = 2000 sweep of the `*_width_regime` claims is not drawn"
)
TSTAR = "#2ca02c"
TCROSS = "#9467bd"
COMMON_DIFF = (
    "synthetic data instead of MNIST/CIFAR and a two-layer ReLU network instead of a CNN/ResNet "
    "(twolayer's choice; the paper's data are not available offline)",
    "noise rate δ = 0.3 i.i.d. flips (training set only), step 0.5, widths and step counts are "
    "twolayer's choices: the paper's are unknown to the card",
    "curves: mean over seeds with the min–max band; t* (green dashed) = centre of the bottom of "
    "the plotted seed-mean test-error curve, green ticks at the top = each seed's own t*; t_× "
    "(purple dotted) = first time the seed-mean ratio_t ≤ 1.05, purple ticks = each seed's t_×",
)
# what the figures that mark t* only, or no time at all, draw (until session 49 they listed the
# t_× marks, or both, which they do not draw)
TSTAR_ONLY_DIFF = COMMON_DIFF[:2] + (
    "curves: mean over seeds with the min–max band; t* (green dashed) = centre of the bottom of "
    "the plotted seed-mean test-error curve, green ticks at the top = each seed's own t* (t_× is "
    "not marked here)",
)
NO_MARKS_DIFF = COMMON_DIFF[:2] + (
    "curves: mean over seeds with the min–max band, one colour per width; neither t* nor t_× "
    "is marked",
)


def _t(rec: Record) -> np.ndarray:
    return np.maximum(rec.times.astype(np.float64), 0.7)  # t = 0 drawn at 0.7 on a log axis


def _band(ax: Axes, rec: Record, values: np.ndarray, colour: str, label: str | None,
          ls: str = "-", lw: float = 1.5) -> None:
    t = _t(rec)
    v = np.asarray(values, dtype=np.float64)
    ax.plot(t, np.nanmean(v, 0), color=colour, ls=ls, lw=lw, label=label)
    if v.shape[0] > 1:
        ax.fill_between(t, np.nanmin(v, 0), np.nanmax(v, 0), color=colour, alpha=0.18, lw=0)


def _mark_times(ax: Axes, rec: Record, cross: bool = True, label: bool = True) -> None:
    """t* of the seed-mean test-error curve (the curve drawn: its minimum, not a mean of the
    per-seed t*, which is bimodal for K = 10) as a dashed line, and each seed's t* as a tick at
    the top; with ``cross`` the same for t_× (the seed-mean ratio's first time ≤ 1 + ε)."""
    ts = L.t_star_of_mean(rec)
    ax.axvline(ts, color=TSTAR, ls="--", lw=1.0,
               label=f"t* of the mean curve = {ts:.0f}" if label else None)
    top = ax.get_xaxis_transform()
    ax.plot(L.t_star(rec), np.full(rec.seeds, 0.97), ls="none", marker="|", ms=7, color=TSTAR,
            transform=top, label="t* per seed" if label else None)
    if cross:
        tx = L.t_cross_of_mean(rec)
        if np.isfinite(tx):
            ax.axvline(tx, color=TCROSS, ls=":", lw=1.3,
                       label=f"t_× of the mean ratio = {tx:.0f} (≤ 1.05)" if label else None)
        per = L.t_cross(rec)
        ax.plot(per[np.isfinite(per)], np.full(int(np.isfinite(per).sum()), 0.92), ls="none",
                marker="|", ms=7, color=TCROSS, transform=top,
                label="t_× per seed" if label else None)


def _tstar_text(rec: Record) -> str:
    """'t* <mean-curve value> (per seed median <m>, range <lo>–<hi>)'."""
    ts = L.t_star(rec)
    return (f"t* of the mean curve {L.t_star_of_mean(rec):.0f} (per seed: median "
            f"{np.median(ts):.0f}, range {ts.min():.0f}–{ts.max():.0f})")


def _setup_axis(ax: Axes, rec: Record, title: str | None = None) -> None:
    ax.set_xscale("log")
    ax.set_xlim(0.7, float(rec.times[-1]))
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)


def _plain_log_y(ax: Axes, fine: bool = True) -> None:
    """Log y axis with plain-number major labels (1, 1.5, 2, 3, ... if ``fine``, else powers of
    ten) and no minor labels."""
    ax.set_yscale("log")
    subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if fine else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _setting_line(rec: Record) -> str:
    return L.setting_text(rec)


def _quick_note(quick: bool) -> str:
    return ("[--quick: the runs of `twolayer check --quick`: fewer seeds and steps, smaller "
            "sweeps] " if quick else "")


def _errors_panel(ax: Axes, rec: Record) -> None:
    """Clean test error, clean-subset training error and the share of noisy points fitted,
    with δ dashed and t* marked (Fig. 1's panel)."""
    a = rec.arrays
    _band(ax, rec, a["errors/test_error_clean"], TEST, "clean test error")
    _band(ax, rec, a["errors/train_error_clean"], TRAIN, "train error, clean subset", lw=1.0)
    _band(ax, rec, a["errors/noisy_fit_fraction"], "0.45", "noisy points fitted", lw=1.0)
    ax.axhline(L.noise_rate(rec), color=BOUND, ls="--", lw=1.0, label="noise level δ")
    _mark_times(ax, rec, cross=False)


def _ratio_panel(ax: Axes, rec: Record) -> None:
    """ratio_t pooled (thick) and per true class (thin; the first three), 1 dashed, 1 + ε
    dotted, t* and t_× marked, on a log axis."""
    _band(ax, rec, rec.arrays["segments/grad_ratio"], "k", "pooled", lw=1.8)
    cls = rec.arrays["liu/logit_class_ratio"]
    for j in range(min(3, cls.shape[2])):
        ax.plot(_t(rec), np.nanmean(cls[:, :, j], 0), lw=0.8, alpha=0.8,
                color=(POS, NEG, "#8c564b")[j], label=f"class {j}")
    ax.axhline(1.0, color=BOUND, ls="--", lw=0.8)
    ax.axhline(1.0 + L.CROSS_EPS, color=BOUND, ls=":", lw=0.8)
    _mark_times(ax, rec)
    _plain_log_y(ax)


def _alpha_panel(ax: Axes, rec: Record) -> None:
    """α_t, κ_t and Lemma 4.2's (1 − α_t)/(1 + α_t), with 0 drawn."""
    a = rec.arrays
    _band(ax, rec, 1.0 / a["segments/grad_ratio"], "k", "α_t")
    _band(ax, rec, a["segments/kappa"], TEST, "κ_t = ⟨g,ĝ⟩/‖ĝ‖²", lw=1.2)
    _band(ax, rec, a["liu/lemma_rate"], POS, "(1−α_t)/(1+α_t)", ls="--", lw=1.2)
    _mark_times(ax, rec, label=False)
    ax.axhline(0, color="0.6", lw=0.6)


def _cosine_panel(ax: Axes, rec: Record, premise: bool = False) -> None:
    """cos(g_clean, g_noise) and cos(g, ĝ) on [−1, 1], with 0 drawn; ``premise``: also
    Assumption 4.1's −0.9 (dotted)."""
    _band(ax, rec, rec.arrays["segments/cos_clean_noisy"], NEG, "cos(g_clean, g_noise)")
    _band(ax, rec, rec.arrays["segments/cos_g_true"], POS, "cos(g, ĝ)")
    if premise:
        ax.axhline(L.ANTI_PREMISE, color=NEG, ls=":", lw=0.8)
    _mark_times(ax, rec, label=False)
    ax.set_ylim(-1.05, 1.05)
    ax.axhline(0, color="0.6", lw=0.6)


# ---------------------------------------------------------------------------------------------
# Fig. 1 analogue: U-shaped clean test error
# ---------------------------------------------------------------------------------------------


@figure(
    "liu2023-fig1",
    PAPER,
    "U-shaped clean test error under training-label noise, dashed line at the noise level",
    "analogue of Liu et al. (2023), Fig. 1 (MNIST, CNN)",
    claims=tuple(f"liu2023.fig1.u_shape.{k}" for k, _ in U_PANELS),
    differences=TSTAR_ONLY_DIFF,
)
def make_fig1(out_dir: Path, runs: Runs) -> list[Path]:
    """Clean test error (orange) falls to a minimum well below δ (dashed) and rises again as the
    noisy training points are fitted (grey: share of noisy points predicted as their corrupted
    label; blue: error of the clean training subset)."""
    recs = {k: L.record(runs, k) for k, _ in U_PANELS}
    parts = []
    for k, title in U_PANELS:
        s = L.u_shape_stats(recs[k])
        mean_curve = recs[k].arrays["errors/test_error_clean"].mean(0)
        parts.append(
            f"{title}: min of the mean curve {mean_curve.min():.3f} (per-seed minima "
            f"{s['emin'].mean():.3f} on average), {_tstar_text(recs[k])}, end {s['eT'].mean():.3f}"
        )
    caption = (
        _quick_note(runs.quick)
        + "Analogue of Liu et al. Fig. 1: clean test error (orange) against GD/SGD steps with 30% "
        "of the training labels flipped (dashed: δ = 0.3; test labels clean). Blue: error of the "
        "clean training subset; grey: share of noisy training points predicted as their "
        "corrupted label. Green dashed: t* of the seed-mean curve (the centre of the bottom of the "
        "plotted curve); green ticks at the top: each seed's t*. Measured: " + "; ".join(parts)
        + ". Settings: " + " | ".join(
            f"{title}: {_setting_line(recs[k])}, {recs[k].seeds} seeds" for k, title in U_PANELS
        )
    )
    fig, top = captioned_figure(9.0, 5.4, caption)
    axes = top.subplots(2, 2).ravel()
    for ax, (k, title) in zip(axes, U_PANELS):
        rec = recs[k]
        _errors_panel(ax, rec)
        _setup_axis(ax, rec, title)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel("step", fontsize=8)
    axes[0].legend(fontsize=7, loc="upper right")
    return [save_png(fig, out_dir / "liu2023-fig1.png")]


# ---------------------------------------------------------------------------------------------
# Figs. 6/8 analogue: gradient ratio, α_t, Lemma 4.2
# ---------------------------------------------------------------------------------------------


@figure(
    "liu2023-ratio",
    PAPER,
    "Clean/noisy segment-gradient ratio and α_t with t* and the ratio-1 crossing; Lemma 4.2",
    "analogue of Liu et al. (2023), Figs. 6/8; Lemma 4.2 and Assumption 4.1 (not plotted in the "
    "paper)",
    claims=tuple(
        f"liu2023.thm45.{c}.{k}" for k, _ in SETTINGS for c in ("alpha_monotone",
                                                                "crossing_near_tstar")
    ) + tuple(f"liu2023.{c}.{k}" for c in ("lem42.rescaled_step", "asm41.early_anticollinear")
              for k in ("xor", "mixture")),
    differences=COMMON_DIFF + (
        "segment gradients are Liu's sums divided by n (ratios and cosines unchanged); pooled "
        "over classes (thick) and per true class (thin)",
        OUTSIDE_DIFF,
    ),
)
def make_ratio(out_dir: Path, runs: Runs) -> list[Path]:
    """Row 1: ratio_t pooled (thick) and per class (thin), with 1 and 1 + ε; row 2: α_t and the
    effective-rate factor κ_t = ⟨g, ĝ⟩/‖ĝ‖² against (1 − α_t)/(1 + α_t); row 3: cos(g_clean,
    g_noise) (Assumption 4.1: −1) and cos(g, ĝ) (Lemma 4.2: 1)."""
    recs = {k: L.record(runs, k) for k, _ in SETTINGS}
    parts = []
    for k, title in SETTINGS:
        rec = recs[k]
        tx = L.t_cross(rec)
        parts.append(
            f"{title}: ratio at t=0 {rec.arrays['segments/grad_ratio'][:, 0].mean():.2f}, "
            f"{_tstar_text(rec)}, t_× of the mean ratio {L.t_cross_of_mean(rec):.0f} (per seed: "
            f"reached in {int(np.isfinite(tx).sum())} of {rec.seeds}"
            + (f", median {np.nanmedian(tx):.0f}" if np.isfinite(tx).any() else "")
            + "), share of increasing pooled α "
            f"intervals {L.alpha_monotone_share(rec).mean():.2f}, cos(g_C, g_N) at t=0 "
            f"{rec.arrays['segments/cos_clean_noisy'][:, 0].mean():.2f}, cos(g, ĝ) at t=0 "
            f"{rec.arrays['segments/cos_g_true'][:, 0].mean():.2f}, pooled ratio ≤ 1 reached in "
            f"{int(np.isfinite(L.t_cross(rec, 0.0)).sum())} of {rec.seeds} seeds"
        )
    caption = (
        _quick_note(runs.quick)
        + "Analogue of Liu et al. Figs. 6/8 (‖g_clean‖/‖g_noise‖ against training time). Top: "
        "pooled ratio (thick, all logits) and per true class (thin, gradient through the true "
        "class's logit; K=10: first three classes), dashed: 1, dotted: 1.05. Middle: α_t = "
        "1/ratio_t (black), κ_t = ⟨g, ĝ⟩/‖ĝ‖² (orange) and Lemma 4.2's "
        "(1 − α_t)/(1 + α_t) (blue dashed). Bottom: cos(g_clean, g_noise) (red; Assumption 4.1 "
        "says −1) and cos(g, ĝ) (blue; Lemma 4.2 says 1). Green dashed: t* of the seed-mean "
        "test-error curve; purple dotted: t_× of the seed-mean ratio; ticks at the top: per seed. "
        "The pooled ratio approaches 1 from above as ‖g‖ → 0 (then g_clean ≈ −g_noise "
        "necessarily). Measured: " + "; ".join(parts) + "."
    )
    fig, top = captioned_figure(10.0, 7.2, caption)
    axes = top.subplots(3, 3, sharex="col")
    for c, (k, title) in enumerate(SETTINGS):
        rec = recs[k]
        ax = axes[0, c]
        _ratio_panel(ax, rec)
        _setup_axis(ax, rec, title)
        if c == 0:
            ax.set_ylabel("‖g_clean‖/‖g_noise‖", fontsize=8)
        ax.legend(fontsize=6, loc="upper right")
        ax = axes[1, c]
        _alpha_panel(ax, rec)
        _setup_axis(ax, rec)
        if c == 0:
            ax.set_ylabel("α_t, rate factor", fontsize=8)
            ax.legend(fontsize=6, loc="center left")
        ax = axes[2, c]
        _cosine_panel(ax, rec)
        _setup_axis(ax, rec)
        ax.set_xlabel("step", fontsize=8)
        if c == 0:
            ax.set_ylabel("cosine", fontsize=8)
            ax.legend(fontsize=6, loc="lower left")
    return [save_png(fig, out_dir / "liu2023-ratio.png")]


# ---------------------------------------------------------------------------------------------
# Figs. 5/7 analogue: segment losses, errors, residuals
# ---------------------------------------------------------------------------------------------


@figure(
    "liu2023-segments",
    PAPER,
    "Segment losses, errors and residuals of the clean and noisy training points",
    "analogue of Liu et al. (2023), Figs. 5/7; Theorem 4.4",
    claims=tuple(f"liu2023.thm44.early_losses.{k}" for k, _ in SETTINGS),
    differences=TSTAR_ONLY_DIFF + (OUTSIDE_DIFF,),
)
def make_segments(out_dir: Path, runs: Runs) -> list[Path]:
    """Row 1: mean loss of the clean points and of the noisy points under their corrupted
    labels; row 2: errors (clean subset, noisy subset against corrupted and true labels, clean
    test); row 3: mean residual |∂ℓ/∂h_y| of clean and noisy points."""
    recs = {k: L.record(runs, k) for k, _ in SETTINGS}
    parts = []
    for k, title in SETTINGS:
        rec = recs[k]
        ln = rec.arrays["errors/loss_noisy"]
        peak = rec.times[np.nanmean(ln, 0).argmax()]
        parts.append(
            f"{title}: noisy loss {np.nanmean(ln[:, 0]):.3f} at t=0, peak "
            f"{np.nanmax(np.nanmean(ln, 0)):.3f} at t={peak}, {np.nanmean(ln[:, -1]):.3f} at the "
            f"end; clean loss {rec.arrays['errors/loss_clean'][:, 0].mean():.3f} → "
            f"{rec.arrays['errors/loss_clean'][:, -1].mean():.3f}; {_tstar_text(rec)}"
        )
    caption = (
        _quick_note(runs.quick)
        + "Analogue of Liu et al. Figs. 5/7. Top: mean loss of the clean training points (blue) "
        "and of the noisy ones under their corrupted labels (red; Theorem 4.4: falls / rises "
        "early). Middle: error of the clean subset (blue), of the noisy subset against its "
        "corrupted labels (red) and against its true labels (red dashed), clean test error "
        "(orange). Bottom: mean residual |∂ℓ/∂h_y| (binary: |f − y|; softmax: 1 − p_y) of clean "
        "(blue) and noisy (red) points. Green dashed: t* of the seed-mean test-error curve; green "
        "ticks at the top: each seed's t*. Measured: " + "; ".join(parts) + "."
    )
    fig, top = captioned_figure(10.0, 6.6, caption)
    axes = top.subplots(3, 3, sharex="col")
    for c, (k, title) in enumerate(SETTINGS):
        rec = recs[k]
        a = rec.arrays
        ax = axes[0, c]
        _band(ax, rec, a["errors/loss_clean"], POS, "clean")
        _band(ax, rec, a["errors/loss_noisy"], NEG, "noisy (corrupted labels)")
        _mark_times(ax, rec, cross=False)
        _setup_axis(ax, rec, title)
        if c == 0:
            ax.set_ylabel("segment loss", fontsize=8)
        ax.legend(fontsize=6, loc="lower left")
        ax = axes[1, c]
        _band(ax, rec, a["errors/train_error_clean"], POS, "clean subset")
        _band(ax, rec, 1.0 - a["errors/noisy_fit_fraction"], NEG, "noisy vs corrupted")
        _band(ax, rec, a["errors/noisy_error_true"], NEG, "noisy vs true", ls="--")
        _band(ax, rec, a["errors/test_error_clean"], TEST, "clean test")
        _mark_times(ax, rec, cross=False, label=False)
        _setup_axis(ax, rec)
        ax.set_ylim(0, 1.0)
        if c == 0:
            ax.set_ylabel("error", fontsize=8)
            ax.legend(fontsize=6, loc="center left")
        ax = axes[2, c]
        _band(ax, rec, a["liu/resid_clean"], POS, "clean")
        _band(ax, rec, a["liu/resid_noisy"], NEG, "noisy")
        _mark_times(ax, rec, cross=False, label=False)
        _setup_axis(ax, rec)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel("step", fontsize=8)
        if c == 0:
            ax.set_ylabel("mean residual", fontsize=8)
    return [save_png(fig, out_dir / "liu2023-segments.png")]


# ---------------------------------------------------------------------------------------------
# The n = 2000 mixture (premises measured there) and its noise-rate sweep
# ---------------------------------------------------------------------------------------------

DELTA_COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
REGIME_DIFF = (
    "a two-class Gaussian mixture with n = 2000 training points (about 300 noisy per class at "
    "δ = 0.3), m = 256, instead of MNIST/CIFAR with a CNN: the setting twolayer chose where "
    "Assumption 4.1's anti-collinearity and the NTK premise are measured (the caption gives the "
    "measured values; each claim's inside/outside is computed by `twolayer check liu2023`)",
    "the δ sweep keeps about 300 noisy points per class: n = 2000 · 0.3/δ at δ ∈ {0.1, 0.2, "
    "0.4}; the paper's noise rates, step sizes and widths are unknown to the card",
    COMMON_DIFF[2],
)


@figure(
    "liu2023-regime",
    PAPER,
    "The n = 2000 mixture: U-shape, segment losses, ratio and α_t, Assumption 4.1; the δ sweep",
    "analogue of Liu et al. (2023), Figs. 1, 5/7 and 6/8 on the setting of the `.regime` and "
    "`.delta` claims",
    claims=("liu2023.fig1.u_shape.regime", "liu2023.thm44.early_losses.regime",
            "liu2023.fig1.min_below_delta.delta", "liu2023.thm45.crossing_near_tstar.regime",
            "liu2023.thm45.alpha_monotone.regime", "liu2023.lem42.rescaled_step.regime",
            "liu2023.asm41.early_anticollinear.regime"),
    differences=REGIME_DIFF,
)
def make_regime(out_dir: Path, runs: Runs) -> list[Path]:
    """(a) clean test error, clean-subset error and noisy points fitted, dashed δ; (b) segment
    losses; (c) clean test error at each δ of the sweep with its δ dashed; (d) ratio_t pooled and
    per class; (e) α_t, κ_t and Lemma 4.2's (1 − α_t)/(1 + α_t); (f) cos(g_clean, g_noise) with
    the premise's −0.9 and cos(g, ĝ)."""
    rec = L.record(runs, "regime")
    dels = L.deltas(runs)
    a = rec.arrays
    s = L.u_shape_stats(rec)
    ln = a["errors/loss_noisy"]
    mean_ln = np.nanmean(ln, 0)
    tx = L.t_cross(rec)
    sweep = "; ".join(
        f"δ = {dl:g} (n = {int(r.config['data']['n'])}, {r.seeds} seeds): min of the mean curve "
        f"{r.arrays['errors/test_error_clean'].mean(0).min():.3f}, per-seed minima "
        f"{L.u_shape_stats(r)['emin'].mean():.3f} on average" for dl, r in dels.items()
    )
    caption = (
        _quick_note(runs.quick)
        + "The setting of liu2023's `.regime` claims (a–b, d–f) and of the δ sweep of "
        "`fig1.min_below_delta.delta` (c). (a) clean test error (orange), clean-subset training "
        "error (blue), noisy points predicted as their corrupted label (grey), dashed δ; (b) mean "
        "loss of the clean points (blue) and of the noisy ones under their corrupted labels (red; "
        "Theorem 4.4); (c) clean test error at each δ, its δ dashed in the same colour; (d) "
        "pooled ratio ‖g_clean‖/‖g_noise‖ (thick) and per true class (thin), dashed 1, dotted "
        "1.05; (e) α_t (black), κ_t (orange), (1 − α_t)/(1 + α_t) (blue dashed; Lemma 4.2); "
        "(f) cos(g_clean, g_noise) (red; dotted: the premise's −0.9) and cos(g, ĝ) (blue). "
        "Green dashed: t* of the seed-mean test-error curve; purple dotted: t_× of the seed-mean "
        f"ratio; ticks: per seed. Measured: min of the mean test-error curve "
        f"{a['errors/test_error_clean'].mean(0).min():.3f} (per-seed minima {s['emin'].mean():.3f} "
        f"on average), {_tstar_text(rec)}, end {s['eT'].mean():.3f}; noisy loss "
        f"{np.nanmean(ln[:, 0]):.3f} at t=0, peak {np.nanmax(mean_ln):.3f} at "
        f"t={rec.times[np.nanargmax(mean_ln)]}; t_× reached in {int(np.isfinite(tx).sum())} of "
        f"{rec.seeds} seeds; share of increasing pooled α intervals "
        f"{L.alpha_monotone_share(rec).mean():.2f}; premises: {L.premise_anticollinear(rec)[1]}; "
        f"{L.premise_ntk(rec)[1]}. δ sweep: {sweep}. Setting: {_setting_line(rec)}, "
        f"{rec.seeds} seeds."
    )
    fig, top = captioned_figure(10.0, 5.2, caption)
    axes = top.subplots(2, 3)
    ax = axes[0, 0]
    _errors_panel(ax, rec)
    _setup_axis(ax, rec, "(a) errors, n = 2000")
    ax.set_ylim(0, 1.0)
    ax.legend(fontsize=6, loc="upper right")
    ax = axes[0, 1]
    _band(ax, rec, a["errors/loss_clean"], POS, "clean")
    _band(ax, rec, ln, NEG, "noisy (corrupted labels)")
    _mark_times(ax, rec, cross=False, label=False)
    _setup_axis(ax, rec, "(b) segment losses")
    ax.legend(fontsize=6, loc="lower left")
    ax = axes[0, 2]
    for i, (dl, r) in enumerate(dels.items()):
        col = DELTA_COLOURS[i % len(DELTA_COLOURS)]
        _band(ax, r, r.arrays["errors/test_error_clean"], col,
              f"δ = {dl:g}, n = {int(r.config['data']['n'])}", lw=1.2)
        ax.axhline(dl, color=col, ls="--", lw=0.8)
    _setup_axis(ax, next(iter(dels.values())), "(c) clean test error at each δ")
    ax.set_ylim(0, 1.0)
    ax.legend(fontsize=6, loc="upper right")
    ax = axes[1, 0]
    _ratio_panel(ax, rec)
    _setup_axis(ax, rec, "(d) ‖g_clean‖/‖g_noise‖")
    ax.legend(fontsize=6, loc="upper right")
    ax = axes[1, 1]
    _alpha_panel(ax, rec)
    _setup_axis(ax, rec, "(e) α_t and the rate factor")
    ax.legend(fontsize=6, loc="center left")
    ax = axes[1, 2]
    _cosine_panel(ax, rec, premise=True)
    _setup_axis(ax, rec, "(f) cosines")
    ax.legend(fontsize=6, loc="lower left")
    for ax in axes[1]:
        ax.set_xlabel("step", fontsize=8)
    return [save_png(fig, out_dir / "liu2023-regime.png")]


# ---------------------------------------------------------------------------------------------
# Fig. 4 analogue: sample-wise gradient angles at initialisation
# ---------------------------------------------------------------------------------------------

ANGLE_CATS = (
    ("logit", "same_cc", "same class", POS, "-"),
    ("logit", "diff_cc", "different class", NEG, "-"),
)
LOSS_CATS = (
    ("loss", "same_cc", "same, clean–clean", POS, "-"),
    ("loss", "same_cn", "same, clean–noisy", POS, "--"),
    ("loss", "diff_cc", "diff., clean–clean", NEG, "-"),
    ("loss", "diff_cn", "diff., clean–noisy", NEG, "--"),
)


def _hist(ax: Axes, rec: Record, cats: tuple) -> None:  # type: ignore[type-arg]
    edges = np.asarray(ANGLE_EDGES_DEG)
    centres = 0.5 * (edges[1:] + edges[:-1])
    for kind, cat, label, colour, ls in cats:
        h = np.nanmean(rec.arrays[f"init/hist_{kind}_{cat}"], 0)
        ax.step(centres, h, where="mid", color=colour, ls=ls, lw=1.3, label=label)
    ax.axvline(90, color="0.6", lw=0.6)
    ax.set_xlim(60, 120)
    ax.set_xticks([60, 75, 90, 105, 120])
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=7)


@figure(
    "liu2023-angles",
    PAPER,
    "Angles between sample-wise gradients at initialisation; initial segment geometry against n",
    "analogue of Liu et al. (2023), Fig. 4 (angle distributions of sample-wise gradients)",
    claims=tuple(f"liu2023.intro.same_class_closer.{k}" for k, _ in SETTINGS)
    + ("liu2023.asm41.init_anticollinear.xor", "liu2023.asm41.init_anticollinear.xor_large_n",
       "liu2023.eq5.init_ratio.xor", "liu2023.eq5.init_ratio.xor_large_n",
       "liu2023.sec5.init_ratio.k10", "liu2023.sec5.init_ratio.k10_large_n"),
    differences=COMMON_DIFF[:2] + (
        "pairs among the first ≤ 512 training points of each run (closed-form Gram matrix of the "
        "per-sample gradients), histograms averaged over seeds",
        "logit gradients: ∇h of the true class's logit (label-free); loss gradients: ∇ℓ with the "
        "training label",
    ),
)
def make_angles(out_dir: Path, runs: Runs) -> list[Path]:
    """Top: angle histograms of logit gradients (same vs different true class); middle: of loss
    gradients with the training labels (clean–clean vs clean–noisy, same vs different class);
    bottom: per-class cos(g_clean^(c), g_noise^(c)) and ratio/prediction at t = 0 for the U-shape
    setting and for n ten (or more) times larger, and (right) the drift 1 − cos(∇h_t, ∇h_0) of
    the sample-wise logit gradients over training in the Gaussian mixture, with t*."""
    recs = {k: L.record(runs, k) for k, _ in SETTINGS}
    init = L.init_n(runs)
    parts = []
    for k, title in SETTINGS:
        a = recs[k].arrays
        parts.append(
            f"{title}: mean cos of logit gradients same class "
            f"{a['init/mean_cos_logit_same_cc'].mean():.3f}, different class "
            f"{a['init/mean_cos_logit_diff_cc'].mean():.3f}; loss gradients same-class "
            f"clean–noisy {a['init/mean_cos_loss_same_cn'].mean():.3f}"
        )
    geo = []
    for k, big in (("xor", init["xor"]), ("k10", init["k10"])):
        for rec in (recs[k], big):
            geo.append(
                f"{k} n={rec.config['data']['n']}: cos "
                f"{np.nanmean(rec.arrays['liu/logit_class_cos'][:, 0]):.2f}"
            )
    mix = recs["mixture"]
    drift_t = mix.arrays["liu/grad_drift"][np.arange(mix.seeds), L.t_star_index(mix)]
    caption = (
        _quick_note(runs.quick)
        + "Analogue of Liu et al. Fig. 4: distributions of angles between sample-wise gradients at "
        "initialisation (fraction of pairs per 1° bin, mean over seeds; x-axis 60°–120°). Top: "
        "gradients of the "
        "true class's logit, pairs of clean points; middle: loss gradients with the training "
        "labels (a noisy point's residual has the other sign). Inputs are dominated by the "
        "within-cluster noise (‖z‖² ≈ dσ² = 2.5 or 5 against ‖μ‖ = 1), so all angles sit near 90°; "
        "the same-class shift is small but systematic. XOR: a class is two opposite clusters ±μ, "
        "so its same-class logit gradients split into same-cluster (< 90°) and opposite-cluster "
        "(> 90°) pairs. K = 10: logit gradients of different classes are gradients of different "
        "logits (≈ 90° by construction). Bottom: per-class cos(g_clean^(c), "
        "g_noise^(c)) at t = 0 (true-class logit) and ratio/prediction − 1, for the U-shape "
        "settings and for a larger n of the same distribution (bar labels): anti-collinearity "
        "(Assumption 4.1) needs many noisy points per class. Bottom right: how far the "
        "sample-wise gradients move during training (the NTK premise ∇h(w_t; x) = ∇h(w_0; x)): "
        "1 − cos(∇h(w_t; x), ∇h(w_0; x)) of the true-class logit averaged over training points, "
        "Gaussian mixture, mean and min–max over seeds, dashed t* of the mean test-error curve. "
        "Measured: " + "; ".join(parts) + "; " + ", ".join(geo)
        + f"; mixture drift at each seed's t*: {drift_t.mean():.3g} (mean over seeds)."
    )
    fig, top = captioned_figure(10.0, 6.4, caption)
    axes = top.subplots(3, 3)
    for c, (k, title) in enumerate(SETTINGS):
        _hist(axes[0, c], recs[k], ANGLE_CATS)
        axes[0, c].set_title(title + " (logit gradients)", fontsize=9)
        _hist(axes[1, c], recs[k], LOSS_CATS)
        axes[1, c].set_title("loss gradients, training labels", fontsize=9)
        axes[1, c].set_xlabel("angle (degrees)", fontsize=8)
    axes[0, 0].set_ylabel("fraction of pairs", fontsize=8)
    axes[1, 0].set_ylabel("fraction of pairs", fontsize=8)
    axes[0, 0].legend(fontsize=6, loc="upper right")
    axes[1, 0].legend(fontsize=5.5, loc="upper right", framealpha=0.9)
    # bottom row: initial segment geometry against n
    for c, (k, big) in enumerate((("xor", init["xor"]), ("k10", init["k10"]))):
        ax = axes[2, c]
        small = recs[k]
        labels, cos_v, dev_v = [], [], []
        for rec in (small, big):
            noisy = rec.arrays["liu/class_count_noisy"][:, 0].mean()
            labels.append(f"n={rec.config['data']['n']}\n(~{noisy:.0f} noisy/class)")
            cos_v.append(rec.arrays["liu/logit_class_cos"][:, 0].mean(-1))
            if k == "k10":
                dev_v.append(L.init_ratio_deviation_multiclass(rec))
            else:
                dev_v.append(L.init_ratio_deviation_binary(rec))
        x = np.arange(2)
        ax.bar(x - 0.18, [v.mean() for v in cos_v], 0.36, color=NEG,
               yerr=[v.std() for v in cos_v], label="cos(g_clean^(c), g_noise^(c))")
        ax.bar(x + 0.18, [v.mean() for v in dev_v], 0.36, color=POS,
               yerr=[v.std() for v in dev_v], label="ratio / prediction − 1")
        ax.axhline(-0.9, color=BOUND, ls=":", lw=0.8)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_xticks(x)
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_ylim(-1.05, 0.55)
        ax.set_title(f"{'XOR' if k == 'xor' else 'K = 10 (true-class logit)'}: t = 0", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    axes[2, 0].legend(fontsize=6, loc="upper right")
    ax = axes[2, 2]
    rec = recs["mixture"]
    a = rec.arrays
    _band(ax, rec, a["liu/grad_drift"], "k", "1 − cos(∇h_t, ∇h_0)")
    _mark_times(ax, rec, cross=False)
    _setup_axis(ax, rec, "mixture: drift of sample-wise gradients")
    _plain_log_y(ax, fine=False)
    ax.legend(fontsize=6)
    return [save_png(fig, out_dir / "liu2023-angles.png")]


# ---------------------------------------------------------------------------------------------
# Width sweep
# ---------------------------------------------------------------------------------------------

WIDTH_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


@figure(
    "liu2023-width",
    PAPER,
    "Width sweep: test error, gradient ratio, drift of sample-wise gradients, Lemma 4.2 error",
    "no paper figure; probes the infinite-width premise of Liu et al. (2023), Section 4",
    claims=("liu2023.lem42.rate_factor_width", "liu2023.ntk.gradient_drift_width"),
    differences=NO_MARKS_DIFF + (
        "Gaussian-mixture setting with NTK-scaled initialisation ω_init² = 1/d (independent of m)",
        WIDTH_OUTSIDE_DIFF,
    ),
)
def make_width(out_dir: Path, runs: Runs) -> list[Path]:
    """Per width m: clean test error and ratio_t against steps, the drift 1 − cos(∇h_t, ∇h_0) of
    the sample-wise gradients, and at the end of the early window the Lemma 4.2 deviation
    |κ_t − (1 − α_t)/(1 + α_t)| and ‖g − ρ_t ĝ‖/‖ρ_t ĝ‖ against m."""
    recs = L.widths(runs)
    ms = sorted(recs)
    drift = [recs[m].arrays["liu/grad_drift"][np.arange(recs[m].seeds), L.t_star_index(recs[m])]
             for m in ms]
    rate = [L.rate_error(recs[m]) for m in ms]
    rel = [L.window_mean(recs[m], "liu/lemma_rel_error", L.early_end(recs[m])) for m in ms]
    drift_slope = [loglog_slope(ms, np.stack(drift)[:, r]) for r in range(len(drift[0]))]
    rate_slope = [loglog_slope(ms, np.stack(rate)[:, r]) for r in range(len(rate[0]))]
    caption = (
        _quick_note(runs.quick)
        + "No paper figure: the infinite-width premise. Gaussian mixture (d=50, n=400, σ²=0.1, "
        "δ=0.3, ω_init²=1/d, a=±1/√m fixed, GD step 0.5), widths "
        + ", ".join(map(str, ms)) + f", {recs[ms[0]].seeds} seeds (same data at every width). "
        "(a) clean test error, dashed δ; (b) ratio_t; (c) drift 1 − cos(∇h(w_t; x), ∇h(w_0; x)) "
        "averaged over training points (true-class logit); (d) against m: drift at t* (black; "
        "grey line: slope −1/2), |κ − (1 − α)/(1 + α)| (orange) and ‖g − ρĝ‖/‖ρĝ‖ (blue) averaged "
        "over t ≤ t*/2. Measured: drift at t* "
        + ", ".join(f"{d.mean():.3g} (m={m})" for d, m in zip(drift, ms))
        + "; |κ − ρ| " + ", ".join(f"{r.mean():.3f}" for r in rate)
        + "; relative error " + ", ".join(f"{r.mean():.2f}" for r in rel)
        + f". Slopes against log m (mean over seeds): drift {np.mean(drift_slope):.2f}, "
        f"|κ − ρ| {np.mean(rate_slope):.2f}."
    )
    fig, top = captioned_figure(10.0, 3.4, caption)
    axes = top.subplots(1, 4)
    for i, m in enumerate(ms):
        rec = recs[m]
        col = WIDTH_COLOURS[i % len(WIDTH_COLOURS)]
        _band(axes[0], rec, rec.arrays["errors/test_error_clean"], col, f"m={m}", lw=1.2)
        _band(axes[1], rec, rec.arrays["segments/grad_ratio"], col, f"m={m}", lw=1.2)
        _plain_log_y(axes[1])
        _band(axes[2], rec, rec.arrays["liu/grad_drift"], col, f"m={m}", lw=1.2)
    r0 = recs[ms[0]]
    axes[0].axhline(L.noise_rate(r0), color=BOUND, ls="--", lw=1.0)
    axes[1].axhline(1.0, color=BOUND, ls="--", lw=0.8)
    for ax, title in zip(axes[:3], ("(a) clean test error", "(b) ‖g_clean‖/‖g_noise‖",
                                    "(c) gradient drift")):
        _setup_axis(ax, r0, title)
        ax.set_xlabel("step", fontsize=8)
    _plain_log_y(axes[2], fine=False)
    axes[0].set_ylim(0, 0.6)
    axes[0].legend(fontsize=6)
    ax = axes[3]
    mm = np.asarray(ms, dtype=np.float64)
    for vals, colour, label in ((drift, "k", "drift at t*"), (rate, TEST, "|κ − ρ|"),
                                (rel, POS, "‖g − ρĝ‖/‖ρĝ‖")):
        mean = np.asarray([v.mean() for v in vals])
        ax.errorbar(mm, mean, yerr=[v.std() for v in vals], color=colour, marker="o", ms=3,
                    lw=1.2, capsize=2, label=label)
    d0 = float(np.mean(drift[0]))
    ax.plot(mm, d0 * (mm / mm[0]) ** -0.5, color="0.6", lw=0.8, ls="--", label="∝ m^(−1/2)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m", fontsize=8)
    ax.set_title("(d) against width", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6)
    return [save_png(fig, out_dir / "liu2023-width.png")]
