"""Exact canonical labelling, canonical-labelling frames, and the cubic graphs generated with them."""

import numpy as np
import pytest

from scalars.averaging import FrameAverage
from scalars.canonical_labelling import canonical_labelling
from scalars.graph_enumeration import canonical_forms, connected_graphs, cubic_graphs, rook_graph, shrikhande_graph

rng = np.random.default_rng(27)


def relabel(A, orders):
    return A[np.arange(len(A))[:, None, None], orders[:, :, None], orders[:, None, :]]


def random_orders(n_graphs, n):
    return np.array([rng.permutation(n) for _ in range(n_graphs)])


def strongly_regular_pair():
    return np.stack([rook_graph(4), shrikhande_graph()])


def test_counts_of_connected_cubic_graphs():  # OEIS A002851; n = 12 (85) is checked by bench graphs
    counts = {n: cubic_graphs(n) for n in (4, 6, 8, 10)}
    assert [len(graphs) for graphs in counts.values()] == [1, 2, 5, 19]
    graphs = counts[10]
    assert (graphs.sum(axis=2) == 3).all() and (graphs == np.swapaxes(graphs, 1, 2)).all()
    reach = np.linalg.matrix_power(graphs.astype(np.int64) + np.eye(10, dtype=np.int64), 9)
    assert (reach > 0).all()  # connected
    forms = canonical_labelling(relabel(graphs, random_orders(19, 10)))[0]
    assert np.array_equal(np.unique(forms, axis=0), graphs)  # canonical, and pairwise non-isomorphic


def test_canonical_forms_are_equal_exactly_for_isomorphic_graphs():
    graphs = np.concatenate([connected_graphs(6), cubic_graphs(8)[:, :6, :6]])
    forms = canonical_labelling(graphs)[0]
    for _ in range(3):
        assert np.array_equal(canonical_labelling(relabel(graphs, random_orders(len(graphs), 6)))[0], forms)
    assert len(np.unique(forms, axis=0)) == len(np.unique(canonical_forms(graphs)[1]))
    weighted = rng.integers(0, 3, (30, 7, 7)).astype(np.float32)  # repeated weights, node weights on the diagonal
    weighted = weighted + np.swapaxes(weighted, 1, 2)
    forms = canonical_labelling(weighted)[0]
    assert forms.dtype == np.float32
    assert np.array_equal(canonical_labelling(relabel(weighted, random_orders(30, 7)))[0], forms)


def test_orders_are_a_coset_of_the_automorphism_group():
    graphs = np.concatenate([strongly_regular_pair(), relabel(strongly_regular_pair(), random_orders(2, 16))])
    forms, sample, orders = canonical_labelling(graphs)
    assert np.bincount(sample).tolist() == [1152, 192, 1152, 192]  # |Aut| of rook's and Shrikhande's graphs
    assert np.array_equal(relabel(graphs[sample], orders), forms[sample])
    assert len(np.unique(orders[sample == 1], axis=0)) == 192
    assert np.array_equal(forms[:2], forms[2:]) and not np.array_equal(forms[0], forms[1])
    complete = (1 - np.eye(5, dtype=int))[None]
    assert len(canonical_labelling(complete)[1]) == 120


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_canonical_frames_are_exactly_invariant_where_every_eigenvalue_repeats(dtype):
    torch = pytest.importorskip("torch")
    from scalars.nn import FrameAveraging, mlp

    torch.manual_seed(0)
    graphs = strongly_regular_pair().astype(dtype)
    model = FrameAveraging(mlp(256, 3), "S(16)", "T2", canonical=True)
    if dtype == np.float64:
        model = model.double()
    moved = relabel(graphs, random_orders(2, 16))
    with torch.no_grad():
        out, out_moved = (model(torch.tensor(G.reshape(2, -1))) for G in (graphs, moved))
    assert out.dtype == torch.float32 if dtype == np.float32 else torch.float64
    assert torch.abs(out - out_moved).max() < 1e-10
    assert torch.abs(out[0] - out[1]).max() > 1e-4  # and the pair is told apart
    calls = []
    FrameAverage("S(16)", "T2", canonical=True)(lambda X: calls.append(len(X)) or X[:, :1], graphs.reshape(2, -1))
    assert calls == [2]  # one input per graph, however many automorphisms
    canonical = FrameAverage("S(16)", "T2", canonical=True).canonicalize(moved.reshape(2, -1))
    assert np.array_equal(canonical.reshape(2, 16, 16), canonical_labelling(graphs)[0])


