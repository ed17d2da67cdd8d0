"""``twolayer check PAPER --record DIR --list`` names as served exactly the claims that the run
on the same record judges (session 48: a record of ``twolayer simulate`` with the default
probes was said to serve 16 frei2023 claims; the run then judged 1 and said "not served" of the
15 whose checks read the frei probes' arrays). Oracle: the run's own JSON on that record."""

from __future__ import annotations

import json

from twolayer.cli import main


def test_list_serves_what_the_run_judges(tmp_path, capsys):
    out = tmp_path / "rec"
    assert main(["simulate", "--steps", "20", "--d", "5", "--n", "20", "--n-test", "20",
                 "--m", "4", "--seeds", "2", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["check", "frei2023", "--record", str(out), "--json"]) in (0, 1)
    rows = json.loads(capsys.readouterr().out)
    judged = {r["id"] for r in rows if r["verdict"] != "not served"}
    lacking = {r["id"]: r["why"] for r in rows if r["verdict"] == "not served"}
    assert judged and lacking  # the premise: some claims lack the frei probes' arrays
    assert main(["check", "frei2023", "--record", str(out), "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    served = {r["id"] for r in listed if r["served"]}
    assert served == judged
    why = {r["id"]: r["why"] for r in listed if not r["served"]}
    for cid, detail in lacking.items():  # the same reason as the run gives
        assert why[cid] == detail, (cid, why[cid], detail)
    assert main(["check", "frei2023", "--record", str(out), "--list"]) == 0
    text = capsys.readouterr().out
    head, rest = text.split("not served by this record", 1)
    assert all(cid in head for cid in judged) and all(cid in rest for cid in lacking)


def test_an_infinite_measured_value_prints_as_inf_not_as_nothing_measured():
    """A time never reached is a number and stands (docs/extending.md); the table printed
    "n/a", as for a claim that measured nothing."""
    from twolayer.claims.base import Claim, outcome
    from twolayer.commands.check import _num

    assert (_num(float("inf")), _num(float("-inf"))) == ("inf", "-inf")
    assert _num(None) == _num(float("nan")) == "n/a"
    inf = float("inf")
    o = outcome("holds", inf, ">= 10", None, 6, "s", comparisons=[((inf,) * 6, 10.0, ">=")],
                test="sign")  # six runs that never reached the event: 2^-6 < 0.05
    v = Claim("fake.inf", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)
    assert v.verdict == "holds" and _num(v.measured) == "inf"
