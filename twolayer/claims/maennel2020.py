"""Claims of Maennel, Alabdulmohsin et al. (2020), "What Do Neural Networks Learn When Trained
With Random Labels?" (paper card ``maennel2020``, section 6 "Claims to check").

The card rests on the abstract and introduction [PAPER-PARTIAL], Definition 3 and the Fig. 4,
Fig. 20 and one Fig. 5 panel [PAPER]; the misalignment score comes from a public reproduction
[SECONDARY]. Every setting is twolayer's [PROPOSAL] (the paper's experiments are CNNs on
CIFAR10 and fully connected nets with two hidden layers); the thresholds are the card's where it
gives one (an order of magnitude for B1) and [PROPOSAL] otherwise, fixed before the full runs.
The paper's networks are not two-layer networks and its claims here are empirical (its
alignment theorem is unknown), so, like badger2022's, every claim is registered
``decides=False``: reported apart, marked *proposal*, and left out of ``twolayer check``'s exit
status (since 2026-12-04; docs/verdict_audit.md finding 8).

Regime, computed from the Records the claim reads, with the structure of
:mod:`twolayer.claims.badger2022` (:func:`premises_regime`, :func:`judged`); *inside* means both:

1. The measured premises hold: the networks learned their labels (:func:`fitted`; for the
   transfer claims, the pre-trained ones), and for Fig. 5's weight-scale claim pre-training grew
   the first layer (:func:`grown`). An unmet premise makes the claim inconclusive and outside
   (since 2026-12-05; before, the verdict was kept), its comparison reported in the detail only.
2. The Records' setting is the one the card states for the claim (:class:`Card`: its section 4
   [PROPOSAL] simulator setup, with the pilot's optimiser, and section 6's seed counts),
   compared item by item (:func:`card_setting` for B1, its control and B2;
   :func:`transfer_setting` for B3 and Fig. 5: pre-training and fine-tuning), each item computed
   from the stored arrays where they hold it (σ_i², d, n, the labels' changed fraction, the
   width, the initialisation variance, the logits) and else from the config. A setting that
   differs keeps the verdict, marked outside, and names each differing item with both values;
   what the card leaves unknown (training length for B1/B2, head initialisation, bias handling
   in transfer) is listed as not compared and never makes a setting inside.

``b4.later_layers`` (not measured) keeps its own regime: the depth of the transfer Records'
networks, read off their config and stored arrays (:func:`hidden_layers`), against the ≥ 2
hidden layers that "later layers" needs (card: depth caveat).

Statistics (issue #17): B1 judges the floor-subtracted ratio q = (M_data − F_data)/(M_rand −
F_rand) of the pooled ΔW (F: empirical sampling floors at the pooled sample size), and its
teacher control reads the same statistic with the same two cut-offs in the opposite direction;
B2's [PAPER] claim judges f of the weights W (Definition 3), the learned part ΔW is a separate
claim tagged as a proxy; B3's main arm is the pre-trained W rescaled with the biases reset to 0
(like scratch and the covariance arm), the arm that keeps the learned biases is a separate,
named finding. Claims that make several comparisons (``fig5.unscaled_fastest``,
``b3.transfer_learned_bias``) correct them by Holm's step-down procedure
(:func:`twolayer.stats.holm_outcomes`) and carry those comparisons (the paired loss-AUC
differences, one per seed in run order, each against 0) with the default rule "holds if all
hold, fails if one fails", which ``--seeds auto`` judges by one confidence sequence each; the
others make one comparison each. Every single-number
claim carries its per-seed values (paired differences, or jackknife pseudo-values of a pooled
statistic), threshold and direction (the claimed side); where a claim has two cut-offs (holds
beyond one, fails beyond the other) the threshold is the one the estimate lies beyond (none
when it lies between them: more seeds at that effect would not decide).

The settings, runners and the statistics of the Records (pooled covariance, misalignment,
jackknife intervals, transfer function, loss-AUC) are in :mod:`twolayer.experiments.maennel2020`;
the checks here only read the experiments' Records (``runs.get("maennel2020.<name>")``) and turn
those statistics into outcomes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..experiments import Runs
from ..experiments import maennel2020 as X
from ..probes import maennel as mp
from ..record import Record
from ..stats import (
    FAILS,
    FLOOR_MARGIN,
    HOLDS,
    INCONCLUSIVE,
    combine,
    compare,
    floor_ratio_interval,
    fmt_num,
    holm_outcomes,
    mean_ci,
    population_share,
    sign_outcome,
    used,
)
from ..stats import floor_dominated as stats_floor_dominated
from .base import Outcome, compare_setting, outcome, premises_regime
from .base import claim as register


def claim(id: str, statement: str, source: str, tag: str = "[PAPER]",
          in_regime: bool = True) -> Callable:
    """:func:`twolayer.claims.base.claim` with ``decides=False``: every maennel2020 claim is
    checked on the card's [PROPOSAL] analogue (one hidden layer, Gaussian data), not on the
    paper's networks (module docstring)."""
    return register(id, statement, source, tag, in_regime, decides=False)

PAPER = "maennel2020"
ORDER = 10.0  # B1: "at least an order of magnitude" (card)
SAME = 2.0  # B1 refuted when M_rand ≤ 2 M_data ("M_data ≈ M_rand")
Q_HOLDS, Q_FAILS = X.EXCESS_HOLDS, X.EXCESS_FAILS  # the same on the floor-subtracted q = 1/ratio
ETA2_HOLDS, ETA2_FAILS = 0.8, 0.5  # B2: share of the variance of f explained by σ
LEVEL = 0.95  # two-sided intervals; one-sided tests at (1 − LEVEL)/2
TOL = 1e-6  # premises: strictly beyond the float32 rounding of the stored arrays

FIG_M = "maennel2020-misalignment"
FIG_F = "maennel2020-transfer-function"
FIG_T = "maennel2020-transfer"


# --------------------------------------------------------------------------------------------
# Verdict helpers and text
# --------------------------------------------------------------------------------------------


def _ci(ci: tuple[float, float]) -> str:
    return f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]"


def setting_text(rec: Record, note: str = "") -> str:
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    if dc["kind"] == "gaussian":
        rot = "random rotation" if dc.get("rotate") else "not rotated"
        data = (f"gaussian d={dc['d']} sigma_i^2 {dc['spectrum']} {dc['sigma2_min']:g}..."
                f"{dc['sigma2_max']:g} ({rot})")
    else:
        data = f"xor d={dc['d']} sigma2={dc['sigma2']:.3g}"
    eta = float(dc.get("noise", 0.0))
    labels = ("teacher labels" if eta == 0 else "random labels" if dc["noise_model"] == "random"
              and eta == 1 else f"labels with {dc['noise_model']} noise {eta:g}")
    opt = (f"SGD batch {tc['batch_size']}" if tc["batch_size"] else "full-batch GD")
    n = rec.meta.get("trained_on", dc["n"])
    k = dc.get("num_classes", 2)
    iv = nc.get("init_var")
    init = ("init var unset" if iv is None else "He init" if math.isclose(float(iv), 2.0 / dc["d"])
            else f"init var {float(iv):g} (He: {2.0 / dc['d']:g})")
    trained = [name for name, on in (("a", nc.get("train_second_layer")),
                                     ("b", nc.get("bias"))) if on]
    text = (f"{data}, K={k} {labels}, n={n}, m={nc['m']}, {init}, trained W"
            f"{''.join(', ' + t for t in trained)}, {opt}, lr={tc['lr']:g}, {tc['steps']} steps, "
            f"R={rec.seeds} runs pooled (K={rec.seeds * nc['m']} neurons)")
    return text + (f"; {note}" if note else "")


