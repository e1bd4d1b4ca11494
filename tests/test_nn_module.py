"""nn.Module and nn.Parameter: discovery, names, modes, state dicts, save/load and every load error."""

import json
import math
import os

import pytest

import nn
from autograd import Value
from nn import Module, Parameter, StateDictError


class Pair(Module):
    def __init__(self, a=1.0, b=2.0):
        self.w = [Parameter(a), Parameter(b)]
        self.note = "not a parameter"
        self.value = Value(5.0)  # a plain Value is not a parameter


class Tree(Module):
    def __init__(self):
        self.first = Pair(1.0, 2.0)
        self.nested = [(Parameter(3.0), [Parameter(4.0)]), Pair(5.0, 6.0)]
        self.bias = Parameter(7.0)
        self.drop = nn.Dropout(0.5, seed=0)


def test_parameter_is_a_value_marked_as_parameter():
    p = Parameter(1.5, label="p")
    assert isinstance(p, Value) and p.is_parameter and not Value(1.0).is_parameter
    assert (p * 2).data == 3.0 and not hasattr(p, "__dict__")


def test_named_parameters_in_definition_order_with_dotted_names():
    t = Tree()
    names = [n for n, _ in t.named_parameters()]
    assert names == ["first.w.0", "first.w.1", "nested.0.0", "nested.0.1.0", "nested.1.w.0", "nested.1.w.1", "bias"]
    assert [p.data for p in t.parameters()] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_names_become_labels_only_for_unlabelled_parameters():
    t = Tree()
    t.bias.label = "mine"
    t.named_parameters()
    assert t.first.w[1].label == "first.w.1" and t.bias.label == "mine"


def test_shared_parameter_and_module_are_listed_once_and_cycles_terminate():
    t = Tree()
    t.again = t.first  # the same module twice
    t.also = t.bias
    t.parent = [t]  # a cycle
    assert len(t.parameters()) == 7


def test_mlp_names_and_count():
    m = nn.MLP(2, [16, 16, 1], seed=0)
    names = [n for n, _ in m.named_parameters()]
    assert len(names) == 337 == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert names[3 * 3 + 1] == "layers.0.neurons.3.w.1"
    assert names[-1] == "layers.2.neurons.0.b"


def test_zero_grad_train_eval():
    t = Tree()
    for p in t.parameters():
        p.grad = 3.0
    t.zero_grad()
    assert all(p.grad == 0.0 for p in t.parameters())
    assert t.eval() is t
    assert not t.training and not t.first.training and not t.drop.training and not t.nested[1].training
    t.train()
    assert t.training and t.drop.training
    with pytest.raises(TypeError, match="'yes'"):
        t.train("yes")


def test_state_dict_round_trip_and_is_a_copy():
    a, b = nn.MLP(3, [4, 2], seed=1), nn.MLP(3, [4, 2], seed=2)
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    b.load_state_dict(state)
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    state["layers.0.neurons.0.b"] = 99.0
    assert a.layers[0].neurons[0].b.data != 99.0
    x = [0.3, -0.2, 0.9]
    assert [v.data for v in a(x)] == [v.data for v in b(x)]


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda s: s.pop("w.0"), StateDictError, "missing names: 'w.0'"),
        (lambda s: s.update(extra=1.0), StateDictError, "unexpected names: 'extra'"),
        (lambda s: s.update({"w.1": "2"}), TypeError, "'w.1' must be a real number.*'2'"),
        (lambda s: s.update({"w.1": True}), TypeError, "True"),
        (lambda s: s.update({"w.1": [1.0, 2.0]}), TypeError, r"\[1.0, 2.0\]"),
        (lambda s: s.update({"w.1": math.nan}), StateDictError, "finite.*nan"),
    ],
)
def test_every_load_state_dict_error_changes_nothing(change, error, match):
    m = Pair(1.0, 2.0)
    state = {"w.0": 10.0, "w.1": 20.0}
    change(state)
    with pytest.raises(error, match=match):
        m.load_state_dict(state)
    assert [p.data for p in m.parameters()] == [1.0, 2.0]


