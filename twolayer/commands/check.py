"""``twolayer check``: run the experiments the selected claims need and print one verdict per
claim (id, verdict, measured value, 95% CI over seeds, seeds; with ``--details`` also the predicted
bound, the setting and the regime).

Exit status: 0 when every claim checked inside its theorem's regime holds, 1 otherwise (claims
checked deliberately outside the regime are reported but do not count), 2 on bad input.

With ``--record DIR`` the claims are judged on a user's own simulate record instead
(:mod:`twolayer.commands.check_record`, with its own exit-status rule).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..claims import Verdict, claims_for, run_checks
from ..claims.base import ERROR, FAILS, HOLDS, INCONCLUSIVE
from ..cli import integer, number
from ..engine import Runtime, resolve_device
from ..errors import ConfigError
from ..record import check_writable_dir, write_text_atomic
from ..resources import check_device, writing
from .owned import refuse_special_file, starts_with
from .parallel import jobs_for
from .settings import (
    add_gpu_flags,
    add_threads_flag,
    as_written,
    runtime_options,
    runtime_threads,
)
from .storeflags import add_store_flags, check_store_flags, runs_from_args
from .timingflag import add_timings_flag

FIGURES_DIR = "figures"
AUTO = "auto"
AUTO_BUDGET_MIN = 30.0


# seeds per setting: far above any plan (the full plans run up to 100), and what a run's seed
# leaves room for (twolayer.config: seed <= 2^63 - 1 - 10^6); --seeds 10**30 was accepted and
# hung in the planning of the experiments' batches (10^29 configs), with no message
SEEDS_MAX = 1_000_000
REPORT_HEAD = "# Claims checked by twolayer"  # the first line of every --report


def seeds_arg(text: str) -> int | str:
    """``--seeds``: an integer (see :func:`twolayer.cli.integer`) or ``auto``."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return integer(text)
    except argparse.ArgumentTypeError as e:
        if "out of range" in str(e):  # 10**400: an integer, too large (not "not an integer")
            raise
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer or auto") from None


def jobs_arg(text: str) -> int | str:
    """``--jobs``: an integer >= 1 or ``auto``."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        value = integer(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer or auto") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is invalid: valid values are integers >= 1 "
                                         "and auto")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check papers' claims and print a verdict per claim",
        description="Run (batched) the experiments the selected claims need and print one row per "
        "claim: id, verdict (holds / fails / inconclusive / error), measured value, 95% CI over "
        "seeds, seeds; --details adds each claim's predicted bound, setting and regime. Exit "
        "status 0 when every claim checked inside its theorem's regime holds, 1 otherwise, 2 on "
        "bad input (a plugin that does not load, an invalid setting). --record DIR judges the "
        "claims on your own twolayer simulate record instead of the paper's experiments.",
    )
    p.add_argument("select", nargs="*", metavar="PAPER_OR_CLAIM_OR_PLUGIN",
                   help="papers (e.g. frei2023), claim ids, or plugin paths (a .py file or a "
                   "folder: its claims, or only those of them also named, e.g. mine.py "
                   "mine.lemma1; see docs/extending.md); none or --all: every paper")
    p.add_argument("--all", action="store_true",
                   help="check every paper's claims (and those of the plugins named)")
    p.add_argument("--quick", action="store_true",
                   help="smaller settings and fewer seeds (about 2 minutes on 2 CPU cores)")
    p.add_argument("--seeds", type=seeds_arg, metavar="N|auto",
                   help="seeds per setting, 1 to 10^6 (default: the mode's own); auto: add "
                   "seeds in looks (the mode's seeds, then 2x, 4x, ...) until each claim whose "
                   "check reports its per-seed comparisons (means or medians against numbers) "
                   "is decided by anytime-valid confidence sequences, or the --time-budget is "
                   "spent; the cheapest undecided claims are extended first "
                   "(docs/claims_method.md)")
    p.add_argument("--time-budget", type=number, metavar="MINUTES", default=None,
                   help="with --seeds auto: wall-clock minutes for all looks together (default "
                   f"{AUTO_BUDGET_MIN:g}); a look starts only when its estimated time fits. Not "
                   "--budget, which sets the gradient kernel's block size")
    p.add_argument("--jobs", type=jobs_arg, default=None, metavar="N|auto",
                   help="check the selected papers in N worker processes (a paper's claims "
                   "read only its own experiments); auto (default): as many as papers and CPU "
                   "cores allow on a CPU, 1 on a GPU and under --seeds auto. On a GPU with a "
                   "record store (full plan), N processes instead share the GPU to train the "
                   "experiments of the whole papers selected, then the claims are judged here; "
                   "auto: min(8, CPU cores / 2, free GPU and host memory / 4 GiB)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per claim "
                   "(with --list: each claim as registered, no verdict)")
    p.add_argument("--report", metavar="PATH",
                   help="also write the table as Markdown, with links to the figures (not with "
                   "--list; with --record: the verdicts on the record, the figures still the "
                   "paper's experiments', and the claims it did not serve)")
    p.add_argument("--list", action="store_true", help="list the selected claims without running "
                   "(with --record: the claims the record serves)")
    p.add_argument("--record", metavar="DIR",
                   help="judge the selected claims (none: every paper with a record reader "
                   "that reads it) on a record of twolayer simulate --out DIR (DIR or "
                   "DIR/<run_id>) instead of the paper's experiments: each claim's own check, "
                   "its regime computed on the record; nothing is trained. Exit status 0/1 "
                   "from the claims inside their regime on the record; claims whose check "
                   "reads an array the record lacks are listed as not served. Not with "
                   "--quick, --seeds, --time-budget, --jobs, --records, --no-store, --tf32, "
                   "--budget, --device, --threads")
    p.add_argument("--device", default="auto", help="auto (cuda if present), cpu or cuda")
    add_threads_flag(p)
    add_gpu_flags(p)
    add_store_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--details", action="store_true",
                   help="print each verdict's details (per-setting values, violating runs)")
    add_timings_flag(p)
    p.set_defaults(run=run)


def _num(x: float | None) -> str:
    """A measured value or an interval's end as the table and the report print it: "n/a" for
    none (or NaN), "inf"/"-inf" for an infinite one (a time never reached: a number, which
    stands; until session 48 it read "n/a", as if nothing was measured)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e4):
        return f"{x:.3g}"
    return f"{x:.4g}"


