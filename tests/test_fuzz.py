"""Fuzzing of the hardened edges: state-dict files, labels in every drawing, the command line, optimizers,
hostile paths for every function that takes one, and oversized inputs. Each property: a documented
exception or a correct result, nothing changed on failure, never a traceback from the command line, and
never a file touched that the call was not told to write.

The extreme floats (±1e308, 5e-324, ±inf, NaN) for every op, in every mode, are in tests/test_ops.py
(test_the_policy_at_extreme_floats*), not repeated here.

Every input tried is counted, with whether it was refused; the totals are printed at the end of the module
("fuzz: ..."), the figures the hardening issues report."""

import collections
import contextlib
import hashlib
import io
import json
import math
import os
import pathlib
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value, draw, draw_steps
from autograd.cli import main
from autograd.draw.notation import cut
from nn import Module, Parameter, StateDictError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (kind of input, "refused" or "accepted") -> how many were tried
TALLY: collections.Counter = collections.Counter()


def tally(kind, refused):
    TALLY[kind, "refused" if refused else "accepted"] += 1


@pytest.fixture(scope="module", autouse=True)
def report_tally(request):
    yield
    kinds = sorted({k for k, _ in TALLY})
    if not kinds:
        return
    tried = sum(TALLY.values())
    refused = sum(n for (_, outcome), n in TALLY.items() if outcome == "refused")
    parts = [f"{k} {TALLY[k, 'accepted'] + TALLY[k, 'refused']} ({TALLY[k, 'refused']} refused)" for k in kinds]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfuzz: {tried} inputs tried, {refused} refused: " + "; ".join(parts))


class Three(Module):
    def __init__(self):
        self.w = [Parameter(1.0), Parameter(2.0)]
        self.b = Parameter(3.0)


NAMES = ["w.0", "w.1", "b"]
BEFORE = [1.0, 2.0, 3.0]

# ---- state dicts and files ----

json_scalars = st.one_of(st.none(), st.booleans(), st.floats(), st.integers(-(10**400), 10**400), st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)
near_states = st.dictionaries(
    st.sampled_from(NAMES) | st.text(max_size=6),
    st.floats() | st.integers(-(10**400), 10**400) | json_values,
    max_size=5,
)
numbers = st.floats() | st.integers(-(10**400), 10**400) | st.sampled_from([10**309, -(10**400), True, 2**1023])
states = st.one_of(
    near_states,
    st.fixed_dictionaries({n: numbers for n in NAMES}),
    st.fixed_dictionaries({n: numbers | json_values for n in NAMES}),
    json_values,
)


def unchanged(m):
    return [m.w[0].data, m.w[1].data, m.b.data] == BEFORE and [m.w[0].label, m.w[1].label, m.b.label] == [""] * 3


def check_load_state_dict(state):
    m = Three()
    try:
        m.load_state_dict(state)
    except (StateDictError, TypeError):
        tally("state dicts", True)
        assert unchanged(m)
        return
    tally("state dicts", False)
    assert [p.data for p in m.parameters()] == [float(state[n]) for n in NAMES]
    assert all(type(p.data) is float and math.isfinite(p.data) for p in m.parameters())


@FAST
@given(states)
def test_random_states_into_load_state_dict(state):
    check_load_state_dict(state)


def check_load_file(content):
    m = Three()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzz.json")
        with open(path, "wb") as f:
            f.write(content)
        try:
            m.load(path)
        except StateDictError as e:
            tally("state files", True)
            assert path in str(e) and len(str(e)) < 1000
            assert unchanged(m)
            return
    tally("state files", False)
    assert all(type(p.data) is float and math.isfinite(p.data) for p in m.parameters())


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_into_load(content):
    check_load_file(content)


documents = st.fixed_dictionaries(
    {
        "format": st.just("chaingrad.state_dict") | json_values,
        "version": st.sampled_from([1, True, 1.0, 0, "1", None]) | json_values,
        "parameters": states,
    }
)


@FAST
@given(documents | json_values)
def test_random_json_into_load(doc):
    check_load_file(json.dumps(doc).encode())


