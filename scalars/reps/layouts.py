"""Layout strings as representations, and the columns of a representation.

This module is the one parser of layout strings: :func:`parse_terms` reads
``"5T0+5P+5T1"`` into terms, :func:`rep` builds the :class:`~scalars.reps.Rep` of a group
on those columns, and :func:`slots` reads back, from any Rep, which columns hold a scalar,
a vector, a point or a tensor and which particle owns each. Everything that reads flat
columns (the expansion, the estimators, averaging, testing) goes through these.

Under ``S(k) x G`` (interchangeable particles) a term whose count is a multiple of ``k``
gives each particle ``count / k`` slots, particle by particle (:func:`per_particle`); any
other term holds global slots, shared by all particles.
"""

import re
from dataclasses import dataclass

import numpy as np

from scalars.groups import get_group
from scalars.reps.base import PointRep, ProductRep, Rep, SumRep, TensorRep

__all__ = ["rep", "parse_terms", "per_particle", "Slot", "slots"]

_TERM = re.compile(
    r"^\s*(\d*)\s*(?:[Tt]\s*(\d+)|[Tt]\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)|([Pp]))\s*$"
)


def parse_terms(spec, what="layout"):
    """Terms ``(count, kind)`` of a string such as ``"5T0+5T1"``, ``"T2"`` or ``"2T(1,1)+P"``.

    ``kind`` is ``"P"`` for a point or ``(p, q)`` for a tensor with ``p`` contravariant and
    ``q`` covariant indices (``T1`` is ``(1, 0)``, ``T2`` is ``(2, 0)``).

    Raises
    ------
    ValueError
        Naming the string (``what`` says what it is) and the malformed term.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{what} must be a string such as '5T0+5T1', got {spec!r}")
    terms = []
    for term in spec.split("+"):
        match = _TERM.match(term)
        if match is None:
            raise ValueError(
                f"{what} {spec!r}: term {term.strip()!r} is not of the form '<count>T<rank>', "
                "'<count>T(p,q)' or '<count>P' (e.g. '5T0', '2T1', 'T2', 'T(1,1)', '3P')"
            )
        count, rank, p, q, point = match.groups()
        kind = "P" if point else (int(rank), 0) if rank is not None else (int(p), int(q or 0))
        terms.append((int(count) if count else 1, kind))
    if not any(count for count, _ in terms):
        raise ValueError(f"{what} {spec!r} has no columns")
    return terms


def per_particle(count, k):
    """Whether a term of ``count`` slots is split over ``k`` particles (else it is global)."""
    return k is not None and count % k == 0


def _slot(kind, group):
    return PointRep().bind(group) if kind == "P" else TensorRep(*kind, group)


def rep(spec, group):
    """The representation of ``group`` on the columns that ``spec`` names.

    Parameters
    ----------
    spec : str or Rep
        Terms ``<count><kind>`` joined by ``+`` in column order: ``T0`` (scalar), ``T1``
        (vector), ``T2``, ``T<r>``, ``T(p,q)`` (tensors), ``P`` (a point of E(d)). A Rep is
        bound to ``group``.
    group : str or Group
        Under ``S(k) x G`` (interchangeable particles) a term whose count is a multiple of
        ``k`` gives each particle ``count / k`` slots, particle by particle, and is
        permuted with the particles; any other term is global (invariant under
        permutations). ``"5T0+5T1"`` under ``S(5)xO(3)`` is a scalar and a vector per
        particle; ``"5T1"`` as an output is one vector per particle, ``"T1"`` one vector.

    Returns
    -------
    Rep

    Examples
    --------
    >>> from scalars.reps import rep
    >>> rep("5T0+5T1", "O(3)").size
    20
    >>> rep("T0+T2", "O(3)").size
    10
    >>> str(rep("5T0+5T1", "O(3)"))
    '5T0+5T1'
    """
    group = get_group(group)
    if isinstance(spec, Rep):
        return spec.bind(group)
    terms = parse_terms(spec, "representation")
    k = getattr(group, "particles", None)
    parts = []
    for count, kind in terms:
        if k is None:
            parts += [_slot(kind, group)] * count
            continue
        permutations, base = group.factors
        split = per_particle(count, k)
        one = SumRep([_slot(kind, base)] * (count // k if split else count))
        parts.append(TensorRep(1 if split else 0, 0, permutations) * _simplify(one))
    return parts[0] if len(parts) == 1 else SumRep(parts)


def _simplify(rep_):
    return rep_.reps[0] if isinstance(rep_, SumRep) and len(rep_.reps) == 1 else rep_


@dataclass(frozen=True)
class Slot:
    """One slot of a representation's columns.

    Attributes
    ----------
    kind : str
        ``"T0"`` (scalar), ``"T1"`` (vector), ``"P"`` (point) or a tensor such as ``"T2"``.
    columns : ndarray of int
        Its flat columns, in order.
    particle : int
        The particle that owns it under ``S(k) x G``, or -1 for a global slot.
    """

    kind: str
    columns: np.ndarray
    particle: int = -1


def slots(rep_):
    """The slots of a representation in column order (see :class:`Slot`).

    A product ``T1 (x) R`` of a permutation group's vectors and a rep ``R`` (as
    :func:`rep` builds for particles) gives particle ``i`` the slots of ``R`` at the
    ``i``-th block of columns; ``T0 (x) R`` gives global slots.

    Parameters
    ----------
    rep_ : Rep
        Bound to a group.

    Returns
    -------
    list of Slot
    """
    if isinstance(rep_, SumRep):
        out, start = [], 0
        for part in rep_.reps:
            out += [Slot(s.kind, s.columns + start, s.particle) for s in slots(part)]
            start += part.size
        return out
    if isinstance(rep_, ProductRep) and rep_.external and isinstance(rep_.a, TensorRep) and rep_.a.rank <= 1:
        inner, width = slots(rep_.b), rep_.b.size
        if rep_.a.rank == 0:
            return inner
        return [Slot(s.kind, s.columns + i * width, i) for i in range(rep_.a.size) for s in inner]
    kind = "P" if isinstance(rep_, PointRep) else str(rep_)
    return [Slot(kind, np.arange(rep_.size))]
