"""Figures F1–F3 of the card, from the experiments' Records (no training here). Each PNG carries
a caption with what was measured and how the setting differs from the paper."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from twolayer.api import figure  # noqa: E402

COMMON = ("PyTorch's default uniform init (the paper: Xavier uniform)",
          "smoke tier: small n and few seeds under --quick")


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
        differences=COMMON + ("(n, k) = (20, 3) only under --quick",))
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
        "Fig. 1-right, Fig. 10", claims=("barak2022.ef1.solves",),
        differences=COMMON + ("grid n in {10, 20}, k in {2, 3} under --quick",))
def f2_tc(out_dir, runs):
    """Median over seeds of t_c (first probe step with zero validation error; unsolved seeds
    excluded and counted) against n, log-log, one curve per k, with the least-squares log-log
    slope per k in the legend."""
    recs = runs.get("barak2022.grid")
    fig, ax = plt.subplots(figsize=(6, 4.2))
    fig.subplots_adjust(bottom=0.27)
    by_k: dict[int, list[tuple[int, float, int, int]]] = {}
    for key, rec in recs.items():
        n, k = _nk(key)
        tc = rec["static/t_c"]
        med = float(np.median(tc[tc > 0])) if (tc > 0).any() else float("nan")
        by_k.setdefault(k, []).append((n, med, int((tc > 0).sum()), tc.size))
    for k, pts in sorted(by_k.items()):
        pts.sort()
        ns, med = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
        ok = np.isfinite(med) & (med > 0)
        slope = (np.polyfit(np.log(ns[ok]), np.log(med[ok]), 1)[0] if ok.sum() >= 2
                 else float("nan"))
        ax.plot(ns, med, "o-", label=f"k={k}: slope {slope:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("median t_c")
    ax.legend(fontsize=7)
    solved = "; ".join(f"k={k}: " + ", ".join(f"n={p[0]} {p[2]}/{p[3]}" for p in sorted(v))
                       for k, v in sorted(by_k.items()))
    cap = ("F2. Median t_c vs n (seeds solved: " + solved + "). Slopes are point fits over few n "
           "(no interval here). Differs from the paper: " + "; ".join(COMMON) + ".")
    return _save(fig, out_dir, "barak2022-f2-tc-vs-n", cap)


@figure("barak2022-f3-hidden", "barak2022", "Hidden progress: weights and rho_t vs step",
        "Fig. 3, Fig. 13", claims=("barak2022.hp.relevant_first",),
        differences=COMMON + ("a width-10 ReLU MLP at B = 32 (paper Fig. 3: one sinusoidal "
                              "neuron; Fig. 13: width 10 at B in {1, 4})",))
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
