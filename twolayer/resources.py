"""What a run will need, checked before any tensor is allocated; and writes that fail cleanly.

- :func:`check_device`: a device string names a device this machine has (``cuda:7`` on a
  one-GPU machine, or ``cuda`` without one, is an input error, not a crash in a worker);
- :func:`estimate` / :func:`check_fits`: the memory a :class:`~twolayer.config.Config` needs
  (data, parameters, the per-step workspace, the probe arrays [R, T, ...], the probe schedule,
  the linear baselines) against the memory free on its device (``/proc/meminfo`` MemAvailable on
  Linux, ``torch.cuda.mem_get_info`` on a GPU; no check where neither can be read), and the
  arithmetic of one GD step on a CPU against a sanity bound (:data:`CPU_STEP_WORK`);
- :func:`writing` / :class:`WriteFailed`: a failed write (disk full, permissions) becomes one
  line naming the path and errno, exit status 1.

The estimate is deliberately generous (copies made while sampling, stacking and fitting the
baselines are counted): it exists to refuse settings that cannot run here, not to predict usage.
``TWOLAYER_NO_LIMITS=1`` skips the memory and work checks (e.g. on a machine whose free memory
cannot be read correctly).
"""

from __future__ import annotations

import errno as errno_mod
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .errors import ConfigError, TwolayerError

# One GD step on a CPU above this many multiply-adds (R·n·m·d) takes minutes (about 10^11 per
# minute on 2 cores); the largest paper setting is ~2·10^10 (frei-fig2-low-d, 32 runs).
CPU_STEP_WORK = 10**12
FREE_FRACTION = 0.9  # refuse an estimate above this fraction of the free memory
DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
# flag → the default it is compared with when naming the setting that makes a run too big
DEFAULTS = {"seeds": 1, "n": 1000, "n_test": 2000, "d": 50, "m": 400, "num_times": 40}
NO_LIMITS_ENV = "TWOLAYER_NO_LIMITS"


class WriteFailed(TwolayerError):
    """Writing an output failed (disk full, permissions): exit status 1, one line."""

    def __init__(self, path: object, err: int | None, why: str):
        self.path = str(path)
        self.errno = err
        self.why = why
        name = errno_mod.errorcode.get(err or 0, "")
        code = f" [{name}]" if name else ""
        super().__init__(f"cannot write {self.path}: {why}{code}; nothing was left half-written "
                         "there (free space or fix the permissions, then run again)")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (WriteFailed, (self.path, self.errno, self.why))


@contextmanager
def writing(path: object) -> Iterator[None]:
    """Turn an OSError raised by the block (which writes ``path``) into :class:`WriteFailed`.
    The writers themselves (Record.save, write_file_atomic) remove their temporary files."""
    try:
        yield
    except OSError as e:
        # a writer's hidden temporary file (".name.xxxx.tmp") is named by the path it was for
        hidden = e.filename and Path(str(e.filename)).name.startswith(".")
        where = e.filename if e.filename and not hidden else path
        if hidden and e.filename2:  # os.replace(temporary, target): the target
            where = e.filename2
        raise WriteFailed(where or path, e.errno, e.strerror or str(e)) from None


def no_limits() -> bool:
    return os.environ.get(NO_LIMITS_ENV, "") not in ("", "0")


# ------------------------------------------------------------------------------------------
# Devices
# ------------------------------------------------------------------------------------------


def check_device(device: object, flag: str = "device") -> str:
    """``device`` if it is auto, cpu, cuda or cuda:N and this machine has it (ConfigError
    naming ``flag`` otherwise). Never initialises CUDA when no GPU is asked for."""
    if not isinstance(device, str) or not DEVICE_RE.match(device.strip()):
        raise ConfigError(flag, device, "valid choices are auto, cpu, cuda, cuda:N")
    device = device.strip()
    if not device.startswith("cuda"):
        return device
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(flag, device, "no CUDA GPU is available here; use cpu or auto")
    count = torch.cuda.device_count()
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= count:
        raise ConfigError(flag, device, f"this machine has {count} GPU(s): cuda:0 to "
                          f"cuda:{count - 1}; pick one of those, or cuda / auto")
    return device