def test_load_state_dict_refuses_non_dict():
    with pytest.raises(TypeError, match=r"\[1.0, 2.0\]"):
        Pair().load_state_dict([1.0, 2.0])


def test_save_load_round_trip(tmp_path):
    a, b = nn.MLP(2, [3, 1], seed=3), nn.MLP(2, [3, 1], seed=4)
    path = tmp_path / "model.json"
    a.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "chaingrad.state_dict" and doc["parameters"] == a.state_dict()
    b.load(str(path))
    assert b.state_dict() == a.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


def test_save_is_atomic_when_the_rename_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    Pair(1.0, 2.0).save(path)
    before = path.read_text()

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        Pair(8.0, 9.0).save(path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_refuses_non_finite(tmp_path):
    m = Pair(1.0, math.inf)
    with pytest.raises(StateDictError, match=r"w\.1=inf"):
        m.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a chaingrad state dict"),
        ('{"format": "other"}', "not a chaingrad state dict"),
        ('{"format": "chaingrad.state_dict", "version": 99, "parameters": {}}', "version 99"),
        ('{"format": "chaingrad.state_dict", "version": 1}', 'no "parameters"'),
        ('{"format": "chaingrad.state_dict", "version": 1, "parameters": {"w.0": 1.0}}', "missing names: 'w.1'"),
    ],
)
def test_every_load_file_error_changes_nothing(tmp_path, text, match):
    path = tmp_path / "bad.json"
    path.write_text(text)
    m = Pair(1.0, 2.0)
    with pytest.raises(StateDictError, match=match):
        m.load(path)
    assert [p.data for p in m.parameters()] == [1.0, 2.0]


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Pair().load(tmp_path / "nope.json")


def test_module_without_init_call_and_repr():
    class Empty(Module):
        pass

    assert Empty().parameters() == [] and Empty().training
    assert repr(Pair()) == "Pair(2 parameters)"


# ---- hardening: large models, every kind of bad file, failed saves ----


class Wide(Module):
    def __init__(self, n, start=0.0):
        self.w = [Parameter(start + i) for i in range(n)]


def test_load_is_linear_100k_parameters(tmp_path):
    # quadratic before (a set of all names rebuilt for every name): minutes; now well under a second
    path = tmp_path / "wide.json"
    Wide(100_000).save(path)
    m = Wide(100_000, start=0.5)
    m.load(path)
    assert m.w[0].data == 0.0 and m.w[-1].data == 99_999.0


GOOD = '{"format": "chaingrad.state_dict", "version": 1, "parameters": {"w.0": 1.5, "w.1": 2.5}}'


