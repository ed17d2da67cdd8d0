"""The claims, decided only from intervals over seeds: Student-t intervals of means
(``stats.mean_ci``) and Wilson intervals of fractions of seeds (``wilson``, then
``stats.compare``). Unless a statement says otherwise, the setting is the card's default
(width-100 ReLU, hinge, B = 32, η = 0.1) and outside Theorem 4 (small B, non-sign init).
"""

from __future__ import annotations

import math

import numpy as np

from twolayer.api import claim, outcome, stats

from .train import first_time


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson 95% interval of a fraction of seeds."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    den = 1 + z * z / total
    mid = (p + z * z / (2 * total)) / den
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def fraction_outcome(ok: np.ndarray, bound: float) -> tuple[str, float, tuple[float, float]]:
    """(verdict, fraction, Wilson CI) for "the fraction of seeds with ``ok`` is ≥ bound"."""
    ci = wilson(int(ok.sum()), int(ok.size))
    return stats.compare(ci, bound, ">="), float(ok.mean()) if ok.size else float("nan"), ci


def setting(rec) -> str:
    c = rec.config
    return (f"(n,k)=({c['data']['n']},{c['data']['k']}), r={c['net']['m']}, "
            f"B={c['train']['batch_size']}, eta={c['train']['lr']}, bias={c['net']['bias']}, "
            f"R={c['seeds']}, budget {c['train']['steps']} steps, eval every "
            f"{c['train']['every']}")


@claim("barak2022.ef1.solves",
       "[PAPER] Every (n, k) of the grid is solved (100% accuracy on 2^13 fresh points) in >= 20% "
       "of the trials within the step budget (paper: n in {10,20,30}, k in {2,3,4}, 25 trials, "
       "10^5 steps)", "Sec. 3, EF1 / Fig. 1-right", "[PAPER]")
def ef1_solves(runs):
    recs = runs.get("barak2022.grid")
    parts, worst = [], None
    for key, rec in recs.items():
        v, frac, ci = fraction_outcome(rec["static/t_c"] >= 0, 0.2)
        parts.append(v)
        if worst is None or ci[0] < worst[2][0]:
            worst = (key, frac, ci, rec)
    key, frac, ci, rec = worst
    return outcome(stats.combine(*parts), frac, "fraction solved >= 0.2 in every cell", ci,
                   rec.seeds, f"cells {sorted(recs)}; worst {key}: {setting(rec)}")


def plateau_ok(rec) -> tuple[np.ndarray, np.ndarray]:
    """Per solved seed: err_t >= 0.45 for all t <= t_c/2, and t_c − t_{0.45} <= 0.3 t_c."""
    err, T = rec["barak_parity/val_error"], rec.times
    tc = rec["static/t_c"]
    t45 = first_time(err, T, 0.45)
    solved = tc > 0
    ok = []
    for r in np.flatnonzero(solved):
        early = err[r, T <= 0.5 * tc[r]]
        ok.append(bool((early >= 0.45).all()) and (tc[r] - t45[r]) <= 0.3 * tc[r])
    return np.asarray(ok, dtype=bool), solved


@claim("barak2022.fig1.plateau_drop",
       "[PAPER phenomenon; PROPOSAL thresholds] Long plateau then sudden drop: in >= 80% of the "
       "solved seeds err_t >= 0.45 for all t <= t_c/2 and t_c - t_0.45 <= 0.3 t_c",
       "Fig. 1-left, Fig. 6 row 1", "[PROPOSAL]", in_regime=False)
def plateau_drop(runs):
    recs = runs.get("barak2022.curves")
    key = max(recs, key=lambda k: (int(k.split(",")[1][2:]), int(k.split(",")[0][2:])))
    rec = recs[key]
    ok, solved = plateau_ok(rec)
    v, frac, ci = fraction_outcome(ok, 0.8)
    if ok.size == 0:
        v = "inconclusive"
    err, T, tc = rec["barak_parity/val_error"], rec.times, rec["static/t_c"]
    t45 = first_time(err, T, 0.45)
    drop = ((tc - t45) / np.maximum(tc, 1))[solved]
    low = [float(err[r, T <= 0.5 * tc[r]].min()) for r in np.flatnonzero(solved)]
    return outcome(v, frac, "fraction of solved seeds >= 0.8", ci, int(ok.size),
                   setting(rec), f"{int(solved.sum())}/{solved.size} seeds solved; "
                   f"(t_c - t_0.45)/t_c median {np.median(drop) if drop.size else np.nan:.2f}; "
                   f"min err before t_c/2 median {np.median(low) if low else np.nan:.3f}")


def at_half_tc(rec, key: str, tc: np.ndarray) -> np.ndarray:
    """[R]: array ``key`` at the last probe time <= t_c/2 of each seed."""
    a, T = rec[key], rec.times
    idx = np.array([np.flatnonzero(T <= 0.5 * t)[-1] for t in tc])
    return a[np.arange(a.shape[0]), idx]


