"""twolayer.conditions (A1)–(A7) of Frei et al. (2023) against a direct evaluation of the
inequalities on a grid of C, and the `twolayer conditions` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from twolayer.cli import main
from twolayer.conditions import frei2023, frei2023_from_config
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.errors import ConfigError


def literal(C, d, n, m, eta, s2, w2, a, delta):
    """The seven assumptions, written out as in the paper card (the oracle)."""
    L = math.log
    return {
        "A1": d >= C * max(L(n / delta) ** 2, L(m / delta)),
        "A2": s2 <= 1 / (C**2 * d),
        "A3": n >= C * L(m / delta),
        "A4": eta <= 1 / C,
        "A5": m >= C * L(1 / delta),
        "A6": 0 < w2 <= 1 / (C**4 * m * d),
        "A7": 1 / (2 * math.sqrt(C)) <= a <= 1 / math.sqrt(C),
    }


SETTINGS = [
    dict(d=1500, n=500, m=200, eta=0.02, s2=1 / (4096 * 1500), w2=1 / (64**4 * 3e5), a=0.125),
    dict(d=5000, n=300, m=400, eta=0.15, s2=5000**-1.2, w2=0.01 / (400 * 5000), a=0.1),
    dict(d=20000, n=2000, m=1000, eta=0.0, s2=1e-9, w2=1e-16, a=0.05),
    dict(d=50, n=1000, m=10, eta=0.3, s2=0.1, w2=1e-3, a=2.0),
]


@pytest.mark.parametrize("s", SETTINGS)
@pytest.mark.parametrize("delta", [0.01, 0.05, 0.2])
def test_ranges_match_the_inequalities_on_a_grid(s, delta):
    cond = frei2023(s["d"], s["n"], s["m"], s["eta"], s["s2"], s["w2"], s["a"], delta)
    grid = np.exp(np.linspace(math.log(1.0001), math.log(1e6), 4000))
    for a in cond.assumptions:
        truth = np.array([literal(C, **s, delta=delta)[a.id] for C in grid])
        mine = np.array([a.holds(C) for C in grid])
        # agree everywhere except within 0.5% of an interval end (grid resolution / rounding)
        near = np.zeros_like(truth)
        for edge in (a.c_min, a.c_max):
            if math.isfinite(edge):
                near |= np.abs(np.log(grid) - math.log(edge)) < 5e-3
        assert (truth == mine)[~near].all(), a.id
    all_truth = np.array([all(literal(C, **s, delta=delta).values()) for C in grid])
    if cond.largest_c is None:
        assert not all_truth.any()
    else:
        ok = grid[all_truth]
        assert ok.max() == pytest.approx(min(cond.largest_c, grid[-1]), rel=5e-3)
        assert ok.min() == pytest.approx(max(cond.c_min_all, grid[0]), rel=5e-3)


def test_feasible_settings_exist():
    feasible = [frei2023(**_args(s)).largest_c for s in SETTINGS]
    assert feasible[0] == pytest.approx(1500 / math.log(1e4) ** 2)
    assert feasible[1] is None and feasible[3] is None
    assert feasible[2] == pytest.approx((1e-16 * 1000 * 20000) ** -0.25)  # A6 binds, C >= 100


def _args(s):
    return dict(d=s["d"], n=s["n"], m=s["m"], noise=s["eta"], sigma2=s["s2"], init_var=s["w2"],
                lr=s["a"])


def test_known_values():
    c = frei2023(1500, 500, 200, 0.02, 1 / (4096 * 1500), 1 / (64**4 * 200 * 1500), 0.125)
    got = {a.id: a.c_max for a in c.assumptions}
    assert got["A1"] == pytest.approx(1500 / math.log(500 / 0.05) ** 2)
    assert got["A2"] == pytest.approx(64)
    assert got["A4"] == pytest.approx(50)
    assert got["A6"] == pytest.approx(64)  # ω² m d = 64^-4
    assert got["A7"] == pytest.approx(64)
    assert c.c_min_all == pytest.approx(16)
    assert c.largest_c == pytest.approx(1500 / math.log(1e4) ** 2)  # ≈ 17.7, A1 binds
    assert c.binding == ["A1"]
    assert "limited by A1" in c.summary()
    # (A7) alone decides that a step of 0.1 with the Fig. 2 setting is outside for every C
    fig2 = frei2023(5000, 300, 400, 0.15, 5000**-1.2, 0.01 / (400 * 5000), 0.1)
    assert fig2.largest_c is None and "no C > 1" in fig2.summary()
    assert frei2023(100, 10, 10, 0.0, 1e-9, 1e-12, 0.5).assumptions[3].c_max == math.inf


def test_from_config_resolves_defaults():
    cfg = Config(data=DataConfig(d=400, n=100), net=NetConfig(m=10), train=TrainConfig(lr=0.25))
    c = frei2023_from_config(cfg)
    assert c.setting["sigma2"] == pytest.approx(400**-1.2)
    assert c.setting["init_var"] == pytest.approx(0.01 / 4000)


@pytest.mark.parametrize("bad", [dict(delta=0.5), dict(delta=0.0), dict(sigma2=0.0), dict(d=0)])
def test_bad_input(bad):
    args = dict(d=10, n=10, m=10, noise=0.1, sigma2=0.01, init_var=1e-4, lr=0.2, delta=0.05)
    args.update(bad)
    with pytest.raises(ConfigError):
        frei2023(**args)


def test_cli_table_and_json(capsys):
    argv = ["conditions", "--d", "1500", "--n", "500", "--m", "200", "--noise", "0.02",
            "--sigma2", str(1 / (4096 * 1500)), "--init-var", str(1 / (64**4 * 200 * 1500)),
            "--lr", "0.125"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for k in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "16 <= C <= 64", "limited by A1"):
        assert k in out
    assert main(argv + ["--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert [a["id"] for a in js["assumptions"]] == [f"A{i}" for i in range(1, 8)]
    assert js["largest_c"] == pytest.approx(1500 / math.log(1e4) ** 2)
    assert js["binding"] == ["A1"]


def test_cli_bad_delta_exits_2(capsys):
    assert main(["conditions", "--delta", "0.7"]) == 2
    err = capsys.readouterr().err
    assert "--delta" in err and "0.7" in err and "(0, 0.5)" in err


@pytest.mark.parametrize("extra", [["--seeds", "5"], ["--dtype", "float64"],
                                   ["--probes", "errors"], ["--steps", "10"]])
def test_conditions_refuses_settings_it_does_not_read(extra, capsys):
    """simulate's flags that the assumptions do not depend on are refused, not ignored"""
    assert main(["conditions", "--d", "200", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and extra[0] in err and "conditions reads only" in err
    assert main(["conditions", "--d", "200", "--lr", "0.05", "--noise", "0.1"]) == 0


def test_help_offers_only_the_flags_conditions_reads(capsys):
    """--help (and so docs/cli.md) does not list simulate's flags that conditions refuses (with
    no plugin loaded: a plugin's setting reader reads them all, and one left registered by an
    earlier test made this fail in the whole suite)"""
    from pathlib import Path

    from twolayer.conditions import CONDITIONS

    package = Path(main.__code__.co_filename).resolve().parent
    plugged = {k: v for k, v in CONDITIONS.items()
               if not Path(v.origin.rsplit(":", 1)[0]).resolve().is_relative_to(package)}
    for k in plugged:
        CONDITIONS.pop(k)
    try:
        with pytest.raises(SystemExit):
            main(["conditions", "--help"])
    finally:
        CONDITIONS.update(plugged)
    out = capsys.readouterr().out
    for flag in ("--d D", "--n N", "--m M", "--noise NOISE", "--sigma2", "--init-var", "--lr",
                 "--preset", "--delta", "--json", "--noise-model", "--bias"):
        assert flag in out, flag
    for flag in ("--steps", "--seeds", "--dtype", "--probes", "--integrator", "--n-test",
                 "--batch-size", "--num-times", "--rotate", "--slabs"):
        assert flag not in out, flag


@pytest.mark.parametrize("extra,why", [(["--noise-model", "random"], "eta/2"),
                                       (["--second-layer", "gaussian"], "fixed second layer"),
                                       (["--bias"], "no biases"),
                                       (["--train-second-layer"], "first layer only")])
def test_conditions_refuses_what_theorem_1_fixes_with_its_reason(extra, why, capsys):
    assert main(["conditions", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and extra[0] in err and why in err
    assert main(["conditions", "--noise-model", "iid", "--second-layer", "frei"]) == 0


@pytest.mark.parametrize("model", ["per-cluster", "one-cluster", "confident"])
def test_conditions_takes_the_adversarial_noise_theorem_1_allows(model, capsys):
    """Theorem 1 allows any flip probability eta(x) with mean eta (the card's label noise), and
    frei2023's own in-regime claims run per-cluster and one-cluster noise: conditions does not
    refuse them as "not i.i.d.", and A4 reads the same eta (eta <= 1/C: C <= 1/0.15)"""
    assert main(["conditions", "--noise-model", model, "--noise", "0.15", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    a4 = next(a for a in js["assumptions"] if a["id"] == "A4")
    assert a4["c_max"] == pytest.approx(1 / 0.15)


@pytest.mark.parametrize("extra", [["--sigma2", "1e-40"], ["--init-var", "1e-40"],
                                   ["--lr", "1e-100"], ["--lr", "1e100"]])
def test_conditions_takes_values_float32_cannot_hold(extra, capsys):
    """conditions trains nothing and computes in float64: float32's range does not apply"""
    assert main(["conditions", *extra]) == 0
    assert f"{float(extra[1]):.4g}" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--init-var", "--sigma2"])
def test_conditions_refuses_float64_subnormals_with_advice_it_takes(flag, capsys):
    """below float64's smallest normal number: refused, without advising --dtype (which
    conditions refuses)"""
    assert main(["conditions", flag, "1e-320"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and flag in err and "1e-320" in err and "--dtype" not in err
    assert "use a larger value" in err


@pytest.mark.parametrize("lr", ["1e-200", "1e200"])
def test_conditions_refuses_a_step_whose_a7_bounds_overflow(lr, capsys):
    assert main(["conditions", "--lr", lr]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--lr" in err and "[1e-150, 1e+150]" in err and "float64" in err


@pytest.mark.parametrize("delta", ["0.25", "0.3", "0.49"])
def test_cli_says_the_probability_bound_is_vacuous_for_delta_from_a_quarter(delta, capsys):
    """delta in [1/4, 1/2) is in the paper's range, but 1 - 4 delta <= 0 guarantees nothing"""
    assert main(["conditions", "--delta", delta]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "vacuous" in head and "probability >=" not in head
    assert main(["conditions", "--delta", "0.2"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "probability >= 0.2" in head and "vacuous" not in head


@pytest.mark.parametrize("extra,why", [
    (["--batch-size", "10"], "full-batch GD"),
    (["--integrator", "flow"], "GD steps of size alpha"),
    (["--integrator", "auto"], "GD steps of size alpha"),
    (["--objective", "softmax"], "logistic loss"),
])
def test_conditions_refuses_training_theorem_1_excludes_with_its_reason(extra, why, capsys):
    """Theorem 1 is about full-batch GD with step alpha on the logistic loss (card section 2):
    SGD, gradient flow or another loss is refused with that reason, not with "the assumptions do
    not depend on this setting", which would read as if the run were still covered"""
    assert main(["conditions", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and extra[0] in err and why in err
    assert "do not depend" not in err


@pytest.mark.parametrize("extra", [["--integrator", "gd"], ["--objective", "logistic"],
                                   ["--cluster-dist", "laplace"], ["--cluster-dist", "uniform"],
                                   ["--rotate"]])
def test_conditions_takes_what_theorem_1_allows(extra, capsys):
    """the theorem's own algorithm, any log-concave cluster law (card section 1) and any
    orthonormal pair of means: the same table as without the flag"""
    base = ["conditions", "--d", "3000", "--lr", "0.125", "--json"]
    assert main(base) == 0
    ref = json.loads(capsys.readouterr().out)
    assert main(base + extra) == 0
    assert json.loads(capsys.readouterr().out) == ref


def test_conditions_refusal_of_steps_names_the_theorem_time(capsys):
    assert main(["conditions", "--steps", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "T = 1 + 1/(4 alpha)" in err


def test_summary_where_only_upper_ends_exclude():
    """alpha = 4: A7 holds exactly for 1/(4 alpha^2) = 1/64 <= C <= 1/alpha^2 = 1/16, so no C > 1
    exists and nothing sets a lower bound above 1; the summary names what caps C (A7 at 1/16),
    not a pseudo-assumption "C > 1 needs C >= 1"."""
    c = frei2023(d=500, n=50, m=50, noise=0.15, sigma2=500**-1.2, init_var=0.01 / (50 * 500),
                 lr=4.0)
    assert c.largest_c is None
    s = c.summary()
    assert s == "no C > 1 satisfies A1-A7 together: A7 allows only C <= 0.0625"


def test_numpy_scalars_are_numbers():
    """a setting taken from a numpy grid (np.int64 d, np.float32 eta) is the same setting: the
    same C intervals as with Python numbers (before: "--d 3000 is invalid: must be an integer"),
    and its JSON is still plain JSON"""
    ref = frei2023(3000, 500, 200, 0.02, 1e-7, 1e-13, 0.125)
    got = frei2023(np.int64(3000), np.int32(500), np.int64(200), np.float64(0.02),
                   np.float64(1e-7), np.float64(1e-13), np.float64(0.125), delta=np.float64(0.05))
    assert got.to_json() == ref.to_json()
    assert json.loads(json.dumps(got.to_json())) == ref.to_json()
    f32 = frei2023(3000, 500, 200, np.float32(0.02), 1e-7, 1e-13, 0.125)
    assert f32.largest_c == pytest.approx(ref.largest_c)
    for bad in (True, np.float64(3000.0)):  # a bool or a float is not a count
        with pytest.raises(ConfigError):
            frei2023(bad, 500, 200, 0.02, 1e-7, 1e-13, 0.125)


@pytest.mark.parametrize("lr,whole", [("0.125", True), ("0.05", True), (str(1 / 12), True),
                                      ("0.25", True), ("0.1", False), ("1", False),
                                      ("0.3", False)])
def test_table_says_when_t_is_not_a_whole_number_of_steps(lr, whole, capsys):
    """T = 1 + 1/(4 alpha) GD steps (card section 2: alpha = 0.05 gives T = 6); at the simulate
    default alpha = 0.1 it is 3.5, which no run can stop at: the table says so"""
    assert main(["conditions", "--lr", lr]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    q = 1 / (4 * float(lr))
    assert f"T = 1 + 1/(4 alpha) = {1 + q:.4g}" in line
    assert ("not a whole number of GD steps" in line) is (not whole)


@pytest.mark.parametrize("delta", [5e-324, 1e-310, 1e-300])
def test_tiny_delta_gives_finite_logs(delta):
    """delta in (0, 1/2) includes float64 subnormals, where n/delta overflows: the logs are
    log n - log delta (by hand: log(1000) + 744.44 at 5e-324), so A1's C_max is d over their
    square, not 0"""
    c = {a.id: a for a in frei2023(50, 1000, 400, 0.1, 0.01, 1e-6, 0.1, delta=delta).assumptions}
    log_nd = math.log(1000) - math.log(delta)
    assert math.isfinite(log_nd)
    assert c["A1"].c_max == pytest.approx(50 / log_nd**2, rel=1e-12) and c["A1"].c_max > 0
    assert c["A5"].c_max == pytest.approx(400 / -math.log(delta), rel=1e-12)


def test_c_equal_to_one_is_not_offered():
    """C > 1 is strict (card section 3). At alpha = 0.6, A7 holds for 1/(4 alpha^2) = 0.69 <= C <=
    1/alpha^2 = 2.78, so with the other assumptions loose the interval is 1 < C <= 2.78: the text
    must not say 1 <= C (C = 1 is excluded); where A7 sets the lower end it is inclusive"""
    c = frei2023(100000, 1000, 400, 0.01, 1e-9, 1e-20, 0.6)
    assert c.largest_c == pytest.approx(1 / 0.36)
    assert c.summary().startswith("A1-A7 hold for 1 < C <= 2.78")
    assert not c.holds(1.0) and c.holds(1.0001)
    c = frei2023(100000, 1000, 400, 0.01, 1e-9, 1e-20, 0.125)
    assert c.summary().startswith("A1-A7 hold for 16 <= C <= 64") and c.holds(16.0)


@pytest.mark.parametrize("s", SETTINGS + [
    dict(d=5000, n=300, m=400, eta=0.15, s2=5000**-1.2, w2=0.01 / (400 * 5000), a=0.1),
    dict(d=50, n=1000, m=400, eta=0.45, s2=50**-1.2, w2=0.01 / (400 * 50), a=1.0),
    dict(d=3000, n=500, m=200, eta=0.4999, s2=8.14e-8, w2=1.0, a=0.125),
])
def test_failing_names_every_assumption_that_must_change(s):
    """Where no C satisfies all seven, `failing` is every assumption that the literal inequality
    rejects at every C of a fine grid from the least C the others allow (A7's 1/(4 alpha^2), or
    just above 1) to 10^6; where some C does, it is empty. (Before: only the assumption with the
    smallest upper end was named, e.g. A2 of A2, A4, A6 at README's conditions example.)"""
    c = frei2023(s["d"], s["n"], s["m"], s["eta"], s["s2"], s["w2"], s["a"])
    lo = max(1 + 1e-9, 1 / (4 * s["a"] ** 2))
    grid = np.geomspace(lo, 1e6, 4000)
    lits = [literal(C, *(s[k] for k in ("d", "n", "m", "eta", "s2", "w2", "a")), 0.05)
            for C in grid]
    if any(all(lit.values()) for lit in lits):
        assert c.failing == [] and c.failing_text() == ""
        return
    never = [k for k in lits[0] if k != "A7" and not any(lit[k] for lit in lits)]
    if not any(lit["A7"] for lit in lits):
        never.append("A7")
    assert [a.id for a in c.failing] == never


def test_cli_marks_every_failing_assumption(capsys):
    """README's example `twolayer conditions --d 5000 --n 300 --m 400 --noise 0.15` (alpha = 0.1):
    by hand, A7 needs C >= 1/(4 * 0.01) = 25, and A2 allows C <= 1/sqrt(sigma^2 d) =
    5000^0.1 = 2.34, A4 C <= 1/0.15 = 6.67, A6 C <= 0.01^(-1/4) = 3.16, all below 25, while A1
    (5000/log^2(6000) = 66.1), A3 (300/log(8000) = 33.4) and A5 (400/log 20 = 134) allow C = 25.
    The table marks exactly A2, A4, A6 and a line names all three (before, only A2)."""
    argv = ["conditions", "--d", "5000", "--n", "300", "--m", "400", "--noise", "0.15"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {ln[:2]: ln for ln in lines if ln[:2] in {f"A{i}" for i in range(1, 8)}}
    assert {k for k, ln in rows.items() if "FAILS" in ln} == {"A2", "A4", "A6"}
    assert lines[-1] == ("at C = 25 (the least C that A7 and C > 1 allow): A2 fails "
                         "(C <= 2.344), A4 fails (C <= 6.667), A6 fails (C <= 3.162)")
    assert main(argv + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failing"] == ["A2", "A4", "A6"]
    # alpha = 1: A7 allows no C > 1 (1/alpha^2 = 1), and d = 50 leaves A1 at 50/log^2(2e4) = 0.51
    assert main(["conditions", "--d", "50", "--lr", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "at every C > 1: A1 fails (no C > 1), A7 fails (no C > 1)"
    # a setting inside: no mark, no extra line
    assert main(["conditions", "--d", "3000", "--n", "500", "--m", "200", "--noise", "0.02",
                 "--sigma2", "8.14e-8", "--init-var", "9.93e-14", "--lr", "0.125"]) == 0
    out = capsys.readouterr().out
    assert "FAILS" not in out and out.splitlines()[-1].startswith("A1-A7 hold for 16 <= C")


@pytest.mark.parametrize("argv,flag", [
    (["--d", "10**400"], "--d"), (["--m", "1" + "0" * 400], "--m"),
    (["--d", "10**308"], "--d"), (["--m", "10**308"], "--m"), (["--n", "10**200"], "--n"),
])
def test_conditions_refuses_sizes_float64_cannot_hold(argv, flag, capsys):
    """Sizes beyond what float64 arithmetic holds stop with one line naming the flag and its
    range, exit 2 (before: an OverflowError traceback, exit 1, for m = 10^308 or any size
    above 1.8e308; and for d = 10^308 the default sigma2 = d^-1.2 underflowed to 0, refused as
    "--sigma2 0.0", a flag never given)."""
    try:
        status = main(["conditions", *argv])
    except SystemExit as e:  # argparse's refusal of the flag's text
        status = e.code
    assert status == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "\n" not in err and flag in err
    assert "1.798e+308" in err or "at most 1e50" in err
    assert "--sigma2" not in err
    # the largest sizes the flags take still evaluate (A1, A3, A5 grow without bound)
    big = "10**50"
    assert main(["conditions", "--d", big, "--n", big, "--m", big, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failing"] == ["A4", "A6"]
    # the library takes sizes up to 1e50 (a Config's cap); beyond, a Config is refused
    assert frei2023_from_config(Config(data=DataConfig(d=10**50, n=10**50),
                                       net=NetConfig(m=10**50), dtype="float64")
                                ).largest_c is None
    for kw in (dict(d=10**308), dict(m=10**308)):
        with pytest.raises(ConfigError, match=r"1e50") as e:
            Config(data=DataConfig(d=kw.get("d", 50)), net=NetConfig(m=kw.get("m", 400)))
        assert e.value.field == next(iter(kw))
    with pytest.raises(ConfigError, match="1e50"):
        frei2023(10**151, 500, 200, 0.02, 1e-7, 1e-13, 0.125)


# An upper end equal on paper to A7's lower end 1/(4 alpha^2): C = 1/(4 alpha^2) satisfies both,
# so A1-A7 hold (the other assumptions are loose here). Hand values at alpha = 0.35:
# 4 alpha^2 = 0.49, so A7 needs C >= 1/0.49 = 100/49 = 2.0408163265306...; A4 with eta = 0.49
# allows C <= 1/0.49; A2 with sigma^2 d = 0.2401 = 0.49^2 allows C <= 1/sqrt(0.2401) = 1/0.49;
# A6 with omega^2 m d = 0.05764801 = 0.49^4 allows C <= 0.05764801^(-1/4) = 1/0.49. Before the
# ends were computed from the exact values, 1/(4*0.35**2) and 1/0.49 rounded apart and each
# setting read "no C > 1 satisfies A1-A7".
_BIG = dict(d=10**6, n=10**6, m=10**5)


@pytest.mark.parametrize("which, kw", [
    ("A4", dict(noise=0.49, sigma2=1e-20, init_var=1e-30)),
    ("A2", dict(noise=0.0, sigma2=0.2401 / 10**6, init_var=1e-30)),
    ("A6", dict(noise=0.0, sigma2=1e-20, init_var=0.05764801 / (10**5 * 10**6))),
])
def test_an_upper_end_equal_to_a7s_lower_end_is_inside(which, kw):
    c = frei2023(**_BIG, lr=0.35, **kw)
    assert c.largest_c == pytest.approx(100 / 49, rel=1e-15)
    assert c.binding == [which]
    assert c.failing == []
    # a hair past the tie it is outside
    past = {"A4": dict(kw, noise=0.4900001), "A2": dict(kw, sigma2=0.2401001 / 10**6),
            "A6": dict(kw, init_var=0.05764802 / (10**5 * 10**6))}[which]
    out = frei2023(**_BIG, lr=0.35, **past)
    assert out.largest_c is None and [a.id for a in out.failing] == [which]
