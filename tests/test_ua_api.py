"""The public API as a new user calls it (docs/api.md): found by a new-user audit."""

from __future__ import annotations

import pytest

from twolayer.api import compare_setting


def test_compare_setting_reads_a_generator_of_items_once():
    """`compare_setting((ok, text) for ...)`, the natural idiom, read the generator twice: the
    second pass saw nothing, so a setting whose n differs from the paper's came back inside
    ("every item matches"). Oracle: the items themselves, one of two differs."""
    ref, mine = {"d": 20, "n": 1000}, {"d": 20, "n": 200}
    inside, text = compare_setting(((mine[k] == v, f"{k} {mine[k]} vs {v}")
                                    for k, v in ref.items()), "the paper", "lr not compared")
    assert inside is False
    assert "1 of 2 items differ" in text and "differ: n 200 vs 1000" in text, text
    assert compare_setting([(True, "d 20 vs 20")], "the paper", "-")[0] is True


def test_compare_setting_with_nothing_compared_is_refused():
    """No item compared read as "every item matches" (inside)."""
    with pytest.raises(ValueError, match="at least one"):
        compare_setting([], "the paper", "nothing compared")
