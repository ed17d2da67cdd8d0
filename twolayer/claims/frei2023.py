"""Claims of Frei, Chatterji & Bartlett (2023), "Random Feature Amplification" (paper card
``frei2023``, section 9 "Claims to check").

Setting (card sections 1–2): 2-XOR Gaussian clusters ±μ1 (label +1), ±μ2 (label −1), σ² the
in-cluster variance, labels flipped at rate η; f(x) = Σ_j a_j φ(⟨w_j, x⟩) with a_j = ±1/√m
fixed, W^(0) ~ N(0, ω_init²), full-batch GD with step α on the mean logistic loss, stopped at
T = 1 + 1/(4α). J_μ are the sign-split neuron sets of :mod:`twolayer.probes.frei`.

Regime. Theorem 1 assumes (A1)–(A7) for an unspecified absolute constant C > 1
(:mod:`twolayer.conditions`). The "regime" experiments satisfy all seven for every C up to the
``largest C`` that each verdict's setting reports (at most 1/α² because of (A7)); the theorem's
own C is not known, so "in the regime" means "as deep inside as a CPU run allows". Claims
checked deliberately outside it (Figures 1 and 2 far beyond T, the Lemma 4 count that needs
m ~ C0², affine classifiers outside the paper's bias-free model class) have ``in_regime=False``
and do not change the exit status of ``twolayer check``.

Verdict rules (numeric thresholds are the card's [PROPOSAL] values where it gives one; none was
changed after seeing a verdict. Two definitions were revised once after the first full run, as
docs/papers/frei2023.md records: the linear claim was split into homogeneous and affine
classifiers, and the Figure-2 decline premise became the card's "training accuracy passes
1 − η"):

- event claims (a statement the theorem makes with probability ≥ 1 − 4δ per run, δ = 0.05):
  a per-seed statistic is compared with the bound; with k of R seeds violating it the claim
  holds if k/R ≤ 4δ, fails if the binomial tail P(Bin(R, 4δ) ≥ k) < 0.05, and is inconclusive
  otherwise. The measured value is the worst seed; the CI is the Student-t 95% interval of the
  per-seed statistic's mean.
- trend claims (a slope in d or in ω_init): per-seed least-squares slopes on log-log axes; the
  claim holds if their 95% CI lies inside the predicted interval, fails if it lies wholly
  outside, and is inconclusive otherwise.
- level claims (the linear baseline, Figure 2): the 95% CI of the per-seed mean against the
  bound, with :func:`twolayer.stats.compare`.

The checks only read Records (``runs.get("frei2023.<name>")``); the plans, the runners and
every ``frei2023.*`` experiment are in :mod:`twolayer.experiments.frei2023`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..conditions import Conditions, frei2023_from_config
from ..config import Config
from ..experiments import Runs
from ..experiments.frei2023 import LinearView, linear_view
from ..record import Record
from ..stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    combine,
    compare,
    fmt_num,
    interval_outcome,
    loglog_slope,
    mean_ci,
)
from .base import Outcome, claim, outcome

PAPER = "frei2023"
DELTA = 0.05  # failure probability δ of Theorem 1 (the run-level guarantee is 1 − 4δ)
ALLOWED_FAILURE = 4 * DELTA
GAMMA = math.exp(-2) / (16 * 1024)  # Appendix A.4 margin γ
C0 = 45 * 1024**2 * math.e**4  # Definition 7
LOSS_WEIGHT_MIN = math.exp(-2) / 2  # Eq. (19)
OWN_STEP_MIN = math.exp(-2) / 64  # Eq. (20), divided by α|a_j|
TEST_C = 1.0  # C in η + C·sqrt(log(1/δ)/n): the smallest admissible value (C > 1), strictest
FIG_AMPLIFICATION = "frei2023-amplification"
FIG_TRAJECTORIES = "frei2023-trajectories"
FIG1 = "frei2023-fig1"
FIG2 = "frei2023-fig2"


# --------------------------------------------------------------------------------------------
# Verdict rules
# --------------------------------------------------------------------------------------------


def _ok(value: float, bound: float, direction: str) -> bool:
    return value <= bound if direction == "<=" else value >= bound


def event_outcome(
    values: Sequence[float], bound: float, direction: str, allowed: float = ALLOWED_FAILURE
) -> tuple[str, float, tuple[float, float], int, int]:
    """(outcome, worst value, 95% CI of the mean, violating seeds k, valid seeds R) for an
    event the theory asserts with probability ≥ 1 − ``allowed`` per run. NaN values (statement
    vacuous for that seed, e.g. no noisy points) are left out."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return INCONCLUSIVE, float("nan"), (float("nan"), float("nan")), 0, 0
    k = int(sum(not _ok(x, bound, direction) for x in v))
    worst = float(v.max() if direction == "<=" else v.min())
    _, ci = mean_ci(v)
    if k == 0 or k / v.size <= allowed:
        outcome = HOLDS
    elif stats.binom.sf(k - 1, v.size, allowed) < 0.05:
        outcome = FAILS
    else:
        outcome = INCONCLUSIVE
    return outcome, worst, ci, k, int(v.size)


