"""Lazy training as a twolayer plugin: under the NTK-like scaling (W_0 ~ N(0, 1/d) entrywise,
readout fixed at +-1/sqrt(m)) the relative first-layer movement ||W_T - W_0||_F / ||W_0||_F
after T steps of full-batch GD shrinks like m^(-1/2); under the default small init it does not.

Written from the docs alone (README.md, docs/extending.md, docs/api.md) as a test of the promise
that a user can check a theorem of their own without forking: `twolayer check
examples/lazy_training --quick`, `twolayer conditions --plugin examples/lazy_training --paper
lazy ...`, `twolayer check examples/lazy_training --record DIR`, `twolayer figures
examples/lazy_training --out DIR`. Built only on `twolayer.api`."""
from . import claims, conditions, experiments, figures, probes, record  # noqa: F401
