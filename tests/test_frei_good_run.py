"""The good-run facts of Frei et al. (2023) (Lemmas 5 and 6, stored by the regime experiments)
against a plain loop over runs, neurons and points, and the measured good-run event."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.claims import frei2023 as F
from twolayer.engine import Runtime
from twolayer.experiments import frei2023 as E
from twolayer.simulate import setup

REG = E.Regime(ds=(60,), n=40, m=8, noise=0.1, sigma2_d=0.3, init_var_md=1e-6, lr=0.25,
               n_test=20, seeds=3)


def _loop(data, params):
    x = data.x.double().numpy()
    W = params.W.double().numpy()
    a = params.a[..., 0].double().numpy()
    mu = data.extras["class_means"].double().numpy()  # [R, 2, d]
    cl, noisy = data.cluster.numpy(), data.noisy.numpy()
    R, n, _ = x.shape
    m = W.shape[1]
    signed = [(0, 1.0), (0, -1.0), (1, 1.0), (1, -1.0)]  # cluster id -> (which mean, sign)
    edge = np.zeros((R, m))
    own_min = np.full(R, np.inf)
    other_max = np.zeros(R)
    dev_max = np.zeros(R)
    for r in range(R):
        for j in range(m):
            own_mu = 0 if a[r, j] > 0 else 1
            s = 1.0 if W[r, j] @ mu[r, own_mu] >= 0 else -1.0
            c = (0 if own_mu == 0 else 2) + (0 if s > 0 else 1)
            opp = c ^ 1
            on = [W[r, j] @ x[r, i] > 0 for i in range(n)]
            plus = sum(on[i] for i in range(n) if cl[r, i] == c and not noisy[r, i])
            minus = sum(on[i] for i in range(n) if cl[r, i] == opp and not noisy[r, i])
            edge[r, j] = (plus - minus) / n
        for i in range(n):
            k, sg = signed[cl[r, i]]
            centre = sg * mu[r, k]
            own_min[r] = min(own_min[r], x[r, i] @ centre)
            other_max[r] = max(other_max[r], abs(x[r, i] @ mu[r, 1 - k]))
            dev_max[r] = max(dev_max[r], float(((x[r, i] - centre) ** 2).sum()))
    return edge, own_min, other_max, dev_max


def test_good_run_facts_match_a_plain_loop():
    cfg, data, params = setup(REG.config(60))
    facts = E.good_run_facts(data, params)
    edge, own_min, other_max, dev_max = _loop(data, params)
    assert facts["static/lemma6_edge"] == pytest.approx(edge)
    assert facts["static/lemma5_own_min"] == pytest.approx(own_min, rel=1e-5)
    assert facts["static/lemma5_other_max"] == pytest.approx(other_max, rel=1e-5)
    assert facts["static/lemma5_dev_max"] == pytest.approx(dev_max, rel=1e-4)
    frac = np.stack([(data.cluster.numpy() == c).mean(-1) for c in range(4)], -1)
    assert facts["static/cluster_frac"] == pytest.approx(frac)
    # sigma^2 d = 0.3 is large: some neurons have no edge, and those runs are not good
    assert (edge <= 0).any()


def test_good_run_event_reads_each_premise():
    cfg = REG.config(60)
    rec = E.run_to_T(cfg, Runtime())
    rec.arrays["static/lemma6_edge"][:] = 0.1
    rec.arrays["static/lemma5_own_min"][:] = 0.9
    rec.arrays["static/lemma5_other_max"][:] = 0.1
    rec.arrays["static/lemma5_dev_max"][:] = 0.1
    rec.arrays["static/init_w_norm"][:] = np.sqrt(cfg.net.init_var * cfg.data.d)
    rec.arrays["static/cluster_frac"][:] = 0.25
    rec.arrays["static/noisy"][:] = False
    assert F.good_run(rec).all()
    for key, value in (("static/lemma6_edge", 0.0), ("static/lemma5_own_min", 0.4),
                       ("static/lemma5_other_max", 0.6), ("static/lemma5_dev_max", 0.6),
                       ("static/cluster_frac", 1.1)):  # |1.1 - 1/4| > 2 sqrt(log 20 / 40)
        saved = rec.arrays[key].copy()
        rec.arrays[key][0] = value  # run 0 breaks one premise
        assert F.good_run(rec).tolist() == [False, True, True], key
        rec.arrays[key][:] = saved
    rec.arrays["static/init_w_norm"][1, 0] *= 1.6  # Lemma 3's band
    assert F.good_run(rec).tolist() == [True, False, True]
