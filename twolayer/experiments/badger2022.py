"""Experiments of Badger (2022), "Why Deep Learning Generalizes" (paper card ``badger2022``):
plans, runners and the Records that the claims (:mod:`twolayer.claims.badger2022`) and the
figures (:mod:`twolayer.plots.badger2022`) read.

Settings are twolayer's [PROPOSAL] analogue of the card's §5:

- data (:mod:`twolayer.data.badger`): K = 10 Gaussian clusters in d = 30, μ_c ~ N(0, 0.36 I),
  s = μ_y + N(0, I); input-noise mixing x̃ = f s + (1 − f) ξ, ξ ~ N(0, 1.36 I) fixed per example;
  three disjoint sets of n points (train T, ascended A, hold-out H);
- network: m ReLU neurons with bias, W ~ N(0, 1/d), trained second layer a ~ N(0, 1/m), K
  logits, softmax cross-entropy;
- objectives (:mod:`twolayer.objectives`), paired minibatches as in the author's code: each step
  pairs a minibatch B_T of T with a minibatch B_A of A; memorise = mean CE on B_T minus g_e · mean
  CE on B_A, the gate g_e = 1[Acc_A > τ] evaluated on the whole of A at the start of each epoch
  (τ = 1/K + 0.01, the author's 0.11 at K = 10; target gates τ ∈ {0.25, 0.5, 0.75}; ungated
  τ = −∞); normal = the same paired minibatches with g ≡ 0 (gate "never"), so normal and memorise
  runs see the same T minibatches. Claim 3 uses plain minibatch training on T (normal
  training) at several widths m;
- optimisers (``Plan.optimizer``, ``switch_optimizer``, ``size_optimizer``: "sgd" or "adam"):
  claims 1, 2, 4 and C2′ run SGD (lr 0.01); claim 5 runs Adam at the author's lr 1e-4 and
  claim 3 Adam at lr 1e-3 (the author's optimiser; :mod:`twolayer.training.adam`);
- probes: ``badger`` (accuracies, CE, input sensitivities), ``badger_scale`` (here: the centred
  logits' input Jacobian and scale, whose ratio is claim 4's scale-free sensitivity) and
  ``badger_acc`` (here: accuracies and CE only, for claim 3).

Experiments (each returns Records; :func:`objective_runs` and :func:`sizes_runs_view` give the
checks and figures their views of them):

- ``badger2022.objectives``: normal and chance-gated memorise at every noise fraction (a Record);
- ``badger2022.gates``: f = 1, memorise with the chance gate, the target gates and no gate;
- ``badger2022.switch``: f = 1, memorise then normal ("memorise", "switch", "normal" Records);
- ``badger2022.sizes``: normal training on N points, f ∈ {0, 1}, per width m (Records
  "m=<m>,N=<N>");
- ``badger2022.figures.*``: the same four on the figures' plans (``twolayer figures`` shows the
  plan of ``twolayer check badger2022 --quick``, ``--quick`` a tiny smoke-test plan).

A Record of a batch of runs: ``arrays["<objective>/<quantity>"]`` [R, T] with the runs ordered
fraction-major (run = i_f · S + seed), ``times`` the probe steps, ``meta``: fractions, seeds,
setting, wall_seconds, notes (a list of [name, text] pairs: order kept through JSON) and, for
the sizes, N, m and steps_per_epoch; ``config``: the plan as a dict.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ..config import DataConfig, NetConfig, TrainConfig
from ..data import badger as bdata
from ..engine import Runtime, probe_times, train
from ..errors import ConfigError, DivergenceError
from ..net import init_params
from ..objectives import Memorise
from ..record import Record
from ..training import adam
from . import experiment

PAPER = "badger2022"
K = 10
D = 30
CHANCE = 1.0 / K
TARGETS = (0.25, 0.5, 0.75)  # claim C2′: target-accuracy gates (the author's 20-85% runs)

# the figures that show these runs (named in the claims' verdicts and registered by the plots)
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
    size_lr: float = 1e-3  # claim 3 (Adam; the card's 1e-4 leaves 30 epochs near chance)
    optimizer: str = "sgd"  # claims 1, 2, 4, C2′: "sgd" or "adam" (lr)
    switch_optimizer: str = "adam"  # claim 5 (the author's Adam): "sgd" (lr) or "adam"
    switch_lr: float = 1e-4  # claim 5: the card's Adam lr (author: 1e-4, 200 epochs)
    size_optimizer: str = "adam"  # claim 3 (the author's Adam)
    size_widths: tuple[int, ...] = ()  # claim 3's width sweep (empty: m only)

    @property
    def widths(self) -> tuple[int, ...]:
        """Claim 3's widths m."""
        return self.size_widths or (self.m,)

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


