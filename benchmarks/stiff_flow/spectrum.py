"""The largest Hessian eigenvalues along the late gradient flow of Frei et al.'s Fig. 2 n ≫ d
setting (docs/integrators.md, "The stiffness lives in about five directions").

    python benchmarks/stiff_flow/spectrum.py N D M T1,T2,...     (e.g. 1000 60 100 3e5,1e6,3e6)

Trains one seed in float64 with ``auto`` (exact GD to step 100, then the flow at rtol 10^-3) to
each time T, and there computes the 24 largest eigenvalues of α·∇²L̂ with respect to W by
Lanczos (scipy ``eigsh``) on exact autograd Hessian–vector products of a plain forward pass
(logistic loss, fixed second layer, no bias: the preset's network). Prints the loss, the number
of points with margin below 0.5, the flow's statistics so far, the eigenvalues and the step
sizes BS3 could take stably (2.51/(α·λ_i)). Minutes on 2 cores at the example size.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh

from twolayer.config import Config, TrainConfig
from twolayer.engine import Runtime, train
from twolayer.training.api import train_flow

ALPHA = 0.1


def main(argv: list[str]) -> None:
    n, d, m = (int(v) for v in argv[:3])
    stops = [int(float(v)) for v in argv[3].split(",")]
    from twolayer.simulate import setup

    cfg, data, params = setup(Config().replace(
        data__n=n, data__d=d, net__m=m, data__n_test=1000, data__noise=0.15,
        data__noise_model="per-cluster", data__sigma2=d ** -1.2, net__init_var=0.01 / (m * d),
        train__lr=ALPHA, seeds=1, dtype="float64"))
    rt = Runtime(device="cpu", progress=False)
    x, y, a = data.x[0], data.y[0], params.a[0, :, 0]
    p, t0 = params, 0
    for t in stops:
        start = time.perf_counter()
        if t0 == 0:
            tc = TrainConfig(lr=ALPHA, steps=t, integrator="auto", switch=100, rtol=1e-3)
            res = train(p, data, tc, [t], (), rt)
        else:
            tc = TrainConfig(lr=ALPHA, steps=t, integrator="flow", rtol=1e-3)
            res = train_flow(p, data, tc, [t], (), rt, t0=t0)
        p, t0 = res.params, t
        W = p.W[0].clone().requires_grad_(True)

        def loss(w: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.softplus(-y * (torch.relu(x @ w.T) @ a)).mean()

        (g,) = torch.autograd.grad(loss(W), W, create_graph=True)

        def hvp(v: np.ndarray, g: torch.Tensor = g, W: torch.Tensor = W) -> np.ndarray:
            vt = torch.from_numpy(np.asarray(v, dtype=np.float64).reshape(m, d))
            (hv,) = torch.autograd.grad(g, W, vt, retain_graph=True)
            return ALPHA * hv.reshape(-1).numpy()

        op = LinearOperator((m * d, m * d), matvec=hvp, dtype=np.float64)
        vals = np.sort(eigsh(op, k=24, which="LA", tol=1e-6, return_eigenvectors=False))[::-1]
        st = res.meta["integrator"]
        with torch.no_grad():
            margin = y * (torch.relu(x @ p.W[0].T) @ a)
        print(f"t={t:.0e} loss={float(loss(p.W[0])):.3f} "
              f"margin<0.5: {int((margin.abs() < 0.5).sum())} points, "
              f"flow so far: {st['grad_evals']} evaluations, h_max {st['h_max']:.0f} "
              f"({time.perf_counter() - start:.0f} s)")
        print("  alpha*lambda, largest 24:", " ".join(f"{v:.2e}" for v in vals))
        print("  BS3's stable step by lambda_1, _5, _9, _17:",
              [round(2.51 / vals[i]) for i in (0, 4, 8, 16)])


if __name__ == "__main__":
    main(sys.argv[1:])
