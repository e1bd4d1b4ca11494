"""nn.serialization: Module.save and Module.load write and read the state-dict file (JSON); every bad file raises
StateDictError naming the file and changes nothing; load is linear in the parameters. (How the file is written
atomically: tests/test_files.py.)"""

import json
import math
import os

import pytest

import nn
from nn import Module, Parameter, StateDictError


class Pair(Module):
    def __init__(self, a=1.0, b=2.0):
        self.w = [Parameter(a), Parameter(b)]


def test_save_load_round_trip(tmp_path):
    a, b = nn.MLP(2, [3, 1], seed=3), nn.MLP(2, [3, 1], seed=4)
    path = tmp_path / "model.json"
    a.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "chaingrad.state_dict" and doc["parameters"] == a.state_dict()
    b.load(str(path))
    assert b.state_dict() == a.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


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
