"""The Triton kernels compiled for an NVIDIA GPU that is not here, with their resource counts.

    python benchmarks/gpu_compile.py [--arch 90] [--grid default|full] [--stages]
                                     [--cache DIR] [--out FILE.json]

Triton compiles a kernel on its first launch, for the GPU it finds. This script compiles them
for a GPU it names instead (``--arch``: compute capability × 10; 90 is the H100 and H200, 80
the A100), with Triton's own compiler and the ptxas it ships, on a machine with no GPU: the
kernels' launch wrappers in ``twolayer/net/gpu_kernels.py`` run as they would on the device, on
``meta`` tensors with the step's layouts at the reference shape (R = 1024, n = 1000, d = 50,
m = 400: ``benchmarks/gpu_blocks.py``'s operands), and Triton's launch is stood in for by a
compile only. Triton's interpreter (the CPU tests' way of running the kernels) never compiles
them, so a configuration the compiler refuses (a tile below the 16 rows ``tl.dot`` needs, a
tile past the shared memory of one block) is found only here, or on the GPU.

For each kernel and launch configuration (``--grid default``: the defaults ``FWD_BLOCKS`` and
``BWD_BLOCKS``; ``full``: ``gpu_blocks.py``'s grids; ``--stages``: each of them also with each
of its pipeline-stage counts) it prints whether it compiled (else the compiler's error), the
registers per thread, stack and local memory that ``cuobjdump`` reads off the compiled binary,
the bytes of registers spilled to memory per thread that ``ptxas -v`` reports for its PTX (with
Triton's flags), the shared memory per block, and from
these the blocks and warps one SM can hold, by the CUDA occupancy rules for that architecture
(an estimate from the compiler's counts, not a measurement; it bounds how many warps hide
memory latency).

``--cache DIR``: Triton's cache directory (``TRITON_CACHE_DIR``) for the compiled kernels
(``--lean``: only the binaries and their metadata, what a launch reads, a third of the size). Run
with the GPU machine's Python, torch and triton, its entries have the keys that machine's first
launches look up: ``benchmarks/gpu_check.sh`` uses ``.triton-cache/`` at the repository root
where one is there (``--relocate DIR`` first points its entries at where it is), so the device
spends no time compiling these kernels (a kernel whose key differs is compiled there as
usual). Triton keys a kernel by its source and its line number in the file, so any edit of
``twolayer/net/gpu_kernels.py`` makes a cache stale: ``twolayer-manifest.json`` in the cache
records what it was built from, and ``--relocate`` says whether it still matches. Without
triton the script says there is nothing to compile and exits 0; bad flags exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpu_blocks  # noqa: E402  (the sweep's grids and operands)

from twolayer.errors import ConfigError  # noqa: E402
from twolayer.net import gpu_kernels as gk  # noqa: E402
from twolayer.record import ensure_writable_dir, write_text_atomic  # noqa: E402

REFERENCE = (1024, 1000, 50, 400)  # R, n, d, m: gpu_blocks.py's target shape
# per SM: registers, threads, resident blocks, shared memory; per block: shared memory (opt-in
# maximum); bytes the driver reserves per block (the CUDA programming guide's tables)
SM: dict[int, dict[str, int]] = {
    80: {"regs": 65536, "threads": 2048, "blocks": 32, "smem": 167936, "smem_block": 166912,
         "reserved": 1024},
    86: {"regs": 65536, "threads": 1536, "blocks": 16, "smem": 102400, "smem_block": 101376,
         "reserved": 1024},
    89: {"regs": 65536, "threads": 1536, "blocks": 24, "smem": 102400, "smem_block": 101376,
         "reserved": 1024},
    90: {"regs": 65536, "threads": 2048, "blocks": 32, "smem": 233472, "smem_block": 232448,
         "reserved": 1024},
}
MIN_ARCH = 75  # Triton's NVIDIA backend compiles for Turing (sm_75) and later


def why_not() -> str | None:
    """None where triton imports (and has its NVIDIA backend), else why not."""
    if not gk.available():
        return f"triton unavailable ({gk.status()})"
    if gk.interpreted():
        return "TRITON_INTERPRET=1: Triton interprets kernels here and compiles none"
    try:
        from triton.backends import backends
    except Exception as e:  # noqa: BLE001 - any failure: nothing to compile with
        return f"triton has no backends ({type(e).__name__}: {e})"
    return None if "nvidia" in backends else "triton has no NVIDIA backend"


class _Target:
    """Stands in for Triton's CUDA driver where Triton asks which GPU it compiles for."""

    def __init__(self, arch: int) -> None:
        from triton.backends.compiler import GPUTarget

        self.target = GPUTarget("cuda", arch, 32)

    def get_current_target(self) -> Any:
        return self.target

    def get_current_device(self) -> int:
        return 0

    def get_current_stream(self, device: int | None = None) -> int:
        return 0

    def is_active(self) -> bool:
        return True


