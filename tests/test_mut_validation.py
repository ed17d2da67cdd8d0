"""The edges of every valid range of the settings (config.py, commands/settings.py): the last
valid value is accepted and the first invalid one refused with a ConfigError naming the flag, the
value and the range, and on the command line with exit status 2, one line and nothing written.

The limits are the documented ones (docs, flag help, the config's docstrings), written out here
by hand: an off-by-one (``>`` for ``>=``), a dropped check or a wrong limit fails a test.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest
from cli_helpers import assert_refused, run

from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.errors import ConfigError

F32_MAX = float(np.finfo(np.float32).max)  # 3.4028234663852886e38
F32_TINY = float(np.finfo(np.float32).tiny)  # smallest positive normal float32
F64_TINY = float(np.finfo(np.float64).tiny)
SEED_TOP = 2**63 - 1 - 1_000_000  # seed + r must stay below 2^63 for R up to 10^6


def build(section: str | None, **kw) -> Config:
    sections = {"data": DataConfig, "net": NetConfig, "train": TrainConfig, "probe": ProbeConfig}
    dtype = kw.pop("dtype", "float32")
    if section is None:
        return Config(dtype=dtype, **kw)
    return Config(dtype=dtype, **{section: sections[section](**kw)})


# (section, fields, the field's value read back) for values at the very edge of their ranges
EDGE_VALID = [
    ("data", {"d": 2}, "d", 2),
    ("data", {"d": 20.0}, "d", 20),  # an integral float (a JSON number) is the integer
    ("data", {"n": 1}, "n", 1),
    ("data", {"n_test": 1}, "n_test", 1),
    ("data", {"noise": 0.0}, "noise", 0.0),
    ("data", {"noise": math.nextafter(0.5, 0)}, "noise", math.nextafter(0.5, 0)),
    ("data", {"noise": 1.0, "noise_model": "random"}, "noise", 1.0),
    ("data", {"sigma2": F32_TINY}, "sigma2", F32_TINY),
    ("net", {"m": 2}, "m", 2),
    ("net", {"init_var": F32_TINY}, "init_var", F32_TINY),
    ("train", {"lr": F32_TINY}, "lr", F32_TINY),
    ("train", {"lr": F32_MAX}, "lr", F32_MAX),
    ("train", {"steps": 0}, "steps", 0),
    ("train", {"steps": 10**12}, "steps", 10**12),
    ("train", {"batch_size": 1}, "batch_size", 1),
    ("train", {"integrator": "flow", "rtol": 1e-8}, "rtol", 1e-8),
    ("train", {"integrator": "flow", "rtol": 0.1}, "rtol", 0.1),
    ("train", {"integrator": "auto", "switch": 0}, "switch", 0),
    ("probe", {"num_times": 2}, "num_times", 2),
    ("probe", {"num_times": 1_000_000}, "num_times", 1_000_000),
    ("probe", {"dense_until": 0}, "dense_until", 0),
    (None, {"seeds": 1}, "seeds", 1),
    (None, {"seed": 0}, "seed", 0),
    (None, {"seed": SEED_TOP}, "seed", SEED_TOP),
]


@pytest.mark.parametrize("section, fields, name, value", EDGE_VALID,
                         ids=[f"{e[2]}={e[3]!r}" for e in EDGE_VALID])
def test_the_last_valid_value_is_accepted(section, fields, name, value):
    cfg = build(section, **fields)
    got = getattr(getattr(cfg, section) if section else cfg, name)
    assert got == value and type(got) is type(value)


def test_batch_size_n_is_full_batch_sgd_and_accepted():
    cfg = Config(data=DataConfig(n=10), train=TrainConfig(batch_size=10))
    assert cfg.train.batch_size == 10


def test_float64_accepts_values_below_float32s_smallest_normal():
    cfg = Config(data=DataConfig(sigma2=1e-300), net=NetConfig(init_var=1e-300),
                 train=TrainConfig(lr=F64_TINY), dtype="float64")
    assert (cfg.data.sigma2, cfg.net.init_var, cfg.train.lr) == (1e-300, 1e-300, F64_TINY)
    assert Config(train=TrainConfig(lr=1e300), dtype="float64").train.lr == 1e300


# (section, fields, flag, value, words of the valid range in the message)
EDGE_INVALID = [
    ("data", {"noise": 0.5, "noise_model": "per-cluster"}, "noise", 0.5, "[0, 0.5)"),
    ("data", {"noise": 0.7, "noise_model": "one-cluster"}, "noise", 0.7, "[0, 0.5)"),
    ("data", {"noise": math.nextafter(1.0, 2), "noise_model": "random"}, "noise",
     math.nextafter(1.0, 2), "[0, 1]"),
    ("data", {"sigma2": math.nextafter(F32_TINY, 0)}, "sigma2", math.nextafter(F32_TINY, 0),
     "[1.175e-38, 3.403e+38]"),
    ("net", {"init_var": math.nextafter(F32_TINY, 0)}, "init_var",
     math.nextafter(F32_TINY, 0), "[1.175e-38, 3.403e+38]"),
    ("train", {"lr": math.nextafter(F32_TINY, 0)}, "lr", math.nextafter(F32_TINY, 0),
     "[1.175e-38, 3.403e+38]"),
    ("train", {"lr": math.nextafter(F32_MAX, math.inf)}, "lr",
     math.nextafter(F32_MAX, math.inf), "[1.175e-38, 3.403e+38]"),
    # above float32's largest number (inf in the tensors): a "divergence at step 0" naming
    # --lr and --init-var until session 48 (an ω_init² that overflows still diverges at step 0,
    # naming --init-var: tests/test_cli.py, tests/test_sweep.py)
    ("data", {"sigma2": math.nextafter(F32_MAX, math.inf)}, "sigma2",
     math.nextafter(F32_MAX, math.inf), "[1.175e-38, 3.403e+38]"),
    ("train", {"steps": 10**12 + 1}, "steps", 10**12 + 1, "[0, 1000000000000]"),
    ("train", {"integrator": "flow", "rtol": math.nextafter(1e-8, 0)}, "rtol",
     math.nextafter(1e-8, 0), "[1e-8, 0.1]"),
    ("train", {"integrator": "flow", "rtol": math.nextafter(0.1, 1)}, "rtol",
     math.nextafter(0.1, 1), "[1e-8, 0.1]"),
    ("train", {"integrator": "auto", "switch": -1}, "switch", -1, ">= 0"),
    ("train", {"integrator": "flow", "batch_size": 5}, "integrator", "flow", "--batch-size"),
    ("probe", {"num_times": 1_000_001}, "num_times", 1_000_001, "<= 1000000"),
    ("probe", {"dense_until": -1}, "dense_until", -1, ">= 0"),
    (None, {"seed": SEED_TOP + 1}, "seed", SEED_TOP + 1, f"[0, {SEED_TOP}]"),
]


@pytest.mark.parametrize("section, fields, flag, value, words", EDGE_INVALID,
                         ids=[f"{e[2]}={e[3]!r}" for e in EDGE_INVALID])
def test_the_first_invalid_value_is_refused_naming_flag_value_range(section, fields, flag,
                                                                    value, words):
    with pytest.raises(ConfigError) as e:
        build(section, **fields)
    msg = str(e.value)
    assert e.value.field == flag
    assert msg.startswith("--" + flag.replace("_", "-") + " " + repr(value)), msg
    assert words in msg, msg
    assert "\n" not in msg


def test_sigma2_is_checked_for_every_kind_with_a_scale():
    """The kinds' positive scales (xor and clusters σ², badger's mean_var, gaussian's σ² range)
    are refused below float32's smallest normal number (they would be subnormal or 0)."""
    tiny = math.nextafter(F32_TINY, 0)
    for kind, fields, name in (("clusters", {"sigma2": tiny}, "sigma2"),
                               ("gaussian", {"sigma2_min": tiny}, "sigma2_min")):
        with pytest.raises(ConfigError) as e:
            Config(data=DataConfig(kind=kind, **fields))
        assert e.value.field == name and "underflows float32" in str(e.value)


