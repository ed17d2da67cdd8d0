"""Settings of a twolayer experiment: frozen dataclasses, validation, canonical JSON, run id.

A :class:`Config` fully determines a record (together with the device): the data distribution
(:class:`DataConfig`), the network ensemble (:class:`NetConfig`), training (:class:`TrainConfig`),
the probe schedule (:class:`ProbeConfig`), the number of independent runs ``seeds`` = R and the
base ``seed``. Run r of the batch uses seed ``seed + r`` for its data, initialisation and
minibatches, so a batch of R runs reproduces R separate runs.

Defaults follow Frei, Chatterji & Bartlett (2023), Figure 2 scaled down to run in seconds:
σ² = d^-1.2, ω_init² = 0.01/(m·d), α = 0.1, second layer fixed at ±1/√m, no bias.
Fields left as ``None`` scale with the others and are filled in by :meth:`Config.resolved`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import ConfigError, PluginCodeError, TwolayerError, code_origin

DATA_KINDS = ("xor", "clusters", "lms", "linxor", "gaussian", "badger")  # the built-in kinds
NOISE_MODELS = ("iid", "per-cluster", "one-cluster", "confident", "random")
SPECTRA = ("linear", "log")
CLUSTER_DISTS = ("gaussian", "uniform", "laplace")
SECOND_LAYERS = ("frei", "gaussian")
OBJECTIVES = ("logistic", "softmax")
_REGISTERED_OBJECTIVES: list[str] = []  # one-output margin losses added by net.register_loss


def register_objective(name: str) -> None:
    """Accept ``name`` as ``TrainConfig.objective`` (called by :func:`net.register_loss`)."""
    if name not in OBJECTIVES and name not in _REGISTERED_OBJECTIVES:
        _REGISTERED_OBJECTIVES.append(name)


def objectives() -> tuple[str, ...]:
    """The valid ``TrainConfig.objective`` names: the built-in ones and the registered losses
    (e.g. a plugin's, for ``--objective``)."""
    return OBJECTIVES + tuple(_REGISTERED_OBJECTIVES)


INTEGRATORS = ("gd", "flow", "auto")
DTYPES = ("float32", "float64")
SEED_MAX = 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38  # largest finite float32: α must be representable
# smallest positive normal number of each dtype: a value (or the standard deviation √value
# that the sampler multiplies by) below it underflows to a subnormal or to 0
TINY = {"float32": 1.1754943508222875e-38, "float64": 2.2250738585072014e-308}
# largest finite number of each dtype: a value above it is inf in the tensors
LARGEST = {"float32": FLOAT32_MAX, "float64": 1.7976931348623157e308}
MAX_NUM_TIMES = 1_000_000  # probe times: the arrays are [R, T, ...]


def _finite(name: str, value: float, valid: str = "must be a finite number") -> float:
    """``value`` as a float; NaN, inf and non-numbers raise ConfigError(name, value, valid)."""
    # numpy's scalars too (np.float32(0.1), np.int64(3): a value read from an array)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(name, value, valid)
    if not math.isfinite(value):
        raise ConfigError(name, value, valid)
    return float(value)


def _positive(name: str, value: float) -> float:
    v = _finite(name, value, "must be a finite number > 0")
    if v <= 0:
        raise ConfigError(name, value, "must be a finite number > 0")
    return v


# the largest size or count a config takes (d, n, m, seeds, ...): far beyond any run, so the
# memory check refuses a large one with the range that fits; beyond, products of several
# overflowed a float in that check (an OverflowError instead of a ConfigError)
SIZE_MAX = 10**50


def _int(name: str, value: int, lo: int, hi: int | None = None) -> int:
    # a size's cap, far beyond any run, is named only to a value above it
    rng = f"[{lo}, {hi}]" if hi is not None and hi != SIZE_MAX else f">= {lo}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)  # numpy's integers too (np.int64(4): a value read from an array)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    else:
        raise ConfigError(name, value, f"must be an integer, valid range is {rng}")
    if value < lo or (hi is not None and value > hi):
        if hi == SIZE_MAX and value > hi:
            rng = f"[{lo}, 1e50]"
        raise ConfigError(name, value, f"valid range is {rng}")
    return value


def _choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ConfigError(name, value, "valid choices are " + ", ".join(options))
    return value


def _resolve(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


class _DataFactory(type):
    """``DataConfig(kind=..., **fields)`` builds the registered kind's config; a kind's own class
    is called as usual."""

    def __call__(cls, *args: Any, **fields: Any) -> Any:
        if cls is not DataConfig:
            return super().__call__(*args, **fields)
        if len(args) > 1:
            raise ConfigError("data", args, "give DataConfig's fields by name")
        if args:
            fields["kind"] = args[0]
        kind = fields.get("kind", "xor")
        config = data_kind(kind).config
        known = {f.name for f in dataclasses.fields(config)}
        own = {}
        for name, value in fields.items():
            if name in known:
                own[name] = value
            elif name in config.implied and value == config.implied[name]:
                continue  # a value the kind has anyway (e.g. num_classes=2 for xor)
            elif name in config.hints:
                owners = _or_list(kinds_with_field(name))
                raise ConfigError(name, value, config.hints[name].replace("{kinds}", owners))
            else:
                raise ConfigError(name, value, f"is not a setting of --data {kind}; its "
                                  "settings are " + ", ".join(sorted(known - {"kind"})))
        return config(**own)


@dataclass(frozen=True)
class DataConfig(metaclass=_DataFactory):
    """The training and test distribution: the fields every data kind has, and the factory of
    the kinds' configs.

    ``DataConfig(kind="xor", **fields)`` returns the config of the registered data kind ``kind``
    (a subclass of this class, defined in the kind's own module ``twolayer/data/<kind>.py`` and
    registered with :func:`register_data_kind`): a tagged union by ``kind``. Its fields are these
    common ones and the kind's own (``cfg.data.sigma2`` exists for the kinds that have σ²); a
    field that the kind does not have raises a ConfigError naming it.

    Common fields: ``d`` (input dimension), ``n`` (training points), ``n_test`` (test points),
    ``noise`` (label noise rate η) and ``noise_model`` (how labels are corrupted, see
    :mod:`twolayer.data.noise`): "iid" (each label flipped with probability η), "per-cluster"
    (exactly round(η·n_c) flips in each cluster), "one-cluster" (adversarial: all round(η·n) flips
    in as few clusters as possible, cluster 0 first), "confident" (adversarial: flips the
    round(η·n) points that f*(x) = |⟨μ1,x⟩| − |⟨μ2,x⟩| classifies with the largest margin, xor
    only) and "random" (each label replaced with probability η by a uniform label, independently
    of x; its valid range is [0, 1], and η = 1 gives entirely random labels). For K classes a
    flipped label becomes a uniformly chosen other class. A kind limits the models it supports
    (``noise_models``); a kind whose training set has rows beyond n names the fields that count
    them in ``extra_train_rows`` (e.g. badger's ``n_ascended``), so that the memory estimate
    sees them (:attr:`train_rows`).

    The built-in kinds: xor (Frei's 2-XOR clusters), clusters (K Gaussian clusters), lms and
    linxor (a simple and a complex feature, Vashisht et al. 2024), gaussian (anisotropic
    Gaussian inputs with a linear teacher, Maennel et al. 2020) and badger (Badger 2022's
    input-noise mixing with an ascended set); see their modules in ``twolayer/data/``.
    """

    kind: str = "xor"
    d: int = 50
    n: int = 1000
    n_test: int = 2000
    noise: float = 0.1
    noise_model: str = "iid"

    # the noise models the kind supports, and the message when another is asked for
    noise_models: ClassVar[tuple[str, ...]] = tuple(m for m in NOISE_MODELS if m != "confident")
    noise_models_hint: ClassVar[str] = ""
    # positive scale fields that must not underflow the dtype (checked by Config)
    scales: ClassVar[tuple[str, ...]] = ()
    min_d: ClassVar[int] = 2
    # fields of other kinds that this kind fixes (accepted by the factory at that value), and
    # the message for another value or another field of other kinds ("{kinds}" in it: the
    # registered kinds that have the field, e.g. "xor or gaussian")
    implied: ClassVar[dict[str, Any]] = {}
    hints: ClassVar[dict[str, str]] = {}
    # integer fields that add rows to the training set beyond n (e.g. a set trained by ascent):
    # the memory and work estimates (twolayer.resources) count them as training rows
    extra_train_rows: ClassVar[tuple[str, ...]] = ()

    @property
    def train_rows(self) -> int:
        """Rows of the training set: n plus the kind's :attr:`extra_train_rows` fields."""
        return self.n + sum(int(getattr(self, f)) for f in self.extra_train_rows)

    @property
    def num_classes(self) -> int:
        """K, the number of classes (2 unless the kind has a ``num_classes`` field)."""
        return 2

    def __post_init__(self) -> None:
        _choice("data", self.kind, tuple(data_kinds()))
        own = data_kind(self.kind).config
        if type(self) is not own:
            raise ConfigError("data", self.kind, f"is configured by {own.__name__}, not "
                              f"{type(self).__name__}")
        _resolve(self, "d", _int("d", self.d, self.min_d, SIZE_MAX))
        _resolve(self, "n", _int("n", self.n, 1, SIZE_MAX))
        _resolve(self, "n_test", _int("n_test", self.n_test, 1, SIZE_MAX))
        replace = self.noise_model == "random"  # η = replacement probability, up to 1
        noise_range = "valid range is [0, 1] with --noise-model random" if replace else (
            "valid range is [0, 0.5)")
        noise = _finite("noise", self.noise, noise_range)
        if not (0.0 <= noise <= 1.0 if replace else 0.0 <= noise < 0.5):
            raise ConfigError("noise", self.noise, noise_range)
        _resolve(self, "noise", noise)
        _choice("noise_model", self.noise_model, NOISE_MODELS)
        if self.noise_model not in self.noise_models:
            hint = self.noise_models_hint or (
                "the confident model needs --data xor" if self.noise_model == "confident"
                else f"with --data {self.kind} use " + _or_list(self.noise_models))
            raise ConfigError("noise_model", self.noise_model, hint)
        try:
            self.check()
        except TwolayerError:
            raise
        except Exception as e:  # a plugin kind's check that raises anything else: its bug
            raise PluginCodeError(
                f"data kind {self.kind!r}: its config's check", code_origin(type(self).check, e),
                f"raised {type(e).__name__}: {e} (a check refuses a value with "
                "ConfigError(field, value, valid range))") from e

    def check(self) -> None:
        """The kind's own rules (ConfigError naming the flag, the value and the valid range).
        Anything else it raises is reported as the plugin's bug, naming its file:line
        (:class:`~twolayer.errors.PluginCodeError`, exit status 2; until session 48 a
        traceback)."""

    def resolved(self) -> DataConfig:
        """The same config with every ``None`` default replaced by its value."""
        return self


@dataclass(frozen=True)
class Flag:
    """A command-line flag of a data kind: ``--<name with dashes>`` sets the field ``name``.
    ``type`` is int, float, str (with ``choices``) or bool (a switch)."""

    name: str
    type: type
    help: str
    choices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        # (a list type was accepted and stored its text, '1,2', in the record: session 48)
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ConfigError("Flag(name=...)", self.name, "must be the name of the config "
                              "field it sets (a Python identifier)")
        if self.type not in (int, float, str, bool):
            raise ConfigError("Flag(type=...)", getattr(self.type, "__name__", self.type),
                              "must be int, float, str (with choices) or bool")
        if self.choices is not None and (
                self.type is not str or not isinstance(self.choices, tuple) or not self.choices
                or not all(isinstance(c, str) for c in self.choices)):
            raise ConfigError("Flag(choices=...)", self.choices, "must be a non-empty tuple of "
                              "str, with type=str")


@dataclass(frozen=True)
class DataKind:
    """A data distribution: its name (``--data NAME``, ``data.kind``), its config class (a
    frozen dataclass subclassing :class:`DataConfig`), its sampler ``sample(cfg, seeds, dtype)
    -> Dataset`` (one independent draw per run seed, on the CPU), its CLI flags, and optionally
    ``summary(arrays) -> {name: [R] values}`` (headline numbers of a record) and ``stream``
    (``draw(cfg, n, gen, dtype) -> (x, y_true, cluster)``: a streaming kind, whose training
    steps draw fresh minibatches; see :mod:`twolayer.data.stream`). ``about``: one line for
    ``--data``'s help."""

    name: str
    config: type
    sample: Callable[..., Any]
    flags: tuple[Flag, ...] = ()
    summary: Callable[[dict], dict] | None = None
    about: str = ""
    stream: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.config, type) and issubclass(self.config, DataConfig)
                and dataclasses.is_dataclass(self.config)):
            raise ConfigError("DataKind(config=...)", self.config, "must be a frozen dataclass "
                              "subclassing DataConfig")
        names = {f.name for f in dataclasses.fields(self.config)}
        default = {f.name: f.default for f in dataclasses.fields(self.config)}["kind"]
        if default != self.name:
            raise ConfigError("DataKind(config=...)", self.config.__name__,
                              f"its kind field must default to {self.name!r}")
        own = common_flags()
        for flag in self.flags:
            if not isinstance(flag, Flag):
                raise ConfigError("DataKind(flags=...)", flag, "must be a tuple of Flag")
            if flag.name not in names:
                raise ConfigError("DataKind(flags=...)", flag.name,
                                  f"is not a field of {self.config.__name__}")
            if flag.name in own:  # argparse refused it with a traceback (session 48)
                raise ConfigError("DataKind(flags=...)", flag.name,
                                  f"--{flag.name.replace('_', '-')} is one of twolayer's own "
                                  "setting flags already; a kind declares flags for its own "
                                  "fields only")

    @property
    def fields(self) -> tuple[str, ...]:
        """The config's field names, the common ones first."""
        return tuple(f.name for f in dataclasses.fields(self.config))


