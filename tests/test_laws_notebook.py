from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "laws.ipynb"


@pytest.mark.notebook
@pytest.mark.slow
def test_laws_notebook_runs_and_prints_the_laws(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed clean
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(out.get("text", "") for out in notebook.cells[-1].outputs if out.get("name") == "stdout")
    assert "<p1,p1>/2 + <p2,p2>/2" in printed and "- 2*sqrt(<q1-q2,q1-q2>)" in printed
