"""`twolayer conditions --paper frei2023 --record DIR`: Theorem 1's (A1)-(A7) computed from a
record's own config (the same table as from the setting flags that trained it), and the
theorem's other premises (model and training, runs stopped at T) read from the record as the
claims read them. It was refused ("reads the setting flags, not a record")."""

from __future__ import annotations

import json

import pytest
from cli_helpers import assert_refused, run

FLAGS = ["--d", "400", "--n", "100", "--noise", "0.05", "--sigma2", "6e-7", "--m", "20",
         "--init-var", "1e-12", "--lr", "0.25"]


def _simulate(out, capsys, *extra: str):
    code, _, err = run(["simulate", "--data", "xor", *FLAGS, "--n-test", "50", "--seeds", "2",
                        "--quiet", "--out", str(out), *extra], capsys)
    assert code == 0, err
    (rec,) = [p for p in out.iterdir() if p.is_dir()]
    return rec


def _json(capsys, argv):
    code, out, err = run(["conditions", *argv, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    class Cap:  # capsys is function-scoped: read the output through a stand-in
        def readouterr(self):
            return type("C", (), {"out": "", "err": ""})()

    root = tmp_path_factory.mktemp("frei_records")
    cap = Cap()
    return {"paper": _simulate(root / "paper", cap, "--steps", "2"),
            "flow": _simulate(root / "flow", cap, "--steps", "5", "--integrator", "flow",
                              "--probes", "frei_neurons,frei_samples,frei_test"),
            "clusters": _record_of_kind(root / "clusters", cap)}


def _record_of_kind(out, cap):
    code, _, err = run(["simulate", "--data", "clusters", "--d", "20", "--n", "20", "--m", "4",
                        "--steps", "2", "--quiet", "--out", str(out)], cap)
    assert code == 0, err
    return out


@pytest.mark.parametrize("delta", [None, "0.1"])
def test_the_record_gives_the_table_of_the_flags_that_trained_it(records, capsys, delta):
    extra = [] if delta is None else ["--delta", delta]
    from_flags = _json(capsys, [*FLAGS, *extra])
    from_record = _json(capsys, ["--record", str(records["paper"]), *extra])
    for key, value in from_flags.items():
        assert from_record[key] == value, key
    assert from_record["record"] == str(records["paper"])
    assert from_record["paper_model"] is True and from_record["model_gaps"] == []
    assert from_record["steps"] == 2 and from_record["stops_at_T"] is True  # T = 1 + 1/(4*0.25)


def test_a_flow_record_is_outside_the_model_as_the_claims_read_it(records, capsys):
    """The gaps agree with what check frei2023 --record's claims compute for their regime."""
    doc = _json(capsys, ["--record", str(records["flow"])])
    assert doc["paper_model"] is False and doc["stops_at_T"] is False and doc["steps"] == 5
    (gap,) = doc["model_gaps"]
    assert gap.startswith("integrator flow:") and "gradient flow" in gap
    code, out, err = run(["conditions", "--record", str(records["flow"])], capsys)
    assert code == 0, err
    assert "model and training as in the paper (read from the record, as the claims read it): "\
        "no: integrator flow" in out
    assert "runs stop at T = 1 + 1/(4 alpha) (2 whole steps, as the claims read it): no" in out
    code, out, err = run(["check", "frei2023.theorem1.train_fit", "--record",
                          str(records["flow"]), "--json"], capsys)
    (row,) = json.loads(out)
    assert "model and training as in the paper (read from the records): no" in row["regime"]
    assert "runs stop at T = 1 + 1/(4 alpha): no" in row["regime"] and not row["in_regime"]


def test_bad_records_and_flags_are_one_line_exit_2(records, capsys, tmp_path):
    code, out, err = run(["conditions", "--record", str(records["paper"]), "--d", "50"], capsys)
    assert_refused(code, out, err, ["--d 50", "not both"], tmp_path / "never")
    code, out, err = run(["conditions", "--record", str(records["clusters"])], capsys)
    assert_refused(code, out, err, ["--record", "--data clusters", "xor", "liu2023"],
                   tmp_path / "never")
    code, out, err = run(["conditions", "--record", str(tmp_path / "none")], capsys)
    assert_refused(code, out, err, ["--record"], tmp_path / "never")
    code, out, err = run(["conditions", "--record", str(records["paper"]), "--delta", "0.7"],
                         capsys)
    assert_refused(code, out, err, ["--delta", "0.7", "(0, 0.5)"], tmp_path / "never")
