"""The measuring module of benchmarks/gpu_check.sh on the CPU at tiny sizes (the script's own
dry run is ``GPU_CHECK_DEVICE=cpu benchmarks/gpu_check.sh``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch
from bench_helpers import benchmark_module

from twolayer.bench import gpu
from twolayer.engine import probe_times


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
    assert r["steps"] == 4 and r["probe_times"] == len(probe_times(4))


def test_the_probe_overhead_is_taken_at_a_default_runs_probe_density():
    """the default probe times of the timed run's length (37 in 1000 steps), not every step"""
    res = gpu.reference(torch.device("cpu"), 2, 40, 8, 16, 1000, max_seconds=None)
    assert res["steps"] == 1000 and res["probe_times"] == len(probe_times(1000)) < 60


def test_max_seconds_shortens_a_slow_timed_run():
    res = gpu.reference(torch.device("cpu"), 2, 40, 8, 16, 400, max_seconds=1e-9)
    assert res["steps"] == 50  # the floor: an estimate far above the limit
    res = gpu.reference(torch.device("cpu"), 2, 40, 8, 16, 60, max_seconds=1e6)
    assert res["steps"] == 60
    res = gpu.reference(torch.device("cpu"), 2, 40, 8, 16, 12, max_seconds=1e-9)
    assert res["steps"] == 12  # the floor of 50 never raises a shorter run


