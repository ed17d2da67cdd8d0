"""benchmarks/gpu_blocks.py (the opt-in Triton kernels' launch configurations, timed and
checked) and gpu_steps.py's ``--blocks``: the script's dry run in Triton's interpreter, and its
check against a float64 oracle, which must refuse a wrong kernel output whatever its speed."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess

import pytest
import torch
from bench_helpers import benchmark_module, run_benchmark

from twolayer.net import gpu_kernels as gk

HAVE_TRITON = importlib.util.find_spec("triton") is not None


def _script(*args: str, interpret: bool) -> subprocess.CompletedProcess:
    return run_benchmark("gpu_blocks.py", *args, interpret=interpret)


def test_the_blocks_script_says_when_there_is_nothing_to_measure(tmp_path):
    out = tmp_path / "blocks.json"
    res = _script("--device", "cpu", "--quick", "--out", str(out), interpret=False)
    assert res.returncode == 0 and "nothing to measure" in res.stdout, res.stderr
    assert json.loads(out.read_text())["not_run"]
    bad = _script("--reps", "0", interpret=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--reps" in bad.stderr


@pytest.mark.slow  # a GPU session's diagnostic script, in Triton's interpreter
@pytest.mark.skipif(not HAVE_TRITON, reason="triton is not installed")
def test_the_blocks_script_dry_run_in_the_interpreter(tmp_path):
    out = tmp_path / "blocks.json"
    res = _script("--device", "cpu", "--quick", "--reps", "1", "--out", str(out),
                  interpret=True)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    mod = benchmark_module("gpu_blocks")
    assert data["not_run"] is None and len(data["shapes"]) == 1
    shape = data["shapes"][0]
    assert all(s > 0 for s in shape["eager_seconds"].values())
    for kernel in ("forward", "backward"):
        rows = shape[kernel]
        # the quick grid (the forward's in both launch orders), then the fastest with each
        # stage count
        assert len(rows) == len(mod.QUICK_GRID[kernel]) + 3 == (6 if kernel == "forward" else 5)
        assert all(r["correct"] and r["rel_err"] <= data["tol"] for r in rows), rows
        fastest = min(rows, key=lambda r: r["seconds"])["blocks"]
        assert data["best"][kernel] == fastest
    assert shape["backward_float_mask_seconds"] > 0
    assert "best at R = 2" in res.stdout


def test_the_check_refuses_a_wrong_output_and_a_flipped_mask_entry():
    """The oracle's check itself (no triton needed): outputs written by hand."""
    mod = benchmark_module("gpu_blocks")
    p = mod.Problem(torch.device("cpu"), 2, 40, 50, 70)
    p.out8.copy_(p.mask64)
    p.f.copy_(p.f64.float())
    assert p.forward_error() <= mod.TOL
    i = p.decided.nonzero()[0].tolist()
    p.out8[tuple(i)] = 1 - p.out8[tuple(i)]  # one mask entry that rounding cannot flip
    assert p.forward_error() is None
    p.out8.copy_(p.mask64)
    p.f[1, 3] += 1e-3 * p.f64.abs().max().item()
    assert p.forward_error() > mod.TOL
    p.G.copy_(p.G64.float())
    assert p.backward_error() <= mod.TOL
    p.G[0, 50, 5] += 1e-3 * p.G64.abs().max().item()  # the bias row
    assert p.backward_error() > mod.TOL


def test_a_fast_wrong_or_failing_configuration_is_never_the_best(monkeypatch):
    mod = benchmark_module("gpu_blocks")
    p = mod.Problem(torch.device("cpu"), 2, 40, 50, 70)
    right, wrong, broken = gk.Blocks(32, 32, 4), gk.Blocks(16, 64, 8), gk.Blocks(64, 64, 2)

    def forward(blocks):
        if blocks == broken:
            raise RuntimeError("out of resources")
        p.out8.copy_(p.mask64)
        p.f.copy_(p.f64.float())
        if blocks == wrong:  # the fast one is wrong by 1e-3 of the largest value
            p.f[0, 0] += 1e-3 * p.f64.abs().max().item()
        else:
            for _ in range(200):  # and the right one slow
                torch.randn(64, 64) @ torch.randn(64, 64)

    monkeypatch.setattr(p, "forward", forward)
    rows, cut = mod.sweep(torch.device("cpu"), p, "forward", [wrong, broken, right], 3, 1.0,
                          math.inf)
    assert not cut
    by = {(r["blocks"]["c"], r["blocks"]["m"], r["blocks"]["warps"], r["blocks"]["stages"]): r
          for r in rows}
    assert not by[(16, 64, 8, None)]["correct"] and by[(16, 64, 8, None)]["seconds"] > 0
    assert "out of resources" in by[(64, 64, 2, None)]["failed"]
    assert by[(32, 32, 4, None)]["correct"]
    assert by[(16, 64, 8, None)]["seconds"] < by[(32, 32, 4, None)]["seconds"]
    assert mod._fastest(rows) in ({"c": 32, "m": 32, "warps": 4, "stages": s, "by_run": False}
                                  for s in (None, *mod.STAGES))
    assert "WRONG" in mod.report({"device": "cpu", "torch": "", "gpu_kernels": "",
                                  "gemm_tflops": 1.0, "stopped_early": False,
                                  "best": {"forward": None, "backward": None},
                                  "shapes": [{"R": 2, "n": 40, "d": 50, "m": 70,
                                              "eager_seconds": {k: 1.0 for k in mod.EAGER},
                                              "eager_of_gemm": {k: 0.1 for k in mod.EAGER},
                                              "forward": rows, "backward": []}]})
    # past its deadline the search starts no configuration and says it was cut
    rows, cut = mod.sweep(torch.device("cpu"), p, "forward", [right], 1, 1.0, -math.inf)
    assert cut and rows == []


def test_the_step_variants_take_the_swept_blocks_and_put_the_defaults_back(tmp_path):
    steps = benchmark_module("gpu_steps")
    best = {"forward": {"c": 32, "m": 128, "warps": 8, "stages": 3},
            "backward": {"c": 16, "m": 32, "warps": 4, "stages": None}}
    path = tmp_path / "blocks.json"
    path.write_text(json.dumps({"best": best}))
    found = steps.swept_blocks(str(path))
    assert found == {"forward": gk.Blocks(32, 128, 8, 3), "backward": gk.Blocks(16, 32, 4)}
    defaults = gk.FWD_BLOCKS, gk.BWD_BLOCKS
    steps.SWEPT_BLOCKS.update(found)
    with pytest.raises(KeyError), steps.use_variant(steps.SWEPT):
        assert (gk.FWD_BLOCKS, gk.BWD_BLOCKS) == (found["forward"], found["backward"])
        from twolayer import net

        t = net.tuning()
        assert t.fused_gpu_forward and t.fused_gpu_backward and t.cuda_graph
        raise KeyError("leaves the block")
    assert (gk.FWD_BLOCKS, gk.BWD_BLOCKS) == defaults
    path.write_text(json.dumps({"not_run": "not a GPU"}))
    assert "no swept blocks" in steps.swept_blocks(str(path))
    assert "no swept blocks" in steps.swept_blocks(str(tmp_path / "missing.json"))
