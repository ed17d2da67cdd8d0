"""Shared test settings: hypothesis without deadlines, derandomised by default (`make test` and
CI draw the same examples every time); HYPOTHESIS_PROFILE=explore draws fresh random examples
(50 per test where the test does not fix its own count), to search for counterexamples on
purpose."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

# Tests never read or write the user's record store: commands that store runs by default use a
# fresh temporary one for this test session (each xdist worker its own), removed at its end.
os.environ["TWOLAYER_STORE"] = tempfile.mkdtemp(prefix="twolayer-test-store-")
atexit.register(shutil.rmtree, os.environ["TWOLAYER_STORE"], ignore_errors=True)

settings.register_profile("ci", deadline=None, max_examples=15, derandomize=True, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=50, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(scope="module")
def single_thread():
    """Run tiny-tensor tests on one intra-op thread: on a loaded 2-core machine OpenMP thread
    hand-offs cost far more than the arithmetic. Restores the previous setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
