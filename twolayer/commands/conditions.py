"""``twolayer conditions``: the assumptions (A1)–(A7) of Frei et al. (2023), Theorem 1, for one
setting, and the largest unspecified constant C for which each (and all together) hold; or, for
a paper registered with ``reads="record"`` (:func:`twolayer.conditions.register_conditions`,
a plugin's through :func:`twolayer.api.register_conditions`), the premises of its theorems
measured on a record (``--record DIR``), or, where it also registers a setting reader
(``from_setting``), computed from ``twolayer simulate``'s setting flags before training
(:func:`evaluate_setting`).

Plugins are loaded as ``twolayer simulate`` loads them: the installed ones (entry points) and
every ``--plugin PATH``, before the parser is built (:func:`twolayer.cli.preload_plugins`, so
that ``--help`` lists their papers and the parser has their data kinds' flags, e.g. ``--k``)
and again, at no cost, in :func:`run`; ``--paper`` is checked against the registered papers
after that (argparse's ``choices`` would be fixed before any plugin is loaded)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import traceback
from pathlib import Path
from typing import Any

from .. import claims  # noqa: F401  (the papers register their conditions on import)
from ..cli import number
from ..conditions import (
    CONDITIONS,
    DEFAULT_DELTA,
    ClaimRegime,
    Conditions,
    ConditionsProvider,
    Premise,
    RecordConditions,
    frei2023_from_config,
    setting_config,
)
from ..config import CLUSTER_DISTS
from ..errors import ConfigError, TwolayerError
from .settings import add_setting_flags, as_written, config_from_args

# the setting flags the assumptions read (the others of simulate's set are refused, not ignored)
READ = ("preset", "data", "d", "n", "m", "noise", "sigma2", "init_var", "lr")
# settings Theorem 1 fixes: accepted at the theorem's value, refused (with why) at another
# Theorem 1 allows any flip probability eta(x) with mean eta (card: adversarial label noise), so
# every model that flips labels with mean rate eta is accepted; "random" replaces a label by a
# uniform one with probability eta, a flip rate of eta/2, which A4 does not read as eta
FIXED = {"noise_model": (("iid", "per-cluster", "one-cluster", "confident"),
                         "Theorem 1's eta is the mean flip rate, and --noise-model random flips "
                         "a label with probability eta/2 (a uniform replacement): give "
                         "--noise-model iid and --noise eta/2"),
         "second_layer": ("frei", "Theorem 1 assumes the fixed second layer a_j = +-1/sqrt(m) "
                          "(--second-layer frei)"),
         "train_second_layer": (False, "Theorem 1 trains the first layer only"),
         "bias": (False, "Theorem 1's network has no biases"),
         # Theorem 1's algorithm: full-batch GD with a fixed step on the mean logistic loss
         "batch_size": (None, "Theorem 1 trains by full-batch GD (drop --batch-size)"),
         "integrator": ("gd", "Theorem 1 is about GD steps of size alpha (--integrator gd); "
                        "flow, and auto after --switch, integrate gradient flow instead"),
         "objective": ("logistic", "Theorem 1 trains on the logistic loss (--objective logistic)"),
         # the data premises it allows beyond A1-A7: any log-concave cluster law with covariance
         # sigma^2 I (all of twolayer's are) and any orthonormal pair mu1, mu2
         "cluster_dist": (CLUSTER_DISTS, "Theorem 1 needs a log-concave cluster law"),
         "rotate": ((False, True), "")}
# refused with a reason or accepted at the theorem's value, but not offered in --help (they
# belong to training or to the data's law, not to A1-A7)
HIDDEN_FIXED = ("batch_size", "integrator", "objective", "cluster_dist", "rotate")
# why conditions refuses --steps: A1-A7 do not read it, but the theorem's conclusions are at T
STEPS_NOTE = ("; Theorem 1's conclusions are stated at T = 1 + 1/(4 alpha) steps, which "
              "conditions prints")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "conditions",
        help="how deep inside a theorem's assumptions a setting is",
        description="--paper frei2023 (default): print each assumption A1-A7 of Frei, Chatterji &"
        " Bartlett (2023), Theorem 1, with the given values and, since the absolute "
        "constant C > 1 is unspecified, the range of C for which it holds; then the "
        "largest C for which all hold together, or, where there is none, every "
        "assumption that fails (FAILS) at the least C the others allow. Unset values "
        "take the simulate defaults (sigma2 = d^-1.2, init-var = 0.01/(m d)); "
        "simulate's other setting flags are refused: with Theorem 1's reason where it"
        " excludes the value (e.g. minibatches, gradient flow, biases), else because "
        "the assumptions do not depend on them; with --record DIR instead of the "
        "setting flags, the assumptions of the record's own config, then Theorem 1's "
        "model, training and stopping time read from it as the claims read them. "
        "--paper liu2023 --record DIR: print each premise of Liu, Abedsoltan & Belkin"
        " (2023)'s theory (Eq. (5), Assumption 4.1, the NTK premise, two classes, "
        "delta < 1/2) as the paper card states it, its value measured on the record "
        "written by twolayer simulate --out DIR (with the probes "
        "errors,segments,liu,liu_angles), the threshold, and whether it holds; then "
        "the regime of the built-in claims of that kind of setting as their own "
        "checks compute it on the record. --plugin PATH --paper NAME --record DIR: "
        "the premises a plugin registers (twolayer.api.register_conditions, "
        "docs/extending.md), printed the same way; --plugin PATH --paper NAME with "
        "twolayer simulate's setting flags and no --record: the same premises before "
        "training, for a plugin that registers a setting reader (from_setting), from "
        "the config twolayer simulate would train (on a CPU) with those flags.",
    )
    p.add_argument("--plugin", action="append", metavar="PATH",
                   help="load a plugin (a .py file or a folder) first, e.g. one that registers "
                   "a paper's premises for --paper (repeatable; installed plugins are always "
                   "loaded)")
    p.add_argument("--paper", default="frei2023", metavar="PAPER",
                   help="theorem: " + "; ".join(f"{k}: {v.about}" for k, v in CONDITIONS.items())
                   + " (default frei2023; a plugin's paper once --plugin PATH names it)")
    p.add_argument("--record", metavar="DIR",
                   help="a record directory (twolayer simulate --out DIR: DIR or DIR/<run_id>) "
                   "whose measured premises to print; for the papers that read a record ("
                   + ", ".join(k for k, v in CONDITIONS.items() if v.reads == "record") + "); "
                   "for " + ", ".join(k for k, v in CONDITIONS.items() if v.reads == "setting")
                   + ": the assumptions computed from the record's config, and the theorem's "
                   "model, training and stopping time read from it; not with the setting flags")
    p.add_argument("--delta", type=number, default=None,
                   help=f"failure probability delta in (0, 1/2) (default {DEFAULT_DELTA}; "
                   "--paper frei2023)")
    before = {a.dest for a in p._actions}
    add_setting_flags(p)
    # the plugins' papers with a setting reader (loaded before the parser is built) read every
    # setting flag, so --help shows them all once such a plugin is named
    readers = [k for k, v in CONDITIONS.items() if v.from_setting is not None]
    frei = ", ".join(k for k, v in CONDITIONS.items() if v.reads == "setting")
    for g in p._action_groups:  # the papers that read only a record refuse them
        if g.title and g.title.startswith("setting"):
            if readers:
                g.title = g.title.replace("setting (", f"setting (--paper {frei} reads "
                                          + ", ".join("--" + f.replace("_", "-") for f in READ)
                                          + " and refuses the others with a reason; --paper "
                                          + ", ".join(readers) + " reads them all; ", 1)
            else:
                g.title = g.title.replace("setting (", f"setting, --paper {frei} only (", 1)
    unread = tuple(a.dest for a in p._actions if a.dest not in before and a.dest not in READ)
    for a in p._actions:  # refused with a reason when given (run), so not offered in --help
        if (not readers and a.dest in unread
                and (a.dest not in FIXED or a.dest in HIDDEN_FIXED)):
            a.help = argparse.SUPPRESS
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run, unread_flags=unread)


def _c(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.4g}"


def _whole_steps_note(alpha: float) -> str:
    """Theorem 1 runs T = 1 + 1/(4 alpha) GD steps (Lemmas 11, 13: t = 1, ..., 1/(4 alpha)), a
    whole number only when 1/(4 alpha) is one: say so where it is not (the simulate default
    alpha = 0.1 gives T = 3.5)."""
    q = 1 / (4 * alpha)
    if q >= 1 and abs(q - round(q)) <= 1e-9 * q:
        return ""
    return (", not a whole number of GD steps: alpha = 1/(4k) for a whole k >= 1 gives "
            "T = k + 1")


def render(c: Conditions) -> str:
    """The human-readable table."""
    s = c.setting
    bound = 1 - 4 * c.delta
    # delta in [1/4, 1/2) is inside the paper's range (0, 1/2), but then 1 - 4 delta <= 0
    prob = (f"the theorem holds with probability >= {bound:g}" if bound > 0 else
            f"the theorem's probability bound 1 - 4 delta = {bound:g} is vacuous (<= 0)")
    lines = [
        "Frei, Chatterji & Bartlett (2023), Theorem 1: assumptions (C > 1 an unspecified "
        f"absolute constant; delta = {c.delta:g}: {prob})",
        f"setting: d={s['d']} n={s['n']} m={s['m']} eta={s['noise']:g} sigma2={s['sigma2']:.4g} "
        f"init_var={s['init_var']:.4g} alpha={s['lr']:g} (T = 1 + 1/(4 alpha) = "
        f"{1 + 1 / (4 * s['lr']):.10g}{_whole_steps_note(s['lr'])})",
        f"{'':3s} {'assumption':46s} {'values':50s} holds for",
    ]
    # where no C satisfies all seven, every assumption that must change is marked, not only the
    # one with the smallest upper end that the summary names
    failing = {a.id for a in c.failing}
    for a in c.assumptions:
        if not a.feasible:
            rng = "no C > 1"
        elif a.c_min > 1:
            rng = f"{_c(a.c_min)} <= C <= {_c(a.c_max)}"
        else:
            rng = f"C <= {_c(a.c_max)}"
        if a.id in failing and a.feasible:
            rng += f"  FAILS at C >= {_c(c.c_min_all)}"
        elif a.id in failing:
            rng += "  FAILS"
        lines.append(f"{a.id:3s} {a.statement:46s} {a.values:50s} {rng}")
    largest = c.largest_c
    lines.append(
        f"all {'':46s} {'':50s} "
        + (f"{c.lower_text(_c)} <= {_c(largest)}" if largest is not None else "no C > 1")
    )
    lines.append(c.summary())
    if failing:
        lines.append(c.failing_text(_c))
    return "\n".join(lines)


def load_plugins(args: argparse.Namespace) -> ConditionsProvider:
    """Load the installed plugins and the ``--plugin`` paths (each once: the preloaded ones are
    not imported again), then the provider ``--paper`` names: a PluginError (file:line) for a
    plugin that does not load, a ConfigError listing the registered papers for an unknown one."""
    from ..cli import refuse_empty_plugin_path
    from ..plugins import load_entry_points, load_path

    load_entry_points()
    plugins = []
    for path in getattr(args, "plugin", None) or []:
        refuse_empty_plugin_path(path)
        plugins.append((path, load_path(path)))
    if args.paper not in CONDITIONS:
        if plugins:
            named = "; ".join(f"{path} registers " + (", ".join(p.conditions) or "none")
                              for path, p in plugins)
            hint = f" ({named})"
        else:
            hint = " (a plugin's paper: name its plugin with --plugin PATH)"
        raise ConfigError("paper", args.paper, "valid papers are " + ", ".join(CONDITIONS)
                          + hint)
    return CONDITIONS[args.paper]


def _plugin_call(prov: ConditionsProvider, fn: Any, arg: Any, what: str) -> RecordConditions:
    """``fn(arg)`` for ``prov``'s reader ``fn`` (``what`` names it in a message). A plugin's
    reader (code outside twolayer) that raises anything but twolayer's own errors, or returns
    something other than a RecordConditions, is a TwolayerError (one line naming the paper and
    the plugin's file:line, exit status 2), not a traceback."""
    code = getattr(fn, "__code__", None)
    own = Path(code.co_filename).resolve() if code else None
    package = Path(__file__).resolve().parents[1]
    if own is None or own.is_relative_to(package):
        return fn(arg)
    where = f"{own}:{code.co_firstlineno}"
    try:
        cond = fn(arg)
    except TwolayerError:
        raise
    except Exception as e:  # noqa: BLE001 - a plugin's bug: reported with its file and line
        frames = [f for f in traceback.extract_tb(e.__traceback__)  # the plugin's files
                  if Path(f.filename).resolve().is_relative_to(own.parent)
                  and Path(f.filename).is_file()]  # not "<string>" (a dataclass's __init__)
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}"
        raise TwolayerError(f"{what} of {prov.paper!r} ({where}) raised "
                            f"{type(e).__name__}: {e}") from None
    if not isinstance(cond, RecordConditions):
        raise TwolayerError(f"{what} of {prov.paper!r} ({where}) returned a "
                            f"{type(cond).__name__}, not a RecordConditions")
    if why := _malformed(cond):
        raise TwolayerError(f"{what} of {prov.paper!r} ({where}) returned a RecordConditions "
                            f"whose {why}")
    return cond


