"""Build of the optional C extension ``twolayer.net._cpu_kernels`` (everything else is in
pyproject.toml). The extension is optional: where no C compiler is found the build goes on
without it, and the CPU kernel takes its PyTorch path (``twolayer.net.cpu_kernels.status()``
says which, and every record's environment stores it)."""

import hashlib
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    """-O3 and no floating-point contraction beyond the kernel's own fused multiply-adds (the
    summation order is part of the kernel's contract); MSVC keeps its defaults."""

    def build_extensions(self) -> None:
        if self.compiler.compiler_type != "msvc":
            for ext in self.extensions:
                ext.extra_compile_args = ["-O3", "-ffp-contract=off"]
        super().build_extensions()


SOURCE = "twolayer/net/_cpu_kernels.c"
# the source's digest, compiled in: the wrapper refuses a library built from another source
DIGEST = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()[:16]

setup(
    ext_modules=[Extension("twolayer.net._cpu_kernels", [SOURCE], optional=True,
                           define_macros=[("TWOLAYER_SOURCE_DIGEST", f'"{DIGEST}"')])],
    cmdclass={"build_ext": BuildExt},
)
