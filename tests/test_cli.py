"""The `twolayer simulate` command: JSON output, records, presets, and bad input.

Every bad input must exit with status 2, print one line on stderr naming the flag, the value
and the valid range, print nothing on stdout, and write nothing (the --out directory is never
created). Most cases run twolayer.cli.main in-process; two run `python -m twolayer` end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_refused, run
from devices import needs_no_gpu

from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--d", "5", "--n", "40", "--n-test", "30", "--m", "6", "--steps", "10",
         "--device", "cpu", "--quiet"]
SUMMARY_KEYS = {
    "run_id", "config", "steps", "seeds", "test_error", "test_error_clean", "train_error_clean",
    "noisy_fit_fraction", "linear_test_error", "linear_test_error_clean", "corr_median_init",
    "corr_median_final", "grad_ratio_init", "grad_ratio_final", "wall_seconds",
}
STD_KEYS = {k + "_std" for k in SUMMARY_KEYS - {"run_id", "config", "steps", "seeds",
                                                 "wall_seconds"}}


def strict_loads(text: str):
    def bad(tok):
        raise ValueError(f"non-standard JSON token {tok}")

    return json.loads(text, parse_constant=bad)


# -- good input -----------------------------------------------------------------------------
def test_the_documented_json_command_end_to_end(tmp_path):
    """`twolayer simulate --d 50 --noise 0.1 --json --steps 200` in a fresh interpreter."""
    # one intra-op thread: on a shared, loaded 2-core machine more threads only spin
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    p = subprocess.run(
        [sys.executable, "-m", "twolayer", "simulate", "--d", "50", "--noise", "0.1", "--json",
         "--steps", "200"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1
    out = strict_loads(lines[0])
    assert SUMMARY_KEYS <= set(out), SUMMARY_KEYS - set(out)
    assert not (STD_KEYS & set(out))  # one seed: no spread
    assert out["steps"] == 200 and out["seeds"] == 1
    assert out["config"]["data"]["d"] == 50 and out["config"]["data"]["noise"] == 0.1
    for k in SUMMARY_KEYS - {"run_id", "config"}:
        assert isinstance(out[k], (int, float)), k
    assert 0 <= out["test_error"] <= 1 and out["wall_seconds"] > 0
    assert os.listdir(tmp_path) == []  # no --out: nothing written


def test_seeds_add_std_keys_and_out_writes_the_record(tmp_path, capsys):
    out_dir = tmp_path / "records"
    code, out, err = run(["simulate", *SMALL, "--seeds", "3", "--json", "--out", str(out_dir)],
                         capsys)
    assert code == 0, err
    res = strict_loads(out)
    assert SUMMARY_KEYS | STD_KEYS <= set(res), (SUMMARY_KEYS | STD_KEYS) - set(res)
    assert res["seeds"] == 3
    assert os.listdir(out_dir) == [res["run_id"]]
    rec = Record.load(out_dir / res["run_id"])
    assert rec.run_id == res["run_id"] and rec.config == res["config"]
    assert rec.arrays["errors/test_error"].shape[0] == 3
    assert rec.summary["test_error"] == pytest.approx(res["test_error"])


def test_flags_reach_the_config(capsys):
    code, out, err = run(
        ["simulate", *SMALL, "--json", "--noise", "0.2", "--noise-model", "per-cluster",
         "--sigma2", "1/50", "--init-var", "1e-4", "--lr", "0.05", "--seed", "7", "--bias",
         "--rotate", "--cluster-dist", "laplace", "--batch-size", "8", "--dtype", "float64"],
        capsys,
    )
    assert code == 0, err
    c = strict_loads(out)["config"]
    assert c["data"] == {**c["data"], "d": 5, "n": 40, "n_test": 30, "noise": 0.2,
                         "noise_model": "per-cluster", "sigma2": 0.02, "rotate": True,
                         "cluster_dist": "laplace"}
    assert c["net"]["m"] == 6 and c["net"]["init_var"] == 1e-4 and c["net"]["bias"] is True
    assert c["train"] == {**c["train"], "lr": 0.05, "steps": 10, "batch_size": 8}
    assert c["seed"] == 7 and c["dtype"] == "float64"


def test_human_output_and_quiet_out(tmp_path, capsys):
    args = [a for a in SMALL if a != "--quiet"]
    code, out, err = run(["simulate", *args], capsys)
    assert code == 0, err
    assert "test error (noisy labels)" in out and "t=0" in out and "t=10" in out
    code, out, err = run(["simulate", *SMALL, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == tmp_path and (path / "arrays.npz").exists()


def test_flow_statistics_in_json_and_text(capsys):
    """An `auto` run reports how it was integrated: the bookkeeping identity of its counts, the
    row span (n = 12 < d = 30) in the JSON, the same counts in the human summary; GD: none."""
    wide = ["--d", "30", "--n", "12", "--n-test", "30", "--m", "6", "--steps", "400",
            "--device", "cpu", "--integrator", "auto", "--switch", "20"]
    code, out, err = run(["simulate", *wide, "--json"], capsys)
    assert code == 0, err
    st = strict_loads(out)["integrator"]
    assert st["integrator"] == "auto" and st["switch"] == 20 and st["row_span"] == 12
    assert st["grad_evals"] == 20 + 1 + 3 * (st["accepted"] + st["rejected"])
    code, out, err = run(["simulate", *wide], capsys)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("integrator: auto"))
    assert f"{st['grad_evals']:,} gradient evaluations" in line and "(12 coordinates)" in line
    code, out, err = run(["simulate", *SMALL[:-1], "--json"], capsys)
    assert code == 0, err
    assert "integrator" not in strict_loads(out)
    # the switch past the last step: exact GD throughout, its steps counted as evaluations
    code, out, err = run(["simulate", *wide[:-1], "500", "--steps", "30", "--json"], capsys)
    assert code == 0, err
    st = strict_loads(out)["integrator"]
    assert st["grad_evals"] == st["gd_steps"] == 30 and st["accepted"] == 0
    code, out, err = run(["simulate", *wide[:-1], "500", "--steps", "30"], capsys)
    assert "exact GD for all 30 steps" in out and "30 gradient evaluations" in out


def test_preset_frei_fig1(capsys):
    """frei-fig1 sets the caption's values; explicit flags still win."""
    code, out, err = run(["simulate", "--preset", "frei-fig1", "--steps", "3", "--n-test",
                          "100", "--device", "cpu", "--json"], capsys)
    assert code == 0, err
    c = strict_loads(out)["config"]
    assert (c["data"]["d"], c["data"]["n"], c["data"]["noise"]) == (2, 5000, 0.15)
    assert c["data"]["sigma2"] == pytest.approx(1 / 50)
    assert c["net"]["m"] == 500 and c["net"]["init_var"] == pytest.approx(1 / (32 * 500))
    assert c["train"]["lr"] == 0.05 and c["train"]["steps"] == 3
    assert c["data"]["n_test"] == 100


