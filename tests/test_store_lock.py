"""One writer at a time in a record store, for ``check`` and ``figures`` too.

Two ``twolayer check`` runs on one store (two terminals, or ``make figures`` beside a check)
used to write the same addresses at once: ``Record.save``'s rename into place failed with
"Directory not empty" (the run ended with a write failure), and a reader that met a record in
the middle of another process's replacement quarantined a good entry. Now an entry is stored
under the store's lock (and not at all when another process stored it meanwhile), damage is read
again under the lock before anything is moved, the lock is re-entrant within a process, and a
phase sweep of ``figures`` holds its sweep store's lock. The oracle is the file system: what is
on disk, what is quarantined, which process names itself in ``.lock``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from twolayer.errors import ConfigError, RecordError
from twolayer.record import Record
from twolayer.store import WAIT_QUIETLY_SECONDS, RecordStore

ROOT = Path(__file__).resolve().parents[1]

CONTENDER = """
import sys
import numpy as np
from twolayer.record import Record
from twolayer.store import RecordStore
root, role, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = []
store = RecordStore(root, warn=lines.append)
rec = Record(config={"a": 1}, run_id="x", times=np.arange(3),
             arrays={"v": np.ones((3, 4))}, meta={}, summary={})
for _ in range(n):
    if role == "write":
        store.put_entry({"k": 1}, {"p": rec, "q": rec})
    else:
        store.get_entry({"k": 1})
print("warnings", len([w for w in lines if "damaged" in w]))
"""


# another process holding the lock as twolayer does (flock on .lock, naming itself), without
# importing twolayer (fast to start)
FLOCK_HOLDER = ("import fcntl, os, sys, time\n"
                "fd = os.open(os.path.join(sys.argv[1], '.lock'), os.O_RDWR | os.O_CREAT)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                "os.pwrite(fd, f'pid {os.getpid()} on test'.encode(), 0)\n"
                "print('held', flush=True); time.sleep(60)\n")
# another process asking for the lock without waiting: prints what it met
FLOCK_PROBE = ("import fcntl, os, sys\n"
               "fd = os.open(os.path.join(sys.argv[1], '.lock'), os.O_RDWR | os.O_CREAT)\n"
               "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
               "except BlockingIOError:\n    print('held by', os.pread(fd, 200, 0).decode())\n")


def hold_lock(root: Path) -> subprocess.Popen:
    root.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", FLOCK_HOLDER, str(root)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def record(value: float) -> Record:
    return Record(config={"kind": "t"}, run_id="t", times=np.arange(2),
                  arrays={"a/x": np.full((1, 2), value, np.float32)}, meta={}, summary={})


def test_a_second_writer_of_an_entry_waits_for_the_first_then_writes_nothing(
        tmp_path: Path, monkeypatch) -> None:
    """A writer that starts storing the same entry while another is in the middle of saving it
    (a thread here; another process waits the same way on the file lock) waits until the first
    is done, finds its intact entry and writes nothing: the stored values are the first's."""
    store = RecordStore(tmp_path, warn=pytest.fail)
    other = RecordStore(tmp_path, warn=pytest.fail)
    real_save = Record.save
    events: list[str] = []
    second: list[threading.Thread] = []

    def save(self, out, name=None, extra=None):
        if not second:
            def write_too() -> None:
                other.put_entry({"experiment": "e"}, {"x": record(9.0), "y": record(9.0)})
                events.append("second done")

            second.append(threading.Thread(target=write_too))
            second[0].start()
            second[0].join(1.0)
            events.append("second waited" if second[0].is_alive() else "second wrote mid-save")
        return real_save(self, out, name, extra)

    monkeypatch.setattr(Record, "save", save)
    store.put_entry({"experiment": "e"}, {"x": record(1.0), "y": record(2.0)})
    second[0].join(30)
    assert events == ["second waited", "second done"], events
    got = RecordStore(tmp_path, warn=pytest.fail).get_entry({"experiment": "e"})
    assert isinstance(got, dict)
    assert [float(got[k].arrays["a/x"][0, 0]) for k in ("x", "y")] == [1.0, 2.0]


