"""Monomials of several variables: exponent lists, values and names."""

from itertools import combinations_with_replacement

import numpy as np

from scalars._backend import stack

__all__ = ["exponents", "monomials", "monomial_names"]


def exponents(n_variables, degrees):
    """Exponent vectors (m, n_variables) of all monomials of the given total ``degrees``."""
    rows = []
    for degree in degrees:
        for combination in combinations_with_replacement(range(n_variables), degree):
            rows.append(np.bincount(np.array(combination, dtype=int), minlength=n_variables))
    return np.array(rows, dtype=int).reshape(-1, n_variables)


def monomials(variables, powers):
    """``prod_k variables[..., k, :]^a_k`` for each exponent row ``a`` of ``powers``:
    (..., n_var, L) -> (..., m, L)."""
    terms = []
    for row in powers:
        term = None
        for k in np.flatnonzero(row):
            power = variables[..., k, :] ** int(row[k])
            term = power if term is None else term * power
        terms.append(term)
    return stack(terms, axis=-2)


def monomial_names(names, powers):
    """``v0^2*v1`` for the exponent row (2, 1)."""
    return [
        "*".join(f"{names[k]}" + (f"^{row[k]}" if row[k] > 1 else "") for k in np.flatnonzero(row))
        for row in powers
    ]