def _violations(k: int, R: int) -> str:
    return f"{k} of {R} runs violate the bound (allowed share 4*delta = {ALLOWED_FAILURE:g})"


# --------------------------------------------------------------------------------------------
# Settings text
# --------------------------------------------------------------------------------------------


def conditions_of(cfg: dict | Config) -> Conditions:
    c = cfg if isinstance(cfg, Config) else Config.from_dict(cfg)
    return frei2023_from_config(c, DELTA)


def _family_text(recs: Sequence[Record]) -> str:
    c = recs[0].config
    dc, nc, tc = c["data"], c["net"], c["train"]
    ds = [r.config["data"]["d"] for r in recs]
    d = dc["d"]
    conds = [conditions_of(r.config) for r in recs]
    c_txt = ", ".join(
        f"{fmt_num(cd.largest_c)} (d={dd})" if cd.largest_c is not None else f"none (d={dd})"
        for cd, dd in zip(conds, ds)
    )
    head = f"d={ds[0]}" if len(ds) == 1 else "d in {" + ", ".join(map(str, ds)) + "}"
    lim = sorted({b for cd in conds for b in cd.binding})
    return (
        f"{head} n={dc['n']} m={nc['m']} eta={dc['noise']:g} ({dc['noise_model']}) "
        f"sigma2*d={dc['sigma2'] * d:.3g} omega2*m*d={nc['init_var'] * nc['m'] * d:.3g} "
        f"alpha={tc['lr']:g} T={tc['steps']} n_test={dc['n_test']} seeds={recs[0].seeds} "
        f"delta={DELTA:g}; A1-A7 hold up to C = {c_txt}"
        + (f" (limited by {', '.join(lim)})" if lim else "")
    )


def setting_text(recs: Sequence[Record], note: str = "") -> str:
    """The settings of the records, grouped by family (records of one family differ only in d),
    with the largest C for which (A1)–(A7) all hold at each d."""
    fams: dict[str, list[Record]] = {}
    for r in recs:
        fams.setdefault(r.meta.get("family", "main"), []).append(r)
    parts = [
        ("" if fam == "main" else f"{fam}: ") + _family_text(sorted(rs, key=_d))
        for fam, rs in fams.items()
    ]
    return " | ".join(parts) + (f"; {note}" if note else "")


def late_setting(rec: Record) -> str:
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    cd = conditions_of(rec.config)
    return (
        f"n={dc['n']} d={dc['d']} m={nc['m']} eta={dc['noise']:g} ({dc['noise_model']}) "
        f"sigma2=d^-1.2 omega2=0.01/(md) alpha={tc['lr']:g} steps={tc['steps']} "
        f"n_test={dc['n_test']} seeds={rec.seeds}; outside the theory (t >> T); {cd.summary()}"
    )


# --------------------------------------------------------------------------------------------
# Helpers reading the regime records
# --------------------------------------------------------------------------------------------


def _regime(runs: Runs) -> dict[str, Record]:
    """All theorem-regime records (the d sweep and, in full mode, the deep setting)."""
    return runs.get("frei2023.regime")


def _sweep(runs: Runs) -> list[Record]:
    """The d-sweep records, by increasing d."""
    recs = [r for r in _regime(runs).values() if r.meta.get("family", "main") == "main"]
    return sorted(recs, key=_d)


def _d(rec: Record) -> int:
    return int(rec.config["data"]["d"])


def _lr(rec: Record) -> float:
    return float(rec.config["train"]["lr"])


def _T_of(rec: Record) -> int:
    return int(rec.config["train"]["steps"])


def _series(rec: Record, key: str, t0: int, t1: int) -> np.ndarray:
    """[R, t1 − t0 + 1] slice of a per-time [R, T] array for probe times t0..t1."""
    idx = [int(np.flatnonzero(rec.times == t)[0]) for t in range(t0, t1 + 1)]
    return rec.arrays[key][:, idx]


def _per_seed(recs: dict[str, Record], fn: Callable[[Record], np.ndarray]) -> np.ndarray:
    """Concatenate a per-seed statistic over the records (one value per run)."""
    return np.concatenate([np.asarray(fn(r), dtype=np.float64).ravel() for r in recs.values()])


def _worst(values: np.ndarray, direction: str) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    return float(v.max() if direction == "<=" else v.min())


def _event_claim(
    recs: dict[str, Record], fn: Callable[[Record], np.ndarray], bound: float,
    direction: str, bound_text: str, detail: str = "", figure: str | None = None,
) -> Outcome:
    """Outcome of an event claim over all runs of the given records (see module docstring)."""
    values = _per_seed(recs, fn)
    res, worst, ci, k, R = event_outcome(values, bound, direction)
    per = "; ".join(f"{lab}: worst {fmt_num(_worst(fn(r), direction))}" for lab, r in recs.items())
    text = f"{_violations(k, R)}; {per}" + (f"; {detail}" if detail else "")
    return outcome(
        res, worst, bound_text, ci, R, setting_text(list(recs.values())), text, figure
    )