def _ci(v: Verdict) -> str:
    if v.ci is None:
        return "n/a"
    return f"[{_num(v.ci[0])}, {_num(v.ci[1])}]"


def verdict_json(v: Verdict) -> dict:
    """The verdict as a JSON object; non-finite numbers become null."""
    d = v.to_json()
    if d.get("ci") is not None:
        d["ci"] = [x if math.isfinite(x) else None for x in d["ci"]]
    return d


def deciding(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts that decide the exit status: in the theorem's regime, on the paper's own
    setting."""
    return [v for v in verdicts if v.in_regime and v.decides]


def asserted_note(verdicts: Sequence[Verdict]) -> str:
    """A line for the in-regime verdicts whose check computed no regime (a plugin's claim
    registered inside that returns no ``in_regime``): they count as in regime on their
    registration alone, which the summary's "in-regime" does not show; "" when there is none.
    A check that raised (verdict error) is not counted: it computed no regime because it
    never returned, which its own error line says."""
    deciding_ = deciding(verdicts)
    asserted = [v for v in deciding_ if not v.regime_computed and v.verdict != ERROR]
    if not asserted:
        return ""
    return (f"note: {len(asserted)} of the {len(deciding_)} in-regime claims are in regime only "
            "as registered: their checks computed no regime from the runs (outcome(..., "
            "in_regime=, regime=): docs/extending.md), so nothing shows that their setting meets "
            "the theorem's assumptions")


def record_only_note(verdicts: Sequence[Verdict], select: Sequence[str] | None = None) -> str:
    """A line for the papers whose checks raised because an experiment they read is not
    registered while the paper has a record reader (a plugin written for ``check --record``
    alone): their claims are judged on a user's record, not on experiments; "" when there is
    none. A paper that registered experiments of its own is not such a plugin: its check
    misspelled an experiment's name, which its error row says."""
    from ..claims.on_record import READERS
    from ..experiments import EXPERIMENTS
    from .check_record import as_typed

    with_experiments = {e.paper for e in EXPERIMENTS.values()}
    papers = sorted({v.paper for v in verdicts if v.verdict == ERROR and v.paper in READERS
                     and v.paper not in with_experiments
                     and "no experiment named" in (v.detail or "")})
    if not papers:
        return ""
    return (f"note: {', '.join(papers)} registered a record reader but not the experiments "
            "these checks read: judge its claims on a record of twolayer simulate --out DIR "
            f"with twolayer check {as_typed(papers[0], select)} --record DIR")


def exit_status(verdicts: Sequence[Verdict]) -> int:
    """0 if every verdict that decides (:func:`deciding`) holds and no check raised, else 1."""
    if any(v.verdict == ERROR for v in verdicts):
        return 1
    return 0 if all(v.verdict == HOLDS for v in deciding(verdicts)) else 1


def raised_outside(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The checks that raised (verdict ``error``) among those that do not decide
    (:func:`deciding`): they set exit status 1 all the same."""
    return [v for v in verdicts if v.verdict == ERROR and not (v.in_regime and v.decides)]


def summary_line(verdicts: Sequence[Verdict], where: str = "on the paper's own setting",
                 unserved: int = 0) -> str:
    """The line under the table: how many claims hold, fail, are inconclusive or raised; whether
    the in-regime claims (:func:`deciding`) all hold (where none decides: that none is in
    regime, or that those in regime are proposals); the exit status, and what else set it (a
    check that raised, in or outside the regime). ``where``: what the regimes were computed on
    (``check --record``: "on this record"); ``unserved``: how many selected claims the record
    could not serve (listed above the line; they do not set the exit status)."""
    status = exit_status(verdicts)
    dec = deciding(verdicts)
    count = {o: sum(v.verdict == o for v in verdicts) for o in (HOLDS, FAILS, INCONCLUSIVE,
                                                                  ERROR)}
    rest = ", ".join(f"{n} {word}" for n, word in (
        (count[FAILS], "fail"), (count[INCONCLUSIVE], "inconclusive"),
        (count[ERROR], "error" if count[ERROR] == 1 else "errors")) if n)
    held = "all hold" if all(v.verdict == HOLDS for v in dec) else "do NOT all hold"
    inside = sum(bool(v.in_regime) for v in verdicts)  # in regime, all proposals when no dec
    which = (f"in-regime claims ({len(dec)}) {held}" if dec
             else f"no claim is in regime {where}, so none decides" if not inside
             else f"the {inside} in regime {where} are proposals, so none decides" if inside > 1
             else f"the 1 in regime {where} is a proposal, so none decides")
    raised = raised_outside(verdicts)
    also = (f"; {len(raised)} check(s) outside the regime or proposals raised an error"
            if raised else "")
    if unserved:
        also += (f"; {unserved} not served by the record (listed above; they do not set the "
                 "exit status)")
    return (f"{count[HOLDS]} of {len(verdicts)} claims hold" + (f" ({rest})" if rest else "")
            + f"; {which}{also} (exit status {status})")


SMOKE_NOTE = ("smoke run (--quick): small settings and few seeds that show the code works; "
              "these verdicts are not evidence (the full plan is: drop --quick)")


def marks(v: Verdict) -> str:
    """" (outside)" for a claim checked outside the regime, " (proposal)" for one on a setting
    the project proposed (neither decides the exit status)."""
    return ("" if v.in_regime else " (outside)") + ("" if v.decides else " (proposal)")


def table_marks(v: Verdict) -> str:
    """:func:`marks` short enough for the table's verdict column (whole words there cut
    "(proposal)" off "inconclusive (outside) (proposal)", and with it which rows decide):
    " (out)", " (prop)" or " (out, prop)", explained by :data:`MARKS_NOTE` under the table."""
    parts = ([] if v.in_regime else ["out"]) + ([] if v.decides else ["prop"])
    return f" ({', '.join(parts)})" if parts else ""


MARKS_NOTE = ("(out) outside the theorem's assumptions, (prop) on a setting the project "
              "proposed: neither decides the exit status")


def auto_note(verdicts: Sequence[Verdict]) -> str:
    """One line under the table of a --seeds auto run: how many claims the confidence sequence
    judged and decided, and how many keep their look-1 verdict."""
    seq = [v for v in verdicts if v.sequential and v.sequential.get("controlled")]
    rest = [v for v in verdicts if not (v.sequential and v.sequential.get("controlled"))]
    decided = sum(bool(v.sequential.get("decided")) for v in seq)
    looks = max((len(v.sequential.get("looks", [])) for v in verdicts if v.sequential),
                default=0)
    return (f"--seeds auto: {len(seq)} claims judged by an anytime-valid confidence sequence "
            f"({decided} decided, {len(seq) - decided} undecided; {looks} looks; the CI column "
            f"is the sequence for them), {len(rest)} not sequentially controlled (their own "
            "verdict at look 1); see --details and docs/claims_method.md")


TABLE_WIDTH = 120
# (header, widest cell) of the table's columns; the setting and bound go to --details, --json
# and --report
COLUMNS = (("id", 43), ("verdict", 24), ("measured", 11), ("CI (95%)", 26), ("seeds", 5))
OUTSIDE_MARK = "†"
OUTSIDE_NOTE = (f"{OUTSIDE_MARK} measured is the worst seed (or the extreme setting), outside "
                "the CI of the mean over seeds; see --details")
STATED_MARK = "*"
STATED_NOTE = (f"{STATED_MARK} seed count as the check states it: it handed over no per-seed "
               "values or comparisons that show it; see --details")


def seeds_cell(v: Verdict) -> str:
    """The verdict's seed count, marked :data:`STATED_MARK` where only the check states it
    (``seeds_stated``: nothing it handed over shows its interval rests on that many seeds)."""
    return f"{v.seeds}{STATED_MARK if v.seeds_stated else ''}"


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in … when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def outside_ci(v: Verdict) -> bool:
    """Whether the verdict's point value lies outside its printed interval."""
    if v.measured is None or v.ci is None:
        return False
    lo, hi = v.ci
    vals = (v.measured, lo, hi)
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in vals):
        return False
    tol = 1e-9 * max(1.0, abs(lo), abs(hi))
    return not (lo - tol <= v.measured <= hi + tol)


