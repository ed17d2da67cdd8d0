"""The fused Triton pass of the GPU kernel (twolayer.net.gpu_kernels, Tuning.fused_gpu).

Oracles: the eager ops (relu, a batched matrix–vector product, 1[H > 0]) for the pass itself,
and the eager kernel's training for the wiring. Where ``triton`` imports, the pass runs in
Triton's CPU interpreter (TRITON_INTERPRET=1, set before triton is imported: a subprocess);
on a CUDA machine with triton it runs on the GPU too. Without triton (CI) the off switch is
checked: ``fused_gpu=True`` falls back to the eager path, bit for bit, and the pass refuses
to run with the reason."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from bench_helpers import run_benchmark

from twolayer import net
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.net import gpu_kernels
from twolayer.simulate import setup

ROOT = Path(__file__).resolve().parents[1]
HAVE_TRITON = importlib.util.find_spec("triton") is not None
needs_triton = pytest.mark.skipif(not HAVE_TRITON, reason="triton is not installed")

PASS_CHECK = """
import torch
from twolayer.net import gpu_kernels as gk

dev = DEVICE
torch.manual_seed(0)
for dt, tol in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
    # r, c, m: not multiples of the tiles; h a view into a larger buffer (a block's rows)
    for r, c, m in ((3, 70, 130), (1, 5, 64), (2, 33, 7)):
        buf = torch.randn(r + 1, c + 3, m, dtype=dt, device=dev)
        H = buf[1:, 2 : 2 + c]
        H[0, 1, 2] = float("nan")
        a = torch.randn(r, m, 1, dtype=dt, device=dev)
        out = torch.zeros(r, c + 1, 1, dtype=dt, device=dev)  # f a strided view
        want_f = torch.bmm(H.clone().relu_(), a)[..., 0]
        want_h = (H > 0).to(dt)
        before = buf.clone()
        gk.relu_readout_mask(H, a[..., 0], out[:, 1:, 0])
        assert torch.equal(H, want_h), (dt, r, c, m)
        assert torch.isnan(out[0, 2, 0]), "relu(NaN) must stay NaN in f"
        got = out[:, 1:, 0]
        assert torch.allclose(got, want_f, rtol=tol, atol=tol, equal_nan=True), (dt, r, c, m)
        assert torch.equal(out[:, 0], torch.zeros_like(out[:, 0]))  # nothing outside f
        assert torch.equal(buf[0], before[0]) and torch.equal(buf[1:, :2], before[1:, :2])
print("pass ok")
"""

TRAIN_CHECK = """
import torch
from twolayer import net
from twolayer.net import gpu_kernels as gk
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup

# the self test first: on a GPU it runs before the pass's first use and calls the pass itself,
# which the count below must not see (TRAIN_CHECK counts the training's calls)
assert gk.self_test(torch.device(DEVICE)) is None, gk.status(torch.device(DEVICE))
calls = []
real = gk.relu_readout_mask
gk.relu_readout_mask = lambda *a: (calls.append(1), real(*a))[1]
cfg = Config(data=DataConfig(d=10, n=60, n_test=30, noise=0.1), net=NetConfig(m=20, bias=True),
             seeds=3)
_, data, params = setup(cfg)
rt = Runtime(device=DEVICE, progress=False)
res = {}
for fused in (False, True):
    # eager steps: a replayed CUDA graph makes no Python call, which this check counts
    with net.use_tuning(fused_gpu=fused, fused_cpu=False, cuda_graph=False):
        res[fused] = train(params, data, TrainConfig(steps=20), [0, 10, 20],
                           ("errors", "segments"), rt)
    if not fused:
        assert not calls
# every step took it: 20 steps, those at probe times 0 and 10 in the segments' grouped pass
assert len(calls) == 20, len(calls)
for k in ("W", "b"):
    a, b = getattr(res[False].params, k), getattr(res[True].params, k)
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-6), (k, (a - b).abs().max())
for k, v in res[False].arrays.items():
    assert torch.allclose(torch.as_tensor(v), torch.as_tensor(res[True].arrays[k]), rtol=1e-4,
                          atol=1e-5, equal_nan=True), k
