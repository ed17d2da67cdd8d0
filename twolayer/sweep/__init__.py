"""Sweeps: a declarative grid of settings (TOML spec), a resumable result store, and executors
that train the grid on this machine (a process pool), on a Dask cluster or through SLURM.

- :mod:`.spec`: read and validate a spec; its points and their configs;
- :mod:`.worker`: groups of same-shape points trained in one batched engine call;
- :mod:`.store`: one record per point under its config's content hash; summary tables;
- :mod:`.executors`: local, dask, slurm;
- :mod:`.runner`: :func:`run_sweep` ties them together (resume is the default).

See ``docs/sweeps.md``.
"""

from .runner import SweepReport, load_records, run_sweep
from .spec import SpecError, SweepSpec, load, loads
from .store import Store

__all__ = ["SpecError", "Store", "SweepReport", "SweepSpec", "load", "loads", "load_records",
           "run_sweep"]