def _malformed(cond: RecordConditions) -> str:
    """What is wrong in a plugin's RecordConditions, else "": a premise that is not a
    ``Premise`` or whose tag is not one of the paper cards' tags (as a claim's), a claim regime
    that is not a ``ClaimRegime`` or names no registered claim (a typo would print a claim that
    does not exist as inside its regime)."""
    from ..claims.base import CLAIMS, TAGS

    try:
        premises, regimes = list(cond.premises), list(cond.claims)
    except TypeError:
        return "premises and claims must be sequences (tuples) of Premise and ClaimRegime"
    for p in premises:
        if not isinstance(p, Premise):
            return f"premises hold a {type(p).__name__} ({p!r:.60}), not a Premise"
        if p.tag not in TAGS:
            return (f"premise {p.id!r} has the tag {p.tag!r}, not one of the paper cards' "
                    f"tags {', '.join(TAGS)}")
    for c in regimes:
        if not isinstance(c, ClaimRegime):
            return f"claims hold a {type(c).__name__} ({c!r:.60}), not a ClaimRegime"
        if c.claim not in CLAIMS:
            return (f"claim regime names {c.claim!r}, not a registered claim (`twolayer check "
                    "PLUGIN --list` lists the ids)")
    return ""


def evaluate_record(prov: ConditionsProvider, path: str) -> RecordConditions:
    """``prov.evaluate(path)``; a plugin's bug (an exception other than twolayer's own errors,
    or a return value other than a RecordConditions) is one line naming its file:line."""
    return _plugin_call(prov, prov.evaluate, path, "conditions")


