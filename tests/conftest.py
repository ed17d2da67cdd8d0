"""Shared test settings: a hypothesis profile without deadlines, derandomised in CI."""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None, max_examples=15)
settings.register_profile("ci", deadline=None, max_examples=15, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
