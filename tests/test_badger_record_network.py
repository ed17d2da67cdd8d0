"""badger2022's record reader and the network (twolayer/claims/badger2022_record.py,
``card_setting``/``network_items`` in twolayer/claims/badger2022.py): a ``--data badger`` record
whose network is not the experiments' (no first-layer bias, a fixed head, another init variance)
is read and ``c4.normal_drives_down`` judged on it. Its regime compares the head's training with
the card's section 5 network (trained) and reports, without comparing, the first-layer bias (the
card is split: section 5 writes ReLU(W1 x), section 6 ReLU(W1ᵀ x + b1)) and the initialisation
(the card fixes none). Until 2026-12-06 such a record was refused (exit status 2). What the
claim cannot be read on stays refused with its message; the experiments' own plan (no network
items) keeps its regime text."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import types
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run
from record_check_helpers import check_json, doctored, simulated
from scipy import stats

from twolayer.claims.base import FAILS, HOLDS, INCONCLUSIVE
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
DOWN = "badger2022.c4.normal_drives_down"
# the card's section 5 network (no --bias; trained Gaussian head, init variance 1/d) at f = 1,
# scaled down (as tests/test_check_record_vashisht_badger.py's BADGER, without --bias)
NO_BIAS = ["--data", "badger", "--d", "30", "--n", "200", "--n-test", "200", "--m", "64",
           "--init-var", "0.0333333", "--second-layer", "gaussian", "--train-second-layer",
           "--objective", "softmax", "--lr", "0.01", "--batch-size", "20", "--steps", "400",
           "--noise", "0", "--probes", "badger,badger_scale", "--seeds", "5", "--num-times", "8",
           "--quiet"]
# the items the small setting itself differs in from the card's (n, width, hold-out, lr,
# batch, epochs): the network's are the others
SIZES = ["n", "width", "hold-out", "lr", "batch", "epochs"]


@pytest.fixture(scope="module")
def nobias(tmp_path_factory) -> Path:
    return simulated(tmp_path_factory.mktemp("nobias"), NO_BIAS)


def _down_oracle(rec: Record) -> tuple[str, float]:
    """The claim's rule, written here with scipy's exact binomial test: the median over seeds
    of log(S(T)/S(0)), S = jacc_train / zrms_train, below 0 at one-sided 0.05."""
    S = rec["badger_scale/jacc_train"].astype(float) / rec["badger_scale/zrms_train"]
    lr = np.log(S[:, -1] / S[:, 0])
    below, above = int((lr < 0).sum()), int((lr > 0).sum())
    if stats.binomtest(below, below + above, 0.5, alternative="greater").pvalue < 0.05:
        return HOLDS, float(np.median(lr))
    if stats.binomtest(above, below + above, 0.5, alternative="greater").pvalue < 0.05:
        return FAILS, float(np.median(lr))
    return INCONCLUSIVE, float(np.median(lr))


def _parts(regime: str) -> tuple[list[str], list[str], str]:
    """The setting's items that differ, those that match, and the not-compared text."""
    setting = regime.split("Setting: ", 1)[1]
    differ = (setting.split("; differ: ")[1].split("; match: ")[0].split("; ")
              if "; differ: " in setting else [])
    match, rest = setting.split("; match: ")[1].split("; not compared: ")
    return differ, match.split("; "), rest


def _with_net(rec: Record, out: Path, **net) -> Path:
    cfg = json.loads(json.dumps(rec.config))
    cfg["net"].update(net)
    return doctored(rec, out, cfg)


