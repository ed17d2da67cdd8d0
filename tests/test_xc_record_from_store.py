"""`--record` given the record store, or one of its records that an experiment assembled from
several settings (`check PAPER --record`, `conditions --record`): a new user's mistakes.

Before, `--record STORE` said only "not a record directory", and a store record of the
frei2023 movement experiment (5 settings of 6 seeds, one config saying `seeds=6`) was judged
as one setting: 30 runs of five d's pooled under the config of one, "6 seeds" in the header and
30 in the row, exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_refused, run
from record_check_helpers import simulated

from twolayer.record import Record
from twolayer.store import RecordStore

pytestmark = pytest.mark.usefixtures("single_thread")
TINY = ["--data", "clusters", "--d", "10", "--n", "200", "--m", "16", "--num-times", "8",
        "--noise", "0.3", "--quiet", "--seeds", "4", "--steps", "20", "--lr", "0.5",
        "--probes", "errors,segments,liu,liu_angles"]
XOR = ["--data", "xor", "--d", "40", "--n", "50", "--m", "8", "--steps", "2", "--lr", "0.25",
       "--quiet", "--seeds", "3", "--probes", "frei_neurons,frei_samples,frei_test"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A record store holding a mixture record and an xor record as they are (one setting
    each, as a sweep stores a point), and each one's runs twice over under its config (two
    settings assembled into one record, as an experiment stores them: meta ``groups``)."""
    tmp = tmp_path_factory.mktemp("xc")
    store = RecordStore(tmp / "store")
    out = {"store": store.root}
    for name, argv in (("mix", TINY), ("xor", XOR)):
        rec = Record.load(simulated(tmp / name, argv))
        twice = {k: np.concatenate([v, v]) if k.startswith(("static/", "baseline/"))
                 or (v.ndim >= 2 and v.shape[0] == rec.seeds) else v
                 for k, v in rec.arrays.items()}
        grouped = Record(rec.config, rec.run_id, rec.times, twice, {**rec.meta, "groups": 2},
                         rec.summary)
        out[name] = store.records / store.put(rec, {"point": name})
        out[name + "2"] = store.records / store.put(grouped, {"grouped": name})
        # an experiment's result as check stores it: the record's identity names its entry
        out[name + "e"] = store.records / store.put(rec, {"entry": f"e{name}", "part": ""})
    (store.root / "entries").mkdir(exist_ok=True)  # as check leaves it
    (store.root / "entries" / "emix.json").write_text(
        json.dumps({"key": {"experiment": "liu2023.regime"}}))
    return out


COMMANDS = [["check", "liu2023"], ["conditions", "--paper", "liu2023"], ["check", "frei2023"],
            ["conditions"]]


@pytest.mark.parametrize("argv", COMMANDS)
def test_the_store_itself_is_named_as_a_store(stored, argv, capsys, tmp_path):
    code, out, err = run([*argv, "--record", str(stored["store"]), "--report",
                          str(tmp_path / "r.md")] if argv[0] == "check"
                         else [*argv, "--record", str(stored["store"])], capsys)
    assert_refused(code, out, err, ["--record", str(stored["store"]), "is a record store",
                                    "twolayer simulate --out"], tmp_path / "r.md")


@pytest.mark.parametrize("argv", COMMANDS)
def test_a_record_assembled_from_several_settings_is_refused(stored, argv, capsys, tmp_path):
    path = stored["xor2" if argv[-1] in ("frei2023", "conditions") else "mix2"]
    seeds = Record.load(path).seeds
    code, out, err = run([*argv, "--record", str(path)], capsys)
    assert_refused(code, out, err, ["--record", path.name, f"holds {2 * seeds} runs",
                                    f"--seeds {seeds}", "2 settings"], tmp_path / "r.md")


