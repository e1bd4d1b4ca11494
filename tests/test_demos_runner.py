"""`python -m demos`: runs the named demos, refuses unknown names with the list of demos."""
import pathlib

import pytest

import demos.__main__ as runner


def test_every_listed_demo_exists():
    for name in runner.DEMOS:
        assert (pathlib.Path(runner.__file__).parent / f"{name}.py").is_file(), name


@pytest.mark.parametrize("argv, expected", [
    (["nope"], "unknown demo 'nope'; the demos are: computation_graph, sigmoid_unit"),
    (["char_rnn", "--eager"], "unrecognized arguments: --eager"),
])
def test_bad_arguments_exit_2_naming_the_problem(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        runner.main(argv)
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err


def test_runs_a_named_demo_into_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runner.main(["demos.sigmoid_unit"])  # the module path works too
    out = capsys.readouterr().out
    assert "=== sigmoid_unit ===" in out and (tmp_path / "out").is_dir()
