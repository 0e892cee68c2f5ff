"""Array kernels for the invariant scalars of a set of vectors.

Every function takes vectors of shape ``(..., n, d)``, batched over any leading axes. A
numpy array gives a numpy array; a torch tensor gives a torch tensor of the same dtype and
device, differentiable through autograd.

Pairs and subsets are always listed in the same order, which the feature names follow:
pairs ``(i, j)`` with ``i <= j`` (or ``i < j``) row by row, subsets in lexicographic order.

Integer and boolean vectors are promoted to float64. numpy results are checked against the
range of their dtype: a product that overflows although the vectors are finite raises a
``ValueError`` naming it, and nonzero results below the smallest normal number (subnormal,
so with fewer significant bits) give a ``RuntimeWarning``. NaN and inf in the vectors pass
through, as in numpy. torch results are not checked: a diverging rollout of a model must
be able to reach inf.
"""

import warnings
from functools import lru_cache
from itertools import combinations

import numba
import numpy as np

from scalars._backend import as_backend_of, as_floating, as_index, det, is_numpy, stack, swap_last, to_numpy
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
        If ``metric`` is neither of shape (d,) nor (d, d), or a product overflows.
    """
    V = _as_vectors(V, "V")
    W = V if W is None else _as_vectors(W, "W")
    if W.shape[-1] != V.shape[-1]:
        raise ValueError(f"V and W must have vectors of one dimension, got shapes {tuple(V.shape)} and {tuple(W.shape)}")
    _check_metric(metric, V.shape[-1])
    second = "v" if W is V else "w"
    return _checked("gram", _products(V, W, metric), (V, W), lambda i, j: f"<v{i},{second}{j}>", 2)


def _products(V, W, metric):
    """Unchecked ``V M W^T``."""
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
        numpy only: where to write the result; same dtype as ``V`` (float64 for integer
        ``V``), any memory layout.

    Returns
    -------
    array of shape (..., n(n+1)/2)
        ``out`` if it was given.

    Raises
    ------
    ValueError
        If ``metric`` is neither of shape (d,) nor (d, d), ``out`` has the wrong shape or
        dtype, or a product overflows.
    """
    V = _as_vectors(V, "V")
    n, d = V.shape[-2:]
    _check_metric(metric, d)
    compiled = _has_compiled_path(V, metric)
    rows, cols = pair_indices(n)
    label = lambda k: f"<v{rows[k]},v{cols[k]}>"  # noqa: E731
    if out is None:
        if compiled:
            out = _gram_upper_compiled(V, metric, np.empty(_upper_shape(V), V.dtype))
        else:
            G = _products(V, V, metric)
            out = G[..., as_index(rows, G), as_index(cols, G)]
        return _checked("gram_upper", out, (V,), label)
    _check_out(out, V)
    if compiled and out.flags.c_contiguous:
        return _checked("gram_upper", _gram_upper_compiled(V, metric, out), (V,), label)
    out[...] = gram_upper(V, metric)  # checked; reshaping a non-contiguous out would write to a copy
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
        shape, dtype or memory layout, ``check_finite`` and ``X`` is not finite, or a Gram
        entry overflows.
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
    contiguous = np.ascontiguousarray(X)
    total = gram_upper_columns(contiguous, starts, d, weights, out, offset, scalars, add_input=check_finite)
    if check_finite and not np.isfinite(total):  # NaN or infinity in X, or an overflow
        for name, bad in (("NaN", np.isnan), ("infinity", np.isinf)):
            rows = np.flatnonzero(bad(X).any(axis=1))
            if len(rows):
                raise ValueError(f"X contains {name} (in {len(rows)} rows; the first is row {rows[0]})")
        rows = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if len(rows):
            raise ValueError(
                f"the Gram entries of finite X overflow {X.dtype} (in {len(rows)} rows; the first is "
                f"row {rows[0]}, largest |x| {np.abs(X[rows[0]]).max():.3g}): rescale X"
            )
    if not check_finite:  # else the kernel's own pass has summed the Gram entries too
        rows, cols = pair_indices(len(starts))
        gram = out[:, offset : offset + len(rows)]
        _checked("gram_upper_flat", gram, (X,), lambda k: f"<v{rows[k]},v{cols[k]}>")
    return out


def _as_vectors(V, name):
    """``V`` (numpy, torch or nested lists) as an array of float vectors (..., n, d), d >= 1.

    Integers and booleans are promoted to float64: their products wrap around.
    """
    if not (is_numpy(V) or hasattr(V, "is_floating_point")):  # neither numpy nor torch
        V = np.asarray(V)
    if is_numpy(V) and V.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {V.dtype}")
    if V.ndim < 2 or V.shape[-1] < 1:
        raise ValueError(f"{name} must be vectors of shape (..., n, d) with d >= 1, got shape {tuple(V.shape)}")
    return as_floating(V)


