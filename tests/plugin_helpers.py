"""A plugin file's text shared by the plugin and check tests: one experiment ``{paper}.numbers``
(x = R evenly spaced numbers from ``lo`` to ``lo`` + 1) and one claim ``{paper}.pos.positive``
(their mean is ≥ 0). Fill it with ``NUMBERS_PLUGIN.format(paper=..., lo=...)``. Also a
figure plugin's text with the figure's body left open (``FIGURE``), and the key of a plugin's
experiment as the next command computes it (``key_in_a_new_process``)."""

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


# a plugin figure ``{paper}-fig`` whose body (``{body}``, one line) returns the paths it wrote;
# fill it with ``textwrap.dedent(FIGURE).format(paper=..., body=...)``
FIGURE = '''
from pathlib import Path

from twolayer.api import figure


@figure("{paper}-fig", "{paper}", "a figure", "none")
def draw(out_dir, runs):
    path = Path(out_dir) / "{paper}-fig.png"
    {body}
'''


def key_in_a_new_process(name: str, **kw):  # type: ignore[no-untyped-def]
    """The key the next command computes after a plugin was edited: this process imported
    the plugin before the edit (its Runs.key refuses the edited files), so the files as
    imported are forgotten first."""
    from twolayer import experiments
    from twolayer.experiments import Runs

    experiments._LOADED_SOURCES.clear()
    return Runs(quick=True, **kw).key(name)
