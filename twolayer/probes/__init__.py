"""Measurements taken during training.

A probe is a function ``probe(state) -> dict[str, Tensor]`` registered by name with
:func:`register` (the protocol, :class:`ProbeState` and the in-step capability are in
:mod:`.base`); every returned tensor has the run axis first ([R, ...]). The training layer calls
the requested probes at each probe time and stacks their outputs over time into [R, T, ...]
arrays of the record (key ``"<probe>/<name>"``). A :class:`ProbeState` shares the forward passes
between probes at one time.

Built-in probes (notation of Frei et al. and Liu et al.; η = noise rate):

- ``errors``: training error, error of the clean subset C against its labels, fraction of the
  noisy subset N fitted to its corrupted labels, error of N against its true labels, mean losses
  (all, C, N), test error against noisy and against clean labels, clean test loss.
- ``correlations``: ⟨w_j, μ⟩ for each class mean μ (μ1, μ2 for the XOR data) and ‖w_j‖,
  for every neuron.
- ``segments`` (:mod:`.segments`): segment gradients of the mean training loss,
  g_S = (1/n) Σ_{i∈S} ∇_θ ℓ_i (Liu's segment sums divided by n, so g = g_C + g_N), pooled and
  per true class; their norms, ratio ‖g_C‖/‖g_N‖, cos(g_C, g_N), cos(g, g_C), cos(g, ĝ) with
  ĝ the gradient under the true labels, and κ = ⟨g, ĝ⟩/‖ĝ‖² (Liu's effective learning-rate factor).
"""

from __future__ import annotations

import functools

import torch

from .. import net
from .base import (
    REGISTRY,
    ProbeFn,
    ProbeState,
    in_step_groups,
    masked_mean,
    register,
    run_probes,
    summaries,
)

__all__ = ["REGISTRY", "ProbeFn", "ProbeState", "correlations_probe", "errors_probe",
           "in_step_groups", "masked_mean", "register", "run_probes", "segment_gradients",
           "segment_groups", "segment_split", "segments_probe", "summaries"]


def _errors_summary(a: dict) -> dict:
    """The final test error (noisy / clean labels), clean-subset training error and noisy fit."""
    keys = ("test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction")
    return {k: a[f"errors/{k}"][:, -1] for k in keys if f"errors/{k}" in a}


def _wrong(out: torch.Tensor, labels: tuple[torch.Tensor, ...], dt: torch.dtype) -> torch.Tensor:
    """[L, R, n] in ``dt``: 1 where the prediction from ``out`` misses labels[l] [R, n], else 0
    (:func:`net.errors`; for one output 1[f > 0] ≠ 1[y > 0], with 1[f > 0] taken once)."""
    if out.shape[-1] == 1:
        return ((out[..., 0] > 0) != (torch.stack(labels) > 0)).to(dt)
    return torch.stack([net.errors(out, y) for y in labels]).to(dt)


@functools.lru_cache(maxsize=16)
def _clean_rows(device: torch.device) -> torch.Tensor:
    """[5, 1] bool: which of the five subset means of :func:`errors_probe` are over the clean
    subset (the noisy mask flipped) rather than the noisy one."""
    return torch.tensor([[True], [False], [False], [True], [False]], device=device)


@register("errors", summary=_errors_summary, capturable=True)
def errors_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    d = s.data
    out, out_t = s.out_train(), s.out_test()
    dt = out.dtype
    wrong, wrong_true = _wrong(out, (d.y, d.y_true), dt)
    loss = net.sample_loss(out, d.y, s.objective)
    loss_t = net.sample_loss(out_t, d.y_test_true, s.objective)
    # the five means over a subset as one masked mean of [R, 5, n] (as masked_mean: NaN where a
    # subset is empty); a handful of operations instead of twenty at every probe time
    values = torch.stack([wrong, 1.0 - wrong, wrong_true, loss, loss], 1)
    # the masks clean, noisy, noisy, clean, noisy (clean = ~noisy)
    masks = (d.noisy.unsqueeze(1) != _clean_rows(d.noisy.device)).to(dt)
    sub = (values * masks).sum(-1) / masks.sum(-1)
    wrong_t, wrong_t_true = _wrong(out_t, (d.y_test, d.y_test_true), dt)
    return {
        "train_error": wrong.mean(-1),
        "train_error_clean": sub[:, 0],
        "noisy_fit_fraction": sub[:, 1],
        "noisy_error_true": sub[:, 2],
        "loss": loss.mean(-1),
        "loss_clean": sub[:, 3],
        "loss_noisy": sub[:, 4],
        "test_error": wrong_t.mean(-1),
        "test_error_clean": wrong_t_true.mean(-1),
        "test_loss_clean": loss_t.mean(-1),
    }


@register("correlations", capturable=True)
def correlations_probe(s: ProbeState) -> dict[str, torch.Tensor]:
    W = s.params.W
    return {
        "w_dot_mu": torch.bmm(W, s.data.direction_rows().transpose(1, 2)),  # [R, m, #dirs]
        "w_norm": W.norm(dim=-1),  # [R, m]
    }


# Probes in sibling modules register themselves on import (plugin loading: they import .base,
# never this package, so there is no cycle).
from . import badger, frei, liu, maennel, vashisht  # noqa: E402,F401  # plugin loading
from .segments import (  # noqa: E402  # plugin loading
    segment_gradients,
    segment_groups,
    segment_split,
    segments_probe,
)