# -- the command line -------------------------------------------------------------------------
BASE = ["simulate", "--d", "5", "--n", "20", "--m", "4", "--steps", "3", "--quiet",
        "--device", "cpu"]


@pytest.mark.parametrize("argv, words", [
    # a negative value after a space (not --flag=value) reaches validation, not argparse
    (["--lr", "-inf"], ["--lr", "-inf", "> 0"]),
    (["--init-var", "-inf"], ["--init-var", "-inf", "> 0"]),
    (["--noise", "-nan"], ["--noise", "nan", "[0, 0.5)"]),
    (["--lr", "-1e-3"], ["--lr -1e-3 is invalid", "> 0"]),
    (["--d", "nan"], ["--d", "nan", ">= 2"]),
    (["--seeds", "nan"], ["--seeds", "nan", ">= 1"]),
    (["--threads", "1025"], ["--threads", "1025", "<= 1024"]),
    (["--threads", "0"], ["--threads", "0", ">= 1"]),
    (["--budget", "0"], ["--budget", "0", ">= 1"]),
    (["--probes", ","], ["--probes", "names no probe"]),
    (["--probes", "errors,nosuchprobe"], ["--probes", "nosuchprobe", "known probes"]),
    (["--rtol", "0.5", "--integrator", "flow"], ["--rtol", "0.5", "[1e-8, 0.1]"]),
    (["--noise", "0.5", "--noise-model", "per-cluster"], ["--noise", "0.5", "[0, 0.5)"]),
])
def test_cli_refuses_with_one_line_exit_2_nothing_written(argv, words, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run([*BASE, *argv, "--out", str(out_dir)], capsys)
    assert_refused(code, out, err, words, out_dir)


def test_threads_and_budget_edges():
    """--threads: an integer in [1, 1024] or auto (bools are not counts); --budget >= 1."""
    from twolayer.commands.settings import MAX_THREADS, runtime_budget, runtime_threads

    assert MAX_THREADS == 1024
    ns = argparse.Namespace
    assert runtime_threads(ns(threads=1)) == 1
    assert runtime_threads(ns(threads=1024)) == 1024
    assert runtime_threads(ns(threads="auto")) is None
    for bad in (0, 1025, True, 2.0):
        with pytest.raises(ConfigError) as e:
            runtime_threads(ns(threads=bad))
        assert e.value.field == "threads"
    assert runtime_budget(ns(budget=1)) == 1
    assert runtime_budget(ns(budget=None)) is None
    for bad in (0, -1, True):
        with pytest.raises(ConfigError) as e:
            runtime_budget(ns(budget=bad))
        assert e.value.field == "budget"


def test_a_preset_switches_to_the_flow_only_on_a_gpu_and_caps_steps_only_on_a_cpu():
    """frei-fig2 presets: 10^7 paper steps; on a CPU capped at 10^4 (exact GD); on a GPU exact
    GD for 100 steps then the gradient flow, unless --steps or --integrator is given."""
    from twolayer.cli import build_parser
    from twolayer.commands.settings import config_from_args

    def cfg_of(argv, cpu):
        return config_from_args(build_parser().parse_args(["simulate", *argv]), cpu)

    cfg, notes = cfg_of(["--preset", "frei-fig2-low-d"], True)
    assert (cfg.train.steps, cfg.train.integrator) == (10_000, "gd") and len(notes) == 1
    cfg, notes = cfg_of(["--preset", "frei-fig2-low-d"], False)
    assert (cfg.train.steps, cfg.train.integrator, cfg.train.switch) == (10**7, "auto", 100)
    cfg, notes = cfg_of(["--preset", "frei-fig2-low-d", "--integrator", "gd"], False)
    assert (cfg.train.steps, cfg.train.integrator, notes) == (10**7, "gd", [])
    cfg, notes = cfg_of(["--preset", "frei-fig2-low-d", "--steps", "500"], False)
    assert (cfg.train.steps, cfg.train.integrator, notes) == (500, "gd", [])
    cfg, notes = cfg_of(["--preset", "frei-fig2-low-d", "--steps", "20000"], True)
    assert (cfg.train.steps, notes) == (20_000, [])  # an explicit --steps is never capped


def test_a_blank_out_is_refused_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    """--out of spaces only is no directory: exit 2 before any work, one line, no folder
    named "  " in the working directory."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run([*BASE, "--out", "  "], capsys)
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and "--out '  '" in line
    assert list(tmp_path.iterdir()) == []


def test_a_streaming_kind_needs_a_batch_size_below_n(monkeypatch):
    """A kind that draws fresh minibatches has no full batch: --batch-size must be < n (n is
    then only the size of the fixed sets the probes see); n itself and no batch size are
    refused naming --batch-size."""
    import dataclasses

    import torch

    from twolayer import config as config_module
    from twolayer.data.stream import streaming_kind

    @dataclasses.dataclass(frozen=True)
    class SConfig(DataConfig):
        kind: str = "mut_stream"

    def draw(cfg, n, gen, dtype):
        x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
        return x, torch.where(x[:, 0] > 0, 1.0, -1.0).to(dtype), torch.zeros(n, dtype=torch.long)

    monkeypatch.setitem(config_module._DATA_KINDS, "mut_stream",
                        streaming_kind("mut_stream", SConfig, draw))
    data = DataConfig(kind="mut_stream", n=10)
    assert Config(data=data, train=TrainConfig(batch_size=9)).train.batch_size == 9
    for bs in (10, None):
        with pytest.raises(ConfigError) as e:
            Config(data=data, train=TrainConfig(batch_size=bs))
        assert e.value.field == "batch_size" and "< n = 10" in str(e.value)
