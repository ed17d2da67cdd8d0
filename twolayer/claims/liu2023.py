"""Claims of Liu, Abedsoltan & Belkin (2023), "On Emergence of Clean-Priority Learning in Early
Stopped Neural Networks" (paper card ``liu2023``, section 7 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL] and on reviews of the ICLR 2024
version [SECONDARY]; its ratio predictions are derived in the card [INFERRED]. Each claim keeps
that tag. No setting below comes from the paper (its noise rates, step sizes and widths are
unknown): they are twolayer's [PROPOSAL] choices, found by the search documented in
``docs/papers/liu2023.md``.

Settings (δ = 0.3 i.i.d. label flips on the training set only; clean test set):

- ``xor``: Frei's XOR clusters, d = 50, n = 400, σ² = 0.05 (‖z‖² ≈ 2.5: noisy points can be
  memorised), m = 256, second layer ±1/√m fixed, ω_init² = 0.01/(m d), full-batch GD α = 0.5;
- ``xor_sgd``: the same with minibatch SGD, batch 40;
- ``mixture``: two Gaussian classes with orthonormal means, d = 50, n = 400, σ² = 0.1, m = 256,
  NTK-scaled init ω_init² = 1/d (fixed in m), second layer ±1/√m fixed, GD α = 0.5;
- ``k10``: ten Gaussian classes (orthonormal means), d = 50, n = 500, σ² = 0.05, m = 256,
  softmax, Gaussian second layer N(0, 1/m) trained, ω_init² = 0.01/(m d), GD α = 0.5;
- ``init_n``: the xor and k10 settings at initialisation only, with n ten times larger (full
  mode: 100× for xor, 40× for k10), to separate finite-segment effects from the claims;
- ``width``: the mixture setting for widths m ∈ {64, 256, 1024} (full: + 4096), one batched
  call per width, the same seeds (data) at every width.

Segment gradients are those of the core ``segments`` probe (Liu's sums divided by n: ratios and
cosines unchanged). t* = the early-stopping time, per seed: the geometric centre of the bottom
of the U (the probe times around the smallest clean test error whose error is within one
binomial standard error of it; see :func:`bottom_range`);
t_× = first probe time with ratio_t = ‖g_clean‖/‖g_noise‖ (pooled over classes) ≤ 1 + ε,
ε = 0.05 (the ratio approaches 1 from above and often never goes below 1: see the docs);
the early window is the probe times t ≤ max(1, t*/2).

Verdict rules (thresholds are [PROPOSAL], fixed before looking at results; the card gives the
10 % and −0.9 values): a per-seed statistic, its mean and Student-t 95% CI over seeds; "holds"
if the CI lies on the predicted side (or inside the predicted interval), "fails" if it lies
wholly on the other side (outside), "inconclusive" otherwise. Claims whose setting violates the
premise the statement rests on (segments too small for Eq. (5)'s |D|·E[·] factorisation), and the
K = 10 variants of the binary Theorems 4.4–4.5 (Section 5 states no multi-class theorem), are
registered with ``in_regime=False``: reported, but not counted in the exit status.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from ..engine import Runtime, probe_times, train
from ..probes.liu import predicted_init_ratio_binary, predicted_init_ratio_multiclass
from ..record import Record
from ..simulate import build_record, setup
from .base import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    Experiments,
    claim,
    combine,
    compare,
    experiment,
    interval_outcome,
    mean_ci,
)
from .base import verdict as make_verdict

PAPER = "liu2023"
NOISE = 0.3  # δ, the training-label noise rate of every setting
MIN_EFFECT = 0.05  # fall and rise of the U-shape: > 5 binomial s.e. of a test error (n_test ≥ 2000)
RATIO_TOL = 0.10  # |measured/predicted − 1| ≤ 10 % (card, claim 2)
ANTI_COS = -0.9  # cos(g_clean, g_noise) ≤ −0.9 (card, claim 2)
COS_TRUE_MIN = 0.9  # cos(g, ĝ) ≥ 0.9 ("near 1")
MONOTONE_MIN = 0.95  # share of probe intervals with α increasing
CROSS_EPS = 0.05  # t_× = first t with ratio_t ≤ 1 + ε
NEAR, FAR = 3.0, 10.0  # t_×/t* within a factor 3: holds; beyond a factor 10: fails (card)

MAIN_PROBES = ("errors", "segments", "liu")
INIT_PROBES = ("segments", "liu", "liu_angles")

FIG_U = "liu2023-fig1"
FIG_RATIO = "liu2023-ratio"
FIG_SEGMENTS = "liu2023-segments"
FIG_ANGLES = "liu2023-angles"
FIG_WIDTH = "liu2023-width"


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


# smoke-test settings of `twolayer figures --quick` (not used by `twolayer check`)
PLANS["tiny"] = Plan(
    seeds=2, k10_seeds=2, xor_steps=400, sgd_steps=800, mixture_steps=250, k10_steps=250,
    widths=(32, 128), width_steps=150, xor_large_n=1200, k10_large_n=1500, n_test=500,
    num_times=25,
)


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
        init = train(
            params, data, dataclasses.replace(cfg.train, steps=0), [0], ("liu_angles",),
            runtime, cfg.run_seeds,
        )
        extra = {f"init/{k.split('/', 1)[1]}": v[:, 0] for k, v in init.arrays.items()}
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


def width_runs(p: Plan, seeds: int | None, runtime: Runtime) -> dict[int, Record]:
    """The mixture setting at each width (one batched call per m; run r has seed r at every m,
    so the data are shared across widths)."""
    return {
        m: run(mixture_config(p, seeds, m=m, steps=p.width_steps), runtime, angles=False)
        for m in p.widths
    }


RUNS = {
    "xor": xor_runs, "xor_sgd": xor_sgd_runs, "mixture": mixture_runs, "k10": k10_runs,
    "init_n": init_n_runs, "width": width_runs,
}
for _name, _fn in RUNS.items():
    experiment(f"liu2023.{_name}")(
        lambda quick, seeds, runtime, _fn=_fn: _fn(plan(quick), seeds, runtime)
    )


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
    K = int(rec.config["data"]["num_classes"])
    inv = 1.0 / rec.arrays[key][:, 0].astype(np.float64)
    pred = rec.arrays["liu/class_count_noisy"][:, 0] / (
        rec.arrays["liu/class_count_clean"][:, 0] * (K - 1)
    )
    return np.nanmean(inv / pred - 1.0, axis=-1)


# --------------------------------------------------------------------------------------------
# Verdict helpers and setting text
# --------------------------------------------------------------------------------------------


def _num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "nan"
    return f"{x:.3g}"


def _mci(values: Sequence[float] | np.ndarray) -> str:
    m, (lo, hi) = mean_ci(values)
    return f"{_num(m)} [{_num(lo)}, {_num(hi)}]"


def setting_text(rec: Record, note: str = "") -> str:
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    if dc["kind"] == "xor":
        kind = "XOR clusters"
    elif dc["num_classes"] == 2:
        kind = "2-class Gaussian mixture"
    else:
        kind = f"{dc['num_classes']}-class Gaussian clusters"
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


def _rec(exps: Experiments, name: str) -> Record:
    return exps.get(f"liu2023.{name}")


# --------------------------------------------------------------------------------------------
# Claim 1: U-shaped clean test error, minimum below the noise level (Fig. 1)
# --------------------------------------------------------------------------------------------

U_STATEMENT = (
    "With a fraction delta of training labels corrupted (clean test set), the clean test error "
    "of {what} falls, reaches its minimum at t*, then rises as noisy points are fitted; the "
    "minimum is below delta."
)


def _u_shape(cid: str, rec: Record) -> object:
    s = u_shape_stats(rec)
    delta = noise_rate(rec)
    m_min, ci_min = mean_ci(s["emin"])
    outcome = combine(
        compare(ci_min, delta, "<="),
        compare(mean_ci(s["fall"])[1], MIN_EFFECT, ">="),
        compare(mean_ci(s["rise"])[1], MIN_EFFECT, ">="),
    )
    fit = rec.arrays["errors/noisy_fit_fraction"][:, -1]
    b = bottom_range(rec)
    detail = (
        f"min clean test error {_mci(s['emin'])} at t* {_mci(s['t_star'])} (bottom of the U "
        f"from t {_mci(rec.times[b[:, 0]])} to {_mci(rec.times[b[:, 1]])}; argmin "
        f"{_mci(t_argmin(rec))}); "
        f"at t=0 {_mci(s['e0'])}; at the end {_mci(s['eT'])}; fall {_mci(s['fall'])}, "
        f"rise {_mci(s['rise'])} (each must be >= {MIN_EFFECT}); noisy training points fitted "
        f"at the end {_mci(fit)}; clean training subset error at the end "
        f"{_mci(rec.arrays['errors/train_error_clean'][:, -1])}"
    )
    return make_verdict(
        cid, outcome, m_min,
        f"min_t clean test error < delta = {delta:g}; fall and rise >= {MIN_EFFECT}",
        ci_min, rec.seeds, setting_text(rec), detail, FIG_U,
    )


@claim("liu2023.fig1.u_shape.xor", U_STATEMENT.format(what="full-batch GD on the XOR clusters"),
       "Fig. 1, abstract", "[PAPER-PARTIAL]")
def check_u_xor(exps: Experiments):
    return _u_shape("liu2023.fig1.u_shape.xor", _rec(exps, "xor"))


@claim("liu2023.fig1.u_shape.xor_sgd", U_STATEMENT.format(what="minibatch SGD on the XOR clusters"),
       "Fig. 1, Remark 4.3", "[PAPER-PARTIAL]")
def check_u_xor_sgd(exps: Experiments):
    return _u_shape("liu2023.fig1.u_shape.xor_sgd", _rec(exps, "xor_sgd"))


@claim("liu2023.fig1.u_shape.mixture",
       U_STATEMENT.format(what="full-batch GD on a two-class Gaussian mixture"),
       "Fig. 1, abstract", "[PAPER-PARTIAL]")
def check_u_mixture(exps: Experiments):
    return _u_shape("liu2023.fig1.u_shape.mixture", _rec(exps, "mixture"))


@claim("liu2023.fig1.u_shape.k10",
       U_STATEMENT.format(what="full-batch GD (softmax) on ten Gaussian classes"),
       "Fig. 1 (MNIST-10 analogue), Section 5", "[PAPER-PARTIAL]")
def check_u_k10(exps: Experiments):
    return _u_shape("liu2023.fig1.u_shape.k10", _rec(exps, "k10"))


# --------------------------------------------------------------------------------------------
# Claim 2: initial configuration (Eq. (5), Assumption 4.1, Section 5)
# --------------------------------------------------------------------------------------------

RATIO_BIN_STATEMENT = (
    "At initialisation ||g_clean^(c)|| / ||g_noise^(c)|| = |D_clean^(c)| / |D_noise^(c)| "
    "~ (1 - delta)/delta for each class c (binary, Eq. (5): g_k = |D_k| E[f - y] E[grad h])."
)
RATIO_K_STATEMENT = (
    "At initialisation, for the gradient through the true-class logit c, ||g_noise^(c)|| / "
    "||g_clean^(c)|| ~ delta / ((1 - delta)(K - 1)) (softmax outputs ~ 1/K: clean residual "
    "1/K - 1, noisy residual 1/K)."
)
ANTI_STATEMENT = (
    "At initialisation the clean and noisy segment gradients of each class are nearly opposite: "
    "cos(g_clean^(c), g_noise^(c)) ~ -1 (Assumption 4.1 at t = 0)."
)


def _ratio_binary(cid: str, rec: Record, note: str) -> object:
    dev = init_ratio_deviation_binary(rec)
    m, ci = mean_ci(dev)
    outcome = interval_outcome(ci, -RATIO_TOL, RATIO_TOL)
    delta = noise_rate(rec)
    ratio = class_mean_at(rec, "segments/class_ratio")
    cos = class_mean_at(rec, "segments/class_cos_clean_noisy")
    noisy = rec.arrays["liu/class_count_noisy"][:, 0].mean(-1)
    detail = (
        f"per-class ratio at t=0 {_mci(ratio)} vs (1-delta)/delta = "
        f"{_num(predicted_init_ratio_binary(delta))} and vs the realised counts (relative "
        f"deviation {_mci(dev)}); pooled ratio {_mci(rec.arrays['segments/grad_ratio'][:, 0])}; "
        f"cos(g_clean^(c), g_noise^(c)) {_mci(cos)}; noisy points per class {_mci(noisy)}; "
        f"residual |f - y| at t=0: clean {_mci(rec.arrays['liu/resid_clean'][:, 0])}, noisy "
        f"{_mci(rec.arrays['liu/resid_noisy'][:, 0])}. {note}"
    )
    return make_verdict(
        cid, outcome, m, f"|ratio / (|D_clean|/|D_noise|) - 1| <= {RATIO_TOL:g}", ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


def _ratio_multiclass(cid: str, rec: Record, note: str) -> object:
    dev = init_ratio_deviation_multiclass(rec)
    m, ci = mean_ci(dev)
    outcome = interval_outcome(ci, -RATIO_TOL, RATIO_TOL)
    delta, K = noise_rate(rec), int(rec.config["data"]["num_classes"])
    inv = 1.0 / rec.arrays["liu/logit_class_ratio"][:, 0]
    inv_all = 1.0 / rec.arrays["segments/class_ratio"][:, 0]
    dev_all = init_ratio_deviation_multiclass(rec, "segments/class_ratio")
    cos_logit = class_mean_at(rec, "liu/logit_class_cos")
    cos_all = class_mean_at(rec, "segments/class_cos_clean_noisy")
    detail = (
        f"true-class logit: noisy/clean at t=0 {_mci(np.nanmean(inv, -1))} vs "
        f"delta/((1-delta)(K-1)) = {_num(predicted_init_ratio_multiclass(delta, K))} (relative "
        f"deviation from the realised counts {_mci(dev)}), cos {_mci(cos_logit)}; "
        f"all logits (full gradient): noisy/clean {_mci(np.nanmean(inv_all, -1))} (relative "
        f"deviation {_mci(dev_all)}), cos {_mci(cos_all)}; "
        f"noisy points per class {_mci(rec.arrays['liu/class_count_noisy'][:, 0].mean(-1))}. {note}"
    )
    return make_verdict(
        cid, outcome, m,
        f"|(noisy/clean) / (|D_noise|/(|D_clean|(K-1))) - 1| <= {RATIO_TOL:g} (true-class logit)",
        ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


def _anticollinear(cid: str, rec: Record, note: str) -> object:
    cos = class_mean_at(rec, "segments/class_cos_clean_noisy")
    m, ci = mean_ci(cos)
    outcome = compare(ci, ANTI_COS, "<=")
    detail = (
        f"per-class cos(g_clean^(c), g_noise^(c)) at t=0 {_mci(cos)}; pooled "
        f"{_mci(rec.arrays['segments/cos_clean_noisy'][:, 0])}; noisy points per class "
        f"{_mci(rec.arrays['liu/class_count_noisy'][:, 0].mean(-1))}. {note}"
    )
    return make_verdict(
        cid, outcome, m, f"cos <= {ANTI_COS:g}", ci, rec.seeds,
        setting_text(rec, "t = 0 only" if rec.config["train"]["steps"] == 0 else ""), detail,
        FIG_RATIO,
    )


SMALL_N_NOTE = (
    "Setting of the U-shape: about 60 noisy points per class, too few for Eq. (5)'s "
    "|D| E[...] factorisation (premise violated, hence outside the regime)."
)
LARGE_N_NOTE = "Same distribution as the U-shape setting, n ten times (or more) larger."


@claim("liu2023.eq5.init_ratio.xor", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]",
       in_regime=False)
def check_ratio_xor(exps: Experiments):
    return _ratio_binary("liu2023.eq5.init_ratio.xor", _rec(exps, "xor"), SMALL_N_NOTE)


@claim("liu2023.eq5.init_ratio.xor_large_n", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_xor_large(exps: Experiments):
    return _ratio_binary(
        "liu2023.eq5.init_ratio.xor_large_n", _rec(exps, "init_n")["xor"], LARGE_N_NOTE
    )


@claim("liu2023.sec5.init_ratio.k10", RATIO_K_STATEMENT, "Section 5", "[INFERRED]",
       in_regime=False)
def check_ratio_k10(exps: Experiments):
    return _ratio_multiclass(
        "liu2023.sec5.init_ratio.k10", _rec(exps, "k10"),
        "Setting of the U-shape (about 15 noisy points per class: premise violated).",
    )


@claim("liu2023.sec5.init_ratio.k10_large_n", RATIO_K_STATEMENT, "Section 5", "[INFERRED]")
def check_ratio_k10_large(exps: Experiments):
    return _ratio_multiclass(
        "liu2023.sec5.init_ratio.k10_large_n", _rec(exps, "init_n")["k10"], LARGE_N_NOTE
    )


@claim("liu2023.asm41.init_anticollinear.xor", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]", in_regime=False)
def check_anti_xor(exps: Experiments):
    return _anticollinear("liu2023.asm41.init_anticollinear.xor", _rec(exps, "xor"), SMALL_N_NOTE)


@claim("liu2023.asm41.init_anticollinear.xor_large_n", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]")
def check_anti_xor_large(exps: Experiments):
    return _anticollinear(
        "liu2023.asm41.init_anticollinear.xor_large_n", _rec(exps, "init_n")["xor"], LARGE_N_NOTE
    )


# --------------------------------------------------------------------------------------------
# Claim 3: early phase, clean loss down and noisy loss up (Theorem 4.4)
# --------------------------------------------------------------------------------------------

LOSS_STATEMENT = (
    "Early in training ({what}) the clean-segment loss decreases and the noisy-segment loss, "
    "measured with the corrupted training labels, increases."
)


def _early_losses(cid: str, rec: Record) -> object:
    end = early_end(rec)
    rows = np.arange(rec.seeds)
    lc, ln = rec.arrays["errors/loss_clean"], rec.arrays["errors/loss_noisy"]
    d_clean = lc[rows, end] - lc[:, 0]
    d_noisy = ln[rows, end] - ln[:, 0]
    m, ci = mean_ci(d_noisy)
    outcome = combine(compare(ci, 0.0, ">="), compare(mean_ci(d_clean)[1], 0.0, "<="))
    if outcome == HOLDS and (ci[0] == 0.0 or mean_ci(d_clean)[1][1] == 0.0):
        outcome = INCONCLUSIVE  # a zero change is not an increase
    one_c, one_n = lc[:, 1] - lc[:, 0], ln[:, 1] - ln[:, 0]
    peak = rec.times[ln.argmax(axis=1)].astype(np.float64)
    detail = (
        f"window t <= t*/2 = {_mci(rec.times[end].astype(np.float64))}: change of the clean "
        f"loss {_mci(d_clean)}, of the noisy loss {_mci(d_noisy)}; first GD step: clean "
        f"{_mci(one_c)}, noisy {_mci(one_n)} (increase in {int((one_n > 0).sum())} of "
        f"{rec.seeds} seeds); noisy loss peaks at t {_mci(peak)} (t* {_mci(t_star(rec))}); "
        f"residuals at the end of the window: clean "
        f"{_mci(rec.arrays['liu/resid_clean'][rows, end])}, noisy "
        f"{_mci(rec.arrays['liu/resid_noisy'][rows, end])} (t=0: "
        f"{_mci(rec.arrays['liu/resid_clean'][:, 0])}, {_mci(rec.arrays['liu/resid_noisy'][:, 0])})"
    )
    return make_verdict(
        cid, outcome, m,
        "L_noisy(t_w) - L_noisy(0) > 0 and L_clean(t_w) - L_clean(0) < 0, t_w = t*/2",
        ci, rec.seeds, setting_text(rec), detail, FIG_SEGMENTS,
    )


@claim("liu2023.thm44.early_losses.xor", LOSS_STATEMENT.format(what="GD, XOR clusters"),
       "Theorem 4.4, Figs. 5/7", "[SECONDARY]")
def check_losses_xor(exps: Experiments):
    return _early_losses("liu2023.thm44.early_losses.xor", _rec(exps, "xor"))


@claim("liu2023.thm44.early_losses.mixture",
       LOSS_STATEMENT.format(what="GD, Gaussian mixture"), "Theorem 4.4, Figs. 5/7", "[SECONDARY]")
def check_losses_mixture(exps: Experiments):
    return _early_losses("liu2023.thm44.early_losses.mixture", _rec(exps, "mixture"))


@claim("liu2023.thm44.early_losses.k10", LOSS_STATEMENT.format(what="GD, softmax, K = 10"),
       "Theorem 4.4, Section 5, Figs. 5/7", "[SECONDARY]", in_regime=False)
def check_losses_k10(exps: Experiments):
    return _early_losses("liu2023.thm44.early_losses.k10", _rec(exps, "k10"))


# --------------------------------------------------------------------------------------------
# Claim 4: α_t increases; clean priority ends (ratio ≈ 1) near t* (Theorem 4.5, Figs. 6/8)
# --------------------------------------------------------------------------------------------

MONO_STATEMENT = (
    "alpha_t = ||g_noise|| / ||g_clean|| increases monotonically during clean-priority learning "
    "({what})."
)
CROSS_STATEMENT = (
    "Clean-priority learning ends when ||g_clean|| / ||g_noise|| has fallen to ~1, and this "
    "happens near the early-stopping point t* of the U-shaped test error ({what})."
)


def _monotone(cid: str, rec: Record) -> object:
    share = alpha_monotone_share(rec)
    m, ci = mean_ci(share)
    outcome = compare(ci, MONOTONE_MIN, ">=")
    alpha = 1.0 / rec.arrays["segments/grad_ratio"]
    dense = rec.times <= 10
    early_share = (np.diff(alpha[:, dense], axis=1) > 0).mean(axis=1)
    tx = t_cross(rec)
    detail = (
        f"share of increasing probe intervals up to t_x {_mci(share)} (probe grid: every step "
        f"to t=10, then {rec.config['probe']['num_times']} log-spaced times); in the first 10 "
        f"steps alone {_mci(early_share)}; alpha at t=0 {_mci(alpha[:, 0])}, at the end "
        f"{_mci(alpha[:, -1])}; ratio reached 1+{CROSS_EPS:g} in "
        f"{int(np.isfinite(tx).sum())} of {rec.seeds} seeds; per class, true-class-logit "
        f"gradients: share {_mci(class_alpha_monotone_share(rec))}"
    )
    return make_verdict(
        cid, outcome, m, f"share of probe intervals with alpha increasing >= {MONOTONE_MIN:g}",
        ci, rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


def _crossing(cid: str, rec: Record) -> object:
    ts, tx = t_star(rec), t_cross(rec)
    never = ~np.isfinite(tx)
    T = float(rec.times[-1])
    # a seed whose ratio never reaches 1 + ε: t_× > T, so log(T/t*) is a lower bound
    lg = np.log10(np.where(never, T, tx) / np.maximum(ts, 1.0))
    m, ci = mean_ci(lg)
    outcome = interval_outcome(ci, -math.log10(FAR), math.log10(FAR))
    if outcome != FAILS:  # within a factor 10 or straddling it
        near = interval_outcome(ci, -math.log10(NEAR), math.log10(NEAR))
        outcome = HOLDS if near == HOLDS and not never.any() else INCONCLUSIVE
    t1 = t_cross(rec, 0.0)
    ratio_star = rec.arrays["segments/grad_ratio"][np.arange(rec.seeds), t_star_index(rec)]
    detail = (
        f"t* {_mci(ts)}; t_x (ratio <= 1+{CROSS_EPS:g}) {_mci(tx)}"
        + (f" ({int(never.sum())} seeds never reach it: T used as a lower bound)"
           * int(never.any()))
        + f"; t_x/t* geometric mean {_num(10**m)} (CI {_num(10**ci[0])}..{_num(10**ci[1])}); "
        f"ratio <= 1 exactly in {int(np.isfinite(t1).sum())} of {rec.seeds} seeds"
        + (f" (t {_mci(t1)})" if np.isfinite(t1).any() else "")
        + f"; ratio at t* {_mci(ratio_star)}"
    )
    return make_verdict(
        cid, outcome, 10**m,
        f"t_x / t* within a factor {NEAR:g} (holds); beyond a factor {FAR:g} (fails)",
        (10 ** ci[0], 10 ** ci[1]), rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


for _name, _what in (("xor", "GD, XOR clusters"), ("mixture", "GD, Gaussian mixture"),
                     ("k10", "GD, softmax, K = 10")):

    def _mono_check(exps: Experiments, _name: str = _name) -> object:
        return _monotone(f"liu2023.thm45.alpha_monotone.{_name}", _rec(exps, _name))

    def _cross_check(exps: Experiments, _name: str = _name) -> object:
        return _crossing(f"liu2023.thm45.crossing_near_tstar.{_name}", _rec(exps, _name))

    # Theorems 4.4-4.5 are binary; Section 5 only expects similar dynamics for K classes
    claim(f"liu2023.thm45.alpha_monotone.{_name}", MONO_STATEMENT.format(what=_what),
          "Theorem 4.5", "[SECONDARY]", in_regime=_name != "k10")(_mono_check)
    claim(f"liu2023.thm45.crossing_near_tstar.{_name}", CROSS_STATEMENT.format(what=_what),
          "Theorem 4.5, Figs. 6/8", "[SECONDARY]", in_regime=_name != "k10")(_cross_check)


# --------------------------------------------------------------------------------------------
# Claim 5: early updates follow the true-label gradient (Lemma 4.2)
# --------------------------------------------------------------------------------------------

COS_STATEMENT = (
    "Early updates follow the true-label gradient: cos(g, g_hat) ~ 1, g the full-batch gradient "
    "with the training labels, g_hat with the true labels."
)
RATE_STATEMENT = (
    "A GD step on the noisy labels equals a GD step on the true labels with step "
    "eta (1 - alpha_t)/(1 + alpha_t); the deviation from this (|kappa_t - (1-alpha_t)/(1+alpha_t)|,"
    " kappa_t = <g, g_hat>/||g_hat||^2) shrinks as the width m grows (infinite-width premise)."
)


@claim("liu2023.lem42.cos_true_gradient.xor", COS_STATEMENT, "Lemma 4.2, abstract claim 1",
       "[SECONDARY]", in_regime=False)
def check_cos_xor(exps: Experiments):
    rec = _rec(exps, "xor")
    end = early_end(rec)
    cos = window_mean(rec, "segments/cos_g_true", end)
    m, ci = mean_ci(cos)
    outcome = compare(ci, COS_TRUE_MIN, ">=")
    detail = (
        f"mean over the window t <= t*/2 {_mci(cos)}; at t=0 "
        f"{_mci(rec.arrays['segments/cos_g_true'][:, 0])}; cos(g, g_clean) over the window "
        f"{_mci(window_mean(rec, 'segments/cos_g_clean', end))}. {SMALL_N_NOTE}"
    )
    return make_verdict(
        "liu2023.lem42.cos_true_gradient.xor", outcome, m, f"cos(g, g_hat) >= {COS_TRUE_MIN:g}",
        ci, rec.seeds, setting_text(rec), detail, FIG_RATIO,
    )


@claim("liu2023.lem42.cos_true_gradient.xor_large_n", COS_STATEMENT,
       "Lemma 4.2, abstract claim 1", "[SECONDARY]")
def check_cos_xor_large(exps: Experiments):
    rec = _rec(exps, "init_n")["xor"]
    cos = rec.arrays["segments/cos_g_true"][:, 0]
    m, ci = mean_ci(cos)
    outcome = compare(ci, COS_TRUE_MIN, ">=")
    kappa, rate = rec.arrays["segments/kappa"][:, 0], rec.arrays["liu/lemma_rate"][:, 0]
    detail = (
        f"at t=0 (n = {rec.config['data']['n']}); kappa {_mci(kappa)} vs (1-alpha)/(1+alpha) "
        f"{_mci(rate)}; relative error of the rescaled true-label step "
        f"{_mci(rec.arrays['liu/lemma_rel_error'][:, 0])}. {LARGE_N_NOTE}"
    )
    return make_verdict(
        "liu2023.lem42.cos_true_gradient.xor_large_n", outcome, m,
        f"cos(g, g_hat) >= {COS_TRUE_MIN:g} at t = 0", ci, rec.seeds,
        setting_text(rec, "t = 0 only"), detail, FIG_RATIO,
    )


def rate_error(rec: Record) -> np.ndarray:
    """[R] mean over the early window of |κ_t − (1 − α_t)/(1 + α_t)| (α pooled)."""
    end = early_end(rec)
    err = np.abs(rec.arrays["segments/kappa"] - rec.arrays["liu/lemma_rate"])
    return np.asarray([err[r, : end[r] + 1].mean() for r in range(err.shape[0])])


def log_slope(x: Sequence[float], y: Sequence[float]) -> float:
    lx, ly = np.log(np.asarray(x, dtype=np.float64)), np.log(np.asarray(y, dtype=np.float64))
    lx = lx - lx.mean()
    return float((lx * (ly - ly.mean())).sum() / (lx * lx).sum())


@claim("liu2023.lem42.rate_factor_width", RATE_STATEMENT, "Lemma 4.2 (Eq. 7), NTK premise",
       "[SECONDARY]")
def check_rate_width(exps: Experiments):
    recs = _rec(exps, "width")
    ms = sorted(recs)
    errs = np.stack([rate_error(recs[m]) for m in ms])  # [M, R]
    rel = np.stack([window_mean(recs[m], "liu/lemma_rel_error", early_end(recs[m])) for m in ms])
    cos = np.stack([window_mean(recs[m], "segments/cos_g_true", early_end(recs[m])) for m in ms])
    slopes = [log_slope(ms, errs[:, r]) for r in range(errs.shape[1])]
    s, ci = mean_ci(slopes)
    outcome = compare(ci, 0.0, "<=")
    if outcome == HOLDS and ci[1] == 0.0:
        outcome = INCONCLUSIVE
    per_m = "; ".join(
        f"m={m}: |kappa - rate| {_mci(errs[i])}, ||g - rate g_hat||/||rate g_hat|| "
        f"{_mci(rel[i])}, cos(g, g_hat) {_mci(cos[i])}"
        for i, m in enumerate(ms)
    )
    detail = f"slope of log |kappa - rate| vs log m {_mci(slopes)} (window t <= t*/2); {per_m}"
    return make_verdict(
        "liu2023.lem42.rate_factor_width", outcome, s,
        "slope of log |kappa - (1-alpha)/(1+alpha)| vs log m < 0", ci, recs[ms[0]].seeds,
        setting_text(recs[ms[0]], "m in {" + ", ".join(map(str, ms)) + "}"), detail, FIG_WIDTH,
    )


DRIFT_STATEMENT = (
    "In the infinite-width limit the sample-wise gradients keep their directions during training, "
    "grad h(w_t; x) = grad h(w_0; x) (the premise of the analysis, cited from Liu et al. 2020): "
    "their drift from initialisation up to t* shrinks as the width m grows."
)


@claim("liu2023.ntk.gradient_drift_width", DRIFT_STATEMENT, "Section 2 (NTK premise)",
       "[SECONDARY]")
def check_drift_width(exps: Experiments):
    recs = _rec(exps, "width")
    ms = sorted(recs)
    drift = np.stack([
        recs[m].arrays["liu/grad_drift"][np.arange(recs[m].seeds), t_star_index(recs[m])]
        for m in ms
    ])  # [M, R]
    slopes = [log_slope(ms, drift[:, r]) for r in range(drift.shape[1])]
    s, ci = mean_ci(slopes)
    outcome = compare(ci, 0.0, "<=")
    if outcome == HOLDS and ci[1] == 0.0:
        outcome = INCONCLUSIVE
    per_m = "; ".join(
        f"m={m}: 1 - cos(grad h_t, grad h_0) at t* {_mci(drift[i])} (t* {_mci(t_star(recs[m]))})"
        for i, m in enumerate(ms)
    )
    detail = (
        f"slope of log drift vs log m {_mci(slopes)} (lazy-training scaling predicts about "
        f"-0.5 [INFERRED]); {per_m}"
    )
    return make_verdict(
        "liu2023.ntk.gradient_drift_width", outcome, s, "slope of log drift vs log m < 0", ci,
        recs[ms[0]].seeds,
        setting_text(recs[ms[0]], "m in {" + ", ".join(map(str, ms)) + "}"), detail, FIG_WIDTH,
    )


# --------------------------------------------------------------------------------------------
# Sample-wise gradients at initialisation (ICLR introduction, Theorem 3.1, Fig. 4)
# --------------------------------------------------------------------------------------------

ANGLE_STATEMENT = (
    "At initialisation, sample-wise gradients (of the logit, label-free) of samples from the same "
    "true class point in closer directions than those of samples from different classes "
    "({what})."
)


def _angles(cid: str, rec: Record) -> object:
    a = rec.arrays
    same, diff = a["init/mean_cos_logit_same_cc"], a["init/mean_cos_logit_diff_cc"]
    gap = same - diff
    m, ci = mean_ci(gap)
    outcome = compare(ci, 0.0, ">=")
    if outcome == HOLDS and ci[0] == 0.0:
        outcome = INCONCLUSIVE
    detail = (
        f"mean cos of logit gradients, clean pairs: same class {_mci(same)}, different class "
        f"{_mci(diff)}; loss gradients (training labels): same class clean-clean "
        f"{_mci(a['init/mean_cos_loss_same_cc'])}, clean-noisy "
        f"{_mci(a['init/mean_cos_loss_same_cn'])}, different class clean-clean "
        f"{_mci(a['init/mean_cos_loss_diff_cc'])}, clean-noisy "
        f"{_mci(a['init/mean_cos_loss_diff_cn'])}; pairs per seed (same / different class, "
        f"clean): {_num(a['init/pairs_logit_same_cc'].mean())} / "
        f"{_num(a['init/pairs_logit_diff_cc'].mean())}"
    )
    return make_verdict(
        cid, outcome, m, "mean cos(same class) - mean cos(different class) > 0", ci, rec.seeds,
        setting_text(rec, "t = 0"), detail, FIG_ANGLES,
    )


for _name, _what in (("xor", "XOR clusters"), ("mixture", "Gaussian mixture"),
                     ("k10", "K = 10, true-class logit")):

    def _angle_check(exps: Experiments, _name: str = _name) -> object:
        return _angles(f"liu2023.intro.same_class_closer.{_name}", _rec(exps, _name))

    claim(f"liu2023.intro.same_class_closer.{_name}", ANGLE_STATEMENT.format(what=_what),
          "ICLR introduction, Theorem 3.1, Fig. 4", "[PAPER-PARTIAL]")(_angle_check)
