"""On CUDA, Frei Fig. 2 and ``simulate --preset frei-fig2-*`` use the flow integrator after
a few exact GD steps, as on the CPU, instead of 10^7 exact steps (no GPU needed to check)."""

from __future__ import annotations

import argparse
import types

import torch

from twolayer.commands.settings import config_from_args
from twolayer.experiments.frei2023 import FIG2_GPU_SEEDS, fig2_horizon


def _args(**kw):
    base = {"preset": "frei-fig2-high-d", "steps": None, "integrator": None}
    return argparse.Namespace(**{**base, **kw})


def test_fig2_horizon_uses_the_flow_on_cuda():
    gpu = types.SimpleNamespace(torch_device=torch.device("cuda"))
    h = fig2_horizon(gpu, quick=False)
    assert h.integrator == "flow" and h.steps == 10_000_000 and h.seeds == FIG2_GPU_SEEDS


def test_preset_on_a_gpu_switches_to_the_flow():
    cfg, notes = config_from_args(_args(), device_is_cpu=False)
    assert cfg.train.integrator == "auto" and cfg.train.switch == 100
    assert cfg.train.steps == 10_000_000 and any("flow" in n for n in notes)
    cfg, _ = config_from_args(_args(integrator="gd"), device_is_cpu=False)
    assert cfg.train.integrator == "gd"
    cfg, _ = config_from_args(_args(steps=500), device_is_cpu=False)
    assert cfg.train.integrator == "gd" and cfg.train.steps == 500
    cfg, _ = config_from_args(_args(), device_is_cpu=True)  # the CPU: capped exact GD, as before
    assert cfg.train.integrator == "gd" and cfg.train.steps == 10_000
