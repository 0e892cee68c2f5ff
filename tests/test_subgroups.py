"""Subgroups of S(n) from clusters of nodes: YoungSubgroup, NodeSubsetRep and SubgroupNetwork."""

import numpy as np
import pytest
import torch

from scalars.groups import YoungSubgroup
from scalars.nn import SubgroupNetwork
from scalars.reps import NodeSubsetRep, T, equivariant_basis, project_equivariant, risk_gap
from scalars.testing import assert_equivariant

# 10 nodes: visible 0-5, hidden 6-9; clusters inside each half
CLUSTERS = [[0, 3, 4], [1, 2, 5], [6, 9], [7], [8]]
VISIBLE, HIDDEN = [0, 1, 2, 3, 4, 5], [6, 7, 8, 9]


def test_young_subgroup_order_elements_and_samples_keep_the_clusters():
    G = YoungSubgroup(CLUSTERS)
    assert G.order == 6 * 6 * 2 == len(G.elements())
    assert G.name.startswith("S(3)xS(3)xS(2)xS(1)xS(1)[")  # not contiguous: a digest of the clusters
    samples = G.sample(20, rng=0)
    labels = G.labels
    for g in samples:  # column i is e_pi(i): node i goes to a node of its own cluster
        assert np.array_equal(labels[np.argmax(g, axis=0)], labels)
    assert G != YoungSubgroup([[0, 1, 2], [3, 4, 5], [6, 9], [7], [8]])  # same sizes, other clusters


