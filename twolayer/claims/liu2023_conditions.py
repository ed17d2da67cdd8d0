"""``twolayer conditions --paper liu2023 --record DIR``: the premises of Liu, Abedsoltan & Belkin
(2023)'s theory (paper card ``liu2023``), measured on one record, and the regime of the claims
there as the claims' own checks compute it.

The premises are the measured ones of :mod:`twolayer.experiments.liu2023` ("Premises":
``premise_segments``, ``premise_anticollinear``, ``premise_ntk``) and the setting premises that
:mod:`twolayer.claims.liu2023` reads (``_u_regime``: δ < 1/2; ``_binary``: K = 2; ``_trained``:
an observed early phase; ``_optimiser``: full-batch GD, read from the config); nothing here
decides a premise a second time. A record whose clean test error is never finite in some seed
(t* undefined) is refused with one line (exit status 2). The regime lines come from running the
built-in claims of the matching setting (``.regime`` for a two-class Gaussian mixture, ``.xor``
for the XOR clusters, ``.k10`` for K > 2 classes) on the record instead of their experiment's:
their ``in_regime`` and ``regime`` are what ``twolayer check`` would print for a record like
this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..conditions import (
    CANNOT,
    HOLDS,
    NOT_ESTABLISHED,
    ClaimRegime,
    Premise,
    RecordConditions,
    register_conditions,
)
from ..conditions import find_record as _find_record
from ..errors import ConfigError, RecordError
from ..experiments.liu2023 import (
    ANTI_PREMISE,
    DRIFT_PREMISE,
    PAPER,
    RESID_TOL,
    SEGMENT_PREMISE,
    anticollinear_key,
    bottom_range,
    num_classes,
    phase_end,
    premise_anticollinear,
    premise_ntk,
    premise_segments,
    same_class_cos,
    setting_text,
)
from ..record import DOCUMENT, Record
from ..stats import mean_ci
from ..store import load_record
from . import liu2023 as claims_liu
from .base import CLAIMS, ERROR
from .on_record import Unserved, judge_on_record, read_record, register_record_reader

KINDS = ("clusters", "xor")  # the data kinds of the liu2023 experiments
PROBES = "errors,segments,liu,liu_angles"  # what simulate --probes needs for every premise
TITLE = ("Liu, Abedsoltan & Belkin (2023): premises of Eq. (5), Assumption 4.1, Theorems "
         "4.4/4.5 and Lemma 4.2, measured on a record (thresholds [PROPOSAL]; a premise holds "
         "when the 95% t-interval over seeds lies on its side)")
ANGLE_KEYS = ("init/mean_cos_logit_same_cc", "liu_angles/mean_cos_logit_same_cc")
# the statements as the card (/work/shared/papers/liu2023.md, sections 2 and 3) states them
DELTA_TEXT = ("A fraction delta of training labels is randomly corrupted; the paper sets "
              "delta < 0.5, so the majority of training samples are clean (Section 2)")
BINARY_TEXT = ("Binary setup, labels y in {0, 1} (Section 2); Theorems 4.4/4.5 and Lemma 4.2 "
               "are binary: Section 5 (multi-class) derives approximate ratios, no theorem")
EQ5_TEXT = ("Eq. (5), magnitude at initialisation: g_k^(c)(w_0) = |D_k^(c)| E[f(w_0; x) - y] "
            "E[grad h], an approximate factorisation justified by f(w_0; x) ~ 0.5 at init")
ANTI_TEXT = ("Assumption 4.1: in the early stage, g_noise^(c)(w_t) = -alpha_t g_clean^(c)(w_t) "
             "for a scalar alpha_t >= 0 (the segments stay exactly anti-collinear)")
NTK_TEXT = ("NTK premise: at infinite width, grad h(w_t; x) = grad h(w_0; x) during training, "
            "so each sample-wise gradient keeps its direction")
TRAINED_TEXT = ("the early phase of training is observed (twolayer's requirement for measuring "
                "the early-stage premises; not a premise of the paper)")
GD_TEXT = ("Theorems 4.4/4.5 and Lemma 4.2, and Assumption 4.1 within their analysis, are about "
           "full-batch GD steps (Section 3); Remark 4.3 extends the analysis to mini-batch SGD, "
           "which the reviewers call underdeveloped")


def _probe(key: str) -> str:
    """The simulate probe that records an array key (``init/...``: the angle probe)."""
    head = key.split("/", 1)[0]
    return "liu_angles" if head == "init" else head


def _missing(rec: Record, keys: tuple[str, ...]) -> str:
    """"" where every key is recorded, else why the premise cannot be evaluated."""
    miss = [k for k in keys if k not in rec.arrays]
    if not miss:
        return ""
    probes = sorted({_probe(k) for k in miss})
    return (f"the record lacks {', '.join(miss)}: simulate it again with --probes "
            f"{','.join(sorted(set(probes)))} added (all premises: --probes {PROBES})")


def _stat(ok: bool, text: str, values: np.ndarray, **kw: Any) -> Premise:
    v = np.asarray(values, dtype=np.float64)
    m, (lo, hi) = mean_ci(v)
    status, why = (HOLDS if ok else NOT_ESTABLISHED), ""
    if not np.isfinite(v).any():  # nothing measured (e.g. no noisy points at --noise 0)
        status, why = CANNOT, "no seed has a finite value (e.g. no noisy points: --noise 0)"
    elif np.isfinite(v).sum() < 2 and not ok:
        why = ("one seed with a finite value: a 95% interval needs two or more (simulate with "
               "--seeds 3 or more)")
    return Premise(status=status, why=why, measured=text, value=m,
                   ci=(lo, hi), per_seed=tuple(float(x) for x in v), **kw)


def _setting_premise(pid: str, tag: str, statement: str, threshold: str,
                     fn: Any, rec: Record, value: float, text: str | None = None) -> Premise:
    """A premise of the setting, decided by the claims' function ``fn`` (its own text unless
    ``text`` is given)."""
    ok, own = fn(rec)
    return Premise(pid, tag, statement, threshold, HOLDS if ok else NOT_ESTABLISHED,
                   own if text is None else text, value=value)


def premises(rec: Record) -> tuple[Premise, ...]:
    """Each premise on ``rec``: the claims' own premise functions, or :data:`CANNOT` with the
    probes to add where the record lacks what a premise reads."""
    K = num_classes(rec)
    steps = int(rec.config["train"]["steps"])
    out = [
        # (the U-shape claims' rule; their text calls the U-shape an empirical statement)
        _setting_premise("delta", "[SECONDARY]", DELTA_TEXT, "delta < 0.5, and a clean "
                         "majority in every class of the drawn training set",
                         claims_liu._u_regime, rec, float(rec.config["data"]["noise"]),
                         f"delta = {float(rec.config['data']['noise']):g}, the record's "
                         "training-label flip rate (--noise, --noise-model "
                         f"{rec.config['data'].get('noise_model', 'iid')}); "
                         + claims_liu.clean_majority(rec)[1]),
        _setting_premise("binary", "[SECONDARY]", BINARY_TEXT,
                         "K = 2 classes (Theorems 4.4/4.5, Lemma 4.2)", claims_liu._binary, rec,
                         float(K)),
    ]
    # Eq. (5)
    target = 0.5 if K == 2 else 1.0 - 1.0 / K
    eq5 = dict(id="eq5", tag="[SECONDARY]", statement=EQ5_TEXT,
               threshold=f"[INFERRED] S = min_c |D_noise^(c)| rho/(1 - rho) >= "
               f"{SEGMENT_PREMISE:g} (lower end of the 95% interval; rho: mean cos of the logit "
               f"gradients of two clean same-class points at t = 0) and every seed's mean "
               f"residual of the clean and of the noisy points at t = 0 within {RESID_TOL:g} "
               f"of {target:.3g} (the bound {SEGMENT_PREMISE:g} and the tolerance "
               f"{RESID_TOL:g} are [PROPOSAL] choices: the card gives no number)")
    need = ("liu/class_count_noisy", "liu/class_count_clean", "liu/resid_clean",
            "liu/resid_noisy")
    angle = next((k for k in ANGLE_KEYS if k in rec.arrays), ANGLE_KEYS[1])
    why = _missing(rec, need + (angle,))
    if why:
        out.append(Premise(status=CANNOT, why=why, **eq5))
    else:
        ok, text, S = premise_segments(rec)
        out.append(_stat(ok, text, S, **eq5))
    # the early phase: Assumption 4.1 and the NTK premise
    trained = claims_liu._trained(rec)
    out.append(Premise("trained", "[PROPOSAL]", TRAINED_TEXT, "steps > 0 and, in every seed, a "
                       "probe time after t = 0 in the early window t <= max(1, t*/2)",
                       HOLDS if trained[0] else NOT_ESTABLISHED, trained[1], value=float(steps)))
    out.append(gd_premise(rec, trained[0]))
    window = ("early window: t <= max(1, t*/2), t* the early-stopping time of the clean test "
              "error, docs/papers/liu2023.md")
    anti = dict(id="asm41", tag="[SECONDARY]", statement=ANTI_TEXT,
                threshold=f"[PROPOSAL] max over the classes and the early window of "
                f"cos(g_clean^(c), g_noise^(c)) <= {ANTI_PREMISE:g} (upper end of the 95% "
                f"interval; {window}"
                + (")" if K == 2 else "; K classes: the gradients through the true-class logit)"))
    ntk = dict(id="ntk", tag="[SECONDARY]", statement=NTK_TEXT,
               threshold=f"[PROPOSAL] drift 1 - cos(grad h(w_t; x), grad h(w_0; x)) at the end "
               f"of the early window <= {DRIFT_PREMISE:g} (upper end of the 95% interval; "
               f"{window})")
    for kw, keys, fn in ((anti, (anticollinear_key(rec),), premise_anticollinear),
                         (ntk, ("liu/grad_drift",), premise_ntk)):
        why = _missing(rec, ("errors/test_error_clean",) + keys)
        if steps == 0:
            why = "the record has t = 0 only (--steps 0): the early phase is not observed"
        elif not trained[0]:  # probe times that stop at 0, or an early window of t = 0 only
            why = f"the record: {trained[1]}"
        if why:
            out.append(Premise(status=CANNOT, why=why, **kw))
        else:
            ok, text, v = fn(rec)
            out.append(_stat(ok, text, v, **kw))
    return tuple(out)


def gd_premise(rec: Record, trained: bool) -> Premise:
    """The theorems' algorithm, as the claims' own ``_optimiser`` reads it from the config, over
    the widest window a theorem claim reads (Theorem 4.5's: up to t_x and t*; it matters only
    for ``--integrator auto``, GD up to ``--switch``)."""
    tc = rec.config["train"]
    last = None
    if trained and "errors/test_error_clean" in rec.arrays and "segments/grad_ratio" in rec.arrays:
        reads = np.maximum(phase_end(rec), bottom_range(rec)[:, 1])
        last = float(np.max(rec.times[reads]))
    ok, text = claims_liu._optimiser(rec, last)
    batch = tc.get("batch_size")
    if str(tc.get("integrator", "gd")) == "auto":
        text += (" (the widest window a theorem claim reads, Theorem 4.5's: up to t_x and t*; "
                 "each claim reads its own)")
    if ok and not text:
        text = ("full-batch GD (--integrator gd" + (", no --batch-size)" if batch is None else
                f", --batch-size {batch} >= n = {rec.config['data']['n']}: full batches)"))
    return Premise("gd", "[SECONDARY]", GD_TEXT,
                   "[PROPOSAL] read from the config: full-batch GD steps (no --batch-size, or "
                   "one of all n points; --integrator gd, or auto with every time a theorem "
                   "claim reads at most --switch); minibatch SGD and --integrator flow are "
                   "outside", HOLDS if ok else NOT_ESTABLISHED, text,
                   value=None if batch is None else float(batch))


class _OneRecord:
    """A stand-in for :class:`twolayer.experiments.Runs` that gives the claims' checks the
    user's record as the experiment they read."""

    quick = False  # (judge's tier: not shown)

    def __init__(self, name: str, rec: Record):
        self.name, self.rec = name, rec

    def get(self, name: str) -> Any:
        if name != self.name:
            raise KeyError(f"experiment {name} (this record stands for {self.name} only)")
        return self.rec

    def missing(self, key: str) -> str:
        """Why a claim whose check read the array ``key``, which the record lacks, cannot be
        judged on it (the probe to add)."""
        if key.startswith("init/"):
            return (f"its check reads {key}, recorded by the liu2023 experiments only (not by "
                    "twolayer simulate)")
        if "/" in key:
            return f"its check reads {key}, not in this record (add --probes {_probe(key)})"
        return ""


