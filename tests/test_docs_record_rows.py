"""The expected output the paper pages quote under `twolayer check PAPER --record DIR` is the
table `check` prints: a row names a registered claim and carries the table's short marks.

docs/papers/badger2022.md and vashisht2024.md quoted `holds (proposal)`, the long mark of
`--details` and `--report`, where the table prints `holds (prop)` (2026-12-06; the marks are
typed in here by hand from the note under the table, not taken from the code)."""

import re
from pathlib import Path

import twolayer.claims  # noqa: F401  (registers the built-in claims)
from twolayer.claims.base import CLAIMS

DOCS = Path(__file__).resolve().parents[1] / "docs"
# "# <paper>.<claim id>  <verdict>[ (<marks>)]  <measured> ..." in a fenced shell block
ROW = re.compile(r"^# ([a-z0-9_]+20\d\d\.[a-z0-9_.]+)\s+(holds|fails|inconclusive|error)"
                 r"(?: (\([^)]*\)))?\s")
TABLE_MARKS = {None, "(out)", "(prop)", "(out, prop)"}


def quoted_rows() -> list[tuple[str, str, str | None]]:
    rows = []
    for page in sorted((DOCS / "papers").glob("*.md")):
        for line in page.read_text().splitlines():
            if m := ROW.match(line):
                rows.append((page.name, m.group(1), m.group(3)))
    return rows


def test_the_pages_quote_record_rows() -> None:
    names = {page for page, _, _ in quoted_rows()}
    assert {"badger2022.md", "vashisht2024.md"} <= names


def test_a_quoted_row_names_a_claim_and_carries_the_tables_marks() -> None:
    for page, claim, mark in quoted_rows():
        assert claim in CLAIMS, f"{page}: {claim} is not a registered claim"
        assert mark in TABLE_MARKS, (
            f"{page}: {claim} is quoted with {mark!r}; the table prints (out), (prop) or "
            "(out, prop)")
        if not CLAIMS[claim].decides:
            assert mark is not None and "prop" in mark, (
                f"{page}: {claim} is a proposal; its row carries (prop)")
