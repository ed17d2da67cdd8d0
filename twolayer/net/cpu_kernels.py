"""The CPU kernel's fused elementwise passes (the optional C extension ``_cpu_kernels``).

In one block of the one-output kernel (:class:`twolayer.net.Workspace`) the elementwise work
between the two GEMMs is, in eager PyTorch, three passes over the block's pre-activations
H [r, c, m]: relu, the readout f_i = Σ_j a_j φ(h_ij) (one ``mv`` per run) and the mask
M = 1[H > 0]. :func:`relu_readout_mask` does them in one pass, in place (or, for the forward
pass :func:`twolayer.net.forward`, the readout alone); :func:`scaled_rows` builds the backward
GEMM's right-hand side [c_i x_i, c_i]; on a CPU with AVX-512 and for d ≤
:data:`FORWARD_MAX_D`, :func:`forward_relu_mask` also does the forward GEMM H = X Wᵀ in the same
pass, tile by tile in registers, so that H is never written (only the mask); :func:`descend_rows`
takes the gradient step from the backward GEMM's output G = [c x, c]ᵀ M (W ← W + (−α Gᵀ) ⊙ a,
read in tiles that it transposes in registers: PyTorch's ``addcmul_`` reads the transposed G
element by element and takes several times as long). The readout's sum is taken in one fixed
order (16 partial sums of fused multiply-adds, a fixed tree, then the tail) on every machine; it
differs from ``mv``'s order, so the outputs agree with the PyTorch path to float rounding, not
bit for bit.

The fused path runs where the extension was built (a C compiler at install time) and the CPU
has AVX2 and FMA; elsewhere the kernel takes its PyTorch path. :func:`status` says which, and
every record's environment stores it (``cpu_kernels``). ``Tuning(fused_cpu=False)`` switches
the fused path off.
"""

from __future__ import annotations

import hashlib
import importlib
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import torch

SOURCE = Path(__file__).with_name("_cpu_kernels.c")


@lru_cache(maxsize=1)
def _load() -> tuple[ModuleType | None, str]:
    """(the extension module or None, why not)."""
    try:
        ext = importlib.import_module(f"{__package__}._cpu_kernels")
    except ImportError as e:
        return None, f"not built ({e})"
    if SOURCE.exists():  # a source tree (editable install): the library must be built from it
        digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
        if getattr(ext, "SOURCE_DIGEST", None) != digest:
            return None, (f"stale: built from another {SOURCE.name} (run `make setup` or "
                          "`pip install -e .` again)")
    return ext, ""


def module() -> ModuleType | None:
    """The extension when it is built from this source and the CPU has AVX2 and FMA (the fused
    path is slower than PyTorch's without vector instructions); None otherwise."""
    ext, _ = _load()
    return ext if ext is not None and ext.vector_path() == "avx2+fma" else None


# the largest input dimension d for which forward_relu_mask replaces the library's GEMM: its
# chains over k run in registers, and a d x 32 panel of Wᵀ must stay near L1 (measured on an
# AVX-512 Xeon, one thread, H = X Wᵀ with the readout pass against the GEMM and
# relu_readout_mask: 1.76x as fast at d = 2, 1.13x at d = 20 and 50, 1.05x at d = 96, 1.00x at
# d = 128, 0.93x at d = 128 with m = 1024, 0.56x at d = 784)
FORWARD_MAX_D = 96


def fused_forward(d: int | None = None) -> bool:
    """Whether the step takes :func:`forward_relu_mask` (the forward GEMM with the relu, readout
    and mask pass) in place of the library's GEMM and :func:`relu_readout_mask`: where the CPU
    has AVX-512 (its portable path is far slower than a GEMM) and, given ``d``, for
    d ≤ :data:`FORWARD_MAX_D`."""
    ext = module()
    return (ext is not None and ext.forward_path() == "avx512"
            and (d is None or d <= FORWARD_MAX_D))


