"""Population gradient of one neuron at initialisation on Frei's Gaussian 2-XOR clusters.

Setting (Frei, Chatterji & Bartlett 2023, Sections 1–2): x = c + z with c ∈ {+μ1, −μ1, +μ2, −μ2}
(probability 1/4 each), clean labels ỹ = +1 on ±μ1 and −1 on ±μ2, z ~ N(0, σ² I_d),
‖μ1‖ = ‖μ2‖ = 1, ⟨μ1, μ2⟩ = 0; labels flipped i.i.d. with probability η, so E[y | x] = (1 − 2η) ỹ.
Network f(x) = Σ_j a_j φ(⟨w_j, x⟩), φ = relu; logistic loss. At initialisation f ≈ 0, so
−ℓ'(y f) = 1/(1 + e^{y f}) = 1/2, and one full-batch GD step with step α moves neuron j by

    Δw_j = α a_j · (1/n) Σ_i (−ℓ'_i) y_i φ'(⟨w_j, x_i⟩) x_i  →(n → ∞)  α a_j · g(w_j),
    g(w) := E[(1/2) · y · 1[⟨w, x⟩ > 0] · x].

Derivation (done symbolically in :func:`derive`). Write u = w/‖w‖, s = ⟨u, z⟩ ~ N(0, σ²) and
z = s u + z_⊥ with z_⊥ independent of s and E z_⊥ = 0. Then ⟨w, x⟩ > 0 ⟺ s > −⟨u, c⟩ and

    E[1[⟨w, x⟩ > 0] x] = c · ∫_{−b}^{∞} N(s; 0, σ²) ds + u · ∫_{−b}^{∞} s N(s; 0, σ²) ds
                       = c Φ(b/σ) + σ φ(b/σ) u,          b = ⟨u, c⟩,

both one-dimensional Gaussian integrals. Summing over the four clusters with their labels, with
ρ1 = ⟨u, μ1⟩, ρ2 = ⟨u, μ2⟩ and κ_k = ρ_k/σ:

    g(w) = (1 − 2η)/8 · [ erf(κ1/√2) μ1 − erf(κ2/√2) μ2 + 2σ (φ(κ1) − φ(κ2)) u ].

The one-step neuron is w^(1) = w^(0) + α a_j g(w^(0)); its normalised correlations
⟨w^(1)/‖w^(1)‖, μ_k⟩ follow from the Gram matrix of (μ1, μ2, u) and are exposed as the numeric
evaluator :func:`one_step_correlations` (inputs: ⟨w^(0), μ1⟩, ⟨w^(0), μ2⟩, ‖w^(0)‖, σ, α,
a_j = ±1/√m, η). As ω_init → 0 (‖w^(0)‖ → 0) the correlation no longer depends on α, m or η
(:func:`limit_correlations`), and as σ → 0 at fixed ρ it tends to 1/√2 for the own signed mean:
the step moves the neuron equally towards sgn(ρ1) μ1 and away from sgn(ρ2) μ2 (positive neuron).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from .result import CheckResult

SOURCE = "Frei et al. 2023, Lemma 12 (one-step amplification); derivation [INFERRED]"


def _Phi(v: sp.Expr) -> sp.Expr:
    """Standard normal CDF."""
    return (1 + sp.erf(v / sp.sqrt(2))) / 2


def _phi(v: sp.Expr) -> sp.Expr:
    """Standard normal density."""
    return sp.exp(-(v**2) / 2) / sp.sqrt(2 * sp.pi)


@dataclass(frozen=True)
class Derivation:
    """The symbolic results of :func:`derive`.

    half_space_mass / half_space_first_moment: ∫_{−b}^{∞} N(s; 0, σ²) ds and ∫_{−b}^{∞} s N ds as
    sympy integrated them; orthogonal_moment: E[1[b + s > 0] t] for t ⊥ s (must be 0);
    g: (g_μ1, g_μ2, g_u), coefficients of the population step direction g(w) in the spanning
    set (μ1, μ2, u); corr: (⟨w^(1), μ1⟩/‖w^(1)‖, ⟨w^(1), μ2⟩/‖w^(1)‖) as functions of
    (p1, p2, r, σ, α, a, η) with p_k = ⟨w^(0), μ_k⟩, r = ‖w^(0)‖; corr_limit: the same at r = 0
    as functions of (ρ1, ρ2, σ, sgn a); corr_G, corr_limit_G: the same in terms of generic step
    coefficients (G1, G2, Gu) and ρ1, ρ2 (numerically stable; used by the evaluators).
    """

    symbols: dict[str, sp.Symbol]
    half_space_mass: sp.Expr
    half_space_first_moment: sp.Expr
    orthogonal_moment: sp.Expr
    g: tuple[sp.Expr, sp.Expr, sp.Expr]
    corr: tuple[sp.Expr, sp.Expr]
    corr_limit: tuple[sp.Expr, sp.Expr]
    corr_G: tuple[sp.Expr, sp.Expr]
    corr_limit_G: tuple[sp.Expr, sp.Expr]
    checks: tuple[CheckResult, ...]


@lru_cache(maxsize=1)
def derive() -> Derivation:
    """Derive g(w) and the one-step correlations from one-dimensional Gaussian integrals.

    Each simplification is compared with its closed form; the comparisons are returned as
    :class:`CheckResult` objects (``Derivation.checks``), so a wrong step shows up as a failed
    check rather than as a silently wrong formula.
    """
    s, t = sp.symbols("s t", real=True)
    b = sp.Symbol("b", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    rho1, rho2 = sp.symbols("rho1 rho2", real=True)
    eta = sp.Symbol("eta", nonnegative=True)
    p1, p2 = sp.symbols("p1 p2", real=True)
    r = sp.Symbol("r", positive=True)
    alpha = sp.Symbol("alpha", positive=True)
    a = sp.Symbol("a", real=True)
    sgn = sp.Symbol("sgn", real=True)
    checks: list[CheckResult] = []

    dens = lambda v: sp.exp(-(v**2) / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)  # noqa: E731

    # 1-D integrals over the half line {s > −b}: mass and first moment
    mass = sp.simplify(sp.integrate(dens(s), (s, -b, sp.oo)))
    moment = sp.simplify(sp.integrate(s * dens(s), (s, -b, sp.oo)))
    ortho = sp.integrate(dens(s), (s, -b, sp.oo)) * sp.integrate(t * dens(t), (t, -sp.oo, sp.oo))
    for name, got, want, what in (
        ("pop.half_space_mass", mass, _Phi(b / sigma), "∫_{−b}^∞ N(s;0,σ²) ds = Φ(b/σ)"),
        (
            "pop.half_space_moment",
            moment,
            sigma * _phi(b / sigma),
            "∫_{−b}^∞ s N(s;0,σ²) ds = σ φ(b/σ)",
        ),
        ("pop.orthogonal_part", ortho, sp.Integer(0), "E[1[b+s>0] z_⊥] = 0 (z_⊥ independent of s)"),
    ):
        diff = sp.simplify(sp.expand_func(got - want))
        checks.append(
            CheckResult(
                name,
                what,
                diff == 0,
                f"sympy integral = {sp.simplify(got)}; minus the closed form simplifies to {diff}",
                SOURCE,
            )
        )

    # Sum over the four clusters: (sign of the centre, which mean, clean label)
    clusters = ((1, 0, 1), (-1, 0, 1), (1, 1, -1), (-1, 1, -1))
    rho = (rho1, rho2)
    g = [sp.Integer(0)] * 3  # coefficients along (μ1, μ2, u)
    for sign, k, label in clusters:
        bc = sign * rho[k]  # ⟨u, c⟩
        weight = sp.Rational(1, 4) * (1 - 2 * eta) * label * sp.Rational(1, 2)  # P(c)·E[y|c]·(−ℓ')
        g[k] += weight * sign * mass.subs(b, bc)
        g[2] += weight * moment.subs(b, bc)
    g = [sp.simplify(sp.expand_func(v)) for v in g]
    pref = (1 - 2 * eta) / 8
    closed = (
        pref * sp.erf(rho1 / (sp.sqrt(2) * sigma)),
        -pref * sp.erf(rho2 / (sp.sqrt(2) * sigma)),
        pref * 2 * sigma * (_phi(rho1 / sigma) - _phi(rho2 / sigma)),
    )
    diffs = [sp.simplify(gv - cv) for gv, cv in zip(g, closed)]
    # numerics use the closed form (no overflowing exp(κ²/2) factors); it equals the derived g
    # exactly when the check below passes
    derived_g, g = g, list(closed)
    checks.append(
        CheckResult(
            "pop.cluster_sum",
            "g(w) = (1−2η)/8 [erf(κ1/√2) μ1 − erf(κ2/√2) μ2 + 2σ(φ(κ1) − φ(κ2)) u], "
            "κ_k = ⟨u,μ_k⟩/σ",
            all(dv == 0 for dv in diffs),
            f"differences of the (μ1, μ2, u) coefficients to the closed form: {diffs}",
            SOURCE,
        )
    )

    # One step from w0 = r u, with ρ_k = p_k / r. Work with generic step coefficients
    # G = (G1, G2, Gu) along (μ1, μ2, u) and the Gram matrix of (μ1, μ2, u); substitute g last.
    G1, G2, Gu = sp.symbols("G1 G2 Gu", real=True)
    gsub = {G1: g[0], G2: g[1], Gu: g[2]}
    gram = sp.Matrix([[1, 0, rho1], [0, 1, rho2], [rho1, rho2, 1]])
    w1 = sp.Matrix([alpha * a * G1, alpha * a * G2, r + alpha * a * Gu])
    proj = gram * w1  # (⟨w1, μ1⟩, ⟨w1, μ2⟩, ⟨w1, u⟩)
    norm = sp.sqrt(sp.expand((w1.T * gram * w1)[0, 0]))
    sub = {rho1: p1 / r, rho2: p2 / r}
    corr_G = (proj[0] / norm, proj[1] / norm)
    corr = tuple(v.subs(gsub).subs(sub) for v in corr_G)

    # ω_init → 0: w1 = α a g, so the correlation is sgn(a)·⟨g, μ_k⟩/‖g‖ (free of α, m, η)
    gvec = sp.Matrix([G1, G2, Gu])
    gnorm = sp.sqrt(sp.expand((gvec.T * gram * gvec)[0, 0]))
    gproj = gram * gvec
    lim_G = (sgn * gproj[0] / gnorm, sgn * gproj[1] / gnorm)
    lim = tuple(v.subs(gsub) for v in lim_G)
    # the r → 0 limit of the finite-r correlation must agree with it (positive neuron, a > 0)
    apos = sp.Symbol("apos", positive=True)
    at_zero = sp.simplify(corr_G[0].subs(a, apos).subs(r, 0) - lim_G[0].subs(sgn, 1))
    # homogeneous of degree 0 in G, and G = (1 − 2η)/8 · (terms free of η): η drops out (η < 1/2)
    g_over = [sp.simplify(v / pref) for v in derived_g]
    free = not any(v.has(alpha) or v.has(a) for v in lim_G) and not any(
        v.has(eta) for v in g_over
    )
    checks.append(
        CheckResult(
            "pop.small_init_limit",
            "as ‖w^(0)‖ → 0 the one-step correlation tends to sgn(a_j)⟨g, μ⟩/‖g‖ (free of α, m, η)",
            at_zero == 0 and free,
            f"difference at r = 0: {at_zero}; limit free of α, a, η: {free}",
            SOURCE,
        )
    )
    # σ → 0 at fixed ρ1, ρ2 > 0: g/((1−2η)/8) → (1, −1, 0), so the correlation with μ1 → 1/√2
    r1, r2 = sp.symbols("r1 r2", positive=True)
    g_small = [
        sp.simplify(sp.limit(v.subs({rho1: r1, rho2: r2}), sigma, 0, "+"))
        for v in g_over
    ]
    lim_small_sigma = sp.simplify(
        lim_G[0].subs({G1: g_small[0], G2: g_small[1], Gu: g_small[2], sgn: 1})
    )
    checks.append(
        CheckResult(
            "pop.small_sigma_limit",
            "as σ → 0 (ρ fixed), a positive neuron's one-step correlation with sgn(ρ1)μ1 → 1/√2",
            sp.simplify(lim_small_sigma - 1 / sp.sqrt(2)) == 0,
            f"g/((1−2η)/8) → {g_small}; correlation → {lim_small_sigma}",
            SOURCE,
        )
    )
    syms = dict(
        sigma=sigma, rho1=rho1, rho2=rho2, eta=eta, p1=p1, p2=p2, r=r, alpha=alpha, a=a, sgn=sgn,
        G1=G1, G2=G2, Gu=Gu,
    )
    return Derivation(
        syms, mass, moment, ortho, tuple(g), corr, lim, corr_G, lim_G, tuple(checks)
    )


@lru_cache(maxsize=1)
def _numeric():
    der = derive()
    S = der.symbols
    mods = ["scipy", "numpy"]
    G = (S["G1"], S["G2"], S["Gu"])
    g_fn = sp.lambdify((S["rho1"], S["rho2"], S["sigma"], S["eta"]), list(der.g), modules=mods)
    args = (*G, S["rho1"], S["rho2"], S["r"], S["alpha"], S["a"])
    corr_fn = sp.lambdify(args, list(der.corr_G), modules=mods)
    lim_fn = sp.lambdify((*G, S["rho1"], S["rho2"], S["sgn"]), list(der.corr_limit_G), modules=mods)
    return g_fn, corr_fn, lim_fn


def step_coefficients(
    rho1: np.ndarray, rho2: np.ndarray, sigma: float, eta: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(g_μ1, g_μ2, g_u): g(w) = g_μ1 μ1 + g_μ2 μ2 + g_u u for u = w/‖w‖ with ⟨u, μ_k⟩ = ρ_k."""
    g_fn, _, _ = _numeric()
    out = g_fn(np.asarray(rho1, float), np.asarray(rho2, float), float(sigma), float(eta))
    shape = np.broadcast(np.asarray(rho1), np.asarray(rho2)).shape
    return tuple(np.broadcast_to(np.asarray(v, float), shape).copy() for v in out)  # type: ignore[return-value]