def _trend(
    ds: Sequence[int], values: np.ndarray, lo: float, hi: float
) -> tuple[str, float, tuple[float, float]]:
    """Per-seed log-log slopes of values [D, R] against d, their mean CI, and the outcome."""
    if len(ds) < 2:
        return INCONCLUSIVE, float("nan"), (float("nan"), float("nan"))
    slopes = [loglog_slope(ds, values[:, r]) for r in range(values.shape[1])]
    m, ci = mean_ci(slopes)
    return interval_outcome(ci, lo, hi), m, ci


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@claim(
    "frei2023.lemma3.init_norms",
    "At initialisation every neuron has (1/2) omega_init sqrt(d) <= ||w_j^(0)|| <= "
    "(3/2) omega_init sqrt(d).",
    "Lemma 3",
)
def check_init_norms(runs: Runs) -> Outcome:
    def dev(r: Record) -> np.ndarray:
        c = r.config
        ratio = r.arrays["static/init_w_norm"] / math.sqrt(c["net"]["init_var"] * c["data"]["d"])
        return np.abs(ratio - 1.0).max(-1)

    return _event_claim(
        _regime(runs), dev, 0.5, "<=",
        "max_j | ||w_j^(0)|| / (omega_init sqrt(d)) - 1 | <= 1/2 (card M1)",
        figure=FIG_AMPLIFICATION,
    )


def _rms_rho0(r: Record) -> np.ndarray:
    """Per seed: rms over neurons and over μ1, μ2 of ⟨w_j^(0)/‖w_j^(0)‖, μ⟩."""
    own = r.arrays["frei_neurons/rho_own"][:, 0]
    other = r.arrays["frei_neurons/rho_other"][:, 0]
    return np.sqrt((own**2 + other**2).mean(-1) / 2)


@claim(
    "frei2023.lemma4.weak_correlations",
    "At initialisation the normalised correlations <w_j^(0)/||w_j^(0)||, mu> are of order "
    "1/sqrt(d): sqrt(d) * rms_j stays of order 1 and the rms falls like d^(-1/2).",
    "Lemmas 3-4",
)
def check_weak_correlations(runs: Runs) -> Outcome:
    recs = _sweep(runs)
    ds = [_d(r) for r in recs]
    rms = np.stack([_rms_rho0(r) for r in recs])  # [D, R]
    level = rms * np.sqrt(np.asarray(ds, dtype=np.float64))[:, None]
    lev_cis = [mean_ci(level[i]) for i in range(len(ds))]
    lev_out = [interval_outcome(ci, 0.5, 2.0) for _, ci in lev_cis]
    s_out, s_mean, s_ci = _trend(ds, rms, -0.6, -0.4)
    detail = "sqrt(d)*rms rho(0): " + ", ".join(
        f"d={d}: {fmt_num(m)} (CI {fmt_num(ci[0])}..{fmt_num(ci[1])})"
        for d, (m, ci) in zip(ds, lev_cis)
    ) + " (exactly 1 in expectation for Gaussian init [INFERRED])"
    return outcome(
        combine(s_out, *lev_out), s_mean,
        "slope of log rms rho(0) vs log d in [-0.6, -0.4]; sqrt(d)*rms in [0.5, 2] at every d "
        "(card M2)", s_ci, recs[0].seeds, setting_text(recs), detail, FIG_AMPLIFICATION,
    )


@claim(
    "frei2023.lemma12.one_step_amplification",
    "With small omega_init and large alpha, one GD step lifts the normalised correlation of the "
    "J_mu neurons with their own cluster mean from order 1/sqrt(d) to a constant independent "
    "of d (typical neuron: median over J).",
    "Lemma 12",
)
def check_amplification(runs: Runs) -> Outcome:
    recs = _sweep(runs)
    ds = [_d(r) for r in recs]
    med1 = np.stack([np.median(r.at("frei_neurons/rho_own", 1), axis=-1) for r in recs])
    min1 = np.stack([r.at("frei_neurons/rho_own", 1).min(-1) for r in recs])
    rms0 = np.stack([_rms_rho0(r) for r in recs])
    res, s_mean, s_ci = _trend(ds, np.clip(med1, 1e-12, None), -0.1, 0.1)
    if not med1.min() > 0:  # no amplification at all somewhere
        res = FAILS
    deep = [r for r in _regime(runs).values() if r.meta.get("family") == "deep"]
    detail = "; ".join(
        f"d={d}: median rho(1) {fmt_num(med1[i].mean())}, min over J {fmt_num(min1[i].min())}, "
        f"rms rho(0) {fmt_num(rms0[i].mean())}"
        for i, d in enumerate(ds)
    ) + "; without amplification the slope would be -0.5"
    for r in deep:
        detail += (
            f"; deep setting d={_d(r)}: median rho(1) "
            f"{fmt_num(np.median(r.at('frei_neurons/rho_own', 1), axis=-1).mean())}"
        )
    return outcome(
        res, s_mean,
        "median_J rho_own(1) > 0 independent of d: slope of log median vs log d in [-0.1, 0.1] "
        "(card M4)", s_ci, recs[0].seeds, setting_text(recs), detail, FIG_AMPLIFICATION,
    )


