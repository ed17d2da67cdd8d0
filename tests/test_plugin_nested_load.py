"""A plugin that loads another plugin (``load_path``) registers only its own claims: `twolayer
check ./A` checked B's claims too (session 48's helper: 18 claims for 16)."""

from __future__ import annotations

import textwrap
import uuid

from twolayer.cli import main

CLAIM = '''
from twolayer.api import claim, outcome


@claim("{paper}.c.one", "x", "Lemma 0", "[PAPER]")
def one(runs):
    return outcome("inconclusive", None, "-", None, 0, "-")
'''


def test_a_plugin_loading_another_lists_its_own_claims(tmp_path, capsys) -> None:
    tag = uuid.uuid4().hex[:6]
    a, b = f"nla{tag}", f"nlb{tag}"
    (tmp_path / "B").mkdir()
    (tmp_path / "B" / "__init__.py").write_text(textwrap.dedent(CLAIM).format(paper=b))
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "__init__.py").write_text(
        "from pathlib import Path\nfrom twolayer.plugins import load_path\n\n"
        "load_path(Path(__file__).parent.parent / 'B')\n"
        + textwrap.dedent(CLAIM).format(paper=a))
    assert main(["check", str(tmp_path / "A"), "--list"]) == 0
    listed = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()
              if ln.startswith(("nla", "nlb"))]
    assert listed == [f"{a}.c.one"]
    # B named as well: both, each once
    assert main(["check", str(tmp_path / "A"), str(tmp_path / "B"), "--list"]) == 0
    listed = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()
              if ln.startswith(("nla", "nlb"))]
    assert sorted(listed) == sorted([f"{a}.c.one", f"{b}.c.one"])
    from twolayer.plugins import _LOADED

    mine = _LOADED[str((tmp_path / "A").resolve())]
    assert mine.claims == [f"{a}.c.one"] and mine.papers == [a]
    assert _LOADED[str((tmp_path / "B").resolve())].claims == [f"{b}.c.one"]
