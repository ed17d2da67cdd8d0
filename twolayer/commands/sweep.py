"""``twolayer sweep SPEC.toml``: train a grid of settings, resumably, here or on a cluster.

The spec is validated (every point's config built) before anything is written; then the store
directory is created, the groups missing from it are trained by the executor, and the points
and summary tables are rewritten. Rerunning the same command resumes: stored points are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cli import integer
from ..errors import ConfigError, switch_given
from ..record import check_writable_dir
from .settings import MAX_THREADS, add_budget_flag, runtime_budget

EXECUTORS = ("local", "dask", "slurm")
DEFAULT_ROOT = "sweep-results"
SLURM_FOLDER = "slurm"  # <out>/slurm/: submitit's job folders (executors.SlurmExecutor)
# runs per engine call on a GPU when the spec sets no [run] group_runs: a GPU wants big batches
# (the CPU default, 32, leaves most of it idle); still checked against its free memory
CUDA_GROUP_RUNS = 1024
MAX_WORKERS = 1024  # --workers: processes on this machine
# what one worker process holds before it trains (Python, NumPy, PyTorch and twolayer imported:
# 145-147 MiB of private memory measured on torch 2.13, CPU build, 2026-12-07; its resident set,
# 222-292 MiB, adds the shared libraries' pages, which the processes share and the page cache
# holds once)
WORKER_PROCESS_BYTES = 256 * 2**20


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="train a grid of settings from a TOML spec (resumable; local, Dask or SLURM)",
        description="Train every point of a sweep spec (base setting x axes x seeds, see "
        "docs/sweeps.md) and store one record per point under the hash of its config. Points "
        "already in the store are skipped (resume is the default); --force retrains them. Writes "
        "<out>/records/, <out>/points.csv and <out>/summary.csv (one row per point and seed).",
        epilog="Exit status: 0 every point stored (some may have diverged: a finding, marked "
        "in the tables); 1 a write failed, or --verify found damage; 2 invalid input, a "
        "worker's error (one line naming the point), or nothing could be trained (every point "
        "diverged: the first is named); 130 / 143 interrupted (the finished points stay "
        "stored: run the same command again to resume).",
    )
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep spec")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local process pool, Dask (distributed) or SLURM (submitit) "
                   "(default local)")
    p.add_argument("--device",
                   help="auto, cpu, cuda or cuda:N: overrides the spec's [run] device (with a "
                   f"GPU and no [run] group_runs, {CUDA_GROUP_RUNS} runs per engine call)")
    add_budget_flag(p)
    p.add_argument("--workers", type=integer, default=None,
                   help="local: processes; dask without --address: LocalCluster workers "
                   "(1 to 1024, default 1; 1 with a CUDA device: one process per GPU; not "
                   "used by slurm or with --address)")
    p.add_argument("--threads", type=integer, default=None,
                   help="BLAS/OpenMP threads per worker (default: cores / workers; 1 on a "
                   "remote Dask cluster; slurm: overrides [slurm] cpus_per_task, default 1; "
                   "not used for the work on a GPU)")
    p.add_argument("--address", help="dask: scheduler address, e.g. tcp://host:8786 (default: "
                   "start a LocalCluster)")
    p.add_argument("--partition", help="slurm: partition (overrides the spec's [slurm] table)")
    p.add_argument("--time", type=integer, default=None,
                   help="slurm: time limit per job in minutes (overrides [slurm] time)")
    p.add_argument("--out", help=f"store directory (default {DEFAULT_ROOT}/<spec name>)")
    p.add_argument("--force", action="store_true", help="retrain points already in the store")
    p.add_argument("--wait", action="store_true",
                   help="if another sweep holds the store's lock, wait for it (default: exit 2)")
    p.add_argument("--verify", action="store_true",
                   help="verify every record of the store (quarantining damaged ones), train "
                   "nothing, report what was moved (not with --force or --dry-run)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec, print the points and groups and what the run "
                   "would train (with --json: one JSON object), write nothing")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(run=run)


# flags that contradict --verify (it trains nothing, and quarantines: it writes), with why
VERIFY_CONFLICTS = {
    "force": "which trains nothing: there is nothing to retrain",
    "dry_run": "which moves damaged records aside, while a dry run writes nothing",
}


def check_mode_flags(args: argparse.Namespace) -> None:
    """--verify with a flag that contradicts it (ConfigError naming both): refused before the
    spec is read, rather than one of the two silently winning."""
    if not args.verify:
        return
    for dest, why in VERIFY_CONFLICTS.items():
        if getattr(args, dest):
            raise switch_given(dest, f"cannot be combined with --verify, {why} (drop one of "
                               "the two)")


def workers(args: argparse.Namespace) -> int:
    """--workers, 1 when not given (the flag's default is None: given or not is checked)."""
    return 1 if args.workers is None else args.workers


def check_executor_flags(args: argparse.Namespace) -> None:
    """The executor flags' values (ConfigError naming the flag); run before any work, --dry-run
    and --verify included, so that a dry run that passes means the real run's flags are valid.
    A flag the chosen executor does not use is refused, not ignored."""
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        # each worker is a process that imports PyTorch: 10^5 of them was accepted and started
        # as many processes as the spec had groups
        raise ConfigError("workers", args.workers, f"must be an integer >= 1 and <= "
                          f"{MAX_WORKERS} (processes on this machine)")
    if args.threads is not None and not 1 <= args.threads <= MAX_THREADS:
        # as simulate's --threads: torch.set_num_threads(10^5) in a pool worker killed it,
        # a BrokenProcessPool traceback after spec.toml was written
        raise ConfigError("threads", args.threads, f"must be an integer >= 1 and <= "
                          f"{MAX_THREADS} (BLAS/OpenMP threads per worker)")
    if args.address is not None and args.executor != "dask":
        raise ConfigError("address", args.address, "only used with --executor dask")
    for flag in ("partition", "time"):
        if getattr(args, flag) is not None and args.executor != "slurm":
            raise ConfigError(flag, getattr(args, flag), "only used with --executor slurm "
                              f"(not {args.executor})")
    if args.partition is not None and (not args.partition.strip() or "\0" in args.partition
                                       or args.partition != args.partition.strip()):
        raise ConfigError("partition", args.partition, "must be a SLURM partition name: not "
                          "empty, without surrounding spaces (omit --partition for the spec's)")
    if args.time is not None and args.time < 1:
        raise ConfigError("time", args.time, "must be an integer >= 1 (minutes)")
    if args.workers is not None and args.executor == "slurm":
        raise ConfigError("workers", args.workers, "not used with --executor slurm (one job "
                          "per engine call; [slurm] array_parallelism caps how many run at once)")
    if args.workers is not None and args.address is not None:
        raise ConfigError("workers", args.workers, "not used with --address (the Dask "
                          "cluster's own workers run the tasks; --workers sizes a LocalCluster)")


def make_executor(args: argparse.Namespace, spec, out: Path):  # type: ignore[no-untyped-def]
    """The executor the flags ask for (ConfigError on bad flags or an unreachable scheduler)."""
    from ..sweep import executors as ex

    check_executor_flags(args)
    budget = runtime_budget(args)
    if args.executor == "local":
        return ex.LocalExecutor(workers(args), args.threads, spec.device, budget)
    if args.executor == "dask":
        return ex.DaskExecutor(args.address, workers(args), args.threads, spec.device,
                               budget=budget)
    return ex.SlurmExecutor(str(out), slurm_options(args, spec), spec.device, budget=budget)


def slurm_options(args: argparse.Namespace, spec) -> dict:  # type: ignore[no-untyped-def]
    """The spec's [slurm] table with the flags that override it."""
    options = dict(spec.slurm)
    if args.partition is not None:
        options["partition"] = args.partition
    if args.time is not None:
        options["time"] = args.time
    if args.threads is not None:
        options["cpus_per_task"] = args.threads
    return options


def workers_key(args: argparse.Namespace, spec) -> str | None:  # type: ignore[no-untyped-def]
    """The spec key that sets :func:`here_workers` (None: the --workers flag)."""
    return "slurm.array_parallelism" if args.executor == "slurm" else None


def here_workers(args: argparse.Namespace, spec) -> int:  # type: ignore[no-untyped-def]
    """The processes that train at once on this machine: --workers, or under --executor slurm
    with cluster = "local" the jobs running at once (executors.local_job_slots)."""
    if args.executor == "slurm" and spec.slurm.get("cluster") == "local":
        from ..sweep.executors import local_job_slots

        return local_job_slots(slurm_options(args, spec))
    return workers(args)


def check_spec_device(spec) -> None:  # type: ignore[no-untyped-def]
    """``[run] device`` names a device this machine has (SpecError naming run.device)."""
    from ..resources import check_device
    from ..sweep.spec import SpecError

    try:
        check_device(spec.device, "run.device")
    except ConfigError as e:
        raise SpecError("run.device", e.value, e.valid, spec.source) from None


def check_spec_fits(spec, workers: int,  # type: ignore[no-untyped-def]
                    workers_key: str | None = None) -> None:
    """Every engine call of the sweep (a group of points trained as one batch) fits in this
    machine's free memory shared by ``workers`` processes, less what each process costs before
    it trains (:data:`WORKER_PROCESS_BYTES`: ConfigError naming --workers when the processes
    alone do not fit; SpecError naming ``workers_key``, a spec key, when it sets the count), and
    one of its steps is not beyond a CPU
    (:func:`twolayer.resources.check_fits`); SpecError names the spec key to change."""
    from ..resources import (
        FREE_FRACTION,
        check_fits,
        free_device_memory,
        free_host_memory,
        no_limits,
    )
    from ..sweep.spec import SpecError, _source_key
    from ..sweep.worker import plan_groups

    points = spec.points()
    groups = plan_groups([p.config for p in points], spec.group_runs)
    device = "cpu" if spec.device == "auto" else spec.device
    if spec.device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    free = free_device_memory(device) if device.startswith("cuda") else free_host_memory()
    processes = max(1, min(workers, len(groups)))
    if workers > 1 and not device.startswith("cuda") and free is not None and not no_limits():
        # the host's memory: each worker process imports PyTorch before it trains
        cost = processes * WORKER_PROCESS_BYTES
        if cost > FREE_FRACTION * free:
            most = max(1, int(FREE_FRACTION * free // WORKER_PROCESS_BYTES))
            why = (f"{processes} worker processes need about {cost / 2**30:.1f} GiB before "
                   f"they train (about {WORKER_PROCESS_BYTES // 2**20} MiB each, PyTorch "
                   f"imported) and this machine has {free / 2**30:.1f} GiB free: give at most "
                   f"{most}")
            if workers_key is not None:
                raise SpecError(workers_key, workers, why, spec.source)
            raise ConfigError("workers", workers, why)
        free -= cost
    share = None if free is None else free // processes
    for g in groups:
        first = points[g[0]]
        batch = first.config.replace(seeds=sum(points[i].config.seeds for i in g))
        try:
            check_fits(batch, device, free=share)
        except ConfigError as e:
            key = _source_key(e.field, first.coords, spec.base)
            if e.field == "seeds":
                key = "seeds" if len(g) == 1 else "run.group_runs"
            # a spec without axes has one point and no coordinates: "(point 0: )" said nothing
            where = (f" (point {first.index}: "
                     + " ".join(f"{k}={v}" for k, v in first.coords.items()) + ")"
                     if first.coords else "")
            raise SpecError(key, e.value, e.valid + where, spec.source) from None


def on_cuda(device: str) -> bool:
    """Whether a sweep on ``device`` trains on a GPU here (auto: when there is one)."""
    if device == "auto":
        import torch

        return torch.cuda.is_available()
    return device.startswith("cuda")


def device_settings(args: argparse.Namespace, spec):  # type: ignore[no-untyped-def]
    """The spec with --device applied and, on a GPU, the GPU's batch size; ConfigError for
    --workers > 1 on a CUDA device here (N processes would share one GPU with N contexts)."""
    import dataclasses

    from ..resources import DEVICE_RE, check_device

    remote = args.executor == "slurm" or args.address is not None
    if args.device is not None:
        if not remote:
            device = check_device(args.device)
        elif DEVICE_RE.match(args.device.strip()):  # the workers' device: it need not be here
            device = args.device.strip()
        else:
            raise ConfigError("device", args.device, "valid choices are auto, cpu, cuda, cuda:N")
        spec = dataclasses.replace(spec, device=device)
    if remote or not on_cuda(spec.device):
        return spec  # the workers run elsewhere, on their own machines
    if workers(args) > 1:
        raise ConfigError("workers", args.workers, "must be 1 with a CUDA device (one process "
                          "per GPU; a group's runs already share it in one batch)")
    if not spec.group_runs_given:
        spec = dataclasses.replace(spec, group_runs=CUDA_GROUP_RUNS)
    return spec


STORE_FILES = ("spec.toml", "points.csv", "summary.csv", "summary.parquet")


def holds_text(path: Path, text: str) -> bool:
    """Whether the file at ``path`` holds exactly ``text`` (False when absent or unreadable)."""
    try:
        return path.is_file() and path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def check_not_foreign_out(out: Path, spec) -> None:  # type: ignore[no-untyped-def]
    """ConfigError naming --out (exit 2, before any work) when ``out`` is a folder that is not
    a sweep store yet (no records/ or failed/ inside) but holds a file the sweep writes there
    (spec.toml, points.csv, summary.csv, summary.parquet): ``--out proj`` silently replaced a
    project's own summary.csv and spec.toml. A spec.toml holding this spec's text is the
    provenance copy of a run of it (one interrupted before its first point was stored, or the
    spec itself run with --out beside it) and stays allowed; so, beside it, do tables that hold
    exactly what this run would write into the folder as it is (every point missing:
    :meth:`twolayer.sweep.Store.own_tables`), which a run of it stopped before it stored a
    point left until session 48 (writing them again loses nothing; that folder was refused,
    so the same command did not resume)."""
    from ..sweep import Store

    if (out / "entries").is_dir():  # store prune would then remove the sweep's records
        raise ConfigError("out", str(out), "is the experiments' record store (check and "
                          "figures --records, $TWOLAYER_STORE), not a sweep's: choose another "
                          "--out (store prune of it would remove the sweep's records)")
    if not out.is_dir() or (out / "records").exists() or (out / "failed").exists():
        return
    from ..record import holds_record_files, record_folders

    if holds_record_files(out) or record_folders(out):
        # a folder of records saved by simulate --out (or one record's own folder): the sweep
        # made it a store beside them, whose store verify and prune then passed over them
        # (they are not under records/), as simulate --out into a sweep's store did until
        # session 48 (commands.simulate.refuse_store_as_out)
        raise ConfigError("out", str(out), "holds records saved by twolayer simulate --out "
                          "(record.json or arrays.npz in it or in a <run_id>/ folder inside), "
                          "not a sweep store: choose another --out (or an empty or new folder)")
    own_spec = holds_text(out / "spec.toml", spec.text)
    own: set[str] = {"spec.toml"} if own_spec else set()
    if own_spec and any((out / name).is_file() for name in STORE_FILES[1:]):
        own |= Store(out, warn=lambda line: None).own_tables(spec.points())
    for name in STORE_FILES:
        # a folder there is no data to lose: the write fails (exit 1)
        if (out / name).is_file() and name not in own:
            if name == "spec.toml" and (out / ".lock").is_file():
                # what a run of another spec (or of this one before an edit) leaves when it
                # stops before its first point: said so, and what to do; the spec.toml is not
                # replaced (it may be the user's own spec, beside a run of it into this folder)
                raise ConfigError("out", str(out), "holds spec.toml, which the sweep would "
                                  "overwrite: the spec of a sweep that stopped before it "
                                  "stored a point (no records/ inside, its .lock beside it), "
                                  f"not this spec's text: remove {out / 'spec.toml'} (and the "
                                  "tables beside it) to run this spec there, or choose another "
                                  "--out")
            raise ConfigError("out", str(out), f"is not a sweep store (no records/ inside) but "
                              f"holds {name}, which the sweep would overwrite: choose another "
                              "--out (or an empty or new folder)")


def left_by_interrupted_run(out: Path, spec) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``out`` is what a run of ``spec`` stopped before it stored its first point
    leaves: no records/ or failed/, and its spec.toml holding the spec's text (beside it at
    most tables that :func:`check_not_foreign_out` accepts and the lock file)."""
    return (out.is_dir() and not any((out / d).exists() for d in ("records", "failed"))
            and holds_text(out / "spec.toml", spec.text))


PROBE_CHECK_N, PROBE_CHECK_M, PROBE_CHECK_D = 64, 8, 10**6  # check_probes_apply's sizes


def check_probes_apply(spec) -> None:  # type: ignore[no-untyped-def]
    """SpecError naming the spec file, ``probe.probes`` (the axis or base key it came from), the
    probe and the first point it does not fit (exit 2, before anything is written, with
    --dry-run too), for a probe that refuses the point's data: ``vashisht`` needs --data lms or
    linxor, the ``frei_*`` probes --data xor with the logistic objective. Such a probe raises
    only when it first measures, at t = 0 of an engine call: the dry run said the point would
    train, and the real run failed naming "--probes" after writing spec.toml, points.csv and
    summary.* into --out, which then refused the corrected spec ("not a sweep store"). Each
    distinct (data kind, objective, outputs, probes) is measured once at t = 0, on one run of
    its first point at a small size (at most :data:`PROBE_CHECK_N` training and test points and
    :data:`PROBE_CHECK_M` neurons, d as given: what a probe refuses is the data kind, objective,
    outputs or d, not the sizes; a point whose d would make even that large is left to the
    real run), drawn on the CPU; any other error is left to the real run. A spec of 10^7
    points a run is not drawn here at its size, before the memory checks."""
    import dataclasses

    from ..engine import measure
    from ..simulate import setup
    from ..sweep.spec import SpecError

    def small(cfg):  # type: ignore[no-untyped-def]
        data = {k: min(getattr(cfg.data, k), PROBE_CHECK_N) for k in ("n", "n_test")
                if isinstance(getattr(cfg.data, k, None), int)}
        return dataclasses.replace(
            cfg, seeds=1, data=dataclasses.replace(cfg.data, **data),
            net=dataclasses.replace(cfg.net, m=min(cfg.net.m, PROBE_CHECK_M)))

    seen = set()
    for point in spec.points():
        cfg = point.config
        key = (cfg.data.kind, cfg.train.objective, cfg.net.outputs, tuple(cfg.probe.probes))
        if key in seen or cfg.data.d > PROBE_CHECK_D:
            continue
        seen.add(key)
        try:
            one, data, params = setup(small(cfg))
            measure(params, data, tuple(one.probe.probes), objective=one.train.objective,
                    configs=one)
        except ConfigError as e:
            if e.field != "probes":
                continue
            src = ("axes.probe.probes" if "probe.probes" in point.coords
                   else "base.probe.probes" if "probe.probes" in spec.base else "probe.probes")
            at = " ".join(f"{k}={v}" for k, v in point.coords.items())
            raise SpecError(src, e.value, f"{e.valid} (point {point.index}"
                            + (f": {at}" if at else "") + f", data.kind = {cfg.data.kind!r}, "
                            f"train.objective = {cfg.train.objective!r})",
                            where=spec.source) from None
        except Exception:  # noqa: BLE001 - the real run reports anything else, as before
            continue


def run(args: argparse.Namespace) -> int:
    from ..sweep import Store, load, run_sweep
    from ..sweep.runner import check_store_layout, reuse_device
    from ..sweep.store import current_code, plugins_of
    from ..sweep.worker import plan_groups

    check_mode_flags(args)
    if not args.spec.strip():  # Path("") is the working directory: "(Is a directory)" misled
        raise ConfigError("SPEC.toml", args.spec, "is empty; give a sweep spec file such as "
                          "sweeps/hundred.toml (docs/sweeps.md)")
    spec = load(args.spec)  # every point's config validated
    for note in spec.notes:  # a preset's scale kept while a size varies
        print(f"twolayer sweep: note: {note}", file=sys.stderr)
    spec = device_settings(args, spec)
    runtime_budget(args)
    check_executor_flags(args)
    if args.out is not None and not str(args.out).strip():
        raise ConfigError("out", args.out, "must be a directory path (not empty); omit --out "
                          "for the default sweep-results/<spec name>")
    out = Path(args.out) if args.out else Path(DEFAULT_ROOT) / spec.name
    check_not_foreign_out(out, spec)
    # the workers run here (the local pool, a Dask LocalCluster, submitit's local or debug
    # "cluster"): their device must exist here, and every engine call fit this machine
    here = (args.executor == "local" or (args.executor == "dask" and args.address is None)
            or (args.executor == "slurm" and spec.slurm.get("cluster") in ("local", "debug")))
    if here:
        check_spec_device(spec)
    if args.dry_run and here:
        # what the real run refuses, the dry run too
        check_spec_fits(spec, here_workers(args, spec), workers_key(args, spec))
    if args.dry_run:
        # after the memory checks (its draw would move the free memory they read)
        check_probes_apply(spec)
        from ..sweep.executors import check_available

        # an executor the real run cannot start here (submitit or distributed missing, no
        # sbatch for cluster = "slurm") is refused by the dry run too
        check_available(args.executor, spec.slurm.get("cluster", "slurm"))
        # what the real run refuses about --out, the dry run refuses too (it creates nothing):
        # a file there used to pass as "0 points in <file>"
        check_writable_dir(out, "out")
        check_store_layout(Store(out))
        points = spec.points()
        groups = plan_groups([p.config for p in points], spec.group_runs)
        st = Store(out)
        stored = [p.run_id for p in points if st.has(p.run_id)]
        damaged_ids = {r for r in stored if st.damaged(r)}  # a real run quarantines them
        with plugins_of(spec):  # the code stamp of this spec's points (as run_sweep)
            other_ids = set(st.other_code(stored, current_code(), reuse_device(spec.device)))
        other = len(other_ids - damaged_ids)
        damaged = len(damaged_ids)
        # what the real run would train: as run_sweep (every point with --force; else those
        # not stored, damaged, or of other code), in whole groups
        kept = set() if args.force else set(stored) - damaged_ids - other_ids
        todo = [g for g in groups if any(points[i].run_id not in kept for i in g)]
        to_train = sum(p.run_id not in kept for p in points)
        if args.json:
            print(json.dumps({
                "spec": spec.name, "out": str(out), "points": len(points),
                "seeds": spec.seeds, "axes": {a.key: list(a.values) for a in spec.axes},
                "engine_calls": len(groups), "stored": len(stored), "other_code": other,
                "damaged": damaged, "to_train": to_train, "to_train_engine_calls": len(todo),
                "plan": [{"point": p.index, "run_id": p.run_id, **p.coords} for p in points],
            }))
            return 0
        again = ([f"{other} stored by other twolayer code or device"] if other else []) + (
            [f"{damaged} damaged: the run would quarantine them"] if damaged else [])
        print(f"{spec.name}: {len(points)} points x {spec.seeds} seeds, axes "
              + " x ".join(f"{a.key}[{len(a.values)}]" for a in spec.axes)
              + f"; {len(groups)} engine calls; {len(stored)} points in {out}"
              + (f" ({', '.join(again)}; the run would train them again)" if again else "")
              + f"; this run would train {to_train} points in {len(todo)} engine calls"
              + (" (--force)" if args.force else ""))
        for p in points:
            print(f"  {p.index:4d} {p.run_id} "
                  + " ".join(f"{k}={v}" for k, v in p.coords.items()))
        return 0
    check_writable_dir(out, "out")
    if here and not args.verify:
        check_spec_fits(spec, here_workers(args, spec), workers_key(args, spec))
    if not args.verify:
        # a probe its data kind lacks would fail at t = 0, after the store files are written
        check_probes_apply(spec)
    if args.verify:
        from .store import print_verify_report

        if left_by_interrupted_run(out, spec):  # a store with no point stored yet
            from ..store import VerifyReport

            if not args.json:
                print(f"{out}: empty (no record stored yet)")
            return print_verify_report(VerifyReport(), args.json)
        if not any((out / d).is_dir() for d in ("records", "failed")):  # nothing created
            raise ConfigError("out", str(out), "holds no sweep store to verify (no records/ "
                              "or failed/ inside)")
        st = Store(out)
        with st.record_store.lock(wait=args.wait, flag="out"):
            return print_verify_report(st.verify(), args.json)
    executor = make_executor(args, spec, out)  # connects (dask) before anything is written
    try:
        def progress(done: int, total: int, outcomes) -> None:  # type: ignore[no-untyped-def]
            if not args.quiet:
                print(f"[{done}/{total}] {len(outcomes)} point(s) done", file=sys.stderr)

        st = Store(out)
        check_store_layout(st)  # before the lock file is created: nothing written
        with plugins_of(spec):  # RunCodeChanged (a source edited since twolayer was
            current_code()  # imported) before the store, its lock or spec.toml is made
        with st.record_store.lock(wait=args.wait, flag="out"):  # one writer per store
            if not (out / SLURM_FOLDER).exists():
                # every writer of this store held its lock: each temporary is a dead one's
                st.clean_stale(None)
            # else run_sweep removes only those older than an hour: SLURM jobs write their
            # records without the lock, and one of an earlier sweep may be saving right now
            # (a cancelled job takes a while to end; a killed sweep's jobs run on)
            report = run_sweep(spec, st, executor, force=args.force, on_result=progress)
    finally:
        executor.close()
    doc = {
        "spec": spec.name, "out": str(out), "points": report.points,
        "skipped": report.skipped, "trained": report.trained, "failed": report.failed,
        "failed_before": report.failed_before,
        "other_code": report.other_code,
        "engine_calls": report.groups, "seconds": round(report.seconds, 2),
        "tables": [str(t) for t in report.tables],
    }
    if args.json:
        print(json.dumps(doc))
    else:
        again = (f" ({report.other_code} of them stored by other twolayer code or device)"
                 if report.other_code else "")
        before = (f" ({len(report.failed_before)} of them recorded as diverged before; "
                  "--force retries them)" if report.failed_before else "")
        print(f"{spec.name}: {report.points} points ({report.skipped} already stored{before}, "
              f"{report.trained} trained{again} in {report.groups} engine calls, "
              f"{len(report.failed)} diverged) in {report.seconds:.1f} s; store {out}")
        for t in report.tables:
            print(f"  {t}")
    nothing_trained(spec, st, report)  # every point diverged: exit 2 after the report
    return 0


def nothing_trained(spec, st, report) -> None:  # type: ignore[no-untyped-def]
    """TwolayerError (exit 2) when no point of the sweep could be trained: every point
    diverged, in this run or in an earlier one (a recorded failure). Naming the first one in
    grid order, its message and what to change. Some points diverging is a finding (exit 0:
    the tables say which)."""
    from ..errors import TwolayerError

    failed = set(report.failed) | set(report.failed_before)
    if not report.points or len(failed) < report.points:
        return
    first = next(p for p in spec.points() if p.run_id in failed)
    doc = st.failure(first.run_id) or {}
    where = " ".join(f"{k}={v}" for k, v in first.coords.items())
    raise TwolayerError(
        f"nothing could be trained: all {report.points} points diverged; the first, point "
        f"{first.index} ({first.run_id}{': ' + where if where else ''}): "
        f"{doc.get('message', 'diverged')} (in the spec: train.lr, net.init_var); the "
        f"failures are kept in {st.failed} (a changed spec trains new points; --force "
        "retries these)")
