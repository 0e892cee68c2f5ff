import numpy as np
import pytest

from scalars.testing import act_on_inputs, assert_equivariant, assert_invariant


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
