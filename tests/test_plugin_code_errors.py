"""A plugin's probe or data kind that returns the wrong thing, or raises, stops the command with
one line naming the probe or the kind's function and the plugin's file:line (exit status 2, no
traceback, no record written), instead of a traceback from inside twolayer or, worse, a record
silently built from it (a probe output without the run axis was stacked as [3, T]; labels 0/1
of a binary kind trained as if they were ±1)."""

from __future__ import annotations

import hashlib

import pytest

from twolayer import config, plugins
from twolayer.cli import main
from twolayer.probes import REGISTRY

PROBE = '''
import torch
from twolayer.api import probe


@probe("{name}")
def p(state):
    R = state.params.W.shape[0]
    {body}
'''

KIND = '''
from dataclasses import dataclass
import torch
from twolayer.api import DataConfig, DataKind, iid_sampler, register_data_kind


@dataclass(frozen=True)
class KConfig(DataConfig):
    kind: str = "{name}"


def setup(cfg, gen, dtype):
    {setup}


def draw(cfg, n, extras, gen, dtype):
    x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
    y = torch.where(x[:, 0] > 0, 1, -1)
    c = (y > 0).long()
    {body}


register_data_kind(DataKind("{name}", KConfig, iid_sampler(setup, draw)))
'''


@pytest.fixture
def name(request):
    """A probe / data kind name of the test's own, unregistered afterwards with the plugins
    the test loaded."""
    loaded = set(plugins._LOADED)
    # hashlib, not hash(): a str's hash() differs in every process (PYTHONHASHSEED), so the
    # name (and its length: 1 to 8 digits) changed from run to run
    own = "pce" + hashlib.sha256(request.node.name.encode()).hexdigest()[:8]
    yield own
    REGISTRY.pop(own, None)
    config._DATA_KINDS.pop(own, None)
    for key in set(plugins._LOADED) - loaded:
        plugins._LOADED.pop(key)


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("body, says", [
    ("return {'bad': torch.zeros(R + 1)}", "returned 'bad' of shape [3], whose first axis is "
                                           "not R = 2"),
    ("return {'bad': torch.tensor(1.0)}", "returned 'bad' of shape [], whose first axis"),
    ("return {'bad': 0.5}", "returned 'bad' as a float"),
    ("return {'bad': torch.zeros(R).numpy()}", "returned 'bad' as a ndarray"),
    ("return torch.zeros(R)", "returned a Tensor"),
    ("return {'a/b': torch.zeros(R)}", "returned the key 'a/b'"),
    ("return {'bad': torch.zeros(R, state.step + 1)}",
     "returned 'bad' of shape [2, 2] after [2, 1] at an earlier probe time"),
])
def test_a_probe_with_wrong_outputs_is_one_line_naming_it(tmp_path, capsys, name, body,
                                                           says) -> None:
    f = tmp_path / "probe.py"
    f.write_text(PROBE.format(name=name, body=body))
    out = tmp_path / "out"
    assert main(["simulate", "--plugin", str(f), "--probes", f"errors,{name}", "--d", "5",
                 "--n", "20", "--n-test", "20", "--m", "4", "--steps", "3", "--seeds", "2",
                 "--out", str(out), "--quiet"]) == 2
    err = _one_line(capsys)
    assert f"probe {name!r} ({f}:{_line_of(f, '@probe(')}) {says}" in err, err
    assert not out.exists()


def test_a_plugin_probe_that_raises_names_the_line_that_raised(tmp_path, capsys, name) -> None:
    f = tmp_path / "probe.py"
    f.write_text(PROBE.format(name=name, body="raise RuntimeError('probe boom')"))
    assert main(["simulate", "--plugin", str(f), "--probes", name, "--d", "5", "--n", "20",
                 "--n-test", "20", "--m", "4", "--steps", "3", "--quiet"]) == 2
    err = _one_line(capsys)
    assert f"probe {name!r} ({f}:{_line_of(f, 'probe boom')}) raised RuntimeError: " \
           "probe boom" in err, err


