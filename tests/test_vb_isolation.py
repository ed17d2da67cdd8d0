"""The suite's isolation (tests/conftest.py): what one test changes in the pytest process does
not reach the next, and no test reads or writes the user's caches or the repository.

The first test of each pair changes the state the way twolayer's own code does in a test (an
in-process sweep group pins the thread variables and torch's threads; a test's plugin is
unregistered after it); the second, run after it (pytest keeps the file's order), finds the
state as it was before. These pairs are order-dependent on purpose: the point is the order.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from twolayer import plugins
from twolayer.sweep.worker import THREAD_ENV, pin_threads

ROOT = Path(__file__).resolve().parents[1]
SEEN: dict[str, object] = {}

PLUGIN = '''
from twolayer.api import Record, experiment


@experiment("vbiso.one")
def one(quick, seeds, runtime):
    raise AssertionError("not run")
'''


def test_pin_threads_in_this_process() -> None:
    SEEN["threads"] = torch.get_num_threads()
    SEEN["env"] = {v: os.environ.get(v) for v in THREAD_ENV}
    pin_threads(1 if SEEN["threads"] != 1 else 2)  # what run_group does in a worker
    assert torch.get_num_threads() != SEEN["threads"]


def test_the_next_test_has_the_threads_and_variables_as_before() -> None:
    if "env" not in SEEN:
        pytest.skip("run after test_pin_threads_in_this_process")
    assert torch.get_num_threads() == SEEN["threads"]
    assert {v: os.environ.get(v) for v in THREAD_ENV} == SEEN["env"]


def test_load_a_plugin_and_unregister_it(tmp_path: Path) -> None:
    from twolayer.experiments import EXPERIMENTS

    f = tmp_path / "vbiso.py"
    f.write_text(PLUGIN)
    plugins.load_path(f)
    SEEN["plugin"] = str(f.resolve())
    assert SEEN["plugin"] in plugins._LOADED
    EXPERIMENTS.pop("vbiso.one")  # as the plugin tests' fixtures do


def test_an_unregistered_plugin_is_not_handed_to_later_prefetch_workers() -> None:
    if "plugin" not in SEEN:
        pytest.skip("run after test_load_a_plugin_and_unregister_it")
    # Runs.prefetch gives its workers every plugin in _LOADED: a dead one, loaded again
    # beside another plugin of the same ids, failed every worker ("registered twice")
    assert SEEN["plugin"] not in plugins._LOADED


def test_caches_are_the_sessions_own() -> None:
    from hypothesis import settings
    from hypothesis.configuration import storage_directory

    from twolayer.plots.phase import cache_dir

    tmp = Path(tempfile.gettempdir()).resolve()
    assert tmp in cache_dir().resolve().parents  # not ~/.cache/twolayer/sweeps
    assert tmp in Path(os.environ["TWOLAYER_STORE"]).resolve().parents
    if settings.default.derandomize:  # (explore keeps its example database: test below)
        hyp = storage_directory("x", intent_to_write=False).path.resolve()
        assert tmp in hyp.parents and ROOT not in hyp.parents  # not .hypothesis/ in the checkout


def test_a_users_limits_and_plugins_variables_do_not_reach_the_tests(tmp_path: Path) -> None:
    """TWOLAYER_NO_LIMITS=1 in the shell that runs `make test` turned the memory checks off, so
    the tests that expect a refusal failed (test_robustness's memory estimate test; the
    simulate sizes were allocated); TWOLAYER_PLUGINS loaded its plugins into every sweep.
    (The whole test failing with them set: ~10 s, so here the conftest's effect alone.)"""
    env = {**os.environ, "TWOLAYER_NO_LIMITS": "1",
           "TWOLAYER_PLUGINS": str(tmp_path / "missing.py")}
    code = ("import os, sys; sys.path[:0] = ['tests', '.']; import conftest; "
            "print([os.environ.get(k) for k in ('TWOLAYER_NO_LIMITS', 'TWOLAYER_PLUGINS')])")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[None, None]"


def test_the_explore_profile_keeps_its_example_database(tmp_path: Path) -> None:
    """(ve) `HYPOTHESIS_PROFILE=explore make test` draws fresh examples to look for
    counterexamples (docs/proofs_check.md); Hypothesis saves a failing one in its example
    database (.hypothesis/examples in the working directory) and replays it first on the next
    run. The conftest put that directory in the session's temporary folder, removed at exit,
    so the next run drew other examples and could pass with the bug still there. The oracle:
    Hypothesis's own default directory, .hypothesis in the working directory. With CI=true
    (set on CI machines: the first CI run of this test failed there) Hypothesis loads its own
    derandomised, database-free "ci" profile at import, which explore inherited."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "explore", "CI": "true"}
    code = ("import sys; sys.path[:0] = [{tests!r}]; import conftest; "
            "from hypothesis.configuration import storage_directory; "
            "print(storage_directory('examples', intent_to_write=False).path.resolve())"
            ).format(tests=str(ROOT / "tests"))
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()) == (tmp_path / ".hypothesis" / "examples").resolve()
