"""The training entry points under their historical names (the code is :mod:`twolayer.training`).

``engine.train`` trains R networks at once by full-batch GD, minibatch SGD, the gradient flow
or GD then the flow (``TrainConfig.integrator``), probing them at given times;
``engine.measure`` runs probes once without training.
"""

from __future__ import annotations

from .training import (
    MinibatchObjective,
    Runtime,
    TrainResult,
    WeightsFn,
    measure,
    probe_times,
    resolve_device,
    train,
)
from .training.gd import DIVERGENCE_CHECK_EVERY

__all__ = ["DIVERGENCE_CHECK_EVERY", "MinibatchObjective", "Runtime", "TrainResult", "WeightsFn",
           "measure", "probe_times", "resolve_device", "train"]
