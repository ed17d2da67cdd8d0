"""Barak, Edelman, Goel, Kakade, Malach, Zhang (NeurIPS 2022), "Hidden progress in deep learning:
SGD learns parities near the computational limit", as a twolayer plugin (public API only).

    twolayer check examples/barak2022 --quick
    twolayer figures examples/barak2022 --quick --out /tmp/barak-figures
    twolayer conditions --plugin examples/barak2022 --paper barak2022 --record DIR
    twolayer check examples/barak2022 --record DIR
"""

from . import claims, conditions, data, experiments, figures, probes, record, train  # noqa: F401

# (each registers: claims, premises for twolayer conditions, the data kind, experiments, figures,
# probes, the record reader of twolayer check --record, the training loss)
