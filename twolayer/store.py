"""A content-addressed record store: every record lives at the address of its identity.

Layout of a store directory::

    <root>/
      records/<address>/        one Record (record.json + arrays.npz, :mod:`twolayer.record`);
                                address = the first hex digits of SHA-256 of the canonical JSON
                                of the record's identity (a sweep point: its resolved config; an
                                experiment's part: the experiment's key and the part's name)
      entries/<key>.json        an experiment's result: its key (experiment, plan version, mode,
                                seeds, device, code fingerprint) and the addresses of its parts
      quarantine/               records and entries found damaged, moved aside with a reason
      .lock                     the lock file of :meth:`RecordStore.lock` (pid and host inside)

Every read is verified (:func:`twolayer.record.read_verified`): the format version, the SHA-256
of ``arrays.npz`` and of the document, and address = hash(identity). A record or entry that
fails is moved to ``quarantine/`` with one warning line on stderr and reported as absent, so the
caller trains it again; it never reaches a summary, a verdict or a figure. Writes go to a
temporary name and are renamed into place; temporaries left by a killed writer are removed by
the next sweep that holds the store's lock and by ``verify`` (any writer removes those older
than an hour).

One writer at a time: :meth:`RecordStore.put_entry` writes under the store's lock
(:meth:`RecordStore.lock`, waited for) and stores nothing when an intact entry of the same key is
already there (another process computed it meanwhile), and a read that finds damage takes the
lock and reads again before it quarantines anything, so two ``check`` or ``figures`` runs on one
store never write one address at once, and never quarantine each other's good items. A sweep,
``store verify`` and ``store prune`` hold the lock for their whole run; the lock is re-entrant
within a process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import shutil
import socket
import stat
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, RecordError
from .record import (
    ARRAYS,
    DOCUMENT,
    Record,
    canonical_json,
    ensure_writable_dir,
    read_document,
    read_verified,
    strict_json,
    write_text_atomic,
)

ENTRY_FORMAT = 1
STALE_SECONDS = 3600.0
WAIT_QUIETLY_SECONDS = 1.0  # a wait for the lock longer than this is said on stderr

Warn = Callable[[str], None]


def address_of(identity: Any, length: int = 12) -> str:
    """The first ``length`` hex digits of SHA-256 of the identity's canonical JSON."""
    return hashlib.sha256(canonical_json(strict_json(identity)).encode()).hexdigest()[:length]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def entry_times(root: str | os.PathLike[str]) -> Iterator[tuple[dict[str, Any], float, float]]:
    """(key, seconds, file mtime) of every experiment entry under ``root`` that kept the time
    its result took to compute. Entries are read without verification: for reports and
    scheduling only, never for results."""
    for path in sorted((Path(root) / "entries").glob("*.json")):
        if not path.is_file():  # a named pipe would block: verify names it
            continue
        try:
            doc = json.loads(path.read_text())
            key, seconds, mtime = doc["key"], doc.get("seconds"), path.stat().st_mtime
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue
        if isinstance(key, dict) and isinstance(seconds, (int, float)):
            yield key, float(seconds), mtime


def experiment_seconds(root: str | os.PathLike[str], quick: bool) -> dict[str, float]:
    """{experiment: seconds} of the newest entry of each experiment under ``root`` in the given
    mode (any code; read without verification: for scheduling only)."""
    newest: dict[str, tuple[float, float]] = {}
    for key, seconds, mtime in entry_times(root):
        if bool(key.get("quick")) != bool(quick):
            continue
        name = str(key.get("experiment", ""))
        if name not in newest or newest[name][0] < mtime:
            newest[name] = (mtime, seconds)
    return {name: seconds for name, (_, seconds) in newest.items()}


@dataclass
class VerifyReport:
    """What :meth:`RecordStore.verify` found: intact items, and the ones it quarantined."""

    intact: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    removed_temporaries: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a sweep's tables removed