@claim("barak2022.hp.relevant_first",
       "[PAPER idea; PROPOSAL measure] Hidden progress: at t = t_c/2 (still on the plateau) the "
       "movement of the relevant first-layer weights relative to the irrelevant ones, "
       "mean_{i in S}|dW| / mean_{i not in S}|dW|, is larger with the true labels than with "
       "random labels from the same init (paired over seeds, in log)",
       "Sec. 4, Fig. 3, Fig. 13", "[PROPOSAL]", in_regime=False)
def relevant_first(runs):
    r = runs.get("barak2022.hidden")
    true, ctrl = r["true"], r["control"]
    tc = true["static/t_c"]
    solved = tc > 0
    if not solved.any():
        return outcome("inconclusive", None, "log ratio true - control > 0", None, 0,
                       setting(true), "no seed solved")
    tcs = tc[solved]
    lt = np.log(at_half_tc(_sub(true, solved), "barak_parity/move_ratio", tcs))
    lc = np.log(at_half_tc(_sub(ctrl, solved), "barak_parity/move_ratio", tcs))
    m, ci = stats.mean_ci(lt - lc)
    return outcome(stats.sign_outcome(ci, +1), m, "mean log(ratio_true / ratio_control) > 0",
                   ci, int(solved.sum()), setting(true),
                   f"ratio true {np.exp(lt).mean():.3g}, control {np.exp(lc).mean():.3g}")


def _sub(rec, runs_mask: np.ndarray):
    """A view of ``rec`` restricted to some runs (arrays [R, ...] only)."""
    class _V:
        times = rec.times

        def __getitem__(self, key):
            return rec[key][runs_mask]
    return _V()


@claim("barak2022.c2.bias_odd_k",
       "[PAPER] Biases are needed for odd k: without biases (n, 3) stays at err >= 0.4 for the "
       "whole budget while with biases >= 50% of the seeds solve it, and (n', 4) without biases "
       "is solved by >= 50% of the seeds", "App. C.2", "[PAPER]")
def bias_odd_k(runs):
    r = runs.get("barak2022.bias")
    err_nb = r["k=3,nobias"]["barak_parity/val_error"][:, -1]
    m, ci = stats.mean_ci(err_nb)
    v1 = stats.compare(ci, 0.4, ">=")
    v2, f2, ci2 = fraction_outcome(r["k=3,bias"]["static/t_c"] >= 0, 0.5)
    v3, f3, ci3 = fraction_outcome(r["k=4,nobias"]["static/t_c"] >= 0, 0.5)
    return outcome(stats.combine(v1, v2, v3), m, "final err of k=3 without bias >= 0.4", ci,
                   r["k=3,nobias"].seeds, setting(r["k=3,nobias"]),
                   f"k=3 with bias solved {f2:.2f} {tuple(round(c, 2) for c in ci2)} ({v2}); "
                   f"k=4 without bias solved {f3:.2f} {tuple(round(c, 2) for c in ci3)} ({v3})")


@claim("barak2022.c6.label_noise",
       "[PAPER: (50,3) learns with 49% flipped labels; PROPOSAL thresholds] With each training "
       "label flipped with probability p = 0.4, >= 60% of the seeds reach clean validation "
       "accuracy > 0.9", "App. C.6", "[PROPOSAL]", in_regime=False)
def label_noise(runs):
    rec = runs.get("barak2022.noise")
    best = rec["barak_parity/val_error"].min(axis=1)
    v, frac, ci = fraction_outcome(best < 0.1, 0.6)
    return outcome(v, frac, "fraction with clean accuracy > 0.9 >= 0.6", ci, rec.seeds,
                   setting(rec) + f", p={rec.config['data']['noise']}")


@claim("barak2022.thm4.one_step",
       "[PAPER Thm 4 mechanism; PROPOSAL test] Inside Theorem 4's checkable assumptions (even k, "
       "odd n, sign init, b = 0, |f| < 1 at init), one exact population-gradient step singles out "
       "S: for every neuron the k largest |dL/dW_ji| are the coordinates of S (fraction of "
       "neurons >= 0.95); the odd-k control does not (fraction <= 0.5)",
       "Thm 4, footnote 9, Sec. 4.1", "[PROPOSAL]")
