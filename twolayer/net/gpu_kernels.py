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

It runs on a GPU where ``triton`` imports and ``Tuning.fused_gpu`` is on (the default since it
was measured on an H200 on 2026-12-04: the plain reference step 1.25x faster at R = 64 and at
R = 1024; W after 50-200 steps differs from the eager path's by a per-run median of 1.7e-7 and
7.1e-8 of max |W|, within what the eager GPU path and the CPU's float32 path differ by: medians
9.9e-6 and 3.7e-7, the same maxima; ``benchmarks/gpu_steps.py``, ``benchmarks/gpu_fused.py``).
Before its first use on a device it runs once on a small block against the eager ops
(:func:`self_test`); where it fails (a Triton that cannot compile there, say) the eager ops
run and :func:`status` says why. ``net.use_tuning(fused_gpu=False)`` switches it off. With
``TRITON_INTERPRET=1`` Triton runs the same kernel on CPU tensors through its interpreter, and
the kernel takes the fused path on the CPU too: that is how the tests check it without a GPU.

Two opt-in kernels, not yet measured on a GPU, aim at the step's GEMMs (issue #19's first
target): :func:`forward_relu_readout_mask` (``Tuning.fused_gpu_forward``) computes H = X Wᵀ + b
inside the pass, tile by tile, so H is never written; :func:`backward_gemm`
(``Tuning.fused_gpu_backward``) computes G = [c ⊙ x, c]ᵀ M without writing its right-hand side,
and with the fused forward the mask M travels as one byte per entry. Each has a self test of its
own before its first use on a device.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

BLOCK_C = 32  # rows (samples) per program
# CUDA bounds a grid's axes 1 and 2 to 65535 programs (axis 0: 2^31 - 1); a launch whose axis 1
# (sample tiles of a run, or a block's runs) would pass it is split into several
MAX_GRID_Y = 65535
BLOCK_M = 64  # columns (neurons) per tile of a row block


@dataclass(frozen=True)
class Blocks:
    """A launch configuration of the forward or backward kernel: ``c`` samples and ``m``
    neurons per tile, and Triton's ``num_warps`` and ``num_stages`` (None: Triton's default).
    The tiles set the order of the kernels' float sums, so another configuration gives other
    bits (to float rounding); ``benchmarks/gpu_blocks.py`` times and checks a grid of them.
    ``by_run`` (the forward only): launch each run's sample tiles side by side (grid axis 0
    the tiles, axis 1 the runs) instead of each tile's runs, so that the programs reading a
    run's W run together and share it in cache; the same bits either way."""

    c: int
    m: int
    warps: int | None = None
    stages: int | None = None
    by_run: bool = False

    def __post_init__(self) -> None:
        def integer(v: object) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        def pow2(v: int) -> bool:
            return integer(v) and v >= 1 and v & (v - 1) == 0
        if not (pow2(self.c) and pow2(self.m)):  # tl.arange takes powers of two only
            raise ValueError(f"Blocks: c and m must be powers of two, got c = {self.c!r}, "
                             f"m = {self.m!r}")
        # a CUDA block holds at most 1024 threads: 32 warps
        if self.warps is not None and not (pow2(self.warps) and self.warps <= 32):
            raise ValueError(f"Blocks: warps must be a power of two up to 32, got "
                             f"{self.warps!r}")
        if self.stages is not None and not (integer(self.stages) and self.stages >= 1):
            raise ValueError(f"Blocks: stages must be at least 1, got {self.stages!r}")
        if not isinstance(self.by_run, bool):
            raise ValueError(f"Blocks: by_run must be True or False, got {self.by_run!r}")

    def launch(self) -> dict[str, int]:
        """The launch keywords Triton takes besides the kernel's arguments."""
        kw = {"num_warps": self.warps, "num_stages": self.stages}
        return {k: v for k, v in kw.items() if v is not None}


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
        # int64 offsets: r * s_hr reaches R·c·m, past 2^31 in a large block (R = 5369 at
        # c = 1000, m = 400: one block on an H200), where int32 products would wrap and
        # address memory outside h
        r = tl.program_id(0).to(tl.int64)
        rows = tl.program_id(1).to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C)
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


FWD_BLOCKS = Blocks(c=64, m=64)  # samples per program of the forward kernel, neurons per tile


