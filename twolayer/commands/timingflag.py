"""The ``--timings [PATH]`` flag of ``simulate``, ``check`` and ``figures``: where the command's
wall time went (:mod:`twolayer.timing`), as a table on stderr or as JSON in PATH."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConfigError
from ..record import check_writable_dir, write_text_atomic
from ..resources import writing
from ..timing import recording
from .owned import json_object_with, refuse_special_file

TABLE = "-"


def add_timings_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timings", nargs="?", const=TABLE, default=None, metavar="PATH",
                   help="report where the wall time went (training, data, probes, baselines, "
                   "store, verdicts, plotting, other; exclusive seconds): a table on stderr, or "
                   "JSON written to PATH when one is given")


def checked_timings_path(args: argparse.Namespace) -> Path | None:
    """The JSON path of --timings PATH (checked writable before any work), else None."""
    value = getattr(args, "timings", None)
    if value is None or value == TABLE:
        return None
    if not str(value).strip():
        raise ConfigError("timings", value, "must be a file path, or no value for a table on "
                          "stderr")
    path = Path(value)
    if path.is_dir():
        raise ConfigError("timings", value, "is a directory; give a file path such as "
                          "timings.json")
    for dest in ("out", "records", "report"):  # a folder (or file) the command itself writes
        other = getattr(args, dest, None)
        if isinstance(other, str) and other.strip() and _same_path(other, value):
            # `figures --out fx --timings fx`: all the work, then "cannot write fx: Is a
            # directory" and exit 1 (session 49's helper)
            raise ConfigError("timings", value, f"is the command's --{dest} as well; give "
                              "another file path such as timings.json")
    if getattr(args, "command", None) == "check" and names_claims(value):
        # `twolayer check --timings frei2023` took the paper for the JSON path and checked
        # every paper instead
        raise ConfigError("timings", value, "is a paper or claim id, not a file path: name it "
                          f"before the flag (twolayer check {value} --timings), or give a path "
                          f"such as timings.json (./{value} for a file of that name)")
    refuse_special_file(path, "timings", value)
    if path.is_file() and not timings_json(path):
        raise ConfigError("timings", value, "is a file that --timings did not write; it would "
                          "be overwritten: choose another path, or remove the file first")
    try:
        check_writable_dir(path.parent if str(path.parent) else ".", "timings", value)
    except ConfigError as e:  # it read "must be a writable directory" of a file path
        raise ConfigError("timings", value, e.valid.replace(
            "must be a writable directory", "must be a file path in a writable directory", 1)
        ) from None
    return path


def _same_path(a: str, b: str) -> bool:
    """Whether two paths name the same place (resolved, the missing parts as written)."""
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except (OSError, RuntimeError):
        return False


def names_claims(value: str) -> bool:
    """Whether ``value`` is a paper or claim id of twolayer check (``frei2023``,
    ``frei2023.theorem1``)."""
    from ..claims import claims_for

    try:
        return bool(claims_for([value]))
    except ConfigError:
        return False


def timings_json(path: Path) -> bool:
    """Whether ``path`` holds what --timings PATH writes (a JSON object with "command" and
    "exit_status") or may otherwise be replaced (:func:`~twolayer.commands.owned.
    json_object_with`: empty or unreadable); only such a file is written over."""
    return json_object_with(path, ("command", "exit_status"))


def run_command(args: argparse.Namespace) -> int:
    """``args.run(args)``, recorded and reported when --timings is given (after the command's own
    output; nothing is reported for a command that raised)."""
    if getattr(args, "timings", None) is None:
        return int(args.run(args) or 0)
    path = checked_timings_path(args)
    with recording() as t:
        status = int(args.run(args) or 0)
    if path is None:
        print(t.table(), file=sys.stderr)
    else:
        out = {"command": getattr(args, "command", None), "exit_status": status, **t.to_json()}
        with writing(path):  # a failed write: one line, exit 1 (resources.WriteFailed)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, json.dumps(out, indent=1) + "\n")
    return status
