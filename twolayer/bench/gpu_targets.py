"""The GPU targets of ``benchmarks/gpu_check.sh``, read off its results next to the published CPU
numbers:

    python -m twolayer.bench.gpu_targets OUT [--cpu-bench benchmarks/results.json]
        [--cpu-time-to-answer benchmarks/time_to_answer.json]

OUT holds what the script wrote: ``gpu.json`` (:mod:`twolayer.bench.gpu`) and, when the step
ran, ``check_all.json`` and ``check_all.timings.json`` (``twolayer check --all --json
--timings``; compared only when it holds the full plan's claims at the evidence tier), or
``check_all.stopped_at`` (the time limit in seconds at which the script stopped it: the speed-up
is then below the CPU's time over that limit). Each target is printed with the numbers it
compares and "met", "not met" or "not measured"; nothing is judged from a file that is missing,
from a gpu.json measured on another device than CUDA, or from a run at other sizes than the
target names. The targets (issue #19):

- the reference step (n = 1000, d = 50, m = 400) at R = 1024 at least 0.5 of the float32 GEMM
  rate measured in the same run (the higher of the rates measured before and after the steps:
  the conservative one);
- the default probes at their default times cost at most 10 % (with against without), at every
  R measured over 1000 steps (a row shortened by ``--max-seconds`` probes more densely and is
  shown, not judged);
- the reference workload of ``make bench`` (R = 64, 1000 steps, default probes) at least 50x
  faster than the published CPU run of ``make bench``;
- ``twolayer check --all`` (full plan) at least 10x faster than the published CPU run of
  ``benchmarks/time_to_answer.sh``;
- memory: the peak at the largest R as a fraction of the card's memory (reported, no bound).

After the targets, the opt-in switches timed by ``benchmarks/gpu_steps.py`` (``steps.json``)
against the default step (``graph+fused``), by a rule fixed before their first GPU run, as
information for the maintainers (not a target): a GEMM kernel's switch (``fused_gpu_forward``,
``fused_gpu_backward``, both, both with ``gpu_blocks.py``'s swept tiles) is a *candidate for the
default* where its plain step is faster than the default's in every one of at least
:data:`MIN_ROUNDS` paired rounds at R = 64 and at R = 1024, and W after the steps agrees with
the eager step's to a per-run median of at most :data:`W_AGREE` of max |W| (the eager GPU step
and the CPU's float32 path part by a median of 9.9e-6 at R = 64, measured on the H200);
``probe_graph`` is one where ``make bench``'s workload is faster than the default's in every
paired round. Otherwise it *stays opt-in*, with the reason; *not decided* where the rounds are
missing or too few.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_STEPS = 1000  # a default run's length: 37 probe times
MIN_ROUNDS = 3  # paired rounds an opt-in must win every one of (by chance: 1/8 per comparison)
W_AGREE = 1e-5  # per-run median of max |ΔW_r| / max |W_r| against the eager step
DEFAULT_VARIANT = "graph+fused"
OPT_INS = {"graph+fused forward": "fused_gpu_forward",
           "graph+fused backward": "fused_gpu_backward",
           "graph+fused fwd+bwd": "fused_gpu_forward + fused_gpu_backward",
           "graph+fused fwd+bwd, swept blocks": "fused_gpu_forward + fused_gpu_backward with "
                                                "gpu_blocks.py's fastest tiles",
           "graph+fused+probe graph": "probe_graph"}
NAMES = ("step at R = 1024 >= 0.5 of the float32 GEMM rate",
         "default probes <= 10 % (with / without - 1)",
         "make bench's reference workload >= 50x the published CPU run",
         "check --all (full plan) >= 10x the published CPU run",
         "peak memory at the largest R (no bound: R n up to the card)")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _load_list(path: Path) -> list[dict[str, Any]] | None:
    data = _load(path)
    return data if isinstance(data, list) else None


def _row(gpu: dict[str, Any], R: int, steps: int | None = None) -> dict[str, Any] | None:
    if gpu.get("quick") or (gpu.get("n"), gpu.get("d"), gpu.get("m")) != (1000, 50, 400):
        return None  # not the reference sizes
    for r in gpu.get("reference", []):
        if r["R"] == R and (steps is None or r["steps"] == steps):
            return r
    return None


def _how(gpu: dict[str, Any] | None, row: dict[str, Any] | None = None) -> str:
    """How gpu.json's step ran: from the timed ``row``'s own record where it has one (its
    steps' Triton kernels and graph replays, recorded since 2026-12-06), else the switches of
    the whole run (recorded since the fused pass and graphs became defaults)."""
    plain = (row or {}).get("plain")
    if isinstance(plain, dict) and "step_graph" in plain:
        graph = plain.get("step_graph")
        graphs = ("graphs replayed" if graph == "replayed" else "no graph" if graph is None
                  else f"graphs: {graph}")
        ran = "pass" in (plain.get("triton_kernels") or [])
        return f" (fused pass {'ran' if ran else 'not run'}, {graphs})"
    if not isinstance(gpu, dict) or "fused_gpu" not in gpu:
        return ""
    on = {True: "on", False: "off"}
    return (f" (fused pass {on[bool(gpu['fused_gpu'])]}, "
            f"graphs {on[bool(gpu.get('cuda_graph'))]})")


def _variants(path: Path) -> dict[str, str]:
    """Information from benchmarks/gpu_steps.py's results, where the script wrote them (not a
    verdict: the targets are judged from gpu.json): per variant, the R = 1024 step's fraction
    of the GEMM rate and the workload's ratio to the CPU, medians of its rounds."""
    res = _load(path)
    if not (isinstance(res, dict) and str(res.get("device", "")).startswith("cuda")
            and res.get("workload", {}).get("published_cpu_seconds")):
        return {}
    rate, w = res["gemm_tflops"], res["workload"]
    names = [v for v in w if isinstance(w[v], dict) and "seconds" in w[v]]
    big = [r for r in res.get("plain", []) if r.get("R") == 1024]
    out = {"workload": "; step variants (medians of {} rounds): ".format(w.get("rounds", "?"))
           + ", ".join(f"{v} {w[v]['cpu_over_this']:.1f}x" for v in names)}
    if big:
        out["step"] = "; step variants at R = 1024: " + ", ".join(
            f"{v} {big[0][v]['tflops'] / rate:.2f}" for v in names if v in big[0])
    return out


