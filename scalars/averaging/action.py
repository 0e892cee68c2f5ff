"""Group elements acting on flat rows, batched: one element per row.

:meth:`scalars.reps.Rep.act` applies one element to many rows. Averages need the
opposite as well: a different element for every row (the frame of each sample, or each
sample times each Monte Carlo draw), so :func:`act` walks the representation once and
applies batched elements to batched rows, numpy or torch, without building the
(size, size) matrices. An element is an array (..., m, m), as :meth:`Group.sample`
returns it with a batch ``size``, or for a product group a tuple of such arrays.
"""

import numpy as np

from scalars._backend import as_backend_of, as_index, concatenate, is_numpy, swap_last
from scalars.reps import PointRep, ProductRep, SumRep, TensorRep

__all__ = ["act", "inverse", "take", "rank"]


def _map(function, g):
    """``function`` applied to each part of a product element (nested tuples), or to ``g``."""
    return tuple(_map(function, part) for part in g) if isinstance(g, tuple) else function(g)


def inverse(g):
    """The inverses of batched elements ``g`` (numpy; tuples part by part)."""
    return _map(np.linalg.inv, g)


def take(g, index):
    """The elements ``g[index]`` along the batch axis."""
    return _map(lambda part: part[index], g)


def _expand(g):
    """``g`` with a broadcast axis before its matrix axes: (..., m, m) -> (..., 1, m, m)."""
    return _map(lambda part: part[..., None, :, :], g)


def _moveaxis(x, source, destination):
    return np.moveaxis(x, source, destination) if is_numpy(x) else x.movedim(source, destination)


def _matrix_on_last_axis(M, Y):
    """``M`` (g_lead, n, n) applied to the last axis of ``Y`` (lead, ..., n); g_lead broadcasts."""
    return (Y[..., None, :] @ swap_last(M))[..., 0, :]


def rank(rep):
    """Tensor rank of the group's vectors in ``rep`` (the largest over a sum; 1 for points).

    Under ``S(k) x G`` the permutation factor of a slot does not count: the rank is that of
    ``G``'s part, which is what decides how an output transforms under ``G``.
    """
    if isinstance(rep, TensorRep):
        return rep.rank
    if isinstance(rep, PointRep):
        return 1
    if isinstance(rep, SumRep):
        return max(rank(part) for part in rep.reps)
    if isinstance(rep, ProductRep):
        return rank(rep.b) if rep.external else rank(rep.a) + rank(rep.b)
    raise TypeError(f"representation {rep} of type {type(rep).__name__} is not supported here")


def _runs(reps):
    """Consecutive equal representations as (rep, count)."""
    runs = []
    for rep in reps:
        if runs and runs[-1][0] == rep:
            runs[-1][1] += 1
        else:
            runs.append([rep, 1])
    return runs


def act(rep, g, X):
    """``rho(g) x`` (plus the translation of points) for batched elements and rows.

    Parameters
    ----------
    rep : Rep
        Bound to the group of ``g``: a sum of ``T(p, q)``, points ``P`` and, under
        ``S(k) x G``, their products with the permutation representation; any other Rep
        (images, a dual of a sum) by its own ``act``, element by element.
    g : element or tuple of elements
        Arrays of shape (*lead_g, m, m) (numpy); ``lead_g`` broadcasts against the leading
        axes of ``X``.
    X : array of shape (*lead, rep.size)
        numpy or torch; the result has its backend and precision.

    Returns
    -------
    array of shape (*lead, rep.size)

    Raises
    ------
    ValueError
        If ``X`` does not have ``rep.size`` columns.
    TypeError
        For elements of a product group on a representation other than the above.
    """
    if X.shape[-1] != rep.size:
        raise ValueError(f"representation {rep} acts on {rep.size} columns, but X has {X.shape[-1]}")
    lead = tuple(X.shape[:-1])
    if isinstance(rep, SumRep):
        parts, start = [], 0
        for part, count in _runs(rep.reps):
            block = X[..., start : start + count * part.size]
            start += count * part.size
            if count == 1:
                parts.append(act(part, g, block))
            else:  # equal slots side by side move together: one batched product for all
                moved = act(part, _expand(g), block.reshape(lead + (count, part.size)))
                parts.append(moved.reshape(lead + (count * part.size,)))
        return concatenate(parts, axis=-1)
    if isinstance(rep, TensorRep):
        return _act_tensor(rep, g, X, lead)
    if isinstance(rep, PointRep):
        R = as_backend_of(rep.group.real_form(g), X)
        return _matrix_on_last_axis(R, X) + as_backend_of(rep.group.translation(g), X)
    if isinstance(rep, ProductRep):
        g_a, g_b = rep.split_element(g)
        Y = X.reshape(lead + (rep.a.size, rep.b.size))
        Y = act(rep.b, _expand(g_b), Y)  # b's index is innermost; the same g_b for each index of a
        Y = swap_last(act(rep.a, _expand(g_a), swap_last(Y)))
        return Y.reshape(lead + (rep.size,))
    if not isinstance(g, tuple):
        return _act_by_element(rep, g, X, lead)
    raise TypeError(f"representation {rep} of type {type(rep).__name__} is not supported by act")


def _act_by_element(rep, g, X, lead):
    """Any other representation (images, say): rows grouped by their element, ``rep.act`` per group.

    Meant for finite groups, whose batches hold few distinct elements (elements equal to 12
    decimals are one).
    """
    g = np.asarray(g)
    m = g.shape[-1]
    rows = X.reshape((-1, rep.size))
    elements = np.broadcast_to(g, lead + (m, m)).reshape(-1, m * m)
    distinct, which = np.unique(np.round(elements, 12), axis=0, return_inverse=True)
    which = which.ravel()
    order = np.argsort(which, kind="stable")
    parts = [rep.act(h.reshape(m, m), rows[as_index(np.flatnonzero(which == k), rows)]) for k, h in enumerate(distinct)]
    moved = concatenate(parts, axis=0)[as_index(np.argsort(order), rows)]
    return moved.reshape(lead + (rep.size,))


def _act_tensor(rep, g, X, lead):
    if rep.rank == 0:
        return X
    M = rep.group.real_form(g)
    factors = [as_backend_of(M, X)] * rep.p
    if rep.q:
        factors += [as_backend_of(np.swapaxes(np.linalg.inv(M), -1, -2), X)] * rep.q
    n = M.shape[-1]
    if rep.rank == 1:
        return _matrix_on_last_axis(factors[0], X)
    Y = X.reshape(lead + (n,) * rep.rank)
    first = len(lead)
    for axis, factor in enumerate(factors):
        factor = factor.reshape(tuple(factor.shape[:-2]) + (1,) * (rep.rank - 1) + (n, n))
        Y = _moveaxis(_matrix_on_last_axis(factor, _moveaxis(Y, first + axis, -1)), -1, first + axis)
    return Y.reshape(lead + (rep.size,))
