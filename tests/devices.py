"""The devices the tests run on: the CPU always, CUDA where this machine has a GPU.

- ``device`` (a fixture, in conftest.py): parametrised over ``cpu`` and ``cuda``; the ``cuda``
  case is marked ``cuda`` and skipped without a GPU. A CUDA result is compared with the CPU
  result (the oracle) within :func:`tolerance` of the dtype.
- Every other test runs as on a CPU-only machine, also on a machine with a GPU: conftest.py makes
  ``torch.cuda.is_available()`` False for it (so ``--device auto`` means the CPU) and hides the
  GPUs from the subprocesses it starts. A test that needs "no GPU" says so with
  :data:`needs_no_gpu` where faking it would not do.
"""

from __future__ import annotations

import pytest
import torch

HAS_CUDA = torch.cuda.is_available()  # the real answer, read before any test patches it

CUDA = pytest.param("cuda", marks=[pytest.mark.cuda,
                                   pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU here")],
                    id="cuda")
DEVICES = ["cpu", CUDA]

needs_no_gpu = pytest.mark.skipif(HAS_CUDA, reason="assumes a machine without a CUDA GPU")


def tolerance(dtype: torch.dtype) -> dict[str, float]:
    """rtol/atol for a GPU result against the CPU one: GEMMs sum in another order (and, in
    float32, over longer sequences of rounding), never with TF32 (off by default)."""
    if dtype == torch.float64:
        return {"rtol": 1e-9, "atol": 1e-11}
    return {"rtol": 2e-4, "atol": 2e-5}