PLANS = {
    "quick": Plan(seeds=5, fractions=(1.0, 0.5, 0.25, 0.0), n=250, m=128, lr=0.01, batch=25,
                  epochs=300, num_times=20, sizes=(200, 400, 800), size_batch=40, size_epochs=30,
                  size_holdout=500, size_widths=(32, 128)),
    "full": Plan(seeds=5, fractions=(1.0, 0.75, 0.5, 0.25, 0.1, 0.0), n=1000, m=256, lr=0.01,
                 batch=50, epochs=300, num_times=30, sizes=(250, 500, 1000, 2000),
                 size_batch=50, size_epochs=60, size_holdout=2000,
                 size_widths=(64, 256, 1024)),
}
# smoke-test settings of `twolayer figures --quick` (not used by `twolayer check`)
PLANS["tiny"] = Plan(seeds=2, fractions=(1.0, 0.25, 0.0), n=150, m=64, lr=0.01, batch=15,
                     epochs=60, num_times=12, sizes=(100, 200), size_batch=20, size_epochs=10,
                     size_holdout=200, size_widths=(16, 64))


OPTIMIZERS = ("sgd", "adam")


def stepper_of(optimizer: str):  # type: ignore[no-untyped-def]
    """The ``stepper`` of :func:`twolayer.engine.train` for ``optimizer``: None (plain SGD, the
    default path) or Adam with torch's defaults β = (0.9, 0.999), ε = 1e-8 (the author's
    ``torch.optim.Adam``)."""
    if optimizer not in OPTIMIZERS:
        raise ConfigError("optimizer", optimizer, "valid choices are " + ", ".join(OPTIMIZERS))
    return None if optimizer == "sgd" else adam()


def opt_text(optimizer: str, lr: float) -> str:
    return f"{'SGD' if optimizer == 'sgd' else 'Adam'} lr={lr:g}"


PROBES = ("badger", "badger_scale")  # the objectives runs (claims 1, 2, 4); gates and switch:
# "badger" only; badger_scale and badger_acc (claim 3) are in twolayer.probes.badger


def plan(quick: bool) -> Plan:
    """The plan of ``twolayer check badger2022`` (``--quick``: the quick plan)."""
    return PLANS["quick" if quick else "full"]


def figure_plan(quick: bool) -> Plan:
    """The plan of ``twolayer figures`` (``--quick``: the tiny smoke-test plan): the full plan is
    too slow for a shared CPU, so the figures show the runs of ``check --quick``'s plan."""
    return PLANS["tiny" if quick else "quick"]


# --------------------------------------------------------------------------------------------
# Records and their views
# --------------------------------------------------------------------------------------------


@dataclass
class ObjectiveRuns:
    """Probe arrays of one batch of runs, ordered fraction-major: run = i_f · S + seed (a view of
    one Record: :func:`objective_runs`; :meth:`to_record` is its inverse)."""

    times: np.ndarray
    arrays: dict[str, np.ndarray]  # "<objective>/<quantity>" → [R, T]
    fractions: tuple[float, ...]
    seeds: int
    setting: str
    wall_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)
    config: dict[str, object] = field(default_factory=dict)
    run_id: str = ""

    def get(self, key: str) -> np.ndarray:
        """[F, S, T] array of ``key``."""
        a = self.arrays[key]
        return a.reshape(len(self.fractions), self.seeds, *a.shape[1:])

    def fi(self, f: float) -> int:
        return self.fractions.index(f)

    def to_record(self) -> Record:
        meta = {"fractions": [float(f) for f in self.fractions], "seeds": int(self.seeds),
                "setting": self.setting, "wall_seconds": float(self.wall_seconds),
                "notes": [[str(k), v] for k, v in self.extra.items()]}
        return Record(config={**self.config, "seeds": int(self.seeds)}, run_id=self.run_id,
                      times=np.asarray(self.times, dtype=np.int64),
                      arrays={k: np.asarray(v) for k, v in self.arrays.items()}, meta=meta)


