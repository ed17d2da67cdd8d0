"""Plugins: a researcher's own claims, experiments, figures, probes, data kinds and theorem
premises (`twolayer conditions`), loaded from a path or an installed package, registered exactly
like the built-in papers'.

A plugin is a ``.py`` file or a folder (a package: its ``__init__.py`` runs, and it may import
its own sibling modules relatively). It imports what it needs from :mod:`twolayer.api` and
registers with the decorators there. Installed packages register through the entry-point group
``twolayer.plugins`` (each entry point names a module, imported on load).

Errors are local and clear: a syntax error or an exception while importing names the file and
the line (:class:`PluginError`, exit status 2, nothing written); an id that is already
registered names both places.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .errors import TwolayerError

ENTRY_POINT_GROUP = "twolayer.plugins"
# plugins (paths, os.pathsep-separated) that worker processes load before they build configs:
# set by a sweep spec's ``plugins``
PLUGIN_ENV = "TWOLAYER_PLUGINS"


class PluginError(TwolayerError):
    """A plugin that could not be loaded: where (file:line) and why."""

    def __init__(self, where: str, why: str):
        self.where, self.why = where, why
        super().__init__(f"plugin {where}: {why}")

    def __reduce__(self):
        return (PluginError, (self.where, self.why))


@dataclass
class Plugin:
    """What one plugin registered."""

    source: str
    module: ModuleType | None = None
    claims: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    data_kinds: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # papers for `twolayer conditions`

    @property
    def papers(self) -> list[str]:
        return sorted({c.split(".", 1)[0] for c in self.claims + self.experiments})


_LOADED: dict[str, Plugin] = {}


def is_plugin_path(text: str) -> bool:
    """A selection that names a plugin path rather than a paper or claim id: a ``.py`` file,
    a name with a path separator or a leading ".", or a folder. A bare name that is a known
    paper or claim id (or ``all``) means the id even when a folder of that name exists in the
    working directory (``./frei2023`` names the folder)."""
    seps = [os.sep, "/"] + ([os.altsep] if os.altsep else [])
    if text.endswith(".py") or text.startswith(".") or any(s in text for s in seps):
        return True
    return Path(text).is_dir() and not _is_known_id(text)


def _is_known_id(text: str) -> bool:
    """``text`` selects registered claims as ``twolayer check`` reads it: ``all``, a paper, a
    claim id or a prefix of claim ids (``frei2023.theorem1``)."""
    from .claims import CLAIMS

    return text == "all" or any(c.paper == text or c.id == text or c.id.startswith(text + ".")
                                for c in CLAIMS.values())


def _registries() -> dict[str, set[str]]:
    from .claims import CLAIMS
    from .conditions import CONDITIONS
    from .config import data_kinds
    from .experiments import EXPERIMENTS
    from .plots import FIGURES
    from .probes import REGISTRY

    return {"claims": set(CLAIMS), "experiments": set(EXPERIMENTS), "figures": set(FIGURES),
            "probes": set(REGISTRY), "data_kinds": set(data_kinds()),
            "conditions": set(CONDITIONS)}


def _where(exc: BaseException, root: Path) -> str:
    """file:line of the innermost frame of ``exc`` inside the plugin (else the outermost)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    # (not code from a string, "<string>": a dataclass's generated __init__, which resolves
    # into the working directory, the plugin's folder when run from there: session 48)
    inside = [f for f in frames if not f.filename.startswith("<")
              and Path(f.filename).resolve().is_relative_to(root)]
    f = (inside or frames or [None])[-1]
    return f"{f.filename}:{f.lineno}" if f is not None else str(root)


