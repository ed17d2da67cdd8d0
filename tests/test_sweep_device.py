"""``twolayer sweep --device``: the flag overrides the spec's [run] device; on a CUDA device one
worker process, a GPU-sized batch unless the spec sets group_runs, no CPU thread count recorded;
a device this machine does not have is exit 2 with one line (a fake one-GPU torch.cuda here)."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from twolayer.cli import main
from twolayer.commands.sweep import CUDA_GROUP_RUNS, device_settings
from twolayer.sweep import load

SPEC = """seeds = 1
[base]
data.d = 3
data.n = 8
data.n_test = 8
net.m = 2
probe.num_times = 2
train.steps = 2
[axes]
data.noise = [0.0, 0.1]
[run]
baselines = false
"""


def _spec(tmp_path, extra: str = ""):
    path = tmp_path / "s.toml"
    path.write_text(SPEC + extra)
    return path


def _args(**kw) -> argparse.Namespace:
    base = {"device": None, "executor": "local", "address": None, "workers": 1}
    return argparse.Namespace(**{**base, **kw})


@pytest.fixture
def one_gpu(monkeypatch):
    """torch.cuda as on a machine with one GPU (nothing runs on it in these tests)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_device_flag_overrides_the_spec(tmp_path):
    spec = load(str(_spec(tmp_path, 'device = "auto"\n')))
    assert device_settings(_args(device="cpu"), spec).device == "cpu"
    assert device_settings(_args(), spec).device == "auto"


def test_gpu_batches_unless_the_spec_sets_group_runs(tmp_path, one_gpu):
    spec = load(str(_spec(tmp_path)))
    assert device_settings(_args(device="cuda"), spec).group_runs == CUDA_GROUP_RUNS
    assert device_settings(_args(device="cpu"), spec).group_runs == spec.group_runs
    given = load(str(_spec(tmp_path, "group_runs = 3\n")))
    assert device_settings(_args(device="cuda"), given).group_runs == 3


@pytest.mark.parametrize("argv, flag", [
    (["--device", "cuda:7"], "--device"),
    (["--device", "cuda", "--workers", "2"], "--workers"),
    (["--device", "tpu"], "--device"),
])
def test_bad_device_settings_exit_2_one_line(tmp_path, capsys, one_gpu, argv, flag):
    out = tmp_path / "store"
    assert main(["sweep", str(_spec(tmp_path)), "--out", str(out), *argv]) == 2
    assert flag in one_line(capsys.readouterr().err)
    assert not out.exists()


def test_spec_device_on_a_missing_gpu_exits_2(tmp_path, capsys, one_gpu):
    out = tmp_path / "store"
    assert main(["sweep", str(_spec(tmp_path, 'device = "cuda:7"\n')), "--out", str(out)]) == 2
    assert "run.device" in one_line(capsys.readouterr().err)


def _records(out):
    recs = {}
    for path in sorted((out / "records").rglob("record.json")):
        doc = json.loads(path.read_text())
        recs[doc["run_id"]] = doc
    return recs


def test_cpu_sweep_records_its_threads(tmp_path):
    out = tmp_path / "store"
    assert main(["sweep", str(_spec(tmp_path)), "--out", str(out), "--device", "cpu",
                 "--quiet"]) == 0
    recs = _records(out)
    assert recs and all(isinstance(r["meta"]["threads"], int) for r in recs.values())
    assert all(r["meta"]["device"] == "cpu" for r in recs.values())


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_cuda_sweep_matches_the_cpu_and_records_no_threads(tmp_path):
    spec = _spec(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "c"), "--device", "cpu",
                 "--quiet"]) == 0
    assert main(["sweep", str(spec), "--out", str(tmp_path / "g"), "--device", "cuda",
                 "--quiet"]) == 0
    cpu, gpu = _records(tmp_path / "c"), _records(tmp_path / "g")
    assert cpu.keys() == gpu.keys()
    for k in gpu:
        assert gpu[k]["meta"]["threads"] is None
        assert gpu[k]["meta"]["device"].startswith("cuda")
        for name, v in gpu[k]["summary"].items():
            if isinstance(v, float) and name != "wall_seconds":
                assert v == pytest.approx(cpu[k]["summary"][name], rel=1e-4, abs=1e-5), name
