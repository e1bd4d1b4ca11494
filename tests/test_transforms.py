"""grad and value_and_grad: floats in, floats out; Values in, Values out (so transforms nest); argnums."""

import math

import pytest

from autograd import Value, grad, no_grad, value_and_grad


def test_textbook_graph_gradients():
    # reference-values.md section 1: L = c(a + 2b) at a = 3, b = 1, c = -2
    L = lambda a, b, c: c * (a + 2 * b)  # noqa: E731
    value, grads = value_and_grad(L, argnums=(0, 1, 2))(3.0, 1.0, -2.0)
    assert value == -10.0
    assert grads == (-2.0, -4.0, 5.0)
    assert grad(L)(3.0, 1.0, -2.0) == -2.0
    assert grad(L, argnums=2)(3.0, 1.0, -2.0) == 5.0


def test_sigmoid_unit_of_the_notes():
    # reference-values.md section 2: y = sigmoid(w.x + b) = 0.704746 at z = 0.87; dy/db = y(1 - y)
    def unit(b):
        w, x = [0.2, 0.3, 0.9], [0.5, 0.6, 0.1]
        return (sum(wi * xi for wi, xi in zip(w, x)) + b).sigmoid()

    y, dy = value_and_grad(unit)(0.5)
    assert y == pytest.approx(0.704746, abs=5e-7)
    assert dy == pytest.approx(0.704746 * (1 - 0.704746), abs=5e-6)


def test_numbers_give_floats():
    value, g = value_and_grad(lambda x: x * x)(3)
    assert type(value) is float and type(g) is float
    assert (value, g) == (9.0, 6.0)


def test_values_give_values_with_their_own_graph():
    x = Value(3.0, label="x")
    value, g = value_and_grad(lambda x: x * x * x)(x)
    assert isinstance(value, Value) and isinstance(g, Value)
    assert g.data == 27.0  # 3 x^2
    g.backward()
    assert x.grad == 18.0  # d(3 x^2)/dx = 6x
    assert x.grad == pytest.approx((3 * 3.001**2 - 3 * 2.999**2) / 0.002)


def test_second_derivative_of_tanh():
    # the example: d2/dx2 tanh(x) = -2 tanh(x)(1 - tanh(x)^2), at 0.5
    t = math.tanh(0.5)
    assert grad(grad(lambda x: x.tanh()))(0.5) == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_third_derivative_by_hand():
    # d3/dx3 x^4 = 24 x; d3/dx3 e^(2x) = 8 e^(2x)
    assert grad(grad(grad(lambda x: x**4)))(1.5) == pytest.approx(36.0)
    assert grad(grad(grad(lambda x: (2 * x).exp())))(0.3) == pytest.approx(8 * math.exp(0.6))


def test_mixed_partial_through_nesting():
    # f = x^2 y^3: d/dy (d/dx f) = 6 x y^2
    f = lambda x, y: x**2 * y**3  # noqa: E731
    dfdx = grad(f, argnums=0)
    assert grad(dfdx, argnums=1)(2.0, 3.0) == pytest.approx(6 * 2 * 9)


def test_tuple_argnums_returns_tuple_even_for_one():
    g = grad(lambda x, y: x * y, argnums=(1,))(3.0, 4.0)
    assert g == (3.0,)


def test_same_value_twice_gives_each_position_its_partial():
    x = Value(2.0)
    gx, gy = grad(lambda a, b: a * b * b, argnums=(0, 1))(x, x)
    assert (gx.data, gy.data) == (4.0, 8.0)  # b^2 and 2ab at a = b = 2


def test_unused_argument_has_zero_gradient():
    assert grad(lambda x, y: x.exp(), argnums=(0, 1))(0.0, 5.0) == (1.0, 0.0)
    g = grad(lambda x, y: x * 2, argnums=1)(Value(1.0), Value(5.0))
    assert isinstance(g, Value) and g.data == 0.0


def test_closure_over_an_outer_transforms_input():
    # d/dy [d/dx (x y)] = d/dy y = 1: the inner grad must return a Value that depends on y
    assert grad(lambda y: grad(lambda x: x * y)(1.0))(3.0) == 1.0
    # d/dy [d/dx (x^2 y^2) at x = 2] = d/dy (4 y^2) = 8 y
    assert grad(lambda y: grad(lambda x: x * x * y * y)(2.0))(3.0) == pytest.approx(24.0)


def test_non_differentiated_arguments_pass_through():
    def f(w, data):
        return sum((w * x for x in data), Value(0.0))

    assert grad(f)(2.0, [1.0, 2.0, 3.0]) == 6.0


def test_inputs_grads_are_untouched():
    w = Value(1.5)
    grad(lambda x: x * w)(2.0)
    assert w.grad == 0.0  # the transform does not write .grad on the user's Values


def test_works_inside_no_grad():
    # a transform records its own graph, as torch.func.grad does under torch.no_grad
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x * x * x))(2.0) == 12.0


def test_errors_name_the_transform_and_the_bad_value():
    with pytest.raises(TypeError, match=r"^grad: f must be callable, got 3$"):
        grad(3)
    with pytest.raises(TypeError, match=r"^value_and_grad: f must be callable, got None$"):
        value_and_grad(None)
    with pytest.raises(
        TypeError,
        match=r"^grad: argnums must be an int >= 0 or a non-empty tuple of distinct "
        r"ints >= 0, got \[0\]$",
    ):
        grad(lambda x: x, argnums=[0])
    for bad in ((), (0, 0), -1, (1, "a"), True):
        with pytest.raises(TypeError, match="argnums must be"):
            grad(lambda x: x, argnums=bad)
    with pytest.raises(
        IndexError,
        match=r"^grad: argnums 2 asks for argument 2, but the function was called "
        r"with 1 argument\(s\)$",
    ):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(
        TypeError,
        match=r"^grad: argument 0 must be a Value or a real number \(it is "
        r"differentiated, see argnums\), got 'a' of type str$",
    ):
        grad(lambda x: x)("a")
    with pytest.raises(
        TypeError,
        match=r"^value_and_grad: f must return a Value \(a scalar built from its "
        r"arguments\), got 2.0 of type float$",
    ):
        value_and_grad(lambda x: 2.0)(1.0)
