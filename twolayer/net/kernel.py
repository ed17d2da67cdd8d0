"""The fused gradient kernel (:class:`Workspace`) and the gradient entry points.

With per-sample weights s_i (1/n for the mean loss), c_i = s_i ∂ℓ_i/∂f ∈ R^o and
δ_ij = ⟨a_j, c_i⟩ φ'(⟨w_j, x_i⟩ + b_j), the closed-form gradients of L̂ = Σ_i s_i ℓ_i are

    ∇_W = Σ_i δ_i x_iᵀ,   ∇_b = Σ_i δ_i,   ∇_a = Σ_i φ(W x_i + b) c_iᵀ,

computed block by block over runs × samples (:func:`plan.block_shape`), so the [R, n, m]
activations never exist at once: the memory is bounded, and on a CPU a block stays in cache
through the passes of a step. Autograd is only the test oracle.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Protocol

import torch
from torch.profiler import record_function

from ..lanes import intra_op_threads, pool
from . import gpu_kernels
from .cpu_kernels import (
    descend_rows_args,
    forward_relu_mask_args,
    fused_forward,
    relu_readout_mask_args,
    scaled_rows_args,
)
from .cpu_kernels import module as fused_module
from .model import Loss, loss_of
from .params import Params
from .plan import DEFAULT_CHUNK_ELEMENTS, group_runs, lane_plan, tuning, worker_threads

# the fused C passes as torch's profiler names them, when NAME_C_PASSES is on (C calls are not
# torch ops, so the profiler would not see them; bench.limit.profile_step switches it on)
RELU_READOUT_MASK = "twolayer::relu_readout_mask"
SCALED_ROWS = "twolayer::scaled_rows"
FORWARD_RELU_MASK = "twolayer::forward_relu_mask"
DESCEND_ROWS = "twolayer::descend_rows"
NAME_C_PASSES = False

# f = φ(pre) a per run by torch.mv (one call per run) above this many block elements r·c·m; below
# it one bmm is faster (measured on 2 CPU cores: 4 µs against 18 µs at 16·32·10, while bmm with
# one output column is 3-10x slower than the mv calls from 4·256·100 up)
MV_MIN_ELEMENTS = 1 << 14


class InStepGroups(Protocol):
    """What :meth:`Workspace.run` needs of a grouping taken during the step
    (:class:`twolayer.net.grouped.GroupSplit`): its number of groups S, a per-lane plan of its
    blocks, and the kernel that runs one lane's plan."""

    S: int

    def block_plan(self, ws: Workspace, lanes: list[list[_Block]]) -> list[list]: ...

    def kernel(self) -> Callable[..., None]: ...


def zero_grads(p: Params) -> dict[str, torch.Tensor]:
    grads = {"W": torch.zeros_like(p.W)}
    if p.b is not None:
        grads["b"] = torch.zeros_like(p.b)
    if p.train_a:
        grads["a"] = torch.zeros_like(p.a)
    return grads


def accumulate_chunk(
    p: Params, grads: dict[str, torch.Tensor], xc: torch.Tensor, pre: torch.Tensor, c: torch.Tensor
) -> None:
    """Add one chunk's closed-form gradients: δ = (c aᵀ) ⊙ 1[pre > 0], ∇W += δᵀx, ∇b += Σδ,
    ∇a += φ(pre)ᵀ c. (The straightforward formula; the hot path is :class:`Workspace`.)"""
    delta = torch.bmm(c, p.a.transpose(1, 2)) * (pre > 0)  # [R, chunk, m]
    grads["W"].baddbmm_(delta.transpose(1, 2), xc)
    if "b" in grads:
        grads["b"] += delta.sum(1)
    if "a" in grads:
        grads["a"].baddbmm_(torch.relu(pre).transpose(1, 2), c)


def flatten(grads: dict[str, torch.Tensor]) -> torch.Tensor:
    """[R, P]: the trained parameters' gradients as one vector per run (W, b, a order)."""
    keys = [k for k in ("W", "b", "a") if k in grads]
    return torch.cat([grads[k].flatten(1) for k in keys], dim=1)


class _Block:
    """Views of one block of the kernel: the block's samples, parameters and buffers."""

    __slots__ = ("rs", "ns", "first", "xc", "Wt", "b", "h", "hT", "a", "aT", "out", "f0", "mv",
                 "c", "c0", "ny", "nys", "rhs", "rhs_x", "rhs_c", "rhsT", "G", "ca", "gW", "gb",
                 "ga", "fused", "upd", "gpu_fused", "gpu_forward", "gpu_backward", "mask8", "W",
                 "b1")