def fitted(rec: Record) -> tuple[bool, str]:
    """Measured premise of every claim about a network *trained on* its labels (random labels for
    B1/B2 and for B3's pre-training, teacher labels for the control): the networks learned them,
    i.e. the 95% CI of the final training error over seeds lies below chance, 1 − 1/K, **and
    every run** fits better than chance: run r's misfit count e_r = round(err_r · n) lies below
    what a network whose predictions ignore the labels gives, P(Bin(n, 1 − 1/K) ≤ e_r) <
    0.05 / R (exact, Bonferroni over the R runs). The claims pool the runs (B1's covariance,
    B2's curves, B3's pre-trained networks), so one run that did not learn (7 runs at 0 and one
    at chance keep the mean's interval below chance) puts a network the premise excludes into
    the pool (docs/verdict_audit.md, section 17)."""
    from scipy import stats

    err = rec.arrays["errors/train_error"][:, -1].astype(np.float64)
    k = int(rec.config["data"].get("num_classes", 2))
    chance = 1.0 - 1.0 / k
    m, ci = mean_ci(err, LEVEL)
    n = int(rec.meta.get("trained_on", rec.config["data"]["n"]))
    finite = bool(np.all(np.isfinite(err)))
    # NaN (one seed) is not below; a seed whose error is lost (NaN: diverged) leaves it
    # unmeasured rather than decided by the other seeds' interval
    p_run = stats.binom.cdf(np.rint(err * n), n, chance)  # NaN for a lost seed: not shown
    not_learned = [int(r) for r in np.flatnonzero(~(p_run < (1.0 - LEVEL) / max(err.size, 1)))]
    mean_ok = bool(finite and ci[1] < chance - TOL)
    ok = mean_ok and not not_learned
    labels = "random" if rec.config["data"]["noise_model"] == "random" else "teacher"
    runs = (f"every run below chance (exact binomial, n = {n}, Bonferroni over {err.size}): "
            + ("yes" if not not_learned else "no: " + ", ".join(
                f"run {r} ({fmt_num(err[r])})" for r in not_learned[:6])
               + (", ..." if len(not_learned) > 6 else "")))
    return ok, (f"premise: the network learned its {labels} labels: final training error "
                f"{fmt_num(m)} {_ci(ci)} over {used(err)} seeds, below chance {fmt_num(chance)}: "
                f"{'yes' if mean_ok else 'no'}; {runs}")


def grown(rec: Record) -> tuple[bool, str]:
    """Measured premise of Fig. 5's weight-scale claim: pre-training grew the first layer, i.e.
    the 95% CI over seeds of ‖W(T)‖_F / ‖W(0)‖_F (traces of the probe's Σ_j w̃_j w̃_jᵀ, the frame
    being orthonormal) lies above 1."""
    o = rec.arrays["maennel/w_outer"]
    tr = np.trace(o, axis1=-2, axis2=-1)  # [R, T]
    ratio = np.sqrt(tr[:, -1] / tr[:, 0])
    m, ci = mean_ci(ratio, LEVEL)
    ok = bool(np.all(np.isfinite(ratio)) and ci[0] > 1.0 + TOL)
    return ok, (f"premise: pre-training grew the first layer: ||W(T)||_F/||W(0)||_F {fmt_num(m)} "
                f"{_ci(ci)} over {used(ratio)} seeds, above 1: {'yes' if ok else 'no'}")


def decisive_cut(estimate: float, holds_at: float, fails_at: float) -> float | None:
    """For a claim with two cut-offs (holds beyond one, fails beyond the other): the cut-off the
    estimate lies beyond, which more seeds at the measured effect would decide (the
    ``threshold`` that gives an inconclusive verdict its ``seeds_needed``); None when the
    estimate lies between the two cut-offs, where no number of seeds decides at that effect."""
    lo, hi = sorted((holds_at, fails_at))
    if not math.isfinite(estimate) or lo < estimate < hi:
        return None
    return lo if estimate <= lo else hi


# --------------------------------------------------------------------------------------------
# Regime: the measured premises, and the Records' setting against the card's
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """The setting the card states for its claims, item by item: its [PROPOSAL] simulator setup
    (card section 4: data, model, the pilot's optimiser, the transfer test with its 8 seeds)
    and B2's seed count (section 6: "≥ 5 seeds"). None of it is the paper's own setting (CNNs
    on CIFAR10 and nets with two hidden layers; Fig. 20's optimiser is unknown)."""

    d: int = 30  # "d = 30"
    sigma2: tuple[float, float] = (0.1, 3.0)  # "σ_i² = 0.1, 0.2, …, 3.0" (evenly spaced)
    decades: tuple[float, float] = (3.0, 4.0)  # transfer: "log-spaced σ² over 3–4 decades"
    n: tuple[int, ...] = (2000, 10000)  # "N = 2,000 (or 10,000)"
    classes: int = 10  # "y ~ Uniform{0..9}", "→ W2 → 10 logits, softmax cross-entropy"
    widths: tuple[int, ...] = (256, 2048)  # "H ∈ {256, 2048}"
    lr: float = 0.05  # "SGD lr 0.05, batch 64, no momentum (the pilot's choice)"
    batch: int = 64
    pooled: int = 2048  # pitfall: 256 neurons swamp M; "pool neurons across runs and/or H ≥ 2048"
    f_seeds: int = 5  # B2: "R4 curves overlap across ≥ 5 seeds"
    # B2 also names "the three Fig. 20 settings": two are section 4's (d = 30, σ_i² = 0.1..3.0,
    # N = 10,000 or 2,000); the third, Fig. 20 left: d = 10, diag(1, 1.1, …, 1.9), N = 10,000
    fig20_left: tuple[int, float, float, int] = (10, 1.0, 1.9, 10000)
    up_n: int = 2000  # transfer: "Upstream: random labels, N = 2,000, 150 epochs, H = 512"
    up_m: int = 512
    up_epochs: int = 150  # "or pre-train longer or with larger lr" (suggestion 2): at least
    down_n: int = 2000  # "fresh N = 2,000 from the same Σ_x"; "a smaller downstream N" (5.)
    t_seeds: int = 8  # "8 seeds" (suggestion 4: ≥ 16)


CARD = Card()
CARD_REF = "the card's [PROPOSAL] simulator setup (card section 4)"


def _classes(rec: Record) -> int:
    return int(rec.config["data"].get("num_classes", 2))


def _spectrum(rec: Record) -> np.ndarray:
    """σ_i² of the Record's Σ_x, ascending (``static/sigma2``, the same in every run)."""
    s = np.asarray(rec.arrays["static/sigma2"], dtype=float)
    return np.sort(s.reshape(-1, s.shape[-1])[0])


def _spectrum_kind(s: np.ndarray) -> str:
    """"evenly spaced", "log-spaced over x decades" or "other" (degenerate or irregular)."""
    if s.size > 1 and np.all(s > 0):
        if np.allclose(np.diff(s), (s[-1] - s[0]) / (s.size - 1), rtol=1e-4, atol=1e-7) \
                and s[-1] > s[0]:
            return "evenly spaced"
        ls = np.log10(s)
        if ls[-1] > ls[0] and np.allclose(np.diff(ls), (ls[-1] - ls[0]) / (s.size - 1),
                                          rtol=1e-4, atol=1e-6):
            return f"log-spaced over {ls[-1] - ls[0]:.2f} decades"
    return "other"


def _is_card_spectrum(s: np.ndarray, d: int | None = None,
                      sigma2: tuple[float, float] | None = None) -> bool:
    want = np.linspace(*(sigma2 or CARD.sigma2), d or CARD.d)
    return s.size == want.size and bool(np.allclose(s, want, rtol=1e-5, atol=1e-7))


