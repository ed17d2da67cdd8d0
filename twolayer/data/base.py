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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import torch

from ..seeding import generator
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


def iid_sampler(setup: Setup, draw: Draw, directions: tuple[str, ...] = (),
                noise_frame: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None
                ) -> Callable[..., Dataset]:
    """The ``sample(cfg, seeds, dtype) -> Dataset`` of a kind whose points are i.i.d. given a
    per-run distribution: for each seed, ``setup`` from the stream ``data``, then ``cfg.n``
    training and ``cfg.n_test`` test points from the streams ``data-train`` / ``data-test``,
    their labels corrupted by ``cfg.noise_model`` at rate ``cfg.noise`` from the same stream.
    ``noise_frame(extras)`` [2, d] gives μ1, μ2 of the ``confident`` noise model."""

    def sample(cfg: Any, seeds: list[int], dtype: torch.dtype = torch.float32) -> Dataset:
        # each run's tensors are copied into [R, ...] buffers as soon as they are drawn: holding
        # every run's points and then stacking them took twice the data's memory
        stacked: dict[str, torch.Tensor] = {}
        extras_out: dict[str, torch.Tensor] = {}
        for i, seed in enumerate(seeds):
            extras = setup(cfg, generator(seed, "data"), dtype)
            mu = noise_frame(extras) if noise_frame is not None else None
            out: dict[str, Any] = {}
            for split, n, stream in (("", cfg.n, "train"), ("_test", cfg.n_test, "test")):
                g = generator(seed, "data-" + stream)
                x, y_true, cluster = draw(cfg, n, extras, g, dtype)
                y, noisy = corrupt(cfg.noise_model, cfg.noise, y_true, cluster, x, mu,
                                   cfg.num_classes, g)
                out["x" + split] = x
                out["y_true" if not split else "y_test_true"] = y_true
                out["y" + split] = y
                out["cluster" + split] = cluster
                if not split:
                    out["noisy"] = noisy
            for dst, src in ((stacked, out), (extras_out, extras)):
                for k, t in src.items():
                    if i == 0:
                        dst[k] = t.new_empty((len(seeds), *t.shape))
                    dst[k][i] = t
            del out, extras
        return Dataset(num_classes=cfg.num_classes, kind=cfg.kind, extras=extras_out,
                       directions=directions, **stacked)

    return sample
