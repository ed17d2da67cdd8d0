"""The assumptions of Frei, Chatterji & Bartlett (2023), Theorem 1, evaluated for one setting.

Theorem 1 holds for a "sufficiently large absolute constant" C > 1 that the paper does not
specify, with failure probability 4δ, δ ∈ (0, 1/2):

    (A1) d ≥ C · max{log²(n/δ), log(m/δ)}        (A2) σ² ≤ 1/(C² d)
    (A3) n ≥ C · log(m/δ)                         (A4) η ≤ 1/C
    (A5) m ≥ C · log(1/δ)                         (A6) 0 < ω_init² ≤ 1/(C⁴ m d)
    (A7) 1/(2√C) ≤ α ≤ 1/√C

Since C is unspecified, a setting is not simply "in" or "out" of the regime: each assumption
holds for C in an interval, and :func:`frei2023` reports it. (A1)–(A6) hold for all
1 < C ≤ C_max, with

    C_max(A1) = d / max{log²(n/δ), log(m/δ)},   C_max(A2) = 1/√(σ² d),
    C_max(A3) = n / log(m/δ),                   C_max(A4) = 1/η  (∞ for η = 0),
    C_max(A5) = m / log(1/δ),                   C_max(A6) = (ω_init² m d)^(−1/4),

and (A7) holds exactly for 1/(4α²) ≤ C ≤ 1/α². All seven hold together for
C ∈ [max(1, 1/(4α²)), min_k C_max(Ak)] when that interval is not empty; its upper end, the
largest such C, says how deep inside the regime the setting is (the larger, the deeper). Note
that (A7) caps C at 1/α²: a larger C needs a smaller step.
"""

from __future__ import annotations

import decimal
import json
import math
import numbers
import os
import re
import stat
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .config import SIZE_MAX, Config
from .errors import ConfigError, TwolayerError
from .record import (
    ARRAYS,
    DOCUMENT,
    check_folder_name,
    holds_record_files,
    read_document,
    record_folders,
    strict_json,
)

DEFAULT_DELTA = 0.05
# α for which (A7)'s bounds 1/(4α²) and 1/α² are normal float64 numbers (outside, they would
# print as inf or 0)
LR_RANGE = (1e-150, 1e150)
# largest d, n, m: a Config's (config.SIZE_MAX, 1e50; the assumptions are evaluated in float64,
# where the defaults sigma2 = d^-1.2 and init_var = 0.01/(m d) stay normal numbers up to there;
# d = 10^308 made sigma2 0, "--sigma2 0.0 is invalid", a value never given, and m = 10^308
# raised OverflowError, a traceback)


@dataclass(frozen=True)
class Assumption:
    """One assumption: it holds exactly for C in [c_min, c_max] (and C > 1)."""

    id: str
    statement: str
    values: str
    c_min: float
    c_max: float

    def holds(self, C: float) -> bool:
        return C > 1 and self.c_min <= C <= self.c_max

    @property
    def feasible(self) -> bool:
        """Some C > 1 satisfies it."""
        return self.c_max > 1 and self.c_min <= self.c_max

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "statement": self.statement, "values": self.values,
            "c_min": _json_num(self.c_min), "c_max": _json_num(self.c_max),
            "feasible": self.feasible,
        }


def _json_num(x: float) -> float | str:
    return x if math.isfinite(x) else "inf"


