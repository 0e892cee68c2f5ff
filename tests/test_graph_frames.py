"""Spectral frames: exact S(n) invariance and equivariance of any model on weighted graphs."""

import numpy as np
import pytest

from scalars.averaging import FrameAverage

rng = np.random.default_rng(8)


def random_graphs(n_samples, n, weighted):
    A = rng.random((n_samples, n, n)) if weighted else (rng.random((n_samples, n, n)) < 0.4).astype(float)
    A = np.triu(A, 1)
    return A + np.swapaxes(A, 1, 2)


def conjugate(A, P):
    return P @ A @ P.T


@pytest.mark.parametrize("weighted", [True, False])
def test_frame_averaged_torch_model_is_exactly_invariant(weighted):
    torch = pytest.importorskip("torch")
    from scalars.nn import FrameAveraging, mlp

    n = 7
    torch.manual_seed(0)
    model = FrameAveraging(mlp(n * n, 2).double(), f"S({n})", "T2")
    A = random_graphs(40, n, weighted)
    P = np.eye(n)[rng.permutation(n)]
    out = model(torch.tensor(A.reshape(40, -1)))
    moved = model(torch.tensor(conjugate(A, P).reshape(40, -1)))
    assert out.shape == (40, 2)
    assert torch.abs(out - moved).max() < 1e-10
    bare = model.module(torch.tensor(A.reshape(40, -1)))
    assert torch.abs(bare - model.module(torch.tensor(conjugate(A, P).reshape(40, -1)))).max() > 1e-3


def test_node_outputs_are_exactly_equivariant():
    n = 6
    w = rng.standard_normal((n * n, n))
    average = FrameAverage(f"S({n})", "T2", output="T1")
    per_node = lambda X: np.tanh(X @ w)  # one number per node, not equivariant
    A = random_graphs(30, n, weighted=True)
    P = np.eye(n)[rng.permutation(n)]
    out = average(per_node, A.reshape(30, -1))
    assert np.abs(average(per_node, conjugate(A, P).reshape(30, -1)) - out @ P.T).max() < 1e-12


def test_frames_of_simple_spectra_are_small_and_automorphisms_are_merged():
    n = 6
    average = FrameAverage(f"S({n})", "T2")
    frame = average.frame(random_graphs(50, n, weighted=True).reshape(50, -1))
    assert frame.sizes.max() <= 2 ** n and np.allclose(np.bincount(frame.sample, frame.weights), 1.0)
    assert np.allclose(frame.elements.sum(axis=1), 1.0) and np.allclose(frame.elements.sum(axis=2), 1.0)
    cycle = np.roll(np.eye(n), 1, axis=1)
    cycle = (cycle + cycle.T).reshape(1, -1)
    # C6: the one simple non-constant eigenvector (eigenvalue 4) alternates in sign, so two
    # signs times 3! 3! orders of its two node classes; its 12 automorphisms leave 6 inputs.
    frame = average.frame(cycle)
    assert frame.sizes[0] == 72 and len(np.unique(frame.views)) == 6
    calls = []
    average(lambda X: calls.append(len(X)) or X.sum(1), cycle)
    assert sum(calls) == len(np.unique(frame.views))


def test_frames_larger_than_the_cap_and_asymmetric_matrices_are_refused():
    n = 8
    complete = (np.ones((n, n)) - np.eye(n)).reshape(1, -1)  # 8! = 40320 orders
    with pytest.raises(ValueError, match=r"sample 0: its spectral frame has 40320 elements, more than 4096"):
        FrameAverage(f"S({n})", "T2")(lambda X: X[:, :1], complete)
    with pytest.raises(ValueError, match=r"samples \[0\] of X are not symmetric"):
        FrameAverage("S(2)", "T2").frame(np.array([[0.0, 1.0, 0.0, 0.0]]))


def test_strongly_regular_graphs_exceed_the_cap_with_a_named_error():
    # The 4x4 rook's graph and the Shrikhande graph, srg(16, 6, 2, 2): every node alike and
    # every eigenvalue but one repeated, so no key separates any node (16! orders).
    cells = [(i, j) for i in range(4) for j in range(4)]
    rook = np.array([[float(a != b and (a[0] == b[0] or a[1] == b[1])) for b in cells] for a in cells])
    steps = {(0, 1), (0, 3), (1, 0), (3, 0), (1, 1), (3, 3)}
    shrikhande = np.array([[float(((b[0] - a[0]) % 4, (b[1] - a[1]) % 4) in steps) for b in cells] for a in cells])
    graphs = np.stack([rook, shrikhande])
    with pytest.raises(ValueError, match=r"sample 0: its spectral frame has 20922789888000 elements"):
        FrameAverage("S(16)", "T2").frame(graphs.reshape(2, -1))
    from scalars import GraphInvariants

    degrees = graphs + np.einsum("gi,ij->gij", graphs.sum(axis=2), np.eye(16))
    features = GraphInvariants().fit_transform(degrees)
    assert np.allclose(features[0], features[1])  # generically separating, not complete
