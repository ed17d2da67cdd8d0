"""The gradient kernel's per-step reuse: minibatch SGD builds the workspace's block views once
per training call (each batch is copied into kept buffers), and the readout f = φ(pre) a is the
same on both sides of the mv / bmm switch (``kernel.MV_MIN_ELEMENTS``), checked against the
plain forward pass of tests/core_oracles.py."""

from __future__ import annotations

import pytest
import torch
from core_oracles import autograd_grads, forward_one, leaves, sample_losses

from twolayer import net
from twolayer.config import DataConfig, NetConfig, TrainConfig
from twolayer.data import sample_dataset
from twolayer.engine import Runtime, train
from twolayer.net import init_params
from twolayer.net import kernel as K

pytestmark = pytest.mark.usefixtures("single_thread")
CPU = Runtime(device="cpu", progress=False)


def _count_blocks(monkeypatch) -> list[int]:
    calls = [0]
    original = K.Workspace._block

    def counting(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(K.Workspace, "_block", counting)
    return calls


def test_sgd_builds_the_block_views_once_per_training_call(monkeypatch):
    seeds = [0, 1]
    data = sample_dataset(DataConfig(d=5, n=64, n_test=16), seeds, torch.float32)
    p = init_params(NetConfig(m=6), 5, seeds, init_var=0.2)
    calls = _count_blocks(monkeypatch)
    train(p, data, TrainConfig(lr=0.1, steps=40, batch_size=8), [0, 40], (), CPU, seeds=seeds)
    # one block (2 runs × 8 rows × 6 neurons) per plan; rebuilt every step, it would be ≥ 40
    assert 1 <= calls[0] <= 2, calls[0]


@pytest.mark.parametrize("R,n,m", [(2, 16, 8), (2, 200, 64)])
def test_readout_and_gradients_on_both_sides_of_the_mv_switch(R, n, m):
    inside = R * n * m > K.MV_MIN_ELEMENTS  # the second case takes the per-run mv path
    assert inside == (n == 200)
    seeds = list(range(R))
    data = sample_dataset(DataConfig(d=7, n=n, n_test=8), seeds, torch.float64)
    p = init_params(NetConfig(m=m, bias=True), 7, seeds, init_var=0.3, dtype=torch.float64)
    grads, loss, out = net.loss_gradients(p, data.x, data.y, "logistic")
    for r in range(R):
        W, a, b = leaves(p, r, False)
        f = forward_one(W, a, b, data.x[r])
        torch.testing.assert_close(out[r], f.detach(), rtol=1e-10, atol=1e-12)
        mean = sample_losses(f, data.y[r], "logistic").mean()
        ref = autograd_grads(mean, W, a, b, False)
        for k, v in ref.items():
            torch.testing.assert_close(grads[k][r], v, rtol=1e-9, atol=1e-12)