@dataclass(frozen=True)
class Conditions:
    """(A1)–(A7) for one setting and δ."""

    paper: str
    delta: float
    setting: dict[str, float]
    assumptions: tuple[Assumption, ...]

    @property
    def c_min_all(self) -> float:
        """Smallest C allowed by all assumptions together (at least 1)."""
        return max([1.0] + [a.c_min for a in self.assumptions])

    @property
    def c_max_all(self) -> float:
        """Largest C allowed by all assumptions together (may be below :attr:`c_min_all`)."""
        return min(a.c_max for a in self.assumptions)

    @property
    def largest_c(self) -> float | None:
        """The largest C > 1 for which every assumption holds, or None if there is none."""
        lo, hi = self.c_min_all, self.c_max_all
        return hi if (hi > 1 and lo <= hi) else None

    def lower_text(self, fmt: Any = None) -> str:
        """The lower end of the C interval as text: ``16 <= C`` where an assumption (A7) sets
        it, else ``1 < C`` (the card's C > 1 is strict: C = 1 is not allowed)."""
        lo = self.c_min_all
        return f"{(fmt or _fmt)(lo)} <= C" if lo > 1 else "1 < C"

    @property
    def binding(self) -> list[str]:
        """The assumptions whose C_max is the smallest (what limits the depth)."""
        hi = self.c_max_all
        return [a.id for a in self.assumptions if a.c_max <= hi * (1 + 1e-12)]

    def holds(self, C: float) -> bool:
        return all(a.holds(C) for a in self.assumptions)

    @property
    def failing(self) -> list[Assumption]:
        """Where no C > 1 satisfies all seven: every assumption that holds for no C at or above
        the least C that the others' lower ends and C > 1 allow (:attr:`c_min_all`), i.e. every
        assumption that must change (not only the one with the smallest upper end, which
        :meth:`summary` names). Empty where some C satisfies all seven."""
        if self.largest_c is not None:
            return []
        lo = self.c_min_all
        return [a for a in self.assumptions if not a.feasible or a.c_max < lo]

    def failing_text(self, fmt: Any = None) -> str:
        """One line naming every assumption in :attr:`failing` with the C it allows, e.g. ``at
        C = 25 (the least C that A7 and C > 1 allow) A2 fails (C <= 2.34), A6 fails (C <=
        3.16)``; empty where some C satisfies all seven."""
        bad = self.failing
        if not bad:
            return ""
        f = fmt or _fmt
        lo = self.c_min_all
        at = (f"at C = {f(lo)} (the least C that A7 and C > 1 allow)" if lo > 1
              else "at every C > 1")
        return f"{at}: " + ", ".join(
            f"{a.id} fails ({'no C > 1' if not a.feasible else 'C <= ' + f(a.c_max)})"
            for a in bad)

    def summary(self) -> str:
        """One line, e.g. ``A1-A7 hold for 16 <= C <= 35.4 (limited by A1)``."""
        c = self.largest_c
        lim = ", ".join(self.binding)
        if c is not None:
            return f"A1-A7 hold for {self.lower_text()} <= {_fmt(c)} (limited by {lim})"
        blocking = [a.id for a in self.assumptions if a.c_min > 1]
        allow = "allows" if len(self.binding) == 1 else "allow"
        if not blocking:  # no lower bound above 1 (alpha >= 1/2): the upper ends are below 1
            return (f"no C > 1 satisfies A1-A7 together: {lim} {allow} only "
                    f"C <= {_fmt(self.c_max_all)}")
        need = "needs" if len(blocking) == 1 else "need"
        return (
            f"no C > 1 satisfies A1-A7 together: {', '.join(blocking)} {need} "
            f"C >= {_fmt(self.c_min_all)}, {lim} {allow} C <= {_fmt(self.c_max_all)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "paper": self.paper, "delta": self.delta, "setting": self.setting,
            "assumptions": [a.to_json() for a in self.assumptions],
            "c_min_all": _json_num(self.c_min_all), "c_max_all": _json_num(self.c_max_all),
            "largest_c": None if self.largest_c is None else _json_num(self.largest_c),
            "binding": self.binding, "failing": [a.id for a in self.failing],
            "summary": self.summary(),
        }


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "inf"
    return f"{x:.3g}"


def _real(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _check_sizes(checks: tuple[tuple[str, Any, int], ...]) -> None:
    for name, v, lo in checks:
        if not (isinstance(v, numbers.Integral) and not isinstance(v, bool)) or v < lo:
            raise ConfigError(name, v, f"must be an integer >= {lo}")
        if v > SIZE_MAX:
            raise ConfigError(name, v, f"valid range is [{lo}, 1e50] (the assumptions are "
                              "evaluated in float64 numbers)")


def _exact(x: float) -> Fraction:
    """``x`` as the exact rational its shortest decimal (``repr``) writes: the value given."""
    return Fraction(repr(float(x)))


def _to_float(q: Fraction) -> float:
    """``q`` rounded once to the nearest float64 (inf past its range)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf


def _root(q: Fraction, k: int) -> float:
    """The k-th root (k = 2 or 4) of ``q`` > 0, computed to 50 significant digits and rounded
    once to the nearest float64 (equal roots of equal rationals give equal floats)."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 50, 10**6, -(10**6)
        r = (decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)).sqrt()
        return float(r.sqrt() if k == 4 else r)


