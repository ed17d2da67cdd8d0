"""Data and label-noise properties that mutation testing of ``twolayer.data`` found unchecked,
each against an oracle written out here (a plain loop, an exact binomial interval, the
definition of a Haar frame, the stream name the docs give):

- ``one-cluster`` fills clusters in the order 0, 1, 2, 3, the last one included;
- ``clusters`` means are orthonormal at K = d too (the boundary of K ≤ d);
- a rotated frame (xor ``--rotate``) is uniformly random: each entry's sign a fair coin;
- the ``iid`` and ``random`` noise rates match η to a binomial interval at false-alarm 1e-6;
- a streaming kind draws its minibatches from the per-run stream ``data-stream``.

Each statistical check states its false-alarm rate; the draws are seeded, so a pass or fail
is reproducible.
"""

from __future__ import annotations

import math

import pytest
import torch

from twolayer.config import DataConfig
from twolayer.data import Stream, sample_dataset
from twolayer.data.noise import corrupt
from twolayer.seeding import generator

pytestmark = pytest.mark.usefixtures("single_thread")

Z_1E6 = 4.8916  # two-sided normal quantile of false-alarm rate 1e-6


def _binomial_acceptance(n: int, p: float, alpha: float) -> tuple[int, int]:
    """[lo, hi]: the exact two-sided acceptance interval of Binomial(n, p) with tail mass at
    most alpha/2 on each side (summed term by term, for small n)."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    lo, acc = 0, 0.0
    while acc + pmf[lo] <= alpha / 2:
        acc += pmf[lo]
        lo += 1
    hi, acc = n, 0.0
    while acc + pmf[hi] <= alpha / 2:
        acc += pmf[hi]
        hi -= 1
    return lo, hi


@pytest.mark.parametrize("clusters,eta", [
    ([3] * 10 + [0] * 2, 0.4),  # round(4.8) = 5: cluster 0's 2, none in 1 and 2, then 3 in 3
    ([3] * 7 + [2] * 1, 0.45),  # round(3.6) = 4: cluster 2's 1, then 3 in cluster 3
    ([1, 3, 3, 3, 2, 3, 3, 0, 3, 3], 0.49),  # round(4.9) = 5: 0, 1, 2 (one each), then 2 in 3
    ([3] * 9, 0.3),  # only cluster 3 present: round(2.7) = 3 flips there
])
def test_one_cluster_fills_clusters_0_to_3_in_order_the_last_included(clusters, eta):
    cluster = torch.tensor(clusters)
    n = cluster.numel()
    y_true = torch.where(cluster < 2, 1, -1)
    x = torch.zeros(n, 2)
    mu = torch.eye(2)
    gen = torch.Generator().manual_seed(0)
    y, noisy = corrupt("one-cluster", eta, y_true, cluster, x, mu, 2, gen)
    left = round(eta * n)  # the oracle, a plain loop over the clusters in order
    want = {}
    for c in range(4):
        size = sum(1 for v in clusters if v == c)
        want[c] = min(left, size)
        left -= want[c]
    assert left == 0
    for c in range(4):
        assert int(noisy[cluster == c].sum()) == want[c], (c, want)
    assert torch.equal(noisy, y != y_true) and torch.equal(y[noisy], -y_true[noisy])


@pytest.mark.parametrize("k", [2, 4, 6])
def test_clusters_means_orthonormal_when_k_equals_d(k):
    data = sample_dataset(
        DataConfig(kind="clusters", num_classes=k, d=k, n=4, n_test=4), [0, 1, 2], torch.float64
    )
    for r in range(3):
        mu = data.extras["class_means"][r]
        torch.testing.assert_close(mu @ mu.T, torch.eye(k, dtype=torch.float64), rtol=0,
                                   atol=1e-12)


def test_rotated_xor_means_are_a_uniformly_random_frame():
    """A uniformly random (Haar) orthonormal pair is invariant under flipping any coordinate's
    sign, so each entry of μ1, μ2 is positive with probability exactly 1/2 (entries are a.s.
    non-zero). Over N runs the count of positives is Binomial(N, 1/2); each of the 2·d entries
    is checked against its exact interval at false-alarm 1e-6 / (2d) (1e-6 in all)."""
    d, runs = 3, 400
    data = sample_dataset(DataConfig(d=d, n=1, n_test=1, rotate=True), list(range(runs)),
                          torch.float64)
    mu = data.extras["class_means"]  # [R, 2, d]
    lo, hi = _binomial_acceptance(runs, 0.5, 1e-6 / (2 * d))
    positives = (mu > 0).sum(0)  # [2, d]
    assert bool(((positives >= lo) & (positives <= hi)).all()), (positives, lo, hi)


@pytest.mark.parametrize("model,kind,k,eta", [
    ("iid", "xor", 2, 0.1),
    ("iid", "clusters", 3, 0.3),
    ("random", "clusters", 2, 0.2),  # mean flip rate η(K−1)/K = 0.1
    ("random", "clusters", 4, 0.4),  # 0.3
])
def test_noise_rate_within_a_binomial_interval_at_false_alarm_1e6(model, kind, k, eta):
    """iid flips each label with probability η, random changes it with probability η(K−1)/K
    (module docstring of twolayer.data.noise): the flip count of n = 10^6 labels (train, and
    test alike) within the normal interval at false-alarm 1e-6 (n·p ≥ 10^5: the normal
    approximation's error is far below that rate's scale). A rate 2% off is outside it."""
    n = 1_000_000
    p = eta if model == "iid" else eta * (k - 1) / k
    cfg = DataConfig(kind=kind, num_classes=k, d=2, n=n, n_test=n, noise=eta, noise_model=model)
    data = sample_dataset(cfg, [7])
    half = Z_1E6 * math.sqrt(n * p * (1 - p))
    for flips in (int(data.noisy.sum()), int((data.y_test != data.y_test_true).sum())):
        assert abs(flips - n * p) <= half, (flips, n * p, half)


def _gauss_draw(cfg, n, gen, dtype):
    x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
    y = torch.where(x[:, 0] > 0, 1, -1)
    return x, y, (y < 0).long()


def test_a_streaming_kind_draws_from_the_runs_data_stream():
    """Streamed minibatches come from stream ``data-stream`` of each run's seed (independent of
    the finite sets' ``data-train`` / ``data-test``): the first minibatch's x is the first
    ``batch`` normals of that stream, written out here."""
    cfg = DataConfig(d=3, n=16, n_test=8, noise=0.0)
    seeds, batch = [4, 9], 5
    data = sample_dataset(cfg, seeds, torch.float64)
    x, y, _ = next(Stream(cfg, _gauss_draw).minibatches(None, data, batch, seeds, 0))
    for r, seed in enumerate(seeds):
        want = torch.randn(batch, 3, generator=generator(seed, "data-stream"), dtype=torch.float64)
        assert torch.equal(x[r], want), r
        assert torch.equal(y[r], torch.where(want[:, 0] > 0, 1, -1))
        train = torch.randn(batch, 3, generator=generator(seed, "data-train"), dtype=torch.float64)
        assert not torch.equal(x[r], train)
