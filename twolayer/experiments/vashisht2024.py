"""Experiments of Vashisht, Krishna Kumar, Govind & Ramaswamy (2024), "Impact of label noise on
learning complex features" (paper card ``vashisht2024``): plans, the two-phase runner and the
Records the claims (:mod:`twolayer.claims.vashisht2024`) and figures
(:mod:`twolayer.plots.vashisht2024`) read.

The card rests on the abstract only [PAPER-PARTIAL]: data, protocol and metrics below are
twolayer's own design ([PROPOSAL], card sections 3–5); no number here is the paper's.

Setting. Data where a simple and a complex feature each predict the clean label perfectly
(:mod:`twolayer.data.lms`): ``lms`` (linear coordinate + k 5-slab coordinates + U(−1, 1) noise
coordinates) and ``linxor`` (linear coordinate + an XOR pair + noise). Two-layer ReLU networks
f(x) = Σ_j a_j φ(⟨w_j, x⟩ + b_j) with a trained second layer and bias, He initialisation
(W ~ N(0, 2/d), b = 0, a ~ N(0, 1/m)), logistic loss, minibatch SGD (main arm) or full-batch GD.

Protocol (phases are two :func:`twolayer.engine.train` calls on the same parameters):

1. phase 1: T1 steps on training labels flipped at rate η (i.i.d. flips, fixed once; η = 0.5 is
   the ``random`` noise model at replacement probability 1, i.e. labels independent of x);
2. phase 2: T2 steps on the clean labels of the same inputs, in variants
   ``keep`` (continue with every parameter), ``reinit`` (a re-drawn from N(0, 1/m)) and
   ``rescale`` (after phase 1, (W, b) rescaled to the Frobenius norm ‖W^(0)‖ of the
   initialisation, the head a kept as learned: the first-layer weight-norm control; only ‖W‖
   changes, the ReLU hyperplanes and the head stay);
3. ``input-noise`` control [PROPOSAL]: phase 1 on clean labels with *feature-preserving* input
   noise (:func:`preserving_noise`): every noise coordinate gets x_j + σ z_j, every feature
   coordinate (S and C) a normal perturbation truncated to the cell of its own label (sgn x_0
   and the XOR signs kept, a slab coordinate kept between the midpoints of the gaps around its
   slab), so no feature changes the label it gives (flip rates measured and stored). σ is set
   per seed by a criterion fixed in advance (:func:`calibrate_sigma`): the perturbed training
   set is as hard for a memorising reference learner (1-nearest-neighbour, leave-one-out 0–1
   loss) as the same inputs with labels flipped at ``input_ref_eta``. Then phase 2 as ``keep``;
4. ``input-noise-flip`` reference arm: the previous control, x + N(0, σ_flip² I) on every
   coordinate with σ_flip = 0.5, which flips sgn x_0 on a share of the points (stored) and so
   is partly label noise for the simple feature; reported, judged by no claim.

The baseline of every comparison is clean training for T1 + T2 steps: the η = 0 run with the
head kept, trained through the same two calls (the matched-length control). Run r of every arm
uses seed ``seed + r`` for its data, initialisation and minibatch order (common random numbers).

Measurements (:mod:`twolayer.probes.vashisht`): clean, S-randomised and C-randomised test
accuracy, conflict following, attribution share (gradient × (input − mean)) of the complex
coordinates, neuron loading ‖W[j, C]‖/‖W[j, :]‖ after each phase, disagreement with the baseline.

Experiments ``vashisht2024.<kind>.<arm>`` (kind ``lms`` or ``linxor``, arm ``sgd`` or ``gd``)
return one Record per study (layout in ``docs/papers/vashisht2024.md``); a mode whose plan has no
such arm (the quick plan has no GD arm) returns an *absent* Record (no arrays,
``meta["absent"]``), which :func:`study_of` reads as None. The accessors at the end
(:func:`final`, :func:`runs`, :func:`baseline_runs`, :func:`etas`, :func:`setting`) are the
views the claims and figures read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from .. import net
from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from ..data import Dataset, sample_dataset
from ..data import lms as lms_data
from ..engine import Runtime, probe_times, train
from ..net import Params, init_params
from ..probes import vashisht as vp
from ..record import Record
from ..seeding import generator, on_cpu
from ..simulate import environment, gpu_kernels_text
from . import experiment

if TYPE_CHECKING:
    from . import Runs

PAPER = "vashisht2024"
KINDS = ("lms", "linxor")
ARMS = ("sgd", "gd")
VARIANTS = ("keep", "reinit", "rescale", "input-noise", "input-noise-flip")
SOURCES = ("label", "input-noise", "input-noise-flip")  # phase1/source: 0, 1, 2
MIN_RISE = 0.01  # [PROPOSAL] smallest rise (S-rand, conflict following) the claims count
PROBES = ("vashisht",)



# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arm:
    """One optimiser setting of the protocol."""

    name: str  # "sgd" or "gd"
    lr: float
    batch_size: int | None  # None: full-batch GD
    T1: int
    T2: int
    etas: tuple[float, ...]  # phase-1 flip rates, 0 first (the baseline)
    variants: tuple[str, ...] = ("keep", "reinit", "rescale")
    input_noise: bool = True  # run the input-noise control


@dataclass(frozen=True)
class Plan:
    d: int
    slabs: int
    n: int
    n_test: int
    m: int
    seeds: int
    sgd: Arm
    gd: Arm | None
    margin: float = 0.1
    input_ref_eta: float = 0.2  # the η whose 1-NN loss the input-noise control matches
    input_sigma_max: float = 8.0  # upper end of the σ search of :func:`calibrate_sigma`
    flip_sigma: float = 0.5  # σ of the unconstrained ``input-noise-flip`` reference arm
    num_times1: int = 12
    num_times2: int = 14
    seed: int = 0

    @property
    def init_var(self) -> float:
        """He initialisation ω_init² = 2/d."""
        return 2.0 / self.d

    def data_config(self, kind: str, eta: float) -> DataConfig:
        """Training labels flipped at rate η: i.i.d. flips for η < 1/2, uniformly random labels
        (noise model ``random`` with replacement probability 1) for η = 1/2."""
        noise = dict(noise=eta, noise_model="iid") if eta < 0.5 else dict(
            noise=1.0, noise_model="random")
        slabs = {"slabs": self.slabs} if kind == "lms" else {}
        return DataConfig(kind=kind, d=self.d, n=self.n, n_test=self.n_test, margin=self.margin,
                          **slabs, **noise)

    def net_config(self) -> NetConfig:
        return NetConfig(m=self.m, init_var=self.init_var, second_layer="gaussian",
                         train_second_layer=True, bias=True)

    def arm(self, name: str) -> Arm | None:
        return self.sgd if name == "sgd" else self.gd


ETAS_FULL = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
PLANS: dict[str, Plan] = {
    "quick": Plan(
        d=10, slabs=4, n=300, n_test=600, m=100, seeds=6,
        sgd=Arm("sgd", lr=0.1, batch_size=64, T1=6_000, T2=1_500, etas=(0.0, 0.2, 0.5)),
        gd=None,
    ),
    "full": Plan(
        d=10, slabs=4, n=1000, n_test=2000, m=100, seeds=8,
        sgd=Arm("sgd", lr=0.1, batch_size=64, T1=20_000, T2=5_000, etas=ETAS_FULL),
        gd=Arm("gd", lr=1.0, batch_size=None, T1=10_000, T2=2_500, etas=(0.0, 0.2, 0.4),
               variants=("keep",), input_noise=False),
    ),
}


def plan(quick: bool) -> Plan:
    return PLANS["quick" if quick else "full"]


# --------------------------------------------------------------------------------------------
# Building the batches
# --------------------------------------------------------------------------------------------


def concat(parts: Sequence[Dataset]) -> Dataset:
    """Datasets of the same shapes stacked on the run axis (runs may differ in noise rate)."""
    for f in dataclasses.fields(Dataset):
        vals = [getattr(p, f.name) for p in parts]
        if not isinstance(vals[0], (torch.Tensor, dict)) and any(v != vals[0] for v in vals):
            raise ValueError(f"cannot stack datasets that differ in {f.name}")
    return Dataset.cat(parts)


def sample_mixed(
    cfgs: Sequence[DataConfig], seeds: Sequence[int], dtype: torch.dtype = torch.float32
) -> Dataset:
    """Run i drawn from ``cfgs[i]`` with seed ``seeds[i]`` (one batch mixing noise rates).
    Inputs and clean labels depend only on the seed, so runs of one seed share them."""
    groups: dict[DataConfig, list[int]] = {}
    for i, c in enumerate(cfgs):
        groups.setdefault(c, []).append(i)
    order, parts = [], []
    for c, idx in groups.items():
        with on_cpu():  # drawn from CPU generators whatever the default device
            parts.append(sample_dataset(c, [seeds[i] for i in idx], dtype))
        order += idx
    data = concat(parts)
    inverse = torch.empty(len(order), dtype=torch.long)
    inverse[torch.as_tensor(order)] = torch.arange(len(order))
    return data.select(inverse)


def clean_labels(data: Dataset) -> Dataset:
    """The same inputs with their clean labels (y = ỹ, nothing noisy)."""
    return dataclasses.replace(data, y=data.y_true, y_test=data.y_test_true,
                               noisy=torch.zeros_like(data.noisy))


def feature_cells(kind: str, x: torch.Tensor, slabs: int, margin: float
                  ) -> tuple[list[int], torch.Tensor, torch.Tensor]:
    """(feature columns S ∪ C, lower and upper cell edges [..., n, |S ∪ C|]): the cell of a
    feature value is the largest interval around it on which that coordinate alone gives the
    same label: (0, 1] or [−1, 0) for x_0 and the XOR pair (sign kept), and for a 5-slab
    coordinate the interval between the midpoints of the gaps around its slab (adjacent slabs
    belong to opposite classes), the outer cells ending at ±1."""
    s_cols, c_cols, _ = lms_data.roles(kind, x.shape[-1], slabs)
    cols = s_cols + c_cols
    v = x[..., cols]
    lo = torch.where(v > 0, torch.zeros_like(v), -torch.ones_like(v))
    hi = torch.where(v > 0, torch.ones_like(v), torch.zeros_like(v))
    if kind == "lms":
        e = lms_data.slab_edges(margin)
        cuts = [-1.0] + [(e[k][1] + e[k + 1][0]) / 2 for k in range(4)] + [1.0]
        b = torch.tensor(cuts, dtype=x.dtype, device=x.device)
        vc = v[..., 1:]
        k = torch.bucketize(vc.contiguous(), b[1:-1])  # cell index 0..4
        lo[..., 1:], hi[..., 1:] = b[k], b[k + 1]
    return cols, lo, hi


def feature_labels(kind: str, x: torch.Tensor, slabs: int, margin: float) -> torch.Tensor:
    """[..., n, |S ∪ C|]: what each feature coordinate says about the label: sgn x_0 (the
    label), the signs of the XOR pair (whose product is the label), and for a slab coordinate
    ±1 by slab cell (cells 1 and 3 positive). Input noise that keeps every column keeps the
    label every feature gives."""
    s_cols, c_cols, _ = lms_data.roles(kind, x.shape[-1], slabs)
    v = x[..., s_cols + c_cols]
    out = torch.where(v > 0, 1, -1)
    if kind == "lms":
        e = lms_data.slab_edges(margin)
        cuts = torch.tensor([(e[k][1] + e[k + 1][0]) / 2 for k in range(4)], dtype=x.dtype,
                            device=x.device)
        k = torch.bucketize(v[..., 1:].contiguous(), cuts)
        out[..., 1:] = torch.where((k == 1) | (k == 3), 1, -1)
    return out


def preserving_noise(kind: str, x: torch.Tensor, slabs: int, margin: float, sigma: float,
                     z: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Feature-preserving input noise on x [n, d] with fixed draws z ~ N(0, I) [n, d] and
    u ~ U(0, 1) [n, d]: noise coordinates x_j + σ z_j; a feature coordinate x_j in its cell
    (lo, hi) (:func:`feature_cells`) becomes x_j + σ Φ⁻¹(Φ(a) + u_j (Φ(b) − Φ(a))),
    a = (lo − x_j)/σ, b = (hi − x_j)/σ: a N(x_j, σ²) draw truncated to the cell (by the inverse
    CDF, so the same (z, u) give a perturbation continuous in σ). σ = 0 returns x."""
    if sigma <= 0:
        return x.clone()
    out = x + sigma * z
    cols, lo, hi = feature_cells(kind, x, slabs, margin)
    v = x[..., cols]
    pa, pb = torch.special.ndtr((lo - v) / sigma), torch.special.ndtr((hi - v) / sigma)
    q = (pa + u[..., cols] * (pb - pa)).clamp(1e-15, 1 - 1e-15)
    w = v + sigma * torch.special.ndtri(q)
    eps = 1e-9
    out[..., cols] = torch.minimum(torch.maximum(w, lo + eps), hi - eps)
    return out


