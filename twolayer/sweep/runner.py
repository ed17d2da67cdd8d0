"""Run a sweep: plan the groups, skip what the store holds, train the rest, write the tables.

    points = spec.points()                       # the grid, every config validated
    groups = plan_groups(configs, group_runs)    # fixed by the spec (worker.plan_groups)
    todo   = groups with a point not in the store (all groups with force)
    for each finished group (any executor, any order): store.put(outcome) per missing point
    store.write_points(points); store.write_summary(points)

Resume is the default: a point whose record (or recorded divergence) is in the store is not
trained again, and a group trains only when one of its points is missing (its points already
stored are not rewritten). A group always trains in full, so every point is computed in the same
batch as in an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, not_a_folder
from ..resources import writing
from .spec import Point, SweepSpec
from .store import Store, current_code, plugins_of, write_atomic
from .worker import plan_groups


@dataclass
class SweepReport:
    points: int
    skipped: int  # points already in the store
    trained: int  # points trained by this run
    failed: list[str] = field(default_factory=list)  # run ids that diverged
    groups: int = 0  # engine calls made by this run
    other_code: int = 0  # stored points of other twolayer code or device type, trained again
    failed_before: list[str] = field(default_factory=list)  # skipped: recorded failures
    seconds: float = 0.0
    tables: list[Path] = field(default_factory=list)


Progress = Callable[[int, int, list[Any]], None]  # (groups done, groups total, outcomes)


def reuse_device(device: str) -> str | None:
    """The device type a stored point must have been trained on to be reused by a sweep on
    ``device``: its own type, or None (any) for ``auto``, which the workers resolve where they
    run."""
    return None if device == "auto" else device


def run_sweep(spec: SweepSpec, store: Store | str | Path, executor: Any, force: bool = False,
              on_result: Progress | None = None) -> SweepReport:
    """Train every point of ``spec`` missing from ``store`` with ``executor``."""
    with plugins_of(spec):  # its own plugins, not those of another spec loaded before
        return _run_sweep(spec, store, executor, force, on_result)


def _run_sweep(spec: SweepSpec, store: Store | str | Path, executor: Any, force: bool,
               on_result: Progress | None) -> SweepReport:
    start = time.perf_counter()
    st = store if isinstance(store, Store) else Store(store)
    points = spec.points()
    check_store_layout(st)
    # before the store is made: RunCodeChanged (a source edited since this process imported
    # twolayer) exits 2 with nothing written, where it left the store's folder, its lock and
    # spec.toml (helper h3, session 50)
    code = current_code()
    st.root.mkdir(parents=True, exist_ok=True)
    st.clean_stale()
    if spec.text:
        with writing(st.root / "spec.toml"):
            write_atomic(st.root / "spec.toml", spec.text)
    configs = [p.config for p in points]
    groups = plan_groups(configs, spec.group_runs)
    if force:
        for p in points:
            st.forget(p.run_id)
    st.verify_points(p.run_id for p in points)  # damaged records are quarantined: missing
    # a point stored by other code (or of unrecorded code), or on another device type than
    # the spec's (unless it says auto), is trained again
    stale = set() if force else set(st.other_code((p.run_id for p in points), code,
                                                  reuse_device(spec.device)))
    if stale:
        st.record_store.warn(
            f"twolayer: warning: {len(stale)} of {len(points)} points in store {st.root} were "
            "trained by other twolayer code (or code that was not recorded) or on another "
            f"device type than this sweep's ({spec.device}); training them again")
    missing = {p.run_id for p in points if force or not st.has(p.run_id) or p.run_id in stale}
    todo = [g for g in groups if any(points[i].run_id in missing for i in g)]
    tasks = [[points[i].config.to_dict() for i in g] for g in todo]
    report = SweepReport(len(points), len(points) - len(missing), 0, groups=len(todo),
                         other_code=len(stale),
                         # a record wins over a failure beside it (Store.status: an
                         # interrupted write can leave both): such a point is not a failure
                         failed_before=[p.run_id for p in points
                                        if p.run_id not in missing and st.is_failed(p.run_id)
                                        and not st.has_record(p.run_id)])
    # an executor whose workers write the store is told which points to write (SlurmExecutor:
    # a job trains its whole group; the points stored before are kept as they are)
    extra = ({"missing": set(missing)} if executor.writes_store
             and "missing" in inspect.signature(executor.run).parameters else {})
    if todo:
        # the tables of an earlier run are about to go stale (a point trained again may diverge
        # now and lose its record, or get other numbers): removed before any training, so that
        # a run killed or stopped midway leaves none that lists the old statuses as current
        st.remove_tables()
    results = executor.run(tasks, baselines=spec.baselines, **extra)
    trained_before = {p.run_id for p in points if p.run_id in missing}
    try:
        _collect(results, todo, points, missing, st, executor, report, on_result)
    except BaseException:  # an interrupt, a worker's error: the tables of what is stored now
        with contextlib.suppress(Exception):  # (best effort: none is better than a stale one)
            close = getattr(results, "close", None)
            if close is not None:
                close()
            if is_store(st):
                st.write_points(points)
                st.write_summary(points)
            # else nothing is stored yet: tables listing every point missing say nothing, and
            # beside no records/ they made the folder one `twolayer sweep` refuses as not its
            # own (commands/sweep.py: check_not_foreign_out), so the same command did not
            # resume; the run leaves its spec.toml alone, which that check accepts
        raise
    finally:  # an interrupt here: stop the executor's workers now, not when the frame is freed
        close = getattr(results, "close", None)
        if close is not None:
            close()
        _warn_other_workers(st, trained_before - missing)
    report.tables = [st.write_points(points), *st.write_summary(points)]  # WriteFailed
    report.seconds = time.perf_counter() - start
    return report


def is_store(st: Store) -> bool:
    """Whether ``st`` holds a sweep's store: a ``records/`` or ``failed/`` folder (created when
    the first point is stored). A folder without either, a run's tables in it, is not taken
    for one by ``twolayer sweep --out`` (it may be a project's own folder)."""
    return st.records.is_dir() or st.failed.is_dir()


def check_store_layout(st: Store) -> None:
    """The store's folders are folders (ConfigError naming ``out`` otherwise), checked before
    anything is trained: a file at ``records`` used to be found when the first group's record
    was written, named as ``--records``."""
    for folder in (st.records, st.failed, st.record_store.quarantine_dir):
        if what := not_a_folder(folder):
            raise ConfigError("out", str(st.root), f"must be a sweep store ({folder} is {what}, "
                              "not a folder): move it away or choose another --out")


def _collect(results: Any, todo: list[list[int]], points: list[Point], missing: set[str],
             st: Store, executor: Any, report: SweepReport, on_result: Progress | None) -> None:
    """Store each finished group's outcomes as it arrives (what finished before an
    interruption stays stored)."""
    done = 0
    for k, outcomes in results:
        done += 1
        for i, o in zip(todo[k], outcomes):
            run_id, status = (o.run_id, o.status) if hasattr(o, "run_id") else o
            if run_id != points[i].run_id:  # pragma: no cover - a worker bug
                raise RuntimeError(f"worker returned {run_id} for point {points[i].run_id}")
            if run_id not in missing:
                continue  # stored before: keep it as it is
            if not executor.writes_store:
                with writing(st.records / run_id):  # disk full: one line, exit 1
                    st.put(o)
            missing.discard(run_id)
            report.trained += 1
            if status != "ok":
                report.failed.append(run_id)
        if on_result is not None:
            on_result(done, len(todo), outcomes)


def _warn_other_workers(st: Store, stored: set[str]) -> None:
    """One warning when points stored now were trained by workers running other twolayer code
    than this process (a cluster with another version installed): a resume here would train
    them again."""
    here = current_code()
    other = {r: code for r in sorted(stored) if (code := st.code_of(r)) != here}
    if other:
        codes, n = set(other.values()), len(other)
        st.record_store.warn(
            f"twolayer: warning: {n} points in store {st.root} were trained by workers running "
            f"other twolayer code ({', '.join(sorted(str(c) for c in codes))}; this process: "
            f"{here}); a resume from here will train them again: install the same twolayer "
            "on the workers")


def load_records(spec: SweepSpec, store: Store | str | Path) -> dict[int, Any]:
    """{point index: Record} of the points of ``spec`` present in ``store``."""
    st = store if isinstance(store, Store) else Store(store)
    out = {}
    for p in spec.points():
        rec = st.record_store.get(p.run_id) if st.has_record(p.run_id) else None
        if rec is not None:
            out[p.index] = rec
    return out


def point_records(points: list[Point], store: Store) -> list[Any]:
    """The records of ``points`` (None where missing or failed), in order."""
    return [store.record_store.get(p.run_id) if store.has_record(p.run_id) else None
            for p in points]