def common_flags() -> frozenset[str]:
    """The fields every setting has a flag for whatever its data kind (DataConfig's own,
    NetConfig's, TrainConfig's, ProbeConfig's, Config's), which a kind's :class:`Flag` cannot
    name again."""
    out = {f.name for f in dataclasses.fields(DataConfig)}
    for cls in (NetConfig, TrainConfig, ProbeConfig, Config):
        out |= {f.name for f in dataclasses.fields(cls)}
    return frozenset(out | {"preset", "data"})


_DATA_KINDS: dict[str, DataKind] = {}
_BUILTINS_LOADED = False


def register_data_kind(kind: DataKind) -> DataKind:
    """Register a data kind under ``kind.name`` (a second registration of a name raises)."""
    if not isinstance(kind, DataKind):
        raise ConfigError("data kind", kind, "register a DataKind(name, config, sample, ...)")
    if not kind.name or not kind.name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError("data kind", kind.name, "a name of letters, digits, - and _")
    if kind.name in _DATA_KINDS and _DATA_KINDS[kind.name] is not kind:
        from .errors import TwolayerError

        old = _DATA_KINDS[kind.name].config
        raise TwolayerError(f"data kind {kind.name!r} is already registered (by "
                            f"{old.__module__}.{old.__name__})")
    _DATA_KINDS[kind.name] = kind
    return kind