print("train ok")
"""


FWD_CHECK = """
import torch
from twolayer.net import gpu_kernels as gk

dev = DEVICE
BLOCKS = (None, gk.Blocks(16, 32, 8, 2), gk.Blocks(128, 128, 4, 3),  # tiles, warps, stages
          gk.Blocks(16, 32, 8, 2, by_run=True))  # a run's tiles side by side: the same bits
torch.manual_seed(0)
for bias in (False, True):
    # r, c, m, d: not multiples of the tiles; x a view into a larger buffer (a block's rows)
    for r, c, m, d in ((2, 70, 130, 50), (1, 5, 64, 3), (2, 33, 7, 17), (1, 9, 20, 128)):
        xb = torch.randn(r + 1, c + 3, d, device=dev)
        x = xb[1:, 2 : 2 + c]
        W = torch.randn(r, m, d, device=dev)
        b = torch.randn(r, m, device=dev) if bias else None
        a = torch.randn(r, m, device=dev)
        if r == 2:
            x[1, 3, 0] = float("nan")
        H = torch.bmm(x.double(), W.double().transpose(1, 2))
        if bias:
            H = H + b.double().unsqueeze(1)
        want_f = (H.relu() * a.double()[:, None, :]).sum(-1)
        outs = {}
        for blocks in BLOCKS:  # the default launch configuration and others
            h = torch.full((r, c, m), 7.0, device=dev)
            out = torch.zeros(r, c + 1, device=dev)  # f a strided view
            gk.forward_relu_readout_mask(x, W, b, a, h, out[:, 1:], blocks)
            sure = (H.abs() > 1e-4) | H.isnan()  # the mask, but where H is within rounding of 0
            assert torch.equal(h[sure], (H > 0).float()[sure]), (bias, r, c, m, d, blocks)
            assert set(h.unique().tolist()) <= {0.0, 1.0}
            got = out[:, 1:].double()
            if r == 2:
                assert torch.isnan(got[1, 3]), "a NaN input must stay NaN in f"
            ok = torch.isclose(got, want_f, rtol=1e-4, atol=1e-4) | (got.isnan() & want_f.isnan())
            assert ok.all(), (bias, r, c, m, d, blocks, (got - want_f).abs().nan_to_num(0).max())
            assert torch.equal(out[:, 0], torch.zeros_like(out[:, 0]))  # nothing outside f
            outs[blocks] = (h, out[:, 1:])
        for u, v in zip(outs[BLOCKS[1]], outs[BLOCKS[3]]):  # the launch order changes no bit
            torch.testing.assert_close(u, v, rtol=0, atol=0, equal_nan=True)
print("fwd ok")
"""

FWD_TRAIN_CHECK = """
import torch
from twolayer import net
from twolayer.net import gpu_kernels as gk
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup

# the self tests first (on a GPU they run before first use and call the kernel themselves)
assert gk.forward_self_test(torch.device(DEVICE)) is None, gk.status(torch.device(DEVICE))
calls = []
real = gk.forward_relu_readout_mask
gk.forward_relu_readout_mask = lambda *a: (calls.append(1), real(*a))[1]
cfg = Config(data=DataConfig(d=10, n=60, n_test=30, noise=0.1), net=NetConfig(m=20, bias=True),
             seeds=3)
_, data, params = setup(cfg)
rt = Runtime(device=DEVICE, progress=False)
res = {}
for fwd in (False, True):
    with net.use_tuning(fused_gpu=fwd, fused_gpu_forward=fwd, fused_cpu=False,
                        cuda_graph=False):  # (eager steps: the check counts Python calls)
        res[fwd] = train(params, data, TrainConfig(steps=20), [0, 10, 20], ("errors",), rt)
    if not fwd:
        assert not calls
