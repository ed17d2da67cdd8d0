"""Sweep specs: a base setting, axes and seeds, read from TOML and validated before any work.

A spec (``sweeps/*.toml``)::

    name = "frei-phase"                  # optional, default: the file's stem
    description = "test error - eta over (d, n)"
    seeds = 4                            # R runs per point (trained together as one batch)
    seed = 0                             # run r of every point uses seed + r

    [base]                               # the setting every point starts from
    preset = "frei-fig1"                 # optional: a named preset (twolayer.presets)
    data.noise = 0.1                     # field overrides in the config's section.field form
    train.steps = 200

    [axes]                               # the grid: the Cartesian product of the axes, in order
    data.d = [20, 50, 100]               # a list of values
    data.n = {start = 100, stop = 1000, num = 4, scale = "log"}   # or a range (endpoints in)
    net.m = {start = 20, stop = 100, step = 40}                   # arithmetic range

    [run]
    group_runs = 32                      # at most this many runs in one batched engine call
    device = "cpu"                       # device of the workers (auto, cpu, cuda)
    baselines = true                     # fit simulate's linear baselines (false: skip them)

    [slurm]                              # options of --executor slurm (submitit), see docs
    partition = "cpu"
    time = 60                            # minutes

Every key is checked: an unknown key, an unknown config field, an empty axis, a value of the
wrong type, an unknown preset or an unknown probe raises :class:`SpecError` (a ConfigError:
exit status 2 in the CLI) naming the key, before anything is trained or written. Every point's
:class:`Config` is built (and so validated) when the spec is loaded.

The axes keep the file's order except where TOML groups dotted keys by section: ``data.n``,
``train.steps``, ``data.noise`` give the axes data.n, data.noise, train.steps.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig, data_kinds
from ..errors import NAME_MAX, ConfigError, PluginCodeError
from ..presets import preset

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as a package
    import tomli as tomllib  # type: ignore[no-redef]

SECTIONS: dict[str, type] = {
    "data": DataConfig, "net": NetConfig, "train": TrainConfig, "probe": ProbeConfig,
}
TOP_FIELDS = ("dtype",)  # top-level Config fields a spec may set in [base] or [axes]
TOP_KEYS = ("name", "description", "seeds", "seed", "plugins", "base", "axes", "run", "slurm")
RUN_KEYS = {"group_runs": int, "device": str, "baselines": bool}
SLURM_KEYS = {
    "partition": str, "time": int, "cpus_per_task": int, "mem_gb": float, "gpus_per_node": int,
    "array_parallelism": int, "account": str, "qos": str, "constraint": str, "cluster": str,
}
SLURM_CLUSTERS = ("slurm", "local", "debug")
# the smallest value of each integer [slurm] key (a job needs a minute and a CPU); mem_gb is a
# finite number > 0
SLURM_INT_MIN = {"time": 1, "cpus_per_task": 1, "gpus_per_node": 0, "array_parallelism": 1}
PRESET_META = ("about", "cpu_steps", "flow_after")  # preset entries that are not config fields
MAX_POINTS = 100_000
DEFAULT_GROUP_RUNS = 32


class SpecError(ConfigError):
    """An invalid sweep spec: the key (``axes.data.d``), the value and what would be valid."""

    def __init__(self, key: str, value: object, valid: str, where: str = "spec"):
        super().__init__(key, value, valid)
        # a key the spec leaves out (None) "is not given", as ConfigError says of a flag
        said = "is not given" if value is None else f"= {toml_spelling(value)} is invalid"
        self.args = (f"{where}: {key} {said}: {valid}",)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_spelling(value: object) -> str:
    """``value`` as a spec file spells it (TOML): ``true``, ``"sgd"``, ``inf``, ``[1, 2]``,
    ``{start = 0.1, stop = 0.4}``, a date as ISO 8601; Python's spelling (``True``, ``'sgd'``,
    ``datetime.date(1979, 5, 27)``) was echoed before. Anything else: its ``repr``."""
    import datetime
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_spelling(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(
            f"{k if _BARE_KEY.match(str(k)) else json.dumps(str(k), ensure_ascii=False)} = "
            f"{toml_spelling(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    return repr(value)


@dataclass(frozen=True)
class Axis:
    key: str  # "data.d"
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Point:
    """One grid point: its index, its axis values and its (validated) config."""

    index: int
    coords: dict[str, Any]
    config: Config

    @property
    def run_id(self) -> str:
        return self.config.run_id


@dataclass(frozen=True)
class SweepSpec:
    name: str
    description: str
    base: dict[str, Any]  # flat {"data.d": 50, ...} after the preset
    axes: tuple[Axis, ...]
    seeds: int
    seed: int
    group_runs: int = DEFAULT_GROUP_RUNS
    device: str = "cpu"
    slurm: dict[str, Any] = field(default_factory=dict)
    baselines: bool = True
    source: str = "spec"
    text: str = ""  # the TOML text, kept in the store for provenance
    group_runs_given: bool = False  # [run] group_runs was set (else scaled up on a GPU)
    plugins: tuple[str, ...] = ()  # the spec's ``plugins``, absolute paths (loaded by parse)
    notes: tuple[str, ...] = ()  # for the user (a preset's scale kept while a size varies)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    def points(self) -> list[Point]:
        """The grid in row-major order of the axes (the last axis varies fastest)."""
        out = []
        keys = [a.key for a in self.axes]
        for i, combo in enumerate(itertools.product(*(a.values for a in self.axes))):
            coords = dict(zip(keys, combo))
            out.append(Point(i, coords, self.config_at(coords)))
        return out

    def config_at(self, coords: dict[str, Any]) -> Config:
        """The config of the point with these axis values (validated; SpecError names the key)."""
        flat = {**self.base, **coords}
        nested: dict[str, Any] = {"seeds": self.seeds, "seed": self.seed}
        for key, value in flat.items():
            if "." in key:
                sec, fld = key.split(".", 1)
                nested.setdefault(sec, {})[fld] = value
            else:
                nested[key] = value
        try:
            cfg = Config.from_dict(nested)
            check_probe_names(cfg.probe.probes)
        except PluginCodeError as e:  # a plugin's code failed on this point: its own words
            point = ", ".join(f"{k}={v!r}" for k, v in coords.items()) or "the base"
            err = SpecError("plugins", None, "", self.source)
            err.args = (f"{self.source}: at {point}: {e}",)
            raise err from None
        except ConfigError as e:
            key = _source_key(e.field, coords, self.base)
            valid = _as_spec_keys(e.valid)
            # the top-level seed and seeds are the spec's own (their defaults, 0 and 1, are
            # valid): "seed = 2**63 - 1 is invalid ... seed is not set in the spec" was false
            set_here = (key.startswith("axes.") or key[len("base."):] in self.base
                        or key in ("seed", "seeds"))
            if not set_here and coords:
                # a field the spec does not set, refused because of this point's axis values
                # (axes.net.outputs = 2 read "base.net.second_layer = 'frei' is invalid: ...
                # need --second-layer gaussian": session 49's helper)
                point = ", ".join(f"axes.{k} = {v!r}" for k, v in coords.items())
                valid += f" (at the point {point}; {key} is not set in the spec: its default)"
            raise SpecError(key, e.value, valid, self.source) from None
        return cfg


def sweep_probes() -> list[str]:
    """The probes a sweep's workers have: twolayer's own (:mod:`twolayer.probes`, every probe
    twolayer ships registers there) and the loaded plugins'."""
    from ..probes import REGISTRY

    return sorted(REGISTRY)