def objective_runs(rec: Record) -> ObjectiveRuns:
    """The view of a batch-of-runs Record that the checks and figures read."""
    m = rec.meta
    return ObjectiveRuns(times=np.asarray(rec.times), arrays=dict(rec.arrays),
                         fractions=tuple(float(f) for f in m["fractions"]), seeds=int(m["seeds"]),
                         setting=str(m["setting"]), wall_seconds=float(m["wall_seconds"]),
                         extra={str(k): v for k, v in m.get("notes", [])},
                         config=dict(rec.config), run_id=rec.run_id)


def sizes_runs_view(result: dict[str, Record]) -> dict[int, dict[int, ObjectiveRuns]]:
    """The sizes experiment's Records as m → N → runs, in increasing m and N."""
    views = sorted((objective_runs(r) for r in result.values()),
                   key=lambda v: (int(v.extra["m"]), int(v.extra["N"])))
    out: dict[int, dict[int, ObjectiveRuns]] = {}
    for v in views:
        out.setdefault(int(v.extra["m"]), {})[int(v.extra["N"])] = v
    return out


def switch_runs_view(result: dict[str, Record]) -> dict[str, ObjectiveRuns]:
    """The switch experiment's Records: "memorise", "switch", "normal" → runs."""
    return {k: objective_runs(result[k]) for k in ("memorise", "switch", "normal")}


# --------------------------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------------------------


def net_config(m: int) -> NetConfig:
    return NetConfig(m=m, second_layer="gaussian", train_second_layer=True, bias=True, outputs=K)


def batch(p: Plan, fractions: tuple[float, ...], seeds: int, n_train: int, n_asc: int,
          n_hold: int, base: int = 0, m: int | None = None):
    """Data and initial parameters of the runs (fraction-major), seeds base..base+S−1."""
    run_seeds = [base + s for f in fractions for s in range(seeds)]
    run_f = [f for f in fractions for _ in range(seeds)]
    cfg = DataConfig(kind="badger", num_classes=K, d=D, n=n_train, n_ascended=n_asc,
                     n_test=n_hold)
    data = bdata.sample(cfg, run_seeds, run_f)
    params = init_params(net_config(m or p.m), D, run_seeds, 1.0 / D)
    return data, params, run_seeds


def setting_text(p: Plan, optimizer: str | None = None, lr: float | None = None) -> str:
    opt = opt_text(optimizer or p.optimizer, lr if lr is not None else p.lr)
    return (f"K={K}, d={D}, n={p.n} per set (T, A, H), d/n={D / p.n:.3g}, noise dim={D}, "
            f"m={p.m}, {opt}, paired minibatches {p.batch}+{p.batch}, {p.epochs} epochs "
            f"= {p.steps} steps, gate once per epoch")


def plan_config(p: Plan, **more: object) -> dict[str, object]:
    """A run's config: the plan as a dict (tuples as lists) and what the runner chose."""
    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(p).items()}
    return {"paper": PAPER, "plan": cfg, **more}


def train_guarded(params, data, cfg: TrainConfig, times: list[int], runtime: Runtime,
                  seeds: list[int], weights, optimizer: str = "sgd",
                  probes: tuple[str, ...] = PROBES) -> tuple[dict[str, np.ndarray], str]:
    """``train`` with the badger probe; if a run diverges (the ascent's weight blow-up), train
    again up to the last probe time before the divergence and fill the later times with NaN
    (every run of the batch), and say so."""
    try:
        res = train(params, data, cfg, times, probes, runtime, seeds, weights=weights,
                    stepper=stepper_of(optimizer))
        return res.arrays, ""
    except DivergenceError as e:
        keep = [t for t in times if t < e.step]
        if isinstance(weights, Memorise):
            weights.gates.clear()
        cut = TrainConfig(lr=cfg.lr, steps=keep[-1], objective=cfg.objective,
                          batch_size=cfg.batch_size)
        res = train(params, data, cut, keep, probes, runtime, seeds, weights=weights,
                    stepper=stepper_of(optimizer))
        pad = len(times) - len(keep)
        arrays = {k: np.concatenate([v, np.full((v.shape[0], pad, *v.shape[2:]), np.nan,
                                                v.dtype)], 1) for k, v in res.arrays.items()}
        return arrays, f"diverged: seed {seeds[e.run]} at step {e.step} (later times NaN)"