def data_kinds() -> dict[str, DataKind]:
    """The registered data kinds by name (the built-in ones first)."""
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from . import data  # noqa: F401  # plugin loading: the built-in kinds register
    first = {k: _DATA_KINDS[k] for k in DATA_KINDS if k in _DATA_KINDS}
    return {**first, **{k: v for k, v in _DATA_KINDS.items() if k not in first}}


def kinds_with_field(name: str) -> list[str]:
    """The registered data kinds whose config has the field ``name`` (e.g. ``rotate``)."""
    return [k for k, kind in data_kinds().items()
            if name in {f.name for f in dataclasses.fields(kind.config)}]


def _or_list(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    names = list(names)
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def data_kind(name: str) -> DataKind:
    """The registered data kind ``name``; ConfigError naming the valid kinds otherwise."""
    kinds = data_kinds()
    if not isinstance(name, str) or name not in kinds:  # (a list is unhashable)
        raise ConfigError("data", name, "valid choices are " + ", ".join(kinds))
    return kinds[name]


def replace_data(data: DataConfig, **changes: Any) -> DataConfig:
    """``data`` with some fields changed; a new ``kind`` keeps the fields the new kind has."""
    kind = changes.get("kind", data.kind)
    if kind == data.kind:  # through the factory: a field the kind lacks is a ConfigError
        return DataConfig(**{**{f.name: getattr(data, f.name)
                                for f in dataclasses.fields(data)}, **changes})
    known = data_kind(kind).fields
    keep = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)
            if f.name in known and f.name != "kind" and f.name not in changes}
    return DataConfig(**{**keep, **changes})


