"""The calibration study of B1's floor rule (docs/verdict_audit.md, section 27): q =
(M_data − F_data)/(M_rand − F_rand) gets no interval where M_rand − F_rand < F_rand
(``twolayer.stats.floor_dominated``). Section 25's generator, over more spectra of Σ_w.

A record: R runs of m neurons, run r's rows z (I + τ G_r) Lᵀ / c (``run_effect_rows``: the
population of runs has covariance exactly Σ = L Lᵀ), Σ = U(t) Λ U(t)ᵀ with U(t) = exp(tA) for a
fixed antisymmetric A and t bisected so that the population q, M(Σ, I)/mean_Q M(Σ, Q) over the
statistic's 16 Haar bases Q, is ``q_pop`` (M by its textbook formula in numpy, never by the code
under test). Σ_x's eigenvalues are distinct (geomspace(1, 0.01, d)) or XOR's (σ² + 1/2 twice,
σ² on the rest: each Haar basis and the data basis fitted within the eigenspaces).

Each record is fed to the real ``experiments.maennel2020.alignment`` and the claims'
``excess_loo``; what is kept per record: q, the plain jackknife interval, the jackknife's bias
estimate b, M_rand and F_rand. The verdicts with and without the rule (and at other cut-offs)
are computed from these, so a cut-off can be re-judged without drawing again.

Run as a script (seeded: the same cells give the same numbers)::

    PYTHONPATH=. python tests/maennel_floor_study.py --R 3 --records 300 --out /tmp/r3.npz
    PYTHONPATH=. python tests/maennel_floor_study.py --table /tmp/r3.npz

Written for the study; its slow tests are in tests/test_maennel_floor_calibration.py."""
from __future__ import annotations

import argparse
import math
import sys
import zlib
from pathlib import Path

import numpy as np
from scipy.linalg import expm
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from maennel_mc_helpers import q_pop, xor_sigma2  # noqa: E402
from maennel_mc_helpers import record as _record  # noqa: E402
from maennel_mc_helpers import run_effect_rows as _run_effect_rows  # noqa: E402

D, M_NEURONS = 30, 512
HOLDS_AT, FAILS_AT = 0.1, 0.5  # B1's cut-offs on q (claims.maennel2020.Q_HOLDS / Q_FAILS)


def spectra(d: int = D) -> dict[str, np.ndarray]:
    """Λ, the eigenvalues of Σ_w (descending), of the study's spectra."""
    return {
        "strong": np.geomspace(1.0, 0.05, d),  # geometric 1 ... 0.05 (sections 22, 25)
        "medium": np.geomspace(1.0, 0.2, d),  # geometric 1 ... 0.2
        "weak": np.geomspace(1.0, 0.5, d),  # geometric 1 ... 0.5 (section 25)
        "flat": np.geomspace(1.0, 0.8, d),  # near-flat: geometric 1 ... 0.8
        "spike": np.array([1.0] + [0.3] * (d - 1)),  # one strong direction, a flat tail
    }


def sigma_at(q: float, lam: np.ndarray, xor: bool = False) -> np.ndarray:
    """Σ = U(t) diag(lam) U(t)ᵀ with t bisected so that :func:`q_pop` is ``q``."""
    d = lam.size
    groups = [[0, 1], list(range(2, d))] if xor else [[i] for i in range(d)]
    A = np.random.default_rng(5).standard_normal((d, d))
    A = (A - A.T) / 2
    A /= np.linalg.norm(A)

    def sig(t: float) -> np.ndarray:
        U = expm(t * A)
        return U @ np.diag(lam) @ U.T

    t = brentq(lambda t: q_pop(sig(t), groups) - q, 1e-6, 6.0, xtol=1e-13)
    return sig(t)


def draw(q: float, lam: np.ndarray, R: int, tau: float, records: int, seed: int,
         xor: bool = False, m: int = M_NEURONS) -> np.ndarray:
    """[records, 6]: q, plain lo, plain hi, bias b, M_rand, F_rand of each drawn record (the
    real ``alignment`` and ``excess_loo``; b NaN where the jackknife has no values)."""
    out = np.full((records, 6), np.nan)
    for k, rec in enumerate(drawn(q, lam, R, tau, records, seed, xor, m)):
        out[k] = row_of(rec)
    return out


def drawn(q: float, lam: np.ndarray, R: int, tau: float, records: int, seed: int,
          xor: bool = False, m: int = M_NEURONS):
    """The records :func:`draw` reads, one at a time (record-shaped objects)."""
    d = lam.size
    L = np.linalg.cholesky(sigma_at(q, lam, xor))
    sigma2 = xor_sigma2(d) if xor else np.geomspace(1.0, 0.01, d)
    rng = np.random.default_rng(seed)
    for _ in range(records):
        yield _record(_run_effect_rows(rng, R, m, L, tau)[:, None], sigma2)


def row_of(rec) -> np.ndarray:  # noqa: ANN001
    """[6]: q, plain lo, plain hi, the jackknife's bias estimate b = (R − 1)(mean of the
    leave-one-out q − q) (from the claims' ``excess_loo``; NaN where the plain interval is not
    finite, R < 3 or a leave-one-out q is lost), M_rand, F_rand of one record."""
    from twolayer.claims.maennel2020 import excess_loo
    from twolayer.experiments import maennel2020 as X

    a = X.alignment(rec)
    lo, hi = a.excess_ci
    b = math.nan
    if math.isfinite(lo) and math.isfinite(hi) and rec.seeds >= 3:
        loo = excess_loo(rec)
        if np.isfinite(loo).all():
            b = (rec.seeds - 1) * (float(loo.mean()) - a.excess)
    return np.array([a.excess, lo, hi, b, a.m_rand, a.floor_rand])


