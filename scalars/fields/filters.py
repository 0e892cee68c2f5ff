"""Invariant filters: the filters whose convolutions commute with the grid's point group.

A filter of odd ``size`` on a ``d``-dimensional grid, with tensor values of order ``k`` and
parity ``p``, is itself a geometric image on ``size^d`` pixels, turned about its middle
pixel (:mod:`scalars.fields.images`). A convolution with it is equivariant to ``B(d)``
exactly when the filter is *invariant*: ``g . F = F`` for every signed permutation ``g``
(Gregory et al. 2023, "Geometric convolutions"). These filters are the invariant vectors
of the representation :class:`~scalars.fields.ImageRep` of ``B(d)``, which the package's
solver (:func:`scalars.reps.equivariant_basis`) finds exactly: ``B(d)`` acts by signed
permutations, so each invariant filter is the signed indicator of one orbit of (pixel,
tensor index) pairs, and an orbit gives one unless its signs contradict. Their number is the
average of the character,

.. math::

    \\#\\text{filters} = \\frac{1}{|B_d|} \\sum_{g \\in B_d} \\#\\{\\text{pixels fixed by } g\\} \\; \\operatorname{tr}(g)^k \\, \\det(g)^p ,

which :func:`invariant_filter_count` evaluates (``p = 1`` marks pseudo-tensor filters):

=====  ====  ===  ===  ===  =====  =====  =====
d      size  k=0  k=1  k=2  k=0,   k=1,   k=2,
                             p=1    p=1    p=1
=====  ====  ===  ===  ===  =====  =====  =====
2      1     1    0    1    0      0      1
2      3     3    2    5    0      2      5
2      5     6    6    13   1      6      13
3      1     1    0    1    0      0      0
3      3     4    3    8    0      0      4
3      5     10   12   30   0      3      20
=====  ====  ===  ===  ===  =====  =====  =====
"""

from functools import lru_cache

import numpy as np

from scalars.fields.images import ImageRep, check_order_parity
from scalars.groups import get_group
from scalars.reps import equivariant_basis

__all__ = ["invariant_filters", "invariant_filter_count", "check_filter_size"]


def check_filter_size(size):
    """``size`` as an int if it is a positive odd integer (a filter with a middle pixel), else a ValueError."""
    if int(size) != size or size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd integer (a centred filter has a middle pixel), got {size!r}")
    return int(size)


def _check_d(d):
    if d not in (1, 2, 3):
        raise ValueError(f"d must be the grid dimension 1, 2 or 3, got {d!r}")
    return int(d)


def invariant_filters(d, size, order, parity=0, group=None):
    """A basis of the filters invariant under ``B(d)`` (or a subgroup), from the solver.

    Parameters
    ----------
    d : {1, 2, 3}
        Grid dimension.
    size : int
        Pixels a side; odd, so that the filter turns about its middle pixel.
    order : int
        Tensor order of the filter's values.
    parity : {0, 1}, default 0
        1 for pseudo-tensor filters (sign change under reflections).
    group : str or Group, optional
        A point group of signed permutations; default ``B(d)``. ``"C(4)"`` (rotations only)
        allows more filters than ``"D(4)"`` = ``B(2)``.

    Returns
    -------
    ndarray of shape (n_filters, size**d * d**order), float64, read-only
        Orthonormal rows; row ``r`` reshaped to ``(size,) * d + (d,) * order`` is a filter
        (pixels in C order, then tensor indices). Cached per argument set.

    Examples
    --------
    >>> from scalars.fields import invariant_filters
    >>> invariant_filters(2, 3, order=0).shape          # centre, edge ring, corner ring
    (3, 9)
    >>> invariant_filters(3, 3, order=1).shape
    (3, 81)
    """
    d, size = _check_d(d), check_filter_size(size)
    check_order_parity(order, parity)
    group = get_group(f"B({d})" if group is None else group)
    if group.d != d:
        raise ValueError(f"group {group.name} acts in {group.d} dimensions, not d = {d}")
    return _filters(size, int(order), int(parity), group)


@lru_cache(maxsize=128)
def _filters(size, order, parity, group):
    basis = np.ascontiguousarray(equivariant_basis(ImageRep(size, order, parity)(group)).T)
    basis.flags.writeable = False
    return basis


def invariant_filter_count(d, size, order, parity=0, group=None):
    """The number of invariant filters by character theory (see the module docstring).

    Same parameters as :func:`invariant_filters`; computed without the solver, as
    ``mean over g of (pixels g fixes) * trace(g)^order * det(g)^parity``.
    """
    d, size = _check_d(d), check_filter_size(size)
    check_order_parity(order, parity)
    elements = get_group(f"B({d})" if group is None else group).elements()
    offsets = np.indices((size,) * d).reshape(d, -1) - size // 2
    fixed = np.all(np.abs(elements @ offsets - offsets) < 0.5, axis=1).sum(-1)
    traces, dets = np.trace(elements, axis1=1, axis2=2), np.round(np.linalg.det(elements))
    return int(round(np.mean(fixed * traces**order * dets**parity)))