@settings(max_examples=20, deadline=None)
@given(
    st.sampled_from(["[", '{"a":', '{"format": "chaingrad.state_dict", "version": 1, "parameters": ']),
    st.integers(1, 200_000),
)
def test_deeply_nested_json_into_load(opening, depth):
    closing = {"[": "]", '{"a":': "}"}.get(opening, "}")
    check_load_file((opening * depth + "1" + closing * depth).encode())


# ---- labels in every drawing ----

SPECIAL = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\u202e",
    "\u2066",
    "\u200f",
    "\ufeff",
    "\ufffe",
    "\ud800",
    '"',
    "'",
    "\\",
    "\\N",
    "\\G",
    "\\l",
    "<!--",
    "-->",
    "</script>",
    "<script>",
    "]]>",
    "&amp;",
    "<B>",
    "\n",
    "\r\n",
    "\r",
    "{",
    "}",
    "|",
    "🙂",
    "e\u0301",
]
labels = st.tuples(
    st.lists(
        st.sampled_from(SPECIAL) | st.text(st.characters(blacklist_categories=()), max_size=6), min_size=1, max_size=6
    ).map("".join),
    st.sampled_from([1, 1, 1, 3, 1000, 100_000]),
).map(lambda t: (t[0] * t[1])[:100_000])


def svg_ok(svg):
    root = ET.fromstring(svg)  # valid XML
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert all(len(t) < 1000 for t in texts)  # 80 characters, each at most 6 when escaped
    return texts


@needs_dot
@SLOW
@given(labels, labels)
def test_random_labels_in_every_view_and_the_stepper(tmp_path_factory, x_label, y_label):
    assume(x_label.strip() and y_label.strip())
    tally("labels in drawings", False)
    x = Value(1.5, label=x_label)
    y = x * 2.0
    y.label = y_label
    y.backward()
    for view in ("forward", "backward"):
        texts = svg_ok(draw(y, view=view).pipe(format="svg"))
        if len(x_label) > 80:
            assert any("…" in t for t in texts)
    out = tmp_path_factory.mktemp("steps")
    files = draw_steps(y, out, format="svg")
    for frame in files.frames:
        svg_ok(frame.read_bytes())
    page = files.html.read_text(encoding="utf-8")
    template = (pathlib.Path(autograd.__file__).parent / "draw" / "player.html").read_text(encoding="utf-8")
    assert page.count("<script") == template.count("<script") == page.count("</script>")
    assert page.count("<!--") == template.count("<!--")  # only the template's own comment
    captions = json.loads(re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page)[1])[
        "views"
    ][0]["captions"]
    # the seed, then one step per edge that carries a gradient: x's, not the constant 2's
    assert len(captions) == 2 and any(cut(x_label) in c for c in captions)


# ---- the command line ----

TOKENS = [
    "a",
    "b",
    "2",
    "0",
    "1e308",
    "-",
    "+",
    "*",
    "/",
    "**",
    "(",
    ")",
    "exp",
    "log",
    "tanh(",
    "relu(",
    ",",
    "[",
    "]",
    ".",
    "lambda",
    ":",
    "if",
    "else",
    "<",
    "@",
    "%",
    "~",
    "not",
    "'s'",
    "x=",
    "\x00",
    "\\",
    "#",
    "\n",
    "1" * 500,
    "{",
    "}",
    "sin(",
    ":=",
    "yield",
    "await",
    "*a",
    "**a",
    "\ud800",
    "\u202e",
    "1j",
    "...",
]
expressions = st.one_of(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map(" ".join),
    st.text(st.characters(blacklist_categories=()), min_size=1, max_size=50),
    # a valid construct (allowed or not) around a deep chain of one operator: 330+ levels broke the messages
    st.tuples(
        st.sampled_from(
            [
                "{}",
                "x[{}]",
                "exp(a, {})",
                "1 < {}",
                "[{}]",
                "lambda: {}",
                "{{{}}}",
                "({})",
                "a if {} else a",
                "sin({})",
                "({}).b",
                "exp({}, x=1)",
                "a @ {}",
                "f'{{{}}}'",
            ]
        ),
        st.sampled_from(["-", "~", "not ", "a+", "a**", "x.", "a if a else ", "a<", "-exp("]),
        st.sampled_from([1, 199, 330, 1000, 2000, 3000]) | st.integers(1, 3000),
    ).map(lambda t: t[0].format(t[1] * t[2] + "a" + ")" * t[2] * (t[1] == "-exp("))),
)


