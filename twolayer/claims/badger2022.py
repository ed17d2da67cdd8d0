"""Claims of Badger (2022), "Why Deep Learning Generalizes" (paper card ``badger2022``).

The card rests on the abstract only [PAPER-PARTIAL]; the objectives, the noise procedure and the
logged numbers come from the author's public code and data [SECONDARY]; the stability claim's
measurement is [INFERRED]. Settings are twolayer's [PROPOSAL] analogue of the card's §5:

- data (:mod:`twolayer.data.badger`): K = 10 Gaussian clusters in d = 30, μ_c ~ N(0, 0.36 I),
  s = μ_y + N(0, I); input-noise mixing x̃ = f s + (1 − f) ξ, ξ ~ N(0, 1.36 I) fixed per example;
  three disjoint sets of n points (train T, ascended A, hold-out H);
- network: m ReLU neurons with bias, W ~ N(0, 1/d), trained second layer a ~ N(0, 1/m), K
  logits, softmax cross-entropy;
- objectives (:mod:`twolayer.objectives`), minibatch SGD as in the author's code: each step
  pairs a minibatch B_T of T with a minibatch B_A of A; memorise = mean CE on B_T minus g_e · mean
  CE on B_A, the gate g_e = 1[Acc_A > τ] evaluated on the whole of A at the start of each epoch
  (τ = 1/K + 0.01, the author's 0.11 at K = 10; target gates τ ∈ {0.25, 0.5, 0.75}; ungated
  τ = −∞); normal = the same paired minibatches with g ≡ 0 (gate "never"), so normal and memorise
  runs see the same T minibatches. Claim 3 uses plain minibatch SGD on T (normal training).

Verdict rules ([PROPOSAL], fixed before the runs): per-seed statistics, their mean and Student-t
95% CI over seeds; "holds" if the CI lies on the predicted side, "fails" if wholly on the other
side, "inconclusive" otherwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import NetConfig, TrainConfig
from ..data import badger as bdata
from ..engine import Runtime, probe_times, train
from ..errors import DivergenceError
from ..net import init_params
from ..objectives import Memorise
from .base import FAILS, HOLDS, INCONCLUSIVE, Experiments, claim, experiment, mean_ci
from .base import verdict as make_verdict

PAPER = "badger2022"
K = 10
D = 30
CHANCE = 1.0 / K
TIE = 0.02  # claim 2: a fall of the memorise train accuracy by ≤ 0.02 with more noise is a tie
MATCH_ACC = 0.9  # claim 4: compare sensitivities when the train accuracy first reaches 0.9
MATCH_F = 0.25  # claim 4: the primary fraction (card pilot: both objectives reach ≈ 0.9 there)
FALLBACK_LEVELS = (0.8, 0.7, 0.6, 0.5)  # claim 4: reported (not judged) if 0.9 is never reached
TARGETS = (0.25, 0.5, 0.75)  # claim C2′: target-accuracy gates (the author's 20-85% runs)
NEAR = 0.05  # claim 5: hold-out within 0.05 of normal training's counts as "recovered"

FIG_CURVES = "badger2022-curves"
FIG_NOISE = "badger2022-noise"
FIG_SIZES = "badger2022-sizes"
FIG_JACOBIAN = "badger2022-jacobian"
FIG_SWITCH = "badger2022-switch"
FIG_GATES = "badger2022-gates"


@dataclass(frozen=True)
class Plan:
    seeds: int
    fractions: tuple[float, ...]
    n: int  # points per set (train, ascended, hold-out)
    m: int
    lr: float  # SGD learning rate of the objectives (claims 1, 2, 4, 5, C2′)
    batch: int  # minibatch per set: each step B points of T and B of A
    epochs: int
    num_times: int
    sizes: tuple[int, ...]  # claim 3: training-set sizes N
    size_batch: int
    size_epochs: int
    size_holdout: int
    size_lr: float = 0.1

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


PLANS = {
    "quick": Plan(seeds=5, fractions=(1.0, 0.5, 0.25, 0.0), n=250, m=128, lr=0.01, batch=25,
                  epochs=300, num_times=20, sizes=(200, 400, 800), size_batch=40, size_epochs=30,
                  size_holdout=500),
    "full": Plan(seeds=5, fractions=(1.0, 0.75, 0.5, 0.25, 0.1, 0.0), n=1000, m=256, lr=0.01,
                 batch=50, epochs=300, num_times=30, sizes=(250, 500, 1000, 2000),
                 size_batch=50, size_epochs=60, size_holdout=2000),
}
# smoke-test settings of `twolayer figures --quick` (not used by `twolayer check`)
PLANS["tiny"] = Plan(seeds=2, fractions=(1.0, 0.25, 0.0), n=150, m=64, lr=0.01, batch=15,
                     epochs=60, num_times=12, sizes=(100, 200), size_batch=20, size_epochs=10,
                     size_holdout=200)


def plan(quick: bool) -> Plan:
    return PLANS["quick" if quick else "full"]


@dataclass
class Runs:
    """Probe arrays of one batch of runs, ordered fraction-major: run = i_f · S + seed."""

    times: np.ndarray
    arrays: dict[str, np.ndarray]  # "<objective>/<quantity>" → [R, T]
    fractions: tuple[float, ...]
    seeds: int
    setting: str
    wall_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def get(self, key: str) -> np.ndarray:
        """[F, S, T] array of ``key``."""
        a = self.arrays[key]
        return a.reshape(len(self.fractions), self.seeds, *a.shape[1:])

    def fi(self, f: float) -> int:
        return self.fractions.index(f)


def net_config(m: int) -> NetConfig:
    return NetConfig(m=m, second_layer="gaussian", train_second_layer=True, bias=True, outputs=K)


def batch(p: Plan, fractions: tuple[float, ...], seeds: int, n_train: int, n_asc: int,
          n_hold: int, base: int = 0):
    """Data and initial parameters of the runs (fraction-major), seeds base..base+S−1."""
    run_seeds = [base + s for f in fractions for s in range(seeds)]
    run_f = [f for f in fractions for _ in range(seeds)]
    data = bdata.sample(bdata.BadgerData(k=K, d=D, n_train=n_train, n_ascended=n_asc,
                                         n_holdout=n_hold), run_seeds, run_f)
    params = init_params(net_config(p.m), D, run_seeds, 1.0 / D)
    return data, params, run_seeds


def setting_text(p: Plan) -> str:
    return (f"K={K}, d={D}, n={p.n} per set (T, A, H), d/n={D / p.n:.3g}, noise dim={D}, "
            f"m={p.m}, SGD lr={p.lr}, paired minibatches {p.batch}+{p.batch}, {p.epochs} epochs "
            f"= {p.steps} steps, gate once per epoch")


def train_guarded(params, data, cfg: TrainConfig, times: list[int], runtime: Runtime,
                  seeds: list[int], weights) -> tuple[dict[str, np.ndarray], str]:
    """``train`` with the badger probe; if a run diverges (the ascent's weight blow-up), train
    again up to the last probe time before the divergence and fill the later times with NaN
    (every run of the batch), and say so."""
    try:
        res = train(params, data, cfg, times, ("badger",), runtime, seeds, weights=weights)
        return res.arrays, ""
    except DivergenceError as e:
        keep = [t for t in times if t < e.step]
        if isinstance(weights, Memorise):
            weights.gates.clear()
        cut = TrainConfig(lr=cfg.lr, steps=keep[-1], objective=cfg.objective,
                          batch_size=cfg.batch_size)
        res = train(params, data, cut, keep, ("badger",), runtime, seeds, weights=weights)
        pad = len(times) - len(keep)
        arrays = {k: np.concatenate([v, np.full((v.shape[0], pad, *v.shape[2:]), np.nan,
                                                v.dtype)], 1) for k, v in res.arrays.items()}
        return arrays, f"diverged: seed {seeds[e.run]} at step {e.step} (later times NaN)"


def gate_name(g) -> str:
    return f"memorise_{g}"


def run_objectives(p: Plan, seeds: int | None, runtime: Runtime, gates=("chance",),
                   epochs: int | None = None, fractions: tuple[float, ...] | None = None,
                   normal: bool = True, params=None) -> Runs:
    """Normal and memorise (one per gate) SGD training from the same data, initialisation and
    T minibatches; ``params`` (default: fresh) continue an earlier phase."""
    S = seeds or p.seeds
    fr = fractions or p.fractions
    data, init, run_seeds = batch(p, fr, S, p.n, p.n, p.n)
    T = (epochs or p.epochs) * p.steps_per_epoch
    times = sorted(set(probe_times(T, p.num_times, 5))
                   | set(range(0, T + 1, max(1, T // 10 // p.steps_per_epoch)
                               * p.steps_per_epoch)))
    cfg = TrainConfig(lr=p.lr, steps=T, objective="softmax", batch_size=p.batch)
    arrays: dict[str, np.ndarray] = {}
    notes: dict[str, object] = {"steps_per_epoch": p.steps_per_epoch}
    start = time.perf_counter()
    objectives = [("normal", "never")] if normal else []
    objectives += [(gate_name(g), g) for g in gates]
    for name, g in objectives:
        w = Memorise(data.ascended, K, g)
        arr, note = train_guarded(params if params is not None else init, data, cfg, times,
                                  runtime, run_seeds, w)
        if note:
            notes[name] = note
        for k, v in arr.items():
            arrays[f"{name}/{k.split('/', 1)[1]}"] = v
        arrays[f"{name}/gate_on"] = torch.stack(w.gates, 1).float().mean(1, keepdim=True)\
            .expand(-1, len(times)).numpy()
    return Runs(np.asarray(times), arrays, tuple(fr), S, setting_text(p),
                time.perf_counter() - start, notes)


@experiment("badger2022.objectives")
def objectives_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Runs:
    return run_objectives(plan(quick), seeds, runtime)


def run_gates(p: Plan, seeds: int | None, runtime: Runtime) -> Runs:
    """f = 1: the memorise objective with the chance gate, target gates and no gate."""
    return run_objectives(p, seeds, runtime, gates=("chance", *TARGETS, "none"),
                          fractions=(1.0,), normal=False)


@experiment("badger2022.gates")
def gates_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Runs:
    return run_gates(plan(quick), seeds, runtime)


def run_switch(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Runs]:
    """f = 1: ``p.epochs`` epochs of memorise (chance gate), then ``p.epochs`` epochs of normal
    training from its final parameters; and normal training for 2 ``p.epochs`` epochs from the
    start (the reference). Keys "memorise", "switch", "normal"."""
    S = seeds or p.seeds
    data, init, run_seeds = batch(p, (1.0,), S, p.n, p.n, p.n)
    T = p.steps
    cfg = TrainConfig(lr=p.lr, steps=T, objective="softmax", batch_size=p.batch)
    times = sorted(set(probe_times(T, p.num_times, 5))
                   | set(range(0, T + 1, max(1, p.epochs // 10) * p.steps_per_epoch)))
    start = time.perf_counter()
    mem = train(init, data, cfg, times, ("badger",), runtime, run_seeds,
                weights=Memorise(data.ascended, K, "chance"))
    sw = train(mem.params, data, cfg, times, ("badger",), runtime, run_seeds,
               weights=Memorise(data.ascended, K, "never"))
    cfg2 = TrainConfig(lr=p.lr, steps=2 * T, objective="softmax", batch_size=p.batch)
    times2 = sorted(set(times) | {T + t for t in times})
    nrm = train(init, data, cfg2, times2, ("badger",), runtime, run_seeds,
                weights=Memorise(data.ascended, K, "never"))
    wall = time.perf_counter() - start
    setting = setting_text(p).replace(f"{p.epochs} epochs = {p.steps} steps",
                                      f"{p.epochs} + {p.epochs} epochs") + ", f=1"

    def runs(res, tt):
        arr = {f"normal/{k.split('/', 1)[1]}": v for k, v in res.arrays.items()}
        return Runs(np.asarray(tt), arr, (1.0,), S, setting, wall,
                    {"steps_per_epoch": p.steps_per_epoch})

    return {"memorise": runs(mem, times), "switch": runs(sw, [T + t for t in times]),
            "normal": runs(nrm, times2)}


@experiment("badger2022.switch")
def switch_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Runs]:
    return run_switch(plan(quick), seeds, runtime)


def run_sizes(p: Plan, seeds: int | None, runtime: Runtime) -> dict[int, Runs]:
    """Normal minibatch-SGD training on N points, random (f = 0) and structured (f = 1) inputs,
    for p.size_epochs epochs; probe times include the step count of the smallest N's run."""
    S = seeds or p.seeds
    equal = p.size_epochs * min(p.sizes) // p.size_batch
    out = {}
    for N in p.sizes:
        data, params, run_seeds = batch(p, (0.0, 1.0), S, N, 0, p.size_holdout)
        steps = p.size_epochs * N // p.size_batch
        times = sorted(set(probe_times(steps, p.num_times, 5)) | {equal}
                       | {e * N // p.size_batch for e in range(p.size_epochs + 1)})
        cfg = TrainConfig(lr=p.size_lr, steps=steps, batch_size=p.size_batch,
                          objective="softmax")
        start = time.perf_counter()
        res = train(params, data, cfg, times, ("badger",), runtime, run_seeds)
        arrays = {f"normal/{k.split('/', 1)[1]}": v for k, v in res.arrays.items()}
        setting = (f"K={K}, d={D}, N={N} (d/N={D / N:.3g}), hold-out {p.size_holdout}, m={p.m}, "
                   f"SGD lr={p.size_lr} batch {p.size_batch}, {p.size_epochs} epochs = {steps} "
                   "steps")
        out[N] = Runs(np.asarray(times), arrays, (0.0, 1.0), S, setting,
                      time.perf_counter() - start, {"steps_per_epoch": N // p.size_batch})
    return out


@experiment("badger2022.sizes")
def sizes_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[int, Runs]:
    return run_sizes(plan(quick), seeds, runtime)


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def steps_to(times: np.ndarray, acc: np.ndarray, level: float = 0.5) -> np.ndarray:
    """First time (linearly interpolated between probe times) with acc ≥ level; inf if never.
    acc [..., T] → [...]."""
    flat = acc.reshape(-1, acc.shape[-1])
    out = np.full(flat.shape[0], np.inf)
    for i, a in enumerate(flat):
        hit = np.flatnonzero(a >= level)
        if hit.size == 0:
            continue
        j = int(hit[0])
        if j == 0:
            out[i] = times[0]
            continue
        a0, a1 = a[j - 1], a[j]
        out[i] = times[j - 1] + (level - a0) / (a1 - a0) * (times[j] - times[j - 1])
    return out.reshape(acc.shape[:-1])


def at_time(runs: Runs, key: str, t: int) -> np.ndarray:
    """[F, S] values of ``key`` at probe time t."""
    j = int(np.flatnonzero(runs.times == t)[0])
    return runs.get(key)[..., j]


def first_reach(runs: Runs, obj: str, level: float) -> np.ndarray:
    """[F, S] index of the first probe time with train accuracy ≥ level (−1 if never)."""
    acc = runs.get(f"{obj}/acc_train")
    reached = acc >= level
    idx = reached.argmax(-1)
    return np.where(reached.any(-1), idx, -1)


def log_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of y against log2 x."""
    return float(np.polyfit(np.log2(x), y, 1)[0])


def _mci(v) -> str:
    m, (lo, hi) = mean_ci(v)
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


def _accuracies(runs: Runs, name: str, T: int) -> str:
    """"train …, ascended …, hold-out …": the three accuracies of one objective at step T."""
    acc = {k: _mci(at_time(runs, f"{name}/acc_{k}", T)[0])
           for k in ("train", "ascended", "holdout")}
    return f"train {acc['train']}, ascended {acc['ascended']}, hold-out {acc['holdout']}"


def side(ci: tuple[float, float], sign: int) -> str:
    """holds if the CI is wholly on the side ``sign`` of 0, fails if wholly on the other."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return INCONCLUSIVE
    if sign > 0:
        return HOLDS if lo > 0 else FAILS if hi < 0 else INCONCLUSIVE
    return HOLDS if hi < 0 else FAILS if lo > 0 else INCONCLUSIVE


def combine(*outcomes: str) -> str:
    if FAILS in outcomes:
        return FAILS
    return HOLDS if all(o == HOLDS for o in outcomes) else INCONCLUSIVE


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------

C1 = "badger2022.c1.memorise_slower"


@claim(C1, "Memorising structured data (f = 1) is slower than generalising: the memorise "
       "objective needs more steps to reach 50% train accuracy than normal training (log ratio "
       "> 0; the train accuracies at equal steps are reported), and its untouched hold-out "
       "accuracy stays above chance.",
       "abstract (memorisation is difficult); author's logs: 0.324 vs 0.772 train, hold-out "
       "0.292", tag="[PAPER-PARTIAL]")
def check_c1(exps: Experiments):
    runs: Runs = exps.get("badger2022.objectives")
    i = runs.fi(1.0)
    T = int(runs.times[-1])
    nrm = at_time(runs, "normal/acc_train", T)[i]
    mem = at_time(runs, "memorise_chance/acc_train", T)[i]
    hold = at_time(runs, "memorise_chance/acc_holdout", T)[i]
    asc = at_time(runs, "memorise_chance/acc_ascended", T)[i]
    t_n = steps_to(runs.times, runs.get("normal/acc_train")[i])
    t_m = steps_to(runs.times, runs.get("memorise_chance/acc_train")[i])
    # never reaching 50% within T counts as T: a lower bound on the slowdown (conservative)
    m, ci = mean_ci(np.log(np.minimum(t_m, T) / t_n))
    _, hci = mean_ci(hold - CHANCE)
    outcome = combine(side(ci, +1), side(hci, +1))
    detail = (f"at step {T}: train acc normal {_mci(nrm)}, memorise {_mci(mem)}; memorise "
              f"hold-out {_mci(hold)} (chance {CHANCE}), ascended {_mci(asc)}; steps to 50% train "
              f"acc: normal {np.round(t_n, 1).tolist()}, memorise {np.round(t_m, 1).tolist()} "
              f"(inf = not within {T}); wall {runs.wall_seconds:.1f}s")
    return make_verdict(C1, outcome, m, "log(t50_mem / t50_normal) > 0 and Acc_hold,mem > 1/K", ci,
                        runs.seeds, runs.setting + ", f=1", detail, FIG_CURVES)


C2 = "badger2022.c2.noise_helps"


@claim(C2, "Memorisation gets easier as input noise grows: the memorise objective's final train "
       "accuracy increases monotonically with the noise fraction 1 − f.",
       "abstract (adding noise makes memorisation easier); author's logs 0.324 (0% noise) → "
       "0.757 (100%)", tag="[PAPER-PARTIAL]")
def check_c2(exps: Experiments):
    runs: Runs = exps.get("badger2022.objectives")
    T = int(runs.times[-1])
    acc = at_time(runs, "memorise_chance/acc_train", T)  # [F, S]
    order = np.argsort([1.0 - f for f in runs.fractions], kind="stable")
    fr = [runs.fractions[j] for j in order]
    acc = acc[order]
    outcomes, parts = [], []
    for j in range(len(fr) - 1):
        d = acc[j + 1] - acc[j]
        m, (lo, hi) = mean_ci(d)
        o = HOLDS if lo > -TIE else FAILS if hi < -TIE else INCONCLUSIVE
        outcomes.append(o)
        parts.append(f"f {fr[j]:g}→{fr[j + 1]:g}: {m:+.3f} [{lo:+.3f}, {hi:+.3f}] {o}")
    total = acc[-1] - acc[0]
    m, ci = mean_ci(total)
    outcome = combine(side(ci, +1), *outcomes)
    means = ", ".join(f"f={f:g}: {_mci(a)}" for f, a in zip(fr, acc))
    t50 = steps_to(runs.times, runs.get("memorise_chance/acc_train")[order])
    steps = ", ".join(f"f={f:g}: {np.median(t):.0f}" for f, t in zip(fr, t50))
    detail = (f"memorise train acc at step {T}: {means}. Consecutive differences (tie tolerance "
              f"{TIE}): {'; '.join(parts)}. Median steps to 50% train acc: {steps}")
    return make_verdict(C2, outcome, m, "Acc_mem(f=0) − Acc_mem(f=1) > 0, no significant fall",
                        ci, runs.seeds, runs.setting, detail, FIG_NOISE)


def _sizes_claim(cid: str, exps: Experiments, basis: str):
    sizes: dict[int, Runs] = exps.get("badger2022.sizes")
    Ns = sorted(sizes)
    r0 = sizes[Ns[0]]
    S = r0.seeds
    equal = int(np.flatnonzero(r0.times == r0.times[-1])[0])
    gaps = np.zeros((2, S, len(Ns)))  # [f (0 random, 1 structured), seed, N]
    for k, N in enumerate(Ns):
        r = sizes[N]
        t = int(r.times[-1]) if basis == "epochs" else int(r0.times[equal])
        gaps[:, :, k] = at_time(r, "normal/acc_train", t) - at_time(r, "normal/acc_holdout", t)
    slopes = np.array([[log_slope(np.array(Ns, float), gaps[f, s]) for s in range(S)]
                       for f in range(2)])
    m_r, ci_r = mean_ci(slopes[0])
    m_s, ci_s = mean_ci(slopes[1])
    outcome = combine(side(ci_r, +1), side(ci_s, -1))
    mg = gaps.mean(1)
    detail = (f"gap (train − hold-out acc) at equal {basis} "
              f"({'each run at its end' if basis == 'epochs' else f'step {int(r0.times[equal])}'}"
              f"), mean over seeds, N={Ns}: random {np.round(mg[0], 3).tolist()}, structured "
              f"{np.round(mg[1], 3).tolist()}; slope per doubling of N: random {_mci(slopes[0])} "
              f"(predicted > 0), structured {_mci(slopes[1])} (predicted < 0)")
    setting = sizes[Ns[-1]].setting.split(", N=")[0] + f", N in {Ns}, " + \
        sizes[Ns[-1]].setting.split("m=", 1)[1].join(["m=", ""])
    return make_verdict(cid, outcome, m_r, "slope random > 0 and slope structured < 0", ci_r, S,
                        setting, detail, FIG_SIZES)


C3E = "badger2022.c3.sizes_epochs"
C3S = "badger2022.c3.sizes_steps"


@claim(C3E, "Larger datasets exaggerate a dataset's character, at equal epochs: the train–test "
       "gap grows with N for random inputs and shrinks with N for structured inputs.",
       "abstract; author's logs (200 epochs; ConvNet / ResNet18)", tag="[PAPER-PARTIAL]")
def check_c3_epochs(exps: Experiments):
    return _sizes_claim(C3E, exps, "epochs")


@claim(C3S, "The same dataset-size trends at equal optimiser steps (the paper's epoch-based "
       "comparison gives larger N more steps).", "card §7 claim 3 (the epochs/steps confound)",
       tag="[INFERRED]")
def check_c3_steps(exps: Experiments):
    return _sizes_claim(C3S, exps, "steps")


C4M = "badger2022.c4.matched_sensitivity"
C4D = "badger2022.c4.normal_drives_down"


def matched(runs: Runs, key: str, level: float = MATCH_ACC):
    """Per fraction: values of ``key`` [S] for normal and memorise at the first probe time
    their train accuracy reaches ``level`` (None if some seed never does), and the accuracies."""
    out = {}
    for f in runs.fractions:
        i = runs.fi(f)
        vals, accs = [], []
        for obj in ("normal", "memorise_chance"):
            idx = first_reach(runs, obj, level)[i]
            if (idx < 0).any():
                break
            S = np.arange(runs.seeds)
            vals.append(runs.get(f"{obj}/{key}")[i][S, idx])
            accs.append(runs.get(f"{obj}/acc_train")[i][S, idx])
        if len(vals) == 2:
            out[f] = (vals[0], vals[1], accs[0], accs[1])
    return out


@claim(C4M, "Memorising solutions are less stable to input perturbations than generalising ones "
       "at matched train accuracy: larger E‖∂f/∂x‖_F on training points.",
       "abstract (attraction to points of maximal input stability); measurement card §6 G5/G7",
       tag="[INFERRED]")
def check_c4_matched(exps: Experiments):
    runs: Runs = exps.get("badger2022.objectives")
    jac = matched(runs, "jac_train")
    gx = matched(runs, "gradx_holdout")
    if MATCH_F not in jac:
        extra = ""
        for level in FALLBACK_LEVELS:  # reported only; the verdict stays inconclusive
            lower = matched(runs, "jac_train", level)
            if MATCH_F in lower:
                jn, jm, an, am = lower[MATCH_F]
                gn, gm = matched(runs, "gradx_holdout", level)[MATCH_F][:2]
                lm, lci = mean_ci(np.log(jm / jn))
                extra = (f". Not counted in the verdict: at the highest level every seed reaches, "
                         f"train acc ≥ {level} (f={MATCH_F}; acc {an.mean():.3f} vs "
                         f"{am.mean():.3f}): J normal {_mci(jn)}, memorise {_mci(jm)}, log ratio "
                         f"{lm:.3f} [{lci[0]:.3f}, {lci[1]:.3f}]; ‖∇_x ℓ‖ hold-out normal "
                         f"{_mci(gn)}, memorise {_mci(gm)}")
                break
        return make_verdict(C4M, INCONCLUSIVE, None, "log(J_mem/J_normal) > 0", None, runs.seeds,
                            runs.setting, f"memorise never reached train acc {MATCH_ACC} at "
                            f"f={MATCH_F} in every seed; matched fractions: {sorted(jac)}"
                            + extra, FIG_JACOBIAN)
    parts = []
    for f, (jn, jm, an, am) in sorted(jac.items(), reverse=True):
        gn, gm = gx[f][0], gx[f][1]
        parts.append(f"f={f:g}: J normal {_mci(jn)}, memorise {_mci(jm)} (train acc "
                     f"{an.mean():.3f} vs {am.mean():.3f}); ‖∇_x ℓ‖ hold-out normal {_mci(gn)}, "
                     f"memorise {_mci(gm)}")
    jn, jm, _, _ = jac[MATCH_F]
    m, ci = mean_ci(np.log(jm / jn))
    outcome = side(ci, +1)
    detail = (f"first probe time with train acc ≥ {MATCH_ACC}; primary f={MATCH_F}. "
              + "; ".join(parts))
    return make_verdict(C4M, outcome, m, "log(J_mem / J_normal) > 0", ci, runs.seeds,
                        runs.setting + f", f={MATCH_F}", detail, FIG_JACOBIAN)


@claim(C4D, "Normal training drives input sensitivity down: E‖∂f/∂x‖_F on training points ends "
       "below its initial value.", "abstract (GD is attracted to input-stable points); card §6 "
       "G8", tag="[INFERRED]")
def check_c4_down(exps: Experiments):
    runs: Runs = exps.get("badger2022.objectives")
    jac = runs.get("normal/jac_train")  # [F, S, T]
    i = runs.fi(1.0)
    ratio = np.log(jac[i, :, -1] / jac[i, :, 0])
    m, ci = mean_ci(ratio)
    parts = []
    for f in runs.fractions:
        j = jac[runs.fi(f)]
        parts.append(f"f={f:g}: J(0) {j[:, 0].mean():.3g}, peak {j.max(-1).mean():.3g}, "
                     f"J(T) {j[:, -1].mean():.3g}")
    gx = runs.get("normal/gradx_train")[i]
    detail = (f"log(J(T)/J(0)) at f=1; per fraction (means): {'; '.join(parts)}. Loss input "
              f"gradient on training points ‖∇_x ℓ‖: {gx[:, 0].mean():.3g} → "
              f"{gx[:, -1].mean():.3g}")
    return make_verdict(C4D, side(ci, -1), m, "log(J(T)/J(0)) < 0", ci, runs.seeds,
                        runs.setting + ", f=1", detail, FIG_JACOBIAN)


C2P = "badger2022.c2p.target_gates"


@claim(C2P, "Holding the ascended set's accuracy down holds the train accuracy down: with the "
       "gate at a target accuracy τ (ascend while Acc_A > τ), the final train accuracy on "
       "structured data (f = 1) rises with τ (chance gate 1/K + 0.01, then τ = 0.25, 0.5, 0.75).",
       "author's logged target runs (10k CIFAR-10, 200 epochs): train 0.462 at a 20% target → "
       "0.781 at 85%; ungated run overfit_2", tag="[SECONDARY]")
def check_c2p(exps: Experiments):
    runs: Runs = exps.get("badger2022.gates")
    T = int(runs.times[-1])
    taus = [CHANCE + 0.01, *TARGETS]
    names = [gate_name(g) for g in ("chance", *TARGETS)]
    acc = np.stack([at_time(runs, f"{n}/acc_train", T)[0] for n in names])  # [G, S]
    slopes = np.array([np.polyfit(taus, acc[:, j], 1)[0] for j in range(runs.seeds)])
    m, ci = mean_ci(slopes)
    parts = []
    for tau, n in zip(taus, names):
        t90 = steps_to(runs.times, runs.get(f"{n}/acc_train")[0], 0.9)
        parts.append(f"τ={tau:.2f}: {_accuracies(runs, n, T)}, median steps to 90% "
                     f"train {np.median(t90):.0f}")
    un = gate_name("none")
    ung = (f"ungated: {_accuracies(runs, un, T)}, E||df/dx||_F "
           f"{np.nanmedian(at_time(runs, f'{un}/jac_train', T)[0]):.3g} (median)")
    notes = "; ".join(f"{k}: {v}" for k, v in runs.extra.items() if k != "steps_per_epoch")
    detail = (f"at step {T}: " + "; ".join(parts) + ". " + ung
              + (f". Notes: {notes}" if notes else ""))
    return make_verdict(C2P, side(ci, +1), m, "slope of final Acc_train against τ > 0", ci,
                        runs.seeds, runs.setting + ", f=1", detail, FIG_GATES)


C5 = "badger2022.c5.switch_recovers"


@claim(C5, "After memorising (chance gate) for E epochs, E epochs of normal training restore "
       "generalisation: the hold-out accuracy comes within 0.05 of normal training's for 2E "
       "epochs (f = 1).",
       "author's Figure_s2 data: 500 memorise epochs (train 0.477, test 0.024), then 500 normal "
       "(train 0.847, test 0.534)", tag="[SECONDARY]")
def check_c5(exps: Experiments):
    r: dict[str, Runs] = exps.get("badger2022.switch")
    mem, sw, nrm = r["memorise"], r["switch"], r["normal"]
    h_mem = mem.get("normal/acc_holdout")[0, :, -1]
    h_sw = sw.get("normal/acc_holdout")[0, :, -1]
    h_n = nrm.get("normal/acc_holdout")[0, :, -1]
    T = int(mem.times[-1])
    h_nT = at_time(nrm, "normal/acc_holdout", T)[0]
    m, ci = mean_ci(h_sw - h_n)
    lo, hi = ci
    outcome = (HOLDS if lo > -NEAR else FAILS if hi < -NEAR else INCONCLUSIVE) \
        if math.isfinite(lo) else INCONCLUSIVE
    detail = (f"hold-out accuracy: after memorising {_mci(h_mem)} (train "
              f"{_mci(mem.get('normal/acc_train')[0, :, -1])}, ascended "
              f"{_mci(mem.get('normal/acc_ascended')[0, :, -1])}); after the switch "
              f"{_mci(h_sw)} (train {_mci(sw.get('normal/acc_train')[0, :, -1])}); normal "
              f"training {_mci(h_nT)} at step {T}, {_mci(h_n)} at step {2 * T}; wall "
              f"{mem.wall_seconds:.1f}s")
    return make_verdict(C5, outcome, m, f"H_switch − H_normal > −{NEAR}", ci, mem.seeds,
                        mem.setting, detail, FIG_SWITCH)
