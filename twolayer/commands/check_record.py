"""``twolayer check [PAPER_OR_CLAIM ...] --record DIR``: judge a paper's claims on a user's own
``twolayer simulate`` record instead of the paper's experiments.

Each selected paper's record reader (:func:`twolayer.claims.on_record.register_record_reader`)
says which of its claims a record like this one serves and serves the record to their checks;
each claim is judged by its own check (:func:`twolayer.claims.on_record.judge_on_record`), so
its regime is computed on the record. Nothing is trained and no store is read.

Exit status: 0 when every claim inside its regime *as computed on the record* (and not a
proposal) holds and no check raised; 1 when one of them fails or is inconclusive, or a check
raised (an ``error`` row: a check that cannot be trusted on this record is never read as
holding); claims the record cannot serve (their check reads an array it lacks) are listed
under the table and do not set it. 2: bad input, before any claim is judged — a flag that
trains or reads a store (``--quick``, ``--seeds``, ``--time-budget``, ``--jobs``,
``--records``, ``--no-store``, ``--tf32``, ``--budget``, ``--device``, ``--threads``), a paper
with no record reader, a claim the reader does not serve on this record, a path that is not a
record, a damaged record (checksums), a record no selected paper can read — and, after
judging, a record that serves none of the selected claims (every one reads an array it lacks:
nothing was judged).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..claims.base import CLAIMS, claims_for
from ..claims.on_record import (
    READERS,
    Unserved,
    judge_on_record,
    readable_papers,
    record_setting,
    statement_unmet,
)
from ..conditions import find_record
from ..errors import ConfigError, switch_given
from ..record import Record
from ..store import load_record

HINT = "e.g. twolayer simulate ... --seeds 8 --out DIR"
# the probes an unserved claim's reason says to add ("... (add --probes errors)")
ADD_PROBES = re.compile(r"add --probes ([\w,]+)")


def _refuse(flag: str, value: object, why: str) -> ConfigError:
    """A ConfigError for ``flag``; a switch (``value`` True) reads "--quick is given: ..."
    (:func:`~twolayer.errors.switch_given`)."""
    return switch_given(flag, why) if value is True else ConfigError(flag, value, why)


def refuse_flags(args: argparse.Namespace) -> None:
    """ConfigError (exit 2, one line naming the flag and value) for a flag that makes no sense
    with ``--record``: those that train or pick the experiments' runs, the store's, and the
    training flags (``--tf32``, ``--budget``, a ``--device`` or ``--threads`` other than
    auto)."""
    why = ("cannot be combined with --record: check --record judges the claims on the record "
           "DIR as it is (nothing is trained")
    if args.quick:
        raise _refuse("quick", True, why + "); drop --quick")
    if args.seeds is not None:
        raise _refuse("seeds", args.seeds, why + ", its seed count is the record's: simulate "
                      "it with --seeds N)")
    if getattr(args, "time_budget", None) is not None:
        raise _refuse("time-budget", args.time_budget, why + "); drop --time-budget")
    if args.jobs is not None:
        raise _refuse("jobs", args.jobs, why + "); drop --jobs")
    if args.records is not None:
        raise _refuse("records", args.records, why + " and no record store is read); drop "
                      "--records")
    if args.no_store:
        raise _refuse("no-store", True, why + " and no record store is read); drop --no-store")
    # the training flags: nothing trains here (a redraw of a record's initial state, which some
    # readers verify, runs on the CPU with PyTorch's default threads)
    if getattr(args, "tf32", False):
        raise _refuse("tf32", True, why + "); drop --tf32")
    if getattr(args, "budget", None) is not None:
        raise _refuse("budget", args.budget, why + "); drop --budget")
    if getattr(args, "device", "auto") != "auto":
        raise _refuse("device", args.device, why + "; the record names the device it was "
                      "trained on); drop --device")
    if getattr(args, "threads", "auto") != "auto":
        raise _refuse("threads", args.threads, why + "); drop --threads")


def _selection_error(s: str, why: str) -> ConfigError:
    err = ConfigError("select", s, why)
    err.args = (f"{s!r}: {why}",)
    return err


def as_typed(paper: str, select: Sequence[str] | None) -> str:
    """How a ``twolayer check`` command line names ``paper``: for a plugin's paper, the plugin
    path the user typed in ``select`` (a new process knows a plugin's paper only once its path
    loads it), else the paper's name."""
    from ..plugins import PluginError, is_plugin_path, load_path

    for s in select or []:
        try:
            if is_plugin_path(s) and paper in load_path(s).papers:  # loaded already: cached
                return s
        except PluginError:
            continue
    return paper


