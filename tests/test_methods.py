"""autograd.methods: the table's ops as methods and operators of Value and Dual (OpMethods), one visible line
per op, and `real`, how the methods take a number."""

import pathlib
import re

import pytest
from op_cases import table_line

from autograd import Value, ops
from autograd.forward import Dual
from autograd.methods import OpMethods, real

SOURCE = pathlib.Path(ops.__file__).with_name("methods.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("op", ops.CALLED_BY_NAME, ids=lambda op: op.name)
def test_every_op_called_by_name_has_its_method_line(op):
    line = table_line(op)
    assert "    " + line in SOURCE.splitlines() or f"    def {op.name}(" in SOURCE, (
        f"autograd/methods.py lacks the method of {op.name!r}: add the line {line!r} to OpMethods"
    )
    for cls in (Value, Dual):
        assert callable(getattr(cls, op.name, None)), f"{cls.__name__} has no method {op.name!r}"


def test_every_method_is_an_op_of_the_table():
    names = {op.name for op in ops.CALLED_BY_NAME}
    methods = {n for n, f in vars(OpMethods).items() if callable(f) and not n.startswith("_")}
    assert methods == names, f"methods without an op of the table: {sorted(methods - names)}"
    # Value adds only its graph, backward and the fast paths of table ops (tanh, relu)
    value_only = {n for n in vars(Value) if not n.startswith("_")} - names
    graph = {"data", "grad", "label", "scope", "op", "children", "local_grads", "is_leaf", "is_parameter"}
    graph |= {"is_constant", "path"}  # how every view names a node (autograd.names)
    assert value_only <= graph | {"backward", "zero_grad"}, sorted(value_only)


def test_methods_are_written_out_not_set_from_a_loop():
    """Each op's method is a line of the class body that type checkers and editors read, not a setattr."""
    assert "setattr" not in SOURCE and not re.search(r"^\s*for .+ in .+:$", SOURCE, re.M)


def test_operators_on_both_sides_keep_the_number_as_written():
    x = Value(2.0)
    for node, first in [(3 - x, 3.0), (x - 3, 2.0), (3 / x, 3.0), (2**x, 2.0), (7 % x, 7.0)]:
        assert node.children[0].data == first, node


@pytest.mark.parametrize("good, expected", [(3, 3.0), (2.5, 2.5), (-0.0, -0.0)])
def test_real_takes_ints_and_floats(good, expected):
    got = real(good, "n")
    assert type(got) is float and got == expected


@pytest.mark.parametrize("bad", [True, "1", None, 1j, [1.0]])
def test_real_refuses_everything_else_naming_what(bad):
    with pytest.raises(
        TypeError, match=rf"^clamp\(lo=...\) must be a real number \(int or float\), got {re.escape(repr(bad))} of type"
    ):
        real(bad, "clamp(lo=...)")