def setting_suffix(rec: Record) -> str:
    """Which built-in setting's claims read a record like ``rec``: ``xor`` (XOR clusters),
    ``k10`` (K > 2 classes) or ``regime`` (a two-class Gaussian mixture)."""
    if rec.config["data"]["kind"] == "xor":
        return "xor"
    return "k10" if num_classes(rec) > 2 else "regime"


def claim_regimes(rec: Record, path: str = "(in memory)") -> tuple[str, tuple[ClaimRegime, ...]]:
    """The regime of every built-in claim of the setting :func:`setting_suffix` names, computed
    by the claim's own check on ``rec``: the claims and the record as the registered record
    reader (:func:`read_claims`) serves them to ``twolayer check --record``, judged as it
    judges them (:func:`twolayer.claims.on_record.judge_on_record`)."""
    ids, runs = read_record(PAPER, rec, path)
    out = []
    for cid in ids:
        c = CLAIMS[cid]
        v = judge_on_record(c, runs, rec)  # the verdict twolayer check --record gives
        if isinstance(v, Unserved):  # the check reads an array the record lacks: unknown
            out.append(ClaimRegime(cid, c.source, None, v.why))
        elif v.verdict == ERROR:  # the check cannot run on this record: unknown, never inside
            out.append(ClaimRegime(cid, c.source, None, v.detail))
        else:
            out.append(ClaimRegime(cid, c.source, v.in_regime, v.regime))
    return setting_suffix(rec), tuple(out)


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], _OneRecord]:
    """liu2023's record reader (:func:`twolayer.claims.on_record.register_record_reader`): the
    built-in claims of the setting :func:`setting_suffix` names (``.regime``, ``.xor`` or
    ``.k10``) and the record standing for that setting's experiment. A record the premises
    cannot be measured on (:func:`check_readable`: another data kind or noise model, no
    config, a seed whose clean test error is never finite) is refused the same way."""
    check_readable(rec, path, path)
    suffix = setting_suffix(rec)
    ids = tuple(cid for cid, c in CLAIMS.items()
                if c.paper == PAPER and cid.endswith("." + suffix))
    return ids, _OneRecord(f"{PAPER}.{suffix}", rec)