def _data_items(rec: Record, spread_ok: bool, fig20: bool = False) -> list[tuple[bool, str]]:
    """Data law, d and spectrum of an upstream Record (``static/sigma2`` and the config);
    ``fig20``: B2, which also accepts Fig. 20 left's d and spectrum (:attr:`Card.fig20_left`)."""
    dc = rec.config["data"]
    s = _spectrum(rec)
    d = int(s.size)
    law = (f"{'centred Gaussian' if dc['kind'] == 'gaussian' else dc['kind'] + ' clusters'}"
           f"{', randomly rotated' if dc.get('rotate') else ', not rotated'}")
    kind = _spectrum_kind(s)
    spread = (spread_ok and kind.startswith("log-spaced")
              and CARD.decades[0] <= math.log10(s[-1] / s[0]) <= CARD.decades[1])
    ld, llo, lhi, _ = CARD.fig20_left
    left = fig20 and d == ld
    card_s = (f"{CARD.sigma2[0]:g}, ..., {CARD.sigma2[1]:g} evenly spaced"
              + (f", or log-spaced over {CARD.decades[0]:g}-{CARD.decades[1]:g} decades "
                 "(suggestion 1 for transfer)" if spread_ok else "")
              + (f" at d = {CARD.d}, or {llo:g}, ..., {lhi:g} evenly spaced at d = {ld} (Fig. 20 "
                 "left)" if fig20 else ""))
    dims = f"{CARD.d}" + (f" (or {ld}: Fig. 20 left)" if fig20 else "")
    return [
        (dc["kind"] == "gaussian" and bool(dc.get("rotate")),
         f"data {law} vs the card's x ~ N(0, U diag(sigma_i^2) U^T), U a random rotation"),
        ((d == CARD.d or left) and int(dc["d"]) == d, f"d {d} (stored sigma_i^2; config "
         f"{dc['d']}) vs the card's {dims}"),
        (_is_card_spectrum(s, ld, (llo, lhi)) if left else _is_card_spectrum(s) or spread,
         f"sigma_i^2 {fmt_num(float(s[0]))}...{fmt_num(float(s[-1]))} {kind} (stored) vs the "
         f"card's {card_s}"),
    ]


def _labels_item(rec: Record, want: str, who: str = "labels", runs: int | None = None
                 ) -> tuple[bool, str]:
    """The labels the networks were trained on, measured: the fraction of training labels that
    differ from the clean ones (``static/noisy``). Entirely random labels, uniform over K and
    independent of x, change a fraction (K − 1)/K (binomial: accepted within 5 standard errors)
    and are the config's ``random`` noise model at η = 1 exactly (a record trained at η = 0.99
    keeps 1% of its labels from the teacher, and its changed fraction 0.99·(K − 1)/K lies
    within those 5 standard errors at the card's sizes: the measured fraction alone would call
    it entirely random); clean teacher labels change none, and only Gaussian data have a linear
    teacher. ``runs``:
    read only the first runs (a fine-tuning Record repeats each seed's labels once per
    variant, which would shrink the binomial error by the number of variants)."""
    dc = rec.config["data"]
    noisy = np.asarray(rec.arrays["static/noisy"], dtype=float)[:runs]
    frac, k = float(noisy.mean()), _classes(rec)
    if want == "random":
        p = (k - 1) / k
        tol = 5.0 * math.sqrt(p * (1 - p) / max(noisy.size, 1)) + 1e-12
        eta = float(dc.get("noise", math.nan))
        ok = dc.get("noise_model") == "random" and eta == 1.0 and abs(frac - p) <= tol
        return ok, (f"{who}: changed fraction {frac:.4f} of {noisy.size} (measured), "
                    f"{dc.get('noise_model')} noise at rate {eta:g} (config) vs (K - 1)/K = "
                    f"{p:.4f} +- {tol:.4f}, the random model at rate 1, for the card's "
                    "entirely random labels")
    clean = "linear-teacher" if dc["kind"] == "gaussian" else f"clean {dc['kind']}"
    ok = dc["kind"] == "gaussian" and frac == 0.0
    return ok, (f"{who}: {clean} labels, changed fraction {frac:.4f} (measured) vs the card's "
                "linear-teacher labels")


def _net_items(rec: Record, widths: tuple[int, ...], lr_at_least: bool = False,
               ) -> list[tuple[bool, str]]:
    """K, loss, width, initialisation, bias and head, optimiser, lr and batch of a Record.
    The width is the stored first-layer norms' (``static/init_w_norm`` [R, m]), the
    initialisation variance their mean square over d (He: 2/d; accepted within 5 standard
    errors of the mean of σ²χ²_d/d over the R·m neurons), the logits the stored head's."""
    nc, tc = rec.config["net"], rec.config["train"]
    k = _classes(rec)
    norms = np.asarray(rec.arrays["static/init_w_norm"], dtype=float)
    m, count = int(norms.shape[-1]), int(norms.size)
    d = int(_spectrum(rec).size)
    var = float(np.mean(norms**2)) / d
    he = 2.0 / d
    var_ok = abs(var / he - 1.0) <= 5.0 * math.sqrt(2.0 / (d * count)) + 1e-6
    logits = int(np.asarray(rec.arrays["static/a"]).shape[-1])
    batch, lr = tc.get("batch_size"), float(tc["lr"])
    sgd = batch is not None and tc.get("integrator", "gd") == "gd"
    lr_ok = lr >= CARD.lr * (1 - 1e-9) if lr_at_least else math.isclose(lr, CARD.lr)
    grid = (f"= {widths[0]}" if len(widths) == 1
            else "in {" + ", ".join(str(w) for w in widths) + "}")
    return [
        (k == CARD.classes and logits == CARD.classes and tc.get("objective") == "softmax",
         f"K {k} classes, {logits} logits, {tc.get('objective')} loss vs the card's "
         f"{CARD.classes} classes, {CARD.classes} logits, softmax cross-entropy"),
        (m in widths and int(nc["m"]) == m, f"width {m} (stored; config {nc['m']}) vs the "
         f"card's H {grid}"),
        (var_ok, f"first-layer init variance {fmt_num(var)} (measured mean ||w_j(0)||^2/d) vs "
         f"He 2/d = {fmt_num(he)}"),
        (nc.get("bias") is True and nc.get("train_second_layer") is True,
         f"first-layer bias {'on' if nc.get('bias') else 'off'}, head "
         f"{'trained' if nc.get('train_second_layer') else 'fixed'} vs the card's "
         "ReLU(W1 x + b1) -> W2, all trained"),
        (sgd, f"optimiser {'SGD' if sgd else 'full-batch GD' if batch is None else 'gradient flow'}"
         " vs the card's SGD, no momentum"),
        (lr_ok, f"lr {lr:g} vs the card's {'>= ' if lr_at_least else ''}{CARD.lr:g}"),
        (batch == CARD.batch, f"batch {batch} vs the card's {CARD.batch}"),
    ]


def _n_trained(rec: Record) -> int:
    return int(np.asarray(rec.arrays["static/noisy"]).shape[-1])


NOT_COMPARED_UP = (
    "not compared: the training length (the card fixes none for B1 and B2; its pilots ran 150 "
    "and 400 epochs; the premise that the labels were learnt is measured instead), the head's "
    "initialisation (the card leaves it unknown), momentum (twolayer's SGD has none, as the "
    "card's)"
)


def card_setting(rec: Record, claim_kind: str) -> tuple[bool, str]:
    """Whether an upstream Record's setting is the card's for a claim of ``claim_kind``:
    "alignment" (B1 and its Fig. 2 analogue: random labels, pooled neurons), "control" (the
    teacher control: linear-teacher labels) or "function" (B2: random labels, seeds). Every
    item is computed from the Record (stored arrays where they hold it, else its config);
    returns (every item matches, the text naming the items that differ with both values, those
    that match, then what is not compared and why)."""
    fig20 = claim_kind == "function"
    items = _data_items(rec, spread_ok=False, fig20=fig20)
    n = _n_trained(rec)
    grid = "{" + ", ".join(str(v) for v in CARD.n) + "}"
    ld, _, _, ln = CARD.fig20_left
    if fig20 and _spectrum(rec).size == ld:
        items.append((n == ln, f"n {n} per run (stored) vs the card's N = {ln} (Fig. 20 left)"))
    else:
        items.append((n in CARD.n, f"n {n} per run (stored) vs the card's N in {grid}"))
    items.append(_labels_item(rec, "teacher" if claim_kind == "control" else "random"))
    items += _net_items(rec, CARD.widths)
    R, m = np.asarray(rec.arrays["static/init_w_norm"]).shape  # stored: runs, width
    if claim_kind == "function":
        items.append((R >= CARD.f_seeds, f"seeds {R} vs the card's >= {CARD.f_seeds}"))
    else:
        items.append((R * m >= CARD.pooled, f"pooled neurons R*m = {R}*{m} = {R * m} vs the "
                      f"card's >= {CARD.pooled} (pool runs and/or H >= {CARD.pooled})"))
    return compare_setting(items, CARD_REF, NOT_COMPARED_UP)


