"""Flags that describe a setting, shared by the subcommands, and the config they build.

Precedence: library defaults ← ``--preset`` ← explicit flags. Flags default to ``None`` so
that an explicit flag can be told apart from a default.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from typing import Any

from ..cli import GivenOnce, given_text, integer, number
from ..config import (
    NOISE_MODELS,
    SECOND_LAYERS,
    SIZE_MAX,
    Config,
    DataConfig,
    Flag,
    data_kinds,
    objectives,
)
from ..errors import ConfigError, flag_name, switch_given
from ..presets import preset

MAX_THREADS = 1024  # --threads: more would only stall (and torch may fail to start them)

# flag dest → (config section, field); the data kinds' own flags come from the registry
# (:func:`data_fields`)
FIELDS: dict[str, tuple[str, str]] = {
    "data": ("data", "kind"),
    "d": ("data", "d"),
    "n": ("data", "n"),
    "n_test": ("data", "n_test"),
    "noise": ("data", "noise"),
    "noise_model": ("data", "noise_model"),
    "m": ("net", "m"),
    "init_var": ("net", "init_var"),
    "second_layer": ("net", "second_layer"),
    "train_second_layer": ("net", "train_second_layer"),
    "bias": ("net", "bias"),
    "lr": ("train", "lr"),
    "steps": ("train", "steps"),
    "batch_size": ("train", "batch_size"),
    "integrator": ("train", "integrator"),
    "rtol": ("train", "rtol"),
    "switch": ("train", "switch"),
    "objective": ("train", "objective"),
    "num_times": ("probe", "num_times"),
    "probes": ("probe", "probes"),
    "seeds": ("", "seeds"),
    "seed": ("", "seed"),
    "dtype": ("", "dtype"),
}


def data_flags() -> dict[str, tuple[Flag, list[str]]]:
    """The registered data kinds' flags by field name, with the kinds that have each (a flag
    shared by several kinds is one flag; its help names them)."""
    out: dict[str, tuple[Flag, list[str]]] = {}
    for name, kind in data_kinds().items():
        for flag in kind.flags:
            if flag.name in out:
                first, kinds = out[flag.name]
                if first.type is not flag.type or first.choices != flag.choices:
                    raise ConfigError("flags", flag.name, f"--data {name} declares it with "
                                      f"another type than --data {kinds[0]}")
                kinds.append(name)
            else:
                out[flag.name] = (flag, [name])
    return out


def data_fields() -> dict[str, tuple[str, str]]:
    """Flag dest → ("data", field) of the data kinds' flags."""
    return {name: ("data", name) for name in data_flags()}


def count(text: str) -> int | float:
    """An integer flag (see :func:`twolayer.cli.integer`). NaN and ±inf pass through as floats,
    so that the config rejects them with the flag's valid range in the message."""
    if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return float(text)
    return integer(text)


def size(text: str) -> int | float:
    """A size or count flag (d, n, m, seeds, ...): :func:`count`, at most 1e50. Up to there the
    memory check refuses it with the range that fits this machine; beyond, products of several
    (R n d m, about 1e300 for --d 10**300 --m 10**300) overflowed a float in that check: an
    OverflowError traceback (exit 1) instead of one line."""
    out_of_range = argparse.ArgumentTypeError(f"{text!r} is out of range: sizes are at most 1e50")
    try:
        v = count(text)
    except argparse.ArgumentTypeError as e:
        if "out of range" in str(e):  # beyond a float (10**400): the size cap is the range
            raise out_of_range from None
        raise
    if isinstance(v, int) and abs(v) > SIZE_MAX:
        raise out_of_range
    return v


# Values that start with "-" but are numbers (-0.1, -1e-3, -inf), so that "--init-var -1e-3"
# reaches validation (and its message) instead of argparse's "expected one argument".
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.I)


