"""Training R runs in chunks of seeds and joining the records (twolayer.experiments.batches):
the joined record must be the record of one batch of the same R runs (an independent oracle:
the one-batch training), and a part that does not fit is an error, never a misaligned join."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.experiments import batches
from twolayer.experiments import frei2023 as frei
from twolayer.simulate import simulate


def _cfg(seeds: int = 5, seed: int = 3) -> Config:
    return Config(data=DataConfig(d=10, n=60, n_test=40, noise=0.1), net=NetConfig(m=8),
                  train=TrainConfig(lr=0.2, steps=15), seeds=seeds, seed=seed)


def test_chunk_configs_cover_exactly_the_runs_of_the_config() -> None:
    cfg = _cfg(seeds=7, seed=11)
    parts = batches.chunk_configs(cfg, 3)
    assert [p.seeds for p in parts] == [3, 3, 1]
    assert [s for p in parts for s in p.run_seeds] == cfg.run_seeds == list(range(11, 18))
    with pytest.raises(ValueError):
        batches.chunk_configs(cfg, 0)


def test_a_chunked_record_is_the_record_of_one_batch() -> None:
    cfg = _cfg()
    whole = simulate(cfg)
    joined = batches.in_chunks(cfg, simulate, 2)  # chunks of 2, 2, 1 runs
    assert joined.run_id == whole.run_id and joined.config == whole.config
    assert joined.meta["chunks"] == [2, 2, 1]
    assert joined.meta["seeds"] == whole.meta["seeds"] == [3, 4, 5, 6, 7]
    np.testing.assert_array_equal(joined.times, whole.times)
    assert set(joined.arrays) == set(whole.arrays)
    for key, value in whole.arrays.items():
        assert joined.arrays[key].shape == value.shape, key
        np.testing.assert_allclose(joined.arrays[key], value, rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    assert joined.summary["seeds"] == 5
    assert joined.summary["test_error_clean"] == pytest.approx(
        whole.summary["test_error_clean"], abs=1e-6)


def test_a_part_that_does_not_fit_is_an_error() -> None:
    cfg = _cfg(seeds=4, seed=0)
    a, b = (simulate(c) for c in batches.chunk_configs(cfg, 2))
    batches.join_runs(cfg, [a, b])  # fits
    with pytest.raises(ValueError, match="chunk of seeds"):
        batches.join_runs(cfg, [b, a])  # out of order
    with pytest.raises(ValueError, match="parts"):
        batches.join_runs(cfg, [a])  # one missing
    short = {**b.arrays, "errors/test_error": b["errors/test_error"][:1]}
    with pytest.raises(ValueError, match="cannot join"):
        batches.join_runs(cfg, [a, dataclasses.replace(b, arrays=short)])
    with pytest.raises(ValueError, match="probe times"):
        batches.join_runs(cfg, [a, dataclasses.replace(b, times=b.times + 1)])


def test_the_full_plans_regime_runs_are_disjoint_from_its_pilot() -> None:
    """The full plan's d sweep and deep setting run 100 per setting from seed 20: the seeds of
    the 20-per-setting plan that sized them (0-19) are not among them."""
    p = frei.plan(False)
    assert p.event_runs == 100 and p.event_seed == 20
    for d in p.regime.ds:
        seeds = p.regime.config(d, p.event_runs, seed=p.event_seed).run_seeds
        assert seeds == list(range(20, 120)) and not set(seeds) & set(range(20))


def test_the_public_in_chunks_is_the_same() -> None:
    from twolayer import api

    cfg = _cfg(seeds=3, seed=1)
    rec = api.in_chunks(cfg, api.simulate, 2)
    assert rec.meta["chunks"] == [2, 1] and rec.meta["seeds"] == [1, 2, 3]
    assert rec.run_id == cfg.run_id
