"""autograd.grad_mode: no_grad and enable_grad (blocks, decorators of functions, generators and coroutines, per
thread), and named scopes; each restored on exit, also on error."""

import threading

import pytest

from autograd import Value, enable_grad, is_grad_enabled, no_grad, scope


def test_no_grad_builds_no_graph_and_restores_on_exit():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
    assert is_grad_enabled()
    assert y.data == 5.0 and y.is_leaf
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_no_grad_nests_and_works_as_decorator():
    @no_grad()
    def f(v):
        return v * v

    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert f(Value(3.0)).is_leaf
    assert is_grad_enabled()


def test_no_grad_is_per_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        inside.wait()
        seen["thread"] = (Value(2.0) * 3.0).is_leaf
        release.set()

    t = threading.Thread(target=worker)
    t.start()
    with no_grad():
        inside.set()
        release.wait(10)
    t.join()
    assert seen["thread"] is False


def test_no_grad_decorates_a_generator_function():
    @no_grad()
    def gen(x):
        for _ in range(2):
            assert not is_grad_enabled()
            got = yield x * x
            assert got == "sent"
        return "done"

    g = gen(Value(3.0))
    first = next(g)
    assert first.is_leaf and first.data == 9.0
    assert is_grad_enabled()  # the caller's mode is untouched between steps
    assert g.send("sent").is_leaf
    with pytest.raises(StopIteration) as stop:
        g.send("sent")
    assert stop.value.value == "done"


def test_no_grad_decorates_a_coroutine():
    import asyncio

    @no_grad()
    async def f(x):
        await asyncio.sleep(0)
        assert not is_grad_enabled()
        return x * x

    y = asyncio.run(f(Value(2.0)))
    assert y.is_leaf and y.data == 4.0 and is_grad_enabled()


def test_no_grad_refuses_an_async_generator():
    with pytest.raises(TypeError, match=r"cannot decorate the async generator"):

        @no_grad()
        async def agen():
            yield 1


def test_enable_grad_inside_no_grad_and_restored_on_error():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * x
        assert not is_grad_enabled()
        with pytest.raises(RuntimeError), enable_grad():
            raise RuntimeError("boom")
        assert not is_grad_enabled()
    assert len(y.children) == 2 and is_grad_enabled()

    @enable_grad()
    def f():
        return x * x

    with no_grad():
        assert not f().is_leaf


def test_scope_names_nodes_nests_and_is_restored_on_exit_and_on_error():

    with scope("outer"):
        with scope("inner"):
            y = Value(2.0) * 3
        z = y + 1
        with pytest.raises(ValueError, match="division by zero"), scope("failing"):
            _ = Value(1.0) / 0
        after_error = z * 2
    outside = z - 1
    assert (y.scope, z.scope, after_error.scope, outside.scope) == (("outer", "inner"), ("outer",), ("outer",), ())
    with no_grad(), scope("s"):
        assert (Value(1.0) + 1).is_leaf  # a scope keeps the mode's flags
    with pytest.raises(TypeError, match="non-empty str, got ''"):
        scope("")