@claim(
    "frei2023.lemma4.sign_inheritance",
    "Each neuron aligns with the own-class mean whose sign it had at initialisation: "
    "sgn<w_j^(t), mu_own(j)> = sgn<w_j^(0), mu_own(j)> for all j and 1 <= t <= T.",
    "Lemma 4, Lemma 12",
)
def check_sign_inheritance(runs: Runs) -> Outcome:
    return _event_claim(
        _regime(runs),
        lambda r: _series(r, "frei_neurons/sign_kept", 1, _T_of(r)).min(-1), 0.99, ">=",
        "share of neurons keeping their sign >= 0.99 at every 1 <= t <= T (card M5)",
        figure=FIG_TRAJECTORIES,
    )


@claim(
    "frei2023.condition9.alignment",
    "Neuron alignment (Condition 9) for 1 <= t <= 1/(4 alpha): every j in J_mu is active on "
    "all training points of cluster mu and inactive on all of cluster -mu.",
    "Condition 9, Lemmas 12-13",
)
def check_condition9(runs: Runs) -> Outcome:
    recs = _regime(runs)

    def frac(r: Record) -> np.ndarray:
        return _series(r, "frei_neurons/cond9_fraction", 1, _T_of(r) - 1).min(-1)

    exact = sum(int((frac(r) == 1.0).sum()) for r in recs.values())
    total = sum(r.seeds for r in recs.values())
    at_T = min(float(r.at("frei_neurons/cond9_fraction", _T_of(r)).min()) for r in recs.values())
    at_0 = float(np.mean([r.at("frei_neurons/cond9_fraction", 0).mean() for r in recs.values()]))
    return _event_claim(
        recs, frac, 0.99, ">=",
        "share of neurons satisfying Condition 9 >= 0.99 for 1 <= t <= 1/(4 alpha) (card M6)",
        f"every neuron aligned at every such t in {exact} of {total} runs; smallest share at T "
        f"{fmt_num(at_T)}; mean share at t=0 {fmt_num(at_0)}",
        FIG_TRAJECTORIES,
    )


@claim(
    "frei2023.condition10.near_orthogonality",
    "Almost-orthogonality (Condition 10) for t <= 1/(4 alpha): |<w_j^(t), mu2>| <= 3 alpha |a_j| "
    "for j in J_{+-mu1} and |<w_j^(t), mu1>| <= 3 alpha |a_j| for j in J_{+-mu2}.",
    "Condition 10, Lemma 13",
)
def check_condition10(runs: Runs) -> Outcome:
    return _event_claim(
        _regime(runs),
        lambda r: (_series(r, "frei_neurons/leak", 0, _T_of(r) - 1) / (3 * _lr(r))).max(-1),
        1.0, "<=", "max_j |<w_j, mu_other>| / (3 alpha |a_j|) <= 1 (card M7)",
        figure=FIG_TRAJECTORIES,
    )


@claim(
    "frei2023.lemma14.norm_growth",
    "Norm bounds for 1 <= t <= T: ||w_j^(t)|| <= 2 |a_j| alpha t for every j and "
    "||W^(t)||_F <= 2 alpha t (hence ||W^(T)||_F <= 1).",
    "Lemma 14, Lemma 11",
)
def check_norm_growth(runs: Runs) -> Outcome:
    recs = _regime(runs)

    def ratio(r: Record) -> np.ndarray:
        T, a = _T_of(r), _lr(r)
        t = np.arange(1, T + 1, dtype=np.float64)
        nm = _series(r, "frei_neurons/norm_max", 1, T) / (2 * a * t)
        nf = _series(r, "frei_neurons/norm_frob", 1, T) / (2 * a * t)
        return np.maximum(nm, nf).max(-1)

    frob_T = max(float(r.at("frei_neurons/norm_frob", _T_of(r)).max()) for r in recs.values())
    return _event_claim(
        recs, ratio, 1.0, "<=",
        "max(max_j ||w_j|| sqrt(m), ||W||_F) / (2 alpha t) <= 1 (card M8)",
        f"largest ||W^(T)||_F {fmt_num(frob_T)} (Lemma 11: <= 1)", FIG_TRAJECTORIES,
    )


@claim(
    "frei2023.eq20.own_cluster_growth",
    "After the amplification step the correlation with the own cluster grows at least linearly: "
    "<w_j^(t+1) - w_j^(t), mu> >= e^-2 alpha |a_j| / 64 for j in J_mu and 1 <= t <= T - 1 "
    "(Eq. 20 states it for J_{+mu1}; the other three sets by symmetry).",
    "Eq. (20), Lemma 13",
)
def check_own_growth(runs: Runs) -> Outcome:
    recs = _regime(runs)

    def ratio(r: Record) -> np.ndarray:
        return _series(r, "frei_neurons/own_step_min", 1, _T_of(r) - 1).min(-1) / OWN_STEP_MIN

    first = min(
        float(r.at("frei_neurons/own_step_min", 0).min()) / OWN_STEP_MIN for r in recs.values()
    )
    return _event_claim(
        recs, ratio, 1.0, ">=",
        "min_j <w_j^(t+1) - w_j^(t), mu_j> / (e^-2 alpha |a_j| / 64) >= 1 (card M9)",
        "the first step t=0 -> 1 (Lemma 12's step, not Eq. 20) has smallest ratio "
        f"{fmt_num(first)}",
        FIG_TRAJECTORIES,
    )


