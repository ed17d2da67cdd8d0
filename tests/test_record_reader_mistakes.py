"""A plugin's record reader (``register_record_reader``, docs/extending.md Recipe 6) written
wrong: ``twolayer check PLUGIN --record DIR`` stops with one line naming the paper and the
plugin's file:line, exit status 2, nothing on stdout (no traceback, no verdict), where the
reader raises, returns claim ids that are not a sequence, excludes a claim that is not
registered or one it also serves, or whose runs' ``.missing(key)`` or ``.not_served(claim_id)``
raises or returns no text;
a reader registered with something that is not a function is named at the plugin's line, not
twolayer's; and runs without ``quick`` (a dict, as the API's "an object whose .get(name)
returns rec" allows) are judged as the Recipe's class is."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from cli_helpers import run
from plugin_helpers import forgetting
from record_check_helpers import simulated

pytestmark = pytest.mark.usefixtures("single_thread")

PLUGIN = '''
import numpy as np

from twolayer.api import claim, outcome, register_record_reader, stats


@claim("{paper}.t.small", "the final training error is at most 0.9", "Theorem 1", "[INFERRED]")
def small(runs):
    rec = runs.get("{paper}.exp")
    err = rec["{key}"][:, -1].astype(np.float64)
    m, ci = stats.mean_ci(err)
    return outcome(stats.compare(ci, 0.9, "<="), m, "<= 0.9", ci, stats.used(err), "tiny",
                   per_seed=err, threshold=0.9, direction="<=")


class OneRecord:
    quick = False

    def __init__(self, rec):
        self.rec = rec

    def get(self, name):
        return self.rec

    def missing(self, key):
        {missing}

    def not_served(self, cid):
        {not_served}


def read(rec, path):
    {read}


register_record_reader("{paper}", {reader}, excluded={excluded})
'''

GOOD_READ = 'return ("{paper}.t.small",), OneRecord(rec)'


def _plugin(tmp: Path, paper: str, read: str = GOOD_READ, missing: str = 'return "add it"',
            key: str = "errors/train_error", excluded: str = "None",
            reader: str = "read", not_served: str = 'return ""') -> Path:
    path = tmp / f"{paper}_plugin.py"
    path.write_text(textwrap.dedent(PLUGIN).format(
        paper=paper, key=key, missing=missing, read=read.format(paper=paper),
        not_served=not_served,
        excluded=excluded.format(paper=paper), reader=reader))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> Path:
    """A tiny --data xor record with the errors probe, 4 seeds."""
    return simulated(tmp_path_factory.mktemp("rec"), [
        "--d", "5", "--n", "60", "--m", "8", "--steps", "10", "--seeds", "4", "--quiet"])


@pytest.fixture
def paper(request):
    with forgetting("rr" + request.node.name.split("[")[0][-10:].replace("_", "")) as name:
        yield name


def _refused(capsys, plugin: Path, record: Path, *words: str) -> str:
    code, out, err = run(["check", str(plugin), "--record", str(record)], capsys)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_the_good_reader_judges_the_claim(tmp_path, paper, record, capsys) -> None:
    """The template below is right as written: each mistake is the one edit."""
    code, out, err = run(["check", str(_plugin(tmp_path, paper)), "--record", str(record),
                          "--json"], capsys)
    assert code in (0, 1), err
    assert [r["id"] for r in json.loads(out)] == [f"{paper}.t.small"]


def test_a_reader_that_raises_is_one_line_at_its_file_and_line(tmp_path, paper, record,
                                                                 capsys) -> None:
    plugin = _plugin(tmp_path, paper, read='raise KeyError("no such setting")')
    line = _refused(capsys, plugin, record, f"record reader of {paper!r}",
                    "read(rec, path) raised KeyError", "no such setting",
                    f"{plugin}:{_line_of(plugin, 'raise KeyError')}")
    assert f"{plugin}:{_line_of(plugin, 'def read')}" in line  # where it is defined


def test_a_reader_whose_config_error_refuses_the_record_stays_that_error(
        tmp_path, paper, record, capsys) -> None:
    plugin = _plugin(tmp_path, paper, read='from twolayer.api import ConfigError\n'
                     '    raise ConfigError("record", path, "give a --data clusters record")')
    line = _refused(capsys, plugin, record, "give a --data clusters record")
    assert "raised" not in line


@pytest.mark.parametrize("ids", ["None", "5"])
def test_claim_ids_that_are_not_a_sequence_are_one_line(tmp_path, paper, record, capsys,
                                                        ids) -> None:
    plugin = _plugin(tmp_path, paper, read=f"return {ids}, OneRecord(rec)")
    _refused(capsys, plugin, record, f"returned claim_ids {ids}",
             f"{plugin}:{_line_of(plugin, 'def read')}")


def test_runs_missing_that_raises_is_one_line(tmp_path, paper, record, capsys) -> None:
    plugin = _plugin(tmp_path, paper, key="nosuch/array", missing="return 1 / 0")
    _refused(capsys, plugin, record, "runs.missing(key) raised ZeroDivisionError",
             f"{plugin}:{_line_of(plugin, 'return 1 / 0')}")


def test_runs_missing_that_returns_no_text_is_one_line(tmp_path, paper, record,
                                                       capsys) -> None:
    plugin = _plugin(tmp_path, paper, key="nosuch/array", missing="return 7")
    _refused(capsys, plugin, record, "runs.missing('nosuch/array') returned int",
             f"{plugin}:{_line_of(plugin, 'def read')}")


def test_runs_not_served_that_raises_is_one_line(tmp_path, paper, record, capsys) -> None:
    plugin = _plugin(tmp_path, paper, not_served="return 1 / 0")
    _refused(capsys, plugin, record, "runs.not_served(claim_id) raised ZeroDivisionError",
             f"{plugin}:{_line_of(plugin, 'return 1 / 0')}")


def test_runs_not_served_that_returns_no_text_is_one_line(tmp_path, paper, record,
                                                          capsys) -> None:
    plugin = _plugin(tmp_path, paper, not_served="return None")
    _refused(capsys, plugin, record, f"runs.not_served('{paper}.t.small') returned NoneType",
             f"{plugin}:{_line_of(plugin, 'def read')}")


def test_runs_not_served_text_leaves_the_claim_unserved(tmp_path, paper, record,
                                                        capsys) -> None:
    """A statement about another setting than the record's: the check is not run, and the
    claim is not served with the reader's reason."""
    plugin = _plugin(tmp_path, paper, not_served='return "its statement names SGD"',
                     key="nosuch/array")  # the check would raise: it is not run
    _refused(capsys, plugin, record, "serves none of the 1 selected claims",
             f"{paper}.t.small: its statement names SGD")


