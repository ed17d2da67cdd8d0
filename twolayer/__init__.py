"""twolayer: a theory-verification toolkit for two-layer neural networks.

Library entry points: :func:`simulate` (config → record) and the modules ``config``, ``data``,
``net``, ``engine``, ``probes``, ``record``.

``import twolayer`` imports neither PyTorch nor the engine: the names below and the submodules
load on first use (PEP 562). The ``twolayer`` command installs its SIGINT/SIGTERM handlers
before it imports PyTorch, so a Ctrl-C while a command starts ends it with one line and exit
status 130, as later (``twolayer.cli.main``); under ``python -m twolayer`` the first statement
below installs them (:func:`twolayer_start.early`), and nowhere else does ``import twolayer``
touch a signal handler.
"""

from __future__ import annotations

import sys

if sys.argv[:1] == ["-m"]:  # python -m <module>: if it is twolayer, its handlers first
    try:
        import twolayer_start
    except ImportError:  # an editable install made before twolayer_start existed
        pass
    else:
        twolayer_start.early()

import importlib  # noqa: E402
import types  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from . import sources  # noqa: F401  (first: the source files as imported, twolayer.sources)
from ._version import __version__

if TYPE_CHECKING:
    from .config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
    from .engine import Runtime, train
    from .record import Record
    from .simulate import simulate

# public name -> the submodule that defines it (imported on first access)
_LAZY = {
    "Config": "config",
    "DataConfig": "config",
    "NetConfig": "config",
    "ProbeConfig": "config",
    "TrainConfig": "config",
    "Runtime": "engine",
    "train": "engine",
    "Record": "record",
    "simulate": "simulate",
}


def __getattr__(name: str) -> Any:
    """A public name of :data:`__all__`, or a submodule (``twolayer.engine`` after a bare
    ``import twolayer``), imported now; AttributeError for anything else."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if _is_submodule(name):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_submodule(name: str) -> bool:
    """Whether ``name`` is a module or package of twolayer (a file beside this one)."""
    if not name.isidentifier() or name.startswith("__"):
        return False
    root = sources.ROOT
    return (root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()


class _Package(types.ModuleType):
    """twolayer's module type: importing the submodule ``twolayer.simulate`` (which the engine's
    callers do) would rebind the package's name ``simulate`` to that module, as Python binds a
    submodule on its package; the name stays the function :func:`simulate.simulate`."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