def gate_name(g) -> str:
    return f"memorise_{g}"


def run_objectives(p: Plan, seeds: int | None, runtime: Runtime, gates=("chance",),
                   epochs: int | None = None, fractions: tuple[float, ...] | None = None,
                   normal: bool = True, params=None, run_id: str = "objectives",
                   probes: tuple[str, ...] = PROBES) -> ObjectiveRuns:
    """Normal and memorise (one per gate) training (``p.optimizer``: minibatch SGD by default)
    from the same data, initialisation and T minibatches; ``params`` (default: fresh) continue
    an earlier phase."""
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
        w = Memorise(data.extras["ascended"], K, g)
        arr, note = train_guarded(params if params is not None else init, data, cfg, times,
                                  runtime, run_seeds, w, p.optimizer, probes)
        if note:
            notes[name] = note
        for k, v in arr.items():
            arrays[f"{name}/{k.split('/', 1)[1]}"] = v
        arrays[f"{name}/gate_on"] = torch.stack(w.gates, 1).float().mean(1, keepdim=True)\
            .expand(-1, len(times)).cpu().numpy()
    config = plan_config(p, fractions=list(fr), gates=[str(g) for g in gates], steps=T,
                         normal=normal)
    return ObjectiveRuns(np.asarray(times), arrays, tuple(fr), S, setting_text(p),
                         time.perf_counter() - start, notes, config, run_id)


def run_gates(p: Plan, seeds: int | None, runtime: Runtime) -> ObjectiveRuns:
    """f = 1: the memorise objective with the chance gate, target gates and no gate."""
    return run_objectives(p, seeds, runtime, gates=("chance", *TARGETS, "none"),
                          fractions=(1.0,), normal=False, run_id="gates", probes=("badger",))


