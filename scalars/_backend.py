"""The few operations whose numpy and torch spellings differ, in one place.

An array is treated as numpy if it is an ``ndarray`` and as torch otherwise. torch is
imported only once a tensor is seen, so ``import scalars`` does not import it.
"""

import sys

import numpy as np


def is_numpy(x):
    return isinstance(x, np.ndarray)


def is_dataframe(x):
    """Whether ``x`` is a pandas DataFrame (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(x, pandas.DataFrame)


def to_numpy(x):
    """``x`` (numpy, torch, pandas or nested lists) as a numpy array."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def as_floating(x):
    """``x`` itself if it holds floats or complex numbers, else ``x`` as float64.

    Integer and boolean products wrap around or saturate (int8 ``100 * 100`` is 16), so
    kernels promote them first; numpy stays numpy and torch stays torch.
    """
    if is_numpy(x):
        return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)
    import torch

    return x if x.is_floating_point() or x.is_complex() else x.to(torch.float64)


def as_index(index, like):
    """An integer ``index`` array, as a torch tensor on the device of ``like`` if it is one."""
    if is_numpy(like):
        return index
    import torch

    return torch.as_tensor(index, device=like.device)


def swap_last(x):
    """``x`` with its last two axes swapped (the batched transpose)."""
    return np.swapaxes(x, -1, -2) if is_numpy(x) else x.transpose(-1, -2)


def det(matrices):
    """Determinants of matrices of shape (..., k, k)."""
    if is_numpy(matrices):
        return np.linalg.det(matrices)
    import torch

    return torch.linalg.det(matrices)


def concatenate(arrays, axis):
    """Join arrays along an existing ``axis``."""
    if is_numpy(arrays[0]):
        return np.concatenate(arrays, axis=axis)
    import torch

    return torch.cat(arrays, dim=axis)


def ones(shape, like):
    """An array of ones of ``shape`` with the backend, dtype and device of ``like``."""
    if is_numpy(like):
        return np.ones(shape, dtype=like.dtype)
    import torch

    return torch.ones(shape, dtype=like.dtype, device=like.device)


def stack(arrays, axis):
    """Join arrays along a new ``axis``."""
    if is_numpy(arrays[0]):
        return np.stack(arrays, axis=axis)
    import torch

    return torch.stack(arrays, dim=axis)


def broadcast_to(x, shape):
    """A read-only broadcast view of ``x`` with ``shape``."""
    return np.broadcast_to(x, shape) if is_numpy(x) else x.expand(shape)


def as_backend_of(array, reference):
    """``array`` in the backend, device and precision of ``reference``.

    Parameters
    ----------
    array : array-like or tensor
        Real or complex, e.g. a group element or a metric.
    reference : ndarray or tensor
        Its precision (single for float32 or complex64, double for float64 or complex128,
        double for integer arrays) and backend are used; the result is complex if either
        ``array`` or ``reference`` is.

    Returns
    -------
    ndarray or tensor
        The same values, as numpy if ``reference`` is numpy, else as a torch tensor on the
        device of ``reference``.
    """
    complex_ = array.is_complex() if hasattr(array, "is_complex") else np.iscomplexobj(array)
    if is_numpy(reference):
        return np.asarray(array, dtype=_numpy_dtype(reference.dtype, complex_))
    import torch

    return torch.as_tensor(array, dtype=_torch_dtype(reference.dtype, complex_), device=reference.device)


def _numpy_dtype(reference_dtype, complex_):
    dtype = reference_dtype if np.issubdtype(reference_dtype, np.inexact) else np.dtype(np.float64)
    return np.result_type(dtype, np.complex64) if complex_ else dtype


def _torch_dtype(reference_dtype, complex_):
    import torch

    if not (reference_dtype.is_floating_point or reference_dtype.is_complex):
        reference_dtype = torch.float64
    if complex_ and not reference_dtype.is_complex:
        return torch.complex64 if reference_dtype.itemsize <= 4 else torch.complex128
    return reference_dtype


def diagonal(matrices):
    """The diagonals of matrices of shape (..., k, k), shape (..., k)."""
    if is_numpy(matrices):
        return np.diagonal(matrices, axis1=-2, axis2=-1)
    import torch

    return torch.diagonal(matrices, dim1=-2, dim2=-1)


def vandermonde(x, k):
    """Powers ``x ** 0, ..., x ** (k - 1)`` of ``x`` of shape (..., m), shape (..., m, k).

    Built by repeated multiplication, so that it is the same in numpy and torch and
    differentiable at ``x = 0``.
    """
    powers = [ones(x.shape, like=x)]
    for _ in range(1, k):
        powers.append(powers[-1] * x)
    return stack(powers, axis=-1)
