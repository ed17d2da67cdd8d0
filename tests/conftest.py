"""Shared test settings: a hypothesis profile without deadlines, derandomised in CI."""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None, max_examples=15)
settings.register_profile("ci", deadline=None, max_examples=15, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
