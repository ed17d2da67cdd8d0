"""The opt-in Triton GEMM kernels' launch configurations, timed and checked, in one run.

    python benchmarks/gpu_blocks.py [--device cuda] [--quick] [--reps 20] [--max-seconds 60]
                                    [--out FILE.json]

Issue #19's first target asks the reference step at R = 1024 (n = 1000, d = 50, m = 400) for
0.5 of the float32 GEMM rate; by the H200's profile the two cuBLAS GEMMs alone reach about 0.51
there, so the step can only get there with its elementwise work inside the GEMMs: the opt-in
kernels :func:`twolayer.net.gpu_kernels.forward_relu_readout_mask` (H = X Wᵀ + b with relu,
readout and mask, H never written) and :func:`~twolayer.net.gpu_kernels.backward_gemm`
(G = [c ⊙ x, c]ᵀ M, its right-hand side never written, the mask one byte per entry). Their
tiles (:class:`~twolayer.net.gpu_kernels.Blocks`) were chosen without a GPU. This script, per
shape (R = 1024, then 64, at the reference n, d, m; --quick: tiny), times on the device:

1. the eager path it replaces: the forward GEMM (cuBLAS ``baddbmm``) alone and with the
   default fused pass (relu, readout and mask, :func:`~twolayer.net.gpu_kernels.relu_readout_mask`),
   and the backward GEMM (``bmm``) alone and with its right-hand side formed first, as the step
   does;
2. each configuration of a grid (tiles of samples and neurons, warps, for the forward also the
   launch order: ``by_run`` puts a run's sample tiles side by side so they share its W in
   cache; then Triton's pipeline stages for the fastest), checked against a float64 oracle
   first: f and G to 1e-4 of their
   largest value, and the mask exactly wherever the float64 pre-activation is not within
   1e-4 of 0. A configuration that fails the check is reported and never chosen.

The kernels run on the step's layouts with both opt-ins on: the forward writes the mask as bytes
into the first m bytes of each row of a float32 buffer, and the backward reads it from there.

Times are medians of ``--reps`` calls, each timed alone (CUDA events on a GPU), after two
warm-up calls (the first compiles, or finds the kernel in Triton's cache: its seconds are kept,
``first_call_seconds``, telling at the first shape whether the cache served it); as fractions of
the float32 GEMM rate measured in the same run (2 R n d m flops a GEMM). ``best`` in the JSON is
the fastest correct configuration per kernel at the largest R (1024); ``benchmarks/gpu_steps.py
--blocks FILE`` times the whole step with it. The search stops starting new configurations after
``--max-seconds`` (it says so). Without a GPU, and outside Triton's interpreter
(``TRITON_INTERPRET=1``, for a dry run), it says there is nothing to measure and exits 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from twolayer.bench.gpu import gemm_rate, sync
from twolayer.net import gpu_kernels as gk

TOL = 1e-4  # of the largest |value|: far above float32 rounding, far below a wrong kernel
# the forward's also in both launch orders (by_run: a run's sample tiles side by side, sharing
# its W in cache; at R = 1024 the runs' W, 82 MB, pass the H200's 50 MB L2)
FWD_GRID = [gk.Blocks(c, m, w, by_run=o) for c in (64, 32, 16, 128) for m in (64, 32, 128)
            for w in (4, 8) for o in (False, True)]
BWD_GRID = [gk.Blocks(c, m, w) for c in (32, 16, 64) for m in (64, 32, 128) for w in (4, 8)]
QUICK_GRID = {"forward": [gk.Blocks(32, 32, 4), gk.Blocks(16, 64, 8),
                          gk.Blocks(32, 32, 4, by_run=True)],
              "backward": [gk.Blocks(32, 32, 4), gk.Blocks(16, 64, 8)]}
STAGES = (2, 3, 4)
EAGER = ("gemm_forward", "eager_forward", "gemm_backward", "eager_backward")  # Problem's methods


def why_not(device: torch.device) -> str | None:
    """None where the kernels run on ``device`` (a GPU whose self tests passed, or Triton's
    interpreter), else why not."""
    if not gk.available():
        return f"triton unavailable ({gk.status()})"
    if device.type != "cuda":
        return None if gk.interpreted() else "not a GPU (TRITON_INTERPRET=1 for a dry run)"
    return gk.forward_self_test(device) or gk.backward_self_test(device)


def byte_mask(R: int, n: int, m: int, device: torch.device | str) -> torch.Tensor:
    """An [R, n, m] byte tensor laid out as the step's mask with both opt-in kernels on
    (``twolayer.net.kernel``: the first m bytes of each row of a float32 buffer), so the
    kernels are timed, and compiled, with the step's strides."""
    return torch.empty(R, n, m, device=device).view(torch.uint8)[..., :m]