assert len(calls) == 20, len(calls)  # every step's forward
for k in ("W", "b"):
    a, b = getattr(res[False].params, k), getattr(res[True].params, k)
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-6), (k, (a - b).abs().max())
# the default tiles launched run by run (gpu_blocks.py's other launch order): the same bits
gk.FWD_BLOCKS = gk.Blocks(gk.FWD_BLOCKS.c, gk.FWD_BLOCKS.m, by_run=True)
with net.use_tuning(fused_gpu=True, fused_gpu_forward=True, fused_cpu=False, cuda_graph=False):
    by_run = train(params, data, TrainConfig(steps=20), [0, 10, 20], ("errors",), rt)
assert len(calls) == 40, len(calls)
for k in ("W", "b"):
    assert torch.equal(getattr(by_run.params, k), getattr(res[True].params, k)), k
for k, v in res[False].arrays.items():
    assert torch.allclose(torch.as_tensor(v), torch.as_tensor(res[True].arrays[k]), rtol=1e-4,
                          atol=1e-5, equal_nan=True), k
print("train ok")
"""


BWD_CHECK = """
import torch
from twolayer.net import gpu_kernels as gk

dev = DEVICE
BLOCKS = (None, gk.Blocks(16, 32, 8, 2), gk.Blocks(128, 128, 4, 3))  # tiles, warps, stages
torch.manual_seed(0)
for bias in (False, True):
    # r, n, d, m: not multiples of the tiles; x and c views into larger buffers (a block's rows)
    for r, n, d, m in ((2, 70, 50, 130), (1, 5, 3, 64), (3, 33, 17, 7), (1, 40, 128, 20)):
        x = torch.randn(r + 1, n + 3, d, device=dev)[1:, 2 : 2 + n]
        c = torch.randn(r, n + 1, device=dev)[:, 1:]
        if r == 2:
            c[1, 3] = float("nan")  # a diverged run: NaN in its G, not in the others'
        M = torch.randn(r, n, m, device=dev) > 0
        rhs = torch.cat([x.double() * c.double()[..., None], c.double()[..., None]], -1)
        want = torch.bmm(rhs.transpose(1, 2), M.double())[:, : d + bias]
        masks = (M.to(torch.uint8), M.float(), M.float().expand(r, n, m))
        for mk, blocks in [(mk, None) for mk in masks] + [(masks[0], b) for b in BLOCKS[1:]]:
            G = torch.full((r, d + bias, m + 2), 5.0, device=dev)[..., 1 : m + 1]
            gk.backward_gemm(x, c, mk, G, first=True, blocks=blocks)
            for k, scale in ((0, 1), (1, 2)):
                if k:
                    gk.backward_gemm(x, c, mk, G, first=False, blocks=blocks)  # accumulated
                got = G.double()
                ok = torch.isclose(got, scale * want, rtol=1e-4, atol=1e-4)
                ok |= got.isnan() & want.isnan()
                assert ok.all(), (bias, r, n, d, m, mk.dtype, k, blocks)
            if r == 2:
                assert G[1].isnan().any() and not G[0].isnan().any()
print("bwd ok")
"""

BWD_TRAIN_CHECK = """
import torch
from twolayer import net
from twolayer.net import gpu_kernels as gk
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.simulate import setup

