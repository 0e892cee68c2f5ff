"""Lightweight invariants of weighted graphs (S(n) by conjugation) and point clouds (O(d) x S(n))."""

import numpy as np
import pytest
from scipy.stats import ortho_group
from sklearn.base import clone

from scalars import GraphInvariants, PointCloudInvariants
from scalars.clouds import cloud_invariants
from scalars.graphs import graph_invariants

rng = np.random.default_rng(27)


def symmetric(n_samples, n):
    A = rng.standard_normal((n_samples, n, n))
    return (A + np.swapaxes(A, 1, 2)) / 2


def relative_difference(F, G):
    return np.max(np.abs(F - G) / np.maximum(1.0, np.abs(F)))


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_graph_invariants_are_invariant_and_sized(n):
    A = symmetric(6, n)
    P = np.eye(n)[rng.permutation(n)]
    features = GraphInvariants().fit(A)
    F = features.transform(A)
    assert F.shape == (6, n * (n + 3) // 2) == (6, len(features.get_feature_names_out()))
    assert relative_difference(F, features.transform(P @ A @ P.T)) < 1e-10
    assert np.array_equal(F, features.transform(A.reshape(6, -1)))  # flat rows are the same matrices


def test_graph_invariants_separate_random_pairs():
    n = 6
    A, B = symmetric(200, n), symmetric(200, n)
    features = GraphInvariants().fit(A)
    gaps = np.abs(features.transform(A) - features.transform(B)).max(axis=1)
    assert gaps.min() > 1e-6


def test_graph_invariants_recover_the_matrix_when_the_diagonal_is_distinct():
    # The proof of separation, run: sorted diagonal from the power sums, W = V^-T Q V^-1.
    n = 4
    A = symmetric(1, n)[0]
    F = graph_invariants(A)
    diagonal = np.sort(np.roots(np.poly(np.diag(A))).real)  # the multiset the power sums fix
    Q = np.zeros((n, n))
    Q[np.triu_indices(n)] = F[n:]
    Q = Q + np.triu(Q, 1).T
    V = np.vander(diagonal, n, increasing=True)
    W = np.linalg.solve(V.T, np.linalg.solve(V.T, Q.T).T)
    order = np.argsort(np.diag(A))
    assert np.allclose(W, (A - np.diag(np.diag(A)))[np.ix_(order, order)], atol=1e-8)


def test_graph_invariants_do_not_see_the_labels_of_an_unweighted_graph():
    # Documented limit: zero diagonal leaves the edge count; node weights on the diagonal fix it.
    graphs = np.zeros((2, 4, 4))  # the path 0-1-2-3 and the star around 0, three edges each
    graphs[0, [0, 1, 2], [1, 2, 3]] = graphs[0, [1, 2, 3], [0, 1, 2]] = 1
    graphs[1, 0, [1, 2, 3]] = graphs[1, [1, 2, 3], 0] = 1
    F = GraphInvariants().fit_transform(graphs)
    assert np.array_equal(F[0], F[1])
    degrees = graphs.sum(axis=2)
    weighted = graphs + np.einsum("si,ij->sij", degrees, np.eye(4))
    G = GraphInvariants().fit_transform(weighted)
    assert np.abs(G[0] - G[1]).max() > 1


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((2, 3, 4)), "must be square"),
        (np.zeros((2, 5)), "not a square"),
        (np.zeros((2, 2, 2, 2)), "3-D .* got 4 dimensions"),
        (np.array([[[0.0, 1.0], [2.0, 0.0]]]), r"symmetric: sample 0 has A\[0, 1\] = 1.0 but A\[1, 0\] = 2.0"),
        (np.full((1, 2, 2), np.nan), "NaN"),
    ],
)
def test_graph_invariants_refuse_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        GraphInvariants().fit(X)


