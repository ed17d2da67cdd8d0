"""The C passes of the CPU kernel (twolayer.net.cpu_kernels) against plain PyTorch.

- relu_readout_mask against relu → per-run readout in float64 → mask (the three eager ops it
  replaces): the readout within float32 rounding, the mask exactly; NaN and ±inf inputs; every
  tail length m mod 16; views into larger buffers (nothing outside the view is touched);
- the AVX2 path against the portable C path: the same bits (the documented summation order);
- scaled_rows against x ⊙ c;
- the kernel with the fused path against the kernel without it and against autograd, for the
  margin path (logistic) and a loss without ψ, with bias and without, on one lane and on worker
  threads; the grouped step of probe times and net.forward (the readout alone) likewise;
  training records with and without it agree to float32 rounding;
- forward_relu_mask (the forward GEMM in the pass, AVX-512) against float64 (H, f, mask; every
  tail m mod 16, rows not a multiple of the 8-row tile, bias, views, NaN, H = 0 exactly), its
  readout bit for bit the one of relu_readout_mask on its own H, and the AVX-512 path bit for
  bit the portable one; the step takes it only for d ≤ FORWARD_MAX_D;
- descend_rows against its formula in float32 PyTorch ops (the same bits, AVX2 and portable),
  and the update inside the worker lanes (run with lr) against run() then descend();
- the wrapper refuses layouts the C loops do not take, and a library built from another source.

Where the extension is not built the tests that need it skip, unless TWOLAYER_REQUIRE_CPU_KERNELS
is set (CI sets it: there the extension must build).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from core_oracles import autograd_grads, forward_one, leaves, sample_losses

from twolayer import net
from twolayer.net import cpu_kernels
from twolayer.net.model import LOSSES, Loss
from twolayer.threads import intra_op_threads

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def ext():
    mod = cpu_kernels.module()
    if mod is None:
        if os.environ.get("TWOLAYER_REQUIRE_CPU_KERNELS"):
            pytest.fail(f"the CPU kernels are required here: {cpu_kernels.status()}")
        pytest.skip(f"CPU kernels: {cpu_kernels.status()}")
    yield mod
    mod.set_vector(True)


def eager(h: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(f, mask) the plain way: relu, then the readout in float64, then 1[h > 0]."""
    f = torch.einsum("rcm,rm->rc", torch.relu(h.double()), a.double())
    return f, (h > 0).float()


@pytest.mark.parametrize("m", [1, 7, 15, 16, 17, 31, 32, 33, 400])
def test_relu_readout_mask_against_the_three_eager_ops(ext, m):
    g = torch.Generator().manual_seed(m)
    rows, cols = 3, 5
    h = torch.randn(rows, cols, m, generator=g)
    a = torch.randn(rows, m, generator=g) / math.sqrt(m)
    f = torch.full((rows, cols), 7.0)
    f_ref, mask_ref = eager(h, a)
    cpu_kernels.relu_readout_mask(h, a, f)
    assert torch.equal(h, mask_ref)
    torch.testing.assert_close(f.double(), f_ref, rtol=1e-5, atol=1e-6)


def test_the_vector_and_the_portable_paths_give_the_same_bits(ext):
    g = torch.Generator().manual_seed(5)
    for m in (16, 33, 400):
        h = torch.randn(2, 50, m, generator=g) * 3
        a = torch.randn(2, m, generator=g)
        outs = []
        for vector in (True, False):
            ext.set_vector(vector)
            hh, f = h.clone(), torch.empty(2, 50)
            ext.relu_readout_mask(*cpu_kernels.relu_readout_mask_args(hh, a, f))
            outs.append((hh, f))
        assert torch.equal(outs[0][0], outs[1][0])
        assert torch.equal(outs[0][1], outs[1][1]), m  # bit for bit, not just close
    ext.set_vector(True)
    assert ext.vector_path() == "avx2+fma"  # module() hands it out only with the vector path


