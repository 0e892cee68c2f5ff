"""Assertions that a function is invariant or equivariant under random group elements.

For the project's tests and for users' own models::

    from scalars.testing import assert_equivariant
    assert_equivariant(model.predict, "O(3)", X, layout="5T0+5T1", output="T1")

Each assertion draws random elements ``g`` of the group, transforms the input vectors
(scalars stay as they are), and compares ``func(g . x)`` with ``func(x)`` (invariance) or
with ``g . func(x)`` (equivariance). ``g`` is applied in the precision of the array it acts
on, so a float32 model sees float32 inputs. The tolerance follows the lower precision of
input and output: about 1e-10 in double precision and 1e-4 in single, relative to the
output's largest magnitude. Inputs may be numpy arrays, torch tensors or, for flat rows, a
pandas DataFrame (``func`` then receives a DataFrame with the same columns).
:func:`assert_units_equivariant` does the same for a random change of units.
"""

import numpy as np

from scalars._backend import as_backend_of, is_dataframe, to_numpy
from scalars.groups import get_group
from scalars.layout import Layout
from scalars.units.testing import assert_units_equivariant

__all__ = [
    "assert_invariant",
    "assert_equivariant",
    "assert_units_equivariant",
    "act_on_inputs",
    "default_tolerance",
]


def default_tolerance(*dtypes):
    """Relative tolerance for the least precise of numpy ``dtypes``: 1e-10 if all are double
    precision (float64, complex128) or not floating point, 1e-4 otherwise."""
    bits = [np.finfo(dtype).bits for dtype in dtypes if np.issubdtype(dtype, np.inexact)]
    return 1e-10 if min(bits, default=64) >= 64 else 1e-4


def act_on_inputs(group, g, X, layout=None):
    """Apply ``g`` to the vectors in ``X``.

    Parameters
    ----------
    group : str or Group
    g : ndarray of shape (d, d)
        Applied in the precision of the vectors of ``X``.
    X : array of shape (..., n, d) if ``layout`` is None, else flat (n_samples, n_features)
        whose vectors take ``group.n_columns`` columns each; numpy, torch or a pandas
        DataFrame.
    layout : str or Layout, optional

    Returns
    -------
    Transformed ``X``, same type and shape (a DataFrame keeps its index and columns).
    """
    group = get_group(group)
    if is_dataframe(X):
        moved = act_on_inputs(group, g, X.to_numpy(), layout)
        return X.__class__(moved, index=X.index, columns=X.columns)
    if layout is None:
        return group.act(as_backend_of(g, X), X)
    layout = Layout.parse(layout)
    _, vector_columns = layout.column_indices(group.n_columns)
    vectors = group.vectors_from_columns(X[..., vector_columns])
    moved = group.columns_from_vectors(group.act(as_backend_of(g, vectors), vectors))
    out = X.clone() if hasattr(X, "clone") else X.copy()
    out[..., vector_columns] = moved
    return out


def _act_on_output(group, g, Y, output):
    if output == "T0":
        return Y
    g = as_backend_of(g, Y)
    if output == "T1":
        return group.act(g, Y[..., None, :])[..., 0, :]
    if output == "T2":
        d = group.d
        if Y.shape[-1] == d * d:  # flattened tensors
            return group.act_tensor(g, Y.reshape(tuple(Y.shape[:-1]) + (d, d))).reshape(Y.shape)
        return group.act_tensor(g, Y)
    raise ValueError(f"output must be 'T0', 'T1' or 'T2', got {output!r}")


def _assert_close(actual, expected, rtol, what):
    actual, expected = to_numpy(actual), to_numpy(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: output shape {actual.shape} != expected {expected.shape}")
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    error = float(np.max(np.abs(actual - expected), initial=0.0))
    if not error <= rtol * scale:  # also fails on NaN
        raise AssertionError(
            f"{what}: max |difference| {error:.3g} exceeds {rtol:.1g} x {scale:.3g} "
            f"(output scale)"
        )


def assert_equivariant(func, group, X, layout=None, output="T1", n_elements=3, rng=None, rtol=None):
    """Check ``func(g . X) == g . func(X)`` for random elements ``g`` of ``group``.

    Parameters
    ----------
    func : callable
        Maps ``X`` to outputs; numpy, torch or pandas.
    group : str or Group
    X : array or DataFrame
        Vectors (..., n, d) if ``layout`` is None, else flat rows (n_samples, n_features).
    layout : str or Layout, optional
        Column layout of flat ``X``.
    output : {"T0", "T1", "T2"}
        How outputs transform: invariant scalars, vectors (..., d), or rank-2 tensors
        (..., d, d) or flattened (..., d*d) as ``g T g^T``.
    n_elements : int
        Number of random group elements to try.
    rng : int or numpy Generator, optional
    rtol : float, optional
        Tolerance relative to the largest output magnitude; by default from the lower
        precision of ``X`` and the outputs (see :func:`default_tolerance`).

    Raises
    ------
    AssertionError
        Naming the group element's index and the size of the violation.
    """
    group = get_group(group)
    rng = np.random.default_rng(rng)
    Y = _array(func(X))
    if rtol is None:
        rtol = default_tolerance(to_numpy(X).dtype, to_numpy(Y).dtype)
    for index in range(n_elements):
        g = group.sample(rng=rng)
        moved = _array(func(act_on_inputs(group, g, X, layout)))
        expected = _act_on_output(group, g, Y, output)
        _assert_close(moved, expected, rtol, f"{group.name} element {index} ({output} output)")


def _array(Y):
    """Outputs as an array: a DataFrame (e.g. from ``set_output(transform="pandas")``) as numpy."""
    return Y.to_numpy() if is_dataframe(Y) else Y


def assert_invariant(func, group, X, layout=None, n_elements=3, rng=None, rtol=None):
    """Check ``func(g . X) == func(X)`` for random elements ``g`` of ``group``.

    Same parameters as :func:`assert_equivariant` with ``output="T0"``.
    """
    assert_equivariant(func, group, X, layout, "T0", n_elements, rng, rtol)
