"""docs/sweeps.md's promises about `twolayer sweep`, checked as a user reads them (the `ue`
audit)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sweep_helpers import stub_sbatch

from twolayer.cli import main


@pytest.fixture(autouse=True)
def _plugin_env(monkeypatch):
    """A spec's `plugins` are named to the workers in TWOLAYER_PLUGINS (set in this process):
    put it back after each test, so that later tests' workers do not load these tests' plugins
    (their tmp_path files gone)."""
    import os

    from twolayer import config
    from twolayer.plugins import PLUGIN_ENV

    monkeypatch.setenv(PLUGIN_ENV, os.environ.get(PLUGIN_ENV, ""))
    kinds = set(config._DATA_KINDS)
    yield
    for name in set(config._DATA_KINDS) - kinds:  # this test's plugins' kinds: forgotten
        config._DATA_KINDS.pop(name)


BIG = """seeds = 4
[base]
data.d = 200000
data.n = 1000000
net.m = 2000
[axes]
data.noise = [0.1, 0.2]
"""


def free_masked(line: str) -> str:
    """The line with its numbers masked: it names the free memory measured at that moment
    (MemAvailable) and the largest value that fits it, which move between two calls on a
    machine where other jobs run."""
    return re.sub(r"\d+(\.\d+)?", "N", line)


def test_a_dry_run_refuses_the_spec_the_real_run_refuses_for_its_size(tmp_path, capsys,
                                                                      monkeypatch) -> None:
    """`--dry-run` ("validate the spec, ... write nothing") passed a spec whose engine calls
    cannot fit this machine (exit 0), which the real run then refused at once (exit 2 naming
    the spec key): the dry run now refuses it the same way."""
    monkeypatch.delenv("TWOLAYER_NO_LIMITS", raising=False)
    spec = tmp_path / "big.toml"
    spec.write_text(BIG)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    real = capsys.readouterr().err.strip()
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 2
    dry = capsys.readouterr()
    assert free_masked(dry.err.strip()) == free_masked(real)
    assert len(real.splitlines()) == 1
    assert "base.data." in real and not out.exists() and dry.out == ""
    # a Dask LocalCluster's workers run here too: the same line, not a worker's MemoryError
    # traceback after the store was created
    assert main(["sweep", str(spec), "--out", str(out), "--executor", "dask"]) == 2
    assert free_masked(capsys.readouterr().err.strip()) == free_masked(real)
    assert not out.exists()
    # and so do submitit's local and debug "clusters"
    for cluster in ("local", "debug"):
        spec.write_text(BIG + f'[slurm]\ncluster = "{cluster}"\n')
        assert main(["sweep", str(spec), "--out", str(out), "--executor", "slurm"]) == 2
        assert free_masked(capsys.readouterr().err.strip()) == free_masked(real)
        assert not out.exists()


SWEEPS_MD = Path(__file__).resolve().parents[1] / "docs" / "sweeps.md"


def _doc() -> str:
    return " ".join(SWEEPS_MD.read_text().split())


def test_a_point_with_more_seeds_than_group_runs_is_one_call(tmp_path, capsys) -> None:
    """docs/sweeps.md said `group_runs` caps the runs per engine call; a point's seeds are never
    split, so a point with more seeds than the cap is a call of its own (the page says so)."""
    spec = tmp_path / "s.toml"
    spec.write_text("seeds = 3\n[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n"
                    "[run]\ngroup_runs = 2\n[axes]\ndata.noise = [0.1, 0.2]\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 0
    assert "; 2 engine calls;" in capsys.readouterr().out  # 2 points of 3 runs, cap 2
    assert "one with more seeds than `group_runs` is a call of its own" in _doc()


def test_sweep_refuses_a_repeated_probe_that_simulate_drops(tmp_path, capsys) -> None:
    """docs/sweeps.md said a sweep refuses a probe named twice "as `simulate --probes`" does;
    simulate drops the repeat (the page now says so)."""
    spec = tmp_path / "s.toml"
    spec.write_text('[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n'
                    'probe.probes = ["errors", "errors"]\n[axes]\ndata.noise = [0.1]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    assert "base.probe.probes" in capsys.readouterr().err
    assert main(["simulate", "--d", "4", "--n", "20", "--n-test", "20", "--m", "4",
                 "--steps", "2", "--probes", "errors,errors", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["probe"]["probes"] == ["errors"]
    assert "`simulate --probes` refuses an empty list too but drops a repeated name" in _doc()


def test_a_resume_says_how_many_stored_points_are_recorded_failures(tmp_path, capsys) -> None:
    """A resume of a sweep whose points had diverged reported "2 already stored, ...,
    0 diverged": the recorded failures, skipped, were not told apart from stored results."""
    spec = tmp_path / "s.toml"
    spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n"
                    "train.lr = 1e30\nnet.init_var = 1.0\n[axes]\ndata.noise = [0.1, 0.2]\n")
    args = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet"]
    # every point diverged: exit 2 (nothing could be trained), after the report
    assert main([*args, "--json"]) == 2
    first = json.loads(capsys.readouterr().out)
    assert len(first["failed"]) == 2 and first["failed_before"] == []
    assert main([*args, "--json"]) == 2
    again = json.loads(capsys.readouterr().out)
    assert again["skipped"] == 2 and again["failed"] == []
    assert sorted(again["failed_before"]) == sorted(first["failed"])
    assert main(args) == 2
    line = capsys.readouterr().out.splitlines()[0]
    assert "2 already stored (2 of them recorded as diverged before; --force retries them)" in line


