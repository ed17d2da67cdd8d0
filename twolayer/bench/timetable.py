"""Render the results of ``benchmarks/time_to_answer.sh WORK`` as Markdown: one table per
command (``check``, ``figures``) with where its wall time went (the ``--timings`` JSON: exclusive
seconds of training, probes, store, verdicts, plotting, other), and the command's whole-process
wall time, CPU time and peak memory from ``/usr/bin/time -v``.

    python -m twolayer.bench.timetable WORK
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

COMMANDS = ("check", "figures")
TIME_FIELDS = {
    "wall": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)",
    "user": r"User time \(seconds\): (\S+)",
    "system": r"System time \(seconds\): (\S+)",
    "max_rss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
}


def clock_seconds(text: str) -> float:
    """``h:mm:ss`` or ``m:ss.ss`` → seconds."""
    parts = [float(p) for p in text.split(":")]
    seconds = 0.0
    for p in parts:
        seconds = 60.0 * seconds + p
    return seconds


def parse_time_v(text: str) -> dict[str, float]:
    """The fields of ``/usr/bin/time -v``'s report that the tables use (absent ones left out)."""
    out: dict[str, float] = {}
    for key, pattern in TIME_FIELDS.items():
        m = re.search(pattern, text)
        if m:
            out[key] = clock_seconds(m.group(1)) if key == "wall" else float(m.group(1))
    return out


def load(work: Path, name: str) -> dict[str, Any] | None:
    """One command's results in ``work``: timings, /usr/bin/time fields, exit status."""
    timings = work / f"{name}.timings.json"
    if not timings.is_file():
        return None
    out: dict[str, Any] = {"timings": json.loads(timings.read_text())}
    tv = work / f"{name}.time"
    out["process"] = parse_time_v(tv.read_text()) if tv.is_file() else {}
    rc = work / f"{name}.rc"
    out["rc"] = int(rc.read_text().strip()) if rc.is_file() else None
    return out


def table(name: str, res: dict[str, Any]) -> str:
    t, proc = res["timings"], res["process"]
    wall = t["wall_s"]
    lines = [f"### `{name}`", "", "| phase | seconds | share |", "|---|---:|---:|"]
    for phase, s in t["phases"].items():
        share = 100.0 * s / wall if wall else 0.0
        lines.append(f"| {phase} | {s:.1f} | {share:.1f} % |")
    lines.append(f"| **command total** | **{wall:.1f}** | 100 % |")
    if t.get("before_s") is not None:
        lines.append(f"| before the command (interpreter, imports) | {t['before_s']:.1f} | |")
    lines.append("")
    if proc:
        cpu = proc.get("user", 0.0) + proc.get("system", 0.0)
        lines.append(
            f"Whole process: {proc.get('wall', float('nan')) / 60:.1f} min wall, "
            f"{cpu / 60:.1f} min CPU (all threads), peak RSS "
            f"{proc.get('max_rss_kb', float('nan')) / 1024:.0f} MB; exit status {res['rc']}."
        )
    return "\n".join(lines)


def render(work: Path) -> str:
    parts = []
    started = work / "started"
    if started.is_file():
        parts.append(f"Started {started.read_text().strip()}.")
    for name in COMMANDS:
        res = load(work, name)
        if res is not None:
            parts.append(table(name, res))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m twolayer.bench.timetable WORK (a directory written by "
              "benchmarks/time_to_answer.sh)", file=sys.stderr)
        return 2
    print(render(Path(args[0])), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
