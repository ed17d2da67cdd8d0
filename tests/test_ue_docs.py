"""Statements of the docs beyond the README's quick start, held against what the code does (the
`ue` audit of docs/guide.md, docs/sweeps.md, docs/extending.md and the CLI's help)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from twolayer.api import claim, outcome
from twolayer.claims import CLAIMS
from twolayer.claims.base import claims_for

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture
def prefix_claims():
    """Claims ``ueprefix.lemma.a``, ``ueprefix.lemma.b`` and ``ueprefix.lemma1``, forgotten after
    the test."""
    ids = ("ueprefix.lemma.a", "ueprefix.lemma.b", "ueprefix.lemma1")
    for cid in ids:
        claim(cid, "a statement", "a source", "[PROPOSAL]")(
            lambda runs: outcome("inconclusive", None, "", None, 0, ""))
    yield ids
    for cid in ids:
        CLAIMS.pop(cid, None)


def test_extending_md_says_which_ids_a_prefix_selects(prefix_claims) -> None:
    """docs/extending.md said that `mine.lemma` selects the ids it starts (so `mine.lemma1`);
    `claims_for` selects the ids under a prefix that ends at a dot, as the page now says."""
    text = " ".join((DOCS / "extending.md").read_text().split())
    m = re.search(r"a prefix of ids up to a dot, `mine\.([\w.]+)`, selects the ids under it, "
                  r"`mine\.([\w.]+)` and `mine\.([\w.]+)`, not `mine\.([\w.]+)`", text)
    assert m, "docs/extending.md no longer states what a prefix of claim ids selects"
    prefix, first, second, other = (f"ueprefix.{g}" for g in m.groups())
    chosen = [c.id for c in claims_for([prefix])]
    assert set(chosen) == {first, second}
    assert other in CLAIMS and other not in chosen


def test_every_timed_phase_is_named_by_the_help_and_the_guide(tmp_path) -> None:
    """`simulate --timings` reports a *baselines* phase (the linear baselines, often most of a
    small run's time) that neither `--timings`' help nor docs/guide.md named."""
    import json

    from twolayer.cli import main
    from twolayer.clidoc import render

    out = tmp_path / "t.json"
    assert main(["simulate", "--d", "5", "--n", "40", "--n-test", "50", "--m", "4",
                 "--steps", "3", "--quiet", "--timings", str(out)]) == 0
    phases = set(json.loads(out.read_text())["phases"])
    assert {"training", "data", "probes", "baselines", "other"} <= phases
    helps = " ".join(render().split())
    guide = " ".join((DOCS / "guide.md").read_text().split())
    said = re.search(r"prints where the wall time went — ([a-z, ]+), each exclusive", guide)
    assert said, "docs/guide.md no longer lists the --timings phases"
    listed = {p.strip() for p in said.group(1).split(",")}
    for name in phases:
        assert name in listed, f"docs/guide.md does not name the phase {name!r}"
    told = re.findall(r"report where the wall time went \(([a-z, ]+);", helps)
    assert len(told) == 3  # simulate, figures, check
    for names in told:
        assert phases <= {p.strip() for p in names.split(",")}


@pytest.mark.parametrize("argv", [["study", "--only", "nonexistent"], ["study", "--steps", "0"],
                                  ["bench", "--seeds", "-1"]])
def test_the_flow_study_refuses_what_it_cannot_run(argv, capsys) -> None:
    """`python -m twolayer.bench.flow study --only <a typo>` (docs/integrators.md) printed
    nothing and exited 0; --steps 0 or --seeds -1 went on into the training loop."""
    from twolayer.bench import flow

    with pytest.raises(SystemExit) as e:
        flow.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("flow.py: error:") or "error:" in err[-1]


def test_the_guides_phased_training_snippet_runs() -> None:
    """docs/guide.md "From Python": the second snippet (phased training) trained on
    `other_data`, a name it never defined (NameError when pasted after the first snippet). Run
    it as shown, after a small `cfg` in place of the first snippet's, and check what its comment
    says `measure` returns: arrays [R], R = the config's seeds, no time axis."""
    import twolayer as tl

    guide = (DOCS / "guide.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", guide.split("## From Python", 1)[1], re.S)
    phased = next(b for b in blocks if "measure(" in b)
    cfg = tl.Config(data=tl.DataConfig(d=10, n=30, n_test=20), net=tl.NetConfig(m=8),
                    train=tl.TrainConfig(steps=3), seeds=3)
    scope: dict = {"cfg": cfg}
    exec(compile(phased, "docs/guide.md", "exec"), scope)
    now = scope["now"]
    assert "errors/test_error" in now
    assert all(tuple(v.shape) == (3,) for v in now.values()), {k: v.shape for k, v in now.items()}


def test_integrators_md_lists_every_integrator_statistic() -> None:
    """docs/integrators.md "Statistics" named the keys of a record's meta["integrator"] but not
    `gd_steps` nor `integrator`; every key a tiny auto run records must be named there."""
    import twolayer as tl
    from twolayer.engine import train
    from twolayer.simulate import setup

    text = (DOCS / "integrators.md").read_text()
    para = text.split("**Statistics**", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", para)) | {
        k for pair in re.findall(r"`([a-z_]+)`/`([a-z_]+)`", para) for k in pair}
    cfg = tl.Config(data=tl.DataConfig(d=6, n=12, n_test=8), net=tl.NetConfig(m=4),
                    train=tl.TrainConfig(steps=30, integrator="auto", switch=5), seeds=1)
    cfg, data, params = setup(cfg)
    res = train(params, data, cfg.train, probes=("errors",))
    recorded = set(res.meta["integrator"])
    assert recorded <= named, f"not in docs/integrators.md: {sorted(recorded - named)}"


def test_guide_names_every_flag_refused_when_given_twice() -> None:
    """docs/guide.md "Errors" named only --probes as refused when given twice with two values
    and said the other setting flags take their last value; --preset is refused as well. Every
    simulate flag whose action refuses a second value must be named there."""
    from twolayer.cli import GivenOnce, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    once = {opt for a in sub.choices["simulate"]._actions if isinstance(a, GivenOnce)
            for opt in a.option_strings}
    assert once, "no flag of simulate is GivenOnce any more"
    errors = " ".join((DOCS / "guide.md").read_text().split("## Errors", 1)[1].split())
    said = errors.split("other setting flags given twice", 1)[0]
    for opt in once:
        assert f"`{opt}" in said, f"docs/guide.md's Errors does not say {opt} twice is refused"


def test_guide_names_every_module_outside_the_code_fingerprint() -> None:
    """docs/guide.md's record-store key listed the modules outside the run-code fingerprint in
    words that missed some (errors, plugins, sources, spawned, sequential, timing): a user
    could not tell an edit to them re-trains nothing. Every entry of experiments.NOT_RUN_CODE
    (the oracle: the tuple the fingerprint skips) must be named there."""
    from twolayer.experiments import NOT_RUN_CODE

    guide = " ".join((DOCS / "guide.md").read_text().split())
    para = guide.split("a fingerprint of the code that produces runs", 1)[1].split("So ", 1)[0]
    missing = [name for name in NOT_RUN_CODE if f"`{name}`" not in para]
    assert not missing, f"docs/guide.md does not name {missing} as outside the fingerprint"
