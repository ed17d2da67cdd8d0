"""A pool's worker lanes each run on one intra-op thread whatever the thread count of the caller
that created the pool (twolayer/lanes.py): PyTorch gives a thread its count lazily, at its first
parallel op, from the value last set by any thread, so a worker that only called
``set_num_threads(1)`` took the caller's count instead (two OpenMP threads per lane on two
cores, and data drawn in the lanes whose bits differed from the same data drawn in the caller).

Each test builds its own :class:`~twolayer.lanes.Pool` (the process's cached pools may have been
created under any setting by earlier tests)."""

from __future__ import annotations

import pytest
import torch

from twolayer import lanes
from twolayer.config import data_kind
from twolayer.data import base, sample_dataset


@pytest.fixture
def caller_threads():
    """Run the test under two intra-op threads in the calling thread, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def _worker_counts(pool: lanes.Pool) -> list[int]:
    seen: dict[int, int] = {}

    def note(i: int) -> None:
        x = torch.ones(4096, 64)
        (x @ x.T).sum()  # a parallel op first: where PyTorch initialises the thread's count
        seen[i] = torch.get_num_threads()

    pool.map(note, [(i,) for i in range(pool.k)])
    return [seen[i] for i in range(pool.k)]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_workers_of_a_pool_created_under_two_threads_run_on_one(caller_threads, k):
    pool = lanes.Pool(k)
    assert torch.get_num_threads() == caller_threads  # the caller's setting is its own
    assert _worker_counts(pool) == [1] * k
    torch.set_num_threads(3)  # a later change in the caller reaches no worker
    assert _worker_counts(pool) == [1] * k


def test_a_rotated_gaussian_draw_in_lanes_is_the_callers_bits(caller_threads, monkeypatch):
    """float64 Gaussian inputs with a random rotation (a QR and a matrix product per run):
    drawn by two lanes of a pool created and first used under two threads, the same bits as
    drawn by the caller alone (one lane). With two-thread workers the last bits differed."""
    kind = data_kind("gaussian")
    cfg = kind.config(d=60, n=40, n_test=50, noise=0.1, rotate=True).resolved()
    seeds = [3, 7, 11, 19, 23]
    pool = lanes.Pool(2)
    _worker_counts(pool)  # a task first, under the caller's two threads (as a kernel's step)
    monkeypatch.setattr(base, "pool", lambda k: pool)
    draws = []
    for k in (1, 2):
        monkeypatch.setattr(base, "draw_lanes", lambda runs, work, k=k: k)
        draws.append(sample_dataset(cfg, seeds, torch.float64))
    one, two = draws
    for name in ("x", "x_test", "y", "y_test"):
        assert torch.equal(getattr(one, name), getattr(two, name)), name
    assert torch.equal(one.extras["eigenbasis"], two.extras["eigenbasis"])