ERRORS_CUT_NOTE = "(error lines cut at … are whole in --details and --json)"


def render_table(verdicts: Sequence[Verdict]) -> str:
    """Plain-text table, at most :data:`TABLE_WIDTH` columns: id, verdict (with
    :func:`table_marks`), measured, CI, seeds (long cells cut with …; the verdict cell never is).
    A measured value outside its CI is marked † with a footnote, a
    seed count that only the check states (``seeds_stated``) * with another; each
    check that raised (verdict ``error``) gets a line below with its reason (cut to the width,
    then a note says where the whole text is)."""
    rows = [tuple(h for h, _ in COLUMNS)]
    marked = False
    for v in verdicts:
        verdict = v.verdict + table_marks(v)
        measured = _num(v.measured)
        if outside_ci(v):
            measured += OUTSIDE_MARK
            marked = True
        rows.append((v.id, verdict, measured, _ci(v), seeds_cell(v)))
    widths = [min(cap, max(len(r[i]) for r in rows)) for i, (_, cap) in enumerate(COLUMNS)]
    out = []
    for r in rows:
        cells = [clip(r[i], widths[i]).ljust(widths[i]) for i in range(4)]
        out.append("  ".join(cells + [clip(r[4], widths[4]).rjust(widths[4])]).rstrip())
    if marked:
        out.append(OUTSIDE_NOTE)
    if any(table_marks(v) for v in verdicts):
        out.append(MARKS_NOTE)
    if any(v.seeds_stated for v in verdicts):
        out.append(STATED_NOTE)
    cut = False
    for v in verdicts:  # why a check could not be judged (the whole text: --details, --json)
        if v.verdict == ERROR:
            why = " ".join((v.detail or "no reason given").split())
            line = f"error in {v.id}: {why}"
            cut |= len(line) > TABLE_WIDTH
            out.append(clip(line, TABLE_WIDTH))
    if cut:
        out.append(ERRORS_CUT_NOTE)
    return "\n".join(out)


