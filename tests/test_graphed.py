"""The plain GD step as a CUDA graph (twolayer.training.graphed, Tuning.cuda_graph).

Oracle: the eager step. On the CPU (CI) the capture is replaced by a stand-in that runs the
step's body again at every replay: that checks the stepper's wiring (which steps are replayed,
the device step counter, the first non-finite step, probe times in between) but not what a real
graph freezes; with a GPU the real graph is checked against the eager step on the GPU."""

from __future__ import annotations

import pytest
import torch

from twolayer import net
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.errors import DivergenceError
from twolayer.simulate import setup
from twolayer.training import graphed
from twolayer.training.adam import AdamStepper

PROBES = ("errors", "correlations", "segments")


@pytest.fixture
def fake_capture(monkeypatch):
    """Capture on the CPU: the warm-up call, then a replay that calls the body again."""
    calls = {"captures": 0, "replays": 0}

    def capture(body, device):
        calls["captures"] += 1
        body()

        def replay():
            calls["replays"] += 1
            body()
        return replay

    monkeypatch.setattr(graphed, "supported", lambda device: True)
    monkeypatch.setattr(graphed, "capture", capture)
    monkeypatch.setattr(graphed, "MIN_STEPS", 5)  # (short trainings, for speed)
    return calls


@pytest.fixture
def failing_capture(monkeypatch):
    """Capture on the CPU that runs the warm-up call, then fails to record (every time)."""
    calls = {"captures": 0}

    def capture(body, device):
        calls["captures"] += 1
        body()
        raise graphed.CaptureFailed("RuntimeError: operation not permitted when capturing")

    monkeypatch.setattr(graphed, "supported", lambda device: True)
    monkeypatch.setattr(graphed, "capture", capture)
    monkeypatch.setattr(graphed, "MIN_STEPS", 5)
    return calls


# what a CUDA graph cannot record: a read of device values by the host (a sync; the capture
# fails, or its value is frozen), or a shape that depends on them (boolean-mask indexing)
HOST_READS = ("item", "tolist", "__bool__", "__int__", "__float__", "__index__", "cpu", "numpy",
              "nonzero", "unique", "masked_select", "argwhere")


def _note_host_reads(mp: pytest.MonkeyPatch, seen: list[str]) -> None:
    """Note every host read of a tensor (:data:`HOST_READS`, boolean-mask indexing) in
    ``seen``; each still does what it does."""
    def noted(owner, name):
        real = getattr(owner, name)

        def read(*args, **kwargs):
            seen.append(name)
            return real(*args, **kwargs)
        return read

    for name in HOST_READS:
        mp.setattr(torch.Tensor, name, noted(torch.Tensor, name))
    for name in ("nonzero", "unique", "masked_select", "argwhere"):
        mp.setattr(torch, name, noted(torch, name))

    def masked(index) -> bool:
        parts = index if isinstance(index, tuple) else (index,)
        return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in parts)

    get, put = torch.Tensor.__getitem__, torch.Tensor.__setitem__

    def getitem(self, index):
        if masked(index):
            seen.append("boolean-mask indexing")
        return get(self, index)

    def setitem(self, index, value):
        if masked(index):
            seen.append("boolean-mask indexing")
        return put(self, index, value)

    mp.setattr(torch.Tensor, "__getitem__", getitem)
    mp.setattr(torch.Tensor, "__setitem__", setitem)


@pytest.fixture
def strict_capture(monkeypatch):
    """Capture on the CPU as :func:`fake_capture`, but the recording fails as a real one would
    where the body reads device values on the host (:func:`_note_host_reads`: noted during
    the warm-up call, which runs once, as on a GPU, and then fails the recording)."""
    calls = {"captures": 0, "replays": 0}

    def capture(body, device):
        calls["captures"] += 1
        seen: list[str] = []
        with monkeypatch.context() as mp:
            _note_host_reads(mp, seen)
            body()
        if seen:
            raise graphed.CaptureFailed(f"RuntimeError: host reads while recording: {seen}")

        def replay():
            calls["replays"] += 1
            body()
        return replay

    monkeypatch.setattr(graphed, "supported", lambda device: True)
    monkeypatch.setattr(graphed, "capture", capture)
    monkeypatch.setattr(graphed, "MIN_STEPS", 5)
    return calls


def _setup(noise: float = 0.1, R: int = 3, train_a: bool = False):
    cfg = Config(data=DataConfig(d=8, n=40, n_test=20, noise=noise),
                 net=NetConfig(m=6, train_second_layer=train_a), seeds=R)
    _, data, params = setup(cfg)
    return cfg, data, params


