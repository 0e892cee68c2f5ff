"""ModifiedInertia: O(3) broken by the z axis, restored exactly by the axis as an input."""

import numpy as np
import pytest

from scalars.datasets import Inertia, ModifiedInertia
from scalars.estimators import EquivariantRegressor
from scalars.testing import equivariance_error


def closed_form(X):
    """``M = I + 0.3 (I g) g^T`` from rows of masses, positions and g (the z axis if not given)."""
    masses, positions = X[:, :5], X[:, 5:20].reshape(-1, 5, 3)
    g = X[:, 20:23] if X.shape[1] == 23 else np.tile([0.0, 0.0, 1.0], (len(X), 1))
    inertia = np.einsum("nk,nk,ij->nij", masses, (positions**2).sum(-1), np.eye(3))
    inertia -= np.einsum("nk,nki,nkj->nij", masses, positions, positions)
    return (inertia + 0.3 * np.einsum("nij,nj,nk->nik", inertia, g, g)).reshape(-1, 9)


def test_inputs_are_inertias_and_target_is_the_closed_form():
    data, plain = ModifiedInertia(50, seed=3), Inertia(50, seed=3)
    np.testing.assert_array_equal(data.X, plain.X)
    np.testing.assert_allclose(data.y, closed_form(data.X), rtol=1e-12)
    assert data.X.shape == (50, 20) and data.y.shape == (50, 9)
    assert not np.allclose(data.y.reshape(-1, 3, 3), data.y.reshape(-1, 3, 3).transpose(0, 2, 1))
    with_g = ModifiedInertia(50, seed=3, symmetry_breaking_input=True)
    assert with_g.X.shape == (50, 23) and with_g.layout == "5T0+5T1+T1"
    np.testing.assert_array_equal(with_g.X[:, 20:], np.tile([0.0, 0.0, 1.0], (50, 1)))
    np.testing.assert_array_equal(with_g.y, data.y)


def test_target_breaks_o3_without_g_and_keeps_it_with_g():
    without = ModifiedInertia(20, seed=0)
    assert equivariance_error(closed_form, "O(3)", without.X, layout="5T0+5T1", output="T2", rng=0).min() > 1e-2

    with_g = ModifiedInertia(20, seed=0, symmetry_breaking_input=True)
    np.testing.assert_allclose(closed_form(with_g.X), with_g.y, rtol=1e-12)
    assert equivariance_error(closed_form, "O(3)", with_g.X, layout="5T0+5T1+T1", output="T2", rng=0).max() < 1e-12


def test_ridge_with_g_as_input_is_exact_from_100_samples():
    train, test = ModifiedInertia(100, seed=0, symmetry_breaking_input=True), ModifiedInertia(200, seed=1, symmetry_breaking_input=True)
    params = dict(group="O(3)", layout=train.layout, particles=5)
    parts = train.equivariant_parts(train.y)
    symmetric = EquivariantRegressor(output="T2", degree=2, **params).fit(train.X, parts[:, :9])
    vector = EquivariantRegressor(output="T1", degree=3, **params).fit(train.X, parts[:, 9:])
    prediction = train.from_equivariant_parts(np.hstack([symmetric.predict(test.X), vector.predict(test.X)]))
    assert np.mean((prediction - test.y) ** 2) < 1e-10


def test_parts_round_trip_and_are_equivariant_outputs():
    data = ModifiedInertia(30, seed=2, symmetry_breaking_input=True)
    parts = data.equivariant_parts(data.y)
    assert parts.shape == (30, 12)
    np.testing.assert_allclose(data.from_equivariant_parts(parts), data.y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts[:, 9:] @ data.g, 0.0, atol=1e-12)  # u = A g is orthogonal to g


@pytest.mark.parametrize("flag", [True, False])
def test_repr_names_the_option(flag):
    assert repr(ModifiedInertia(3, seed=1, symmetry_breaking_input=flag)) == (
        f"ModifiedInertia(3, seed=1, symmetry_breaking_input={flag})"
    )


def test_parts_with_rotated_axes_are_equivariant():
    data = ModifiedInertia(10, seed=4, symmetry_breaking_input=True)
    R = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    rotated_X = data.X.copy()
    rotated_X[:, 5:] = (data.X[:, 5:].reshape(-1, 6, 3) @ R.T).reshape(-1, 18)
    rotated_y = closed_form(rotated_X)
    np.testing.assert_allclose(rotated_y.reshape(-1, 3, 3), R @ data.y.reshape(-1, 3, 3) @ R.T, atol=1e-10)
    parts = data.equivariant_parts(rotated_y, rotated_X[:, 20:])
    np.testing.assert_allclose(data.from_equivariant_parts(parts, rotated_X[:, 20:]), rotated_y, atol=1e-10)
    np.testing.assert_allclose(parts[:, 9:], data.equivariant_parts(data.y)[:, 9:] @ R.T, atol=1e-10)
