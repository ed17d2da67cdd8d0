"""A refused flag value is echoed as the user wrote it, not as the number it parsed to
(`--lr -1` was refused as "--lr -1.0 is invalid", `--noise 1/2` as "--noise 0.5")."""

from __future__ import annotations

import pytest

from twolayer.cli import main

TINY = ["--steps", "2", "--n", "10", "--d", "5", "--m", "4", "--seeds", "1"]


@pytest.mark.parametrize("argv, shown", [
    (["--lr", "-1"], "--lr -1 is invalid"),
    (["--lr=-1e0"], "--lr -1e0 is invalid"),
    (["--noise", "1/2"], "--noise 1/2 is invalid"),
    (["--noise", "0.50"], "--noise 0.50 is invalid"),
    (["--sigma2", "-2"], "--sigma2 -2 is invalid"),
    (["--init-var", "-1E-3"], "--init-var -1E-3 is invalid"),
    (["--m", "-3"], "--m -3 is invalid"),
    (["--d", "1e0"], "--d 1e0 is invalid"),
])
def test_a_refused_value_is_echoed_as_written(capsys, tmp_path, argv, shown) -> None:
    out = tmp_path / "o"
    code = main(["simulate", *TINY, *argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert shown in err, err
    assert not out.exists()


def test_a_value_given_by_a_preset_or_not_by_the_flag_is_echoed_as_it_is(capsys) -> None:
    """A value the user did not write (--rtol without the flow: the integrator's value comes from
    the default) keeps the config's own text; the flag's own text is used only where the refused
    value is the one that flag parsed to."""
    code = main(["simulate", *TINY, "--rtol", "1e-3"])
    err = capsys.readouterr().err
    assert code == 2 and "--rtol 0.001 is invalid" in err, err


def test_given_text_records_each_option_once_parsed() -> None:
    from twolayer.cli import build_parser, given_text

    ns = build_parser().parse_args(["simulate", "--lr", "1/10", "--noise", "0.25"])
    assert given_text(ns, "lr") == "1/10" and ns.lr == 0.1
    assert given_text(ns, "noise") == "0.25"
    assert given_text(ns, "steps") is None


@pytest.mark.parametrize("command", [
    ["simulate", *TINY, "--out"],
    ["figures", "--quick", "--out"],
    ["check", "frei2023", "--quick", "--records"],
])
@pytest.mark.parametrize("below", [False, True])
def test_a_dangling_link_as_an_output_folder_is_named(capsys, tmp_path, command, below) -> None:
    """`--out LINK` where LINK points nowhere said "(LINK: File exists)" (mkdir's EEXIST), which
    named no fault; now the link and its missing target, exit 2, and nothing created."""
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    path = link / "sub" if below else link
    code = main([*command, str(path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert f"{link} is a symbolic link to {tmp_path / 'nowhere'}, which does not exist" in err
    assert "File exists" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link"]


@pytest.mark.parametrize("command, flag", [
    (["figures", "--quick", "--only", "frei2023-fig1", "--no-store"], "--out"),
    (["simulate", *TINY], "--out"),
])
def test_timings_naming_the_output_folder_is_refused_before_any_work(tmp_path, capsys, command,
                                                                      flag) -> None:
    """`figures --out fx --timings fx` did all the work, then failed writing fx ("Is a
    directory", exit 1): session 49's helper."""
    out = tmp_path / "fx"
    code = main([*command, flag, str(out), "--timings", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "--timings" in err and f"is the command's {flag} as well" in err
    assert not out.exists()
