"""The GPU diagnostics of benchmarks/ (gpu_profile.py, experiment_times.py) in their dry runs on
the CPU, and the published H200 numbers of docs/benchmarks.md against their raw results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
H200 = ROOT / "benchmarks" / "gpu" / "2026-12-04-h200"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow  # a GPU session's diagnostic script, run on the CPU
def test_gpu_profile_dry_run_times_each_probe_and_profiles_the_step(tmp_path):
    out = tmp_path / "profile.json"
    res = _run("benchmarks/gpu_profile.py", "--device", "cpu", "--quick", "--rows", "5",
               "--out", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    costs = data["probe_costs"]
    for probe in ("errors", "correlations", "segments", "errors+correlations+segments"):
        assert probe in costs and costs[probe] == costs[probe]  # present, not NaN
    assert costs["plain_s"] > 0
    assert [(p["R"], bool(p["probes"])) for p in data["profiles"]] == [
        (2, False), (2, True), (4, False), (4, True)]
    for p in data["profiles"]:
        assert "aten::bmm" in p["ops"]  # the step's GEMMs are in every profile
        assert p["table"].count("\n") >= 5  # a table of the top rows
        assert p["kernels_per_step"] == 0  # no CUDA kernels on the CPU


@pytest.mark.slow  # a GPU session's diagnostic script, run on the CPU (about 15 s)
def test_experiment_times_dry_run_prints_a_line_per_experiment(tmp_path):
    res = _run("benchmarks/experiment_times.py", "--device", "cpu", "--jobs", "2", "--quick",
               "--store", str(tmp_path / "store"), "--only", "liu2023.init_n",
               "frei2023.linear")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = [ln for ln in lines if ln.startswith("experiment ")][0].split()
    assert header[-6:] == ["data", "s", "train", "s", "probes", "s"]
    for name in ("liu2023.init_n", "frei2023.linear"):
        row = [ln for ln in lines if ln.startswith(name)]
        assert len(row) == 1 and float(row[0].split()[1]) >= 0
        data_s, train_s, probes_s = (float(v) for v in row[0].split()[-3:])
        assert min(data_s, train_s, probes_s) >= 0
        assert data_s + train_s + probes_s <= float(row[0].split()[4])  # within "at s"
    assert lines[-1].startswith("all 2 done in ")


@pytest.mark.slow  # a GPU session's diagnostic script, run on the CPU
def test_experiment_times_reports_an_unknown_experiment_and_goes_on(tmp_path):
    res = _run("benchmarks/experiment_times.py", "--device", "cpu", "--jobs", "1", "--quick",
               "--store", str(tmp_path / "store"), "--only", "nosuch.experiment",
               "frei2023.linear")
    assert res.returncode == 0, res.stderr
    assert "nosuch.experiment" in res.stdout and "error" in res.stdout
    assert any(ln.startswith("frei2023.linear ") for ln in res.stdout.splitlines())


def test_the_published_h200_numbers_match_their_raw_results():
    """docs/benchmarks.md quotes the H200 run of 2026-12-04: each quoted ratio is recomputed
    here from the raw gpu.json (not by the targets module)."""
    gpu = json.loads((H200 / "gpu.json").read_text())
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    assert gpu["gpu"] == "NVIDIA H200" and gpu["torch"].startswith("2.11")
    rows = {r["R"]: r for r in gpu["reference"]}
    gemm = max(gpu["gemm_tflops"], gpu["gemm_tflops_after"])
    frac = rows[1024]["plain"]["tflops"] / gemm
    assert f"{frac:.2f} of the float32 GEMM rate" in doc
    for R in (64, 1024, 4096):
        r = rows[R]
        over = r["probes"]["seconds"] / r["plain"]["seconds"] - 1
        assert f"{100 * over:.1f} %" in doc
    cpu = json.loads(CPU_THEN.read_text())
    speedup = cpu["engine"]["seconds"] / rows[64]["probes"]["seconds"]
    assert f"{speedup:.1f}x" in doc


RUN2 = ROOT / "benchmarks" / "gpu" / "2026-12-04-h200-run2"
# the CPU make bench run the H200 ratios were taken against (benchmarks/results.json then; a
# later make bench publishes a newer one there)
CPU_THEN = ROOT / "benchmarks" / "hosts" / "2026-12-03-intel-xeon.json"


def test_the_published_second_h200_numbers_match_their_raw_results():
    """docs/benchmarks.md's second H200 run: the script's probe overheads, check --all's time
    and ratio, the variants' ratios to the CPU and their agreement, recomputed from the raw
    files (not by the code that wrote them)."""
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    gpu = json.loads((RUN2 / "gpu.json").read_text())
    rows = {r["R"]: r for r in gpu["reference"]}
    for R in (64, 1024, 4096):
        over = rows[R]["probes"]["seconds"] / rows[R]["plain"]["seconds"] - 1
        assert f"| {R} | {1e3 * rows[R]['plain']['seconds_per_step']:.2f} |" in doc
        assert f"{100 * over:.1f} %" in doc
    timings = json.loads((RUN2 / "check_all.timings.json").read_text())
    tta = json.loads((ROOT / "benchmarks" / "time_to_answer.json").read_text())
    cpu_check = tta["commands"]["check"]["timings"]["wall_s"]
    assert f"**{timings['wall_s']:.1f} s**" in doc
    assert f"{cpu_check / timings['wall_s']:.1f}x the published" in doc
    claims = json.loads((RUN2 / "check_all.json").read_text())
    assert len(claims) == 101 and "All\n  101 verdicts" in doc
    cpu = json.loads(CPU_THEN.read_text())["engine"]["seconds"]
    for name in ("steps.json", "steps5.json"):
        steps = json.loads((RUN2 / name).read_text())
        w = steps["workload"]
        for v in ("eager", "graph+fused"):
            assert f"{cpu / w[v]['seconds']:.1f}x" in doc, (name, v)
        for r in steps["plain"]:
            assert r["graph"]["same_bits_as_eager"] and r["graph"]["run_rel_diff_W_max"] == 0
            assert f"{r['fused']['run_rel_diff_W_median']:.1e}".replace("e-0", "e-") in doc
    assert "**0.396, 0.401 (51.4x, 50.8x)**" in doc


def test_probe_ops_counts_operations_per_probe_time():
    """benchmarks/probe_ops.py: more probes dispatch more; a probe dispatches something; the
    counter sees the segments probe's own lines; an unknown probe is refused (exit 2)."""
    from bench_helpers import benchmark_module

    mod = benchmark_module("probe_ops")
    none = mod.count(())["per_probe_time"]
    seg = mod.count(("segments",))
    both = mod.count(("errors", "segments"))["per_probe_time"]
    assert none["op"] == 0 and seg["per_probe_time"]["op"] > 0
    assert both["op"] > seg["per_probe_time"]["op"]
    assert any("probes/segments.py" in where for _, where, _ in seg["lines"])
    # only the package's own files are named: a checkout in a folder named twolayer (as CI's
    # fresh clone can be) once named torch's frames under its .venv instead
    assert not any("torch" in where or "site-packages" in where for _, where, _ in seg["lines"])
    assert mod.main(["--probes", "nope"]) == 2


