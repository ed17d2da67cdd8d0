"""The figure registry: :class:`FigureSpec` and the :func:`figure` decorator (see
:mod:`twolayer.plots`)."""


from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..experiments import Runs

MakeFn = Callable[..., list[Path]]  # (out_dir, runs) or, older, (out_dir, quick, runtime)


@dataclass(frozen=True)
class FigureSpec:
    name: str  # e.g. "frei2023-fig1"
    paper: str  # e.g. "frei2023"
    title: str
    regenerates: str  # e.g. "Frei et al. (2023), Figure 1" or "analogue of Liu et al. Fig. 1"
    make: MakeFn = field(repr=False)
    claims: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()  # parameters that differ from the paper, one per entry
    # experiments it reads that run on one CPU thread each (many tiny steps): `twolayer figures`
    # trains those of all selected figures at once, in worker processes, before drawing
    parallel: tuple[str, ...] = ()

    def draw(self, out_dir: Path, runs: Runs) -> list[Path]:
        """Write the figure into ``out_dir`` from the runs of ``runs``."""
        if len(inspect.signature(self.make).parameters) == 2:
            return self.make(out_dir, runs)
        return self.make(out_dir, runs.quick, runs.runtime)  # older form



FIGURES: dict[str, FigureSpec] = {}


def figure(
    name: str,
    paper: str,
    title: str,
    regenerates: str,
    claims: tuple[str, ...] = (),
    differences: tuple[str, ...] = (),
    parallel: tuple[str, ...] = (),
) -> Callable[[MakeFn], MakeFn]:
    """Decorator registering a figure function. ``parallel``: experiments it reads whose runs
    use one CPU thread (many tiny steps, e.g. online SGD); `twolayer figures` trains those of
    all the figures it draws at once, one worker process each, before drawing
    (:meth:`twolayer.experiments.Runs.prefetch`), longest first as far as earlier runs tell."""

    def deco(fn: MakeFn) -> MakeFn:
        code = getattr(fn, "__code__", None)
        origin = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)
        old = FIGURES.get(name)
        if old is not None:
            old_code = getattr(old.make, "__code__", None)
            old_origin = (f"{old_code.co_filename}:{old_code.co_firstlineno}" if old_code
                          else repr(old.make))
            if old_origin != origin:
                from ..errors import TwolayerError

                raise TwolayerError(f"figure {name!r} is registered twice: at {old_origin} "
                                    f"and at {origin}")
        FIGURES[name] = FigureSpec(name, paper, title, regenerates, fn, claims, differences,
                                   tuple(parallel))
        return fn

    return deco
