"""The runs' data drawn in parallel worker lanes (``data.base.draw_runs``): the same bits as one
run drawn alone whatever the number of lanes and intra-op threads, the xor points equal to the
formula drawn by hand from the run's streams, and a run that raises stops the draw with its
error (no hang, no half-filled Dataset)."""

from __future__ import annotations

import math
import os

import pytest
import torch

from twolayer.config import data_kind
from twolayer.data import base, sample_dataset, xor
from twolayer.data.noise import corrupt
from twolayer.seeding import generator

SEEDS = [3, 7, 11, 19, 23]
KINDS = [
    dict(kind="xor", d=60, n=40, n_test=50, noise=0.1),
    dict(kind="xor", d=60, n=40, n_test=50, noise=0.1, rotate=True, noise_model="confident"),
    dict(kind="xor", d=60, n=40, n_test=50, noise=0.1, cluster_dist="laplace"),
    dict(kind="clusters", d=60, n=40, n_test=50, noise=0.1, num_classes=3),
    dict(kind="gaussian", d=60, n=40, n_test=50, noise=0.1, rotate=True),
    dict(kind="lms", d=30, n=40, n_test=50),
    dict(kind="linxor", d=30, n=40, n_test=50),
]


def _cfg(spec: dict):
    kind = data_kind(spec["kind"])
    return kind.config(**{k: v for k, v in spec.items() if k != "kind"}).resolved()


def _tensors(ds) -> dict[str, torch.Tensor]:
    names = ("x", "y", "y_true", "noisy", "cluster", "x_test", "y_test", "y_test_true",
             "cluster_test")
    return {k: getattr(ds, k) for k in names} | {"extras/" + k: v for k, v in ds.extras.items()}


def _draw(cfg, seeds, dtype, lanes: int, threads: int, monkeypatch) -> dict:
    monkeypatch.setattr(base, "draw_lanes", lambda runs, work: min(lanes, runs))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _tensors(sample_dataset(cfg, seeds, dtype))
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("spec", KINDS, ids=lambda s: "-".join(str(v) for v in s.values()))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lanes_and_threads_change_no_bit_and_run_r_is_its_seed_drawn_alone(spec, dtype,
                                                                          monkeypatch):
    cfg = _cfg(spec)
    one = _draw(cfg, SEEDS, dtype, lanes=1, threads=2, monkeypatch=monkeypatch)
    for lanes, threads in ((2, 2), (3, 1), (5, 2)):
        other = _draw(cfg, SEEDS, dtype, lanes, threads, monkeypatch)
        for k, v in one.items():
            assert torch.equal(v, other[k]), (k, lanes, threads)
    for r in (0, 3):  # run r of the batch is its seed's data drawn alone
        alone = _draw(cfg, [SEEDS[r]], dtype, lanes=1, threads=1, monkeypatch=monkeypatch)
        for k, v in alone.items():
            assert torch.equal(v[0], one[k][r]), (k, r)


def test_xor_points_are_the_clusters_centres_plus_sigma_times_the_streams_normals(monkeypatch):
    """The oracle, from the generators by hand: cluster c ~ U{0..3} then z ~ N(0, I_d), both
    from stream data-<split> of the run's seed; x = s_c μ_{k(c)} + σ z (s = +, −, +, −;
    k = 1, 1, 2, 2); μ1, μ2 = e1, e2."""
    spec = dict(kind="xor", d=50, n=30, n_test=20, noise=0.0, sigma2=0.3)
    cfg = _cfg(spec)
    got = _draw(cfg, SEEDS, torch.float64, lanes=3, threads=2, monkeypatch=monkeypatch)
    sign, which = [1.0, -1.0, 1.0, -1.0], [0, 0, 1, 1]
    for r, seed in enumerate(SEEDS):
        for split, n, name in (("train", 30, "x"), ("test", 20, "x_test")):
            g = generator(seed, "data-" + split)
            cluster = torch.randint(0, 4, (n,), generator=g)
            z = torch.randn(n, 50, generator=g, dtype=torch.float64)
            want = z * math.sqrt(0.3)
            for i, c in enumerate(cluster.tolist()):
                want[i, which[c]] += sign[c]
            assert torch.equal(got[name][r], want), (r, split)


def test_xor_labels_are_corrupted_from_the_same_stream_after_the_points(monkeypatch):
    cfg = _cfg(dict(kind="xor", d=40, n=60, n_test=10, noise=0.2))
    got = _draw(cfg, SEEDS, torch.float32, lanes=2, threads=2, monkeypatch=monkeypatch)
    for r, seed in enumerate(SEEDS):
        g = generator(seed, "data-train")
        x, y_true, cluster = xor.sample(60, xor.means(40, False, generator(seed, "data"),
                                                      torch.float32),
                                        cfg.sigma2, "gaussian", g, torch.float32)
        y, noisy = corrupt("iid", 0.2, y_true, cluster, x, None, 2, g)
        assert torch.equal(got["y"][r], y) and torch.equal(got["noisy"][r], noisy)


def test_the_lane_count_follows_the_callers_threads_the_runs_and_the_size(monkeypatch):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        big = base.PARALLEL_DRAW_ELEMENTS
        assert base.draw_lanes(10, big) == min(2, os.cpu_count())
        assert base.draw_lanes(1, big) == 1
        assert base.draw_lanes(10, big - 1) == 1  # small: lanes cost more than they save
        torch.set_num_threads(1)
        assert base.draw_lanes(10, big) == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("lanes", [1, 3])
def test_a_run_that_raises_stops_the_draw_with_its_error(lanes, monkeypatch):
    """A data kind whose draw fails on one run's seed (a broken plugin): the caller gets that
    error, whichever lane met it, and the lanes can be used again afterwards."""
    calls: list[int] = []

    def one_run(seed: int):
        calls.append(seed)
        if seed == 11:
            raise RuntimeError("draw failed for seed 11")
        return {"x": torch.full((3, 2), float(seed))}, {}

    monkeypatch.setattr(base, "draw_lanes", lambda runs, work: lanes)
    with pytest.raises(RuntimeError, match="seed 11"):
        base.draw_runs(one_run, list(range(40)), work=1 << 30)
    if lanes == 1:  # one lane stops at the failing run (several lanes finish their own runs)
        assert calls == list(range(12))
    stacked, _ = base.draw_runs(one_run, [1, 2, 3, 4], work=1 << 30)
    assert stacked["x"][:, 0, 0].tolist() == [1.0, 2.0, 3.0, 4.0]
