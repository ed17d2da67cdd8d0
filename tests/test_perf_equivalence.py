"""The fast paths of the engine give the numbers of the straightforward formulas.

- the blocked, in-place gradient kernel (net.Workspace, with the one-GEMM Mᵀ[c ⊙ x, c] form for
  one output) against the textbook closed form δ = (c aᵀ) ⊙ 1[pre > 0], ∇W = δᵀx, ∇b = Σ δ,
  ∇a = φ(pre)ᵀ c written out here on the whole batch at once;
- chunked (many blocks over runs and samples) against unchunked (one block: the cache cap lifted
  and the budget above R·n·m), for the gradients, the forward pass, and whole training runs with
  probes;
- the in-place descent step against θ − α∇L̂;
- the grouped (sorted, padded) segment gradients against masked sums and against a
  one-sample-at-a-time autograd loop.

The engine has no torch.compile path (measured: no gain on the CPU it was tuned on, see
docs/benchmarks.md), so there is no compiled-vs-eager comparison to make.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from core_oracles import autograd_grads, forward_one, leaves, sample_losses

from twolayer import net
from twolayer.config import DataConfig, NetConfig, TrainConfig
from twolayer.data import sample_dataset
from twolayer.engine import Runtime, train
from twolayer.net import Params
from twolayer.probes import segment_gradients

pytestmark = pytest.mark.usefixtures("single_thread")
TOL = {torch.float64: dict(rtol=1e-10, atol=1e-12), torch.float32: dict(rtol=2e-4, atol=2e-6)}
HEADS = [("logistic", 1), ("softmax", 3)]


@pytest.fixture
def unchunked(tune):
    """Lift the CPU cache cap so that a large budget means one block for everything."""
    tune(cache_block_elements=1 << 40)


def make(R, n, m, d, o, bias, train_a, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(R, m, d, generator=gen, dtype=dtype)
    a = torch.randn(R, m, o, generator=gen, dtype=dtype) / math.sqrt(m)
    b = 0.5 * torch.randn(R, m, generator=gen, dtype=dtype) if bias else None
    x = torch.randn(R, n, d, generator=gen, dtype=dtype)
    if o == 1:
        y = 1 - 2 * torch.randint(0, 2, (R, n), generator=gen)
    else:
        y = torch.randint(0, o, (R, n), generator=gen)
    return Params(W=W, a=a, b=b, train_a=train_a), x, y


def textbook(p: Params, x, c):
    """The closed form on the whole batch, no blocks, no tricks."""
    pre = torch.bmm(x, p.W.transpose(1, 2))
    if p.b is not None:
        pre = pre + p.b.unsqueeze(1)
    delta = torch.bmm(c, p.a.transpose(1, 2)) * (pre > 0)
    g = {"W": torch.bmm(delta.transpose(1, 2), x)}
    if p.b is not None:
        g["b"] = delta.sum(1)
    if p.train_a:
        g["a"] = torch.bmm(torch.relu(pre).transpose(1, 2), c)
    return g, torch.bmm(torch.relu(pre), p.a)


@pytest.mark.parametrize("objective,o", HEADS)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("train_a", [False, True])
@pytest.mark.parametrize("budget", [7 * 3, 2 * 11 * 7, 1 << 30], ids=["tiny", "runs", "one"])
def test_fast_kernel_matches_textbook_closed_form(objective, o, bias, train_a, budget):
    R, n, m, d = 5, 11, 7, 4
    p, x, y = make(R, n, m, d, o, bias, train_a)
    w = torch.rand(R, n, dtype=x.dtype)
    for weights in (None, w):
        grads, loss, out = net.loss_gradients(p, x, y, objective, weights, budget=budget)
        s = (1.0 / n) if weights is None else weights.unsqueeze(-1)
        f_ref = textbook(p, x, torch.zeros(R, n, o, dtype=x.dtype))[1]
        loss_ref, dl = net.loss_and_dloss(f_ref, y, objective)
        ref, _ = textbook(p, x, dl * s)
        torch.testing.assert_close(out, f_ref, **TOL[x.dtype])
        torch.testing.assert_close(loss, loss_ref, **TOL[x.dtype])
        assert set(grads) == set(ref)
        for k in ref:
            torch.testing.assert_close(grads[k], ref[k], **TOL[x.dtype], msg=k)


@pytest.mark.parametrize("o", [1, 3])
@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
def test_gradients_from_coeffs_chunked_equals_unchunked(unchunked, o, bias, train_a):
    R, n, m, d = 4, 13, 6, 3
    p, x, _ = make(R, n, m, d, o, bias, train_a, seed=1)
    c = torch.randn(R, n, o, dtype=x.dtype, generator=torch.Generator().manual_seed(2))
    whole = net.gradients_from_coeffs(p, x, c, budget=1 << 30)
    assert net.block_shape(R, n, m, 1 << 30) == (R, n)  # really one block
    ref, _ = textbook(p, x, c)
    for budget in (m, 3 * m, n * m, 2 * n * m + 5):
        part = net.gradients_from_coeffs(p, x, c, budget=budget)
        for k in whole:
            torch.testing.assert_close(part[k], whole[k], **TOL[x.dtype], msg=f"{k} {budget}")
            torch.testing.assert_close(whole[k], ref[k], **TOL[x.dtype], msg=k)


@pytest.mark.parametrize("o", [1, 2])
def test_forward_chunked_equals_unchunked_and_plain(unchunked, o):
    p, x, _ = make(3, 17, 5, 4, o, True, False, seed=3)
    plain = torch.stack([forward_one(p.W[r], p.a[r], p.b[r], x[r]) for r in range(3)])
    for budget in (5, 2 * 5 * 3, 1 << 30):
        torch.testing.assert_close(net.forward(p, x, budget), plain, **TOL[x.dtype])


def test_blocks_cover_every_run_and_sample_once():
    for R, n, m, budget in [(5, 11, 7, 21), (5, 11, 7, 200), (1, 3, 2, 1), (4, 4, 4, 1 << 30)]:
        shape = net.block_shape(R, n, m, budget)
        assert shape[0] * shape[1] * m <= max(budget, m)
        seen = torch.zeros(R, n, dtype=torch.long)
        for rs, ns in net.blocks(R, n, shape):
            seen[rs, ns] += 1
        assert bool((seen == 1).all())


def test_cpu_blocks_stay_near_the_cache_size():
    rc, nc = net.block_shape(64, 1000, 400, net.DEFAULT_CHUNK_ELEMENTS, torch.device("cpu"))
    assert rc * nc * 400 <= net.tuning().cache_block_elements * torch.get_num_threads()
    assert nc == 1000  # whole runs: no sample split when a run fits


@pytest.mark.parametrize("objective,o", HEADS)
@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
def test_descent_step_is_theta_minus_lr_grad(objective, o, bias, train_a):
    p, x, y = make(3, 9, 5, 4, o, bias, train_a, seed=4)
    lr = 0.37
    grads, loss_ref, _ = net.loss_gradients(p, x, y, objective)
    q = p.clone()
    ws = net.Workspace(q, x.shape[1], budget=2 * 5 * 4)
    loss = net.descent_step(q, x, y, objective, lr, ws)
    torch.testing.assert_close(loss, loss_ref, **TOL[x.dtype])
    for k, g in grads.items():
        torch.testing.assert_close(getattr(q, k), getattr(p, k) - lr * g, **TOL[x.dtype], msg=k)


def test_workspace_reuse_across_shapes_is_safe():
    p, x, y = make(2, 8, 4, 3, 1, False, False, seed=5)
    ws = net.Workspace(p, 8)
    g1, _, _ = net.loss_gradients(p, x, y, "logistic", workspace=ws)
    g1 = {k: v.clone() for k, v in g1.items()}
    # another n: the workspace does not fit and a fresh one is used
    g2, _, _ = net.loss_gradients(p, x[:, :5], y[:, :5], "logistic", workspace=ws)
    ref, _, _ = net.loss_gradients(p, x[:, :5], y[:, :5], "logistic")
    torch.testing.assert_close(g2["W"], ref["W"], **TOL[x.dtype])
    g3, _, _ = net.loss_gradients(p, x, y, "logistic", workspace=ws)
    torch.testing.assert_close(g3["W"], g1["W"], **TOL[x.dtype])


# -- grouped segment gradients ----------------------------------------------------------------
@pytest.mark.parametrize("o", [1, 3])
@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
@pytest.mark.parametrize("budget", [4, 3 * 6 * 5, 1 << 30], ids=["tiny", "some", "one"])
@pytest.mark.parametrize("layout", [1 << 18, 8], ids=["one-layout", "layout-per-block"])
def test_grouped_gradients_match_masked_sums(tune, o, bias, train_a, budget, layout):
    tune(layout_entries=layout)
    R, n, m, d, S = 5, 10, 6, 3, 4
    p, x, _ = make(R, n, m, d, o, bias, train_a, seed=6)
    gen = torch.Generator().manual_seed(7)
    # entries: every sample once in a random group (some unused), then again in group S−1
    # with other coefficients for a random subset; group sizes differ between runs
    g0 = torch.randint(-1, S - 1, (R, n), generator=gen)
    again = torch.rand(R, n, generator=gen) < 0.4
    groups = torch.cat([g0, torch.where(again, S - 1, -1)], 1)
    coeffs = torch.randn(R, 2 * n, o, generator=gen, dtype=x.dtype)
    rows = torch.arange(n).repeat(2).expand(R, 2 * n)
    got = net.grouped_gradients(p, x, groups, coeffs, S, rows, budget)
    x2 = x[:, rows[0]]  # the entries as samples
    masks = torch.stack([groups == s for s in range(S)])
    want = segment_gradients(p, x2, coeffs, masks, 1 << 30)
    torch.testing.assert_close(got, want, **TOL[x.dtype])
    # and one group by hand: run 0, group 0, as a plain sum of textbook gradients
    sel = groups[0] == 0
    ref, _ = textbook(p.select([0]), x2[:1, sel[...]], coeffs[:1, sel])
    torch.testing.assert_close(got[0, 0], net.flatten(ref)[0], **TOL[x.dtype])


def test_grouped_gradients_with_empty_groups_and_one_run():
    p, x, _ = make(1, 6, 4, 3, 1, False, False, seed=8)
    groups = torch.tensor([[2, 2, -1, 2, 0, -1]])
    c = torch.randn(1, 6, 1, dtype=x.dtype)
    got = net.grouped_gradients(p, x, groups, c, 4)
    assert torch.equal(got[1], torch.zeros_like(got[1]))  # group 1 is empty
    assert torch.equal(got[3], torch.zeros_like(got[3]))
    ref, _ = textbook(p, x[:, [0, 1, 3]], c[:, [0, 1, 3]])
    torch.testing.assert_close(got[2], net.flatten(ref), **TOL[x.dtype])


def test_segment_gradient_of_the_probe_equals_per_sample_autograd():
    """Group gradients of one run against a one-sample-at-a-time autograd loop (1/n included)."""
    p, x, y = make(2, 9, 5, 3, 1, True, True, seed=9)
    n = x.shape[1]
    _, dl = net.loss_and_dloss(net.forward(p, x), y, "logistic")
    groups = (torch.arange(n) % 3).expand(2, n)
    got = net.grouped_gradients(p, x, groups, dl / n, 3, budget=7)
    for r in range(2):
        for s in range(3):
            total = None
            for i in range(n):
                if i % 3 != s:
                    continue
                W, a, b = leaves(p, r, True)
                ell = sample_losses(forward_one(W, a, b, x[r, i : i + 1]), y[r, i : i + 1],
                                    "logistic").sum() / n
                gi = autograd_grads(ell, W, a, b, True)
                flat = torch.cat([gi[k].reshape(-1) for k in ("W", "b", "a")])
                total = flat if total is None else total + flat
            torch.testing.assert_close(got[s, r], total, **TOL[x.dtype])


# -- whole runs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("objective", ["logistic", "softmax"])
def test_training_records_do_not_depend_on_the_chunking(unchunked, objective):
    k = 2 if objective == "logistic" else 3
    kind = "xor" if k == 2 else "clusters"
    cfg = DataConfig(kind=kind, d=6, n=40, n_test=30, noise=0.2, num_classes=k)
    data = sample_dataset(cfg, [0, 1, 2], torch.float64)
    o = 1 if objective == "logistic" else k
    p = net.init_params(NetConfig(m=8, outputs=o, second_layer="frei" if o == 1 else "gaussian",
                                  bias=True), 6, [0, 1, 2], init_var=0.1, dtype=torch.float64)
    tc = TrainConfig(steps=12, lr=0.5, objective=objective)
    probes = ("errors", "correlations", "segments")
    runs = [
        train(p, data, tc, [0, 1, 5, 12], probes, Runtime("cpu", budget=b, progress=False))
        for b in (8, 3 * 8 * 7, 1 << 30)
    ]
    for other in runs[:-1]:
        for key, want in runs[-1].arrays.items():
            np.testing.assert_allclose(other.arrays[key], want, rtol=1e-5, atol=1e-7,
                                       err_msg=key)  # arrays are stored as float32
        torch.testing.assert_close(other.params.W, runs[-1].params.W, **TOL[torch.float64])


@pytest.mark.parametrize("o,bias,train_a", [(1, False, False), (1, True, True), (3, True, False)])
def test_grouped_gram_is_the_gram_matrix_of_the_group_gradients(o, bias, train_a):
    R, n, m, d, S = 5, 12, 6, 3, 3
    p, x, _ = make(R, n, m, d, o, bias, train_a, seed=10)
    gen = torch.Generator().manual_seed(11)
    groups = torch.randint(-1, S, (R, n), generator=gen)
    coeffs = torch.randn(R, n, o, generator=gen, dtype=x.dtype)
    for budget in (5, 2 * n * m, 1 << 30):
        g = net.grouped_gradients(p, x, groups, coeffs, S, budget=budget)  # [S, R, P]
        gram = net.grouped_gram(p, x, groups, coeffs, S, budget=budget)
        want = torch.einsum("srp,trp->rst", g, g)
        torch.testing.assert_close(gram, want.to(torch.float64), **TOL[x.dtype])


def test_float32_segment_norms_survive_cancellation():
    """‖g_C + g_N‖ when g_N ≈ −g_C: the Gram route (float64 sums) is as accurate as adding the
    float32 group vectors first."""
    p, x, _ = make(1, 8, 5, 3, 1, False, False, dtype=torch.float32, seed=12)
    c = torch.randn(1, 4, 1, generator=torch.Generator().manual_seed(13))
    coeffs = torch.cat([c, -c * (1 - 1e-3)], 1)  # the second half nearly cancels the first
    xx = torch.cat([x[:, :4], x[:, :4]], 1)
    groups = torch.tensor([[0] * 4 + [1] * 4])
    gram = net.grouped_gram(p, xx, groups, coeffs, 2)
    g = net.grouped_gradients(p.to("cpu", torch.float64), xx.double(), groups, coeffs.double(), 2)
    exact = (g[0] + g[1]).norm(dim=-1)
    u = torch.ones(2, dtype=torch.float64)
    got = (u @ gram[0] @ u).sqrt()
    assert abs(float(got) - float(exact[0])) <= 1e-2 * float(exact[0])


# -- worker threads -----------------------------------------------------------------------------
@pytest.fixture
def two_threads(tune):
    """Two intra-op threads, and the worker threads used even for these tiny shapes."""
    tune(worker_min_elements=0)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("objective,o", HEADS)
@pytest.mark.parametrize("bias,train_a", [(False, False), (True, True)])
@pytest.mark.parametrize(
    "R,n,per_block,split",
    [(9, 9, 9, False), (9, 9, 4, False), (7, 9, 9, True), (1, 9, 4, True), (3, 1, 1, True)],
    ids=["whole-runs", "runs-chunked", "split-samples", "one-run-chunked", "n<threads"],
)
@pytest.mark.parametrize("dynamic", [True, False], ids=["shared-counter", "fixed-shares"])
def test_worker_threads_give_the_single_thread_numbers(two_threads, tune, objective, o,
                                                        bias, train_a, R, n, per_block, split,
                                                        dynamic):
    m, d = 5, 4
    tune(dynamic=dynamic)
    p, x, y = make(R, n, m, d, o, bias, train_a, seed=14)
    budget = per_block * m  # samples per block (one run)
    assert net.worker_threads(R, n, m, budget, x.device) == 2
    threaded = net.Workspace(p, n, budget)
    assert threaded.workers == 2 and threaded.split == split
    assert (threaded.units is not None) == (dynamic and not split)
    f_threaded = net.forward(p, x, budget)
    g_t, loss_t, out_t = net.loss_gradients(p, x, y, objective, budget=budget,
                                            workspace=threaded)
    tune(threaded=False)
    plain = net.Workspace(p, n, budget)
    assert plain.workers == 0
    g_p, loss_p, out_p = net.loss_gradients(p, x, y, objective, budget=budget, workspace=plain)
    s = 1.0 / n
    f_ref = textbook(p, x, torch.zeros(R, n, o, dtype=x.dtype))[1]
    _, dl = net.loss_and_dloss(f_ref, y, objective)
    ref, _ = textbook(p, x, dl * s)
    torch.testing.assert_close(out_t, out_p, **TOL[x.dtype])
    torch.testing.assert_close(f_threaded, f_ref, **TOL[x.dtype])
    torch.testing.assert_close(loss_t, loss_p, **TOL[x.dtype])
    for k in ref:
        torch.testing.assert_close(g_t[k], g_p[k], **TOL[x.dtype], msg=k)
        torch.testing.assert_close(g_t[k], ref[k], **TOL[x.dtype], msg=k)
    assert torch.get_num_threads() == 2  # the caller's setting is untouched


def test_grouped_pass_on_worker_threads_with_several_layouts(two_threads, tune):
    R, n, m, d, S = 7, 8, 5, 3, 3
    p, x, _ = make(R, n, m, d, 1, True, False, seed=18)
    gen = torch.Generator().manual_seed(19)
    groups = torch.randint(-1, S, (R, n), generator=gen)
    coeffs = torch.randn(R, n, 1, generator=gen, dtype=x.dtype)
    masks = torch.stack([groups == s for s in range(S)])
    want = segment_gradients(p, x, coeffs, masks, 1 << 30)
    tune(layout_entries=3 * n)
    assert net.worker_threads(R, n, m, n * m, x.device) == 2
    got = net.grouped_gradients(p, x, groups, coeffs, S, budget=n * m)  # a run per block
    torch.testing.assert_close(got, want, **TOL[x.dtype])
    gram = net.grouped_gram(p, x, groups, coeffs, S, budget=n * m)
    torch.testing.assert_close(gram, torch.einsum("srp,trp->rst", want, want), **TOL[x.dtype])


def test_worker_threads_report_errors(two_threads):
    p, x, y = make(4, 5, 3, 2, 1, False, False, seed=15)
    ws = net.Workspace(p, 5, budget=5 * 3)
    assert ws.workers == 2
    bad = torch.ones(4, 2, 1, dtype=x.dtype)  # coefficients of the wrong length: fails in a worker
    with pytest.raises(RuntimeError):
        ws.run(p, x, None, "", 1.0, coeffs=bad)
    ws.run(p, x, y, "logistic", 0.2)  # the pool still works afterwards
    ref, _, _ = net.loss_gradients(p, x, y, "logistic")
    torch.testing.assert_close(ws.gradients(p)["W"], ref["W"], **TOL[x.dtype])


@pytest.mark.parametrize("R", [4, 9], ids=["split-samples", "whole-runs"])
def test_training_with_worker_threads_equals_one_thread(two_threads, tune, R):
    cfg = DataConfig(d=6, n=30, n_test=20, noise=0.2)
    data = sample_dataset(cfg, list(range(R)), torch.float64)
    p = net.init_params(NetConfig(m=8), 6, list(range(R)), init_var=0.1, dtype=torch.float64)
    assert net.Workspace(p, 30, 30 * 8).split == (R == 4)
    tc = TrainConfig(steps=10, lr=0.5)
    rt = Runtime("cpu", budget=30 * 8, progress=False)  # one run per block
    a = train(p, data, tc, [0, 3, 10], ("errors", "segments"), rt)
    tune(threaded=False)
    b = train(p, data, tc, [0, 3, 10], ("errors", "segments"), rt)
    torch.testing.assert_close(a.params.W, b.params.W, **TOL[torch.float64])
    for key in a.arrays:
        np.testing.assert_allclose(a.arrays[key], b.arrays[key], rtol=1e-6, atol=1e-8)


def test_concurrent_callers_share_the_workers_safely(two_threads):
    import threading

    p, x, y = make(6, 7, 4, 3, 1, False, False, seed=16)
    ref, _, _ = net.loss_gradients(p, x, y, "logistic", budget=7 * 4)
    results, errors = [], []

    def call():
        try:
            for _ in range(20):
                g, _, _ = net.loss_gradients(p, x, y, "logistic", budget=7 * 4)
                results.append(g["W"])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 60
    for g in results:
        torch.testing.assert_close(g, ref["W"], **TOL[x.dtype])


def test_a_forked_child_gets_its_own_workers(two_threads):
    import multiprocessing as mp

    p, x, y = make(4, 5, 3, 2, 1, False, False, seed=17)
    ref, _, _ = net.loss_gradients(p, x, y, "logistic", budget=5 * 3)  # parent pool exists now
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_child_gradient, (p, x, y)).get(timeout=120)
    torch.testing.assert_close(got, ref["W"], **TOL[x.dtype])


def _child_gradient(p, x, y):
    torch.set_num_threads(2)
    return net.loss_gradients(p, x, y, "logistic", budget=5 * 3)[0]["W"]


# -- segment gradients taken during the step ------------------------------------------------------
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
def test_segments_in_the_step_equal_the_probe_on_its_own(tune, bias, threads):
    """The engine hands the segments probe the Gram matrix of the group gradients taken during
    the step; the probe on its own (grouped pass) must give the same statistics."""
    from twolayer.probes import ProbeState, run_probes

    tune(worker_min_elements=0)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        cfg = DataConfig(d=5, n=36, n_test=10, noise=0.25, noise_model="per-cluster")
        data = sample_dataset(cfg, list(range(9)), torch.float64)
        p = net.init_params(NetConfig(m=6, bias=bias), 5, list(range(9)), init_var=0.3,
                            dtype=torch.float64)
        ws = net.Workspace(p, 36, budget=36 * 6)  # one run per block: 9 blocks
        assert ws.can_split(p) and (ws.workers == 2) == (threads == 2)
        from twolayer.probes import segment_split

        ws.run(p, data.x, data.y, "logistic", 1.0 / 36, groups=segment_split(data))
        state = ProbeState(0, p, p, data, "logistic")
        state.set_in_step("segments", ws.gram)
        got = run_probes(["segments"], state)
        want = run_probes(["segments"], ProbeState(0, p, p, data, "logistic"))
        for k in want:
            torch.testing.assert_close(got[k], want[k], rtol=1e-9, atol=1e-12, msg=k)
        # and the step's own gradient (the sum of the groups') is the gradient; its outputs
        # and losses are in the samples' order (the grouped step sorts them internally)
        ref, loss, out = net.loss_gradients(p, data.x, data.y, "logistic")
        grads = ws.gradients(p)
        for k in ref:
            torch.testing.assert_close(grads[k], ref[k], **TOL[torch.float64], msg=k)
        torch.testing.assert_close(ws.out, out, **TOL[torch.float64])
        torch.testing.assert_close(ws.loss, loss, **TOL[torch.float64])
    finally:
        torch.set_num_threads(before)


def test_training_with_in_step_segments_equals_probes_after_training():
    """Whole training runs: segments statistics recorded during training (in the step) equal
    the probe applied afterwards to the parameters of that time."""
    cfg = DataConfig(d=5, n=30, n_test=10, noise=0.2)
    data = sample_dataset(cfg, [0, 1], torch.float64)
    p = net.init_params(NetConfig(m=6), 5, [0, 1], init_var=0.3, dtype=torch.float64)
    rt = Runtime("cpu", progress=False)
    res = train(p, data, TrainConfig(steps=7, lr=0.5), [0, 3, 7], ("segments",), rt)
    from twolayer.probes import ProbeState, run_probes

    q = p
    for t_prev, t in ((0, 3), (3, 7)):  # re-run to time t and probe directly
        q = train(q, data, TrainConfig(steps=t - t_prev, lr=0.5), [], (), rt).params
        want = run_probes(["segments"], ProbeState(t, q, p, data, "logistic"))
        col = [0, 3, 7].index(t)
        for k, v in want.items():
            np.testing.assert_allclose(res.arrays[k][:, col], v.numpy(), rtol=1e-6, atol=1e-9,
                                       err_msg=k)


def test_group_split_checks_its_input():
    with pytest.raises(ValueError):
        net.GroupSplit(torch.tensor([[0, 2, 1]]), 2, [1], torch.tensor([[1, 1, -1]]))
    p, x, y = make(2, 6, 4, 3, 3, False, False, seed=20)  # three outputs: not supported
    ws = net.Workspace(p, 6)
    split = net.GroupSplit(torch.zeros(2, 6, dtype=torch.long), 1, [], y)
    with pytest.raises(ValueError):
        ws.run(p, x, y, "softmax", 1.0 / 6, groups=split)


@pytest.mark.parametrize("R", [4, 9], ids=["split-samples", "whole-runs"])
def test_divergence_is_found_on_worker_threads_as_on_one(two_threads, tune, R):
    from twolayer.errors import DivergenceError

    cfg = DataConfig(d=6, n=30, n_test=10, noise=0.2)
    data = sample_dataset(cfg, list(range(R)), torch.float32)
    p = net.init_params(NetConfig(m=8), 6, list(range(R)), init_var=0.1)
    x = data.x.clone()
    x[R - 2, 7] = float("inf")  # this run's loss is not finite from step 0 on
    data = dataclasses.replace(data, x=x)
    rt = Runtime("cpu", budget=30 * 8, progress=False)
    tc = TrainConfig(steps=5, lr=0.1)
    errs = []
    for threaded in (True, False):
        tune(threaded=threaded)
        for times in ([0, 5], [5]):  # a probe at the bad step, or none before the end
            with pytest.raises(DivergenceError) as e:
                train(p, data, tc, times, ("errors",), rt)
            errs.append((e.value.run, e.value.step))
    assert errs == [(R - 2, 0)] * 4


# -- memory: the gradient without a second W-sized tensor, idle workers holding nothing -----------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("o,bias,train_a", [(1, False, False), (1, False, True), (1, True, False),
                                            (3, False, False), (3, True, True)])
@pytest.mark.parametrize("R,budget,threads", [(5, 2 * 7 * 4 + 5, 1), (5, 1, 1), (5, 1 << 30, 1),
                                              (7, 3 * 7 * 4, 2), (1, 7 * 4, 2)],
                         ids=["blocks-2-2-1", "run-by-run", "one-block", "workers", "split"])
def test_gradients_from_coeffs_are_bitwise_the_full_tensor_formula(
        request, tune, dtype, o, bias, train_a, R, budget, threads):
    """gradients_from_coeffs forms ∇_W = a ⊙ Gᵀ in G's own memory a few runs at a time (here
    min(budget, ·) // (m d) runs: blocks of 2, 2, 1; one run at a time; all at once); it and
    Workspace.gradients give bitwise the plain full-tensor expression (a ⊙ Gᵀ).contiguous() of
    the same accumulator. A dropped or misplaced block would leave G's raw entries there."""
    n, m, d = 9, 7, 4
    if threads == 2:
        request.getfixturevalue("two_threads")
    p, x, _ = make(R, n, m, d, o, bias, train_a, dtype=dtype, seed=21)
    c = torch.randn(R, n, o, dtype=dtype, generator=torch.Generator().manual_seed(22))
    ws = net.Workspace(p, n, budget)
    assert (ws.workers == 2) == (threads == 2)
    ws.run(p, x, None, "", 1.0, coeffs=c)
    if o == 1:  # the old formula, and the bias and a gradients as before
        ref = {"W": (p.a * ws.G[:, :d].transpose(1, 2)).contiguous()}
        if bias:
            ref["b"] = p.a[..., 0] * ws.G[:, d]
    else:
        ref = {"W": ws.gW.clone()}
        if bias:
            ref["b"] = ws.gb.clone()
    if train_a:
        ref["a"] = ws.ga.clone()
    plain = ws.gradients(p)
    got = net.gradients_from_coeffs(p, x, c, budget=budget)
    assert set(got) == set(plain) == set(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape and got[k].is_contiguous(), k
        assert torch.equal(got[k], ref[k]), k
        assert torch.equal(plain[k], ref[k]), k
    textbook_ref, _ = textbook(p, x, c)
    for k in ref:
        torch.testing.assert_close(got[k], textbook_ref[k], **TOL[dtype], msg=k)


def test_idle_workers_keep_no_reference_to_their_last_task(two_threads):
    """A worker drops its task before reporting it done: an idle worker that held its last task
    kept that task's tensors (a workspace's buffers, the data) alive until the next task."""
    import weakref

    from twolayer.lanes import pool

    t = torch.zeros(100)
    ref = weakref.ref(t)
    pool(2).map(torch.Tensor.add_, [(t, 1.0), (t, 1.0)])
    assert float(t[0]) == 2.0
    del t
    assert ref() is None
    p, x, _ = make(6, 5, 3, 2, 1, False, False, seed=23)  # and a gradient on the workers
    c = torch.randn(6, 5, 1, dtype=x.dtype)
    assert net.Workspace(p, 5, 5 * 3).workers == 2
    refs = [weakref.ref(v) for v in (x, c)]
    g = net.gradients_from_coeffs(p, x, c, budget=5 * 3)
    del x, c
    assert all(r() is None for r in refs)
    assert g["W"].shape == (6, 3, 2)
