"""The data distributions against their definitions (Frei et al. 2023, Section 2).

Cluster means orthonormal (also rotated), in-cluster noise z = x − centre centred with
covariance σ² I_d for every law (Monte Carlo, tolerances from the law's fourth moment), clusters
balanced, clean labels correct per cluster, runs independent of the batch they are drawn in.
"""

from __future__ import annotations

import math

import pytest
import torch

from twolayer.config import DataConfig
from twolayer.data import sample_dataset
from twolayer.data.xor import bayes_margin

pytestmark = pytest.mark.usefixtures("single_thread")

# kurtosis E[z⁴]/σ⁴ of each law: sets the Monte-Carlo spread of the variance estimate
KURTOSIS = {"gaussian": 3.0, "uniform": 9.0 / 5.0, "laplace": 6.0}


def _eye(k, dtype=torch.float64):
    return torch.eye(k, dtype=dtype)


def xor_centres(data):
    """x − z: ±μ1 for clusters 0/1, ±μ2 for 2/3 (from the definition, not from the code)."""
    mu = data.extras["class_means"]  # [R, 2, d]
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=mu.dtype)[data.cluster]
    which = torch.tensor([0, 0, 1, 1])[data.cluster]
    return sign.unsqueeze(-1) * torch.gather(
        mu, 1, which.unsqueeze(-1).expand(-1, -1, mu.shape[-1])
    )


@pytest.mark.parametrize("rotate", [False, True])
def test_xor_means_orthonormal(rotate):
    data = sample_dataset(DataConfig(d=7, n=10, n_test=10, rotate=rotate), [0, 1, 2], torch.float64)
    for r in range(3):
        mu = data.extras["class_means"][r]
        torch.testing.assert_close(mu @ mu.T, _eye(2), rtol=0, atol=1e-12)
    if rotate:  # a random pair: not the basis vectors and different per run
        assert data.extras["class_means"][0, 0, 2:].abs().max() > 1e-3
        assert not torch.allclose(data.extras["class_means"][0], data.extras["class_means"][1])
    else:
        assert torch.equal(data.extras["class_means"][0], _eye(7)[:2])


def test_cluster_means_orthonormal_or_unit():
    small = sample_dataset(
        DataConfig(kind="clusters", num_classes=4, d=6, n=8, n_test=8), [0], torch.float64
    )
    mu = small.extras["class_means"][0]
    torch.testing.assert_close(mu @ mu.T, _eye(4), rtol=0, atol=1e-12)
    big = sample_dataset(
        DataConfig(kind="clusters", num_classes=5, d=3, n=8, n_test=8), [0], torch.float64
    )  # K > d: unit vectors
    torch.testing.assert_close(big.extras["class_means"][0].norm(dim=1),
                               torch.ones(5, dtype=torch.float64))


@pytest.mark.parametrize("dist", ["gaussian", "uniform", "laplace"])
def test_cluster_noise_is_centred_with_covariance_sigma2_identity(dist):
    n, d, s2 = 40_000, 4, 0.3
    cfg = DataConfig(d=d, n=n, n_test=1, noise=0.0, sigma2=s2, cluster_dist=dist, rotate=True)
    data = sample_dataset(cfg, [11], torch.float64)
    z = (data.x - xor_centres(data))[0]  # [n, d]
    mean = z.mean(0)
    assert mean.abs().max() < 5 * math.sqrt(s2 / n)
    cov = (z - mean).T @ (z - mean) / (n - 1)
    var_sd = s2 * math.sqrt((KURTOSIS[dist] - 1) / n)
    off_sd = s2 / math.sqrt(n)
    diag = torch.diagonal(cov)
    assert (diag - s2).abs().max() < 5 * var_sd, diag
    off = cov - torch.diag(diag)
    assert off.abs().max() < 5 * off_sd, off
    # the law itself: its kurtosis (Gaussian 3, uniform 1.8, Laplace 6) within Monte-Carlo error
    kurt = ((z - mean) ** 4).mean(0) / diag**2
    assert (kurt - KURTOSIS[dist]).abs().max() < 0.15 * KURTOSIS[dist], kurt
    if dist == "uniform":
        assert z.abs().max() <= math.sqrt(3 * s2) + 1e-12