def test_preset_scale_kept_at_another_size_is_said(capsys):
    """frei-fig1 fixes init_var = 1/(32 * 500) for its m = 500 (the caption: 1/(32 m)); with
    --m 100 it stays 6.25e-05, not the caption's 1/(32 * 100) = 3.125e-04 (nor the default
    0.01/(m d), which follows m): a note says so (before: silently), in simulate and conditions;
    no note where --init-var is given or the preset leaves the scale to its default."""
    from twolayer.cli import build_parser
    from twolayer.commands.settings import config_from_args

    def notes_of(*argv):
        cfg, notes = config_from_args(build_parser().parse_args(["simulate", *argv]))
        return cfg, [n for n in notes if n.startswith("--preset")]

    cfg, notes = notes_of("--preset", "frei-fig1", "--m", "100")
    assert cfg.net.init_var == 1 / (32 * 500) != 1 / (32 * 100)
    assert len(notes) == 1 and "init_var = 6.25e-05" in notes[0] and "--m 100" in notes[0]
    assert "init_var=1/(32m)" in notes[0] and "--init-var" in notes[0]
    cfg, notes = notes_of("--preset", "frei-fig1", "--d", "4")  # sigma2 and init_var stay
    assert [n.split(" fixes ")[1].split(" =")[0] for n in notes] == ["sigma2", "init_var"]
    assert notes_of("--preset", "frei-fig1", "--m", "100", "--init-var", "1e-3")[1] == []
    assert notes_of("--preset", "frei-fig1", "--m", "500")[1] == []
    cfg, notes = notes_of("--preset", "frei-fig2-high-d", "--d", "100", "--m", "50")
    assert notes == [] and cfg.resolved().net.init_var == pytest.approx(0.01 / (100 * 50))
    code, out, err = run(["simulate", "--preset", "frei-fig1", "--m", "100", "--n", "40",
                          "--n-test", "20", "--steps", "2", "--device", "cpu", "--json"], capsys)
    assert code == 0 and "note: --preset frei-fig1 fixes init_var" in err
    code, out, err = run(["conditions", "--preset", "frei-fig1", "--m", "100"], capsys)
    assert code == 0 and err.startswith("twolayer conditions: note: --preset frei-fig1 fixes "
                                        "init_var = 6.25e-05")


