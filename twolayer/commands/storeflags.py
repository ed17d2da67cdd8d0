"""The ``--records DIR`` / ``--no-store`` flags of the commands that run experiments (``check``,
``figures``): where the experiments' Records are kept between runs (:mod:`twolayer.store`)."""

from __future__ import annotations

import argparse

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


def check_store_flags(args: argparse.Namespace, writable: bool = True) -> None:
    """Raise ConfigError (exit 2) for store flags that cannot work: --records with --no-store,
    an empty --records, or (``writable``) one that cannot become a writable directory; creates
    nothing (``--list`` reads no store but refuses what a real run would)."""
    if args.no_store:
        if args.records is not None:
            raise ConfigError("records", args.records, "cannot be combined with --no-store")
        return
    if args.records is not None:
        if not str(args.records).strip():
            raise ConfigError("records", args.records, "must be a directory path (not empty)")
        if writable:
            check_writable_dir(args.records, "records")


def store_from_args(args: argparse.Namespace) -> RecordStore | None:
    """The store the flags name (created and checked writable before any work), or None for
    --no-store."""
    check_store_flags(args, writable=False)  # ensure_writable_dir below says why not
    if args.no_store:
        return None
    root = args.records if args.records is not None else default_store_dir()
    store = RecordStore(ensure_writable_dir(root, "records"))
    store.clean_temporaries()  # a killed writer's leftovers (older than an hour: not a live one)
    return store


def runs_from_args(args: argparse.Namespace, quick: bool, seeds: int | None, runtime) -> Runs:
    return Runs(quick=quick, seeds=seeds, runtime=runtime, store=store_from_args(args))