def test_nan_and_infinite_pre_activations(ext):
    m = 40
    h = torch.ones(1, 4, m)
    a = torch.ones(1, m)
    h[0, 0, 3] = float("nan")  # a NaN pre-activation: the output is NaN (divergence stays visible)
    h[0, 1, 20] = float("-inf")  # relu(−inf) = 0: the output stays finite
    h[0, 2, 35] = float("inf")  # in the tail
    h[0, 3, 39] = float("nan")  # NaN in the tail
    f = torch.empty(1, 4)
    cpu_kernels.relu_readout_mask(h, a, f)
    assert math.isnan(f[0, 0]) and math.isnan(f[0, 3])
    assert f[0, 1] == m - 1 and f[0, 2] == float("inf")
    assert h[0, 0, 3] == 0 and h[0, 1, 20] == 0 and h[0, 2, 35] == 1 and h[0, 3, 39] == 0


def test_views_into_larger_buffers_touch_nothing_else(ext):
    """The kernel's blocks are views: h = act[:rows, :cols] of a buffer with more samples, a =
    p.a[rs, :, 0] of [R, m, 1], f = out[rs, ns, 0] of [R, n, 1]."""
    g = torch.Generator().manual_seed(9)
    R, n, m = 5, 12, 37
    act = torch.randn(4, 10, m, generator=g)
    out = torch.full((R, n, 1), -3.0)
    pa = torch.randn(R, m, 1, generator=g)
    act0, out0 = act.clone(), out.clone()
    h, a, f = act[:3, :6], pa[1:4, :, 0], out[1:4, 2:8, 0]
    f_ref, mask_ref = eager(h, a)
    cpu_kernels.relu_readout_mask(h, a, f)
    assert torch.equal(act[:3, :6], mask_ref)
    torch.testing.assert_close(out[1:4, 2:8, 0].double(), f_ref, rtol=1e-5, atol=1e-6)
    assert torch.equal(act[3], act0[3]) and torch.equal(act[:3, 6:], act0[:3, 6:])
    keep = torch.ones(R, n, dtype=torch.bool)
    keep[1:4, 2:8] = False
    assert torch.equal(out[..., 0][keep], out0[..., 0][keep])


@pytest.mark.parametrize("bias", [False, True])
def test_scaled_rows_against_x_times_c(ext, bias):
    g = torch.Generator().manual_seed(int(bias))
    R, n, d = 4, 9, 6
    x = torch.randn(R, n, d, generator=g)
    buf = torch.full((3, 7, d + int(bias)), 5.0)  # a workspace buffer, larger than the view
    cbuf = torch.randn(3, 7, 1, generator=g)
    rhs, xs, c = buf[:2, :5], x[1:3, 3:8], cbuf[:2, :5, 0]
    before = buf.clone()
    cpu_kernels.scaled_rows(rhs, xs, c, bias)
    torch.testing.assert_close(rhs[..., :d], xs * c.unsqueeze(-1), rtol=0, atol=0)
    if bias:
        assert torch.equal(rhs[..., d], c)
    assert torch.equal(buf[2], before[2]) and torch.equal(buf[:2, 5:], before[:2, 5:])


def test_the_wrapper_refuses_layouts_the_c_loops_do_not_take():
    h, a, f = torch.zeros(2, 3, 8), torch.zeros(2, 8), torch.zeros(2, 3)
    with pytest.raises(ValueError, match="float32"):
        cpu_kernels.relu_readout_mask_args(h.double(), a, f)
    with pytest.raises(ValueError, match="strides"):
        cpu_kernels.relu_readout_mask_args(h.transpose(1, 2).contiguous().transpose(1, 2), a, f)
    with pytest.raises(ValueError, match="strides"):
        cpu_kernels.relu_readout_mask_args(h, torch.zeros(8, 2).T, f)
    with pytest.raises(ValueError, match="shape"):
        cpu_kernels.relu_readout_mask_args(h, a, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="strides"):
        cpu_kernels.scaled_rows_args(torch.zeros(2, 3, 5)[..., :4], torch.zeros(2, 3, 4),
                                     torch.zeros(2, 3), False)