def transfer_setting(ups: dict[str, Record], downs: dict[str, Record]) -> tuple[bool, str]:
    """Whether the transfer experiment's setting is the card's (section 4, "Transfer test"):
    each upstream Record (``ups``: name → Record) against the card's pre-training, each
    fine-tuning Record (``downs``: task → Record) against its fine-tuning; items computed as in
    :func:`card_setting`."""
    items: list[tuple[bool, str]] = []
    for name, up in ups.items():
        tc = up.config["train"]
        n = _n_trained(up)
        batch = tc.get("batch_size")
        epochs = int(tc["steps"]) // max(n // batch, 1) if batch else None
        pre = [*_data_items(up, spread_ok=True),
               (n == CARD.up_n, f"n {n} per run (stored) vs the card's {CARD.up_n}"),
               _labels_item(up, "random"),
               *_net_items(up, (CARD.up_m,), lr_at_least=True),
               (epochs is not None and epochs >= CARD.up_epochs,
                f"epochs {epochs} vs the card's >= {CARD.up_epochs} (pre-train longer: "
                "suggestion 2)")]
        items += [(ok, f"pre-training {name}: {t}") for ok, t in pre]
    for task, rec in sorted(downs.items()):
        up = ups[X.UPSTREAM_OF[task]]
        tc = rec.config["train"]
        n = _n_trained(rec)
        held = int(up.meta.get("held_out", 0))
        R = int(rec.meta.get("runs_per_variant", rec.seeds))
        want = "random" if task == "random" else "teacher"
        ok_l, t_l = _labels_item(rec, want, "labels", runs=R)
        lr, batch = float(tc["lr"]), tc.get("batch_size")
        fine = [
            (0 < n <= CARD.down_n and n == held, f"n' {n} held-out samples per run (stored; "
             f"upstream held out {held}) vs the card's fresh N <= {CARD.down_n} from the same "
             "Sigma_x"),
            (ok_l, t_l + (" (new random labels)" if want == "random" else "")),
            (batch is not None and tc.get("integrator", "gd") == "gd" and batch == CARD.batch,
             f"SGD batch {batch} vs the card's {CARD.batch}"),
            (math.isclose(lr, CARD.lr), f"lr {lr:g} vs the card's {CARD.lr:g} (section 4's SGD; "
             "the card sets no other for fine-tuning)"),
            (R >= CARD.t_seeds, f"seeds {R} vs the card's >= {CARD.t_seeds}"),
        ]
        items += [(ok, f"fine-tuning {task}: {t}") for ok, t in fine]
    return compare_setting(
        items, CARD_REF + ", transfer test",
        "not compared: the fine-tuning length (the loss-AUC reads only the first epochs, which a "
        "longer run at the same constant lr leaves unchanged; the card's 120 and 30 epochs "
        "enter its accuracy-AUC), the fresh head's initialisation and the first-layer bias "
        "handling (the card and the paper leave both unknown), momentum (none, as the card's)")


def judged(verdict: str, measured: float | None, bound: str, ci: tuple[float, float] | None,
           seeds: int, setting: str, detail: str, figure: str | None,
           premises: list[tuple[bool, str]], card: tuple[bool, str], **kw) -> Outcome:
    """The claim's outcome with its computed regime: an unmet premise makes it inconclusive and
    outside (the statement is about networks that learned their labels), its comparison
    reported in the detail only; a setting that differs from the card's keeps the verdict,
    marked outside."""
    met, inside, text, regime = premises_regime(premises, card)
    if not met:
        return outcome(INCONCLUSIVE, None, bound, None, seeds, setting,
                       f"premise unmet: {text}; for information, the comparison ({verdict}, "
                       f"measured {fmt_num(measured) if measured is not None else 'n/a'}): "
                       f"{detail}", figure, in_regime=False, regime=regime)
    return outcome(verdict, measured, bound, ci, seeds, setting, detail, figure,
                   in_regime=inside, regime=regime, **kw)


def jackknife_runs(pseudo: tuple[float, ...], runs: int, needs: str) -> tuple[int, str]:
    """The seed count of a verdict on a leave-one-run-out jackknife over ``runs`` runs, and a
    note (else "") where it has no interval. Each pseudo-value comes from the R − 1 runs left
    when one is left out; the sampling floors of B1 and η² of B2 need two runs, so with R < 3
    every pseudo-value is NaN. The verdict is then inconclusive on the R runs read, not on
    none: its seed count is R, and the note says why there is no interval."""
    finite = used(pseudo)
    if finite or runs >= 3:
        return finite, ""
    return runs, (f"; no jackknife interval: leaving one of the {runs} run{'s' * (runs != 1)} "
                  f"out leaves {runs - 1}, and {needs} needs 2 (give 3 or more seeds)")


def excess_loo(rec: Record) -> np.ndarray:
    """[R] q of the ΔW pooled over each set of R − 1 runs (run r left out), computed as
    :func:`twolayer.experiments.maennel2020.alignment` computes its ``excess`` (whose value over
    all runs, ``Alignment.excess``, it does not compute again; the Alignment keeps no
    leave-one-out values, and adding them would change its module, a store key)."""
    R = rec.seeds
    grp = X.groups(rec)
    bases = X._bases(rec.arrays["maennel/dw_sum"].shape[-1])

    def q(runs: list[int]) -> float:
        c = X.pooled(rec, "dw", runs)[-1]
        md, mr = float(X.m_data(c, grp)), float(mp.misalignment_random(c, bases, grp))
        f = X.floors(rec, "dw", runs)
        den = mr - f.rand
        return (md - f.data) / den if den > 0 else float("nan")

    return np.array([q([k for k in range(R) if k != r]) for r in range(R)])


def excess_interval(rec: Record, a: X.Alignment) -> tuple[tuple[float, float], float]:
    """B1's interval of q, and the jackknife's bias estimate b: :func:`twolayer.stats.
    floor_ratio_interval` of q (its plain jackknife interval ``a.excess_ci``, the leave-one-out
    q of :func:`excess_loo`, the denominator M_rand over its floor F_rand), the one function the
    figure maennel2020-misalignment also draws it with. The jackknife interval's end on the
    side of b = (R − 1)(mean of the leave-one-out q − q) moves out by |b| (neither end moves
    in): with genuine run-to-run differences the floor-subtracted q is biased (up, by 0.07 at a
    true 0.1 and 0.04 at a true 0.5 on 3 runs in section 22's Monte Carlo) and the jackknife
    interval centred on it held the teacher control's "q >= 0.5" at a true 0.5 in 0.078 of
    records (R = 3) and 0.05 (R = 16), nominal 0.025; the bias-corrected centre alone
    over-corrects at few runs (B1's "q <= 0.1" held at a true 0.1 in 0.28 at R = 3). Covering
    both centres keeps each side's error at the smaller of the two (docs/verdict_audit.md,
    section 22). No interval (NaN) stays none, and a record whose random basis is not clearly
    above its own floor gets none (:func:`floor_dominated`, sections 25 and 27)."""
    return floor_ratio_interval(a.excess, a.excess_ci, rec.seeds, a.m_rand, a.floor_rand,
                                lambda: excess_loo(rec))