def thm4_one_step(runs):
    r = runs.get("barak2022.thm4")
    inside = [k for k, rec in r.items() if rec.config["inside"]]
    odd = [k for k, rec in r.items() if not rec.config["assumptions"]["k_even"]]
    parts, worst = [], None
    for k in inside:
        m, ci = stats.mean_ci(r[k]["recovered"][:, 0])
        parts.append(stats.compare(ci, 0.95, ">="))
        if worst is None or ci[0] < worst[2][0]:
            worst = (k, m, ci)
    for k in odd:
        m, ci = stats.mean_ci(r[k]["recovered"][:, 0])
        parts.append(stats.compare(ci, 0.5, "<="))
    if not inside:
        return outcome("inconclusive", None, "fraction >= 0.95", None, 0, "no setting inside")
    k, m, ci = worst
    return outcome(stats.combine(*parts), m, "fraction of neurons recovering S >= 0.95", ci,
                   r[k].seeds, f"inside: {inside}; odd-k controls: {odd}; m = "
                   f"{r[k].config['m']}, u = ±1/(m n)")


def slopes_by_k(recs: dict, runs_idx: list[int]) -> dict[int, float]:
    """Least-squares slope of log median t_c against log n per k, over the runs ``runs_idx``
    (unsolved runs count as t_c = the budget: a lower bound, so slopes are not inflated by
    dropping the slow runs)."""
    by_k: dict[int, list[tuple[int, float]]] = {}
    for key, rec in recs.items():
        n, k = (int(x.split("=")[1]) for x in key.split(",")[:2])
        tc = rec["static/t_c"][runs_idx].astype(float)
        tc = np.where(tc > 0, tc, rec.config["train"]["steps"])
        by_k.setdefault(k, []).append((n, float(np.median(tc))))
    return {k: stats.loglog_slope([p[0] for p in v], [p[1] for p in v])
            for k, v in by_k.items() if len(v) >= 2}


@claim("barak2022.ef1.k_adaptive",
       "[PAPER: t_c adapts to k, t_c <= c n^(alpha k); PROPOSAL test] The log-log slope of "
       "median t_c against n rises with k: s_k < s_(k+1) for consecutive k of the grid "
       "(jackknife 95% intervals over seeds of each difference)",
       "Sec. 3, EF1, Fig. 1-right", "[PROPOSAL]", in_regime=False)
def k_adaptive(runs):
    recs = runs.get("barak2022.grid")
    R = min(rec.seeds for rec in recs.values())
    ks = sorted(slopes_by_k(recs, list(range(R))))
    if len(ks) < 2:
        return outcome("inconclusive", None, "s_k < s_(k+1)", None, R, "fewer than two k")
    parts, worst = [], None
    for k0, k1 in zip(ks, ks[1:]):
        est, ci, _ = stats.jackknife(
            lambda idx, a=k0, b=k1: slopes_by_k(recs, idx)[b] - slopes_by_k(recs, idx)[a], R)
        parts.append(stats.sign_outcome(ci, +1))
        if worst is None or ci[0] < worst[1][0]:
            worst = (est, ci, (k0, k1))
    est, ci, pair = worst
    s = slopes_by_k(recs, list(range(R)))
    return outcome(stats.combine(*parts), est, f"s_{pair[1]} - s_{pair[0]} > 0", ci, R,
                   f"grid {sorted(recs)}, R = {R}",
                   "slopes " + ", ".join(f"k={k}: {v:.2f}" for k, v in sorted(s.items())))


@claim("barak2022.c1.gap_positive_and_grows",
       "[PAPER: the Fourier gap is positive at init and grows along SGD (sin neuron, Fig. 12); "
       "PROPOSAL measure] For the exact population gradient G = E[dl/dW] (enumerated): the "
       "C-ratio mean_{i in S}|G_:,i| / mean_{i not in S}|G_:,i| exceeds 1 at t = 0, and "
       "max_j gamma_j is larger at 0.9 t_c than at t = 0 (paired over seeds)",
       "App. C.1, Fig. 12, Def. 1", "[PROPOSAL]", in_regime=False)
def gap_grows(runs):
    rec = runs.get("barak2022.gap")
    tc = rec["static/t_c"]
    solved = tc > 0
    c0 = np.log(rec["barak_gap/c_ratio"][:, 0])
    m0, ci0 = stats.mean_ci(c0)
    v0 = stats.sign_outcome(ci0, +1)
    if not solved.any():
        return outcome("inconclusive", None, "gamma grows", None, 0, setting(rec), "none solved")
    T = rec.times
    idx = np.array([np.flatnonzero(T <= 0.9 * t)[-1] for t in tc[solved]])
    g = rec["barak_gap/gamma_max"][solved]
    growth = g[np.arange(g.shape[0]), idx] - g[:, 0]
    m, ci = stats.mean_ci(growth)
    return outcome(stats.combine(v0, stats.sign_outcome(ci, +1)), m,
                   "gamma_max(0.9 t_c) - gamma_max(0) > 0", ci, int(solved.sum()), setting(rec),
                   f"log C-ratio at t = 0: {m0:.3g} {tuple(round(x, 3) for x in ci0)} ({v0}); "
                   f"gamma_max at 0: {rec['barak_gap/gamma_max'][:, 0].mean():.3g}")