@pytest.mark.slow
def test_processes_storing_and_reading_one_entry_at_once_neither_fail_nor_quarantine(
        tmp_path: Path) -> None:
    """Two writers and two readers of one entry, 150 rounds each, at the same time: no process
    fails, nothing is quarantined, and the entry reads back intact. (Before the lock, a run of
    300 rounds failed in several rounds per writer and quarantined the entry; at 150 rounds on a
    loaded machine the overlap, and so the failure, is not certain: hence slow, not default.)"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    roles = ["write", "write", "read", "read"]
    procs = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(tmp_path), role, "150"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for role in roles]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "warnings 0", (out, err)
    assert not (tmp_path / "quarantine").exists()
    got = RecordStore(tmp_path, warn=pytest.fail).get_entry({"k": 1})
    assert isinstance(got, dict) and sorted(got) == ["p", "q"]
    leftovers = [p.name for d in ("records", "entries") for p in (tmp_path / d).iterdir()
                 if p.name.startswith(".")]
    assert leftovers == []


def test_an_entry_waits_for_a_store_in_use_and_says_so_once(tmp_path: Path) -> None:
    """While another process holds the lock (a ``store verify``, a sweep), storing an entry
    waits (no write happens), says so on one line naming the holder once the wait passes a
    second, and writes when the holder lets go."""
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    holder = hold_lock(tmp_path)
    done = threading.Event()

    def write() -> None:
        store.put_entry({"experiment": "e"}, record(1.0))
        done.set()

    t = threading.Thread(target=write)
    try:
        start = time.monotonic()
        t.start()
        # poll for the line instead of one fixed sleep (a loaded machine may start the thread
        # late); it must not come before the quiet second, and only once
        while not lines and time.monotonic() < start + 60:
            time.sleep(0.02)
        assert time.monotonic() - start >= WAIT_QUIETLY_SECONDS
        time.sleep(WAIT_QUIETLY_SECONDS + 0.5)  # time to say it again, if it would
        assert not done.is_set() and not (tmp_path / "entries").exists()
        assert len(lines) == 1 and f"pid {holder.pid}" in lines[0], lines
        assert lines[0].startswith(f"twolayer: waiting for store {tmp_path}")
    finally:
        holder.kill()
        holder.wait()
    t.join(30)
    assert done.is_set()
    assert RecordStore(tmp_path, warn=pytest.fail).get_entry({"experiment": "e"}) is not None


def test_the_lock_is_reentrant_in_a_process_and_names_it(tmp_path: Path) -> None:
    """A holder of the lock (a sweep) stores under it without deadlock; another process finds
    the lock held, named by this process, while it is held, and free after; the lock file is
    emptied on release."""
    store = RecordStore(tmp_path, warn=lambda line: None)

    def probe() -> str:
        return subprocess.run([sys.executable, "-c", FLOCK_PROBE, str(tmp_path)],
                              capture_output=True, text=True, timeout=60).stdout.strip()

    with store.lock():
        with store.lock():
            store.put_entry({"experiment": "e"}, record(1.0))
        assert probe().startswith(f"held by pid {os.getpid()} ")
        with RecordStore(tmp_path).lock():  # another object of this thread: the same hold
            assert probe().startswith(f"held by pid {os.getpid()} ")
    assert probe() == "free"
    assert (tmp_path / ".lock").read_text() == ""
    assert store.get_entry({"experiment": "e"}) is not None


def test_another_thread_of_the_process_waits_or_is_refused(tmp_path: Path) -> None:
    store = RecordStore(tmp_path, warn=lambda line: None)
    seen: list[str] = []

    def contend() -> None:
        try:
            with store.lock():
                seen.append("took it")
        except ConfigError as e:
            seen.append(str(e))

    with store.lock():
        t = threading.Thread(target=contend)
        t.start()
        t.join(10)
    assert len(seen) == 1 and "another thread" in seen[0], seen


def test_damage_seen_once_is_read_again_under_the_lock_before_a_quarantine(
        tmp_path: Path, monkeypatch) -> None:
    """A read that meets a record mid-replacement (here: the first read of a part fails, the
    second succeeds) returns the result and quarantines nothing; damage that is still there on
    the second read is quarantined as before, part and entry."""
    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    store.put_entry({"experiment": "e"}, {"x": record(1.0), "y": record(2.0)})
    real = RecordStore._load
    failures = {"left": 1}

    def flaky(self, path, address):
        if failures["left"]:
            failures["left"] -= 1
            raise RecordError(path, "no such record")
        return real(self, path, address)

    monkeypatch.setattr(RecordStore, "_load", flaky)
    got = store.get_entry({"experiment": "e"})
    assert isinstance(got, dict) and float(got["y"].arrays["a/x"][0, 0]) == 2.0
    assert failures["left"] == 0 and lines == [] and not (tmp_path / "quarantine").exists()
    monkeypatch.setattr(RecordStore, "_load", real)

    part = next(p for p in (tmp_path / "records").iterdir() if not p.name.startswith("."))
    (part / "arrays.npz").write_bytes(b"PK")
    assert store.get_entry({"experiment": "e"}) is None
    moved = sorted(p.name for p in (tmp_path / "quarantine").iterdir()
                   if not p.name.endswith(".why"))
    assert len(moved) == 2 and moved[0].startswith("entries-") and moved[1].startswith(
        f"records-{part.name}"), moved
    assert len(lines) == 2


def test_prune_takes_a_record_away_whole(tmp_path: Path, monkeypatch) -> None:
    """A pruned record folder is renamed aside before it is deleted, so a reader never sees
    half of it (the folder is gone by the time the deletion starts)."""
    import shutil

    from twolayer import store as store_module

    store = RecordStore(tmp_path, warn=lambda line: None)
    address = store.put(record(1.0), {"entry": "gone", "part": ""}, 16)
    store.entries.mkdir()
    target = store.records / address
    real = shutil.rmtree
    seen = []

    def rmtree(path, *a, **k):
        seen.append((Path(path).name, target.exists()))
        return real(path, *a, **k)

    monkeypatch.setattr(store_module.shutil, "rmtree", rmtree)
    with store.lock():
        report = store.prune()
    assert [Path(p).name for p, _ in report.removed] == [address]
    assert len(seen) == 1 and seen[0][0].startswith(f".{address}.old.") and not seen[0][1]
    assert not target.exists() and [p.name for p in store.records.iterdir()] == []


def test_a_figures_phase_sweep_trains_under_its_stores_lock(tmp_path: Path,
                                                           monkeypatch) -> None:
    """Two ``figures`` runs used to train one phase sweep's points into one store at once; the
    sweep now runs holding that store's lock (the lock file names this process meanwhile)."""
    from twolayer.engine import Runtime
    from twolayer.plots import phase

    monkeypatch.setenv("TWOLAYER_CACHE", str(tmp_path / "cache"))
    held = []

    def fake_run_sweep(spec, store, executor):
        held.append((store.root / ".lock").read_text())
        from twolayer.sweep.runner import SweepReport
        return SweepReport(points=0, skipped=0, trained=0)

    import twolayer.sweep as sweep_module
    monkeypatch.setattr(sweep_module, "run_sweep", fake_run_sweep)
    name = next(iter(phase.QUICK))
    phase.run_spec(name, quick=True, runtime=Runtime(device="cpu"))
    assert len(held) == 1 and held[0].startswith(f"pid {os.getpid()} "), held