@lru_cache(maxsize=1)
def _load_forward() -> Any:
    """The jitted forward kernel (:func:`forward_relu_readout_mask`), or None."""
    if _load()[0] is None:
        return None
    import triton
    import triton.language as tl

    @triton.jit
    def forward(x_ptr, w_ptr, b_ptr, a_ptr, h_ptr, f_ptr, C, s_xr, s_xc, s_wr, s_wm, s_br,
                s_ar, s_hr, s_hc, s_fr, s_fc, D: tl.constexpr, M: tl.constexpr,
                HAS_B: tl.constexpr, BLOCK_C: tl.constexpr, BLOCK_M: tl.constexpr,
                BLOCK_D: tl.constexpr, BY_RUN: tl.constexpr):
        # int64 offsets (as the pass's): a byte mask h, a view of a float32 buffer, has
        # s_hr = 4·c·m, so r * s_hr passes 2^31 from R·c·m = 2^29 on (R = 1343, c = 1000, m = 400)
        if BY_RUN:  # a run's tiles side by side: they share its W in cache
            r = tl.program_id(1).to(tl.int64)
            tile = tl.program_id(0).to(tl.int64)
        else:
            r = tl.program_id(0).to(tl.int64)
            tile = tl.program_id(1).to(tl.int64)
        rows = tile * BLOCK_C + tl.arange(0, BLOCK_C)
        in_rows = rows < C
        ks = tl.arange(0, BLOCK_D)
        in_k = ks < D
        x = tl.load(x_ptr + r * s_xr + rows[:, None] * s_xc + ks[None, :],
                    mask=in_rows[:, None] & in_k[None, :], other=0.0)  # [BLOCK_C, BLOCK_D]
        acc = tl.zeros([BLOCK_C], dtype=x_ptr.dtype.element_ty)
        for j0 in range(0, M, BLOCK_M):
            cols = j0 + tl.arange(0, BLOCK_M)
            in_cols = cols < M
            w = tl.load(w_ptr + r * s_wr + cols[:, None] * s_wm + ks[None, :],
                        mask=in_cols[:, None] & in_k[None, :], other=0.0)  # [BLOCK_M, BLOCK_D]
            # H = X Wᵀ in float32 (no TF32, as the eager step), zero-padded to BLOCK_D
            h = tl.dot(x, tl.trans(w), input_precision="ieee")  # [BLOCK_C, BLOCK_M]
            if HAS_B:
                h += tl.load(b_ptr + r * s_br + cols, mask=in_cols, other=0.0)[None, :]
            a = tl.load(a_ptr + r * s_ar + cols, mask=in_cols, other=0.0)
            relu = tl.maximum(h, 0.0, propagate_nan=tl.PropagateNan.ALL)
            acc += tl.sum(relu * a[None, :], axis=1)
            tl.store(h_ptr + r * s_hr + rows[:, None] * s_hc + cols[None, :],
                     tl.where(h > 0, 1.0, 0.0).to(h_ptr.dtype.element_ty),
                     mask=in_rows[:, None] & in_cols[None, :])
        tl.store(f_ptr + r * s_fr + rows * s_fc, acc, mask=in_rows)

    return forward


def forward_usable(x: torch.Tensor, W: torch.Tensor) -> bool:
    """Whether :func:`forward_relu_readout_mask` takes this block: float32 tensors on a GPU
    whose device passed :func:`self_test` (or under the interpreter), x and W contiguous along
    d, and d at most 128 (one tile of the inner dimension)."""
    return (x.dtype == torch.float32 and W.dtype == torch.float32 and x.stride(-1) == 1
            and W.stride(-1) == 1 and x.shape[-1] <= 128 and _load_forward() is not None
            and _runs_on(x.device, forward_self_test))


def _runs_on(device: torch.device, test: Callable[[torch.device], str | None]) -> bool:
    """Whether a kernel runs on ``device``: a CUDA device where its self ``test`` passed, or
    any device under Triton's interpreter."""
    return test(device) is None if device.type == "cuda" else interpreted()


def _after_the_pass(device: torch.device, own: Callable[[str], str | None]) -> str | None:
    """The pass's :func:`self_test` on ``device``, then (where it passed) an opt-in kernel's
    ``own`` test, cached per device key."""
    why = self_test(device)
    return why if why is not None else own(_device_key(device))


