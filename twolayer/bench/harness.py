"""`twolayer bench` (and `make bench`): how fast the training engine is, measured against the
machine and a plain loop.

Everything that is a ratio is measured in this one process, one after the other, so that the
ratios hold on a noisy machine:

1. the float32 GEMM rate: a large square matmul through torch (the ceiling);
2. the engine on the reference workload (R = 64 seeds, n = 1000, d = 50, m = 400, 1000 full-batch
   GD steps, the default probes on the default log-spaced schedule): effective GFLOP/s
   = 4·R·n·d·m·steps / seconds, and its ratio to the GEMM rate;
3. the baseline a researcher would write (twolayer/bench/baseline.py: nn.Module, autograd,
   torch.optim.SGD, the same measurements at each probe time), one seed at a time on the same
   workload: a subset of seeds is timed and scaled to R;
4. probe overhead: the same workload with probes off; and accounted inside the run with probes
   (the time in the probes plus the measured extra of a step that takes the segments);
5. peak memory against n (each n in a fresh subprocess on the CPU, so that peak RSS is its own;
   in process with the CUDA allocator's statistics on a GPU);
6. scaling: seconds per step against R, n, m and d (one at a time around a base point), with
   fitted log-log slopes.

:func:`run_bench` returns the results; `twolayer bench --out FILE [--doc FILE]` writes them as
JSON and as a markdown page (rendered by twolayer/bench/report.py; `make bench` writes the
published benchmarks/results.json and docs/benchmarks.md). The same harness runs on a GPU when
one is present (``--device auto``).
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import engine
from ..config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from ..simulate import setup
from . import baseline

REFERENCE = dict(R=64, n=1000, d=50, m=400, steps=1000)
PHASES = 8  # the runs with and without probes alternate in this many phases
WINDOW = 0.5  # seconds of GEMM sampling after each timed part
PROBES = ProbeConfig().probes  # the default probes


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loadavg() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def machine(device: torch.device) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "blas": "MKL" if torch.backends.mkl.is_available() else "other",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(device),
    }
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


# -- 1. GEMM ceiling ------------------------------------------------------------------------
class Gemm:
    """float32 C = A B for square size×size matrices (2·size³ flops each), sampled for a short
    window before the timed parts and after each of them: the best sample is the ceiling; the
    median of all samples is the rate the machine gave alongside the timed parts (on a shared
    host the two can differ by a factor of two within one run)."""

    def __init__(self, device: torch.device, size: int):
        g = torch.Generator(device="cpu").manual_seed(0)
        self.device, self.size = device, size
        self.A = torch.randn(size, size, generator=g, device="cpu").to(device)
        self.B = torch.randn(size, size, generator=g, device="cpu").to(device)
        self.C = torch.empty(size, size, device=device)
        self.times: list[float] = []
        torch.mm(self.A, self.B, out=self.C)

    def sample(self, seconds: float = 1.5) -> float:
        """Time repeated GEMMs for about ``seconds``; return this sample's best GFLOP/s."""
        best, reps, start = float("inf"), 0, time.perf_counter()
        while reps < 3 or time.perf_counter() - start < seconds:
            sync(self.device)
            t = time.perf_counter()
            torch.mm(self.A, self.B, out=self.C)
            sync(self.device)
            dt = time.perf_counter() - t
            self.times.append(dt)
            best, reps = min(best, dt), reps + 1
        return self.flops / best / 1e9

    @property
    def flops(self) -> float:
        return 2.0 * self.size**3

    def summary(self) -> dict:
        t = np.asarray(self.times)
        return {"size": self.size, "samples": len(t), "gflops": self.flops / t.min() / 1e9,
                "gflops_median": self.flops / float(np.median(t)) / 1e9}


# -- 2./4. the engine -----------------------------------------------------------------------
def reference_config(R: int, n: int, d: int, m: int, steps: int) -> Config:
    return Config(
        data=DataConfig(d=d, n=n),
        net=NetConfig(m=m),
        train=TrainConfig(steps=steps),
        seeds=R,
    )