def evaluate_setting(prov: ConditionsProvider, args: argparse.Namespace) -> RecordConditions:
    """``prov.from_setting(config)`` for the setting flags: the Config built from them as
    ``twolayer simulate`` builds it on a CPU (:func:`config_from_args`, which checks every flag:
    a bad one is a ConfigError naming it), passed as the dict a record of it would hold
    (:func:`setting_config`); its notes (e.g. a preset's steps capped on the CPU) go to stderr.
    The result's ``record`` is set to "" (no record); a plugin's bug is one line naming its
    file:line, as for :func:`evaluate_record`."""
    cfg, notes = config_from_args(args)
    for note in notes:
        print(f"twolayer conditions: note: {note}", file=sys.stderr)
    try:
        cond = _plugin_call(prov, prov.from_setting, setting_config(cfg), "setting reader")
    except ConfigError as e:
        # the data kind the user did not give is simulate's default (xor): "--data 'xor' is
        # invalid" read as if xor had been typed
        if type(e) is ConfigError and e.field == "data" and getattr(args, "data", 0) is None \
                and getattr(args, "preset", None) is None:
            raise ConfigError("data", None, e.valid) from None
        raise
    return dataclasses.replace(cond, record="")


def _given_setting_flags(args: argparse.Namespace) -> list[str]:
    """The setting flags given on the command line (dests), in the parser's order."""
    return [dest for dest in READ + tuple(getattr(args, "unread_flags", ()))
            if getattr(args, dest, None) is not None and getattr(args, dest, None) is not False]


