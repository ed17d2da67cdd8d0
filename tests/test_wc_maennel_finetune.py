"""The fine-tuning Records of ``maennel2020.transfer`` state the data they were fine-tuned on,
not the upstream (pre-training) data.

Oracle: the upstream dataset regenerated from the upstream Record's own config (``setup``), its
held-out slice [n, n + extra) of every run cut by hand, and the fine-tuning labels read off it
(clean labels for the teacher and XOR tasks, the upstream's training labels for new random
labels). The fine-tuning Record must state that slice's size and label kind (``config["data"]``)
and its provenance (meta), store that slice's noisy mask, and its first recorded training error
of the scratch variant must be the error of the scratch network (the upstream initialisation
with the fresh head, forward pass by hand in numpy) against the stated labels.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twolayer import transfer
from twolayer.config import Config
from twolayer.engine import Runtime
from twolayer.experiments import maennel2020 as mx
from twolayer.simulate import setup

pytestmark = pytest.mark.usefixtures("single_thread")

RUNTIME = Runtime(device="cpu", progress=False)
DOWN = mx.Downstream(epochs=1, lr=0.1, batch=10, auc_epochs=1)


def _tiny(u: mx.Upstream) -> mx.Upstream:
    return dataclasses.replace(u, d=6, n=40, extra=20, m=8, epochs=1, batch=20, seeds=2,
                               n_test=10, num_times=3)


@pytest.fixture(scope="module")
def upstreams() -> dict[str, mx.Trained]:
    q = mx.PLANS["quick"]
    return {name: mx.run_upstream(_tiny(getattr(q, name)), RUNTIME)
            for name in ("spread_random", "xor_random")}


def _scratch_errors(up: mx.Trained, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[R]: training error of the scratch variant (W(0), b = 0, the fresh head) on (x, y)."""
    seeds = Config.from_dict(up.record.config).run_seeds
    p = transfer.fresh_head(up.init, seeds)
    W, a = p.W.double().numpy(), p.a.double().numpy()
    b = np.zeros(W.shape[:2]) if p.b is None else p.b.double().numpy()
    out = np.einsum("rnm,rmk->rnk", np.maximum(np.einsum("rnd,rmd->rnm", x, W) + b[:, None], 0),
                    a)
    if out.shape[-1] == 1:
        return ((out[..., 0] > 0) != (y > 0)).mean(-1)
    return (out.argmax(-1) != y).mean(-1)


@pytest.mark.parametrize("task", mx.TASKS)
def test_fine_tuning_record_states_its_own_data(upstreams, task):
    up = upstreams[mx.UPSTREAM_OF[task]]
    rec = mx.fine_tune(up, task, DOWN, RUNTIME)
    upc = up.record.config["data"]
    # independent reconstruction: the upstream draw from the upstream Record's config
    _, data, _ = setup(Config.from_dict(up.record.config))
    n_up = int(up.record.meta["trained_on"])
    x = data.x[:, n_up:].double().numpy()
    y_true = data.y_true[:, n_up:].numpy()
    y = data.y[:, n_up:].numpy() if task == "random" else y_true
    R, held = x.shape[0], x.shape[1]
    assert held == 20 and upc["n"] == n_up + held  # the upstream config states the whole draw

    dc = rec.config["data"]
    assert dc["n"] == held  # was the upstream's n + extra (60)
    if task == "random":
        assert (dc["noise"], dc["noise_model"]) == (upc["noise"], upc["noise_model"]) == (1.0,
                                                                                          "random")
        assert rec.meta["labels"] == "random"
    else:
        assert (dc["noise"], dc["noise_model"]) == (0.0, "iid")  # was noise 1, "random"
        assert rec.meta["labels"] == "clean"
    same = {k: v for k, v in upc.items() if k not in ("n", "noise", "noise_model")}
    assert {k: dc[k] for k in same} == same  # kind, d, spectrum, n_test: the upstream's
    assert rec.meta["samples"] == [n_up, n_up + held]
    assert f"[{n_up}, {n_up + held})" in rec.meta["data_from"]
    assert up.record.run_id in rec.meta["data_from"]
    assert rec.meta["upstream_run_id"] == up.record.run_id
    assert rec.run_id == Config.from_dict(rec.config).run_id  # store verify: id = hash(config)

    # what was trained on: the slice's noisy mask, once per variant
    V = len(mx.VARIANTS)
    noisy = np.asarray(rec.arrays["static/noisy"])
    assert noisy.shape == (V * R, held)
    assert np.array_equal(noisy, np.tile(y != y_true, (V, 1)))
    assert (noisy.mean() > 0) == (task == "random")  # random labels differ from the clean ones
    # and the stated labels are the ones the recorded training error counts
    err0 = np.asarray(rec.arrays["errors/train_error"])[:R, 0]
    assert np.allclose(err0, _scratch_errors(up, x, y), atol=1e-6)


def test_teacher_and_random_fine_tuning_records_have_distinct_run_ids(upstreams):
    """Both fine-tune the same upstream run; their configs stated the same data, so the two
    different Records had one run id (``Record.save`` writes ``<out>/<run_id>/``)."""
    up = upstreams["spread_random"]
    a, b = (mx.fine_tune(up, t, DOWN, RUNTIME) for t in ("teacher", "random"))
    assert a.run_id != b.run_id
