"""Figures: one module per paper, one declarative :class:`FigureSpec` per figure.

A figure function ``make(out_dir, runs) -> list[Path]`` reads the Records of the experiments it
shows from ``runs`` (a :class:`twolayer.experiments.Runs`: the same runs the claims read, from
the record store when they are there; it never trains by itself), writes PNGs into ``out_dir``
and returns their paths. (The older form ``make(out_dir, quick, runtime)`` still works while
the paper modules move over.) The spec says which paper figure it regenerates, which
claims it illustrates, and every parameter that differs from the paper; ``twolayer figures``
writes that into ``figures/README.md``.

Register with :func:`figure` (:mod:`twolayer.plots.base`); paper modules are imported at the end
of this file.
"""

from .base import FIGURES, FigureSpec, MakeFn, figure

__all__ = ["FIGURES", "FigureSpec", "MakeFn", "figure"]

# Paper modules register their figures on import (one line per paper).
from . import (  # noqa: E402,F401  # plugin loading
    badger2022,
    frei2023,
    liu2023,
    maennel2020,
    phase,
    vashisht2024,
)
