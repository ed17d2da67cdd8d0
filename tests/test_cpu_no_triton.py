"""A CPU training imports no Triton. The check whether the fused GPU pass is switched on ran
for every block before the check that the block is on a GPU, and it imports triton to find
out: about 50 MB of resident memory (the 'peak working memory' of docs/benchmarks.md doubled,
49.6 to 99.1 MB at n = 1000) and 0.1 s in every CPU training process, for a pass that never
runs there. Oracle: the interpreter's sys.modules in a fresh process."""

from __future__ import annotations

import subprocess
import sys

TRAIN = """
import sys
from twolayer import engine
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.simulate import setup
cfg = Config(data=DataConfig(d=10, n=64), net=NetConfig(m=8), train=TrainConfig(steps=3),
             seeds=2)
cfg, data, params = setup(cfg)
engine.train(params, data, cfg.train, [0, 1, 2, 3], ("errors", "correlations", "segments"),
             engine.Runtime(device="cpu", progress=False))
print("triton" in sys.modules)
"""


def test_a_cpu_training_does_not_import_triton():
    out = subprocess.run([sys.executable, "-c", TRAIN], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_the_simulate_command_on_the_cpu_does_not_import_triton():
    code = ("import sys, twolayer.cli; twolayer.cli.main(['simulate', '--d', '10', '--n', '64', "
            "'--m', '8', '--steps', '3', '--quiet', '--json', '--device', 'cpu']); "
            "print('triton' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "False"
