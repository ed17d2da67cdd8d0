"""Shared by the sweep and store tests: an executor that runs each group in this process (the
reference the other executors are compared with)."""

from twolayer.sweep.worker import run_group

# the [base] of the sweep tests' tiny specs (a few seconds per point on a CPU)
TINY_BASE = """
[base]
data.d = 10
data.n = 40
data.n_test = 50
net.m = 8
train.steps = 20
probe.num_times = 5
"""


class InProcess:
    """An executor running each group in this process (the reference for the others)."""

    name = "inprocess"
    writes_store = False

    def run(self, tasks, baselines=True):
        for i, t in enumerate(tasks):
            yield i, run_group(t, "cpu", 1, baselines)


# two groups of two points (data.noise 0.0 and 0.2), so an executor can stop between them
TWO_GROUPS_SPEC = ("seeds = 2\n" + TINY_BASE + "[run]\ngroup_runs = 2\n[axes]\n"
                   "data.noise = [0.0, 0.2]\n")


class StoppingExecutor(InProcess):
    """InProcess with the executor interface the command closes; ``stop`` raises ``interrupt``
    (an exception instance) before the group of that index is yielded (0: before any)."""

    def __init__(self, stop: int | None = None, interrupt: BaseException | None = None):
        self.stop, self.interrupt = stop, interrupt

    def run(self, tasks, baselines=True):
        for i, outcomes in super().run(tasks, baselines):
            if i == self.stop:
                raise self.interrupt
            yield i, outcomes

    def close(self) -> None:
        pass


def stub_sbatch(tmp_path, monkeypatch) -> None:
    """``sbatch`` and ``srun`` on PATH (that fail if called): `--executor slurm --dry-run`
    refuses to pass where the real run could not submit, so a dry run that should pass needs
    them (submitit's SLURM executor needs srun too)."""
    import os

    folder = tmp_path / "stub-bin"
    folder.mkdir(exist_ok=True)
    for tool in ("sbatch", "srun"):
        (folder / tool).write_text("#!/bin/sh\nexit 1\n")
        (folder / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
