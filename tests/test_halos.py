"""Halo-like clouds (scalars.datasets.halo_clouds) and their measured properties."""

import numpy as np
import pytest
from scipy.stats import ortho_group

from scalars.datasets import HALO_PROPERTIES, halo_clouds, halo_properties

rng = np.random.default_rng(5)


def test_halo_clouds_are_seeded_rotated_plummer_spheres():
    X = halo_clouds(40, 50, seed=1)
    assert X.shape == (40, 50, 6) and np.array_equal(X, halo_clouds(40, 50, seed=1))
    radii = np.linalg.norm(X[..., :3], axis=-1)
    assert radii.max() <= 10.0 + 1e-12  # truncated at r = 10 before the squashing (which only shrinks)
    # Random orientations: the mean inertia tensor of many clouds is isotropic.
    S = np.einsum("cni,cnj->ij", X[..., :3], X[..., :3]) / X[..., :3].size * 3
    assert np.abs(S - np.trace(S) / 3 * np.eye(3)).max() < 0.35 * np.trace(S) / 3


def test_halo_properties_are_invariant_under_rotations_reflections_relabelling_and_boosts():
    X = halo_clouds(5, 30, seed=2)
    Q = ortho_group.rvs(3, random_state=3)
    moved = X[:, rng.permutation(30)].copy()
    moved[..., :3] = moved[..., :3] @ Q.T + 4.0
    moved[..., 3:] = moved[..., 3:] @ Q.T - 2.0
    y = halo_properties(X)
    assert y.shape == (5, len(HALO_PROPERTIES)) and np.allclose(halo_properties(moved), y, rtol=1e-10)


def test_halo_properties_closed_forms():
    # Two particles at +-(1/2, 0, 0) moving at +-(0, u, 0): K = u^2 / 2, W = -(1/4) / sqrt(1 + eps^2).
    u, eps = 0.3, 0.01
    X = np.array([[[0.5, 0, 0, 0, u, 0], [-0.5, 0, 0, 0, -u, 0]]])
    virial, b, c, beta = halo_properties(X, softening=eps)[0]
    assert np.isclose(virial, 4 * u**2 * np.sqrt(1 + eps**2)) and b == 0 and c == 0
    assert beta == -np.inf  # no radial motion at all: documented
    # Purely radial velocities: beta = 1. An isotropic cloud: beta near 0, axis ratios near 1.
    x = rng.standard_normal((1, 3000, 3))
    assert np.isclose(halo_properties(np.concatenate([x, 0.5 * x], axis=-1))[0, 3], 1.0)
    _, b, c, beta = halo_properties(np.concatenate([x, rng.standard_normal(x.shape)], axis=-1))[0]
    assert abs(beta) < 0.15 and 0.85 < c <= b <= 1


def test_halo_bad_input():
    with pytest.raises(ValueError, match="n_points must be an int >= 2, got 1"):
        halo_clouds(3, 1)
    with pytest.raises(ValueError, match=r"X must have shape \(n_clouds, n >= 2, 6\)"):
        halo_properties(np.zeros((3, 10, 3)))
