"""Layout strings as representations: ``rep("5T0+5T1", "O(3)")``."""

from scalars.groups import get_group
from scalars.layout import parse_terms
from scalars.reps.base import PointRep, Rep, SumRep, TensorRep

__all__ = ["rep"]


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
        per_particle = count % k == 0
        one = SumRep([_slot(kind, base)] * (count // k if per_particle else count))
        parts.append(TensorRep(1 if per_particle else 0, 0, permutations) * _simplify(one))
    return parts[0] if len(parts) == 1 else SumRep(parts)


def _simplify(rep):
    return rep.reps[0] if isinstance(rep, SumRep) and len(rep.reps) == 1 else rep
