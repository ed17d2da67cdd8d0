"""Label-noise models flip what they state, on the training and on the test labels.

per-cluster: exactly round(η n_c) flips in every cluster; iid: rate η within a binomial
tolerance; one-cluster and confident: exactly round(η n) flips, one-cluster filling cluster +μ1
first, confident flipping the largest clean margins ỹ·f*(x); K-class flips go to a uniformly
chosen other class; the noisy mask is exactly y ≠ ỹ.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from twolayer.config import DataConfig
from twolayer.data import sample_dataset

pytestmark = pytest.mark.usefixtures("single_thread")


def _check_mask_and_clean(data):
    assert torch.equal(data.noisy, data.y != data.y_true)
    # clean labels follow the clusters (xor: +1 on ±μ1, −1 on ±μ2; clusters: the class id)
    for y_true, cl in ((data.y_true, data.cluster), (data.y_test_true, data.cluster_test)):
        if data.kind == "xor":
            assert torch.equal(y_true, torch.where(cl < 2, 1, -1))
        elif data.num_classes > 2:
            assert torch.equal(y_true, cl)


@given(
    n=st.integers(1, 120),
    n_test=st.integers(1, 120),
    eta=st.floats(0.0, 0.49),
    seed=st.integers(0, 10**6),
    kind=st.sampled_from([("xor", 2), ("clusters", 3), ("clusters", 5)]),
)
def test_per_cluster_flips_exactly_round_eta_nc(n, n_test, eta, seed, kind):
    cfg = DataConfig(
        kind=kind[0], num_classes=kind[1], d=6, n=n, n_test=n_test, noise=eta,
        noise_model="per-cluster",
    )
    data = sample_dataset(cfg, [seed, seed + 1])
    _check_mask_and_clean(data)
    for r in range(2):
        for y, y_true, cl in (
            (data.y, data.y_true, data.cluster),
            (data.y_test, data.y_test_true, data.cluster_test),
        ):
            for c in range(4 if kind[0] == "xor" else kind[1]):
                in_c = cl[r] == c
                flips = int((y[r][in_c] != y_true[r][in_c]).sum())
                assert flips == round(eta * int(in_c.sum())), (c, int(in_c.sum()), flips)


@pytest.mark.parametrize("kind", [("xor", 2), ("clusters", 4)])
def test_iid_rate_within_binomial_tolerance(kind):
    n, eta, R = 20_000, 0.1, 3
    cfg = DataConfig(
        kind=kind[0], num_classes=kind[1], d=4, n=n, n_test=n, noise=eta, noise_model="iid"
    )
    data = sample_dataset(cfg, list(range(R)))
    _check_mask_and_clean(data)
    sd = math.sqrt(eta * (1 - eta) / n)
    train = data.noisy.double().mean(1)
    test = (data.y_test != data.y_test_true).double().mean(1)
    assert (train - eta).abs().max() < 5 * sd, train
    assert (test - eta).abs().max() < 5 * sd, test
    # not the exact count every time (it is a Binomial draw), and independent of the cluster
    assert len(set(data.noisy.sum(1).tolist())) > 1
    for c in range(4 if kind[0] == "xor" else kind[1]):
        in_c = data.cluster == c
        rate_c = (data.noisy & in_c).sum() / in_c.sum()
        assert abs(float(rate_c) - eta) < 5 * math.sqrt(eta * (1 - eta) / float(in_c.sum()))


@given(n=st.integers(1, 300), eta=st.floats(0.0, 0.49), seed=st.integers(0, 10**6))
def test_one_cluster_flips_round_eta_n_filling_cluster_0_first(n, eta, seed):
    data = sample_dataset(
        DataConfig(d=5, n=n, n_test=n, noise=eta, noise_model="one-cluster"), [seed]
    )
    _check_mask_and_clean(data)
    for noisy, cl in (
        (data.noisy[0], data.cluster[0]),
        (data.y_test[0] != data.y_test_true[0], data.cluster_test[0]),
    ):
        total = round(eta * n)
        assert int(noisy.sum()) == total
        left = total
        for c in range(4):  # as few clusters as possible: +μ1, then −μ1, +μ2, −μ2
            size = int((cl == c).sum())
            assert int(noisy[cl == c].sum()) == min(left, size)
            left -= min(left, size)


@given(n=st.integers(1, 300), eta=st.floats(0.0, 0.49), seed=st.integers(0, 10**6))
def test_confident_flips_the_largest_clean_margins(n, eta, seed):
    data = sample_dataset(
        DataConfig(d=5, n=n, n_test=n, noise=eta, noise_model="confident", rotate=True),
        [seed],
        torch.float64,
    )
    _check_mask_and_clean(data)
    mu1, mu2 = data.extras["class_means"][0]
    for x, y_true, noisy in (
        (data.x[0], data.y_true[0], data.noisy[0]),
        (data.x_test[0], data.y_test_true[0], data.y_test[0] != data.y_test_true[0]),
    ):
        assert int(noisy.sum()) == round(eta * n)
        # ỹ·f*(x) with f*(x) = |⟨μ1,x⟩| − |⟨μ2,x⟩| (Frei et al. Eq. 2), written out here
        margin = y_true.double() * ((x @ mu1).abs() - (x @ mu2).abs())
        if 0 < int(noisy.sum()) < n:
            assert margin[noisy].min() >= margin[~noisy].max()


@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("model", ["iid", "per-cluster"])
def test_k_class_flips_go_to_a_uniform_other_class(k, model):
    n = 12_000
    data = sample_dataset(
        DataConfig(kind="clusters", num_classes=k, d=6, n=n, n_test=10, noise=0.4,
                   noise_model=model),
        [0],
    )
    _check_mask_and_clean(data)
    y, yt, noisy = data.y[0], data.y_true[0], data.noisy[0]
    assert torch.all((y >= 0) & (y < k))
    assert torch.all(y[noisy] != yt[noisy]) and torch.equal(y[~noisy], yt[~noisy])
    shift = (y[noisy] - yt[noisy]) % k  # 1..K−1, uniform
    counts = torch.bincount(shift, minlength=k)[1:].double()
    N = float(noisy.sum())
    p = 1 / (k - 1)
    sd = math.sqrt(N * p * (1 - p))
    assert (counts - N * p).abs().max() < 5 * sd, counts
    # and uniform given the true class too (the target class does not depend on the source)
    for c in range(k):
        sel = noisy & (yt == c)
        tgt = torch.bincount(y[sel], minlength=k).double()
        assert tgt[c] == 0
        others = torch.cat([tgt[:c], tgt[c + 1 :]])
        m = float(sel.sum())
        assert (others - m * p).abs().max() < 5 * math.sqrt(m * p * (1 - p)) + 1


def test_zero_noise_flips_nothing():
    for model in ("iid", "per-cluster", "one-cluster", "confident"):
        data = sample_dataset(DataConfig(d=4, n=200, n_test=200, noise=0.0, noise_model=model), [1])
        assert not data.noisy.any()
        assert torch.equal(data.y_test, data.y_test_true)


def test_test_labels_noisy_at_the_stated_rate_and_clean_labels_clean():
    """y_test_true are the clean labels of the test clusters; y_test is corrupted at η
    (per-cluster: exactly), drawn independently of the training corruption."""
    n_test, eta = 4000, 0.15
    data = sample_dataset(
        DataConfig(d=5, n=100, n_test=n_test, noise=eta, noise_model="per-cluster"), [0, 1]
    )
    assert torch.equal(data.y_test_true, torch.where(data.cluster_test < 2, 1, -1))
    flips = (data.y_test != data.y_test_true).sum(1)
    for r in range(2):
        want = sum(round(eta * int((data.cluster_test[r] == c).sum())) for c in range(4))
        assert int(flips[r]) == want
    assert abs(float(flips[0]) / n_test - eta) < 0.01
