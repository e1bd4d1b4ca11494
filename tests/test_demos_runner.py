"""`python -m demos`: runs the named demos, refuses unknown names with the list of demos."""

import pathlib

import pytest

import demos.__main__ as runner


def test_every_listed_demo_exists():
    for name in runner.DEMOS:
        assert (pathlib.Path(runner.__file__).parent / f"{name}.py").is_file(), name


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["nope"], "unknown demo 'nope'; the demos are: computation_graph, sigmoid_unit"),
        (["char_rnn", "--eager"], "unrecognized arguments: --eager"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        runner.main(argv)
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err


def test_runs_a_named_demo_into_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runner.main(["demos.sigmoid_unit"])  # the module path works too
    out = capsys.readouterr().out
    # it writes no file: no folder, and no "files are in" (main made an empty out/ and pointed at it)
    assert "=== sigmoid_unit ===" in out and "files are in" not in out and not (tmp_path / "out").exists()
    runner.main(["worked_mlp", "--out", "deep/er"])
    assert "All files are in" in capsys.readouterr().out and (tmp_path / "deep" / "er" / "worked_mlp_steps").is_dir()


def test_a_demo_that_writes_nothing_makes_no_folder(tmp_path):
    out = _run(["-m", "demos.sigmoid_unit"], tmp_path)
    assert "y   0.704746" in out and "files are in" not in out
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()  # a folder that was there before stays
    _run(["-m", "demos.sigmoid_unit", "--out", "out/new/sub"], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and list((tmp_path / "out").iterdir()) == []


# ---- every demo runs however it is started, from any directory, writing where --out says ----

REPO_DEMOS = pathlib.Path(runner.__file__).parent


def _run(args, cwd):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.mark.parametrize("name", runner.DEMOS)
def test_every_demo_answers_when_started_on_its_own(name, tmp_path):
    # `python -m demos.<name>` and `python demos/<name>.py` both reach the shared runner (--help: without running it)
    for args in (["-m", f"demos.{name}", "--help"], [str(REPO_DEMOS / f"{name}.py"), "--help"]):
        out = _run(args, tmp_path)
        assert out.startswith(f"usage: python -m demos.{name} [-h] [--out DIR]"), out


def test_module_and_file_and_runner_forms_write_into_out_from_elsewhere(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run(["-m", "demos.sigmoid_unit", "--out", str(tmp_path / "a")], elsewhere)
    assert "y   0.704746" in out and not (tmp_path / "a").exists()  # it writes no file
    out = _run([str(REPO_DEMOS / "worked_mlp.py"), "--out", "b"], elsewhere)
    assert "E before 0.5932" in out
    assert (elsewhere / "b" / "worked_mlp_steps" / "steps.html").is_file()
    _run(["-m", "demos", "hello_rnn", "--out", str(tmp_path / "c")], elsewhere)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["hello_rnn_unrolled.png"]  # no DOT source left
    assert not (elsewhere / "out").exists()


def test_a_demos_own_options_and_bad_values(tmp_path, capsys):
    from demos import _cli

    seen = {}
    _cli.run(
        lambda out, **kw: (seen.update(kw, out=out), (out / "f").touch()),
        "demos/x.py",
        "Doc.",
        lambda p: p.add_argument("--steps", type=int, default=3),
        ["--out", str(tmp_path / "o"), "--steps", "5"],
    )
    assert seen == {"steps": 5, "out": tmp_path / "o"} and (tmp_path / "o").is_dir()
    import demos.char_rnn as char_rnn

    with pytest.raises(SystemExit) as exc:
        _cli.run(char_rnn.main, char_rnn.__file__, char_rnn.__doc__, char_rnn._options, ["--steps", "0"])
    assert exc.value.code == 2
    assert "argument --steps: must be at least 1, got 0" in capsys.readouterr().err


def test_progress_bars_stay_out_of_logs(capsys):
    from demos._cli import progress

    bar = progress(range(3), desc="x")  # stdout is captured here: not a terminal
    assert list(bar) == [0, 1, 2] and bar.disable
    assert capsys.readouterr().out == ""


def test_the_data_file_ships_with_the_package():
    from demos import char_rnn

    assert char_rnn.TEXT.is_file() and char_rnn.TEXT.parent.parent == REPO_DEMOS
    tomllib = pytest.importorskip("tomllib", reason="tomllib (Python 3.11+) reads pyproject.toml")
    config = tomllib.loads((REPO_DEMOS.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert {"chaingrad*", "autograd*", "nn*", "demos*"} <= set(config["packages"]["find"]["include"])
    assert "data/*.txt" in config["package-data"]["demos"]
    assert "player.html" in config["package-data"]["autograd.draw"]


def test_docstring_examples():
    import doctest

    from demos import _cli

    result = doctest.testmod(_cli, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
