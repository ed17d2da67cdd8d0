"""The public API: everything a plugin (a researcher's own claims, experiments, figures, probes,
data kinds and losses) needs, and nothing private. Import from here, not from twolayer's
modules: these names and signatures are kept stable. ``docs/api.md`` is generated from this
module (``python -m twolayer.apidoc > docs/api.md``), in the sections of ``_SECTIONS``.

Running networks
    :class:`Config` (with :class:`DataConfig`, :class:`NetConfig`, :class:`TrainConfig`,
    :class:`ProbeConfig`), :class:`Runtime` (device, threads), :func:`simulate` (one batched
    call → a :class:`Record`), :func:`setup` (data and initial parameters of a config),
    :func:`train` (the training loop, for phased experiments), :func:`measure` (the probes at one
    point, no training), :func:`probe_times`, :func:`build_record` (a Record from a training
    result), :func:`in_chunks` (R runs trained as chunks of seeds, their Records joined: when
    one batch's [R, n, d] data would not fit in memory).
Training your own way
    :class:`Params` and :func:`init_params` (the parameters of R networks; build your own
    initialisation as a Params), :func:`forward` (f(x) of every run on inputs of your own),
    :class:`Dataset` (construct one for your own data, e.g. a validation set the probes read),
    :class:`MinibatchObjective` (pass one as ``weights`` to :func:`train` to draw every SGD
    step's minibatch yourself, e.g. a fresh stream), :func:`generator` (a run's own random
    stream), and :func:`register_loss` with :class:`Loss` (a one-output margin loss ℓ(y f), its
    value and ∂ℓ/∂f, usable as ``TrainConfig(objective=name)``; :func:`loss_of` returns the Loss
    of an objective name).
Data kinds
    :func:`register_data_kind` registers a :class:`DataKind` (name, config class: a frozen
    dataclass subclassing :class:`DataConfig`, sampler ``sample(cfg, seeds, dtype) -> Dataset``,
    CLI :class:`Flag` s, optional record summary) usable as ``--data NAME`` and ``data.kind``;
    :func:`iid_sampler` builds the sampler of i.i.d. points, :func:`streaming_kind` a kind whose
    SGD steps draw fresh minibatches from the per-run generators (online SGD).
Measuring
    :func:`probe` registers a probe ``fn(state: ProbeState) -> dict[str, Tensor]`` (each
    tensor [R, ...]) under a name usable in ``Config.probe.probes`` and ``--probes``; the probe
    reads the configuration of every run from ``state.configs`` and
    :meth:`ProbeState.config_values` (e.g. the noise rate η per run), and the runs' seeds from
    ``state.seeds``.
Experiments, claims, figures
    :func:`experiment` registers ``run(quick, seeds, runtime) -> Record | dict[str, Record]``;
    :func:`claim` registers ``check(runs: Runs) -> Outcome`` (build it with :func:`outcome`);
    :func:`figure` registers ``make(out_dir, runs) -> list[Path]``. :class:`Runs` hands out the
    experiments' Records (trained once, or read from the :class:`RecordStore`).
Verdict statistics
    :mod:`stats` (``mean_ci``, ``median_ci``, ``bootstrap_ci``, ``bootstrap_box_ci``,
    ``jackknife``, ``compare``, ``interval_outcome``, ``sign_outcome``, ``combine``,
    ``exists``, ``holm``, ``holm_outcomes``, ``family_level``, ``outliers``, ``used``,
    ``finite``, ``loglog_slope``, ``semilog_slope``, ``seeds_needed``) and the outcomes
    ``HOLDS``, ``FAILS``, ``INCONCLUSIVE``.
Theorem premises
    :func:`register_conditions` adds a paper to ``twolayer conditions --paper NAME --record
    DIR`` (``--plugin PATH`` names the plugin): ``evaluate(path)`` finds the record
    (:func:`find_record`, then :func:`load_record`: the checksums and what the record says
    about itself) and returns a :class:`RecordConditions`,
    each :class:`Premise` with the paper card's certainty tag, its threshold, what was measured
    and its status (``HOLDS``, :data:`NOT_ESTABLISHED` or :data:`CANNOT`), and optionally
    each claim's regime on the record (:class:`ClaimRegime`).
    :func:`register_record_reader` adds a paper to ``twolayer check PAPER --record DIR``:
    ``read(rec, path)`` returns the ids of its claims a record like ``rec`` serves and a
    Runs-like object whose ``.get(name)`` returns ``rec``; the claims' own checks judge them
    on the record.
Errors
    :class:`ConfigError` (an invalid setting: raise it from a data kind's ``check``) and
    :class:`DivergenceError` (a run went NaN/inf in training; catch it to report divergence).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import stats
from .claims.base import Outcome, Verdict, claim, compare_setting, outcome
from .claims.on_record import register_record_reader as _register_record_reader
from .conditions import (
    CANNOT,
    NOT_ESTABLISHED,
    ClaimRegime,
    ConditionsProvider,
    Premise,
    RecordConditions,
    find_record,
)
from .conditions import register_conditions as _register_conditions
from .config import (
    Config,
    ConfigError,
    DataConfig,
    DataKind,
    Flag,
    NetConfig,
    ProbeConfig,
    TrainConfig,
    register_data_kind,
)
from .data import Dataset, iid_sampler, streaming_kind
from .engine import MinibatchObjective, Runtime, TrainResult, measure, probe_times, train
from .errors import DivergenceError
from .experiments import Runs, experiment
from .experiments import batches as _batches
from .net import Loss, Params, forward, init_params, loss_of, register_loss
from .plots import figure
from .probes import ProbeState
from .probes import register as probe
from .record import Record
from .seeding import generator
from .simulate import build_record, setup, simulate
from .stats import FAILS, HOLDS, INCONCLUSIVE
from .store import RecordStore, load_record


def in_chunks(cfg: Config, train: Callable[[Config], Record], chunk: int) -> Record:
    """``train(cfg)``'s Record, trained as consecutive chunks of at most ``chunk`` runs (chunk i
    from seed ``cfg.seed + i·chunk``) whose Records are joined along the run axis: arrays
    concatenated, the run seeds joined, ``wall_seconds`` summed, the summary recomputed (a part
    that does not fit is a ValueError). One call when ``cfg.seeds <= chunk``. Run r has the same
    seed either way, so the result is the one-batch Record up to float32 rounding, in the
    memory of ``chunk`` runs (a batch's data is [R, n, d])."""
    return _batches.in_chunks(cfg, train, chunk)


def register_conditions(
    paper: str, reads: str, about: str, evaluate: Callable[[str], RecordConditions], *,
    from_setting: Callable[[dict[str, Any]], RecordConditions] | None = None,
) -> ConditionsProvider:
    """Register the premises that ``twolayer conditions --paper PAPER --record DIR`` prints for
    ``paper`` (a plugin calls it on import, like its claims; name the plugin with ``--plugin
    PATH``, or install it). ``reads`` is ``"record"``: ``evaluate(path)`` gets the ``--record``
    argument as given and returns a :class:`RecordConditions`; a record it cannot read is a
    :class:`ConfigError` naming ``record`` (one line, exit status 2). ``about`` is the one line
    ``--help`` shows for the paper. Its ``premises`` are :class:`Premise` objects tagged as
    the paper cards tag a claim (``[PAPER]``, ``[PAPER-PARTIAL]``, ``[SECONDARY]``,
    ``[INFERRED]``, ``[PROPOSAL]``, ``[PILOT]``), its ``claims`` :class:`ClaimRegime` objects
    of registered claims:
    anything else, or an ``evaluate`` that raises anything but twolayer's own errors, is one
    line naming its file:line (exit status 2).

    ``from_setting`` (optional): premises that depend only on the setting, computed before
    training, for ``twolayer conditions --paper PAPER`` with the setting flags of ``twolayer
    simulate`` and no ``--record``. It gets the config dict a record trained with those flags
    would hold (the same shape as :attr:`Record.config`: :meth:`Config.to_dict` as
    ``record.json`` stores it, built from the flags as ``twolayer simulate`` builds it on a CPU;
    under exact GD its ``train`` section has no ``integrator``, ``rtol`` or ``switch`` key:
    read ``config["train"].get("integrator", "gd")``, or ``Config.from_dict(config)``)
    and returns a :class:`RecordConditions` (its ``record`` is replaced by ``""``: no record); a
    setting it does not cover should be a :class:`ConfigError` naming the flag (one line, exit
    status 2). Without it, the paper refuses the setting flags.

    ``reads="setting"`` stays refused here (ValueError): it is the built-in frei2023's path,
    whose table and flag checks are Theorem 1's own; a plugin reads the setting through
    ``from_setting`` instead. A paper registered twice from two places is refused too (naming
    both)."""
    if reads != "record":
        raise ValueError(f"register_conditions({paper!r}): reads must be 'record' (premises "
                         "measured on a record, and from the setting flags with from_setting=); "
                         "reads='setting' is the setting flags' theorem built into twolayer "
                         "conditions")
    return _register_conditions(paper, reads, about, evaluate, from_setting=from_setting)


def register_record_reader(
    paper: str, read: Callable[[Record, str], tuple[tuple[str, ...], object]],
    excluded: dict[str, str] | None = None,
) -> None:
    """Let ``twolayer check PAPER --record DIR`` judge ``paper``'s claims on a user's own
    ``twolayer simulate`` record (a plugin calls it on import, like its claims).
    ``read(rec, path)`` gets the loaded, verified :class:`Record` and the ``--record`` argument
    and returns ``(claim_ids, runs)``: the ids of the paper's registered claims that can be
    judged on a record like ``rec`` (e.g. those of the matching setting), and a Runs-like object
    whose ``.get(name)`` returns ``rec`` for the experiment those claims' checks read (and,
    optionally, whose ``.missing(key) -> str`` says why a claim whose check read an array key
    the record lacks cannot be served, e.g. the probe to add; such a claim is listed as not
    served, not as an error; and, optionally, whose ``.not_served(claim_id) -> str`` says why
    the record is not the setting a claim's statement names, "" where it is: such a claim is
    listed as not served, its check not run; a dict ``{experiment: rec}`` will do). A record the
    paper cannot
    read (another data kind, a setting its claims are not about) is a :class:`ConfigError`
    naming ``record`` that says what to give (one line, exit status 2). Each claim is judged by
    its own check, so its regime is computed on the record. ``excluded``: {claim id: why} for
    the paper's claims that no one record can serve (e.g. a slope across several settings):
    ``check --record --list`` lists them with the reason, and selecting one is refused with it
    (exit status 2). A paper registered twice from two places is an error naming both. A
    reader that raises anything else, returns something other than (claim ids, runs with
    ``.get``) or an id that is not one of the paper's registered claims, serves an id it also
    excludes or excludes one that is not registered, or whose ``.missing`` or ``.not_served``
    raises or returns no text, stops ``check --record`` with one line naming its file:line
    (exit status 2)."""
    _register_record_reader(paper, read, excluded=excluded)


# The reference's sections (docs/api.md), in order; every name of __all__ is in exactly one.
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Running networks", ("Config", "DataConfig", "NetConfig", "TrainConfig", "ProbeConfig",
                          "Runtime", "simulate", "setup", "train", "measure", "TrainResult",
                          "probe_times", "build_record", "in_chunks", "Record")),
    ("Training your own way", ("Params", "init_params", "forward", "Dataset",
                               "MinibatchObjective", "generator", "Loss", "register_loss",
                               "loss_of")),
    ("Data kinds", ("register_data_kind", "DataKind", "Flag", "iid_sampler", "streaming_kind")),
    ("Measuring", ("probe", "ProbeState")),
    ("Experiments, claims, figures", ("experiment", "claim", "outcome", "Outcome", "Verdict",
                                      "compare_setting", "figure", "Runs", "RecordStore")),
    ("Verdict statistics", ("stats", "HOLDS", "FAILS", "INCONCLUSIVE")),
    ("Theorem premises", ("register_conditions", "ConditionsProvider", "RecordConditions",
                          "Premise", "ClaimRegime", "NOT_ESTABLISHED", "CANNOT",
                          "find_record", "load_record", "register_record_reader")),
    ("Errors", ("ConfigError", "DivergenceError")),
)