def _setting_papers() -> str:
    """The papers that read the setting flags: frei2023 and those with a setting reader."""
    return ", ".join(k for k, v in CONDITIONS.items()
                     if v.reads == "setting" or v.from_setting is not None)


def record_and_flags(args: argparse.Namespace, dest: str) -> ConfigError:
    """The refusal of a setting flag (``dest``, the first given) beside ``--record``."""
    return ConfigError(dest, getattr(args, dest), f"--paper {args.paper} reads either a record "
                       "(--record DIR: its own setting) or the setting flags (no record), not "
                       "both: drop --record or the setting flags")


def run_record(args: argparse.Namespace) -> int:
    """A paper whose premises are measured on a record (``--record DIR``) or, where it registers
    a setting reader, computed from the setting flags (no ``--record``): --json applies to
    both, --delta to neither; --record with setting flags is refused, and so are setting flags
    for a paper without a setting reader."""
    prov = CONDITIONS[args.paper]
    if args.delta is not None:
        raise ConfigError("delta", args.delta, f"--paper {args.paper} reads no delta: its "
                          "premises are " + ("measured on the record or computed from the "
                                             "setting flags" if prov.from_setting else
                                             "measured on the record") + " (--delta is for --paper "
                          + ", ".join(k for k, v in CONDITIONS.items() if v.reads == "setting")
                          + ")")
    given = _given_setting_flags(args)
    if given and prov.from_setting is None:
        dest = given[0]
        raise ConfigError(dest, getattr(args, dest), f"--paper {args.paper} reads its setting "
                          "from the record (--record DIR); the setting flags are for --paper "
                          + _setting_papers())
    if given and args.record is not None:
        raise record_and_flags(args, given[0])
    if args.record is None and prov.from_setting is None:
        raise TwolayerError(f"--paper {args.paper} needs --record DIR: a record directory "
                            "written by twolayer simulate --out DIR")
    if args.record is None:
        cond = evaluate_setting(prov, args)
    else:
        cond = evaluate_record(prov, args.record)
    if args.json:
        print(json.dumps(cond.to_json(), allow_nan=False))
    else:
        print(cond.render())
    return 0


