"""Every demo plot labels both axes and names every line in a legend (the figures are caught as they are saved)."""

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the demos' plots need matplotlib (pip install -e '.[demos]')")
matplotlib.use("Agg")
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


def test_xor_vanishing_and_neural_lm_plots(saved_figures, tmp_path, capsys):
    from demos import neural_lm, vanishing_gradients, xor

    for demo in (xor, vanishing_gradients, neural_lm):
        demo.main(tmp_path)
    assert len(saved_figures) == 3
    for fig in saved_figures:
        check(fig)


def test_moons_plots_and_the_loss_plots_second_axis(saved_figures, tmp_path, monkeypatch, capsys):
    from demos import moons

    train = moons.train
    monkeypatch.setattr(moons, "train", lambda *args: train(*args, steps=3))  # the plots, not the training
    moons.main(tmp_path)
    assert len(saved_figures) == 2
    for fig in saved_figures:
        check(fig)
    loss_axes = saved_figures[1].axes
    assert len(loss_axes) == 2 and {ax.get_ylabel() for ax in loss_axes} == {
        "hinge loss + L2 penalty",
        "training accuracy (%)",
    }


def test_char_rnn_loss_plot(saved_figures, tmp_path):
    from demos import char_rnn

    char_rnn.plot_losses([3.0, 2.5, 2.0], tmp_path / "loss.png", "t", [(3.7, "uniform guess")])
    check(saved_figures[0])