# What the constants mean (a string has no docstring of its own).
_CONSTANTS: dict[str, str] = {
    "HOLDS": "The verdict of a claim whose whole interval lies on the claimed side of its bound.",
    "FAILS": "The verdict of a claim whose whole interval lies on the other side of its bound.",
    "INCONCLUSIVE": "The verdict of a claim whose interval straddles its bound (more seeds may "
                    "decide it: ``seeds_needed``).",
    "NOT_ESTABLISHED": "A :class:`Premise`'s status where it is measured but not established on "
                       "the record (its interval is not on the premise's side, or the setting "
                       "fails it); ``HOLDS`` is the status of one that holds.",
    "CANNOT": "A :class:`Premise`'s status where the record lacks what it reads (``why`` says "
              "what to add, e.g. a probe).",
}

__all__ = [
    "CANNOT", "FAILS", "HOLDS", "INCONCLUSIVE", "NOT_ESTABLISHED",
    "ClaimRegime", "ConditionsProvider", "Premise", "RecordConditions", "find_record",
    "load_record", "register_conditions", "register_record_reader",
    "Config", "ConfigError", "DataConfig", "DataKind", "Dataset", "DivergenceError", "Flag",
    "Loss", "MinibatchObjective", "NetConfig", "Outcome", "Params", "ProbeConfig", "ProbeState",
    "Record", "RecordStore", "Runs", "Runtime", "TrainConfig", "TrainResult", "Verdict",
    "build_record", "claim", "compare_setting", "experiment", "figure", "forward", "generator",
    "iid_sampler", "in_chunks", "init_params", "loss_of", "measure", "outcome", "probe",
    "probe_times", "register_data_kind", "register_loss", "setup", "simulate", "stats",
    "streaming_kind", "train",
]
