"""Claims judged on a user's own record (``twolayer check --record DIR``), paper-free.

A paper registers a record reader with :func:`register_record_reader`: ``read(rec, path)``
returns the ids of its claims that can be judged on a ``twolayer simulate`` record like ``rec``
and a Runs-like object whose ``.get(name)`` serves ``rec`` as the experiment those claims read;
a record the paper cannot read is a :class:`~twolayer.errors.ConfigError` naming ``record``
(one line, exit status 2). :func:`judge_on_record` judges one claim on it with the claim's own
check (:func:`twolayer.claims.base.judge`): the regime it reports is computed on the record. A
check that raised ``KeyError`` for an array the record lacks gives an :class:`Unserved` (the
record cannot serve that claim, and why), not an error verdict; so does a claim whose statement
names a setting the record is not, where the reader's runs say so (an optional
``runs.not_served(claim_id) -> str``, "" for a claim it serves: e.g. one of maennel2020's B1
variants on a record trained by another optimiser than its statement's). ``twolayer check
--record`` and a paper's ``twolayer conditions --record`` regime lines read the same reader, so
they agree.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..conditions import PAPER_NAME, registration_origin
from ..errors import TwolayerError, code_origin
from ..record import Record
from .base import CLAIMS, ERROR, Claim, Verdict, judge

NOT_SERVED = "not served"  # the verdict field of an Unserved claim in --json

RecordReader = Callable[[Record, str], "tuple[tuple[str, ...], Any]"]


@dataclass(frozen=True)
class ReaderEntry:
    """A registered record reader: the paper, its ``read`` function and where it was defined."""

    paper: str
    read: RecordReader
    origin: str
    excluded: dict[str, str] = field(default_factory=dict)  # {claim id: why no record serves it}


READERS: dict[str, ReaderEntry] = {}


def register_record_reader(paper: str, read: RecordReader,
                           excluded: dict[str, str] | None = None) -> ReaderEntry:
    """Register ``read(rec, path) -> (claim_ids, runs)`` for ``paper``: the ids of the paper's
    claims that can be judged on a simulate record like ``rec`` and a Runs-like object (its
    ``.get(name)`` returns ``rec``; an optional ``.missing(key) -> str`` says why an array key
    the record lacks cannot be served, e.g. the probe to add). ``read`` raises a
    :class:`~twolayer.errors.ConfigError` naming ``record`` for a record the paper cannot read
    (e.g. another data kind), saying what to give. A paper registered twice from two places is
    a :class:`~twolayer.errors.TwolayerError` naming both (the same place again replaces it).
    ``excluded``: {claim id: why} for the paper's claims no record can serve (e.g. a slope
    across several settings); ``check --record`` gives the reason when one is selected and
    ``--list`` lists them."""
    origin = registration_origin(read)
    if not (isinstance(paper, str) and PAPER_NAME.fullmatch(paper)):
        raise TwolayerError(f"record reader {paper!r} ({origin}): a paper's name is letters, "
                            "digits, '_' and '-' (not first), as the first part of its claim "
                            "ids")
    if not callable(read):
        raise TwolayerError(f"record reader of {paper!r} ({origin}): read must be a function "
                            "read(rec, path) -> (claim_ids, runs)")
    if paper in READERS and READERS[paper].origin != origin:
        raise TwolayerError(f"the record reader of {paper!r} is registered twice: at "
                            f"{READERS[paper].origin} and at {origin}")
    READERS[paper] = ReaderEntry(paper, read, origin, dict(excluded or {}))
    return READERS[paper]


def read_record(paper: str, rec: Record, path: str) -> tuple[tuple[str, ...], Any]:
    """``paper``'s reader on ``rec`` (``path``: the ``--record`` value, for its errors): the
    claim ids it serves, in registration order, and its Runs-like object. A reader that returns
    something else (not a pair, an id that is not one of the paper's registered claims, an id
    it also excludes, runs without ``.get``), that excludes an id that is not one of the
    paper's registered claims, or (a plugin's) that raises anything but twolayer's own errors
    (:func:`plugin_call`) is a :class:`~twolayer.errors.TwolayerError` naming where it is
    defined."""
    entry = READERS[paper]
    result = plugin_call(entry, "", entry.read, rec, path)
    try:
        ids, runs = result
    except (TypeError, ValueError):
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) returned "
                            f"{type(result).__name__}, not (claim_ids, runs)") from None
    if isinstance(ids, str):
        ids = (ids,)
    try:
        ids = tuple(ids)
    except TypeError:  # None, a number: not a sequence of ids
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) returned "
                            f"claim_ids {ids!r}, not a tuple of claim ids") from None
    bad = [i for i in ids if not (isinstance(i, str) and i in CLAIMS
                                  and CLAIMS[i].paper == paper)]
    if bad:
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) returned "
                            f"{bad[0]!r}, not the id of a registered claim of {paper}")
    stray = [i for i in entry.excluded if not (i in CLAIMS and CLAIMS[i].paper == paper)]
    if stray:  # a typo: the claim it names would be listed as excluded, and judged nowhere
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) excludes "
                            f"{stray[0]!r}, not the id of a registered claim of {paper}")
    both = [i for i in ids if i in entry.excluded]
    if both:
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) returned "
                            f"{both[0]!r}, which its excluded= says no record can serve")
    if not callable(getattr(runs, "get", None)):
        raise TwolayerError(f"the record reader of {paper!r} ({entry.origin}) returned runs "
                            "without a .get(name) method")
    order = {cid: i for i, cid in enumerate(CLAIMS)}
    return tuple(sorted(dict.fromkeys(ids), key=order.__getitem__)), runs


def plugin_call(entry: ReaderEntry, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` for ``entry``'s reader (``what``: "" for ``read`` itself, ".missing" for
    its runs' method). A plugin's reader (code outside twolayer) that raises anything but
    twolayer's own errors (a ConfigError refusing the record stays one) is a TwolayerError
    naming the paper and the plugin's file:line (one line, exit status 2), not a traceback;
    twolayer's own readers raise as they are."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    package = Path(__file__).resolve().parents[1]
    if code is None or Path(code.co_filename).resolve().is_relative_to(package):
        return fn(*args)
    try:
        return fn(*args)
    except TwolayerError:
        raise
    except Exception as e:  # noqa: BLE001 - a plugin's bug: reported with its file and line
        call = ("read(rec, path)" if not what else "its runs.not_served(claim_id)"
                if what == ".not_served" else f"its runs{what}(key)")
        at = code_origin(getattr(fn, "__func__", fn), e)
        raise TwolayerError(f"the record reader of {entry.paper!r} ({entry.origin}): {call} "
                            f"raised {type(e).__name__}: {e} (at {at})") from None


@dataclass(frozen=True)
class Unserved:
    """A claim the record cannot serve: its check reads an array the record lacks (``why``
    says which, and what to add where the reader knows)."""

    id: str
    paper: str
    statement: str
    source: str
    why: str

    def to_json(self) -> dict[str, Any]:
        """The claim as a JSON object, with ``verdict`` :data:`NOT_SERVED`."""
        return {"id": self.id, "paper": self.paper, "statement": self.statement,
                "source": self.source, "verdict": NOT_SERVED, "why": self.why}


# a KeyError of a dict of arrays (rec.arrays[key]: "'key'") or of Record.__getitem__ (rec[key]:
# "\"'key' is not an array of this record; its arrays: ...\"")
MISSING_KEY = re.compile(r"^the check raised KeyError: (?:'([^']+)'|\"'([^']+)' is not an array "
                         r"of this record)")


def missing_key(v: Verdict, rec: Record) -> str | None:
    """The key whose absence made ``v``'s check raise (verdict ``error`` from a ``KeyError``
    for a key that is not an array of ``rec``), else None: a KeyError for a key the record has
    is the check's own error, not a missing array."""
    if v.verdict != ERROR:
        return None
    m = MISSING_KEY.match(v.detail or "")
    key = None if m is None else (m.group(1) or m.group(2))
    if key is None or key in rec.arrays:
        return None
    return key


