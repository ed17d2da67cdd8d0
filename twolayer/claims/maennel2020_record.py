"""maennel2020's record reader: its single-record claims judged on a user's own ``twolayer
simulate`` record (``twolayer check maennel2020 --record DIR``; registry
:mod:`twolayer.claims.on_record`).

The claims of :mod:`twolayer.claims.maennel2020` read the experiments' records
(``runs.get("maennel2020.<name>")``). Seven of them read one upstream record each, the arrays
of the ``maennel`` and ``errors`` probes of R networks trained on random labels:

- B1's alignment claim, one per named setting (:data:`ALIGNMENT`): ``b1.alignment``
  (``e1_random``: App. E.1's linear spectrum, 10 classes, SGD), ``b1.alignment_spread``
  (``spread_random``: a log-spaced spectrum), ``b1.alignment_binary_gd`` (``binary_gd``: two
  classes, full-batch GD) and ``b1.alignment_xor`` (``xor_random``: Frei's XOR clusters). The
  four run the same check; only the setting their statements name differs, and the check's
  regime compares every one with the same card setting. A record is one setting, so the reader
  offers the one variant whose statement could name it (:func:`stands_for`): ``--data xor`` →
  ``alignment_xor``; ``--data gaussian --spectrum log`` → ``alignment_spread``; otherwise two
  classes → ``alignment_binary_gd``, else ``b1.alignment``. (Serving all four would repeat one
  verdict under three statements about settings the record is not.)
- ``b1.grows_apart``, ``b2.transfer_function`` and ``b2.transfer_function_learned``, which
  the experiments judge on ``e1_random`` only.

Each of these claims is served only where the record is the setting its statement names
(:func:`statement_items`, from the record's config; ``runs.not_served`` gives the reason, and
the claim is listed as not served, its check not run): every statement is about entirely random
labels (``--noise 1 --noise-model random``); ``b1.alignment`` names App. E.1's spectrum
(σ_i² = 0.1, 0.2, …, 3.0 at d = 30, or 1.0, …, 1.9 at d = 10), 10 classes and SGD (a batch
below n); ``alignment_spread`` a spectrum log-spaced over 3.5 decades (to one decimal), 10
classes and SGD; ``alignment_binary_gd`` App. E.1's spectrum, 2 classes, the logistic loss and
full-batch GD (no batch, or one of n; not the gradient-flow integrator); ``alignment_xor`` the
XOR clusters; the two B2 claims App. E.1's spectrum. Until 2026-12-06 the variant was chosen by
one feature and served whatever the rest (a two-class SGD softmax record was judged under the
full-batch GD logistic statement), and the other three were served on every record
(``grows_apart`` held, outside, on a clean teacher-label record): docs/verdict_audit.md,
section 21. What the statements do not name (d and n beyond the spectrum, width, lr, batch,
initialisation, head, bias, seeds, rotation) is the card's setting, which each served claim's
regime compares item by item.

Each served claim is judged by its own check on the record (served as the experiment its
check reads), so its premises (the labels were learned) and its setting against the card's are
computed on the record: a setting that is not the card's (another n, width, lr, labels,
spectrum...) is judged and marked *outside its regime*, not refused.

What a simulate record lacks. The checks read ``static/sigma2``, the data's σ_i² in the order
of the data frame the ``maennel`` probe measures in, which the experiments add to their records
(:func:`twolayer.experiments.maennel2020.eigenvalues` of the data config) and ``twolayer
simulate`` does not record. A record that holds it (an experiment's) is read as is. For a
simulate record the reader derives it from the record's config with that same function (the
spectrum of ``--spectrum``, ``--sigma2-min``, ``--sigma2-max`` for gaussian data; σ² + 1/2
twice, then σ², for the XOR clusters' μ1, μ2 and their completion), and serves it only once the
data frame and initialisation it refers to are verified against the record
(:func:`derived_sigma2`): ``setup(Config.from_dict(config))`` redraws, on the CPU from the runs'
own seeded generators, the data and initial parameters the record was trained from; the config
must read back to itself (same dict, same run id); ``static/a`` and ``static/noisy`` must be
equal; ``static/init_w_norm`` and the ``maennel`` probe's t = 0 values (``maennel/w_sum``,
``maennel/w_outer``: the initial first layer expressed in the data frame, which depends on the
frame's rows and their order), re-measured on the redraw with :func:`twolayer.engine.measure`,
must agree within :func:`~twolayer.claims.redraw.tolerance` of each array's largest
value. Otherwise (another torch version's random streams, an edited record, no t = 0 probe
values) σ_i² is not served and every claim says why (``runs.missing``). A record that holds
``static/sigma2`` is read as is only where it is its config's spectrum in the frame order
(:func:`stored_sigma2_contradicts`), since the statements are matched on the config and the
checks read the stored array; otherwise no claim is served (since 2026-12-06). The experiments' meta
``trained_on`` is not needed: the checks read the training-set size from ``static/noisy`` and
fall back to the config's n for the setting text, which for a simulate record is the n trained
on.

Refused (ConfigError naming ``record``, one line, exit 2): a record no claim can be computed
on — a data kind other than ``gaussian`` or ``xor`` (no σ_i² in the frame order is defined
there), or a record without the ``maennel`` or the ``errors`` probe arrays (every served check
reads both); the reason gives the simulate flags that would serve. A config without a data
kind is a RecordError.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ConfigError, RecordError
from ..record import Record
from .on_record import register_record_reader
from .redraw import verified_redraw

PAPER = "maennel2020"
PROBES = "maennel,errors"  # what the served checks read
KINDS = ("gaussian", "xor")  # the data kinds whose sigma_i^2 in the frame order is defined
# a setting of the card's B1 (App. E.1 data, 10 random classes, SGD), as simulate flags
SERVE_HINT = ("twolayer simulate --data gaussian --d 30 --rotate --num-classes 10 --noise 1 "
              "--noise-model random --objective softmax --n 2000 --m 256 --init-var 0.0667 "
              "--second-layer gaussian --train-second-layer --bias --lr 0.05 --batch-size 64 "
              "--steps 4650 --probes maennel,errors --seeds 8 --out DIR")

# B1's alignment claim per named setting: the experiment each reads -> its claim id
ALIGNMENT = {
    "e1_random": "maennel2020.b1.alignment",
    "spread_random": "maennel2020.b1.alignment_spread",
    "binary_gd": "maennel2020.b1.alignment_binary_gd",
    "xor_random": "maennel2020.b1.alignment_xor",
}
# the claims the experiments judge on e1_random only, served on every record read
ON_ANY = ("maennel2020.b1.grows_apart", "maennel2020.b2.transfer_function",
          "maennel2020.b2.transfer_function_learned")
F_CLAIMS = ("maennel2020.b2.transfer_function", "maennel2020.b2.transfer_function_learned")
E1 = f"{PAPER}.e1_random"  # the experiment the ON_ANY claims read
SERVED = (*ALIGNMENT.values(), *ON_ANY)  # every claim some simulate record serves

_TRANSFER = ("reads the transfer experiment's fine-tuning records (five first layers "
             "fine-tuned from one pre-trained network, paired by seed), not a simulate record")
_CONTROL = ("compares two records of one setting (linear-teacher labels and random labels), "
            "not one record")
EXCLUDED: dict[str, str] = {
    "maennel2020.b1.teacher_control": _CONTROL,
    "maennel2020.b1.teacher_control_spread": _CONTROL,
    "maennel2020.b3.transfer_teacher": _TRANSFER,
    "maennel2020.b3.transfer_random": _TRANSFER,
    "maennel2020.b3.transfer_xor": _TRANSFER,
    "maennel2020.b3.transfer_learned_bias": _TRANSFER,
    "maennel2020.b3.covariance_init": _TRANSFER,
    "maennel2020.fig5.unscaled_fastest": _TRANSFER,
    "maennel2020.b4.later_layers": "its premise is the depth of the transfer experiment's "
    "fine-tuned networks, read from its fine-tuning records, not a simulate record",
}

SIGMA2 = "static/sigma2"
CONTRADICTED = "static/sigma2 (stored, not the spectrum of the config)"  # get's KeyError then
NEEDED = ("maennel/w_sum", "maennel/w_outer", "maennel/dw_sum", "maennel/dw_outer",
          "errors/train_error")
VERIFIED = ("maennel/w_sum", "maennel/w_outer")  # t = 0: W(0) in the data frame


def stands_for(rec: Record) -> str:
    """The upstream experiment (its name without the paper) whose B1 statement is the only one
    that can name the record's setting (see the module's docstring): ``xor_random`` for XOR
    data, ``spread_random`` for a log-spaced spectrum, ``binary_gd`` for two classes, else
    ``e1_random``; whether it does is :func:`statement_items`'."""
    dc = rec.config["data"]
    if dc["kind"] == "xor":
        return "xor_random"
    if dc.get("spectrum") == "log":
        return "spread_random"
    return "binary_gd" if int(dc.get("num_classes", 2)) == 2 else "e1_random"