def test_clusters_balanced_and_labels_per_cluster():
    n = 8000
    cfg = DataConfig(d=10, n=n, n_test=4000, noise=0.2, sigma2=0.01)
    data = sample_dataset(cfg, [0, 1], torch.float64)
    for x, y_true, cl in (
        (data.x, data.y_true, data.cluster),
        (data.x_test, data.y_test_true, data.cluster_test),
    ):
        N = x.shape[1]
        for c in range(4):
            frac = (cl == c).double().mean(1)
            assert (frac - 0.25).abs().max() < 5 * math.sqrt(0.25 * 0.75 / N), frac
        # clean label: +1 on ±μ1 (clusters 0, 1), −1 on ±μ2 (clusters 2, 3)
        want = torch.where(cl < 2, 1, -1)
        assert torch.equal(y_true, want)
        # and the cluster is where the point lies: ⟨x, ±μ⟩ ≈ 1 for its own mean
        proj = torch.einsum("rnd,rkd->rnk", x, data.extras["class_means"])
        own = torch.where(cl < 2, proj[..., 0], proj[..., 1]) * torch.where(cl % 2 == 0, 1.0, -1.0)
        assert (own - 1).abs().max() < 6 * 0.1  # 6σ
        # the Bayes-like classifier sgn(|⟨μ1,x⟩| − |⟨μ2,x⟩|) recovers the clean label at small σ²
        mu = data.extras["class_means"][0]
        agree = (torch.sign(bayes_margin(x[0], mu)) == y_true[0]).double().mean()
        assert agree > 0.99


def test_clusters_kind_labels_and_balance():
    n, k = 6000, 3
    data = sample_dataset(
        DataConfig(kind="clusters", num_classes=k, d=8, n=n, n_test=10, noise=0.0, sigma2=0.01), [2]
    )
    assert torch.equal(data.y_true, data.cluster)
    for c in range(k):
        frac = (data.cluster == c).double().mean()
        assert abs(frac - 1 / k) < 5 * math.sqrt((1 / k) * (1 - 1 / k) / n)
    nearest = torch.einsum("nd,kd->nk", data.x[0], data.extras["class_means"][0]).argmax(1)
    assert (nearest == data.y_true[0]).double().mean() > 0.99
    # K = 2 clusters use the binary ±1 convention (class 0 → +1)
    two = sample_dataset(DataConfig(kind="clusters", num_classes=2, d=4, n=50, n_test=5), [0])
    assert torch.equal(two.y_true, 1 - 2 * two.cluster)


def test_dataset_shapes_dtypes_and_run_independence():
    cfg = DataConfig(d=6, n=30, n_test=20, noise=0.2)
    data = sample_dataset(cfg, [4, 5, 6], torch.float32)
    assert data.x.shape == (3, 30, 6) and data.x_test.shape == (3, 20, 6)
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.int64
    assert data.noisy.dtype == torch.bool and data.extras["class_means"].shape == (3, 2, 6)
    assert data.binary and data.runs == 3
    # run r of a batch is exactly the single-run draw of its seed
    alone = sample_dataset(cfg, [5], torch.float32)
    for f in ("x", "y", "y_true", "noisy", "cluster", "x_test", "y_test", "y_test_true"):
        assert torch.equal(getattr(data, f)[1], getattr(alone, f)[0]), f
    assert torch.equal(data.extras["class_means"][1], alone.extras["class_means"][0])
    # different seeds → different draws; train and test are different draws
    assert not torch.equal(data.x[0], data.x[1])
    assert not torch.equal(data.x[0, :20], data.x_test[0])
    sub = data.select([2])
    assert torch.equal(sub.x[0], data.x[2]) and sub.runs == 1
    moved = data.to("cpu", torch.float64)
    assert moved.x.dtype == torch.float64 and moved.y.dtype == torch.int64


def test_init_params_run_r_is_the_single_run_draw_of_its_seed():
    """The first layer of run r of a batch is exactly the single-run draw of its seed,
    W ~ N(0, ω²) drawn from that seed's "init" stream (here recomputed from the stream)."""
    from twolayer.config import NetConfig
    from twolayer.net.params import init_params
    from twolayer.seeding import generator

    cfg = NetConfig(m=8)
    batch = init_params(cfg, 5, [4, 5, 6], 0.3)
    alone = init_params(cfg, 5, [5], 0.3)
    assert batch.W.shape == (3, 8, 5) and torch.equal(batch.W[1], alone.W[0])
    want = torch.randn(8, 5, generator=generator(6, "init")) * math.sqrt(0.3)
    assert torch.equal(batch.W[2], want)
    assert not torch.equal(batch.W[0], batch.W[1])