def lacking_probe(key: str) -> str:
    """Why a record lacks the array ``key`` when its first part names a registered probe
    (``frei_neurons/rho_own``): the probe to add (``--probes frei_neurons``); "" for any other
    key (``static/...``, an experiment's own arrays)."""
    from ..probes.base import REGISTRY

    probe = key.split("/", 1)[0] if "/" in key else ""
    if probe not in REGISTRY:
        return ""
    return f"its check reads {key}, not in this record (add --probes {probe})"


def statement_unmet(c: Claim, runs: Any) -> str:
    """Why the record ``runs`` serves is not the setting ``c``'s statement names, where the
    reader's runs define ``not_served(claim_id) -> str`` ("" where it is, or without it); a
    plugin's that raises, or returns something other than text, is a TwolayerError naming
    where its reader is defined."""
    unmet = getattr(runs, "not_served", None)
    if not callable(unmet):
        return ""
    entry = READERS.get(c.paper)
    why = (plugin_call(entry, ".not_served", unmet, c.id) if entry is not None
           else unmet(c.id))
    if not isinstance(why, str):
        where = entry.origin if entry is not None else c.paper
        raise TwolayerError(f"the record reader of {c.paper!r} ({where}): its "
                            f"runs.not_served({c.id!r}) returned {type(why).__name__}, not the "
                            "text saying why the record is not the setting of its statement "
                            "(\"\" where it is)")
    return why