def intervals(rows: np.ndarray, cut: float | None) -> np.ndarray:
    """[n, 2]: the claims' interval of q per record: the plain one widened to reach q − b, NaN
    where b is NaN with a finite plain interval and ≥ 3 runs (lost leave-one-out values) and,
    with the rule (``cut`` not None), where M_rand − F_rand < cut · F_rand."""
    q, lo, hi, b, mr, fr = rows.T
    lo2 = np.where(b > 0, lo - b, lo)
    hi2 = np.where(b < 0, hi - b, hi)
    iv = np.stack([lo2, hi2], 1)
    iv[~np.isfinite(b)] = np.nan
    if cut is not None:
        dominated = ~(mr - fr >= cut * fr)
        iv[dominated] = np.nan
    return iv


def verdicts(iv: np.ndarray) -> np.ndarray:
    """B1's outcome per interval: +1 holds (≤ 0.1), −1 fails (≥ 0.5), 0 inconclusive
    (``claims.maennel2020.excess_outcome``; the teacher control is its mirror)."""
    lo, hi = iv.T
    ok = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    return np.where(ok & (hi <= HOLDS_AT), 1, np.where(ok & (lo >= FAILS_AT), -1, 0))


def ratio(rows: np.ndarray) -> np.ndarray:
    """(M_rand − F_rand)/F_rand per record: the rule withholds below 1."""
    return (rows[:, 4] - rows[:, 5]) / rows[:, 5]


def cell_seed(*key: object) -> int:
    return zlib.crc32(repr(key).encode()) & 0x7FFFFFFF


def run(Rs: list[int], taus: list[float], qs: list[float], names: list[str], records: int,
        out: Path, xor: bool = False, chunk: int = 50) -> None:
    import torch

    torch.set_num_threads(1)
    sp = spectra()
    res = dict(np.load(out)) if out.exists() else {}
    for R in Rs:
        for name in names:
            for tau in taus:
                for q in qs:
                    key = f"{'xor|' if xor else ''}{name}|{tau:g}|{R}|{q:g}"
                    while (n0 := len(res.get(key, ()))) < records:
                        # chunks of at most `chunk` records, each seeded by its cell and
                        # its first record: a rerun continues where a stopped one left off
                        rows = draw(q, sp[name], R, tau, min(chunk, records - n0),
                                    cell_seed(key, n0), xor=xor)
                        res[key] = rows if key not in res else np.concatenate([res[key], rows])
                        np.savez(out, **res)
                    print(key, summary(res[key], q), flush=True)


def summary(rows: np.ndarray, q: float) -> str:
    n = len(rows)
    r = ratio(rows)
    parts = [f"n={n}", f"ratio median {np.median(r):.3g}", f"dominated {np.mean(r < 1):.3f}"]
    for cut in (None, 1.0):
        v = verdicts(intervals(rows, cut))
        h, f = np.mean(v == 1), np.mean(v == -1)
        parts.append(f"cut {cut}: holds {h:.3f} ({math.sqrt(h * (1 - h) / n):.3f}) "
                     f"fails {f:.3f} ({math.sqrt(f * (1 - f) / n):.3f})")
    return "; ".join(parts)


def _rate(x: np.ndarray) -> str:
    p = float(np.mean(x))
    return f"{p:.3f} ({math.sqrt(p * (1 - p) / x.size):.3f})"


def table_row(key: str, rows: np.ndarray) -> str:
    """One markdown row of section 27's table: the cell (spectrum, τ, R, true q), records,
    median (M_rand − F_rand)/F_rand, the share the rule withholds, mean q̂, how often B1 holds
    and how often it fails, each without → with the rule (the teacher control holds where B1
    fails and fails where B1 holds), and the rule's cost: the share withheld whose interval
    without the rule would have given the right verdict (at a true q below 0.1: holds; above
    0.5: fails; on a bound no verdict is right, so: covered the true q)."""
    parts = key.split("|")
    xor = parts[0] == "xor"
    name, tau, R, q = parts[1:] if xor else parts
    q = float(q)
    iv = intervals(rows, None)
    v0, v1 = verdicts(iv), verdicts(intervals(rows, 1.0))
    withheld = ~(rows[:, 4] - rows[:, 5] >= rows[:, 5])
    if q < HOLDS_AT:
        right = v0 == 1
    elif q > FAILS_AT:
        right = v0 == -1
    else:
        right = (iv[:, 0] <= q) & (q <= iv[:, 1])
    return (f"| {name}{' (XOR)' if xor else ''} | {tau} | {R} | {q:g} | {len(rows)} | "
            f"{np.median(ratio(rows)):.3g} | {np.mean(withheld):.2f} | "
            f"{np.nanmean(rows[:, 0]):.3g} | {_rate(v0 == 1)} → {_rate(v1 == 1)} | "
            f"{_rate(v0 == -1)} → {_rate(v1 == -1)} | {_rate(withheld & right)} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--R", type=int, nargs="+", default=[3])
    p.add_argument("--tau", type=float, nargs="+", default=[0.0, 0.05, 0.15])
    p.add_argument("--q", type=float, nargs="+", default=[0.1, 0.5])
    p.add_argument("--spectra", nargs="+", default=None)
    p.add_argument("--records", type=int, default=300)
    p.add_argument("--xor", action="store_true")
    p.add_argument("--out", type=Path)
    p.add_argument("--table", type=Path, nargs="*")
    a = p.parse_args()
    if a.table:
        for f in a.table:
            for key, rows in sorted(np.load(f).items()):
                print(table_row(key, rows))
        return
    names = a.spectra or list(spectra())
    run(a.R, a.tau, a.q, names, a.records, a.out, a.xor)


if __name__ == "__main__":
    main()