def test_graph_invariants_refuse_another_size_and_accept_tiny_asymmetry():
    features = GraphInvariants().fit(symmetric(2, 3))
    with pytest.raises(ValueError, match="fitted on 3 x 3 matrices"):
        features.transform(symmetric(2, 4))
    A = symmetric(2, 3)
    A[0, 0, 1] += 1e-12
    assert features.transform(A).shape == (2, 9)


@pytest.mark.parametrize("d", [2, 3, 4])
@pytest.mark.parametrize("degree", [3, None])
def test_cloud_invariants_are_invariant_and_sized(d, degree):
    n = 9
    X = rng.standard_normal((5, n, d))
    Q = ortho_group.rvs(d, random_state=int(rng.integers(1000)))
    features = PointCloudInvariants(d=d, degree=degree).fit(X)
    F = features.transform(X)
    K = n if degree is None else degree
    assert F.shape == (5, K + K * (K + 1) + max(d - 2, 0)) == (5, len(features.get_feature_names_out()))
    assert relative_difference(F, features.transform(X[:, rng.permutation(n)] @ Q.T)) < 1e-10
    assert np.array_equal(F, features.transform(X.reshape(5, -1)))


def test_centred_cloud_invariants_ignore_translations():
    X = rng.standard_normal((4, 10, 3))
    features = PointCloudInvariants(center=True).fit(X)
    assert relative_difference(features.transform(X), features.transform(X + rng.standard_normal((4, 1, 3)))) < 1e-10


def test_cloud_invariants_are_the_graph_invariants_of_the_gram_matrix():
    # <m_a, m_b> = mean_ij r_i^a G_ij r_j^b and tr(S_a S_b) = mean_ij r_i^a G_ij^2 r_j^b, without G.
    n, K = 6, 3
    X = rng.standard_normal((n, 3))
    r, G = (X * X).sum(1), X @ X.T
    F = cloud_invariants(X, K)
    pairs = list(zip(*np.triu_indices(K)))
    first = [(np.outer(r ** (a + 1), r ** (b + 1)) * G).sum() / n**2 for a, b in pairs]
    second = [(np.outer(r**a, r**b) * G**2).sum() / n**2 for a, b in pairs]
    S0 = X.T @ X / n
    expected = [*(np.mean(r**k) for k in range(1, K + 1)), *first, *second, np.trace(S0 @ S0 @ S0)]
    assert np.allclose(F, expected, rtol=1e-12)


def test_cloud_invariants_separate_random_pairs_and_mirror_images_are_equal():
    X, Y = rng.standard_normal((200, 8, 3)), rng.standard_normal((200, 8, 3))
    features = PointCloudInvariants(degree=None).fit(X)
    assert np.abs(features.transform(X) - features.transform(Y)).max(axis=1).min() > 1e-6
    mirror = X * np.array([-1.0, 1.0, 1.0])  # O(3), not SO(3): a reflection is a symmetry
    assert relative_difference(features.transform(X), features.transform(mirror)) < 1e-10


def test_cloud_invariants_of_repeated_points_are_defined():
    X = np.repeat(rng.standard_normal((3, 1, 3)), 5, axis=1)
    F = PointCloudInvariants().fit_transform(X)
    assert np.isfinite(F).all()
    assert np.allclose(F[:, 0], (X[:, 0] ** 2).sum(1))  # mean r of five copies is the one r


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((2, 1, 3)), "at least 2 points"),
        (np.zeros((2, 4, 2)), "d=3 coordinates"),
        (np.zeros((2, 7)), "n \\* d = n \\* 3 columns"),
        (np.zeros(6), "got 1 dimensions"),
        (np.full((2, 4, 3), np.nan), "NaN"),
    ],
)
def test_cloud_invariants_refuse_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        PointCloudInvariants().fit(X)