def render_details(verdicts: Sequence[Verdict]) -> str:
    """What the table leaves out, per claim: bound, setting, and the verdict's details."""
    lines = ["details:"]
    for v in verdicts:
        lines.append(f"  {v.id}: bound {v.bound}; setting {v.setting}")
        if v.regime:
            lines.append(f"    regime ({'inside' if v.in_regime else 'outside'}): {v.regime}")
        if v.detail:
            lines.append(f"    {v.detail}")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figure_dirs() -> list[Path]:
    """Where a report looks for a figure's PNG: ``figures/`` in the working directory (where
    ``twolayer figures`` writes by default), then the committed ``figures/`` of the source
    checkout twolayer runs from (none for an installed package)."""
    dirs = [Path.cwd() / FIGURES_DIR]
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "twolayer").is_dir():
        dirs.append(checkout / FIGURES_DIR)
    return dirs


def _papers_named(verdicts: Sequence[Verdict]) -> str:
    """The report header's papers, as "paper X" or "papers X, Y": bare, they read as part of
    what comes before them ("full plan: evidence, badger2022, ..." named a paper "evidence";
    on a record, "nothing was trained, liu2023")."""
    papers = sorted({v.paper for v in verdicts})
    return ("paper " if len(papers) == 1 else "papers ") + ", ".join(papers)


def figure_link(name: str, report_dir: Path) -> str:
    """A report's cell for figure ``name``: a link relative to the report's folder to the first
    ``<name>.png`` of :func:`figure_dirs` that exists; the name alone when none does, and
    where no figure of that name is registered (a typo in a plugin's ``outcome(...,
    figure=)``), the name and that it is not registered."""
    from ..plots import FIGURES  # the built-in figures and the loaded plugins'

    if name not in FIGURES:
        return f"`{name}` (no figure of this name is registered)"
    for root in figure_dirs():
        png = root / f"{name}.png"
        if png.is_file():
            try:
                target = os.path.relpath(png.resolve(), report_dir)
            except ValueError:  # another drive (Windows): no relative path
                target = str(png.resolve())
            return f"[{name}]({Path(target).as_posix()})"
    return f"`{name}` (not in figures/)"


