"""Peak memory of a frei2023 experiment of the full plan, run as ``twolayer check frei2023``
runs it, with the resident set attributed to phases: by default the regime experiment's "deep"
setting (d = 12000, n = 1000, m = 400, R = 20; ``run_to_T``), or ``--experiment NAME`` (e.g.
frei2023.movement: d = 6000, 5 × 20 runs).

A thread samples VmRSS (/proc/self/status) every few milliseconds; the phase in progress is set
by wrappers around setup, the Lemma 5–6 facts, training, each probe call, the final probes and
the record. Prints the peak RSS of each phase (MB), the process's VmHWM and wall seconds, and
with ``--digest`` a SHA-256 of the record's arrays (bitwise comparison across code versions).

    .venv/bin/python benchmarks/frei_memory.py [--experiment NAME] [--seeds R] [--digest]
                                               [--detail]

About 1–2 minutes and 3–7 GB each on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
import time

import numpy as np


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sampler:
    def __init__(self, every: float = 0.002) -> None:
        self.phase = "import"
        self.peaks: dict[str, float] = {}
        self.order: list[str] = []
        self.every = every
        self._stop = threading.Event()
        self._lock = threading.Lock()  # a sample's RSS and phase belong together
        self.timeline: list[tuple[float, str, float]] = []  # (s, phase entered, RSS MB)
        self.t0 = time.perf_counter()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _note(self) -> float:
        with self._lock:
            v, ph = rss_mb(), self.phase
            if ph not in self.peaks:
                self.order.append(ph)
            self.peaks[ph] = max(self.peaks.get(ph, 0.0), v)
        return v

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._note()
            time.sleep(self.every)

    def set(self, phase: str) -> None:
        self._note()  # the end of the previous phase
        with self._lock:
            self.phase = phase
        self.timeline.append((time.perf_counter() - self.t0, phase, self._note()))

    def start(self) -> None:
        self._t.start()

    def stop(self) -> None:
        self._stop.set()
        self._t.join()
        self._note()


def wrap(sampler: Sampler, name: str, fn):
    def inner(*args, **kwargs):
        outer = sampler.phase
        sampler.set(name)
        try:
            return fn(*args, **kwargs)
        finally:
            sampler.set(outer)

    inner.__wrapped__ = fn
    for attr in ("in_step_groups", "summary"):
        if hasattr(fn, attr):
            setattr(inner, attr, getattr(fn, attr))
    return inner


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=None, help="runs R (default: the plan's, 20)")
    ap.add_argument("--experiment", default="deep",
                    help="deep (default: the regime experiment's deep setting alone) or a "
                    "frei2023 experiment's name, e.g. frei2023.movement (full plan)")
    ap.add_argument("--digest", action="store_true", help="print a SHA-256 of the arrays")
    ap.add_argument("--save", metavar="NPZ", help="also save the arrays (to compare them)")
    ap.add_argument("--detail", action="store_true",
                    help="finer phases (engine calls inside the probes) and the timeline")
    args = ap.parse_args()

    sampler = Sampler()
    sampler.start()
    t0 = time.perf_counter()
    import twolayer.experiments.frei2023 as fx
    from twolayer.probes import base
    from twolayer.training.driver import Runtime

    sampler.set("module level")
    fx.setup = wrap(sampler, "setup (data, init)", fx.setup)
    fx.good_run_facts = wrap(sampler, "good_run_facts", fx.good_run_facts)
    fx.train = wrap(sampler, "train (steps; probes below)", fx.train)
    fx.measure = wrap(sampler, "final probes", fx.measure)
    fx.build_record = wrap(sampler, "build_record", fx.build_record)
    from twolayer.data.base import Dataset
    Dataset.select = wrap(sampler, "Dataset.select", Dataset.select)
    for name in ("frei_neurons", "frei_samples", "frei_test", "frei_features"):
        base.REGISTRY[name] = wrap(sampler, f"probe {name}", base.REGISTRY[name])

    if args.detail:
        import twolayer.net as tnet
        import twolayer.probes.frei as frei
        from twolayer.net import kernel
        from twolayer.training import driver, gd

        tnet.forward = wrap(sampler, "net.forward", tnet.forward)
        tnet.gradients_from_coeffs = wrap(sampler, "gradients_from_coeffs",
                                          tnet.gradients_from_coeffs)
        kernel.Workspace.gradients = wrap(sampler, "Workspace.gradients",
                                          kernel.Workspace.gradients)
        kernel.Workspace.__init__ = wrap(sampler, "Workspace()", kernel.Workspace.__init__)
        frei.cluster_extremes = wrap(sampler, "cluster_extremes", frei.cluster_extremes)
        driver.Driver.__init__ = wrap(sampler, "Driver()", driver.Driver.__init__)
        gd.GDStepper.advance = wrap(sampler, "GDStepper.advance", gd.GDStepper.advance)
        gd.GDStepper.observe = wrap(sampler, "GDStepper.observe", gd.GDStepper.observe)

    runtime = Runtime(device="cpu", progress=False)
    before = rss_mb()
    t1 = time.perf_counter()
    if args.experiment == "deep":
        p = fx.plan(quick=False)
        cfg = p.deep.config(p.deep.ds[0], args.seeds)
        print(f"deep d={cfg.data.d} n={cfg.data.n} m={cfg.net.m} R={cfg.seeds} "
              f"T={cfg.train.steps}")
        records = {"deep": fx.run_to_T(cfg, runtime, "deep")}
    else:
        from twolayer.experiments import EXPERIMENTS

        print(args.experiment, "(full plan)")
        res = EXPERIMENTS[args.experiment].run(False, args.seeds, runtime)
        records = res if isinstance(res, dict) else {"": res}
    wall = time.perf_counter() - t1
    sampler.set("done")
    sampler.stop()

    print(f"RSS before the experiment: {before:.0f} MB (imports {t1 - t0:.1f} s)")
    print("peak RSS by phase (MB):")
    for ph in sampler.order:
        print(f"  {ph:34s} {sampler.peaks[ph]:8.0f}")
    print(f"VmHWM (process peak): {rss_mb('VmHWM'):.0f} MB")
    print(f"experiment wall: {wall:.1f} s")
    if args.detail:
        print("timeline (s, phase entered, RSS MB at entry):")
        for t, ph, v in sampler.timeline:
            print(f"  {t:7.2f} {ph:34s} {v:8.0f}")
    if args.digest:
        h, count = hashlib.sha256(), 0
        for key, k, v in sorted((key, k, v) for key, rec in records.items()
                                for k, v in rec.arrays.items()):
            v = np.ascontiguousarray(v)
            count += 1
            h.update(f"{key}/{k}".encode())
            h.update(str(v.dtype).encode())
            h.update(str(v.shape).encode())
            h.update(v.tobytes())
        print(f"arrays: {count}, sha256 {h.hexdigest()}")
    if args.save:
        np.savez(args.save, **{f"{key}/{k}": v for key, rec in records.items()
                               for k, v in rec.arrays.items()})


if __name__ == "__main__":
    main()
