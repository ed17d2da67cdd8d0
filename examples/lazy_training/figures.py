"""The figure: relative movement against width, both inits."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from twolayer.api import figure  # noqa: E402

from .claims import widths_and_moves  # noqa: E402


@figure("lazy-movement", "lazy", "Relative first-layer movement against width",
        "our own figure", claims=("lazy.ntk.movement_rate",
                                  "lazy.small_init.movement_rate"))
def draw(out_dir, runs):
    """||W_T - W_0||_F / ||W_0||_F (mean over seeds, bars: min-max) against m, log-log, for the
    NTK init and the small init, with an m^(-1/2) reference line."""
    fig, ax = plt.subplots(figsize=(4, 3))
    for name, label in (("lazy.ntk", "NTK init 1/d"),
                        ("lazy.small_init", "small init 0.01/(md)")):
        ms, moves = widths_and_moves(runs.get(name))
        mean = moves.mean(1)
        ax.errorbar(ms, mean, yerr=[mean - moves.min(1), moves.max(1) - mean], marker="o",
                    label=label)
        if name == "lazy.ntk":
            ax.plot(ms, mean[0] * (ms / ms[0]) ** -0.5, "k--", lw=1, label="m^(-1/2)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m")
    ax.set_ylabel("||W_T - W_0|| / ||W_0||")
    ax.legend(fontsize=7)
    path = Path(out_dir) / "lazy-movement.png"
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return [path]
