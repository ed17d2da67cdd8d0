"""docs/cli.md is the parsers' help text: regenerate it with `python -m twolayer.clidoc`."""

from pathlib import Path

from twolayer.clidoc import render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_matches_the_parsers():
    assert DOC.read_text() == render(), (
        "docs/cli.md is stale: run `python -m twolayer.clidoc > docs/cli.md`"
    )


def test_cli_reference_lists_every_command():
    text = render()
    for cmd in ("simulate", "check", "conditions", "figures"):
        assert f"## twolayer {cmd}\n" in text
