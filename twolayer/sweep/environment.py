"""Environment variables set for a block and put back after it: the sweep's executors pin
the BLAS/OpenMP thread variables and name the spec's plugins (``TWOLAYER_PLUGINS``) for the
processes they start, and leave the caller's process as it was."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """The environment variables ``values`` names set to their values inside the block (None:
    unset), each as it was before the block after it (an unset one unset again); a name given
    its current value is only kept."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            elif os.environ.get(k) != old:
                os.environ[k] = old
