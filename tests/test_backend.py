import subprocess
import sys

import numpy as np
import pytest
import torch

from scalars._backend import as_backend_of, as_index, concatenate, is_dataframe, stack, to_numpy

REAL = np.array([[0.0, 1.0], [-1.0, 0.0]])


@pytest.mark.parametrize(
    "array, reference, expected",
    [
        (REAL, np.zeros(2, np.float32), np.float32),
        (REAL, np.zeros(2, np.float64), np.float64),
        (REAL, np.zeros(2, np.int64), np.float64),
        (REAL, np.zeros(2, np.complex64), np.complex64),
        (1j * REAL, np.zeros(2, np.float32), np.complex64),
        (1j * REAL, np.zeros(2, np.float64), np.complex128),
    ],
)
def test_numpy_precision_follows_the_reference(array, reference, expected):
    result = as_backend_of(array, reference)
    assert isinstance(result, np.ndarray) and result.dtype == expected
    np.testing.assert_allclose(result, array, rtol=1e-7)


@pytest.mark.parametrize(
    "array, reference, expected",
    [
        (REAL, torch.float32, torch.float32),
        (REAL, torch.float64, torch.float64),
        (REAL, torch.int64, torch.float64),
        (1j * REAL, torch.float32, torch.complex64),
        (1j * REAL, torch.complex64, torch.complex64),
        (1j * REAL, torch.float64, torch.complex128),
        (torch.tensor(REAL), torch.float32, torch.float32),
    ],
)
def test_torch_precision_follows_the_reference(array, reference, expected):
    result = as_backend_of(array, torch.zeros(2, dtype=reference))
    assert isinstance(result, torch.Tensor) and result.dtype == expected
    np.testing.assert_allclose(to_numpy(result), to_numpy(array), rtol=1e-7)


def test_index_and_joins_follow_the_backend():
    index = np.array([1, 0])
    for x in (np.arange(4.0).reshape(2, 2), torch.arange(4.0).reshape(2, 2)):
        assert type(as_index(index, x)) is type(x)
        assert tuple(concatenate([x, x], axis=-1).shape) == (2, 4)
        assert tuple(stack([x, x], axis=-1).shape) == (2, 2, 2)
        np.testing.assert_array_equal(to_numpy(x[as_index(index, x)]), [[2, 3], [0, 1]])


def test_is_dataframe():
    import pandas as pd

    assert is_dataframe(pd.DataFrame({"a": [1.0]}))
    assert not is_dataframe(pd.Series([1.0])) and not is_dataframe(np.zeros((1, 1)))


def test_import_does_not_import_torch():
    code = "import sys, scalars, scalars.testing; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
