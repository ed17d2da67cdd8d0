"""Figures F1–F3 of the card, from the experiments' Records (no training here). Each PNG carries
a caption with what was measured and how the setting differs from the paper. Every experiment
they read is online SGD on one CPU thread (``train.small_steps``), so each figure declares them
``parallel``: `twolayer figures` trains the missing ones at once, one worker process each."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from twolayer.api import figure  # noqa: E402

TORCH_INIT = "PyTorch's default uniform init (the paper: Xavier uniform)"
SMOKE = "smoke tier: small n and few seeds under --quick"
COMMON = (TORCH_INIT, SMOKE)  # F1 and F3: their experiments keep PyTorch's default init
INIT_NAMES = {"xavier": "Xavier uniform (the paper's default; biases from 0)",
              "torch": "PyTorch's default uniform", "sign": "sign"}


def _inits(recs: dict) -> set[str]:
    """The init(s) the records were trained with, as read from their configs."""
    return {rec.config["net"]["init"] for rec in recs.values()}


def _init_text(inits: set[str]) -> str:
    return " and ".join(INIT_NAMES.get(x, x) for x in sorted(inits))


def _save(fig, out_dir, name: str, caption: str) -> list[Path]:
    lines = textwrap.wrap(caption, int(fig.get_figwidth() * 19))
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=6.5, va="bottom")
    path = Path(out_dir) / f"{name}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [path]


def _nk(key: str) -> tuple[int, int]:
    n, k = key.split(",")[:2]
    return int(n.split("=")[1]), int(k.split("=")[1])


@figure("barak2022-f1-curves", "barak2022", "Validation error vs step: plateau, then a drop",
        "Fig. 1-left, Fig. 6 row 1", claims=("barak2022.fig1.plateau_drop",),
        differences=COMMON + ("(n, k) = (20, 3) only under --quick",),
        parallel=("barak2022.curves",))
def f1_curves(out_dir, runs):
    """Validation error (2^13 fresh points) against the SGD step, per seed (thin) and the
    median over seeds (thick), for each (n, k) of the curves experiment; width-100 ReLU, hinge,
    B = 32, eta = 0.1, biases and second layer trained."""
    recs = runs.get("barak2022.curves")
    fig, ax = plt.subplots(figsize=(6, 4.2))
    fig.subplots_adjust(bottom=0.27)
    for i, key in enumerate(sorted(recs, key=_nk)):
        rec = recs[key]
        T, err = rec.times[1:], rec["barak_parity/val_error"][:, 1:]
        col = f"C{i}"
        for r in range(err.shape[0]):
            ax.plot(T, err[r], color=col, lw=0.4, alpha=0.4)
        n, k = _nk(key)
        ax.plot(T, np.median(err, 0), color=col, lw=2, label=f"(n,k)=({n},{k}), R={rec.seeds}")
    ax.set_xscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("validation error")
    ax.legend(fontsize=7)
    rec = next(iter(recs.values()))
    tc = rec["static/t_c"]
    cap = (f"F1. Validation error vs step, {len(recs)} setting(s); median t_c of the first = "
           f"{np.median(tc[tc > 0]) if (tc > 0).any() else float('nan'):.0f} (eval every "
           f"{rec.config['train']['every']} steps). Differs from the paper: "
           + "; ".join(COMMON) + ".")
    return _save(fig, out_dir, "barak2022-f1-curves", cap)


@figure("barak2022-f2-tc-vs-n", "barak2022", "Median t_c against n, one curve per k",
        "Fig. 1-right, Fig. 10, Fig. 2-right",
        claims=("barak2022.ef1.solves", "barak2022.ef1.k_adaptive",
                "barak2022.fig2.exponent_degrades"),
        differences=(SMOKE, "grid n in {10, 20}, k in {2, 3} under --quick",
                     "one eta = 0.1 for every n and k (the paper tunes eta)",
                     "init: the grid's curves (solid) use the paper's default, Xavier uniform "
                     "(biases from 0: our [PROPOSAL]); the wide-n k = 3 curve (dashed) uses "
                     "PyTorch's default uniform init (the paper: Xavier uniform)"),
        parallel=("barak2022.grid", "barak2022.scaling"))
def f2_tc(out_dir, runs):
    """Median over seeds of t_c (first probe step with zero validation error) against n,
    log-log, one curve per k of the grid (solid) and the wider-n k = 3 experiment (dashed), with
    the order-statistic 95% interval of each median (stats.median_ci). Unsolved seeds are
    right-censored at the budget, never dropped: a median that falls on them is not drawn. The
    legend gives each curve's log-log slope with its 95% bootstrap interval (the seeds of each n
    resampled independently; claims.slope_ci). The grid is trained with the paper's default
    init (Xavier uniform), the wide-n runs with PyTorch's default: the caption reads both from
    the records."""
    from .claims import _decode, censored, quantile_censored, slope_ci, slopes_by_k

    fig, ax = plt.subplots(figsize=(6, 4.4))
    fig.subplots_adjust(bottom=0.3)
    notes, inits = [], {}
    for name, ls, tag in (("barak2022.grid", "-", ""), ("barak2022.scaling", "--", " (wide n)")):
        recs = runs.get(name)
        inits[name] = _inits(recs)
        for k, (ns, arrs, budget) in sorted(slopes_by_k(recs).items()):
            med = [quantile_censored(_decode(a, budget), 0.5) for a in arrs]
            cis = [stats_median_ci(a, budget) for a in arrs]
            s, ci = slope_ci(ns, arrs, budget)
            ok = np.isfinite(med)
            col = f"C{k - 2}" if name == "barak2022.grid" else "C7"
            lo = np.nan_to_num(np.array([m - c[0] for m, c in zip(med, cis)]))
            hi = np.nan_to_num(np.array([c[1] - m for m, c in zip(med, cis)]))
            ax.errorbar(np.array(ns)[ok], np.array(med)[ok], yerr=[lo[ok], hi[ok]], fmt="o" + ls,
                        color=col, capsize=2,
                        label=f"k={k}{tag}: slope {s:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]")
            for n in ns:
                tc, nc, _ = censored(recs[f"n={n},k={k}"])
                notes.append(f"({n},{k}){tag.strip()} {tc.size - nc}/{tc.size}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("median t_c (steps)")
    ax.legend(fontsize=7)
    cap = ("F2. Median t_c vs n with 95% order-statistic intervals; legend: log-log slope with "
           "95% bootstrap interval (seeds of each n resampled; unsolved seeds censored at the "
           "budget, a median on them not drawn). Seeds solved: " + ", ".join(notes)
           + f". Init: grid (solid) {_init_text(inits['barak2022.grid'])}; wide n (dashed) "
           f"{_init_text(inits['barak2022.scaling'])}. Differs from the paper: {SMOKE}; one "
           "eta = 0.1" + "".join(f"; the {tag}: not the paper's Xavier uniform init"
                                 for name, tag in (("barak2022.grid", "grid"),
                                                   ("barak2022.scaling", "wide-n runs"))
                                 if inits[name] != {"xavier"}) + ".")
    return _save(fig, out_dir, "barak2022-f2-tc-vs-n", cap)


def stats_median_ci(coded: np.ndarray, budget: float) -> tuple[float, float]:
    """The order-statistic 95% interval of a median of censored-coded t_c; an end on a censored
    seed is drawn at the budget."""
    from twolayer.api import stats

    _, (lo, hi) = stats.median_ci(coded)
    return (min(lo, budget), min(hi, budget)) if np.isfinite(lo) else (np.nan, np.nan)


@figure("barak2022-f3-hidden", "barak2022", "Hidden progress: weights and rho_t vs step",
        "Fig. 3, Fig. 13", claims=("barak2022.hp.relevant_first",),
        differences=COMMON + ("a width-10 ReLU MLP at B = 32 (paper Fig. 3: one sinusoidal "
                              "neuron; Fig. 13: width 10 at B in {1, 4})",),
        parallel=("barak2022.hidden",))
def f3_hidden(out_dir, runs):
    """Top: validation error and the relevant/irrelevant movement ratio vs step, true labels
    and the random-label control (seed 0). Bottom: first-layer weights W_t[j, i] of seed 0
    (coordinates in S coloured, the others grey) with rho_t = max|W_t - W_0| dashed; left true
    labels, right the random-label control from the same init."""
    r = runs.get("barak2022.hidden")
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex="col")
    fig.subplots_adjust(bottom=0.18, hspace=0.15)
    for col, key in enumerate(("true", "control")):
        rec = r[key]
        T = rec.times
        ax = axes[0, col]
        ax.plot(T, rec["barak_parity/val_error"][0], label="val error")
        ax.plot(T, rec["barak_parity/move_ratio"][0] / 10, label="movement ratio / 10")
        ax.set_title(f"{key} labels", fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[1, col]
        W, S = rec["barak_weights/W"][0], rec["static/support"][0]  # [T, m, n], [n]
        for i in np.flatnonzero(~S):
            ax.plot(T, W[:, :, i], color="0.75", lw=0.3)
        for c, i in enumerate(np.flatnonzero(S)):
            ax.plot(T, W[:, :, i], color=f"C{c}", lw=0.8)
        ax.plot(T, rec["barak_parity/rho"][0], "k--", lw=1.2, label="rho_t")
        ax.set_xlabel("step t")
        ax.legend(fontsize=7)
    axes[1, 0].set_ylabel("W_t[j, i]")
    tc = r["true"]["static/t_c"]
    if tc[0] > 0:  # seed 0's plateau and drop, not the slowest seed's horizon
        for ax in axes[:, 0]:
            ax.set_xlim(0, min(float(r["true"].times[-1]), 3.0 * tc[0]))
    cfg = r["true"].config
    cap = (f"F3. (n,k)=({cfg['data']['d']},3), width {cfg['net']['m']}, B=32, eta=0.1; t_c of "
           f"seed 0 = {tc[0]}. Differs from the paper: " + "; ".join(COMMON) + ".")
    return _save(fig, out_dir, "barak2022-f3-hidden", cap)
