"""Linear and two-layer networks equivariant to a chosen subgroup of S(n) on a fixed node set.

On a fixed graph or pixel set the largest symmetry is S(n), which makes every node alike,
and the smallest the trivial group, which learns every entry. Huang, Levie and Villar
(NeurIPS 2023) choose in between: cluster the nodes and take the product
``S(c1) x ... x S(ck)`` of the symmetric groups of the clusters
(:class:`~scalars.groups.YoungSubgroup`), trading the bias of too much symmetry against the
variance of too little (:func:`scalars.reps.risk_gap`). :class:`SubgroupNetwork` is such a
model: the values at ``nodes_in`` to the values at ``nodes_out``, each a union of clusters,

- linear (``channels=0``): ``W x + b`` with ``W`` in the span of the equivariant maps (one
  per orbit of the node pairs) and ``b`` constant on each cluster;
- two-layer: ``channels`` copies of every node's value, a pointwise nonlinearity (which
  commutes with permutations), then the linear map to the output nodes.

Both are :class:`~scalars.nn.EquivariantLinear` layers on permutation representations
(:class:`~scalars.reps.NodeSubsetRep`), exactly equivariant.

>>> import torch
>>> from scalars.groups import YoungSubgroup
>>> from scalars.nn import SubgroupNetwork
>>> G = YoungSubgroup([[0, 1], [2, 3]])                      # visible nodes 0, 1; hidden 2, 3
>>> net = SubgroupNetwork(G, nodes_in=[0, 1], nodes_out=[2, 3]).double()
>>> net(torch.ones(5, 2, dtype=torch.float64)).shape
torch.Size([5, 2])
"""

import numpy as np
from torch import nn

from scalars.groups import Group, get_group
from scalars.nn.devices import resolve_device
from scalars.nn.emlp import EquivariantLinear
from scalars.reps import NodeSubsetRep, T

__all__ = ["SubgroupNetwork"]


def subgroup_of_permutations(owner, group):
    """``group`` as a Group of permutation matrices of its nodes; an error naming it otherwise."""
    if not isinstance(group, (Group, str)):
        raise TypeError(f"{owner}: group must be a Group or a group name (a subgroup of S(n)), got {type(group).__name__}: {group!r}")
    group = get_group(group)
    generators = np.asarray(group.discrete_generator_elements(), dtype=float)
    permutations = np.all((generators == 0) | (generators == 1)) and np.all(generators.sum(-1) == 1) and np.all(generators.sum(-2) == 1)
    if not group.is_finite or group.is_complex or len(group.lie_algebra_elements()) or not permutations:
        raise ValueError(
            f"{owner}: group {group.name} is not a subgroup of S(n) (a finite group of permutation matrices of the "
            "nodes): use Permutation(n), a YoungSubgroup of clusters, or YoungSubgroup of singletons for no symmetry"
        )
    return group


class SubgroupNetwork(nn.Module):
    """A linear or two-layer ``group``-equivariant network from some nodes' values to others'.

    Parameters
    ----------
    group : Group or str
        A finite group of permutation matrices of ``n`` nodes: ``"S(n)"``, a
        :class:`~scalars.groups.YoungSubgroup`, or a MatrixGroup of permutations.
    nodes_in, nodes_out : sequence of int, optional
        The input and output nodes (each mapped to itself by ``group``, e.g. a union of
        clusters), in column order; default every node.
    channels : int, default=0
        0 for the linear model; else the hidden layer's copies of every node's value.
    activation : type of nn.Module, default=nn.SiLU
        The pointwise nonlinearity of the two-layer model.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    rep_in, rep_out : Rep
        The permutation representations of the input and output nodes, for
        :func:`scalars.testing.assert_equivariant`.
    layers : nn.Sequential

    Raises
    ------
    TypeError
        If ``group`` is neither a Group nor a name.
    ValueError
        If ``group`` is not a finite group of permutations, a node set is not mapped to
        itself, or ``channels`` is negative.
    """

    def __init__(self, group, nodes_in=None, nodes_out=None, channels=0, activation=nn.SiLU, device="cpu"):
        super().__init__()
        group = subgroup_of_permutations("SubgroupNetwork", group)
        if int(channels) != channels or channels < 0:
            raise ValueError(f"SubgroupNetwork: channels must be an integer >= 0, got {channels!r}")
        self.group = group
        self.rep_in, self.rep_out = (T(1)(group) if nodes is None else NodeSubsetRep(nodes, group) for nodes in (nodes_in, nodes_out))
        if channels == 0:
            self.layers = nn.Sequential(EquivariantLinear(self.rep_in, self.rep_out))
        else:
            hidden = int(channels) * T(1)(group)
            self.layers = nn.Sequential(EquivariantLinear(self.rep_in, hidden), activation(), EquivariantLinear(hidden, self.rep_out))
        self.to(resolve_device(device, "SubgroupNetwork: device"))

    def forward(self, x):
        """(..., rep_in.size) -> (..., rep_out.size)."""
        return self.layers(x)
