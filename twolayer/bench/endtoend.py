"""End to end: the commands a user runs, timed as whole processes (imports, setup, training,
output), alternating A B A B so that a change of the shared machine's load hits both alike.

- ``simulate``: ``twolayer simulate --seeds 16 --d 50 --n 1000 --m 400 --steps 300 --noise 0.1
  --json`` against ``python -m twolayer.bench.plainloop`` doing the same job (same data, same
  initial weights, same default-probe measurements at the same times, one seed at a time with
  nn.Module + autograd + SGD). The ratio of their median wall times is the headline a user
  sees, next to the in-process ratio of the harness.
- ``demo``: ``twolayer simulate --d 50 --noise 0.1`` (what ``make demo`` runs).
- ``check``: ``twolayer check frei2023 --quick --no-store`` (a smoke run of one paper).

Each process runs with the environment it inherits; ``--no-store`` keeps the check from reading
runs stored by an earlier call.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

SIMULATE = ["--seeds", "16", "--d", "50", "--n", "1000", "--m", "400", "--steps", "300",
            "--noise", "0.1"]


def commands(quick: bool = False) -> dict[str, list[str]]:
    """name → argv of each timed process (``quick``: fewer steps, a smoke run)."""
    sim = list(SIMULATE)
    if quick:
        sim[sim.index("--steps") + 1] = "30"
        sim[sim.index("--seeds") + 1] = "4"
    py = [sys.executable]
    return {
        "simulate": py + ["-m", "twolayer", "simulate", *sim, "--json"],
        "plain_loop": py + ["-m", "twolayer.bench.plainloop", *sim],
        "demo": py + ["-m", "twolayer", "simulate", "--d", "50", "--noise", "0.1"]
        + (["--steps", "30"] if quick else []),
        "check": py + ["-m", "twolayer", "check", "frei2023", "--quick", "--no-store",
                       "--quiet"],
    }


def wall(argv: list[str]) -> float:
    """Seconds for one process from start to exit (its output discarded). A failing command is
    an error, not a time."""
    t = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if proc.returncode not in (0, 1):  # check exits 1 when an in-regime claim does not hold
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return dt


def run_endtoend(repeats: int = 2, quick: bool = False, log=print) -> dict:
    """Median wall seconds of each command over ``repeats`` alternating rounds, and the ratio
    plain loop / simulate."""
    cmds = commands(quick)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for k in range(repeats):
        order = list(cmds) if k % 2 == 0 else list(reversed(cmds))
        for name in order:
            times[name].append(wall(cmds[name]))
            log(f"end to end, round {k + 1}/{repeats}: {name} {times[name][-1]:.1f} s")
    out = {name: {"median_seconds": statistics.median(v), "seconds": v,
                  "argv": " ".join(cmds[name][1:])} for name, v in times.items()}
    out["speedup_simulate_vs_plain"] = (out["plain_loop"]["median_seconds"]
                                        / out["simulate"]["median_seconds"])
    out["repeats"] = repeats
    return out
