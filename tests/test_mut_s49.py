"""Mutation-test kills for session 49's new code (helper M): each test pins a behaviour that a
small deliberate fault in the code changed while every existing test still passed.

Oracles: scipy's one-sample t-test and exact binomial test (never twolayer.stats) for the
per-seed p-values, intervals built by hand, and the documented rules of ``Claim.verdict``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from stats_helpers import first_n_one_sided

from twolayer.claims.base import HOLDS, INCONCLUSIVE, Claim, outcome

MEDIAN_NOTE = "this verdict is about the median seed"


def t_interval(v: np.ndarray) -> tuple[float, float]:
    half = sps.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean() - half), float(v.mean() + half)


def judged(said: str, values: np.ndarray, threshold: float, direction: str,
           measured: float | None = None, **extra):
    measured = float(values.mean()) if measured is None else measured
    o = outcome(said, measured, f"{direction} {threshold}", t_interval(values), values.size,
                "fake", "", per_seed=values, threshold=threshold, direction=direction, **extra)
    return Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)


def scipy_claimed_p(values: np.ndarray, threshold: float, direction: str) -> tuple[float, float]:
    """(t-test p, exact sign-test p) of the claimed side, by scipy alone (ties left out)."""
    below = direction == "<="
    t = sps.ttest_1samp(values, threshold, alternative="less" if below else "greater").pvalue
    k = int((values < threshold).sum() if below else (values > threshold).sum())
    n = int((values != threshold).sum())
    return float(t), float(sps.binomtest(k, n, 0.5, alternative="greater").pvalue)


# 7 seeds on the claimed side, one far off: only the sign test of the median gives the claim,
# and the mean lies exactly on the bound
AT_BOUND = {"<=": (np.array([0.0] * 7 + [0.8]), 0.1), ">=": (np.array([0.2] * 7 + [-0.6]), 0.1)}


@pytest.mark.parametrize("direction", ("<=", ">="))
def test_a_measured_value_at_the_bound_is_on_the_claimed_side(direction):
    """_side_of: "<=" and ">=" include the bound (as stats.compare does), so a holds that only
    the sign test gives, reported with its measured value exactly at the bound, stands (it
    is not 'on the other side'), with the median note."""
    values, bound = AT_BOUND[direction]
    lo, hi = t_interval(values)
    assert lo < bound < hi
    t_p, s_p = scipy_claimed_p(values, bound, direction)
    assert t_p > 0.05 and s_p < 0.05  # only the sign test gives it
    v = judged(HOLDS, values, bound, direction, measured=bound)
    assert v.verdict == HOLDS, v.detail
    assert MEDIAN_NOTE in v.detail


def test_an_infinite_measured_value_does_not_unseat_a_sign_test_holds():
    """A verdict's infinite measured value stands (Claim.verdict's docstring: "an infinite one,
    such as a time never reached, stands"); the sign-test branch of _unsupported judges only a
    finite measured value against the bound."""
    values, bound = np.array([0.0] * 7 + [0.8]), 0.05
    t_p, s_p = scipy_claimed_p(values, bound, "<=")
    assert t_p > 0.05 and s_p < 0.05
    v = judged(HOLDS, values, bound, "<=", measured=math.inf)
    assert v.verdict == HOLDS, v.detail


def test_no_median_note_where_the_t_test_gives_the_verdict_too():
    """_sign_test_only: a holds whose two-sided 95% interval contains the bound but whose
    one-sided t-test (p < 0.05) gives it is a verdict about the mean: no median note."""
    values = np.array([0.1, 0.5, 0.6, 0.2, 1.4])
    lo, hi = t_interval(values)
    assert lo < 0.0 < hi
    t_p, s_p = scipy_claimed_p(values, 0.0, ">=")
    assert t_p < 0.05 and s_p < 0.05  # 0.0355 and 1/32
    v = judged(HOLDS, values, 0.0, ">=")
    assert v.verdict == HOLDS, v.detail
    assert MEDIAN_NOTE not in v.detail


def test_no_median_note_on_a_verdict_handed_over_with_comparisons():
    """_sign_test_only speaks of a holds handed over *without* comparisons; one that hands over
    its sign comparison says what decided it there, and gets no note."""
    values, bound = AT_BOUND["<="]
    v = judged(HOLDS, values, bound, "<=", comparisons=[(values, bound, "<=")], test="sign")
    assert v.verdict == HOLDS, v.detail
    assert MEDIAN_NOTE not in v.detail



def _cp_runs_to_decide(k: int, R: int, allowed: float, settings: int) -> int:
    """By scipy's beta alone: the least run count n (the rate k/R held) at which the exact
    two-sided 95% interval lies below ``allowed``, or the one at the Bonferroni level
    1 - 0.05/settings lies above it."""
    p = k / R
    for n in range(R, 10_001):
        kn = round(p * n)
        hi = 1.0 if kn == n else sps.beta.ppf(0.975, kn + 1, n - kn)
        a = 0.05 / settings / 2
        lo = 0.0 if kn == 0 else sps.beta.ppf(a, kn, n - kn + 1)
        if hi < allowed or lo > allowed:
            return n
    raise AssertionError("no n up to 10^4")


def test_run_event_estimate_counts_only_the_settings_with_runs():
    """frei2023._event_claim: a setting whose runs are all vacuous (NaN: R_s = 0) is left out of
    the verdict's Bonferroni level (settings_rate_outcome), so the 'about N runs per setting'
    estimate is taken over the settings with runs too: one setting at 2 of 6 beside two vacuous
    ones decides at the level of one setting (41 runs), not of three (62)."""
    from twolayer.claims import frei2023 as F
    from twolayer.config import Config
    from twolayer.record import Record

    cfg = Config.from_dict({"data": {"kind": "xor", "d": 1000, "n": 5000, "noise": 0.15,
                                     "sigma2": 6e-5},
                            "net": {"m": 20, "init_var": 1e-12},
                            "train": {"lr": 0.25, "steps": 2}}).to_dict()
    values = {"a": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0], "b": [np.nan] * 6, "c": [np.nan] * 6}
    recs = {lab: Record(config=cfg, run_id=lab, times=np.arange(2),
                        arrays={"v": np.array(v)}, meta={}) for lab, v in values.items()}
    o = F._event_claim(recs, lambda r: r.arrays["v"], 0.0, "<=", "x <= 0")
    want = _cp_runs_to_decide(2, 6, F.ALLOWED_FAILURE, 1)
    assert want != _cp_runs_to_decide(2, 6, F.ALLOWED_FAILURE, 3)
    assert f"(about {want} runs per setting decide at this rate)" in o.detail, o.detail


def _fig2_low_verdict(train_error: np.ndarray, test_error: np.ndarray):
    """frei2023.fig2.low_d_decline's verdict on a hand-made low-d record (eta = 0.15)."""
    from twolayer.claims import CLAIMS
    from twolayer.claims import frei2023 as F
    from twolayer.config import Config
    from twolayer.record import Record

    R, T = train_error.shape
    cfg = Config.from_dict({"seeds": R, "data": {"kind": "xor", "d": 10, "n": 200,
                                                  "noise": 0.15, "n_test": 1000},
                            "net": {"m": 20}, "train": {"lr": 0.25, "steps": 100}}).to_dict()
    rec = Record(config=cfg, run_id="x", times=np.arange(T), meta={}, arrays={
        "errors/train_error": train_error, "errors/test_error": test_error,
        "errors/noisy_fit_fraction": np.ones((R, T))})

    class OneRun:
        def get(self, name):
            assert name == "frei2023.fig2"
            return {"low_d": rec}

    return CLAIMS["frei2023.fig2.low_d_decline"].verdict(F.check_fig2_low(OneRun()))


