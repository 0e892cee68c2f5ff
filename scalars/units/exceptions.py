"""The error raised for inconsistent or unusable physical units (defined in :mod:`scalars.exceptions`,
so that :mod:`scalars.monomials` can raise it without importing sympy or pint)."""

from scalars.exceptions import UnitsError

__all__ = ["UnitsError"]