def nn_loo_error(x: torch.Tensor, y: torch.Tensor) -> float:
    """Leave-one-out 0–1 loss of the 1-nearest-neighbour rule (Euclidean) on (x [n, d], y [n]):
    mean_i 1[y_{nn(i)} ≠ y_i], nn(i) = argmin_{k ≠ i} ‖x_k − x_i‖."""
    dist = torch.cdist(x, x)
    dist.fill_diagonal_(float("inf"))
    return float((y[dist.argmin(1)] != y).to(torch.float64).mean())


def calibrate_sigma(kind: str, x: torch.Tensor, y: torch.Tensor, y_ref: torch.Tensor,
                    slabs: int, margin: float, z: torch.Tensor, u: torch.Tensor,
                    sigma_max: float, iters: int = 30) -> tuple[float, float, float]:
    """The σ of the input-noise control for one training set (criterion fixed in advance, not
    tuned on any verdict): the smallest σ ∈ [0, σ_max] (bisection on the fixed draws z, u) at
    which the 1-NN leave-one-out loss of the perturbed inputs with clean labels y reaches that
    of the clean inputs with the labels y_ref flipped at η_ref, i.e. input noise as hard for a
    memorising learner as the label noise. Returns (σ, target loss, loss reached); σ = σ_max
    when the target is not reached there (the reached loss says so)."""
    x64, z64, u64 = x.double(), z.double(), u.double()
    target = nn_loo_error(x64, y_ref)

    def loss(s: float) -> float:
        return nn_loo_error(preserving_noise(kind, x64, slabs, margin, s, z64, u64), y)

    if loss(sigma_max) < target:
        return sigma_max, target, loss(sigma_max)
    lo, hi = 0.0, sigma_max
    for _ in range(iters):
        mid = (lo + hi) / 2
        if loss(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi, target, loss(hi)


def with_input_noise(data: Dataset, kind: str, p: Plan, rows: Sequence[int],
                     seeds: Sequence[int], flip_rows: Sequence[int] = (),
                     flip_seeds: Sequence[int] = ()) -> tuple[Dataset, dict[str, np.ndarray]]:
    """Training inputs of the runs ``rows`` replaced by their feature-preserving perturbation
    (:func:`preserving_noise`, σ from :func:`calibrate_sigma` per run; draws z, u from the run's
    stream "vashisht-input-noise"), and those of ``flip_rows`` by x + σ_flip z (unconstrained,
    the same stream); the test inputs stay clean. Returns the data and, per phase-1 row (NaN for
    the other rows): the σ used, the 1-NN target and reached losses, and the measured share of
    training points whose simple feature (sgn x_0) or some complex coordinate changed label."""
    x = data.x.clone()
    R, n, d = x.shape
    slabs = p.slabs
    info = {k: np.full(R, np.nan) for k in ("sigma", "nn_target", "nn_reached", "s_flip",
                                             "c_flip", "s_flip_unconstrained")}
    for r, s, flip in [(r, s, False) for r, s in zip(rows, seeds)] + [
            (r, s, True) for r, s in zip(flip_rows, flip_seeds)]:
        g = generator(s, "vashisht-input-noise")
        z = torch.randn(n, d, generator=g, dtype=torch.float64, device="cpu")
        u = torch.rand(n, d, generator=g, dtype=torch.float64, device="cpu")
        x0 = data.x[r].to("cpu", torch.float64)
        if flip:
            sigma = p.flip_sigma
            xp = x0 + sigma * z
        else:
            with on_cpu():
                ref = sample_dataset(p.data_config(kind, p.input_ref_eta), [s], data.x.dtype)
            if not torch.equal(ref.x[0], data.x[r].cpu()):
                raise RuntimeError("the η_ref draw does not share the run's inputs")
            sigma, target, reached = calibrate_sigma(
                kind, x0, data.y_true[r].cpu(), ref.y[0], slabs, p.margin, z, u,
                p.input_sigma_max)
            info["nn_target"][r], info["nn_reached"][r] = target, reached
            xp = preserving_noise(kind, x0, slabs, p.margin, sigma, z, u)
        before = feature_labels(kind, x0, slabs, p.margin)
        after = feature_labels(kind, xp, slabs, p.margin)
        info["sigma"][r] = sigma
        info["s_flip"][r] = float((before[:, 0] != after[:, 0]).double().mean())
        info["c_flip"][r] = float((before[:, 1:] != after[:, 1:]).any(1).double().mean())
        plain = feature_labels(kind, x0 + sigma * z, slabs, p.margin)
        info["s_flip_unconstrained"][r] = float((before[:, 0] != plain[:, 0]).double().mean())
        x[r] = xp.to(x.dtype)
    return dataclasses.replace(data, x=x), info


def fresh_heads(m: int, seeds: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """[R, m, 1]: a ~ N(0, 1/m) from each run's stream "vashisht-head"."""
    return torch.stack([
        torch.randn(m, 1, generator=generator(s, "vashisht-head"), dtype=dtype, device="cpu")
        / math.sqrt(m)
        for s in seeds
    ])


def rescaled(p: Params, init: Params) -> Params:
    """(W, b) scaled by ‖W^(0)‖_F/‖W‖_F per run: the first layer back to its initial norm with
    every ReLU hyperplane unchanged; the head a is kept as learned, so the first-layer weight
    norm is the only quantity that differs from the ``keep`` variant."""
    cw = (init.W.flatten(1).norm(dim=1) / p.W.flatten(1).norm(dim=1)).view(-1, 1, 1)
    b = None if p.b is None else p.b * cw[:, :, 0]
    return dataclasses.replace(p, W=p.W * cw, b=b)


def _cat_params(parts: Sequence[Params]) -> Params:
    b = None if parts[0].b is None else torch.cat([p.b for p in parts])
    return dataclasses.replace(parts[0], W=torch.cat([p.W for p in parts]),
                               a=torch.cat([p.a for p in parts]), b=b)


# --------------------------------------------------------------------------------------------
# One study: phase 1, phase 2 and the end-of-phase measurements, batched over η, seeds, variants
# --------------------------------------------------------------------------------------------


def run_study(kind: str, p: Plan, arm: Arm, runtime: Runtime, seeds: int | None = None
              ) -> Record:
    """Train every run of one (data kind, optimiser arm) and measure it. Two training calls:
    phase 1 for all runs (η values and the input-noise control in one batch), phase 2 for all
    variants in one batch. Returns a Record whose ``times`` are the phase-2 probe times (array
    keys are listed in the module docs, ``docs/papers/vashisht2024.md``)."""
    R = seeds or p.seeds
    dev = runtime.torch_device
    dtype = torch.float32
    run_seed = [p.seed + r for r in range(R)]
    # phase-1 runs: (η, source 0 = label noise / 1 = input noise / 2 = flip reference, seed)
    p1 = [(eta, 0, r) for eta in arm.etas for r in range(R)]
    if arm.input_noise:
        p1 += [(0.0, src, r) for src in (1, 2) for r in range(R)]
    seeds1 = [run_seed[r] for _, _, r in p1]
    data1 = sample_mixed([p.data_config(kind, eta) for eta, _, _ in p1], seeds1, dtype)
    with on_cpu():
        clean = clean_labels(sample_dataset(p.data_config(kind, 0.0), run_seed, dtype))
    noisy_rows = [i for i, (_, src, _) in enumerate(p1) if src == 1]
    flip_rows = [i for i, (_, src, _) in enumerate(p1) if src == 2]
    data1, noise_info = with_input_noise(data1, kind, p, noisy_rows,
                                         [seeds1[i] for i in noisy_rows], flip_rows,
                                         [seeds1[i] for i in flip_rows])
    params0 = init_params(p.net_config(), p.d, seeds1, p.init_var, dtype)
    train1 = TrainConfig(lr=arm.lr, steps=arm.T1, batch_size=arm.batch_size)
    times1 = probe_times(arm.T1, p.num_times1, 1)
    res1 = train(params0, data1, train1, times1, PROBES, runtime, seeds1)
    p1_params = res1.params

    # phase-2 runs: (variant, phase-1 row)
    label_rows = [i for i, (_, src, _) in enumerate(p1) if src == 0]
    p2 = [(v, i) for v in arm.variants for i in label_rows]
    p2 += [("input-noise", i) for i in noisy_rows]
    p2 += [("input-noise-flip", i) for i in flip_rows]
    parts = []
    for v in VARIANTS:
        rows = [i for vv, i in p2 if vv == v]
        if not rows:
            continue
        sel = p1_params.select(rows)
        if v == "reinit":
            heads = fresh_heads(p.m, [seeds1[i] for i in rows], dtype).to(dev)
            sel = dataclasses.replace(sel, a=heads)
        elif v == "rescale":
            sel = rescaled(sel, params0.select(rows).to(dev))
        parts.append(sel)
    params2 = _cat_params(parts)
    order = [(v, i) for v in VARIANTS for vv, i in p2 if vv == v]
    src2 = [i for _, i in order]
    seed_idx2 = [p1[i][2] for i in src2]
    data2 = clean.select(seed_idx2)
    seeds2 = [run_seed[r] for r in seed_idx2]
    train2 = TrainConfig(lr=arm.lr, steps=arm.T2, batch_size=arm.batch_size)
    times2 = probe_times(arm.T2, p.num_times2, 1)
    res2 = train(params2, data2, train2, times2, PROBES, runtime, seeds2)

    arrays: dict[str, np.ndarray] = {"phase1/times": np.asarray(res1.times, dtype=np.int64)}
    arrays["phase1/eta"] = np.asarray([e for e, _, _ in p1], dtype=np.float64)
    arrays["phase1/source"] = np.asarray([s for _, s, _ in p1], dtype=np.int64)
    arrays["phase1/seed"] = np.asarray([r for _, _, r in p1], dtype=np.int64)
    for k, v in res1.arrays.items():
        arrays["phase1/" + k] = v
    for k, v in noise_info.items():
        arrays["phase1/input_" + k] = v
    arrays["phase2/variant"] = np.asarray([VARIANTS.index(v) for v, _ in order], dtype=np.int64)
    arrays["phase2/eta"] = arrays["phase1/eta"][src2]
    arrays["phase2/seed"] = np.asarray(seed_idx2, dtype=np.int64)
    arrays["phase2/source"] = np.asarray(src2, dtype=np.int64)
    arrays.update(res2.arrays)
    arrays.update(_measure(res1.params, params0, data1, res2.params, data2, order, p1, R, dev))
    cfg = Config(data=p.data_config(kind, 0.0), net=p.net_config(), train=train2,
                 probe=ProbeConfig(num_times=p.num_times2, dense_until=1, probes=PROBES),
                 seeds=R, seed=p.seed)
    study = {"kind": kind, "arm": dataclasses.asdict(arm), "plan": {
        k: v for k, v in dataclasses.asdict(p).items() if k not in ("sgd", "gd")}, "seeds": R}
    ident = cfg.canonical_json() + json.dumps(study, sort_keys=True)
    meta = environment(dev, tf32=res2.meta["tf32"])  # what the training ran under (--tf32)
    if "triton_kernels" in res2.meta:  # what the blocks of both phases ran (on a GPU)
        meta["gpu_kernels"] = gpu_kernels_text(dev, sorted(
            set(res1.meta.get("triton_kernels", [])) | set(res2.meta["triton_kernels"])))
    meta.update(study=study, variants=list(VARIANTS), seeds=run_seed,
                wall_seconds=res1.wall_seconds + res2.wall_seconds,
                steps=arm.T1 + arm.T2)
    return Record(cfg.to_dict(), hashlib.sha256(ident.encode()).hexdigest()[:12],
                  np.asarray(res2.times, dtype=np.int64), arrays, meta)


def _measure(p1: Params, p0: Params, data1: Dataset, p2: Params, data2: Dataset,
             order: list[tuple[str, int]], rows1: list[tuple[float, int, int]], R: int,
             dev: torch.device) -> dict[str, np.ndarray]:
    """End-of-phase measurements: phase-1 memorisation and loading, phase-2 loading, per-point
    attribution share, disagreement with the baseline and between seeds, final parameters."""
    out: dict[str, np.ndarray] = {}
    simple, complex_ = vp.roles(data1)
    with torch.no_grad():
        d1 = data1.to(dev, p1.W.dtype)
        pred1 = net.predict(net.forward(p1, d1.x))
        fit = (pred1 == d1.y).to(d1.x.dtype)
        mask = d1.noisy.to(fit.dtype)
        out["phase1/noisy_fit"] = ((fit * mask).sum(1) / mask.sum(1)).cpu().numpy()
        out["phase1/loading_init"] = vp.loading(p0.W, complex_).cpu().numpy()
        out["phase1/loading"] = vp.loading(p1.W, complex_).cpu().numpy()
        out["phase1/w_norm_ratio"] = (p1.W.flatten(1).norm(dim=1)
                                      / p0.W.to(dev).flatten(1).norm(dim=1)).cpu().numpy()
        d2 = data2.to(dev, p2.W.dtype)
        out["final/loading"] = vp.loading(p2.W, complex_).cpu().numpy()
        e = vp.attribution(p2, d2.x_test)
        out["final/attr_point"] = vp.attribution_share(e, complex_)[1].cpu().numpy()
        # baseline of each run: variant keep, η = 0, same seed; seed partner: same group, next seed
        key = [(v, rows1[i][0], rows1[i][1], rows1[i][2]) for v, i in order]
        index = {k: j for j, k in enumerate(key)}
        base = [index[("keep", 0.0, 0, k[3])] for k in key]
        partner = [index[(k[0], k[1], k[2], (k[3] + 1) % R)] for k in key]
        xc = vp.conflict(d2.x_test, simple)
        pb, pp = p2.select(base), p2.select(partner)
        out["final/disagree_test"] = vp.disagreement(p2, pb, d2.x_test).cpu().numpy()
        out["final/disagree_conflict"] = vp.disagreement(p2, pb, xc).cpu().numpy()
        out["final/disagree_seed"] = vp.disagreement(p2, pp, d2.x_test).cpu().numpy()
        out["final/W"] = p2.W.cpu().numpy()
        out["final/a"] = p2.a[..., 0].cpu().numpy()
        out["final/b"] = p2.b.cpu().numpy()
    return out


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """One intra-op thread on the CPU for the duration (restored afterwards). A study's steps
    are tiny (SGD: R · 64 · m ≲ 10^6 activations, below the engine's worker-thread threshold),
    and OpenMP hand-offs between two threads then can cost more than the arithmetic: on the
    shared 2-core machine (R = 48, batch 64, m = 100) one thread took 4–7 ms per step, two
    threads 8–50 ms depending on the other load."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)



def study(kind: str, arm_name: str, quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    """The study of one data kind and arm (an absent Record when the plan has no such arm)."""
    p = plan(quick)
    arm = p.arm(arm_name)
    if arm is None:
        return absent(kind, arm_name, quick)
    with one_thread(runtime.torch_device):
        return run_study(kind, p, arm, runtime, seeds)


def absent(kind: str, arm_name: str, quick: bool) -> Record:
    """The Record of a study the plan does not run (no arrays; ``meta["absent"]`` says why)."""
    mode = "quick" if quick else "full"
    return Record({"seeds": 0, "plan": mode, "kind": kind, "arm": arm_name},
                  f"{PAPER}.{kind}.{arm_name}.absent.{mode}", np.zeros(0, dtype=np.int64), {},
                  {"absent": f"no {arm_name} arm in the {mode} plan"})


def is_absent(rec: Record) -> bool:
    return "absent" in rec.meta


def _register_experiments() -> None:
    for kind in KINDS:
        for arm_name in ARMS:
            def fn(quick: bool, seeds: int | None, runtime: Runtime, kind: str = kind,
                   arm_name: str = arm_name) -> Record:
                return study(kind, arm_name, quick, seeds, runtime)

            experiment(f"{PAPER}.{kind}.{arm_name}")(fn)


_register_experiments()


# --------------------------------------------------------------------------------------------
# Reading a study (the views the claims and figures use)
# --------------------------------------------------------------------------------------------


def study_of(runs: Runs, kind: str, arm_name: str = "sgd") -> Record | None:
    """The stored study of one data kind and arm, None when the mode's plan has no such arm."""
    rec = runs.get(f"{PAPER}.{kind}.{arm_name}")
    return None if rec is None or is_absent(rec) else rec


def final(rec: Record, q: str) -> np.ndarray:
    """[R2] end-of-phase-2 value of probe quantity ``q``."""
    return rec.arrays[f"vashisht/{q}"][:, -1].astype(np.float64)


def runs(rec: Record, variant: str, eta: float) -> np.ndarray:
    """Phase-2 run indices of one variant and η, ordered by seed."""
    a = rec.arrays
    sel = np.flatnonzero((a["phase2/variant"] == VARIANTS.index(variant))
                         & np.isclose(a["phase2/eta"], eta))
    return sel[np.argsort(a["phase2/seed"][sel])]


def baseline_runs(rec: Record) -> np.ndarray:
    return runs(rec, "keep", 0.0)


def etas(rec: Record) -> list[float]:
    return [float(e) for e in rec.meta["study"]["arm"]["etas"]]


def setting(rec: Record) -> str:
    s = rec.meta["study"]
    pl, arm = s["plan"], s["arm"]
    opt = (f"SGD lr={arm['lr']:g} batch={arm['batch_size']}" if arm["batch_size"]
           else f"GD lr={arm['lr']:g}")
    comp = f"{pl['slabs']} slabs" if s["kind"] == "lms" else "XOR pair"
    return (f"{s['kind']} d={pl['d']} ({comp}, margin {pl['margin']:g}) n={pl['n']} "
            f"n_test={pl['n_test']} m={pl['m']} He init, trained head+bias, {opt}, "
            f"T1={arm['T1']} T2={arm['T2']}, eta in {{{', '.join(f'{e:g}' for e in arm['etas'])}}}"
            f", {s['seeds']} seeds")

