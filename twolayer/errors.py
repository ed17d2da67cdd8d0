"""Errors with messages a user can act on.

Every invalid setting raises :class:`ConfigError`, which names the setting as a CLI flag, the
value given and the valid range. The CLI turns it into one line on stderr and exit status 2.
"""

from __future__ import annotations

import os


def flag_name(field: str) -> str:
    """The CLI flag of a config field: ``init_var`` → ``--init-var``; a positional argument's
    name (upper case, e.g. ``SPEC.toml``, ``DIR``) as it is."""
    if field[:1].isupper():
        return field
    return "--" + field.replace("_", "-")


class TwolayerError(Exception):
    """Base class of twolayer's own errors (exit status 2 in the CLI)."""


def _shown(value: object) -> str:
    """How a setting's value reads in a message: a missing one (None) as "is not given", not
    as "None is invalid", which reads as if the user had typed None."""
    return "is not given" if value is None else f"{value!r} is invalid"


class ConfigError(TwolayerError, ValueError):
    """An invalid setting: which one, the value, and what would be valid."""

    def __init__(self, field: str, value: object, valid: str):
        self.field = field
        self.value = value
        self.valid = valid
        super().__init__(f"{flag_name(field)} {_shown(value)}: {valid}")

    def __reduce__(self):  # picklable across processes (executors)
        return (ConfigError, (self.field, self.value, self.valid))


def switch_given(flag: str, why: str) -> ConfigError:
    """A :class:`ConfigError` for a switch the user gave (``--quick``, ``--force``): it reads
    "--quick is given: <why>" rather than "--quick True is invalid: <why>", a value the user
    never typed."""
    e = ConfigError(flag, True, why)
    e.args = (f"{flag_name(flag)} is given: {why}",)
    return e


class ExperimentConfigError(ConfigError):
    """A :class:`ConfigError` raised while an experiment ran (e.g. an unknown probe name or an
    invalid data field in the config the experiment builds): the setting is not a flag the user
    gave, so the message names the experiment and the file:line that built the config."""

    def __init__(self, field: str, value: object, valid: str, experiment: str, where: str):
        self.field = field
        self.value = value
        self.valid = valid
        self.experiment = experiment
        self.where = where
        TwolayerError.__init__(self, f"experiment {experiment!r} ({where}): its config's "
                               f"{field} {_shown(value)}: {valid}")

    def __reduce__(self):  # picklable across processes (executors)
        return (ExperimentConfigError,
                (self.field, self.value, self.valid, self.experiment, self.where))


class ExperimentResultError(ConfigError):
    """A plugin's experiment returned something other than a Record or a dict of Records: a
    mistake in the plugin that stops the command (exit status 2), naming the experiment and
    its file."""

    def __init__(self, experiment: str, where: str, what: str, need: str = ""):
        self.field, self.value = "experiment", experiment
        self.valid = need or "must return a Record or a non-empty dict of str -> Record"
        self.experiment, self.where, self.what, self.need = experiment, where, what, need
        TwolayerError.__init__(self, f"experiment {experiment!r} ({where}) returned {what}, "
                               + (need or "not a Record or a non-empty dict of str -> Record")
                               + " (docs/extending.md)")

    def __reduce__(self):  # picklable across processes (executors)
        return (ExperimentResultError, (self.experiment, self.where, self.what, self.need))


class PluginCodeError(ConfigError):
    """A plugin's probe or data kind that raised, or returned something other than its
    protocol asks for (a probe: a dict of tensors [R, ...], the same shapes at every probe
    time; a data kind's draw: x [n, d], labels [n], cluster ids [n]): a mistake in the plugin
    that stops the command (exit status 2), naming what (``what``: e.g. "probe 'norms'"), where
    (file:line) and why."""

    def __init__(self, what: str, where: str, why: str):
        self.field, self.value = "plugin", what
        self.valid = why
        self.what, self.where, self.why = what, where, why
        TwolayerError.__init__(self, f"{what} ({where}) {why} (docs/extending.md)")

    def __reduce__(self):  # picklable across processes (executors)
        return (PluginCodeError, (self.what, self.where, self.why))


class ExperimentCodeChanged(ConfigError):
    """One of twolayer's own experiment modules (or a module its key digests) changed on disk
    after this process imported it (an edit while a command runs, in a source checkout): its
    runs would be trained with the code as imported and stored under the edited code's key, so
    the command stops (exit status 2) naming the experiment and the files."""

    def __init__(self, name: str, files: str):
        self.field, self.value = "experiment", name
        self.valid = "its code unchanged while the command runs"
        self.name, self.files = name, files
        TwolayerError.__init__(
            self, f"experiment {name!r} cannot run: {files} changed on disk since this command "
            "imported it; its runs would be trained with the code as imported and stored as "
            "the edited code's. Run the command again")

    def __reduce__(self):  # picklable across processes (executors)
        return (ExperimentCodeChanged, (self.name, self.files))


