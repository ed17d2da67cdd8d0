"""frei2023's record reader: its claims judged on a user's own ``twolayer simulate`` record
(``twolayer check frei2023 --record DIR``; registry :mod:`twolayer.claims.on_record`).

Most claims of :mod:`twolayer.claims.frei2023` read ``runs.get("frei2023.regime")``, a dict
{setting: Record} of theorem-regime runs to T, and compute their regime from each record's
config (Theorem 1's (A1)–(A7) and the model premises, :func:`~twolayer.claims.frei2023.
regime_of_records`). The reader serves one record as the one-setting dict ``{"record": rec}``,
so every served claim's regime is computed on the user's record: a setting outside A1–A7, not
stopped at T = 1 + 1/(4α), with minibatches, a trained or Gaussian second layer, a bias, the
gradient-flow integrator or ``random`` label noise is judged and marked *outside its regime*
by the claim's own regime code, not refused.

Refused (ConfigError naming ``record``): a record whose config has no data kind, n, noise, lr
or steps; a data kind other than ``xor``, an objective other than ``logistic`` or more than one
output — the frei probes record nothing there (they refuse those settings at simulate time),
so no check could compute a number.

The record stands for a regime record in two ways: the regime experiment measures the test
probe once at T (``final/frei_test/...``, [R]); a simulate record probes it at its probe times
(``frei_test/...``, [R, T]), on the same test set and the same parameters at step T, so the
reader serves ``final/frei_test/<name>`` as ``frei_test/<name>`` at t = steps. Definition 7's
good-run facts (``static/lemma5_*``, ``static/lemma6_edge``, ``static/cluster_frac``: Lemmas 5–6
on the training sample at t = 0) are recorded by the frei2023 experiments only, not by any
probe: the claims proved on a good run read them, so a simulate record lists them as *not
served*, saying so (``runs.missing``); a record of the regime experiment serves them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ConfigError, RecordError
from ..record import Record
from .on_record import register_record_reader

PAPER = "frei2023"
SETTING = "record"  # the setting's name in the claims' texts ("record: 0 of 4 runs violate")
PROBES = "frei_neurons,frei_samples,frei_test"  # what the served checks read

# The claims whose checks read only frei2023.regime and that one setting can decide.
SERVED = (
    "frei2023.lemma3.init_norms",
    "frei2023.lemma12.one_step_amplification",
    "frei2023.mechanism.other_class_correlation",
    "frei2023.lemma4.sign_inheritance",
    "frei2023.condition9.alignment",
    "frei2023.condition10.near_orthogonality",
    "frei2023.lemma14.norm_growth",
    "frei2023.eq20.own_cluster_growth",
    "frei2023.eq19.loss_weights",
    "frei2023.lemma6.edge",
    "frei2023.definition7.good_run",
    "frei2023.theorem1.train_fit",
    "frei2023.appendixA4.margins",
    "frei2023.theorem1.test_error",
    "frei2023.theorem1.matches_fstar",
    "frei2023.lemma4.set_sizes",
)

# The claims one record cannot serve, and why (one reason per group).
EXCLUDED: dict[str, str] = {
    "frei2023.lemma4.weak_correlations": "a slope across d: needs the regime's d sweep "
    "(several settings), not one record",
    "frei2023.lemma12.typical_d_independent": "a slope across d: needs the regime's d sweep "
    "(several settings), not one record",
    "frei2023.theorem1.excess_trend": "slopes across d and n: needs the d sweep and the "
    "n_sweep experiment (several settings), not one record",
    "frei2023.section1.linear_chance": "reads the linear-baseline experiment (frei2023.linear: "
    "linear classifiers fitted on the regime distribution), not a network's record",
    "frei2023.section1.affine_chance": "reads the linear-baseline experiment (frei2023.linear: "
    "linear classifiers fitted on the regime distribution), not a network's record",
    "frei2023.theorem1.adversarial_noise": "reads the adversarial experiment (all flips in "
    "cluster +mu1, with the good-run facts), not a simulate record",
    "frei2023.prop2.feature_movement": "a slope across omega_init: needs the movement "
    "experiment's several initial scales",
    "frei2023.lemma12.needs_small_init": "a contrast of two initial scales (frei2023.lazy "
    "against the regime), not one record",
    "frei2023.fig1.boundary": "reads Figure 1's experiment (a d = 2 decision-boundary grid)",
    "frei2023.fig2.high_d_benign": "reads Figure 2's late-time experiment (two panels run far "
    "past T)",
    "frei2023.fig2.low_d_decline": "reads Figure 2's late-time experiment (two panels run far "
    "past T)",
}

# Definition 7's good-run facts: recorded by the frei2023 experiments (good_run_facts) only.
GOOD_RUN_FACTS = ("static/lemma5_", "static/lemma6_edge", "static/cluster_frac")


def check_readable(rec: Record, path: str) -> None:
    """Refuse a record frei2023's claims cannot be read on (see the module's docstring):
    RecordError for a config without a data kind, n, noise, lr or steps; ConfigError naming
    ``record`` for another data kind, objective or output count."""
    try:
        dc, nc, tc = rec.config["data"], rec.config["net"], rec.config["train"]
        kind = dc["kind"]
        int(dc["n"]), float(dc["noise"]), float(tc["lr"]), int(tc["steps"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(path, "record.json's config has no data kind, n, noise, lr or "
                          "steps") from None
    if kind != "xor":
        raise ConfigError("record", path, f"is a --data {kind} record: frei2023's claims are "
                          "stated on XOR clusters and its probes record only there; simulate "
                          f"with --data xor --probes {PROBES}")
    objective, outputs = tc.get("objective", "logistic"), nc.get("outputs", 1)
    if objective != "logistic" or outputs != 1:
        raise ConfigError("record", path, f"is trained on the {objective} objective with "
                          f"{outputs} output(s): frei2023's claims read one output trained on "
                          "the logistic loss (--objective logistic)")


def with_final(rec: Record) -> Record:
    """``rec`` with ``final/frei_test/<name>`` = ``frei_test/<name>`` at t = steps added (the
    regime experiment's keys for the test probe measured once at T; a key the record already
    has is kept), or ``rec`` itself where steps is not a probe time or there is no test probe."""
    T = int(rec.config["train"]["steps"])
    if not (rec.times == T).any():
        return rec
    extra = {f"final/{k}": rec.at(k, T) for k in rec.arrays
             if k.startswith("frei_test/") and f"final/{k}" not in rec.arrays}
    if not extra:
        return rec
    return dataclasses.replace(rec, arrays={**rec.arrays, **extra})


class RegimeRecord:
    """A stand-in for :class:`twolayer.experiments.Runs` that serves one record as the
    one-setting ``frei2023.regime`` experiment ``{"record": rec}``."""

    quick = False  # (judge's tier: not shown)
    name = f"{PAPER}.regime"

    def __init__(self, rec: Record):
        self.rec = with_final(rec)

    def get(self, name: str) -> Any:
        if name != self.name:
            raise KeyError(f"experiment {name} (this record stands for {self.name} only)")
        return {SETTING: self.rec}

    def missing(self, key: str) -> str:
        """Why a claim whose check read ``key``, which the record lacks, cannot be judged on
        it: the probe to add, or that only the frei2023 experiments record it."""
        if key.startswith(GOOD_RUN_FACTS):
            return (f"its check reads {key}, one of Definition 7's good-run facts (Lemmas 5-6 "
                    "on the training sample at t = 0), recorded by the frei2023.regime "
                    "experiment only, not by twolayer simulate")
        if key.startswith("time "):
            return (f"its check reads every probe time up to T, and {key.split(' is ')[0]} is "
                    "not one of this record's (simulate with --num-times above --steps)")
        if key.startswith("final/"):
            key = key[len("final/"):]
        if "/" in key and not key.startswith("static/"):
            return (f"its check reads {key}, not in this record (add --probes "
                    f"{key.split('/', 1)[0]})")
        return ""


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], RegimeRecord]:
    """frei2023's record reader (:func:`twolayer.claims.on_record.register_record_reader`):
    the claims of :data:`SERVED` and the record standing for the ``frei2023.regime``
    experiment; a record :func:`check_readable` refuses is refused."""
    check_readable(rec, path)
    return SERVED, RegimeRecord(rec)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