def judge_on_record(c: Claim, runs: Any, rec: Record) -> Verdict | Unserved:
    """``c``'s verdict from its own check on the record ``runs`` serves (numpy warnings off, as
    the regime lines of ``twolayer conditions`` compute them), or an :class:`Unserved` where the
    record is not the setting ``c``'s statement names (:func:`statement_unmet`: the check is not
    run) or the check read an array ``rec`` lacks (:func:`missing_key`; ``runs.missing(key)``
    says why, where the reader defines it, else :func:`lacking_probe`)."""
    unmet = statement_unmet(c, runs)
    if unmet:
        return Unserved(c.id, c.paper, c.statement, c.source, unmet)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        v = judge(c, runs)
    key = missing_key(v, rec)
    if key is None:
        return v
    explain = getattr(runs, "missing", None)
    why = ""
    if callable(explain):
        entry = READERS.get(c.paper)
        why = (plugin_call(entry, ".missing", explain, key) if entry is not None
               else explain(key))
        if not isinstance(why, str):
            where = entry.origin if entry is not None else c.paper
            raise TwolayerError(f"the record reader of {c.paper!r} ({where}): its "
                                f"runs.missing({key!r}) returned {type(why).__name__}, not "
                                "the text saying why the record lacks it")
    return Unserved(c.id, c.paper, c.statement, c.source,
                    why or lacking_probe(key) or f"its check reads {key}, not in this record")


def readable_papers(rec: Record, path: str,
                    papers: Sequence[str] | None = None) -> tuple[dict[str, tuple], dict[str, str]]:
    """The papers (all with a reader, or ``papers``) whose reader reads ``rec``: {paper: (ids,
    runs)}, and {paper: why not} for those whose reader refused it (its ConfigError's reason)."""
    from ..errors import ConfigError

    ok: dict[str, tuple] = {}
    refused: dict[str, str] = {}
    for p in (list(READERS) if papers is None else papers):
        try:
            ok[p] = read_record(p, rec, path)
        except ConfigError as e:
            refused[p] = e.valid
    return ok, refused


def record_setting(rec: Record) -> str:
    """A short, paper-free description of a simulate record's setting (its config's data kind
    and sizes, noise, width, steps; the seeds), for the header of ``check --record``."""
    c = rec.config
    dc, nc, tc = c.get("data", {}), c.get("net", {}), c.get("train", {})
    parts = [f"--data {dc.get('kind', '?')}"]
    for key, src in (("d", dc), ("n", dc), ("noise", dc), ("m", nc), ("steps", tc), ("lr", tc)):
        if key in src:
            parts.append(f"{key}={src[key]:g}" if isinstance(src[key], float)
                         else f"{key}={src[key]}")
    if tc.get("batch_size") is not None:
        parts.append(f"batch={tc['batch_size']}")
    return " ".join(parts) + f"; {rec.seeds} seed{'' if rec.seeds == 1 else 's'}"