@claim(
    "frei2023.eq19.loss_weights",
    "No sample's loss weight vanishes before T: -l'(y_i f(x_i; W^(t))) >= e^-2/2 for every i "
    "and t <= T - 1.",
    "Eq. (19)/(37)",
)
def check_loss_weights(runs: Runs) -> Outcome:
    return _event_claim(
        _regime(runs),
        lambda r: _series(r, "frei_samples/loss_weight_min", 0, _T_of(r) - 1).min(-1),
        LOSS_WEIGHT_MIN, ">=",
        f"min_i -l'(y_i f(x_i)) >= e^-2/2 = {LOSS_WEIGHT_MIN:.4g} (card M10)",
        figure=FIG_TRAJECTORIES,
    )


def _misfit(r: Record) -> np.ndarray:
    """Per seed: training points on the wrong side of Theorem 1 at T (clean points
    misclassified plus noisy points fitted)."""
    T = _T_of(r)
    noisy = r.arrays["static/noisy"]
    n_noisy, n_clean = noisy.sum(-1), (~noisy).sum(-1)
    acc_c = r.at("frei_samples/acc_clean", T)
    acc_n = np.nan_to_num(r.at("frei_samples/acc_noisy", T), nan=0.0)
    return np.rint((1 - acc_c) * n_clean + acc_n * n_noisy)


def error_bound(r: Record) -> float:
    """η + C·sqrt(log(1/δ)/n) with C = 1 (Theorem 1's test-error bound, strictest C)."""
    n, eta = r.config["data"]["n"], r.config["data"]["noise"]
    return eta + TEST_C * math.sqrt(math.log(1 / DELTA) / n)


@claim(
    "frei2023.theorem1.train_fit",
    "At T = 1 + 1/(4 alpha) every clean training point is classified correctly and every noisy "
    "training point is misclassified (training accuracy 1 - |N|/n).",
    "Theorem 1 (1)",
)
def check_train_fit(runs: Runs) -> Outcome:
    recs = _regime(runs)
    noisy = int(sum(r.arrays["static/noisy"].sum() for r in recs.values()))
    return _event_claim(
        recs, _misfit, 0.0, "<=",
        "0 training points misfit (clean misclassified + noisy fitted) at T (card M12)",
        f"{noisy} noisy training points over all runs", FIG1,
    )


@claim(
    "frei2023.appendixA4.margins",
    "At T the clean margins are y_i f(x_i) >= gamma and the noisy ones <= -gamma, "
    "gamma = e^-2/(16*1024) ~ 8.3e-6.",
    "Appendix A.4",
)
def check_margins(runs: Runs) -> Outcome:
    def worst(r: Record) -> np.ndarray:
        T = _T_of(r)
        clean = r.at("frei_samples/margin_clean_min", T)
        noisy = r.at("frei_samples/margin_noisy_max", T)
        return np.fmin(clean, -noisy)

    return _event_claim(
        _regime(runs), worst, GAMMA, ">=",
        f"min(min_C y f, -max_N y f) >= gamma = {GAMMA:.3g} (card M11)", figure=FIG1,
    )


@claim(
    "frei2023.theorem1.test_error",
    "At T the test error on the noisy distribution is at most eta + C sqrt(log(1/delta)/n), "
    "a rate that does not depend on d; checked with C = 1, the strictest admissible value "
    "(the theorem needs C > 1), and delta = 0.05.",
    "Theorem 1 (2)",
)
def check_test_error(runs: Runs) -> Outcome:
    recs = _regime(runs)

    def excess(r: Record) -> np.ndarray:
        return r.arrays["final/frei_test/test_error"] - error_bound(r)

    per = "; ".join(
        f"{lab}: err_P {fmt_num(r.arrays['final/frei_test/test_error'].mean())} (eta "
        f"{r.config['data']['noise']:g}, bound {error_bound(r):.4g}), clean err "
        f"{fmt_num(r.arrays['final/frei_test/test_error_clean'].mean())}"
        for lab, r in recs.items()
    )
    return _event_claim(
        recs, excess, 0.0, "<=",
        "err_P - (eta + 1*sqrt(log(1/delta)/n)) <= 0 (card M13)",
        per + "; err_P on n_test fresh points with labels noisy at rate eta", FIG1,
    )


@claim(
    "frei2023.theorem1.matches_fstar",
    "At T the network classifies like x -> sgn(|<mu1, x>| - |<mu2, x>|) (agreement on test "
    "points >= 0.99).",
    "Theorem 1, Eq. (2)",
)
def check_fstar(runs: Runs) -> Outcome:
    return _event_claim(
        _regime(runs),
        lambda r: r.arrays["final/frei_test/agreement"],
        0.99, ">=", "test agreement with sgn(|<mu1,x>| - |<mu2,x>|) >= 0.99 (card M14)",
        figure=FIG1,
    )


