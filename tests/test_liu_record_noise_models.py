"""The label-noise models a liu2023 record is read under (``conditions --paper liu2023 --record``
and ``check liu2023 --record``), against the rule docs/papers/liu2023.md states for the claims'
label-noise premise: "Inside only for the flip models ``iid`` and ``per-cluster`` at δ < 1/2;
the input-dependent models (``confident``, ``one-cluster``) are outside, and so is ``random``
replacement". A ``per-cluster`` record (exactly round(η·n_c) flips in each cluster, at uniformly
chosen points: a random fraction of each class, independent of x) must therefore be read, with
the δ premise holding; until 2026-12-06 the reader refused every model but ``iid``, so a record
the claims' own rule puts inside could not be judged at all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_refused, run
from record_check_helpers import simulated

from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
PROBES = "errors,segments,liu,liu_angles"
TINY = ["--data", "xor", "--d", "10", "--n", "200", "--m", "16", "--num-times", "8",
        "--noise", "0.3", "--steps", "20", "--lr", "0.5", "--sigma2", "0.05", "--seeds", "3",
        "--probes", PROBES, "--quiet"]


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("noise")
    return {m: simulated(base / m, [*TINY, "--noise-model", m])
            for m in ("per-cluster", "confident")}


def test_a_per_cluster_record_is_read_and_its_delta_premise_holds(records, capsys):
    rec = Record.load(records["per-cluster"])
    # the model as docs/papers/liu2023.md reads it: a fraction round(0.3 n_c)/n_c of each
    # cluster flipped, so every class of every seed keeps a clean majority
    noisy = np.asarray(rec.arrays["static/noisy"], dtype=bool)
    assert noisy.shape[0] == 3
    share = noisy.mean(axis=1)
    assert np.all(np.abs(share - 0.3) < 0.02), share
    code, out, err = run(["conditions", "--paper", "liu2023", "--record",
                          str(records["per-cluster"]), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    delta = {p["id"]: p for p in doc["premises"]}["delta"]
    assert delta["status"] == "holds", delta
    assert "per-cluster" in delta["measured"]
    fig1 = [c for c in doc["claims"] if c["claim"] == "liu2023.fig1.u_shape.xor"]
    assert fig1 and fig1[0]["inside"] is True, fig1
    code, out, err = run(["check", "liu2023", "--record", str(records["per-cluster"])], capsys)
    assert code in (0, 1), err  # judged, not refused
    assert "liu2023.fig1.u_shape.xor" in out


def test_an_input_dependent_record_is_still_refused(records, tmp_path, capsys):
    for argv in (["conditions", "--paper", "liu2023", "--record", str(records["confident"])],
                 ["check", "liu2023", "--record", str(records["confident"])]):
        code, out, err = run(argv, capsys)
        assert_refused(code, out, err, ["--record", "confident", "random"],
                       tmp_path / "never")
