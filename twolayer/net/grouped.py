"""Grouped gradients: one gradient per group of samples, in one pass.

For groups s = 0..S−1 of the entries of each run, g_s = Σ_{k: group_k = s} ⟨c_k, f(x_{i_k})⟩'s
gradient (flattened, W, b, a order). Sorting each run's entries by group makes every group a
contiguous range of rows, so one forward and one backward pass give all S gradients, and the
Gram matrix Γ_st = ⟨g_s, g_t⟩ follows block by block (:func:`grouped_gram`). A
:class:`GroupSplit` takes the same during a training step (:meth:`kernel.Workspace.run`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..lanes import pool
from . import gpu_kernels
from .cpu_kernels import forward_relu_mask_args, relu_readout_mask_args
from .kernel import Workspace, _Block, _block_hidden, _block_pre
from .model import _hidden_into
from .params import Params
from .plan import DEFAULT_CHUNK_ELEMENTS, block_shape, group_runs, tuning, worker_threads


class GroupSplit:
    """Per-group gradients taken during a step (:meth:`Workspace.run` with ``groups=``).

    Every sample i of run r is in one group groups[r, i] ∈ {0..S−1}; the samples of the groups
    ``repeat`` count once more, with other labels ``y_repeat`` (and the step's weights 1/n), in
    an extra group S (e.g. noisy samples once more with their clean labels). The step then also
    yields the float64 Gram matrix [R, S+1, S+1] of the S+1 group gradients of Σ_i ℓ_i/n, from
    the activation pattern it computes anyway.

    How: at such a step each run's samples enter the forward pass sorted by group (a row copy of
    x, d values per sample), the groups ``repeat`` last. The rows of M = 1[pre > 0] then come out
    grouped, so every group is one GEMM over a contiguous range of M, and the repeated group
    one GEMM over the tail; the step's gradient is the sum of the group gradients. No copy of
    M, no second forward or backward pass: the extra work is the GEMM of the repeated samples.
    Needs one output, a margin loss ℓ(y f) (:attr:`model.Loss.psi_`; the step's), a fixed
    second layer and whole runs per block (:meth:`Workspace.can_split`).
    """

    def __init__(self, groups: torch.Tensor, S: int, repeat: list[int], y_repeat: torch.Tensor):
        if bool(((groups < 0) | (groups >= S)).any()):
            raise ValueError("every sample needs a group in 0..S-1")
        self.S, self.repeat = S, sorted(set(repeat))
        g = groups.long()
        n = g.shape[1]
        twice = torch.isin(g, torch.tensor(self.repeat, dtype=torch.long, device=g.device))
        key = g + S * twice  # groups counted once first, the repeated groups last
        self.perm = torch.argsort(key, dim=1, stable=True)  # [R, n]: samples in group order
        counts = torch.zeros(g.shape[0], S, dtype=torch.long, device=g.device)
        counts.scatter_add_(1, g, torch.ones_like(g))
        order = [s for s in range(S) if s not in self.repeat] + self.repeat  # sorted order
        ends = torch.cumsum(counts[:, order], 1).tolist()
        self.ranges = []  # per run: (lo, hi) of each group s = 0..S−1 in the sorted samples
        for e in ends:
            rng = dict(zip(order, zip([0] + e[:-1], e)))
            self.ranges.append([rng[s] for s in range(S)])
        self.repeat_from = (n - twice.sum(1)).tolist()  # per run: the repeated rows' start
        offsets = n * torch.arange(g.shape[0], device=g.device).unsqueeze(1)
        self.flat = self.perm + offsets  # [R, n]: the same as rows of the [R·n] samples
        # −ỹ of the sorted samples (the repeated rows use it), labels ±1
        self.ny_repeat = -y_repeat.gather(1, self.perm)

    def block_plan(self, ws: Workspace, lanes: list[list[_Block]]) -> list[list]:
        """Per lane, the blocks with this grouping's views (:meth:`Workspace.run`)."""
        return _group_plan(ws, self, lanes)

    def kernel(self) -> Callable[..., None]:
        """The kernel that runs one lane's plan (looked up at call time)."""
        return _run_blocks_grouped


class _GroupBlock:
    """Views of one block for :func:`_run_blocks_grouped` (built once per training call)."""

    __slots__ = ("flat", "perm", "x_s", "x_flat", "f_s", "ny_s", "c_t", "alt_x", "alt_c",
                 "GT", "V", "nyt", "mv", "gemms", "empty", "batched", "alt", "fused", "forward")


def _padded_groups(spec: GroupSplit, rs: slice, n: int, device: torch.device, dtype: torch.dtype
                   ) -> list[tuple[int, bool, torch.Tensor, torch.Tensor, int]]:
    """Per group s = 0..S (S: the repeated rows) with rows in some run of ``rs``: (s, whether
    it reads the repeated rows' coefficients, the flat row index [r·L] of a window of
    L = the group's largest count in the block starting at each run's range, 0/1 weights
    [r, L, 1] that zero the padding, L). One gather and one batched GEMM per group then take
    every run's group gradient at once."""
    runs = range(rs.start, rs.stop)
    spans = [[spec.ranges[r][s] for r in runs] for s in range(spec.S)]
    spans.append([(spec.repeat_from[r], n) for r in runs])
    out = []
    for s, span in enumerate(spans):
        L = max(hi - lo for lo, hi in span)
        if L == 0:
            continue
        j = torch.arange(L, device=device)
        lo = torch.tensor([a for a, _ in span], device=device).unsqueeze(1)
        count = torch.tensor([b - a for a, b in span], device=device).unsqueeze(1)
        base = n * torch.arange(len(span), device=device).unsqueeze(1)
        idx = (base + (lo + j).clamp(max=n - 1)).reshape(-1)
        valid = (j < count).to(dtype).unsqueeze(-1)
        out.append((s, s == spec.S, idx, valid, L))
    return out


def _group_plan(ws: Workspace, spec: GroupSplit, lanes: list[list[_Block]]) -> list[list]:
    """Per lane, (block, its :class:`_GroupBlock`) pairs: lane buffers for the sorted rows,
    outputs, coefficients and group gradients, and every run's group GEMMs as ready views."""
    S = spec.S
    ny_repeat = spec.ny_repeat.to(ws.out.dtype)
    batched = tuning().batched_groups
    if batched is None:
        batched = ws.out.device.type != "cpu"
    plan = []
    for lane, todo in enumerate(lanes):
        units = todo if ws.units is not None else None  # dynamic lanes: lists of units
        if units is not None:
            todo = [B for unit in units for B in unit]
        if not todo:
            plan.append([])
            continue
        _, n, d = todo[0].xc.shape
        rc = max(B.xc.shape[0] for B in todo)
        m, dd = todo[0].h.shape[2], todo[0].rhs.shape[2]
        new = todo[0].xc.new_empty
        xs, fs, ys, ct = new(rc * n, d), new(rc, n), new(rc, n), new(rc, n)
        alt, GT = new(rc, n, dd), new(rc, S + 1, dd, m)
        V = new(rc, S + 1, dd * m, dtype=torch.float64)
        pairs = []
        for B in todo:
            rows = B.xc.shape[0]
            g = _GroupBlock()
            g.flat = spec.flat[B.rs].reshape(-1)
            g.perm = spec.perm[B.rs]
            g.x_flat = xs[: rows * n]
            g.x_s = g.x_flat.view(rows, n, d)
            g.f_s, g.ny_s, g.c_t = fs[:rows], ys[:rows], ct[:rows]
            g.alt_x, g.alt_c = alt[:rows, :, :d], (alt[:rows, :, d] if dd > d else None)
            g.GT = GT[:rows]
            g.V = V[:rows]
            g.nyt = ny_repeat[B.rs]
            g.gemms, g.empty, g.batched, g.mv, g.fused, g.forward = [], [], None, None, None, None
            g.alt = alt[:rows]
            if batched:  # one padded GEMM per group for all the block's runs
                g.batched = _padded_groups(spec, B.rs, n, xs.device, xs.dtype)
                have = {s for s, *_ in g.batched}
                g.empty = [g.GT[:, s] for s in range(S + 1) if s not in have]
                pairs.append((B, g))
                continue
            g.mv = [(B.h[i], B.a[i, :, 0], g.f_s[i]) for i in range(rows)]
            g.fused = None  # relu, readout into f_s and mask in one C pass (kernel._fused_block)
            if ws.fused is not None:
                try:
                    g.fused = relu_readout_mask_args(B.h, B.a[..., 0], g.f_s)
                    if ws.scratch is not None:  # with AVX-512: the forward GEMM in that pass
                        g.forward = forward_relu_mask_args(
                            g.x_s, B.Wt.transpose(1, 2), None if B.b is None else B.b[:, 0],
                            B.a[..., 0], B.h, g.f_s, ws.scratch[lane])
                except ValueError:
                    g.fused = g.forward = None
            for i in range(rows):
                r = B.rs.start + i
                for s, (a0, a1) in enumerate(spec.ranges[r]):
                    if a1 > a0:
                        g.gemms.append((B.rhs[i, a0:a1].t(), B.h[i, a0:a1], g.GT[i, s]))
                    else:
                        g.empty.append(g.GT[i, s])
                lo = spec.repeat_from[r]
                if lo < n:  # the repeated rows, with the labels ỹ
                    g.gemms.append((alt[i, lo:].t(), B.h[i, lo:], g.GT[i, S]))
                else:
                    g.empty.append(g.GT[i, S])
            pairs.append((B, g))
        if units is not None:  # back into units, as the lane's blocks came
            it = iter(pairs)
            pairs = [[next(it) for _ in unit] for unit in units]
        plan.append(pairs)
    return plan


def _run_blocks_grouped(pairs: list[tuple[_Block, _GroupBlock]], ws: Workspace, S: int) -> None:
    """The kernel with the group gradients of :class:`GroupSplit` (whole runs per block, one
    output, a margin loss with ψ(u) = −ℓ'(−u) = ``ws.psi_``, s_i = 1/n, a fixed second layer) on
    the given blocks.

    Per block, each run's samples are copied in group order (x_π, with π = ``spec.perm``);
    pre, φ and M = 1[pre > 0] are computed on the sorted rows as usual, f goes back to its
    samples (f_π(k) = f_k), c = ψ(−y f)·(−y/n) (logistic: −y σ(−y f)/n) is formed in sorted
    order, and then per run

        G_s = [c ⊙ x, c]ᵀ_{range s} M_{range s}  (s < S),   G_S = [c̃ ⊙ x, c̃]ᵀ_{tail} M_{tail},

    with c̃ = ψ(−ỹ f)·(−ỹ/n) (the repeated groups form the tail). The step's gradient is
    Σ_{s<S} G_s; the Gram matrix weighs entry (k, j) by a_j² (W and b parts alike), i.e.
    Γ = V Vᵀ with V_s = G_s |a| flattened, in float64. Apart from the group GEMMs and the
    readout, everything is one op per block (the worker threads share the interpreter)."""
    psi_ = ws.psi_
    for B, g in pairs:
        n = B.xc.shape[1]
        torch.index_select(ws.x_rows, 0, g.flat, out=g.x_flat)  # x in group order
        if g.forward is not None:  # pre, f and the mask M in one C pass (the step's own)
            ws.fused.forward_relu_mask(*g.forward)
            h = B.h
        elif g.fused is not None:  # f and the mask M in one C pass over pre
            h = _block_pre(B, g.x_s)
            ws.fused.relu_readout_mask(*g.fused)
        elif B.gpu_fused:  # the same in one Triton pass (gpu_kernels, Tuning.fused_gpu)
            h = _block_pre(B, g.x_s)
            gpu_kernels.relu_readout_mask(h, B.a[:, :, 0], g.f_s)
        else:
            h = _block_hidden(B, g.x_s)
            if g.mv is None:
                torch.bmm(h, B.a, out=g.f_s.unsqueeze(-1))
            else:
                for hi, ai, fi in g.mv:
                    torch.mv(hi, ai, out=fi)
        f_s, ny_s, c = g.f_s, g.ny_s, B.c0
        ws.out_flat.index_copy_(0, g.flat, f_s.view(-1))  # f back to its samples
        torch.gather(B.ny, 1, g.perm, out=ny_s)  # −y, sorted
        psi_(torch.mul(f_s, ny_s, out=c))  # c = ψ(−y f)·(−y s), sorted
        torch.gather(B.nys, 1, g.perm, out=ny_s)  # −y s, sorted
        c.mul_(ny_s)
        if g.fused is None and not B.gpu_fused:
            h.gt_(0)
        torch.mul(g.x_s, c.unsqueeze(-1), out=B.rhs_x)
        if B.rhs_c is not None:
            B.rhs_c.copy_(c)
        psi_(torch.mul(f_s, g.nyt, out=g.c_t)).mul_(g.nyt).div_(n)  # c̃ = ψ(−ỹ f)·(−ỹ/n)
        torch.mul(g.x_s, g.c_t.unsqueeze(-1), out=g.alt_x)
        if g.alt_c is not None:
            g.alt_c.copy_(g.c_t)
        for lhs, mask, out in g.gemms:
            torch.mm(lhs, mask, out=out)
        if g.batched is not None:
            _batched_group_gemms(B, g, h)
        for out in g.empty:
            out.zero_()
        torch.sum(g.GT[:, :S], 1, out=B.G)  # the step's own gradient: all samples once
        torch.mul(g.GT, B.a[:, None, None, :, 0].abs(), out=g.V.view(g.GT.shape))  # float64
        torch.bmm(g.V, g.V.transpose(1, 2), out=ws.gram[B.rs])


def _batched_group_gemms(B: _Block, g: _GroupBlock, mask: torch.Tensor) -> None:
    """G_s = [c ⊙ x, c]ᵀ M over each group's window of every run of the block, padded rows
    weighted 0: per group one row gather of M and of the coefficients, and one batched GEMM."""
    rows, n, m = mask.shape
    dd = B.rhs.shape[2]
    m_flat = mask.reshape(rows * n, m)
    own, alt = B.rhs.reshape(rows * n, dd), g.alt.reshape(rows * n, dd)
    for s, repeated, idx, valid, L in g.batched:
        lhs = (alt if repeated else own).index_select(0, idx).view(rows, L, dd).mul_(valid)
        g.GT[:, s] = torch.bmm(lhs.transpose(1, 2), m_flat.index_select(0, idx).view(rows, L, m))


def grouped_gradients(
    p: Params,
    x: torch.Tensor,
    groups: torch.Tensor,
    coeffs: torch.Tensor,
    num_groups: int,
    rows: torch.Tensor | None = None,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
) -> torch.Tensor:
    """[S, R, P]: flattened gradients (W, b, a order) of g_s = Σ_{k: group_k = s} ⟨c_k, f(x_{i_k})⟩
    for the groups s = 0..S−1, S = ``num_groups``.

    Entry k of run r names a sample i_k = rows[r, k] (rows [R, K]; default k itself), its group
    groups[r, k] ∈ {0..S−1} (−1: not used) and its coefficients c_k = coeffs[r, k] [o]. A sample
    may appear in several entries (with other coefficients). Each run's entries are sorted by
    group, so that one forward and one backward pass over the entries give all S gradients —
    not S passes over masked copies of the data. Blocks of runs are padded to the block's
    largest group with zero coefficients."""
    lay = _GroupLayout(p, x, groups, coeffs, num_groups, rows, budget)
    out = x.new_empty(num_groups, x.shape[0], lay.P)

    def consume(rs: slice, g: torch.Tensor, lane: int) -> None:
        out[:, rs] = g

    lay.run(consume)
    return out


def grouped_gram(
    p: Params,
    x: torch.Tensor,
    groups: torch.Tensor,
    coeffs: torch.Tensor,
    num_groups: int,
    rows: torch.Tensor | None = None,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
) -> torch.Tensor:
    """[R, S, S] float64: Γ_st = ⟨g_s, g_t⟩ for the group gradients of :func:`grouped_gradients`,
    block by block, without ever holding all S·R·P gradient entries. Every norm, cosine and
    projection of sums of group gradients follows: ‖Σ_s u_s g_s‖² = uᵀ Γ u. The products are
    summed in float64, so such norms are as accurate as the group gradients themselves."""
    lay = _GroupLayout(p, x, groups, coeffs, num_groups, rows, budget)
    gram = torch.empty(x.shape[0], num_groups, num_groups, dtype=torch.float64, device=x.device)
    g64 = [x.new_empty(lay.rc, num_groups, lay.P, dtype=torch.float64)
           for _ in range(max(1, lay.workers))]

    def consume(rs: slice, g: torch.Tensor, lane: int) -> None:
        gb = g64[lane][: g.shape[1]]
        gb.copy_(g.transpose(0, 1))  # [rb, S, P]
        torch.bmm(gb, gb.transpose(1, 2), out=gram[rs])

    lay.run(consume)
    return gram


class _GroupLayout:
    """The entries of :func:`grouped_gradients` sorted by group and laid out block by block.

    The layout is built for a batch of runs at a time (about ``Tuning.layout_entries``), so
    its index tensors stay bounded whatever n is."""

    def __init__(self, p: Params, x: torch.Tensor, groups: torch.Tensor, coeffs: torch.Tensor,
                 S: int, rows: torch.Tensor | None, budget: int):
        R, n, d = x.shape
        m, o = p.m, p.outputs
        self.p, self.x, self.S, self.budget = p, x, S, budget
        self.groups, self.coeffs, self.rows = groups, coeffs, rows
        self.P = m * d + (m if p.b is not None else 0) + (m * o if p.train_a else 0)
        k = worker_threads(R, n, m, budget, x.device)
        rc, nc = block_shape(R, n, m, budget, x.device, threads=1)
        # a run's groups accumulate over its chunks: lanes take whole runs, or there is one lane
        self.workers = k if nc == n and -(-R // rc) >= 2 else 0
        if not self.workers:
            rc, nc = block_shape(R, n, m, budget, x.device)
        # per lane S·rc·P group gradients in float32, their [c ⊙ x, c]ᵀ M form (about as many)
        # and, for the Gram matrix, a float64 copy: 2·S·P 8-byte elements per run
        rc = group_runs(rc, 2 * S * self.P, budget, x.device)
        self.rc, self.nc = rc, nc
        # a block's entries (about n plus the duplicates) may exceed the nominal block by a
        # quarter before they are split: one GEMM over 1.1 n rows beats two over n and 0.1 n
        self.cap = max(rc * nc, min(budget // m, (5 * rc * nc) // 4))

    def _layout(self, runs: slice) -> None:
        """Sorted, padded entries of the given runs (whole blocks): sets ``bounds`` (per
        block, the end of each group's range), ``idx`` [r, T] (sample of each entry) and
        ``cb`` [r, T, o] (its coefficients, 0 for padding)."""
        S, rc, x = self.S, self.rc, self.x
        dev, dt, o = x.device, x.dtype, self.p.outputs
        groups = self.groups[runs]
        R, K = groups.shape
        rows = self.rows[runs] if self.rows is not None else None
        if rows is None:
            rows = torch.arange(K, device=dev).expand(R, K)
        # sort each run's entries by group (unused entries last)
        key = torch.where((groups >= 0) & (groups < S), groups, S).long()
        order = torch.argsort(key, dim=1, stable=True)
        counts = torch.zeros(R, S + 1, dtype=torch.long, device=dev)
        counts = counts.scatter_add_(1, key, torch.ones_like(key))[:, :S]  # [R, S]
        del key
        starts = torch.cumsum(counts, 1) - counts
        # a block of runs: group s occupies the same entry range in all its runs, as long as
        # the block's largest count of s; shorter runs are padded (coefficient 0)
        nb = -(-R // rc)
        block_of = torch.arange(R, device=dev) // rc
        padded = counts.new_zeros(nb * rc, S)
        padded[:R] = counts
        sizes = padded.view(nb, rc, S).amax(1)  # [nb, S]
        ends = torch.cumsum(sizes, 1)
        self.bounds = ends.tolist()  # one host sync for all blocks of the batch
        T = max(1, max(b[-1] for b in self.bounds))
        ends_r = ends[block_of]  # [R, S]
        t = torch.arange(T, device=dev).expand(R, T).contiguous()
        g = torch.searchsorted(ends_r, t, right=True)  # group of entry t (S: past the end)
        valid = g < S
        g.clamp_(max=S - 1)
        t -= (ends_r - sizes[block_of]).gather(1, g)  # now: position within its group
        valid &= t < counts.gather(1, g)
        t += starts.gather(1, g)  # now: position in the sorted entries
        del g
        src = order.gather(1, t.masked_fill_(~valid, 0))  # the entry itself
        del order, t
        self.idx = rows.gather(1, src)
        self.cb = self.coeffs[runs].to(dt).gather(1, src.unsqueeze(-1).expand(-1, -1, o))
        self.cb *= valid.unsqueeze(-1).to(dt)

    def run(self, consume) -> None:
        """consume(runs, [S, rb, P] group gradients, lane) for every block of runs, on the
        worker threads when there are any (the tensor is a buffer reused by that lane)."""
        R, K = self.groups.shape
        rc = self.rc
        per_batch = rc * max(1, tuning().layout_entries // max(1, rc * K))  # whole blocks
        for b0 in range(0, R, per_batch):
            batch = slice(b0, min(R, b0 + per_batch))
            self._layout(batch)
            starts = list(range(batch.start, batch.stop, rc))
            if self.workers:
                k = self.workers
                pool(k).map(self._lane, [(starts[i::k], consume, i, b0) for i in range(k)])
            else:
                self._lane(starts, consume, 0, b0)

    def _lane(self, block_starts: list[int], consume, lane: int, b0: int) -> None:
        p, x, S, rc, cap = self.p, self.x, self.S, self.rc, self.cap
        R, n, d = x.shape
        m, o = p.m, p.outputs
        bias = p.b is not None
        out = x.new_empty(S, rc, self.P)
        if o == 1:
            G = x.new_empty(S, rc, d + int(bias), m)  # [c ⊙ x, c]ᵀ M per group
        else:
            gW = x.new_empty(S, rc, m, d)
            gb = x.new_empty(S, rc, m) if bias else None
        ga = x.new_empty(S, rc, m, o) if p.train_a else None
        buf = x.new_empty(cap * m)
        rhs_buf = x.new_empty(cap * (d + int(bias))) if o == 1 else None
        for r0 in block_starts:
            rs = slice(r0, min(R, r0 + rc))  # runs of x and p
            ls = slice(r0 - b0, rs.stop - b0)  # the same runs in the batch's layout
            rb, bounds = rs.stop - rs.start, self.bounds[(r0 - b0) // rc]
            total = bounds[-1]
            accs = [G] if o == 1 else [gW] + ([gb] if bias else [])
            for acc in accs + ([ga] if ga is not None else []):
                acc[:, :rb].zero_()
            lo_s = [0] + bounds[:-1]
            x_rows = x[rs].reshape(rb * n, d)
            offsets = n * torch.arange(rb, device=x.device).unsqueeze(1)
            step = max(1, cap // rb)
            for c0 in range(0, total, step):
                c1 = min(total, c0 + step)
                # the chunk's entries as rows of x (row copies: much faster than a gather)
                rows_c = (self.idx[ls, c0:c1] + offsets).flatten()
                xc = x_rows.index_select(0, rows_c).view(rb, c1 - c0, d)
                cc = self.cb[ls, c0:c1]
                h = _hidden_into(p, rs, xc, buf[: rb * (c1 - c0) * m].view(rb, c1 - c0, m))
                parts = [
                    (s, max(lo_s[s], c0) - c0, min(bounds[s], c1) - c0)
                    for s in range(S)
                    if max(lo_s[s], c0) < min(bounds[s], c1)
                ]
                if ga is not None:
                    for s, lo, hi in parts:
                        ga[s, :rb].baddbmm_(h[:, lo:hi].transpose(1, 2), cc[:, lo:hi])
                mask = h.gt_(0)
                if o == 1:
                    rhs = rhs_buf[: rb * (c1 - c0) * (d + int(bias))].view(rb, c1 - c0, -1)
                    torch.mul(xc, cc, out=rhs[..., :d])
                    if bias:
                        rhs[..., d] = cc[..., 0]
                    for s, lo, hi in parts:
                        G[s, :rb].baddbmm_(rhs[:, lo:hi].transpose(1, 2), mask[:, lo:hi])
                else:
                    delta = mask.mul_(torch.bmm(cc, p.a[rs].transpose(1, 2)))
                    for s, lo, hi in parts:
                        gW[s, :rb].baddbmm_(delta[:, lo:hi].transpose(1, 2), xc[:, lo:hi])
                        if gb is not None:
                            gb[s, :rb] += delta[:, lo:hi].sum(1)
            ob = out[:, :rb]
            a = p.a[rs]
            if o == 1:
                torch.mul(a, G[:, :rb, :d].transpose(-1, -2),
                          out=ob[..., : m * d].unflatten(-1, (m, d)))
                if bias:
                    torch.mul(a[..., 0], G[:, :rb, d], out=ob[..., m * d : m * d + m])
            else:
                ob[..., : m * d] = gW[:, :rb].flatten(2)
                if bias:
                    ob[..., m * d : m * d + m] = gb[:, :rb]
            if ga is not None:
                ob[..., self.P - m * o :] = ga[:, :rb].flatten(2)
            consume(rs, ob, lane)
