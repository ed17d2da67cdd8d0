"""Bad input found by a new-user audit of the README and the guide (session 32, xh): each is
refused with one line naming the flag or file, the value and what is valid, exit status 2,
and nothing written or moved."""

from __future__ import annotations

import json

import pytest
from cli_helpers import assert_refused, run

from twolayer.commands.settings import size
from twolayer.record import Record

TINY = ["--d", "4", "--n", "8", "--n-test", "8", "--m", "2", "--steps", "1", "--num-times", "2"]


@pytest.fixture()
def saved(tmp_path, capsys):
    """A folder holding ``records/<run_id>`` as ``twolayer simulate --out records/`` (the
    README's example) leaves it; returns (folder, record path)."""
    home = tmp_path / "home"
    code, _, err = run(["simulate", *TINY, "--out", str(home / "records")], capsys)
    assert code == 0, err
    (rec,) = (home / "records").iterdir()
    return home, rec


# -- twolayer store verify/prune: never on the working directory, never on saved records ----
@pytest.mark.parametrize("action", ["verify", "prune"])
def test_store_empty_dir_is_refused_not_the_working_directory(saved, action, capsys,
                                                              monkeypatch):
    """`twolayer store verify "$TWOLAYER_STORE"` with the variable unset ran on the working
    directory (Path("") is "."): beside a simulate --out records/ folder, verify quarantined the
    saved record (exit 1) and prune then deleted it."""
    home, rec = saved
    monkeypatch.chdir(home)
    code, out, err = run(["store", action, ""], capsys)
    assert_refused(code, out, err, ["DIR", "''", "empty"], home / "quarantine")
    Record.load(rec)  # still there and intact


@pytest.mark.parametrize("action", ["verify", "prune"])
def test_store_refuses_a_folder_of_saved_records_under_records(saved, action, capsys):
    """The parent of simulate --out records/ looked like a store (it has records/): verify moved
    every saved record to quarantine/ ("its document names address None")."""
    home, rec = saved
    code, out, err = run(["store", action, str(home)], capsys)
    assert_refused(code, out, err, ["DIR", str(home), "not a record store",
                                    "store verify " + str(home / "records")],
                   home / "quarantine")
    Record.load(rec)
    # the folder itself is verified in place, as before
    code, out, err = run(["store", "verify", str(home / "records")], capsys)
    assert code == 0, err
    assert out.startswith("1 intact, 0 damaged")


def test_store_verify_still_reads_a_real_store(tmp_path, capsys):
    """A sweep's store (records with their address, no entries/) stays a store."""
    spec = tmp_path / "s.toml"
    spec.write_text('seeds = 1\n[base]\ndata.d = 4\ndata.n = 8\ndata.n_test = 8\nnet.m = 2\n'
                    'train.steps = 1\nprobe.num_times = 2\n[run]\nbaselines = false\n')
    code, _, err = run(["sweep", str(spec), "--out", str(tmp_path / "st")], capsys)
    assert code == 0, err
    code, out, err = run(["store", "verify", str(tmp_path / "st")], capsys)
    assert code == 0, err
    assert out.startswith("1 intact, 0 quarantined")
    doc = json.loads(next((tmp_path / "st" / "records").glob("*/record.json")).read_text())
    assert "address" in doc  # the property the check reads


# -- sizes written as 1e30 are the integers they write ---------------------------------------
def test_scientific_sizes_are_exact():
    """Through float, 1e30 was 1000000000000000019884624838656 and 1e50 was refused as above
    the cap "sizes are at most 1e50"."""
    assert size("1e30") == 10**30
    assert size("1e50") == 10**50
    assert size("2.5e3") == 2500
    with pytest.raises(Exception, match="at most 1e50"):
        size("1.1e50")


def test_simulate_echoes_the_size_as_typed(tmp_path, capsys):
    code, out, err = run(["simulate", "--d", "1e30", "--out", str(tmp_path / "o")], capsys)
    assert_refused(code, out, err, ["--d 1000000000000000000000000000000 ", "valid range"],
                   tmp_path / "o")


def test_conditions_takes_d_at_the_cap(capsys):
    code, out, err = run(["conditions", "--d", "1e50"], capsys)
    assert code == 0, err
    assert "d=1e+50" in out or "d=100000000000000000000000000000000000000000000000000" in out


