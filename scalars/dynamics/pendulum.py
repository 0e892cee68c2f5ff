"""The springy double pendulum in 3-D: two masses on springs, hanging from a fixed pivot.

The state is ``z = (q1, q2, p1, p2)`` flattened to 12 numbers: positions of the two bobs
relative to the pivot and their momenta. The Hamiltonian is

    H = |p1|^2 / (2 m1) + |p2|^2 / (2 m2)
        + k1 (|q1| - L1)^2 / 2 + k2 (|q1 - q2| - L2)^2 / 2
        - m1 <g, q1> - m2 <g, q2>,

the physical one, with a factor 1/2 on both springs. The code of the EMLP paper (Finzi et
al. 2021), whose numbers the literature quotes, drops the 1/2 on the second spring: its
system is ``DoubleSpringPendulum(k2=2)`` here (see :meth:`DoubleSpringPendulum.emlp`).
"""

import numpy as np

from scalars.dynamics.integrators import solve_adaptive

__all__ = ["DoubleSpringPendulum", "split_state", "join_state"]

# Dimensions of the parameters, as pint writes them; numbers without units are taken to be
# in SI base units (kg, m, s).
_DIMENSIONS = {
    "m1": "[mass]",
    "m2": "[mass]",
    "k1": "[mass] / [time] ** 2",
    "k2": "[mass] / [time] ** 2",
    "L1": "[length]",
    "L2": "[length]",
    "g": "[length] / [time] ** 2",
    "t": "[time]",
}

_SCALARS = ("m1", "m2", "k1", "k2", "L1", "L2")

# Systems integrated in one call of the adaptive solver. The solver controls the RMS error
# over all of them, so the tolerance is divided by sqrt(batch) to bound each system's own.
_SOLVER_BATCH = 64

# Longest span of t, in units of the fastest oscillation time sqrt(m / k) of a system,
# that trajectory integrates: about 16,000 periods, minutes of adaptive steps. Beyond it
# the parameters are almost surely in the wrong units (m1 = 1e-300 kg would take 1e150 steps).
_MAX_SPAN = 1e5


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


def _si_magnitude(name, value):
    """``value`` in SI base units as float64; pint quantities are checked and converted."""
    if hasattr(value, "to_base_units"):
        if not value.check(_DIMENSIONS[name]):
            raise ValueError(
                f"{name} has units {value.units} of dimension {value.dimensionality}, "
                f"expected {_DIMENSIONS[name]}"
            )
        value = value.to_base_units().magnitude
    if np.asarray(value).dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a number, an array of numbers or a pint quantity, got {value!r}")
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _norm(x):
    return (x * x).sum(-1) ** 0.5


