"""``twolayer check examples/barak2022 --record DIR``: the example's claims judged on a user's own
``twolayer simulate --plugin examples/barak2022 --data parity ... --probes barak_parity --out
DIR`` record (public API only: :func:`twolayer.api.register_record_reader`).

One simulate record is one (n, k) setting, R seeds, one label-noise level, one width, trained
once from one seed per run. Of the claims (``claims.py``) the four whose experiment is one such
setting are served, each judged by its own check with the record standing for its experiment:

- ``fig1.plateau_drop`` reads ``barak2022.curves`` ({"n=N,k=K": Record}, of which it takes the
  largest k): served as ``{"n=<d>,k=<k>": rec}``, where its labels are clean;
- ``fig2.no_early`` reads ``barak2022.early`` (many seeds of one setting): the record, where its
  labels are clean;
- ``c6.label_noise`` reads ``barak2022.noise`` (one setting with labels flipped with probability
  p): the record, where its labels are flipped with the probability its statement names
  (``--noise 0.4``, ``--noise-model iid``); on any other record, another p included, it is not
  served (``runs.missing`` says why): the check reads the fraction of seeds that learn at the
  record's p, and "learns with p = 0.4 flips" is not measured at another p (until 2026-12-06
  a record at p = 0.05 was judged *holds*: docs/verdict_audit.md, section 20);
- ``c1.gap_positive_and_grows`` reads ``barak2022.gap`` (one setting with the ``barak_gap``
  probe, the hinge loss's exact population gradient): the record, where its labels are clean and
  it trained on the hinge loss (on another loss ``barak_gap`` is not the gradient of the loss
  trained on: not served).

The statements of ``fig1.plateau_drop`` (Fig. 1-left, Fig. 6 row 1), ``fig2.no_early`` (Fig.
2-left) and ``c1.gap_positive_and_grows`` (Fig. 12) are about training on the parity's own
labels: the paper's figures and the example's ``curves``, ``early`` and ``gap`` experiments run
clean labels. On a record with ``--noise`` above 0 (flipped, or replaced at random) they are not
served (``runs.missing`` says why): a plateau, a t_c histogram or a gradient gap measured under
label noise is another setting's (until 2026-12-06 they were judged on such records:
docs/verdict_audit.md, section 21), as ``c6.label_noise`` is served only at its p.

Every claim is registered outside the paper's setting (``in_regime=False``), so each verdict is
marked outside its regime, as on the example's own experiments. The other eight claims compare
several settings (the grid over n and k, widths, biases, inits crossed with SGD streams, a
random-label control, Theorem 4's sign init): :data:`EXCLUDED`, each with its reason.

What the experiments' records have that a simulate record lacks, derived from the record:

- ``static/t_c`` [R]: the first probe time with validation error 0 (-1 if none), computed from
  ``barak_parity/val_error`` with :func:`train.first_time`, the function ``run_parity`` records
  it with (a record that already holds ``static/t_c`` keeps its own);
- ``config["train"]["every"]``, the probe interval the checks read (``no_early`` counts a seed
  early when its probe interval (t_c - every, t_c] reaches below median/4): simulate probes at
  log-spaced times, so ``every`` is the widest interval that ends at a seed's t_c (the largest
  gap of the record's probe times where no seed solved); every seed's t_c then lies in
  (t_c - every, t_c], conservatively for ``no_early``. Its text in a verdict's setting says so.

Without the ``barak_parity`` probe (simulate's default probes) no claim is served: each says to
add ``--probes barak_parity`` (``c1`` also ``barak_gap``, n <= 16). Refused (ConfigError naming
``record``): a record of another data kind, or one whose config names no data kind, d or k.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from twolayer.api import ConfigError, Record, register_record_reader

from .train import first_time

PAPER = "barak2022"
KIND = "parity"
MAKE = (f"twolayer simulate --plugin examples/barak2022 --data {KIND} --d N --k K --batch-size B "
        "--objective hinge --probes barak_parity --out DIR")

SERVED = (
    f"{PAPER}.fig1.plateau_drop",
    f"{PAPER}.c6.label_noise",
    f"{PAPER}.c1.gap_positive_and_grows",
    f"{PAPER}.fig2.no_early",
)

EXCLUDED: dict[str, str] = {
    f"{PAPER}.ef1.solves": "a statement about every (n, k) cell of the paper's grid "
    "(n in {10, 20, 30} x k in {2, 3, 4}: the grid experiment's 9 settings), not one record's "
    "one setting",
    f"{PAPER}.ef1.k_adaptive": "slopes of log median t_c against log n compared across k: needs "
    "the grid over n and k (several settings), not one record",
    f"{PAPER}.hp.relevant_first": "pairs each true-label run with a random-label control trained "
    "from the same init and inputs (the hidden experiment's two runs), which one record does not "
    "hold",
    f"{PAPER}.c2.bias_odd_k": "compares three settings (k = 3 with and without biases, k = 4 "
    "without), not one record",
    f"{PAPER}.thm4.one_step": "reads the exact population gradient at Theorem 4's sign init "
    "(w_j in {+-1}^n, b = 0; nothing trained) in several settings with odd-k and large-head "
    "controls (the thm4 experiment); twolayer simulate draws W ~ N(0, init_var)",
    f"{PAPER}.fig2.init_not_sgd": "crosses initialisations with SGD streams (runs sharing an "
    "init seed, each with its own stream seed: the icc experiment); a simulate run has one seed "
    "for both",
    f"{PAPER}.fig2.exponent_degrades": "slopes of log median t_c against log n over a low and a "
    "high range of n: needs the scaling experiment's several n, not one record",
    f"{PAPER}.width.no_speedup": "compares widths (the width experiment's r = 8 with the largest "
    "r): needs several records, not one",
}

# the experiments the served claims read, and the keys the reader raises (KeyError, judged "not
# served" with runs.missing's reason) where the record is not that experiment's kind of run
SERVES = {f"{PAPER}.curves", f"{PAPER}.early", f"{PAPER}.noise", f"{PAPER}.gap"}
NO_FLIPS = "label flips"
NOISE_P = 0.4  # the flip probability c6.label_noise's statement names ("p = 0.4")
NOT_HINGE = "hinge loss"
NOISY = "clean labels"
# the experiments that run clean labels, as the statements' figures do: {experiment: figure}
CLEAN = {f"{PAPER}.curves": "Fig. 1-left and Fig. 6 row 1 (the curves experiment)",
         f"{PAPER}.early": "Fig. 2-left (the early experiment)",
         f"{PAPER}.gap": "Fig. 12 (the gap experiment)"}


class Every(int):
    """The probe interval of a record with log-spaced probe times (an int for the checks), whose
    text in a verdict says what it is."""

    def __format__(self, spec: str) -> str:
        if spec:
            return int.__format__(int(self), spec)
        return (f"{int(self)} at most (the record's probe times are log-spaced: the widest "
                "interval ending at a seed's t_c)")


def probe_interval(times: np.ndarray, tc: np.ndarray | None) -> int:
    """The interval (t_c - every, t_c] that holds every seed's t_c: the largest gap of ``times``
    that ends at a solved seed's t_c, or, where no seed solved, the largest gap of all (a
    record with evenly spaced probe times gives that spacing)."""
    times = np.asarray(times, dtype=np.int64)
    gaps = np.diff(times)
    if gaps.size == 0:
        return 0
    if tc is not None and (tc > 0).any():
        idx = np.searchsorted(times, tc[tc > 0])
        return int((times[idx] - times[idx - 1]).max())
    return int(gaps.max())


def standin(rec: Record) -> Record:
    """``rec`` as the example's experiments record a setting (see the module's docstring):
    ``static/t_c`` from ``barak_parity/val_error`` and ``config["train"]["every"]`` from the
    probe times, where the record lacks them."""
    arrays = dict(rec.arrays)
    if "static/t_c" not in arrays and "barak_parity/val_error" in arrays:
        arrays["static/t_c"] = first_time(arrays["barak_parity/val_error"], rec.times, 0.0)
    train = dict(rec.config.get("train", {}))
    if "every" not in train:
        every = probe_interval(rec.times, arrays.get("static/t_c"))
        gaps = np.diff(np.asarray(rec.times))
        even = gaps.size > 0 and bool((gaps == gaps[0]).all())
        train["every"] = every if even else Every(every)
    return dataclasses.replace(rec, config={**rec.config, "train": train}, arrays=arrays)


def flips(config: dict) -> bool:
    """Whether the record's training labels are flipped with the probability c6.label_noise's
    statement names, :data:`NOISE_P` (the noise experiment's labels: ``--noise-model iid``)."""
    data = config["data"]
    return (abs(float(data.get("noise", 0.0)) - NOISE_P) <= 1e-9
            and data.get("noise_model", "iid") == "iid")


def clean(config: dict) -> bool:
    """Whether the record's training labels are the parity's own (``--noise 0``, whatever the
    noise model; not an experiment's random-label control)."""
    data = config["data"]
    return float(data.get("noise", 0.0)) == 0.0 and not data.get("random_labels", False)


def labels_text(data: dict) -> str:
    """The record's training labels (its config's ``data``), in words and flags."""
    p = float(data.get("noise", 0.0))
    model = data.get("noise_model", "iid")
    if p == 0:
        return "clean (--noise 0)"
    if model != "iid":
        return (f"replaced at random at rate {p:g} (--noise {p:g} --noise-model {model}), not "
                "flipped with probability p")
    return f"flipped with probability {p:g} (--noise {p:g})"


class ParityRecord:
    """A stand-in for :class:`twolayer.api.Runs` that serves one simulate record as each of the
    one-setting experiments the served claims read (:data:`SERVES`)."""

    quick = False  # (judge's tier: not shown)

    def __init__(self, rec: Record):
        self.rec = standin(rec)
        data = rec.config["data"]
        self.key = f"n={data['d']},k={data['k']}"

    def get(self, name: str) -> Any:
        if name not in SERVES:
            raise KeyError(f"experiment {name} (this record stands for "
                           f"{', '.join(sorted(SERVES))} only)")
        if name in CLEAN and not clean(self.rec.config):
            raise KeyError(f"{NOISY} ({name})")
        if name == f"{PAPER}.curves":
            return {self.key: self.rec}
        if name == f"{PAPER}.noise" and not flips(self.rec.config):
            raise KeyError(NO_FLIPS)
        if name == f"{PAPER}.gap" and self.rec.config["train"].get("objective") != "hinge":
            raise KeyError(NOT_HINGE)
        return self.rec

    def missing(self, key: str) -> str:
        """Why a claim whose check read ``key``, which the record lacks, cannot be judged on it:
        the probe to add, or why the record is not the kind of run its experiment is."""
        data = self.rec.config["data"]
        if key.startswith(f"{NOISY} ("):
            name = key[len(NOISY) + 2:-1]
            return (f"its statement is about training on the parity's clean labels, as "
                    f"{CLEAN.get(name, name)} ran; this record's labels are "
                    f"{labels_text(data)}: a setting the statement does not name (simulate "
                    "with --noise 0)")
        if key == NO_FLIPS:
            p = float(data.get("noise", 0.0))
            labels = labels_text(data)
            if p != 0 and data.get("noise_model", "iid") == "iid":
                labels += f", not the statement's p = {NOISE_P:g}"
            return ("its check reads a record trained on labels flipped with probability p = "
                    f"{NOISE_P:g}, the p its statement names (--noise {NOISE_P:g} --noise-model "
                    f"iid, the noise experiment); this record's labels are {labels}")
        if key == NOT_HINGE:
            return ("its check reads barak_gap, the exact population gradient of the hinge "
                    "loss; this record trained on the "
                    f"{self.rec.config['train'].get('objective')} loss (simulate with "
                    "--objective hinge)")
        if key == "static/t_c":
            return ("its check reads t_c, derived from barak_parity/val_error, not in this "
                    "record (add --probes barak_parity)")
        if key.startswith("barak_gap/"):
            return (f"its check reads {key}, not in this record (add --probes barak_gap; the "
                    "exact population gradient enumerates {+-1}^n: n <= 16)")
        return ""  # a probe's array: twolayer names the probe to add


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], ParityRecord]:
    """The example's record reader (:func:`twolayer.api.register_record_reader`): the claims of
    :data:`SERVED` and the record standing for their experiments; a record of another data kind,
    or whose config names no data kind, d or k, is refused (ConfigError naming ``record``)."""
    data = rec.config.get("data", {}) if isinstance(rec.config, dict) else {}
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind != KIND:
        what = f"a --data {kind} record" if kind else "a record whose config names no data kind"
        raise ConfigError("record", path, f"is {what}: the {PAPER} example's claims are "
                          f"about the sparse parity; simulate with {MAKE}")
    if not all(isinstance(data.get(x), int) for x in ("d", "k")):
        raise ConfigError("record", path, f"is a --data {KIND} record whose config names no "
                          f"integer d and k (the parity's n and k); simulate with {MAKE}")
    return SERVED, ParityRecord(rec)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
