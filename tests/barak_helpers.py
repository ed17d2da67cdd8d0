"""What the Barak plugin's claim tests share."""

from __future__ import annotations


class FakeRuns:
    """A stand-in for ``twolayer.experiments.Runs``: ``get(name)`` returns a prepared result."""

    def __init__(self, results):
        self.results = results

    def get(self, name):
        return self.results[name]