def test_an_excluded_id_that_is_no_claim_of_the_paper_is_one_line(tmp_path, paper, record,
                                                                  capsys) -> None:
    """A typo in excluded= would list a claim that does not exist as 'not served by any one
    record' (and say nothing of the claim meant)."""
    plugin = _plugin(tmp_path, paper, excluded='{{"{paper}.t.smal": "a slope"}}')
    for extra in ([], ["--list"]):
        code, out, err = run(["check", str(plugin), "--record", str(record), *extra], capsys)
        assert code == 2 and out == "", (extra, out, err)
        assert f"excludes '{paper}.t.smal', not the id of a registered claim" in err, err
        assert f"{plugin}:{_line_of(plugin, 'def read')}" in err


def test_an_id_both_served_and_excluded_is_one_line(tmp_path, paper, record, capsys) -> None:
    plugin = _plugin(tmp_path, paper, excluded='{{"{paper}.t.small": "a slope"}}')
    _refused(capsys, plugin, record, f"returned '{paper}.t.small', which its excluded= says",
             f"{plugin}:{_line_of(plugin, 'def read')}")


def test_a_reader_that_is_no_function_names_the_plugins_line(tmp_path, paper, record,
                                                             capsys) -> None:
    plugin = _plugin(tmp_path, paper, reader="5")
    line = _refused(capsys, plugin, record, "read must be a function")
    where = f"{plugin}:{_line_of(plugin, 'register_record_reader(')}"
    assert line.count(where) == 2 and "api.py" not in line, line  # the plugin's, and its own


def test_runs_without_quick_are_judged_as_the_recipes_class(tmp_path, paper, record,
                                                            capsys) -> None:
    """A dict of the experiment's record has the .get(name) the API asks for and no `quick`:
    the same verdict as the Recipe's class, not a traceback."""
    verdicts = []
    for i, read in enumerate([GOOD_READ, 'return ("{paper}.t.small",), {{"{paper}.exp": rec}}']):
        with forgetting(f"{paper}{i}") as name:  # one paper each: the same claim, two files
            code, out, err = run(["check", str(_plugin(tmp_path, name, read=read)),
                                  "--record", str(record), "--json"], capsys)
        assert code in (0, 1) and "Traceback" not in err, err
        (row,) = json.loads(out)
        verdicts.append({k: row[k] for k in ("verdict", "measured", "ci", "seeds", "tier")})
    assert verdicts[0] == verdicts[1] and verdicts[0]["verdict"] != "error", verdicts
