"""autograd.draw.steps and autograd.draw.layout: draw_steps lays each view out once and draws its frames by
changing that picture; what it writes for a big model stays small and quick (generous budgets that catch
blow-ups, not benchmarks)."""

import json
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

import nn
from autograd import Value, draw_steps, scope
from autograd.draw import GraphTooLargeError
from demos.computation_graph import build, build_two_layer

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def page_data(path):
    return json.loads(re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', path.read_text())[1])


def drawn(svg):
    """{id of a node or edge: ([(fill, stroke, stroke-width) of each shape], [(text, fill) of each line])}:
    what a reader sees of each node and edge of one of dot's SVG pictures (black and width 1 written out)."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") in ("node", "edge"):
            shapes = [
                (e.get("fill"), e.get("stroke"), e.get("stroke-width", "1"))
                for e in g.iter()
                if e.tag in {SVG + t for t in ("path", "polygon", "polyline", "ellipse")}
            ]
            texts = [("".join(t.itertext()), t.get("fill", "#000000")) for t in g.iter(f"{SVG}text")]
            out[g.get("id")] = (shapes, texts)
    return out


def _graphs():
    L, _ = build()
    x = Value(3.0, label="a label\non two lines")
    y = x * x
    y.label = "y"
    model = nn.MLP(2, [3, 1], seed=0)
    with scope("loss"):
        loss = (model([0.5, -1.0])[0] - 1.0) ** 2
    return {"textbook": (L, {}), "two lines": (y, {}), "blocks": (loss, dict(collapse=1, expand=None))}


@needs_dot
@pytest.mark.parametrize("which", ["textbook", "two lines", "blocks"])
def test_every_frame_is_what_dot_draws_for_that_frame(tmp_path, which):
    # The frame files are one layout with each frame's colours and numbers set; dot, given each frame's own
    # DOT source, draws the same texts, fills and lines (the steps module's internal API gives that source).
    from autograd.draw.groups import group
    from autograd.draw.steps import _View, backward_steps
    from autograd.engine import topological_order

    root, options = _graphs()[which]
    files = draw_steps(root, tmp_path, **options)
    order = topological_order(root)
    grouping = group(order[::-1], None, options.get("collapse", "auto"), None, 50)
    view = _View(root, order, backward_steps(order), grouping, 4, "LR", "draw_steps")
    states = list(dict(s) for s in view.states())
    assert len(states) == len(files.frames) > 2
    for state, frame in zip(states, files.frames):
        by_dot = drawn(view.graph(state).pipe(format="svg"))
        ours = drawn(frame.read_bytes())
        assert ours.keys() == by_dot.keys()
        for gid in by_dot:
            assert ours[gid] == by_dot[gid], (frame.name, gid)


# ---- bounded cost: the README's XOR model ----

XOR_MODEL = """
    import nn
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    data = [([0.0, 0.0], -1), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], -1)]
    loss = nn.hinge_loss([model(x)[0] for x, _ in data], [y for _, y in data])
"""


def run_budgeted(code, seconds):
    """Run code in a fresh interpreter, stopped after `seconds`; returns (stdout, peak memory in MB)."""
    script = (
        textwrap.dedent(XOR_MODEL)
        + textwrap.dedent(code)
        + textwrap.dedent("""
        import resource
        print("peak MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {seconds} s")
    assert done.returncode == 0, done.stderr
    return done.stdout, int(re.search(r"peak MB (\d+)", done.stdout)[1])