class Workspace:
    """Preallocated buffers of the gradient kernel for one shape (R runs, n samples, m, d, o),
    reused across steps so that the hot loop allocates nothing large.

    The kernel walks the [R, n, m] activations block by block (:func:`plan.block_shape`). In one
    block, one buffer holds in turn pre = W x + b, φ(pre) and 1[pre > 0] (in place); with the C
    pass of :mod:`cpu_kernels` (float32 on a CPU with AVX2 and FMA, one output, a fixed second
    layer) pre becomes 1[pre > 0] in the same pass that computes the readout f = φ(pre) a. For one
    output (o = 1) it uses δ_ij = c_i a_j 1[pre_ij > 0] to write the first-layer gradient as

        ∇_{w_j} = a_j Σ_i 1[pre_ij > 0] c_i x_i,   ∇_{b_j} = a_j Σ_i 1[pre_ij > 0] c_i,

    i.e. one GEMM G = Mᵀ [c ⊙ x, c] with M = 1[pre > 0]: no [R, n, m] product c aᵀ is
    formed. For K outputs, δ = (c aᵀ) ⊙ M is formed in place and ∇W = δᵀ x.

    On a multi-core CPU the blocks of runs are shared out to worker threads (:class:`lanes.Pool`),
    each with its own block buffers: each worker takes the next block of runs from a shared
    counter (``Tuning.dynamic``), so a core that is slowed down (a shared host) takes fewer
    blocks instead of holding up the step; when the lanes split every run's samples, each has
    a fixed range. The views of every block are built once (per lane) and kept while the same
    data and parameter tensors are used (full-batch GD: every step), so a step issues only the
    arithmetic.

    While the workers run, the calling thread issues its own few ops (−y before, the per-sample
    loss after) on one intra-op thread: an OpenMP team started by the caller spins on a core
    for a while after each op, and that core is a worker's (measured: the blocks of a step
    2 ms, 13 %, slower after two-thread ops in the caller). For the same reason a gradient
    step (:meth:`run` with ``lr``) updates each block of runs inside its worker as soon as its
    gradient is complete, instead of one update over all runs in the caller afterwards.
    """

    def __init__(self, p: Params, n: int, budget: int = DEFAULT_CHUNK_ELEMENTS):
        R, m, d, o = p.runs, p.m, p.W.shape[2], p.outputs
        dev = p.W.device
        self.key = self._key(p, n)
        k = worker_threads(R, n, m, budget, dev)
        self.shape, self.lane_blocks, self.split = lane_plan(R, n, m, budget, dev, k)
        lanes = len(self.lane_blocks)
        self.workers = lanes if lanes > 1 else 0
        # dynamic: every lane can run every unit (a block of runs with all its sample blocks)
        self.units: list[list[tuple[slice, slice]]] | None = None
        if self.workers and not self.split and tuning().dynamic:
            by_run: dict[int, list[tuple[slice, slice]]] = {}
            for todo in self.lane_blocks:
                for rs, ns in todo:
                    by_run.setdefault(rs.start, []).append((rs, ns))
            self.units = [by_run[r] for r in sorted(by_run)]
        rc, nc = self.shape
        new = p.W.new_empty
        self.bias = p.b is not None
        self.act = [new(rc, nc, m) for _ in range(lanes)]
        self.cbuf = [new(rc, nc, o) for _ in range(lanes)]
        if o == 1:
            self.rhs = [new(rc, nc, d + int(self.bias)) for _ in range(lanes)]  # [c_i x_i, c_i]
            self.ny = new(R, n)  # −y
            self.nys = new(R, n)  # −y s
        else:
            self.ca = [new(rc, nc, m) for _ in range(lanes)]  # c aᵀ
        # gradient accumulators: one set, or one per lane when the lanes split samples
        shapes = {"G": (R, d + int(self.bias), m)} if o == 1 else {"gW": (R, m, d)}
        if o != 1 and self.bias:
            shapes["gb"] = (R, m)
        if p.train_a:
            shapes["ga"] = (R, m, o)
        self.acc = [{k_: new(*s) for k_, s in shapes.items()}]
        if self.split:
            self.acc += [{k_: new(*s) for k_, s in shapes.items()} for _ in range(lanes - 1)]
        self.G = self.acc[0].get("G")  # [c ⊙ x, c]ᵀ M (one output), i.e. (Mᵀ [c ⊙ x, c])ᵀ
        self.gW, self.gb = self.acc[0].get("gW"), self.acc[0].get("gb")
        self.ga = self.acc[0].get("ga")
        self.out = new(R, n, o)
        self.loss = new(R, n)
        self._plan: list[list[_Block]] = []
        self._plan_key: tuple | None = None
        self._gplan: tuple | None = None  # (GroupSplit, block plan, grouped views)
        # which Triton kernels (gpu_kernels) this workspace's blocks ran: "pass", "forward",
        # "backward" (for the record: a switch that is on says nothing of the blocks that took
        # it, e.g. none with a trained second layer or K outputs); only a GPU's blocks or
        # Triton's interpreter can take one
        self.triton: set[str] = set()
        self._triton_possible = dev.type == "cuda" or gpu_kernels.interpreted()
        self.psi_: Callable[[torch.Tensor], torch.Tensor] | None = None
        # the fused relu–readout–mask pass (cpu_kernels): float32 on a CPU, one output, a fixed
        # second layer (a trained one needs φ(H) after the readout, for ∇a)
        self.fused = (fused_module() if tuning().fused_cpu and dev.type == "cpu"
                      and p.W.dtype == torch.float32 and o == 1 and not p.train_a else None)
        # with AVX-512 the forward GEMM joins the C pass (W packed as Wᵀ in a lane's scratch)
        self.scratch = ([new(d * m) for _ in range(lanes)]
                        if self.fused is not None and fused_forward(d) else None)

    @staticmethod
    def _key(p: Params, n: int) -> tuple:
        return (p.runs, n, p.m, p.W.shape[2], p.outputs, p.b is not None, p.train_a,
                p.W.dtype, p.W.device)

    def fits(self, p: Params, n: int) -> bool:
        return self.key == self._key(p, n)

    def can_split(self, p: Params, objective: str | None = None) -> bool:
        """Whether a :class:`GroupSplit` can ride along: one output, a fixed second layer, whole
        runs per block on lanes that do not split samples (and, when ``objective`` is given, a
        margin loss: :attr:`Loss.psi_`)."""
        n = self.key[1]
        if objective is not None and loss_of(objective).psi_ is None:
            return False
        return p.outputs == 1 and not p.train_a and self.shape[1] == n and not self.split

    def groups_fit(self, S: int, budget: int) -> bool:
        """Whether the buffers of in-step group gradients with S groups (:class:`GroupSplit`;
        per lane, for the block's rc runs: (S+1)·(d+1)·m entries per run in the run's dtype
        and in float64, and the sorted rows x and [c ⊙ x, c], about 2·n·(d+1)) fit in
        ``budget`` 8-byte elements where :func:`plan.bounds_group_buffers` (a GPU, whose blocks
        can hold every run; elsewhere always). Where they do not, the probe takes its group
        gradients in a separate pass at probe times, in blocks of fewer runs
        (:func:`grouped.grouped_gram`)."""
        _, n, m, d = self.key[:4]
        dd, rc, item = d + int(self.bias), self.shape[0], self.out.element_size()
        per_run = ((S + 1) * dd * m * (item + 8) + n * (2 * dd + 3) * item + 7) // 8
        return group_runs(rc, len(self.act) * per_run, budget, self.out.device) == rc

    def _lanes(self, p: Params, x: torch.Tensor) -> list[list[_Block]]:
        """The block views for these tensors, one list per lane. The plan keeps the tensors
        alive, so an equal (data pointer, shape, strides) key means the very same storage."""
        key = tuple(
            (t.data_ptr(), tuple(t.shape), t.stride())
            for t in (x, p.W, p.a, p.b if p.b is not None else p.W)
        )
        if key != self._plan_key:
            plan = []
            if self.units is not None:  # per lane: every unit, with this lane's buffers
                for lane in range(self.workers):
                    plan.append([[self._block(p, x, rs, ns, lane, ns.start == 0)
                                  for rs, ns in unit] for unit in self.units])
            else:
                for lane, todo in enumerate(self.lane_blocks):
                    lo = todo[0][1].start if todo else 0  # a lane's first sample
                    plan.append([self._block(p, x, rs, ns, lane, ns.start == lo)
                                 for rs, ns in todo])
            self._plan, self._plan_key = plan, key
        return self._plan

    def _block(self, p: Params, x: torch.Tensor, rs: slice, ns: slice, lane: int,
               first: bool) -> _Block:
        B = _Block()
        B.rs, B.ns, B.first = rs, ns, first
        acc = self.acc[lane if self.split else 0]
        B.xc = x[rs, ns]
        rows, cols, d = B.xc.shape
        B.Wt = p.W[rs].transpose(1, 2)
        B.b = p.b[rs].unsqueeze(1) if p.b is not None else None
        B.h = self.act[lane][:rows, :cols]
        B.hT = B.h.transpose(1, 2)
        B.a = p.a[rs]
        B.aT = B.a.transpose(1, 2)
        B.out = self.out[rs, ns]
        B.f0 = B.out[..., 0]
        B.mv = None
        if (p.outputs == 1 and x.device.type == "cpu" and B.out.is_contiguous()
                and rows * cols * p.m > MV_MIN_ELEMENTS):
            B.mv = [(B.h[i], B.a[i, :, 0], B.out[i, :, 0]) for i in range(rows)]
        B.c = self.cbuf[lane][:rows, :cols]
        B.c0 = B.c[..., 0]
        B.ga = acc["ga"][rs] if "ga" in acc else None
        B.upd = None
        if p.outputs == 1:
            B.ny, B.nys = self.ny[rs, ns], self.nys[rs, ns]
            B.rhs = self.rhs[lane][:rows, :cols]
            B.rhs_x = B.rhs[..., :d]
            B.rhs_c = B.rhs[..., d] if self.bias else None
            B.rhsT = B.rhs.transpose(1, 2)
            B.G = acc["G"][rs]
            if not p.train_a and ns.stop == x.shape[1]:  # the runs' last samples: their update
                B.upd = self._update(p, rs)
            B.fused = None
            # the Triton relu–readout–mask pass (gpu_kernels; on by default), a fixed second layer;
            # a GPU block (or Triton's interpreter) first: on a CPU, enabled() would import
            # triton (50 MB of resident memory in every CPU training process, for nothing)
            B.gpu_fused = (not p.train_a
                           and (B.h.device.type == "cuda" or gpu_kernels.interpreted())
                           and gpu_kernels.enabled() and gpu_kernels.usable(B.h))
            # and the forward GEMM in the same Triton kernel (Tuning.fused_gpu_forward)
            B.gpu_forward = (B.gpu_fused and tuning().fused_gpu_forward
                             and gpu_kernels.forward_usable(B.xc, p.W[rs]))
            # and the backward GEMM as a Triton kernel (Tuning.fused_gpu_backward)
            B.gpu_backward = (B.gpu_fused and tuning().fused_gpu_backward
                              and gpu_kernels.backward_usable(B.xc, B.G))
            # with both: the mask as bytes, in the first m bytes of each of the buffer's rows
            B.mask8 = (self.act[lane].view(torch.uint8)[:rows, :cols, :p.m]
                       if B.gpu_forward and B.gpu_backward else None)
            B.W = p.W[rs]
            B.b1 = p.b[rs] if p.b is not None else None
            if self.fused is not None:
                try:
                    B.fused = (
                        self.fused.relu_readout_mask,
                        relu_readout_mask_args(B.h, B.a[..., 0], B.f0),
                        self.fused.scaled_rows,
                        scaled_rows_args(B.rhs, B.xc, B.c0, self.bias),
                        self.fused.forward_relu_mask,
                        None if self.scratch is None else forward_relu_mask_args(
                            B.xc, p.W[rs], B.b[:, 0] if B.b is not None else None,
                            B.a[..., 0], B.h, B.f0, self.scratch[lane]),
                    )
                except ValueError:  # a layout the C loops do not take: the PyTorch path
                    B.fused = None
        else:
            B.G = None
            B.fused = None
            B.gpu_fused = B.gpu_forward = B.gpu_backward = False
            B.mask8 = None
            B.ca = self.ca[lane][:rows, :cols]
            B.gW = acc["gW"][rs]
            B.gb = acc["gb"][rs] if self.bias else None
        return B

    def run(
        self,
        p: Params,
        x: torch.Tensor,
        y: torch.Tensor | None,
        objective: str,
        scale: float | torch.Tensor,
        coeffs: torch.Tensor | None = None,
        groups: InStepGroups | None = None,
        lr: float | None = None,
    ) -> None:
        """Accumulate the gradient of Σ_i ⟨c_i, f(x_i)⟩ into the buffers, with
        c_i = s_i ∂ℓ_i/∂f (``coeffs`` None: also fills ``out`` and ``loss``; s_i = ``scale``, a
        number or [R, n]) or c = ``coeffs`` [R, n, o] as given. With ``groups`` (see
        :class:`GroupSplit`; s_i = 1/n) also fill ``gram``; the step's own gradient is then the
        sum of the group gradients (the same up to the order of the float additions).

        With ``lr`` = α, also take the step θ ← θ − α g (:meth:`descend`, the same arithmetic):
        for one output and a fixed second layer on workers that take whole runs, each worker
        updates its runs as soon as their gradient is complete; otherwise after the blocks. The
        gradient g stays in the buffers either way."""
        if lr is not None and groups is not None:
            raise ValueError("a step with in-step groups is taken by descend() afterwards")
        loss = loss_of(objective) if coeffs is None else None
        psi_ = loss.psi_ if loss is not None and p.outputs == 1 else None  # margin fast path
        if groups is not None:
            if not (psi_ is not None and self.can_split(p) and isinstance(scale, float)):
                raise ValueError("group gradients in the step need a margin loss, one "
                                 "output, a fixed second layer and whole runs per block")
            self.psi_ = psi_
            self.gram = torch.empty(p.runs, groups.S + 1, groups.S + 1, dtype=torch.float64,
                                    device=x.device)
            self.x_rows = x.reshape(-1, x.shape[2])  # a view for a contiguous x
            self.out_flat = self.out.view(-1)  # one output: [R·n]
        with self._caller_threads():
            if psi_ is not None:  # c = ψ(−y f)·(−y s), with −y and −y s filled once per call
                self.ny.copy_(y).neg_()
                torch.mul(self.ny, scale if isinstance(scale, float) else scale.to(x.dtype),
                          out=self.nys)
            elif coeffs is None and not isinstance(scale, float):
                scale = scale.to(x.dtype).unsqueeze(-1)
        lanes = self._lanes(p, x)
        if self._triton_possible and coeffs is None:
            self._note_triton(lanes, groups is not None)
        in_lanes = (lr is not None and self.units is not None and p.outputs == 1
                    and not p.train_a)
        if groups is not None:
            if self._gplan is None or self._gplan[0] is not groups or self._gplan[1] is not lanes:
                self._gplan = (groups, lanes, groups.block_plan(self, lanes))
            fn, parts = groups.kernel(), [(pairs, self, groups.S) for pairs in self._gplan[2]]
        else:
            fn, parts = _run_blocks, [(lane, y, loss, scale, coeffs, psi_,
                                       lr if in_lanes else None) for lane in lanes]
        if self.units is not None:  # each worker takes the next unit until none is left
            counter = itertools.count()
            pool(self.workers).map(_take, [(part[0], counter, fn, part[1:]) for part in parts])
        elif self.workers:
            pool(self.workers).map(fn, parts)
        else:
            fn(*parts[0])
        if self.split:  # lanes that saw samples add their gradients into lane 0's
            for acc, todo in zip(self.acc[1:], self.lane_blocks[1:]):
                if todo:
                    for k_, v in acc.items():
                        self.acc[0][k_].add_(v)
        if loss is not None:
            with self._caller_threads():
                self.loss.copy_(loss.value(self.out, y))
        if lr is not None and not in_lanes:
            self.descend(p, lr)

    def _note_triton(self, lanes: list[list[_Block]], grouped: bool) -> None:
        """Add to :attr:`triton` the Triton kernels the blocks of this call take (as
        :func:`_torch_block` and the grouped kernel choose them: the pass wherever
        ``gpu_fused``; its forward and backward GEMMs outside the grouped kernel, which takes
        the pass only)."""
        for lane in lanes:
            for B in lane:
                if B.gpu_fused:
                    self.triton.add("pass")
                    if not grouped:
                        self.triton.update(k for k, on in (("forward", B.gpu_forward),
                                                           ("backward", B.gpu_backward)) if on)

    def _update(self, p: Params, rs: slice) -> tuple:
        """(fn, args): ``fn(*args, lr)`` takes the one-output step of the runs ``rs`` (the C
        loop :func:`cpu_kernels.descend_rows` with the fused path, else PyTorch's addcmul_)."""
        d = p.W.shape[2]
        W, G, a = p.W[rs], self.G[rs], p.a[rs]
        b = p.b[rs] if self.bias else None
        if self.fused is not None:
            try:
                return self.fused.descend_rows, descend_rows_args(W, b, G, a[..., 0])
            except ValueError:  # a layout the C loop does not take
                pass
        return _descend_torch, (W, G[:, :d].transpose(1, 2), a,
                                (b, G[:, d], a[..., 0]) if self.bias else None)

    def _caller_threads(self) -> contextlib.AbstractContextManager:
        """One intra-op thread for the calling thread's ops while there are workers."""
        return intra_op_threads(1) if self.workers else contextlib.nullcontext()

    def gradients(self, p: Params) -> dict[str, torch.Tensor]:
        """The accumulated gradients as new tensors, keys as :meth:`Params.trainable`."""
        if p.outputs == 1:
            d = p.W.shape[2]
            # a ⊙ Gᵀ written straight into a contiguous [R, m, d] (the product would take G's
            # transposed layout and .contiguous() copy it: two W-sized tensors instead of one)
            grads = {"W": torch.mul(p.a, self.G[:, :d].transpose(1, 2),
                                    out=p.W.new_empty(p.W.shape))}
            if self.bias:
                grads["b"] = p.a[..., 0] * self.G[:, d]
        else:
            grads = {"W": self.gW.clone()}
            if self.bias:
                grads["b"] = self.gb.clone()
        if self.ga is not None:
            grads["a"] = self.ga.clone()
        return grads

    def _gradients_in_place(self, p: Params, budget: int) -> dict[str, torch.Tensor]:
        """:meth:`gradients` for a workspace that is not used again. With one output and no
        bias, ∇_W = a ⊙ Gᵀ is written into the memory of the accumulator G [R, d, m] itself
        (read as [R, m, d]: each run's d·m entries stay where they were), a few runs at a time
        through a buffer of at most ``budget`` elements (at most
        :data:`plan.DEFAULT_CHUNK_ELEMENTS`, at least one run), not into a new [R, m, d] tensor:
        the same numbers, contiguous, and no second W-sized tensor. The workspace's gradient
        buffers are gone afterwards."""
        if p.outputs != 1 or self.bias:
            return self.gradients(p)
        R, m, d = p.W.shape
        G = self.G
        gW = G.view(R, m, d)  # the same memory
        rb = max(1, min(R, min(budget, DEFAULT_CHUNK_ELEMENTS) // (m * d)))
        buf = G.new_empty(rb, m, d)
        for start in range(0, R, rb):
            rs = slice(start, min(R, start + rb))
            block = torch.mul(p.a[rs], G[rs].transpose(1, 2), out=buf[: rs.stop - rs.start])
            gW[rs].copy_(block)  # these runs' G is read in full before it is overwritten
        grads = {"W": gW}
        if self.ga is not None:
            grads["a"] = self.ga
        self.acc, self.G, self.ga, self.key = [], None, None, None  # fits() nothing any more
        return grads

    def descend(self, p: Params, lr: float) -> None:
        """θ ← θ − α g in place with the accumulated gradient g (W and b first: their gradient
        uses the a of this step)."""
        if p.outputs == 1:
            fn, args = self._update(p, slice(None))
            fn(*args, lr)
        else:
            p.W.add_(self.gW, alpha=-lr)
            if self.bias:
                p.b.add_(self.gb, alpha=-lr)
        if self.ga is not None:
            p.a.add_(self.ga, alpha=-lr)


def _descend_torch(W: torch.Tensor, Gt: torch.Tensor, a: torch.Tensor, bias: tuple | None,
                   lr: float) -> None:
    """W ← W − α a ⊙ Gᵀ (and b ← b − α a ⊙ G_b; ``bias`` = (b, G_b, a) views or None) with
    PyTorch: the one-output update of :meth:`Workspace.descend` where the C loop is not used."""
    W.addcmul_(Gt, a, value=-lr)
    if bias is not None:
        b, gb, a0 = bias
        b.addcmul_(gb, a0, value=-lr)


def _take(units: list[list], counter: Iterator[int], fn: Callable[..., None], args: tuple) -> None:
    """Run fn(unit, *args) on units[next(counter)] until the units run out (the counter is
    shared by the workers; ``next`` on it is atomic under the interpreter lock)."""
    while (u := next(counter)) < len(units):
        fn(units[u], *args)


def _block_pre(B: _Block, x: torch.Tensor) -> torch.Tensor:
    """W x + b of block B's runs for the rows x [r, c, d], in B's activation buffer."""
    if B.b is None:
        return torch.bmm(x, B.Wt, out=B.h)
    return torch.baddbmm(B.b, x, B.Wt, out=B.h)


def _block_hidden(B: _Block, x: torch.Tensor) -> torch.Tensor:
    """φ(W x + b) of block B's runs for the rows x [r, c, d], in B's activation buffer."""
    return _block_pre(B, x).relu_()


def _run_blocks(
    plan: list[_Block],
    y: torch.Tensor | None,
    loss: Loss | None,
    scale: float | torch.Tensor,
    coeffs: torch.Tensor | None,
    psi_: Callable[[torch.Tensor], torch.Tensor] | None,
    lr: float | None = None,
) -> None:
    """The kernel on the given blocks (see :class:`Workspace`); with ``lr``, the blocks are one
    unit (whole runs) and its runs take their step after their last block."""
    for B in plan:
        if B.fused is not None and coeffs is None:
            _fused_block(B, y, loss, scale, psi_)
        else:
            _torch_block(B, y, loss, scale, coeffs, psi_)
        if lr is not None and B.upd is not None:  # elementwise: the same numbers as descend()
            fn, args = B.upd
            if fn is _descend_torch:
                fn(*args, lr)
            else:
                _c_call(DESCEND_ROWS, fn, (*args, lr))


def _torch_block(
    B: _Block,
    y: torch.Tensor | None,
    loss: Loss | None,
    scale: float | torch.Tensor,
    coeffs: torch.Tensor | None,
    psi_: Callable[[torch.Tensor], torch.Tensor] | None,
) -> None:
    """One block of the kernel with PyTorch ops (see :class:`Workspace`), or with the Triton
    pass for relu, readout and mask (:mod:`gpu_kernels`, ``Tuning.fused_gpu``)."""
    if B.gpu_fused and coeffs is None:
        if B.gpu_forward:  # f and M from X, W, b: H never written (M as bytes: B.mask8)
            h = B.h if B.mask8 is None else B.mask8
            gpu_kernels.forward_relu_readout_mask(B.xc, B.W, B.b1, B.a[..., 0], h, B.f0)
        else:  # f and M = 1[pre > 0] in one pass over pre
            h = _block_pre(B, B.xc)
            gpu_kernels.relu_readout_mask(h, B.a[..., 0], B.f0)
        c = _loss_coeffs(B, y, loss, scale, psi_)
        if B.gpu_backward:  # G (+)= [c x, c]ᵀ M, its right-hand side never written
            gpu_kernels.backward_gemm(B.xc, c[..., 0], h, B.G, B.first)
        else:
            _rhs(B, c)
            _gemm_acc(B.G, B.rhsT, h, B.first)
        return
    h = _block_hidden(B, B.xc)
    if coeffs is not None:
        c = coeffs[B.rs, B.ns]
    else:
        if B.mv is not None:
            for hi, ai, oi in B.mv:
                torch.mv(hi, ai, out=oi)
        elif B.out.is_contiguous():
            torch.bmm(h, B.a, out=B.out)
        else:
            B.out.copy_(torch.bmm(h, B.a))
        c = _loss_coeffs(B, y, loss, scale, psi_)
    if B.ga is not None:
        _gemm_acc(B.ga, B.hT, c, B.first)
    h.gt_(0)  # 1[pre > 0] as 0/1 of the float dtype, in place; B.hT now views Mᵀ
    if B.G is not None:  # one output
        _rhs(B, c)
        _gemm_acc(B.G, B.rhsT, h, B.first)  # this layout: ~15% faster than Mᵀ rhs
    else:
        delta = h.mul_(torch.bmm(c, B.aT, out=B.ca))
        _gemm_acc(B.gW, B.hT, B.xc, B.first)
        if B.gb is not None:
            if B.first:
                torch.sum(delta, 1, out=B.gb)
            else:
                B.gb += delta.sum(1)


def _loss_coeffs(
    B: _Block,
    y: torch.Tensor | None,
    loss: Loss | None,
    scale: float | torch.Tensor,
    psi_: Callable[[torch.Tensor], torch.Tensor] | None,
) -> torch.Tensor:
    """c = s ∂ℓ/∂f of block B from its outputs: with a margin loss ψ(−y f)·(−y s) (logistic:
    σ(−y f)·(−y s)) in B.c, else from the loss's derivative."""
    if psi_ is not None:
        psi_(torch.mul(B.f0, B.ny, out=B.c0)).mul_(B.nys)
        return B.c
    _, dl = loss.value_and_dloss(B.out, y[B.rs, B.ns])
    return dl.mul_(scale if isinstance(scale, float) else scale[B.rs, B.ns])


def _rhs(B: _Block, c: torch.Tensor) -> None:
    """The one-output backward GEMM's right-hand side [c ⊙ x, c] of block B."""
    torch.mul(B.xc, c, out=B.rhs_x)
    if B.rhs_c is not None:
        B.rhs_c.copy_(c[..., 0])


def _c_call(name: str, fn: Callable[..., None], args: tuple) -> None:
    """fn(*args), named for torch's profiler while :data:`NAME_C_PASSES` is on."""
    if NAME_C_PASSES:
        with record_function(name):
            fn(*args)
    else:
        fn(*args)


def _fused_block(
    B: _Block,
    y: torch.Tensor | None,
    loss: Loss | None,
    scale: float | torch.Tensor,
    psi_: Callable[[torch.Tensor], torch.Tensor] | None,
) -> None:
    """One block of the one-output kernel with the C passes (:mod:`cpu_kernels`): H = X Wᵀ + b;
    f = φ(H) a and H ← 1[H > 0] in one pass (with AVX-512: H, f and the mask in one pass, H
    never written); c; [c x, c]; G += [c x, c]ᵀ M."""
    relu_readout_mask, pass_args, scaled_rows, rhs_args, forward, forward_args = B.fused
    if forward_args is not None:
        _c_call(FORWARD_RELU_MASK, forward, forward_args)
    else:
        _block_pre(B, B.xc)
        _c_call(RELU_READOUT_MASK, relu_readout_mask, pass_args)
    c = _loss_coeffs(B, y, loss, scale, psi_)
    if psi_ is not None:  # c is in B.c, where the C loop reads it
        _c_call(SCALED_ROWS, scaled_rows, rhs_args)
    else:
        _rhs(B, c)
    _gemm_acc(B.G, B.rhsT, B.h, B.first)


def _gemm_acc(out: torch.Tensor, lhs: torch.Tensor, rhs: torch.Tensor, first: bool) -> None:
    """out = lhs @ rhs (first block) or out += lhs @ rhs (batched)."""
    if first:
        torch.bmm(lhs, rhs, out=out)
    else:
        out.baddbmm_(lhs, rhs)


def _workspace(p: Params, n: int, budget: int, ws: Workspace | None) -> Workspace:
    return ws if ws is not None and ws.fits(p, n) else Workspace(p, n, budget)


def gradients_from_coeffs(
    p: Params,
    x: torch.Tensor,
    coeffs: torch.Tensor,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
) -> dict[str, torch.Tensor]:
    """Closed-form gradients of Σ_i ⟨c_i, f(x_i)⟩ for given coefficients c [R, n, o]
    (c_i = s_i ∂ℓ_i/∂f gives the gradient of Σ_i s_i ℓ_i). Keys as :meth:`Params.trainable`."""
    ws = Workspace(p, x.shape[1], budget)
    ws.run(p, x, None, "", 1.0, coeffs=coeffs.to(x.dtype))
    return ws._gradients_in_place(p, budget)


def loss_gradients(
    p: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    objective: str,
    weights: torch.Tensor | None = None,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
    workspace: Workspace | None = None,
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Gradients of L = Σ_i s_i ℓ_i (s_i = 1/n unless ``weights`` [R, n] is given).

    Returns (grads, per-sample loss [R, n], outputs f [R, n, o]), in one pass over blocks.
    With a reused ``workspace`` the loss and outputs are views of its buffers (overwritten by
    its next use)."""
    n = x.shape[1]
    ws = _workspace(p, n, budget, workspace)
    scale = 1.0 / n if weights is None else weights.to(x.dtype)
    ws.run(p, x, y, objective, scale)
    return ws.gradients(p), ws.loss, ws.out


def descent_step(
    p: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    objective: str,
    lr: float,
    workspace: Workspace,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """One gradient step θ ← θ − α ∇L̂(θ) on ``p`` in place, L̂ = Σ_i s_i ℓ_i (s_i = 1/n
    unless ``weights``). Returns the per-sample losses ℓ_i [R, n] at θ before the step (a view
    of the workspace)."""
    n = x.shape[1]
    scale = 1.0 / n if weights is None else weights
    workspace.run(p, x, y, objective, scale)
    workspace.descend(p, lr)
    return workspace.loss
