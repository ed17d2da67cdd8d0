"""The measuring module of benchmarks/gpu_check.sh on the CPU at tiny sizes (the script's own
dry run is ``GPU_CHECK_DEVICE=cpu benchmarks/gpu_check.sh``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from twolayer.bench import gpu


def test_gpu_module_runs_on_the_cpu(tmp_path, capsys):
    out = tmp_path / "gpu.json"
    assert gpu.main(["--device", "cpu", "--quick", "--runs", "2", "--steps", "4",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "float32 GEMM" in text and "reference step" in text
    res = json.loads(out.read_text())
    assert res["device"] == "cpu" and res["gemm_tflops"] > 0
    assert res["demo"]["max_abs_diff"] == 0.0  # the CPU against itself
    (r,) = res["reference"]
    assert r["R"] == 2 and r["plain"]["tflops"] > 0 and r["probes"]["tflops"] > 0
    assert r["plain"]["peak_bytes"] is None  # no CUDA memory on the CPU


def test_gpu_module_refuses_a_missing_gpu(capsys):
    assert gpu.main(["--device", "cuda:7", "--quick"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_script_names_every_step():
    text = (Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh").read_text()
    for part in ('-m "cuda and not slow"', "twolayer.bench.gpu", "check frei2023 --quick",
                 "bench --quick", "GPU_CHECK_DEVICE"):
        assert part in text, part


def test_the_script_counts_a_checks_verdicts_apart_from_failures(tmp_path):
    """exit 1 of a claim check (claims that do not hold) is a verdict; 2 or a plain step's 1 is
    a failed step."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"
    prog = (f'GPU_CHECK_SOURCE_ONLY=1 source "{script}" "{tmp_path}/out"\n'
            'step --verdicts a bash -c "exit 1"; echo "after-a $failed"\n'
            'step --verdicts b bash -c "exit 2"; echo "after-b $failed"\n'
            'step c bash -c "exit 1"; echo "after-c $failed"\n'
            'step d true; echo "after-d $failed"\n')
    out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True).stdout
    counts = [line.split()[1] for line in out.splitlines() if line.startswith("after-")]
    assert counts == ["0", "1", "2", "2"], out
    assert "not a failure" in out
