"""A plugin file's text shared by the plugin and check tests: one experiment ``{paper}.numbers``
(x = R evenly spaced numbers from ``lo`` to ``lo`` + 1) and one claim ``{paper}.pos.positive``
(their mean is ≥ 0). Fill it with ``NUMBERS_PLUGIN.format(paper=..., lo=...)``. Also a
figure plugin's text with the figure's body left open (``FIGURE``), and the key of a plugin's
experiment as the next command computes it (``key_in_a_new_process``); the end shared by the
plugins edited while a command runs (``EDITED_TAIL``), and a fixture body that forgets what a
test registered (``forgetting``)."""

import contextlib
import sys
from collections.abc import Iterator

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
    from twolayer.experiments import Runs

    forget_loaded_plugin_sources()
    return Runs(quick=True, **kw).key(name)


def forget_loaded_plugin_sources() -> None:
    """Forget the plugins' files as this process imported them (twolayer.sources keeps them),
    as a new process would; twolayer's own stay as `import twolayer` digested them."""
    from twolayer import sources

    for f in [f for f in sources._SEEN if not f.is_relative_to(sources.ROOT)]:
        del sources._SEEN[f]


# the end of a plugin edited while a command runs (after its own ``{paper}.first``, which
# edits a file, and ``LO``): ``{paper}.numbers`` (6 numbers from LO to LO + 1), a claim that
# reads ``{paper}.first`` and one that their mean is >= 0
EDITED_TAIL = '''

@experiment("{paper}.numbers")
def numbers(quick, seeds, runtime):
    x = np.linspace(LO, LO + 1.0, 6)[:, None]
    return Record(config={{"R": 6}}, run_id="numbers", times=np.zeros(1, dtype=np.int64),
                  arrays={{"x": x}})


@claim("{paper}.a.first", "first", "Lemma 0", "[PAPER]")
def first_(runs):
    runs.get("{paper}.first")
    return outcome("inconclusive", None, "-", None, 0, "-")


@claim("{paper}.b.positive", "x >= 0", "Lemma 1", "[PAPER]")
def positive(runs):
    x = runs.get("{paper}.numbers")["x"][:, 0]
    m, ci = stats.mean_ci(x)
    return outcome(stats.compare(ci, 0.0, ">="), m, ">= 0", ci, stats.used(x), "R = 6")
'''


@contextlib.contextmanager
def forgetting(name: str, modules: bool = False) -> Iterator[str]:
    """Yield ``name`` (a test's own paper name); afterwards its claims, experiments, figures
    and conditions, the plugins loaded meanwhile and, with ``modules``, the modules imported
    meanwhile that are its own or a path plugin's are forgotten (worker processes of later
    tests reload every loaded plugin, and one test's cases register the same names from
    different files)."""
    from twolayer import plugins
    from twolayer.claims import CLAIMS
    from twolayer.claims.on_record import READERS
    from twolayer.conditions import CONDITIONS
    from twolayer.experiments import EXPERIMENTS
    from twolayer.plots import FIGURES

    loaded, before = set(plugins._LOADED), set(sys.modules)
    try:
        yield name
    finally:
        for reg in (CLAIMS, EXPERIMENTS, FIGURES):
            for k in [k for k in reg if k.startswith(name + ".") or k.startswith(name + "-")]:
                reg.pop(k)
        CONDITIONS.pop(name, None)  # the premises it registered for `twolayer conditions`
        READERS.pop(name, None)  # its record reader for `twolayer check --record`
        for key in set(plugins._LOADED) - loaded:
            plugins._LOADED.pop(key)
        if modules:
            for mod in [m for m in set(sys.modules) - before
                        if m.startswith(name) or m.startswith("twolayer_plugin_")]:
                sys.modules.pop(mod)


@contextlib.contextmanager
def barak_example(setting_reader: bool) -> Iterator[object]:
    """The examples/barak2022 plugin loaded, with its hinge loss, parity data kind and Theorem 4
    premises (``setting_reader``: also its reader of the setting flags) registered while the
    block runs and removed afterwards. An earlier module may have removed them from a plugin
    that stays loaded (``--plugin`` then imports nothing again), and a later module must not see
    them (tests/test_docs_cli.py renders the CLI reference from the registered data kinds)."""
    from pathlib import Path

    import twolayer.config as config
    from twolayer.api import register_conditions, register_data_kind, register_loss
    from twolayer.conditions import CONDITIONS
    from twolayer.net.model import LOSSES
    from twolayer.plugins import load_path

    folder = Path(__file__).resolve().parents[1] / "examples" / "barak2022"
    mod = load_path(folder).module
    data = sys.modules[f"{mod.__name__}.data"]
    cond = sys.modules[f"{mod.__name__}.conditions"]
    register_loss("hinge", data.HINGE)  # the same objects again: a no-op after a load
    register_data_kind(data.PARITY)
    register_conditions(cond.PAPER, "record", "Barak et al. (2022), Theorem 4", cond.evaluate,
                        from_setting=cond.from_setting if setting_reader else None)
    try:
        yield mod
    finally:
        LOSSES.pop("hinge", None)
        if "hinge" in config._REGISTERED_OBJECTIVES:
            config._REGISTERED_OBJECTIVES.remove("hinge")
        config._DATA_KINDS.pop("parity", None)
        CONDITIONS.pop("barak2022", None)
