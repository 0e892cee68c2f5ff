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

from scalars._kernels import gram_upper_rows

__all__ = [
    "gram",
    "gram_upper",
    "determinants",
    "cross_products",
    "symplectic_products",
    "hermitian_products",
    "pair_indices",
    "subset_indices",
]


def _is_numpy(x):
    return isinstance(x, np.ndarray)


def _backend_index(x, index):
    """``index`` as a numpy array or as a torch tensor on the device of ``x``."""
    if _is_numpy(x):
        return index
    import torch

    return torch.as_tensor(index, device=x.device)


def _swap_last(x):
    return np.swapaxes(x, -1, -2) if _is_numpy(x) else x.transpose(-1, -2)


def _det(matrices):
    if _is_numpy(matrices):
        return np.linalg.det(matrices)
    import torch

    return torch.linalg.det(matrices)


def _as_metric(metric, like):
    """The metric as an array of the backend, dtype and device of ``like``."""
    if _is_numpy(like):
        return np.asarray(metric, dtype=like.dtype)
    import torch

    return torch.as_tensor(np.asarray(metric), dtype=like.dtype, device=like.device)


@lru_cache(maxsize=None)
def pair_indices(n, strict=False):
    """Row and column indices of the pairs ``i <= j`` (``i < j`` if ``strict``) of ``n`` items."""
    return np.triu_indices(n, k=1 if strict else 0)


@lru_cache(maxsize=None)
def subset_indices(n, k):
    """All ``k``-subsets of ``range(n)`` in lexicographic order, shape (C(n, k), k)."""
    return np.array(list(combinations(range(n), k)), dtype=np.intp).reshape(-1, k)


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
    """
    W = V if W is None else W
    if metric is not None:
        metric = _as_metric(metric, W)
        W = W * metric if metric.ndim == 1 else W @ _swap_last(metric)
    return V @ _swap_last(W)


def gram_upper(V, metric=None, out=None):
    """The ``n(n+1)/2`` distinct entries of a symmetric Gram matrix, ``i <= j`` row by row.

    Parameters
    ----------
    V : array of shape (..., n, d)
    metric : None, array of shape (d,) or (d, d)
        Symmetric metric, as in :func:`gram`. ``diag(1, -1, ..., -1)`` gives Minkowski products.
    out : ndarray of shape (..., n(n+1)/2), optional
        numpy only: where to write the result.

    Returns
    -------
    array of shape (..., n(n+1)/2)
    """
    n, d = V.shape[-2:]
    rows, cols = pair_indices(n)
    diagonal = metric is None or np.ndim(metric) == 1
    if _is_numpy(V) and V.dtype in (np.float32, np.float64) and diagonal:
        weights = np.ones(d, V.dtype) if metric is None else np.asarray(metric, V.dtype)
        lead = V.shape[:-2]
        flat = np.ascontiguousarray(V).reshape(-1, n * d)
        if out is None:
            out = np.empty(lead + (len(rows),), dtype=V.dtype)
        gram_upper_rows(flat, n, d, weights, out.reshape(-1, len(rows)))
        return out
    G = gram(V, metric=metric)
    result = G[..., _backend_index(G, rows), _backend_index(G, cols)]
    if out is not None:
        out[...] = result
        return out
    return result


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
    subsets = _backend_index(V, subset_indices(n, d))
    return _det(V[..., subsets, :])  # one d x d matrix per subset, rows = vectors


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
    subsets = _backend_index(V, subset_indices(n, d - 1))
    rows = V[..., subsets, :]  # (..., C, d-1, d)
    # Cofactor expansion along the last row: c_k = (-1)^(d-1+k) det(rows without column k).
    components = []
    for k in range(d):
        keep = _backend_index(V, np.array([c for c in range(d) if c != k], dtype=np.intp))
        minor = rows[..., keep]
        sign = (-1.0) ** (d - 1 + k)
        components.append(sign * _det(minor))
    if _is_numpy(V):
        return np.stack(components, axis=-1)
    import torch

    return torch.stack(components, dim=-1)


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
    omega = q @ _swap_last(p) - p @ _swap_last(q)
    rows, cols = pair_indices(n, strict=True)
    return omega[..., _backend_index(V, rows), _backend_index(V, cols)]


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
    G = V.conj() @ _swap_last(V)
    rows, cols = pair_indices(n)
    return G[..., _backend_index(V, rows), _backend_index(V, cols)]
