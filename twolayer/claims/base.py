"""Claims as code: a paper statement, where it comes from, and a check that returns a verdict.

A :class:`Claim` names a statement of a paper (id ``<paper>.<source>.<short_name>``), its source
(theorem, lemma, equation, figure), the card's certainty tag ([PAPER], [SECONDARY], [INFERRED],
...), whether it is checked inside the theorem's assumptions (``in_regime``), and a ``check``
function. Checks read records from an :class:`Experiments` cache, so claims that need the same
runs share them: each experiment (a function ``(quick, seeds, runtime) -> Record``, usually
one batched ``simulate`` call) runs at most once per ``twolayer check`` invocation.

A :class:`Verdict` reports what was measured, never a loosened bound: ``holds``, ``fails`` or
``inconclusive`` (e.g. the confidence interval straddles the bound), the measured value, the
predicted bound or trend, a confidence interval over seeds, the number of seeds and the setting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..engine import Runtime
from ..record import Record

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"


@dataclass(frozen=True)
class Verdict:
    id: str
    paper: str
    statement: str
    source: str
    verdict: str  # holds | fails | inconclusive
    measured: float | None
    bound: str
    ci: tuple[float, float] | None
    seeds: int
    setting: str
    in_regime: bool
    tag: str = "[PAPER]"
    detail: str = ""
    figure: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci is not None else None
        for k in ("measured",):
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = None
        return d


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    statement: str
    source: str
    check: Callable[[Experiments], Verdict] = field(repr=False)
    tag: str = "[PAPER]"
    in_regime: bool = True


ExperimentFn = Callable[[bool, int | None, Runtime], Record]


@dataclass
class Experiments:
    """Runs each named experiment once and hands its record to every claim that asks."""

    quick: bool = False
    seeds: int | None = None
    runtime: Runtime = field(default_factory=Runtime)
    _cache: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = EXPERIMENTS[name](self.quick, self.seeds, self.runtime)
        return self._cache[name]


CLAIMS: dict[str, Claim] = {}
EXPERIMENTS: dict[str, ExperimentFn] = {}


def claim(
    id: str, statement: str, source: str, tag: str = "[PAPER]", in_regime: bool = True
) -> Callable[[Callable[[Experiments], Verdict]], Callable[[Experiments], Verdict]]:
    """Decorator registering a check function as a claim."""

    def deco(fn: Callable[[Experiments], Verdict]) -> Callable[[Experiments], Verdict]:
        paper = id.split(".", 1)[0]
        CLAIMS[id] = Claim(id, paper, statement, source, fn, tag, in_regime)
        return fn

    return deco


def experiment(name: str) -> Callable[[ExperimentFn], ExperimentFn]:
    """Decorator registering an experiment (``(quick, seeds, runtime) -> Record`` or any object
    the paper's checks understand, e.g. a dict of records)."""

    def deco(fn: ExperimentFn) -> ExperimentFn:
        EXPERIMENTS[name] = fn
        return fn

    return deco


def verdict(
    c_id: str,
    outcome: str,
    measured: float | None,
    bound: str,
    ci: tuple[float, float] | None,
    seeds: int,
    setting: str,
    detail: str = "",
    figure: str | None = None,
) -> Verdict:
    """Build the verdict of a registered claim (statement, source, tag filled in from it)."""
    c = CLAIMS[c_id]
    return Verdict(
        id=c.id, paper=c.paper, statement=c.statement, source=c.source, verdict=outcome,
        measured=None if measured is None else float(measured), bound=bound,
        ci=None if ci is None else (float(ci[0]), float(ci[1])), seeds=int(seeds),
        setting=setting, in_regime=c.in_regime, tag=c.tag, detail=detail, figure=figure,
    )


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Mean over seeds and its Student-t confidence interval (a point interval for one seed)."""
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), (float("nan"), float("nan"))
    m = float(v.mean())
    if v.size == 1:
        return m, (m, m)
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, (m - half, m + half)


def compare(ci: tuple[float, float], bound: float, direction: str) -> str:
    """holds if the whole CI is on the right side of the bound (``"<="`` or ``">="``), fails if
    it is wholly on the wrong side, inconclusive if it straddles the bound."""
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return INCONCLUSIVE
    if direction == "<=":
        return HOLDS if hi <= bound else FAILS if lo > bound else INCONCLUSIVE
    if direction == ">=":
        return HOLDS if lo >= bound else FAILS if hi < bound else INCONCLUSIVE
    raise ValueError(direction)


def interval_outcome(ci: tuple[float, float], lo: float, hi: float) -> str:
    """holds if the CI lies inside [lo, hi], fails if it lies wholly outside, else inconclusive."""
    a, b = ci
    if not (math.isfinite(a) and math.isfinite(b)):
        return INCONCLUSIVE
    if lo <= a and b <= hi:
        return HOLDS
    if b < lo or a > hi:
        return FAILS
    return INCONCLUSIVE


def combine(*outcomes: str) -> str:
    """fails if any fails, holds if all hold, else inconclusive."""
    if FAILS in outcomes:
        return FAILS
    return HOLDS if all(o == HOLDS for o in outcomes) else INCONCLUSIVE


def claims_for(selection: Iterable[str]) -> list[Claim]:
    """Claims of the given papers or claim ids (``"all"`` or ``"--all"`` for every claim)."""
    sel = list(selection)
    if not sel or "all" in sel:
        return list(CLAIMS.values())
    out = []
    for s in sel:
        hits = [c for c in CLAIMS.values() if c.paper == s or c.id == s or c.id.startswith(s + ".")]
        if not hits:
            from ..errors import ConfigError

            papers = sorted({c.paper for c in CLAIMS.values()})
            raise ConfigError("paper", s, "known papers are " + ", ".join(papers))
        out += [c for c in hits if c not in out]
    return out


def run_checks(
    selection: Iterable[str],
    quick: bool = False,
    seeds: int | None = None,
    runtime: Runtime | None = None,
) -> list[Verdict]:
    """Check the selected claims; experiments are shared between claims of one call."""
    exps = Experiments(quick=quick, seeds=seeds, runtime=runtime or Runtime())
    return [c.check(exps) for c in claims_for(selection)]
