"""The experiments (Records only; the claims and figures read them). Defaults of the card
[PAPER]: width-100 ReLU, hinge loss, online SGD with B = 32, η = 0.1, no weight decay, biases
and second layer trained. Init (``data.init_params``): the two experiments whose claims are
compared with the paper's own setting item by item (``claims.paper_setting``), ``grid`` (EF1)
and ``bias`` (C.2), use the paper's default, Xavier uniform (``PAPER_DEFAULT_INIT``, biases
from 0 [PROPOSAL]); the others keep PyTorch's ``nn.Linear`` default (``run_parity``'s default
``init="torch"``; their claims are registered outside the paper's setting, and their figures'
captions say so); ``thm4`` uses Theorem 4's sign init. Every training run draws its data from
the registered kind ``parity`` (``train.run_parity``). Quick plans are smoke tiers (small n,
few seeds, short budgets).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from twolayer.api import experiment

from .data import init_params, support
from .probes import cube, forward, population_gradient
from .train import population_record, run_parity


def tiny(quick: bool) -> bool:
    """A test-only smoke tier below --quick (environment BARAK2022_TINY=1 with --quick): the
    smallest settings that still exercise every code path; verdicts there mean nothing."""
    return quick and os.environ.get("BARAK2022_TINY") == "1"


# [PAPER] "Uniform[-c, c] with Xavier c", the paper's default (card Sec. 2); the biases' init is
# a [PROPOSAL] (b = 0, data.init_params)
PAPER_DEFAULT_INIT = "xavier"


# the store key's plan version: the test-only tier trains other plans under the same names and
# mode (--quick), so its results must not be read back as the quick plan's (nor the other way)
VERSION = 1001 if os.environ.get("BARAK2022_TINY") == "1" else 1


def _R(seeds, quick, q, full):
    return seeds or (min(q, 4) if tiny(quick) else q if quick else full)


@experiment("barak2022.grid", version=VERSION)
def grid(quick, seeds, runtime):
    """EF1: every (n, k) of the grid, R seeds each, budget 10^5 steps (quick: 4000), probe every
    10 steps for k = 2 (t_c ~ 10^2 steps), 25 (quick 20) for k = 3, 50 for k = 4; the paper's
    default init (Xavier uniform, ``PAPER_DEFAULT_INIT``)."""
    R = _R(seeds, quick, 8, 25)
    ns, ks = ((10, 20), (2, 3)) if quick else ((10, 20, 30), (2, 3, 4))
    steps = 4000 if quick else 100_000
    every = {2: 10, 3: 20 if quick else 25, 4: 50}  # k = 2 solves in ~10^2 steps
    if tiny(quick):
        ns, ks, steps = (8,), (2, 3), 600
    return {f"n={n},k={k}": run_parity(n, k, R, steps=steps, every=every[k],
                                       init=PAPER_DEFAULT_INIT, runtime=runtime)
            for n in ns for k in ks}


@experiment("barak2022.curves", version=VERSION)
def curves(quick, seeds, runtime):
    """F1 / plateau-then-drop: error curves at a fine probe grid (quick: (20, 3))."""
    R = _R(seeds, quick, 16, 16)
    settings = ((20, 3),) if quick else ((30, 3), (50, 3), (60, 3), (90, 3), (30, 4))
    steps, every = (4000, 20) if quick else (100_000, 50)
    if tiny(quick):
        settings, steps = ((8, 2),), 600
    return {f"n={n},k={k}": run_parity(n, k, R, steps=steps, every=every, runtime=runtime)
            for n, k in settings}


@experiment("barak2022.hidden", version=VERSION)
def hidden(quick, seeds, runtime):
    """Hidden progress: width-10 nets on (n, 3) with true labels, and the random-label control
    from the same seeds (same init and inputs' generator) run as long as the slowest true run."""
    R = _R(seeds, quick, 8, 16)
    n, m = (20, 10) if quick else (30, 10)
    steps, every = (12_000, 25) if quick else (100_000, 50)
    if tiny(quick):
        n, steps = 8, 1500
    true = run_parity(n, 3, R, m=m, steps=steps, every=every, extra_probes=("barak_weights",),
                      runtime=runtime)
    tc = true["static/t_c"]
    horizon = int(tc.max()) if (tc > 0).all() else steps
    control = run_parity(n, 3, R, m=m, steps=max(horizon, every), every=every,
                         random_labels=True, extra_probes=("barak_weights",), runtime=runtime)
    return {"true": true, "control": control}


@experiment("barak2022.bias", version=VERSION)
def bias(quick, seeds, runtime):
    """C.2: (n, 3) with and without biases, (n', 4) without; the paper's default init (Xavier
    uniform, as the grid), so the two k = 3 settings start from the same W and u and the same
    function (b = 0) and differ only in whether biases exist and train."""
    R = _R(seeds, quick, 8, 16)
    n3, n4, steps = (20, 16, 6000) if quick else (30, 30, 30_000)
    if tiny(quick):
        n3, n4, steps = 8, 8, 600
    init = PAPER_DEFAULT_INIT
    return {"k=3,bias": run_parity(n3, 3, R, steps=steps, every=100, init=init,
                                   runtime=runtime),
            "k=3,nobias": run_parity(n3, 3, R, steps=steps, every=100, bias=False, init=init,
                                     runtime=runtime),
            "k=4,nobias": run_parity(n4, 4, R, steps=steps, every=100, bias=False, init=init,
                                     runtime=runtime)}


@experiment("barak2022.noise", version=VERSION)
def noise(quick, seeds, runtime):
    """C.6: label noise (each streamed label flipped with prob. p; validation labels clean)."""
    R = _R(seeds, quick, 8, 5)
    n, p, steps = (16, 0.4, 20_000) if quick else (50, 0.4, 200_000)
    if tiny(quick):
        n, p, steps = 8, 0.2, 600
    return run_parity(n, 3, R, noise=p, steps=steps, every=200, runtime=runtime)


def thm4_assumptions(n: int, k: int, init: str, head_max_f: float) -> dict[str, bool]:
    """Which of Theorem 4's assumptions a setting meets (those checkable at this size): k even
    and ≥ 2, n odd, sign init, |f| < 1 on every input at init (so the hinge is linear there)."""
    return {"k_even": k >= 2 and k % 2 == 0, "n_odd": n % 2 == 1, "sign_init": init == "sign",
            "margin_below_1": head_max_f < 1.0}


# |G_ji| below this multiple of the head's magnitude |u| is float64 rounding of an exact 0 (the
# expectation sums 2^n terms of size |u|; at odd k the population gradient is 0 to ~1e-21)
GRADIENT_FLOOR = 1e-9


def singles_out(G: torch.Tensor, mask: torch.Tensor, floor: float) -> torch.Tensor:
    """[R]: the fraction of neurons whose |G_ji| single out S, i.e. every coordinate of S is
    larger than every other coordinate by more than ``floor`` (G [R, m, n], mask [R, n]).
    Strict: a tie at the boundary, or a gradient that is 0 up to rounding (odd k), singles out
    nothing; "the k largest" by ``topk`` would pick among the ties by its own order."""
    A = G.abs()
    inside = mask.unsqueeze(1).expand_as(A)
    least_in_s = A.masked_fill(~inside, float("inf")).amin(2)  # [R, m]
    most_outside = A.masked_fill(inside, 0.0).amax(2)  # |G| >= 0; 0 where S is everything
    return (least_in_s - most_outside > floor).double().mean(1)


@experiment("barak2022.thm4", version=VERSION)
def thm4(quick, seeds, runtime):
    """Theorem 4's first step, exactly: the population gradient ∇_W L(θ_0) by enumeration at the
    sign init; per neuron, are its k largest |G_ji| exactly the coordinates of S, strictly
    (:func:`singles_out`: above every other coordinate by more than rounding)? Settings:
    inside (even k, odd n, small head) and the controls odd k and head ±1/r (hinge truncates)."""
    R = _R(seeds, quick, 4, 8)
    m = (16 if tiny(quick) else 64) if quick else 256
    settings = {"n=13,k=2": (13, 2, None), "n=13,k=4": (13, 4, None),
                "n=13,k=3 (odd k)": (13, 3, None), "n=13,k=4,head=1/r": (13, 4, 1.0 / m)}
    if not quick:
        settings.update({"n=15,k=2": (15, 2, None), "n=15,k=4": (15, 4, None)})
    out = {}
    for name, (n, k, head) in settings.items():
        rs = list(range(R))
        mask = support(n, k, R)
        p = init_params(n, m, rs, bias=False, init="sign", head=head, dtype=torch.float64)
        G = population_gradient(p, mask)
        u = head if head is not None else 1.0 / (m * n)
        recovered = singles_out(G, mask, floor=GRADIENT_FLOOR * u)  # [R]
        max_f = float(forward(p, cube(n, p.W.dtype).expand(R, -1, -1)).abs().max())  # exact
        ok = thm4_assumptions(n, k, "sign", max_f)
        cfg = {"n": n, "k": k, "m": m, "head": head if head is not None else 1.0 / (m * n),
               "seeds": R, "assumptions": ok, "inside": all(ok.values())}
        out[name] = population_record("barak2022.thm4", cfg,
                                      {"recovered": recovered.numpy()[:, None],
                                       "max_abs_f": np.full((R, 1), max_f)})
    return out


@experiment("barak2022.gap", version=VERSION)
def gap(quick, seeds, runtime):
    """C.1: the exact population gradient's Fourier gap along online SGD (n ≤ 16, enumerated
    at every probe time) on (14, 3) (quick: (12, 3)); width 100."""
    R = _R(seeds, quick, 8, 16)
    n = 8 if tiny(quick) else 12 if quick else 14
    return run_parity(n, 3, R, steps=600 if tiny(quick) else 6000, every=50,
                      extra_probes=("barak_gap",), runtime=runtime)


@experiment("barak2022.early", version=VERSION)
def early(quick, seeds, runtime):
    """Fig. 2 (no early successes): many seeds of one setting at a fine probe interval, so that
    t_c/median(t_c) is resolved near 1/4. Full: (30, 3), R = 200, probe every 50 steps; quick:
    (20, 3), R = 32, every 20."""
    R = _R(seeds, quick, 32, 200)
    n, steps = (20, 8000) if quick else (30, 100_000)
    if tiny(quick):
        n, steps = 8, 600
    return run_parity(n, 3, R, steps=steps, every=10 if tiny(quick) else 20 if quick else 50,
                      runtime=runtime)


INITS, STREAMS = 8, 4


@experiment("barak2022.icc", version=VERSION)
def icc(quick, seeds, runtime):
    """Fig. 2-center (t_c set by the init): INITS initialisations crossed with STREAMS SGD
    streams (run r: init seed r // STREAMS, stream seed 10^6 + r), (40, 3); quick: (20, 3).
    ``seeds`` (if given) is the number of inits."""
    g = seeds or (4 if tiny(quick) else INITS)
    n, steps = (20, 8000) if quick else (40, 100_000)
    if tiny(quick):
        n, steps = 8, 600
    R = g * STREAMS
    return run_parity(n, 3, R, steps=steps, every=20 if quick else 50, runtime=runtime,
                      init_seeds=[r // STREAMS for r in range(R)],
                      stream_seeds=[1_000_000 + r for r in range(R)])


def scaling_ns(quick: bool) -> tuple[tuple[int, ...], int]:
    """The n of the exponent experiment and the n that splits it into a low and a high range
    (both ranges contain it): full n in {20, 30, 50, 70, 100} split at 50 (the card's [20, 50]
    and [50, 100]); quick {10, 14, 20, 28} split at 20; tiny {6, 8, 10} split at 8."""
    if tiny(quick):
        return (6, 8, 10), 8
    return ((10, 14, 20, 28), 20) if quick else ((20, 30, 50, 70, 100), 50)


@experiment("barak2022.scaling", version=VERSION)
def scaling(quick, seeds, runtime):
    """Fig. 2-right (the exponent at larger n): t_c of (n, 3) over a wider range of n at one
    constant eta = 0.1, R seeds per n, budget 10^5 steps (quick 8000)."""
    R = _R(seeds, quick, 8, 16)
    ns, _ = scaling_ns(quick)
    steps = 600 if tiny(quick) else 8000 if quick else 100_000
    return {f"n={n},k=3": run_parity(n, 3, R, steps=steps, every=20 if quick else 50,
                                     runtime=runtime) for n in ns}


def widths(quick: bool) -> tuple[int, ...]:
    """The widths of the width experiment (the smallest is the reference r = 8 >= k)."""
    return (8, 32) if tiny(quick) else (8, 128) if quick else (8, 64, 1024)


@experiment("barak2022.width", version=VERSION)
def width(quick, seeds, runtime):
    """Fig. 4-left / Fig. 14 (width): t_c of (40, 3) for widths r (quick: (16, 3)), R seeds each,
    budget 10^5 steps (quick 8000), probe every 50 steps (quick 20)."""
    R = _R(seeds, quick, 8, 16)
    n, steps = (16, 8000) if quick else (40, 100_000)
    if tiny(quick):
        n, steps = 8, 600
    return {f"r={m}": run_parity(n, 3, R, m=m, steps=steps, every=20 if quick else 50,
                                 runtime=runtime) for m in widths(quick)}