def frei2023(
    d: int, n: int, m: int, noise: float, sigma2: float, init_var: float, lr: float,
    delta: float = DEFAULT_DELTA,
) -> Conditions:
    """(A1)–(A7) of Frei et al. (2023), Theorem 1, for the given d, n, m, η, σ², ω_init², α, δ."""
    # numpy scalars are numbers too (numbers.Integral / numbers.Real), bool is not a count
    if not (_real(delta) and 0 < delta < 0.5):
        raise ConfigError("delta", delta, "valid range is (0, 0.5)")
    _check_sizes((("d", d, 1), ("n", n, 1), ("m", m, 1)))
    for name, v in (("sigma2", sigma2), ("init_var", init_var), ("lr", lr)):
        if not (_real(v) and math.isfinite(v) and v > 0):
            raise ConfigError(name, v, "must be a finite number > 0")
    if not LR_RANGE[0] <= lr <= LR_RANGE[1]:
        raise ConfigError("lr", lr, f"valid range is [{LR_RANGE[0]:g}, {LR_RANGE[1]:g}] "
                          "(A7's bounds 1/(4 alpha^2) and 1/alpha^2 must be normal float64 "
                          "numbers)")
    if not (_real(noise) and 0 <= noise <= 1):
        raise ConfigError("noise", noise, "valid range is [0, 1]")
    d, n, m = int(d), int(n), int(m)
    noise, sigma2, init_var, lr, delta = (float(v) for v in (noise, sigma2, init_var, lr, delta))
    # the upper ends of A2, A4, A6 and both ends of A7 are computed exactly from the values as
    # given (their shortest decimals) and rounded once, so that ends that are equal on paper
    # are equal floats: 0.35**2 and 0.49 round differently, which made alpha = 0.35, eta = 0.49
    # (1/(4 alpha^2) = 1/eta: C = 1/0.49 satisfies A4 and A7) read as "no C > 1"
    e_noise, e_s2d = _exact(noise), _exact(sigma2) * d
    e_vmd, e_lr = _exact(init_var) * m * d, _exact(lr)
    # log(x/delta) as log x - log delta: for a subnormal delta, x/delta overflows to inf
    log_d = math.log(delta)
    log_nd, log_md, log_1d = math.log(n) - log_d, math.log(m) - log_d, -log_d
    a1_need = max(log_nd**2, log_md)
    alpha = float(lr)
    items = (
        Assumption(
            "A1", "d >= C * max{log^2(n/delta), log(m/delta)}",
            f"d={d}, log^2(n/delta)={log_nd**2:.3g}, log(m/delta)={log_md:.3g}",
            1.0, d / a1_need,
        ),
        Assumption(
            "A2", "sigma^2 <= 1/(C^2 d)", f"sigma^2={sigma2:.3g}, sigma^2*d={sigma2 * d:.3g}",
            1.0, _root(1 / e_s2d, 2),
        ),
        Assumption(
            "A3", "n >= C * log(m/delta)", f"n={n}, log(m/delta)={log_md:.3g}",
            1.0, n / log_md,
        ),
        Assumption("A4", "eta <= 1/C", f"eta={noise:g}", 1.0,
                   _to_float(1 / e_noise) if noise > 0 else math.inf),
        Assumption(
            "A5", "m >= C * log(1/delta)", f"m={m}, log(1/delta)={log_1d:.3g}", 1.0, m / log_1d
        ),
        Assumption(
            "A6", "0 < omega_init^2 <= 1/(C^4 m d)",
            f"omega_init^2={init_var:.3g}, omega_init^2*m*d={init_var * m * d:.3g}",
            1.0, _root(1 / e_vmd, 4),
        ),
        Assumption(
            "A7", "1/(2 sqrt(C)) <= alpha <= 1/sqrt(C)", f"alpha={alpha:g}",
            _to_float(1 / (4 * e_lr**2)), _to_float(1 / e_lr**2),
        ),
    )
    setting = {
        "d": d, "n": n, "m": m, "noise": float(noise), "sigma2": float(sigma2),
        "init_var": float(init_var), "lr": alpha,
    }
    return Conditions("frei2023", float(delta), setting, items)