def forward_self_test(device: torch.device) -> str | None:
    """As :func:`self_test`, for :func:`forward_relu_readout_mask` on a small block against the
    eager ops (f to float rounding, the mask but for entries whose H is within rounding of 0)."""
    return _after_the_pass(device, _forward_self_test)


@lru_cache(maxsize=16)
def _forward_self_test(device: str) -> str | None:
    try:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(2, 37, 50, generator=g).to(device)
        W = torch.randn(2, 70, 50, generator=g).to(device)
        b = torch.randn(2, 70, generator=g).to(device)
        a = torch.randn(2, 70, generator=g).to(device)
        H = torch.baddbmm(b.unsqueeze(1), x, W.transpose(1, 2))
        want_f = torch.bmm(torch.relu(H), a.unsqueeze(-1))[..., 0]
        h = torch.empty(2, 37, 70, device=device)
        f = torch.empty(2, 37, device=device)
        forward_relu_readout_mask(x, W, b, a, h, f)
        near0 = H.abs() < 1e-4
        if not (torch.equal(h[~near0], (H > 0).float()[~near0])
                and torch.allclose(f, want_f, rtol=1e-4, atol=1e-4)):
            return "the fused forward did not match the eager ops in its self test (not used)"
    except Exception as e:  # noqa: BLE001 - any failure: the eager forward runs instead
        return f"the fused forward failed its self test ({type(e).__name__}: {e}; not used)"
    return None


def forward_relu_readout_mask(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None,
                              a: torch.Tensor, h: torch.Tensor, f: torch.Tensor,
                              blocks: Blocks | None = None) -> None:
    """For a block of r runs and c samples, without writing the pre-activations: h ← 1[H > 0]
    (0/1 in h's dtype) and f[i, k] = Σ_j a[i, j] max(H[i, k, j], 0), with H = x Wᵀ + b
    (x [r, c, d], W [r, m, d], b [r, m] or None, a [r, m], h [r, c, m], f [r, c]; x and W
    contiguous along d, float32, d <= 128). The forward GEMM's epilogue: H lives in registers,
    tile by tile (the GPU counterpart of the CPU's AVX-512 forward pass); its sums run in
    another order than cuBLAS's, so the outputs agree with the eager ops to float rounding.
    ``blocks``: the launch configuration (default :data:`FWD_BLOCKS`)."""
    kernel = _load_forward()
    if kernel is None:
        raise RuntimeError("the fused GPU pass needs triton: " + status())
    r, c, d = x.shape
    m = W.shape[1]
    if (W.shape != (r, m, d) or a.shape != (r, m) or h.shape != (r, c, m) or f.shape != (r, c)
            or (b is not None and b.shape != (r, m)) or h.stride(-1) != 1 or d > 128):
        raise ValueError(f"shapes x {tuple(x.shape)}, W {tuple(W.shape)}, a {tuple(a.shape)}, "
                         f"h {tuple(h.shape)}, f {tuple(f.shape)} do not fit")
    if a.stride(-1) != 1:
        a = a.contiguous()
    if b is not None and b.stride(-1) != 1:
        b = b.contiguous()
    bd = max(16, 1 << (d - 1).bit_length())
    cfg = blocks or FWD_BLOCKS
    # the grid's axis 1 is bounded: split the samples (runs on axis 0) or the runs (by_run)
    s_step = max(c, 1) if cfg.by_run else MAX_GRID_Y * cfg.c
    r_step = MAX_GRID_Y if cfg.by_run else max(r, 1)
    for s0 in range(0, c, s_step):
        s = slice(s0, min(c, s0 + s_step))
        cs = s.stop - s0
        tiles = (cs + cfg.c - 1) // cfg.c
        for r0 in range(0, r, r_step):
            rs = slice(r0, min(r, r0 + r_step))
            xs, hs, fs, Ws, as_ = x[rs, s], h[rs, s], f[rs, s], W[rs], a[rs]
            bs = b[rs] if b is not None else None
            runs = rs.stop - r0
            grid = (tiles, runs) if cfg.by_run else (runs, tiles)
            kernel[grid](xs, Ws, bs if bs is not None else as_, as_, hs, fs, cs, xs.stride(0),
                         xs.stride(1), Ws.stride(0), Ws.stride(1),
                         bs.stride(0) if bs is not None else 0, as_.stride(0), hs.stride(0),
                         hs.stride(1), fs.stride(0), fs.stride(1), D=d, M=m,
                         HAS_B=bs is not None, BLOCK_C=cfg.c, BLOCK_M=cfg.m, BLOCK_D=bd,
                         BY_RUN=cfg.by_run, **cfg.launch())