@claim(
    "frei2023.theorem1.adversarial_noise",
    "Theorem 1 allows any input-dependent flip probability eta(x): with all flips placed in "
    "cluster +mu1 the clean points are still all right, the noisy ones all wrong, and the test "
    "error is at most eta + sqrt(log(1/delta)/n).",
    "Theorem 1, Section 2",
)
def check_adversarial(runs: Runs) -> Outcome:
    rec = runs.get("frei2023.adversarial")
    bound = error_bound(rec)
    misfit = _misfit(rec)
    err = rec.arrays["final/frei_test/test_error"]
    ok = (misfit == 0) & (err <= bound)
    res, _, _, k, R = event_outcome(ok.astype(float), 1.0, ">=")
    detail = (
        f"{_violations(k, R)}; test error {fmt_num(err.mean())} (bound {bound:.4g}), clean test "
        f"error {fmt_num(rec.arrays['final/frei_test/test_error_clean'].mean())}; "
        f"{int(rec.arrays['static/noisy'].sum())} noisy training points over all runs"
    )
    return outcome(
        res, float(misfit.max()),
        f"0 training points misfit and err_P <= {bound:.4g} in each run", mean_ci(misfit)[1],
        R, setting_text([rec], "noise model one-cluster: all flips in cluster +mu1"), detail,
        FIG1,
    )


@claim(
    "frei2023.prop2.feature_movement",
    "Features move (not the NTK regime): min_i ||phi(W^(T) x_i) - phi(W^(0) x_i)|| / "
    "||phi(W^(0) x_i)|| >= 1/(C omega_init sqrt(m d)), so it grows like 1/omega_init as "
    "omega_init shrinks (log-log slope -1).",
    "Proposition 2",
)
def check_feature_movement(runs: Runs) -> Outcome:
    rec = runs.get("frei2023.movement")
    K, R, T = int(rec.meta["groups"]), rec.seeds, _T_of(rec)
    mov = rec.at("frei_features/movement_min", T).reshape(K, R)
    v = rec.arrays["static/init_var_md"].reshape(K, R)[:, 0]  # ω_init² m d
    slopes = [loglog_slope(np.sqrt(v), mov[:, r]) for r in range(R)]
    s_mean, s_ci = mean_ci(slopes)
    res = interval_outcome(s_ci, -1.1, -0.9)
    scaled = mov * np.sqrt(v)[:, None]  # movement · ω_init sqrt(md) ≥ 1/C
    base = Config.from_dict(rec.config)
    cds = [conditions_of(base.replace(net__init_var=x / (base.net.m * _d(rec)))) for x in v]
    detail = (
        "min_i movement: "
        + ", ".join(f"omega2*m*d={x:.0e}: {fmt_num(mov[i].mean())}" for i, x in enumerate(v))
        + f"; smallest movement*omega_init*sqrt(md) {fmt_num(scaled.min())}, so Prop. 2's bound "
        f"holds here for every C >= {fmt_num(1.0 / scaled.min())}; largest C with A1-A7 per value: "
        + ", ".join(fmt_num(c.largest_c) if c.largest_c else "none" for c in cds)
    )
    setting = setting_text(
        [rec], "omega2*m*d swept over " + ", ".join(f"{x:.0e}" for x in v)
        + " (the C above is for the regime value)"
    )
    return outcome(
        res, s_mean, "log-log slope of min_i movement vs omega_init in [-1.1, -0.9] "
        "(card M15)", s_ci, R, setting, detail, FIG_AMPLIFICATION,
    )


def _linear_setting(lin: LinearView) -> str:
    c = lin.config
    cd = conditions_of(c)
    a = {x.id: x for x in cd.assumptions}
    return (
        f"d={c.data.d} n={c.data.n} (n > d) eta={c.data.noise:g} sigma2*d="
        f"{c.data.sigma2 * c.data.d:.3g} n_test={c.data.n_test} seeds={c.seeds}: the regime "
        f"distribution (A2, A4 hold up to C = {fmt_num(min(a['A2'].c_max, a['A4'].c_max))}) at a "
        f"d small enough for n > d; A1, which ties d to the sample size, holds only up to "
        f"C = {fmt_num(a['A1'].c_max)}. The statement concerns the distribution: by the symmetry "
        "x -> -x it does not depend on d"
    )


