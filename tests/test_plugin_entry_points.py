"""Installed plugins (entry points of the group ``twolayer.plugins``): loaded by simulate before
its parser is built, as by check and figures, so that a loss or data kind an installed package
registers is a valid --objective / --data; a broken one stops with one line naming it."""

from __future__ import annotations

import importlib.metadata

import pytest

import twolayer.config as config
from twolayer import plugins
from twolayer.cli import main
from twolayer.net.model import LOSSES

GOOD = '''
from twolayer.net.model import loss_of, register_loss

register_loss("eptest_logistic", loss_of("logistic"), replace=True)
'''


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """A fake installed plugin: a module on sys.path and an entry point naming it."""
    monkeypatch.setattr(plugins, "_LOADED", {})
    monkeypatch.setattr(config, "_REGISTERED_OBJECTIVES", list(config._REGISTERED_OBJECTIVES))
    monkeypatch.setitem(LOSSES, "eptest_logistic", None)  # removed again after the test
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(source: str, module: str):
        (tmp_path / f"{module}.py").write_text(source)
        ep = importlib.metadata.EntryPoint(name=module, value=module, group="twolayer.plugins")
        monkeypatch.setattr(importlib.metadata, "entry_points",
                            lambda group=None: [ep] if group == "twolayer.plugins" else [])

    return install


def test_simulate_sees_a_loss_an_installed_plugin_registers(installed, capsys):
    installed(GOOD, "eptest_good")
    args = ["simulate", "--d", "4", "--n", "20", "--n-test", "10", "--m", "4", "--steps", "2",
            "--device", "cpu", "--quiet", "--objective", "eptest_logistic"]
    assert main(args) == 0


def test_a_broken_installed_plugin_is_one_line_naming_it(installed, capsys):
    installed("raise RuntimeError('boom')\n", "eptest_broken")
    assert main(["simulate", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "entry point eptest_broken = eptest_broken" in err
    assert "RuntimeError: boom" in err


@pytest.mark.parametrize("command", [["simulate", "--steps", "1"], ["check", "frei2023", "--list"]])
def test_an_installed_plugin_that_exits_at_import_is_one_line_naming_it(installed, capsys,
                                                                        command):
    """sys.exit() in an installed plugin's import ended the command with that status and no
    word (check printed no verdict and exited 0); a plugin loaded by path already said so
    (helper fz, session 39)."""
    installed("import sys\nsys.exit(0)\n", "eptest_exits")
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "entry point eptest_exits = eptest_exits" in err
    assert "SystemExit: it exited (0) while being imported" in err
