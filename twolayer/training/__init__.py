"""The training layer: one loop for every way of training R two-layer networks at once.

- :mod:`.driver`: what every training call shares: setup on the device, the probe schedule,
  the progress bar, divergence checks and the :class:`TrainResult`; it advances a stepper from
  probe time to probe time and runs the probes there.
- :mod:`.gd`: the exact stepper, θ ← θ − α ∇L̂(θ) (full-batch GD or minibatch SGD).
- :mod:`.adam`: an optional stepper, Adam on the same gradients (``train(..., stepper=adam())``).
- :mod:`.flow`: the adaptive Bogacki–Shampine 3(2) integrator of dθ/dt = −α ∇L̂(θ).
- :mod:`.api`: :func:`train` (``integrator`` gd, flow, or auto = GD up to ``switch`` then the
  flow, composed by one driver), :func:`train_flow` and :func:`measure`.
"""

from .adam import AdamStepper, adam
from .api import measure, train, train_flow, train_integrator
from .driver import Driver, Runtime, TrainResult, probe_times, resolve_device
from .flow import H_MIN
from .gd import MinibatchObjective, WeightsFn

__all__ = ["AdamStepper", "Driver", "H_MIN", "MinibatchObjective", "Runtime", "TrainResult",
           "WeightsFn", "adam", "measure", "probe_times", "resolve_device", "train",
           "train_flow", "train_integrator"]