def select_on_record(args: argparse.Namespace, selection: list[str], rec: Record,
                     path: str) -> tuple[list, dict[str, object]]:
    """The claims to judge on ``rec`` (in registration order) and each paper's runs: with no
    selection (or --all) every paper whose reader reads the record; else the selected papers,
    claim ids or prefixes, each of which must have a reader and be served by it."""
    if not READERS:
        raise ConfigError("record", path, "no paper registered a record reader "
                          "(register_record_reader)")
    papers_with = ", ".join(sorted(READERS))
    if args.all or not selection:
        ok, refused = readable_papers(rec, path)
        if not ok:
            why = "; ".join(f"{p}: {w}" for p, w in refused.items())
            raise ConfigError("record", path, f"no paper with a record reader can read it "
                              f"({why})")
        served = {cid for ids, _ in ok.values() for cid in ids}
        claims = [c for c in CLAIMS.values() if c.id in served]
        return claims, {p: runs for p, (_, runs) in ok.items()}
    typed = set(args.select or [])
    picked: dict[str, list] = {}
    for s in selection:
        try:
            picked[s] = claims_for([s])
        except ConfigError:
            known = ", ".join(sorted({c.paper for c in CLAIMS.values()}))
            raise _selection_error(s, f"no such claim or paper (known papers: {known}; "
                                   "`twolayer check --list` lists claim ids)") from None
    papers = list(dict.fromkeys(c.paper for hits in picked.values() for c in hits))
    for p in papers:
        if p not in READERS:
            raise _selection_error(p, f"paper {p} registered no record reader, so its claims "
                                   f"cannot be judged on a record (--record); papers that can: "
                                   f"{papers_with}")
    ok, refused = readable_papers(rec, path, papers)
    if refused:
        p, why = next(iter(refused.items()))
        raise ConfigError("record", path, f"{p} cannot read it: {why}")
    served = {cid for ids, _ in ok.values() for cid in ids}
    out: list = []
    for s, hits in picked.items():
        mine = [c for c in hits if c.id in served]
        if not mine and s in typed:
            paper = hits[0].paper
            excl = READERS[paper].excluded
            named = as_typed(paper, args.select)
            why = [f"{c.id}: {excl[c.id]}" for c in hits if c.id in excl]
            if why:
                raise _selection_error(s, f"no single record serves it ({'; '.join(why)}); "
                                       f"`twolayer check {named} --record {path} --list` lists "
                                       "the claims a record serves")
            n = len(ok[paper][0])
            raise _selection_error(s, f"the record {path} does not serve it: {paper}'s reader "
                                   f"serves {n} other claim{'s' if n != 1 else ''} on a "
                                   f"record like this one (`twolayer check {named} --record "
                                   f"{path} --list` lists {'them' if n != 1 else 'it'})")
        out += [c for c in mine if c not in out]
    if not out:
        raise ConfigError("record", path, "serves none of the selected claims")
    order = {cid: i for i, cid in enumerate(CLAIMS)}
    out.sort(key=lambda c: order[c.id])
    return out, {p: runs for p, (_, runs) in ok.items()}


def judged_on(where: Path, rec: Record) -> dict:
    """What the verdicts were judged on, for each JSON object: the record's path, its setting
    and seed count."""
    return {"record": str(where), "setting": record_setting(rec), "seeds": rec.seeds}


def record_description(where: Path, rec: Record) -> str:
    """The record the verdicts were judged on, for a report: its path, run id and setting."""
    return f"the record `{where}` (run {rec.run_id}: {record_setting(rec)})"


def header(where: Path, rec: Record) -> str:
    """The line above the table: the verdicts are the record's, not the paper's experiments'."""
    return (f"judged on the record {where} ({record_setting(rec)}), not on the papers' "
            "experiments; each claim's regime is computed on this record")