def test_a_no_bias_record_is_read_and_judged_with_the_bias_reported(nobias, capsys):
    """Refused before (exit status 2: "trains another network than badger2022's runs (bias
    False, ...)"); now read and judged by the claim's own rule (the oracle above). The trained
    head is compared (it matches); the bias and the init variance are reported, not compared;
    the record is outside for its small sizes only."""
    code, rows = check_json(capsys, nobias, "badger2022")
    (row,) = rows
    assert row["id"] == DOWN and code in (0, 1)
    verdict, median = _down_oracle(Record.load(nobias))
    assert (row["verdict"], row["measured"]) == (verdict, pytest.approx(median, rel=1e-6))
    differ, match, rest = _parts(row["regime"])
    assert [x.split(" ")[0] for x in differ] == SIZES, differ
    assert ("second layer trained (--train-second-layer) vs the card's trained (section 5 "
            "trains the network, no layer is said fixed [INFERRED])") in match, match
    assert "reported, not compared: first-layer bias none (the card is split" in rest, rest
    assert "init variance 0.0333333 (--init-var)" in rest and "1/d = 0.0333333" in rest
    assert "the network's bias" not in row["regime"] and row["in_regime"] is False
    assert "no first-layer bias, head gaussian trained, init variance 0.0333333" in \
        row["setting"]


def test_another_network_is_judged_naming_the_fixed_head(nobias, capsys, tmp_path):
    """The experiments' bias, a fixed head and another init variance: read (each was refused
    before), the same verdict and value (the arrays are the same); the fixed head is the one
    network item that differs, named with both values; the bias and init variance reported."""
    rec = Record.load(nobias)
    (base,) = check_json(capsys, nobias, DOWN)[1]
    other = _with_net(rec, tmp_path / "o", bias=True, train_second_layer=False, init_var=0.01)
    code, rows = check_json(capsys, other, "badger2022")
    (row,) = rows
    assert (row["verdict"], row["measured"], row["ci"]) == (base["verdict"], base["measured"],
                                                            base["ci"])
    differ, _, rest = _parts(row["regime"])
    assert differ[:len(SIZES)] == _parts(base["regime"])[0]
    assert differ[len(SIZES):] == [
        "second layer fixed (not trained) vs the card's trained (section 5 trains the network, "
        "no layer is said fixed [INFERRED])"], differ
    assert "first-layer bias yes (--bias) (the card is split" in rest, rest
    assert "init variance 0.01 (--init-var)" in rest, rest
    assert f"{len(differ)} of 12 items differ" in row["regime"] and row["in_regime"] is False


def test_a_config_without_the_network_is_read_and_not_the_cards(nobias):
    """A config that lacks the network's items (an older record, or one written by hand) is
    read; a missing head training is not the card's (nothing is assumed), the others are
    reported as missing."""
    from twolayer.claims.badger2022 import card_setting
    from twolayer.claims.badger2022_record import ObjectivesRecord, check_readable
    from twolayer.experiments.badger2022 import objective_runs

    rec = Record.load(nobias)
    cfg = copy.deepcopy(rec.config)
    for k in ("bias", "second_layer", "train_second_layer", "init_var"):
        cfg["net"].pop(k)
    bare = dataclasses.replace(rec, config=cfg)
    check_readable(bare, "rec")
    ok, text = card_setting(objective_runs(ObjectivesRecord(bare).get("badger2022.objectives")),
                            "objectives")
    differ = text.split("; differ: ")[1].split("; match: ")[0]
    assert not ok and "second layer None (not in the config)" in differ, differ
    for said in ("first-layer bias None (not in the config)", "second layer at init None",
                 "init variance nan (--init-var)"):
        assert said in text.split("; not compared: ")[1], (said, text)


@pytest.mark.parametrize("bias", [False, True])
def test_the_cards_setting_is_inside_with_or_without_bias(nobias, bias):
    """The regime's comparison alone (the arrays stay the small record's), the config moved to
    the card's sizes: every item matches with and without a first-layer bias (the card is split
    on it), and a fixed head is the one item that differs."""
    from twolayer.claims.badger2022 import card_setting
    from twolayer.claims.badger2022_record import ObjectivesRecord
    from twolayer.experiments.badger2022 import objective_runs

    rec = Record.load(nobias)

    def regime(**net):
        cfg = copy.deepcopy(rec.config)
        cfg["data"].update(n=2000, n_test=2000)
        cfg["net"].update(m=512, bias=bias, **net)
        cfg["train"].update(lr=0.02, batch_size=100, steps=6000)
        view = ObjectivesRecord(dataclasses.replace(rec, config=cfg))
        return card_setting(objective_runs(view.get("badger2022.objectives")), "objectives")

    ok, text = regime()
    assert ok and "every item matches" in text, text
    ok, text = regime(train_second_layer=False)
    assert not ok and "1 of 12 items differ; differ: second layer fixed" in text, text


