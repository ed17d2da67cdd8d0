"""Shared figure helpers: a captioned figure, a common palette, atomic PNG writes.

Figures are built with matplotlib's object-oriented API (:class:`matplotlib.figure.Figure`, no
pyplot state, no GUI backend), so figure functions can run in any process and in tests.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from matplotlib.figure import Figure, SubFigure

from ..record import write_file_atomic

DPI = 110
FONT_SIZE = 9
CAPTION_CHARS_PER_INCH = 15.5  # wrap width of the caption at FONT_SIZE − 0.5

# Colours: positive / negative class and neurons, train / test curves.
POS = "#1f77b4"
NEG = "#d62728"
TRAIN = "#1f77b4"
TEST = "#ff7f0e"
BOUND = "#333333"
THEORY_T = "#2ca02c"


QUICK_MARK = "[--quick smoke-test settings] "


def quick_mark(quick: bool) -> str:
    """The start of a caption drawn from ``--quick`` runs (tiny smoke-test settings):
    :data:`QUICK_MARK`, so that the PNG itself says its numbers are not the figure's setting;
    empty for a full run."""
    return QUICK_MARK if quick else ""


def captioned_figure(
    width: float, plot_height: float, caption: str
) -> tuple[Figure, SubFigure]:
    """A figure of ``width`` inches with a plot area of ``plot_height`` inches and the wrapped
    ``caption`` below it. Returns (figure, plot subfigure); lay axes out in the subfigure."""
    wrap = max(40, int(width * CAPTION_CHARS_PER_INCH))
    lines: list[str] = []
    for para in caption.strip().split("\n"):
        lines += textwrap.wrap(para, wrap) or [""]
    cap_height = 0.2 + 0.155 * len(lines)
    fig = Figure(figsize=(width, plot_height + cap_height), layout="constrained")
    fig.set_layout_engine("constrained", h_pad=0.04, w_pad=0.04)
    top, bottom = fig.subfigures(2, 1, height_ratios=[plot_height, cap_height])
    bottom.text(
        0.01, 0.98, "\n".join(lines), ha="left", va="top", fontsize=FONT_SIZE - 0.5,
        family="DejaVu Sans",
    )
    return fig, top


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (temporary file in the same directory, then
    ``os.replace``), so a reader never sees a half-written figure."""
    return write_file_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi),
                             binary=True)


def mark_theory_time(ax, T: float, label: bool = True) -> None:  # type: ignore[no-untyped-def]
    """A vertical dotted line at Frei's stopping time T = 1 + 1/(4α)."""
    text = f"T = 1 + 1/(4α) = {T:g}" if label else None
    ax.axvline(T, color=THEORY_T, ls=":", lw=1.2, label=text)