@dataclass(frozen=True)
class NetConfig:
    """The two-layer ensemble f(x) = Σ_j a_j relu(⟨w_j, x⟩ + b_j), j = 1..m.

    W ~ N(0, ω_init²) entrywise with ω_init² = ``init_var`` (None → 0.01/(m·d), Frei Fig. 2).
    second_layer="frei": a_j = +1/√m for the first ⌊m/2⌋ neurons and −1/√m for the next
    ⌊m/2⌋; for an odd m the last neuron has a_m = 0 (the card's rule, Frei et al. Section 2:
    "odd m: set a_m = 0" [PAPER]; the others keep 1/√m of the true m [INFERRED]), so it is
    neither positive nor negative (:func:`twolayer.net.init_params`); with the second layer
    fixed it never moves under GD (its gradient carries the factor a_m = 0), while with
    ``train_second_layer`` a_m trains from 0 and the neuron moves once a_m ≠ 0 (the sign groups
    of the probes stay those of t = 0, which leave it out).
    m ≥ 2: m = 1 would be the single a_1 = 0, f ≡ 0.
    second_layer="gaussian": a_j ~ N(0, 1/m) (per output for K classes).
    ``bias`` adds a first-layer bias b (initialised at 0); ``train_second_layer`` trains a.
    ``outputs`` = 1 for binary logistic models, K for softmax models (set by the objective).
    """

    m: int = 400
    init_var: float | None = None  # None → 0.01 / (m * d)
    second_layer: str = "frei"
    train_second_layer: bool = False
    bias: bool = False
    outputs: int = 1

    @property
    def fixed_signs(self) -> bool:
        """The second layer is the fixed ±1/√m halves ("frei"), not random ("gaussian")."""
        return self.second_layer == "frei"

    def __post_init__(self) -> None:
        if self.m == 1 and not isinstance(self.m, bool) and self.second_layer == "frei":
            raise ConfigError("m", self.m, "valid range is >= 2: with the fixed ±1/√m second "
                              "layer m = 1 has no positive and no negative neuron (an odd m's "
                              "a_m = 0 is its only neuron, so f = 0)")
        _resolve(self, "m", _int("m", self.m, 2, SIZE_MAX))
        for name in ("train_second_layer", "bias"):  # a string ("no") would be truthy
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, getattr(self, name), "must be true or false")
        _choice("second_layer", self.second_layer, SECOND_LAYERS)
        if self.init_var is not None:
            _resolve(self, "init_var", _positive("init_var", self.init_var))
        _resolve(self, "outputs", _int("outputs", self.outputs, 1, SIZE_MAX))
        if self.second_layer == "frei" and self.outputs != 1:
            raise ConfigError(
                "second_layer", self.second_layer, "K-class outputs need --second-layer gaussian"
            )