BWD_BLOCKS = Blocks(c=32, m=64)  # samples per step of the backward's sum, neurons per program


@lru_cache(maxsize=1)
def _load_backward() -> Any:
    """The jitted backward kernel (:func:`backward_gemm`), or None."""
    if _load()[0] is None:
        return None
    import triton
    import triton.language as tl

    @triton.jit
    def backward(x_ptr, c_ptr, m_ptr, g_ptr, s_xr, s_xc, s_cr, s_cc, s_mr, s_mc, s_gr, s_gk,
                 C: tl.constexpr, D: tl.constexpr, M: tl.constexpr, HAS_B: tl.constexpr,
                 FIRST: tl.constexpr, BLOCK_C: tl.constexpr, BLOCK_M: tl.constexpr,
                 BLOCK_D: tl.constexpr):
        # axis 0 the neuron tiles: a run's programs run side by side and share its x in cache
        cols = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
        # int64 offsets: r * s_mr passes 2^31 for a byte mask (s_mr = 4·c·m, a view of a
        # float32 buffer) from R·c·m = 2^29 on (R = 1343, c = 1000, m = 400)
        r = tl.program_id(1).to(tl.int64)
        in_cols = cols < M
        ks = tl.arange(0, BLOCK_D)
        in_k = ks < D
        acc = tl.zeros([BLOCK_D, BLOCK_M], dtype=tl.float32)
        acc_c = tl.zeros([BLOCK_M], dtype=tl.float32)
        for i0 in range(0, C, BLOCK_C):  # (C constant: Triton's interpreter needs it)
            rows = (i0 + tl.arange(0, BLOCK_C)).to(tl.int64)
            in_rows = rows < C
            x = tl.load(x_ptr + r * s_xr + rows[:, None] * s_xc + ks[None, :],
                        mask=in_rows[:, None] & in_k[None, :], other=0.0)  # [BLOCK_C, BLOCK_D]
            c = tl.load(c_ptr + r * s_cr + rows * s_cc, mask=in_rows, other=0.0)
            mk = tl.load(m_ptr + r * s_mr + rows[:, None] * s_mc + cols[None, :],
                         mask=in_rows[:, None] & in_cols[None, :], other=0).to(tl.float32)
            # Σ_i (c_i x_i) M_ij in float32 (no TF32, as the eager step)
            acc += tl.dot(tl.trans(x * c[:, None]), mk, input_precision="ieee")
            if HAS_B:
                acc_c += tl.sum(mk * c[:, None], axis=0)
        g = g_ptr + r * s_gr + ks[:, None] * s_gk + cols[None, :]
        inside = in_k[:, None] & in_cols[None, :]
        if not FIRST:
            acc += tl.load(g, mask=inside, other=0.0)
        tl.store(g, acc, mask=inside)
        if HAS_B:
            gc = g_ptr + r * s_gr + D * s_gk + cols
            if not FIRST:
                acc_c += tl.load(gc, mask=in_cols, other=0.0)
            tl.store(gc, acc_c, mask=in_cols)

    return backward


def backward_usable(x: torch.Tensor, G: torch.Tensor) -> bool:
    """Whether :func:`backward_gemm` takes this block: float32 x and G on a GPU whose device
    passed :func:`backward_self_test` (or under the interpreter), x contiguous along d, G along
    m, and d at most 128."""
    return (x.dtype == torch.float32 and G.dtype == torch.float32 and G.stride(-1) == 1
            and x.stride(-1) == 1 and x.shape[-1] <= 128 and _load_backward() is not None
            and _runs_on(x.device, backward_self_test))


def backward_self_test(device: torch.device) -> str | None:
    """As :func:`self_test`, for :func:`backward_gemm` on a small block (a 0/1 mask of bytes
    and of floats, with and without a bias row, written and accumulated) against the eager
    GEMM, to float rounding."""
    return _after_the_pass(device, _backward_self_test)


