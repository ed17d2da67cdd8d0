"""The linear baseline: the dual (Gram) iteration equals the primal one; chance on XOR."""

import pytest
import torch

from twolayer.baselines import fit_linear
from twolayer.config import DataConfig
from twolayer.data import sample_dataset


@pytest.mark.parametrize(
    "cfg, objective",
    [
        (DataConfig(d=80, n=40, n_test=300, noise=0.1), "logistic"),
        (DataConfig(kind="clusters", num_classes=4, d=60, n=30, n_test=300, sigma2=0.5), "softmax"),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_dual_iteration_equals_primal(cfg, objective, bias):
    data = sample_dataset(cfg, [3, 4], torch.float64)
    primal = fit_linear(data, objective, bias, steps=200, form="primal")
    dual = fit_linear(data, objective, bias, steps=200, form="dual")
    for p, q in zip(primal, dual):
        assert torch.equal(p, q)


def test_linear_baseline_is_at_chance_on_xor_clean_labels():
    data = sample_dataset(DataConfig(d=20, n=2000, n_test=4000, noise=0.0), [0, 1, 2])
    err, err_clean = fit_linear(data, "logistic", bias=False)
    # a homogeneous linear classifier has clean error exactly 1/2 by the x -> -x symmetry;
    # 4000 test points give a sampling s.d. of about 0.008 per run
    assert torch.all((err_clean - 0.5).abs() < 0.04)