def find_record(path: str) -> Path:
    """The record directory ``path`` names (:func:`twolayer.conditions.find_record`, with the
    probes the premises read in its advice)."""
    return _find_record(path, hint=f"e.g. with --probes {PROBES}")


def evaluate(path: str) -> RecordConditions:
    """The liu2023 premises and claim regimes of the record at ``path`` (one line errors:
    :class:`~twolayer.errors.ConfigError` for a record of another kind or with none of the
    probes, :class:`~twolayer.errors.RecordError` for a damaged one)."""
    where = find_record(path)
    rec = load_record(where)  # RecordError: missing, truncated, edited, malformed
    return evaluate_record(rec, str(where), path)


def evaluate_record(rec: Record, where: str = "(in memory)",
                    path: str | None = None) -> RecordConditions:
    """:func:`evaluate` for a :class:`~twolayer.record.Record` in memory (e.g. the result of
    ``twolayer.simulate``); ``path`` names it in the errors (default ``where``)."""
    path = where if path is None else path
    check_readable(rec, where, path)
    prem = premises(rec)
    measured = [p for p in prem if p.id in ("eq5", "asm41", "ntk")]
    if all(p.status == CANNOT and p.why.startswith("the record lacks") for p in measured):
        have = sorted({_probe(k) for k in rec.arrays if "/" in k} - {"static", "baseline"})
        raise ConfigError("record", path, "the record has none of the arrays the premises read "
                          f"(its probes: {', '.join(have) or 'none'}): simulate it with --probes "
                          f"{PROBES}")
    suffix, regimes = claim_regimes(rec, path)
    note = (f"regime of the built-in claims of the '{suffix}' setting, computed by their own "
            "checks on this record (as twolayer check would mark them):")
    K = num_classes(rec)
    rho = ""
    if any(k in rec.arrays for k in ANGLE_KEYS):
        r = same_class_cos(rec)
        rho = f" rho={float(np.nanmean(r)):.3g}" if np.isfinite(r).any() else ""
    setting = setting_text(rec) + f"; K={K}, seeds={rec.seeds}{rho}"
    remarks = []
    gd = next(p for p in prem if p.id == "gd")
    if gd.status != HOLDS:
        remarks.append("not trained by full-batch GD (premise gd): the claims on trained times "
                       "(Assumption 4.1 over the early window, Theorems 4.4/4.5, Lemma 4.2) are "
                       "outside their regime; Eq. (5) at t = 0 and the U-shape (an empirical "
                       "statement; Fig. 1's optimiser is unknown) read no algorithm")
    return RecordConditions(PAPER, TITLE, where, setting, prem, regimes, note, tuple(remarks))