@needs_dot
def test_a_default_call_on_the_readme_xor_model_is_quick_and_small(tmp_path):
    # main ran 20 minutes at 3.2 GB and wrote nothing: every frame was a dot run on a huge picture
    _, peak = run_budgeted(f"from autograd import draw_steps\ndraw_steps(loss, {str(tmp_path)!r})\n", 120)
    assert peak < 1000
    page = tmp_path / "steps.html"
    assert page.stat().st_size < 5e6
    data = page_data(page)
    views = data["views"]
    assert views[0]["name"] == "all blocks collapsed" and len(views) >= 2
    for view in views:  # every view a picture of at most max_nodes=50 items, drawn at its natural size
        svg = ET.fromstring(view["svg"])
        assert 0 < len([g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]) <= 50
        assert float(svg.get("width").removesuffix("pt")) == pytest.approx(float(svg.get("viewBox").split()[2]), abs=1)
    # the blocks too large to open at max_nodes=50 are listed with the max_nodes that opens them
    assert [c[0] for c in data["closed"]] == ["layers[0]", "layers[1]"]
    for _, why in data["closed"]:
        assert int(re.search(r"pass max_nodes=(\d+)", why)[1]) > 50
    frames = sorted(tmp_path.glob("step_*.svg"))
    assert len(frames) == len(views[0]["captions"]) and sum(f.stat().st_size for f in frames) < 50e6


@needs_dot
def test_png_frames_past_the_budget_are_refused_at_once_naming_what_to_pass(tmp_path):
    out, _ = run_budgeted(
        f"""
        import pathlib, time
        from autograd import draw_steps
        from autograd.draw import GraphTooLargeError
        t = time.perf_counter()
        try:
            draw_steps(loss, {str(tmp_path / "png")!r}, format="png")
        except GraphTooLargeError as e:
            print("refused in", time.perf_counter() - t, "s:", e)
        """,
        120,
    )
    assert "refused in" in out, out
    assert float(re.search(r"refused in ([\d.e-]+) s", out)[1]) < 10  # well under a second here, on 2 cores
    assert "megapixels of PNG" in out and "format='svg'" in out and "frames=False" in out
    assert not (tmp_path / "png").exists()  # nothing written


@needs_dot
def test_frames_false_writes_the_page_alone(tmp_path):
    L, _ = build()
    files = draw_steps(L, tmp_path, frames=False)
    assert files.frames == [] and sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]
    assert len(page_data(files.html)["views"][0]["captions"]) == 6  # 5 steps: none into the constant 2
    with pytest.raises(TypeError, match=r"frames must be True or False, got 'no'"):
        draw_steps(L, tmp_path, frames="no")


@needs_dot
def test_svg_frames_past_the_budget_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules["autograd.draw.steps"], "MAX_SVG_MEGABYTES", 0.01)
    L, _ = build()
    with pytest.raises(GraphTooLargeError, match=r"6 frames of \d+ x \d+ px would be .* MB of SVG.*frames=False"):
        draw_steps(L, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@needs_dot
def test_an_opened_view_respects_max_nodes(tmp_path):
    # main drew every block opened, whatever its size
    model = nn.MLP(2, [8, 1], seed=0)
    loss = (model([0.5, -1.0])[0] - 1.0) ** 2
    files = draw_steps(loss, tmp_path, collapse=1, max_nodes=20)
    data = page_data(files.html)
    assert [v["name"] for v in data["views"]] == ["all blocks collapsed", "expand layers[1]"]
    ((title, why),) = data["closed"]
    assert title == "layers[0]" and re.fullmatch(r"\d+ items, more than max_nodes=20: pass max_nodes=\d+", why)
    wanted = int(why.rsplit("=", 1)[1])
    files = draw_steps(loss, tmp_path / "all", collapse=1, max_nodes=wanted)
    assert page_data(files.html)["closed"] == []


@needs_dot
def test_the_two_layer_net_keeps_every_scalar_and_a_page_of_one_picture(tmp_path):
    net, clusters = build_two_layer()
    files = draw_steps(net, tmp_path, clusters=clusters)
    data = page_data(files.html)
    (view,) = data["views"]
    assert len(files.frames) == len(view["captions"]) == len(view["focus"])
    assert view["svg"].count('class="node"') == 25 and files.html.stat().st_size < 1e6
