"""Render ``docs/cli.md`` from the argument parsers, so the CLI reference cannot drift.

``python -m twolayer.clidoc > docs/cli.md`` regenerates it; a test compares the file with
:func:`render`.
"""

from __future__ import annotations

import argparse
import os

from .cli import build_parser

HEADER = """# twolayer command-line reference

Generated from the parsers by `python -m twolayer.clidoc > docs/cli.md` (a test checks that
this page matches the code). Every command exits with status 2 and one line on stderr naming
the flag, the value and the valid range on invalid input, and writes nothing in that case.
Settings flags default to the library's defaults (Frei et al. Fig. 2 scaled down: σ² = d^-1.2,
ω_init² = 0.01/(m·d), α = 0.1, fixed ±1/√m head, no bias); `--preset` applies a paper figure's
setting first, explicit flags override it.
"""


def render(width: int = 100) -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        parser = build_parser()
        parts = [HEADER, "## twolayer\n", "```", parser.format_help().rstrip(), "```\n"]
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, p in sub.choices.items():
            parts += [f"## twolayer {name}\n", "```", p.format_help().rstrip(), "```\n"]
        return "\n".join(parts)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


if __name__ == "__main__":
    print(render(), end="")