def add_setting_flags(p: argparse.ArgumentParser, *, with_training: bool = True) -> None:
    p._negative_number_matcher = NEGATIVE_NUMBER  # argparse's own pattern misses -1e-3, -inf
    g = p.add_argument_group("setting (defaults: Frei et al. Fig. 2 scaled down)")
    g.add_argument(
        "--preset", action=GivenOnce,
        help="a paper figure's setting: frei-fig1, frei-fig2-high-d, frei-fig2-low-d",
    )
    kinds = data_kinds()
    g.add_argument(
        "--data",
        choices=tuple(kinds),
        help="distribution: " + ", ".join(k.about or k.name for k in kinds.values())
        + " (default xor)",
    )
    g.add_argument("--d", type=size, help="input dimension d >= 2 (default 50)")
    g.add_argument("--n", type=size, help="training samples n >= 1 (default 1000)")
    g.add_argument("--n-test", type=size, help="test samples, >= 1 (default 2000)")
    g.add_argument(
        "--noise", type=number,
        help="label noise rate η in [0, 0.5), [0, 1] with --noise-model random (default 0.1)",
    )
    g.add_argument(
        "--noise-model", choices=NOISE_MODELS, help="label corruption model (default iid)"
    )
    for name, (flag, owners) in data_flags().items():
        opt = "--" + name.replace("_", "-")
        where = "" if "--data" in flag.help else f" [--data {'/'.join(owners)}]"
        if flag.type is bool:
            g.add_argument(opt, action="store_true", default=None, help=flag.help + where)
        elif flag.choices:
            g.add_argument(opt, choices=flag.choices, help=flag.help + where)
        else:
            conv = {int: size, float: number, str: str}.get(flag.type, str)
            g.add_argument(opt, type=conv, help=flag.help + where)
    g.add_argument(
        "--m", type=size, help="width m >= 2 (default 400); an odd m with the fixed ±1/√m "
        "head has a zero last neuron, a_m = 0"
    )
    g.add_argument("--init-var", type=number, help="init variance ω_init² > 0 (default 0.01/(m·d))")
    g.add_argument(
        "--second-layer", choices=SECOND_LAYERS, help="frei: fixed ±1/√m; gaussian: N(0, 1/m)"
    )
    g.add_argument(
        "--train-second-layer", action="store_true", default=None, help="train a as well as W"
    )
    g.add_argument(
        "--bias", action="store_true", default=None, help="first-layer bias b (init 0, trained)"
    )
    if with_training:
        g.add_argument("--lr", type=number, help="step size α > 0 (default 0.1)")
        g.add_argument("--steps", type=count, help="GD steps in [0, 10^12] (default 1000)")
        g.add_argument(
            "--batch-size",
            type=size,
            help="minibatch SGD with this batch size (default: full batch)",
        )
        g.add_argument(
            "--objective", choices=objectives(),
            help="the loss: logistic (binary), softmax (K classes), or one a plugin registers "
                 "(--plugin; e.g. hinge from examples/barak2022)"
        )
        g.add_argument(
            "--integrator", choices=("gd", "flow", "auto"),
            help="gd: exact full-batch GD (default); flow: adaptive gradient-flow integrator "
            "(time in GD steps, for long horizons); auto: gd up to --switch, flow after",
        )
        g.add_argument(
            "--rtol", type=number,
            help="flow/auto: relative error tolerance per step, in [1e-8, 0.1] (default 1e-3)",
        )
        g.add_argument(
            "--switch", type=count,
            help="auto: exact GD steps before switching to the flow, >= 0 (default 1000)",
        )
        g.add_argument(
            "--num-times", type=size,
            help="about this many log-spaced probe times, >= 2 (default 40)",
        )
        g.add_argument(
            # given twice with two lists, argparse kept the last without a word: --probes
            # errors --probes segments measured segments only, where a combination was meant
            "--probes", type=probe_names, metavar="NAME[,NAME...]", action=GivenOnce,
            help="the probes to measure, comma-separated (default errors,correlations,segments; "
            "a plugin's probes too, with --plugin)",
        )
    g.add_argument(
        "--seeds", type=size, help="independent runs R >= 1, trained as one batch (default 1)"
    )
    g.add_argument("--seed", type=count, help="seed of run 0; run r uses seed + r (default 0)")
    g.add_argument("--dtype", choices=("float32", "float64"),
                   help="float32 (default) or float64: the training arithmetic; the record's "
                   "probe arrays are float32 either way")


def threads(text: str) -> int | str:
    """--threads: "auto" or an integer (validated by Runtime: >= 1)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not auto or an integer >= 1") from None


def add_threads_flag(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--threads", type=threads, default="auto",
        help="CPU intra-op threads per training call: auto (1 for small problems, R·n·d·m < 2^27, "
        "else all cores; see twolayer/threads.py) or an integer >= 1 (default auto)",
    )


def runtime_threads(args: argparse.Namespace) -> int | None:
    """The Runtime's ``threads`` from --threads (None = auto; Runtime validates the rest)."""
    value = getattr(args, "threads", "auto")
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
        raise ConfigError("threads", value, f"an integer >= 1 and <= {MAX_THREADS}, or auto")
    return value