def check_probe_names(names: tuple[str, ...]) -> None:
    """Every probe name is one a sweep's workers have (:func:`sweep_probes`): ConfigError on
    field ``probes`` otherwise. A Config does not check them (plugins may register probes after
    it is built), so a sweep does, before any work: the engine used to find an unknown name only
    in the first group's training, after the store was created."""
    known = sweep_probes()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError("probes", ",".join(unknown), "known probes are " + ", ".join(known))
    # as simulate's --probes (which drops repeats and refuses none): ["errors", "errors"] was
    # another run id than ["errors"] for the same computation, and two "distinct" axis values
    if not names or len(set(names)) != len(names):
        raise ConfigError("probes", list(names), "must name at least one probe, each once")


def _as_spec_keys(text: str) -> str:
    """A config message with its CLI flags (``--second-layer gaussian``) written as the spec's
    keys (``net.second_layer = gaussian``), for a sweep's one line."""
    flags = {"--" + k.split(".", 1)[1].replace("_", "-"): k for k in field_types() if "." in k}
    return re.sub(r"--[a-z][a-z0-9-]*(?: (\w[\w.+-]*))?",
                  lambda m: (f"{flags[m.group(0).split()[0]]}"
                             + (f" = {m.group(1)}" if m.group(1) else ""))
                  if m.group(0).split()[0] in flags else m.group(0), text)