# the self tests first (on a GPU they run before first use and call the kernel themselves)
assert gk.backward_self_test(torch.device(DEVICE)) is None, gk.status(torch.device(DEVICE))
masks = []
real = gk.backward_gemm
gk.backward_gemm = lambda x, c, mk, G, first: (masks.append(mk.dtype), real(x, c, mk, G, first))
for bias in (False, True):
    cfg = Config(data=DataConfig(d=10, n=60, n_test=30, noise=0.1),
                 net=NetConfig(m=20, bias=bias), seeds=3)
    _, data, params = setup(cfg)
    rt = Runtime(device=DEVICE, progress=False)
    res = {}
    for fwd, bwd in ((False, False), (False, True), (True, True)):
        masks.clear()
        # (eager steps: the check counts Python calls)
        with net.use_tuning(fused_gpu=True, fused_gpu_forward=fwd, fused_gpu_backward=bwd,
                            fused_cpu=False, cuda_graph=False):
            res[fwd, bwd] = train(params, data, TrainConfig(steps=20), [0, 10, 20],
                                  ("errors",), rt)
        # every step's backward; its mask of bytes where the forward writes it
        want = [torch.uint8 if fwd else torch.float32] * 20 if bwd else []
        assert masks == want, (fwd, bwd, masks)
    ref = res[False, False]
    for key in ((False, True), (True, True)):
        for k in ("W", "b") if bias else ("W",):
            a, b = getattr(ref.params, k), getattr(res[key].params, k)
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-6), (key, k, (a - b).abs().max())
        for k, v in ref.arrays.items():
            assert torch.allclose(torch.as_tensor(v), torch.as_tensor(res[key].arrays[k]),
                                  rtol=1e-4, atol=1e-5, equal_nan=True), (key, k)