def run_switch(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, ObjectiveRuns]:
    """f = 1, optimiser ``p.switch_optimizer`` (Adam, as the author's code: fresh moments at the
    switch): ``p.epochs`` epochs of memorise (chance gate), then ``p.epochs`` epochs of normal
    training from its final parameters; and normal training for 2 ``p.epochs`` epochs from the
    start (the reference). The switch phase continues the minibatch streams (epochs
    ``p.epochs`` + 1 ... 2 ``p.epochs``), so its T minibatches are those of the reference's second
    half. Keys "memorise", "switch", "normal"."""
    S = seeds or p.seeds
    data, init, run_seeds = batch(p, (1.0,), S, p.n, p.n, p.n)
    T = p.steps
    opt = p.switch_optimizer
    lr = p.switch_lr if opt == "adam" else p.lr
    step = stepper_of(opt)
    cfg = TrainConfig(lr=lr, steps=T, objective="softmax", batch_size=p.batch)
    times = sorted(set(probe_times(T, p.num_times, 5))
                   | set(range(0, T + 1, max(1, p.epochs // 10) * p.steps_per_epoch)))
    start = time.perf_counter()
    mem = train(init, data, cfg, times, ("badger",), runtime, run_seeds,
                weights=Memorise(data.extras["ascended"], K, "chance"), stepper=step)
    # the switch phase draws minibatch epochs E + 1 ... 2E, as the reference's second half does
    sw = train(mem.params, data, cfg, times, ("badger",), runtime, run_seeds,
               weights=Memorise(data.extras["ascended"], K, "never", skip_epochs=p.epochs),
               stepper=step)
    cfg2 = TrainConfig(lr=lr, steps=2 * T, objective="softmax", batch_size=p.batch)
    times2 = sorted(set(times) | {T + t for t in times})
    nrm = train(init, data, cfg2, times2, ("badger",), runtime, run_seeds,
                weights=Memorise(data.extras["ascended"], K, "never"), stepper=step)
    wall = time.perf_counter() - start
    setting = setting_text(p, opt, lr).replace(
        f"{p.epochs} epochs = {p.steps} steps", f"{p.epochs} + {p.epochs} epochs") + ", f=1"
    if opt == "adam":
        setting += " (fresh Adam moments at the switch)"

    def runs(res, tt, phase):
        arr = {f"normal/{k.split('/', 1)[1]}": v for k, v in res.arrays.items()}
        return ObjectiveRuns(np.asarray(tt), arr, (1.0,), S, setting, wall,
                             {"steps_per_epoch": p.steps_per_epoch},
                             plan_config(p, fractions=[1.0], phase=phase), f"switch/{phase}")

    return {"memorise": runs(mem, times, "memorise"),
            "switch": runs(sw, [T + t for t in times], "switch"),
            "normal": runs(nrm, times2, "normal")}


def run_sizes(p: Plan, seeds: int | None, runtime: Runtime
              ) -> dict[tuple[int, int], ObjectiveRuns]:
    """Normal training (``p.size_optimizer``, Adam as the author's code; minibatch
    ``p.size_batch``) on N points, random (f = 0) and structured (f = 1) inputs, for
    p.size_epochs epochs, at every width m of ``p.widths``; probe times include the step count
    of the smallest N's run. Keys (m, N)."""
    S = seeds or p.seeds
    equal = p.size_epochs * min(p.sizes) // p.size_batch
    out = {}
    for m in p.widths:
        for N in p.sizes:
            data, params, run_seeds = batch(p, (0.0, 1.0), S, N, 0, p.size_holdout, m=m)
            steps = p.size_epochs * N // p.size_batch
            times = sorted(set(probe_times(steps, p.num_times, 5)) | {equal}
                           | {e * N // p.size_batch for e in range(p.size_epochs + 1)})
            cfg = TrainConfig(lr=p.size_lr, steps=steps, batch_size=p.size_batch,
                              objective="softmax")
            start = time.perf_counter()
            res = train(params, data, cfg, times, ("badger_acc",), runtime, run_seeds,
                        stepper=stepper_of(p.size_optimizer))
            arrays = {f"normal/{k.split('/', 1)[1]}": v for k, v in res.arrays.items()}
            setting = (f"K={K}, d={D}, N={N} (d/N={D / N:.3g}), hold-out {p.size_holdout}, "
                       f"m={m}, {opt_text(p.size_optimizer, p.size_lr)} batch {p.size_batch}, "
                       f"{p.size_epochs} epochs = {steps} steps")
            out[m, N] = ObjectiveRuns(np.asarray(times), arrays, (0.0, 1.0), S, setting,
                                      time.perf_counter() - start,
                                      {"steps_per_epoch": N // p.size_batch, "N": N, "m": m},
                                      plan_config(p, fractions=[0.0, 1.0], N=N, m=m,
                                                  steps=steps),
                                      f"sizes/m={m},N={N}")
    return out


# --------------------------------------------------------------------------------------------
# Experiments (Records only)
# --------------------------------------------------------------------------------------------


def objectives_record(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run_objectives(p, seeds, runtime).to_record()


def gates_record(p: Plan, seeds: int | None, runtime: Runtime) -> Record:
    return run_gates(p, seeds, runtime).to_record()


def switch_records(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return {k: v.to_record() for k, v in run_switch(p, seeds, runtime).items()}


def sizes_records(p: Plan, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return {f"m={m},N={N}": v.to_record() for (m, N), v in run_sizes(p, seeds, runtime).items()}


@experiment("badger2022.objectives")
def objectives_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return objectives_record(plan(quick), seeds, runtime)


@experiment("badger2022.gates")
def gates_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return gates_record(plan(quick), seeds, runtime)


@experiment("badger2022.switch")
def switch_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return switch_records(plan(quick), seeds, runtime)


@experiment("badger2022.sizes")
def sizes_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return sizes_records(plan(quick), seeds, runtime)


# the figures' plans (figure_plan): `twolayer figures` never trains the full plan
@experiment("badger2022.figures.objectives")
def figure_objectives_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return objectives_record(figure_plan(quick), seeds, runtime)


@experiment("badger2022.figures.gates")
def figure_gates_runs(quick: bool, seeds: int | None, runtime: Runtime) -> Record:
    return gates_record(figure_plan(quick), seeds, runtime)


@experiment("badger2022.figures.switch")
def figure_switch_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return switch_records(figure_plan(quick), seeds, runtime)


@experiment("badger2022.figures.sizes")
def figure_sizes_runs(quick: bool, seeds: int | None, runtime: Runtime) -> dict[str, Record]:
    return sizes_records(figure_plan(quick), seeds, runtime)