def test_a_library_built_from_another_source_is_not_used(monkeypatch, tmp_path):
    other = tmp_path / "_cpu_kernels.c"
    other.write_text("/* another source */\n")
    monkeypatch.setattr(cpu_kernels, "SOURCE", other)
    cpu_kernels._load.cache_clear()
    try:
        assert cpu_kernels.module() is None
        assert cpu_kernels.status().startswith("torch (extension ")
        p = net.Params(W=torch.randn(2, 4, 3), a=torch.randn(2, 4, 1), b=None)
        assert net.Workspace(p, 5).fused is None  # the kernel takes its PyTorch path
        with pytest.raises(RuntimeError, match="CPU kernels"):
            cpu_kernels.relu_readout_mask(torch.zeros(1, 1, 1), torch.zeros(1, 1),
                                          torch.zeros(1, 1))
    finally:
        cpu_kernels._load.cache_clear()


def make32(R, n, m, d, bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(R, m, d, generator=g)
    a = torch.randn(R, m, 1, generator=g) / math.sqrt(m)
    b = 0.5 * torch.randn(R, m, generator=g) if bias else None
    x = torch.randn(R, n, d, generator=g)
    y = (1 - 2 * torch.randint(0, 2, (R, n), generator=g)).float()
    return net.Params(W=W, a=a, b=b, train_a=False), x, y


@pytest.fixture
def square_loss(monkeypatch):
    """A one-output loss without ψ (the kernel's general ∂ℓ/∂f path): ℓ = (f − y)² / 2, in the
    kernels' loss table for this test only (not a registered objective)."""
    name = "test_square_no_psi"

    def value(out, y):
        return 0.5 * (out[..., 0] - y) ** 2

    def value_and_dloss(out, y):
        r = out - y.unsqueeze(-1)
        return 0.5 * r[..., 0] ** 2, r.clone()

    monkeypatch.setitem(LOSSES, name, Loss(value, value_and_dloss))
    return name


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("objective", ["logistic", "square"])
def test_the_kernel_with_the_fused_pass_against_torch_and_autograd(ext, tune, square_loss, bias,
                                                                  threads, objective):
    objective = square_loss if objective == "square" else objective
    R, n, m, d = 6, 40, 37, 5
    p, x, y = make32(R, n, m, d, bias, seed=3)
    tune(cache_block_elements=2 * n * m)  # several blocks of runs
    if threads == 2:
        tune(worker_min_elements=0)
    with intra_op_threads(threads):
        ws = net.Workspace(p, n)
        assert ws.fused is ext and all(B.fused is not None for lane in ws._lanes(p, x)
                                       for B in (lane if isinstance(lane[0], net.kernel._Block)
                                                 else [b for u in lane for b in u]))
        assert ws.workers == (2 if threads == 2 else 0)
        g_fused, loss_fused, out_fused = net.loss_gradients(p, x, y, objective, workspace=ws)
        g_fused = {k: v.clone() for k, v in g_fused.items()}
        out_fused, loss_fused = out_fused.clone(), loss_fused.clone()
        tune(fused_cpu=False)
        plain = net.Workspace(p, n)
        assert plain.fused is None
        g_torch, loss_torch, out_torch = net.loss_gradients(p, x, y, objective, workspace=plain)
    torch.testing.assert_close(out_fused, out_torch, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(loss_fused, loss_torch, rtol=1e-5, atol=1e-6)
    for k in g_torch:
        torch.testing.assert_close(g_fused[k], g_torch[k], rtol=1e-5, atol=1e-6, msg=k)
    for r in (0, R - 1):  # autograd on one run at a time, in float64
        p64 = net.Params(W=p.W.double(), a=p.a.double(), b=None if p.b is None else p.b.double())
        W, a, b = leaves(p64, r, False)
        f = forward_one(W, a, b, x[r].double())
        if objective == "logistic":
            total = sample_losses(f, y[r].double(), "logistic").mean()
        else:
            total = (0.5 * (f[:, 0] - y[r].double()) ** 2).mean()
        ref = autograd_grads(total, W, a, b, False)
        for k in ref:
            torch.testing.assert_close(g_fused[k][r].double(), ref[k], rtol=1e-4, atol=1e-6,
                                       msg=f"{k} run {r}")


def test_training_with_and_without_the_fused_pass(ext, tune):
    """Whole training runs with probes agree to float32 rounding (the readout's sum order is the
    only difference)."""
    from twolayer.config import DataConfig, NetConfig, TrainConfig
    from twolayer.data import sample_dataset
    from twolayer.engine import Runtime, train

    data = sample_dataset(DataConfig(kind="xor", d=20, n=60, n_test=30, noise=0.1), [0, 1, 2],
                          torch.float32)
    params = net.init_params(NetConfig(m=24, second_layer="frei", bias=True), 20, [0, 1, 2],
                             init_var=0.01, dtype=torch.float32)
    rt = Runtime("cpu", progress=False)
    cfg = TrainConfig(steps=40, lr=0.5)
    times = [0, 1, 5, 20, 40]
    probes = ("errors", "correlations", "segments")
    assert net.Workspace(params, 60).fused is ext
    fused = train(params.clone(), data, cfg, times, probes, rt)
    tune(fused_cpu=False)
    plain = train(params.clone(), data, cfg, times, probes, rt)
    assert fused.arrays.keys() == plain.arrays.keys()
    for k, v in plain.arrays.items():
        np.testing.assert_allclose(fused.arrays[k], v, rtol=1e-4, atol=1e-5, err_msg=k)
    assert not all(np.array_equal(fused.arrays[k], v) for k, v in plain.arrays.items()), \
        "bit-identical: the fused pass did not run"


def test_records_say_which_cpu_kernel_ran():
    from twolayer.simulate import environment

    env = environment(torch.device("cpu"))
    assert env["cpu_kernels"] == cpu_kernels.status()
    assert env["cpu_kernels"] in ("fused (avx2+fma)",
                                  "fused (avx2+fma, avx512 forward for d <= 96)") \
        or env["cpu_kernels"].startswith("torch (")


@pytest.mark.parametrize("threads", [1, 2])
def test_in_step_segments_with_the_fused_pass(ext, tune, threads):
    """The grouped step of a probe time (net.grouped) takes the C pass too: its Gram matrix,
    gradient, outputs and losses agree with the same step on PyTorch's passes (float32) and the
    segment statistics with the probe on its own in float64."""
    from twolayer.config import DataConfig, NetConfig
    from twolayer.data import sample_dataset
    from twolayer.probes import ProbeState, run_probes, segment_split

    tune(worker_min_elements=0)
    with intra_op_threads(threads):
        cfg = DataConfig(d=5, n=36, n_test=10, noise=0.25, noise_model="per-cluster")
        data = sample_dataset(cfg, list(range(9)), torch.float32)
        p = net.init_params(NetConfig(m=38, bias=True), 5, list(range(9)), init_var=0.3,
                            dtype=torch.float32)
        results = []
        for fused in (True, False):
            tune(fused_cpu=fused)
            ws = net.Workspace(p, 36, budget=36 * 38)  # one run per block
            assert (ws.fused is not None) == fused
            groups = segment_split(data)
            ws.run(p, data.x, data.y, "logistic", 1.0 / 36, groups=groups)
            plan = ws._gplan[2]
            pairs = [pr for lane in plan for unit in lane
                     for pr in (unit if isinstance(unit, list) else [unit])]
            assert pairs and all((g.fused is not None) == fused for _, g in pairs)
            # with AVX-512 the grouped step computes pre in the C pass too, as the plain step
            assert all((g.forward is not None) == (fused and cpu_kernels.fused_forward(5))
                       for _, g in pairs)
            results.append((ws.gram.clone(), ws.gradients(p), ws.out.clone(), ws.loss.clone()))
    (gram_f, g_f, out_f, loss_f), (gram_t, g_t, out_t, loss_t) = results
    torch.testing.assert_close(gram_f, gram_t, rtol=1e-4, atol=1e-9)
    torch.testing.assert_close(out_f, out_t, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(loss_f, loss_t, rtol=1e-5, atol=1e-6)
    for k in g_t:
        torch.testing.assert_close(g_f[k], g_t[k], rtol=1e-5, atol=1e-6, msg=k)
    p64 = net.Params(W=p.W.double(), a=p.a.double(), b=p.b.double())
    d64 = data.to("cpu", torch.float64)
    state = ProbeState(0, p, p, data, "logistic")
    state.set_in_step("segments", gram_f)
    got = run_probes(["segments"], state)
    want = run_probes(["segments"], ProbeState(0, p64, p64, d64, "logistic"))
    for k in want:
        torch.testing.assert_close(got[k].double(), want[k], rtol=1e-3, atol=1e-6, msg=k)


def test_the_readout_alone_leaves_the_pre_activations(ext):
    """mask=False (net.forward): the same f, and h untouched."""
    g = torch.Generator().manual_seed(11)
    h = torch.randn(2, 7, 45, generator=g)
    a = torch.randn(2, 45, generator=g)
    h0 = h.clone()
    f_mask, f_only = torch.empty(2, 7), torch.empty(2, 7)
    cpu_kernels.relu_readout_mask(h, a, f_only, mask=False)
    assert torch.equal(h, h0)
    cpu_kernels.relu_readout_mask(h, a, f_mask)
    assert torch.equal(f_only, f_mask) and torch.equal(h, (h0 > 0).float())


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
def test_forward_with_the_fused_pass(ext, tune, monkeypatch, bias, threads):
    """net.forward takes the C readout (counted, mask off): the outputs of the PyTorch path and
    of a per-run float64 loop, within float32 rounding."""
    import twolayer.net.model as model

    R, n, m, d = 6, 50, 37, 5
    p, x, _ = make32(R, n, m, d, bias, seed=4)
    tune(cache_block_elements=2 * n * m)
    if threads == 2:
        tune(worker_min_elements=0)
    calls = []

    class Counting:  # the extension, counting the C calls net.forward makes
        def relu_readout_mask(self, *args):
            calls.append(args[-1])
            return ext.relu_readout_mask(*args)

        def forward_relu_mask(self, *args):  # with AVX-512: the forward GEMM in the pass
            calls.append(args[-1])
            return ext.forward_relu_mask(*args)

    monkeypatch.setattr(model, "fused_module", lambda: Counting())
    with intra_op_threads(threads):
        f_fused = net.forward(p, x)
        tune(fused_cpu=False)
        f_torch = net.forward(p, x)
    assert calls and set(calls) == {0}  # the C pass ran, without the mask
    torch.testing.assert_close(f_fused, f_torch, rtol=1e-5, atol=1e-6)
    for r in (0, R - 1):
        b = None if p.b is None else p.b[r].double()
        ref = forward_one(p.W[r].double(), p.a[r].double(), b, x[r].double())
        torch.testing.assert_close(f_fused[r].double(), ref, rtol=1e-5, atol=1e-6)


# ---- forward_relu_mask: the forward GEMM in the same pass (AVX-512) -----------------------------

def forward_inputs(rows, cols, m, d, bias, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, cols, d, generator=g)
    W = torch.randn(rows, m, d, generator=g) / math.sqrt(d)
    b = torch.randn(rows, m, generator=g) if bias else None
    a = torch.randn(rows, m, generator=g) / math.sqrt(m)
    return x, W, b, a


def forward_float64(x, W, b, a):
    """H = x Wᵀ + b and f = relu(H) a in float64: the oracle."""
    H = torch.einsum("rcd,rmd->rcm", x.double(), W.double())
    if b is not None:
        H = H + b.double().unsqueeze(1)
    return H, torch.einsum("rcm,rm->rc", H.relu(), a.double())


# columns: tails m mod 16 and the 32/16 column tiles; rows: multiples of the 8-row tile and not
@pytest.mark.parametrize("rows,cols,m,d,bias", [
    (2, 16, 400, 50, False), (1, 13, 33, 7, True), (3, 9, 48, 1, False), (1, 3, 5, 2, True),
    (2, 24, 16, 3, True), (1, 8, 31, 50, False), (2, 17, 64, 9, False),
])
def test_forward_relu_mask_against_float64(ext, rows, cols, m, d, bias):
    x, W, b, a = forward_inputs(rows, cols, m, d, bias, seed=rows * 1000 + m)
    H, f_ref = forward_float64(x, W, b, a)
    h, f = torch.full((rows, cols, m), 7.0), torch.full((rows, cols), 7.0)
    cpu_kernels.forward_relu_mask(x, W, b, a, h, f)
    torch.testing.assert_close(f.double(), f_ref, rtol=1e-5, atol=1e-5)
    clear = H.abs() > 1e-4  # away from the boundary float32 rounding could cross
    assert torch.equal(h[clear], (H[clear] > 0).float())
    assert set(h.unique().tolist()) <= {0.0, 1.0}
    h_pre, f2 = torch.empty(rows, cols, m), torch.empty(rows, cols)
    cpu_kernels.forward_relu_mask(x, W, b, a, h_pre, f2, mask=False)  # H itself
    torch.testing.assert_close(h_pre.double(), H, rtol=1e-5, atol=1e-5)
    assert torch.equal(f2, f)


def test_forward_relu_mask_reads_out_in_the_order_of_relu_readout_mask(ext):
    """The readout of forward_relu_mask is relu_readout_mask's on the H it computed: the same
    bits (the documented order of the sum: 16 lanes, a fixed tree, the tail)."""
    for m in (16, 45, 400):
        x, W, b, a = forward_inputs(2, 19, m, 11, True, seed=m)
        h_pre, f = torch.empty(2, 19, m), torch.empty(2, 19)
        cpu_kernels.forward_relu_mask(x, W, b, a, h_pre, f, mask=False)
        f_pass = torch.empty(2, 19)
        cpu_kernels.relu_readout_mask(h_pre.clone(), a, f_pass)
        assert torch.equal(f, f_pass), m


def test_forward_relu_mask_avx512_and_portable_give_the_same_bits(ext):
    if ext.forward_path() != "avx512":
        pytest.skip("no AVX-512 on this CPU: the step keeps the GEMM; the portable path is "
                    "checked against float64 above")
    for rows, cols, m, d, bias in [(2, 40, 400, 50, False), (1, 13, 45, 7, True)]:
        x, W, b, a = forward_inputs(rows, cols, m, d, bias, seed=cols)
        outs = []
        for avx512 in (True, False):
            ext.set_avx512(avx512)
            try:
                h, f = torch.empty(rows, cols, m), torch.empty(rows, cols)
                cpu_kernels.forward_relu_mask(x, W, b, a, h, f)
            finally:
                ext.set_avx512(True)
            outs.append((h, f))
        assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])


def test_forward_relu_mask_on_views_and_with_nan(ext):
    """The kernel's blocks: x[rs, ns], W[rs], h = act[:r, :c] of a larger buffer, f = out[rs, ns,
    0]; nothing outside the views is written, and a NaN input gives a NaN output, mask 0."""
    R, n, m, d = 4, 20, 37, 6
    x, W, b, a = forward_inputs(R, n, m, d, True, seed=4)
    x[2, 5, 3] = float("nan")
    act = torch.full((3, 16, m), 9.0)
    out = torch.full((R, n, 1), -3.0)
    rs, ns = slice(1, 3), slice(4, 14)
    h, f = act[:2, :10], out[rs, ns, 0]
    cpu_kernels.forward_relu_mask(x[rs, ns], W[rs], b[rs], a[rs], h, f)
    H, f_ref = forward_float64(x[rs, ns], W[rs], b[rs], a[rs])
    ok = ~torch.isnan(f_ref)
    torch.testing.assert_close(f.double()[ok], f_ref[ok], rtol=1e-5, atol=1e-5)
    assert math.isnan(f[1, 1]) and torch.isnan(f).sum() == 1  # sample 5 of run 2
    assert torch.equal(h[1, 1], torch.zeros(m))  # 1[NaN > 0] = 0
    assert (act[2] == 9.0).all() and (act[:2, 10:] == 9.0).all()
    keep = torch.ones(R, n, dtype=torch.bool)
    keep[rs, ns] = False
    assert (out[..., 0][keep] == -3.0).all()


def test_forward_relu_mask_takes_its_scratch_on_the_cpu_under_another_default_device(ext):
    """torch.set_default_device (e.g. "cuda" in a caller's session) must not move the scratch
    that C writes W into: "meta" stands in for a GPU here."""
    x, W, b, a = forward_inputs(2, 7, 19, 5, True, seed=6)
    h, f = torch.empty(2, 7, 19), torch.empty(2, 7)
    _, f_ref = forward_float64(x, W, b, a)
    torch.set_default_device("meta")
    try:
        cpu_kernels.forward_relu_mask(x, W, b, a, h, f)
    finally:
        torch.set_default_device(None)
    torch.testing.assert_close(f.double(), f_ref, rtol=1e-5, atol=1e-5)


def test_forward_relu_mask_args_refuse_other_layouts():
    x, W, a = torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 5)
    h, f, s = torch.zeros(2, 3, 5), torch.zeros(2, 3), torch.zeros(20)
    cpu_kernels.forward_relu_mask_args(x, W, None, a, h, f, s)  # the layout it takes
    with pytest.raises(ValueError, match="strides"):
        cpu_kernels.forward_relu_mask_args(x, W.transpose(1, 2).contiguous().transpose(1, 2),
                                           None, a, h, f, s)
    with pytest.raises(ValueError, match="scratch"):
        cpu_kernels.forward_relu_mask_args(x, W, None, a, h, f, torch.zeros(19))
    with pytest.raises(ValueError, match="scratch.*CPU"):  # a device pointer must never reach C
        cpu_kernels.forward_relu_mask_args(x, W, None, a, h, f, torch.zeros(20, device="meta"))
    with pytest.raises(ValueError, match="float32"):
        cpu_kernels.forward_relu_mask_args(x.double(), W, None, a, h, f, s)
    with pytest.raises(ValueError, match="shape"):
        cpu_kernels.forward_relu_mask_args(x, W, torch.zeros(2, 4), a, h, f, s)


