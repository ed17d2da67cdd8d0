"""The ``errors`` and ``segments`` probes give bitwise the outputs of their earlier, plainer code.

Both probes were rewritten to dispatch fewer tensor operations per probe time (each one costs
host launch time on a GPU); the arithmetic of every output element stayed the same. The oracle
is that earlier code, copied here verbatim (``_old_errors``, ``_old_segments``): every key, dtype,
shape and bit (NaN and ±0 included: the bits are compared as integers) must agree, on binary
(one output and two outputs) and 3-class data, in float32 and float64, with the Gram matrix of
the segments taken by the probe itself, by the training step (net.Workspace) or handed in; on
the CPU, and on CUDA where there is a GPU.
"""

from __future__ import annotations

import functools

import pytest
import torch

from twolayer import net
from twolayer.config import DataConfig, NetConfig
from twolayer.data import sample_dataset
from twolayer.net import Params
from twolayer.probes import ProbeState, errors_probe, segment_groups, segment_split
from twolayer.probes import segments_probe as new_segments

pytestmark = pytest.mark.usefixtures("single_thread")


# -- the oracle: the probes' code before the rewrite, verbatim ---------------------------------
def _old_errors(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    out, out_t = s.out_train(), s.out_test()
    dt = out.dtype
    wrong = net.errors(out, d.y).to(dt)
    wrong_true = net.errors(out, d.y_true).to(dt)
    loss = net.sample_loss(out, d.y, s.objective)
    loss_t = net.sample_loss(out_t, d.y_test_true, s.objective)
    clean, noisy = (~d.noisy).to(dt), d.noisy.to(dt)
    # the five means over a subset as one masked mean of [R, 5, n] (as masked_mean: NaN where a
    # subset is empty); a handful of operations instead of twenty at every probe time
    values = torch.stack([wrong, 1.0 - wrong, wrong_true, loss, loss], 1)
    masks = torch.stack([clean, noisy, noisy, clean, noisy], 1)
    sub = (values * masks).sum(-1) / masks.sum(-1)
    return {
        "train_error": wrong.mean(-1),
        "train_error_clean": sub[:, 0],
        "noisy_fit_fraction": sub[:, 1],
        "noisy_error_true": sub[:, 2],
        "loss": loss.mean(-1),
        "loss_clean": sub[:, 3],
        "loss_noisy": sub[:, 4],
        "test_error": net.errors(out_t, d.y_test).to(dt).mean(-1),
        "test_error_clean": net.errors(out_t, d.y_test_true).to(dt).mean(-1),
        "test_loss_clean": loss_t.mean(-1),
    }


@functools.lru_cache(maxsize=16)
def _forms(C: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    U = torch.zeros(4, 2 * C + 1, dtype=dtype)
    U[0, : 2 * C] = 1.0  # g = g_C + g_N
    U[1, 0 : 2 * C : 2] = 1.0  # g_C: the clean groups 2c
    U[2, 1 : 2 * C : 2] = 1.0  # g_N: the noisy groups 2c + 1
    U[3, 0 : 2 * C : 2] = 1.0  # ĝ = g_C + g_2C (the noisy samples with their true labels)
    U[3, 2 * C] = 1.0
    return U.to(device)


def _old_segments(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    R, n = d.x.shape[:2]
    C = d.num_classes
    gram = s.in_step("segments")  # taken by the training step, if it could
    if gram is None:
        out = s.out_train()
        _, dl = net.loss_and_dloss(out, d.y, s.objective)
        _, dl_true = net.loss_and_dloss(out, d.y_true, s.objective)
        first, S2 = segment_groups(d)
        groups = torch.empty(R, 2 * n, dtype=torch.int32, device=d.x.device)
        groups[:, :n] = first
        groups[:, n:] = torch.where(d.noisy, S2, -1)
        coeffs = torch.cat([dl, dl_true], dim=1).div_(n)
        del dl, dl_true
        rows = torch.arange(n, device=d.x.device).repeat(2).expand(R, 2 * n)
        gram = net.grouped_gram(s.params, d.x, groups, coeffs, S2 + 1, rows, s.budget)
    U = _forms(C, gram.device, gram.dtype)
    Q = U @ gram @ U.T
    ALL, CLEAN, NOISY, TRUE = range(4)

    def dot(u: int, v: int) -> torch.Tensor:
        return Q[:, u, v]

    def norm(u: int) -> torch.Tensor:
        return dot(u, u).clamp(min=0.0).sqrt()

    def cos(u: int, v: int) -> torch.Tensor:
        return dot(u, v) / (norm(u) * norm(v))

    diag = torch.diagonal(gram, dim1=1, dim2=2).clamp(min=0.0).sqrt()  # [R, S]
    ccn, cnn = diag[:, 0 : 2 * C : 2], diag[:, 1 : 2 * C : 2]  # [R, C]
    # ⟨g_Cc, g_Nc⟩ = Γ[2c, 2c + 1]: the diagonal of Γ's (even rows, odd columns) block (a view)
    cross = torch.diagonal(gram[:, 0 : 2 * C : 2, 1 : 2 * C : 2], dim1=1, dim2=2)
    cn, nn_ = norm(CLEAN), norm(NOISY)
    stats = {
        "grad_norm": norm(ALL),
        "grad_clean_norm": cn,
        "grad_noisy_norm": nn_,
        "grad_ratio": cn / nn_,
        "cos_clean_noisy": cos(CLEAN, NOISY),
        "cos_g_clean": cos(ALL, CLEAN),
        "cos_g_true": cos(ALL, TRUE),
        "grad_true_norm": norm(TRUE),
        "kappa": dot(ALL, TRUE) / dot(TRUE, TRUE),
        "class_clean_norm": ccn,
        "class_noisy_norm": cnn,
        "class_ratio": ccn / cnn,
        "class_cos_clean_noisy": cross / (ccn * cnn),
    }
    return {k: v.to(d.x.dtype) for k, v in stats.items()}


# -- the settings --------------------------------------------------------------------------------
INT_OF = {torch.float32: torch.int32, torch.float64: torch.int64}


def _assert_bitwise(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for k, w in want.items():
        g = got[k]
        assert g.dtype == w.dtype and g.shape == w.shape and g.device == w.device, k
        # as integers: NaN == NaN, and +0 ≠ −0
        assert torch.equal(g.contiguous().view(INT_OF[g.dtype]),
                           w.contiguous().view(INT_OF[w.dtype])), (k, g, w)


def _setting(kind, k, outputs, noise, dtype, bias=False, R=3, n=40, seed=0, device="cpu"):
    cfg = DataConfig(kind=kind, d=5, n=n, n_test=30, noise=noise, num_classes=k, sigma2=0.05)
    data = sample_dataset(cfg, [seed + r for r in range(R)], dtype)
    p = net.init_params(
        NetConfig(m=8, bias=bias, outputs=outputs,
                  second_layer="frei" if outputs == 1 else "gaussian"),
        cfg.d, [seed + r for r in range(R)], init_var=0.5, dtype=dtype,
    )
    if bias:  # a non-zero bias: outputs of both signs, away from the f = 0 ties
        gen = torch.Generator().manual_seed(seed)
        p = Params(W=p.W, a=p.a, b=0.3 * torch.randn(p.b.shape, generator=gen, dtype=dtype),
                   train_a=p.train_a)
    return data.to(device), p.to(device)


SETTINGS = [
    # (data kind, K, outputs, objective, noise)
    ("xor", 2, 1, "logistic", 0.1),
    ("xor", 2, 1, "logistic", 0.2),
    ("xor", 2, 1, "logistic", 0.0),  # no noisy samples: NaN and ∞ where a subset is empty
    ("xor", 2, 2, "softmax", 0.2),
    ("clusters", 3, 3, "softmax", 0.2),
    ("clusters", 3, 3, "softmax", 0.1),
]
DTYPES = [torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("kind,k,outputs,objective,noise", SETTINGS)
def test_probes_are_bitwise_their_old_code(kind, k, outputs, objective, noise, bias, dtype,
                                           device):
    data, p = _setting(kind, k, outputs, noise, dtype, bias=bias, device=device)
    for budget in (8 * 6, net.DEFAULT_CHUNK_ELEMENTS):  # chunked and one chunk
        state = ProbeState(0, p, p, data, objective, budget=budget)
        _assert_bitwise(errors_probe(state), _old_errors(state))
        _assert_bitwise(new_segments(state), _old_segments(state))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("noise", [0.1, 0.2])
def test_segments_with_the_steps_gram_are_bitwise_the_old_code(noise, dtype, device):
    """The Gram matrix taken during a training step (one output, logistic loss)."""
    data, p = _setting("xor", 2, 1, noise, dtype, bias=True, R=4, n=36, device=device)
    ws = net.Workspace(p, 36, budget=36 * 8)
    assert ws.can_split(p, "logistic")
    ws.run(p, data.x, data.y, "logistic", 1.0 / 36, groups=segment_split(data))
    state = ProbeState(0, p, p, data, "logistic")
    state.set_in_step("segments", ws.gram)
    _assert_bitwise(new_segments(state), _old_segments(state))
    _assert_bitwise(errors_probe(state), _old_errors(state))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("kind,k", [("xor", 2), ("clusters", 3)])
def test_segments_with_a_handed_in_gram_are_bitwise_the_old_code(kind, k, dtype, device):
    """Any symmetric Γ, also with negative and zero diagonal entries (the clamps, 0/0 and x/0),
    in the probe's float64."""
    data, p = _setting(kind, k, 1 if k == 2 else k, 0.2, dtype, device=device)
    R, S = data.runs, 2 * k + 1
    gen = torch.Generator().manual_seed(5)
    A = torch.randn(R, S, 2 * S, generator=gen, dtype=torch.float64)
    gram = A @ A.transpose(1, 2) / S
    gram[0] -= 0.6 * torch.eye(S, dtype=torch.float64)  # some negative diagonal entries
    gram[1, :, 1] = gram[1, 1, :] = 0.0  # a zero group (the noisy group of class 0)
    gram[2, :, 0] = gram[2, 0, :] = 0.0  # a zero group (the clean group of class 0)
    for g in (gram.to(device), gram.transpose(1, 2).contiguous().to(device)):
        state = ProbeState(0, p, p, data, "softmax" if k > 2 else "logistic")
        state.set_in_step("segments", g)
        _assert_bitwise(new_segments(state), _old_segments(state))
