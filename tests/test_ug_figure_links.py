"""A claim's figure link (the ``figure`` column of docs/claims.md) must name a figure that draws
the claim's own setting: one whose registered ``claims`` list names it. Until 2026-12-05 every
liu2023 check linked its kind's figure, which draws only the n = 400 settings, so the inside
``.regime`` verdicts (n = 2000, where Assumption 4.1 and the NTK premise are measured to hold)
pointed at curves of settings outside those premises; likewise maennel2020's binary-GD and XOR
alignment claims linked a figure that draws neither.
"""

from __future__ import annotations

from test_claims_liu import _liu_claims, tiny  # noqa: F401  (module fixture)

from twolayer.claims import base
from twolayer.claims import maennel2020 as M
from twolayer.claims.base import judge
from twolayer.plots import FIGURES

# typed in by hand from twolayer/plots/liu2023.py: the settings each figure draws are the n = 400
# ones, the t = 0 n = 4000/5000 records in liu2023-angles, and the n = 2000 mixture with its δ
# sweep in liu2023-regime (not Eq. (5)'s predicted ratios); these claims read other records
UNDRAWN = {
    "liu2023.eq5.init_ratio.regime", "liu2023.eq5.init_ratio.delta",
    "liu2023.lem42.rescaled_step.xor_large_n",
    "liu2023.lem42.rate_factor_width_regime", "liu2023.ntk.gradient_drift_width_regime",
}
# the n = 2000 claims whose setting liu2023-regime draws (before 2026-12-05: no figure)
REGIME_DRAWN = {
    "liu2023.fig1.u_shape.regime", "liu2023.fig1.min_below_delta.delta",
    "liu2023.asm41.early_anticollinear.regime", "liu2023.thm44.early_losses.regime",
    "liu2023.thm45.alpha_monotone.regime", "liu2023.thm45.crossing_near_tstar.regime",
    "liu2023.lem42.rescaled_step.regime",
}


def test_liu_claims_link_only_a_figure_that_draws_them(tiny) -> None:  # noqa: F811
    runs, _ = tiny
    for c in _liu_claims():
        v = judge(c, runs)
        if c.id in UNDRAWN:
            assert v.figure is None, (c.id, v.figure)
        elif c.id in REGIME_DRAWN:
            assert v.figure == "liu2023-regime", (c.id, v.figure)
        else:
            assert v.figure is not None, c.id
            assert c.id in FIGURES[v.figure].claims, (c.id, v.figure)


def test_maennel_binary_and_xor_alignment_link_no_figure(monkeypatch) -> None:
    """maennel2020-misalignment draws the App. E.1 and spread runs only (its claims list)."""
    spec = FIGURES["maennel2020-misalignment"]
    assert "maennel2020.b1.alignment_binary_gd" not in spec.claims
    assert "maennel2020.b1.alignment_xor" not in spec.claims

    def fake(rec, note=""):  # type: ignore[no-untyped-def]
        return base.outcome("holds", 0.0, "b", None, 1, "s", "d", M.FIG_M, in_regime=True,
                            regime="r")

    monkeypatch.setattr(M, "_alignment_claim", fake)

    class R:
        def get(self, name):  # type: ignore[no-untyped-def]
            return None

    assert M.check_alignment_binary(R()).figure is None
    assert M.check_alignment_xor(R()).figure is None
    assert M.check_alignment(R()).figure == "maennel2020-misalignment"


def test_liu_figures_say_their_settings_are_outside_the_premises() -> None:
    """liu2023-ratio, -segments, -width and phase-liu draw only n = 400 settings, and every
    claim they list is computed *outside* in the published full plan (docs/claims.md, an
    independent record of the computed regime): their differences must say so, and say that
    the n = 2000 settings of the inside claims are not drawn there (before 2026-12-05 they listed
    only the data/network differences). figures/README.md carries the same text."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rows: dict[str, str] = {}  # the main table: each claim's first row
    for line in (root / "docs" / "claims.md").read_text().splitlines():
        if (m := re.match(r"\| `([^`]+)` \|", line)):
            rows.setdefault(m.group(1), line)
    readme = (root / "figures" / "README.md").read_text()
    for name in ("liu2023-ratio", "liu2023-segments", "liu2023-width", "phase-liu"):
        spec = FIGURES[name]
        for cid in spec.claims:
            assert "*(outside)*" in rows[cid], cid
        diff = " ".join(spec.differences)
        assert "outside the measured premises" in diff and "not drawn" in diff, name
        assert all(d in readme for d in spec.differences), name


def test_claims_md_proposal_regime_paragraph_matches_its_table() -> None:
    """docs/claims.md's paragraph on the *proposal* claims said all 40 are *outside*; its own
    table marked badger2022's and vashisht2024's so, but not maennel2020's (except
    b4.later_layers) nor liu2023's Fig. 1 claims. Since maennel2020's regime compares its
    setting with the card's (2026-12-05), its 16 are *outside* too. The paragraph must agree
    with the table."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "claims.md").read_text()
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if (m := re.match(r"\| `([^`]+)` \|", line)):
            rows.setdefault(m.group(1), line)
    prop = {c: r for c, r in rows.items() if "*(proposal)*" in r}
    assert len(prop) == 40
    outside = {c for c, r in prop.items() if "*(outside)*" in r}
    carded = {c for c in prop if c.startswith(("badger2022.", "vashisht2024.", "maennel2020."))}
    assert carded <= outside  # each compares its setting with its card's (maennel2020: 12-05)
    assert outside == carded and len(carded) == 34  # liu2023's Fig. 1 claims are inside
    assert "so all of them are\n*outside*" not in text
    assert "all 18 of them are *outside*" in text and "34 of the 40 in all" in text


def test_liu_regime_figure_draws_the_n2000_records(tiny, tmp_path) -> None:  # noqa: F811
    """liu2023-regime reads the ``regime`` and ``delta`` Records (n = 2000 · 0.3/δ on the full
    plan) from the store and draws them; it lists exactly the claims that link it."""
    from twolayer.engine import Runtime
    from twolayer.experiments import Runs
    from twolayer.store import RecordStore

    _, root = tiny
    runs = Runs(quick=True, runtime=Runtime(device="cpu", progress=False),
                store=RecordStore(root))
    (path,) = FIGURES["liu2023-regime"].draw(tmp_path, runs)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert runs.trained == [] and sorted(runs.reused) == ["liu2023.delta", "liu2023.regime"]
    assert set(FIGURES["liu2023-regime"].claims) == REGIME_DRAWN