MAX_STEPS = 10**12


@dataclass(frozen=True)
class TrainConfig:
    """Gradient descent on the mean loss L̂ = (1/n) Σ_i ℓ(y_i, f(x_i)).

    Full-batch GD (``batch_size`` None, the papers' algorithm) or minibatch SGD (a fresh
    permutation per epoch per run). Step size α = ``lr``; ``steps`` updates.
    objective="logistic": ℓ(z) = log(1 + e^(−y f)), labels ±1; "softmax": cross-entropy over K.
    """

    lr: float = 0.1
    steps: int = 1000
    batch_size: int | None = None
    objective: str = "logistic"
    integrator: str = "gd"  # gd | flow | auto (twolayer.integrators)
    rtol: float = 1e-3  # flow: relative error tolerance per step on θ = (W, b, a)
    switch: int = 1000  # auto: exact GD for t <= switch, the flow after

    def __post_init__(self) -> None:
        _resolve(self, "lr", _positive("lr", self.lr))
        # 10^12 steps: far beyond any setting here (the flow presets run 10^7), and inside what
        # the probe schedule and the step counter handle (2^64 crashed in the schedule)
        _resolve(self, "steps", _int("steps", self.steps, 0, MAX_STEPS))
        if self.batch_size is not None:
            _resolve(self, "batch_size", _int("batch_size", self.batch_size, 1, SIZE_MAX))
        _choice("objective", self.objective, OBJECTIVES + tuple(_REGISTERED_OBJECTIVES))
        _choice("integrator", self.integrator, INTEGRATORS)
        rtol = _finite("rtol", self.rtol, "valid range is [1e-8, 0.1]")
        if not 1e-8 <= rtol <= 0.1:
            raise ConfigError("rtol", self.rtol, "valid range is [1e-8, 0.1]")
        _resolve(self, "rtol", rtol)
        _resolve(self, "switch", _int("switch", self.switch, 0))
        if self.integrator != "gd" and self.batch_size is not None:
            raise ConfigError("integrator", self.integrator,
                              "flow and auto integrate full-batch GD; drop --batch-size")