def _source_key(fld: str, coords: dict[str, Any], base: dict[str, Any]) -> str:
    """The spec key a config error on field ``fld`` came from (``axes.net.m``, ``base.data.n``)."""
    if fld == "data":  # the config names an unknown data kind "data": it is data.kind's value
        if "data.kind" in coords:
            return "axes.data.kind"
        if "data.kind" in base:
            return "base.data.kind"
    for key in coords:
        if key.rsplit(".", 1)[-1] == fld:
            return f"axes.{key}"
    for key in base:
        if key.rsplit(".", 1)[-1] == fld:
            return f"base.{key}"
    # a field the spec does not set (a data kind that needs train.batch_size): the key to set
    # in [base], not the bare field name ("batch_size = None is invalid")
    for key in field_types():
        if key.rsplit(".", 1)[-1] == fld:
            return f"base.{key}"
    return fld


# ------------------------------------------------------------------------------------------
# Field types
# ------------------------------------------------------------------------------------------


def field_types() -> dict[str, type]:
    """{"data.d": int, "net.init_var": float, ...}: the settable fields and their value types."""
    out: dict[str, type] = {}
    classes = [(sec, cls) for sec, cls in SECTIONS.items() if sec != "data"]
    classes += [("data", kind.config) for kind in data_kinds().values()]
    for sec, cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            out.setdefault(f"{sec}.{f.name}", _base_type(hints[f.name]))
    hints = typing.get_type_hints(Config)
    for name in TOP_FIELDS:
        out[name] = _base_type(hints[name])
    return out


def _base_type(hint: Any) -> type:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is tuple:
        return tuple
    if args and typing.get_origin(hint) is not None:
        return _base_type(args[0])
    return hint


def _check_type(key: str, value: Any, want: type, where: str) -> Any:
    if want is bool:
        ok = isinstance(value, bool)
        valid = "must be true or false"
    elif want is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        valid = "must be an integer"
    elif want is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        valid = "must be a number"
        # + 0.0: -0.0 is 0.0 (it hashed to another run id, and [0.0, -0.0] passed as distinct)
        value = float(value) + 0.0 if ok else value
    elif want is str:
        ok = isinstance(value, str)
        valid = "must be a string"
    elif want is tuple:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        valid = "must be a list of strings"
        value = tuple(value) if ok else value
    else:  # pragma: no cover - every Config field has one of the types above
        ok, valid = True, ""
    if not ok:
        raise SpecError(key, value, valid, where)
    return value


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------


