"""Explicit, per-run random streams.

Every random choice of run r draws from its own CPU ``torch.Generator`` seeded by
``derive_seed(seed_r, stream)``, so that a run's data, initialisation and minibatches do not
depend on the other runs of its batch, on the device, or on the order of calls.
"""

from __future__ import annotations

import hashlib

import torch


def derive_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for the named stream of one run (SHA-256 of ``"seed:stream"``)."""
    digest = hashlib.sha256(f"{seed}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def generator(seed: int, stream: str) -> torch.Generator:
    """A CPU generator for one run's stream ("data", "test", "init", "batches", ...)."""
    g = torch.Generator(device="cpu")
    g.manual_seed(derive_seed(seed, stream))
    return g


def on_cpu() -> torch.device:
    """A context in which tensor factories default to the CPU: the per-run streams are CPU
    generators, so what is drawn from them must be created on the CPU even when a caller has set
    ``torch.set_default_device("cuda")`` (``with on_cpu(): sample_dataset(...)``)."""
    return torch.device("cpu")


def permutations(gens: list[torch.Generator], n: int, epochs: int,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """[epochs, R, n]: the next ``epochs`` permutations of range(n) of each run's generator, in
    the order one ``torch.randperm(n, generator=g)`` per epoch would draw them (so drawing
    several epochs at once changes no run's stream), moved to ``device`` in one copy (pinned and
    asynchronous on a GPU: no host sync per epoch)."""
    perm = torch.stack([torch.stack([torch.randperm(n, generator=g, device="cpu")
                                     for _ in range(epochs)]) for g in gens], 1)
    if torch.device(device).type == "cuda":
        return perm.pin_memory().to(device, non_blocking=True)
    return perm
