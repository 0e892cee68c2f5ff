"""Units equivariance: exact integer dimensional analysis and dimensionless models.

A variable with units carries an integer exponent vector over base dimensions. A
monomial of variables is dimensionless when its exponents lie in the integer kernel of
their dimension matrix; models built on such monomials do not depend on the units.
"""

from .dimensions import column_units, dimension_exponents, dimension_matrix
from .estimators import DimensionlessFeatures, UnitsEquivariantRegressor
from .invariant_units import invariant_units
from .exceptions import UnitsError
from .lattice import integer_nullspace, solve_exponents
from scalars.monomials import evaluate_monomials, monomial_name
from .testing import assert_units_equivariant

__all__ = [
    "DimensionlessFeatures",
    "UnitsEquivariantRegressor",
    "UnitsError",
    "assert_units_equivariant",
    "column_units",
    "dimension_exponents",
    "dimension_matrix",
    "evaluate_monomials",
    "integer_nullspace",
    "invariant_units",
    "monomial_name",
    "solve_exponents",
]
