"""scalars: machine learning with exact symmetries, built from invariant scalars."""

from scalars.averaging import FrameAveragedRegressor, GroupAveragedRegressor
from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor
from scalars.groups import get_group
from scalars.layout import Layout
from scalars.preprocessing import InvariantFeatures

__version__ = "0.1.0"

__all__ = [
    "DimensionlessFeatures",
    "EquivariantMLPRegressor",
    "EquivariantRegressor",
    "FrameAveragedRegressor",
    "GroupAveragedRegressor",
    "InvariantFeatures",
    "Layout",
    "SparseEquivariantRegressor",
    "UnitsEquivariantRegressor",
    "get_group",
]

# scalars.units needs sympy and pint (and scalars.laws needs scalars.units): import them on
# first use of one of their names, so that ``import scalars`` stays light (PEP 562).
_LAZY = {
    "DimensionlessFeatures": "scalars.units",
    "UnitsEquivariantRegressor": "scalars.units",
    "SparseEquivariantRegressor": "scalars.laws",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scalars' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
