"""The optional Adam stepper (twolayer.training.adam): the same numbers as torch.optim.Adam on
autograd gradients of the same minibatches, and the default GD/SGD path untouched by the hook."""

from __future__ import annotations

import pytest
import torch

from twolayer import net
from twolayer.config import DataConfig, NetConfig, TrainConfig
from twolayer.data import badger
from twolayer.engine import Runtime, train
from twolayer.objectives import Memorise
from twolayer.training import AdamStepper, adam
from twolayer.training.gd import GDStepper, minibatches

RT = Runtime(device="cpu", progress=False, threads=1)


def problem(n=24, k=4, d=6, m=10, seeds=(0, 1)):
    cfg = DataConfig(kind="badger", num_classes=k, d=d, n=n, n_ascended=n, n_test=n)
    data = badger.sample(cfg, list(seeds), [1.0, 0.25], torch.float64)
    p = net.init_params(NetConfig(m=m, second_layer="gaussian", train_second_layer=True,
                                  outputs=k, bias=True), d, list(seeds), 1.0 / d, torch.float64)
    g = torch.Generator().manual_seed(3)
    p = p.__class__(W=p.W, a=p.a, b=0.3 * torch.randn(p.b.shape, generator=g,
                                                       dtype=torch.float64), train_a=True)
    return data, p


def ce(W, a, b, x, y):
    """Mean softmax cross-entropy of one run (autograd oracle)."""
    z = torch.relu(x @ W.T + b) @ a
    return torch.nn.functional.cross_entropy(z, y)


def oracle(p, batches, steps, lr, betas, eps):
    """torch.optim.Adam per run on autograd gradients of the given minibatches."""
    out = []
    for r in range(p.W.shape[0]):
        W = p.W[r].clone().requires_grad_()
        a = p.a[r].clone().requires_grad_()
        b = p.b[r].clone().requires_grad_()
        opt = torch.optim.Adam([W, a, b], lr=lr, betas=betas, eps=eps)
        for t in range(steps):
            x, y = batches[t][0][r], batches[t][1][r]
            opt.zero_grad()
            ce(W, a, b, x, y).backward()
            opt.step()
        out.append((W.detach(), a.detach(), b.detach()))
    return out


@pytest.mark.parametrize("batch", [None, 8])
def test_adam_matches_torch_optim_adam(batch):
    data, p = problem()
    steps, lr, betas, eps = 7, 0.05, (0.8, 0.99), 1e-6
    cfg = TrainConfig(lr=lr, steps=steps, objective="softmax", batch_size=batch)
    res = train(p, data, cfg, [0, 3, steps], (), RT, seeds=[0, 1],
                stepper=adam(betas, eps))
    if batch is None:
        batches = [(data.x, data.y)] * steps
    else:  # the stream the stepper draws (permutations per run, seeded by the run's seed)
        it = minibatches(data, batch, [0, 1])
        batches = [next(it)[:2] for _ in range(steps)]
    ref = oracle(p, batches, steps, lr, betas, eps)
    for r in range(2):
        assert torch.allclose(res.params.W[r], ref[r][0], atol=1e-10, rtol=1e-9)
        assert torch.allclose(res.params.a[r], ref[r][1], atol=1e-10, rtol=1e-9)
        assert torch.allclose(res.params.b[r], ref[r][2], atol=1e-10, rtol=1e-9)
    # and it is not plain SGD: the same call without the stepper lands elsewhere
    sgd = train(p, data, cfg, [0, steps], (), RT, seeds=[0, 1])
    assert not torch.allclose(sgd.params.W, res.params.W)


def test_adam_first_step_moves_each_weight_by_lr():
    """Adam's first step is α·g/(|g| + ε): every weight with a non-zero gradient moves by ≈ α."""
    data, p = problem()
    cfg = TrainConfig(lr=1e-3, steps=1, objective="softmax")
    res = train(p, data, cfg, [0, 1], (), RT, seeds=[0, 1], stepper=adam())
    step = (res.params.W - p.W).abs()
    moved = step[step > 1e-12]
    assert moved.numel() > 0.5 * step.numel()
    assert torch.allclose(moved, torch.full_like(moved, 1e-3), rtol=1e-3)


def test_adam_with_the_memorise_objective_runs_and_gates():
    data, p = problem()
    mem = Memorise(data.extras["ascended"], 4, "chance")
    cfg = TrainConfig(lr=0.01, steps=9, objective="softmax", batch_size=6)
    res = train(p, data, cfg, [0, 9], ("badger",), RT, seeds=[0, 1], weights=mem,
                stepper=adam())
    assert torch.isfinite(res.params.W).all() and len(mem.gates) == 9


class DescendStepper(GDStepper):
    """GDStepper with the update spelled out again (θ ← θ − α g through the workspace)."""

    def update(self, p) -> None:  # type: ignore[no-untyped-def]
        self.ws.descend(p, self.cfg.lr)


@pytest.mark.parametrize("batch,objective", [(None, "softmax"), (8, "softmax"),
                                             (6, "memorise")])