def _flatten(prefix: str, table: dict[str, Any], types: dict[str, type], where: str,
             leaf_tables: bool) -> dict[str, Any]:
    """{"data": {"d": 5}} → {"data.d": 5}; unknown sections and fields raise SpecError.
    With ``leaf_tables`` a table under a field (an axis range) is kept as the value."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in SECTIONS:
            if not isinstance(value, dict):
                raise SpecError(f"{prefix}{key}", value, "must be a table of fields", where)
            for fld, v in value.items():
                name = f"{key}.{fld}"
                if name not in types:
                    known = ", ".join(sorted(k.split(".", 1)[1] for k in types
                                             if k.startswith(key + ".")))
                    raise SpecError(f"{prefix}{name}", v, f"unknown field; {key} has {known}",
                                    where)
                if isinstance(v, dict) and not leaf_tables:
                    raise SpecError(f"{prefix}{name}", v, "must be a value, not a table", where)
                if name in out:  # the quoted spelling came first
                    raise SpecError(f"{prefix}{name}", v, f"the key is given twice, also = "
                                    f"{out[name]!r} (spelt {name} and \"{name}\"): give it "
                                    "once", where)
                out[name] = v
        elif "." in key and key.split(".", 1)[0] in SECTIONS:  # a quoted "data.d" key
            one = _flatten(prefix, {key.split(".", 1)[0]: {key.split(".", 1)[1]: value}},
                           types, where, leaf_tables)
            # TOML takes data.d = 10 and "data.d" = 30 as two keys; both name one field, and the
            # later replaced the earlier without a word (session 49's helper)
            for name in one:
                if name in out:
                    raise SpecError(f"{prefix}{name}", value, f"the key is given twice, also = "
                                    f"{out[name]!r} (spelt {name} and \"{name}\"): give it "
                                    "once", where)
            out.update(one)
        elif key in TOP_FIELDS:
            out[key] = value
        else:
            valid = ("valid keys are preset, " if prefix == "base." else "valid keys are ") + (
                "dtype and the fields of the sections data, net, train, probe "
                "(as section.field)")
            if key in ("seeds", "seed"):
                valid = f"{key} is set at the top level of the spec, not in [{prefix[:-1]}]"
            raise SpecError(f"{prefix}{key}", value, valid, where)
    return out


def _range_values(key: str, spec: dict[str, Any], want: type, where: str) -> list[Any]:
    """The values of a range table: {start, stop, num[, scale]} or {start, stop, step}."""
    allowed = {"start", "stop", "num", "step", "scale"}
    for k in spec:
        if k not in allowed:
            raise SpecError(f"{key}.{k}", spec[k], "valid range keys are start, stop, num "
                            "(with scale = linear|log) or step", where)
    if want not in (int, float):
        raise SpecError(key, spec, "ranges need a numeric field; give a list of values", where)
    for k in ("start", "stop"):
        v = spec.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SpecError(f"{key}.{k}", v, "must be a finite number", where)
    start, stop = float(spec["start"]), float(spec["stop"])
    if not math.isfinite(stop - start):  # -1e308 to 1e308: inner values inf or nan (a traceback
        # on an integer field)
        raise SpecError(key, spec, "stop - start must be a finite number (it overflows)", where)
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise SpecError(f"{key}.scale", scale, "valid choices are linear, log", where)
    if ("num" in spec) == ("step" in spec):
        raise SpecError(key, spec, "give exactly one of num or step", where)
    if "num" in spec:
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise SpecError(f"{key}.num", num, "must be an integer >= 1", where)
        if num > MAX_POINTS:  # before building them: num = 10^9 used to run for minutes
            raise SpecError(f"{key}.num", num, f"valid range is 1..{MAX_POINTS}", where)
        if scale == "log":
            if start <= 0 or stop <= 0:
                raise SpecError(key, spec, "a log range needs start > 0 and stop > 0", where)
            lo, hi = math.log(start), math.log(stop)
            vals = [math.exp(lo + (hi - lo) * i / (num - 1)) if num > 1 else start
                    for i in range(num)]
        else:
            vals = [start + (stop - start) * i / (num - 1) if num > 1 else start
                    for i in range(num)]
        vals[-1] = stop if num > 1 else vals[-1]
    else:
        step = spec["step"]
        # math.isfinite: step = inf gave the one value start + 0 * inf = nan (a traceback on
        # an integer field, "axes.data.noise = nan is invalid" on a float one)
        if (isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0
                or not math.isfinite(step) or scale != "linear"):
            raise SpecError(f"{key}.step", step, "must be a finite number > 0 (linear scale)",
                            where)
        # the number of steps as a float first: a step below (stop - start) / 1.8e308 (step =
        # 5e-324) made it inf, and int(floor(inf)) was an OverflowError traceback
        steps = (stop - start) / step + 1e-9
        if steps < 0:
            raise SpecError(key, spec, "stop must be >= start", where)
        if not steps < MAX_POINTS:  # count = floor(steps) + 1 > MAX_POINTS, inf included
            raise SpecError(key, spec, f"at most {MAX_POINTS} values", where)
        count = int(math.floor(steps)) + 1
        vals = [start + i * step for i in range(count)]
    if want is int:
        out: list[Any] = []
        seen: set[int] = set()
        for v in vals:
            iv = int(round(v))
            if iv not in seen:  # a log range of integers can repeat small values
                seen.add(iv)
                out.append(iv)
        return out
    # 0.1 + 2*0.1 → 0.3, not 0.30000000000000004; -0.0 → 0.0 (as _check_type)
    return [float(f"{v:.12g}") + 0.0 for v in vals]


def load_plugins(paths: Any, base_dir: Path, where: str) -> tuple[str, ...]:
    """Load the spec's ``plugins`` (paths relative to the spec's folder; e.g. plugins that
    register data kinds) into this process; returns their absolute paths (``spec.plugins``).
    The environment is left as it is: :func:`~twolayer.sweep.run_sweep` names them to the
    workers in :data:`twolayer.plugins.PLUGIN_ENV` for its run (``plugins_of``); loading a
    spec set that variable for the rest of the caller's process."""
    from ..plugins import PluginError, load_path

    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise SpecError("plugins", paths, "must be a list of paths (.py files or folders)", where)
    out = []
    for text in paths:
        path = (base_dir / Path(text).expanduser()).resolve()
        if os.pathsep in str(path):
            # the workers get the paths joined by os.pathsep: a worker split this one and
            # stopped on "plugin <its first part>: no such file", after the store was made
            raise SpecError("plugins", text, f"its path {path} holds {os.pathsep!r}, which "
                            "separates the plugin paths handed to the sweep's worker "
                            "processes: move or link the plugin to a path without it", where)
        try:
            load_path(path)
        except PluginError as e:  # its file:line, as check and simulate --plugin say it
            raise SpecError("plugins", text, f"{e.where}: {e.why}", where) from None
        out.append(str(path))
    return tuple(out)


