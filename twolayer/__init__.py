"""twolayer: a theory-verification toolkit for two-layer neural networks.

Library entry points: :func:`simulate` (config → record) and the modules ``config``, ``data``,
``net``, ``engine``, ``probes``, ``record``.
"""

from . import sources  # noqa: F401  (first: the source files as imported, twolayer.sources)
from ._version import __version__
from .config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from .engine import Runtime, train
from .record import Record
from .simulate import simulate


def check(
    selection: str | list[str] = "all",
    quick: bool = False,
    seeds: int | None = None,
    runtime: Runtime | None = None,
) -> list:
    """Check the claims of the given papers or claim ids (``"all"``: every paper) and return one
    :class:`twolayer.claims.Verdict` per claim (see :func:`twolayer.claims.run_checks`)."""
    from .claims import run_checks  # plugin loading: the papers' claims, on demand

    sel = [selection] if isinstance(selection, str) else list(selection)
    return run_checks(sel, quick=quick, seeds=seeds, runtime=runtime)


__all__ = [
    "Config",
    "DataConfig",
    "NetConfig",
    "ProbeConfig",
    "Record",
    "Runtime",
    "TrainConfig",
    "simulate",
    "train",
    "check",
    "__version__",
]
