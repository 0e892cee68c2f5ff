import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from scalars import InvariantFeatures
from scalars.testing import act_on_inputs, assert_equivariant, assert_invariant, default_tolerance


def test_assert_invariant_catches_a_coordinate():
    V = np.random.default_rng(0).standard_normal((5, 2, 3))
    with pytest.raises(AssertionError, match=r"O\(3\) element 0"):
        assert_invariant(lambda V: V[..., 0, 0], "O(3)", V)


def test_assert_equivariant_catches_a_fixed_vector():
    V = np.random.default_rng(0).standard_normal((5, 2, 3))
    with pytest.raises(AssertionError):
        assert_equivariant(lambda V: V[..., 0, :] + np.array([1.0, 0.0, 0.0]), "O(3)", V)


def test_assert_equivariant_accepts_flat_rows_with_scalars():
    X = np.random.default_rng(1).standard_normal((4, 7))  # "T0+2T1": m, v0, v1

    def scaled_sum(X):
        return X[:, :1] * (X[:, 1:4] + X[:, 4:7])

    assert_equivariant(scaled_sum, "O(3)", X, layout="T0+2T1", output="T1")


def test_tolerance_follows_dtype():
    V = np.random.default_rng(0).standard_normal((5, 2, 3))
    noisy = lambda V: (V ** 2).sum(axis=(-1, -2)) + 1e-7 * V[..., 0, 0]
    assert_invariant(lambda V: noisy(V).astype(np.float32), "O(3)", V)
    with pytest.raises(AssertionError, match="exceeds 1e-10"):
        assert_invariant(noisy, "O(3)", V)


def test_act_on_inputs_leaves_scalars_alone():
    X = np.arange(7.0)[None]
    g = -np.eye(3)
    moved = act_on_inputs("O(3)", g, X, layout="T1+T0+T1")
    np.testing.assert_array_equal(moved, [[-0.0, -1, -2, 3, -4, -5, -6]])
    assert X[0, 0] == 0 and X[0, 1] == 1  # input untouched


def _checks_dtype(dtype, func):
    """``func`` that fails unless its input has ``dtype``."""

    def checked(X):
        assert X.dtype == dtype, f"got {X.dtype}"
        return func(X)

    return checked


def test_float32_functions_get_float32_inputs():
    X = np.random.default_rng(2).standard_normal((6, 7)).astype(np.float32)
    scaled_sum = lambda X: X[:, :1] * (X[:, 1:4] + X[:, 4:7])
    assert_equivariant(_checks_dtype(np.float32, scaled_sum), "O(3)", X, layout="T0+2T1")
    V = torch.tensor(X[:, 1:].reshape(6, 2, 3))
    assert_equivariant(_checks_dtype(torch.float32, lambda V: V.sum(-2)), "O(1,2)", V)


def test_complex64_tensors_stay_complex64():
    V = torch.randn(5, 2, 2, dtype=torch.complex64)
    assert_equivariant(_checks_dtype(torch.complex64, lambda V: 1j * V[..., 0, :]), "U(2)", V)
    assert_invariant(_checks_dtype(torch.complex64, lambda V: (V.abs() ** 2).sum((-1, -2))), "U(2)", V)


def test_tolerance_follows_the_less_precise_of_input_and_output():
    X = np.random.default_rng(3).standard_normal((5, 2, 3))
    squared_norms = lambda V: (V.astype(np.float64) ** 2).sum(axis=-1)
    assert_invariant(squared_norms, "O(3)", X.astype(np.float32))  # float32 rounding, float64 output
    with pytest.raises(AssertionError, match="exceeds 1e-10"):
        assert_invariant(lambda V: squared_norms(V.astype(np.float32)), "O(3)", X)


def test_default_tolerance():
    assert default_tolerance(np.float64) == default_tolerance(np.complex128, np.int64) == 1e-10
    assert default_tolerance(np.float64, np.float32) == default_tolerance(np.complex64) == 1e-4


