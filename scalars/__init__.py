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
    "GraphInvariants",
    "GroupAveragedRegressor",
    "InvariantFeatures",
    "Layout",
    "PointCloudInvariants",
    "SparseEquivariantRegressor",
    "UnitsEquivariantRegressor",
    "get_group",
]

# scalars.units needs sympy and pint (and scalars.laws needs scalars.units), scalars.nn torch,
# scalars.parallel dask: import them on first use of one of their names or of the module as an
# attribute (``scalars.nn.EMLP``), so that ``import scalars`` stays light (PEP 562).
_LAZY = {
    "DimensionlessFeatures": "scalars.units",
    "UnitsEquivariantRegressor": "scalars.units",
    "SparseEquivariantRegressor": "scalars.laws",
    # light, but seldom needed
    "GraphInvariants": "scalars.graphs",
    "PointCloudInvariants": "scalars.clouds",
}
_SUBMODULES = ("datasets", "dynamics", "fields", "laws", "nn", "parallel", "plotting", "testing", "units")


def __getattr__(name):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"scalars.{name}")
    else:
        raise AttributeError(f"module 'scalars' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
