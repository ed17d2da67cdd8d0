"""Figures for Vashisht et al. (2024), "Impact of label noise on learning complex features".

The paper's figures are unknown (the card rests on the abstract): these are the card's
[PROPOSAL] analogues F-A1–F-A4, drawn from the same SGD studies that ``twolayer check
vashisht2024`` reads (the Records of the experiments ``vashisht2024.<kind>.sgd`` of
:mod:`twolayer.experiments.vashisht2024`, from the record store when they are there):

- ``vashisht2024-eta`` (F-A1): the paired per-seed rise of S-randomised accuracy and conflict
  following over the matched-length clean baseline against the phase-1 flip rate η, for every
  arm (head kept, head re-initialised, first-layer norm reset) and both input-noise arms
  (feature-preserving control, sign-flipping reference), mean and 95% t-interval over seeds;
- ``vashisht2024-phase2`` (F-A2): clean and S-randomised test accuracy during phase 2, mean
  and 95% t-band over seeds;
- ``vashisht2024-histograms`` (F-A3): per-test-point attribution share of the complex
  coordinates after phase 2, and per-neuron loading ‖W[j, C]‖/‖W[j, :]‖ after phase 1 and 2;
- ``vashisht2024-boundary`` (F-A4): decision regions of linear + XOR networks in the
  (x_0, x_1) plane at x_2 = ±0.55 (other coordinates 0), baseline vs pre-trained.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import net
from ..experiments import Runs
from ..experiments import vashisht2024 as V
from ..net import Params
from ..record import Record
from ..stats import mean_ci
from .base import figure
from .style import captioned_figure, quick_mark, save_png

PAPER = "vashisht2024"
SHOWN_ETA = 0.2  # the η of the histograms, curves and boundaries (in both plans)
VARIANT_STYLE = {
    "keep": ("#1f77b4", "o", "pre-trained, head kept"),
    "reinit": ("#2ca02c", "s", "pre-trained, head re-initialised"),
    "rescale": ("#9467bd", "^", "pre-trained, first-layer norm reset"),
}
BASE_COLOUR = "#333333"
INPUT_COLOUR = "#ff7f0e"
KIND_NAME = {"lms": "linear + 5-slab (LMS)", "linxor": "linear + XOR"}
COMMON_DIFF = (
    "the paper's data, models, noise rates and protocol are unknown (card: abstract only); "
    "the setting is twolayer's [PROPOSAL]: d=10, m=100, He init, trained head and bias, "
    "SGD lr 0.1 batch 64",
    "full plan: n=1000 training points (card: 5k-20k), n_test=2000, T1=20000 and T2=5000 "
    "steps, 8 seeds, eta in {0, 0.1, ..., 0.5} (0.5 = uniformly random labels); --quick: "
    "n=300, T1=6000, T2=1500, 6 seeds, eta in {0, 0.2, 0.5}",
)


def _for_every_kind(*checks: str) -> tuple[str, ...]:
    """The ids ``vashisht2024.<kind>.<check>`` of the claims ``checks`` (registered once per
    data kind) for every kind of :data:`V.KINDS`, kind by kind."""
    return tuple(f"{PAPER}.{k}.{c}" for k in V.KINDS for c in checks)


def _studies(runs: Runs) -> dict[str, Record]:
    return {k: _sgd(runs, k) for k in V.KINDS}


def _sgd(runs: Runs, kind: str) -> Record:
    rec = V.study_of(runs, kind, "sgd")
    if rec is None:
        raise ValueError(f"the {PAPER}.{kind}.sgd study is absent")
    return rec


def _se(v: np.ndarray) -> float:
    return float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


def _setting_text(rec: Record) -> str:
    """The setting shared by the two data kinds' studies."""
    s = rec.meta["study"]
    pl, arm = s["plan"], s["arm"]
    return (f"d={pl['d']} (LMS: x_0 linear, {pl['slabs']} 5-slab and {pl['d'] - 1 - pl['slabs']} "
            f"noise coordinates; linear + XOR: x_0, the pair x_1, x_2 and {pl['d'] - 3} noise "
            f"coordinates; margin {pl['margin']:g}), n={pl['n']}, n_test={pl['n_test']}, "
            f"m={pl['m']}, He init, trained head and bias, SGD lr {arm['lr']:g} batch "
            f"{arm['batch_size']}, T1={arm['T1']}, T2={arm['T2']}, {s['seeds']} seeds")


