"""Named settings of the papers' figures, applied before explicit flags.

Each preset maps config fields (``section__field``) to values, with the source of each value.
``cpu_steps`` caps the number of steps on a CPU when the step count comes from the preset
(the paper's 10^7 full-batch steps take days on 2 cores); the cap is reported to the user.
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigError

PRESETS: dict[str, dict[str, Any]] = {
    # Frei et al. (2023) Figure 1: d = 2 decision boundary (caption values).
    "frei-fig1": {
        "about": "Frei et al. Fig. 1: d=2, sigma2=1/50, 15% i.i.d. flips, n=5000, m=500, "
        "alpha=0.05, init_var=1/(32m), 3000 steps",
        "data__d": 2,
        "data__n": 5000,
        "data__n_test": 6000,
        "data__sigma2": 1 / 50,
        "data__noise": 0.15,
        "data__noise_model": "iid",
        "net__m": 500,
        "net__init_var": 1 / (32 * 500),
        "train__lr": 0.05,
        "train__steps": 3000,
    },
    # Frei et al. Figure 2, left panel (caption and Appendix E).
    "frei-fig2-high-d": {
        "about": "Frei et al. Fig. 2 left: n=300, d=5000, m=400, sigma2=d^-1.2, 15% flips per "
        "cluster, init_var=0.01/(md), alpha=0.1, 10^7 steps",
        "data__d": 5000,
        "data__n": 300,
        "data__n_test": 6000,
        "data__noise": 0.15,
        "data__noise_model": "per-cluster",
        "net__m": 400,
        "train__lr": 0.1,
        "train__steps": 10_000_000,
        "cpu_steps": 10_000,
        "flow_after": 100,
    },
    # Frei et al. Figure 2, right panel.
    "frei-fig2-low-d": {
        "about": "Frei et al. Fig. 2 right: n=5000, d=300, m=400, sigma2=d^-1.2, 15% flips per "
        "cluster, init_var=0.01/(md), alpha=0.1, 10^7 steps",
        "data__d": 300,
        "data__n": 5000,
        "data__n_test": 6000,
        "data__noise": 0.15,
        "data__noise_model": "per-cluster",
        "net__m": 400,
        "train__lr": 0.1,
        "train__steps": 10_000_000,
        "cpu_steps": 10_000,
        "flow_after": 100,
    },
}


def preset(name: str) -> dict[str, Any]:
    """The field overrides of a preset (a copy), or ConfigError naming the valid presets."""
    if name not in PRESETS:
        raise ConfigError("preset", name, "valid presets are " + ", ".join(PRESETS))
    return dict(PRESETS[name])