def parse(doc: dict[str, Any], source: str = "spec", default_name: str = "sweep",
          text: str = "", base_dir: Path | None = None) -> SweepSpec:
    """Validate a parsed TOML document and build the spec (every point's config included).
    ``plugins`` paths are relative to ``base_dir`` (the spec file's folder; default: here)."""
    where = source
    if not doc:
        raise ConfigError("SPEC.toml", source, "the file is empty (no keys); a spec needs at least "
                          "a [base] or [axes] table, see docs/sweeps.md")
    for key in doc:
        if key not in TOP_KEYS:
            raise SpecError(key, doc[key], "unknown key; valid top-level keys are "
                            + ", ".join(TOP_KEYS), where)
    name = doc.get("name", default_name)
    if (not isinstance(name, str) or not name.strip() or name in (".", "..")
            or any(c in name for c in "/\\\0") or not name.isprintable()
            or len(name.encode("utf-8", "surrogateescape")) > NAME_MAX):
        # the default store is sweep-results/<name>: "." and ".." would put it in
        # sweep-results/ itself or in the current directory; a newline or other control
        # character made a folder name that the report lines print broken
        # (a name over 255 bytes: the folder could not be made, and sweep-results/ was left
        # behind, exit 2 naming --out, which the user had not given)
        raise SpecError("name", name, "must be a non-empty string of at most "
                        f"{NAME_MAX} bytes without '/', '\\', NUL or "
                        "other control characters (a newline, a tab), and not '.' or '..' (the "
                        "default store is sweep-results/<name>)", where)
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise SpecError("description", description, "must be a string", where)
    seeds = doc.get("seeds", 1)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SpecError("seeds", seeds, "must be an integer >= 1 (runs per point)", where)
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError("seed", seed, "must be an integer >= 0", where)
    plugins = (load_plugins(doc["plugins"], base_dir or Path.cwd(), where)
               if "plugins" in doc else ())
    types = field_types()

    base_doc = doc.get("base", {})
    if not isinstance(base_doc, dict):
        raise SpecError("base", base_doc, "must be a table", where)
    base_doc = dict(base_doc)
    flat_base: dict[str, Any] = {}
    name_p, preset_values = None, {}
    if "preset" in base_doc:
        name_p = base_doc.pop("preset")
        try:
            values = preset(name_p)
        except ConfigError as e:
            raise SpecError("base.preset", name_p, e.valid, where) from None
        preset_values = values
        for k, v in values.items():
            if k not in PRESET_META:
                flat_base[k.replace("__", ".")] = v
    given = _flatten("base.", base_doc, types, where, leaf_tables=False)
    for key, value in given.items():
        given[key] = _check_type(f"base.{key}", value, types[key], where)
    flat_base.update(given)

    axes_doc = doc.get("axes", {})
    if not isinstance(axes_doc, dict):
        raise SpecError("axes", axes_doc, "must be a table", where)
    axes = []
    for key, value in _flatten("axes.", axes_doc, types, where, leaf_tables=True).items():
        akey = f"axes.{key}"
        if isinstance(value, dict):
            vals = _range_values(akey, value, types[key], where)
        elif isinstance(value, list):
            vals = [_check_type(akey, v, types[key], where) for v in value]
        else:
            raise SpecError(akey, value, "must be a list of values or a range table "
                            "{start, stop, num|step}", where)
        if not vals:
            raise SpecError(akey, value, "must hold at least one value", where)
        if len(set(map(repr, vals))) != len(vals):
            if isinstance(value, dict):  # the table holds no value twice: its rounding does
                raise SpecError(akey, value, f"values must be distinct: the range gives "
                                f"{vals} (rounded to 12 significant digits); widen it or "
                                "lower num", where)
            raise SpecError(akey, value, "values must be distinct", where)
        axes.append(Axis(key, tuple(vals)))

    run = doc.get("run", {})
    if not isinstance(run, dict):
        raise SpecError("run", run, "must be a table", where)
    for key, value in run.items():
        if key not in RUN_KEYS:
            raise SpecError(f"run.{key}", value, "valid keys are " + ", ".join(RUN_KEYS), where)
        _check_type(f"run.{key}", value, RUN_KEYS[key], where)
    group_runs = run.get("group_runs", DEFAULT_GROUP_RUNS)
    if group_runs < 1:
        raise SpecError("run.group_runs", group_runs, "must be an integer >= 1", where)
    device = run.get("device", "cpu")
    if device not in ("auto", "cpu") and not device.startswith("cuda"):
        raise SpecError("run.device", device, "valid choices are auto, cpu, cuda, cuda:N",
                        where)

    slurm = doc.get("slurm", {})
    if not isinstance(slurm, dict):
        raise SpecError("slurm", slurm, "must be a table", where)
    for key, value in slurm.items():
        if key not in SLURM_KEYS:
            raise SpecError(f"slurm.{key}", value, "valid keys are " + ", ".join(SLURM_KEYS),
                            where)
        _check_type(f"slurm.{key}", value, SLURM_KEYS[key], where)
        if key in SLURM_INT_MIN and value < SLURM_INT_MIN[key]:
            raise SpecError(f"slurm.{key}", value, f"must be an integer >= {SLURM_INT_MIN[key]}",
                            where)
        if key == "cpus_per_task":
            from ..commands.settings import MAX_THREADS

            if value > MAX_THREADS:  # as --threads, which overrides it: a local job's
                # torch.set_num_threads(10^5) killed it, its log's last line a submitit INFO
                raise SpecError(f"slurm.{key}", value, "must be an integer >= 1 and <= "
                                f"{MAX_THREADS} (the job's BLAS/OpenMP threads)", where)
        if key == "mem_gb" and not 0 < value < math.inf:
            raise SpecError(f"slurm.{key}", value, "must be a finite number > 0", where)
        if SLURM_KEYS[key] is str and (not value.strip() or "\0" in value
                                       or value != value.strip()):
            # sbatch --partition= asks for no partition: the cluster's default, not the spec's
            raise SpecError(f"slurm.{key}", value, "must be a name: not empty, without "
                            "surrounding spaces or NUL (leave the key out for the cluster's "
                            "default)", where)
    if slurm.get("cluster", "slurm") not in SLURM_CLUSTERS:
        raise SpecError("slurm.cluster", slurm["cluster"],
                        "valid choices are " + ", ".join(SLURM_CLUSTERS), where)

    size = math.prod(len(a.values) for a in axes)
    if size > MAX_POINTS:
        raise SpecError("axes", [a.key for a in axes], f"the grid has {size} points; at most "
                        f"{MAX_POINTS}", where)
    notes = kept_preset_scales(name_p, preset_values, given, flat_base, axes)
    spec = SweepSpec(name, description, flat_base, tuple(axes), seeds, seed, group_runs, device,
                     dict(slurm), run.get("baselines", True), source, text,
                     "group_runs" in run, plugins, notes)
    points = spec.points()  # build and validate every point's config now, before any work
    check_distinct(points, flat_base, where)
    return spec