def test_a_probe_with_wrong_outputs_stops_check_with_exit_2(tmp_path, capsys, name) -> None:
    """In ``twolayer check`` too (before, the record was stored and judged)."""
    f = tmp_path / "paper.py"
    f.write_text(PROBE.format(name=name, body="return {'bad': torch.zeros(R + 1)}") + f'''
from twolayer.api import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig
from twolayer.api import claim, experiment, outcome, simulate


@experiment("{name}.runs")
def runs_(quick, seeds, runtime):
    return simulate(Config(data=DataConfig(d=5, n=10, n_test=10), net=NetConfig(m=4),
                           train=TrainConfig(steps=2),
                           probe=ProbeConfig(probes=("{name}",)), seeds=2), runtime)


@claim("{name}.c.x", "x", "Lemma 0", "[PAPER]")
def x(runs):
    runs.get("{name}.runs")
    return outcome("inconclusive", None, "", None, 0, "")
''')
    from twolayer.claims import CLAIMS
    from twolayer.experiments import EXPERIMENTS

    try:
        store = tmp_path / "store"
        assert main(["check", str(f), "--quick", "--quiet", "--records", str(store)]) == 2
        err = _one_line(capsys)
        assert f"probe {name!r} ({f}:{_line_of(f, '@probe(')}) returned 'bad'" in err, err
    finally:
        CLAIMS.pop(f"{name}.c.x", None)
        EXPERIMENTS.pop(f"{name}.runs", None)


def test_a_probe_with_right_outputs_still_trains(tmp_path, capsys, name) -> None:
    f = tmp_path / "probe.py"
    f.write_text(PROBE.format(name=name, body="return {'ok': state.params.W[:, :, 0]}"))
    assert main(["simulate", "--plugin", str(f), "--probes", name, "--d", "5", "--n", "20",
                 "--n-test", "20", "--m", "4", "--steps", "3", "--seeds", "2", "--quiet"]) == 0


@pytest.mark.parametrize("setup, body, where, says", [
    ("return None", "return x, y, c", "def setup", "its setup ({f}:{line}) returned a NoneType"),
    ("return {}", "return x[:, :-1], y, c", "def draw",
     "its draw ({f}:{line}) returned x of shape [20, 4], not [n, d] = [20, 5]"),
    ("return {}", "return x[:-1], y, c", "def draw",
     "its draw ({f}:{line}) returned x of shape [19, 5]"),
    ("return {}", "return x, (y > 0).long(), c", "def draw",
     "its draw ({f}:{line}) returned the label 0: labels are -1 or +1 (two classes)"),
    ("return {}", "return x, y", "def draw",
     "its draw ({f}:{line}) returned a tuple of 2, not three tensors"),
    ("return {}", "return x, y, c.float()", "def draw",
     "its draw ({f}:{line}) returned cluster ids of dtype torch.float32, not integers"),
    ("return {}", "return x / 0.0, y, c", "def draw",
     "its draw ({f}:{line}) returned x with non-finite values (NaN or inf)"),
    ("return {}", "raise RuntimeError('draw boom')", "draw boom",
     "its draw ({f}:{line}) raised RuntimeError: draw boom"),
])
def test_a_data_kind_with_wrong_draws_is_one_line_naming_it(tmp_path, capsys, name, setup,
                                                            body, where, says) -> None:
    f = tmp_path / "kind.py"
    f.write_text(KIND.format(name=name, setup=setup, body=body))
    out = tmp_path / "out"
    assert main(["simulate", "--plugin", str(f), "--data", name, "--d", "5", "--n", "20",
                 "--n-test", "20", "--m", "4", "--steps", "3", "--seeds", "2",
                 "--out", str(out), "--quiet"]) == 2
    err = _one_line(capsys)
    assert f"data kind {name!r}: " + says.format(f=f, line=_line_of(f, where)) in err, err
    assert not out.exists()


def test_a_streaming_kind_is_checked_and_named_by_its_own_draw(tmp_path, capsys, name) -> None:
    f = tmp_path / "stream.py"
    f.write_text(f'''
from dataclasses import dataclass
import torch
from twolayer.api import DataConfig, register_data_kind, streaming_kind


@dataclass(frozen=True)
class SConfig(DataConfig):
    kind: str = "{name}"


def draw(cfg, n, gen, dtype):
    x = torch.randn(n, cfg.d, generator=gen, dtype=dtype)
    return x, (x[:, 0] > 0).long(), torch.zeros(n, dtype=torch.long)


register_data_kind(streaming_kind("{name}", SConfig, draw))
''')
    assert main(["simulate", "--plugin", str(f), "--data", name, "--d", "5", "--n", "20",
                 "--n-test", "20", "--m", "4", "--steps", "3", "--batch-size", "4",
                 "--quiet"]) == 2
    err = _one_line(capsys)
    assert f"data kind {name!r}: its draw ({f}:{_line_of(f, 'def draw')}) returned the " \
           "label 0" in err, err


def test_a_right_data_kind_still_trains(tmp_path, name) -> None:
    f = tmp_path / "kind.py"
    f.write_text(KIND.format(name=name, setup="return {}", body="return x, y, c"))
    assert main(["simulate", "--plugin", str(f), "--data", name, "--d", "5", "--n", "20",
                 "--n-test", "20", "--m", "4", "--steps", "3", "--seeds", "2",
                 "--quiet"]) == 0