@FAST
@given(expressions, st.lists(st.sampled_from(["a=1", "b=-2", "a=0", "b=1e300", "c", "=", "a=nan"]), max_size=3))
def test_random_expressions_exit_0_or_2_with_one_line(expression, assignments):
    assume(expression != "-")  # '-' reads the expression from stdin
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--", expression, *assignments])
    out, err = out.getvalue(), err.getvalue()
    tally("command lines", code != 0)
    if code == 0:
        assert err == "" and " = " in out.splitlines()[0]
    else:
        assert code == 2, (code, err)
        assert err.count("\n") == 1 and err.startswith("python -m autograd: error: "), err
        assert "Traceback" not in err and "internal error" not in err, err


# ---- optimizers ----

gradients = st.floats() | st.sampled_from(
    [1e154, 1.3e154, -1e160, 1e300, 1.7e308, -1.7e308, 5e-324, math.nan, math.inf, -math.inf]
)
makers = st.sampled_from(
    [
        ("SGD", lambda ps: nn.SGD(ps, lr=0.1)),
        ("SGD", lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9)),
        ("Adam", lambda ps: nn.Adam(ps, lr=0.1)),
        ("Adagrad", lambda ps: nn.Adagrad(ps, lr=0.1)),
    ]
)


@FAST
@given(makers, st.lists(st.tuples(st.floats(-1e300, 1e300), gradients), min_size=1, max_size=5))
def test_optimizers_with_random_gradients(maker, pairs):
    kind, make = maker
    ps = [Parameter(d, label=f"p{i}") for i, (d, _) in enumerate(pairs)]
    for p, (_, g) in zip(ps, pairs):
        p.grad = g
    opt = make(ps)
    try:
        opt.step()
    except nn.NonFiniteGradientError as e:
        tally("optimizer steps", True)
        assert re.search(r"parameter 'p\d+'", str(e))
        assert [p.data for p in ps] == [d for d, _ in pairs]  # nothing changed
        assert all(math.isfinite(g) for _, g in pairs) or "detect_anomaly" in str(e)
        return
    tally("optimizer steps", False)
    assert all(math.isfinite(g) for _, g in pairs)
    for p, (d, g) in zip(ps, pairs):
        assert type(p.data) is float and math.isfinite(p.data)
        if kind == "SGD":
            assert p.data == d - 0.1 * g
        else:  # the first adaptive step moves by lr * |g| / (|g| + eps): at most lr, and lr for a large gradient
            moved = abs(p.data - d)
            assert moved <= 0.1 * (1 + 1e-9) + abs(d) * 1e-15
            if abs(g) > 1e-1 and abs(d) < 1e10:  # eps (1e-8 in Adam) next to |g| moves it by eps / |g| less
                assert moved == pytest.approx(0.1, rel=1e-6)


@FAST
@given(st.lists(gradients, min_size=1, max_size=6), st.floats(1e-6, 1e6))
def test_clip_grad_norm_with_random_gradients(grads, max_norm):
    ps = [Parameter(0.0, label=f"p{i}") for i in range(len(grads))]
    for p, g in zip(ps, grads):
        p.grad = g
    if not all(math.isfinite(g) for g in grads):  # opting out: the non-finite norm, grads left alone
        norm = nn.clip_grad_norm(ps, max_norm, error_if_nonfinite=False)
        assert math.isnan(norm) == any(math.isnan(g) for g in grads) and not math.isfinite(norm)
        assert [repr(p.grad) for p in ps] == [repr(g) for g in grads]
    try:
        norm = nn.clip_grad_norm(ps, max_norm)
    except nn.NonFiniteGradientError as e:
        tally("gradient clipping", True)
        assert not all(math.isfinite(g) for g in grads) and re.search(r"parameter 'p\d+'", str(e))
        assert [p.grad for p in ps] == grads or any(math.isnan(g) for g in grads)
        return
    tally("gradient clipping", False)
    biggest = max(abs(g) for g in grads)
    after = [p.grad for p in ps]
    assert all(math.isfinite(g) for g in after)
    if biggest:
        true_norm = biggest * math.sqrt(math.fsum((g / biggest) ** 2 for g in grads))
        assert norm == true_norm
        if norm > max_norm:
            scaled = max(abs(g) for g in after)
            new_norm = scaled * math.sqrt(math.fsum((g / scaled) ** 2 for g in after)) if scaled else 0.0
            assert new_norm == pytest.approx(max_norm, rel=1e-9) or (new_norm <= max_norm and scaled < 1e-300)
        else:
            assert after == grads


