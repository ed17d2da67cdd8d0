"""Frei et al.'s sign sets J_μ at an odd width m (a_m = 0, card section 2): (m − 1)/2 neurons of
each sign, not m/2, and neuron m in no set, also where ``--train-second-layer`` moves a_m.

Independent oracles: the sets counted by a per-neuron loop from the record's ``static/a`` and
the ``correlations`` probe's ⟨w_j^(0), μ_k⟩ (not the frei probe's set array, which is only
checked against them); Lemma 4's bound (h/2)(1 − 1/C0)² with h the positive neurons counted by
hand; whether neuron m moved read from ``correlations/w_norm``; the median over the signed
neurons by a loop; Lemma 4/Eq. (20)'s leading term of f^J computed in floats. The commands run
as a user runs them (``twolayer.cli.main``)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from cli_helpers import run
from record_check_helpers import check_json, simulated

from twolayer.claims.frei2023 import EVEN_WIDTH, ZERO_NEURON_TRAINED
from twolayer.record import Record
from twolayer.stats import fmt_num

pytestmark = pytest.mark.usefixtures("single_thread")

C0 = 45 * 1024**2 * math.e**4  # Definition 7 (card)
# tests/test_odd_width.py's inside setting (A1-A7 hold for 4 <= C <= 6.68 at d = 400)
BASE = ["--data", "xor", "--d", "400", "--n", "100", "--noise", "0.05", "--sigma2", "6e-7",
        "--init-var", "1e-12", "--lr", "0.25", "--n-test", "200", "--steps", "2",
        "--probes", "frei_neurons,frei_samples,frei_test,correlations", "--quiet"]


@pytest.fixture(scope="module")
def odd21(tmp_path_factory):
    """m = 21, fixed second layer: 10 neurons of each sign, every set non-empty in these runs."""
    return simulated(tmp_path_factory.mktemp("odd21"), [*BASE, "--m", "21", "--seeds", "4"])


@pytest.fixture(scope="module")
def even22(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("even22"), [*BASE, "--m", "22", "--seeds", "4"])


@pytest.fixture(scope="module")
def trained7(tmp_path_factory):
    """m = 7 with --train-second-layer: a_7 starts at 0 and trains."""
    return simulated(tmp_path_factory.mktemp("trained7"),
                     [*BASE, "--m", "7", "--seeds", "4", "--train-second-layer"])


def _hand_sets(rec: Record) -> list[list[int | None]]:
    """Per run, each neuron's set by a loop: 0/1 (a_j > 0, sign of <w_j^(0), mu1>), 2/3 (a_j < 0,
    sign of <w_j^(0), mu2>), None (a_j = 0), from static/a and correlations/w_dot_mu at t = 0."""
    a = rec.arrays["static/a"][..., 0]
    dots = rec.arrays["correlations/w_dot_mu"][:, 0]  # [R, m, 2]
    out = []
    for r in range(a.shape[0]):
        row = []
        for j in range(a.shape[1]):
            if a[r, j] > 0:
                row.append(0 if dots[r, j, 0] >= 0 else 1)
            elif a[r, j] < 0:
                row.append(2 if dots[r, j, 1] >= 0 else 3)
            else:
                row.append(None)
        out.append(row)
    return out


def _row(rows: list[dict], cid: str) -> dict:
    return next(r for r in rows if r["id"] == cid)


def _worst(detail: str) -> str:
    return re.search(r"runs violate, worst ([^ ;]+)", detail).group(1)


def test_set_sizes_of_an_odd_m_are_read_against_its_neurons_per_sign(odd21, capsys):
    """Lemma 4's m/4 is half the m/2 neurons of a sign; at m = 21 there are 10 per sign, so the
    per-set bound is (10/2)(1 − 1/C0)², not (21/4)(1 − 1/C0)² (the reading before: every ratio
    5 % low)."""
    rec = Record.load(odd21)
    sets = _hand_sets(rec)
    np.testing.assert_array_equal(  # the probe's sets are the loop's
        rec.arrays["frei_neurons/set"][:, 0], [[-1 if s is None else s for s in r] for r in sets])
    ratios = []
    for r, row in enumerate(sets):
        h = sum(1 for x in rec.arrays["static/a"][r, :, 0] if x > 0)
        assert h == sum(1 for x in rec.arrays["static/a"][r, :, 0] if x < 0) == 10
        assert row[20] is None and row.count(None) == 1
        sizes = [sum(1 for s in row if s == c) for c in range(4)]
        assert min(sizes) > 0  # the runs tell the two readings apart
        ratios.append(min(sizes) / ((h / 2) * (1 - 1 / C0) ** 2))
    worst = min(ratios)
    # the reading with the width's m/4 gives another value at the precision shown
    assert fmt_num(worst) != fmt_num(worst * 20 / 21)
    _, rows = check_json(capsys, odd21, "frei2023")
    row = _row(rows, "frei2023.lemma4.set_sizes")
    assert _worst(row["detail"]) == fmt_num(worst)
    assert row["measured"] == sum(x < 1 for x in ratios) / len(ratios)
    assert "Binomial((m - 1)/2, 1/2) (m = 21: (m - 1)/2 neurons of each sign" in row["detail"]
    assert "m, and m - 1 for an odd m, whose neuron m (a_m = 0) is in no J_mu" in row["bound"]


def test_the_good_run_detail_says_the_union_count_fails_at_an_odd_m(odd21, even22, capsys):
    """|J| = m − 1 = 20 < 21(1 − 1/C0)²: Lemma 4's union count, which the measured good run
    leaves out because the sign split meets it at an even m, fails at m = 21."""
    assert 20 < 21 * (1 - 1 / C0) ** 2 and 22 >= 22 * (1 - 1 / C0) ** 2
    _, rows = check_json(capsys, odd21, "frei2023")
    detail = _row(rows, "frei2023.definition7.good_run")["detail"]
    assert "an odd m (21) has |J| = m - 1 neurons in the sets" in detail
    assert "fails in every run there" in detail
    _, rows = check_json(capsys, even22, "frei2023")
    assert "union count" not in _row(rows, "frei2023.definition7.good_run")["detail"]


def test_an_even_m_keeps_its_bound_text_and_its_m_over_4(even22, capsys):
    """The records of the plan are even: their bound, ratio and texts are those of before."""
    rec = Record.load(even22)
    sets = _hand_sets(rec)
    worst = min(min(sum(1 for s in row if s == c) for c in range(4)) / (22 / 4 * (1 - 1 / C0) ** 2)
                for row in sets)
    _, rows = check_json(capsys, even22, "frei2023")
    row = _row(rows, "frei2023.lemma4.set_sizes")
    assert _worst(row["detail"]) == fmt_num(worst)
    assert row["bound"].startswith("min_mu |J_mu| / ((m/4)(1 - 1/C0)^2) >= 1; violation")
    assert "|J_mu| ~ Binomial(m/2, 1/2) fluctuates by about sqrt(m)/4" in row["detail"]
    for r in rows:
        assert EVEN_WIDTH not in r["regime"] and ZERO_NEURON_TRAINED not in r["regime"]
    code, out, err = run(["show", str(even22)], capsys)
    assert code == 0, err
    assert "a_j^(0) = 0" not in out


def test_a_trained_zero_neuron_moves_and_every_claim_says_it_is_in_no_set(trained7, odd21,
                                                                          capsys):
    """With --train-second-layer, neuron 7 (a_7^(0) = 0) moves (under the fixed layer it does
    not), and it stays in no set at every t: each frei2023 claim's regime says
    so, beside the even-width premise; the fixed-layer record's regime does not."""
    rec = Record.load(trained7)
    wn, dots = rec.arrays["correlations/w_norm"], rec.arrays["correlations/w_dot_mu"]
    # neuron 7 moved (a_7 is 0 at t = 0 and small at t = 1, so the step at t = 1 moves w_7 by
    # little: in float32 its norm moved in 3 of these 4 runs, <w_7, mu> in each)
    assert (wn[:, -1, 6] != wn[:, 0, 6]).any()
    assert (dots[:, -1, 6] != dots[:, 0, 6]).any(-1).all()
    assert (rec.arrays["frei_neurons/set"][:, :, 6] == -1).all()  # in no set at any t
    fixed = Record.load(odd21).arrays["correlations/w_norm"]
    assert (fixed[:, -1, 20] == fixed[:, 0, 20]).all()  # the fixed layer's zero neuron did not
    _, rows = check_json(capsys, trained7, "frei2023")
    assert rows
    for r in rows:
        assert f"{ZERO_NEURON_TRAINED}: no" in r["regime"], r["id"]
        assert f"{EVEN_WIDTH}: no" in r["regime"], r["id"]
    assert "which GD never moves while the second layer is fixed" in EVEN_WIDTH
    _, rows = check_json(capsys, odd21, "frei2023")
    for r in rows:
        assert ZERO_NEURON_TRAINED not in r["regime"], r["id"]