def status() -> str:
    """What the CPU kernel uses, for records and ``--version``-like reports: ``fused (avx2+fma)``,
    ``fused (avx2+fma, avx512 forward for d <= 96)`` (with :func:`fused_forward`) or
    ``torch (<why>)``."""
    ext, why = _load()
    if ext is None:
        return f"torch (extension {why})"
    path = ext.vector_path()
    if path != "avx2+fma":
        return "torch (no AVX2 and FMA on this CPU)"
    return (f"fused (avx2+fma, avx512 forward for d <= {FORWARD_MAX_D})" if fused_forward()
            else "fused (avx2+fma)")


def _check(name: str, t: torch.Tensor, shape: tuple[int, ...], inner: tuple[int, ...]) -> None:
    """t must be a float32 CPU tensor of ``shape`` whose strides end in ``inner`` (checked
    before the raw pointers go to C)."""
    if t.dtype != torch.float32 or t.device.type != "cpu":
        raise ValueError(f"{name}: needs a float32 CPU tensor, got {t.dtype} on {t.device}")
    if tuple(t.shape) != shape:
        raise ValueError(f"{name}: shape {tuple(t.shape)}, expected {shape}")
    if inner and tuple(t.stride()[-len(inner):]) != inner:
        raise ValueError(f"{name}: strides {t.stride()} do not end in {inner}")


def relu_readout_mask_args(h: torch.Tensor, a: torch.Tensor, f: torch.Tensor,
                           mask: bool = True) -> tuple:
    """The checked argument tuple of :func:`relu_readout_mask` for h [r, c, m] (rows of m
    contiguous, each run's rows back to back), a [r, m] (unit stride) and f [r, c]; build it
    once and call ``module().relu_readout_mask(*args)`` as often as the tensors live.
    ``mask=False``: the readout only, h left as it is."""
    r, c, m = h.shape
    _check("h", h, (r, c, m), (m, 1))
    _check("a", a, (r, m), (1,))
    _check("f", f, (r, c), ())
    return (h.data_ptr(), a.data_ptr(), f.data_ptr(), r, c, m, h.stride(0), a.stride(0),
            f.stride(0), f.stride(1), int(mask))


def scaled_rows_args(rhs: torch.Tensor, x: torch.Tensor, c: torch.Tensor, bias: bool) -> tuple:
    """The checked argument tuple of :func:`scaled_rows` for rhs [r, n, d + bias] (rows
    contiguous and back to back), x [r, n, d] (unit stride in d) and c [r, n] (unit stride)."""
    r, n, d = x.shape
    w = d + int(bias)
    _check("rhs", rhs, (r, n, w), (w, 1))
    _check("x", x, (r, n, d), (1,))
    _check("c", c, (r, n), (1,))
    return (rhs.data_ptr(), x.data_ptr(), c.data_ptr(), r, n, d, int(bias), rhs.stride(0),
            x.stride(0), x.stride(1), c.stride(0))


def forward_relu_mask_args(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None,
                           a: torch.Tensor, h: torch.Tensor, f: torch.Tensor,
                           scratch: torch.Tensor, mask: bool = True) -> tuple:
    """The checked argument tuple of :func:`forward_relu_mask` for x [r, c, d] (unit stride in
    d), W [r, m, d] (each run contiguous), b [r, m] or None, a [r, m] (unit strides), h [r, c, m]
    (rows of m contiguous, each run's rows back to back), f [r, c] and a float32 scratch buffer
    of at least d·m elements (W packed as Wᵀ, one run at a time)."""
    r, c, d = x.shape
    m = W.shape[1]
    _check("x", x, (r, c, d), (1,))
    _check("W", W, (r, m, d), (d, 1))
    _check("a", a, (r, m), (1,))
    _check("h", h, (r, c, m), (m, 1))
    _check("f", f, (r, c), ())
    if b is not None:
        _check("b", b, (r, m), (1,))
    if (scratch.dtype != torch.float32 or scratch.device.type != "cpu"
            or not scratch.is_contiguous() or scratch.numel() < d * m):
        raise ValueError(f"scratch: needs {d * m} contiguous float32 elements on the CPU")
    return (x.data_ptr(), W.data_ptr(), 0 if b is None else b.data_ptr(), a.data_ptr(),
            h.data_ptr(), f.data_ptr(), scratch.data_ptr(), r, c, m, d, x.stride(0), x.stride(1),
            W.stride(0), 0 if b is None else b.stride(0), a.stride(0), h.stride(0), f.stride(0),
            f.stride(1), int(mask))