@dataclass(frozen=True)
class ProbeConfig:
    """When and what to measure. Times are log-spaced integers in [0, steps], always including
    0, 1 and the last step, plus every step up to ``dense_until``; ``num_times`` is the target
    number of log-spaced points."""

    num_times: int = 40
    dense_until: int = 10
    probes: tuple[str, ...] = ("errors", "correlations", "segments")

    def __post_init__(self) -> None:
        _resolve(self, "num_times", _int("num_times", self.num_times, 2, SIZE_MAX))
        if self.num_times > MAX_NUM_TIMES:
            raise ConfigError("num_times", self.num_times,
                              f"valid range is >= 2 and <= {MAX_NUM_TIMES} (probe times)")
        _resolve(self, "dense_until", _int("dense_until", self.dense_until, 0))
        names = self.probes  # a string would be split into one-letter probe names
        if isinstance(names, str) or not isinstance(names, (tuple, list)) or not all(
                isinstance(p, str) for p in names):
            raise ConfigError("probes", names, "a tuple of probe names, e.g. ('errors',)")
        _resolve(self, "probes", tuple(names))


# the sections of a Config that hold settings (``Config.replace(<section>__<field>=...)``)
SECTIONS = ("data", "net", "train", "probe")


@dataclass(frozen=True)
class Config:
    """One experiment: R = ``seeds`` independent runs, run r seeded with ``seed + r``."""

    data: DataConfig = field(default_factory=DataConfig)
    net: NetConfig = field(default_factory=NetConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    seeds: int = 1
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        for name, cls in (("data", DataConfig), ("net", NetConfig), ("train", TrainConfig),
                          ("probe", ProbeConfig)):
            section = getattr(self, name)
            if not isinstance(section, cls):  # a dict, a string, None: failed deep inside
                raise ConfigError(name, section, f"must be a {cls.__name__}, not "
                                  f"{type(section).__name__} (Config.from_dict reads a dict)")
        _resolve(self, "seeds", _int("seeds", self.seeds, 1, SIZE_MAX))
        _resolve(self, "seed", _int("seed", self.seed, 0, SEED_MAX - 1_000_000))
        _choice("dtype", self.dtype, DTYPES)
        self._check_representable()
        if self.train.objective != "softmax" and self.data.num_classes != 2:  # margin losses
            raise ConfigError("objective", self.train.objective,
                              "K > 2 classes need --objective softmax")
        want_outputs = 1 if self.train.objective != "softmax" else self.data.num_classes
        if self.net.outputs != want_outputs:
            net = dataclasses.replace(self.net, outputs=want_outputs)
            _resolve(self, "net", net)
        if self.train.batch_size is not None and self.train.batch_size > self.data.n:
            raise ConfigError("batch_size", self.train.batch_size, f"must be <= n = {self.data.n}")
        if data_kind(self.data.kind).stream is not None and (
                self.train.batch_size is None or self.train.batch_size >= self.data.n):
            raise ConfigError("batch_size", self.train.batch_size,
                              f"--data {self.data.kind} streams fresh minibatches: give "
                              f"--batch-size < n = {self.data.n}")

    def _check_representable(self) -> None:
        """Refuse positive values that ``dtype`` cannot hold: below its smallest normal number
        they become a subnormal or 0 in the tensors; above its largest they become inf: α and
        the data kind's scales (σ², σ_i²; until session 48 ``--sigma2 1e39`` said "training
        diverged ... try a smaller --lr or --init-var", flags that were not the cause). An
        ω_init² that overflows, or whose weights do, is reported as a divergence at step 0 by
        the engine, which names --init-var.)"""
        tiny, most = TINY[self.dtype], LARGEST[self.dtype]
        rng = f"valid range is [{tiny:.4g}, {most:.4g}] with {self.dtype}"
        values = {"init_var": self.net.init_var}
        values.update({name: getattr(self.data, name) for name in self.data.scales})
        values["lr"] = self.train.lr
        for name, value in values.items():
            if value is None:
                continue
            if value < tiny:
                raise ConfigError(name, value, f"underflows {self.dtype} (below its smallest "
                                  f"normal number); {rng}: use a larger value"
                                  + (" or --dtype float64" if self.dtype == "float32" else ""))
            if value > most and name != "init_var":
                raise ConfigError(name, value, f"overflows {self.dtype} (above its largest "
                                  f"number); {rng}")

    def resolved(self) -> Config:
        """The same experiment with every ``None`` default replaced by its value:
        σ² = d^-1.2 and ω_init² = 0.01/(m·d). Records and run ids use the resolved form."""
        data, net = self.data.resolved(), self.net
        if net.init_var is None:
            net = dataclasses.replace(net, init_var=0.01 / (net.m * data.d))
        return dataclasses.replace(self, data=data, net=net)

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the resolved config, every default filled in, except the keys an
        integrator does not read: a GD config (``integrator = "gd"``) has no ``integrator``,
        ``rtol`` or ``switch`` key (its records and run ids are those written before the
        integrators existed), a ``"flow"`` config no ``switch``."""
        d = dataclasses.asdict(self.resolved())
        d["probe"]["probes"] = list(self.probe.probes)
        if d["train"]["integrator"] == "gd":  # GD records and run ids as before the integrators
            for key in ("integrator", "rtol", "switch"):
                d["train"].pop(key)
        elif d["train"]["integrator"] == "flow":
            d["train"].pop("switch")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        """The Config of a dict as :meth:`to_dict` writes it (a record's ``config``)."""
        d = dict(d)
        try:
            parts = {
                "data": DataConfig(**d.pop("data", {})),
                "net": NetConfig(**d.pop("net", {})),
                "train": TrainConfig(**d.pop("train", {})),
                "probe": ProbeConfig(**d.pop("probe", {})),
            }
            return cls(**parts, **d)
        except TypeError as e:  # unknown key
            raise ConfigError("config", d, f"unknown or missing key ({e})") from None

    def canonical_json(self) -> str:
        """JSON of the resolved config, sorted keys, no whitespace: the experiment's identity."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def run_id(self) -> str:
        """12 hex digits of SHA-256 of the canonical JSON."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:12]

    @property
    def run_seeds(self) -> list[int]:
        """The seeds of the R runs: ``seed``, ``seed + 1``, ..., ``seed + seeds − 1``."""
        return [self.seed + r for r in range(self.seeds)]

    def replace(self, **sections: Any) -> Config:
        """Copy with some sections or fields replaced; nested keys as ``data__noise=0.2``."""
        out: dict[str, Any] = {}
        for key, value in sections.items():
            if "__" in key:
                sec, fld = key.split("__", 1)
                if sec not in SECTIONS:
                    raise ConfigError(sec, value, "is not a section of a Config (in "
                                      f"{key}=); its sections are " + ", ".join(SECTIONS))
                base = out.get(sec, getattr(self, sec))
                names = [f.name for f in dataclasses.fields(base)]
                if sec != "data" and fld not in names:
                    raise ConfigError(fld, value, f"is not a setting of {sec} (in {key}=); its "
                                      "settings are " + ", ".join(names))
                out[sec] = (replace_data(base, **{fld: value}) if sec == "data"
                            else dataclasses.replace(base, **{fld: value}))
            else:
                out[key] = value
        return dataclasses.replace(self, **out)