def render_markdown(
    verdicts: Sequence[Verdict], report_dir: Path, quick: bool, wall: float, command: str = "",
    judged_on: str | None = None, unserved: Sequence = (),
) -> str:
    """The same table as Markdown, with the statement, details and links to the figures.
    ``judged_on`` (``check --record``): what the verdicts were judged on (the record, its
    setting), said instead of the plan; ``unserved``: the claims the record could not serve
    (:class:`twolayer.claims.on_record.Unserved`), listed with the reason after the details."""
    where = "on the paper's own setting" if judged_on is None else "on this record"
    status = (
        f"No claim is checked inside its theorem's regime {where}, so none decides."
        if not deciding(verdicts) and not any(v.in_regime for v in verdicts)
        else f"No claim that decides is checked inside its theorem's regime {where} (those "
        "inside are proposals), so none decides."
        if not deciding(verdicts)
        else "Every claim checked inside its theorem's regime holds."
        if all(v.verdict == HOLDS for v in deciding(verdicts))
        else "Not every claim checked inside its theorem's regime holds: see the rows that "
        "fail or are inconclusive, and each paper's page for the setting."
    )
    if raised_outside(verdicts):
        status += (" A check outside the regime (or a proposal) raised an error (its row), so "
                   "the exit status is 1.")
    if asserted_note(verdicts):
        status += " " + asserted_note(verdicts).removeprefix("note: ") + "."
    plan = ("quick mode: a **smoke run**, not evidence" if quick else "full plan: evidence"
            ) if judged_on is None else (f"judged on {judged_on}, not on the papers' "
                                         "experiments: nothing was trained")
    outside = ("Claims marked *outside* are checked deliberately outside the theorem's "
               "assumptions" if judged_on is None else "Claims marked *outside* are outside "
               "the theorem's assumptions as computed on this record")
    if unserved:
        status += (f" {len(unserved)} selected claim(s) could not be judged on this record "
                   "(listed at the end, with the reason); they do not set the exit status.")
    lines = [
        REPORT_HEAD,
        "",
        f"Generated by `{command or 'twolayer check'}` "
        f"({plan}, "
        f"{_papers_named(verdicts)}; "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, {wall:.0f} s). {status} "
        f"{outside}, claims marked *proposal* on a setting the project "
        "proposed (the paper's own is unknown, or is not a two-layer network); neither affects "
        "the exit status. "
        "CI: a two-sided 95% interval over seeds (at the Bonferroni level where the bound says "
        "so); a one-sided comparison decides at one-sided 95%, the end of a two-sided 90% "
        "interval, so a row can hold while the interval shown touches its bound. A bound that "
        "names its own interval or level (an exact, jackknife or bootstrap 95% interval: "
        "one-sided 97.5% at each end; a Holm family at 0.025) decides as it says."
        # Frei et al.'s settings name the constant C of their Theorem 1 (not a plugin's)
        + (" Each claim's setting (in the details) gives the largest constant C for which all "
           "the theorem's assumptions hold (C itself is unspecified in the paper; see "
           "`twolayer conditions`)." if any(v.paper == "frei2023" for v in verdicts) else "")
        + (" The figure column links each claim's figure as `twolayer figures` draws it from "
           "the paper's own experiments, not from this record."
           if judged_on is not None and any(v.figure for v in verdicts) else "")
        + (" `--seeds auto`: " + auto_note(verdicts).removeprefix("--seeds auto: ")
           if any(v.sequential for v in verdicts) else "")
        + (" Seeds marked \\*: the count as the check states it; it handed over no per-seed "
           "values or comparisons that show it (see its details)."
           if any(v.seeds_stated for v in verdicts) else ""),
        "",
        "| claim | source | verdict | measured | bound | CI | seeds | figure |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        fig = figure_link(v.figure, report_dir) if v.figure else ""
        verdict = f"**{v.verdict}**" + marks(v).replace("(", "*(").replace(")", ")*")
        seeds = seeds_cell(v).replace("*", "\\*")  # a literal mark, not emphasis
        lines.append(
            f"| `{v.id}` | {_md(v.source)} | {verdict} | {_num(v.measured)} | {_md(v.bound)} | "
            f"{_ci(v)} | {seeds} | {fig} |"
        )
    lines += ["", "## Details", ""]
    for v in verdicts:
        lines += [
            f"### `{v.id}` — {v.verdict}",
            "",
            f"- Statement {v.tag}: {v.statement}",
            f"- Source: {v.source}",
            f"- Setting: {v.setting}",
            f"- Measured: {_num(v.measured)}; bound: {v.bound}; CI {_ci(v)} over {v.seeds} runs"
            + (" (as the check states it: no per-seed values or comparisons show it)"
               if v.seeds_stated else ""),
            f"- Tier: {v.tier}"
            + (f"; about {v.seeds_needed} seeds would decide it at the measured effect"
               if v.seeds_needed else ""),
        ]
        if v.regime:
            how = "from measured premises" if v.regime_computed else "asserted, not computed"
            lines.append(f"- Regime ({'inside' if v.in_regime else 'outside'} the assumptions, "
                         f"{how}): {_md(v.regime)}")
        if v.detail:
            lines.append(f"- Details: {v.detail}")
        lines.append("")
    if unserved:
        lines += ["## Not served by this record", ""]
        lines += [f"- `{u.id}` ({_md(u.source)}): {_md(u.why)}" for u in unserved]
        lines.append("")
    return "\n".join(lines)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)


def list_json(claim) -> dict:
    """A claim of ``check --list --json``: what it is, as registered (no verdict)."""
    return {"id": claim.id, "paper": claim.paper, "statement": claim.statement,
            "source": claim.source, "tag": claim.tag, "in_regime": claim.in_regime,
            "decides": claim.decides}


def select_claims(selection: list[str]) -> list:
    """The claims of the selection; an unknown name is a ConfigError that names it as a claim
    or paper, lists the papers and points at --list."""
    try:
        return claims_for(selection)
    except ConfigError as e:
        known = e.valid.removeprefix("known papers are ")
        err = ConfigError("select", e.value, f"known papers: {known}")
        err.args = (f"claim or paper {e.value!r} is unknown; known papers: {known}; "
                    "`twolayer check --list` lists claim ids",)
        raise err from None


def check_not_foreign_report(report: Path, given: str) -> None:
    """ConfigError (exit 2, before any work) when ``report`` is a file that is not a report of
    twolayer check (its first line is :data:`REPORT_HEAD`): it would be replaced, and
    ``--report README.md`` replaced a project's README (``twolayer figures --out`` has the same
    guard). An empty file is no loss and is written."""
    refuse_special_file(report, "report", given)
    if report.is_file() and not starts_with(report, REPORT_HEAD + "\n"):
        raise ConfigError("report", given, "is a file that twolayer check did not write (its "
                          f"first line is not {REPORT_HEAD!r}); it would be overwritten: choose "
                          "another path, or remove the file first")