def _paired(rec: Record, q: str, variant: str, eta: float) -> np.ndarray:
    """Per-seed Δ = q(variant, η) − q(baseline) of the same seed (empty if the arm is absent)."""
    ia, ib = V.runs(rec, variant, eta), V.baseline_runs(rec)
    if ia.size == 0:
        return np.zeros(0)
    vals = V.final(rec, q)
    return vals[ia] - vals[ib]


CONTROL_STYLE = {
    "input-noise": (INPUT_COLOUR, "D", "input noise, feature-preserving (control)"),
    "input-noise-flip": ("#d62728", "X", "input noise σ=0.5, flips sgn x_0 (reference)"),
}


def _flip_text(rec: Record) -> str:
    a = rec.arrays
    out = []
    for src, name in ((1, "feature-preserving"), (2, "unconstrained")):
        sel = a["phase1/source"] == src
        if sel.any():
            out.append(f"{name}: σ {np.nanmin(a['phase1/input_sigma'][sel]):.2f}–"
                       f"{np.nanmax(a['phase1/input_sigma'][sel]):.2f}, sgn x_0 flipped on "
                       f"{np.nanmean(a['phase1/input_s_flip'][sel]):.3f} of the points")
    return "; ".join(out)


@figure(
    "vashisht2024-eta",
    PAPER,
    "Rise in complex-feature reliance over clean training, against η, with every control",
    "no paper figure known; analogue F-A1 of the card (section 3)",
    claims=_for_every_kind("reliance_rises", "survives_controls", "label_noise_specific"),
    differences=COMMON_DIFF,
)
def make_eta(out_dir: Path, runs: Runs) -> list[Path]:
    """The paired per-seed difference Δ to the matched-length clean baseline (η = 0, head kept,
    T1 + T2 clean steps, same seed) of S-randomised accuracy (top) and of the share of conflict
    inputs classified by the complex feature (bottom) at the end of phase 2, against the
    phase-1 flip rate η, for the two data kinds: pre-trained with the head kept, with the head
    re-initialised and with the first-layer norm reset (head kept), and the two input-noise
    arms at the left (feature-preserving control; sign-flipping reference). Mean and 95%
    t-interval over seeds (per point, not corrected for multiplicity); dashed: the claims'
    minimal rise δ = 0.01."""
    studies = _studies(runs)
    rec0 = next(iter(studies.values()))
    caption = (
        quick_mark(runs.quick) + "Card analogue F-A1 (no paper figure is known). "
        f"{_setting_text(rec0)}. Each point: mean over seeds of the paired difference Δ to the "
        "clean baseline of the same seed (η = 0, head kept, T1 + T2 clean steps) at the end of "
        "phase 2 (T2 clean steps after T1 steps on labels flipped at rate η; η = 0.5: random "
        "labels); bars: 95% t-interval over seeds of each point alone (the claims correct "
        f"their comparisons with Holm). Dashed: δ = {V.MIN_RISE:g}, the smallest rise the claims "
        "count; Δ = 0: no change. Points at η = 0 of the re-initialised and rescaled arms are "
        "their clean-pre-training controls. Left of η = 0: input-noise pre-training on clean "
        "labels, feature-preserving (the control of label_noise_specific; σ per seed matched "
        "to label noise at η = 0.2 by 1-NN loss) and unconstrained σ = 0.5 (the previous "
        "control, a reference). "
    )
    parts = []
    for kind, rec in studies.items():
        pos = [e for e in V.etas(rec) if e > 0]
        best = max(pos, key=lambda e: _paired(rec, "s_rand_acc", "keep", e).mean())
        txt = [f"head kept ΔS {_paired(rec, 's_rand_acc', 'keep', best).mean():+.3f} at "
               f"η={best:g}, norm reset {_paired(rec, 's_rand_acc', 'rescale', best).mean():+.3f}"]
        for v, (_, _, name) in CONTROL_STYLE.items():
            d = _paired(rec, "s_rand_acc", v, 0.0)
            if d.size:
                txt.append(f"{name.split(' (')[0]} {d.mean():+.3f}")
        parts.append(f"{kind}: " + ", ".join(txt) + f" ({_flip_text(rec)})")
    caption += "Measured ΔS-rand: " + "; ".join(parts) + "."
    fig, top = captioned_figure(11.5, 5.8, caption)
    axes = top.subplots(2, 2, sharex=True)
    for col, (kind, rec) in enumerate(studies.items()):
        etas = V.etas(rec)
        for row, (q, label) in enumerate((("s_rand_acc", "Δ S-randomised accuracy"),
                                          ("conflict_follow", "Δ conflict inputs: follows C"))):
            ax = axes[row, col]
            ax.axhline(0.0, color=BASE_COLOUR, lw=0.9)
            ax.axhline(V.MIN_RISE, color="0.4", ls="--", lw=0.8,
                       label=f"δ = {V.MIN_RISE:g} (claims)")
            for k, (v, (colour, marker, name)) in enumerate(VARIANT_STYLE.items()):
                xs, ms, lo, hi = [], [], [], []
                for e in etas:
                    d = _paired(rec, q, v, e)
                    if d.size == 0 or (v == "keep" and e == 0):
                        continue
                    m, ci = mean_ci(d)
                    xs.append(e + (k - 1) * 0.01)
                    ms.append(m)
                    lo.append(m - ci[0] if np.isfinite(ci[0]) else 0.0)
                    hi.append(ci[1] - m if np.isfinite(ci[1]) else 0.0)
                if xs:
                    ax.errorbar(xs, ms, yerr=[lo, hi], color=colour, marker=marker, ms=4,
                                lw=1.1, capsize=2, label=name)
            for j, (v, (colour, marker, name)) in enumerate(CONTROL_STYLE.items()):
                d = _paired(rec, q, v, 0.0)
                if d.size:
                    m, ci = mean_ci(d)
                    err = [[m - ci[0]], [ci[1] - m]] if np.all(np.isfinite(ci)) else None
                    ax.errorbar([-0.07 + 0.035 * j], [m], yerr=err, color=colour,
                                marker=marker, ms=5, capsize=2, ls="none", label=name)
            if row == 0:
                ax.set_title(KIND_NAME[kind], fontsize=9.5)
            ax.set_ylabel(label, fontsize=8.5)
            ax.tick_params(labelsize=8)
            if row == 1:
                ax.set_xlabel("phase-1 flip rate η (left of 0: input-noise arms)", fontsize=8.5)
    axes[0, 1].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return [save_png(fig, out_dir / "vashisht2024-eta.png")]


