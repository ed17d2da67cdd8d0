"""The theorem-like setting of the frei2023-amplification and frei2023-trajectories figures
against Theorem 1's assumptions: the figures list in-regime claims, so they must say that their
own setting satisfies (A1)-(A7) for no C > 1 (hand computation below, the card's A2 and A7)."""

from __future__ import annotations

import math

from core_oracles import frei_c_range

from twolayer.conditions import frei2023_from_config
from twolayer.experiments import frei2023 as E
from twolayer.plots import FIGURES
from twolayer.plots import frei2023 as P


def test_theorem_like_setting_is_outside_a1_a7_by_hand():
    cfg = E.theorem_regime_config(False)
    d, alpha = cfg.data.d, cfg.train.lr
    # A2: sigma^2 <= 1/(C^2 d) holds up to C = 1/sqrt(sigma^2 d); A7 needs C >= 1/(4 alpha^2)
    a2_max = 1 / math.sqrt(cfg.data.sigma2 * d)
    a7_min = 1 / (4 * alpha**2)
    assert d == 1000 and math.isclose(a2_max, math.sqrt(10)) and a7_min == 16
    assert a2_max < a7_min  # no C satisfies both
    assert frei2023_from_config(cfg).largest_c is None


def test_figures_say_their_setting_is_outside():
    for name in ("frei2023-amplification", "frei2023-trajectories"):
        spec = FIGURES[name]
        assert any(c.startswith("frei2023.") for c in spec.claims)
        text = " ".join(spec.differences)
        assert "no C > 1 satisfies A1-A7" in text and "A7 needs C >= 16" in text, name
        assert "C <= 3.16" in text and "outside them" in text, name


def test_caption_note_follows_the_drawn_setting():
    """quick mode draws a smaller setting; the caption's note is computed from it"""
    quick = E.theorem_regime_config(True)
    note = P.regime_note(quick)
    assert note.endswith(frei2023_from_config(quick).summary()
                         + "; outside them: the lemmas' quantities are illustrated, not checked "
                         "in the regime")
    inside = E.plan(True).regime.config(3000)
    assert "16 <= C <= 35.4" in P.regime_note(inside) and "inside them" in P.regime_note(inside)


def test_phase_amplification_says_how_much_of_its_grid_is_inside():
    """phase-amplification (Lemma 12 over omega_init^2 x alpha at d = 100, n = 200) said only
    "includes settings outside (A6)-(A7)". Written out from the card's inequalities (not through
    twolayer.conditions): A1 caps C at 100/log^2(200/delta) = 1.45 everywhere, so A1-A7 hold for
    some C > 1 only where A7's lower end 1/(4 alpha^2) is below 1.45 and A6 allows C > 1:
    12 of the 64 points. The stated difference must not suggest the rest is inside."""
    from twolayer.plots import phase as PH

    spec = PH.sweep_spec("phase-amplification", False)
    delta = PH.DELTA
    inside = 0
    for p in spec.points():
        c_lo, c_hi = frei_c_range(p.config, delta)
        inside += c_hi >= c_lo and c_hi > 1
    assert inside == 12 and len(spec.points()) == 64
    a1 = 100 / math.log(200 / delta) ** 2
    assert f"C <= {a1:.3g}" in " ".join(FIGURES["phase-amplification"].differences)
    assert "most of the grid is outside" in " ".join(FIGURES["phase-amplification"].differences)
