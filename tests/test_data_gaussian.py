"""The anisotropic Gaussian data (Maennel et al. 2020) and the ``random`` label model.

x ~ N(0, Σ_x) with Σ_x = V diag(σ²) Vᵀ: the sample covariance matches it within Wishart
tolerances; the spectrum is App. E.1's 0.1, 0.2, …, 3.0 (linear) or log-spaced; V and the
teacher are fixed by the setting (equal across runs and seeds), samples differ per run; the
clean labels are the teacher's (recomputed from the stored x); random labels are uniform and
independent of x; a batch of runs reproduces separate runs; bad settings raise ConfigError
naming the flag.
"""

from __future__ import annotations

import math

import pytest
import torch

from twolayer.commands.settings import add_setting_flags, config_from_args
from twolayer.config import Config, DataConfig
from twolayer.data import sample_dataset
from twolayer.errors import ConfigError

pytestmark = pytest.mark.usefixtures("single_thread")


def gaussian(**kw) -> DataConfig:
    base = dict(kind="gaussian", d=8, n=200, n_test=50, noise=0.0, rotate=True)
    base.update(kw)
    return DataConfig(**base)


def test_app_e1_spectrum_and_log_spectrum():
    from twolayer.data.gaussian import spectrum

    lin = spectrum(30, "linear", 0.1, 3.0)
    assert torch.allclose(lin, 0.1 * torch.arange(1, 31, dtype=torch.float64), atol=1e-12)
    log = spectrum(7, "log", 1e-3, 3.0)
    assert log[0] == pytest.approx(1e-3) and log[-1] == pytest.approx(3.0)
    ratios = log[1:] / log[:-1]
    assert torch.allclose(ratios, ratios[0].expand(6), rtol=1e-10)


@pytest.mark.parametrize("spacing", ["linear", "log"])
def test_sample_covariance_matches_sigma_x(spacing):
    """Σ̂ = XᵀX/n of zero-mean Gaussians: Var(Σ̂_ij) = (Σ_ii Σ_jj + Σ_ij²)/n, checked at 5 s.d."""
    from twolayer.data.gaussian import spectrum

    d, n = 6, 40_000
    cfg = gaussian(d=d, n=n, spectrum=spacing, sigma2_min=0.05, sigma2_max=2.0)
    data = sample_dataset(cfg, [3], torch.float64)
    V = data.extras["eigenbasis"][0]
    assert torch.allclose(V @ V.T, torch.eye(d, dtype=torch.float64), atol=1e-12)
    sig2 = spectrum(d, spacing, 0.05, 2.0)
    cov = V.T @ torch.diag(sig2) @ V  # rows of V are the eigenvectors v_i
    x = data.x[0]
    emp = x.T @ x / n
    sd = torch.sqrt((torch.outer(cov.diagonal(), cov.diagonal()) + cov**2) / n)
    assert ((emp - cov).abs() <= 5 * sd).all()
    assert x.mean(0).abs().max() < 5 * math.sqrt(float(sig2.max()) / n)


def test_basis_and_teacher_fixed_by_setting_samples_per_run():
    cfg = gaussian(num_classes=3)
    a = sample_dataset(cfg, [0, 1])
    b = sample_dataset(cfg, [7])
    ra, rb = a.direction_rows(), b.direction_rows()
    assert torch.equal(ra[0], ra[1]) and torch.equal(ra[0], rb[0])
    assert a.direction_rows().shape == (2, 8 + 3, 8)
    assert not torch.equal(a.x[0], a.x[1])
    # rotate=False: the eigenbasis is the identity
    c = sample_dataset(gaussian(rotate=False), [0])
    assert torch.equal(c.extras["eigenbasis"][0], torch.eye(8))


def test_batch_reproduces_separate_runs():
    cfg = gaussian(num_classes=4, noise=1.0, noise_model="random")
    both = sample_dataset(cfg, [5, 6])
    alone = sample_dataset(cfg, [6])
    for f in ("x", "y", "y_true", "noisy", "cluster", "x_test", "y_test", "y_test_true"):
        assert torch.equal(getattr(both, f)[1], getattr(alone, f)[0]), f


