"""``twolayer figures`` selection flags: a repeated --only adds to the selection (argparse's
default kept only the last one, so ``--only A --only B`` drew B alone without a word)."""

from __future__ import annotations

from cli_helpers import run


def test_a_repeated_only_draws_every_named_figure(capsys):
    code, out, err = run(["figures", "--list", "--only", "frei2023-fig1", "--only",
                          "liu2023-fig1", "liu2023-angles"], capsys)
    assert code == 0, err
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == ["frei2023-fig1", "liu2023-fig1", "liu2023-angles"]
