"""Same config, same seed, same device → same record; and the experiments' store reuses a
record only where the code path that would train it again gives the same bits.

Oracles here are arrays compared with numpy (``np.array_equal``, dtype and shape), never the
code's own equality helpers: where two ways of training the same config give other arrays, the
store's key must keep them apart.

Found on 2026-12-05: the key named the device type but not the CPU path, so a store filled by a
build with the C extension (or on a host whose PyTorch dispatches to AVX-512) served its runs to
a PyTorch-fallback build (or an AVX2 host) as its own, though 10-20 of a record's arrays differ
in their last digits; and a record trained inside ``net.use_tuning(fused_cpu=False)`` said
``fused`` in ``meta.cpu_kernels``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import twolayer as tl
from twolayer import net
from twolayer.commands.store import stale_entry
from twolayer.engine import Runtime
from twolayer.experiments import EXPERIMENTS, Experiment, Runs
from twolayer.net import cpu_kernels

ROOT = Path(__file__).resolve().parent.parent
RT = Runtime(device="cpu", progress=False, threads=1)
CFG = dict(d=12, n=60, n_test=40, m=16, steps=25, seeds=3)


def _cfg() -> tl.Config:
    c = CFG
    return tl.Config(data=tl.DataConfig(d=c["d"], n=c["n"], n_test=c["n_test"]),
                     net=tl.NetConfig(m=c["m"]), train=tl.TrainConfig(steps=c["steps"]),
                     seeds=c["seeds"])


def _fake(monkeypatch, name: str = "xbrepro.exp") -> None:
    def run(quick, seeds, runtime):  # pragma: no cover - only keyed here
        raise AssertionError

    monkeypatch.setitem(EXPERIMENTS, name, Experiment(name, "xbrepro", run, 1))


def _differing(a: dict, b: dict) -> list[str]:
    assert set(a) == set(b)
    return [k for k in a if not (a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
                                 and np.array_equal(a[k], b[k], equal_nan=True))]


def test_the_same_config_twice_gives_the_same_arrays():
    a = tl.simulate(_cfg(), RT)
    b = tl.simulate(_cfg(), RT)
    assert a.run_id == b.run_id
    assert _differing(a.arrays, b.arrays) == []
    assert np.array_equal(a.times, b.times) and a.times.dtype == b.times.dtype


# a child process: train CFG and print the store key of a CPU Runs and where the arrays went
_CHILD = """
import json, sys
import numpy as np
import twolayer as tl
from twolayer.engine import Runtime
from twolayer.experiments import EXPERIMENTS, Experiment, Runs
c = json.loads(sys.argv[1])
cfg = tl.Config(data=tl.DataConfig(d=c["d"], n=c["n"], n_test=c["n_test"]),
                net=tl.NetConfig(m=c["m"]), train=tl.TrainConfig(steps=c["steps"]),
                seeds=c["seeds"])
