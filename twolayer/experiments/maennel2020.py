"""Experiments of Maennel, Alabdulmohsin et al. (2020), "What Do Neural Networks Learn When
Trained With Random Labels?" (paper card ``maennel2020``): plans, runners, the registered
experiments (each returns Records), and the views of those Records that the claims
(:mod:`twolayer.claims.maennel2020`) and the figures (:mod:`twolayer.plots.maennel2020`) read.

Every setting below is twolayer's [PROPOSAL] (the paper's experiments are CNNs on CIFAR10 and
fully connected nets with two hidden layers).

Settings (all: two-layer ReLU nets f(x) = Σ_j a_j relu(⟨w_j, x⟩ + b_j) with a trained second
layer and first-layer bias, He initialisation W ~ N(0, 2/d), a ~ N(0, 1/m), b = 0):

- ``e1``: the paper's App. E.1 data, d = 30, Σ_x = U diag(0.1, 0.2, …, 3.0) Uᵀ with a random
  rotation U; K = 10 entirely random labels (``random`` noise model, η = 1), softmax, minibatch
  SGD; and the same with the labels of a linear teacher (argmax of a random linear map) as the
  control; in full mode these two pool R = 48 runs (the paper pools 50), the others 16;
- ``spread``: a spread spectrum, σ_i² log-spaced over 3.5 decades (10⁻³ … 3); random labels
  (this run is also the upstream network of the Gaussian transfer experiment) and teacher labels;
- ``binary_gd``: the e1 data with two random classes (logistic loss), full-batch GD;
- ``xor``: Frei's XOR clusters (d = 30, σ² = d^-1.2) with entirely random labels, SGD (the
  upstream network of the XOR transfer experiment).

Experiments (each a Record, read back unchanged from the record store): ``maennel2020.e1_random``,
``e1_teacher``, ``spread_random``, ``spread_teacher``, ``binary_gd``, ``xor_random``: one
upstream record each ([R, T, ...] arrays of the ``maennel`` and ``errors`` probes, plus
``static/sigma2`` [R, d]: the data's σ_i² in the frame order; meta ``trained_on``, ``held_out``);
``maennel2020.transfer``: {"teacher", "random", "xor"} → a fine-tuning record ([V·R, T] arrays,
variant-major; meta ``variants``, ``runs_per_variant``, ``steps_per_epoch``, ``task``,
``upstream_run_id``). Its ``config["data"]`` states the data fine-tuned on (n = the held-out
count, the labels: clean for "teacher"/"xor", η = 0; the upstream's random labels for "random"),
its meta what a DataConfig cannot (``data_from``, ``samples``, ``labels``, ``test_labels``:
:func:`fine_tune_provenance`).

Measurements (:mod:`twolayer.probes.maennel`): Σ_w is the covariance of the first-layer weight
vectors pooled over the m neurons of all R runs (K = R·m vectors), of W and of ΔW = W − W(0),
expressed in the data's eigenframe. M_data = M(Σ_w, data basis), M_rand = the mean of M(Σ_w, Q)
over :data:`RANDOM_BASES` Haar-random bases Q (fixed seed). Confidence intervals of pooled
statistics are jackknife intervals over the runs (:func:`twolayer.stats.jackknife`: leave one
run out; Student t with R − 1 degrees of freedom; ratios on the log scale), with the
pseudo-values as per-run values (:func:`jackknife_pseudo`). B1's statistic is the
floor-subtracted q = (M_data − F_data)/(M_rand − F_rand) (:class:`Alignment`), with empirical
sampling floors F estimated from the spread of the runs' own correlations
(:func:`correlation_noise`); the Gaussian floor (the mean M of the sample covariance of K
Gaussian vectors whose true covariance is diag(Σ_w), exactly aligned) is kept for reference.

Transfer (card B3, Fig. 5): pre-train on random labels on n samples, then fine-tune on n' other
samples of the same distribution, for every seed with five first layers: ``scratch`` (the
upstream network's own initialisation W(0), b = 0), ``rescaled`` (pre-trained W, b scaled so
that ‖W‖_F = ‖W(0)‖_F: the learned biases kept, B3's secondary arm), ``unscaled`` (pre-trained
W, b as they are), ``covariance`` (rows w_j ~ N(0, Σ_w) of the pooled pre-trained covariance,
rescaled to ‖W(0)‖_F, b = 0) and ``rescaled_b0`` (pre-trained W rescaled, b reset to 0: B3's
main arm since issue #17; added after the first full run as a diagnostic, see the docs; the
variant names and order are kept so that stored runs stay valid); every variant
gets the same fresh head a ~ N(0, 1/m) and the same minibatch order (paired comparisons). The
variants of all seeds train in one batched ``engine.train`` call. Speed is the loss-AUC,
the mean training loss over the probe times of the first :attr:`Downstream.auc_epochs` epochs
(smaller = faster), compared with scratch per seed; and the steps to a target training accuracy.
The fine-tuning needs the upstream network itself (data, W(0), final parameters), which its
Record does not hold: the two upstream runs of the transfer experiment are kept in memory per
process (:func:`upstream`), so that ``spread_random``/``xor_random`` and ``transfer`` train them
once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .. import transfer
from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig, replace_data
from ..data import Dataset
from ..engine import Runtime, probe_times, train
from ..net import Params
from ..probes import maennel as mp
from ..record import Record
from ..simulate import build_record, setup
from ..stats import jackknife, mean_ci
from . import experiment

PAPER = "maennel2020"
RANDOM_BASES = 16  # Haar-random control bases averaged in M_rand
BASES_SEED = 20200618  # their seed (arXiv v1 date)
VARIANTS = ("scratch", "rescaled", "unscaled", "covariance", "rescaled_b0")
UP_PROBES = ("maennel", "errors")
TASKS = ("teacher", "random", "xor")  # parts of the ``maennel2020.transfer`` experiment
UPSTREAM_OF = {"teacher": "spread_random", "random": "spread_random", "xor": "xor_random"}


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """One training setting with random (or teacher / clean) labels. ``extra`` samples per run
    are drawn with the training set but held out, for fine-tuning (a disjoint sample)."""

    kind: str
    labels: str  # "random": entirely random labels; "teacher": clean labels (teacher or XOR)
    n: int
    m: int
    lr: float
    epochs: int  # SGD epochs, or GD steps when ``batch`` is None
    batch: int | None
    seeds: int
    classes: int = 10
    spectrum: str = "linear"
    sigma2_min: float = 0.1
    sigma2_max: float = 3.0
    d: int = 30
    extra: int = 0
    n_test: int = 500
    num_times: int = 14

    @property
    def steps(self) -> int:
        return self.epochs * (self.n // self.batch) if self.batch else self.epochs

    def config(self, seeds: int | None = None) -> Config:
        random = self.labels == "random"
        own = dict(rotate=True, spectrum=self.spectrum, sigma2_min=self.sigma2_min,
                   sigma2_max=self.sigma2_max) if self.kind == "gaussian" else {}
        data = DataConfig(
            kind=self.kind, d=self.d, n=self.n + self.extra, n_test=self.n_test,
            noise=1.0 if random else 0.0, noise_model="random" if random else "iid",
            num_classes=self.classes, **own,
        )
        return Config(
            data=data,
            net=NetConfig(m=self.m, init_var=2.0 / self.d, second_layer="gaussian",
                          train_second_layer=True, bias=True),
            train=TrainConfig(lr=self.lr, steps=self.steps, batch_size=self.batch,
                              objective="softmax" if self.classes > 2 else "logistic"),
            probe=ProbeConfig(num_times=self.num_times, dense_until=1, probes=UP_PROBES),
            seeds=seeds or self.seeds,
        )


@dataclass(frozen=True)
class Downstream:
    """Fine-tuning on the ``extra`` held-out samples of an upstream setting."""

    epochs: int
    lr: float
    batch: int
    auc_epochs: int  # loss-AUC over the first epochs
    per_epoch: int = 2  # probe times per epoch


@dataclass(frozen=True)
class Plan:
    e1_random: Upstream
    e1_teacher: Upstream
    spread_random: Upstream
    spread_teacher: Upstream
    binary_gd: Upstream
    xor_random: Upstream
    down: Downstream
    targets: tuple[tuple[str, float], ...]  # target training accuracy per downstream task

    def target(self, task: str) -> float:
        return dict(self.targets)[task]


_SPREAD = {"spectrum": "log", "sigma2_min": 1e-3, "sigma2_max": 3.0}
_TARGETS = (("teacher", 0.9), ("random", 0.25), ("xor", 0.95))


def _plan(R: int, align_R: int, n: int, m: int, batch: int, extra: int, e1_epochs: int,
          spread_epochs: int, gd: tuple[int, int, int], down: Downstream) -> Plan:
    e1 = Upstream("gaussian", "random", n, m, 0.1, e1_epochs, batch, align_R)
    spread = Upstream("gaussian", "random", n, m, 0.2, spread_epochs, batch, R, extra=extra,
                      **_SPREAD)
    gd_n, gd_m, gd_steps = gd
    return Plan(
        e1_random=e1,
        e1_teacher=dataclasses.replace(e1, labels="teacher"),
        spread_random=spread,
        spread_teacher=dataclasses.replace(spread, labels="teacher", extra=0),
        binary_gd=Upstream("gaussian", "random", gd_n, gd_m, 0.5, gd_steps, None, R, classes=2),
        xor_random=Upstream("xor", "random", n, m, 0.2, spread_epochs, batch, R, classes=2,
                            extra=extra),
        down=down,
        targets=_TARGETS,
    )


PLANS: dict[str, Plan] = {
    "quick": _plan(8, 8, 1000, 256, 50, 500, 60, 150, (500, 256, 500),
                   Downstream(epochs=20, lr=0.1, batch=50, auc_epochs=5)),
    "full": _plan(16, 48, 2000, 512, 64, 1000, 100, 150, (1000, 256, 1000),
                  Downstream(epochs=20, lr=0.1, batch=64, auc_epochs=5)),
}


def plan(quick: bool) -> Plan:
    """The settings of quick (``--quick``) or full mode."""
    return PLANS["quick" if quick else "full"]


# --------------------------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------------------------


@dataclass
class Trained:
    """An upstream run: its record, the whole dataset (training part and held-out part), the
    initial and the final parameters (CPU)."""

    record: Record
    data: Dataset
    init: Params
    final: Params
    setting: Upstream


def run_upstream(s: Upstream, runtime: Runtime, seeds: int | None = None) -> Trained:
    """Train R networks on the first ``s.n`` samples of every run with the ``maennel`` and
    ``errors`` probes at log-spaced times (one batched ``engine.train`` call)."""
    cfg, data, params = setup(s.config(seeds))
    up = transfer.split(data, s.n)[0] if s.extra else data
    times = probe_times(cfg.train.steps, cfg.probe.num_times, cfg.probe.dense_until)
    result = train(params, up, cfg.train, times, UP_PROBES, runtime, cfg.run_seeds)
    sig2 = eigenvalues(cfg.data)
    extra = {"static/sigma2": np.tile(sig2, (cfg.seeds, 1))}
    rec = build_record(cfg, up, params, result, runtime.torch_device, extra)
    rec.meta.update(trained_on=s.n, held_out=s.extra)
    return Trained(rec, data, params, result.params.to("cpu"), s)


def eigenvalues(dc: DataConfig) -> np.ndarray:
    """σ_i² of Σ_x in the order of the data frame (:func:`twolayer.probes.maennel.data_frame`):
    the spectrum for gaussian data; σ² + 1/2 (μ1, μ2) then σ² for the XOR clusters."""
    if dc.kind == "gaussian":
        from ..data.gaussian import spectrum

        return spectrum(dc.d, dc.spectrum, dc.sigma2_min, dc.sigma2_max).numpy()
    s2 = dc.sigma2 if dc.sigma2 is not None else float(dc.d) ** -1.2
    return np.array([s2 + 0.5, s2 + 0.5] + [s2] * (dc.d - 2))


def fine_tune(up: Trained, task: str, down: Downstream, runtime: Runtime) -> Record:
    """Fine-tune the first layers of :data:`VARIANTS` of every seed on the held-out samples
    with the labels of ``task`` ("teacher"/"xor": clean labels ỹ; "random": the random labels),
    in one ``engine.train`` call on [V·R] runs (variant-major). Record arrays are [V·R, T]."""
    s = up.setting
    cfg = Config.from_dict(up.record.config)
    seeds = cfg.run_seeds
    R, m = len(seeds), s.m
    _, held = transfer.split(up.data, s.n, ("train", "train" if task == "random" else "true"))
    w0 = transfer.frobenius(up.init.W)
    a = up.record.arrays
    cov = mp.pooled_covariance(a["maennel/w_sum"][:, -1], a["maennel/w_outer"][:, -1], m)
    frame = mp.data_frame(up.data)
    scratch = up.init
    rescaled = transfer.rescale_first_layer(up.final, w0)
    cov_w = transfer.covariance_init(cov, frame, m, seeds, w0, up.init.W.dtype)
    covariance = dataclasses.replace(up.init, W=cov_w, b=torch.zeros_like(up.init.b))
    reset_b = dataclasses.replace(rescaled, b=torch.zeros_like(rescaled.b))
    firsts = (scratch, rescaled, up.final, covariance, reset_b)
    variants = [transfer.fresh_head(p, seeds) for p in firsts]
    big = transfer.stack(variants)
    per = s.extra // down.batch
    steps = down.epochs * per
    every = max(1, per // down.per_epoch)
    times = sorted(set(range(0, steps + 1, every)) | {steps})
    tc = TrainConfig(lr=down.lr, steps=steps, batch_size=down.batch, objective=cfg.train.objective)
    data = transfer.repeat(held, len(VARIANTS))
    result = train(big, data, tc, times, ("errors",), runtime, seeds * len(VARIANTS))
    dcfg = cfg.replace(data=fine_tune_data(cfg.data, s, task), train=tc, seeds=R,
                       probe=ProbeConfig(probes=("errors",)))
    rec = build_record(dcfg, data, big, result, runtime.torch_device)
    rec.meta.update(variants=list(VARIANTS), runs_per_variant=R, steps_per_epoch=per, task=task,
                    upstream_run_id=up.record.run_id,
                    **fine_tune_provenance(cfg.data, s, task, up.record.run_id))
    return rec


def fine_tune_data(up: DataConfig, s: Upstream, task: str) -> DataConfig:
    """The data a fine-tuning Record states (its ``config["data"]``): the upstream data config
    with n = the ``s.extra`` held-out samples per run and the labels fine-tuned on ("random":
    the upstream's own training labels of those samples, its noise model and rate; "teacher",
    "xor": the clean labels, η = 0). A DataConfig cannot say that the samples are the held-out
    slice of the upstream draw (drawn from it anew it gives other samples), nor that the test
    set keeps the upstream's labels: :func:`fine_tune_provenance` (the Record's meta) says so."""
    if task == "random":
        return replace_data(up, n=s.extra)
    return replace_data(up, n=s.extra, noise=0.0, noise_model="iid")


def fine_tune_provenance(up: DataConfig, s: Upstream, task: str, run_id: str) -> dict:
    """The meta of a fine-tuning Record that its DataConfig cannot express: where its samples
    come from (``data_from``, ``samples``: the half-open index range of the upstream draw), the
    kind of labels fine-tuned on (``labels``: "clean", "random" for entirely random upstream
    labels, else the upstream's noise) and which labels its test errors read
    (``test_labels``)."""
    lo, hi = s.n, s.n + s.extra
    labels = ("clean" if task != "random" else "random"
              if up.noise_model == "random" and up.noise == 1.0
              else f"upstream training labels (noise {up.noise:g}, model {up.noise_model!r})")
    return {
        "data_from": (f"held-out samples [{lo}, {hi}) of every run of upstream run {run_id} (its "
                      f"data config with n = {hi}; the upstream trained on [0, {lo})), each "
                      "run's samples repeated once per variant; drawn anew from this Record's "
                      "data config they would be other samples"),
        "samples": [lo, hi],
        "labels": labels,
        "test_labels": (f"the upstream run's {up.n_test} test samples per run: "
                        "errors/test_error against its test labels (noise "
                        f"{up.noise:g}, model {up.noise_model!r}), errors/test_error_clean "
                        "and errors/test_loss_clean against the clean ones"),
    }


@lru_cache(maxsize=4)
def upstream(s: Upstream, seeds: int | None, runtime: Runtime) -> Trained:
    """The upstream run of a transfer experiment, trained once per process (its Record alone
    cannot be fine-tuned: that needs the network's data and parameters)."""
    return run_upstream(s, runtime, seeds)


# --------------------------------------------------------------------------------------------
# Experiments (each returns a Record or a dict of Records)
# --------------------------------------------------------------------------------------------


@experiment("maennel2020.e1_random")
def e1_random(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return run_upstream(plan(quick).e1_random, runtime, seeds).record


@experiment("maennel2020.e1_teacher")
def e1_teacher(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return run_upstream(plan(quick).e1_teacher, runtime, seeds).record


@experiment("maennel2020.spread_random")
def spread_random(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return upstream(plan(quick).spread_random, seeds, runtime).record


@experiment("maennel2020.spread_teacher")
def spread_teacher(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return run_upstream(plan(quick).spread_teacher, runtime, seeds).record


@experiment("maennel2020.binary_gd")
def binary_gd(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return run_upstream(plan(quick).binary_gd, runtime, seeds).record


@experiment("maennel2020.xor_random")
def xor_random(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return upstream(plan(quick).xor_random, seeds, runtime).record


@experiment("maennel2020.transfer")
def transfer_experiment(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    """{"teacher", "random", "xor"} → fine-tuning record (:func:`fine_tune`) after the upstream
    runs ``spread_random`` (teacher, random) and ``xor_random`` (xor)."""
    p = plan(quick)
    return {task: fine_tune(upstream(getattr(p, UPSTREAM_OF[task]), seeds, runtime), task,
                            p.down, runtime)
            for task in TASKS}


# --------------------------------------------------------------------------------------------
# Views of the Records: statistics of the pooled covariance (read by claims and figures)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _bases(d: int) -> torch.Tensor:
    return mp.random_bases(d, RANDOM_BASES, BASES_SEED)


def pooled(rec: Record, which: str, runs: Sequence[int] | None = None) -> torch.Tensor:
    """Pooled Σ_w of ``which`` ("w" or "dw") at every probe time: [T, d, d]."""
    s, o = rec.arrays[f"maennel/{which}_sum"], rec.arrays[f"maennel/{which}_outer"]
    if runs is not None:
        s, o = s[list(runs)], o[list(runs)]
    return mp.pooled_covariance(s, o, rec.config["net"]["m"])


def groups(rec: Record) -> list[list[int]]:
    """The eigenspaces of Σ_x as index groups of the data frame."""
    return mp.eigen_groups(rec.arrays["static/sigma2"][0])


def m_data(cov: torch.Tensor, grp: list[list[int]]) -> torch.Tensor:
    """M(Σ_w, data basis), the data basis adapted within degenerate eigenspaces of Σ_x."""
    return mp.misalignment(cov, mp.data_basis(cov, grp))


def m_curves(rec: Record, which: str, runs: Sequence[int] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """(M_data(t), M_rand(t)) of the pooled Σ_w of ``which``: two [T] arrays (NaN where Σ_w
    is singular, e.g. ΔW at t = 0)."""
    cov = pooled(rec, which, runs)
    rand = mp.misalignment_random(cov, _bases(cov.shape[-1]), groups(rec))
    return m_data(cov, groups(rec)).numpy(), rand.numpy()


def sampling_floor(cov: torch.Tensor, K: int, grp: list[list[int]], reps: int = 4,
                   seed: int = 0) -> float:
    """Mean M_data of the sample covariance of K Gaussian vectors whose covariance is Σ_w made
    exactly aligned (:func:`twolayer.probes.maennel.block_diagonal`; diag Σ_w for distinct σ_i):
    the misalignment that pooling K neurons alone produces."""
    g = torch.Generator().manual_seed(seed)
    lam, q = torch.linalg.eigh(mp.block_diagonal(cov, grp))
    root = q * lam.clamp(min=0).sqrt()
    vals = []
    for _ in range(reps):
        z = torch.randn(K, cov.shape[-1], generator=g, dtype=torch.float64, device="cpu") @ root.T
        vals.append(float(m_data(torch.cov(z.T), grp)))
    return float(np.mean(vals))


def run_covariances(rec: Record, which: str, runs: Sequence[int] | None = None,
                    t_index: int = -1) -> torch.Tensor:
    """[R, d, d]: each run's own covariance of ``which`` over its m neurons, in the data frame."""
    idx = list(range(rec.seeds)) if runs is None else list(runs)
    return mp.run_covariance(rec.arrays[f"maennel/{which}_sum"][idx, t_index],
                             rec.arrays[f"maennel/{which}_outer"][idx, t_index],
                             rec.config["net"]["m"])


def correlation_noise(covs: torch.Tensor, basis: torch.Tensor, grp: list[list[int]]
                      ) -> float | torch.Tensor:
    """Empirical sampling floor of M(Σ_w, B) for the covariance pooled over the given runs:
    F(B) = Σ_{i<j, i and j in different eigenspaces of Σ_x} Var_r(ρ̂_ij^(r)) / R, where ρ̂^(r)
    is the correlation matrix of run r's covariance ``covs`` [R, d, d] in the basis B and Var_r
    the variance over the R runs (ddof 1). ``basis`` [d, d] gives a float; a batch of bases
    [B, d, d] gives a [B] tensor.

    Why: for small misalignment M(Σ, B) = Σ_{i<j} ρ_ij² + O(ρ⁴) (ρ the correlations of Bᵀ Σ B;
    within an eigenspace of Σ_x the basis is fitted to Σ, so only pairs across eigenspaces
    count), and the pooled estimate of ρ_ij from R runs has variance ≈ Var_r(ρ̂_ij^(r))/R, so
    E[M(Σ̂, B)] ≈ M(Σ, B) + F(B). Unlike a Gaussian floor it needs no model of the neurons'
    distribution: heavy tails and genuine run-to-run differences raise it as they raise the
    noise of the pooled Σ̂."""
    single = basis.dim() == 2
    b = (basis.unsqueeze(0) if single else basis).to(covs)  # [B, d, d]
    c = b.transpose(-1, -2).unsqueeze(1) @ covs.unsqueeze(0) @ b.unsqueeze(1)  # [B, R, d, d]
    sd = torch.diagonal(c, dim1=-2, dim2=-1).clamp(min=0).sqrt()
    rho = c / (sd.unsqueeze(-1) * sd.unsqueeze(-2))
    d, R = c.shape[-1], covs.shape[0]
    label = torch.empty(d, dtype=torch.long)
    for k, g in enumerate(grp):
        label[g] = k
    cross = torch.triu(label[:, None] != label[None, :], diagonal=1)
    if R < 2:
        out = torch.full((b.shape[0],), float("nan"), dtype=torch.float64)
    elif not bool(cross.any()):
        out = torch.zeros(b.shape[0], dtype=torch.float64)  # one eigenspace: nothing to count
    else:
        out = rho[:, :, cross].var(1, unbiased=True).sum(-1) / R
    return float(out[0]) if single else out


@dataclass(frozen=True)
class Floors:
    """Empirical sampling floors (:func:`correlation_noise`) of M_data and of M_rand (the mean
    over the random bases, each with the within-eigenspace freedom of the data basis)."""

    data: float
    rand: float


def floors(rec: Record, which: str, runs: Sequence[int] | None = None) -> Floors:
    """The empirical floors of M_data and M_rand of the pooled Σ_w of ``which`` at the end,
    for the covariance pooled over ``runs`` (default: all)."""
    grp = groups(rec)
    idx = list(range(rec.seeds)) if runs is None else list(runs)
    covs = run_covariances(rec, which, idx)
    pooled_c = pooled(rec, which, idx)[-1]
    f_data = correlation_noise(covs, mp.data_basis(pooled_c, grp), grp)
    q = _bases(pooled_c.shape[-1])
    adapted = q @ mp.data_basis(q.transpose(-1, -2) @ pooled_c @ q, grp)  # [B, d, d]
    return Floors(float(f_data), float(correlation_noise(covs, adapted, grp).mean()))


EXCESS_HOLDS = 0.1  # B1: "at least an order of magnitude" (card): q ≤ 1/10
EXCESS_FAILS = 0.5  # B1 refuted ("M_data ≈ M_rand"): q ≥ 1/2, i.e. M_rand/M_data ≤ 2 above floor


@dataclass(frozen=True)
class Alignment:
    """Pooled ΔW at the last probe time.

    The verdict statistic is the floor-subtracted ratio q = (M_data − F_data)/(M_rand − F_rand)
    (F: :func:`floors`, the empirical sampling floors at the K = R·m pooled neurons), with a
    leave-one-run-out jackknife interval and its pseudo-values (one per run); q ≤ 1/10 is an
    order of magnitude between the misalignment in a random basis and in the data basis, beyond
    what sampling K neurons produces. Also: the raw ratio M_rand/M_data with its jackknife CI
    (capped by the floor: at most about M_rand/F_data), the Gaussian floor (the mean M_data of
    K Gaussian vectors with exactly aligned covariance) for reference, and the same M for W."""

    m_data: float
    m_rand: float
    ratio: float
    ratio_ci: tuple[float, float]
    floor: float  # empirical floor of M_data (correlation_noise)
    floor_rand: float
    floor_gauss: float
    excess: float  # q
    excess_ci: tuple[float, float]
    excess_pseudo: tuple[float, ...]  # jackknife pseudo-values, one per run
    m_data_w: float
    m_rand_w: float
    runs: int
    neurons: int
    m_frame: float  # M(Σ_w of ΔW, frame basis): differs from m_data only for degenerate Σ_x

    @property
    def cap(self) -> float:
        """The largest raw ratio the sample size allows: M_rand / F_data."""
        return self.m_rand / self.floor if self.floor > 0 else float("inf")


def jackknife_pseudo(stat: Callable[[list[int]], float], R: int
                     ) -> tuple[float, tuple[float, float], tuple[float, ...]]:
    """:func:`twolayer.stats.jackknife` of ``stat`` and its pseudo-values R·θ̂ − (R − 1)·θ̂_(r),
    recentred on θ̂ (shifted by θ̂ minus their mean): their Student-t interval is then exactly
    the jackknife interval (same centre, same standard error), so that per-seed tools
    (``seeds_needed``) read the same interval as the verdict."""
    memo: dict[tuple[int, ...], float] = {}

    def cached(runs: list[int]) -> float:
        key = tuple(runs)
        if key not in memo:
            memo[key] = stat(runs)
        return memo[key]

    est, ci, _ = jackknife(cached, R)
    full = cached(list(range(R)))
    raw = np.array([R * full - (R - 1) * cached([q for q in range(R) if q != r])
                    for r in range(R)], dtype=float)
    pseudo = raw - raw.mean() + full if np.isfinite(raw).all() else raw
    return est, ci, tuple(float(x) for x in pseudo)


def alignment(rec: Record) -> Alignment:
    R, m = rec.seeds, rec.config["net"]["m"]
    grp = groups(rec)

    def last(which: str, runs: list[int]) -> torch.Tensor:
        s = rec.arrays[f"maennel/{which}_sum"][runs, -1]
        o = rec.arrays[f"maennel/{which}_outer"][runs, -1]
        return mp.pooled_covariance(s, o, m)

    bases = _bases(rec.arrays["maennel/w_sum"].shape[-1])

    memo: dict[tuple[int, ...], tuple[float, float, Floors]] = {}

    def parts(runs: list[int]) -> tuple[float, float, Floors]:
        """(M_data, M_rand, floors) of the ΔW pooled over ``runs``, computed once per subset."""
        key = tuple(runs)
        if key not in memo:
            c = last("dw", runs)
            memo[key] = (float(m_data(c, grp)), float(mp.misalignment_random(c, bases, grp)),
                         floors(rec, "dw", runs))
        return memo[key]

    def ratio(runs: list[int]) -> float:
        md, mr, _ = parts(runs)
        return mr / md

    def excess(runs: list[int]) -> float:
        md, mr, f = parts(runs)
        den = mr - f.rand
        if not den > 0:
            return float("nan")  # the random basis is not above its own floor: nothing to compare
        return (md - f.data) / den

    everyone = list(range(R))
    cov = last("dw", everyone)
    cov_w = last("w", everyone)
    r, ci, _ = jackknife(ratio, R, log=True)
    q, q_ci, pseudo = jackknife_pseudo(excess, R)
    md, mr, f = parts(everyone)
    return Alignment(
        m_data=md, m_rand=mr, ratio=r, ratio_ci=ci, floor=f.data, floor_rand=f.rand,
        floor_gauss=sampling_floor(cov, R * m, grp),
        excess=q, excess_ci=q_ci, excess_pseudo=pseudo,
        m_data_w=float(m_data(cov_w, grp)),
        m_rand_w=float(mp.misalignment_random(cov_w, bases, grp)), runs=R, neurons=R * m,
        m_frame=float(mp.misalignment(cov)),
    )


def gap_growth(rec: Record
               ) -> tuple[float, tuple[float, float], float, float, tuple[float, ...]]:
    """G(T) − G(0) with G = M_rand(W) − M_data(W) of the pooled W, its jackknife CI, G(0), G(T),
    and the jackknife pseudo-values (one per run)."""
    def stat(runs: list[int]) -> float:
        md, mr = m_curves(rec, "w", runs)
        return float((mr[-1] - md[-1]) - (mr[0] - md[0]))

    est, ci, pseudo = jackknife_pseudo(stat, rec.seeds)
    md, mr = m_curves(rec, "w")
    return est, ci, float(mr[0] - md[0]), float(mr[-1] - md[-1]), pseudo


def transfer_functions(rec: Record, which: str, t_index: int = -1) -> np.ndarray:
    """[R, d]: f(σ_i) = sqrt(v_iᵀ Σ_w v_i) of each run's own Σ_w (its m neurons)."""
    m = rec.config["net"]["m"]
    cov = mp.run_covariance(rec.arrays[f"maennel/{which}_sum"][:, t_index],
                            rec.arrays[f"maennel/{which}_outer"][:, t_index], m)
    return mp.transfer_function(cov).numpy()


def explained_share(f: np.ndarray) -> float:
    """η² = 1 − Σ_ri (f_ri − f̄_i)² / Σ_ri (f_ri − f̄)²: the share of the variance of f over
    seeds r and eigen-directions i that the direction (i.e. σ_i) explains."""
    within = ((f - f.mean(0, keepdims=True)) ** 2).sum()
    total = ((f - f.mean()) ** 2).sum()
    return float(1.0 - within / total) if total > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# Views of the fine-tuning Records: transfer metrics
# --------------------------------------------------------------------------------------------


def by_variant(rec: Record, key: str) -> np.ndarray:
    """[V, R, T] view of a fine-tuning record's probe array (variant-major runs)."""
    V, R = len(rec.meta["variants"]), int(rec.meta["runs_per_variant"])
    return rec.arrays[f"errors/{key}"].reshape(V, R, -1)


def loss_auc(rec: Record, epochs: int) -> np.ndarray:
    """[V, R]: mean training loss over the probe times t ≤ epochs · steps per epoch."""
    sel = rec.times <= epochs * int(rec.meta["steps_per_epoch"])
    return by_variant(rec, "loss")[:, :, sel].mean(-1)


def steps_to(rec: Record, target: float) -> np.ndarray:
    """[V, R]: first probe time with training accuracy ≥ target (inf if never reached)."""
    acc = 1.0 - by_variant(rec, "train_error")
    hit = acc >= target
    first = np.where(hit.any(-1), hit.argmax(-1), -1)
    out = np.where(first >= 0, rec.times[np.maximum(first, 0)], np.inf)
    return out.astype(float)


@dataclass(frozen=True)
class Effect:
    """Paired effect of one variant against scratch: AUC_scratch − AUC_variant (> 0: faster)."""

    mean: float
    ci: tuple[float, float]
    se: float
    relative: float  # mean / mean AUC of scratch


def effect(auc: np.ndarray, v: int, ref: int = 0) -> Effect:
    diff = auc[ref] - auc[v]
    m, ci = mean_ci(diff)
    se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
    return Effect(m, ci, se, m / float(auc[ref].mean()))
