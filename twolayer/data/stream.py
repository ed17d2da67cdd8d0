"""Streaming data kinds: online SGD on fresh samples.

A kind registered with ``stream=draw`` (``draw(cfg, n, gen, dtype) -> (x [n, d], clean labels
[n], cluster ids [n])``, one run's n fresh points from the generator ``gen``) trains on a new
minibatch at every step instead of a fixed training set. :func:`streaming_kind` builds such a
kind from ``draw`` alone: its finite Dataset (what the probes and baselines see) is ``n``
training and ``n_test`` test points drawn i.i.d. from the per-run streams ``data-train`` /
``data-test``, and :class:`Stream` (a minibatch objective of the training loop, see
``twolayer.training.MinibatchObjective``) draws each step's ``batch_size`` points per run from
the per-run stream ``data-stream`` (independent of the finite sets), their labels corrupted by
the config's noise model. Streaming configs need ``--batch-size`` below ``n``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from ..config import DataConfig, DataKind, Flag, data_kind
from ..seeding import generator
from .base import Dataset, checked_draw, iid_sampler, outside_package
from .noise import corrupt

Draw = Callable[[Any, int, torch.Generator, torch.dtype],
                tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


class Stream:
    """The objective of a streaming kind: each SGD step, ``batch`` fresh points per run from the
    per-run generator (stream ``data-stream`` of the run's seed), mean loss (weights 1/B).
    ``cfg``: one data config for every run, or one per run (a sweep's batch of points that
    differ in per-run fields such as the noise rate: run r draws and corrupts by its own)."""

    def __init__(self, cfg: DataConfig | Sequence[DataConfig], draw: Draw):
        self.cfg, self.draw = cfg, draw

    def __call__(self, out: torch.Tensor, data: Dataset) -> torch.Tensor:  # full batch: mean
        return torch.full(data.y.shape, 1.0 / data.y.shape[1], dtype=out.dtype,
                          device=out.device)

    def rows(self, batch: int) -> int:
        return batch

    def minibatches(self, p: Any, data: Dataset, batch: int, seeds: list[int], budget: int
                    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        gens = [generator(s, "data-stream") for s in seeds]
        dtype, device = data.x.dtype, data.x.device
        s = torch.full((len(seeds), batch), 1.0 / batch, dtype=dtype, device=device)
        cfgs = (list(self.cfg) if isinstance(self.cfg, (list, tuple))
                else [self.cfg] * len(seeds))
        if len(cfgs) != len(seeds):
            raise ValueError(f"{len(cfgs)} data configs for {len(seeds)} runs")
        # a plugin's draw is checked on the first minibatch (its training and test sets, drawn
        # by the same function, are checked whole: iid_sampler)
        check = outside_package(self.draw)
        while True:
            xs, ys = [], []
            for g, cfg in zip(gens, cfgs, strict=True):
                if check:
                    x, y_true, cluster = checked_draw(self.draw, cfg, batch, g, dtype)
                else:
                    x, y_true, cluster = self.draw(cfg, batch, g, dtype)
                y, _ = corrupt(cfg.noise_model, cfg.noise, y_true, cluster, x, None,
                               cfg.num_classes, g)
                xs.append(x)
                ys.append(y)
            check = False
            x, y = torch.stack(xs), torch.stack(ys)
            if device.type == "cuda":  # from pinned memory, without waiting for the copy: the
                # next batch is drawn on the CPU while the GPU takes this step
                x, y = x.pin_memory(), y.pin_memory()
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True), s


def stream_objective(cfg: DataConfig, runs: Sequence[DataConfig] | None = None
                     ) -> Stream | None:
    """The minibatch objective of ``cfg``'s kind if it is a streaming kind, else None.
    ``runs``: one data config per run (of ``cfg``'s kind), when the runs of a batch differ."""
    kind = data_kind(cfg.kind)
    if kind.stream is None:
        return None
    return Stream(list(runs) if runs is not None else cfg, kind.stream)


def streaming_kind(name: str, config: type, draw: Draw, flags: tuple[Flag, ...] = (),
                   summary: Callable[[dict], dict] | None = None, about: str = "") -> DataKind:
    """A :class:`DataKind` whose training steps draw fresh points with ``draw`` (see the module
    docstring); register it with :func:`twolayer.config.register_data_kind`."""

    def setup(cfg: Any, gen: torch.Generator, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        return {}

    def fixed(cfg: Any, n: int, extras: dict, gen: torch.Generator, dtype: torch.dtype):
        return draw(cfg, n, gen, dtype)

    fixed.__wrapped__ = draw  # type: ignore[attr-defined]  # a plugin's: checked, named

    return DataKind(name, config, iid_sampler(setup, fixed), flags=flags, summary=summary,
                    about=about, stream=draw)