def test_the_step_takes_the_forward_pass_where_the_cpu_has_avx512(ext):
    p, x, y = make32(4, 30, 40, 6, True, seed=2)
    ws = net.Workspace(p, 30)
    blocks = [B for lane in ws._lanes(p, x)
              for B in (lane if isinstance(lane[0], net.kernel._Block)
                        else [b for u in lane for b in u])]
    assert all((B.fused[5] is not None) == cpu_kernels.fused_forward() for B in blocks)
    assert cpu_kernels.status().endswith(
        "avx512 forward for d <= 96)" if cpu_kernels.fused_forward() else "(avx2+fma)")
    # past FORWARD_MAX_D the library's GEMM stays (the C pass measured slower there)
    p, x, y = make32(2, 30, 40, cpu_kernels.FORWARD_MAX_D + 1, False, seed=2)
    ws = net.Workspace(p, 30)
    assert ws.fused is ext and ws.scratch is None
    assert all(B.fused[5] is None for lane in ws._lanes(p, x)
               for B in (lane if isinstance(lane[0], net.kernel._Block)
                         else [b for u in lane for b in u]))


# ---- descend_rows and the update inside the worker lanes ----------------------------------------

@pytest.mark.parametrize("m,d,bias", [(400, 50, False), (37, 13, True), (8, 8, True),
                                      (5, 3, False)])
