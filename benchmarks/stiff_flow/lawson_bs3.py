"""Prototype (not in the package): the gradient flow of Frei et al.'s Fig. 2 n ≫ d setting with
the Lawson (integrating-factor) form of Bogacki–Shampine 3(2) around a frozen low-rank linear
part, against plain BS3 (docs/integrators.md, "Removing those directions' stiffness pays
little").

    python benchmarks/stiff_flow/lawson_bs3.py N D M K [THREADS] [REFRESH] [RTOL]
    (e.g. 1000 60 100 8 2 25; K = 0 is plain BS3)

One seed, float32: exact GD to step 100, then the flow to 10^7 steps at RTOL (10^-3) with the
package's controller, stopping at the package's 30 log-spaced probe times. With K > 0 the
linear part is L = −V diag(μ) Vᵀ, the K largest eigenpairs of α·∇²L̂ (W only) from subspace
iteration on finite-difference products of the closed-form gradient (four block iterations
from a random start, then one warm-started iteration every REFRESH accepted steps; each block
iteration costs K gradient evaluations, counted). With E(τ) = e^{τL} (cheap: rank K) and
N(θ) = F(θ) − Lθ, one step is

    Y2 = E(h/2)(θ + h/2 N1),  Y3 = E(3h/4) θ + 3h/4 E(h/4) N2,
    θ' = E(h) θ + h (2/9 E(h) N1 + 1/3 E(h/2) N2 + 4/9 E(h/4) N3),
    e  = h (−5/72 E(h) N1 + 1/12 E(h/2) N2 + 1/9 E(h/4) N3 − 1/8 N4),

exact on the linear part (stable for any h there) and BS3 on the rest. Prints the gradient
evaluations, accepted and rejected steps, the largest step and the train and test errors at
the last probe times.
"""

from __future__ import annotations

import math
import sys
import time

import torch

from twolayer import net
from twolayer.config import Config, TrainConfig
from twolayer.engine import Runtime, probe_times, train
from twolayer.simulate import setup
from twolayer.training import flow

STEPS, SWITCH = 10_000_000, 100


def main(argv: list[str]) -> None:
    n, d, m, K = (int(v) for v in argv[:4])
    torch.set_num_threads(int(argv[4]) if len(argv) > 4 else 2)
    refresh_every = int(argv[5]) if len(argv) > 5 else 25
    rtol = float(argv[6]) if len(argv) > 6 else 1e-3
    cfg, data, params = setup(Config().replace(
        data__n=n, data__d=d, net__m=m, data__n_test=2000, data__noise=0.15,
        data__noise_model="per-cluster", data__sigma2=d ** -1.2, net__init_var=0.01 / (m * d),
        train__lr=0.1, train__steps=STEPS, seeds=1))
    rt = Runtime(device="cpu", progress=False)
    p = train(params, data, TrainConfig(lr=0.1, steps=SWITCH), [SWITCH], (), rt).params
    stops = [t for t in probe_times(STEPS, 30, 10) if t > SWITCH]
    field = flow.Field(p, data.x, data.y, cfg.train,
                       net.device_budget(torch.device("cpu"), None), None)
    shape = p.W.shape

    def F(theta: torch.Tensor) -> torch.Tensor:  # flat θ → flat f(θ) = −α∇L̂(θ)
        k, _ = field({"W": theta.view(shape)})
        return k["W"].reshape(-1).clone()

    th = p.W.reshape(-1).clone()
    P = th.numel()
    V, mu = torch.zeros(P, 0), torch.zeros(0)

    def E(tau: float, v: torch.Tensor) -> torch.Tensor:
        return v if V.shape[1] == 0 else v + V @ ((torch.exp(-tau * mu) - 1) * (V.T @ v))

    def Lx(v: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(v) if V.shape[1] == 0 else -(V @ (mu * (V.T @ v)))

    def products(theta: torch.Tensor, f0: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
        eps = 1e-3 * theta.norm()
        return torch.stack([-(F(theta + eps * Q[:, i]) - f0) / eps for i in range(K)], 1)

    def refresh(theta: torch.Tensor, f0: torch.Tensor, iters: int) -> int:
        nonlocal V, mu
        Q = V if V.shape[1] == K else torch.randn(P, K, generator=torch.Generator().manual_seed(7))
        Q, _ = torch.linalg.qr(Q)
        for _ in range(iters):
            Q, _ = torch.linalg.qr(products(theta, f0, Q))
        AQ = products(theta, f0, Q)
        w, U = torch.linalg.eigh((Q.T @ AQ + AQ.T @ Q) / 2)  # Rayleigh–Ritz
        V, mu = Q @ U, w.clamp(min=0)
        return (iters + 1) * K

    evals, t, h_prop = 0, float(SWITCH), 1.0
    F1 = F(th)
    evals += 1
    acc = rej = 0
    since, h_max = 10**9, 0.0
    out = []
    start = time.perf_counter()
    for stop in stops:
        while t < stop:
            if K and since >= refresh_every:
                evals += refresh(th, F1, 1 if V.shape[1] else 4)
                since = 0
            h = min(h_prop, stop - t)
            clipped = h < h_prop
            N1 = F1 - Lx(th)
            Y2 = E(h / 2, th + h / 2 * N1)
            N2 = F(Y2) - Lx(Y2)
            Y3 = E(0.75 * h, th) + 0.75 * h * E(h / 4, N2)
            N3 = F(Y3) - Lx(Y3)
            new = E(h, th) + h * (2 / 9 * E(h, N1) + 1 / 3 * E(h / 2, N2) + 4 / 9 * E(h / 4, N3))
            F4 = F(new)
            N4 = F4 - Lx(new)
            evals += 3
            e = h * (-5 / 72 * E(h, N1) + 1 / 12 * E(h / 2, N2) + 1 / 9 * E(h / 4, N3)
                     - 1 / 8 * N4)
            err = float(e.double().norm() / (rtol * max(th.double().norm(),
                                                        new.double().norm())))
            err = err if math.isfinite(err) else math.inf
            if err <= 1 or h <= flow.H_MIN:
                th, F1 = new, F4
                t = float(stop) if h == stop - t else t + h
                acc, since, h_max = acc + 1, since + 1, max(h_max, h)
                fac = 5.0 if err == 0 else 0.9 * err ** (-1 / 3)
                h_next = h * min(5.0, max(0.2, fac))
                h_prop = max(h_prop, h_next) if clipped else h_next
            else:
                rej += 1
                fac = 0.2 if not math.isfinite(err) else 0.9 * err ** (-1 / 3)
                h_prop = max(h * min(1.0, max(0.2, fac)), flow.H_MIN)
        q = p.__class__(W=th.view(shape), a=p.a, b=p.b, train_a=p.train_a)
        with torch.no_grad():
            f_train = net.forward(q, data.x)[..., 0]
            f_test = net.forward(q, data.x_test)[..., 0]
        train_err = float((torch.where(f_train > 0, 1.0, -1.0) != data.y).float().mean())
        test_err = float((torch.where(f_test > 0, 1.0, -1.0) != data.y_test).float().mean())
        out.append((stop, train_err, test_err))
    print(f"K={K} n={n} d={d} m={m}: {evals} gradient evaluations, {acc} accepted and {rej} "
          f"rejected steps, h_max {h_max:.0f}, {time.perf_counter() - start:.1f} s")
    for s, tr, te in out[-12:]:
        print(f"  t={s:>9d} train error {tr:.4f} test error {te:.4f}")
    if K:
        print("  final mu:", " ".join(f"{v:.2e}" for v in mu.flip(0)))


if __name__ == "__main__":
    main(sys.argv[1:])