@pytest.mark.parametrize("k", [2, 5])
def test_clean_labels_are_the_linear_teachers(k):
    d = 8
    cfg = gaussian(num_classes=k, n=3000)
    data = sample_dataset(cfg, [1, 2])
    assert data.num_classes == k
    for r in range(2):
        teacher = data.extras["teacher"][r].double()
        for x, y, cl in ((data.x[r], data.y_true[r], data.cluster[r]),
                         (data.x_test[r], data.y_test_true[r], data.cluster_test[r])):
            s = x.double() @ teacher.T
            if k == 2:
                assert torch.equal(y, torch.where(s[:, 0] > 0, 1, -1))
                assert torch.equal(cl, (y < 0).long())
            else:
                assert torch.equal(y, s.argmax(1)) and torch.equal(cl, y)
    assert torch.equal(data.y, data.y_true) and not data.noisy.any()  # η = 0
    if k > 2:  # every teacher logit has unit variance under Σ_x
        from twolayer.data.gaussian import spectrum

        V, T = data.extras["eigenbasis"][0].double(), data.extras["teacher"][0].double()
        cov = V.T @ torch.diag(spectrum(d, "linear", 0.1, 3.0)) @ V
        var = torch.einsum("kd,de,ke->k", T, cov, T)
        assert torch.allclose(var, torch.ones(k, dtype=torch.float64), rtol=1e-5)


@pytest.mark.parametrize("kind,k", [("gaussian", 10), ("gaussian", 2), ("xor", 2)])
def test_random_labels_uniform_and_independent_of_x(kind, k):
    n = 20_000
    extra = {"num_classes": k} if kind == "gaussian" else {}
    cfg = DataConfig(kind=kind, d=8, n=n, n_test=10, noise=1.0, noise_model="random", **extra)
    data = sample_dataset(cfg, [11])
    y, y_true = data.y[0], data.y_true[0]
    assert torch.equal(data.noisy[0], y != y_true)
    classes = (y < 0).long() if k == 2 else y
    counts = torch.bincount(classes, minlength=k).double()
    p = 1.0 / k
    tol = 5 * math.sqrt(n * p * (1 - p))
    assert ((counts - n * p).abs() <= tol).all(), counts
    # independent of x: the agreement with the clean label (a function of x) is 1/K, and the
    # label is uncorrelated with every input coordinate
    agree = float((y == y_true).double().mean())
    assert abs(agree - p) <= 5 * math.sqrt(p * (1 - p) / n)
    x = data.x[0].double()
    onehot = torch.nn.functional.one_hot(classes, k).double()
    corr = ((x - x.mean(0)) / x.std(0)).T @ (onehot - onehot.mean(0)) / n
    assert corr.abs().max() < 5 / math.sqrt(n)


def test_partial_random_replacement_rate():
    n, eta, k = 40_000, 0.4, 4
    cfg = gaussian(n=n, noise=eta, noise_model="random", num_classes=k)
    data = sample_dataset(cfg, [2])
    changed = float(data.noisy[0].double().mean())
    p = eta * (k - 1) / k  # replaced and different from the old label
    assert abs(changed - p) <= 5 * math.sqrt(p * (1 - p) / n)


def test_validation_messages():
    with pytest.raises(ConfigError, match=r"--noise 1\.2 .*\[0, 1\] with --noise-model random"):
        DataConfig(noise=1.2, noise_model="random")
    with pytest.raises(ConfigError, match=r"--noise 0\.7 .*\[0, 0\.5\)"):
        DataConfig(noise=0.7)
    DataConfig(noise=1.0, noise_model="random")  # valid
    with pytest.raises(ConfigError, match="--spectrum"):
        gaussian(spectrum="cubic")
    with pytest.raises(ConfigError, match="--sigma2-min"):
        gaussian(sigma2_min=0.0)
    with pytest.raises(ConfigError, match="--sigma2-max 0.5 .*--sigma2-min = 1"):
        gaussian(sigma2_min=1.0, sigma2_max=0.5)
    with pytest.raises(ConfigError, match="--noise-model"):
        gaussian(noise_model="confident")
    with pytest.raises(ConfigError, match="--objective"):
        Config(data=gaussian(num_classes=3))  # K > 2 needs softmax


def test_flags_build_the_config():
    import argparse

    p = argparse.ArgumentParser()
    add_setting_flags(p)
    args = p.parse_args(["--data", "gaussian", "--spectrum", "log", "--sigma2-min", "1e-3",
                         "--sigma2-max", "3", "--noise-model", "random", "--noise", "1",
                         "--num-classes", "10", "--objective", "softmax",
                         "--second-layer", "gaussian"])
    cfg, _ = config_from_args(args)
    dc = cfg.data
    assert (dc.kind, dc.spectrum, dc.sigma2_min, dc.sigma2_max) == ("gaussian", "log", 1e-3, 3.0)
    assert (dc.noise_model, dc.noise, dc.num_classes) == ("random", 1.0, 10)
    assert cfg.run_id != Config().run_id