def test_fig2_low_names_a_run_that_never_passes_1_minus_eta():
    """Run 0's training accuracy (0.7) passes 1 - eta = 0.85 only at the last probe time: the
    premise is unmet, and the detail says so in the statement's words (that run never passes
    1 - eta before the last probe time), not as a lost drop."""
    tr = np.zeros((4, 6))
    tr[0, :-1] = 0.3
    te = np.full((4, 6), 0.1)
    te[:, -1] = 0.15  # a drop of 5 points in every run that has one
    v = _fig2_low_verdict(tr, te)
    assert v.verdict == INCONCLUSIVE, v.detail
    assert v.detail.startswith("premise not met, so inconclusive: 1 run(s) never pass 1 - eta "
                               "before the last probe time; "), v.detail
    assert "not finite" not in v.detail and "end at training accuracy" not in v.detail


def test_fig2_low_names_a_lost_drop_when_every_run_meets_the_premise():
    """Every run passes 1 - eta and ends above it, but run 1's test error is lost (NaN): the
    premise ('every drop finite') is unmet for that reason alone, and the detail says it."""
    tr = np.zeros((4, 6))
    te = np.full((4, 6), 0.1)
    te[:, -1] = 0.15
    te[1, 3] = np.nan
    v = _fig2_low_verdict(tr, te)
    assert v.verdict == INCONCLUSIVE, v.detail
    assert v.detail.startswith("premise not met, so inconclusive: a run's drop is not finite"), \
        v.detail


