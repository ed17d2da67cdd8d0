"""The CPU thread policy of a training call (twolayer/threads.py, Runtime.threads)."""

from __future__ import annotations

import pytest
import torch

from twolayer.config import Config
from twolayer.engine import Runtime, train
from twolayer.errors import ConfigError
from twolayer.simulate import setup
from twolayer.threads import SMALL_STEP_WORK, threads_for, with_thread_policy

CPU = torch.device("cpu")


def test_auto_policy_by_size():
    # "all threads" must differ from 1 here, whatever this machine or an earlier test set
    # (the suite ran this under one thread, where "1" and "all" could not be told apart)
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        _auto_policy_by_size(torch.get_num_threads())
    finally:
        torch.set_num_threads(before)


def _auto_policy_by_size(procs: int) -> None:
    assert procs == 3
    assert threads_for(None, 1, 1000, 50, 400, CPU) == 1  # the demo (2·10^7): one thread
    assert threads_for(None, 1, 300, 5000, 400, CPU) == procs  # Frei Fig. 2, one seed: 6·10^8
    assert threads_for(None, 64, 1000, 50, 400, CPU) == procs  # the benchmark's reference
    big_n = -(-SMALL_STEP_WORK // (4 * 50 * 100))  # the smallest n at or above it
    assert threads_for(None, 4, big_n, 50, 100, CPU) == procs  # at the threshold
    assert threads_for(None, 4, big_n - 1, 50, 100, CPU) == 1  # just below it
    assert threads_for(3, 1, 10, 10, 10, CPU) == 3  # an explicit count wins
    assert threads_for(None, 1, 10, 10, 10, torch.device("cuda")) == procs  # no policy on GPU


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_runtime_rejects_bad_threads(bad):
    with pytest.raises(ConfigError, match="threads"):
        Runtime(threads=bad)


def test_thread_count_inside_the_call_and_restored():
    seen = []

    @with_thread_policy
    def fake_train(params, data, cfg, times=None, probes=(), runtime=None):
        seen.append(torch.get_num_threads())

    cfg, data, params = setup(Config().replace(data__n=50, data__d=10, net__m=8))
    before = torch.get_num_threads()
    fake_train(params, data, cfg.train, [0], (), Runtime(device="cpu"))
    fake_train(params, data, cfg.train, runtime=Runtime(device="cpu", threads=3))
    assert seen == [1, 3]
    assert torch.get_num_threads() == before


def test_same_numbers_with_one_and_two_threads():
    """The policy changes how the ops are split over threads, not what they compute."""
    cfg, data, params = setup(Config(dtype="float64").replace(
        data__n=300, data__d=20, net__m=40, train__steps=30, seeds=3))
    out = [train(params, data, cfg.train, [0, 10, 30], ("errors",),
                 Runtime(device="cpu", threads=k)) for k in (1, 2)]
    torch.testing.assert_close(out[0].params.W, out[1].params.W, rtol=1e-12, atol=1e-14)
    for key in out[0].arrays:
        assert (out[0].arrays[key] == out[1].arrays[key]).all() or torch.allclose(
            torch.as_tensor(out[0].arrays[key]), torch.as_tensor(out[1].arrays[key]),
            rtol=1e-10, atol=1e-12), key
