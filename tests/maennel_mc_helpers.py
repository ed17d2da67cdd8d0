"""The Monte Carlo oracles shared by maennel2020's jackknife studies
(tests/test_maennel_jackknife_mc.py, section 22 of docs/verdict_audit.md;
tests/test_maennel_mc_s42.py, section 25): the textbook misalignment M, rotations, runs with
genuine run-to-run differences, and the record-shaped object the statistics read. Written in
numpy, never by the code under test."""
from __future__ import annotations

import math
import types

import numpy as np
import torch


def misalignment(S: np.ndarray, B: np.ndarray) -> float:
    """M(Σ, B) = Σ_i sqrt((b_iᵀΣb_i)(b_iᵀΣ⁻¹b_i)) − 1 over the columns b_i of B."""
    Si = np.linalg.inv(S)
    return float(sum(math.sqrt((b @ S @ b) * (b @ Si @ b)) - 1.0 for b in B.T))


def givens(t: float, d: int) -> np.ndarray:
    """Rotations by t in the planes (i, d-1-i): the largest and smallest directions mixed."""
    U = np.eye(d)
    for i in range(d // 2):
        j = d - 1 - i
        U[i, i] = U[j, j] = math.cos(t)
        U[i, j], U[j, i] = -math.sin(t), math.sin(t)
    return U


def run_effect_rows(rng: np.random.Generator, R: int, m: int, L: np.ndarray, tau: float
                    ) -> np.ndarray:
    """[R, m, d]: run r's neurons z (I + τ G_r) Lᵀ / c, z i.i.d. N(0, I), G_r a symmetric
    Gaussian matrix, c² = 1 + τ²(d + 1)/2 (E of (I + τG)²'s diagonal): the population of runs
    has covariance exactly L Lᵀ (section 22's second model; τ = 0.05 and 0.15 at d = 30, m = 512
    raise the empirical floor to 3 and 14 times the Gaussian one, as e1_teacher's and
    spread_teacher's records do)."""
    d = L.shape[0]
    c = math.sqrt(1 + tau ** 2 * (d + 1) / 2)
    g = rng.standard_normal((R, d, d))
    g = (g + g.transpose(0, 2, 1)) / 2
    z = np.einsum("rmi,rij->rmj", rng.standard_normal((R, m, d)), np.eye(d) + tau * g) / c
    return z @ L.T


def record(rows: np.ndarray, sigma2: np.ndarray | None = None) -> types.SimpleNamespace:
    """What X.alignment and X.gap_growth read of a record: rows [R, T, m, d] of ΔW and W, and
    Σ_x's eigenvalues in the frame order (``static/sigma2``: its eigenspaces are the groups;
    default geomspace(1, 0.01, d), all distinct)."""
    R, _, m, d = rows.shape
    if sigma2 is None:
        sigma2 = np.geomspace(1.0, 0.01, d)
    s = torch.tensor(rows.sum(2))
    o = torch.tensor(np.einsum("rtmi,rtmj->rtij", rows, rows))
    arrays = {"maennel/dw_sum": s, "maennel/dw_outer": o, "maennel/w_sum": s,
              "maennel/w_outer": o, "static/sigma2": torch.tensor(np.tile(sigma2, (R, 1)))}
    return types.SimpleNamespace(seeds=R, config={"net": {"m": m}}, arrays=arrays)


def haar_bases(d: int) -> np.ndarray:
    """[K, d, d]: the statistic's K fixed Haar bases Q (the probe's own draw, the plan's seed)."""
    from twolayer.experiments import maennel2020 as X
    from twolayer.probes.maennel import random_bases

    return random_bases(d, X.RANDOM_BASES, X.BASES_SEED).numpy()


def xor_sigma2(d: int) -> np.ndarray:
    """The eigenvalues of the plan's XOR data at dimension d, written out: σ² + 1/2 on
    span{μ1, μ2}, σ² = d^-1.2 on the other d − 2 directions (multiplicities 2 and d − 2)."""
    s2 = float(d) ** -1.2
    return np.array([s2 + 0.5] * 2 + [s2] * (d - 2))


def fitted_basis(S: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """The eigenbasis of Σ_x that diagonalises S within each eigenspace of Σ_x (``groups``)."""
    B = np.zeros_like(S)
    for g in groups:
        B[np.ix_(g, g)] = np.linalg.eigh(S[np.ix_(g, g)])[1]
    return B


def q_pop(S: np.ndarray, groups: list[list[int]]) -> float:
    """q of the population: M(Σ, fitted data basis) / mean_Q M(QᵀΣQ, fitted in Q's groups)."""
    den = np.mean([misalignment(Q.T @ S @ Q, fitted_basis(Q.T @ S @ Q, groups))
                   for Q in haar_bases(len(S))])
    return misalignment(S, fitted_basis(S, groups)) / float(den)