FLOOR_RATIO = FLOOR_MARGIN  # q is judged only where M_rand - F_rand >= FLOOR_RATIO * F_rand


def floor_dominated(a: X.Alignment) -> bool:
    """Whether the random basis's misalignment is not clearly above its own sampling floor:
    M_rand − F_rand < F_rand (or not finite; :func:`twolayer.stats.floor_dominated`). Then q =
    (M_data − F_data)/(M_rand − F_rand) is decided by the floors' errors rather than by Σ_w:
    with genuine run-to-run differences the floors are a second-order account of the pooled
    covariance's noise, and on a weak spectrum (σ_w's eigenvalues 1 … 0.5, run effects τ =
    0.15, 3 runs; docs/verdict_audit.md, section 25) q was biased towards 1 (mean 0.75 at a true
    0.1, 0.90 at a true 0.5) beyond what the jackknife sees, and B1 failed at a true 0.1 in
    0.037 of records and at a true 0.5 (the teacher control held) in 0.06 (XOR's eigenspaces)
    to 0.28 (distinct eigenvalues), nominal 0.025. Such a record gets no interval
    (inconclusive). The cut-off's calibration over more spectra: section 27."""
    return stats_floor_dominated(a.m_rand, a.floor_rand, FLOOR_RATIO)


def _floor_note(a: X.Alignment) -> str:
    if not floor_dominated(a):
        return ""
    return (f"no interval of q: M_rand - F_rand = {fmt_num(a.m_rand - a.floor_rand)} is below "
            f"{FLOOR_RATIO:g} x F_rand = {fmt_num(FLOOR_RATIO * a.floor_rand)} (the random "
            "basis is not clearly above its own sampling floor, so q would be decided by the "
            "floors' errors); ")


def excess_outcome(ci: tuple[float, float]) -> str:
    """B1: holds if the CI of q = (M_data − F_data)/(M_rand − F_rand) lies at or below 1/10 (an
    order of magnitude), fails if it lies at or above 1/2 (M_data ≈ M_rand above the floors),
    inconclusive otherwise (or when the CI is not finite)."""
    if compare(ci, Q_HOLDS, "<=") == HOLDS:
        return HOLDS
    return FAILS if compare(ci, Q_FAILS, ">=") == HOLDS else INCONCLUSIVE


def control_outcome(ci: tuple[float, float]) -> str:
    """The teacher control, symmetric to :func:`excess_outcome`: holds where B1 would fail
    (CI of q at or above 1/2: no alignment), fails where B1 would hold (at or below 1/10)."""
    return {HOLDS: FAILS, FAILS: HOLDS}.get(excess_outcome(ci), INCONCLUSIVE)


B1_BOUND = (
    "q = (M_data - F_data)/(M_rand - F_rand) of the pooled dW, F = empirical sampling floors at "
    "the pooled sample size; {rule}; 95% jackknife CI over runs, widened on one side to reach "
    "the jackknife's bias-corrected q; no interval (inconclusive) where M_rand - F_rand < "
    "F_rand; one comparison (no multiplicity correction)"
)


def _bias_note(a: X.Alignment, bias: float) -> str:
    if not math.isfinite(bias):
        return ""
    return (f"{_floor_note(a)}jackknife bias estimate of q {fmt_num(bias)} (bias-corrected q "
            f"{fmt_num(a.excess - bias)}; plain jackknife CI {_ci(a.excess_ci)}); ")


def _alignment_numbers(a: X.Alignment) -> str:
    return (
        f"pooled dW at the end: M_data {fmt_num(a.m_data)} (empirical floor F_data "
        f"{fmt_num(a.floor)}; Gaussian floor of an exactly aligned covariance with K={a.neurons}: "
        f"{fmt_num(a.floor_gauss)}), M_rand {fmt_num(a.m_rand)} (mean over {X.RANDOM_BASES} Haar "
        f"bases; F_rand {fmt_num(a.floor_rand)}); raw ratio M_rand/M_data {fmt_num(a.ratio)} "
        f"{_ci(a.ratio_ci)}, at most about M_rand/F_data = {fmt_num(a.cap)} at this K"
    )
def note_degenerate(rec: Record, a: X.Alignment) -> str:
    """For degenerate Σ_x: the frame-basis M and the spread of Σ_w within the eigenspaces."""
    grp = X.groups(rec)
    if all(len(g) == 1 for g in grp):
        return ""
    cov = X.pooled(rec, "dw")[-1]
    parts = []
    for g in grp:
        idx = torch.tensor(g)
        ev = torch.linalg.eigvalsh(cov[idx[:, None], idx[None, :]])
        parts.append(f"{len(g)}-dim eigenspace: eigenvalues of the dW block "
                     f"{fmt_num(float(ev[0]))}...{fmt_num(float(ev[-1]))}")
    return (f"M of dW in the Gram-Schmidt frame basis (arbitrary within eigenspaces) "
            f"{fmt_num(a.m_frame)}; {'; '.join(parts)}; ")


def _alignment_claim(rec: Record, note: str = "") -> Outcome:
    a = X.alignment(rec)
    ci, bias = excess_interval(rec, a)
    seeds, why = jackknife_runs(a.excess_pseudo, rec.seeds,
                                "the empirical floors (a spread between runs)")
    detail = (
        f"{_alignment_numbers(a)}; {_bias_note(a, bias)}pooled W: M_data "
        f"{fmt_num(a.m_data_w)}, M_rand {fmt_num(a.m_rand_w)}; {note_degenerate(rec, a)}final "
        f"training error {fmt_num(float(rec.arrays['errors/train_error'][:, -1].mean()))}{why}"
    )
    bound = B1_BOUND.format(rule=f"<= {Q_HOLDS:g} holds (M_rand >= {ORDER:g} M_data above the "
                                 f"floors), >= {Q_FAILS:g} fails (M_rand <= {SAME:g} M_data)")
    return judged(
        excess_outcome(ci), a.excess, bound, ci, seeds,
        setting_text(rec, note), detail, FIG_M, [fitted(rec)], card_setting(rec, "alignment"),
        per_seed=a.excess_pseudo, threshold=decisive_cut(a.excess, Q_HOLDS, Q_FAILS),
        direction="<=",
    )


# the card read the abstract, not the paper's alignment section (its Sections 2-4 are unknown)
B1_SOURCE = "Abstract (the paper's alignment section is unknown to the card)"
ALIGN_STATEMENT = (
    "Training with entirely random labels aligns the first-layer weight covariance with the data "
    "covariance: for the learned part dW = W - W(0), the misalignment in the data's eigenbasis is "
    "at least an order of magnitude below that in a random orthonormal basis, both counted above "
    "the misalignment that sampling the pooled neurons alone produces ({what})."
)


@claim("maennel2020.b1.alignment", ALIGN_STATEMENT.format(
    what="App. E.1 spectrum, 10 random classes, SGD"), B1_SOURCE,
    tag="[PAPER-PARTIAL]")
def check_alignment(runs: Runs) -> Outcome:
    return _alignment_claim(runs.get("maennel2020.e1_random"))


@claim("maennel2020.b1.alignment_spread", ALIGN_STATEMENT.format(
    what="spread spectrum over 3.5 decades, 10 random classes, SGD"),
    B1_SOURCE, tag="[PAPER-PARTIAL]")
def check_alignment_spread(runs: Runs) -> Outcome:
    return _alignment_claim(runs.get("maennel2020.spread_random"))


@claim("maennel2020.b1.alignment_binary_gd", ALIGN_STATEMENT.format(
    what="App. E.1 spectrum, 2 random classes, logistic loss, full-batch GD"),
    B1_SOURCE, tag="[PAPER-PARTIAL]")
def check_alignment_binary(runs: Runs) -> Outcome:
    # maennel2020-misalignment draws the App. E.1 and spread runs only: no figure draws this one
    return dataclasses.replace(_alignment_claim(runs.get("maennel2020.binary_gd")), figure=None)