def test_the_published_sm90_compile_numbers_match_their_raw_results():
    """docs/benchmarks.md's compile of the kernels for the H200, recomputed from
    benchmarks/gpu/compile-sm90.json: launch and spill counts, the defaults' registers, shared
    memory and occupancy (the occupancy recomputed here from the CUDA rules, not read)."""
    doc = " ".join((ROOT / "docs" / "benchmarks.md").read_text().split())
    res = json.loads((ROOT / "benchmarks" / "gpu" / "compile-sm90.json").read_text())
    rows = res["rows"]
    assert (res["arch"], res["triton"], res["python"][:4]) == (90, "3.6.0", "3.12")
    assert res["torch"].startswith("2.11.0") and "torch 2.11.0+cu130 and triton 3.6.0" in doc
    assert not any(r["failed"] for r in rows)
    assert f"All {len(rows)} launches of the sweep's grids" in doc
    assert f"in {sum(r['seconds'] for r in rows):.0f} s here" in doc
    def tiles(kernel):
        return {(r["blocks"]["c"], r["blocks"]["m"], r["blocks"]["warps"]) for r in rows
                if r["kernel"] == kernel}
    orders = {r["blocks"]["by_run"] for r in rows if r["kernel"] == "forward"}
    assert (len(tiles("forward")), orders, len(tiles("backward"))) == (24, {False, True}, 18)
    assert "the forward's 24 tiles × warps in two launch orders, the backward's 18" in doc
    spilling = [r for r in rows if r["spill_stores"]]
    assert f"{len(spilling)} of them spill registers" in doc

    def row(kernel, mask, c, m, warps, stages=None, by_run=False):
        (r,) = [r for r in rows if r["kernel"] == kernel and r["mask"] == mask and r["blocks"]
                == {"c": c, "m": m, "warps": warps, "stages": stages, "by_run": by_run}]
        return r

    def warps_per_sm(r):  # sm_90: 64 K registers in 4 quarters, 2048 threads, 32 blocks,
        per_warp = -(-r["regs"] * 32 // 256) * 256  # 228 KB per SM, 1 KB reserved per block
        w = r["warps"]
        blocks = min(4 * (16384 // per_warp) // w, 2048 // (32 * w), 32,
                     233472 // (r["shared"] + r["static_shared"] + 1024))
        return blocks * w

    b = row("backward", "bytes", 32, 64, 4)
    assert f"byte mask: {b['regs']} registers, {b['spill_stores']} bytes of spill stores" in doc
    b8 = row("backward", "bytes", 32, 64, 8)
    assert b8["spill_stores"] == 0 and f"does not spill ({b8['regs']} registers)" in doc
    f = row("forward", "bytes", 64, 64, 4)
    shared = f["shared"] + f["static_shared"]
    assert f"takes {f['regs']} registers and {shared:,} bytes of shared memory" in doc
    assert f"{warps_per_sm(f)} warps of 64" in doc and warps_per_sm(f) == 12
    p = rows[0]
    assert p["kernel"] == "pass" and f"pass takes {p['regs']} registers ({warps_per_sm(p)} warps)" \
        in doc
    occ = [warps_per_sm(r) for r in rows if r["blocks"]]
    assert f"from {min(occ)} to {max(occ)} warps per SM" in doc
    best = row("forward", "bytes", 16, 32, 8)
    assert warps_per_sm(best) == max(occ)
    assert f"(16 × 32 with 8 warps: {best['regs']} registers, {warps_per_sm(best)} warps)" in doc