def add_gpu_flags(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Flags that matter on a GPU: --budget, --tf32."""
    add_budget_flag(p)
    p.add_argument(
        "--tf32", action="store_true",
        help="allow TF32 for float32 matrix products on an NVIDIA GPU (faster, ~1e-3 relative "
        "error per product; default: full float32; ignored on a CPU; recorded in each record's "
        "meta)",
    )


def add_budget_flag(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--budget", type=count, default=None,
        help="activation elements (runs x samples x m) per block of the gradient kernel "
        "(default: a quarter of the GPU's free memory on CUDA, 2^24 on a CPU); smaller blocks "
        "use less memory",
    )


def runtime_budget(args: argparse.Namespace) -> int | None:
    """--budget: None (the device's own) or an integer >= 1 (ConfigError otherwise)."""
    value = getattr(args, "budget", None)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
        raise ConfigError("budget", value, "an integer >= 1 (activation elements per block)")
    return value


def runtime_options(args: argparse.Namespace) -> dict[str, Any]:
    """Runtime fields from the GPU flags (:func:`add_gpu_flags`)."""
    return {"tf32": bool(getattr(args, "tf32", False)), "budget": runtime_budget(args)}


def add_runtime_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("runtime")
    g.add_argument(
        "--device", default="auto", help="auto (cuda if present), cpu or cuda (default auto)"
    )
    add_threads_flag(g)
    add_gpu_flags(g)
    g.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    g.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout: the config, the final numbers with "
                   "their deviations over seeds, and the table's means at t = 0, 1 and the end "
                   "(table: times, rows)")


def config_from_args(
    args: argparse.Namespace, device_is_cpu: bool = True
) -> tuple[Config, list[str]]:
    """The config of the parsed flags, and notes for the user (e.g. a capped step count)."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    cap = flow_after = None
    if getattr(args, "preset", None) is not None:  # "" is refused by preset(), not ignored
        pre = preset(args.preset)
        cap = pre.pop("cpu_steps", None)
        flow_after = pre.pop("flow_after", None)
        about = pre.pop("about", None)
        if (flow_after is not None and not device_is_cpu and getattr(args, "steps", None) is None
                and getattr(args, "integrator", None) is None):
            pre.update(train__integrator="auto", train__switch=flow_after)
            notes.append(f"exact GD for {flow_after} steps, then the gradient-flow integrator to "
                         f"{pre['train__steps']} steps (pass --integrator gd for exact GD "
                         "throughout)")
        values.update(pre)
    preset_values = dict(values)
    for dest, (section, fld) in {**FIELDS, **data_fields()}.items():
        v = getattr(args, dest, None)
        if v is not None:
            values[f"{section}__{fld}" if section else fld] = v
    if preset_values:
        notes += _kept_preset_scales(args.preset, about, preset_values, values)
    if (flow_after is not None and getattr(args, "integrator", None) == "auto"
            and getattr(args, "switch", None) is None):
        values["train__switch"] = flow_after  # the preset's switch, as on a GPU
    # the CPU cap exists because exact GD is slow; the flow is what makes the paper's horizon
    # affordable on a CPU (docs/integrators.md), so --integrator flow|auto is not capped
    if (cap is not None and device_is_cpu and getattr(args, "steps", None) is None
            and values.get("train__integrator", "gd") == "gd"):
        paper = values["train__steps"]
        if paper > cap:
            values["train__steps"] = cap
            notes.append(
                f"steps capped at {cap} on the CPU (paper: {paper}); pass --steps to change it"
            )
    sections: dict[str, dict[str, Any]] = {"data": {}, "net": {}, "train": {}, "probe": {}}
    top: dict[str, Any] = {}
    for key, v in values.items():
        if "__" in key:
            sec, fld = key.split("__", 1)
            sections[sec][fld] = v
        else:
            top[key] = v
    base = Config()
    try:
        cfg = Config(
            data=DataConfig(**sections["data"]),
            net=dataclasses.replace(base.net, **sections["net"]),
            train=dataclasses.replace(base.train, **sections["train"]),
            probe=dataclasses.replace(base.probe, **sections["probe"]),
            **top,
        )
    except ConfigError as e:  # a switch the user gave: "--rotate is given", not "True is invalid"
        if e.value is True and getattr(args, e.field, None) is True:
            raise switch_given(e.field, e.valid) from None
        if (e.value is not None and hasattr(args, e.field) and getattr(args, e.field) is None
                and not any(k.split("__")[-1] == e.field for k in preset_values)):
            # a flag the user left at its default: `--objective softmax` was refused as
            # "--second-layer 'frei' is invalid", a flag not typed (helper h3, session 50)
            raise ConfigError(e.field, None, f"{e.valid} (it is left at its default, "
                              f"{e.value!r})") from None
        raise as_written(e, args) from None
    # --rtol and --switch steer only the flow: under exact GD they would be dropped without a
    # word (and --rtol would not even enter the run id), so a run the user meant to integrate
    # with the flow would silently train 10^6 exact steps
    integrator = cfg.train.integrator
    if getattr(args, "rtol", None) is not None and integrator == "gd":
        raise ConfigError("rtol", args.rtol, "applies only with --integrator flow or auto "
                          "(the integrator here is gd: exact GD has no tolerance)")
    if getattr(args, "switch", None) is not None and integrator != "auto":
        raise ConfigError("switch", args.switch, "applies only with --integrator auto (the "
                          f"integrator here is {integrator})")
    unknown = [name for name in cfg.probe.probes if name not in probe_registry()]
    if unknown:
        raise ConfigError("probes", ",".join(unknown),
                          "known probes are " + ", ".join(sorted(probe_registry())))
    return cfg, notes


def as_written(e: ConfigError, args: argparse.Namespace) -> ConfigError:
    """``e`` echoing the flag's value as the user wrote it, where the refused value is the one
    the flag parsed to: ``--lr -1`` reads "--lr -1 is invalid", not "--lr -1.0" (the float it
    became), ``--noise 1/2`` "--noise 1/2"; any other error as it is."""
    text = given_text(args, e.field)
    if text is None or e.value is None or type(e.value) is bool:
        return e
    given = getattr(args, e.field, None)
    if type(given) is not type(e.value) or given != e.value:  # NaN != NaN: shown as it is
        return e
    shown = ConfigError(e.field, e.value, e.valid)
    shown.args = (f"{flag_name(e.field)} {text.strip()} is invalid: {e.valid}",)
    return shown


# the fields whose defaults scale with sizes (sigma2 = d^-1.2, init_var = 0.01/(m d)): a preset
# that fixes one for its own sizes keeps it when a flag changes a size, which is said, not silent
SCALES_WITH = {"data__sigma2": ("data__d",), "net__init_var": ("net__m", "data__d")}


def _kept_preset_scales(name: str, about: str | None, preset_values: dict[str, Any],
                        values: dict[str, Any]) -> list[str]:
    """Notes for a preset's fixed scale (sigma2, init_var) that stays while a flag changes a
    size its default would follow (e.g. frei-fig1's init_var = 1/(32 m) = 6.25e-05 at its
    m = 500, kept at --m 100, where the default 0.01/(m d) would have followed m)."""
    notes = []
    for fld, moved in kept_scales(preset_values,
                                  lambda f: values.get(f) != preset_values[f],
                                  lambda s: values.get(s) != preset_values[s]):
        short = fld.split("__")[1]
        now = " ".join(f"--{s.split('__')[1].replace('_', '-')} {values[s]}" for s in moved)
        notes.append(f"--preset {name} fixes {short} = {preset_values[fld]:.4g}, which "
                     f"stays with {now} (the preset: {about}); give "
                     f"--{short.replace('_', '-')} to change it")
    return notes


def kept_scales(preset_values: dict[str, Any], set_here: Callable[[str], bool],
                moved: Callable[[str], bool]) -> list[tuple[str, list[str]]]:
    """(scale field, the sizes of :data:`SCALES_WITH` it was chosen for that ``moved``) for
    each scale the preset fixes and the user did not set (``set_here``; a scale the preset
    leaves to the default follows the sizes by itself). Fields as ``"net__init_var"``."""
    out = []
    for fld, sizes in SCALES_WITH.items():
        if fld in preset_values and not set_here(fld):
            if sizes_moved := [s for s in sizes if s in preset_values and moved(s)]:
                out.append((fld, sizes_moved))
    return out


def probe_names(text: str) -> tuple[str, ...]:
    """``--probes a,b``: the names, in order, without blanks or repeats."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise argparse.ArgumentTypeError(  # the valid values too, as an unknown name gets
            f"{text!r} names no probe: give a comma-separated list of known probes ("
            + ", ".join(sorted(probe_registry())) + ")")
    return names


def probe_registry() -> dict:
    from ..probes import REGISTRY

    return REGISTRY
