"""``twolayer show DIR``: a saved record's summary, read back and verified.

``twolayer simulate --out DIR`` prints a summary once and writes the record; ``show`` prints the
same summary again from the record alone (a collaborator's, or one's own from last month), after
:func:`twolayer.store.load_record` has verified it (checksums of every array and of
record.json, run id = hash of the config, every array's runs and probe times, the summary
computed again from the arrays: a damaged or edited record is exit status 2, never shown), with
what wrote it (twolayer, torch, the device, the float32 matmul precision, the threads, the
CPU kernels and capability, the block budget) and what
it holds (the probes, the probe times, the arrays), which says what ``twolayer check --record``
and ``twolayer conditions --record`` can read on it. Nothing is trained or written.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from ..conditions import find_record
from ..record import Record, strict_json
from ..store import load_record
from .simulate import human_summary, json_summary, probes_of

HINT = "e.g. twolayer simulate ... --out DIR"
# the meta fields of the provenance line, in this order: (key, label)
PROVENANCE = (("twolayer", "twolayer"), ("torch", "torch"), ("numpy", "numpy"),
              ("python", "python"), ("device", "device"), ("device_name", "device name"),
              ("gpu", "GPU"), ("cuda", "CUDA"), ("threads", "threads"),
              ("float32_matmul_precision", "float32 matmuls"), ("tf32", "TF32"),
              ("cpu_kernels", "CPU kernels"), ("cpu_capability", "CPU capability"),
              ("block_budget", "block budget"), ("gpu_kernels", "GPU kernels"),
              ("created", "created"))
# cpu_capability (AVX2, AVX512, DEFAULT: the instruction set PyTorch's CPU kernels dispatch to)
# and block_budget change a run's last bits like the CPU kernels and the threads
# (docs/guide.md, "Reproducibility"), so two records that differ there must show it


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="print a saved record's summary (verified) and what wrote it",
        description="Print the summary of a record of twolayer simulate --out DIR, read back "
        "and verified (checksums, run id): the setting, the same table simulate printed, what "
        "wrote it (twolayer, torch, the device, the matmul precision) and what it holds (the "
        "probes and probe times that check --record and conditions --record read). Nothing is "
        "trained or written. Exit status 0, or 2 for a path that is no record or a damaged one.",
    )
    p.add_argument("record", metavar="DIR",
                   help="a record directory of twolayer simulate --out DIR (DIR/<run_id>, or DIR "
                   "holding exactly one record)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: simulate --json's summary, with record, "
                   "provenance, probes, times and arrays (name: shape)")
    p.set_defaults(run=run)


def provenance(rec: Record) -> dict[str, object]:
    """What wrote the record, from its meta: the fields of :data:`PROVENANCE` it has (a
    missing or null field is left out)."""
    return {key: rec.meta[key] for key, _ in PROVENANCE if rec.meta.get(key) is not None}


def times_text(rec: Record) -> str:
    """The probe times in a few words: their count and their first and last."""
    t = rec.times
    if len(t) == 0:
        return "no probe times"
    return f"{len(t)} probe times, t = {int(t[0])} ... {int(t[-1])}"


def run(args: argparse.Namespace) -> int:
    where = find_record(args.record, flag="DIR", hint=HINT)
    rec = load_record(where)  # RecordError (exit 2): missing, truncated, edited, malformed
    prov = provenance(rec)
    probes = probes_of(rec)
    if args.json:
        out = json_summary(rec)
        out.update(record=str(where), provenance=prov, probes=probes,
                   times=[int(t) for t in rec.times],
                   arrays={k: list(v.shape) for k, v in rec.arrays.items()})
        print(json.dumps(strict_json(out), allow_nan=False))
        return 0
    print(f"record: {where} (run {rec.run_id}; checksums, run id, shapes and summary verified)")
    print("written by " + ", ".join(f"{label} {prov[key]}" for key, label in PROVENANCE
                                    if key in prov))
    print(f"holds: {times_text(rec)}; probes: {', '.join(probes) or 'none'}; "
          f"{len(rec.arrays)} arrays (`twolayer show {shlex.quote(str(Path(args.record)))} "
          "--json` lists them)")
    print(human_summary(rec, [], wall="wall time of the run that wrote it",
                        arrays_at=str(where)))
    return 0
