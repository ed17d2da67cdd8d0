"""vashisht2024's record reader: the one claim per data kind that a user's own ``twolayer
simulate`` record can serve (``twolayer check vashisht2024 --record DIR``; registry
:mod:`twolayer.claims.on_record`).

The claims of :mod:`twolayer.claims.vashisht2024` read two-phase studies
(``vashisht2024.<kind>.sgd``: phase 1 on labels flipped at rate η, phase 2 on the clean labels,
in several variants, against a clean baseline at the same seeds). One simulate record trains one
phase on one label set, so it can stand only for the study's baseline, the η = 0 runs with the
head kept: clean training, R seeds. That is all ``clean_simple`` (claim 1: a clean-trained
network relies on the simple feature) reads, so the reader serves ``vashisht2024.<kind>
.clean_simple`` for a ``--data lms`` or ``--data linxor`` record trained on clean labels, and
the other four claims of each kind are :data:`EXCLUDED` (each compares runs pre-trained on noisy
labels, or another phase-1 arm, with that baseline).

The record is served as the study ``vashisht2024.<kind>.sgd`` (the main arm, whatever the
record's optimiser; :class:`StudyRecord`): its arrays as they are (the ``vashisht`` probe's
``vashisht/<q>`` [R, T], whose last probe time is the end of training, as in a study), plus
the run layout a study stores, every run being a baseline run: ``phase2/variant`` = keep,
``phase2/eta`` = 0 and ``phase2/seed`` = r (run r trained from seed ``seed + r``, as the study's
run r does), and ``meta["study"]`` written from the record's config (kind; d, slabs, margin,
n, n_test, m; lr, batch size, T1 = 0 and T2 = steps: one phase; η grid {0}; variant keep; no
input-noise control). The claim's own check then computes its verdict and its regime on the
record: the baseline-fit premise (clean test accuracy ≥ 0.95 at every seed) and the item-by-item
comparison with the card's setting (width, bias, head, He init, loss, SGD, lr, batch, seeds, n,
...; a full-batch record is compared as full-batch GD), so a record outside the card's setting
is judged and marked outside, not refused.

Refused (ConfigError naming ``record``; a config without a data kind, noise or steps is a
RecordError): another data kind (the ``vashisht`` probe records only on lms and linxor); labels
flipped (``noise`` > 0, or a ``static/noisy`` flag set: claim 1 is about a clean-trained network,
and a noisy simulate record is no study's phase 1 either, which is followed by clean training);
the gradient-flow integrator (the study trains by exact SGD or GD steps); a record whose last
probe time is not its step count. A record without the ``vashisht`` probe is read, and the claim
is not served (:func:`~twolayer.claims.on_record.lacking_probe`: add ``--probes vashisht``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ConfigError, RecordError
from ..experiments.vashisht2024 import KINDS, PAPER, VARIANTS
from ..record import Record
from .on_record import register_record_reader

PROBE = "vashisht"

_TWO_PHASES = ("twolayer simulate trains one phase on one label set, and `twolayer check "
               f"{PAPER}` runs the two-phase study")
EXCLUDED: dict[str, str] = {}
for _kind in KINDS:
    EXCLUDED |= {
        f"{PAPER}.{_kind}.reliance_rises": "compares networks pre-trained on labels flipped at "
        "rate eta > 0 and then trained on the clean labels (two phases, several eta) with the "
        f"clean baseline at the same seeds; {_TWO_PHASES}",
        f"{PAPER}.{_kind}.no_accuracy_cost": "compares the clean accuracy of the noisy-label "
        "pre-trained runs (two phases, at the eta where reliance_rises holds) with the clean "
        f"baseline at the same seeds; {_TWO_PHASES}",
        f"{PAPER}.{_kind}.survives_controls": "compares the rescale arm (first-layer norm reset "
        "between noisy-label pre-training and clean training) with the clean baseline at the "
        f"same seeds; {_TWO_PHASES}",
        f"{PAPER}.{_kind}.label_noise_specific": "compares the input-noise control "
        "(feature-preserving input noise calibrated per seed in phase 1, then clean training) "
        f"with the clean baseline at the same seeds; {_TWO_PHASES}",
    }


def served(kind: str) -> str:
    """The id of the one claim a ``--data kind`` record serves."""
    return f"{PAPER}.{kind}.clean_simple"


def check_readable(rec: Record, path: str) -> str:
    """The record's data kind, or the refusal of a record this reader cannot serve (see the
    module's docstring): RecordError for a config without a data kind, noise or steps;
    ConfigError naming ``record`` otherwise."""
    try:
        dc, tc = rec.config["data"], rec.config["train"]
        kind = dc["kind"]
        noise, steps = float(dc["noise"]), int(tc["steps"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(path, "record.json's config has no data kind, noise or steps") from None
    if kind not in KINDS:
        raise ConfigError("record", path, f"is a --data {kind} record: {PAPER}'s claims are "
                          "stated on simple + complex feature data; simulate with --data lms "
                          f"(or linxor) --noise 0 --probes {PROBE}")
    noisy = rec.arrays.get("static/noisy")
    flipped = 0 if noisy is None else int(np.count_nonzero(noisy))
    if noise != 0 or flipped:
        raise ConfigError("record", path, f"is trained on flipped labels (--noise {noise:g}"
                          + (f", {flipped} labels flagged in static/noisy" if flipped else "")
                          + f"): the one claim of {PAPER} a simulate record serves "
                          f"({served(kind)}) is about a network trained on clean labels, and "
                          "noisy-label pre-training is the first of two phases a simulate "
                          "record does not have; simulate with --noise 0")
    integrator = tc.get("integrator", "gd")
    if integrator != "gd":
        raise ConfigError("record", path, f"is trained by --integrator {integrator}: {PAPER}'s "
                          "studies train by exact SGD or GD steps; simulate with --integrator gd")
    if rec.times.size == 0 or int(rec.times[-1]) != steps:
        raise ConfigError("record", path, f"has no probe time at its last step {steps}: the "
                          "claims read the network at the end of training")
    return str(kind)


def study_meta(rec: Record, kind: str) -> dict[str, Any]:
    """``meta["study"]`` of the study the record stands for, from its config: one clean phase
    of ``steps`` steps (T1 = 0, T2 = steps), η grid {0}, variant keep, no input-noise control."""
    dc, nc, tc = rec.config["data"], rec.config.get("net", {}), rec.config["train"]
    batch = tc.get("batch_size")
    plan = {"d": int(dc["d"]), "n": int(dc["n"]), "n_test": int(dc["n_test"]),
            "m": int(nc["m"]), "margin": float(dc["margin"]), "seeds": rec.seeds,
            "seed": int(rec.config.get("seed", 0))}
    if kind == "lms":
        plan["slabs"] = int(dc["slabs"])
    arm = {"name": "sgd" if batch is not None else "gd", "lr": float(tc["lr"]),
           "batch_size": None if batch is None else int(batch), "T1": 0,
           "T2": int(tc["steps"]), "etas": [0.0], "variants": ["keep"], "input_noise": False}
    return {"kind": kind, "arm": arm, "plan": plan, "seeds": rec.seeds}


class StudyRecord:
    """A stand-in for :class:`twolayer.experiments.Runs` that serves one simulate record as the
    study ``vashisht2024.<kind>.sgd`` whose every run is a baseline run (η = 0, head kept); no
    GD study (``get`` returns None for it, as for a mode without a GD arm)."""

    quick = False  # (judge's tier: not shown)

    def __init__(self, rec: Record, kind: str):
        R = rec.seeds
        layout = {"phase2/variant": np.full(R, VARIANTS.index("keep"), dtype=np.int64),
                  "phase2/eta": np.zeros(R, dtype=np.float64),
                  "phase2/seed": np.arange(R, dtype=np.int64)}
        self.kind = kind
        self.name = f"{PAPER}.{kind}.sgd"
        self.rec = dataclasses.replace(rec, arrays={**rec.arrays, **layout},
                                       meta={**rec.meta, "study": study_meta(rec, kind)})

    def get(self, name: str) -> Record | None:
        if name == self.name:
            return self.rec
        if name == f"{PAPER}.{self.kind}.gd":
            return None
        raise KeyError(f"experiment {name} (this record stands for {self.name} only)")



def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], StudyRecord]:
    """vashisht2024's record reader (:func:`twolayer.claims.on_record.register_record_reader`):
    the clean_simple claim of the record's data kind and the record standing for that kind's
    study; a record :func:`check_readable` refuses is refused."""
    kind = check_readable(rec, path)
    return (served(kind),), StudyRecord(rec, kind)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