E1_SPECTRA = ((30, 0.1, 3.0), (10, 1.0, 1.9))  # App. E.1 (Fig. 20): d, sigma_i^2 first, last
SPREAD_DECADES = 3.5  # "spread spectrum over 3.5 decades" (the experiment's 1e-3 ... 3: 3.48)


SHORT = {  # what each B1 variant's statement names, as its statement says it
    ALIGNMENT["e1_random"]: "App. E.1 spectrum, 10 random classes, SGD",
    ALIGNMENT["spread_random"]: "spread spectrum over 3.5 decades, 10 random classes, SGD",
    ALIGNMENT["binary_gd"]: "App. E.1 spectrum, 2 random classes, logistic loss, full-batch GD",
    ALIGNMENT["xor_random"]: "Frei's XOR clusters with random labels",
}


def _labels(dc: dict) -> tuple[bool, str]:
    """(entirely random labels: the random model at rate 1; the record's labels in words)."""
    eta, model = float(dc.get("noise", 0.0)), dc.get("noise_model", "iid")
    text = ("clean labels (--noise 0)" if eta == 0 else
            f"labels with {model} noise at rate {eta:g} (--noise {eta:g} --noise-model {model})")
    return model == "random" and eta == 1.0, text


def _spectrum_text(dc: dict) -> str:
    if dc["kind"] != "gaussian":
        return f"--data {dc['kind']} (not a Gaussian with a spectrum)"
    lo, hi = float(dc["sigma2_min"]), float(dc["sigma2_max"])
    text = f"sigma_i^2 {dc.get('spectrum')}-spaced {lo:g}...{hi:g} at d = {int(dc['d'])}"
    if dc.get("spectrum") == "log":
        text += f" ({np.log10(hi / lo):.2f} decades)"
    return text