def test_show_says_which_neuron_the_own_mean_median_leaves_out(trained7, odd21, capsys):
    """The own-mean row is a median over the signed neurons (a loop here); the line under it
    names the neuron left out and, for a trained second layer, why it stays out."""
    for path, m, trained in ((trained7, 7, True), (odd21, 21, False)):
        rec = Record.load(path)
        a = rec.arrays["static/a"][..., 0]
        pos, neg = int((a[0] > 0).sum()), int((a[0] < 0).sum())
        code, out, err = run(["show", str(path)], capsys)
        assert code == 0, err
        line = next(x for x in out.splitlines() if "a_j^(0) = 0" in x)
        assert (f"the median over the {pos + neg} neurons with a_j^(0) != 0 ({pos} positive, "
                f"{neg} negative): neuron {m} of m = {m} has a_j^(0) = 0") in line
        assert ("--train-second-layer" in line) is trained
        code, out, err = run(["show", str(path), "--json"], capsys)
        assert code == 0, err
        (row,) = [r for r in json.loads(out)["table"]["rows"]
                  if r["array"] == "correlations/w_dot_mu"]
        assert row["note"] in line
        own = [[abs(rec.arrays["correlations/w_dot_mu"][r, t, j, 0 if a[r, j] > 0 else 1])
                / rec.arrays["correlations/w_norm"][r, t, j]
                for j in range(m) if a[r, j] != 0] for r in range(a.shape[0]) for t in (0,)]
        assert row["mean"][0] == pytest.approx(float(np.mean([np.median(o) for o in own])),
                                               rel=1e-5)


