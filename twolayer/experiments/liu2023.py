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
  them with :func:`widths`);
- ``liu2023.regime``: the mixture setting with n = 2000 (about 300 noisy points per class): the
  setting where the premises of Theorems 4.4/4.5 and Lemma 4.2 are measured to hold
  (:func:`premise_anticollinear`, :func:`premise_ntk`, :func:`premise_segments`); the n = 400
  settings above, where they do not, stay as findings outside the regime;
- ``liu2023.delta``: the regime setting at δ ∈ {0.1, 0.2, 0.4} with n = 2000 · 0.3/δ (6000,
  3000, 1500: the same number of noisy points per class, so that Eq. (5)'s segment premise holds
  at every δ) (Records ``"delta=0.1"``, ...; read them with :func:`deltas`), for the noise-rate
  dependence of Fig. 1 and Eq. (5);
- ``liu2023.width_regime``: the regime setting for widths m ∈ {64, 256, 1024} (quick:
  {64, 128, 256}) (Records as ``liu2023.width``).

The xor, mixture and k10 Records also hold the sample-wise gradient angles at initialisation
(arrays ``init/...``, [R, ...]).

Segment gradients are those of the core ``segments`` probe (Liu's sums divided by n: ratios and
cosines unchanged). t* = the early-stopping time, per seed: the geometric centre of the bottom
of the U (the probe times around the smallest clean test error whose error is within one
binomial standard error of it; see :func:`bottom_range`);
t_× = first probe time with ratio_t = ‖g_clean‖/‖g_noise‖ (pooled over classes) ≤ 1 + ε,
ε = 0.05 (the ratio approaches 1 from above and often never goes below 1: see the docs);
the early window is the probe times t ≤ max(1, t*/2) (:func:`early_end`).

Premises (the regime of a claim is computed from them, never set by hand; thresholds
[PROPOSAL]): a premise *holds* when the 95% t-interval over seeds of its per-seed value lies on
the premise's side of the threshold, so an unresolved premise counts as not holding (and so does
one with a seed whose value is NaN). Theorem 4.5's claims read the premises up to t_×
(:func:`phase_end`), the others over the early window.

- :func:`premise_anticollinear` (Assumption 4.1 in the early phase): the worst (largest), over
  the classes and the early window, of cos(g_clean^(c), g_noise^(c)) is ≤ −0.9;
- :func:`premise_ntk` (the infinite-width premise, ∇h(w_t; x) ≈ ∇h(w_0; x)): the drift
  1 − cos(∇h(w_t; x), ∇h(w_0; x)) at the end of the early window is ≤ 0.1;
- :func:`premise_segments` (Eq. (5)'s factorisation g_k^(c) ≈ |D_k^(c)| E[f − y] E[∇h], a law
  of large numbers over the segment, and f(w_0; x) ≈ 1/2): with ρ the mean cosine between
  the sample-wise logit gradients of two clean points of the same class at t = 0, the mean
  part of a segment sum of N i.i.d. gradients has squared norm ∝ N²ρ and its fluctuation
  ∝ N(1 − ρ), so S = min_c |D_noise^(c)| ρ/(1 − ρ) ≥ 10 [INFERRED]; with S_noise and S_clean
  the predicted cos(g_clean^(c), g_noise^(c)) ≈ −√(S_c/(1+S_c) · S_n/(1+S_n)) (−0.71 at n = 400,
  measured −0.73, for the XOR setting). The residual at t = 0 lies within 0.05 of its f = 1/2
  (binary) or p = 1/K (softmax) value.
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
    regime_seeds: int = 4
    regime_steps: int = 2000
    deltas: tuple[float, ...] = (0.1, 0.2, 0.4)
    delta_seeds: int = 3
    delta_steps: int = 1500
    regime_widths: tuple[int, ...] = (64, 256, 1024)
    num_times: int = 50