@contextlib.contextmanager
def compiling_for(arch: int) -> Iterator[list[Any]]:
    """Within it, a Triton kernel's launch compiles it for ``arch`` and launches nothing; the
    compiled kernels are appended to the list it yields. Triton's driver, its launch and each
    kernel's per-device caches are put back afterwards (a later launch on a real GPU compiles
    for that GPU)."""
    from triton.runtime import driver
    from triton.runtime.jit import KernelInterface

    compiled: list[Any] = []
    saved_caches: dict[Any, Any] = {}
    launch = KernelInterface.__getitem__

    def compile_only(fn: Any, grid: Any) -> Callable[..., Any]:
        if fn not in saved_caches:  # its binder and kernels for this target only
            saved_caches[fn] = fn.device_caches
            fn.device_caches = defaultdict(fn.create_binder)

        def go(*args: Any, **kwargs: Any) -> Any:
            kernel = fn.run(*args, grid=grid, warmup=True, **kwargs)
            compiled.append(kernel)
            return kernel
        return go

    before = driver._active
    driver.set_active(_Target(arch))
    KernelInterface.__getitem__ = compile_only
    try:
        yield compiled
    finally:
        KernelInterface.__getitem__ = launch
        driver._active = before
        for fn, caches in saved_caches.items():
            fn.device_caches = caches


_USAGE = re.compile(r"Function (\w+):\s*REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)")


def parse_usage(text: str) -> dict[str, dict[str, int]]:
    """``cuobjdump --dump-resource-usage``'s counts per function: registers per thread, stack,
    static shared memory and local memory (bytes)."""
    return {m[1]: {"regs": int(m[2]), "stack": int(m[3]), "static_shared": int(m[4]),
                   "local": int(m[5])} for m in _USAGE.finditer(text)}


def _tools(arch: int) -> tuple[str, str]:
    """The cuobjdump and the ptxas Triton itself uses for ``arch`` (its knobs: the
    ``TRITON_*_PATH`` variables, else the ones it ships; from triton 3.6 on a separate ptxas
    for sm_100 and later)."""
    import inspect

    from triton import knobs
    from triton.backends.nvidia import compiler

    get = compiler.get_ptxas
    ptxas = get(arch) if inspect.signature(get).parameters else get()
    return knobs.nvidia.cuobjdump.path, ptxas.path


_SPILLS = re.compile(r"(\d+) bytes spill stores, (\d+) bytes spill loads")


def usage(kernel: Any, workdir: Path) -> dict[str, int | None]:
    """Registers, stack, static shared and local memory of a compiled kernel, read off its
    binary by the cuobjdump Triton ships; and the bytes of spill stores and loads that ptxas
    reports (``-v``) for its PTX, with Triton's own ptxas flags (None where the kernel came
    from a cache stripped of its PTX)."""
    path = workdir / f"{kernel.name}-{kernel.hash[:16]}.cubin"
    path.write_bytes(kernel.asm["cubin"])
    arch = kernel.metadata.target.arch
    cuobjdump, ptxas = _tools(arch)
    out = subprocess.run([cuobjdump, "--dump-resource-usage", str(path)],
                         capture_output=True, text=True, check=True).stdout
    found = parse_usage(out)
    if kernel.name not in found:
        raise RuntimeError(f"cuobjdump printed no resource usage for {kernel.name}: {out!r}")
    res: dict[str, int | None] = {**found[kernel.name], "spill_stores": None,
                                  "spill_loads": None}
    if "ptx" in kernel.asm:
        ptx = path.with_suffix(".ptx")
        ptx.write_text(kernel.asm["ptx"])
        from triton.backends.nvidia.compiler import sm_arch_from_capability

        log = subprocess.run([ptxas, "-lineinfo", "-v",
                              f"--gpu-name={sm_arch_from_capability(arch)}", str(ptx), "-o",
                              str(path.with_suffix(".o"))],
                             capture_output=True, text=True, check=True).stderr
        m = _SPILLS.search(log)
        if m is None:
            raise RuntimeError(f"ptxas -v printed no spill counts for {kernel.name}: {log!r}")
        res.update(spill_stores=int(m[1]), spill_loads=int(m[2]))
    return res