# -- --device on figures and bench: the same choices and checks as check and simulate --------
@pytest.mark.parametrize("argv", [["figures", "--quick"], ["bench", "--quick"]])
def test_device_choices_name_cuda_n(argv, tmp_path, capsys):
    out_dir = tmp_path / "o"
    code, out, err = run([*argv, "--out", str(out_dir), "--device", "gpu"], capsys)
    assert_refused(code, out, err, ["--device 'gpu'", "auto, cpu, cuda, cuda:N"], out_dir)


def test_figures_device_with_spaces_as_check_takes_it(tmp_path, capsys):
    """check_device strips the value (check and simulate take ' cpu'); figures refused it
    unless --list was given. The run stops at the next check, a --records that is a file."""
    bad = tmp_path / "afile"
    bad.write_text("")
    code, out, err = run(["figures", "--quick", "--out", str(tmp_path / "o"), "--device", " cpu",
                          "--records", str(bad)], capsys)
    assert_refused(code, out, err, ["--records"], tmp_path / "o")


# -- twolayer sweep "" -----------------------------------------------------------------------
def test_sweep_empty_spec_path(tmp_path, capsys, monkeypatch):
    """'' opened the working directory: "must be a readable TOML file (Is a directory)"."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["sweep", ""], capsys)
    assert_refused(code, out, err, ["SPEC.toml", "''", "is empty"], tmp_path / "sweep-results")


def test_sweep_memory_refusal_without_axes_names_no_empty_point(tmp_path, capsys):
    """A spec without axes has one point and no coordinates: the refusal ended in
    "(point 0: )"."""
    spec = tmp_path / "s.toml"
    spec.write_text("seeds = 100000000000\n[base]\ndata.d = 10\n")
    code, out, err = run(["sweep", str(spec), "--dry-run", "--out", str(tmp_path / "st")],
                         capsys)
    assert_refused(code, out, err, ["seeds = 100000000000", "valid range here is"],
                   tmp_path / "st")
    assert "(point" not in err


def test_empty_probe_list_names_the_known_probes(tmp_path, capsys):
    """--probes '' said only "'' names no probe", without the valid values."""
    code, out, err = run(["simulate", *TINY, "--probes", " , ", "--out", str(tmp_path / "o")],
                         capsys)
    assert_refused(code, out, err, ["--probes", "names no probe", "errors", "segments"],
                   tmp_path / "o")


@pytest.mark.parametrize("argv, words", [
    (["simulate", *TINY, "--k", "3"], ["twolayer simulate: error:", "--k 3",
                                       "--plugin PATH", "twolayer simulate --help"]),
    (["figures", "--quick", "--paper", "x"], ["twolayer figures: error:", "--paper",
                                              "twolayer figures --help"]),
    (["conditions", "--device", "cpu"], ["twolayer conditions: error:", "--device cpu"]),
])
def test_unknown_flags_are_refused_by_the_command(argv, words, tmp_path, capsys):
    """argparse's top-level refusal named no command: "twolayer: error: unrecognized
    arguments: --k 3" (the README's parity flag without its --plugin)."""
    code, out, err = run(argv, capsys)
    assert_refused(code, out, err, words, tmp_path / "none")


