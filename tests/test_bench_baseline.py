"""The benchmark's plain loop (twolayer/bench/baseline.py: nn.Module, autograd, torch.optim.SGD, one
autograd.grad per segment) and the engine (closed-form batched kernel, segment Gram matrix taken
inside the step, sorted by segment) must measure the same numbers: each is the other's oracle.
A quick `twolayer bench --quick` run also checks that the harness writes its results and its page
(slow), and bad flags exit 2 before any measuring, with nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from twolayer import engine, net
from twolayer.bench import baseline
from twolayer.cli import main
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.simulate import setup

PROBES = ("errors", "correlations", "segments")


@pytest.mark.parametrize("workers", [False, True], ids=["one-thread", "worker-lanes"])
def test_plain_loop_measures_what_the_engine_measures(monkeypatch, tune, workers):
    calls = []  # the segments must come from inside the step (the engine's fast path)
    from twolayer.net import grouped as grouped_module

    grouped = grouped_module._run_blocks_grouped
    monkeypatch.setattr(grouped_module, "_run_blocks_grouped",
                        lambda *a: calls.append(1) or grouped(*a))
    budget = net.DEFAULT_CHUNK_ELEMENTS
    if workers:  # worker lanes at this small size: one run per block, blocks shared out
        tune(worker_min_elements=0)
        budget = 120 * 16
    cfg = Config(data=DataConfig(d=8, n=120, n_test=50, noise=0.2), net=NetConfig(m=16),
                 train=TrainConfig(steps=25, lr=0.5), seeds=10)
    cfg, data, params = setup(cfg)
    data, params = data.to("cpu", torch.float64), params.to("cpu", torch.float64)
    times = engine.probe_times(25, 10, 3)
    rt = engine.Runtime(device="cpu", budget=budget, progress=False, threads=2 if workers else 1)
    res = engine.train(params, data, cfg.train, times, PROBES, rt)
    assert calls, "the segments were not taken inside the step"
    for r in (0, 3, 9):
        plain = baseline.train_one(data, params.W[r], params.a[r], r, cfg.train.lr, 25, times)
        assert set(plain) <= set(res.arrays)
        for k, v in plain.items():
            got = res.arrays[k][r]
            np.testing.assert_allclose(got, v.numpy().reshape(got.shape), rtol=1e-5,
                                       atol=1e-7, err_msg=f"{k}, run {r}")


@pytest.mark.slow
def test_quick_bench_writes_results_and_page(tmp_path):
    out, doc = tmp_path / "new" / "results.json", tmp_path / "benchmarks.md"
    cmd = [sys.executable, "-m", "twolayer", "bench", "--quick", "--device", "cpu",
           "--out", str(out), "--doc", str(doc)]
    done = subprocess.run(cmd, check=True, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    res = json.loads(out.read_text())
    assert res["quick"] and res["engine"]["seconds"] > 0 and res["baseline"]["speedup"] > 0
    assert max(res["baseline"]["max_abs_diff_vs_engine"].values()) < 1e-3
    assert len(res["memory"]["rows"]) == 2 and res["flow"]["rows"]
    assert "--quick smoke run" in doc.read_text()
    assert "faster" in done.stdout and "wrote" in done.stdout
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary files left


@pytest.mark.parametrize("flags,named", [
    (["--baseline-seeds", "0"], "--baseline-seeds"),
    (["--baseline-seeds", "65"], "--baseline-seeds"),
    (["--device", "tpu"], "--device"),
    (["--out", "{tmp}"], "--out"),  # a directory, not a file
    (["--out", "/proc/no-such-dir/results.json"], "--out"),
    (["--doc", "/proc/no-such-dir/bench.md"], "--doc"),
])
def test_bad_bench_flags_exit_2_before_measuring(tmp_path, capsys, monkeypatch, flags, named):
    from twolayer.bench import harness

    def never(*a, **k):
        raise AssertionError("the benchmark started despite a bad flag")

    monkeypatch.setattr(harness, "run_bench", never)
    monkeypatch.chdir(tmp_path)
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    assert main(["bench", *flags]) == 2
    err = capsys.readouterr().err
    assert named in err and "invalid" in err
    assert list(tmp_path.iterdir()) == []


def test_plain_model_lives_on_the_weights_device() -> None:
    """The plain loop's nn.Linear follows W's device (a CUDA run failed when it stayed on the
    CPU); the meta device stands in for a GPU here."""
    from twolayer.bench.baseline import TwoLayer

    W = torch.zeros(4, 3, device="meta")
    model = TwoLayer(W, torch.zeros(4, 1, device="meta"))
    assert model.hidden.weight.device.type == "meta"


def test_endtoend_alternates_and_takes_medians(monkeypatch) -> None:
    from twolayer.bench import endtoend

    calls: list[str] = []
    fake = {name: [sys.executable, "-c", "pass"] for name in endtoend.commands(quick=True)}
    monkeypatch.setattr(endtoend, "commands", lambda quick=False: fake)
    monkeypatch.setattr(endtoend, "wall", lambda argv: calls.append(argv[0]) or 2.0)
    out = endtoend.run_endtoend(repeats=2, quick=True, log=lambda line: None)
    assert len(calls) == 8 and out["speedup_simulate_vs_plain"] == 1.0
    assert out["simulate"]["seconds"] == [2.0, 2.0]


def test_plain_loop_process_reports_what_simulate_measures(single_thread) -> None:
    from twolayer import simulate
    from twolayer.engine import Runtime

    args = ["--seeds", "2", "--d", "10", "--n", "40", "--m", "8", "--steps", "20",
            "--noise", "0.1"]
    out = subprocess.run([sys.executable, "-m", "twolayer.bench.plainloop", *args],
                         capture_output=True, text=True, check=True).stdout
    plain = json.loads(out)
    rec = simulate(Config(data=DataConfig(d=10, n=40, noise=0.1), net=NetConfig(m=8),
                          train=TrainConfig(steps=20), seeds=2), Runtime(device="cpu"))
    assert plain["test_error_clean"] == pytest.approx(rec.summary["test_error_clean"], abs=1e-6)


def test_the_limit_step_does_the_two_gemms_of_the_engine_blocks(single_thread) -> None:
    """The GEMMs-only pass fills each block's H = X Wᵀ and accumulates G = Σ_blocks rhsᵀ H
    over the very blocks the engine uses (several blocks: a small budget)."""
    from twolayer.bench.limit import _gemms_only, step_against_limit

    cfg = Config(data=DataConfig(d=6, n=30), net=NetConfig(m=4), seeds=3)
    cfg, data, params = setup(cfg)
    x = data.x
    ws = net.Workspace(params, x.shape[1], budget=40)
    lanes = ws._lanes(params, x)
    plan = [B for lane in lanes for part in (lane if ws.units is not None else [lane])
            for B in (part if isinstance(part, list) else [part])]
    assert len(plan) > 1
    for B in plan:
        B.rhs.normal_()
    want = torch.zeros_like(ws.G)
    for B in plan:
        pre = torch.einsum("rnd,rmd->rnm", B.xc, params.W[B.rs])
        want[B.rs] += torch.einsum("rnk,rnm->rkm", B.rhs, pre)
    _gemms_only(plan)
    assert torch.allclose(ws.G, want, rtol=1e-4, atol=1e-5)
    out = step_against_limit(data, params, steps=1, rounds=2)
    assert out["engine_step_ms"] > 0 and out["limit_step_ms"] > 0
    assert out["fraction_of_limit"] == pytest.approx(out["limit_step_ms"] / out["engine_step_ms"])


@pytest.mark.parametrize("fused", [False, True], ids=["torch", "fused"])
def test_the_step_profile_counts_the_ops_of_the_worker_lanes(tune, fused) -> None:
    """profile_step sees the ops that run on the worker threads (the GEMMs run only there when
    the lanes are on): per block and step the two GEMMs and, for blocks this small, the readout
    as a third bmm (bigger blocks use one mv per run) and the mask; with the fused C pass
    (net.cpu_kernels) the GEMMs and the C pass under its own name instead of readout and mask
    (with AVX-512 the forward GEMM inside the C pass: one GEMM per block); the update once per
    unit of runs, inside the lanes; shares that add up to 1."""
    from twolayer.bench.limit import GEMM_OPS, profile_step
    from twolayer.net.cpu_kernels import fused_forward, module
    from twolayer.net.kernel import (
        DESCEND_ROWS,
        FORWARD_RELU_MASK,
        RELU_READOUT_MASK,
        SCALED_ROWS,
    )
    from twolayer.threads import intra_op_threads

    if fused and module() is None:
        pytest.skip("the CPU kernels are not built")
    tune(worker_min_elements=0, fused_cpu=fused)
    cfg = Config(data=DataConfig(d=6, n=64), net=NetConfig(m=8), seeds=16)
    cfg, data, params = setup(cfg)
    x, y = data.x, data.y.to(data.x.dtype)
    with intra_op_threads(2), torch.no_grad():
        ws = net.Workspace(params, x.shape[1], budget=16 * 8 * 8)
        assert ws.workers == 2
        blocks = sum(len(todo) for todo in ws.lane_blocks)
        plan = ws._lanes(params, x)[0]  # every lane's view of every unit (dynamic lanes)
        readout_bmm = 0 if fused else sum(B.mv is None for unit in plan for B in unit)
        assert readout_bmm == (0 if fused else blocks)
        assert all((B.fused is not None) == fused for unit in plan for B in unit)

        units = len(ws.units)

        def step() -> None:  # as training takes it: the update inside the lanes
            ws.run(params, x, y, "logistic", 1.0 / x.shape[1], lr=0.1)

        pr = profile_step(step, 3)
    if pr is None:
        pytest.skip("this torch cannot profile other threads")
    calls = {o["op"]: o["calls_per_step"] for o in pr["ops"]}
    forward = fused and fused_forward(x.shape[2])
    gemms = (1 if forward else 2) * blocks + readout_bmm
    assert sum(calls.get(k, 0) for k in GEMM_OPS) == gemms
    if fused:
        assert calls.get(FORWARD_RELU_MASK if forward else RELU_READOUT_MASK) == blocks
        assert (RELU_READOUT_MASK if forward else FORWARD_RELU_MASK) not in calls
        assert calls.get(SCALED_ROWS) == blocks and calls.get(DESCEND_ROWS) == units
        assert "aten::gt_" not in calls and "aten::addcmul_" not in calls
    else:
        assert calls.get("aten::gt_") == blocks  # the mask: one per block
        assert calls.get("aten::addcmul_") == units  # the update: one per unit of runs
        assert RELU_READOUT_MASK not in calls and DESCEND_ROWS not in calls
    assert sum(o["share"] for o in pr["ops"]) == pytest.approx(1.0)
    assert 0 < pr["gemm_share"] < 1
    assert pr["gemm_share"] == pytest.approx(sum(o["share"] for o in pr["ops"]
                                                 if o["op"] in GEMM_OPS))


def test_the_limit_section_reports_the_paired_rounds_and_the_profile() -> None:
    """The rendered section: the ratio of medians, the median of the rounds' own ratios with
    their range and quartiles, ops under 0.5 % folded into one row."""
    from twolayer.bench.report import limit_lines

    x = {"threads": 2, "rounds": 4, "steps_per_round": 3, "engine_step_ms": 50.0,
         "limit_step_ms": 40.0, "fraction_of_limit": 0.8,
         "fraction_per_round": [0.7, 0.9, 0.85, 0.8], "fraction_paired_median": 0.825,
         "profile": {"steps": 3, "profiled_step_ms": 55.0, "unprofiled_step_ms": 50.0,
                     "thread_ms_per_step": 100.0, "gemm_share": 0.8,
                     "ops": [{"op": "aten::bmm", "ms": 80.0, "share": 0.8, "calls_per_step": 64,
                              "role": "GEMMs"},
                             {"op": "aten::gt_", "ms": 19.6, "share": 0.196,
                              "calls_per_step": 32, "role": "mask"},
                             {"op": "aten::to", "ms": 0.4, "share": 0.004,
                              "calls_per_step": 32, "role": ""}]}}
    text = "\n".join(limit_lines(x))
    assert "**0.80** of the limit" in text
    assert "is **0.82**" in text or "is **0.83**" in text
    assert "ranged 0.70–0.90 (quartiles 0.80–0.90)" in text
    assert "| `aten::gt_` | mask | 32 | 19.60 | 19.6 % |" in text
    assert "aten::to" not in text and "| other ops | | | 0.40 | 0.4 % |" in text
    assert "took 55.0 ms each (the unprofiled median above: 50.0 ms)" in text
    assert "The two GEMMs take 80 %" in text


def test_the_limit_section_reports_the_fused_pass_against_the_torch_passes() -> None:
    """With the fused C pass the section names it, adds the same step with PyTorch's three
    passes (time, fraction) and the paired speed-up; without it, it says three PyTorch ops."""
    from twolayer.bench.report import limit_lines

    x = {"threads": 2, "rounds": 4, "steps_per_round": 3, "engine_step_ms": 24.0,
         "limit_step_ms": 18.0, "fraction_of_limit": 0.75, "fused_pass": True,
         "cpu_kernels": "fused (avx2+fma)",
         "torch_passes": {"step_ms": 28.8, "fraction_of_limit": 0.625,
                          "speedup_paired_median": 1.19}}
    text = "\n".join(limit_lines(x))
    assert ("| engine (relu, readout and mask in one C pass; loss, GEMMs and update) | 24.0 | "
            "0.75 |") in text
    assert "three passes (`Tuning(fused_cpu=False)`) | 28.8 | 0.62 |" in text
    assert "**1.19×** as fast" in text and "CPU kernels: fused (avx2+fma)." in text
    x.update(fused_pass=False, torch_passes=None, cpu_kernels="torch (extension not built)")
    text = "\n".join(limit_lines(x))
    assert "three PyTorch ops; loss, GEMMs and update) | 24.0 | 0.75 |" in text
    assert "fused_cpu=False" not in text and "as fast" not in text


def test_the_limit_section_says_when_the_c_pass_holds_the_forward_gemm() -> None:
    """With the AVX-512 forward the profile's shares are: the library's (backward) GEMM, the C
    pass with the forward GEMM, the rest; the report's name of that pass is the kernel's."""
    from twolayer.bench.report import FORWARD_RELU_MASK, limit_lines
    from twolayer.net.kernel import FORWARD_RELU_MASK as kernel_name

    assert FORWARD_RELU_MASK == kernel_name
    x = {"threads": 2, "rounds": 4, "steps_per_round": 3, "engine_step_ms": 20.0,
         "limit_step_ms": 18.0, "fraction_of_limit": 0.9, "fused_pass": True,
         "cpu_kernels": "fused (avx2+fma, avx512 forward for d <= 96)",
         "profile": {"steps": 3, "profiled_step_ms": 22.0, "thread_ms_per_step": 40.0,
                     "gemm_share": 0.45,
                     "ops": [{"op": kernel_name, "ms": 18.0, "share": 0.45,
                              "calls_per_step": 32, "role": "forward"},
                             {"op": "aten::bmm", "ms": 18.0, "share": 0.45,
                              "calls_per_step": 32, "role": "GEMM"},
                             {"op": "aten::mul", "ms": 4.0, "share": 0.1,
                              "calls_per_step": 32, "role": "c"}]}}
    text = "\n".join(limit_lines(x))
    assert "| engine (the forward GEMM with relu, readout and mask in one C pass; " in text
    assert ("The library's GEMM (the backward one) takes 45 %" in text
            and "readout and mask 45 %, everything else (loss, right-hand side, update) 10 %"
            in text)


def test_the_step_profile_leaves_stderr_quiet() -> None:
    """torch 2.13's profiler logs 'USDT: ... profiler_start' and '... profiler_stop' on stderr at
    every log level it documents; profile_step raises kineto's level (unless the user set one)
    so that `twolayer bench` prints only its own lines. In a fresh process, since kineto reads
    the level once."""
    code = ("import torch\nfrom twolayer.bench.limit import profile_step\n"
            "a = torch.randn(64, 64)\n"
            "print(profile_step(lambda: a @ a, 2) is not None)\n")
    env = {k: v for k, v in os.environ.items() if k != "KINETO_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    if out.stdout.strip() != "True":
        pytest.skip("this torch cannot profile other threads")
    assert "profiler_start" not in out.stderr and "USDT" not in out.stderr, out.stderr