@dataclass
class PruneReport:
    """What :meth:`RecordStore.prune` removed (or, in a dry run, would remove): each item's
    path and why, the bytes they held, the items kept, and why some were not judged."""

    removed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    bytes: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)

    def drop(self, path: Path, why: str, dry_run: bool) -> None:
        """Count ``path`` (its bytes, and why) as removed, and remove it unless ``dry_run``."""
        self.removed.append((str(path), why))
        self.bytes += _size(path)
        if not dry_run:
            _remove(path)


def _size(path: Path) -> int:
    """Bytes under ``path`` (a file or a folder), not following links; 0 if it vanished."""
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
        return path.lstat().st_size
    except OSError:
        return 0


def _remove(path: Path) -> None:
    """Remove a file or a record folder; a folder is first renamed aside (``.<name>.old.*``, a
    temporary), so a reader sees the whole record or none of it."""
    if path.is_dir() and not path.is_symlink():
        aside = path.with_name(f".{path.name}.old.{uuid.uuid4().hex[:8]}")
        try:
            os.replace(path, aside)
        except OSError:
            aside = path
        shutil.rmtree(aside, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# -- reading a record beyond its checksums ---------------------------------------------------
# The checksums of record.json (SHA-256 of arrays.npz, SHA-256 of the document) catch damage
# (truncation, flipped bytes, a file swapped in from another record, an edit that did not
# recompute them). Their recipe is public and unkeyed, so an edit that recomputes them passes;
# what follows refuses what such an edit, or a writer of another tool, can leave that a reader
# would crash on or misread, and what a record contradicts about itself.

_ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what twolayer records hold


def _not_regular(mode: int) -> str:
    """What a file of ``mode`` is, where it is not a regular file ("" where it is)."""
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "" if stat.S_ISREG(mode) else "not a regular file"


def check_record_files(path: str | os.PathLike[str]) -> None:
    """RecordError where ``record.json`` or ``arrays.npz`` of the record directory ``path`` is
    there but not a regular file (after following a symbolic link): a named pipe blocks a
    reader forever and a device (a link to ``/dev/zero``) never ends, so neither is opened. A
    missing file is left to :func:`twolayer.record.read_verified`, which names it."""
    path = Path(path)
    if not path.is_dir():
        return  # read_verified names it
    for name in (DOCUMENT, ARRAYS):
        try:
            mode = os.stat(path / name).st_mode
        except FileNotFoundError:
            continue
        except OSError as e:
            raise RecordError(path, f"{name} is unreadable ({e.strerror or e})") from None
        what = _not_regular(mode)
        if what:
            link = " (a symbolic link to it)" if (path / name).is_symlink() else ""
            raise RecordError(path, f"{name} is {what}{link}, not a file: never read")


def check_document(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    """RecordError where a verified ``record.json`` has fields of other types than
    :meth:`Record.save` writes (its checksums recomputed after an edit, or another tool's):
    ``run_id`` a string, ``config``, ``meta``, ``summary``, ``checksums``, ``arrays`` and
    ``dtypes`` objects, ``times`` a list of integers, each array's shape a list of sizes."""
    def bad(field_: str, what: str) -> RecordError:
        return RecordError(path, f"{DOCUMENT}: {field_} is not {what} (edited, its checksums "
                                 "recomputed, or not written by twolayer)")

    if not isinstance(doc.get("run_id"), str):
        raise bad("run_id", "a string")
    for name in ("config", "checksums", "arrays"):
        if not isinstance(doc.get(name), dict):
            raise bad(name, "an object")
    for name in ("meta", "summary", "dtypes"):
        if name in doc and not isinstance(doc[name], dict):
            raise bad(name, "an object")
    times = doc.get("times")
    if not isinstance(times, list) or not all(type(t) is int for t in times):
        raise bad("times", "a list of integers")
    for key, shape in doc["arrays"].items():
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
            raise bad(f"the shape of array {key!r}", "a list of sizes")
    for key, dtype in (doc.get("dtypes") or {}).items():
        if not isinstance(dtype, str):
            raise bad(f"the dtype of array {key!r}", "a string")


def check_arrays(path: str | os.PathLike[str], doc: dict[str, Any],
                 arrays: Mapping[str, Any]) -> None:
    """RecordError where an array of a verified record is not what :meth:`Record.save` writes:
    a dtype other than a bool, integer or float one, or other than ``record.json``'s
    ``dtypes`` lists; no dimension (a record's arrays are [R, ...]); probe times that are not
    integers."""
    dtypes = doc.get("dtypes") or {}
    for key, arr in arrays.items():
        if arr.dtype.kind not in _ARRAY_KINDS or (key == "times" and arr.dtype.kind not in "iu"):
            raise RecordError(path, f"{ARRAYS}: array {key!r} has dtype {arr.dtype} (not a "
                                    "number type twolayer records)")
        if key in dtypes and dtypes[key] != arr.dtype.str:
            raise RecordError(path, f"{ARRAYS}: array {key!r} has dtype {arr.dtype.str}, "
                                    f"{DOCUMENT} says {dtypes[key]}")
        if key != "times" and arr.ndim == 0:
            raise RecordError(path, f"{ARRAYS}: array {key!r} has no run axis (a scalar)")


def read_checked(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(document, arrays) of a record directory: :func:`twolayer.record.read_verified` (format,
    both checksums, the arrays' names, shapes and probe times) after
    :func:`check_record_files` and :func:`check_document`, then :func:`check_arrays`.
    RecordError naming the record and what is wrong."""
    check_record_files(path)
    check_document(path, read_document(path))
    doc, arrays = read_verified(path)
    check_document(path, doc)  # the document read_verified returns, in case it was replaced
    check_arrays(path, doc, arrays)
    return doc, arrays


SUMMARY_RTOL = 1e-6  # load_record: a summary float this close to the recomputed one is the same


def load_record(path: str | os.PathLike[str]) -> Record:
    """Read one setting's record that ``twolayer simulate --out`` (or a sweep) saved, verified
    as far as a record can be: :func:`read_checked`, then what the record says about itself —
    its run id is the hash of its config (an edited config, or seed), every array holds its
    config's ``seeds`` runs, each registered probe's array its probe times, and its summary
    equals the one computed again from its arrays (a number edited in ``record.json``; floats
    within a relative :data:`SUMMARY_RTOL`).
    RecordError naming the record and what is wrong. An edit that also rewrites the run id,
    the summary and the checksums by their public recipes is not detected: nothing in a record
    is secret."""
    from .probes.base import REGISTRY
    from .simulate import summarize

    path = Path(path)
    doc, arrays = read_checked(path)
    config = doc["config"]
    run_id = address_of(config)  # as simulate names a run: its config's hash
    if doc["run_id"] != run_id:
        raise RecordError(path, f"its run id {doc['run_id']} is not the hash of its config "
                                f"({run_id}): the config or the run id was edited")
    if any(b <= a for a, b in zip(doc["times"], doc["times"][1:])) or min(doc["times"],
                                                                           default=0) < 0:
        raise RecordError(path, "its probe times are not increasing from 0 or more")
    seeds = config.get("seeds")
    if type(seeds) is not int or seeds < 1:
        raise RecordError(path, f"its config's seeds is {seeds!r}, not a count of runs")
    times = len(doc["times"])
    for key, arr in arrays.items():
        if key == "times":
            continue
        if arr.shape[0] != seeds:
            raise RecordError(path, f"array {key!r} holds {arr.shape[0]} runs, its config "
                                    f"{seeds} (seeds)")
        if key.split("/", 1)[0] in REGISTRY and (arr.ndim < 2 or arr.shape[1] != times):
            raise RecordError(path, f"array {key!r} has shape {list(arr.shape)}, not "
                                    f"[{seeds}, {times}, ...] (runs, probe times)")
    rec = Record.from_verified(doc, arrays)
    try:
        again = summarize(rec)
    except Exception as e:  # arrays a summary cannot be computed from: never used
        raise RecordError(path, f"its summary cannot be computed again from its arrays "
                                f"({type(e).__name__}: {e})") from None
    for key, value in rec.summary.items():
        if key not in again:
            continue  # a number this twolayer no longer computes
        now = again[key]
        floats = isinstance(value, float) and isinstance(now, float)
        # a float within SUMMARY_RTOL: a mean over float32 arrays may differ in its last bits
        # on another machine's numpy (its SIMD loops sum in another order), never by an edit
        # that changes what a number says
        same = (value == now or (floats and math.isnan(value) and math.isnan(now))
                or (floats and math.isclose(value, now, rel_tol=SUMMARY_RTOL, abs_tol=1e-12)))
        if not same:
            raise RecordError(path, f"its summary's {key} = {value!r} in {DOCUMENT} differs "
                                    f"from {now!r} computed from {ARRAYS}: one of them was "
                                    "edited or swapped, its checksums recomputed")
    return rec


# Record.save's renames that met another writer of the same address (see RecordStore.put)
RACE_ERRNOS = frozenset({errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT})
RACE_ATTEMPTS = 3


class RecordStore:
    """Records at the addresses of their identities, verified on every read."""

    def __init__(self, root: str | os.PathLike[str], warn: Warn | None = None):
        self.root = Path(root)
        self.warn = warn or _stderr

    # -- paths ------------------------------------------------------------------------------
    @property
    def records(self) -> Path:
        """The folder of the records (``<root>/records``)."""
        return self.root / "records"

    @property
    def entries(self) -> Path:
        """The folder of the experiments' entries (``<root>/entries``)."""
        return self.root / "entries"

    @property
    def quarantine_dir(self) -> Path:
        """The folder damaged items are moved to (``<root>/quarantine``)."""
        return self.root / "quarantine"

    # -- records ----------------------------------------------------------------------------
    def has(self, address: str) -> bool:
        """A record directory exists at ``address`` (not verified: :meth:`get` verifies)."""
        return (self.records / address / "record.json").is_file()

    def put(self, record: Record, identity: Any, length: int = 12) -> str:
        """Save ``record`` atomically at the address of ``identity``; return the address. A
        writer without the lock (a SLURM job) may save the same address at the same time: an
        intact record of ``identity`` found there after a failed rename counts as stored."""
        address = address_of(identity, length)
        records = ensure_writable_dir(self.records, "records")
        extra = {"identity": strict_json(identity), "address": address}
        for attempt in range(RACE_ATTEMPTS):
            try:
                record.save(records, name=address, extra=extra)
                return address
            except OSError as e:
                # Record.save's renames fail where another process saves at this address
                # between its check and its rename (writers without the lock: an orphaned
                # SLURM job of a killed sweep and the job resubmitted for the same point). An
                # intact record of the same identity there is the same computation: stored.
                # Else, for a rename that met the other writer (the target appeared, or
                # vanished while being moved aside), save again; any other error is raised.
                if self._holds(address):
                    return address
                if e.errno not in RACE_ERRNOS or attempt == RACE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _holds(self, address: str) -> bool:
        """An intact record is at ``address`` (read as :meth:`load` reads it: its identity
        hashes to the address; never quarantined)."""
        try:
            self.load(address)
        except RecordError:
            return False
        return True

    def get(self, address: str) -> Record | None:
        """The verified record at ``address``; None if absent or damaged (then quarantined, after
        a second read under the store's lock: damage seen while another process wrote is not
        damage)."""
        path = self.records / address
        if not path.exists():
            return None
        try:
            return self._load(path, address)
        except RecordError:
            pass
        with self.lock(wait=True):
            if not path.exists():
                return None
            try:
                return self._load(path, address)
            except RecordError as e:
                self.quarantine(path, e.why)
                return None

    def load(self, address: str) -> Record:
        """The verified record at ``address`` (RecordError if absent or damaged; not moved)."""
        return self._load(self.records / address, address)

    def _load(self, path: Path, address: str) -> Record:
        if not path.is_dir():
            raise RecordError(path, "no such record")
        doc, arrays = read_checked(path)  # read and checked once
        if doc.get("address") != address or "identity" not in doc:
            raise RecordError(path, f"its document names address {doc.get('address')!r}, not "
                                    f"{address!r}")
        if address_of(doc["identity"], len(address)) != address:
            raise RecordError(path, "its identity (config) does not hash to its address "
                                    f"{address}")
        return Record.from_verified(doc, arrays)

    # -- experiment entries -----------------------------------------------------------------
    def put_entry(self, key: Mapping[str, Any], result: Record | Mapping[str, Record],
                  seconds: float | None = None) -> str:
        """Save an experiment's result (a Record, or a mapping name → Record) under ``key``;
        the parts first, the entry last, so an entry present means every part was written.
        ``seconds``: the wall time it took to compute (kept in the entry: ``--seeds auto``
        estimates the cost of more seeds from it). Written under the store's lock; when an
        intact entry of ``key`` is already there (another process stored the same computation
        meanwhile), nothing is written and its id is returned."""
        key_id = address_of(key, 16)
        with self.lock(wait=True):
            if self.get_entry_timed(key)[0] is not None:
                return key_id
            return self._put_entry(key, key_id, result, seconds)

    def _put_entry(self, key: Mapping[str, Any], key_id: str,
                   result: Record | Mapping[str, Record], seconds: float | None) -> str:
        if isinstance(result, Record):
            kind, parts = "record", {"": result}
        else:
            kind, parts = "mapping", dict(result)
        addresses = {}
        for name, rec in parts.items():
            if not isinstance(name, str) or not isinstance(rec, Record):
                raise TypeError("an experiment must return a Record or a mapping of str names "
                                f"to Records; part {name!r} is a {type(rec).__name__}")
            addresses[name] = self.put(rec, {"entry": key_id, "part": name}, 16)
        doc = {"format": ENTRY_FORMAT, "key": strict_json(dict(key)), "id": key_id,
               "kind": kind, "parts": addresses}
        if kind == "mapping":  # the file's keys are sorted: keep the experiment's own order
            doc["order"] = list(addresses)
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            doc["seconds"] = round(float(seconds), 3)
        doc["content"] = hashlib.sha256(canonical_json(doc).encode()).hexdigest()
        ensure_writable_dir(self.entries, "records")
        write_text_atomic(self.entries / f"{key_id}.json",
                          json.dumps(doc, indent=1, sort_keys=True) + "\n")
        return key_id

    def get_entry(self, key: Mapping[str, Any]) -> Record | dict[str, Record] | None:
        """The verified result stored under ``key``; None if absent or damaged (quarantined)."""
        return self.get_entry_timed(key)[0]

    def get_entry_timed(
        self, key: Mapping[str, Any]
    ) -> tuple[Record | dict[str, Record] | None, float | None]:
        """:meth:`get_entry` and the seconds its result took to compute (None when the entry
        does not say: written before entries kept it, or not found). Damage is read again
        under the store's lock before anything is quarantined."""
        key_id = address_of(key, 16)
        path = self.entries / f"{key_id}.json"
        if not path.exists():
            return None, None
        try:
            return self._read_entry(path, key_id, key, settle=False)
        except RecordError:
            pass
        with self.lock(wait=True):
            if not path.exists():
                return None, None
            return self._read_entry(path, key_id, key, settle=True)

    def _read_entry(self, path: Path, key_id: str, key: Mapping[str, Any], settle: bool
                    ) -> tuple[Record | dict[str, Record] | None, float | None]:
        """The verified result of the entry at ``path`` and its seconds. Damage (the entry's or
        a part's): RecordError and nothing moved; or, ``settle`` (under the lock), the damaged
        part and the entry quarantined and (None, None)."""
        try:
            doc = self._entry_document(path, key_id)
            if doc["key"] != strict_json(dict(key)):
                raise RecordError(path, "its key differs from the one it is filed under")
        except RecordError as e:
            if not settle:
                raise
            self.quarantine(path, e.why)
            return None, None
        parts: dict[str, Record] = {}
        for name, address in doc["parts"].items():
            part = self.records / address  # the part's address was checked by _entry_document
            try:
                parts[name] = self._load(part, address)
            except RecordError as e:
                if not settle:
                    raise
                if part.exists():
                    self.quarantine(part, e.why)
                # a one-record entry's part has no name ("" in the document): say "its record"
                what = f"its part {name!r}" if name else "its record"
                self.quarantine(path, f"{what} ({address}) is missing or damaged")
                return None, None
        seconds = doc.get("seconds")
        seconds = float(seconds) if isinstance(seconds, (int, float)) else None
        return (parts[""] if doc["kind"] == "record" else parts), seconds

    def has_entry(self, key: Mapping[str, Any]) -> bool:
        """An entry exists under ``key`` (not verified: :meth:`get_entry` verifies)."""
        return (self.entries / f"{address_of(key, 16)}.json").is_file()

    @staticmethod
    def _entry_document(path: Path, key_id: str) -> dict[str, Any]:
        try:
            what = _not_regular(os.stat(path).st_mode)
        except OSError as e:
            raise RecordError(path, f"unreadable ({type(e).__name__})") from None
        if what:  # a named pipe or a device: opening it blocks or never ends
            raise RecordError(path, f"is {what}, not a file: never read")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
            raise RecordError(path, f"unreadable ({type(e).__name__})") from None
        if not isinstance(doc, dict) or doc.get("format") != ENTRY_FORMAT:
            raise RecordError(path, "not an entry of this twolayer's format")
        body = {k: v for k, v in doc.items() if k != "content"}
        try:
            content = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        except ValueError:  # NaN, Infinity or a number beyond float64: put never writes these
            raise RecordError(path, "not strict JSON (it holds NaN, Infinity or an out-of-range "
                                    "number: edited or damaged)") from None
        if doc.get("content") != content:
            raise RecordError(path, "does not match its content checksum (edited or damaged)")
        if doc.get("id") != key_id or address_of(doc.get("key"), 16) != key_id:
            raise RecordError(path, "its key does not hash to its name")
        if doc.get("kind") not in ("record", "mapping") or not isinstance(doc.get("parts"), dict):
            raise RecordError(path, "malformed entry")
        for name, address in doc["parts"].items():
            # a part is filed at the address of {"entry": id, "part": name}: another entry's
            # part (or another name's) is foreign, even under a forged checksum
            if (not isinstance(address, str) or not address
                    or address_of({"entry": key_id, "part": name}, len(address)) != address):
                raise RecordError(path, f"its part {name!r} is filed at a foreign address")
        if doc["kind"] == "record" and list(doc["parts"]) != [""]:
            raise RecordError(path, "malformed entry (a record entry has exactly one part)")
        order = doc.get("order")  # absent in entries written before it was kept: sorted order
        if order is not None:
            if (not isinstance(order, list) or not all(isinstance(n, str) for n in order)
                    or len(order) != len(doc["parts"])
                    or set(order) != set(doc["parts"])):
                raise RecordError(path, "malformed entry (its order does not list its parts)")
            doc["parts"] = {name: doc["parts"][name] for name in order}
        return doc

    # -- damage, temporaries, verification --------------------------------------------------
    def quarantine(self, path: Path, why: str) -> Path | None:
        """Move a damaged record or entry into ``quarantine/`` (with a ``.why`` note) and say so
        on one line; return its new path (None if it vanished meanwhile). A failed move (a
        file where ``quarantine/`` goes, a full disk) is :class:`~twolayer.resources.WriteFailed`
        naming the path (one line, exit 1), not a traceback."""
        from .resources import writing

        stamp = time.strftime("%Y%m%dT%H%M%S")
        tag = f"{stamp}.{uuid.uuid4().hex[:6]}"
        dest = self.quarantine_dir / f"{path.parent.name}-{path.name}.{tag}"
        with writing(self.quarantine_dir):
            if self.quarantine_dir.exists() and not self.quarantine_dir.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "a file is where the quarantine "
                                         "folder goes", str(self.quarantine_dir))
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(path, dest)
            except FileNotFoundError:
                return None
            write_text_atomic(dest.with_name(dest.name + ".why"), why + "\n")
        rel = os.path.relpath(path, self.root)
        self.warn(f"twolayer: warning: {rel} in store {self.root} is damaged ({why}); moved to "
                  f"quarantine/{dest.name}; it will be computed again")
        return dest

    def clean_temporaries(self, max_age: float | None = STALE_SECONDS) -> list[Path]:
        """Remove temporaries a killed writer left (``.<name>.tmp.*``, and ``.<name>.old.*``:
        the record a save replaces, moved aside until the new one is in place) that are older
        than ``max_age`` seconds (None: all of them; only safe under :meth:`lock`)."""
        removed = []
        now = time.time()
        for folder in (self.records, self.entries):
            if not folder.is_dir():
                continue
            for p in sorted({*folder.glob(".*.tmp*"), *folder.glob(".*.old.*")}):
                if max_age is not None and now - p.lstat().st_mtime <= max_age:
                    continue
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def verify(self) -> VerifyReport:
        """Verify every record and entry; quarantine what fails. Call it under :meth:`lock`:
        every writer writes under the lock, so every temporary found then is a dead writer's
        and is removed. A record that vanishes while it is read is not reported as moved."""
        report = VerifyReport()
        report.removed_temporaries = [str(p) for p in self.clean_temporaries(None)]
        if self.records.is_dir():
            for path in sorted(p for p in self.records.iterdir() if not p.name.startswith(".")):
                try:
                    self._load(path, path.name)
                    report.intact += 1
                except RecordError as e:
                    if self.quarantine(path, e.why) is not None:
                        report.quarantined.append((str(path), e.why))
        if self.entries.is_dir():
            for path in sorted(self.entries.glob("*.json")):
                try:
                    doc = self._entry_document(path, path.stem)
                    bad = [a for a in doc["parts"].values() if not self.has(a)]
                    if bad:
                        raise RecordError(path, f"parts missing: {', '.join(bad)}")
                    report.intact += 1
                except RecordError as e:
                    if self.quarantine(path, e.why) is not None:
                        report.quarantined.append((str(path), e.why))
        return report

    def prune(self, stale_entry: Callable[[dict[str, Any]], str | None] | None = None,
              stale_record: Callable[[dict[str, Any]], str | None] | None = None,
              dry_run: bool = False) -> PruneReport:
        """Remove what no run of this code would read again: the entries for which
        ``stale_entry(key)`` gives a reason (a string: why it is stale) with their parts; in a
        store with ``entries/``, the records that no remaining entry names (an entry's parts
        are written before it, but under the lock that prune holds: none is half-written);
        the records for which ``stale_record(meta)`` gives a reason (a sweep's store);
        and everything in ``quarantine/``. Damaged entries and records are left to
        :meth:`verify` (their parts cannot be told), and while an entry is damaged no record is
        judged an orphan. ``dry_run``: only report. Call it under :meth:`lock`."""
        report = PruneReport()

        def drop(path: Path, why: str) -> None:
            report.drop(path, why, dry_run)

        named: set[str] = set()
        damaged_entries = 0
        if self.entries.is_dir():
            for path in sorted(self.entries.glob("*.json")):
                try:
                    doc = self._entry_document(path, path.stem)
                except RecordError:
                    damaged_entries += 1
                    continue
                why = stale_entry(doc["key"]) if stale_entry is not None else None
                if why is None:
                    named.update(doc["parts"].values())
                    report.kept += 1
                    continue
                drop(path, why)
                for address in doc["parts"].values():
                    part = self.records / address
                    if part.exists():
                        drop(part, f"a part of the pruned entry {path.name}")
        if damaged_entries:
            report.notes.append(f"{damaged_entries} damaged entries left for `store verify`; "
                                "no record was judged unnamed while they are there")
        removed = {Path(p) for p, _ in report.removed}
        if self.records.is_dir():
            for path in sorted(p for p in self.records.iterdir() if not p.name.startswith(".")):
                if path in removed:
                    continue
                if self.entries.is_dir() and path.name not in named and not damaged_entries:
                    drop(path, "named by no entry")
                    continue
                if stale_record is not None and path.name not in named:
                    try:
                        check_record_files(path)
                        doc = json.loads((path / "record.json").read_text(encoding="utf-8"))
                        meta = doc.get("meta") if isinstance(doc, dict) else None
                    except (OSError, UnicodeDecodeError, ValueError, RecursionError,
                            RecordError):
                        continue  # damaged: verify's
                    why = stale_record(meta if isinstance(meta, dict) else {})
                    if why is not None:
                        drop(path, why)
                        continue
                report.kept += 1
        if self.quarantine_dir.is_dir():
            for path in sorted(self.quarantine_dir.iterdir()):
                drop(path, "quarantined")
        return report

    # -- one writer -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait: bool = False, flag: str = "records") -> Iterator[None]:
        """Hold the store's exclusive lock (``flock`` on ``<root>/.lock``, which names the
        holder's pid and host). Held by another process for more than
        :data:`WAIT_QUIETLY_SECONDS` (longer than another run's save): wait when ``wait``
        (saying so on one line, through ``warn``), else ConfigError naming the holder.
        Re-entrant within a process (a sweep that holds it may quarantine or store under it);
        other threads of the process wait. A lock whose holder died is released by the kernel,
        so it is simply taken over."""
        ensure_writable_dir(self.root, flag)
        held = _held(self.root)
        if not held.mutex.acquire(blocking=wait):
            raise ConfigError(flag, str(self.root), "the store is in use by another thread of "
                              "this process")
        try:
            if held.depth:
                held.depth += 1
                try:
                    yield
                finally:
                    held.depth -= 1
                return
            with self._flock(wait, flag):
                held.depth = 1
                try:
                    yield
                finally:
                    held.depth = 0
        finally:
            held.mutex.release()

    @contextlib.contextmanager
    def _flock(self, wait: bool, flag: str) -> Iterator[None]:
        path = self.root / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        held = False
        try:
            quiet_until = time.monotonic() + WAIT_QUIETLY_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = (os.pread(fd, 200, 0).decode(errors="replace").strip()
                              or "another process")
                if time.monotonic() >= quiet_until:  # not another run's save: a long hold
                    if not wait:
                        raise ConfigError(flag, str(self.root), f"the store is in use by "
                                          f"{holder}; wait for it to finish (or pass --wait to "
                                          "queue)")
                    self.warn(f"twolayer: waiting for store {self.root}: in use by {holder}")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    break
                time.sleep(0.02)  # another run's save is usually over within a second
            held = True
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
            yield
        finally:
            if held:  # a refused contender leaves the holder's name in place
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)  # releases the flock


@dataclass
class _Held:
    """This process's hold on one store's lock: a mutex for its threads, and how deep."""

    mutex: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0
    pid: int = field(default_factory=os.getpid)


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def _held(root: Path) -> _Held:
    """The hold of this process on the lock of the store at ``root`` (a forked child starts
    with none: its parent's hold is not its own)."""
    key = os.path.realpath(root)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is None or held.pid != os.getpid():
            held = _HELD[key] = _Held()
        return held
