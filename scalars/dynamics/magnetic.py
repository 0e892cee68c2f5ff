"""A charged particle in uniform magnetic and electric fields, in canonical coordinates.

The state is ``z = (q, p)``, 6 numbers: the position and the canonical momentum
``p = m v + e A(q)`` in the symmetric gauge ``A(q) = B x q / 2``. The Hamiltonian is

    H = |p - e A(q)|^2 / (2 m) - e <E, q>,

and Hamilton's equations are the Lorentz force ``m dv/dt = e (v x B + E)``.

Symmetry: O(3) about the origin, with ``B`` a pseudovector (``B -> det(R) R B``) and ``E``
a vector as inputs. The symmetric gauge is what makes it so: ``A(R q) = R A(q)`` for every
``R`` in O(3) once ``B`` turns as a pseudovector, so H is invariant and the dynamics
equivariant (translations are broken by the gauge's origin; the velocity field is
translation-invariant, the canonical momentum is not). For a fixed field the symmetry left
is SO(2) about ``B`` (and the reflections through planes containing ``B``).
Without ``E`` the energy is conserved and the velocity turns about ``B`` at the cyclotron
frequency ``|e| |B| / m``.
"""

import numpy as np

from scalars.dynamics.system import System

__all__ = ["ChargedParticleInMagneticField"]


class ChargedParticleInMagneticField(System):
    """A point charge in a uniform magnetic field ``B`` and electric field ``E``.

    Parameters
    ----------
    mass : float or pint.Quantity [mass], default=1.0
    charge : float or pint.Quantity [current * time], default=1.0
    B : array-like of shape (3,), or pint.Quantity [mass / (current time^2)], default=(0, 0, 1)
        Magnetic field (a pseudovector).
    E : array-like of shape (3,), or pint.Quantity [mass length / (current time^3)], default=0
        Electric field.

    Leading axes of the parameters make a batch of systems, as for
    :class:`scalars.dynamics.System`; states are in SI base units (m, kg m / s).

    Examples
    --------
    >>> system = ChargedParticleInMagneticField(mass=2.0, charge=1.0, B=(0, 0, 3.0))
    >>> system.cyclotron_frequency
    1.5
    >>> system.trajectory(np.array([1.0, 0, 0, 0, 1.0, 0]), np.linspace(0, 1, 5)).shape
    (5, 6)
    """

    group = "O(3)"
    layout = "2T1"
    dimensions = {
        "mass": "[mass]",
        "charge": "[current] * [time]",
        "B": "[mass] / [current] / [time] ** 2",
        "E": "[mass] * [length] / [current] / [time] ** 3",
        "t": "[time]",
    }
    event_ndim = {"B": 1, "E": 1}

    def __init__(self, mass=1.0, charge=1.0, B=(0.0, 0.0, 1.0), E=(0.0, 0.0, 0.0)):
        self._set_parameter("mass", mass, positive=True)
        self._set_parameter("charge", charge)
        for name, value in dict(B=B, E=E).items():
            self._set_parameter(name, value)
            if np.shape(getattr(self, name))[-1:] != (3,):
                raise ValueError(f"{name} must be a 3-vector, got shape {np.shape(getattr(self, name))}")

    @property
    def cyclotron_frequency(self):
        """Angular frequency ``|e| |B| / m`` [1/s] of the velocity about ``B``."""
        value = np.abs(self.charge) * np.linalg.norm(self.B, axis=-1) / self.mass
        return float(value) if np.ndim(value) == 0 else value

    def _fields(self, z):
        """Mass, charge, B, E lined up with states ``z``, the scalars with a trailing axis."""
        mass, charge, B, E = self._parameters(z)
        mass, charge = (v if isinstance(v, float) else v[..., None] for v in (mass, charge))
        return mass, charge, B, E

    def velocity(self, z):
        """Velocities ``(p - e A(q)) / m`` (..., 3) of states ``z`` (..., 6), numpy or torch."""
        self._check_state(z)
        mass, charge, B, _ = self._fields(z)
        q, p = z[..., :3], z[..., 3:]
        return (p - charge * _cross(B, q) / 2) / mass

    def hamiltonian(self, z):
        """H of states ``z`` (..., 6), numpy or torch (differentiable): shape (...)."""
        mass, charge, _, E = self._fields(z)
        v = self.velocity(z)
        potential = -(charge * E * z[..., :3]).sum(-1)
        return (mass * v * v).sum(-1) / 2 + potential

    def time_derivative(self, z):
        """``dq/dt = v``, ``dp/dt = e (v x B / 2 + E)`` (the Lorentz force in canonical form).

        Parameters
        ----------
        z : ndarray of shape (..., 6)

        Returns
        -------
        ndarray of shape (..., 6)
        """
        z = np.asarray(z, dtype=np.float64)
        v = self.velocity(z)
        _, charge, B, E = self._fields(z)
        return np.concatenate([v, charge * (np.cross(v, B) / 2 + E)], -1)

    def _time_scales(self):
        frequency = np.asarray(self.cyclotron_frequency)
        return {"m / (|e| |B|)": 1 / frequency[frequency > 0]}

    def sample_initial_states(self, n, rng):
        """Positions N(0, I) and velocities N(0, I), as canonical states (n, 6)."""
        q, v = rng.standard_normal((n, 3)), rng.standard_normal((n, 3))
        return np.concatenate([q, self.mass * v + self.charge * np.cross(self.B, q) / 2], -1)


def _cross(a, b):
    """``a x b`` over the last axis, numpy or torch, broadcasting."""
    if isinstance(b, np.ndarray):
        return np.cross(a, b)
    import torch

    a, b = torch.broadcast_tensors(a, b)
    return torch.linalg.cross(a, b, dim=-1)