# ---- hostile paths: every public function that takes a path, always inside a temporary folder ----

USER_TEXT = b"the user's own file"


def hostile_places(tmp):
    """{case: path}: the things a path given to chaingrad may meet, made inside the folder tmp."""
    (tmp / "mine.svg").write_bytes(USER_TEXT)
    (tmp / "target.svg").write_bytes(USER_TEXT)
    (tmp / "link.svg").symlink_to("target.svg")
    (tmp / "dangling.svg").symlink_to("nowhere.svg")
    (tmp / "a folder").mkdir()
    (tmp / "a folder" / "inside.txt").write_bytes(USER_TEXT)
    (tmp / "folderlink.svg").symlink_to("a folder")
    (tmp / "loop1.svg").symlink_to("loop2.svg")
    (tmp / "loop2.svg").symlink_to("loop1.svg")
    (tmp / "folder.svg").mkdir()
    os.mkfifo(tmp / "fifo.svg")
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as s:
        s.bind(str(tmp / "socket.svg"))
    (tmp / "read-only").mkdir()
    places = {
        "a new file": tmp / "new.svg",
        "the user's file": tmp / "mine.svg",
        "a link to a file": tmp / "link.svg",
        "a dangling link": tmp / "dangling.svg",
        "a link to a folder": tmp / "folderlink.svg",
        "a loop of links": tmp / "loop1.svg",
        "a folder": tmp / "folder.svg",
        "a FIFO": tmp / "fifo.svg",
        "a socket": tmp / "socket.svg",
        "a path under a file": tmp / "mine.svg" / "x.svg",
        "a missing folder": tmp / "missing" / "x.svg",
        "a read-only folder": tmp / "read-only" / "x.svg",
        "spaces and unicode": tmp / "my ünï 🙂 graph.svg",
        "a leading dash": tmp / "-o.svg",
        "a newline": tmp / "a\nb.svg",
        "an undecodable byte": tmp / "\udcff.svg",
        "a lone surrogate": f"{tmp}/\ud800.svg",
        "a name too long": tmp / ("x" * 300 + ".svg"),
        "a NUL character": f"{tmp}/a\0b.svg",
        "a trailing slash": f"{tmp / 'slash.svg'}/",
        "the empty name": "",
    }
    if os.geteuid() == 0:  # a device node, made here (a null device): only root may make one
        os.mknod(tmp / "device.svg", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        places["a device"] = tmp / "device.svg"
    (tmp / "read-only").chmod(0o555)
    return {case: os.fspath(p) for case, p in places.items()}


def snapshot(tmp):
    """{path: (kind, content or link target)} of everything under tmp, read without opening anything but
    regular files (a FIFO is never opened)."""
    out = {}
    for folder, dirs, files in os.walk(tmp):
        for name in dirs + files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                out[path] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                with open(path, "rb") as f:
                    out[path] = ("file", hashlib.sha256(f.read()).hexdigest())
            else:
                out[path] = (stat.S_IFMT(mode), None)
    return out


@contextlib.contextmanager
def deadline(seconds):
    """TimeoutError if the block runs longer (a call blocked on a FIFO is interrupted)."""

    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s (blocked?)")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def in_folder(folder):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def real(path):
    try:
        return os.path.realpath(path)
    except (ValueError, OSError):
        return None


def textbook():
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    L = c * (a + 2 * b)
    L.label = "L"
    L.backward()
    return L


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["c*(a+2*b)", "a=3", "b=1", "c=-2", *argv])
    err = err.getvalue()
    assert code == 0 or (code == 2 and err.count("\n") == 1 and "internal error" not in err), err
    if code:
        raise OSError(err)  # refused, cleanly
    return out.getvalue()


