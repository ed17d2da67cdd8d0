"""Float32 matmul precision, pinned for a training call, and what the record says about it.

By default a training call runs its float32 GEMMs in full float32 (no TF32 on an NVIDIA GPU,
whatever the process had set); ``Runtime(tf32=True)`` (``--tf32``) allows TF32 inside the call.
The previous settings are restored when the call returns. :func:`settings` and
:func:`cuda_versions` are what :func:`twolayer.simulate.environment` stores in every record.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


def settings(tf32: bool | None = None) -> dict[str, Any]:
    """{"float32_matmul_precision": "highest" | "high" | "medium", "tf32": bool}: the settings
    in effect now (``tf32`` None), or the ones a call with ``tf32`` runs under."""
    if tf32 is None:
        return {"float32_matmul_precision": _matmul_precision(),
                "tf32": bool(torch.backends.cuda.matmul.allow_tf32)}
    return {"float32_matmul_precision": "high" if tf32 else "highest", "tf32": bool(tf32)}


def _matmul_precision() -> str:
    """torch.get_float32_matmul_precision(), which newer torch refuses to answer after a mix of
    the legacy flags and the new per-backend API: then the legacy flag's meaning."""
    try:
        return torch.get_float32_matmul_precision()
    except RuntimeError:
        return "high" if torch.backends.cuda.matmul.allow_tf32 else "highest"


@contextmanager
def float32_precision(tf32: bool = False) -> Iterator[None]:
    """Run the block with TF32 allowed (``tf32``) or not, for cuBLAS and cuDNN alike, and the
    float32 matmul precision set to match ("high" or "highest"); restore all three after (the
    precision first: setting it also sets the cuBLAS flag, which is put back only if it then
    differs)."""
    before = (_matmul_precision(), torch.backends.cuda.matmul.allow_tf32,
              torch.backends.cudnn.allow_tf32)
    try:
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
        torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
        torch.backends.cudnn.allow_tf32 = bool(tf32)
        yield
    finally:
        torch.set_float32_matmul_precision(before[0])
        if torch.backends.cuda.matmul.allow_tf32 != before[1]:
            torch.backends.cuda.matmul.allow_tf32 = before[1]
        if torch.backends.cudnn.allow_tf32 != before[2]:
            torch.backends.cudnn.allow_tf32 = before[2]


@functools.lru_cache(maxsize=1)
def _cublas_version() -> str | None:
    """The version of the cuBLAS library this process has loaded (None when not loaded)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libcublas.so" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            parts = []
            for prop in (0, 1, 2):  # MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
                v = ctypes.c_int()
                if lib.cublasGetProperty(prop, ctypes.byref(v)) != 0:
                    break
                parts.append(str(v.value))
            if len(parts) == 3:
                return ".".join(parts)
    except Exception:
        pass
    for dist in ("nvidia-cublas-cu12", "nvidia-cublas-cu13", "nvidia-cublas-cu11",
                 "nvidia-cublas"):
        try:
            from importlib.metadata import version

            return version(dist)
        except Exception:
            continue
    return None


def _driver_version() -> str | None:
    """The CUDA driver's version, e.g. "12.4" (cuDriverGetVersion; None without a driver)."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
        v = ctypes.c_int()
        if lib.cuDriverGetVersion(ctypes.byref(v)) != 0:
            return None
        return f"{v.value // 1000}.{(v.value % 1000) // 10}"
    except Exception:
        return None


def cuda_versions(device: torch.device) -> dict[str, Any]:
    """{"cuda", "cublas", "cuda_driver", "gpu"}: the CUDA runtime torch was built with, the
    cuBLAS loaded, the driver's CUDA version and the GPU's name, for a CUDA ``device``; all None
    on a CPU (CUDA is never initialised for a CPU run)."""
    if device.type != "cuda":
        return {"cuda": None, "cublas": None, "cuda_driver": None, "gpu": None}
    try:
        gpu = torch.cuda.get_device_name(device)
    except Exception:
        gpu = None
    return {"cuda": torch.version.cuda, "cublas": _cublas_version(),
            "cuda_driver": _driver_version(), "gpu": gpu}
