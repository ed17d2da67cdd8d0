"""Barak, Edelman, Goel, Kakade, Malach, Zhang (NeurIPS 2022), "Hidden progress in deep learning:
SGD learns parities near the computational limit", as a twolayer plugin (public API only).

    twolayer check examples/barak2022 --quick
    twolayer figures examples/barak2022 --quick --out /tmp/barak-figures
"""

from . import claims, data, experiments, figures, probes, train  # noqa: F401  (they register)