def _train(params, data, cfg, steps, times, probes, graph: bool, lr: float | None = None,
           device: str = "cpu"):
    rt = Runtime(device=device, progress=False)
    tc = TrainConfig(steps=steps) if lr is None else TrainConfig(steps=steps, lr=lr)
    with net.use_tuning(cuda_graph=graph):
        return train(params, data, tc, times, probes, rt, configs=cfg)


def test_graphed_steps_give_the_eager_steps_numbers(fake_capture):
    cfg, data, params = _setup()
    times = [0, 3, 4, 11, 20]
    eager = _train(params, data, cfg, 20, times, PROBES, graph=False)
    assert fake_capture["captures"] == 0  # off by default
    graphed_ = _train(params, data, cfg, 20, times, PROBES, graph=True)
    # 20 steps: 4 taken at probe times (0, 3, 4, 11: the gradient there serves the probes), the
    # first plain one is the capture's warm-up, the other 15 are replays
    assert fake_capture == {"captures": 1, "replays": 15}
    assert torch.equal(eager.params.W, graphed_.params.W)
    assert eager.arrays.keys() == graphed_.arrays.keys()
    for k in eager.arrays:
        assert (eager.arrays[k] == graphed_.arrays[k]).all() or (
            torch.tensor(eager.arrays[k]).nan_to_num(7.0).equal(
                torch.tensor(graphed_.arrays[k]).nan_to_num(7.0))), k


def test_steps_that_are_not_plain_full_batch_gd_are_not_graphed(fake_capture, monkeypatch):
    cfg, data, params = _setup()
    rt = Runtime(device="cpu", progress=False)
    monkeypatch.setattr(graphed, "MIN_STEPS", 7)
    with net.use_tuning(cuda_graph=True):
        train(params, data, TrainConfig(steps=6), [0, 6], (), rt)  # fewer steps than MIN_STEPS
        train(params, data, TrainConfig(steps=6, batch_size=10), [0, 6], (), rt)  # SGD
        train(params, data, TrainConfig(steps=6), [0, 6], (), rt,
              weights=torch.full((3, 40), 0.02))  # given loss weights
        train(params, data, TrainConfig(steps=6), [0, 6], (), rt, stepper=AdamStepper)
    assert fake_capture["captures"] == 0


@pytest.mark.parametrize("probe_times", [[0, 300], [0, 2, 5, 300]])
def test_a_graphed_run_that_diverges_names_the_eager_step(fake_capture, probe_times):
    """A trained second layer and a huge α: W and a grow until they overflow (as in
    test_engine), in steps the graph replays; with eager steps at probe times before (which
    move the step counter on and mark first_bad outside the graph)."""
    cfg, data, params = _setup(train_a=True)
    found = []
    for graph in (False, True):
        with pytest.raises(DivergenceError) as e:
            _train(params, data, cfg, 300, probe_times, ("errors",), graph=graph, lr=1e4)
        found.append((e.value.run, e.value.step))
    assert found[0] == found[1] and found[0][1] > 6  # a step the graph took


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_real_graph_on_the_gpu_gives_the_eager_steps_numbers(monkeypatch):
    monkeypatch.setattr(graphed, "MIN_STEPS", 5)  # (short trainings, for speed)
    cfg, data, params = _setup(R=8)
    times = [0, 7, 30]
    runs = [_train(params, data, cfg, 30, times, PROBES, graph=g, device="cuda")
            for g in (False, True)]
    # the same kernels: the same bits (so the record store shares their runs)
    assert torch.equal(runs[1].params.W, runs[0].params.W)
    for k, v in runs[0].arrays.items():
        assert torch.tensor(runs[1].arrays[k]).nan_to_num(7.0).equal(
            torch.tensor(v).nan_to_num(7.0)), k
    cfg, data, params = _setup(train_a=True)
    found = []
    for graph in (False, True):
        with pytest.raises(DivergenceError) as e:
            _train(params, data, cfg, 300, [0, 2, 5, 300], ("errors",), graph=graph, lr=1e4,
                   device="cuda")
        found.append((e.value.run, e.value.step))
    assert found[0] == found[1]
    from twolayer.simulate import environment

    assert runs[1].meta["step_graph"] == "replayed" and "step_graph" not in runs[0].meta
    with net.use_tuning(cuda_graph=True):
        assert environment(torch.device("cuda"))["step_graph"] == "on"


