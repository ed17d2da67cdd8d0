"""Claims of Vashisht, Krishna Kumar, Govind & Ramaswamy (2024), "Impact of label noise on
learning complex features" (paper card ``vashisht2024``).

The card rests on the abstract and the first paragraph of the introduction only [PAPER-PARTIAL]:
the paper's data, architectures, noise rates, protocol and metrics are unknown. Everything below
— data, protocol, metrics and verdict thresholds — is twolayer's own design ([PROPOSAL], card
sections 3–5), fixed before the full runs; no number here is the paper's.

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
   ``rescale`` (after phase 1, (W, b) and a rescaled to the Frobenius norms ‖W^(0)‖, ‖a^(0)‖ of
   their initialisation: the weight-norm control);
3. ``input-noise`` control: phase 1 on clean labels with training inputs x + N(0, σ_in² I)
   (fixed draw), then phase 2 as ``keep``.

The baseline of every comparison is clean training for T1 + T2 steps: the η = 0 run with the
head kept, trained through the same two calls (the matched-length control). The η = 0 runs of
the other variants (clean pre-training, then head re-drawn or norms reset) are the η = 0
pre-training controls of those variants; they are reported, not used as baselines.
Run r of every arm uses seed ``seed + r`` for its data, initialisation and minibatch order
(common random numbers), so the effect of η is measured as a paired difference per seed.

Measurements (:mod:`twolayer.probes.vashisht`): clean, S-randomised and C-randomised test
accuracy, conflict following, attribution share (gradient × (input − mean)) of the complex
coordinates, neuron loading ‖W[j, C]‖/‖W[j, :]‖ after each phase, disagreement with the baseline.

Verdict rules ([PROPOSAL]; spread = the larger of the two groups' standard deviations over
seeds; Δ = paired per-seed difference to the baseline; CIs are Student-t intervals of the mean
Δ, Bonferroni-corrected over the η values examined):

- clean_simple (claim 1): the baseline's S-randomised accuracy has its 95% CI inside
  [0.45, 0.55] and its C-randomised accuracy a 95% CI ≥ 0.95 → holds; either wholly outside →
  fails; otherwise inconclusive.
- reliance_rises (claim 2): at one η > 0, for both S-randomised accuracy and conflict
  following: holds if mean Δ > spread and the CI of Δ lies above 0, fails if mean Δ ≤ spread
  (the card's "no difference larger than seed noise"), inconclusive otherwise; holds at η if
  both hold, fails at η if either fails; the claim holds if it holds at some η > 0, fails if it
  fails at every η > 0.
- no_accuracy_cost (claim 3): at the η where claim 2 holds (all η > 0 if none), the CI of the
  clean-accuracy Δ ≥ −0.01 at every such η → holds; wholly below at one → fails.
- survives_controls (claim 4): the claim-2 rule applied to the ``rescale`` arm (against the
  same matched-length baseline) holds at some η where claim 2 holds; inconclusive when claim 2
  holds nowhere (no effect to control for).
- label_noise_specific (claim 5): the claim-2 rule applied to the input-noise arm fails (no
  effect from input noise) → holds; holds (input noise does it too) → fails; inconclusive
  otherwise or when claim 2 holds nowhere.

Claims 1–5 are checked per data kind on the main arm (SGD, head kept); the details report the
same rules for the ``reinit`` head and for full-batch GD.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .. import net
from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from ..data import Dataset, sample_dataset
from ..engine import Runtime, probe_times, train
from ..net import Params, init_params
from ..probes import vashisht as vp
from ..record import Record
from ..seeding import generator
from ..simulate import environment
from .base import FAILS, HOLDS, INCONCLUSIVE, Experiments, claim, compare, experiment, mean_ci
from .base import verdict as make_verdict

PAPER = "vashisht2024"
KINDS = ("lms", "linxor")
VARIANTS = ("keep", "reinit", "rescale", "input-noise")
PROBES = ("vashisht",)
ALPHA = 0.05  # family-wise level of the CIs
NEAR_HALF = (0.45, 0.55)  # claim 1: "S-randomised accuracy near 0.5"
C_RAND_MIN = 0.95  # claim 1: the clean network still classifies when C is randomised
ACC_TOLERANCE = 0.01  # claim 3: "within 1 point"
FIG_ETA = "vashisht2024-eta"
FIG_CURVES = "vashisht2024-phase2"
FIG_HIST = "vashisht2024-histograms"
FIG_BOUNDARY = "vashisht2024-boundary"


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
    input_sigma: float = 0.5  # σ_in of the input-noise control
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
        return DataConfig(kind=kind, d=self.d, n=self.n, n_test=self.n_test, slabs=self.slabs,
                          margin=self.margin, **noise)

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
    fields = {}
    for f in dataclasses.fields(Dataset):
        vals = [getattr(p, f.name) for p in parts]
        if isinstance(vals[0], torch.Tensor):
            fields[f.name] = torch.cat(vals)
        else:
            if any(v != vals[0] for v in vals):
                raise ValueError(f"cannot stack datasets that differ in {f.name}")
            fields[f.name] = vals[0]
    return Dataset(**fields)


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


def with_input_noise(data: Dataset, rows: Sequence[int], sigma: float, seeds: Sequence[int]
                     ) -> Dataset:
    """Training inputs of the runs ``rows`` replaced by x + σ z, z ~ N(0, I) drawn once from
    the run's stream "vashisht-input-noise" (the test inputs stay clean)."""
    x = data.x.clone()
    n, d = x.shape[1:]
    for r, s in zip(rows, seeds):
        z = torch.randn(n, d, generator=generator(s, "vashisht-input-noise"), dtype=x.dtype)
        x[r] += sigma * z
    return dataclasses.replace(data, x=x)