def _e1_spectrum(dc: dict) -> bool:
    if dc["kind"] != "gaussian" or dc.get("spectrum", "linear") != "linear":
        return False
    d, lo, hi = int(dc["d"]), float(dc["sigma2_min"]), float(dc["sigma2_max"])
    return any(d == ed and abs(lo - elo) <= 1e-9 and abs(hi - ehi) <= 1e-9
               for ed, elo, ehi in E1_SPECTRA)


def _spread_spectrum(dc: dict) -> bool:
    if dc["kind"] != "gaussian" or dc.get("spectrum") != "log":
        return False
    decades = np.log10(float(dc["sigma2_max"]) / float(dc["sigma2_min"]))
    return abs(decades - SPREAD_DECADES) < 0.05  # 3.5 to the statement's one decimal


def _optimiser(rec: Record) -> tuple[str, str]:
    """("sgd", "gd" (full batch: no batch size, or one of n) or "flow" (the gradient-flow
    integrator, alone or after GD steps); the record's optimiser in words)."""
    tc, n = rec.config["train"], int(rec.config["data"]["n"])
    integrator, batch = tc.get("integrator", "gd"), tc.get("batch_size")
    if integrator != "gd":
        return "flow", f"gradient flow (--integrator {integrator})"
    if batch is not None and int(batch) < n:
        return "sgd", f"SGD (--batch-size {int(batch)} < n = {n})"
    return "gd", ("full-batch GD" + ("" if batch is None else f" (--batch-size {int(batch)} = "
                                     f"n: every step the whole training set)"))


E1_TEXT = ("App. E.1's spectrum: sigma_i^2 = 0.1, 0.2, ..., 3.0 at d = 30, or 1.0, ..., 1.9 at "
           "d = 10 (--data gaussian --spectrum linear)")
SPREAD_TEXT = ("a spread spectrum over 3.5 decades (--data gaussian --spectrum log, "
               "sigma2_max/sigma2_min = 10^3.5 to one decimal: the experiment's 1e-3...3)")
RANDOM_TEXT = "entirely random labels (--noise 1 --noise-model random)"


