"""Units of the invariant scalars of vectors that carry units.

An invariant such as ``<q1, p1>`` or ``det(v0, v1, v2)`` is multi-homogeneous in the
vectors: scaling vector ``v_i`` by ``t`` scales it by ``t^m_i``. Its units are therefore
``sum_i m_i u_i``. The degrees ``m_i`` are read off the group's own invariant map, so the
units always come in the order and number of :class:`scalars.InvariantFeatures`.
"""

import numpy as np

from .dimensions import dimension_matrix


def invariant_units(group, layout, units, registry=None):
    """Units of each output of ``InvariantFeatures(group=group, layout=layout)``.

    Parameters
    ----------
    group : str or scalars.groups.Group
        The group acting on the vectors, e.g. ``"O(3)"`` or ``"SO(3)"``.
    layout : str or scalars.layout.Layout
        Column layout such as ``"6T0+5T1"``.
    units : sequence
        One unit per slot of the layout (scalar or whole vector), in layout order, in
        any form :func:`dimension_exponents` accepts. Every component of a vector
        shares its units.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings.

    Returns
    -------
    units_out : list of dict of str to int
        Dimension exponents of each output feature: the scalars first, then the
        invariants (for O(d) the Gram entries ``<v_i,v_j>``, ``i <= j``, row-major;
        SO(d) then adds ``det(...)`` over index subsets in lexicographic order). Pass
        it as ``units=`` to :class:`DimensionlessFeatures`.

    Examples
    --------
    >>> invariant_units("O(3)", "T0+2T1", ["kg", "m", "kg*m/s"])
    [{'[mass]': 1}, {'[length]': 2}, {'[length]': 2, '[mass]': 1, '[time]': -1}, \
{'[length]': 2, '[mass]': 2, '[time]': -2}]
    """
    from scalars.groups import get_group, invariant_degrees
    from scalars.layout import Layout

    group, layout = get_group(group), Layout.parse(layout)
    units = list(units)
    if len(units) != len(layout.ranks):
        raise ValueError(
            f"units has {len(units)} entries but layout '{layout}' has "
            f"{len(layout.ranks)} slots (one unit per scalar or vector)."
        )
    matrix, dimensions = dimension_matrix(units, registry)
    ranks = np.array(layout.ranks)
    degrees = invariant_degrees(group, layout.n_vectors)
    exponents = np.concatenate([matrix[:, ranks == 0].T, degrees @ matrix[:, ranks == 1].T])
    return [
        {name: int(power) for name, power in zip(dimensions, row) if power}
        for row in exponents
    ]