PLANS = {
    "quick": Plan(
        seeds=4, k10_seeds=3, xor_steps=2000, sgd_steps=4000, mixture_steps=1000, k10_steps=800,
        widths=(64, 256, 1024), width_steps=300, xor_large_n=4000, k10_large_n=5000,
        n_test=2000, regime_seeds=3, regime_steps=1500, delta_seeds=3, delta_steps=300,
        regime_widths=(64, 128, 256),
    ),
    "full": Plan(
        seeds=10, k10_seeds=8, xor_steps=3000, sgd_steps=6000, mixture_steps=1500,
        k10_steps=1500, widths=(64, 256, 1024, 4096), width_steps=400, xor_large_n=40000,
        k10_large_n=20000, n_test=5000, regime_seeds=10, regime_steps=4000, delta_seeds=8,
        delta_steps=4000,
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


REGIME_N = 2000  # about 300 noisy points per class at δ = 0.3 (premise_segments: S ≈ 30)


def regime_config(
    p: Plan, seeds: int | None = None, m: int = 256, steps: int | None = None,
    noise: float = NOISE,
) -> Config:
    """The mixture setting with n = 2000 · 0.3/δ (n = 2000 at δ = 0.3: the same ≈ 300 noisy
    points per class at every δ): the premises of Assumption 4.1 (early window), the NTK
    premise and Eq. (5)'s segment premise are measured to hold here (found with --quick: worst
    early-window cos(g_clean^(c), g_noise^(c)) ≈ −0.975, drift ≈ 0.07, S ≈ 30)."""
    n = int(round(REGIME_N * NOISE / noise))
    return mixture_config(p, seeds or p.regime_seeds, m=m, steps=steps or p.regime_steps).replace(
        data__n=n, data__noise=noise
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


def regime_runs(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run(regime_config(p, seeds), runtime)


def delta_runs(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    """The regime setting at each noise rate δ in ``p.deltas``, Records ``"delta=<δ>"``."""
    return {
        f"delta={dl:g}": run(
            regime_config(p, seeds or p.delta_seeds, steps=p.delta_steps, noise=dl), runtime
        )
        for dl in p.deltas
    }


def width_regime_runs(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    """The regime setting at each width in ``p.regime_widths`` (as :func:`width_runs`)."""
    return {
        f"m={m}": run(regime_config(p, seeds, m=m, steps=p.width_steps), runtime, angles=False)
        for m in p.regime_widths
    }


RUNS = {
    "xor": xor_runs, "xor_sgd": xor_sgd_runs, "mixture": mixture_runs, "k10": k10_runs,
    "init_n": init_n_runs, "width": width_runs, "regime": regime_runs, "delta": delta_runs,
    "width_regime": width_regime_runs,
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


@experiment("liu2023.regime")
def regime_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return regime_runs(plan(quick), seeds, runtime)


@experiment("liu2023.delta")
def delta_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return delta_runs(plan(quick), seeds, runtime)


@experiment("liu2023.width_regime")
def width_regime_experiment(
    quick: bool, seeds: int | None, runtime: Runtime
) -> dict[str, Record]:
    return width_regime_runs(plan(quick), seeds, runtime)


# --------------------------------------------------------------------------------------------
# Reading the experiments' Records (what the claims and the figures ask for)
# --------------------------------------------------------------------------------------------


def record(runs: Runs, name: str) -> Record:
    """The Record of experiment ``liu2023.<name>`` (xor, xor_sgd, mixture, k10)."""
    return runs.get(f"{PAPER}.{name}")


def init_n(runs: Runs) -> dict[str, Record]:
    """The Records ``"xor"`` and ``"k10"`` of ``liu2023.init_n`` (t = 0, large n)."""
    return runs.get(f"{PAPER}.init_n")


def widths(runs: Runs, name: str = "width") -> dict[int, Record]:
    """The Records of ``liu2023.width`` (or ``liu2023.width_regime``) by width m, in increasing
    m (stored under ``"m=<m>"``)."""
    recs = runs.get(f"{PAPER}.{name}")
    return dict(sorted((int(k.split("=", 1)[1]), v) for k, v in recs.items()))


def deltas(runs: Runs) -> dict[float, Record]:
    """The Records of ``liu2023.delta`` by noise rate δ, increasing (``"delta=<δ>"``)."""
    recs = runs.get(f"{PAPER}.delta")
    return dict(sorted((float(k.split("=", 1)[1]), v) for k, v in recs.items()))


# --------------------------------------------------------------------------------------------
# Measurements on records (also used by the figures)
# --------------------------------------------------------------------------------------------


def noise_rate(rec: Record) -> float:
    return float(rec.config["data"]["noise"])


def curve_bottom(e: np.ndarray, n_test: float) -> tuple[int, int]:
    """(first, last) index of the bottom of one test-error curve ``e``: the contiguous run around
    its smallest value whose error stays within one binomial standard error
    sqrt(e_min (1 − e_min)/n_test) (at least 1/n_test) of the minimum."""
    i = int(np.nanargmin(e))
    tol = max(math.sqrt(e[i] * (1 - e[i]) / n_test), 1.0 / n_test)
    lo = hi = i
    while lo > 0 and e[lo - 1] <= e[i] + tol:
        lo -= 1
    while hi < e.shape[0] - 1 and e[hi + 1] <= e[i] + tol:
        hi += 1
    return lo, hi


def t_star_of_mean(rec: Record) -> float:
    """t* of the seed-averaged clean test-error curve (the curve the figures draw): the
    geometric centre of its bottom (:func:`curve_bottom`). With a bimodal per-seed t* (K = 10:
    an early dip for some seeds, the main minimum for others) this sits at the minimum of the
    plotted curve, where the geometric mean of the per-seed t* need not."""
    e = rec.arrays["errors/test_error_clean"].astype(np.float64).mean(0)
    lo, hi = curve_bottom(e, float(rec.config["data"]["n_test"]))
    t = np.maximum(rec.times.astype(np.float64), 1.0)
    return float(np.sqrt(t[lo] * t[hi]))


def t_cross_of_mean(rec: Record, eps: float = CROSS_EPS) -> float:
    """First probe time at which the seed-averaged pooled ratio is ≤ 1 + eps; NaN if never."""
    ratio = rec.arrays["segments/grad_ratio"].astype(np.float64).mean(0)
    idx = np.flatnonzero(ratio <= 1.0 + eps)
    return float(rec.times[idx[0]]) if idx.size else float("nan")


def bottom_range(rec: Record) -> np.ndarray:
    """[R, 2] probe indices (first, last) of the bottom of the U: the contiguous run of probe
    times around the smallest clean test error whose error stays within one binomial standard
    error, sqrt(e_min (1 − e_min)/n_test) (at least 1/n_test), of the minimum. On a flat bottom
    the argmin alone is decided by test-sampling noise."""
    e = rec.arrays["errors/test_error_clean"].astype(np.float64)
    n_test = float(rec.config["data"]["n_test"])
    out = np.empty((e.shape[0], 2), dtype=np.int64)
    for r in range(e.shape[0]):
        out[r] = curve_bottom(e[r], n_test)
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
    head = ("a=+-1/sqrt(m) fixed" + (", a_m=0 (odd m)" if int(nc["m"]) % 2 else "")
            if nc["second_layer"] == "frei" else
            "a~N(0,1/m) " + ("trained" if nc["train_second_layer"] else "fixed"))
    integ = tc.get("integrator", "gd")  # a GD record has no integrator key (Config.to_dict)
    alg = ("GD" if integ == "gd" else "gradient flow" if integ == "flow"
           else f"GD to step {tc.get('switch')}, then gradient flow")
    if tc["batch_size"] is not None:
        alg = f"SGD batch {tc['batch_size']}"
    text = (
        f"{kind} d={dc['d']} n={dc['n']} sigma2={dc['sigma2']:.3g} delta={dc['noise']:g} "
        f"({dc['noise_model']}, train only) m={nc['m']} {init} {head} {tc['objective']} "
        f"{alg} lr={tc['lr']:g} steps={tc['steps']} n_test={dc['n_test']}"
    )
    return text + (f"; {note}" if note else "")


# --------------------------------------------------------------------------------------------
# Early-window extremes and the measured premises (the regime of each claim)
# --------------------------------------------------------------------------------------------

ANTI_PREMISE = -0.9  # premise_anticollinear: worst early-window cos(g_clean^(c), g_noise^(c))
DRIFT_PREMISE = 0.1  # premise_ntk: 1 − cos(∇h_t, ∇h_0) at the end of the early window
SEGMENT_PREMISE = 10.0  # premise_segments: S = min_c |D_noise^(c)| ρ/(1 − ρ)
RESID_TOL = 0.05  # premise_segments: |residual(0) − its f = 1/2 (p = 1/K) value|


def window_extreme(
    rec: Record, key: str, end: np.ndarray, worst: str = "max"
) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, the worst value over the probe times 0..end[r] (and, for a per-class [R, T, C]
    array, over the classes: per-class extremes, not class averages) and the probe time where
    it occurs: ``worst`` = "max" (largest is worst) or "min". Returns ([R] values, [R] times)."""
    a = rec.arrays[key].astype(np.float64)
    vals, times = np.full(a.shape[0], np.nan), np.full(a.shape[0], np.nan)
    for r in range(a.shape[0]):
        w = a[r, : end[r] + 1]
        w = w.reshape(w.shape[0], -1)
        per_t = np.nanmax(w, -1) if worst == "max" else np.nanmin(w, -1)
        if not np.isfinite(per_t).any():
            continue
        i = int(np.nanargmax(per_t) if worst == "max" else np.nanargmin(per_t))
        vals[r], times[r] = per_t[i], float(rec.times[i])
    return vals, times


def num_classes(rec: Record) -> int:
    return int(rec.config["data"].get("num_classes", 2))


def anticollinear_key(rec: Record) -> str:
    """Per-class clean/noisy cosine of Assumption 4.1: all-parameter segment gradients (binary)
    or, for K classes, the gradients through the true-class logit (Liu's single-logit view)."""
    return "segments/class_cos_clean_noisy" if num_classes(rec) == 2 else "liu/logit_class_cos"


def _missing(key: str) -> str:
    return f"premise not measured: {key} not recorded (not established)"


def _holds_upper(values: np.ndarray, bound: float) -> bool:
    """The 95% interval's upper end is <= ``bound``, over every seed: a seed whose value could
    not be measured (NaN) leaves the premise not established, not decided by the others."""
    from ..stats import mean_ci

    v = np.asarray(values, dtype=np.float64)
    hi = mean_ci(v)[1][1]
    return bool(v.size and np.all(np.isfinite(v)) and np.isfinite(hi) and hi <= bound)


def phase_end(rec: Record) -> np.ndarray:
    """[R] index of the last probe time of the clean-priority phase as Theorem 4.5's claims
    judge it: up to t_× (the last probe time where the ratio never reaches 1 + ε), and at least
    the early window."""
    tx = t_cross(rec)
    end = np.asarray([int(np.flatnonzero(rec.times == tx[r])[0]) if np.isfinite(tx[r])
                      else len(rec.times) - 1 for r in range(rec.seeds)], dtype=np.int64)
    return np.maximum(end, early_end(rec))


def premise_anticollinear(rec: Record, end: np.ndarray | None = None,
                          window: str = "early-window") -> tuple[bool, str, np.ndarray]:
    """Assumption 4.1 over the early window: per seed the worst (largest) cos(g_clean^(c),
    g_noise^(c)) over classes and the probe times t ≤ max(1, t*/2) (or up to the indices
    ``end``, named ``window``); holds when the upper end of its 95% interval over seeds is
    ≤ −0.9. Returns (holds, text, per-seed values)."""
    from ..stats import fmt_mean_ci, fmt_num

    if anticollinear_key(rec) not in rec.arrays:
        return False, _missing(anticollinear_key(rec)), np.full(rec.seeds, np.nan)
    v, t = window_extreme(rec, anticollinear_key(rec),
                          early_end(rec) if end is None else end, "max")
    ok = _holds_upper(v, ANTI_PREMISE)
    text = (f"worst {window} per-class cos(g_C, g_N) = {fmt_mean_ci(v)} (at t "
            f"{fmt_num(float(np.nanmedian(t)))}, median over seeds; premise <= {ANTI_PREMISE:g}: "
            f"{'holds' if ok else 'not established'})")
    return ok, text, v


def premise_ntk(rec: Record, end: np.ndarray | None = None,
                window: str = "the early window") -> tuple[bool, str, np.ndarray]:
    """Infinite-width premise over the early window (or up to the indices ``end``, named
    ``window``): per seed the drift 1 − cos(∇h(w_t; x), ∇h(w_0; x)) at the end of the window
    (it grows with t); holds when the upper end of its 95% interval is ≤ 0.1."""
    from ..stats import fmt_mean_ci

    if "liu/grad_drift" not in rec.arrays:
        return False, _missing("liu/grad_drift"), np.full(rec.seeds, np.nan)
    end = early_end(rec) if end is None else end
    v = rec.arrays["liu/grad_drift"][np.arange(rec.seeds), end].astype(np.float64)
    ok = _holds_upper(v, DRIFT_PREMISE)
    return ok, (f"gradient drift at the end of {window} {fmt_mean_ci(v)} (premise <= "
                f"{DRIFT_PREMISE:g}: {'holds' if ok else 'not established'})"), v


def same_class_cos(rec: Record) -> np.ndarray:
    """[R] mean cosine ρ of the logit gradients of two clean points of the same true class at
    t = 0 (angle probe: ``init/...`` of trained Records, ``liu_angles/...`` of t = 0 Records)."""
    a = rec.arrays
    if "init/mean_cos_logit_same_cc" in a:
        return a["init/mean_cos_logit_same_cc"].astype(np.float64).reshape(-1)
    return a["liu_angles/mean_cos_logit_same_cc"][:, 0].astype(np.float64)


def segment_snr(rec: Record) -> np.ndarray:
    """[R] S = min_c |D_noise^(c)| ρ/(1 − ρ): the mean part of the smallest segment sum against
    its fluctuation (squared norms), :func:`premise_segments`."""
    rho = same_class_cos(rec)
    noisy = rec.arrays["liu/class_count_noisy"][:, 0].astype(np.float64).min(-1)
    return noisy * rho / (1.0 - rho)


def predicted_lln_cos(rec: Record) -> np.ndarray:
    """[R] the cosine of the two segment sums of the smallest class predicted from S_noise and
    S_clean alone [INFERRED]: −√(S_c/(1 + S_c) · S_n/(1 + S_n))."""
    rho = same_class_cos(rec)
    a = rec.arrays
    cls = a["liu/class_count_noisy"][:, 0].astype(np.float64).argmin(-1)
    rows = np.arange(rec.seeds)
    sn = a["liu/class_count_noisy"][rows, 0, cls] * rho / (1 - rho)
    sc = a["liu/class_count_clean"][rows, 0, cls] * rho / (1 - rho)
    return -np.sqrt(sc / (1 + sc) * sn / (1 + sn))


def premise_segments(rec: Record) -> tuple[bool, str, np.ndarray]:
    """Eq. (5)'s premises at t = 0: the law of large numbers over each segment (S ≥ 10, lower
    end of the 95% interval) and f(w_0; x) ≈ 1/2 (binary) or p(w_0; x) ≈ 1/K (softmax): every
    seed's mean residual |∂ℓ/∂h_y| of the clean and of the noisy points at t = 0 within 0.05 of
    1/2 (binary) or 1 − 1/K (softmax, 1 − p_y with the training label)."""
    from ..stats import fmt_mean_ci, mean_ci

    need = ("liu/class_count_noisy", "liu/class_count_clean", "liu/resid_clean", "liu/resid_noisy")
    angle = ("init/mean_cos_logit_same_cc", "liu_angles/mean_cos_logit_same_cc")
    missing = [k for k in need if k not in rec.arrays]
    if not any(k in rec.arrays for k in angle):
        missing.append(angle[0])
    if missing:
        return False, _missing(", ".join(missing)), np.full(rec.seeds, np.nan)
    S = segment_snr(rec)
    lo = mean_ci(S)[1][0]
    K = num_classes(rec)
    target = 0.5 if K == 2 else 1.0 - 1.0 / K
    resid = np.concatenate(
        [rec.arrays["liu/resid_clean"][:, 0], rec.arrays["liu/resid_noisy"][:, 0]]
    )
    res_ok = bool(np.all(np.abs(resid.astype(np.float64) - target) <= RESID_TOL))
    ok = bool(np.all(np.isfinite(S)) and np.isfinite(lo) and lo >= SEGMENT_PREMISE) and res_ok
    text = (f"segment law of large numbers S = min_c |D_noise^(c)| rho/(1-rho) = {fmt_mean_ci(S)} "
            f"(rho = {fmt_mean_ci(same_class_cos(rec))}; premise S >= {SEGMENT_PREMISE:g}; "
            f"predicted cos {fmt_mean_ci(predicted_lln_cos(rec))}); residual at t=0 within "
            f"{RESID_TOL:g} of {target:.3g}: {'yes' if res_ok else 'no'} "
            f"({'holds' if ok else 'not established'})")
    return ok, text, S