@pytest.mark.parametrize("argv", COMMANDS)
def test_an_experiment_s_stored_record_is_refused(stored, argv, capsys, tmp_path):
    """A store record that is part of an experiment's result (e.g. vashisht2024.lms.sgd's
    two-phase study, judged as if every run were a baseline run; frei2023.linear's, judged by
    liu2023 with 0 seeds) has the runs its config's seeds say and was read as a simulate
    record."""
    xor = argv[-1] in ("frei2023", "conditions")
    path = stored["xore" if xor else "mixe"]
    code, out, err = run([*argv, "--record", str(path)], capsys)
    assert_refused(code, out, err, ["--record", path.name, "is a record of a record store",
                                    "an experiment's" if xor else
                                    "the liu2023.regime experiment's", "twolayer simulate"],
                   tmp_path / "never")


@pytest.mark.parametrize("argv", COMMANDS)
def test_a_stored_record_of_one_setting_is_still_read(stored, argv, capsys):
    """A sweep point's record (its runs are its config's): judged as before."""
    path = stored["xor" if argv[-1] in ("frei2023", "conditions") else "mix"]
    code, out, err = run([*argv, "--record", str(path)], capsys)
    assert code in (0, 1) and out and err == "", err


@pytest.mark.parametrize("argv", COMMANDS)
def test_a_sweep_s_store_is_named_as_a_store(argv, capsys, tmp_path):
    """A sweep's --out (records/, points.csv, no entries/) said "not a record directory"."""
    from twolayer.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\nseeds = 1\n[base]\n"data.d" = 8\n"data.n" = 40\n'
                    '"net.m" = 4\n"train.steps" = 2\n[axes]\n"data.noise" = [0.0, 0.1]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sw")]) == 0
    capsys.readouterr()
    code, out, err = run([*argv, "--record", str(tmp_path / "sw")], capsys)
    assert_refused(code, out, err, ["--record", "is a record store", "records/<id>"],
                   tmp_path / "never")


def test_the_store_s_records_folder_names_the_records(stored, capsys):
    code, out, err = run(["check", "liu2023", "--record", str(Path(stored["mix"]).parent)],
                         capsys)
    assert code == 2 and out == "" and "holds 6 records" in err, err


def test_a_record_report_says_its_figures_are_the_paper_s_not_the_record_s(stored, capsys,
                                                                            tmp_path):
    """The report's figure column links the committed figure of the paper's experiments
    (figures/liu2023-regime.png): it read as a figure of the record judged."""
    report = tmp_path / "r.md"
    code, out, err = run(["check", "liu2023", "--record", str(stored["mix"]), "--report",
                          str(report)], capsys)
    assert code in (0, 1), err
    text = report.read_text()
    assert "liu2023-regime" in text  # a linked figure, so the note is needed
    assert ("The figure column links each claim's figure as `twolayer figures` draws it from "
            "the paper's own experiments, not from this record.") in text
    # the paper did read as the end of "nothing was trained, liu2023"
    assert "nothing was trained, paper liu2023; " in text


def test_a_record_that_serves_none_names_every_probe_its_claims_ask_for(stored, capsys,
                                                                         tmp_path):
    """`check liu2023 --record` on a frei xor record named only the first claim's probe
    ("add --probes errors"): add it and the next refusal named segments, then liu_angles."""
    code, out, err = run(["check", "liu2023", "--record", str(stored["xor"])], capsys)
    assert_refused(code, out, err, ["--record", "serves none of the 9 selected claims",
                                    "(add --probes errors)", "between them the 9 claims ask "
                                    "for --probes errors,segments,liu_angles"], tmp_path / "x")


def test_one_other_claim_reads_in_the_singular(tmp_path, capsys):
    """`check vashisht2024.linxor.clean_simple --record LMS` said "serves 1 other claims"."""
    lms = simulated(tmp_path / "lms", ["--data", "lms", "--d", "10", "--n", "200", "--m", "16",
                                       "--noise", "0", "--steps", "5", "--quiet", "--seeds",
                                       "2", "--probes", "vashisht"])
    capsys.readouterr()  # what simulate printed
    code, out, err = run(["check", "vashisht2024.linxor.clean_simple", "--record", str(lms)],
                         capsys)
    assert_refused(code, out, err, ["does not serve it", "serves 1 other claim on a record",
                                    "lists it)"], tmp_path / "x")