class EngineRun:
    """The reference workload as consecutive phases of ``engine.train`` (the documented way to
    continue training), so that the runs with and without probes can alternate phase by phase
    and a change of load hits both alike. The probe times are the default schedule of the
    whole run; each phase probes the ones in its range (the last phase also the final time)."""

    def __init__(self, cfg: Config, data, params, device: torch.device, probes, phases: int):
        self.cfg, self.data, self.device, self.probes = cfg, data, device, tuple(probes)
        self.init, self.p = params, params
        steps = cfg.train.steps
        self.times = engine.probe_times(steps, cfg.probe.num_times, cfg.probe.dense_until)
        self.bounds = [round(steps * k / phases) for k in range(phases + 1)]
        self.rt = engine.Runtime(device=str(device), progress=False)
        self.seconds = self.cpu_seconds = self.probe_seconds = 0.0
        self.logs: dict[str, list[np.ndarray]] = {}
        self.done = 0

    def phase(self) -> float:
        """Run the next phase; return its seconds."""
        lo, hi = self.bounds[self.done], self.bounds[self.done + 1]
        last = self.done + 1 == len(self.bounds) - 1
        times = [t - lo for t in self.times if lo <= t < hi or (last and t == hi)]
        if not self.probes:
            times = []
        tc = dataclasses.replace(self.cfg.train, steps=hi - lo)
        sync(self.device)
        t, c = time.perf_counter(), time.process_time()
        res = engine.train(self.p, self.data, tc, times, self.probes, self.rt,
                           self.cfg.run_seeds, init=self.init)
        sync(self.device)
        dt = time.perf_counter() - t
        self.seconds += dt
        self.cpu_seconds += time.process_time() - c
        self.probe_seconds += res.probe_seconds
        for k, v in res.arrays.items():
            self.logs.setdefault(k, []).append(v)
        self.p = res.params
        self.done += 1
        return dt

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v, axis=1) for k, v in self.logs.items()}


def flops(R: int, n: int, d: int, m: int, steps: int) -> float:
    """The two GEMMs of a step: forward W x (2·n·d·m per run) and backward δᵀ x (2·n·d·m)."""
    return 4.0 * R * n * d * m * steps


def in_step_segments_ms(data, params, device: torch.device, pairs: int = 15) -> float | None:
    """Median extra milliseconds of a step that also takes the segments probe's group gradients
    (a probe-time step) over a plain step: interleaved pairs of the two kernel calls on the
    reference data. None when the engine cannot take them in the step (then the probe makes
    its own pass, timed inside the probes)."""
    from twolayer import net
    from twolayer.probes import segment_split

    data, p = data.to(device), params.to(device)
    ws = net.Workspace(p, data.x.shape[1])
    if not ws.can_split(p):
        return None
    split, s = segment_split(data), 1.0 / data.x.shape[1]
    diffs = []
    for i in range(pairs + 1):
        t = []
        for groups in ((None, split) if i % 2 else (split, None)):
            sync(device)
            start = time.perf_counter()
            ws.run(p, data.x, data.y, "logistic", s, groups=groups)
            sync(device)
            t.append(time.perf_counter() - start)
        if i:  # the first pair warms up
            diffs.append((t[1] - t[0]) if i % 2 else (t[0] - t[1]))
    return 1e3 * float(np.median(diffs))


# -- 3. the baseline loop -------------------------------------------------------------------
class Baseline:
    """The plain loop on the reference data, one seed at a time (timed seed by seed, so that
    its seeds can be interleaved with the engine's runs)."""

    def __init__(self, cfg: Config, data, params, device: torch.device):
        self.cfg, self.device = cfg, device
        self.times = engine.probe_times(cfg.train.steps, cfg.probe.num_times,
                                        cfg.probe.dense_until)
        self.data = data.to(device)
        self.W0, self.a = params.W.to(device), params.a.to(device)
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.outputs: list[dict[str, torch.Tensor]] = []

    def run_seed(self, r: int, steps: int | None = None) -> None:
        steps = self.cfg.train.steps if steps is None else steps
        times = [t for t in self.times if t <= steps]
        sync(self.device)
        t, c = time.perf_counter(), time.process_time()
        out = baseline.train_one(self.data, self.W0[r], self.a[r], r, self.cfg.train.lr, steps,
                                 times)
        sync(self.device)
        if steps == self.cfg.train.steps:
            self.seconds.append(time.perf_counter() - t)
            self.cpu_seconds.append(time.process_time() - c)
            self.outputs.append(out)

    def summary(self, engine_arrays: dict[str, np.ndarray]) -> dict:
        agreement: dict[str, float] = {}
        for r, out in enumerate(self.outputs):  # the two loops must measure the same numbers
            for k, v in out.items():
                ref = engine_arrays[k][r]
                diff = float(np.max(np.abs(v.cpu().numpy().reshape(ref.shape) - ref)))
                agreement[k] = max(agreement.get(k, 0.0), diff)
        k, total = len(self.seconds), sum(self.seconds)
        return {"seeds_timed": k, "seconds_per_seed": self.seconds, "seconds_timed": total,
                "cpu_seconds_timed": sum(self.cpu_seconds),
                "seconds_scaled": total * self.cfg.seeds / k,
                "max_abs_diff_vs_engine": agreement}


