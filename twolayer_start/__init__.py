"""The ``twolayer`` command's entry point: SIGINT and SIGTERM handled from its first
milliseconds.

A Ctrl-C while a command starts used to print Python's KeyboardInterrupt traceback: the
handlers of :func:`twolayer.cli.main` are installed only once ``import twolayer`` (which digests
the package's source files, :mod:`twolayer.sources`) and ``import twolayer.cli`` are done, some
50 ms after the interpreter starts on an idle machine and over 100 ms on a loaded one. This
package is separate from ``twolayer`` so that importing it imports neither: :func:`main`
installs a handler for both signals first, then imports and runs :func:`twolayer.cli.main`,
whose own handlers take over while the command runs (and give back this one after it). A
signal before that ends the process at once with one line on stderr,
``twolayer simulate: interrupted (SIGINT) while starting; nothing written`` (nothing has been
read or written yet), and the exit status of :func:`twolayer.cli.main`: 130 for SIGINT, 143 for
SIGTERM. A signal that the parent ignores (SIGINT in a background job of a non-interactive
shell) stays ignored, as in ``twolayer.cli.main``.

Once the command has started, a signal that reaches this handler came after
``twolayer.cli.main``'s handlers gave it back: the command is ending (printing its own line, or
returning its status), and the signal is ignored, as ``twolayer.signals`` ignores a second one
during the clean-up. It used to end the process with the "while starting" line, which was false
there and cut the command's own line short: a second Ctrl-C, or ``timeout -s INT``, which signals
the process and then its process group (``tests/test_sigint_entry.py``). In the few
instructions between this handler's last act and ``twolayer.cli.main``'s handlers, the two
signals are blocked (:func:`twolayer.signals.hand_over`): one sent then waits in the kernel
and is raised once the command's handlers are in place (until session 47 it was lost there,
and the command ran to its end with status 0). After the command, while the interpreter exits
(unloading PyTorch takes 0.3–0.5 s), both signals are ignored (:func:`_ignore_at_exit`): the
command's status is decided and what it wrote is complete (until session 47 a Ctrl-C there
killed the process by the signal, without a line).

What is left before the handler is the interpreter's own start-up (with ``site`` and the
install's path hooks): a SIGINT there ends the process silently, killed by the signal (130 in a
shell), before Python's KeyboardInterrupt handler exists, or, once it exists, with the
traceback. ``python -m twolayer`` imports the package ``twolayer`` before its ``__main__``:
there the package's first statement calls :func:`early`, which installs the same handler
before ``import twolayer`` digests the sources (until session 48 it came after, and a signal
in those 15–50 ms gave the traceback; docs/robustness.md has the measured windows).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys

# twolayer.cli.COMMANDS, not imported from there (that would import twolayer first); a test
# keeps the two the same
COMMANDS = ("simulate", "show", "figures", "check", "conditions", "sweep", "store", "bench")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


# whether main() has handed over to twolayer.cli.main (then this handler only runs after the
# command's own handlers gave it back: the command is ending)
_started = False


def _stop(signum: int, frame: object) -> None:
    """A signal before ``twolayer.cli.main``'s handlers: one line on stderr, exit 128 + signum
    (nothing to clean up: no command has started). After them: ignored (module docstring)."""
    if _started:
        return
    argv = sys.argv[1:]
    prog = f"twolayer {argv[0]}" if argv and argv[0] in COMMANDS else "twolayer"
    name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
    try:
        os.write(2, f"{prog}: interrupted ({name}) while starting; nothing written\n".encode())
    except OSError:  # no stderr to write to: the exit status still says it
        pass
    os._exit(128 + signum)


# the handlers found before :func:`early` installed :func:`_stop` (None: it did not), which
# :func:`main` restores
_found: dict[int, object] | None = None


def python_m_target(orig_argv: list[str]) -> str | None:
    """The module that the interpreter's command line ``orig_argv`` (``sys.orig_argv``) runs
    with ``-m`` (``-m twolayer``, ``-mtwolayer``, ``-Im twolayer``, after ``-X``/``-W``
    options), or None where it runs a script, ``-c`` or standard input."""
    args = iter(orig_argv[1:])
    for arg in args:
        if arg.startswith("--"):
            if arg == "--check-hash-based-pycs":
                next(args, None)
            continue
        if not arg.startswith("-") or arg == "-":
            return None
        for i, flag in enumerate(arg[1:]):
            if flag in "cmWX":  # an option with an argument: the rest of this one or the next
                value = arg[2 + i:] or next(args, None)
                if flag == "m":
                    return value
                if flag == "c":
                    return None
                break
    return None


def early() -> None:
    """Under ``python -m twolayer``, while the interpreter imports the package ``twolayer`` to
    find its ``__main__`` (``sys.argv[0]`` is then ``"-m"``): install :func:`_stop` for SIGINT
    and SIGTERM (where not ignored) at once, remembering the handlers found, which :func:`main`
    restores. Anywhere else (``import twolayer`` in a program, ``python -m`` of another module
    that imports it, ``python -m twolayer.<module>``) nothing happens: the process is not the
    ``twolayer`` command's."""
    global _found
    if _found is not None or sys.argv[:1] != ["-m"]:
        return
    if python_m_target(list(getattr(sys, "orig_argv", []))) != "twolayer":
        return
    _found = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig, old in _found.items():
        if old is not signal.SIG_IGN:
            signal.signal(sig, _stop)


def main() -> int:
    """Install :func:`_stop` for SIGINT and SIGTERM (where not ignored), then run
    :func:`twolayer.cli.main` on ``sys.argv`` and return its exit status; the handlers found on
    entry (before :func:`early`, where it ran) are restored on return, and both signals are
    ignored once the interpreter exits (:func:`_ignore_at_exit`)."""
    global _started, _exit_registered, _found
    before = _found if _found is not None else {sig: signal.getsignal(sig) for sig in SIGNALS}
    _found = None
    for sig, old in before.items():
        if old is not signal.SIG_IGN:
            signal.signal(sig, _stop)
    signals = None  # (its import may be what a signal stops)
    try:
        import twolayer.signals as signals  # what cli.main imports before its handlers
        from twolayer.cli import main as run

        signals.hand_over()  # a signal from here to the command's handlers waits for them
        _started = True
        return run()
    finally:
        if signals is not None:
            signals.end_hand_over()
        _started = False
        for sig, old in before.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        if not _exit_registered:  # last registered, so first run: before the other exit work
            atexit.register(_ignore_at_exit)
            _exit_registered = True


_exit_registered = False


def _ignore_at_exit() -> None:
    """At the interpreter's exit (``atexit``, registered by :func:`main` once per process): the
    command has ended and its status is decided, so SIGINT and SIGTERM are ignored while the
    interpreter exits. Python puts the default dispositions back before it unloads its modules,
    and unloading PyTorch takes 0.3–0.5 s on the 2-core host: a Ctrl-C there killed the process
    after a complete command (status −2 / −15 for a caller; session 47: 37 of 40 signals sent
    0–0.4 s after ``main`` returned). Python leaves an ignored signal ignored. Also runs in a
    process that called :func:`main` in-process (a test's), where it only ignores signals during
    its exit."""
    for sig in SIGNALS:
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):  # not the main thread, or the platform refuses
            pass
