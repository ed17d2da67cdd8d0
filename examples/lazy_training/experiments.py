"""The experiments: one batch of seeds per width, NTK init and the default small init."""
from twolayer.api import (
    Config,
    DataConfig,
    NetConfig,
    ProbeConfig,
    TrainConfig,
    experiment,
    simulate,
)

from . import probes  # noqa: F401  (registers lazy_move)

WIDTHS = (64, 256, 1024)
D, N = 20, 200


def _width_grid(quick, seeds, runtime, init_var):
    R = seeds or (3 if quick else 8)
    out = {}
    for m in WIDTHS:
        cfg = Config(data=DataConfig(kind="xor", d=D, n=N, n_test=200, noise=0.0),
                     net=NetConfig(m=m, init_var=init_var(m)),
                     train=TrainConfig(lr=0.2, steps=50 if quick else 400),
                     probe=ProbeConfig(probes=("errors", "lazy_move")), seeds=R)
        out[f"m={m}"] = simulate(cfg, runtime)
    return out


@experiment("lazy.ntk")
def ntk(quick, seeds, runtime):
    """W ~ N(0, 1/d) entrywise, a = +-1/sqrt(m) fixed: the NTK-like scaling."""
    return _width_grid(quick, seeds, runtime, lambda m: 1.0 / D)


@experiment("lazy.small_init")
def small_init(quick, seeds, runtime):
    """The default small init 0.01/(m d) (Frei et al.'s), same readout: outside the lazy regime."""
    return _width_grid(quick, seeds, runtime, lambda m: None)
