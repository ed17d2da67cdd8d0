"""Whether a file at an output path was written by the command that would replace it.

Commands that write a file at a path the user names (``bench --out``/``--doc``, ``check
--report``, ``--timings PATH``) refuse a file they did not write: ``--doc README.md`` once
replaced a project's README after minutes of measuring. The two tests here are the one rule
they share: an empty file is no loss and may be replaced; a file that cannot be opened is left
to the write, which reports it (one line, exit 1); a file that is not text (not UTF-8) or not
what the command writes is someone else's and is refused (``twolayer figures --out`` guards its
README.md and index.json with the same rule, plus its own marks).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError

_UNREADABLE = object()


def _text(path: Path) -> object:
    """The file's text, None when it is not UTF-8, or :data:`_UNREADABLE` when it cannot be
    opened or read."""
    try:
        with open(path, encoding="utf-8", errors="strict") as fh:
            return fh.read()
    except UnicodeDecodeError:
        return None
    except OSError:
        return _UNREADABLE


def json_object_with(path: Path, keys: Iterable[str]) -> bool:
    """Whether ``path`` may be replaced by a writer of JSON objects holding ``keys``: it is
    empty or unreadable, or it is a UTF-8 JSON object holding every key."""
    text = _text(path)
    if text is _UNREADABLE:
        return True
    if text is None:
        return False
    assert isinstance(text, str)
    if not text.strip():
        return True
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):  # nested too deeply for the decoder: not ours
        return False
    return isinstance(obj, dict) and all(k in obj for k in keys)


def starts_with(path: Path, head: str) -> bool:
    """Whether ``path`` may be replaced by a writer of text files that begin with ``head``: it
    is empty or unreadable, or its first bytes are ``head`` in UTF-8 (the head decides: what
    follows it is not read)."""
    want = head.encode("utf-8")
    try:
        with open(path, "rb") as fh:
            got = fh.read(len(want))
    except OSError:
        return True
    return got in (b"", want)


# what a path that is neither a regular file nor a folder is (os.stat's file type)
_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def refuse_special_file(path: Path, flag: str, given: str) -> None:
    """ConfigError naming ``flag`` (exit 2, before any work) where ``path`` is there but is
    neither a regular file nor a folder (a named pipe, a device such as ``/dev/null``, a
    socket): the file writers replace their path atomically (a temporary renamed over it), so
    ``--timings /dev/null`` run as root replaced the device with a JSON file, and ``check
    --report PIPE`` a named pipe with the report (the guards above look at regular files only)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent (written new), or a lookup the writability check names
        return
    for test, what in _SPECIAL:
        if test(mode):
            raise ConfigError(flag, given, f"is {what}, not a regular file: the write would "
                              "replace it (files are written to a temporary and renamed over "
                              "the path); give a file path")
