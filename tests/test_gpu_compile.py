"""benchmarks/gpu_compile.py: the Triton kernels compiled for GPUs that are not here (the
H200's sm_90, the A100's sm_80) by Triton's own compiler and ptxas, with their resource counts.
Triton's interpreter, which runs the kernels in the other CPU tests, never compiles them: a
launch configuration the compiler refuses passes there and fails only here (or on the GPU)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bench_helpers import benchmark_module

from twolayer.net import gpu_kernels as gk

ROOT = Path(__file__).resolve().parents[1]
HAVE_TRITON = importlib.util.find_spec("triton") is not None
needs_triton = pytest.mark.skipif(not HAVE_TRITON, reason="triton is not installed")
TINY = (2, 40, 50, 70)  # R, n, d, m: the compiled code depends on d and m, not on R


def _module():
    return benchmark_module("gpu_compile")  # (which puts benchmarks/ on sys.path for gpu_blocks)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Triton's cache in the test's own folder (never the user's ~/.triton)."""
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "triton-cache"))
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    return tmp_path / "triton-cache"


def test_occupancy_by_the_cuda_rules():
    """Hand-computed from the CUDA occupancy rules (sm_90: 64 K registers, 2048 threads, 32
    blocks and 228 KB of shared memory per SM, 1 KB reserved per block)."""
    mod = _module()
    # 168 registers -> 5376 per warp (21 units of 256) -> 12 warps -> 3 blocks of 4 warps;
    # shared 52224 + 1024 -> 4 blocks; threads -> 16 blocks
    occ = mod.occupancy(90, 4, 168, 52224)
    assert (occ["blocks"], occ["warps"], occ["by_regs"], occ["by_smem"]) == (3, 12, 3, 4)
    # shared memory binds: 233472 // (116224 + 1024) = 1
    assert mod.occupancy(90, 4, 32, 116224)["blocks"] == 1
    # threads bind: 8 warps of 16 registers -> 2048 // 256 = 8 blocks (registers allow 16)
    occ = mod.occupancy(90, 8, 16, 1024)
    assert (occ["blocks"], occ["by_regs"], occ["by_threads"]) == (8, 16, 8)
    # the A100 has less shared memory: 167936 // (52224 + 1024) = 3
    assert mod.occupancy(80, 4, 32, 52224)["by_smem"] == 3
    # registers by sub-partition: 80 registers -> 2560 per warp -> 16384 // 2560 = 6 warps in
    # each of 4 quarters = 24 (not 65536 // 2560 = 25)
    assert mod.occupancy(90, 1, 80, 0)["by_regs"] == 24
    assert mod.occupancy(70, 4, 32, 0) is None  # an architecture without a table


def test_parse_usage_reads_cuobjdumps_counts():
    text = """
Resource usage:
 Common:
  GLOBAL:0
 Function forward:
  REG:168 STACK:16 SHARED:1024 LOCAL:8 CONSTANT[0]:632 TEXTURE:0 SURFACE:0 SAMPLER:0
 Function kernel:
  REG:56 STACK:0 SHARED:0 LOCAL:0 CONSTANT[0]:592 TEXTURE:0 SURFACE:0 SAMPLER:0
"""
    mod = _module()
    got = mod.parse_usage(text)
    assert got == {"forward": {"regs": 168, "stack": 16, "static_shared": 1024, "local": 8},
                   "kernel": {"regs": 56, "stack": 0, "static_shared": 0, "local": 0}}
    # without ptxas's counts (a stripped cache) the stack frame stands in for them
    assert mod.spills({**got["forward"], "failed": None})
    assert not mod.spills({**got["kernel"], "failed": None})
    assert not mod.spills({**got["forward"], "spill_stores": 0, "failed": None})
    assert mod.spills({**got["kernel"], "spill_stores": 4, "failed": None})