# ------------------------------------------------------------------------------------------
# Memory
# ------------------------------------------------------------------------------------------


def free_host_memory() -> int | None:
    """Bytes of memory available for a new allocation (Linux MemAvailable), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other POSIX systems: free physical pages
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def free_device_memory(device: str) -> int | None:
    """Free bytes on a CUDA device, with what PyTorch's allocator caches unused
    (:func:`twolayer.net.plan.cuda_free_bytes`; None on a CPU or when it cannot be read)."""
    if not device.startswith("cuda"):
        return None
    try:
        import torch

        from .net.plan import cuda_free_bytes

        return cuda_free_bytes(torch.device(device))
    except Exception:  # e.g. a malformed device string: no check
        return None


@dataclass
class Estimate:
    """Bytes a config needs, by part; ``flags`` maps each part to the flags that size it."""

    parts: dict[str, int] = field(default_factory=dict)
    step_work: int = 0  # multiply-adds of one full-batch GD step: R·n·m·d

    @property
    def total(self) -> int:
        return sum(self.parts.values())


def gib(x: float) -> str:
    """Bytes as a short human string (GiB, or MiB below 1 GiB)."""
    return f"{x / 2**30:.1f} GiB" if x >= 2**30 else f"{x / 2**20:.0f} MiB"


def num_probe_times(steps: int, num_times: int, dense_until: int) -> int:
    """An upper bound on ``len(probe_times(steps, num_times, dense_until))`` computed without
    building the schedule."""
    return min(steps + 1, num_times + dense_until + 3)


def estimate(cfg: Config) -> Estimate:
    """The memory a run of ``cfg`` needs (see the module docstring), in bytes by part."""
    item = 4 if cfg.dtype == "float32" else 8
    R = cfg.seeds
    n, n_test, d, m = cfg.data.train_rows, cfg.data.n_test, cfg.data.d, cfg.net.m
    o = cfg.net.outputs
    rows = n + n_test
    parts: dict[str, int] = {}
    # samples: drawn per run, stacked, moved, and copied twice by the baselines (bias, transpose)
    parts["data"] = 5 * R * rows * d * item + 5 * R * rows * 8
    if d + 1 > n:  # the baselines' dual form: a Gram matrix [R, n, n]
        parts["data"] += R * n * n * item
    parts["parameters"] = 8 * R * m * (d + 2 + o) * item
    # per-step workspace: the per-sample vectors and the blocks of the [R, n, m] activations
    parts["workspace"] = 16 * R * n * o * item + 4 * min(R * n * m, 1 << 24) * item
    T = num_probe_times(cfg.train.steps, cfg.probe.num_times, cfg.probe.dense_until)
    per_time = 0
    for probe in cfg.probe.probes:
        if probe == "correlations":
            per_time += R * m * (3 if cfg.data.kind != "clusters" else 1 + cfg.data.num_classes)
        elif probe in ("errors", "segments"):
            per_time += 16 * R
        else:  # per-neuron probes of the papers' modules
            per_time += 4 * R * m
    # float32 logs, then stacked into numpy and written (three copies at the end)
    parts["probe arrays"] = 3 * 4 * T * per_time
    # the schedule: ~num_times log-spaced floats and a set of Python ints
    parts["probe schedule"] = 120 * min(cfg.probe.num_times, 10**12)
    return Estimate(parts, step_work=R * n * m * d)


def _culprit(cfg: Config, part: str) -> tuple[str, object]:
    """The flag (and its value) that most inflates ``part`` relative to its default."""
    values = {k: _culprit_value(cfg, k) for k in DEFAULTS}
    by_part = {
        "data": ("seeds", "n", "n_test", "d"), "parameters": ("seeds", "m", "d"),
        "workspace": ("seeds", "n", "m"), "probe arrays": ("num_times", "seeds", "m"),
        "probe schedule": ("num_times",), "work": ("seeds", "n", "m", "d"),
    }
    names = by_part.get(part, tuple(values))
    if part in ("data", "workspace", "work"):  # the kind's extra training rows grow these too
        extra = cfg.data.extra_train_rows
        values.update({k: _culprit_value(cfg, k) for k in extra})
        names = names + extra
    name = max(names, key=lambda k: values[k] / DEFAULTS.get(k, DEFAULTS["n"]))
    return name, values[name]


def _with(cfg: Config, name: str, value: int) -> Config:
    """``cfg`` with one sizing field replaced (no validation beyond the dataclasses')."""
    section = {"n": "data", "n_test": "data", "d": "data", "m": "net", "num_times": "probe"}
    if name == "seeds":
        return cfg.replace(seeds=value)
    return cfg.replace(**{f"{section.get(name, 'data')}__{name}": value})


def _largest(cfg: Config, name: str, ok) -> int | None:  # type: ignore[no-untyped-def]
    """The largest value of sizing field ``name`` (others fixed) for which ``ok(estimate)``
    holds, by bisection; None when even the smallest valid value fails."""
    lo = {"seeds": 1, "n": 1, "n_test": 1, "d": 2, "m": 2, "num_times": 2}.get(name, 0)
    value = _culprit_value(cfg, name)
    try:
        if not ok(estimate(_with(cfg, name, lo))):
            return None
    except ConfigError:
        return None
    hi = value
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            good = ok(estimate(_with(cfg, name, mid)))
        except ConfigError:  # e.g. an odd m with the fixed ±1/√m head
            good = ok(estimate(_with(cfg, name, mid + 1))) if name == "m" else False
        lo, hi = (mid, hi) if good else (lo, mid)
    return lo


def _culprit_value(cfg: Config, name: str) -> int:
    fixed = {"seeds": cfg.seeds, "n": cfg.data.n, "n_test": cfg.data.n_test, "d": cfg.data.d,
             "m": cfg.net.m, "num_times": cfg.probe.num_times}
    return fixed[name] if name in fixed else int(getattr(cfg.data, name))


def check_fits(cfg: Config, device: str = "cpu", *, key: str | None = None,
               free: int | None = None) -> Estimate:
    """Raise ConfigError (naming the flag, or ``key`` + field for a sweep spec) when ``cfg``
    cannot run here: its estimated memory exceeds the free memory of ``device`` (``free``
    bytes when given), or one GD step on a CPU exceeds :data:`CPU_STEP_WORK` multiply-adds."""
    est = estimate(cfg)
    if no_limits():
        return est
    prefix = f"{key}." if key else ""
    if free is None:
        free = free_device_memory(device) if device.startswith("cuda") else free_host_memory()
    where = f"on {device}" if device.startswith("cuda") else "on this machine (MemAvailable)"
    if free is not None and est.total > FREE_FRACTION * free:
        part = max(est.parts, key=lambda k: est.parts[k])
        name, value = _culprit(cfg, part)
        detail = ", ".join(f"{k} {gib(v)}" for k, v in est.parts.items() if v >= 2**20)
        cap = FREE_FRACTION * free
        most = _largest(cfg, name, lambda e: e.total <= cap)
        rng = f"valid range here is <= {most} with the other settings as given" if most else (
            "no value fits with the other settings as given")
        raise ConfigError(
            prefix + name, value,
            f"the run needs about {gib(est.total)} of memory ({detail}), more than the "
            f"{gib(free)} free {where}; {rng}: use a smaller value, or shrink the others "
            "(seeds, n, m, d)")
    if not device.startswith("cuda") and est.step_work > CPU_STEP_WORK:
        name, value = _culprit(cfg, "work")
        most = _largest(cfg, name, lambda e: e.step_work <= CPU_STEP_WORK)
        raise ConfigError(
            prefix + name, value,
            f"one GD step would take R*n*m*d = {est.step_work:.3g} multiply-adds, over the "
            f"{CPU_STEP_WORK:.0e} a CPU does in minutes; valid range on a CPU is <= {most} with "
            "the other settings as given: use a smaller value (or fewer --seeds, smaller "
            f"--n/--m/--d), or a GPU (--device cuda); {NO_LIMITS_ENV}=1 skips this check")
    return est