@pytest.mark.parametrize("executor", [["--executor", "slurm"],
                                      ["--executor", "dask", "--address", "tcp://127.0.0.1:9"]])
def test_device_flag_names_the_remote_workers_device(tmp_path, capsys, monkeypatch,
                                                     executor) -> None:
    """`--device cuda` with SLURM or a remote Dask cluster was checked against the submitting
    machine ("no CUDA GPU is available here", exit 2), while the same device in the spec's
    [run] table passed: the workers run elsewhere, so only the name is checked."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    stub_sbatch(tmp_path, monkeypatch)  # a dry run refuses slurm without sbatch
    spec = tmp_path / "s.toml"
    spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n"
                    "[axes]\ndata.noise = [0.1]\n")  # [slurm] cluster: "slurm", other nodes
    args = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run", *executor]
    assert main([*args, "--device", "cuda"]) == 0
    assert "1 points x 1 seeds" in capsys.readouterr().out
    assert main([*args, "--device", "gpu"]) == 2  # a name no machine has is still refused
    assert "--device 'gpu'" in capsys.readouterr().err
    local = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run", "--device", "cuda"]
    assert main(local) == 2  # the local pool's workers run here
    assert "no CUDA GPU" in capsys.readouterr().err


def test_a_dask_local_clusters_device_is_checked_here(tmp_path, capsys, monkeypatch) -> None:
    """`[run] device = "cuda"` with `--executor dask` (a LocalCluster on this machine) passed
    the checks on a machine without a GPU: the store was created, then every worker failed
    with a Dask traceback. It is exit 2 naming run.device before anything is written, as for
    the local pool."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    spec = tmp_path / "s.toml"
    spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n"
                    "[run]\ndevice = \"cuda\"\n[axes]\ndata.noise = [0.1]\n")
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--executor", "dask", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run.device" in err and not out.exists()


BROKEN_KIND = '''
from dataclasses import dataclass

import torch

from twolayer.api import DataConfig, register_data_kind, streaming_kind


@dataclass(frozen=True)
class BrokenConfig(DataConfig):
    kind: str = "ue-broken"


def draw(cfg, n, gen, dtype):
    raise ValueError("boom")


register_data_kind(streaming_kind("ue-broken", BrokenConfig, draw, flags=()))
'''


@pytest.mark.slow
def test_a_plugin_mistake_in_a_dask_local_cluster_is_one_line(tmp_path, capfd) -> None:
    """A plugin's data kind that raises is one line naming its file and line, exit 2 (docs/
    extending.md); under `--executor dask` the LocalCluster's workers also logged the task's
    traceback to stderr."""
    (tmp_path / "kind.py").write_text(BROKEN_KIND)
    spec = tmp_path / "s.toml"
    spec.write_text('plugins = ["kind.py"]\n[base]\ndata.kind = "ue-broken"\ndata.d = 4\n'
                    'data.n = 20\nnet.m = 4\ntrain.steps = 2\ntrain.batch_size = 5\n'
                    '[axes]\ndata.noise = [0.1]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet",
                 "--executor", "dask"]) == 2
    err = capfd.readouterr().err.strip()  # the workers' stderr too (other processes)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "kind.py:" in err and "boom" in err


@pytest.mark.slow
def test_a_plugin_mistake_in_a_submitit_local_job_is_one_line(tmp_path, capfd) -> None:
    """Under `--executor slurm` a job that failed on a plugin's mistake ended the command with
    submitit's FailedJobError: two tracebacks (ours and the job's), exit 1. It is the job's
    one line, exit 2, with the job's log named."""
    (tmp_path / "kind.py").write_text(BROKEN_KIND.replace("ue-broken", "ue-broken-job"))
    spec = tmp_path / "s.toml"
    spec.write_text('plugins = ["kind.py"]\n[base]\ndata.kind = "ue-broken-job"\ndata.d = 4\n'
                    'data.n = 20\nnet.m = 4\ntrain.steps = 2\ntrain.batch_size = 5\n'
                    '[axes]\ndata.noise = [0.1]\n[slurm]\ncluster = "local"\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet",
                 "--executor", "slurm"]) == 2
    err = capfd.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "kind.py:" in err and "boom" in err and "_log.err" in err


