"""Synthetic datasets for a batch of R runs: one independent draw per run seed.

:func:`sample_dataset` returns a :class:`Dataset` whose tensors carry a leading run axis R:
x [R, n, d], clean labels ỹ, training labels y (corrupted at rate η), the noisy mask, cluster
ids, and a test set of ``n_test`` points with both clean and noisy (same noise model) labels.
Binary labels (K = 2) are ±1, K-class labels 0..K−1 (int64). Everything is sampled on the CPU from
per-run generators, so the data do not depend on the device or on the other runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

from ..config import DataConfig
from ..seeding import generator
from . import clusters, gaussian, lms, xor
from .noise import corrupt


@dataclass(frozen=True)
class Dataset:
    x: torch.Tensor  # [R, n, d]
    y_true: torch.Tensor  # [R, n] clean labels ỹ
    y: torch.Tensor  # [R, n] training labels (possibly corrupted)
    noisy: torch.Tensor  # [R, n] bool: y != ỹ
    cluster: torch.Tensor  # [R, n] cluster ids
    x_test: torch.Tensor  # [R, n_test, d]
    y_test_true: torch.Tensor  # [R, n_test] clean test labels
    y_test: torch.Tensor  # [R, n_test] noisy test labels (same noise model and rate)
    cluster_test: torch.Tensor  # [R, n_test]
    means: torch.Tensor  # [R, 2, d] (μ1, μ2) for xor, [R, K, d] for clusters; lms/linxor:
    # the 0/1 masks of the simple (row 0) and complex (row 1) coordinates (see data.lms);
    # gaussian: [R, d + t, d] eigenbasis v_1..v_d of Σ_x, then the teacher (see data.gaussian)
    num_classes: int
    kind: str

    @property
    def runs(self) -> int:
        return self.x.shape[0]

    @property
    def binary(self) -> bool:
        """Two classes, labelled ±1 (K-class labels are 0..K−1)."""
        return self.num_classes == 2

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Dataset:
        """Move tensors to a device; floating tensors also to ``dtype`` if given."""
        moved = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, torch.Tensor):
                v = v.to(device=device, dtype=dtype if (dtype and v.is_floating_point()) else None)
            moved[f.name] = v
        return replace(self, **moved)

    def select(self, runs: list[int] | slice) -> Dataset:
        """The sub-batch of the given runs."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name)[runs]
                for f in fields(self)
                if isinstance(getattr(self, f.name), torch.Tensor)
            },
        )


def _one_run(cfg: DataConfig, seed: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    gen = generator(seed, "data")
    if cfg.kind in lms.KINDS:  # fixed coordinate roles, no random draw from ``gen``
        mu = lms.role_masks(cfg.kind, cfg.d, cfg.slabs, dtype)
        sampler, k = lms.sampler(cfg.kind, cfg.slabs, cfg.margin), 2
    elif cfg.kind == "gaussian":  # fixed Σ_x and teacher (the same in every run)
        sig2 = gaussian.spectrum(cfg.d, cfg.spectrum, cfg.sigma2_min, cfg.sigma2_max)
        mu = gaussian.distribution(cfg.d, cfg.num_classes, sig2, cfg.rotate, dtype)
        sampler, k = gaussian.sampler(sig2), cfg.num_classes
    elif cfg.kind == "xor":
        mu = xor.means(cfg.d, cfg.rotate, gen, dtype)
        sampler, k = xor.sample, 2
    else:
        mu = clusters.means(cfg.num_classes, cfg.d, gen, dtype)
        sampler, k = clusters.sample, cfg.num_classes
    sigma2 = cfg.sigma2 if cfg.sigma2 is not None else float(cfg.d) ** -1.2
    out: dict[str, torch.Tensor] = {"means": mu}
    for split, n, stream in (("", cfg.n, "train"), ("_test", cfg.n_test, "test")):
        g = generator(seed, "data-" + stream)
        x, y_true, cluster = sampler(n, mu, sigma2, cfg.cluster_dist, g, dtype)
        y, noisy = corrupt(cfg.noise_model, cfg.noise, y_true, cluster, x, mu, k, g)
        out["x" + split] = x
        out["y_true" if not split else "y_test_true"] = y_true
        out["y" + split] = y
        out["cluster" + split] = cluster
        if not split:
            out["noisy"] = noisy
    return out


def sample_dataset(
    cfg: DataConfig, seeds: list[int], dtype: torch.dtype = torch.float32
) -> Dataset:
    """One independent draw of train and test data per seed, stacked on a leading run axis."""
    runs = [_one_run(cfg, s, dtype) for s in seeds]
    stacked = {k: torch.stack([r[k] for r in runs]) for k in runs[0]}
    k = cfg.num_classes if cfg.kind in ("clusters", "gaussian") else 2
    return Dataset(num_classes=k, kind=cfg.kind, **stacked)


def kind_summary(kind: str, arrays: dict) -> dict:
    """Headline numbers a data kind contributes to a record's summary ({name: [R] values}),
    from the record's arrays: its module's ``summary(arrays)`` when it has one."""
    module = {"xor": xor, "gaussian": gaussian, "clusters": clusters}.get(kind)
    fn = getattr(module, "summary", None)
    return fn(arrays) if fn is not None else {}


own_mean_correlation = xor.own_mean_correlation

__all__ = ["Dataset", "kind_summary", "own_mean_correlation", "sample_dataset"]