# -- 5. memory ------------------------------------------------------------------------------
def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(n: int, R: int, steps: int) -> dict:
    """In a fresh process: peak resident memory of training beyond what exists before it
    (interpreter, torch, the data and the initial parameters)."""
    cfg = reference_config(R, n, REFERENCE["d"], REFERENCE["m"], steps)
    cfg, data, params = setup(cfg)
    data_bytes = sum(v.numel() * v.element_size() for v in vars(data).values()
                     if isinstance(v, torch.Tensor))
    rt = engine.Runtime(device="cpu", progress=False)
    # no warm-up: memory freed by a first run would be kept by the C allocator and hide the
    # second run's peak; the one-time costs (BLAS buffers, thread stacks) are the same for all n
    gc.collect()
    try:  # hand memory the C allocator keeps back to the OS, so RSS is the live memory
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    base = _rss_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    engine.train(params, data, cfg.train, list(range(steps + 1)), PROBES, rt)
    peak = _rss_kb("VmHWM")
    return {"n": n, "R": R, "data_mb": data_bytes / 2**20, "peak_extra_mb": (peak - base) / 1024,
            "unchunked_activation_mb": R * n * REFERENCE["m"] * 4 / 2**20}


def memory_sweep(device: torch.device, ns: list[int], R: int, steps: int) -> dict:
    rows = []
    for n in ns:
        if device.type == "cuda":
            cfg, data, params = setup(reference_config(R, n, REFERENCE["d"], REFERENCE["m"], steps))
            data, params = data.to(device), params.to(device)
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
            rt = engine.Runtime(device=str(device), progress=False)
            engine.train(params, data, cfg.train, list(range(steps + 1)), PROBES, rt)
            peak = torch.cuda.max_memory_allocated(device)
            data_bytes = sum(v.numel() * v.element_size() for v in vars(data).values()
                             if isinstance(v, torch.Tensor))
            rows.append({"n": n, "R": R, "data_mb": data_bytes / 2**20,
                         "peak_extra_mb": (peak - base) / 2**20,
                         "unchunked_activation_mb": R * n * REFERENCE["m"] * 4 / 2**20})
        else:
            cmd = [sys.executable, "-m", "twolayer.bench.harness", "--memory-child", str(n),
                   "--memory-runs", str(R), "--memory-steps", str(steps)]
            # large blocks straight from (and back to) the OS: RSS follows the live memory
            env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
            # the child imports this very twolayer (installed or a source checkout)
            pkg_root = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(
                [pkg_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        row = rows[-1]
        log(f"memory n={n}: {row['peak_extra_mb']:.1f} MB beyond {row['data_mb']:.1f} MB data")
    how = ("CUDA allocator peak beyond the data and parameters" if device.type == "cuda" else
           "peak RSS (VmHWM) during training beyond the RSS before it (data and parameters "
           "already in memory), one fresh process per n, the C allocator told to return large "
           "blocks to the OS at once; it includes one-time costs of the first run (BLAS "
           "buffers, thread stacks), the same for every n")
    return {"method": how, "steps": steps, "rows": rows}


# -- 6. scaling -----------------------------------------------------------------------------
def seconds_per_step(device: torch.device, R: int, n: int, d: int, m: int, steps: int) -> float:
    cfg, data, params = setup(reference_config(R, n, d, m, steps))
    rt = engine.Runtime(device=str(device), progress=False)
    short = TrainConfig(steps=2)
    engine.train(params, data, short, [], (), rt)  # warm-up (allocations, BLAS dispatch)
    best = float("inf")
    for _ in range(3):
        sync(device)
        t = time.perf_counter()
        engine.train(params, data, cfg.train, [], (), rt)
        sync(device)
        best = min(best, (time.perf_counter() - t) / steps)
    return best


def scaling(device: torch.device, base: dict, grid: dict[str, list[int]], steps: int) -> dict:
    out: dict = {"base": base, "steps": steps, "axes": {}}
    for axis, values in grid.items():
        secs = []
        for v in values:
            point = dict(base, **{axis: v})
            secs.append(seconds_per_step(device, point["R"], point["n"], point["d"], point["m"],
                                         steps))
            log(f"scaling {axis}={v}: {secs[-1] * 1e3:.2f} ms/step")
        slope = float(np.polyfit(np.log(values), np.log(secs), 1)[0])
        tail = float(np.polyfit(np.log(values[-2:]), np.log(secs[-2:]), 1)[0])
        out["axes"][axis] = {"values": values, "seconds_per_step": secs, "slope": slope,
                             "slope_last_two": tail}
    return out


# -- main -----------------------------------------------------------------------------------
def run_bench(device: str = "auto", baseline_seeds: int = 16, quick: bool = False) -> dict:
    """Run the whole harness (items 1–6 of the module docstring and the flow table) and return
    the results (the content of results.json). ``quick``: R = 4, 100 steps and small grids, a
    smoke run, not the published numbers."""
    start = time.perf_counter()
    dev = engine.resolve_device(device)
    ref = dict(REFERENCE, R=4, steps=100) if quick else dict(REFERENCE)
    results: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "quick": quick, "machine": machine(dev),
                     "load_before": loadavg(), "reference": ref}
    log(f"device {dev}, {torch.get_num_threads()} threads, load {results['load_before']}")

    gemm = Gemm(dev, 2048 if dev.type == "cpu" else 8192)
    cfg = reference_config(ref["R"], ref["n"], ref["d"], ref["m"], ref["steps"])
    cfg, data, params = setup(cfg)
    F = flops(ref["R"], ref["n"], ref["d"], ref["m"], ref["steps"])
    seeds = min(baseline_seeds, ref["R"])
    plain = Baseline(cfg, data, params, dev)
    # warm-up: allocator, BLAS dispatch, first-call costs of both loops
    engine.train(params, data, TrainConfig(steps=3), [0, 1, 2, 3], PROBES,
                 engine.Runtime(device=str(dev), progress=False))
    plain.run_seed(0, steps=3)
    # the timed parts, interleaved so that a change of load hits all of them alike; the GEMM is
    # sampled for WINDOW seconds after every timed part, so that its samples spread over the
    # run like the timed parts themselves (their median: the rate the machine gave alongside)
    log(f"GEMM {gemm.size}²: {gemm.sample(WINDOW):.1f} GFLOP/s")
    on = EngineRun(cfg, data, params, dev, PROBES, PHASES)
    off = EngineRun(cfg, data, params, dev, (), PHASES)
    per = -(-seeds // PHASES)  # plain-loop seeds before each phase
    for k in range(PHASES):
        for r in range(k * per, min(seeds, (k + 1) * per)):
            plain.run_seed(r)
            log(f"plain loop, seed {r}: {plain.seconds[-1]:.1f} s; "
                f"GEMM {gemm.sample(WINDOW):.1f} GFLOP/s")
        first, second = (off, on) if k % 2 else (on, off)  # which goes first alternates too
        t1 = first.phase()
        g1 = gemm.sample(WINDOW)
        t2 = second.phase()
        g2 = gemm.sample(WINDOW)
        a, b = (t2, t1) if k % 2 else (t1, t2)
        log(f"engine phase {k + 1}/{PHASES}: {a:.1f} s with probes, {b:.1f} s without; "
            f"GEMM {g1:.1f}, {g2:.1f} GFLOP/s")
    log(f"engine with probes: {on.seconds:.1f} s ({F / on.seconds / 1e9:.1f} GFLOP/s), "
        f"without: {off.seconds:.1f} s ({F / off.seconds / 1e9:.1f} GFLOP/s)")

    g = gemm.summary()
    results["gemm"] = g
    for key, run in (("engine", on), ("engine_no_probes", off)):
        results[key] = {
            "seconds": run.seconds, "cpu_seconds": run.cpu_seconds,
            "gflops": F / run.seconds / 1e9,
            "ratio_to_gemm": F / run.seconds / 1e9 / g["gflops"],
            "ratio_to_gemm_median": F / run.seconds / 1e9 / g["gflops_median"],
            "phases": PHASES,
        }
    results["engine"].update(probe_seconds=on.probe_seconds, probe_times=len(on.times),
                             probes=list(PROBES))
    seg_ms = in_step_segments_ms(data, params, dev)
    log("in-step segments: " + ("not taken in the step" if seg_ms is None else
                                f"{seg_ms:.2f} ms extra per probe-time step"))
    train_s = on.seconds - on.probe_seconds
    results["probe_overhead"] = {
        "ratio": on.seconds / off.seconds - 1.0,
        "in_run": on.probe_seconds / train_s,
        "in_step_segments_ms": seg_ms,
        # every probe time but the last (probed after the loop) takes the segments in a step
        "accounted": (on.probe_seconds + (len(on.times) - 1) * (seg_ms or 0.0) / 1e3) / train_s,
        "per_probe_time_ms": 1e3 * on.probe_seconds / len(on.times),
        "per_step_ms": 1e3 * off.seconds / ref["steps"],
    }
    base = plain.summary(on.arrays)
    base["speedup"] = base["seconds_scaled"] / on.seconds
    base["gflops"] = F / base["seconds_scaled"] / 1e9
    results["baseline"] = base
    log(f"plain loop: {base['seconds_timed']:.1f} s for {seeds} seeds → "
        f"{base['seconds_scaled']:.1f} s for {ref['R']}; engine {base['speedup']:.2f}× faster")

    from .limit import step_against_limit

    results["limit"] = step_against_limit(data, params, cfg.train.lr, steps=3 if quick else 4,
                                          rounds=2 if quick else 30, device=dev,
                                          profile_steps=2 if quick else 10)
    lim = results["limit"]
    log(f"step {lim['engine_step_ms']:.1f} ms against the blocked two-GEMM limit "
        f"{lim['limit_step_ms']:.1f} ms: {lim['fraction_of_limit']:.2f} of the limit (paired "
        f"rounds: median {lim['fraction_paired_median']:.2f})")

    from .endtoend import run_endtoend

    results["endtoend"] = run_endtoend(repeats=1 if quick else 2, quick=quick, log=log)
    x = results["endtoend"]
    log(f"end to end: simulate {x['simulate']['median_seconds']:.1f} s, plain loop "
        f"{x['plain_loop']['median_seconds']:.1f} s ({x['speedup_simulate_vs_plain']:.2f}x)")

    if quick:
        results["memory"] = memory_sweep(dev, [500, 2000], 4, 2)
        grid = {"R": [2, 8], "n": [250, 1000], "m": [100, 400], "d": [25, 100]}
        results["scaling"] = scaling(dev, dict(R=4, n=500, d=50, m=200), grid, 5)
    else:
        results["memory"] = memory_sweep(dev, [1000, 4000, 16000, 64000], 8, 3)
        grid = {"R": [1, 4, 16, 64], "n": [250, 1000, 4000], "m": [100, 400, 1600],
                "d": [12, 50, 200]}
        results["scaling"] = scaling(dev, dict(R=16, n=1000, d=50, m=400), grid, 40)

    from .flow import flow_costs

    rt = engine.Runtime(device=str(dev), progress=False)
    results["flow"] = (flow_costs((10_000, 100_000), 1_000, rt) if quick
                       else flow_costs(runtime=rt))
    results["load_after"] = loadavg()
    results["total_seconds"] = time.perf_counter() - start
    return results


def _memory_child_main(argv: list[str] | None = None) -> int:
    """``python -m twolayer.bench.harness --memory-child N``: one point of the memory sweep in a
    fresh process (prints one JSON line)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory-child", type=int, required=True)
    ap.add_argument("--memory-runs", type=int, default=8)
    ap.add_argument("--memory-steps", type=int, default=3)
    args = ap.parse_args(argv)
    print(json.dumps(memory_child(args.memory_child, args.memory_runs, args.memory_steps)))
    return 0


if __name__ == "__main__":
    raise SystemExit(_memory_child_main())