class Operands:
    """One shape's kernel inputs and outputs, unfilled (on ``meta``, shapes and strides only:
    ``benchmarks/gpu_compile.py`` compiles the kernels for them without a GPU)."""

    def __init__(self, device: torch.device | str, R: int, n: int, d: int, m: int) -> None:
        self.shape = (R, n, d, m)
        e = lambda *s: torch.empty(*s, device=device)  # noqa: E731
        self.x, self.W, self.b, self.a, self.c = e(R, n, d), e(R, m, d), e(R, m), e(R, m), e(R, n)
        self.mask8 = byte_mask(R, n, m, device)  # the backward's input, as the step's
        self.maskf = e(R, n, m)
        self.out8 = byte_mask(R, n, m, device)  # the forward's mask, as the step's
        self.h = e(R, n, m)
        self.f = e(R, n)
        self.G = e(R, d + 1, m)
        self.rhs = e(R, n, d + 1)

    def forward(self, blocks: gk.Blocks | None) -> None:
        """The fused forward, its mask as bytes (as the step writes it with both opt-ins)."""
        gk.forward_relu_readout_mask(self.x, self.W, self.b, self.a, self.out8, self.f, blocks)

    def backward(self, blocks: gk.Blocks | None, mask: torch.Tensor | None = None) -> None:
        gk.backward_gemm(self.x, self.c, self.mask8 if mask is None else mask, self.G, True,
                         blocks)


class Problem(Operands):
    """One shape's inputs and their float64 oracle."""

    def __init__(self, device: torch.device, R: int, n: int, d: int, m: int) -> None:
        super().__init__(device, R, n, d, m)
        g = torch.Generator().manual_seed(0)
        self.x.copy_(torch.randn(R, n, d, generator=g))
        self.W.copy_(torch.randn(R, m, d, generator=g) / d**0.5)
        self.b.copy_(0.1 * torch.randn(R, m, generator=g))
        self.a.copy_(torch.randn(R, m, generator=g) / m**0.5)
        self.c.copy_(torch.randn(R, n, generator=g))
        H64 = torch.baddbmm(self.b.double().unsqueeze(1), self.x.double(),
                            self.W.double().transpose(1, 2))
        self.f64 = torch.bmm(H64.relu(), self.a.double().unsqueeze(-1))[..., 0]
        self.mask64 = H64 > 0
        self.decided = H64.abs() > TOL * H64.abs().max()  # mask entries rounding cannot flip
        x64, c64 = self.x.double(), self.c.double()
        rhs = torch.cat([x64 * c64[..., None], c64[..., None]], -1)
        self.G64 = torch.bmm(rhs.transpose(1, 2), self.mask64.double())
        self.mask8.copy_(self.mask64)
        self.maskf.copy_(self.mask64)

    def forward_error(self) -> float | None:
        """max |f − f64| / max |f64|, or None where a decided mask entry is wrong."""
        if not torch.equal(self.out8[self.decided] > 0, self.mask64[self.decided]):
            return None
        return _rel(self.f, self.f64)

    def backward_error(self) -> float:
        return _rel(self.G, self.G64)

    # the eager ops the kernels replace
    def gemm_forward(self) -> None:
        torch.baddbmm(self.b.unsqueeze(1), self.x, self.W.transpose(1, 2), out=self.h)

    def eager_forward(self) -> None:
        self.gemm_forward()
        gk.relu_readout_mask(self.h, self.a, self.f)

    def gemm_backward(self) -> None:
        torch.bmm(self.rhs.transpose(1, 2), self.maskf, out=self.G)

    def eager_backward(self) -> None:
        d = self.shape[2]
        torch.mul(self.x, self.c.unsqueeze(-1), out=self.rhs[..., :d])
        self.rhs[..., d].copy_(self.c)
        self.gemm_backward()