def test_default_path_is_bit_identical(batch, objective):
    """The stepper hook changes nothing by default: train() without a stepper, with GDStepper
    and with a subclass that re-implements the update give the same bits."""
    data, p = problem()
    cfg = TrainConfig(lr=0.1, steps=11, objective="softmax", batch_size=batch)

    def run(**kw):
        w = Memorise(data.extras["ascended"], 4, "chance") if objective == "memorise" else None
        return train(p, data, cfg, [0, 5, 11], ("badger",), RT, seeds=[0, 1], weights=w, **kw)

    base = run()
    for other in (run(stepper=GDStepper), run(stepper=DescendStepper)):
        for k in ("W", "a", "b"):
            assert torch.equal(getattr(base.params, k), getattr(other.params, k))
        for key, v in base.arrays.items():
            assert torch.equal(torch.as_tensor(v), torch.as_tensor(other.arrays[key])), key


def test_adam_refuses_the_flow_and_bad_betas():
    from twolayer.errors import ConfigError

    data, p = problem()
    with pytest.raises(ConfigError):
        train(p, data, TrainConfig(lr=0.1, steps=2, objective="softmax", integrator="flow"),
              [0, 2], (), RT, stepper=adam())
    with pytest.raises(ConfigError):
        train(p, data, TrainConfig(lr=0.1, steps=2, objective="softmax"), [0, 2], (), RT,
              stepper=adam(betas=(1.0, 0.9)))
    assert issubclass(AdamStepper, GDStepper)


# ---- the Badger experiments' probes and optimiser option ------------------------------------


def test_scale_probe_matches_autograd_and_is_scale_free():
    """badger_scale: E‖∂z_c/∂x‖_F and (E‖z_c‖²)^{1/2} on T against autograd Jacobians of the
    centred logits; their ratio S unchanged when the logits are rescaled (a → 3a, (W, b) → 2(W, b))
    while the raw Jacobian norm scales."""
    from twolayer.engine import measure
    from twolayer.experiments import badger2022 as xb

    data, p = problem(k=4)
    got = measure(p, data, ("badger_scale", "badger"), RT, objective="softmax")
    tr = ~data.extras["ascended"]
    C = torch.eye(4, dtype=torch.float64) - 1.0 / 4
    for r in range(2):
        xs = data.x[r][tr[r]]
        jn, z2 = [], []
        for x in xs:
            def f(v, r=r):
                return C @ (torch.relu(p.W[r] @ v + p.b[r]) @ p.a[r])
            jn.append(torch.autograd.functional.jacobian(f, x).norm())
            z2.append(f(x).pow(2).sum())
        # measure() hands back float32 numbers
        assert abs(got["badger_scale/jacc_train"][r] / torch.stack(jn).mean() - 1) < 1e-6
        assert abs(got["badger_scale/zrms_train"][r] / torch.stack(z2).mean().sqrt() - 1) < 1e-6
    big = p.__class__(W=2 * p.W, a=3 * p.a, b=2 * p.b, train_a=True)
    got2 = measure(big, data, ("badger_scale", "badger"), RT, objective="softmax")
    s1 = got["badger_scale/jacc_train"] / got["badger_scale/zrms_train"]
    s2 = got2["badger_scale/jacc_train"] / got2["badger_scale/zrms_train"]
    assert torch.allclose(torch.as_tensor(s1), torch.as_tensor(s2), rtol=1e-6)
    raw = torch.as_tensor(got2["badger/jac_train"] / got["badger/jac_train"])
    assert torch.allclose(raw, torch.full_like(raw, 6.0), rtol=1e-6)
    assert xb.PROBES == ("badger", "badger_scale")


def test_accuracy_probe_is_the_badger_probes_accuracies():
    from twolayer.engine import measure

    cfg = DataConfig(kind="badger", num_classes=4, d=6, n=30, n_ascended=0, n_test=20)
    data = badger.sample(cfg, [0, 1], [1.0, 0.0], torch.float64)
    _, p = problem()
    got = measure(p, data, ("badger_acc", "badger"), RT, objective="softmax")
    for k in ("acc_train", "acc_holdout", "loss_train", "loss_holdout"):
        assert torch.allclose(torch.as_tensor(got[f"badger_acc/{k}"]),
                              torch.as_tensor(got[f"badger/{k}"]), atol=1e-6), k


def test_plan_optimizer_option():
    from twolayer.errors import ConfigError
    from twolayer.experiments import badger2022 as xb

    assert xb.stepper_of("sgd") is None
    assert xb.stepper_of("adam").func is AdamStepper
    with pytest.raises(ConfigError):
        xb.stepper_of("rmsprop")
    q = xb.PLANS["quick"]
    assert (q.optimizer, q.switch_optimizer, q.size_optimizer) == ("sgd", "adam", "adam")
    assert q.switch_lr == 1e-4 and len(q.widths) >= 2 and len(xb.PLANS["full"].widths) >= 3