@pytest.mark.parametrize(
    "transformer, X",
    [(GraphInvariants(), symmetric(5, 4)), (PointCloudInvariants(d=2, degree=2), rng.standard_normal((5, 6, 2)))],
)
def test_transformer_rules(transformer, X):
    fitted = clone(transformer).fit(X)
    assert clone(transformer).get_params() == transformer.get_params()
    assert np.array_equal(fitted.transform(X), clone(transformer).fit_transform(X))
    assert fitted.transform(X.astype(np.float32)).dtype == np.float32
    assert fitted.n_features_in_ == X[0].size
    assert len(set(fitted.get_feature_names_out())) == fitted.n_output_features_


@pytest.mark.parametrize(
    "transformer, X",
    [(GraphInvariants(), symmetric(50, 5)), (PointCloudInvariants(), rng.standard_normal((50, 20, 3)))],
)
def test_featurize_on_dask_is_bit_identical(transformer, X):
    da = pytest.importorskip("dask.array")
    from scalars.parallel import featurize

    flat = X.reshape(len(X), -1)
    fitted = transformer.fit(flat)
    lazy = featurize(fitted, da.from_array(flat, chunks=(13, 7)))
    assert np.array_equal(lazy.compute(), fitted.transform(flat))


def test_torch_gives_the_same_features_and_gradients():
    torch = pytest.importorskip("torch")
    A, X = symmetric(3, 4), rng.standard_normal((3, 6, 3))
    assert np.allclose(graph_invariants(torch.tensor(A)).numpy(), graph_invariants(A), rtol=1e-12)
    points = torch.tensor(X, requires_grad=True)
    features = cloud_invariants(points, 3, center=True)
    assert np.allclose(features.detach().numpy(), cloud_invariants(X, 3, center=True), rtol=1e-12)
    features.sum().backward()
    assert torch.isfinite(points.grad).all() and points.grad.abs().max() > 0


def test_torch_modules_compute_the_transformers_features():
    torch = pytest.importorskip("torch")
    from scalars.nn import GraphInvariantFeatures, PointCloudInvariantFeatures

    A, X = symmetric(3, 4), rng.standard_normal((3, 6, 3))
    graph = GraphInvariants().fit(A)
    assert np.allclose(GraphInvariantFeatures(4)(torch.tensor(A.reshape(3, -1))).numpy(), graph.transform(A))
    cloud = PointCloudInvariants(degree=None, center=True).fit(X)
    layer = PointCloudInvariantFeatures(6, degree=None, center=True)
    assert layer.n_outputs == cloud.n_output_features_
    assert np.allclose(layer(torch.tensor(X)).numpy(), cloud.transform(X))


def test_float32_inputs_give_float32_features_invariant_to_single_precision():
    A, X = symmetric(4, 5).astype(np.float32), rng.standard_normal((4, 9, 3)).astype(np.float32)
    P = np.eye(5, dtype=np.float32)[rng.permutation(5)]
    Q = ortho_group.rvs(3, random_state=5).astype(np.float32)
    graphs, clouds = GraphInvariants().fit(A), PointCloudInvariants().fit(X)
    F, G = graphs.transform(A), clouds.transform(X)
    assert F.dtype == G.dtype == np.float32
    assert relative_difference(F, graphs.transform(P @ A @ P.T)) < 1e-4
    assert relative_difference(G, clouds.transform(X[:, ::-1] @ Q.T)) < 1e-4


def test_node_clique_counts_closed_forms():
    from math import comb

    from scalars.graphs import node_clique_counts

    for n in (4, 6):
        complete = np.ones((n, n)) - np.eye(n)
        assert (node_clique_counts(complete) == [n - 1, comb(n - 1, 2), comb(n - 1, 3)]).all()
    cycle = np.roll(np.eye(5), 1, axis=1) + np.roll(np.eye(5), -1, axis=1)
    assert (node_clique_counts(cycle) == [2, 0, 0]).all()
    # K4 with a pendant node 4 on node 0, and weights and a diagonal that do not count.
    A = np.zeros((5, 5))
    A[:4, :4] = 2.5 * (np.ones((4, 4)) - np.eye(4))
    A[0, 4] = A[4, 0] = -1.0
    A[4, 4] = 7.0
    assert node_clique_counts(A).tolist() == [[4, 3, 1], [3, 3, 1], [3, 3, 1], [3, 3, 1], [1, 0, 0]]