def _rel(got: torch.Tensor, want: torch.Tensor) -> float:
    err = (got.double() - want).abs().max().item()
    return err / max(want.abs().max().item(), 1e-30)


def median_seconds(device: torch.device, fn: Callable[[], None], reps: int) -> float:
    """The median of ``reps`` calls of ``fn``, each timed alone, after two warm-up calls."""
    fn()
    fn()
    sync(device)
    times = []
    for _ in range(reps):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _row(blocks: gk.Blocks, seconds: float | None, err: float | None, flops: float,
         rate: float) -> dict[str, Any]:
    correct = err is not None and err <= TOL
    return {"blocks": dataclasses.asdict(blocks),
            "seconds": seconds, "rel_err": err, "correct": correct,
            "of_gemm": flops / seconds / (rate * 1e12) if seconds else None}


def sweep(device: torch.device, p: Problem, kernel: str, grid: list[gk.Blocks], reps: int,
          rate: float, deadline: float) -> tuple[list[dict[str, Any]], bool]:
    """Each configuration of ``grid`` checked, then timed (rows), then the fastest correct one
    with each of :data:`STAGES`; and whether the deadline cut the search."""
    R, n, d, m = p.shape
    flops = 2 * R * n * d * m
    run = p.forward if kernel == "forward" else p.backward
    error = p.forward_error if kernel == "forward" else p.backward_error
    rows: list[dict[str, Any]] = []

    def one(blocks: gk.Blocks) -> None:
        t = time.perf_counter()
        try:
            run(blocks)  # the first call compiles (or finds the kernel in Triton's cache)
            sync(device)
            first = time.perf_counter() - t
            err = error()
            secs = median_seconds(device, lambda: run(blocks), reps) if err is not None else None
        except Exception as e:  # noqa: BLE001 - a configuration the compiler refuses
            rows.append({**_row(blocks, None, None, flops, rate),
                         "first_call_seconds": time.perf_counter() - t,
                         "failed": f"{type(e).__name__}: {str(e)[:200]}"})
            return
        rows.append({**_row(blocks, secs, err, flops, rate), "first_call_seconds": first})

    for blocks in grid:
        if time.monotonic() > deadline:
            return rows, True
        one(blocks)
    best = _fastest(rows)
    if best is not None:
        for s in STAGES:
            if time.monotonic() > deadline:
                return rows, True
            one(dataclasses.replace(gk.Blocks(**best), stages=s))
    return rows, False


