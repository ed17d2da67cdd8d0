"""Sweeps, the phase diagrams' sweep stores and spec validation, as a new user meets them (found
by playing the documented user stories through, 2026-12-05): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_refused, run
from sweep_helpers import TINY_BASE

from twolayer.cli import main

TINY = "\nseeds = 1" + TINY_BASE


@pytest.mark.parametrize("mode", [["--dry-run"], []])
def test_sweep_threads_beyond_the_cap_exit_2(tmp_path: Path, capsys, mode) -> None:
    """``--threads 100000`` passed a dry run and then killed the pool's worker in
    torch.set_num_threads: a BrokenProcessPool traceback, exit 1, spec.toml already written.
    Refused like simulate's --threads (at most 1024), before anything is written."""
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    code, o, err = run(["sweep", str(spec), "--out", str(out), "--quiet", "--threads", "100000",
                        *mode], capsys)
    assert_refused(code, o, err, ["--threads 100000", "1024"], out)
    code, o, err = run(["sweep", str(spec), "--out", str(out), "--dry-run", "--threads", "1024"],
                       capsys)
    assert code == 0 and not out.exists(), err


def test_figures_no_store_keeps_no_phase_sweep(tmp_path: Path, monkeypatch) -> None:
    """``figures --no-store`` ("train everything, store nothing") still wrote the phase
    diagram's sweep store into $TWOLAYER_CACHE/sweeps and reused it. Now it trains the points
    into a temporary store and keeps nothing; the figure is the same as from the cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TWOLAYER_CACHE", str(cache))
    argv = ["figures", "--quick", "--quiet", "--device", "cpu", "--only", "phase-amplification"]
    assert main([*argv, "--out", str(tmp_path / "a"), "--no-store"]) == 0
    assert not cache.exists()
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert (cache / "sweeps" / "phase-amplification-quick" / "records").is_dir()
    png = "phase-amplification.png"
    assert (tmp_path / "a" / png).read_bytes() == (tmp_path / "b" / png).read_bytes()


@pytest.mark.parametrize("listing", [[], ["--list"]])
def test_an_unusable_twolayer_cache_is_exit_2_before_any_work(tmp_path: Path, capsys,
                                                              monkeypatch, listing) -> None:
    """$TWOLAYER_CACHE naming a file stopped ``figures`` with a NotADirectoryError traceback
    (exit 1) when it reached a phase diagram, after the figures before it were drawn."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("TWOLAYER_CACHE", str(blocker))
    out = tmp_path / "figs"
    code, o, err = run(["figures", "--quick", "--quiet", "--device", "cpu", "--out", str(out),
                        "--only", "frei2023-fig1", "phase-amplification", *listing], capsys)
    assert_refused(code, o, err, ["TWOLAYER_CACHE", str(blocker), "not a directory"], out)


@pytest.mark.parametrize("section, text, key", [
    ("[axes]", 'probe.probes = [["errors"], ["errors", "errors"]]', "axes.probe.probes"),
    ("[base]", 'probe.probes = ["segments", "errors", "segments"]', "base.probe.probes"),
    ("[base]", "probe.probes = []", "base.probe.probes"),
])
def test_a_probe_list_with_repeats_or_none_exits_2(tmp_path: Path, capsys, section, text,
                                                   key) -> None:
    """A spec's probe list naming a probe twice was accepted: ["errors", "errors"] trained
    the same computation as ["errors"] under another run id (an axis of the two passed the
    distinct-values check), and an empty list trained runs that measure nothing; simulate's
    --probes drops repeats and refuses none."""
    from twolayer.config import Config, ProbeConfig

    spec = tmp_path / "p.toml"
    spec.write_text(TINY.replace("[base]", "[base]\n" + text if section == "[base]" else "[base]")
                    + (f"{section}\n{text}\n" if section == "[axes]" else ""))
    out = tmp_path / "store"
    code, o, err = run(["sweep", str(spec), "--out", str(out), "--quiet"], capsys)
    assert_refused(code, o, err, [key, "each once"], out)
    # the oracle of the bug: the two lists were two run ids
    assert (Config(probe=ProbeConfig(probes=("errors", "errors"))).run_id
            != Config(probe=ProbeConfig(probes=("errors",))).run_id)


