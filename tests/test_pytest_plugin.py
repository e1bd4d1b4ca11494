"""autograd.pytest_plugin: the gradcheck and gradgradcheck fixtures report the table of failing inputs, not a
traceback into the checker; the plugin is registered as a pytest11 entry point."""

import subprocess
import sys

PLUGIN_TEST = """
from autograd import Value

def test_wrong(gradcheck):
    gradcheck(lambda x, y: x * Value(x.data) + y.tanh(), [3.0, 0.5])

def test_right(gradcheck, gradgradcheck):
    assert gradcheck(lambda x: x.tanh(), [0.5])
    assert gradgradcheck(lambda x: x.tanh(), [0.5])

def test_kink(gradcheck):
    gradcheck(lambda x: x.relu(), [0.0])
"""


def test_pytest_plugin_shows_the_table(tmp_path):
    (tmp_path / "test_user.py").write_text(PLUGIN_TEST)
    # -p no:chaingrad drops the installed entry point, so the module is loaded exactly once either way
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:chaingrad",
            "-p",
            "autograd.pytest_plugin",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_user.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "2 failed, 1 passed" in out
    assert "gradcheck failed for 1 of 2 inputs" in out
    assert "  input  name  value  analytic df/dx  numeric df/dx" in out  # named as every view names them
    assert "  0      x     3      3               6.000000001" in out
    assert "gradcheck: refused to check: at inputs [0.0] the graph has L = relu(x) exactly on a kink (x = 0.0)" in out
    assert "gradcheck: gradcheck" not in out and "refused to check: gradcheck" not in out
    assert "Traceback" not in out and "def run(" not in out  # the table, not the checker's internals
    assert "During handling" not in out


def test_pytest_plugin_is_registered_as_an_entry_point():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("chaingrad") == "autograd.pytest_plugin", (
        "the pytest11 entry point is missing: reinstall with pip install -e ."
    )
