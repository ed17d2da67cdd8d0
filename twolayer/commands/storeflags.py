"""The ``--records DIR`` / ``--no-store`` flags of the commands that run experiments (``check``,
``figures``): where the experiments' Records are kept between runs (:mod:`twolayer.store`)."""

from __future__ import annotations

import argparse
import os

from ..errors import ConfigError
from ..experiments import Runs, default_store_dir
from ..record import check_writable_dir, ensure_writable_dir
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
    if writable:
        root, flag = store_location(args)
        check_writable_dir(root, flag)


def store_from_args(args: argparse.Namespace) -> RecordStore | None:
    """The store the flags name (created and checked writable before any work), or None for
    --no-store."""
    check_store_flags(args, writable=False)  # ensure_writable_dir below says why not
    if args.no_store:
        return None
    root, flag = store_location(args)
    store = RecordStore(ensure_writable_dir(root, flag))
    store.clean_temporaries()  # a killed writer's leftovers (older than an hour: not a live one)
    return store


def runs_from_args(args: argparse.Namespace, quick: bool, seeds: int | None, runtime) -> Runs:
    return Runs(quick=quick, seeds=seeds, runtime=runtime, store=store_from_args(args))
