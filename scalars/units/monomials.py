"""Evaluation and naming of monomials: now in :mod:`scalars.monomials`, re-exported here."""

from scalars.monomials import default_names, evaluate_monomials, monomial_name

__all__ = ["evaluate_monomials", "monomial_name", "default_names"]
