"""Every notebook in notebooks/ is committed clean, runs headless from a fresh kernel and prints
what it claims; :data:`CHECKS` says what each one must show."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _invariant_models_fit_better(printed):
    """The averaging notebook's table: model, test MSE, invariance error (or "not invariant")."""
    names = ("raw coordinates", "frame-averaged", "scalar features")
    rows = {name: line[len(name) :].split() for line in printed.splitlines() for name in names if line.startswith(name)}
    mse = {name: float(rows[name][0]) for name in names}
    assert rows["raw coordinates"][1:3] == ["not", "invariant"]
    for name in ("frame-averaged", "scalar features"):
        assert float(rows[name][1]) < 1e-10, rows[name]  # the invariance error
        assert mse[name] < mse["raw coordinates"] / 3, mse  # and a better fit


@dataclass(frozen=True)
class Checks:
    """What one notebook must show once executed.

    Attributes
    ----------
    timeout : int
        Seconds allowed per cell (nbclient's timeout; a hang guard, not a measurement).
    printed : tuple of str
        Texts its printed output contains.
    numbers : dict
        Regular expression with one number group -> (times it is printed, bound every value is below).
    images : int, optional
        Number of PNG outputs.
    requires : tuple of str
        Modules without which it is skipped.
    check : callable, optional
        Further checks of the printed text.
    slow : bool
    """

    timeout: int
    printed: tuple = ()
    numbers: dict = field(default_factory=dict)
    images: Optional[int] = None
    requires: tuple = ()
    check: Optional[Callable] = None
    slow: bool = True


CHECKS = {
    "averaging.ipynb": Checks(
        120, printed=("invariance error on collinear inputs: 0.0e+00",), check=_invariant_models_fit_better
    ),
    "double_pendulum.ipynb": Checks(
        300,
        printed=("scalar HNN:", "MLP HNN:"),
        numbers={r"max \|H\(Rz, Rg\) - H\(z, g\)\| = (\S+)": (4, 1e-12)},  # an untrained scalar HNN is invariant
        images=2,
    ),
    "fields.ipynb": Checks(
        120,
        printed=("6 invariant and 2 steerable 5 x 5 filters from scalars to vectors",),
        numbers={r"equivariance error: (\S+)": (1, 1e-10), r"relative test MSE: (\S+)": (1, 0.2)},
        images=3,
    ),
    "laws.ipynb": Checks(300, printed=("<p1,p1>/2 + <p2,p2>/2", "- 2*sqrt(<q1-q2,q1-q2>)")),
    "regression_benchmarks.ipynb": Checks(120, images=1),  # its cells assert the MSE below EMLP's at every size
    "scale_out.ipynb": Checks(
        180,
        printed=(
            "dashboard: http://", "bit-identical on the first chunk: True", "ParallelPostFit gives the same: True"
        ),
        numbers={r"test MSE on 40,000 samples: (\S+)": (1, 1e-12)},
        requires=("distributed",),
    ),
    "units_equivariance.ipynb": Checks(
        120, printed=("No input carries [mass]", "invariant under 10 random changes of units"), slow=False
    ),
}


def test_every_notebook_has_checks_and_is_committed_clean():
    nbformat = pytest.importorskip("nbformat")
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(CHECKS)
    for name in CHECKS:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), name


@pytest.mark.notebook
@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=[pytest.mark.slow] if checks.slow else []) for name, checks in CHECKS.items()]
)
def test_notebook_runs_and_prints_its_results(name):
    checks = CHECKS[name]
    for module in checks.requires:
        pytest.importorskip(module)
    nbformat, nbclient = pytest.importorskip("nbformat"), pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=checks.timeout, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    printed = "".join(output.get("text", "") for output in outputs)
    for text in checks.printed:
        assert text in printed
    for pattern, (count, bound) in checks.numbers.items():
        values = [float(value) for value in re.findall(pattern, printed)]
        assert len(values) == count and max(values) < bound, (pattern, values)
    if checks.images is not None:
        assert sum("image/png" in output.get("data", {}) for output in outputs) == checks.images
    if checks.check is not None:
        checks.check(printed)
