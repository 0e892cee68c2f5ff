"""Array kernels for the invariant scalars of a set of vectors.

Every function takes vectors of shape ``(..., n, d)``, batched over any leading axes. A
numpy array gives a numpy array; a torch tensor gives a torch tensor of the same dtype and
device, differentiable through autograd.

Pairs and subsets are always listed in the same order, which the feature names follow:
pairs ``(i, j)`` with ``i <= j`` (or ``i < j``) row by row, subsets in lexicographic order.
"""

from functools import lru_cache
from itertools import combinations

import numpy as np

from scalars._backend import as_backend_of, as_index, det, is_numpy, stack, swap_last
from scalars._kernels import gram_upper_columns, gram_upper_rows

__all__ = [
    "gram",
    "gram_upper",
    "gram_upper_flat",
    "determinants",
    "cross_products",
    "symplectic_products",
    "hermitian_products",
    "pair_indices",
    "subset_indices",
]


@lru_cache(maxsize=None)
def pair_indices(n, strict=False):
    """Row and column indices of the pairs ``i <= j`` (``i < j`` if ``strict``) of ``n`` items."""
    return np.triu_indices(n, k=1 if strict else 0)


@lru_cache(maxsize=None)
def subset_indices(n, k):
    """All ``k``-subsets of ``range(n)`` in lexicographic order, shape (C(n, k), k)."""
    subsets = list(combinations(range(n), k))
    return np.array(subsets, dtype=np.intp).reshape(len(subsets), k)  # k = 0: one empty subset


def gram(V, W=None, metric=None):
    """All products ``<v_i, w_j> = v_i^T M w_j``.

    Parameters
    ----------
    V : array of shape (..., n, d)
    W : array of shape (..., m, d), default V
    metric : None, array of shape (d,) or (d, d)
        ``M``: the identity if None, a diagonal given by its entries, or a full matrix.

    Returns
    -------
    array of shape (..., n, m)

    Raises
    ------
    ValueError
        If ``metric`` is neither of shape (d,) nor (d, d).
    """
    _check_metric(metric, V.shape[-1])
    W = V if W is None else W
    if metric is not None:
        metric = as_backend_of(metric, W)
        W = W * metric if metric.ndim == 1 else W @ swap_last(metric)
    return V @ swap_last(W)


def gram_upper(V, metric=None, out=None):
    """The ``n(n+1)/2`` distinct entries of a symmetric Gram matrix, ``i <= j`` row by row.

    Parameters
    ----------
    V : array of shape (..., n, d)
    metric : None, array of shape (d,) or (d, d)
        Symmetric metric, as in :func:`gram`. ``diag(1, -1, ..., -1)`` gives Minkowski products.
    out : ndarray of shape (..., n(n+1)/2), optional
        numpy only: where to write the result; same dtype as ``V``, any memory layout.

    Returns
    -------
    array of shape (..., n(n+1)/2)
        ``out`` if it was given.

    Raises
    ------
    ValueError
        If ``metric`` is neither of shape (d,) nor (d, d), or ``out`` has the wrong shape or
        dtype.
    """
    n, d = V.shape[-2:]
    _check_metric(metric, d)
    compiled = _has_compiled_path(V, metric)
    if out is None:
        if compiled:
            return _gram_upper_compiled(V, metric, np.empty(_upper_shape(V), V.dtype))
        G = gram(V, metric=metric)
        rows, cols = pair_indices(n)
        return G[..., as_index(rows, G), as_index(cols, G)]
    _check_out(out, V)
    if compiled and out.flags.c_contiguous:
        return _gram_upper_compiled(V, metric, out)
    out[...] = gram_upper(V, metric)  # reshaping a non-contiguous out would write to a copy
    return out


