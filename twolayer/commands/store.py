"""``twolayer store verify DIR``: verify every record of a record store (a sweep's ``--out``
or the experiments' ``--records`` store), move damaged ones to ``quarantine/``, and report.

Exit status 0 when everything was intact, 1 when something was quarantined (it will be trained
again by the next ``sweep`` / ``check`` / ``figures``), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError
from ..store import RecordStore, VerifyReport


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "store",
        help="verify a record store (checksums, run ids) and quarantine damaged records",
        description="Verify every record, experiment entry and recorded sweep failure "
        "(failed/*.json) of a store directory: format version, SHA-256 of arrays.npz, "
        "record.json and failure, and record id = hash(config). Damaged "
        "ones are moved to <DIR>/quarantine/ (the next run trains them again); leftover "
        "temporary folders are removed. Exit status 0 when every record was intact, 1 when "
        "something was quarantined.",
    )
    p.add_argument("action", choices=("verify",), help="what to do (verify)")
    p.add_argument("dir", metavar="DIR", help="the store directory")
    p.add_argument("--wait", action="store_true", help="wait for a sweep holding the store")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def print_verify_report(report: VerifyReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"intact": report.intact,
                          "quarantined": [{"path": p, "why": w} for p, w in report.quarantined],
                          "removed_temporaries": report.removed_temporaries}))
    else:
        print(f"{report.intact} intact, {len(report.quarantined)} quarantined, "
              f"{len(report.removed_temporaries)} temporary folders removed")
        for path, why in report.quarantined:
            print(f"  quarantined {path}: {why}")
    return 1 if report.quarantined else 0


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir() or not any((root / d).is_dir() for d in ("records", "entries",
                                                                    "failed")):
        raise ConfigError("DIR", args.dir, "must be a record store (a directory with records/ "
                          "or entries/ inside)")
    store = RecordStore(root, warn=lambda line: None)
    with store.lock(wait=args.wait, flag="DIR"):
        if (root / "failed").is_dir():  # a sweep's store: its recorded failures too
            from ..sweep.store import Store

            return print_verify_report(Store(root, warn=lambda line: None).verify(), args.json)
        return print_verify_report(store.verify(), args.json)
