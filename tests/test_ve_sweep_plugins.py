"""(ve) The plugins of one spec do not reach another spec's sweep in the same process."""

from __future__ import annotations

import os
from pathlib import Path

from sweep_helpers import InProcess

from twolayer.plugins import PLUGIN_ENV
from twolayer.sweep import Store, load, run_sweep

BODY = "seeds = 1\n[base]\ndata.d = 4\ndata.n = 20\nnet.m = 4\ntrain.steps = 3\n" \
       "[axes]\ndata.noise = [0.1]\n"


def test_a_spec_loaded_before_does_not_stamp_or_reach_a_later_specs_points(
        tmp_path: Path, monkeypatch) -> None:
    """Loading a spec with `plugins` added them to TWOLAYER_PLUGINS for the rest of the
    process: a spec without plugins run after it (a notebook, a script with two specs) had its
    points stamped with the other spec's plugins (meta.code "<code>+<plugins>") and its workers
    import them; the same command-line sweep then found every point "trained by other twolayer
    code" and trained it again. The oracle: a spec that names no plugin has a code stamp
    without a plugin part; one that names a plugin has exactly that plugin's part."""
    from twolayer.sweep.store import plugins_fingerprint

    monkeypatch.delenv(PLUGIN_ENV, raising=False)
    (tmp_path / "p.py").write_text("# a plugin that registers nothing\n")
    (tmp_path / "A.toml").write_text('plugins = ["p.py"]\n' + BODY)
    (tmp_path / "B.toml").write_text(BODY.replace("0.1]", "0.2]"))
    a, b = load(tmp_path / "A.toml"), load(tmp_path / "B.toml")
    before = os.environ.get(PLUGIN_ENV)
    st_b, st_a = Store(tmp_path / "b"), Store(tmp_path / "a")
    run_sweep(b, st_b, InProcess())
    run_sweep(a, st_a, InProcess())
    code_b = st_b.code_of(b.points()[0].run_id)
    code_a = st_a.code_of(a.points()[0].run_id)
    assert "+" not in code_b, code_b
    assert code_a == f"{code_b}+{plugins_fingerprint([str(tmp_path / 'p.py')])}", code_a
    assert os.environ.get(PLUGIN_ENV) == before  # as it was before the runs
