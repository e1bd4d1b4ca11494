"""`import chaingrad`: the public API of `autograd` plus `nn`, and a clear error when PyPI's autograd shadows ours."""

import doctest
import os
import subprocess
import sys

import autograd
import chaingrad
import nn


def test_exposes_the_engine_api_and_nn():
    for name in autograd.__all__:
        assert getattr(chaingrad, name) is getattr(autograd, name), name
    assert chaingrad.nn is nn
    assert set(chaingrad.__all__) == set(autograd.__all__) | {"nn"}


def test_the_readme_tour_numbers():
    a, b, c = chaingrad.Value(3.0, label="a"), chaingrad.Value(1.0, label="b"), chaingrad.Value(-2.0, label="c")
    L = c * (a + 2 * b)
    L.backward()
    assert (L.data, a.grad, b.grad, c.grad) == (-10.0, -2.0, -4.0, 5.0)


def test_docstring_example():
    result = doctest.testmod(chaingrad)
    assert result.attempted > 0 and result.failed == 0


def test_another_autograd_first_on_the_path_is_an_import_error_that_says_so(tmp_path):
    # a stand-in for HIPS autograd: a package named autograd without chaingrad's marker
    fake = tmp_path / "site" / "autograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("def grad(f):\n    return f\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    run = subprocess.run(
        [sys.executable, "-c", "import chaingrad"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: chaingrad needs its own 'autograd' package")
    assert repr(str(fake / "__init__.py")) in last
    assert "HIPS autograd" in last and "pip uninstall autograd" in last
    assert "AttributeError" not in run.stderr