def test_equivariant_maps_are_counted_per_pair_of_clusters():
    # between two clusters: c 1 1^T (one map); within one of two or more nodes: a I + b 1 1^T (two)
    G = YoungSubgroup.from_labels(np.arange(16) // 4)
    assert equivariant_basis(T(1)(G), T(1)(G)).shape[1] == 4 * 2 + 12
    assert equivariant_basis(NodeSubsetRep(range(8), G), NodeSubsetRep(range(8, 16), G)).shape[1] == 4
    trivial = YoungSubgroup.from_labels(np.arange(5))
    assert trivial.name == "S(1)^5" and trivial.order == 1
    assert equivariant_basis(T(1)(trivial), T(1)(trivial)).shape[1] == 25


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("channels", [0, 3])
def test_subgroup_network_is_exactly_equivariant(dtype, channels):
    torch.manual_seed(0)
    net = SubgroupNetwork(YoungSubgroup(CLUSTERS), VISIBLE, HIDDEN, channels=channels).to(dtype)
    X = torch.randn(16, 6, dtype=dtype)
    assert_equivariant(net, X, n_elements=5, rng=1)
    # and it is not equivariant to permutations that mix clusters: the model did choose a subgroup
    swap = torch.arange(6)
    swap[[0, 1]] = swap[[1, 0]]
    with torch.no_grad():
        assert not torch.allclose(net(X[:, swap]), net(X), atol=1e-3)


def test_full_symmetric_group_and_plain_maps_are_the_ends():
    X = torch.randn(8, 5, dtype=torch.float64)
    net = SubgroupNetwork("S(5)").double()
    assert_equivariant(net, X, n_elements=3, rng=0)
    plain = SubgroupNetwork(YoungSubgroup.from_labels(np.arange(5))).double()
    assert sum(p.numel() for p in plain.parameters()) == 25 + 5  # every entry and every bias


def test_projection_onto_a_product_subgroup_is_the_group_average():
    G = YoungSubgroup(CLUSTERS)
    rep_in, rep_out = NodeSubsetRep(VISIBLE, G), NodeSubsetRep(HIDDEN, G)
    W = np.random.default_rng(0).standard_normal((4, 6))
    average = project_equivariant(W, rep_in, rep_out, method="average")
    np.testing.assert_allclose(project_equivariant(W, rep_in, rep_out, method="basis"), average, atol=1e-12)
    for g in G.sample(5, rng=2):
        np.testing.assert_allclose(rep_out.rho(g) @ average, average @ rep_in.rho(g), atol=1e-12)


def test_risk_gap_with_correlated_inputs_and_noise_matches_simulation():
    G = YoungSubgroup([[0, 1], [2, 3, 4], [5, 6], [7]])
    rep_in, rep_out = NodeSubsetRep([0, 1, 2, 3, 4], G), NodeSubsetRep([5, 6, 7], G)
    rng = np.random.default_rng(0)
    d, k, n, trials = 5, 3, 30, 4000
    theta = project_equivariant(rng.standard_normal((k, d)), rep_in, rep_out) + 0.1 * rng.standard_normal((k, d))
    L = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
    M = rng.standard_normal((k, k)) / 2 + np.eye(k)
    X = rng.standard_normal((trials, n, d)) @ L.T  # inputs N(0, L L^T), noise N(0, M M^T)
    Y = X @ theta.T + rng.standard_normal((trials, n, k)) @ M.T
    W = np.linalg.solve(np.swapaxes(X, 1, 2) @ X, np.swapaxes(X, 1, 2) @ Y).swapaxes(1, 2)

    def risk(E):
        return np.einsum("toi,ij,toj->t", E, L @ L.T, E)

    excess = risk(W - theta) - risk(project_equivariant(W, rep_in, rep_out) - theta)
    half_width = 1.96 * excess.std(ddof=1) / np.sqrt(trials)
    predicted = risk_gap(n, rep_in, rep_out, M @ M.T, target=theta, input_covariance=L @ L.T)
    assert abs(excess.mean() - predicted) < half_width
    # identity covariances give the scalar formula
    assert risk_gap(n, rep_in, rep_out, 2.0 * np.eye(k), input_covariance=np.eye(d)) == pytest.approx(risk_gap(n, rep_in, rep_out, 2.0))


def test_bad_subgroups_and_covariances_are_named():
    with pytest.raises(ValueError, match="partition the nodes .* repeated \\[1\\]"):
        YoungSubgroup([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="missing \\[1\\]"):
        YoungSubgroup([[0], [2]])
    with pytest.raises(ValueError, match="group O\\(3\\) is not a subgroup of S\\(n\\)"):
        SubgroupNetwork("O(3)")
    with pytest.raises(ValueError, match="group Z\\(4\\) is not a subgroup of S\\(n\\)"):
        SubgroupNetwork("Z(4)")
    with pytest.raises(TypeError, match="group must be a Group or a group name .* got list"):
        SubgroupNetwork([[0, 1], [2]])
    with pytest.raises(ValueError, match="channels must be an integer >= 0, got -1"):
        SubgroupNetwork("S(3)", channels=-1)
    G = YoungSubgroup(CLUSTERS)
    with pytest.raises(ValueError, match="map the nodes \\[0, 1\\] to themselves"):
        NodeSubsetRep([0, 1], G)
    V = T(1)("S(3)")
    with pytest.raises(ValueError, match="input_covariance must be positive definite"):
        risk_gap(10, V, V, 1.0, input_covariance=np.diag([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="noise_variance must be a number or a symmetric \\(3, 3\\) matrix"):
        risk_gap(10, V, V, np.ones((2, 2)))


def test_invariants_per_cluster_are_invariant_and_the_vector_basis_equivariant():
    G = YoungSubgroup(CLUSTERS)
    V = np.random.default_rng(3).standard_normal((4, 2, 10))
    names = G.invariant_names(["a", "b"])
    assert len(names) == G.invariants(V).shape[-1] and names[0].endswith("@0")
    for g in G.sample(3, rng=4):
        np.testing.assert_allclose(G.invariants(V @ g.T), G.invariants(V), atol=1e-12)
        np.testing.assert_allclose(G.vector_basis(V @ g.T), G.vector_basis(V) @ g.T, atol=1e-12)
    swap = np.eye(10)[:, [1, 0, *range(2, 10)]]  # mixes clusters 0 and 1: the invariants see it
    assert not np.allclose(G.invariants(V @ swap.T), G.invariants(V))