def frei2023_from_config(config: Any, delta: float = DEFAULT_DELTA) -> Conditions:
    """:func:`frei2023` for a :class:`twolayer.config.Config` (defaults resolved first)."""
    # before the defaults are resolved: they would overflow or underflow first
    _check_sizes((("d", config.data.d, 2), ("n", config.data.n, 1), ("m", config.net.m, 2)))
    cfg = config.resolved()
    return frei2023(
        cfg.data.d, cfg.data.n, cfg.net.m, cfg.data.noise, cfg.data.sigma2, cfg.net.init_var,
        cfg.train.lr, delta,
    )


# --------------------------------------------------------------------------------------------
# Premises measured on a record, and the registry of the papers `twolayer conditions` knows
# --------------------------------------------------------------------------------------------

HOLDS = "holds"
NOT_ESTABLISHED = "not established"  # measured, but its 95% interval is not on the premise's side
CANNOT = "cannot be evaluated"  # the record lacks what the premise reads (``why`` says what)
STATUSES = (HOLDS, NOT_ESTABLISHED, CANNOT)


@dataclass(frozen=True)
class Premise:
    """One premise of a theorem measured on a record: ``statement`` as the paper card states it
    (with the card's ``tag``), the ``threshold`` the project measures it against, the
    ``measured`` text, and ``status`` (:data:`HOLDS`, :data:`NOT_ESTABLISHED` or :data:`CANNOT`,
    with ``why``). ``value``/``ci``/``per_seed``: the per-seed statistic, its mean and 95%
    interval (None where the premise is not a per-seed number)."""

    id: str
    tag: str
    statement: str
    threshold: str
    status: str
    measured: str = ""
    why: str = ""
    value: float | None = None
    ci: tuple[float, float] | None = None
    per_seed: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"premise {self.id!r}: status {self.status!r} is not one of "
                             + ", ".join(repr(s) for s in STATUSES))

    def to_json(self) -> dict[str, Any]:
        """The premise as a JSON object (non-finite numbers as null)."""

        def num(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {
            "id": self.id, "tag": self.tag, "statement": self.statement,
            "threshold": self.threshold, "status": self.status, "measured": self.measured,
            "why": self.why, "value": num(self.value),
            "ci": None if self.ci is None else [num(x) for x in self.ci],
            "per_seed": None if self.per_seed is None else [num(x) for x in self.per_seed],
        }


@dataclass(frozen=True)
class ClaimRegime:
    """Whether a claim's check, run on the record, marks it inside its theorem's regime
    (``inside``; None where the check cannot run on the record: ``regime`` says why)."""

    claim: str
    source: str
    inside: bool | None
    regime: str

    def to_json(self) -> dict[str, Any]:
        """The regime as a JSON object."""
        return {"claim": self.claim, "source": self.source, "inside": self.inside,
                "regime": self.regime}


# the line :meth:`RecordConditions.render` prints instead of ``record: DIR`` for premises
# computed from the setting flags (``record`` is "")
FROM_SETTING = ("record: none: computed from the setting flags (the config twolayer simulate "
                "would train with them; nothing trained or read)")


@dataclass(frozen=True)
class RecordConditions:
    """The premises of a paper's theorems measured on one record, and the regime of its claims
    there, computed by the claims' own checks: what ``twolayer conditions --record DIR`` prints
    (:meth:`render`) or, with ``--json``, writes (:meth:`to_json`). ``title``: the first line
    (the paper, the theorems, how a premise is decided); ``record``: the directory read, or
    ``""`` where the premises are computed from the setting flags (a provider's
    ``from_setting``: no record; ``twolayer conditions`` sets it so, :data:`FROM_SETTING` is the
    line it prints then, and ``--json`` has ``"record": null``); ``setting``: one line of the
    record's setting; ``claims`` may be empty (then
    :meth:`summary` counts the premises); ``note``: the line above the claims' regimes;
    ``remarks``: what the premises and the regimes do not read, one line each."""

    paper: str
    title: str
    record: str
    setting: str
    premises: tuple[Premise, ...]
    claims: tuple[ClaimRegime, ...]
    note: str = ""
    remarks: tuple[str, ...] = ()  # what the premises and the claims' regime do not read

    @property
    def inside(self) -> list[str]:
        """The claims inside their regime on the record."""
        return [c.claim for c in self.claims if c.inside]

    @property
    def outside(self) -> list[str]:
        """The claims outside their regime on the record."""
        return [c.claim for c in self.claims if c.inside is False]

    @property
    def unknown(self) -> list[str]:
        """The claims whose check cannot run on the record."""
        return [c.claim for c in self.claims if c.inside is None]

    def summary(self) -> str:
        """The overall line: inside the regime of every claim evaluated, or of which; where no
        claim's regime is read on the record, how many premises hold."""
        n = len(self.claims)
        if not n:
            counts = [(sum(p.status == s for p in self.premises), s) for s in STATUSES]
            total = len(self.premises)
            return (f"{total} premise{'' if total == 1 else 's'}: "
                    + ", ".join(f"{c} {'hold' if s == HOLDS and c != 1 else s}"
                                for c, s in counts if c)
                    + (" (no claim's regime is computed on this record)" if self.record
                       else " (computed from the setting flags: no record, no claim's regime)"))
        ins, unk = self.inside, self.unknown
        if n and len(ins) == n:
            head = f"inside the regime of all {n} claims"
        elif not ins:
            head = f"outside the regime of every claim ({n - len(unk)} of {n} evaluated)"
        else:
            head = (f"inside the regime of {len(ins)} of {n} claims only ("
                    + ", ".join(ins) + ")")
        if unk:
            head += f"; {len(unk)} cannot be evaluated on this record"
        return head

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object: every field, the premises' and claims' own objects, the
        lists :attr:`inside`, :attr:`outside`, ``cannot_be_evaluated`` and the summary."""
        return {
            "paper": self.paper, "title": self.title, "record": self.record or None,
            "setting": self.setting, "premises": [p.to_json() for p in self.premises],
            "claims": [c.to_json() for c in self.claims], "inside": self.inside,
            "outside": self.outside, "cannot_be_evaluated": self.unknown,
            "summary": self.summary(), "note": self.note, "remarks": list(self.remarks),
        }

    def render(self) -> str:
        """The text ``twolayer conditions`` prints: each premise (tag, id, statement,
        threshold, measured, STATUS: why), the claims' regimes, the summary and the remarks."""
        lines = [self.title, f"record: {self.record}" if self.record else FROM_SETTING,
                 f"setting: {self.setting}", ""]
        for p in self.premises:
            lines.append(f"{p.tag} {p.id}: {p.statement}")
            lines.append(f"    threshold: {p.threshold}")
            if p.measured:
                lines.append(f"    measured:  {p.measured}")
            lines.append(f"    {p.status.upper()}" + (f": {p.why}" if p.why else ""))
        if self.claims:
            lines += ["", self.note or "regime of the claims, as their checks compute it on "
                      "this record:"]
            width = max(len(c.claim) for c in self.claims)
            for c in self.claims:
                mark = {True: "inside ", False: "outside", None: "unknown"}[c.inside]
                extra = f"  ({c.regime})" if c.inside is None else ""
                lines.append(f"  {mark}  {c.claim:{width}s}  {c.source}{extra}")
        lines += ["", self.summary()]
        lines += [f"note: {r}" for r in self.remarks]
        return "\n".join(lines)


@dataclass(frozen=True)
class ConditionsProvider:
    """A paper's entry in ``twolayer conditions``: ``reads`` is ``"setting"`` (the setting
    flags, read by the command's own code: the built-in frei2023 only) or ``"record"``
    (``--record DIR``: ``evaluate(path)`` returns a :class:`RecordConditions`, raising a
    :class:`~twolayer.errors.TwolayerError` for a record it cannot read). A record provider may
    also have ``from_setting(config)``: the same premises from the setting flags, before
    training (``config`` is the dict a record of those flags would hold, :func:`setting_config`),
    returning a :class:`RecordConditions`. ``about`` is one line for ``--help``; ``origin`` the
    file:line that registered it."""

    paper: str
    reads: str
    about: str
    evaluate: Any = None
    origin: str = ""
    from_setting: Any = None


CONDITIONS: dict[str, ConditionsProvider] = {}
# a paper's name as --paper takes it: a claim id's first part (letters, digits, "_", "-")
PAPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def registration_origin(fn: Any) -> str:
    """Where a registered function is defined (``file:line``), or, for one without code (None,
    a builtin), where the registration was called: the caller of the caller of this function
    (e.g. a paper's module calling :func:`register_conditions`), past the public wrappers
    of :mod:`twolayer.api` (a plugin's call through them names the plugin's line)."""
    code = getattr(fn, "__code__", None)
    if code is not None:
        return f"{code.co_filename}:{code.co_firstlineno}"
    api = str(Path(__file__).resolve().parent / "api.py")
    caller = sys._getframe(2)
    while caller.f_back is not None and str(Path(caller.f_code.co_filename).resolve()) == api:
        caller = caller.f_back
    return f"{caller.f_code.co_filename}:{caller.f_lineno}"


def register_conditions(
    paper: str, reads: str, about: str, evaluate: Any = None, *, from_setting: Any = None
) -> ConditionsProvider:
    """Register the premises ``twolayer conditions --paper PAPER`` prints (a paper's module
    calls it on import, like its claims). ``from_setting`` (a ``reads="record"`` provider only,
    optional): a callable that gets a config dict (:func:`setting_config`) and returns the
    :class:`RecordConditions` of the setting flags, without a record. A paper registered twice
    from different places is a :class:`~twolayer.errors.TwolayerError` naming both (the same
    place again, a module imported a second time, replaces it)."""
    origin = registration_origin(evaluate)
    if not (isinstance(paper, str) and PAPER_NAME.fullmatch(paper)):
        raise TwolayerError(f"conditions {paper!r} ({origin}): a paper's name is letters, "
                            "digits, '_' and '-' (not first), as the first part of its claim "
                            "ids, e.g. 'mypaper'")
    if reads not in ("setting", "record"):
        raise ValueError(f"reads must be 'setting' or 'record', not {reads!r}")
    if reads == "record" and not callable(evaluate):
        raise ValueError("a record provider needs evaluate(path)")
    if from_setting is not None and not (reads == "record" and callable(from_setting)):
        raise ValueError(f"conditions {paper!r} ({origin}): from_setting must be a callable "
                         "from_setting(config) of a reads='record' provider, or None")
    if not isinstance(about, str) or not about.strip() or "\n" in about:
        raise ValueError(f"conditions {paper!r} ({origin}): about must be one line of text "
                         "for --help")
    if paper in CONDITIONS and CONDITIONS[paper].origin != origin:
        raise TwolayerError(f"conditions of {paper!r} are registered twice: at "
                            f"{CONDITIONS[paper].origin} and at {origin}")
    prov = ConditionsProvider(paper, reads, about, evaluate, origin, from_setting)
    CONDITIONS[paper] = prov
    return prov


register_conditions("frei2023", "setting",
                    "Frei, Chatterji & Bartlett (2023), Theorem 1: A1-A7 from the setting flags")


def setting_config(config: Config) -> dict[str, Any]:
    """The config dict a record of ``config`` holds: :meth:`Config.to_dict` (every default
    resolved) as :meth:`Record.save` writes it to ``record.json`` and :meth:`Record.load` reads
    it back (strict JSON: lists, not tuples; a non-finite number as None), so that a setting
    reader gets the same dict as ``Record.config`` of a record trained with the same flags."""
    return json.loads(json.dumps(strict_json(config.to_dict()), allow_nan=False))


def find_record(path: str | os.PathLike[str], flag: str = "record", hint: str = "") -> Path:
    """The record directory ``path`` names: ``DIR`` holding ``record.json`` or ``arrays.npz``,
    or the ``--out DIR`` of ``twolayer simulate`` holding exactly one record folder
    (``DIR/<run_id>``, :func:`twolayer.record.record_folders`; hidden ones, the temporaries of a
    save that was killed, are not records, and one with a file missing is one). A damaged or
    edited ``record.json``, or a folder named by another run's id, is a
    :class:`~twolayer.errors.RecordError`; anything else is a :class:`ConfigError` naming
    ``--<flag>``, the value and what to give (two or more records: the damaged ones named);
    ``hint`` (e.g. "simulate it with --probes errors") ends the message where the path is no
    directory. Read it with :func:`twolayer.store.load_record` (:meth:`Record.load` checks its
    checksums only)."""
    try:
        return _find_record(path, flag, hint)
    except PermissionError as e:  # Path.exists/is_dir/iterdir raise EACCES where a folder on the
        # way cannot be entered or listed (a traceback before)
        from .record import blocked_at

        at = blocked_at(Path(e.filename if e.filename else path).absolute())
        raise ConfigError(flag, path, f"cannot be read ({at} cannot be entered or listed: "
                          "permission denied)") from None


def _find_record(path: str | os.PathLike[str], flag: str, hint: str) -> Path:
    """:func:`find_record`. ``path`` is one record's folder when it holds ``record.json`` or
    ``arrays.npz``; else its record folders are those :func:`twolayer.record.record_folders`
    takes (a subfolder with a record's file, or named by a run id: a record whose
    ``record.json`` was deleted is one, and is named damaged, never passed over for another). A
    record's ``record.json`` is verified (format, content checksum) before anything is read of
    it, and a folder named by another run's id is refused (:func:`_one_setting`): both
    :class:`~twolayer.errors.RecordError`."""
    if not str(path).strip():  # Path("") is the working directory
        raise ConfigError(flag, path, "is empty: give a record directory written by "
                          "twolayer simulate --out DIR")
    p = Path(path)
    if not p.is_dir():
        what = "is a file, not a directory" if p.exists() else "no such directory"
        raise ConfigError(flag, path, f"{what}: give a record directory written by "
                          "twolayer simulate --out DIR" + (f" ({hint})" if hint else ""))
    if holds_record_files(p):
        return _one_setting(p, path, flag)
    # hidden folders are a killed save's temporaries (.<run_id>.tmp.*, .<run_id>.old.*)
    subs = record_folders(p)
    if len(subs) == 1:
        return _one_setting(subs[0], path, flag)
    if not subs and (p / "records").is_dir() and (saved := _saved_records(p / "records")):
        # the parent of the README's `simulate --out records/` is no record store
        inner = p / "records"
        give = (f"give {inner}" if len(saved) == 1 else
                f"give one of them, {inner}/<run_id> (" + ", ".join(saved[:4])
                + (", ..." if len(saved) > 4 else "") + ")")
        raise ConfigError(flag, path, f"is not a record: its records/ holds {len(saved)} "
                          f"record{'s' if len(saved) > 1 else ''} saved by twolayer simulate "
                          f"--out {inner}: {give}")
    if not subs and (p / "records").is_dir():
        raise ConfigError(flag, path, "is a record store (its records/ holds the runs that "
                          "twolayer check or a sweep keeps), not a record: give DIR/<run_id> of "
                          "twolayer simulate --out DIR (or a sweep point's records/<id>)")
    if not subs:
        raise ConfigError(flag, path, f"not a record directory (no {DOCUMENT} in it or in "
                          "one directory below it): give DIR/<run_id> of twolayer simulate "
                          "--out DIR")
    damaged = [f"{s.name} ({' and '.join(gone)} missing)" for s in subs
               if (gone := [f for f in (DOCUMENT, ARRAYS) if not (s / f).exists()])]
    raise ConfigError(flag, path, f"holds {len(subs)} records ("
                      + ", ".join(s.name for s in subs[:4]) + (", ..." if len(subs) > 4 else "")
                      + ")" + (f", damaged: {', '.join(damaged[:4])}"
                               + (", ..." if len(damaged) > 4 else "") if damaged else "")
                      + ": give one of them, DIR/<run_id>"
                      + (f" (twolayer store verify {path} names every damaged one)"
                         if damaged else ""))


def _saved_records(folder: Path) -> list[str]:
    """The run ids of the records in ``folder`` saved by ``twolayer simulate --out folder``
    (a ``record.json`` with a run id and no store address: a record store's records, the
    experiments' or a sweep's, always name their address); empty when any record there does
    not read as one (a store's, or damaged: the store message stays)."""
    names = []
    for sub in sorted(s for s in folder.iterdir() if s.is_dir()):
        try:
            with open(sub / DOCUMENT) as fh:
                doc = json.load(fh)
        except (OSError, ValueError, RecursionError):
            return []
        if not isinstance(doc, dict) or "run_id" not in doc or "address" in doc:
            return []
        names.append(sub.name)
    return names


def _one_setting(where: Path, path: str | os.PathLike[str], flag: str) -> Path:
    """``where`` unless its ``record.json`` says it is not one setting's runs as ``twolayer
    simulate`` records them: a record store's part of an experiment's result (its ``identity``
    names the store entry: a study's phases, an experiment's groups, a linear baseline, whose
    config is at most one setting's), or a record holding another number of runs than its
    config's ``seeds`` (settings assembled into one record: ``meta.groups``), which a reader
    would judge as one setting's runs. A sweep point's record (identity: its config) is read. A
    document that is missing is left to :func:`twolayer.store.load_record`, which names it; a
    damaged or edited one (its content checksum, format, fields' types) is a
    :class:`~twolayer.errors.RecordError` before anything is read of it, and so is a folder
    named by another run's id (:func:`twolayer.record.check_folder_name`)."""
    from .store import check_document, check_record_files

    check_record_files(where)  # a named pipe or a device would block or never end: named
    if not _regular_file(where / DOCUMENT):
        return where  # missing: the loader names it
    doc = read_document(where)  # format and content checksum: an edited config is damage
    check_document(where, doc)
    check_folder_name(where, doc)
    try:
        seeds = int(doc["config"]["seeds"])
        shape = doc["arrays"].get("static/noisy") or doc["arrays"].get("static/a")
        runs = int(shape[0]) if shape else seeds
        meta = doc.get("meta") or {}
        identity = doc.get("identity")
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return where
    if isinstance(identity, dict) and "entry" in identity:
        experiment = meta.get("experiment") or _stored_experiment(where, identity["entry"])
        raise ConfigError(flag, path, "is a record of a record store, part of "
                          + (f"the {experiment} experiment's" if experiment else "an "
                             "experiment's") + " stored result, not a setting's runs as "
                          "twolayer simulate records them (twolayer check PAPER judges the "
                          "stored experiments): give DIR/<run_id> of twolayer simulate --out DIR")
    if runs != seeds:
        groups = meta.get("groups")
        raise ConfigError(flag, path, f"holds {runs} runs but its config says --seeds {seeds}: "
                          + (f"a record of {groups} settings" if groups else "a record")
                          + " that an experiment assembled (a record store's), not one setting's "
                          "runs: give DIR/<run_id> of twolayer simulate --out DIR")
    return where


def _regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (after following a link): not a directory, a named
    pipe or a device, which a reader must not open."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _stored_experiment(where: Path, entry: Any) -> str:
    """The experiment whose store entry ``entry`` is (``<store>/entries/<entry>.json`` beside
    ``<store>/records/<address>``: its key's ``experiment``), or "" where it cannot be read."""
    entry_file = where.parent.parent / "entries" / f"{entry}.json"
    if not _regular_file(entry_file):
        return ""
    try:
        with open(entry_file) as fh:
            return str(json.load(fh)["key"]["experiment"])
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return ""
