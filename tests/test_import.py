"""``import scalars`` stays light: the heavy optional stacks load only when used."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("sympy", "pint", "torch", "dask")


def run(code):
    """Run ``code`` in a fresh interpreter from this checkout (its package first); stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.strip()


def test_import_scalars_does_not_import_sympy_pint_torch_or_dask():
    loaded = run(f"import scalars, sys; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert loaded == "[]"


@pytest.mark.parametrize("name", ["DimensionlessFeatures", "UnitsEquivariantRegressor"])
def test_units_names_are_still_importable_from_the_top(name):
    out = run(f"from scalars import {name}; import scalars.units; print({name} is scalars.units.{name})")
    assert out == "True"


def test_star_import_and_unknown_names():
    assert run("from scalars import *; print(DimensionlessFeatures.__name__)") == "DimensionlessFeatures"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import scalars

        scalars.nope


@pytest.mark.parametrize("module, name, heavy", [("nn", "EMLP", "torch"), ("parallel", "featurize", "dask"),
                                                 ("units", "integer_nullspace", "scalars.units.lattice")])
def test_submodules_are_attributes_loaded_on_first_access(module, name, heavy):
    code = (f"import scalars, sys; before = {heavy!r} in sys.modules; f = scalars.{module}.{name}; "
            f"import scalars.{module} as m; print(before, {heavy!r} in sys.modules, f is m.{name}, "
            f"{module!r} in dir(scalars))")
    assert run(code) == "False True True True"


def test_dimensional_analysis_needs_no_sympy():
    code = "import scalars, sys; scalars.units.integer_nullspace([[1, 2]]); print('sympy' in sys.modules)"
    assert run(code) == "False"
