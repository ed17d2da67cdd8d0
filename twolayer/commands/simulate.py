"""``twolayer simulate``: train R networks on one setting and print what they learned."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

import numpy as np

from ..data import median_over_signed
from ..engine import Runtime, resolve_device
from ..errors import ConfigError
from ..record import Record, check_writable_dir, strict_json
from ..resources import check_device, check_fits, writing
from ..simulate import own_mean_correlation, simulate
from .settings import (
    add_runtime_flags,
    add_setting_flags,
    config_from_args,
    runtime_options,
    runtime_threads,
)
from .timingflag import add_timings_flag

JSON_KEYS = (
    "test_error", "test_error_clean", "train_error_clean", "noisy_fit_fraction",
    "linear_test_error", "linear_test_error_clean", "corr_median_init", "corr_median_final",
    "grad_ratio_init", "grad_ratio_final",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="train R two-layer networks on one setting",
        description="Train R two-layer ReLU networks (one batch) on the XOR clusters with label "
        "noise and report errors, correlations and gradient segments at t=0, t=1 and the end.",
    )
    p.add_argument("--plugin", action="append", metavar="PATH",
                   help="load a plugin (a .py file or a folder) first, e.g. one that registers a "
                   "data kind for --data (repeatable)")
    add_setting_flags(p)
    add_runtime_flags(p)
    p.add_argument("--out", help="write the record to OUT/<run_id>/ (arrays.npz + record.json)")
    add_timings_flag(p)
    p.set_defaults(run=run)


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "   n/a"
    return f"{v:6.3f}" if abs(v) < 1000 else f"{v:6.3g}"


def human_summary(rec: Record, notes: list[str], wall: str = "wall time",
                  arrays_at: str | None = None) -> str:
    """The summary table simulate prints: the setting, then per probe time (t = 0, 1 and the
    end) the mean over seeds of the errors, the correlation and the gradient segments, the
    linear baseline and ``wall`` (the label of the run's recorded wall time). Where none of
    those rows exists (e.g. ``--probes liu``), one line says so instead of a bare header, and
    where the probes' arrays are: ``arrays_at`` (a record path), or, when None, that only
    ``--out DIR`` keeps them."""
    c = rec.config
    dc, nc, tc = c["data"], c["net"], c["train"]
    idx = _table_columns(rec)
    head = [f"t={int(rec.times[i])}" for i in idx]
    lines = [
        f"setting: {dc['kind']} d={dc['d']} n={dc['n']} m={nc['m']} noise={dc['noise']:g} "
        f"({dc['noise_model']}) "
        + (f"sigma2={dc['sigma2']:.4g} " if dc.get("sigma2") is not None else "")
        + f"init_var={nc['init_var']:.3g} "
        f"lr={tc['lr']:g} steps={tc['steps']} seeds={c['seeds']} "
        f"[{rec.meta.get('device')}, {c['dtype']}]",
    ]
    lines += [f"note: {n}" for n in notes]
    # 10 characters a column, wider when a time needs it (t=10000000 of a flow run would run
    # into its neighbour: "t=1t=10000000")
    w = max(10, 2 + max(len(h) for h in head))
    header = len(lines)
    lines.append(f"{'mean over seeds':34s}" + "".join(f"{h:>{w}s}" for h in head))

    for r in _table_rows(rec):
        series, defined = r["series"], r["defined"]
        mean = np.mean if defined is None else _mean_defined
        lines.append(f"{r['label']:34s}"
                     + "".join(f"{_fmt(float(mean(series[:, i]))):>{w}s}" for i in idx))
        if r.get("note"):
            lines.append(f"  ({r['note']})")
        if defined is not None:  # the mean is over the runs where it is defined, as the
            # record's summary (<name>, <name>_runs) takes it: a line says how many
            lines.extend(_undefined_note(np.isfinite(series[:, idx]).sum(axis=0),
                                         series.shape[0], *defined))
    if len(lines) == header + 1:  # no row: a bare header read as a table that lost its rows
        measured = ", ".join(probes_of(rec)) or "none"
        where = (f"their arrays are in the record {arrays_at} (`twolayer show "
                 f"{shlex.quote(arrays_at)} --json` lists them)" if arrays_at is not None else
                 "their arrays are kept only with --out DIR (then `twolayer show DIR --json` "
                 "lists them)")
        lines[header] = (f"no table rows: the probes measured ({measured}) have none here (its "
                         f"rows come from errors, correlations on --data xor, segments); {where}")
    s = rec.summary
    if "linear_test_error" in s:
        lines.append(
            f"linear baseline ({linear_model(tc.get('objective', 'logistic'))} + bias): "
            f"test error {s['linear_test_error']:.3f}"
            f" (clean labels {s['linear_test_error_clean']:.3f})"
        )
    if rec.meta.get("integrator"):
        lines.append(integrator_line(rec.meta["integrator"]))
    lines.append(f"{wall} {rec.meta.get('wall_seconds', float('nan')):.1f} s")
    return "\n".join(lines)


def _table_columns(rec: Record) -> list[int]:
    """The probe-time indices of the table's columns: t = 0, 1 and the end."""
    return sorted({0, min(1, len(rec.times) - 1), len(rec.times) - 1})


def _table_rows(rec: Record) -> list[dict]:
    """The rows of simulate's table that the record's arrays give, in order: ``label``,
    ``array`` (the record's array it is computed from), ``series`` [R, T] (per run and probe
    time), ``defined``: None, or (where, nowhere) for a value undefined (not finite) in some
    runs, whose mean is then over the others, and an optional ``note`` printed under the row
    (:func:`_zero_neuron_note`)."""
    a, kind = rec.arrays, rec.config["data"]["kind"]
    rows = [{"label": label, "array": key, "series": a[key], "defined": None}
            for label, key in (("test error (noisy labels)", "errors/test_error"),
                               ("test error (clean labels)", "errors/test_error_clean"))
            if key in a]
    # undefined in a run without a clean / noisy training sample
    for label, key, subset in (("train error, clean subset", "errors/train_error_clean", "clean"),
                               ("noisy subset fitted", "errors/noisy_fit_fraction", "noisy")):
        if key in a:
            rows.append({"label": label, "array": key, "series": a[key],
                         "defined": (f"in a run without a {subset} sample",
                                     f"no run has a {subset} sample")})
    if "correlations/w_dot_mu" in a and kind == "xor":
        sign = a["static/a"][:, None, :, 0]
        corr = own_mean_correlation(a["correlations/w_dot_mu"], a["correlations/w_norm"], sign)
        # over the neurons with a_j != 0 (an odd m's a_m = 0 has no own mean)
        rows.append({"label": "median |<w_j/|w_j|, mu_own>|", "array": "correlations/w_dot_mu",
                     "series": median_over_signed(corr, sign), "defined": None,
                     **({"note": note} if (note := _zero_neuron_note(rec)) else {})})
    if "segments/grad_ratio" in a:  # undefined in a run where |g_noisy| = 0
        rows.append({"label": "|g_clean| / |g_noisy|", "array": "segments/grad_ratio",
                     "series": a["segments/grad_ratio"],
                     "defined": ("where |g_noisy| = 0, e.g. no noisy sample",
                                 "|g_noisy| = 0 in every run, e.g. no noisy sample")})
    return rows


def _zero_neuron_note(rec: Record) -> str | None:
    """The line under the own-mean row of a record with a neuron whose a_j^(0) = 0 (an odd m's
    a_m, card section 2): the median leaves it out, since its own mean is read from the sign of
    a_j^(0), which it does not have, and it is in neither sign group; with
    ``--train-second-layer`` its a_j trains away from 0, but the groups stay those of t = 0.
    None where every a_j^(0) ≠ 0."""
    a = rec.arrays["static/a"][..., 0]  # [R, m], the second layer at t = 0
    zero = (a == 0).any(0)
    if not zero.any():
        return None
    names = ", ".join(str(j + 1) for j in np.flatnonzero(zero))
    pos, neg = int((a > 0).sum(-1).min()), int((a < 0).sum(-1).min())
    which = "neuron " + names if zero.sum() == 1 else "neurons " + names
    note = (f"the median over the {int((~zero).sum())} neurons with a_j^(0) != 0 ({pos} "
            f"positive, {neg} negative): {which} of m = {a.shape[-1]} has a_j^(0) = 0, so no "
            "own mean, and is in neither sign group")
    if rec.config["net"].get("train_second_layer", False):
        note += ("; its a_j trains away from 0 (--train-second-layer), but the groups and own "
                 "means stay those of t = 0")
    return note


def summary_table(rec: Record) -> dict:
    """The table of :func:`human_summary` as numbers, for ``--json``: its probe ``times`` (t = 0,
    1 and the end) and per row its ``label``, the ``array`` it is computed from, the ``mean``
    over seeds at each time (null where no run defines it), the ``runs`` each mean is over
    (the runs where the value is finite) and, where the text prints a line under the row, its
    ``note`` (the own-mean row of a record with a neuron whose a_j^(0) = 0)."""
    idx = _table_columns(rec)
    rows = []
    for r in _table_rows(rec):
        cols = [r["series"][:, i] for i in idx]
        means = [float(np.mean(c)) if r["defined"] is None else _mean_defined(c) for c in cols]
        rows.append({"label": r["label"], "array": r["array"],
                     "mean": [m if math.isfinite(m) else None for m in means],
                     "runs": [int(np.isfinite(c).sum()) for c in cols],
                     **({"note": r["note"]} if r.get("note") else {})})
    return {"times": [int(rec.times[i]) for i in idx], "rows": rows}


def probes_of(rec: Record) -> list[str]:
    """The probes whose arrays the record holds (the first part of ``probe/name`` keys; the
    ``static``, ``final`` and ``baseline`` groups are not probes), in first-seen order."""
    skip = {"static", "final", "baseline", "summary"}
    return list(dict.fromkeys(k.split("/", 1)[0] for k in rec.arrays
                              if "/" in k and k.split("/", 1)[0] not in skip))


def _undefined_note(defined: np.ndarray, R: int, where: str, nowhere: str) -> list[str]:
    """The line under a row whose value is undefined in some runs: how many runs each column's
    mean is over (none where every run has it)."""
    if not defined.any():
        return [f"  (undefined: {nowhere})"]
    if (defined < R).any():
        counts = "/".join(str(int(k)) for k in defined)
        return [f"  (undefined {where}: the means are over the {counts} of {R} runs where it "
                "is defined)"]
    return []


def _mean_defined(values: np.ndarray) -> float:
    """The mean over the finite values (NaN, shown as n/a, where none is)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def linear_model(objective: str) -> str:
    """What :func:`twolayer.baselines.fit_linear` fits for the run's objective: a ridge-
    regularised linear model trained on the same loss as the network."""
    known = {"logistic": "logistic regression", "softmax": "softmax regression"}
    return known.get(objective, f"linear model, {objective} loss")


def integrator_line(st: dict) -> str:
    """One line on how a flow or auto run was integrated (its ``meta["integrator"]``)."""
    from ..training.flow import H_MIN

    if st["integrator"] == "auto" and st["accepted"] + st["rejected"] == 0:
        return (f"integrator: auto (exact GD for all {st['gd_steps']:,} steps: the switch is not "
                f"before the last step): {st['grad_evals']:,} gradient evaluations")
    how = (f"exact GD to step {st['switch']}, then the gradient flow" if st["integrator"] == "auto"
           else "the gradient flow")
    line = (f"integrator: {st['integrator']} ({how}, {st['method']} at rtol {st['rtol']:g}): "
            f"{st['grad_evals']:,} gradient evaluations, {st['accepted']:,} accepted and "
            f"{st['rejected']:,} rejected steps")
    if st.get("forced"):  # accepted at the smallest step with the error above rtol
        line += (f"; {st['forced']:,} of the accepted steps forced at the smallest step "
                 f"({H_MIN:g} GD steps) with the error estimate above rtol")
    if st.get("row_span"):
        line += f"; first layer in the row span of the inputs ({st['row_span']} coordinates)"
    return line


def json_summary(rec: Record) -> dict:
    """What ``simulate --json`` (and ``show --json``) print: the run id, config, the record's
    headline numbers with their deviations over seeds (and the runs a mean is over, when not
    all), ``corr_median_note`` where the own-mean medians leave a neuron out (an odd m's
    a_m = 0, :func:`_zero_neuron_note`), the table of the text output (:func:`summary_table`),
    wall time and device."""
    s = rec.summary
    out = {"run_id": rec.run_id, "config": rec.config, "steps": s["steps"], "seeds": s["seeds"]}
    for k in JSON_KEYS:
        if k in s:
            out[k] = s[k]
        for extra in ("_std", "_runs"):  # _runs: the runs a mean is over, when not all
            if k + extra in s:
                out[k + extra] = s[k + extra]
    if "corr_median_init" in out and (note := _zero_neuron_note(rec)):
        out["corr_median_note"] = note  # the neurons the medians leave out (an odd m)
    out["table"] = summary_table(rec)
    out["wall_seconds"] = s.get("wall_seconds")
    out["device"] = rec.meta.get("device")
    if rec.meta.get("integrator"):
        out["integrator"] = rec.meta["integrator"]
    return out


def refuse_store_as_out(out: Path) -> None:
    """ConfigError naming --out where ``out`` is a folder whose records ``twolayer store``,
    ``show`` and ``check --record`` would not see as simulate's: one record's own folder (a
    record saved inside it, ``--out DIR/<run_id>``), the experiments' record store (``entries/``
    inside), or a sweep's store (``records/`` beside its ``spec.toml``); until session 48 the
    record was written there and ``store verify`` and ``prune`` passed over it."""
    from ..record import holds_record_files

    if not out.is_dir():
        return
    if holds_record_files(out):
        why = ("must not be one record's folder (it holds record.json or arrays.npz): give the "
               "folder that holds the records, e.g. its parent")
    elif (out / "entries").is_dir():
        why = ("must not be the experiments' record store (check and figures --records, "
               "$TWOLAYER_STORE), whose records are its entries': choose another --out")
    elif (out / "records").is_dir() and (out / "spec.toml").is_file():
        why = ("must not be a sweep's store (records/ beside its spec.toml): choose another "
               "--out")
    else:
        return
    raise ConfigError("out", str(out), why)


def run(args: argparse.Namespace) -> int:
    """Validate everything (flags, device, memory, --out) before any tensor is allocated, train,
    print the summary, and only then write the record (a failed write: exit 1, one line)."""
    device_name = check_device(args.device)
    device = resolve_device(device_name)
    cfg, notes = config_from_args(args, device_is_cpu=device.type == "cpu")
    if args.out is not None:
        if not str(args.out).strip():
            raise ConfigError("out", args.out, "must be a directory path (not empty); omit --out "
                              "to write nothing")
        check_writable_dir(args.out, "out")
        refuse_store_as_out(Path(args.out))
    runtime = Runtime(device=str(device), progress=False if args.quiet else None,
                      threads=runtime_threads(args), **runtime_options(args))
    check_fits(cfg, str(device))
    # the notes before training: one that says the steps were capped, or a preset's scale kept,
    # is what a user would act on, and a preset's run can take many minutes (the human summary
    # repeats them after the table)
    for n in notes:
        print(f"twolayer simulate: note: {n}", file=sys.stderr, flush=True)
    rec = simulate(cfg, runtime)  # meta.threads: the count the training call ran with
    # the results first: a full disk or a lost permission then costs the file, not the run
    if args.json:
        out = json_summary(rec)
        if args.out:
            out["record"] = str(Path(args.out) / rec.run_id)
        print(json.dumps(strict_json(out), allow_nan=False), flush=True)
    elif not args.quiet:
        kept = None if args.out is None else str(Path(args.out) / rec.run_id)
        print(human_summary(rec, notes, arrays_at=kept), flush=True)
    if args.out:
        with writing(Path(args.out) / rec.run_id):
            path = rec.save(args.out)
        if args.quiet and not args.json:
            print(path)
        elif not args.json:
            print(f"record: {path}")
    return 0