def test_bad_input_is_refused_with_the_problem_named():
    with pytest.raises(ValueError, match=r"must be symmetric: graph 1 has A\[0, 1\] = 1.0 but A\[1, 0\] = 0.0"):
        canonical_labelling(np.stack([np.zeros((3, 3)), np.triu(np.ones((3, 3)), 1)]))
    with pytest.raises(ValueError, match=r"shape \(n_graphs, n, n\)"):
        canonical_labelling(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        canonical_labelling(np.full((1, 2, 2), np.nan))
    loop = np.zeros((2, 3, 3), dtype=np.uint8)
    loop[1, 2, 2] = 1
    with pytest.raises(ValueError, match=r"graph 1 has self-loops \(nonzero diagonal\)"):
        canonical_forms(loop)
    with pytest.raises(ValueError, match="graph 0 is not symmetric"):
        canonical_forms(np.triu(np.ones((1, 3, 3), dtype=np.uint8), 1))
    with pytest.raises(ValueError, match="even integer between 4 and 12"):
        cubic_graphs(7)
    with pytest.raises(ValueError, match=r"not symmetric \(within tol=0\): canonical-labelling frames"):
        FrameAverage("S(2)", "T2", canonical=True).frame(np.array([[0.0, 1.0, 1.0 + 1e-12, 0.0]]))
    average = FrameAverage("S(7)", "T2", canonical=True)
    average.max_graph_search = 1000  # the complete graph's tree has 7! leaves, the path's a few
    with pytest.raises(ValueError, match=r"sample 1: its canonical-labelling search tree has more than 1000 nodes"):
        average.frame(np.stack([np.eye(7, k=1) + np.eye(7, k=-1), 1 - np.eye(7)]).reshape(2, -1))


def test_backend_is_checked_and_pynauty_is_asked_for_by_name():
    with pytest.raises(ValueError, match="backend must be 'numpy' or 'pynauty', got 'nauty'"):
        canonical_labelling(cubic_graphs(4), backend="nauty")
    try:
        import pynauty  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs the pynauty package"):
            canonical_labelling(cubic_graphs(4), backend="pynauty")


def test_pynauty_backend_agrees_with_our_labelling_on_cubic_graphs():
    pytest.importorskip("pynauty")
    graphs = cubic_graphs(10)  # 19 classes
    A = np.concatenate([graphs, relabel(graphs, random_orders(len(graphs), 10))])
    A[:, range(10), range(10)] = rng.integers(0, 2, (1, 10)).repeat(len(A), axis=0)  # node colours
    ours, our_sample, _ = canonical_labelling(A)
    forms, sample, orders = canonical_labelling(A, backend="pynauty")
    assert np.array_equal(np.bincount(sample), np.bincount(our_sample))  # |Aut| of each graph
    assert np.array_equal(relabel(A[sample], orders), forms[sample])  # every order reaches the form
    same = lambda F: (F[:, None] == F[None]).all(axis=(2, 3))
    assert np.array_equal(same(forms), same(ours))  # the same isomorphism classes
    weighted = A[:1] * np.where(rng.random((10, 10)) < 0.5, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"graph 0 has \d different ones"):
        canonical_labelling((weighted + np.swapaxes(weighted, 1, 2)) / 2, backend="pynauty")