def test_records_say_whether_steps_were_graphed_and_stored_runs_are_shared():
    """Graphed steps are the eager step's kernels (the same bits, measured on an H200): the
    record store keys them alike; the record's environment says whether graphs were on, and a
    training call that used one says how it went."""
    from types import SimpleNamespace

    import twolayer.experiments.frei2023  # noqa: F401  # registers frei2023.linear
    from twolayer.experiments import Runs
    from twolayer.simulate import environment

    keys = {}
    for dev in ("cpu", "cuda"):
        runs = Runs(quick=True, runtime=SimpleNamespace(torch_device=torch.device(dev),
                                                        tf32=False))
        for graph in (False, True):
            with net.use_tuning(cuda_graph=graph):
                keys[dev, graph] = runs.key("frei2023.linear")
    assert keys["cuda", False] == keys["cuda", True] and keys["cpu", False] == keys["cpu", True]
    for graph in (False, True):
        with net.use_tuning(cuda_graph=graph):
            assert environment(torch.device("cpu"))["step_graph"] is None  # never on a CPU


def test_a_step_that_cannot_be_recorded_is_taken_and_the_rest_run_eagerly(failing_capture):
    calls = failing_capture  # the warm-up runs, the recording fails
    cfg, data, params = _setup()
    times = [0, 3, 20]
    eager = _train(params, data, cfg, 20, times, PROBES, graph=False)
    res = _train(params, data, cfg, 20, times, PROBES, graph=True)
    assert calls["captures"] == 1 and torch.equal(eager.params.W, res.params.W)
    assert res.meta["step_graph"].startswith("capture failed: RuntimeError")
    assert "step_graph" not in eager.meta


def test_the_variants_benchmark_times_the_graph_against_the_eager_step(fake_capture):
    """benchmarks/gpu_steps.py's measuring functions on the CPU with the stand-in capture: the
    graph variant is timed and agrees with the eager one bit for bit (it is the same step)."""
    from bench_helpers import benchmark_module

    mod = benchmark_module("gpu_steps")
    dev = torch.device("cpu")
    assert mod.runnable(dev)["graph"] is None  # (the stand-in says CPU graphs are supported)
    r = mod.plain(dev, ["eager", "graph"], 3, 30, 6, 8, 6, 1)
    assert r["graph"]["same_bits_as_eager"] and r["graph"]["run_rel_diff_W_max"] == 0.0
    assert r["graph"]["s_per_step"] > 0 and fake_capture["captures"] >= 1
    w = mod.workload(dev, ["eager", "graph", "graph+fused+probe graph"], 2, 30, 6, 8, 12, 1,
                     compare=False)
    assert w["graph"]["seconds"] > 0 and w["graph"]["cpu_over_this"] is None
    assert w["graph+fused+probe graph"]["seconds"] > 0


# -- probe times as graphs (Tuning.probe_graph, graphed.ProbeGraph) ---------------------------
def _train_pg(params, data, cfg, steps, times, probes, probe_graph: bool, lr=None):
    rt = Runtime(device="cpu", progress=False)
    tc = TrainConfig(steps=steps) if lr is None else TrainConfig(steps=steps, lr=lr)
    with net.use_tuning(cuda_graph=True, probe_graph=probe_graph):
        return train(params, data, tc, times, probes, rt, configs=cfg)


def _same_arrays(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.tensor(a[k]).nan_to_num(7.0).equal(torch.tensor(b[k]).nan_to_num(7.0)), k


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_graphed_probe_times_give_the_eager_probe_times_records(fake_capture, noise):
    cfg, data, params = _setup(noise=noise)
    times = [0, 3, 4, 11, 20]
    eager = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=False)
    assert fake_capture["captures"] == 1  # the plain steps' graph only
    graphed_ = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=True)
    # the plain steps' graph and the probe times' graph (captured at t = 0, replayed at 3, 4
    # and 11; the last time, 20, is probed eagerly: no gradient is taken there)
    assert fake_capture["captures"] == 1 + 2
    assert graphed_.meta["probe_graph"] == "replayed" and "probe_graph" not in eager.meta
    assert torch.equal(eager.params.W, graphed_.params.W)
    _same_arrays(eager.arrays, graphed_.arrays)


def test_probes_not_known_to_be_safe_are_not_captured(fake_capture):
    cfg, data, params = _setup()
    _train_pg(params, data, cfg, 10, [0, 4, 10], ("errors", "frei_neurons"), probe_graph=True)
    assert fake_capture["captures"] == 1  # the plain steps only


