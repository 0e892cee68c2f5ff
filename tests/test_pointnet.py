"""Point-cloud networks (PointNet, PointTensorNet) and the surface patches of bench clouds --normals."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scalars.datasets import surface_patches  # noqa: E402
from scalars.nn import PointNet, PointTensorNet  # noqa: E402

rng = np.random.default_rng(4)


def moved(X, n_points):
    """``X`` (n, n_points * 3) relabelled, reflected-rotated and translated; and the O(3) element."""
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    points = X.reshape(len(X), n_points, 3)[:, rng.permutation(n_points)] @ Q.T + rng.standard_normal(3)
    return points.reshape(len(X), -1), Q


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_point_tensor_net_is_exactly_equivariant(dtype):
    torch.manual_seed(0)
    net = PointTensorNet(n_points=12).to(dtype)
    X = rng.standard_normal((20, 36))
    Y, Q = moved(X, 12)
    with torch.no_grad():
        T = net(torch.tensor(X, dtype=dtype)).double().numpy()
        T_moved = net(torch.tensor(Y, dtype=dtype)).double().numpy()
    tolerance = 1e-10 if dtype == torch.float64 else 1e-4
    assert np.abs(T_moved - Q @ T @ Q.T).max() < tolerance * np.abs(T).max()
    assert np.abs(T - np.swapaxes(T, 1, 2)).max() < tolerance and np.abs(T[0] - T[1]).max() > 1e-3


def test_point_net_is_invariant_to_relabelling_and_translation_only():
    torch.manual_seed(0)
    net = PointNet(n_points=10, n_outputs=4).double()
    X = rng.standard_normal((8, 30))
    points = X.reshape(8, 10, 3)[:, rng.permutation(10)] + 5.0
    with torch.no_grad():
        out = net(torch.tensor(X))
        assert torch.abs(net(torch.tensor(points.reshape(8, 30))) - out).max() < 1e-12
        assert torch.abs(net(torch.tensor(moved(X, 10)[0])) - out).max() > 1e-3  # not rotation invariant
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 30\) \(10 points in 3-D, flat\), got \(8, 27\)"):
        net(torch.zeros(8, 27, dtype=torch.float64))
    with pytest.raises(ValueError, match="n_points must be an int >= 1, got 0"):
        PointTensorNet(0)


def test_surface_patches_rotate_the_same_patches_with_their_normals():
    X, normals = surface_patches(50, 16, noise=0.0, rotate=False, seed=3)
    Y, rotated = surface_patches(50, 16, noise=0.0, rotate=True, seed=3)
    assert X.shape == (50, 48) and np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    distances = lambda X: np.linalg.norm(X.reshape(50, 16, 1, 3) - X.reshape(50, 1, 16, 3), axis=-1)
    assert np.allclose(distances(X), distances(Y))  # rigid motions of the same patches
    gram = lambda X, n: (X.reshape(50, 16, 3) - X.reshape(50, 16, 3)[:, :1]) @ n[:, :, None]
    assert np.allclose(gram(X, normals), gram(Y, rotated))  # the normal moves with the points
    with pytest.raises(ValueError, match="n_points must be an int >= 3"):
        surface_patches(5, 2)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -1"):
        surface_patches(5, noise=-1.0)


def test_deep_sets_pooling_is_a_mean_over_points():
    torch.manual_seed(0)
    net = PointNet(n_points=10, n_outputs=2, d=6, pooling="mean").double()
    X = rng.standard_normal((5, 60))
    with torch.no_grad():
        points = torch.tensor(X).reshape(5, 10, 6)
        expected = net.head(net.point(points - points.mean(dim=1, keepdim=True)).mean(dim=1))
        assert torch.allclose(net(torch.tensor(X)), expected)
        shuffled = X.reshape(5, 10, 6)[:, rng.permutation(10)].reshape(5, 60)
        assert torch.abs(net(torch.tensor(shuffled)) - expected).max() < 1e-12
    with pytest.raises(ValueError, match="pooling must be 'max' or 'mean', got 'sum'"):
        PointNet(10, 2, pooling="sum")
