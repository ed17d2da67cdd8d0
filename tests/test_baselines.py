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


@pytest.mark.parametrize("bias", [True, False])
def test_newton_reaches_the_ridge_logistic_minimiser(bias):
    """Newton's method minimises J(v) = mean softplus(−y⟨v, x̃⟩) + λ‖v‖²/2 of each run: autograd
    finds ∇J = 0 at its solution, and L-BFGS on autograd (an independent solver, one run at a
    time) reaches the same v."""
    from twolayer.baselines import RIDGE, _newton_logistic

    data = sample_dataset(DataConfig(d=6, n=300, n_test=500, noise=0.1), [0, 1], torch.float64)
    x = data.x
    if bias:
        x = torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)
    newton = _newton_logistic(x, data.y)[..., 0]

    def J(v, r):
        z = data.y[r].double() * (x[r] @ v)
        return torch.nn.functional.softplus(-z).mean() + 0.5 * RIDGE * v.square().sum()

    for r in range(2):
        v = newton[r].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(J(v, r), v)
        assert grad.abs().max() < 1e-12
        w = torch.zeros_like(v, requires_grad=True)
        opt = torch.optim.LBFGS([w], max_iter=500, tolerance_grad=1e-13, tolerance_change=0,
                                line_search_fn="strong_wolfe")

        def closure(opt=opt, w=w, r=r):
            opt.zero_grad()
            loss = J(w, r)
            loss.backward()
            return loss

        opt.step(closure)
        torch.testing.assert_close(w.detach(), newton[r], rtol=1e-6, atol=1e-6)
    assert fit_linear(data, "logistic", bias)[0].tolist() == fit_linear(
        data, "logistic", bias, method="newton")[0].tolist()  # the default for this size