def targets(out: Path, cpu_bench: Path, cpu_tta: Path) -> list[tuple[str, str, str]]:
    """(target, verdict, the numbers) for each target."""
    gpu = _load(out / "gpu.json")
    rows: list[tuple[str, str, str]] = []
    if not (isinstance(gpu, dict) and str(gpu.get("device", "")).startswith("cuda")):
        why = ("no gpu.json" if gpu is None
               else f"gpu.json was measured on {gpu.get('device')!r}, not a CUDA device")
        return [(name, "not measured", why) for name in NAMES]

    def verdict(ok: bool) -> str:
        return "met" if ok else "not met"

    variants = _variants(out / "steps.json")
    name = NAMES[0]
    r = _row(gpu, 1024) if gpu else None
    if r is None:
        rows.append((name, "not measured", "no reference-size R = 1024 row in gpu.json"))
    else:
        gemm = max(gpu["gemm_tflops"], gpu["gemm_tflops_after"])
        frac = r["plain"]["tflops"] / gemm
        rows.append((name, verdict(frac >= 0.5),
                     f"{r['plain']['tflops']:.3g} of {gemm:.3g} TFLOP/s = {frac:.2f}"
                     f"{_how(gpu, r)}"
                     + variants.get("step", "")))

    name = NAMES[1]
    refs = [r for r in (gpu or {}).get("reference", []) if _row(gpu, r["R"]) is not None]
    judged = [r for r in refs if r["steps"] == DEFAULT_STEPS]  # the default probe density
    if not judged:
        rows.append((name, "not measured", f"no reference-size rows of {DEFAULT_STEPS} steps "
                     "in gpu.json"))
    else:
        worst = max(r["probe_overhead"] for r in judged)
        rows.append((name, verdict(worst <= 0.10), "; ".join(
            f"R = {r['R']}: {100 * r['probe_overhead']:.1f} % ({r.get('probe_times', '?')} "
            f"probe times in {r['steps']} steps"
            + (", not judged: not the default density)" if r not in judged else ")")
            for r in refs)))

    name = NAMES[2]
    cpu = _load(cpu_bench)
    ref = (cpu or {}).get("reference", {})
    r = _row(gpu, ref.get("R", 64), ref.get("steps", 1000)) if gpu else None
    if cpu is None or r is None or cpu.get("quick"):
        rows.append((name, "not measured", "needs gpu.json's R = 64, 1000-step row and the "
                     f"published {cpu_bench}"))
    else:
        cpu_s, dev_s = cpu["engine"]["seconds"], r["probes"]["seconds"]
        rows.append((name, verdict(cpu_s / dev_s >= 50),
                     f"{cpu_s:.1f} s ({cpu_bench}, {cpu.get('created', '?')}) / {dev_s:.3f} s "
                     f"= {cpu_s / dev_s:.1f}x{_how(gpu, r)}" + variants.get("workload", "")))

    name = NAMES[3]
    tta, timing = _load(cpu_tta), _load(out / "check_all.timings.json")
    claims = _load_list(out / "check_all.json")
    cpu_wall = (((tta or {}).get("commands", {}).get("check") or {}).get("timings")
                or {}).get("wall_s")
    cpu_counts = (tta or {}).get("verdicts", {})
    if cpu_wall is None:
        rows.append((name, "not measured", f"no check timing in {cpu_tta}"))
    elif (out / "check_all.stopped_at").is_file():  # stopped at its time limit: an upper
        limit = float((out / "check_all.stopped_at").read_text().strip())  # bound only
        bound = cpu_wall / limit
        rows.append((name, "not met" if bound < 10 else "not measured",
                     f"stopped at its limit of {limit:.0f} s: below {cpu_wall:.0f} s "
                     f"({cpu_tta}) / {limit:.0f} s = {bound:.1f}x"
                     + ("" if bound < 10 else ", which does not decide 10x")))
    elif timing is None or claims is None:
        rows.append((name, "not measured", "no check_all.timings.json / check_all.json (the "
                     "step did not run, or was stopped by its time limit: then below "
                     f"{cpu_wall:.0f} s / limit)"))
    elif (not claims or any(c.get("tier") != "evidence" for c in claims)
          or len(claims) != sum(cpu_counts.values())):
        rows.append((name, "not measured", f"check_all.json holds {len(claims)} claims, not "
                     f"the full plan's {sum(cpu_counts.values())} at the evidence tier"))
    else:
        wall = timing["wall_s"]
        counts = {v: sum(c.get("verdict") == v for c in claims) for v in cpu_counts}
        rows.append((name, verdict(cpu_wall / wall >= 10),
                     f"{cpu_wall:.0f} s ({cpu_tta}) / {wall:.1f} s = {cpu_wall / wall:.1f}x; "
                     f"verdicts here {counts}, on the CPU {cpu_counts}"))

    name = NAMES[4]
    if not refs or gpu.get("total_memory") is None:
        rows.append((name, "not measured", "no CUDA reference rows"))
    else:
        r = max(refs, key=lambda r: r["R"])
        peak = max(r["plain"]["peak_bytes"] or 0, r["probes"]["peak_bytes"] or 0)
        rows.append((name, "reported", f"R = {r['R']}: {peak / 2**30:.2f} GiB of "
                     f"{gpu['total_memory'] / 2**30:.0f} GiB"))
    return rows