def check_readable(rec: Record, where: str, path: str) -> None:
    """Refuse a record the liu2023 premises and claims cannot be read on: a config without a
    data kind, noise rate or steps (RecordError naming ``where``); a data kind other than
    :data:`KINDS` or a noise model outside :data:`~twolayer.claims.liu2023.RANDOM_FLIPS` (iid,
    per-cluster: the flip models the claims' label-noise premise admits; ConfigError naming
    ``record`` = ``path``); a
    seed whose clean test error is never finite (RecordError: t* undefined)."""
    try:
        kind = rec.config["data"]["kind"]
        int(rec.config["train"]["steps"])
        float(rec.config["data"]["noise"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(where, f"{DOCUMENT} has no data kind, noise rate or steps in its "
                          "config (not a simulate record)") from None
    if kind not in KINDS:
        raise ConfigError("record", path, f"a record of --data {kind}: the liu2023 premises are "
                          f"measured on --data {' or '.join(KINDS)} records (docs/papers/"
                          "liu2023.md)")
    model = rec.config["data"].get("noise_model", "iid")
    if model not in claims_liu.RANDOM_FLIPS:
        flips = " or ".join(claims_liu.RANDOM_FLIPS)
        raise ConfigError("record", path, f"a record of --noise-model {model}: the paper's "
                          "label noise is a fraction of labels corrupted at random, "
                          f"independently of x (--noise-model {flips})")
    e = rec.arrays.get("errors/test_error_clean")
    if e is not None:
        dead = np.flatnonzero(~np.isfinite(np.asarray(e, dtype=np.float64)).any(axis=1))
        if dead.size:
            raise RecordError(where, f"the clean test error (errors/test_error_clean) is not "
                              f"finite at any probe time in {dead.size} of {rec.seeds} seeds "
                              f"(seed index {', '.join(str(int(r)) for r in dead[:6])}): t* "
                              "and the early window are undefined (a diverged run?)")


register_record_reader(PAPER, read_claims)
register_conditions(PAPER, "record", "Liu, Abedsoltan & Belkin (2023): premises measured on "
                    "a record (--record DIR)", evaluate)
