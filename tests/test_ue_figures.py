"""Figure captions that state more than the runs measured (the `ue` audit)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from twolayer.engine import Runtime
from twolayer.plots import phase


def test_phase_liu_caption_says_when_t_cross_was_never_reached(tmp_path, monkeypatch) -> None:
    """`figures --quick --only phase-liu`: no seed of any cell reached the ratio 1.05, every t_x
    was the last step (a lower bound), yet the caption said "t_x/t* ranges from 1.1 to 1.9 on
    this grid" beside the rule "within a factor 3", as if Liu's prediction had been measured
    to hold. The caption now says which cells are censored and that their ratio is a bound."""
    spec = phase.sweep_spec("phase-liu", True)
    points = spec.points()
    arrays = {"errors/test_error_clean": np.full((spec.seeds, 5), 0.1)}
    recs = {p.index: SimpleNamespace(arrays=arrays) for p in points}
    monkeypatch.setattr(phase, "run_spec", lambda *a, **k: (spec, points, recs))
    monkeypatch.setattr(phase.L, "t_star", lambda rec: np.full(spec.seeds, 50.0))
    never = np.full(spec.seeds, np.nan)
    crossed = np.full(spec.seeds, 60.0)
    first = points[0].index  # one cell crosses in every seed, the others never do
    monkeypatch.setattr(phase.L, "t_cross",
                        lambda rec: crossed if rec is recs[first] else never)
    captions = []
    real = phase.captioned_figure

    def capture(width, height, caption):  # type: ignore[no-untyped-def]
        captions.append(caption)
        return real(width, height, caption)

    monkeypatch.setattr(phase, "captioned_figure", capture)
    runs = SimpleNamespace(quick=True, runtime=Runtime(device="cpu"), store=None)
    phase.make_liu(tmp_path, runs)
    text = captions[0]
    cells = len(points)
    assert f"in {cells - 1} of {cells} cells" in text and "only a lower bound" in text
    # every seed crossing: nothing censored, nothing said
    monkeypatch.setattr(phase.L, "t_cross", lambda rec: crossed)
    phase.make_liu(tmp_path, runs)
    assert "lower bound" not in captions[1]