def test_clique_invariants_split_rook_from_shrikhande_and_stay_invariant():
    from scalars.graph_enumeration import rook_graph, shrikhande_graph

    pair = np.stack([rook_graph(4), shrikhande_graph()]).astype(np.float64)
    plain, cliques = GraphInvariants().fit(pair), GraphInvariants(cliques=True).fit(pair)
    F, G = plain.transform(pair), cliques.transform(pair)
    assert G.shape == (2, 2 * 152) == (2, len(cliques.get_feature_names_out()))
    assert np.array_equal(G[:, :152], F)  # the old features, unchanged
    assert relative_difference(F[0], F[1]) == 0  # srg(16, 6, 2, 2) twice: walks see nothing
    assert relative_difference(G[0], G[1]) > 1e-3  # rook: two 4-cliques at each node; Shrikhande: none
    for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-4)):
        for graph in pair.astype(dtype):
            P = np.eye(16, dtype=dtype)[rng.permutation(16)]
            moved = cliques.transform((P @ graph @ P.T)[None])
            assert moved.dtype == dtype and relative_difference(cliques.transform(graph[None]), moved) < tolerance


def trees_left_by_degrees():
    """Two trees of GRAPH8c with the same degrees (1, 1, 1, 1, 2, 2, 3, 3) and adjacent degree-3 nodes."""
    pair = np.zeros((2, 8, 8))
    for A, edges in zip(pair, ([(0, 7), (1, 7), (2, 5), (3, 4), (4, 6), (5, 6), (6, 7)],
                               [(0, 7), (1, 6), (2, 5), (3, 4), (4, 7), (5, 6), (6, 7)])):
        i, j = np.array(edges).T
        A[i, j] = A[j, i] = 1.0
    return pair


def test_walk_weights_split_a_pair_that_degrees_leave_and_ignore_the_other_graphs():
    from scalars.graphs import walk_weights

    pair = trees_left_by_degrees()
    diagonal = np.eye(8)
    degrees = GraphInvariants().fit_transform(pair + pair.sum(axis=2)[:, :, None] * diagonal)
    assert relative_difference(degrees[0], degrees[1]) == 0
    w = walk_weights(pair)
    assert np.abs(np.sort(w[0]) - np.sort(w[1])).max() > 1e-4  # one closed 4-walk: 1 / (3^4 10^2)
    walks = GraphInvariants().fit_transform(pair + w[:, :, None] * diagonal)
    assert relative_difference(walks[0], walks[1]) > 1e-5
    star = np.zeros((1, 8, 8))
    star[0, 0, 1:] = star[0, 1:, 0] = 1.0  # maximum degree 7 in the same batch changes nothing
    assert np.array_equal(walk_weights(np.concatenate([pair, star]))[:2], w)
    for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-4)):
        for graph in pair.astype(dtype):
            order = rng.permutation(8)
            moved = graph[np.ix_(order, order)]
            assert np.array_equal(walk_weights(moved), walk_weights(graph)[order])
            F, G = (GraphInvariants().fit_transform((A + walk_weights(A) * np.eye(8, dtype=dtype))[None].astype(dtype))
                    for A in (graph, moved))
            assert G.dtype == dtype and relative_difference(F, G) < tolerance


@pytest.mark.parametrize("A, lengths, message", [
    (np.zeros((3, 4)), (3,), r"shape \(\.\.\., n, n\)"),
    (np.zeros((3, 3)), (2, 4), r"integers of at least 3, got \[2, 4\]"),
    (np.zeros((3, 3)), (3.5,), "integers of at least 3"),
])
def test_walk_weights_refuse_bad_input(A, lengths, message):
    from scalars.graphs import walk_weights

    with pytest.raises(ValueError, match=message):
        walk_weights(A, lengths)
