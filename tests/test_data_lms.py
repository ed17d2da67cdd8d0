"""The simple + complex feature data (kinds lms and linxor) against their definitions.

Oracles are the written geometry of :mod:`twolayer.data.lms` with the numbers worked out by hand
for margin γ = 0.1 (slab width s = (2 − 8γ)/5 = 0.24; slabs [−1, −0.76], [−0.56, −0.32],
[−0.12, 0.12], [0.32, 0.56], [0.76, 1]), not the module's own helpers: each feature alone
predicts the clean label perfectly, the noise coordinates carry no label information, the
class and slab frequencies are as stated (binomial tolerances), and the config rejects
settings the kinds cannot have.
"""

from __future__ import annotations

import math

import pytest
import torch

from twolayer.config import Config, DataConfig
from twolayer.data import sample_dataset
from twolayer.errors import ConfigError

pytestmark = pytest.mark.usefixtures("single_thread")

SLABS_01 = [(-1.0, -0.76), (-0.56, -0.32), (-0.12, 0.12), (0.32, 0.56), (0.76, 1.0)]  # γ = 0.1
TOL = 1e-6


def _draw(kind: str, n: int = 4000, seeds=(0, 1), **kw):
    if kind == "linxor":
        kw.pop("slabs", None)
    cfg = DataConfig(kind=kind, d=kw.pop("d", 9), n=n, n_test=n // 2, noise=kw.pop("noise", 0.0),
                     **kw)
    return sample_dataset(cfg, list(seeds), torch.float64)


def _splits(data):
    return ((data.x, data.y_true, data.cluster), (data.x_test, data.y_test_true, data.cluster_test))


def _slab_of(v: torch.Tensor) -> torch.Tensor:
    """Index of the γ = 0.1 slab containing each value, −1 if none (hand-written edges)."""
    out = torch.full(v.shape, -1, dtype=torch.long)
    for k, (lo, hi) in enumerate(SLABS_01):
        out[(v >= lo - TOL) & (v <= hi + TOL)] = k
    return out


@pytest.mark.parametrize("kind", ["lms", "linxor"])
def test_simple_feature_alone_predicts_the_label(kind):
    data = _draw(kind)
    for x, y, _ in _splits(data):
        assert torch.equal(torch.where(x[..., 0] > 0, 1, -1), y)
        assert (x[..., 0].abs() >= 0.1 - TOL).all() and (x[..., 0].abs() <= 1 + TOL).all()


def test_every_slab_coordinate_alone_predicts_the_label():
    data = _draw("lms", slabs=4)
    for x, y, cluster in _splits(data):
        for c in range(1, 5):
            slab = _slab_of(x[..., c])
            assert (slab >= 0).all(), "a value fell in a gap between slabs"
            pred = torch.where((slab == 1) | (slab == 3), 1, -1)  # positives in the inner slabs
            assert torch.equal(pred, y)
        assert torch.equal(cluster, _slab_of(x[..., 1]))  # cluster id = slab of coordinate 1


def test_xor_pair_alone_predicts_the_label():
    data = _draw("linxor")
    for x, y, cluster in _splits(data):
        assert torch.equal(torch.where(x[..., 1] * x[..., 2] > 0, 1, -1), y)
        for c in (1, 2):
            assert (x[..., c].abs() >= 0.1 - TOL).all() and (x[..., c].abs() <= 1 + TOL).all()
        quadrant = torch.where(x[..., 1] > 0, torch.where(x[..., 2] > 0, 0, 2),
                               torch.where(x[..., 2] > 0, 3, 1))
        assert torch.equal(cluster, quadrant)


def _within(count: int, n: int, p: float, z: float = 5.0) -> bool:
    return abs(count - n * p) <= z * math.sqrt(n * p * (1 - p))


def test_class_and_slab_frequencies():
    data = _draw("lms", n=20000, seeds=(3,), slabs=2)
    y, x = data.y_true[0], data.x[0]
    n = y.numel()
    assert _within(int((y > 0).sum()), n, 0.5)
    neg = x[y < 0, 2]
    slab = _slab_of(neg)
    assert _within(int((slab == 2).sum()), neg.numel(), 0.75)  # centre slab with prob 3/4
    assert _within(int((slab == 0).sum()), neg.numel(), 0.125)
    pos = _slab_of(x[y > 0, 1])
    assert _within(int((pos == 3).sum()), pos.numel(), 0.5)
    # no linear information in a slab coordinate: its class-conditional means are 0
    for cls in (1, -1):
        v = x[y == cls, 1]
        assert abs(float(v.mean())) < 5 * float(v.std()) / math.sqrt(v.numel())


