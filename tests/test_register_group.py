"""A group defined and registered by a user, with no edit to the package, works end to end."""

from itertools import product

import numpy as np
import pytest

from scalars import EquivariantMLPRegressor, EquivariantRegressor, InvariantFeatures
from scalars.groups import Group, get_group, register_group
from scalars.reps import rep
from scalars.testing import assert_equivariant, assert_invariant


class Signs(Group):
    """Sign flips of each coordinate of R^d: the diagonal matrices with entries +-1."""

    is_finite = True

    def __init__(self, d):
        self.d, self.name = d, f"Signs({d})"

    def elements(self):
        return np.array([np.diag(signs) for signs in product([1.0, -1.0], repeat=self.d)])

    def sample(self, size=None, rng=None):
        elements = self.elements()
        return elements[np.random.default_rng(rng).integers(len(elements), size=size)]

    def lie_algebra(self):
        return np.zeros((0, self.d, self.d))

    def discrete_generators(self):
        return np.array([np.diag(np.where(np.arange(self.d) == i, -1.0, 1.0)) for i in range(self.d)])

    def invariants(self, V):  # products of the same coordinate of two vectors
        rows, cols = np.triu_indices(V.shape[-2])
        return (V[..., rows, :] * V[..., cols, :]).reshape(*V.shape[:-2], -1)

    def invariant_names(self, names):
        rows, cols = np.triu_indices(len(names))
        return [f"{names[i]}{names[j]}[{c}]" for i, j in zip(rows, cols) for c in range(self.d)]


@pytest.fixture(scope="module", autouse=True)
def registered():
    register_group(r"Signs\((\d+)\)", Signs)


def test_features_estimators_and_checks_with_a_registered_group():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 7))  # a scalar and two vectors of R^3
    y = X[:, 0] * X[:, 1] * X[:, 4] + X[:, 3] ** 2  # invariant under coordinate sign flips
    assert get_group("Signs(3)") == Signs(3)
    features = InvariantFeatures(group="Signs(3)", layout="T0+2T1").fit(X)
    assert features.n_output_features_ == 1 + 9
    assert_invariant(features.transform, "Signs(3)", X, layout="T0+2T1", n_elements=8)
    model = EquivariantRegressor(group="Signs(3)", layout="T0+2T1").fit(X, y)
    assert np.mean((model.predict(X) - y) ** 2) < 1e-15
    assert_invariant(model.predict, "Signs(3)", X, layout="T0+2T1", n_elements=8)
    vector = EquivariantRegressor(group="Signs(3)", layout="T0+2T1", output="T1").fit(X, X[:, :1] * X[:, 1:4])
    assert_equivariant(vector.predict, "Signs(3)", X, layout="T0+2T1", output="T1", n_elements=8)
    mlp = EquivariantMLPRegressor(group="Signs(3)", layout="T0+2T1", max_epochs=2, random_state=0).fit(X, y)
    assert_invariant(mlp.predict, "Signs(3)", X, layout="T0+2T1", n_elements=8)
    assert rep("T0+2T1", "Signs(3)").size == 7
