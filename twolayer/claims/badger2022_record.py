"""badger2022's record reader: the one claim a user's own ``twolayer simulate`` record can serve
(``twolayer check badger2022 --record DIR``; registry :mod:`twolayer.claims.on_record`).

The claims of :mod:`twolayer.claims.badger2022` read the runs of
:mod:`twolayer.experiments.badger2022`: normal training and the memorise objective (gradient
ascent on a second set A, gated per epoch) at several noise fractions f, gates, sizes and a
memorise-then-normal switch. ``twolayer simulate`` trains plain descent on its training set
only, so a ``--data badger`` record with no ascended set (``--n-ascended 0``) at ``--fraction
1`` is the experiment's *normal* objective at f = 1: minibatch SGD on T with a fresh permutation
per epoch and the incomplete last batch dropped, as the experiment's normal runs step (they pair
each T minibatch with an A minibatch of weight 0), or full-batch GD (one batch of all n points
per epoch). That is all ``c4.normal_drives_down`` reads (normal training drives the scale-free
input sensitivity down at f = 1), so the reader serves it; the other claims are
:data:`EXCLUDED` (each reads the memorise objective, several settings or two phases).

The record is served as the experiment ``badger2022.objectives`` (:class:`ObjectivesRecord`):
the ``badger`` and ``badger_scale`` probes' arrays renamed ``normal/<quantity>`` as the
experiment names its normal runs' (``badger/acc_holdout`` → ``normal/acc_holdout``, the
hold-out H being the record's test set), one fraction (1), R seeds, and the plan the claim's
regime compares with the card's, from the record's config: n (the training set T), m, the
optimiser (``sgd``), lr, the batch (n for full-batch GD), the epochs steps/⌊n/batch⌋, the
hold-out size ``--n-test`` and the class means' variance ``--mean-var`` (the card's 2000 and
0.36; the experiments' runs always draw them so), the network (``--bias``, ``--second-layer``,
``--train-second-layer``, ``--init-var``, :func:`twolayer.claims.badger2022.network_items`: a
trained head is compared with the card's section 5 network; the first-layer bias, on which the
card is split, and the initialisation, which it does not fix, are reported), and no
memorise gate (the record has no memorise runs, so the card's gate is not compared); K and d in
the setting text. The claim's own check computes its verdict and its regime on the record (the
premise that normal training generalised, hold-out accuracy ≥ 1/K + 0.05 at every seed, K the
record's, and the card's setting item by item), so a record outside the card's setting (a fixed
head included) is judged and marked outside, not refused (until 2026-12-06 a network other than
the experiments' was refused).

Refused (ConfigError naming ``record``; a config without a data kind, n, steps or lr is a
RecordError): another data kind; ``--fraction`` other than 1 (the claim is stated at f = 1);
``--n-ascended`` above 0 (simulate trains on T and A together by plain descent, which is neither
of the experiment's objectives); another objective than softmax with K outputs; the
gradient-flow integrator; a record without probe times 0 and steps (the
claim compares the sensitivity at t = 0 with the end). A record without the ``badger`` or
``badger_scale`` probe is read, and the claim is not served (``runs.missing``: the probe to
add).
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError, RecordError
from ..record import Record
from .on_record import register_record_reader

PAPER = "badger2022"
SERVED = ("badger2022.c4.normal_drives_down",)
PROBES = ("badger", "badger_scale")  # what the served check reads, renamed normal/<quantity>


def net_flags(d: int) -> str:
    """The experiments' network as simulate flags (first-layer bias, trained head N(0, 1/m),
    init variance 1/d; the card's section 5 network trains the head and is split on the bias,
    :func:`twolayer.claims.badger2022.network_items`), 1/d as the number the CLI takes (it
    refuses "--init-var 1/d": '1/d' is not a number), to six digits."""
    return f"--bias --second-layer gaussian --train-second-layer --init-var {1.0 / d:.6g}"

_MEMORISE = ("twolayer simulate trains plain descent on one training set, not the memorise "
             f"objective; `twolayer check {PAPER}` runs it")
EXCLUDED: dict[str, str] = {
    "badger2022.c1.memorise_slower": "compares the memorise objective (gradient ascent on an "
    f"ascended set, gated per epoch) with normal training; {_MEMORISE}",
    "badger2022.c2.noise_helps": "a trend of the memorise objective's train accuracy across "
    f"several noise fractions f; {_MEMORISE}",
    "badger2022.c3.sizes_epochs": "a trend of the train-test gap across several training-set "
    "sizes N and widths, random and structured inputs: several settings, not one record "
    f"(`twolayer check {PAPER}` runs the sizes sweep)",
    "badger2022.c3.sizes_steps": "a trend of the train-test gap across several training-set "
    "sizes N and widths, random and structured inputs: several settings, not one record "
    f"(`twolayer check {PAPER}` runs the sizes sweep)",
    "badger2022.c4.matched_sensitivity": "compares memorise with normal training at matched "
    f"train accuracy; {_MEMORISE}",
    "badger2022.c2p.target_gates": "a trend of the memorise objective's train accuracy across "
    f"several gate targets; {_MEMORISE}",
    "badger2022.c5.switch_recovers": "two phases (memorise for E epochs, then normal training, "
    "Adam) against normal training for 2E epochs; twolayer simulate trains one phase of plain "
    f"descent (no memorise objective, no Adam); `twolayer check {PAPER}` runs the switch",
}


def check_readable(rec: Record, path: str) -> None:
    """Refuse a record c4.normal_drives_down cannot be read on (see the module's docstring)."""
    try:
        dc, nc, tc = rec.config["data"], rec.config["net"], rec.config["train"]
        kind = dc["kind"]
        d, steps = int(dc["d"]), int(tc["steps"])
        int(dc["n"]), float(tc["lr"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(path, "record.json's config has no data kind, d, n, steps or "
                          "lr") from None

    def refuse(why: str) -> ConfigError:
        return ConfigError("record", path, why)

    if kind != "badger":
        raise refuse(f"is a --data {kind} record: {PAPER}'s claims are stated on its K-class "
                     "clusters with input-noise mixing; simulate with --data badger "
                     "--fraction 1 --objective softmax " + net_flags(d)
                     + " --probes badger,badger_scale")
    f = float(dc.get("fraction", 1.0))
    if f != 1.0:
        raise refuse(f"is a --fraction {f:g} record: the one claim of {PAPER} a simulate "
                     f"record serves ({SERVED[0]}) is stated at f = 1; simulate with "
                     "--fraction 1")
    n_asc = int(dc.get("n_ascended", 0))
    if n_asc:
        raise refuse(f"has an ascended set (--n-ascended {n_asc}): simulate trains on it and "
                     "the training set together by plain descent, which is neither the normal "
                     "nor the memorise objective; simulate with --n-ascended 0")
    K = int(dc.get("num_classes", 0))
    objective, outputs = tc.get("objective", "logistic"), int(nc.get("outputs", 1))
    if objective != "softmax" or outputs != K:
        raise refuse(f"is trained on the {objective} objective with {outputs} output(s): "
                     f"{PAPER}'s runs train {K} logits by softmax cross-entropy "
                     "(--objective softmax)")
    integrator = tc.get("integrator", "gd")
    if integrator != "gd":
        raise refuse(f"is trained by --integrator {integrator}: {PAPER}'s runs train by exact "
                     "SGD steps; simulate with --integrator gd")
    times = rec.times
    if times.size == 0 or int(times[0]) != 0 or int(times[-1]) != steps:
        raise refuse(f"has no probe times 0 and {steps} (its last step): the claim compares "
                     "the input sensitivity at initialisation with the end of training")


def _number(x: Any) -> float:
    """``x`` as a float, NaN where it is none (a config without the item: then not the
    card's)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def plan_of(rec: Record) -> dict[str, Any]:
    """The experiment's plan items the claim's regime reads, from the record's config: n, m,
    optimiser, lr, batch (n for full-batch GD), epochs = steps/⌊n/batch⌋ (an integer where it
    divides), the hold-out set's size ``holdout`` (``--n-test``: the set H the premise reads;
    the experiments draw it with T's n), and the class means' variance ``mean_var``
    (``--mean-var``, NaN where the config
    lacks it: then not the card's; the experiments' runs draw the generator's default, the
    card's 0.36, and their plan has no such item), and the network: ``bias``, ``head``
    (``--second-layer``), ``head_trained`` (``--train-second-layer``) and ``init_var`` (None or
    NaN where the config lacks one: then not the card's; the experiments' plan has none of
    them, their network being the runner's)."""
    dc, nc, tc = rec.config["data"], rec.config["net"], rec.config["train"]
    n, steps = int(dc["n"]), int(tc["steps"])
    batch = tc.get("batch_size")
    batch = n if batch is None else int(batch)
    per_epoch = max(1, n // batch)
    epochs: int | float = steps // per_epoch if steps % per_epoch == 0 else steps / per_epoch
    return {"n": n, "m": int(nc["m"]), "optimizer": "sgd", "lr": float(tc["lr"]),
            "batch": batch, "epochs": epochs,
            "mean_var": float(dc.get("mean_var", math.nan)),
            "holdout": int(dc.get("n_test", 0)),
            "bias": nc.get("bias"), "head": nc.get("second_layer"),
            "head_trained": nc.get("train_second_layer"),
            "init_var": _number(nc.get("init_var"))}


def setting_of(rec: Record, plan: dict[str, Any]) -> str:
    """The setting text (K and d first, as the claim's regime parses them)."""
    dc = rec.config["data"]
    bias = {True: "first-layer bias", False: "no first-layer bias"}.get(plan["bias"],
                                                                       "first-layer bias unknown")
    trained = {True: "trained", False: "fixed"}.get(plan["head_trained"], "trained unknown")
    net = f"{bias}, head {plan['head']} {trained}, init variance {plan['init_var']:.6g}"
    return (f"K={int(dc['num_classes'])}, d={int(dc['d'])}, n={plan['n']} (T; hold-out "
            f"{int(dc['n_test'])}), m={plan['m']}, {net}, SGD lr={plan['lr']:g}, minibatch "
            f"{plan['batch']}, {plan['epochs']:g} epochs = {int(rec.config['train']['steps'])} "
            "steps, normal training only (a twolayer simulate record)")


class ObjectivesRecord:
    """A stand-in for :class:`twolayer.experiments.Runs` that serves one simulate record as the
    ``badger2022.objectives`` experiment with normal runs only (``normal/<quantity>``, one
    fraction f = 1)."""

    quick = False  # (judge's tier: not shown)
    name = f"{PAPER}.objectives"

    def __init__(self, rec: Record):
        plan = plan_of(rec)
        arrays = {f"normal/{k.split('/', 1)[1]}": v for k, v in rec.arrays.items()
                  if k.split("/", 1)[0] in PROBES}
        self.rec = Record(
            config={"paper": PAPER, "plan": plan, "fractions": [1.0], "gates": [],
                    "steps": int(rec.config["train"]["steps"]), "normal": True,
                    "seeds": rec.seeds},
            run_id=rec.run_id, times=rec.times, arrays=arrays,
            meta={"fractions": [1.0], "seeds": rec.seeds, "setting": setting_of(rec, plan),
                  "wall_seconds": float(rec.meta.get("wall_seconds", 0.0)), "notes": []})

    def get(self, name: str) -> Record:
        if name != self.name:
            raise KeyError(f"experiment {name} (this record stands for {self.name} only)")
        return self.rec

    def missing(self, key: str) -> str:
        """Why a claim whose check read ``key`` (``normal/<quantity>``), which the record
        lacks, cannot be judged on it: the probe to add."""
        q = key.split("/", 1)[-1]
        probe = "badger_scale" if q in ("jacc_train", "zrms_train") else "badger"
        return f"its check reads {probe}/{q}, not in this record (add --probes {probe})"


def read_claims(rec: Record, path: str) -> tuple[tuple[str, ...], ObjectivesRecord]:
    """badger2022's record reader (:func:`twolayer.claims.on_record.register_record_reader`):
    c4.normal_drives_down and the record standing for the objectives experiment; a record
    :func:`check_readable` refuses is refused."""
    check_readable(rec, path)
    return SERVED, ObjectivesRecord(rec)


register_record_reader(PAPER, read_claims, excluded=EXCLUDED)
