"""The two-layer ReLU ensemble: R networks in one set of tensors, their forward pass and
closed-form gradients, computed block by block.

    f_r(x) = Σ_j a_rj φ(⟨w_rj, x⟩ + b_rj),   φ = relu,

W [R, m, d], a [R, m, o], b [R, m] or None. One job per module:

- :mod:`.params`: :class:`Params`, :func:`init_params` and Frei et al.'s fixed second layer
  (:func:`fixed_second_layer`, :func:`signed_neurons`);
- :mod:`.model`: the forward pass, the losses (:data:`LOSSES`) and the per-sample quantities;
- :mod:`.plan`: block planning (:func:`block_shape`, :func:`lane_plan`) and the tuning knobs
  (:class:`Tuning`, :func:`use_tuning`);
- :mod:`twolayer.lanes` (outside the package, shared with the data samplers): the CPU worker
  lanes (a thread pool, one intra-op thread per worker);
- :mod:`.kernel`: the fused gradient kernel (:class:`Workspace`) and the gradient entry points;
- :mod:`.cpu_kernels`, :mod:`.gpu_kernels`: its optional fused elementwise passes (a C
  extension on the CPU; a Triton kernel on a GPU, off by default);
- :mod:`.grouped`: per-group gradients and their Gram matrix, in one pass or during a step.

Autograd is only the test oracle. Per-sample gradient norms use
‖g_i‖² = ‖δ_i‖²(‖x_i‖² + 1[bias]) + ‖c_i‖²‖φ_i‖²·1[a trains], never materialising per-sample
gradients.
"""

from __future__ import annotations

from ..lanes import Pool
from .grouped import GroupSplit, grouped_gradients, grouped_gram
from .kernel import (
    Workspace,
    accumulate_chunk,
    descent_step,
    flatten,
    gradients_from_coeffs,
    loss_gradients,
    zero_grads,
)
from .model import (
    LOSSES,
    Loss,
    errors,
    forward,
    input_jacobian,
    input_jacobian_norms,
    labels_to_classes,
    loss_and_dloss,
    loss_of,
    per_sample_grad_sq_norms,
    preactivation,
    predict,
    register_loss,
    sample_loss,
)
from .params import Params, fixed_second_layer, init_params, signed_neurons
from .plan import (
    DEFAULT_CHUNK_ELEMENTS,
    Tuning,
    block_shape,
    blocks,
    chunks,
    device_budget,
    lane_plan,
    tuning,
    use_tuning,
    worker_threads,
)

__all__ = [
    "DEFAULT_CHUNK_ELEMENTS", "LOSSES", "GroupSplit", "Loss", "Params", "Pool", "Tuning",
    "Workspace", "accumulate_chunk", "block_shape", "blocks", "chunks", "descent_step",
    "device_budget", "errors", "fixed_second_layer",
    "flatten", "forward", "gradients_from_coeffs", "grouped_gradients", "grouped_gram",
    "init_params", "input_jacobian", "input_jacobian_norms", "labels_to_classes", "lane_plan",
    "loss_and_dloss", "loss_gradients", "loss_of", "per_sample_grad_sq_norms", "preactivation",
    "predict", "register_loss", "sample_loss", "signed_neurons", "tuning", "use_tuning",
    "worker_threads", "zero_grads",
]