def test_a_bad_out_is_refused_before_measuring(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert gpu.main(["--device", "cpu", "--quick", "--out", str(blocker / "gpu.json")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "out" in err


def test_gpu_module_refuses_a_missing_gpu(capsys):
    assert gpu.main(["--device", "cuda:7", "--quick"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_script_names_every_step():
    text = (Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh").read_text()
    for part in ('-m "cuda and not slow"', "twolayer.bench.gpu", "check frei2023 --quick",
                 "bench --quick", "GPU_CHECK_DEVICE", '-m "not slow and not cuda"',
                 "benchmarks/gpu_fused.py", "benchmarks/gpu_steps.py", "benchmarks/gpu_blocks.py",
                 "--blocks"):
        assert part in text, part


def test_the_script_stops_with_the_install_command_where_twolayer_is_missing(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"
    fake = tmp_path / "python"  # a Python that cannot import the package
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    res = subprocess.run(["bash", str(script), str(tmp_path / "out")], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "PYTHON": str(fake)})
    assert res.returncode == 2, res
    assert "--no-build-isolation" in res.stderr and "cuda tests" not in res.stdout


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


# --- the targets read off the script's results (twolayer/bench/gpu_targets.py), on doctored files


def _gpu_json(tmp_path, *, quick=False, R1024_tflops=30.0, overhead=0.05, r64_seconds=0.3,
              r64_steps=1000, gemm=(50.0, 48.0)):
    rows = [{"R": R, "steps": steps, "probe_times": 37, "probe_overhead": overhead,
             "plain": {"tflops": tf, "seconds": 1.0, "peak_bytes": 2**30},
             "probes": {"tflops": tf, "seconds": s, "peak_bytes": 2**31}}
            for R, steps, tf, s in ((64, r64_steps, 5.0, r64_seconds),
                                    (1024, 1000, R1024_tflops, 3.0))]
    res = {"device": "cuda", "quick": quick, "n": 1000, "d": 50, "m": 400,
           "gemm_tflops": gemm[0], "gemm_tflops_after": gemm[1], "reference": rows,
           "total_memory": 140 * 2**30}
    (tmp_path / "gpu.json").write_text(json.dumps(res))


def _cpu_files(tmp_path):
    bench = tmp_path / "results.json"
    bench.write_text(json.dumps({"created": "x", "quick": False, "engine": {"seconds": 20.3},
                                 "reference": {"R": 64, "steps": 1000}}))
    tta = tmp_path / "tta.json"
    tta.write_text(json.dumps({"commands": {"check": {"timings": {"wall_s": 448.0}}},
                               "verdicts": {"holds": 2, "fails": 1, "inconclusive": 0}}))
    return bench, tta


def _claims(tmp_path, tier="evidence", n=3, wall=40.0):
    verdicts = ["holds", "holds", "fails", "holds"][:n]
    (tmp_path / "check_all.json").write_text(json.dumps(
        [{"id": f"c{i}", "verdict": v, "tier": tier} for i, v in enumerate(verdicts)]))
    (tmp_path / "check_all.timings.json").write_text(json.dumps({"wall_s": wall}))


def _verdicts(tmp_path):
    from twolayer.bench.gpu_targets import targets

    bench, tta = _cpu_files(tmp_path)
    return {name.split(" ")[0] + " " + name.split(" ")[1]: v
            for name, v, _ in targets(tmp_path, bench, tta)}


def test_targets_met_on_results_that_meet_them(tmp_path):
    _gpu_json(tmp_path)
    _claims(tmp_path)
    v = _verdicts(tmp_path)
    assert v == {"step at": "met", "default probes": "met", "make bench's": "met",
                 "check --all": "met", "peak memory": "reported"}


def test_targets_not_met_on_results_that_break_them(tmp_path):
    # 24 / 50 (the higher GEMM rate), 12 % probes, 20.3 / 0.5 = 41x, 448 / 60 = 7.5x
    _gpu_json(tmp_path, R1024_tflops=24.0, overhead=0.12, r64_seconds=0.5)
    _claims(tmp_path, wall=60.0)
    v = _verdicts(tmp_path)
    assert [v[k] for k in ("step at", "default probes", "make bench's", "check --all")] == \
        ["not met"] * 4


def test_the_step_fraction_uses_the_higher_gemm_rate(tmp_path):
    _gpu_json(tmp_path, R1024_tflops=24.5, gemm=(40.0, 50.0))  # 0.61 of one, 0.49 of the other
    assert _verdicts(tmp_path)["step at"] == "not met"


def test_targets_are_not_judged_from_smoke_or_partial_runs(tmp_path):
    _gpu_json(tmp_path, quick=True)
    _claims(tmp_path, tier="smoke")
    v = _verdicts(tmp_path)
    assert set(v.values()) == {"not measured"}
    _gpu_json(tmp_path, r64_steps=500)  # not the 1000-step workload of make bench
    _claims(tmp_path, n=2)  # fewer claims than the full plan
    v = _verdicts(tmp_path)
    assert v["make bench's"] == "not measured" and v["check --all"] == "not measured"
    assert v["step at"] == "met"


def test_targets_without_the_check_step_say_so(tmp_path, capsys):
    from twolayer.bench.gpu_targets import main

    _gpu_json(tmp_path)
    bench, tta = _cpu_files(tmp_path)
    assert main([str(tmp_path), "--cpu-bench", str(bench), "--cpu-time-to-answer", str(tta)]) == 0
    out = capsys.readouterr().out
    assert "check --all (full plan) >= 10x the published CPU run: NOT MEASURED" in out
    assert main([str(tmp_path / "missing")]) == 2


def test_a_shortened_row_is_shown_but_not_judged_for_the_probe_overhead(tmp_path):
    from twolayer.bench.gpu_targets import targets

    _gpu_json(tmp_path, overhead=0.05)
    res = json.loads((tmp_path / "gpu.json").read_text())
    res["reference"].append({**res["reference"][1], "R": 4096, "steps": 216,
                             "probe_overhead": 0.2})  # 33 probes in 216 steps: denser
    (tmp_path / "gpu.json").write_text(json.dumps(res))
    bench, tta = _cpu_files(tmp_path)
    (row,) = [r for r in targets(tmp_path, bench, tta) if r[0].startswith("default probes")]
    assert row[1] == "met" and "R = 4096: 20.0 %" in row[2] and "not judged" in row[2]
    res["reference"] = res["reference"][2:]
    (tmp_path / "gpu.json").write_text(json.dumps(res))
    (row,) = [r for r in targets(tmp_path, bench, tta) if r[0].startswith("default probes")]
    assert row[1] == "not measured"


def test_a_check_stopped_at_its_time_limit_bounds_the_speedup(tmp_path):
    _gpu_json(tmp_path)
    (tmp_path / "check_all.stopped_at").write_text("150\n")  # 448 / 150 < 10
    assert _verdicts(tmp_path)["check --all"] == "not met"
    (tmp_path / "check_all.stopped_at").write_text("40\n")  # below 11.2x: does not decide 10x
    assert _verdicts(tmp_path)["check --all"] == "not measured"


def test_the_scripts_time_limit_is_a_result_not_a_failure(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"
    prog = (f'GPU_CHECK_SOURCE_ONLY=1 source "{script}" "{tmp_path}/out"\n'
            f'step --limit 1 "{tmp_path}/stopped" a sleep 5; echo "after-a $failed"\n'
            f'step --limit 5 "{tmp_path}/quick" b true; echo "after-b $failed"\n'
            f'step --limit 5 "{tmp_path}/x" c bash -c "exit 3"; echo "after-c $failed"\n')
    out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True).stdout
    counts = [line.split()[1] for line in out.splitlines() if line.startswith("after-")]
    assert counts == ["0", "0", "1"], out
    assert (tmp_path / "stopped").read_text().strip() == "1"
    assert not (tmp_path / "quick").exists() and not (tmp_path / "x").exists()


def test_targets_are_not_judged_from_a_cpu_run_at_the_reference_sizes(tmp_path):
    _gpu_json(tmp_path)
    res = json.loads((tmp_path / "gpu.json").read_text())
    (tmp_path / "gpu.json").write_text(json.dumps({**res, "device": "cpu"}))
    _claims(tmp_path)
    (tmp_path / "check_all.stopped_at").write_text("150\n")
    assert set(_verdicts(tmp_path).values()) == {"not measured"}



def test_targets_name_how_the_step_ran_and_add_the_variants_without_judging_them(tmp_path):
    """gpu.json's record of the fused pass and graphs, and gpu_steps.py's medians, appear next
    to the numbers; the verdict stays gpu.json's (a variant's 60x does not make 41x met)."""
    from twolayer.bench.gpu_targets import targets

    _gpu_json(tmp_path, r64_seconds=0.5)  # 20.3 / 0.5 = 41x: not met
    res = json.loads((tmp_path / "gpu.json").read_text())
    res.update(fused_gpu=True, cuda_graph=False)
    (tmp_path / "gpu.json").write_text(json.dumps(res))
    steps = {"device": "cuda", "gemm_tflops": 50.0,
             "plain": [{"R": 1024, "eager": {"tflops": 14.0}, "graph+fused": {"tflops": 20.0}}],
             "workload": {"rounds": 3, "published_cpu_seconds": 20.3,
                          "eager": {"seconds": 0.5, "cpu_over_this": 40.6},
                          "graph+fused": {"seconds": 0.34, "cpu_over_this": 59.7}}}
    (tmp_path / "steps.json").write_text(json.dumps(steps))
    bench, tta = _cpu_files(tmp_path)
    got = {name.split(" ")[0]: (v, text) for name, v, text in targets(tmp_path, bench, tta)}
    verdict, text = got["make"]
    assert verdict == "not met" and "(fused pass on, graphs off)" in text
    assert "eager 40.6x, graph+fused 59.7x" in text and "medians of 3 rounds" in text
    assert "graph+fused 0.40" in got["step"][1] and "eager 0.28" in got["step"][1]


# --- the opt-in switches against the default step (gpu_targets.opt_ins), on doctored files


def _steps_json(tmp_path, *, plain_rounds, workload_rounds, agree=None, not_run=None,
                device="cuda"):
    """steps.json with the given round times (per variant: {R: [s per step, ...]}) and the
    workload's (per variant: [s, ...])."""
    plain = []
    for R in (64, 1024):
        row = {"R": R, "n": 1000, "d": 50, "m": 400}
        for v, by_r in plain_rounds.items():
            times = by_r[R]
            row[v] = {"s_per_step": sorted(times)[len(times) // 2], "rounds_s_per_step": times,
                      "tflops": 4 * R * 1000 * 50 * 400 / times[0] / 1e12,
                      "run_rel_diff_W_median": (agree or {}).get(v, 1e-7)}
        plain.append(row)
    workload = {"rounds": 3, "published_cpu_seconds": 20.3}
    for v, times in workload_rounds.items():
        workload[v] = {"seconds": sorted(times)[len(times) // 2], "rounds_seconds": times,
                       "cpu_over_this": 20.3 / times[0]}
    res = {"device": device, "gemm_tflops": 50.0, "not_run": not_run or {}, "plain": plain,
           "workload": workload}
    (tmp_path / "steps.json").write_text(json.dumps(res))
    return tmp_path / "steps.json"


def test_an_opt_in_is_a_candidate_only_where_it_wins_every_paired_round(tmp_path):
    from twolayer.bench.gpu_targets import OPT_INS, opt_ins

    base = {64: [0.35e-3, 0.36e-3, 0.34e-3], 1024: [4.5e-3, 4.6e-3, 4.4e-3]}
    faster = {64: [0.30e-3, 0.31e-3, 0.33e-3], 1024: [4.0e-3, 4.1e-3, 4.3e-3]}
    # faster in its median, but slower in one round at R = 1024 (paired with 4.4 ms)
    mostly = {64: [0.30e-3, 0.31e-3, 0.33e-3], 1024: [4.0e-3, 4.1e-3, 4.45e-3]}
    path = _steps_json(
        tmp_path,
        plain_rounds={"graph+fused": base, "graph+fused forward": faster,
                      "graph+fused backward": mostly, "graph+fused fwd+bwd": faster},
        workload_rounds={"graph+fused": [0.40, 0.41, 0.39],
                         "graph+fused+probe graph": [0.36, 0.37, 0.35]},
        agree={"graph+fused fwd+bwd": 3e-5},  # faster, but W further from eager than allowed
        not_run={"graph+fused fwd+bwd, swept blocks": "no swept blocks in x"})
    got = {switch: (decision, text) for switch, decision, text in opt_ins(path)}
    assert got["fused_gpu_forward"][0] == "candidate for the default"
    assert "faster in 3 of 3 rounds" in got["fused_gpu_forward"][1]
    assert got["fused_gpu_backward"][0] == "stays opt-in"
    assert "R = 1024: 4.100 against 4.500 ms/step, faster in 2 of 3" in got["fused_gpu_backward"][1]
    assert got["fused_gpu_forward + fused_gpu_backward"][0] == "stays opt-in"
    assert "3.0e-05" in got["fused_gpu_forward + fused_gpu_backward"][1]
    swept = got[OPT_INS["graph+fused fwd+bwd, swept blocks"]]
    assert swept[0] == "not measured" and "no swept blocks" in swept[1]
    assert got["probe_graph"][0] == "candidate for the default"
    # the same workload, one round slower: stays opt-in; two rounds only: not decided
    path = _steps_json(tmp_path, plain_rounds={"graph+fused": base},
                       workload_rounds={"graph+fused": [0.40, 0.41, 0.39],
                                        "graph+fused+probe graph": [0.36, 0.42, 0.35]})
    got = {switch: decision for switch, decision, _ in opt_ins(path)}
    assert got["probe_graph"] == "stays opt-in"
    two = {R: times[:2] for R, times in base.items()}
    path = _steps_json(tmp_path, plain_rounds={"graph+fused": two, "graph+fused forward": {
                           R: [t / 2 for t in times] for R, times in two.items()}},
                       workload_rounds={"graph+fused": [0.40, 0.41],
                                        "graph+fused+probe graph": [0.30, 0.30]})
    got = {switch: decision for switch, decision, _ in opt_ins(path)}
    assert got["probe_graph"] == "not decided" and got["fused_gpu_forward"] == "not decided"
    assert got["fused_gpu_backward"] == "not measured"  # not in the file
    # a dry run on the CPU decides nothing
    path = _steps_json(tmp_path, plain_rounds={"graph+fused": base},
                       workload_rounds={"graph+fused": [0.4, 0.4, 0.4]}, device="cpu")
    assert opt_ins(path) == []


def test_the_targets_command_prints_the_opt_ins_after_the_targets(tmp_path, capsys):
    from twolayer.bench.gpu_targets import main

    _gpu_json(tmp_path)
    bench, tta = _cpu_files(tmp_path)
    base = {64: [0.35e-3] * 3, 1024: [4.5e-3] * 3}
    _steps_json(tmp_path, plain_rounds={"graph+fused": base, "graph+fused forward": base},
                workload_rounds={"graph+fused": [0.4] * 3})
    assert main([str(tmp_path), "--cpu-bench", str(bench), "--cpu-time-to-answer",
                 str(tta)]) == 0
    out = capsys.readouterr().out.splitlines()
    at = [i for i, line in enumerate(out) if line.startswith("opt-in switches")]
    assert at and at[0] == 5  # after the five targets
    assert any(line.startswith("  fused_gpu_forward: stays opt-in") for line in out)


@pytest.mark.parametrize("script", ["gpu_fused", "gpu_steps", "gpu_blocks", "gpu_profile",
                                    "experiment_times"])
def test_the_gpu_scripts_refuse_a_gpu_this_machine_lacks(script, monkeypatch, capsys):
    """``--device cuda:7`` on a one-GPU machine: one line naming the device, exit 2 (it was a
    traceback from the first tensor on it, or, in gpu_blocks.py, "nothing to measure" and 0)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # one GPU, as the H200's
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    rc = benchmark_module(script).main(["--device", "cuda:7", "--quick"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, (rc, err)
    assert "cuda:7" in err and "1 GPU(s): cuda:0 to cuda:0" in err, err


def test_targets_say_how_the_timed_row_itself_ran(tmp_path):
    """gpu.json's top-level switches said "graphs on" also for a row that --max-seconds cut
    below graphed.MIN_STEPS (no graph replayed) or whose blocks took no Triton kernel. A row
    that records its own steps (step_graph, triton_kernels) is described by them."""
    from twolayer.bench.gpu_targets import targets

    _gpu_json(tmp_path, r64_seconds=0.5)
    res = json.loads((tmp_path / "gpu.json").read_text())
    res.update(fused_gpu=True, cuda_graph=True)  # switched on for the whole run
    for r in res["reference"]:
        r["plain"].update(step_graph=None if r["R"] == 64 else "replayed",
                          triton_kernels=["pass"] if r["R"] == 1024 else [])
    (tmp_path / "gpu.json").write_text(json.dumps(res))
    bench, tta = _cpu_files(tmp_path)
    got = {name.split(" ")[0]: text for name, _, text in targets(tmp_path, bench, tta)}
    assert "(fused pass not run, no graph)" in got["make"], got["make"]
    assert "(fused pass ran, graphs replayed)" in got["step"], got["step"]
    assert "graphs on" not in got["make"] + got["step"]


def test_the_reference_rows_record_how_their_steps_ran():
    """bench.gpu.reference's rows carry the training's own step_graph and triton_kernels (None
    on a CPU, where the training records neither)."""
    from twolayer.bench.gpu import reference

    row = reference(torch.device("cpu"), 2, 20, 4, 8, 4)
    for name in ("plain", "probes"):
        assert row[name]["step_graph"] is None and row[name]["triton_kernels"] is None, row
