"""Claims as code, one module per paper. Importing this package registers every claim.

See :mod:`twolayer.claims.base` for Claim, Verdict and the experiment cache.
"""

from .base import CLAIMS, EXPERIMENTS, Claim, Verdict, claims_for, run_checks

# Paper modules register their claims and experiments on import (one line per paper).

__all__ = ["CLAIMS", "EXPERIMENTS", "Claim", "Verdict", "claims_for", "run_checks"]

from . import badger2022, frei2023, liu2023, maennel2020, vashisht2024  # noqa: E402,F401