def statement_items(rec: Record, cid: str) -> list[tuple[bool, str, str]]:
    """The items of the setting ``cid``'s statement names, each (the record has it, the
    record's value, the statement's), computed from the record's config. Only what the statement
    names is compared here; the card's sizes (d, n, width, lr, batch, init, seeds, rotation)
    are the regime's items, which the check computes on a served record."""
    dc, tc = rec.config["data"], rec.config["train"]
    k, loss = int(dc.get("num_classes", 2)), tc.get("objective", "logistic")
    opt, opt_text = _optimiser(rec)
    random, labels = _labels(dc)
    items = [(random, labels, RANDOM_TEXT)]
    e1 = (_e1_spectrum(dc), _spectrum_text(dc), E1_TEXT)
    if cid == ALIGNMENT["e1_random"]:
        items += [e1, (k == 10, f"{k} classes", "10 classes"),
                  (opt == "sgd", opt_text, "SGD")]
    elif cid == ALIGNMENT["spread_random"]:
        items += [(_spread_spectrum(dc), _spectrum_text(dc), SPREAD_TEXT),
                  (k == 10, f"{k} classes", "10 classes"), (opt == "sgd", opt_text, "SGD")]
    elif cid == ALIGNMENT["binary_gd"]:
        items += [e1, (k == 2, f"{k} classes", "2 classes"),
                  (loss == "logistic", f"the {loss} loss", "the logistic loss"),
                  (opt == "gd", opt_text, "full-batch GD")]
    elif cid == ALIGNMENT["xor_random"]:
        items.append((dc["kind"] == "xor", f"--data {dc['kind']}",
                      "Frei's XOR clusters (--data xor)"))
    elif cid in F_CLAIMS:
        items.append(e1)
    return items


def derived_sigma2(rec: Record) -> tuple[np.ndarray | None, str]:
    """``(sigma2, "")``: the data's σ_i² in the frame order, [R, d] as the experiments record
    it (:func:`twolayer.experiments.maennel2020.eigenvalues` of the record's data config, one
    row per run), once the redraw of the record's data frame and initialisation is verified
    against the record (see the module's docstring;
    :func:`twolayer.claims.redraw.verified_redraw`); or ``(None, why)`` where it cannot be
    checked or did not reproduce the record (the array and its largest difference)."""
    from ..experiments.maennel2020 import eigenvalues

    drawn, why = verified_redraw(rec, VERIFIED, "the data frame and initialisation")
    if drawn is None:
        return None, why
    cfg = drawn[0]
    return np.tile(eigenvalues(cfg.data), (cfg.seeds, 1)), ""


def stored_sigma2_contradicts(rec: Record) -> str:
    """"" where the record's stored ``static/sigma2`` is, in every run, its config's spectrum
    in the frame order (:func:`twolayer.experiments.maennel2020.eigenvalues`, with which the
    experiments store it and the reader derives it; relative 1e-5: the order pairs each σ_i
    with its frame direction, and the XOR clusters' degenerate groups with theirs), else why
    not: the statements a record is served under are
    matched on its config (:func:`statement_items`), and the checks read the stored array, so
    the two must be the same spectrum (a record built through the API could hold another)."""
    from ..config import Config
    from ..errors import TwolayerError
    from ..experiments.maennel2020 import eigenvalues

    try:
        want = np.asarray(eigenvalues(Config.from_dict(rec.config).resolved().data), float)
    except (TwolayerError, KeyError, TypeError, ValueError) as e:
        return (f"the record holds {SIGMA2}, and its config cannot be read back ({e}) to check "
                "it against")
    got = np.asarray(rec.arrays[SIGMA2], dtype=float)
    if got.shape[-1:] != want.shape or not np.allclose(got, want, rtol=1e-5, atol=0):
        return (f"the record's stored {SIGMA2} is not its config's spectrum in the frame order "
                f"({_spectrum_text(rec.config['data'])}): the claims would read another "
                "spectrum than the one the record's setting is matched on")
    return ""


