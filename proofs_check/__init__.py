"""Symbolic (sympy) checks of the papers' formulas, constants and lemma algebra.

The simulator is tested against these derivations; each check fails loudly if a step of the
paper's algebra does not follow. :func:`all_checks` runs every check and returns the
:class:`CheckResult` list; ``python -m proofs_check`` prints them and exits non-zero if any fails.

Modules: :mod:`.frei_population` (population gradient of a neuron at initialisation on Frei's
Gaussian clusters, and the one-step correlation), :mod:`.frei_constants` (the constants of Frei
et al. 2023 and the algebra that chains them).
"""

from __future__ import annotations

from .result import CheckResult


def all_checks() -> list[CheckResult]:
    """Every registered check, in the order: Frei population derivation, Frei constants."""
    from . import frei_constants, frei_population

    return [*frei_population.checks(), *frei_constants.checks()]


__all__ = ["CheckResult", "all_checks"]
