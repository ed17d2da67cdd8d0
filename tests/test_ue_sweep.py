"""docs/sweeps.md's promises about `twolayer sweep`, checked as a user reads them (the `ue`
audit)."""

from __future__ import annotations

from twolayer.cli import main

BIG = """seeds = 4
[base]
data.d = 200000
data.n = 1000000
net.m = 2000
[axes]
data.noise = [0.1, 0.2]
"""


def test_a_dry_run_refuses_the_spec_the_real_run_refuses_for_its_size(tmp_path, capsys,
                                                                      monkeypatch) -> None:
    """`--dry-run` ("validate the spec, ... write nothing") passed a spec whose engine calls
    cannot fit this machine (exit 0), which the real run then refused at once (exit 2 naming
    the spec key): the dry run now refuses it the same way."""
    monkeypatch.delenv("TWOLAYER_NO_LIMITS", raising=False)
    spec = tmp_path / "big.toml"
    spec.write_text(BIG)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    real = capsys.readouterr().err.strip()
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 2
    dry = capsys.readouterr()
    assert dry.err.strip() == real and len(real.splitlines()) == 1
    assert "base.data." in real and not out.exists() and dry.out == ""
