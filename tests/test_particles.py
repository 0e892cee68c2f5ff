"""Interchangeable particles: S(k) x G acting on layouts, per-particle outputs, power-sum features."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scalars import EquivariantMLPRegressor, EquivariantRegressor, InvariantFeatures
from scalars.datasets import Inertia
from scalars.nn import EquivariantHead, VectorHead
from scalars.testing import act_on_inputs, assert_equivariant, assert_invariant


def pairwise_forces(n_samples, seed, k=5):
    """Masses and positions of ``k`` particles; force on each ``F_i = sum_j m_i m_j (r_j - r_i)``."""
    rng = np.random.default_rng(seed)
    masses = rng.uniform(0.5, 2.0, (n_samples, k))
    positions = rng.standard_normal((n_samples, k, 3))
    separations = positions[:, None, :, :] - positions[:, :, None, :]  # [i, j] = r_j - r_i
    forces = np.einsum("ni,nj,nijd->nid", masses, masses, separations)
    return np.concatenate([masses, positions.reshape(n_samples, -1)], 1), forces.reshape(n_samples, -1)


@pytest.fixture(scope="module")
def force_model():
    X, y = pairwise_forces(100, seed=0)
    return EquivariantRegressor(group="O(3)", layout="5T0+5T1", output="5T1", particles=5).fit(X, y)


def test_per_particle_vectors_fit_a_pairwise_force_law_exactly(force_model):
    X, y = pairwise_forces(500, seed=1)
    assert force_model.predict(X).shape == (500, 15)
    assert np.mean((force_model.predict(X) - y) ** 2) < 1e-15


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_per_particle_vectors_are_exactly_permutation_and_rotation_equivariant(force_model, seed):
    X, _ = pairwise_forces(20, seed=seed % 1000)
    error = assert_equivariant(force_model.predict, "S(5)xO(3)", X, layout="5T0+5T1", output="5T1", n_elements=2, rng=seed)
    assert error < 1e-10


def test_relabelled_particles_are_caught(force_model):
    X, _ = pairwise_forces(20, seed=2)
    relabelled = lambda X: np.roll(force_model.predict(X), 3, axis=1)  # rotation-equivariant only
    assert_equivariant(relabelled, "O(3)", X, layout="5T0+5T1", output="5T1")
    with pytest.raises(AssertionError, match=r"S\(5\)xO\(3\) element 0 \(5T1 output\)"):
        assert_equivariant(relabelled, "S(5)xO(3)", X, layout="5T0+5T1", output="5T1", rng=0)


def test_particles_keyword_and_product_group_give_the_same_model():
    train = Inertia(100, seed=0)
    by_keyword = EquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    by_group = EquivariantRegressor(group="S(5)xO(3)", layout="5T0+5T1", output="T2").fit(train.X, train.y)
    np.testing.assert_allclose(by_group.coef_, by_keyword.coef_)
    with pytest.raises(ValueError, match="particles=4 but the group S\\(5\\)xO\\(3\\) permutes 5"):
        EquivariantRegressor(group="S(5)xO(3)", layout="5T0+5T1", output="T2", particles=4).fit(train.X, train.y)


def test_per_particle_scalars_and_global_vectors():
    # Each particle's energy in a field g: m_i <r_i, g>; g is one global vector.
    rng = np.random.default_rng(3)
    masses, positions, g = rng.uniform(1, 2, (80, 4)), rng.standard_normal((80, 4, 3)), rng.standard_normal((80, 3))
    X = np.concatenate([masses, positions.reshape(80, -1), g], 1)
    y = masses * np.einsum("nid,nd->ni", positions, g)
    model = EquivariantRegressor(group="O(3)", layout="4T0+4T1+T1", output="4T0", particles=4).fit(X, y)
    assert np.mean((model.predict(X) - y) ** 2) < 1e-15
    assert_equivariant(model.predict, "S(4)xO(3)", X, layout="4T0+4T1+T1", output="4T0")


def test_mlp_estimator_and_head_give_per_particle_outputs():
    X, y = pairwise_forces(64, seed=4, k=3)
    model = EquivariantMLPRegressor(
        group="O(3)", layout="3T0+3T1", output="3T1", particles=3, max_epochs=2, random_state=0
    ).fit(X, y)
    assert model.predict(X).shape == (64, 9)
    assert_equivariant(model.predict, "S(3)xO(3)", X, layout="3T0+3T1", output="3T1")
    assert VectorHead("O(3)", "3T0+3T1", particles=3).double()(torch.tensor(X)).shape == (64, 3)
    per_particle = EquivariantHead("O(3)", "3T0+3T1", "3T1", particles=3).double()
    out = per_particle(torch.tensor(X))
    assert out.shape == (64, 3, 3)
    assert_equivariant(
        lambda X: per_particle(X).detach().reshape(len(X), -1), "S(3)xO(3)", torch.tensor(X), layout="3T0+3T1", output="3T1"
    )


def test_sum_outputs_fit_each_part():
    # A scalar and a vector at once: m <q, q> and m q.
    rng = np.random.default_rng(5)
    X = rng.standard_normal((60, 4))
    y = np.column_stack([X[:, 0] * (X[:, 1:] ** 2).sum(1), X[:, :1] * X[:, 1:]])
    model = EquivariantRegressor(group="O(3)", layout="T0+T1", output="T0+T1").fit(X, y)
    assert model.predict(X).shape == (60, 4)
    assert np.mean((model.predict(X) - y) ** 2) < 1e-15
    assert_equivariant(model.predict, "O(3)", X, layout="T0+T1", output="T0+T1")


def test_invariant_features_of_particles_are_power_sums():
    X, _ = pairwise_forces(30, seed=6)
    features = InvariantFeatures(group="S(5)xO(3)", layout="5T0+5T1").fit(X)
    Z = features.transform(X)
    names = features.get_feature_names_out()
    assert Z.shape == (30, len(names)) == (30, features.n_output_features_)
    assert names[0] == "sum_i(s0_i)" and "sum_i!=j(<v0_i,v0_j>)" in names
    masses, positions = X[:, :5], X[:, 5:].reshape(30, 5, 3)
    np.testing.assert_allclose(Z[:, list(names).index("sum_i(s0_i)")], masses.sum(1))
    np.testing.assert_allclose(
        Z[:, list(names).index("sum_i!=j(<v0_i,v0_j>)")],
        np.einsum("nid,njd->n", positions, positions) - (positions**2).sum((1, 2)),
    )
    assert not any("s0_i*<v0_i,v0_i>" in name and "!=" in name for name in names)  # single-particle terms once
    assert_invariant(features.transform, "S(5)xO(3)", X, layout="5T0+5T1", n_elements=5)
    moved = act_on_inputs("S(5)xO(3)", (np.eye(5)[:, [1, 2, 3, 4, 0]], np.eye(3)), X, layout="5T0+5T1")
    np.testing.assert_allclose(features.transform(moved), Z)
    assert InvariantFeatures(group="S(5)xO(3)", layout="5T0+5T1", degree=3).fit(X).n_output_features_ > len(names)
