"""The windy double spring pendulum: a constant wind force breaks the rotations about gravity.

The task of the residual pathway priors paper (Finzi, Benton and Wilson, NeurIPS 2021):
the springy double pendulum of :class:`~scalars.dynamics.DoubleSpringPendulum` with a
constant force ``w`` (the wind, in newtons) on each bob,

    H = H_pendulum - <w, q1> - <w, q2>,

so the dynamics keep only the rotations that fix both ``g`` and ``w``: a model that knows
only ``g`` (exactly O(2)-symmetric about it) cannot represent them, and the symmetry is
"approximate" to the extent that ``|w|`` is small beside ``m |g|``. The passive view
restores it: the wind is a second context vector of the learned models (``context(z)``
is ``g, w, params``), so the features of :attr:`~scalars.dynamics.System.phase_space`
include its invariants (``<w, q1>``, ``<g, w>``, ...) and a model of them is exactly
O(3)-equivariant in the state, ``g`` and ``w`` together.

The total energy ``H`` is conserved; the pendulum's own energy changes by the work of the
wind, ``H_pendulum(t) - H_pendulum(0) = <w, (q1 + q2)(t) - (q1 + q2)(0)>``
(:meth:`~scalars.dynamics.WindyDoubleSpringPendulum.wind_work`).
"""

import numpy as np

from scalars.dynamics.data import sample_initial_states
from scalars.dynamics.pendulum import DoubleSpringPendulum, join_state, split_state

__all__ = ["WindyDoubleSpringPendulum"]


class WindyDoubleSpringPendulum(DoubleSpringPendulum):
    """The springy double pendulum with a constant wind force ``w`` on each bob.

    Parameters
    ----------
    m1, m2, k1, k2, L1, L2, g
        As :class:`~scalars.dynamics.DoubleSpringPendulum`.
    wind : array-like of shape (3,), or pint.Quantity [mass length / time^2]
        The force on each bob; default ``(0.3, 0, 0)``, across gravity. An array of shape
        (..., 3) is a batch of systems.

    Examples
    --------
    >>> system = WindyDoubleSpringPendulum.emlp(wind=(0.3, 0.0, 0.0))
    >>> z0 = np.array([0, 0, -1.5, 0, 0, -3, 0.1, 0, 0, 0, 0.2, 0])
    >>> zs = system.trajectory(z0, np.arange(0, 3, 0.2))
    >>> bool(np.allclose(system.pendulum_energy(zs) - system.pendulum_energy(z0), system.wind_work(z0, zs), atol=1e-7))
    True
    """

    dimensions = {**DoubleSpringPendulum.dimensions, "wind": "[mass] * [length] / [time] ** 2"}
    event_ndim = {"g": 1, "wind": 1}
    context_layouts = ("T1", "T1", "6T0")  # g, wind, then params = (m1, m2, k1, k2, L1, L2)
    context_names = ("g", "w", "m1", "m2", "k1", "k2", "L1", "L2")

    def __init__(self, m1=1.0, m2=1.0, k1=1.0, k2=1.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0), wind=(0.3, 0.0, 0.0)):
        super().__init__(m1=m1, m2=m2, k1=k1, k2=k2, L1=L1, L2=L2, g=g)
        self._set_parameter("wind", wind)
        self.wind = np.asarray(self.wind, dtype=np.float64)
        if self.wind.shape[-1:] != (3,) or not np.all(np.isfinite(self.wind)):
            raise ValueError(f"wind must be a finite 3-vector (a force in N), got {wind!r}")

    @classmethod
    def emlp(cls, wind=(0.3, 0.0, 0.0)):
        """The EMLP paper's pendulum (:meth:`~scalars.dynamics.DoubleSpringPendulum.emlp`) in the wind ``wind``."""
        return cls(m1=1.0, m2=1.0, k1=1.0, k2=2.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0), wind=wind)

    def _parameters(self, z):
        """The pendulum's parameters (the wind is read by ``_wind``), lined up with ``z``."""
        return super()._parameters(z)[:-1]

    def _wind(self, z):
        """The wind of each state's system, lined up with the leading axes of ``z`` (numpy or torch)."""
        return super()._parameters(z)[-1]

    def pendulum_energy(self, z):
        """The energy without the wind's potential, :meth:`~scalars.dynamics.DoubleSpringPendulum.hamiltonian` (...)."""
        return super().hamiltonian(z)

    def wind_work(self, z0, z):
        """Work of the wind from states ``z0`` to ``z``, ``<w, (q1 + q2) - (q1_0 + q2_0)>`` (...) [J]."""
        q1, q2, _, _ = split_state(np.asarray(z))
        q1_0, q2_0, _, _ = split_state(np.asarray(z0))
        return ((q1 + q2 - q1_0 - q2_0) * self._wind(np.asarray(z))).sum(-1)

    def hamiltonian(self, z):
        """Total energy, the pendulum's minus the wind's work from the pivot: conserved.

        Parameters
        ----------
        z : array of shape (..., 12), numpy or torch (differentiable)

        Returns
        -------
        array of shape (...)
        """
        q1, q2, _, _ = split_state(z)
        return super().hamiltonian(z) - ((q1 + q2) * self._wind(z)).sum(-1)

    def angular_momentum(self, z):
        """Not conserved in the wind: the torque of ``w`` about the gravity axis turns the pendulum.

        Raises
        ------
        NotImplementedError
            Always; the rollout metrics skip it.
        """
        raise NotImplementedError("the wind breaks the rotations about g: the angular momentum about g is not conserved")

    def time_derivative(self, z):
        """Hamilton's equations: the pendulum's, plus the force ``w`` on each bob's momentum."""
        field = super().time_derivative(z)
        wind = self._wind(np.asarray(z))
        velocity1, velocity2, force1, force2 = split_state(field)
        return join_state(velocity1, velocity2, force1 + wind, force2 + wind)

    def context(self, z):
        """``g, w, params`` of each state's system, (..., 3), (..., 3), (..., 6) tensors."""
        import torch

        g, params = super().context(z)
        wind = torch.as_tensor(self._wind(z), dtype=z.dtype, device=z.device)
        return g, wind.expand(z.shape[:-1] + (3,)), params

    def sample_initial_states(self, n, rng):
        """``n`` initial states of the EMLP protocol about this system's ``g`` (one system), (n, 12)."""
        if self.batch_shape:
            raise ValueError(f"sample_initial_states needs one system, got a batch of shape {self.batch_shape}")
        return sample_initial_states(n, rng, g=self.g)

    def dimensionless(self, z, *context):
        raise NotImplementedError("WindyDoubleSpringPendulum has no dimensionless form yet: train without dimensionless=True")