def test_fig2_low_statement_names_its_end_of_run_premise():
    """The check makes 'training accuracy above 1 - eta at the end' a premise (a run ending at
    1 - eta leaves it inconclusive, above): the statement a reader sees names it."""
    from twolayer.claims import CLAIMS

    text = " ".join(CLAIMS["frei2023.fig2.low_d_decline"].statement.split())
    assert "is not above 1 - eta at the end" in text, text


def test_liu_one_test_asks_the_seeds_its_one_sided_t_test_needs():
    """liu2023._one_test hands its one t comparison over: an inconclusive verdict's
    seeds_needed is where that one-sided t-test at 0.05 decides (eq5.init_ratio.xor's quick
    seeds: 66), not the two-sided interval's (93)."""
    from twolayer.claims import liu2023 as L

    values = np.array([0.11878, 0.06052, 0.11922, 0.07681])
    o = L._one_test(values, 0.1, "<=", "mean <= 0.1", "fake", "", "fig", (True, "inside"))
    v = Claim("fake.c", "fake", "s", "Lemma 1", lambda runs: o).verdict(o)
    assert v.verdict == INCONCLUSIVE, v.detail
    want = first_n_one_sided(float(values.mean()), float(values.std(ddof=1)), 0.1, "<=")
    assert v.seeds_needed == want == 66


# ---- sweep spec: keys spelt twice, and what a refusal says about a field the spec sets ------

SPEC_HEAD = "seeds = 1\n[base]\n"


def _sweep_refusal(tmp_path, capsys, text: str) -> str:
    from twolayer.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text(text)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_quoted_key_before_its_section_table_is_refused(tmp_path, capsys):
    """"data.d" = 30 read before any data.* key (TOML keeps it first) and data.d = 10 after:
    the same field twice, refused naming both values (not the later one kept)."""
    err = _sweep_refusal(tmp_path, capsys, SPEC_HEAD + '"data.d" = 30\nnet.m = 8\n'
                         'train.steps = 2\ndata.n = 40\ndata.d = 10\n[axes]\n'
                         'data.noise = [0.1]\n')
    assert "given twice" in err and "base.data.d" in err and "10" in err and "30" in err


def test_a_field_the_spec_sets_is_not_called_a_default(tmp_path, capsys):
    """base.net.second_layer = 'frei' set in the spec and refused at axes.net.outputs = 2: the
    refusal names the spec's key and does not call it an unset default."""
    err = _sweep_refusal(tmp_path, capsys, SPEC_HEAD + 'data.n = 40\ndata.d = 10\nnet.m = 8\n'
                         'train.steps = 2\nnet.second_layer = "frei"\n[axes]\n'
                         'net.outputs = [1, 2]\n')
    assert "base.net.second_layer" in err
    assert "not set in the spec" not in err and "at the point" not in err