def file_written(path):
    """The files a writer of `path` may change: the file path names (through its links)."""
    return {real(path)}


def folder_written(path):
    """A folder writer may make the folder (and missing parents) and write step_<k>.svg and steps.html in it."""
    folder = real(path)
    return lambda p: (
        p == folder
        or folder.startswith(p + os.sep)
        or (os.path.dirname(p) == folder and re.fullmatch(r"step_\d+\.svg|steps\.html", os.path.basename(p)))
    )


class Saved(Module):
    def __init__(self, v):
        self.b = Parameter(v)


# function -> (call with a path, which paths it may write: a set, or a predicate)
WRITERS = {
    "Graph.render(outfile=)": (lambda p: draw(textbook()).render(outfile=p), file_written),
    "Graph.render(filename=)": (
        lambda p: draw(textbook()).render(p, format="svg"),
        lambda p: file_written(p + ".svg") if isinstance(p, str) else set(),
    ),
    "Module.save": (lambda p: Saved(0.5).save(p), file_written),
    "draw_steps(out_dir=)": (lambda p: draw_steps(textbook(), p, format="svg"), folder_written),
    "CLI -o": (lambda p: cli("-o", p), file_written),
    "CLI --steps": (lambda p: cli("--steps", p, "--steps-format", "svg"), folder_written),
    "Module.load": (lambda p: Saved(0.0).load(p), lambda p: set()),
}


def check_hostile_path(tmp, function, case):
    call, may_write = WRITERS[function]
    places = hostile_places(tmp)
    if case not in places:
        pytest.skip(f"{case} needs root")
    path = places[case]
    if function == "Module.load":
        Saved(0.25).save(tmp / "target.svg")  # a link to a saved file loads it; the user's own file is refused
    (tmp / "cwd").mkdir()  # the current folder during the call: a write there is seen as well
    before = snapshot(tmp)
    allowed = may_write(path)
    try:
        with deadline(60), in_folder(tmp / "cwd"):
            call(path)
        refused = False
    except (OSError, ValueError, TypeError) as e:  # StateDictError is a ValueError
        refused = True
        assert not isinstance(e, TimeoutError), e
        assert len(str(e)) < 2000
    finally:
        os.chmod(tmp / "read-only", 0o755)
    tally("hostile paths", refused)
    after = snapshot(tmp)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    for p in changed:
        ok = p in allowed if isinstance(allowed, set) else allowed(p)
        assert ok, f"{function} with {case}: changed {p!r} ({before.get(p)} -> {after.get(p)})"
        # what it writes was a regular file, or nothing: never a link replaced, a FIFO or a folder
        assert before.get(p, ("file",))[0] in ("file", "link") or stat.S_ISDIR(before[p][0]), (p, before.get(p))
        assert after.get(p, ("file",))[0] in ("file", stat.S_IFDIR), (p, after.get(p))
    assert not [p for p in after if p.endswith(".chaingrad-tmp")]
    if not refused and function != "Module.load":
        assert changed, f"{function} with {case}: nothing written and nothing refused"
    return refused


