"""Message passing on all pairs of a few particles: E(d) x S(n)-equivariant, or S(n) only.

:class:`MessagePassing` is the EGNN layer stack of Satorras et al. (ICML 2021), written
densely for batches of small systems (every ordered pair is an edge). With
``equivariant=True`` the networks see only invariants (node scalars, squared distances,
edge scalars) and move the positions along pair differences and velocities, so the map
is E(d) x S(n)-equivariant by construction. With ``equivariant=False`` they also see the
raw coordinates: the network is then only S(n)-equivariant, the backbone that frame
averaging (:class:`scalars.nn.FrameAveraging`) makes E(d)-equivariant (Puny et al.,
ICLR 2022). :class:`ParticleMessagePassing` runs it on the flat rows of charged
particles (``"kT0+kP+kT1"``: charges, positions, velocities), as in EGNN's n-body model.

>>> import torch
>>> from scalars.nn.message_passing import MessagePassing
>>> net = MessagePassing(n_node_features=1, n_edge_features=1, hidden=16, layers=2)
>>> x, v = torch.randn(8, 5, 3), torch.randn(8, 5, 3)
>>> h, edges = v.norm(dim=-1, keepdim=True), torch.randn(8, 5, 5, 1)
>>> net(x, v, h, edges).shape
torch.Size([8, 5, 3])
"""

from numbers import Integral

import numpy as np
import torch
from torch import nn

from scalars.expansion import ParticleExpansion
from scalars.nn.devices import resolve_device
from scalars.nn.layers import mlp

__all__ = ["MessagePassing", "ParticleMessagePassing"]

_COORDINATE_GAIN = 1e-3  # EGNN's initial scale of the coordinate weights: start near the identity


class MessagePassing(nn.Module):
    """``layers`` EGNN updates of node scalars ``h`` and positions ``x`` over all ordered pairs.

    Each layer, with ``x_ij = x_i - x_j`` over the ``n (n - 1)`` ordered pairs:

    - messages ``m_ij = phi_e(h_i, h_j, |x_ij|^2, e_ij)``;
    - positions ``x_i += mean_j x_ij phi_x(m_ij) + phi_v(h_i) v_i``;
    - scalars ``h_i += phi_h(h_i, sum_j m_ij)``.

    ``h`` starts as a linear embedding of the node features. With ``equivariant=False``
    the embedding also reads ``x_i, v_i`` and the messages ``x_ij``: the output is then
    permutation- but not rotation-equivariant.

    Parameters
    ----------
    n_node_features : int
        Invariant features per particle (e.g. ``|v_i|``).
    n_edge_features : int, default=0
        Invariant features per ordered pair (e.g. ``q_i q_j``).
    hidden : int, default=64
        Width of ``h``, of the messages and of every hidden layer.
    layers : int, default=4
    dimension : int, default=3
        Of the positions and velocities.
    equivariant : bool, default=True
        False: the networks also take the raw coordinates (a backbone for frame averaging).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(
        self, n_node_features, n_edge_features=0, hidden=64, layers=4, dimension=3, equivariant=True, device="cpu",
    ):
        super().__init__()
        self.n_node_features, self.n_edge_features = int(n_node_features), int(n_edge_features)
        self.dimension, self.equivariant = int(dimension), bool(equivariant)
        raw = 0 if equivariant else dimension
        self.embed = nn.Linear(self.n_node_features + 2 * raw, hidden)
        edge_inputs = 2 * hidden + 1 + self.n_edge_features + raw
        self.edge = nn.ModuleList(mlp(edge_inputs, hidden, (hidden,)) for _ in range(layers))
        for edge in self.edge:  # messages pass through SiLU, as in EGNN
            edge.append(nn.SiLU())
        self.coordinate = nn.ModuleList(mlp(hidden, 1, (hidden,), output_bias=False) for _ in range(layers))
        self.velocity = nn.ModuleList(mlp(hidden, 1, (hidden,)) for _ in range(layers))
        self.node = nn.ModuleList(mlp(2 * hidden, hidden, (hidden,)) for _ in range(layers))
        self.reset_parameters()
        self.to(resolve_device(device, "MessagePassing: device"))

    def reset_parameters(self):
        """torch's default initialisation, with the coordinate weights' last layer near zero."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        for coordinate in self.coordinate:
            nn.init.xavier_uniform_(coordinate[-1].weight, gain=_COORDINATE_GAIN)

    def forward(self, x, v, h, edges=None):
        """Positions after the updates.

        Parameters
        ----------
        x, v : tensors of shape (batch, n, dimension)
            Positions and velocities of ``n >= 2`` particles.
        h : tensor of shape (batch, n, n_node_features)
            Invariant node features.
        edges : tensor of shape (batch, n, n, n_edge_features), optional
            Invariant features of the pairs; entry ``[b, i, j]`` belongs to ``(i, j)``, the
            diagonal is ignored. Required when ``n_edge_features > 0``.

        Returns
        -------
        tensor of shape (batch, n, dimension)
        """
        self._check(x, v, h, edges)
        batch, n, _ = x.shape
        i, j = (torch.as_tensor(index, device=x.device) for index in np.nonzero(~np.eye(n, dtype=bool)))
        pair = [] if edges is None else [edges[:, i, j]]
        h = self.embed(torch.cat([h] if self.equivariant else [h, x, v], dim=-1))
        for edge, coordinate, velocity, node in zip(self.edge, self.coordinate, self.velocity, self.node):
            difference = x[:, i] - x[:, j]  # (batch, n (n - 1), dimension), grouped by i
            raw = [] if self.equivariant else [difference]
            messages = edge(torch.cat([h[:, i], h[:, j], (difference**2).sum(-1, keepdim=True), *pair, *raw], dim=-1))
            shift = (difference * coordinate(messages)).reshape(batch, n, n - 1, -1).mean(2)
            x = x + shift + velocity(h) * v
            h = h + node(torch.cat([h, messages.reshape(batch, n, n - 1, -1).sum(2)], dim=-1))
        return x

    def _check(self, x, v, h, edges):
        if x.ndim != 3 or x.shape[1] < 2 or x.shape[2] != self.dimension:
            raise ValueError(f"x must have shape (batch, n >= 2, {self.dimension}); got {tuple(x.shape)}")
        batch, n, _ = x.shape
        expected = {"v": (v, (batch, n, self.dimension)), "h": (h, (batch, n, self.n_node_features))}
        if self.n_edge_features or edges is not None:
            expected["edges"] = (edges, (batch, n, n, self.n_edge_features))
        for name, (tensor, shape) in expected.items():
            if tensor is None or tuple(tensor.shape) != shape:
                got = None if tensor is None else tuple(tensor.shape)
                raise ValueError(f"{name} must have shape {shape} for x of shape {tuple(x.shape)}; got {got}")


