"""The ``twolayer`` command line: a thin layer over the library.

Each subcommand lives in :mod:`twolayer.commands` as a module with ``add_parser(subparsers)``
and ``run(args) -> int``. Invalid input exits with status 2 and one line on stderr naming the
flag, the value and the valid range; nothing is written in that case.
"""

from __future__ import annotations

import argparse
import decimal
import errno
import importlib
import math
import os
import sys
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ._version import __version__
from .errors import NAME_MAX, PATH_MAX, TwolayerError

COMMANDS = ("simulate", "show", "figures", "check", "conditions", "sweep", "store", "bench")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2, and no abbreviated flags: argparse took
    ``check --record DIR`` (before that flag existed) as ``--records DIR`` and trained a whole
    plan into the record's folder; a flag is taken only as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        # the text a flag's value was written as, for messages that echo it (`--lr -1` is
        # refused as "--lr -1", not as the number it parses to, "-1.0"): GIVEN_TEXT of the
        # namespace (:func:`given_text`)
        value = super()._get_value(action, arg_string)  # type: ignore[misc]
        if action.option_strings:
            self._given_text[action.dest] = arg_string
        return value

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given_text: dict[str, str] = {}
        ns, rest = super().parse_known_args(args, namespace)
        texts = dict(getattr(ns, GIVEN_TEXT, None) or {})
        texts.update(self._given_text)  # a subcommand's parser: copied into the main namespace
        setattr(ns, GIVEN_TEXT, texts)
        return ns, rest

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith(PLUGIN_CHOICES):  # e.g. --data parity without its --plugin
            message += ("; a plugin's data kinds and losses (e.g. --data parity, --objective "
                        "hinge of examples/barak2022) need its --plugin PATH")
        self.exit(2, f"{self.prog}: error: {message}\n")


# the namespace attribute holding each option's value as written (dest -> text)
GIVEN_TEXT = "_given_text"


def given_text(args: argparse.Namespace, dest: str) -> str | None:
    """How the user wrote option ``dest``'s (single) value on the command line, or None."""
    return (getattr(args, GIVEN_TEXT, None) or {}).get(dest)


# argparse's refusals of a choice that a plugin can add (twolayer.config.register_data_kind,
# register_objective): the README's `--data parity` without `--plugin examples/barak2022`
# listed the built-in kinds only and did not say where parity comes from
PLUGIN_CHOICES = ("argument --data: invalid choice", "argument --objective: invalid choice")


class GivenOnce(argparse.Action):
    """A flag that may be given once, or again with the same value: argparse keeps the last of
    ``--preset frei-fig1 --preset frei-fig2-low-d`` without a word, while presets look as if
    they combined. A second, different value is refused (exit 2) naming both."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        seen = getattr(self, "_given", None)
        if seen is not None and seen[0] is namespace and seen[1] != values:
            parser.error(f"{option_string} is given twice, as {_typed(seen[1])} and "
                         f"{_typed(values)}: give it once (one value is used, settings do not "
                         "combine" + ("; list several, comma-separated, in one flag)"
                                      if isinstance(values, tuple) else ")"))
        self._given = (namespace, values)
        setattr(namespace, self.dest, values)


# the largest integer a flag takes: every check after parsing may convert it to a float
INT_MAX_TEXT = f"{sys.float_info.max:.4g}"


def _nonzero(text: str) -> bool:
    """Whether ``text`` writes a decimal number other than zero (False where it writes none)."""
    try:
        return decimal.Decimal(text.strip()) != 0
    except decimal.InvalidOperation:
        return False


def _typed(value: Any) -> str:
    """A flag's parsed value as the user could have typed it: a list (``--probes a,b``) joined
    by commas, anything else as its repr."""
    if isinstance(value, tuple):
        return repr(",".join(str(v) for v in value))
    return repr(value)


def number(text: str) -> float:
    """A float, also written as a fraction ("1/50"); NaN and inf pass through to validation. A
    finite number written beyond a float's range ("1e400") or a non-zero one below its
    smallest magnitude ("1e-400") is refused as written: float() made them inf and 0.0, and the
    flag's refusal then echoed "--lr inf" or "--lr 0.0", a value the user never gave. A signed
    zero ("-0") is 0.0: the setting it gives is the setting of "0", under the same record key."""
    try:
        v = float(text)
    except ValueError:
        pass
    else:
        spelled_inf = text.strip().lower().lstrip("+-") in ("inf", "infinity")
        if math.isinf(v) and not spelled_inf:
            raise argparse.ArgumentTypeError(
                f"{text!r} is beyond the range of a float (magnitude at most {INT_MAX_TEXT})")
        if v == 0 and _nonzero(text):
            raise argparse.ArgumentTypeError(
                f"{text!r} is below the smallest float (magnitude at least 5e-324); it would "
                "be read as 0")
        return v + 0.0  # -0.0 + 0.0 is 0.0
    try:
        return float(Fraction(text.replace(" ", ""))) + 0.0
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def decimal_integer(t: str, too_big: argparse.ArgumentTypeError) -> int:
    """``1e30`` or ``2.5e3`` as the exact integer it writes (10**30, 2500), not the nearest
    float's: through float, ``--d 1e30`` was echoed as 1000000000000000019884624838656 and
    ``--d 1e50`` was refused as above the size cap of 1e50. ValueError when it is no integer."""
    try:
        v = decimal.Decimal(t)
    except decimal.InvalidOperation:
        raise ValueError from None
    if not v.is_finite():
        raise ValueError
    if v.adjusted() > 308:  # 1e400: beyond a float (checked before an int of 10**10**9 is built)
        raise too_big
    if v != v.to_integral_value():
        raise ValueError
    return int(v)


def integer(text: str) -> int:
    """An integer, also written as 1e5 or 10**5, that a float can hold (|v| <= 1.797e308: the
    flags' own checks then name their ranges; --d 10**400 raised OverflowError in them, a
    traceback, and 2**10**9 would take minutes to compute)."""
    t = text.replace("_", "")
    too_big = argparse.ArgumentTypeError(
        f"{text!r} is out of range: valid integers are at most {INT_MAX_TEXT} in size")
    try:
        if "**" in t:
            base, exp = (int(x) for x in t.split("**"))
            if exp < 0:
                raise ValueError
            if abs(base) > 1 and exp * math.log2(abs(base)) > 1100:
                raise too_big
            v = base**exp
        else:
            v = (decimal_integer(t, too_big)
                 if ("e" in t.lower() and not t.lower().startswith(("nan", "inf")))
                 else int(t))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if abs(v) > sys.float_info.max:
        raise too_big
    return v


# commands whose --plugin PATH may register data kinds (simulate) or a paper's premises
# (conditions: its --help lists them)
PLUGIN_COMMANDS = ("simulate", "conditions")


def preload_plugins(argv: Sequence[str] | None) -> None:
    """Load the installed plugins (entry points, group ``twolayer.plugins``) and the
    ``--plugin PATH`` files of a command in :data:`PLUGIN_COMMANDS` before the parser is built,
    so that the data kinds and losses they register are on it (``--data``, ``--objective``),
    and the papers whose premises they register in ``twolayer conditions --help``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in PLUGIN_COMMANDS:
        return
    from .plugins import load_entry_points

    load_entry_points()
    # the project's Parser: one line under the command's name (argparse's own printed its usage
    # and "__main__.py: error: ..." for `--plugin` without a path, two lines)
    pre = Parser(prog=f"twolayer {args[0]}", add_help=False, allow_abbrev=False)
    pre.add_argument("--plugin", action="append", default=[])
    known, _ = pre.parse_known_args(args[1:])
    if known.plugin:
        from .plugins import load_path

        for path in known.plugin:
            refuse_empty_plugin_path(path)
            load_path(path)


def refuse_empty_plugin_path(path: str) -> None:
    """An empty plugin path would resolve to the working directory: refuse it by name."""
    if not str(path).strip():
        from .plugins import PluginError

        raise PluginError(repr(path), "is empty; give a .py file or a folder with __init__.py")


def flag_clash(e: argparse.ArgumentError) -> str:
    """The message for a data kind's flag that a command already has (``--out``, ``--json``:
    argparse's "conflicting option string" while the parser is built, which was a traceback):
    the kinds that declare it and where their configs are defined. (A flag of a common setting
    field, ``--noise``, is refused where the kind registers, :class:`twolayer.config.DataKind`.)"""
    import inspect
    import re

    from .config import data_kinds

    text = str(e)
    clashing = set(re.findall(r"--[\w-]+", text.split("conflicting option string")[-1]))
    where = []
    for name, kind in data_kinds().items():
        for flag in kind.flags:
            opt = "--" + flag.name.replace("_", "-")
            if opt not in clashing:
                continue
            try:
                line = inspect.getsourcelines(kind.config)[1]
                where.append((opt, f"--data {name} ({inspect.getsourcefile(kind.config)}:{line})"))
            except (OSError, TypeError):
                where.append((opt, f"--data {name} ({kind.config.__module__}."
                                   f"{kind.config.__qualname__})"))
    if not where:
        return f"a plugin's flag clashes with a command's: {text}"
    return (f"{where[0][0]} of {', '.join(w for _, w in where)} is a flag twolayer's commands "
            "have already: a data kind's Flag names one of its own fields, by a name no command "
            "uses (docs/extending.md)")


def build_parser() -> Parser:
    parser = Parser(
        prog="twolayer",
        description="Train many two-layer ReLU networks at once and check what theory papers "
        "claim about them.",
    )
    parser.add_argument("--version", action="version", version=f"twolayer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"twolayer.commands.{name}").add_parser(sub)
    parser.subcommands = sub.choices  # type: ignore[attr-defined]
    return parser


def refuse_unknown(parser: Parser, args: argparse.Namespace, extra: list[str]) -> None:
    """Unrecognized arguments, refused by the command's own parser: argparse's top-level
    refusal was "twolayer: error: unrecognized arguments: --k 3", naming no command. In
    simulate, a flag of a plugin's data kind (the README's --k of --data parity) needs its
    --plugin PATH."""
    parser_of = parser.subcommands[args.command]  # type: ignore[attr-defined]
    hint = f"`twolayer {args.command} --help` lists its flags"
    if args.command == "simulate" and not getattr(args, "plugin", None):
        hint += "; a plugin's flags (e.g. --k of --data parity) need its --plugin PATH"
    parser_of.error(f"unrecognized arguments: {' '.join(extra)} ({hint})")


def refuse_option_before_command(parser: Parser, argv: list[str]) -> None:
    """``twolayer --bogus`` was refused as "the following arguments are required: COMMAND",
    naming neither the option nor the commands: an option before the command other than
    --help and --version is refused naming it."""
    if not argv or not argv[0].startswith("-") or argv[0] in ("-h", "--help", "--version"):
        return
    parser.error(f"unrecognized option {argv[0]!r} before the command: give a command first, "
                 f"one of {', '.join(COMMANDS)} (`twolayer COMMAND --help` lists its flags)")


# What an interrupted command leaves behind (the second half of its one-line message).
INTERRUPTED = {
    "simulate": "nothing written",
    "show": "nothing written",
    "sweep": "the points finished so far are stored; run the same command again to resume",
    "check": "the experiments finished so far are kept in the record store; nothing else written",
    "figures": "the figures drawn so far stay in the output folder, indexed; the experiments "
               "finished so far are kept in the record store",
    "store": "the store is unchanged or consistent (every move is atomic)",
}
# the same under --no-store, where the experiments went to a temporary store that is removed
INTERRUPTED_NO_STORE = {
    "check": "nothing written (--no-store: no experiment is kept)",
    "figures": "the figures drawn so far stay in the output folder, indexed; no experiment is "
               "kept (--no-store)",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit status: 0 success; 1 a failed check (``check``) or a failed write
    (one line naming the path and errno); 2 invalid input (one line naming the flag or spec
    key, the value and the valid range), nothing written, or a file or folder that permissions
    keep this user from (one line naming it); 130 SIGINT; 141 the reader of stdout
    went away (``twolayer ... | head``: no traceback, as a shell reports SIGPIPE); 143
    SIGTERM. The signal handlers are in place before PyTorch, the plugins or a command's
    module is imported (``import twolayer`` imports none of them), so a Ctrl-C while the
    command starts is one line as well."""
    from .signals import Terminated, exit_status, signal_name, stop_on_signals

    given = list(sys.argv[1:] if argv is None else argv)
    command = given[0] if given and given[0] in COMMANDS else None
    ran: list[int] = []  # the command's status, once it has run to its end
    try:
        with stop_on_signals():
            ran.append(_run(given))
            return ran[0]
    except (KeyboardInterrupt, Terminated) as e:
        prog = f"twolayer {command}" if command else "twolayer"
        left = INTERRUPTED.get(command, "stopped") if command else "stopped"
        if command in INTERRUPTED_NO_STORE and "--no-store" in given[1:]:
            left = INTERRUPTED_NO_STORE[command]
        if ran:  # raised at the block's end: the signal was swallowed and the command went on
            left = (f"the signal came where Python drops it, and the command ran to its end "
                    f"(status {ran[0]}): what it wrote is complete")
        print(f"{prog}: interrupted ({signal_name(e)}); {left}", file=sys.stderr)
        forget_unhandled_interrupt()
        return exit_status(e)


def forget_unhandled_interrupt() -> None:
    """Clear CPython's record that a KeyboardInterrupt left code it ran from a string.

    ``exec`` and ``eval`` of a string (as :mod:`dataclasses` and ``namedtuple`` build their
    methods while a module is imported) run through CPython's ``run_eval_code_obj``, which sets a
    process-wide flag when a KeyboardInterrupt leaves that code, even when an outer ``except``
    then handles it; at the end of ``python -m``, CPython ends a process whose flag is set by
    killing itself with SIGINT, whatever status the program returned (after the one line: a
    caller saw "killed by SIGINT", -2, instead of 130; session 47: 8 of 20 runs of ``python -m
    twolayer simulate`` signalled 60 ms after exec, docs/robustness.md). The flag is cleared at
    the start of every such call, so running an empty string clears it; harmless where it was
    not set."""
    exec("pass")  # noqa: S102 - a string on purpose (above)


def _run(given: list[str]) -> int:
    """:func:`main`'s body for the arguments ``given``, inside its signal handlers: parse, run
    the command, and map its errors to exit statuses. stdout is guarded throughout
    (:class:`GuardedStdout`): argparse's own help and version text, which it writes while
    parsing and whose OSError it swallows, went nowhere with exit 0 on a full disk."""
    stdout = sys.stdout
    sys.stdout = GuardedStdout(stdout)  # type: ignore[assignment]
    try:
        return _run_guarded(given)
    except StdoutFailed as e:  # `> /dev/full`: one line, as any failed write (a traceback)
        _discard_stdout(stdout)
        name = f"twolayer {given[0]}" if given and not given[0].startswith("-") else "twolayer"
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1
    finally:
        if isinstance(sys.stdout, GuardedStdout):
            sys.stdout = stdout


def _run_guarded(given: list[str]) -> int:
    """:func:`_run` with stdout guarded."""
    from .signals import held

    with held():  # PyTorch's import runs Python code from C++, where a handler's exception
        import torch  # noqa: F401  aborted the process (signals.held); every command needs it
    from .resources import WriteFailed

    try:
        preload_plugins(given)
    except TwolayerError as e:  # (only a command's --plugin or entry points get here)
        print(f"twolayer {given[0]}: error: {e}", file=sys.stderr)
        return 2
    try:
        parser = build_parser()
    except (TwolayerError, argparse.ArgumentError) as e:  # a plugin kind's flag: its bug
        what = flag_clash(e) if isinstance(e, argparse.ArgumentError) else str(e)
        print(f"twolayer {given[0] if given else ''}".rstrip() + f": error: {what}",
              file=sys.stderr)
        return 2
    refuse_option_before_command(parser, given)
    args, extra = parser.parse_known_args(given)
    if extra:
        refuse_unknown(parser, args, extra)
    prog = f"twolayer {args.command}"
    stdout = sys.stdout._stream if isinstance(sys.stdout, GuardedStdout) else sys.stdout
    try:
        refuse_unreachable_paths(parser, args)
        from .commands.timingflag import run_command

        status = run_command(args)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:  # `twolayer ... | head`: the reader has what it wanted
        _discard_stdout(stdout)
        return 141
    except StdoutFailed as e:  # `> /dev/full`: one line, as any failed write (a traceback)
        _discard_stdout(stdout)
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except WriteFailed as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except TwolayerError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:  # no command exits so: a plugin's (or other code's) sys.exit() in a
        # check, experiment, probe or figure ended the command with its status and no word
        # (`check` exit 0 with no verdict; `simulate` exit 0 with no record: session 50)
        print(f"{prog}: error: {exited_at(e)}", file=sys.stderr)
        return 2
    except PermissionError as e:  # a file or folder the commands' own checks did not reach (they
        # name the flag): one line naming it, as for any bad input, not a traceback
        what = f"{e.filename}: " if e.filename else ""
        print(f"{prog}: error: {what}{e.strerror or e} (a file or folder twolayer reads or "
              "writes; its mode lets this user neither, or a folder above it cannot be entered)",
              file=sys.stderr)
        return 2
    except OSError as e:  # a path the kernel will not even look up (a name over 255 bytes, a
        # symlink loop): pathlib's exists()/is_dir() raise these, which was a traceback
        if e.errno not in PATH_ERRNOS:
            raise
        print(f"{prog}: error: {path_refusal(parser, args, e)}", file=sys.stderr)
        return 2


def exited_at(e: SystemExit) -> str:
    """The one line for a SystemExit raised while a command ran: where (the innermost frame's
    file:line) and with what status; nothing of the command's work after that point was done."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return (f"code called sys.exit({e.code!r}){where} while the command ran (a plugin's check, "
            "experiment, probe, data kind or figure must return or raise, not exit); the "
            "command stopped there and did not finish")


class StdoutFailed(TwolayerError):
    """A write to standard output failed (not a closed pipe: a full disk, an I/O error)."""

    def __init__(self, err: OSError):
        code = errno.errorcode.get(err.errno or 0, "")
        super().__init__(f"cannot write to standard output: {err.strerror or err}"
                         + (f" [{code}]" if code else "") + "; what the command wrote to its "
                         "files is complete")


class GuardedStdout:
    """``sys.stdout`` while a command runs: its writes and flushes raise :class:`StdoutFailed`
    for an OSError other than a closed pipe (``twolayer sweep --json > /dev/full`` printed a
    traceback, exit 1, until session 49); everything else is the wrapped stream's."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise StdoutFailed(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise StdoutFailed(e) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _discard_stdout(stream: Any) -> None:
    """Point the process's stdout at /dev/null: what is still buffered for a closed pipe or a
    full disk goes nowhere at exit (instead of a second error there)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):  # a test's captured stream: nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)


# the arguments whose values are paths (files or folders), by dest, in every command
PATH_DESTS = ("out", "doc", "report", "record", "records", "timings", "dir", "spec")


def refuse_unreachable_paths(parser: Parser, args: argparse.Namespace) -> None:
    """ConfigError (exit 2, before any work or write) for a path argument (:data:`PATH_DESTS`)
    that no file system can hold (:func:`~twolayer.errors.unreachable_path`), naming its flag
    and value."""
    from .errors import ConfigError, unreachable_path

    sub = getattr(parser, "subcommands", {}).get(getattr(args, "command", None))
    for action in (sub._actions if sub is not None else []):
        value = getattr(args, action.dest, None) if action.dest in PATH_DESTS else None
        if isinstance(value, str) and value.strip() and (why := unreachable_path(value)):
            name = _shown_name(action)
            raise ConfigError(name if name[:1].isupper() else name.lstrip("-").replace("-", "_"),
                              value, f"no file or folder can be there: {why}")


def _shown_name(action: argparse.Action) -> str:
    """How a command's usage names an argument: its long flag, or a positional's metavar."""
    return action.option_strings[-1] if action.option_strings else action.metavar or action.dest


# what the kernel says of a path it cannot look up at all, whatever the file system holds
PATH_ERRNOS = {errno.ENAMETOOLONG: f"a folder or file name has at most {NAME_MAX} bytes and a "
               f"path at most {PATH_MAX} (NAME_MAX, PATH_MAX)",
               errno.ELOOP: "a symbolic link on the way points back to itself"}


def path_refusal(parser: Parser, args: argparse.Namespace, e: OSError) -> str:
    """One line for an :data:`PATH_ERRNOS` error: the flag (or positional argument) whose path
    is, holds or lies inside ``e.filename``, its value as given, what the kernel said and why;
    the bare path where no argument gave it (a path the command made from one)."""
    bad = os.path.abspath(os.fsdecode(e.filename)) if e.filename is not None else None
    why = f"{e.strerror or os.strerror(e.errno or 0)}: {PATH_ERRNOS.get(e.errno or 0, '')}"
    sub = getattr(parser, "subcommands", {}).get(getattr(args, "command", None))
    for action in (sub._actions if sub is not None else []):
        given = getattr(args, action.dest, None) if action.dest != "help" else None
        for value in (given if isinstance(given, (list, tuple)) else [given]):
            if not isinstance(value, str) or not value or bad is None:
                continue
            path = os.path.abspath(os.path.expanduser(value))
            if bad == path or path.startswith(bad + os.sep) or bad.startswith(path + os.sep):
                return f"{_shown_name(action)} {value!r} is invalid: {why}"
    return f"{e.filename!r}: {why}"


if __name__ == "__main__":
    sys.exit(main())
