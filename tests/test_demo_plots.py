"""Every demo plot labels both axes and names every line in a legend (the figures are caught as they are saved),
and no image a demo writes is larger than 4000 px on a side or 6 megapixels (past that nobody can read it)."""

import itertools
import shutil
import struct

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the demos' plots need matplotlib (pip install -e '.[demos]')")
matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture
def saved_figures(monkeypatch):
    figures = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        figures.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return figures


def check(fig):
    legend_texts = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    legend_texts |= {t.get_text() for leg in fig.legends for t in leg.get_texts()}
    for ax in fig.axes:
        title = ax.get_title() or type(ax).__name__
        assert ax.get_ylabel(), f"{title}: no y label"
        colorbar = hasattr(ax, "_colorbar")
        twin = len(ax.get_shared_x_axes().get_siblings(ax)) > 1
        assert colorbar or twin or ax.get_xlabel(), f"{title}: no x label"
        for line in ax.get_lines():
            if len(line.get_xdata()):
                assert line.get_label() in legend_texts, f"{title}: line {line.get_label()!r} is not in a legend"
        for points in ax.collections:
            if points.get_label() and not points.get_label().startswith("_"):
                assert points.get_label() in legend_texts, f"{title}: {points.get_label()!r} is not in a legend"


def png_size(path):
    """(width, height) from a PNG's header."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def check_images(out_dir):
    """Every PNG under out_dir is within 4000 px a side and 6 megapixels; returns how many there are."""
    pngs = sorted(out_dir.rglob("*.png"))
    for path in pngs:
        w, h = png_size(path)
        assert max(w, h) <= 4000 and w * h <= 6_000_000, f"{path.name} is {w} x {h} px"
    return len(pngs)


def crosses(line, box):
    """Whether a drawn line passes through box (both in the figure's pixels)."""
    xy = line.get_transform().transform(line.get_xydata())
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        for k in range(501):
            x, y = x0 + k / 500 * (x1 - x0), y0 + k / 500 * (y1 - y0)
            if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
                return True
    return False


def test_xor_vanishing_and_neural_lm_plots(saved_figures, tmp_path, capsys):
    from demos import neural_lm, vanishing_gradients, xor

    for demo in (xor, vanishing_gradients, neural_lm):
        demo.main(tmp_path)
    assert len(saved_figures) == 3
    for fig in saved_figures:
        check(fig)
    assert check_images(tmp_path) == 3

    xor_fig, _, similarity = saved_figures
    renderer = FigureCanvasAgg(xor_fig).get_renderer()  # the figure is closed: a canvas again, to measure
    panels = [ax.get_window_extent(renderer) for ax in xor_fig.axes]
    # main drew the middle panel smaller than its neighbours (its limits were not square)
    assert len(panels) == 3 and max(p.width for p in panels) - min(p.width for p in panels) < 2
    assert max(p.height for p in panels) - min(p.height for p in panels) < 2
    for ax in xor_fig.axes:  # main's dashed lines ran through the points' labels
        labels = [t for t in ax.texts if t.get_text()]
        assert len(labels) >= 3
        for label in labels:
            box = label.get_window_extent(renderer)
            assert not any(crosses(line, box) for line in ax.get_lines()), label.get_text()
    # main wrote -0.0 for tiny negative cosines
    numbers = [t.get_text() for ax in similarity.axes for t in ax.texts]
    assert len(numbers) == 11 * 11 and "-0.0" not in numbers


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_the_graph_pictures_of_the_demos_are_readable_sizes(tmp_path, capsys):
    from demos import computation_graph, hello_rnn, sigmoid_unit, worked_mlp

    for demo in (computation_graph, hello_rnn, sigmoid_unit, worked_mlp):
        demo.main(tmp_path)
    # L forward and backward, the stepper's frames, the 2-layer net twice, the RNN twice, hello's unrolled graph
    assert check_images(tmp_path) >= 2 + 7 + 2 + 2 + 1
    w, _h = png_size(tmp_path / "hello_rnn_unrolled.png")
    assert w <= 2000  # read at its natural size


def test_moons_plots_and_the_loss_plots_second_axis(saved_figures, tmp_path, monkeypatch, capsys):
    from demos import moons

    train = moons.train
    monkeypatch.setattr(moons, "train", lambda *args, **kw: train(*args, **kw, steps=3))  # the plots, not the training
    moons.main(tmp_path)
    assert len(saved_figures) == 2 and check_images(tmp_path) == 2
    for fig in saved_figures:
        check(fig)
    boundary = saved_figures[0]
    renderer = FigureCanvasAgg(boundary).get_renderer()
    (ax,) = boundary.axes
    legend, plot = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert not legend.overlaps(plot)  # main's legend covered the boundary in the upper right corner
    loss_axes = saved_figures[1].axes
    assert len(loss_axes) == 2 and {ax.get_ylabel() for ax in loss_axes} == {
        "hinge loss + L2 penalty",
        "training accuracy (%)",
    }


def test_char_rnn_loss_plot(saved_figures, tmp_path):
    from demos import char_rnn

    char_rnn.plot_losses([3.0, 2.5, 2.0], tmp_path / "loss.png", "t", [(3.7, "uniform guess")])
    check(saved_figures[0])
    assert check_images(tmp_path) == 1
