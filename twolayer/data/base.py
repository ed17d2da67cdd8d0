"""The :class:`Dataset` of a batch of R runs, and the sampler of the kinds whose points are
i.i.d. given a per-run distribution (:func:`iid_sampler`).

A Dataset's tensors carry a leading run axis R: x [R, n, d], clean labels ỹ, training labels y
(corrupted at rate η), the noisy mask, cluster ids, and a test set of ``n_test`` points with both
clean and noisy (same noise model) labels. Binary labels (K = 2) are ±1, K-class labels 0..K−1
(int64). ``extras`` holds the tensors a data kind adds under names that say what they are
([R, ...] each): ``class_means`` (xor, clusters, badger), ``simple_mask`` / ``complex_mask``
(lms, linxor), ``eigenbasis`` / ``teacher`` (gaussian), ``ascended`` / ``fraction`` (badger).
``directions`` names the extras whose rows are the kind's reference directions in R^d, in order
(what the ``correlations`` probe projects the neurons on: :meth:`Dataset.direction_rows`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import torch

from ..errors import PluginCodeError, TwolayerError, code_origin, outside_package
from ..lanes import in_worker, intra_op_threads, pool
from ..seeding import generator, on_cpu
from .noise import corrupt


@dataclass(frozen=True)
class Dataset:
    """The data of R runs, run axis first (module docstring): training inputs x [R, n, d],
    clean labels ``y_true``, training labels ``y`` (corrupted at rate η), the ``noisy`` mask,
    cluster ids, a test set (``x_test``, ``y_test_true``, ``y_test``, ``cluster_test``), the
    number of classes K, the kind's name, its named ``extras`` [R, ...] and ``directions``."""

    x: torch.Tensor  # [R, n, d]
    y_true: torch.Tensor  # [R, n] clean labels ỹ
    y: torch.Tensor  # [R, n] training labels (possibly corrupted)
    noisy: torch.Tensor  # [R, n] bool: y != ỹ
    cluster: torch.Tensor  # [R, n] cluster ids
    x_test: torch.Tensor  # [R, n_test, d]
    y_test_true: torch.Tensor  # [R, n_test] clean test labels
    y_test: torch.Tensor  # [R, n_test] noisy test labels (same noise model and rate)
    cluster_test: torch.Tensor  # [R, n_test]
    num_classes: int
    kind: str
    extras: dict[str, torch.Tensor] = field(default_factory=dict)  # the kind's named tensors
    directions: tuple[str, ...] = ()  # extras whose rows are the kind's directions in R^d

    @property
    def runs(self) -> int:
        """R, the number of runs."""
        return self.x.shape[0]

    @property
    def binary(self) -> bool:
        """Two classes, labelled ±1 (K-class labels are 0..K−1)."""
        return self.num_classes == 2

    def direction_rows(self) -> torch.Tensor:
        """[R, k, d]: the rows of the extras named in ``directions``, in order (an extra of
        shape [R, d] is one row); [R, 0, d] if the kind names none."""
        rows = [self.extras[k] if self.extras[k].dim() == 3 else self.extras[k].unsqueeze(1)
                for k in self.directions]
        if not rows:
            return self.x.new_zeros(self.runs, 0, self.x.shape[2])
        return torch.cat(rows, dim=1)

    def _map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Dataset:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, torch.Tensor):
                out[f.name] = fn(v)
        out["extras"] = {k: fn(v) for k, v in self.extras.items()}
        return replace(self, **out)

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Dataset:
        """Move tensors to a device; floating tensors also to ``dtype`` if given."""
        return self._map(lambda v: v.to(
            device=device, dtype=dtype if (dtype and v.is_floating_point()) else None))

    def select(self, runs: list[int] | slice) -> Dataset:
        """The sub-batch of the given runs."""
        return self._map(lambda v: v[runs])

    @staticmethod
    def cat(parts: Sequence[Dataset]) -> Dataset:
        """The batches ``parts`` (same kind and sizes) as one batch, runs in order."""
        first = parts[0]
        out: dict[str, Any] = {}
        for f in fields(first):
            if isinstance(getattr(first, f.name), torch.Tensor):
                out[f.name] = torch.cat([getattr(p, f.name) for p in parts])
        out["extras"] = {k: torch.cat([p.extras[k] for p in parts]) for k in first.extras}
        return replace(first, **out)


