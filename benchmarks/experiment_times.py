"""How long each experiment of the full plan takes on a device: a diagnostic, not a benchmark.

    python benchmarks/experiment_times.py [--device cuda] [--jobs 8] [--quick]
        [--only NAME ...] [--store DIR] [--cpu benchmarks/time_to_answer.json]

Trains the experiments that ``benchmarks/time_to_answer.json`` timed on the CPU (the full plan
of ``twolayer check --all`` and ``make figures``), longest first, each in one of ``--jobs``
spawned worker processes (:func:`twolayer.experiments.prefetch.train_task`, the same code that
``Runs.prefetch`` uses on a CPU), into a record store, and prints one line per experiment as
it finishes: its seconds here next to its seconds in the published CPU run, and the worker's
exclusive seconds (``--timings``' phases) drawing data, training (steps and the rest of the
runner) and in the probes. The workers share
the machine (cores and, on a GPU, the device), so a line is the time under that sharing, an
upper bound on the experiment alone. Stop it at any time (``timeout``): the lines printed so far
stand.

Written for issue #19: on an H200, ``check --all`` (full plan) ran past its 150 s limit, and
these lines say which experiments hold it there.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--quick", action="store_true", help="the quick plan (a dry run)")
    ap.add_argument("--only", nargs="+", help="these experiments (default: every one timed "
                                              "in --cpu)")
    ap.add_argument("--store", help="record store (default: a new temporary folder)")
    ap.add_argument("--plugins", nargs="*", default=["examples/barak2022"],
                    help="plugin folders whose experiments to include (default: "
                         "examples/barak2022, whose figures make figures draws)")
    ap.add_argument("--cpu", default="benchmarks/time_to_answer.json",
                    help="the published CPU run whose experiments and seconds to compare")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs: {args.jobs} is not >= 1")
    from twolayer.bench.gpu import device_error

    refused = device_error(args.device, "experiment_times.py")  # cuda:7 on a one-GPU machine
    if refused:
        print(refused, file=sys.stderr)
        return 2
    from twolayer.experiments import Runs
    from twolayer.experiments.prefetch import Task, train_task
    from twolayer.spawned import ignore_interrupts

    cpu: dict[str, float] = {}
    for per_paper in json.loads(Path(args.cpu).read_text())["papers"].values():
        cpu.update(per_paper)
    names = args.only or sorted(cpu, key=lambda n: -cpu[n])
    store = args.store or tempfile.mkdtemp(prefix="experiment-times-")
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    runtime = {"device": args.device, "progress": False}
    plugins = tuple(str(Path(p).resolve()) for p in args.plugins or ())
    tasks = [Task(Runs, n, args.quick, None, runtime, store, plugins, threads) for n in names]
    print(f"{len(tasks)} experiments, {args.jobs} workers x {threads} threads, device "
          f"{args.device}, {'quick' if args.quick else 'full'} plan, store {store}", flush=True)
    print(f"{'experiment':36s} {'here s':>8s} {'CPU s':>8s} {'CPU/here':>9s} {'at s':>7s}"
          f" {'data s':>7s} {'train s':>7s} {'probes s':>8s}", flush=True)
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=ctx, initializer=ignore_interrupts) as pool:
        futures = {pool.submit(train_task, t): t.name for t in tasks}
        for f in as_completed(futures):
            name = futures[f]
            try:
                _, seconds, timings = f.result()
            except Exception as e:  # report and go on
                print(f"{name:36s} error: {type(e).__name__}: {e}", flush=True)
                continue
            ref = None if args.quick else cpu.get(name)  # the CPU run is the full plan
            ratio = f"{ref / seconds:9.1f}" if ref and seconds > 0 else f"{'-':>9s}"
            phases = timings["phases"]
            print(f"{name:36s} {seconds:8.1f} {ref if ref else float('nan'):8.1f} {ratio} "
                  f"{time.perf_counter() - t0:7.1f} {phases.get('data', 0.0):7.1f} "
                  f"{phases.get('training', 0.0):7.1f} {phases.get('probes', 0.0):8.1f}",
                  flush=True)
    print(f"all {len(tasks)} done in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