def test_preset_step_cap_is_reported():
    from twolayer.cli import build_parser
    from twolayer.commands.settings import config_from_args

    args = build_parser().parse_args(["simulate", "--preset", "frei-fig2-high-d"])
    cfg, notes = config_from_args(args, device_is_cpu=True)
    assert cfg.data.d == 5000 and cfg.data.n == 300 and cfg.data.noise_model == "per-cluster"
    assert cfg.train.steps == 10_000 and any("capped" in n for n in notes)
    args = build_parser().parse_args(["simulate", "--preset", "frei-fig2-high-d", "--steps", "7"])
    cfg, notes = config_from_args(args, device_is_cpu=True)
    assert cfg.train.steps == 7 and not notes
    cfg, _ = config_from_args(build_parser().parse_args(["simulate", "--preset",
                                                         "frei-fig2-low-d"]), False)
    assert cfg.train.steps == 10_000_000  # no cap on a GPU


# -- bad input --------------------------------------------------------------------------------
# (argv, words the stderr line must contain: the flag, the value, the valid range)
BAD = [
    (["--d", "1"], ["--d", "1", ">= 2"]),
    (["--d", "abc"], ["--d", "abc", "integer"]),
    (["--n", "0"], ["--n", "0", ">= 1"]),
    # m = 1 with the fixed ±1/√m head: no positive and no negative neuron (an odd m, 7, runs
    # with a_m = 0 since it was built: tests/test_odd_width.py)
    (["--m", "1"], ["--m", "1", ">= 2", "no positive and no negative neuron"]),
    (["--m", "0"], ["--m", "0", ">= 2"]),
    (["--noise", "0.5"], ["--noise", "0.5", "[0, 0.5)"]),
    (["--noise=-0.1"], ["--noise", "-0.1", "[0, 0.5)"]),
    (["--noise", "-0.1"], ["--noise", "-0.1", "[0, 0.5)"]),
    (["--sigma2", "0"], ["--sigma2", "0", "> 0"]),
    (["--sigma2", "-1"], ["--sigma2", "-1", "> 0"]),
    (["--init-var", "0"], ["--init-var", "0", "> 0"]),
    (["--init-var", "-1e-3"], ["--init-var -1e-3 is invalid", "> 0"]),
    (["--lr", "0"], ["--lr", "0", "> 0"]),
    (["--lr", "-0.1"], ["--lr", "-0.1", "> 0"]),
    (["--lr", "1e300"], ["--lr 1e300 is invalid", "3.403e+38"]),
    (["--steps", "-1"], ["--steps", "-1", "[0, 1000000000000]"]),
    (["--steps", "1e20"], ["--steps 1e20 is invalid", "[0, 1000000000000]"]),
    (["--seeds", "0"], ["--seeds", "0", ">= 1"]),
    # integers no float holds: an OverflowError traceback in the checks after parsing (before);
    # a size flag names its own range, at most 1e50
    (["--d", "10**400"], ["--d", "10**400", "at most 1e50"]),
    (["--n", "1e400"], ["--n", "1e400", "at most 1e50"]),
    (["--m", "1" + "0" * 400], ["--m", "1" + "0" * 400, "at most 1e50"]),
    (["--seeds", "2**1000000000"], ["--seeds", "2**1000000000", "at most 1e50"]),  # not computed
    (["--steps", "10**400"], ["--steps", "10**400", "1.798e+308"]),  # not a size: the float cap
    (["--d", "10**-2"], ["--d", "10**-2", "integer"]),
    # sizes beyond a tensor dimension: R n d m overflowed a float in the memory check (before)
    (["--d", "10**300", "--m", "10**300"], ["--d", "10**300", "1e50"]),
    (["--seeds", "10**51"], ["--seeds", "10**51", "1e50"]),
    (["--noise-model", "gauss"], ["--noise-model", "gauss", "iid"]),
    (["--preset", "frei-fig9"], ["--preset", "frei-fig9", "frei-fig1"]),
    pytest.param(["--device", "cuda"], ["--device", "cuda", "cpu"], marks=needs_no_gpu),
    (["--device", "tpu"], ["--device", "tpu", "cpu"]),
    (["--threads", "0"], ["--threads", "0", ">= 1"]),
    (["--threads", "two"], ["--threads", "two", "auto"]),
]
# NaN and inf in every numeric flag, with the flag's valid range
RANGES = {
    "--d": ">= 2", "--n": ">= 1", "--n-test": ">= 1", "--m": ">= 2", "--noise": "[0, 0.5)",
    "--sigma2": "> 0", "--init-var": "> 0", "--lr": "> 0", "--steps": "[0, 1000000000000]",
    "--seeds": ">= 1", "--seed": "[0, ", "--num-times": ">= 2", "--batch-size": ">= 1",
    "--num-classes": ">= 2",
}
for flag, rng in RANGES.items():
    for v in ("nan", "inf", "-inf"):
        BAD.append(([f"{flag}={v}"], [flag, v, rng]))