@claim("maennel2020.b1.alignment_xor", ALIGN_STATEMENT.format(
    what="Frei's XOR clusters with random labels; the eigenvalues of Sigma_x are degenerate "
    "(span{mu1, mu2} and its complement), so every basis of each eigenspace is a data "
    "eigenbasis: the data basis is the one that diagonalises dW's covariance within each, and "
    "each random basis gets the same freedom"), B1_SOURCE,
    tag="[PAPER-PARTIAL]")
def check_alignment_xor(runs: Runs) -> Outcome:
    """B1 on XOR data. Σ_x = σ²I + (μ1μ1ᵀ + μ2μ2ᵀ)/2 has two eigenspaces, span{μ1, μ2} (σ² + 1/2)
    and its complement (σ², multiplicity d − 2). "Σ_w is aligned with Σ_x" means that some
    eigenbasis of Σ_x diagonalises Σ_w, i.e. Σ_w maps each eigenspace into itself; M_data is
    therefore taken in the eigenbasis of Σ_x fitted to Σ_w within each eigenspace
    (:func:`twolayer.probes.maennel.data_basis`), which makes M_data and its floor F_data
    invariant under any rotation of the frame within the eigenspaces (the Gram-Schmidt
    completion of μ1, μ2 is arbitrary: M in it, ``m_frame``, changes tenfold under such a
    rotation). Monte Carlo with q on the bounds: docs/verdict_audit.md, section 25."""
    return dataclasses.replace(
        _alignment_claim(runs.get("maennel2020.xor_random"),
                         "data basis: within span{mu1, mu2} and within its complement, the "
                         "eigenvectors of the pooled dW's block (Sigma_x is degenerate there)"),
        figure=None)  # not drawn by maennel2020-misalignment either


@claim(
    "maennel2020.b1.grows_apart",
    "The misalignment of the weights W in a random basis and in the data basis grow apart over "
    "random-label training: G(t) = M_rand(W_t) - M_data(W_t) of the pooled W is larger at the end "
    "than at initialisation (where both are at the sampling floor).",
    "Fig. 2 (reproduction)", tag="[SECONDARY]",
)
def check_grows_apart(runs: Runs) -> Outcome:
    rec = runs.get("maennel2020.e1_random")
    est, ci, g0, gT, pseudo = X.gap_growth(rec)
    md, mr = X.m_curves(rec, "w")
    detail = (f"pooled W: M_data {fmt_num(md[0])} -> {fmt_num(md[-1])}, M_rand {fmt_num(mr[0])} -> "
              f"{fmt_num(mr[-1])}; G(0) {fmt_num(g0)}, G(T) {fmt_num(gT)}")
    return judged(sign_outcome(ci, +1), est,
                  "G(T) - G(0) > 0 (95% jackknife CI above 0 holds, below 0 fails; one "
                  "comparison)", ci, used(pseudo), setting_text(rec), detail, FIG_M,
                  [fitted(rec)], card_setting(rec, "alignment"),
                  per_seed=pseudo, threshold=0.0, direction=">=")


def _teacher_claim(teacher: Record, random: Record) -> Outcome:
    a_t, a_r = X.alignment(teacher), X.alignment(random)
    ci, bias = excess_interval(teacher, a_t)
    seeds, why = jackknife_runs(a_t.excess_pseudo, teacher.seeds,
                                "the empirical floors (a spread between runs)")
    detail = (
        f"teacher: {_alignment_numbers(a_t)}; {_bias_note(a_t, bias)}random labels (same "
        f"setting): q {fmt_num(a_r.excess)} {_ci(a_r.excess_ci)}, M_data {fmt_num(a_r.m_data)}, "
        f"M_rand {fmt_num(a_r.m_rand)}; M_data(teacher)/M_data(random) "
        f"{fmt_num(a_t.m_data / a_r.m_data)}; final training error (teacher) "
        f"{fmt_num(float(teacher.arrays['errors/train_error'][:, -1].mean()))}{why}"
    )
    bound = B1_BOUND.format(rule=f"teacher: >= {Q_FAILS:g} holds (no alignment: B1's refutation), "
                                 f"<= {Q_HOLDS:g} fails (B1's alignment); the cut-offs of B1, "
                                 "read in the opposite direction")
    return judged(
        control_outcome(ci), a_t.excess, bound, ci,
        seeds, setting_text(teacher), detail, FIG_M,
        [fitted(teacher)], card_setting(teacher, "control"),
        per_seed=a_t.excess_pseudo, threshold=decisive_cut(a_t.excess, Q_FAILS, Q_HOLDS),
        direction=">=",
    )


TEACHER_STATEMENT = (
    "Control: with the labels of a linear teacher (a fixed labelling function of x) the learned "
    "first layer shows no such alignment: above the sampling floors, the misalignment of dW in the "
    "data basis is comparable to that in a random basis (M_rand <= 2 M_data) ({what})."
)


@claim("maennel2020.b1.teacher_control", TEACHER_STATEMENT.format(what="App. E.1 spectrum"),
       "Card B1/B5 control [PROPOSAL]", tag="[INFERRED]")
def check_teacher(runs: Runs) -> Outcome:
    return _teacher_claim(runs.get("maennel2020.e1_teacher"),
                          runs.get("maennel2020.e1_random"))


@claim("maennel2020.b1.teacher_control_spread",
       TEACHER_STATEMENT.format(what="spread spectrum over 3.5 decades"),
       "Card B1/B5 control [PROPOSAL]", tag="[INFERRED]")
def check_teacher_spread(runs: Runs) -> Outcome:
    return _teacher_claim(runs.get("maennel2020.spread_teacher"),
                          runs.get("maennel2020.spread_random"))


def _transfer_function_claim(rec: Record, which: str) -> Outcome:
    f = X.transfer_functions(rec, which)
    R = f.shape[0]
    # eta^2 needs the seed noise of at least two runs: a subset of fewer than two runs gives NaN
    # (no interval), so with R = 2 the jackknife has none
    est, ci, pseudo = X.jackknife_pseudo(lambda runs: population_share(f[runs]), R)
    seeds, why = jackknife_runs(pseudo, R, "eta^2 (the seed noise of one run is not "
                                "defined)")
    hi = ci[1]
    result = (HOLDS if compare(ci, ETA2_HOLDS, ">=") == HOLDS
              else FAILS if math.isfinite(hi) and hi < ETA2_FAILS else INCONCLUSIVE)
    sig = np.sqrt(rec.arrays["static/sigma2"][0])
    mean = f.mean(0)
    sd = f.std(0, ddof=1) if R > 1 else np.full_like(mean, np.nan)  # one run: no spread
    q = np.array_split(np.arange(f.shape[1]), 5)
    shape = ", ".join(f"{fmt_num(float(sig[i].mean()))}: {fmt_num(float(mean[i].mean()))}"
                      for i in q)
    detail = (f"f(sigma) of {'dW' if which == 'dw' else 'W'}, quintile means (sigma: f) {shape}; "
              f"coefficient of variation over seeds {fmt_num(float((sd / mean).mean()))} (mean "
              f"over i); per run from its own m={rec.config['net']['m']} neurons; the share of "
              f"these {R} runs alone {fmt_num(X.explained_share(f))} (biased up by about "
              f"(1 - eta^2)/R: not the verdict's){why}")
    bound = (f"eta^2 of the population of seeds >= {ETA2_HOLDS} (holds), < {ETA2_FAILS} "
             "(fails) (variance components: the seed noise of the directions' means removed); "
             "95% jackknife CI over runs; one comparison")
    return judged(result, est, bound, ci, seeds, setting_text(rec), detail, FIG_F,
                  [fitted(rec)], card_setting(rec, "function"),
                  per_seed=pseudo, threshold=decisive_cut(est, ETA2_HOLDS, ETA2_FAILS),
                  direction=">=")


