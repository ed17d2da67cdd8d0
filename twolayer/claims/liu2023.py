"""Claims of Liu, Abedsoltan & Belkin (2023), "On Emergence of Clean-Priority Learning in Early
Stopped Neural Networks" (paper card ``liu2023``, section 7 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL] and on reviews of the ICLR 2024
version [SECONDARY]; its ratio predictions are derived in the card [INFERRED]. Each claim keeps
that tag. The checks only read the Records of the experiments of
:mod:`twolayer.experiments.liu2023` (settings, runners, and the measurements t*, t_×, the early
window, the premises, ... on Records); no setting comes from the paper.

Verdict rules (thresholds are [PROPOSAL], fixed before looking at results; the card gives the
10 % and −0.9 values). Each claim makes k one-sided comparisons of a per-seed statistic with a
bound; they are judged together by Holm's step-down procedure at family-wise level 95%
(:func:`twolayer.stats.holm_outcomes`; one-sample t-test, or the exact sign test where the
per-seed values are bimodal), and the bound text says so. A claim *holds* when every comparison
holds, *fails* when one fails, else it is inconclusive; the interval shown is the t-interval of
the main statistic at the Bonferroni level :func:`twolayer.stats.family_level` (or the median's
order-statistic interval). ``seeds`` counts the finite per-seed values (:func:`stats.used`).
Each Outcome carries the comparisons it was decided from (per-seed values in run order, the
bound, the side and the test; one comparison as ``per_seed``/``threshold``/``direction``) and,
where the verdict is not "every comparison holds", its rule (:func:`crossing_rule`), so that
``twolayer check --seeds auto`` judges the same comparisons by confidence sequences.

Where the paper's statement is per class (Eq. (5), Assumption 4.1, Theorems 4.4/4.5), the
per-seed statistic is the worst class (maximum deviation), not the class average, so that
opposite deviations of two classes cannot cancel. Assumption 4.1 and Lemma 4.2 are early-phase
statements: they are judged at the worst probe time of the *early window* t ≤ max(1, t*/2) (the
first half of the clean-priority phase, which Theorem 4.5 and Figs. 6/8 end near t*), and the
detail reports that worst time.

Regime (``in_regime``) is computed from measured premises on the claim's own Records
(:mod:`twolayer.experiments.liu2023`, "Premises"). Every claim needs the paper's label noise
(card section 2): a fraction delta < 1/2 of the labels corrupted at random, independently of x
(noise model ``iid`` or ``per-cluster``; :func:`_noise`). Eq. (5) and the t = 0 claims need the
segment law of large numbers and f(w_0) ≈ 1/2 (``premise_segments``); Theorems 4.4/4.5 and Lemma 4.2
need two classes, anti-collinear segments over the early window (``premise_anticollinear``) and
the infinite-width premise (``premise_ntk``). The n = 400 settings, where these are measured to
be violated, are kept as findings outside the regime; the ``.regime`` claims check the same
statements on the n = 2000 mixture where they are measured to hold. The claims on trained times
(Theorems 4.4/4.5, Lemma 4.2, Assumption 4.1 over the early window) also need full-batch GD
steps over the times they read, read from the config (:func:`_optimiser`; card section 3
[SECONDARY]: Remark 4.3's extension to mini-batch SGD is called underdeveloped by the
reviewers): minibatch SGD and the gradient flow are outside. A Record too short to judge (t = 0
only, an early window of t = 0 only, a seed whose clean test error is never finite:
:func:`trajectory_gap`) is inconclusive for those claims, with the reason in the detail. The
angle claims (``intro.same_class_closer.*``) read the angle probe at t = 0 from ``init/...`` (the
experiments' Records) or, where a record has none, ``liu_angles/...`` at probe time 0 (a
``twolayer simulate`` record; :func:`init_angles`).

The Fig. 1 claims (``fig1.u_shape.*``, ``fig1.min_below_delta.delta``) are empirical statements
about the paper's MNIST/CNN experiment, checked on the card's [PROPOSAL] synthetic track (a
two-layer network on XOR clusters or Gaussian mixtures): they are registered ``decides=False``
(reported apart as *proposal*, out of the exit status; since 2026-12-04, docs/verdict_audit.md
finding 8). The theory's claims (Eq. (5), Assumption 4.1, Lemma 4.2, Theorems 4.4/4.5, the NTK
premise) are statements about any network whose measured premises hold, so they decide inside
their computed regime.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from ..experiments import Runs
from ..experiments.liu2023 import (
    ANTI_PREMISE,
    CROSS_EPS,
    DRIFT_PREMISE,
    FAR,
    NEAR,
    SEGMENT_PREMISE,
    anticollinear_key,
    bottom_range,
    deltas,
    early_end,
    init_n,
    noise_rate,
    num_classes,
    phase_end,
    premise_anticollinear,
    premise_ntk,
    premise_segments,
    rate_error,
    record,
    setting_text,
    t_argmin,
    t_cross,
    t_star,
    t_star_index,
    u_shape_stats,
    widths,
    window_extreme,
)
from ..probes.liu import predicted_init_ratio_binary, predicted_init_ratio_multiclass
from ..record import Record
from ..stats import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    combine,
    family_level,
    fmt_mean_ci,
    fmt_num,
    holm_outcomes,
    loglog_slope,
    mean_ci,
    median_ci,
    outliers,
    rate_bounds,
    used,
)
from .base import Outcome, claim, outcome

MIN_EFFECT = 0.05  # fall and rise of the U-shape: > 5 binomial s.e. of a test error (n_test ≥ 2000)
RATIO_TOL = 0.10  # |measured/predicted − 1| ≤ 10 % (card, claim 2)
ANTI_COS = ANTI_PREMISE  # cos(g_clean, g_noise) ≤ −0.9 (card, claim 2)
COS_TRUE_MIN = 0.9  # cos(g, ĝ) ≥ 0.9 ("near 1")
RATE_TOL = 0.10  # |κ_t/ρ_t − 1| ≤ 10 %: the size of Lemma 4.2's rescaled step
MONOTONE_MIN = 0.95  # share of probe intervals with α increasing
LEVEL = 0.95

FIG_U = "liu2023-fig1"
FIG_RATIO = "liu2023-ratio"
FIG_SEGMENTS = "liu2023-segments"
FIG_ANGLES = "liu2023-angles"
FIG_WIDTH = "liu2023-width"
FIG_REGIME = "liu2023-regime"  # the n = 2000 mixture and the δ sweep

Comparison = tuple[np.ndarray, float, str]


def _outcome(verdict: str, measured: float | None, bound: str,
             ci: tuple[float, float] | None, *args: object, **kwargs: object) -> Outcome:
    """:func:`outcome` with a non-finite interval reported as none (e.g. the median's
    order-statistic interval of fewer than 6 seeds): such a verdict is inconclusive anyway."""
    if ci is not None and not all(math.isfinite(x) for x in ci):
        ci = None
    return outcome(verdict, measured, bound, ci, *args, **kwargs)  # type: ignore[arg-type]


def _drawn(out: Outcome, figure: str | None) -> Outcome:
    """``out`` linked to ``figure``: the figure that draws the claim's own setting, or None
    where no figure draws it (Eq. (5)'s predicted ratios of the n = 2000 ``.regime``/``delta``
    settings, the t = 0 Record of ``lem42.rescaled_step.xor_large_n``, the n = 2000 width
    sweep). Until 2026-12-05 every check linked its kind's figure, which drew only the n = 400
    settings: the inside ``.regime`` verdicts pointed at curves of settings outside their
    premises; since then those with a drawn setting link ``liu2023-regime``."""
    return dataclasses.replace(out, figure=figure)


def _holm(comps: Sequence[Comparison], method: str = "t") -> tuple[str, list[str]]:
    """(claim verdict, per-comparison outcomes) of k comparisons, Holm-corrected at 95%."""
    outs = holm_outcomes([(np.asarray(v, dtype=np.float64), b, d) for v, b, d in comps],
                         level=LEVEL, method=method)
    return combine(*outs), outs


def _holm_margin(comps: Sequence[Comparison], margins: Sequence[float]
                 ) -> tuple[str, list[str], list[Comparison]]:
    """:func:`_holm` for statistics whose expectation may sit up to ``margins[i]`` past the
    quantity the statement is about, on its passing side (a minimum over time selected from
    noisy measurements: :func:`selection_margin`). A comparison holds only against its bound
    moved by the margin towards the passing side's far end (bound + s for ">=", bound − s for
    "<="), and fails only against its own bound: between the two it is inconclusive. Each side
    is Holm-corrected over the k comparisons at 95%. Returns (verdict, per-comparison outcomes,
    the moved comparisons, which a *holds* rests on)."""
    moved = [(v, b + m if d == ">=" else b - m, d) for (v, b, d), m in zip(comps, margins)]
    _, up = _holm(moved)
    _, raw = _holm(comps)
    outs = [HOLDS if u == HOLDS else FAILS if r == FAILS else INCONCLUSIVE
            for u, r in zip(up, raw)]
    return combine(*outs), outs, moved


def _ci(values: np.ndarray, k: int) -> tuple[float, tuple[float, float]]:
    """Mean and its t-interval at the Bonferroni level of a family of k comparisons."""
    return mean_ci(values, level=family_level(LEVEL, k))


def _holm_text(k: int, method: str = "t") -> str:
    test = "one-sample t-test" if method == "t" else "exact sign test of the median"
    return (f"; Holm over {k} comparisons, family-wise 95% ({test})" if k > 1
            else f"; one-sided {test} at 95%")


def _one_test(values: np.ndarray, threshold: float, direction: str, bound: str, setting: str,
              detail: str, figure: str, premises: tuple[bool, str]) -> Outcome:
    """The outcome of a claim decided by one one-sided t-test at 95% that the per-seed
    ``values`` are ``direction`` (">=" or "<=") ``threshold``: measured as their mean with its
    t-interval, the seeds used those with a finite value, ``bound`` the tested statement as
    reported (with :func:`_holm_text` of 1), inside the regime where ``premises`` (ok, why)
    holds."""
    res, _ = _holm([(values, threshold, direction)])
    m, ci = mean_ci(values)
    ok, regime = premises
    # the comparison it decided from is handed over (since session 49): the verdict is
    # re-judged by that one-sided test, and seeds_needed is the seeds at which it decides
    # (from per_seed alone it was the two-sided interval's, about 40% more)
    return _outcome(
        res, m, bound, ci, used(values), setting, detail, figure, per_seed=values,
        threshold=threshold, direction=direction, in_regime=ok, regime=regime,
        comparisons=[(values, threshold, direction)], test="t",
    )


LOSS_ROUNDING = 1e-5  # a loss change below this (losses ~ ln 2 at t = 0) is float32 rounding


def counterexample_runs(comps: Sequence[Comparison], names: Sequence[str],
                        margins: Sequence[float] | None = None,
                        premised: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """The runs past a comparison's bound, one line each ("<name> in run <r> (<value>)"): a
    value on the failing side of its bound by more than the comparison's margin (0: any; a NaN
    is no counterexample, it is a lost measurement). ``premised`` [R] bool: whether each run
    meets the statement's premises as measured in that run (:func:`run_premises`); a run past a
    bound that does not is listed second, not as a counterexample (the statement says nothing
    about it). Returns (counterexamples, runs past a bound outside their own premises)."""
    out: list[str] = []
    excused: list[str] = []
    for i, ((v, b, d), name) in enumerate(zip(comps, names)):
        v, eps = np.asarray(v, dtype=np.float64), (margins[i] if margins else 0.0)
        bad = v < b - eps if d == ">=" else v > b + eps
        for r in np.flatnonzero(bad):
            line = f"{name} in run {int(r)} ({fmt_num(float(v[r]))})"
            (out if premised is None or premised[r] else excused).append(line)
    return out, excused


def run_premises(rec: Record, end: np.ndarray | None = None, anti: bool = True,
                 segments: bool = False) -> tuple[np.ndarray, str]:
    """[R] bool: whether each run meets, as measured in that run, the premises that the claim's
    regime reads as intervals over the runs: the infinite-width premise (gradient drift at the
    end of the window <= 0.1, :func:`premise_ntk`), with ``anti`` Assumption 4.1 over the window
    (worst per-class cos(g_clean, g_noise) <= -0.9, :func:`premise_anticollinear`), with
    ``segments`` Eq. (5)'s law of large numbers at t = 0 (S >= 10, :func:`premise_segments`);
    ``end``: the window's last probe index per run (default: the early window). A NaN (not
    measured) does not meet a premise. Also a text naming the premises read."""
    ok = np.asarray(premise_ntk(rec, end)[2] <= DRIFT_PREMISE)
    names = [f"gradient drift <= {DRIFT_PREMISE:g}"]
    if anti:
        ok &= np.asarray(premise_anticollinear(rec, end)[2] <= ANTI_PREMISE)
        names.append(f"worst per-class cos(g_clean, g_noise) <= {ANTI_PREMISE:g} over the window")
    if segments:
        ok &= np.asarray(premise_segments(rec)[2] >= SEGMENT_PREMISE)
        names.append(f"segment S >= {SEGMENT_PREMISE:g} at t = 0")
    return ok, " and ".join(names)


EVERY_RUN = "in every run: "


def _every_run_text(k: int) -> str:
    """How :func:`_every_run` decides, for a bound text."""
    return ("; one run past a bound fails the claim (a counterexample; a run that does not meet "
            "the premises as measured in it is none), else it holds where "
            + ("each mean is past its bound" if k > 1 else "the mean is past the bound")
            + _holm_text(k).replace(";", ",", 1))


def _every_run(comps: Sequence[Comparison], names: Sequence[str],
               margins: Sequence[float] | None = None,
               premised: tuple[np.ndarray, str] | None = None):  # type: ignore[no-untyped-def]
    """A statement about every run (a theorem or assumption on each GD run, since 2026-12-06):
    one run past a bound is a counterexample and the claim fails, whatever the mean; without
    one, the Holm-corrected tests of the means decide as before. A test of the mean alone holds
    with a failing run rarer than 1/R unseen, and also with one seen among R runs whose mean
    stays past the bound (docs/verdict_audit.md, sections 16-17). ``premised``: the mask and
    text of :func:`run_premises`; a run past a bound that does not meet the premises as
    measured in it is no counterexample (the regime reads those premises as intervals over the
    runs, so such a run can sit in a setting computed inside). Returns (verdict, outcomes, the
    detail's text on the runs past a bound, rule, fails_from): ``rule`` for the Outcome, so
    that a re-judged verdict keeps it, and ``fails_from`` naming the runs past a bound (""
    without one): a fails its rule gives with every comparison inconclusive is taken only with
    the evidence named (claims.base, since session 51)."""
    res, outs = _holm(comps)
    mask, premises = premised if premised is not None else (None, "")
    bad, excused = counterexample_runs(comps, names, margins, mask)

    def rule(outcomes: Sequence[str]) -> str:
        return FAILS if bad else combine(*outcomes)

    text = (f"runs past a bound: {len(bad)} ({'; '.join(bad[:6])}"
            + (", ..." if len(bad) > 6 else "") + ")" if bad else "no run past a bound")
    if excused:
        text += (f"; past a bound in a run outside its own premises ({premises}; not a "
                 f"counterexample): {'; '.join(excused[:6])}" + (", ..." if len(excused) > 6
                                                                  else ""))
    elif mask is not None and not mask.all():
        text += (f" (runs not meeting their own premises, {premises}, not past a bound: "
                 f"{', '.join(str(int(r)) for r in np.flatnonzero(~mask)[:12])})")
    fails_from = f"{len(bad)} run(s) past a bound (counterexamples)" if bad else ""
    return rule(outs), outs, text, rule, fails_from


def _regime(*premises: tuple[bool, str]) -> tuple[bool, str]:
    """All premises must hold; the text lists each with its measured value (a premise that
    holds with an empty text, :func:`_optimiser` on full-batch GD, adds none)."""
    return all(ok for ok, _ in premises), "; ".join(text for _, text in premises if text)


RANDOM_FLIPS = ("iid", "per-cluster")  # corruption independent of x, η = the corrupted fraction


def _noise(rec: Record) -> tuple[bool, str]:
    """The paper's label noise (card section 2): a fraction delta < 1/2 of the training labels
    randomly corrupted (flipped, or changed to another class), independently of the input.
    Inside only for the flip models ``iid`` and ``per-cluster`` at delta < 1/2, where the
    Record's noise rate is that fraction; outside for the input-dependent models (one-cluster,
    confident: the noisy segment is not a random part of its class, so Eq. (5)'s E[grad h] is
    not shared) and for ``random`` replacement (its rate is a replacement probability, the
    corrupted fraction is rate (K-1)/K, not the delta the claims compare with)."""
    model, delta = rec.config["data"].get("noise_model", "iid"), noise_rate(rec)
    if model not in RANDOM_FLIPS:
        K = num_classes(rec)
        why = (f"labels replaced at random with probability {delta:g}, corrupted fraction "
               f"{delta * (K - 1) / K:g}, not the delta the claims use" if model == "random"
               else "input-dependent corruption, not a random part of each class")
        return False, (f"label noise {model} at rate {delta:g}: the paper's delta is a fraction "
                       f"of labels corrupted at random, independently of x ({why})")
    if delta >= 0.5:
        return False, (f"label noise {model}, delta = {delta:g} >= 1/2: no clean majority (the "
                       "paper sets delta < 1/2)")
    ok, drawn = clean_majority(rec)
    return ok, (f"label noise {model}, delta = {delta:g} < 1/2 (corrupted at random); {drawn}")


def clean_majority(rec: Record) -> tuple[bool, str]:
    """The clean majority the paper's delta < 1/2 stands for, read from the training set the
    Record drew (not from the configured rate alone: at delta near 1/2 a class of a finite
    sample can draw more noisy points than clean ones, and then its segment ratio starts below
    1, alpha_0^(c) > 1, and that class has no clean-priority phase for Assumption 4.1, Lemma 4.2
    and Theorems 4.4/4.5 to describe): every class of every seed with |D_clean^(c)| >
    |D_noise^(c)| at t = 0 (``liu/class_count_*``), or, where the Record has no per-class counts,
    every seed with fewer than half of its training labels corrupted (``static/noisy``). Holds
    with the configured rate alone only where the Record has neither (said in the text)."""
    a = rec.arrays
    if "liu/class_count_clean" in a and "liu/class_count_noisy" in a:
        clean = np.asarray(a["liu/class_count_clean"])[:, 0].astype(np.float64)  # [R, C]
        noisy = np.asarray(a["liu/class_count_noisy"])[:, 0].astype(np.float64)
        bad = np.argwhere(~(clean > noisy))
        if bad.size:
            r, c = (int(x) for x in bad[0])
            return False, (f"no clean majority in the drawn training set: class {c} of seed {r} "
                           f"has {int(noisy[r, c])} noisy and {int(clean[r, c])} clean points "
                           f"({len(bad)} class(es) over the seeds with |D_noise^(c)| >= "
                           "|D_clean^(c)|: their segment ratio starts at or below 1, no "
                           "clean-priority phase)")
        with np.errstate(divide="ignore"):  # a class without noisy points: inf
            least = float(np.min(clean / noisy))
        return True, ("clean majority in every class of every seed's training set (smallest "
                      f"|D_clean^(c)|/|D_noise^(c)| {fmt_num(least)})")
    if "static/noisy" in a:
        frac = np.asarray(a["static/noisy"], dtype=np.float64).reshape(rec.seeds, -1).mean(-1)
        ok = bool(np.all(frac < 0.5))
        return ok, (f"largest share of corrupted training labels over the seeds "
                    f"{fmt_num(float(frac.max()))}" + (" < 1/2 (clean majority; per class not "
                                                       "recorded)" if ok else " >= 1/2: no "
                                                       "clean majority"))
    return True, "clean majority from the configured rate (the drawn labels are not recorded)"


def _loss(rec: Record) -> tuple[bool, str]:
    """The theory's loss (card section 2): binary cross-entropy, gradient (f - y) grad h
    (twolayer's ``logistic``; ``softmax`` for K classes, Section 5)."""
    obj = str(rec.config["train"].get("objective", "logistic"))
    return obj in ("logistic", "softmax"), (
        f"loss {obj}" + (" (cross-entropy, as the paper's)" if obj in ("logistic", "softmax")
                         else ": not the paper's cross-entropy, whose residual f - y the "
                         "theory reads"))


def _binary(rec: Record) -> tuple[bool, str]:
    K = num_classes(rec)
    return K == 2, f"K = {K} classes (Theorems 4.4/4.5 and Lemma 4.2 are binary)"


def _seg(rec: Record) -> tuple[bool, str]:
    """Eq. (5)'s premises: the paper's random label noise and the measured segment premise."""
    ok, text, _ = premise_segments(rec)
    return _regime(_noise(rec), (ok, text))


def _anti(rec: Record, end: np.ndarray | None = None) -> tuple[bool, str]:
    ok, text, _ = (premise_anticollinear(rec) if end is None else
                   premise_anticollinear(rec, end, "clean-priority-phase (t <= t_x)"))
    return ok, text


def _ntk(rec: Record, end: np.ndarray | None = None) -> tuple[bool, str]:
    ok, text, _ = (premise_ntk(rec) if end is None else
                   premise_ntk(rec, end, "the clean-priority phase (t_x)"))
    return ok, text


def _fmt_times(times: np.ndarray, k: int = 6) -> str:
    return (", ".join(f"{float(t):g}" for t in times[:k])
            + (f", ... ({times.size} in all)" if times.size > k else ""))


def trajectory_gap(rec: Record, window: bool = True, min_times: int = 2) -> str:
    """"" where ``rec`` has the trajectory that the checks of trained times read, else one line
    saying what it lacks (since 2026-12-05; before, such a Record raised in the checks, or was
    judged at t = 0 as if it were the early phase):

    - fewer than ``min_times`` probe times: t = 0 only (``twolayer simulate --steps 0``, or
      probe times that stop at 0), or too few for a curve that falls and rises;
    - a seed whose clean test error is not finite at any probe time (t* and the early window
      are undefined);
    - with ``window``: a seed whose early window t <= max(1, t*/2) holds t = 0 only (a Record
      whose probe times have none in (0, max(1, t*/2)]): the early phase is not observed.

    A Record without ``errors/test_error_clean`` is judged by its probe times alone (the checks
    that read that array name the missing probe)."""
    steps, times = int(rec.config["train"]["steps"]), np.asarray(rec.times)
    if times.size < min_times:
        return (("t = 0 only" if times.size < 2 else f"{times.size} probe times, fewer than the "
                 f"{min_times} a curve that falls and rises needs")
                + f" (steps = {steps}; probe times {_fmt_times(times) or 'none'}): "
                + ("the early phase is not observed" if times.size < 2 else
                   "no time before, at and after a minimum"))
    if "errors/test_error_clean" not in rec.arrays:
        return ""
    e = np.asarray(rec.arrays["errors/test_error_clean"], dtype=np.float64)
    dead = np.flatnonzero(~np.isfinite(e.reshape(e.shape[0], -1)).any(axis=1))
    if dead.size:
        return (f"the clean test error (errors/test_error_clean) is not finite at any probe time "
                f"in {dead.size} of {rec.seeds} seeds (seed index "
                f"{', '.join(str(int(r)) for r in dead[:6])}): t* and the early window are "
                "undefined")
    if window:
        short = np.flatnonzero(early_end(rec) < 1)
        if short.size:
            return (f"the early window t <= max(1, t*/2) holds t = 0 only in {short.size} of "
                    f"{rec.seeds} seeds (steps = {steps}; probe times {_fmt_times(times)}): the "
                    "early phase is not observed")
    return ""


def _trained(rec: Record) -> tuple[bool, str]:
    """The early phase is observed: steps > 0 and every seed's early window holds a probe time
    after t = 0 (:func:`trajectory_gap`)."""
    steps = int(rec.config["train"]["steps"])
    if steps == 0:
        return False, "t = 0 only: the early phase is not observed"
    gap = trajectory_gap(rec)
    return not gap, gap or f"{steps} steps observed"


GD_PREMISE = (
    "Theorems 4.4/4.5, Lemma 4.2 and Assumption 4.1 are about full-batch GD steps (card "
    "section 3 [SECONDARY]); Remark 4.3 extends the analysis to mini-batch SGD, which the "
    "reviewers call underdeveloped [SECONDARY]: no developed statement covers it"
)


def _optimiser(rec: Record, last: float | None = None) -> tuple[bool, str]:
    """The theory's algorithm, read from the config: full-batch GD. Inside for ``integrator``
    gd with no ``batch_size`` or a batch of all n points (twolayer then takes full-batch steps),
    and for ``auto`` (exact GD up to ``switch``, then the gradient flow) when ``last``, the last
    probe time the claim reads, is at most ``switch``; such a premise holds with an empty text
    (the regime texts of GD Records are as before 2026-12-05). Outside for minibatch SGD (Remark
    4.3's extension, called underdeveloped by the reviewers) and for the gradient flow (the
    statements are about GD steps; the flow integrates their small-step limit, not the
    algorithm the theorems state)."""
    tc = rec.config["train"]
    n, batch = int(rec.config["data"]["n"]), tc.get("batch_size")
    integrator = str(tc.get("integrator", "gd"))
    if batch is not None and int(batch) < n:
        return False, (f"minibatch SGD (batch {batch} of n = {n}): outside the full-batch GD "
                       f"premise. {GD_PREMISE}")
    if integrator == "flow":
        return False, (f"the gradient flow (integrator flow, rtol {tc.get('rtol')}), not GD "
                       f"steps: outside the full-batch GD premise. {GD_PREMISE}")
    if integrator == "auto":
        switch = int(tc.get("switch", 0))
        if last is not None and last <= switch:
            return True, (f"exact full-batch GD steps up to t = {switch} (integrator auto), and "
                          f"the claim reads t <= {last:g}")
        reads = "an undefined window" if last is None else f"up to t = {last:g}"
        return False, (f"integrator auto: exact GD up to t = {switch}, then the gradient flow, "
                       f"and the claim reads {reads}: outside the full-batch GD premise. "
                       f"{GD_PREMISE}")
    if integrator != "gd":
        return False, f"integrator {integrator}: not full-batch GD. {GD_PREMISE}"
    return True, ""


def _last_time(rec: Record, end: np.ndarray) -> float:
    """The last probe time a claim reads, over the seeds (``end``: per-seed probe indices)."""
    return float(np.max(rec.times[np.asarray(end, dtype=np.int64)]))


def _infinite_width(rec: Record) -> tuple[bool, str]:
    """The ICLR introduction's finding is about infinitely wide networks: a record of finite
    width m is a proxy for it, outside the statement's premise (computed from the config, not
    assumed; the paper gives no finite width at which it applies)."""
    m = int(rec.config["net"]["m"])
    return False, (f"width m = {m}: the statement (ICLR introduction) is about infinitely "
                           "wide networks and gives no finite width at which it holds, so a "
                           "finite-width run is a proxy, outside its premise; t = 0, label-free "
                           "logit gradients at initialisation")


def _theorem_regime(rec: Record, phase: bool = False) -> tuple[bool, str]:
    """The premises of Theorems 4.4/4.5 and Lemma 4.2, measured on ``rec`` (a t = 0 Record, or
    one whose early window holds t = 0 only, has no early phase: outside). Assumption 4.1 and
    the NTK premise over the early window, or with ``phase`` (Theorem 4.5's claims, judged up to
    t_×) over the whole clean-priority phase up to t_× (:func:`phase_end`): a premise must hold
    where its claim is judged. The algorithm (:func:`_optimiser`, since 2026-12-05): full-batch
    GD over the times the claim reads, from the config (minibatch SGD and the gradient flow are
    outside)."""
    trained = _trained(rec)
    if not trained[0]:  # t = 0 only, or an early window without a time after 0
        return _regime(_binary(rec), _loss(rec), _noise(rec), trained)
    end = phase_end(rec) if phase else None
    # the last time read: the window (Theorem 4.5: up to t_x, and t*, the crossing's bottom)
    reads = (np.maximum(end, bottom_range(rec)[:, 1]) if phase else early_end(rec))
    return _regime(_binary(rec), _loss(rec), _noise(rec), trained, _anti(rec, end),
                   _ntk(rec, end), _optimiser(rec, _last_time(rec, reads)))


# --------------------------------------------------------------------------------------------
# Claim 1: U-shaped clean test error, minimum below the noise level (Fig. 1)
# --------------------------------------------------------------------------------------------

U_STATEMENT = (
    "With a fraction delta of training labels corrupted (clean test set), the clean test error "
    "of {what} falls, reaches its minimum at t*, then rises as noisy points are fitted; the "
    "minimum is below delta."
)


def _not_judged(rec: Record, gap: str, bound: str, figure: str | None,
                regime: tuple[bool, str], note: str = "") -> Outcome:
    """The inconclusive verdict of a check whose Record is too short to judge (``gap``, from
    :func:`trajectory_gap`): nothing measured, the reason in the detail, the regime as
    computed."""
    ok, text = regime
    return _outcome(INCONCLUSIVE, None, bound, None, 0, setting_text(rec, note),
                    f"not judged: {gap}", figure, in_regime=ok, regime=text)


def _u_regime(rec: Record) -> tuple[bool, str]:
    ok, text = _noise(rec)
    return ok, f"{text}; an empirical statement, no theorem premise"


def u_bound(delta: float, s: float | None = None) -> str:
    """The U-shape claims' bound text, with the selection margin s where it was computed."""
    sel = "s" if s is None else f"s = {s:.3g}"
    return (f"min_t clean test error < delta = {delta:g}; fall and rise >= {MIN_EFFECT}; "
            "each holds past its bound by the selection margin s and fails short of the bound "
            f"itself" + _holm_text(3) + f" ({sel}: sqrt(2 ln T) x the binomial s.e. near the "
            "minimum; interval: min error at the Bonferroni level)")


def selection_margin(rec: Record, emin: np.ndarray) -> float:
    """s = sqrt(2 ln T) · sqrt(p (1 − p) / n_test), the largest over the seeds: a bound on how far,
    in expectation, the minimum over the record's T probe times of a clean test error measured
    on n_test points sits below the curve near its bottom. The expected maximum of T standard
    normal deviations, correlated or not, is at most sqrt(2 ln T); p is the exact one-sided 95%
    upper bound (Clopper–Pearson) of the error at the seed's measured minimum ``emin``, since
    the minimum itself is biased low (a test set of 10 points whose minimum is 0 gives p =
    0.26). The U-shape's statistics read that minimum (the fall e(0) − min, the rise e(T) − min,
    the minimum against delta), so each comparison holds only past its bound by s and fails only
    short of the bound itself (:func:`_holm_margin`; the per-seed values stay as measured, so
    the zero-spread rule still sees them): a test set too small for the bound cannot show a U
    from its noise alone, and a margin past the bound makes a comparison inconclusive, never
    failed. MIN_EFFECT = 0.05 was chosen as 5 s.e. at n_test >= 2000, which a user's record need
    not have; at the plans' 5000 test points and minima of 0.01–0.05, s is 0.005–0.013 (measured
    on the full plan). No test set (n_test 0): s is infinite."""
    n_test = int(rec.config["data"].get("n_test", 0) or 0)
    T = len(rec.times)
    if n_test <= 0:
        return math.inf
    p = rate_bounds(emin, n_test, LEVEL)[1]
    per_seed = math.sqrt(2.0 * math.log(max(T, 1))) * np.sqrt(p * (1.0 - p) / n_test)
    finite = per_seed[np.isfinite(per_seed)]
    return float(finite.max()) if finite.size else math.inf


def _u_shape(rec: Record) -> Outcome:
    delta = noise_rate(rec)
    gap = trajectory_gap(rec, window=False, min_times=3)
    if gap:
        return _not_judged(rec, gap, u_bound(delta), FIG_U, _u_regime(rec))
    s = u_shape_stats(rec)
    sm = selection_margin(rec, s["emin"])
    res, outs, comps = _holm_margin([(s["emin"], delta, "<="), (s["fall"], MIN_EFFECT, ">="),
                                     (s["rise"], MIN_EFFECT, ">=")], [sm] * 3)
    m_min, ci_min = _ci(s["emin"], 3)
    fit = rec.arrays["errors/noisy_fit_fraction"][:, -1]
    b = bottom_range(rec)
    detail = (
        f"min clean test error {fmt_mean_ci(s['emin'])} at t* {fmt_mean_ci(s['t_star'])} (bottom "
        f"of the U from t {fmt_mean_ci(rec.times[b[:, 0]])} to {fmt_mean_ci(rec.times[b[:, 1]])}; "
        f"argmin {fmt_mean_ci(t_argmin(rec))}); at t=0 {fmt_mean_ci(s['e0'])}; at the end "
        f"{fmt_mean_ci(s['eT'])}; fall {fmt_mean_ci(s['fall'])}, rise {fmt_mean_ci(s['rise'])} "
        f"(each >= {MIN_EFFECT}; the selection margin s = {sm:.3g} from n_test = "
        f"{int(rec.config['data'].get('n_test', 0))} and {len(rec.times)} probe times); Holm "
        f"outcomes (min, fall, rise): "
        f"{', '.join(outs)}; noisy training points fitted at the end {fmt_mean_ci(fit)}; clean "
        f"training subset error at the end "
        f"{fmt_mean_ci(rec.arrays['errors/train_error_clean'][:, -1])}"
    )
    ok, regime = _u_regime(rec)
    return _outcome(
        res, m_min, u_bound(delta, sm), ci_min, used(s["emin"]), setting_text(rec),
        detail, FIG_U, in_regime=ok, regime=regime,
        comparisons=comps, test="t",
    )


for _name, _what, _src in (
    ("xor", "full-batch GD on the XOR clusters", "Fig. 1, abstract"),
    ("xor_sgd", "minibatch SGD on the XOR clusters", "Fig. 1, Remark 4.3"),
    ("mixture", "full-batch GD on a two-class Gaussian mixture", "Fig. 1, abstract"),
    ("k10", "full-batch GD (softmax) on ten Gaussian classes",
     "Fig. 1 (MNIST-10 analogue), Section 5"),
    ("regime", "full-batch GD on the two-class Gaussian mixture with n = 2000",
     "Fig. 1, abstract"),
):

    def _u_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _u_shape(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)  # fig1 draws n = 400 only

    claim(f"liu2023.fig1.u_shape.{_name}", U_STATEMENT.format(what=_what), _src,
          "[PAPER-PARTIAL]", decides=False)(_u_check)


DELTA_U_STATEMENT = (
    "At every noise rate delta (0.1, 0.2, 0.4 here) the minimum over training time of the clean "
    "test error is below delta (Fig. 1's dashed line; n = 2000 Gaussian mixture)."
)


@claim("liu2023.fig1.min_below_delta.delta", DELTA_U_STATEMENT, "Fig. 1, abstract",
       "[PAPER-PARTIAL]", decides=False)
def check_u_delta(runs: Runs) -> Outcome:
    recs = deltas(runs)
    us = {dl: u_shape_stats(r) for dl, r in recs.items()}
    margins = {dl: selection_margin(r, us[dl]["emin"]) for dl, r in recs.items()}
    res, outs, comps = _holm_margin([(us[dl]["emin"], dl, "<=") for dl in recs],
                                    list(margins.values()))
    k = len(comps)
    parts, worst, worst_ci = [], -math.inf, (math.nan, math.nan)
    for dl, o in zip(recs, outs):
        s = us[dl]
        m, ci = _ci(s["emin"] / dl, k)
        if m > worst:
            worst, worst_ci = m, ci
        parts.append(
            f"delta={dl:g}: min {fmt_mean_ci(s['emin'])} (selection margin s = "
            f"{margins[dl]:.3g}) at t* {fmt_mean_ci(s['t_star'])}, fall "
            f"{fmt_mean_ci(s['fall'])}, rise by the end {fmt_mean_ci(s['rise'])} ({o})"
        )
    prem = {dl: _u_regime(r) for dl, r in recs.items()}
    ok = all(o for o, _ in prem.values())
    first = next(iter(recs.values()))
    return _outcome(
        res, worst, "min_t clean test error < delta at each delta, holding below delta - s "
        "(s: the selection margin) and failing above delta"
        + _holm_text(k)
        + " (measured: the largest min/delta, interval at the Bonferroni level)",
        worst_ci, min(used(c[0]) for c in comps),
        setting_text(first, "delta in {" + ", ".join(f"{d:g}" for d in recs) + "}"),
        "; ".join(parts), FIG_REGIME, in_regime=ok,
        regime=("; ".join(f"delta={dl:g}: {t}" for dl, (_, t) in prem.items()) if not ok else
                "delta < 1/2 at every delta, corrupted at random; an empirical statement, no "
                "theorem premise"),
        comparisons=comps, test="t",
    )


# --------------------------------------------------------------------------------------------
# Claim 2: initial configuration (Eq. (5), Assumption 4.1, Section 5)
# --------------------------------------------------------------------------------------------

RATIO_BIN_STATEMENT = (
    "At initialisation ||g_clean^(c)|| / ||g_noise^(c)|| = |D_clean^(c)| / |D_noise^(c)| "
    "~ (1 - delta)/delta for each class c (binary, Eq. (5): g_k = |D_k| E[f - y] E[grad h])."
)
RATIO_K_STATEMENT = (
    "At initialisation, for the gradient through the true-class logit c, ||g_noise^(c)|| / "
    "||g_clean^(c)|| ~ delta / ((1 - delta)(K - 1)) for each class c (softmax outputs ~ 1/K: "
    "clean residual 1/K - 1, noisy residual 1/K)."
)
ANTI_STATEMENT = (
    "At initialisation the clean and noisy segment gradients of each class are nearly opposite: "
    "cos(g_clean^(c), g_noise^(c)) ~ -1 (Assumption 4.1 at t = 0, from Eq. (5))."
)
EARLY_ANTI_STATEMENT = (
    "In the early phase of training the clean and noisy segment gradients of each class stay "
    "anti-collinear, g_noise^(c)(w_t) = -alpha_t g_clean^(c)(w_t): cos(g_clean^(c), g_noise^(c)) "
    "~ -1 at every time of the early window (Assumption 4.1)."
)


def _class_dev_binary(rec: Record) -> np.ndarray:
    """[R, C] ratio^(c)(0) / (|D_clean^(c)|/|D_noise^(c)|) − 1."""
    a = rec.arrays
    ratio = a["segments/class_ratio"][:, 0].astype(np.float64)
    return ratio / (a["liu/class_count_clean"][:, 0] / a["liu/class_count_noisy"][:, 0]) - 1.0


def _class_dev_multiclass(rec: Record, key: str = "liu/logit_class_ratio") -> np.ndarray:
    """[R, C] (noisy/clean)^(c)(0) / (|D_noise^(c)|/(|D_clean^(c)|(K−1))) − 1."""
    a, K = rec.arrays, num_classes(rec)
    inv = 1.0 / a[key][:, 0].astype(np.float64)
    pred = a["liu/class_count_noisy"][:, 0] / (a["liu/class_count_clean"][:, 0] * (K - 1))
    return inv / pred - 1.0


def _worst_abs(dev: np.ndarray) -> np.ndarray:
    """[R] per seed max_c |dev^(c)| (NaN classes ignored)."""
    return np.nanmax(np.abs(dev), axis=-1)


def _ratio_outcome(rec: Record, dev: np.ndarray, bound: str, extra: str, note: str) -> Outcome:
    worst = _worst_abs(dev)
    detail = (
        f"worst class |deviation| at t=0 {fmt_mean_ci(worst)}; signed per class (mean over "
        f"seeds) {', '.join(fmt_num(x) for x in np.nanmean(dev, 0))}; class-averaged "
        f"{fmt_mean_ci(np.nanmean(dev, -1))}; {extra}. {note}"
    )
    return _one_test(
        worst, RATIO_TOL, "<=", bound + _holm_text(1),
        setting_text(rec, "t = 0" if rec.config["train"]["steps"] == 0 else "t = 0 of the run"),
        detail, FIG_RATIO, _seg(rec),
    )


def _ratio_binary(rec: Record, note: str = "") -> Outcome:
    delta = noise_rate(rec)
    a = rec.arrays
    extra = (
        f"per-class ratio at t=0 {fmt_mean_ci(np.nanmean(a['segments/class_ratio'][:, 0], -1))} "
        f"vs (1-delta)/delta = {fmt_num(predicted_init_ratio_binary(delta))}; pooled ratio "
        f"{fmt_mean_ci(a['segments/grad_ratio'][:, 0])}; noisy points per class "
        f"{fmt_mean_ci(a['liu/class_count_noisy'][:, 0].mean(-1))}"
    )
    return _ratio_outcome(
        rec, _class_dev_binary(rec),
        f"max_c |ratio^(c) / (|D_clean^(c)|/|D_noise^(c)|) - 1| <= {RATIO_TOL:g}", extra, note,
    )


def _ratio_multiclass(rec: Record, note: str = "") -> Outcome:
    delta, K = noise_rate(rec), num_classes(rec)
    a = rec.arrays
    dev_all = _class_dev_multiclass(rec, "segments/class_ratio")
    extra = (
        f"true-class logit noisy/clean at t=0 "
        f"{fmt_mean_ci(np.nanmean(1.0 / a['liu/logit_class_ratio'][:, 0], -1))} vs "
        f"delta/((1-delta)(K-1)) = {fmt_num(predicted_init_ratio_multiclass(delta, K))}; all "
        f"logits (full gradient): worst class |deviation| {fmt_mean_ci(_worst_abs(dev_all))}, "
        f"cos {fmt_mean_ci(np.nanmean(a['segments/class_cos_clean_noisy'][:, 0], -1))}; noisy "
        f"points per class {fmt_mean_ci(a['liu/class_count_noisy'][:, 0].mean(-1))}"
    )
    return _ratio_outcome(
        rec, _class_dev_multiclass(rec),
        f"max_c |(noisy/clean)^(c) / (|D_noise^(c)|/(|D_clean^(c)|(K-1))) - 1| <= {RATIO_TOL:g} "
        "(true-class logit)", extra, note,
    )


def _anticollinear_init(rec: Record, note: str = "") -> Outcome:
    cos = rec.arrays[anticollinear_key(rec)][:, 0].astype(np.float64)
    worst = np.nanmax(cos, -1)
    detail = (
        f"worst class cos(g_clean^(c), g_noise^(c)) at t=0 {fmt_mean_ci(worst)}; class-averaged "
        f"{fmt_mean_ci(np.nanmean(cos, -1))}; pooled "
        f"{fmt_mean_ci(rec.arrays['segments/cos_clean_noisy'][:, 0])}; noisy points per class "
        f"{fmt_mean_ci(rec.arrays['liu/class_count_noisy'][:, 0].mean(-1))}. {note}"
    )
    return _one_test(
        worst, ANTI_COS, "<=",
        f"max_c cos(g_clean^(c), g_noise^(c)) <= {ANTI_COS:g} at t = 0" + _holm_text(1),
        setting_text(rec, "t = 0"), detail, FIG_RATIO, _seg(rec),
    )


EARLY_ANTI_BOUND = (EVERY_RUN + "max over classes and t <= t*/2 of cos(g_clean^(c), "
                    f"g_noise^(c)) <= {ANTI_COS:g}" + _every_run_text(1))


def _anticollinear_early(rec: Record) -> Outcome:
    """Assumption 4.1 over the early window: per seed the worst (largest) per-class cosine over
    the probe times t ≤ max(1, t*/2), and where it occurs. A Record without an early phase
    (:func:`trajectory_gap`) is not judged: inconclusive, outside (until 2026-12-05 a t = 0
    Record was judged at t = 0 and could hold inside). Regime: the segment and NTK premises and
    (since 2026-12-05) full-batch GD over the window (:func:`_optimiser`)."""
    gap = trajectory_gap(rec)
    if gap:
        return _not_judged(rec, gap, EARLY_ANTI_BOUND, FIG_RATIO,
                           _regime(_seg(rec), (False, gap)), "early window t <= max(1, t*/2)")
    end = early_end(rec)
    worst, when = window_extreme(rec, anticollinear_key(rec), end, "max")
    # Assumption 4.1 is about each run's early phase: one run whose segments are not
    # anti-collinear fails the claim
    comps = [(worst, ANTI_COS, "<=")]
    res, _, bad, rule, fails_from = _every_run(
        comps, ("cos above the bound",), premised=run_premises(rec, anti=False, segments=True))
    m, ci = mean_ci(worst)
    ok, regime = _regime(_seg(rec), _ntk(rec), _optimiser(rec, _last_time(rec, end)))
    detail = (
        f"worst per-class cos over the early window t <= "
        f"{fmt_mean_ci(rec.times[end].astype(np.float64))}: {fmt_mean_ci(worst)}, at t "
        f"{', '.join(fmt_num(t) for t in when)} (per seed); at t=0 (worst class) "
        f"{fmt_mean_ci(np.nanmax(rec.arrays[anticollinear_key(rec)][:, 0], -1))}; "
        f"{bad}"
    )
    return _outcome(
        res, m, EARLY_ANTI_BOUND, ci, used(worst),
        setting_text(rec, "early window t <= max(1, t*/2)"),
        detail, FIG_RATIO, per_seed=worst, threshold=ANTI_COS, direction="<=", in_regime=ok,
        regime=regime, comparisons=comps, test="t", rule=rule, fails_from=fails_from,
    )


SMALL_N_NOTE = "Setting of the U-shape (n = 400: about 60 noisy points per class)."
LARGE_N_NOTE = "Same distribution as the U-shape setting, n ten times (or more) larger."


@claim("liu2023.eq5.init_ratio.xor", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_xor(runs: Runs) -> Outcome:
    return _drawn(_ratio_binary(record(runs, "xor"), SMALL_N_NOTE), FIG_ANGLES)


@claim("liu2023.eq5.init_ratio.xor_large_n", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_xor_large(runs: Runs) -> Outcome:
    return _drawn(_ratio_binary(init_n(runs)["xor"], LARGE_N_NOTE), FIG_ANGLES)


@claim("liu2023.eq5.init_ratio.regime", RATIO_BIN_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_regime(runs: Runs) -> Outcome:
    return _drawn(_ratio_binary(record(runs, "regime"), "Gaussian mixture, n = 2000."), None)


DELTA_RATIO_STATEMENT = (
    "At initialisation ||g_clean^(c)|| / ||g_noise^(c)|| ~ |D_clean^(c)|/|D_noise^(c)| ~ "
    "(1 - delta)/delta for each class c at every noise rate delta (0.1, 0.2, 0.4 here; Eq. (5))."
)


@claim("liu2023.eq5.init_ratio.delta", DELTA_RATIO_STATEMENT, "Eq. (5)", "[INFERRED]")
def check_ratio_delta(runs: Runs) -> Outcome:
    recs = deltas(runs)
    worsts = {dl: _worst_abs(_class_dev_binary(r)) for dl, r in recs.items()}
    comps = [(w, RATIO_TOL, "<=") for w in worsts.values()]
    res, outs = _holm(comps)
    k = len(worsts)
    allw = np.stack(list(worsts.values()))  # [k, R]
    worst_dl = max(worsts, key=lambda d: float(np.nanmean(worsts[d])))
    m, ci = _ci(worsts[worst_dl], k)
    prem = {dl: _seg(r) for dl, r in recs.items()}
    parts = [
        f"delta={dl:g}: worst class |deviation| {fmt_mean_ci(w)} ({o}); ratio "
        f"{fmt_mean_ci(np.nanmean(recs[dl].arrays['segments/class_ratio'][:, 0], -1))} vs "
        f"(1-delta)/delta = {fmt_num(predicted_init_ratio_binary(dl))}"
        for (dl, w), o in zip(worsts.items(), outs)
    ]
    first = next(iter(recs.values()))
    return _outcome(
        res, m, f"max_c |ratio^(c)/(|D_clean^(c)|/|D_noise^(c)|) - 1| <= {RATIO_TOL:g} at each "
        "delta" + _holm_text(k) + f" (measured: the worst delta, {worst_dl:g})", ci,
        int(min(used(r) for r in allw)),
        setting_text(first, "t = 0; delta in {" + ", ".join(f"{d:g}" for d in recs) + "}"),
        "; ".join(parts), None, in_regime=all(ok for ok, _ in prem.values()),
        regime="; ".join(f"delta={dl:g}: {t}" for dl, (_, t) in prem.items()),
        comparisons=comps, test="t",
    )


@claim("liu2023.sec5.init_ratio.k10", RATIO_K_STATEMENT, "Section 5", "[INFERRED]")
def check_ratio_k10(runs: Runs) -> Outcome:
    return _drawn(_ratio_multiclass(record(runs, "k10"), "Setting of the U-shape (n = 500)."),
                  FIG_ANGLES)


@claim("liu2023.sec5.init_ratio.k10_large_n", RATIO_K_STATEMENT, "Section 5", "[INFERRED]")
def check_ratio_k10_large(runs: Runs) -> Outcome:
    return _drawn(_ratio_multiclass(init_n(runs)["k10"], LARGE_N_NOTE), FIG_ANGLES)


@claim("liu2023.asm41.init_anticollinear.xor", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]")
def check_anti_xor(runs: Runs) -> Outcome:
    return _drawn(_anticollinear_init(record(runs, "xor"), SMALL_N_NOTE), FIG_ANGLES)


@claim("liu2023.asm41.init_anticollinear.xor_large_n", ANTI_STATEMENT, "Assumption 4.1, Eq. (5)",
       "[SECONDARY]")
def check_anti_xor_large(runs: Runs) -> Outcome:
    return _drawn(_anticollinear_init(init_n(runs)["xor"], LARGE_N_NOTE), FIG_ANGLES)


for _name, _what in (("xor", "XOR clusters, n = 400"), ("mixture", "Gaussian mixture, n = 400"),
                     ("regime", "Gaussian mixture, n = 2000")):

    def _early_anti_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _anticollinear_early(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)

    claim(f"liu2023.asm41.early_anticollinear.{_name}",
          EARLY_ANTI_STATEMENT + f" ({_what})", "Assumption 4.1", "[SECONDARY]")(
        _early_anti_check)


# --------------------------------------------------------------------------------------------
# Claim 3: early phase, clean loss down and noisy loss up (Theorem 4.4)
# --------------------------------------------------------------------------------------------

LOSS_STATEMENT = (
    "Early in training ({what}) the clean-segment loss of every class decreases and the "
    "noisy-segment loss of every class, measured with the corrupted training labels, increases."
)


LOSS_BOUND = (
    EVERY_RUN + "min_c [L_noisy^(c)(t_w) - L_noisy^(c)(0)] > 0 and max_c [L_clean^(c)(t_w) - "
    "L_clean^(c)(0)] < 0, t_w = max(1, t*/2), and the same on every probe interval of "
    f"[0, t_w] (worst interval; past a bound by more than {LOSS_ROUNDING:g}, float32 "
    "rounding)" + _every_run_text(4) + " (interval: the noisy change at the Bonferroni level)"
)


def _early_losses(rec: Record) -> Outcome:
    """Theorem 4.4 over the early window. A Record without an early phase (t = 0 only, or an
    early window holding t = 0 only: :func:`trajectory_gap`) is inconclusive, not judged
    (until 2026-12-05 it raised)."""
    gap = trajectory_gap(rec)
    if gap:
        return _not_judged(rec, gap, LOSS_BOUND, FIG_SEGMENTS, _theorem_regime(rec))
    end = early_end(rec)
    rows = np.arange(rec.seeds)
    a = rec.arrays
    lc, ln = a["liu/class_loss_clean"].astype(np.float64), a["liu/class_loss_noisy"].astype(
        np.float64)
    d_clean = lc[rows, end] - lc[:, 0]  # [R, C]
    d_noisy = ln[rows, end] - ln[:, 0]
    up = np.nanmin(d_noisy, -1)  # the class whose noisy loss rose least
    down = np.nanmax(d_clean, -1)  # the class whose clean loss fell least
    # Theorem 4.4 is about each GD step: per seed also the worst probe interval of the window
    # (every step to t = 10, then the log-spaced grid), over classes
    up_step = np.asarray([np.nanmin(np.diff(ln[r, : end[r] + 1], axis=0)) for r in rows])
    down_step = np.asarray([np.nanmax(np.diff(lc[r, : end[r] + 1], axis=0)) for r in rows])
    comps = [(up, 0.0, ">="), (down, 0.0, "<="), (up_step, 0.0, ">="), (down_step, 0.0, "<=")]
    # Theorem 4.4 is about every GD step of a run: one run whose loss goes the wrong way fails
    res, outs, bad, rule, fails_from = _every_run(
        comps, ("noisy loss fell over the window", "clean loss rose over the window",
                "noisy loss fell on a probe interval", "clean loss rose on a probe interval"),
        [LOSS_ROUNDING] * 4, premised=run_premises(rec))
    m, ci = _ci(up, 4)
    pc, pn = a["errors/loss_clean"], a["errors/loss_noisy"]
    one_n = pn[:, 1] - pn[:, 0]
    peak = rec.times[pn.argmax(axis=1)].astype(np.float64)
    detail = (
        f"window t <= t*/2 = {fmt_mean_ci(rec.times[end].astype(np.float64))}: smallest per-class "
        f"change of the noisy loss {fmt_mean_ci(up)}, largest per-class change of the clean loss "
        f"{fmt_mean_ci(down)}; worst probe interval of the window, over classes: smallest "
        f"noisy-loss change {fmt_mean_ci(up_step)}, largest clean-loss change "
        f"{fmt_mean_ci(down_step)} (Holm, in this order: {', '.join(outs)}); {bad}; "
        f"pooled changes: clean "
        f"{fmt_mean_ci(pc[rows, end] - pc[:, 0])}, noisy {fmt_mean_ci(pn[rows, end] - pn[:, 0])}; "
        f"first GD step, pooled noisy loss {fmt_mean_ci(one_n)} (increase in "
        f"{int((one_n > 0).sum())} of {rec.seeds} seeds); pooled noisy loss peaks at t "
        f"{fmt_mean_ci(peak)} (t* {fmt_mean_ci(t_star(rec))}); residuals at the end of the window: "
        f"clean {fmt_mean_ci(a['liu/resid_clean'][rows, end])}, noisy "
        f"{fmt_mean_ci(a['liu/resid_noisy'][rows, end])}"
    )
    ok, regime = _theorem_regime(rec)
    return _outcome(
        res, m, LOSS_BOUND, ci, used(up), setting_text(rec), detail, FIG_SEGMENTS, in_regime=ok,
        regime=regime,
        comparisons=comps, test="t", rule=rule, fails_from=fails_from,
    )


for _name, _what, _src in (
    ("xor", "GD, XOR clusters, n = 400", "Theorem 4.4, Figs. 5/7"),
    ("mixture", "GD, Gaussian mixture, n = 400", "Theorem 4.4, Figs. 5/7"),
    ("k10", "GD, softmax, K = 10", "Theorem 4.4, Section 5, Figs. 5/7"),
    ("regime", "GD, Gaussian mixture, n = 2000", "Theorem 4.4, Figs. 5/7"),
):

    def _loss_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _early_losses(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)

    claim(f"liu2023.thm44.early_losses.{_name}", LOSS_STATEMENT.format(what=_what), _src,
          "[SECONDARY]")(_loss_check)


# --------------------------------------------------------------------------------------------
# Claim 4: α_t increases; clean priority ends (ratio ≈ 1) near t* (Theorem 4.5, Figs. 6/8)
# --------------------------------------------------------------------------------------------

MONO_STATEMENT = (
    "alpha_t^(c) = ||g_noise^(c)|| / ||g_clean^(c)|| increases monotonically during "
    "clean-priority learning, for every class c ({what})."
)
CROSS_STATEMENT = (
    "Clean-priority learning ends when ||g_clean|| / ||g_noise|| has fallen to ~1, and this "
    "happens near the early-stopping point t* of the U-shaped test error ({what})."
)


def _class_ratio_key(rec: Record) -> str:
    return "segments/class_ratio" if num_classes(rec) == 2 else "liu/logit_class_ratio"


def class_monotone_shares(rec: Record) -> np.ndarray:
    """[R, C] per class, the share of probe intervals in [0, t_×] (pooled t_×; the whole run if
    the ratio never reaches 1 + ε) on which α_t^(c) = 1/ratio_t^(c) increases (binary: all
    parameters; K classes: the gradients through the true-class logit)."""
    alpha = 1.0 / rec.arrays[_class_ratio_key(rec)].astype(np.float64)  # [R, T, C]
    tx = t_cross(rec)
    out = np.empty((alpha.shape[0], alpha.shape[2]))
    for r in range(alpha.shape[0]):
        end = (int(np.flatnonzero(rec.times == tx[r])[0]) if np.isfinite(tx[r])
               else len(rec.times) - 1)
        seg = alpha[r, : max(end, 1) + 1]
        out[r] = (np.diff(seg, axis=0) > 0).mean(axis=0)
    return out


MONO_BOUND = (EVERY_RUN + "min_c share of probe intervals with alpha^(c) increasing >= "
              f"{MONOTONE_MIN:g}" + _every_run_text(1))


def _monotone(rec: Record) -> Outcome:
    gap = trajectory_gap(rec)
    if gap:  # no probe interval to count (until 2026-12-05: a NaN share, inconclusive unsaid)
        return _not_judged(rec, gap, MONO_BOUND, FIG_RATIO, _theorem_regime(rec, phase=True))
    shares = class_monotone_shares(rec)
    worst = shares.min(-1)
    # Theorem 4.5 is about every run: one run whose alpha is not monotone fails the claim
    comps = [(worst, MONOTONE_MIN, ">=")]
    res, _, bad, rule, fails_from = _every_run(
        comps, ("share of increasing intervals below the bound",),
        premised=run_premises(rec, phase_end(rec)))
    m, ci = mean_ci(worst)
    alpha = 1.0 / rec.arrays["segments/grad_ratio"].astype(np.float64)
    tx = t_cross(rec)
    pooled = np.empty(rec.seeds)
    for r in range(rec.seeds):
        end = (int(np.flatnonzero(rec.times == tx[r])[0]) if np.isfinite(tx[r])
               else len(rec.times) - 1)
        pooled[r] = float((np.diff(alpha[r, : max(end, 1) + 1]) > 0).mean())
    detail = (
        f"smallest per-class share of increasing probe intervals up to t_x {fmt_mean_ci(worst)}; "
        f"class-averaged {fmt_mean_ci(shares.mean(-1))}; pooled alpha_t {fmt_mean_ci(pooled)} "
        f"(probe grid: every step to t=10, then {rec.config['probe']['num_times']} log-spaced "
        f"times); pooled alpha at t=0 {fmt_mean_ci(alpha[:, 0])}, at the end "
        f"{fmt_mean_ci(alpha[:, -1])}; ratio reached 1+{CROSS_EPS:g} in "
        f"{int(np.isfinite(tx).sum())} of {rec.seeds} seeds; {bad}"
    )
    ok, regime = _theorem_regime(rec, phase=True)
    return _outcome(
        res, m, MONO_BOUND, ci, used(worst), setting_text(rec), detail, FIG_RATIO,
        per_seed=worst, threshold=MONOTONE_MIN, direction=">=", in_regime=ok, regime=regime,
        comparisons=comps, test="t", rule=rule, fails_from=fails_from,
    )


def crossing_rule(outs: Sequence[str]) -> str:
    """The crossing claim's verdict from the outcomes of its 4 comparisons of log10(t_×/t*)
    (in order: <= log10 3, >= −log10 3, >= 1, <= −1): *fails* when a far comparison (3rd or
    4th) holds, *holds* when both near ones (1st and 2nd) hold, else inconclusive. Sound: a
    decided far comparison puts the median beyond a factor 10 (the claim is false), two decided
    near ones put it within a factor 3; a failed near comparison alone decides nothing."""
    if HOLDS in outs[2:]:
        return FAILS
    if outs[0] == HOLDS and outs[1] == HOLDS:
        return HOLDS
    return INCONCLUSIVE


CROSS_BOUND = (f"median t_x / t* within a factor {NEAR:g} (holds); beyond a factor {FAR:g} "
               "(fails); Holm over 4 comparisons, family-wise 95% (exact sign tests of the "
               "median)")


# log10(t_x/t*) of a seed whose ratio never reaches 1 + eps (t_x > T): beyond any factor, and
# finite for the sign tests; never reported as a ratio (10**99 was printed as the measured value)
NEVER = 99.0


def _ratio(log_ratio: float) -> float:
    """t_x/t* from its log10, inf for :data:`NEVER` (t_x beyond the run: no finite ratio), 0 for
    -:data:`NEVER` (t_x = 0: the ratio is at or below 1 + eps from the start)."""
    if log_ratio <= -NEVER:
        return 0.0
    return math.inf if log_ratio >= NEVER else 10**log_ratio


def _ratio_text(log_ratio: float) -> str:
    """:func:`_ratio` for the detail: "beyond the run" for :data:`NEVER`, "0" for -NEVER."""
    if log_ratio <= -NEVER:
        return "0 (t_x = 0: the ratio starts at or below 1 + eps)"
    return "beyond the run (t_x > T)" if log_ratio >= NEVER else fmt_num(10**log_ratio)


def _crossing(rec: Record) -> Outcome:
    """t_×/t* per seed on a log scale, judged by exact sign tests of its median (the per-seed
    t* can be bimodal: the K = 10 curve has an early dip and a main minimum): holds when both
    log10(t_×/t*) <= log10 3 and >= −log10 3 hold, fails when log10(t_×/t*) >= 1 or <= −1
    holds; Holm over the 4 comparisons. A seed whose ratio never reaches 1 + ε has t_× > T:
    counted as beyond a factor 3 (near comparisons) and at its lower bound T/t* (far ones).
    A Record without an early phase (:func:`trajectory_gap`) is not judged."""
    gap = trajectory_gap(rec)
    if gap:
        return _not_judged(rec, gap, CROSS_BOUND, FIG_RATIO, _theorem_regime(rec, phase=True))
    ts, tx = t_star(rec), t_cross(rec)
    never = ~np.isfinite(tx)
    T = float(rec.times[-1])
    lg = np.log10(np.where(never, T, tx) / np.maximum(ts, 1.0))  # lower bound where never
    near_v = np.where(never, np.inf, lg)
    # beyond any factor, finite for the test: +NEVER where the ratio never reaches 1 + eps
    # (t_x > T), -NEVER where it is there at t = 0 (t_x = 0, log10 0 = -inf: far *below* t*,
    # which until 2026-12-06 was turned into +NEVER, "beyond the run (t_x > T)")
    near_v = np.where(np.isinf(near_v), np.sign(near_v) * NEVER, near_v)
    n3, n10 = math.log10(NEAR), math.log10(FAR)
    comps = [(near_v, n3, "<="), (lg, -n3, ">="), (lg, n10, ">="), (lg, -n10, "<=")]
    outs = holm_outcomes(comps, level=LEVEL, method="sign")
    res = crossing_rule(outs)
    med, (lo, hi) = median_ci(near_v)
    flagged = outliers(np.log10(ts))
    t1 = t_cross(rec, 0.0)
    ratio_star = rec.arrays["segments/grad_ratio"][np.arange(rec.seeds), t_star_index(rec)]
    detail = (
        f"per seed t* {', '.join(fmt_num(t) for t in ts)}; t_x (ratio <= 1+{CROSS_EPS:g}) "
        f"{', '.join(fmt_num(t) for t in tx)}"
        + (f" ({int(never.sum())} seeds never reach it)" if never.any() else "")
        + f"; median t_x/t* {_ratio_text(med)} (order-statistic 95% interval "
          f"{_ratio_text(lo)}..{_ratio_text(hi)}); sign-test outcomes (<= x3, >= x1/3, >= x10, "
          f"<= x1/10): {', '.join(outs)}; outlier seeds in log t* (> 3.5 MAD): "
          f"{len(flagged)} ({', '.join(str(int(i)) for i in flagged) or 'none'}); ratio <= 1 "
          f"exactly in {int(np.isfinite(t1).sum())} of {rec.seeds} seeds; ratio at t* "
          f"{fmt_mean_ci(ratio_star)}"
    )
    ok, regime = _theorem_regime(rec, phase=True)
    return _outcome(
        res, _ratio(med), CROSS_BOUND, (_ratio(lo), _ratio(hi)), used(near_v), setting_text(rec),
        detail,
        FIG_RATIO, in_regime=ok,
        regime=regime, comparisons=comps, test="sign", rule=crossing_rule,
    )


for _name, _what in (("xor", "GD, XOR clusters, n = 400"),
                     ("mixture", "GD, Gaussian mixture, n = 400"),
                     ("k10", "GD, softmax, K = 10"),
                     ("regime", "GD, Gaussian mixture, n = 2000")):

    def _mono_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _monotone(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)

    def _cross_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _crossing(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)

    claim(f"liu2023.thm45.alpha_monotone.{_name}", MONO_STATEMENT.format(what=_what),
          "Theorem 4.5", "[SECONDARY]")(_mono_check)
    claim(f"liu2023.thm45.crossing_near_tstar.{_name}", CROSS_STATEMENT.format(what=_what),
          "Theorem 4.5, Figs. 6/8", "[SECONDARY]")(_cross_check)


# --------------------------------------------------------------------------------------------
# Claim 5: early updates follow the true-label gradient, rescaled (Lemma 4.2)
# --------------------------------------------------------------------------------------------

STEP_STATEMENT = (
    "In the early phase a GD step on the noisy labels is a GD step on the true labels with step "
    "eta (1 - alpha_t)/(1 + alpha_t): g = rho_t g_hat with rho_t = (1 - alpha_t)/(1 + alpha_t), "
    "g the full-batch gradient with the training labels, g_hat with the true labels ({what})."
)
RATE_STATEMENT = (
    "A GD step on the noisy labels equals a GD step on the true labels with step "
    "eta (1 - alpha_t)/(1 + alpha_t); the deviation from this (|kappa_t - (1-alpha_t)/(1+alpha_t)|,"
    " kappa_t = <g, g_hat>/||g_hat||^2) shrinks as the width m grows (infinite-width premise)."
)


def _lemma42(rec: Record) -> Outcome:
    """Direction and size of Lemma 4.2's rescaled step at the worst probe time of the early
    window: min_t cos(g, ĝ) >= 0.9 and max_t |κ_t/ρ_t − 1| <= 0.1 (κ_t = ⟨g, ĝ⟩/‖ĝ‖², ρ_t from
    the pooled α_t); Holm over the 2. A t = 0 Record (or one whose probe times stop at 0) has
    the window {0}; one with a seed whose clean test error is never finite (t* undefined) is
    inconclusive, not judged (:func:`trajectory_gap`)."""
    bound = (EVERY_RUN + f"min_t cos(g, g_hat) >= {COS_TRUE_MIN:g} and max_t |kappa_t/rho_t - "
             f"1| <= {RATE_TOL:g} over the early window" + _every_run_text(2)
             + " (interval: the cosine at the Bonferroni level)")
    if int(rec.config["train"]["steps"]) == 0 or rec.times.size < 2:
        end = np.zeros(rec.seeds, dtype=np.int64)
    else:
        gap = trajectory_gap(rec, window=False)
        if gap:
            return _not_judged(rec, gap, bound, FIG_RATIO, _theorem_regime(rec),
                               "early window t <= max(1, t*/2)")
        end = early_end(rec)
    a = rec.arrays
    cos, t_cos = window_extreme(rec, "segments/cos_g_true", end, "min")
    size = np.abs(a["segments/kappa"].astype(np.float64) / a["liu/lemma_rate"] - 1.0)
    rows = np.arange(rec.seeds)
    size_w = np.asarray([np.nanmax(size[r, : end[r] + 1]) for r in rows])
    rel_w = np.asarray([np.nanmax(a["liu/lemma_rel_error"][r, : end[r] + 1]) for r in rows])
    comps = [(cos, COS_TRUE_MIN, ">="), (size_w, RATE_TOL, "<=")]
    # Lemma 4.2 is about every GD step of a run: one run off the rescaled step fails the claim
    res, outs, bad, rule, fails_from = _every_run(comps, ("cos(g, g_hat) below the bound",
                                              "|kappa/rho - 1| above the bound"),
                                      premised=run_premises(rec, end))
    m, ci = _ci(cos, 2)
    alpha_end = a["liu/lemma_alpha"][rows, end]
    detail = (
        f"early window t <= {fmt_mean_ci(rec.times[end].astype(np.float64))}: worst cos(g, g_hat) "
        f"{fmt_mean_ci(cos)} (at t {', '.join(fmt_num(t) for t in t_cos)}); worst "
        f"|kappa/rho - 1| {fmt_mean_ci(size_w)}; worst relative error of the rescaled step "
        f"||g - rho g_hat||/||rho g_hat|| {fmt_mean_ci(rel_w)} (at t=0 "
        f"{fmt_mean_ci(a['liu/lemma_rel_error'][:, 0])}); pooled alpha at the end of the window "
        f"{fmt_mean_ci(alpha_end)}; Holm outcomes (direction, size): {', '.join(outs)}; "
        f"{bad}"
    )
    ok, regime = _theorem_regime(rec)
    return _outcome(
        res, m, bound, ci, used(cos),
        setting_text(rec, "early window t <= max(1, t*/2)" if rec.times.size > 1
                     and int(rec.config["train"]["steps"]) else "t = 0 only"),
        detail, FIG_RATIO, in_regime=ok, regime=regime, comparisons=comps, test="t",
        rule=rule, fails_from=fails_from,
    )


for _name, _what in (("xor", "XOR clusters, n = 400"), ("mixture", "Gaussian mixture, n = 400"),
                     ("regime", "Gaussian mixture, n = 2000")):

    def _lemma_check(runs: Runs, _name: str = _name) -> Outcome:
        out = _lemma42(record(runs, _name))
        return out if _name != "regime" else _drawn(out, FIG_REGIME)

    claim(f"liu2023.lem42.rescaled_step.{_name}", STEP_STATEMENT.format(what=_what),
          "Lemma 4.2 (Eq. 7), abstract claim 1", "[SECONDARY]")(_lemma_check)


@claim("liu2023.lem42.rescaled_step.xor_large_n",
       STEP_STATEMENT.format(what="XOR clusters, n ten times larger, t = 0 only"),
       "Lemma 4.2 (Eq. 7), abstract claim 1", "[SECONDARY]")
def check_lemma_xor_large(runs: Runs) -> Outcome:
    return _drawn(_lemma42(init_n(runs)["xor"]), None)  # t = 0: drawn by no figure


def _width_regime(recs: dict[int, Record], ntk_premise: bool) -> tuple[bool, str]:
    """Premises of the width claims: the paper's label noise at every width, NTK-scale init
    (ω_init² the same at every m) and Assumption 4.1 over the early window at the largest width;
    ``ntk_premise`` (the rate claim, Lemma 4.2's): also the drift premise there (not for the
    drift claim, which tests it), two classes (Lemma 4.2 is binary) and, since 2026-12-05,
    full-batch GD over the early window at every width (:func:`_optimiser`; Lemma 4.2 is about
    a GD step). The drift claim reads no algorithm: the NTK premise (cited from Liu et al.
    2020) is about the network near its initialisation, not about GD [INFERRED]."""
    ms = sorted(recs)
    init = {float(recs[m].config["net"]["init_var"]) for m in ms}
    parts = [(len(init) == 1, "omega_init^2 independent of m (NTK-scale init)" if len(init) == 1
              else "omega_init^2 changes with m (not NTK-scale)")]
    parts += [(ok, f"m={m}: {text}") for m in ms for ok, text in [_noise(recs[m])]]
    ok_a, text_a = _anti(recs[ms[-1]])
    parts.append((ok_a, f"m={ms[-1]}: {text_a}"))
    if ntk_premise:  # Lemma 4.2 (binary), whose deviation the rate claim measures
        ok_n, text_n = _ntk(recs[ms[-1]])
        parts.append((ok_n, f"m={ms[-1]}: {text_n}"))
        parts.append(_binary(recs[ms[-1]]))
        for m in ms:
            ok_o, text_o = _optimiser(recs[m], _last_time(recs[m], early_end(recs[m])))
            parts.append((ok_o, f"m={m}: {text_o}" if text_o else ""))
    return _regime(*parts)


def _width_slopes(ms: Sequence[int], values: np.ndarray) -> np.ndarray:
    """[R] per seed: the least-squares slope of log ``values[:, seed]`` against log m, for
    ``values`` [M, R] measured at the sorted widths ``ms``."""
    return np.asarray([loglog_slope(ms, values[:, r]) for r in range(values.shape[1])])


def _falls_with_width(recs: dict[int, Record], slopes: np.ndarray, bound: str, detail: str,
                      ntk_premise: bool) -> Outcome:
    """The outcome of a width claim "the quantity falls as m grows": :func:`_one_test` that the
    per-seed log-log ``slopes`` against m are below 0, judged inside the premises of
    :func:`_width_regime` (``ntk_premise`` as there), linked to the width figure. ``bound`` is
    the tested statement (the test's text is appended), ``detail`` the measured values."""
    ms = sorted(recs)
    return _one_test(
        slopes, 0.0, "<=", bound + _holm_text(1),
        setting_text(recs[ms[0]], "m in {" + ", ".join(map(str, ms)) + "}"),
        detail, FIG_WIDTH, _width_regime(recs, ntk_premise=ntk_premise),
    )


def _rate_width(recs: dict[int, Record]) -> Outcome:
    ms = sorted(recs)
    errs = np.stack([rate_error(recs[m]) for m in ms])  # [M, R]
    rel = np.stack([window_extreme(recs[m], "liu/lemma_rel_error", early_end(recs[m]))[0]
                    for m in ms])
    slopes = _width_slopes(ms, errs)
    per_m = "; ".join(
        f"m={m}: |kappa - rate| {fmt_mean_ci(errs[i])}, worst ||g - rate g_hat||/||rate g_hat|| "
        f"{fmt_mean_ci(rel[i])}" for i, m in enumerate(ms)
    )
    return _falls_with_width(
        recs, slopes, "slope of log |kappa - (1-alpha)/(1+alpha)| (mean over the early window) "
        "vs log m < 0", f"slope {fmt_mean_ci(slopes)}; {per_m}", ntk_premise=True,
    )


DRIFT_STATEMENT = (
    "In the infinite-width limit the sample-wise gradients keep their directions during training, "
    "grad h(w_t; x) = grad h(w_0; x) (the premise of the analysis, cited from Liu et al. 2020): "
    "their drift from initialisation up to t* shrinks as the width m grows."
)


def _drift_width(recs: dict[int, Record]) -> Outcome:
    ms = sorted(recs)
    drift = np.stack([
        recs[m].arrays["liu/grad_drift"][np.arange(recs[m].seeds), t_star_index(recs[m])]
        for m in ms
    ])  # [M, R]
    slopes = _width_slopes(ms, drift)
    per_m = "; ".join(
        f"m={m}: 1 - cos(grad h_t, grad h_0) at t* {fmt_mean_ci(drift[i])} (t* "
        f"{fmt_mean_ci(t_star(recs[m]))})" for i, m in enumerate(ms)
    )
    return _falls_with_width(
        recs, slopes, "slope of log drift vs log m < 0",
        f"slope of log drift vs log m {fmt_mean_ci(slopes)} (lazy-training scaling predicts about "
        f"-0.5 [INFERRED]); {per_m}", ntk_premise=False,
    )


# [INFERRED], not [SECONDARY]: the width trend these four judge is the card's inference from the
# infinite-width premise (L10: "closer to the NTK prediction as m grows [INFERRED]"); Lemma 4.2 and
# the premise themselves are [SECONDARY]
@claim("liu2023.lem42.rate_factor_width", RATE_STATEMENT + " (Gaussian mixture, n = 400)",
       "Lemma 4.2 (Eq. 7), NTK premise", "[INFERRED]")
def check_rate_width(runs: Runs) -> Outcome:
    return _rate_width(widths(runs))


@claim("liu2023.lem42.rate_factor_width_regime", RATE_STATEMENT + " (Gaussian mixture, n = 2000)",
       "Lemma 4.2 (Eq. 7), NTK premise", "[INFERRED]")
def check_rate_width_regime(runs: Runs) -> Outcome:
    return _drawn(_rate_width(widths(runs, "width_regime")), None)  # liu2023-width: n = 400


@claim("liu2023.ntk.gradient_drift_width", DRIFT_STATEMENT + " (Gaussian mixture, n = 400)",
       "Section 2 (NTK premise)", "[INFERRED]")
def check_drift_width(runs: Runs) -> Outcome:
    return _drift_width(widths(runs))


@claim("liu2023.ntk.gradient_drift_width_regime",
       DRIFT_STATEMENT + " (Gaussian mixture, n = 2000)", "Section 2 (NTK premise)",
       "[INFERRED]")
def check_drift_width_regime(runs: Runs) -> Outcome:
    return _drawn(_drift_width(widths(runs, "width_regime")), None)


# --------------------------------------------------------------------------------------------
# Sample-wise gradients at initialisation (ICLR introduction, Theorem 3.1, Fig. 4)
# --------------------------------------------------------------------------------------------

ANGLE_STATEMENT = (
    "At initialisation, sample-wise gradients (of the logit, label-free) of samples from the same "
    "true class point in closer directions than those of samples from different classes "
    "({what})."
)


# what the same-class check reads (the angle probe's quantities at t = 0)
INIT_ANGLE_QUANTITIES = ("mean_cos_logit_same_cc", "mean_cos_logit_diff_cc",
                         "mean_cos_loss_same_cc", "mean_cos_loss_same_cn", "mean_cos_loss_diff_cc",
                         "mean_cos_loss_diff_cn", "pairs_logit_same_cc", "pairs_logit_diff_cc")
ANGLE_BOUND = "mean cos(same class) - mean cos(different class) > 0" + _holm_text(1)


def init_angles(rec: Record) -> tuple[dict[str, np.ndarray], str, str]:
    """The angle probe's quantities at initialisation, ``({quantity: [R]}, source, gap)``.

    The liu2023 experiments store them as ``init/<quantity>`` (the ``liu_angles`` probe run by
    ``measure`` on the initial weights after training); a ``twolayer simulate`` record with the
    probe ``liu_angles`` stores the same probe at every probe time, ``liu_angles/<quantity>``
    [R, T]. At probe time t = 0 the probe sees the same weights (W^(0), and a^(0), b^(0)), the
    same training set (the same first S points of it, S from the same chunk budget) and the same
    objective, so ``liu_angles/<quantity>[:, 0]`` is ``init/<quantity>`` (a test compares the
    two on the same setting and seeds). ``init/`` is read where it is present (the built-in
    experiments: their verdicts do not change), else ``liu_angles/`` at t = 0. ``gap`` is the
    reason the record cannot be judged (its first probe time is not 0: the probe has no value at
    initialisation), else ""; a record with neither raises ``KeyError`` naming
    ``liu_angles/<quantity>`` (the probe to add)."""
    a = rec.arrays
    if all(f"init/{q}" in a for q in INIT_ANGLE_QUANTITIES):
        return ({q: np.asarray(a[f"init/{q}"]).reshape(-1) for q in INIT_ANGLE_QUANTITIES},
                "init/", "")
    for q in INIT_ANGLE_QUANTITIES:
        if f"liu_angles/{q}" not in a:
            raise KeyError(f"liu_angles/{q}")
    t0 = rec.times[0] if len(rec.times) else None
    if t0 is None or float(t0) != 0.0:
        return {}, "liu_angles/", (
            "the record's angle probe (liu_angles) has no value at initialisation: its first "
            f"probe time is t = {'none' if t0 is None else fmt_num(float(t0))}, not 0, and the "
            "claim is about t = 0")
    return ({q: np.asarray(a[f"liu_angles/{q}"])[:, 0] for q in INIT_ANGLE_QUANTITIES},
            "liu_angles/", "")


def _angles(rec: Record) -> Outcome:
    a, source, gap = init_angles(rec)
    if gap:
        return _not_judged(rec, gap, ANGLE_BOUND, FIG_ANGLES, _infinite_width(rec), "t = 0")
    same, diff = a["mean_cos_logit_same_cc"], a["mean_cos_logit_diff_cc"]
    gap = (same - diff).astype(np.float64)
    detail = (
        f"mean cos of logit gradients, clean pairs: same class {fmt_mean_ci(same)}, different "
        f"class {fmt_mean_ci(diff)}; loss gradients (training labels): same class clean-clean "
        f"{fmt_mean_ci(a['mean_cos_loss_same_cc'])}, clean-noisy "
        f"{fmt_mean_ci(a['mean_cos_loss_same_cn'])}, different class clean-clean "
        f"{fmt_mean_ci(a['mean_cos_loss_diff_cc'])}, clean-noisy "
        f"{fmt_mean_ci(a['mean_cos_loss_diff_cn'])}; pairs per seed (same / different class, "
        f"clean): {fmt_num(a['pairs_logit_same_cc'].mean())} / "
        f"{fmt_num(a['pairs_logit_diff_cc'].mean())}"
    )
    if source != "init/":  # (the built-in experiments' detail is unchanged)
        detail += "; read from the angle probe liu_angles/... at probe time t = 0"
    return _one_test(gap, 0.0, ">=", ANGLE_BOUND, setting_text(rec, "t = 0"), detail, FIG_ANGLES,
                     _infinite_width(rec))


for _name, _what in (("xor", "XOR clusters"), ("mixture", "Gaussian mixture"),
                     ("k10", "K = 10, true-class logit")):

    def _angle_check(runs: Runs, _name: str = _name) -> Outcome:
        return _angles(record(runs, _name))

    claim(f"liu2023.intro.same_class_closer.{_name}", ANGLE_STATEMENT.format(what=_what),
          "ICLR introduction, Theorem 3.1, Fig. 4", "[PAPER-PARTIAL]")(_angle_check)
