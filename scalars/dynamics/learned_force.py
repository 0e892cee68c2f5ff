"""A learned pair force of charged particles, integrated inside the network.

:class:`LearnedPairForce` predicts where ``k`` charged particles are after one time unit
by integrating, with a few kick-drift steps, an acceleration that is a sum over pairs of
learned invariant functions times the pair's difference vectors. It is the ``scalars
force network`` of ``python -m scalars bench nbody`` (:class:`~scalars.datasets.ChargedNBody`),
the learned counterpart of the fitted :class:`~scalars.dynamics.PairForceLaw`.
"""

from numbers import Integral, Real

import torch
from torch import nn

from scalars.expansion import ParticleExpansion
from scalars.nn.devices import resolve_device
from scalars.nn.layers import mlp

__all__ = ["LearnedPairForce"]


class LearnedPairForce(nn.Module):
    """Positions after one time unit of a learned pair force, on rows ``"kT0+kP+kT1"``.

    With ``d = x_i - x_j``, ``u = v_i - v_j``, ``r = |d|`` and charges ``e``, the
    acceleration of particle ``i`` is

        ``a_i = sum_j phi(z_ij) . B_ij d + psi(z_ij) u``

    where ``z_ij`` is the pair block of :class:`~scalars.expansion.ParticleExpansion`
    (:meth:`~scalars.expansion.ParticleExpansion.pair_features`, the velocities in the
    place of the momenta: unit masses), ``(<d,d>, <d,u>, <u,u>, r, 1/s, e_i e_j / s, e_i e_j,
    e_i + e_j)`` with ``s = (r^2 + 0.1^2)^(1/2)`` (:attr:`FEATURE_SOFTENING`), ``phi`` and
    ``psi`` are one MLP's outputs, and
    ``B_ij`` is a library of inverse-square shapes, ``e_i e_j / (r^2 + eps^2)^(3/2)`` for
    each ``eps`` of :attr:`SOFTENINGS`, ``1 / s^3`` and ``1``: the network
    learns how much of each shape acts, as a function of the pair (close encounters
    within a coarse step, many-body corrections). ``z`` and ``B`` are symmetric in
    ``(i, j)``, so the forces are antisymmetric (total momentum is conserved). The
    positions and velocities move by ``steps`` kick-drift steps of ``duration / steps``
    (kick ``v += h a(x, v)``, then drift ``x += h v``). Every input of the MLP is an
    invariant and every output multiplies a difference vector: the map is
    ``S(k) x E(3)``-equivariant by construction.

    The MLP's output layer starts at zero, so that an untrained network predicts
    ``x + t v`` (no force).

    Parameters
    ----------
    steps : int, default=10
        Kick-drift steps over the time unit.
    hidden : tuple of int, default=(64, 64)
        Hidden widths of the pair MLP.
    duration : float, default=1.0
        The time between input and output, in the data's time unit.
    particles : int, default=5
        Number of particles ``k`` (at least 2).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> net = LearnedPairForce(steps=4, hidden=(8,))
    >>> X = torch.linspace(-1, 1, 70).reshape(2, 35)
    >>> torch.allclose(net(X), X[:, 5:20] + X[:, 20:35])  # untrained: no force, x + t v
    True
    """

    SOFTENINGS = (0.05, 0.1, 0.2, 0.4)
    FEATURE_SOFTENING = 0.1

    def __init__(self, steps=10, hidden=(64, 64), duration=1.0, particles=5, device="cpu"):
        super().__init__()
        for name, value, least in (("steps", steps, 1), ("particles", particles, 2)):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        if not isinstance(duration, Real) or not duration > 0:
            raise ValueError(f"duration must be a positive number, got {duration!r}")
        self.steps, self.particles, self.duration = steps, particles, float(duration)
        self.n_shapes = len(self.SOFTENINGS) + 2
        self.expansion = ParticleExpansion(particles, 3, scalars=("e",))
        names = self.expansion.feature_group_names("H")["pairs"]
        self._shape_columns = [names.index(name) for name in ("<q_i-q_j,q_i-q_j>", "1/s_ij", "e_i*e_j")]
        self.pair = mlp(len(names), self.n_shapes + 1, tuple(hidden))
        self.reset_parameters()
        self.i, self.j = self.expansion.ordered_pairs
        self.to(resolve_device(device, "LearnedPairForce: device"))

    def reset_parameters(self):
        """torch's default initialisation, with the output layer at zero (no force: ``x + t v``)."""
        for module in self.pair:
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        nn.init.zeros_(self.pair[-1].weight)
        nn.init.zeros_(self.pair[-1].bias)

    def forward(self, X):
        """Positions at the end of the time unit.

        Parameters
        ----------
        X : torch.Tensor of shape (n, 7 k)
            Rows ``"kT0+kP+kT1"``: charges (k), positions (3 k, particle-major), velocities (3 k).

        Returns
        -------
        positions : torch.Tensor of shape (n, 3 k)
        """
        k = self.particles
        if X.ndim != 2 or X.shape[1] != 7 * k:
            raise ValueError(f"X must have shape (n, {7 * k}) (rows 'kT0+kP+kT1' of {k} particles), got {tuple(X.shape)}")
        q = X[:, :k]
        x, v = X[:, k : 4 * k].reshape(-1, k, 3), X[:, 4 * k : 7 * k].reshape(-1, k, 3)
        h = self.duration / self.steps
        for _ in range(self.steps):
            v = v + h * self.acceleration(x, v, q)
            x = x + h * v
        return x.reshape(len(X), 3 * k)

    def acceleration(self, x, v, q):
        """The learned acceleration of every particle.

        Parameters
        ----------
        x, v : torch.Tensor of shape (n, k, 3)
            Positions and velocities.
        q : torch.Tensor of shape (n, k)
            Charges.

        Returns
        -------
        torch.Tensor of shape (n, k, 3)
        """
        d, u = x[:, self.i] - x[:, self.j], v[:, self.i] - v[:, self.j]
        features = self.expansion.pair_features(d, u, [(q[:, self.i], q[:, self.j])], self.FEATURE_SOFTENING)
        r2, inverse, product = (features[..., column, None] for column in self._shape_columns)
        shapes = torch.cat([product / (r2 + eps**2) ** 1.5 for eps in self.SOFTENINGS]
                           + [inverse**3, torch.ones_like(r2)], -1)
        out = self.pair(features)
        pair = (out[..., :-1] * shapes).sum(-1, keepdim=True) * d + out[..., -1:] * u
        return pair.reshape(len(x), self.particles, self.particles - 1, 3).sum(2)
