"""The benchmark's plain loop (benchmarks/baseline.py: nn.Module, autograd, torch.optim.SGD, one
autograd.grad per segment) and the engine (closed-form batched kernel, segment Gram matrix taken
inside the step, sorted by segment) must measure the same numbers: each is the other's oracle.
A quick `bench.py --quick` run also checks that the harness writes its results and its page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import baseline  # noqa: E402
from twolayer import engine, net  # noqa: E402
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig  # noqa: E402
from twolayer.simulate import setup  # noqa: E402

PROBES = ("errors", "correlations", "segments")


@pytest.mark.parametrize("workers", [False, True], ids=["one-thread", "worker-lanes"])
def test_plain_loop_measures_what_the_engine_measures(monkeypatch, workers):
    calls = []  # the segments must come from inside the step (the engine's fast path)
    grouped = net._run_blocks_grouped
    monkeypatch.setattr(net, "_run_blocks_grouped", lambda *a: calls.append(1) or grouped(*a))
    budget = net.DEFAULT_CHUNK_ELEMENTS
    if workers:  # worker lanes at this small size: one run per block, blocks shared out
        monkeypatch.setattr(net, "WORKER_MIN_ELEMENTS", 0)
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
    out, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick",
                    "--out", str(out), "--doc", str(doc)], check=True, cwd=tmp_path,
                   capture_output=True, timeout=600)
    res = json.loads(out.read_text())
    assert res["quick"] and res["engine"]["seconds"] > 0 and res["baseline"]["speedup"] > 0
    assert max(res["baseline"]["max_abs_diff_vs_engine"].values()) < 1e-3
    assert "--quick smoke run" in doc.read_text()