@pytest.mark.parametrize("argv,words", BAD,
                         ids=[" ".join((b.values if hasattr(b, "values") else b)[0]) for b in BAD])
def test_bad_input_exit_2_one_line_nothing_written(argv, words, tmp_path, capsys):
    out_dir = tmp_path / "out"
    base = ["--d", "5", "--n", "20", "--m", "4", "--steps", "3", "--quiet"]
    code, out, err = run(["simulate", *base, *argv, "--out", str(out_dir)], capsys)
    assert_refused(code, out, err, words, out_dir)


def test_unwritable_out_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "records"
    code, out, err = run(["simulate", *SMALL, "--out", str(target)], capsys)
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and "--out" in line and str(target) in line and "directory" in line
    assert blocker.read_text() == "x" and os.listdir(tmp_path) == ["file"]


def test_diverging_run_exit_2_and_no_record(tmp_path, capsys):
    """ω_init² = 1e80 overflows float32 at initialisation: the run diverges at step 0."""
    out_dir = tmp_path / "out"
    code, out, err = run(
        ["simulate", *SMALL, "--init-var", "1e80", "--seeds", "2", "--out", str(out_dir)],
        capsys,
    )
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and "diverged" in line and "run 0" in line and "step 0" in line
    assert not out_dir.exists()


def test_unknown_command_and_missing_command_exit_2(capsys):
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run([], capsys)
    assert code == 2


