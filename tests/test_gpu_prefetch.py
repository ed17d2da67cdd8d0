"""`twolayer check` on a GPU trains the experiments of the whole papers it checks in worker
processes that share the GPU (Runs.prefetch with jobs), then judges the claims from the store.
No GPU here: torch.cuda.is_available is faked and the spawning and the training are stubbed,
so these tests check the decisions (which experiments, how many workers, what budget each),
not CUDA; the workers' own path is the CPU-tested prefetch (tests/test_prefetch.py)."""

from __future__ import annotations

import pytest
import torch

from twolayer.claims import claims_for
from twolayer.commands import check as check_cmd
from twolayer.engine import Runtime
from twolayer.experiments import EXPERIMENTS, Runs, load_all
from twolayer.experiments import prefetch as prefetch_mod
from twolayer.store import RecordStore


def test_gpu_prefetch_jobs():
    assert check_cmd.gpu_prefetch_jobs("auto", cores=16) == 8
    assert check_cmd.gpu_prefetch_jobs("auto", cores=64) == check_cmd.GPU_PREFETCH_JOBS == 8
    assert check_cmd.gpu_prefetch_jobs("auto", cores=6) == 3  # two threads each
    assert check_cmd.gpu_prefetch_jobs("auto", cores=1) == 1
    assert check_cmd.gpu_prefetch_jobs(3, cores=16) == 3
    gib = 1 << 30  # at most one worker per 4 GiB of free GPU and host memory
    assert check_cmd.gpu_prefetch_jobs("auto", cores=16, free_bytes=(140 * gib, 120 * gib)) == 8
    assert check_cmd.gpu_prefetch_jobs("auto", cores=16, free_bytes=(7 * gib, 120 * gib)) == 1
    assert check_cmd.gpu_prefetch_jobs("auto", cores=16, free_bytes=(140 * gib, 13 * gib)) == 3
    assert check_cmd.gpu_prefetch_jobs("auto", cores=16, free_bytes=(None, 13 * gib)) == 3
    assert check_cmd.gpu_prefetch_jobs(6, cores=16, free_bytes=(gib, gib)) == 6  # as asked


def test_paper_experiments_are_those_of_whole_papers_without_the_figures_own():
    load_all()
    every = check_cmd.paper_experiments(claims_for(["all"]))
    papers = {c.paper for c in claims_for(["all"])}
    want = [n for n, e in EXPERIMENTS.items() if e.paper in papers]
    # what only the figures read (their modules name them, no claim module does)
    assert set(want) - set(every) == {
        "badger2022.figures.gates", "badger2022.figures.objectives", "badger2022.figures.sizes",
        "badger2022.figures.switch", "frei2023.fig1_boundary", "frei2023.fig2_curves",
        "frei2023.theorem_like"}
    assert "frei2023.regime" in every and "badger2022.objectives" in every
    # names built at run time (liu2023's, vashisht2024's) count as read by the claims
    assert {n for n in want if n.startswith(("liu2023.", "vashisht2024."))} <= set(every)
    liu = check_cmd.paper_experiments(claims_for(["liu2023"]))
    assert liu and all(n.startswith("liu2023.") for n in liu)
    one = claims_for(["liu2023"])[:1]  # one claim of a paper: which it reads is not known
    assert check_cmd.paper_experiments(one) == []
    mixed = claims_for(["liu2023"]) + claims_for(["frei2023"])[:2]
    assert check_cmd.paper_experiments(mixed) == liu


def _fake_gpu(monkeypatch, free=64 << 30):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev=None: (free, 80 << 30))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda dev=None: 0)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda dev=None: 0)


def _spawned(monkeypatch) -> list:
    calls: list = []

    def fake_run_spawned(fn, tasks, jobs, keep_errors=False):
        calls.append((list(tasks), jobs))
        return [(t.name, 1.0, {}) for t in tasks]  # (name, seconds, timings)

    monkeypatch.setattr(prefetch_mod, "run_spawned", fake_run_spawned)
    return calls


