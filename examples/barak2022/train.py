"""Online SGD on the streamed parity, all seeds of a setting in one engine call per segment.

``run_parity`` trains R = len(seeds) width-m ReLU nets with the hinge loss on fresh minibatches
(θ_{t+1} = θ_t − η ∇_θ (1/B) Σ_i ℓ(y_i f(x_i; θ_t)), eq. (1) with λ = 0 [PAPER]) in segments of
``segment`` steps, probing every ``every`` steps on the 2^13 validation points, and stops early
when every run has reached err = 0 (after which nothing changes for the claims). The data come
from the registered kind ``parity`` (``data.ParityConfig``): ``setup(Config(...))`` of the public
API samples the validation set and the support per run, :class:`data.ParityStream` streams each
step's batch with the kind's ``draw``. It returns a Record: probe arrays [R, T] under
``barak_parity/...``, ``static/support`` [R, n], ``static/t_c`` [R] (first probe step with
err = 0, −1 if none, i.e. censored at the budget: resolution ``every``) and the setting in
``config`` (its ``data`` section is the kind's resolved config).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time

import numpy as np

from twolayer.api import Config, NetConfig, Record, Runtime, TrainConfig, setup, train

from .data import VALIDATION, ParityConfig, ParityStream, init_params


def first_time(err: np.ndarray, times: np.ndarray, level: float) -> np.ndarray:
    """[R]: the first probe time with err ≤ level (−1 if none)."""
    hit = err <= level
    idx = hit.argmax(axis=1)
    return np.where(hit.any(axis=1), times[idx], -1)


def small_steps(runtime: Runtime) -> Runtime:
    """Online SGD here is many tiny steps (B = 32 rows): on the CPU, with threads left to
    "auto", use one intra-op thread (measured on 2 shared cores: 5x faster at R = 16 than two
    threads, whose per-op synchronisation dominates). An explicit ``--threads`` is kept."""
    if runtime.threads is None and runtime.torch_device.type == "cpu":
        return dataclasses.replace(runtime, threads=1)
    return runtime


def parity_config(n: int, k: int, *, noise: float = 0.0, random_labels: bool = False,
                  validation: int = VALIDATION, batch: int = 32) -> ParityConfig:
    """The kind's config of a setting: label noise ``noise`` as iid flips; ``random_labels``:
    every label replaced by a uniform one (noise model ``random`` at rate 1)."""
    if random_labels:
        return ParityConfig(d=n, k=k, n=max(256, 2 * batch), n_test=validation, noise=1.0,
                            noise_model="random")
    return ParityConfig(d=n, k=k, n=max(256, 2 * batch), n_test=validation, noise=noise)


def run_parity(n: int, k: int, seeds: int | list[int], *, m: int = 100, B: int = 32,
               lr: float = 0.1, steps: int = 10_000, every: int = 50, bias: bool = True,
               init: str = "torch", noise: float = 0.0, random_labels: bool = False,
               extra_probes: tuple[str, ...] = (), segment: int | None = None,
               stop_when_solved: bool = True, runtime: Runtime | None = None,
               seed0: int = 0, validation: int = VALIDATION,
               init_seeds: list[int] | None = None,
               stream_seeds: list[int] | None = None) -> Record:
    """R runs of online SGD on the (n, k) parity (see the module docstring). Run r has the run
    seed ``seed0 + r`` (its validation set), the init seed ``init_seeds[r]`` and the stream seed
    ``stream_seeds[r]`` (both default to the run seed; separate seeds let an experiment cross
    inits with SGD streams)."""
    runtime = small_steps(runtime or Runtime(device="cpu"))
    R = seeds if isinstance(seeds, int) else len(seeds)
    if not isinstance(seeds, int):
        seed0 = int(seeds[0])
        if list(seeds) != list(range(seed0, seed0 + R)):
            raise ValueError("run seeds are consecutive: give seed0 and a count")
    cfg = Config(data=parity_config(n, k, noise=noise, random_labels=random_labels,
                                    validation=validation, batch=B),
                 net=NetConfig(m=m), train=TrainConfig(lr=lr, steps=steps, batch_size=B,
                                                       objective="hinge"),
                 seeds=R, seed=seed0)
    cfg, data, _ = setup(cfg)  # the kind's sampler: validation set and support per run
    run_seeds = cfg.run_seeds
    init_seeds = list(init_seeds) if init_seeds is not None else run_seeds
    stream_seeds = list(stream_seeds) if stream_seeds is not None else run_seeds
    if not len(init_seeds) == len(stream_seeds) == R:
        raise ValueError("one init seed and one stream seed per run")
    mask = data.extras["support"] > 0.5
    params = init_params(n, m, init_seeds, bias=bias, init=init)
    init0 = params.clone()
    stream = ParityStream(cfg.data, stream_seeds)
    probes = ("barak_parity",) + tuple(extra_probes)
    segment = segment or max(every, min(steps, 20 * every))
    segment -= segment % every
    arrays: dict[str, list[np.ndarray]] = {}
    times: list[int] = []
    t, start = 0, time.perf_counter()
    while t < steps:
        seg = min(segment, steps - t)
        tcfg = TrainConfig(lr=lr, steps=seg, batch_size=B, objective="hinge")
        local = sorted(set(range(0, seg + 1, every)) | {seg})
        res = train(params, data, tcfg, local, probes, runtime, run_seeds, init=init0,
                    weights=stream)
        keep = slice(0, None) if t == 0 else slice(1, None)  # t is the last segment's end
        for key, v in res.arrays.items():
            arrays.setdefault(key, []).append(v[:, keep])
        times += [t + s for s in local[keep]]
        params, t = res.params, t + seg
        if stop_when_solved and not random_labels and bool(
                (np.concatenate(arrays["barak_parity/val_error"], axis=1) == 0).any(1).all()):
            break
    out = {key: np.concatenate(v, axis=1) for key, v in arrays.items()}
    T = np.asarray(times, dtype=np.int64)
    out["static/support"] = mask.numpy()
    out["static/t_c"] = first_time(out["barak_parity/val_error"], T, 0.0)
    config = {"data": {**cfg.to_dict()["data"], "random_labels": random_labels,
                       "validation": validation},
              "net": {"m": m, "bias": bias, "init": init, "train_second_layer": True},
              "train": {"lr": lr, "batch_size": B, "steps": steps, "objective": "hinge",
                        "online": True, "every": every},
              "seeds": R, "seed": seed0}
    if init_seeds != run_seeds or stream_seeds != run_seeds:
        config["init_seeds"], config["stream_seeds"] = init_seeds, stream_seeds
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    meta = {"wall_seconds": time.perf_counter() - start, "steps": t, "seeds": run_seeds,
            "device": str(runtime.device)}
    return Record(config, run_id, T, out, meta)


def population_record(name: str, config: dict, arrays: dict[str, np.ndarray]) -> Record:
    """A Record of a measurement without training (one time, t = 0)."""
    run_id = hashlib.sha256(json.dumps({**config, "name": name}, sort_keys=True).encode())
    return Record(config, run_id.hexdigest()[:16], np.zeros(1, dtype=np.int64),
                  {k: np.asarray(v) for k, v in arrays.items()}, {})
