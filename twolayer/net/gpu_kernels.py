"""The GPU kernel's fused elementwise pass (optional, Triton): relu, readout and mask in one pass.

Between the two GEMMs of a one-output step, the eager path makes three passes over a block's
pre-activations H [r, c, m] on the GPU: relu (read and write H), the readout f_i = Σ_j a_j φ(h_ij)
(a batched matrix–vector product: read H) and the mask M = 1[H > 0] (read and write H): five
trips of H through memory. On the H200 (2026-12-04, R = 1024, n = 1000, m = 400, d = 50) they
took 2.15 ms of the 5.55 ms step, next to 3.12 ms for the two GEMMs (docs/benchmarks.md, "GPU").
:func:`relu_readout_mask` does them in one pass, in place, like the CPU's C pass
(:mod:`twolayer.net.cpu_kernels`): H is read once and written once (as M), and f is written.
The readout's sum is taken tile by tile in the dtype of H, in another order than cuBLAS's, so
the outputs agree with the eager path to float rounding, not bit for bit. φ(NaN) is NaN, as
``relu_`` gives it (a diverging run stays visible in f and the loss).

It runs where ``triton`` imports and ``Tuning(fused_gpu=True)``: **off by default**, until a
session with a GPU has measured it against the eager path (``benchmarks/gpu_check.sh``). With
``TRITON_INTERPRET=1`` Triton runs the same kernel on CPU tensors through its interpreter, and
the kernel takes the fused path on the CPU too: that is how the tests check it without a GPU.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import torch

BLOCK_C = 32  # rows (samples) per program
BLOCK_M = 64  # columns (neurons) per tile of a row block


def interpreted() -> bool:
    """Whether Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "") == "1"


@lru_cache(maxsize=1)
def _load() -> tuple[Any, str]:
    """(the jitted kernel or None, why not)."""
    try:
        import triton
        import triton.language as tl
    except Exception as e:  # noqa: BLE001 - any failure to import means: not available
        return None, f"triton is not importable ({type(e).__name__}: {e})"

    @triton.jit
    def kernel(h_ptr, a_ptr, f_ptr, C, s_hr, s_hc, s_ar, s_fr, s_fc, M: tl.constexpr,
               BLOCK_C: tl.constexpr, BLOCK_M: tl.constexpr):
        r = tl.program_id(0)
        rows = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
        in_rows = rows < C
        acc = tl.zeros([BLOCK_C], dtype=h_ptr.dtype.element_ty)
        for j0 in range(0, M, BLOCK_M):
            cols = j0 + tl.arange(0, BLOCK_M)
            in_cols = cols < M
            ptrs = h_ptr + r * s_hr + rows[:, None] * s_hc + cols[None, :]
            inside = in_rows[:, None] & in_cols[None, :]
            h = tl.load(ptrs, mask=inside, other=0.0)
            a = tl.load(a_ptr + r * s_ar + cols, mask=in_cols, other=0.0)
            relu = tl.maximum(h, 0.0, propagate_nan=tl.PropagateNan.ALL)
            acc += tl.sum(relu * a[None, :], axis=1)
            tl.store(ptrs, tl.where(h > 0, 1.0, 0.0).to(h.dtype), mask=inside)
        tl.store(f_ptr + r * s_fr + rows * s_fc, acc, mask=in_rows)

    return kernel, f"triton {triton.__version__}"


def available() -> bool:
    """Whether the fused pass can run here (``triton`` imports)."""
    return _load()[0] is not None


def enabled() -> bool:
    """Whether the pass is switched on (``Tuning.fused_gpu``) and can run (``triton``
    imports): what a record and the record store's key say."""
    from .plan import tuning

    return tuning().fused_gpu and available()


def status() -> str:
    """"triton X.Y" when the fused pass can run, else why not (for records and reports)."""
    return _load()[1]


def usable(h: torch.Tensor) -> bool:
    """Whether :func:`relu_readout_mask` takes this block: a GPU tensor (or any tensor under
    the interpreter), float32 or float64, contiguous along m, and Triton importable."""
    return ((h.device.type == "cuda" or interpreted()) and h.stride(-1) == 1
            and h.dtype in (torch.float32, torch.float64) and available())


def relu_readout_mask(h: torch.Tensor, a: torch.Tensor, f: torch.Tensor) -> None:
    """In place, for a block of r runs and c samples: f[i, k] = Σ_j a[i, j] max(h[i, k, j], 0)
    (h [r, c, m], a [r, m], f [r, c]: views with any strides, h contiguous along m), then
    h ← 1[h > 0] as 0/1 of h's dtype."""
    kernel = _load()[0]
    if kernel is None:
        raise RuntimeError("the fused GPU pass needs triton: " + status())
    r, c, m = h.shape
    if a.shape != (r, m) or f.shape != (r, c) or h.stride(-1) != 1:
        raise ValueError(f"shapes h {tuple(h.shape)} (contiguous along m), a {tuple(a.shape)}, "
                         f"f {tuple(f.shape)} do not fit [r, c, m], [r, m], [r, c]")
    if a.stride(-1) != 1:
        a = a.contiguous()
    grid = (r, (c + BLOCK_C - 1) // BLOCK_C)
    kernel[grid](h, a, f, c, h.stride(0), h.stride(1), a.stride(0), f.stride(0), f.stride(1),
                 M=m, BLOCK_C=BLOCK_C, BLOCK_M=BLOCK_M)  # m constant: one compile per width
