"""``twolayer store verify DIR``: verify every record of a record store (a sweep's ``--out``
or the experiments' ``--records`` store), move damaged ones to ``quarantine/``, and report.
Exit status 0 when everything was intact, 1 when something was quarantined (it will be trained
again by the next ``sweep`` / ``check`` / ``figures``), 2 on bad input.

A folder of saved records (``simulate --out``: ``<run_id>/record.json`` inside, no store), or
one saved record's own folder (``<run_id>/``, as ``show`` and ``check --record`` take it), is
verified in place: damaged records are named, nothing is moved.

``twolayer store prune DIR [--dry-run]``: remove what this twolayer would never read again
(:meth:`twolayer.store.RecordStore.prune`): in the experiments' store, the entries made by other
twolayer run code, another record format or another torch version, and CPU entries whose key
does not name the CPU path (older keys), with their records, and the records no entry names;
in a sweep's store, the points and failures made by other twolayer code; in both,
``quarantine/``. Exit status 0, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError, not_a_folder, switch_given
from ..record import holds_record_files
from ..store import RecordStore, VerifyReport


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "store",
        help="verify a record store (checksums, run ids) and quarantine damaged records, or "
        "prune what this twolayer would never read again",
        description="verify: check every record, experiment entry and recorded sweep failure "
        "(failed/*.json) of a store directory: format version, SHA-256 of arrays.npz, "
        "record.json and failure, and record id = hash(config). Damaged "
        "ones are moved to <DIR>/quarantine/ (the next run trains them again); leftover "
        "temporary folders are removed, all of them, and named (in a sweep's store one may be "
        "a SLURM job's save in progress, of a sweep interrupted or killed: that point is then "
        "trained by the next sweep, which itself removes only those an hour old). Exit status 0 "
        "when every record was intact, 1 when "
        "something was quarantined. A folder of saved records (simulate --out), or one saved "
        "record's folder, is verified in place: damaged ones are named, not moved. prune: "
        "remove what this twolayer would never read again "
        "(entries and sweep points made by other twolayer code, an experiment entry also of "
        "another record format or torch version, or a CPU entry whose key does not name its "
        "CPU kernel path and instruction set (older keys), with its records; records no entry "
        "names; everything in quarantine/), and say what and how many bytes; "
        "--dry-run lists without removing. Entries of another device or CPU path are kept, "
        "and so are damaged items (verify's).",
    )
    p.add_argument("action", choices=("verify", "prune"), help="what to do")
    p.add_argument("dir", metavar="DIR", help="the store directory")
    p.add_argument("--wait", action="store_true", help="wait for a sweep holding the store")
    p.add_argument("--dry-run", action="store_true",
                   help="prune: list what would be removed, remove nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def print_verify_report(report: VerifyReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"intact": report.intact,
                          "quarantined": [{"path": p, "why": w} for p, w in report.quarantined],
                          "removed_temporaries": report.removed_temporaries,
                          "notes": report.notes}))
    else:
        print(f"{report.intact} intact, {len(report.quarantined)} quarantined, "
              f"{len(report.removed_temporaries)} temporary folders removed")
        for path, why in report.quarantined:
            print(f"  quarantined {path}: {why}")
        for path in report.removed_temporaries:  # a SLURM job still running loses that write
            print(f"  removed temporary {path}")
        for note in report.notes:
            print(f"note: {note}")
    return 1 if report.quarantined else 0


def stale_entry(key: dict) -> str | None:
    """Why an experiment entry's key is one this twolayer never reads (None: it may): other
    run code, another record format, another torch version, a CPU key without its CPU path
    (older keys). Other devices, CPU paths (another host sharing the store), plan versions,
    seeds and modes are kept (this twolayer reads them under other flags)."""
    import torch

    from ..experiments import code_fingerprint
    from ..record import FORMAT_VERSION

    here = code_fingerprint()
    if key.get("code") != here:
        return f"made by other twolayer code ({key.get('code')}; this one: {here})"
    if key.get("format") != FORMAT_VERSION:
        return f"record format {key.get('format')} (this one: {FORMAT_VERSION})"
    version = torch.__version__.split("+")[0]
    if key.get("torch") != version:
        return f"made under torch {key.get('torch')} (this one: {version})"
    if key.get("device") == "cpu" and "cpu" not in key:  # every CPU key names its CPU path now
        return "made before keys named the CPU kernel path and instruction set"
    return None


def print_prune_report(report, dry_run: bool, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    if as_json:
        print(json.dumps({"dry_run": dry_run, "kept": report.kept, "bytes": report.bytes,
                          "removed": [{"path": p, "why": w} for p, w in report.removed],
                          "notes": report.notes}))
        return 0
    verb = "would remove" if dry_run else "removed"
    print(f"{verb} {len(report.removed)} items ({report.bytes / 1e6:.1f} MB), kept "
          f"{report.kept}")
    for path, why in report.removed:
        print(f"  {path}: {why}")
    for note in report.notes:
        print(f"note: {note}")
    return 0


def saved_records(root: Path) -> list[Path]:
    """The record folders directly under ``root`` (``simulate --out``'s layout: one
    ``<run_id>/`` each), hidden temporaries left out: :func:`twolayer.record.record_folders`, so
    a record whose record.json was deleted is verified (and named damaged), not passed over."""
    from ..record import record_folders

    return record_folders(root)


def verify_saved(records: list[Path], as_json: bool, what: str = "a folder of saved records"
                 ) -> int:
    """Verify a folder of saved records (``simulate --out``) in place: each is read and checked
    as :func:`twolayer.store.load_record` reads it, and a folder named by a run id must be named
    by its own (:func:`twolayer.record.check_folder_name`); a damaged one is named, not moved
    (the folder is the user's, not a store). Exit status 1 when one is damaged."""
    from ..errors import RecordError
    from ..record import check_folder_name, read_document
    from ..store import load_record

    damaged = []
    for path in records:
        try:
            load_record(path)
            check_folder_name(path, read_document(path))
        except RecordError as e:
            damaged.append((str(path), e.why))
    intact = len(records) - len(damaged)
    if as_json:
        print(json.dumps({"intact": intact, "damaged": [{"path": p, "why": w}
                                                        for p, w in damaged],
                          "quarantined": [], "removed_temporaries": []}))
    else:
        print(f"{intact} intact, {len(damaged)} damaged ({what}, not a store: nothing moved)")
        for path, why in damaged:
            print(f"  damaged {path}: {why}")
    return 1 if damaged else 0


def saved_under_records(root: Path) -> bool:
    """Whether ``root/records/`` holds records saved by ``simulate --out`` rather than a
    store's: their record.json names no store address (a store's, the experiments' or a
    sweep's, always does). ``twolayer simulate --out records/`` (README) makes such a folder,
    and taking its parent for a store quarantined every record in it on ``store verify`` (and
    ``store prune`` then deleted them). Reads the first few records only."""
    if (root / "entries").is_dir() or (root / "failed").is_dir():
        return False
    # the first few with a record.json (one missing it tells nothing of the folder's kind)
    for path in [p for p in saved_records(root / "records")
                 if (p / "record.json").is_file()][:3]:
        try:
            doc = json.loads((path / "record.json").read_text())
        except (OSError, ValueError, RecursionError):
            return False  # a damaged record: verify decides what it is
        if isinstance(doc, dict) and "run_id" in doc and "address" not in doc:
            return True
    return False


STORE_FOLDERS = ("records", "entries", "failed")  # a folder of these makes DIR a store
# what `twolayer sweep` writes into its --out before its first point is stored (the tables
# only before session 48, when such a run was interrupted) and the lock file
SWEEP_START_FILES = frozenset({"spec.toml", "points.csv", "summary.csv", "summary.parquet",
                               ".lock"})


def sweep_left_nothing_stored(root: Path) -> bool:
    """Whether ``root`` holds only what a sweep stopped before it stored its first point leaves
    in its --out: a spec.toml, and at most its tables and lock file, all files (a sweep store
    with no record stored yet)."""
    entries = list(root.iterdir())
    return ((root / "spec.toml").is_file()
            and all(p.name in SWEEP_START_FILES and p.is_file() and not p.is_symlink()
                    for p in entries))


def run(args: argparse.Namespace) -> int:
    if not args.dir.strip():  # Path("") is the working directory: never verify or prune that
        raise ConfigError("DIR", args.dir, "is empty; give the store directory (an unset "
                          "variable, as in \"$TWOLAYER_STORE\", expands to an empty one)")
    root = Path(args.dir)
    if not root.is_dir():
        raise ConfigError("DIR", args.dir, "is not a directory" if root.exists() else
                          "does not exist; give a record store (a sweep's --out or the "
                          "experiments' --records), a folder of saved records or one record's "
                          "folder")
    for part in STORE_FOLDERS:  # verify found nothing in it (0 intact, exit 0), prune too
        if what := not_a_folder(at := root / part):
            raise ConfigError("DIR", args.dir, f"must be a record store ({at} is {what}, not "
                              "a folder): move it away, or give another DIR")
    is_store = root.is_dir() and any((root / d).is_dir() for d in STORE_FOLDERS)
    if is_store and (root / "records").is_dir() and saved_under_records(root):
        raise ConfigError("DIR", args.dir, "is not a record store: its records/ holds records "
                          "saved by twolayer simulate --out (no store address), which a store's "
                          "verify would quarantine and prune delete; verify them in place with "
                          f"`twolayer store verify {root / 'records'}`")
    if args.dry_run and args.action != "prune":
        # "--dry-run is given: ...", not "--dry-run True is invalid" (a value never typed)
        raise switch_given("dry_run", "is an option of store prune only")
    if not is_store and root.is_dir() and holds_record_files(root):
        # one record's folder: its record.json or arrays.npz inside (one of them may be missing)
        if args.action == "prune":  # prune removes from a store, never a user's record
            raise ConfigError("DIR", args.dir, "is one saved record's folder (record.json or "
                              "arrays.npz inside), not a record store: store prune works on a "
                              "store only; "
                              f"`twolayer store verify {root}` verifies the record in place")
        return verify_saved([root], args.json, what="one saved record")
    if not is_store and args.action == "verify" and (not any(root.iterdir())
                                                     or sweep_left_nothing_stored(root)):
        # an empty folder: a store a command created and was stopped before it stored a record
        # (`twolayer check` interrupted at its start says its finished experiments are kept in
        # the record store), or a sweep's --out so stopped (its spec.toml, perhaps its tables
        # and lock file); nothing there is damaged, and nothing is written to it
        if not args.json:
            print(f"{root}: empty (no record stored yet)")
        return print_verify_report(VerifyReport(intact=0, quarantined=[],
                                                removed_temporaries=[]), args.json)
    if not is_store and root.is_dir() and args.action == "verify":
        records = saved_records(root)
        if records:  # simulate --out's folder: verified in place, nothing moved
            return verify_saved(records, args.json)
    if not is_store:
        raise ConfigError("DIR", args.dir, "must be a record store (a directory with records/ "
                          "or entries/ inside)" + (", or for verify a folder of saved records "
                                                   "(simulate --out) or one record's folder"
                                                   if args.action == "verify" else ""))
    store = RecordStore(root, warn=lambda line: None)
    with store.lock(wait=args.wait, flag="DIR"):
        if args.action == "prune":
            sweep = (root / "failed").is_dir() or not (root / "entries").is_dir()
            if sweep:  # a sweep's store: its records and failures judged by their code
                from ..sweep.store import Store

                report = Store(root, warn=lambda line: None).prune(dry_run=args.dry_run)
            else:
                report = store.prune(stale_entry=stale_entry, dry_run=args.dry_run)
            return print_prune_report(report, args.dry_run, args.json)
        if (root / "failed").is_dir() or not (root / "entries").is_dir():
            # a sweep's store: its recorded failures too, and its tables kept true
            from ..sweep.store import Store

            return print_verify_report(Store(root, warn=lambda line: None).verify(), args.json)
        return print_verify_report(store.verify(), args.json)
