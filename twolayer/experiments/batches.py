"""Training R runs as several smaller batches and joining their records.

A batch of R runs is R independent runs (run r uses seed ``seed + r`` for its data, its
initialisation and its minibatches), so R runs can be trained as consecutive chunks of seeds
and their records joined along the run axis. An experiment does this when a whole batch would
not fit in memory: the data of one batch is [R, n, d], which for the deepest Frei et al. setting
(n = 1000 and n_test = 1000 at d = 12000) is 1.9 GB per 20 runs in float32.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from ..config import Config
from ..record import Record
from ..simulate import summarize


def chunk_configs(cfg: Config, chunk: int) -> list[Config]:
    """``cfg`` cut into consecutive chunks of at most ``chunk`` runs: the i-th config has
    ``seed = cfg.seed + i·chunk``, so their runs are exactly the runs of ``cfg``."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    return [dataclasses.replace(cfg, seed=cfg.seed + start, seeds=min(chunk, cfg.seeds - start))
            for start in range(0, cfg.seeds, chunk)]


def join_runs(cfg: Config, parts: Sequence[Record]) -> Record:
    """One record of ``cfg`` from the records of its :func:`chunk_configs`, in order: every
    array concatenated along its first (run) axis; the probe times must agree; meta from the
    first part, with ``seeds`` (the run seeds) joined, ``wall_seconds`` summed and ``chunks``
    (the parts' run counts) added; the summary recomputed. A part whose config is not the
    matching chunk of ``cfg``, or whose arrays do not all lead with its run count, is an
    error (ValueError), not a silently misaligned record."""
    if not parts:
        raise ValueError("no parts to join")
    expected = chunk_configs(cfg, parts[0].seeds)
    if len(expected) != len(parts):
        raise ValueError(f"{len(parts)} parts for {len(expected)} chunks of {cfg.seeds} runs")
    for want, part in zip(expected, parts):
        if part.config != want.to_dict():
            raise ValueError(f"part {part.run_id} is not the chunk of seeds {want.run_seeds}")
        if not np.array_equal(part.times, parts[0].times):
            raise ValueError(f"part {part.run_id} has other probe times")
        if set(part.arrays) != set(parts[0].arrays):
            raise ValueError(f"part {part.run_id} has other arrays")
        for key, value in part.arrays.items():
            if np.ndim(value) == 0 or np.shape(value)[0] != part.seeds:
                raise ValueError(f"array {key} of part {part.run_id} has shape "
                                 f"{np.shape(value)}, not [{part.seeds}, ...]: cannot join runs")
    arrays = {k: np.concatenate([p.arrays[k] for p in parts]) for k in parts[0].arrays}
    meta = dict(parts[0].meta)
    meta["seeds"] = [s for p in parts for s in p.meta.get("seeds", [])]
    if all("wall_seconds" in p.meta for p in parts):
        meta["wall_seconds"] = float(sum(p.meta["wall_seconds"] for p in parts))
    meta["chunks"] = [p.seeds for p in parts]
    rec = Record(cfg.to_dict(), cfg.run_id, parts[0].times.copy(), arrays, meta)
    rec.summary = summarize(rec)
    return rec


def in_chunks(cfg: Config, train: Callable[[Config], Record], chunk: int) -> Record:
    """``train(cfg)``'s record, trained as :func:`chunk_configs` of at most ``chunk`` runs and
    joined (:func:`join_runs`); one call when ``cfg.seeds <= chunk``."""
    if cfg.seeds <= chunk:
        return train(cfg)
    return join_runs(cfg, [train(part) for part in chunk_configs(cfg, chunk)])
