"""A sweep stopped (SIGTERM / SIGINT, or a worker's error) before its first point was stored
resumes when the same command is run again (session 48).

Before, the interrupt path wrote points.csv and summary.* (every point "missing") into an
--out that had no records/ yet, and the rerun (also --dry-run and --verify) refused that
folder, exit 2, "is not a sweep store (no records/ inside) but holds points.csv, which the
sweep would overwrite"; `twolayer store verify` refused it too. Now such a run leaves only its
spec.toml (and lock file), and the tables an older twolayer left there are taken as the
sweep's own when they hold exactly what it writes again. A folder holding anything else is
still refused. Oracles: exit statuses, the folder's listing and bytes, and the resumed
records' arrays.npz bytes against an uninterrupted run of the same spec into another folder.
The interrupt is raised in-process by the executor at its first group (a signal at a known
point: nothing can have been stored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_helpers import TWO_GROUPS_SPEC, StoppingExecutor

import twolayer.commands.sweep as sweep_command
from twolayer.cli import main
from twolayer.signals import Terminated
from twolayer.sweep import Store, loads

SPEC = TWO_GROUPS_SPEC


Executor = StoppingExecutor


def use(monkeypatch, executor: Executor) -> None:
    monkeypatch.setattr(sweep_command, "make_executor", lambda args, spec, out: executor)


def sweep(spec: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(spec), "--out", str(out), "--quiet", *extra])


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def arrays(out: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in (out / "records").glob("*/arrays.npz")}


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def reference(tmp_path: Path, spec_file: Path, monkeypatch) -> dict[str, bytes]:
    """The records of an uninterrupted run of the spec (arrays.npz bytes per run id)."""
    use(monkeypatch, Executor())
    assert sweep(spec_file, tmp_path / "ref") == 0
    ref = arrays(tmp_path / "ref")
    assert len(ref) == 2
    return ref


@pytest.mark.parametrize("interrupt, status", [(KeyboardInterrupt(), 130),
                                               (Terminated(), 143)])
def test_a_sweep_interrupted_before_its_first_point_resumes(
        tmp_path: Path, spec_file: Path, monkeypatch, capsys, reference, interrupt,
        status) -> None:
    out = tmp_path / "out"
    use(monkeypatch, Executor(stop=0, interrupt=interrupt))
    capsys.readouterr()
    assert sweep(spec_file, out) == status
    err = capsys.readouterr().err
    assert "run the same command again to resume" in err and len(err.splitlines()) == 1
    # no tables beside no records/: only the spec's provenance copy and the lock file
    assert sorted(p.name for p in out.iterdir()) == [".lock", "spec.toml"]
    before = listing(out)

    # the store verifies as an empty one (sweep --verify and store verify), a dry run plans
    # every point; none of the three writes anything
    for argv in (["sweep", str(spec_file), "--out", str(out), "--verify"],
                 ["store", "verify", str(out)]):
        assert main(argv) == 0, capsys.readouterr().err
        assert capsys.readouterr().out == (f"{out}: empty (no record stored yet)\n0 intact, 0 "
                                           "quarantined, 0 temporary folders removed\n")
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intact"] == 0
    assert main(["sweep", str(spec_file), "--out", str(out), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["stored"] == 0 and plan["to_train"] == 2
    assert listing(out) == before

    # the same command again resumes: every point trained, bit for bit the uninterrupted run's
    use(monkeypatch, Executor())
    assert sweep(spec_file, out, "--json") == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    assert report["trained"] == 2 and report["skipped"] == 0
    assert arrays(out) == reference
    assert (out / "summary.csv").read_bytes() == (tmp_path / "ref" / "summary.csv").read_bytes()


def test_a_worker_error_before_the_first_point_leaves_a_folder_that_resumes(
        tmp_path: Path, spec_file: Path, monkeypatch, capsys, reference) -> None:
    """The same path: a worker's error (exit 2) before anything was stored."""
    from twolayer.errors import TwolayerError

    out = tmp_path / "out"
    use(monkeypatch, Executor(stop=0, interrupt=TwolayerError("point x failed on a worker")))
    assert sweep(spec_file, out) == 2
    assert sorted(p.name for p in out.iterdir()) == [".lock", "spec.toml"]
    use(monkeypatch, Executor())
    assert sweep(spec_file, out) == 0, capsys.readouterr().err
    assert arrays(out) == reference