# What each kind of function must do with each case: the cases listed are refused, the others written (a
# read-only folder stops only a user who is not root).
UNUSABLE = {"a path under a file", "a name too long", "a NUL character", "the empty name", "a lone surrogate"}
NOT_A_FILE = {"a loop of links", "a FIFO", "a socket", "a device"}
REFUSED = {
    # the path is the file written (or read)
    "Graph.render(outfile=)": UNUSABLE
    | NOT_A_FILE
    | {"a link to a folder", "a folder", "a missing folder", "a trailing slash"},
    # the file written is the path + ".svg": a FIFO, a folder ... at the path itself are left alone
    "Graph.render(filename=)": UNUSABLE | {"a missing folder", "a trailing slash"},
    # the path is a folder, made if missing
    "draw_steps(out_dir=)": UNUSABLE | NOT_A_FILE | {"the user's file", "a link to a file"},
    # only a saved file (through a link) loads; everything else is refused, without waiting on a FIFO
    "Module.load": None,
}
REFUSED["Module.save"] = REFUSED["CLI -o"] = REFUSED["Graph.render(outfile=)"]
REFUSED["CLI --steps"] = REFUSED["draw_steps(out_dir=)"]
CASE_NAMES = [
    "a new file",
    "the user's file",
    "a link to a file",
    "a dangling link",
    "a link to a folder",
    "a loop of links",
    "a folder",
    "a FIFO",
    "a socket",
    "a device",
    "a path under a file",
    "a missing folder",
    "a read-only folder",
    "spaces and unicode",
    "a leading dash",
    "a newline",
    "an undecodable byte",
    "a lone surrogate",
    "a name too long",
    "a NUL character",
    "a trailing slash",
    "the empty name",
]


@needs_dot
@pytest.mark.parametrize("case", CASE_NAMES)
@pytest.mark.parametrize("function", list(WRITERS))
def test_hostile_paths_never_touch_what_was_not_named(tmp_path, function, case):
    """Each function that takes a path, at each hostile place: it writes only what it was told to (through
    links), never replaces a link, a folder, a FIFO, a socket or a device, never blocks, and refuses with a
    typed error what it cannot use."""
    refused = check_hostile_path(tmp_path, function, case)
    must_refuse = REFUSED[function]
    if must_refuse is None:
        expected = case != "a link to a file"
    elif case == "a read-only folder":
        expected = os.geteuid() != 0
    else:
        expected = case in must_refuse
    assert refused == expected, f"{function} {'refused' if refused else 'accepted'} {case}"


# ---- oversized inputs: the command line and explain, each in a fresh process with a time and memory budget ----

needs_proc = pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="the memory budget reads Linux's /proc/self/status"
)
CAP_MB = 3000  # the child's address space: a blow-up fails there instead of filling the machine
BUDGET_MB = 1000  # generous: catches a blow-up (a 10 MB expression took 3.7 GB), not a benchmark
BUDGET_S = 120