def test_prefetch_on_a_gpu_needs_jobs_and_splits_the_budget(monkeypatch, tmp_path):
    from twolayer.net.plan import device_budget

    _fake_gpu(monkeypatch)
    calls = _spawned(monkeypatch)
    runs = Runs(quick=True, runtime=Runtime(device="cuda", progress=False),
                store=RecordStore(tmp_path / "store"))
    names = ["liu2023.xor", "liu2023.mixture", "liu2023.k10"]
    assert runs.prefetch(names) == [] and calls == []  # no jobs: nobody shares the GPU
    assert runs.prefetch(names, jobs=2) == names
    (tasks, jobs), = calls
    assert jobs == 2 and [t.name for t in tasks] == names
    whole = device_budget(torch.device("cuda"))
    assert whole == (64 << 30) // 4 // 8  # a quarter of the free memory, in 8-byte elements
    assert {t.runtime["budget"] for t in tasks} == {whole // 2}
    assert {t.runtime["device"] for t in tasks} == {"cuda"}
    # the user's --budget is each process's cap, as given
    runs = Runs(quick=True, runtime=Runtime(device="cuda", progress=False, budget=12345),
                store=RecordStore(tmp_path / "store2"))
    runs.prefetch(names, jobs=3)
    assert {t.runtime["budget"] for t in calls[-1][0]} == {12345}


def test_prefetch_on_the_cpu_keeps_its_budget_and_default_jobs(monkeypatch, tmp_path):
    calls = _spawned(monkeypatch)
    monkeypatch.setattr(prefetch_mod.os, "cpu_count", lambda: 4)
    runs = Runs(quick=True, runtime=Runtime(device="cpu", progress=False),
                store=RecordStore(tmp_path / "store"))
    runs.prefetch(["liu2023.xor", "liu2023.mixture"])
    (tasks, jobs), = calls
    assert jobs == 2 and {t.runtime["budget"] for t in tasks} == {None}


def test_check_on_a_gpu_trains_whole_papers_in_workers_then_judges_here(monkeypatch, tmp_path,
                                                                         capsys):
    _fake_gpu(monkeypatch)
    asked: list = []

    def fake_prefetch(self, names, jobs=None):
        asked.append((list(names), jobs))
        return list(names)

    judged: list = []

    def fake_run_checks(ids, runs=None):
        judged.append(list(ids))
        return []

    monkeypatch.setattr(Runs, "prefetch", fake_prefetch)
    monkeypatch.setattr(check_cmd, "run_checks", fake_run_checks)
    monkeypatch.setattr(check_cmd.os, "cpu_count", lambda: 16)
    import twolayer.resources

    monkeypatch.setattr(twolayer.resources, "free_host_memory", lambda: 64 << 30)
    store = str(tmp_path / "store")
    from twolayer.cli import main

    main(["check", "liu2023", "--device", "cuda", "--records", store, "--quiet"])
    (names, jobs), = asked
    assert jobs == 8 and sorted(names) == sorted(check_cmd.paper_experiments(
        claims_for(["liu2023"])))
    assert judged and set(judged[0]) == {c.id for c in claims_for(["liu2023"])}  # here, once
    main(["check", "liu2023", "--device", "cuda", "--records", store, "--quiet",
          "--jobs", "3"])
    assert asked[-1][1] == 3 and len(judged) == 2
    # without a store there is nowhere to hand runs back: nothing is prefetched
    main(["check", "liu2023", "--device", "cuda", "--no-store", "--quiet"])
    assert len(asked) == 2 and len(judged) == 3
    # nor for the quick plan (a smoke run of tiny experiments: one process)
    main(["check", "liu2023", "--quick", "--device", "cuda", "--records", store, "--quiet"])
    assert len(asked) == 2 and len(judged) == 4
    # on the CPU the check never prefetches (its --jobs splits papers over processes)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    main(["check", "liu2023", "--device", "cpu", "--records", store, "--quiet", "--jobs", "1"])
    assert len(asked) == 2 and len(judged) == 5


@pytest.mark.slow  # a real quick check of two papers (about 20 s)
def test_paper_experiments_are_what_a_check_of_those_papers_reads(tmp_path):
    """The oracle: the experiments a real (quick, CPU) check of frei2023 (figure-only
    experiments beside its own) and vashisht2024 (names built at run time) puts in its store
    (two seeds per setting: the names do not depend on the seed count, the run time does)."""
    from twolayer.cli import main
    from twolayer.store import experiment_seconds

    store = tmp_path / "store"
    main(["check", "frei2023", "vashisht2024", "--quick", "--seeds", "2", "--device", "cpu",
          "--records", str(store), "--quiet", "--json", "--jobs", "1"])
    read = set(experiment_seconds(store, True))
    assert read == set(check_cmd.paper_experiments(claims_for(["frei2023", "vashisht2024"])))


@pytest.mark.slow
def test_verdicts_from_prefetched_runs_equal_those_trained_in_one_process(tmp_path):
    """The GPU path's two halves on the CPU: prefetch_on_gpu trains a whole paper's experiments
    in two worker processes, run_checks reads them back; the verdicts equal a check that
    trained everything itself, value for value."""
    from twolayer.claims import run_checks

    def runs(store):
        return Runs(quick=True, runtime=Runtime(device="cpu", progress=False),
                    store=RecordStore(store) if store else None)

    claims = claims_for(["vashisht2024"])
    ids = [c.id for c in claims]
    alone = run_checks(ids, runs=runs(None))
    shared = runs(tmp_path / "store")
    done = check_cmd.prefetch_on_gpu(claims, shared, 2, talk=False)
    assert sorted(done) == sorted(check_cmd.paper_experiments(claims)) and len(done) >= 2
    got = run_checks(ids, runs=shared)
    assert set(shared.trained) == set(done)  # read back from the store, not trained again
    assert [(v.id, v.verdict, v.measured, v.ci) for v in got] == [
        (v.id, v.verdict, v.measured, v.ci) for v in alone]