class ParticleMessagePassing(nn.Module):
    """:class:`MessagePassing` on flat rows ``"kT0+kP+kT1"``: the positions it predicts.

    Node features ``(q_i, |v_i|)``, edge features ``(q_i q_j, |x_i - x_j|^2)`` at the input
    frame, as in EGNN's n-body model; the edge features (``PAIR_FEATURES``) are columns of
    the pair block of :class:`~scalars.expansion.ParticleExpansion`
    (:meth:`~scalars.expansion.ParticleExpansion.pair_features`). With ``equivariant=True`` the map is
    ``S(k) x E(3)``-equivariant (positions ``P``, velocities ``T1``, charges ``T0``).

    Parameters
    ----------
    hidden : int, default=64
        Width of every hidden layer of the backbone.
    layers : int, default=4
        Message-passing layers.
    equivariant : bool, default=True
        False: the backbone also reads the raw coordinates (for frame averaging).
    particles : int, default=5
        Number of particles ``k`` (at least 2).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> net = ParticleMessagePassing(hidden=8, layers=1)
    >>> net(torch.randn(4, 35)).shape  # 5 charges, positions and velocities -> 5 positions
    torch.Size([4, 15])
    """

    PAIR_FEATURES = ("e_i*e_j", "<q_i-q_j,q_i-q_j>")

    def __init__(self, hidden=64, layers=4, equivariant=True, particles=5, device="cpu"):
        super().__init__()
        if not isinstance(particles, Integral) or isinstance(particles, bool) or particles < 2:
            raise ValueError(f"particles must be an int >= 2, got {particles!r}")
        self.particles = particles
        self.expansion = ParticleExpansion(particles, 3, scalars=("e",))
        self.net = MessagePassing(2, len(self.PAIR_FEATURES), hidden=hidden, layers=layers, equivariant=equivariant)
        self.to(resolve_device(device, "ParticleMessagePassing: device"))

    def forward(self, X):
        """Positions: rows (n, 7 k) -> (n, 3 k), particle-major."""
        k = self.particles
        if X.ndim != 2 or X.shape[1] != 7 * k:
            raise ValueError(f"X must have shape (n, {7 * k}) (rows 'kT0+kP+kT1' of {k} particles), got {tuple(X.shape)}")
        q = X[:, :k, None]
        x, v = X[:, k : 4 * k].reshape(-1, k, 3), X[:, 4 * k : 7 * k].reshape(-1, k, 3)
        nodes = torch.cat([q, v.norm(dim=-1, keepdim=True)], dim=-1)
        i, j = self.expansion.ordered_pairs
        edges = X.new_zeros(len(X), k, k, len(self.PAIR_FEATURES))  # the diagonal is not read
        edges[:, i, j] = self.expansion.pair_features(x[:, i] - x[:, j], scalars=[(q[:, i, 0], q[:, j, 0])],
                                                      columns=self.PAIR_FEATURES)
        return self.net(x, v, nodes, edges).reshape(len(X), 3 * k)