def test_a_run_diverging_at_a_graphed_probe_time_names_the_eager_step(fake_capture):
    cfg, data, params = _setup(train_a=True)
    times = list(range(0, 40)) + [300]  # every step a probe time while it diverges
    found = []
    for pg in (False, True):
        with pytest.raises(DivergenceError) as e:
            _train_pg(params, data, cfg, 300, times, ("errors",), probe_graph=pg, lr=1e4)
        found.append((e.value.run, e.value.step))
    assert found[0] == found[1] and found[0][1] > 1


def test_a_probe_time_that_cannot_be_recorded_is_probed_eagerly_from_then_on(
        failing_capture):
    calls = failing_capture  # every recording fails after the warm-up
    cfg, data, params = _setup(noise=0.2)
    times = [0, 3, 4, 11, 20]
    eager = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=False)
    n_eager = calls["captures"]
    res = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=True)
    assert calls["captures"] - n_eager == 2  # one try each: the plain steps, the probe times
    assert res.meta["probe_graph"].startswith("capture failed: RuntimeError")
    assert torch.equal(eager.params.W, res.params.W)
    _same_arrays(eager.arrays, res.arrays)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_real_probe_time_graphs_on_the_gpu_give_the_eager_records(monkeypatch):
    monkeypatch.setattr(graphed, "MIN_STEPS", 5)
    cfg, data, params = _setup(R=8, noise=0.2)
    times = [0, 3, 7, 19, 30]
    runs = []
    for pg in (False, True):
        rt = Runtime(device="cuda", progress=False)
        with net.use_tuning(cuda_graph=True, probe_graph=pg):
            runs.append(train(params, data, TrainConfig(steps=30), times, PROBES, rt,
                              configs=cfg))
    assert torch.equal(runs[0].params.W, runs[1].params.W)
    _same_arrays(runs[0].arrays, runs[1].arrays)


def test_a_failed_recording_leaves_the_callers_stream_and_the_allocator_as_before(monkeypatch):
    """torch.cuda.graph's __exit__ calls capture_end and then leaves its stream context, with
    no try/finally; capture_end raises at cudaStreamEndCapture (a capture that a host sync
    invalidated) before it ends the allocator's recording into the graph's pool. Stood in for
    here as torch does it (torch/cuda/graphs.py, aten/src/ATen/cuda/CUDAGraph.cpp): after a
    failed recording the caller's stream must be current again and the allocator's recording
    ended (else every later torch.cuda.empty_cache(), the start of every later recording,
    fails its INTERNAL ASSERT captures_underway.empty())."""

    class Stream:
        def __init__(self, device=None, name="side"):
            self.name = name

        def wait_stream(self, other):
            pass

    default = Stream(name="default")
    state = {"current": default, "underway": [], "released": [], "invalid": False}

    class StreamContext:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            self.prev, state["current"] = state["current"], self.stream

        def __exit__(self, *args):
            state["current"] = self.prev

    class Graph:  # torch.cuda.graph as torch writes it
        def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
            self.pool = pool if pool is not None else (9, 0)
            self.stream_ctx = StreamContext(stream)

        def __enter__(self):
            self.stream_ctx.__enter__()
            state["underway"].append(self.pool)  # capture_begin: beginAllocateToPool

        def __exit__(self, *args):
            if state["invalid"]:  # capture_end: cudaStreamEndCapture fails first
                raise RuntimeError("CUDA error: operation failed due to a previous error "
                                   "during capture")
            state["underway"].remove(self.pool)  # endAllocateToPool
            self.stream_ctx.__exit__(*args)

    def end(device, pool):
        if pool not in state["underway"]:
            raise RuntimeError("endAllocatePool: not currently recording to mempool_id")
        state["underway"].remove(pool)

    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: state["current"])
    monkeypatch.setattr(torch.cuda, "Stream", Stream)
    monkeypatch.setattr(torch.cuda, "stream", StreamContext)
    monkeypatch.setattr(torch.cuda, "set_stream", lambda s: state.update(current=s))
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "CUDAGraph", lambda: type("G", (), {"replay": None})())
    monkeypatch.setattr(torch.cuda, "graph_pool_handle", lambda: (0, 7))
    monkeypatch.setattr(torch.cuda, "graph", Graph)
    monkeypatch.setattr(torch._C, "_cuda_endAllocateToPool", end, raising=False)
    monkeypatch.setattr(torch._C, "_cuda_releasePool",
                        lambda device, pool: state["released"].append(pool), raising=False)
    for sync in (True, False):  # a host sync (the capture invalidated), or a Python error
        calls: list[str] = []

        def body(calls=calls, sync=sync):  # the warm-up runs; the recording fails
            calls.append(state["current"].name)
            if len(calls) == 2:
                state["invalid"] = sync
                raise RuntimeError("CUDA error: operation not permitted when stream is capturing")

        state.update(invalid=False, released=[])
        with pytest.raises(graphed.CaptureFailed, match="RuntimeError: CUDA error"):
            graphed.capture(body, torch.device("cuda"))
        assert calls == ["side", "side"]
        assert state["current"] is default  # the caller's stream again
        assert state["underway"] == []  # the allocator's recording ended
        # the pool released where the recording was ended here (else the graph's end does it)
        assert state["released"] == ([(0, 7)] if sync else [])