def test_pipeline_fitted_on_a_dataframe():
    columns = ["m", "x0", "y0", "z0", "x1", "y1", "z1"]
    X = pd.DataFrame(np.random.default_rng(4).standard_normal((40, 7)), columns=columns)
    y = X["m"] * (X[["x0", "y0", "z0"]].to_numpy() ** 2).sum(axis=1)
    model = make_pipeline(InvariantFeatures(group="O(3)", layout="T0+2T1"), Ridge(alpha=1e-3)).fit(X, y)
    seen = []

    def predict(X):
        seen.append(X)
        return model.predict(X)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "X does not have valid feature names"
        assert_invariant(predict, "O(3)", X, layout="T0+2T1", n_elements=2)
    assert len(seen) == 3
    assert all(isinstance(x, pd.DataFrame) and list(x.columns) == columns for x in seen)
    moved = seen[1]
    np.testing.assert_array_equal(moved["m"], X["m"])
    assert not np.allclose(moved["x0"], X["x0"])


def test_act_on_inputs_of_a_dataframe_keeps_index_and_columns():
    X = pd.DataFrame(np.array([[0.0, 1, 2, 3]]), columns=["q", "a", "b", "c"], index=[7])
    moved = act_on_inputs("O(3)", -np.eye(3), X, layout="T0+T1")
    expected = pd.DataFrame(np.array([[0.0, -1, -2, -3]]), columns=["q", "a", "b", "c"], index=[7])
    pd.testing.assert_frame_equal(moved, expected)


def test_dataframe_outputs_are_compared_as_arrays():
    X = pd.DataFrame(np.random.default_rng(5).standard_normal((8, 6)), columns=list("abcdef"))
    features = InvariantFeatures(group="O(3)", layout="2T1").set_output(transform="pandas").fit(X)
    assert isinstance(features.transform(X), pd.DataFrame)
    assert_invariant(features.transform, "O(3)", X, layout="2T1")
    with pytest.raises(AssertionError, match=r"O\(3\) element 0"):
        assert_invariant(lambda X: X[["a", "b"]], "O(3)", X, layout="2T1")


def test_assertions_return_the_largest_error_they_saw():
    V = np.random.default_rng(6).standard_normal((5, 2, 3))
    error = assert_invariant(lambda V: (V**2).sum((-1, -2)), "O(3)", V)
    assert 0 <= error < 1e-13
    assert assert_invariant(lambda V: (V**2).sum((-1, -2)) + 1e-12 * V[..., 0, 0], "O(3)", V) > 1e-14


def test_failure_names_group_element_and_tolerance():
    X = np.random.default_rng(7).standard_normal((4, 3))
    with pytest.raises(AssertionError, match=r"O\(3\) element 0 \(T1 output\).*exceeds 1e-10 x .*tolerance.*g = \[\["):
        assert_equivariant(lambda X: X + 1.0, "O(3)", X, layout="T1", output="T1")


def test_unitary_vector_outputs_of_a_regressor():
    from scalars import EquivariantRegressor

    X = np.random.default_rng(8).standard_normal((50, 8))
    model = EquivariantRegressor(group="U(2)", layout="2T1", output="T1").fit(X, 2 * X[:, :4] - X[:, 4:])
    assert assert_equivariant(model.predict, "U(2)", X, layout="2T1", output="T1") < 1e-10
    with pytest.raises(AssertionError, match=r"U\(2\)"):
        assert_equivariant(lambda X: X[:, [0, 1, 0, 1]] * 0 + X[:, :4] ** 2, "U(2)", X, layout="2T1", output="T1")


def test_several_inputs_move_together():
    rng = np.random.default_rng(9)
    A, B = rng.standard_normal((6, 3)), rng.standard_normal((6, 4))  # a vector; a scalar and a vector

    def combine(A, B):
        return B[:, :1] * A + np.cross(A, B[:, 1:])

    assert_equivariant(combine, "SO(3)", (A, B), layout=("T1", "T0+T1"), output="T1")
    with pytest.raises(AssertionError):
        assert_equivariant(combine, "O(3)", (A, B), layout=("T1", "T0+T1"), output="T1", n_elements=8)