def test_a_default_refused_without_axes_names_no_point(tmp_path, capsys):
    """With no axis value involved (base.net.outputs = 2, no axes) the refused default is not
    said to be 'at the point' of an empty list of axes."""
    err = _sweep_refusal(tmp_path, capsys, SPEC_HEAD + 'data.n = 40\ndata.d = 10\nnet.m = 8\n'
                         'train.steps = 2\nnet.outputs = 2\n')
    assert "net.second_layer" in err and "at the point" not in err


# ---- sweep store: which tables count, and a pruned failure takes them out too --------------


def test_tables_present_names_all_three_tables(tmp_path):
    from twolayer.sweep.store import Store

    for name in ("points.csv", "summary.csv", "summary.parquet"):
        (tmp_path / name).write_text("x")
    assert Store(tmp_path, warn=lambda line: None).tables_present() == [
        "points.csv", "summary.csv", "summary.parquet"]


def test_prune_of_a_failure_of_other_code_removes_the_tables(tmp_path):
    """A recorded failure in failed/ made by other twolayer code is pruned (the next sweep
    retries that point), so the tables that list it go too."""
    import json

    from twolayer.sweep.store import Store, failure_document

    store = Store(tmp_path, warn=lambda line: None)
    store.failed.mkdir(parents=True, exist_ok=True)
    store.records.mkdir(parents=True, exist_ok=True)
    doc = failure_document("abc123", "diverged", "boom", "0123456789abcdef")
    (store.failed / "abc123.json").write_text(json.dumps(doc))
    for name in ("points.csv", "summary.csv"):
        (tmp_path / name).write_text("x")
    report = store.prune()
    assert [p for p, _ in report.removed] and not (store.failed / "abc123.json").exists()
    assert not (tmp_path / "points.csv").exists() and not (tmp_path / "summary.csv").exists()
    assert any("removed points.csv, summary.csv" in n for n in report.notes), report.notes


# ---- figures: a staging folder of a process of another user is kept -------------------------


def test_a_process_of_another_user_counts_as_running(monkeypatch):
    """_process_runs: os.kill(pid, 0) refused with EPERM means the process exists (another
    user's), so its staging folder is not stale."""
    import os

    from twolayer.commands import figures

    def eperm(pid, sig):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", eperm)
    assert figures._process_runs(4242) is True


def test_a_pid_of_zero_or_below_is_no_running_process():
    """os.kill(0, 0) signals this process's group (it succeeds): a staging folder whose name
    carries pid 0 or a negative one names no process, so it is not kept as running."""
    from twolayer.commands import figures

    assert figures._process_runs(0) is False
    assert figures._process_runs(-1) is False


# ---- cli: a closed pipe stays a closed pipe ---------------------------------------------------


class _Closed:
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("call", ("write", "flush"))
def test_guarded_stdout_lets_a_closed_pipe_through(call):
    """GuardedStdout turns a failed write into StdoutFailed, except a closed pipe (`| head`),
    which the command answers with exit 141 and no message."""
    from twolayer.cli import GuardedStdout

    out = GuardedStdout(_Closed())
    with pytest.raises(BrokenPipeError):
        out.write("x") if call == "write" else out.flush()


def test_a_symbolic_link_to_an_existing_folder_is_a_writable_out(tmp_path):
    """record._dangling refuses a link to nothing only: --out given as a link to a folder that
    exists is written through."""
    from twolayer.record import ensure_writable_dir

    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    assert ensure_writable_dir(link) == link
    assert ensure_writable_dir(link / "sub").is_dir() and (target / "sub").is_dir()


