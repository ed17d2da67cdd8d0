"""Shared by the tests of ``twolayer check --record`` (test_check_record*.py): a claim judged
by its own check on a stand-in Runs the test writes itself, and the command's --json rows."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
from cli_helpers import run

from twolayer.claims.base import CLAIMS, judge


def judge_quietly(cid: str, runs) -> object:
    """``judge(CLAIMS[cid], runs)`` with numpy's and Python's warnings off, as the command
    judges on a record (:func:`twolayer.claims.on_record.judge_on_record`)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return judge(CLAIMS[cid], runs)


def finite(x):
    """``x``, or None where it is not finite (as --json writes it)."""
    return x if x is None or np.isfinite(x) else None


def check_json(capsys, record: Path, *extra: str) -> tuple[int, list[dict]]:
    """(exit status, rows) of ``twolayer check EXTRA --record RECORD --json``; a refusal fails."""
    code, out, err = run(["check", *extra, "--record", str(record), "--json"], capsys)
    assert code in (0, 1), err
    return code, json.loads(out)


def simulated(out: Path, argv: list[str]) -> Path:
    """The record directory ``twolayer simulate ARGV --out OUT`` writes (in-process)."""
    from twolayer.cli import main

    assert main(["simulate", *argv, "--out", str(out)]) == 0
    (one,) = [p for p in out.iterdir() if p.is_dir()]
    return one


def doctored(rec, out: Path, config: dict | None = None, **arrays) -> Path:
    """``rec`` saved to ``out`` with ``arrays`` replaced (None: removed) and, given, another
    ``config``: a record with valid checksums whose content the test chose, consistent with
    itself as the record readers check (``twolayer.store.load_record``): its run id the hash
    of its config, its summary computed from its arrays."""
    import hashlib

    from twolayer.record import Record, canonical_json
    from twolayer.simulate import summarize

    new = dict(rec.arrays)
    for k, v in arrays.items():
        if v is None:
            new.pop(k)
        else:
            new[k] = v
    config = config or rec.config
    run_id = hashlib.sha256(canonical_json(config).encode()).hexdigest()[:12]
    made = Record(config, run_id, rec.times, new, rec.meta)
    made.summary = summarize(made)
    return made.save(out)