# -- check --report onto a file it did not write ---------------------------------------------
def test_check_report_refuses_a_file_it_did_not_write(tmp_path, capsys, monkeypatch):
    """`twolayer check ... --report README.md` replaced a project's README with the verdict
    table (figures --out guards its README.md and index.json; --report did not)."""
    monkeypatch.chdir(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# my project\n\nnotes\n")
    code, out, err = run(["check", "frei2023.lemma3.init_norms", "--quick", "--records",
                          str(tmp_path / "store"), "--report", "README.md"], capsys)
    assert_refused(code, out, err, ["--report 'README.md'", "did not write", "overwritten"],
                   tmp_path / "store")
    assert readme.read_text() == "# my project\n\nnotes\n"


def test_check_report_rewrites_its_own_report(tmp_path):
    """A report of twolayer check (its first line) and an empty file are written over."""
    from twolayer.commands.check import REPORT_HEAD, check_not_foreign_report

    own = tmp_path / "claims.md"
    own.write_text(REPORT_HEAD + "\n\nold table\n")
    check_not_foreign_report(own, str(own))  # no error
    empty = tmp_path / "empty.md"
    empty.write_text("")
    check_not_foreign_report(empty, str(empty))


# -- sweep --out onto a folder that is not a sweep store -------------------------------------
TINY_SPEC = ('seeds = 1\n[base]\ndata.d = 4\ndata.n = 8\ndata.n_test = 8\nnet.m = 2\n'
             'train.steps = 1\nprobe.num_times = 2\n[run]\nbaselines = false\n')


@pytest.mark.parametrize("name", ["summary.csv", "spec.toml", "points.csv"])
def test_sweep_out_refuses_a_folder_whose_files_it_would_replace(name, tmp_path, capsys):
    """`twolayer sweep spec.toml --out proj` replaced proj/summary.csv and proj/spec.toml of a
    folder that was no sweep store."""
    spec = tmp_path / "s.toml"
    spec.write_text(TINY_SPEC)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / name).write_text("mine\n")
    code, out, err = run(["sweep", str(spec), "--out", str(proj)], capsys)
    assert_refused(code, out, err, ["--out", str(proj), "not a sweep store", name],
                   proj / "records")
    assert (proj / name).read_text() == "mine\n"


def test_sweep_out_resumes_a_store_holding_only_its_spec(tmp_path, capsys):
    """A run interrupted before its first point was stored leaves spec.toml (this spec's text)
    and no records/: the same command resumes; a store with records/ is a store."""
    spec = tmp_path / "s.toml"
    spec.write_text(TINY_SPEC)
    st = tmp_path / "st"
    st.mkdir()
    (st / "spec.toml").write_text(TINY_SPEC)
    code, _, err = run(["sweep", str(spec), "--out", str(st)], capsys)
    assert code == 0, err
    (st / "summary.csv").write_text("edited\n")  # a store now: its tables are its own
    code, _, err = run(["sweep", str(spec), "--out", str(st)], capsys)
    assert code == 0, err


