"""The probe protocol: the registry, :class:`ProbeState` and the in-step capability.

A probe is a function ``probe(state) -> dict[str, Tensor]`` registered by name with
:func:`register`; every returned tensor has the run axis first ([R, ...]). The training layer
calls the requested probes at each probe time and stacks their outputs over time into
[R, T, ...] arrays of the record (key ``"<probe>/<name>"``).

A probe may also declare, at registration, the sample groups whose gradients it needs:
``in_step_groups(data) -> net.GroupSplit | None``. When the step at a probe time computes the
gradient of the probe's loss anyway (full batch, the mean loss), the training layer takes the
group gradients' Gram matrix Γ_st = ⟨g_s, g_t⟩ in that same pass and hands it to the probe
(:meth:`ProbeState.in_step`); otherwise the probe computes it itself. The training layer never
names a probe and never writes a probe's private state.

A probe reads the configuration it measures under from :attr:`ProbeState.configs` (one frozen
:class:`~twolayer.config.Config` per run: a batched call may hold runs of different configs,
e.g. a sweep's noise rates) or, per field, :meth:`ProbeState.config_values` (a tensor [R] of
one numeric field, e.g. the label-noise rate η of every run, or the step size α).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .. import net
from ..config import Config
from ..data import Dataset
from ..errors import (
    ConfigError,
    PluginCodeError,
    TwolayerError,
    code_origin,
    outside_package,
)
from ..net import Params

ProbeFn = Callable[["ProbeState"], dict[str, torch.Tensor]]
GroupsFn = Callable[[Dataset], "net.GroupSplit | None"]
# a probe's headline numbers of a record: fn(arrays) -> {name: [R] values}
SummaryFn = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
REGISTRY: dict[str, ProbeFn] = {}
# the prefixes of a record's own arrays (build_record: static/a, baseline/...; times), which a
# probe of that name would overwrite or be overwritten by
RESERVED = ("static", "baseline", "times")


def register(
    name: str, in_step_groups: GroupsFn | None = None, summary: SummaryFn | None = None,
    capturable: bool = False,
) -> Callable[[ProbeFn], ProbeFn]:
    """Decorator: make a probe available under ``name`` (a word without '/', ',' or spaces,
    not ``static``, ``baseline`` or ``times``; anything else raises). Optional capabilities:
    ``in_step_groups``: the groups whose gradients the step may take for it (module docstring);
    ``summary``: its headline numbers of a record (:func:`summaries`); ``capturable``: its work
    may be recorded in a CUDA graph and replayed at later probe times (``Tuning.probe_graph``):
    tensor work only, no wait for the device (no ``.item()``, ``bool(tensor)``, ``.cpu()``, no
    output shape that depends on values), and no use of ``state.step`` (frozen at the first
    probe time in a graph); a probe with ``in_step_groups`` is recorded only where the step
    takes its groups (its own pass reads their bounds on the host)."""

    def deco(fn: ProbeFn) -> ProbeFn:
        if (not isinstance(name, str) or not name or any(c in name for c in "/,")
                or any(c.isspace() for c in name) or name in RESERVED):
            from ..errors import TwolayerError

            raise TwolayerError(
                f"probe {name!r} ({code_origin(fn)}): a probe's name is a non-empty word without "
                "'/', ',' or spaces (its arrays are '<probe>/<quantity>' and --probes splits at "
                f"commas), and not {', '.join(repr(r) for r in RESERVED)} (a record's own arrays)")
        if in_step_groups is not None:
            fn.in_step_groups = in_step_groups  # type: ignore[attr-defined]
        if summary is not None:
            fn.summary = summary  # type: ignore[attr-defined]
        fn.capturable = capturable  # type: ignore[attr-defined]
        old = REGISTRY.get(name)
        if old is not None and code_origin(old) != code_origin(fn):
            from ..errors import TwolayerError

            raise TwolayerError(f"probe {name!r} is registered twice: at {code_origin(old)} "
                                f"and at {code_origin(fn)}")
        REGISTRY[name] = fn
        return fn

    return deco


def in_step_groups(name: str, data: Dataset) -> net.GroupSplit | None:
    """The groups probe ``name`` wants taken during the step, or None (no such capability)."""
    hook = getattr(REGISTRY.get(name), "in_step_groups", None)
    return hook(data) if hook is not None else None


def summaries(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The headline numbers ({name: [R] values}) of every registered probe with a ``summary``
    whose outputs are in ``arrays`` (a record's arrays), in registration order."""
    out: dict[str, np.ndarray] = {}
    for name, fn in REGISTRY.items():
        hook = getattr(fn, "summary", None)
        if hook is not None and any(k.startswith(name + "/") for k in arrays):
            out.update(hook(arrays))
    return out