def gram_upper_flat(X, starts, d, metric=None, scalars=(), out=None, offset=None, check_finite=False):
    """Scalars and Gram entries of vectors read in place from the columns of flat rows.

    Row ``r`` of ``X`` holds the vectors ``X[r, s : s + d]`` for each start column ``s`` in
    ``starts``, anywhere in the row (scalars may lie between them). One compiled pass over
    ``X`` copies the ``scalars`` columns to the first columns of the result and writes the
    ``n(n+1)/2`` entries ``<v_i, v_j>``, ``i <= j`` row by row, after them (or from column
    ``offset``): no column is gathered first and nothing is concatenated after. This is
    :class:`scalars.InvariantFeatures`' path for O(d), SO(d) and O(1,d).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float32 or float64
        Any memory layout; one C-contiguous copy is made if it is not C-contiguous.
    starts : sequence of int, length n
        First column of each vector.
    d : int
        Components of each vector.
    metric : None or array of shape (d,)
        Diagonal of the metric, as in :func:`gram`; None is the identity.
    scalars : sequence of int, default=()
        Columns of ``X`` copied, in this order, to columns ``0, 1, ...`` of the result.
    out : ndarray of shape (n_rows, n_out), optional
        C-contiguous, of the dtype of ``X``, with room for the scalars and the Gram entries.
        Columns that receive neither are left as they are (for more invariants).
    offset : int, default=len(scalars)
        Column of the result where the Gram entries begin.
    check_finite : bool, default=False
        Raise if ``X`` holds NaN or infinity, found on the same pass (the sum of what it
        read is not finite; only then is ``X`` searched).

    Returns
    -------
    ndarray of shape (n_rows, n_out)
        ``out`` if it was given, else a new array with ``n_out = offset + n(n+1)/2``.

    Raises
    ------
    TypeError
        If ``X`` is not a numpy array of float32 or float64.
    ValueError
        If a column is outside ``X``, ``metric`` is not of shape (d,), ``out`` has the wrong
        shape, dtype or memory layout, or ``check_finite`` and ``X`` is not finite.
    """
    if not (is_numpy(X) and X.ndim == 2 and X.dtype in (np.float32, np.float64)):
        raise TypeError(
            "gram_upper_flat needs a 2-D numpy array of float32 or float64, got "
            f"{type(X).__name__} of shape {np.shape(X)} and dtype {getattr(X, 'dtype', None)}"
        )
    n_rows, n_features = X.shape
    starts = np.asarray(starts, dtype=np.intp).reshape(-1)
    scalars = np.asarray(scalars, dtype=np.intp).reshape(-1)
    outside = np.any(starts < 0) or np.any(starts + d > n_features) or np.any(scalars < 0)
    if outside or np.any(scalars >= n_features):
        raise ValueError(
            f"vectors of {d} components at columns {starts.tolist()} and scalars at columns "
            f"{scalars.tolist()} must lie in the {n_features} columns of X"
        )
    if metric is not None and np.shape(metric) != (d,):
        raise ValueError(f"metric must be None or a diagonal of shape ({d},), got shape {np.shape(metric)}")
    offset = len(scalars) if offset is None else int(offset)
    n_filled = max(len(scalars), offset + len(starts) * (len(starts) + 1) // 2)
    if out is None:
        out = np.empty((n_rows, n_filled), X.dtype)
    fits = is_numpy(out) and out.ndim == 2 and out.shape[0] == n_rows and out.shape[1] >= n_filled
    if offset < 0 or not (fits and out.dtype == X.dtype and out.flags.c_contiguous):
        raise ValueError(
            f"out must be C-contiguous of dtype {X.dtype} and shape ({n_rows}, >= {n_filled}) with "
            f"offset >= 0, got {type(out).__name__} of shape {np.shape(out)} and dtype "
            f"{getattr(out, 'dtype', None)}, offset {offset}"
        )
    weights = np.ones(d, X.dtype) if metric is None else np.asarray(metric, X.dtype)
    total = gram_upper_columns(np.ascontiguousarray(X), starts, d, weights, out, offset, scalars)
    if check_finite and not np.isfinite(total):  # NaN or infinity, or a sum that overflowed
        for name, bad in (("NaN", np.isnan), ("infinity", np.isinf)):
            rows = np.flatnonzero(bad(X).any(axis=1))
            if len(rows):
                raise ValueError(f"X contains {name} (in {len(rows)} rows; the first is row {rows[0]})")
    return out


def _check_metric(metric, d):
    if metric is not None and tuple(np.shape(metric)) not in ((d,), (d, d)):
        raise ValueError(
            f"metric must have shape ({d},) or ({d}, {d}) for vectors of dimension {d}, "
            f"got shape {tuple(np.shape(metric))}"
        )


def _upper_shape(V):
    n = V.shape[-2]
    return tuple(V.shape[:-2]) + (n * (n + 1) // 2,)


def _check_out(out, V):
    if not (is_numpy(out) and is_numpy(V)):
        raise TypeError(f"out is only supported for numpy arrays, got V of type {type(V).__name__}")
    if out.shape != _upper_shape(V) or out.dtype != V.dtype:
        raise ValueError(
            f"out must have shape {_upper_shape(V)} and dtype {V.dtype} for V of shape {V.shape}, "
            f"got shape {out.shape} and dtype {out.dtype}"
        )


def _has_compiled_path(V, metric):
    """Whether the compiled kernel applies: real numpy floats, a diagonal metric, no empty axis."""
    n, d = V.shape[-2:]
    diagonal = metric is None or np.ndim(metric) == 1
    return is_numpy(V) and V.dtype in (np.float32, np.float64) and diagonal and n * d > 0


def _gram_upper_compiled(V, metric, out):
    """Fill the C-contiguous ``out`` with the compiled kernel."""
    n, d = V.shape[-2:]
    weights = np.ones(d, V.dtype) if metric is None else np.asarray(metric, V.dtype)
    flat = np.ascontiguousarray(V).reshape(-1, n * d)
    gram_upper_rows(flat, n, d, weights, out.reshape(-1, out.shape[-1]))
    return out


def determinants(V):
    """``det(v_i1, ..., v_id)`` for every ``d``-subset of the ``n`` vectors.

    Parameters
    ----------
    V : array of shape (..., n, d)

    Returns
    -------
    array of shape (..., C(n, d)); empty in the last axis when ``n < d``.
    """
    n, d = V.shape[-2:]
    subsets = as_index(subset_indices(n, d), V)
    return det(V[..., subsets, :])  # one d x d matrix per subset, rows = vectors


def cross_products(V):
    """Generalised cross products of every ``(d-1)``-subset of the ``n`` vectors.

    The product ``c`` of ``v_1, ..., v_{d-1}`` is the vector with
    ``<c, w> = det(v_1, ..., v_{d-1}, w)`` for every ``w``; in 3-D, ``c = v_1 x v_2``. It
    is equivariant under SO(d) and flips sign under reflections.

    Parameters
    ----------
    V : array of shape (..., n, d)

    Returns
    -------
    array of shape (..., C(n, d-1), d)
    """
    n, d = V.shape[-2:]
    subsets = as_index(subset_indices(n, d - 1), V)
    rows = V[..., subsets, :]  # (..., C, d-1, d)
    # Cofactor expansion along the last row: c_k = (-1)^(d-1+k) det(rows without column k).
    components = []
    for k in range(d):
        keep = as_index(np.array([c for c in range(d) if c != k], dtype=np.intp), V)
        minor = rows[..., keep]
        sign = (-1.0) ** (d - 1 + k)
        components.append(sign * det(minor))
    return stack(components, axis=-1)


def symplectic_products(V):
    """``omega(v_i, v_j) = v_i^T J v_j`` for ``i < j``, with ``J = [[0, I], [-I, 0]]``.

    Parameters
    ----------
    V : array of shape (..., n, 2m)
        Each vector is ``(q, p)`` with ``q`` and ``p`` of length ``m``.

    Returns
    -------
    array of shape (..., n(n-1)/2)
    """
    n, d = V.shape[-2:]
    if d % 2:
        raise ValueError(f"symplectic vectors need an even dimension, got vectors of shape {tuple(V.shape)}")
    m = d // 2
    q, p = V[..., :m], V[..., m:]
    omega = q @ swap_last(p) - p @ swap_last(q)
    rows, cols = pair_indices(n, strict=True)
    return omega[..., as_index(rows, V), as_index(cols, V)]


def hermitian_products(V):
    """``<v_i, v_j> = conj(v_i)^T v_j`` for ``i <= j``, complex.

    Parameters
    ----------
    V : complex array of shape (..., n, d)

    Returns
    -------
    complex array of shape (..., n(n+1)/2); the diagonal entries ``|v_i|^2`` are real.
    """
    n = V.shape[-2]
    G = V.conj() @ swap_last(V)
    rows, cols = pair_indices(n)
    return G[..., as_index(rows, V), as_index(cols, V)]