@claim(
    "frei2023.section1.linear_chance",
    "Linear classifiers are no better than random guessing on this distribution, read for "
    "homogeneous classifiers sgn<w, x> (the paper's networks have no biases): logistic "
    "regression without bias reaches at most 55% test accuracy on the clean labels.",
    "Abstract, Sections 1 and 5 (no formal statement)",
    tag="[INFERRED]",
)
def check_linear(runs: Runs) -> Outcome:
    lin = linear_view(runs.get("frei2023.linear"))
    acc = lin.acc["logreg_nobias_acc_clean"]
    m, ci = mean_ci(acc)
    net_acc = _per_seed(_regime(runs), lambda r: 1 - r.arrays["final/frei_test/test_error_clean"])
    detail = (
        f"per seed {', '.join(fmt_num(a) for a in acc)}; accuracy on the noisy test labels "
        f"{fmt_num(lin.acc['logreg_nobias_acc'].mean())}; the network at T reaches "
        f"{fmt_num(net_acc.mean())} on the clean labels; by the symmetry x -> -x every sgn<w, x> "
        "has clean error exactly 1/2 [INFERRED]"
    )
    return outcome(
        compare(ci, 0.55, "<="), m, "clean test accuracy <= 0.55 (chance 0.5; card M16)",
        ci, len(acc), _linear_setting(lin), detail,
    )


@claim(
    "frei2023.section1.affine_chance",
    "The same for affine classifiers sgn(<w, x> + b) (the card's reading: 'with a bias the error "
    "is still about 1/2'): the best of logistic regression with bias and the halfspace "
    "sgn(2<mu1, x> - 1) reaches at most 55% clean test accuracy. Outside the paper's model "
    "class (no biases).",
    "Abstract, Sections 1 and 5; card section 4 [INFERRED]",
    tag="[INFERRED]",
    in_regime=False,
)
def check_affine(runs: Runs) -> Outcome:
    lin = linear_view(runs.get("frei2023.linear"))
    best = np.maximum(lin.acc["logreg_bias_acc_clean"], lin.acc["one_vs_three_acc_clean"])
    m, ci = mean_ci(best)
    detail = (
        f"logistic regression with bias {fmt_num(lin.acc['logreg_bias_acc_clean'].mean())}; "
        f"sgn(2<mu1,x> - 1) {fmt_num(lin.acc['one_vs_three_acc_clean'].mean())} (it separates the "
        "cluster +mu1 from the other three: clean accuracy 3/4 when sigma is small) [INFERRED]"
    )
    return outcome(
        compare(ci, 0.55, "<="), m, "best clean test accuracy <= 0.55", ci, len(best),
        _linear_setting(lin), detail,
    )


@claim(
    "frei2023.lemma4.set_sizes",
    "Each neuron set has |J_mu| >= (m/4)(1 - 1/C0)^2 with C0 = 45*1024^2*e^4 (checked at "
    "widths m far below the ~C0^2 the bound needs, see details).",
    "Lemma 4",
    in_regime=False,
)
def check_set_sizes(runs: Runs) -> Outcome:
    def ratio(r: Record) -> np.ndarray:
        sets = r.at("frei_neurons/set", 0).astype(int)  # [R, m]
        m = sets.shape[-1]
        sizes = np.stack([(sets == c).sum(-1) for c in range(4)], -1)
        return sizes.min(-1) / (m / 4 * (1 - 1 / C0) ** 2)

    return _event_claim(
        _regime(runs), ratio, 1.0, ">=",
        "min_mu |J_mu| / ((m/4)(1 - 1/C0)^2) >= 1",
        "the bound has no fluctuation term, while |J_mu| ~ Binomial(m/2, 1/2) fluctuates by "
        "about sqrt(m)/4, so it can hold with high probability only for m (hence C in A5) of "
        "order C0^2 ~ 7e18 [INFERRED]",
    )


def _late_acc(rec: Record, key: str) -> np.ndarray:
    return 1.0 - rec.arrays[f"errors/{key}"]  # [R, T]


@claim(
    "frei2023.fig2.high_d_benign",
    "Far beyond T, with d >> n: after the network interpolates the noisy training set its test "
    "accuracy stays near the optimum 1 - eta (within 3 points).",
    "Figure 2 (left), empirical",
    in_regime=False,
)
def check_fig2_high(runs: Runs) -> Outcome:
    rec = runs.get("frei2023.fig2")["high_d"]
    eta = rec.config["data"]["noise"]
    train_acc, test_acc = _late_acc(rec, "train_error"), _late_acc(rec, "test_error")
    vals, first = [], []
    for r in range(rec.seeds):
        hit = np.flatnonzero(train_acc[r] >= 1.0)
        if hit.size:
            first.append(int(rec.times[hit[0]]))
            vals.append(float(test_acc[r, hit[0]:].min()))
    bound = f"min test accuracy after interpolation >= 1 - eta - 0.03 = {1 - eta - 0.03:.3g}"
    if len(vals) < rec.seeds:
        res, m, ci = INCONCLUSIVE, float("nan"), None
        detail = f"only {len(vals)} of {rec.seeds} runs interpolated within {rec.times[-1]} steps"
    else:
        m, ci = mean_ci(vals)
        res = compare(ci, 1 - eta - 0.03, ">=")
        detail = (
            f"interpolation at steps {first}; final test accuracy "
            f"{fmt_num(test_acc[:, -1].mean())}; peak {fmt_num(test_acc.max(-1).mean())}"
        )
    return outcome(res, m, bound, ci, rec.seeds, late_setting(rec), detail, FIG2)


