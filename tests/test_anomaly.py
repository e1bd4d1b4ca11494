"""detect_anomaly(): the first NaN or infinity raises at once, naming the op, its operands and the
user's line; backward's gradients are checked too; outside the block nothing is checked."""

import asyncio
import inspect
import math

import pytest

from autograd import AnomalyError, Value, detect_anomaly, grad, is_grad_enabled, no_grad, sum_values

HERE = __file__


def line_after():
    """The line number just after the caller's line: where the next statement of the test is."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_nan_value_names_op_operands_and_line():
    a, b = Value(math.inf, label="a"), Value(-math.inf)
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        line = line_after()
        c = a + b  # noqa: F841
    assert str(e.value) == (
        f"op '+' produced the value nan from operands a = inf, b = -inf; "  # b: the unlabelled one's name
        f"node created at {HERE}:{line} in test_nan_value_names_op_operands_and_line: "
        f"c = a + b  # noqa: F841"
    )


def test_overflow_to_inf_in_a_product():
    with (
        pytest.raises(
            AnomalyError,
            match=r"^op '\*' produced the value inf from operands w = 1e\+200, a = 1e\+200; node created at ",
        ),
        detect_anomaly(),
    ):
        Value(1e200, label="w") * Value(1e200)


def test_infinite_local_derivative_is_caught_in_the_forward_pass():
    # sqrt(x^2) at 0: the value 0 is fine, but d sqrt/du = inf would make backward produce NaN
    x = Value(0.0, label="x")
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        line = line_after()
        y = (x * x) ** 0.5  # noqa: F841
    assert str(e.value).startswith(
        "op '**0.5' produced a local derivative inf with respect to operand a = x·x = 0.0 "
        "(operands a = x·x = 0.0, value 0.0); node created at "
    )
    assert f"{HERE}:{line} in test_infinite_local_derivative_is_caught_in_the_forward_pass" in str(e.value)


def test_location_is_the_users_line_not_the_library():
    # x - y runs through __sub__, __neg__, __mul__, __add__ and _node: all inside autograd/
    def model(x, y):
        return sum_values([x - y, (x * 1e300) * 1e300])

    with pytest.raises(AnomalyError) as e, detect_anomaly():
        model(Value(2.0), Value(1.0))
    msg = str(e.value)
    # the operands as every view names them: x * 1e300 is b (x, unlabelled, is a), the constant as written
    assert msg.startswith("op '*' produced the value inf from operands b = a·1e+300 = 2e+300, 1e+300; node created at ")
    assert f"{HERE}:" in msg and "in model: return sum_values([x - y, (x * 1e300) * 1e300])" in msg
    assert "autograd" + "/engine.py" not in msg


def test_backward_gradients_are_checked():
    # the graph is finite, its gradient is not: d/dx (x * 1e300) * 1e300 with seed 1e10 overflows
    x = Value(2.0, label="x")
    with detect_anomaly():
        y = x * 1e300
        line = inspect.currentframe().f_lineno - 1
        with pytest.raises(AnomalyError) as e:
            y.backward(1e10)
    assert str(e.value) == (
        f"backward: the gradient of the leaf x = 2.0 is inf: from op '*' (value 2e+300, "
        f"created at {HERE}:{line} in test_backward_gradients_are_checked: y = x * 1e300), "
        f"local derivative 1e+300 times its gradient 10000000000.0"
    )


def test_backward_names_a_graph_built_outside_the_block():
    x = Value(0.0, label="x")
    y = (x * x) ** 0.5  # outside detect_anomaly: not checked in the forward pass
    with detect_anomaly(), pytest.raises(AnomalyError) as e:
        y.backward()
    assert str(e.value) == (
        "backward: the gradient of the '*' node a = x·x = 0.0 is inf: from op '**0.5' (value 0.0, "
        "created at a place outside detect_anomaly()), local derivative inf times its gradient 1.0"
    )


def test_backward_seed_and_overflowing_sums():
    with detect_anomaly():
        with pytest.raises(
            AnomalyError,
            match=r"^backward: the gradient of the '\*' node L = a·2 = 2.0 is nan: the seed grad "
            r"passed to backward\(\) is not finite$",
        ):
            (Value(1.0) * 2).backward(math.nan)
        x = Value(1.0)
        y = x * 1.0 + x * 1.0  # with seed 1e308 each path gives x a finite 1e308, their sum is not
        with pytest.raises(
            AnomalyError,
            match=r"^backward: the gradient of the leaf a = 1.0 is inf: the sum of its "
            r"finite contributions overflowed$",
        ):
            y.backward(1e308)


def test_create_graph_gradients_are_checked_as_ops():
    x = Value(1e200)
    y = x * x * 1e-300  # 1e100: finite
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^op '\*' produced the value inf"):
        y.backward(1e300, create_graph=True)


def test_no_anomaly_without_the_block_and_mode_restored():
    nan = Value(math.inf) + Value(-math.inf)  # silently NaN outside the block, as in PyTorch
    assert math.isnan(nan.data)
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(math.nan) * 1.0
    assert math.isnan((Value(math.nan) * 1.0).data)  # the mode ended with the exception


def test_nesting_with_no_grad_and_transforms():
    with detect_anomaly():
        with no_grad():
            assert not is_grad_enabled()
            with pytest.raises(AnomalyError):
                Value(math.inf) * 0.0  # checked even when no graph is recorded
        with detect_anomaly():
            ok = Value(2.0) * 3.0
        assert ok.data == 6.0
        assert grad(lambda x: x * x)(3.0) == 6.0
        with pytest.raises(AnomalyError, match=r"produced a local derivative inf"):
            grad(lambda x: (x * x) ** 0.5)(0.0)
    assert is_grad_enabled()


def test_mode_is_per_task():
    async def inside():
        with detect_anomaly():
            await asyncio.sleep(0.01)
            with pytest.raises(AnomalyError):
                Value(math.inf) - math.inf

    async def outside():
        await asyncio.sleep(0.005)
        return (Value(math.inf) - math.inf).data

    async def both():
        return await asyncio.gather(inside(), outside())

    assert math.isnan(asyncio.run(both())[1])


def test_anomaly_error_is_a_floating_point_error():
    assert issubclass(AnomalyError, FloatingPointError)


def test_a_node_made_inside_nn_also_names_the_users_line():
    import nn

    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w[0].data = 10.0  # 10 * 1e308 overflows
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        line = line_after()
        neuron([1e308, 1e308])
    msg = str(e.value)
    assert "nn/layers.py:" in msg.replace("\\", "/")
    assert msg.endswith(
        f"(called from {HERE}:{line} in test_a_node_made_inside_nn_also_names_the_users_line: neuron([1e308, 1e308]))"
    )


def test_memory_stays_flat_in_a_long_anomaly_mode_loop():
    import tracemalloc

    w, b, x = Value(0.5, label="w"), Value(0.1, label="b"), Value(2.0, label="x")

    def step(i):
        y = (w * float(i % 7) + b).tanh() * 2.0
        y.backward()

    with detect_anomaly():
        held = x * 1e300  # made before the loop and still held after it: its line is not forgotten
        line = inspect.currentframe().f_lineno - 1
        for i in range(3000):  # warm up: caches, the registry's first prunes
            step(i)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(20_000):  # about 80,000 nodes: 30 MB if every node were kept
                step(i)
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 3_000_000, grown
        with pytest.raises(AnomalyError, match=f"created at {HERE}:{line} in test_memory_stays_flat"):
            held.backward(1e10)


def test_a_constants_gradient_is_not_checked():
    # y = x * 1e-300: x's gradient (1e-290) is finite, the constant's (1e308 * 1e10) is not; a constant
    # carries no gradient in any view, so anomaly mode does not stop on it
    x = Value(1e308, label="x")
    with detect_anomaly():
        y = x * 1e-300
        y.backward(1e10)
    assert x.grad == pytest.approx(1e-290) and math.isinf(y.children[1].grad)