rec = tl.simulate(cfg, Runtime(device="cpu", progress=False, threads=1))
np.savez(sys.argv[2], **{k.replace("/", "|"): v for k, v in rec.arrays.items()})
EXPERIMENTS["xbrepro.exp"] = Experiment("xbrepro.exp", "xbrepro", lambda *a: None, 1)
key = Runs(quick=True, runtime=Runtime(device="cpu", progress=False)).key("xbrepro.exp")
print(json.dumps({"key": key, "meta": rec.meta}))
"""


def test_another_cpu_instruction_set_is_keyed_apart(monkeypatch, tmp_path):
    """PyTorch's CPU kernels dispatch on the host's instruction set (ATEN_CPU_CAPABILITY=default
    forces the plain one): where that changes a record's arrays, the experiments' store key
    differs, so a store shared by two hosts never serves one host's runs to the other, and the
    record names the instruction set."""
    if torch.backends.cpu.get_cpu_capability() == "DEFAULT":
        pytest.skip("this host's PyTorch already runs its plain CPU kernels")
    _fake(monkeypatch)
    here = tl.simulate(_cfg(), RT)
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(CFG), str(tmp_path / "a")],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        there = {k.replace("|", "/"): z[k] for k in z.files}
    assert _differing(here.arrays, there), "the instruction set changed no bit of this run"
    key = Runs(quick=True, runtime=RT).key("xbrepro.exp")
    assert key != child["key"]
    assert key["cpu"]["isa"] == torch.backends.cpu.get_cpu_capability()
    assert child["key"]["cpu"]["isa"] == "DEFAULT" == child["meta"]["cpu_capability"]
    assert here.meta["cpu_capability"] == key["cpu"]["isa"]


def test_the_cpu_kernel_path_is_keyed_and_recorded(monkeypatch):
    """Inside ``net.use_tuning(fused_cpu=False)`` the PyTorch ops run: the record says so, and
    the key is the fallback's. With the C extension built, the two paths give other arrays
    (numpy), and their keys differ; without it both are the fallback, one key."""
    _fake(monkeypatch)
    fused = tl.simulate(_cfg(), RT)
    k_fused = Runs(quick=True, runtime=RT).key("xbrepro.exp")
    with net.use_tuning(fused_cpu=False):
        plain = tl.simulate(_cfg(), RT)
        k_plain = Runs(quick=True, runtime=RT).key("xbrepro.exp")
    assert plain.meta["cpu_kernels"].startswith("torch (switched off")
    assert k_plain["cpu"]["kernels"] == "torch"
    built = cpu_kernels.status().startswith("fused")
    assert fused.meta["cpu_kernels"].startswith("fused" if built else "torch")
    if _differing(fused.arrays, plain.arrays):
        assert built and k_fused != k_plain
    else:  # the same bits: one key
        assert k_fused == k_plain


def test_prune_removes_cpu_entries_made_before_keys_named_the_cpu_path(monkeypatch):
    _fake(monkeypatch)
    key = Runs(quick=True, runtime=RT).key("xbrepro.exp")
    assert stale_entry(key) is None
    old = {k: v for k, v in key.items() if k != "cpu"}
    assert "CPU kernel path" in (stale_entry(old) or "")
    other_host = dict(key, cpu={"kernels": "torch", "isa": "SOMETHING_ELSE"})
    assert stale_entry(other_host) is None  # another host sharing the store: kept
    gpu = dict(old, device="cuda")
    assert stale_entry(gpu) is None


def test_a_record_names_the_block_budget_that_cut_its_kernel():
    """``--budget`` (Runtime.budget) cuts the runs into other blocks: where that changes the
    arrays (numpy), the records' meta tell the two apart (``block_budget``); the config, and so
    the run id, are the same."""
    whole = tl.simulate(_cfg(), RT)
    small = tl.simulate(_cfg(), Runtime(device="cpu", progress=False, threads=1, budget=500))
    assert whole.run_id == small.run_id
    assert small.meta["block_budget"] == 500
    assert whole.meta["block_budget"] == net.device_budget(torch.device("cpu"))
    if _differing(whole.arrays, small.arrays):
        assert whole.meta["block_budget"] != small.meta["block_budget"]


def test_a_record_read_back_has_the_summary_it_was_saved_with(tmp_path):
    """A summary number that is finite in no run (no noisy sample: noisy_fit_fraction, and
    ‖g_C‖/‖g_N‖ = inf) is NaN in memory and null in record.json; read back, from a folder or
    from the store, it is NaN again (it was None: a stored run's summary differed from the
    fresh one's)."""
    from twolayer.record import Record
    from twolayer.store import RecordStore

    cfg = tl.Config(data=tl.DataConfig(d=12, n=60, n_test=40, noise=0.0),
                    net=tl.NetConfig(m=16), train=tl.TrainConfig(steps=5), seeds=2)
    rec = tl.simulate(cfg, RT)
    undefined = [k for k, v in rec.summary.items() if isinstance(v, float) and np.isnan(v)]
    assert "noisy_fit_fraction" in undefined  # the case this test is about
    store = RecordStore(tmp_path / "store")
    store.put_entry({"xb": 1}, {"a": rec})
    for back in (Record.load(rec.save(tmp_path / "saved")), store.get_entry({"xb": 1})["a"]):
        assert set(back.summary) == set(rec.summary)
        for k, v in rec.summary.items():
            w = back.summary[k]
            if k in undefined:
                assert isinstance(w, float) and np.isnan(w), (k, w)
            else:
                assert w == v and type(w) is type(v), (k, v, w)
