"""frei2023's test-set claims on a record whose test set is too small to establish their bound
(docs/verdict_audit.md, section 20).

``theorem1.matches_fstar`` is a run event: a run violates when its test agreement with f* is
below 0.99. Read on a test set of N points, a run that misses the bound shows agreement 1 with
probability agreement^N, so on one test point a run at agreement 0.75 passes three times in four.
A real record of 60 inside-regime runs, 15 of which agree with f* on only about 75% of 2000 test
points, was judged *holds* at ``--n-test 1`` (3 of 60 runs seen to violate, exact interval below
4δ) while the same trained networks on 2000 test points are inconclusive (15 of 60). A test set
of fewer than log(0.05)/log(0.99) = 299 points cannot establish agreement ≥ 0.99 in any run, nor
fewer than log(0.05)/log(1 − b) points an error bound b: such a record now cannot hold.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from record_check_helpers import check_json, doctored, simulated
from scipy import stats as sps

from twolayer.claims import frei2023 as F
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
FSTAR, ERROR = "frei2023.theorem1.matches_fstar", "frei2023.theorem1.test_error"
# inside A1-A7 (d = 400: 4 <= C <= 6.68), at a noise rate where about a quarter of the runs
# end with a cluster misclassified (agreement ~0.75)
SETTING = ["--data", "xor", "--d", "400", "--n", "100", "--noise", "0.15", "--sigma2", "6e-7",
           "--m", "20", "--init-var", "1e-12", "--lr", "0.25", "--steps", "2", "--probes",
           "frei_neurons,frei_samples,frei_test", "--seeds", "60", "--quiet"]


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("frei-test-set")
    return {nt: simulated(root / str(nt), [*SETTING, "--n-test", str(nt)]) for nt in (1, 2000)}


def rows(capsys, path: Path) -> dict[str, dict]:
    _, out = check_json(capsys, path, FSTAR, ERROR)
    return {r["id"]: r for r in out}


def test_least_test_points_against_the_exact_interval():
    # all N of N points agreeing: the exact (Clopper-Pearson) one-sided 95% lower bound of the
    # agreement is the 5% quantile of Beta(N, 1), 0.05^(1/N); it reaches 0.99 first at N = 299
    lower = [sps.beta.ppf(0.05, n, 1) for n in (298, 299)]
    assert lower[0] < 0.99 <= lower[1]
    assert F.least_test_points(0.99) == 299
    b = 0.05 + math.sqrt(math.log(20) / 100)  # the test-error bound at eta 0.05, n 100
    need = F.least_test_points(1 - b)
    # no error in N points: the exact one-sided 95% upper bound is the 95% quantile of Beta(1, N)
    assert sps.beta.ppf(0.95, 1, need) <= b < sps.beta.ppf(0.95, 1, need - 1)


def test_one_test_point_does_not_show_agreement_with_fstar(records, capsys):
    few, many = (Record.load(records[n]) for n in (1, 2000))
    # the same trained networks (same seeds, same initialisation and training sample)
    np.testing.assert_array_equal(few["static/init_w_norm"], many["static/init_w_norm"])
    T = 2
    seen_few = few.at("frei_test/agreement", T) < 0.99
    seen_many = many.at("frei_test/agreement", T) < 0.99
    # the oracle: on 2000 points about a quarter of the runs miss the bound, each by far
    assert seen_many.sum() >= 12 and seen_many.sum() > seen_few.sum()
    assert many.at("frei_test/agreement", T)[seen_many].max() < 0.8
    k, R = int(seen_many.sum()), seen_many.size
    assert sps.beta.ppf(0.975, k + 1, R - k) > F.ALLOWED_FAILURE  # cannot hold on 2000 points
    r_few, r_many = rows(capsys, records[1]), rows(capsys, records[2000])
    assert r_many[FSTAR]["verdict"] != "holds" and r_many[FSTAR]["in_regime"] is True
    # the old rule: on one point few runs are seen to violate, and that read as holds
    k1 = int(seen_few.sum())
    assert sps.beta.ppf(0.975, k1 + 1, R - k1) < F.ALLOWED_FAILURE
    assert r_few[FSTAR]["verdict"] == "inconclusive", r_few[FSTAR]["detail"]
    assert r_few[FSTAR]["in_regime"] is True
    assert "n_test = 1 test points cannot establish agreement >= 0.99" in r_few[FSTAR]["detail"]
    assert r_few[ERROR]["verdict"] != "holds"
    assert "cannot establish err_P" in r_few[ERROR]["detail"]


@pytest.mark.parametrize("n_test, verdict", [(298, "inconclusive"), (299, "holds")])
def test_the_least_test_set_that_can_hold(records, tmp_path, capsys, n_test, verdict):
    """Every run agreeing on every test point: holds from 299 test points, not at 298 (the
    record's config says how many points the agreement was read on)."""
    rec = Record.load(records[2000])
    cfg = {**rec.config, "data": {**rec.config["data"], "n_test": n_test}}
    agree = np.ones_like(rec["frei_test/agreement"])
    path = doctored(rec, tmp_path / "doc", cfg, **{"frei_test/agreement": agree})
    assert rows(capsys, path)[FSTAR]["verdict"] == verdict


def test_runs_with_a_lost_test_value_are_not_left_out(records, tmp_path, capsys):
    """A NaN test error or agreement is a lost measurement of a run the statement is about (every
    run has a test error), not a run it says nothing about: the 15 runs that miss the bound, set
    to NaN, left 0 of 45 runs violating, and both claims held inside their regime."""
    rec = Record.load(records[2000])
    i = list(rec.times).index(2)
    agree, err = rec["frei_test/agreement"].copy(), rec["frei_test/test_error"].copy()
    bad = agree[:, i] < 0.99
    assert bad.sum() >= 12
    agree[bad, i] = np.nan
    err[bad, i] = np.nan
    left = int((~bad).sum())
    assert sps.beta.ppf(0.975, 1, left) < F.ALLOWED_FAILURE  # 0 of the rest: the old rule held
    path = doctored(rec, tmp_path / "doc", **{"frei_test/agreement": agree,
                                              "frei_test/test_error": err})
    got = rows(capsys, path)
    for cid in (FSTAR, ERROR):
        assert got[cid]["verdict"] == "inconclusive", got[cid]["detail"]
        assert f"{int(bad.sum())} run(s) with a lost (non-finite) value" in got[cid]["detail"]