@figure(
    "vashisht2024-phase2",
    PAPER,
    "Phase-2 training curves after noisy-label pre-training",
    "no paper figure known; analogue F-A2 of the card (section 3)",
    claims=_for_every_kind("clean_simple", "reliance_rises", "no_accuracy_cost"),
    differences=COMMON_DIFF,
)
def make_phase2(out_dir: Path, runs: Runs) -> list[Path]:
    """Clean test accuracy (top) and S-randomised accuracy (bottom) against the phase-2 step
    (log scale; step 0 drawn at 0.5) for each η with the head kept; the η = 0 curve is the clean
    baseline continuing for T2 more steps. Line: mean over seeds; band: 95% t-interval of that
    mean over seeds at each probe time."""
    studies = _studies(runs)
    rec0 = next(iter(studies.values()))
    caption = (
        quick_mark(runs.quick) + "Card analogue F-A2 (no paper figure is known). "
        f"{_setting_text(rec0)}. Line: mean over seeds of the head-kept runs; band: 95% "
        "t-interval of that mean over seeds at each probe time (not corrected for the number "
        "of times or curves); each curve starts where phase 1 (labels flipped at rate η) "
        "ended. "
    )
    parts = []
    for kind, rec in studies.items():
        last = {e: V.final(rec, "clean_acc")[V.runs(rec, "keep", e)].mean() for e in V.etas(rec)}
        srand = {e: V.final(rec, "s_rand_acc")[V.runs(rec, "keep", e)].mean()
                 for e in V.etas(rec)}
        parts.append(f"{kind}: final clean accuracy " + ", ".join(
            f"η={e:g}: {v:.3f}" for e, v in last.items()) + "; final S-rand " + ", ".join(
            f"η={e:g}: {v:.3f}" for e, v in srand.items()))
    caption += "Measured: " + "; ".join(parts) + "."
    fig, top = captioned_figure(9.0, 5.4, caption)
    axes = top.subplots(2, 2, sharex=True)
    cmap = _eta_colours
    for col, (kind, rec) in enumerate(studies.items()):
        t = rec.times.astype(float)
        t[t == 0] = 0.5
        etas = V.etas(rec)
        for row, q in enumerate(("clean_acc", "s_rand_acc")):
            ax = axes[row, col]
            arr = rec.arrays[f"vashisht/{q}"]
            for e in etas:
                idx = V.runs(rec, "keep", e)
                vals = arr[idx].astype(float)
                band = np.array([mean_ci(vals[:, i])[1] for i in range(vals.shape[1])])
                colour = cmap(e, etas)
                ax.fill_between(t, band[:, 0], band[:, 1], color=colour, alpha=0.18, lw=0)
                ax.plot(t, vals.mean(0), color=colour, lw=1.3,
                        label="baseline (η = 0)" if e == 0 else f"η = {e:g}")
            ax.set_xscale("log")
            ax.tick_params(labelsize=8)
            if row == 0:
                ax.set_title(KIND_NAME[kind], fontsize=9.5)
                ax.set_ylabel("clean test accuracy", fontsize=8.5)
            else:
                ax.axhline(0.5, color="0.5", ls=":", lw=0.8)
                ax.set_ylabel("S-randomised accuracy", fontsize=8.5)
                ax.set_xlabel("phase-2 step (clean labels)", fontsize=8.5)
    axes[1, 1].legend(fontsize=7, frameon=False)
    return [save_png(fig, out_dir / "vashisht2024-phase2.png")]


