"""The ``--records DIR`` / ``--no-store`` flags of the commands that run experiments (``check``,
``figures``): where the experiments' Records are kept between runs (:mod:`twolayer.store`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import ConfigError, not_a_folder
from ..experiments import Runs, default_store_dir
from ..record import blocked_at, check_writable_dir, ensure_writable_dir
from ..store import RecordStore


def add_store_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--records", metavar="DIR",
                   help="record store: reuse the experiments' runs stored there and store the "
                   "ones trained now (default: $TWOLAYER_STORE or ~/.cache/twolayer/store)")
    p.add_argument("--no-store", action="store_true",
                   help="keep every run in memory only (train everything, store nothing)")


def store_location(args: argparse.Namespace) -> tuple[object, str]:
    """The store directory the flags or the environment name, and what to call it in an error:
    ``records`` (the flag, or the default ~/.cache/twolayer/store) or ``TWOLAYER_STORE``."""
    if args.records is not None:
        return args.records, "records"
    if os.environ.get("TWOLAYER_STORE"):
        return default_store_dir(), "TWOLAYER_STORE"
    return default_store_dir(), "records"


def check_store_flags(args: argparse.Namespace, writable: bool = True) -> None:
    """Raise ConfigError (exit 2) for store flags that cannot work: --records with --no-store,
    an empty --records, or (``writable``) a store directory — --records, $TWOLAYER_STORE or the
    default — that cannot become a writable directory; creates nothing (``--list`` reads no store
    but refuses what a real run would)."""
    if args.no_store:
        if args.records is not None:
            raise ConfigError("records", args.records, "cannot be combined with --no-store")
        return
    if args.records is not None and not str(args.records).strip():
        raise ConfigError("records", args.records, "must be a directory path (not empty)")
    root, flag = store_location(args)
    check_not_other_store(root, flag)
    if writable:
        if Path(str(root)).expanduser().is_file():  # said as such, by check and figures alike
            raise ConfigError(flag, str(root), f"must be a writable directory ({root} is a file)")
        check_writable_dir(root, flag)


def check_not_other_store(root: object, flag: str) -> None:
    """ConfigError (exit 2, before any work) when the store directory is a sweep's store or a
    folder of records saved by ``simulate --out``: check and figures added their entries/ and
    records beside the sweep's, and ``store prune`` then took it for an experiments' store and
    removed every sweep record as "named by no entry" (100 of sweeps/hundred.toml's)."""
    path = Path(str(root))
    try:
        _check_layout(path, root, flag)
        _check_not_other_store(path, root, flag)
    except PermissionError as e:  # Path.is_dir raises EACCES where a folder cannot be entered
        at = Path(e.filename) if e.filename else path
        raise ConfigError(flag, str(root), "must be a readable, writable directory ("
                          f"{blocked_at(at.absolute())} cannot be entered: permission denied)"
                          ) from None


def _check_layout(path: Path, root: object, flag: str) -> None:
    """ConfigError when the store's ``records`` or ``entries`` is a file: found only when the
    first experiment's record was stored, after ``checking N claims ...`` and the lock file,
    and named as ``--records '<DIR>/records'``, a value the user never gave."""
    name = "$TWOLAYER_STORE" if flag == "TWOLAYER_STORE" else f"--{flag}"
    for part in ("records", "entries"):
        at = path / part
        if what := not_a_folder(at):
            raise ConfigError(flag, str(root), f"must be a record store ({at} is {what}, not "
                              f"a folder): move it away, or give {name} another directory")


def _check_not_other_store(path: Path, root: object, flag: str) -> None:
    from .store import saved_records, saved_under_records

    if not path.is_dir() or (path / "entries").is_dir():
        return
    name = "$TWOLAYER_STORE" if flag == "TWOLAYER_STORE" else f"--{flag}"
    if (path / "records").is_dir() and ((path / "failed").is_dir()
                                        or (path / "points.csv").is_file()
                                        or (path / "spec.toml").is_file()):
        raise ConfigError(flag, str(root), "is a sweep's store (twolayer sweep --out), not the "
                          f"experiments' record store: give {name} another directory (the "
                          "experiments' entries beside the sweep's records would make store "
                          "prune remove the sweep's records)")
    if saved_records(path) or ((path / "records").is_dir() and saved_under_records(path)):
        raise ConfigError(flag, str(root), "holds records saved by twolayer simulate --out, not "
                          f"a record store: give {name} another directory")


def store_from_args(args: argparse.Namespace) -> RecordStore | None:
    """The store the flags name (created and checked writable before any work), or None for
    --no-store."""
    # checked as figures and --list check it (nothing created; the message names the folder at
    # fault: ensure_writable_dir's named its own temporary file, /proc/.write-test.XXXX)
    check_store_flags(args)
    if args.no_store:
        return None
    root, flag = store_location(args)
    store = RecordStore(ensure_writable_dir(root, flag))
    check_store_parts(store.root, root, flag)
    store.clean_temporaries()  # a killed writer's leftovers (older than an hour: not a live one)
    return store


def check_store_parts(path: Path, root: object, flag: str) -> None:
    """ConfigError naming the store's ``entries/`` or ``records/`` where it exists but cannot be
    listed, entered or written (chmod 000): every claim's check raised reading it, 27 verdicts
    ``error`` on ``check frei2023 --quick``, instead of one line before any work."""
    for sub in ("entries", "records"):
        d = path / sub
        if d.is_dir() and not os.access(d, os.R_OK | os.W_OK | os.X_OK):
            raise ConfigError(flag, str(root), f"must be a readable, writable record store ({d} "
                              "cannot be listed, entered or written: permission denied)")


def runs_from_args(args: argparse.Namespace, quick: bool, seeds: int | None, runtime) -> Runs:
    return Runs(quick=quick, seeds=seeds, runtime=runtime, store=store_from_args(args))
