"""Pre-train → fine-tune helpers and the Maennel claim statistics.

split: disjoint samples with the chosen labels; rescaling: ‖W‖_F back to the reference norm with
every ReLU pattern unchanged; covariance init: rows ~ N(0, Σ_w) (Monte Carlo, Wishart tolerance)
at the reference norm; fresh head: one draw per seed shared by the variants. Claim statistics:
the jackknife SE of a mean is s/√R; η² is 1 for seed-independent curves and 0 for
direction-independent ones; loss-AUC and steps-to-target against hand-made records; a tiny
end-to-end ``check`` of every claim returns a verdict per claim.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from twolayer import transfer
from twolayer.config import DataConfig
from twolayer.data import sample_dataset
from twolayer.experiments import Runs
from twolayer.experiments import maennel2020 as mx
from twolayer.net import Params, preactivation
from twolayer.record import Record
from twolayer.stats import jackknife

pytestmark = pytest.mark.usefixtures("single_thread")


def _data(n: int = 30):
    cfg = DataConfig(kind="gaussian", d=5, n=n, n_test=7, noise=1.0, noise_model="random",
                     num_classes=3, rotate=True)
    return sample_dataset(cfg, [0, 1])


def test_split_is_disjoint_with_the_chosen_labels():
    data = _data()
    up, down = transfer.split(data, 20, ("train", "true"))
    assert up.x.shape[1] == 20 and down.x.shape[1] == 10
    assert torch.equal(torch.cat([up.x, down.x], 1), data.x)
    assert torch.equal(up.y, data.y[:, :20]) and torch.equal(up.noisy, data.noisy[:, :20])
    assert torch.equal(down.y, data.y_true[:, 20:]) and not down.noisy.any()
    assert torch.equal(down.x_test, data.x_test)
    with pytest.raises(ValueError):
        transfer.split(data, 30)


def _params(R=3, m=6, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Params(torch.randn(R, m, d, generator=g), torch.randn(R, m, 3, generator=g),
                  torch.randn(R, m, generator=g), train_a=True)


def test_rescale_restores_the_norm_and_keeps_relu_patterns():
    p = _params()
    ref = torch.tensor([1.0, 2.5, 0.3])
    q = transfer.rescale_first_layer(p, ref)
    assert torch.allclose(transfer.frobenius(q.W), ref, rtol=1e-6)
    x = torch.randn(3, 40, 5, generator=torch.Generator().manual_seed(2))  # not the global stream
    assert torch.equal(preactivation(p, x) > 0, preactivation(q, x) > 0)
    ratio = q.b / p.b
    assert torch.allclose(ratio, (ref / transfer.frobenius(p.W)).unsqueeze(1).expand(3, 6),
                          rtol=1e-5)


def test_covariance_init_draws_rows_from_sigma_at_the_reference_norm():
    d, m = 4, 20_000
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(1),
                                       dtype=torch.float64))
    cov = q @ torch.diag(torch.tensor([0.1, 0.5, 1.0, 3.0], dtype=torch.float64)) @ q.T
    frame = torch.stack([torch.eye(d, dtype=torch.float64), q.T])  # two runs' frames
    ref = torch.tensor([10.0, 20.0])
    W = transfer.covariance_init(cov, frame, m, [3, 4], ref, torch.float64)
    assert torch.allclose(transfer.frobenius(W), ref.double(), rtol=1e-12)
    for r in range(2):
        wt = W[r] @ frame[r].T  # back into the frame where the rows are ~ N(0, c² Σ)
        c2 = (ref[r] ** 2 / (m * torch.trace(cov))).item()
        emp = wt.T @ wt / m
        target = c2 * cov
        sd = torch.sqrt((torch.outer(target.diagonal(), target.diagonal()) + target**2) / m)
        assert ((emp - target).abs() <= 5 * sd + 1e-3 * c2).all()


def test_fresh_head_is_shared_by_variants_and_seeded():
    p = _params()
    a1 = transfer.fresh_head(p, [5, 6, 7]).a
    a2 = transfer.fresh_head(_params(seed=9), [5, 6, 7]).a
    assert torch.equal(a1, a2) and not torch.equal(a1, p.a)
    big = transfer.fresh_head(
        Params(torch.zeros(1, 4000, 2), torch.zeros(1, 4000, 3), None), [0]).a
    assert big.var().item() == pytest.approx(1 / 4000, rel=0.05)


def test_stack_and_repeat_are_variant_major():
    p, q = _params(seed=0), _params(seed=1)
    s = transfer.stack([p, q])
    assert torch.equal(s.W[:3], p.W) and torch.equal(s.W[3:], q.W)
    data = _data()
    rep = transfer.repeat(data, 2)
    assert torch.equal(rep.x[2:], data.x) and rep.runs == 4


# ---------------------------------------------------------------------------------------------
# Claim statistics
# ---------------------------------------------------------------------------------------------


def test_jackknife_of_a_mean_is_the_standard_error():
    v = np.array([1.0, 4.0, 2.5, 3.0, 0.5])
    est, ci, se = jackknife(lambda runs: float(v[runs].mean()), v.size)
    assert est == pytest.approx(v.mean())
    assert se == pytest.approx(v.std(ddof=1) / math.sqrt(v.size), rel=1e-12)
    from scipy import stats

    half = stats.t.ppf(0.975, v.size - 1) * se
    assert ci == pytest.approx((v.mean() - half, v.mean() + half))


def test_explained_share():
    curve = np.linspace(0.1, 1.0, 7)
    assert mx.explained_share(np.tile(curve, (4, 1))) == pytest.approx(1.0)
    per_seed = np.array([[1.0], [2.0], [3.0]]) * np.ones((3, 7))
    assert mx.explained_share(per_seed) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    noisy = curve + 0.05 * rng.standard_normal((5, 7))
    assert 0.8 < mx.explained_share(noisy) < 1.0


def _fine_tune_record() -> Record:
    times = np.array([0, 5, 10, 15, 20])
    loss = np.array([
        [[2.0, 1.0, 0.8, 0.6, 0.5], [2.0, 1.2, 0.9, 0.7, 0.6]],  # scratch, two seeds
        [[2.0, 0.8, 0.6, 0.5, 0.4], [2.0, 1.0, 0.7, 0.6, 0.5]],  # rescaled
    ])
    err = np.array([
        [[0.9, 0.5, 0.2, 0.05, 0.0], [0.9, 0.6, 0.3, 0.2, 0.15]],
        [[0.9, 0.3, 0.1, 0.0, 0.0], [0.9, 0.4, 0.2, 0.1, 0.05]],
    ])
    rec = Record({"seeds": 2}, "x", times,
                 {"errors/loss": loss.reshape(4, 5), "errors/train_error": err.reshape(4, 5)})
    rec.meta.update(variants=["scratch", "rescaled"], runs_per_variant=2, steps_per_epoch=10)
    return rec


def test_loss_auc_and_steps_to_target():
    rec = _fine_tune_record()
    auc = mx.loss_auc(rec, 1)  # times 0, 5, 10
    assert np.allclose(auc, [[(2 + 1 + 0.8) / 3, (2 + 1.2 + 0.9) / 3],
                             [(2 + 0.8 + 0.6) / 3, (2 + 1.0 + 0.7) / 3]])
    steps = mx.steps_to(rec, 0.9)  # accuracy ≥ 0.9 ⇔ error ≤ 0.1
    assert np.array_equal(steps, [[15, np.inf], [10, 15]])
    e = mx.effect(auc, 1)
    diff = auc[0] - auc[1]
    assert e.mean == pytest.approx(diff.mean()) and e.se == pytest.approx(diff.std(ddof=1) / 2**0.5)


def test_tiny_end_to_end_check(monkeypatch, tmp_path):
    """Every claim of the paper returns a verdict in a tiny setting (smoke test of the wiring:
    upstream runs, pooled statistics, the four fine-tuning variants in one call)."""
    from twolayer.claims import run_checks
    from twolayer.engine import Runtime

    def tiny(u: mx.Upstream) -> mx.Upstream:
        extra = 40 if u.extra else 0
        return dataclasses.replace(u, n=80, m=12, epochs=3 if u.batch else 10, seeds=3,
                                   extra=extra, n_test=20, num_times=4,
                                   batch=20 if u.batch else None)

    q = mx.PLANS["quick"]
    small = dataclasses.replace(
        q, **{f.name: tiny(getattr(q, f.name)) for f in dataclasses.fields(q)
              if isinstance(getattr(q, f.name), mx.Upstream)},
        down=mx.Downstream(epochs=2, lr=0.1, batch=20, auc_epochs=1),
    )
    monkeypatch.setitem(mx.PLANS, "quick", small)
    runtime = Runtime(device="cpu", progress=False)
    runs = Runs(quick=True, runtime=runtime)  # shared by the checks and the figures
    verdicts = run_checks(["maennel2020"], runs=runs)
    ids = {v.id for v in verdicts}
    assert len(ids) == len(verdicts) and all(i.startswith("maennel2020.") for i in ids)
    assert {v.verdict for v in verdicts} <= {"holds", "fails", "inconclusive"}
    later = next(v for v in verdicts if v.id == "maennel2020.b4.later_layers")
    assert later.verdict == "inconclusive" and not later.in_regime and later.measured is None
    for v in verdicts:
        if v.regime.startswith("premises unmet"):  # e.g. 3 epochs did not fit the labels
            assert v.verdict == "inconclusive" and v.measured is None and not v.in_regime, v.id
        elif v.id != "maennel2020.b4.later_layers":
            assert v.measured is not None and math.isfinite(v.measured), v.id
            # seeds = the values that entered the interval: a jackknife over 3 runs of 12
            # neurons in d = 30 leaves singular pooled covariances (no interval) -> inconclusive
            decided = v.ci is not None and all(math.isfinite(x) for x in v.ci)
            assert v.seeds == 3 if decided else v.verdict == "inconclusive", v.id
    # the three figures from the same tiny runs: complete, non-blank PNGs
    from matplotlib.image import imread

    from twolayer.plots import FIGURES

    for name in ("maennel2020-misalignment", "maennel2020-transfer-function",
                 "maennel2020-transfer"):
        (path,) = FIGURES[name].draw(tmp_path, runs)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 500_000
        assert float(np.std(imread(path)[..., :3])) > 0.02
    assert runs.trained == sorted(set(runs.trained), key=runs.trained.index)  # each once


def test_figures_are_registered_with_existing_claims():
    from twolayer.claims import CLAIMS
    from twolayer.plots import FIGURES

    names = [n for n in FIGURES if n.startswith("maennel2020-")]
    assert sorted(names) == ["maennel2020-misalignment", "maennel2020-transfer",
                             "maennel2020-transfer-function"]
    for n in names:
        spec = FIGURES[n]
        assert spec.paper == "maennel2020" and spec.differences and spec.claims
        assert all(c in CLAIMS for c in spec.claims), n