def population_direction(
    W: np.ndarray, mu1: np.ndarray, mu2: np.ndarray, sigma: float, eta: float = 0.0
) -> np.ndarray:
    """g(w_j) = E[(1/2) y 1[⟨w_j, x⟩ > 0] x] for each row of W [m, d]: [m, d]."""
    W = np.asarray(W, float)
    norm = np.linalg.norm(W, axis=1, keepdims=True)
    u = W / norm
    g1, g2, gu = step_coefficients(u @ mu1, u @ mu2, sigma, eta)
    return g1[:, None] * mu1[None] + g2[:, None] * mu2[None] + gu[:, None] * u


def expected_update(
    W: np.ndarray,
    a: np.ndarray,
    mu1: np.ndarray,
    mu2: np.ndarray,
    sigma: float,
    alpha: float,
    eta: float = 0.0,
) -> np.ndarray:
    """The n → ∞ one-step GD update at initialisation, Δw_j = α a_j g(w_j): [m, d]."""
    return alpha * np.asarray(a, float)[:, None] * population_direction(W, mu1, mu2, sigma, eta)


def one_step_correlations(
    p1: np.ndarray,
    p2: np.ndarray,
    r: np.ndarray,
    sigma: float,
    alpha: float,
    a: np.ndarray,
    eta: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """n → ∞ prediction of (⟨w^(1)/‖w^(1)‖, μ1⟩, ⟨w^(1)/‖w^(1)‖, μ2⟩) for a neuron with
    p_k = ⟨w^(0), μ_k⟩, r = ‖w^(0)‖ and second-layer weight a = a_j (±1/√m)."""
    _, corr_fn, _ = _numeric()
    r = np.asarray(r, float)
    rho1, rho2 = np.asarray(p1, float) / r, np.asarray(p2, float) / r
    g = step_coefficients(rho1, rho2, sigma, eta)
    c1, c2 = corr_fn(*g, rho1, rho2, r, float(alpha), np.asarray(a, float))
    return np.asarray(c1, float), np.asarray(c2, float)


def limit_correlations(
    rho1: np.ndarray, rho2: np.ndarray, sigma: float, sign_a: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ω_init → 0 and n → ∞ limit of the one-step correlations with (μ1, μ2), from the
    initial direction's ρ_k = ⟨u, μ_k⟩, σ and sgn a_j (independent of α, m and η < 1/2)."""
    _, _, lim_fn = _numeric()
    g = step_coefficients(rho1, rho2, sigma, 0.0)
    c1, c2 = lim_fn(*g, np.asarray(rho1, float), np.asarray(rho2, float), np.asarray(sign_a, float))
    return np.asarray(c1, float), np.asarray(c2, float)


def own_signed_correlation(
    c1: np.ndarray, c2: np.ndarray, p1: np.ndarray, p2: np.ndarray, a: np.ndarray
) -> np.ndarray:
    """Correlation with the neuron's own signed mean: sgn(p1)·c1 for a_j > 0 (J_{±μ1}) and
    sgn(p2)·c2 for a_j < 0 (J_{±μ2}), p_k = ⟨w^(0), μ_k⟩ (the sign split of Lemma 4); NaN for
    a_j = 0 (an odd m's a_m = 0: in no J_μ, no own mean)."""
    a = np.asarray(a)
    return np.where(a > 0, np.sign(p1) * c1, np.where(a < 0, np.sign(p2) * c2, np.nan))


def checks() -> list[CheckResult]:
    """The derivation's own checks (1-D integrals, cluster sum, limits)."""
    return list(derive().checks)