@claim(
    "frei2023.fig2.low_d_decline",
    "Far beyond T, with n >> d: test accuracy drops once the network starts fitting the noisy "
    "labels, i.e. after the training accuracy passes 1 - eta (peak minus final test accuracy of "
    "at least 2 points; inconclusive if the training accuracy never passes 1 - eta).",
    "Figure 2 (right), empirical",
    in_regime=False,
)
def check_fig2_low(runs: Runs) -> Outcome:
    rec = runs.get("frei2023.fig2")["low_d"]
    eta = rec.config["data"]["noise"]
    test_acc, train_acc = _late_acc(rec, "test_error"), _late_acc(rec, "train_error")
    noisy_fit = rec.arrays["errors/noisy_fit_fraction"][:, -1]
    drop = test_acc.max(-1) - test_acc[:, -1]
    m, ci = mean_ci(drop)
    res = compare(ci, 0.02, ">=")
    if not (train_acc[:, -1] > 1 - eta).all():  # the premise was not reached in every run
        res = INCONCLUSIVE
    detail = (
        f"peak test accuracy {fmt_num(test_acc.max(-1).mean())}, final "
        f"{fmt_num(test_acc[:, -1].mean())}"
        f"; final train accuracy {fmt_num(train_acc[:, -1].mean())} (1 - eta = {1 - eta:g}); noisy "
        f"training points fitted at the end {fmt_num(noisy_fit.mean())}"
    )
    return outcome(
        res, m, "peak - final test accuracy >= 0.02", ci, rec.seeds, late_setting(rec),
        detail, FIG2,
    )


@claim(
    "frei2023.fig1.boundary",
    "Figure 1 (d = 2, sigma^2 = 1/50, 15% flipped labels, alpha = 0.05, omega_init^2 = 1/(32m), "
    "3000 steps): the decision boundary is the XOR boundary |x1| = |x2| and does not bend "
    "around noisy points: test agreement with sgn(|<mu1,x>| - |<mu2,x>|) >= 0.99, at least 99% "
    "of the clean training points right and at most 1% of the noisy ones fitted.",
    "Figure 1, empirical",
    in_regime=False,
)
def check_fig1(runs: Runs) -> Outcome:
    rec: Record = runs.get("frei2023.fig1")
    agree = rec.arrays["frei_test/agreement"][:, -1]
    acc_c = rec.arrays["frei_samples/acc_clean"][:, -1]
    fit_n = rec.arrays["frei_samples/acc_noisy"][:, -1]
    m, ci = mean_ci(agree)
    res = combine(
        compare(ci, 0.99, ">="), compare(mean_ci(acc_c)[1], 0.99, ">="),
        compare(mean_ci(fit_n)[1], 0.01, "<="),
    )
    c = rec.config
    detail = (
        f"clean training accuracy {fmt_num(acc_c.mean())}, noisy training points fitted "
        f"{fmt_num(fit_n.mean())}, test error "
        f"{fmt_num(rec.arrays['frei_test/test_error'][:, -1].mean())}"
        f" (eta = 0.15) at step {int(rec.times[-1])}"
    )
    setting = (
        f"d=2 n={c['data']['n']} m={c['net']['m']} eta=0.15 (iid) sigma2=1/50 "
        f"omega2=1/(32m) alpha=0.05 steps={c['train']['steps']} n_test={c['data']['n_test']} "
        f"seeds={rec.seeds}; outside the theory (d = 2, t >> T = 6); "
        f"{conditions_of(rec.config).summary()}"
    )
    return outcome(
        res, m, "test agreement with f* >= 0.99; clean train acc >= 0.99; noisy fitted "
        "<= 0.01 (95% CIs)", ci, rec.seeds, setting, detail, FIG1,
    )


@claim(
    "frei2023.lemma12.needs_small_init",
    "Contrast: amplification needs the small initialisation of (A6). With omega_init^2 = 1/(m d) "
    "(A6 fails for every C > 1) the first step is small against ||w_j^(0)||, so the median "
    "normalised own-cluster correlation after one step stays below 0.2 (it is ~0.7 under A6).",
    "Lemma 12 (proof idea), (A6)",
    tag="[INFERRED]",
    in_regime=False,
)
def check_needs_small_init(runs: Runs) -> Outcome:
    rec: Record = runs.get("frei2023.lazy")
    med1 = np.median(rec.at("frei_neurons/rho_own", 1), axis=-1)
    m, ci = mean_ci(med1)
    T = _T_of(rec)
    medT = np.median(rec.at("frei_neurons/rho_own", T), axis=-1)
    mov = rec.arrays["final/frei_features/movement_min"]
    detail = (
        f"median rho_own(1) {fmt_num(m)}, at T {fmt_num(medT.mean())}; rms rho(0) "
        f"{fmt_num(_rms_rho0(rec).mean())}; min_i feature movement at T {fmt_num(mov.mean())}; "
        f"clean training points misclassified at T {fmt_num(np.mean(_misfit(rec)))} on average"
    )
    return outcome(
        compare(ci, 0.2, "<="), m, "median_J rho_own(1) < 0.2", ci, rec.seeds,
        setting_text([rec], "omega_init^2 = 1/(md): A6 fails"), detail, FIG_AMPLIFICATION,
    )