def test_verify_of_a_folder_without_a_store_is_refused_and_creates_nothing(tmp_path,
                                                                           capsys) -> None:
    """`sweep --verify --out <a typo>` created the folder (its lock file) and reported
    "0 intact, 0 quarantined", exit 0, as if a store had been checked; `store verify` refuses
    such a folder. Now the sweep refuses it too, exit 2, and creates nothing."""
    spec = tmp_path / "s.toml"
    spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n"
                    "[axes]\ndata.noise = [0.1]\n")
    out = tmp_path / "typo"
    assert main(["sweep", str(spec), "--out", str(out), "--verify"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--out" in err and len(err.splitlines()) == 1 and not out.exists()
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0  # a real store
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--verify"]) == 0
    assert capsys.readouterr().out.startswith("1 intact, 0 quarantined")


@pytest.mark.parametrize("text, key", [
    ("[axes]\ntrain.rtol = [0.01, 0.001, 0.0001]\n", "axes.train.rtol"),
    ("[base]\ntrain.rtol = 0.01\n[axes]\ndata.noise = [0.1]\n", "base.train.rtol"),
    ('[base]\ntrain.integrator = "flow"\n[axes]\ntrain.switch = [10, 20]\n',
     "axes.train.switch"),
])
def test_an_integrator_setting_the_points_ignore_is_refused(tmp_path, capsys, text,
                                                            key) -> None:
    """A sweep over train.rtol under exact GD ran as three points with one run id: the tables
    listed three rtol values, the report said "2 already stored" on a fresh store, and every
    point was the same run. Refused now, as `simulate --rtol` without flow or auto is."""
    spec = tmp_path / "s.toml"
    spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n"
                    + text.replace("[base]\n", ""))
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{key} = " in err and "applies only with" in err
    ok = text.replace("[axes]\ntrain.rtol", '[axes]\ntrain.integrator = ["flow"]\ntrain.rtol')
    if ok != text:  # the same axis under the flow: three runs
        spec.write_text("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 2\n" + ok)
        assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 0
        ids = [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]]
        assert len(ids) == len(set(ids)) == 3


def test_two_points_of_one_setting_are_refused() -> None:
    """Any axis the points' configs do not use (two points, one run id) is named."""
    from twolayer.sweep.spec import SpecError, check_distinct, loads

    spec = loads("[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\n[axes]\ndata.noise = [0.1, 0.2]\n")
    a, b = spec.points()
    twin = type(b)(b.index, {"data.noise": 0.3}, a.config)  # b's axis value, a's config
    with pytest.raises(SpecError, match=r"axes\.data\.noise = \[0\.1, 0\.3\].*points 0 and 1"):
        check_distinct([a, twin], {}, "spec")


GOOD_KIND = BROKEN_KIND.replace('    raise ValueError("boom")',
                                '    x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)\n'
                                '    y = torch.where(x[:, 0] > 0, 1, -1)\n'
                                '    return x, y, (x[:, 0] < 0).long()').replace(
                                    "ue-broken", "ue-remote")


@pytest.mark.slow
def test_a_remote_dask_cluster_loads_the_specs_plugins(tmp_path, capsys, monkeypatch) -> None:
    """A spec whose `plugins` register its data kind failed on every task of a Dask cluster
    reached with --address ("--data 'ue-broken' is invalid: valid choices are xor, ..."): the
    plugins reached the local workers through the environment only. The tasks now carry the
    plugin paths (which must exist on the workers), and the records equal the local pool's."""
    from distributed import LocalCluster

    from twolayer.plugins import PLUGIN_ENV

    monkeypatch.delenv(PLUGIN_ENV, raising=False)  # workers started without it: "remote"
    (tmp_path / "kind.py").write_text(GOOD_KIND)
    spec = tmp_path / "s.toml"
    spec.write_text('plugins = ["kind.py"]\n[base]\ndata.kind = "ue-remote"\ndata.d = 4\n'
                    'data.n = 20\nnet.m = 4\ntrain.steps = 3\ntrain.batch_size = 5\n'
                    '[axes]\ndata.noise = [0.1, 0.2]\n')
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:
        remote = tmp_path / "remote"
        assert main(["sweep", str(spec), "--out", str(remote), "--quiet", "--executor", "dask",
                     "--address", cluster.scheduler_address]) == 0
    local = tmp_path / "local"
    assert main(["sweep", str(spec), "--out", str(local), "--quiet"]) == 0
    assert (remote / "summary.csv").read_text() == (local / "summary.csv").read_text()
    capsys.readouterr()
