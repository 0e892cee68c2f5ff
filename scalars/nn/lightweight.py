"""torch modules for the lightweight invariants of graphs and point clouds.

They compute, differentiably, the features of :class:`scalars.GraphInvariants` and
:class:`scalars.PointCloudInvariants` (the same functions, :func:`scalars.graphs.graph_invariants`
and :func:`scalars.clouds.cloud_invariants`, run on tensors), so that they can sit in front of
an MLP in one module:

>>> import torch
>>> from scalars.nn import GraphInvariantFeatures, mlp
>>> model = torch.nn.Sequential(GraphInvariantFeatures(5), mlp(20, 1)).double()
>>> A = torch.randn(8, 5, 5, dtype=torch.float64)
>>> A = A + A.transpose(1, 2)
>>> P = torch.eye(5, dtype=torch.float64)[torch.randperm(5)]
>>> bool(torch.allclose(model(A), model(P @ A @ P.T)))
True
"""

from torch import nn

from scalars.clouds import cloud_invariants, n_cloud_invariants
from scalars.graphs import graph_invariants, n_graph_invariants
from scalars.nn.devices import resolve_device

__all__ = ["GraphInvariantFeatures", "PointCloudInvariantFeatures"]


class GraphInvariantFeatures(nn.Module):
    """The invariants of :func:`scalars.graphs.graph_invariants` as a layer.

    Parameters
    ----------
    n : int
        Number of nodes.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    n_outputs : int
        ``n (n + 3) / 2``.
    """

    def __init__(self, n, device="cpu"):
        super().__init__()
        self.n = n
        self.n_outputs = n_graph_invariants(n)
        self.to(resolve_device(device, "GraphInvariantFeatures: device"))

    def forward(self, A):
        """Features of shape (batch, n_outputs) of symmetric A of shape (batch, n, n) or (batch, n * n)."""
        return graph_invariants(A.reshape(-1, self.n, self.n))


class PointCloudInvariantFeatures(nn.Module):
    """The invariants of :func:`scalars.clouds.cloud_invariants` as a layer.

    Parameters
    ----------
    n : int
        Number of points.
    d : int, default=3
        Dimension of the points.
    degree : int or None, default=3
        As in :class:`scalars.PointCloudInvariants` (None means ``n``).
    center : bool, default=False
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    n_outputs : int
    """

    def __init__(self, n, d=3, degree=3, center=False, device="cpu"):
        super().__init__()
        self.n, self.d, self.center = n, d, center
        self.degree = n if degree is None else degree
        self.n_outputs = n_cloud_invariants(d, self.degree)
        self.to(resolve_device(device, "PointCloudInvariantFeatures: device"))

    def forward(self, X):
        """Features of shape (batch, n_outputs) of clouds X of shape (batch, n, d) or (batch, n * d)."""
        return cloud_invariants(X.reshape(-1, self.n, self.d), self.degree, self.center)
