"""Experiments of Liu, Abedsoltan & Belkin (2023) (paper card ``liu2023``): the plans, the
runners and the measurements on their Records that the claims (:mod:`twolayer.claims.liu2023`)
and the figures (:mod:`twolayer.plots.liu2023`, :mod:`twolayer.plots.phase`) read.

No setting below comes from the paper (its noise rates, step sizes and widths are unknown): they
are twolayer's [PROPOSAL] choices, found by the search documented in ``docs/papers/liu2023.md``.
Settings (δ = 0.3 i.i.d. label flips on the training set only; clean test set):

- ``liu2023.xor``: Frei's XOR clusters, d = 50, n = 400, σ² = 0.05 (‖z‖² ≈ 2.5: noisy points can
  be memorised), m = 256, second layer ±1/√m fixed, ω_init² = 0.01/(m d), full-batch GD α = 0.5;
- ``liu2023.xor_sgd``: the same with minibatch SGD, batch 40;
- ``liu2023.mixture``: two Gaussian classes with orthonormal means, d = 50, n = 400, σ² = 0.1,
  m = 256, NTK-scaled init ω_init² = 1/d (fixed in m), second layer ±1/√m fixed, GD α = 0.5;
- ``liu2023.k10``: ten Gaussian classes (orthonormal means), d = 50, n = 500, σ² = 0.05,
  m = 256, softmax, Gaussian second layer N(0, 1/m) trained, ω_init² = 0.01/(m d), GD α = 0.5;
- ``liu2023.init_n``: the xor and k10 settings at initialisation only, with n ten times larger
  (full mode: 100× for xor, 40× for k10), to separate finite-segment effects from the claims
  (Records ``"xor"`` and ``"k10"``);
- ``liu2023.width``: the mixture setting for widths m ∈ {64, 256, 1024} (full: + 4096), one
  batched call per width, the same seeds (data) at every width (Records ``"m=64"``, ...; read
  them with :func:`widths`).

The xor, mixture and k10 Records also hold the sample-wise gradient angles at initialisation
(arrays ``init/...``, [R, ...]).

Segment gradients are those of the core ``segments`` probe (Liu's sums divided by n: ratios and
cosines unchanged). t* = the early-stopping time, per seed: the geometric centre of the bottom
of the U (the probe times around the smallest clean test error whose error is within one
binomial standard error of it; see :func:`bottom_range`);
t_× = first probe time with ratio_t = ‖g_clean‖/‖g_noise‖ (pooled over classes) ≤ 1 + ε,
ε = 0.05 (the ratio approaches 1 from above and often never goes below 1: see the docs);
the early window is the probe times t ≤ max(1, t*/2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from ..engine import Runtime, measure, probe_times, train
from ..record import Record
from ..simulate import build_record, setup
from . import Runs, experiment

PAPER = "liu2023"
NOISE = 0.3  # δ, the training-label noise rate of every setting
CROSS_EPS = 0.05  # t_× = first t with ratio_t ≤ 1 + ε
NEAR, FAR = 3.0, 10.0  # t_×/t* within a factor 3: holds; beyond a factor 10: fails (card)

MAIN_PROBES = ("errors", "segments", "liu")
INIT_PROBES = ("segments", "liu", "liu_angles")

# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    seeds: int
    k10_seeds: int
    xor_steps: int
    sgd_steps: int
    mixture_steps: int
    k10_steps: int
    widths: tuple[int, ...]
    width_steps: int
    xor_large_n: int
    k10_large_n: int
    n_test: int
    num_times: int = 50


PLANS = {
    "quick": Plan(
        seeds=4, k10_seeds=3, xor_steps=2000, sgd_steps=4000, mixture_steps=1000, k10_steps=800,
        widths=(64, 256, 1024), width_steps=300, xor_large_n=4000, k10_large_n=5000,
        n_test=2000,
    ),
    "full": Plan(
        seeds=10, k10_seeds=8, xor_steps=3000, sgd_steps=6000, mixture_steps=1500,
        k10_steps=1500, widths=(64, 256, 1024, 4096), width_steps=400, xor_large_n=40000,
        k10_large_n=20000, n_test=5000,
    ),
}


def plan(quick: bool) -> Plan:
    return PLANS["quick" if quick else "full"]


def xor_config(p: Plan, seeds: int | None = None, batch: int | None = None) -> Config:
    """Frei's XOR clusters with memorisable noise (σ² = 0.05 at d = 50), Frei's small init."""
    steps = p.sgd_steps if batch else p.xor_steps
    return Config(
        data=DataConfig(kind="xor", d=50, n=400, n_test=p.n_test, noise=NOISE, sigma2=0.05),
        net=NetConfig(m=256),
        train=TrainConfig(lr=0.5, steps=steps, batch_size=batch),
        probe=ProbeConfig(num_times=p.num_times, probes=MAIN_PROBES),
        seeds=seeds or p.seeds,
    )


def mixture_config(
    p: Plan, seeds: int | None = None, m: int = 256, steps: int | None = None
) -> Config:
    """Two overlapping Gaussian classes, NTK-scaled init ω_init² = 1/d independent of m."""
    d = 50
    return Config(
        data=DataConfig(kind="clusters", d=d, n=400, n_test=p.n_test, noise=NOISE, sigma2=0.1),
        net=NetConfig(m=m, init_var=1.0 / d),
        train=TrainConfig(lr=0.5, steps=steps or p.mixture_steps),
        probe=ProbeConfig(num_times=p.num_times, probes=MAIN_PROBES),
        seeds=seeds or p.seeds,
    )


def k10_config(p: Plan, seeds: int | None = None) -> Config:
    """Ten Gaussian classes, softmax, trained Gaussian second layer (MNIST-10 analogue)."""
    return Config(
        data=DataConfig(
            kind="clusters", d=50, n=500, n_test=p.n_test, noise=NOISE, sigma2=0.05,
            num_classes=10,
        ),
        net=NetConfig(m=256, second_layer="gaussian", train_second_layer=True),
        train=TrainConfig(lr=0.5, steps=p.k10_steps, objective="softmax"),
        probe=ProbeConfig(num_times=p.num_times, probes=MAIN_PROBES),
        seeds=seeds or p.k10_seeds,
    )


# --------------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------------


def run(cfg: Config, runtime: Runtime, *, angles: bool = True) -> Record:
    """Train cfg (R = cfg.seeds runs in one batch) with its probes on log-spaced times; with
    ``angles`` also the sample-wise gradient angles at initialisation (keys ``init/...``)."""
    cfg, data, params = setup(cfg)
    times = probe_times(cfg.train.steps, cfg.probe.num_times, cfg.probe.dense_until)
    result = train(params, data, cfg.train, times, cfg.probe.probes, runtime, cfg.run_seeds)
    extra = {}
    if angles:
        init = measure(params, data, ("liu_angles",), runtime, objective=cfg.train.objective)
        extra = {f"init/{k.split('/', 1)[1]}": v for k, v in init.items()}
    return build_record(cfg, data, params, result, runtime.torch_device, extra)


def run_init(cfg: Config, runtime: Runtime) -> Record:
    """Probe cfg at initialisation only (t = 0)."""
    cfg = cfg.replace(train__steps=0, probe__probes=INIT_PROBES)
    cfg, data, params = setup(cfg)
    result = train(params, data, cfg.train, [0], cfg.probe.probes, runtime, cfg.run_seeds)
    return build_record(cfg, data, params, result, runtime.torch_device)


def xor_runs(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run(xor_config(p, seeds), runtime)


def xor_sgd_runs(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run(xor_config(p, seeds, batch=40), runtime, angles=False)


def mixture_runs(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run(mixture_config(p, seeds), runtime)


def k10_runs(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run(k10_config(p, seeds), runtime)


def init_n_runs(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    """The xor and k10 settings at t = 0 with many more training points."""
    return {
        "xor": run_init(xor_config(p, seeds).replace(data__n=p.xor_large_n), runtime),
        "k10": run_init(k10_config(p, seeds).replace(data__n=p.k10_large_n), runtime),
    }


def width_runs(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    """The mixture setting at each width, Records ``"m=<m>"`` (one batched call per m; run r has
    seed r at every m, so the data are shared across widths)."""
    return {
        f"m={m}": run(mixture_config(p, seeds, m=m, steps=p.width_steps), runtime, angles=False)
        for m in p.widths
    }


RUNS = {
    "xor": xor_runs, "xor_sgd": xor_sgd_runs, "mixture": mixture_runs, "k10": k10_runs,
    "init_n": init_n_runs, "width": width_runs,
}


@experiment("liu2023.xor")
def xor_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return xor_runs(plan(quick), seeds, runtime)


@experiment("liu2023.xor_sgd")
def xor_sgd_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return xor_sgd_runs(plan(quick), seeds, runtime)


@experiment("liu2023.mixture")
def mixture_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return mixture_runs(plan(quick), seeds, runtime)


@experiment("liu2023.k10")
def k10_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return k10_runs(plan(quick), seeds, runtime)


@experiment("liu2023.init_n")
def init_n_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return init_n_runs(plan(quick), seeds, runtime)


@experiment("liu2023.width")
def width_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return width_runs(plan(quick), seeds, runtime)


# --------------------------------------------------------------------------------------------
# Reading the experiments' Records (what the claims and the figures ask for)
# --------------------------------------------------------------------------------------------


def record(runs: Runs, name: str) -> Record:
    """The Record of experiment ``liu2023.<name>`` (xor, xor_sgd, mixture, k10)."""
    return runs.get(f"{PAPER}.{name}")


def init_n(runs: Runs) -> dict[str, Record]:
    """The Records ``"xor"`` and ``"k10"`` of ``liu2023.init_n`` (t = 0, large n)."""
    return runs.get(f"{PAPER}.init_n")


def widths(runs: Runs) -> dict[int, Record]:
    """The Records of ``liu2023.width`` by width m, in increasing m (stored under ``"m=<m>"``)."""
    recs = runs.get(f"{PAPER}.width")
    return dict(sorted((int(k.split("=", 1)[1]), v) for k, v in recs.items()))


# --------------------------------------------------------------------------------------------
# Measurements on records (also used by the figures)
# --------------------------------------------------------------------------------------------


def noise_rate(rec: Record) -> float:
    return float(rec.config["data"]["noise"])


def bottom_range(rec: Record) -> np.ndarray:
    """[R, 2] probe indices (first, last) of the bottom of the U: the contiguous run of probe
    times around the smallest clean test error whose error stays within one binomial standard
    error, sqrt(e_min (1 − e_min)/n_test) (at least 1/n_test), of the minimum. On a flat bottom
    the argmin alone is decided by test-sampling noise."""
    e = rec.arrays["errors/test_error_clean"].astype(np.float64)
    n_test = float(rec.config["data"]["n_test"])
    out = np.empty((e.shape[0], 2), dtype=np.int64)
    for r in range(e.shape[0]):
        i = int(e[r].argmin())
        tol = max(math.sqrt(e[r, i] * (1 - e[r, i]) / n_test), 1.0 / n_test)
        lo = hi = i
        while lo > 0 and e[r, lo - 1] <= e[r, i] + tol:
            lo -= 1
        while hi < e.shape[1] - 1 and e[r, hi + 1] <= e[r, i] + tol:
            hi += 1
        out[r] = lo, hi
    return out


def t_star(rec: Record) -> np.ndarray:
    """[R] early-stopping time t*: the geometric centre √(t_first · t_last) of the bottom of the
    U (:func:`bottom_range`; times below 1 count as 1)."""
    b = bottom_range(rec)
    t = np.maximum(rec.times.astype(np.float64), 1.0)
    return np.sqrt(t[b[:, 0]] * t[b[:, 1]])


def t_star_index(rec: Record) -> np.ndarray:
    """[R] index of the probe time nearest to t* on a log scale."""
    lt = np.log(np.maximum(rec.times.astype(np.float64), 1.0))
    return np.abs(lt[None, :] - np.log(t_star(rec))[:, None]).argmin(axis=1)


def t_argmin(rec: Record) -> np.ndarray:
    """[R] the first probe time of the smallest clean test error (for comparison with t*)."""
    return rec.times[rec.arrays["errors/test_error_clean"].argmin(axis=1)].astype(np.float64)


def t_cross(rec: Record, eps: float = CROSS_EPS) -> np.ndarray:
    """[R] first probe time with ‖g_clean‖/‖g_noise‖ ≤ 1 + eps (pooled); NaN if never."""
    ratio = rec.arrays["segments/grad_ratio"]
    hit = ratio <= 1.0 + eps
    out = np.full(ratio.shape[0], np.nan)
    for r in range(ratio.shape[0]):
        idx = np.flatnonzero(hit[r])
        if idx.size:
            out[r] = rec.times[idx[0]]
    return out


def early_end(rec: Record) -> np.ndarray:
    """[R] index of the last probe time of the early window t ≤ max(1, t*/2)."""
    ts = t_star(rec)
    return np.asarray(
        [np.flatnonzero(rec.times <= max(1.0, t / 2))[-1] for t in ts], dtype=np.int64
    )


def window_mean(rec: Record, key: str, end: np.ndarray) -> np.ndarray:
    """[R] mean of a per-time [R, T] array over probe times 0..end[r]."""
    a = rec.arrays[key]
    return np.asarray([np.nanmean(a[r, : end[r] + 1]) for r in range(a.shape[0])])


def u_shape_stats(rec: Record) -> dict[str, np.ndarray]:
    """Per seed: initial, minimal and final clean test error, fall, rise and t*."""
    e = rec.arrays["errors/test_error_clean"].astype(np.float64)
    emin = e.min(axis=1)
    return {
        "e0": e[:, 0], "emin": emin, "eT": e[:, -1], "fall": e[:, 0] - emin,
        "rise": e[:, -1] - emin, "t_star": t_star(rec),
    }


def alpha_monotone_share(rec: Record, eps: float = CROSS_EPS) -> np.ndarray:
    """[R] share of probe intervals in [0, t_×] (or the whole run if ratio never reaches 1 + ε)
    on which α_t = ‖g_noise‖/‖g_clean‖ (pooled) increases."""
    alpha = 1.0 / rec.arrays["segments/grad_ratio"].astype(np.float64)
    tx = t_cross(rec, eps)
    out = np.empty(alpha.shape[0])
    for r in range(alpha.shape[0]):
        if np.isfinite(tx[r]):
            end = int(np.flatnonzero(rec.times == tx[r])[0])
        else:
            end = len(rec.times) - 1
        seg = alpha[r, : max(end, 1) + 1]
        out[r] = float((np.diff(seg) > 0).mean())
    return out


def class_alpha_monotone_share(rec: Record, eps: float = CROSS_EPS) -> np.ndarray:
    """[R] as :func:`alpha_monotone_share`, for the per-class α_t^(c) of the gradients through
    the true-class logit (Liu's single-logit view of K classes), averaged over classes; the
    window ends at the pooled t_×."""
    alpha = 1.0 / rec.arrays["liu/logit_class_ratio"].astype(np.float64)  # [R, T, C]
    tx = t_cross(rec, eps)
    out = np.empty(alpha.shape[0])
    for r in range(alpha.shape[0]):
        if np.isfinite(tx[r]):
            end = int(np.flatnonzero(rec.times == tx[r])[0])
        else:
            end = len(rec.times) - 1
        seg = alpha[r, : max(end, 1) + 1]
        out[r] = float((np.diff(seg, axis=0) > 0).mean())
    return out


def class_mean_at(rec: Record, key: str, t_index: int = 0) -> np.ndarray:
    """[R] mean over classes of a per-class [R, T, C] array at one probe index."""
    return np.nanmean(rec.arrays[key][:, t_index], axis=-1)


def init_ratio_deviation_binary(rec: Record) -> np.ndarray:
    """[R] mean over the two classes of ratio^(c)(0) / (|D_clean^(c)|/|D_noise^(c)|) − 1."""
    ratio = rec.arrays["segments/class_ratio"][:, 0].astype(np.float64)
    pred = rec.arrays["liu/class_count_clean"][:, 0] / rec.arrays["liu/class_count_noisy"][:, 0]
    return np.nanmean(ratio / pred - 1.0, axis=-1)


def init_ratio_deviation_multiclass(rec: Record, key: str = "liu/logit_class_ratio") -> np.ndarray:
    """[R] mean over classes of (noisy/clean)^(c)(0) / (|D_noise^(c)|/(|D_clean^(c)|(K−1))) − 1,
    for the true-class-logit gradients (default) or, with ``segments/class_ratio``, the
    all-logit gradients."""
    K = int(rec.config["data"].get("num_classes", 2))
    inv = 1.0 / rec.arrays[key][:, 0].astype(np.float64)
    pred = rec.arrays["liu/class_count_noisy"][:, 0] / (
        rec.arrays["liu/class_count_clean"][:, 0] * (K - 1)
    )
    return np.nanmean(inv / pred - 1.0, axis=-1)


def rate_error(rec: Record) -> np.ndarray:
    """[R] mean over the early window of |κ_t − (1 − α_t)/(1 + α_t)| (α pooled)."""
    end = early_end(rec)
    err = np.abs(rec.arrays["segments/kappa"] - rec.arrays["liu/lemma_rate"])
    return np.asarray([err[r, : end[r] + 1].mean() for r in range(err.shape[0])])


def setting_text(rec: Record, note: str = "") -> str:
    """One line describing the setting of a Record (verdicts and figure captions)."""
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    if dc["kind"] == "xor":
        kind = "XOR clusters"
    elif dc.get("num_classes", 2) == 2:
        kind = "2-class Gaussian mixture"
    else:
        kind = f"{dc.get('num_classes', 2)}-class Gaussian clusters"
    if abs(nc["init_var"] * nc["m"] * dc["d"] - 0.01) < 1e-9:
        init = "omega2=0.01/(md)"
    else:
        init = f"omega2={nc['init_var']:.3g}"
    head = "a=+-1/sqrt(m) fixed" if nc["second_layer"] == "frei" else (
        "a~N(0,1/m) " + ("trained" if nc["train_second_layer"] else "fixed")
    )
    alg = "GD" if tc["batch_size"] is None else f"SGD batch {tc['batch_size']}"
    text = (
        f"{kind} d={dc['d']} n={dc['n']} sigma2={dc['sigma2']:.3g} delta={dc['noise']:g} "
        f"({dc['noise_model']}, train only) m={nc['m']} {init} {head} {tc['objective']} "
        f"{alg} lr={tc['lr']:g} steps={tc['steps']} n_test={dc['n_test']}"
    )
    return text + (f"; {note}" if note else "")
