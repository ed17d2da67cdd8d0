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
reader serves ``final/frei_test/<name>`` as ``frei_test/<name>`` at t = steps.

Definition 7's good-run facts (``static/lemma5_*``, ``static/lemma6_edge``,
``static/cluster_frac``: Lemmas 5–6 on the training sample and the initial weights at t = 0)
are recorded by the frei2023 experiments (:func:`twolayer.experiments.frei2023.good_run_facts`),
not by any probe. A record that holds them (a regime experiment's) is read as is. For a simulate
record the reader redraws them (:func:`redrawn_facts`): ``setup(Config.from_dict(config))``
draws, on the CPU from the runs' own seeded generators, the training samples and initial
parameters the record was trained from, and ``good_run_facts`` is computed on them. The redraw
is used only once it is verified against the record: the config must round-trip (same dict, same
run id); ``static/a`` and ``static/noisy`` (copies of the drawn second layer and noise flags)
must be equal; ``static/init_w_norm`` and the continuous t = 0 values of the ``frei_neurons``
and ``frei_samples`` probes (:data:`VERIFIED`, re-measured on the redraw with
:func:`twolayer.engine.measure`) must agree within :func:`~twolayer.claims.redraw.tolerance`
of each array's largest value (the redraw and its checks: :mod:`twolayer.claims.redraw`, shared
with maennel2020's reader). On a mismatch (another torch version's random streams, an edited
record), or where the record has no t = 0 probe values to check against, the facts are not
served, and the claims that read them say why (``runs.missing``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ConfigError, RecordError
from ..record import Record
from .on_record import lacking_probe, register_record_reader
from .redraw import verified_redraw

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
FACT_KEYS = ("static/lemma6_edge", "static/lemma5_own_min", "static/lemma5_other_max",
             "static/lemma5_dev_max", "static/cluster_frac")

# The t = 0 probe values a redraw is checked against: those that are continuous in the sample
# and the initial weights (frei_neurons: W, a and the class means; frei_samples: the training
# points and labels through y_i f(x_i)), so that another summation order (threads, instruction
# set, GPU) moves them by rounding only. Values that count signs (set, cond9, acc_*, own_step's
# active neurons) are left out: a pre-activation within rounding of 0 flips them on another
# machine, a jump rather than a rounding difference.
VERIFIED = ("frei_neurons/rho_own", "frei_neurons/rho_other", "frei_neurons/norm_frob",
            "frei_neurons/norm_max", "frei_neurons/leak", "frei_samples/margin_clean_min",
            "frei_samples/margin_noisy_max")


def redrawn_facts(rec: Record) -> tuple[dict[str, np.ndarray] | None, str]:
    """Definition 7's good-run facts of the record's runs, redrawn and verified (see the
    module's docstring; :func:`twolayer.claims.redraw.verified_redraw`): ``(facts, "")``, the
    ``static/...`` arrays of :func:`twolayer.experiments.frei2023.good_run_facts` on the
    redrawn samples and initial weights, or ``(None, why)`` where the redraw cannot be checked
    or did not reproduce the record (the array and its largest difference)."""
    from ..experiments.frei2023 import good_run_facts

    probes = sorted({k.split("/")[0] for k in VERIFIED})
    lacking = sorted({k.split("/")[0] for k in VERIFIED if k not in rec.arrays})
    if lacking:
        return None, (f"the record has no {' or '.join(lacking)} probe values to check a "
                      "redraw of its sample and initialisation against: simulate with "
                      f"--probes {','.join(probes)} so the redraw can be checked")
    drawn, why = verified_redraw(rec, VERIFIED, "the sample and initialisation")
    if drawn is None:
        if why.startswith("the record has no probe values at t = 0"):
            why += f": simulate with --probes {','.join(probes)} so the redraw can be checked"
        return None, why
    _, data, params = drawn
    return good_run_facts(data, params), ""


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
    one-setting ``frei2023.regime`` experiment ``{"record": rec}``, with Definition 7's
    good-run facts redrawn and verified (:func:`redrawn_facts`, once, at the first ``get``)
    where the record lacks them."""

    quick = False  # (judge's tier: not shown)
    name = f"{PAPER}.regime"

    def __init__(self, rec: Record):
        self.rec = with_final(rec)
        self.facts_why: str | None = None  # why the facts are not served (None: not yet asked)
        if all(k in rec.arrays for k in FACT_KEYS):
            self.facts_why = ""  # recorded (a regime experiment's record): read as is

    def _serve_facts(self) -> None:
        if self.facts_why is not None:
            return
        facts, self.facts_why = redrawn_facts(self.rec)
        if facts is not None:
            self.rec = dataclasses.replace(self.rec, arrays={**self.rec.arrays, **facts})

    def get(self, name: str) -> Any:
        if name != self.name:
            raise KeyError(f"experiment {name} (this record stands for {self.name} only)")
        self._serve_facts()
        return {SETTING: self.rec}

    def missing(self, key: str) -> str:
        """Why a claim whose check read ``key``, which the record lacks, cannot be judged on
        it: the probe to add, or why the good-run facts could not be redrawn."""
        if key.startswith(GOOD_RUN_FACTS):
            self._serve_facts()
            return (f"its check reads {key}, one of Definition 7's good-run facts (Lemmas 5-6 "
                    "on the training sample at t = 0), which twolayer simulate does not record "
                    f"and this record's could not be redrawn: {self.facts_why}")
        if key.startswith("time "):
            return (f"its check reads every probe time up to T, and {key.split(' is ')[0]} is "
                    f"not one of this record's ({covering_num_times(self.rec)})")
        if key.startswith("final/"):
            key = key[len("final/"):]
        return lacking_probe(key)


def covering_num_times(rec: Record, limit: int = 20_000) -> str:
    """The advice for a record whose probe grid skips a time t <= T = steps: the least
    ``--num-times`` whose grid (:func:`twolayer.training.driver.probe_times`: every t up to
    ``dense_until``, then log-spaced times) holds every t = 0..T. Log spacing skips integers near
    T unless the count is well above T (T = 13 needs 26, T = 20 needs 49), so "more times than
    steps" is not enough."""
    from ..training.driver import probe_times

    T = int(rec.config["train"]["steps"])
    dense = int(rec.config.get("probe", {}).get("dense_until", 10))
    want = set(range(T + 1))
    # a grid holds 0, 1, the dense times 0..dense, T and at most n log-spaced ones, so no n
    # below T - dense - 1 can hold all T + 1 times: start there (a long run's record would
    # otherwise build up to `limit` grids before its message)
    for n in range(max(2, T - dense - 1), limit + 1):
        if want <= set(probe_times(T, n, dense)):
            return f"simulate with --num-times {n} or more: its grid holds every t = 0..{T}"
    return (f"no --num-times up to {limit} gives a probe grid holding every t = 0..{T}: "
            "these claims cannot be judged on a simulate record of this many steps")


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], RegimeRecord]:
    """frei2023's record reader (:func:`twolayer.claims.on_record.register_record_reader`):
    the claims of :data:`SERVED` and the record standing for the ``frei2023.regime``
    experiment; a record :func:`check_readable` refuses is refused."""
    check_readable(rec, path)
    return SERVED, RegimeRecord(rec)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