@needs_triton
@pytest.mark.parametrize("arch", [90, pytest.param(80, marks=pytest.mark.slow)])  # H200; A100
def test_the_default_kernels_compile_for_the_h200_and_the_a100(arch, cache, tmp_path):
    mod = _module()
    rows = mod.compile_all(arch, mod.configurations("default", False), tmp_path,
                           mod.REFERENCE)
    kinds = [(r["kernel"], r["mask"]) for r in rows]
    assert kinds == [("pass", "floats"), ("forward", "bytes"), ("backward", "bytes"),
                     ("backward", "floats")]
    for r in rows:
        assert r["failed"] is None, r
        assert r["arch"] == arch
        assert 0 < r["regs"] <= 255
        assert r["shared"] + r["static_shared"] <= mod.SM[arch]["smem_block"]
        assert r["warps"] == 4  # Triton's default, as the default Blocks ask for none
        assert r["occupancy"]["blocks"] >= 1
        assert r["spill_stores"] is not None and r["spill_loads"] is not None  # from ptxas -v
    assert any(cache.rglob("*.cubin"))  # the compiled kernels went to the cache asked for


@needs_triton
def test_a_tile_the_compiler_refuses_is_reported_though_the_interpreter_runs_it(cache,
                                                                                 tmp_path):
    """Backward tiles of 8 samples: tl.dot's inner dimension below 16. The interpreter runs
    the kernel to the right numbers; the compiler refuses it, and the row says why."""
    mod = _module()
    small = gk.Blocks(8, 64, 4)
    code = ("import sys, torch; sys.path.insert(0, 'benchmarks'); import gpu_blocks\n"
            "from twolayer.net import gpu_kernels as gk\n"
            "p = gpu_blocks.Problem(torch.device('cpu'), 2, 40, 50, 70)\n"
            "gk.backward_gemm(p.x, p.c, p.mask8, p.G, True, gk.BWD_BLOCKS)\n"
            "G = p.G.clone()\n"
            "kernel = gk._load_backward()  # (the wrapper refuses c < 16 itself)\n"
            "kernel[(2, 2)](p.x, p.c, p.mask8, p.G, p.x.stride(0), p.x.stride(1), p.c.stride(0),\n"
            "             p.c.stride(1), p.mask8.stride(0), p.mask8.stride(1), p.G.stride(0),\n"
            "             p.G.stride(1), C=40, D=50, M=70, HAS_B=True, FIRST=True, BLOCK_C=8,\n"
            "             BLOCK_M=64, BLOCK_D=64, num_warps=4)\n"
            "print(float((p.G - G).abs().max() / G.abs().max()))\n")
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert float(res.stdout.split()[-1]) < 1e-5  # interpreted: the right G
    args = (torch.zeros(1, 16, 4), torch.zeros(1, 16), torch.zeros(1, 16, 8),
            torch.zeros(1, 5, 8), True)
    with pytest.raises(ValueError, match="tl.dot needs at least 16"):
        gk.backward_gemm(*args, small)
    with pytest.raises(ValueError, match="by_run is the forward's"):  # not silently ignored
        gk.backward_gemm(*args, gk.Blocks(16, 64, by_run=True))
    # the compiler, through the kernel's own launch (the wrapper's check bypassed)
    ops = mod.gpu_blocks.Operands("meta", *TINY)
    with mod.compiling_for(90) as compiled, pytest.raises(Exception, match="K >= 16"):
        kernel = gk._load_backward()
        kernel[(2, 2)](ops.x, ops.c, ops.mask8, ops.G, ops.x.stride(0), ops.x.stride(1),
                       ops.c.stride(0), ops.c.stride(1), ops.mask8.stride(0),
                       ops.mask8.stride(1), ops.G.stride(0), ops.G.stride(1), C=40, D=50, M=70,
                       HAS_B=True, FIRST=True, BLOCK_C=8, BLOCK_M=64, BLOCK_D=64, num_warps=4)
    assert compiled == []


@needs_triton
def test_a_failed_compile_is_a_row_not_an_exception(cache, tmp_path, monkeypatch):
    mod = _module()

    def refuse(self, blocks, mask=None):
        raise RuntimeError("Triton source\n    acc = tl.dot(x, y)\nout of resources: 300000")

    monkeypatch.setattr(mod.gpu_blocks.Operands, "backward", refuse)
    rows = mod.compile_all(90, {"backward": [gk.Blocks(32, 64)]}, tmp_path, TINY)
    failed = [r for r in rows if r["kernel"] == "backward"]
    assert len(failed) == 2 and all(r["failed"] == "RuntimeError: out of resources: 300000"
                                    for r in failed)
    assert "FAILED: RuntimeError: out of resources" in mod.report(
        {"arch": 90, "triton": "", "python": "", "shape": dict(zip("Rndm", TINY)),
         "rows": rows})
    assert rows[0]["kernel"] == "pass" and rows[0]["failed"] is None