# A per-run setup: (cfg, generator of stream "data", dtype) → {name: tensor} (the extras of one
# run, e.g. its class means), and a draw: (cfg, n, extras, gen, dtype) → (x [n, d], clean labels
# [n], cluster ids [n]).
Setup = Callable[[Any, torch.Generator, torch.dtype], dict[str, torch.Tensor]]
Draw = Callable[[Any, int, dict[str, torch.Tensor], torch.Generator, torch.dtype],
                tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


# Runs' data are drawn in parallel worker lanes (one intra-op thread each) from this many
# elements R·(n + n_test)·d on: below it a lane's start-up costs more than it saves.
PARALLEL_DRAW_ELEMENTS = 1 << 20


def draw_lanes(runs: int, work: int) -> int:
    """How many worker lanes draw ``runs`` runs' data of ``work`` elements in all: one per
    intra-op thread of the caller (``torch.get_num_threads()``, what ``--threads`` and a worker
    process's share of the cores set), at most one per run; 1 for small draws and inside a
    lane."""
    if work < PARALLEL_DRAW_ELEMENTS or in_worker():
        return 1
    return max(1, min(runs, torch.get_num_threads(), os.cpu_count() or 1))


def draw_runs(one_run: Callable[[int], tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]],
              seeds: Sequence[int], work: int = 0
              ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Each run's tensors (``one_run(seed) -> (tensors, extras)``, every tensor of a run drawn
    from that run's own generators) stacked into [R, ...] buffers: run i's tensors are copied
    into row i as soon as they are drawn (holding every run's tensors and then stacking them
    took twice the data's memory).

    The runs are shared out to :func:`draw_lanes` worker lanes (dynamically: a lane takes the
    next run when it is done), each on one intra-op thread (its OpenMP and MKL threads, both set per
    thread: :class:`twolayer.lanes.Pool`); with one lane the caller draws them on one intra-op
    thread too. So a run's data are the same bits whatever the number of lanes,
    cores or threads (a sum split over threads, e.g. in a QR or a matrix product, could differ
    in its last bits) and whatever the order in which the lanes finish. ``one_run`` may run in
    a worker thread: it must read nothing but its arguments and the run's generators."""
    R = len(seeds)
    stacked: dict[str, torch.Tensor] = {}
    extras_out: dict[str, torch.Tensor] = {}
    lock = threading.Lock()
    todo = iter(range(R))
    failed = threading.Event()

    def put(i: int, out: dict[str, torch.Tensor], extras: dict[str, torch.Tensor]) -> None:
        with lock:
            if not stacked and not extras_out:  # the first run drawn gives the shapes
                for dst, src in ((stacked, out), (extras_out, extras)):
                    for k, t in src.items():
                        dst[k] = t.new_empty((R, *t.shape))
        for dst, src in ((stacked, out), (extras_out, extras)):
            for k, t in src.items():
                dst[k][i] = t

    def lane() -> None:
        with on_cpu(), torch.no_grad():
            while not failed.is_set():
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                try:
                    out, extras = one_run(seeds[i])
                    put(i, out, extras)
                except BaseException:
                    failed.set()  # the other lanes stop at their next run
                    raise
                del out, extras

    k = draw_lanes(R, work)
    # one intra-op thread (OpenMP and MKL) for the caller; a pool's workers are pinned to one
    with intra_op_threads(1):
        if k == 1:
            lane()
        else:
            pool(k).map(lambda _: lane(), [(j,) for j in range(k)])
    return stacked, extras_out


def _plugin_error(cfg: Any, fn: object, why: str, e: BaseException | None = None
                  ) -> PluginCodeError:
    name = getattr(getattr(fn, "__wrapped__", fn), "__name__", "draw")
    return PluginCodeError(f"data kind {cfg.kind!r}: its {name}", code_origin(fn, e), why)


def checked_setup(setup: Setup, cfg: Any, gen: torch.Generator, dtype: torch.dtype
                  ) -> dict[str, torch.Tensor]:
    """A plugin kind's ``setup(cfg, gen, dtype)``, which must return a dict of str -> tensor
    (its extras; {} for none): a :class:`PluginCodeError` naming it and its file:line where
    it does not, or where it raises (other than twolayer's own errors)."""
    try:
        extras = setup(cfg, gen, dtype)
    except TwolayerError:
        raise
    except Exception as e:
        raise _plugin_error(cfg, setup, f"raised {type(e).__name__}: {e}", e) from e
    if not isinstance(extras, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in extras.items()):
        what = (f"a {type(extras).__name__}" if not isinstance(extras, dict)
                else "a dict with an entry that is not str -> torch.Tensor")
        raise _plugin_error(cfg, setup, f"returned {what}: a setup returns its extras as a "
                            "dict of str -> torch.Tensor ({} for none)")
    return extras


def checked_draw(draw: Callable[..., Any], cfg: Any, n: int, gen: torch.Generator,
                 dtype: torch.dtype, *extras: Any
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A plugin kind's ``draw(cfg, n, *extras, gen, dtype)`` (``extras``: the iid sampler's
    setup result; none for a streaming draw), which must return x [n, d] (finite, floating),
    clean labels [n] (±1 for two classes, 0..K−1 for K) and cluster ids [n] (integers): a
    :class:`PluginCodeError` naming it and its file:line where it does not, or where it
    raises (other than twolayer's own errors)."""
    try:
        result = draw(cfg, n, *extras, gen, dtype)
    except TwolayerError:
        raise
    except Exception as e:
        raise _plugin_error(cfg, draw, f"raised {type(e).__name__}: {e}", e) from e
    d, k = getattr(cfg, "d", None), cfg.num_classes
    why = None
    if not (isinstance(result, tuple) and len(result) == 3
            and all(isinstance(t, torch.Tensor) for t in result)):
        why = (f"returned a tuple of {len(result)}" if isinstance(result, tuple)
               else f"returned a {type(result).__name__}") + ", not three tensors"
    else:
        x, y, c = result
        if x.dim() != 2 or x.shape[0] != n or (d is not None and x.shape[1] != d):
            why = f"returned x of shape {list(x.shape)}, not [n, d] = [{n}, {d}]"
        elif not x.is_floating_point():
            why = f"returned x of dtype {x.dtype}, not a floating dtype"
        elif not bool(torch.isfinite(x).all()):
            why = "returned x with non-finite values (NaN or inf)"
        elif tuple(y.shape) != (n,):
            why = f"returned labels of shape {list(y.shape)}, not [n] = [{n}]"
        elif tuple(c.shape) != (n,):
            why = f"returned cluster ids of shape {list(c.shape)}, not [n] = [{n}]"
        elif c.is_floating_point() or c.is_complex() or c.dtype == torch.bool:
            why = f"returned cluster ids of dtype {c.dtype}, not integers"
        else:
            allowed = torch.tensor([-1, 1] if k == 2 else list(range(k)), dtype=y.dtype)
            bad = y[~torch.isin(y, allowed)]
            if bad.numel():
                valid = "-1 or +1 (two classes)" if k == 2 else f"0..{k - 1} ({k} classes)"
                why = f"returned the label {bad[0].item()!r}: labels are {valid}"
    if why is not None:
        raise _plugin_error(cfg, draw, why + ": a draw returns (x [n, d], clean labels [n], "
                            "cluster ids [n])")
    return result  # type: ignore[return-value]


def iid_sampler(setup: Setup, draw: Draw, directions: tuple[str, ...] = (),
                noise_frame: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None
                ) -> Callable[..., Dataset]:
    """The ``sample(cfg, seeds, dtype) -> Dataset`` of a kind whose points are i.i.d. given a
    per-run distribution: for each seed, ``setup`` from the stream ``data``, then ``cfg.n``
    training and ``cfg.n_test`` test points from the streams ``data-train`` / ``data-test``,
    their labels corrupted by ``cfg.noise_model`` at rate ``cfg.noise`` from the same stream.
    ``noise_frame(extras)`` [2, d] gives μ1, μ2 of the ``confident`` noise model. The runs are
    drawn in parallel worker threads (:func:`draw_runs`): ``setup`` and ``draw`` must read
    nothing but their arguments and draw only from the generator they are given. A plugin's
    ``setup`` must return a dict of str -> tensor ({} for none) and its ``draw`` x [n, d]
    (finite), clean labels [n] (±1 for two classes, 0..K−1 for K) and integer cluster ids
    [n]; else, or where either raises, the sampler raises a ``PluginCodeError`` (a
    ConfigError) naming the function and its file:line."""

    # a plugin's setup and draw are checked (what they return, what they raise); the built-in
    # kinds' are tested instead
    plugin = outside_package(setup) or outside_package(draw)

    def one_run(cfg: Any, seed: int, dtype: torch.dtype
                ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        if plugin:
            extras = checked_setup(setup, cfg, generator(seed, "data"), dtype)
        else:
            extras = setup(cfg, generator(seed, "data"), dtype)
        mu = noise_frame(extras) if noise_frame is not None else None
        out: dict[str, Any] = {}
        for split, n, stream in (("", cfg.n, "train"), ("_test", cfg.n_test, "test")):
            g = generator(seed, "data-" + stream)
            if plugin:
                x, y_true, cluster = checked_draw(draw, cfg, n, g, dtype, extras)
            else:
                x, y_true, cluster = draw(cfg, n, extras, g, dtype)
            y, noisy = corrupt(cfg.noise_model, cfg.noise, y_true, cluster, x, mu,
                               cfg.num_classes, g)
            out["x" + split] = x
            out["y_true" if not split else "y_test_true"] = y_true
            out["y" + split] = y
            out["cluster" + split] = cluster
            if not split:
                out["noisy"] = noisy
        return out, extras

    def sample(cfg: Any, seeds: list[int], dtype: torch.dtype = torch.float32) -> Dataset:
        work = len(seeds) * (cfg.n + cfg.n_test) * getattr(cfg, "d", 1)
        stacked, extras_out = draw_runs(lambda seed: one_run(cfg, seed, dtype), seeds, work)
        return Dataset(num_classes=cfg.num_classes, kind=cfg.kind, extras=extras_out,
                       directions=directions, **stacked)

    return sample