F_STATEMENT = (
    "The transfer function f(sigma_i) = sqrt(v_i^T Sigma_w v_i) of {what} is a consistent "
    "function of sigma across seeds: the eigen-direction explains at least 80% of the variance "
    "of f over seeds and directions (eta^2 >= 0.8)."
)


@claim("maennel2020.b2.transfer_function", F_STATEMENT.format(
    what="the first-layer weights W, as Definition 3 defines it (random labels, App. E.1 "
    "spectrum)"), "Definition 3, Figs. 4 and 20", tag="[PAPER]")
def check_f_weights(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "w")


@claim("maennel2020.b2.transfer_function_learned", F_STATEMENT.format(
    what="the learned part dW = W - W(0) (random labels, App. E.1 spectrum)") + " A proxy: "
    "Definition 3 and Figs. 4/20 are about W, not dW; dW removes the isotropic He "
    "initialisation, which dominates W in a short training.",
    "Definition 3, Figs. 4 and 20 (proxy: dW instead of W)", tag="[INFERRED]")
def check_f_learned(runs: Runs) -> Outcome:
    return _transfer_function_claim(runs.get("maennel2020.e1_random"), "dw")


def _transfer_detail(rec: Record, p: X.Plan, task: str) -> str:
    auc = X.loss_auc(rec, p.down.auc_epochs)
    steps = X.steps_to(rec, p.target(task))
    parts = []
    for v, name in enumerate(X.VARIANTS):
        reached = np.isfinite(steps[v])
        st = steps[v][reached]
        med = fmt_num(float(np.median(st))) if st.size else "never"
        txt = f"{name}: loss-AUC {fmt_num(float(auc[v].mean()))}, steps to {p.target(task):g} " \
              f"train accuracy median {med} ({int(reached.sum())}/{reached.size} reached)"
        if v:
            e = X.effect(auc, v)
            txt += (f", AUC gain vs scratch {fmt_num(e.mean)} +- {fmt_num(e.se)} (95% CI "
                    f"{_ci(e.ci)}, {fmt_num(100 * e.relative)}%)")
        parts.append(txt)
    return "; ".join(parts)


def _transfer_setting(p: X.Plan, up: Record, downs: list[Record]) -> str:
    """The pre-training's setting and the fine-tuning's, read from the fine-tuning Records
    (``downs``, one per task; they share one fine-tuning setting in every plan)."""
    parts = []
    for steps, per, batch, lr in dict.fromkeys(
            (int(r.config["train"]["steps"]), int(r.meta["steps_per_epoch"]),
             r.config["train"].get("batch_size"), float(r.config["train"]["lr"]))
            for r in downs):
        opt = f"SGD batch {batch}" if batch else "full-batch GD"
        parts.append(f"{steps // max(per, 1)} epochs, {opt}, lr={lr:g}")
    return setting_text(up, (
        f"fine-tuned on {up.meta['held_out']} held-out samples, {' / '.join(parts)}, fresh head; "
        f"loss-AUC over the first {p.down.auc_epochs} epochs"
    ))


MAIN = X.VARIANTS.index("rescaled_b0")  # B3's main arm: pre-trained W rescaled, b = 0
LEARNED_BIAS = X.VARIANTS.index("rescaled")  # secondary arm: learned biases kept (and rescaled)


def _variant_claim(runs: Runs, task: str, v: int, ref: int = 0) -> Outcome:
    """Paired loss-AUC effect of variant ``ref`` minus variant ``v`` on fine-tuning ``task``
    (> 0: ``v`` is faster): one comparison, the 95% t-interval of the mean over seeds."""
    p = X.plan(runs.quick)
    rec = runs.get("maennel2020.transfer")[task]
    up = runs.get(f"maennel2020.{X.UPSTREAM_OF[task]}")
    auc = X.loss_auc(rec, p.down.auc_epochs)
    e = X.effect(auc, v, ref)
    diff = auc[ref] - auc[v]
    bound = (f"paired loss-AUC({X.VARIANTS[ref]}) - loss-AUC({X.VARIANTS[v]}) > 0 (95% CI above "
             "0 holds, below 0 fails); one comparison")
    detail = _transfer_detail(rec, p, task)
    card = transfer_setting({X.UPSTREAM_OF[task]: up}, {task: rec})
    return judged(sign_outcome(e.ci, +1), e.mean, bound, e.ci, used(diff),
                  _transfer_setting(p, up, [rec]), detail, FIG_T, [fitted(up)], card,
                  per_seed=diff, threshold=0.0, direction=">=")


def _holm_claim(runs: Runs, pairs: list[tuple[str, int, int]], what: str,
                premises: tuple[tuple[bool, str], ...] = ()) -> Outcome:
    """Several paired comparisons inside one claim, each "loss-AUC(ref) − loss-AUC(v) > 0" on
    fine-tuning ``task`` for (task, v, ref) in ``pairs``: one-sided t-tests, Holm-corrected
    family-wise at (1 − LEVEL)/2 (the one-sided level of the 95% intervals of the single
    comparisons); holds when every comparison holds, fails when one fails. Reported: the
    deciding comparison (a failing one with the most negative mean, else the weakest by t
    statistic) with its 95% interval."""
    p = X.plan(runs.quick)
    recs = runs.get("maennel2020.transfer")
    diffs, names = [], []
    for task, v, ref in pairs:
        auc = X.loss_auc(recs[task], p.down.auc_epochs)
        diffs.append(auc[ref] - auc[v])
        names.append(f"{task}: {X.VARIANTS[ref]} - {X.VARIANTS[v]}")
    level = 1.0 - (1.0 - LEVEL) / 2
    comps = [(d, 0.0, ">=") for d in diffs]  # per seed in run order: paired by seed
    outs = holm_outcomes(comps, level=level, method="t")
    result = combine(*outs)

    def t_stat(d: np.ndarray) -> float:
        s = float(np.std(d, ddof=1)) if d.size > 1 else math.nan
        return float(np.mean(d)) / (s / math.sqrt(d.size)) if s > 0 else float(np.sign(d.mean()))

    failing = [i for i, o in enumerate(outs) if o == FAILS]
    pick = (min(failing, key=lambda i: float(diffs[i].mean())) if failing
            else min(range(len(diffs)), key=lambda i: t_stat(diffs[i])))
    m, ci = mean_ci(diffs[pick], LEVEL)
    parts = []
    for name, d, o in zip(names, diffs, outs):
        dm, dci = mean_ci(d, LEVEL)
        parts.append(f"{name}: {fmt_num(dm)} {_ci(dci)} -> {o}")
    detail = (f"{len(pairs)} comparisons, Holm-corrected: " + "; ".join(parts)
              + f"; reported: {names[pick]}")
    bound = (f"paired loss-AUC gain > 0 in each of {len(pairs)} comparisons ({what}); one-sided "
             f"t-tests, Holm-corrected family-wise at {1 - level:g}; holds if all hold, fails if "
             "one fails; measured/CI: the deciding comparison, 95% t-interval")
    ups = {u: runs.get(f"maennel2020.{u}")
           for u in dict.fromkeys(X.UPSTREAM_OF[task] for task, _, _ in pairs)}
    card = transfer_setting(ups, {t: recs[t] for t in dict.fromkeys(t for t, _, _ in pairs)})
    # several upstream runs (learned_bias: spread_random for teacher/random, xor_random for
    # xor): the setting and the premises name each, not only the first
    tasks_of = {u: [t for t in dict.fromkeys(t for t, _, _ in pairs) if X.UPSTREAM_OF[t] == u]
                for u in ups}
    if len(ups) == 1:
        setting = _transfer_setting(p, *ups.values(), [recs[t] for t in tasks_of[next(iter(ups))]])
        fits = [fitted(*ups.values())]
    else:
        setting = " | ".join(f"{', '.join(tasks_of[u])} (pre-trained {u}): "
                             f"{_transfer_setting(p, r, [recs[t] for t in tasks_of[u]])}"
                             for u, r in ups.items())
        fits = [(ok, f"{u}: {t}") for u, r in ups.items() for ok, t in [fitted(r)]]
    return judged(result, m, bound, ci, min(used(d) for d in diffs), setting, detail, FIG_T,
                  [*fits, *premises], card, comparisons=comps, test="t")