def _wins(mine: Any, default: Any) -> tuple[int, int] | None:
    """(rounds won, rounds) of paired round times, or None where they are not comparable."""
    if not (isinstance(mine, list) and isinstance(default, list) and len(mine) == len(default)
            and mine):
        return None
    return sum(a < b for a, b in zip(mine, default, strict=True)), len(mine)


def opt_ins(path: Path) -> list[tuple[str, str, str]]:
    """(switch, decision, the numbers) for each opt-in variant in gpu_steps.py's results at
    ``path`` (CUDA, reference sizes), by the rule in this module's docstring."""
    res = _load(path)
    if not (isinstance(res, dict) and str(res.get("device", "")).startswith("cuda")
            and res.get("workload", {}).get("published_cpu_seconds")):
        return []
    plain = {r.get("R"): r for r in res.get("plain", []) if (r.get("n"), r.get("d"), r.get(
        "m")) == (1000, 50, 400)}
    rows = []
    for variant, switch in OPT_INS.items():
        if variant in res.get("not_run", {}):
            rows.append((switch, "not measured", f"not run: {res['not_run'][variant]}"))
            continue
        if variant not in res["workload"] and not any(variant in r for r in plain.values()):
            rows.append((switch, "not measured", f"no variant {variant!r} in {path}"))
            continue
        if variant == "graph+fused+probe graph":
            w = res["workload"]
            comps = {"workload": (w.get(variant), w.get(DEFAULT_VARIANT), "rounds_seconds",
                                  "seconds", "s")}
        else:
            comps = {f"R = {R}": ((plain.get(R) or {}).get(variant),
                                  (plain.get(R) or {}).get(DEFAULT_VARIANT),
                                  "rounds_s_per_step", "s_per_step", "ms/step") for R in (64, 1024)}
        parts, won_all, decided = [], True, True
        for label, (mine, default, rounds_key, key, unit) in comps.items():
            wins = _wins((mine or {}).get(rounds_key), (default or {}).get(rounds_key))
            if wins is None or wins[1] < MIN_ROUNDS:
                decided = False
                parts.append(f"{label}: fewer than {MIN_ROUNDS} paired rounds")
                continue
            scale = 1e3 if unit == "ms/step" else 1.0
            parts.append(f"{label}: {scale * mine[key]:.3f} against {scale * default[key]:.3f} "
                         f"{unit}, faster in {wins[0]} of {wins[1]} rounds")
            won_all &= wins[0] == wins[1]
            agree = mine.get("run_rel_diff_W_median")
            if agree is not None:
                parts[-1] += f", W vs eager median {agree:.1e}"
                won_all &= agree <= W_AGREE
        decision = ("not decided" if not decided
                    else "candidate for the default" if won_all else "stays opt-in")
        rows.append((switch, decision, "; ".join(parts)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m twolayer.bench.gpu_targets", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="the folder gpu_check.sh wrote its results to")
    ap.add_argument("--cpu-bench", default="benchmarks/results.json",
                    help="the published make bench results (default benchmarks/results.json)")
    ap.add_argument("--cpu-time-to-answer", default="benchmarks/time_to_answer.json",
                    help="the published time-to-answer run "
                         "(default benchmarks/time_to_answer.json)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"python -m twolayer.bench.gpu_targets: out: {out} is not a directory",
              file=sys.stderr)
        return 2
    for name, verdict, numbers in targets(out, Path(args.cpu_bench),
                                          Path(args.cpu_time_to_answer)):
        print(f"{name}: {verdict.upper()}  [{numbers}]")
    rows = opt_ins(out / "steps.json")
    if rows:
        print(f"opt-in switches against the default step ({DEFAULT_VARIANT}; information, not a "
              f"target: a candidate wins every one of at least {MIN_ROUNDS} paired rounds, at "
              f"R = 64 and 1024 with W within {W_AGREE:g} of the eager step's):")
        for switch, decision, numbers in rows:
            print(f"  {switch}: {decision}  [{numbers}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
