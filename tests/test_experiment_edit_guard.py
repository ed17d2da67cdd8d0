"""twolayer's own experiment modules edited while a command runs (a source checkout): their
digest is the only part of a key that tells their runs apart (experiments/ is outside the code
fingerprint), so a module edited after import keyed the old code's runs as the new code's and
a later command reused them. Found when a paper module was edited during a `check --all`."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
from pathlib import Path
import twolayer.experiments as X
from twolayer.errors import ExperimentCodeChanged
assert Path(X.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), X.__file__
X.load_all()
runs = X.Runs(quick=True)
before = runs.key("liu2023.xor")["source"]
other = runs.key("frei2023.regime")["source"]
mod = Path(X.__file__).parent / "liu2023.py"
mod.write_text(mod.read_text() + "\\n# edited while the command runs\\n")
try:
    runs.key("liu2023.xor")
except ExperimentCodeChanged as e:
    print("REFUSED", e)
else:
    print("KEYED")
print("OTHER", runs.key("frei2023.regime")["source"] == other)
"""


def test_an_experiment_module_edited_after_import_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "twolayer", tmp_path / "twolayer",
                    ignore=shutil.ignore_patterns("__pycache__"))
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=tmp_path,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("REFUSED experiment 'liu2023.xor' cannot run: "), p.stdout
    assert str((tmp_path / "twolayer" / "experiments" / "liu2023.py").resolve()) in lines[0]
    assert lines[1] == "OTHER True"  # an untouched module's experiments still run
