"""demos/tour.ipynb, the notebook tour, runs from top to bottom (with nbclient) and is committed without outputs."""

import html
import json
import pathlib
import shutil

import pytest

TOUR = pathlib.Path(__file__).resolve().parent.parent / "demos" / "tour.ipynb"


def test_the_committed_tour_has_no_outputs():
    cells = json.loads(TOUR.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed (the tour draws graphs)")
def test_the_tour_runs_without_a_cell_error(tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed: pip install -e '.[test]'")
    import nbformat

    nb = nbformat.read(TOUR, as_version=4)
    # raises CellExecutionError, naming the cell, on the first cell that fails
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    texts = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    assert [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"] == []  # no warnings
    assert "-10.0 -2.0 -4.0 5.0" in texts
    assert "True" in texts and "gradcheck failed for 1 of 1 inputs" in texts
    assert "predictions [0, 1, 1, 0], targets [0, 1, 1, 0]" in texts
    data = [o.data for o in outputs if o.output_type in ("execute_result", "display_data")]
    svgs = [d["image/svg+xml"] for d in data if "image/svg+xml" in d]
    assert len(svgs) == 2 and "∂L/∂a = -2" in html.unescape(svgs[1])  # the forward and backward views, inline
    assert any("<iframe srcdoc=" in d.get("text/html", "") for d in data)  # the stepper
    assert any("2 → 4 → 1" in d.get("text/html", "") for d in data)  # the MLP's card
    assert any("image/png" in d for d in data)  # the loss plot
