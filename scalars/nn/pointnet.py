"""Networks on point clouds given as flat rows ``(n_samples, n_points * d)``.

- :class:`PointNet` (Qi et al., 2017): a shared MLP on each centred point, a max over the
  points, an MLP head. Invariant to the order of the points and to translations, not to
  rotations (wrap it in :class:`scalars.nn.FrameAveraging` for that). With
  ``pooling="mean"`` it is a DeepSets network (Zaheer et al., 2017).
- :class:`PointTensorNet`: an ``S(n) x E(d)``-equivariant map to symmetric ``d x d`` tensors,
  ``sum_s f_s V_s`` over the tensors ``V_s`` of the cloud (``y_i y_i^T`` for each centred
  point ``y_i``, the identity, the covariance ``C`` and ``C^2``) with coefficients ``f_s``
  from invariants: each point's ``|y_i|^2, y_i^T C y_i, y_i^T C^2 y_i`` (scaled by the
  cloud's spread) and their means over the cloud. Linear in the number of points.

>>> import torch
>>> from scalars.nn import PointTensorNet
>>> net = PointTensorNet(n_points=10).double()
>>> X = torch.randn(4, 10, 3, dtype=torch.float64)
>>> Q = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))[0]
>>> moved = (X[:, torch.randperm(10)] @ Q.T + 1.0).reshape(4, 30)
>>> bool(torch.allclose(net(moved), Q @ net(X.reshape(4, 30)) @ Q.T))
True
"""

import torch
from torch import nn

from scalars.nn.devices import resolve_device
from scalars.nn.layers import mlp

__all__ = ["PointNet", "PointTensorNet"]


def _check_size(name, value, least):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


def _centred(module, X):
    """Rows ``(n_samples, n_points * d)`` as centred points ``(n_samples, n_points, d)``."""
    if X.ndim != 2 or X.shape[1] != module.n_points * module.d:
        raise ValueError(f"X must have shape (n_samples, {module.n_points * module.d}) "
                         f"({module.n_points} points in {module.d}-D, flat), got {tuple(X.shape)}")
    points = X.reshape(len(X), module.n_points, module.d)
    return points - points.mean(dim=1, keepdim=True)


class PointNet(nn.Module):
    """Shared MLP on centred points, max (or mean) over the points, MLP head.

    Parameters
    ----------
    n_points : int
    n_outputs : int
    d : int, default=3
    width : int, default=64
        Width of the per-point features and of the hidden layers.
    pooling : {"max", "mean"}, default="max"
        How the per-point features are pooled: ``"max"`` is PointNet, ``"mean"`` a
        DeepSets network (a sum over the points, divided by ``n_points``).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, n_points, n_outputs, d=3, width=64, pooling="max", device="cpu"):
        super().__init__()
        for name, value in (("n_points", n_points), ("n_outputs", n_outputs), ("d", d), ("width", width)):
            _check_size(name, value, 1)
        if pooling not in ("max", "mean"):
            raise ValueError(f"pooling must be 'max' or 'mean', got {pooling!r}")
        self.n_points, self.d, self.pooling = n_points, d, pooling
        self.point = mlp(d, width, hidden=(width,))
        self.head = mlp(width, n_outputs, hidden=(width,))
        self.to(resolve_device(device, "PointNet: device"))

    def forward(self, X):
        """``X`` (n_samples, n_points * d) -> (n_samples, n_outputs)."""
        features = self.point(_centred(self, X))
        return self.head(features.amax(dim=1) if self.pooling == "max" else features.mean(dim=1))


class PointTensorNet(nn.Module):
    """``S(n) x E(d)``-equivariant symmetric tensors ``sum_s f_s V_s`` of a point cloud.

    Parameters
    ----------
    n_points : int
    d : int, default=3
    width : int, default=64
        Hidden width of the coefficient MLPs.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Notes
    -----
    Output shape (n_samples, d, d), transformed as ``Q T Q^T`` by a rotation or reflection
    ``Q`` of the points, unchanged by translations, relabellings and scalings (the points
    are measured in units of the cloud's spread, the root of the trace of its covariance).
    """

    def __init__(self, n_points, d=3, width=64, device="cpu"):
        super().__init__()
        for name, value in (("n_points", n_points), ("d", d), ("width", width)):
            _check_size(name, value, 1)
        self.n_points, self.d = n_points, d
        self.per_point = mlp(6, 1, hidden=(width, width))
        self.global_ = mlp(3, 3, hidden=(width, width))
        self.to(resolve_device(device, "PointTensorNet: device"))

    def forward(self, X):
        """``X`` (n_samples, n_points * d) -> (n_samples, d, d)."""
        y = _centred(self, X)
        C = y.transpose(1, 2) @ y / self.n_points
        spread = torch.diagonal(C, dim1=1, dim2=2).sum(dim=1).clamp_min(torch.finfo(X.dtype).tiny)
        C_unit = C / spread[:, None, None]
        y_unit = y / spread.sqrt()[:, None, None]
        Cy = y_unit @ C_unit
        local = torch.stack([(y_unit * y_unit).sum(-1), (Cy * y_unit).sum(-1), (Cy * Cy).sum(-1)], dim=-1)
        pooled = local.mean(dim=1)
        f = self.per_point(torch.cat([local, pooled[:, None].expand_as(local)], dim=-1))  # (n, N, 1)
        g = self.global_(pooled)
        identity = torch.eye(self.d, dtype=X.dtype, device=X.device)
        T = (y_unit * f).transpose(1, 2) @ y_unit / self.n_points
        T = T + g[:, 0, None, None] * identity + g[:, 1, None, None] * C_unit + g[:, 2, None, None] * (C_unit @ C_unit)
        return T