FAILED_CAPTURE_CHECK = """
import torch
from twolayer.training import graphed

dev = torch.device("cuda")
x = torch.ones(4, device=dev)


def bad():
    x.add_(1)
    if x.sum().item() > 0:  # a host sync: the recording fails
        x.mul_(2)


try:
    graphed.capture(bad, dev)
    raise SystemExit("recording a host sync did not fail")
except graphed.CaptureFailed as e:
    print("failed as it should:", e)
assert torch.cuda.current_stream(dev) == torch.cuda.default_stream(dev)
torch.cuda.empty_cache()  # no capture under way for the allocator
y = torch.zeros(4, device=dev)
replay = graphed.capture(lambda: y.add_(1), dev)  # the next recording works
replay()
replay()
assert y.tolist() == [3.0] * 4, y
print("capture ok")
"""


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_after_a_failed_recording_on_the_gpu_the_process_records_again():
    """The real counterpart of the stand-in above, in a process of its own (a failure there
    would leave this one unable to record graphs)."""
    import subprocess
    import sys
    from pathlib import Path

    res = subprocess.run([sys.executable, "-c", FAILED_CAPTURE_CHECK],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0 and "capture ok" in res.stdout, (res.stdout, res.stderr[-3000:])


@pytest.mark.parametrize("train_a,gpu_paths", [(False, False), (True, False), (False, True)])
def test_the_recorded_bodies_read_nothing_on_the_host(strict_capture, train_a, gpu_paths):
    """The plain step's body and the probe time's body (the default probes; with a fixed
    second layer the segments' groups taken in the step, with a trained one in a pass of
    their own) make no host read while recording, or are not recorded: a real capture fails
    there (and a failed one costs the rest of the run its graphs). ``gpu_paths``: the GPU's
    own paths where a CPU can take them (no C passes, the batched group GEMMs)."""
    cfg, data, params = _setup(noise=0.2, train_a=train_a)
    times = [0, 3, 4, 11, 20]
    tuning = {"fused_cpu": False, "batched_groups": True} if gpu_paths else {}
    with net.use_tuning(**tuning):
        eager = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=False)
        res = _train_pg(params, data, cfg, 20, times, PROBES, probe_graph=True)
    assert res.meta["step_graph"] == "replayed"
    assert res.meta.get("probe_graph") in (None, "replayed"), res.meta["probe_graph"]
    assert (res.meta.get("probe_graph") is None) == train_a  # (no in-step groups: not graphed)
    assert torch.equal(eager.params.W, res.params.W)
    _same_arrays(eager.arrays, res.arrays)


def test_adams_probe_times_as_graphs_give_the_eager_records(fake_capture):
    """Adam replaces the update only: its plain steps are never a graph (the bias corrections
    change every step), but a probe time's gradient and probes may be, and its update then runs
    eagerly after the replay. Records and weights as the eager run's, bit for bit."""
    from twolayer.training import adam

    cfg, data, params = _setup(noise=0.2)
    times = [0, 3, 4, 11, 20]
    rt = Runtime(device="cpu", progress=False)
    res = {}
    for pg in (False, True):
        with net.use_tuning(cuda_graph=True, probe_graph=pg):
            res[pg] = train(params, data, TrainConfig(steps=20, lr=0.01), times, PROBES, rt,
                            configs=cfg, stepper=adam())
    assert fake_capture["captures"] == 1  # the probe times' graph only, no step graph
    assert res[True].meta["probe_graph"] == "replayed"
    assert "step_graph" not in res[True].meta and "probe_graph" not in res[False].meta
    assert torch.equal(res[False].params.W, res[True].params.W)
    _same_arrays(res[False].arrays, res[True].arrays)
