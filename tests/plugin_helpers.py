"""A plugin file's text shared by the plugin and check tests: one experiment ``{paper}.numbers``
(x = R evenly spaced numbers from ``lo`` to ``lo`` + 1) and one claim ``{paper}.pos.positive``
(their mean is ≥ 0). Fill it with ``NUMBERS_PLUGIN.format(paper=..., lo=...)``."""

NUMBERS_PLUGIN = '''
import numpy as np
from twolayer.api import HOLDS, Record, claim, experiment, outcome, stats


@experiment("{paper}.numbers")
def numbers(quick, seeds, runtime):
    R = seeds or 4
    x = np.linspace({lo}, {lo} + 1.0, R)[:, None]
    return Record(config={{"R": R}}, run_id="numbers", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": x}})


@claim("{paper}.pos.positive", "x is positive", "Lemma 0", "[PAPER]")
def positive(runs):
    x = runs.get("{paper}.numbers").arrays["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, x.size, "R = %d" % x.size)
'''