# -- --timings PATH: a paper id taken for the path, a file it did not write ------------------
@pytest.mark.parametrize("value", ["frei2023", "frei2023.theorem1"])
def test_check_timings_refuses_a_paper_id_as_its_path(value, tmp_path, capsys, monkeypatch):
    """`twolayer check --timings frei2023` took the paper for the JSON path: it checked every
    paper (the whole plan) and wrote the timings to ./frei2023."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "--timings", value, "--list"], capsys)
    assert_refused(code, out, err, [f"--timings '{value}'", "paper or claim id",
                                    f"twolayer check {value} --timings"], tmp_path / value)


def test_timings_refuses_a_file_it_did_not_write(tmp_path, capsys):
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n")
    code, out, err = run(["simulate", *TINY, "--timings", str(notes)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "--timings" in err and "did not write" in err
    assert notes.read_text() == "# notes\n"
    # its own JSON, or ./frei2023 spelled as a path, is written (over)
    own = tmp_path / "t.json"
    for _ in range(2):
        code, _, err = run(["simulate", *TINY, "--timings", str(own)], capsys)
        assert code == 0, err
        assert json.loads(own.read_text())["command"] == "simulate"


# -- check/figures --records: not a sweep's store, not a folder of saved records -------------
def test_records_refuses_a_sweep_store(tmp_path, capsys):
    """`check --records <a sweep's --out>` was accepted: its entries/ went beside the sweep's
    records, and `store prune` then removed every sweep record as "named by no entry"."""
    spec = tmp_path / "s.toml"
    spec.write_text(TINY_SPEC)
    st = tmp_path / "st"
    code, _, err = run(["sweep", str(spec), "--out", str(st)], capsys)
    assert code == 0, err
    for argv in (["check", "frei2023.lemma3.init_norms", "--quick"],
                 ["figures", "--quick", "--only", "frei2023-fig1", "--out", str(tmp_path / "f")]):
        code, out, err = run([*argv, "--records", str(st)], capsys)
        assert_refused(code, out, err, ["--records", str(st), "sweep's store"], st / "entries")
    assert not (tmp_path / "f").exists()
    code, out, err = run(["store", "prune", str(st), "--dry-run"], capsys)
    assert code == 0 and out.startswith("would remove 0 items"), out


def test_records_refuses_a_folder_of_saved_records(saved, capsys, monkeypatch):
    home, rec = saved
    for root in (home / "records", home):
        code, out, err = run(["check", "frei2023.lemma3.init_norms", "--quick", "--records",
                              str(root)], capsys)
        assert_refused(code, out, err, ["--records", "simulate --out"], root / "entries")
    monkeypatch.setenv("TWOLAYER_STORE", str(home / "records"))
    code, out, err = run(["check", "frei2023.lemma3.init_norms", "--quick"], capsys)
    assert_refused(code, out, err, ["TWOLAYER_STORE", "simulate --out"],
                   home / "records" / "entries")


def test_sweep_out_refuses_the_experiments_store(tmp_path, capsys):
    """The mirror of the --records refusal: a sweep's records in the experiments' store were
    "named by no entry" to store prune."""
    spec = tmp_path / "s.toml"
    spec.write_text(TINY_SPEC)
    store = tmp_path / "store"
    (store / "entries").mkdir(parents=True)
    (store / "records").mkdir()
    code, out, err = run(["sweep", str(spec), "--out", str(store)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "--out" in err and "experiments' record store" in err
    assert list((store / "records").iterdir()) == [] and not (store / "spec.toml").exists()


# --- session 33: the audit's leftovers -----------------------------------------------------


def test_an_option_before_the_command_is_named(tmp_path, capsys):
    """`twolayer --bogus` said "the following arguments are required: COMMAND"."""
    for argv in (["--bogus"], ["--bogus", "simulate", "--out", str(tmp_path / "o")]):
        code, out, err = run(argv, capsys)
        assert_refused(code, out, err, ["'--bogus'", "before the command", "simulate", "bench"],
                       tmp_path / "o")
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("twolayer ")


def test_a_preset_given_twice_is_refused(tmp_path, capsys):
    """argparse kept the last of two --preset values without a word; presets do not combine."""
    o = tmp_path / "o"
    code, out, err = run(["simulate", "--preset", "frei-fig1", "--preset", "frei-fig2-low-d",
                          "--out", str(o)], capsys)
    assert_refused(code, out, err, ["--preset", "twice", "'frei-fig1'", "'frei-fig2-low-d'"], o)
    from twolayer.cli import build_parser

    args, extra = build_parser().parse_known_args(
        ["simulate", "--preset", "frei-fig1", "--preset", "frei-fig1"])
    assert args.preset == "frei-fig1" and extra == []  # the same value again is no conflict


@pytest.fixture()
def no_bench(monkeypatch):
    """run_bench replaced by one that raises Started: a flag that passed the guards reaches it."""
    from twolayer.bench import harness

    class Started(Exception):
        pass

    def started(*a, **k):
        raise Started

    monkeypatch.setattr(harness, "run_bench", started)
    return Started


@pytest.mark.parametrize("flag,name,text", [
    ("--doc", "README.md", "# my project\n"),
    ("--doc", "notes.md", "some notes, not a benchmark page\n"),
    ("--out", "config.json", '{"lr": 0.1}\n'),
    ("--out", "data.csv", "a,b\n1,2\n"),
])
def test_bench_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys, no_bench, flag,
                                                             name, text):
    """`twolayer bench --doc README.md` replaced the README after minutes of measuring."""
    target = tmp_path / name
    target.write_text(text)
    argv = ["bench", "--quick", "--out", str(tmp_path / "r.json"), flag, str(target)]
    code, out, err = run(argv, capsys)
    assert_refused(code, out, err, [flag, name, "did not write"], tmp_path / "r.json")
    assert target.read_text() == text


def test_bench_replaces_its_own_files_and_refuses_one_path_for_both(tmp_path, capsys, no_bench,
                                                                   monkeypatch):
    """The guard passes the published pair (benchmarks/results.json, docs/benchmarks.md, as
    make bench writes them again) and empty files; --doc equal to --out is refused."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    res, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    res.write_text((repo / "benchmarks" / "results.json").read_text())
    doc.write_text((repo / "docs" / "benchmarks.md").read_text())
    (tmp_path / "empty.md").write_text("")
    for pair in ((res, doc), (res, tmp_path / "empty.md")):
        with pytest.raises(no_bench):
            run(["bench", "--quick", "--out", str(pair[0]), "--doc", str(pair[1])], capsys)
    code, out, err = run(["bench", "--quick", "--out", str(res), "--doc", str(res)], capsys)
    assert_refused(code, out, err, ["--doc", "the --out file"], tmp_path / "none")
    assert json.loads(res.read_text())["engine"]  # untouched


