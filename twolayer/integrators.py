"""The gradient-flow integrator under its historical names (the code is
:mod:`twolayer.training.flow`; ``integrators.train`` is the flow / auto part of
:func:`twolayer.training.train`). See docs/integrators.md."""

from __future__ import annotations

from .training.api import train_flow
from .training.api import train_integrator as train
from .training.flow import (
    BS3_A,
    BS3_B,
    BS3_C,
    BS3_E,
    BS3_ORDER,
    FAC_MAX,
    FAC_MIN,
    H_MIN,
    SAFETY,
)

__all__ = ["BS3_A", "BS3_B", "BS3_C", "BS3_E", "BS3_ORDER", "FAC_MAX", "FAC_MIN", "H_MIN",
           "SAFETY", "train", "train_flow"]
