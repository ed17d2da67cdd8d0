"""Synthetic datasets for a batch of R runs: one independent draw per run seed.

Each data kind lives in its own module here and registers a :class:`~twolayer.config.DataKind`
(its config class, CLI flags, sampler and optional record summary) with
:func:`~twolayer.config.register_data_kind`: xor, clusters, lms and linxor, gaussian, badger.
:func:`sample_dataset` returns the kind's :class:`Dataset` (see :mod:`twolayer.data.base`).
Everything is sampled on the CPU from per-run generators, so the data do not depend on the
device or on the other runs.
"""

from __future__ import annotations

import torch

from ..config import DataConfig, DataKind, data_kind
from . import badger, clusters, gaussian, lms, xor  # noqa: F401  # the built-in kinds register
from .base import Dataset, iid_sampler
from .stream import Stream, stream_objective, streaming_kind


def sample_dataset(
    cfg: DataConfig, seeds: list[int], dtype: torch.dtype = torch.float32
) -> Dataset:
    """One independent draw of train and test data per seed, stacked on a leading run axis."""
    return data_kind(cfg.kind).sample(cfg, seeds, dtype)


def kind_summary(kind: str, arrays: dict) -> dict:
    """Headline numbers a data kind contributes to a record's summary ({name: [R] values}),
    from the record's arrays: its registered ``summary(arrays)`` when it has one."""
    try:
        fn = data_kind(kind).summary
    except Exception:  # noqa: BLE001 - a record of a kind that is not registered here
        return {}
    return fn(arrays) if fn is not None else {}


own_mean_correlation = xor.own_mean_correlation
median_over_signed = xor.median_over_signed

__all__ = ["DataKind", "Dataset", "Stream", "iid_sampler", "kind_summary", "median_over_signed",
           "own_mean_correlation", "sample_dataset", "stream_objective", "streaming_kind"]
