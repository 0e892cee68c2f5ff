"""Permutation groups given by generators: order, membership and sampling without listing,
and equivariant bases that agree with the orbit count of index pairs."""

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from scalars.groups import MatrixGroup, PermutationGroup, RubiksCube, get_group
from scalars.reps import T, equivariant_basis


def orbitals(permutations):
    """The number of orbits of the group on ordered pairs of points, by joining (i, j) to (g i, g j)."""
    n = permutations.shape[1]
    pairs = np.arange(n * n).reshape(n, n)
    moved = [g[:, None] * n + g[None, :] for g in permutations]
    rows = np.concatenate([pairs.ravel()] * len(moved))
    cols = np.concatenate([m.ravel() for m in moved])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n * n, n * n))
    return connected_components(graph, directed=False)[0]


def test_rubiks_cube_order_orbits_and_name():
    G = get_group("RubiksCube")
    assert isinstance(G, RubiksCube) and G == RubiksCube()
    assert G.order == 43_252_003_274_489_856_000
    assert G.d == 48


def test_rubiks_cube_equivariant_maps_are_its_orbitals():
    """corner-corner: same sticker, two twists, other cubies; edge-edge: 3; corner-edge, edge-corner: 1 each."""
    G = RubiksCube()
    basis = equivariant_basis(T(1)(G), T(1)(G))
    assert basis.shape[1] == orbitals(G.permutations) == 9
    rng = np.random.default_rng(0)
    W = (basis @ rng.normal(size=9)).reshape(48, 48)
    for P in G.sample(4, rng=1):
        np.testing.assert_allclose(P @ W, W @ P, atol=1e-12)


def test_samples_are_members_and_a_sticker_swap_is_not():
    G = RubiksCube()
    samples = G.sample(6, rng=2)
    assert samples.shape == (6, 48, 48)
    assert G.contains(samples).all()
    swap = np.eye(48)[:, [1, 0, *range(2, 48)]]
    assert not G.contains(swap)
    assert not G.contains(0.5 * np.eye(48))
    assert G.contains(G.sample(rng=3)).shape == ()


def test_small_group_agrees_with_closure_and_samples_uniformly():
    images = [[1, 0, 2, 3], [1, 2, 3, 0]]  # generates S(4)
    G = PermutationGroup(images)
    closed = MatrixGroup(G.discrete_generators())
    assert G.order == closed.order == len(G.elements()) == 24
    counts = {}
    for P in G.sample(4800, rng=4):
        key = P.tobytes()
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 24
    chi2 = sum((c - 200) ** 2 / 200 for c in counts.values())
    assert chi2 < 49.7  # the 99.9% quantile of chi-square with 23 degrees of freedom


def test_cyclic_group_maps_are_circulants():
    G = PermutationGroup([[1, 2, 3, 4, 0]], name="Shifts(5)")
    assert equivariant_basis(T(1)(G), T(1)(G)).shape[1] == 5 == G.order


@pytest.mark.parametrize(
    "generators, match",
    [
        ([[0, 0, 1]], "not a permutation"),
        ([[1.0, 0.0]], "integer"),
        ([], "non-empty"),
        ([[1, 2], [0]], "images"),
    ],
)
def test_bad_generators_are_rejected(generators, match):
    with pytest.raises(ValueError, match=match):
        PermutationGroup(generators)


def test_listing_a_large_group_is_refused_at_once():
    with pytest.raises(ValueError, match="too many to list"):
        RubiksCube().elements()
