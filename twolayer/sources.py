"""twolayer's source files as this process found them when it imported twolayer.

A command imports twolayer's modules over its whole run, some of them lazily (an integrator, a
transfer step), while a key digests the files on disk when it is made. In a source checkout
edited while a command runs, a run trained by the code as imported would be stored as the
edited code's, and a later command would reuse it. So the files are digested once, at
``import twolayer`` (this module is imported first), and a fingerprint is only handed out while
the files it covers are still those: :func:`check_unchanged` raises
:class:`~twolayer.errors.RunCodeChanged` (exit status 2) naming the files that changed. The
experiments' keys check their modules (and a plugin's files, digested as it loads) against the
same digests (:func:`twolayer.experiments.snapshot_sources`).

A file is compared by its ``stat`` (size, inode, modification and change times) and digested
again only where that changed, so a check costs a few stat calls.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# path -> (its stat signature, SHA-256 of its bytes) as first seen by this process
_SEEN: dict[Path, tuple[tuple[int, ...], str]] = {}


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def _read(path: Path) -> tuple[tuple[int, ...], str] | None:
    """(stat signature, SHA-256) of ``path`` now; None where it cannot be read."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            return _signature(st), hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def take(root: Path = ROOT) -> None:
    """Digest every ``*.py`` and ``*.c`` file of the package (once per process; called when
    twolayer is imported)."""
    for pattern in ("*.py", "*.c"):
        for path in root.rglob(pattern):
            if "__pycache__" not in path.parts:
                remember(path)


def remember(path: Path) -> None:
    """Digest ``path`` where this process has not seen it yet (a file created after import)."""
    path = Path(path).resolve()
    if path not in _SEEN and (now := _read(path)) is not None:
        _SEEN[path] = now


def seen(path: Path) -> bool:
    """Whether this process has digested ``path`` (at import, or :func:`remember`)."""
    return Path(path).resolve() in _SEEN


def seen_under(base: Path) -> list[Path]:
    """The files under ``base`` this process has digested, sorted."""
    base = Path(base).resolve()
    return sorted(f for f in _SEEN if f.is_relative_to(base))


def changed(files: Iterable[Path]) -> list[Path]:
    """The files among ``files`` whose bytes on disk differ from those first seen (a vanished
    or unreadable file counts as changed); files never seen are remembered now."""
    out = []
    for f in files:
        f = Path(f).resolve()
        first = _SEEN.get(f)
        if first is None:
            remember(f)
            continue
        try:
            if _signature(f.stat()) == first[0]:
                continue
        except OSError:
            out.append(f)
            continue
        now = _read(f)
        if now is None or now[1] != first[1]:
            out.append(f)
    return out


def check_unchanged(files: Iterable[Path]) -> None:
    """:class:`~twolayer.errors.RunCodeChanged` where any of ``files`` changed on disk since
    this process first saw it."""
    if edited := changed(files):
        from .errors import RunCodeChanged

        raise RunCodeChanged(", ".join(str(f) for f in edited))


take()