def checked_report(args: argparse.Namespace) -> Path | None:
    """The path of ``--report PATH`` checked before any work (not empty, not a directory, in a
    writable directory, writable, not a file twolayer check did not write: ConfigError, exit
    2), or None without ``--report``."""
    if args.report is None:
        return None
    if not str(args.report).strip():
        raise ConfigError("report", args.report, "must be a file path (not empty); omit "
                          "--report to write no report")
    report = Path(args.report)
    if report.is_dir():
        raise ConfigError("report", args.report, "is a directory; give a file path such "
                          "as report.md")
    check_writable_dir(report.parent if str(report.parent) else ".", "report", report)
    if report.exists() and not os.access(report, os.W_OK):
        raise ConfigError("report", args.report, "exists and is not writable; fix its "
                          "permissions or choose another path")
    check_not_foreign_report(report, args.report)
    return report


def write_report(report: Path, md: str, args: argparse.Namespace) -> None:
    """Write the Markdown report atomically (a failed write: one line, exit 1, after the
    results were printed) and say so unless --quiet or --json."""
    with writing(report):
        write_atomic(report, md)
    if not (args.quiet or args.json):
        print(f"report written to {report}")


def time_budget_s(args: argparse.Namespace) -> float | None:
    """--time-budget in seconds under --seeds auto (default :data:`AUTO_BUDGET_MIN` minutes);
    None otherwise. ConfigError for a budget that is not a positive finite number of minutes,
    or one given without --seeds auto."""
    value = getattr(args, "time_budget", None)
    if args.seeds != AUTO:
        if value is not None:
            raise _budget_error(args, value, "only with --seeds auto")
        return None
    if value is None:
        return AUTO_BUDGET_MIN * 60.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise _budget_error(args, value, "must be a finite number of minutes > 0")
    return float(value) * 60.0


def _budget_error(args: argparse.Namespace, value: object, valid: str) -> ConfigError:
    """A --time-budget refusal echoing the value as written: "--time-budget 5", not the float
    it parsed to ("5.0") (settings.as_written)."""
    return as_written(ConfigError("time_budget", value, valid), args)


# worker processes that share one GPU to train a check's experiments (--jobs auto): eight, two
# CPU threads each, trained every experiment of the full plan on an H200 with 16 cores in 96 s,
# against more than 150 s for a check that trained them one after the other (2026-12-04)
GPU_PREFETCH_JOBS = 8
# and at most one per this many bytes of free GPU memory and of free host memory: a safety bound
# (a CUDA context alone takes hundreds of MB; a frei2023 experiment of the full plan peaked at
# 4.0 GB of host memory), not a measured optimum
PREFETCH_JOB_BYTES = 4 << 30


