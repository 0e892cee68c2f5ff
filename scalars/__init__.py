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
    "UnitsEquivariantRegressor",
    "get_group",
]

# scalars.units needs sympy and pint: import it on first use of one of its names, so that
# ``import scalars`` stays light (PEP 562).
_UNITS_NAMES = ("DimensionlessFeatures", "UnitsEquivariantRegressor")


def __getattr__(name):
    if name in _UNITS_NAMES:
        from scalars import units

        value = getattr(units, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scalars' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_UNITS_NAMES))