def fresh_heads(m: int, seeds: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """[R, m, 1]: a ~ N(0, 1/m) from each run's stream "vashisht-head"."""
    return torch.stack([
        torch.randn(m, 1, generator=generator(s, "vashisht-head"), dtype=dtype) / math.sqrt(m)
        for s in seeds
    ])


def rescaled(p: Params, init: Params) -> Params:
    """(W, b) scaled by ‖W^(0)‖_F/‖W‖_F (ReLU hyperplanes unchanged) and a by ‖a^(0)‖/‖a‖,
    per run."""
    cw = (init.W.flatten(1).norm(dim=1) / p.W.flatten(1).norm(dim=1)).view(-1, 1, 1)
    ca = (init.a.flatten(1).norm(dim=1) / p.a.flatten(1).norm(dim=1)).view(-1, 1, 1)
    b = None if p.b is None else p.b * cw[:, :, 0]
    return dataclasses.replace(p, W=p.W * cw, a=p.a * ca, b=b)


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
    # phase-1 runs: (η, source 0 = label noise / 1 = input noise, seed index)
    p1 = [(eta, 0, r) for eta in arm.etas for r in range(R)]
    if arm.input_noise:
        p1 += [(0.0, 1, r) for r in range(R)]
    seeds1 = [run_seed[r] for _, _, r in p1]
    data1 = sample_mixed([p.data_config(kind, eta) for eta, _, _ in p1], seeds1, dtype)
    clean = clean_labels(sample_dataset(p.data_config(kind, 0.0), run_seed, dtype))
    noisy_rows = [i for i, (_, src, _) in enumerate(p1) if src == 1]
    data1 = with_input_noise(data1, noisy_rows, p.input_sigma, [seeds1[i] for i in noisy_rows])
    params0 = init_params(p.net_config(), p.d, seeds1, p.init_var, dtype)
    train1 = TrainConfig(lr=arm.lr, steps=arm.T1, batch_size=arm.batch_size)
    times1 = probe_times(arm.T1, p.num_times1, 1)
    res1 = train(params0, data1, train1, times1, PROBES, runtime, seeds1)
    p1_params = res1.params

    # phase-2 runs: (variant, phase-1 row)
    label_rows = [i for i, (_, src, _) in enumerate(p1) if src == 0]
    p2 = [(v, i) for v in arm.variants for i in label_rows]
    p2 += [("input-noise", i) for i in noisy_rows]
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
    meta = environment(dev)
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
    simple, complex_ = vp.roles(data1.means)
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


@lru_cache(maxsize=8)
def study(kind: str, arm_name: str, quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    """The study of one data kind and arm, cached per process (claims and figures share it)."""
    p = plan(quick)
    arm = p.arm(arm_name)
    if arm is None:
        raise KeyError(f"no {arm_name} arm in the {'quick' if quick else 'full'} plan")
    with one_thread(runtime.torch_device):
        return run_study(kind, p, arm, runtime, seeds)


def _register_experiments() -> None:
    for kind in KINDS:
        for arm_name in ("sgd", "gd"):
            def fn(quick: bool, seeds: int | None, runtime: Runtime, kind=kind, arm_name=arm_name):
                if plan(quick).arm(arm_name) is None:
                    return None
                return study(kind, arm_name, quick, seeds, runtime)

            experiment(f"{PAPER}.{kind}.{arm_name}")(fn)


_register_experiments()


# --------------------------------------------------------------------------------------------
# Reading a study
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Effect:
    """Paired effect of one arm against the baseline for one quantity."""

    quantity: str
    delta: float  # mean over seeds of the paired difference
    ci: tuple[float, float]
    spread: float  # max of the two groups' SDs over seeds
    arm_mean: float
    base_mean: float
    outcome: str


def rise_outcome(delta: float, ci: tuple[float, float], spread: float) -> str:
    """holds if the rise is significant (CI above 0) and larger than the seed spread, fails if
    the measured rise is not larger than the seed spread, inconclusive otherwise (large but not
    significant)."""
    if not math.isfinite(delta):
        return INCONCLUSIVE
    if delta <= spread:
        return FAILS
    return HOLDS if ci[0] > 0 else INCONCLUSIVE


def effect(rec: Record, q: str, variant: str, eta: float, level: float = 0.95,
           threshold: float | None = None) -> Effect:
    """Δ = q(variant, η) − q(baseline) per seed. Outcome: :func:`rise_outcome` against the seed
    spread, or with ``threshold`` compare(CI(Δ), threshold, ">=")."""
    a, b = final(rec, q)[runs(rec, variant, eta)], final(rec, q)[baseline_runs(rec)]
    diff = a - b
    mean, ci = mean_ci(diff, level)
    spread = float(max(a.std(ddof=1), b.std(ddof=1))) if a.size > 1 else 0.0
    outcome = (rise_outcome(mean, ci, spread) if threshold is None
               else compare(ci, threshold, ">="))
    return Effect(q, mean, ci, spread, float(a.mean()), float(b.mean()), outcome)


def combine(*outcomes: str) -> str:
    """fails if any fails, holds if all hold, else inconclusive."""
    if FAILS in outcomes:
        return FAILS
    return HOLDS if all(o == HOLDS for o in outcomes) else INCONCLUSIVE


def exists(outcomes: Sequence[str]) -> str:
    """Existential over η: holds if one holds, fails if all fail, else inconclusive."""
    if any(o == HOLDS for o in outcomes):
        return HOLDS
    if outcomes and all(o == FAILS for o in outcomes):
        return FAILS
    return INCONCLUSIVE


def rise_rule(rec: Record, variant: str, eta_set: Sequence[float]
              ) -> tuple[str, dict[float, tuple[str, Effect, Effect]]]:
    """Claim-2 rule for one arm over ``eta_set``: per η both S-randomised accuracy and conflict
    following must exceed the baseline by more than the seed spread (Bonferroni CIs)."""
    level = 1.0 - ALPHA / max(1, len(eta_set))
    per: dict[float, tuple[str, Effect, Effect]] = {}
    for eta in eta_set:
        es = effect(rec, "s_rand_acc", variant, eta, level)
        ec = effect(rec, "conflict_follow", variant, eta, level)
        per[eta] = (combine(es.outcome, ec.outcome), es, ec)
    return exists([v[0] for v in per.values()]), per


def _f(x: float) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _eff(e: Effect) -> str:
    return (f"{e.arm_mean:.3f} vs {e.base_mean:.3f} (d={e.delta:+.3f}, CI [{_f(e.ci[0])}, "
            f"{_f(e.ci[1])}], spread {e.spread:.3f})")


def _per_eta_text(per: dict[float, tuple[str, Effect, Effect]]) -> str:
    return "; ".join(f"eta={eta:g}: {o} S-rand {_eff(es)}, conflict {_eff(ec)}"
                     for eta, (o, es, ec) in per.items())


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


def _memorised(rec: Record, eta: float) -> float:
    a = rec.arrays
    sel = (a["phase1/source"] == 0) & np.isclose(a["phase1/eta"], eta)
    return float(np.nanmean(a["phase1/noisy_fit"][sel]))


# --------------------------------------------------------------------------------------------
# Claims (one set per data kind)
# --------------------------------------------------------------------------------------------


def _studies(exps: Experiments, kind: str) -> tuple[Record, Record | None]:
    return exps.get(f"{PAPER}.{kind}.sgd"), exps.get(f"{PAPER}.{kind}.gd")


def _other_arms(rec: Record, gd: Record | None, rule) -> str:
    """The same rule on the reinit head (SGD) and on GD (head kept)."""
    parts = []
    if "reinit" in rec.meta["study"]["arm"]["variants"]:
        parts.append(f"SGD, head re-initialised: {rule(rec, 'reinit')}")
    if gd is not None:
        parts.append(f"GD ({setting(gd)}), head kept: {rule(gd, 'keep')}")
    else:
        parts.append("GD arm not run in this mode")
    return "; ".join(parts)


def check_clean_simple(exps: Experiments, kind: str):
    cid = f"{PAPER}.{kind}.clean_simple"
    rec, gd = _studies(exps, kind)
    base = baseline_runs(rec)
    s_mean, s_ci = mean_ci(final(rec, "s_rand_acc")[base])
    c_mean, c_ci = mean_ci(final(rec, "c_rand_acc")[base])
    clean = final(rec, "clean_acc")[base].mean()
    lo, hi = NEAR_HALF
    s_out = HOLDS if lo <= s_ci[0] and s_ci[1] <= hi else FAILS if (
        s_ci[1] < lo or s_ci[0] > hi) else INCONCLUSIVE
    outcome = combine(s_out, compare(c_ci, C_RAND_MIN, ">="))

    def rule(r: Record, variant: str) -> str:
        b = runs(r, variant, 0.0)
        return (f"S-rand {final(r, 's_rand_acc')[b].mean():.3f}, "
                f"C-rand {final(r, 'c_rand_acc')[b].mean():.3f}")

    detail = (f"baseline (clean, T1+T2 steps): clean acc {clean:.3f}, S-rand {s_mean:.3f}, C-rand "
              f"{c_mean:.3f} (CI [{c_ci[0]:.3f}, {c_ci[1]:.3f}]), conflict following "
              f"{final(rec, 'conflict_follow')[base].mean():.3f}, attribution share of C "
              f"{final(rec, 'attribution_c')[base].mean():.3f}; {_other_arms(rec, gd, rule)}")
    return make_verdict(cid, outcome, s_mean,
                        f"S-rand 95% CI in [{lo}, {hi}] and C-rand 95% CI >= {C_RAND_MIN}",
                        s_ci, rec.seeds, setting(rec), detail, FIG_ETA)


def _rise(rec: Record, variant: str = "keep"):
    return rise_rule(rec, variant, [e for e in etas(rec) if e > 0])


def check_reliance_rises(exps: Experiments, kind: str):
    cid = f"{PAPER}.{kind}.reliance_rises"
    rec, gd = _studies(exps, kind)
    outcome, per = _rise(rec)
    best = max(per, key=lambda e: per[e][1].delta)
    _, es, _ = per[best]
    extra = []
    for eta in per:
        idx = runs(rec, "keep", eta)
        extra.append(
            f"eta={eta:g}: memorised {_memorised(rec, eta):.2f} of the flipped points in phase 1, "
            f"attribution share of C {final(rec, 'attribution_c')[idx].mean():.3f}, "
            f"disagreement with baseline {rec.arrays['final/disagree_test'][idx].mean():.3f} "
            f"(conflict inputs {rec.arrays['final/disagree_conflict'][idx].mean():.3f})")
    base = baseline_runs(rec)
    extra.append(
        f"baseline: attribution share {final(rec, 'attribution_c')[base].mean():.3f}, "
        f"seed-to-seed disagreement {rec.arrays['final/disagree_seed'][base].mean():.3f} "
        f"(baseline conflict following {final(rec, 'conflict_follow')[base].mean():.3f})")

    def rule(r: Record, variant: str) -> str:
        o, pr = _rise(r, variant)
        return f"{o} [{_per_eta_text(pr)}]"

    detail = (f"head kept: {_per_eta_text(per)}. {'; '.join(extra)}. "
              f"{_other_arms(rec, gd, rule)}")
    return make_verdict(cid, outcome, es.delta,
                        "for some eta > 0: S-rand and conflict following above the baseline by "
                        "more than the seed spread (Bonferroni 95% CI of the paired difference)",
                        es.ci, rec.seeds, setting(rec) + f"; best eta={best:g}", detail, FIG_ETA)


def _effect_etas(rec: Record, variant: str = "keep") -> tuple[list[float], bool]:
    """The η where claim 2 holds (and True), or every η > 0 (and False) if none."""
    _, per = _rise(rec, variant)
    held = [e for e, v in per.items() if v[0] == HOLDS]
    return (held, True) if held else ([e for e in etas(rec) if e > 0], False)


def check_no_accuracy_cost(exps: Experiments, kind: str):
    cid = f"{PAPER}.{kind}.no_accuracy_cost"
    rec, gd = _studies(exps, kind)

    def evaluate(r: Record, variant: str) -> tuple[str, list[Effect], list[float], bool]:
        where, held = _effect_etas(r, variant)
        level = 1.0 - ALPHA / max(1, len(where))
        effs = [effect(r, "clean_acc", variant, e, level, threshold=-ACC_TOLERANCE)
                for e in where]
        return combine(*[x.outcome for x in effs]), effs, where, held

    outcome, effs, where, held = evaluate(rec, "keep")
    worst = min(effs, key=lambda x: x.delta)

    def text(effs: list[Effect], where: list[float]) -> str:
        return "; ".join(f"eta={e:g}: clean acc {x.arm_mean:.4f} vs {x.base_mean:.4f} "
                         f"(d={x.delta:+.4f}, CI [{x.ci[0]:.4f}, {x.ci[1]:.4f}])"
                         for e, x in zip(where, effs))

    def rule(r: Record, variant: str) -> str:
        o, ef, wh, _ = evaluate(r, variant)
        return f"{o} [{text(ef, wh)}]"

    scope = ("at the eta where reliance_rises holds" if held else
             "reliance_rises holds at no eta: checked at every eta > 0")
    detail = f"{scope}; head kept: {text(effs, where)}. {_other_arms(rec, gd, rule)}"
    return make_verdict(cid, outcome, worst.delta,
                        f"clean-accuracy difference to the baseline >= -{ACC_TOLERANCE} "
                        "(Bonferroni 95% CI) at every such eta", worst.ci, rec.seeds,
                        setting(rec), detail, FIG_CURVES)


def check_survives_controls(exps: Experiments, kind: str):
    cid = f"{PAPER}.{kind}.survives_controls"
    rec, _ = _studies(exps, kind)
    where, held = _effect_etas(rec)
    ctrl_out, per = rise_rule(rec, "rescale", where)
    norm = rec.arrays["phase1/w_norm_ratio"]
    src = rec.arrays["phase1/source"]
    growth = "; ".join(
        f"eta={e:g}: ||W_T1||/||W_0|| = "
        f"{norm[(src == 0) & np.isclose(rec.arrays['phase1/eta'], e)].mean():.2f}"
        for e in etas(rec))
    r0 = runs(rec, "rescale", 0.0)
    ref = (f"rescaled eta=0 run: S-rand {final(rec, 's_rand_acc')[r0].mean():.3f}, conflict "
           f"{final(rec, 'conflict_follow')[r0].mean():.3f}") if r0.size else ""
    if not held:
        outcome = INCONCLUSIVE
        scope = "reliance_rises holds at no eta: there is no effect to control for"
    else:
        outcome = ctrl_out
        scope = "at the eta where reliance_rises holds"
    best = max(per, key=lambda e: per[e][1].delta) if per else None
    es = per[best][1] if best is not None else None
    detail = (f"{scope}; matched length: the baseline is the eta=0 run trained T1+T2 steps "
              f"through the same two calls; weight-norm control (W, b, a rescaled to their "
              f"initial norms after phase 1): {_per_eta_text(per)}. Weight growth in phase 1: "
              f"{growth}. {ref}")
    return make_verdict(cid, outcome, None if es is None else es.delta,
                        "the reliance_rises rule holds for the rescaled runs at some eta where "
                        "it holds without rescaling", None if es is None else es.ci, rec.seeds,
                        setting(rec), detail, FIG_ETA)


def check_label_noise_specific(exps: Experiments, kind: str):
    cid = f"{PAPER}.{kind}.label_noise_specific"
    rec, _ = _studies(exps, kind)
    _, held = _effect_etas(rec)
    if not rec.meta["study"]["arm"]["input_noise"]:
        return make_verdict(cid, INCONCLUSIVE, None, "", None, rec.seeds, setting(rec),
                            "input-noise control not run in this mode")
    level = 1.0 - ALPHA
    es = effect(rec, "s_rand_acc", "input-noise", 0.0, level)
    ec = effect(rec, "conflict_follow", "input-noise", 0.0, level)
    rule = combine(es.outcome, ec.outcome)
    if not held:
        outcome = INCONCLUSIVE
        scope = "reliance_rises holds at no eta (nothing specific to label noise to test)"
    else:
        outcome = {HOLDS: FAILS, FAILS: HOLDS}.get(rule, INCONCLUSIVE)
        scope = "reliance_rises holds for label noise"
    idx = runs(rec, "input-noise", 0.0)
    sigma = rec.meta["study"]["plan"]["input_sigma"]
    detail = (f"{scope}; input-noise pre-training (sigma_in={sigma:g}, "
              f"clean labels) then clean training: S-rand {_eff(es)}, conflict {_eff(ec)}, "
              f"clean acc {final(rec, 'clean_acc')[idx].mean():.4f}, attribution share "
              f"{final(rec, 'attribution_c')[idx].mean():.3f}; the reliance_rises rule gives "
              f"{rule} for it")
    return make_verdict(cid, outcome, es.delta,
                        "the reliance_rises rule fails for input-noise pre-training (95% CI)",
                        es.ci, rec.seeds, setting(rec), detail, FIG_ETA)


def _register_claims() -> None:
    data_name = {"lms": "linear + 5-slab (LMS) data", "linxor": "linear + XOR data"}
    for kind in KINDS:
        on = data_name[kind]
        claim(f"{PAPER}.{kind}.clean_simple",
              f"On {on}, a clean-trained network relies on the simple feature: S-randomised "
              "accuracy near 0.5 while C-randomised accuracy stays high.",
              "simplicity-bias context (card section 2, Shah et al. 2020)", "[INFERRED]",
              )(lambda exps, kind=kind: check_clean_simple(exps, kind))
        claim(f"{PAPER}.{kind}.reliance_rises",
              f"On {on}, pre-training on noisy labels (rate eta) and then training on clean "
              "labels raises reliance on the complex feature (S-randomised accuracy and "
              "conflict following) above clean training for some eta > 0.",
              "abstract, claims 1-2 (card A1)", "[INFERRED]",
              )(lambda exps, kind=kind: check_reliance_rises(exps, kind))
        claim(f"{PAPER}.{kind}.no_accuracy_cost",
              f"On {on}, noisy-label pre-training does not cost clean test accuracy (within "
              "1 point of clean training).",
              "abstract, claim 3 (card A2)", "[INFERRED]",
              )(lambda exps, kind=kind: check_no_accuracy_cost(exps, kind))
        claim(f"{PAPER}.{kind}.survives_controls",
              f"On {on}, the rise in complex-feature reliance survives resetting the weight "
              "norms after pre-training and is measured against matched-length clean training.",
              "card section 5.4 (control)", "[PROPOSAL]",
              )(lambda exps, kind=kind: check_survives_controls(exps, kind))
        claim(f"{PAPER}.{kind}.label_noise_specific",
              f"On {on}, the effect is specific to label noise: pre-training with input noise "
              "(clean labels) does not produce it.",
              "card section 5.4 (control 3)", "[PROPOSAL]",
              )(lambda exps, kind=kind: check_label_noise_specific(exps, kind))


_register_claims()