class RunCodeChanged(ConfigError):
    """A module of twolayer's run code (the files of its code fingerprint) changed on disk
    after this process imported twolayer (an edit while a command runs, in a source checkout):
    a run trained now may use the code as imported (or, imported lazily, the edited code) and
    would be stored under a fingerprint of the other, so the command stops (exit status 2)
    naming the files (:mod:`twolayer.sources`)."""

    def __init__(self, files: str):
        self.field, self.value = "code", files
        self.valid = "twolayer's run code unchanged while the command runs"
        self.files = files
        TwolayerError.__init__(
            self, f"twolayer's run code changed on disk since this command imported it: "
            f"{files}; its runs would be stored under a fingerprint of other code than "
            "trained them. Run the command again")

    def __reduce__(self):  # picklable across processes (executors)
        return (RunCodeChanged, (self.files,))


def outside_package(fn: object) -> bool:
    """Whether ``fn`` (or the function it wraps: ``__wrapped__``) is defined outside the
    twolayer package: a plugin's (its mistakes are reported as :class:`PluginCodeError`)."""
    from pathlib import Path

    fn = getattr(fn, "__wrapped__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return True
    package = Path(__file__).resolve().parent
    return not Path(code.co_filename).resolve().is_relative_to(package)


def code_origin(fn: object, e: BaseException | None = None) -> str:
    """file:line of ``fn`` (or the function it wraps: ``__wrapped__``): the innermost line of
    ``e``'s traceback in its file where ``e`` is given and passed through it, else the line
    that defines it (``repr(fn)`` for an object without code)."""
    import traceback
    from pathlib import Path

    fn = getattr(fn, "__wrapped__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(fn)
    if e is not None:
        own = Path(code.co_filename).resolve()
        hits = [f for f in traceback.extract_tb(e.__traceback__)
                if Path(f.filename).resolve() == own]
        if hits:
            return f"{hits[-1].filename}:{hits[-1].lineno}"
    return f"{code.co_filename}:{code.co_firstlineno}"


class DivergenceError(TwolayerError, FloatingPointError):
    """A run produced NaN or inf during training."""

    def __init__(self, run: int, step: int, seed: int | None = None, hint: str = ""):
        self.run = run
        self.step = step
        self.seed = seed
        self.hint = hint
        who = f"run {run}" + (f" (seed {seed})" if seed is not None else "")
        msg = f"training diverged: {who} produced NaN/inf at step {step}"
        super().__init__(msg + (f"; {hint}" if hint else ""))

    def __reduce__(self):  # picklable across processes (executors)
        return (DivergenceError, (self.run, self.step, self.seed, self.hint))


class RecordError(TwolayerError):
    """A stored record that must not be used: missing, truncated, edited, of another format, or
    not at the address its identity hashes to."""

    def __init__(self, path: object, why: str):
        self.path = str(path)
        self.why = why
        super().__init__(f"record {self.path}: {why}")

    def __reduce__(self):  # picklable across processes (executors)
        return (RecordError, (self.path, self.why))


NAME_MAX, PATH_MAX = 255, 4096  # bytes, Linux's (the kernel's ENAMETOOLONG beyond them)


def not_a_folder(path: str | os.PathLike[str]) -> str | None:
    """What stands at ``path`` where a folder belongs ("a file", "a broken symbolic link"), or
    None where a folder (or a link to one) is there, or nothing. ``exists()`` is False for a
    broken link, so a check of "exists and is no folder" passed it (session 48)."""
    if os.path.isdir(path) or not os.path.lexists(path):
        return None
    return "a broken symbolic link" if not os.path.exists(path) else "a file"


def unreachable_path(value: str) -> str | None:
    """Why no file or folder can ever be at ``value`` (a name over NAME_MAX bytes, or the
    whole path over PATH_MAX), else None. Checked before any work: under a folder that does
    not exist yet the kernel says ENOENT for the folder first, so the writability checks
    passed; the folders on the way were made at the end, then the long name failed (after
    the training, and with those folders left behind)."""
    full = os.fsencode(os.path.abspath(os.path.expanduser(value)))
    if len(full) >= PATH_MAX:
        return f"the path has {len(full)} bytes: a path has fewer than {PATH_MAX} (PATH_MAX)"
    for name in full.split(os.sep.encode()):
        if len(name) > NAME_MAX:
            return (f"{os.fsdecode(name[:24])!r}... has {len(name)} bytes: a folder or file "
                    f"name has at most {NAME_MAX} (NAME_MAX)")
    return None