# where a record's config holds each setting of FIXED (the theorem's model and training)
FIXED_IN_CONFIG = {"noise_model": ("data", "iid"), "second_layer": ("net", "frei"),
                   "train_second_layer": ("net", False), "bias": ("net", False),
                   "batch_size": ("train", None), "integrator": ("train", "gd"),
                   "objective": ("train", "logistic"), "cluster_dist": ("data", "gaussian"),
                   "rotate": ("data", False)}


def model_gaps(config: dict) -> list[str]:
    """Theorem 1's premises beyond (A1)–(A7) that a record's config breaks, each as the reason
    the setting flags' refusal gives (:data:`FIXED`); with the claims' own reading of them
    (:func:`twolayer.claims.frei2023.paper_model`) as the judge: a gap it finds that no FIXED
    setting names (an odd width, several outputs) is named from it."""
    from ..claims.frei2023 import (
        EVEN_WIDTH,
        ZERO_NEURON_TRAINED,
        even_width,
        paper_model,
        zero_neuron_trained,
    )

    gaps = []
    for dest, (part, default) in FIXED_IN_CONFIG.items():
        value = config.get(part, {}).get(dest, default)
        allowed = FIXED[dest][0] if isinstance(FIXED[dest][0], tuple) else (FIXED[dest][0],)
        if dest == "integrator" and value == "auto":
            continue  # exact GD up to its switch: paper_model decides it with the steps
        if value not in allowed:
            gaps.append(f"{dest.replace('_', '-')} {value}: {FIXED[dest][1]}")
    net = config.get("net", {})
    if net.get("second_layer", "frei") == "frei" and not even_width(config):
        gaps.append(f"m = {net.get('m')} is odd: the theorem's premise is {EVEN_WIDTH}")
    if zero_neuron_trained(config):
        gaps.append(f"neuron {net.get('m')} (a_{net.get('m')} = 0 at t = 0) is in no J_mu: "
                    f"the claims' premise '{ZERO_NEURON_TRAINED}' does not hold")
    if not paper_model(config) and not gaps:
        gaps.append(f"m = {net.get('m')} neurons, {net.get('outputs', 1)} output(s), "
                    f"integrator {config['train'].get('integrator', 'gd')}: Theorem 1's network "
                    "has an even width (a_j = +-1/sqrt(m), half each), one output and exact GD "
                    "steps")
    return gaps