def budgeted(folder, code, stdin=""):
    """Run the Python `code` in a fresh process, its memory capped: (exit status, stdout, stderr, seconds, peak MB).
    The program goes in a file in `folder` (a command line argument holds at most 128 KiB)."""
    program = folder / "program.py"
    program.write_text(
        f"import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, ({CAP_MB << 20}, {CAP_MB << 20}))\n"
        f"try:\n    {code}\nfinally:\n"
        # VmHWM, this program's peak: ru_maxrss would count the test process it was forked from
        "    print('peak kB', open('/proc/self/status').read().split('VmHWM:')[1].split()[0], file=sys.stderr)\n",
        encoding="utf-8",
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    start = time.perf_counter()
    p = subprocess.run(
        [sys.executable, str(program)], input=stdin, capture_output=True, text=True, timeout=BUDGET_S, env=env
    )
    seconds = time.perf_counter() - start
    *err, peak = p.stderr.splitlines() or ["peak kB 0"]
    return p.returncode, p.stdout, "\n".join(err), seconds, int(peak.split()[-1]) / 1024


def many(term, joiner, size):
    """term repeated, joined, to just under `size` characters."""
    n = (size + len(joiner)) // (len(term) + len(joiner))
    return joiner.join([term] * n)


CLI_LIMIT = 100_000
OVERSIZED_COMMAND_LINES = {
    # just under the limit: accepted, within the budget
    "a sum of 50,000 terms": (many("a", "+", CLI_LIMIT), ["a=0.5"], 0),
    "a product of 50,000 factors": (many("a", "*", CLI_LIMIT), ["a=1"], 0),
    "calls three deep, 5,000 times": (many("sin(cos(exp(a*b)))", "+", CLI_LIMIT), ["a=0.1", "b=0.2"], 0),
    "parentheses 199 deep, 250 times": (many("(" * 199 + "a" + ")" * 199, "+", CLI_LIMIT), ["a=1"], 0),
    "15,000 names": ("+".join(f"x{i}" for i in range(15_000)), [f"x{i}={i}" for i in range(15_000)], 0),
    "one call of 49,000 operands": ("sum(" + many("a", ",", CLI_LIMIT - 20) + ")", ["a=1"], 0),
    "a 99,999-digit number": ("1" * 99_999, [], 2),
    # over it: refused at once
    "10 MB on stdin": ("-", ["a=1"], 2),
    "200,000 characters in the argument": (many("a", "+", 200_000), ["a=1"], 2),
}


@needs_proc
@pytest.mark.parametrize("case", list(OVERSIZED_COMMAND_LINES))
def test_oversized_command_lines_stay_within_budget(tmp_path, case):
    expression, assignments, status = OVERSIZED_COMMAND_LINES[case]
    stdin = many("a", "+", 10_000_000) if expression == "-" else ""
    argv = [expression, *assignments] if expression == "-" else ["--", expression, *assignments]
    code, out, err, seconds, peak = budgeted(
        tmp_path, f"from autograd.cli import main; sys.exit(main({argv!r}))", stdin
    )
    assert out == "" if code else out.startswith("f = ")
    tally("oversized inputs", code != 0)
    print(f"{case}: exit {code}, {seconds:.1f} s, {peak:.0f} MB")
    assert code == status, err
    if status:
        assert err.count("\n") == 0 and err.startswith("python -m autograd: error: ") and "internal" not in err, err
    assert seconds < BUDGET_S and peak < BUDGET_MB, (seconds, peak)
    if len(expression) > CLI_LIMIT or stdin:
        assert "longer than the limit" in err or "more than the limit" in err
        assert seconds < 30 and peak < 200, (seconds, peak)  # refused before the work: little time and memory


OVERSIZED_EXPLAIN = {
    "a chain of 20,000 ops": (
        "x = Value(0.5, label='x'); y = x\nfor i in range(20_000): y = (y * 1.0001).tanh() if i % 2 else y + 0.1",
        20_000,
    ),
    "a sum of 20,000 inputs": (
        "xs = [Value(i / 1e4, label=f'x{i}') for i in range(20_000)]; x = xs[7]\ny = sum_values([v * v for v in xs])",
        40_000,
    ),
    "2**40 paths": ("x = Value(0.5, label='x'); y = x\nfor i in range(40): y = y * 1.01 + y.sin()", 200),
    "one input used 5,000 times": ("x = Value(0.5, label='x'); y = x\nfor i in range(5_000): y = y * x", 10_000),
    # one 10,000-character label in the middle of a 2,000-node chain: no line is padded to its length
    "a 10,000-character label on a 2,000-node chain": (
        "x = Value(0.5, label='x'); y = x\nfor i in range(2_000):\n    y = y.sin() if i % 2 else y.tanh()\n"
        "    if i == 1_000: y.label = 'n' * 10_000",
        2_000,
    ),
}


@needs_proc
@pytest.mark.parametrize("case", list(OVERSIZED_EXPLAIN))
def test_oversized_graphs_in_explain_stay_within_budget(tmp_path, case):
    build, nodes = OVERSIZED_EXPLAIN[case]
    program = (
        "from autograd import Value, explain, sum_values\n" + build + "\ntext = str(explain(y, x))\n"
        "print(len(text), len(text.splitlines()))"
    )
    code, out, err, seconds, peak = budgeted(tmp_path, "exec(" + repr(program) + ")")
    tally("oversized inputs", code != 0)
    print(f"{case}: exit {code}, {seconds:.1f} s, {peak:.0f} MB")
    assert code == 0, err
    characters, lines = map(int, out.split())
    assert characters < 300 * nodes + 100_000 and lines < 4 * nodes + 100, (characters, lines)
    assert seconds < BUDGET_S and peak < BUDGET_MB, (seconds, peak)