@pytest.mark.parametrize("name", ["a\nb", "tab\there", "bell\x07"])
def test_a_spec_name_with_a_control_character_exits_2(tmp_path: Path, capsys, name) -> None:
    """A name with a newline was accepted and made the default store
    sweep-results/<name with a newline>, printed broken in every report line."""
    spec = tmp_path / "n.toml"
    spec.write_text(f"name = {json.dumps(name)}" + TINY + "[axes]\ndata.noise = [0.0]\n")
    code, o, err = run(["sweep", str(spec), "--dry-run"], capsys)
    assert code == 2 and o == "" and "name =" in err and "control character" in err, err
    ok = tmp_path / "ok.toml"  # printable names, spaces and accents included, still pass
    ok.write_text('name = "run 1: é"' + TINY + "[axes]\ndata.noise = [0.0]\n")
    code, o, err = run(["sweep", str(ok), "--dry-run"], capsys)
    assert code == 0 and o.startswith("run 1: é:"), err


def test_a_replaced_records_leftover_is_cleaned_like_a_temporary(tmp_path: Path) -> None:
    """Record.save moves the record it replaces (``--force``, a retrained point) aside to
    ``.<name>.old.<hex>`` until the new one is in place; a writer killed before removing it
    left that folder for ever (the clean-up looked for ``.tmp`` only, and verify skips dot
    names). It is removed as the temporaries are: when an hour old, or all under the lock."""
    import os
    import time

    from twolayer.store import RecordStore

    records = tmp_path / "records"
    old, young = records / ".0a3b2eb625cb.old.deadbeef", records / ".5e147176d3f1.old.cafef00d"
    for p in (old, young):
        (p / "sub").mkdir(parents=True)
        (p / "record.json").write_text("{}")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store = RecordStore(tmp_path)
    assert store.clean_temporaries() == [old] and not old.exists() and young.exists()
    assert store.clean_temporaries(None) == [young] and not young.exists()


