import numpy as np
import pytest

from scalars.datasets import Inertia, O5Synthetic, ParticleInteraction
from scalars.groups import get_group
from scalars.layout import Layout

DATASETS = [O5Synthetic, Inertia, ParticleInteraction]


@pytest.mark.parametrize("dataset", DATASETS)
def test_shapes_match_layout_and_output(dataset):
    data = dataset(7, seed=0)
    group = get_group(data.group)
    assert data.X.shape == (7, Layout.parse(data.layout).n_features(group.n_columns))
    assert data.y.shape == {"T0": (7,), "T2": (7, group.d**2)}[data.output]
    assert len(data) == 7


@pytest.mark.parametrize("dataset", DATASETS)
def test_seeded(dataset):
    np.testing.assert_array_equal(dataset(5, seed=3).X, dataset(5, seed=3).X)
    assert not np.array_equal(dataset(5, seed=3).X, dataset(5, seed=4).X)


def test_o5synthetic_formula():
    data = O5Synthetic(20, seed=1)
    for x, y in zip(data.X, data.y):
        x1, x2 = x[:5], x[5:]
        a, b = np.sqrt(x1 @ x1), np.sqrt(x2 @ x2)
        assert y == pytest.approx(np.sin(a) - b**3 / 2 + (x1 @ x2) / (a * b), rel=1e-12)


def test_inertia_formula_and_mass_distribution():
    data = Inertia(20, seed=2)
    masses, positions = data.X[:, :5], data.X[:, 5:].reshape(-1, 5, 3)
    assert np.all(masses > 0)
    for m, r, y in zip(masses, positions, data.y):
        tensor = np.zeros((3, 3))
        for mass, position in zip(m, r):
            tensor += mass * (position @ position * np.eye(3) - np.outer(position, position))
        np.testing.assert_allclose(y.reshape(3, 3), tensor, rtol=1e-12, atol=1e-12)
    # softplus of standard normals: median log(2)
    assert np.median(Inertia(4000, seed=0).X[:, :5]) == pytest.approx(np.log(2), abs=0.05)


def test_particle_interaction_formula():
    data = ParticleInteraction(20, seed=3)
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    for x, y in zip(data.X, data.y):
        p1, p2, p3, p4 = x.reshape(4, 4)
        dot = lambda a, b: a @ eta @ b  # noqa: E731
        # Contracted by hand: Le^{mu nu} Lmu_{mu nu} with Le = p1 p3^T - a eta, Lmu = (eta p2)(eta p4)^T - b eta
        a, b = dot(p1, p3) - dot(p1, p1), dot(p2, p4) - dot(p2, p2)
        expected = 4 * (dot(p1, p2) * dot(p3, p4) - b * dot(p1, p3) - a * dot(p2, p4) + 4 * a * b)
        assert y == pytest.approx(expected, rel=1e-10, abs=1e-14)

