"""Shared by the sweep and store tests: an executor that runs each group in this process (the
reference the other executors are compared with)."""

from twolayer.sweep.worker import run_group


class InProcess:
    """An executor running each group in this process (the reference for the others)."""

    name = "inprocess"
    writes_store = False

    def run(self, tasks, baselines=True):
        for i, t in enumerate(tasks):
            yield i, run_group(t, "cpu", 1, baselines)