class DoubleSpringPendulum:
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

    def __init__(self, m1=1.0, m2=1.0, k1=1.0, k2=1.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0)):
        for name, value in dict(m1=m1, m2=m2, k1=k1, k2=k2, L1=L1, L2=L2).items():
            value = _si_magnitude(name, value)
            if np.any(value <= 0):
                raise ValueError(f"{name} must be positive, got {value}")
            setattr(self, name, float(value) if value.ndim == 0 else value)
        self.g = _si_magnitude("g", g)
        if self.g.shape[-1:] != (3,):
            raise ValueError(f"g must be a 3-vector, got shape {self.g.shape}")

    @property
    def batch_shape(self):
        """Shape of a batch of systems given by array parameters; () for one system."""
        return np.broadcast_shapes(*(np.shape(getattr(self, name)) for name in _SCALARS), self.g.shape[:-1])

    @classmethod
    def emlp(cls):
        """The system of the EMLP and scalars papers: unit constants and ``g = (0, 0, -1)``.

        Their code writes the second spring as ``k2 (|q1 - q2| - L2)^2`` without the 1/2,
        which is ``k2 = 2`` in the convention of this class.
        """
        return cls(m1=1.0, m2=1.0, k1=1.0, k2=2.0, L1=1.0, L2=1.0, g=(0.0, 0.0, -1.0))

    def __repr__(self):
        values = ", ".join(f"{name}={np.round(getattr(self, name), 6).tolist()}" for name in _SCALARS + ("g",))
        return f"DoubleSpringPendulum({values})"

    def _parameters(self, z):
        """``m1, m2, k1, k2, L1, L2, g`` lined up with the leading axes of states ``z``.

        A batch of systems of shape ``batch_shape`` acts on states of shape
        ``batch_shape + extra + (12,)`` (``extra`` is, e.g., the time axis of a trajectory),
        so array parameters get one singleton axis per ``extra`` axis. Floats stay floats;
        arrays follow the backend, dtype and device of ``z``.
        """
        extra = z.ndim - 1 - len(self.batch_shape)
        if extra < 0:
            raise ValueError(
                f"states of shape {tuple(z.shape)} have fewer leading axes than the batch of "
                f"systems {self.batch_shape}"
            )
        scalars = [getattr(self, name) for name in _SCALARS]
        values = [v if isinstance(v, float) else v.reshape(v.shape + (1,) * extra) for v in scalars]
        values.append(self.g.reshape(self.g.shape[:-1] + (1,) * extra + (3,)))
        if not isinstance(z, np.ndarray):
            import torch

            values = [v if isinstance(v, float) else torch.as_tensor(v, dtype=z.dtype, device=z.device) for v in values]
        return values

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

    #: The total energy, which is the Hamiltonian in these canonical coordinates.
    energy = hamiltonian

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

    def trajectory(self, z0, t, rtol=1e-10, atol=1e-10):
        """Reference trajectories by an adaptive 8th-order Runge-Kutta method (DOP853).

        Parameters
        ----------
        z0 : array-like of shape (..., 12)
            States at time ``t[0]``.
        t : array-like of shape (T,), or pint.Quantity [time]
            Increasing times at which to report the state; numbers are seconds.
        rtol, atol : float
            Tolerances per trajectory of the local error.

        Returns
        -------
        ndarray of shape (..., T, 12)

        Raises
        ------
        ValueError
            For bad arguments; if the trajectory reaches a singular state (bob 1 at the
            pivot or on bob 2) or the step size collapses, naming the time and the state; if
            ``t`` spans more than 1e5 times the fastest time scale ``sqrt(m / k)``.
        """
        if hasattr(z0, "units"):
            raise TypeError(f"z0 must be an array of numbers in SI base units, not a quantity in {z0.units}")
        z0 = np.asarray(z0, dtype=np.float64)
        t = _si_magnitude("t", t)
        if z0.shape[-1:] != (12,):
            raise ValueError(f"states must have 12 numbers in the last axis, got shape {z0.shape}")
        if not np.all(np.isfinite(z0)):
            raise ValueError("initial states contain NaN or inf")
        if t.ndim != 1 or len(t) == 0 or np.any(np.diff(t) <= 0):
            raise ValueError(f"t must be a non-empty 1-d increasing array, got {t!r}")
        for name, value in dict(rtol=rtol, atol=atol).items():
            if not (np.isscalar(value) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self._check_span(t[-1] - t[0])
        shape = np.broadcast_shapes(z0.shape[:-1], self.batch_shape)
        flat = np.broadcast_to(z0, shape + (12,)).reshape(-1, 12)
        parameters = {name: np.broadcast_to(getattr(self, name), shape).reshape(-1) for name in _SCALARS}
        parameters["g"] = np.broadcast_to(self.g, shape + (3,)).reshape(-1, 3)
        out = np.empty((len(flat), len(t), 12))
        for start in range(0, len(flat), _SOLVER_BATCH):
            batch = slice(start, start + _SOLVER_BATCH)
            systems = DoubleSpringPendulum(**{name: value[batch] for name, value in parameters.items()})
            scale = np.sqrt(len(flat[batch]))
            out[batch] = solve_adaptive(systems.time_derivative, flat[batch], t, rtol / scale, atol / scale)
        return out.reshape(shape + (len(t), 12))

    def _check_span(self, span):
        """Refuse a span of times the adaptive integrator could not cross in a reasonable time."""
        scales = {
            "sqrt(m1 / (k1 + k2))": np.min(np.sqrt(self.m1 / (np.asarray(self.k1) + self.k2)), initial=np.inf),
            "sqrt(m2 / k2)": np.min(np.sqrt(np.asarray(self.m2) / self.k2), initial=np.inf),
        }
        name = min(scales, key=scales.get)
        if span > _MAX_SPAN * scales[name]:
            raise ValueError(
                f"t spans {span:.3g} s, {span / scales[name]:.3g} times the fastest time scale of the "
                f"system, {name} = {scales[name]:.3g} s: more than the {_MAX_SPAN:.0e} an adaptive "
                "integration can cross in reasonable time. Check the units of the parameters, or "
                "integrate a shorter t."
            )
