"""Experiments: a paper's plans and runners, whose Records the claims and the figures read.

An experiment is a function ``run(quick, seeds, runtime) -> Record | dict[str, Record]``
registered under a name ``<paper>.<name>`` with :func:`experiment`. It trains through the
library (``simulate``, ``engine.train``) and returns Records only, so that its result can be
stored and read back. Claims (``twolayer.claims``) and figures (``twolayer.plots``) never train:
they ask a :class:`Runs` for an experiment's result by name.

:class:`Runs` runs each experiment at most once per process and, with a store, at most once
per *key*: the experiment's name and plan version, the mode (quick or full), the seeds, the
device type (on a CPU with its kernel path and instruction set, :func:`twolayer.simulate.cpu_path`)
and dtype policy, and a fingerprint of the code that produces runs (every module of
twolayer except the verdict, plotting and command layers, plus the experiment's own module and
the modules of its folder that it imports, :func:`source_closure`, and, for a plugin's, the
modules of its folder that register a probe, data kind or loss, :func:`registered_code`: a
plugin's data or probe code is part of its experiments' keys, its claims and figures are not).
A result stored under the same key is read back (verified) instead of trained; changing a
verdict rule or a figure retrains nothing, changing the engine or an experiment retrains.
The default store is ``$TWOLAYER_STORE`` or ``<user cache>/twolayer/store``.

Paper modules in this package register on import (:data:`PAPERS`).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib
import inspect
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import sources
from ..engine import Runtime
from ..errors import ConfigError, DivergenceError
from ..record import FORMAT_VERSION, Record
from ..store import RecordStore
from ..timing import phase

Result = Any  # Record | dict[str, Record] (other objects are kept in memory only, never stored)
ExperimentFn = Callable[[bool, "int | None", Runtime], Result]

# Modules whose code does not change what a run measures: verdict rules, figures, the CLI,
# sweeps, benchmarks, the public API's re-exports and reference generator, the exception
# classes, plugin loading and the CLI's signal handlers. Every other module of twolayer is part
# of the code fingerprint.
NOT_RUN_CODE = ("claims", "plots", "commands", "bench", "sweep", "cli.py", "clidoc.py",
                "__main__.py", "stats.py", "store.py", "experiments", "api.py", "apidoc.py",
                "sequential.py", "timing.py", "spawned.py", "conditions.py", "errors.py",
                "plugins.py", "sources.py", "signals.py")  # (a plugin's own code is part of
# its experiments' keys, :func:`source_closure`)


@dataclass(frozen=True)
class Experiment:
    name: str  # "<paper>.<short name>"
    paper: str
    run: ExperimentFn = field(repr=False)
    version: int = 1  # bump when the plan changes in a way the code fingerprint cannot see
    source: str = ""  # the file that defines it (part of its key)


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, version: int = 1) -> Callable[[ExperimentFn], ExperimentFn]:
    """Decorator registering ``run(quick, seeds, runtime)`` as the experiment ``name``."""

    def deco(fn: ExperimentFn) -> ExperimentFn:
        paper = name.split(".", 1)[0]
        source = getattr(sys.modules.get(fn.__module__), "__file__", "") or ""
        if name in EXPERIMENTS and EXPERIMENTS[name].source != source:
            from ..errors import TwolayerError

            raise TwolayerError(f"experiment {name!r} is defined twice: in "
                                f"{EXPERIMENTS[name].source} and in {source}")
        EXPERIMENTS[name] = Experiment(name, paper, fn, version, source)
        if source:  # the code as imported (Runs.key checks it; twolayer's own files were
            # digested at `import twolayer`, a plugin's as it loads, plugins.py)
            snapshot_sources([Path(source)])
        return fn

    return deco


def _file_digest(path: str | os.PathLike[str]) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _relative_imports(path: Path, root: Path | None = None) -> set[Path]:
    """The files of ``path``'s own folder (or its subfolders) that ``path`` imports relatively:
    ``from .data import x`` → data.py, ``from . import train`` → train.py, ``from .sub import
    mod`` → sub/__init__.py and sub/mod.py (those that exist). Imports from above the folder
    (``from ..engine import``) are twolayer's own, covered by :func:`code_fingerprint`; with
    ``root`` (a plugin package's folder) those that stay inside ``root`` are followed too (a
    plugin's ``exps/run.py`` importing ``from ..data import draw``: its data.py)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    found: set[Path] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level >= 1):
            continue
        if node.level == 1:
            base = path.parent
        else:
            ups = path.parent.parents
            if root is None or node.level - 2 >= len(ups):
                continue
            base = ups[node.level - 2]
            if not base.resolve().is_relative_to(root.resolve()):
                continue
        target = base.joinpath(*node.module.split(".")) if node.module else base
        candidates = [target.with_suffix(".py"), target / "__init__.py"] if node.module else []
        for alias in node.names:
            candidates += [target / f"{alias.name}.py", target / alias.name / "__init__.py"]
        found.update(c for c in candidates if c.is_file())
    return found


def source_closure(path: str | os.PathLike[str], root: Path | None = None) -> list[Path]:
    """An experiment's own module and every module of its folder that it imports relatively,
    directly or through one another (a plugin's experiments.py → train.py → data.py), sorted:
    the code besides twolayer's that produces its runs. ``root``: the plugin package's folder,
    inside which imports from a parent package (``from ..data import``) are followed too."""
    start = Path(path).resolve()
    seen, todo = {start}, [start]
    while todo:
        for dep in _relative_imports(todo.pop(), root):
            dep = dep.resolve()
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return sorted(seen)


def _code_files(fn: Any) -> set[Path]:
    """The files of a registered function or class (a probe, a loss's functions, a data
    kind's config class, sampler and the functions its closure holds, e.g. an
    :func:`~twolayer.data.iid_sampler`'s setup and draw)."""
    out: set[Path] = set()
    todo, seen = [fn], set()
    while todo:
        f = todo.pop()
        if id(f) in seen or f is None:
            continue
        seen.add(id(f))
        code = getattr(f, "__code__", None)
        if code is not None:
            out.add(Path(code.co_filename))
            todo += [c.cell_contents for c in (getattr(f, "__closure__", None) or ())
                     if callable(_cell(c))]
            todo.append(getattr(f, "__wrapped__", None))
        elif isinstance(f, type):
            try:
                out.add(Path(inspect.getfile(f)))
            except (TypeError, OSError):
                pass
    return out


def _cell(c: Any) -> Any:
    try:
        return c.cell_contents
    except ValueError:  # an empty cell
        return None


def registered_code(folder: Path) -> list[Path]:
    """The files under ``folder`` that define a registered probe, data kind or loss: code a
    run uses by name (``ProbeConfig(probes=(...))``, ``DataConfig(kind=...)``,
    ``TrainConfig(objective=...)``) without the experiment's module importing it."""
    from ..config import data_kinds
    from ..net.model import LOSSES
    from ..probes import REGISTRY

    found: set[Path] = set()
    for fn in REGISTRY.values():
        found |= _code_files(fn)
    for kind in data_kinds().values():
        for part in (kind.config, kind.sample, kind.stream, kind.summary):
            found |= _code_files(part)
    for loss in LOSSES.values():
        for part in (loss.value, loss.value_and_dloss, loss.psi_):
            found |= _code_files(part)
    folder = folder.resolve()
    return sorted(p.resolve() for p in found
                  if p.suffix == ".py" and p.resolve().is_relative_to(folder)
                  and p.resolve().is_file())


def source_digest(path: str | os.PathLike[str], registered: bool = False,
                  root: Path | None = None) -> str:
    """SHA-256 of an experiment's :func:`source_closure`: of the file's bytes alone when it
    imports no sibling (as keys were before closures, so stored runs stay valid), else over
    each file's path relative to the experiment's folder and its bytes. ``registered`` (a
    plugin's experiment): also the closures of the files of its folder that register a probe,
    data kind or loss (:func:`registered_code`), which its runs may name without importing
    them. ``root``: the folder of the plugin package the experiment belongs to (its module may
    sit in a subfolder): imports from parent packages inside it are followed, and its
    registering files are looked for in all of it. "unreadable" when a file cannot be read or
    parsed (then nothing stored under another digest is reused)."""
    try:
        files = source_files(path, registered, root)
    except (OSError, SyntaxError, ValueError):
        return "unreadable"
    if len(files) == 1:
        return _file_digest(files[0])
    try:
        return files_digest(files, Path(path).resolve().parent)
    except OSError:
        return "unreadable"


def source_files(path: str | os.PathLike[str], registered: bool = False,
                 root: Path | None = None) -> list[Path]:
    """The files :func:`source_digest` digests, sorted (OSError, SyntaxError or ValueError
    when one cannot be read or parsed)."""
    files = source_closure(path, root)
    if registered:
        more = set(files)
        for f in registered_code(root or Path(path).resolve().parent):
            more |= set(source_closure(f, root))
        files = sorted(more)
    return files


# Every file of an experiment's key as it was when imported (twolayer's own at `import
# twolayer`, a plugin's when it loads) is kept by twolayer.sources: a key digests the files on
# disk, so a file edited while a command runs would key the old code's runs as the new code's
# (twolayer's own experiment modules too: they are outside the code fingerprint, NOT_RUN_CODE,
# so their digest in the key is all that tells their runs apart)
def snapshot_sources(files: Iterable[Path]) -> None:
    """Remember ``files``' contents as imported (a plugin's, when it loads)."""
    for f in files:
        sources.remember(Path(f))


def _edited_since_loaded(exp: Experiment) -> list[Path]:
    """The files of an experiment's key that changed on disk since they were imported in this
    process (its module's, or its plugin's). Where they cannot be read or parsed now (a
    half-saved edit: its key would say "unreadable", under which the code as imported would be
    stored and later read back), the files of its folder (its plugin's) as imported that
    changed or vanished."""
    try:
        files = source_files(exp.source, registered=_outside_the_package(exp),
                             root=_plugin_root(exp))
    except (OSError, SyntaxError, ValueError):
        base = _plugin_root(exp) or Path(exp.source).resolve().parent
        files = sources.seen_under(base)
    return sources.changed([f for f in files if sources.seen(f)])  # vanished: changed


def files_digest(files: Iterable[Path], base: Path) -> str:
    """SHA-256 (hex) over ``files`` in the order given: each one's path relative to ``base``
    (with "/") and its bytes, each followed by a NUL. OSError when a file cannot be read."""
    h = hashlib.sha256()
    for f in files:
        rel = Path(os.path.relpath(f, base)).as_posix()
        h.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


_CODE_FINGERPRINT: tuple[str, list[Path]] | None = None


def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) over the source of every run-producing module of twolayer (the C
    source of its CPU kernels included): :func:`source_fingerprint` of the package, computed
    once per process. Each call first checks that those files are still the ones this process
    imported (:func:`twolayer.sources.check_unchanged`): RunCodeChanged (exit status 2) where
    one was edited since, whose runs the fingerprint would misname."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        root = Path(__file__).resolve().parent.parent
        files = run_code_files(root)
        _CODE_FINGERPRINT = (files_digest(files, root)[:16], files)
    fingerprint, files = _CODE_FINGERPRINT
    sources.check_unchanged(files)
    return fingerprint