@dataclass(frozen=True)
class OnRecord:
    """What ``check --record`` judged: the record's directory, the record, the verdicts of the
    claims it served and the claims it could not serve."""

    where: Path
    rec: Record
    verdicts: list
    unserved: list


def judge_record(args: argparse.Namespace) -> OnRecord | None:
    """``twolayer check --record DIR`` up to the verdicts (see the module's docstring); None
    after printing the claims the record serves for ``--list``. :func:`twolayer.commands.check
    .run` prints the verdicts."""
    from ..plugins import load_entry_points, split_selection

    refuse_flags(args)
    load_entry_points()
    for s in args.select or []:
        if not s.strip():
            raise ConfigError("PAPER_OR_CLAIM_OR_PLUGIN", s, "is empty; give a paper (e.g. "
                              "liu2023), a claim id or a plugin path")
    selection, _plugins = split_selection(list(args.select or []))
    where = find_record(args.record, flag="record", hint=HINT)
    rec = load_record(where)  # RecordError (exit 2): missing, truncated, edited, malformed
    claims, runs = select_on_record(args, selection, rec, args.record)
    if args.list:
        excl = {cid: why for p in runs for cid, why in READERS[p].excluded.items()}
        # a claim whose statement names another setting than this record's is not served by it
        # (the reader's runs.not_served), as a real run would list it
        unmet = {c.id: statement_unmet(c, runs[c.paper]) for c in claims}
        served = [c for c in claims if not unmet[c.id]]
        other = [(c, unmet[c.id]) for c in claims if unmet[c.id]]
        # a claim whose check reads an array the record lacks (a probe it was not run with) is
        # not served either: its check is run to find out, as the verdicts would (until session
        # 48 --list named such claims as served: 16 of frei2023's on a record without the frei
        # probes, of which the run judged 1)
        lacking = [(c, u.why) for c in served
                   if isinstance(u := judge_on_record(c, runs[c.paper], rec), Unserved)]
        served = [c for c in served if c.id not in {c.id for c, _ in lacking}]
        other += lacking
        if args.json:  # the claims served, then those not served (with the reason)
            on = judged_on(where, rec)
            rows = [{"id": c.id, "paper": c.paper, "statement": c.statement, "source": c.source,
                     "tag": c.tag, "served": True, "judged_on": on} for c in served]
            rows += [{"id": c.id, "paper": c.paper, "statement": c.statement, "source": c.source,
                      "tag": c.tag, "served": False, "why": why, "judged_on": on}
                     for c, why in other]
            rows += [{"id": cid, "paper": CLAIMS[cid].paper, "statement": CLAIMS[cid].statement,
                      "source": CLAIMS[cid].source, "tag": CLAIMS[cid].tag, "served": False,
                      "why": why, "judged_on": on} for cid, why in excl.items() if cid in CLAIMS]
            print(json.dumps(rows))
            return None
        print(f"claims the record {where} serves ({record_setting(rec)}):")
        for c in served:
            print(f"{c.id}  {c.tag}  [{c.source}]")
        if other:
            print("not served by this record (its statement names another setting, or its "
                  "check reads what the record lacks):")
            for c, why in other:
                print(f"{c.id}  {why}")
        if excl:
            print("not served by any one record (the paper's experiments judge them):")
            for cid, why in excl.items():
                print(f"{cid}  {why}")
        return None
    results = [judge_on_record(c, runs[c.paper], rec) for c in claims]
    verdicts = [v for v in results if not isinstance(v, Unserved)]
    unserved = [v for v in results if isinstance(v, Unserved)]
    if not verdicts:
        # every probe the unserved claims name, not only the first one's: a user who adds the
        # first would meet the next refusal
        probes = list(dict.fromkeys(p for u in unserved for m in ADD_PROBES.findall(u.why)
                                    for p in m.split(",")))
        more = (f"; between them the {len(unserved)} claims ask for --probes "
                f"{','.join(probes)} (each names the first array it lacks)"
                if len(probes) > 1 else "")
        raise ConfigError("record", args.record, f"serves none of the {len(unserved)} selected "
                          f"claims: {unserved[0].id}: {unserved[0].why}{more}")
    return OnRecord(where, rec, verdicts, unserved)