def occupancy(arch: int, warps: int, regs: int, shared: int) -> dict[str, int] | None:
    """Blocks (and warps) of ``warps`` warps, ``regs`` registers per thread and ``shared`` bytes
    of shared memory one SM holds at once, by the occupancy rules of the CUDA programming
    guide and its occupancy calculator (registers allocated per warp in units of 256, from the
    register file of one of the SM's 4 sub-partitions; the driver's reserved shared memory per
    block); None for an architecture not in :data:`SM`."""
    sm = SM.get(arch)
    if sm is None:
        return None
    regs_per_warp = math.ceil(regs * 32 / 256) * 256
    # the register file is split among the SM's 4 sub-partitions, each holding whole warps
    by_regs = (4 * (sm["regs"] // 4 // regs_per_warp)) // warps if regs_per_warp else sm["blocks"]
    by_threads = sm["threads"] // (32 * warps)
    per_block = shared + sm["reserved"]
    by_smem = sm["smem"] // per_block if shared else sm["blocks"]
    blocks = min(by_regs, by_threads, by_smem, sm["blocks"])
    return {"blocks": blocks, "warps": blocks * warps, "by_regs": by_regs,
            "by_smem": by_smem, "by_threads": by_threads}


def configurations(grid: str, stages: bool) -> dict[str, list[gk.Blocks]]:
    """The launch configurations per kernel: the defaults, or gpu_blocks.py's grids (and each
    with each of its stage counts)."""
    if grid == "default":
        base = {"forward": [gk.FWD_BLOCKS], "backward": [gk.BWD_BLOCKS]}
    else:
        base = {"forward": list(gpu_blocks.FWD_GRID), "backward": list(gpu_blocks.BWD_GRID)}
    if stages:
        base = {k: v + [dataclasses.replace(b, stages=s) for b in v for s in gpu_blocks.STAGES]
                for k, v in base.items()}
    return base


def launches(ops: gpu_blocks.Operands, kernel: str, blocks: gk.Blocks | None
             ) -> list[tuple[str, Callable[[], None]]]:
    """The launches of one kernel and configuration: the forward (mask as bytes, as the step
    with both opt-ins), the backward with a byte and a float mask (as gpu_blocks.py times
    them), the default pass."""
    if kernel == "forward":
        return [("bytes", lambda: ops.forward(blocks))]
    if kernel == "backward":
        return [("bytes", lambda: ops.backward(blocks)),
                ("floats", lambda: ops.backward(blocks, ops.maskf))]
    return [("floats", lambda: gk.relu_readout_mask(ops.h, ops.a, ops.f))]


def compile_all(arch: int, configs: dict[str, list[gk.Blocks]], workdir: Path,
                shape: tuple[int, int, int, int] = REFERENCE) -> list[dict[str, Any]]:
    """Compile the default pass and each kernel and configuration of ``configs`` (as
    :func:`configurations` gives) for ``arch``; a row each, a failure included."""
    ops = gpu_blocks.Operands("meta", *shape)
    todo: list[tuple[str, gk.Blocks | None]] = [("pass", None)]
    for kernel, blocks_list in configs.items():
        todo += [(kernel, b) for b in blocks_list]
    rows = []
    for kernel, blocks in todo:
        for mask, call in launches(ops, kernel, blocks):
            row: dict[str, Any] = {"kernel": kernel, "mask": mask, "blocks": (
                None if blocks is None else dataclasses.asdict(blocks))}
            t = time.perf_counter()
            try:
                with compiling_for(arch) as compiled:
                    call()
                row["seconds"] = time.perf_counter() - t
                if len(compiled) != 1:
                    raise RuntimeError(f"{len(compiled)} kernels compiled for one launch")
                k = compiled[0]
                row.update(usage(k, workdir))
                row.update(warps=k.metadata.num_warps, stages=k.metadata.num_stages,
                           shared=k.metadata.shared, arch=k.metadata.target.arch, failed=None)
                row["occupancy"] = occupancy(arch, row["warps"], row["regs"],
                                             row["shared"] + row["static_shared"])
            except Exception as e:  # noqa: BLE001 - the compiler's refusal is a result
                row["seconds"] = time.perf_counter() - t
                row["failed"] = _why(e)
            rows.append(row)
    return rows


def relocate(cache: Path) -> int:
    """Point a moved Triton cache at where it is now: each entry's group file lists its files by
    absolute path, and Triton compiles again where one of them is missing. Rewrites each group
    file (atomically) whose paths lie elsewhere to the files beside it, where all of them are
    there; an entry missing one loses its group file, so Triton compiles it again instead of
    taking a partial entry (metadata without its binary) for a hit. The number rewritten."""
    done = 0
    for grp in sorted(cache.glob("*/__grp__*.json")):
        try:
            paths = json.loads(grp.read_text()).get("child_paths")
        except (OSError, ValueError, AttributeError):
            paths = None
        here = ({name: str(grp.parent.resolve() / Path(p).name) for name, p in paths.items()}
                if isinstance(paths, dict) else None)
        if here is None or not all(Path(p).is_file() for p in here.values()):
            grp.unlink()
            continue
        if here == paths:
            continue
        write_text_atomic(grp, json.dumps({"child_paths": here}))
        done += 1
    return done


MANIFEST = "twolayer-manifest.json"  # what a cache was built from, beside its entries


def manifest(arch: int) -> dict[str, Any]:
    """What a cache's keys hang on: the kernels' file (Triton keys each kernel by its source
    and its line number in the file), triton's version and Python's minor version (Triton keys
    by its own build, one per Python), and the architecture."""
    import hashlib

    import triton

    src = Path(gk.__file__).read_bytes()
    return {"gpu_kernels_sha256": hashlib.sha256(src).hexdigest(), "triton": triton.__version__,
            "python": ".".join(map(str, sys.version_info[:2])), "arch": arch}


def staleness(cache: Path) -> str | None:
    """None where ``cache``'s manifest matches this checkout and this Python's triton (for the
    architecture it names), else why its kernels will be compiled again."""
    try:
        built = json.loads((cache / MANIFEST).read_text())
    except (OSError, ValueError):
        return f"no readable {MANIFEST}"
    try:
        now = manifest(built.get("arch", 0) if isinstance(built, dict) else 0)
    except ImportError as e:
        return f"cannot tell here ({e})"
    diff = [k for k in now if not isinstance(built, dict) or built.get(k) != now[k]]
    if not diff:
        return None
    names = {"gpu_kernels_sha256": "twolayer/net/gpu_kernels.py", "triton": "triton",
             "python": "python", "arch": "arch"}
    return "built with another " + ", ".join(names[k] for k in diff)


LEAN_KEEP = (".cubin", ".json")  # what a launch reads from a cache entry


def lean(cache: Path) -> int:
    """Strip each entry of a Triton cache to what a launch reads (the binary and its metadata:
    about 0.3 of the size; the source and intermediate IRs go), its group file rewritten to
    list what is left; the bytes removed."""
    freed = 0
    for grp in sorted(cache.glob("*/__grp__*.json")):
        data = json.loads(grp.read_text())
        paths = data.get("child_paths")
        if not isinstance(paths, dict):
            continue
        keep = {}
        for name, p in paths.items():
            f = grp.parent / Path(p).name
            if Path(name).suffix in LEAN_KEEP:
                if f.is_file():
                    keep[name] = p
            elif f.exists():
                freed += f.stat().st_size
                f.unlink()
        write_text_atomic(grp, json.dumps({**data, "child_paths": keep}))
    return freed


def _why(e: Exception) -> str:
    """The compiler's reason: the last line of its message (Triton's CompilationError puts the
    kernel's source first and the reason last), with the exception's type."""
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[-1][:300] if lines else ''}"


def report(res: dict[str, Any]) -> str:
    R, n, d, m = (res["shape"][k] for k in "Rndm")
    lines = [f"compiled for sm_{res['arch']} with triton {res['triton']} (python "
             f"{res['python']}, no GPU), at R = {R}, n = {n}, d = {d}, m = {m}; occupancy "
             f"estimated from the compiler's counts, not measured",
             f"  {'kernel':8s} {'mask':6s} {'c':>4s} {'m':>4s} {'warps':>5s} {'stages':>6s} "
             f"{'regs':>4s} {'spill':>5s} {'shared':>7s} {'blocks/SM':>9s} {'warps/SM':>8s} "
             f"order"]
    for r in res["rows"]:
        b = r["blocks"] or {"c": None, "m": None}
        cfg = (f"  {r['kernel']:8s} {r['mask']:6s} {b['c'] or '-':>4} {b['m'] or '-':>4} "
               f"{r.get('warps') or (b.get('warps') or '-'):>5} ")
        if r["failed"]:
            lines.append(f"{cfg}{b.get('stages') or '-':>6}  FAILED: {r['failed']}")
            continue
        occ = r["occupancy"]
        spill = (r["spill_stores"] if r.get("spill_stores") is not None
                 else f"{r['stack'] + r['local']}?")
        lines.append(f"{cfg}{r['stages']:>6} {r['regs']:4d} {spill:>5} "
                     f"{r['shared'] + r['static_shared']:7d} "
                     f"{occ['blocks'] if occ else '?':>9} {occ['warps'] if occ else '?':>8} "
                     f"{'by run' if b.get('by_run') else ''}")
    failed = sum(1 for r in res["rows"] if r["failed"])
    spilled = sum(1 for r in res["rows"] if spills(r))
    lines.append(f"{len(res['rows'])} launches compiled, {failed} failed, {spilled} spill "
                 f"registers; spill: bytes of spill stores per thread (ptxas -v; N?: no PTX, "
                 f"the stack frame instead); shared: bytes per block")
    return "\n".join(lines)


def spills(row: dict[str, Any]) -> bool:
    """Whether a compiled kernel spills registers to memory: ptxas's spill stores, or where
    those are unknown (a stripped cache), a stack frame or local memory (in these kernels, which
    call nothing and index no per-thread arrays, registers that did not fit)."""
    if row["failed"]:
        return False
    if row.get("spill_stores") is not None:
        return row["spill_stores"] > 0
    return row["stack"] + row["local"] > 0


def _arch(text: str) -> int:
    try:
        arch = int(text)
    except ValueError:
        arch = -1
    if arch < MIN_ARCH or arch > 200:
        raise argparse.ArgumentTypeError(
            f"--arch must be a compute capability times 10 from {MIN_ARCH} (e.g. 80: A100, 90: "
            f"H100/H200), got {text!r}")
    return arch


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", type=_arch, default=90,
                    help="compute capability x 10 (default 90: H100, H200)")
    ap.add_argument("--grid", choices=("default", "full"), default="full",
                    help="the default launch configurations, or gpu_blocks.py's grids")
    ap.add_argument("--stages", action="store_true",
                    help="also each configuration with each of gpu_blocks.py's stage counts")
    ap.add_argument("--cache", help="Triton's cache directory for the compiled kernels")
    ap.add_argument("--out", help="also write the results as JSON here")
    ap.add_argument("--lean", action="store_true",
                    help="with --cache: keep only what a launch reads (binaries, metadata)")
    ap.add_argument("--relocate", metavar="DIR",
                    help="only point the Triton cache DIR, copied from another machine or "
                         "folder, at where it is now (compiles nothing)")
    args = ap.parse_args(argv)
    if args.relocate:
        if args.cache or args.out or args.lean or args.stages:
            print("error: --relocate DIR compiles nothing: it takes no --cache, --out, --lean "
                  "or --stages", file=sys.stderr)
            return 2
        if not Path(args.relocate).is_dir():
            print(f"error: --relocate {args.relocate}: no such directory", file=sys.stderr)
            return 2
        cache = Path(args.relocate)
        stale = staleness(cache)
        print(f"triton cache {args.relocate}: {relocate(cache)} entries pointed here, "
              f"{len(list(cache.glob('*/*.cubin')))} compiled kernels; "
              + ("it matches this checkout" if stale is None else
                 f"STALE ({stale}): its kernels will be compiled again"))
        return 0
    for flag, where, path in (("cache", args.cache, args.cache),
                              ("out", args.out and Path(args.out).parent, args.out)):
        if where is not None:
            try:
                ensure_writable_dir(where, flag, path)
            except ConfigError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
    if args.lean and not args.cache:
        print("error: --lean needs --cache DIR (the cache it strips)", file=sys.stderr)
        return 2
    if args.cache:
        os.environ["TRITON_CACHE_DIR"] = str(Path(args.cache).resolve())
    why = why_not()
    if why is not None:
        print(f"gpu compile: nothing to compile here: {why}")
        res: dict[str, Any] = {"arch": args.arch, "not_run": why}
    else:
        import tempfile

        import triton

        with tempfile.TemporaryDirectory(prefix="twolayer-cubin-") as tmp:
            rows = compile_all(args.arch, configurations(args.grid, args.stages), Path(tmp))
        res = {"arch": args.arch, "triton": triton.__version__, "torch": torch.__version__,
               "python": sys.version.split()[0], "shape": dict(zip("Rndm", REFERENCE)),
               "grid": args.grid, "stages": args.stages, "rows": rows, "not_run": None}
        if args.cache:
            (Path(args.cache) / MANIFEST).write_text(json.dumps(manifest(args.arch)))
        if args.lean:
            freed = lean(Path(args.cache))
            print(f"--lean: {freed / 2**20:.1f} MiB of sources and intermediate IRs removed "
                  f"from {args.cache}")
        print(report(res), flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