def test_an_interrupt_after_a_stored_point_still_writes_the_tables(
        tmp_path: Path, spec_file: Path, monkeypatch, capsys, reference) -> None:
    """Unchanged: with a point stored, the tables of what is stored are written."""
    out = tmp_path / "out"
    use(monkeypatch, Executor(stop=1, interrupt=KeyboardInterrupt()))
    assert sweep(spec_file, out) == 130
    rows = (out / "points.csv").read_text().splitlines()[1:]
    assert [r.rsplit(",", 1)[1] for r in rows] == ["ok", "missing"]
    use(monkeypatch, Executor())
    assert sweep(spec_file, out) == 0
    assert arrays(out) == reference


def left_by_an_older_twolayer(out: Path) -> None:
    """What a run of SPEC stopped before its first point left until session 48: spec.toml and
    the tables of every point missing (written by the same Store methods), no records/."""
    spec = loads(SPEC)
    out.mkdir()
    (out / "spec.toml").write_text(SPEC)
    (out / ".lock").write_text("")
    st = Store(out)
    st.write_points(spec.points())
    st.write_summary(spec.points())


def test_the_tables_an_interrupted_older_run_left_are_the_sweeps_own(
        tmp_path: Path, spec_file: Path, monkeypatch, capsys, reference) -> None:
    out = tmp_path / "out"
    left_by_an_older_twolayer(out)
    names = sorted(p.name for p in out.iterdir())
    assert {"points.csv", "summary.csv", "spec.toml"} <= set(names)
    before = listing(out)
    assert main(["store", "verify", str(out)]) == 0
    assert main(["sweep", str(spec_file), "--out", str(out), "--verify"]) == 0
    assert main(["sweep", str(spec_file), "--out", str(out), "--dry-run"]) == 0
    assert "empty (no record stored yet)" in capsys.readouterr().out
    assert listing(out) == before
    use(monkeypatch, Executor())
    assert sweep(spec_file, out) == 0, capsys.readouterr().err
    assert arrays(out) == reference


def _edit(out: Path, name: str) -> None:
    path = out / name
    if name == "spec.toml":
        path.write_text(SPEC + "# the user's own\n")
    elif name == "summary.parquet":
        path.write_bytes(b"PAR1 someone else's table PAR1")
    else:
        path.write_text(path.read_text().replace("missing", "mine", 1))


@pytest.mark.parametrize("edited", ["spec.toml", "points.csv", "summary.csv", "summary.parquet"])
def test_a_folder_whose_files_are_not_the_sweeps_own_is_still_refused(
        tmp_path: Path, spec_file: Path, capsys, edited) -> None:
    """Any one file that is not exactly what the sweep would write again: exit 2 naming it,
    --out and the value, the folder untouched (with --dry-run and --verify too)."""
    out = tmp_path / "proj"
    left_by_an_older_twolayer(out)
    _edit(out, edited)
    before = listing(out)
    for extra in ((), ("--dry-run",), ("--verify",)):
        capsys.readouterr()
        assert sweep(spec_file, out, *extra) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert f"--out '{out}' is invalid" in err and f"holds {edited}," in err, err
    assert listing(out) == before


def test_tables_without_the_specs_own_spec_toml_are_refused(
        tmp_path: Path, spec_file: Path, capsys) -> None:
    out = tmp_path / "proj"
    left_by_an_older_twolayer(out)
    (out / "spec.toml").unlink()
    before = listing(out)
    assert sweep(spec_file, out) == 2
    assert "holds points.csv," in capsys.readouterr().err
    assert listing(out) == before
