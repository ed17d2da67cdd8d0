"""The benchmark harness behind ``twolayer bench`` and ``make bench``.

- :mod:`.harness`: the measurements (GEMM ceiling, the engine with and without probes, the plain
  loop, memory against n, scaling) and :func:`.harness.run_bench`;
- :mod:`.baseline`: the plain PyTorch loop a researcher would write (nn.Module, autograd,
  torch.optim.SGD, the same measurements), one seed at a time;
- :mod:`.flow`: the gradient-flow integrator against exact GD (cost at long horizons, and an
  agreement study: ``python -m twolayer.bench.flow study|bench``);
- :mod:`.report`: the markdown page (docs/benchmarks.md) from the results.
"""
