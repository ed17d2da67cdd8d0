"""The result of one symbolic check: what was checked, whether it followed, and the numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """One check of a paper's formula, constant or proof step.

    name: short identifier (``frei.lemma8``); statement: what is claimed, in the paper's
    notation; passed: True iff the step follows (symbolically or in exact arithmetic);
    detail: how it was decided, with the numbers (for a failed step: the discrepancy);
    source: where the statement comes from (lemma, equation, card tag).
    """

    name: str
    statement: str
    passed: bool
    detail: str
    source: str = ""

    def line(self) -> str:
        """One line for a terminal listing: PASS/FAIL, name and statement."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.statement}"
