"""``twolayer figures``: regenerate the registered figures and write their index README.md.

Every figure registered in :mod:`twolayer.plots` is a function that trains what it needs through
the library and writes PNGs. This command runs the selected ones into ``--out`` and rewrites
``<out>/README.md`` (file, title, the paper figure it regenerates, the claims it shows, what it
shows, every parameter that differs from the paper, run time). Run times and settings of the last
regeneration of each figure (and, for a plugin's figure, its section's description) are kept in
``<out>/index.json``, so that ``--only`` keeps the other entries, those of a plugin not loaded in
that run included.
``--quick`` uses tiny smoke-test settings and, without an explicit ``--out``, writes into
a new temporary directory (never over the committed figures).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import __version__
from ..cli import refuse_empty_plugin_path
from ..engine import Runtime, resolve_device
from ..errors import ConfigError
from ..record import check_writable_dir, ensure_writable_dir
from ..resources import check_device
from ..timing import phase
from .settings import add_gpu_flags, add_threads_flag, runtime_options, runtime_threads
from .storeflags import add_store_flags, check_store_flags, runs_from_args
from .timingflag import add_timings_flag

DEFAULT_OUT = "figures"
INDEX = "index.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "figures",
        help="regenerate the papers' figures and figures/README.md",
        description="Regenerate every registered figure (PNG) into --out and rewrite "
        "<out>/README.md: for each figure the paper figure it regenerates, the claims it shows, "
        "the parameters that differ from the paper and the run time.",
    )
    p.add_argument("plugins", nargs="*", metavar="PLUGIN",
                   help="plugin paths (a .py file or a folder, see docs/extending.md): draw "
                   "their figures only (with --only, also the named ones; with --all, every "
                   "figure)")
    p.add_argument("--out", help=f"output directory (default {DEFAULT_OUT}/; with --quick a new "
                   "temporary directory); one holding a README.md or index.json that figures "
                   "did not write is refused (both are rewritten)")
    p.add_argument("--quick", action="store_true",
                   help="tiny smoke-test settings (every built-in figure in a few minutes on 2 "
                   "CPU cores, not seconds)")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                   help="only these figures (see --list; repeatable)")
    p.add_argument("--all", action="store_true",
                   help="every registered figure, the plugins' included (without plugins, "
                   "every figure is the default)")
    p.add_argument("--device", default="auto",
                   help="auto (cuda if present), cpu or cuda (default auto)")
    add_threads_flag(p)
    add_gpu_flags(p)
    add_store_flags(p)
    p.add_argument("--list", action="store_true",
                   help="list the figures a run with these arguments would draw (without "
                   "plugins, --only or --all: every registered figure) and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-figure lines")
    add_timings_flag(p)
    p.set_defaults(run=run)


def select(only: list[str] | None) -> list[str]:
    """Names of the figures to run, in registry order; ConfigError for an unknown name."""
    from ..plots import FIGURES

    if not only:
        return list(FIGURES)
    for name in only:
        if name not in FIGURES:
            raise ConfigError("only", name, "valid figures are " + ", ".join(FIGURES))
    return [name for name in FIGURES if name in set(only)]


def figure_names(only: list[str] | None, every: bool, plugins: list) -> list[str]:
    """The figures a call draws: every registered one without plugins or with ``--all``
    (plugins' included), else the ``--only`` ones and the plugins' own."""
    if every and only:
        raise ConfigError("only", " ".join(only), "cannot be combined with --all")
    names = select(only) if (only or every or not plugins) else []
    return names + [f for p in plugins for f in p.figures if f not in names]


def longest_first(names: list[str], runs: Any,
                  hints: dict[str, float] | None = None) -> list[str]:
    """``names`` once each, longest first: by the time of their earlier runs in the store (the
    newest entry of each in the same mode, any code), else by ``hints`` (seconds, e.g. the last
    run time of the figure that reads them), then the rest in the order given."""
    from ..store import experiment_seconds

    names = list(dict.fromkeys(names))
    if len(names) < 2:
        return names
    cost = {n: float(v) for n, v in (hints or {}).items() if n in names}
    if runs.store is not None:
        cost.update((n, s) for n, s in experiment_seconds(runs.store.root, runs.quick).items()
                    if n in names)
    return sorted(names, key=lambda n: (n not in cost, -cost.get(n, 0.0), names.index(n)))


def figure_hints(entries: dict[str, Any], quick: bool) -> dict[str, float]:
    """{experiment: seconds} from an index's last run times: each parallel experiment of a
    figure gets that figure's time (an upper bound: the figure may read several)."""
    from ..plots import FIGURES

    hints: dict[str, float] = {}
    for name, entry in entries.items():
        spec = FIGURES.get(name)
        if spec is None or not isinstance(entry, dict) or bool(entry.get("quick")) != quick:
            continue
        for exp in spec.parallel:
            hints[exp] = max(hints.get(exp, 0.0), float(entry.get("seconds") or 0.0))
    return hints


def load_index(root: Path) -> dict[str, Any]:
    """The per-figure entries of ``<root>/index.json`` ({} if absent or unreadable)."""
    try:
        with open(root / INDEX) as fh:
            data = json.load(fh)
        return dict(data.get("figures", {}))
    except (OSError, ValueError, AttributeError, RecursionError):
        return {}


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the directory ``root`` (POSIX ``flock`` on its descriptor), so
    that concurrent ``twolayer figures`` runs into one directory do not lose each other's index
    entries. A no-op where ``fcntl`` is unavailable."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _bullets(items: tuple[str, ...] | list[str], empty: str) -> list[str]:
    return [f"  - {x}" for x in items] if items else [f"  - {empty}"]


def section_fields(spec: Any) -> dict[str, Any]:
    """What a figure's README section says of it (title, the paper figure it regenerates, its
    claims, what it shows, its differences from the paper), as plain JSON: stored with a plugin
    figure's index entry, so that a run without the plugin keeps its section."""
    return {"title": spec.title, "regenerates": spec.regenerates, "claims": list(spec.claims),
            "shows": " ".join((spec.make.__doc__ or "").split()),
            "differences": list(spec.differences)}


def built_in(spec: Any) -> bool:
    """Whether a figure is twolayer's own (drawn by a function of the package), not a plugin's."""
    return getattr(spec.make, "__module__", "").split(".")[0] == "twolayer"


def _stored_fields(doc: Any) -> dict[str, Any] | None:
    """A section stored in index.json as :func:`section_fields` writes it; None if absent or
    not of that shape (an older or hand-edited index)."""
    if not isinstance(doc, dict):
        return None
    texts = ("title", "regenerates", "shows")
    lists = ("claims", "differences")
    if not (all(isinstance(doc.get(k), str) for k in texts)
            and all(isinstance(doc.get(k), list)
                    and all(isinstance(x, str) for x in doc[k]) for k in lists)):
        return None
    return doc


def render_readme(entries: dict[str, Any], root: Path | None = None) -> str:
    """README.md of a figures directory: one section per figure in it (an index entry, or a
    ``<name>.png`` in ``root``, listed as present, run unknown), then one line for each other
    registered figure (title, the paper figure it regenerates, the command that draws it)."""
    from ..plots import FIGURES

    def here(name: str) -> bool:
        return bool(entries.get(name)) or (root is not None and (root / f"{name}.png").is_file())

    missing = [name for name in FIGURES if not here(name)]
    partial = ([f"This folder holds {len(FIGURES) - len(missing)} of the {len(FIGURES)} "
                "registered figures; the others are listed at the end, with the command that "
                "draws each.", ""] if missing else [])
    quick = [name for name in FIGURES if (entries.get(name) or {}).get("quick")]
    were = "was" if len(quick) == 1 else "were"
    smoke = ([f"**Smoke test:** {len(quick)} of the figures here {were} drawn by `twolayer "
              "figures --quick` (tiny settings, few seeds), not by `make figures`: their "
              "numbers are not the paper's setting (each says so under *Last run*).", ""]
             if quick else [])
    lines = [
        "# Figures",
        "",
        *partial,
        *smoke,
        "Regenerated by `make figures` (`twolayer figures --all --out figures/ "
        "examples/barak2022`: every built-in figure and the Barak example plugin's) in the "
        "repository's `figures/`, and in any other folder by `twolayer figures --out DIR` with "
        "the plugin paths it was drawn with, from twolayer's own "
        "simulations: every figure draws the Records of registered experiments (trained through "
        "the library, `twolayer.simulate` / `twolayer.engine.train`, never a separate loop; the "
        "same runs the claims read, shared through the record store). For each figure: the file, "
        "the paper figure it regenerates, the claims it illustrates (ids of the claims registry), "
        "what it shows, every parameter that differs from the paper, and how long its last "
        "regeneration took (the drawing and the training that run did: runs it read from the "
        "record store are not timed, so a figure of hours of training drawn from stored runs "
        "reads a few seconds). The caption inside each built-in figure's PNG repeats the setting "
        "and the measured numbers; a plugin's figure shows what its plugin draws.",
        "",
        "Run times were measured on the machine and device named in each entry; on a shared "
        "machine they are inflated by the other load. Without `--out`, `twolayer figures "
        "--quick` writes tiny smoke-test versions into a new temporary directory.",
        "",
    ]
    # figures of a plugin not loaded in this run (`--only X` without the plugin's path) keep
    # their sections, from the description stored with their index entry when they were drawn
    foreign = sorted(n for n, e in entries.items() if n not in FIGURES and isinstance(e, dict)
                     and e.get("files"))
    for name in [*(n for n in FIGURES if n not in missing), *foreign]:
        e = entries.get(name)
        fields = (section_fields(FIGURES[name]) if name in FIGURES
                  else _stored_fields((e or {}).get("section")))
        title = fields["title"] if fields else "(a plugin's figure)"
        lines += [f"## {name}: {title}", ""]
        if e and e.get("files"):
            lines += [f"![{name}]({f})" for f in e["files"]] + [""]
        else:
            lines += [f"![{name}]({name}.png)", ""]
        files = ", ".join(f"`{f}`" for f in e["files"]) if e else f"`{name}.png`"
        lines.append(f"- File: {files}")
        if name not in FIGURES:
            lines.append("- Registered by a plugin not loaded in this run: "
                         + ("its description as stored when it was drawn"
                            if fields else "no description stored (drawn by an older twolayer); "
                            "regenerate it with its plugin's path to restore it"))
        if fields:
            lines += [
                f"- Regenerates: {fields['regenerates']}",
                "- Claims: " + (", ".join(f"`{c}`" for c in fields["claims"]) or "none"),
                f"- Shows: {fields['shows']}" if fields["shows"] else "- Shows: (no description)",
                "- Differences from the paper:",
                *_bullets(fields["differences"], "none"),
            ]
        if e:
            mode = ("--quick smoke-test settings (NOT the settings listed above)"
                    if e.get("quick") else "full settings")
            stored = (" (drawn from runs read from the record store: no training in this "
                      "run)" if e.get("trained") is False else "")
            lines.append(
                f"- Last run: {e['date']}, {e['seconds']:.0f} s{stored} on {e['device']}"
                f" ({e.get('device_name', '?')}, {e.get('threads', '?')} threads), {mode}, "
                f"twolayer {e.get('twolayer', '?')}"
            )
            if e.get("note"):  # a word on that run kept with it (e.g. which CPU drew it)
                lines.append(f"- Note on that run: {e['note']}")
        else:
            lines.append("- Last run: not recorded in this directory's index.json "
                         f"(`twolayer figures --only {name}` records it)")
        lines.append("")
    if missing:
        lines += ["## Registered figures not in this folder", ""]
        lines += [f"- `{name}`: {FIGURES[name].title} (regenerates {FIGURES[name].regenerates}); "
                  f"`twolayer figures --only {name}`" for name in missing]
        lines.append("")
    return "\n".join(lines)


def draw_figure(spec: Any, root: Path, runs: Any) -> list[Path]:
    """``spec.draw(root, runs)``. A plugin's figure (code outside twolayer) that raises, or
    returns something other than a non-empty list of paths of files it wrote directly into
    ``root`` (:func:`_not_written_into`), is a TwolayerError (one line naming the
    figure and the plugin's file:line, exit status 2), not a traceback; twolayer's own errors
    (a ConfigError, a failed write, a divergence) pass through as they are."""
    import traceback

    from ..errors import TwolayerError

    code = getattr(spec.make, "__code__", None)
    own = Path(code.co_filename).resolve() if code else None
    package = Path(__file__).resolve().parents[1]
    if own is None or own.is_relative_to(package):
        return spec.draw(root, runs)
    try:
        paths = spec.draw(root, runs)
    except TwolayerError:
        raise
    except Exception as e:  # noqa: BLE001 - a plugin's bug: reported with its file and line
        frames = [f for f in traceback.extract_tb(e.__traceback__)
                  if Path(f.filename).resolve().is_relative_to(own.parent)]
        where = (f"{frames[-1].filename}:{frames[-1].lineno}" if frames
                 else f"{own}:{code.co_firstlineno}")
        raise TwolayerError(f"figure {spec.name!r} ({where}) raised {type(e).__name__}: "
                            f"{e}") from None
    if not isinstance(paths, (list, tuple)) or not all(
            isinstance(p, (str, os.PathLike)) for p in paths):
        raise TwolayerError(f"figure {spec.name!r} ({own}:{code.co_firstlineno}) returned a "
                            f"{type(paths).__name__}, not a list of the paths it wrote")
    if why := _not_written_into(paths, root):
        raise TwolayerError(f"figure {spec.name!r} ({own}:{code.co_firstlineno}) {why}")
    return list(paths)


def _not_written_into(paths: list | tuple, root: Path) -> str:
    """Why the paths a plugin's figure returned are not files it wrote into ``root``, else "":
    the index and README link each file by its name in ``root``, so a figure that returns no
    path, a path that does not exist, or a file outside ``root`` (or in a subfolder of it)
    would be indexed with a broken link. A relative path is read from the working directory,
    as ``open`` reads it."""
    if not paths:
        return (f"returned no paths: a figure writes at least one file into out_dir ({root}) "
                "and returns [Path(out_dir) / name, ...]")
    folder = Path(root).resolve()
    for p in paths:
        where = Path(p).resolve()
        if not where.is_file():
            return (f"returned {str(p)!r}, which is not a file it wrote (return the paths it "
                    f"wrote into out_dir, {root})")
        if where.parent != folder:
            inside = where.is_relative_to(folder)
            return (f"returned {str(p)!r}, " + ("in a subfolder of" if inside else "outside")
                    + f" the output folder {root}: a figure writes its files directly into "
                    "out_dir (the index and README.md link them by name there)"
                    + ("" if inside else "; that file was left where it is"))
    return ""


def check_figure_claims(names: list[str]) -> None:
    """A TwolayerError (exit 2, before any work) when a figure to draw lists a claim that is
    not registered (``@figure(..., claims=("mine.lemma1",))`` with a typo): its README section
    would cite a claim no check judges."""
    from ..claims import CLAIMS
    from ..errors import TwolayerError
    from ..plots import FIGURES

    for name in names:
        spec = FIGURES[name]
        unknown = [c for c in spec.claims if c not in CLAIMS]
        if unknown:
            code = getattr(spec.make, "__code__", None)
            where = f" ({code.co_filename}:{code.co_firstlineno})" if code else ""
            raise TwolayerError(f"figure {name!r}{where} lists claims that are not registered: "
                                f"{', '.join(map(repr, unknown))} (its claims=(...) names the "
                                "ids of registered claims: `twolayer check PLUGIN --list`)")


def write_index(root: Path, entries: dict[str, Any]) -> None:
    from ..record import write_text_atomic

    index = json.dumps({"figures": entries}, indent=1, sort_keys=True) + "\n"
    write_text_atomic(root / INDEX, index)
    write_text_atomic(root / "README.md", render_readme(entries, root))


def run(args: argparse.Namespace) -> int:
    from ..plots import FIGURES
    from ..plugins import load_entry_points, split_selection

    load_entry_points()
    if args.out is not None and not str(args.out).strip():
        # Path("") is the working directory: its README.md would be overwritten
        raise ConfigError("out", args.out, "must be a directory path (not empty); omit --out "
                          "for the default (figures/, or a new temporary folder with --quick)")
    for path in args.plugins:
        refuse_empty_plugin_path(path)
    # every PLUGIN is a path (a bare name too: figures takes no paper ids); PluginError (exit
    # 2) for one that does not exist or is broken
    _, plugins = split_selection(list(args.plugins), paths_only=True)
    names = figure_names(args.only, args.all, plugins)  # ConfigError for an unknown --only
    if not names:  # plugins named without --only or --all, none of which registers a figure
        raise ConfigError("PLUGIN", " ".join(args.plugins), "defines no figures, so there is "
                          "nothing to draw (a figure is registered with @figure: "
                          "docs/extending.md; `twolayer check PLUGIN` checks its claims)")
    check_figure_claims(names)
    if args.list:  # draws nothing, but refuses the flags a real run would
        check_store_flags(args)
        check_cache_flags(args, names)
        check_device(args.device)
        runtime_threads(args), runtime_options(args)  # --threads 0, --budget nan: exit 0 here
        for name in names:
            spec = FIGURES[name]
            print(f"{name:28s} {spec.regenerates}: {spec.title}")
        return 0
    # cuda:N and its index on this machine, as check and simulate check them
    args.device = check_device(args.device)
    device = resolve_device(args.device)
    check_store_flags(args)  # before --out (or the --quick temporary folder) is created
    check_cache_flags(args, names)
    if args.out is not None:
        check_writable_dir(args.out, "out")
        check_not_foreign(args.out)
        out, made = args.out, topmost_missing(args.out)
    elif args.quick:
        out = tempfile.mkdtemp(prefix="twolayer-figures-quick-")
        made = Path(out)
    else:
        check_writable_dir(DEFAULT_OUT, "out")
        check_not_foreign(DEFAULT_OUT)
        out, made = DEFAULT_OUT, topmost_missing(DEFAULT_OUT)
    try:
        return draw_figures(args, names, out, made, device)
    except BaseException:  # a failed or interrupted run leaves no folder it created empty
        # (the figures finished before the failure stay, indexed: an hour of a long run is
        # not thrown away for its last figure)
        if made is not None and not _has_entries(Path(out)):
            shutil.rmtree(made, ignore_errors=True)
        raise


README_HEAD = "# Figures"
README_MARK = "Regenerated by `make figures`"


def check_not_foreign(out: str | os.PathLike[str]) -> None:
    """ConfigError (exit 2, before any work) when ``out`` holds a README.md or an index.json that
    ``twolayer figures`` did not write: both are rewritten, and ``--out .`` in a project folder
    would silently replace the project's own README.md. A figures README starts with
    :data:`README_HEAD` and holds :data:`README_MARK`; a figures index is a JSON object whose
    only key is "figures" (an unreadable one is a damaged index, rebuilt as before)."""
    root = Path(out)
    readme, index = root / "README.md", root / INDEX
    if readme.is_file():
        try:
            text = readme.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if not (text.startswith(README_HEAD + "\n") and README_MARK in text):
            raise ConfigError("out", str(out), f"holds a README.md that twolayer figures did not "
                              f"write ({readme}); it would be overwritten: choose another folder")
    if index.is_file():
        try:
            with open(index) as fh:
                data = json.load(fh)
        except (OSError, ValueError, RecursionError):
            return
        if not (isinstance(data, dict) and set(data) == {"figures"}):
            raise ConfigError("out", str(out), f"holds an {INDEX} that twolayer figures did not "
                              f"write ({index}); it would be overwritten: choose another folder")


def check_cache_flags(args: argparse.Namespace, names: list[str]) -> None:
    """The phase diagrams keep their sweeps under ``$TWOLAYER_CACHE/sweeps`` (not with
    ``--no-store``: a temporary store): ConfigError (exit 2) before any work when that cannot
    be a writable directory."""
    if not args.no_store:
        from ..plots.phase import check_cache

        check_cache(names)


def _has_entries(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:
        return False


def topmost_missing(path: str | os.PathLike[str]) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (the one creating ``path``
    creates first), or None when ``path`` exists."""
    p, top = Path(path).absolute(), None
    while not p.exists() and not p.is_symlink() and p != p.parent:
        p, top = p.parent, p
    return top


@contextmanager
def staged(root: Path, name: str) -> Iterator[Path]:
    """A fresh hidden folder inside ``root`` (the same file system: :func:`publish` moves by
    rename) for figure ``name`` to draw into, removed with whatever is left in it. Its name
    carries this process's id, so that a later run can tell one left by a killed run
    (:func:`remove_stale_stages`)."""
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.drawing-{os.getpid()}-", dir=root))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


STAGE_PID = re.compile(r"\.drawing-(\d+)-[^/]*$")
OLD_STAGE_AGE = 24 * 3600.0  # a staging folder of a version that did not name its process


def remove_stale_stages(root: Path) -> list[Path]:
    """Remove the staging folders (``.<figure>.drawing-<pid>-*``) that a run killed while it
    drew (SIGKILL: no ``finally`` ran) left in ``root``: those whose process no longer runs on
    this host, and those without a process id (made before session 49) older than a day. One
    of a run that still draws (a concurrent ``twolayer figures`` into the same folder) stays.
    Returns what was removed. Until session 49 such folders stayed for good."""
    removed = []
    try:
        entries = [e for e in root.iterdir() if e.name.startswith(".") and ".drawing-" in e.name]
    except OSError:
        return removed
    for entry in entries:
        if not entry.is_dir() or entry.is_symlink():
            continue
        m = STAGE_PID.search(entry.name)
        if m is not None:
            stale = not _process_runs(int(m.group(1)))
        else:
            try:
                stale = time.time() - entry.stat().st_mtime > OLD_STAGE_AGE
            except OSError:
                continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed


def _process_runs(pid: int) -> bool:
    """Whether a process with this id runs on this host (one of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


def publish(stage: Path, root: Path, paths: list[Path]) -> list[Path]:
    """Move every entry a figure wrote into ``stage`` to ``root`` (``os.replace``: each file
    whole, replacing the one of its name) and return the figure's ``paths`` as they are in
    ``root``."""
    for entry in sorted(stage.iterdir()):
        target = root / entry.name
        if entry.is_dir() and not entry.is_symlink() and target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)
    return [root / Path(p).name for p in paths]


def remove_new_entries(root: Path, before: set[str]) -> None:
    """Remove what appeared in ``root`` since its entries were ``before`` (what a figure that
    failed wrote), never an entry that was there, nor the index and README (written only after
    a figure succeeded)."""
    try:
        new = [e for e in root.iterdir() if e.name not in before]
    except OSError:
        return
    for entry in new:
        if entry.name in (INDEX, "README.md"):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            pass


def draw_figures(args: argparse.Namespace, names: list[str], out: str, made: Path | None,
                 device: Any) -> int:
    """Draw ``names`` into ``out`` (created here; ``made``: the outermost folder this command
    creates, None if ``out`` existed) and index them. Each figure draws into a staging folder
    inside ``out`` (:func:`staged`), whose files replace those of the same names in ``out``
    only once the figure has succeeded: a figure that fails leaves nothing it wrote behind and
    the files already there as they were (until session 48 a file it overwrote stayed
    overwritten, e.g. a half-made PNG under the name of the last good one, which the index
    still described); the figures drawn before it stay, indexed (the caller removes a folder
    it created that is left empty)."""
    import platform

    import torch

    from ..experiments import reading_records
    from ..plots import FIGURES

    root = ensure_writable_dir(out, "out")
    for stale in remove_stale_stages(root):
        print(f"removed {stale}: the staging folder of a figures run that was killed while it "
              "drew", file=sys.stderr)
    runtime = Runtime(device=str(device), progress=False if args.quiet else None,
                      threads=runtime_threads(args), **runtime_options(args))
    runs = runs_from_args(args, bool(args.quick), None, runtime)
    device_name = (torch.cuda.get_device_name(device) if device.type == "cuda"
                   else platform.processor() or platform.machine())
    # the single-threaded experiments of every selected figure, trained at once first
    t0 = time.perf_counter()
    ahead = runs.prefetch(longest_first([n for name in names for n in FIGURES[name].parallel],
                                        runs, figure_hints(load_index(root), bool(args.quick))))
    if ahead and not args.quiet:
        print(f"trained {len(ahead)} single-threaded experiments at once, one worker process "
              f"each, in {time.perf_counter() - t0:.1f} s: {', '.join(ahead)}", file=sys.stderr)
    attributed: set[str] = set()
    for name in names:
        spec = FIGURES[name]
        start = time.perf_counter()
        asked = len(runs.asked)
        before = {e.name for e in root.iterdir()}
        with phase("plotting"):
            try:
                with staged(root, name) as stage:
                    with reading_records():  # the Records' arrays are read-only (Runs.get)
                        paths = draw_figure(spec, stage, runs)
                    paths = publish(stage, root, paths)
            except BaseException:  # what the failing figure wrote goes, nothing else
                remove_new_entries(root, before)
                raise
        seconds = time.perf_counter() - start
        mine = list(dict.fromkeys(runs.asked[asked:]))
        for exp in mine:  # its prefetched training counts too
            if exp in runs.prefetched and exp not in attributed:
                attributed.add(exp)
                seconds += runs.prefetched[exp]
        trained = any(exp in runs.trained or exp in runs.prefetched for exp in mine)
        entry = {
            "files": [Path(p).name for p in paths],
            "seconds": round(seconds, 1),
            "quick": bool(args.quick),
            "device": str(device),
            "device_name": device_name,
            "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "twolayer": __version__,
            # whether this run trained any of its experiments (False: all read from the store,
            # and the seconds are the drawing's)
            "trained": bool(trained) or not mine,
        }
        if not built_in(spec):  # a plugin's: its section survives a run without the plugin
            entry["section"] = section_fields(spec)
        with locked(root):  # re-read: another run may have added entries meanwhile
            entries = load_index(root)
            entries[name] = entry
            write_index(root, entries)
        if not args.quiet:
            shown = ", ".join(str(p) for p in paths)
            print(f"{name}: {shown} ({seconds:.1f} s)", file=sys.stderr)
    if not args.quiet:
        print(f"experiments: {len(runs.trained)} trained, {len(runs.reused)} read from the store",
              file=sys.stderr)
        if runs.sweep_points:  # the phase diagrams train sweeps, not experiments
            trained = sum(t for t, _ in runs.sweep_points.values())
            read = sum(r for _, r in runs.sweep_points.values())
            # where: $TWOLAYER_STORE and --records do not hold them (a user who had set those
            # to a folder of their own read "12 read from their stores" on a first run: points
            # an earlier run had left in the default cache)
            from ..plots.phase import cache_dir

            sweeps = ", ".join(sorted(runs.sweep_points))
            done = (f"{trained} trained in temporary stores ({sweeps}), kept nowhere "
                    "(--no-store)"
                    if args.no_store else
                    f"{trained} trained, {read} read from their stores ({sweeps}) under "
                    f"{cache_dir()} ($TWOLAYER_CACHE/sweeps, not the record store)")
            print(f"sweep points: {done}", file=sys.stderr)
    print(root)
    return 0
