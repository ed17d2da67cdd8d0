"""Shared test settings: hypothesis without deadlines, derandomised by default (`make test` and
CI draw the same examples every time); HYPOTHESIS_PROFILE=explore draws fresh random examples
(50 per test where the test does not fix its own count), to search for counterexamples on
purpose."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Tests never read or write the user's record store: commands that store runs by default use a
# fresh temporary one for this test session (each xdist worker its own), removed at its end.
os.environ["TWOLAYER_STORE"] = tempfile.mkdtemp(prefix="twolayer-test-store-")
atexit.register(shutil.rmtree, os.environ["TWOLAYER_STORE"], ignore_errors=True)
# A user's own settings do not reach the tests: TWOLAYER_NO_LIMITS=1 (docs: for a machine whose
# free memory cannot be read) skipped the memory checks that tests expect to refuse settings
# (and the refused sizes were then allocated), TWOLAYER_PLUGINS loaded plugins into every sweep.
for _name in ("TWOLAYER_NO_LIMITS", "TWOLAYER_PLUGINS"):
    os.environ.pop(_name, None)
settings.register_profile("ci", deadline=None, max_examples=15, derandomize=True, print_blob=True)
# explore's parent is Hypothesis's own "default" profile, not the current one: with CI=true in the
# environment (CI machines set it) Hypothesis loads its "ci" profile at import, derandomised and
# with no example database, and a profile registered on top of it inherited both
settings.register_profile("explore", settings.get_profile("default"), deadline=None,
                          max_examples=50, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Nor the figure sweeps' cache (~/.cache/twolayer/sweeps: a phase figure reuses what an earlier
# session left there), nor Hypothesis's directory (.hypothesis/ in the working directory, the
# repository: a fresh clone stays as it was) where it holds only caches: under a derandomised
# profile (the default) Hypothesis saves no examples. A profile that draws fresh examples
# (explore) keeps .hypothesis/ (git-ignored; `make clean` removes it): its example database is
# how the next run replays a counterexample found, which a session's temporary folder lost
# (a rerun drew other examples and could pass with the bug still there).
_SCRATCH = tempfile.mkdtemp(prefix="twolayer-test-")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
os.environ["TWOLAYER_CACHE"] = os.path.join(_SCRATCH, "cache")
if settings.default.derandomize:
    set_hypothesis_home_dir(os.path.join(_SCRATCH, "hypothesis"))


import pytest  # noqa: E402
import torch  # noqa: E402

# In pytest-xdist workers (`make test`: one per core) each worker's intra-op threads are its
# share of the cores. By default every worker took all of them: two workers on the 2-core
# machine ran four OpenMP threads, and each parallel op of small tensors waited at its barrier
# for a descheduled thread (maennel2020's Monte Carlo tests took 49 s in a worker, 21 s at one
# thread). A test of a thread policy sets the count it needs itself; `make test TEST_WORKERS=0`
# runs in one process at torch's default, and a count set in OMP_NUM_THREADS is kept
# (benchmarks/gpu_check.sh gives each of its 8 workers 2 threads).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
if _WORKERS > 1 and not os.environ.get("OMP_NUM_THREADS"):
    torch.set_num_threads(max(1, torch.get_num_threads() // _WORKERS))


@pytest.fixture(scope="module")
def single_thread():
    """Run tiny-tensor tests on one intra-op thread: on a loaded 2-core machine OpenMP thread
    hand-offs cost far more than the arithmetic. Restores the previous setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _process_state():
    """What twolayer may change in the process it runs in and a later test would feel: torch's
    intra-op thread count and the environment variables it sets itself (a test that pins them
    itself, as a worker process does; a quick fixture set one thread and kept it; ``run_group``
    and loading a spec with plugins no longer leave them changed, tests/test_wa_sweep.py), and
    the plugins it has loaded (``twolayer.plugins._LOADED``)."""
    from twolayer import plugins
    from twolayer.sweep.worker import THREAD_ENV

    env = {k: os.environ.get(k) for k in (*THREAD_ENV, plugins.PLUGIN_ENV)}
    return torch.get_num_threads(), env, set(plugins._LOADED)


def _restore(state) -> None:
    from twolayer import plugins

    threads, env, loaded = state
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    # A plugin loaded since, whose registrations the test removed again, is forgotten too:
    # Runs.prefetch hands every loaded plugin to its workers, and two tests' plugins that
    # register the same ids (each removed after its test) made every later prefetch worker
    # fail on "registered twice" (it then trained nothing: test_timing before
    # test_mut_experiments_keys). A plugin whose registrations are still there stays loaded.
    added = set(plugins._LOADED) - loaded
    live = set().union(*plugins._registries().values()) if added else set()
    for key in added:
        p = plugins._LOADED[key]
        if not live & {*p.claims, *p.experiments, *p.figures, *p.probes, *p.data_kinds,
                       *p.conditions}:
            del plugins._LOADED[key]


@pytest.fixture(autouse=True, scope="module")
def _module_leaves_the_process_as_found():
    """After each module (its module-scoped fixtures included), the state of
    :func:`_process_state` as before it: left changed, every later module ran under it (e.g.
    one intra-op thread, where a test of the auto thread policy could no longer tell one
    thread from all of them), so a test's outcome depended on which modules ran before it."""
    state = _process_state()
    yield
    _restore(state)


@pytest.fixture(autouse=True)
def _test_leaves_the_process_as_found():
    """The same after each test, for the tests after it in its module."""
    state = _process_state()
    yield
    _restore(state)


@pytest.fixture
def tune():
    """Set the kernels' tuning knobs for the rest of the test (``net.use_tuning``), e.g.
    ``tune(worker_min_elements=0)``; later calls layer on earlier ones; all undone afterwards."""
    import contextlib

    from twolayer import net

    with contextlib.ExitStack() as stack:
        yield lambda **changes: stack.enter_context(net.use_tuning(**changes))


from devices import DEVICES, HAS_CUDA  # noqa: E402


@pytest.fixture(params=DEVICES)
def device(request):
    """"cpu", and "cuda" where there is a GPU (marked ``cuda``; skipped otherwise)."""
    return request.param


@pytest.fixture(autouse=True)
def _cpu_unless_cuda(request, monkeypatch):
    """A test that does not ask for CUDA (the ``cuda`` mark, e.g. through ``device``) runs as on
    a CPU-only machine even where there is a GPU: ``auto`` means the CPU, ``--device cuda`` is
    refused, and subprocesses see no GPU. A no-op on a machine without one."""
    if HAS_CUDA and request.node.get_closest_marker("cuda") is None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    yield
