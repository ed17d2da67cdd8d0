"""The in-step group GEMMs as one padded batched GEMM per group and block (``Tuning.
batched_groups``, the default on a GPU) give the Gram matrix, gradient and outputs of the per-run
GEMMs (the CPU default), in float64; and on ``device`` against the CPU."""

from __future__ import annotations

import pytest
import torch
from devices import tolerance

from twolayer import net
from twolayer.config import DataConfig, NetConfig
from twolayer.data import sample_dataset
from twolayer.probes import segment_split


def _step(p, data, budget, batched, device="cpu"):
    with net.use_tuning(batched_groups=batched, worker_min_elements=1 << 40):
        p, x, y = p.to(device), data.x.to(device), data.y.to(device)
        d = data.to(device)
        ws = net.Workspace(p, x.shape[1], budget=budget)
        assert ws.can_split(p)
        ws.run(p, x, y, "logistic", 1.0 / x.shape[1], groups=segment_split(d))
        return ws.gram.cpu(), {k: v.cpu() for k, v in ws.gradients(p).items()}, ws.out.cpu()


@pytest.mark.parametrize("noise", [0.0, 0.25])  # 0: the noisy and repeated groups are empty
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("runs_per_block", [1, 3, 7])
def test_batched_group_gemms_equal_the_per_run_ones(noise, bias, runs_per_block):
    n, m, d, R = 30, 6, 5, 7
    cfg = DataConfig(d=d, n=n, n_test=10, noise=noise, noise_model="iid")
    data = sample_dataset(cfg, list(range(R)), torch.float64)
    p = net.init_params(NetConfig(m=m, bias=bias), d, list(range(R)), init_var=0.3,
                        dtype=torch.float64)
    budget = runs_per_block * n * m
    gram0, g0, out0 = _step(p, data, budget, batched=False)
    gram1, g1, out1 = _step(p, data, budget, batched=True)
    torch.testing.assert_close(gram1, gram0, rtol=1e-10, atol=1e-14)
    for k in g0:
        torch.testing.assert_close(g1[k], g0[k], rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(out1, out0, rtol=1e-12, atol=1e-14)


def test_in_step_gram_on_device_matches_the_cpu(device):
    n, m, d, R = 40, 8, 5, 5
    cfg = DataConfig(d=d, n=n, n_test=10, noise=0.2)
    data = sample_dataset(cfg, list(range(R)), torch.float64)
    p = net.init_params(NetConfig(m=m), d, list(range(R)), init_var=0.3, dtype=torch.float64)
    gram0, g0, _ = _step(p, data, 1 << 20, batched=False)
    gram1, g1, _ = _step(p, data, 1 << 20, batched=None, device=device)  # the device's default
    torch.testing.assert_close(gram1, gram0, **tolerance(torch.float64))
    for k in g0:
        torch.testing.assert_close(g1[k], g0[k], **tolerance(torch.float64))