def descend_rows_args(W: torch.Tensor, b: torch.Tensor | None, G: torch.Tensor,
                      a: torch.Tensor) -> tuple:
    """The checked argument tuple (without the learning rate, which comes last at each call) of
    :func:`descend_rows` for W [r, m, d] and G [r, d + bias, m] (each run contiguous), b [r, m]
    or None and a [r, m] (unit strides)."""
    r, m, d = W.shape
    w = d + int(b is not None)
    _check("W", W, (r, m, d), (d, 1))
    _check("G", G, (r, w, m), (m, 1))
    _check("a", a, (r, m), (1,))
    if b is not None:
        _check("b", b, (r, m), (1,))
    return (W.data_ptr(), 0 if b is None else b.data_ptr(), G.data_ptr(), a.data_ptr(), r, m, d,
            W.stride(0), 0 if b is None else b.stride(0), G.stride(0), a.stride(0))


def relu_readout_mask(h: torch.Tensor, a: torch.Tensor, f: torch.Tensor,
                      mask: bool = True) -> None:
    """f[r, i] = Σ_j a[r, j] φ(h[r, i, j]) and (``mask``) h ← 1[h > 0], in one pass
    (φ(NaN) = NaN, so a diverging run stays visible in f). Raises RuntimeError where the
    extension is missing."""
    ext, why = _load()
    if ext is None:
        raise RuntimeError(f"twolayer's CPU kernels are {why}")
    ext.relu_readout_mask(*relu_readout_mask_args(h, a, f, mask))


def scaled_rows(rhs: torch.Tensor, x: torch.Tensor, c: torch.Tensor, bias: bool) -> None:
    """rhs[..., :d] = x ⊙ c and, with ``bias``, rhs[..., d] = c."""
    ext, why = _load()
    if ext is None:
        raise RuntimeError(f"twolayer's CPU kernels are {why}")
    ext.scaled_rows(*scaled_rows_args(rhs, x, c, bias))


def descend_rows(W: torch.Tensor, b: torch.Tensor | None, G: torch.Tensor, a: torch.Tensor,
                 lr: float) -> None:
    """W[r, j, k] ← W + (−α G[r, k, j]) a[r, j] and, with ``b``, b[r, j] ← b + (−α G[r, d, j])
    a[r, j]: each element rounded in this order, without fused multiply-adds (float32)."""
    ext, why = _load()
    if ext is None:
        raise RuntimeError(f"twolayer's CPU kernels are {why}")
    ext.descend_rows(*descend_rows_args(W, b, G, a), float(lr))


def forward_relu_mask(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None, a: torch.Tensor,
                      h: torch.Tensor, f: torch.Tensor, mask: bool = True) -> None:
    """H = x Wᵀ (+ b), each element one fused multiply-add chain over k in order; then
    f[r, i] = Σ_j a[r, j] φ(H[r, i, j]) in the order of :func:`relu_readout_mask` and h ← 1[H > 0]
    (``mask``; else h ← H), without H going to memory. Raises RuntimeError where the extension
    is missing."""
    ext, why = _load()
    if ext is None:
        raise RuntimeError(f"twolayer's CPU kernels are {why}")
    scratch = W.new_empty(W.shape[1] * W.shape[2])  # W's device, whatever the default device
    ext.forward_relu_mask(*forward_relu_mask_args(x, W, b, a, h, f, scratch, mask))
