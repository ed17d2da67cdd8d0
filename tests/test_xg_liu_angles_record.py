"""``liu2023.intro.same_class_closer.*`` on a ``twolayer simulate`` record: the claim reads the
sample-wise gradient angles at initialisation from ``init/...`` (the liu2023 experiments) or,
where a record has none, from the angle probe ``liu_angles/...`` at probe time t = 0 (a simulate
record with ``--probes ...,liu_angles``). Until 2026-12-05 it read ``init/...`` only and was an
error ("unknown" in ``twolayer conditions --paper liu2023 --record DIR``) on every simulate
record. Checked here: the two arrays are the same quantity (the built-in experiment's ``init/``
against the simulate record's ``liu_angles/...[:, 0]`` on the same setting and seeds), the
claim's value, interval and verdict against scipy on the record's arrays, the built-in records
keep reading ``init/``, and a record whose angle probe has no t = 0 is inconclusive with the
reason (not an error)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from cli_helpers import run
from scipy import stats as sps

from twolayer.claims.base import CLAIMS, judge
from twolayer.engine import Runtime
from twolayer.experiments import liu2023 as E
from twolayer.record import Record
from twolayer.simulate import simulate
from twolayer.stats import ERROR, FAILS, HOLDS, INCONCLUSIVE

pytestmark = pytest.mark.usefixtures("single_thread")
RT = Runtime(device="cpu", progress=False)
PROBES = ("errors", "segments", "liu", "liu_angles")  # docs/papers/liu2023.md, conditions
QUANTITIES = ("mean_cos_logit_same_cc", "mean_cos_logit_diff_cc", "mean_cos_loss_same_cc",
              "mean_cos_loss_same_cn", "mean_cos_loss_diff_cc", "mean_cos_loss_diff_cn",
              "pairs_logit_same_cc", "pairs_logit_diff_cc")


class _One:
    """The record as the one experiment the claim reads (as ``twolayer conditions`` does)."""

    quick = False

    def __init__(self, name: str, rec: Record):
        self.name, self.rec = name, rec

    def get(self, name: str) -> Record:
        assert name == self.name
        return self.rec


def _config(setting: str):
    p = E.plan(True)
    if setting == "xor":
        cfg = E.xor_config(p, seeds=4).replace(data__d=10, data__n=60, data__n_test=40,
                                               net__m=8)
    else:
        cfg = E.k10_config(p, seeds=4).replace(data__d=10, data__n=80, data__n_test=40,
                                               net__m=8)
    return cfg.replace(train__steps=12, probe__num_times=4)


def _judge(setting: str, rec: Record):
    return judge(CLAIMS[f"liu2023.intro.same_class_closer.{setting}"],
                 _One(f"liu2023.{setting}", rec))


def _oracle(same: np.ndarray, diff: np.ndarray) -> tuple[float, tuple[float, float], str]:
    """Mean of same − diff over seeds, its 95% t-interval, and the one-sided t-test verdict
    of "mean > 0" at 95% (scipy)."""
    g = np.asarray(same, dtype=np.float64) - np.asarray(diff, dtype=np.float64)
    m, se = g.mean(), g.std(ddof=1) / math.sqrt(g.size)
    h = sps.t.ppf(0.975, g.size - 1) * se
    t = m / se
    verdict = (HOLDS if sps.t.sf(t, g.size - 1) < 0.05 else
               FAILS if sps.t.cdf(t, g.size - 1) < 0.05 else INCONCLUSIVE)
    return float(m), (float(m - h), float(m + h)), verdict


@pytest.fixture(scope="module", params=["xor", "k10"])
def pair(request) -> tuple[str, Record, Record]:
    """(setting, the built-in experiment's Record, a simulate Record of the same config and
    seeds with the documented probes)."""
    cfg = _config(request.param)
    built = E.run(cfg, RT)  # init/... (its probes: errors, segments, liu)
    sim = simulate(cfg.replace(probe__probes=PROBES), RT)
    return request.param, built, sim


def test_liu_angles_at_t0_is_the_experiments_init_quantity(pair):
    setting, built, sim = pair
    assert not any(k.startswith("init/") for k in sim.arrays)
    assert not any(k.startswith("liu_angles/") for k in built.arrays)
    assert sim.times[0] == 0 and sim.config["seeds"] == built.config["seeds"]
    for q in QUANTITIES:
        np.testing.assert_allclose(sim.arrays[f"liu_angles/{q}"][:, 0],
                                   np.asarray(built.arrays[f"init/{q}"]).reshape(-1),
                                   rtol=1e-5, atol=1e-7, err_msg=q)
    # and not the same probe at a trained time (the t = 0 column is the one read)
    assert not np.allclose(sim.arrays["liu_angles/mean_cos_logit_same_cc"][:, -1],
                           sim.arrays["liu_angles/mean_cos_logit_same_cc"][:, 0], rtol=1e-4)


def test_the_claim_on_a_simulate_record_matches_scipy_and_the_builtin(pair):
    setting, built, sim = pair
    v = _judge(setting, sim)
    assert v.verdict != ERROR, v.detail
    a = sim.arrays
    m, ci, verdict = _oracle(a["liu_angles/mean_cos_logit_same_cc"][:, 0],
                             a["liu_angles/mean_cos_logit_diff_cc"][:, 0])
    assert v.verdict == verdict
    assert v.measured == pytest.approx(m, rel=1e-6, abs=1e-9)
    assert v.ci == pytest.approx(ci, rel=1e-6, abs=1e-9)
    assert v.seeds == sim.seeds
    assert v.in_regime is False and "width m = 8" in v.regime  # a finite-width proxy: outside
    assert "liu_angles/... at probe time t = 0" in v.detail
    # the built-in experiment's claim (init/...) on the same setting and seeds
    b = _judge(setting, built)
    assert b.verdict == v.verdict
    assert b.measured == pytest.approx(v.measured, rel=1e-4, abs=1e-6)
    assert "liu_angles" not in b.detail  # the built-in detail is unchanged


def test_builtin_records_keep_reading_init(pair):
    """A record with both: ``init/`` is read (the built-in claim table cannot change), even
    where ``liu_angles/`` says otherwise."""
    setting, built, sim = pair
    arrays = dict(built.arrays)
    for q in QUANTITIES:  # the angle probe over time, doctored: same-class far below
        col = np.asarray(sim.arrays[f"liu_angles/{q}"], dtype=np.float64).copy()
        if q == "mean_cos_logit_same_cc":
            col[:] = -0.5
        arrays[f"liu_angles/{q}"] = col
    both = dataclasses.replace(built, arrays=arrays, times=sim.times)
    v = _judge(setting, both)
    m, ci, verdict = _oracle(built.arrays["init/mean_cos_logit_same_cc"],
                             built.arrays["init/mean_cos_logit_diff_cc"])
    assert (v.verdict, v.measured) == (verdict, pytest.approx(m, rel=1e-6, abs=1e-9))
    assert v.measured > 0 and _judge(setting, dataclasses.replace(
        both, arrays={k: x for k, x in arrays.items() if not k.startswith("init/")}
    )).verdict == FAILS  # (the doctored probe alone: same-class farther)


def test_no_probe_value_at_t0_is_inconclusive_with_the_reason(pair):
    setting, _, sim = pair
    late = dataclasses.replace(sim, times=sim.times[1:], arrays={
        k: x[:, 1:] for k, x in sim.arrays.items() if k.startswith("liu_angles/")})
    v = _judge(setting, late)
    assert v.verdict == INCONCLUSIVE and v.measured is None
    assert "first probe time is t = 1, not 0" in v.detail
    assert v.in_regime is False  # the regime as computed (finite width)


def test_a_record_without_the_angle_probe_names_the_probe_to_add(pair):
    setting, _, sim = pair
    bare = dataclasses.replace(sim, arrays={k: x for k, x in sim.arrays.items()
                                            if not k.startswith("liu_angles/")})
    v = _judge(setting, bare)
    assert v.verdict == ERROR and "liu_angles/mean_cos_logit_same_cc" in v.detail


@pytest.mark.parametrize("data", [("--data", "xor"),
                                  ("--data", "clusters", "--num-classes", "10", "--objective",
                                   "softmax", "--second-layer", "gaussian",
                                   "--train-second-layer")])
def test_conditions_cli_evaluates_the_claim_on_a_simulate_record(data, tmp_path, capsys):
    from twolayer.cli import main

    out = tmp_path / "rec"
    assert main(["simulate", *data, "--d", "10", "--n", "100", "--n-test", "60", "--m", "8",
                 "--noise", "0.3", "--steps", "10", "--num-times", "4", "--seeds", "3",
                 "--quiet", "--probes", ",".join(PROBES), "--out", str(out)]) == 0
    capsys.readouterr()
    code, text, err = run(["conditions", "--paper", "liu2023", "--record", str(out), "--json"],
                          capsys)
    assert code == 0, err
    doc = json.loads(text.strip().splitlines()[-1])
    (c,) = [c for c in doc["claims"] if ".intro.same_class_closer." in c["claim"]]
    assert c["inside"] is False, c  # computed (a finite-width proxy), not unknown
    assert "width m = 8" in c["regime"]
    assert all(x["inside"] is not None for x in doc["claims"]), doc["claims"]
    # no claim of the setting is left unknown on a record with the documented probes
    assert "cannot be evaluated" not in doc["summary"]
    # the regime line gives the same value as the claim judged on the record
    (rec_dir,) = [p for p in out.iterdir() if p.is_dir()]
    rec = Record.load(rec_dir)
    suffix = c["claim"].rsplit(".", 1)[1]
    v = _judge(suffix, rec)
    m, _, verdict = _oracle(rec.arrays["liu_angles/mean_cos_logit_same_cc"][:, 0],
                            rec.arrays["liu_angles/mean_cos_logit_diff_cc"][:, 0])
    assert (v.verdict, v.measured) == (verdict, pytest.approx(m, rel=1e-6))