def _fastest(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [r for r in rows if r["correct"] and r["seconds"]]
    return min(ok, key=lambda r: r["seconds"])["blocks"] if ok else None


def measure(device: torch.device, quick: bool, reps: int, max_seconds: float) -> dict[str, Any]:
    # the target's R first: the compiles (once per configuration) fall to it, and a search cut
    # by the deadline is cut at R = 64
    shapes = [(2, 40, 50, 70)] if quick else [(1024, 1000, 50, 400), (64, 1000, 50, 400)]
    rate = gemm_rate(device, 1024 if quick else 8192, 0.5 if quick else 2.0)
    deadline = time.monotonic() + max_seconds
    res: dict[str, Any] = {"device": str(device), "torch": torch.__version__,
                           "gpu_kernels": gk.status(), "gemm_tflops": rate, "tol": TOL,
                           "shapes": [], "stopped_early": False}
    for R, n, d, m in shapes:
        p = Problem(device, R, n, d, m)
        flops = 2 * R * n * d * m
        eager = {name: median_seconds(device, getattr(p, name), reps) for name in EAGER}
        row: dict[str, Any] = {"R": R, "n": n, "d": d, "m": m, "eager_seconds": eager,
                               "eager_of_gemm": {k: flops / s / (rate * 1e12)
                                                 for k, s in eager.items()}}
        for kernel, grid in (("forward", FWD_GRID), ("backward", BWD_GRID)):
            rows, cut = sweep(device, p, kernel, QUICK_GRID[kernel] if quick else grid, reps, rate,
                              deadline)
            row[kernel] = rows
            res["stopped_early"] |= cut
        best = _fastest(row["backward"])
        if best is not None:  # the fastest backward with a mask of floats (no fused forward)
            blocks = gk.Blocks(**best)
            row["backward_float_mask_seconds"] = median_seconds(
                device, lambda b=blocks, p=p: p.backward(b, p.maskf), reps)
        res["shapes"].append(row)
    largest = max(res["shapes"], key=lambda s: s["R"])
    res["best"] = {k: _fastest(largest[k]) for k in ("forward", "backward")}
    return res


def report(res: dict[str, Any]) -> str:
    lines = [f"{res['device']}, torch {res['torch']}, {res['gpu_kernels']}, float32 GEMM "
             f"{res['gemm_tflops']:.1f} TFLOP/s; times are medians, 'of GEMM' the fraction of "
             f"that rate"]
    for s in res["shapes"]:
        e, f = s["eager_seconds"], s["eager_of_gemm"]
        lines.append(f"R = {s['R']}, n = {s['n']}, d = {s['d']}, m = {s['m']}:")
        for k in EAGER:
            lines.append(f"  {k:16s} {1e6 * e[k]:9.1f} us  {f[k]:5.2f} of GEMM")
        for kernel in ("forward", "backward"):
            for r in sorted(s[kernel], key=lambda r: r["seconds"] or float("inf")):
                b = r["blocks"]
                cfg = (f"c {b['c']:3d} m {b['m']:3d} warps {b['warps'] or '-'} stages "
                       f"{b['stages'] or '-'}{' by run' if b.get('by_run') else ''}")
                if r.get("failed"):
                    lines.append(f"  {kernel:8s} {cfg}: failed ({r['failed']})")
                elif not r["correct"]:
                    lines.append(f"  {kernel:8s} {cfg}: WRONG (error {r['rel_err']}), not timed"
                                 if r["seconds"] is None else
                                 f"  {kernel:8s} {cfg}: WRONG (error {r['rel_err']:.1e})")
                else:
                    lines.append(f"  {kernel:8s} {cfg}: {1e6 * r['seconds']:9.1f} us  "
                                 f"{r['of_gemm']:5.2f} of GEMM  error {r['rel_err']:.1e}")
        if "backward_float_mask_seconds" in s:
            lines.append(f"  fastest backward with a float mask: "
                         f"{1e6 * s['backward_float_mask_seconds']:9.1f} us")
    # (at the first shape: the later ones find the kernels in the process's memory)
    first = [r.get("first_call_seconds", 0.0) for k in ("forward", "backward")
             for r in res["shapes"][0][k]]
    lines.append(f"first calls at R = {res['shapes'][0]['R']} (a compile, or a kernel found in "
                 f"Triton's cache): {len(first)} in {sum(first):.1f} s, the slowest "
                 f"{max(first, default=0.0):.2f} s")
    lines.append(f"best at R = {max(s['R'] for s in res['shapes'])}: forward "
                 f"{res['best']['forward']}, "
                 f"backward {res['best']['backward']}")
    if res["stopped_early"]:
        lines.append("stopped early (--max-seconds): not every configuration was tried")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="a tiny shape and two configurations")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    if args.reps < 1 or not args.max_seconds > 0:
        print(f"error: --reps must be at least 1 and --max-seconds above 0 (got {args.reps}, "
              f"{args.max_seconds})", file=sys.stderr)
        return 2
    from twolayer.bench.gpu import device_error

    refused = device_error(args.device, "gpu_blocks.py")  # cuda:7 on a one-GPU machine
    if refused:
        print(refused, file=sys.stderr)
        return 2
    device = torch.device(args.device)
    why = why_not(device)
    if why is not None:
        print(f"kernel blocks: nothing to measure here: {why}")
        res: dict[str, Any] = {"device": str(device), "not_run": why}
    else:
        res = measure(device, args.quick, args.reps, args.max_seconds)
        res["not_run"] = None
        print(report(res), flush=True)
        if args.quick:
            print("--quick: a tiny shape, a dry run; not the reference step")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
