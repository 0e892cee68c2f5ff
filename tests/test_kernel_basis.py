import numpy as np
import pytest

from scalars import EquivariantRegressor, InvariantFeatures
from scalars.datasets import O5Synthetic
from scalars.preprocessing import kernel_basis, lengths_and_cosines
from scalars.testing import assert_invariant


def _gram(vectors):
    return InvariantFeatures(layout=f"{len(vectors[0])}T1").fit_transform(np.asarray(vectors).reshape(len(vectors), -1))


def test_lengths_then_cosines_in_the_order_of_the_gram_entries():
    vectors = [[[3.0, 0, 0], [0, 2.0, 0], [1.0, 1.0, 0]]]
    np.testing.assert_allclose(lengths_and_cosines(_gram(vectors)), [[3, 2, np.sqrt(2), 0, 1 / np.sqrt(2), 1 / np.sqrt(2)]])


def test_cosines_do_not_change_when_vectors_are_rescaled_and_a_zero_vector_gives_zero():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((20, 4, 3))
    features = lengths_and_cosines(_gram(vectors))
    rescaled = lengths_and_cosines(_gram(vectors * rng.uniform(0.1, 10, (20, 4, 1))))
    np.testing.assert_allclose(rescaled[:, 4:], features[:, 4:], rtol=1e-12, atol=1e-14)
    assert np.all(np.abs(features[:, 4:]) <= 1 + 1e-12)
    vectors[:, 1] = 0
    with_zero = lengths_and_cosines(_gram(vectors))
    assert np.all(np.isfinite(with_zero)) and np.all(with_zero[:, 1] == 0) and np.all(with_zero[:, 4] == 0)


@pytest.mark.parametrize("columns, message", [(np.ones((2, 4)), "not n \\(n \\+ 1\\) / 2"),
                                              (np.array([[-1.0, 0.0, 1.0]]), "negative squared length")])
def test_what_are_not_gram_entries_is_an_error(columns, message):
    with pytest.raises(ValueError, match=message):
        lengths_and_cosines(columns)


def test_kernel_basis_fits_o5_far_below_a_polynomial_and_is_invariant():
    train, test = O5Synthetic(100, seed=0), O5Synthetic(1000, seed=1)
    basis = kernel_basis(train.X, train.y, train.group, train.layout, random_state=0)
    kernel = EquivariantRegressor(train.group, train.layout, basis=basis).fit(train.X, train.y)
    polynomial = EquivariantRegressor(train.group, train.layout, degree=3).fit(train.X, train.y)
    errors = [np.mean((model.predict(test.X) - test.y) ** 2) for model in (kernel, polynomial)]
    assert errors[0] < 1e-3 and errors[0] < 0.05 * errors[1]
    # invariant up to rounding of the invariants, amplified by the ill-conditioned kernel features
    assert_invariant(kernel.predict, train.group, test.X[:20], layout=train.layout, rtol=1e-6)
    again = kernel_basis(train.X, train.y, train.group, train.layout, random_state=0)
    refit = EquivariantRegressor(train.group, train.layout, basis=again).fit(train.X, train.y)
    np.testing.assert_array_equal(refit.predict(test.X), kernel.predict(test.X))


def test_kernel_basis_needs_vectors_only():
    X = np.random.default_rng(0).standard_normal((30, 7))
    with pytest.raises(ValueError, match="layout of vectors only, got '1T0\\+2T1'"):
        kernel_basis(X, X[:, 0], "O(3)", "T0+2T1")
