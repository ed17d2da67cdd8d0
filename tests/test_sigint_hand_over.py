"""A signal in the hand-over from the console script's handler to the command's: the entry
point (``twolayer_start.main``) ignores signals once the command has started, and
``twolayer.cli.main`` installs its own handlers a few instructions later; a signal between the
two was lost and the command ran to its end with status 0 (session 47: 3 of 700 runs of
``python -m twolayer simulate`` signalled 40–50 ms after exec). Now the two signals are blocked
for those instructions (``twolayer.signals.hand_over``) and raised once the command's handlers
are in place. The oracle is the interpreter's: the child, whose ``twolayer.cli.main`` is wrapped
to send the signal to its own process first (exactly inside the hand-over), ends with the
command's one line and 128 + signum, having written nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# a command that runs for seconds where nothing stops it, writing its record
ARGV = ["simulate", "--steps", "100000", "--d", "5", "--n", "10", "--m", "4", "--seeds", "1",
        "--quiet", "--threads", "1", "--out", "rec"]
CHILD = """
import os, signal, sys
import twolayer.cli as cli
real = cli.main
def main(argv=None):
    os.kill(os.getpid(), {sig})  # after the entry point handed over, before cli.main's handlers
    return real(argv)
cli.main = main
sys.argv = ["twolayer", *{argv!r}]
import twolayer_start
sys.exit(twolayer_start.main())
"""


def _child(sig: int, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TWOLAYER_STORE": str(tmp_path / "store")}
    return subprocess.run([sys.executable, "-c", CHILD.format(sig=int(sig), argv=ARGV)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_in_the_hand_over_stops_the_command(sig, status, tmp_path):
    out = _child(sig, tmp_path)
    name = signal.Signals(sig).name
    assert out.stderr == f"twolayer simulate: interrupted ({name}); nothing written\n", out.stderr
    assert out.returncode == status
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no record, no store


@pytest.mark.parametrize("blocked", [(), (signal.SIGTERM,)])
def test_the_hand_over_leaves_the_signal_mask_as_it_found_it(blocked):
    """After a command, in-process: the signal mask is the one found on entry (a command that
    never reached its handlers included), and a signal the caller had blocked stays blocked
    (the hand-over unblocks only what it blocked)."""
    import twolayer.cli as cli
    import twolayer_start

    entry = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    real = cli.main
    try:
        for run in (lambda argv=None: 0, real):
            cli.main = run
            sys_argv, sys.argv = sys.argv, ["twolayer", "show", "--help"]
            try:
                twolayer_start.main()
            except SystemExit:
                pass
            finally:
                sys.argv = sys_argv
            assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    finally:
        cli.main = real
        signal.pthread_sigmask(signal.SIG_SETMASK, entry)