def run_setting_record(args: argparse.Namespace) -> int:
    """``--paper frei2023 --record DIR``: (A1)–(A7) computed from the record's own config (as
    from the setting flags), then the theorem's other premises read from it as the claims read
    them (the model and training, runs stopped at T = 1 + 1/(4 alpha)). Setting flags are
    refused beside --record (the record's config is the setting)."""
    from ..claims.frei2023 import paper_model, stopping_time
    from ..conditions import find_record
    from ..config import Config
    from ..errors import RecordError
    from ..store import load_record

    given = _given_setting_flags(args)
    if given:
        raise record_and_flags(args, given[0])
    where = find_record(args.record, hint="e.g. twolayer simulate --data xor ... --out DIR")
    rec = load_record(where)  # RecordError (exit 2): missing, truncated, edited, malformed
    try:
        cfg = Config.from_dict(rec.config)
    except (TwolayerError, KeyError, TypeError, ValueError) as e:
        raise RecordError(str(where), f"its config cannot be read ({e})") from None
    if cfg.data.kind != "xor":
        raise ConfigError("record", args.record, f"is a --data {cfg.data.kind} record: --paper "
                          f"{args.paper}'s assumptions are for --data xor records (the premises "
                          "of --paper " + ", ".join(k for k, v in CONDITIONS.items()
                                                   if v.reads == "record")
                          + " are measured on records of their own kinds)")
    cond = frei2023_from_config(cfg, args.delta)
    gaps = model_gaps(rec.config)
    steps, alpha = int(rec.config["train"]["steps"]), float(rec.config["train"]["lr"])
    T = stopping_time(alpha)  # None: 1/(4 alpha) is not a whole number of steps
    at_T = steps == T
    model_ok = paper_model(rec.config)
    if args.json:
        out = cond.to_json()
        out.update(record=str(where), paper_model=model_ok, model_gaps=gaps, steps=steps,
                   stops_at_T=at_T)
        print(json.dumps(out))
        return 0
    print(f"record: {where} (the assumptions below are computed from its config)")
    print(render(cond))
    print("model and training as in the paper (read from the record, as the claims read it): "
          + ("yes" if model_ok else "no: " + "; ".join(gaps)))
    print("runs stop at T = 1 + 1/(4 alpha) ("
          + (f"{T} whole steps" if T is not None else
             f"{1 + 1 / (4 * alpha):.10g}, not a whole number of steps at alpha = {alpha:g}")
          + ", as the claims read it): "
          + (f"yes ({steps} steps)" if at_T else
             f"no ({steps} steps; the theorem's conclusions are stated at T)"))
    print(f"each claim's regime and verdict on this record: twolayer check frei2023 --record "
          f"{args.record}")
    return 0


def run(args: argparse.Namespace) -> int:
    if load_plugins(args).reads == "record":
        return run_record(args)
    if args.delta is None:
        args.delta = DEFAULT_DELTA
    if not (math.isfinite(args.delta) and 0 < args.delta < 0.5):
        # as written: "--delta 0", not the float it parsed to ("--delta 0.0")
        raise as_written(ConfigError("delta", args.delta, "valid range is (0, 0.5)"), args)
    if args.record is not None:
        return run_setting_record(args)
    for dest in getattr(args, "unread_flags", ()):
        value = getattr(args, dest, None)
        if dest in FIXED:
            allowed = FIXED[dest][0]
            allowed = allowed if isinstance(allowed, tuple) else (allowed,)
            if value is not None and value not in allowed:
                raise ConfigError(dest, value, FIXED[dest][1])
            continue
        if value is not None and value is not False:
            raise ConfigError(dest, value, "conditions reads only " + ", ".join(
                "--" + f.replace("_", "-") for f in READ) + " (and " + ", ".join(
                "--" + f.replace("_", "-") for f in FIXED) + " at the values Theorem 1 "
                "assumes): the assumptions do not depend on this setting"
                + (STEPS_NOTE if dest == "steps" else ""))
    # the assumptions are evaluated in Python floats (float64) and nothing is trained, so the
    # setting is checked against float64's range, not against the float32 that simulate trains in
    cfg, notes = config_from_args(argparse.Namespace(**{**vars(args), "dtype": "float64"}))
    if cfg.data.kind != "xor":
        raise ConfigError("data", cfg.data.kind, "the Frei et al. assumptions are for --data xor")
    if cfg.net.m % 2:  # the fixed second layer (FIXED): an odd m has a_m = 0
        from ..claims.frei2023 import EVEN_WIDTH

        raise ConfigError("m", cfg.net.m, f"Theorem 1's premise is {EVEN_WIDTH}: take m = "
                          f"{cfg.net.m - 1} or {cfg.net.m + 1} (twolayer simulate runs an odd m, "
                          "outside the theorem)")
    cond = frei2023_from_config(cfg, args.delta)
    for note in notes:  # a preset's sigma2 or init_var kept at a size a flag changed
        if note.startswith("--preset "):
            print(f"twolayer conditions: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(cond.to_json()))
    else:
        print(render(cond))
    return 0
