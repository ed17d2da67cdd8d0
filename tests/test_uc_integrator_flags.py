"""The integrator flags of ``simulate`` (docs/integrators.md): --rtol and --switch steer only the
flow, so with an integrator they do not apply to they are refused (exit 2, one line, nothing
written) instead of being dropped without a word; a paper preset's CPU step cap (which exists
because exact GD is slow) does not cut a run the user asked to integrate with the flow."""

from __future__ import annotations

import pytest
from cli_helpers import assert_refused, run

from twolayer.cli import build_parser
from twolayer.commands.settings import config_from_args

BASE = ["simulate", "--d", "3", "--n", "8", "--n-test", "8", "--m", "2", "--steps", "3",
        "--num-times", "2", "--quiet", "--device", "cpu"]


@pytest.mark.parametrize("argv, words", [
    (["--rtol", "1e-4"], ["--rtol", "0.0001", "--integrator flow or auto", "gd"]),
    (["--integrator", "gd", "--rtol", "1e-4"], ["--rtol", "flow or auto"]),
    (["--switch", "5"], ["--switch", "5", "--integrator auto", "gd"]),
    (["--integrator", "flow", "--switch", "5"], ["--switch", "5", "--integrator auto", "flow"]),
])
def test_flow_flags_without_the_flow_are_refused(argv, words, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run([*BASE, *argv, "--out", str(out_dir)], capsys)
    assert_refused(code, out, err, words, out_dir)


@pytest.mark.parametrize("argv", [
    ["--integrator", "flow", "--rtol", "1e-4"],
    ["--integrator", "auto", "--switch", "1", "--rtol", "1e-4"],
])
def test_flow_flags_with_the_flow_run(argv, tmp_path, capsys):
    code, _, err = run([*BASE, *argv, "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err


def _cfg(argv, cpu):
    return config_from_args(build_parser().parse_args(["simulate", *argv]), cpu)


@pytest.mark.parametrize("cpu", [True, False])
def test_a_preset_run_with_the_flow_keeps_the_paper_horizon_and_switch(cpu):
    """--integrator auto on a frei-fig2 preset: the paper's 10^7 steps and the preset's switch
    (100), on a CPU as on a GPU (the CPU cap of 10^4 steps is for exact GD)."""
    cfg, notes = _cfg(["--preset", "frei-fig2-high-d", "--integrator", "auto"], cpu)
    assert (cfg.train.steps, cfg.train.integrator, cfg.train.switch) == (10**7, "auto", 100)
    assert notes == []
    cfg, _ = _cfg(["--preset", "frei-fig2-high-d", "--integrator", "auto", "--switch", "7"], cpu)
    assert (cfg.train.steps, cfg.train.switch) == (10**7, 7)
    cfg, _ = _cfg(["--preset", "frei-fig2-low-d", "--integrator", "flow"], cpu)
    assert (cfg.train.steps, cfg.train.integrator) == (10**7, "flow")


def test_exact_gd_on_a_cpu_is_still_capped():
    cfg, notes = _cfg(["--preset", "frei-fig2-low-d", "--integrator", "gd"], True)
    assert cfg.train.steps == 10_000 and len(notes) == 1 and "capped" in notes[0]


def test_the_summary_columns_stay_apart_at_a_flow_horizon():
    """A flow run's last time t=10000000 is 10 characters: the header read "t=1t=10000000"
    (the columns were 10 wide); every header and cell is now separated by blanks and the
    cells stay under their headers (right-aligned to the same column end)."""
    import numpy as np

    from twolayer.commands.simulate import human_summary
    from twolayer.record import Record

    times = np.array([0, 1, 10**7], dtype=np.int64)
    err = np.array([[0.5, 0.25, 0.125]])
    arrays = {"errors/test_error": err, "errors/test_error_clean": err,
              "errors/train_error_clean": err, "errors/noisy_fit_fraction": err}
    config = {"seeds": 1, "seed": 0, "dtype": "float32",
              "data": {"kind": "xor", "d": 5, "n": 20, "noise": 0.1, "noise_model": "iid",
                       "sigma2": None},
              "net": {"m": 4, "init_var": 0.01},
              "train": {"lr": 0.1, "steps": 10**7, "objective": "logistic"}}
    rec = Record(config, "hand", times, arrays, {"wall_seconds": 1.0, "device": "cpu"})
    lines = human_summary(rec, []).splitlines()
    head = next(line for line in lines if line.startswith("mean over seeds"))
    assert head[34:].split() == ["t=0", "t=1", "t=10000000"]
    row = next(line for line in lines if line.startswith("test error (noisy labels)"))
    assert row[34:].split() == ["0.500", "0.250", "0.125"]
    assert len(row) == len(head)  # the last cell ends where its header ends
