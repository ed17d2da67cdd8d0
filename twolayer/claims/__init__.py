"""Claims as code, one module per paper. Importing this package registers every claim.

See :mod:`twolayer.claims.base` for Claim, Verdict and the experiment cache.
"""

from .base import CLAIMS, EXPERIMENTS, Claim, Verdict, claims_for, run_checks

# Paper modules register their claims and experiments on import (one line per paper).

__all__ = ["CLAIMS", "EXPERIMENTS", "Claim", "Verdict", "claims_for", "run_checks"]

# (frei2023_record: frei2023's reader for `twolayer check frei2023 --record DIR`)
# (maennel2020_record: maennel2020's reader for `twolayer check maennel2020 --record DIR`)
# (vashisht2024_record, badger2022_record: the same for the claims one record serves)
# (liu2023_conditions: the premises `twolayer conditions --paper liu2023` measures on a record)
from . import (  # noqa: E402,F401
    badger2022,
    badger2022_record,
    frei2023,
    frei2023_record,
    liu2023,
    liu2023_conditions,
    maennel2020,
    maennel2020_record,
    vashisht2024,
    vashisht2024_record,
)
