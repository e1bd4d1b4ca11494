"""autograd.functions: the table's ops as functions (``autograd.sin(x)``), one visible line per op, exported by
the package from functions.__all__; each makes the same node as the method of the same name."""

import pathlib
import re

import pytest
from op_cases import table_line

import autograd
from autograd import Value, functions, ops
from autograd.engine import op_of
from autograd.forward import Dual

SOURCE = pathlib.Path(functions.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize("op", ops.CALLED_BY_NAME, ids=lambda op: op.name)
def test_every_op_called_by_name_has_its_function_line(op):
    line = table_line(op)
    assert line in SOURCE.splitlines() or f"\ndef {op.name}(" in SOURCE, (
        f"autograd/functions.py lacks the function of {op.name!r}: add the line {line!r}"
    )
    assert op.name in functions.__all__, f"autograd/functions.py: add {op.name!r} to __all__"
    assert getattr(autograd, op.name) is getattr(functions, op.name) and op.name in autograd.__all__, op.name


def test_the_functions_are_the_ops_called_by_name_and_nothing_else():
    assert sorted(functions.__all__) == sorted(op.name for op in ops.CALLED_BY_NAME)
    assert len(set(functions.__all__)) == len(functions.__all__)
    assert "setattr" not in SOURCE and not re.search(r"^\s*for .+ in .+:$", SOURCE, re.M)


@pytest.mark.parametrize("op", ops.CALLED_BY_NAME, ids=lambda op: op.name)
def test_the_function_and_the_method_make_the_same_node(op):
    xs = op.sample_points()[0]
    via_function = getattr(autograd, op.name)(*xs, *op.params)
    via_method = getattr(Value(xs[0]), op.name)(*[Value(x) for x in xs[1:]], *op.params)
    assert op_of(via_function).title == op_of(via_method).title == op.title
    assert via_function.data == via_method.data or (via_function.data != via_function.data)


def test_a_number_gives_a_constant_value_and_a_dual_a_dual():
    y = autograd.sin(0.5)
    assert isinstance(y, Value) and y.children[0].is_leaf and y.children[0].data == 0.5
    assert isinstance(autograd.maximum(Dual(1.0, 1.0), 2.0), Dual)
    assert autograd.log(8.0, 2).data == 3.0 and autograd.clamp(Value(5.0), hi=1).data == 1.0