@pytest.mark.parametrize("kind", ["lms", "linxor"])
def test_noise_coordinates_are_uniform_and_label_free(kind):
    data = _draw(kind, n=20000, seeds=(5,), d=8, slabs=3)
    first = 4 if kind == "lms" else 3
    x, y = data.x[0, :, first:], data.y_true[0].to(torch.float64)
    assert x.shape[1] == 8 - first  # d − 1 − |C| noise coordinates
    assert (x.abs() <= 1).all()
    n = x.shape[0]
    se = math.sqrt(1 / 3 / n)  # sd of U(−1, 1) is 1/√3
    assert (x.mean(0).abs() < 5 * se).all()
    assert ((x.var(0) - 1 / 3).abs() < 0.02).all()
    assert ((x * y.unsqueeze(1)).mean(0).abs() < 5 * se).all()  # uncorrelated with ỹ


@pytest.mark.parametrize("kind,complex_", [("lms", [1, 2, 3]), ("linxor", [1, 2])])
def test_masks_hold_the_coordinate_roles(kind, complex_):
    data = _draw(kind, n=10, d=7, slabs=3)
    assert data.direction_rows().shape == (2, 2, 7)
    expect = torch.zeros(2, 7, dtype=torch.float64)
    expect[0, 0] = 1
    expect[1, complex_] = 1
    for r in range(2):
        assert torch.equal(data.extras["simple_mask"][r], expect[0])
        assert torch.equal(data.extras["complex_mask"][r], expect[1])


def test_margin_moves_the_slabs():
    data = _draw("lms", n=3000, seeds=(0,), margin=0.2)  # s = 0.08: slabs centre |x| ≤ 0.04,
    x, y = data.x[0], data.y_true[0]  # positive [0.44, 0.52], outer [0.92, 1]
    a = x[:, 1].abs()
    assert ((a[y > 0] >= 0.44 - TOL) & (a[y > 0] <= 0.52 + TOL)).all()
    neg = a[y < 0]
    assert ((neg <= 0.04 + TOL) | (neg >= 0.92 - TOL)).all()
    assert (x[:, 0].abs() >= 0.2 - TOL).all()


def test_label_noise_on_top_and_inputs_shared_across_rates():
    clean = _draw("linxor", n=5000, seeds=(2,))
    noisy = _draw("linxor", n=5000, seeds=(2,), noise=0.3)
    rand = sample_dataset(DataConfig(kind="linxor", d=9, n=5000, n_test=2500, noise=1.0,
                                     noise_model="random"), [2], torch.float64)
    for d in (noisy, rand):  # same inputs and clean labels for a seed, whatever the noise
        assert torch.equal(d.x, clean.x) and torch.equal(d.y_true, clean.y_true)
        assert torch.equal(d.noisy, d.y != d.y_true)
    assert _within(int(noisy.noisy.sum()), 5000, 0.3)
    # random labels: the simple feature no longer predicts the training label
    agree = int((torch.where(rand.x[0, :, 0] > 0, 1, -1) == rand.y[0]).sum())
    assert _within(agree, 5000, 0.5)


BAD = [
    (dict(kind="lms", d=4, slabs=4), "d", ">= 5"),
    (dict(kind="linxor", d=2), "d", ">= 3"),  # the base d >= 2 passes, the XOR pair needs 3
    (dict(kind="lms", slabs=0), "slabs", ">= 1"),
    (dict(kind="lms", margin=0.25), "margin", "(0, 0.25)"),
    (dict(kind="linxor", margin=0.0), "margin", "(0, 0.25)"),
    (dict(kind="lms", margin=math.nan), "margin", "(0, 0.25)"),
    (dict(kind="lms", noise_model="confident"), "noise_model", "--data xor"),
    (dict(kind="linxor", rotate=True), "rotate", "--data xor"),
    (dict(kind="lms", num_classes=3), "num_classes", "2 classes"),
]


@pytest.mark.parametrize("kw,flag,words", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_settings_name_the_flag(kw, flag, words):
    with pytest.raises(ConfigError) as e:
        DataConfig(**kw)
    assert e.value.field == flag
    assert str(e.value).startswith("--" + flag.replace("_", "-") + " ")
    assert words in str(e.value)


def test_cli_flags_reach_the_config():
    import argparse

    from twolayer.commands.settings import add_setting_flags, config_from_args

    p = argparse.ArgumentParser()
    add_setting_flags(p)
    args = p.parse_args(["--data", "lms", "--d", "12", "--slabs", "6", "--margin", "0.05"])
    cfg, _ = config_from_args(args)
    assert (cfg.data.kind, cfg.data.d, cfg.data.slabs, cfg.data.margin) == ("lms", 12, 6, 0.05)
    assert Config(data=cfg.data).run_id != Config(data=DataConfig(kind="lms", d=12)).run_id