def _check_metric(metric, d):
    if metric is None:
        return
    if tuple(np.shape(metric)) not in ((d,), (d, d)):
        raise ValueError(
            f"metric must have shape ({d},) or ({d}, {d}) for vectors of dimension {d}, "
            f"got shape {tuple(np.shape(metric))}"
        )
    if not np.isfinite(to_numpy(metric)).all():
        raise ValueError(f"metric must be finite, got {metric}")


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
    V = _as_vectors(V, "V")
    n, d = V.shape[-2:]
    subsets = subset_indices(n, d)
    dets = det(V[..., as_index(subsets, V), :])  # one d x d matrix per subset, rows = vectors
    return _checked("determinants", dets, (V,), lambda k: _subset_name("det", subsets[k]))


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
    V = _as_vectors(V, "V")
    n, d = V.shape[-2:]
    subsets = subset_indices(n, d - 1)
    rows = V[..., as_index(subsets, V), :]  # (..., C, d-1, d)
    # Cofactor expansion along the last row: c_k = (-1)^(d-1+k) det(rows without column k).
    components = []
    for k in range(d):
        keep = as_index(np.array([c for c in range(d) if c != k], dtype=np.intp), V)
        minor = rows[..., keep]
        sign = (-1.0) ** (d - 1 + k)
        components.append(sign * det(minor))
    label = lambda k, c: f"{_subset_name('cross', subsets[k])}[{c}]"  # noqa: E731
    return _checked("cross_products", stack(components, axis=-1), (V,), label, 2)


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
    V = _as_vectors(V, "V")
    n, d = V.shape[-2:]
    if d % 2:
        raise ValueError(f"symplectic vectors need an even dimension, got vectors of shape {tuple(V.shape)}")
    m = d // 2
    q, p = V[..., :m], V[..., m:]
    omega = q @ swap_last(p) - p @ swap_last(q)
    rows, cols = pair_indices(n, strict=True)
    products = omega[..., as_index(rows, V), as_index(cols, V)]
    return _checked("symplectic_products", products, (V,), lambda k: f"omega(v{rows[k]},v{cols[k]})")


def hermitian_products(V):
    """``<v_i, v_j> = conj(v_i)^T v_j`` for ``i <= j``, complex.

    Parameters
    ----------
    V : complex array of shape (..., n, d)

    Returns
    -------
    complex array of shape (..., n(n+1)/2); the diagonal entries ``|v_i|^2`` are real.
    """
    V = _as_vectors(V, "V")
    n = V.shape[-2]
    G = V.conj() @ swap_last(V)
    rows, cols = pair_indices(n)
    products = G[..., as_index(rows, V), as_index(cols, V)]
    return _checked("hermitian_products", products, (V,), lambda k: f"<v{rows[k]},v{cols[k]}>")


def _subset_name(function, subset):
    return f"{function}({','.join(f'v{i}' for i in subset)})"


def _checked(kernel, out, inputs, label, entry_axes=1):
    """``out``, the numpy result of ``kernel``, checked against the range of its dtype.

    Raises a ValueError if ``out`` is not finite although every array of ``inputs`` is, and
    warns if it holds subnormal numbers; both name the first such entry by ``label(*entry)``
    (``entry`` being its index in the last ``entry_axes`` axes) and its sample (the other
    axes). torch results are returned unchecked.
    """
    if not is_numpy(out):
        return out
    magnitude = np.abs(out) if np.iscomplexobj(out) else out  # |z| says whether z lost precision
    n_infinite, n_subnormal = _count_out_of_range(magnitude)
    if n_infinite and all(np.isfinite(x).all() for x in inputs):
        index = np.unravel_index(np.flatnonzero(~np.isfinite(magnitude))[0], out.shape)
        largest = max(np.abs(x).max() for x in inputs)
        raise ValueError(
            f"{kernel} overflows {magnitude.dtype}: {_locate(index, label, entry_axes)} is {out[index]} "
            f"although the vectors are finite (largest |entry| {largest:.3g}); rescale the vectors"
        )
    if n_subnormal:
        tiny = np.finfo(magnitude.dtype).tiny
        index = np.unravel_index(np.flatnonzero((np.abs(magnitude) < tiny) & (magnitude != 0))[0], out.shape)
        warnings.warn(
            f"{kernel}: {n_subnormal} results are subnormal (nonzero but below {tiny:.3g}), so they "
            f"have lost relative precision, first {_locate(index, label, entry_axes)}; rescale the vectors",
            RuntimeWarning,
            stacklevel=3,
        )
    return out


def _locate(index, label, entry_axes):
    """``<v0,v1> at sample (2,)`` for the entry of a result at ``index``."""
    sample, entry = index[: len(index) - entry_axes], index[len(index) - entry_axes :]
    where = label(*(int(i) for i in entry))
    return f"{where} at sample {tuple(int(i) for i in sample)}" if sample else where


def _count_out_of_range(values):
    """Numbers of non-finite and of subnormal entries of a real array (any memory layout)."""
    info = np.finfo(values.dtype)
    if values.size and values.dtype in (np.float32, np.float64):
        # A 2-D view, strided or not, is read in place: the Gram columns of a wider out.
        return _count_out_of_range_compiled(values.reshape(-1, values.shape[-1]), info.tiny, info.max)
    magnitude = np.abs(values)
    return np.count_nonzero(~(magnitude <= info.max)), np.count_nonzero((magnitude < info.tiny) & (magnitude > 0))


@numba.njit(parallel=True, cache=True)
def _count_out_of_range_compiled(values, tiny, huge):
    # One pass without temporaries: the check costs about as much as np.isfinite(values).all().
    n_infinite = 0
    n_subnormal = 0
    for row in numba.prange(values.shape[0]):
        for column in range(values.shape[1]):
            x = abs(values[row, column])
            n_infinite += not x <= huge  # NaN fails every comparison
            n_subnormal += (x < tiny) & (x > 0)
    return n_infinite, n_subnormal