def load_path(path: str | Path) -> Plugin:
    """Import the plugin at ``path`` (a ``.py`` file or a package folder) once; return what it
    registered. PluginError if it does not exist or fails to import."""
    p = Path(path).expanduser()
    try:
        if not p.exists():
            raise PluginError(str(path), "no such file or folder")
        p = p.resolve()
    except OSError as e:  # a name over 255 bytes, a folder on the way that cannot be entered:
        # exists() raises (a traceback before: --plugin is loaded before the parser is built)
        raise PluginError(str(path), f"cannot be looked up: {e.strerror or e}") from None
    key = str(p)
    if key in _LOADED:
        return _LOADED[key]
    if p.is_dir():
        init = p / "__init__.py"
        if not init.is_file():
            raise PluginError(str(path), "a plugin folder needs an __init__.py that registers "
                                         "its claims, experiments and figures")
        file, locations = init, [str(p)]
    elif p.suffix == ".py":
        file, locations = p, None
    else:
        raise PluginError(str(path), "a plugin is a .py file or a folder with __init__.py")
    if (installed := _installed_at(p, file)) is not None:
        _LOADED[key] = installed
        return installed
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    # an identifier: a dot in the folder's name ("paper.v2") made a dotted module name, whose
    # relative imports looked for a parent package "twolayer_plugin_paper" (ModuleNotFoundError)
    name = f"twolayer_plugin_{re.sub(r'[^0-9A-Za-z_]', '_', p.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(name, file,
                                                  submodule_search_locations=locations)
    if spec is None or spec.loader is None:  # pragma: no cover - a path importlib refuses
        raise PluginError(str(path), "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    before = _registries()
    loaded_before = set(_LOADED)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except TwolayerError as e:  # e.g. an id registered twice: the message names both places
        sys.modules.pop(name, None)
        raise PluginError(_where(e, p.parent if locations is None else p), str(e)) from None
    except (Exception, SystemExit) as e:  # noqa: BLE001 - reported with the plugin's file, line
        # (SystemExit: a plugin's sys.exit() or `raise SystemExit` at import ended the command
        # with that status and no word, check with no verdict at all, exit 0)
        sys.modules.pop(name, None)
        why = _import_failure(e)
        # the internal module name is one the user never wrote: say the folder's (file's) name,
        # as the plugin's own relative imports refer to it
        why = why.replace(name, p.stem)
        raise PluginError(_where(e, p.parent if locations is None else p), why) from None
    after = _registries()
    # what another plugin it loads (load_path of a plugin it builds on) registered is that
    # plugin's: `twolayer check ./mine` checked the other's claims too (session 48's helper)
    nested = [_LOADED[k] for k in _LOADED if k not in loaded_before]
    theirs = {k: {x for n in nested for x in getattr(n, k)} for k in after}
    plugin = Plugin(key, module, **{k: sorted(after[k] - before[k] - theirs[k]) for k in after})
    _LOADED[key] = plugin
    from .experiments import snapshot_sources  # the code as imported (Runs.key checks it)

    snapshot_sources(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return plugin


def _installed_at(p: Path, file: Path) -> Plugin | None:
    """The entry-point plugins already loaded whose module is the file ``file`` or lies in the
    folder ``p`` (the folder of an installed, e.g. editable, plugin given as a path), as one
    Plugin; None where there is none. Importing it again under another name registered the
    same ids from the same lines, so nothing new: "registered no claim and no figure"."""
    found = []
    for name, plugin in _LOADED.items():
        where = getattr(plugin.module, "__file__", None)
        if name in _ENTRY_POINTS and where:
            where = Path(where).resolve()
            if where == file.resolve() or (p.is_dir() and where.is_relative_to(p)):
                found.append(plugin)
    if not found:
        return None
    kinds = ("claims", "experiments", "figures", "probes", "data_kinds", "conditions")
    # its source the path (workers of --jobs load it by path, after the entry points)
    return Plugin(str(p), found[0].module,
                  **{k: sorted({x for pl in found for x in getattr(pl, k)}) for k in kinds})


# the keys of _LOADED that name entry points (the others are paths)
_ENTRY_POINTS: set[str] = set()


def load_env_plugins() -> None:
    """Load the plugins named in :data:`PLUGIN_ENV` (in a sweep's worker process)."""

    for path in os.environ.get(PLUGIN_ENV, "").split(os.pathsep):
        if path:
            load_path(path)


def _import_failure(e: BaseException) -> str:
    """What a plugin's import raised, for its PluginError: a SyntaxError's message without the
    location (the error names file:line), a SystemExit (a plugin's ``sys.exit()`` at import)
    as what it is."""
    if isinstance(e, SystemExit):
        return (f"SystemExit: it exited ({e.code!r}) while being imported; a plugin registers "
                "its claims, experiments and figures and returns")
    return f"{type(e).__name__}: {e.msg if isinstance(e, SyntaxError) else e}"


def load_entry_points() -> list[Plugin]:
    """Import every module registered under the entry-point group ``twolayer.plugins``."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value in _LOADED:
            continue
        before = _registries()
        try:
            module = ep.load()
        except (Exception, SystemExit) as e:  # noqa: BLE001 - reported with the entry point
            dist = getattr(ep, "dist", None)
            who = f" (package {dist.name})" if dist is not None and dist.name != ep.name else ""
            raise PluginError(f"entry point {ep.name} = {ep.value}{who}",
                              _import_failure(e)) from None
        after = _registries()
        plugin = Plugin(ep.value, module if isinstance(module, ModuleType) else None,
                        **{k: sorted(after[k] - before[k]) for k in after})
        _LOADED[ep.value] = plugin
        _ENTRY_POINTS.add(ep.value)
        _snapshot_entry_point(ep.module, plugin)
        out.append(plugin)
    return out


def _snapshot_entry_point(module: str, plugin: Plugin) -> None:
    """Remember, as imported, the files an entry-point plugin's experiments are keyed by, as
    :func:`load_path` does for a path plugin (Runs.key refuses an experiment whose files
    changed on disk since): every ``.py`` file of the top-level package the entry point's
    module belongs to (an installed, often editable, package: what the keys' closures and
    registered code are looked for in), or the module's own file where it is no package;
    and each experiment it registered's key closure (``source_files``)."""
    from .experiments import EXPERIMENTS, _plugin_root, snapshot_sources, source_files

    files: set[Path] = set()
    top = sys.modules.get(module.split(".")[0])
    for where in getattr(top, "__path__", None) or []:
        files.update(Path(where).rglob("*.py"))
    if not files and getattr(sys.modules.get(module), "__file__", None):
        files.add(Path(sys.modules[module].__file__))
    for name in plugin.experiments:
        exp = EXPERIMENTS[name]
        if exp.source:
            try:
                files.update(source_files(exp.source, registered=True, root=_plugin_root(exp)))
            except (OSError, SyntaxError, ValueError):  # its key says "unreadable"
                pass
    snapshot_sources(sorted(f for f in files if f.is_file()))


def split_selection(selection: list[str], paths_only: bool = False
                    ) -> tuple[list[str], list[Plugin]]:
    """Paper / claim ids and the plugins named among ``selection`` (loaded); a plugin stands
    for the claims it registered, unless the selection also names some of them (a claim id, a
    prefix of ids or the plugin's paper, as :func:`twolayer.claims.claims_for` reads them):
    then it stands for those only (``twolayer check mine.py mine.lemma1`` checks that claim,
    not every claim of mine.py). With ``paths_only`` every name is a plugin path (a command
    that takes no ids, e.g. ``twolayer figures``)."""
    ids: list[str] = []
    plugins: list[Plugin] = []
    own: list[tuple[int, list[str]]] = []  # where each plugin's claims go in ids
    for s in selection:
        if paths_only or is_plugin_path(s):
            plugin = load_path(s)
            plugins.append(plugin)
            own.append((len(ids), list(plugin.claims)))
            if not plugin.claims and not plugin.figures:
                raise PluginError(s, "registered no claim and no figure")
        else:
            ids.append(s)
    named = list(ids)
    for at, claims in reversed(own):  # from the end, so that the earlier positions hold
        if not any(c == n or c.startswith(n + ".") for c in claims for n in named):
            ids[at:at] = claims
    return ids, plugins
