"""Dimension matrices from pint units, exponent dicts and ``sympy.physics.units``."""

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from .exceptions import UnitsError

# sympy.physics.units spells two SI base dimensions differently from pint.
_SYMPY_TO_PINT = {"amount_of_substance": "[substance]", "luminous_intensity": "[luminosity]"}

# Characters of pint unit expressions: names (letters, digits, "_", and the symbols pint's
# own units use), numbers, spaces and the operators * / ^ ** ( ) + -. pint's parser skips
# or misreads others: it reads "kg*m/s^2 = N" as kg^2 m^2 s^-4 and "m,s" as s.
_UNIT_SYMBOLS = set("_°%‰∞ \t*/^().+-")


def dimension_exponents(unit, registry=None):
    """Integer exponents of the base dimensions of one unit.

    Parameters
    ----------
    unit : str, pint Quantity or Unit, mapping, sympy expression or None
        A pint unit string (``"kg*m/s^2"``; ``""`` or ``None`` is dimensionless), a
        pint quantity or unit from any registry, a mapping from dimension names to
        exponents (``{"[length]": 1, "time": -1}``; brackets optional; each a dimension
        of ``registry``, derived ones such as ``"[velocity]"`` expanded), or a
        ``sympy.physics.units`` expression such as ``meter / second``. Offset units
        (``degC``, ``degF``) are refused: values must be in kelvin.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings and defines the dimension names of mappings,
        e.g. one with custom base dimensions. pint's application registry when None.

    Returns
    -------
    exponents : dict of str to int
        Nonzero exponents keyed by bracketed dimension name, e.g. ``{"[length]": 1}``.

    Raises
    ------
    UnitsError
        If the unit cannot be parsed, is an offset unit, has a non-integer exponent, or
        is a mapping that names one dimension twice (``"length"`` and ``"[length]"``) or
        a dimension the registry does not define.
    """
    raw = _raw_exponents(unit, registry)
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
        return _mapping_exponents(unit, registry)
    if isinstance(unit, str):
        return _parse_pint(unit, registry)
    if hasattr(unit, "dimensionality"):
        _check_multiplicative(unit, unit if hasattr(unit, "magnitude") else 1 * unit)
        return dict(unit.dimensionality)
    if _is_sympy(unit):
        return _sympy_exponents(unit)
    raise TypeError(
        f"Cannot read units from {unit!r} of type {type(unit).__name__}: expected a "
        "unit string, a pint quantity or unit, a dict of exponents or a sympy unit."
    )


def _registry(registry):
    import pint

    return pint.get_application_registry() if registry is None else registry


def _parse_pint(text, registry):
    from pint.errors import OffsetUnitCalculusError

    unknown = sorted({c for c in text if not (c.isalnum() or c in _UNIT_SYMBOLS)})
    if unknown:
        raise UnitsError(
            f"Cannot parse unit {text!r}: {' '.join(unknown)} cannot appear in a unit; give one "
            "unit such as 'kg*m/s^2'."
        )
    try:
        parsed = _registry(registry).parse_expression(text) if text.strip() else 1
    except OffsetUnitCalculusError as error:
        raise _offset_unit_error(text, error) from error
    except Exception as error:  # pint's parser raises anything from AssertionError to TokenError
        raise UnitsError(f"Cannot parse unit {text!r}: {str(error) or 'malformed expression'}") from error
    _check_multiplicative(text, parsed)
    return dict(getattr(parsed, "dimensionality", {}))


def _check_multiplicative(unit, quantity):
    if not getattr(quantity, "_is_multiplicative", True):
        raise _offset_unit_error(unit, f"{quantity.units:~} has its zero away from absolute zero")


def _offset_unit_error(unit, reason):
    return UnitsError(
        f"Unit {unit!r} is an offset unit ({reason}): ratios and powers of its values are "
        "not those of the quantity. Convert the values to kelvin and give 'K' (or a "
        "difference unit such as 'delta_degC')."
    )


def _mapping_exponents(unit, registry):
    """Base-dimension exponents of a mapping from dimension names of ``registry``."""
    _check_distinct_dimensions(unit, unit)
    registry = _registry(registry)
    exponents = {}
    for name, power in unit.items():
        try:
            base = registry.get_dimensionality(_bracketed(name))
        except Exception as error:  # pint says ValueError or UndefinedUnitError
            base, cause = {}, error
        else:
            cause = None
        if not base:
            raise UnitsError(
                f"Unit {unit!r} names the dimension {name!r}, which the unit registry does not "
                "define (a misspelled base dimension such as [length]?). Pass registry= a pint "
                "registry that defines it."
            ) from cause
        for dimension, exponent in base.items():
            exponents[dimension] = exponents.get(dimension, 0) + Fraction(power) * Fraction(exponent)
    return exponents


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