@dataclass
class ProbeState:
    """What a probe may read at one probe time: the step t, the parameters θ_t (``params``) and
    θ_0 (``init``), the dataset on the compute device, the objective's name, the chunk budget,
    the configuration every run trains under (``configs``, read-only: a tuple of one frozen
    :class:`~twolayer.config.Config` per run, or None when the training call was given none;
    one Config passed to the constructor stands for every run)
    and the runs' seeds (``seeds``: draw a probe's own random points for run r from
    ``generator(seeds[r], "<probe>")``); and what the training step already computed at these
    parameters (:meth:`set_train_outputs`, :meth:`set_in_step`), shared by the probes at this
    time."""

    step: int
    params: Params
    init: Params
    data: Dataset
    objective: str
    budget: int = net.DEFAULT_CHUNK_ELEMENTS
    configs: tuple[Config, ...] | Config | None = None
    seeds: tuple[int, ...] | None = None
    _cache: dict[str, torch.Tensor] = field(default_factory=dict)
    _in_step: dict[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # one Config stands for every run; a sequence must hold one per run
        self.configs = per_run_configs(self.configs, self.params.runs)
        if self.seeds is not None:
            self.seeds = tuple(self.seeds)

    def config_values(self, path: str) -> torch.Tensor:
        """One numeric config field for every run: a tensor [R] (the parameters' dtype and
        device) of ``path`` ("section.field" such as ``"data.noise"`` for the label-noise rate
        η, ``"train.lr"`` for the step size α, or a top-level field such as ``"seed"``), read
        from run r's own config (runs of one batched call may differ, e.g. in η). Raises
        :class:`~twolayer.config.ConfigError` when the call was given no configs (pass
        ``configs=`` to ``train``/``measure``; ``simulate`` and sweeps always do), when the
        field does not exist, or when it is not a number."""
        key = "config:" + path
        if key in self._cache:
            return self._cache[key]
        if self.configs is None:
            raise ConfigError("configs", None, "this training call was given no configuration; "
                              "pass configs= to train() or measure() (simulate and sweeps do)")
        values = []
        for cfg in self.configs:
            obj: Any = cfg
            for part in path.split("."):
                if not hasattr(obj, part) or part.startswith("_"):
                    raise ConfigError("path", path, "a config field such as data.noise, "
                                      "train.lr, net.m or seed")
                obj = getattr(obj, part)
            if isinstance(obj, bool) or not isinstance(obj, (int, float)):
                raise ConfigError("path", path, f"a numeric field (its value is {obj!r}; read "
                                  "state.configs[r] for others)")
            values.append(obj)
        out = torch.tensor(values, dtype=self.params.W.dtype, device=self.params.W.device)
        self._cache[key] = out
        return out

    def set_train_outputs(self, out: torch.Tensor) -> None:
        """f(θ_t) [R, n, o] on the training inputs, from the step (so no probe recomputes it)."""
        self._cache["train"] = out

    def set_in_step(self, probe: str, gram: torch.Tensor) -> None:
        """The Gram matrix [R, S+1, S+1] of the groups ``probe`` declared, from the step."""
        self._in_step[probe] = gram

    def in_step(self, probe: str) -> torch.Tensor | None:
        """The Gram matrix the step took for ``probe``'s groups, or None."""
        return self._in_step.get(probe)

    def out_train(self) -> torch.Tensor:
        """f(θ_t) [R, n, o] on the training inputs (computed once per probe time)."""
        if "train" not in self._cache:
            self._cache["train"] = net.forward(self.params, self.data.x, self.budget)
        return self._cache["train"]

    def out_test(self) -> torch.Tensor:
        """f(θ_t) [R, n_test, o] on the test inputs (computed once per probe time)."""
        if "test" not in self._cache:
            self._cache["test"] = net.forward(self.params, self.data.x_test, self.budget)
        return self._cache["test"]


def per_run_configs(configs: Config | Sequence[Config] | None, runs: int
                    ) -> tuple[Config, ...] | None:
    """The configs of a training call's R runs: one Config for all of them, or one per run
    (a sequence of length R); None stays None."""
    if configs is None:
        return None
    if isinstance(configs, Config):
        return (configs,) * runs
    out = tuple(configs)
    if len(out) != runs or not all(isinstance(c, Config) for c in out):
        raise ConfigError("configs", f"{len(out)} values", f"one Config for all {runs} runs, or "
                          f"a sequence of {runs} Configs (one per run)")
    return out


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis restricted to ``mask``; NaN where the mask is empty."""
    mask = mask.to(values.dtype)
    return (values * mask).sum(-1) / mask.sum(-1)


def run_probes(names: tuple[str, ...] | list[str], state: ProbeState) -> dict[str, torch.Tensor]:
    """Run the named probes; keys ``"<probe>/<quantity>"``. A probe that returns something
    other than a dict of tensors with the run axis first ([R, ...]), or a plugin's probe that
    raises (other than twolayer's own errors), is a :class:`~twolayer.errors.PluginCodeError`
    naming the probe and its file:line."""
    out: dict[str, torch.Tensor] = {}
    runs = state.params.runs
    for name in names:
        if name not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise KeyError(f"unknown probe {name!r}; known probes: {known}")
        fn = REGISTRY[name]
        try:
            result = fn(state)
        except TwolayerError:  # a ConfigError (config_values), a DivergenceError: as they are
            raise
        except Exception as e:
            if not outside_package(fn):  # twolayer's own probe: a bug, with its traceback
                raise
            raise PluginCodeError(f"probe {name!r}", code_origin(fn, e),
                                  f"raised {type(e).__name__}: {e}") from e
        for k, v in _checked_outputs(name, fn, result, runs).items():
            out[f"{name}/{k}"] = v
    return out


def _checked_outputs(name: str, fn: ProbeFn, result: object, runs: int
                     ) -> dict[str, torch.Tensor]:
    """``result`` if it is a dict of str -> tensor [R, ...] (R = ``runs``), else the
    PluginCodeError that says what it is instead."""
    why = None
    if not isinstance(result, dict):
        why = f"returned a {type(result).__name__}"
    else:
        for k, v in result.items():
            if not isinstance(k, str) or "/" in k:
                why = f"returned the key {k!r}"
            elif not isinstance(v, torch.Tensor):
                why = f"returned {k!r} as a {type(v).__name__}"
            elif v.dim() == 0 or v.shape[0] != runs:
                why = f"returned {k!r} of shape {list(v.shape)}, whose first axis is not R = {runs}"
            if why is not None:
                break
    if why is None:
        return result  # type: ignore[return-value]
    raise PluginCodeError(f"probe {name!r}", code_origin(fn),
                          why + ": a probe returns a dict of str (no '/') -> torch.Tensor, "
                          "each with the run axis first ([R, ...])")


def check_same_shape(key: str, first: torch.Tensor, now: torch.Tensor) -> None:
    """A PluginCodeError when probe output ``key`` ("<probe>/<name>") changed its shape
    between probe times (``first``: its shape at the first, ``now``: at this one)."""
    if first.shape != now.shape:
        name = key.split("/", 1)[0]
        fn = REGISTRY.get(name)
        raise PluginCodeError(f"probe {name!r}", code_origin(fn) if fn is not None else name,
                              f"returned {key.split('/', 1)[1]!r} of shape {list(now.shape)} "
                              f"after {list(first.shape)} at an earlier probe time: a probe's "
                              "outputs keep their shapes")


def capturable(names: tuple[str, ...] | list[str]) -> bool:
    """Whether every named probe declared itself ``capturable`` (:func:`register`)."""
    return all(getattr(REGISTRY.get(n), "capturable", False) for n in names)