print("train ok")
"""

def _run(script: str, device: str, interpret: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    else:
        env.pop("TRITON_INTERPRET", None)
    code = textwrap.dedent(script).replace("DEVICE", repr(device))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@needs_triton
@pytest.mark.parametrize("script,word", [(PASS_CHECK, "pass ok"), (TRAIN_CHECK, "train ok")])
def test_the_pass_in_tritons_interpreter_matches_the_eager_ops(script, word):
    res = _run(script, "cpu", interpret=True)
    assert res.returncode == 0 and word in res.stdout, res.stderr[-3000:]


@needs_triton
@pytest.mark.parametrize("script,word", [  # the whole training step's variant: slow
    (FWD_CHECK, "fwd ok"), pytest.param(FWD_TRAIN_CHECK, "train ok", marks=pytest.mark.slow)])
def test_the_fused_forward_in_tritons_interpreter_matches_the_eager_ops(script, word):
    res = _run(script, "cpu", interpret=True)
    assert res.returncode == 0 and word in res.stdout, res.stderr[-3000:]


@needs_triton
@pytest.mark.parametrize("script,word", [  # the whole training step's variant: slow
    (BWD_CHECK, "bwd ok"), pytest.param(BWD_TRAIN_CHECK, "train ok", marks=pytest.mark.slow)])
def test_the_fused_backward_in_tritons_interpreter_matches_the_eager_gemm(script, word):
    res = _run(script, "cpu", interpret=True)
    assert res.returncode == 0 and word in res.stdout, res.stderr[-3000:]


@pytest.mark.cuda
@needs_triton
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("script,word", [(PASS_CHECK, "pass ok"), (TRAIN_CHECK, "train ok"),
                                         (FWD_CHECK, "fwd ok"), (FWD_TRAIN_CHECK, "train ok"),
                                         (BWD_CHECK, "bwd ok"), (BWD_TRAIN_CHECK, "train ok")])
def test_the_pass_on_the_gpu_matches_the_eager_ops(script, word):
    res = _run(script, "cuda", interpret=False)
    assert res.returncode == 0 and word in res.stdout, res.stderr[-3000:]


def test_without_triton_fused_gpu_falls_back_to_the_eager_path_bit_for_bit(monkeypatch):
    monkeypatch.setattr(gpu_kernels, "_load", lambda: (None, "triton is not importable (test)"))
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # would allow the CPU, were triton there
    assert not gpu_kernels.available() and "not importable" in gpu_kernels.status()
    h = torch.randn(1, 4, 3)
    with pytest.raises(RuntimeError, match="needs triton: triton is not importable"):
        gpu_kernels.relu_readout_mask(h, torch.randn(1, 3), torch.empty(1, 4))
    cfg = Config(data=DataConfig(d=6, n=30, n_test=10), net=NetConfig(m=8), seeds=2)
    _, data, params = setup(cfg)
    rt = Runtime(device="cpu", progress=False)
    out = []
    for fused in (False, True):
        with net.use_tuning(fused_gpu=fused):
            out.append(train(params, data, TrainConfig(steps=5), [0, 5], (), rt).params.W)
    assert torch.equal(out[0], out[1])


def test_the_pass_is_only_taken_where_it_can_run(monkeypatch):
    monkeypatch.setattr(gpu_kernels, "_load", lambda: (object(), "triton (test)"))
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    h = torch.zeros(2, 3, 4)
    assert not gpu_kernels.usable(h)  # a CPU tensor, no interpreter
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert gpu_kernels.usable(h)
    assert not gpu_kernels.usable(h.transpose(1, 2))  # not contiguous along m
    assert not gpu_kernels.usable(h.half())
    with pytest.raises(ValueError, match="do not fit"):
        gpu_kernels.relu_readout_mask(h, torch.zeros(2, 5), torch.zeros(2, 3))


def test_the_backward_kernel_is_only_taken_where_it_can_run(monkeypatch):
    monkeypatch.setattr(gpu_kernels, "_load", lambda: (object(), "triton (test)"))
    monkeypatch.setattr(gpu_kernels, "_load_backward", lambda: object())
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    x, G = torch.zeros(2, 3, 5), torch.zeros(2, 6, 4)
    assert not gpu_kernels.backward_usable(x, G)  # CPU tensors, no interpreter
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert gpu_kernels.backward_usable(x, G)
    assert not gpu_kernels.backward_usable(x.transpose(1, 2), G)  # not contiguous along d
    assert not gpu_kernels.backward_usable(x, G.transpose(1, 2))  # nor G along m
    assert not gpu_kernels.backward_usable(x.double(), G.double())
    assert not gpu_kernels.backward_usable(torch.zeros(2, 3, 129), torch.zeros(2, 130, 4))
    mask = torch.zeros(2, 3, 4, dtype=torch.uint8)
    for bad in ((x, torch.zeros(2, 4), mask, G), (x, torch.zeros(2, 3), mask[:, :2], G),
                (x, torch.zeros(2, 3), mask, torch.zeros(2, 7, 4))):
        with pytest.raises(ValueError, match="do not fit"):
            gpu_kernels.backward_gemm(*bad, first=True)


def _fused_bench(*args: str, interpret: bool) -> subprocess.CompletedProcess:
    return run_benchmark("gpu_fused.py", *args, interpret=interpret)


def test_the_timing_script_says_when_there_is_nothing_to_measure():
    res = _fused_bench("--device", "cpu", "--quick", interpret=False)
    assert res.returncode == 0 and "fused pass: not available here" in res.stdout, res.stderr
    assert _fused_bench("--rounds", "0", interpret=False).returncode == 2


@pytest.mark.slow  # a GPU session's timing script, in Triton's interpreter
@needs_triton
def test_the_timing_script_dry_run_in_the_interpreter(tmp_path):
    import json

    out = tmp_path / "fused.json"
    res = _fused_bench("--device", "cpu", "--quick", "--out", str(out), interpret=True)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["available"] and [r["R"] for r in data["runs"]] == [2, 4]
    for r in data["runs"]:
        assert r["eager_s_per_step"] > 0 and r["fused_s_per_step"] > 0
        assert r["max_rel_diff_W"] < 1e-5  # the same steps, to float rounding


def test_a_stored_run_of_the_fused_pass_is_kept_apart_from_an_eager_one(monkeypatch):
    """The pass changes numbers (to float rounding), so the record store's key says so, as it
    does for TF32; on a CPU the pass never runs and the key is the eager one."""
    from types import SimpleNamespace

    import twolayer.experiments.frei2023  # noqa: F401  # registers frei2023.linear
    from twolayer.experiments import Runs

    monkeypatch.setattr(gpu_kernels, "_load", lambda: (object(), "triton (test)"))
    monkeypatch.setattr(gpu_kernels, "self_test", lambda device: None)  # (as if it passed)
    keys = {}
    for dev in ("cpu", "cuda"):
        rt = SimpleNamespace(torch_device=torch.device(dev), tf32=False)
        runs = Runs(quick=True, runtime=rt)
        for fused in (False, True):
            with net.use_tuning(fused_gpu=fused):
                keys[dev, fused] = runs.key("frei2023.linear")
    assert keys["cpu", False] == keys["cpu", True] and "fused_gpu" not in keys["cpu", True]
    assert "fused_gpu" not in keys["cuda", False] and keys["cuda", True]["fused_gpu"] is True
    monkeypatch.setattr(gpu_kernels, "forward_self_test", lambda device: None)
    rt = SimpleNamespace(torch_device=torch.device("cuda"), tf32=False)
    with net.use_tuning(fused_gpu=True, fused_gpu_forward=True):
        fwd = Runs(quick=True, runtime=rt).key("frei2023.linear")
    assert fwd["fused_gpu_forward"] is True and "fused_gpu_forward" not in keys["cuda", True]
    monkeypatch.setattr(gpu_kernels, "backward_self_test", lambda device: None)
    with net.use_tuning(fused_gpu=True, fused_gpu_backward=True):
        bwd = Runs(quick=True, runtime=rt).key("frei2023.linear")
    assert bwd["fused_gpu_backward"] is True and "fused_gpu_forward" not in bwd
    assert "fused_gpu_backward" not in fwd
    assert {k: v for k, v in keys["cuda", True].items() if k != "fused_gpu"} == keys["cuda", False]


def test_a_cpu_records_environment_names_no_gpu_kernel():
    from twolayer.simulate import environment

    assert environment(torch.device("cpu"))["gpu_kernels"] is None


def test_the_self_test_passes_in_the_interpreter_and_catches_a_wrong_or_failing_pass(
        monkeypatch):
    """The check the pass runs once per GPU before its first use: it passes for the real
    kernel (in Triton's interpreter, on CPU tensors), and names the reason where the pass
    gives other numbers or cannot run; then the eager ops run and the record says so."""
    if HAVE_TRITON:
        code = ("from twolayer.net import gpu_kernels as g; print('self test:', "
                "g._self_test('cpu'), g._forward_self_test('cpu'), g._backward_self_test('cpu'))")
        env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(ROOT)}
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert "self test: None None None" in res.stdout, res.stderr[-3000:]
    monkeypatch.setattr(gpu_kernels, "_load", lambda: (object(), "triton (test)"))
    gpu_kernels._self_test.cache_clear()
    monkeypatch.setattr(gpu_kernels, "relu_readout_mask", lambda h, a, f: f.zero_())  # wrong
    assert "did not match" in gpu_kernels._self_test("cpu")
    gpu_kernels._self_test.cache_clear()

    def broken(*args, **kwargs):
        raise RuntimeError("no C compiler for triton's launcher")

    monkeypatch.setattr(gpu_kernels, "relu_readout_mask", broken)
    why = gpu_kernels._self_test("cpu")
    assert "failed its self test" in why and "no C compiler" in why
    gpu_kernels._self_test.cache_clear()
    monkeypatch.setattr(gpu_kernels, "forward_relu_readout_mask",
                        lambda x, W, b, a, h, f: (h.fill_(1.0), f.zero_()))  # wrong
    monkeypatch.setattr(gpu_kernels, "self_test", lambda device: None)
    assert "did not match" in gpu_kernels._forward_self_test("cpu")
    gpu_kernels._forward_self_test.cache_clear()
    monkeypatch.setattr(gpu_kernels, "forward_relu_readout_mask", broken)
    assert "no C compiler" in gpu_kernels._forward_self_test("cpu")
    gpu_kernels._forward_self_test.cache_clear()
    monkeypatch.setattr(gpu_kernels, "backward_gemm",
                        lambda x, c, mk, G, first: G.zero_() if first else None)  # wrong
    assert "did not match" in gpu_kernels._backward_self_test("cpu")
    gpu_kernels._backward_self_test.cache_clear()
    monkeypatch.setattr(gpu_kernels, "backward_gemm", broken)
    assert "no C compiler" in gpu_kernels._backward_self_test("cpu")
    gpu_kernels._backward_self_test.cache_clear()
    monkeypatch.undo()
    monkeypatch.setattr(gpu_kernels, "_load", lambda: (object(), "triton (test)"))
    cuda = torch.device("cuda", 0)  # no GPU here: the self test cannot pass
    assert gpu_kernels.self_test(cuda) is not None and not gpu_kernels.enabled(cuda)
    assert gpu_kernels.status(cuda) == gpu_kernels.self_test(cuda)
    assert gpu_kernels.enabled()  # switched on and importable: the device decides
    gpu_kernels._self_test.cache_clear()


def test_the_kernels_take_their_offsets_in_int64():
    """Triton types tl.program_id as int32 and an integer argument below 2^31 (a stride) as
    int32, so r * s_hr wraps past 2^31: at R·c·m >= 2^31 in one block (a GPU's budget holds
    R = 5369 at c = 1000, m = 400 in one block; R = 1343 for the forward's byte mask, whose
    run stride is 4·c·m) the kernels would read and write outside their tensors. Every
    program id is cast to int64 before it scales a stride (checked in the source: the
    interpreter cannot hold a tensor of 2^31 entries here)."""
    import inspect
    import re

    src = inspect.getsource(gpu_kernels)
    ids = re.findall(r"tl\.program_id\(\d\)(\.to\(tl\.int64\))?", src)
    # two in the pass and in the backward, four in the forward (two per launch order)
    assert len(ids) == 8 and all(ids), ids


def test_no_launch_passes_the_grids_bound_on_its_axis_1(monkeypatch):
    """CUDA bounds a grid's axis 1 to 65535 programs: the pass and the forward put a run's
    sample tiles there (c > 2.1M samples in one block fail to launch), the backward a block's
    runs (R > 65535). Each splits such a launch (here with a bound of 2)."""
    launches = []

    class Kernel:
        def __getitem__(self, grid):
            def launch(*args, **kwargs):
                launches.append((grid, args))
            return launch

    monkeypatch.setattr(gpu_kernels, "_load", lambda: (Kernel(), "triton (test)"))
    monkeypatch.setattr(gpu_kernels, "_load_forward", lambda: Kernel())
    monkeypatch.setattr(gpu_kernels, "_load_backward", lambda: Kernel())
    monkeypatch.setattr(gpu_kernels, "MAX_GRID_Y", 2)
    r, c, m, d = 3, 200, 5, 4
    h, a, f = torch.zeros(r, c, m), torch.zeros(r, m), torch.zeros(r, c)
    gpu_kernels.relu_readout_mask(h, a, f)
    gpu_kernels.forward_relu_readout_mask(torch.zeros(r, c, d), torch.zeros(r, m, d), None, a,
                                          h, f)
    for grid, _ in launches:
        assert grid[0] == r and grid[1] <= 2
    # every sample once, in order: (its count, the chunk's first sample's offset in h)
    for kind, block, hi in (("pass", gpu_kernels.BLOCK_C, 0), ("fwd", gpu_kernels.FWD_BLOCKS.c, 4)):
        mine = [args for _, args in launches if (len(args) > 10) == (kind == "fwd")]
        counts = [args[6 if kind == "fwd" else 3] for args in mine]
        assert sum(counts) == c and all(n <= 2 * block for n in counts), (kind, counts)
        starts = [(args[hi].data_ptr() - h.data_ptr()) // (h.element_size() * m) for args in mine]
        assert starts == [sum(counts[:i]) for i in range(len(counts))], (kind, starts)
    launches.clear()
    R = 5  # by_run: a run's tiles on axis 0, the runs on axis 1, split
    W, aR, hR, fR = torch.zeros(R, m, d), torch.zeros(R, m), torch.zeros(R, c, m), torch.zeros(R, c)
    blocks = gpu_kernels.Blocks(64, 64, by_run=True)
    gpu_kernels.forward_relu_readout_mask(torch.zeros(R, c, d), W, None, aR, hR, fR, blocks)
    assert [grid for grid, _ in launches] == [(4, 2), (4, 2), (4, 1)]  # 200 samples: 4 tiles
    assert [(args[1].data_ptr() - W.data_ptr()) // (W.element_size() * m * d)
            for _, args in launches] == [0, 2, 4]  # each launch's W: its runs'
    assert all(args[6] == c for _, args in launches)  # every sample in each
    launches.clear()
    x, cc = torch.zeros(R, c, d), torch.zeros(R, c)
    G = torch.zeros(R, d, m)
    gpu_kernels.backward_gemm(x, cc, torch.zeros(R, c, m), G, first=True)
    assert [grid for grid, _ in launches] == [(1, 2), (1, 2), (1, 1)]
    assert [(args[3].data_ptr() - G.data_ptr()) // (G.element_size() * d * m)
            for _, args in launches] == [0, 2, 4]


@needs_triton
@pytest.mark.parametrize("script,word", [  # one kernel by default; the others: slow
    (PASS_CHECK, "pass ok"), pytest.param(FWD_CHECK, "fwd ok", marks=pytest.mark.slow),
    pytest.param(BWD_CHECK, "bwd ok", marks=pytest.mark.slow)])
def test_split_launches_in_tritons_interpreter_give_the_same_numbers(script, word):
    """The checks above with one program per launch on the grid's axis 1."""
    script = script.replace("from twolayer.net import gpu_kernels as gk\n",
                            "from twolayer.net import gpu_kernels as gk\ngk.MAX_GRID_Y = 1\n")
    assert "gk.MAX_GRID_Y = 1" in script
    res = _run(script, "cpu", interpret=True)
    assert res.returncode == 0 and word in res.stdout, res.stderr[-3000:]


@pytest.mark.parametrize("kw", [dict(c=24, m=64), dict(c=32, m=0), dict(c=32, m=64, warps=3),
                                dict(c=32, m=64, stages=0), dict(c=32, m=64, by_run=1),
                                dict(c=32, m=64, warps=64), dict(c=True, m=64)])
def test_a_launch_configuration_triton_cannot_take_is_refused_when_made(kw):
    """Tiles must be powers of two (tl.arange), warps too and at most 32 (1024 threads); stages
    at least 1; by_run a bool: refused with the field named, not at a launch deep in a sweep."""
    with pytest.raises(ValueError, match="Blocks: "):
        gpu_kernels.Blocks(**kw)
    gpu_kernels.Blocks(16, 128, 8, 4)  # a valid one


# On a GPU, usable() and the opt-ins' _runs_on() run the kernel's self test before its first
# use, and the self test calls the kernel; on the CPU, under the interpreter, they skip it. With
# this prelude the CPU takes the GPU's order, so that the checks above that count the kernels'
# calls (TRAIN_CHECK and the like, run on the GPU by the CUDA test above) are checked here as
# they run there: they counted the self tests' calls too on a GPU (21 calls for 20 steps).
AS_ON_CUDA = """
from twolayer.net import gpu_kernels as _gk
_usable = _gk.usable
_gk.usable = lambda h: _usable(h) and _gk.self_test(h.device) is None
_gk._runs_on = lambda device, test: test(device) is None
"""


@needs_triton
@pytest.mark.parametrize("script", [
    TRAIN_CHECK, pytest.param(FWD_TRAIN_CHECK, marks=pytest.mark.slow),
    pytest.param(BWD_TRAIN_CHECK, marks=pytest.mark.slow)], ids=["pass", "forward", "backward"])
def test_the_training_checks_count_the_calls_as_on_a_gpu(script):
    res = _run(AS_ON_CUDA + script, "cpu", interpret=True)
    assert res.returncode == 0 and "train ok" in res.stdout, res.stderr[-3000:]
