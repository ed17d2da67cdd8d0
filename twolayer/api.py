"""The public API: everything a plugin (a researcher's own claims, experiments, figures and
probes) needs, and nothing private. Import from here, not from twolayer's modules: these names
and signatures are kept stable.

Running networks
    :class:`Config` (with :class:`DataConfig`, :class:`NetConfig`, :class:`TrainConfig`,
    :class:`ProbeConfig`), :class:`Runtime` (device, threads), :func:`simulate` (one batched
    call → a :class:`Record`), :func:`setup` (data and initial parameters of a config),
    :func:`train` (the training loop, for phased experiments), :func:`probe_times`,
    :func:`build_record` (a Record from a training result).
Training your own way
    :class:`Params` and :func:`init_params` (the parameters of R networks; build your own
    initialisation as a Params), :class:`Dataset` (construct one for your own data, e.g. a
    validation set the probes read), :class:`MinibatchObjective` (pass one as ``weights`` to
    :func:`train` to draw every SGD step's minibatch yourself, e.g. a fresh stream), and
    :func:`register_loss` with :class:`Loss` (a one-output margin loss ℓ(y f) usable as
    ``TrainConfig(objective=name)``).
Data kinds
    :func:`register_data_kind` registers a :class:`DataKind` (name, config class: a frozen
    dataclass subclassing :class:`DataConfig`, sampler ``sample(cfg, seeds, dtype) -> Dataset``,
    CLI :class:`Flag` s, optional record summary) usable as ``--data NAME`` and ``data.kind``;
    :func:`iid_sampler` builds the sampler of i.i.d. points, :func:`streaming_kind` a kind whose
    SGD steps draw fresh minibatches (online SGD).
Measuring
    :func:`probe` registers a probe ``fn(state: ProbeState) -> dict[str, Tensor]`` (each
    tensor [R, ...]) under a name usable in ``Config.probe.probes`` and ``--probes``.
Experiments, claims, figures
    :func:`experiment` registers ``run(quick, seeds, runtime) -> Record | dict[str, Record]``;
    :func:`claim` registers ``check(runs: Runs) -> Outcome`` (build it with :func:`outcome`);
    :func:`figure` registers ``make(out_dir, runs) -> list[Path]``. :class:`Runs` hands out the
    experiments' Records (trained once, or read from the :class:`RecordStore`).
Verdict statistics
    :mod:`stats` (``mean_ci``, ``compare``, ``interval_outcome``, ``sign_outcome``, ``combine``,
    ``exists``, ``jackknife``, ``loglog_slope``, ``semilog_slope``, ``holm``,
    ``seeds_needed``) and the outcomes ``HOLDS``, ``FAILS``, ``INCONCLUSIVE``.
"""

from __future__ import annotations

from . import stats
from .claims.base import Outcome, Verdict, claim, outcome
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
from .engine import MinibatchObjective, Runtime, TrainResult, probe_times, train
from .experiments import Runs, experiment
from .net import Loss, Params, init_params, register_loss
from .plots import figure
from .probes import ProbeState
from .probes import register as probe
from .record import Record
from .simulate import build_record, setup, simulate
from .stats import FAILS, HOLDS, INCONCLUSIVE
from .store import RecordStore

__all__ = [
    "FAILS", "HOLDS", "INCONCLUSIVE",
    "Config", "ConfigError", "DataConfig", "DataKind", "Dataset", "Flag", "Loss",
    "MinibatchObjective", "NetConfig", "Outcome", "Params", "ProbeConfig", "ProbeState", "Record",
    "RecordStore", "Runs", "Runtime", "TrainConfig", "TrainResult", "Verdict",
    "build_record", "claim", "experiment", "figure", "iid_sampler", "init_params", "outcome",
    "probe", "probe_times", "register_data_kind", "register_loss", "setup", "simulate", "stats",
    "streaming_kind", "train",
]