TRANSFER_STATEMENT = (
    "Positive transfer: after pre-training on random labels, rescaling the first-layer weights to "
    "their initial norm and resetting the first-layer biases to 0 (as at initialisation), "
    "fine-tuning on a disjoint sample with {what} is faster than from scratch (smaller loss-AUC "
    "over the first epochs)."
)


@claim("maennel2020.b3.transfer_teacher", TRANSFER_STATEMENT.format(
    what="the labels of a linear teacher (spread spectrum)"), "Abstract; Fig. 5",
    tag="[PAPER-PARTIAL]")
def check_transfer_teacher(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", MAIN)


@claim("maennel2020.b3.transfer_random", TRANSFER_STATEMENT.format(
    what="new random labels (spread spectrum)"),
    "Abstract; Fig. 1 ([SECONDARY]: positive and negative transfer, depending on settings)",
    tag="[PAPER-PARTIAL]")
def check_transfer_random(runs: Runs) -> Outcome:
    return _variant_claim(runs, "random", MAIN)


@claim("maennel2020.b3.transfer_xor", TRANSFER_STATEMENT.format(
    what="the clean XOR labels (pre-trained on the XOR clusters with random labels)"),
    "Abstract; Fig. 5", tag="[PAPER-PARTIAL]")
def check_transfer_xor(runs: Runs) -> Outcome:
    return _variant_claim(runs, "xor", MAIN)


@claim(
    "maennel2020.b3.transfer_learned_bias",
    "Secondary arm (a finding about a confound, not the paper's protocol, which is unknown for "
    "biases): with the learned first-layer biases kept (W and b rescaled together to the initial "
    "norm of W), fine-tuning after random-label pre-training is faster than from scratch on each "
    "of the three downstream tasks (linear teacher, new random labels, clean XOR labels).",
    "Abstract; Fig. 5 (bias handling: twolayer's [PROPOSAL])", tag="[INFERRED]",
)
def check_transfer_learned_bias(runs: Runs) -> Outcome:
    return _holm_claim(runs, [(t, LEARNED_BIAS, 0) for t in X.TASKS],
                       "rescaled with learned biases vs scratch on teacher, random, xor")


@claim(
    "maennel2020.b3.covariance_init",
    "Sampling the first layer from N(0, Sigma_w) of the random-label-trained network (rescaled "
    "to the initial norm, b = 0) also trains faster than scratch (linear-teacher labels, spread "
    "spectrum).", "Fig. 5 ('covariance' curve; the panel [PAPER], which curve is which "
    "[SECONDARY])", tag="[SECONDARY]",
)
def check_covariance(runs: Runs) -> Outcome:
    return _variant_claim(runs, "teacher", X.VARIANTS.index("covariance"))


@claim(
    "maennel2020.fig5.unscaled_fastest",
    "Weight scale alone speeds up training: the pre-trained network without rescaling is the "
    "fastest of the Fig. 5 curves, faster than scratch, than the rescaled pre-trained network "
    "(b = 0, and with learned biases) and than the covariance initialisation (linear-teacher "
    "labels, spread spectrum).",
    "Fig. 5 ('no rescaling' curve; the panel [PAPER], which curve is which [SECONDARY])",
    tag="[SECONDARY]",
)
def check_unscaled(runs: Runs) -> Outcome:
    u = X.VARIANTS.index("unscaled")
    refs = [X.VARIANTS.index(n) for n in ("scratch", "rescaled_b0", "rescaled", "covariance")]
    up = runs.get(f"maennel2020.{X.UPSTREAM_OF['teacher']}")
    return _holm_claim(runs, [("teacher", u, r) for r in refs],
                       "unscaled vs scratch, rescaled_b0, rescaled, covariance", (grown(up),))


MIN_HIDDEN = 2  # B4: "later layers" needs a hidden layer after the first (card: a 3-layer MLP)


def hidden_layers(rec: Record) -> tuple[int | None, str]:
    """(the number of hidden layers of a Record's networks, or None when the Record does not
    determine it; the text). The network's config (``config["net"]``) lists its hidden widths:
    ``widths`` for a deeper network, else the one width ``m`` of twolayer's two-layer network
    f(x) = Σ_j a_j φ(⟨w_j, x⟩ + b_j). The stored arrays must agree: the first layer's per-neuron
    norms (``static/init_w_norm``, [R, m_1]) have the first width and the head (``static/a``,
    [R, m_L, K]) reads the last one."""
    net = rec.config.get("net", {})
    widths = [int(w) for w in net.get("widths") or ([net["m"]] if "m" in net else [])]
    first = rec.arrays.get("static/init_w_norm")
    head = rec.arrays.get("static/a")
    shapes = (f"first-layer norms {list(first.shape) if first is not None else None}, head "
              f"{list(head.shape) if head is not None else None}")
    if not widths or first is None or head is None:
        return None, f"hidden widths {widths} ({shapes}): not determined by the Record"
    if first.shape[-1] != widths[0] or head.shape[1] != widths[-1]:
        return None, (f"hidden widths {widths} disagree with the stored arrays ({shapes}): not "
                      "determined by the Record")
    return len(widths), (f"{len(widths)} hidden layer{'s' if len(widths) > 1 else ''} (widths "
                         f"{widths}; {shapes}: the head reads the "
                         f"{'first' if len(widths) == 1 else 'last'} hidden layer)")


def depth_premise(recs: dict[str, Record]) -> tuple[bool, str]:
    """Premise of B4, measured on the transfer Records (the fine-tuned networks, per task): the
    networks have a hidden layer after the first (:func:`hidden_layers` ≥ ``MIN_HIDDEN``), the
    "later layers" whose specialisation the statement is about; a two-layer network's only
    layer after the first is its output head, which every fine-tuning variant replaces."""
    parts, ok = [], bool(recs)
    for task, rec in sorted(recs.items()):  # sorted: the store keeps no part order
        n, text = hidden_layers(rec)
        ok = ok and n is not None and n >= MIN_HIDDEN
        parts.append(f"{task}: {text}")
    return ok, (f"premise: the transferred networks have later hidden layers (at least "
                f"{MIN_HIDDEN} hidden layers; the card's depth caveat: a 3-layer MLP): "
                f"{'yes' if ok else 'no'} (" + "; ".join(parts) + ")")


@claim(
    "maennel2020.b4.later_layers",
    "A competing negative effect: specialisation of later layers can hide the positive transfer "
    "and slow downstream training down (widening later layers mitigates it).",
    "Abstract; introduction (critical stages, specialisation)", tag="[PAPER-PARTIAL]",
)
def check_later_layers(runs: Runs) -> Outcome:
    recs = runs.get("maennel2020.transfer")
    ok, text = depth_premise(recs)
    return outcome(  # seeds 0: no per-seed value enters
        INCONCLUSIVE, None, "not measured (no check of later-layer specialisation)",
        None, 0, "the fine-tuned networks of the transfer Records (tasks "
        + ", ".join(sorted(recs)) + ")",
        ("premise unmet: " if not ok else "") + "not measured: " + (
            "the networks of the transfer Records have no hidden layer after the first to "
            "specialise; their only layer after the first is the output head, which every "
            "fine-tuning variant replaces by a fresh one. Testing this claim needs at least "
            "three layers (card, depth caveat)." if not ok else
            "the Records' networks have later hidden layers, but no check of their "
            "specialisation (downstream slowdown shrinking as they widen) is implemented.")
        + f" {text}",
        in_regime=ok, regime=text,
    )