@pytest.mark.parametrize(
    "content, match",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (GOOD.replace("1.5", "1" * 5000).encode(), "number JSON cannot read"),
        (GOOD.replace("1.5", "1" + "0" * 400).encode(), "'w.0' must be a finite float.*beyond float range"),
        (b'\xff\xfe{"format": 1}', "not UTF-8 text"),
        (GOOD.replace("2.5", '"\xe9"').encode("latin-1"), "not UTF-8 text"),
        (GOOD.replace('"version": 1', '"version": true').encode(), "version True"),
        (GOOD.replace('"version": 1', '"version": 1.0').encode(), "version 1.0"),
        (GOOD.replace("2.5", "[2.5]").encode(), r"'w.1' must be a real number.*\[2.5\] of type list"),
        (GOOD.replace("2.5", '{"x": 2.5}').encode(), "'w.1' must be a real number"),
        (GOOD.replace("2.5", "null").encode(), "'w.1' must be a real number.*None"),
        (GOOD.replace("2.5", "true").encode(), "'w.1' must be a real number.*True"),
        (GOOD.replace('{"w.0": 1.5, "w.1": 2.5}', "[1.5, 2.5]").encode(), 'no "parameters" object.*list'),
        (GOOD.replace(', "w.1": 2.5', "").encode(), "missing names: 'w.1'"),
        (GOOD.replace("2.5}", '2.5, "w.2": 3.5}').encode(), "unexpected names: 'w.2'"),
        (GOOD.replace("2.5}", '2.5, "w.1": 3.5}').encode(), "names 'w.1' twice"),
        (GOOD.replace("2.5", "NaN").encode(), "'w.1' must be finite, got nan"),
        (GOOD.replace("2.5", "-Infinity").encode(), "'w.1' must be finite, got -inf"),
        (GOOD.replace("2.5", "1e999").encode(), "'w.1' must be finite, got inf"),
        (b"", "not valid JSON"),
        (b"\x00\x01\x02", "not valid JSON"),
    ],
)
def test_every_bad_file_raises_state_dict_error_naming_the_file(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    m = Pair(1.0, 2.0)
    with pytest.raises(StateDictError, match=match) as exc:
        m.load(path)
    assert str(path) in str(exc.value) and len(str(exc.value)) < 600
    assert [p.data for p in m.parameters()] == [1.0, 2.0]
    path.write_text(GOOD)
    m.load(path)  # the good file, for comparison
    assert [p.data for p in m.parameters()] == [1.5, 2.5]


def test_load_state_dict_refuses_integers_beyond_float_range():
    m = Pair(1.0, 2.0)
    with pytest.raises(StateDictError, match=r"'w\.1' must be a finite float.*beyond float range"):
        m.load_state_dict({"w.0": 1, "w.1": 10**400})
    assert [p.data for p in m.parameters()] == [1.0, 2.0]


def test_failed_save_names_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "missing" / "m.json"
    with pytest.raises(FileNotFoundError) as exc:
        Pair().save(target)
    assert exc.value.filename == str(target) and "chaingrad-tmp" not in str(exc.value)
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(OSError) as exc:
        Pair().save(tmp_path / "folder.json")  # the target is a directory: the rename fails
    assert exc.value.filename == str(tmp_path / "folder.json") and "chaingrad-tmp" not in str(exc.value)
    assert os.listdir(tmp_path) == ["folder.json"] and os.listdir(tmp_path / "folder.json") == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_no_temporary_file_after_an_error_while_writing(tmp_path, monkeypatch, error):
    def fail(fd):
        raise error

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(error)) as exc:
        Pair().save(tmp_path / "m.json")
    if isinstance(error, OSError):
        assert exc.value.filename == str(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "m.json"
    script = (
        "import os, signal, nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self): self.b = nn.Parameter(1.0)\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"  # killed in the middle of save
        f"M().save({str(target)!r})\n"
    )
    if os.name != "posix":
        pytest.skip("SIGKILL and the process check are POSIX")
    subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith("m.json.") and left[0].endswith(".chaingrad-tmp")
    (tmp_path / "other.json.1.abcdef12.chaingrad-tmp").write_text("not ours: another target")
    Pair().save(target)
    assert sorted(os.listdir(tmp_path)) == ["m.json", "other.json.1.abcdef12.chaingrad-tmp"]


def test_save_follows_a_link_and_refuses_what_is_not_a_regular_file(tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    Pair(0.0, 0.0).save(real)
    link.symlink_to(real)
    Pair(1.0, 2.0).save(link)  # the file the link names is updated; the link stays a link
    assert link.is_symlink() and os.readlink(link) == str(real)
    m = Pair()
    m.load(real)
    assert [p.data for p in m.parameters()] == [1.0, 2.0]
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "folder.json").mkdir()
    for name in ("fifo.json", "folder.json"):
        with pytest.raises(FileExistsError, match=rf"save: refusing to replace .*{name}'.*not a regular file"):
            Pair().save(tmp_path / name)
    assert (tmp_path / "fifo.json").is_fifo() and (tmp_path / "folder.json").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["fifo.json", "folder.json", "link.json", "real.json"]


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    target = tmp_path / "m.json"
    target.write_text("{}")
    target.chmod(0o600)
    Pair().save(target)
    assert target.stat().st_mode & 0o777 == 0o600


def test_save_uses_the_umask(tmp_path):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    old = os.umask(0o022)
    try:
        Pair().save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644