def test_the_json_headline_and_the_sweep_summary_say_which_neurons_the_medians_are_over(
        trained7, odd21, even22, capsys):
    """``show --json``'s top-level corr_median_* come with ``corr_median_note`` (the table row's
    line) at an odd m and without one at an even m; a sweep summary's ``corr_median_neurons``
    is the count of a_j^(0) != 0, by a loop over the neurons (session 43; before, neither said
    that the medians leave neuron m out)."""
    from twolayer.sweep.store import run_metrics

    for path, m in ((trained7, 7), (odd21, 21), (even22, 22)):
        rec = Record.load(path)
        a = rec.arrays["static/a"][..., 0]
        signed = [sum(1 for j in range(m) if a[r, j] != 0) for r in range(a.shape[0])]
        assert signed == [m - (m % 2)] * a.shape[0]
        np.testing.assert_array_equal(run_metrics(rec)["corr_median_neurons"], signed)
        code, out, err = run(["show", str(path), "--json"], capsys)
        assert code == 0, err
        doc = json.loads(out)
        (row,) = [r for r in doc["table"]["rows"] if r["array"] == "correlations/w_dot_mu"]
        if m % 2:
            assert doc["corr_median_note"] == row["note"]
            assert f"neuron {m} of m = {m} has a_j^(0) = 0" in doc["corr_median_note"]
        else:
            assert "corr_median_note" not in doc and "note" not in row


def test_conditions_of_a_trained_odd_record_say_neuron_m_is_in_no_set(trained7, capsys):
    code, out, err = run(["conditions", "--record", str(trained7)], capsys)
    assert code == 0, err
    assert "m = 7 is odd" in out
    assert f"neuron 7 (a_7 = 0 at t = 0) is in no J_mu: the claims' premise " \
           f"'{ZERO_NEURON_TRAINED}' does not hold" in out


def test_proofs_check_c3_leading_term_at_an_odd_m():
    """(m − 1)/4 neurons per set at |a_j| = 1/√m, each with <w_j, mu> >= e^-2/(256 sqrt(m)) after
    1/(4 alpha) steps: leading term (m − 1)(1 − 1/C0)^2 e^-2/(1024 m), times C3 = 4096 e^2 /
    (1 − 1/C0)^2: 4(m − 1)/m, in floats."""
    from proofs_check.frei_constants import check_c3_reconstruction

    c3 = 4096 * math.e**2 / (1 - 1 / C0) ** 2

    def lead(m: int) -> float:
        return (m - 1) / 4 * (1 - 1 / C0) ** 2 * (1 / math.sqrt(m)) * math.exp(-2) / (
            256 * math.sqrt(m))

    assert lead(3) * c3 == pytest.approx(8 / 3, rel=1e-12)
    assert lead(7) * c3 == pytest.approx(4 * 6 / 7, rel=1e-12)
    r = check_c3_reconstruction()
    assert r.passed
    assert "leading term · C3 = 4*(m - 1)/m, increasing in m, 8/3 at m = 3" in r.detail
