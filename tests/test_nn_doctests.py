"""Every docstring example in nn runs and shows what it says."""

import doctest
import importlib

import pytest

MODULES = ["nn.module", "nn.init", "nn.layers", "nn.losses", "nn.optim", "nn.data", "nn.xor"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