def check_readable(rec: Record, path: str) -> None:
    """Refuse a record no maennel2020 claim can be computed on (see the module's docstring):
    RecordError for a config without a data kind; ConfigError naming ``record`` for another
    data kind or a record without the ``maennel`` or ``errors`` probe arrays."""
    try:
        kind = rec.config["data"]["kind"]
    except (KeyError, TypeError):
        raise RecordError(path, "record.json's config has no data kind") from None
    if kind not in KINDS:
        raise ConfigError("record", path, f"is a --data {kind} record: maennel2020's claims "
                          "read the data's variances sigma_i^2 in its eigenframe, which the "
                          "reader derives for --data gaussian (and xor) only; simulate e.g. "
                          f"with {SERVE_HINT}")
    lacking = sorted({k.split("/")[0] for k in NEEDED if k not in rec.arrays})
    if lacking:
        raise ConfigError("record", path, f"has no {' or '.join(lacking)} probe arrays, which "
                          f"every maennel2020 claim a record serves reads; simulate with "
                          f"--probes {PROBES}, e.g. {SERVE_HINT}")


class UpstreamRecord:
    """A stand-in for :class:`twolayer.experiments.Runs` that serves one record as the
    upstream experiment its setting is (:func:`stands_for`) and as ``maennel2020.e1_random``
    (read by :data:`ON_ANY`), with ``static/sigma2`` derived and verified
    (:func:`derived_sigma2`, once, at the first ``get``) where the record lacks it; a claim
    whose statement names another setting is not served (:meth:`not_served`)."""

    quick = False  # (judge's tier: not shown)

    def __init__(self, rec: Record):
        self.rec = rec
        self.names = (f"{PAPER}.{stands_for(rec)}", E1)
        self.sigma2_why: str | None = "" if SIGMA2 in rec.arrays else None  # None: not asked
        self._checked = False  # a stored static/sigma2 checked against the config
        self.contradicted = False  # ... and found not to be the config's spectrum

    def _serve_sigma2(self) -> None:
        if self.sigma2_why is not None:
            if self.sigma2_why == "" and SIGMA2 in self.rec.arrays and not self._checked:
                self._checked = True
                why = stored_sigma2_contradicts(self.rec)
                if why:  # not read: the claims would judge another spectrum than the config's
                    self.sigma2_why, self.contradicted = why, True
            return
        sigma2, self.sigma2_why = derived_sigma2(self.rec)
        if sigma2 is not None:
            self.rec = dataclasses.replace(self.rec, arrays={**self.rec.arrays, SIGMA2: sigma2})

    def get(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(f"experiment {name} (this record stands for {' and '.join(self.names)}"
                           " only)")
        self._serve_sigma2()
        if self.contradicted:  # a key the record lacks: the claim is not served, missing says why
            raise KeyError(CONTRADICTED)
        return self.rec

    def not_served(self, cid: str) -> str:
        """Why the record is not the setting ``cid``'s statement names (:func:`statement_items`;
        "" where it is): such a claim is listed as not served and its check is not run."""
        items = statement_items(self.rec, cid)
        off = [f"{have} (the statement: {want})" for ok, have, want in items if not ok]
        if not off:
            return ""
        why = (f"its statement names {'; '.join(w for _, _, w in items)}; this record differs "
               f"in {len(off)} of them: {'; '.join(off)}")
        if cid in ALIGNMENT.values():
            why += ("; B1 is stated for four settings, each its own claim (the others: "
                    + "; ".join(f"{c.split('.', 1)[1]}: {SHORT[c]}"
                                for c in ALIGNMENT.values() if c != cid)
                    + "), and this record is none of them")
        return why

    def missing(self, key: str) -> str:
        """Why a claim whose check read ``key``, which the record lacks, cannot be judged on
        it: why σ_i² could not be derived ("" otherwise: the probe to add comes from
        :func:`~twolayer.claims.on_record.lacking_probe`)."""
        if key == CONTRADICTED:
            return f"its check reads {SIGMA2}, and {self.sigma2_why}"
        if key == SIGMA2:
            self._serve_sigma2()
            return (f"its check reads {SIGMA2}, the data's sigma_i^2 in the frame order, which "
                    "twolayer simulate does not record and which could not be derived for "
                    f"this record: {self.sigma2_why}")
        return ""


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], UpstreamRecord]:
    """maennel2020's record reader (:func:`twolayer.claims.on_record.register_record_reader`):
    B1's alignment claim of the record's setting and :data:`ON_ANY`, with the record standing
    for the upstream experiment they read (each served only where the record is the setting its
    statement names: :meth:`UpstreamRecord.not_served`); a record :func:`check_readable` refuses
    is refused."""
    check_readable(rec, path)
    return (ALIGNMENT[stands_for(rec)], *ON_ANY), UpstreamRecord(rec)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