@pytest.mark.parametrize("argv,flag", [
    (["simulate", "--see", "3"], "--see"),        # argparse took it as --seeds 3
    (["check", "frei2023", "--rec", "{tmp}"], "--rec"),  # as --records DIR: a whole plan trained
    (["sweep", "x.toml", "--work", "2"], "--work"),  # as --workers 2
])
def test_an_abbreviated_flag_is_not_taken_for_the_whole_one(tmp_path, capsys, argv, flag):
    """`check liu2023 --record DIR`, typed before --record existed, was taken as --records DIR
    and trained liu2023's whole plan into DIR: flags are taken only as written."""
    argv = [a.replace("{tmp}", str(tmp_path / "st")) for a in argv]
    code, out, err = run([*argv, "--out", str(tmp_path / "o")] if argv[0] == "simulate"
                         else argv, capsys)
    assert_refused(code, out, err, ["unrecognized arguments", flag], tmp_path / "o")
    assert not (tmp_path / "st").exists()


def test_a_missing_setting_reads_as_not_given_not_as_none(tmp_path):
    """A streamed kind without --batch-size said "--batch-size None is invalid", as if the user
    had typed None."""
    import subprocess
    import sys
    from pathlib import Path

    from twolayer.errors import ConfigError

    e = ConfigError("batch_size", None, "give --batch-size < n = 100")
    assert str(e) == "--batch-size is not given: give --batch-size < n = 100"
    zero = ConfigError("batch_size", 0, "must be >= 1")
    assert str(zero) == "--batch-size 0 is invalid: must be >= 1"
    example = Path(__file__).resolve().parents[1] / "examples" / "barak2022"
    o = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "twolayer", "simulate", "--plugin", str(example),
                        "--data", "parity", "--d", "10", "--k", "3", "--n", "100", "--steps", "2",
                        "--out", str(o)], capture_output=True, text=True, timeout=120)
    assert_refused(p.returncode, p.stdout, p.stderr,
                   ["--batch-size is not given", "--data parity", "< n = 100"], o)
    assert "None" not in p.stderr


@pytest.mark.parametrize("flag,argv_of", [
    ("--timings", lambda p: ["simulate", *TINY, "--timings", str(p)]),
    ("--report", lambda p: ["check", "frei2023.lemma3.init_norms", "--quick", "--report", str(p)]),
    ("--out", lambda p: ["bench", "--quick", "--out", str(p)]),
    ("--doc", lambda p: ["bench", "--quick", "--doc", str(p)]),
])
def test_a_binary_file_at_an_output_path_is_refused(flag, argv_of, tmp_path, capsys):
    """--timings took a file that is not UTF-8 (an image, an archive) as unreadable and wrote
    over it; every writer of a named output file now reads such a file as someone else's
    (commands/owned.py)."""
    png = tmp_path / "figure.png"
    data = b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256))
    png.write_bytes(data)
    code, out, err = run(argv_of(png), capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert flag in err and "did not write" in err
    assert png.read_bytes() == data


def test_owned_reads_empty_and_own_files_as_replaceable(tmp_path):
    from twolayer.commands.owned import json_object_with, starts_with

    f = tmp_path / "f"
    f.write_text("")
    assert json_object_with(f, ("a",)) and starts_with(f, "# H\n")
    f.write_text('{"a": 1, "b": 2}')
    assert json_object_with(f, ("a", "b")) and not json_object_with(f, ("a", "c"))
    f.write_text("[1, 2]")
    assert not json_object_with(f, ())
    f.write_text("# H\nbody")
    assert starts_with(f, "# H\n") and not starts_with(f, "# Hx")
    f.write_bytes(b"# H\n\xe9\xff more")  # not UTF-8 after its head: the head decides
    assert starts_with(f, "# H\n")
    f.write_bytes(b"\xff# H\n")
    assert not starts_with(f, "# H\n") and not json_object_with(f, ())
    assert json_object_with(tmp_path / "missing" / "x", ()) and starts_with(tmp_path / "nope", "x")
