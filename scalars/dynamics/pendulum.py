"""The springy double pendulum in 3-D: two masses on springs, hanging from a fixed pivot.

The state is ``z = (q1, q2, p1, p2)`` flattened to 12 numbers: positions of the two bobs
relative to the pivot and their momenta. The Hamiltonian is

    H = |p1|^2 / (2 m1) + |p2|^2 / (2 m2)
        + k1 (|q1| - L1)^2 / 2 + k2 (|q1 - q2| - L2)^2 / 2
        - m1 <g, q1> - m2 <g, q2>,

the physical one, with a factor 1/2 on both springs. The code of the EMLP paper (Finzi et
al. 2021), whose numbers the literature quotes, drops the 1/2 on the second spring: its
system is ``DoubleSpringPendulum(k2=2)`` here (see :meth:`DoubleSpringPendulum.emlp`).

The learned models of :mod:`scalars.dynamics.models` see the system of each state as the
call context ``g, params``: the gravity vector (..., 3) and ``params = (m1, m2, k1, k2, L1,
L2)`` (..., 6), so that one model learns from many systems (:meth:`~DoubleSpringPendulum.context`
gives a system's own). Its O(3) invariants and equivariant terms come from the state's
phase-space expansion (:attr:`~scalars.dynamics.System.phase_space`, with the separations
``q1, q2, q1 - q2``: the pivot is the origin); its units from
:meth:`~DoubleSpringPendulum.dimensionless`.
"""

import numpy as np

from scalars.dynamics.system import System

__all__ = ["DoubleSpringPendulum", "split_state", "join_state"]


def split_state(z):
    """Split states ``(..., 12)`` into ``q1, q2, p1, p2``, each ``(..., 3)`` (numpy or torch)."""
    if tuple(z.shape[-1:]) != (12,):
        raise ValueError(f"states must have 12 numbers in the last axis, got shape {tuple(z.shape)}")
    return z[..., 0:3], z[..., 3:6], z[..., 6:9], z[..., 9:12]


def join_state(q1, q2, p1, p2):
    """Inverse of :func:`split_state`: four ``(..., 3)`` arrays to ``(..., 12)``."""
    if isinstance(q1, np.ndarray):
        return np.concatenate([q1, q2, p1, p2], axis=-1)
    import torch

    return torch.cat([q1, q2, p1, p2], dim=-1)


def _norm(x):
    return (x * x).sum(-1) ** 0.5


def _scales(params):
    """Mass, length and time scales (..., 1) of each system: m1, L1, sqrt(m1 / k1)."""
    m1, k1, L1 = params[..., 0:1], params[..., 2:3], params[..., 4:5]
    return m1, L1, (m1 / k1).sqrt()