def test_a_file_where_quarantine_goes_is_one_line_not_a_traceback(tmp_path: Path,
                                                                  capsys) -> None:
    """A file named ``quarantine`` in a store made the first damaged record a FileExistsError
    traceback (store verify, sweep, check, figures). Now: ``sweep`` refuses the store before
    any work (exit 2 naming --out, as for a file at records/ or failed/), and a read that
    quarantines is one line naming the path (WriteFailed, exit 1); the record stays put."""
    import numpy as np

    from twolayer.record import Record
    from twolayer.resources import WriteFailed
    from twolayer.store import RecordStore, address_of

    config = {"kind": "test", "value": 1.0}
    rec = Record(config=config, run_id=address_of(config), times=np.arange(3),
                 arrays={"a/x": np.ones((2, 3), np.float32)}, meta={}, summary={})
    store = RecordStore(tmp_path / "st")
    address = store.put(rec, config)
    (tmp_path / "st" / "records" / address / "arrays.npz").write_bytes(b"PK")  # damaged
    (tmp_path / "st" / "quarantine").write_text("not a folder")
    with pytest.raises(WriteFailed, match="quarantine"):
        store.get(address)
    assert (tmp_path / "st" / "records" / address).is_dir()
    code, o, err = run(["store", "verify", str(tmp_path / "st")], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "quarantine" in err, err
    assert "Traceback" not in err

    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "sw"
    out.mkdir()
    (out / "quarantine").write_text("not a folder")
    code, o, err = run(["sweep", str(spec), "--out", str(out), "--quiet"], capsys)
    assert code == 2 and "--out" in err and "quarantine is a file" in err, err
    assert sorted(p.name for p in out.iterdir()) == ["quarantine"]


@pytest.mark.parametrize("layout", ["out is a file", "records is a file"])
def test_a_dry_run_refuses_the_out_the_real_run_refuses(tmp_path: Path, capsys,
                                                        layout) -> None:
    """``--dry-run`` printed "0 points in <out>" and exit 0 for an --out that is a file, or a
    store whose records/ is a file, which the real run refuses (exit 2 naming --out): a dry
    run that passes is meant to say that the real run's flags are valid."""
    spec = tmp_path / "ok.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "st"
    if layout == "out is a file":
        out.write_text("x")
    else:
        out.mkdir()
        (out / "records").write_text("x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for mode in (["--dry-run"], []):
        code, o, err = run(["sweep", str(spec), "--out", str(out), "--quiet", *mode], capsys)
        assert code == 2 and o == "" and f"--out '{out}'" in err, (mode, err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_twolayer_cache_expands_a_leading_tilde_as_twolayer_store_does(monkeypatch,
                                                                       tmp_path: Path) -> None:
    """TWOLAYER_STORE="~/s" is the home's s (experiments.default_store_dir expands it);
    TWOLAYER_CACHE="~/c" was a folder named "~" in the working directory."""
    from twolayer.experiments import default_store_dir
    from twolayer.plots.phase import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TWOLAYER_STORE", "~/s")
    monkeypatch.setenv("TWOLAYER_CACHE", "~/c")
    assert default_store_dir() == tmp_path / "s"
    assert cache_dir() == tmp_path / "c" / "sweeps"


def test_an_edit_of_the_sweep_worker_is_other_code(tmp_path: Path) -> None:
    """The sweep's code fingerprint was the experiments' one, which leaves all of sweep/ out;
    but sweep/worker.py makes the records (a group's points concatenated into one engine call,
    the arrays split back per point, the baselines): an edit there left every stored point
    counted as this code's, so a fix of the worker would have reused the records it fixes.
    Oracle: current_code() of a copy of the package, in a fresh interpreter, before and after
    an edit of its worker.py (and of executors.py, which makes no record)."""
    import shutil
    import subprocess
    import sys

    import twolayer

    pkg = tmp_path / "twolayer"
    shutil.copytree(Path(twolayer.__file__).parent, pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))

    script = """
import pathlib, sys
import twolayer.experiments as e
import twolayer.sources
import twolayer.sweep.store as s

def fresh():  # the fingerprints are computed once per process: forget them, and the files
    s._CODE = None  # as first seen (an edit after import is refused: twolayer.sources)
    e._CODE_FINGERPRINT = None
    twolayer.sources._SEEN.clear()
    twolayer.sources.take()
    return s.current_code()

sweep = pathlib.Path(s.__file__).parent
codes = [fresh()]
for name in ("executors.py", "worker.py"):  # where the groups run (no record); the batching
    (sweep / name).write_text((sweep / name).read_text() + "\\n# an edit\\n")
    codes.append(fresh())
print(" ".join(codes))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    before, after_executors, after_worker = out.stdout.split()
    assert after_executors == before and after_worker != before


def test_a_plugin_path_holding_the_path_separator_exits_2_before_any_work(
        tmp_path: Path, capsys) -> None:
    """The spec's plugin paths reach the worker processes joined by os.pathsep: a plugin in a
    folder named "a:b" was split there, and the sweep stopped on "plugin <tmp>/a: no such file
    or folder" (misleading) after the store and its spec.toml were written."""
    folder = tmp_path / "a:b"
    folder.mkdir()
    (folder / "p.py").write_text('"""A plugin that registers nothing."""\n')
    spec = folder / "s.toml"
    spec.write_text('plugins = ["p.py"]' + TINY + "[axes]\ndata.noise = [0.0]\n")
    out = tmp_path / "store"
    code, o, err = run(["sweep", str(spec), "--out", str(out), "--quiet", "--threads", "1"],
                       capsys)
    assert_refused(code, o, err, ['plugins = "p.py"', str(folder / "p.py"), "':'"], out)


def test_a_full_record_store_is_one_line_not_a_claims_error(tmp_path: Path, capsys,
                                                            monkeypatch) -> None:
    """A store write that failed (disk full) inside ``check`` became the claim's own verdict,
    "error in <claim>: the check raised OSError: [Errno 28] ...", cut before the path, and a
    traceback in ``figures``. Now it is the documented failed write: one line naming the
    store and the errno, exit 1, no verdict table. (The full disk is a write that raises
    ENOSPC, as a 64 KiB tmpfs does; checked by hand with --jobs 2 on such a tmpfs too.)"""
    import errno
    import os

    from plugin_helpers import NUMBERS_PLUGIN

    from twolayer.store import RecordStore

    plugin = tmp_path / "numbers.py"
    plugin.write_text(NUMBERS_PLUGIN.format(paper="ubfull", lo=1.0))

    def full(self, key, result, seconds=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(RecordStore, "put_entry", full)
    store = tmp_path / "store"
    for argv in (["check", str(plugin), "--quick", "--jobs", "1"],
                 ["figures", "--quick", "--quiet", "--only", "frei2023-fig1", "--device", "cpu",
                  "--out", str(tmp_path / "figs")]):
        code, o, err = run([*argv, "--records", str(store)], capsys)
        lines = err.strip().splitlines()
        assert code == 1 and "error in" not in o + err and "Traceback" not in err, (o, err)
        assert f"cannot write {store}" in lines[-1] and "[ENOSPC]" in lines[-1], err
    assert not (tmp_path / "figs").exists()


def test_negative_zero_in_a_spec_is_zero(tmp_path: Path, capsys) -> None:
    """data.noise = -0.0 passed as a valid rate but hashed to another run id than 0.0 (the
    same computation stored twice), and an axis [0.0, -0.0] passed the distinct-values check.
    Oracle: the run id of the spec written with 0.0."""
    import math

    from twolayer.sweep import loads

    zero = loads(TINY.replace("[base]", "[base]\ndata.noise = 0.0")).points()[0]
    minus = loads(TINY.replace("[base]", "[base]\ndata.noise = -0.0")).points()[0]
    assert minus.run_id == zero.run_id
    assert math.copysign(1.0, minus.config.data.noise) == 1.0
    ranged = loads(TINY + "[axes]\ndata.noise = {start = -0.0, stop = 0.2, num = 2}\n")
    assert ranged.points()[0].run_id == zero.run_id
    spec = tmp_path / "z.toml"
    spec.write_text(TINY + "[axes]\ndata.noise = [0.0, -0.0]\n")
    code, o, err = run(["sweep", str(spec), "--dry-run"], capsys)
    assert code == 2 and "axes.data.noise" in err and "distinct" in err, err


def test_store_verify_removes_every_temporary_and_not_a_record_that_vanishes(
        tmp_path: Path, capsys, monkeypatch) -> None:
    """``check`` and ``figures`` used to write the experiments' store without its lock, so a
    verify beside a long ``check --all`` could delete the check's save in progress. Every
    writer now saves under the lock that verify holds (tests/test_store_lock.py), so under it
    every temporary, young or old, is a dead writer's and goes; and a record that vanishes
    while verify reads it (a writer replacing it) is not reported as moved."""
    import os
    import time

    import numpy as np

    from twolayer.errors import RecordError
    from twolayer.record import Record
    from twolayer.store import RecordStore

    store = RecordStore(tmp_path / "st")
    rec = Record(config={"kind": "t"}, run_id="t", times=np.arange(2),
                 arrays={"a/x": np.ones((1, 2), np.float32)}, meta={}, summary={})
    store.put_entry({"experiment": "e"}, rec)
    young = store.records / ".0123456789abcdef.tmp.cafef00d"
    old = store.records / ".fedcba9876543210.tmp.deadbeef"
    for p in (young, old):
        p.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    code, o, err = run(["store", "verify", str(tmp_path / "st"), "--json"], capsys)
    assert code == 0 and not young.exists() and not old.exists(), (o, err)
    assert '"intact": 2' in o, o

    real = RecordStore._load

    def vanishing(self, path, address):  # another writer replaced it meanwhile
        if path.name == address and not address.startswith("."):
            os.rename(path, path.with_name(f".{address}.old.x"))
            raise RecordError(path, "no such record")
        return real(self, path, address)

    other = RecordStore(tmp_path / "records-only")  # a record, no entry that needs it
    other.put(rec, {"a": 1})
    monkeypatch.setattr(RecordStore, "_load", vanishing)
    code, o, err = run(["store", "verify", str(tmp_path / "records-only"), "--json"], capsys)
    assert code == 0 and '"quarantined": []' in o, o


def test_figures_count_the_phase_sweeps_points(tmp_path: Path, monkeypatch, capsys) -> None:
    """The phase diagrams train sweep points, not experiments: ``figures`` said "experiments:
    0 trained" after training them. A line now counts the points trained and read, against
    the size of the quick spec's grid (two step sizes × two initial variances: plots/phase.py's
    QUICK override)."""
    monkeypatch.setenv("TWOLAYER_CACHE", str(tmp_path / "cache"))
    size = 2 * 2
    argv = ["figures", "--quick", "--device", "cpu", "--only", "phase-amplification"]
    for trained, read in ((size, 0), (0, size)):
        assert main([*argv, "--out", str(tmp_path / "f")]) == 0
        err = capsys.readouterr().err
        assert (f"sweep points: {trained} trained, {read} read from their stores "
                "(phase-amplification-quick)") in err, err
