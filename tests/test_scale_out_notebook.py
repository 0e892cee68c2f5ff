from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytest.importorskip("distributed")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "scale_out.ipynb"


@pytest.mark.notebook
@pytest.mark.slow
def test_scale_out_notebook_runs_on_a_local_cluster(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed clean
    NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "dashboard: http://" in text
    assert "bit-identical on the first chunk: True" in text
    assert "ParallelPostFit gives the same: True" in text
    mse = float(text.split("test MSE on 40,000 samples:")[1].split()[0])
    assert mse < 1e-12
