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