@lru_cache(maxsize=16)
def _backward_self_test(device: str) -> str | None:
    try:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(2, 37, 50, generator=g).to(device)
        c = torch.randn(2, 37, generator=g).to(device)
        mask = (torch.randn(2, 37, 70, generator=g) > 0).to(device)
        rhs = torch.cat([x * c[..., None], c[..., None]], -1)
        want = torch.bmm(rhs.transpose(1, 2), mask.float())
        for bias in (False, True):
            for mk in (mask.to(torch.uint8), mask.float()):
                G = torch.empty(2, 50 + bias, 70, device=device)
                backward_gemm(x, c, mk, G, first=True)
                backward_gemm(x, c, mk, G, first=False)
                if not torch.allclose(G, 2 * want[:, :50 + bias], rtol=1e-4, atol=1e-4):
                    return "the fused backward did not match the eager GEMM in its self test " \
                           "(not used)"
    except Exception as e:  # noqa: BLE001 - any failure: the eager GEMM runs instead
        return f"the fused backward failed its self test ({type(e).__name__}: {e}; not used)"
    return None


def backward_gemm(x: torch.Tensor, c: torch.Tensor, mask: torch.Tensor, G: torch.Tensor,
                  first: bool, blocks: Blocks | None = None) -> None:
    """The one-output backward GEMM of a block of r runs and c samples without its right-hand
    side in memory: G[i] = [c ⊙ x, c]ᵀ M, i.e. G[i, k, j] = Σ_s c[i, s] x[i, s, k] M[i, s, j]
    for k < d and, where G has d + 1 rows (a first-layer bias), G[i, d, j] = Σ_s c[i, s]
    M[i, s, j] (``first``: written, else added to G). x [r, c, d] contiguous along d, c [r, c],
    the 0/1 mask M [r, c, m] of bytes or floats, G [r, d or d + 1, m] contiguous along m;
    float32, d <= 128. The sums run in float32 in another order than cuBLAS's, so G agrees with
    the eager GEMM to float rounding (the same in every run: no atomics). ``blocks``: the
    launch configuration (default :data:`BWD_BLOCKS`)."""
    kernel = _load_backward()
    if kernel is None:
        raise RuntimeError("the fused GPU pass needs triton: " + status())
    r, n, d = x.shape
    m = mask.shape[-1]
    if (c.shape != (r, n) or mask.shape != (r, n, m) or G.shape[0] != r or G.shape[2] != m
            or G.shape[1] not in (d, d + 1) or G.stride(-1) != 1 or mask.stride(-1) != 1
            or x.stride(-1) != 1 or d > 128):
        raise ValueError(f"shapes x {tuple(x.shape)}, c {tuple(c.shape)}, mask "
                         f"{tuple(mask.shape)}, G {tuple(G.shape)} do not fit")
    bd = max(16, 1 << (d - 1).bit_length())
    cfg = blocks or BWD_BLOCKS
    if cfg.by_run:  # (a run's programs are already side by side: axis 0 its neuron tiles)
        raise ValueError("backward_gemm: blocks.by_run is the forward's launch order only")
    if cfg.c < 16:  # the sum over samples is tl.dot's inner dimension: the compiler needs 16
        raise ValueError(f"backward_gemm: blocks.c = {cfg.c} samples per step; tl.dot needs "
                         f"at least 16 (Triton's interpreter would run it, its compiler not)")
    for r0 in range(0, r, MAX_GRID_Y):  # runs per launch (the grid's axis 1 is bounded)
        rs = slice(r0, min(r, r0 + MAX_GRID_Y))
        xs, cs, ms, Gs = x[rs], c[rs], mask[rs], G[rs]
        grid = ((m + cfg.m - 1) // cfg.m, rs.stop - r0)
        kernel[grid](xs, cs, ms, Gs, xs.stride(0), xs.stride(1), cs.stride(0), cs.stride(1),
                     ms.stride(0), ms.stride(1), Gs.stride(0), Gs.stride(1), C=n, D=d, M=m,
                     HAS_B=G.shape[1] == d + 1, FIRST=first, BLOCK_C=cfg.c, BLOCK_M=cfg.m,
                     BLOCK_D=bd, **cfg.launch())


def available() -> bool:
    """Whether the fused pass can run here (``triton`` imports)."""
    return _load()[0] is not None


def enabled(device: torch.device | None = None) -> bool:
    """Whether the pass is switched on (``Tuning.fused_gpu``) and can run (``triton``
    imports; on a CUDA ``device``, also its :func:`self_test` passed): what a record and the
    record store's key say."""
    from .plan import tuning

    if not (tuning().fused_gpu and available()):
        return False
    return device is None or device.type != "cuda" or self_test(device) is None


def forward_enabled(device: torch.device) -> bool:
    """Whether the forward GEMM joins the pass on ``device`` (``Tuning.fused_gpu_forward``,
    with the pass :func:`enabled` and the forward's self test passed there)."""
    from .plan import tuning

    return _opt_in_enabled(tuning().fused_gpu_forward, device, forward_self_test)


def backward_enabled(device: torch.device) -> bool:
    """Whether the backward GEMM runs as a Triton kernel on ``device``
    (``Tuning.fused_gpu_backward``, with the pass :func:`enabled` and the backward's self test
    passed there)."""
    from .plan import tuning

    return _opt_in_enabled(tuning().fused_gpu_backward, device, backward_self_test)


def _opt_in_enabled(on: bool, device: torch.device,
                    test: Callable[[torch.device], str | None]) -> bool:
    """An opt-in kernel switched ``on``, with the pass :func:`enabled` on the CUDA ``device``
    and the kernel's own self ``test`` passed there: what records and store keys say."""
    return on and device.type == "cuda" and enabled(device) and test(device) is None


def status(device: torch.device | None = None) -> str:
    """"triton X.Y" when the fused pass can run (on a CUDA ``device``: and passed its self
    test there), else why not (for records and reports)."""
    why = self_test(device) if device is not None and device.type == "cuda" else None
    return _load()[1] if why is None else why


def self_test(device: torch.device) -> str | None:
    """None where the pass runs on the CUDA ``device`` and gives the eager ops' f (to float
    rounding) and mask (exactly) on a small block; else why not. Once per device."""
    try:
        key = _device_key(device)
    except Exception as e:  # noqa: BLE001 - no usable CUDA device here
        return f"no CUDA device ({type(e).__name__}: {e})"
    return _self_test(key)


def _device_key(device: torch.device) -> str:
    """The device with its index ("cuda" → "cuda:N", the current one): the self tests' cache
    key."""
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return str(dev)


@lru_cache(maxsize=16)
def _self_test(device: str) -> str | None:
    if _load()[0] is None:
        return status()
    try:
        g = torch.Generator().manual_seed(0)
        h = torch.randn(2, 37, 70, generator=g).to(device)  # not multiples of the tiles
        a = torch.randn(2, 70, generator=g).to(device)
        want_f = torch.bmm(torch.relu(h), a.unsqueeze(-1))[..., 0]
        want_mask = (h > 0).to(h.dtype)
        f = torch.empty(2, 37, device=device)
        relu_readout_mask(h, a, f)
        if not (torch.equal(h, want_mask) and torch.allclose(f, want_f, rtol=1e-4, atol=1e-5)):
            return "the fused pass did not match the eager ops in its self test (eager ops used)"
    except Exception as e:  # noqa: BLE001 - any failure: the eager ops run instead
        return f"the fused pass failed its self test ({type(e).__name__}: {e}; eager ops used)"
    return None


def usable(h: torch.Tensor) -> bool:
    """Whether :func:`relu_readout_mask` takes this block: a GPU tensor whose device passed
    :func:`self_test` (or any tensor under the interpreter), float32 or float64, contiguous
    along m, and Triton importable."""
    return ((h.device.type == "cuda" or interpreted()) and h.stride(-1) == 1
            and h.dtype in (torch.float32, torch.float64) and available()
            and (h.device.type != "cuda" or self_test(h.device) is None))


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
    step = MAX_GRID_Y * BLOCK_C  # samples per launch (the grid's axis 1 is bounded)
    for s0 in range(0, c, step):
        s = slice(s0, min(c, s0 + step))
        hs, fs = h[:, s], f[:, s]
        cs = s.stop - s0
        grid = (r, (cs + BLOCK_C - 1) // BLOCK_C)
        kernel[grid](hs, a, fs, cs, hs.stride(0), hs.stride(1), a.stride(0), fs.stride(0),
                     fs.stride(1), M=m, BLOCK_C=BLOCK_C, BLOCK_M=BLOCK_M)  # one compile per m
