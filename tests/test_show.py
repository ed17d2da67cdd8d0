"""``twolayer show DIR``: a saved record's summary read back and verified. The numbers against
the record's arrays read with numpy alone (not through Record), the provenance against the
running versions, the array list against arrays.npz, and the refusals (no record, two records,
a damaged one: exit 2, one line)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_helpers import run

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    from twolayer.cli import main

    out = tmp_path_factory.mktemp("show") / "rec"
    assert main(["simulate", "--d", "12", "--n", "120", "--m", "16", "--steps", "30",
                 "--seeds", "3", "--noise", "0.2", "--quiet", "--out", str(out)]) == 0
    return out


def _npz(saved: Path) -> dict[str, np.ndarray]:
    (run_dir,) = [p for p in saved.iterdir() if p.is_dir()]
    with np.load(run_dir / "arrays.npz") as z:
        return {k: z[k] for k in z.files}


def test_show_prints_the_records_numbers_and_what_wrote_it(saved, capsys):
    code, out, err = run(["show", str(saved)], capsys)
    assert code == 0, err
    arrays = _npz(saved)
    times = arrays["times"]
    cols = [0, 1, len(times) - 1]  # t = 0, 1 and the end
    header = next(line for line in out.splitlines() if line.startswith("mean over seeds"))
    assert header.split()[-3:] == [f"t={int(times[i])}" for i in cols]
    for label, key in (("test error (noisy labels)", "errors/test_error"),
                       ("test error (clean labels)", "errors/test_error_clean")):
        line = next(x for x in out.splitlines() if x.startswith(label))
        shown = [float(v) for v in line[len(label):].split()]
        want = [float(arrays[key][:, i].mean()) for i in cols]
        assert shown == pytest.approx(want, abs=5e-4), (label, shown, want)
    (run_dir,) = [p for p in saved.iterdir() if p.is_dir()]
    assert out.startswith(f"record: {run_dir} (run {run_dir.name}; checksums, run id, shapes "
                          "and summary verified)")
    written = next(x for x in out.splitlines() if x.startswith("written by "))
    assert f"torch {torch.__version__}" in written and "device cpu" in written
    assert f"{len(times)} probe times, t = 0 ... 30" in out
    assert "probes: errors, correlations, segments;" in out
    assert "wall time of the run that wrote it" in out


def test_show_json_lists_every_array_with_its_shape(saved, capsys):
    code, out, err = run(["show", str(saved), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    arrays = _npz(saved)
    # every array of arrays.npz but the probe times, which are listed apart
    assert doc["arrays"] == {k: list(v.shape) for k, v in arrays.items() if k != "times"}
    assert doc["times"] == [int(t) for t in arrays["times"]]
    assert doc["provenance"]["torch"] == torch.__version__
    assert doc["seeds"] == 3 and doc["config"]["data"]["d"] == 12
    assert doc["probes"] == ["errors", "correlations", "segments"]


def test_show_refuses_what_is_no_record(saved, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    two = tmp_path / "two"
    (run_dir,) = [p for p in saved.iterdir() if p.is_dir()]
    for name in ("a", "b"):
        (two / name).mkdir(parents=True)
        (two / name / "record.json").write_text((run_dir / "record.json").read_text())
    for path, words in ((tmp_path / "nope", ["DIR", "no such directory"]),
                        (tmp_path / "empty", ["DIR", "not a record directory"]),
                        (two, ["DIR", "holds 2 records"])):
        code, out, err = run(["show", str(path)], capsys)
        assert code == 2 and out == "", err
        (line,) = err.strip().splitlines()
        for w in words:
            assert w in line, (w, line)


def test_show_refuses_a_damaged_record(saved, tmp_path, capsys):
    import shutil

    (run_dir,) = [p for p in saved.iterdir() if p.is_dir()]
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    doc = json.loads((copy / "record.json").read_text())
    doc["config"]["data"]["noise"] = 0.3  # an edited setting: its run id no longer matches
    (copy / "record.json").write_text(json.dumps(doc))
    code, out, err = run(["show", str(copy)], capsys)
    assert code == 2 and out == "", err
    (line,) = err.strip().splitlines()
    assert str(copy) in line or copy.name in line
    assert not re.search(r"Traceback", err)


def test_show_names_the_cpu_capability_and_block_budget_it_ran_with(tmp_path, capsys):
    """docs/guide.md, "Reproducibility": the instruction set PyTorch's CPU kernels dispatch to
    (meta.cpu_capability) and the block budget (meta.block_budget, --budget) change a record's
    last bits, but `show` printed neither, so two such records looked alike. Oracles: the
    running torch's capability and the --budget given."""
    from twolayer.cli import main

    out_dir = tmp_path / "rec"
    assert main(["simulate", "--d", "6", "--n", "20", "--m", "4", "--steps", "2", "--budget",
                 "4096", "--quiet", "--out", str(out_dir)]) == 0
    capsys.readouterr()
    code, out, err = run(["show", str(out_dir)], capsys)
    assert code == 0, err
    written = next(x for x in out.splitlines() if x.startswith("written by "))
    assert f"CPU capability {torch.backends.cpu.get_cpu_capability()}" in written, written
    assert "block budget 4096" in written, written
