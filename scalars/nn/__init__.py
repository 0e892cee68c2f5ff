"""torch heads that turn invariant scalars into invariant or equivariant predictions.

>>> import torch
>>> from scalars.nn import TensorHead, fit
>>> from scalars.datasets import Inertia
>>> data = Inertia(256, seed=0)
>>> X, y = torch.as_tensor(data.X), torch.as_tensor(data.y).reshape(-1, 3, 3)
>>> head = TensorHead("O(3)", "5T0+5T1", particles=5).double().fit_statistics(X, y)
>>> history = fit(head, X, y, max_epochs=5, seed=0, progress=False)
>>> head(X).shape
torch.Size([256, 3, 3])
"""

from scalars.nn.averaging import FrameAveraging, GroupAveraging
from scalars.nn.baseline import PlainMLPRegressor
from scalars.nn.care import care_loss
from scalars.nn.emlp import EMLP, EMLPBlock, EquivariantBilinear, EquivariantLinear, GatedNonlinearity, gated, uniform_rep
from scalars.nn.devices import resolve_device
from scalars.nn.encoding import InvariantEncoder
from scalars.nn.heads import EquivariantHead, InvariantMLP, TensorHead, VectorHead
from scalars.nn.lightweight import GraphInvariantFeatures, PointCloudInvariantFeatures
from scalars.nn.layers import BilinearReadout, Residual, Standardizer, location_scale, mlp
from scalars.nn.message_passing import MessagePassing, ParticleMessagePassing
from scalars.nn.penalty import EquivariancePenalty, augment
from scalars.nn.pointnet import PointNet, PointTensorNet
from scalars.nn.residual import PlainMLP, ResidualPathway
from scalars.nn.subgroup import SubgroupNetwork
from scalars.nn.training import History, fit

__all__ = [
    "EquivariantHead",
    "InvariantMLP",
    "VectorHead",
    "TensorHead",
    "InvariantEncoder",
    "GraphInvariantFeatures",
    "PointCloudInvariantFeatures",
    "Standardizer",
    "location_scale",
    "mlp",
    "BilinearReadout",
    "Residual",
    "MessagePassing",
    "ParticleMessagePassing",
    "PlainMLPRegressor",
    "fit",
    "History",
    "GroupAveraging",
    "FrameAveraging",
    "EquivariantLinear",
    "EquivariantBilinear",
    "GatedNonlinearity",
    "EMLPBlock",
    "EMLP",
    "gated",
    "uniform_rep",
    "PlainMLP",
    "PointNet",
    "PointTensorNet",
    "ResidualPathway",
    "EquivariancePenalty",
    "augment",
    "care_loss",
    "resolve_device",
    "SubgroupNetwork",
]
