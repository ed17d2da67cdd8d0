"""The tests exercise the checkout they live in: ``import twolayer`` inside a test resolves to
this repository's package, not to whichever checkout the shared virtual environment's editable
install points at (a second clone run with that venv's pytest would otherwise test, and pass
on, the other checkout's code)."""

from __future__ import annotations

from pathlib import Path

import twolayer


def test_tests_import_the_twolayer_of_their_own_checkout():
    root = Path(__file__).resolve().parents[1]
    assert Path(twolayer.__file__).resolve().parent == root / "twolayer", twolayer.__file__
