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


@pytest.mark.parametrize("bad", ["half active", "lemma1", "", "mine.", ".lemma1", "mine..x",
                                 "mine.lemma 1", "all.lemma1", 3])
def test_a_claim_id_that_is_not_paper_dot_name_is_refused(bad):
    """`@claim("half active", ...)` registered a claim whose paper was "half active" (the id
    up to its first dot); ids are '<paper>.<name>' (every built-in one and the docs' recipes),
    and a paper named "all" would be read as every claim. Refused where it registers, naming
    the id; the claim is not registered."""
    from twolayer.api import claim
    from twolayer.claims import CLAIMS
    from twolayer.errors import TwolayerError

    before = dict(CLAIMS)
    with pytest.raises(TwolayerError, match=r"an id is '<paper>\.<name>'"):
        claim(bad, "s", "Lemma 1", "[INFERRED]")(lambda runs: None)
    assert CLAIMS == before


def test_a_claim_id_of_paper_dot_name_registers():
    from twolayer.api import claim
    from twolayer.claims import CLAIMS

    try:
        claim("uapaper.lemma1.bound", "s", "Lemma 1", "[INFERRED]")(lambda runs: None)
        assert CLAIMS["uapaper.lemma1.bound"].paper == "uapaper"
    finally:
        CLAIMS.pop("uapaper.lemma1.bound", None)


@pytest.mark.parametrize("bad", ["static", "baseline", "my/probe", "a,b", "my probe", ""])
def test_a_probe_name_a_record_cannot_hold_is_refused(bad):
    """`@probe("static")` returning {"a": ...} was silently replaced in the record by the
    record's own `static/a` (the second layer, [R, m, 1]) and its values were lost; a name with
    '/' makes '<probe>/<quantity>' ambiguous, and one with ',' cannot be named in --probes.
    Refused where it registers; nothing registered."""
    from twolayer.api import probe
    from twolayer.errors import TwolayerError
    from twolayer.probes import REGISTRY

    before = dict(REGISTRY)
    with pytest.raises(TwolayerError, match="a probe's name is"):
        probe(bad)(lambda state: {})
    assert REGISTRY == before


@pytest.mark.parametrize("kw,named", [({"data__slabs": 3}, "slabs"),
                                      ({"train__nope": 3}, "nope"),
                                      ({"nope__x": 1}, "nope")])
def test_config_replace_names_a_field_that_is_not_a_setting(kw, named):
    """Config.replace(data__slabs=3) on xor data raised a TypeError from the dataclass
    constructor where DataConfig(slabs=3) raises the ConfigError that names the field and the
    kind's settings (docs/guide.md: "a field the kind does not have is an error naming it")."""
    from twolayer.api import Config, ConfigError

    with pytest.raises(ConfigError, match=f"--{named} .* is not a (setting|section)"):
        Config().replace(**kw)
    c = Config().replace(data__kind="lms", data__slabs=3, train__lr=0.5, seeds=3)
    assert (c.data.kind, c.data.slabs, c.train.lr, c.seeds) == ("lms", 3, 0.5, 3)
    assert Config().replace(data__noise=0.2).data.noise == 0.2


def test_an_outcome_threshold_without_its_direction_is_refused():
    """outcome("holds", ..., per_seed=v, threshold=0.05) without a direction was taken, and
    with no side known neither the per-seed test nor the interval could question a holds whose
    values (about 0.58, interval [0.47, 0.69]) lie above 0.05. A direction without a threshold
    stays allowed (a claim with two cut-offs names none between them)."""
    from twolayer.api import outcome

    v = [0.5, 0.62, 0.55, 0.66]
    with pytest.raises(ValueError, match="needs its direction"):
        outcome("holds", 0.58, "b", (0.47, 0.69), 4, "s", per_seed=v, threshold=0.05)
    assert outcome("inconclusive", 0.58, "b", (0.47, 0.69), 4, "s", per_seed=v,
                   direction="<=").threshold is None


def test_an_outcome_in_regime_without_its_regime_text_is_refused():
    """outcome(..., in_regime=True) with no regime text printed "regime (inside): " and
    nothing after it: a verdict marked inside with no premise named, which --details and the
    report showed as computed."""
    from twolayer.api import outcome

    for inside in (True, False):
        with pytest.raises(ValueError, match="needs its regime text"):
            outcome("holds", 0.1, "b", (0.0, 0.2), 4, "s", in_regime=inside)
        with pytest.raises(ValueError, match="needs its regime text"):
            outcome("holds", 0.1, "b", (0.0, 0.2), 4, "s", in_regime=inside, regime="  ")
    o = outcome("holds", 0.1, "b", (0.0, 0.2), 4, "s", in_regime=True, regime="d 20 >= 10")
    assert o.in_regime is True and o.regime == "d 20 >= 10"