def test_timings_naming_the_output_folder_another_way_is_refused(tmp_path, capsys,
                                                                  monkeypatch):
    """`simulate --out fx --timings ./fx`: the same place spelt otherwise is refused too (the
    paths are compared resolved), before any work."""
    from twolayer.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["simulate", "--d", "5", "--n", "20", "--m", "4", "--steps", "2", "--seeds", "1",
                 "--out", "fx", "--timings", "./fx/../fx"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "is the command's --out as well" in err
    assert not (tmp_path / "fx").exists()


# ---- figures: a figure that reads no runs trained nothing from the store either ---------------

BLANK_PLUGIN = '''
from pathlib import Path

from twolayer.api import figure


@figure("{name}", "muts49", "A figure that reads no runs", "none")
def blank(out_dir, runs):
    p = Path(out_dir) / "{name}.png"
    p.write_bytes(b"not a png")
    return [p]
'''


def test_a_figure_that_reads_no_runs_is_not_said_to_be_drawn_from_the_store(tmp_path):
    """index.json's `trained` is False only where the figure read runs and all came from the
    record store; a figure that reads no runs (a plugin's drawing from nothing) was not drawn
    from stored runs, so README does not say so."""
    import json
    import uuid

    from twolayer.cli import main
    from twolayer.plots import FIGURES

    name = f"mut-s49-blank-{uuid.uuid4().hex[:6]}"
    plugin = tmp_path / "mut_s49_blank.py"
    plugin.write_text(BLANK_PLUGIN.format(name=name))
    out = tmp_path / "figs"
    try:
        assert main(["figures", str(plugin), "--quick", "--no-store", "--out", str(out),
                     "--quiet"]) == 0
    finally:
        FIGURES.pop(name, None)  # the other tests' figure lists stay as they were
    entry = json.loads((out / "index.json").read_text())["figures"][name]
    assert entry["trained"] is True
    assert "drawn from runs read from the record store" not in (out / "README.md").read_text()


def test_adversarial_fails_at_the_loose_c_judges_its_test_set_at_that_c():
    """frei2023.theorem1.adversarial_noise judged at the setting's largest admissible C (here
    C = 0.06^(-1/2) = 4.08, A2 binding, as in test_claims_frei's loosest_c test): whether the
    n_test = 14 test points can establish the bound is asked of *that* bound. By hand, with
    s = sqrt(log(20)/5000): eta + s = 0.1745 needs ceil(log 0.05 / log(1 - 0.1745)) = 16
    points, eta + 4.08 s = 0.2499 needs 11, so at the loose C the fails carries no 'cannot
    establish' caveat. Every run errs on all 14 test points: fails at both C."""
    from twolayer.claims import CLAIMS
    from twolayer.claims import frei2023 as F
    from twolayer.config import Config
    from twolayer.record import Record

    R = 10
    cfg = Config.from_dict({"seeds": R, "data": {"kind": "xor", "d": 1000, "n": 5000,
                                                  "noise": 0.15, "sigma2": 6e-5, "n_test": 14},
                            "net": {"m": 20, "init_var": 1e-12},
                            "train": {"lr": 0.25, "steps": 2}}).to_dict()
    s = math.sqrt(math.log(20) / 5000)
    c = 0.06 ** -0.5
    need = [math.ceil(math.log(0.05) / math.log(1 - (0.15 + k * s))) for k in (1.0, c)]
    assert need == [16, 11]
    noisy = np.zeros((R, 20), dtype=bool)
    noisy[:, :3] = True
    rec = Record(config=cfg, run_id="adv", times=np.arange(3), meta={}, arrays={
        "final/frei_test/test_error": np.ones(R), "final/frei_test/test_error_clean": np.ones(R),
        "static/noisy": noisy, "frei_samples/acc_clean": np.ones((R, 3)),
        "frei_samples/acc_noisy": np.zeros((R, 3))})
    assert F.loosest_c(rec) == pytest.approx(c, rel=1e-9)

    class OneRun:
        def get(self, name):
            assert name == "frei2023.adversarial"
            return rec

    v = CLAIMS["frei2023.theorem1.adversarial_noise"].verdict(F.check_adversarial(OneRun()))
    assert v.verdict == "fails", v.detail
    assert "at the setting's largest admissible C" in v.detail
    assert "cannot establish" not in v.detail, v.detail
