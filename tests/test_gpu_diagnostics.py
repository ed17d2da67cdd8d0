"""The GPU diagnostics of benchmarks/ (gpu_profile.py, experiment_times.py) in their dry runs on
the CPU, and the published H200 numbers of docs/benchmarks.md against their raw results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
H200 = ROOT / "benchmarks" / "gpu" / "2026-12-04-h200"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


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
    cpu = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    speedup = cpu["engine"]["seconds"] / rows[64]["probes"]["seconds"]
    assert f"{speedup:.1f}x" in doc