def kept_preset_scales(name: str | None, preset_values: dict[str, Any], given: dict[str, Any],
                       base: dict[str, Any], axes: list[Axis]) -> tuple[str, ...]:
    """Notes for a preset's fixed scale (sigma2, init_var) that the spec neither sets nor
    varies while a size its default would follow (d, m) differs from the preset's, in ``base``
    or along an axis: e.g. frei-fig1's init_var = 1/(32 m) at its m = 500 stays at every m of
    an ``axes.net.m`` (as ``simulate --preset`` says of a flag, commands.settings)."""
    from ..commands.settings import kept_scales

    if name is None:
        return ()
    axis_keys = {a.key for a in axes}

    def key(fld: str) -> str:
        return fld.replace("__", ".")

    notes = []
    for fld, moved in kept_scales(
            preset_values, lambda f: key(f) in given or key(f) in axis_keys,
            lambda s: key(s) in axis_keys or base[key(s)] != preset_values[s]):
        how = ", ".join(f"axes.{key(s)} varies" if key(s) in axis_keys
                        else f"base.{key(s)} = {base[key(s)]}" for s in moved)
        notes.append(f"base.preset {name} fixes {key(fld)} = {preset_values[fld]:.4g} at every "
                     f"point, while {how} (the preset: {preset_values.get('about')}); set "
                     f"base.{key(fld)} or axes.{key(fld)} to change it")
    return tuple(notes)


