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
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

DATA_KINDS = ("xor", "clusters", "lms", "linxor", "gaussian")
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
INTEGRATORS = ("gd", "flow", "auto")
DTYPES = ("float32", "float64")
SEED_MAX = 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38  # largest finite float32: α must be representable
# smallest positive normal number of each dtype: a value (or the standard deviation √value
# that the sampler multiplies by) below it underflows to a subnormal or to 0
TINY = {"float32": 1.1754943508222875e-38, "float64": 2.2250738585072014e-308}
MAX_NUM_TIMES = 1_000_000  # probe times: the arrays are [R, T, ...]


def _finite(name: str, value: float, valid: str = "must be a finite number") -> float:
    """``value`` as a float; NaN, inf and non-numbers raise ConfigError(name, value, valid)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, value, valid)
    if not math.isfinite(value):
        raise ConfigError(name, value, valid)
    return float(value)


def _positive(name: str, value: float) -> float:
    v = _finite(name, value, "must be a finite number > 0")
    if v <= 0:
        raise ConfigError(name, value, "must be a finite number > 0")
    return v


def _int(name: str, value: int, lo: int, hi: int | None = None) -> int:
    rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(name, value, f"must be an integer, valid range is {rng}")
    if value < lo or (hi is not None and value > hi):
        raise ConfigError(name, value, f"valid range is {rng}")
    return value


def _choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ConfigError(name, value, "valid choices are " + ", ".join(options))
    return value


def _resolve(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class DataConfig:
    """The training and test distribution.

    kind="xor": Frei's 2-XOR clusters. Clusters ±μ1 carry clean label ỹ = +1, ±μ2 carry ỹ = −1,
    each with probability 1/4; x = ±μ + z, z with mean 0 and covariance σ²I_d drawn from
    ``cluster_dist`` (all log-concave). μ1 = e1, μ2 = e2, or a random orthonormal pair if
    ``rotate``.
    kind="clusters": K = ``num_classes`` Gaussian clusters x = μ_k + z, μ_k a random unit vector
    per class (a K-class analogue used by the later papers).

    Label noise (training set, and the noisy test labels) flips ỹ with mean rate η = ``noise``
    following ``noise_model``: "iid" (each label flipped with probability η), "per-cluster"
    (exactly round(η·n_c) flips in each cluster), "one-cluster" (adversarial: all round(η·n) flips
    in as few clusters as possible, cluster +μ1 first), "confident" (adversarial: flips the
    round(η·n) points that f*(x) = |⟨μ1,x⟩| − |⟨μ2,x⟩| classifies with the largest margin).
    For K classes a flipped label becomes a uniformly chosen other class.

    kind="lms" / "linxor" (:mod:`twolayer.data.lms`, Vashisht et al. 2024): a simple feature
    (linear coordinate 0 with margin ``margin``) and a complex one (``slabs`` 5-slab coordinates,
    or an XOR pair) that each predict the clean label perfectly, the other coordinates U(−1, 1)
    noise; ``margin`` is the margin γ of the linear, slab and XOR coordinates (width 1).

    kind="gaussian" (:mod:`twolayer.data.gaussian`, Maennel et al. 2020): x ~ N(0, Σ_x),
    Σ_x = U diag(σ_1², …, σ_d²) Uᵀ with σ_i² from ``sigma2_min`` to ``sigma2_max``, evenly
    (``spectrum`` "linear"; the default 0.1, 0.2, …, 3.0 at d = 30 is the paper's App. E.1) or
    log-spaced ("log"); U = I, or a Haar-random rotation if ``rotate``. Clean labels come from a
    linear teacher (sgn⟨v*, x⟩, or argmax of a random linear map for K classes); U and the
    teacher are fixed by the setting (the same in every run), the samples are drawn per run.
    Entirely random labels: ``noise_model="random"`` with ``noise=1``.

    noise_model="random" (any kind): each label is replaced with probability η = ``noise`` by a
    label drawn uniformly from the K classes, independently of x (it may equal the old one, so
    the mean flip rate is η(K−1)/K); its valid range is [0, 1], and η = 1 gives entirely random
    labels (for two classes the same law as i.i.d. flips at η = 0.5).
    """

    kind: str = "xor"
    d: int = 50
    n: int = 1000
    n_test: int = 2000
    noise: float = 0.1
    noise_model: str = "iid"
    sigma2: float | None = None  # None → d ** -1.2 (Frei Fig. 2)
    cluster_dist: str = "gaussian"
    rotate: bool = False
    num_classes: int = 2
    slabs: int = 4  # k 5-slab coordinates of kind="lms"
    margin: float = 0.1  # γ of kind="lms"/"linxor"
    spectrum: str = "linear"  # σ_i² spacing of kind="gaussian": linear or log
    sigma2_min: float = 0.1  # smallest eigenvalue σ_1² of Σ_x (kind="gaussian")
    sigma2_max: float = 3.0  # largest eigenvalue σ_d² of Σ_x (kind="gaussian")

    def __post_init__(self) -> None:
        _choice("data", self.kind, DATA_KINDS)
        _resolve(self, "d", _int("d", self.d, 2))
        _resolve(self, "n", _int("n", self.n, 1))
        _resolve(self, "n_test", _int("n_test", self.n_test, 1))
        replace = self.noise_model == "random"  # η = replacement probability, up to 1
        noise_range = "valid range is [0, 1] with --noise-model random" if replace else (
            "valid range is [0, 0.5)")
        noise = _finite("noise", self.noise, noise_range)
        if not (0.0 <= noise <= 1.0 if replace else 0.0 <= noise < 0.5):
            raise ConfigError("noise", self.noise, noise_range)
        _resolve(self, "noise", noise)
        _choice("noise_model", self.noise_model, NOISE_MODELS)
        _choice("cluster_dist", self.cluster_dist, CLUSTER_DISTS)
        if self.sigma2 is not None:
            _resolve(self, "sigma2", _positive("sigma2", self.sigma2))
        _resolve(self, "num_classes", _int("num_classes", self.num_classes, 2))
        if self.kind == "xor" and self.num_classes != 2:
            raise ConfigError("num_classes", self.num_classes, "the xor data has 2 classes")
        if self.kind == "clusters" and self.noise_model in ("one-cluster", "confident"):
            raise ConfigError(
                "noise_model", self.noise_model, "with --data clusters use iid or per-cluster"
            )
        if not isinstance(self.rotate, bool):
            raise ConfigError("rotate", self.rotate, "must be true or false")
        self._check_lms()
        self._check_gaussian()

    def _check_lms(self) -> None:
        """Rules of the simple + complex feature kinds (lms, linxor)."""
        _resolve(self, "slabs", _int("slabs", self.slabs, 1))
        margin = _finite("margin", self.margin, "valid range is (0, 0.25)")
        if not 0.0 < margin < 0.25:
            raise ConfigError("margin", self.margin, "valid range is (0, 0.25)")
        _resolve(self, "margin", margin)
        if self.kind not in ("lms", "linxor"):
            return
        need = 1 + (self.slabs if self.kind == "lms" else 2)
        if self.d < need:
            what = f"{self.slabs} slabs" if self.kind == "lms" else "the XOR pair"
            raise ConfigError("d", self.d, f"must be >= {need} (linear coordinate + {what})")
        if self.num_classes != 2:
            raise ConfigError(
                "num_classes", self.num_classes, f"the {self.kind} data has 2 classes"
            )
        if self.noise_model == "confident":
            raise ConfigError(
                "noise_model", self.noise_model, "the confident model needs --data xor"
            )
        if self.rotate:
            raise ConfigError("rotate", self.rotate, "only --data xor can be rotated")

    def _check_gaussian(self) -> None:
        """Rules of the anisotropic Gaussian kind (Σ_x spectrum)."""
        _choice("spectrum", self.spectrum, SPECTRA)
        _resolve(self, "sigma2_min", _positive("sigma2_min", self.sigma2_min))
        _resolve(self, "sigma2_max", _positive("sigma2_max", self.sigma2_max))
        if self.sigma2_max < self.sigma2_min:
            raise ConfigError(
                "sigma2_max", self.sigma2_max, f"must be >= --sigma2-min = {self.sigma2_min:g}"
            )
        if self.kind == "gaussian" and self.noise_model in ("one-cluster", "confident"):
            raise ConfigError(
                "noise_model", self.noise_model,
                "with --data gaussian use iid, per-cluster or random",
            )


@dataclass(frozen=True)
class NetConfig:
    """The two-layer ensemble f(x) = Σ_j a_j relu(⟨w_j, x⟩ + b_j), j = 1..m.

    W ~ N(0, ω_init²) entrywise with ω_init² = ``init_var`` (None → 0.01/(m·d), Frei Fig. 2).
    second_layer="frei": a_j = +1/√m for the first m/2 neurons and −1/√m for the rest (m even).
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
        _resolve(self, "m", _int("m", self.m, 2))
        _choice("second_layer", self.second_layer, SECOND_LAYERS)
        if self.second_layer == "frei" and self.m % 2:
            raise ConfigError("m", self.m, "must be even with the fixed ±1/√m second layer")
        if self.init_var is not None:
            _resolve(self, "init_var", _positive("init_var", self.init_var))
        _resolve(self, "outputs", _int("outputs", self.outputs, 1))
        if self.second_layer == "frei" and self.outputs != 1:
            raise ConfigError(
                "second_layer", self.second_layer, "K-class outputs need --second-layer gaussian"
            )


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
        _resolve(self, "steps", _int("steps", self.steps, 0))
        if self.batch_size is not None:
            _resolve(self, "batch_size", _int("batch_size", self.batch_size, 1))
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
        _resolve(self, "num_times", _int("num_times", self.num_times, 2))
        if self.num_times > MAX_NUM_TIMES:
            raise ConfigError("num_times", self.num_times,
                              f"valid range is >= 2 and <= {MAX_NUM_TIMES} (probe times)")
        _resolve(self, "dense_until", _int("dense_until", self.dense_until, 0))
        _resolve(self, "probes", tuple(self.probes))


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
        _resolve(self, "seeds", _int("seeds", self.seeds, 1))
        _resolve(self, "seed", _int("seed", self.seed, 0, SEED_MAX - 1_000_000))
        _choice("dtype", self.dtype, DTYPES)
        if self.dtype == "float32" and self.train.lr > FLOAT32_MAX:
            valid = f"valid range is (0, {FLOAT32_MAX:.4g}] with float32"
            raise ConfigError("lr", self.train.lr, valid)
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

    def _check_representable(self) -> None:
        """Refuse positive values that underflow ``dtype`` (below its smallest normal number
        they become a subnormal or 0 in the tensors): α, ω_init², σ², σ_i². (An ω_init² that
        overflows is reported as a divergence at step 0 by the engine.)"""
        tiny = TINY[self.dtype]
        values = {"init_var": self.net.init_var, "sigma2": self.data.sigma2,
                  "sigma2_min": self.data.sigma2_min, "sigma2_max": self.data.sigma2_max}
        for name, value in values.items():
            if value is not None and value < tiny:
                raise ConfigError(name, value, f"underflows {self.dtype} (below its smallest "
                                  f"normal number); valid range is [{tiny:.4g}, inf) with "
                                  f"{self.dtype}: use a larger value"
                                  + (" or --dtype float64" if self.dtype == "float32" else ""))
        if self.train.lr < tiny:
            raise ConfigError("lr", self.train.lr, f"underflows {self.dtype}; valid range is "
                              f"[{tiny:.4g}, inf) with {self.dtype}: use a larger --lr")

    def resolved(self) -> Config:
        """The same experiment with every ``None`` default replaced by its value:
        σ² = d^-1.2 and ω_init² = 0.01/(m·d). Records and run ids use the resolved form."""
        data, net = self.data, self.net
        if data.sigma2 is None:
            data = dataclasses.replace(data, sigma2=float(data.d) ** -1.2)
        if net.init_var is None:
            net = dataclasses.replace(net, init_var=0.01 / (net.m * data.d))
        return dataclasses.replace(self, data=data, net=net)

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the resolved config (all defaults filled in)."""
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
        return [self.seed + r for r in range(self.seeds)]

    def replace(self, **sections: Any) -> Config:
        """Copy with some sections or fields replaced; nested keys as ``data__noise=0.2``."""
        out: dict[str, Any] = {}
        for key, value in sections.items():
            if "__" in key:
                sec, fld = key.split("__", 1)
                base = out.get(sec, getattr(self, sec))
                out[sec] = dataclasses.replace(base, **{fld: value})
            else:
                out[key] = value
        return dataclasses.replace(self, **out)