@needs_triton
def test_the_stand_in_target_is_put_back(cache):
    """After compiling for another GPU, Triton's driver, its launch and the kernel's caches are
    what they were: a later launch (here, in the interpreter's absence, a real one) is not
    served a kernel compiled for the stand-in."""
    from triton.runtime import driver
    from triton.runtime.jit import KernelInterface

    mod = _module()
    kernel = gk._load_forward()
    before = (driver._active, KernelInterface.__getitem__, kernel.device_caches)
    ops = mod.gpu_blocks.Operands("meta", *TINY)
    with mod.compiling_for(90) as compiled:
        ops.forward(None)
        assert driver._active is not before[0]
    assert len(compiled) == 1 and compiled[0].metadata.target.arch == 90
    assert (driver._active, KernelInterface.__getitem__, kernel.device_caches) == before
    with pytest.raises(ValueError), mod.compiling_for(80):
        raise ValueError("inside")
    assert (driver._active, KernelInterface.__getitem__, kernel.device_caches) == before


@pytest.mark.slow  # a GPU session's compile script run whole (as a subprocess)
@needs_triton
def test_the_script_writes_its_json_and_its_cache(tmp_path):
    out, cache_dir = tmp_path / "compile.json", tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET",
                                                            "TRITON_CACHE_DIR")}
    res = subprocess.run([sys.executable, "benchmarks/gpu_compile.py", "--grid", "default",
                          "--cache", str(cache_dir), "--out", str(out)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["not_run"] is None and data["arch"] == 90 and len(data["rows"]) == 4
    assert all(r["failed"] is None for r in data["rows"])
    assert "4 launches compiled, 0 failed" in res.stdout
    # the pass, the forward, the backward for a byte and for a float mask
    assert len(list(cache_dir.rglob("*.cubin"))) == 4
    assert json.loads((cache_dir / "twolayer-manifest.json").read_text())["arch"] == 90
    res = subprocess.run([sys.executable, "benchmarks/gpu_compile.py", "--relocate",
                          str(cache_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0 and "it matches this checkout" in res.stdout, res.stdout
    assert not list(tmp_path.glob("*.tmp"))


def test_the_script_refuses_bad_flags(tmp_path, capsys):
    """Each bad flag: exit status 2 and the flag named on stderr, nothing written. The script
    runs once as a process (its exit status as the shell sees it), then in-process through its
    ``main`` (argparse's refusals are SystemExit(2))."""
    res = subprocess.run([sys.executable, "benchmarks/gpu_compile.py", "--arch", "60"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--arch" in res.stderr, (res.stdout, res.stderr)
    mod = _module()

    def run(*args):
        try:
            code = mod.main(list(args))
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    for args, flag in ((["--arch", "60"], "--arch"), (["--arch", "x"], "--arch"),
                       (["--grid", "big"], "--grid"),
                       (["--out", "/proc/no/such/compile.json"], "--out"),
                       (["--cache", "/proc/no-cache"], "--cache"), (["--lean"], "--lean"),
                       (["--relocate", str(tmp_path), "--out", str(tmp_path / "compile.json")],
                        "--relocate"),
                       (["--arch", "60", "--out", str(tmp_path / "compile.json")], "--arch")):
        res = run(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert flag in res.stderr, (args, res.stderr)
    assert not (tmp_path / "compile.json").exists()  # nothing written by a refused call


def _stamps(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.slow  # a GPU session's compile script: the relocated cache
@needs_triton
def test_a_moved_cache_serves_its_kernels_once_relocated(tmp_path, monkeypatch):
    """A cache compiled in one folder, moved (as to the GPU machine), is used by Triton there
    only after ``--relocate`` (stripped by ``--lean`` or not): without it Triton compiles again
    and rewrites the entry."""
    import shutil

    mod = _module()
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    ops = mod.gpu_blocks.Operands("meta", *TINY)

    def compile_into(cache: Path) -> None:
        monkeypatch.setenv("TRITON_CACHE_DIR", str(cache))
        with mod.compiling_for(90) as compiled:
            ops.backward(gk.Blocks(16, 32, 4))
        assert len(compiled) == 1

    first, moved, again = tmp_path / "first", tmp_path / "moved", tmp_path / "again"
    compile_into(first)
    shutil.copytree(first, again)
    shutil.move(str(first), str(moved))
    assert mod.relocate(moved) == 1  # one entry (its group file) pointed at its new folder
    assert mod.relocate(moved) == 0  # and only once
    assert mod.lean(moved) > 0  # the sources and IRs gone, the binary and metadata kept
    assert sorted(p.suffix for p in moved.rglob("*") if p.is_file()) == [".cubin", ".json",
                                                                         ".json"]
    before = _stamps(moved)
    compile_into(moved)
    assert _stamps(moved) == before  # found, nothing written: no compile
    # a copy not relocated lists its files under first/, gone now: Triton compiles again and
    # rewrites the entry's group file to its own folder
    (grp,) = again.glob("*/__grp__*.json")
    assert str(first) in grp.read_text() and str(again) not in grp.read_text()
    compile_into(again)
    assert str(again) in grp.read_text() and str(first) not in grp.read_text()
    res = subprocess.run([sys.executable, "benchmarks/gpu_compile.py", "--relocate",
                          str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and "--relocate" in res.stderr


@needs_triton
def test_a_moved_entry_missing_its_binary_is_compiled_again_not_taken(tmp_path, monkeypatch):
    """An entry whose metadata arrived without its binary: pointed at, Triton would take it
    for a hit and fail on the missing cubin; relocate drops its group file instead, so the
    launch compiles it again."""
    import shutil

    mod = _module()
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    ops = mod.gpu_blocks.Operands("meta", *TINY)
    first, moved = tmp_path / "first", tmp_path / "moved"
    monkeypatch.setenv("TRITON_CACHE_DIR", str(first))
    with mod.compiling_for(90):
        ops.backward(gk.Blocks(16, 32, 4))
    shutil.move(str(first), str(moved))
    (cubin,) = moved.rglob("*.cubin")
    cubin.unlink()
    assert mod.relocate(moved) == 0 and not list(moved.glob("*/__grp__*.json"))
    monkeypatch.setenv("TRITON_CACHE_DIR", str(moved))
    with mod.compiling_for(90) as compiled:
        ops.backward(gk.Blocks(16, 32, 4))
    assert len(compiled) == 1 and compiled[0].asm["cubin"]  # compiled again
    assert cubin.exists()


@needs_triton
def test_the_tools_are_tritons_own(tmp_path, monkeypatch):
    """Spills are read by the ptxas Triton compiled with: its knob TRITON_PTXAS_PATH is
    honoured (here a stand-in that only tells its version)."""
    mod = _module()
    cuobjdump, ptxas = mod._tools(90)
    assert Path(cuobjdump).name == "cuobjdump" and Path(ptxas).name == "ptxas"
    fake = tmp_path / "ptxas"
    fake.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.8, V12.8.93'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TRITON_PTXAS_PATH", str(fake))
    assert mod._tools(90)[1] == str(fake)


@pytest.mark.slow  # a GPU session's compile script: its stale cache
@needs_triton
def test_a_cache_says_when_it_is_stale(tmp_path, monkeypatch):
    """The manifest written with --cache matches this checkout; an edit of gpu_kernels.py (a
    shifted line is enough to change Triton's keys) or another triton makes it stale, and
    --relocate says so."""
    mod = _module()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / mod.MANIFEST).write_text(json.dumps(mod.manifest(90)))
    assert mod.staleness(cache) is None
    built = mod.manifest(90)
    (cache / mod.MANIFEST).write_text(json.dumps({**built, "gpu_kernels_sha256": "0" * 64,
                                                  "triton": "0.0"}))
    assert mod.staleness(cache) == "built with another twolayer/net/gpu_kernels.py, triton"
    res = subprocess.run([sys.executable, "benchmarks/gpu_compile.py", "--relocate", str(cache)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "STALE (built with another" in res.stdout, res.stdout
    (cache / mod.MANIFEST).unlink()
    assert mod.staleness(cache) == f"no readable {mod.MANIFEST}"
