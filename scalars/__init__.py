"""scalars: machine learning with exact symmetries, built from invariant scalars."""

from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor
from scalars.groups import get_group
from scalars.laws import SparseEquivariantRegressor
from scalars.layout import Layout
from scalars.preprocessing import InvariantFeatures
from scalars.units import DimensionlessFeatures, UnitsEquivariantRegressor

__version__ = "0.1.0"

__all__ = [
    "DimensionlessFeatures",
    "EquivariantMLPRegressor",
    "EquivariantRegressor",
    "InvariantFeatures",
    "Layout",
    "SparseEquivariantRegressor",
    "UnitsEquivariantRegressor",
    "get_group",
]
