"""Dimension matrices from pint units, exponent dicts and ``sympy.physics.units``."""

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from .exceptions import UnitsError

# sympy.physics.units spells two SI base dimensions differently from pint.
_SYMPY_TO_PINT = {"amount_of_substance": "[substance]", "luminous_intensity": "[luminosity]"}


def dimension_exponents(unit, registry=None):
    """Integer exponents of the base dimensions of one unit.

    Parameters
    ----------
    unit : str, pint Quantity or Unit, mapping, sympy expression or None
        A pint unit string (``"kg*m/s^2"``; ``""`` or ``None`` is dimensionless), a
        pint quantity or unit from any registry, a mapping from dimension names to
        exponents (``{"[length]": 1, "time": -1}``; brackets optional), or a
        ``sympy.physics.units`` expression such as ``meter / second``.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings, e.g. one with custom base dimensions.
        pint's application registry when None.

    Returns
    -------
    exponents : dict of str to int
        Nonzero exponents keyed by bracketed dimension name, e.g. ``{"[length]": 1}``.

    Raises
    ------
    UnitsError
        If the unit cannot be parsed, has a non-integer exponent, or is a mapping
        that names one dimension twice (``"length"`` and ``"[length]"``).
    """
    raw = _raw_exponents(unit, registry)
    _check_distinct_dimensions(unit, raw)
    exponents = {}
    for name, power in raw.items():
        power = Fraction(power).limit_denominator(10**6)
        if power.denominator != 1:
            raise UnitsError(f"Unit {unit!r} has non-integer exponent {power} of {name}.")
        if power:
            exponents[_bracketed(name)] = int(power)
    return exponents


def dimension_matrix(units, registry=None):
    """Dimension matrix of a sequence of units over the union of their base dimensions.

    Parameters
    ----------
    units : sequence of length n
        One unit per variable, in any form :func:`dimension_exponents` accepts.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings.

    Returns
    -------
    M : ndarray of int64, shape (k, n)
        ``M[j, i]`` is the exponent of dimension ``j`` in variable ``i``.
    dimensions : tuple of str of length k
        The base dimensions, sorted by name, e.g. ``("[length]", "[mass]", "[time]")``.
    """
    columns = [dimension_exponents(unit, registry) for unit in units]
    dimensions = tuple(sorted({name for column in columns for name in column}))
    M = np.array(
        [[column.get(name, 0) for column in columns] for name in dimensions], dtype=np.int64
    )
    return M.reshape(len(dimensions), len(columns)), dimensions


def _raw_exponents(unit, registry):
    if unit is None:
        return {}
    if isinstance(unit, Mapping):
        return dict(unit)
    if isinstance(unit, str):
        return _parse_pint(unit, registry)
    if hasattr(unit, "dimensionality"):
        return dict(unit.dimensionality)
    if _is_sympy(unit):
        return _sympy_exponents(unit)
    raise TypeError(
        f"Cannot read units from {unit!r} of type {type(unit).__name__}: expected a "
        "unit string, a pint quantity or unit, a dict of exponents or a sympy unit."
    )


def _parse_pint(text, registry):
    import pint

    if registry is None:
        registry = pint.get_application_registry()
    try:
        parsed = registry.parse_expression(text) if text.strip() else 1
    except (pint.errors.PintError, AttributeError, SyntaxError, TypeError) as error:
        raise UnitsError(f"Cannot parse unit {text!r}: {error}") from error
    return dict(getattr(parsed, "dimensionality", {}))


def _is_sympy(unit):
    try:
        from sympy import Basic
    except ImportError:  # pragma: no cover - sympy is a dependency
        return False
    return isinstance(unit, Basic)


def _sympy_exponents(expression):
    from sympy.physics.units.systems.si import SI, dimsys_SI

    _, dimension = SI._collect_factor_and_dimension(expression)
    dependencies = dimsys_SI.get_dimensional_dependencies(dimension)
    return {
        _SYMPY_TO_PINT.get(str(base.name), str(base.name)): power
        for base, power in dependencies.items()
    }


def _check_distinct_dimensions(unit, raw):
    spellings = {}
    for name in raw:
        spellings.setdefault(_bracketed(name), []).append(name)
    repeated = {dimension: names for dimension, names in spellings.items() if len(names) > 1}
    if repeated:
        dimension, names = next(iter(repeated.items()))
        raise UnitsError(
            f"Unit {unit!r} gives the exponent of {dimension} more than once, as "
            f"{' and '.join(map(repr, names))}; give each dimension once."
        )


def _bracketed(name):
    name = str(name).strip()
    return name if name.startswith("[") else f"[{name}]"


def column_units(units, n_features, feature_names=None):
    """One unit per column of X.

    Parameters
    ----------
    units : sequence, dict or None
        One unit per column, or a dict keyed by column name; None means every column
        is dimensionless.
    n_features : int
        Number of columns of X.
    feature_names : array of str, default=None
        Column names of X, needed when ``units`` is a dict.

    Returns
    -------
    list of length n_features
    """
    if units is None:
        return [None] * n_features
    if isinstance(units, Mapping):
        if feature_names is None:
            raise ValueError(
                "units is a dict keyed by column name, so X must be a DataFrame with "
                "string column names."
            )
        missing = [name for name in feature_names if name not in units]
        unused = [name for name in units if name not in set(feature_names)]
        if missing or unused:
            raise ValueError(
                f"units has no entry for columns {missing} and entries for unknown "
                f"columns {unused}."
            )
        return [units[name] for name in feature_names]
    if isinstance(units, str):
        raise TypeError(f"units must have one entry per column, got the string {units!r}.")
    units = list(units)
    if len(units) != n_features:
        raise ValueError(f"units has {len(units)} entries but X has {n_features} columns.")
    return units