def gpu_prefetch_jobs(value: int | str, cores: int | None = None,
                      free_bytes: tuple[int | None, int | None] = (None, None)) -> int:
    """Worker processes that train a check's experiments on a GPU: N for ``--jobs N``; for
    auto min(:data:`GPU_PREFETCH_JOBS`, cores / 2, free GPU memory / 4 GiB, free host memory /
    4 GiB) (two CPU threads each; a memory that cannot be read does not bound it), at least 1.
    ``free_bytes``: (GPU, host) free bytes."""
    if value != AUTO:
        return max(1, int(value))
    cores = (os.cpu_count() or 1) if cores is None else cores
    bounds = [GPU_PREFETCH_JOBS, cores // 2]
    bounds += [int(b) // PREFETCH_JOB_BYTES for b in free_bytes if b is not None]
    return max(1, min(bounds))


def paper_experiments(claims: Sequence) -> list[str]:
    """The experiments of the papers whose every registered claim is among ``claims`` (a check
    of whole papers reads them), in registration order, except those only the figures read:
    named (as a string constant) in the module of a registered figure and in no claim's module.
    Names built at run time count as read by the claims. (On the quick plan of 2026-12-04 this
    gave exactly the 32 experiments that `check --all` read.) A selection of some of a paper's
    claims prefetches none of its experiments: which ones those claims read is known only by
    running them."""
    from ..experiments import EXPERIMENTS, load_all
    from ..plots import FIGURES

    load_all()
    selected = {c.id for c in claims}
    whole = {p for p in dict.fromkeys(c.paper for c in claims)
             if {c.id for c in claims_for([p])} <= selected}
    if not whole:
        return []
    figure_only = (_named_experiments(spec.make for spec in FIGURES.values())
                   - _named_experiments(c.check for c in claims_for(["all"])))
    return [name for name, exp in EXPERIMENTS.items()
            if exp.paper in whole and name not in figure_only]


def _named_experiments(functions) -> set[str]:
    """The registered experiment names that occur as string constants in the modules of
    ``functions`` (a module that cannot be read or parsed names none)."""
    import ast
    import inspect

    from ..experiments import EXPERIMENTS

    files = set()
    for fn in functions:
        module = inspect.getmodule(fn)
        if module is not None and getattr(module, "__file__", None):
            files.add(module.__file__)
    names: set[str] = set()
    for path in files:
        try:
            tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            continue
        names.update(node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and node.value in EXPERIMENTS)
    return names


def prefetch_on_gpu(claims: Sequence, runs, jobs_arg: int | str, talk: bool) -> list[str]:
    """Train the experiments of the whole papers among ``claims`` that the store lacks in
    worker processes sharing the GPU (:meth:`Runs.prefetch`, :func:`gpu_prefetch_jobs`),
    longest first as far as the store's earlier runs tell; the names trained."""
    from ..resources import free_device_memory, free_host_memory
    from .figures import longest_first

    names = paper_experiments(claims)
    jobs = gpu_prefetch_jobs(jobs_arg, free_bytes=(
        free_device_memory(str(runs.runtime.torch_device)), free_host_memory()))
    t0 = time.perf_counter()
    done = runs.prefetch(longest_first(names, runs), jobs=jobs)
    if done and talk:
        print(f"trained {len(done)} experiments at once in {min(jobs, len(done))} worker "
              f"processes sharing {runs.runtime.torch_device} in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return done


def check_in_workers(claims: list, papers: list[str], jobs: int, args: argparse.Namespace,
                     device, runs, plugins: list) -> tuple[list[Verdict], int, int]:
    """The claims' verdicts (in their order) from ``jobs`` worker processes, one paper at a
    time each (:mod:`twolayer.commands.parallel`), and the experiments trained and reused."""
    from ..timing import _active, absorb
    from .parallel import Group, order_groups, paper_costs, run_groups

    store = str(runs.store.root) if runs.store is not None else None
    runtime = dict(device=str(device), progress=False, threads=runtime_threads(args),
                   **runtime_options(args))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    sources = [str(p.source) for p in plugins]
    groups = [Group(paper, [c.id for c in claims if c.paper == paper], args.quick, args.seeds,
                    runtime, store, sources, threads, _active is not None)
              for paper in papers]
    groups = order_groups(groups, paper_costs(store, bool(args.quick)))
    results = run_groups(groups, jobs)
    by_id: dict[str, Verdict] = {}
    trained = reused = 0
    for verdicts, t, r, timings in results:
        by_id.update((v.id, v) for v in verdicts)
        trained, reused = trained + len(t), reused + len(r)
        absorb(timings, jobs)
    return [by_id[c.id] for c in claims], trained, reused


def run_on_record(args: argparse.Namespace) -> int:
    """``twolayer check --record DIR``: the claims judged on the record
    (:func:`twolayer.commands.check_record.judge_record`), printed as the usual table (a header
    line says what they were judged on; the claims the record cannot serve are listed below
    it), ``--details`` or ``--json`` (each object with ``judged_on``; a claim not served has the
    verdict ``not served`` and ``why``). Exit status: :func:`exit_status` of the verdicts (the
    unserved claims do not set it)."""
    from .check_record import header, judge_record, judged_on

    if args.list and args.report is not None:
        raise ConfigError("report", args.report, "cannot be combined with --list (which "
                          "judges nothing, so there is no table to write); drop one of them")
    report = checked_report(args)
    start = time.perf_counter()
    done = judge_record(args)
    if done is None:  # --list
        return 0
    verdicts, unserved = done.verdicts, done.unserved
    wall = time.perf_counter() - start
    if args.json:
        on = judged_on(done.where, done.rec)
        rows = [dict(verdict_json(v), judged_on=on) for v in verdicts]
        rows += [dict(u.to_json(), judged_on=on) for u in unserved]
        print(json.dumps(rows, allow_nan=False))
        record_report(report, done, wall, args)
        return exit_status(verdicts)
    print(header(done.where, done.rec))
    print(render_table(verdicts))
    for u in unserved:
        print(f"not served by this record: {u.id}: {u.why}")
    if args.details:
        print("\n" + render_details(verdicts))
    print("\n" + summary_line(verdicts, where="on this record", unserved=len(unserved)))
    if not deciding(verdicts):
        print("note: exit status 0 here means that no claim decided on this record, not that "
              "the claims hold")
    record_report(report, done, wall, args)
    return exit_status(verdicts)


def record_report(report: Path | None, done, wall: float, args: argparse.Namespace) -> None:
    """``check --record DIR --report PATH``: the verdicts on the record as the Markdown report
    (:func:`render_markdown` with what they were judged on and the claims not served)."""
    if report is None:
        return
    from .check_record import record_description

    command = "twolayer check " + " ".join(list(args.select or []) + (
        ["--all"] if args.all else []) + [f"--record {args.record}", f"--report {args.report}"])
    md = render_markdown(done.verdicts, report.parent.resolve(), False, wall, command,
                         judged_on=record_description(done.where, done.rec),
                         unserved=done.unserved)
    write_report(report, md, args)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "record", None) is not None:
        return run_on_record(args)
    if args.jobs is None:
        args.jobs = AUTO
    if args.seeds is not None and args.seeds != AUTO and (
        not isinstance(args.seeds, int) or isinstance(args.seeds, bool)
        or not 1 <= args.seeds <= SEEDS_MAX
    ):
        raise ConfigError("seeds", args.seeds, f"valid range is [1, {SEEDS_MAX}], or auto")
    budget_s = time_budget_s(args)
    from ..plugins import load_entry_points, split_selection

    load_entry_points()
    for s in args.select or []:
        if not s.strip():
            raise ConfigError("PAPER_OR_CLAIM_OR_PLUGIN", s, "is empty; give a paper (e.g. "
                              "frei2023), a claim id or a plugin path (`twolayer check --list`)")
    # every name is loaded (a plugin) or checked (a paper or claim id), with --all too: --all
    # adds every registered claim to them (the built-in papers' and the named plugins')
    selection, plugins = split_selection(list(args.select or []))  # PluginError: exit 2
    claims = select_claims(selection)
    if args.all or not args.select:
        claims = select_claims(["all"])
    if args.list:  # reads no store and runs nothing, but refuses what a real run would
        if args.report is not None:  # a listing has no verdicts to write as a report
            raise ConfigError("report", args.report, "cannot be combined with --list (which "
                              "runs nothing, so there is no table to write); drop one of them")
        check_store_flags(args)
        check_device(args.device)
        runtime_threads(args), runtime_options(args)  # --threads 0, --budget nan: exit 0 here
        if args.json:
            print(json.dumps([list_json(c) for c in claims]))
            return 0
        for c in claims:
            marks = ("" if c.in_regime else "  (registered outside its regime)") + (
                "" if c.decides else "  (proposal)")
            print(f"{c.id}  {c.tag}  [{c.source}]{marks}")
        from ..claims.base import TAGS

        print(f"(the tag says how sure the claim's reading of its paper is, the paper cards' "
              f"{', '.join(TAGS)}; the marks are the registrations; the built-in claims compute "
              "their regime from the runs when checked: see --details)")
        return 0
    report = checked_report(args)
    device = resolve_device(check_device(args.device))
    runtime = Runtime(device=str(device), progress=False, threads=runtime_threads(args),
                      **runtime_options(args))
    auto = args.seeds == AUTO
    from ..experiments import code_fingerprint

    code_fingerprint()  # RunCodeChanged (exit 2) before the store is made or a line printed
    runs = runs_from_args(args, args.quick, None if auto else args.seeds, runtime)
    start = time.perf_counter()
    talk = not (args.quiet or args.json)
    if talk:
        where = f"records in {runs.store.root}" if runs.store else "nothing stored"
        how = (f"; --seeds auto, time budget {budget_s / 60:g} min" if auto else "")
        print(f"checking {len(claims)} claims ({'quick' if args.quick else 'full'} mode; "
              f"{where}{how}) ...", file=sys.stderr)
    if auto:
        from ..sequential import auto_check

        made = []

        def runs_at(seeds: int | None):
            made.append(runs if seeds is None else runs.at_seeds(seeds))
            return made[-1]

        verdicts = auto_check(
            claims, runs_at, budget_s,
            progress=(lambda line: print(line, file=sys.stderr)) if talk else None)
        trained = sum(len(r.trained) for r in made)
        reused = sum(len(r.reused) for r in made)
    else:
        papers = list(dict.fromkeys(c.paper for c in claims))
        if device.type != "cpu" and runs.store is not None and not args.quick:
            prefetch_on_gpu(claims, runs, args.jobs, talk)  # workers share the GPU to train,
            jobs = 1  # then the claims read the store (a quick plan's tiny runs: one process)
        else:
            jobs = jobs_for(args.jobs, len(papers), device.type)
        if jobs > 1:
            verdicts, trained, reused = check_in_workers(claims, papers, jobs, args, device,
                                                         runs, plugins)
        else:
            verdicts = run_checks([c.id for c in claims], runs=runs)
            trained, reused = len(runs.trained), len(runs.reused)
    wall = time.perf_counter() - start
    if talk:
        print(f"experiments: {trained} trained, {reused} read from the store", file=sys.stderr)
    if args.json:
        print(json.dumps([verdict_json(v) for v in verdicts], allow_nan=False))
    else:
        print(render_table(verdicts))
        if args.details:
            print("\n" + render_details(verdicts))
        print(f"\n{summary_line(verdicts)}; {wall:.0f} s")
        for note in (asserted_note(verdicts), record_only_note(verdicts, args.select)):
            if note:
                print(note)
        if auto:
            print(auto_note(verdicts))
        if args.quick:
            print(SMOKE_NOTE)
    if report is not None:  # after the table: a failed write costs the file, not the results
        command = "twolayer check " + " ".join(
            (["--all"] if args.all or not args.select else []) + list(args.select or [])
            + (["--quick"] if args.quick else [])
            + ([f"--seeds {args.seeds}"] if args.seeds else [])
            + ([f"--time-budget {budget_s / 60:g}"] if auto else [])
            + [f"--report {args.report}"]
        )
        md = render_markdown(verdicts, report.parent.resolve(), args.quick, wall, command)
        write_report(report, md, args)
    return exit_status(verdicts)
