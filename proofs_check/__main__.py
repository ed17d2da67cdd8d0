"""``python -m proofs_check [--json] [--verbose]``: run every symbolic check, print one line per
check (PASS/FAIL, name, statement; with --verbose also the detail) and exit with status 1 if any
check fails (a failed check is a step of a paper that does not follow as stated), 0 otherwise;
141 without a traceback when the reader of stdout goes away (``... | head``), as ``twolayer``;
2 with one line when stdout cannot be written (a full disk)."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import os
import sys

from . import all_checks


def main(argv: list[str] | None = None) -> int:
    try:
        status = run(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:  # `python -m proofs_check -v | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe
        return 141
    except OSError as e:  # stdout on a full disk (`> /dev/full`): one line and exit 2, not a
        # traceback and 1, which means a check failed (session 49's helper)
        if e.filename is not None or e.errno is None:
            raise
        code = errno.errorcode.get(e.errno, str(e.errno))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere
        print(f"python -m proofs_check: error: cannot write to standard output: "
              f"{e.strerror} [{code}]", file=sys.stderr)
        return 2


def run(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__)
    ap.add_argument("--json", action="store_true", help="print the results as a JSON list")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each check's detail")
    args = ap.parse_args(argv)
    results = all_checks()
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in results], indent=1, ensure_ascii=False))
    else:
        for r in results:
            print(r.line())
            if args.verbose or not r.passed:
                print(f"      {r.detail}")
                if r.source:
                    print(f"      source: {r.source}")
        failed = sum(not r.passed for r in results)
        print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if any(not r.passed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