# the integrator settings that apply only with some integrators (as `simulate --rtol/--switch`)
INTEGRATOR_ONLY = {"train.rtol": ("flow", "auto"), "train.switch": ("auto",)}


def check_distinct(points: list[Point], base: dict[str, Any], where: str) -> None:
    """SpecError for a setting the points' configs ignore: ``train.rtol`` without the flow or
    auto integrator, ``train.switch`` without auto (refused, as on the command line), and any
    two points that are the same setting (the same run id): the axis between them would be
    reported as swept while every point trains, and is stored as, one run."""
    for key, integrators in INTEGRATOR_ONLY.items():
        for p in points:
            given = key in p.coords or key in base
            if given and p.config.train.integrator not in integrators:
                raise SpecError(f"axes.{key}" if key in p.coords else f"base.{key}",
                                p.coords.get(key, base.get(key)),
                                "applies only with train.integrator "
                                + " or ".join(integrators) + " (the integrator of point "
                                f"{p.index} is {p.config.train.integrator})", where)
    seen: dict[str, Point] = {}
    for p in points:
        q = seen.setdefault(p.run_id, p)
        if q is not p:
            key = next(k for k in p.coords if p.coords[k] != q.coords[k])
            raise SpecError(f"axes.{key}", [q.coords[key], p.coords[key]],
                            f"gives the same setting at points {q.index} and {p.index} (run "
                            f"id {p.run_id}): the config does not use this axis there", where)


def load(path: str | Path) -> SweepSpec:
    """Read and validate a TOML spec file (SpecError naming the key on any problem)."""
    p = Path(path)
    try:
        # utf-8-sig: an editor's byte-order mark (Windows Notepad) is no TOML error ("Invalid
        # statement (at line 1, column 1)", of a character the user cannot see)
        text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConfigError("SPEC.toml", str(path), f"must be a readable TOML file ({e.strerror})") \
            from None
    except UnicodeDecodeError as e:
        raise ConfigError("SPEC.toml", str(path), f"is not valid TOML (not UTF-8 text: byte "
                          f"{e.object[e.start]:#04x} at offset {e.start})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("SPEC.toml", str(path), f"is not valid TOML ({e})") from None
    except RecursionError:  # tomllib recurses per nested array or table: a traceback
        raise ConfigError("SPEC.toml", str(path), NESTED_TOO_DEEP) from None
    return parse(doc, str(path), p.stem, text, p.parent)


def loads(text: str, source: str = "spec", name: str = "sweep") -> SweepSpec:
    """Parse a TOML spec from a string."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("SPEC.toml", source, f"is not valid TOML ({e})") from None
    except RecursionError:
        raise ConfigError("SPEC.toml", source, NESTED_TOO_DEEP) from None
    return parse(doc, source, name, text)


# a spec whose arrays or inline tables nest deeper than Python's recursion limit (tomllib
# parses them recursively): `a = [[[[...]]]]` 5000 deep was a RecursionError traceback
NESTED_TOO_DEEP = ("is not a sweep spec: its arrays or inline tables nest too deeply to read "
                   "(a spec's values are numbers, strings, flat lists and range tables)")