def _eta_colours(eta: float, etas: list[float]) -> tuple[float, float, float, float]:
    from matplotlib import colormaps

    if eta == 0:
        return (0.2, 0.2, 0.2, 1.0)
    top = max(etas)
    return colormaps["viridis"](0.15 + 0.75 * eta / top)


@figure(
    "vashisht2024-histograms",
    PAPER,
    "Attribution share and neuron loading of the complex coordinates",
    "no paper figure known; analogue F-A3 of the card (section 3)",
    claims=_for_every_kind("reliance_rises"),
    differences=COMMON_DIFF,
)
def make_histograms(out_dir: Path, runs: Runs) -> list[Path]:
    """Left: per-test-point share of gradient × (input − mean) attribution on the complex
    coordinates after phase 2. Middle and right: per-neuron loading ‖W[j, C]‖/‖W[j, :]‖ after
    phase 1 and after phase 2 (all seeds pooled), for the clean baseline, noisy-label
    pre-training at η = 0.2 (head kept) and the two input-noise arms (feature-preserving
    control; unconstrained σ = 0.5, which flips sgn x_0 on some points); dotted: the loading
    √(|C|/d) of an isotropic weight vector."""
    studies = _studies(runs)
    rec0 = next(iter(studies.values()))
    caption = (
        quick_mark(runs.quick) + "Card analogue F-A3 (no paper figure is known). "
        f"{_setting_text(rec0)}. Histograms pooled over seeds "
        f"(density); pre-trained = labels flipped at η = {SHOWN_ETA:g} for T1 steps; input "
        "noise (clean labels): feature-preserving (the label_noise_specific control) and "
        "unconstrained σ = 0.5 (flips sgn x_0 on some points; reference). "
    )
    parts = []
    for kind, rec in studies.items():
        a = rec.arrays["final/attr_point"]
        base, pre = V.baseline_runs(rec), V.runs(rec, "keep", SHOWN_ETA)
        parts.append(f"{kind}: median attribution share baseline {np.nanmedian(a[base]):.3f}, "
                     f"pre-trained {np.nanmedian(a[pre]):.3f}")
    caption += "Measured: " + "; ".join(parts) + "."
    fig, top = captioned_figure(9.6, 5.2, caption)
    axes = top.subplots(2, 3)
    for row, (kind, rec) in enumerate(studies.items()):
        a = rec.arrays
        groups2 = (("baseline", V.baseline_runs(rec), BASE_COLOUR),
                   (f"η = {SHOWN_ETA:g}", V.runs(rec, "keep", SHOWN_ETA), VARIANT_STYLE["keep"][0]),
                   ("input noise (feature-preserving)", V.runs(rec, "input-noise", 0.0),
                    INPUT_COLOUR),
                   ("input noise σ=0.5 (flips sgn x_0)", V.runs(rec, "input-noise-flip", 0.0),
                    CONTROL_STYLE["input-noise-flip"][0]))
        src = a["phase1/source"]
        rows1 = {
            "baseline": np.flatnonzero((src == 0) & (a["phase1/eta"] == 0)),
            f"η = {SHOWN_ETA:g}": np.flatnonzero((src == 0) & np.isclose(a["phase1/eta"],
                                                                          SHOWN_ETA)),
            "input noise (feature-preserving)": np.flatnonzero(src == 1),
            "input noise σ=0.5 (flips sgn x_0)": np.flatnonzero(src == 2),
        }
        bins = np.linspace(0, 1, 41)
        d = rec.config["data"]["d"]
        n_c = rec.config["data"]["slabs"] if kind == "lms" else 2
        iso = np.sqrt(n_c / d)
        for name, idx, colour in groups2:
            if idx.size == 0:
                continue
            vals = a["final/attr_point"][idx].ravel()
            axes[row, 0].hist(vals[np.isfinite(vals)], bins=bins, density=True, histtype="step",
                              color=colour, lw=1.3, label=name)
            axes[row, 2].hist(a["final/loading"][idx].ravel(), bins=bins, density=True,
                              histtype="step", color=colour, lw=1.3, label=name)
        for name, _, colour in groups2:
            r1 = rows1[name]
            if r1.size:
                axes[row, 1].hist(a["phase1/loading"][r1].ravel(), bins=bins, density=True,
                                  histtype="step", color=colour, lw=1.3, label=name)
        for ax in axes[row, 1:]:
            ax.axvline(iso, color="0.5", ls=":", lw=0.9)
        titles = ("attribution share of C (phase 2 end)", "loading on C (phase 1 end)",
                  "loading on C (phase 2 end)")
        for col, ax in enumerate(axes[row]):
            ax.tick_params(labelsize=7.5)
            ax.set_title(f"{KIND_NAME[kind]}: {titles[col]}", fontsize=8)
    axes[0, 0].legend(fontsize=7, frameon=False)
    return [save_png(fig, out_dir / "vashisht2024-histograms.png")]


