"""twolayer: a theory-verification toolkit for two-layer neural networks.

Library entry points: :func:`simulate` (config → record) and the modules ``config``, ``data``,
``net``, ``engine``, ``probes``, ``record``.
"""

__version__ = "0.1.0"

from .config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig  # noqa: E402
from .engine import Runtime, train  # noqa: E402
from .record import Record  # noqa: E402
from .simulate import simulate  # noqa: E402


def check(
    selection: str | list[str] = "all",
    quick: bool = False,
    seeds: int | None = None,
    runtime: Runtime | None = None,
) -> list:
    """Check the claims of the given papers or claim ids (``"all"``: every paper) and return one
    :class:`twolayer.claims.Verdict` per claim (see :func:`twolayer.claims.run_checks`)."""
    from .claims import run_checks

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
