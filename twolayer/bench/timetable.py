"""Render the results of ``benchmarks/time_to_answer.sh WORK`` as Markdown: one table per
command (``check``, ``figures``) with where its wall time went (the ``--timings`` JSON: exclusive
seconds of training, probes, store, verdicts, plotting, other), and the command's whole-process
wall time, CPU time and peak memory from ``/usr/bin/time -v``.

    python -m twolayer.bench.timetable WORK [--json OUT]

``--json OUT`` also writes the summary (:func:`summary`) that ``twolayer bench --doc`` renders
into docs/benchmarks.md when it finds ``time_to_answer.json`` next to its ``--out``
(``make bench``: benchmarks/time_to_answer.json).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ..store import entry_times

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
    title = {"check": "`twolayer check --all` (full plan)",
             "figures": "`twolayer figures` (make figures), after the check"}.get(name, name)
    lines = [f"### {title}", "", "| phase | seconds | share |", "|---|---:|---:|"]
    total = sum(t["phases"].values()) if t.get("workers") else wall  # worker-seconds
    for phase, s in t["phases"].items():
        share = 100.0 * s / total if total else 0.0
        lines.append(f"| {phase} | {s:.1f} | {share:.1f} % |")
    lines.append(f"| **command total** | **{wall:.1f}** | 100 % |")
    workers = t.get("workers") or 0
    if t.get("before_s") is not None:
        lines.append(f"| before the command (interpreter, imports) | {t['before_s']:.1f} | |")
    lines.append("")
    if workers:
        lines += [f"The phases are summed over {workers} worker processes that ran "
                  f"{t.get('tasks', '?')} papers (worker-seconds; the share is of their sum), so "
                  "they add up to more than the command's wall time; *other* is then 0.", ""]
    if proc:
        cpu = proc.get("user", 0.0) + proc.get("system", 0.0)
        lines.append(
            f"Whole process: {proc.get('wall', float('nan')) / 60:.1f} min wall, "
            f"{cpu / 60:.1f} min CPU (all threads), peak RSS "
            f"{proc.get('max_rss_kb', float('nan')) / 1024:.0f} MB; exit status {res['rc']}."
        )
    return "\n".join(lines)


def _text(path: Path) -> str | None:
    return path.read_text().strip() if path.is_file() else None


def verdict_counts(work: Path) -> dict[str, int] | None:
    """Verdicts of ``check.json`` (the --json output of the check): count per verdict."""
    path = work / "check.json"
    try:
        verdicts = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.get("verdict", "?")] = counts.get(v.get("verdict", "?"), 0) + 1
    return counts


def paper_seconds(store: Path) -> dict[str, dict[str, float]]:
    """Per paper, the compute seconds of each experiment as its store entry kept them (the
    runs trained by this time_to_answer run; entries without a time are left out)."""
    out: dict[str, dict[str, float]] = {}
    for key, seconds, _ in entry_times(store):
        if "experiment" not in key:
            continue
        name = str(key["experiment"])
        out.setdefault(name.split(".", 1)[0], {})[name] = seconds
    return out


def summary(work: Path) -> dict[str, Any]:
    """What the run in ``work`` measured: start and end time, load averages, per command its
    timings, process figures and exit status, and the check's verdict counts."""
    import os
    import platform

    return {
        "started": _text(work / "started"),
        "finished": _text(work / "finished"),
        "load_before": _text(work / "load_before"),
        "load_after": _text(work / "load_after"),
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "commands": {n: r for n in COMMANDS if (r := load(work, n)) is not None},
        "verdicts": verdict_counts(work),
        "papers": paper_seconds(work / "store"),
    }


def render_summary(s: dict[str, Any]) -> str:
    """The Markdown section of docs/benchmarks.md for one time_to_answer run."""
    cmds = s.get("commands", {})
    lines = ["## Time to answer: the full claim checks and the figures", "",
             "`benchmarks/time_to_answer.sh` from a cold record store: `twolayer check --all` "
             "(the full plan, evidence tier) with `--timings`, then `twolayer figures --all --out "
             "DIR examples/barak2022` (what `make figures` runs, into `figures/` or any other "
             "folder) on the same store, so that it trains only what the checks did not need. "
             "Phases are exclusive wall seconds (`twolayer/timing.py`): *training* is the "
             "experiments' runners (steps, assembling records) without the probes and *data*, "
             "drawing the runs' data and initial parameters (a run recorded before that phase "
             "existed, 2026-12-04, counts data and initialisation under training); *probes* "
             "the probes at probe times; *baselines* fitting the linear baselines of "
             "`simulate`'s records; *store* reading and writing "
             "records; *verdicts* the claims' statistics; *plotting* drawing; *other* the rest "
             "of the command.", ""]
    when = ", ".join(x for x in (
        f"started {s['started']}" if s.get("started") else "",
        f"finished {s['finished']}" if s.get("finished") else "",
        f"{s.get('cpus')} logical CPUs ({s.get('cpu')})",
        f"load average before {s['load_before']}" if s.get("load_before") else "",
        f"after {s['load_after']}" if s.get("load_after") else "") if x)
    lines += [f"Run: {when}.", ""]
    total = 0.0
    for name, res in cmds.items():
        lines += [table(name, res), ""]
        total += res["process"].get("wall", res["timings"]["wall_s"])
    papers = s.get("papers") or {}
    if papers:
        lines += ["Compute time of each paper's experiments (the sum of its store entries' "
                  "times: each experiment trained once, by the check or by the figures; with "
                  "worker processes they overlap in wall time):", "",
                  "| paper | experiments | minutes |", "|---|---:|---:|"]
        for paper, exps in sorted(papers.items(), key=lambda kv: -sum(kv[1].values())):
            lines.append(f"| {paper} | {len(exps)} | {sum(exps.values()) / 60:.1f} |")
        lines.append("")
    v = s.get("verdicts")
    if v:
        lines += ["Verdicts of the check: " + ", ".join(f"{n} {k}" for k, n in sorted(
            v.items())) + " (docs/claims.md's table on the day of this run; docs/claims.md has "
            "the current one).", ""]
    if "check" in cmds and "figures" in cmds:
        c = cmds["check"]["process"].get("wall", cmds["check"]["timings"]["wall_s"]) / 60
        f = cmds["figures"]["process"].get("wall", cmds["figures"]["timings"]["wall_s"]) / 60
        lines += [f"Targets of issue #20: `twolayer check --all` (full plan) under 30 minutes: "
                  f"**{c:.1f} min** ({'met' if c < 30 else 'not met'}); `make figures` under "
                  f"15 minutes after it: **{f:.1f} min** ({'met' if f < 15 else 'not met'}); "
                  f"both together {total / 60:.1f} min.", ""]
    return "\n".join(lines)


def render(work: Path) -> str:
    return render_summary(summary(work)) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = None
    if len(args) == 3 and args[1] == "--json":
        out = Path(args[2])
        args = args[:1]
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m twolayer.bench.timetable WORK [--json OUT] (WORK: a directory "
              "written by benchmarks/time_to_answer.sh)", file=sys.stderr)
        return 2
    s = summary(Path(args[0]))
    if out is not None:
        from ..record import write_text_atomic

        write_text_atomic(out, json.dumps(s, indent=1) + "\n")
    print(render_summary(s), end="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