def _params_of(rec: Record, idx: list[int]) -> Params:
    a = rec.arrays
    W = torch.as_tensor(a["final/W"][idx], dtype=torch.float64)
    return Params(W=W, a=torch.as_tensor(a["final/a"][idx], dtype=torch.float64).unsqueeze(-1),
                  b=torch.as_tensor(a["final/b"][idx], dtype=torch.float64))


BOUNDARY_GRID = 161
BOUNDARY_X2 = (0.55, -0.55)


@figure(
    "vashisht2024-boundary",
    PAPER,
    "Decision regions in the (linear, XOR) plane",
    "no paper figure known; analogue F-A4 of the card (section 3)",
    claims=(f"{PAPER}.linxor.reliance_rises",),
    differences=COMMON_DIFF + ("seed 0 of the linear + XOR study is shown",),
)
def make_boundary(out_dir: Path, runs: Runs) -> list[Path]:
    """sgn f on the plane (x_0, x_1) with x_2 = +0.55 (top; the XOR label is sgn x_1) and
    x_2 = −0.55 (bottom; label −sgn x_1), noise coordinates 0, for seed 0: the clean baseline,
    noisy-label pre-training at η = 0.2 (head kept) and feature-preserving input-noise
    pre-training. A network of
    the linear feature alone has the vertical boundary x_0 = 0, one of the XOR pair alone the
    horizontal x_1 = 0; the shaded bands |x| < 0.1 are the margins where no data lie."""
    rec = _sgd(runs, "linxor")
    a = rec.arrays
    seed0 = {}
    for name, idx in (("clean baseline", V.baseline_runs(rec)),
                      (f"pre-trained η = {SHOWN_ETA:g}", V.runs(rec, "keep", SHOWN_ETA)),
                      ("input noise, feature-preserving", V.runs(rec, "input-noise", 0.0))):
        if idx.size:
            seed0[name] = int(idx[np.argmin(a["phase2/seed"][idx])])
    d = rec.config["data"]["d"]
    g = torch.linspace(-1, 1, BOUNDARY_GRID, dtype=torch.float64)
    gx, gy = torch.meshgrid(g, g, indexing="xy")
    cols = len(seed0)
    p = _params_of(rec, list(seed0.values()))
    conflict = {}
    for name, j in seed0.items():
        conflict[name] = float(a["vashisht/conflict_follow"][j, -1])
    caption = (
        quick_mark(runs.quick) + "Card analogue F-A4 (no paper figure is known). "
        f"{V.setting(rec)}; seed 0. Blue: f > 0 (label +1), red: f < 0. Measured share of "
        "conflict inputs (x_0 → −x_0) classified by the XOR pair, this seed: " + ", ".join(
            f"{k} {v:.3f}" for k, v in conflict.items()) + "."
    )
    fig, top = captioned_figure(3.0 * cols + 0.6, 5.6, caption)
    axes = np.atleast_2d(top.subplots(2, cols, sharex=True, sharey=True))
    for row, x2 in enumerate(BOUNDARY_X2):
        x = torch.zeros(1, BOUNDARY_GRID**2, d, dtype=torch.float64)
        x[0, :, 0] = gx.reshape(-1)
        x[0, :, 1] = gy.reshape(-1)
        x[0, :, 2] = x2
        f = net.forward(p, x.expand(cols, -1, -1).contiguous())[..., 0]
        for col, name in enumerate(seed0):
            ax = axes[row, col]
            z = f[col].reshape(BOUNDARY_GRID, BOUNDARY_GRID).numpy()
            ax.contourf(gx.numpy(), gy.numpy(), z, levels=[-1e9, 0.0, 1e9],
                        colors=["#f6d5d5", "#d6e4f3"])
            ax.contour(gx.numpy(), gy.numpy(), z, levels=[0.0], colors="k", linewidths=1.2)
            for band in (ax.axvspan, ax.axhspan):
                band(-0.1, 0.1, color="0.85", alpha=0.5, lw=0)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7.5)
            if row == 0:
                ax.set_title(name, fontsize=8.5)
            if row == 1:
                ax.set_xlabel("x_0 (linear: label sgn x_0)", fontsize=8)
            if col == 0:
                sign = "+" if x2 > 0 else "−"
                ax.set_ylabel(f"x_1 (x_2 = {x2:+g}: XOR label {sign}sgn x_1)", fontsize=8)
    return [save_png(fig, out_dir / "vashisht2024-boundary.png")]