def run_code_files(root: Path) -> list[Path]:
    """The ``*.py`` and ``*.c`` files under ``root`` (a package directory), sorted, except
    those under :data:`NOT_RUN_CODE`."""
    return [p for p in sorted([*root.rglob("*.py"), *root.rglob("*.c")])
            if p.relative_to(root).parts[0] not in NOT_RUN_CODE]


def source_fingerprint(root: Path) -> str:
    """SHA-256 (16 hex digits) over :func:`run_code_files` of ``root``, their paths included
    (read now, unchecked: :func:`code_fingerprint` is this package's)."""
    return files_digest(run_code_files(root), root)[:16]


def default_store_dir() -> Path:
    """``$TWOLAYER_STORE``, else ``$XDG_CACHE_HOME/twolayer/store``, else
    ``~/.cache/twolayer/store``."""
    env = os.environ.get("TWOLAYER_STORE")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "twolayer" / "store"


def storable(result: Any) -> bool:
    if isinstance(result, Record):
        return True
    return (isinstance(result, dict) and bool(result)
            and all(isinstance(k, str) and isinstance(v, Record) for k, v in result.items()))


def _registered(name: str) -> Experiment:
    """The experiment ``name``, the built-in papers' modules imported first where it is not
    registered yet (``Runs.key`` and ``Runs.prefetch`` before any ``get`` used to raise a bare
    KeyError for a built-in name); a TwolayerError naming the known ones for an unknown name."""
    if name not in EXPERIMENTS:
        load_all()
    if name not in EXPERIMENTS:
        from ..errors import TwolayerError

        close = difflib.get_close_matches(name, list(EXPERIMENTS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TwolayerError(f"no experiment named {name!r}{hint}; known: "
                            + ", ".join(sorted(EXPERIMENTS)))
    return EXPERIMENTS[name]


@dataclass
class Runs:
    """The experiments' results for one mode (quick or full), seeds and runtime: each one run
    at most once, read from ``store`` when it holds the same key."""

    quick: bool = False
    seeds: int | None = None
    runtime: Runtime = field(default_factory=Runtime)
    store: RecordStore | None = None
    trained: list[str] = field(default_factory=list)  # experiments trained by this object
    reused: list[str] = field(default_factory=list)  # experiments read from the store
    asked: list[str] = field(default_factory=list)  # every get(), in order (cached ones too)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time to train or read each
    # wall time each result took to compute: trained now, or as its store entry says (absent
    # for an entry written before entries kept it); --seeds auto estimates looks from it
    train_seconds: dict[str, float] = field(default_factory=dict)
    # experiments trained by worker processes of prefetch() into the store: name -> seconds
    prefetched: dict[str, float] = field(default_factory=dict)
    # sweeps a figure trained through this object (the phase diagrams): name -> (points
    # trained, points read from the sweep's store)
    sweep_points: dict[str, tuple[int, int]] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def key(self, name: str) -> dict[str, Any]:
        """What a stored result must match to be reused. An experiment whose files changed
        on disk since this process imported them is a PluginCodeError (a plugin's) or an
        ExperimentCodeChanged (twolayer's own, in a source checkout), exit status 2: its runs
        would be trained with the old code and keyed as the new code's."""
        exp = _registered(name)
        if exp.source and (edited := _edited_since_loaded(exp)):
            from ..errors import ExperimentCodeChanged, PluginCodeError

            changed = ", ".join(str(f) for f in edited)
            if _outside_the_package(exp):
                raise PluginCodeError(
                    f"experiment {name!r}", exp.source, "cannot run: " + changed + " changed on "
                    "disk since this command imported the plugin; its runs would be trained "
                    "with the code as imported and stored as the edited code's. Run the "
                    "command again")
            raise ExperimentCodeChanged(name, changed)
        key = {
            "experiment": name,
            "version": exp.version,
            "quick": bool(self.quick),
            "seeds": self.seeds,
            "device": self.runtime.torch_device.type,
            "format": FORMAT_VERSION,
            "code": code_fingerprint(),
            "source": (source_digest(exp.source, registered=_outside_the_package(exp),
                                     root=_plugin_root(exp)) if exp.source else ""),
            "torch": torch.__version__.split("+")[0],
        }
        if self.runtime.torch_device.type == "cpu":  # the CPU kernel path and instruction set
            # decide a CPU run's last bits (a store filled by a build with the C extension, or
            # on an AVX-512 host, served its runs to a PyTorch-fallback or AVX2 one as its own)
            from ..simulate import cpu_path

            key["cpu"] = cpu_path()
        if getattr(self.runtime, "tf32", False):  # TF32 runs are other numbers (old keys kept)
            key["tf32"] = True
        if self.runtime.torch_device.type != "cpu":
            from ..net import gpu_kernels

            if gpu_kernels.enabled(self.runtime.torch_device):  # so are the fused pass's runs
                key["fused_gpu"] = True
            if gpu_kernels.forward_enabled(self.runtime.torch_device):  # and its forward's
                key["fused_gpu_forward"] = True
            if gpu_kernels.backward_enabled(self.runtime.torch_device):  # and backward's
                key["fused_gpu_backward"] = True
        return key

    def at_seeds(self, seeds: int | None) -> Runs:
        """A fresh Runs of the same mode, runtime and store at ``seeds`` seeds (``--seeds auto``
        makes one per look; runs are deterministic per run index, so a larger seed count
        contains the smaller one's runs: to float32 rounding under exact GD and SGD, to the
        integrator's tolerance under the flow, whose runs share one step size; hence the
        tolerance of :func:`twolayer.sequential.nested`)."""
        return Runs(quick=self.quick, seeds=seeds, runtime=self.runtime, store=self.store)

    def prefetch(self, names: list[str] | tuple[str, ...], jobs: int | None = None) -> list[str]:
        """Train the experiments of ``names`` that the store lacks at once, one worker process
        each (up to ``jobs``, default the CPU count): for experiments that leave cores idle
        (one thread of many tiny steps); ``get`` then reads them back. Returns the names the
        workers trained. Does nothing without a store, on a GPU unless ``jobs`` is given, or
        with fewer than two missing (:mod:`twolayer.experiments.prefetch`)."""
        from .prefetch import prefetch

        if self.store is None:
            return []
        with phase("training"):
            return prefetch(self, names, jobs)

    def get(self, name: str) -> Any:
        """The result of experiment ``name`` (trained, or read back from the store). Every
        claim and figure reads the same Records, so their arrays are read-only: copy one
        (``x.copy()``) before changing it in place."""
        self.asked.append(name)
        if name in self._cache:
            return self._cache[name]
        _registered(name)
        result = None
        t0 = time.perf_counter()
        key = self.key(name) if self.store is not None else None
        if key is not None:
            with phase("store"):
                result, took = self.store.get_entry_timed(key)
            if result is not None:
                if name in self.prefetched:  # trained for this object by a prefetch worker
                    self.trained.append(name)
                    self.train_seconds[name] = self.prefetched[name]
                else:
                    self.reused.append(name)
                    if took is not None:
                        self.train_seconds[name] = took
        if result is None:
            exp = EXPERIMENTS[name]
            with phase("training"):
                try:
                    result = exp.run(self.quick, self.seeds, self.runtime)
                except ConfigError as e:
                    raise _in_experiment(e, exp) from None
                except DivergenceError as e:  # its hint named simulate's flags
                    raise DivergenceError(
                        e.run, e.step, e.seed, f"in experiment {name!r} ({_line_in(e, exp)}): "
                        "try a smaller train.lr or net.init_var in the config it builds"
                    ) from None
            if not storable(result) and _outside_the_package(exp):
                from ..errors import ExperimentResultError

                raise ExperimentResultError(name, exp.source, _what(result))
            took = time.perf_counter() - t0
            self.train_seconds[name] = took
            self.trained.append(name)
            if key is not None and storable(result):
                from ..resources import writing

                # a full disk or a refused write: one line naming the store (WriteFailed, exit
                # 1), not an OSError that check reported as the claim's own "error" verdict
                # and figures as a traceback
                with phase("store"), writing(self.store.root):
                    try:
                        self.store.put_entry(key, result, seconds=took)
                    except (TypeError, ValueError) as e:  # a plugin's Record JSON cannot hold
                        if not _outside_the_package(exp):
                            raise
                        from ..errors import ExperimentResultError

                        # the claim that asked reported it as its own error, at its get() line
                        raise ExperimentResultError(
                            name, exp.source, f"a Record that cannot be stored "
                            f"({type(e).__name__}: {e})", "whose config and meta must hold "
                            "JSON values only (numbers, strings, lists, dicts; an array as "
                            "a list, or in the Record's arrays)") from None
        self.seconds[name] = time.perf_counter() - t0
        _read_only(result)
        self._cache[name] = result
        return result


@contextmanager
def reading_records() -> Iterator[None]:
    """Where claims and figures read the Records of :meth:`Runs.get`: torch's warning on a
    tensor made from a read-only array (``torch.as_tensor(rec["x"])`` shares its memory) is
    not shown; the arrays are read-only only so that a check cannot change another's numbers,
    and twolayer's readers do not write through such a tensor."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable",
                                category=UserWarning)
        yield


def _read_only(result: Any) -> None:
    """Make the arrays of a result's Records read-only: every claim and figure of a command
    reads the same cached Records, so a check that changed one in place (``np.abs(x, out=x)``,
    ``x.sort()``, ``x[x > 1] = 1``) changed what every later claim measured (a wrong *holds*
    that depended on which claims were checked together); now it raises where it writes."""
    for rec in (result.values() if isinstance(result, dict) else (result,)):
        if isinstance(rec, Record):
            for a in (rec.times, *rec.arrays.values()):
                if isinstance(a, np.ndarray):
                    a.setflags(write=False)


def _plugin_root(exp: Experiment) -> Path | None:
    """The folder of the package a plugin's experiment belongs to (its top-level package: a
    plugin folder, or an installed plugin package), when its module is inside one; else None
    (a one-file plugin, a built-in experiment)."""
    if not exp.source or not _outside_the_package(exp):
        return None
    top = sys.modules.get((getattr(exp.run, "__module__", None) or "").split(".")[0])
    where = list(getattr(top, "__path__", None) or [])
    if not where:
        return None
    root = Path(where[0]).resolve()
    return root if Path(exp.source).resolve().is_relative_to(root) else None


def _outside_the_package(exp: Experiment) -> bool:
    """Whether ``exp`` is a plugin's (defined in a file outside the twolayer package)."""
    if not exp.source:
        return False
    package = Path(__file__).resolve().parent.parent
    return not Path(exp.source).resolve().is_relative_to(package)


def _what(result: Any) -> str:
    """How to name an experiment's result that is not a Record or a dict of Records."""
    if isinstance(result, dict) and result:
        bad = next((k, v) for k, v in result.items()
                   if not (isinstance(k, str) and isinstance(v, Record)))
        return f"a dict whose entry {bad[0]!r} is a {type(bad[1]).__name__}"
    if isinstance(result, dict):
        return "an empty dict"
    return "None (no return statement?)" if result is None else f"a {type(result).__name__}"


def _in_experiment(e: ConfigError, exp: Experiment) -> ConfigError:
    """A ConfigError raised while ``exp`` ran, naming the experiment and where: the innermost
    line of the experiment's own file in the traceback (the line that built the config or
    called the training), else of its folder, unless it already names one."""
    from ..errors import ExperimentConfigError, PluginCodeError

    if isinstance(e, (ExperimentConfigError, PluginCodeError)):  # it names where to fix it
        return e
    return ExperimentConfigError(e.field, e.value, e.valid, exp.name, _line_in(e, exp))


def _line_in(e: BaseException, exp: Experiment) -> str:
    """Where ``e`` left ``exp``: the innermost line of the experiment's own file in the
    traceback (the line that built the config or called the training), else of its folder,
    else the file (or the experiment's name)."""
    where = exp.source or exp.name
    if exp.source:
        own = Path(exp.source).resolve()
        frames = [(f, Path(f.filename).resolve()) for f in traceback.extract_tb(e.__traceback__)]
        hits = ([f for f, p in frames if p == own]
                or [f for f, p in frames if p.is_relative_to(own.parent)])
        if hits:
            where = f"{hits[-1].filename}:{hits[-1].lineno}"
    return where


# Paper modules register their experiments on import (one entry per paper).
PAPERS: tuple[str, ...] = ("frei2023", "liu2023", "maennel2020", "vashisht2024", "badger2022")


def load_all() -> None:
    """Import every built-in paper's experiment module."""
    for paper in PAPERS:
        importlib.import_module(f"{__name__}.{paper}")
