"""twolayer: a theory-verification toolkit for two-layer neural networks.

Library entry points: :func:`simulate` (config → record) and the modules ``config``, ``data``,
``net``, ``engine``, ``probes``, ``record``.
"""

__version__ = "0.1.0"

from .config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig  # noqa: E402
from .engine import Runtime, train  # noqa: E402
from .record import Record  # noqa: E402
from .simulate import simulate  # noqa: E402

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
    "__version__",
]
