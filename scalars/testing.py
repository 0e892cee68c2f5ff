"""Assertions that a function is invariant or equivariant under random group elements.

For the project's tests and for users' own models::

    from scalars.testing import assert_equivariant
    assert_equivariant(model.predict, "O(3)", X, layout="5T0+5T1", output="T1")

Each assertion draws random elements ``g`` of the group, transforms the input vectors
(scalars stay as they are), and compares ``func(g . x)`` with ``func(x)`` (invariance) or
with ``g . func(x)`` (equivariance). The tolerance follows the dtype of the output: about
1e-10 in float64 and 1e-4 in float32, relative to the output's largest magnitude.
:func:`assert_units_equivariant` does the same for a random change of units.
"""

import numpy as np

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


def default_tolerance(dtype):
    """Relative tolerance for outputs of numpy ``dtype``: 1e-10 in double precision
    (float64, complex128), 1e-4 below."""
    return 1e-10 if np.finfo(dtype).bits >= 64 else 1e-4


def _to_numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def _like(array, reference):
    """``array`` (numpy) as the backend, dtype and device of ``reference``."""
    if isinstance(reference, np.ndarray):
        return np.asarray(array).astype(np.result_type(reference.dtype, array.dtype), copy=False)
    import torch

    dtype = reference.dtype if not np.iscomplexobj(array) else torch.complex128
    return torch.as_tensor(array, dtype=dtype, device=reference.device)


def act_on_inputs(group, g, X, layout=None):
    """Apply ``g`` to the vectors in ``X``.

    Parameters
    ----------
    group : str or Group
    g : ndarray of shape (d, d)
    X : array of shape (..., n, d) if ``layout`` is None, else flat (n_samples, n_features)
        whose vectors take ``group.n_columns`` columns each; numpy or torch.
    layout : str or Layout, optional

    Returns
    -------
    Transformed ``X``, same type and shape.
    """
    group = get_group(group)
    if layout is None:
        return group.act(_like(g, X), X)
    layout = Layout.parse(layout)
    scalar_columns, vector_columns = layout.column_indices(group.n_columns)
    vectors = group.vectors_from_columns(X[..., vector_columns])
    moved = group.columns_from_vectors(group.act(_like(g, vectors), vectors))
    out = X.clone() if hasattr(X, "clone") else X.copy()
    out[..., vector_columns] = moved
    return out


def _act_on_output(group, g, Y, output):
    if output == "T0":
        return Y
    if output == "T1":
        return group.act(g, Y[..., None, :])[..., 0, :]
    if output == "T2":
        d = group.d
        if Y.shape[-1] == d * d:  # flattened tensors
            return group.act_tensor(g, Y.reshape(tuple(Y.shape[:-1]) + (d, d))).reshape(Y.shape)
        return group.act_tensor(g, Y)
    raise ValueError(f"output must be 'T0', 'T1' or 'T2', got {output!r}")


def _assert_close(actual, expected, rtol, what):
    actual, expected = _to_numpy(actual), _to_numpy(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: output shape {actual.shape} != expected {expected.shape}")
    if rtol is None:
        rtol = default_tolerance(actual.dtype)
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
        Maps ``X`` to outputs; numpy or torch.
    group : str or Group
    X : array
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
        Tolerance relative to the largest output magnitude; by default from the dtype.

    Raises
    ------
    AssertionError
        Naming the group element's index and the size of the violation.
    """
    group = get_group(group)
    rng = np.random.default_rng(rng)
    Y = func(X)
    for index in range(n_elements):
        g = group.sample(rng=rng)
        moved = func(act_on_inputs(group, g, X, layout))
        expected = _act_on_output(group, _like(g, Y), Y, output)
        _assert_close(moved, expected, rtol, f"{group.name} element {index} ({output} output)")


def assert_invariant(func, group, X, layout=None, n_elements=3, rng=None, rtol=None):
    """Check ``func(g . X) == func(X)`` for random elements ``g`` of ``group``.

    Same parameters as :func:`assert_equivariant` with ``output="T0"``.
    """
    assert_equivariant(func, group, X, layout, "T0", n_elements, rng, rtol)