class DoubleSpringPendulum(System):
    """Two point masses joined pivot-spring-bob-spring-bob, in a uniform gravity field.

    Parameters
    ----------
    m1, m2 : float or pint.Quantity [mass]
        Masses of the bobs.
    k1, k2 : float or pint.Quantity [mass / time^2]
        Spring constants, pivot to bob 1 and bob 1 to bob 2.
    L1, L2 : float or pint.Quantity [length]
        Natural lengths of the springs.
    g : array-like of shape (3,), or pint.Quantity [length / time^2]
        Gravitational acceleration vector (pointing "down").

    Every parameter may also be an array, of shape (...) or (..., 3) for ``g``: a batch of
    systems of shape ``batch_shape`` that acts on states of shape
    ``batch_shape + extra + (12,)``, lined up with their leading axes (a batch of ``n``
    systems evaluates trajectories of shape ``(n, T, 12)``).

    Numbers without units are SI base units; quantities are converted to them, and states
    are always in SI base units: positions in m, momenta in kg m / s.

    Examples
    --------
    >>> system = DoubleSpringPendulum.emlp()
    >>> z0 = np.array([0, 0, -1.5, 0, 0, -3, 0.1, 0, 0, 0, 0.2, 0])
    >>> zs = system.trajectory(z0, np.arange(0, 30, 0.2))  # (150, 12)
    """

    group = "O(3)"
    layout = "4T1"
    # Numbers without units are taken to be in SI base units (kg, m, s).
    dimensions = {
        "m1": "[mass]",
        "m2": "[mass]",
        "k1": "[mass] / [time] ** 2",
        "k2": "[mass] / [time] ** 2",
        "L1": "[length]",
        "L2": "[length]",
        "g": "[length] / [time] ** 2",
        "t": "[time]",
    }
    event_ndim = {"g": 1}
    context_layouts = ("T1", "6T0")  # g, then params = (m1, m2, k1, k2, L1, L2)
    context_names = ("g", "m1", "m2", "k1", "k2", "L1", "L2")
    # The features of invariant_features and vector_terms, and the raw inputs of the
    # baselines (z, g, params), end with the positive params: see the models' `modulated`.
    n_positive_features = 6

    def __init__(self, m1=1.0, m2=1.0, k1=1.0, k2=1.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0)):
        for name, value in dict(m1=m1, m2=m2, k1=k1, k2=k2, L1=L1, L2=L2).items():
            self._set_parameter(name, value, positive=True)
        self._set_parameter("g", g)
        self.g = np.asarray(self.g)
        if self.g.shape[-1:] != (3,):
            raise ValueError(f"g must be a 3-vector, got shape {self.g.shape}")

    @classmethod
    def emlp(cls):
        """The system of the EMLP and scalars papers: unit constants and ``g = (0, 0, -1)``.

        Their code writes the second spring as ``k2 (|q1 - q2| - L2)^2`` without the 1/2,
        which is ``k2 = 2`` in the convention of this class.
        """
        return cls(m1=1.0, m2=1.0, k1=1.0, k2=2.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0))

    def hamiltonian(self, z):
        """Total energy of states ``z``.

        Parameters
        ----------
        z : array of shape (..., 12), numpy or torch (differentiable)

        Returns
        -------
        array of shape (...) [kg m^2 / s^2]
        """
        q1, q2, p1, p2 = split_state(z)
        m1, m2, k1, k2, L1, L2, g = self._parameters(z)
        kinetic = (p1 * p1).sum(-1) / (2 * m1) + (p2 * p2).sum(-1) / (2 * m2)
        springs = k1 * (_norm(q1) - L1) ** 2 / 2 + k2 * (_norm(q1 - q2) - L2) ** 2 / 2
        gravity = -m1 * (q1 * g).sum(-1) - m2 * (q2 * g).sum(-1)
        return kinetic + springs + gravity

    def angular_momentum(self, z):
        """Angular momentum about the gravity axis, ``<g/|g|, q1 x p1 + q2 x p2>`` (conserved).

        Parameters
        ----------
        z : ndarray of shape (..., 12)

        Returns
        -------
        ndarray of shape (...) [kg m^2 / s]

        Raises
        ------
        ValueError
            If ``g = 0``: without gravity there is no axis (every component of the angular
            momentum is conserved then).
        """
        z = np.asarray(z)
        q1, q2, p1, p2 = split_state(z)
        g = self._parameters(z)[-1]
        magnitude = np.linalg.norm(g, axis=-1, keepdims=True)
        if np.any(magnitude == 0):
            zero = np.argwhere(np.linalg.norm(self.g, axis=-1) == 0)
            where = f" (system {zero[0].tolist()})" if self.g.ndim > 1 else ""
            raise ValueError(
                f"angular_momentum is about the axis of g, which is undefined for g = 0{where}; with "
                "no gravity use the whole vector q1 x p1 + q2 x p2, which is conserved"
            )
        axis = g / magnitude
        return ((np.cross(q1, p1) + np.cross(q2, p2)) * axis).sum(-1)

    def time_derivative(self, z):
        """Hamilton's equations, ``dz/dt = (dH/dp, -dH/dq)``, written out by hand.

        Parameters
        ----------
        z : ndarray of shape (..., 12)

        Returns
        -------
        ndarray of shape (..., 12)

        Raises
        ------
        ValueError
            At a singular state, bob 1 at the pivot or on bob 2, where the direction of a
            spring's force is undefined.
        """
        z = np.asarray(z, dtype=np.float64)
        q1, q2, p1, p2 = split_state(z)
        *scalars, g = self._parameters(z)
        m1, m2, k1, k2, L1, L2 = (np.asarray(value)[..., None] for value in scalars)
        r12 = q1 - q2
        # hypot does not overflow or underflow where the squares would (|q1| = 1e-200 is not 0)
        d1 = np.hypot.reduce(q1, axis=-1)[..., None]
        d12 = np.hypot.reduce(r12, axis=-1)[..., None]
        for distance, where in ((d1, "at the pivot (q1 = 0)"), (d12, "on bob 2 (q1 = q2)")):
            if np.any(distance == 0):
                state = z[np.nonzero(distance[..., 0] == 0)][0]
                raise ValueError(
                    f"the state {state.tolist()} is singular: bob 1 is {where}, where the direction "
                    "of the spring's force is undefined"
                )
        pull1 = k1 * (d1 - L1) * (q1 / d1)  # spring 1 pulls bob 1 by -pull1
        pull2 = k2 * (d12 - L2) * (r12 / d12)  # spring 2 pulls bob 1 by -pull2, bob 2 by +pull2
        return join_state(p1 / m1, p2 / m2, -pull1 - pull2 + m1 * g, pull2 + m2 * g)

    def context(self, z):
        """The system of each state as the models take it: ``g`` and ``params``.

        Parameters
        ----------
        z : tensor of shape (..., 12)

        Returns
        -------
        g : tensor of shape (..., 3)
        params : tensor of shape (..., 6)
            ``m1, m2, k1, k2, L1, L2``, lined up with the leading axes of ``z``.
        """
        import torch

        *scalars, g = (torch.as_tensor(value, dtype=z.dtype, device=z.device) for value in self._parameters(z))
        shape = z.shape[:-1]
        return g.expand(shape + (3,)), torch.stack([value.expand(shape) for value in scalars], dim=-1)

    def dimensionless(self, z, *context):
        """States and systems in the units of each system: mass ``m1``, length ``L1``, time
        ``sqrt(m1 / k1)``; the parameters become ratios.

        Parameters
        ----------
        z : tensor of shape (..., 12)
        *context : g (..., 3), params (..., 6)
            The system of each state; by default this one's (:meth:`context`).

        Returns
        -------
        z, g, params : tensors of the shapes of ``z`` and the context
        """
        import torch

        g, params = context or self.context(z)
        mass, length, time = _scales(params)
        q, p = z[..., :6] / length, z[..., 6:] * time / (mass * length)
        ratios = params / torch.cat([mass, mass, mass / time**2, mass / time**2, length, length], dim=-1)
        return torch.cat([q, p], dim=-1), g * time**2 / length, ratios

    def with_energy_units(self, energy, g, params):
        """A dimensionless energy (...) in the units of the systems ``g`` (..., 3), ``params``
        (..., 6) (:meth:`dimensionless`)."""
        mass, length, time = _scales(params)
        return energy * (mass * length**2 / time**2)[..., 0]

    def with_field_units(self, field, g, params):
        """A dimensionless time derivative (..., 12) in the units of the systems ``g``,
        ``params``: ``dq/dt`` a length per time, ``dp/dt`` a force."""
        import torch

        mass, length, time = _scales(params)
        return torch.cat([field[..., :6] * length / time, field[..., 6:] * mass * length / time**2], -1)

    def _time_scales(self):
        return {
            "sqrt(m1 / (k1 + k2))": np.sqrt(self.m1 / (np.asarray(self.k1) + self.k2)),
            "sqrt(m2 / k2)": np.sqrt(np.asarray(self.m2) / self.k2),
        }
