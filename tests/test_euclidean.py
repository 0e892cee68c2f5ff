"""E(d) and SE(d): points translate, free vectors do not; invariants of the centred points."""

import numpy as np
import pytest

from scalars import EquivariantRegressor, InvariantFeatures
from scalars.testing import assert_equivariant, assert_invariant


def cloud(n_samples=40, seed=0):
    """Three points and one velocity per sample, far from the origin."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_samples, 12)) + np.r_[np.full(9, 5.0), np.zeros(3)]


def test_features_are_translation_invariant_but_see_the_free_vector():
    X = cloud()
    features = InvariantFeatures(group="E(3)", layout="3P+T1").fit(X)
    assert features.get_feature_names_out()[:2].tolist() == ["<v0-c,v0-c>", "<v0-c,v1-c>"]
    assert_invariant(features.transform, "E(3)", X, layout="3P+T1", n_elements=5)
    shifted = X.copy()
    shifted[:, 9:] += 1.0  # moving the velocity changes the features
    assert not np.allclose(features.transform(shifted), features.transform(X))
    centred = X[:, :9].reshape(-1, 3, 3) - X[:, :9].reshape(-1, 3, 3).mean(1, keepdims=True)
    np.testing.assert_allclose(features.transform(X)[:, 0], (centred[:, 0] ** 2).sum(1))


def test_se3_features_include_determinants_and_break_under_reflection():
    X = cloud(seed=1)
    features = InvariantFeatures(group="SE(3)", layout="3P+T1").fit(X)
    assert_invariant(features.transform, "SE(3)", X, layout="3P+T1")
    with pytest.raises(AssertionError, match=r"E\(3\)"):
        assert_invariant(features.transform, "E(3)", X, layout="3P+T1", n_elements=10)


def test_vector_outputs_are_e3_equivariant():
    X = cloud(80, seed=2)
    points = X[:, :9].reshape(-1, 3, 3)
    y = points[:, 0] - points.mean(1) + X[:, 9:] * ((points[:, 1] - points[:, 2]) ** 2).sum(1, keepdims=True)
    model = EquivariantRegressor(group="E(3)", layout="3P+T1", output="T1").fit(X, y)
    assert np.mean((model.predict(X) - y) ** 2) < 1e-15
    assert_equivariant(model.predict, "E(3)", X, layout="3P+T1", output="T1")


def test_points_without_a_euclidean_group_are_vectors():
    X = cloud(seed=3)
    plain = InvariantFeatures(group="O(3)", layout="4T1").fit_transform(X)
    np.testing.assert_allclose(InvariantFeatures(group="O(3)", layout="3P+T1").fit_transform(X), plain)
