"""Monomials ``prod_i x_i^a_i`` of several variables: exponents, values and names.

The one home of monomials in the package. An exponent row ``a`` (one entry per
variable) stands for ``prod_i x_i^a_i``; a matrix of rows for several monomials.

- exponents: :func:`exponents` (all monomials of given total degrees) and
  :func:`signed_exponents` (products of a few variables to the power -1 or +1);
- values: :func:`monomials` (non-negative integer powers, numpy or torch, any sign of
  the variables: for invariants) and :func:`evaluate_monomials` (any real powers,
  float64, without overflow in the intermediate products and with errors that name the
  variable and the sample where a monomial is undefined);
- names: :func:`monomial_name` (``k1*L1^2*m1^-1``, ``L^(1/2)``) and
  :func:`monomial_names`.

Only numpy is imported (torch when a tensor is passed to :func:`monomials`).
"""

import warnings
from fractions import Fraction
from itertools import combinations, combinations_with_replacement, product

import numpy as np

from scalars._backend import stack
from scalars.exceptions import UnitsError

__all__ = [
    "exponents",
    "signed_exponents",
    "monomials",
    "evaluate_monomials",
    "monomial_name",
    "monomial_names",
    "default_names",
]

_LN2 = np.log(2.0)


# -- exponents ------------------------------------------------------------------------------
def exponents(n_variables, degrees):
    """Exponent rows of all monomials of the given total degrees.

    Parameters
    ----------
    n_variables : int
        Number of variables.
    degrees : iterable of int
        Total degrees, each >= 0; the monomials of each degree follow those of the
        previous one, in the order of :func:`itertools.combinations_with_replacement`.

    Returns
    -------
    powers : ndarray of int, shape (n_monomials, n_variables)

    Examples
    --------
    >>> exponents(2, [1, 2]).tolist()
    [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    rows = []
    for degree in degrees:
        for combination in combinations_with_replacement(range(n_variables), degree):
            rows.append(np.bincount(np.array(combination, dtype=int), minlength=n_variables))
    return np.array(rows, dtype=int).reshape(-1, n_variables)


def signed_exponents(n_variables, max_factors):
    """Exponent rows of the products of at most ``max_factors`` distinct variables, each
    to the power -1 or +1 (``m2 / m1``, ``k2 L2``, ...).

    Parameters
    ----------
    n_variables : int
        Number of variables.
    max_factors : int
        Largest number of variables in a product.

    Returns
    -------
    powers : ndarray of int, shape (n_monomials, n_variables)
        The constant monomial first, then by number of factors, variables in
        :func:`itertools.combinations` order, powers -1 before +1.

    Examples
    --------
    >>> signed_exponents(2, 2).tolist()
    [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]]
    """
    rows = []
    for n_factors in range(max_factors + 1):
        for variables in combinations(range(n_variables), n_factors):
            for signs in product((-1, 1), repeat=n_factors):
                row = np.zeros(n_variables, dtype=int)
                row[list(variables)] = signs
                rows.append(row)
    return np.array(rows, dtype=int).reshape(-1, n_variables)


# -- values ---------------------------------------------------------------------------------
def monomials(variables, powers):
    """Monomials with non-negative integer powers, by repeated products (numpy or torch).

    Exact for any sign of the variables and differentiable in torch; for real powers
    and a range check use :func:`evaluate_monomials`.

    Parameters
    ----------
    variables : ndarray or torch.Tensor of shape (..., n_variables, L)
        The variables along axis -2, for ``L`` items each (particles, pairs, ...).
    powers : ndarray of int, shape (n_monomials, n_variables)
        Non-negative exponents; every row has a nonzero entry.

    Returns
    -------
    values : same type as ``variables``, shape (..., n_monomials, L)
        ``prod_k variables[..., k, :] ** powers[m, k]`` for each row ``m``.
    """
    terms = []
    for row in powers:
        term = None
        for k in np.flatnonzero(row):
            power = variables[..., k, :] ** int(row[k])
            term = power if term is None else term * power
        terms.append(term)
    return stack(terms, axis=-2)


def evaluate_monomials(X, powers, variable_names=None):
    """Evaluate monomials of the columns of ``X`` without overflow or underflow.

    Each value is split as ``x = m 2^e`` with ``0.5 <= |m| < 1``. The binary exponents
    ``e`` are combined exactly, the mantissas in log space (where ``|log m| < 0.7``),
    and the two are joined once at the end with :func:`numpy.ldexp`. So ``x1^2 / x2^2``
    with ``x1 = x2 = 1e200`` is exactly 1 rather than ``inf / inf``, and the result
    overflows or underflows only when the monomial itself is out of float64 range: an
    error then, or a warning if it is below the normal floats.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_variables)
        Values of the variables, in any consistent units. Must be finite.
    powers : array-like of shape (n_monomials, n_variables) or (n_variables,)
        Exponent of each variable in each monomial; integer or fractional.
    variable_names : sequence of str of length n_variables, default=None
        Used in error messages; ``x0, x1, ...`` when omitted.

    Returns
    -------
    values : ndarray of shape (n_samples, n_monomials) or (n_samples,)
        The monomials; 1-D when ``powers`` is 1-D.

    Raises
    ------
    UnitsError
        If a variable is zero where its power is negative, or negative where its
        power is not an integer, naming the variable and the first such row.
    ValueError
        If a monomial is beyond the largest float64, naming it and the first such row.

    Warns
    -----
    RuntimeWarning
        If a nonzero monomial is below the smallest normal float64 (so 0 or subnormal).
    """
    X = np.asarray(X, dtype=np.float64)
    powers = np.asarray(powers, dtype=np.float64)
    single = powers.ndim == 1
    powers = np.atleast_2d(powers)
    if X.ndim != 2 or powers.ndim != 2 or X.shape[1] != powers.shape[1]:
        raise ValueError(
            f"X of shape {X.shape} and powers of shape {powers.shape} do not match: "
            "expected (n_samples, n_variables) and (n_monomials, n_variables)."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity.")
    names = default_names(variable_names, "x", X.shape[1])
    zero, negative = X == 0, X < 0
    integral = powers == np.round(powers)
    _check_defined(zero, powers < 0, names, "is zero but has a negative power")
    _check_defined(negative, ~integral, names, "is negative but has a non-integer power")

    mantissa, binary_exponent = np.frexp(np.abs(X))
    log_mantissa = np.log(np.where(zero, 1.0, mantissa)) @ powers.T
    log2_scale = binary_exponent.astype(np.float64) @ powers.T
    whole = np.floor(log2_scale)
    with np.errstate(over="ignore", under="ignore"):  # checked below, with the monomial's name
        magnitude = np.ldexp(
            np.exp(log_mantissa + (log2_scale - whole) * _LN2), whole.astype(np.int64)
        )
    odd = integral & (np.mod(powers, 2) == 1)
    sign = 1.0 - 2.0 * ((negative.astype(np.int64) @ odd.T.astype(np.int64)) % 2)
    vanishes = (zero.astype(np.int64) @ (powers > 0).T.astype(np.int64)) > 0
    _check_range(magnitude, vanishes, (log_mantissa / _LN2 + log2_scale) * np.log10(2.0), powers, names)
    values = np.where(vanishes, 0.0, sign * magnitude)
    return values[:, 0] if single else values


def _check_defined(bad_value, bad_power, names, problem):
    """Raise naming the first (row, variable) where ``bad_value`` meets ``bad_power``."""
    offending = bad_value & bad_power.any(axis=0)
    if offending.any():
        row, column = np.argwhere(offending)[0]
        raise UnitsError(
            f"Variable {names[column]!r} {problem} in a monomial (first at row {row}); "
            "the monomial is undefined there."
        )


def _check_range(magnitude, vanishes, log10_exact, powers, names):
    """Raise for monomials that overflow, warn for those that underflow (not the zeros)."""
    for bad, happens in ((~np.isfinite(magnitude), "overflows"), (magnitude < np.finfo(float).tiny, "underflows")):
        bad &= ~vanishes
        if bad.any():
            row, column = np.argwhere(bad)[0]
            message = (
                f"The monomial {monomial_name(powers[column], names)} {happens} float64 at row {row}: "
                f"it is about 1e{log10_exact[row, column]:+.0f}."
            )
            if happens == "overflows":
                raise ValueError(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)


# -- names ----------------------------------------------------------------------------------
def monomial_name(powers, variable_names):
    """Name a monomial like ``R^-1*alpha*k1``: factors in variable order, powers of 1 bare.

    Parameters
    ----------
    powers : sequence of int, float or Fraction of length n_variables
        Exponent of each variable; fractional powers print as ``L^(1/2)``.
    variable_names : sequence of str of length n_variables

    Returns
    -------
    name : str
        ``"1"`` for the empty monomial.

    Examples
    --------
    >>> monomial_name([1, 2, -1], ["k1", "L1", "m1"])
    'k1*L1^2*m1^-1'
    """
    factors = []
    for name, power in zip(variable_names, powers):
        power = Fraction(power).limit_denominator(1000)
        if power == 1:
            factors.append(name)
        elif power != 0:
            factors.append(f"{name}^{power}" if power.denominator == 1 else f"{name}^({power})")
    return "*".join(factors) or "1"


def monomial_names(powers, variable_names):
    """:func:`monomial_name` of each exponent row.

    Parameters
    ----------
    powers : array-like of shape (n_monomials, n_variables)
    variable_names : sequence of str of length n_variables

    Returns
    -------
    names : list of str of length n_monomials
    """
    return [monomial_name(row, variable_names) for row in powers]


def default_names(names, prefix, count):
    """``names`` as a list of str, or ``prefix0, prefix1, ...`` when it is None.

    Parameters
    ----------
    names : sequence or None
    prefix : str
    count : int
        Number of default names.

    Returns
    -------
    list of str
    """
    return [f"{prefix}{i}" for i in range(count)] if names is None else [str(n) for n in names]
