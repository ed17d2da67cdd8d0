"""Where a command's wall time goes: exclusive phase timers for ``--timings``.

A phase is a named stretch of wall-clock time: ``training`` (an experiment's runner: the
steps, assembling its Records; data and probes excluded), ``data`` (drawing the runs' data and
initial parameters in :func:`twolayer.simulate.setup`, which most experiments use; an
experiment that draws its own counts them under training), ``probes`` (the probes at probe
times), ``store`` (reading and writing records), ``verdicts`` (a claim's check: its
statistics, excluding the runs it asks for), ``plotting`` (a figure's drawing, excluding the runs
it asks for). Phases nest, and each is timed *exclusively*: a phase's own time excludes the time
of the phases opened inside it, so that the phases and ``other`` (everything outside every
phase: setup, printing, the command's own work) add up to the command's wall time.

The timers cost nothing unless a :class:`Timings` is being recorded (:func:`recording`); they
count on the thread that started the recording only (other threads' phases are not timed), and
on a GPU they time what the host waits for, not the device's own time.

    with recording() as t:
        ...  # code that opens phase("training") etc.
    t.table()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_clock = time.perf_counter  # (tests replace it with a fake clock)

PHASES = ("training", "data", "probes", "store", "verdicts", "plotting")
OTHER = "other"


@dataclass
class Timings:
    """Exclusive seconds per phase, and the wall time of the recording."""

    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0
    before: float | None = None  # seconds from process start to the recording (imports, parsing)
    workers: int = 0  # worker processes that ran tasks for the command
    tasks: int = 0  # tasks whose phases were added from workers (:func:`absorb`)
    _stack: list[list] = field(default_factory=list, repr=False)  # [name, start, child seconds]
    _thread: int = field(default_factory=threading.get_ident, repr=False)

    def enter(self, name: str) -> None:
        self._stack.append([name, _clock(), 0.0])

    def leave(self) -> None:
        name, start, child = self._stack.pop()
        elapsed = _clock() - start
        self.seconds[name] = self.seconds.get(name, 0.0) + max(0.0, elapsed - child)
        if self._stack:
            self._stack[-1][2] += elapsed

    def rows(self) -> list[tuple[str, float]]:
        """(phase, seconds) for every phase in :data:`PHASES` order (then any other named phase),
        then ``other`` = wall − Σ phases."""
        names = [p for p in PHASES] + sorted(set(self.seconds) - set(PHASES))
        rows = [(p, self.seconds.get(p, 0.0)) for p in names]
        rows.append((OTHER, max(0.0, self.wall - sum(s for _, s in rows))))
        return rows

    def to_json(self) -> dict:
        """``{"wall_s", "before_s", "workers", "tasks", "phases": {name: seconds}}``, rounded to
        milliseconds."""
        return {
            "wall_s": round(self.wall, 3),
            "before_s": None if self.before is None else round(self.before, 3),
            "workers": self.workers,
            "tasks": self.tasks,
            "phases": {p: round(s, 3) for p, s in self.rows()},
        }

    def table(self) -> str:
        """Plain-text table: phase, seconds, share of the wall time."""
        lines = ["where the time went (wall seconds, exclusive; docs/benchmarks.md):"]
        for p, s in self.rows():
            share = 100.0 * s / self.wall if self.wall > 0 else 0.0
            lines.append(f"  {p:<9s} {s:9.1f} s  {share:5.1f} %")
        lines.append(f"  {'total':<9s} {self.wall:9.1f} s")
        if self.before is not None:
            lines.append(f"  (before the command started — interpreter, imports, parsing: "
                         f"{self.before:.1f} s)")
        if self.tasks:
            lines.append(f"  ({self.workers} worker processes ran {self.tasks} tasks: their "
                         "phases are summed (worker-seconds), so the phases can add up to more "
                         "than the wall time)")
        return "\n".join(lines)


_active: Timings | None = None


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``; None elsewhere)."""
    try:
        import os

        with open("/proc/self/stat") as f:
            start_ticks = float(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def recording() -> Iterator[Timings]:
    """Record the phases opened on this thread until the block ends; the Timings' ``wall`` is
    the block's wall time. Recordings do not nest (an inner one is a plain no-op)."""
    global _active
    if _active is not None:
        yield Timings()
        return
    t = Timings(before=process_age())
    start = _clock()
    _active = t
    try:
        yield t
    finally:
        _active = None
        while t._stack:  # a phase left open by an exception
            t.leave()
        t.wall = _clock() - start


def absorb(task: dict | None, workers: int = 0) -> None:
    """Add the phases a worker process recorded for one task (:meth:`Timings.to_json`, its
    ``other`` left out) to the active recording, if any; ``workers``: how many worker
    processes the command ran."""
    t = _active
    if t is None or not task:
        return
    for name, seconds in task.get("phases", {}).items():
        if name != OTHER:
            t.seconds[name] = t.seconds.get(name, 0.0) + float(seconds)
    t.tasks += 1
    t.workers = max(t.workers, workers)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as phase ``name`` (exclusive of phases opened inside it) when a recording
    is active on this thread; otherwise do nothing."""
    t = _active
    if t is None or threading.get_ident() != t._thread:
        yield
        return
    t.enter(name)
    try:
        yield
    finally:
        if _active is t:
            t.leave()
