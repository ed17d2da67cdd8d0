"""The Record: what a simulation measured, as plain files.

A record holds the resolved config, its run id, the probe times, named numpy arrays (probe
arrays are [R, T, ...]: run × probe time × ...; static arrays are [R, ...]) and metadata
(versions, device, wall time). On disk a record is a directory ``<out>/<run_id>/`` with

- ``arrays.npz``: every array, readable with ``numpy.load(path, allow_pickle=False)``;
- ``record.json``: config, run id, times, metadata and a summary, human-readable strict JSON
  (a non-finite number, e.g. the NaN fraction of an empty noisy subset, is written as null).

Saving writes a temporary directory next to the target and renames it into place, so a reader
never sees a half-written record.

A folder of saved records (``simulate --out DIR``) holds one folder per record, named by its run
id. A subfolder is taken for a record (:func:`record_folders`) when it is not hidden (hidden ones,
``.<run_id>.tmp.*``, are a killed save's temporaries) and holds ``record.json`` or
``arrays.npz``, or its name reads as a run id (12 hex digits): so a record whose ``record.json``
was deleted, or an emptied one, is named damaged rather than passed over, while a folder of the
user's that has none of these (``plots/``) is no record. A record folder whose name reads as a
run id must be its own (:func:`check_folder_name`); any other name (``Record.save(out, name=...)``,
a user's ``cp -r <run_id> baseline``) is the user's and is read.

Integrity (format 2): ``record.json`` carries the SHA-256 of ``arrays.npz`` (``checksums``) and
of its own canonical content (``content``: SHA-256 of the sorted, compact JSON of the document
without that field), and the shape and dtype of every array. :meth:`Record.load` verifies the
format version, both checksums and the arrays' shapes, and raises :class:`RecordError` naming
the record and what is wrong, so a truncated, damaged or foreign record is never used. An edit
whose checksums were recomputed passes those checks: :func:`twolayer.store.load_record` (what
``twolayer show`` and ``check --record`` read with) also checks the run id against the config,
each array's runs and probe times, and the summary against one computed again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .errors import ConfigError, RecordError, unreachable_path

FORMAT_VERSION = 2
ARRAYS = "arrays.npz"
DOCUMENT = "record.json"
RUN_ID_NAME = re.compile(r"[0-9a-fA-F]{12}")  # a folder name that reads as a run id


@dataclass
class Record:
    """What one batched simulation measured: the resolved config (a dict), its run id, the
    probe times [T], named arrays (``rec["errors/test_error"]``: probe arrays [R, T, ...],
    static arrays [R, ...]), metadata and a summary of headline numbers (module docstring)."""

    config: dict[str, Any]
    run_id: str
    times: np.ndarray
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def seeds(self) -> int:
        """R, the number of runs (the config's ``seeds``)."""
        return int(self.config["seeds"])

    def __getitem__(self, key: str) -> np.ndarray:
        """Array ``key``; a KeyError naming the record's arrays where it has none of that
        name (the probe times are ``rec.times``, not an array)."""
        try:
            return self.arrays[key]
        except KeyError:
            hint = "; the probe times are rec.times" if key == "times" else ""
            raise KeyError(f"{key!r} is not an array of this record{hint}; its arrays: "
                           + (", ".join(sorted(self.arrays)) or "none")) from None

    def __contains__(self, key: object) -> bool:
        """Whether the record has an array ``key`` (``"errors/loss" in rec``)."""
        return key in self.arrays

    def at(self, key: str, t: int) -> np.ndarray:
        """Array ``key`` at probe time t (exactly one of the record's times): [R, ...]."""
        idx = np.flatnonzero(self.times == t)
        if idx.size == 0:
            raise KeyError(f"time {t} is not a probe time of this record")
        return self.arrays[key][:, int(idx[0])]

    def to_json(self) -> dict[str, Any]:
        """The ``record.json`` document without its checksums: format, run id, config, times,
        meta, summary, and the arrays' shapes and dtypes."""
        return {
            "format": FORMAT_VERSION,
            "run_id": self.run_id,
            "config": self.config,
            "times": [int(t) for t in self.times],
            "meta": self.meta,
            "summary": self.summary,
            "arrays": {k: list(v.shape) for k, v in self.arrays.items()},
            "dtypes": {k: np.asarray(v).dtype.str for k, v in self.arrays.items()},
        }

    def save(self, out: str | os.PathLike[str], name: str | None = None,
             extra: dict[str, Any] | None = None) -> Path:
        """Write atomically to ``out/<name>/`` (default name: the run id), replacing an existing
        record of that name. ``extra``: more top-level fields of ``record.json`` (e.g. the
        store's address of the record), covered by the content checksum."""
        made = missing_dirs(out)  # the folders this call creates: removed again if it fails
        root = ensure_writable_dir(out, "out")
        name = name or self.run_id
        target = root / name
        tmp = root / f".{name}.tmp.{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()  # mode 0o777 & ~umask, like the directory it replaces
        except BaseException:
            remove_empty_dirs(made)
            raise
        try:
            np.savez(tmp / ARRAYS, times=self.times, **self.arrays)
            doc = strict_json({**self.to_json(), **(extra or {})})
            doc["checksums"] = {ARRAYS: file_sha256(tmp / ARRAYS)}
            doc["content"] = content_sha256(doc)
            with open(tmp / DOCUMENT, "w") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True, allow_nan=False)
                fh.write("\n")
            if target.exists():
                old = root / f".{name}.old.{uuid.uuid4().hex[:8]}"  # beside the target
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            remove_empty_dirs(made)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Record:
        """Read and verify a record directory written by :meth:`save` (:class:`RecordError` if
        it is missing, truncated, of another format, or edited without its checksums recomputed).
        Its checksums only: :func:`twolayer.store.load_record` also refuses an edit whose
        checksums were recomputed (run id, shapes, summary)."""
        return cls.from_verified(*read_verified(path))

    @classmethod
    def from_verified(cls, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> Record:
        """The Record of a verified document and its arrays (:func:`read_verified`). A summary
        number saved as null (a mean over no run where the value is finite: NaN in memory,
        which strict JSON cannot hold) is NaN again, so that a record read back, from a store
        or a folder, has the summary of the record that was saved (it had None there, and
        ``rec.summary["grad_ratio_final"] > 1`` raised TypeError on a stored record only)."""
        arrays = dict(arrays)
        times = arrays.pop("times")
        return cls(
            config=doc["config"],
            run_id=doc["run_id"],
            times=times,
            arrays=arrays,
            meta=doc.get("meta", {}),
            summary={k: math.nan if v is None else v
                     for k, v in doc.get("summary", {}).items()},
        )


def canonical_json(obj: Any) -> str:
    """Sorted-key compact JSON: the form that identities and checksums are computed on."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def content_sha256(doc: dict[str, Any]) -> str:
    """SHA-256 of a record document's canonical JSON without its ``content`` field."""
    body = {k: v for k, v in doc.items() if k != "content"}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The verified ``record.json`` of a record directory (format and content checksum)."""
    path = Path(path)
    try:
        with open(path / DOCUMENT, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise RecordError(path, f"{DOCUMENT} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RecordError(path, f"{DOCUMENT} is unreadable ({type(e).__name__}: {e})") from None
    if not isinstance(doc, dict):
        raise RecordError(path, f"{DOCUMENT} is not a JSON object")
    fmt = doc.get("format")
    if fmt != FORMAT_VERSION:
        raise RecordError(path, f"written in record format {fmt!r}; this twolayer reads format "
                                f"{FORMAT_VERSION} (an incompatible version)")
    try:
        content = content_sha256(doc)
    except ValueError:  # NaN, Infinity or a number beyond float64: save never writes these
        raise RecordError(path, f"{DOCUMENT} is not strict JSON (it holds NaN, Infinity or an "
                                "out-of-range number: edited or damaged)") from None
    if doc.get("content") != content:
        raise RecordError(path, f"{DOCUMENT} does not match its content checksum (edited or "
                                "damaged)")
    return doc


def _present(path: Path) -> bool:
    """Whether ``path`` is there, as a file, a folder or a link (a dangling one too)."""
    return path.is_symlink() or path.exists()


def holds_record_files(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds ``record.json`` or ``arrays.npz`` (whatever their state: a
    reader names what is wrong with them)."""
    folder = Path(folder)
    return _present(folder / DOCUMENT) or _present(folder / ARRAYS)


def record_folders(root: str | os.PathLike[str]) -> list[Path]:
    """The record folders directly under ``root`` (a folder of records saved by ``simulate
    --out``), sorted: every folder that is not hidden (``.<run_id>.tmp.*``: a killed save's
    temporaries) and holds ``record.json`` or ``arrays.npz``, or whose name reads as a run id (12
    hex digits, as ``simulate --out`` names a record's folder). A record with a file missing is
    one of them (a reader names it damaged); a folder with none of these is not a record."""
    return sorted(p for p in Path(root).iterdir()
                  if p.is_dir() and not p.name.startswith(".")
                  and (RUN_ID_NAME.fullmatch(p.name) or holds_record_files(p)))


def check_folder_name(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    """RecordError where the name of record folder ``path`` reads as a run id (12 hex digits)
    but is not the record's own: its store address where ``record.json`` names one (a store's
    record), else its run id (``simulate --out`` names a record's folder by its run id). Such a
    folder was renamed, or copied under another run's id, and its name would say it holds a run
    it does not. A name that is no run id (``baseline``: ``Record.save(out, name=...)``, a copy
    the user named) is the user's and is not checked. The name is that of the folder itself
    (a symbolic link to it is followed)."""
    name = Path(os.path.realpath(path)).name
    if not RUN_ID_NAME.fullmatch(name):
        return
    what, own = (("store address", doc.get("address")) if "address" in doc
                 else ("run id", doc.get("run_id")))
    if name != own:
        raise RecordError(path, f"its folder is named {name}, a run id, but {DOCUMENT} gives "
                                f"its {what} as {own} (renamed, or copied under another run's "
                                f"id): rename the folder {own}, or give it a name that is not "
                                "12 hex digits")


def read_verified(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(document, arrays) of a record directory, every checksum and shape verified."""
    path = Path(path)
    doc = read_document(path)
    want = (doc.get("checksums") or {}).get(ARRAYS)
    try:
        got = file_sha256(path / ARRAYS)
    except OSError as e:
        raise RecordError(path, f"{ARRAYS} is unreadable ({e.strerror or e})") from None
    if got != want:
        raise RecordError(path, f"{ARRAYS} does not match its checksum (truncated or replaced)")
    try:
        with np.load(path / ARRAYS, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # a damaged zip or member: never used
        raise RecordError(path, f"{ARRAYS} is unreadable ({type(e).__name__}: {e})") from None
    shapes = doc.get("arrays", {})
    if "times" not in arrays or set(shapes) != set(arrays) - {"times"}:
        raise RecordError(path, f"{ARRAYS} holds other arrays than {DOCUMENT} lists")
    times = arrays["times"]  # record.json lists them as to_json writes them: int(t)
    if times.ndim != 1 or not np.isfinite(times).all() or [int(t) for t in times] != doc.get(
            "times"):
        raise RecordError(path, f"the probe times of {ARRAYS} differ from those {DOCUMENT} lists")
    for k, shape in shapes.items():
        if list(arrays[k].shape) != list(shape):
            raise RecordError(path, f"array {k!r} has shape {list(arrays[k].shape)}, "
                                    f"{DOCUMENT} says {shape}")
    return doc, arrays


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, ±inf) replaced by None, so that it serialises
    as standard JSON (``null``) that any JSON reader accepts."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.generic):
        return strict_json(obj.item())
    return obj


def default_file_mode(path: str | os.PathLike[str]) -> None:
    """Give a ``mkstemp`` file (mode 0600) the mode a plain ``open`` would: 0666 & ~umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_file_atomic(path: str | os.PathLike[str], write: Callable[[IO], object],
                      binary: bool = False) -> Path:
    """Write a file atomically: ``write(fh)`` fills a temporary file in the same directory,
    then ``os.replace`` puts it in place, so a reader never sees a half-written file (the
    temporary one is removed on any error)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")) as fh:
            write(fh)
        default_file_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write a text file atomically (:func:`write_file_atomic`)."""
    return write_file_atomic(path, lambda fh: fh.write(text))


def blocked_at(p: Path) -> Path:
    """The folder at fault when looking up or listing ``p`` failed with EACCES: the nearest of
    ``p`` and its ancestors that can itself be looked up (it exists, but its mode lets nobody but
    root enter or list it)."""
    for a in (p, *p.parents):
        try:
            a.stat()
        except PermissionError:
            continue
        return a
    return p


def _unreachable(flag: str, value: str, p: Path) -> ConfigError:
    return ConfigError(flag, value, f"must be a writable directory ({blocked_at(p)} cannot be "
                       "entered: permission denied)")


def _dangling(flag: str, value: str, p: Path) -> ConfigError | None:
    """The refusal of a path that is a symbolic link to nothing (``mkdir`` says "File exists"
    there, which named no fault: session 48's helper), else None."""
    try:
        if not p.is_symlink() or p.exists():
            return None
        target = os.readlink(p)
    except OSError:
        return None
    return ConfigError(flag, value, f"must be a writable directory ({p} is a symbolic link to "
                       f"{target}, which does not exist: create it, or give another path)")


def missing_dirs(path: str | os.PathLike[str]) -> list[Path]:
    """The folders that creating ``path`` (with its parents) would make, deepest first."""
    made = []
    p = Path(path).absolute()
    try:
        while not p.exists() and p != p.parent:
            made.append(p)
            p = p.parent
    except OSError:  # a folder above cannot be entered: creating will fail and say so
        return []
    return made


def remove_empty_dirs(made: list[Path]) -> None:
    """Remove the folders of :func:`missing_dirs` again, deepest first, while they are empty
    (a write that failed leaves no folder it created; one something else wrote into stays)."""
    for p in made:
        try:
            p.rmdir()
        except OSError:
            return


def ensure_writable_dir(path: str | os.PathLike[str], flag: str = "out",
                        value: object = None) -> Path:
    """Create ``path`` if needed and check that files can be written in it (ConfigError if not,
    naming ``flag`` and ``value``: what the user gave, e.g. a file in ``path``; default path;
    and the folder or file at fault)."""
    p = Path(path)
    value = str(path) if value is None else str(value)
    try:
        is_file = p.exists() and not p.is_dir()
    except PermissionError:  # a folder above it cannot be entered (Path.exists raises EACCES)
        raise _unreachable(flag, value, p.absolute()) from None
    if is_file:
        raise ConfigError(flag, value, f"must be a writable directory ({p} is a file)")
    for a in (p, *p.parents):
        if (e := _dangling(flag, value, a)) is not None:
            raise e
    made = missing_dirs(p)
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        remove_empty_dirs(made)
        at = f"{e.filename}: " if e.filename else ""
        raise ConfigError(flag, value, f"must be a writable directory ({at}{e.strerror})"
                          ) from None
    return p


def check_writable_dir(path: str | os.PathLike[str], flag: str = "out",
                       value: object = None) -> Path:
    """Check, leaving nothing behind, that ``path`` is or can become a writable directory
    (ConfigError naming ``flag`` and ``value``, default ``path``)."""
    p = Path(path).expanduser().absolute()
    value = str(path) if value is None else str(value)
    if why := unreachable_path(str(p)):  # under a missing folder the kernel says ENOENT first
        raise ConfigError(flag, value, f"no file or folder can be there: {why}")
    probe = p
    try:
        while not probe.exists():
            if (e := _dangling(flag, value, probe)) is not None:
                raise e
            probe = probe.parent
    except PermissionError:  # a folder on the way cannot be entered (Path.exists raises EACCES)
        raise _unreachable(flag, value, probe) from None
    if not probe.is_dir():
        why = f"{probe} is not a directory"
        raise ConfigError(flag, value, f"must be a writable directory ({why})")
    if not os.access(probe, os.W_OK | os.X_OK):
        why = f"{probe} is not writable"
        raise ConfigError(flag, value, f"must be a writable directory ({why})")
    # os.access trusts the mode bits (always yes for root): try it, leaving nothing behind — a
    # file where the directory exists, else a directory in its nearest existing parent
    try:
        if probe == p:
            fd, tmp = tempfile.mkstemp(prefix=".write-test.", dir=probe)
            os.close(fd)
            os.unlink(tmp)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".write-test.", dir=probe))
    except OSError as e:
        # the error is about creating in ``probe``: /proc's "No such file or directory" alone
        # would read as if /proc were missing
        raise ConfigError(flag, value, f"must be a writable directory (nothing can be created "
                          f"in {probe}: {e.strerror})") from None
    return p