def test_descend_rows_against_its_formula(ext, m, d, bias):
    """W + (−α Gᵀ) ⊙ a, each product and sum rounded in float32 as written (PyTorch ops, one
    rounding each): the same bits; the AVX2 path (8 x 8 tiles) and the portable one alike."""
    g = torch.Generator().manual_seed(m)
    R = 3
    W = torch.randn(R, m, d, generator=g)
    b = torch.randn(R, m, generator=g) if bias else None
    G = torch.randn(R, d + int(bias), m, generator=g)
    a = torch.randn(R, m, generator=g)
    lr = 0.37
    v = torch.tensor(-lr, dtype=torch.float32)
    W_ref = W + (v * G[:, :d].transpose(1, 2)) * a.unsqueeze(-1)
    b_ref = b + (v * G[:, d]) * a if bias else None
    for vector in (True, False):
        ext.set_vector(vector)
        try:
            W2, b2 = W.clone(), b.clone() if bias else None
            cpu_kernels.descend_rows(W2, b2, G, a, lr)
        finally:
            ext.set_vector(True)
        assert torch.equal(W2, W_ref), vector
        if bias:
            assert torch.equal(b2, b_ref), vector


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("sample_blocks", [1, 3])
def test_the_update_inside_the_lanes_is_descend(ext, tune, fused, bias, sample_blocks):
    """run(..., lr) on worker lanes (each updates its runs after their last block) leaves the
    same parameters and gradient as run() then descend() in the caller; also where a run's
    samples come in several blocks (the update must wait for the last)."""
    tune(worker_min_elements=0, cache_block_elements=30 * 40 // sample_blocks, fused_cpu=fused)
    with intra_op_threads(2):
        p, x, y = make32(9, 30, 40, 6, bias, seed=8)  # 9 units of one run: ≥ 4 per lane
        ws = net.Workspace(p, 30)
        assert ws.workers == 2 and ws.units is not None and (ws.fused is not None) == fused
        assert all(len(u) == sample_blocks for u in ws.units)
        q = p.clone()
        ws.run(p, x, y, "logistic", 1 / 30, lr=0.3)
        G_lanes = ws.G.clone()
        ws2 = net.Workspace(q, 30)
        ws2.run(q, x, y, "logistic", 1 / 30)
        ws2.descend(q, 0.3)
    assert torch.equal(G_lanes, ws2.G)
    assert torch.equal(p.W, q.W) and not torch.equal(p.W, make32(9, 30, 40, 6, bias, seed=8)[0].W)
    if bias:
        assert torch.equal(p.b, q.b)


def test_forward_relu_mask_counts_zero_as_inactive(ext):
    """H = 0 exactly (a zero row of W, no bias) gives the mask 0, as torch's gt_(0), in the
    vector tiles and in the tail columns alike."""
    x, W, _, a = forward_inputs(1, 11, 45, 4, False, seed=3)
    zero = [5, 20, 40]  # a 32-wide tile, the 16-wide group, the tail (45 mod 16 = 13)
    W[0, zero] = 0.0
    h, f = torch.empty(1, 11, 45), torch.empty(1, 11)
    cpu_kernels.forward_relu_mask(x, W, None, a, h, f)
    assert (h[0][:, zero] == 0).all()
    H, f_ref = forward_float64(x, W, None, a)
    torch.testing.assert_close(f.double(), f_ref, rtol=1e-5, atol=1e-5)
