"""The scripts of benchmarks/ in the tests: imported as modules (:func:`benchmark_module`) or
run as a user runs them (:func:`run_benchmark`), with or without Triton's CPU interpreter."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def benchmark_module(name: str) -> ModuleType:
    """``benchmarks/<name>.py``, freshly imported."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_benchmark(script: str, *args: str, interpret: bool,
                  timeout: float = 600) -> subprocess.CompletedProcess:
    """``python benchmarks/<script> ARGS`` from the repository root; ``interpret``: with
    ``TRITON_INTERPRET=1`` (else without it, whatever the caller's environment)."""
    env = dict(os.environ)
    env.pop("TRITON_INTERPRET", None)
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    return subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