def test_the_experiments_plan_keeps_its_regime_text():
    """A plan without network items (the experiments' runs) compares none and keeps its text:
    the network is listed as not compared, and the items are today's ten (K, d, n, width,
    optimiser, lr, batch, epochs, the memorise gate, seeds)."""
    from twolayer.claims.badger2022 import card_setting

    tail = ("; not compared: the data generator (class means N(0, 0.36 I), noise xi ~ "
            "N(0, 1.36 I) fixed per example, disjoint sets: built so by twolayer.data.badger, "
            "not in the Records), the network's bias, initialisation and trained head (the "
            "runner's net_config, not in the Records)")
    plan = {"n": 2000, "m": 512, "optimizer": "sgd", "lr": 0.02, "batch": 100, "epochs": 300}
    runs = types.SimpleNamespace(config={"plan": plan, "gates": ["chance"]},
                                 setting="K=10, d=30, n=2000", seeds=5, fractions=[1.0])
    ok, text = card_setting(runs, "objectives")
    assert ok and text.endswith(tail) and "first-layer" not in text, text
    assert text.startswith("the card's [PROPOSAL] analogue (card section 5): every item "
                           "matches; match: K 10 classes vs the card's 10;")
    assert text.count(" vs the card's") == 10, text


@pytest.mark.parametrize("change, words", [
    ({"train": {"objective": "logistic"}, "net": {"outputs": 1}},
     ["trained on the logistic objective with 1 output(s)", "--objective softmax"]),
    ({"train": {"integrator": "flow"}}, ["--integrator flow", "--integrator gd"]),
    ({"data": {"fraction": 0.5}}, ["--fraction 0.5", "f = 1"]),
    ({"data": {"n_ascended": 50}}, ["--n-ascended 50", "--n-ascended 0"]),
    ({"data": {"kind": "clusters"}}, ["--data clusters", "--data badger"]),
    ({"times": [0, 100]}, ["no probe times 0 and 400"]),
])
def test_what_the_claim_cannot_be_read_on_stays_refused(nobias, change, words):
    """Another objective, the flow integrator, fraction != 1, an ascended set, another data
    kind, probe times without the last step: refused as before, with the network no longer
    among the reasons (a no-bias record)."""
    from twolayer.claims.badger2022_record import check_readable
    from twolayer.errors import ConfigError

    rec = Record.load(nobias)
    cfg = copy.deepcopy(rec.config)
    for part, items in change.items():
        if part != "times":
            cfg[part].update(items)
    times = np.asarray(change.get("times", rec.times), dtype=np.int64)
    with pytest.raises(ConfigError) as e:
        check_readable(dataclasses.replace(rec, config=cfg, times=times), "rec")
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_a_doctored_no_bias_record_fails_the_claim(nobias, capsys, tmp_path):
    """The sensitivity pushed up at every seed (S(T) = 3..7 S(0)): the claim fails on the
    no-bias record, as the oracle says."""
    rec = Record.load(nobias)
    j = rec["badger_scale/jacc_train"].copy()
    j[:, -1] = j[:, 0] * (3.0 + np.arange(rec.seeds))
    bad = doctored(rec, tmp_path / "d", **{"badger_scale/jacc_train": j})
    (row,) = check_json(capsys, bad, DOWN)[1]
    verdict, median = _down_oracle(Record.load(bad))
    assert verdict == FAILS == row["verdict"]
    assert row["measured"] == pytest.approx(median, rel=1e-6) and median > math.log(2.0)


def test_the_cli_reads_a_no_bias_record(nobias, capsys):
    """The command line: exit status 0 (a proposal decides nothing), the claim's row."""
    code, out, err = run(["check", "badger2022", "--record", str(nobias)], capsys)
    assert code == 0 and DOWN in out, err
