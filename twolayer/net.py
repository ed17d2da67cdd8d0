"""The two-layer ReLU ensemble: parameters, initialisation, forward pass, closed-form gradients.

R independent networks live in one set of tensors: W [R, m, d], a [R, m, o], b [R, m] or None,
with o = 1 output (binary, labels ±1) or o = K (softmax). Network r computes

    f_r(x) = Σ_j a_rj φ(⟨w_rj, x⟩ + b_rj),   φ = relu, φ'(0) = 0.

Loss of a sample, with per-sample weights s_i (1/n for the mean loss):
    logistic  ℓ_i = log(1 + exp(−y_i f(x_i))),  ∂ℓ_i/∂f = −y_i σ(−y_i f(x_i));
    softmax   ℓ_i = −log softmax(f(x_i))_{y_i},   ∂ℓ_i/∂f_k = softmax_k − 1[k = y_i].
With c_i = s_i ∂ℓ_i/∂f ∈ R^o and δ_ij = ⟨a_j, c_i⟩ φ'(⟨w_j, x_i⟩ + b_j) the closed-form gradients
are

    ∇_W = Σ_i δ_i x_iᵀ,   ∇_b = Σ_i δ_i,   ∇_a = Σ_i φ(W x_i + b) c_iᵀ,

computed block by block over runs × samples (:func:`block_shape`, :class:`Workspace`), so
the [R, n, m] activations never exist at once: the memory is bounded, and on a CPU a block
stays in cache through the passes of a step. Autograd is only the test oracle. Per-sample
gradient norms use ‖g_i‖² = ‖δ_i‖²(‖x_i‖² + 1[bias]) + ‖c_i‖²‖φ_i‖²·1[a trains], never
materialising per-sample gradients.
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from .config import NetConfig
from .seeding import generator

# Memory budget of one chunk: R · chunk · m activation elements (64 MiB in float32).
DEFAULT_CHUNK_ELEMENTS = 1 << 24
# CPU: activation elements per core in one block (4 MiB in float32; tuned on a 2-core EPYC).
CACHE_BLOCK_ELEMENTS = 1 << 20
# CPU: share blocks of runs out to one worker thread per core (see _Pool); False: OpenMP only.
THREADED = True
# CPU: the workers take the next block of runs from a shared counter (a slow core takes fewer),
# instead of a fixed share each (False). Only when the lanes do not split samples.
DYNAMIC = True
# CPU: the worker threads are used from this many [R, n, m] activation elements on.
WORKER_MIN_ELEMENTS = 1 << 22
# Entries (runs × samples) of the grouped segment pass laid out at once (bounds its indices).
LAYOUT_ENTRIES = 1 << 18


@dataclass(frozen=True)
class Params:
    """Parameters of R networks. ``train_a``/``train_b`` say which of a, b are trained."""

    W: torch.Tensor  # [R, m, d]
    a: torch.Tensor  # [R, m, o]
    b: torch.Tensor | None  # [R, m] or None (no bias)
    train_a: bool = False

    @property
    def runs(self) -> int:
        return self.W.shape[0]

    @property
    def m(self) -> int:
        return self.W.shape[1]

    @property
    def outputs(self) -> int:
        return self.a.shape[2]

    def clone(self) -> Params:
        return replace(
            self,
            W=self.W.clone(),
            a=self.a.clone(),
            b=None if self.b is None else self.b.clone(),
        )

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Params:
        return replace(
            self,
            W=self.W.to(device, dtype),
            a=self.a.to(device, dtype),
            b=None if self.b is None else self.b.to(device, dtype),
        )

    def select(self, runs: list[int] | slice) -> Params:
        return replace(
            self, W=self.W[runs], a=self.a[runs], b=None if self.b is None else self.b[runs]
        )

    def trainable(self) -> dict[str, torch.Tensor]:
        """The trained tensors by name: W always, a and b when they train."""
        out = {"W": self.W}
        if self.b is not None:
            out["b"] = self.b
        if self.train_a:
            out["a"] = self.a
        return out


def init_params(
    cfg: NetConfig, d: int, seeds: list[int], init_var: float, dtype: torch.dtype = torch.float32
) -> Params:
    """Initialise R = len(seeds) networks on the CPU, each from its own seed.

    W_jk ~ N(0, ω_init²) with ω_init² = ``init_var``; b = 0; a as in ``cfg.second_layer``:
    "frei" gives a_j = +1/√m (j < m/2) and −1/√m (j ≥ m/2), "gaussian" gives a_jk ~ N(0, 1/m).
    """
    m, o = cfg.m, cfg.outputs
    Ws, As = [], []
    for s in seeds:
        g = generator(s, "init")
        Ws.append(torch.randn(m, d, generator=g, dtype=dtype) * math.sqrt(init_var))
        if cfg.second_layer == "frei":
            a = torch.full((m, o), 1.0 / math.sqrt(m), dtype=dtype)
            a[m // 2 :] *= -1.0
        else:
            a = torch.randn(m, o, generator=g, dtype=dtype) / math.sqrt(m)
        As.append(a)
    W = torch.stack(Ws)
    b = torch.zeros(len(seeds), m, dtype=dtype) if cfg.bias else None
    return Params(W=W, a=torch.stack(As), b=b, train_a=cfg.train_second_layer)


def chunks(n: int, runs: int, m: int, budget: int = DEFAULT_CHUNK_ELEMENTS) -> Iterator[slice]:
    """Slices of the sample axis so that runs · len(slice) · m ≤ budget (at least one sample)."""
    size = max(1, budget // max(1, runs * m))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def block_shape(
    runs: int,
    n: int,
    m: int,
    budget: int = DEFAULT_CHUNK_ELEMENTS,
    device: torch.device | None = None,
    threads: int | None = None,
) -> tuple[int, int]:
    """(runs, samples) of one block of the [R, n, m] activations: at most ``budget`` elements
    (at least one sample of one run). On the CPU a block is also kept near
    ``CACHE_BLOCK_ELEMENTS`` per intra-op thread, so that it stays in cache between the passes
    of one step (measured: ~2.5× faster than one huge block); on a GPU the budget alone rules.
    Whole runs are preferred (every run's samples in one block, several runs per block)."""
    limit = max(1, budget)
    if device is None or device.type == "cpu":
        threads = torch.get_num_threads() if threads is None else threads
        limit = min(limit, CACHE_BLOCK_ELEMENTS * max(1, threads))
    per_run = max(1, n * m)
    if per_run <= limit:
        return max(1, min(runs, limit // per_run)), n
    return 1, max(1, min(n, limit // max(1, m)))


def blocks(runs: int, n: int, shape: tuple[int, int]) -> Iterator[tuple[slice, slice]]:
    """(run slice, sample slice) pairs covering [0, runs) × [0, n), samples varying fastest."""
    rc, nc = shape
    for r0 in range(0, runs, rc):
        rs = slice(r0, min(runs, r0 + rc))
        for n0 in range(0, n, nc):
            yield rs, slice(n0, min(n, n0 + nc))


def preactivation(p: Params, x: torch.Tensor) -> torch.Tensor:
    """[R, n, m]: ⟨w_j, x_i⟩ + b_j."""
    pre = torch.bmm(x, p.W.transpose(1, 2))
    if p.b is not None:
        pre = pre + p.b.unsqueeze(1)
    return pre


def _hidden_into(p: Params, rs: slice, xc: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """φ(W x + b) of the runs ``rs`` for the samples xc [r, c, d], written into ``out``."""
    Wt = p.W[rs].transpose(1, 2)
    if p.b is None:
        torch.bmm(xc, Wt, out=out)
    else:
        torch.baddbmm(p.b[rs].unsqueeze(1), xc, Wt, out=out)
    return out.relu_()


def _readout_into(h: torch.Tensor, a: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """out = f = h a: [r, c, m] × [r, m, o] → [r, c, o]. One output on the CPU uses one
    matrix–vector product per run (no temporary; a batched bmm with one column is ~3× slower)."""
    if a.shape[2] == 1 and h.device.type == "cpu" and out.is_contiguous():
        for i in range(h.shape[0]):
            torch.mv(h[i], a[i, :, 0], out=out[i, :, 0])
        return out
    return out.copy_(torch.bmm(h, a))


def forward(p: Params, x: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS) -> torch.Tensor:
    """f(x) for every run: [R, n, o]. x is [R, n, d]."""
    R, n = x.shape[:2]
    out = x.new_empty(R, n, p.outputs)
    k = worker_threads(R, n, p.m, budget, x.device)
    shape, lanes, split = lane_plan(R, n, p.m, budget, x.device, k)

    def lane(mine: list[tuple[slice, slice]], counter: Iterator[int] | None = None) -> None:
        """The blocks ``mine`` in turn, or (with ``counter``) the next one until none is left."""
        buf = x.new_empty(shape[0], shape[1], p.m)

        def block(rs: slice, ns: slice) -> None:
            xc = x[rs, ns]
            h = _hidden_into(p, rs, xc, buf[: xc.shape[0], : xc.shape[1]])
            _readout_into(h, p.a[rs], out[rs, ns])

        if counter is None:
            for rs, ns in mine:
                block(rs, ns)
        else:
            while (u := next(counter)) < len(mine):
                block(*mine[u])

    if len(lanes) > 1 and DYNAMIC and not split:  # blocks from a shared counter
        every = sorted((b for mine in lanes for b in mine), key=lambda b: (b[0].start, b[1].start))
        counter = itertools.count()
        _pool(len(lanes)).map(lane, [(every, counter) for _ in lanes])
    elif len(lanes) > 1:  # the lanes write disjoint blocks of the output
        _pool(len(lanes)).map(lane, [(mine,) for mine in lanes])
    else:
        lane(lanes[0])
    return out


def loss_and_dloss(
    out: torch.Tensor, y: torch.Tensor, objective: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample loss ℓ_i [R, n] and ∂ℓ_i/∂f [R, n, o] for labels y [R, n]."""
    if objective == "logistic":
        z = y.to(out.dtype) * out[..., 0]
        loss = torch.nn.functional.softplus(-z)
        dl = (-y.to(out.dtype) * torch.sigmoid(-z)).unsqueeze(-1)
        return loss, dl
    if objective == "softmax":
        cls = labels_to_classes(y, out.shape[-1])
        logp = torch.log_softmax(out, dim=-1)
        loss = -logp.gather(-1, cls.unsqueeze(-1)).squeeze(-1)
        dl = logp.exp()
        dl.scatter_add_(-1, cls.unsqueeze(-1), -torch.ones_like(loss).unsqueeze(-1))
        return loss, dl
    raise ValueError(f"unknown objective {objective!r}")


def sample_loss(out: torch.Tensor, y: torch.Tensor, objective: str) -> torch.Tensor:
    """Per-sample loss ℓ_i [R, n] (as in :func:`loss_and_dloss`, without the derivative)."""
    if objective == "logistic":
        return torch.nn.functional.softplus(-(y.to(out.dtype) * out[..., 0]))
    if objective == "softmax":
        cls = labels_to_classes(y, out.shape[-1])
        return -torch.log_softmax(out, dim=-1).gather(-1, cls.unsqueeze(-1)).squeeze(-1)
    raise ValueError(f"unknown objective {objective!r}")


def _scaled_dloss(
    f: torch.Tensor, y: torch.Tensor, objective: str, scale: float | torch.Tensor
) -> torch.Tensor:
    """c = s ∂ℓ/∂f [r, c, o] with few small ops (logistic labels ``y`` already in f's dtype)."""
    if objective == "logistic":
        c = torch.mul(f[..., 0], y).neg_().sigmoid_().mul_(y)  # y σ(−y f) = −∂ℓ/∂f
        c = c.mul_(-scale) if isinstance(scale, float) else c.mul_(scale[..., 0]).neg_()
        return c.unsqueeze(-1)
    _, dl = loss_and_dloss(f, y, objective)
    return dl.mul_(scale)


def labels_to_classes(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class indices 0..K−1 from labels. K = 2 labels are always ±1 (+1 → 0, −1 → 1), decided
    per label, never from the batch (a chunk or minibatch of only +1 labels is still class 0)."""
    if k == 2:
        return (y < 0).long()
    return y.long()


def predict(out: torch.Tensor) -> torch.Tensor:
    """Predicted labels: sgn f (ties → −1) for one output, argmax for K."""
    if out.shape[-1] == 1:
        return torch.where(out[..., 0] > 0, 1, -1)
    return out.argmax(dim=-1)


def errors(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """[R, n] bool: prediction ≠ label (labels ±1 for one output, class indices for K)."""
    pred = predict(out)
    if out.shape[-1] != 1:
        y = labels_to_classes(y, out.shape[-1])
    return pred != y


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


class _Block:
    """Views of one block of the kernel: the block's samples, parameters and buffers."""

    __slots__ = ("rs", "ns", "first", "xc", "Wt", "b", "h", "hT", "a", "aT", "out", "f0", "mv",
                 "c", "c0", "ny", "nys", "rhs", "rhs_x", "rhs_c", "rhsT", "G", "ca", "gW", "gb",
                 "ga")


class _Pool:
    """k daemon threads, each running torch ops on one intra-op thread of its own.

    On a CPU with k cores, k independent streams of single-threaded ops (each on its own blocks
    of runs) beat one stream of ops that are each split over k OpenMP threads: no barrier per
    op, and every block stays in the cache of the core that made it. The calling thread keeps
    its own intra-op setting."""

    def __init__(self, k: int):
        self.k = k
        self.tasks: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(k)]
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()  # one caller at a time
        threads = torch.get_num_threads()
        ready = threading.Barrier(k + 1)
        for i in range(k):
            threading.Thread(target=self._loop, args=(i, ready), daemon=True,
                             name=f"twolayer-worker-{i}").start()
        ready.wait()
        torch.set_num_threads(threads)  # the process default, for threads started later

    def _loop(self, i: int, ready: threading.Barrier) -> None:
        _IN_WORKER.active = True
        torch.set_num_threads(1)  # this thread's OpenMP and MKL setting
        torch.set_grad_enabled(False)  # grad mode is per thread
        ready.wait()
        while True:
            fn, args = self.tasks[i].get()
            try:
                fn(*args)
                self.done.put(None)
            except BaseException as e:  # re-raised in the caller
                self.done.put(e)

    def map(self, fn, parts: list[tuple]) -> None:
        """fn(*parts[i]) on worker i, for all i at once; returns when all are done."""
        with self.lock:
            for i, args in enumerate(parts):
                self.tasks[i].put((fn, args))
            errors: list[BaseException | None] = []
            interrupt: BaseException | None = None
            while len(errors) < len(parts):
                try:
                    errors.append(self.done.get())
                except BaseException as e:  # Ctrl-C / SIGTERM while the workers run torch ops:
                    # wait for them before unwinding, or the interpreter may finalise under a
                    # running op and abort the process ("terminate called without an active
                    # exception", exit 134) instead of exiting 130 / 143
                    interrupt = interrupt or e
            if interrupt is not None:
                raise interrupt
        for e in errors:
            if e is not None:
                raise e


_POOLS: dict[tuple[int, int], _Pool] = {}
_IN_WORKER = threading.local()
_POOL_LOCK = threading.Lock()


def _pool(k: int) -> _Pool:
    """The process's pool of k workers (a forked child starts its own: threads do not fork)."""
    key = (k, os.getpid())
    with _POOL_LOCK:
        if key not in _POOLS:
            _POOLS[key] = _Pool(k)
        return _POOLS[key]


def worker_threads(runs: int, n: int, m: int, budget: int, device: torch.device) -> int:
    """How many worker threads the kernels use: the intra-op thread count on a CPU (0 on a GPU,
    with one intra-op thread, with ``THREADED`` off, inside a worker, or for less than
    ``WORKER_MIN_ELEMENTS`` activations, where a step takes a millisecond or two and OpenMP
    inside each op does as well)."""
    k = torch.get_num_threads()
    if device.type != "cpu" or k < 2 or not THREADED or getattr(_IN_WORKER, "active", False):
        return 0
    return k if runs * n * m >= WORKER_MIN_ELEMENTS else 0


def lane_plan(
    runs: int, n: int, m: int, budget: int, device: torch.device, k: int
) -> tuple[tuple[int, int], list[list[tuple[slice, slice]]], bool]:
    """(block shape, the blocks of each of max(1, k) lanes, whether the lanes split samples).

    With enough blocks of runs (at least 4 per lane) the lanes take blocks of runs in turn (all
    sample blocks of a run on the same lane); otherwise every run's samples are cut into k
    ranges, one per lane, so that even a single run keeps all cores busy (each lane then
    accumulates its own gradient, summed at the end)."""
    if k < 2:
        shape = block_shape(runs, n, m, budget, device)
        return shape, [list(blocks(runs, n, shape))], False
    rc, nc = block_shape(runs, n, m, budget, device, threads=1)
    if -(-runs // rc) >= 4 * k:  # blocks of runs in turn; a run's sample blocks stay together
        lanes: list[list[tuple[slice, slice]]] = [[] for _ in range(k)]
        for rs, ns in blocks(runs, n, (rc, nc)):
            lanes[(rs.start // rc) % k].append((rs, ns))
        return (rc, nc), lanes, False
    part = -(-n // k)
    nc = min(nc, part)
    lanes = []
    for i in range(k):
        lo, hi = min(n, i * part), min(n, (i + 1) * part)
        lanes.append([(rs, slice(lo + ns.start, lo + ns.stop))
                      for rs, ns in blocks(runs, hi - lo, (rc, nc))])
    return (rc, nc), lanes, True


class GroupSplit:
    """Per-group gradients taken during a step (:meth:`Workspace.run` with ``groups=``).

    Every sample i of run r is in one group groups[r, i] ∈ {0..S−1}; the samples of the groups
    ``again`` count once more, with the labels ``y_again`` (and the step's weights 1/n), in an
    extra group S. The step then also yields the float64 Gram matrix [R, S+1, S+1] of the S+1
    group gradients of Σ_i ℓ_i/n, from the activation pattern it computes anyway.

    How: at such a step each run's samples enter the forward pass sorted by group (a row copy of
    x, d values per sample), the groups ``again`` last. The rows of M = 1[pre > 0] then come out
    grouped, so every group is one GEMM over a contiguous range of M, and the repeated group
    one GEMM over the tail; the step's gradient is the sum of the group gradients. No copy of
    M, no second forward or backward pass: the extra work is the GEMM of the repeated samples.
    Needs one output, the logistic loss, a fixed second layer and whole runs per block
    (:meth:`Workspace.can_split`).
    """

    def __init__(self, groups: torch.Tensor, S: int, again: list[int], y_again: torch.Tensor):
        if bool(((groups < 0) | (groups >= S)).any()):
            raise ValueError("every sample needs a group in 0..S-1")
        self.S, self.again = S, sorted(set(again))
        g = groups.long()
        n = g.shape[1]
        twice = torch.isin(g, torch.tensor(self.again, dtype=torch.long, device=g.device))
        key = g + S * twice  # groups counted once first, the repeated groups last
        self.perm = torch.argsort(key, dim=1, stable=True)  # [R, n]: samples in group order
        counts = torch.zeros(g.shape[0], S, dtype=torch.long, device=g.device)
        counts.scatter_add_(1, g, torch.ones_like(g))
        order = [s for s in range(S) if s not in self.again] + self.again  # groups in sorted order
        ends = torch.cumsum(counts[:, order], 1).tolist()
        self.ranges = []  # per run: (lo, hi) of each group s = 0..S−1 in the sorted samples
        for e in ends:
            rng = dict(zip(order, zip([0] + e[:-1], e)))
            self.ranges.append([rng[s] for s in range(S)])
        self.again_from = (n - twice.sum(1)).tolist()  # per run: the repeated rows' start
        offsets = n * torch.arange(g.shape[0], device=g.device).unsqueeze(1)
        self.flat = self.perm + offsets  # [R, n]: the same as rows of the [R·n] samples
        # −ỹ of the sorted samples (the repeated rows use it), labels ±1
        self.ny_again = -y_again.gather(1, self.perm)


class Workspace:
    """Preallocated buffers of the gradient kernel for one shape (R runs, n samples, m, d, o),
    reused across steps so that the hot loop allocates nothing large.

    The kernel walks the [R, n, m] activations block by block (:func:`block_shape`). In one
    block, one buffer holds in turn pre = W x + b, φ(pre) and 1[pre > 0] (in place). For one
    output (o = 1) it uses δ_ij = c_i a_j 1[pre_ij > 0] to write the first-layer gradient as

        ∇_{w_j} = a_j Σ_i 1[pre_ij > 0] c_i x_i,   ∇_{b_j} = a_j Σ_i 1[pre_ij > 0] c_i,

    i.e. one GEMM G = Mᵀ [c ⊙ x, c] with M = 1[pre > 0]: no [R, n, m] product c aᵀ is
    formed. For K outputs, δ = (c aᵀ) ⊙ M is formed in place and ∇W = δᵀ x.

    On a multi-core CPU the blocks of runs are shared out to worker threads (:class:`_Pool`),
    each with its own block buffers: each worker takes the next block of runs from a shared
    counter (``DYNAMIC``), so a core that is slowed down (a shared host) takes fewer blocks
    instead of holding up the step; when the lanes split every run's samples, each has a fixed
    range. The views of every block are built once (per lane) and kept while the same data and
    parameter tensors are used (full-batch GD: every step), so a step issues only the
    arithmetic.
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
        if self.workers and not self.split and DYNAMIC:
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

    @staticmethod
    def _key(p: Params, n: int) -> tuple:
        return (p.runs, n, p.m, p.W.shape[2], p.outputs, p.b is not None, p.train_a,
                p.W.dtype, p.W.device)

    def fits(self, p: Params, n: int) -> bool:
        return self.key == self._key(p, n)

    def can_split(self, p: Params) -> bool:
        """Whether :class:`GroupSplit` can ride along: one output, a fixed second layer, and
        whole runs per block on lanes that do not split samples."""
        n = self.key[1]
        return p.outputs == 1 and not p.train_a and self.shape[1] == n and not self.split

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
        if p.outputs == 1 and x.device.type == "cpu" and B.out.is_contiguous():
            B.mv = [(B.h[i], B.a[i, :, 0], B.out[i, :, 0]) for i in range(rows)]
        B.c = self.cbuf[lane][:rows, :cols]
        B.c0 = B.c[..., 0]
        B.ga = acc["ga"][rs] if "ga" in acc else None
        if p.outputs == 1:
            B.ny, B.nys = self.ny[rs, ns], self.nys[rs, ns]
            B.rhs = self.rhs[lane][:rows, :cols]
            B.rhs_x = B.rhs[..., :d]
            B.rhs_c = B.rhs[..., d] if self.bias else None
            B.rhsT = B.rhs.transpose(1, 2)
            B.G = acc["G"][rs]
        else:
            B.G = None
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
        groups: GroupSplit | None = None,
    ) -> None:
        """Accumulate the gradient of Σ_i ⟨c_i, f(x_i)⟩ into the buffers, with
        c_i = s_i ∂ℓ_i/∂f (``coeffs`` None: also fills ``out`` and ``loss``; s_i = ``scale``, a
        number or [R, n]) or c = ``coeffs`` [R, n, o] as given. With ``groups`` (see
        :class:`GroupSplit`; s_i = 1/n) also fill ``gram``; the step's own gradient is then the
        sum of the group gradients (the same up to the order of the float additions)."""
        logistic = coeffs is None and p.outputs == 1 and objective == "logistic"
        if groups is not None:
            if not (logistic and self.can_split(p) and isinstance(scale, float)):
                raise ValueError("group gradients in the step need the logistic loss, one "
                                 "output, a fixed second layer and whole runs per block")
            self.gram = torch.empty(p.runs, groups.S + 1, groups.S + 1, dtype=torch.float64,
                                    device=x.device)
            self.x_rows = x.reshape(-1, x.shape[2])  # a view for a contiguous x
            self.out_flat = self.out.view(-1)  # one output: [R·n]
        if logistic:  # c = σ(−y f)·(−y s), with −y and −y s filled once per call
            self.ny.copy_(y).neg_()
            torch.mul(self.ny, scale if isinstance(scale, float) else scale.to(x.dtype),
                      out=self.nys)
        elif coeffs is None and not isinstance(scale, float):
            scale = scale.to(x.dtype).unsqueeze(-1)
        lanes = self._lanes(p, x)
        if groups is not None:
            if self._gplan is None or self._gplan[0] is not groups or self._gplan[1] is not lanes:
                self._gplan = (groups, lanes, _group_plan(self, groups, lanes))
            fn, parts = _run_blocks_grouped, [(pairs, self, groups.S)
                                              for pairs in self._gplan[2]]
        else:
            fn, parts = _run_blocks, [(lane, y, objective, scale, coeffs, logistic)
                                      for lane in lanes]
        if self.units is not None:  # each worker takes the next unit until none is left
            counter = itertools.count()
            _pool(self.workers).map(_take, [(part[0], counter, fn, part[1:]) for part in parts])
        elif self.workers:
            _pool(self.workers).map(fn, parts)
        else:
            fn(*parts[0])
        if self.split:  # lanes that saw samples add their gradients into lane 0's
            for acc, todo in zip(self.acc[1:], self.lane_blocks[1:]):
                if todo:
                    for k_, v in acc.items():
                        self.acc[0][k_].add_(v)
        if coeffs is None:
            self.loss.copy_(sample_loss(self.out, y, objective))

    def gradients(self, p: Params) -> dict[str, torch.Tensor]:
        """The accumulated gradients as new tensors, keys as :meth:`Params.trainable`."""
        if p.outputs == 1:
            d = p.W.shape[2]
            grads = {"W": (p.a * self.G[:, :d].transpose(1, 2)).contiguous()}
            if self.bias:
                grads["b"] = p.a[..., 0] * self.G[:, d]
        else:
            grads = {"W": self.gW.clone()}
            if self.bias:
                grads["b"] = self.gb.clone()
        if self.ga is not None:
            grads["a"] = self.ga.clone()
        return grads

    def descend(self, p: Params, lr: float) -> None:
        """θ ← θ − α g in place with the accumulated gradient g (W and b first: their gradient
        uses the a of this step)."""
        if p.outputs == 1:
            d = p.W.shape[2]
            p.W.addcmul_(self.G[:, :d].transpose(1, 2), p.a, value=-lr)
            if self.bias:
                p.b.addcmul_(self.G[:, d], p.a[..., 0], value=-lr)
        else:
            p.W.add_(self.gW, alpha=-lr)
            if self.bias:
                p.b.add_(self.gb, alpha=-lr)
        if self.ga is not None:
            p.a.add_(self.ga, alpha=-lr)


def _take(units: list[list], counter: Iterator[int], fn, args: tuple) -> None:
    """Run fn(unit, *args) on units[next(counter)] until the units run out (the counter is
    shared by the workers; ``next`` on it is atomic under the interpreter lock)."""
    while (u := next(counter)) < len(units):
        fn(units[u], *args)


def _block_hidden(B: _Block, x: torch.Tensor) -> torch.Tensor:
    """φ(W x + b) of block B's runs for the rows x [r, c, d], in B's activation buffer."""
    if B.b is None:
        torch.bmm(x, B.Wt, out=B.h)
    else:
        torch.baddbmm(B.b, x, B.Wt, out=B.h)
    return B.h.relu_()


def _run_blocks(
    plan: list[_Block],
    y: torch.Tensor | None,
    objective: str,
    scale: float | torch.Tensor,
    coeffs: torch.Tensor | None,
    logistic: bool,
) -> None:
    """The kernel on the given blocks (see :class:`Workspace`)."""
    for B in plan:
        h = _block_hidden(B, B.xc)
        if coeffs is not None:
            c = coeffs[B.rs, B.ns]
        else:
            if B.mv is not None:
                for hi, ai, oi in B.mv:
                    torch.mv(hi, ai, out=oi)
            else:
                B.out.copy_(torch.bmm(h, B.a))
            if logistic:
                c = B.c
                torch.mul(B.f0, B.ny, out=B.c0).sigmoid_().mul_(B.nys)
            else:
                _, dl = loss_and_dloss(B.out, y[B.rs, B.ns], objective)
                c = dl.mul_(scale if isinstance(scale, float) else scale[B.rs, B.ns])
        if B.ga is not None:
            _gemm_acc(B.ga, B.hT, c, B.first)
        h.gt_(0)  # 1[pre > 0] as 0/1 of the float dtype, in place; B.hT now views Mᵀ
        if B.G is not None:  # one output
            torch.mul(B.xc, c, out=B.rhs_x)
            if B.rhs_c is not None:
                B.rhs_c.copy_(c[..., 0])
            _gemm_acc(B.G, B.rhsT, h, B.first)  # this layout: ~15% faster than Mᵀ rhs
        else:
            delta = h.mul_(torch.bmm(c, B.aT, out=B.ca))
            _gemm_acc(B.gW, B.hT, B.xc, B.first)
            if B.gb is not None:
                if B.first:
                    torch.sum(delta, 1, out=B.gb)
                else:
                    B.gb += delta.sum(1)


class _GroupBlock:
    """Views of one block for :func:`_run_blocks_grouped` (built once per training call)."""

    __slots__ = ("flat", "perm", "x_s", "x_flat", "f_s", "ny_s", "c_t", "alt_x", "alt_c",
                 "GT", "V", "nyt", "mv", "gemms", "empty")


def _group_plan(ws: Workspace, spec: GroupSplit, lanes: list[list[_Block]]) -> list[list]:
    """Per lane, (block, its :class:`_GroupBlock`) pairs: lane buffers for the sorted rows,
    outputs, coefficients and group gradients, and every run's group GEMMs as ready views."""
    S = spec.S
    ny_again = spec.ny_again.to(ws.out.dtype)
    plan = []
    for todo in lanes:
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
            g.nyt = ny_again[B.rs]
            g.mv = [(B.h[i], B.a[i, :, 0], g.f_s[i]) for i in range(rows)]
            g.gemms, g.empty = [], []
            for i in range(rows):
                r = B.rs.start + i
                for s, (a0, a1) in enumerate(spec.ranges[r]):
                    if a1 > a0:
                        g.gemms.append((B.rhs[i, a0:a1].t(), B.h[i, a0:a1], g.GT[i, s]))
                    else:
                        g.empty.append(g.GT[i, s])
                lo = spec.again_from[r]
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
    output, logistic loss, s_i = 1/n, a fixed second layer) on the given blocks.

    Per block, each run's samples are copied in group order (x_π, with π = ``spec.perm``);
    pre, φ and M = 1[pre > 0] are computed on the sorted rows as usual, f goes back to its
    samples (f_π(k) = f_k), c = −y σ(−y f)/n is formed in sorted order, and then per run

        G_s = [c ⊙ x, c]ᵀ_{range s} M_{range s}  (s < S),   G_S = [c̃ ⊙ x, c̃]ᵀ_{tail} M_{tail},

    with c̃ = −ỹ σ(−ỹ f)/n (the repeated groups form the tail). The step's gradient is
    Σ_{s<S} G_s; the Gram matrix weighs entry (k, j) by a_j² (W and b parts alike), i.e.
    Γ = V Vᵀ with V_s = G_s |a| flattened, in float64. Apart from the group GEMMs and the
    readout, everything is one op per block (the worker threads share the interpreter)."""
    for B, g in pairs:
        n = B.xc.shape[1]
        torch.index_select(ws.x_rows, 0, g.flat, out=g.x_flat)  # x in group order
        h = _block_hidden(B, g.x_s)
        for hi, ai, fi in g.mv:
            torch.mv(hi, ai, out=fi)
        f_s, ny_s, c = g.f_s, g.ny_s, B.c0
        ws.out_flat.index_copy_(0, g.flat, f_s.view(-1))  # f back to its samples
        torch.gather(B.ny, 1, g.perm, out=ny_s)  # −y, sorted
        torch.mul(f_s, ny_s, out=c).sigmoid_()  # c = −y σ(−y f) s, sorted
        torch.gather(B.nys, 1, g.perm, out=ny_s)  # −y s, sorted
        c.mul_(ny_s)
        h.gt_(0)
        torch.mul(g.x_s, c.unsqueeze(-1), out=B.rhs_x)
        if B.rhs_c is not None:
            B.rhs_c.copy_(c)
        torch.mul(f_s, g.nyt, out=g.c_t).sigmoid_().mul_(g.nyt).div_(n)  # c̃ = −ỹ σ(−ỹ f)/n
        torch.mul(g.x_s, g.c_t.unsqueeze(-1), out=g.alt_x)
        if g.alt_c is not None:
            g.alt_c.copy_(g.c_t)
        for lhs, mask, out in g.gemms:
            torch.mm(lhs, mask, out=out)
        for out in g.empty:
            out.zero_()
        torch.sum(g.GT[:, :S], 1, out=B.G)  # the step's own gradient: all samples once
        torch.mul(g.GT, B.a[:, None, None, :, 0].abs(), out=g.V.view(g.GT.shape))  # float64
        torch.bmm(g.V, g.V.transpose(1, 2), out=ws.gram[B.rs])


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
    return ws.gradients(p)


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

    The layout is built for a batch of runs at a time (about ``LAYOUT_ENTRIES`` entries), so
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
        per_batch = rc * max(1, LAYOUT_ENTRIES // max(1, rc * K))  # whole blocks
        for b0 in range(0, R, per_batch):
            batch = slice(b0, min(R, b0 + per_batch))
            self._layout(batch)
            starts = list(range(batch.start, batch.stop, rc))
            if self.workers:
                k = self.workers
                _pool(k).map(self._lane, [(starts[i::k], consume, i, b0) for i in range(k)])
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


def flatten(grads: dict[str, torch.Tensor]) -> torch.Tensor:
    """[R, P]: the trained parameters' gradients as one vector per run (W, b, a order)."""
    keys = [k for k in ("W", "b", "a") if k in grads]
    return torch.cat([grads[k].flatten(1) for k in keys], dim=1)


def per_sample_grad_sq_norms(
    p: Params, x: torch.Tensor, coeffs: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS
) -> torch.Tensor:
    """[R, n]: ‖∇_θ ⟨c_i, f(x_i)⟩‖² for each sample, by the closed form
    ‖δ_i‖²(‖x_i‖² + 1[bias]) + ‖c_i‖²‖φ(W x_i + b)‖²·1[a trains]."""
    n = x.shape[1]
    res = x.new_empty(x.shape[0], n)
    at = p.a.transpose(1, 2)
    for sl in chunks(n, p.runs, p.m, budget):
        xc, c = x[:, sl], coeffs[:, sl]
        pre = preactivation(p, xc)
        delta = torch.bmm(c, at) * (pre > 0)
        sq = delta.square().sum(-1) * (xc.square().sum(-1) + (1.0 if p.b is not None else 0.0))
        if p.train_a:
            sq = sq + c.square().sum(-1) * torch.relu(pre).square().sum(-1)
        res[:, sl] = sq
    return res


def input_jacobian(p: Params, x: torch.Tensor) -> torch.Tensor:
    """∂f/∂x at each sample: [R, n, o, d], J_i = Σ_j a_j φ'(⟨w_j, x_i⟩ + b_j) w_jᵀ."""
    act = (preactivation(p, x) > 0).to(x.dtype)  # [R, n, m]
    return torch.einsum("rnm,rmo,rmd->rnod", act, p.a, p.W)


def input_jacobian_norms(
    p: Params, x: torch.Tensor, budget: int = DEFAULT_CHUNK_ELEMENTS
) -> torch.Tensor:
    """[R, n]: Frobenius norms ‖∂f/∂x(x_i)‖_F, in chunks of samples."""
    n = x.shape[1]
    res = x.new_empty(x.shape[0], n)
    per = max(1, p.outputs * x.shape[2] // max(1, p.m))
    for sl in chunks(n, p.runs, p.m * per, budget):
        res[:, sl] = input_jacobian(p, x[:, sl]).flatten(2).norm(dim=-1)
    return res
