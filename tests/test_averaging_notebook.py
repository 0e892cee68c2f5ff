"""The frame-averaging notebook runs headless from a clean kernel."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "averaging.ipynb"


@pytest.mark.notebook
@pytest.mark.slow
def test_averaging_notebook_shows_an_exactly_invariant_gradient_boosting_regressor():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed clean
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    names = ("raw coordinates", "frame-averaged", "scalar features")
    rows = {name: line[len(name) :].split() for line in printed.splitlines() for name in names if line.startswith(name)}
    mse = {name: float(rows[name][0]) for name in names}
    assert rows["raw coordinates"][1:3] == ["not", "invariant"]
    for name in ("frame-averaged", "scalar features"):
        assert float(rows[name][1]) < 1e-10  # the invariance error
        assert mse[name] < mse["raw coordinates"] / 3  # and a better fit
    assert "invariance error on collinear inputs: 0.0e+00" in printed
