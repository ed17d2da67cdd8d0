"""The result store of a sweep: one record per point under the content hash of its config.

Layout of a store directory::

    <store>/
      spec.toml                 the spec of the last run (provenance)
      records/<run_id>/         one Record per point (arrays.npz + record.json, twolayer.record);
                                run_id = the first 12 hex digits of SHA-256 of the point's
                                canonical config JSON (seeds R and base seed included)
      failed/<run_id>.json      points that diverged (run id, status, message, code and the
                                SHA-256 of that content: verified on every read)
      points.csv                one row per grid point: index, axis values, run_id, status
      summary.csv               one row per point and seed (summary.parquet too with pyarrow:
                                twolayer[parquet])

Every file is written atomically (temporary file or directory, then rename), so a killed sweep
leaves complete records or none; a record present and intact is a point done, provided the code
that trained it is this code: every record carries the fingerprint of the twolayer code (and of
the spec's plugins) that produced it (``meta["code"]``, :func:`current_code`; a failure its
``"code"``), and a point stored by other code (an upgrade, an edit of the engine or of a
plugin) or by a version that did not record it is trained again
(:func:`twolayer.sweep.run_sweep` says how many). The same point in two specs (same canonical
config) is the same record. The records are a
:class:`twolayer.store.RecordStore` (identity = the point's config, address = its run id): every
read is verified, and a damaged record (truncated, edited, of another format, or whose config no
longer hashes to its run id) is moved to ``quarantine/`` with one warning line and its point is
trained again.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RecordError
from ..record import (
    Record,
    canonical_json,
    ensure_writable_dir,
    write_file_atomic,
    write_text_atomic,
)
from ..resources import writing
from ..store import PruneReport, RecordStore, VerifyReport, Warn
from .spec import Point

FAILURE_STATUSES = ("diverged",)  # what failed/<run_id>.json may record (worker.Outcome)

SUMMARY_METRICS = (
    "test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction",
    "linear_test_error", "corr_median_init", "corr_median_final", "corr_median_neurons",
    "grad_ratio_init", "grad_ratio_final",
)


_CODE: str | None = None


def plugin_files(path: str | Path) -> list[Path]:
    """The source of the plugin at ``path``: the ``.py`` file, or every ``.py`` file under the
    folder, sorted."""
    p = Path(path).expanduser().resolve()
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


def plugins_fingerprint(paths: Iterable[str]) -> str:
    """SHA-256 (16 hex digits) over the plugins at ``paths``: each plugin digested by its files'
    paths relative to it and their bytes (:func:`plugin_files`), the digests sorted, so the
    same plugins at other absolute paths (a cluster's workers) give the same value; "" for no
    path. All of a plugin's code counts (a sweep cannot tell its run code from its claims).
    (Here, not in :mod:`twolayer.plugins`: that module is part of the code fingerprint.)"""
    from ..experiments import files_digest

    digests = []
    for path in dict.fromkeys(paths):
        root = Path(path).expanduser().resolve()
        try:  # a file plugin's own name, a folder's files relative to it
            digests.append(files_digest(plugin_files(root),
                                        root if root.is_dir() else root.parent))
        except OSError:
            digests.append(f"unreadable {root}")
    if not digests:
        return ""
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:16]


def spec_plugin_paths() -> list[str]:
    """The plugin paths named in ``TWOLAYER_PLUGINS`` (:data:`twolayer.plugins.PLUGIN_ENV`: a
    spec's ``plugins`` set it, and the workers inherit it)."""
    from ..plugins import PLUGIN_ENV

    return [p for p in os.environ.get(PLUGIN_ENV, "").split(os.pathsep) if p]


@contextlib.contextmanager
def plugins_of(spec: Any) -> Iterator[None]:
    """``TWOLAYER_PLUGINS`` naming exactly the plugins of ``spec`` (a SweepSpec) inside the
    block, as before it after. Loading a spec adds its plugins to that variable, and nothing
    removed them: in one process (a notebook, a script running two specs), a spec loaded
    earlier put its plugins into the workers and into the code stamp of every later spec's
    points, which a resume from the command line then trained again as "other code"."""
    from ..plugins import PLUGIN_ENV
    from .environment import environment

    with environment({PLUGIN_ENV: os.pathsep.join(spec.plugins) or None}):
        yield


# the sweep's own modules that make its records: worker.py batches the points of a group into
# one engine call, splits the arrays back per point and fits the baselines. The package's code
# fingerprint leaves all of sweep/ out (it keys the experiments' store, which sweeps never
# write), so an edit of worker.py used to leave every stored point "of this code".
SWEEP_RUN_CODE = ("worker.py",)


def sweep_fingerprint(root: Path) -> str:
    """SHA-256 (16 hex digits) over the run code of the twolayer package at ``root``
    (:func:`twolayer.experiments.source_fingerprint`) and its sweep modules of
    :data:`SWEEP_RUN_CODE`."""
    from ..experiments import files_digest, source_fingerprint

    files = [root / "sweep" / name for name in SWEEP_RUN_CODE]
    text = source_fingerprint(root) + "\0" + files_digest(files, root)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current_code() -> str:
    """The fingerprint of the code that trains this sweep's points: twolayer's run code and
    the sweep's own (:func:`sweep_fingerprint` of this package, computed once per process;
    RunCodeChanged, exit status 2, where those files changed on disk since this process
    imported twolayer),
    followed by ``+`` and the fingerprint of the spec's plugins where it names any
    (:func:`plugins_fingerprint` of :func:`spec_plugin_paths`): editing a plugin's data kind or
    probe trains its points again."""
    global _CODE
    from .. import sources
    from ..experiments import code_fingerprint, files_digest

    root = Path(__file__).resolve().parent.parent
    files = [root / "sweep" / name for name in SWEEP_RUN_CODE]
    run_code = code_fingerprint()  # RunCodeChanged where twolayer's run code was edited
    if _CODE is None:  # sweep_fingerprint(root), its run code part checked
        text = run_code + "\0" + files_digest(files, root)
        _CODE = hashlib.sha256(text.encode()).hexdigest()[:16]
    sources.check_unchanged(files)  # and where the sweep's own was
    extra = plugins_fingerprint(spec_plugin_paths())
    return f"{_CODE}+{extra}" if extra else _CODE


class Store:
    """A sweep's store directory (created on first write)."""

    def __init__(self, root: str | os.PathLike[str], warn: Warn | None = None):
        self.root = Path(root)
        self.record_store = RecordStore(self.root, warn)

    @property
    def records(self) -> Path:
        return self.root / "records"

    @property
    def failed(self) -> Path:
        return self.root / "failed"

    def has(self, run_id: str) -> bool:
        """A complete record (or a recorded failure) exists for this point (not verified:
        :meth:`verify_points` verifies)."""
        return (self.records / run_id / "record.json").is_file() or self.is_failed(run_id)

    def has_record(self, run_id: str) -> bool:
        return (self.records / run_id / "record.json").is_file()

    def is_failed(self, run_id: str) -> bool:
        return (self.failed / f"{run_id}.json").is_file()

    def load(self, run_id: str) -> Record:
        """The verified record of a point (RecordError if absent or damaged)."""
        return self.record_store.load(run_id)

    def verify_points(self, run_ids: Iterable[str]) -> list[str]:
        """Verify the stored record or recorded failure of each of these points; quarantine the
        damaged ones (their points become missing) and return their run ids."""
        bad = []
        for run_id in run_ids:
            if self.has_record(run_id) and self.record_store.get(run_id) is None:
                bad.append(run_id)
            elif self.is_failed(run_id):
                self.failure(run_id)  # a damaged one is quarantined; a legacy one stays
                if not self.is_failed(run_id):
                    bad.append(run_id)
        return bad

    def failure(self, run_id: str) -> dict[str, Any] | None:
        """The verified failure document of a point (status, message, code); None if absent,
        written before failures carried a checksum (kept: its point counts as trained by other
        code), or damaged (then moved to ``quarantine/`` with one warning line)."""
        path = self.failed / f"{run_id}.json"
        if not path.is_file():
            return None
        try:
            return read_failure(path, run_id)
        except LegacyFailure:
            return None
        except RecordError as e:
            self.record_store.quarantine(path, e.why)
            return None

    def damaged(self, run_id: str) -> bool:
        """Whether the point's stored record or recorded failure fails verification (a real run
        quarantines it and trains the point again). Reads only: ``--dry-run`` uses it."""
        try:
            if self.has_record(run_id):
                self.record_store.load(run_id)
            elif self.is_failed(run_id):
                read_failure(self.failed / f"{run_id}.json", run_id)
        except LegacyFailure:
            return False  # intact, of older code: counted as other code's
        except RecordError:
            return True
        return False

    def _record_meta(self, run_id: str) -> dict[str, Any] | None:
        """A stored record's ``meta``, read without verification ({} when it has none); None
        when there is no record or its document cannot be read (the verified read deals with
        it)."""
        if not self.has_record(run_id):
            return None
        try:
            meta = json.loads((self.records / run_id / "record.json").read_text()).get("meta")
        except (OSError, ValueError, AttributeError, RecursionError):
            return None
        return meta if isinstance(meta, dict) else {}

    def code_of(self, run_id: str) -> str | None:
        """The code fingerprint a stored point was made by (its record's ``meta["code"]``, else
        its verified failure's ``"code"``); None when absent, damaged or not recorded. Reads
        only (``--dry-run`` uses it): the verified reads quarantine."""
        if self.has_record(run_id):
            meta = self._record_meta(run_id)
            return None if meta is None else meta.get("code")
        if self.is_failed(run_id):
            try:
                return read_failure(self.failed / f"{run_id}.json", run_id)["code"]
            except RecordError:
                return None
        return None

    def verify(self) -> VerifyReport:
        """:meth:`twolayer.store.RecordStore.verify`, and every recorded failure
        (``failed/*.json``) verified too: a damaged one is moved to ``quarantine/``."""
        report = self.record_store.verify()
        if self.failed.is_dir():
            for path in sorted(self.failed.glob("*.json")):
                try:
                    read_failure(path, path.stem)
                    report.intact += 1
                except LegacyFailure:
                    report.intact += 1  # intact, of older code: its point is retried
                except RecordError as e:
                    report.quarantined.append((str(path), e.why))
                    self.record_store.quarantine(path, e.why)
        if report.quarantined and (gone := self.tables_present()):
            # they listed the quarantined points as stored, with their numbers (until session
            # 49 they stayed): removed, as a run that trains removes them first
            self.remove_tables()
            report.notes.append(f"removed {', '.join(gone)}: they listed the quarantined "
                                "points as stored; the sweep's command writes them again "
                                "(and trains those points)")
        return report

    def tables_present(self) -> list[str]:
        """The names of the tables (points.csv, summary.csv, summary.parquet) in the store."""
        return [n for n in ("points.csv", "summary.csv", "summary.parquet")
                if (self.root / n).is_file() or (self.root / n).is_symlink()]

    def device_of(self, run_id: str) -> str | None:
        """The device a stored record was trained on (``meta["device"]``, e.g. ``cpu`` or
        ``cuda:0``); None for a failure, or when absent, damaged or not recorded. Reads only."""
        device = (self._record_meta(run_id) or {}).get("device")
        return device if isinstance(device, str) else None

    def other_code(self, run_ids: Iterable[str], code: str,
                   device: str | None = None) -> list[str]:
        """The stored points (records or failures) among ``run_ids`` made by code other than
        ``code``, or whose code was not recorded, and, given a ``device`` (``cpu``, ``cuda``,
        ``cuda:N``), the records trained on another device type (a GPU's numbers differ from a
        CPU's in the last digits, so a sweep on one does not reuse the other's points; with
        ``device = "auto"`` the caller passes None and either is reused). Unverified: a
        damaged one may be among them (:meth:`damaged` tells)."""
        want = None if device is None else device.split(":")[0]

        def other(r: str) -> bool:
            if self.code_of(r) != code:
                return True
            if want is None or not self.has_record(r):
                return False
            return (self.device_of(r) or "").split(":")[0] != want

        return [r for r in run_ids if self.has(r) and other(r)]

    def put(self, outcome: Any) -> None:
        """Write one worker :class:`~twolayer.sweep.worker.Outcome` atomically."""
        if outcome.status == "ok":
            rec = outcome.record
            address = self.record_store.put(rec, rec.config)
            if address != rec.run_id:  # pragma: no cover - a config that does not hash to its id
                raise RecordError(self.records / address, f"the config hashes to {address}, "
                                  f"not to its run id {rec.run_id}")
            (self.failed / f"{outcome.run_id}.json").unlink(missing_ok=True)
        else:
            ensure_writable_dir(self.failed, "out")
            doc = failure_document(outcome.run_id, outcome.status, outcome.message,
                                   current_code())
            # a point trained again (--force, or a record of other code) that diverged now: its
            # old record would be listed "ok" with the old numbers (a record wins over a
            # failure), and taken by a resume; removed *before* the failure is written (renamed
            # aside first: a reader sees all of it or none), so that a write stopped between the
            # two (an interrupt, a full disk) leaves the point missing, trained again by the
            # resume, not the old record beside the new failure
            from ..store import _remove

            if (self.records / outcome.run_id).exists():
                _remove(self.records / outcome.run_id)
            write_atomic(self.failed / f"{outcome.run_id}.json", json.dumps(doc, indent=1) + "\n")

    def clean_stale(self, max_age: float | None = 3600.0) -> list[Path]:
        """Remove temporary record directories (``records/.<run_id>.tmp.*``) left by a writer
        killed mid-save, if older than ``max_age`` seconds (a younger one may be a save in
        progress: a SLURM job writes its records without the store's lock, and one of an
        interrupted or killed sweep may still be running). None removes all of them: only for
        a command the user gives for that, which names what it removed (``store verify``)."""
        return self.record_store.clean_temporaries(max_age)

    def prune(self, dry_run: bool = False) -> PruneReport:
        """:meth:`twolayer.store.RecordStore.prune` for a sweep's store: the records and
        recorded failures that no sweep of this twolayer would reuse (made by other twolayer
        code, or by a version that did not record its code) and ``quarantine/``. Plugins are
        not judged (a point whose twolayer part of ``meta["code"]`` is this code's is kept
        whatever its plugins' part says: the spec that named them is not known here). Call
        it under the store's lock."""
        here = current_code().split("+")[0]

        def stale(code: Any) -> str | None:
            if not isinstance(code, str):
                return "its code was not recorded (an older twolayer)"
            if code.split("+")[0] != here:
                return f"made by other twolayer code ({code.split('+')[0]}; this one: {here})"
            return None

        report = self.record_store.prune(stale_record=lambda meta: stale(meta.get("code")),
                                         dry_run=dry_run)
        if self.failed.is_dir():
            for path in sorted(self.failed.glob("*.json")):
                try:
                    why = stale(read_failure(path, path.stem)["code"])
                except LegacyFailure:
                    why = "its code was not recorded (an older twolayer)"
                except RecordError:
                    continue  # damaged: store verify's
                if why is None:
                    report.kept += 1
                    continue
                report.drop(path, why, dry_run)
        held = {self.records.resolve(), self.failed.resolve()}
        points_gone = any(Path(p).resolve().parent in held for p, _ in report.removed)
        if points_gone and (gone := self.tables_present()):
            # the tables list the removed points as stored (until session 49 they stayed)
            if not dry_run:
                self.remove_tables()
            report.notes.append(f"{'would remove' if dry_run else 'removed'} "
                                f"{', '.join(gone)}: they list the removed points as stored; "
                                "the sweep's command writes them again")
        return report

    def forget(self, run_id: str) -> None:
        """Drop a recorded failure (``--force`` retries it; records are replaced on save)."""
        (self.failed / f"{run_id}.json").unlink(missing_ok=True)

    # -- tables -----------------------------------------------------------------------------
    def status(self, run_id: str) -> str:
        if self.has_record(run_id):
            return "ok"
        if self.is_failed(run_id):
            doc = self.failure(run_id)
            return "missing" if doc is None else doc["status"]
        return "missing"

    def remove_tables(self) -> None:
        """Remove points.csv, summary.csv and summary.parquet (before a run that changes what
        they list: one stopped midway must leave no table of the old statuses)."""
        for name in ("points.csv", "summary.csv", "summary.parquet"):
            path = self.root / name
            if path.is_file() or path.is_symlink():  # (not a folder there: its write says)
                with writing(path):  # one line naming it, exit 1
                    path.unlink(missing_ok=True)

    def points_rows(self, points: Iterable[Point]) -> list[dict[str, Any]]:
        """One row per point: index, axis values, run id and status (points.csv)."""
        return [{"point": p.index, **{k: v for k, v in p.coords.items()}, "run_id": p.run_id,
                 "status": self.status(p.run_id)} for p in points]

    def write_points(self, points: Iterable[Point]) -> Path:
        return write_csv(self.root / "points.csv", self.points_rows(points))

    def own_tables(self, points: list[Point]) -> set[str]:
        """The tables present (``points.csv``, ``summary.csv``, ``summary.parquet``) that hold
        exactly what :meth:`write_points` and :meth:`write_summary` would write for ``points``
        now, so that writing them again loses nothing: those an older twolayer left when a run
        of these points was stopped before it stored its first one (it wrote them with every
        point missing, beside no ``records/``). Reads only; ``summary.parquet`` counts when
        pyarrow reads it as the same rows and ``summary.csv`` is one of them (the two are
        written together, the CSV first)."""
        own = set()
        rows = self.summary_rows(points)
        for name, want in (("points.csv", csv_text(self.points_rows(points))),
                           ("summary.csv", csv_text(rows))):
            path = self.root / name
            try:
                if path.is_file() and path.read_text(encoding="utf-8") == want:
                    own.add(name)
            except (OSError, UnicodeDecodeError):
                continue
        path = self.root / "summary.parquet"
        if "summary.csv" in own and path.is_file() and _parquet_holds(path, rows):
            own.add("summary.parquet")
        return own

    def summary_rows(self, points: Iterable[Point]) -> list[dict[str, Any]]:
        """One row per point and seed: axis values, run id, seed, status and the per-run final
        metrics (NaN where a point is missing or failed)."""
        rows: list[dict[str, Any]] = []
        for p in points:
            base = {"point": p.index, **p.coords, "run_id": p.run_id}
            status = self.status(p.run_id)
            rec = self.record_store.get(p.run_id) if status == "ok" else None
            if status == "ok" and rec is None:
                status = "damaged"
            per_run = run_metrics(rec) if rec is not None else {}
            for r, seed in enumerate(p.config.run_seeds):
                row = {**base, "seed": seed, "status": status}
                for key in SUMMARY_METRICS:
                    vals = per_run.get(key)
                    row[key] = float(vals[r]) if vals is not None else float("nan")
                rows.append(row)
        return rows

    def write_summary(self, points: list[Point]) -> list[Path]:
        """summary.csv (and summary.parquet when pyarrow is importable)."""
        rows = self.summary_rows(points)
        out = [write_csv(self.root / "summary.csv", rows)]
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            return out
        path = self.root / "summary.parquet"
        table = pa.Table.from_pylist(rows)
        # atomically, and a failed write removes its temporary (it used to be left behind)
        with writing(path):  # a failed write: one line naming it (WriteFailed, exit 1)
            write_file_atomic(path, lambda fh: pq.write_table(table, fh), binary=True)
        return out + [path]


class LegacyFailure(RecordError):
    """A failure document without a content checksum (written before failures carried one):
    not used (its point counts as trained by other code and is retried), not quarantined."""


def failure_document(run_id: str, status: str, message: str, code: str) -> dict[str, Any]:
    """The document of a recorded failure, with the SHA-256 of its canonical JSON
    (``content``), as records carry one."""
    doc: dict[str, Any] = {"run_id": run_id, "status": status, "message": message,
                           "code": code}
    doc["content"] = hashlib.sha256(canonical_json(doc).encode()).hexdigest()
    return doc


def read_failure(path: Path, run_id: str) -> dict[str, Any]:
    """The failure document at ``path``, verified: readable JSON, its content checksum, the
    run id it is filed under, a failure status and string fields. RecordError (why) when
    damaged; :class:`LegacyFailure` when it has no checksum."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RecordError(path, f"unreadable ({type(e).__name__})") from None
    if not isinstance(doc, dict):
        raise RecordError(path, "not a failure document (a JSON object)")
    if "content" not in doc:
        raise LegacyFailure(path, "no content checksum (written by an older twolayer)")
    body = {k: v for k, v in doc.items() if k != "content"}
    try:
        content = hashlib.sha256(canonical_json(body).encode()).hexdigest()
    except ValueError:  # NaN, Infinity or a number beyond float64: never written so
        raise RecordError(path, "not strict JSON (it holds NaN, Infinity or an out-of-range "
                                "number: edited or damaged)") from None
    if doc["content"] != content:
        raise RecordError(path, "does not match its content checksum (edited or damaged)")
    if doc.get("run_id") != run_id:
        raise RecordError(path, f"names run id {doc.get('run_id')!r}, not {run_id!r}")
    if doc.get("status") not in FAILURE_STATUSES or not all(
            isinstance(doc.get(k), str) for k in ("message", "code")):
        raise RecordError(path, "malformed failure document")
    return doc


def run_metrics(rec: Record) -> dict[str, np.ndarray]:
    """Per-run final metrics of a record, each [R] (the per-run values behind
    :func:`twolayer.simulate.summarize`'s means; ``corr_median_neurons``: the neurons with
    a_j^(0) ≠ 0 that the own-mean medians are over)."""
    from ..data import median_over_signed, own_mean_correlation

    a = rec.arrays
    out: dict[str, np.ndarray] = {}
    for key in ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction"):
        if f"errors/{key}" in a:
            out[key] = a[f"errors/{key}"][:, -1]
    if "baseline/linear_test_error" in a:
        out["linear_test_error"] = a["baseline/linear_test_error"]
    if "correlations/w_dot_mu" in a and rec.config["data"]["kind"] == "xor":
        sign = a["static/a"][..., 0][:, None, :]
        corr = own_mean_correlation(a["correlations/w_dot_mu"], a["correlations/w_norm"], sign)
        med = median_over_signed(corr, sign)  # the neurons with a_j != 0
        out["corr_median_init"], out["corr_median_final"] = med[:, 0], med[:, -1]
        # the neurons the medians are over: an odd m's a_m = 0 has no own mean (m - 1 of m)
        out["corr_median_neurons"] = (a["static/a"][..., 0] != 0).sum(-1).astype(float)
    if "segments/grad_ratio" in a:
        out["grad_ratio_init"] = a["segments/grad_ratio"][:, 0]
        out["grad_ratio_final"] = a["segments/grad_ratio"][:, -1]
    return out


def write_atomic(path: Path, text: str) -> Path:
    return write_text_atomic(path, text)


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts) as CSV text with the union of their keys as header."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Rows (dicts) as CSV with the union of their keys as header, written atomically."""
    text = csv_text(rows)
    ensure_writable_dir(path.parent, "out")
    with writing(path):  # a failed write: one line naming it (WriteFailed, exit 1)
        return write_atomic(path, text)


def _parquet_holds(path: Path, rows: list[dict[str, Any]]) -> bool:
    """Whether the Parquet file at ``path`` holds ``rows`` (the columns and types
    :meth:`Store.write_summary` gives them, NaN equal to NaN); False when pyarrow is missing
    or cannot read it."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if not table.schema.equals(pa.Table.from_pylist(rows).schema):
            return False
        got = table.to_pylist()
    except Exception:  # noqa: BLE001 - not readable as the table: not ours to overwrite
        return False

    def same(a: Any, b: Any) -> bool:
        return bool(a == b) or (isinstance(a, float) and a != a and b != b)  # NaN, NaN

    return len(got) == len(rows) and all(
        list(g) == list(r) and all(same(g[k], r[k]) for k in r) for g, r in zip(got, rows))


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return repr(v)  # round-trips exactly
    return v
