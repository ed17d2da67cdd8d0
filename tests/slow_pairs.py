"""Every pair of two parameter lists, the default suite running only a covering share of them.

A process-level test run for every command (or moment) under both SIGINT and SIGTERM costs an
interpreter start per pair. ``make test`` runs each first value once, the second values taking
turns (first i with second i mod k), so every first and every second value is still exercised;
the other pairs are marked slow (``make test-slow``; docs/testing.md, session 52)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest


def taking_turns(firsts: Sequence[tuple], seconds: Sequence[tuple]) -> list:
    """``pytest.param(*first, *second)`` for every pair (each a tuple of argument values, in the
    order of the parametrize names), first i with second j marked slow unless j = i mod k."""
    k = len(seconds)
    return [pytest.param(*a, *b, marks=() if i % k == j else pytest.mark.slow)
            for i, a in enumerate(firsts) for j, b in enumerate(seconds)]