def test_python_dash_m_bad_input_end_to_end(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    p = subprocess.run(
        [sys.executable, "-m", "twolayer", "simulate", "--noise", "0.5", "--out",
         str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == (
        "twolayer simulate: error: --noise 0.5 is invalid: valid range is [0, 0.5)"
    )
    assert not (tmp_path / "o").exists()


def test_the_summary_table_with_one_step_and_no_noise(capsys):
    """one column per distinct time (--steps 1: t=0 and t=1, not t=1 twice), and the clean /
    noisy gradient ratio is n/a without noisy samples (it would divide by |g_noisy| = 0)"""
    args = ["--d", "5", "--n", "40", "--n-test", "30", "--m", "6", "--device", "cpu"]
    code, out, _ = run(["simulate", *args, "--steps", "1", "--noise", "0"], capsys)
    assert code == 0
    head = next(line for line in out.splitlines() if line.startswith("mean over seeds"))
    assert head.split()[3:] == ["t=0", "t=1"]
    ratio = next(line for line in out.splitlines() if line.startswith("|g_clean| / |g_noisy|"))
    assert ratio.split()[-2:] == ["n/a", "n/a"]
    # noise 0.1 of n = 4 rounds to no noisy sample: n/a too (decided from the data)
    args = ["--d", "5", "--n", "4", "--n-test", "30", "--m", "6", "--device", "cpu"]
    code, out, _ = run(["simulate", *args, "--steps", "3", "--noise", "0.1"], capsys)
    ratio = next(line for line in out.splitlines() if line.startswith("|g_clean| / |g_noisy|"))
    assert code == 0 and ratio.split()[-3:] == ["n/a", "n/a", "n/a"]


def test_the_gradient_ratio_mean_leaves_out_the_runs_without_a_noisy_sample(capsys, tmp_path):
    """At noise 0.02 and n = 20 some of six runs draw no noisy sample: exactly those have the
    ratio undefined in the record (|g_noisy| = 0, decided from the record's noisy mask), and
    --json's mean is over the other runs, with their number in ``grad_ratio_init_runs``."""
    import math
    import statistics

    args = ["--d", "5", "--n", "20", "--n-test", "30", "--m", "6", "--steps", "3",
            "--noise", "0.02", "--seeds", "6", "--device", "cpu"]
    code, out, _ = run(["simulate", *args, "--json", "--out", str(tmp_path)], capsys)
    assert code == 0
    got = json.loads(out)
    rec = Record.load(got["record"])
    noisy_counts = rec.arrays["static/noisy"].sum(axis=1)
    with_noisy = [r for r in range(6) if noisy_counts[r] > 0]
    assert 0 < len(with_noisy) < 6  # the setting has both kinds of run (seed 0)
    g = rec.arrays["segments/grad_ratio"]
    for r in range(6):
        assert all(math.isfinite(x) for x in g[r]) == (r in with_noisy), r
    for key, t in (("grad_ratio_init", 0), ("grad_ratio_final", -1)):
        assert got[key] == pytest.approx(statistics.mean(float(g[r][t]) for r in with_noisy),
                                         rel=1e-12)
        assert got[key + "_runs"] == len(with_noisy)


@pytest.mark.parametrize("mode", [[], ["--json"], ["--quiet"]])
def test_simulate_prints_its_notes_before_training(mode, monkeypatch, capsys) -> None:
    """`--preset frei-fig2-high-d` on a CPU caps exact GD at 10^4 steps "and a note says so"
    (docs/integrators.md): the note came only after training (minutes at d = 5000), too late to
    act on. Now every note is on stderr before the training starts, in each output mode."""
    from twolayer.cli import build_parser
    from twolayer.commands import simulate as cmd

    seen: list[str] = []

    class Stop(Exception):
        pass

    def training_starts(cfg, runtime):  # the oracle: what stderr held when training began
        seen.append(capsys.readouterr().err)
        raise Stop

    monkeypatch.setattr(cmd, "simulate", training_starts)
    args = build_parser().parse_args(["simulate", "--preset", "frei-fig2-high-d",
                                      "--device", "cpu", *mode])
    with pytest.raises(Stop):
        cmd.run(args)
    assert len(seen) == 1
    assert "note: steps capped at 10000 on the CPU (paper: 10000000)" in seen[0], seen
