"""Errors of the package that light modules raise, defined below every layer that raises them."""

__all__ = ["UnitsError"]


class UnitsError(ValueError):
    """A unit, dimension or value that dimensional analysis cannot use.

    Raised for unparsable units, non-integer dimension exponents, a target whose
    units no monomial of the inputs can carry, and values (zero, or negative under a
    non-integer power) at which a monomial is undefined. It subclasses
    :class:`ValueError`, so scikit-learn style ``except ValueError`` still catches it.
    """
